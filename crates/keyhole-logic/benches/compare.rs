//! `compare` latency per policy pair on the Quacky corpus and its mutants, both directions.
//!
//! Pairs: every ordered pair of distinct parseable policies within each corpus folder that
//! holds more than one (the `mutations/…/policy*` folders hold an original's mutants; the
//! `benchmark/…` folders hold Quacky's policy pairs). Each pair is timed on one thread with
//! `compare(old, new)` (two exact queries plus witness checks), repeated `KEYHOLE_BENCH_REPS`
//! times (default 3), keeping the fastest run per pair. Prints p50/p99/max and the relation
//! counts. Run: `cargo bench -p keyhole-logic --bench compare`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_logic::{QueryOptions, Relation, compare};
use keyhole_policy::{Policy, parse_policy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var("KEYHOLE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("corpus/quacky");
    dir.is_dir().then_some(dir)
}

fn folders(dir: &Path) -> BTreeMap<PathBuf, Vec<(PathBuf, Policy)>> {
    let mut out: BTreeMap<PathBuf, Vec<(PathBuf, Policy)>> = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n != "domain.json")
                && let Ok(policy) = std::fs::read_to_string(&p)
                    .map_err(|_| ())
                    .and_then(|t| parse_policy(&t).map_err(|_| ()))
            {
                out.entry(d.clone()).or_default().push((p, policy));
            }
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0));
    }
    out
}

fn kind_of(a: &Policy, b: &Policy) -> keyhole_logic::PolicyKind {
    let names = |p: &Policy| p.statements.iter().any(|s| s.value.principal.is_some());
    if names(a) || names(b) {
        keyhole_logic::PolicyKind::Resource
    } else {
        keyhole_logic::PolicyKind::Identity
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i]
}

fn main() {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "SKIPPED: the compare benchmark needs ../shared/corpus/quacky (or KEYHOLE_SHARED)"
        );
        return;
    };
    let reps: usize = std::env::var("KEYHOLE_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let folders = folders(&dir);
    let mut pairs: Vec<(&Policy, &Policy)> = Vec::new();
    for policies in folders.values().filter(|v| v.len() > 1) {
        for (i, a) in policies.iter().enumerate() {
            for (j, b) in policies.iter().enumerate() {
                if i != j {
                    pairs.push((&a.1, &b.1));
                }
            }
        }
    }
    let mut times = Vec::with_capacity(pairs.len());
    let mut relations: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unknown_reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (old, new) in &pairs {
        let options = QueryOptions {
            kind: kind_of(old, new),
            ..QueryOptions::default()
        };
        let mut best = Duration::MAX;
        let mut last = None;
        for _ in 0..reps.max(1) {
            let start = Instant::now();
            let c = compare(old, new, &options);
            best = best.min(start.elapsed());
            last = Some(c);
        }
        let c = last.unwrap();
        *relations.entry(c.relation.as_str()).or_default() += 1;
        if c.relation == Relation::Unknown {
            for r in c.unknown_reasons {
                let short: String = r
                    .split(':')
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(":")
                    .trim()
                    .chars()
                    .take(70)
                    .collect();
                *unknown_reasons.entry(short).or_default() += 1;
            }
        }
        times.push(best);
    }
    times.sort();
    println!(
        "corpus: {} ({} folders with pairs)",
        dir.display(),
        folders.values().filter(|v| v.len() > 1).count()
    );
    println!("pairs (ordered, both directions): {}", pairs.len());
    println!("relations: {relations:?}");
    println!("unknown reasons: {unknown_reasons:?}");
    println!(
        "compare latency per pair (fastest of {reps}): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default()
    );
}
