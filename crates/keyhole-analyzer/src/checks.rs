//! Custom policy checks, answered exactly: Access Analyzer's `CheckNoNewAccess`,
//! `CheckAccessNotGranted` and `CheckNoPublicAccess` (IAM User Guide, "Custom policy checks";
//! API reference of the three actions).
//!
//! AWS answers these with a sound over-approximation (a FAIL means the policy *might* allow the
//! access); keyhole decides them exactly with the engine of `keyhole-logic` and proves every
//! FAIL with a `counterexample`: a concrete request that the concrete evaluator decides the way
//! the failure says. The result keeps AWS's response shape (`result`, `message`, `reasons` with
//! `description`, `statementIndex`, `statementId`) and AWS's messages. A question the engine
//! cannot decide exactly is a [`CheckError::Undecided`] carrying the reason, never a PASS.
//!
//! - [`check_no_new_access`]: PASS iff every request the new policy allows, the existing one
//!   allows too. Reasons name the new policy's `Allow` statements through which it allows a
//!   request the existing policy denies.
//! - [`check_access_not_granted`]: FAIL iff the policy allows a listed action (on any resource),
//!   any action on a listed resource, or a listed action on a listed resource, depending on what
//!   is listed.
//! - [`check_no_public_access`]: FAIL iff the resource policy grants public access for the
//!   resource type, by the same definition as the findings' `isPublic` (S3's), with no account
//!   context: no account is trusted, so access is public exactly when it is not pinned to fixed
//!   principals, accounts, organizations, networks or source resources.

use std::collections::BTreeSet;

use keyhole_logic::{Answer, Expr, PolicyKind, QueryOptions, Space, Witness};
use keyhole_policy::request::Request;
use keyhole_policy::{
    Decision, Effect, EvalOptions, Layer, Policy, PolicySet, evaluate, evaluate_policy,
    parse_policy,
};
use serde::Serialize;

use crate::search::{Access as ExternalAccess, SearchLimits, Target, external_access, is_public};
use crate::zone::Zone;

/// How the checked policies are used (Access Analyzer's `policyType` of the custom checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum PolicyType {
    /// `IDENTITY_POLICY`: attached to an IAM principal; the caller is that principal.
    #[serde(rename = "IDENTITY_POLICY")]
    Identity,
    /// `RESOURCE_POLICY`: attached to a resource (role trust policies included); the caller is
    /// any principal the policy names.
    #[serde(rename = "RESOURCE_POLICY")]
    Resource,
}

impl PolicyType {
    /// `IDENTITY_POLICY` or `RESOURCE_POLICY`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "IDENTITY_POLICY",
            PolicyType::Resource => "RESOURCE_POLICY",
        }
    }

    /// Reads AWS's spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<PolicyType> {
        match text {
            "IDENTITY_POLICY" => Some(PolicyType::Identity),
            "RESOURCE_POLICY" => Some(PolicyType::Resource),
            _ => None,
        }
    }

    fn kind(self) -> PolicyKind {
        match self {
            PolicyType::Identity => PolicyKind::Identity,
            PolicyType::Resource => PolicyKind::Resource,
        }
    }

    fn layer(self) -> Layer {
        match self {
            PolicyType::Identity => Layer::Identity,
            PolicyType::Resource => Layer::Resource,
        }
    }
}

/// `PASS` or `FAIL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckStatus {
    /// The policy does not grant the access the check looks for.
    Pass,
    /// It does; `counterexample` proves it.
    Fail,
}

impl CheckStatus {
    /// `PASS` or `FAIL`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "PASS",
            CheckStatus::Fail => "FAIL",
        }
    }
}

/// A statement of the checked policy that causes a FAIL (Access Analyzer's `ReasonSummary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonSummary {
    /// AWS's sentence, such as `New access in the statement with index: 0.`
    pub description: String,
    /// The statement's index, from 0.
    pub statement_index: usize,
    /// The statement's `Sid`, when it has a non-empty one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
}

/// The answer of a custom policy check, in AWS's response shape plus keyhole's
/// `counterexample`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// `PASS` or `FAIL`.
    pub result: CheckStatus,
    /// AWS's message for the result.
    pub message: String,
    /// The statements that cause a FAIL (empty on PASS).
    pub reasons: Vec<ReasonSummary>,
    /// keyhole: on FAIL, a request (in `keyhole simulate`'s request shape) that proves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<serde_json::Value>,
}

