//! The SMT-LIB oracle: the Zelkova-style encoding of `smtlib.rs`, solved by z3 and by cvc5,
//! against each other and against the concrete evaluator of `keyhole-policy`.
//!
//! - generated policies: `allows(p)` and `difference(p1, p2)`; both solvers must agree on
//!   sat/unsat, every model must be a request the evaluator allows (resp. allows under `p1` and
//!   not under `p2`), and for every unsat answer requests sampled from the policies' literals
//!   must never be allowed (resp. allowed-but-not);
//! - the Quacky corpus (`../shared/corpus/quacky/`): `difference` both ways for pairs of
//!   policies of one folder (and mutants against their originals) that share a service.
//!
//! Solvers: `z3` and `cvc5` on `PATH`, or `KEYHOLE_Z3` / `KEYHOLE_CVC5` (install them with
//! `scripts/install-solvers.sh`). Without them the tests print `SKIPPED` and pass, unless
//! `CI=true`. `KEYHOLE_SMT_FULL=1` runs the full set (see `tests/SMT-ORACLE.md`);
//! `KEYHOLE_SMT_TIMEOUT` sets the per-query timeout in seconds (default 10).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;
use common::Rng;
use keyhole_logic::smtlib;

use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::{Decision, EvalOptions, Policy, PolicySet, evaluate, parse_policy};
use smtlib::{SmtOptions, SmtUnsupported};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The two tests share the machine's two cores: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

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

