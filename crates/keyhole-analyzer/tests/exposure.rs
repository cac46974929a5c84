//! The hand-labelled exposure oracles of `../shared/oracles/exposure/` (Steampipe,
//! cloud-custodian, policyuniverse): keyhole's `public` / `crossAccount` verdicts against each
//! case whose `divergence` is null, except the cases listed with a reason in
//! `tests/exposure-divergences.json`. Cases the reviewers marked as confident divergences are
//! reported separately (keyhole should disagree with their label there), and `uncertain:` cases
//! are not gated.
//!
//! Zone extensions that are not Access Analyzer concepts (c7n allow-listed VPCs and VPC
//! endpoints) are applied as filters on findings, as `keyhole analyze` documents; the others
//! (OU allow-lists, principal patterns, trusted condition keys) are not modelled.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use keyhole_analyzer::search::is_public;
use keyhole_analyzer::{SearchLimits, Target, Zone, external_access};
use keyhole_policy::parse_policy;
use serde_json::Value;

fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/oracles/exposure");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing and CI=true",
        dir.display()
    );
    eprintln!("SKIPPED: {} not found (../shared absent)", dir.display());
    None
}

/// keyhole's verdict on one case: `Err` when the policy is rejected or not decided.
fn verdict(case: &Value) -> Result<(bool, bool), String> {
    // No policy (Steampipe's empty input): nothing is granted.
    let Some(policy) = case.get("policy").filter(|p| !p.is_null()) else {
        return Ok((false, false));
    };
    let policy = parse_policy(&policy.to_string()).map_err(|e| e.to_string())?;
    keyhole_analyzer::search::check_resource_policy(&policy)?;
    let zone_json = &case["zone"];
    let strings = |key: &str| -> Vec<String> {
        zone_json[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let owner = zone_json["account"]
        .as_str()
        .unwrap_or("999999999999")
        .to_owned();
    let mut accounts: Vec<String> = vec![owner];
    accounts.extend(
        strings("allowedAccounts")
            .into_iter()
            .filter(|a| keyhole_policy::arn::is_account_id(a)),
    );
    let zone = match zone_json["orgId"].as_str() {
        Some(org) => Zone::organization(org, accounts),
        None => Zone {
            accounts: accounts.into_iter().collect(),
            ..Zone::default()
        },
    };
    let target = Target {
        resource: "arn:aws:s3:::resource".to_owned(),
        resource_patterns: vec!["*".to_owned()],
        action_patterns: vec!["*".to_owned()],
        actions: Vec::new().into(),
        requires: Vec::new(),
    };
    let found = external_access(&policy, &target, &zone, &SearchLimits::default())?;
    let vpcs: Vec<String> = strings("allowedVpcs")
        .into_iter()
        .chain(strings("allowedVpces"))
        .collect();
    let kept: Vec<_> = found
        .iter()
        .filter(|a| {
            !a.condition.iter().any(|(k, v)| {
                (k.eq_ignore_ascii_case("aws:SourceVpc")
                    || k.eq_ignore_ascii_case("aws:SourceVpce"))
                    && vpcs.contains(v)
            })
        })
        .collect();
    let public = kept.iter().any(|a| is_public(&a.principal, &a.condition));
    Ok((public, !kept.is_empty()))
}

#[test]
fn exposure_oracles_agree() {
    let Some(dir) = shared() else { return };
    let listed: BTreeMap<String, String> = serde_json::from_str::<Value>(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/exposure-divergences.json"),
        )
        .unwrap(),
    )
    .unwrap()
    .as_object()
    .unwrap()
    .iter()
    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
    .collect();
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    let (mut gated, mut agreed, mut confident_flipped, mut confident) = (0, 0, 0, 0);
    for file in ["steampipe.json", "c7n.json", "policyuniverse.json"] {
        let cases: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        for case in cases.as_array().unwrap() {
            let id = case["id"].as_str().unwrap().to_owned();
            let expected = &case["expected"];
            let got = verdict(case);
            let agrees = match (&got, expected.get("error")) {
                (Err(_), Some(_)) => true,
                (Ok(_), Some(_)) | (Err(_), None) => false,
                (Ok((public, cross)), None) => {
                    expected["public"].as_bool().is_none_or(|p| p == *public)
                        && expected["crossAccount"]
                            .as_bool()
                            .is_none_or(|c| c == *cross)
                }
            };
            match case["divergence"].as_str() {
                None => {
                    gated += 1;
                    match (agrees, listed.contains_key(&id)) {
                        (true, false) => agreed += 1,
                        (true, true) => stale.push(id),
                        (false, true) => {
                            eprintln!("listed {id}: expected {expected}, keyhole {got:?}")
                        }
                        (false, false) => {
                            failures.push(format!("{id}: expected {expected}, keyhole {got:?}"))
                        }
                    }
                }
                Some(d) if !d.starts_with("uncertain:") => {
                    confident += 1;
                    if !agrees {
                        confident_flipped += 1;
                    }
                }
                Some(_) => {}
            }
        }
    }
    eprintln!(
        "exposure oracles: {agreed}/{gated} gated cases agree ({} listed divergences); keyhole disagrees with {confident_flipped}/{confident} labels the reviewers flagged as wrong",
        listed.len()
    );
    assert!(
        failures.is_empty(),
        "{} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed divergences that now agree (remove them): {stale:?}"
    );
}