/// Why a check has no PASS/FAIL answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The input breaks a rule of the API (AWS answers `ValidationException`).
    #[error("{0}")]
    Invalid(String),
    /// The engine cannot decide the question exactly (a construct or a budget); the reason says
    /// which. Never reported as PASS.
    #[error("the check cannot be decided exactly: {0}")]
    Undecided(String),
}

/// AWS's FAIL message of CheckNoNewAccess.
pub const NO_NEW_ACCESS_FAIL: &str =
    "The modified permissions grant new access compared to your existing policy.";
/// keyhole's PASS message of CheckNoNewAccess (AWS's text is not documented).
pub const NO_NEW_ACCESS_PASS: &str =
    "The modified permissions do not grant new access compared to your existing policy.";
/// AWS's PASS message of CheckNoPublicAccess.
pub const NO_PUBLIC_ACCESS_PASS: &str =
    "The resource policy does not grant public access for the given resource type.";
/// AWS's FAIL message of CheckNoPublicAccess.
pub const NO_PUBLIC_ACCESS_FAIL: &str =
    "The resource policy grants public access for the given resource type.";

/// The most actions, and the most resources, one `access` entry lists.
pub const MAX_ACCESS_ITEMS: usize = 100;
/// The longest resource ARN of an `access` entry.
pub const MAX_RESOURCE_LENGTH: usize = 2048;

fn reason(description: String, index: usize, sid: Option<&str>) -> ReasonSummary {
    ReasonSummary {
        description,
        statement_index: index,
        statement_id: sid.filter(|s| !s.is_empty()).map(str::to_owned),
    }
}

fn sid_of(policy: &Policy, index: usize) -> Option<&str> {
    policy
        .statements
        .items
        .get(index)
        .and_then(|s| s.value.sid.as_ref())
        .map(|s| s.value.as_str())
}

/// The indices of the policy's `Allow` statements.
fn allow_statements(policy: &Policy) -> Vec<usize> {
    policy
        .statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.value.effect.as_ref().map(|e| e.value) == Some(Effect::Allow))
        .map(|(i, _)| i)
        .collect()
}

fn decide(answer: Answer) -> Result<Option<Witness>, CheckError> {
    match answer {
        Answer::Yes(w) => Ok(Some(w)),
        Answer::No => Ok(None),
        Answer::Unknown(reason) => Err(CheckError::Undecided(reason)),
    }
}

/// The query space of a check. Resource policies are read in *linked* mode: a caller's
/// `aws:PrincipalArn` and `aws:PrincipalAccount` are its own, as AWS sets them.
fn space(policy_type: PolicyType) -> Result<Space, CheckError> {
    let options = QueryOptions {
        kind: policy_type.kind(),
        ..QueryOptions::default()
    };
    Space::linked(&options).map_err(CheckError::Undecided)
}

/// Whether the concrete evaluator says `policy`, alone, allows `request`.
fn evaluator_allows(policy: &Policy, policy_type: PolicyType, request: &Request) -> bool {
    let options = EvalOptions {
        wildcard_only_action: Some(false),
        ..EvalOptions::default()
    };
    evaluate_policy(policy, policy_type.layer(), request, &options) == Decision::Allowed
}

fn unconfirmed() -> CheckError {
    // INVARIANT: never reached when the engine is exact; saying so beats a wrong answer.
    CheckError::Undecided(
        "internal: the concrete evaluator does not confirm the counterexample".to_owned(),
    )
}

/// CheckNoNewAccess: does `new` allow some request that `existing` does not?
///
/// PASS when every request `new` allows, `existing` allows too. On FAIL the reasons name the
/// `Allow` statements of `new` through which it allows such a request, and the counterexample is
/// one (allowed by `new` and not by `existing` under the concrete evaluator). Each document is
/// evaluated alone; for resource policies the caller ranges over every principal, and
/// `existing` may use `"Principal": "*"` as a reference does.
///
/// # Errors
/// [`CheckError::Undecided`] when the engine cannot decide exactly.
pub fn check_no_new_access(
    existing: &Policy,
    new: &Policy,
    policy_type: PolicyType,
) -> Result<CheckResult, CheckError> {
    let mut space = space(policy_type)?;
    let old = space.allowed(existing).map_err(CheckError::Undecided)?;
    let now = space.allowed(new).map_err(CheckError::Undecided)?;
    let gained = now.and(old.negate());
    let Some(witness) = decide(space.solve(&gained))? else {
        return Ok(CheckResult {
            result: CheckStatus::Pass,
            message: NO_NEW_ACCESS_PASS.to_owned(),
            reasons: Vec::new(),
            counterexample: None,
        });
    };
    let request = witness.to_request();
    if !evaluator_allows(new, policy_type, &request)
        || evaluator_allows(existing, policy_type, &request)
    {
        return Err(unconfirmed());
    }
    let mut reasons = Vec::new();
    for index in allow_statements(new) {
        let through = space.statement(new, index).map_err(CheckError::Undecided)?;
        if decide(space.solve(&gained.clone().and(through)))?.is_some() {
            reasons.push(reason(
                format!("New access in the statement with index: {index}."),
                index,
                sid_of(new, index),
            ));
        }
    }
    Ok(CheckResult {
        result: CheckStatus::Fail,
        message: NO_NEW_ACCESS_FAIL.to_owned(),
        reasons,
        counterexample: Some(keyhole_policy::scenario::request_to_json(&request)),
    })
}

