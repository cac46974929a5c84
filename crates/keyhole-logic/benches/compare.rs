//! `compare` latency per policy pair on the Quacky corpus and its mutants, both directions.
//!
//! Pairs: every ordered pair of distinct parseable policies within each corpus folder that
//! holds more than one (the `mutations/…/policy*` folders hold an original's mutants; the
//! `benchmark/…` folders hold Quacky's policy pairs). Each pair is timed on one thread with
//! `compare(old, new)` (two exact queries plus witness checks), repeated `KEYHOLE_BENCH_REPS`
//! times (default 3), keeping the fastest run per pair. Prints p50/p99/max and the relation
//! counts. Run: `cargo bench -p keyhole-logic --bench compare`.
//!
//! For profiling the pairs that set a percentile: `KEYHOLE_BENCH_TIMES=FILE` writes each pair's
//! index in the full list, cold time in nanoseconds and two files, one pair per line; `KEYHOLE_BENCH_PAIRS=FILE` runs only
//! the pairs whose indexes `FILE` lists (the first number of each line), for instance those
//! within a band around the p50.
//!
//! Two figures per pair: *warm*, one pass over all pairs in order with the engine's per-thread
//! cache of atomizations never cleared, each pair timed once as the earlier pairs left the cache
//! (pairs of one folder share most literals, as the policies of one account do; a pair's own
//! earlier runs never help it), and *cold*, the fastest of `KEYHOLE_BENCH_REPS` runs with
//! [`keyhole_logic::clear_caches`] called before each, so nothing built for another query is
//! reused. The two passes must give the same relation for every pair.
//!
//! With `KEYHOLE_BENCH_CVC5=N` the same run also sends every N-th pair (in the order above) to
//! cvc5: both difference queries of the pair, as `keyhole_logic::smtlib` writes them for the
//! pair's kind, each solved by one `cvc5 --lang smt2 --strings-exp --strings-fmf FILE` process
//! (the flags of `tests/smtlib_oracle.rs`) with a per-query timeout of
//! `KEYHOLE_BENCH_CVC5_TIMEOUT` seconds (default 10). The cvc5 time of a pair is the wall time
//! of its two processes, start to exit (a timed-out query counts as the timeout); the engine
//! time is the pair's cold `compare` time from the first phase. Prints p50/p99/max of both over the
//! sampled pairs that the encoding accepts, the cvc5/engine ratios at p50 and p99, the
//! timeouts, and whether cvc5's sat/unsat matches the engine's answer. `KEYHOLE_CVC5` selects
//! another binary. Run on one core: `taskset -c 1 cargo bench …` (cvc5 inherits the affinity).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

