//! keyhole resource files: every resource type, policies as strings and objects, invalid policies
//! kept (not file errors) with their positions in the file, JSON lines, arrays, folders,
//! duplicates and account-level Block Public Access.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_sources::{
    ALL_USERS_URI, AclGrantee, AclPermission, Configuration, KmsGrantOperation, Loaded,
    NetworkOrigin, PolicyForm, PolicySource, ResourceType, WarningKind, read_path, read_str,
};
use serde_json::{Value, json};
use std::path::Path;

const A: &str = "111122223333";
const X: &str = "444455556666";

fn policy(action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": X}, "Action": action, "Resource": "*"}]})
}

fn read(text: &str) -> Loaded {
    read_str(Path::new("r.json"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn one(resource: &Value) -> keyhole_sources::Resource {
    let loaded = read(&json!({ "resources": [resource] }).to_string());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.resources.len(), 1);
    loaded.resources.into_iter().next().unwrap()
}

fn ok(p: Option<&PolicySource>) -> &PolicySource {
    let p = p.expect("a policy");
    assert!(p.parsed.is_ok(), "{:?}", p.parsed);
    p
}

#[test]
fn every_resource_type_reads_from_a_keyhole_file() {
    let region = "eu-west-1";
    let r = |rt: &str, arn: String, configuration: Value| json!({"arn": arn, "resourceType": rt, "account": A, "configuration": configuration});
    let cases: Vec<(ResourceType, Value)> = vec![
        (
            ResourceType::S3Bucket,
            r(
                "AWS::S3::Bucket",
                "arn:aws:s3:::b".into(),
                json!({"bucketPolicy": policy("s3:GetObject")}),
            ),
        ),
        (
            ResourceType::S3ExpressDirectoryBucket,
            r(
                "AWS::S3Express::DirectoryBucket",
                format!("arn:aws:s3express:{region}:{A}:bucket/b--euw1-az1--x-s3"),
                json!({"bucketPolicy": policy("s3express:CreateSession")}),
            ),
        ),
        (
            ResourceType::IamRole,
            r(
                "AWS::IAM::Role",
                format!("arn:aws:iam::{A}:role/r"),
                json!({"trustPolicy": policy("sts:AssumeRole")}),
            ),
        ),
        (
            ResourceType::KmsKey,
            r(
                "AWS::KMS::Key",
                format!("arn:aws:kms:{region}:{A}:key/k"),
                json!({"keyPolicies": {"default": policy("kms:Decrypt")}}),
            ),
        ),
        (
            ResourceType::LambdaFunction,
            r(
                "AWS::Lambda::Function",
                format!("arn:aws:lambda:{region}:{A}:function:f"),
                json!({"functionPolicy": policy("lambda:InvokeFunction")}),
            ),
        ),
        (
            ResourceType::LambdaLayerVersion,
            r(
                "AWS::Lambda::LayerVersion",
                format!("arn:aws:lambda:{region}:{A}:layer:l:3"),
                json!({"layerPolicy": policy("lambda:GetLayerVersion")}),
            ),
        ),
        (
            ResourceType::SqsQueue,
            r(
                "AWS::SQS::Queue",
                format!("arn:aws:sqs:{region}:{A}:q"),
                json!({"queuePolicy": policy("sqs:SendMessage")}),
            ),
        ),
        (
            ResourceType::SecretsManagerSecret,
            r(
                "AWS::SecretsManager::Secret",
                format!("arn:aws:secretsmanager:{region}:{A}:secret:s-AbCdEf"),
                json!({"secretPolicy": policy("secretsmanager:GetSecretValue"), "kmsKeyId": "alias/k"}),
            ),
        ),
        (
            ResourceType::SnsTopic,
            r(
                "AWS::SNS::Topic",
                format!("arn:aws:sns:{region}:{A}:t"),
                json!({"topicPolicy": policy("sns:Publish")}),
            ),
        ),
        (
            ResourceType::Ec2Snapshot,
            r(
                "AWS::EC2::Snapshot",
                format!("arn:aws:ec2:{region}:{A}:snapshot/snap-1"),
                json!({"userIds": [X], "groups": ["all"], "kmsKeyId": "k"}),
            ),
        ),
        (
            ResourceType::RdsDbSnapshot,
            r(
                "AWS::RDS::DBSnapshot",
                format!("arn:aws:rds:{region}:{A}:snapshot:s"),
                json!({"attributes": {"restore": [X, "all"]}}),
            ),
        ),
        (
            ResourceType::RdsDbClusterSnapshot,
            r(
                "AWS::RDS::DBClusterSnapshot",
                format!("arn:aws:rds:{region}:{A}:cluster-snapshot:s"),
                json!({"attributes": {"restore": {"accountIds": [X]}}, "kmsKeyId": "k"}),
            ),
        ),
        (
            ResourceType::EcrRepository,
            r(
                "AWS::ECR::Repository",
                format!("arn:aws:ecr:{region}:{A}:repository/r"),
                json!({"repositoryPolicy": policy("ecr:BatchGetImage")}),
            ),
        ),
        (
            ResourceType::EfsFileSystem,
            r(
                "AWS::EFS::FileSystem",
                format!("arn:aws:elasticfilesystem:{region}:{A}:file-system/fs-1"),
                json!({"fileSystemPolicy": policy("elasticfilesystem:ClientMount")}),
            ),
        ),
        (
            ResourceType::DynamoDbTable,
            r(
                "AWS::DynamoDB::Table",
                format!("arn:aws:dynamodb:{region}:{A}:table/t"),
                json!({"tablePolicy": policy("dynamodb:GetItem")}),
            ),
        ),
        (
            ResourceType::DynamoDbStream,
            r(
                "AWS::DynamoDB::Stream",
                format!("arn:aws:dynamodb:{region}:{A}:table/t/stream/2026-01-01T00:00:00.000"),
                json!({"streamPolicy": policy("dynamodb:GetRecords")}),
            ),
        ),
        (
            ResourceType::ApiGatewayRestApi,
            r(
                "AWS::ApiGateway::RestApi",
                format!("arn:aws:apigateway:{region}::/restapis/a1b2c3"),
                json!({"policy": policy("execute-api:Invoke")}),
            ),
        ),
        (
            ResourceType::OpenSearchServiceDomain,
            r(
                "AWS::OpenSearchService::Domain",
                format!("arn:aws:es:{region}:{A}:domain/d"),
                json!({"accessPolicies": policy("es:ESHttpGet")}),
            ),
        ),
        (
            ResourceType::BackupVault,
            r(
                "AWS::Backup::BackupVault",
                format!("arn:aws:backup:{region}:{A}:backup-vault:v"),
                json!({"accessPolicy": policy("backup:CopyIntoBackupVault")}),
            ),
        ),
        (
            ResourceType::GlacierVault,
            r(
                "AWS::Glacier::Vault",
                format!("arn:aws:glacier:{region}:{A}:vaults/v"),
                json!({"vaultPolicy": policy("glacier:InitiateJob")}),
            ),
        ),
        (
            ResourceType::KinesisStream,
            r(
                "AWS::Kinesis::Stream",
                format!("arn:aws:kinesis:{region}:{A}:stream/s"),
                json!({"streamPolicy": policy("kinesis:GetRecords")}),
            ),
        ),
        (
            ResourceType::EventsEventBus,
            r(
                "AWS::Events::EventBus",
                format!("arn:aws:events:{region}:{A}:event-bus/b"),
                json!({"policy": policy("events:PutEvents")}),
            ),
        ),
    ];
    assert_eq!(cases.len(), ResourceType::ALL.len());
    for (rt, value) in cases {
        let res = one(&value);
        assert_eq!(res.resource_type, rt);
        assert_eq!(res.configuration.resource_type(), rt);
        assert_eq!(res.account, A);
        assert_eq!(rt.as_str().parse::<ResourceType>().unwrap(), rt);
        let policies = res.configuration.policies();
        match rt {
            ResourceType::Ec2Snapshot => {
                let Configuration::Ec2Snapshot(s) = &res.configuration else {
                    panic!()
                };
                assert_eq!(
                    (s.user_ids.as_slice(), s.groups.as_slice()),
                    ([X.to_owned()].as_slice(), ["all".to_owned()].as_slice())
                );
                assert_eq!(s.kms_key_id.as_deref(), Some("k"));
            }
            ResourceType::RdsDbSnapshot => {
                let Configuration::RdsDbSnapshot(s) = &res.configuration else {
                    panic!()
                };
                assert_eq!(s.attributes["restore"], [X, "all"]);
                assert_eq!(s.kms_key_id, None);
            }
            ResourceType::RdsDbClusterSnapshot => {
                let Configuration::RdsDbClusterSnapshot(s) = &res.configuration else {
                    panic!()
                };
                assert_eq!(s.attributes["restore"], [X]);
            }
            _ => {
                assert_eq!(policies.len(), 1, "{rt}");
                let p = ok(Some(policies[0].policy));
                assert_eq!(p.form, PolicyForm::Object);
            }
        }
        if let Configuration::SecretsManagerSecret(s) = &res.configuration {
            assert_eq!(s.kms_key_id.as_deref(), Some("alias/k"));
        }
        if rt == ResourceType::IamRole || rt == ResourceType::S3Bucket {
            assert_eq!(res.region, None, "{rt}: regionless ARN");
        } else {
            assert_eq!(res.region.as_deref(), Some(region), "{rt}");
        }
    }
    let aa: Vec<_> = ResourceType::ALL
        .iter()
        .filter(|t| t.is_access_analyzer_type())
        .collect();
    assert_eq!(aa.len(), 16);
    assert!(!ResourceType::GlacierVault.is_access_analyzer_type());
    assert!("AWS::S3::bucket".parse::<ResourceType>().is_err());
}

#[test]
fn s3_bucket_with_acl_bpa_and_access_points() {
    let ap = format!("arn:aws:s3:us-east-1:{A}:accesspoint/inside");
    let ap2 = format!("arn:aws:s3:us-east-1:{A}:accesspoint/outside");
    let res = one(&json!({
        "arn": "arn:aws:s3:::b", "resourceType": "AWS::S3::Bucket", "account": A, "region": "us-east-1",
        "configuration": {
            "bucketAclGrants": [
                {"permission": "FULL_CONTROL", "grantee": {"id": "abc"}},
                {"permission": "READ", "grantee": {"uri": ALL_USERS_URI}}
            ],
            "bucketPublicAccessBlock": {"ignorePublicAcls": true, "restrictPublicBuckets": false, "blockPublicAcls": true},
            "accessPoints": {
                ap.clone(): {"accessPointPolicy": policy("s3:GetObject"),
                    "publicAccessBlock": {"ignorePublicAcls": true, "restrictPublicBuckets": true},
                    "networkOrigin": {"vpcConfiguration": {"vpcId": "vpc-1"}}},
                ap2.clone(): {"networkOrigin": {"internetConfiguration": {}}}
            },
            "ownerCanonicalId": "abc"
        }
    }));
    let Configuration::S3Bucket(b) = &res.configuration else {
        panic!()
    };
    assert!(b.bucket_policy.is_none());
    assert_eq!(
        b.bucket_acl_grants[0].permission,
        AclPermission::FullControl
    );
    assert_eq!(b.bucket_acl_grants[0].grantee, AclGrantee::Id("abc".into()));
    assert_eq!(
        b.bucket_acl_grants[1].grantee,
        AclGrantee::Uri(ALL_USERS_URI.into())
    );
    let bpa = b.bucket_public_access_block.unwrap();
    assert!(bpa.ignore_public_acls && !bpa.restrict_public_buckets);
    assert_eq!(
        b.access_points[&ap].network_origin,
        Some(NetworkOrigin::Vpc {
            vpc_id: "vpc-1".into()
        })
    );
    assert_eq!(
        b.access_points[&ap2].network_origin,
        Some(NetworkOrigin::Internet)
    );
    assert_eq!(b.owner_canonical_id.as_deref(), Some("abc"));
    let names: Vec<String> = res
        .configuration
        .policies()
        .into_iter()
        .map(|p| p.field)
        .collect();
    assert_eq!(names, [format!("accessPoints.{ap}.accessPointPolicy")]);
}

#[test]
fn kms_key_policies_and_grants() {
    let res = one(&json!({
        "arn": format!("arn:aws:kms:us-east-1:{A}:key/k"), "resourceType": "AWS::KMS::Key",
        "configuration": {
            "keyPolicies": {"default": serde_json::to_string(&policy("kms:*")).unwrap()},
            "grants": [{"granteePrincipal": format!("arn:aws:iam::{X}:root"), "operations": ["Decrypt", "RetireGrant"],
                "issuingAccount": A, "retiringPrincipal": "p",
                "constraints": {"encryptionContextEquals": {"k": "v"}}}]
        }
    }));
    let Configuration::KmsKey(k) = &res.configuration else {
        panic!()
    };
    assert_eq!(ok(k.key_policies.get("default")).form, PolicyForm::String);
    let g = &k.grants[0];
    assert_eq!(
        g.operations,
        [KmsGrantOperation::Decrypt, KmsGrantOperation::RetireGrant]
    );
    assert_eq!(g.issuing_account, A);
    assert_eq!(g.retiring_principal.as_deref(), Some("p"));
    let c = g.constraints.as_ref().unwrap();
    assert_eq!(c.encryption_context_equals.as_ref().unwrap()["k"], "v");
    assert!(c.encryption_context_subset.is_none());
    assert_eq!(res.configuration.policies()[0].field, "keyPolicies.default");
}

#[test]
fn policy_as_string_and_as_object_read_the_same() {
    let p = policy("sqs:SendMessage");
    let mk = |v: Value| json!({"arn": format!("arn:aws:sqs:us-east-1:{A}:q"), "resourceType": "AWS::SQS::Queue", "configuration": {"queuePolicy": v}});
    let as_object = one(&mk(p.clone()));
    let as_string = one(&mk(Value::String(p.to_string())));
    let get = |r: &keyhole_sources::Resource| match &r.configuration {
        Configuration::SqsQueue { queue_policy } => queue_policy.clone().unwrap(),
        _ => panic!(),
    };
    let (o, s) = (get(&as_object), get(&as_string));
    assert_eq!(o.form, PolicyForm::Object);
    assert_eq!(s.form, PolicyForm::String);
    assert_eq!(o.parsed, s.parsed);
    // Empty and null policies mean "no policy".
    for empty in [json!(""), json!("  "), Value::Null] {
        assert!(get_opt(&one(&mk(empty))).is_none());
    }
    fn get_opt(r: &keyhole_sources::Resource) -> Option<PolicySource> {
        match &r.configuration {
            Configuration::SqsQueue { queue_policy } => queue_policy.clone(),
            _ => panic!(),
        }
    }
}

#[test]
fn invalid_policy_in_a_string_is_kept_with_its_position_in_the_file() {
    let text = concat!(
        "{\"resources\": [\n",
        "  {\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\",\n",
        "   \"configuration\": {\"queuePolicy\": \"{\\\"Version\\\": \\\"2012-10-17\\\", \\\"Statement\\\": {\\\"Effect\\\": \\\"Allowed\\\", \\\"Action\\\": \\\"*\\\", \\\"Resource\\\": \\\"*\\\", \\\"Principal\\\": \\\"*\\\"}}\"}},\n",
        "  {\"arn\": \"arn:aws:sqs:us-east-1:111122223333:r\", \"resourceType\": \"AWS::SQS::Queue\"}\n",
        "]}\n"
    );
    let loaded = read(text);
    assert_eq!(
        loaded.resources.len(),
        2,
        "reading continues after an invalid policy"
    );
    let Configuration::SqsQueue {
        queue_policy: Some(p),
    } = &loaded.resources[0].configuration
    else {
        panic!()
    };
    let err = p.parsed.as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`Effect` must be `Allow` or `Deny`, found `Allowed`"
    );
    // The error's span starts at `"Allowed"` in the policy text, which is `\"Allowed\"` in the file.
    let at = p.error_location.unwrap();
    assert_eq!(at.offset, text.find("\\\"Allowed").unwrap());
    assert_eq!(
        (at.line, at.column),
        (3, text.lines().nth(2).unwrap().find("\\\"Allowed").unwrap())
    );
    assert_eq!(p.file_offset(err.span.start), at.offset);
    let inside = p.error_location_in_policy().unwrap();
    assert_eq!(
        (inside.line, inside.column),
        (1, p.text.find("\"Allowed").unwrap())
    );
    assert_eq!(p.origin.location.line, 3);
    assert_eq!(
        p.origin.location.column,
        text.lines().nth(2).unwrap().find("\"{").unwrap()
    );
}

#[test]
fn invalid_policy_object_is_kept_with_its_position_in_the_file() {
    let text = "{\"resources\": [{\"arn\": \"arn:aws:sns:us-east-1:111122223333:t\", \"resourceType\": \"AWS::SNS::Topic\",\n  \"configuration\": {\"topicPolicy\": {\"Version\": \"2012-10-17\",\n    \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sns:Publish\", \"Bogus\": 1}]}}}]}";
    let loaded = read(text);
    let Configuration::SnsTopic {
        topic_policy: Some(p),
    } = &loaded.resources[0].configuration
    else {
        panic!()
    };
    assert_eq!(p.form, PolicyForm::Object);
    let err = p.parsed.as_ref().unwrap_err();
    assert!(err.to_string().contains("Bogus"), "{err}");
    let at = p.error_location.unwrap();
    assert_eq!(at.offset, text.find("\"Bogus\"").unwrap());
    assert_eq!(at.line, 3);
    assert_eq!(&p.text[err.span.start..err.span.end], "\"Bogus\"");
}

#[test]
fn oversized_policy_is_an_invalid_policy_not_a_file_error() {
    let statements: Vec<Value> = (0..40_000)
        .map(|i| json!({"Effect": "Allow", "Action": format!("s3:A{i}"), "Resource": "*"}))
        .collect();
    let big = json!({"Version": "2012-10-17", "Statement": statements});
    let res = one(
        &json!({"arn": "arn:aws:s3:::b", "resourceType": "AWS::S3::Bucket", "account": A, "configuration": {"bucketPolicy": big}}),
    );
    let Configuration::S3Bucket(b) = &res.configuration else {
        panic!()
    };
    let err = b
        .bucket_policy
        .as_ref()
        .unwrap()
        .parsed
        .as_ref()
        .unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
}

#[test]
fn json_lines_with_blank_lines_and_crlf() {
    let text = format!(
        "{}\r\n\r\n   \n{}\n",
        json!({"arn": format!("arn:aws:sqs:us-east-1:{A}:a"), "resourceType": "AWS::SQS::Queue"}),
        json!({"arn": format!("arn:aws:sqs:us-east-1:{A}:b"), "resourceType": "AWS::SQS::Queue", "configuration": {"queuePolicy": policy("sqs:*")}}),
    );
    let loaded = read(&text);
    assert_eq!(loaded.resources.len(), 2);
    assert_eq!(loaded.resources[1].origin.location.line, 4);
    assert_eq!(loaded.resources[1].origin.location.column, 0);
    let Configuration::SqsQueue {
        queue_policy: Some(p),
    } = &loaded.resources[1].configuration
    else {
        panic!()
    };
    assert_eq!(p.origin.location.line, 4);
    assert_eq!(
        p.file_offset(0),
        text.find("{\"Statement\"")
            .or_else(|| text.find("{\"Version\""))
            .unwrap()
    );
}

#[test]
fn single_object_and_top_level_array() {
    let r =
        json!({"arn": format!("arn:aws:sqs:us-east-1:{A}:a"), "resourceType": "AWS::SQS::Queue"});
    assert_eq!(read(&r.to_string()).resources.len(), 1);
    let s =
        json!({"arn": format!("arn:aws:sqs:us-east-1:{A}:b"), "resourceType": "AWS::SQS::Queue"});
    assert_eq!(read(&json!([r, s]).to_string()).resources.len(), 2);
}

#[test]
fn account_public_access_block_entries() {
    let loaded = read(&json!({"resources": [
        {"resourceType": "AWS::S3::AccountPublicAccessBlock", "account": A, "configuration": {"ignorePublicAcls": true, "restrictPublicBuckets": true}},
        {"resourceType": "AWS::S3::AccountPublicAccessBlock", "account": X},
        {"resourceType": "AWS::S3::AccountPublicAccessBlock", "account": A, "configuration": {"ignorePublicAcls": false}}
    ]}).to_string());
    assert!(loaded.resources.is_empty());
    let a = &loaded.account_public_access_blocks[A];
    assert!(a.settings.ignore_public_acls && a.settings.restrict_public_buckets);
    assert!(
        !loaded.account_public_access_blocks[X]
            .settings
            .ignore_public_acls
    );
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        matches!(&loaded.warnings[0].kind, WarningKind::DuplicateAccountPublicAccessBlock { account, .. } if account == A)
    );
}

