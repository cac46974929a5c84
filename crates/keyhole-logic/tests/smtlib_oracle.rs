//! The SMT-LIB oracle: the reasoning engine against the Zelkova-style encoding of `smtlib.rs`,
//! solved by z3 and by cvc5, all three against the concrete evaluator of `keyhole-policy`.
//!
//! Every query — "some request is allowed by P" or "some request is allowed by P1 and not by
//! P2", P used as an identity-based or a resource-based policy — is answered by the engine
//! (`satisfiable` / `allowed_but_not`) and by both solvers over the same request space (see the
//! module docs of `smtlib.rs`). The test fails when
//! - the engine and a solver disagree (engine `Yes` ⇔ `sat`, engine `No` ⇔ `unsat`), or the
//!   two solvers do; an engine `Unknown` or a solver timeout is counted, not a failure;
//! - an engine witness or a solver model is not a request the evaluator (`evaluate_policy` on
//!   the policy alone, as the query's kind) allows (resp. allows under P1 and not under P2);
//! - an `unsat`/`No` answer is contradicted by a request sampled from the policies' literals.
//!
//! Queries: generated policies (`allows` and `difference`, identity and resource kinds), and
//! the Quacky corpus (`../shared/corpus/quacky/`): `difference` both ways for pairs of policies
//! of one folder (and mutants against their originals) that share a service, as resource
//! policies when either names a principal.
//!
//! Solvers: `z3` and `cvc5` on `PATH`, or `KEYHOLE_Z3` / `KEYHOLE_CVC5` (install them with
//! `scripts/install-solvers.sh`). Without them (or without the corpus) the tests print
//! `SKIPPED` and pass, unless `CI=true`. `KEYHOLE_SMT_FULL=1` runs the full set (see
//! `tests/SMT-ORACLE.md`); `KEYHOLE_SMT_TIMEOUT` sets the per-query timeout in seconds (default
//! 5, 10 with `KEYHOLE_SMT_FULL=1`); `KEYHOLE_SMT_FILTER` keeps the queries whose label holds a
//! text, `KEYHOLE_SMT_CONTAINS` those whose policies do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;
use common::Rng;
use keyhole_logic::{Answer, PolicyKind, QueryOptions, allowed_but_not, satisfiable, smtlib};

