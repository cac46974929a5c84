//! Findings time per policy: `external_access` on S3 bucket policies.
//!
//! Sets (select one with `KEYHOLE_BENCH_SET=generated|generated-ar|corpus`; default all):
//! - **generated**: bucket policies shaped like AccessRefinery's scalability sets: 1–15
//!   overlapping `Allow` statements (`Principal: "*"` or an account), each statement with
//!   conditions over the same 5 or 6 scoping keys of the policy, drawn from `aws:PrincipalArn`
//!   (wildcard patterns), `aws:SourceIp` (nested CIDRs), `aws:PrincipalOrgID`, `aws:SourceVpc`,
//!   `aws:SourceVpce`, `aws:PrincipalAccount` and `aws:SourceAccount`, with values from small
//!   overlapping pools so that every key's label lattice is non-trivial.
//!   `KEYHOLE_BENCH_PER_COUNT` policies per statement count (default 70: 1,050 policies).
//! - **generated-ar**: the same generator with 2 or 3 condition keys per statement, which is
//!   what AccessRefinery's `Scalability_05Keys`/`_06Keys` sets hold (their key count includes
//!   `Principal`, `Action` and `Resource`).
//! - **corpus**: every parseable policy with a `Principal` under `../shared/corpus/quacky`
//!   (`KEYHOLE_SHARED` points elsewhere; skipped with a message when absent), once on the
//!   bucket `b` and once on the first bucket the policy names.
//!
//! Both generated sets are deterministic (seeded SplitMix64); `KEYHOLE_BENCH_DUMP=DIR` writes
//! their policies to `DIR`. Each policy is timed with `external_access` (target: bucket
//! `arn:aws:s3:::b`, patterns `[arn, arn/*]`, action patterns `s3:*`, the catalog's S3 actions;
//! zone: account `111122223333`; default limits), `KEYHOLE_BENCH_REPS` times (default 3),
//! keeping the fastest wall time and the least thread CPU time (`CLOCK_THREAD_CPUTIME_ID`,
//! which leaves out time spent waiting for the core on a loaded machine). Prints count,
//! p50/p90/p99/max, the policies answered with an error (engine `Unknown` or budget) with the
//! first of each reason, panics, and for the generated sets the split by statement count and
//! key count. Outside the timing, every finding's witness is re-checked with the concrete
//! evaluator, as `keyhole analyze` does.
//!
//! `KEYHOLE_BENCH_CACHE=warm` keeps the engine's per-thread cache of atomizations across
//! policies (as `keyhole analyze` does across the resources of an account) and times each
//! policy once, so it never profits from its own earlier runs;
//! the default, `cold`, calls `keyhole_logic::clear_caches` before every run, so each policy is
//! measured with nothing built for another.
//!
//! `KEYHOLE_BENCH_MAX_COMBINATIONS=N` sets the search budget (`SearchLimits::max_cubes`,
//! `keyhole analyze --max-label-combinations`); `KEYHOLE_BENCH_DIGEST=FILE` writes every
//! policy's outcome (findings with their witnesses, or the error) to `FILE`, one line per
//! policy, so two engine versions can be compared finding for finding.
//!
//! `KEYHOLE_BENCH_NO_CPU_CLOCK=1` reads no CPU time (zeros), so that the bench runs under
//! valgrind, which the thread clock's vDSO call crashes; the wall times stay.
//!
//! Run on one core: `taskset -c 1 cargo bench -p keyhole-analyzer --bench findings`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keyhole_analyzer::{Access, SearchLimits, Target, Zone, external_access};
use keyhole_policy::{Decision, EvalOptions, Policy, PolicySet, evaluate, parse_policy};
use serde_json::{Value, json};

mod common;
use common::{corpus_dir, json_files, percentile, thread_cpu};

const ZONE: &str = "111122223333";
const BUCKET: &str = "arn:aws:s3:::b";

/// SplitMix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let r = (self.next() % n as u64) as usize;
        r
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The scoping keys the generated conditions draw from.
const KEYS: [&str; 7] = [
    "aws:PrincipalArn",
    "aws:SourceIp",
    "aws:PrincipalOrgID",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:PrincipalAccount",
    "aws:SourceAccount",
];

