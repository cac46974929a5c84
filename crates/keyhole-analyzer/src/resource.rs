//! Resource-type models: what each type's configuration lets external callers do.
//!
//! Policy-based types go through the exact search ([`crate::search`]); sharing attributes
//! (snapshots), ACL grants and KMS grants are read directly. Decisions Access Analyzer leaves
//! implicit, and keyhole's choices, are written next to the code that makes them:
//! - S3: bucket policy, ACL grants (with `ignorePublicAcls`), `restrictPublicBuckets` (bucket
//!   or account level: a public bucket policy then admits only the owner account and services,
//!   so its findings are dropped), same-account access points (their own policy, analysed on
//!   the access point's ARNs; a VPC network origin adds `aws:SourceVpc` to the condition). The
//!   bucket policy's delegation to access points is not intersected with the access point
//!   policy: access point findings may over-report, never under-report.
//! - IAM roles are global: one finding per role, whatever the region.
//! - KMS: the key policies and the grants (a grantee outside the zone gets a finding listing
//!   the grant's operations). A key policy that lets neither the account nor Access Analyzer's
//!   service-linked role read the key yields Access Analyzer's `ACCESS_DENIED` error finding.
//! - Secrets Manager: a secret encrypted with the AWS managed key `aws/secretsmanager` (no
//!   `kmsKeyId`) cannot be read from another account, so its policy yields no finding.
//! - EBS / RDS snapshots: `all` is public; each listed account outside the zone gets a finding.

use std::collections::BTreeMap;

use keyhole_policy::condition::BaseOperator;
use keyhole_policy::request::Request;
use keyhole_policy::{Decision, EvalOptions, Layer, Policy, PolicySet, evaluate, parse_policy};
use keyhole_sources::{
    AclGrantee, AclPermission, Configuration, KmsKey, PolicySource, PublicAccessBlock, Resource,
    ResourceType,
};

use crate::finding::{Finding, FindingSource, StatementRef, Status};
use crate::search::{Access, SearchLimits, Target, external_access, is_public, plain};
use crate::zone::Zone;

/// What an analysis needs besides the resource.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The zone of trust.
    pub zone: Zone,
    /// The timestamp written into `createdAt`, `analyzedAt` and `updatedAt` (RFC 3339).
    pub analyzed_at: String,
    /// Account-level S3 Block Public Access, by account.
    pub account_public_access_blocks: BTreeMap<String, PublicAccessBlock>,
    /// The search's budget.
    pub limits: SearchLimits,
}

