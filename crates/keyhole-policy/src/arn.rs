//! Amazon Resource Names: `arn:partition:service:region:account-id:resource`.
//!
//! The resource part may itself contain `:` and `/`. AWS compares ARNs segment by segment in
//! `ArnLike`/`ArnEquals` and in the `Resource` element (IAM User Guide, "IAM JSON policy
//! elements: Resource" and "Amazon Resource Names (ARNs)").

use serde::Serialize;

/// A parsed ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Arn {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
    /// The service namespace, such as `s3`.
    pub service: String,
    /// The region, empty for global resources.
    pub region: String,
    /// The 12-digit account id, empty for S3 buckets and some others.
    pub account: String,
    /// The resource part, such as `user/alice` or `my-bucket/key`.
    pub resource: String,
}

impl Arn {
    /// Parses an ARN; `None` unless it starts with `arn:` and has six segments.
    #[must_use]
    pub fn parse(text: &str) -> Option<Arn> {
        let [prefix, partition, service, region, account, resource] = split_arn(text)?;
        if prefix != "arn" {
            return None;
        }
        Some(Arn {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl Arn {
    /// The account of an ARN-shaped resource, when the ARN names one (S3 bucket ARNs do not).
    #[must_use]
    pub fn account_of(text: &str) -> Option<String> {
        Arn::parse(text)
            .map(|a| a.account)
            .filter(|a| !a.is_empty())
    }
}

impl std::fmt::Display for Arn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// Splits text into six ARN segments at its first five colons (the last keeps later colons).
#[must_use]
pub fn split_arn(text: &str) -> Option<[&str; 6]> {
    // One pass over the bytes up to the fifth colon (`:` is ASCII, so it is never inside a
    // multi-byte character): the segments before it are short, and a search per segment
    // (`str::find`, `splitn`) cost more than the scan.
    let mut parts = [""; 6];
    let mut start = 0;
    let mut part = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if byte == b':' {
            *parts.get_mut(part)? = text.get(start..at)?;
            start = at + 1;
            part += 1;
            if part == 5 {
                *parts.get_mut(5)? = text.get(start..)?;
                return Some(parts);
            }
        }
    }
    None
}

/// Whether `s` is a 12-digit AWS account id.
#[must_use]
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pattern::Glob;

    /// The six segments are what `splitn(6, ':')` gives, on texts of every shape.
    #[test]
    fn segments_are_splitn_six() {
        for text in [
            "",
            ":",
            "arn",
            "a:b:c:d:e",
            "a:b:c:d:e:",
            ":::::",
            "::::::",
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/k:with:colons",
            "é:ü::€:😀:x",
            "arn:aws:iam::123456789012:role/r",
        ] {
            let mut it = text.splitn(6, ':');
            let expected: Option<[&str; 6]> = (|| {
                Some([
                    it.next()?,
                    it.next()?,
                    it.next()?,
                    it.next()?,
                    it.next()?,
                    it.next()?,
                ])
            })();
            assert_eq!(split_arn(text), expected, "{text:?}");
        }
    }

    #[test]
    fn parse_and_match() {
        let a = Arn::parse("arn:aws:s3:::bucket/key:with:colons").unwrap();
        assert_eq!(a.resource, "bucket/key:with:colons");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(
            Glob::parse("arn:aws:iam::*:role/x").matches_arn("arn:aws:iam::123456789012:role/x")
        );
        assert!(!Glob::parse("arn:aws:*").matches_arn("arn:aws:s3:::b"));
        assert!(!Glob::parse("arn:aws:iam::*").matches_arn("arn:aws:iam::1:role/x"));
        assert!(
            Glob::parse("arn:???:*:*:*:*")
                .matches_arn("arn:aws:ec2:us-east-1:123456789012:instance/i-1")
        );
        assert!(
            !Glob::parse("arn:aws:ec2:*:*:instance/i-1")
                .matches_arn("arn:aws:ec2:us-east-1:123456789012:INSTANCE/I-1")
        );
    }
}
