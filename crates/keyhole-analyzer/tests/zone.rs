//! Organization zones: `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths` under the zone's own
//! organization are internal; the same conditions are findings for an account zone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyhole_analyzer::{SearchLimits, Target, Zone, external_access};
use keyhole_policy::parse_policy;

fn target() -> Target {
    Target {
        resource: "arn:aws:s3:::b".to_owned(),
        resource_patterns: vec!["arn:aws:s3:::b".to_owned(), "arn:aws:s3:::b/*".to_owned()],
        action_patterns: vec!["s3:GetObject".to_owned()],
        actions: vec!["s3:GetObject".to_owned()].into(),
        requires: Vec::new(),
    }
}

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/k";

/// A KMS key analysed on its own ARN for `kms:Decrypt`, as `keyhole analyze` does.
fn kms_target() -> Target {
    Target {
        resource: KEY.to_owned(),
        resource_patterns: vec![KEY.to_owned()],
        action_patterns: vec!["kms:*".to_owned()],
        actions: vec!["kms:Decrypt".to_owned()].into(),
        requires: Vec::new(),
    }
}

const PATHS: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
    "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-aaa/r-ab12/ou-ab12-1/*"}}}]}"#;

#[test]
fn org_paths_inside_the_organization_are_internal() {
    let policy = parse_policy(PATHS).unwrap();
    let org = Zone::organization("o-aaa", ["111122223333".to_owned()]);
    let found = external_access(&policy, &target(), &org, &SearchLimits::default()).unwrap();
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn org_paths_are_a_finding_for_an_account_zone() {
    let policy = parse_policy(PATHS).unwrap();
    let found = external_access(
        &policy,
        &target(),
        &Zone::account("111122223333"),
        &SearchLimits::default(),
    )
    .unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0]
            .condition
            .get("aws:PrincipalOrgPaths")
            .map(String::as_str),
        Some("o-aaa/r-ab12/ou-ab12-1/*")
    );
    assert_eq!(found[0].principal.value, "*");
}

#[test]
fn paths_of_another_organization_stay_external() {
    let policy = parse_policy(&PATHS.replace("o-aaa/", "o-bbb/")).unwrap();
    let org = Zone::organization("o-aaa", ["111122223333".to_owned()]);
    let found = external_access(&policy, &target(), &org, &SearchLimits::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
}

/// A policy that names only the zone's principals and services grants no external access, even
/// with conditions the engine does not decide (the search is skipped, not approximated).
#[test]
fn zone_and_service_principals_alone_grant_nothing() {
    let policy = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:role/r"],
            "Service": "logging.s3.amazonaws.com"}, "Action": "s3:*", "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": "${aws:username}/*"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    let zone = Zone::account("111122223333");
    let found = external_access(&policy, &target(), &zone, &SearchLimits::default()).unwrap();
    assert!(found.is_empty(), "{found:#?}");
}

/// One outside principal among the zone's own is searched as usual.
#[test]
fn an_outside_principal_among_zone_principals_is_found() {
    let policy = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#,
    )
    .unwrap();
    let zone = Zone::account("111122223333");
    let found = external_access(&policy, &target(), &zone, &SearchLimits::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].principal.value, "444455556666");
}

/// One account named two ways in two statements is one finding for that account, and nothing
/// public: each spelling's callers stay under the account's label.
#[test]
fn one_account_spelled_two_ways_is_not_public() {
    let policy = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#,
    )
    .unwrap();
    let zone = Zone::account("111122223333");
    let found = external_access(&policy, &target(), &zone, &SearchLimits::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].principal.value, "444455556666");
}

/// `kms:CallerAccount` is set by AWS to the caller's own account, like `aws:PrincipalAccount`:
/// the key statement "every principal of the account, through a service" grants nothing
/// outside the zone, while another account's value is a finding scoped by it.
#[test]
fn kms_caller_account_is_the_callers_own_account() {
    let kms = kms_target();
    let policy = |account: &str| {
        parse_policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
            "Principal": {{"AWS": "*"}}, "Action": ["kms:Decrypt"], "Resource": "*",
            "Condition": {{"StringEquals": {{"kms:CallerAccount": "{account}",
                "kms:ViaService": "s3.us-east-1.amazonaws.com"}}}}}}]}}"#
        ))
        .unwrap()
    };
    let zone = Zone::account("111122223333");
    let limits = SearchLimits::default();
    let own = external_access(&policy("111122223333"), &kms, &zone, &limits).unwrap();
    assert!(own.is_empty(), "{own:#?}");
    let org = Zone::organization(
        "o-aaa",
        ["111122223333".to_owned(), "555566667777".to_owned()],
    );
    let member = external_access(&policy("555566667777"), &kms, &org, &limits).unwrap();
    assert!(member.is_empty(), "{member:#?}");
    let other = external_access(&policy("444455556666"), &kms, &zone, &limits).unwrap();
    assert_eq!(other.len(), 1, "{other:#?}");
    assert_eq!(
        other[0]
            .condition
            .get("kms:CallerAccount")
            .map(String::as_str),
        Some("444455556666")
    );
    let witness = &other[0].witness;
    assert_eq!(
        witness.principal.account(),
        Some("444455556666"),
        "{witness:?}"
    );
}

