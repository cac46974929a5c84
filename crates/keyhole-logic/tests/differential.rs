//! Differential tests: the symbolic engine against the concrete evaluator of `keyhole-policy`
//! on generated policies, with `ForAnyValue:`/`ForAllValues:` operators (any family, `IfExists`,
//! negated bases) and multivalued request values of zero to three elements.
//!
//! - every `Yes(witness)` of `satisfiable` must be allowed by the evaluator, and every witness
//!   of `allowed_but_not(p1, p2)` allowed under `p1` and not under `p2`;
//! - for every `No`, a representative request of every atom plus random combinations of atoms
//!   plus requests drawn from fixed pools must all be refused (resp. not allowed-but-not).
//!
//! Identity policies are evaluated alone in one account; resource policies across accounts
//! with an identity policy that allows everything (the semantics `PolicyKind::Resource`
//! documents). `KEYHOLE_DIFF_CASES=N cargo test -p keyhole-logic --release --test differential
//! -- --ignored` runs `N` seeds per mode on every core, from seed `KEYHOLE_DIFF_FROM` (0 by
//! default); `KEYHOLE_DIFF_KIND=identity|resource` runs one mode, and `linked` runs resource
//! policies in a linked [`Space`], where `aws:PrincipalArn` and `aws:PrincipalAccount` are read
//! off the caller and sampled requests carry the values AWS would put there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::Rng;
use keyhole_logic::{
    Answer, PolicyKind, QueryOptions, Space, allowed_but_not, representative_requests, satisfiable,
};
use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::{Decision, EvalOptions, Policy, PolicySet, evaluate, parse_policy};
use proptest::prelude::*;

