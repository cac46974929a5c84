//! The document and statement grammar (IAM User Guide, "Grammar of the IAM JSON policy
//! language"), the per-policy-type element rules, `Sid`s, size quotas and redundant statements.
//! Every statement is read as far as it goes, so that one broken element does not hide the rest.

use std::collections::{BTreeMap, HashMap};

use keyhole_policy::json::{Json, JsonKind, Member};

use super::ctx::{Ctx, Path, index, key, member, strings};
use super::{
    IssueCode, PolicyType, ValidateResourceType, action, condition, principal, resource, variable,
};

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// An element that has a negated form (`Principal`/`NotPrincipal`, …).
#[derive(Clone, Debug)]
pub(crate) struct Element<'j> {
    /// The member (its key says which form).
    pub member: &'j Member,
    /// Whether it is the `Not…` form.
    pub negated: bool,
    /// The path to it.
    pub path: Path,
}

/// One statement, as far as it could be read.
pub(crate) struct Statement<'j> {
    /// `[Statement]` or `[Statement, i]`.
    pub path: Path,
    /// The statement object.
    pub json: &'j Json,
    /// `Effect`, when valid.
    pub effect: Option<Effect>,
    /// `Principal` or `NotPrincipal`.
    pub principal: Option<Element<'j>>,
    /// `Action` or `NotAction`.
    pub action: Option<Element<'j>>,
    /// `Resource` or `NotResource`.
    pub resource: Option<Element<'j>>,
    /// `Condition`.
    pub condition: Option<&'j Member>,
}

impl Statement<'_> {
    /// Whether the statement allows.
    pub(crate) fn allows(&self) -> bool {
        self.effect == Some(Effect::Allow)
    }
}

/// The JSON type names AWS's messages use.
pub(crate) const STRING: &str = "String";
const OBJECT: &str = "Object";

/// Reports a `DATA_TYPE_MISMATCH` for `json` at `path`.
pub(crate) fn type_mismatch(
    cx: &mut Ctx<'_>,
    json: &Json,
    path: &[super::PathElement],
    expected: &str,
) {
    cx.report_at(
        IssueCode::DATA_TYPE_MISMATCH,
        format!("The text does not match the expected JSON data type {expected}."),
        path,
        json.span,
    );
}

/// Checks a string-or-array-of-strings element; reports wrong types. Returns whether the
/// element is an empty array.
pub(crate) fn string_list(cx: &mut Ctx<'_>, json: &Json, path: &[super::PathElement]) -> bool {
    match &json.kind {
        JsonKind::String(_) => false,
        JsonKind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if !matches!(item.kind, JsonKind::String(_)) {
                    type_mismatch(cx, item, &index(path, i), STRING);
                }
            }
            items.is_empty()
        }
        _ => {
            type_mismatch(cx, json, path, "Array of String");
            false
        }
    }
}

/// Validates a whole policy document.
pub(crate) fn check_policy(cx: &mut Ctx<'_>, json: &Json) {
    let JsonKind::Object(members) = &json.kind else {
        type_mismatch(cx, json, &[], OBJECT);
        return;
    };
    size_quotas(cx, json);
    for m in members {
        let path = key(&[], &m.key);
        match m.key.as_str() {
            "Version" | "Statement" => {}
            "Id" => {
                if !matches!(m.value.kind, JsonKind::String(_)) {
                    type_mismatch(cx, &m.value, &path, STRING);
                }
            }
            other => cx.report_at(
                IssueCode::INVALID_POLICY_ELEMENT,
                format!("The policy element {other} is not valid."),
                &path,
                m.value.span,
            ),
        }
    }
    version(cx, json, member(members, "Version"));
    let statements = match member(members, "Statement") {
        None => {
            cx.report_at(
                IssueCode::MISSING_STATEMENT,
                "Add a statement to the policy".to_owned(),
                &[],
                json.span,
            );
            Vec::new()
        }
        Some(m) => statements(cx, m),
    };
    sids(cx, &statements);
    for s in &statements {
        principal::check(cx, s);
        action::check(cx, s);
        resource::check(cx, s);
        condition::check(cx, s);
        scp_rules(cx, s);
        variable::check(cx, s);
    }
    redundant_statements(cx, &statements);
}

