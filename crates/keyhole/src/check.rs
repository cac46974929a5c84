//! `keyhole check`: Access Analyzer's custom policy checks (no-new-access, access-not-granted,
//! no-public-access), answered exactly, with a counterexample request for every FAIL.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use keyhole_analyzer::checks::{
    Access, CheckError, CheckResult, CheckStatus, PolicyType, check_access_not_granted,
    check_no_new_access, check_no_public_access,
};
use keyhole_policy::Policy;

use crate::{InputError, located, read};

/// The arguments of `keyhole check`.
#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 PASS, 1 FAIL, 2 bad input or a check that cannot be \
    decided exactly (the message says why)."
)]
pub(crate) struct CheckArgs {
    #[command(subcommand)]
    check: Check,
}

#[derive(Subcommand)]
enum Check {
    /// CheckNoNewAccess: FAIL when the new policy allows some request the existing one does
    /// not. Reasons name the new policy's statements that grant the new access.
    NoNewAccess {
        /// The existing (reference) policy.
        #[arg(long)]
        existing: PathBuf,
        /// The new policy.
        #[arg(long)]
        new: PathBuf,
        /// How both policies are used (role trust policies are RESOURCE_POLICY).
        #[arg(long = "policy-type", value_enum)]
        policy_type: PolicyTypeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// CheckAccessNotGranted: FAIL when the policy allows a listed action (on any resource),
    /// any action on a listed resource, or, with both lists, a listed action on a listed
    /// resource.
    AccessNotGranted {
        /// The policy.
        file: PathBuf,
        /// Actions, comma-separated (at most 100; wildcards allowed).
        #[arg(long, value_delimiter = ',', value_name = "ACTION,…")]
        actions: Vec<String>,
        /// Resource ARNs, comma-separated (at most 100; wildcards only in the resource part).
        #[arg(long, value_delimiter = ',', value_name = "ARN,…")]
        resources: Vec<String>,
        /// How the policy is used.
        #[arg(long = "policy-type", value_enum)]
        policy_type: PolicyTypeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// CheckNoPublicAccess: FAIL when the resource policy grants public access for the
    /// resource type (isPublic as in `keyhole analyze`, with no account trusted).
    NoPublicAccess {
        /// The resource policy.
        file: PathBuf,
        /// One of AWS's 26 AccessCheckResourceType values, such as AWS::S3::Bucket,
        /// AWS::KMS::Key or AWS::IAM::AssumeRolePolicyDocument.
        #[arg(long = "resource-type", value_name = "TYPE")]
        resource_type: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyTypeArg {
    /// An identity-based policy.
    #[value(name = "IDENTITY_POLICY")]
    Identity,
    /// A resource-based policy, role trust policies included.
    #[value(name = "RESOURCE_POLICY")]
    Resource,
}

impl PolicyTypeArg {
    fn policy_type(self) -> PolicyType {
        match self {
            PolicyTypeArg::Identity => PolicyType::Identity,
            PolicyTypeArg::Resource => PolicyType::Resource,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The result, its reasons (with where each statement starts) and the counterexample.
    Text,
    /// AWS's response shape (`result`, `message`, `reasons`) plus `counterexample`.
    Json,
}

/// A policy file read and parsed.
struct Loaded {
    path: PathBuf,
    text: String,
    policy: Policy,
}

fn load(path: &Path) -> Result<Result<Loaded, InputError>> {
    let text = match read(path)? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    Ok(match keyhole_policy::parse_policy(&text) {
        Ok(policy) => Ok(Loaded {
            path: path.to_owned(),
            text,
            policy,
        }),
        Err(e) => Err(located(path, &text, e.span, &e.kind)),
    })
}

/// Runs `keyhole check`.
pub(crate) fn run(args: &CheckArgs) -> Result<Result<u8, InputError>> {
    let (result, reasons_in, format) = match &args.check {
        Check::NoNewAccess {
            existing,
            new,
            policy_type,
            format,
        } => {
            let existing = match load(existing)? {
                Ok(l) => l,
                Err(e) => return Ok(Err(e)),
            };
            let new = match load(new)? {
                Ok(l) => l,
                Err(e) => return Ok(Err(e)),
            };
            let result =
                check_no_new_access(&existing.policy, &new.policy, policy_type.policy_type());
            (result, new, *format)
        }
        Check::AccessNotGranted {
            file,
            actions,
            resources,
            policy_type,
            format,
        } => {
            let loaded = match load(file)? {
                Ok(l) => l,
                Err(e) => return Ok(Err(e)),
            };
            let access = Access {
                actions: actions.iter().map(|a| a.trim().to_owned()).collect(),
                resources: resources.iter().map(|r| r.trim().to_owned()).collect(),
            };
            let result =
                check_access_not_granted(&loaded.policy, &access, policy_type.policy_type());
            (result, loaded, *format)
        }
        Check::NoPublicAccess {
            file,
            resource_type,
            format,
        } => {
            let loaded = match load(file)? {
                Ok(l) => l,
                Err(e) => return Ok(Err(e)),
            };
            let result = check_no_public_access(&loaded.policy, resource_type);
            (result, loaded, *format)
        }
    };
    let result = match result {
        Ok(r) => r,
        Err(CheckError::Invalid(message)) => return Ok(Err(InputError(message))),
        Err(e @ CheckError::Undecided(_)) => return Ok(Err(InputError(e.to_string()))),
    };
    let out = match format {
        Format::Json => serde_json::to_string_pretty(&result)? + "\n",
        Format::Text => text(&result, &reasons_in)?,
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("writing the result")?;
    Ok(Ok(match result.result {
        CheckStatus::Pass => 0,
        CheckStatus::Fail => 1,
    }))
}

/// `RESULT: message`, one line per reason with where its statement starts, the counterexample.
fn text(result: &CheckResult, policy: &Loaded) -> Result<String> {
    let mut s = format!("{}: {}\n", result.result.as_str(), result.message);
    for reason in &result.reasons {
        let at = policy
            .policy
            .statements
            .items
            .get(reason.statement_index)
            .map(|st| {
                let l = st.span.location(&policy.text);
                format!(" ({}:{}:{})", policy.path.display(), l.line, l.column + 1)
            })
            .unwrap_or_default();
        let sid = reason
            .statement_id
            .as_ref()
            .map(|sid| format!(" [Sid {sid}]"))
            .unwrap_or_default();
        s.push_str(&format!("  {}{sid}{at}\n", reason.description));
    }
    if let Some(cx) = &result.counterexample {
        s.push_str(&format!("counterexample: {}\n", serde_json::to_string(cx)?));
    }
    Ok(s)
}
