//! `Resource` and `NotResource` (IAM User Guide, "IAM JSON policy elements: Resource";
//! "Amazon Resource Names (ARNs)"): ARN syntax, and each ARN against the formats of its
//! service's resource types in the service catalog.

use keyhole_policy::pattern::{
    Case, Glob, Token, has_wildcard, tokens_cover, tokens_overlap, wildcard_match,
};
use keyhole_policy::variables::{Piece, pieces};

use super::catalog::{self, ArnFormat, PARTITIONS, Segment};
use super::ctx::{Ctx, Str, strings};
use super::statement::Statement;
use super::{IssueCode, ValidateResourceType};

/// The most values of one element compared pairwise for redundancy.
const MAX_PAIRWISE: usize = 300;

/// Checks the statement's `Resource` or `NotResource`.
pub(crate) fn check(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    let Some(r) = &s.resource else {
        return;
    };
    let values = strings(&r.member.value, &r.path);
    for v in &values {
        arn(cx, v);
    }
    redundant(cx, &values);
}

/// The value with its policy variables replaced by `*` (they stand for any text).
fn as_pattern(cx: &Ctx<'_>, text: &str) -> String {
    if !keyhole_policy::variables::needs_substitution(text, cx.version_2012) {
        return text.to_owned();
    }
    pieces(text)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_owned(),
            Piece::Escaped(c) => c.to_string(),
            Piece::Variable { .. } => "*".to_owned(),
        })
        .collect()
}

fn arn(cx: &mut Ctx<'_>, v: &Str<'_>) {
    if v.text == "*" {
        return;
    }
    let text = as_pattern(cx, v.text);
    let report = |cx: &mut Ctx<'_>, code: IssueCode, details: String| {
        cx.report_at(code, details, &v.path, v.json.span);
    };
    let first = text.split(':').next().unwrap_or_default();
    if first != "arn" {
        if !(has_wildcard(first) && wildcard_match(first, "arn", Case::Sensitive)) {
            report(
                cx,
                IssueCode::INVALID_ARN_PREFIX,
                "Add the required prefix (arn) to the resource ARN.".to_owned(),
            );
        }
        return;
    }
    let Some([_, partition, service, region, account, resource]) =
        keyhole_policy::arn::split_arn(&text)
    else {
        if !text.rsplit(':').next().unwrap_or_default().contains('*') {
            report(cx, IssueCode::MISSING_ARN_FIELD, "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource".to_owned());
        }
        return;
    };
    if !has_wildcard(partition) && !PARTITIONS.contains(&partition) {
        report(
            cx,
            IssueCode::INVALID_PARTITION,
            format!(
                "The resource ARN for the service {service} does not support the partition {partition}. Use the supported values: {}",
                PARTITIONS.join(", ")
            ),
        );
    }
    if has_wildcard(service) {
        if service != "*" {
            report(cx, IssueCode::WILDCARD_IN_SERVICE_NAME, "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.".to_owned());
        }
        return;
    }
    if service.chars().any(|c| c.is_ascii_uppercase())
        && catalog::arn_service_exists_ignoring_case(service)
    {
        report(
            cx,
            IssueCode::INVALID_ARN_SERVICE_CASE,
            format!(
                "Update the service name {service} in the resource ARN to use all lowercase letters."
            ),
        );
        return;
    }
    let formats = catalog::arn_formats(service);
    if formats.is_empty() {
        return;
    }
    let resource_glob = Glob::parse(resource);
    let candidates: Vec<&ArnFormat> = formats
        .iter()
        .filter(|f| tokens_overlap(&f.resource, resource_glob.tokens()))
        .collect();
    if candidates.is_empty() {
        report(cx, IssueCode::INVALID_ARN_RESOURCE, "Resource ARN does not match the expected ARN format. Update the resource portion of the ARN.".to_owned());
        return;
    }
    if !has_wildcard(region) {
        if region.is_empty() {
            if candidates.iter().all(|f| f.region == Segment::Present) {
                report(
                    cx,
                    IssueCode::MISSING_ARN_REGION,
                    format!("Add a Region to the {service} resource ARN."),
                );
            }
        } else if candidates.iter().all(|f| f.region == Segment::Empty) {
            report(
                cx,
                IssueCode::ARN_REGION_NOT_ALLOWED,
                format!(
                    "The service {service} does not support specifying a Region in the resource ARN."
                ),
            );
        } else if !catalog::is_region(region) {
            report(
                cx,
                IssueCode::INVALID_ARN_REGION,
                format!(
                    "The Region {region} is not valid for this resource. Update the resource ARN to include a supported Region."
                ),
            );
        }
    }
    if !has_wildcard(account) && !account.is_empty() {
        if candidates.iter().all(|f| f.account == Segment::Empty) {
            report(
                cx,
                IssueCode::ARN_ACCOUNT_NOT_ALLOWED,
                format!(
                    "The service {service} does not support specifying an account ID in the resource ARN."
                ),
            );
        } else if !keyhole_policy::arn::is_account_id(account) && account != "aws" {
            report(
                cx,
                IssueCode::INVALID_ARN_ACCOUNT,
                format!(
                    "The resource ARN account ID {account} is not valid. Provide a 12-digit account ID."
                ),
            );
        }
    }
    if let Some(rt) = cx.resource_type {
        let (allowed_service, allowed_types): (&str, &[&str]) = match rt {
            ValidateResourceType::S3Bucket => ("s3", &["bucket", "object"]),
            ValidateResourceType::S3AccessPoint => ("s3", &["accesspoint", "accesspointobject"]),
            ValidateResourceType::S3MultiRegionAccessPoint => ("s3", &["multiregionaccesspoint"]),
            ValidateResourceType::S3ObjectLambdaAccessPoint => {
                ("s3-object-lambda", &["objectlambdaaccesspoint"])
            }
            ValidateResourceType::DynamoDbTable => ("dynamodb", &["table", "index", "stream"]),
            ValidateResourceType::IamAssumeRolePolicyDocument => return,
        };
        let fits = service == allowed_service
            && candidates.iter().any(|f| {
                allowed_types.contains(&f.resource_type.name()) && region_fits(f, region, account)
            });
        if !fits {
            report(
                cx,
                IssueCode::UNSUPPORTED_RESOURCE_ARN_IN_POLICY,
                format!(
                    "The resource ARN is not supported for the resource-based policy attached to resource type {}.",
                    rt.display_name()
                ),
            );
        }
    }
}