fn version(cx: &mut Ctx<'_>, root: &Json, version: Option<&Member>) {
    let Some(m) = version else {
        cx.report_at(
            IssueCode::MISSING_VERSION,
            "We recommend that you specify the Version element to help you with debugging permission issues."
                .to_owned(),
            &[],
            root.span,
        );
        return;
    };
    let path = key(&[], "Version");
    match &m.value.kind {
        JsonKind::String(v) if v == keyhole_policy::VERSION_2012 => cx.version_2012 = true,
        JsonKind::String(v) if v == keyhole_policy::VERSION_2008 => {}
        JsonKind::String(v) => cx.report_at(
            IssueCode::INVALID_VERSION,
            format!(
                "The version {v} is not valid. Use one of the following versions: {}, {}",
                keyhole_policy::VERSION_2012,
                keyhole_policy::VERSION_2008
            ),
            &path,
            m.value.span,
        ),
        _ => type_mismatch(cx, &m.value, &path, STRING),
    }
}

fn statements<'j>(cx: &mut Ctx<'_>, m: &'j Member) -> Vec<Statement<'j>> {
    let path = key(&[], "Statement");
    match &m.value.kind {
        JsonKind::Object(_) => statement(cx, &m.value, path).into_iter().collect(),
        JsonKind::Array(items) => {
            if items.is_empty() {
                cx.report_at(
                    IssueCode::MISSING_STATEMENT,
                    "Add a statement to the policy".to_owned(),
                    &path,
                    m.value.span,
                );
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| statement(cx, item, index(&path, i)))
                .collect()
        }
        _ => {
            type_mismatch(cx, &m.value, &path, "Array of Object");
            Vec::new()
        }
    }
}

/// Reads one statement and checks its grammar.
fn statement<'j>(cx: &mut Ctx<'_>, json: &'j Json, path: Path) -> Option<Statement<'j>> {
    let JsonKind::Object(members) = &json.kind else {
        type_mismatch(cx, json, &path, OBJECT);
        return None;
    };
    for m in members {
        if !matches!(
            m.key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            cx.report_at(
                IssueCode::INVALID_POLICY_ELEMENT,
                format!("The policy element {} is not valid.", m.key),
                &key(&path, &m.key),
                m.value.span,
            );
        }
    }
    let mut s = Statement {
        effect: effect(cx, members, json, &path),
        principal: pair(cx, members, &path, "Principal", "NotPrincipal"),
        action: pair(cx, members, &path, "Action", "NotAction"),
        resource: pair(cx, members, &path, "Resource", "NotResource"),
        condition: member(members, "Condition"),
        path,
        json,
    };
    if let Some(m) = member(members, "Sid") {
        sid(cx, m, &key(&s.path, "Sid"));
    }
    match &s.action {
        None => cx.report_at(
            IssueCode::MISSING_ACTION,
            "Add an Action or NotAction element to the policy statement.".to_owned(),
            &s.path,
            json.span,
        ),
        Some(a) => {
            if string_list(cx, &a.member.value, &a.path) {
                cx.report_at(
                    IssueCode::EMPTY_ARRAY_ACTION,
                    "This statement includes no actions and does not affect the policy. Specify actions."
                        .to_owned(),
                    &a.path,
                    a.member.value.span,
                );
            }
        }
    }
    match &s.resource {
        None if !cx.is_trust() => cx.report_at(
            IssueCode::MISSING_RESOURCE,
            "Add a Resource or NotResource element to the policy statement.".to_owned(),
            &s.path,
            json.span,
        ),
        None => {}
        Some(r) if string_list(cx, &r.member.value, &r.path) => {
            cx.report_at(
                IssueCode::EMPTY_ARRAY_RESOURCE,
                "This statement includes no resources and does not affect the policy. Specify resources."
                    .to_owned(),
                &r.path,
                r.member.value.span,
            );
        }
        Some(_) => {}
    }
    if s.principal.is_none() && cx.is_principal_based() {
        cx.report_at(
            IssueCode::MISSING_PRINCIPAL,
            "Add a Principal element to the policy statement.".to_owned(),
            &s.path,
            json.span,
        );
    }
    // A wrongly typed Condition is reported once, here, and then ignored.
    if let Some(c) = s.condition
        && !matches!(c.value.kind, JsonKind::Object(_))
    {
        type_mismatch(cx, &c.value, &key(&s.path, "Condition"), OBJECT);
        s.condition = None;
    }
    Some(s)
}