use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::{Decision, EvalOptions, Layer, Policy, evaluate_policy, parse_policy};
use smtlib::{SmtOptions, SmtUnsupported};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The two tests share the machine's two cores: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Disagreements that are engine bugs, by job label, each with its minimal reproducer. They are
/// reported and counted but do not fail the test. Keep empty unless the evaluator confirms the
/// solvers' side.
const KNOWN_ENGINE_BUGS: &[(&str, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// Solvers

#[derive(Clone, Debug)]
struct Solvers {
    z3: String,
    cvc5: String,
    timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Sat,
    Unsat,
    Unknown,
}

fn works(bin: &str) -> bool {
    Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The solvers, or `None` after printing why the test is skipped (panics in CI).
fn solvers() -> Option<Solvers> {
    let z3 = std::env::var("KEYHOLE_Z3").unwrap_or_else(|_| "z3".to_owned());
    let cvc5 = std::env::var("KEYHOLE_CVC5").unwrap_or_else(|_| "cvc5".to_owned());
    if !works(&z3) || !works(&cvc5) {
        assert!(
            !ci(),
            "z3 and cvc5 are required in CI (scripts/install-solvers.sh)"
        );
        eprintln!("SKIPPED: z3/cvc5 not installed (run scripts/install-solvers.sh)");
        return None;
    }
    let timeout = std::env::var("KEYHOLE_SMT_TIMEOUT")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(if full() { 10 } else { 5 });
    Some(Solvers {
        z3,
        cvc5,
        timeout: Duration::from_secs(timeout),
    })
}

static FILE_SEQ: AtomicUsize = AtomicUsize::new(0);

/// Runs one solver on a script; `(verdict, model text)`. A timeout or a crash is `Unknown`.
fn run_solver(bin: &str, args: &[&str], script: &str, timeout: Duration) -> (Verdict, String) {
    let dir = std::env::temp_dir().join(format!("keyhole-smt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "q{}.smt2",
        FILE_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, script).unwrap();
    let mut child = Command::new(bin)
        .args(args)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let finished = loop {
        if child.try_wait().unwrap().is_some() {
            break true;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let out = reader.join().unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    if !finished {
        return (Verdict::Unknown, String::new());
    }
    let mut lines = out.splitn(2, '\n');
    let verdict = match lines.next().map(str::trim) {
        Some("sat") => Verdict::Sat,
        Some("unsat") => Verdict::Unsat,
        _ => Verdict::Unknown,
    };
    (verdict, lines.next().unwrap_or_default().to_owned())
}

// ---------------------------------------------------------------------------------------------
// Queries and the evaluator

/// "Some request is allowed by `first` (and not by `second`)", both used as `kind`.
#[derive(Clone)]
struct Query {
    kind: PolicyKind,
    first: Policy,
    second: Option<Policy>,
}

impl Query {
    fn script(&self) -> Result<String, SmtUnsupported> {
        let opts = SmtOptions { kind: self.kind };
        match &self.second {
            None => smtlib::allows(&self.first, &opts),
            Some(b) => smtlib::difference(&self.first, b, &opts),
        }
    }

    fn engine(&self) -> Answer {
        let opts = QueryOptions {
            kind: self.kind,
            ..QueryOptions::default()
        };
        match &self.second {
            None => satisfiable(&self.first, &opts),
            Some(b) => allowed_but_not(&self.first, b, &opts),
        }
    }

    fn decide(&self, policy: &Policy, request: &Request) -> Decision {
        let layer = match self.kind {
            PolicyKind::Identity => Layer::Identity,
            PolicyKind::Resource => Layer::Resource,
        };
        let opts = EvalOptions {
            wildcard_only_action: Some(false),
            ..EvalOptions::default()
        };
        evaluate_policy(policy, layer, request, &opts)
    }

    /// Whether the evaluator confirms the query for a request: `None` when the request's
    /// resource holds `*`/`?`, which the evaluator reads as a resource *pattern* and which
    /// lies outside the engine's and the encoding's request space.
    fn holds(&self, request: &Request) -> Option<bool> {
        if request.resource.contains(['*', '?']) {
            return None;
        }
        let first = self.decide(&self.first, request) == Decision::Allowed;
        Some(match &self.second {
            None => first,
            Some(b) => first && self.decide(b, request) != Decision::Allowed,
        })
    }

    fn policies(&self) -> Vec<&Policy> {
        std::iter::once(&self.first).chain(&self.second).collect()
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            PolicyKind::Identity => "identity",
            PolicyKind::Resource => "resource",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running and tallying

#[derive(Default, Debug)]
struct Tally {
    queries: usize,
    unsupported: BTreeMap<String, usize>,
    z3: BTreeMap<&'static str, usize>,
    cvc5: BTreeMap<&'static str, usize>,
    engine: BTreeMap<&'static str, usize>,
    engine_unknown: BTreeMap<String, usize>,
    engine_time: Duration,
    /// Both solvers answered and agree.
    solvers_agree: usize,
    /// Some solver timed out.
    solver_unknown: usize,
    /// The engine and every solver that answered agree (at least one answered).
    engine_agrees: usize,
    /// The engine and both solvers answered and agree.
    all_three_agree: usize,
    /// Every SMT-encoded query: the engine or no solver did not answer.
    not_compared: usize,
    failures: Vec<String>,
    known_engine_bugs: Vec<String>,
    witnesses_checked: usize,
    unsat_samples: usize,
    elapsed: Duration,
}

fn name(v: Verdict) -> &'static str {
    match v {
        Verdict::Sat => "sat",
        Verdict::Unsat => "unsat",
        Verdict::Unknown => "unknown",
    }
}

fn answer_name(a: &Answer) -> &'static str {
    match a {
        Answer::Yes(_) => "Yes",
        Answer::No => "No",
        Answer::Unknown(_) => "Unknown",
    }
}

impl Tally {
    fn print(&self, title: &str) {
        let unsupported = self.unsupported.values().sum::<usize>();
        eprintln!("== {title}");
        eprintln!(
            "queries {} (SMT-encoded {}, refused by the encoding {unsupported}) in {:.1?}; engine time {:.1?}",
            self.queries,
            self.queries - unsupported,
            self.elapsed,
            self.engine_time,
        );
        eprintln!("engine {:?}", self.engine);
        eprintln!("z3     {:?}", self.z3);
        eprintln!("cvc5   {:?}", self.cvc5);
        eprintln!(
            "solvers: both answered and agree {}, some solver unknown {}",
            self.solvers_agree, self.solver_unknown
        );
        eprintln!(
            "engine vs solvers (encoded queries): agree {} (all three answered {}), not compared (engine or both solvers unknown) {}, disagree {}, known engine bugs {}",
            self.engine_agrees,
            self.all_three_agree,
            self.not_compared,
            self.failures.len(),
            self.known_engine_bugs.len()
        );
        eprintln!(
            "engine witnesses and solver models checked by the evaluator {}, requests sampled for No/unsat answers {}",
            self.witnesses_checked, self.unsat_samples
        );
        for (r, n) in &self.engine_unknown {
            eprintln!("engine Unknown x{n}: {r}");
        }
        for (r, n) in &self.unsupported {
            eprintln!("refused by the SMT encoding x{n}: {r}");
        }
        for d in self.known_engine_bugs.iter().take(5) {
            eprintln!("--- known engine bug\n{d}");
        }
        for d in self.failures.iter().take(20) {
            eprintln!("--- FAILURE\n{d}");
        }
    }

    fn assert_clean(&self) {
        assert!(
            self.failures.is_empty(),
            "the SMT oracle found {} disagreements (see stderr)",
            self.failures.len()
        );
    }
}

struct Job {
    label: String,
    query: Query,
    /// Requests to try when the answer is unsat.
    samples: Vec<Request>,
}

fn describe(job: &Job) -> String {
    let mut s = format!("{} ({} policies)\n", job.label, job.query.kind_name());
    for (i, p) in job.query.policies().iter().enumerate() {
        s.push_str(&format!(
            "policy {}: {}\n",
            i + 1,
            keyhole_policy::print_policy(p)
        ));
    }
    s
}

fn run_jobs(solvers: &Solvers, mut jobs: Vec<Job>) -> Tally {
    if let Ok(filter) = std::env::var("KEYHOLE_SMT_FILTER") {
        jobs.retain(|j| j.label.contains(&filter));
    }
    // Only the queries whose policies mention a text (for instance `::/0`).
    if let Ok(text) = std::env::var("KEYHOLE_SMT_CONTAINS") {
        jobs.retain(|j| {
            std::iter::once(&j.query.first)
                .chain(j.query.second.as_ref())
                .any(|p| keyhole_policy::print_policy(p).contains(&text))
        });
    }
    if let Some(limit) = std::env::var("KEYHOLE_SMT_LIMIT")
        .ok()
        .and_then(|l| l.parse().ok())
    {
        jobs.truncate(limit);
    }
    let start = Instant::now();
    let tally = Mutex::new(Tally::default());
    let next = AtomicUsize::new(0);
    let jobs = &jobs;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    run_job(solvers, job, &tally);
                }
            });
        }
    });
    let mut t = tally.into_inner().unwrap();
    t.elapsed = start.elapsed();
    // The scripts' directory (see `run_solver`), once empty.
    let _ = std::fs::remove_dir(
        std::env::temp_dir().join(format!("keyhole-smt-{}", std::process::id())),
    );
    t
}

