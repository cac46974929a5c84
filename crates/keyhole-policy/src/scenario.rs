//! Simulation scenarios: a request and the policies that apply to it, as one JSON document (the
//! input of `keyhole simulate`).
//!
//! ```json
//! {"identityPolicies": [{…}], "resourcePolicy": {…}, "permissionBoundary": {…},
//!  "sessionPolicy": {…}, "scps": [[{…}], [{…}]], "rcps": [[{…}]], "vpcEndpointPolicy": {…},
//!  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
//!              "resource": "arn:aws:s3:::bucket/key", "resourceAccount": "444455556666",
//!              "context": {"aws:SourceIp": "203.0.113.9", "aws:TagKeys": ["a", "b"]}},
//!  "options": {"wildcardOnlyAction": false, "whatIf": false}}
//! ```
//! Every layer is optional. A policy may be a JSON object or a JSON string holding one (as AWS
//! APIs return them). `permissionBoundary` and `vpcEndpointPolicy` also accept an array of
//! documents that together form one policy. `principal` is an ARN, a 12-digit account id, a
//! service principal (`lambda.amazonaws.com`), `anonymous`, or an object
//! `{"type": "AWS"|"Service"|"Federated"|"CanonicalUser"|"Anonymous", "id": "…"}`. Context
//! values are strings (numbers and booleans are read as their text); an array makes the key
//! multivalued.

use crate::Policy;
use crate::err::PolicyError;
use crate::eval::{EvalOptions, KnownKey, PolicySet};
use crate::json::{Json, JsonKind, JsonLimits, Member, parse_json};
use crate::parse::{PolicyLimits, parse_policy_with, policy_from_json};
use crate::request::{Context, ContextValue, Request, RequestPrincipal};
use crate::span::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A parsed scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The policies.
    pub policies: PolicySet,
    /// The request.
    pub request: Request,
    /// Evaluation options.
    pub options: EvalOptions,
}

/// An error in a scenario file, located in it.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("{message}")]
pub struct ScenarioError {
    /// What is wrong.
    pub message: String,
    /// Where.
    #[label("here")]
    pub span: Span,
}

impl ScenarioError {
    fn new(message: impl Into<String>, span: Span) -> Self {
        ScenarioError {
            message: message.into(),
            span,
        }
    }
}

impl From<PolicyError> for ScenarioError {
    fn from(e: PolicyError) -> Self {
        ScenarioError::new(e.kind.to_string(), e.span)
    }
}

/// Reads a scenario document.
///
/// # Errors
/// The first problem, with its span in `text`.
pub fn parse_scenario(text: &str) -> Result<Scenario, ScenarioError> {
    let limits = JsonLimits {
        max_bytes: 16 << 20,
        max_depth: 40,
        max_values: 1_000_000,
    };
    let json = parse_json(text, limits).map_err(PolicyError::from)?;
    let members = object(&json, "the scenario")?;
    let mut policies = PolicySet::default();
    let mut request = None;
    let mut options = EvalOptions::default();
    for m in members {
        let v = &m.value;
        match m.key.as_str() {
            "identityPolicies" => policies.identity = policy_list(v, "identityPolicies")?,
            "resourcePolicy" => policies.resource = optional_policy(v)?,
            "permissionBoundary" => {
                policies.permission_boundary = one_or_many_policies(v, "permissionBoundary")?
            }
            "sessionPolicy" => policies.session = optional_policy(v)?,
            "scps" => policies.scps = levels(v, "scps")?,
            "rcps" => policies.rcps = levels(v, "rcps")?,
            "vpcEndpointPolicy" => {
                policies.vpc_endpoint = one_or_many_policies(v, "vpcEndpointPolicy")?
            }
            "request" => request = Some(parse_request(v)?),
            "options" => options = parse_options(v)?,
            other => {
                return Err(ScenarioError::new(
                    format!(
                        "unknown scenario field `{other}`; expected identityPolicies, resourcePolicy, permissionBoundary, sessionPolicy, scps, rcps, vpcEndpointPolicy, request or options"
                    ),
                    m.key_span,
                ));
            }
        }
    }
    let request = request.ok_or_else(|| {
        ScenarioError::new(
            "missing `request` in the scenario",
            Span::new(json.span.start, json.span.start + 1),
        )
    })?;
    Ok(Scenario {
        policies,
        request,
        options,
    })
}

