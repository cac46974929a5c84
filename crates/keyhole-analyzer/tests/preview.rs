//! Access previews through the library: AWS's rules for omitted fields, empty policies and new
//! resources, and the changeType / status / existingFinding* table, on several resource types.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use keyhole_analyzer::archive::parse_rules;
use keyhole_analyzer::preview::{
    AccessPreviewFinding, ChangeType, Proposal, Written, current_findings, merge, preview,
    preview_resource,
};
use keyhole_analyzer::{Context, Status, Zone};
use keyhole_sources::{Configuration, Resource};
use serde_json::{Value, json};

const OWNER: &str = "111122223333";
const AT: &str = "2026-11-22T00:00:00Z";

fn ctx() -> Context {
    Context {
        zone: Zone::account(OWNER),
        analyzed_at: AT.to_owned(),
        ..Context::default()
    }
}

fn resource(object: &Value) -> Resource {
    let text = json!({"resources": [object]}).to_string();
    let mut loaded = keyhole_sources::read_str(Path::new("test.json"), &text).unwrap();
    assert_eq!(loaded.resources.len(), 1, "{text}");
    loaded.resources.remove(0)
}

/// A proposal read the way `keyhole preview` reads a keyhole resource object.
fn proposal(object: &Value) -> Proposal {
    Proposal {
        resource: resource(object),
        written: Written::from_configuration(object.get("configuration")),
    }
}

fn allow(principal: Value, action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}]})
}

const QUEUE: &str = "arn:aws:sqs:us-east-1:111122223333:orders";

fn queue(configuration: Value) -> Value {
    json!({"arn": QUEUE, "resourceType": "AWS::SQS::Queue", "configuration": configuration})
}

fn run(current: &[Value], proposed: &[Value]) -> Vec<AccessPreviewFinding> {
    let current: Vec<Resource> = current.iter().map(resource).collect();
    let proposals: Vec<Proposal> = proposed.iter().map(proposal).collect();
    preview(&current, &proposals, &ctx(), &[]).unwrap()
}

