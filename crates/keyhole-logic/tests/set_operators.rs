//! `ForAnyValue:` and `ForAllValues:`: named cases of the set qualifiers, each answer checked
//! against the concrete evaluator (`keyhole_policy::condition::evaluate_entry`): every `Yes`
//! witness is allowed, and every `No` is checked against the representative requests of the
//! query's atoms and membership flags.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyhole_logic::{
    Answer, PolicyKind, QueryOptions, Space, Witness, allowed_but_not, representative_requests,
    satisfiable,
};
use keyhole_policy::condition::ConditionOperator;
use keyhole_policy::request::{ContextValue, Request};
use keyhole_policy::{Decision, EvalOptions, Policy, PolicySet, evaluate, parse_policy};

fn policy(statements: &str) -> Policy {
    parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    ))
    .unwrap()
}

/// An `Allow *` statement with this condition block.
fn allow_if(condition: &str) -> String {
    format!(r#"{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {condition}}}"#)
}

/// A `Deny *` statement with this condition block.
fn deny_if(condition: &str) -> String {
    format!(r#"{{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {condition}}}"#)
}

fn options(kind: PolicyKind) -> QueryOptions {
    QueryOptions {
        kind,
        ..Default::default()
    }
}

fn allow_all() -> Policy {
    policy(r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#)
}

fn allowed(p: &Policy, request: &Request, kind: PolicyKind) -> bool {
    let set = match kind {
        PolicyKind::Identity => PolicySet {
            identity: vec![p.clone()],
            ..Default::default()
        },
        PolicyKind::Resource => PolicySet {
            identity: vec![allow_all()],
            resource: Some(p.clone()),
            ..Default::default()
        },
    };
    let options = EvalOptions {
        wildcard_only_action: Some(false),
        ..Default::default()
    };
    evaluate(request, &set, &options).decision == Decision::Allowed
}

/// `satisfiable`, checked against the evaluator; the witness of a `Yes`.
fn solve(p: &Policy) -> Option<Witness> {
    let kind = PolicyKind::Identity;
    match satisfiable(p, &options(kind)) {
        Answer::Yes(w) => {
            assert!(allowed(p, &w.to_request(), kind), "{w:?} is refused");
            Some(w)
        }
        Answer::No => {
            let requests = representative_requests(&[p], &options(kind), 256).unwrap();
            assert!(!requests.is_empty());
            for r in requests {
                assert!(!allowed(p, &r, kind), "`No`, but {r:?} is allowed");
            }
            None
        }
        Answer::Unknown(reason) => panic!("Unknown: {reason}"),
    }
}

/// `allowed_but_not`, checked against the evaluator.
fn more(p1: &Policy, p2: &Policy) -> Option<Witness> {
    let kind = PolicyKind::Identity;
    match allowed_but_not(p1, p2, &options(kind)) {
        Answer::Yes(w) => {
            let r = w.to_request();
            assert!(allowed(p1, &r, kind) && !allowed(p2, &r, kind), "{w:?}");
            Some(w)
        }
        Answer::No => {
            for r in representative_requests(&[p1, p2], &options(kind), 256).unwrap() {
                assert!(
                    !allowed(p1, &r, kind) || allowed(p2, &r, kind),
                    "`No`, but {r:?} separates them"
                );
            }
            None
        }
        Answer::Unknown(reason) => panic!("Unknown: {reason}"),
    }
}

fn tag_keys(w: &Witness) -> Option<&ContextValue> {
    w.context.get("aws:TagKeys")
}

#[test]
fn for_all_values_holds_on_an_absent_key() {
    let p = policy(&allow_if(
        r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}, "Null": {"aws:TagKeys": "true"}}"#,
    ));
    let w = solve(&p).expect("an absent key satisfies ForAllValues");
    assert_eq!(tag_keys(&w), None);
}

#[test]
fn for_any_value_fails_on_an_absent_key() {
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "true"}}"#,
    ));
    assert!(solve(&p).is_none());
    // Negation plays no part in the missing-key answer of a qualified operator.
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "true"}}"#,
    ));
    assert!(solve(&p).is_none());
    let p = policy(&allow_if(
        r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "true"}}"#,
    ));
    assert!(solve(&p).is_some());
}