fn object<'j>(json: &'j Json, what: &str) -> Result<&'j [Member], ScenarioError> {
    match &json.kind {
        JsonKind::Object(m) => Ok(m),
        _ => Err(ScenarioError::new(
            format!("{what} must be an object, found {}", json.type_name()),
            json.span,
        )),
    }
}

fn array<'j>(json: &'j Json, what: &str) -> Result<&'j [Json], ScenarioError> {
    match &json.kind {
        JsonKind::Array(items) => Ok(items),
        _ => Err(ScenarioError::new(
            format!("`{what}` must be an array, found {}", json.type_name()),
            json.span,
        )),
    }
}

/// A policy given as an object, or as a string holding the policy JSON.
pub fn policy_value(json: &Json) -> Result<Policy, ScenarioError> {
    match &json.kind {
        JsonKind::String(text) => parse_policy_with(text, PolicyLimits::default()).map_err(|e| {
            let at = e.span.location(text);
            ScenarioError::new(
                format!("in the policy string, at {at}: {}", e.kind),
                json.span,
            )
        }),
        _ => Ok(policy_from_json(json, PolicyLimits::default())?),
    }
}

fn optional_policy(json: &Json) -> Result<Option<Policy>, ScenarioError> {
    match json.kind {
        JsonKind::Null => Ok(None),
        _ => policy_value(json).map(Some),
    }
}

fn policy_list(json: &Json, what: &str) -> Result<Vec<Policy>, ScenarioError> {
    array(json, what)?.iter().map(policy_value).collect()
}

fn one_or_many_policies(json: &Json, what: &str) -> Result<Vec<Policy>, ScenarioError> {
    match json.kind {
        JsonKind::Null => Ok(Vec::new()),
        JsonKind::Array(_) => policy_list(json, what),
        _ => Ok(vec![policy_value(json)?]),
    }
}

fn levels(json: &Json, what: &str) -> Result<Vec<Vec<Policy>>, ScenarioError> {
    array(json, what)?
        .iter()
        .map(|level| policy_list(level, what))
        .collect()
}

fn string<'j>(json: &'j Json, what: &str) -> Result<&'j str, ScenarioError> {
    match &json.kind {
        JsonKind::String(s) => Ok(s),
        _ => Err(ScenarioError::new(
            format!("`{what}` must be a string, found {}", json.type_name()),
            json.span,
        )),
    }
}

fn scalar_text(json: &Json, what: &str) -> Result<String, ScenarioError> {
    match &json.kind {
        JsonKind::String(s) => Ok(s.clone()),
        JsonKind::Number(n) => Ok(n.clone()),
        JsonKind::Bool(b) => Ok(b.to_string()),
        _ => Err(ScenarioError::new(
            format!(
                "`{what}` values must be strings, numbers or booleans, found {}",
                json.type_name()
            ),
            json.span,
        )),
    }
}

fn parse_request(json: &Json) -> Result<Request, ScenarioError> {
    let members = object(json, "`request`")?;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut resource_account = None;
    let mut context = Context::new();
    for m in members {
        let v = &m.value;
        match m.key.as_str() {
            "principal" => principal = Some(parse_principal(v)?),
            "action" => {
                let a = string(v, "action")?;
                if !a.contains(':') {
                    return Err(ScenarioError::new(
                        format!("the action `{a}` must have the form `service:Action`"),
                        v.span,
                    ));
                }
                action = Some(a.to_owned());
            }
            "resource" => resource = Some(string(v, "resource")?.to_owned()),
            "resourceAccount" => {
                let a = string(v, "resourceAccount")?;
                if !crate::arn::is_account_id(a) && a != "aws" {
                    return Err(ScenarioError::new(
                        format!(
                            "`resourceAccount` must be a 12-digit account id (or `aws` for AWS-owned resources), found `{a}`"
                        ),
                        v.span,
                    ));
                }
                resource_account = Some(a.to_owned());
            }
            "context" => {
                for entry in object(v, "`context`")? {
                    let value = match &entry.value.kind {
                        JsonKind::Array(items) => ContextValue::Multi(
                            items
                                .iter()
                                .map(|i| scalar_text(i, &entry.key))
                                .collect::<Result<_, _>>()?,
                        ),
                        _ => ContextValue::Single(scalar_text(&entry.value, &entry.key)?),
                    };
                    context.insert(&entry.key, value);
                }
            }
            other => {
                return Err(ScenarioError::new(
                    format!(
                        "unknown request field `{other}`; expected principal, action, resource, resourceAccount or context"
                    ),
                    m.key_span,
                ));
            }
        }
    }
    let start = Span::new(json.span.start, json.span.start + 1);
    Ok(Request {
        principal: principal
            .ok_or_else(|| ScenarioError::new("missing `principal` in the request", start))?,
        action: action
            .ok_or_else(|| ScenarioError::new("missing `action` in the request", start))?,
        resource: resource.unwrap_or_else(|| "*".to_owned()),
        resource_account,
        context,
    })
}

