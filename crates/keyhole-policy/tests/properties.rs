//! Property tests: print → parse round trips, the wildcard matcher against a regex oracle, and
//! the JSON reader against serde_json.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_policy::condition::{BASE_OPERATORS, ConditionOperator, SetQualifier};
use keyhole_policy::json::{JsonLimits, parse_json};
use keyhole_policy::pattern::{Case, wildcard_match};
use keyhole_policy::{
    ActionElement, ConditionClause, ConditionEntry, ConditionValue, Effect, ListForm, OneOrMany,
    Policy, PolicyLimits, Principal, PrincipalElement, PrincipalType, ResourceElement, Spanned,
    Statement, ValueJsonType, parse_policy, parse_policy_with, policy_from_value, print_policy,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(v, keyhole_policy::Span::default())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9:/*?${}._-]{0,16}",
        "\\PC{0,8}",
        Just("quote\"back\\slash\ttab\nnl\u{1}".to_owned()),
    ]
}

fn list<T: std::fmt::Debug + Clone + 'static>(
    item: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = OneOrMany<T>> {
    vec(item, 1..4).prop_flat_map(|items| {
        let forms = if items.len() == 1 {
            prop_oneof![Just(ListForm::Single), Just(ListForm::Array)].boxed()
        } else {
            Just(ListForm::Array).boxed()
        };
        forms.prop_map(move |form| OneOrMany {
            items: items.clone(),
            form,
        })
    })
}

fn strings() -> impl Strategy<Value = OneOrMany<Spanned<String>>> {
    list(text().prop_map(sp))
}

fn principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        Just(Principal::Wildcard),
        "[a-z0-9:/]{1,12}"
            .prop_filter("not *", |s| s != "*")
            .prop_map(|s| Principal::AwsShorthand(sp(s))),
        btree_map(0..4usize, strings(), 1..4).prop_map(|m| {
            let types = [
                PrincipalType::Aws,
                PrincipalType::Service,
                PrincipalType::Federated,
                PrincipalType::CanonicalUser,
            ];
            Principal::Typed(m.into_iter().map(|(t, v)| (sp(types[t]), v)).collect())
        }),
    ]
}

fn condition_value() -> impl Strategy<Value = Spanned<ConditionValue>> {
    prop_oneof![
        text().prop_map(|t| ConditionValue {
            text: t,
            written_as: ValueJsonType::String
        }),
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?".prop_map(|t| ConditionValue {
            text: t,
            written_as: ValueJsonType::Number
        }),
        prop_oneof![Just("true"), Just("false")].prop_map(|t| ConditionValue {
            text: t.to_owned(),
            written_as: ValueJsonType::Bool
        }),
    ]
    .prop_map(sp)
}

fn operator() -> impl Strategy<Value = ConditionOperator> {
    (0..BASE_OPERATORS.len(), 0..3usize, any::<bool>()).prop_map(|(b, q, e)| {
        let base = BASE_OPERATORS[b];
        ConditionOperator {
            qualifier: [
                None,
                Some(SetQualifier::ForAnyValue),
                Some(SetQualifier::ForAllValues),
            ][q],
            base,
            if_exists: e && base != keyhole_policy::condition::BaseOperator::Null,
        }
    })
}

fn condition() -> impl Strategy<Value = Vec<ConditionClause>> {
    btree_map(
        operator(),
        btree_map("[a-zA-Z:/]{1,10}", list(condition_value()), 1..3),
        1..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(op, entries)| ConditionClause {
                operator: sp(op),
                entries: entries
                    .into_iter()
                    .map(|(k, values)| ConditionEntry { key: sp(k), values })
                    .collect(),
            })
            .collect()
    })
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        proptest::option::of(text()),
        prop_oneof![Just(Effect::Allow), Just(Effect::Deny)],
        proptest::option::of((any::<bool>(), principal())),
        (any::<bool>(), strings()),
        proptest::option::of((any::<bool>(), strings())),
        proptest::option::of(condition()),
    )
        .prop_map(
            |(sid, effect, principal, action, resource, condition)| Statement {
                sid: sid.map(sp),
                effect: Some(sp(effect)),
                principal: principal
                    .map(|(negated, principal)| sp(PrincipalElement { negated, principal })),
                action: Some(sp(ActionElement {
                    negated: action.0,
                    values: action.1,
                })),
                resource: resource.map(|(negated, values)| sp(ResourceElement { negated, values })),
                condition: condition.map(sp),
            },
        )
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        proptest::option::of(prop_oneof![Just("2012-10-17"), Just("2008-10-17")]),
        proptest::option::of(text()),
        list(statement().prop_map(sp)),
    )
        .prop_map(|(version, id, statements)| Policy {
            version: version.map(|v| sp(v.to_owned())),
            id: id.map(sp),
            statements,
        })
}

fn glob_to_regex(pattern: &str) -> regex::Regex {
    let mut re = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::RegexBuilder::new(&re)
        .dot_matches_new_line(true)
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// parse(print(p)) == p, and printing is a fixed point.
    #[test]
    fn print_then_parse_is_identity(p in policy()) {
        let text = print_policy(&p);
        let back = parse_policy(&text).map_err(|e| TestCaseError::fail(format!("{e} at {}\n{text}", e.span.location(&text))))?;
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(print_policy(&back), text);
    }

    /// The wildcard matcher agrees with an anchored regex on random patterns and strings.
    #[test]
    fn wildcard_matches_like_regex(pattern in "[ab*?/:]{0,10}", value in "[ab/:]{0,12}") {
        prop_assert_eq!(wildcard_match(&pattern, &value, Case::Sensitive), glob_to_regex(&pattern).is_match(&value));
    }

    /// Characters of two, three and four bytes match, and `?` and `*` take them, as one
    /// character each (the matcher reads the value in place, by byte offsets).
    #[test]
    fn wildcard_matches_multibyte_like_regex(pattern in "[aé€😀*?]{0,10}", value in "[aé€😀]{0,12}") {
        prop_assert_eq!(wildcard_match(&pattern, &value, Case::Sensitive), glob_to_regex(&pattern).is_match(&value));
    }

    /// Case-insensitive matching agrees with a case-insensitive regex.
    #[test]
    fn wildcard_ignores_case_like_regex(pattern in "[aAbB*?]{0,8}", value in "[aAbB]{0,10}") {
        let re = regex::RegexBuilder::new(glob_to_regex(&pattern).as_str()).case_insensitive(true).build().unwrap();
        prop_assert_eq!(wildcard_match(&pattern, &value, Case::Insensitive), re.is_match(&value));
    }

    /// A policy object read as part of a larger document gives what its own text gives: the
    /// same policy with the same spans, or the same error at the same place.
    #[test]
    fn a_policy_read_in_a_document_is_the_policy_read_alone(
        p in policy(),
        other in json_value(),
        pick in 0..3u8,
        indent in 0..3usize,
    ) {
        let text = match (pick, &other) {
            // A policy, a policy with a mistake, or any JSON object.
            (0, _) | (2, serde_json::Value::Array(_) | serde_json::Value::Null) => print_policy(&p),
            (1, _) => print_policy(&p).replacen("\"Statement\"", "\"Statements\"", 1),
            _ => serde_json::to_string_pretty(&other).unwrap(),
        };
        let text = text.trim_end();
        let document = format!("{{\"items\": [1,{}{text}]}}", " ".repeat(indent));
        let read = parse_json(&document, JsonLimits::default()).unwrap();
        let value = match &read.kind {
            keyhole_policy::json::JsonKind::Object(members) => match &members[0].value.kind {
                keyhole_policy::json::JsonKind::Array(items) => items[1].clone(),
                _ => unreachable!(),
            },
            _ => unreachable!(),
        };
        prop_assert_eq!(&document[value.span.start..value.span.end], text);
        let alone = parse_policy(text);
        prop_assert_eq!(policy_from_value(&value, PolicyLimits::default()), Some(alone));
    }

    /// The strict JSON reader reads what serde_json writes, to the same value.
    #[test]
    fn json_reader_agrees_with_serde(v in json_value()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        let parsed = parse_json(&text, JsonLimits::default()).unwrap();
        prop_assert_eq!(parsed.to_value(), v);
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        "\\PC{0,10}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            btree_map("\\PC{0,6}", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every policy of the corpus that parses prints and parses back to itself.
#[test]
fn corpus_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "../shared/corpus is missing and CI=true requires it"
        );
        eprintln!("SKIPPED: corpus_round_trips needs ../shared/corpus");
        return;
    }
    let mut stack = vec![dir];
    let mut checked = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let Ok(policy) = parse_policy(&text) else {
                continue;
            };
            let printed = print_policy(&policy);
            let back = parse_policy(&printed)
                .unwrap_or_else(|e| panic!("{}: printed policy does not parse: {e}", p.display()));
            assert_eq!(back, policy, "{}", p.display());
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} corpus policies parsed");
}

/// A policy object that, read alone, would pass the JSON limits is left to be read alone, where
/// it gets its error.
#[test]
fn a_policy_past_the_json_limits_is_read_alone() {
    let deep = format!(
        "{{\"Statement\": {{\"Condition\": {}1{}}}}}",
        "[".repeat(31),
        "]".repeat(31)
    );
    let document = format!("[[[{deep}]]]");
    let deeper = JsonLimits {
        max_depth: 64,
        ..JsonLimits::default()
    };
    let read = parse_json(&document, deeper).unwrap();
    let mut value = &read;
    for _ in 0..3 {
        value = match &value.kind {
            keyhole_policy::json::JsonKind::Array(items) => &items[0],
            _ => unreachable!(),
        };
    }
    // Depth 33 alone: over the limit of 32, though the document allows it.
    assert_eq!(policy_from_value(value, PolicyLimits::default()), None);
    assert!(parse_policy(&deep).is_err());
    let mut few = PolicyLimits::default();
    few.json.max_values = 2;
    let small = r#"{"Version": "2012-10-17", "Statement": []}"#;
    let read = parse_json(small, JsonLimits::default()).unwrap();
    assert_eq!(policy_from_value(&read, few), None);
    assert!(parse_policy_with(small, few).is_err());
    few.json.max_values = 3;
    assert_eq!(
        policy_from_value(&read, few),
        Some(parse_policy_with(small, few))
    );
    few.json.max_bytes = small.len() - 1;
    assert_eq!(policy_from_value(&read, few), None);
}