#[test]
fn if_exists_holds_on_an_absent_key_but_not_on_an_empty_set() {
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "true"}}"#,
    ));
    assert!(solve(&p).is_some());
    // Present, and no element equal to `env`: neither a single value nor a set gets in, the
    // empty set included.
    let p = policy(&format!(
        "{}, {}",
        allow_if(
            r#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "false"}}"#
        ),
        deny_if(r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}"#)
    ));
    assert!(solve(&p).is_none());
}

#[test]
fn for_all_values_holds_on_the_empty_set() {
    // Present, not a single value (a plain `StringNotLike *` holds only on a missing or
    // multivalued key), and every element unlike `*`: only the empty set.
    let p = policy(&allow_if(
        r#"{"ForAllValues:StringNotLike": {"aws:TagKeys": "*"}, "Null": {"aws:TagKeys": "false"}, "StringNotLike": {"aws:TagKeys": "*"}}"#,
    ));
    let w = solve(&p).expect("the empty set");
    assert_eq!(tag_keys(&w), Some(&ContextValue::Multi(Vec::new())));
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringLike": {"aws:TagKeys": "*"}, "Null": {"aws:TagKeys": "false"}, "StringNotLike": {"aws:TagKeys": "*"}}"#,
    ));
    let w = solve(&p).expect("a non-empty set");
    assert!(
        matches!(tag_keys(&w), Some(ContextValue::Multi(v)) if !v.is_empty()),
        "{w:?}"
    );
}

#[test]
fn for_any_value_string_not_equals_needs_one_other_element() {
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}}"#,
    ));
    let w = solve(&p).unwrap();
    let values: Vec<String> = match tag_keys(&w).unwrap() {
        ContextValue::Single(v) => vec![v.clone()],
        ContextValue::Multi(vs) => vs.clone(),
    };
    assert!(values.iter().any(|v| v != "env"), "{w:?}");
    // Every element must be `env` or `team`, one must not be `env`, and one must be `env`:
    // a set of both.
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]},
            "ForAnyValue:StringLike": {"aws:TagKeys": "e*"}}"#,
    ));
    let w = solve(&p).unwrap();
    let Some(ContextValue::Multi(mut vs)) = tag_keys(&w).cloned() else {
        panic!("{w:?}")
    };
    vs.sort();
    assert_eq!(vs, ["env", "team"]);
}

#[test]
fn for_all_values_string_equals_on_tag_keys() {
    let only_env_team = policy(&allow_if(
        r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#,
    ));
    let only_env = policy(&allow_if(
        r#"{"ForAllValues:StringEquals": {"aws:TagKeys": "env"}}"#,
    ));
    let w = more(&only_env_team, &only_env).expect("a set with `team`");
    let has_team = match tag_keys(&w) {
        Some(ContextValue::Single(v)) => v == "team",
        Some(ContextValue::Multi(vs)) => vs.iter().any(|v| v == "team"),
        None => false,
    };
    assert!(has_team, "{w:?}");
    assert!(more(&only_env, &only_env_team).is_none());
    // A required tag outside the allowed ones: nothing.
    let p = policy(&allow_if(
        r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]},
            "ForAnyValue:StringEquals": {"aws:TagKeys": "owner"}}"#,
    ));
    assert!(solve(&p).is_none());
}

#[test]
fn a_qualified_operator_reads_a_single_value_as_a_one_element_set() {
    let p = policy(&allow_if(
        r#"{"ForAllValues:StringEquals": {"aws:TagKeys": "env"}, "StringEquals": {"aws:TagKeys": "env"}}"#,
    ));
    let w = solve(&p).unwrap();
    assert_eq!(tag_keys(&w), Some(&ContextValue::Single("env".to_owned())));
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}, "StringNotEquals": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "false"}}"#,
    ));
    // A single value other than `env` fails; a set containing `env` passes (the plain
    // negated operator holds on a multivalued key).
    let w = solve(&p).unwrap();
    assert_eq!(
        tag_keys(&w),
        Some(&ContextValue::Multi(vec!["env".to_owned()]))
    );
}

