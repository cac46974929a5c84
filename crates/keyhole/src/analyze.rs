//! `keyhole analyze`: external-access findings for the resources in files and folders.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use keyhole_analyzer::{Context, Finding, Status, Zone, analyze};
use keyhole_sources::{Loaded, Resource, read_paths};

use crate::InputError;

/// The arguments of `keyhole analyze`.
#[derive(Args)]
pub(crate) struct AnalyzeArgs {
    /// Resource files or folders: keyhole resource files (JSON or JSON lines) and AWS Config
    /// snapshots or configuration items, detected from their content (see docs/resources.md).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The zone of trust is this account (an ACCOUNT analyzer). Without --account or --org-id,
    /// the zone is the account that owns every resource, when they share one.
    #[arg(long, conflicts_with = "org_id")]
    account: Option<String>,
    /// The zone of trust is this organization (an ORGANIZATION analyzer); needs --org-accounts.
    #[arg(long = "org-id", requires = "org_accounts")]
    org_id: Option<String>,
    /// The organization's member accounts: a JSON array of ids, the output of `aws
    /// organizations list-accounts`, or one id per line.
    #[arg(long = "org-accounts")]
    org_accounts: Option<PathBuf>,
    /// Also trust this account (repeatable): its findings are dropped. A filter on findings,
    /// beyond Access Analyzer's zone; the analysis itself is unchanged.
    #[arg(long = "trust-account", value_name = "ID")]
    trust_account: Vec<String>,
    /// Also trust this VPC (repeatable): findings scoped to it by aws:SourceVpc are dropped.
    #[arg(long = "trust-vpc", value_name = "VPC_ID")]
    trust_vpc: Vec<String>,
    /// Also trust this VPC endpoint (repeatable): findings scoped to it by aws:SourceVpce are
    /// dropped.
    #[arg(long = "trust-vpce", value_name = "VPCE_ID")]
    trust_vpce: Vec<String>,
    /// Also trust this address block (repeatable): findings whose aws:SourceIp block lies inside
    /// it are dropped.
    #[arg(long = "trust-cidr", value_name = "CIDR")]
    trust_cidr: Vec<String>,
    /// Archive rules (Access Analyzer's filter syntax): matching findings become ARCHIVED.
    #[arg(long = "archive-rules")]
    archive_rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    format: Output,
    /// Exit 1 when some ACTIVE finding is at this level: `public` (public access), `external`
    /// (any external access), `never`. Error findings count at every level but `never`: an
    /// unanalysed resource is not a safe one.
    #[arg(long = "fail-on", value_enum, default_value_t = FailOn::External)]
    fail_on: FailOn,
    /// The time written into createdAt/analyzedAt/updatedAt (RFC 3339). Defaults to
    /// SOURCE_DATE_EPOCH when set, else the current time; fix it for byte-identical output.
    #[arg(long = "analyzed-at")]
    analyzed_at: Option<String>,
    /// The search budget per policy: how many combinations of condition values (and principals),
    /// partial ones included, may hold allowed external requests before the policy is reported
    /// UNDECIDED. Ordinary policies need a handful; dense ones (fifteen statements conditioning
    /// the same six keys on overlapping values) up to about a thousand.
    #[arg(
        long = "max-label-combinations",
        value_name = "N",
        default_value_t = keyhole_analyzer::SearchLimits::default().max_cubes
    )]
    max_label_combinations: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// A table for people.
    Table,
    /// `{"findings": [...]}`.
    Json,
    /// One finding per line.
    Jsonl,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Public access.
    Public,
    /// Any external access.
    External,
    /// Always exit 0.
    Never,
}

