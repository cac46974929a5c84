//! Custom policy check latency per call on the Quacky corpus: `check_no_new_access`,
//! `check_access_not_granted` and `check_no_public_access` (`keyhole_analyzer::checks`).
//!
//! Corpus: every parseable policy (`keyhole_policy::parse_policy`; `domain.json` files left
//! out) under `../shared/corpus/quacky` relative to the repository (`KEYHOLE_SHARED` points to
//! another `shared` directory); skipped with a message when absent. Policies are grouped by the
//! folder that holds them and visited in path order, so every run times the same calls in the
//! same order.
//!
//! Checks (select one with `KEYHOLE_BENCH_CHECK=no-new-access|access-not-granted|
//! no-public-access`; default all three):
//! - **no-new-access**: `check_no_new_access(existing, new, type)` for ordered pairs of
//!   distinct parseable policies within each folder that holds more than one (the
//!   `mutations/…/policy*` folders hold an original's mutants; the `benchmark/…` folders hold
//!   Quacky's policy pairs), as `keyhole-logic`'s `compare` bench forms them. `type` is
//!   `RESOURCE_POLICY` when either policy of the pair names a principal (`Principal` or
//!   `NotPrincipal`), `IDENTITY_POLICY` otherwise. The pairs are enumerated folder by folder
//!   (path order), then by (existing, new) index, and every `KEYHOLE_BENCH_PAIR_STRIDE`-th pair
//!   of that sequence is timed, starting with the first (default 2: 9,672 of the 19,344 pairs,
//!   which keeps a full run of all three checks under 2 minutes on one shared core; 1 times
//!   them all, about twice as long). The section's first line prints both counts.
//! - **access-not-granted**: `check_access_not_granted(policy, access, type)` for every
//!   parseable policy (`type` as above, for the policy alone) and up to four access lists:
//!   `first-action`, the first `Action` value (not `NotAction`) that `checks::Access::validate`
//!   accepts; `sensitive`, the actions `iam:PassRole` and `s3:DeleteBucket`; `first-resource`,
//!   the first `Resource` value (not `NotResource`) that `validate` accepts (so not `*`: the API
//!   takes ARNs only); `action+resource`, both of the first two, which asks for a listed action
//!   on a listed resource. A policy with no such action (resource) is left out of the lists
//!   that need one; the counts say how many calls each list made.
//! - **no-public-access**: `check_no_public_access(policy, resource type)` for every parseable
//!   policy that names a principal. The resource type is the first of
//!   `checks::ACCESS_CHECK_RESOURCE_TYPES` whose service is the service of the policy's first
//!   `Action` value with a supported service (`s3` → `AWS::S3::Bucket`, `sqs` →
//!   `AWS::SQS::Queue`, `sns` → `AWS::SNS::Topic`, `kms` → `AWS::KMS::Key`, `lambda` →
//!   `AWS::Lambda::Function`, `sts` → `AWS::IAM::AssumeRolePolicyDocument`, …), and
//!   `AWS::S3::Bucket` when none has one (`*`, `NotAction`, other services).
//!
//! Each call runs `KEYHOLE_BENCH_REPS` times (default 3) on this thread, keeping the fastest
//! wall time and the least thread CPU time (`CLOCK_THREAD_CPUTIME_ID` through rustix, which
//! leaves out time spent waiting for the core on a loaded machine). `KEYHOLE_BENCH_CACHE=warm`
//! keeps the engine's per-thread cache of atomizations across calls (as a long-running process
//! checking many policies does) and times each call once, so it never profits from its own
//! earlier runs; the default, `cold`, calls
//! `keyhole_logic::clear_caches` before every run, so nothing built for another call is
//! reused, as in one `keyhole check` process. The service catalog is loaded before any timing. Prints, per check (and per access list and policy type), the call
//! count, p50/p90/p99/max of both times, the PASS / FAIL / error counts (errors split into
//! `Invalid`, which the API would reject, and `Undecided`, with the first call of each reason),
//! panics, and the slowest calls.
//!
//! - **validate** (`KEYHOLE_BENCH_CHECK=validate`): `keyhole_analyzer::validate::validate` on
//!   the text of every corpus file (all 746 `.json` files, unparseable ones included), as
//!   `RESOURCE_POLICY` when the text names a `Principal`, else `IDENTITY_POLICY`. Reports the
//!   per-policy p50/p99 (least of the passes) and the throughput of the first pass (cold:
//!   validation caches action-pattern expansions per thread) and of the fastest pass (warm).
//!
//! Run on one core: `taskset -c 1 cargo bench -p keyhole-analyzer --bench policy_checks`.
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