/// External accounts (the zone is `111122223333`).
const ACCOUNTS: [&str; 3] = ["444455556666", "777788889999", "123456789012"];

/// One condition entry of a statement for `key`: (operator, values).
fn condition_entry(rng: &mut Rng, key: &str, account: &str) -> (&'static str, Value) {
    match key {
        "aws:PrincipalArn" => {
            // AccessRefinery's shape: one name with a `*` at different places, plus wider
            // patterns over the same account (role paths, the whole account).
            let name = "abcdefghijklmno";
            let pattern = match rng.below(6) {
                0 => format!("arn:aws:iam::{account}:*"),
                1 => format!("arn:aws:iam::{account}:role/*"),
                2 => format!("arn:aws:iam::{account}:role/team-*"),
                3 => format!(
                    "arn:aws:iam::{account}:role/team-{}",
                    rng.pick(&["a", "b", "c"])
                ),
                _ => {
                    let star = rng.below(name.len());
                    let mut n = name.to_owned();
                    n.replace_range(star..=star, "*");
                    format!("arn:aws:iam::{account}:user/{n}")
                }
            };
            ("StringLike", json!(pattern))
        }
        "aws:SourceIp" => {
            // Nested blocks under 10.0.0.0/8 and 200.10.0.0/16.
            let cidr = if rng.chance(70) {
                let len = 8 + 4 * rng.below(5);
                let (a, b, c) = (10, rng.below(2), rng.below(2) * 128);
                match len {
                    8 => "10.0.0.0/8".to_owned(),
                    12 => "10.0.0.0/12".to_owned(),
                    16 => format!("{a}.{b}.0.0/16"),
                    20 => format!("{a}.{b}.0.0/20"),
                    _ => format!("{a}.{b}.{c}.0/24"),
                }
            } else {
                format!("200.10.0.0/{}", 16 + rng.below(9))
            };
            if rng.chance(20) {
                ("IpAddress", json!([cidr, "192.0.2.0/24"]))
            } else {
                ("IpAddress", json!(cidr))
            }
        }
        "aws:PrincipalOrgID" => {
            if rng.chance(20) {
                ("StringLike", json!("o-a1b2*"))
            } else {
                (
                    "StringEquals",
                    json!(rng.pick(&["o-a1b2c3d4e5", "o-a1b2c3d4e6", "o-f9e8d7c6b5"])),
                )
            }
        }
        "aws:SourceVpc" => {
            if rng.chance(20) {
                ("StringLike", json!("vpc-0a1b*"))
            } else {
                (
                    "StringEquals",
                    json!(rng.pick(&["vpc-0a1b2c3d", "vpc-0a1b9999", "vpc-11112222"])),
                )
            }
        }
        "aws:SourceVpce" => {
            if rng.chance(20) {
                ("StringLike", json!("vpce-0a*"))
            } else if rng.chance(25) {
                ("StringEquals", json!(["vpce-0a11", "vpce-0a22"]))
            } else {
                (
                    "StringEquals",
                    json!(rng.pick(&["vpce-0a11", "vpce-0a22", "vpce-0b33"])),
                )
            }
        }
        "aws:PrincipalAccount" => {
            if rng.chance(25) {
                ("StringEquals", json!([account, rng.pick(&ACCOUNTS)]))
            } else {
                ("StringEquals", json!(account))
            }
        }
        _ => ("StringEquals", json!(rng.pick(&ACCOUNTS))),
    }
}

/// A generated bucket policy with `statements` Allow statements over `keys`.
fn generated_policy(rng: &mut Rng, statements: usize, keys: &[&str]) -> Value {
    let actions: [Value; 5] = [
        json!("s3:GetObject"),
        json!("s3:ListBucket"),
        json!(["s3:GetObject", "s3:PutObject"]),
        json!("s3:Get*"),
        json!("s3:*"),
    ];
    let mut list = Vec::new();
    for _ in 0..statements {
        let account = *rng.pick(&ACCOUNTS);
        let principal = match rng.below(10) {
            0 => json!({"AWS": account}),
            1 => json!({"AWS": format!("arn:aws:iam::{account}:root")}),
            2..=4 => json!({"AWS": "*"}),
            _ => json!("*"),
        };
        let mut condition: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
        for key in keys {
            let (op, values) = condition_entry(rng, key, account);
            condition
                .entry(op)
                .or_default()
                .insert((*key).to_owned(), values);
        }
        list.push(json!({
            "Effect": "Allow",
            "Principal": principal,
            "Action": rng.pick(&actions).clone(),
            "Resource": [BUCKET, format!("{BUCKET}/*")],
            "Condition": condition,
        }));
    }
    json!({"Version": "2012-10-17", "Statement": list})
}