pub(crate) fn run(args: &AnalyzeArgs) -> Result<Result<u8, InputError>> {
    let loaded = match read_paths(&args.paths, keyhole_sources::ReadLimits::default()) {
        Ok(l) => l,
        Err(e) => return Ok(Err(InputError(e.to_string()))),
    };
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let zone = match zone(args, &loaded)? {
        Ok(z) => z,
        Err(e) => return Ok(Err(e)),
    };
    let rules = match archive_rules(args.archive_rules.as_deref()) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let ctx = Context {
        zone,
        analyzed_at: match analyzed_at(args.analyzed_at.as_deref()) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        },
        account_public_access_blocks: loaded
            .account_public_access_blocks
            .iter()
            .map(|(k, v)| (k.clone(), v.settings))
            .collect(),
        limits: keyhole_analyzer::SearchLimits {
            max_cubes: args.max_label_combinations,
            ..Default::default()
        },
    };
    let extra = match extra_trust(args) {
        Ok(e) => e,
        Err(e) => return Ok(Err(e)),
    };
    let mut findings = analyze_all(&loaded.resources, &ctx);
    if !extra.is_empty() {
        findings.retain(|f| !extra.trusts(f));
    }
    keyhole_analyzer::archive::apply(&rules, &mut findings);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Output::Json => {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "findings": findings }))?;
            writeln!(out)?;
        }
        Output::Jsonl => {
            for f in &findings {
                serde_json::to_writer(&mut out, f)?;
                writeln!(out)?;
            }
        }
        Output::Table => table(&mut out, &findings, loaded.resources.len())?,
        Output::Sarif => {
            serde_json::to_writer_pretty(&mut out, &sarif(&findings, &loaded.resources))?;
            writeln!(out)?;
        }
    }
    let failing = findings.iter().any(|f| {
        f.status == Status::Active
            && match args.fail_on {
                FailOn::Never => false,
                FailOn::External => true,
                FailOn::Public => f.error.is_some() || f.is_public == Some(true),
            }
    });
    out.flush()?;
    // The process ends after this: handing every resource and finding back to the allocator
    // one by one would only cost time (about 5 % of a 100,000-resource run).
    std::mem::forget(findings);
    std::mem::forget(loaded);
    Ok(Ok(u8::from(failing)))
}

/// The archive rules of `--archive-rules FILE` (none without the flag); an unreadable or
/// invalid file is bad input naming the file.
pub(crate) fn archive_rules(
    path: Option<&std::path::Path>,
) -> Result<Vec<keyhole_analyzer::archive::ArchiveRule>, InputError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| keyhole_analyzer::archive::parse_rules(&text).map_err(|e| e.to_string()))
        .map_err(|e| InputError(format!("{}: {e}", path.display())))
}

/// The zone from the flags, or the one owner account of every resource.
fn zone(args: &AnalyzeArgs, loaded: &Loaded) -> Result<Result<Zone, InputError>> {
    let org = args.org_id.as_deref().zip(args.org_accounts.as_deref());
    if let Some(zone) = zone_from_flags(args.account.as_deref(), org) {
        return Ok(zone);
    }
    let owners: std::collections::BTreeSet<&str> = loaded
        .resources
        .iter()
        .map(|r| r.account.as_str())
        .collect();
    if owners.is_empty() {
        return Ok(Ok(Zone::default()));
    }
    Ok(owner_zone(owners))
}

/// The zone `--account ID` or `--org-id O --org-accounts FILE` names, if either is given.
pub(crate) fn zone_from_flags(
    account: Option<&str>,
    org: Option<(&str, &std::path::Path)>,
) -> Option<Result<Zone, InputError>> {
    if let Some(account) = account {
        if !keyhole_policy::arn::is_account_id(account) {
            return Some(Err(InputError(format!(
                "--account: `{account}` is not a 12-digit account id"
            ))));
        }
        return Some(Ok(Zone::account(account)));
    }
    let (org, path) = org?;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Some(Err(InputError(format!("{}: {e}", path.display())))),
    };
    Some(match member_accounts(&text) {
        Ok(members) if !members.is_empty() => Ok(Zone::organization(org, members)),
        Ok(_) => Err(InputError(format!("{}: no account ids", path.display()))),
        Err(e) => Err(InputError(format!("{}: {e}", path.display()))),
    })
}