#[test]
fn malformed_elements_satisfy_neither_form_of_a_typed_operator() {
    // Elements that are numbers are all below 5, above 5 or equal to it; the allow needs one
    // that is a number other than 5.
    let p = policy(&format!(
        "{}, {}, {}",
        allow_if(r#"{"ForAnyValue:NumericNotEquals": {"s3:max-keys": "5"}}"#),
        deny_if(r#"{"ForAnyValue:NumericLessThan": {"s3:max-keys": "5"}}"#),
        deny_if(r#"{"ForAnyValue:NumericGreaterThan": {"s3:max-keys": "5"}}"#),
    ));
    assert!(solve(&p).is_none());
    // An unparseable element makes `ForAllValues:` fail, negated base included.
    let p = policy(&allow_if(
        r#"{"ForAllValues:NumericNotEquals": {"s3:max-keys": "5"}, "ForAnyValue:NumericEquals": {"s3:max-keys": "7"}}"#,
    ));
    let w = solve(&p).unwrap();
    assert!(w.context.contains_key("s3:max-keys"));
    // A set with an unparseable element and a number: only as a set (the plain operators
    // fail on it; the single value must parse to pass the first test).
    let p = policy(&format!(
        "{}, {}",
        allow_if(
            r#"{"ForAnyValue:NumericEquals": {"s3:max-keys": "7"}, "ForAllValues:NumericLessThan": {"s3:max-keys": "100"}}"#
        ),
        deny_if(r#"{"NumericEquals": {"s3:max-keys": "7"}}"#),
    ));
    let w = solve(&p).unwrap();
    assert!(
        matches!(w.context.get("s3:max-keys"), Some(ContextValue::Multi(v)) if v.contains(&"7".to_owned())),
        "{w:?}"
    );
}

#[test]
fn values_of_the_wrong_type_match_nothing() {
    // `ForAnyValue:IpAddress` with an unparseable policy value: no element matches, the negated
    // form fails on every element.
    let p = policy(&allow_if(
        r#"{"ForAnyValue:NotIpAddress": {"aws:SourceIp": "300.1.1.1"}}"#,
    ));
    assert!(solve(&p).is_none());
    let p = policy(&allow_if(
        r#"{"ForAllValues:NotIpAddress": {"aws:SourceIp": "300.1.1.1"}, "Null": {"aws:SourceIp": "false"}}"#,
    ));
    let w = solve(&p).expect("the empty set");
    assert_eq!(
        w.context.get("aws:SourceIp"),
        Some(&ContextValue::Multi(Vec::new()))
    );
    // ARN operators on elements that are not ARNs (fewer than six fields).
    let p = policy(&allow_if(
        r#"{"ForAnyValue:ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::*"}, "ForAllValues:StringLike": {"aws:SourceArn": ["x", "a:b"]}}"#,
    ));
    assert!(solve(&p).is_none());
}

#[test]
fn dates_and_bools_under_qualifiers() {
    let p = policy(&allow_if(
        r#"{"ForAnyValue:DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
            "ForAnyValue:DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#,
    ));
    let w = solve(&p).unwrap();
    assert!(
        matches!(w.context.get("aws:CurrentTime"), Some(ContextValue::Multi(v)) if v.len() == 2),
        "{w:?}"
    );
    let p = policy(&allow_if(
        r#"{"ForAllValues:Bool": {"aws:SecureTransport": "true"}, "ForAnyValue:Bool": {"aws:SecureTransport": "false"}}"#,
    ));
    assert!(solve(&p).is_none());
}

#[test]
fn linked_principal_keys_are_one_element_sets() {
    let options = options(PolicyKind::Resource);
    let check = |statements: &str| -> Answer {
        let p = policy(statements);
        let mut space = Space::linked(&options).unwrap();
        let a = space.allowed(&p).unwrap();
        let answer = space.solve(&a);
        match &answer {
            Answer::Yes(w) => assert!(
                allowed(&p, &w.to_request(), PolicyKind::Resource),
                "{w:?} is refused"
            ),
            Answer::No => {
                for r in space.representative_requests(128).unwrap() {
                    assert!(!allowed(&p, &r, PolicyKind::Resource), "{r:?} is allowed");
                }
            }
            Answer::Unknown(reason) => panic!("Unknown: {reason}"),
        }
        answer
    };
    let Answer::Yes(w) = check(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"ForAnyValue:ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}}"#,
    ) else {
        panic!()
    };
    assert!(
        w.principal
            .arn()
            .is_some_and(|a| a.to_string().contains(":assumed-role/")),
        "{w:?}"
    );
    // Vacuously true for callers without the key.
    let Answer::Yes(w) = check(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"ForAllValues:ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"},
                          "Null": {"aws:PrincipalArn": "true"}}}"#,
    ) else {
        panic!()
    };
    assert!(w.principal.arn().is_none(), "{w:?}");
    assert_eq!(
        check(
            r#"{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": {"ForAnyValue:StringNotEquals": {"aws:PrincipalAccount": "111122223333"},
                              "Null": {"aws:PrincipalAccount": "true"}}}"#,
        ),
        Answer::No
    );
    assert!(matches!(
        check(
            r#"{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalAccount": "111122223333"},
                              "ForAnyValue:StringLike": {"aws:PrincipalArn": "*:user/*"}}}"#,
        ),
        Answer::Yes(_)
    ));
}