/// The solvers, or `None` after printing why the test is skipped (panics in CI).
fn solvers() -> Option<Solvers> {
    let z3 = std::env::var("KEYHOLE_Z3").unwrap_or_else(|_| "z3".to_owned());
    let cvc5 = std::env::var("KEYHOLE_CVC5").unwrap_or_else(|_| "cvc5".to_owned());
    if !works(&z3) || !works(&cvc5) {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
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
// Evaluation

fn decide(policy: &Policy, request: &Request) -> Decision {
    let set = PolicySet {
        identity: vec![policy.clone()],
        ..PolicySet::default()
    };
    let opts = EvalOptions {
        wildcard_only_action: Some(false),
        ..EvalOptions::default()
    };
    evaluate(request, &set, &opts).decision
}

/// What the query claims for a request: allowed by the first policy and (for a difference)
/// not by the second.
#[derive(Clone)]
enum Query {
    Allows(Policy),
    Difference(Policy, Policy),
}

impl Query {
    fn script(&self) -> Result<String, SmtUnsupported> {
        let opts = SmtOptions::default();
        match self {
            Query::Allows(p) => smtlib::allows(p, &opts),
            Query::Difference(a, b) => smtlib::difference(a, b, &opts),
        }
    }
    fn holds(&self, request: &Request) -> bool {
        match self {
            Query::Allows(p) => decide(p, request) == Decision::Allowed,
            Query::Difference(a, b) => {
                decide(a, request) == Decision::Allowed && decide(b, request) != Decision::Allowed
            }
        }
    }
    fn policies(&self) -> Vec<&Policy> {
        match self {
            Query::Allows(p) => vec![p],
            Query::Difference(a, b) => vec![a, b],
        }
    }
}

fn allow_all() -> Policy {
    parse_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .unwrap()
}

/// Whether a request lies in the space the scripts range over (`SmtOptions::default()`): an
/// ARN resource without wildcards, decided by the policy alone.
fn in_space(request: &Request) -> bool {
    !request.resource.contains(['*', '?'])
        && keyhole_policy::arn::Arn::parse(&request.resource).is_some()
        && decide(&Policy::default(), request) != Decision::Allowed
        && decide(&allow_all(), request) == Decision::Allowed
}

// ---------------------------------------------------------------------------------------------
// Running and tallying

#[derive(Default, Debug)]
struct Tally {
    queries: usize,
    unsupported: BTreeMap<String, usize>,
    z3: BTreeMap<&'static str, usize>,
    cvc5: BTreeMap<&'static str, usize>,
    agree: usize,
    one_unknown: usize,
    disagree: Vec<String>,
    witnesses_checked: usize,
    witness_failures: Vec<String>,
    unsat_samples: usize,
    unsat_failures: Vec<String>,
    elapsed: Duration,
}

fn name(v: Verdict) -> &'static str {
    match v {
        Verdict::Sat => "sat",
        Verdict::Unsat => "unsat",
        Verdict::Unknown => "unknown",
    }
}

impl Tally {
    fn print(&self, title: &str) {
        eprintln!("== {title}");
        eprintln!(
            "queries {} (encoded {}, unsupported {}) in {:.1?}",
            self.queries,
            self.queries - self.unsupported.values().sum::<usize>(),
            self.unsupported.values().sum::<usize>(),
            self.elapsed
        );
        eprintln!("z3   {:?}", self.z3);
        eprintln!("cvc5 {:?}", self.cvc5);
        eprintln!(
            "agree {}, one solver unknown {}, disagree {}",
            self.agree,
            self.one_unknown,
            self.disagree.len()
        );
        eprintln!(
            "sat witnesses checked {} (failures {}), unsat sampled requests {} (failures {})",
            self.witnesses_checked,
            self.witness_failures.len(),
            self.unsat_samples,
            self.unsat_failures.len()
        );
        for (r, n) in &self.unsupported {
            eprintln!("unsupported x{n}: {r}");
        }
        for d in self
            .disagree
            .iter()
            .chain(&self.witness_failures)
            .chain(&self.unsat_failures)
            .take(20)
        {
            eprintln!("---\n{d}");
        }
    }

    fn assert_clean(&self) {
        assert!(
            self.disagree.is_empty()
                && self.witness_failures.is_empty()
                && self.unsat_failures.is_empty(),
            "the SMT oracle found disagreements (see stderr)"
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
    let mut s = format!("{}\n", job.label);
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
    t
}

fn run_job(solvers: &Solvers, job: &Job, tally: &Mutex<Tally>) {
    let script = match job.query.script() {
        Ok(s) => s,
        Err(e) => {
            let mut t = tally.lock().unwrap();
            t.queries += 1;
            *t.unsupported.entry(e.reason).or_default() += 1;
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
    let mut witness_checked = 0;
    let mut witness_failures = Vec::new();
    for (solver, verdict, model) in [("z3", z, &zm), ("cvc5", c, &cm)] {
        if verdict != Verdict::Sat {
            continue;
        }
        witness_checked += 1;
        match smtlib::request_from_model(model) {
            Some(request) if job.query.holds(&request) => {}
            Some(request) => witness_failures.push(format!(
                "{solver} witness not confirmed by the evaluator: {request:?}\n{}model:\n{model}\nscript:\n{script}",
                describe(job)
            )),
            None => witness_failures.push(format!(
                "{solver} model unreadable:\n{model}\n{}",
                describe(job)
            )),
        }
    }
    let mut unsat_samples = 0;
    let mut unsat_failures = Vec::new();
    let unsat =
        (z == Verdict::Unsat || c == Verdict::Unsat) && z != Verdict::Sat && c != Verdict::Sat;
    if unsat {
        for r in job.samples.iter().filter(|r| in_space(r)) {
            unsat_samples += 1;
            if job.query.holds(r) {
                unsat_failures.push(format!(
                    "unsat (z3 {}, cvc5 {}) but the evaluator confirms {r:?}\n{}",
                    name(z),
                    name(c),
                    describe(job)
                ));
                break;
            }
        }
    }
    let mut t = tally.lock().unwrap();
    t.queries += 1;
    *t.z3.entry(name(z)).or_default() += 1;
    *t.cvc5.entry(name(c)).or_default() += 1;
    match (z, c) {
        (Verdict::Unknown, _) | (_, Verdict::Unknown) => t.one_unknown += 1,
        (a, b) if a == b => t.agree += 1,
        _ => t.disagree.push(format!(
            "z3 says {}, cvc5 says {}\n{}script:\n{script}",
            name(z),
            name(c),
            describe(job)
        )),
    }
    t.witnesses_checked += witness_checked;
    t.witness_failures.extend(witness_failures);
    t.unsat_samples += unsat_samples;
    t.unsat_failures.extend(unsat_failures);
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
            let mut seen = std::collections::BTreeSet::new();
            let entries: Vec<String> = entries
                .into_iter()
                .filter(|e| seen.insert(e.split(':').next().unwrap().to_lowercase()))
                .collect();
            format!("\"{op}\":{{{}}}", entries.join(","))
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

fn gen_policy(rng: &mut Rng) -> String {
    let n = 1 + rng.below(3);
    let mut statements = Vec::new();
    for _ in 0..n {
        let effect = if rng.chance(70) { "Allow" } else { "Deny" };
        let action_el = if rng.chance(20) {
            "NotAction"
        } else {
            "Action"
        };
        let mut s = format!(
            "{{\"Effect\":\"{effect}\",\"{action_el}\":{}",
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

/// Requests built from the policies' literals (and fixed pools), for unsat answers.
fn sample_requests(rng: &mut Rng, policies: &[&Policy], n: usize) -> Vec<Request> {
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
                2 => context.insert(k, ContextValue::Multi(vec!["dev".to_owned()])),
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
        while resource.matches(':').count() < 5 {
            resource.push_str(":x");
        }
        out.push(Request {
            principal: RequestPrincipal::parse(smtlib::WITNESS_CALLER).unwrap(),
            action,
            resource,
            resource_account: Some(smtlib::WITNESS_ACCOUNT.to_owned()),
            context,
        });
    }
    out
}

#[test]
fn generated_policies_agree() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(solvers) = solvers() else { return };
    let per_kind = if full() { 1_000 } else { 120 };
    let samples = if full() { 100 } else { 60 };
    let mut jobs = Vec::new();
    for seed in 0..per_kind as u64 {
        let mut rng = seeded(seed);
        let text = gen_policy(&mut rng);
        let Ok(p) = parse_policy(&text) else {
            panic!("generated policy does not parse: {text}");
        };
        let s = sample_requests(&mut rng, &[&p], samples);
        jobs.push(Job {
            label: format!("allows, seed {seed}"),
            query: Query::Allows(p.clone()),
            samples: s,
        });
        // A related second policy: mutate by regenerating with a nearby seed.
        let mut rng2 = seeded(seed ^ 0xABCD);
        let text2 = gen_policy(&mut rng2);
        let p2 = parse_policy(&text2).unwrap();
        let s = sample_requests(&mut rng, &[&p, &p2], samples);
        jobs.push(Job {
            label: format!("difference, seed {seed}"),
            query: Query::Difference(p, p2),
            samples: s,
        });
    }
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

fn services(p: &Policy) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
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
        let mut rng = seeded(jobs.len() as u64);
        let samples = sample_requests(&mut rng, &[&pa, &pb], 40);
        jobs.push(Job {
            label: format!("difference {} \\ {}", rel(a), rel(b)),
            query: Query::Difference(pa.clone(), pb.clone()),
            samples: samples.clone(),
        });
        jobs.push(Job {
            label: format!("difference {} \\ {}", rel(b), rel(a)),
            query: Query::Difference(pb, pa),
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
