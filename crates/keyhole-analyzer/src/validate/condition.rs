//! The `Condition` element (IAM User Guide, "IAM JSON policy elements: Condition operators",
//! "Single-valued vs. multivalued context keys", "AWS global condition context keys"): operators,
//! keys against the service catalog, values against the operator's type, and the checks on
//! particular keys (`aws:SourceIp`, `aws:SourceVpc`, `aws:ResourceTag/…`, …).

use std::collections::BTreeSet;

use keyhole_policy::catalog::ConditionKeyType;
use keyhole_policy::condition::{BaseOperator, ConditionOperator, OperatorFamily, SetQualifier};
use keyhole_policy::json::{Json, JsonKind, Member};
use keyhole_policy::pattern::{Case, Glob, has_wildcard};
use keyhole_policy::value::{Decimal, IpRange, parse_date};
use keyhole_policy::variables::{Piece, has_variables, pieces};

use super::catalog;
use super::ctx::{Ctx, Path, index, key, strings};
use super::statement::{Effect, Statement, type_mismatch};
use super::{IssueCode, PolicyType};

/// One `"operator": {"key": values}` entry of a statement's `Condition`.
pub(crate) struct Entry<'j> {
    /// The operator as written.
    pub op_name: &'j str,
    /// The operator, if valid.
    pub operator: Option<ConditionOperator>,
    /// The condition key as written.
    pub key: &'j str,
    /// The key's member (its value holds the condition values).
    pub member: &'j Member,
    /// `[…, Condition, operator, key]`.
    pub path: Path,
}

/// The entries of a statement's `Condition` (operator blocks that are objects).
pub(crate) fn entries<'j>(s: &Statement<'j>) -> Vec<Entry<'j>> {
    let Some(c) = s.condition else {
        return Vec::new();
    };
    let JsonKind::Object(ops) = &c.value.kind else {
        return Vec::new();
    };
    let cpath = key(&s.path, "Condition");
    ops.iter()
        .filter_map(|op| match &op.value.kind {
            JsonKind::Object(keys) => Some((op, keys)),
            _ => None,
        })
        .flat_map(|(op, keys)| {
            let opath = key(&cpath, &op.key);
            keys.iter().map(move |k| Entry {
                op_name: &op.key,
                operator: ConditionOperator::parse(&op.key),
                key: &k.key,
                member: k,
                path: key(&opath, &k.key),
            })
        })
        .collect()
}

/// The scalar values of an entry, with their paths.
fn values<'j>(e: &Entry<'j>) -> Vec<(&'j Json, Path)> {
    match &e.member.value.kind {
        JsonKind::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (v, index(&e.path, i)))
            .collect(),
        _ => vec![(&e.member.value, e.path.clone())],
    }
}

