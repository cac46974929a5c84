//! `keyhole validate`, run as the real binary on `tests/fixtures/validate/`: text, JSON and
//! SARIF outputs (compared with `tests/snapshots/validate-*`; `KEYHOLE_BLESS=1` rewrites them
//! after a deliberate change), exit codes 0 / 1 / 2 and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;

mod common;
use common::{keyhole, snapshot};

const FIXTURES: &str = "crates/keyhole/tests/fixtures/validate";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn codes(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["issueCode"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn text_output_underlines_each_span_and_fails_on_errors() {
    let (code, out, err) = keyhole(&[
        "validate",
        &fixture("identity-problems.json"),
        "--policy-type",
        "IDENTITY_POLICY",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("identity-problems.json:7:34: ERROR INVALID_ACTION: The action s3:GetObjekt does not exist. Did you mean s3:GetObject?"), "{out}");
    snapshot("validate-text.txt", &out);
}

#[test]
fn json_output_is_validate_policy_response() {
    let (code, out, err) = keyhole(&[
        "validate",
        &fixture("identity-problems.json"),
        "--policy-type",
        "IDENTITY_POLICY",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let findings = &v["findings"];
    assert_eq!(
        codes(findings),
        [
            "EMPTY_SID_VALUE",
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "INVALID_ACTION",
            "REDUNDANT_ACTION",
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
            "IMPROVE_IP_RANGE"
        ]
    );
    let sid = &findings[0];
    assert_eq!(sid["findingType"], "SUGGESTION");
    assert_eq!(
        sid["locations"][0]["path"],
        serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Sid"}])
    );
    assert_eq!(
        sid["locations"][0]["span"],
        serde_json::json!({"start": {"line": 5, "column": 13, "offset": 65}, "end": {"line": 5, "column": 15, "offset": 67}})
    );
    snapshot("validate-single.json", &out);
}

#[test]
fn trust_policy_checks_match_aws_example() {
    let (code, out, err) = keyhole(&[
        "validate",
        &fixture("trust-cognito.json"),
        "--policy-type",
        "RESOURCE_POLICY",
        "--resource-type",
        "AWS::IAM::AssumeRolePolicyDocument",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        codes(&v["findings"]),
        [
            "EMPTY_SID_VALUE",
            "MISMATCHED_ACTION_FOR_PRINCIPAL",
            "UNSUPPORTED_ACTION_FOR_CONDITION_KEY"
        ]
    );
    let mismatched = &v["findings"][1];
    assert_eq!(mismatched["locations"].as_array().unwrap().len(), 2);
    assert_eq!(
        mismatched["locations"][1]["path"],
        serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Principal"}, {"value": "Federated"}])
    );
}

#[test]
fn several_files_in_json_and_sarif() {
    let files = [
        fixture("identity-clean.json"),
        fixture("identity-problems.json"),
        fixture("syntax-error.json"),
        fixture("unicode.json"),
    ];
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--policy-type", "IDENTITY_POLICY", "--format", "json"]);
    let (code, out, err) = keyhole(&args);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let per_file = v["files"].as_array().unwrap();
    assert_eq!(per_file.len(), 4);
    assert_eq!(per_file[0]["file"], files[0].as_str());
    assert!(per_file[0]["findings"].as_array().unwrap().is_empty());
    assert_eq!(codes(&per_file[2]["findings"]), ["JSON_SYNTAX_ERROR"]);
    snapshot("validate-files.json", &out);

    let sarif_args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "json" { "sarif" } else { a })
        .collect();
    let (code, out, err) = keyhole(&sarif_args);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "INVALID_ACTION" && r["level"] == "error")
    );
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "EMPTY_SID_VALUE" && r["level"] == "note")
    );
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| {
        r["helpUri"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.aws.amazon.com/")
    }));
    snapshot("validate.sarif.json", &out);
}

#[test]
fn exit_0_without_errors_or_security_warnings() {
    let (code, out, err) = keyhole(&[
        "validate",
        &fixture("identity-clean.json"),
        &fixture("suggestions-only.json"),
        "--policy-type",
        "IDENTITY_POLICY",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("identity-clean.json: no findings"), "{out}");
    assert!(
        out.contains("suggestions-only.json: 1 finding: 1 SUGGESTION"),
        "{out}"
    );
}

#[test]
fn json_syntax_error_is_a_finding_not_bad_input() {
    let (code, out, err) = keyhole(&[
        "validate",
        &fixture("syntax-error.json"),
        "--policy-type",
        "IDENTITY_POLICY",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("syntax-error.json:4:24: ERROR JSON_SYNTAX_ERROR: Fix the JSON syntax error at index 69 line 4 column 23."), "{out}");
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let missing = fixture("no-such-file.json");
    let (code, out, err) = keyhole(&[
        "validate",
        &fixture("identity-clean.json"),
        &missing,
        "--policy-type",
        "IDENTITY_POLICY",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains(&missing), "{err}");
    assert!(
        out.contains("identity-clean.json: no findings"),
        "the readable file is still validated: {out}"
    );

    let (code, _, err) = keyhole(&[
        "validate",
        &fixture("identity-clean.json"),
        "--policy-type",
        "IDENTITY_POLICY",
        "--resource-type",
        "AWS::S3::Bucket",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--resource-type can only be given with --policy-type RESOURCE_POLICY"),
        "{err}"
    );

    let (code, _, err) = keyhole(&[
        "validate",
        &fixture("identity-clean.json"),
        "--policy-type",
        "IDENTITY",
    ]);
    assert_eq!(code, 2, "{err}");

    let (code, _, err) = keyhole(&["validate", &fixture("identity-clean.json")]);
    assert_eq!(code, 2, "--policy-type is required: {err}");

    let dir = std::env::temp_dir().join(format!("keyhole-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("binary.json");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let (code, _, err) = keyhole(&[
        "validate",
        binary.to_str().unwrap(),
        "--policy-type",
        "IDENTITY_POLICY",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("binary.json") && err.contains("not UTF-8"),
        "{err}"
    );
    let huge = dir.join("huge.json");
    std::fs::write(&huge, format!("{{\"Id\": \"{}\"}}", "x".repeat(2 << 20))).unwrap();
    let (code, _, err) = keyhole(&[
        "validate",
        huge.to_str().unwrap(),
        "--policy-type",
        "IDENTITY_POLICY",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("huge.json") && err.contains("too large"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
