//! Soundness and completeness of the findings on generated resource policies and zones:
//! - every finding's witness is a request the concrete evaluator allows, from outside the zone;
//! - every generated external request the evaluator allows lies in some finding's class (its
//!   principal label and scoping conditions admit the request, and its actions include the
//!   request's action).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyhole_analyzer::{Access, SearchLimits, Target, Zone, external_access};
use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::{
    Decision, EvalOptions, Layer, Policy, PolicySet, evaluate, evaluate_policy, parse_policy,
};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const OWNER: &str = "111122223333";
const MEMBER: &str = "222233334444";
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
];

const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS": "*"}"#,
    r#"{"AWS": "444455556666"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:role/R"}"#,
    r#"{"AWS": "111122223333"}"#,
    r#"{"AWS": ["arn:aws:iam::777788889999:user/u", "222233334444"]}"#,
    r#"{"Federated": "accounts.google.com"}"#,
    r#"{"Service": "sns.amazonaws.com"}"#,
];

const CONDITIONS: &[(&str, &str, &[&str])] = &[
    ("StringEquals", "aws:PrincipalOrgID", &["o-aaa", "o-bbb"]),
    ("StringNotEquals", "aws:PrincipalOrgID", &["o-aaa"]),
    (
        "IpAddress",
        "aws:SourceIp",
        &["10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16"],
    ),
    ("NotIpAddress", "aws:SourceIp", &["10.1.0.0/16"]),
    (
        "ArnLike",
        "aws:PrincipalArn",
        &["arn:aws:iam::444455556666:role/*", "arn:aws:iam::*:user/u"],
    ),
    ("StringEquals", "aws:SourceVpc", &["vpc-1", "vpc-2"]),
    ("StringLike", "aws:Referer", &["*.example.com"]),
    (
        "StringEquals",
        "aws:PrincipalAccount",
        &["444455556666", "777788889999"],
    ),
    (
        "StringEquals",
        "aws:SourceAccount",
        &["111122223333", "444455556666"],
    ),
    ("StringEqualsIfExists", "aws:SourceVpc", &["vpc-1"]),
    ("StringEquals", "accounts.google.com:aud", &["app-1"]),
];

fn gen_policy(rng: &mut Rng) -> String {
    let n = 1 + rng.below(4);
    let mut statements = Vec::new();
    for _ in 0..n {
        let effect = if rng.chance(75) { "Allow" } else { "Deny" };
        let principal = rng.pick(PRINCIPALS);
        let k = 1 + rng.below(3);
        let actions: Vec<String> = (0..k)
            .map(|_| format!("\"{}\"", rng.pick(ACTIONS)))
            .collect();
        let action = if rng.chance(15) {
            r#""s3:*""#.to_owned()
        } else {
            format!("[{}]", actions.join(","))
        };
        let mut conds: Vec<String> = Vec::new();
        let mut used: Vec<&str> = Vec::new();
        for _ in 0..rng.below(3) {
            let (op, key, values) = rng.pick(CONDITIONS);
            if used.contains(op) {
                continue;
            }
            used.push(op);
            let m = 1 + rng.below(values.len().min(2));
            let vals: Vec<String> = (0..m)
                .map(|_| format!("\"{}\"", rng.pick(values)))
                .collect();
            conds.push(format!(r#""{op}": {{"{key}": [{}]}}"#, vals.join(",")));
        }
        let condition = if conds.is_empty() {
            String::new()
        } else {
            format!(r#", "Condition": {{{}}}"#, conds.join(","))
        };
        statements.push(format!(
            r#"{{"Effect": "{effect}", "Principal": {principal}, "Action": {action}, "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]{condition}}}"#
        ));
    }
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    )
}

/// A request AWS could send, with the context keys AWS derives from the caller.
fn gen_request(rng: &mut Rng) -> Request {
    let callers = [
        "arn:aws:iam::444455556666:user/u",
        "arn:aws:sts::444455556666:assumed-role/R/s",
        "arn:aws:iam::444455556666:root",
        "arn:aws:iam::777788889999:user/u",
        "arn:aws:iam::222233334444:user/m",
        "arn:aws:iam::111122223333:user/own",
        "federated",
        "anonymous",
        "service",
    ];
    let mut context = Context::new();
    let caller = *rng.pick(&callers);
    let principal = match caller {
        "federated" => RequestPrincipal::Federated("accounts.google.com".to_owned()),
        "anonymous" => RequestPrincipal::Anonymous,
        "service" => RequestPrincipal::Service("sns.amazonaws.com".to_owned()),
        arn => {
            let account = arn.split(':').nth(4).unwrap().to_owned();
            let identity = if arn.contains("assumed-role/R/") {
                format!("arn:aws:iam::{account}:role/R")
            } else {
                arn.to_owned()
            };
            context.insert("aws:PrincipalArn", ContextValue::Single(identity));
            context.insert(
                "aws:PrincipalAccount",
                ContextValue::Single(account.clone()),
            );
            let org = match account.as_str() {
                OWNER | MEMBER => Some("o-aaa"),
                "444455556666" => Some("o-bbb"),
                _ => None,
            };
            if let Some(org) = org {
                context.insert("aws:PrincipalOrgID", ContextValue::Single(org.to_owned()));
            }
            RequestPrincipal::parse(arn).unwrap()
        }
    };
    if rng.chance(70) {
        let ip = *rng.pick(&["10.1.2.3", "10.2.0.1", "192.168.1.1", "8.8.8.8"]);
        context.insert("aws:SourceIp", ContextValue::Single(ip.to_owned()));
    }
    if rng.chance(40) {
        let vpc = *rng.pick(&["vpc-1", "vpc-2", "vpc-3"]);
        context.insert("aws:SourceVpc", ContextValue::Single(vpc.to_owned()));
    }
    if rng.chance(50) {
        context.insert(
            "aws:Referer",
            ContextValue::Single((*rng.pick(&["www.example.com", "x.org"])).to_owned()),
        );
    }
    if rng.chance(30) {
        context.insert(
            "aws:SourceAccount",
            ContextValue::Single((*rng.pick(&[OWNER, "444455556666"])).to_owned()),
        );
    }
    if matches!(principal, RequestPrincipal::Federated(_)) && rng.chance(60) {
        context.insert(
            "accounts.google.com:aud",
            ContextValue::Single((*rng.pick(&["app-1", "app-2"])).to_owned()),
        );
    }
    Request {
        principal,
        action: (*rng.pick(ACTIONS)).to_owned(),
        resource: (*rng.pick(&["arn:aws:s3:::b", "arn:aws:s3:::b/k"])).to_owned(),
        resource_account: Some(OWNER.to_owned()),
        context,
    }
}

/// The analyzer's notion of external, written independently: callers outside the zone's
/// accounts (outside the organization for an organization zone), federated and anonymous
/// callers; never services; never a request on behalf of a zone resource (`aws:SourceAccount`).
fn is_external(request: &Request, zone: &Zone) -> bool {
    if let Some(ContextValue::Single(a)) = request.context.get("aws:SourceAccount")
        && zone.trusts(a)
    {
        return false;
    }
    match &request.principal {
        RequestPrincipal::Aws { arn } => {
            !zone.trusts(&arn.account)
                && zone.org_id.as_deref().is_none_or(|org| {
                    request.context.get("aws:PrincipalOrgID")
                        != Some(&ContextValue::Single(org.to_owned()))
                })
        }
        RequestPrincipal::Federated(_) | RequestPrincipal::Anonymous => true,
        _ => false,
    }
}

fn allow_all() -> Policy {
    parse_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .unwrap()
}

fn allowed(policy: &Policy, request: &Request) -> bool {
    let set = PolicySet {
        identity: vec![allow_all()],
        resource: Some(policy.clone()),
        ..Default::default()
    };
    evaluate(request, &set, &EvalOptions::default()).decision == Decision::Allowed
}

/// Whether the finding's class admits the request.
fn covers(access: &Access, request: &Request) -> bool {
    if !access
        .actions
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&request.action))
    {
        return false;
    }
    let principal = if access.principal.value == "*" {
        r#""*""#.to_owned()
    } else {
        format!(
            r#"{{"{}": "{}"}}"#,
            access.principal.kind, access.principal.value
        )
    };
    let mut blocks: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (op, key, value) in &access.scope {
        blocks
            .entry(op.to_string())
            .or_default()
            .push(format!(r#""{key}": "{value}""#));
    }
    let condition: Vec<String> = blocks
        .iter()
        .map(|(op, es)| format!(r#""{op}": {{{}}}"#, es.join(",")))
        .collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"*","Resource":"*","Condition":{{{}}}}}}}"#,
        condition.join(",")
    );
    let class = parse_policy(&text).unwrap();
    evaluate_policy(&class, Layer::Resource, request, &EvalOptions::default()) == Decision::Allowed
}

