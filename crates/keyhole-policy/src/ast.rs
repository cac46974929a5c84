//! The typed policy document: IAM's JSON policy elements, each with its source span.
//!
//! Reference: AWS IAM User Guide, "IAM JSON policy element reference". The grammar is the same
//! for every kind of policy; what differs between kinds (which elements are required or
//! forbidden) is checked by [`crate::check_kind`], not here, so that a statement the policy kind
//! does not allow can still be shown and explained.

use crate::condition::ConditionOperator;
use crate::span::Spanned;

/// Whether a list element was written as a single value or as a JSON array (kept so that a
/// printed policy reads like the original).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListForm {
    /// `"Action": "s3:GetObject"`.
    #[default]
    Single,
    /// `"Action": ["s3:GetObject"]`.
    Array,
}

/// A list of values that IAM accepts as one value or as an array.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OneOrMany<T> {
    /// The values, in source order.
    pub items: Vec<T>,
    /// How they were written.
    pub form: ListForm,
}

impl<T> OneOrMany<T> {
    /// Iterates over the values.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
}

/// A policy document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `Version`; absent means the 2008-10-17 language (no policy variables).
    pub version: Option<Spanned<String>>,
    /// `Id`.
    pub id: Option<Spanned<String>>,
    /// `Statement`, one object or an array of them.
    pub statements: OneOrMany<Spanned<Statement>>,
}

impl Policy {
    /// Whether policy variables (`${…}`) are interpreted: only in the `2012-10-17` language.
    #[must_use]
    pub fn supports_variables(&self) -> bool {
        self.version
            .as_ref()
            .is_some_and(|v| v.value == crate::VERSION_2012)
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Effect {
    /// Grants the access the statement describes.
    Allow,
    /// Denies it, overriding any Allow.
    Deny,
}

impl Effect {
    /// `Allow` or `Deny`, as written in policies.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<Spanned<String>>,
    /// `Effect`; `None` only when the parser was asked to keep going past a missing Effect.
    pub effect: Option<Spanned<Effect>>,
    /// `Principal` or `NotPrincipal`.
    pub principal: Option<Spanned<PrincipalElement>>,
    /// `Action` or `NotAction`.
    pub action: Option<Spanned<ActionElement>>,
    /// `Resource` or `NotResource`.
    pub resource: Option<Spanned<ResourceElement>>,
    /// `Condition`, in source order.
    pub condition: Option<Spanned<Vec<ConditionClause>>>,
}

/// `Principal` (`negated = false`) or `NotPrincipal` (`negated = true`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalElement {
    /// Whether this is `NotPrincipal`.
    pub negated: bool,
    /// The principals named.
    pub principal: Principal,
}

/// What a `Principal` element names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// `"Principal": "*"`: everyone, including anonymous callers.
    Wildcard,
    /// `"Principal": "arn:aws:iam::123456789012:root"`: a bare string naming an IAM principal.
    /// AWS's grammar allows only `*` as a string, but its evaluators read any other string as an
    /// `AWS` principal; validation reports it.
    AwsShorthand(Spanned<String>),
    /// `"Principal": {"AWS": …, "Service": …}`, in source order.
    Typed(Vec<(Spanned<PrincipalType>, OneOrMany<Spanned<String>>)>),
}

/// The kinds of principal a policy can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum PrincipalType {
    /// IAM principals: accounts, users, roles, sessions, or `*`.
    #[serde(rename = "AWS")]
    Aws,
    /// AWS service principals such as `lambda.amazonaws.com`.
    Service,
    /// Web identity or SAML providers.
    Federated,
    /// S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalType {
    /// The key as written in a policy.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    /// Parses a key (case-sensitive, as IAM does).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "AWS" => Some(PrincipalType::Aws),
            "Service" => Some(PrincipalType::Service),
            "Federated" => Some(PrincipalType::Federated),
            "CanonicalUser" => Some(PrincipalType::CanonicalUser),
            _ => None,
        }
    }
}

/// `Action` (`negated = false`) or `NotAction` (`negated = true`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionElement {
    /// Whether this is `NotAction`.
    pub negated: bool,
    /// The action patterns, such as `s3:Get*` or `*`.
    pub values: OneOrMany<Spanned<String>>,
}

/// `Resource` (`negated = false`) or `NotResource` (`negated = true`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceElement {
    /// Whether this is `NotResource`.
    pub negated: bool,
    /// The resource patterns: ARNs with wildcards and policy variables, or `*`.
    pub values: OneOrMany<Spanned<String>>,
}

/// One operator block of a `Condition` element: `"StringEquals": {"key": values, …}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionClause {
    /// The operator, with its qualifiers.
    pub operator: Spanned<ConditionOperator>,
    /// The keys it tests, in source order.
    pub entries: Vec<ConditionEntry>,
}

/// One key of a condition block with the values it is compared against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionEntry {
    /// The condition key as written (keys are compared case-insensitively).
    pub key: Spanned<String>,
    /// The policy values (any of them may match).
    pub values: OneOrMany<Spanned<ConditionValue>>,
}

/// A value in a condition. IAM accepts strings, numbers and booleans and compares them as text
/// interpreted by the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionValue {
    /// The value as text (numbers exactly as written).
    pub text: String,
    /// The JSON type it was written as.
    pub written_as: ValueJsonType,
}

/// The JSON type a condition value was written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueJsonType {
    /// `"…"`.
    String,
    /// `42`, `1.5`.
    Number,
    /// `true`, `false`.
    Bool,
}