/// The findings of one resource, sorted by id.
#[must_use]
pub fn analyze(resource: &Resource, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let base = Base { resource, ctx };
    match &resource.configuration {
        Configuration::S3Bucket(bucket) => {
            let account_bpa = ctx
                .account_public_access_blocks
                .get(&resource.account)
                .copied()
                .unwrap_or_default();
            let bpa = merge(bucket.bucket_public_access_block, account_bpa);
            if let Some(policy) = &bucket.bucket_policy {
                let sources = vec![FindingSource {
                    kind: "POLICY".to_owned(),
                    detail: None,
                }];
                let found = base.policy(
                    "bucketPolicy",
                    policy,
                    &bucket_target(&resource.arn),
                    &sources,
                );
                let found = delegated_to_other_accounts(found, bpa.restrict_public_buckets);
                out.extend(restrict_public(found, bpa.restrict_public_buckets));
            }
            out.extend(base.acl(
                &bucket.bucket_acl_grants,
                bucket.owner_canonical_id.as_deref(),
                bpa,
            ));
            for (ap_arn, ap) in &bucket.access_points {
                let Some(policy) = &ap.access_point_policy else {
                    continue;
                };
                match delegates(
                    bucket.bucket_policy.as_ref(),
                    ap_arn,
                    &resource.account,
                    &ctx.zone,
                ) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(reason) => {
                        out.push(base.error(
                            "UNDECIDED",
                            format!("bucketPolicy (delegation to {ap_arn}): {reason}"),
                        ));
                        continue;
                    }
                }
                let ap_bpa = merge(ap.public_access_block, bpa);
                let sources = vec![FindingSource {
                    kind: "S3_ACCESS_POINT".to_owned(),
                    detail: Some(BTreeMap::from([(
                        "accessPointArn".to_owned(),
                        ap_arn.clone(),
                    )])),
                }];
                let target = Target {
                    resource: resource.arn.clone(),
                    resource_patterns: vec![ap_arn.clone(), format!("{ap_arn}/object/*")],
                    action_patterns: vec!["s3:*".to_owned()],
                    actions: crate::actions::of_service("s3"),
                    requires: Vec::new(),
                };
                let mut found = base.policy(
                    &format!("accessPoints.{ap_arn}.accessPointPolicy"),
                    policy,
                    &target,
                    &sources,
                );
                if let Some(keyhole_sources::NetworkOrigin::Vpc { vpc_id }) = &ap.network_origin {
                    for f in &mut found {
                        if f.error.is_none() {
                            f.condition
                                .insert("aws:SourceVpc".to_owned(), vpc_id.clone());
                            f.is_public = Some(false);
                            f.assign_id();
                        }
                    }
                }
                out.extend(restrict_public(found, ap_bpa.restrict_public_buckets));
            }
        }
        Configuration::S3ExpressDirectoryBucket(bucket) => {
            if let Some(policy) = &bucket.bucket_policy {
                let target = Target {
                    resource: resource.arn.clone(),
                    resource_patterns: vec![resource.arn.clone(), format!("{}/*", resource.arn)],
                    action_patterns: vec!["s3express:*".to_owned()],
                    actions: crate::actions::of_service("s3express"),
                    requires: Vec::new(),
                };
                out.extend(base.policy("bucketPolicy", policy, &target, &[]));
            }
        }
        Configuration::IamRole { trust_policy } => {
            if let Some(policy) = trust_policy {
                // Assuming a role is a request on the role's ARN (trust policies have no
                // `Resource`, which matches it).
                let target = Target {
                    resource: resource.arn.clone(),
                    resource_patterns: vec![resource.arn.clone()],
                    action_patterns: vec!["sts:*".to_owned()],
                    actions: [
                        "sts:AssumeRole",
                        "sts:AssumeRoleWithSAML",
                        "sts:AssumeRoleWithWebIdentity",
                        "sts:SetContext",
                        "sts:SetSourceIdentity",
                        "sts:TagSession",
                    ]
                    .map(str::to_owned)
                    .into(),
                    requires: Vec::new(),
                };
                out.extend(base.policy("trustPolicy", policy, &target, &[]));
            }
        }
        Configuration::KmsKey(key) => out.extend(base.kms(key)),
        Configuration::SecretsManagerSecret(secret) => {
            let managed = secret.kms_key_id.as_deref().is_none_or(|k| {
                k.is_empty() || k.ends_with("alias/aws/secretsmanager") || k == "aws/secretsmanager"
            });
            if let (Some(policy), false) = (&secret.secret_policy, managed) {
                out.extend(base.policy(
                    "secretPolicy",
                    policy,
                    &simple_target(resource, "secretsmanager"),
                    &[],
                ));
            }
        }
        Configuration::Ec2Snapshot(snapshot) => {
            out.extend(base.shared(
                &snapshot.user_ids,
                snapshot.groups.iter().any(|g| g == "all"),
                &["ec2:CreateVolume"],
            ));
        }
        Configuration::RdsDbSnapshot(snapshot) | Configuration::RdsDbClusterSnapshot(snapshot) => {
            let restore = snapshot
                .attributes
                .get("restore")
                .cloned()
                .unwrap_or_default();
            let accounts: Vec<String> = restore.iter().filter(|a| *a != "all").cloned().collect();
            let actions: &[&str] = if resource.resource_type == ResourceType::RdsDbClusterSnapshot {
                &[
                    "rds:CopyDBClusterSnapshot",
                    "rds:RestoreDBClusterFromSnapshot",
                ]
            } else {
                &["rds:CopyDBSnapshot", "rds:RestoreDBInstanceFromDBSnapshot"]
            };
            out.extend(base.shared(&accounts, restore.iter().any(|a| a == "all"), actions));
        }
        other => {
            for named in other.policies() {
                let (service, patterns) = policy_target(resource);
                let target = Target {
                    resource: resource.arn.clone(),
                    resource_patterns: patterns,
                    action_patterns: vec![format!("{service}:*")],
                    actions: crate::actions::of_service(service),
                    requires: Vec::new(),
                };
                out.extend(base.policy(&named.field, named.policy, &target, &[]));
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// The service and resource globs of a policy-based type.
fn policy_target(resource: &Resource) -> (&'static str, Vec<String>) {
    let arn = resource.arn.clone();
    match resource.resource_type {
        ResourceType::LambdaFunction => ("lambda", vec![arn.clone(), format!("{arn}:*")]),
        ResourceType::LambdaLayerVersion => ("lambda", vec![arn]),
        ResourceType::SqsQueue => ("sqs", vec![arn]),
        ResourceType::SnsTopic => ("sns", vec![arn]),
        ResourceType::EcrRepository => ("ecr", vec![arn]),
        ResourceType::EfsFileSystem => ("elasticfilesystem", vec![arn]),
        ResourceType::DynamoDbTable => ("dynamodb", vec![arn.clone(), format!("{arn}/*")]),
        ResourceType::DynamoDbStream => ("dynamodb", vec![arn]),
        // An API's policy names execute-api ARNs of the API's methods.
        ResourceType::ApiGatewayRestApi => ("execute-api", vec!["*".to_owned()]),
        ResourceType::OpenSearchServiceDomain => ("es", vec![arn.clone(), format!("{arn}/*")]),
        ResourceType::BackupVault => ("backup", vec![arn]),
        ResourceType::GlacierVault => ("glacier", vec![arn]),
        ResourceType::KinesisStream => ("kinesis", vec![arn]),
        ResourceType::EventsEventBus => ("events", vec![arn]),
        _ => ("*", vec![arn]),
    }
}

fn simple_target(resource: &Resource, service: &str) -> Target {
    Target {
        resource: resource.arn.clone(),
        resource_patterns: vec![resource.arn.clone()],
        action_patterns: vec![format!("{service}:*")],
        actions: crate::actions::of_service(service),
        requires: Vec::new(),
    }
}

/// A bucket policy's own findings: requests made directly, or through an access point of
/// another account. Requests through the zone's own access points also need the access point's
/// policy; they are reported with that access point (`search` treats them as internal).
fn bucket_target(arn: &str) -> Target {
    Target {
        resource: arn.to_owned(),
        resource_patterns: vec![arn.to_owned(), format!("{arn}/*")],
        action_patterns: vec!["s3:*".to_owned()],
        actions: crate::actions::of_service("s3"),
        requires: Vec::new(),
    }
}

/// Whether the bucket policy lets some external caller in through the access point `ap_arn`
/// of the bucket's account (S3 checks the bucket policy too for access point requests).
fn delegates(
    bucket_policy: Option<&PolicySource>,
    ap_arn: &str,
    owner: &str,
    zone: &Zone,
) -> Result<bool, String> {
    let Some(source) = bucket_policy else {
        return Ok(false);
    };
    let Some(policy) = source.policy() else {
        return Ok(false);
    };
    let options = keyhole_logic::QueryOptions {
        kind: keyhole_logic::PolicyKind::Resource,
        ..Default::default()
    };
    let mut space = keyhole_logic::Space::linked(&options)?;
    let allowed = space.allowed(policy)?;
    let via_arn = space.condition(
        plain(BaseOperator::StringEquals),
        "s3:DataAccessPointArn",
        &[ap_arn],
        false,
    )?;
    let via_account = space.condition(
        plain(BaseOperator::StringEquals),
        "s3:DataAccessPointAccount",
        &[owner],
        false,
    )?;
    let accounts: Vec<&str> = zone.accounts.iter().map(String::as_str).collect();
    let inside = space.caller_account_in(&accounts);
    let service = space.caller_kind(&[keyhole_logic::CallerKind::Service]);
    let external = inside.or(service).negate();
    let question = keyhole_logic::Expr::all([allowed, via_arn, via_account, external]);
    match space.solve(&question) {
        keyhole_logic::Answer::Yes(_) => Ok(true),
        keyhole_logic::Answer::No => Ok(false),
        keyhole_logic::Answer::Unknown(reason) => Err(reason),
    }
}

/// The most restrictive of two Block Public Access settings.
fn merge(own: Option<PublicAccessBlock>, account: PublicAccessBlock) -> PublicAccessBlock {
    let own = own.unwrap_or_default();
    PublicAccessBlock {
        ignore_public_acls: own.ignore_public_acls || account.ignore_public_acls,
        restrict_public_buckets: own.restrict_public_buckets || account.restrict_public_buckets,
    }
}

/// The access point account of a bucket finding that another account's access points reach
/// (`s3:DataAccessPointAccount`; a value in the zone is internal, so any left is another
/// account's). An `s3:DataAccessPointArn` condition keeps the `POLICY` source: its account
/// may be the zone's own.
fn access_point_scope(f: &Finding) -> Option<&str> {
    f.condition
        .get("s3:DataAccessPointAccount")
        .map(String::as_str)
}

/// Bucket findings reached through access points of accounts outside the zone (the zone's own
/// access points are internal). Access Analyzer documents these as a *public* finding while
/// Block Public Access is off, since the other account's access point policy is not known (the
/// access point condition does not pin the caller, [`crate::search::is_public`]), and as a
/// cross-account finding once it is on (`restrictPublicBuckets` still lets the access point's
/// owner account in); the source is `S3_ACCESS_POINT_ACCOUNT`.
fn delegated_to_other_accounts(found: Vec<Finding>, restrict: bool) -> Vec<Finding> {
    found
        .into_iter()
        .map(|mut f| {
            let Some(account) = access_point_scope(&f) else {
                return f;
            };
            let detail = BTreeMap::from([("accessPointAccount".to_owned(), account.to_owned())]);
            f.sources = Some(vec![FindingSource {
                kind: "S3_ACCESS_POINT_ACCOUNT".to_owned(),
                detail: Some(detail),
            }]);
            if restrict {
                f.is_public = Some(false);
            }
            // The id covers the sources.
            f.assign_id();
            f
        })
        .collect()
}

/// `restrictPublicBuckets`: when the policy is public, only the owner account, the owner
/// accounts of access points it delegates to, and AWS services get in through it, so none of
/// its other findings stand. Findings through another account's access points do not make the
/// policy public (S3 counts a fixed `s3:DataAccessPointAccount` as non-public).
fn restrict_public(found: Vec<Finding>, restrict: bool) -> Vec<Finding> {
    let public = found
        .iter()
        .any(|f| f.is_public == Some(true) && access_point_scope(f).is_none());
    if restrict && public {
        found
            .into_iter()
            .filter(|f| f.error.is_some() || access_point_scope(f).is_some())
            .collect()
    } else {
        found
    }
}

struct Base<'a> {
    resource: &'a Resource,
    ctx: &'a Context,
}

impl Base<'_> {
    fn finding(&self) -> Finding {
        Finding {
            id: String::new(),
            principal: None,
            action: None,
            resource: self.resource.arn.clone(),
            is_public: None,
            resource_type: self.resource.resource_type.as_str().to_owned(),
            condition: BTreeMap::new(),
            created_at: self.ctx.analyzed_at.clone(),
            analyzed_at: self.ctx.analyzed_at.clone(),
            updated_at: self.ctx.analyzed_at.clone(),
            status: Status::Active,
            resource_owner_account: self.resource.account.clone(),
            error: None,
            error_detail: None,
            sources: None,
            witness: None,
            statements: Vec::new(),
        }
    }

    fn error(&self, code: &str, detail: String) -> Finding {
        let mut f = Finding {
            error: Some(code.to_owned()),
            error_detail: Some(detail),
            ..self.finding()
        };
        f.assign_id();
        f
    }

    /// The findings of one policy of the resource.
    fn policy(
        &self,
        field: &str,
        source: &PolicySource,
        target: &Target,
        sources: &[FindingSource],
    ) -> Vec<Finding> {
        let policy = match &source.parsed {
            Ok(p) => p,
            Err(e) => {
                let at = source.error_location.map_or_else(
                    || source.origin.to_string(),
                    |l| {
                        format!(
                            "{}:{}:{}",
                            source.origin.file.display(),
                            l.line,
                            l.column + 1
                        )
                    },
                );
                return vec![self.error("INVALID_POLICY", format!("{field}: {at}: {e}"))];
            }
        };
        if let Err(reason) = crate::search::check_resource_policy(policy) {
            return vec![self.error(
                "INVALID_POLICY",
                format!("{field}: {}: {reason}", source.origin),
            )];
        }
        let accesses = match external_access(policy, target, &self.ctx.zone, &self.ctx.limits) {
            Ok(a) => a,
            Err(reason) => return vec![self.error("UNDECIDED", format!("{field}: {reason}"))],
        };
        if accesses.is_empty() {
            return Vec::new();
        }
        // The evaluator re-checks every witness against this one set (built once per policy,
        // not per finding: the policy's copy was a tenth of a heavy policy's findings time).
        let set = PolicySet {
            identity: vec![allow_all()],
            resource: Some(policy.clone()),
            ..Default::default()
        };
        let mut out = Vec::new();
        for access in accesses {
            match self.access_finding(field, &set, &access, sources) {
                Ok(f) => out.push(f),
                Err(detail) => out.push(self.error("UNDECIDED", detail)),
            }
        }
        out
    }

    fn access_finding(
        &self,
        field: &str,
        set: &PolicySet,
        access: &Access,
        sources: &[FindingSource],
    ) -> Result<Finding, String> {
        let mut request: Request = access.witness.to_request();
        request.resource_account = Some(self.resource.account.clone());
        let evaluation = evaluate(&request, set, &EvalOptions::default());
        if evaluation.decision != Decision::Allowed {
            return Err(format!(
                "{field}: internal: the engine's witness for {} {} is not allowed by the evaluator ({:?})",
                access.principal.kind, access.principal.value, evaluation.reasons
            ));
        }
        let statements = evaluation
            .matched
            .iter()
            .filter(|m| m.layer == Layer::Resource && m.effect == keyhole_policy::Effect::Allow)
            .map(|m| StatementRef {
                policy: field.to_owned(),
                index: m.statement_index,
                sid: m.sid.clone(),
            })
            .collect();
        let mut f = Finding {
            principal: Some(BTreeMap::from([(
                access.principal.kind.clone(),
                access.principal.value.clone(),
            )])),
            action: Some(access.actions.clone()),
            is_public: Some(is_public(&access.principal, &access.condition)),
            condition: access.condition.clone(),
            sources: (!sources.is_empty()).then(|| sources.to_vec()),
            witness: Some(keyhole_policy::scenario::request_to_json(&request)),
            statements,
            ..self.finding()
        };
        f.assign_id();
        Ok(f)
    }

    /// S3 ACL grants to other accounts and to the public groups.
    fn acl(
        &self,
        grants: &[keyhole_sources::AclGrant],
        owner: Option<&str>,
        bpa: PublicAccessBlock,
    ) -> Vec<Finding> {
        let mut by_grantee: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for grant in grants {
            let (kind, value) = match &grant.grantee {
                AclGrantee::Uri(uri)
                    if uri == keyhole_sources::ALL_USERS_URI
                        || uri == keyhole_sources::AUTHENTICATED_USERS_URI =>
                {
                    if bpa.ignore_public_acls {
                        continue;
                    }
                    ("AWS".to_owned(), "*".to_owned())
                }
                AclGrantee::Uri(_) => continue,
                AclGrantee::Id(id)
                    if Some(id.as_str()) == owner || self.ctx.zone.canonical_ids.contains(id) =>
                {
                    continue;
                }
                AclGrantee::Id(id) => ("CanonicalUser".to_owned(), id.clone()),
            };
            by_grantee.entry((kind, value)).or_default().extend(
                acl_actions(grant.permission)
                    .iter()
                    .map(|a| (*a).to_owned()),
            );
        }
        by_grantee
            .into_iter()
            .map(|((kind, value), mut actions)| {
                actions.sort();
                actions.dedup();
                let public = kind == "AWS";
                let mut f = Finding {
                    principal: Some(BTreeMap::from([(kind, value)])),
                    action: Some(actions),
                    is_public: Some(public),
                    sources: Some(vec![FindingSource {
                        kind: "BUCKET_ACL".to_owned(),
                        detail: None,
                    }]),
                    ..self.finding()
                };
                f.assign_id();
                f
            })
            .collect()
    }

    /// Snapshots shared with accounts or with everyone.
    fn shared(&self, accounts: &[String], public: bool, actions: &[&str]) -> Vec<Finding> {
        let actions: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
        let mut out = Vec::new();
        let mut principals: Vec<(String, bool)> = accounts
            .iter()
            .filter(|a| !self.ctx.zone.trusts(a))
            .map(|a| (a.clone(), false))
            .collect();
        if public {
            principals.push(("*".to_owned(), true));
        }
        principals.sort();
        principals.dedup();
        for (who, is_public) in principals {
            let mut f = Finding {
                principal: Some(BTreeMap::from([("AWS".to_owned(), who)])),
                action: Some(actions.clone()),
                is_public: Some(is_public),
                ..self.finding()
            };
            f.assign_id();
            out.push(f);
        }
        out
    }

    fn kms(&self, key: &KmsKey) -> Vec<Finding> {
        let mut out = Vec::new();
        // Key policies say `"Resource": "*"` for "this key": every request on the key names the
        // key's own ARN, which `*` matches, and so does a witness.
        let target = simple_target(self.resource, "kms");
        for (name, source) in &key.key_policies {
            if let Some(policy) = source.policy()
                && !self.analyzer_can_read_key(policy)
            {
                return vec![self.error(
                    "ACCESS_DENIED",
                    format!("keyPolicies.{name}: the key policy lets neither the account nor Access Analyzer's service-linked role read the key"),
                )];
            }
            out.extend(self.policy(&format!("keyPolicies.{name}"), source, &target, &[]));
        }
        for grant in &key.grants {
            let grantee = grant.grantee_principal.as_str();
            let account =
                keyhole_policy::arn::Arn::account_of(grantee).unwrap_or_else(|| grantee.to_owned());
            if self.ctx.zone.trusts(&account) || grantee.ends_with(".amazonaws.com") {
                continue;
            }
            let mut actions: Vec<String> = grant
                .operations
                .iter()
                .map(|op| format!("kms:{}", op.as_str()))
                .collect();
            actions.sort();
            actions.dedup();
            let mut f = Finding {
                principal: Some(BTreeMap::from([("AWS".to_owned(), grantee.to_owned())])),
                action: Some(actions),
                is_public: Some(false),
                ..self.finding()
            };
            f.assign_id();
            out.push(f);
        }
        out
    }

    /// Access Analyzer reads a key through its service-linked role; the key policy must allow
    /// that role, or the account (which delegates to IAM, where the role has permissions), one of
    /// `kms:DescribeKey`, `kms:GetKeyPolicy`, `kms:ListGrants`.
    fn analyzer_can_read_key(&self, policy: &Policy) -> bool {
        let account = &self.resource.account;
        let callers = [format!(
            "arn:aws:iam::{account}:role/aws-service-role/access-analyzer.amazonaws.com/AWSServiceRoleForAccessAnalyzer"
        )];
        let set = PolicySet {
            identity: vec![allow_all()],
            resource: Some(policy.clone()),
            ..Default::default()
        };
        ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"]
            .iter()
            .any(|action| {
                callers.iter().any(|caller| {
                    let Some(principal) = keyhole_policy::request::RequestPrincipal::parse(caller)
                    else {
                        return false;
                    };
                    let request = Request {
                        principal,
                        action: (*action).to_owned(),
                        resource: self.resource.arn.clone(),
                        resource_account: Some(account.clone()),
                        context: Default::default(),
                    };
                    evaluate(&request, &set, &EvalOptions::default()).decision == Decision::Allowed
                })
            })
    }
}

/// The S3 actions an ACL permission grants on a bucket.
fn acl_actions(permission: AclPermission) -> &'static [&'static str] {
    match permission {
        AclPermission::Read => &[
            "s3:ListBucket",
            "s3:ListBucketMultipartUploads",
            "s3:ListBucketVersions",
        ],
        AclPermission::Write => &["s3:DeleteObject", "s3:PutObject"],
        AclPermission::ReadAcp => &["s3:GetBucketAcl"],
        AclPermission::WriteAcp => &["s3:PutBucketAcl"],
        AclPermission::FullControl => &[
            "s3:DeleteObject",
            "s3:GetBucketAcl",
            "s3:ListBucket",
            "s3:ListBucketMultipartUploads",
            "s3:ListBucketVersions",
            "s3:PutBucketAcl",
            "s3:PutObject",
        ],
    }
}

/// An identity policy that allows everything: the external caller's own account is assumed to
/// let it act (Access Analyzer knows nothing of other accounts' policies).
fn allow_all() -> Policy {
    static ALLOW_ALL: std::sync::OnceLock<Option<Policy>> = std::sync::OnceLock::new();
    ALLOW_ALL
        .get_or_init(|| {
            parse_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#).ok()
        })
        .clone()
        .unwrap_or_default()
}
