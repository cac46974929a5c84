//! Hostile inputs end within their budget, with an answer or `Unknown(reason)`, never a hang or
//! a crash. (Time is not asserted: a hang would exceed the test harness's patience, and the
//! budgets, not the clock, are what bound the work.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_logic::{Answer, Limits, QueryOptions, satisfiable};
use keyhole_policy::parse_policy;

fn statement_json(
    effect: &str,
    actions: &[String],
    resources: &[String],
    condition: &str,
) -> String {
    format!(
        r#"{{"Effect": "{effect}", "Action": {}, "Resource": {}{condition}}}"#,
        serde_json::to_string(actions).unwrap(),
        serde_json::to_string(resources).unwrap()
    )
}

fn policy(statements: &[String]) -> keyhole_policy::Policy {
    parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    ))
    .unwrap()
}

fn assert_decided_or_unknown(answer: &Answer) {
    match answer {
        Answer::Yes(_) | Answer::No => {}
        Answer::Unknown(reason) => assert!(!reason.is_empty(), "Unknown must say why"),
    }
}

#[test]
fn hundreds_of_overlapping_wildcards_end_within_budget() {
    // 300 resource patterns with stars at different places, all overlapping one another.
    let resources: Vec<String> = (0..300)
        .map(|i| format!("arn:aws:s3:::b*{}*{}*/*x{}?*", i % 7, i % 11, i % 13))
        .collect();
    let denies: Vec<String> = (0..100)
        .map(|i| format!("arn:aws:s3:::*{}*{}", i % 5, i % 9))
        .collect();
    let p = policy(&[
        statement_json("Allow", &["s3:*".to_owned()], &resources, ""),
        statement_json("Deny", &["s3:Get*".to_owned()], &denies, ""),
    ]);
    let small = QueryOptions {
        limits: Limits {
            max_atoms: 64,
            max_nodes: 10_000,
            max_automaton_states: 5_000,
        },
        ..QueryOptions::default()
    };
    let answer = satisfiable(&p, &small);
    assert_decided_or_unknown(&answer);
    let answer = satisfiable(&p, &QueryOptions::default());
    assert_decided_or_unknown(&answer);
}

#[test]
fn huge_cidr_lists_end_within_budget() {
    let cidrs: Vec<String> = (0..2000)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    let not_cidrs: Vec<String> = (0..500).map(|i| format!("2001:db8:{:x}::/48", i)).collect();
    let condition = format!(
        r#", "Condition": {{"IpAddress": {{"aws:SourceIp": {}}}, "NotIpAddress": {{"aws:SourceIp": {}}}}}"#,
        serde_json::to_string(&cidrs).unwrap(),
        serde_json::to_string(&not_cidrs).unwrap()
    );
    let p = policy(&[statement_json(
        "Allow",
        &["sqs:SendMessage".to_owned()],
        &["*".to_owned()],
        &condition,
    )]);
    let answer = satisfiable(&p, &QueryOptions::default());
    assert_decided_or_unknown(&answer);
    if let Answer::Yes(w) = &answer {
        let ip = match w
            .context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("aws:SourceIp"))
        {
            Some((_, keyhole_policy::request::ContextValue::Single(ip))) => ip.clone(),
            other => panic!("witness lacks aws:SourceIp: {other:?}"),
        };
        assert!(ip.starts_with("10."), "{ip}");
    }
}

#[test]
fn many_statements_with_many_keys_end_within_budget() {
    let statements: Vec<String> = (0..200)
        .map(|i| {
            let condition = format!(
                r#", "Condition": {{"StringLike": {{"aws:PrincipalTag/t{}": "v*{}"}}, "NumericLessThan": {{"s3:max-keys": "{}"}}, "StringNotEquals": {{"aws:SourceVpc": "vpc-{}"}}}}"#,
                i % 17,
                i,
                i * 3,
                i % 23
            );
            statement_json(if i % 4 == 0 { "Deny" } else { "Allow" }, &[format!("s3:*{}", i % 10)], &["*".to_owned()], &condition)
        })
        .collect();
    let p = policy(&statements);
    let small = QueryOptions {
        limits: Limits {
            max_atoms: 32,
            max_nodes: 2_000,
            max_automaton_states: 2_000,
        },
        ..QueryOptions::default()
    };
    assert_decided_or_unknown(&satisfiable(&p, &small));
    assert_decided_or_unknown(&satisfiable(&p, &QueryOptions::default()));
}
