//! `Space::fix_resource`: `Resource` and `NotResource` elements decided on one concrete ARN give
//! the answers that splitting the resource and restricting it to that ARN gives, and the
//! witnesses (with that ARN as their resource) are requests the concrete evaluator allows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyhole_logic::{Answer, PolicyKind, QueryOptions, Space};
use keyhole_policy::{Decision, EvalOptions, PolicySet, evaluate, parse_policy};
use proptest::prelude::*;

/// Patterns of every shape the encoder reads: `*`, full ARNs, wildcards in every field, short
/// ARNs (padded only with a wildcard), extra fields, another service.
const PATTERNS: &[&str] = &[
    "*",
    "arn:aws:sqs:us-east-1:111122223333:q",
    "arn:aws:sqs:*:111122223333:q*",
    "arn:aws:sqs:us-east-1:*:*",
    "arn:aws:sqs",
    "arn:aws:sqs:*",
    "arn:aws:s3:::b/*",
    "arn:aws:sqs:us-east-1:111122223333:q:extra",
    "arn:*:sqs:us-?ast-1:111122223333:q",
    "arn:aws:sqs:us-east-1:111122223333:?",
    "*:*",
    "arn:aws:sqs:us-east-1:111122223333:Q",
];

const TARGETS: &[&str] = &[
    "arn:aws:sqs:us-east-1:111122223333:q",
    "arn:aws:sqs:us-east-1:111122223333:qq",
    "arn:aws:sqs:eu-west-1:444455556666:q",
    "arn:aws:s3:::b/k:x",
];

fn statement(effect: bool, negated: bool, values: &[usize], vpc: bool) -> String {
    let values: Vec<String> = values
        .iter()
        .map(|&i| format!("\"{}\"", PATTERNS[i % PATTERNS.len()]))
        .collect();
    let condition = if vpc {
        r#", "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}"#
    } else {
        ""
    };
    format!(
        r#"{{"Effect": "{}", "Principal": "*", "Action": "sqs:SendMessage", "{}": [{}]{condition}}}"#,
        if effect { "Allow" } else { "Deny" },
        if negated { "NotResource" } else { "Resource" },
        values.join(", ")
    )
}

proptest! {
    #[test]
    fn a_fixed_resource_answers_as_the_restriction_to_it(
        statements in proptest::collection::vec(
            (any::<bool>(), any::<bool>(), proptest::collection::vec(0usize..64, 1..3), any::<bool>()),
            1..4,
        ),
        target in 0usize..TARGETS.len(),
    ) {
        let arn = TARGETS[target];
        let body: Vec<String> = statements
            .iter()
            .map(|(effect, negated, values, vpc)| statement(*effect, *negated, values, *vpc))
            .collect();
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, body.join(", "));
        let policy = parse_policy(&text).unwrap();
        let options = QueryOptions { kind: PolicyKind::Resource, ..Default::default() };

        let mut fixed = Space::linked(&options).unwrap();
        fixed.fix_resource(arn);
        let allowed = fixed.allowed(&policy).unwrap();
        let answer = fixed.solve(&allowed);

        let mut split = Space::linked(&options).unwrap();
        let allowed = split.allowed(&policy).unwrap();
        let restricted = allowed.and(split.resource_is(arn));
        let expected = split.satisfiable(&restricted).unwrap();

        match answer {
            Answer::Yes(witness) => {
                prop_assert!(expected, "{text} on {arn}: only the fixed space is satisfiable");
                let mut request = witness.to_request();
                request.resource = arn.to_owned();
                let set = PolicySet {
                    identity: vec![parse_policy(
                        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                    ).unwrap()],
                    resource: Some(policy.clone()),
                    ..Default::default()
                };
                let decision = evaluate(&request, &set, &EvalOptions::default()).decision;
                prop_assert_eq!(decision, Decision::Allowed, "{} on {}: {:?}", text, arn, request);
            }
            Answer::No => prop_assert!(!expected, "{text} on {arn}: only the split space is satisfiable"),
            Answer::Unknown(reason) => prop_assert!(false, "{text} on {arn}: unknown {reason}"),
        }
    }
}