/// What the evaluator says of a witness or model, in words.
fn evaluated(query: &Query, request: &Request) -> String {
    match query.holds(request) {
        Some(true) => "the evaluator CONFIRMS it".to_owned(),
        Some(false) => "the evaluator REFUTES it".to_owned(),
        None => "OUTSIDE the request space (a resource pattern)".to_owned(),
    }
}

fn run_job(solvers: &Solvers, job: &Job, tally: &Mutex<Tally>) {
    let started = Instant::now();
    let engine = job.query.engine();
    let engine_time = started.elapsed();
    let engine_unknown = match &engine {
        Answer::Unknown(r) => Some(r.chars().take(90).collect::<String>()),
        _ => None,
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    // The engine's witness must be real, whatever the solvers say.
    if let Answer::Yes(w) = &engine {
        checked += 1;
        if job.query.holds(&w.to_request()) != Some(true) {
            failures.push(format!(
                "engine witness: {w:?}\n  {}\n{}",
                evaluated(&job.query, &w.to_request()),
                describe(job)
            ));
        }
    }
    let script = match job.query.script() {
        Ok(s) => s,
        Err(e) => {
            let mut t = tally.lock().unwrap();
            t.queries += 1;
            t.engine_time += engine_time;
            *t.engine.entry(answer_name(&engine)).or_default() += 1;
            if let Some(r) = engine_unknown {
                *t.engine_unknown.entry(r).or_default() += 1;
            }
            *t.unsupported.entry(e.reason).or_default() += 1;
            t.witnesses_checked += checked;
            t.failures.extend(failures);
            return;
        }
    };
    if let Ok(dir) = std::env::var("KEYHOLE_SMT_DUMP") {
        let file: String = job
            .label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let _ = std::fs::write(Path::new(&dir).join(format!("{file}.smt2")), &script);
    }
    let (z, zm) = run_solver(&solvers.z3, &["-smt2"], &script, solvers.timeout);
    let (c, cm) = run_solver(
        &solvers.cvc5,
        &["--lang", "smt2", "--strings-exp", "--strings-fmf"],
        &script,
        solvers.timeout,
    );
    // Solver models.
    let mut models = Vec::new();
    for (solver, verdict, model) in [("z3", z, &zm), ("cvc5", c, &cm)] {
        if verdict != Verdict::Sat {
            continue;
        }
        match smtlib::request_from_model(model) {
            Some(request) => {
                checked += 1;
                if job.query.holds(&request) != Some(true) {
                    failures.push(format!(
                        "{solver} model: {request:?}\n  {}\n{}model:\n{model}\nscript:\n{script}",
                        evaluated(&job.query, &request),
                        describe(job)
                    ));
                }
                models.push((solver, request));
            }
            None => failures.push(format!(
                "{solver} model unreadable:\n{model}\n{}",
                describe(job)
            )),
        }
    }
    // Sampled requests against No / unsat.
    let mut unsat_samples = 0;
    let negative = matches!(engine, Answer::No) || z == Verdict::Unsat || c == Verdict::Unsat;
    if negative {
        for r in &job.samples {
            let Some(holds) = job.query.holds(r) else {
                continue;
            };
            unsat_samples += 1;
            if holds {
                failures.push(format!(
                    "engine {}, z3 {}, cvc5 {}, but the evaluator allows the sampled request {r:?}\n{}",
                    answer_name(&engine),
                    name(z),
                    name(c),
                    describe(job)
                ));
                break;
            }
        }
    }
    // The three answers.
    let mut known_bug = None;
    let solvers_clash = matches!(
        (z, c),
        (Verdict::Sat, Verdict::Unsat) | (Verdict::Unsat, Verdict::Sat)
    );
    if solvers_clash {
        failures.push(format!(
            "z3 says {}, cvc5 says {}\n{}script:\n{script}",
            name(z),
            name(c),
            describe(job)
        ));
    }
    let engine_sat = match &engine {
        Answer::Yes(_) => Some(Verdict::Sat),
        Answer::No => Some(Verdict::Unsat),
        Answer::Unknown(_) => None,
    };
    let answered: Vec<Verdict> = [z, c]
        .into_iter()
        .filter(|v| *v != Verdict::Unknown)
        .collect();
    let mut engine_agrees = false;
    let mut all_three = false;
    let mut not_compared = false;
    match engine_sat {
        Some(e) if !answered.is_empty() => {
            if answered.iter().all(|v| *v == e) {
                engine_agrees = true;
                all_three = answered.len() == 2;
            } else {
                let mut report = format!(
                    "engine {} vs z3 {}, cvc5 {}\n{}",
                    answer_name(&engine),
                    name(z),
                    name(c),
                    describe(job)
                );
                if let Answer::Yes(w) = &engine {
                    report.push_str(&format!(
                        "engine witness: {w:?}\n  {}\n",
                        evaluated(&job.query, &w.to_request())
                    ));
                }
                for (solver, request) in &models {
                    report.push_str(&format!(
                        "{solver} model: {request:?}\n  {}\n",
                        evaluated(&job.query, request)
                    ));
                }
                report.push_str(&format!("script:\n{script}"));
                match KNOWN_ENGINE_BUGS.iter().find(|(l, _)| *l == job.label) {
                    Some((_, repro)) => known_bug = Some(format!("{report}\nreproducer: {repro}")),
                    None => failures.push(report),
                }
            }
        }
        _ => not_compared = true,
    }
    let mut t = tally.lock().unwrap();
    t.queries += 1;
    t.engine_time += engine_time;
    *t.engine.entry(answer_name(&engine)).or_default() += 1;
    if let Some(r) = engine_unknown {
        *t.engine_unknown.entry(r).or_default() += 1;
    }
    *t.z3.entry(name(z)).or_default() += 1;
    *t.cvc5.entry(name(c)).or_default() += 1;
    if z == Verdict::Unknown || c == Verdict::Unknown {
        t.solver_unknown += 1;
    } else if z == c {
        t.solvers_agree += 1;
    }
    t.engine_agrees += usize::from(engine_agrees);
    t.all_three_agree += usize::from(all_three);
    t.not_compared += usize::from(not_compared);
    t.witnesses_checked += checked;
    t.unsat_samples += unsat_samples;
    t.failures.extend(failures);
    t.known_engine_bugs.extend(known_bug);
}

fn full() -> bool {
    std::env::var("KEYHOLE_SMT_FULL").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------------------------------------
// Generated policies

fn seeded(seed: u64) -> Rng {
    Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D | 1)
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "*",
    "S3:getobject",
    "s3:?etObject",
    "s3:PutObject",
    "ec2:Describe*",
    "ec2:RunInstances",
    "sqs:*Message",
    "kms:Decrypt",
    "iam:PassRole",
    "sts:Get*",
    "s3:*Object*",
    // KELVIN SIGN: matches `k` and `K` in action names.
    "kms:\\u212aey*",
    "sts:Assume*",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/a?c",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::*",
    "arn:aws:*:*:*:*",
    "arn:aws:ec2:*:111122223333:instance/*",
    "arn:aws:s3",
    "arn:aws:s3:::bucket/x:y:*",
    "arn:aws:sqs:us-east-1:111122223333:queue-*",
    "arn:aws:kms:us-east-1:111122223333:key/*",
    "arn:aws:iam::111122223333:role/*",
    "arn:*:s3:::b?cket/*",
    // A literal `*` (policy-variable escape).
    "arn:aws:s3:::bucket/${*}",
];

/// `Principal` values of generated resource policies (JSON).
const PRINCIPALS: &[&str] = &[
    "\"*\"",
    "{\"AWS\":\"*\"}",
    "{\"AWS\":\"111122223333\"}",
    "{\"AWS\":\"arn:aws:iam::111122223333:root\"}",
    "{\"AWS\":\"arn:aws:iam::111122223333:role/path/R\"}",
    "{\"AWS\":\"arn:aws:iam::444455556666:user/U\"}",
    "{\"AWS\":\"arn:aws:sts::111122223333:assumed-role/R/s\"}",
    "{\"AWS\":[\"444455556666\",\"arn:aws:iam::111122223333:role/R\"]}",
    "{\"AWS\":\"arn:aws-cn:iam::111122223333:root\"}",
    "{\"AWS\":\"AIDAEXAMPLEID\"}",
    "\"arn:aws:iam::111122223333:user/U\"",
    "{\"Service\":\"s3.amazonaws.com\"}",
    "{\"Service\":[\"Lambda.amazonaws.com\",\"*\"]}",
    "{\"Federated\":\"cognito-identity.amazonaws.com\"}",
    "{\"CanonicalUser\":\"79a59df900b949e5\"}",
    "{\"AWS\":\"111122223333\",\"Service\":\"sns.amazonaws.com\"}",
];

/// Keys by operator family, with the values the policies use.
struct Family {
    keys: &'static [&'static str],
    operators: &'static [&'static str],
    values: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        keys: &[
            "s3:prefix",
            "aws:PrincipalTag/team",
            "AWS:principaltag/Team",
        ],
        operators: &[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        ],
        values: &[
            "dev", "Dev", "d*", "de?", "", "prod", "DEV", "k", "a\\\"b", "*", "p*d", "é",
        ],
    },
    Family {
        keys: &["aws:SourceArn"],
        operators: &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
        values: &[
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::*",
            "arn:*:s3:*:*:b?",
            "arn:aws:sqs:*:111122223333:*",
            "not-an-arn",
            "arn:aws:s3:*",
            "*",
            "arn:aws:s3:::bucket/a:b",
        ],
    },
    Family {
        keys: &["aws:SourceIp"],
        operators: &["IpAddress", "NotIpAddress"],
        values: &[
            "10.0.0.0/8",
            "10.1.2.3",
            "2001:db8::/32",
            "::/0",
            "0.0.0.0/0",
            "bogus",
            "192.168.1.0/24",
        ],
    },
    Family {
        keys: &["s3:max-keys"],
        operators: &[
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ],
        values: &["10", "5.5", "-3", "0", "1e3", "10.00", "7.25"],
    },
    Family {
        keys: &["aws:CurrentTime", "aws:EpochTime"],
        operators: &[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ],
        values: &[
            "2024-01-01",
            "2024-01-01T12:00:00Z",
            "1704067200",
            "1704067200.5",
            "notadate",
            "2023-06-01T00:00:00+02:00",
        ],
    },
    Family {
        keys: &["aws:SecureTransport", "aws:MultiFactorAuthPresent"],
        operators: &["Bool"],
        values: &["true", "false", "TRUE", "yes"],
    },
    Family {
        keys: &["s3:x-amz-content-sha256"],
        operators: &["BinaryEquals"],
        values: &["QUJD", "x"],
    },
];

