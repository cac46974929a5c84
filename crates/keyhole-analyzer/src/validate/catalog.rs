//! Lookups over the service catalog that validation needs, built once on first use: condition
//! keys by name, resource types by the service part of their ARN, and the AWS Regions and
//! partitions.

use std::collections::HashMap;
use std::sync::OnceLock;

use keyhole_policy::catalog::{Action, ConditionKey, ResourceType, Service, service_catalog};
use keyhole_policy::pattern::{Glob, Token};

/// The AWS partitions (Amazon Resource Names, "partition").
pub(crate) const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The AWS Regions (commercial, China, GovCloud, ISO and European Sovereign Cloud).
pub(crate) const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// Global condition keys AWS documents that the catalog's hand-maintained list lacks.
const EXTRA_GLOBAL_KEYS: &[&str] = &["aws:SourceOwner"];

/// What an ARN format says about one of its segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// The segment is empty (`arn:aws:s3:::bucket` has no Region and no account).
    Empty,
    /// Some value (a placeholder, or a literal such as `aws` in AWS managed policy ARNs).
    Present,
}

/// One ARN format of one resource type.
pub(crate) struct ArnFormat {
    /// The resource type.
    pub resource_type: &'static ResourceType,
    /// The Region segment.
    pub region: Segment,
    /// The account segment.
    pub account: Segment,
    /// The resource part as a pattern: placeholders become `*`.
    pub resource: Vec<Token>,
}

struct Index {
    /// Exact (non-template) condition keys, by lower-cased name.
    keys: HashMap<String, Vec<(&'static Service, &'static ConditionKey)>>,
    /// Template condition keys (`aws:ResourceTag/${TagKey}`).
    templates: Vec<(&'static Service, &'static ConditionKey)>,
    /// ARN formats by the service segment of the ARN.
    arns: HashMap<String, Vec<ArnFormat>>,
    /// Service prefixes, for suggestions.
    prefixes: Vec<&'static str>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let catalog = service_catalog();
        let mut keys: HashMap<String, Vec<(&Service, &ConditionKey)>> = HashMap::new();
        let mut templates = Vec::new();
        let mut arns: HashMap<String, Vec<ArnFormat>> = HashMap::new();
        let mut prefixes = Vec::new();
        for service in catalog.services() {
            prefixes.push(service.prefix());
            for key in service.condition_keys() {
                if key.is_template() {
                    templates.push((service, key));
                } else {
                    keys.entry(key.name().to_ascii_lowercase())
                        .or_default()
                        .push((service, key));
                }
            }
            for rt in service.resource_types() {
                for format in rt.arn_formats() {
                    let Some([_, _, svc, region, account, resource]) =
                        keyhole_policy::arn::split_arn(format)
                    else {
                        continue;
                    };
                    let segment = |s: &str| {
                        if s.is_empty() {
                            Segment::Empty
                        } else {
                            Segment::Present
                        }
                    };
                    arns.entry(svc.to_owned()).or_default().push(ArnFormat {
                        resource_type: rt,
                        region: segment(region),
                        account: segment(account),
                        resource: Glob::parse(&placeholders_to_star(resource))
                            .tokens()
                            .to_vec(),
                    });
                }
            }
        }
        Index {
            keys,
            templates,
            arns,
            prefixes,
        }
    })
}