/// The allocator of the `keyhole` binary, so that the bench measures what the binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use keyhole_logic::smtlib::{self, SmtOptions};
use keyhole_logic::{Comparison, QueryOptions, Relation, compare};
use keyhole_policy::{Policy, parse_policy};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
    // Per pair, its index in the full list and its two files.
    let mut names: Vec<(usize, &Path, &Path)> = Vec::new();
    for policies in folders.values().filter(|v| v.len() > 1) {
        for (i, a) in policies.iter().enumerate() {
            for (j, b) in policies.iter().enumerate() {
                if i != j {
                    pairs.push((&a.1, &b.1));
                    names.push((names.len(), &a.0, &b.0));
                }
            }
        }
    }
    if let Ok(file) = std::env::var("KEYHOLE_BENCH_PAIRS") {
        let keep: std::collections::BTreeSet<usize> = std::fs::read_to_string(&file)
            .expect("KEYHOLE_BENCH_PAIRS names a readable file")
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        (pairs, names) = pairs
            .into_iter()
            .zip(names)
            .filter(|(_, (index, _, _))| keep.contains(index))
            .unzip();
    }
    let mut times = Vec::with_capacity(pairs.len());
    let mut cold_times = Vec::with_capacity(pairs.len());
    let mut results: Vec<Comparison> = Vec::with_capacity(pairs.len());
    let mut relations: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unknown_reasons: BTreeMap<String, usize> = BTreeMap::new();
    // Warm pass: every pair once, in order, the cache never cleared: what a long-running
    // process comparing the corpus sees (earlier pairs built most literals).
    keyhole_logic::clear_caches();
    let mut warm_relations = Vec::with_capacity(pairs.len());
    // `KEYHOLE_BENCH_COLD_ONLY=1` skips this pass, for profiling the cold path alone.
    let cold_only = std::env::var("KEYHOLE_BENCH_COLD_ONLY").as_deref() == Ok("1");
    for (old, new) in pairs.iter().filter(|_| !cold_only) {
        let options = QueryOptions {
            kind: kind_of(old, new),
            ..QueryOptions::default()
        };
        let start = Instant::now();
        let c = compare(old, new, &options);
        times.push(start.elapsed());
        warm_relations.push(c.relation);
    }
    // Cold pass: the cache cleared before every run (`KEYHOLE_BENCH_WARM_ONLY=1` skips it, for
    // profiling the warm path).
    if std::env::var("KEYHOLE_BENCH_WARM_ONLY").as_deref() == Ok("1") {
        times.sort();
        println!(
            "warm only: p50 {:?}  p90 {:?}  p99 {:?}",
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99)
        );
        return;
    }
    for (index, (old, new)) in pairs.iter().enumerate() {
        let options = QueryOptions {
            kind: kind_of(old, new),
            ..QueryOptions::default()
        };
        let mut best_cold = Duration::MAX;
        let mut last = None;
        for _ in 0..reps.max(1) {
            keyhole_logic::clear_caches();
            let start = Instant::now();
            let c = compare(old, new, &options);
            best_cold = best_cold.min(start.elapsed());
            if !cold_only {
                assert_eq!(
                    Some(&c.relation),
                    warm_relations.get(index),
                    "the cache changed an answer"
                );
            }
            last = Some(c);
        }
        cold_times.push(best_cold);
        let c = last.unwrap();
        *relations.entry(c.relation.as_str()).or_default() += 1;
        results.push(c.clone());
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
    }
    if let Ok(file) = std::env::var("KEYHOLE_BENCH_TIMES") {
        let lines: String = cold_times
            .iter()
            .zip(&names)
            .map(|(t, (i, a, b))| format!("{i} {} {} {}\n", t.as_nanos(), a.display(), b.display()))
            .collect();
        std::fs::write(&file, lines).expect("KEYHOLE_BENCH_TIMES names a writable file");
    }
    // The cvc5 comparison uses the cold figures: no help from earlier queries.
    let per_pair = cold_times.clone();
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
        "compare latency per pair, warm cache (one pass, cache kept across pairs): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default()
    );
    cold_times.sort();
    println!(
        "compare latency per pair, cold cache (fastest of {reps}): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        percentile(&cold_times, 0.5),
        percentile(&cold_times, 0.9),
        percentile(&cold_times, 0.99),
        cold_times.last().copied().unwrap_or_default()
    );
    if let Some(stride) = std::env::var("KEYHOLE_BENCH_CVC5")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        cvc5_phase(&pairs, &per_pair, &results, stride.max(1));
    }
}

/// What one cvc5 process answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Sat,
    Unsat,
    Other,
    Timeout,
}