#[test]
fn duplicate_arns_keep_the_first_with_a_warning() {
    let text = concat!(
        "{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\"}\n",
        "{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"region\": \"other\"}\n",
    );
    let loaded = read(text);
    assert_eq!(loaded.resources.len(), 1);
    assert_eq!(loaded.resources[0].region.as_deref(), Some("us-east-1"));
    assert_eq!(
        loaded.warnings[0].to_string(),
        "r.json:2:1: duplicate resource `arn:aws:sqs:us-east-1:111122223333:q`; keeping the one read first at r.json:1:1"
    );
}

#[test]
fn empty_file_is_a_warning() {
    for text in ["", "  \n", "{\"resources\": []}"] {
        let loaded = read(text);
        assert!(loaded.resources.is_empty());
        assert_eq!(
            loaded.warnings[0].to_string(),
            "r.json:1:1: the file has no resources"
        );
    }
}

#[test]
fn folders_are_read_recursively_in_sorted_order() {
    let dir = std::env::temp_dir().join(format!("keyhole-sources-folder-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b/nested")).unwrap();
    std::fs::create_dir_all(dir.join(".hidden")).unwrap();
    let q = |name: &str| {
        json!({"arn": format!("arn:aws:sqs:us-east-1:{A}:{name}"), "resourceType": "AWS::SQS::Queue"}).to_string()
    };
    std::fs::write(dir.join("c.json"), q("c")).unwrap();
    std::fs::write(dir.join("a.JSONL"), format!("{}\n{}\n", q("a1"), q("a2"))).unwrap();
    std::fs::write(dir.join("b/nested/z.ndjson"), q("z")).unwrap();
    std::fs::write(dir.join("b/m.json"), q("m")).unwrap();
    std::fs::write(dir.join("b/notes.txt"), "not read").unwrap();
    std::fs::write(dir.join(".hidden/h.json"), q("h")).unwrap();
    std::fs::write(dir.join("d.json"), q("c")).unwrap(); // a duplicate of c.json
    let loaded = read_path(&dir).unwrap();
    let names: Vec<&str> = loaded
        .resources
        .iter()
        .map(|r| r.arn.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(names, ["a1", "a2", "m", "z", "c"]);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        matches!(&loaded.warnings[0].kind, WarningKind::DuplicateArn { first, .. } if first.file.ends_with("c.json"))
    );
    assert!(loaded.warnings[0].origin.file.ends_with("d.json"));
    // Reading twice gives the same result.
    let again = read_path(&dir).unwrap();
    assert_eq!(
        again.resources.iter().map(|r| &r.arn).collect::<Vec<_>>(),
        loaded.resources.iter().map(|r| &r.arn).collect::<Vec<_>>()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
