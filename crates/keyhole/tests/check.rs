//! `keyhole check`, run as the real binary: each check's PASS (exit 0), FAIL (exit 1) and bad
//! input (exit 2), AWS's JSON shape compared with snapshots in `tests/snapshots/check-*`
//! (`KEYHOLE_BLESS=1` rewrites them after a deliberate change; review the diff).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;

mod common;
use common::{keyhole, snapshot};

const FIXTURES: &str = "crates/keyhole/tests/fixtures/check";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

#[test]
fn no_new_access_fails_with_the_new_statement_and_a_counterexample() {
    let args = [
        "check",
        "no-new-access",
        "--existing",
        &fixture("existing.json"),
        "--new",
        &fixture("new-wider.json"),
        "--policy-type",
        "IDENTITY_POLICY",
        "--format",
        "json",
    ];
    let (code, out, err) = keyhole(&args);
    assert_eq!(code, 1, "{err}");
    snapshot("check-no-new-access-fail.json", &out);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["reasons"][0]["statementIndex"], 1);
    assert!(v["reasons"][0].get("statementId").is_none(), "an empty Sid");
    assert_eq!(v["counterexample"]["action"], "s3:PutObject");

    let (code, text, _) = keyhole(&args[..args.len() - 2]);
    assert_eq!(code, 1);
    snapshot("check-no-new-access-fail.txt", &text);
    assert!(text.contains("new-wider.json:10:5"), "{text}");
}

#[test]
fn no_new_access_passes_for_a_narrower_policy() {
    let (code, out, err) = keyhole(&[
        "check",
        "no-new-access",
        "--existing",
        &fixture("existing.json"),
        "--new",
        &fixture("new-narrower.json"),
        "--policy-type",
        "IDENTITY_POLICY",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    snapshot("check-no-new-access-pass.json", &out);
}

#[test]
fn access_not_granted_passes_and_fails() {
    let run = |actions: &str, resources: Option<&str>| {
        let mut args = vec![
            "check",
            "access-not-granted",
            "--actions",
            actions,
            "--policy-type",
            "IDENTITY_POLICY",
            "--format",
            "json",
        ];
        if let Some(r) = resources {
            args.extend(["--resources", r]);
        }
        let file = fixture("existing.json");
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        args.push(file);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        keyhole(&args)
    };
    let (code, out, err) = run("s3:PutObject,s3:DeleteObject", None);
    assert_eq!(code, 0, "{err}");
    snapshot("check-access-not-granted-pass.json", &out);
    let (code, out, err) = run(
        "s3:PutObject,s3:GetObject",
        Some("arn:aws:s3:::example-reports/private/*"),
    );
    assert_eq!(code, 1, "{err}");
    snapshot("check-access-not-granted-fail.json", &out);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reasons"][0]["statementId"], "ReadReports");
}

#[test]
fn no_public_access_passes_and_fails() {
    let run = |file: &str| {
        keyhole(&[
            "check",
            "no-public-access",
            "--resource-type",
            "AWS::S3::Bucket",
            &fixture(file),
            "--format",
            "json",
        ])
    };
    let (code, out, err) = run("org-bucket-policy.json");
    assert_eq!(code, 0, "{err}");
    snapshot("check-no-public-access-pass.json", &out);
    let (code, out, err) = run("public-bucket-policy.json");
    assert_eq!(code, 1, "{err}");
    snapshot("check-no-public-access-fail.json", &out);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["reasons"][0]["description"],
        "Public access granted in the following statement with sid: Website."
    );
}

#[test]
fn bad_input_exits_2_with_a_location() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "no-new-access".into(),
                "--existing".into(),
                fixture("existing.json"),
                "--new".into(),
                fixture("broken.json"),
                "--policy-type".into(),
                "IDENTITY_POLICY".into(),
            ],
            "broken.json:8:5:",
        ),
        (
            vec![
                "no-new-access".into(),
                "--existing".into(),
                fixture("missing.json"),
                "--new".into(),
                fixture("existing.json"),
                "--policy-type".into(),
                "IDENTITY_POLICY".into(),
            ],
            "missing.json: cannot read the file",
        ),
        (
            vec![
                "access-not-granted".into(),
                fixture("existing.json"),
                "--resources".into(),
                "arn:aws:s3:*::example-reports".into(),
                "--policy-type".into(),
                "IDENTITY_POLICY".into(),
            ],
            "invalid ARN `arn:aws:s3:*::example-reports`",
        ),
        (
            vec![
                "access-not-granted".into(),
                fixture("existing.json"),
                "--policy-type".into(),
                "IDENTITY_POLICY".into(),
            ],
            "no action and no resource",
        ),
        (
            vec![
                "no-public-access".into(),
                "--resource-type".into(),
                "AWS::EC2::Instance".into(),
                fixture("public-bucket-policy.json"),
            ],
            "unsupported resource type `AWS::EC2::Instance`",
        ),
        (
            vec![
                "no-public-access".into(),
                "--resource-type".into(),
                "AWS::S3::Bucket".into(),
                fixture("existing.json"),
            ],
            "has no Principal",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["check"];
        all.extend(args.iter().map(String::as_str));
        let (code, out, err) = keyhole(&all);
        assert_eq!(code, 2, "{all:?}: {err}");
        assert!(out.is_empty(), "{all:?}: {out}");
        assert!(err.contains(expected), "{all:?}: {err}");
    }
    // 101 actions: over AWS's limit.
    let actions: Vec<String> = (0..101).map(|i| format!("s3:Action{i}")).collect();
    let (code, _, err) = keyhole(&[
        "check",
        "access-not-granted",
        "--actions",
        &actions.join(","),
        &fixture("existing.json"),
        "--policy-type",
        "IDENTITY_POLICY",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("at most 100"), "{err}");
    // A policy type AWS does not take.
    let (code, _, _) = keyhole(&[
        "check",
        "access-not-granted",
        "--actions",
        "s3:GetObject",
        &fixture("existing.json"),
        "--policy-type",
        "SERVICE_CONTROL_POLICY",
    ]);
    assert_eq!(code, 2);
}
