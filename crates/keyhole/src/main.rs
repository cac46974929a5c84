//! The `keyhole` command: a thin layer over the keyhole crates.
//!
//! Exit codes: 0 success (whatever the decision), 2 bad input (the message names the file, the
//! line and column, and the problem).

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use keyhole_policy::scenario::{Scenario, parse_scenario};
use keyhole_policy::{Evaluation, evaluate};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Prove which principals outside your zone of trust can reach your AWS resources.
#[derive(Parser)]
#[command(name = "keyhole", version, about, long_about = None,
    after_help = "Exit codes: 0 success, 2 bad input (with file, line and column).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate { scenario, format } => simulate_all(&scenario, format),
    };
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
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
        Err(e) => {
            let at = e.span.location(&text);
            return Ok(Err(InputError(format!(
                "{}:{}:{}: {}",
                path.display(),
                at.line,
                at.column + 1,
                e.message
            ))));
        }
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