use keyhole_analyzer::checks::{
    self, ACCESS_CHECK_RESOURCE_TYPES, CheckError, CheckResult, CheckStatus, PolicyType,
};
use keyhole_policy::{Policy, parse_policy};

mod common;
use common::{corpus_dir, json_files, percentile, thread_cpu};

/// The access list of the `sensitive` set.
const SENSITIVE: [&str; 2] = ["iam:PassRole", "s3:DeleteBucket"];
/// The resource type when the policy's actions name no supported service.
const FALLBACK_TYPE: &str = "AWS::S3::Bucket";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A parseable corpus policy and its path relative to the corpus.
struct Entry {
    label: String,
    policy: Policy,
}

/// Every parseable policy, by folder, each folder's policies in path order.
fn folders(dir: &Path) -> BTreeMap<PathBuf, Vec<Entry>> {
    let mut out: BTreeMap<PathBuf, Vec<(PathBuf, Policy)>> = BTreeMap::new();
    for p in json_files(dir) {
        if p.file_name().is_some_and(|n| n != "domain.json")
            && let Ok(policy) = std::fs::read_to_string(&p)
                .map_err(|_| ())
                .and_then(|t| parse_policy(&t).map_err(|_| ()))
            && let Some(d) = p.parent()
        {
            out.entry(d.to_path_buf()).or_default().push((p, policy));
        }
    }
    out.into_iter()
        .map(|(d, mut v)| {
            v.sort_by(|a, b| a.0.cmp(&b.0));
            let entries = v
                .into_iter()
                .map(|(p, policy)| Entry {
                    label: p.strip_prefix(dir).unwrap_or(&p).display().to_string(),
                    policy,
                })
                .collect();
            (d, entries)
        })
        .collect()
}

fn names_principal(p: &Policy) -> bool {
    p.statements.iter().any(|s| s.value.principal.is_some())
}

fn policy_type(policies: &[&Policy]) -> PolicyType {
    if policies.iter().any(|p| names_principal(p)) {
        PolicyType::Resource
    } else {
        PolicyType::Identity
    }
}

/// The policy's `Action` values (not `NotAction`), in statement order.
fn actions(p: &Policy) -> impl Iterator<Item = &str> {
    p.statements
        .iter()
        .filter_map(|s| s.value.action.as_ref())
        .filter(|a| !a.value.negated)
        .flat_map(|a| a.value.values.iter().map(|v| v.value.as_str()))
}

/// The policy's `Resource` values (not `NotResource`), in statement order.
fn resources(p: &Policy) -> impl Iterator<Item = &str> {
    p.statements
        .iter()
        .filter_map(|s| s.value.resource.as_ref())
        .filter(|r| !r.value.negated)
        .flat_map(|r| r.value.values.iter().map(|v| v.value.as_str()))
}