/// The zone of the one account that owns every resource; an error naming the owners otherwise.
pub(crate) fn owner_zone(owners: std::collections::BTreeSet<&str>) -> Result<Zone, InputError> {
    match owners.len() {
        1 => {
            let owner = owners.iter().next().copied().unwrap_or_default();
            eprintln!("note: zone of trust: account {owner} (the owner of every resource)");
            Ok(Zone::account(owner))
        }
        n => Err(InputError(format!(
            "the resources belong to {n} accounts ({}); say whose zone of trust to use with \
             --account ID or --org-id O --org-accounts FILE",
            owners.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn extra_trust(args: &AnalyzeArgs) -> Result<keyhole_analyzer::ExtraTrust, InputError> {
    for id in &args.trust_account {
        if !keyhole_policy::arn::is_account_id(id) {
            return Err(InputError(format!(
                "--trust-account: `{id}` is not a 12-digit account id"
            )));
        }
    }
    for cidr in &args.trust_cidr {
        if keyhole_policy::value::IpRange::parse(cidr).is_none() {
            return Err(InputError(format!(
                "--trust-cidr: `{cidr}` is not an IPv4 or IPv6 address or CIDR block"
            )));
        }
    }
    Ok(keyhole_analyzer::ExtraTrust {
        accounts: args.trust_account.iter().cloned().collect(),
        vpcs: args.trust_vpc.iter().cloned().collect(),
        vpc_endpoints: args.trust_vpce.iter().cloned().collect(),
        cidrs: args.trust_cidr.clone(),
    })
}

/// Member account ids: a JSON array of ids, `{"Accounts": [{"Id": …}]}`, or one per line.
fn member_accounts(text: &str) -> Result<Vec<String>, String> {
    let check = |id: &str| {
        if keyhole_policy::arn::is_account_id(id) {
            Ok(id.to_owned())
        } else {
            Err(format!("`{id}` is not a 12-digit account id"))
        }
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{}:{}: {e}", e.line(), e.column()))?;
        let ids: Vec<&serde_json::Value> = match &value {
            serde_json::Value::Array(items) => items.iter().collect(),
            serde_json::Value::Object(map) => match map.get("Accounts") {
                Some(serde_json::Value::Array(items)) => {
                    items.iter().filter_map(|a| a.get("Id")).collect()
                }
                _ => return Err("expected an array of ids or {\"Accounts\": [...]}".to_owned()),
            },
            _ => return Err("expected an array of ids or {\"Accounts\": [...]}".to_owned()),
        };
        ids.into_iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| "account ids must be strings".to_owned())
                    .and_then(check)
            })
            .collect()
    } else {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(check)
            .collect()
    }
}

/// `--analyzed-at`, else `SOURCE_DATE_EPOCH`, else now (to the second).
pub(crate) fn analyzed_at(flag: Option<&str>) -> Result<String, InputError> {
    if let Some(t) = flag {
        return t
            .parse::<jiff::Timestamp>()
            .map(|ts| ts.to_string())
            .map_err(|e| InputError(format!("--analyzed-at: `{t}`: {e}")));
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        return epoch
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map(|ts| ts.to_string())
            .ok_or_else(|| {
                InputError(format!(
                    "SOURCE_DATE_EPOCH: `{epoch}` is not a number of seconds"
                ))
            });
    }
    Ok(jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()))
}

/// Analyses every resource on every core; findings sorted by resource, then id.
fn analyze_all(resources: &[Resource], ctx: &Context) -> Vec<Finding> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let progress = std::io::stderr().is_terminal() && resources.len() >= 200;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let chunk = resources.len().div_ceil(threads).max(1);
    let mut findings: Vec<Finding> = std::thread::scope(|scope| {
        let handles: Vec<_> = resources
            .chunks(chunk)
            .map(|part| {
                let done = &done;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for r in part {
                        out.extend(analyze(r, ctx));
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if progress && n.is_multiple_of(100) {
                            eprint!("\ranalysed {n}/{} resources", resources.len());
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if progress {
        eprintln!("\ranalysed {0}/{0} resources", resources.len());
    }
    findings.sort_by(|a, b| (&a.resource, &a.id).cmp(&(&b.resource, &b.id)));
    findings
}

fn table(out: &mut impl std::io::Write, findings: &[Finding], resources: usize) -> Result<()> {
    let active = findings
        .iter()
        .filter(|f| f.status == Status::Active)
        .count();
    let public = findings
        .iter()
        .filter(|f| f.status == Status::Active && f.is_public == Some(true))
        .count();
    let errors = findings.iter().filter(|f| f.error.is_some()).count();
    writeln!(
        out,
        "{resources} resources, {} findings ({active} active: {public} public; {} archived; {errors} errors)",
        findings.len(),
        findings
            .iter()
            .filter(|f| f.status == Status::Archived)
            .count(),
    )?;
    for f in findings {
        writeln!(out)?;
        let kind = kind_label(f.error.is_some(), f.is_public);
        writeln!(
            out,
            "{kind:<8} {:<8} {}  ({})",
            f.status.as_str(),
            f.resource,
            f.resource_type
        )?;
        let row = AccessRow {
            error: f.error.as_deref(),
            error_detail: f.error_detail.as_deref(),
            principal: f.principal.as_ref(),
            condition: &f.condition,
            action: f.action.as_deref(),
        };
        if !row.write(out)? {
            continue;
        }
        if !f.statements.is_empty() {
            let st: Vec<String> = f
                .statements
                .iter()
                .map(|s| match &s.sid {
                    Some(sid) => format!("{}[{}] ({sid})", s.policy, s.index),
                    None => format!("{}[{}]", s.policy, s.index),
                })
                .collect();
            writeln!(out, "  granted by {}", st.join(", "))?;
        }
        writeln!(out, "  id:        {}", f.id)?;
    }
    Ok(())
}

/// The kind column of a table row.
pub(crate) fn kind_label(error: bool, is_public: Option<bool>) -> &'static str {
    if error {
        "ERROR"
    } else if is_public == Some(true) {
        "PUBLIC"
    } else {
        "EXTERNAL"
    }
}

/// What a table row says about one access (a finding or a preview finding).
pub(crate) struct AccessRow<'a> {
    pub(crate) error: Option<&'a str>,
    pub(crate) error_detail: Option<&'a str>,
    pub(crate) principal: Option<&'a BTreeMap<String, String>>,
    pub(crate) condition: &'a BTreeMap<String, String>,
    pub(crate) action: Option<&'a [String]>,
}

impl AccessRow<'_> {
    /// Writes the error line, or the principal, condition and actions (at most 8 shown).
    /// Returns `false` for an error row, whose other lines are left out.
    pub(crate) fn write(&self, out: &mut impl std::io::Write) -> std::io::Result<bool> {
        if let Some(e) = self.error {
            writeln!(out, "  error:     {e}: {}", self.error_detail.unwrap_or(""))?;
            return Ok(false);
        }
        let principal: Vec<String> = self
            .principal
            .iter()
            .flat_map(|p| p.iter())
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        writeln!(out, "  principal: {}", principal.join(", "))?;
        if !self.condition.is_empty() {
            let cond: Vec<String> = self
                .condition
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            writeln!(out, "  condition: {}", cond.join(", "))?;
        }
        let actions = self.action.unwrap_or_default();
        let shown: Vec<&str> = actions.iter().take(8).map(String::as_str).collect();
        let more = actions.len().saturating_sub(shown.len());
        writeln!(
            out,
            "  actions:   {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" … (+{more})")
            } else {
                String::new()
            }
        )?;
        Ok(true)
    }
}

/// SARIF 2.1.0: one rule per kind of finding, one result per finding, located at the resource
/// in its file.
fn sarif(findings: &[Finding], resources: &[Resource]) -> serde_json::Value {
    use serde_json::json;
    let origin: BTreeMap<&str, &Resource> = resources.iter().map(|r| (r.arn.as_str(), r)).collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .filter(|f| f.status == Status::Active)
        .map(|f| {
            let (rule, level) = if f.error.is_some() {
                ("KH003", "warning")
            } else if f.is_public == Some(true) {
                ("KH001", "error")
            } else {
                ("KH002", "warning")
            };
            let principal: Vec<String> = f.principal.iter().flatten().map(|(k, v)| format!("{k} {v}")).collect();
            let text = match &f.error {
                Some(e) => format!("{} could not be analysed: {e}: {}", f.resource, f.error_detail.as_deref().unwrap_or("")),
                None => format!(
                    "{} grants {} to {}{}",
                    f.resource,
                    f.action.clone().unwrap_or_default().join(", "),
                    principal.join(", "),
                    if f.condition.is_empty() { String::new() } else { format!(" when {:?}", f.condition) }
                ),
            };
            let location = origin.get(f.resource.as_str()).map(|r| {
                json!({"physicalLocation": {
                    "artifactLocation": {"uri": r.origin.file.to_string_lossy().replace('\\', "/")},
                    "region": {"startLine": r.origin.location.line, "startColumn": r.origin.location.column + 1}
                }})
            });
            json!({
                "ruleId": rule,
                "level": level,
                "message": {"text": text},
                "locations": location.into_iter().collect::<Vec<_>>(),
                "partialFingerprints": {"keyholeFindingId": f.id},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keyhole",
                "informationUri": "https://example.invalid/keyhole",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": [
                    {"id": "KH001", "name": "PublicAccess", "shortDescription": {"text": "A resource is reachable by anyone"}},
                    {"id": "KH002", "name": "ExternalAccess", "shortDescription": {"text": "A resource is reachable from outside the zone of trust"}},
                    {"id": "KH003", "name": "NotAnalysed", "shortDescription": {"text": "A resource could not be analysed exactly"}}
                ]
            }},
            "results": results
        }]
    })
}
