//! Policy variables (IAM User Guide, "IAM policy elements: Variables and tags"): `${key}` and
//! `${key, 'default'}`, interpreted only in `Resource` and `Condition` values of
//! `"Version": "2012-10-17"` policies.

use keyhole_policy::json::JsonKind;
use keyhole_policy::variables::{Piece, has_variables, pieces};

use super::IssueCode;
use super::condition;
use super::ctx::{Ctx, Str, strings};
use super::principal;
use super::statement::Statement;

/// Checks the variables of one statement.
pub(crate) fn check(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    let mut elsewhere: Vec<Str<'_>> = principal::principals(s)
        .into_iter()
        .map(|n| n.value)
        .collect();
    if let Some(a) = &s.action {
        elsewhere.extend(strings(&a.member.value, &a.path));
    }
    for v in &elsewhere {
        let variable = pieces(v.text).into_iter().find_map(|p| match p {
            Piece::Variable { key, .. } => Some(key),
            _ => None,
        });
        if let Some(name) = variable {
            cx.report_at(
                IssueCode::VARIABLE_UNSUPPORTED_IN_ELEMENT,
                format!("Policy variables are supported in the Resource and Condition elements. Remove the policy variable ${{{name}}} from this element."),
                &v.path,
                v.json.span,
            );
        }
    }
    let mut supported: Vec<Str<'_>> = Vec::new();
    if let Some(r) = &s.resource {
        supported.extend(strings(&r.member.value, &r.path));
    }
    for e in condition::entries(s) {
        match &e.member.value.kind {
            JsonKind::String(_) => supported.extend(strings(&e.member.value, &e.path)),
            JsonKind::Array(_) => supported.extend(strings(&e.member.value, &e.path)),
            _ => {}
        }
    }
    for v in &supported {
        if cx.version_2012 {
            syntax(cx, v);
        } else if has_variables(v.text) {
            cx.report_at(
                IssueCode::VARIABLE_UNSUPPORTED_IN_VERSION,
                "To include variables in your policy, use the policy version 2012-10-17 or later."
                    .to_owned(),
                &v.path,
                v.json.span,
            );
        }
    }
}

/// The syntax of each `${…}` of a value; each kind of problem is reported once per value.
fn syntax(cx: &mut Ctx<'_>, v: &Str<'_>) {
    let mut problems: Vec<IssueCode> = Vec::new();
    let mut rest = v.text;
    while let Some(start) = rest.find("${") {
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            problems.push(IssueCode::MISSING_BRACE_IN_VARIABLE);
            break;
        };
        let inner = after.get(..close).unwrap_or_default();
        rest = after.get(close + 1..).unwrap_or_default();
        if inner.trim().is_empty() {
            problems.push(IssueCode::EMPTY_VARIABLE);
            continue;
        }
        if matches!(inner, "*" | "?" | "$") {
            continue;
        }
        let (name, default) = match inner.split_once(',') {
            Some((n, d)) => (n, Some(d.trim())),
            None => (inner, None),
        };
        if name.contains(char::is_whitespace) {
            problems.push(IssueCode::UNSUPPORTED_SPACE_IN_VARIABLE);
        }
        if let Some(d) = default {
            let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
            if !quoted {
                problems.push(IssueCode::MISSING_QUOTE_IN_VARIABLE);
            }
        }
    }
    problems.sort();
    problems.dedup();
    for code in problems {
        let details = match code {
            IssueCode::MISSING_BRACE_IN_VARIABLE => {
                "The policy variable is missing a closing curly brace. Add } after the variable text."
            }
            IssueCode::EMPTY_VARIABLE => {
                "Empty policy variable. Remove the ${ } variable structure or provide a variable within the structure."
            }
            IssueCode::UNSUPPORTED_SPACE_IN_VARIABLE => {
                "A space is not supported within the policy variable text. Remove the space."
            }
            _ => {
                "The policy variable default value must begin and end with a single quote. Add the missing quote."
            }
        };
        cx.report_at(code, details.to_owned(), &v.path, v.json.span);
    }
}