fn shape(findings: &[AccessPreviewFinding]) -> Vec<(ChangeType, Status, Option<Status>, String)> {
    let mut out: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.change_type,
                f.status,
                f.existing_finding_status,
                serde_json::to_string(&f.principal).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn omitted_policy_keeps_the_current_one_and_its_findings_are_unchanged() {
    let current = queue(
        json!({"queuePolicy": allow(json!({"AWS": "444455556666"}), "sqs:SendMessage", QUEUE)}),
    );
    let findings = run(std::slice::from_ref(&current), &[queue(json!({}))]);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(
        (f.change_type, f.status, f.existing_finding_status),
        (ChangeType::Unchanged, Status::Active, Some(Status::Active))
    );
    let existing = current_findings(&resource(&current), &ctx(), &[]);
    assert_eq!(
        f.existing_finding_id.as_deref(),
        Some(existing[0].id.as_str())
    );
    assert_ne!(f.id, existing[0].id, "preview finding ids are their own");
    // No `configuration` at all, and `null`, are omissions too.
    let bare = json!({"arn": QUEUE, "resourceType": "AWS::SQS::Queue"});
    assert_eq!(
        shape(&run(std::slice::from_ref(&current), &[bare])),
        shape(&findings)
    );
    let null = queue(json!({"queuePolicy": null}));
    assert_eq!(shape(&run(&[current], &[null])), shape(&findings));
}

#[test]
fn empty_policy_deletes_it_and_resolves_its_findings() {
    let current = queue(
        json!({"queuePolicy": allow(json!({"AWS": "444455556666"}), "sqs:SendMessage", QUEUE)}),
    );
    for empty in ["", "   "] {
        let findings = run(
            std::slice::from_ref(&current),
            &[queue(json!({"queuePolicy": empty}))],
        );
        assert_eq!(
            shape(&findings),
            vec![(
                ChangeType::Changed,
                Status::Resolved,
                Some(Status::Active),
                r#"{"AWS":"444455556666"}"#.to_owned()
            )]
        );
    }
}

#[test]
fn a_new_policy_gives_new_findings_and_resolves_replaced_ones() {
    let current = queue(
        json!({"queuePolicy": allow(json!({"AWS": "444455556666"}), "sqs:SendMessage", QUEUE)}),
    );
    let proposed = queue(json!({"queuePolicy": allow(json!("*"), "sqs:SendMessage", QUEUE)}));
    let findings = run(&[current], &[proposed]);
    assert_eq!(
        shape(&findings),
        vec![
            (
                ChangeType::New,
                Status::Active,
                None,
                r#"{"AWS":"*"}"#.to_owned()
            ),
            (
                ChangeType::Changed,
                Status::Resolved,
                Some(Status::Active),
                r#"{"AWS":"444455556666"}"#.to_owned()
            ),
        ]
    );
    let new = findings
        .iter()
        .find(|f| f.change_type == ChangeType::New)
        .unwrap();
    assert_eq!(new.is_public, Some(true));
    assert_eq!(new.created_at, AT);
    assert!(new.existing_finding_id.is_none() && new.witness.is_some());
    assert!(findings.iter().any(AccessPreviewFinding::adds_active));
}

#[test]
fn s3_bucket_block_public_access_resolves_the_public_acl_and_keeps_the_rest() {
    let bucket = |configuration: Value| {
        json!({"arn": "arn:aws:s3:::reports", "resourceType": "AWS::S3::Bucket", "account": OWNER,
               "configuration": configuration})
    };
    let current = bucket(json!({
        "bucketPolicy": allow(json!({"AWS": "444455556666"}), "s3:GetObject", "arn:aws:s3:::reports/*"),
        "bucketAclGrants": [{"permission": "READ", "grantee": {"uri": "http://acs.amazonaws.com/groups/global/AllUsers"}}]
    }));
    let proposed = bucket(json!({"bucketPublicAccessBlock": {"ignorePublicAcls": true}}));
    let findings = run(std::slice::from_ref(&current), &[proposed]);
    assert_eq!(
        shape(&findings),
        vec![
            (
                ChangeType::Unchanged,
                Status::Active,
                Some(Status::Active),
                r#"{"AWS":"444455556666"}"#.to_owned()
            ),
            (
                ChangeType::Changed,
                Status::Resolved,
                Some(Status::Active),
                r#"{"AWS":"*"}"#.to_owned()
            ),
        ]
    );
    assert!(!findings.iter().any(AccessPreviewFinding::adds_active));
    // Written ACL grants replace the current ones; an empty list removes them.
    let findings = run(&[current], &[bucket(json!({"bucketAclGrants": []}))]);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.status == Status::Resolved)
            .count(),
        1
    );
}

#[test]
fn a_new_access_point_blocks_public_access_by_default_and_others_are_kept() {
    let ap = "arn:aws:s3:us-east-1:111122223333:accesspoint/public";
    let kept = "arn:aws:s3:us-east-1:111122223333:accesspoint/partner";
    let delegate = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:*", "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OWNER}}}]});
    let current = json!({"arn": "arn:aws:s3:::reports", "resourceType": "AWS::S3::Bucket", "account": OWNER,
        "configuration": {"bucketPolicy": delegate, "accessPoints": {kept: {
            "accessPointPolicy": allow(json!({"AWS": "444455556666"}), "s3:GetObject", &format!("{kept}/object/*"))}}}});
    let public_ap = allow(json!("*"), "s3:GetObject", &format!("{ap}/object/*"));
    let proposed = json!({"arn": "arn:aws:s3:::reports", "resourceType": "AWS::S3::Bucket", "account": OWNER,
        "configuration": {"accessPoints": {ap: {"accessPointPolicy": public_ap.clone()}}}});
    let findings = run(std::slice::from_ref(&current), &[proposed]);
    // The new access point's Block Public Access is on: its public policy grants nothing.
    assert_eq!(
        shape(&findings),
        vec![(
            ChangeType::Unchanged,
            Status::Active,
            Some(Status::Active),
            r#"{"AWS":"444455556666"}"#.to_owned()
        )]
    );
    // With Block Public Access written off, the public access point is a NEW public finding.
    let proposed = json!({"arn": "arn:aws:s3:::reports", "resourceType": "AWS::S3::Bucket", "account": OWNER,
        "configuration": {"accessPoints": {ap: {"accessPointPolicy": public_ap,
            "publicAccessBlock": {"ignorePublicAcls": false, "restrictPublicBuckets": false}}}}});
    let findings = run(&[current], &[proposed]);
    let new: Vec<_> = findings
        .iter()
        .filter(|f| f.change_type == ChangeType::New)
        .collect();
    assert_eq!(new.len(), 1, "{findings:#?}");
    assert_eq!(new[0].is_public, Some(true));
}

