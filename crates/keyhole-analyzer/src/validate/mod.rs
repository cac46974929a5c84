//! Policy validation in the shape of Access Analyzer's `ValidatePolicy`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html>).
//!
//! [`validate`] reads a policy document as spanned JSON (so that one invalid element does not
//! hide the others) and returns `ValidatePolicyFinding`s with AWS's issue codes, finding types,
//! `learnMoreLink`s and locations (`path` of `{"value": key}` / `{"index": n}` elements, `span`
//! of the member's JSON value with `line` from 1, `column` and `offset` in characters from 0).
//! The checks need the AWS service catalog ([`keyhole_policy::catalog`]): valid services,
//! actions, ARN formats and condition keys. [`ALL_CHECKS`] lists every issue code keyhole
//! implements; `docs/validate.md` says what each one checks and where keyhole departs from AWS.
//!
//! ```
//! use keyhole_analyzer::validate::{PolicyType, validate};
//! let findings = validate(
//!     r#"{"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}"#,
//!     PolicyType::IdentityPolicy,
//!     None,
//! )?;
//! let codes: Vec<&str> = findings.iter().map(|f| f.issue_code.as_str()).collect();
//! assert_eq!(codes, ["MISSING_VERSION", "PASS_ROLE_WITH_STAR_IN_RESOURCE"]);
//! # Ok::<(), keyhole_analyzer::validate::ValidateError>(())
//! ```

mod action;
mod catalog;
mod codes;
mod condition;
mod ctx;
mod principal;
mod resource;
mod statement;
mod variable;

use std::fmt;
use std::str::FromStr;

use keyhole_policy::JsonError;
use keyhole_policy::json::{JsonLimits, parse_json};
use serde::Serialize;

pub use codes::{ALL_CHECKS, IssueCode};

/// The kind of policy being validated (`ValidatePolicy`'s `policyType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyType {
    /// A policy attached to a user, group or role (also permissions boundaries).
    IdentityPolicy,
    /// A policy attached to a resource, including a role's trust policy.
    ResourcePolicy,
    /// An AWS Organizations service control policy.
    ServiceControlPolicy,
    /// An AWS Organizations resource control policy.
    ResourceControlPolicy,
}

impl PolicyType {
    /// AWS's spelling, e.g. `IDENTITY_POLICY`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::IdentityPolicy => "IDENTITY_POLICY",
            PolicyType::ResourcePolicy => "RESOURCE_POLICY",
            PolicyType::ServiceControlPolicy => "SERVICE_CONTROL_POLICY",
            PolicyType::ResourceControlPolicy => "RESOURCE_CONTROL_POLICY",
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyType {
    type Err = ValidateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            PolicyType::IdentityPolicy,
            PolicyType::ResourcePolicy,
            PolicyType::ServiceControlPolicy,
            PolicyType::ResourceControlPolicy,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| ValidateError::InvalidInput(format!("`{s}` is not a policy type")))
    }
}

/// The resource a resource policy is attached to (`validatePolicyResourceType`), which enables
/// the checks specific to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValidateResourceType {
    /// `AWS::S3::Bucket`.
    S3Bucket,
    /// `AWS::S3::AccessPoint`.
    S3AccessPoint,
    /// `AWS::S3::MultiRegionAccessPoint`.
    S3MultiRegionAccessPoint,
    /// `AWS::S3ObjectLambda::AccessPoint`.
    S3ObjectLambdaAccessPoint,
    /// `AWS::IAM::AssumeRolePolicyDocument`: a role trust policy.
    IamAssumeRolePolicyDocument,
    /// `AWS::DynamoDB::Table`.
    DynamoDbTable,
}

impl ValidateResourceType {
    /// Every resource type, in AWS's documentation order.
    pub const ALL: [ValidateResourceType; 6] = [
        ValidateResourceType::S3Bucket,
        ValidateResourceType::S3AccessPoint,
        ValidateResourceType::S3MultiRegionAccessPoint,
        ValidateResourceType::S3ObjectLambdaAccessPoint,
        ValidateResourceType::IamAssumeRolePolicyDocument,
        ValidateResourceType::DynamoDbTable,
    ];

    /// AWS's spelling, e.g. `AWS::S3::Bucket`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ValidateResourceType::S3Bucket => "AWS::S3::Bucket",
            ValidateResourceType::S3AccessPoint => "AWS::S3::AccessPoint",
            ValidateResourceType::S3MultiRegionAccessPoint => "AWS::S3::MultiRegionAccessPoint",
            ValidateResourceType::S3ObjectLambdaAccessPoint => "AWS::S3ObjectLambda::AccessPoint",
            ValidateResourceType::IamAssumeRolePolicyDocument => {
                "AWS::IAM::AssumeRolePolicyDocument"
            }
            ValidateResourceType::DynamoDbTable => "AWS::DynamoDB::Table",
        }
    }

    /// The name AWS's messages use, e.g. `S3 Bucket`.
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            ValidateResourceType::S3Bucket => "S3 Bucket",
            ValidateResourceType::S3AccessPoint => "S3 Access Point",
            ValidateResourceType::S3MultiRegionAccessPoint => "S3 Multi-Region Access Point",
            ValidateResourceType::S3ObjectLambdaAccessPoint => "S3 Object Lambda Access Point",
            ValidateResourceType::IamAssumeRolePolicyDocument => "IAM Role Trust Policy",
            ValidateResourceType::DynamoDbTable => "DynamoDB Table",
        }
    }
}