fn json_str(s: &str) -> String {
    // Values above are written as JSON string contents already (`\"` stays escaped).
    format!("\"{s}\"")
}

fn list(rng: &mut Rng, pool: &[&str], max: usize) -> String {
    let n = 1 + rng.below(max);
    let items: Vec<String> = (0..n).map(|_| json_str(rng.pick(pool))).collect();
    if n == 1 && rng.chance(50) {
        items[0].clone()
    } else {
        format!("[{}]", items.join(","))
    }
}

fn condition(rng: &mut Rng) -> String {
    let mut blocks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for _ in 0..1 + rng.below(2) {
        let fam = &FAMILIES[rng.below(FAMILIES.len())];
        let key = rng.pick(fam.keys);
        let (op, values) = if rng.chance(12) {
            ("Null".to_owned(), list(rng, &["true", "false", "maybe"], 2))
        } else {
            let mut op = rng.pick(fam.operators).to_owned();
            if rng.chance(25) {
                op.push_str("IfExists");
            }
            match rng.below(10) {
                0 => op.insert_str(0, "ForAnyValue:"),
                1 => op.insert_str(0, "ForAllValues:"),
                _ => {}
            }
            (op, list(rng, fam.values, 3))
        };
        blocks
            .entry(op)
            .or_default()
            .push(format!("{}:{values}", json_str(key)));
    }
    let body: Vec<String> = blocks
        .into_iter()
        .map(|(op, entries)| {
            // Duplicate keys in one block are not allowed: keep the first.
            let mut seen = BTreeSet::new();
            let entries: Vec<String> = entries
                .into_iter()
                .filter(|e| seen.insert(e.split(':').next().unwrap().to_lowercase()))
                .collect();
            format!("\"{op}\":{{{}}}", entries.join(","))
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

fn gen_policy(rng: &mut Rng, kind: PolicyKind) -> String {
    let n = 1 + rng.below(3);
    let mut statements = Vec::new();
    for _ in 0..n {
        let effect = if rng.chance(70) { "Allow" } else { "Deny" };
        let principal = match kind {
            PolicyKind::Identity => String::new(),
            PolicyKind::Resource => match rng.below(20) {
                0 => String::new(),
                1..=3 => format!("\"NotPrincipal\":{},", rng.pick(PRINCIPALS)),
                _ => format!("\"Principal\":{},", rng.pick(PRINCIPALS)),
            },
        };
        let action_el = if rng.chance(20) {
            "NotAction"
        } else {
            "Action"
        };
        let mut s = format!(
            "{{{principal}\"Effect\":\"{effect}\",\"{action_el}\":{}",
            list(rng, ACTIONS, 3)
        );
        if rng.chance(90) {
            let el = if rng.chance(20) {
                "NotResource"
            } else {
                "Resource"
            };
            s.push_str(&format!(",\"{el}\":{}", list(rng, RESOURCES, 2)));
        }
        if rng.chance(60) {
            s.push_str(&format!(",\"Condition\":{}", condition(rng)));
        }
        s.push('}');
        statements.push(s);
    }
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
        statements.join(",")
    )
}

/// Instantiates a wildcard pattern with random fillers.
fn instantiate(rng: &mut Rng, pattern: &str) -> String {
    let mut out = String::new();
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(rng.pick(&["", "x", "Object", "a/b", "1", "Get", ":"])),
            '?' => out.push(rng.pick(&['a', 'G', 'x', '/', 'u'])),
            c => out.push(c),
        }
    }
    if rng.chance(20) {
        // Flip the case of one character.
        let i = rng.below(out.chars().count().max(1));
        out = out
            .chars()
            .enumerate()
            .map(|(j, c)| {
                if j == i {
                    if c.is_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                } else {
                    c
                }
            })
            .collect();
    }
    out
}