fn parse_principal(json: &Json) -> Result<RequestPrincipal, ScenarioError> {
    match &json.kind {
        JsonKind::String(s) => RequestPrincipal::parse(s).ok_or_else(|| {
            ScenarioError::new(
                format!("cannot read the principal `{s}`; give an ARN, a 12-digit account id, a service principal such as `lambda.amazonaws.com`, `anonymous`, or an object with `type` and `id`"),
                json.span,
            )
        }),
        JsonKind::Object(members) => {
            let mut ty = None;
            let mut id = None;
            for m in members {
                match m.key.as_str() {
                    "type" => ty = Some((string(&m.value, "type")?, m.value.span)),
                    "id" => id = Some(string(&m.value, "id")?),
                    other => return Err(ScenarioError::new(format!("unknown principal field `{other}`; expected type and id"), m.key_span)),
                }
            }
            let Some((ty, ty_span)) = ty else {
                return Err(ScenarioError::new("missing `type` in the principal", json.span));
            };
            let need_id = || id.map(str::to_owned).ok_or_else(|| ScenarioError::new(format!("a `{ty}` principal needs an `id`"), json.span));
            match ty {
                "Anonymous" => Ok(RequestPrincipal::Anonymous),
                "AWS" => {
                    let id = need_id()?;
                    match RequestPrincipal::parse(&id) {
                        Some(p @ RequestPrincipal::Aws { .. }) => Ok(p),
                        _ => Err(ScenarioError::new(format!("`{id}` is not an IAM principal ARN or account id"), json.span)),
                    }
                }
                "Service" => Ok(RequestPrincipal::Service(need_id()?)),
                "Federated" => Ok(RequestPrincipal::Federated(need_id()?)),
                "CanonicalUser" => Ok(RequestPrincipal::CanonicalUser(need_id()?)),
                other => Err(ScenarioError::new(
                    format!("unknown principal type `{other}`; expected AWS, Service, Federated, CanonicalUser or Anonymous"),
                    ty_span,
                )),
            }
        }
        _ => Err(ScenarioError::new(format!("`principal` must be a string or an object, found {}", json.type_name()), json.span)),
    }
}

fn parse_options(json: &Json) -> Result<EvalOptions, ScenarioError> {
    let mut options = EvalOptions::default();
    for m in object(json, "`options`")? {
        if m.key == "knownKeys" {
            options.known_keys = known_keys(&m.value)?;
            continue;
        }
        let flag = match &m.value.kind {
            JsonKind::Bool(b) => *b,
            _ => {
                return Err(ScenarioError::new(
                    format!("`{}` must be true or false", m.key),
                    m.value.span,
                ));
            }
        };
        match m.key.as_str() {
            "wildcardOnlyAction" => options.wildcard_only_action = Some(flag),
            "whatIf" => options.what_if = flag,
            other => {
                return Err(ScenarioError::new(
                    format!(
                        "unknown option `{other}`; expected wildcardOnlyAction, whatIf or knownKeys"
                    ),
                    m.key_span,
                ));
            }
        }
    }
    Ok(options)
}

/// `"knownKeys": [{"key": "aws:SourceAccount", "presence": true, "value": true}, …]`.
fn known_keys(json: &Json) -> Result<Vec<KnownKey>, ScenarioError> {
    array(json, "knownKeys")?
        .iter()
        .map(|item| {
            let mut k = KnownKey { pattern: String::new(), presence_known: false, value_known: false };
            for m in object(item, "a `knownKeys` entry")? {
                match (m.key.as_str(), &m.value.kind) {
                    ("key", JsonKind::String(s)) => k.pattern = s.clone(),
                    ("presence", JsonKind::Bool(b)) => k.presence_known = *b,
                    ("value", JsonKind::Bool(b)) => k.value_known = *b,
                    _ => return Err(ScenarioError::new(format!("unexpected `{}` in a `knownKeys` entry; expected key (string), presence and value (booleans)", m.key), m.key_span)),
                }
            }
            if k.pattern.is_empty() {
                return Err(ScenarioError::new("a `knownKeys` entry needs a `key`", item.span));
            }
            Ok(k)
        })
        .collect()
}

