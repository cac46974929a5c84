//! The example account (`examples/account/`) and AWS Config data (`examples/config/`) load, with
//! only the warnings they are meant to show.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_sources::{Configuration, ResourceType, WarningKind, read_path};
use std::path::PathBuf;

fn examples(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
}

#[test]
fn example_account_loads_without_warnings() {
    let loaded = read_path(&examples("account")).unwrap();
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.resources.len(), 16);
    for r in &loaded.resources {
        for p in r.configuration.policies() {
            assert!(
                p.policy.parsed.is_ok(),
                "{} {}: {:?}",
                r.arn,
                p.field,
                p.policy.parsed
            );
        }
    }
    let types: Vec<ResourceType> = loaded.resources.iter().map(|r| r.resource_type).collect();
    for t in [
        ResourceType::S3Bucket,
        ResourceType::IamRole,
        ResourceType::KmsKey,
        ResourceType::SqsQueue,
        ResourceType::SnsTopic,
        ResourceType::LambdaFunction,
        ResourceType::SecretsManagerSecret,
        ResourceType::EcrRepository,
        ResourceType::Ec2Snapshot,
        ResourceType::RdsDbSnapshot,
    ] {
        assert!(types.contains(&t), "{t} missing");
    }
    assert!(
        loaded
            .account_public_access_blocks
            .contains_key("111122223333")
    );
    // Files in sorted order: messaging.jsonl before resources.json.
    assert_eq!(loaded.resources[0].resource_type, ResourceType::SqsQueue);
    assert!(loaded.resources[0].origin.file.ends_with("messaging.jsonl"));
    assert_eq!(loaded.resources[0].origin.location.line, 1);
    let website = loaded
        .resource("arn:aws:s3:::example-public-website")
        .unwrap();
    let Configuration::S3Bucket(b) = &website.configuration else {
        panic!()
    };
    assert_eq!(b.bucket_acl_grants.len(), 2);
}

#[test]
fn example_config_loads_with_only_skip_warnings() {
    let loaded = read_path(&examples("config")).unwrap();
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    assert_eq!(loaded.warnings.len(), 1);
    assert!(matches!(
        &loaded.warnings[0].kind,
        WarningKind::SkippedConfigType { resource_type, count: 1 } if resource_type == "AWS::EC2::SecurityGroup"
    ));
    assert_eq!(loaded.resources.len(), 4);
    for r in &loaded.resources {
        let policies = r.configuration.policies();
        assert_eq!(policies.len(), 1, "{}", r.arn);
        assert!(policies[0].policy.parsed.is_ok(), "{}", r.arn);
    }
    assert!(
        loaded
            .account_public_access_blocks
            .contains_key("111122223333")
    );
}