fn access(actions: &[&str], resources: &[&str]) -> checks::Access {
    checks::Access {
        actions: actions.iter().map(|s| (*s).to_owned()).collect(),
        resources: resources.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The first action the API accepts in an access list.
fn first_action(p: &Policy) -> Option<&str> {
    actions(p).find(|a| access(&[a], &[]).validate().is_ok())
}

/// The first resource the API accepts in an access list.
fn first_resource(p: &Policy) -> Option<&str> {
    resources(p).find(|r| access(&[], &[r]).validate().is_ok())
}

/// The resource type for CheckNoPublicAccess: the first type of the service of the first
/// action with a supported service, else `AWS::S3::Bucket`.
fn resource_type(p: &Policy) -> &'static str {
    actions(p)
        .filter_map(|a| a.split_once(':').map(|(service, _)| service))
        .find_map(|service| {
            ACCESS_CHECK_RESOURCE_TYPES
                .iter()
                .find(|(_, s)| s.eq_ignore_ascii_case(service))
                .map(|(t, _)| *t)
        })
        .unwrap_or(FALLBACK_TYPE)
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let total: Duration = times.iter().sum();
    format!(
        "p50 {:>10.3?}  p90 {:>10.3?}  p99 {:>10.3?}  max {:>10.3?}  total {:.3?}",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default(),
        total
    )
}

/// What one call gave.
#[derive(Clone)]
enum Outcome {
    Pass,
    Fail,
    Invalid(String),
    Undecided(String),
    Panic(String),
}

impl Outcome {
    fn of(result: std::thread::Result<Result<CheckResult, CheckError>>) -> Outcome {
        match result {
            Ok(Ok(r)) if r.result == CheckStatus::Pass => Outcome::Pass,
            Ok(Ok(_)) => Outcome::Fail,
            Ok(Err(CheckError::Invalid(m))) => Outcome::Invalid(m),
            Ok(Err(CheckError::Undecided(m))) => Outcome::Undecided(m),
            Err(payload) => Outcome::Panic(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            ),
        }
    }
}

/// Runs `call` `reps` times (stopping at a panic): the fastest wall time, the least thread CPU
/// time (the wall time when it cannot be read), and the outcome of the last run.
fn time_call(
    reps: usize,
    call: &dyn Fn() -> Result<CheckResult, CheckError>,
) -> (Duration, Duration, Outcome) {
    let mut best = Duration::MAX;
    let mut best_cpu = Duration::MAX;
    let mut outcome = Outcome::Pass;
    let warm = std::env::var("KEYHOLE_BENCH_CACHE").as_deref() == Ok("warm");
    // Warm: one run, so a call never profits from its own earlier runs.
    let reps = if warm { 1 } else { reps.max(1) };
    for _ in 0..reps {
        if !warm {
            keyhole_logic::clear_caches();
        }
        let cpu = thread_cpu();
        let start = Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
        let wall = start.elapsed();
        best = best.min(wall);
        best_cpu = best_cpu.min(match (cpu, thread_cpu()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        });
        outcome = Outcome::of(result);
        if matches!(outcome, Outcome::Panic(_)) {
            break;
        }
    }
    (best, best_cpu, outcome)
}

/// The timings and outcomes of one group of calls.
#[derive(Default)]
struct Tally {
    wall: Vec<Duration>,
    cpu: Vec<(Duration, String)>,
    pass: usize,
    fail: usize,
    /// (kind, reason) → (count, first call).
    errors: BTreeMap<(&'static str, String), (usize, String)>,
    panics: Vec<String>,
}

impl Tally {
    fn record(&mut self, label: String, (wall, cpu, outcome): (Duration, Duration, Outcome)) {
        self.wall.push(wall);
        let mut error = |kind: &'static str, reason: String| {
            let short: String = reason.chars().take(120).collect();
            self.errors
                .entry((kind, short))
                .or_insert((0, label.clone()))
                .0 += 1;
        };
        match outcome {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Invalid(m) => error("invalid", m),
            Outcome::Undecided(m) => error("undecided", m),
            Outcome::Panic(m) => self.panics.push(format!("{label}: {m}")),
        }
        self.cpu.push((cpu, label));
    }

    fn count(&self, kind: &str) -> usize {
        self.errors
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, (n, _))| n)
            .sum()
    }

    fn print(&self, name: &str, reps: usize, detail: bool) {
        // A warm run times each call once (see `time_call`).
        let reps = if std::env::var("KEYHOLE_BENCH_CACHE").as_deref() == Ok("warm") {
            1
        } else {
            reps
        };
        println!("   {name}: {} calls", self.wall.len());
        println!(
            "     wall time per call (fastest of {reps}): {}",
            summary(self.wall.clone())
        );
        println!(
            "     CPU time per call (least of {reps}):    {}",
            summary(self.cpu.iter().map(|(t, _)| *t).collect())
        );
        println!(
            "     PASS {}  FAIL {}  errors {} (invalid {}, undecided {})  panics {}",
            self.pass,
            self.fail,
            self.count("invalid") + self.count("undecided"),
            self.count("invalid"),
            self.count("undecided"),
            self.panics.len()
        );
        if !detail {
            return;
        }
        for ((kind, reason), (n, first)) in self.errors.iter().take(8) {
            println!("     {kind} x{n}: {reason} (first: {first})");
        }
        for p in self.panics.iter().take(5) {
            println!("     panic: {p}");
        }
        let mut slowest: Vec<&(Duration, String)> = self.cpu.iter().collect();
        slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (t, l) in slowest.iter().take(3) {
            println!("     slowest (CPU): {t:.3?} {l}");
        }
    }
}