/// (statement count, condition keys per statement, policy, text) for a generated set whose
/// policies alternate between `key_counts`.
fn generated_set(
    per_count: usize,
    key_counts: [usize; 2],
    seed: u64,
) -> Vec<(usize, usize, Policy, String)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for statements in 1..=15 {
        for i in 0..per_count {
            let nkeys = key_counts[i % 2];
            let mut keys: Vec<&str> = KEYS.to_vec();
            // A seeded shuffle, then the first `nkeys`.
            for j in (1..keys.len()).rev() {
                let k = rng.below(j + 1);
                keys.swap(j, k);
            }
            keys.truncate(nkeys);
            let text = generated_policy(&mut rng, statements, &keys).to_string();
            let policy = parse_policy(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            out.push((statements, nkeys, policy, text));
        }
    }
    out
}

/// Every parseable corpus policy that names a principal, by path.
fn corpus_set(dir: &Path) -> Vec<(PathBuf, Policy)> {
    json_files(dir)
        .into_iter()
        .filter_map(|p| {
            let policy = parse_policy(&std::fs::read_to_string(&p).ok()?).ok()?;
            policy
                .statements
                .iter()
                .any(|s| s.value.principal.is_some())
                .then_some((p, policy))
        })
        .collect()
}

/// The first bucket ARN a policy's `Resource` values name (`arn:aws:s3:::b` when none).
fn own_bucket(policy: &Policy) -> String {
    for st in policy.statements.iter() {
        if let Some(resources) = &st.value.resource {
            for r in resources
                .value
                .values
                .iter()
                .filter(|_| !resources.value.negated)
            {
                if let Some(rest) = r.value.strip_prefix("arn:aws:s3:::") {
                    let bucket = rest.split('/').next().unwrap_or_default();
                    if !bucket.is_empty() && !bucket.contains(['*', '?', '$']) {
                        return format!("arn:aws:s3:::{bucket}");
                    }
                }
            }
        }
    }
    BUCKET.to_owned()
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let total: Duration = times.iter().sum();
    format!(
        "n {:>4}  p50 {:>10.3?}  p90 {:>10.3?}  p99 {:>10.3?}  max {:>10.3?}  total {:.3?}",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default(),
        total
    )
}

fn target(bucket: &str) -> Target {
    Target {
        resource: bucket.to_owned(),
        resource_patterns: vec![bucket.to_owned(), format!("{bucket}/*")],
        action_patterns: vec!["s3:*".to_owned()],
        actions: keyhole_analyzer::actions::of_service("s3"),
        requires: Vec::new(),
    }
}

/// What one policy gave.
enum Outcome {
    Found(Vec<Access>),
    Error(String),
    Panic(String),
}

/// Runs `external_access` `reps` times: the fastest wall time, the smallest CPU time (the
/// wall time when the thread's CPU time cannot be read), and the outcome of the last run.
fn time_one(
    policy: &Policy,
    target: &Target,
    zone: &Zone,
    reps: usize,
) -> (Duration, Duration, Outcome) {
    let mut limits = SearchLimits::default();
    if let Some(n) = std::env::var("KEYHOLE_BENCH_MAX_COMBINATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        limits.max_cubes = n;
    }
    let mut best = Duration::MAX;
    let mut best_cpu = Duration::MAX;
    let mut outcome = Outcome::Found(Vec::new());
    let warm = std::env::var("KEYHOLE_BENCH_CACHE").as_deref() == Ok("warm");
    // Warm: one run, so a policy never profits from its own earlier runs.
    let reps = if warm { 1 } else { reps };
    for _ in 0..reps {
        if !warm {
            keyhole_logic::clear_caches();
        }
        let cpu = thread_cpu();
        let start = Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            external_access(policy, target, zone, &limits)
        }));
        let wall = start.elapsed();
        best = best.min(wall);
        best_cpu = best_cpu.min(match (cpu, thread_cpu()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        });
        outcome = match result {
            Ok(Ok(found)) => Outcome::Found(found),
            Ok(Err(reason)) => Outcome::Error(reason),
            Err(payload) => Outcome::Panic(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            ),
        };
        if !matches!(outcome, Outcome::Found(_)) {
            break;
        }
    }
    (best, best_cpu, outcome)
}