/// The access CheckAccessNotGranted looks for (AWS's `Access`): actions, resources, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// Actions, as in a policy's `Action` element (wildcards allowed); at most 100.
    pub actions: Vec<String>,
    /// Resource ARNs, wildcards only in the resource part; at most 100, each at most 2,048
    /// characters.
    pub resources: Vec<String>,
}

impl Access {
    /// Checks the API's rules on the lists.
    ///
    /// # Errors
    /// The first rule broken ([`CheckError::Invalid`]).
    pub fn validate(&self) -> Result<(), CheckError> {
        let invalid = |m: String| Err(CheckError::Invalid(m));
        if self.actions.is_empty() && self.resources.is_empty() {
            return invalid("the access lists no action and no resource".to_owned());
        }
        for (what, list) in [("actions", &self.actions), ("resources", &self.resources)] {
            if list.len() > MAX_ACCESS_ITEMS {
                return invalid(format!(
                    "the access lists {} {what}; at most {MAX_ACCESS_ITEMS} are allowed",
                    list.len()
                ));
            }
        }
        for action in &self.actions {
            if !valid_action(action) {
                return invalid(format!(
                    "invalid action `{action}`: expected `service:action` (wildcards allowed) or `*`"
                ));
            }
        }
        for resource in &self.resources {
            if let Err(why) = valid_resource(resource) {
                return invalid(format!("invalid ARN `{resource}`: {why}"));
            }
        }
        Ok(())
    }
}

fn valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '?'))
        && !name.is_empty()
        && !name.contains(':')
        && !name.chars().any(char::is_whitespace)
}

fn valid_resource(resource: &str) -> Result<(), String> {
    if resource.chars().count() > MAX_RESOURCE_LENGTH {
        return Err(format!("longer than {MAX_RESOURCE_LENGTH} characters"));
    }
    let Some([arn, partition, service, region, account, id]) =
        keyhole_policy::arn::split_arn(resource)
    else {
        return Err("expected `arn:partition:service:region:account:resource`".to_owned());
    };
    if arn != "arn" || partition.is_empty() || service.is_empty() || id.is_empty() {
        return Err("expected `arn:partition:service:region:account:resource`".to_owned());
    }
    if [partition, service, region, account]
        .iter()
        .any(|f| f.contains(['*', '?']))
    {
        return Err("wildcards are allowed only in the resource part".to_owned());
    }
    Ok(())
}