/// Runs cvc5 on a script file; the verdict and the wall time from spawn to exit.
fn run_cvc5(bin: &str, file: &Path, timeout: Duration) -> (Verdict, Duration) {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(["--lang", "smt2", "--strings-exp", "--strings-fmf"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cvc5 starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let _ = reader.join();
            return (Verdict::Timeout, timeout);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let elapsed = start.elapsed();
    let out = reader.join().unwrap_or_default();
    let verdict = match out.lines().next().map(str::trim) {
        Some("sat") => Verdict::Sat,
        Some("unsat") => Verdict::Unsat,
        _ => Verdict::Other,
    };
    (verdict, elapsed)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The cvc5 phase: every `stride`-th pair, both difference queries through cvc5.
fn cvc5_phase(
    pairs: &[(&Policy, &Policy)],
    engine_times: &[Duration],
    results: &[Comparison],
    stride: usize,
) {
    let bin = std::env::var("KEYHOLE_CVC5").unwrap_or_else(|_| "cvc5".to_owned());
    let timeout = Duration::from_secs(
        std::env::var("KEYHOLE_BENCH_CVC5_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
    );
    let dir = std::env::temp_dir().join(format!("keyhole-bench-cvc5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The floor: a process that only answers `(check-sat)` on an empty script.
    let empty = dir.join("empty.smt2");
    std::fs::write(&empty, "(set-logic ALL)\n(check-sat)\n").unwrap();
    if run_cvc5(&bin, &empty, timeout).0 != Verdict::Sat {
        println!("SKIPPED cvc5 phase: `{bin}` does not run (scripts/install-solvers.sh)");
        return;
    }
    let mut floor: Vec<Duration> = (0..20).map(|_| run_cvc5(&bin, &empty, timeout).1).collect();
    floor.sort();
    let mut engine = Vec::new();
    let mut solver = Vec::new();
    let (mut sampled, mut refused, mut timeouts, mut other) = (0usize, 0usize, 0usize, 0usize);
    let (mut agree, mut disagree, mut undecided) = (0usize, 0usize, 0usize);
    for (i, (old, new)) in pairs.iter().enumerate().step_by(stride) {
        sampled += 1;
        let opts = SmtOptions {
            kind: kind_of(old, new),
        };
        // compare(old, new) asks NEW \ OLD (more) and OLD \ NEW (less).
        let scripts = [
            smtlib::difference(new, old, &opts),
            smtlib::difference(old, new, &opts),
        ];
        let [Ok(more), Ok(less)] = scripts else {
            refused += 1;
            continue;
        };
        let mut total = Duration::ZERO;
        let mut verdicts = Vec::new();
        for (j, script) in [more, less].iter().enumerate() {
            let file = dir.join(format!("q{j}.smt2"));
            std::fs::write(&file, script).unwrap();
            let (v, t) = run_cvc5(&bin, &file, timeout);
            total += t;
            match v {
                Verdict::Timeout => timeouts += 1,
                Verdict::Other => other += 1,
                _ => {}
            }
            verdicts.push(v);
        }
        solver.push(total);
        engine.push(engine_times[i]);
        // The engine's answer per direction, from the relation.
        let c = &results[i];
        let expected = match c.relation {
            Relation::Equivalent => Some([Verdict::Unsat, Verdict::Unsat]),
            Relation::More => Some([Verdict::Sat, Verdict::Unsat]),
            Relation::Less => Some([Verdict::Unsat, Verdict::Sat]),
            Relation::Incomparable => Some([Verdict::Sat, Verdict::Sat]),
            Relation::Unknown => None,
        };
        let answered = verdicts
            .iter()
            .all(|v| matches!(v, Verdict::Sat | Verdict::Unsat));
        match expected {
            Some(e) if answered && verdicts == e => agree += 1,
            Some(_) if answered => {
                disagree += 1;
                println!(
                    "cvc5 disagrees with the engine on pair {i}: engine {}, cvc5 {verdicts:?}",
                    c.relation.as_str()
                );
            }
            _ => undecided += 1,
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    engine.sort();
    solver.sort();
    let max = |v: &[Duration]| v.last().copied().unwrap_or_default();
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "cvc5 phase: every {stride}th pair: {sampled} pairs, {} encoded ({refused} refused by the SMT encoding), {} cvc5 queries, timeout {timeout:?}",
        solver.len(),
        2 * solver.len()
    );
    println!(
        "cvc5 process floor (empty script, 20 runs): p50 {}",
        ms(percentile(&floor, 0.5))
    );
    println!(
        "engine compare per pair (cold, fastest of reps): p50 {}  p99 {}  max {}",
        ms(percentile(&engine, 0.5)),
        ms(percentile(&engine, 0.99)),
        ms(max(&engine))
    );
    println!(
        "cvc5 both queries per pair:               p50 {}  p99 {}  max {}",
        ms(percentile(&solver, 0.5)),
        ms(percentile(&solver, 0.99)),
        ms(max(&solver))
    );
    println!(
        "ratio cvc5/engine: p50 {:.1}x  p99 {:.1}x",
        ratio(percentile(&solver, 0.5), percentile(&engine, 0.5)),
        ratio(percentile(&solver, 0.99), percentile(&engine, 0.99))
    );
    println!(
        "cvc5 timeouts {timeouts}, other answers {other}; pairs where cvc5 matches the engine {agree}, differs {disagree}, undecided (engine Unknown or cvc5 no answer) {undecided}"
    );
}
