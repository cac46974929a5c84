//! Archive rules in Access Analyzer's filter syntax.
//!
//! A rule is `{"ruleName": …, "filter": {<key>: {"eq"|"neq"|"contains": [..], "exists": bool}}}`.
//! Every key of a filter must match (AND); within `eq` and `contains` any value may match (OR);
//! `neq` matches when the field equals none of the values; `contains` is a substring test;
//! `exists` tests whether the field is present. Booleans compare as the strings `true`/`false`.
//! Keys: `resource`, `resourceType`, `resourceOwnerAccount`, `isPublic`, `status`, `error`,
//! `id`, `principal.<Type>` and `condition.<key>` (condition keys compare case-insensitively, as
//! IAM condition keys do), `action` (any of the finding's actions).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::finding::{Finding, Status};

/// One criterion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Criterion {
    /// Any of these values.
    pub eq: Option<Vec<String>>,
    /// None of these values.
    pub neq: Option<Vec<String>>,
    /// Contains any of these substrings.
    pub contains: Option<Vec<String>>,
    /// Present (or absent).
    pub exists: Option<bool>,
}

/// One archive rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveRule {
    /// `ruleName`.
    pub name: String,
    /// `filter`.
    pub filter: BTreeMap<String, Criterion>,
}

/// Reads archive rules: a JSON array of rules, or `{"archiveRules": [...]}` (the shape of
/// `aws accessanalyzer list-archive-rules`).
///
/// # Errors
/// What is wrong and where (a JSON path).
pub fn parse_rules(text: &str) -> Result<Vec<ArchiveRule>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{}:{}: {e}", e.line(), e.column()))?;
    let list = match &value {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("archiveRules") {
            Some(Value::Array(items)) => items,
            _ => return Err("expected an array of rules or {\"archiveRules\": [...]}".to_owned()),
        },
        _ => return Err("expected an array of rules or {\"archiveRules\": [...]}".to_owned()),
    };
    let mut rules = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let at = format!("archiveRules[{i}]");
        let name = item
            .get("ruleName")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}: missing string `ruleName`"))?
            .to_owned();
        let filter = item
            .get("filter")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{at}: missing object `filter`"))?;
        let mut criteria = BTreeMap::new();
        for (key, c) in filter {
            let obj = c
                .as_object()
                .ok_or_else(|| format!("{at}.filter.{key}: expected an object"))?;
            let mut criterion = Criterion::default();
            for (op, v) in obj {
                let list = || -> Result<Vec<String>, String> {
                    let items = v.as_array().ok_or_else(|| {
                        format!("{at}.filter.{key}.{op}: expected an array of strings")
                    })?;
                    if items.is_empty() || items.len() > 20 {
                        return Err(format!("{at}.filter.{key}.{op}: expected 1 to 20 values"));
                    }
                    items
                        .iter()
                        .map(|s| {
                            s.as_str().map(str::to_owned).ok_or_else(|| {
                                format!("{at}.filter.{key}.{op}: expected an array of strings")
                            })
                        })
                        .collect()
                };
                match op.as_str() {
                    "eq" => criterion.eq = Some(list()?),
                    "neq" => criterion.neq = Some(list()?),
                    "contains" => criterion.contains = Some(list()?),
                    "exists" => {
                        criterion.exists = Some(v.as_bool().ok_or_else(|| {
                            format!("{at}.filter.{key}.exists: expected true or false")
                        })?);
                    }
                    other => {
                        return Err(format!(
                            "{at}.filter.{key}: unknown operator `{other}` (eq, neq, contains, exists)"
                        ));
                    }
                }
            }
            criteria.insert(key.clone(), criterion);
        }
        if criteria.is_empty() {
            return Err(format!("{at}: the filter is empty"));
        }
        rules.push(ArchiveRule {
            name,
            filter: criteria,
        });
    }
    Ok(rules)
}

/// The values of a finding's field (several for `action`).
fn field(finding: &Finding, key: &str) -> Vec<String> {
    let one = |s: &str| vec![s.to_owned()];
    match key {
        "resource" => one(&finding.resource),
        "resourceType" => one(&finding.resource_type),
        "resourceOwnerAccount" => one(&finding.resource_owner_account),
        "id" => one(&finding.id),
        "status" => one(finding.status.as_str()),
        "isPublic" => finding
            .is_public
            .map(|b| b.to_string())
            .into_iter()
            .collect(),
        "error" => finding.error.iter().cloned().collect(),
        "action" => finding.action.clone().unwrap_or_default(),
        _ => {
            if let Some(kind) = key.strip_prefix("principal.") {
                return finding
                    .principal
                    .iter()
                    .flatten()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(kind))
                    .map(|(_, v)| v.clone())
                    .collect();
            }
            if let Some(cond) = key.strip_prefix("condition.") {
                return finding
                    .condition
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(cond))
                    .map(|(_, v)| v.clone())
                    .collect();
            }
            Vec::new()
        }
    }
}

impl ArchiveRule {
    /// Whether the finding matches every criterion.
    #[must_use]
    pub fn matches(&self, finding: &Finding) -> bool {
        self.filter.iter().all(|(key, c)| {
            let values = field(finding, key);
            if let Some(exists) = c.exists
                && exists == values.is_empty()
            {
                return false;
            }
            if let Some(eq) = &c.eq
                && !values.iter().any(|v| eq.contains(v))
            {
                return false;
            }
            if let Some(neq) = &c.neq
                && (values.is_empty() || values.iter().any(|v| neq.contains(v)))
            {
                return false;
            }
            if let Some(contains) = &c.contains
                && !values
                    .iter()
                    .any(|v| contains.iter().any(|s| v.contains(s.as_str())))
            {
                return false;
            }
            true
        })
    }
}

/// Archives the active findings some rule matches; returns how many.
pub fn apply(rules: &[ArchiveRule], findings: &mut [Finding]) -> usize {
    let mut n = 0;
    for f in findings.iter_mut().filter(|f| f.status == Status::Active) {
        if rules.iter().any(|r| r.matches(f)) {
            f.status = Status::Archived;
            n += 1;
        }
    }
    n
}
