//! The `keyhole` command: a thin layer over the keyhole crates.
//!
//! Exit codes: 0 success (whatever the decision), 1 findings at the `--fail-on` level
//! (`analyze`), 2 bad input (the message names the file, the line and column, and the problem).

mod analyze;
mod check;
mod preview;
mod validate;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use keyhole_policy::scenario::{Scenario, parse_scenario};
use keyhole_policy::{Evaluation, evaluate};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc rather than the system allocator. The engine builds and drops many small
/// automata, position lists and decision-diagram tables per resource; with glibc's allocator,
/// `malloc`/`free` were about a third of the profile of `keyhole analyze` on a 100,000-resource
/// account, and the run took 1.5 times as long (BENCHMARKS.md). mimalloc builds with the C
/// compiler that Rust already needs for linking. Its v2 line (the workspace's `mimalloc`
/// dependency says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prove which principals outside your zone of trust can reach your AWS resources.
#[derive(Parser)]
#[command(name = "keyhole", version, about, long_about = None,
    after_help = "Exit codes: 0 success, 1 findings at the --fail-on level (analyze), 2 bad input (with file, line and column).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every way a principal outside the zone of trust can reach the resources: public and
    /// cross-account access as Access Analyzer findings, each with a request that proves it.
    ///
    /// Exits 0 when no ACTIVE finding is at the --fail-on level, 1 when some is, 2 on bad input.
    Analyze(analyze::AnalyzeArgs),
    /// Lint policies the way Access Analyzer's ValidatePolicy does: errors, security warnings,
    /// warnings and suggestions with AWS's issue codes, each pointing at its span in the file.
    ///
    /// Exits 0 when no ERROR or SECURITY_WARNING finding is reported, 1 when some is, 2 on bad input.
    Validate(validate::ValidateArgs),
    /// Custom policy checks: no-new-access, access-not-granted and no-public-access, answered
    /// exactly with the request that proves a failure.
    ///
    /// Exits 0 on PASS, 1 on FAIL, 2 on bad input.
    Check(check::CheckArgs),
    /// Access preview: the findings a proposed configuration would have, compared with the
    /// current configuration's (NEW, UNCHANGED, CHANGED).
    ///
    /// Exits 0 when the proposal adds no ACTIVE finding, 1 when it does, 2 on bad input.
    Preview(preview::PreviewArgs),
    /// Evaluate one request against its policies the way AWS does: Allowed, ImplicitlyDenied or
    /// ExplicitlyDenied, with the statements that decided it.
    ///
    /// Exits 0 whatever the decision, 2 on bad input.
    Simulate {
        /// Scenario files: `{"identityPolicies": [...], "resourcePolicy": {...}, ..., "request": {...}}`
        /// (see docs/simulate.md). Several files give one result each (JSON: one line each).
        #[arg(long, required = true, num_args = 1..)]
        scenario: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Is NEW more permissive than OLD? Decides exactly whether each policy allows a request the
    /// other denies, with a witness request for each direction.
    ///
    /// Relations: equivalent, less, more, incomparable, or unknown (with the reason) when a
    /// construct is not decided exactly. Exits 0 whatever the relation, 2 on bad input.
    Compare {
        /// The old policy (JSON).
        old: PathBuf,
        /// The new policy (JSON).
        new: PathBuf,
        /// How the policies are used.
        #[arg(long = "policy-type", value_enum, default_value_t = PolicyTypeArg::Auto)]
        policy_type: PolicyTypeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyTypeArg {
    /// Resource policy if either policy names a principal, else identity policy.
    Auto,
    /// Identity-based policies: the caller is an IAM principal of the resource's account.
    Identity,
    /// Resource-based policies: the caller is any principal the policy names.
    Resource,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Human-readable text.
    Text,
    /// JSON on one line.
    Json,
}

/// Bad input: printed as `file:line:column: message`, exit 2.
struct InputError(String);

/// An input error at `span` of `path`'s `text`, as `file:line:column: message` (column from 1).
fn located(
    path: &Path,
    text: &str,
    span: keyhole_policy::Span,
    message: &dyn std::fmt::Display,
) -> InputError {
    let at = span.location(text);
    InputError(format!(
        "{}:{}:{}: {message}",
        path.display(),
        at.line,
        at.column + 1
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Preview(args) => preview::run(&args),
        Command::Simulate { scenario, format } => {
            simulate_all(&scenario, format).map(|r| r.map(|()| 0))
        }
        Command::Compare {
            old,
            new,
            policy_type,
            format,
        } => compare_cmd(&old, &new, policy_type, format).map(|r| r.map(|()| 0)),
    };
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(InputError(message))) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<Result<String, InputError>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8(bytes).map_err(|e| {
            InputError(format!(
                "{}: the file is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
        })),
        Err(e) => Ok(Err(InputError(format!(
            "{}: cannot read the file: {e}",
            path.display()
        )))),
    }
}

/// Simulates every file; a bad file is reported and the others still run (exit 2 at the end).
fn simulate_all(paths: &[PathBuf], format: Format) -> Result<Result<(), InputError>> {
    let mut errors = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        if i > 0 && matches!(format, Format::Text) {
            println!();
        }
        if paths.len() > 1 && matches!(format, Format::Text) {
            println!("== {}", path.display());
        }
        if let Err(e) = simulate(path, format, paths.len() > 1)? {
            errors.push(e.0);
        }
    }
    if errors.is_empty() {
        Ok(Ok(()))
    } else {
        Ok(Err(InputError(errors.join("\nerror: "))))
    }
}

fn simulate(path: &Path, format: Format, name_file: bool) -> Result<Result<(), InputError>> {
    let text = match read(path)? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let scenario = match parse_scenario(&text) {
        Ok(s) => s,
        Err(e) => return Ok(Err(located(path, &text, e.span, &e.message))),
    };
    let evaluation = evaluate(&scenario.request, &scenario.policies, &scenario.options);
    let out = match format {
        Format::Json => json_output(&scenario, &evaluation, &text, path, name_file)?,
        Format::Text => text_output(&scenario, &evaluation, &text, path),
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("writing the result")?;
    Ok(Ok(()))
}

fn json_output(
    scenario: &Scenario,
    ev: &Evaluation,
    text: &str,
    path: &Path,
    name_file: bool,
) -> Result<String> {
    let warnings: Vec<serde_json::Value> = scenario
        .warnings()
        .iter()
        .map(|w| {
            let at = w.span.location(text);
            serde_json::json!({"policy": w.policy, "message": w.message, "file": path.display().to_string(), "line": at.line, "column": at.column + 1})
        })
        .collect();
    let mut value = serde_json::to_value(ev)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("warnings".into(), serde_json::Value::Array(warnings));
        if name_file {
            obj.insert(
                "file".into(),
                serde_json::Value::String(path.display().to_string()),
            );
        }
    }
    Ok(serde_json::to_string(&value)? + "\n")
}

fn text_output(scenario: &Scenario, ev: &Evaluation, text: &str, path: &Path) -> String {
    let r = &scenario.request;
    let mut out = format!(
        "{} {} on {}: {:?}\n",
        principal_text(&r.principal),
        r.action,
        r.resource,
        ev.decision
    );
    if !ev.matched.is_empty() {
        out.push_str("statements that apply:\n");
        for m in &ev.matched {
            let level = m.level.map(|l| format!(" level {l}")).unwrap_or_default();
            let sid = m
                .sid
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}{} policy {} statement {}{}: {}\n",
                m.layer.as_str(),
                level,
                m.policy_index,
                m.statement_index,
                sid,
                m.effect.as_str()
            ));
        }
    }
    for reason in &ev.reasons {
        out.push_str(&format!("because {reason}\n"));
    }
    for w in scenario.warnings() {
        let at = w.span.location(text);
        out.push_str(&format!(
            "warning: {}:{}:{}: {}: {}\n",
            path.display(),
            at.line,
            at.column + 1,
            w.policy,
            w.message
        ));
    }
    out
}