/// `ForAllValues` holds for a caller without the key, so a `Principal: "*"` statement scoped
/// only by `ForAllValues:StringEquals` on an organization key lets in callers of no
/// organization: the finding is public and unscoped, for an account zone and for the
/// organization's own zone alike.
#[test]
fn for_all_values_on_an_org_key_does_not_scope_callers_without_it() {
    for key in ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"] {
        let policy = parse_policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {{"ForAllValues:StringEquals": {{"{key}": "o-aaa"}}}}}}]}}"#
        ))
        .unwrap();
        for zone in [
            Zone::account("111122223333"),
            Zone::organization("o-aaa", ["111122223333".to_owned()]),
        ] {
            let found =
                external_access(&policy, &target(), &zone, &SearchLimits::default()).unwrap();
            assert_eq!(found.len(), 1, "{key}: {found:#?}");
            assert!(found[0].condition.is_empty(), "{key}: {found:#?}");
            assert_eq!(found[0].principal.value, "*");
        }
    }
}

/// A fixed `s3:x-amz-server-side-encryption-aws-kms-key-id` is one of the conditions that make
/// a bucket policy non-public in S3's definition: it scopes the finding, which is not public.
#[test]
fn a_fixed_sse_kms_key_scopes_a_bucket_finding() {
    let policy = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
        "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id":
            "arn:aws:kms:us-east-1:111122223333:key/k"}}}]}"#,
    )
    .unwrap();
    let zone = Zone::account("111122223333");
    let found = external_access(&policy, &target(), &zone, &SearchLimits::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    let key = "s3:x-amz-server-side-encryption-aws-kms-key-id";
    assert_eq!(
        found[0].condition.get(key).map(String::as_str),
        Some("arn:aws:kms:us-east-1:111122223333:key/k")
    );
    assert!(!keyhole_analyzer::search::is_public(
        &found[0].principal,
        &found[0].condition
    ));
}

/// A key policy is analysed on the key's own ARN: `"Resource": "*"` grants it (and the witness
/// names the key), a statement naming another key grants nothing here.
#[test]
fn a_key_policy_is_about_its_own_key() {
    let key = KEY;
    let kms = kms_target();
    let policy = |resource: &str| {
        parse_policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
            "Principal": {{"AWS": "444455556666"}}, "Action": "kms:Decrypt",
            "Resource": "{resource}"}}]}}"#
        ))
        .unwrap()
    };
    let zone = Zone::account("111122223333");
    let limits = SearchLimits::default();
    let star = external_access(&policy("*"), &kms, &zone, &limits).unwrap();
    assert_eq!(star.len(), 1, "{star:#?}");
    assert_eq!(star[0].witness.resource, key);
    let own = external_access(&policy(key), &kms, &zone, &limits).unwrap();
    assert_eq!(own.len(), 1, "{own:#?}");
    assert_eq!(own[0].witness.resource, key);
    let other = external_access(
        &policy("arn:aws:kms:us-east-1:111122223333:key/other"),
        &kms,
        &zone,
        &limits,
    )
    .unwrap();
    assert!(other.is_empty(), "{other:#?}");
}

/// A bucket finding through another account's access point carries the
/// `S3_ACCESS_POINT_ACCOUNT` source, and its id is the one its canonical key (which covers the
/// source) gives.
#[test]
fn a_delegated_bucket_findings_id_covers_its_source() {
    let found =
        analyze_bucket_reading(serde_json::json!({"s3:DataAccessPointAccount": "444455556666"}));
    assert_eq!(found.len(), 1, "{found:#?}");
    let sources = found[0].sources.clone().unwrap_or_default();
    assert_eq!(sources[0].kind, "S3_ACCESS_POINT_ACCOUNT");
    let mut again = found[0].clone();
    again.assign_id();
    assert_eq!(again.id, found[0].id);
}

/// `s3:DataAccessPointArn` naming one of the zone's own access points is no cross-account
/// delegation: the finding stays non-public with the `POLICY` source.
#[test]
fn an_own_access_point_arn_is_not_a_cross_account_delegation() {
    let found = analyze_bucket_reading(serde_json::json!({
        "s3:DataAccessPointArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1"}));
    for f in found {
        assert_eq!(f.is_public, Some(false), "{f:#?}");
        let sources = f.sources.unwrap_or_default();
        assert!(sources.iter().all(|s| s.kind == "POLICY"), "{sources:?}");
    }
}

/// `keyhole analyze`'s findings for bucket `bkt` of account `111122223333` whose policy lets
/// anyone `s3:GetObject` under `StringEquals` on `condition`.
fn analyze_bucket_reading(condition: serde_json::Value) -> Vec<keyhole_analyzer::Finding> {
    let object = serde_json::json!({"resources": [{"arn": "arn:aws:s3:::bkt",
        "resourceType": "AWS::S3::Bucket", "account": "111122223333",
        "configuration": {"bucketPolicy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bkt/*",
            "Condition": {"StringEquals": condition}}]}}}]});
    let mut loaded =
        keyhole_sources::read_str(std::path::Path::new("t.json"), &object.to_string()).unwrap();
    let resource = loaded.resources.remove(0);
    let ctx = keyhole_analyzer::Context {
        zone: Zone::account("111122223333"),
        ..keyhole_analyzer::Context::default()
    };
    keyhole_analyzer::analyze(&resource, &ctx)
}