/// Witnesses the concrete evaluator does not allow (as `keyhole analyze` checks them).
fn bad_witnesses(policy: &Policy, found: &[Access]) -> usize {
    let set = PolicySet {
        identity: vec![
            parse_policy(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            )
            .unwrap(),
        ],
        resource: Some(policy.clone()),
        ..Default::default()
    };
    found
        .iter()
        .filter(|a| {
            let mut request = a.witness.to_request();
            request.resource_account = Some(ZONE.to_owned());
            evaluate(&request, &set, &EvalOptions::default()).decision != Decision::Allowed
        })
        .count()
}

/// Times a set and prints its report; returns the per-policy CPU times and whether each
/// policy failed (error or panic).
fn run_set(
    name: &str,
    policies: &[(String, &Policy)],
    targets: &dyn Fn(usize) -> Target,
    reps: usize,
) -> (Vec<Duration>, Vec<bool>) {
    let zone = Zone::account(ZONE);
    let mut times = Vec::with_capacity(policies.len());
    let mut cpu_times = Vec::with_capacity(policies.len());
    let mut failed = Vec::with_capacity(policies.len());
    let mut errors: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut panics = Vec::new();
    let mut findings = 0usize;
    let mut bad = Vec::new();
    let mut digest = std::env::var("KEYHOLE_BENCH_DIGEST").ok().map(|path| {
        std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap(),
        )
    });
    for (i, (label, policy)) in policies.iter().enumerate() {
        let target = targets(i);
        let (t, cpu, outcome) = time_one(policy, &target, &zone, reps);
        if let Some(out) = digest.as_mut() {
            use std::io::Write as _;
            let line = match &outcome {
                Outcome::Found(found) => format!("{found:?}"),
                Outcome::Error(reason) => format!("error: {reason}"),
                Outcome::Panic(message) => format!("panic: {message}"),
            };
            writeln!(out, "{name} | {label} | {line}").unwrap();
        }
        times.push(t);
        cpu_times.push(cpu);
        failed.push(!matches!(outcome, Outcome::Found(_)));
        match outcome {
            Outcome::Found(found) => {
                findings += found.len();
                let n = bad_witnesses(policy, &found);
                if n > 0 {
                    bad.push(format!("{label} ({n})"));
                }
            }
            Outcome::Error(reason) => {
                let short: String = reason.chars().take(90).collect();
                let entry = errors.entry(short).or_insert((0, label.clone()));
                entry.0 += 1;
            }
            Outcome::Panic(message) => panics.push(format!("{label}: {message}")),
        }
    }
    let n_err: usize = errors.values().map(|(n, _)| n).sum();
    let cache = match std::env::var("KEYHOLE_BENCH_CACHE").as_deref() {
        Ok("warm") => "warm",
        _ => "cold",
    };
    // A warm run times each policy once (see `time_one`).
    let reps = if cache == "warm" { 1 } else { reps };
    println!(
        "== {name}: {} policies ({cache} engine cache)",
        policies.len()
    );
    println!(
        "   wall time per policy (fastest of {reps}): {}",
        summary(times)
    );
    println!(
        "   CPU time per policy (least of {reps}):    {}",
        summary(cpu_times.clone())
    );
    println!(
        "   answered: {} ({findings} findings), errors (Unknown/budget): {n_err}, panics: {}, witnesses the evaluator rejects: {}",
        policies.len() - n_err - panics.len(),
        panics.len(),
        bad.len()
    );
    for (reason, (n, first)) in errors.iter().take(6) {
        println!("   error x{n}: {reason} (first: {first})");
    }
    for p in panics.iter().take(5) {
        println!("   panic: {p}");
    }
    for b in bad.iter().take(5) {
        println!("   rejected witness: {b}");
    }
    (cpu_times, failed)
}

