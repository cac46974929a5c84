//! A request as IAM evaluates it: who (the principal), what (the action), on what (the resource
//! and the account that owns it), and the request context of condition keys.
//!
//! Context keys are case-insensitive (IAM User Guide, "Condition element"); a key is either
//! single-valued or multivalued (a set, used with `ForAllValues:`/`ForAnyValue:`).

use crate::arn::Arn;
use std::collections::BTreeMap;

/// Who makes the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestPrincipal {
    /// An IAM principal: account root, user, role, assumed-role or federated-user session.
    Aws {
        /// Its ARN.
        arn: Arn,
    },
    /// An AWS service principal, such as `lambda.amazonaws.com`.
    Service(String),
    /// A web-identity or SAML federated caller, named by its provider.
    Federated(String),
    /// An S3 canonical user id.
    CanonicalUser(String),
    /// An unsigned (anonymous) request.
    Anonymous,
}

impl RequestPrincipal {
    /// Reads a principal as written in a scenario: an ARN, a service principal name
    /// (`*.amazonaws.com` or `*.amazonaws.com.cn`), or `anonymous`.
    #[must_use]
    pub fn parse(text: &str) -> Option<RequestPrincipal> {
        if text.eq_ignore_ascii_case("anonymous") {
            return Some(RequestPrincipal::Anonymous);
        }
        if let Some(arn) = Arn::parse(text) {
            return Some(RequestPrincipal::Aws { arn });
        }
        if crate::arn::is_account_id(text) {
            return Arn::parse(&format!("arn:aws:iam::{text}:root"))
                .map(|arn| RequestPrincipal::Aws { arn });
        }
        if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
            return Some(RequestPrincipal::Service(text.to_owned()));
        }
        None
    }

    /// The account the principal belongs to (IAM principals only).
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        match self {
            RequestPrincipal::Aws { arn } => Some(arn.account.as_str()),
            _ => None,
        }
    }

    /// The principal's own ARN (IAM principals only).
    #[must_use]
    pub fn arn(&self) -> Option<&Arn> {
        match self {
            RequestPrincipal::Aws { arn } => Some(arn),
            _ => None,
        }
    }
}

/// The value of one context key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multivalued key (possibly empty).
    Multi(Vec<String>),
}

/// The request context: condition keys and their values, looked up case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    entries: BTreeMap<String, (String, ContextValue)>,
}

/// A condition key's spelling for comparing keys, which AWS compares ignoring case: its
/// lowercase. An ASCII key (every AWS key) is lowered byte by byte; `str::to_lowercase`
/// reads its last few characters through the Unicode tables.
#[must_use]
pub fn lowercase_key(key: &str) -> String {
    if key.is_ascii() {
        key.to_ascii_lowercase()
    } else {
        key.to_lowercase()
    }
}

impl Context {
    /// An empty context.
    #[must_use]
    pub fn new() -> Self {
        Context::default()
    }

    /// Sets a key (replacing any value under the same key in any letter case).
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.entries
            .insert(lowercase_key(key), (key.to_owned(), value));
    }

    /// The value of a key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.entries.get(&lowercase_key(key)).map(|(_, v)| v)
    }

    /// The keys as first written, with their values, sorted by lowercase key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.values().map(|(k, v)| (k.as_str(), v))
    }
}

/// A request to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Who.
    pub principal: RequestPrincipal,
    /// The action, `service:Action`.
    pub action: String,
    /// The resource ARN, or `*` for actions that do not take a resource.
    pub resource: String,
    /// The account that owns the resource (authoritative even when the ARN has no account).
    pub resource_account: Option<String>,
    /// Condition keys.
    pub context: Context,
}