fn principal_text(p: &keyhole_policy::request::RequestPrincipal) -> String {
    use keyhole_policy::request::RequestPrincipal::*;
    match p {
        Aws { arn } => arn.to_string(),
        Service(s) => format!("service {s}"),
        Federated(s) => format!("federated {s}"),
        CanonicalUser(s) => format!("canonical user {s}"),
        Anonymous => "anonymous".to_owned(),
    }
}

fn compare_cmd(
    old: &Path,
    new: &Path,
    kind: PolicyTypeArg,
    format: Format,
) -> Result<Result<(), InputError>> {
    let mut policies = Vec::with_capacity(2);
    for path in [old, new] {
        let text = match read(path)? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        match keyhole_policy::parse_policy(&text) {
            Ok(p) => policies.push(p),
            Err(e) => {
                return Ok(Err(located(path, &text, e.span, &e.kind)));
            }
        }
    }
    let (Some(old_p), Some(new_p)) = (policies.first(), policies.get(1)) else {
        return Ok(Err(InputError("two policies are needed".to_owned())));
    };
    let kind = match kind {
        PolicyTypeArg::Identity => keyhole_logic::PolicyKind::Identity,
        PolicyTypeArg::Resource => keyhole_logic::PolicyKind::Resource,
        PolicyTypeArg::Auto => {
            let names_principals = |p: &keyhole_policy::Policy| {
                p.statements.iter().any(|s| s.value.principal.is_some())
            };
            if names_principals(old_p) || names_principals(new_p) {
                keyhole_logic::PolicyKind::Resource
            } else {
                keyhole_logic::PolicyKind::Identity
            }
        }
    };
    let options = keyhole_logic::QueryOptions {
        kind,
        ..Default::default()
    };
    let c = keyhole_logic::compare(old_p, new_p, &options);
    let witness = |r: &Option<keyhole_policy::request::Request>| {
        r.as_ref().map_or(
            serde_json::Value::Null,
            keyhole_policy::scenario::request_to_json,
        )
    };
    let out = match format {
        Format::Json => {
            let mut v = serde_json::json!({
                "relation": c.relation.as_str(),
                "newAllowsButOldDenies": witness(&c.new_allows_but_old_denies),
                "oldAllowsButNewDenies": witness(&c.old_allows_but_new_denies),
            });
            if !c.unknown_reasons.is_empty()
                && let Some(obj) = v.as_object_mut()
            {
                obj.insert(
                    "unknownReasons".into(),
                    serde_json::json!(c.unknown_reasons),
                );
            }
            serde_json::to_string(&v)? + "\n"
        }
        Format::Text => {
            let mut s = format!(
                "NEW is {} compared with OLD\n",
                match c.relation {
                    keyhole_logic::Relation::Equivalent =>
                        "equivalent (allows exactly the same requests)",
                    keyhole_logic::Relation::Less => "less permissive",
                    keyhole_logic::Relation::More => "more permissive",
                    keyhole_logic::Relation::Incomparable =>
                        "incomparable (each allows requests the other denies)",
                    keyhole_logic::Relation::Unknown => "unknown (not decided exactly)",
                }
            );
            if let Some(r) = &c.new_allows_but_old_denies {
                s.push_str(&format!(
                    "NEW allows, OLD denies: {}\n",
                    serde_json::to_string(&keyhole_policy::scenario::request_to_json(r))?
                ));
            }
            if let Some(r) = &c.old_allows_but_new_denies {
                s.push_str(&format!(
                    "OLD allows, NEW denies: {}\n",
                    serde_json::to_string(&keyhole_policy::scenario::request_to_json(r))?
                ));
            }
            for reason in &c.unknown_reasons {
                s.push_str(&format!("unknown: {reason}\n"));
            }
            s
        }
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("writing the result")?;
    Ok(Ok(()))
}