#[test]
fn findings_are_sound_and_complete() {
    let cases: u64 = std::env::var("KEYHOLE_FINDINGS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let target = Target {
        resource: "arn:aws:s3:::b".to_owned(),
        resource_patterns: vec!["arn:aws:s3:::b".to_owned(), "arn:aws:s3:::b/*".to_owned()],
        action_patterns: ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
        actions: ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
        requires: Vec::new(),
    };
    let (mut findings, mut allowed_external, mut unknown) = (0, 0, 0);
    for seed in 1..=cases {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let text = gen_policy(&mut rng);
        let policy = parse_policy(&text).unwrap();
        let zone = if rng.chance(30) {
            Zone::organization("o-aaa", [OWNER.to_owned(), MEMBER.to_owned()])
        } else {
            Zone::account(OWNER)
        };
        let found = match external_access(&policy, &target, &zone, &SearchLimits::default()) {
            Ok(f) => f,
            Err(reason) => {
                unknown += 1;
                assert!(
                    reason.contains("not decided") || reason.starts_with("budget"),
                    "seed {seed}: {reason}\n{text}"
                );
                continue;
            }
        };
        for access in &found {
            findings += 1;
            let mut request = access.witness.to_request();
            request.resource_account = Some(OWNER.to_owned());
            assert!(
                allowed(&policy, &request),
                "seed {seed}: witness {request:?} not allowed by {text}"
            );
            assert!(
                is_external(&request, &zone),
                "seed {seed}: witness {request:?} is not external ({zone:?})"
            );
            assert!(
                covers(access, &request),
                "seed {seed}: witness {request:?} outside its own class {access:?}"
            );
        }
        for _ in 0..200 {
            let request = gen_request(&mut rng);
            if is_external(&request, &zone) && allowed(&policy, &request) {
                allowed_external += 1;
                assert!(
                    found.iter().any(|a| covers(a, &request)),
                    "seed {seed}: {request:?} is allowed and external but no finding covers it\npolicy {text}\nzone {zone:?}\nfindings {found:#?}"
                );
            }
        }
    }
    eprintln!(
        "{cases} policies: {findings} findings checked, {allowed_external} allowed external requests covered, {unknown} unknown"
    );
    assert!(findings > cases as usize / 2 && allowed_external > 100);
}
