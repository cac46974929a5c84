//! Parse and evaluate throughput on the quacky policy corpus (`../shared/corpus/quacky/`, or
//! `$KEYHOLE_SHARED/corpus/quacky`; a few built-in policies when it is absent).
//!
//! - `parse`: one iteration parses every parseable corpus file once; the `items/s` column is
//!   policies per second (`files / time per iteration`).
//! - `evaluate`: one iteration evaluates every prepared request once; the `items/s` column is
//!   requests per second (`requests / time per iteration`). For each parseable policy the
//!   requests are built from its own text: the first `Action` value on the first `Resource` value
//!   (wildcards read as `x`), the same with a context holding every condition key of the policy
//!   set to its first value, and the last action on the last resource; principal
//!   `arn:aws:iam::111122223333:user/bench`. Each is evaluated with the policy as identity
//!   policy and, when the policy has a `Principal`, again as resource policy.
//!
//! Run with `cargo bench -p keyhole-policy --bench throughput`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::{EvalOptions, Policy, PolicySet, evaluate, parse_policy};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

const CALLER: &str = "arn:aws:iam::111122223333:user/bench";

/// Used when the shared corpus is absent, so that the bench still runs.
const BUILT_IN: &[&str] = &[
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::bucket/*"}}"#,
    r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "Home", "Effect": "Allow", "Action": ["s3:Get*", "s3:Put*"],
         "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*"},
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:Decrypt",
        "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
        "StringEquals": {"aws:PrincipalTag/team": "red"}}}}"#,
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:RunInstances",
        "Resource": "arn:aws:ec2:*:*:instance/*", "Condition": {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]},
        "NumericLessThanEquals": {"ec2:VolumeSize": "100"}}}}"#,
];

struct Corpus {
    /// Where the policies came from.
    source: String,
    /// Files read.
    files: usize,
    /// The text of every file that parses.
    texts: Vec<String>,
    /// Requests with the policies to evaluate them against.
    cases: Vec<(Request, PolicySet)>,
}

static CORPUS: LazyLock<Corpus> = LazyLock::new(load);

fn corpus_dir() -> PathBuf {
    match std::env::var_os("KEYHOLE_SHARED") {
        Some(shared) => PathBuf::from(shared).join("corpus/quacky"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/quacky"),
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn load() -> Corpus {
    let dir = corpus_dir();
    let (source, all): (String, Vec<String>) = if dir.is_dir() {
        let texts = json_files(&dir)
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        (dir.display().to_string(), texts)
    } else {
        (
            "built-in policies (shared corpus absent)".to_owned(),
            BUILT_IN.iter().map(|s| (*s).to_owned()).collect(),
        )
    };
    let files = all.len();
    let mut texts = Vec::new();
    let mut cases = Vec::new();
    for text in all {
        if let Ok(policy) = parse_policy(&text) {
            cases.extend(requests_for(&policy));
            texts.push(text);
        }
    }
    Corpus {
        source,
        files,
        texts,
        cases,
    }
}

/// A concrete value matched by a pattern: every wildcard read as `x`.
fn concrete(pattern: &str) -> String {
    pattern.replace(['*', '?'], "x")
}

fn request(action: Option<&str>, resource: Option<&str>, context: Context) -> Request {
    let resource = resource.map_or_else(|| "*".to_owned(), concrete);
    Request {
        principal: RequestPrincipal::parse(CALLER).unwrap(),
        action: action.map_or_else(|| "s3:GetObject".to_owned(), concrete),
        resource_account: Some(
            keyhole_policy::arn::Arn::account_of(&resource)
                .unwrap_or_else(|| "111122223333".to_owned()),
        ),
        resource,
        context,
    }
}

fn requests_for(policy: &Policy) -> Vec<(Request, PolicySet)> {
    let statements: Vec<_> = policy.statements.iter().map(|s| &s.value).collect();
    let actions: Vec<&str> = statements
        .iter()
        .filter_map(|s| s.action.as_ref())
        .flat_map(|a| a.value.values.iter().map(|v| v.value.as_str()))
        .collect();
    let resources: Vec<&str> = statements
        .iter()
        .filter_map(|s| s.resource.as_ref())
        .flat_map(|r| r.value.values.iter().map(|v| v.value.as_str()))
        .collect();
    let mut context = Context::new();
    for clause in statements.iter().filter_map(|s| s.condition.as_ref()) {
        for entry in clause.value.iter().flat_map(|c| &c.entries) {
            if let Some(first) = entry.values.items.first() {
                let value = concrete(&first.value.text);
                let value = if entry.values.items.len() > 1 {
                    ContextValue::Multi(vec![value])
                } else {
                    ContextValue::Single(value)
                };
                context.insert(&entry.key.value, value);
            }
        }
    }
    let requests = [
        request(
            actions.first().copied(),
            resources.first().copied(),
            Context::new(),
        ),
        request(
            actions.first().copied(),
            resources.first().copied(),
            context,
        ),
        request(
            actions.last().copied(),
            resources.last().copied(),
            Context::new(),
        ),
    ];
    let has_principal = statements.iter().any(|s| s.principal.is_some());
    let mut out = Vec::new();
    for request in requests {
        let identity = PolicySet {
            identity: vec![policy.clone()],
            ..PolicySet::default()
        };
        out.push((request.clone(), identity));
        if has_principal {
            let resource = PolicySet {
                resource: Some(policy.clone()),
                ..PolicySet::default()
            };
            out.push((request, resource));
        }
    }
    out
}

fn main() {
    let corpus = &*CORPUS;
    // Warm-up, outside the measurements: loads the service catalog and shows what is measured.
    let options = EvalOptions::default();
    let mut decisions = std::collections::BTreeMap::new();
    for (request, policies) in &corpus.cases {
        let decision = evaluate(request, policies, &options).decision;
        *decisions.entry(format!("{decision:?}")).or_insert(0_usize) += 1;
    }
    eprintln!(
        "corpus: {}: {} files, {} parse; {} requests {decisions:?}",
        corpus.source,
        corpus.files,
        corpus.texts.len(),
        corpus.cases.len()
    );
    divan::main();
}

/// Parses every parseable corpus file once per iteration.
#[divan::bench]
fn parse(bencher: Bencher) {
    let corpus = &*CORPUS;
    let bytes: usize = corpus.texts.iter().map(String::len).sum();
    bencher
        .counter(ItemsCount::new(corpus.texts.len()))
        .counter(BytesCount::new(bytes))
        .bench(|| {
            for text in &corpus.texts {
                let _ = black_box(parse_policy(black_box(text)));
            }
        });
}

/// Evaluates every prepared request once per iteration.
#[divan::bench(name = "evaluate")]
fn evaluate_requests(bencher: Bencher) {
    let corpus = &*CORPUS;
    let options = EvalOptions::default();
    bencher
        .counter(ItemsCount::new(corpus.cases.len()))
        .bench(|| {
            for (request, policies) in &corpus.cases {
                black_box(evaluate(black_box(request), black_box(policies), &options));
            }
        });
}