fn main() {
    let reps: usize = std::env::var("KEYHOLE_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let per_count: usize = std::env::var("KEYHOLE_BENCH_PER_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(70);
    let only = std::env::var("KEYHOLE_BENCH_SET").unwrap_or_default();
    // Load the service catalog outside the timing.
    let _ = keyhole_analyzer::actions::of_service("s3");

    let generated: [(&str, &str, [usize; 2], u64); 2] = [
        (
            "generated",
            "generated (AccessRefinery-shaped, 5-6 condition keys)",
            [5, 6],
            0x6B65_7968_6F6C_6534,
        ),
        (
            "generated-ar",
            "generated (AccessRefinery's own key counts: 2-3 condition keys)",
            [2, 3],
            0x6172_2D6B_6579_7332,
        ),
    ];
    for (id, title, key_counts, seed) in generated {
        if !(only.is_empty() || only == id) {
            continue;
        }
        let set = generated_set(per_count, key_counts, seed);
        if let Ok(dir) = std::env::var("KEYHOLE_BENCH_DUMP") {
            std::fs::create_dir_all(&dir).unwrap();
            for (i, (n, k, _, text)) in set.iter().enumerate() {
                let path = Path::new(&dir).join(format!("{id}-{n:02}st-{k}k-{i:04}.json"));
                std::fs::write(path, text).unwrap();
            }
        }
        let labelled: Vec<(String, &Policy)> = set
            .iter()
            .enumerate()
            .map(|(i, (n, k, p, _))| (format!("{id} #{i} ({n} statements, {k} keys)"), p))
            .collect();
        let (times, failed) = run_set(title, &labelled, &|_| target(BUCKET), reps);
        println!("   CPU time by statement count (errors: policies answered with an error):");
        let split = |keep: &dyn Fn(usize, usize) -> bool| {
            let picked: Vec<(Duration, bool)> = set
                .iter()
                .zip(times.iter().zip(&failed))
                .filter(|((n, k, _, _), _)| keep(*n, *k))
                .map(|(_, (t, f))| (*t, *f))
                .collect();
            let errors = picked.iter().filter(|(_, f)| *f).count();
            let t = picked.into_iter().map(|(t, _)| t).collect();
            format!("{}  errors {errors}", summary(t))
        };
        for statements in 1..=15 {
            println!(
                "     {statements:>2} statements: {}",
                split(&|n, _| n == statements)
            );
        }
        for nkeys in key_counts {
            println!("     {nkeys} keys: {}", split(&|_, k| k == nkeys));
        }
    }

    if only.is_empty() || only == "corpus" {
        match corpus_dir() {
            None => {
                println!("SKIPPED corpus set: needs ../shared/corpus/quacky (or KEYHOLE_SHARED)")
            }
            Some(dir) => {
                let set = corpus_set(&dir);
                let labelled: Vec<(String, &Policy)> = set
                    .iter()
                    .map(|(p, policy)| {
                        (
                            p.strip_prefix(&dir).unwrap_or(p).display().to_string(),
                            policy,
                        )
                    })
                    .collect();
                let (times, _) = run_set(
                    "corpus (quacky, policies with a Principal), target arn:aws:s3:::b",
                    &labelled,
                    &|_| target(BUCKET),
                    reps,
                );
                let mut slowest: Vec<(Duration, &str)> = times
                    .iter()
                    .zip(&labelled)
                    .map(|(t, (l, _))| (*t, l.as_str()))
                    .collect();
                slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
                for (t, l) in slowest.iter().take(3) {
                    println!("   slowest (CPU): {t:.3?} {l}");
                }
                // The same policies on the bucket each names first (`b` when none), so that
                // most of them grant something on the target.
                let own: Vec<String> = set.iter().map(|(_, p)| own_bucket(p)).collect();
                run_set(
                    "corpus, target: the first S3 bucket the policy names",
                    &labelled,
                    &|i| target(own.get(i).map_or(BUCKET, String::as_str)),
                    reps,
                );
            }
        }
    }
}
