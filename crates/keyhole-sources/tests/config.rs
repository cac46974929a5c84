//! AWS Config output: a single configuration item, snapshot files, `get-resource-config-history`
//! and `batch-get-resource-config` output (string-valued `configuration` and
//! `supplementaryConfiguration`), URL-encoded trust policies, and policy error positions mapped
//! back through every level of string nesting.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_sources::{
    ALL_USERS_URI, AclGrantee, AclPermission, Configuration, Loaded, PolicyForm, ResourceType,
    WarningKind, read_str,
};
use serde_json::{Value, json};
use std::path::Path;

const A: &str = "111122223333";
const X: &str = "444455556666";
const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

fn read(text: &str) -> Loaded {
    read_str(Path::new("config.json"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn policy(action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": X}, "Action": action, "Resource": "*"}]})
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An S3 bucket item as delivered in snapshot files: JSON values, `ARN`, `awsAccountId`.
fn snapshot_bucket() -> Value {
    json!({
        "configurationItemVersion": "1.3", "configurationItemCaptureTime": "2026-01-20T08:15:42.117Z",
        "configurationStateId": 1, "awsAccountId": A, "configurationItemStatus": "OK",
        "resourceType": "AWS::S3::Bucket", "resourceId": "b", "resourceName": "b", "ARN": "arn:aws:s3:::b",
        "awsRegion": "us-east-1", "availabilityZone": "Regional", "tags": {}, "relatedEvents": [], "relationships": [],
        "configuration": {"name": "b", "owner": {"displayName": null, "id": OWNER}},
        "supplementaryConfiguration": {
            "AccessControlList": json!({"grantSet": null, "grantList": [
                {"grantee": {"id": OWNER, "displayName": null}, "permission": "FullControl"},
                {"grantee": "AllUsers", "permission": "Read"}
            ], "owner": {"displayName": null, "id": OWNER}, "isRequesterCharged": false}).to_string(),
            "BucketPolicy": {"policyText": policy("s3:GetObject").to_string()},
            "PublicAccessBlockConfiguration": {"blockPublicAcls": true, "ignorePublicAcls": true,
                "blockPublicPolicy": true, "restrictPublicBuckets": false}
        }
    })
}

/// Converts a snapshot-file item to the API's spelling: `arn`, `accountId`, and `configuration`
/// and every `supplementaryConfiguration` value as JSON strings.
fn api_spelling(item: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in item.as_object().unwrap() {
        let (k, v) = match k.as_str() {
            "ARN" => ("arn".to_owned(), v.clone()),
            "awsAccountId" => ("accountId".to_owned(), v.clone()),
            "configurationItemVersion" => ("version".to_owned(), v.clone()),
            "configuration" => (k.clone(), Value::String(v.to_string())),
            "supplementaryConfiguration" => (
                k.clone(),
                Value::Object(
                    v.as_object()
                        .unwrap()
                        .iter()
                        .map(|(sk, sv)| {
                            (
                                sk.clone(),
                                match sv {
                                    Value::String(_) => sv.clone(),
                                    other => Value::String(other.to_string()),
                                },
                            )
                        })
                        .collect(),
                ),
            ),
            _ => (k.clone(), v.clone()),
        };
        out.insert(k, v);
    }
    Value::Object(out)
}

fn check_bucket(loaded: &Loaded) {
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let r = loaded.resource("arn:aws:s3:::b").unwrap();
    assert_eq!(r.resource_type, ResourceType::S3Bucket);
    assert_eq!(r.account, A);
    assert_eq!(r.region.as_deref(), Some("us-east-1"));
    let Configuration::S3Bucket(b) = &r.configuration else {
        panic!()
    };
    let p = b.bucket_policy.as_ref().unwrap();
    assert!(p.parsed.is_ok());
    assert_eq!(p.form, PolicyForm::String);
    assert_eq!(b.owner_canonical_id.as_deref(), Some(OWNER));
    assert_eq!(b.bucket_acl_grants.len(), 2);
    assert_eq!(b.bucket_acl_grants[0].grantee, AclGrantee::Id(OWNER.into()));
    assert_eq!(
        b.bucket_acl_grants[0].permission,
        AclPermission::FullControl
    );
    assert_eq!(
        b.bucket_acl_grants[1].grantee,
        AclGrantee::Uri(ALL_USERS_URI.into())
    );
    assert_eq!(b.bucket_acl_grants[1].permission, AclPermission::Read);
    let bpa = b.bucket_public_access_block.unwrap();
    assert!(bpa.ignore_public_acls && !bpa.restrict_public_buckets);
}

#[test]
fn single_configuration_item() {
    check_bucket(&read(&snapshot_bucket().to_string()));
}

#[test]
fn snapshot_file() {
    let text = json!({"fileVersion": "1.0", "configSnapshotId": "x", "configurationItems": [snapshot_bucket()]});
    check_bucket(&read(&serde_json::to_string_pretty(&text).unwrap()));
}

#[test]
fn history_output_with_string_values() {
    let text = json!({"configurationItems": [api_spelling(&snapshot_bucket())], "nextToken": null});
    check_bucket(&read(&text.to_string()));
}

#[test]
fn batch_get_output_and_rule_event() {
    let text = json!({"baseConfigurationItems": [api_spelling(&snapshot_bucket())], "unprocessedResourceKeys": []});
    check_bucket(&read(&text.to_string()));
    let event = json!({"configurationItem": snapshot_bucket(), "messageType": "ConfigurationItemChangeNotification"});
    check_bucket(&read(&event.to_string()));
}

#[test]
fn config_items_as_json_lines() {
    let text = format!(
        "{}\n{}\n",
        api_spelling(&snapshot_bucket()),
        json!({"configurationItems": []})
    );
    check_bucket(&read(&text));
}

fn role_item(trust: &str) -> Value {
    json!({
        "version": "1.3", "accountId": A, "configurationItemStatus": "OK",
        "arn": format!("arn:aws:iam::{A}:role/Partner"), "resourceType": "AWS::IAM::Role",
        "resourceId": "AROA1", "resourceName": "Partner", "awsRegion": "global",
        "configuration": json!({"roleName": "Partner", "assumeRolePolicyDocument": url_encode(trust)}).to_string(),
        "supplementaryConfiguration": {}
    })
}

#[test]
fn url_encoded_trust_policy() {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{X}:root")}, "Action": "sts:AssumeRole"}]});
    let loaded = read(&json!({"configurationItems": [role_item(&trust.to_string())]}).to_string());
    let r = &loaded.resources[0];
    assert_eq!(r.region, None, "`global` is no region");
    let Configuration::IamRole {
        trust_policy: Some(p),
    } = &r.configuration
    else {
        panic!()
    };
    assert_eq!(p.form, PolicyForm::UrlEncoded);
    assert_eq!(p.text, trust.to_string());
    assert!(p.parsed.is_ok());
}

#[test]
fn url_encoded_trust_policy_error_maps_into_the_file() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allowed","Principal":"*","Action":"sts:AssumeRole"}]}"#;
    let text =
        serde_json::to_string_pretty(&json!({"configurationItems": [role_item(trust)]})).unwrap();
    let loaded = read(&text);
    let Configuration::IamRole {
        trust_policy: Some(p),
    } = &loaded.resources[0].configuration
    else {
        panic!()
    };
    assert!(p.parsed.is_err());
    let at = p.error_location.unwrap();
    assert_eq!(at.offset, text.find("%22Allowed").unwrap());
    let line = text.lines().position(|l| l.contains("%22Allowed")).unwrap() + 1;
    assert_eq!(at.line, line);
}

#[test]
fn policy_error_inside_a_string_inside_a_string_maps_into_the_file() {
    let bad = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allowed","Principal":"*","Action":"sns:Publish","Resource":"*"}]}"#;
    let item = json!({
        "version": "1.3", "accountId": A, "arn": format!("arn:aws:sns:us-east-1:{A}:t"),
        "resourceType": "AWS::SNS::Topic", "awsRegion": "us-east-1",
        "configuration": json!({"TopicArn": "t", "Policy": bad}).to_string(),
    });
    let text = json!({"configurationItems": [item]}).to_string();
    let loaded = read(&text);
    let Configuration::SnsTopic {
        topic_policy: Some(p),
    } = &loaded.resources[0].configuration
    else {
        panic!()
    };
    assert_eq!(p.text, bad);
    // `"Allowed"` in the policy is `\"Allowed\"` in the configuration string and
    // `\\\"Allowed\\\"` in the file.
    assert_eq!(
        p.error_location.unwrap().offset,
        text.find(r#"\\\"Allowed"#).unwrap()
    );
    assert_eq!(p.file_offset(0), text.find(r#"{\\\"Version"#).unwrap());
}

#[test]
fn queue_topic_lambda_secret_ecr_and_rds_items() {
    let item = |rt: &str, arn: String, configuration: Value, supplementary: Value| {
        json!({"awsAccountId": A, "resourceType": rt, "ARN": arn, "awsRegion": "us-east-1",
            "configurationItemStatus": "ResourceDiscovered",
            "configuration": configuration, "supplementaryConfiguration": supplementary})
    };
    let p = |a: &str| policy(a).to_string();
    let items = json!({"configurationItems": [
        item("AWS::SQS::Queue", format!("arn:aws:sqs:us-east-1:{A}:q"), json!({"Attributes": {"Policy": p("sqs:SendMessage")}}), json!({})),
        item("AWS::SQS::Queue", format!("arn:aws:sqs:us-east-1:{A}:q2"), json!({"Policy": p("sqs:SendMessage")}), json!({})),
        item("AWS::Lambda::Function", format!("arn:aws:lambda:us-east-1:{A}:function:f"), json!({"functionName": "f"}), json!({"Policy": p("lambda:InvokeFunction")})),
        item("AWS::SecretsManager::Secret", format!("arn:aws:secretsmanager:us-east-1:{A}:secret:s-AbCdEf"), json!({"ResourcePolicy": p("secretsmanager:GetSecretValue"), "KmsKeyId": "alias/k"}), json!({})),
        item("AWS::ECR::Repository", format!("arn:aws:ecr:us-east-1:{A}:repository/r"), json!({"RepositoryPolicyText": policy("ecr:BatchGetImage")}), json!({})),
        item("AWS::RDS::DBSnapshot", format!("arn:aws:rds:us-east-1:{A}:snapshot:s"), json!({"kmsKeyId": "k"}),
            json!({"DBSnapshotAttributes": [{"attributeName": "restore", "attributeValues": [X]}]})),
        item("AWS::ApiGateway::RestApi", "arn:aws:apigateway:us-east-1::/restapis/a1".to_owned(),
            json!({"policy": p("execute-api:Invoke").replace('"', "\\\"")}), json!({})),
        item("AWS::OpenSearch::Domain", format!("arn:aws:es:us-east-1:{A}:domain/d"), json!({"AccessPolicies": policy("es:ESHttpGet")}), json!({})),
    ]});
    let loaded = read(&items.to_string());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.resources.len(), 8);
    for r in &loaded.resources {
        let policies = r.configuration.policies();
        if r.resource_type == ResourceType::RdsDbSnapshot {
            let Configuration::RdsDbSnapshot(s) = &r.configuration else {
                panic!()
            };
            assert_eq!(s.attributes["restore"], [X]);
            assert_eq!(s.kms_key_id.as_deref(), Some("k"));
            continue;
        }
        assert_eq!(policies.len(), 1, "{}", r.arn);
        assert!(
            policies[0].policy.parsed.is_ok(),
            "{}: {:?}",
            r.arn,
            policies[0].policy.parsed
        );
    }
    let Configuration::SecretsManagerSecret(s) = &loaded.resources[3].configuration else {
        panic!()
    };
    assert_eq!(s.kms_key_id.as_deref(), Some("alias/k"));
    assert_eq!(
        loaded.resources[7].resource_type,
        ResourceType::OpenSearchServiceDomain
    );
}

#[test]
fn kms_key_without_recorded_policy_warns() {
    let item = json!({"awsAccountId": A, "resourceType": "AWS::KMS::Key",
        "ARN": format!("arn:aws:kms:us-east-1:{A}:key/k"), "awsRegion": "us-east-1", "configuration": {"keyId": "k"}});
    let loaded = read(&item.to_string());
    assert_eq!(loaded.resources.len(), 1);
    assert!(matches!(
        loaded.warnings[0].kind,
        WarningKind::PolicyNotRecorded {
            what: "key policy",
            ..
        }
    ));
}

#[test]
fn unsupported_and_deleted_items_are_skipped_with_one_warning_each() {
    let sg = |id: &str| json!({"awsAccountId": A, "resourceType": "AWS::EC2::SecurityGroup", "ARN": format!("arn:aws:ec2:us-east-1:{A}:security-group/{id}"), "configuration": {}});
    let gone = json!({"awsAccountId": A, "resourceType": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::gone", "configurationItemStatus": "ResourceDeleted", "configuration": null});
    let text = serde_json::to_string_pretty(
        &json!({"configurationItems": [sg("a"), gone.clone(), sg("b"), gone, snapshot_bucket()]}),
    )
    .unwrap();
    let loaded = read(&text);
    assert_eq!(loaded.resources.len(), 1);
    let messages: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "config.json:3:5: skipped 2 AWS Config item(s) of type `AWS::EC2::SecurityGroup`, which keyhole does not analyse",
            // The first deleted item's `{` is on line 9 (after the 5-line first item).
            "config.json:9:5: skipped 2 AWS Config item(s) of deleted or unrecorded resources",
        ]
    );
}

#[test]
fn account_public_access_block_item() {
    let item = json!({"awsAccountId": A, "resourceType": "AWS::S3::AccountPublicAccessBlock", "resourceId": A,
        "configuration": json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}).to_string()});
    let loaded = read(&item.to_string());
    let b = &loaded.account_public_access_blocks[A];
    assert!(b.settings.ignore_public_acls && b.settings.restrict_public_buckets);
}

#[test]
fn bucket_policy_text_null_is_no_policy() {
    let mut item = snapshot_bucket();
    item["supplementaryConfiguration"]["BucketPolicy"] = json!({"policyText": null});
    let loaded = read(&item.to_string());
    let Configuration::S3Bucket(b) = &loaded.resources[0].configuration else {
        panic!()
    };
    assert!(b.bucket_policy.is_none());
    let strings = api_spelling(&item);
    let loaded = read(&strings.to_string());
    let Configuration::S3Bucket(b) = &loaded.resources[0].configuration else {
        panic!()
    };
    assert!(b.bucket_policy.is_none());
}
