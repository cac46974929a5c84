//! From JSON text to the typed [`Policy`], with a located error for the first problem.
//!
//! The grammar follows the AWS IAM User Guide, "Grammar of the IAM JSON policy language": a
//! policy is an object with `Version`, `Id` and `Statement`; a statement has `Sid`, `Effect`,
//! one of `Principal`/`NotPrincipal`, one of `Action`/`NotAction`, one of
//! `Resource`/`NotResource`, and `Condition`. Element names are case-sensitive. Unknown
//! elements and duplicate keys are errors (IAM rejects them as malformed), reported at the key.

use crate::ast::{
    ActionElement, ConditionClause, ConditionEntry, ConditionValue, Effect, ListForm, OneOrMany,
    Policy, Principal, PrincipalElement, PrincipalType, ResourceElement, Statement, ValueJsonType,
};
use crate::condition::ConditionOperator;
use crate::err::{PolicyError, PolicyErrorKind};
use crate::json::{Json, JsonKind, JsonLimits, Member, parse_json};
use crate::span::{Span, Spanned};

/// Bounds on a policy beyond those of its JSON.
#[derive(Clone, Copy, Debug)]
pub struct PolicyLimits {
    /// Bounds on the JSON text.
    pub json: JsonLimits,
    /// Most statements in one policy.
    pub max_statements: usize,
    /// Most values in one element (actions, resources, principals, condition values).
    pub max_values_per_element: usize,
}

impl Default for PolicyLimits {
    fn default() -> Self {
        PolicyLimits {
            json: JsonLimits::default(),
            max_statements: 10_000,
            max_values_per_element: 10_000,
        }
    }
}

/// Parses a policy document with the default limits.
///
/// # Errors
/// The first JSON or grammar problem, with its span.
pub fn parse_policy(text: &str) -> Result<Policy, PolicyError> {
    parse_policy_with(text, PolicyLimits::default())
}

/// Parses a policy document.
///
/// # Errors
/// The first JSON or grammar problem, with its span.
pub fn parse_policy_with(text: &str, limits: PolicyLimits) -> Result<Policy, PolicyError> {
    let json = parse_json(text, limits.json)?;
    policy_from_json(&json, limits)
}

/// Builds a policy from a JSON value read as part of a larger document, exactly as
/// [`parse_policy_with`] would from the value's own text: spans are relative to the value's
/// start. `None` when the value, read on its own, would pass one of `limits.json` (then parse
/// its text with [`parse_policy_with`] for the error). Saves reading the text twice.
#[must_use]
pub fn policy_from_value(json: &Json, limits: PolicyLimits) -> Option<Result<Policy, PolicyError>> {
    if json.span.end.saturating_sub(json.span.start) > limits.json.max_bytes
        || !within(json, 1, &mut 0, limits.json)
    {
        return None;
    }
    let origin = json.span.start;
    let shift = |span: &mut Span| {
        span.start = span.start.saturating_sub(origin);
        span.end = span.end.saturating_sub(origin);
    };
    Some(match policy_from_json(json, limits) {
        Ok(mut policy) => {
            shift_spans(&mut policy, &shift);
            Ok(policy)
        }
        Err(mut e) => {
            shift(&mut e.span);
            Err(e)
        }
    })
}

/// Whether a value at nesting `depth` (1 for an array or object at the top) and the values
/// counted so far stay within `limits`, counted as [`parse_json`] counts them.
fn within(json: &Json, depth: usize, values: &mut usize, limits: JsonLimits) -> bool {
    *values += 1;
    if *values > limits.max_values {
        return false;
    }
    match &json.kind {
        JsonKind::Array(items) => {
            depth <= limits.max_depth
                && items
                    .iter()
                    .all(|item| within(item, depth + 1, values, limits))
        }
        JsonKind::Object(members) => {
            depth <= limits.max_depth
                && members
                    .iter()
                    .all(|m| within(&m.value, depth + 1, values, limits))
        }
        JsonKind::Null | JsonKind::Bool(_) | JsonKind::Number(_) | JsonKind::String(_) => true,
    }
}

