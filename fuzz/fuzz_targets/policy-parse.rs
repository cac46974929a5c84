//! `policy-parse-no-panic`: no input makes the policy parser, the scenario reader or the
//! evaluator panic, and every parse error points inside the text.
//!
//! The bytes are read as UTF-8 (lossily when they are not valid UTF-8) and given to
//! `parse_policy`. On error the span must lie within the text and have a location. When the text
//! parses as a policy, it is also
//! - read as a scenario document on its own (almost always an error, whose span is checked too),
//! - embedded into a scenario as an identity and a resource policy and read back,
//! - evaluated, as identity policy, resource policy and every guardrail layer, against a fixed
//!   request and against a request built from the policy's own first action and resource, both
//!   concretely and in what-if mode.
#![no_main]

use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::scenario::parse_scenario;
use keyhole_policy::{EvalOptions, KnownKey, Policy, PolicySet, Span, evaluate, parse_policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text);
});

fn check(text: &str) {
    let policy = match parse_policy(text) {
        Ok(policy) => policy,
        Err(err) => {
            check_span(text, err.span, &err.kind.to_string());
            return;
        }
    };

    match parse_scenario(text) {
        Ok(scenario) => {
            let _ = evaluate(&scenario.request, &scenario.policies, &scenario.options);
        }
        Err(err) => check_span(text, err.span, &err.message),
    }

    let embedded = format!(
        r#"{{"identityPolicies": [{text}], "resourcePolicy": {text},
            "request": {{"principal": "arn:aws:iam::111122223333:user/fuzz",
                         "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key"}}}}"#
    );
    match parse_scenario(&embedded) {
        Ok(scenario) => {
            let _ = evaluate(&scenario.request, &scenario.policies, &scenario.options);
        }
        Err(err) => check_span(&embedded, err.span, &err.message),
    }

    for request in [fixed_request(), own_request(&policy)] {
        for options in all_options() {
            for policies in policy_sets(&policy) {
                let evaluation = evaluate(&request, &policies, &options);
                let _ = evaluation.reasons.len();
            }
        }
    }
}

fn check_span(text: &str, span: Span, message: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "error span {span:?} outside the text ({} bytes): {message}",
        text.len()
    );
    let at = span.location(text);
    assert!(at.line >= 1, "location {at:?} of {span:?}: {message}");
    assert!(
        at.offset <= text.len(),
        "location {at:?} of {span:?}: {message}"
    );
}

const CALLER: &str = "arn:aws:iam::111122223333:user/fuzz";

fn context() -> Context {
    let mut context = Context::new();
    let single = |s: &str| ContextValue::Single(s.to_owned());
    context.insert("aws:SourceIp", single("203.0.113.9"));
    context.insert("aws:CurrentTime", single("2024-06-01T12:00:00Z"));
    context.insert("aws:EpochTime", single("1717243200"));
    context.insert("aws:MultiFactorAuthPresent", single("true"));
    context.insert("aws:MultiFactorAuthAge", single("300"));
    context.insert("aws:SecureTransport", single("false"));
    context.insert("aws:PrincipalAccount", single("111122223333"));
    context.insert("aws:PrincipalArn", single(CALLER));
    context.insert("aws:username", single("fuzz"));
    context.insert("aws:userid", single("AIDAEXAMPLE"));
    context.insert("aws:PrincipalTag/team", single("red"));
    context.insert("aws:RequestedRegion", single("us-east-1"));
    context.insert("s3:prefix", single("home/fuzz/"));
    context.insert("ec2:VolumeSize", single("100"));
    context.insert(
        "aws:TagKeys",
        ContextValue::Multi(vec!["team".to_owned(), "project".to_owned()]),
    );
    context.insert("aws:CalledVia", ContextValue::Multi(Vec::new()));
    context
}

fn principal() -> RequestPrincipal {
    RequestPrincipal::parse(CALLER).unwrap_or(RequestPrincipal::Anonymous)
}

fn fixed_request() -> Request {
    Request {
        principal: principal(),
        action: "s3:GetObject".to_owned(),
        resource: "arn:aws:s3:::bucket/home/fuzz/key".to_owned(),
        resource_account: Some("111122223333".to_owned()),
        context: context(),
    }
}

/// A request for the policy's first action on its first resource, wildcards read as `x`.
fn own_request(policy: &Policy) -> Request {
    let first = policy.statements.items.first().map(|s| &s.value);
    let action = first
        .and_then(|s| s.action.as_ref())
        .and_then(|a| a.value.values.items.first())
        .map_or_else(|| "s3:GetObject".to_owned(), |v| concrete(&v.value));
    let resource = first
        .and_then(|s| s.resource.as_ref())
        .and_then(|r| r.value.values.items.first())
        .map_or_else(|| "*".to_owned(), |v| concrete(&v.value));
    Request {
        principal: principal(),
        action,
        resource,
        resource_account: Some("444455556666".to_owned()),
        context: context(),
    }
}

fn concrete(pattern: &str) -> String {
    pattern.replace(['*', '?'], "x")
}

fn all_options() -> [EvalOptions; 3] {
    [
        EvalOptions::default(),
        EvalOptions {
            wildcard_only_action: Some(true),
            ..EvalOptions::default()
        },
        EvalOptions {
            what_if: true,
            known_keys: vec![KnownKey {
                pattern: "aws:Source*".to_owned(),
                presence_known: true,
                value_known: true,
            }],
            ..EvalOptions::default()
        },
    ]
}

fn policy_sets(policy: &Policy) -> [PolicySet; 3] {
    [
        PolicySet {
            identity: vec![policy.clone()],
            ..PolicySet::default()
        },
        PolicySet {
            resource: Some(policy.clone()),
            ..PolicySet::default()
        },
        PolicySet {
            identity: vec![policy.clone()],
            resource: Some(policy.clone()),
            permission_boundary: vec![policy.clone()],
            session: Some(policy.clone()),
            scps: vec![vec![policy.clone()]],
            rcps: vec![vec![policy.clone()]],
            vpc_endpoint: vec![policy.clone()],
        },
    ]
}
