//! `keyhole preview`, run as the real binary: the bundled example (S3 with ACL and Block Public
//! Access, SQS, KMS grants, an IAM role, a Lambda function, a new SNS topic), AWS's rules for
//! omitted fields and empty policies, archive rules, exit codes and bad input. JSON outputs are
//! compared with snapshots in `tests/snapshots/preview-*` (`KEYHOLE_BLESS=1` rewrites them after a
//! deliberate change; review the diff).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use serde_json::Value;

mod common;
use common::{keyhole, snapshot};

const AT: &str = "2026-11-22T00:00:00Z";
const FIXTURES: &str = "crates/keyhole/tests/fixtures/preview";

fn findings(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout).unwrap()["findings"]
        .as_array()
        .unwrap()
        .clone()
}

/// (resource, changeType, status, existingFindingStatus) of each finding.
fn rows(all: &[Value]) -> BTreeSet<(String, String, String, String)> {
    all.iter()
        .map(|f| {
            (
                f["resource"].as_str().unwrap().to_owned(),
                f["changeType"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
                f["existingFindingStatus"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned(),
            )
        })
        .collect()
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

#[test]
fn the_bundled_example() {
    let args = [
        "preview",
        "--current",
        "examples/preview/current",
        "--proposed",
        "examples/preview/proposed",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ];
    let (code, out, err) = keyhole(&args);
    assert_eq!(code, 1, "the proposal adds active findings: {err}");
    assert!(err.contains("zone of trust: account 111122223333"), "{err}");
    snapshot("preview-example.json", &out);
    let all = findings(&out);
    let r = |resource: &str, change: &str, status: &str, existing: &str| {
        (
            resource.to_owned(),
            change.to_owned(),
            status.to_owned(),
            existing.to_owned(),
        )
    };
    let rows = rows(&all);
    let bucket = "arn:aws:s3:::example-reports";
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let function = "arn:aws:lambda:us-east-1:111122223333:function:thumbnailer";
    let role = "arn:aws:iam::111122223333:role/ci-deploy";
    let topic = "arn:aws:sns:us-east-1:111122223333:alerts";
    for expected in [
        // S3: Block Public Access resolves the public ACL; the omitted policy is kept.
        r(bucket, "UNCHANGED", "ACTIVE", "ACTIVE"),
        r(bucket, "CHANGED", "RESOLVED", "ACTIVE"),
        // KMS: `grants: []` removes the partner's grant.
        r(key, "CHANGED", "RESOLVED", "ACTIVE"),
        // Lambda: an empty policy deletes it.
        r(function, "CHANGED", "RESOLVED", "ACTIVE"),
        // IAM role: a wider subject claim is a new finding; the old one is resolved.
        r(role, "NEW", "ACTIVE", "-"),
        r(role, "CHANGED", "RESOLVED", "ACTIVE"),
        // A new topic.
        r(topic, "NEW", "ACTIVE", "-"),
    ] {
        assert!(
            rows.contains(&expected),
            "{expected:?} missing from {rows:#?}"
        );
    }
    for f in &all {
        assert_eq!(f["id"].as_str().unwrap().len(), 36);
        assert_eq!(
            f["existingFindingId"].is_string(),
            f["changeType"] != "NEW",
            "{f}"
        );
    }

    // The table says the same.
    let (code, table, _) = keyhole(&args[..args.len() - 4]);
    assert_eq!(code, 1);
    assert!(table.starts_with("6 proposed resources, "), "{table}");
    assert!(
        table.contains("NEW       ACTIVE   PUBLIC   arn:aws:sns:us-east-1:111122223333:alerts")
    );
}

#[test]
fn omitted_fields_keep_the_current_configuration() {
    let (code, out, err) = keyhole(&[
        "preview",
        "--current",
        &fixture("current.json"),
        "--proposed",
        &fixture("proposed-omitted.json"),
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    assert_eq!(code, 0, "nothing new: {err}");
    snapshot("preview-omitted.json", &out);
    let all = findings(&out);
    assert_eq!(all.len(), 3, "{out}");
    assert!(all.iter().all(|f| f["changeType"] == "UNCHANGED"), "{out}");
}

#[test]
fn an_empty_policy_deletes_it() {
    let (code, out, err) = keyhole(&[
        "preview",
        "--current",
        &fixture("current.json"),
        "--proposed",
        &fixture("proposed-empty-policy.json"),
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    assert_eq!(code, 0, "{err}");
    snapshot("preview-empty-policy.json", &out);
    let all = findings(&out);
    assert_eq!(all.len(), 1);
    assert_eq!(
        (&all[0]["changeType"], &all[0]["status"]),
        (&Value::from("CHANGED"), &Value::from("RESOLVED"))
    );
}

#[test]
fn new_resources_only_and_archive_rules() {
    // No --current: every resource is new; the archive rule archives the partner's access.
    let (code, out, err) = keyhole(&[
        "preview",
        "--proposed",
        &fixture("current.json"),
        "--archive-rules",
        &fixture("archive-rules.json"),
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    assert_eq!(code, 1, "{err}");
    let all = findings(&out);
    let statuses: BTreeSet<(String, String)> = all
        .iter()
        .map(|f| {
            (
                f["changeType"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from([
            ("NEW".to_owned(), "ACTIVE".to_owned()),
            ("NEW".to_owned(), "ARCHIVED".to_owned())
        ]),
        "{out}"
    );
    assert!(all.iter().all(|f| f["createdAt"] == AT));
}

#[test]
fn bad_input_exits_2() {
    let current = fixture("current.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--current",
                &current,
                "--proposed",
                "crates/keyhole/tests/fixtures/preview/proposed-empty-key-policy.json",
            ],
            "a key policy cannot be deleted",
        ),
        (
            vec![
                "--proposed",
                "crates/keyhole/tests/fixtures/preview/proposed-new-role.json",
            ],
            "a new role needs a trust policy",
        ),
        (
            vec![
                "--proposed",
                "crates/keyhole/tests/fixtures/preview/missing.json",
            ],
            "missing.json",
        ),
        (
            vec!["--proposed", &current, "--account", "12345"],
            "--account",
        ),
        (
            vec!["--proposed", &current, "--analyzed-at", "yesterday"],
            "--analyzed-at",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["preview"];
        all.extend(args);
        let (code, out, err) = keyhole(&all);
        assert_eq!(code, 2, "{all:?}: {err}");
        assert!(out.is_empty(), "{all:?}: {out}");
        assert!(err.contains(expected), "{all:?}: {err}");
    }
}
