//! `keyhole analyze`, run as the real binary: the bundled account, AWS Config input, one
//! resource of every type, archive rules, output formats, exit codes and bad input. JSON
//! outputs are compared with snapshots in `tests/snapshots/` (`KEYHOLE_BLESS=1` rewrites them
//! after a deliberate change; review the diff).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{keyhole, snapshot};

const AT: &str = "2026-11-22T00:00:00Z";

fn findings(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout).unwrap()["findings"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_bundled_account() {
    let (code, out, err) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    assert_eq!(code, 1, "external findings exit 1 by default: {err}");
    assert!(err.contains("zone of trust: account 111122223333"), "{err}");
    snapshot("account.json", &out);
    let all = findings(&out);
    assert!(all.iter().any(|f| f["isPublic"] == true));
    assert!(all.iter().any(|f| f["isPublic"] == false));
    for f in &all {
        assert!(
            f["witness"].is_object()
                || f["error"].is_string()
                || f["sources"][0]["type"] == "BUCKET_ACL"
                || f["statements"].as_array().is_none(),
            "{f}"
        );
        assert_eq!(f["status"], "ACTIVE");
        assert_eq!(f["analyzedAt"], AT);
    }
}

/// A search budget too small for a policy makes that policy an UNDECIDED error finding (never
/// a silent "no findings"); the default budget decides every policy of the bundled account.
#[test]
fn the_search_budget_is_a_flag() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "analyze",
            "examples/account",
            "--format",
            "json",
            "--analyzed-at",
            AT,
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = keyhole(&args);
        assert_eq!(code, 1, "{err}");
        findings(&out)
    };
    let undecided = |all: &[Value]| {
        all.iter()
            .filter(|f| {
                f["error"] == "UNDECIDED"
                    && f["errorDetail"]
                        .as_str()
                        .is_some_and(|e| e.contains("label combinations"))
            })
            .count()
    };
    assert_eq!(undecided(&run(&[])), 0);
    let tight = run(&["--max-label-combinations", "1"]);
    assert!(undecided(&tight) > 0, "{tight:?}");
    for f in tight.iter().filter(|f| f["error"].is_string()) {
        assert!(f["principal"].is_null(), "{f}");
        assert_eq!(f["status"], "ACTIVE");
    }
}

#[test]
fn output_is_deterministic() {
    let a = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ])
    .1;
    let b = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ])
    .1;
    assert_eq!(a, b);
}

#[test]
fn aws_config_input() {
    let (code, out, err) = keyhole(&[
        "analyze",
        "examples/config",
        "--format",
        "json",
        "--analyzed-at",
        AT,
        "--account",
        "111122223333",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    snapshot("config.json", &out);
}

#[test]
fn every_resource_type() {
    let (code, out, err) = keyhole(&[
        "analyze",
        "crates/keyhole/tests/fixtures/every-type.json",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    assert_eq!(code, 1, "{err}");
    snapshot("every-type.json", &out);
    let all = findings(&out);
    let types: std::collections::BTreeSet<&str> = all
        .iter()
        .filter(|f| f["error"].is_null())
        .map(|f| f["resourceType"].as_str().unwrap())
        .collect();
    for t in [
        "AWS::S3::Bucket",
        "AWS::S3Express::DirectoryBucket",
        "AWS::IAM::Role",
        "AWS::KMS::Key",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::SQS::Queue",
        "AWS::SecretsManager::Secret",
        "AWS::SNS::Topic",
        "AWS::EC2::Snapshot",
        "AWS::RDS::DBSnapshot",
        "AWS::RDS::DBClusterSnapshot",
        "AWS::ECR::Repository",
        "AWS::EFS::FileSystem",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::Stream",
        "AWS::ApiGateway::RestApi",
        "AWS::OpenSearchService::Domain",
        "AWS::Backup::BackupVault",
        "AWS::Glacier::Vault",
        "AWS::Kinesis::Stream",
        "AWS::Events::EventBus",
    ] {
        assert!(types.contains(t), "no finding for {t}");
    }
    let errors: Vec<&str> = all.iter().filter_map(|f| f["error"].as_str()).collect();
    assert!(
        errors.contains(&"INVALID_POLICY")
            && errors.contains(&"UNDECIDED")
            && errors.contains(&"ACCESS_DENIED"),
        "{errors:?}"
    );
    let broken = all.iter().find(|f| f["error"] == "INVALID_POLICY").unwrap();
    assert!(
        broken["errorDetail"]
            .as_str()
            .unwrap()
            .contains("every-type.json:"),
        "{broken}"
    );
}

#[test]
fn archive_rules_and_fail_levels() {
    let (code, out, _) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
        "--archive-rules",
        "crates/keyhole/tests/fixtures/archive-rules.json",
    ]);
    assert_eq!(code, 1);
    let all = findings(&out);
    for f in &all {
        let partner = f["principal"]["AWS"] == "444455556666";
        let org = f["condition"].get("aws:PrincipalOrgID").is_some();
        let want = if partner || org { "ARCHIVED" } else { "ACTIVE" };
        assert_eq!(f["status"], want, "{f}");
    }
    assert!(all.iter().any(|f| f["status"] == "ARCHIVED"));
    assert_eq!(
        keyhole(&["analyze", "examples/account", "--fail-on", "never"]).0,
        0
    );
    assert_eq!(
        keyhole(&["analyze", "examples/account", "--fail-on", "public"]).0,
        1
    );
}

#[test]
fn formats() {
    let (_, table, _) = keyhole(&["analyze", "examples/account", "--analyzed-at", AT]);
    assert!(
        table.contains("PUBLIC") && table.contains("principal:") && table.contains("granted by"),
        "{table}"
    );
    let (_, jsonl, _) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "jsonl",
        "--analyzed-at",
        AT,
    ]);
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, json, _) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    assert_eq!(lines.len(), findings(&json).len());
    let (_, sarif, _) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "sarif",
        "--analyzed-at",
        AT,
    ]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), lines.len());
    assert!(results.iter().all(|r| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("examples/account/")
    }));
}