fn effect(
    cx: &mut Ctx<'_>,
    members: &[Member],
    statement: &Json,
    path: &[super::PathElement],
) -> Option<Effect> {
    let Some(m) = member(members, "Effect") else {
        cx.report_at(
            IssueCode::MISSING_EFFECT,
            "Add an Effect element to the policy statement with a value of Allow or Deny."
                .to_owned(),
            path,
            statement.span,
        );
        return None;
    };
    let path = key(path, "Effect");
    match &m.value.kind {
        JsonKind::String(e) if e == "Allow" => Some(Effect::Allow),
        JsonKind::String(e) if e == "Deny" => Some(Effect::Deny),
        JsonKind::String(e) => {
            cx.report_at(
                IssueCode::INVALID_EFFECT,
                format!("The effect {e} is not valid. Use Allow or Deny."),
                &path,
                m.value.span,
            );
            None
        }
        _ => {
            type_mismatch(cx, &m.value, &path, STRING);
            None
        }
    }
}

/// The element `name` or `not_name`; both at once is an error reported at the second.
fn pair<'j>(
    cx: &mut Ctx<'_>,
    members: &'j [Member],
    path: &[super::PathElement],
    name: &str,
    not_name: &str,
) -> Option<Element<'j>> {
    let positive = member(members, name);
    let negative = member(members, not_name);
    if let (Some(p), Some(n)) = (positive, negative) {
        let later = if p.key_span.start > n.key_span.start {
            p
        } else {
            n
        };
        cx.report_at(
            IssueCode::UNSUPPORTED_ELEMENT_COMBINATION,
            format!(
                "The policy elements {name} and {not_name} can not be used in the same statement. Remove one of these elements."
            ),
            &key(path, &later.key),
            later.value.span,
        );
    }
    positive
        .map(|m| (m, false))
        .or(negative.map(|m| (m, true)))
        .map(|(member, negated)| Element {
            member,
            negated,
            path: key(path, &member.key),
        })
}

/// Whether `Sid`s are IAM's (letters and digits only, unique).
fn iam_sids(cx: &Ctx<'_>) -> bool {
    match cx.policy_type {
        PolicyType::ResourcePolicy => cx.is_trust(),
        _ => true,
    }
}

fn sid(cx: &mut Ctx<'_>, m: &Member, path: &[super::PathElement]) {
    match &m.value.kind {
        JsonKind::String(s) if s.is_empty() => cx.report_at(
            IssueCode::EMPTY_SID_VALUE,
            "Add a value to the empty string in the Sid element.".to_owned(),
            path,
            m.value.span,
        ),
        JsonKind::String(s) => {
            if iam_sids(cx) && !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                cx.report_at(
                    IssueCode::UNSUPPORTED_SID,
                    "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9]"
                        .to_owned(),
                    path,
                    m.value.span,
                );
            }
        }
        _ => type_mismatch(cx, &m.value, path, STRING),
    }
}

/// Repeated `Sid`s: each repetition after the first is reported.
fn sids(cx: &mut Ctx<'_>, statements: &[Statement<'_>]) {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let required = iam_sids(cx);
    for s in statements {
        let JsonKind::Object(members) = &s.json.kind else {
            continue;
        };
        let Some(m) = member(members, "Sid") else {
            continue;
        };
        let JsonKind::String(sid) = &m.value.kind else {
            continue;
        };
        if sid.is_empty() || seen.insert(sid, ()).is_none() {
            continue;
        }
        let (code, details) = if required {
            (
                IssueCode::UNIQUE_SIDS_REQUIRED,
                "Duplicate statement IDs are not supported for this policy type. Update the Sid value.",
            )
        } else {
            (
                IssueCode::UNIQUE_SIDS_RECOMMENDED,
                "We recommend that you use statement IDs that are unique to your policy. Update the Sid value.",
            )
        };
        cx.report_at(code, details.to_owned(), &key(&s.path, "Sid"), m.value.span);
    }
}