/// Applies `shift` to every span of a policy.
fn shift_spans(policy: &mut Policy, shift: &impl Fn(&mut Span)) {
    fn text<T>(value: &mut Spanned<T>, shift: &impl Fn(&mut Span)) {
        shift(&mut value.span);
    }
    fn list<T>(values: &mut OneOrMany<Spanned<T>>, shift: &impl Fn(&mut Span)) {
        values.items.iter_mut().for_each(|v| text(v, shift));
    }
    policy.version.iter_mut().for_each(|v| text(v, shift));
    policy.id.iter_mut().for_each(|v| text(v, shift));
    for statement in &mut policy.statements.items {
        shift(&mut statement.span);
        let s = &mut statement.value;
        s.sid.iter_mut().for_each(|v| text(v, shift));
        s.effect.iter_mut().for_each(|v| text(v, shift));
        if let Some(principal) = &mut s.principal {
            shift(&mut principal.span);
            match &mut principal.value.principal {
                Principal::Wildcard => {}
                Principal::AwsShorthand(value) => text(value, shift),
                Principal::Typed(entries) => {
                    for (kind, values) in entries {
                        text(kind, shift);
                        list(values, shift);
                    }
                }
            }
        }
        if let Some(action) = &mut s.action {
            shift(&mut action.span);
            list(&mut action.value.values, shift);
        }
        if let Some(resource) = &mut s.resource {
            shift(&mut resource.span);
            list(&mut resource.value.values, shift);
        }
        if let Some(condition) = &mut s.condition {
            shift(&mut condition.span);
            for clause in &mut condition.value {
                text(&mut clause.operator, shift);
                for entry in &mut clause.entries {
                    text(&mut entry.key, shift);
                    list(&mut entry.values, shift);
                }
            }
        }
    }
}

/// Builds a policy from an already-read JSON value (spans refer to that value's source text).
///
/// # Errors
/// The first grammar problem, with its span.
pub fn policy_from_json(json: &Json, limits: PolicyLimits) -> Result<Policy, PolicyError> {
    let members = object(json, "policy")?;
    check_duplicates(members)?;
    let mut policy = Policy::default();
    let mut saw_statement = false;
    for m in members {
        match m.key.as_str() {
            "Version" => {
                let v = string(&m.value, "Version")?;
                if v.value != crate::VERSION_2012 && v.value != crate::VERSION_2008 {
                    return Err(PolicyError::new(
                        PolicyErrorKind::InvalidVersion { value: v.value },
                        m.value.span,
                    ));
                }
                policy.version = Some(v);
            }
            "Id" => policy.id = Some(string(&m.value, "Id")?),
            "Statement" => {
                saw_statement = true;
                policy.statements = statements(&m.value, limits)?;
            }
            other => {
                return Err(PolicyError::new(
                    PolicyErrorKind::UnknownElement {
                        element: other.to_owned(),
                        context: "the policy",
                    },
                    m.key_span,
                ));
            }
        }
    }
    if !saw_statement {
        return Err(PolicyError::new(
            PolicyErrorKind::MissingElement {
                element: "Statement",
                context: "the policy",
            },
            Span::new(json.span.start, json.span.start + 1),
        ));
    }
    Ok(policy)
}

fn statements(
    json: &Json,
    limits: PolicyLimits,
) -> Result<OneOrMany<Spanned<Statement>>, PolicyError> {
    match &json.kind {
        JsonKind::Object(_) => Ok(OneOrMany {
            items: vec![Spanned::new(statement(json, limits)?, json.span)],
            form: ListForm::Single,
        }),
        JsonKind::Array(items) => {
            if items.len() > limits.max_statements {
                return Err(PolicyError::new(
                    PolicyErrorKind::TooMany {
                        what: "statements",
                        limit: limits.max_statements,
                    },
                    json.span,
                ));
            }
            let items = items
                .iter()
                .map(|s| Ok(Spanned::new(statement(s, limits)?, s.span)))
                .collect::<Result<Vec<_>, PolicyError>>()?;
            Ok(OneOrMany {
                items,
                form: ListForm::Array,
            })
        }
        _ => Err(wrong_type(
            json,
            "Statement",
            "an object or an array of objects",
        )),
    }
}