/// Callers for sampled requests of resource policies: a fixed pool plus, per `AWS` value of
/// the policies, the principal it names, a session of it and a caller of its account.
fn sample_callers(policies: &[&Policy]) -> Vec<RequestPrincipal> {
    let mut out = vec![
        RequestPrincipal::parse(smtlib::WITNESS_CALLER).unwrap(),
        RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/R/s").unwrap(),
        RequestPrincipal::parse("arn:aws:iam::111122223333:root").unwrap(),
        RequestPrincipal::parse("arn:aws:iam::999999999999:user/other").unwrap(),
        RequestPrincipal::Service("s3.amazonaws.com".to_owned()),
        RequestPrincipal::Service("LAMBDA.amazonaws.com".to_owned()),
        RequestPrincipal::Federated("cognito-identity.amazonaws.com".to_owned()),
        RequestPrincipal::CanonicalUser("79a59df900b949e5".to_owned()),
        RequestPrincipal::Anonymous,
    ];
    for p in policies {
        for st in p.statements.iter() {
            let Some(pe) = &st.value.principal else {
                continue;
            };
            let values: Vec<String> = match &pe.value.principal {
                keyhole_policy::Principal::Wildcard => Vec::new(),
                keyhole_policy::Principal::AwsShorthand(v) => vec![v.value.clone()],
                keyhole_policy::Principal::Typed(entries) => entries
                    .iter()
                    .flat_map(|(_, vs)| vs.iter().map(|v| v.value.clone()))
                    .collect(),
            };
            for v in values {
                if keyhole_policy::arn::is_account_id(&v) {
                    out.extend(RequestPrincipal::parse(&format!(
                        "arn:aws:iam::{v}:user/sampled"
                    )));
                } else if let Some(arn) = keyhole_policy::arn::Arn::parse(&v) {
                    let last = arn.resource.rsplit('/').next().unwrap_or("").to_owned();
                    out.extend(RequestPrincipal::parse(&v));
                    out.extend(RequestPrincipal::parse(&format!(
                        "arn:{}:sts::{}:assumed-role/{last}/sess",
                        arn.partition, arn.account
                    )));
                    out.extend(RequestPrincipal::parse(&format!(
                        "arn:{}:iam::{}:user/{last}",
                        arn.partition, arn.account
                    )));
                } else if v != "*" {
                    out.push(RequestPrincipal::Service(v.clone()));
                    out.push(RequestPrincipal::Federated(v.to_ascii_uppercase()));
                    out.push(RequestPrincipal::CanonicalUser(v));
                }
            }
        }
    }
    out
}