/// CheckNoNewAccess over ordered pairs within each folder, every `stride`-th pair timed.
fn no_new_access(folders: &BTreeMap<PathBuf, Vec<Entry>>, reps: usize, stride: usize) {
    let mut pairs: Vec<(&Entry, &Entry)> = Vec::new();
    for entries in folders.values().filter(|v| v.len() > 1) {
        for (i, a) in entries.iter().enumerate() {
            for (j, b) in entries.iter().enumerate() {
                if i != j {
                    pairs.push((a, b));
                }
            }
        }
    }
    let mut all = Tally::default();
    let mut by_type: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut timed = 0usize;
    for (existing, new) in pairs.iter().step_by(stride) {
        timed += 1;
        let ty = policy_type(&[&existing.policy, &new.policy]);
        let measured = time_call(reps, &|| {
            checks::check_no_new_access(&existing.policy, &new.policy, ty)
        });
        let label = format!("{} -> {}", existing.label, new.label);
        by_type
            .entry(ty.as_str())
            .or_default()
            .record(label.clone(), measured.clone());
        all.record(label, measured);
    }
    println!(
        "== check_no_new_access: {} folders with pairs, {} ordered pairs, timed (stride {stride}): {timed}",
        folders.values().filter(|v| v.len() > 1).count(),
        pairs.len()
    );
    all.print("timed pairs", reps, true);
    for (ty, tally) in &by_type {
        tally.print(ty, reps, false);
    }
}