fn statement(json: &Json, limits: PolicyLimits) -> Result<Statement, PolicyError> {
    let members = object(json, "Statement")?;
    check_duplicates(members)?;
    let mut st = Statement::default();
    let mut first_of: [Option<&'static str>; 3] = [None; 3];
    for m in members {
        let key = m.key.as_str();
        let span = m.value.span;
        match key {
            "Sid" => st.sid = Some(string(&m.value, "Sid")?),
            "Effect" => {
                let v = string(&m.value, "Effect")?;
                let effect = match v.value.as_str() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    _ => {
                        return Err(PolicyError::new(
                            PolicyErrorKind::InvalidEffect { value: v.value },
                            span,
                        ));
                    }
                };
                st.effect = Some(Spanned::new(effect, span));
            }
            "Principal" | "NotPrincipal" => {
                exclusive(&mut first_of[0], key, m)?;
                st.principal = Some(Spanned::new(
                    PrincipalElement {
                        negated: key == "NotPrincipal",
                        principal: principal(&m.value, key, limits)?,
                    },
                    span,
                ));
            }
            "Action" | "NotAction" => {
                exclusive(&mut first_of[1], key, m)?;
                st.action = Some(Spanned::new(
                    ActionElement {
                        negated: key == "NotAction",
                        values: string_list(&m.value, key, limits)?,
                    },
                    span,
                ));
            }
            "Resource" | "NotResource" => {
                exclusive(&mut first_of[2], key, m)?;
                st.resource = Some(Spanned::new(
                    ResourceElement {
                        negated: key == "NotResource",
                        values: string_list(&m.value, key, limits)?,
                    },
                    span,
                ));
            }
            "Condition" => st.condition = Some(Spanned::new(condition(&m.value, limits)?, span)),
            other => {
                return Err(PolicyError::new(
                    PolicyErrorKind::UnknownElement {
                        element: other.to_owned(),
                        context: "a statement",
                    },
                    m.key_span,
                ));
            }
        }
    }
    let start = Span::new(json.span.start, json.span.start + 1);
    if st.effect.is_none() {
        return Err(PolicyError::new(
            PolicyErrorKind::MissingElement {
                element: "Effect",
                context: "a statement",
            },
            start,
        ));
    }
    if st.action.is_none() {
        return Err(PolicyError::new(
            PolicyErrorKind::MissingElement {
                element: "Action",
                context: "a statement",
            },
            start,
        ));
    }
    Ok(st)
}

/// Records which of two exclusive elements (`Action`/`NotAction`, …) was seen first, and fails
/// when the other one follows.
fn exclusive(first: &mut Option<&'static str>, key: &str, m: &Member) -> Result<(), PolicyError> {
    let (name, other) = match key {
        "Principal" => ("Principal", "NotPrincipal"),
        "NotPrincipal" => ("NotPrincipal", "Principal"),
        "Action" => ("Action", "NotAction"),
        "NotAction" => ("NotAction", "Action"),
        "Resource" => ("Resource", "NotResource"),
        _ => ("NotResource", "Resource"),
    };
    match first {
        Some(seen) if *seen == other => Err(PolicyError::new(
            PolicyErrorKind::ConflictingElements {
                first: other,
                second: name,
            },
            m.key_span,
        )),
        _ => {
            *first = Some(name);
            Ok(())
        }
    }
}

fn principal(json: &Json, element: &str, limits: PolicyLimits) -> Result<Principal, PolicyError> {
    match &json.kind {
        JsonKind::String(s) if s == "*" => Ok(Principal::Wildcard),
        JsonKind::String(s) => Ok(Principal::AwsShorthand(Spanned::new(s.clone(), json.span))),
        JsonKind::Object(members) => {
            check_duplicates(members)?;
            if members.is_empty() {
                return Err(PolicyError::new(
                    PolicyErrorKind::Empty {
                        element: element.to_owned(),
                    },
                    json.span,
                ));
            }
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                let ty = PrincipalType::parse(&m.key).ok_or_else(|| {
                    PolicyError::new(
                        PolicyErrorKind::UnknownPrincipalType {
                            value: m.key.clone(),
                        },
                        m.key_span,
                    )
                })?;
                let values = string_list(&m.value, &format!("{element}.{}", m.key), limits)?;
                out.push((Spanned::new(ty, m.key_span), values));
            }
            Ok(Principal::Typed(out))
        }
        _ => Err(wrong_type(json, element, "`*` or an object")),
    }
}

fn condition(json: &Json, limits: PolicyLimits) -> Result<Vec<ConditionClause>, PolicyError> {
    let members = object(json, "Condition")?;
    check_duplicates(members)?;
    let mut clauses = Vec::with_capacity(members.len());
    for m in members {
        let operator = ConditionOperator::parse(&m.key).ok_or_else(|| {
            PolicyError::new(
                PolicyErrorKind::UnknownConditionOperator {
                    value: m.key.clone(),
                },
                m.key_span,
            )
        })?;
        let element = format!("Condition.{}", m.key);
        let keys = object(&m.value, &element)?;
        check_duplicates(keys)?;
        let mut entries = Vec::with_capacity(keys.len());
        for k in keys {
            let element = format!("{element}.{}", k.key);
            entries.push(ConditionEntry {
                key: Spanned::new(k.key.clone(), k.key_span),
                values: condition_values(&k.value, &element, limits)?,
            });
        }
        clauses.push(ConditionClause {
            operator: Spanned::new(operator, m.key_span),
            entries,
        });
    }
    Ok(clauses)
}

fn condition_value(json: &Json, element: &str) -> Result<Spanned<ConditionValue>, PolicyError> {
    let (text, written_as) = match &json.kind {
        JsonKind::String(s) => (s.clone(), ValueJsonType::String),
        JsonKind::Number(n) => (n.clone(), ValueJsonType::Number),
        JsonKind::Bool(b) => (b.to_string(), ValueJsonType::Bool),
        _ => return Err(wrong_type(json, element, "a string, number or boolean")),
    };
    Ok(Spanned::new(ConditionValue { text, written_as }, json.span))
}