/// CheckAccessNotGranted: does `policy` allow a listed action (on any resource), any action on
/// a listed resource, or — when both are listed — a listed action on a listed resource?
///
/// Reasons name the `Allow` statements through which it does; the counterexample is such a
/// request, allowed by the concrete evaluator.
///
/// # Errors
/// [`CheckError::Invalid`] for lists the API rejects, [`CheckError::Undecided`] when the engine
/// cannot decide exactly.
pub fn check_access_not_granted(
    policy: &Policy,
    access: &Access,
    policy_type: PolicyType,
) -> Result<CheckResult, CheckError> {
    access.validate()?;
    let mut space = space(policy_type)?;
    let allowed = space.allowed(policy).map_err(CheckError::Undecided)?;
    let actions = if access.actions.is_empty() {
        Expr::always()
    } else {
        Expr::any(
            access
                .actions
                .iter()
                .map(|a| space.action_like(a))
                .collect::<Vec<_>>(),
        )
    };
    let resources = if access.resources.is_empty() {
        Expr::always()
    } else {
        Expr::any(
            access
                .resources
                .iter()
                .map(|r| space.resource_like(r))
                .collect::<Vec<_>>(),
        )
    };
    let granted = Expr::all([allowed, actions, resources]);
    let (pass, fail, because) = match (access.actions.is_empty(), access.resources.is_empty()) {
        (false, true) => (
            "The policy document does not grant access to perform one or more of the listed actions.",
            "The policy document grants access to perform one or more of the listed actions.",
            "One or more of the listed actions in the statement with index",
        ),
        (true, false) => (
            "The policy document does not grant access to one or more of the listed resources.",
            "The policy document grants access to one or more of the listed resources.",
            "One or more of the listed resources in the statement with index",
        ),
        _ => (
            "The policy document does not grant access to one or more listed resources to perform one or more listed actions.",
            "The policy document grants access to one or more listed resources to perform one or more listed actions.",
            "One or more of the listed actions and/or resources in the statement with index",
        ),
    };
    let Some(witness) = decide(space.solve(&granted))? else {
        return Ok(CheckResult {
            result: CheckStatus::Pass,
            message: pass.to_owned(),
            reasons: Vec::new(),
            counterexample: None,
        });
    };
    let request = witness.to_request();
    if !evaluator_allows(policy, policy_type, &request) {
        return Err(unconfirmed());
    }
    let mut reasons = Vec::new();
    for index in allow_statements(policy) {
        let through = space
            .statement(policy, index)
            .map_err(CheckError::Undecided)?;
        if decide(space.solve(&granted.clone().and(through)))?.is_some() {
            reasons.push(reason(
                format!("{because}: {index}."),
                index,
                sid_of(policy, index),
            ));
        }
    }
    Ok(CheckResult {
        result: CheckStatus::Fail,
        message: fail.to_owned(),
        reasons,
        counterexample: Some(keyhole_policy::scenario::request_to_json(&request)),
    })
}

/// The resource types CheckNoPublicAccess accepts (AWS's `AccessCheckResourceType`), each with
/// the service whose actions reach it.
pub const ACCESS_CHECK_RESOURCE_TYPES: [(&str, &str); 26] = [
    ("AWS::DynamoDB::Table", "dynamodb"),
    ("AWS::DynamoDB::Stream", "dynamodb"),
    ("AWS::EFS::FileSystem", "elasticfilesystem"),
    ("AWS::OpenSearchService::Domain", "es"),
    ("AWS::Kinesis::Stream", "kinesis"),
    ("AWS::Kinesis::StreamConsumer", "kinesis"),
    ("AWS::KMS::Key", "kms"),
    ("AWS::Lambda::Function", "lambda"),
    ("AWS::S3::Bucket", "s3"),
    ("AWS::S3::AccessPoint", "s3"),
    ("AWS::S3Express::DirectoryBucket", "s3express"),
    ("AWS::S3::Glacier", "glacier"),
    ("AWS::S3Outposts::Bucket", "s3-outposts"),
    ("AWS::S3Outposts::AccessPoint", "s3-outposts"),
    ("AWS::SecretsManager::Secret", "secretsmanager"),
    ("AWS::SNS::Topic", "sns"),
    ("AWS::SQS::Queue", "sqs"),
    ("AWS::IAM::AssumeRolePolicyDocument", "sts"),
    ("AWS::S3Tables::TableBucket", "s3tables"),
    ("AWS::ApiGateway::RestApi", "execute-api"),
    ("AWS::CodeArtifact::Domain", "codeartifact"),
    ("AWS::Backup::BackupVault", "backup"),
    ("AWS::CloudTrail::Dashboard", "cloudtrail"),
    ("AWS::CloudTrail::EventDataStore", "cloudtrail"),
    ("AWS::S3Tables::Table", "s3tables"),
    ("AWS::S3Express::AccessPoint", "s3express"),
];