/// CheckAccessNotGranted for every policy and each access list that applies to it.
fn access_not_granted(entries: &[&Entry], reps: usize) {
    let mut lists: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for entry in entries {
        let policy = &entry.policy;
        let ty = policy_type(&[policy]);
        let action = first_action(policy);
        let resource = first_resource(policy);
        let mut accesses: Vec<(&'static str, checks::Access)> = Vec::new();
        if let Some(a) = action {
            accesses.push(("1 first-action", access(&[a], &[])));
        }
        accesses.push(("2 sensitive", access(&SENSITIVE, &[])));
        if let Some(r) = resource {
            accesses.push(("3 first-resource", access(&[], &[r])));
        }
        if let (Some(a), Some(r)) = (action, resource) {
            accesses.push(("4 action+resource", access(&[a], &[r])));
        }
        for (name, list) in accesses {
            let measured = time_call(reps, &|| {
                checks::check_access_not_granted(policy, &list, ty)
            });
            let label = format!("{} [{name}]", entry.label);
            lists
                .entry(name)
                .or_default()
                .record(label.clone(), measured.clone());
            all.record(label, measured);
        }
    }
    println!(
        "== check_access_not_granted: {} policies ({} identity, {} resource)",
        entries.len(),
        entries
            .iter()
            .filter(|e| !names_principal(&e.policy))
            .count(),
        entries
            .iter()
            .filter(|e| names_principal(&e.policy))
            .count()
    );
    all.print("all access lists", reps, true);
    for (name, tally) in &lists {
        tally.print(name, reps, false);
    }
}

/// CheckNoPublicAccess for every policy that names a principal.
fn no_public_access(entries: &[&Entry], reps: usize) {
    let with_principal: Vec<&&Entry> = entries
        .iter()
        .filter(|e| names_principal(&e.policy))
        .collect();
    let mut all = Tally::default();
    let mut by_type: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for entry in &with_principal {
        let ty = resource_type(&entry.policy);
        let measured = time_call(reps, &|| checks::check_no_public_access(&entry.policy, ty));
        let label = format!("{} [{ty}]", entry.label);
        by_type
            .entry(ty)
            .or_default()
            .record(label.clone(), measured.clone());
        all.record(label, measured);
    }
    println!(
        "== check_no_public_access: {} policies with a Principal (of {})",
        with_principal.len(),
        entries.len()
    );
    all.print("all", reps, true);
    for (ty, tally) in &by_type {
        tally.print(ty, reps, false);
    }
}

fn main() {
    let Some(dir) = corpus_dir() else {
        println!(
            "SKIPPED: the policy checks bench needs ../shared/corpus/quacky (or KEYHOLE_SHARED)"
        );
        return;
    };
    let reps = env_usize("KEYHOLE_BENCH_REPS", 3).max(1);
    let stride = env_usize("KEYHOLE_BENCH_PAIR_STRIDE", 2).max(1);
    let only = std::env::var("KEYHOLE_BENCH_CHECK").unwrap_or_default();
    // Load the service catalog outside the timing.
    let _ = keyhole_analyzer::actions::of_service("s3");

    let folders = folders(&dir);
    let entries: Vec<&Entry> = folders.values().flatten().collect();
    let cache = match std::env::var("KEYHOLE_BENCH_CACHE").as_deref() {
        Ok("warm") => "warm",
        _ => "cold",
    };
    println!(
        "corpus: {} ({} parseable policies in {} folders), reps {reps}, {cache} engine cache",
        dir.display(),
        entries.len(),
        folders.len()
    );
    if only.is_empty() || only == "no-new-access" {
        no_new_access(&folders, reps, stride);
    }
    if only.is_empty() || only == "access-not-granted" {
        access_not_granted(&entries, reps);
    }
    if only.is_empty() || only == "no-public-access" {
        no_public_access(&entries, reps);
    }
    if only == "validate" || only.is_empty() {
        validate_throughput(&dir, reps);
    }
}

/// Every corpus file validated once per pass: per-policy CPU time and the pass's throughput.
fn validate_throughput(dir: &Path, reps: usize) {
    use keyhole_analyzer::validate::{PolicyType, validate};
    let files = json_files(dir);
    let texts: Vec<(String, PolicyType)> = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let kind = if text.contains("\"Principal\"") || text.contains("\"NotPrincipal\"") {
                PolicyType::ResourcePolicy
            } else {
                PolicyType::IdentityPolicy
            };
            (text, kind)
        })
        .collect();
    let bytes: usize = texts.iter().map(|(t, _)| t.len()).sum();
    let mut per_policy = vec![Duration::MAX; texts.len()];
    let mut best_pass = Duration::MAX;
    let mut first_pass: Option<Duration> = None;
    let mut findings = 0usize;
    let mut errors = 0usize;
    for _ in 0..reps.max(1) {
        let pass_start = thread_cpu();
        let wall_start = Instant::now();
        findings = 0;
        errors = 0;
        for (i, (text, kind)) in texts.iter().enumerate() {
            let cpu = thread_cpu();
            let start = Instant::now();
            match validate(text, *kind, None) {
                Ok(f) => findings += f.len(),
                Err(_) => errors += 1,
            }
            let took = match (cpu, thread_cpu()) {
                (Some(a), Some(b)) => b.saturating_sub(a),
                _ => start.elapsed(),
            };
            per_policy[i] = per_policy[i].min(took);
        }
        let pass = match (pass_start, thread_cpu()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall_start.elapsed(),
        };
        if first_pass.is_none() {
            first_pass = Some(pass);
        }
        best_pass = best_pass.min(pass);
    }
    let mut sorted = per_policy.clone();
    sorted.sort();
    let pct = |q: f64| percentile(&sorted, q);
    println!(
        "== validate: {} files ({} KB), {findings} findings, {errors} errors",
        texts.len(),
        bytes / 1024
    );
    println!(
        "   CPU time per policy (least of {reps}): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        sorted.last().copied().unwrap_or_default()
    );
    // Validation keeps a per-thread cache of action-pattern expansions, so the first pass is the
    // cold figure and later passes are warm.
    let first = first_pass.unwrap_or_default();
    println!(
        "   first pass (cold): {:?} -> {:.0} policies/s, {:.1} MB/s",
        first,
        texts.len() as f64 / first.as_secs_f64(),
        bytes as f64 / 1e6 / first.as_secs_f64()
    );
    println!(
        "   whole pass (least CPU of {reps}, warm after the first): {:?} -> {:.0} policies/s, {:.1} MB/s",
        best_pass,
        texts.len() as f64 / best_pass.as_secs_f64(),
        bytes as f64 / 1e6 / best_pass.as_secs_f64()
    );
}