fn condition_values(
    json: &Json,
    element: &str,
    limits: PolicyLimits,
) -> Result<OneOrMany<Spanned<ConditionValue>>, PolicyError> {
    match &json.kind {
        JsonKind::Array(items) => {
            bound(items.len(), json, limits)?;
            Ok(OneOrMany {
                items: items
                    .iter()
                    .map(|v| condition_value(v, element))
                    .collect::<Result<_, _>>()?,
                form: ListForm::Array,
            })
        }
        _ => Ok(OneOrMany {
            items: vec![condition_value(json, element)?],
            form: ListForm::Single,
        }),
    }
}

fn string_list(
    json: &Json,
    element: &str,
    limits: PolicyLimits,
) -> Result<OneOrMany<Spanned<String>>, PolicyError> {
    match &json.kind {
        JsonKind::String(_) => Ok(OneOrMany {
            items: vec![string(json, element)?],
            form: ListForm::Single,
        }),
        JsonKind::Array(items) => {
            bound(items.len(), json, limits)?;
            if items.is_empty() {
                return Err(PolicyError::new(
                    PolicyErrorKind::Empty {
                        element: element.to_owned(),
                    },
                    json.span,
                ));
            }
            Ok(OneOrMany {
                items: items
                    .iter()
                    .map(|v| string(v, element))
                    .collect::<Result<_, _>>()?,
                form: ListForm::Array,
            })
        }
        _ => Err(wrong_type(json, element, "a string or an array of strings")),
    }
}

fn bound(len: usize, json: &Json, limits: PolicyLimits) -> Result<(), PolicyError> {
    if len > limits.max_values_per_element {
        return Err(PolicyError::new(
            PolicyErrorKind::TooMany {
                what: "values in one element",
                limit: limits.max_values_per_element,
            },
            json.span,
        ));
    }
    Ok(())
}

fn string(json: &Json, element: &str) -> Result<Spanned<String>, PolicyError> {
    match &json.kind {
        JsonKind::String(s) => Ok(Spanned::new(s.clone(), json.span)),
        _ => Err(wrong_type(json, element, "a string")),
    }
}

fn object<'j>(json: &'j Json, element: &str) -> Result<&'j [Member], PolicyError> {
    match &json.kind {
        JsonKind::Object(members) => Ok(members),
        _ => Err(wrong_type(json, element, "an object")),
    }
}

fn wrong_type(json: &Json, element: &str, expected: &'static str) -> PolicyError {
    PolicyError::new(
        PolicyErrorKind::WrongType {
            element: element.to_owned(),
            expected,
            found: json.type_name(),
        },
        json.span,
    )
}

fn check_duplicates(members: &[Member]) -> Result<(), PolicyError> {
    let duplicate = |m: &Member| {
        PolicyError::new(
            PolicyErrorKind::DuplicateElement {
                element: m.key.clone(),
            },
            m.key_span,
        )
    };
    // A policy's objects have a few members: compared pairwise, with no set allocated per
    // object (the same first duplicate as the set finds); a large object uses the set.
    if members.len() <= 16 {
        for (i, m) in members.iter().enumerate() {
            if members.iter().take(i).any(|e| e.key == m.key) {
                return Err(duplicate(m));
            }
        }
        return Ok(());
    }
    let mut seen = std::collections::BTreeSet::new();
    for m in members {
        if !seen.insert(m.key.as_str()) {
            return Err(duplicate(m));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// A repeated key is an error at its second occurrence, in small objects (compared
    /// pairwise) and in large ones (through a set).
    #[test]
    fn duplicate_keys_are_errors_at_the_repeat() {
        for keys in [3usize, 16, 17, 40] {
            let entries: Vec<String> = (0..keys)
                .map(|i| format!(r#""aws:k{i}": "v""#))
                .chain([r#""aws:k1": "w""#.to_owned()])
                .collect();
            let text = format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {{"StringEquals": {{{}}}}}}}]}}"#,
                entries.join(", ")
            );
            let err = parse_policy(&text).unwrap_err();
            match &err.kind {
                PolicyErrorKind::DuplicateElement { element } => assert_eq!(element, "aws:k1"),
                other => panic!("{keys}: {other:?}"),
            }
            let at = text.rfind(r#""aws:k1""#).unwrap();
            assert_eq!(err.span.start, at, "{keys}");
            let unique = text.replace(r#", "aws:k1": "w""#, "");
            assert!(parse_policy(&unique).is_ok(), "{keys}");
        }
    }
}