#[test]
fn extra_trust_filters_findings() {
    let (_, out, _) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
    ]);
    let all = findings(&out);
    let (code, out, err) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
        "--trust-account",
        "444455556666",
        "--trust-vpc",
        "vpc-0a1b2c3d4e5f60718",
        "--trust-vpce",
        "vpce-0a1b2c3d4e5f60718",
    ]);
    assert_eq!(code, 1, "{err}");
    let kept = findings(&out);
    assert!(kept.len() < all.len());
    for f in &kept {
        let p = f["principal"]["AWS"].as_str().unwrap_or("");
        assert!(p != "444455556666" && !p.contains(":444455556666:"), "{f}");
        assert!(
            f["condition"].get("aws:SourceVpc").is_none()
                && f["condition"].get("aws:SourceVpce").is_none(),
            "{f}"
        );
    }
    let (code, _, err) = keyhole(&["analyze", "examples/account", "--trust-cidr", "10.0.0.0/33"]);
    assert_eq!(code, 2);
    assert!(err.contains("--trust-cidr"), "{err}");
}

#[test]
fn organization_zone() {
    let dir = tempdir();
    let members = dir.join("members.json");
    std::fs::write(
        &members,
        r#"{"Accounts": [{"Id": "111122223333"}, {"Id": "444455556666"}]}"#,
    )
    .unwrap();
    let (code, out, err) = keyhole(&[
        "analyze",
        "examples/account",
        "--format",
        "json",
        "--analyzed-at",
        AT,
        "--org-id",
        "o-a1b2c3d4e5",
        "--org-accounts",
        members.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    for f in findings(&out) {
        assert_ne!(
            f["principal"]["AWS"], "444455556666",
            "a member account is inside the zone: {f}"
        );
        assert!(
            f["condition"].get("aws:PrincipalOrgID").is_none(),
            "the org is inside the zone: {f}"
        );
    }
}

#[test]
fn bad_input_exits_2_with_a_location() {
    let dir = tempdir();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"resources\": [\n  {\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::Nope\"}\n]}\n").unwrap();
    let (code, _, err) = keyhole(&["analyze", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.json:2:"), "{err}");
    let (code, _, err) = keyhole(&["analyze", "no/such/file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.json"), "{err}");
    let (code, _, err) = keyhole(&["analyze", "examples/account", "--account", "12345"]);
    assert_eq!(code, 2);
    assert!(err.contains("12-digit"), "{err}");
    let two = dir.join("two.json");
    std::fs::write(
        &two,
        r#"{"resources": [
        {"arn": "arn:aws:sqs:us-east-1:111122223333:a", "resourceType": "AWS::SQS::Queue"},
        {"arn": "arn:aws:sqs:us-east-1:444455556666:b", "resourceType": "AWS::SQS::Queue"}]}"#,
    )
    .unwrap();
    let (code, _, err) = keyhole(&["analyze", two.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--account"), "{err}");
    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        r#"[{"ruleName": "x", "filter": {"isPublic": {"equals": ["true"]}}}]"#,
    )
    .unwrap();
    let (code, _, err) = keyhole(&[
        "analyze",
        "examples/account",
        "--archive-rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown operator `equals`"), "{err}");
}

fn tempdir() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("keyhole-analyze-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bucket that delegates to another account's access points: public while Block Public
/// Access is off (that account's access point policy is unknown), cross-account once
/// `restrictPublicBuckets` is on, with the `S3_ACCESS_POINT_ACCOUNT` source either way, as
/// Access Analyzer documents.
#[test]
fn delegation_to_another_accounts_access_point() {
    let dir = tempdir();
    let bucket = |bpa: bool| {
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
            "Resource": ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"],
            "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "444455556666"}}}]});
        let mut configuration = serde_json::json!({"bucketPolicy": policy});
        if bpa {
            configuration["bucketPublicAccessBlock"] = serde_json::json!({
                "blockPublicAcls": true, "ignorePublicAcls": true,
                "blockPublicPolicy": true, "restrictPublicBuckets": true});
        }
        serde_json::json!({"resources": [{"arn": "arn:aws:s3:::bkt",
            "resourceType": "AWS::S3::Bucket", "account": "111122223333",
            "configuration": configuration}]})
    };
    let mut ids = Vec::new();
    for bpa in [false, true] {
        let file = dir.join(format!("delegation-{bpa}.json"));
        std::fs::write(&file, bucket(bpa).to_string()).unwrap();
        let (code, out, err) = keyhole(&[
            "analyze",
            file.to_str().unwrap(),
            "--account",
            "111122223333",
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{err}");
        let all = findings(&out);
        assert_eq!(all.len(), 1, "{out}");
        let f = &all[0];
        assert_eq!(f["isPublic"], !bpa, "{f}");
        assert_eq!(f["condition"]["s3:DataAccessPointAccount"], "444455556666");
        assert_eq!(f["sources"][0]["type"], "S3_ACCESS_POINT_ACCOUNT", "{f}");
        assert_eq!(
            f["sources"][0]["detail"]["accessPointAccount"],
            "444455556666"
        );
        ids.push(f["id"].clone());
    }
    // The id covers the finding's source, not its isPublic: the same finding either way.
    assert_eq!(ids[0], ids[1]);
}

/// The resource file as the format was first specified, with `type` for `resourceType`:
/// read the same, in a `{"resources": …}` file and in JSON lines; both names at once is an
/// error at the second one.
#[test]
fn type_is_another_name_for_resource_type() {
    let dir = tempdir();
    let queue = |name: &str, field: &str| {
        format!(
            r#"{{"arn": "arn:aws:sqs:us-east-1:111122223333:{name}", "{field}": "AWS::SQS::Queue", "account": "111122223333", "region": "us-east-1", "configuration": {{"queuePolicy": "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}}]}}"}}}}"#
        )
    };
    let run = |path: &PathBuf| {
        let (code, out, err) = keyhole(&[
            "analyze",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--analyzed-at",
            AT,
        ]);
        assert_eq!(code, 1, "{err}");
        findings(&out)
    };
    let typed = dir.join("typed.json");
    std::fs::write(
        &typed,
        format!(r#"{{"resources": [{}]}}"#, queue("q", "type")),
    )
    .unwrap();
    let named = dir.join("named.json");
    std::fs::write(
        &named,
        format!(r#"{{"resources": [{}]}}"#, queue("q", "resourceType")),
    )
    .unwrap();
    let lines = dir.join("typed.jsonl");
    std::fs::write(&lines, format!("{}\n", queue("q", "type"))).unwrap();
    let by_type = run(&typed);
    assert_eq!(by_type.len(), 1);
    assert_eq!(by_type[0]["isPublic"], true);
    assert_eq!(by_type, run(&named));
    assert_eq!(by_type, run(&lines));

    let both = dir.join("both.json");
    std::fs::write(
        &both,
        "{\"resources\": [\n  {\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"type\": \"AWS::SQS::Queue\"}\n]}\n",
    )
    .unwrap();
    let (code, _, err) = keyhole(&["analyze", both.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("both.json:2:"), "{err}");
    assert!(err.contains("`type`"), "{err}");
}