/// Requests built from the policies' literals (and fixed pools), for No/unsat answers.
fn sample_requests(
    rng: &mut Rng,
    kind: PolicyKind,
    policies: &[&Policy],
    n: usize,
) -> Vec<Request> {
    let mut actions: Vec<String> = ["s3:GetObject", "ec2:RunInstances", "sqs:SendMessage"]
        .map(str::to_owned)
        .to_vec();
    let mut resources: Vec<String> = [
        "arn:aws:s3:::bucket/abc",
        "arn:aws:s3:::bucket",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
        "arn:aws:sqs:us-east-1:111122223333:queue-1",
    ]
    .map(str::to_owned)
    .to_vec();
    let callers = match kind {
        PolicyKind::Identity => vec![RequestPrincipal::parse(smtlib::WITNESS_CALLER).unwrap()],
        PolicyKind::Resource => sample_callers(policies),
    };
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in policies {
        for st in p.statements.iter() {
            if let Some(a) = &st.value.action {
                actions.extend(a.value.values.iter().map(|v| v.value.clone()));
            }
            if let Some(r) = &st.value.resource {
                resources.extend(r.value.values.iter().map(|v| v.value.clone()));
            }
            for clause in st.value.condition.iter().flat_map(|c| c.value.iter()) {
                for e in &clause.entries {
                    keys.entry(e.key.value.clone())
                        .or_default()
                        .extend(e.values.iter().map(|v| v.value.text.clone()));
                }
            }
        }
    }
    let extra = [
        "x",
        "",
        "10.1.2.3",
        "::1",
        "2001:db8::1",
        "5",
        "10",
        "-3.5",
        "2024-01-01",
        "1704067199",
        "true",
        "FALSE",
        "dev",
        "arn:aws:s3:::bucket",
    ];
    let mut out = Vec::new();
    for _ in 0..n {
        let mut context = Context::new();
        for (k, vals) in &keys {
            match rng.below(10) {
                0..=1 => {}
                2 => {
                    let n = rng.below(4);
                    let elements = (0..n)
                        .map(|_| {
                            if rng.chance(50) {
                                rng.pick(&extra).to_owned()
                            } else {
                                let v = vals[rng.below(vals.len())].clone();
                                instantiate(rng, &v)
                            }
                        })
                        .collect();
                    context.insert(k, ContextValue::Multi(elements));
                }
                3..=5 => context.insert(k, ContextValue::Single(rng.pick(&extra).to_owned())),
                _ => {
                    let v = vals[rng.below(vals.len())].clone();
                    let v = instantiate(rng, &v);
                    context.insert(k, ContextValue::Single(v));
                }
            }
        }
        let a = actions[rng.below(actions.len())].clone();
        let action = instantiate(rng, &a);
        let r = resources[rng.below(resources.len())].clone();
        let mut resource = instantiate(rng, &r);
        while resource.matches(':').count() < 5 && rng.chance(90) {
            resource.push_str(":x");
        }
        let principal = callers[rng.below(callers.len())].clone();
        out.push(Request {
            principal,
            action,
            resource,
            resource_account: Some(smtlib::WITNESS_ACCOUNT.to_owned()),
            context,
        });
    }
    out
}

