//! `keyhole simulate`, run as the real binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use assert_cmd::Command;
use std::path::PathBuf;

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/simulate")
        .join(name)
        .display()
        .to_string()
}

fn keyhole() -> Command {
    Command::cargo_bin("keyhole").unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = keyhole()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn cross_account_read_is_allowed_by_both_policies() {
    let v = json(&[
        "simulate",
        "--format",
        "json",
        "--scenario",
        &example("cross-account-read.json"),
    ]);
    assert_eq!(v["decision"], "Allowed");
    let layers: Vec<&str> = v["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["layer"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["identity", "resource"]);
    assert_eq!(v["matched"][1]["sid"], "PartnerReads");
}

#[test]
fn org_pinned_bucket_denies_an_outsider() {
    let v = json(&[
        "simulate",
        "--format",
        "json",
        "--scenario",
        &example("org-pinned-bucket-outsider.json"),
    ]);
    assert_eq!(v["decision"], "ImplicitlyDenied");
}

#[test]
fn scp_deny_wins_over_allows() {
    let v = json(&[
        "simulate",
        "--format",
        "json",
        "--scenario",
        &example("scp-denies-region.json"),
    ]);
    assert_eq!(v["decision"], "ExplicitlyDenied");
    assert!(
        v["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["sid"] == "OnlyEuRegions" && m["effect"] == "Deny" && m["level"] == 1)
    );
}

#[test]
fn text_output_names_decision_and_statements() {
    let out = keyhole()
        .args(["simulate", "--scenario", &example("scp-denies-region.json")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(": ExplicitlyDenied\n"), "{text}");
    assert!(
        text.contains("scp level 1 policy 0 statement 0 (OnlyEuRegions): Deny"),
        "{text}"
    );
}

#[test]
fn several_scenarios_give_one_json_line_each() {
    let out = keyhole()
        .args([
            "simulate",
            "--format",
            "json",
            "--scenario",
            &example("cross-account-read.json"),
            &example("scp-denies-region.json"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["decision"], "ExplicitlyDenied");
    assert!(
        lines[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("cross-account-read.json")
    );
}

#[test]
fn bad_policy_exits_2_with_file_line_and_column() {
    let dir = tempdir();
    let path = dir.join("bad.json");
    std::fs::write(&path, "{\n  \"identityPolicies\": [{\"Statement\": {\"Effect\": \"Alow\", \"Action\": \"s3:*\"}}],\n  \"request\": {\"principal\": \"arn:aws:iam::111122223333:user/a\", \"action\": \"s3:GetObject\"}\n}\n").unwrap();
    let out = keyhole()
        .args(["simulate", "--scenario", path.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("bad.json:2:49: `Effect` must be `Allow` or `Deny`, found `Alow`"),
        "{err}"
    );
}

#[test]
fn invalid_json_and_missing_file_exit_2() {
    let dir = tempdir();
    let path = dir.join("trailing.json");
    std::fs::write(&path, "{\"request\": {},}").unwrap();
    let err = keyhole()
        .args(["simulate", "--scenario", path.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(err)
            .unwrap()
            .contains("trailing.json:1:16: unexpected character, expected a key in double quotes")
    );
    keyhole()
        .args(["simulate", "--scenario", "/nonexistent/keyhole.json"])
        .assert()
        .code(2);
}

#[test]
fn kind_rules_are_warnings_not_errors() {
    let dir = tempdir();
    let path = dir.join("warn.json");
    std::fs::write(
        &path,
        r#"{"resourcePolicy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}},
            "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}"#,
    )
    .unwrap();
    let v = json(&[
        "simulate",
        "--format",
        "json",
        "--scenario",
        path.to_str().unwrap(),
    ]);
    assert_eq!(v["decision"], "ImplicitlyDenied");
    assert_eq!(v["warnings"][0]["policy"], "resourcePolicy");
    assert_eq!(v["warnings"][0]["line"], 1);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "keyhole-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn compare_example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/compare")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn compare_finds_the_added_partner_access_with_a_confirmed_witness() {
    let v = json(&[
        "compare",
        "--format",
        "json",
        &compare_example("bucket-old.json"),
        &compare_example("bucket-new.json"),
    ]);
    assert_eq!(v["relation"], "more");
    assert!(v["oldAllowsButNewDenies"].is_null());
    let w = &v["newAllowsButOldDenies"];
    assert!(
        w["action"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("s3:ListBucket"),
        "{w}"
    );
    assert!(
        w["context"]["s3:prefix"]
            .as_str()
            .unwrap()
            .starts_with("releases/"),
        "{w}"
    );
    // The witness reads back as a scenario request and the evaluator allows it under NEW only.
    for (policy, expected) in [
        ("bucket-new.json", "Allowed"),
        ("bucket-old.json", "ImplicitlyDenied"),
    ] {
        let dir = tempdir();
        let path = dir.join("witness.json");
        let p: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(compare_example(policy)).unwrap())
                .unwrap();
        let all =
            serde_json::json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        std::fs::write(
            &path,
            serde_json::json!({"resourcePolicy": p, "identityPolicies": [all], "request": w})
                .to_string(),
        )
        .unwrap();
        let r = json(&[
            "simulate",
            "--format",
            "json",
            "--scenario",
            path.to_str().unwrap(),
        ]);
        assert_eq!(r["decision"], expected, "{policy}: {r}");
    }
}

#[test]
fn compare_of_a_policy_with_itself_is_equivalent() {
    let v = json(&[
        "compare",
        "--format",
        "json",
        &compare_example("bucket-new.json"),
        &compare_example("bucket-new.json"),
    ]);
    assert_eq!(v["relation"], "equivalent");
    assert!(v["newAllowsButOldDenies"].is_null() && v["oldAllowsButNewDenies"].is_null());
}

#[test]
fn compare_reports_unknown_with_the_reason() {
    let dir = tempdir();
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    std::fs::write(&a, r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}}"#).unwrap();
    std::fs::write(&b, r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#).unwrap();
    let v = json(&[
        "compare",
        "--format",
        "json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(v["relation"], "unknown");
    assert!(
        v["unknownReasons"][0]
            .as_str()
            .unwrap()
            .contains("variable"),
        "{v}"
    );
}

#[test]
fn compare_bad_policy_exits_2_with_location() {
    let dir = tempdir();
    let a = dir.join("a.json");
    std::fs::write(&a, "{\"Statement\": [}").unwrap();
    let err = keyhole()
        .args(["compare", a.to_str().unwrap(), a.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(err).unwrap().contains("a.json:1:16:"));
}