/// What the public-access search looks at for a resource type: the type's service actions on
/// any resource of that service (the check names no resource). A role trust policy has no
/// `Resource`, so any resource.
fn public_target(resource_type: &str) -> Result<Target, CheckError> {
    let Some((_, service)) = ACCESS_CHECK_RESOURCE_TYPES
        .iter()
        .find(|(t, _)| *t == resource_type)
    else {
        return Err(CheckError::Invalid(format!(
            "unsupported resource type `{resource_type}`: expected one of {}",
            ACCESS_CHECK_RESOURCE_TYPES
                .iter()
                .map(|(t, _)| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let resource_patterns = if *service == "sts" {
        vec!["*".to_owned()]
    } else {
        vec![format!("arn:*:{service}:*")]
    };
    Ok(Target {
        resource: String::new(),
        resource_patterns,
        action_patterns: vec![format!("{service}:*")],
        actions: crate::actions::of_service(service),
        requires: Vec::new(),
    })
}

/// The public classes of access `policy` grants on `target` with no account trusted.
fn public_access(policy: &Policy, target: &Target) -> Result<Vec<ExternalAccess>, CheckError> {
    let found = external_access(policy, target, &Zone::default(), &SearchLimits::default())
        .map_err(CheckError::Undecided)?;
    Ok(found
        .into_iter()
        .filter(|a| is_public(&a.principal, &a.condition))
        .collect())
}

/// CheckNoPublicAccess: does the resource policy grant public access for `resource_type`?
///
/// "Public" is the findings' `isPublic` (S3's definition, [`is_public`]) with no account
/// context: no account is trusted, so an external-access class is public when its principal is
/// `*` and no condition pins it to fixed accounts, organizations, principals, networks or source
/// resources. It agrees with `keyhole analyze`'s `isPublic` on a resource of the type holding
/// this policy, whatever its account (a grant pinned to an account is never public, whether that
/// account is the owner's or not). Block Public Access and other configuration outside the
/// policy are not considered, as AWS's check does not.
///
/// Reasons name each `Allow` statement that, with the policy's `Deny` statements, grants public
/// access on its own; the counterexample is a public request the concrete evaluator allows.
///
/// # Errors
/// [`CheckError::Invalid`] for an unsupported resource type or a statement AWS rejects in a
/// resource policy; [`CheckError::Undecided`] when the engine cannot decide exactly.
pub fn check_no_public_access(
    policy: &Policy,
    resource_type: &str,
) -> Result<CheckResult, CheckError> {
    let target = public_target(resource_type)?;
    crate::search::check_resource_policy(policy).map_err(CheckError::Invalid)?;
    let public = public_access(policy, &target)?;
    let Some(first) = public.first() else {
        return Ok(CheckResult {
            result: CheckStatus::Pass,
            message: NO_PUBLIC_ACCESS_PASS.to_owned(),
            reasons: Vec::new(),
            counterexample: None,
        });
    };
    let request = first.witness.to_request();
    let set = PolicySet {
        identity: vec![allow_all()],
        resource: Some(policy.clone()),
        ..PolicySet::default()
    };
    let evaluation = evaluate(&request, &set, &EvalOptions::default());
    if evaluation.decision != Decision::Allowed {
        return Err(unconfirmed());
    }
    let mut statements = BTreeSet::new();
    let denies: Vec<_> = policy
        .statements
        .iter()
        .filter(|s| s.value.effect.as_ref().map(|e| e.value) == Some(Effect::Deny))
        .cloned()
        .collect();
    for index in allow_statements(policy) {
        let Some(allow) = policy.statements.items.get(index) else {
            continue;
        };
        let mut alone = policy.clone();
        alone.statements.items = std::iter::once(allow.clone())
            .chain(denies.iter().cloned())
            .collect();
        if !public_access(&alone, &target)?.is_empty() {
            statements.insert(index);
        }
    }
    if statements.is_empty() {
        // Only the statements together grant it: name those that allow the counterexample.
        statements.extend(
            evaluation
                .matched
                .iter()
                .filter(|m| m.layer == Layer::Resource && m.effect == Effect::Allow)
                .map(|m| m.statement_index),
        );
    }
    let reasons = statements
        .into_iter()
        .map(|index| {
            let sid = sid_of(policy, index).filter(|s| !s.is_empty());
            let description = match sid {
                Some(sid) => {
                    format!("Public access granted in the following statement with sid: {sid}.")
                }
                None => {
                    format!("Public access granted in the following statement with index: {index}.")
                }
            };
            reason(description, index, sid)
        })
        .collect();
    Ok(CheckResult {
        result: CheckStatus::Fail,
        message: NO_PUBLIC_ACCESS_FAIL.to_owned(),
        reasons,
        counterexample: Some(keyhole_policy::scenario::request_to_json(&request)),
    })
}

/// An identity policy that allows everything: the public caller's own account is assumed to let
/// it act, as for findings.
fn allow_all() -> Policy {
    static ALLOW_ALL: std::sync::OnceLock<Option<Policy>> = std::sync::OnceLock::new();
    ALLOW_ALL
        .get_or_init(|| {
            parse_policy(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            )
            .ok()
        })
        .clone()
        .unwrap_or_default()
}