#[test]
fn kms_keys_get_the_default_policy_and_cannot_lose_it() {
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let grant = json!({"granteePrincipal": "arn:aws:iam::444455556666:role/r",
        "operations": ["Decrypt"], "issuingAccount": OWNER});
    // A new key without a key policy: the default one, which the analyzer can read (no error).
    let new_key =
        json!({"arn": key, "resourceType": "AWS::KMS::Key", "configuration": {"grants": [grant]}});
    let p = proposal(&new_key);
    let merged = merge(None, &p).unwrap();
    let Configuration::KmsKey(k) = &merged.configuration else {
        panic!()
    };
    assert!(
        k.key_policies["default"]
            .text
            .contains("arn:aws:iam::111122223333:root")
    );
    let findings = run(&[], std::slice::from_ref(&new_key));
    assert_eq!(
        shape(&findings),
        vec![(
            ChangeType::New,
            Status::Active,
            None,
            r#"{"AWS":"arn:aws:iam::444455556666:role/r"}"#.to_owned()
        )]
    );
    // Omitted grants keep the current ones.
    let policy_only = json!({"arn": key, "resourceType": "AWS::KMS::Key", "configuration": {"keyPolicies": {
        "default": allow(json!({"AWS": "arn:aws:iam::111122223333:root"}), "kms:*", "*")}}});
    assert_eq!(
        shape(&run(std::slice::from_ref(&new_key), &[policy_only]))[0].0,
        ChangeType::Unchanged
    );
    // An empty key policy is rejected.
    let empty = json!({"arn": key, "resourceType": "AWS::KMS::Key", "configuration": {"keyPolicies": {"default": ""}}});
    let err = merge(Some(&resource(&new_key)), &proposal(&empty)).unwrap_err();
    assert!(err.message.contains("cannot be deleted"), "{err}");
}

#[test]
fn roles_need_a_trust_policy() {
    let role = "arn:aws:iam::111122223333:role/deploy";
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}]});
    let with = json!({"arn": role, "resourceType": "AWS::IAM::Role", "configuration": {"trustPolicy": trust}});
    let without = json!({"arn": role, "resourceType": "AWS::IAM::Role"});
    let empty = json!({"arn": role, "resourceType": "AWS::IAM::Role", "configuration": {"trustPolicy": ""}});
    assert!(
        merge(None, &proposal(&without))
            .unwrap_err()
            .message
            .contains("needs a trust policy")
    );
    assert!(
        merge(Some(&resource(&with)), &proposal(&empty))
            .unwrap_err()
            .message
            .contains("cannot be deleted")
    );
    // An existing role keeps its trust policy when the proposal omits it.
    assert_eq!(
        shape(&run(std::slice::from_ref(&with), &[without]))[0].0,
        ChangeType::Unchanged
    );
    assert_eq!(shape(&run(&[], &[with]))[0].0, ChangeType::New);
}

#[test]
fn lambda_functions_are_previewed_too() {
    let function = "arn:aws:lambda:us-east-1:111122223333:function:thumbnailer";
    let current = json!({"arn": function, "resourceType": "AWS::Lambda::Function", "configuration": {
        "functionPolicy": allow(json!({"AWS": "444455556666"}), "lambda:InvokeFunction", function)}});
    let public = json!({"arn": function, "resourceType": "AWS::Lambda::Function", "configuration": {
        "functionPolicy": allow(json!("*"), "lambda:InvokeFunction", function)}});
    let findings = run(std::slice::from_ref(&current), &[public]);
    assert_eq!(
        findings
            .iter()
            .map(|f| f.change_type)
            .collect::<std::collections::BTreeSet<_>>(),
        [ChangeType::New, ChangeType::Changed].into()
    );
    let gone = json!({"arn": function, "resourceType": "AWS::Lambda::Function", "configuration": {"functionPolicy": ""}});
    assert_eq!(shape(&run(&[current], &[gone]))[0].1, Status::Resolved);
}