/// The text of a scalar value (numbers as written, booleans as `true`/`false`).
fn scalar_text(json: &Json) -> Option<String> {
    match &json.kind {
        JsonKind::String(s) => Some(s.clone()),
        JsonKind::Number(n) => Some(n.clone()),
        JsonKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Checks the statement's `Condition`.
pub(crate) fn check(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    let Some(c) = s.condition else {
        return;
    };
    let JsonKind::Object(ops) = &c.value.kind else {
        return;
    };
    let cpath = key(&s.path, "Condition");
    if ops.is_empty() {
        empty_block(cx, &cpath, c.value.span);
    }
    for op in ops {
        let opath = key(&cpath, &op.key);
        if ConditionOperator::parse(&op.key).is_none() {
            let unqualified = op
                .key
                .strip_prefix("ForAnyValue:")
                .or_else(|| op.key.strip_prefix("ForAllValues:"))
                .unwrap_or(&op.key);
            if unqualified == "NullIfExists" {
                cx.report_at(
                    IssueCode::NULL_WITH_IF_EXISTS,
                    "The Null condition operator cannot be used with the IfExists suffix. Update the operator or the suffix."
                        .to_owned(),
                    &opath,
                    op.value.span,
                );
            } else {
                cx.report_at(
                    IssueCode::INVALID_CONDITION_OPERATOR,
                    format!(
                        "The condition operator {} is not valid. Use a valid condition operator.",
                        op.key
                    ),
                    &opath,
                    op.value.span,
                );
            }
        }
        match &op.value.kind {
            JsonKind::Object(keys) => {
                if keys.is_empty() {
                    empty_block(cx, &opath, op.value.span);
                }
                duplicate_keys(cx, keys, &opath);
            }
            _ => type_mismatch(cx, &op.value, &opath, "Object"),
        }
    }
    let all = entries(s);
    let mut tags = None;
    for e in &all {
        entry(cx, s, e, &all, &mut tags);
    }
}

fn empty_block(cx: &mut Ctx<'_>, path: &[super::PathElement], span: keyhole_policy::Span) {
    cx.report_at(
        IssueCode::EMPTY_OBJECT_CONDITION,
        "This condition block is empty and it does not affect the policy. Specify conditions."
            .to_owned(),
        path,
        span,
    );
}

/// The same key twice in one operator block, spelled with different case.
fn duplicate_keys(cx: &mut Ctx<'_>, keys: &[Member], opath: &[super::PathElement]) {
    for (i, k) in keys.iter().enumerate() {
        let earlier = keys
            .iter()
            .take(i)
            .any(|e| e.key != k.key && e.key.eq_ignore_ascii_case(&k.key));
        if earlier {
            cx.report_at(
                IssueCode::DUPLICATE_KEYS_WITH_DIFFERENT_CASE,
                format!(
                    "The condition key {} appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys.",
                    k.key
                ),
                &key(opath, &k.key),
                k.value.span,
            );
        }
    }
}

/// What the catalog says about a key, once the key itself has been checked.
struct KeyInfo {
    /// The key's type, when the catalog defines it.
    value_type: Option<ConditionKeyType>,
    /// The catalog name of a service-specific key (for action support).
    catalog_name: Option<&'static str>,
}

/// Checks one condition entry.
fn entry(
    cx: &mut Ctx<'_>,
    s: &Statement<'_>,
    e: &Entry<'_>,
    all: &[Entry<'_>],
    tags: &mut Option<BTreeSet<String>>,
) {
    let info = check_key(cx, e);
    let vals = values(e);
    if !value_shapes(cx, e, &vals) {
        return;
    }
    let Some(op) = e.operator else {
        return;
    };
    if vals.is_empty() {
        let (code, details) = match (op.qualifier, op.if_exists) {
            (Some(SetQualifier::ForAllValues), _) => (
                IssueCode::EMPTY_ARRAY_CONDITION_FORALLVALUES,
                format!(
                    "The ForAllValues prefix with an empty condition key matches only if the key {} is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.",
                    e.key
                ),
            ),
            (Some(SetQualifier::ForAnyValue), _) => (
                IssueCode::EMPTY_ARRAY_CONDITION_FORANYVALUE,
                format!(
                    "The ForAnyValue prefix with an empty condition key {} never matches the request context and it does not affect the policy. Specify conditions.",
                    e.key
                ),
            ),
            (None, true) => (
                IssueCode::EMPTY_ARRAY_CONDITION_IFEXISTS,
                format!(
                    "The IfExists suffix with an empty condition key matches only if the key {} is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.",
                    e.key
                ),
            ),
            (None, false) => (
                IssueCode::EMPTY_ARRAY_CONDITION,
                format!(
                    "There are no values for the condition key {} and it does not affect the policy. Specify conditions.",
                    e.key
                ),
            ),
        };
        cx.report_at(code, details, &e.path, e.member.value.span);
    }
    operator_rules(cx, e, op, &vals);
    if let Some(t) = info.value_type {
        key_type_rules(cx, e, op, t);
    }
    key_rules(cx, s, e, op, &vals, all);
    if let Some(name) = info.catalog_name {
        action_support(cx, s, e, name);
    }
    tag_support(cx, s, e, op, tags);
}

/// Checks the key's format and existence; returns what the catalog knows about it.
fn check_key(cx: &mut Ctx<'_>, e: &Entry<'_>) -> KeyInfo {
    let unknown = KeyInfo {
        value_type: None,
        catalog_name: None,
    };
    let well_formed = e.key.split_once(':').is_some_and(|(p, n)| {
        !p.is_empty() && !n.is_empty() && !e.key.contains(char::is_whitespace)
    });
    if !well_formed {
        cx.report_at(
            IssueCode::INVALID_CONDITION_KEY_FORMAT,
            "The condition key format is not valid. Use the format service:keyname.".to_owned(),
            &e.path,
            e.member.value.span,
        );
        return unknown;
    }
    let (prefix, name) = e.key.split_once(':').unwrap_or_default();
    let lower = e.key.to_ascii_lowercase();
    if prefix.eq_ignore_ascii_case("aws") {
        if lower == "aws:arn" {
            if matches!(
                cx.policy_type,
                PolicyType::ResourcePolicy | PolicyType::ResourceControlPolicy
            ) {
                cx.report_at(
                    IssueCode::UNSUPPORTED_GLOBAL_CONDITION_KEY,
                    "The condition key aws:ARN is not supported. Use aws:PrincipalArn or aws:SourceArn instead."
                        .to_owned(),
                    &e.path,
                    e.member.value.span,
                );
            } else {
                cx.report_at(
                    IssueCode::DEPRECATED_GLOBAL_CONDITION_KEY,
                    "We recommend that you update aws:ARN to use the newer condition key aws:PrincipalArn."
                        .to_owned(),
                    &e.path,
                    e.member.value.span,
                );
            }
            return KeyInfo {
                value_type: Some(ConditionKeyType::Arn),
                catalog_name: None,
            };
        }
        if !catalog::is_global_key(e.key) {
            if missing_tag_key(cx, e, prefix, name) {
                return unknown;
            }
            cx.report_at(
                IssueCode::INVALID_GLOBAL_CONDITION_KEY,
                format!(
                    "The condition key {} does not exist. Use a valid condition key.",
                    e.key
                ),
                &e.path,
                e.member.value.span,
            );
            return unknown;
        }
        return KeyInfo {
            value_type: catalog::condition_key(e.key).map(|(_, k)| k.value_type()),
            catalog_name: None,
        };
    }
    if let Some((_, def)) = catalog::condition_key(e.key) {
        return KeyInfo {
            value_type: Some(def.value_type()),
            catalog_name: Some(def.name()),
        };
    }
    if catalog::service(prefix).is_none() {
        // Keys of identity providers are named after the provider's host
        // (`token.actions.githubusercontent.com:sub`): any host is valid.
        if !prefix.contains('.') {
            cx.report_at(
                IssueCode::INVALID_SERVICE,
                format!("The service {prefix} does not exist. Use a valid service name."),
                &e.path,
                e.member.value.span,
            );
        }
        return unknown;
    }
    if !missing_tag_key(cx, e, prefix, name) {
        cx.report_at(
            IssueCode::INVALID_SERVICE_CONDITION_KEY,
            format!(
                "The condition key {} does not exist in the service {prefix}. Use a valid condition key.",
                e.key
            ),
            &e.path,
            e.member.value.span,
        );
    }
    unknown
}

/// `aws:ResourceTag` (or `s3:ExistingObjectTag/`) without the tag key: reported, `true`.
fn missing_tag_key(cx: &mut Ctx<'_>, e: &Entry<'_>, prefix: &str, name: &str) -> bool {
    let base = name.strip_suffix('/').unwrap_or(name);
    let Some(service) = catalog::service(prefix) else {
        return false;
    };
    let wanted = format!("{prefix}:{base}/").to_ascii_lowercase();
    let template = service.condition_keys().iter().find(|k| {
        k.is_template() && k.name().to_ascii_lowercase().starts_with(&wanted) && !base.is_empty()
    });
    let Some(template) = template else {
        return false;
    };
    let shown = format!("{prefix}:{base}/");
    cx.report_at(
        IssueCode::MISSING_TAG_KEY_IN_CONDITION,
        format!(
            "The condition key {shown} must include a tag key to control access based on tags. Use the format {shown}tag-key and specify a key name for tag-key (as in {}).",
            template.name()
        ),
        &e.path,
        e.member.value.span,
    );
    true
}

/// Checks the JSON shape of the values; `false` when they cannot be checked further.
fn value_shapes(cx: &mut Ctx<'_>, e: &Entry<'_>, vals: &[(&Json, Path)]) -> bool {
    let mut ok = true;
    match &e.member.value.kind {
        JsonKind::Null | JsonKind::Object(_) => {
            type_mismatch(cx, &e.member.value, &e.path, "Array of String");
            return false;
        }
        JsonKind::Array(_) => {
            for (v, path) in vals {
                if scalar_text(v).is_none() {
                    type_mismatch(cx, v, path, "String");
                    ok = false;
                }
            }
            let kinds: BTreeSet<&str> = vals.iter().map(|(v, _)| v.type_name()).collect();
            if ok && kinds.len() > 1 {
                cx.report_at(
                    IssueCode::INVALID_CONDITION_DATA_TYPE,
                    "The condition value data types do not match. Use condition values of the same JSON data type."
                        .to_owned(),
                    &e.path,
                    e.member.value.span,
                );
            }
        }
        _ => {}
    }
    ok
}

/// Whether a value uses a policy variable that the policy's version interprets.
fn uses_variable(cx: &Ctx<'_>, text: &str) -> bool {
    cx.version_2012 && has_variables(text)
}

/// The value with its policy variables removed (escapes `${*}` etc. kept as literal text).
fn literal_part(cx: &Ctx<'_>, text: &str) -> String {
    if !cx.version_2012 {
        return text.to_owned();
    }
    pieces(text)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_owned(),
            Piece::Escaped(_) | Piece::Variable { .. } => String::new(),
        })
        .collect()
}

/// The checks of values against the operator's type.
fn operator_rules(cx: &mut Ctx<'_>, e: &Entry<'_>, op: ConditionOperator, vals: &[(&Json, Path)]) {
    let family = op.base.family();
    if op.base == BaseOperator::Null && op.qualifier.is_some() {
        cx.report_at(
            IssueCode::NULL_WITH_QUALIFIER,
            "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return a true or false respectively."
                .to_owned(),
            &e.path,
            e.member.value.span,
        );
    }
    if family == OperatorFamily::Bool && op.qualifier.is_none() && vals.len() > 1 {
        cx.report_at(
            IssueCode::INVALID_CONDITION_MULTIPLE_BOOLEAN,
            "The condition key does not support multiple Boolean values. Use a single Boolean value."
                .to_owned(),
            &e.path,
            e.member.value.span,
        );
    }
    for (v, path) in vals {
        let Some(text) = scalar_text(v) else {
            continue;
        };
        if uses_variable(cx, &text) {
            if !matches!(family, OperatorFamily::String | OperatorFamily::Arn) {
                cx.report_at(
                    IssueCode::INVALID_VARIABLE_FOR_OPERATOR,
                    "Policy variables can only be used with String and ARN operators.".to_owned(),
                    path,
                    v.span,
                );
            }
            if !matches!(family, OperatorFamily::String) {
                continue;
            }
        }
        let span = v.span;
        match family {
            OperatorFamily::String => {
                let like = matches!(op.base, BaseOperator::StringLike | BaseOperator::StringNotLike);
                if !like && has_wildcard(&literal_part(cx, &text)) {
                    cx.report_at(
                        IssueCode::WILDCARD_WITHOUT_LIKE_OPERATOR,
                        "Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like."
                            .to_owned(),
                        path,
                        span,
                    );
                }
            }
            OperatorFamily::Numeric => {
                if matches!(v.kind, JsonKind::Bool(_)) || Decimal::parse(&text).is_none() {
                    cx.report_at(
                        IssueCode::TYPE_MISMATCH_NUMBER,
                        format!("Add a valid numeric value for the condition operator {}.", e.op_name),
                        path,
                        span,
                    );
                }
            }
            OperatorFamily::Date => {
                let epoch = !text.is_empty()
                    && text.trim_start_matches('-').chars().all(|c| c.is_ascii_digit() || c == '.');
                if matches!(v.kind, JsonKind::Bool(_)) || parse_date(&text).is_none() {
                    cx.report_at(
                        IssueCode::TYPE_MISMATCH_DATE,
                        "The date condition operator is used with an invalid value. Specify a valid date using YYYY-MM-DD or other ISO 8601 date/time format."
                            .to_owned(),
                        path,
                        span,
                    );
                } else if epoch {
                    cx.report_at(
                        IssueCode::INVALID_DATE_VALUE,
                        format!("The date {text} might not resolve as expected. We recommend that you use the YYYY-MM-DD format."),
                        path,
                        span,
                    );
                }
            }
            OperatorFamily::Bool | OperatorFamily::Null => {
                if !(text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false"))
                    || matches!(v.kind, JsonKind::Number(_))
                {
                    cx.report_at(
                        IssueCode::TYPE_MISMATCH_BOOLEAN,
                        format!("Add a valid Boolean value (true or false) for the condition operator {}.", e.op_name),
                        path,
                        span,
                    );
                }
            }
            OperatorFamily::Binary => {
                if !is_base64(&text) {
                    cx.report_at(
                        IssueCode::TYPE_MISMATCH_STRING,
                        format!("Add a valid base64-encoded string value for the condition operator {}.", e.op_name),
                        path,
                        span,
                    );
                }
            }
            OperatorFamily::Ip => match IpRange::parse(&text) {
                None => cx.report_at(
                    IssueCode::TYPE_MISMATCH_IP_RANGE,
                    format!("The condition operator {} is used with an invalid IP range value. Specify the IP range in standard CIDR format.", e.op_name),
                    path,
                    span,
                ),
                Some(range) => {
                    if let Some(better) = improved_range(&text, range) {
                        cx.report_at(
                            IssueCode::IMPROVE_IP_RANGE,
                            format!("The non-zero bits in the IP address after the masked bits are ignored. Replace address with {better}."),
                            path,
                            span,
                        );
                    }
                }
            },
            OperatorFamily::Arn => {}
        }
    }
    redundant_numbers(cx, e, op, vals);
}

/// A CIDR block whose address has bits set after the prefix: the block's real address.
fn improved_range(text: &str, range: IpRange) -> Option<String> {
    let (addr, prefix) = text.trim().split_once('/')?;
    let written: std::net::IpAddr = addr.parse().ok()?;
    let canonical = if range.v6 {
        std::net::IpAddr::V6(std::net::Ipv6Addr::from(range.first))
    } else {
        std::net::IpAddr::V4(std::net::Ipv4Addr::from(u32::try_from(range.first).ok()?))
    };
    (written != canonical).then(|| format!("{canonical}/{prefix}"))
}

fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !text.is_empty()
        && text.len().is_multiple_of(4)
        && text.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Several values of a Numeric less-than/greater-than operator: only the extreme one counts.
fn redundant_numbers(
    cx: &mut Ctx<'_>,
    e: &Entry<'_>,
    op: ConditionOperator,
    vals: &[(&Json, Path)],
) {
    use BaseOperator::*;
    let greatest = match op.base {
        NumericLessThan | NumericLessThanEquals => true,
        NumericGreaterThan | NumericGreaterThanEquals => false,
        _ => return,
    };
    if op.qualifier.is_some() {
        return;
    }
    let numbers = vals
        .iter()
        .filter_map(|(v, _)| scalar_text(v).and_then(|t| Decimal::parse(&t)))
        .count();
    if numbers >= 2 {
        cx.report_at(
            IssueCode::REDUNDANT_CONDITION_VALUE_NUM,
            format!(
                "Multiple values in {} are redundant. Replace with the {} single value for {}.",
                e.op_name,
                if greatest { "greatest" } else { "least" },
                e.key
            ),
            &e.path,
            e.member.value.span,
        );
    }
}

/// The operator families that fit a key type (Null fits every key).
fn fitting(t: ConditionKeyType) -> (&'static [OperatorFamily], &'static str) {
    use ConditionKeyType as T;
    match t.element_type() {
        T::Arn => (&[OperatorFamily::Arn, OperatorFamily::String], "Arn"),
        T::Bool => (&[OperatorFamily::Bool], "Bool"),
        T::Numeric => (&[OperatorFamily::Numeric], "Numeric"),
        T::Date => (&[OperatorFamily::Date], "Date"),
        T::IpAddress => (&[OperatorFamily::Ip], "IpAddress"),
        _ => (&[OperatorFamily::String], "String"),
    }
}

/// Checks of the operator against the key's type in the catalog.
fn key_type_rules(cx: &mut Ctx<'_>, e: &Entry<'_>, op: ConditionOperator, t: ConditionKeyType) {
    let family = op.base.family();
    let (families, allowed) = fitting(t);
    if family != OperatorFamily::Null && !families.contains(&family) {
        cx.report_at(
            IssueCode::TYPE_MISMATCH,
            format!(
                "Use the operator type {allowed} instead of operator {} for the condition key {}.",
                e.op_name, e.key
            ),
            &e.path,
            e.member.value.span,
        );
    }
    if t.is_multivalued() && op.qualifier.is_none() && op.base != BaseOperator::Null {
        cx.report_at(
            IssueCode::MISSING_QUALIFIER,
            format!(
                "The request context key {} has multiple values. Use the ForAllValues or ForAnyValue condition key qualifiers in your policy.",
                e.key
            ),
            &e.path,
            e.member.value.span,
        );
    }
    if !t.is_multivalued() && op.qualifier == Some(SetQualifier::ForAllValues) {
        cx.report_at(
            IssueCode::FORALLVALUES_WITH_SINGLE_VALUED_KEY,
            format!(
                "Using ForAllValues qualifier with the single-valued condition key {} can be overly permissive. We recommend that you remove ForAllValues:.",
                e.key
            ),
            &e.path,
            e.member.value.span,
        );
    }
}

/// Whether an address block lies inside the private ranges (RFC 1918, RFC 4193).
fn is_private(range: IpRange) -> bool {
    let inside = |first: u128, last: u128| range.first >= first && range.last <= last;
    if range.v6 {
        inside(0xfc00_u128 << 112, (0xfe00_u128 << 112) - 1)
    } else {
        inside(0x0a00_0000, 0x0aff_ffff)
            || inside(0xac10_0000, 0xac1f_ffff)
            || inside(0xc0a8_0000, 0xc0a8_ffff)
    }
}

/// Checks on particular keys.
fn key_rules(
    cx: &mut Ctx<'_>,
    s: &Statement<'_>,
    e: &Entry<'_>,
    op: ConditionOperator,
    vals: &[(&Json, Path)],
    all: &[Entry<'_>],
) {
    let lower = e.key.to_ascii_lowercase();
    let family = op.base.family();
    let literal = |cx: &Ctx<'_>, v: &Json| {
        scalar_text(v).filter(|t| !has_wildcard(t) && !uses_variable(cx, t))
    };
    match lower.as_str() {
        "aws:sourceip" if family == OperatorFamily::Ip => {
            let ranges: Vec<IpRange> = vals
                .iter()
                .filter_map(|(v, _)| scalar_text(v).and_then(|t| IpRange::parse(&t)))
                .collect();
            let private = ranges.iter().filter(|r| is_private(**r)).count();
            let negated = op.base == BaseOperator::NotIpAddress;
            let code = match (private, private == ranges.len(), negated) {
                (0, _, _) => return,
                (_, true, false) => IssueCode::PRIVATE_IP_ADDRESS,
                (_, true, true) => IssueCode::PRIVATE_NOT_IP_ADDRESS,
                (_, false, false) => IssueCode::PRIVATE_IP_ADDRESS_SUBSET,
                (_, false, true) => IssueCode::PRIVATE_NOT_IP_ADDRESS_SUBSET,
            };
            let details = match code {
                IssueCode::PRIVATE_IP_ADDRESS => {
                    "aws:SourceIp works only for public IP address ranges. The values for condition key aws:SourceIp include only private IP addresses and will not have the desired effect. Update the value to include only public IP addresses."
                }
                IssueCode::PRIVATE_NOT_IP_ADDRESS => {
                    "The values for condition key aws:SourceIp include only private IP addresses and has no effect. aws:SourceIp works only for public IP address ranges. Update the value to include only public IP addresses."
                }
                IssueCode::PRIVATE_IP_ADDRESS_SUBSET => {
                    "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses will not have the desired effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp."
                }
                _ => {
                    "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses have no effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp."
                }
            };
            cx.report_at(code, details.to_owned(), &e.path, e.member.value.span);
        }
        "aws:sourcevpc" | "aws:sourcevpce" if family == OperatorFamily::String => {
            let (prefix, code, what) = if lower == "aws:sourcevpc" {
                ("vpc-", IssueCode::INVALID_VPC_FORMAT, "VPC")
            } else {
                ("vpce-", IssueCode::INVALID_VPCE_FORMAT, "VPCE")
            };
            for (v, path) in vals {
                let Some(t) = literal(cx, v) else { continue };
                let ok = t.strip_prefix(prefix).is_some_and(|id| {
                    (id.len() == 8 || id.len() == 17)
                        && id.chars().all(|c| c.is_ascii_alphanumeric())
                });
                if !ok {
                    cx.report_at(
                        code,
                        format!("The {what} identifier in the condition key value is not valid. Use the prefix '{prefix}' followed by 8 or 17 alphanumeric characters."),
                        path,
                        v.span,
                    );
                }
            }
        }
        "aws:requestedregion" if family == OperatorFamily::String => {
            for (v, path) in vals {
                let Some(t) = literal(cx, v) else { continue };
                let known = if op.base == BaseOperator::StringEqualsIgnoreCase
                    || op.base == BaseOperator::StringNotEqualsIgnoreCase
                {
                    catalog::is_region(&t.to_ascii_lowercase())
                } else {
                    catalog::is_region(&t)
                };
                if !known {
                    cx.report_at(
                        IssueCode::INVALID_REGION,
                        format!("The Region {t} is not valid. Update the condition value to a suported Region."),
                        path,
                        v.span,
                    );
                }
            }
        }
        "token.actions.githubusercontent.com:sub" => {
            for (v, path) in vals {
                if scalar_text(v).is_some_and(|t| t.contains('*')) {
                    cx.report_at(
                        IssueCode::SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED,
                        "Using a wildcard (*) in token.actions.githubusercontent.com:sub can allow requests from more sources than you intended. Specify the value of token.actions.githubusercontent.com:sub with the repository and branch name."
                            .to_owned(),
                        path,
                        v.span,
                    );
                }
            }
        }
        "aws:vpcsourceip" => {
            let paired = all.iter().any(|o| {
                o.key.eq_ignore_ascii_case("aws:SourceVpc")
                    || o.key.eq_ignore_ascii_case("aws:SourceVpce")
            });
            if !paired {
                cx.report_at(
                    IssueCode::MISSING_PAIRED_CONDITION_KEYS,
                    format!("Using the condition key {} can be overly permissive without also using the following condition keys: aws:SourceVpc, aws:SourceVpce. Condition keys like this one are more secure when paired with a related key. We recommend that you add the related condition keys to the same condition block.", e.key),
                    &e.path,
                    e.member.value.span,
                );
            }
        }
        "aws:resourceaccount" | "aws:resourceorgid" | "aws:resourceorgpaths" => {
            if let Some(rt) = cx.resource_type.filter(|_| !cx.is_trust()) {
                cx.report_at(
                    IssueCode::IRRELEVANT_CONDITION_KEY_IN_POLICY,
                    format!("The condition key {} is not relevant for the {} policy. Use this key in an identity-based policy to govern access to this resource.", e.key, rt.display_name()),
                    &e.path,
                    e.member.value.span,
                );
            }
        }
        _ => {}
    }
    let oidc_aud = lower
        .strip_suffix(":aud")
        .is_some_and(|host| host.contains('.'));
    let trust_like = cx.is_trust()
        || (cx.policy_type == PolicyType::ResourcePolicy && cx.resource_type.is_none());
    if oidc_aud && trust_like && op.qualifier.is_some() && s.allows() {
        cx.report_at(
            IssueCode::CONFIRM_AUDIENCE_CLAIM_TYPE,
            "The 'aud' (audience) claim key identifies the recipients that the JSON web token is intended for. Audience claims can be multivalued or single-valued. If the claim is multivalued, use a ForAllValues or ForAnyValue condition set operator. If the claim is single-valued, do not use a condition set operator. Confirm the type of the audience claim of your identity provider."
                .to_owned(),
            &e.path,
            e.member.value.span,
        );
    }
}

/// A service-specific key that some actions of the statement do not support.
fn action_support(cx: &mut Ctx<'_>, s: &Statement<'_>, e: &Entry<'_>, catalog_name: &str) {
    let Some(a) = s.action.as_ref().filter(|a| !a.negated) else {
        return;
    };
    let mut unsupported: Vec<String> = Vec::new();
    for v in strings(&a.member.value, &a.path) {
        if has_wildcard(v.text) {
            continue;
        }
        if let Some((service, action)) = catalog::action(v.text)
            && !catalog::action_supports_key(service, action, catalog_name)
            && !unsupported.iter().any(|u| u.eq_ignore_ascii_case(v.text))
        {
            unsupported.push(v.text.to_owned());
        }
    }
    if unsupported.is_empty() {
        return;
    }
    cx.report_at(
        IssueCode::UNSUPPORTED_ACTION_FOR_CONDITION_KEY,
        format!(
            "The following actions: {} are not supported by the condition key {}. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key.",
            unsupported.join(", "),
            e.key
        ),
        &e.path,
        e.member.value.span,
    );
}

/// The services of a statement's actions that support `aws:ResourceTag` for none of the
/// actions named (patterns whose service part has a wildcard are skipped).
fn unsupported_services(s: &Statement<'_>) -> BTreeSet<String> {
    const RESOURCE_TAG: &str = "aws:ResourceTag/${TagKey}";
    let mut services: BTreeSet<String> = BTreeSet::new();
    let Some(a) = s.action.as_ref().filter(|a| !a.negated) else {
        return services;
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for v in strings(&a.member.value, &a.path) {
        // Each distinct value once, and a bounded number of them.
        if !seen.insert(v.text.to_ascii_lowercase()) || seen.len() > MAX_TAG_ACTIONS {
            continue;
        }
        let Some((prefix, name)) = v.text.split_once(':') else {
            continue;
        };
        if has_wildcard(prefix) {
            continue;
        }
        let Some(service) = catalog::service(prefix) else {
            continue;
        };
        let pattern = Glob::parse(name);
        let mut matched = false;
        let mut supported = false;
        for act in service.actions() {
            if pattern.matches(act.name(), Case::Insensitive) {
                matched = true;
                if catalog::action_supports_key(service, act, RESOURCE_TAG) {
                    supported = true;
                    break;
                }
            }
        }
        if matched && !supported {
            services.insert(service.prefix().to_owned());
        }
    }
    services
}

/// The most distinct action values examined for tag support in one statement.
const MAX_TAG_ACTIONS: usize = 1000;

/// `aws:ResourceTag/…` with actions of services that do not support it.
fn tag_support(
    cx: &mut Ctx<'_>,
    s: &Statement<'_>,
    e: &Entry<'_>,
    op: ConditionOperator,
    cache: &mut Option<BTreeSet<String>>,
) {
    if !e.key.to_ascii_lowercase().starts_with("aws:resourcetag/") || op.if_exists {
        return;
    }
    let (Some(effect), Some(a)) = (s.effect, &s.action) else {
        return;
    };
    if a.negated {
        let (code, details) = match effect {
            Effect::Allow => (
                IssueCode::ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE,
                format!(
                    "Using the effect Allow with NotAction and the tag condition key {} allows only service actions that support the condition key. The condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction.",
                    e.key
                ),
            ),
            Effect::Deny => (
                IssueCode::DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE,
                format!(
                    "Using the effect Deny with NotAction and the tag condition key {} can be overly permissive because some service actions are not denied by this statement. This is because the condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction.",
                    e.key
                ),
            ),
        };
        cx.report_at(code, details, &e.path, e.member.value.span);
        return;
    }
    let services = cache.get_or_insert_with(|| unsupported_services(s));
    if services.is_empty() {
        return;
    }
    let list = services
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let (code, details) = match effect {
        Effect::Allow => (
            IssueCode::ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE,
            format!(
                "Using the effect Allow with the tag condition key {} and actions for services with the following prefixes does not affect the policy: {list}. Actions for the listed service are not allowed by this statement. We recommend that you move these actions to a different statement without this condition key.",
                e.key
            ),
        ),
        Effect::Deny => (
            IssueCode::DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE,
            format!(
                "Using the effect Deny with the tag condition key {} and actions for services with the following prefixes can be overly permissive: {list}. Actions for the listed services are not denied by this statement. We recommend that you move these actions to a different statement without this condition key.",
                e.key
            ),
        ),
    };
    cx.report_at(code, details, &e.path, e.member.value.span);
}