/// `allows(p)` and `difference(p, p2)` for `seeds` generated policies of `kind`.
fn generated_jobs(kind: PolicyKind, seeds: u64, samples: usize) -> Vec<Job> {
    let tag = match kind {
        PolicyKind::Identity => "",
        PolicyKind::Resource => "resource ",
    };
    // Resource-policy seeds are drawn from their own range.
    let base = match kind {
        PolicyKind::Identity => 0,
        PolicyKind::Resource => 1 << 32,
    };
    let mut jobs = Vec::new();
    for seed in base..base + seeds {
        let mut rng = seeded(seed);
        let text = gen_policy(&mut rng, kind);
        let Ok(p) = parse_policy(&text) else {
            panic!("generated policy does not parse: {text}");
        };
        let s = sample_requests(&mut rng, kind, &[&p], samples);
        jobs.push(Job {
            label: format!("{tag}allows, seed {seed}"),
            query: Query {
                kind,
                first: p.clone(),
                second: None,
            },
            samples: s,
        });
        // A related second policy: regenerate with a nearby seed.
        let mut rng2 = seeded(seed ^ 0xABCD);
        let text2 = gen_policy(&mut rng2, kind);
        let p2 = parse_policy(&text2).unwrap();
        let s = sample_requests(&mut rng, kind, &[&p, &p2], samples);
        jobs.push(Job {
            label: format!("{tag}difference, seed {seed}"),
            query: Query {
                kind,
                first: p,
                second: Some(p2),
            },
            samples: s,
        });
    }
    jobs
}