#[test]
fn secrets_and_snapshots_follow_the_defaults() {
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
    let policy = allow(
        json!({"AWS": "444455556666"}),
        "secretsmanager:GetSecretValue",
        "*",
    );
    // A new secret without kmsKeyId is encrypted with aws/secretsmanager: no external access.
    let new = json!({"arn": secret, "resourceType": "AWS::SecretsManager::Secret",
        "configuration": {"secretPolicy": policy}});
    assert!(run(&[], std::slice::from_ref(&new)).is_empty());
    let with_key = json!({"arn": secret, "resourceType": "AWS::SecretsManager::Secret",
        "configuration": {"kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/k"}});
    // The key is proposed, the policy kept from the current secret.
    assert_eq!(shape(&run(&[new], &[with_key]))[0].0, ChangeType::New);

    let snapshot = "arn:aws:ec2:us-east-1:111122223333:snapshot/snap-0123456789abcdef0";
    let shared = json!({"arn": snapshot, "resourceType": "AWS::EC2::Snapshot",
        "configuration": {"groups": ["all"], "userIds": ["444455556666"]}});
    let private = json!({"arn": snapshot, "resourceType": "AWS::EC2::Snapshot",
        "configuration": {"groups": []}});
    let findings = run(&[shared], &[private]);
    assert_eq!(
        shape(&findings)
            .iter()
            .map(|s| (s.0, s.1, s.3.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                ChangeType::Unchanged,
                Status::Active,
                r#"{"AWS":"444455556666"}"#.to_owned()
            ),
            (
                ChangeType::Changed,
                Status::Resolved,
                r#"{"AWS":"*"}"#.to_owned()
            ),
        ]
    );
}

#[test]
fn statuses_follow_archive_rules_and_resolved_findings() {
    let current = queue(
        json!({"queuePolicy": allow(json!({"AWS": "444455556666"}), "sqs:SendMessage", QUEUE)}),
    );
    let rules = parse_rules(
        r#"[{"ruleName": "partner", "filter": {"principal.AWS": {"eq": ["444455556666"]}}}]"#,
    )
    .unwrap();
    // New access an archive rule matches is ARCHIVED and adds nothing active.
    let findings = preview(&[], &[proposal(&current)], &ctx(), &rules).unwrap();
    assert_eq!(
        (findings[0].change_type, findings[0].status),
        (ChangeType::New, Status::Archived)
    );
    assert!(!findings[0].adds_active());
    // An archived finding that stays is UNCHANGED and ARCHIVED.
    let findings = preview(
        &[resource(&current)],
        &[proposal(&queue(json!({})))],
        &ctx(),
        &rules,
    )
    .unwrap();
    assert_eq!(
        (
            findings[0].change_type,
            findings[0].status,
            findings[0].existing_finding_status
        ),
        (
            ChangeType::Unchanged,
            Status::Archived,
            Some(Status::Archived)
        )
    );
    // A RESOLVED finding that comes back is CHANGED to ACTIVE; one still absent is UNCHANGED.
    let mut resolved = current_findings(&resource(&current), &ctx(), &[]);
    resolved[0].status = Status::Resolved;
    let back = preview_resource(
        Some(&resource(&current)),
        &proposal(&queue(json!({}))),
        &resolved,
        &ctx(),
        &[],
    )
    .unwrap();
    assert_eq!(
        (
            back[0].change_type,
            back[0].status,
            back[0].existing_finding_status
        ),
        (ChangeType::Changed, Status::Active, Some(Status::Resolved))
    );
    assert!(back[0].adds_active());
    let still = preview_resource(
        Some(&resource(&current)),
        &proposal(&queue(json!({"queuePolicy": ""}))),
        &resolved,
        &ctx(),
        &[],
    )
    .unwrap();
    assert_eq!(
        (still[0].change_type, still[0].status),
        (ChangeType::Unchanged, Status::Resolved)
    );
}

#[test]
fn a_proposal_of_another_type_or_account_is_rejected() {
    let current = queue(json!({}));
    // The ARN is a queue's, so the reader itself rejects an SNS topic with it; build one by hand.
    let mut p = proposal(&queue(json!({})));
    p.resource.resource_type = keyhole_sources::ResourceType::SnsTopic;
    p.resource.configuration = Configuration::empty(keyhole_sources::ResourceType::SnsTopic);
    assert!(merge(Some(&resource(&current)), &p).is_err());
    let mut other = proposal(&queue(json!({})));
    other.resource.account = "444455556666".to_owned();
    assert!(merge(Some(&resource(&current)), &other).is_err());
}
