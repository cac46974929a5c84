//! Access Analyzer's own findings (`../shared/oracles/exposure/accessrefinery-correctness.json`,
//! real AWS output) reproduced finding for finding: the same principals, action lists,
//! condition maps and `isPublic`.
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

fn oracle() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/oracles/exposure/accessrefinery-correctness.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{} is missing and CI=true", path.display())
        }
        Err(_) => {
            eprintln!("SKIPPED: {} not found (../shared absent)", path.display());
            None
        }
    }
}

type Shape = (String, Vec<String>, BTreeMap<String, String>, bool);

fn shape(principal: &Value, actions: &Value, condition: &Value, public: bool) -> Shape {
    let principal = principal
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(",");
    let mut actions: Vec<String> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    actions.sort();
    let condition = condition
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (principal, actions, condition, public)
}

#[test]
fn accessrefinery_findings_match_access_analyzer() {
    let Some(cases) = oracle() else { return };
    let mut failures = Vec::new();
    for case in cases.as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let raw = case["expected"]["raw"].as_array().unwrap();
        let owner = raw
            .first()
            .and_then(|f| f["resourceOwnerAccount"].as_str())
            .unwrap_or("222634363387");
        let bucket = "arn:aws:s3:::antsknmath";
        let policy = parse_policy(&case["policy"].to_string()).unwrap();
        let target = Target {
            resource: bucket.to_owned(),
            resource_patterns: vec![bucket.to_owned(), format!("{bucket}/*")],
            action_patterns: vec!["s3:*".to_owned()],
            actions: keyhole_analyzer::actions::of_service("s3"),
            requires: Vec::new(),
        };
        let found = external_access(
            &policy,
            &target,
            &Zone::account(owner),
            &SearchLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut got: Vec<Shape> = found
            .iter()
            .map(|a| {
                let principal =
                    serde_json::json!({ a.principal.kind.clone(): a.principal.value.clone() });
                let condition = serde_json::to_value(&a.condition).unwrap();
                let actions = serde_json::to_value(&a.actions).unwrap();
                shape(
                    &principal,
                    &actions,
                    &condition,
                    is_public(&a.principal, &a.condition),
                )
            })
            .collect();
        let mut want: Vec<Shape> = raw
            .iter()
            .map(|f| {
                shape(
                    &f["principal"],
                    &f["action"],
                    &f["condition"],
                    f["isPublic"].as_bool().unwrap(),
                )
            })
            .collect();
        got.sort();
        want.sort();
        if got != want {
            failures.push(format!("{id}:\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