#[test]
fn org_paths_in_a_resource_policy() {
    let kind = PolicyKind::Resource;
    let p = policy(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-1/ou-x/*"}}}"#,
    );
    let Answer::Yes(w) = satisfiable(&p, &options(kind)) else {
        panic!()
    };
    assert!(allowed(&p, &w.to_request(), kind), "{w:?}");
    let paths = w.context.get("aws:PrincipalOrgPaths").unwrap();
    let first = match paths {
        ContextValue::Single(v) => v.clone(),
        ContextValue::Multi(vs) => vs[0].clone(),
    };
    assert!(first.starts_with("o-abc/r-1/ou-x/"), "{w:?}");
}

#[test]
fn space_conditions_take_qualified_operators() {
    let mut space = Space::new(&QueryOptions::default()).unwrap();
    let op = ConditionOperator::parse("ForAllValues:StringEquals").unwrap();
    let all = space.condition(op, "aws:TagKeys", &["a"], true).unwrap();
    let op = ConditionOperator::parse("ForAnyValue:StringEquals").unwrap();
    let any = space.condition(op, "aws:TagKeys", &["b"], true).unwrap();
    assert_eq!(space.solve(&all.clone().and(any.clone())), Answer::No);
    let Answer::Yes(w) = space.solve(&any.and(all.negate())) else {
        panic!()
    };
    assert!(w.context.contains_key("aws:TagKeys"));
}

#[test]
fn representative_requests_combine_set_elements() {
    let p = policy(&allow_if(
        r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}, "ForAllValues:StringLike": {"aws:TagKeys": "a*"}}"#,
    ));
    let requests = representative_requests(&[&p], &options(PolicyKind::Identity), 64).unwrap();
    let sizes: Vec<usize> = requests
        .iter()
        .filter_map(|r| match r.context.get("aws:TagKeys") {
            Some(ContextValue::Multi(v)) => Some(v.len()),
            _ => None,
        })
        .collect();
    // Atoms: `a`, `b`, other `a…`, the rest; the empty set, each one-element set, all four.
    for size in [0, 1, 4] {
        assert!(sizes.contains(&size), "{sizes:?}");
    }
    assert!(sizes.iter().filter(|&&n| n == 1).count() >= 4, "{sizes:?}");
}