#[test]
fn generated_policies_agree() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(solvers) = solvers() else { return };
    // Full: 1,000 identity seeds and 500 resource seeds, two queries each.
    let (identity, resource) = if full() { (1_000, 500) } else { (80, 40) };
    let samples = if full() { 100 } else { 60 };
    let mut jobs = generated_jobs(PolicyKind::Identity, identity, samples);
    jobs.extend(generated_jobs(PolicyKind::Resource, resource, samples));
    let t = run_jobs(&solvers, jobs);
    t.print("generated policies");
    t.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// The Quacky corpus

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/quacky")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn all_dirs(root: &Path, out: &mut Vec<PathBuf>) {
    out.push(root.to_owned());
    let mut subs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    subs.sort();
    for s in subs {
        all_dirs(&s, out);
    }
}

fn services(p: &Policy) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for st in p.statements.iter() {
        if let Some(a) = &st.value.action {
            for v in a.value.values.iter() {
                let s = v.value.split(':').next().unwrap_or("").to_lowercase();
                out.insert(if a.value.negated || s.contains(['*', '?']) {
                    "*".to_owned()
                } else {
                    s
                });
            }
        }
    }
    out
}

/// Resource policies when either names a principal (as `benches/compare.rs`), else identity.
fn kind_of(a: &Policy, b: &Policy) -> PolicyKind {
    let names = |p: &Policy| p.statements.iter().any(|s| s.value.principal.is_some());
    if names(a) || names(b) {
        PolicyKind::Resource
    } else {
        PolicyKind::Identity
    }
}

fn share_service(a: &Policy, b: &Policy) -> bool {
    let (sa, sb) = (services(a), services(b));
    sa.contains("*") || sb.contains("*") || sa.intersection(&sb).next().is_some()
}

/// Pairs of corpus files: every pair within a folder (consecutive pairs only within a folder of
/// mutants), and each mutant against its original (`mutations/S/E/N/V/i_.json` against
/// `S/E/N/V.json`).
fn corpus_pairs(root: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut dirs = Vec::new();
    all_dirs(root, &mut dirs);
    let mut pairs = Vec::new();
    for dir in dirs {
        let files = json_files(&dir);
        let rel = dir.strip_prefix(root).unwrap_or(&dir).to_owned();
        let is_mutants = rel.starts_with("mutations");
        if is_mutants {
            for w in files.windows(2) {
                pairs.push((w[0].clone(), w[1].clone()));
            }
            let original = root
                .join(rel.strip_prefix("mutations").unwrap())
                .with_extension("json");
            if original.is_file() {
                for f in &files {
                    pairs.push((original.clone(), f.clone()));
                }
            }
        } else {
            for (i, a) in files.iter().enumerate() {
                for b in files.iter().skip(i + 1) {
                    pairs.push((a.clone(), b.clone()));
                }
            }
        }
    }
    pairs
}

#[test]
fn quacky_corpus_agrees() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let root = corpus_root();
    if !root.is_dir() {
        assert!(
            !ci(),
            "the Quacky corpus is required in CI: not found at {}",
            root.display()
        );
        eprintln!("SKIPPED: corpus not found at {}", root.display());
        return;
    }
    let Some(solvers) = solvers() else { return };
    let mut parsed: BTreeMap<PathBuf, Option<Policy>> = BTreeMap::new();
    let mut load = |p: &Path| -> Option<Policy> {
        parsed
            .entry(p.to_owned())
            .or_insert_with(|| {
                std::fs::read_to_string(p)
                    .ok()
                    .and_then(|t| parse_policy(&t).ok())
            })
            .clone()
    };
    let pairs = corpus_pairs(&root);
    let mut jobs = Vec::new();
    let (mut unparseable, mut no_shared_service) = (0, 0);
    for (a, b) in &pairs {
        let (Some(pa), Some(pb)) = (load(a), load(b)) else {
            unparseable += 1;
            continue;
        };
        if !share_service(&pa, &pb) {
            no_shared_service += 1;
            continue;
        }
        let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
        let kind = kind_of(&pa, &pb);
        let mut rng = seeded(jobs.len() as u64);
        let samples = sample_requests(&mut rng, kind, &[&pa, &pb], 40);
        jobs.push(Job {
            label: format!("difference {} \\ {}", rel(a), rel(b)),
            query: Query {
                kind,
                first: pa.clone(),
                second: Some(pb.clone()),
            },
            samples: samples.clone(),
        });
        jobs.push(Job {
            label: format!("difference {} \\ {}", rel(b), rel(a)),
            query: Query {
                kind,
                first: pb,
                second: Some(pa),
            },
            samples,
        });
    }
    let total = jobs.len();
    if !full() {
        // CI: an evenly spread subset.
        let keep = 150usize;
        let stride = total.div_ceil(keep).max(1);
        jobs = jobs.into_iter().step_by(stride).collect();
    }
    eprintln!(
        "corpus: {} pairs, {unparseable} with an unparseable policy, {no_shared_service} sharing no service, {total} queries, running {}",
        pairs.len(),
        jobs.len()
    );
    let t = run_jobs(&solvers, jobs);
    t.print("quacky corpus");
    t.assert_clean();
}
