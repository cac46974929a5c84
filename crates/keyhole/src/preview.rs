//! `keyhole preview`: Access Analyzer's access previews — the findings of a proposed
//! configuration, compared with those of the current one (NEW, UNCHANGED, CHANGED).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use keyhole_analyzer::preview::{AccessPreviewFinding, ChangeType, Proposal, Written, preview};
use keyhole_analyzer::{Context, Zone};
use keyhole_sources::{Loaded, Resource, read_paths};

use crate::InputError;
use crate::analyze::{
    AccessRow, analyzed_at, archive_rules, kind_label, owner_zone, zone_from_flags,
};

/// The arguments of `keyhole preview`.
#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 the proposal adds no ACTIVE finding, 1 it adds some \
    (NEW, or CHANGED back to ACTIVE), 2 bad input or a proposal Access Analyzer would reject."
)]
pub(crate) struct PreviewArgs {
    /// The current resources: files or folders, as `keyhole analyze` reads them. Omit for new
    /// resources only.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    current: Vec<PathBuf>,
    /// The proposed configurations, in keyhole resource files: an omitted configuration field
    /// keeps the current value (or the default for a new resource), an empty-string policy
    /// deletes the policy (see docs/preview.md). AWS Config items are complete configurations.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    proposed: Vec<PathBuf>,
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
    /// Archive rules (Access Analyzer's filter syntax): matching findings are ARCHIVED, current
    /// ones and new ones alike.
    #[arg(long = "archive-rules")]
    archive_rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    format: Output,
    /// The time written into createdAt of new findings (RFC 3339). Defaults to
    /// SOURCE_DATE_EPOCH when set, else the current time.
    #[arg(long = "analyzed-at")]
    analyzed_at: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// A table for people.
    Table,
    /// `{"findings": [...]}`, as ListAccessPreviewFindings.
    Json,
}

/// Runs `keyhole preview`.
pub(crate) fn run(args: &PreviewArgs) -> Result<Result<u8, InputError>> {
    let limits = keyhole_sources::ReadLimits::default();
    let current = if args.current.is_empty() {
        Loaded::default()
    } else {
        match read_paths(&args.current, limits) {
            Ok(l) => l,
            Err(e) => return Ok(Err(InputError(e.to_string()))),
        }
    };
    let proposed = match read_paths(&args.proposed, limits) {
        Ok(l) => l,
        Err(e) => return Ok(Err(InputError(e.to_string()))),
    };
    for w in current.warnings.iter().chain(&proposed.warnings) {
        eprintln!("warning: {w}");
    }
    if proposed.resources.is_empty() {
        return Ok(Err(InputError(
            "--proposed: no resources to preview".to_owned(),
        )));
    }
    let zone = match zone(args, &current, &proposed) {
        Ok(z) => z,
        Err(e) => return Ok(Err(e)),
    };
    let rules = match archive_rules(args.archive_rules.as_deref()) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let mut blocks: BTreeMap<String, keyhole_sources::PublicAccessBlock> = current
        .account_public_access_blocks
        .iter()
        .map(|(k, v)| (k.clone(), v.settings))
        .collect();
    blocks.extend(
        proposed
            .account_public_access_blocks
            .iter()
            .map(|(k, v)| (k.clone(), v.settings)),
    );
    let ctx = Context {
        zone,
        analyzed_at: match analyzed_at(args.analyzed_at.as_deref()) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        },
        account_public_access_blocks: blocks,
        limits: Default::default(),
    };
    let mut proposals = Vec::with_capacity(proposed.resources.len());
    let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
    for resource in &proposed.resources {
        match written(resource, &mut files) {
            Ok(written) => proposals.push(Proposal {
                resource: resource.clone(),
                written,
            }),
            Err(e) => return Ok(Err(e)),
        }
    }
    let findings = match preview(&current.resources, &proposals, &ctx, &rules) {
        Ok(f) => f,
        Err(e) => return Ok(Err(InputError(format!("invalid configuration: {e}")))),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Output::Json => {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "findings": findings }))?;
            writeln!(out)?;
        }
        Output::Table => table(&mut out, &findings, proposals.len())?,
    }
    Ok(Ok(u8::from(
        findings.iter().any(AccessPreviewFinding::adds_active),
    )))
}

/// The fields a proposed resource writes, read from its object in its file. A keyhole resource
/// object says what it leaves out; any other record (an AWS Config item) is complete.
fn written(
    resource: &Resource,
    files: &mut BTreeMap<PathBuf, String>,
) -> Result<Written, InputError> {
    let file = &resource.origin.file;
    if !files.contains_key(file) {
        let text = std::fs::read_to_string(file)
            .map_err(|e| InputError(format!("{}: {e}", file.display())))?;
        files.insert(file.clone(), text);
    }
    let text = files.get(file).map_or("", String::as_str);
    let offset = resource.origin.location.offset;
    // The offset may count from after a byte order mark.
    let candidates = [offset, offset + '\u{feff}'.len_utf8()];
    for start in candidates {
        let Some(rest) = text.get(start..) else {
            continue;
        };
        let Some(Ok(value)) = serde_json::Deserializer::from_str(rest)
            .into_iter::<serde_json::Value>()
            .next()
        else {
            continue;
        };
        let Some(object) = value.as_object() else {
            continue;
        };
        if object.get("arn").and_then(serde_json::Value::as_str) != Some(resource.arn.as_str()) {
            continue;
        }
        return Ok(
            if object
                .keys()
                .all(|k| keyhole_sources::RESOURCE_FIELDS.contains(&k.as_str()))
            {
                Written::from_configuration(object.get("configuration"))
            } else {
                Written::everything()
            },
        );
    }
    // Not a keyhole resource object (an AWS Config item names its ARN otherwise).
    Ok(Written::everything())
}

/// The zone from the flags, or the one owner account of every resource.
fn zone(args: &PreviewArgs, current: &Loaded, proposed: &Loaded) -> Result<Zone, InputError> {
    let org = args.org_id.as_deref().zip(args.org_accounts.as_deref());
    if let Some(zone) = zone_from_flags(args.account.as_deref(), org) {
        return zone;
    }
    owner_zone(
        current
            .resources
            .iter()
            .chain(&proposed.resources)
            .map(|r| r.account.as_str())
            .collect(),
    )
}

fn table(
    out: &mut impl std::io::Write,
    findings: &[AccessPreviewFinding],
    resources: usize,
) -> Result<()> {
    let count = |c: ChangeType| findings.iter().filter(|f| f.change_type == c).count();
    let adds = findings.iter().filter(|f| f.adds_active()).count();
    writeln!(
        out,
        "{resources} proposed resources, {} preview findings ({} new, {} changed, {} unchanged); {adds} would become active",
        findings.len(),
        count(ChangeType::New),
        count(ChangeType::Changed),
        count(ChangeType::Unchanged),
    )?;
    for f in findings {
        writeln!(out)?;
        let kind = kind_label(f.error.is_some(), f.is_public);
        let existing = match (f.existing_finding_status, &f.existing_finding_id) {
            (Some(s), Some(_)) => format!(" (was {})", s.as_str()),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:<9} {:<8} {kind:<8} {}  ({}){existing}",
            f.change_type.as_str(),
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
        if let Some(id) = &f.existing_finding_id {
            writeln!(out, "  existing:  {id}")?;
        }
    }
    Ok(())
}