/// The element rules of service control policies (Organizations User Guide, "SCP syntax").
fn scp_rules(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    if cx.policy_type != PolicyType::ServiceControlPolicy {
        return;
    }
    if let Some(r) = &s.resource {
        if r.negated {
            cx.report_at(
                IssueCode::SCP_SYNTAX_ERROR_NOTRESOURCE,
                "SCPs do not support the NotResource element. Update the policy to use Resource instead."
                    .to_owned(),
                &r.path,
                r.member.value.span,
            );
        } else if s.allows() {
            for v in strings(&r.member.value, &r.path) {
                if v.text != "*" {
                    cx.report_at(
                        IssueCode::SCP_SYNTAX_ERROR_ALLOW_RESOURCE,
                        "SCPs do not support Resource with effect Allow. Update the element Resource or the effect."
                            .to_owned(),
                        &v.path,
                        v.json.span,
                    );
                }
            }
        }
    }
    if !s.allows() {
        return;
    }
    if let Some(a) = &s.action
        && a.negated
    {
        cx.report_at(
            IssueCode::SCP_SYNTAX_ERROR_ALLOW_NOTACTION,
            "SCPs do not support NotAction with effect Allow. Update the element NotAction or the effect."
                .to_owned(),
            &a.path,
            a.member.value.span,
        );
    }
    if let Some(c) = s.condition {
        cx.report_at(
            IssueCode::SCP_SYNTAX_ERROR_ALLOW_CONDITION,
            "SCPs do not support the Condition element with effect Allow. Update the element Condition or the effect."
                .to_owned(),
            &key(&s.path, "Condition"),
            c.value.span,
        );
    }
}

/// IAM's quotas on policy size (IAM and STS quotas; Organizations quotas; S3 and DynamoDB
/// resource policy limits).
fn size_quotas(cx: &mut Ctx<'_>, root: &Json) {
    let without_whitespace = || cx.text.chars().filter(|c| !c.is_whitespace()).count();
    let finding = match (cx.policy_type, cx.resource_type) {
        (PolicyType::IdentityPolicy, _) => {
            let n = without_whitespace();
            (n > 6144).then(|| (IssueCode::POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA, format!(
                "The {n} characters in the identity policy, excluding whitespace, exceed the 6144 character maximum for inline and managed policies. We recommend that you use multiple granular policies."
            )))
        }
        (PolicyType::ServiceControlPolicy, _) => {
            let n = without_whitespace();
            (n > 5120).then(|| (IssueCode::POLICY_SIZE_EXCEEDS_SCP_QUOTA, format!(
                "The {n} characters in the service control policy (SCP) exceed the 5120 character maximum for SCPs. We recommend that you use multiple granular policies."
            )))
        }
        (_, Some(ValidateResourceType::IamAssumeRolePolicyDocument)) => {
            (without_whitespace() > 2048).then(|| (IssueCode::POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA,
                "The characters in the role trust policy, excluding whitespace, exceed the character maximum. We recommend that you request a role trust policy length quota increase using Service Quotas and AWS Support Center. If the quotas have already been increased, then you can ignore this warning.".to_owned()))
        }
        (_, Some(_)) => {
            let n = cx.text.chars().count();
            (n > 20480).then(|| (IssueCode::POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA, format!(
                "The {n} characters in the resource policy exceed the 20480 character maximum for resource policies. We recommend that you use multiple granular policies."
            )))
        }
        _ => None,
    };
    if let Some((code, details)) = finding {
        cx.report_at(code, details, &[], root.span);
    }
}

/// A statement that repeats an earlier one (ignoring `Sid`, the order of values, repeated
/// values, and whether a single value is written as an array).
fn redundant_statements(cx: &mut Ctx<'_>, statements: &[Statement<'_>]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, s) in statements.iter().enumerate() {
        let mut value = s.json.to_value();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("Sid");
        }
        let canonical = normalize(&value).to_string();
        match seen.get(&canonical) {
            None => {
                seen.insert(canonical, i);
            }
            Some(&first) => {
                let Some(earlier) = statements.get(first) else {
                    continue;
                };
                let locations = vec![
                    cx.loc(&earlier.path, earlier.json.span),
                    cx.loc(&s.path, s.json.span),
                ];
                cx.report(
                    IssueCode::REDUNDANT_STATEMENT,
                    "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement."
                        .to_owned(),
                    locations,
                );
            }
        }
    }
}

/// A canonical form: object keys sorted, every scalar in an array, arrays sorted and deduplicated.
fn normalize(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, normalize(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .flat_map(|v| match normalize(v) {
                    Value::Array(inner) => inner,
                    other => vec![other],
                })
                .collect();
            out.sort_by_key(Value::to_string);
            out.dedup();
            Value::Array(out)
        }
        scalar => Value::Array(vec![scalar.clone()]),
    }
}