/// Whether the Region and account segments can fit the format (used to tell an S3
/// multi-Region access point, which has no Region, from an access point).
fn region_fits(f: &ArnFormat, region: &str, account: &str) -> bool {
    let fits = |segment: Segment, value: &str| match segment {
        Segment::Empty => value.is_empty() || value == "*",
        Segment::Present => !value.is_empty(),
    };
    fits(f.region, region) && fits(f.account, account)
}

/// Values of one element already covered by another value of it.
fn redundant(cx: &mut Ctx<'_>, values: &[Str<'_>]) {
    if values.len() < 2 || values.len() > MAX_PAIRWISE {
        return;
    }
    let usable: Vec<(&Str<'_>, Vec<Token>)> = values
        .iter()
        .filter(|v| !v.text.contains("${"))
        .map(|v| (v, Glob::parse(v.text).tokens().to_vec()))
        .collect();
    let mut found: Vec<&Str<'_>> = Vec::new();
    for (i, (a, ta)) in usable.iter().enumerate() {
        let is_redundant = usable
            .iter()
            .enumerate()
            .any(|(j, (_, tb))| i != j && tokens_cover(tb, ta) && (j < i || !tokens_cover(ta, tb)));
        if is_redundant {
            found.push(a);
        }
    }
    if found.is_empty() {
        return;
    }
    let locations = found.iter().map(|v| cx.loc(&v.path, v.json.span)).collect();
    cx.report(
        IssueCode::REDUNDANT_RESOURCE,
        format!(
            "The {} resource ARN(s) are redundant because they reference the same resource. Review the use of wildcards (*)",
            found.len()
        ),
        locations,
    );
}
