//! Named cases of the query API: exact answers on corner cases of the condition semantics,
//! `Unknown` for the constructs that are not decided yet, and budgets on hostile input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyhole_logic::{
    Answer, Limits, PolicyKind, QueryOptions, Restriction, allowed_but_not, satisfiable,
};
use keyhole_policy::request::{ContextValue, RequestPrincipal};
use keyhole_policy::{Decision, EvalOptions, Policy, PolicySet, evaluate, parse_policy};

fn policy(statements: &str) -> Policy {
    parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    ))
    .unwrap()
}

fn identity() -> QueryOptions {
    QueryOptions::default()
}

fn resource() -> QueryOptions {
    QueryOptions {
        kind: PolicyKind::Resource,
        ..Default::default()
    }
}

fn allowed_as_identity(p: &Policy, answer: &Answer) -> bool {
    let Answer::Yes(w) = answer else {
        panic!("expected Yes, got {answer:?}")
    };
    let set = PolicySet {
        identity: vec![p.clone()],
        ..Default::default()
    };
    let options = EvalOptions {
        wildcard_only_action: Some(false),
        ..Default::default()
    };
    evaluate(&w.to_request(), &set, &options).decision == Decision::Allowed
}

#[test]
fn a_plain_allow_has_a_well_formed_witness() {
    let p =
        policy(r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::bucket/*"}"#);
    let answer = satisfiable(&p, &identity());
    assert!(allowed_as_identity(&p, &answer));
    let Answer::Yes(w) = answer else {
        unreachable!()
    };
    assert!(w.action.starts_with("s3:Get"), "{w:?}");
    assert!(w.resource.starts_with("arn:aws:s3:::bucket/"), "{w:?}");
    assert_eq!(w.principal.account(), Some("111122223333"));
}

#[test]
fn a_deny_that_covers_the_allow_leaves_nothing() {
    let p = policy(
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
           {"Effect": "Deny", "Action": "S3:get*", "Resource": "*"}"#,
    );
    assert_eq!(satisfiable(&p, &identity()), Answer::No);
}

#[test]
fn a_multivalued_key_is_present_for_null_and_missing_for_plain_operators() {
    // No single value is unlike `*`, and the key must be present: only a multivalued value
    // (which plain operators treat as missing) gets in.
    let p = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Null": {"aws:TagKeys": "false"}, "StringNotLike": {"aws:TagKeys": "*"}}}"#,
    );
    let answer = satisfiable(&p, &identity());
    assert!(allowed_as_identity(&p, &answer));
    let Answer::Yes(w) = answer else {
        unreachable!()
    };
    assert!(matches!(
        w.context.get("aws:TagKeys"),
        Some(ContextValue::Multi(_))
    ));
}

#[test]
fn negated_operators_with_an_unparsable_value_never_hold_on_present_keys() {
    let p = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"NumericNotEquals": {"s3:max-keys": ["abc", "10"]}, "Null": {"s3:max-keys": "false"}}}"#,
    );
    // Present single values fail (`abc` cannot vouch), multivalued values are "missing" for
    // NumericNotEquals (true) and present for Null: that is the only way in.
    let answer = satisfiable(&p, &identity());
    assert!(allowed_as_identity(&p, &answer));
}

#[test]
fn numeric_and_date_bounds_are_exact() {
    let p = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"NumericGreaterThan": {"s3:max-keys": "10"}, "NumericLessThan": {"s3:max-keys": "10.5"},
                          "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
                          "DateLessThanEquals": {"aws:CurrentTime": "1704067200.000000001"}}}"#,
    );
    let answer = satisfiable(&p, &identity());
    assert!(allowed_as_identity(&p, &answer));
    let empty = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
                          "DateLessThanEquals": {"aws:CurrentTime": "1704067200"}}}"#,
    );
    assert_eq!(satisfiable(&empty, &identity()), Answer::No);
}

#[test]
fn restriction_to_an_action_and_resource() {
    let p = policy(r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}"#);
    let mut options = identity();
    options.restriction = Restriction {
        action: Some("s3:PutObject".to_owned()),
        resource: Some("arn:aws:s3:::b/k".to_owned()),
        principal: None,
    };
    let Answer::Yes(w) = satisfiable(&p, &options) else {
        panic!()
    };
    assert_eq!(
        (w.action.as_str(), w.resource.as_str()),
        ("s3:PutObject", "arn:aws:s3:::b/k")
    );
    options.restriction.action = Some("ec2:RunInstances".to_owned());
    assert_eq!(satisfiable(&p, &options), Answer::No);
}

/// An `…Equals` operator reads `*` and `?` as characters: `StringEquals "home/*"` lets in
/// exactly the prefix `home/*` (a key may hold a `*`), which `StringLike "home/*"` also does,
/// but not `home/x`.
#[test]
fn equals_operators_compare_wildcards_as_characters() {
    let on_prefix = |operator: &str, value: &str| {
        policy(&format!(
            r#"{{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
                "Condition": {{"{operator}": {{"s3:prefix": "{value}"}}}}}}"#
        ))
    };
    let prefix = |answer: &Answer| match answer {
        Answer::Yes(w) => match w.context.get("s3:prefix") {
            Some(ContextValue::Single(p)) => p.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let equals = on_prefix("StringEquals", "home/*");
    let answer = satisfiable(&equals, &identity());
    assert!(allowed_as_identity(&equals, &answer));
    assert_eq!(prefix(&answer), "home/*");
    let like = on_prefix("StringLike", "home/*");
    assert_eq!(allowed_but_not(&equals, &like, &identity()), Answer::No);
    assert_ne!(
        prefix(&allowed_but_not(&like, &equals, &identity())),
        "home/*"
    );
    let ignore_case = on_prefix("StringEqualsIgnoreCase", "Home/?");
    let answer = satisfiable(&ignore_case, &identity());
    assert!(prefix(&answer).eq_ignore_ascii_case("home/?"));
}

#[test]
fn allowed_but_not_finds_the_difference() {
    let old = policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#);
    let new = policy(r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}"#);
    let Answer::Yes(w) = allowed_but_not(&new, &old, &identity()) else {
        panic!()
    };
    assert!(!w.action.eq_ignore_ascii_case("s3:GetObject"));
    assert_eq!(allowed_but_not(&old, &new, &identity()), Answer::No);
}

#[test]
fn org_pinned_wildcard_principal_is_not_everyone() {
    let p = policy(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}"#,
    );
    let mut options = resource();
    options.restriction.principal = Some(RequestPrincipal::Anonymous);
    let Answer::Yes(w) = satisfiable(&p, &options) else {
        panic!()
    };
    assert_eq!(
        w.context.get("aws:PrincipalOrgID"),
        Some(&ContextValue::Single("o-123".to_owned()))
    );
}

#[test]
fn a_role_principal_names_its_sessions() {
    let p = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/path/R"},
            "Action": "s3:GetObject", "Resource": "*"},
           {"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"},
           {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:role/path/R"},
            "Action": "*", "Resource": "*", "Condition": {"StringNotLike": {"aws:userid": "x"}}}"#,
    );
    let mut options = resource();
    options.restriction.principal =
        RequestPrincipal::parse("arn:aws:sts::444455556666:assumed-role/R/session");
    let Answer::Yes(w) = satisfiable(&p, &options) else {
        panic!()
    };
    assert_eq!(
        w.context.get("aws:userid"),
        Some(&ContextValue::Single("x".to_owned()))
    );
}

#[test]
fn undecided_constructs_are_unknown_with_a_reason() {
    let cases = [
        (
            r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}"#,
            PolicyKind::Identity,
            "${aws:username}",
        ),
        (
            r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"k": "a"}, "NumericEquals": {"K": "1"}}}"#,
            PolicyKind::Identity,
            "both as string and as numeric",
        ),
        (
            r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "::ffff:0:0/96"}}}"#,
            PolicyKind::Identity,
            "IPv4-mapped",
        ),
    ];
    for (statement, kind, needle) in cases {
        let p = policy(statement);
        let options = QueryOptions {
            kind,
            ..Default::default()
        };
        match satisfiable(&p, &options) {
            Answer::Unknown(reason) => assert!(reason.contains(needle), "{reason}"),
            other => panic!("{statement}: expected Unknown, got {other:?}"),
        }
    }
}

#[test]
fn literal_escapes_are_not_variables() {
    let p = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${*}",
            "Condition": {"StringEquals": {"s3:prefix": "a${?}"}}}"#,
    );
    // The resource would have to contain `*`, which makes it a pattern, not a resource.
    assert_eq!(satisfiable(&p, &identity()), Answer::No);
    let p = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"s3:prefix": "a${?}"}}}"#,
    );
    let answer = satisfiable(&p, &identity());
    assert!(allowed_as_identity(&p, &answer));
}

#[test]
fn hostile_wildcards_end_within_the_budget() {
    // Hundreds of overlapping patterns on one key: the atom budget answers Unknown quickly.
    let values: Vec<String> = (0..200).map(|i| format!("\"*a{i}*b*{i}*\"")).collect();
    let statements: Vec<String> = values
        .iter()
        .map(|v| {
            format!(
                r#"{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {{"StringLike": {{"k": {v}}}}}}}"#
            )
        })
        .collect();
    let p = policy(&format!(
        r#"{}, {{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {{"StringLike": {{"k": "*"}}}}}}"#,
        statements.join(", ")
    ));
    let options = QueryOptions {
        limits: Limits {
            max_atoms: 64,
            max_automaton_states: 2_000,
            ..Limits::default()
        },
        ..Default::default()
    };
    match satisfiable(&p, &options) {
        Answer::Unknown(reason) => assert!(reason.starts_with("budget:"), "{reason}"),
        other => panic!("expected a budget, got {other:?}"),
    }
}

#[test]
fn node_budget_is_reported() {
    let p = policy(
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"a": "1", "b": "2"}}}"#,
    );
    let options = QueryOptions {
        limits: Limits {
            max_nodes: 3,
            ..Limits::default()
        },
        ..Default::default()
    };
    match satisfiable(&p, &options) {
        Answer::Unknown(reason) => assert!(reason.contains("decision-diagram nodes"), "{reason}"),
        other => panic!("expected a budget, got {other:?}"),
    }
}

#[test]
fn not_principal_applies_to_every_caller_it_does_not_name() {
    let p = policy(
        r#"{"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "*"}"#,
    );
    let options = QueryOptions {
        kind: PolicyKind::Resource,
        ..Default::default()
    };
    let Answer::Yes(w) = satisfiable(&p, &options) else {
        panic!("NotPrincipal allows callers outside the account")
    };
    assert_ne!(w.principal.account(), Some("111122223333"), "{w:?}");
    // Restricted to a caller of the named account, nothing is allowed.
    let inside = QueryOptions {
        kind: PolicyKind::Resource,
        restriction: keyhole_logic::Restriction {
            principal: keyhole_policy::request::RequestPrincipal::parse(
                "arn:aws:iam::111122223333:user/u",
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(satisfiable(&p, &inside), Answer::No);
}

/// `compare` asks about requests AWS could receive: `aws:PrincipalAccount` is the caller's own,
/// so `"*"` pinned to an account's callers adds nothing to a grant to that account.
#[test]
fn compare_reads_principal_keys_off_the_caller() {
    let old = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*"}"#,
    );
    let new = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*"},
           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "444455556666"}}}"#,
    );
    let c = keyhole_logic::compare(&old, &new, &resource());
    assert_eq!(c.relation, keyhole_logic::Relation::Equivalent, "{c:#?}");
    // Widening the account is still found, with a consistent witness.
    let wider = policy(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringLike": {"aws:PrincipalAccount": "44445555*"}}}"#,
    );
    let c = keyhole_logic::compare(&old, &wider, &resource());
    assert_eq!(c.relation, keyhole_logic::Relation::More, "{c:#?}");
    let w = c.new_allows_but_old_denies.unwrap();
    let RequestPrincipal::Aws { arn } = &w.principal else {
        panic!("{w:#?}")
    };
    assert_eq!(
        w.context.get("aws:PrincipalAccount"),
        Some(&ContextValue::Single(arn.account.clone()))
    );
}

/// `::/0` is every IPv6 caller and no IPv4 one (AWS never reports a caller in the IPv4-mapped
/// form): decided, with an IPv6 witness, and never together with an IPv4 block.
#[test]
fn an_ipv6_block_over_the_mapped_range_is_its_ipv6_addresses() {
    let v6 = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "::/0"}}}"#,
    );
    let answer = satisfiable(&v6, &identity());
    assert!(allowed_as_identity(&v6, &answer));
    let Answer::Yes(w) = answer else {
        unreachable!()
    };
    let Some(ContextValue::Single(ip)) = w.context.get("aws:SourceIp") else {
        panic!("{w:?}")
    };
    assert!(ip.contains(':') && !ip.contains('.'), "{ip}");
    let both = policy(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "::/0"}, "ForAnyValue:IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}"#,
    );
    assert_eq!(satisfiable(&both, &identity()), Answer::No);
}
