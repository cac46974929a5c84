//! Evaluator rules that the oracle suites do not pin, each named after what it pins.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_policy::scenario::parse_scenario;
use keyhole_policy::{Decision, evaluate};

fn decide(scenario: &str) -> Decision {
    let s =
        parse_scenario(scenario).unwrap_or_else(|e| panic!("{e} at {}", e.span.location(scenario)));
    evaluate(&s.request, &s.policies, &s.options).decision
}

const BUCKET_PUBLIC_READ: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#;

#[test]
fn rcp_deny_applies_to_service_principals() {
    let s = format!(
        r#"{{"resourcePolicy": {BUCKET_PUBLIC_READ},
            "rcps": [[{{"Statement": {{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}}}}]],
            "request": {{"principal": "cloudtrail.amazonaws.com", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resourceAccount": "111122223333"}}}}"#
    );
    assert_eq!(decide(&s), Decision::ExplicitlyDenied);
}

#[test]
fn scps_do_not_apply_to_anonymous_callers() {
    let s = format!(
        r#"{{"resourcePolicy": {BUCKET_PUBLIC_READ}, "scps": [[]],
            "request": {{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resourceAccount": "111122223333"}}}}"#
    );
    assert_eq!(decide(&s), Decision::Allowed);
}

#[test]
fn an_empty_scp_level_denies_everything() {
    let s = r#"{"identityPolicies": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}], "scps": [[]],
        "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:ListAllMyBuckets"}}"#;
    assert_eq!(decide(s), Decision::ImplicitlyDenied);
}

#[test]
fn cross_account_needs_both_identity_and_resource_policy() {
    let resource = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sqs:SendMessage", "Resource": "*"}}"#;
    let identity = r#"[{"Statement": {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}}]"#;
    let req = r#""request": {"principal": "arn:aws:iam::444455556666:role/r", "action": "sqs:SendMessage", "resource": "arn:aws:sqs:us-east-1:111122223333:q"}"#;
    assert_eq!(
        decide(&format!(r#"{{"resourcePolicy": {resource}, {req}}}"#)),
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        decide(&format!(r#"{{"identityPolicies": {identity}, {req}}}"#)),
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        decide(&format!(
            r#"{{"resourcePolicy": {resource}, "identityPolicies": {identity}, {req}}}"#
        )),
        Decision::Allowed
    );
}

#[test]
fn same_account_resource_policy_naming_the_caller_suffices_alone() {
    let s = r#"{"resourcePolicy": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "sqs:SendMessage", "Resource": "*"}},
        "request": {"principal": "arn:aws:sts::111122223333:assumed-role/app/s1", "action": "sqs:SendMessage", "resource": "arn:aws:sqs:us-east-1:111122223333:q"}}"#;
    assert_eq!(decide(s), Decision::Allowed);
}

#[test]
fn kms_key_policy_must_trust_the_account_for_identity_policies_to_count() {
    let identity =
        r#"[{"Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}}]"#;
    let req = r#""request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "kms:Decrypt", "resource": "arn:aws:kms:us-east-1:111122223333:key/k1"}"#;
    let untrusting = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/admin"}, "Action": "kms:*", "Resource": "*"}}"#;
    let trusting = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}}"#;
    assert_eq!(
        decide(&format!(
            r#"{{"identityPolicies": {identity}, "resourcePolicy": {untrusting}, {req}}}"#
        )),
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        decide(&format!(
            r#"{{"identityPolicies": {identity}, "resourcePolicy": {trusting}, {req}}}"#
        )),
        Decision::Allowed
    );
}

#[test]
fn plain_operator_on_multivalued_key_does_not_match() {
    // AWS's simulator: StringLike against a stringList entry is an implicit deny.
    let s = r#"{"identityPolicies": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
        "Condition": {"StringLike": {"ec2:InstanceType": "t2.*"}}}}],
        "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "ec2:RunInstances", "context": {"ec2:InstanceType": ["t2.micro"]}}}"#;
    assert_eq!(decide(s), Decision::ImplicitlyDenied);
}

#[test]
fn policy_variables_only_in_the_2012_language() {
    let policy = |version: &str| {
        format!(
            r#"{{"identityPolicies": [{{{version}"Statement": {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${{aws:username}}/*"}}}}],
                "request": {{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/alice/x", "context": {{"aws:username": "alice"}}}}}}"#
        )
    };
    assert_eq!(
        decide(&policy(r#""Version": "2012-10-17", "#)),
        Decision::Allowed
    );
    assert_eq!(decide(&policy("")), Decision::ImplicitlyDenied);
}

#[test]
fn get_caller_identity_cannot_be_denied() {
    let s = r#"{"identityPolicies": [{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}],
        "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "sts:GetCallerIdentity"}}"#;
    assert_eq!(decide(s), Decision::Allowed);
}

#[test]
fn a_single_policy_is_judged_by_its_statements_alone() {
    use keyhole_policy::{EvalOptions, Layer, evaluate_policy, parse_policy};
    let s = parse_scenario(
        r#"{"request": {"principal": "arn:aws:iam::444455556666:user/x", "action": "sts:GetCallerIdentity", "resource": "*"}}"#,
    )
    .unwrap();
    let deny = parse_policy(r#"{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#)
        .unwrap();
    let opts = EvalOptions::default();
    // The chain always allows GetCallerIdentity; the policy on its own denies it.
    assert_eq!(
        evaluate_policy(&deny, Layer::Identity, &s.request, &opts),
        Decision::ExplicitlyDenied
    );
    let grant = parse_policy(r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:*", "Resource": "*"}}"#).unwrap();
    assert_eq!(
        evaluate_policy(&grant, Layer::Resource, &s.request, &opts),
        Decision::Allowed
    );
    assert_eq!(
        evaluate_policy(&grant, Layer::Identity, &s.request, &opts),
        Decision::Allowed
    );
}

#[test]
fn request_json_reads_back_to_the_same_request() {
    use keyhole_policy::scenario::request_to_json;
    for principal in [
        r#""arn:aws:sts::111122223333:assumed-role/r/s""#,
        r#""anonymous""#,
        r#"{"type": "Service", "id": "sns.amazonaws.com"}"#,
        r#"{"type": "Federated", "id": "accounts.google.com"}"#,
    ] {
        let text = format!(
            r#"{{"request": {{"principal": {principal}, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resourceAccount": "444455556666",
                "context": {{"aws:SourceIp": "203.0.113.9", "aws:TagKeys": ["a", "b"]}}}}}}"#
        );
        let first = parse_scenario(&text).unwrap().request;
        let again =
            parse_scenario(&serde_json::json!({"request": request_to_json(&first)}).to_string())
                .unwrap()
                .request;
        assert_eq!(again, first);
    }
}