/// Replaces `${Name}` placeholders with `*`.
fn placeholders_to_star(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or_default());
        match rest.get(start..).and_then(|r| r.find('}')) {
            Some(end) => {
                out.push('*');
                rest = rest.get(start + end + 1..).unwrap_or_default();
            }
            None => {
                out.push_str(rest.get(start..).unwrap_or_default());
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The service with this prefix (case-insensitive).
pub(crate) fn service(prefix: &str) -> Option<&'static Service> {
    service_catalog().service(prefix)
}

/// The action `service:Name` (case-insensitive), with its service.
pub(crate) fn action(name: &str) -> Option<(&'static Service, &'static Action)> {
    service_catalog().action(name)
}

/// The definition of a condition key used in a policy: the services that define it (exact name
/// first, then templates), the key's own service first.
pub(crate) fn condition_key(key: &str) -> Option<(&'static Service, &'static ConditionKey)> {
    let ix = index();
    let prefix = key.split_once(':').map(|(p, _)| p).unwrap_or_default();
    let own = |s: &&(&Service, &ConditionKey)| s.0.prefix().eq_ignore_ascii_case(prefix);
    if let Some(found) = ix.keys.get(&key.to_ascii_lowercase()) {
        return found.iter().find(own).or(found.first()).copied();
    }
    let matching: Vec<&(&Service, &ConditionKey)> = ix
        .templates
        .iter()
        .filter(|(_, k)| k.matches(key))
        .collect();
    matching
        .iter()
        .find(|s| own(s))
        .or(matching.first())
        .map(|s| **s)
}

/// Whether `key` is a global condition key (`aws:…`).
pub(crate) fn is_global_key(key: &str) -> bool {
    EXTRA_GLOBAL_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
        || service("aws").is_some_and(|aws| aws.condition_key(key).is_some())
}

/// The ARN formats whose service segment is `service` (exact case).
pub(crate) fn arn_formats(service: &str) -> &'static [ArnFormat] {
    index().arns.get(service).map_or(&[], Vec::as_slice)
}

/// Whether some resource type has ARNs with this service segment, compared case-insensitively.
pub(crate) fn arn_service_exists_ignoring_case(service: &str) -> bool {
    let lower = service.to_ascii_lowercase();
    index().arns.contains_key(&lower)
}

/// The service prefix closest to `prefix` by edit distance (ties: alphabetical).
pub(crate) fn closest_prefix(prefix: &str) -> Option<&'static str> {
    closest(prefix, index().prefixes.iter().copied())
}

/// The candidate closest to `word` by case-insensitive edit distance (ties: the first).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&word, c, best.map_or(usize::MAX, |(d, _)| d));
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance between `a` (lower-cased chars) and `b` (lower-cased here), giving up
/// (returning `usize::MAX`) once it exceeds `bound`.
fn edit_distance(a: &[char], b: &str, bound: usize) -> usize {
    let b: Vec<char> = b.to_lowercase().chars().collect();
    if a.len().abs_diff(b.len()) > bound {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        let mut row_min = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX - 1) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX - 1) + 1;
            let ins = cur.get(j).copied().unwrap_or(usize::MAX - 1) + 1;
            let v = sub.min(del).min(ins);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = v;
            }
            row_min = row_min.min(v);
        }
        if row_min > bound {
            return usize::MAX;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(usize::MAX)
}

/// Whether `action` of `service` supports the condition key `name` (a catalog name, possibly a
/// template such as `aws:ResourceTag/${TagKey}`): listed for the action, or for one of its
/// resource types.
pub(crate) fn action_supports_key(service: &Service, action: &Action, name: &str) -> bool {
    let same = |k: &String| k.eq_ignore_ascii_case(name);
    action.condition_keys().iter().any(same)
        || action.resource_types().iter().any(|art| {
            art.condition_keys().iter().any(same)
                || service
                    .resource_type(art.name())
                    .is_some_and(|rt| rt.condition_keys().iter().any(same))
        })
}

/// Whether `region` is an AWS Region.
pub(crate) fn is_region(region: &str) -> bool {
    REGIONS.contains(&region)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn distances_and_lookups() {
        let d = |a: &str, b: &str| edit_distance(&a.chars().collect::<Vec<_>>(), b, usize::MAX);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(closest_prefix("s4"), Some("s3"));
        assert_eq!(placeholders_to_star("${BucketName}/${ObjectName}"), "*/*");
        assert!(condition_key("aws:ResourceTag/team").is_some());
        assert!(condition_key("S3:PREFIX").is_some());
        assert!(is_global_key("aws:SourceOwner"));
        assert!(!arn_formats("s3").is_empty());
    }
}
