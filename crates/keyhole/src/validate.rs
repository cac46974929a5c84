//! `keyhole validate`: Access Analyzer's ValidatePolicy checks on policy files, offline.
//!
//! Output (docs/validate.md): `text` like a compiler (`file:line:col: TYPE CODE: message`, the
//! line, the span underlined); `json` AWS's `{"findings": [...]}` for one file, or
//! `{"files": [{"file", "findings"} | {"file", "error"}]}` for several; `sarif` 2.1.0.
//! Exit 0 when no ERROR or SECURITY_WARNING finding, 1 when some, 2 on bad input.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};
use keyhole_analyzer::validate::{
    IssueCode, PolicyType, ValidateError, ValidatePolicyFinding, ValidateResourceType, validate,
};

use crate::{InputError, read};

/// The arguments of `keyhole validate`.
#[derive(Args)]
pub(crate) struct ValidateArgs {
    /// Policy documents (JSON), validated one by one.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The kind of policy, as ValidatePolicy's `policyType`.
    #[arg(long = "policy-type", value_enum)]
    policy_type: PolicyTypeArg,
    /// The resource a RESOURCE_POLICY is attached to, for its specific checks (only with
    /// --policy-type RESOURCE_POLICY).
    #[arg(long = "resource-type", value_enum)]
    resource_type: Option<ResourceTypeArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyTypeArg {
    /// Policies attached to users, groups and roles.
    #[value(name = "IDENTITY_POLICY")]
    Identity,
    /// Policies attached to resources, including role trust policies.
    #[value(name = "RESOURCE_POLICY")]
    Resource,
    /// AWS Organizations service control policies.
    #[value(name = "SERVICE_CONTROL_POLICY")]
    ServiceControl,
    /// AWS Organizations resource control policies.
    #[value(name = "RESOURCE_CONTROL_POLICY")]
    ResourceControl,
}

#[derive(Clone, Copy, ValueEnum)]
enum ResourceTypeArg {
    /// An S3 bucket policy.
    #[value(name = "AWS::S3::Bucket")]
    S3Bucket,
    /// An S3 access point policy.
    #[value(name = "AWS::S3::AccessPoint")]
    S3AccessPoint,
    /// An S3 Multi-Region Access Point policy.
    #[value(name = "AWS::S3::MultiRegionAccessPoint")]
    S3MultiRegionAccessPoint,
    /// An S3 Object Lambda access point policy.
    #[value(name = "AWS::S3ObjectLambda::AccessPoint")]
    S3ObjectLambdaAccessPoint,
    /// A role trust policy.
    #[value(name = "AWS::IAM::AssumeRolePolicyDocument")]
    IamAssumeRolePolicyDocument,
    /// A DynamoDB table policy.
    #[value(name = "AWS::DynamoDB::Table")]
    DynamoDbTable,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// Compiler-style diagnostics with the span underlined.
    Text,
    /// ValidatePolicy's response shape.
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

impl From<PolicyTypeArg> for PolicyType {
    fn from(p: PolicyTypeArg) -> Self {
        match p {
            PolicyTypeArg::Identity => PolicyType::IdentityPolicy,
            PolicyTypeArg::Resource => PolicyType::ResourcePolicy,
            PolicyTypeArg::ServiceControl => PolicyType::ServiceControlPolicy,
            PolicyTypeArg::ResourceControl => PolicyType::ResourceControlPolicy,
        }
    }
}

impl From<ResourceTypeArg> for ValidateResourceType {
    fn from(r: ResourceTypeArg) -> Self {
        match r {
            ResourceTypeArg::S3Bucket => ValidateResourceType::S3Bucket,
            ResourceTypeArg::S3AccessPoint => ValidateResourceType::S3AccessPoint,
            ResourceTypeArg::S3MultiRegionAccessPoint => {
                ValidateResourceType::S3MultiRegionAccessPoint
            }
            ResourceTypeArg::S3ObjectLambdaAccessPoint => {
                ValidateResourceType::S3ObjectLambdaAccessPoint
            }
            ResourceTypeArg::IamAssumeRolePolicyDocument => {
                ValidateResourceType::IamAssumeRolePolicyDocument
            }
            ResourceTypeArg::DynamoDbTable => ValidateResourceType::DynamoDbTable,
        }
    }
}

/// One file's outcome.
struct Checked {
    path: PathBuf,
    text: String,
    outcome: Result<Vec<ValidatePolicyFinding>, String>,
}

/// Runs `keyhole validate`.
pub(crate) fn run(args: &ValidateArgs) -> Result<Result<u8, InputError>> {
    let policy_type = PolicyType::from(args.policy_type);
    let resource_type = args.resource_type.map(ValidateResourceType::from);
    if resource_type.is_some() && policy_type != PolicyType::ResourcePolicy {
        return Ok(Err(InputError(format!(
            "--resource-type can only be given with --policy-type RESOURCE_POLICY, not {policy_type}"
        ))));
    }
    let mut checked = Vec::new();
    for path in &args.files {
        let (text, outcome) = match read(path)? {
            Err(InputError(message)) => (String::new(), Err(message)),
            Ok(text) => {
                let outcome = match validate(&text, policy_type, resource_type) {
                    Ok(findings) => Ok(findings),
                    Err(ValidateError::Limit(e)) => Err(format!(
                        "{}: the policy is too large to validate: {e}",
                        path.display()
                    )),
                    Err(e @ ValidateError::InvalidInput(_)) => {
                        Err(format!("{}: {e}", path.display()))
                    }
                };
                (text, outcome)
            }
        };
        checked.push(Checked {
            path: path.clone(),
            text,
            outcome,
        });
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Output::Text => text_output(&mut out, &checked)?,
        Output::Json => {
            serde_json::to_writer_pretty(&mut out, &json_output(&checked))?;
            writeln!(out)?;
        }
        Output::Sarif => {
            serde_json::to_writer_pretty(&mut out, &sarif(&checked))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    let errors: Vec<&str> = checked
        .iter()
        .filter_map(|c| c.outcome.as_ref().err().map(String::as_str))
        .collect();
    if !errors.is_empty() {
        return Ok(Err(InputError(errors.join("\nerror: "))));
    }
    let failing = checked.iter().any(|c| {
        c.outcome
            .as_ref()
            .is_ok_and(|f| f.iter().any(|f| f.finding_type.is_failure()))
    });
    Ok(Ok(u8::from(failing)))
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn text_output(out: &mut impl std::io::Write, checked: &[Checked]) -> Result<()> {
    for c in checked {
        let Ok(findings) = &c.outcome else {
            continue;
        };
        if findings.is_empty() {
            writeln!(out, "{}: no findings", display(&c.path))?;
            continue;
        }
        let lines: Vec<&str> = c.text.split('\n').collect();
        for f in findings {
            let at = f.locations.first().map(|l| l.span);
            let (line, column) = at.map_or((1, 1), |s| (s.start.line, s.start.column + 1));
            writeln!(
                out,
                "{}:{line}:{column}: {} {}: {}",
                display(&c.path),
                f.finding_type,
                f.issue_code,
                f.finding_details
            )?;
            if let Some(span) = at
                && let Some(source) = lines.get(span.start.line.saturating_sub(1))
            {
                let source = source.trim_end_matches('\r');
                let width = source.chars().count();
                let start = span.start.column.min(width);
                let end = if span.end.line == span.start.line {
                    span.end.column.min(width)
                } else {
                    width
                };
                let marks = end.saturating_sub(start).max(1);
                let pad: String = source
                    .chars()
                    .take(start)
                    .map(|ch| if ch == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(out, "  {source}")?;
                writeln!(out, "  {pad}{}", "^".repeat(marks))?;
            }
        }
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        for f in findings {
            *by_type.entry(f.finding_type.as_str()).or_default() += 1;
        }
        let summary: Vec<String> = ["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"]
            .iter()
            .filter_map(|t| by_type.get(t).map(|n| format!("{n} {t}")))
            .collect();
        writeln!(
            out,
            "{}: {} finding{}: {}",
            display(&c.path),
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            summary.join(", ")
        )?;
    }
    Ok(())
}

fn json_output(checked: &[Checked]) -> serde_json::Value {
    use serde_json::json;
    if let [only] = checked {
        return match &only.outcome {
            Ok(findings) => json!({ "findings": findings }),
            Err(e) => json!({ "file": display(&only.path), "error": e }),
        };
    }
    let files: Vec<serde_json::Value> = checked
        .iter()
        .map(|c| match &c.outcome {
            Ok(findings) => json!({ "file": display(&c.path), "findings": findings }),
            Err(e) => json!({ "file": display(&c.path), "error": e }),
        })
        .collect();
    json!({ "files": files })
}

/// SARIF 2.1.0: one rule per issue code that occurs, one result per finding, located at the
/// finding's first span (and its other spans as related locations).
fn sarif(checked: &[Checked]) -> serde_json::Value {
    use serde_json::json;
    let mut used: BTreeMap<&str, IssueCode> = BTreeMap::new();
    let mut results = Vec::new();
    for c in checked {
        let Ok(findings) = &c.outcome else {
            continue;
        };
        let uri = c.path.to_string_lossy().replace('\\', "/");
        for f in findings {
            used.insert(f.issue_code.as_str(), f.issue_code);
            let level = match f.finding_type.as_str() {
                "ERROR" | "SECURITY_WARNING" => "error",
                "WARNING" => "warning",
                _ => "note",
            };
            let region = |l: &keyhole_analyzer::validate::Location| {
                json!({"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {
                        "startLine": l.span.start.line,
                        "startColumn": l.span.start.column + 1,
                        "endLine": l.span.end.line,
                        "endColumn": l.span.end.column + 1,
                        "charOffset": l.span.start.offset,
                        "charLength": l.span.end.offset - l.span.start.offset,
                    }
                }})
            };
            let mut result = json!({
                "ruleId": f.issue_code.as_str(),
                "level": level,
                "message": {"text": f.finding_details},
                "locations": f.locations.first().map(region).into_iter().collect::<Vec<_>>(),
                "properties": {"findingType": f.finding_type.as_str()},
            });
            if f.locations.len() > 1
                && let Some(obj) = result.as_object_mut()
            {
                obj.insert(
                    "relatedLocations".into(),
                    f.locations
                        .iter()
                        .skip(1)
                        .enumerate()
                        .map(|(i, l)| {
                            let mut r = region(l);
                            if let Some(o) = r.as_object_mut() {
                                o.insert("id".into(), json!(i + 1));
                            }
                            r
                        })
                        .collect(),
                );
            }
            results.push(result);
        }
    }
    let rules: Vec<serde_json::Value> = used
        .values()
        .map(|code| {
            let kind = code.finding_type();
            json!({
                "id": code.as_str(),
                "name": code.as_str(),
                "shortDescription": {"text": code.summary()},
                "helpUri": code.learn_more_link(),
                "defaultConfiguration": {"level": match kind.as_str() {
                    "ERROR" | "SECURITY_WARNING" => "error",
                    "WARNING" => "warning",
                    _ => "note",
                }},
                "properties": {"findingType": kind.as_str()},
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
                "rules": rules
            }},
            "results": results
        }]
    })
}