impl fmt::Display for ValidateResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ValidateResourceType {
    type Err = ValidateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ValidateResourceType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                ValidateError::InvalidInput(format!(
                    "`{s}` is not a resource type ValidatePolicy accepts"
                ))
            })
    }
}

/// `ValidatePolicyFinding.findingType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingType {
    /// Part of the policy is not functional (AWS rejects it, or it cannot match).
    Error,
    /// The policy allows access AWS considers overly permissive.
    SecurityWarning,
    /// The policy does not follow a best practice (AWS's "General Warning").
    Warning,
    /// A stylistic improvement that does not change access.
    Suggestion,
}

impl FindingType {
    /// `ERROR`, `SECURITY_WARNING`, `WARNING` or `SUGGESTION`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::Error => "ERROR",
            FindingType::SecurityWarning => "SECURITY_WARNING",
            FindingType::Warning => "WARNING",
            FindingType::Suggestion => "SUGGESTION",
        }
    }

    /// The slug of `learnMoreLink` anchors: `error`, `security-warning`, `general-warning`,
    /// `suggestion`.
    fn slug(self) -> &'static str {
        match self {
            FindingType::Error => "error",
            FindingType::SecurityWarning => "security-warning",
            FindingType::Warning => "general-warning",
            FindingType::Suggestion => "suggestion",
        }
    }

    /// Whether `keyhole validate` fails on it (ERROR and SECURITY_WARNING).
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(self, FindingType::Error | FindingType::SecurityWarning)
    }
}

impl fmt::Display for FindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `ValidatePolicyFinding`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatePolicyFinding {
    /// What is wrong, in AWS's words.
    pub finding_details: String,
    /// How serious it is.
    pub finding_type: FindingType,
    /// The check that found it.
    pub issue_code: IssueCode,
    /// The check's section of the IAM User Guide's policy check reference.
    pub learn_more_link: String,
    /// Where in the policy.
    pub locations: Vec<Location>,
}

/// Where a finding is: the JSON path to the element and its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Object keys and array indices from the document root.
    pub path: Vec<PathElement>,
    /// The element's JSON value in the text.
    pub span: Span,
}

/// One step of a [`Location`] path, as AWS encodes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PathElement {
    /// An array index, from 0: `{"index": 0}`.
    Index(usize),
    /// An object key: `{"value": "Statement"}`.
    Value(String),
}

/// A range of the policy text; `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// The first character.
    pub start: Position,
    /// One past the last character.
    pub end: Position,
}

/// A position in the policy text, in AWS's `Position` shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 0.
    pub column: usize,
    /// Offset from the start of the text in characters, from 0.
    pub offset: usize,
}

/// Why a policy could not be validated at all (AWS answers these with a `ValidationException`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidateError {
    /// The request is malformed, e.g. a resource type with a policy type other than
    /// `RESOURCE_POLICY` (AWS's `InvalidInput`).
    #[error("{0}")]
    InvalidInput(String),
    /// The document is beyond keyhole's bounds (size, nesting depth, number of values).
    #[error("the policy is too large to validate: {0}")]
    Limit(JsonError),
}

/// The bounds on a policy document: those of the strict JSON reader. Every AWS policy is far
/// below them (the largest policies AWS accepts are a few tens of kilobytes).
#[must_use]
pub fn limits() -> JsonLimits {
    JsonLimits::default()
}

/// Validates a policy document the way Access Analyzer's `ValidatePolicy` does.
///
/// Findings are sorted by the start of their first location, then by issue code and text, and
/// identical findings are reported once. A JSON syntax error is a `JSON_SYNTAX_ERROR` finding,
/// as with AWS.
///
/// # Errors
/// [`ValidateError::InvalidInput`] when `resource_type` is given with a policy type other than
/// `RESOURCE_POLICY`; [`ValidateError::Limit`] when the text exceeds [`limits`].
pub fn validate(
    text: &str,
    policy_type: PolicyType,
    resource_type: Option<ValidateResourceType>,
) -> Result<Vec<ValidatePolicyFinding>, ValidateError> {
    if let Some(rt) = resource_type
        && policy_type != PolicyType::ResourcePolicy
    {
        return Err(ValidateError::InvalidInput(format!(
            "the resource type `{rt}` can only be given with the policy type RESOURCE_POLICY, not {policy_type}"
        )));
    }
    let mut cx = ctx::Ctx::new(text, policy_type, resource_type);
    match parse_json(text, limits()) {
        Ok(json) => statement::check_policy(&mut cx, &json),
        Err(e) => {
            use keyhole_policy::JsonErrorKind as K;
            if matches!(
                e.kind,
                K::TooLarge { .. } | K::TooDeep { .. } | K::TooManyValues { .. }
            ) {
                return Err(ValidateError::Limit(e));
            }
            cx.json_syntax_error(e.span);
        }
    }
    Ok(cx.finish())
}