fn seeded(seed: u64) -> Rng {
    // splitmix64, so that nearby seeds give unrelated streams (never zero).
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Rng((z ^ (z >> 31)) | 1)
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "*",
    "ec2:Describe*",
    "S3:getobject",
    "s3:?etObject",
    "ec2:RunInstances",
    "iam:PassRole",
    "s3:Put*",
    "*Object",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::b*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:s3:::bucket/private/*",
    "arn:aws:*:*:*:*",
    "arn:aws:s3:::bucket/${*}",
    "bucket/*",
    "arn:aws:iam::111122223333:role/?x",
    "arn:aws:s3:::bucket/a:b",
];

#[derive(Clone, Copy, PartialEq)]
enum Family {
    String,
    Arn,
    Numeric,
    Date,
    Bool,
    Ip,
    /// An account id (`aws:PrincipalAccount`), as a string.
    Account,
}

/// What a case exercises.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Identity,
    Resource,
    /// Resource policies with `aws:PrincipalArn`/`aws:PrincipalAccount` linked to the caller.
    Linked,
}

impl Mode {
    fn kind(self) -> PolicyKind {
        match self {
            Mode::Identity => PolicyKind::Identity,
            Mode::Resource | Mode::Linked => PolicyKind::Resource,
        }
    }
}

/// Keys linked mode adds to [`KEYS`].
const LINKED_KEYS: &[(&str, Family)] = &[
    ("aws:PrincipalAccount", Family::Account),
    ("aws:PrincipalArn", Family::Arn),
];

const KEYS: &[(&str, Family)] = &[
    ("aws:Referer", Family::String),
    ("s3:prefix", Family::String),
    ("aws:SourceArn", Family::Arn),
    ("aws:SourceIp", Family::Ip),
    ("s3:max-keys", Family::Numeric),
    ("aws:CurrentTime", Family::Date),
    ("aws:SecureTransport", Family::Bool),
    ("aws:PrincipalArn", Family::Arn),
    ("aws:TagKeys", Family::String),
];

/// The set qualifiers an operator may carry.
const QUALIFIERS: &[&str] = &["ForAnyValue:", "ForAllValues:"];

fn operators(family: Family) -> &'static [&'static str] {
    match family {
        Family::String | Family::Account => &[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
            "BinaryEquals",
        ],
        Family::Arn => &[
            "ArnEquals",
            "ArnLike",
            "ArnNotEquals",
            "ArnNotLike",
            "StringLike",
        ],
        Family::Numeric => &[
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ],
        Family::Date => &[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ],
        Family::Bool => &["Bool"],
        Family::Ip => &["IpAddress", "NotIpAddress"],
    }
}

fn values(family: Family) -> &'static [&'static str] {
    match family {
        Family::Account => &[
            "111122223333",
            "444455556666",
            "1111*",
            "*",
            "",
            "4444555566?6",
            "x:y",
            "999988887777",
        ],
        Family::String => &[
            "a", "ab", "A", "a*", "*b", "?", "", "x?y", "${*}", "AB", "a${?}",
        ],
        Family::Arn => &[
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/x",
            "arn:aws:*:*:*:*",
            "arn:aws:iam::444455556666:role/path/R",
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::*:root",
            "not-an-arn",
            "arn:aws:s3",
            "*",
        ],
        Family::Numeric => &["10", "0", "-1.5", "100", "abc", "3", "10.0", "*"],
        Family::Date => &[
            "2024-01-01T00:00:00Z",
            "2024-01-01",
            "1704067200",
            "2030-06-01T12:00:00+02:00",
            "yesterday",
            "0",
        ],
        Family::Bool => &["true", "false", "TRUE", "maybe"],
        Family::Ip => &[
            "10.0.0.0/8",
            "10.1.2.3",
            "192.168.0.0/16",
            "2001:db8::/32",
            "0.0.0.0/0",
            "300.1.1.1",
            "10.0.0.0/33",
        ],
    }
}

const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS": "*"}"#,
    r#"{"AWS": "111122223333"}"#,
    r#"{"AWS": "arn:aws:iam::111122223333:root"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:role/path/R"}"#,
    r#"{"AWS": ["arn:aws:iam::111122223333:user/alice", "999988887777"]}"#,
    r#"{"Service": "lambda.amazonaws.com"}"#,
    r#"{"Federated": "cognito-identity.amazonaws.com"}"#,
    r#"{"CanonicalUser": "abc123"}"#,
    r#""arn:aws:iam::111122223333:user/bob""#,
    r#"{"AWS": "arn:aws:iam::111122223333:user/path/carol", "Service": "*"}"#,
];

fn json_list(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("[{}]", items.join(", "))
    }
}

fn quoted(s: &str) -> String {
    serde_json_string(s)
}

fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn gen_policy(rng: &mut Rng, mode: Mode) -> String {
    let kind = mode.kind();
    let statements = 1 + rng.below(3);
    let mut out = Vec::new();
    for _ in 0..statements {
        let mut fields = Vec::new();
        let effect = if rng.chance(65) { "Allow" } else { "Deny" };
        fields.push(format!(r#""Effect": "{effect}""#));
        if kind == PolicyKind::Resource {
            let element = if rng.chance(20) {
                "NotPrincipal"
            } else {
                "Principal"
            };
            fields.push(format!(r#""{element}": {}"#, rng.pick(PRINCIPALS)));
        }
        let n = 1 + rng.below(2);
        let actions: Vec<String> = (0..n).map(|_| quoted(rng.pick(ACTIONS))).collect();
        let element = if rng.chance(25) {
            "NotAction"
        } else {
            "Action"
        };
        fields.push(format!(r#""{element}": {}"#, json_list(&actions)));
        if !rng.chance(15) {
            let n = 1 + rng.below(2);
            let resources: Vec<String> = (0..n).map(|_| quoted(rng.pick(RESOURCES))).collect();
            let element = if rng.chance(20) {
                "NotResource"
            } else {
                "Resource"
            };
            fields.push(format!(r#""{element}": {}"#, json_list(&resources)));
        }
        let entries = rng.below(4);
        if entries > 0 {
            let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
            for _ in 0..entries {
                let (key, family) = if mode == Mode::Linked && rng.chance(50) {
                    rng.pick(LINKED_KEYS)
                } else {
                    rng.pick(KEYS)
                };
                let (op, vals): (String, Vec<String>) = if rng.chance(15) {
                    let v = rng.pick(&["true", "false", "TRUE", "x"]);
                    let mut op = String::new();
                    if rng.chance(10) {
                        op.push_str(rng.pick(QUALIFIERS));
                    }
                    op.push_str("Null");
                    (op, vec![quoted(v)])
                } else {
                    let mut op = String::new();
                    if rng.chance(35) {
                        op.push_str(rng.pick(QUALIFIERS));
                    }
                    op.push_str(rng.pick(operators(family)));
                    if rng.chance(30) {
                        op.push_str("IfExists");
                    }
                    let n = 1 + rng.below(2);
                    (
                        op,
                        (0..n).map(|_| quoted(rng.pick(values(family)))).collect(),
                    )
                };
                let entry = format!("{}: {}", quoted(key), json_list(&vals));
                match blocks.iter_mut().find(|(o, _)| *o == op) {
                    Some((_, es)) if !es.iter().any(|e| e.starts_with(&quoted(key))) => {
                        es.push(entry)
                    }
                    Some(_) => {}
                    None => blocks.push((op, vec![entry])),
                }
            }
            let body: Vec<String> = blocks
                .iter()
                .map(|(op, es)| format!("{}: {{{}}}", quoted(op), es.join(", ")))
                .collect();
            fields.push(format!(r#""Condition": {{{}}}"#, body.join(", ")));
        }
        out.push(format!("{{{}}}", fields.join(", ")));
    }
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        out.join(", ")
    )
}

fn options() -> EvalOptions {
    EvalOptions {
        wildcard_only_action: Some(false),
        ..Default::default()
    }
}

fn allow_all() -> Policy {
    static ALLOW_ALL: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    ALLOW_ALL
        .get_or_init(|| {
            parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#).unwrap()
        })
        .clone()
}

fn allowed(policy: &Policy, request: &Request, kind: PolicyKind) -> bool {
    let set = match kind {
        PolicyKind::Identity => PolicySet {
            identity: vec![policy.clone()],
            ..Default::default()
        },
        PolicyKind::Resource => PolicySet {
            identity: vec![allow_all()],
            resource: Some(policy.clone()),
            ..Default::default()
        },
    };
    evaluate(request, &set, &options()).decision == Decision::Allowed
}

const SAMPLE_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:getobject",
    "s3:PutObject",
    "ec2:RunInstances",
    "ec2:DescribeInstances",
    "iam:PassRole",
    "s3:ListBucket",
    "x",
    "",
];

const SAMPLE_RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/key",
    "arn:aws:s3:::bucket/private/k",
    "arn:aws:s3:::b",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:iam::111122223333:role/ax",
    "bucket/x:y:z:w:v",
    "arn:aws:s3:::bucket/a:b",
    "plain",
];

const SAMPLE_PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::444455556666:assumed-role/R/s",
    "arn:aws:iam::444455556666:role/path/R",
    "arn:aws:iam::999988887777:user/z",
    "arn:aws:sts::111122223333:federated-user/carol",
    "arn:aws:iam::111122223333:user/bob",
];

fn sample_value(rng: &mut Rng, family: Family) -> ContextValue {
    let pools: &[&str] = match family {
        Family::Account => &["111122223333", "444455556666", "x"],
        Family::String => &["a", "ab", "A", "b", "x", "", "*", "a*", "xay", "AB", "a?"],
        Family::Arn => &[
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::other",
            "arn:aws:iam::111122223333:role/x",
            "arn:aws:iam::1:user/u",
            "not-an-arn",
            "a:b:c:d:e:f",
        ],
        Family::Numeric => &["10", "0", "-1.5", "100", "abc", "3", "10.0", "11"],
        Family::Date => &[
            "2024-01-01T00:00:00Z",
            "2023-12-31T23:59:59Z",
            "1704067201",
            "2031-01-01",
            "garbage",
        ],
        Family::Bool => &["true", "false", "TRUE", "x"],
        Family::Ip => &[
            "10.1.2.3",
            "192.168.1.1",
            "8.8.8.8",
            "2001:db8::1",
            "::1",
            "zz",
        ],
    };
    if rng.chance(25) {
        let n = rng.below(4);
        return ContextValue::Multi((0..n).map(|_| rng.pick(pools).to_string()).collect());
    }
    ContextValue::Single(rng.pick(pools).to_string())
}

fn sample_request(rng: &mut Rng, mode: Mode) -> Request {
    let kind = mode.kind();
    let mut context = Context::new();
    for (key, family) in KEYS {
        if rng.chance(60) {
            context.insert(key, sample_value(rng, *family));
        }
    }
    let principal = match kind {
        PolicyKind::Identity => {
            RequestPrincipal::parse("arn:aws:iam::111122223333:user/keyhole-witness").unwrap()
        }
        PolicyKind::Resource => match rng.below(10) {
            0 => RequestPrincipal::Service("lambda.amazonaws.com".to_owned()),
            1 => RequestPrincipal::Federated("cognito-identity.amazonaws.com".to_owned()),
            2 => RequestPrincipal::Anonymous,
            3 => RequestPrincipal::CanonicalUser("ABC123".to_owned()),
            _ => RequestPrincipal::parse(rng.pick(SAMPLE_PRINCIPALS)).unwrap(),
        },
    };
    let resource_account = match (kind, principal.account()) {
        (PolicyKind::Identity, _) => "111122223333".to_owned(),
        (PolicyKind::Resource, Some("555566667777")) => "555566667778".to_owned(),
        (PolicyKind::Resource, _) => "555566667777".to_owned(),
    };
    let principal = if mode == Mode::Linked {
        link(principal, &mut context)
    } else {
        principal
    };
    Request {
        principal,
        action: rng.pick(SAMPLE_ACTIONS).to_string(),
        resource: rng.pick(SAMPLE_RESOURCES).to_string(),
        resource_account: Some(resource_account),
        context,
    }
}

/// The caller and context AWS would produce: a role calls through a session, and
/// `aws:PrincipalArn`/`aws:PrincipalAccount` are the caller's (the role's for a session; the
/// sample session `R/s` in 444455556666 belongs to `role/path/R`), absent for non-IAM callers.
fn link(principal: RequestPrincipal, context: &mut Context) -> RequestPrincipal {
    let mut fresh = Context::new();
    for (k, v) in context.iter() {
        if !k.eq_ignore_ascii_case("aws:PrincipalArn")
            && !k.eq_ignore_ascii_case("aws:PrincipalAccount")
        {
            fresh.insert(k, v.clone());
        }
    }
    *context = fresh;
    let Some(arn) = principal.arn().map(ToString::to_string) else {
        return principal;
    };
    let (caller, identity) =
        if let Some(rest) = arn.strip_prefix("arn:aws:sts::444455556666:assumed-role/R/") {
            let _ = rest;
            (
                arn.clone(),
                "arn:aws:iam::444455556666:role/path/R".to_owned(),
            )
        } else if arn == "arn:aws:iam::444455556666:role/path/R" {
            (
                "arn:aws:sts::444455556666:assumed-role/R/s".to_owned(),
                arn.clone(),
            )
        } else {
            (arn.clone(), arn.clone())
        };
    let account = identity.split(':').nth(4).unwrap_or_default().to_owned();
    context.insert("aws:PrincipalArn", ContextValue::Single(identity));
    context.insert("aws:PrincipalAccount", ContextValue::Single(account));
    RequestPrincipal::parse(&caller).unwrap()
}

/// Counts of answers, for the run log.
#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    yes: u64,
    no: u64,
    unknown: u64,
    requests_checked: u64,
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.yes += other.yes;
        self.no += other.no;
        self.unknown += other.unknown;
        self.requests_checked += other.requests_checked;
    }
}

/// The requests a `No` answer is checked against.
fn samples(rng: &mut Rng, policies: &[&Policy], mode: Mode) -> Vec<Request> {
    let query = QueryOptions {
        kind: mode.kind(),
        ..Default::default()
    };
    let mut requests = if mode == Mode::Linked {
        let mut space = Space::linked(&query).unwrap();
        for p in policies {
            let _ = space.allowed(p);
        }
        space.representative_requests(64).unwrap_or_default()
    } else {
        representative_requests(policies, &query, 64).unwrap_or_default()
    };
    for _ in 0..64 {
        requests.push(sample_request(rng, mode));
    }
    requests
}

/// `satisfiable(p1)` and `allowed_but_not(p1, p2)`, in a linked space for [`Mode::Linked`].
fn queries(p1: &Policy, p2: &Policy, mode: Mode) -> (Answer, Answer) {
    let query = QueryOptions {
        kind: mode.kind(),
        ..Default::default()
    };
    if mode != Mode::Linked {
        return (satisfiable(p1, &query), allowed_but_not(p1, p2, &query));
    }
    let mut space = Space::linked(&query).unwrap();
    let (a, b) = match (space.allowed(p1), space.allowed(p2)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return (Answer::Unknown(e.clone()), Answer::Unknown(e)),
    };
    let first = space.solve(&a);
    let second = space.solve(&a.and(b.negate()));
    (first, second)
}

fn check_case(seed: u64, mode: Mode) -> Result<Stats, String> {
    let kind = mode.kind();
    let mut rng = seeded(seed);
    let text1 = gen_policy(&mut rng, mode);
    let text2 = gen_policy(&mut rng, mode);
    let p1 = parse_policy(&text1).map_err(|e| format!("{e}: {text1}"))?;
    let p2 = parse_policy(&text2).map_err(|e| format!("{e}: {text2}"))?;
    let mut stats = Stats::default();
    let (first, second) = queries(&p1, &p2, mode);
    match first {
        Answer::Yes(w) => {
            stats.yes += 1;
            stats.requests_checked += 1;
            if !allowed(&p1, &w.to_request(), kind) {
                return Err(format!(
                    "seed {seed} {kind:?}: witness {w:?} is not allowed by {text1}"
                ));
            }
        }
        Answer::No => {
            stats.no += 1;
            for request in samples(&mut rng, &[&p1], mode) {
                stats.requests_checked += 1;
                if allowed(&p1, &request, kind) {
                    return Err(format!(
                        "seed {seed} {kind:?}: `No`, but {request:?} is allowed by {text1}"
                    ));
                }
            }
        }
        Answer::Unknown(_) => stats.unknown += 1,
    }
    match second {
        Answer::Yes(w) => {
            stats.yes += 1;
            stats.requests_checked += 1;
            let r = w.to_request();
            if !allowed(&p1, &r, kind) || allowed(&p2, &r, kind) {
                return Err(format!(
                    "seed {seed} {kind:?}: witness {w:?} is not allowed by {text1} but not by {text2}"
                ));
            }
        }
        Answer::No => {
            stats.no += 1;
            for request in samples(&mut rng, &[&p1, &p2], mode) {
                stats.requests_checked += 1;
                if allowed(&p1, &request, kind) && !allowed(&p2, &request, kind) {
                    return Err(format!(
                        "seed {seed} {kind:?}: `No`, but {request:?} is allowed by {text1} and not by {text2}"
                    ));
                }
            }
        }
        Answer::Unknown(_) => stats.unknown += 1,
    }
    Ok(stats)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn identity_policies_agree_with_the_evaluator(seed in any::<u64>()) {
        let result = check_case(seed, Mode::Identity);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn resource_policies_agree_with_the_evaluator(seed in any::<u64>()) {
        let result = check_case(seed, Mode::Resource);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn linked_resource_policies_agree_with_the_evaluator(seed in any::<u64>()) {
        let result = check_case(seed, Mode::Linked);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// Most generated queries are decided (guards against a generator that only produces
/// `Unknown`).
#[test]
fn most_generated_queries_are_decided() {
    for kind in [Mode::Identity, Mode::Resource, Mode::Linked] {
        let mut stats = Stats::default();
        for seed in 0..150 {
            stats.add(check_case(seed, kind).unwrap());
        }
        assert!(stats.yes > 75 && stats.no > 15, "{kind:?}: {stats:?}");
        assert!(
            stats.unknown * 4 < stats.yes + stats.no,
            "{kind:?}: {stats:?}"
        );
    }
}

/// The large run: `KEYHOLE_DIFF_CASES` seeds per mode, on every core, starting at seed
/// `KEYHOLE_DIFF_FROM` (0 by default), so that a run can continue an earlier one.
#[test]
#[ignore = "long; run with KEYHOLE_DIFF_CASES=N --ignored"]
fn large_differential_run() {
    let cases: u64 = std::env::var("KEYHOLE_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let from: u64 = std::env::var("KEYHOLE_DIFF_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get()) as u64;
    let only = std::env::var("KEYHOLE_DIFF_KIND").unwrap_or_default();
    for kind in [Mode::Identity, Mode::Resource, Mode::Linked] {
        if !only.is_empty() && !format!("{kind:?}").eq_ignore_ascii_case(&only) {
            continue;
        }
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                std::thread::spawn(move || {
                    let mut stats = Stats::default();
                    let mut failures = Vec::new();
                    let mut seed = from + t;
                    while seed < from + cases {
                        match check_case(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), kind) {
                            Ok(s) => stats.add(s),
                            Err(e) => failures.push(e),
                        }
                        seed += threads;
                    }
                    (stats, failures)
                })
            })
            .collect();
        let mut stats = Stats::default();
        let mut failures = Vec::new();
        for h in handles {
            let (s, f) = h.join().unwrap();
            stats.add(s);
            failures.extend(f);
        }
        eprintln!(
            "{kind:?}: {cases} cases from seed {from}, {stats:?}, {} disagreements",
            failures.len()
        );
        for f in failures.iter().take(5) {
            eprintln!("  {f}");
        }
        assert!(failures.is_empty());
    }
}
