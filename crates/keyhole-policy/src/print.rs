//! Printing a [`Policy`] back to JSON text, in IAM's element order, with two-space indentation.
//!
//! Parsing the printed text gives back an equal policy (spans aside): single values stay single,
//! arrays stay arrays, numbers and booleans in conditions keep their JSON type and their digits.

use crate::ast::{
    ConditionClause, ListForm, OneOrMany, Policy, Principal, Statement, ValueJsonType,
};
use crate::span::Spanned;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Prints a policy as pretty JSON.
#[must_use]
pub fn print_policy(policy: &Policy) -> String {
    let mut out = String::new();
    let mut fields: Vec<(Cow<'_, str>, Value<'_>)> = Vec::new();
    if let Some(v) = &policy.version {
        fields.push((Cow::Borrowed("Version"), Value::Str(&v.value)));
    }
    if let Some(id) = &policy.id {
        fields.push((Cow::Borrowed("Id"), Value::Str(&id.value)));
    }
    let statements: Vec<Value<'_>> = policy
        .statements
        .iter()
        .map(|s| statement(&s.value))
        .collect();
    fields.push((
        Cow::Borrowed("Statement"),
        one_or_many_values(statements, policy.statements.form),
    ));
    write_value(&mut out, &Value::Object(fields), 0);
    out.push('\n');
    out
}

enum Value<'a> {
    Str(&'a str),
    Raw(&'a str),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

fn one_or_many_values(mut items: Vec<Value<'_>>, form: ListForm) -> Value<'_> {
    match form {
        ListForm::Single if items.len() == 1 => items.pop().unwrap_or(Value::Array(Vec::new())),
        _ => Value::Array(items),
    }
}

fn strings(list: &OneOrMany<Spanned<String>>) -> Value<'_> {
    one_or_many_values(
        list.iter().map(|s| Value::Str(&s.value)).collect(),
        list.form,
    )
}

fn statement(st: &Statement) -> Value<'_> {
    let mut f: Vec<(Cow<'_, str>, Value<'_>)> = Vec::new();
    if let Some(sid) = &st.sid {
        f.push((Cow::Borrowed("Sid"), Value::Str(&sid.value)));
    }
    if let Some(e) = &st.effect {
        f.push((Cow::Borrowed("Effect"), Value::Str(e.value.as_str())));
    }
    if let Some(p) = &st.principal {
        let key = if p.value.negated {
            "NotPrincipal"
        } else {
            "Principal"
        };
        let v = match &p.value.principal {
            Principal::Wildcard => Value::Str("*"),
            Principal::AwsShorthand(s) => Value::Str(&s.value),
            Principal::Typed(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(t, vs)| (Cow::Borrowed(t.value.as_str()), strings(vs)))
                    .collect(),
            ),
        };
        f.push((Cow::Borrowed(key), v));
    }
    if let Some(a) = &st.action {
        f.push((
            Cow::Borrowed(if a.value.negated {
                "NotAction"
            } else {
                "Action"
            }),
            strings(&a.value.values),
        ));
    }
    if let Some(r) = &st.resource {
        f.push((
            Cow::Borrowed(if r.value.negated {
                "NotResource"
            } else {
                "Resource"
            }),
            strings(&r.value.values),
        ));
    }
    if let Some(c) = &st.condition {
        f.push((
            Cow::Borrowed("Condition"),
            Value::Object(c.value.iter().map(clause).collect()),
        ));
    }
    Value::Object(f)
}

fn clause(c: &ConditionClause) -> (Cow<'_, str>, Value<'_>) {
    let entries = c
        .entries
        .iter()
        .map(|e| {
            let values = e
                .values
                .iter()
                .map(|v| match v.value.written_as {
                    ValueJsonType::String => Value::Str(&v.value.text),
                    ValueJsonType::Number | ValueJsonType::Bool => Value::Raw(&v.value.text),
                })
                .collect();
            (
                Cow::Borrowed(e.key.value.as_str()),
                one_or_many_values(values, e.values.form),
            )
        })
        .collect();
    (
        Cow::Owned(c.operator.value.to_string()),
        Value::Object(entries),
    )
}

fn write_value(out: &mut String, v: &Value<'_>, indent: usize) {
    match v {
        Value::Str(s) => write_string(out, s),
        Value::Raw(s) => out.push_str(s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent + 1);
                write_value(out, item, indent + 1);
            }
            newline(out, indent);
            out.push(']');
        }
        Value::Object(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent + 1);
                write_string(out, k);
                out.push_str(": ");
                write_value(out, item, indent + 1);
            }
            newline(out, indent);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    for _ in 0..indent {
        out.push_str("  ");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