/// A policy-kind rule that a scenario's policy breaks (AWS would reject that policy).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioWarning {
    /// Which policy: `identityPolicies[0]`, `resourcePolicy`, `scps[1][0]`, …
    pub policy: String,
    /// The rule broken.
    pub message: String,
    /// Where, in the scenario text.
    #[serde(skip)]
    pub span: Span,
}

impl Scenario {
    /// Checks every policy against the rules of its layer's kind.
    #[must_use]
    pub fn warnings(&self) -> Vec<ScenarioWarning> {
        use crate::kind::{PolicyKind, check_kind};
        let p = &self.policies;
        let assume = self
            .request
            .action
            .to_ascii_lowercase()
            .starts_with("sts:assumerole");
        let mut named: Vec<(String, &Policy, PolicyKind)> = Vec::new();
        named.extend(
            p.identity
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("identityPolicies[{i}]"), x, PolicyKind::Identity)),
        );
        if let Some(r) = &p.resource {
            named.push((
                "resourcePolicy".to_owned(),
                r,
                if assume {
                    PolicyKind::RoleTrust
                } else {
                    PolicyKind::Resource
                },
            ));
        }
        named.extend(p.permission_boundary.iter().enumerate().map(|(i, x)| {
            (
                format!("permissionBoundary[{i}]"),
                x,
                PolicyKind::PermissionBoundary,
            )
        }));
        if let Some(s) = &p.session {
            named.push(("sessionPolicy".to_owned(), s, PolicyKind::Session));
        }
        for (l, level) in p.scps.iter().enumerate() {
            named.extend(
                level
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (format!("scps[{l}][{i}]"), x, PolicyKind::ServiceControl)),
            );
        }
        for (l, level) in p.rcps.iter().enumerate() {
            named.extend(
                level
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (format!("rcps[{l}][{i}]"), x, PolicyKind::ResourceControl)),
            );
        }
        named.extend(p.vpc_endpoint.iter().enumerate().map(|(i, x)| {
            (
                format!("vpcEndpointPolicy[{i}]"),
                x,
                PolicyKind::VpcEndpoint,
            )
        }));
        named
            .into_iter()
            .flat_map(|(name, policy, kind)| {
                check_kind(policy, kind)
                    .into_iter()
                    .map(move |issue| ScenarioWarning {
                        policy: name.clone(),
                        message: issue.message,
                        span: issue.span,
                    })
            })
            .collect()
    }
}

/// A request in the scenario's `request` shape, so that a witness can be pasted into a scenario
/// and simulated. [`parse_scenario`] reads it back to the same request.
#[must_use]
pub fn request_to_json(request: &Request) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let principal = match &request.principal {
        RequestPrincipal::Aws { arn } => Value::String(arn.to_string()),
        RequestPrincipal::Service(s) => json!({"type": "Service", "id": s}),
        RequestPrincipal::Federated(s) => json!({"type": "Federated", "id": s}),
        RequestPrincipal::CanonicalUser(s) => json!({"type": "CanonicalUser", "id": s}),
        RequestPrincipal::Anonymous => Value::String("anonymous".to_owned()),
    };
    let context: Map<String, Value> = request
        .context
        .iter()
        .map(|(k, v)| {
            let v = match v {
                ContextValue::Single(s) => Value::String(s.clone()),
                ContextValue::Multi(vs) => {
                    Value::Array(vs.iter().cloned().map(Value::String).collect())
                }
            };
            (k.to_owned(), v)
        })
        .collect();
    let mut out = Map::new();
    out.insert("principal".into(), principal);
    out.insert("action".into(), Value::String(request.action.clone()));
    out.insert("resource".into(), Value::String(request.resource.clone()));
    if let Some(a) = &request.resource_account {
        out.insert("resourceAccount".into(), Value::String(a.clone()));
    }
    out.insert("context".into(), Value::Object(context));
    Value::Object(out)
}
