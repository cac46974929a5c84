//! Access previews: the findings a proposed configuration would have, compared with the
//! findings of the current one (Access Analyzer's `CreateAccessPreview` and
//! `ListAccessPreviewFindings`; IAM User Guide, "Previewing access with IAM Access Analyzer
//! APIs").
//!
//! A [`Proposal`] is a resource in keyhole's model plus which configuration fields it writes
//! ([`Written`]), because AWS's rules depend on what was left out:
//! - for an **existing** resource an omitted field keeps the current configuration's value; for
//!   a **new** one it takes the default: no policy, no grants, no sharing, Block Public Access
//!   off for a bucket and on for an access point, an access point reachable from the Internet,
//!   a secret encrypted with `aws/secretsmanager`, and the default key policy of a KMS key (the
//!   account may use the key through IAM);
//! - an empty (or blank) string written for a policy proposes deleting it; a KMS key policy and
//!   a role trust policy cannot be deleted, and a new role needs a trust policy;
//! - written ACL grants, KMS grants and snapshot sharing lists replace the current ones (an
//!   empty list removes them); access points are merged one by one, by ARN: a listed access
//!   point's omitted fields keep that access point's current values, and access points not
//!   listed stay as they are; `null` is the same as omitting a field.
//!
//! The merged configuration is analysed with [`crate::analyze`] in the given [`Context`] (zone,
//! account-level Block Public Access), archive rules set `ARCHIVED`, and each finding is matched
//! with the current findings by its canonical key ([`Finding::canonical_key`]):
//!
//! | situation | `changeType` | `status` | `existingFinding*` |
//! |---|---|---|---|
//! | access the proposal introduces | `NEW` | `ACTIVE`, or `ARCHIVED` by a rule | absent |
//! | an existing finding that stays | `UNCHANGED` | the existing status | present |
//! | a `RESOLVED` finding that comes back | `CHANGED` | `ACTIVE`, or `ARCHIVED` by a rule | present |
//! | an existing finding the proposal removes | `CHANGED` | `RESOLVED` | present |
//! | a `RESOLVED` finding still absent | `UNCHANGED` | `RESOLVED` | present |
//!
//! Every resource type is previewed, Lambda functions and layers included (AWS cannot preview
//! them), and several resources at once.

use std::collections::{BTreeMap, BTreeSet};

use keyhole_sources::{
    AccessPoint, Configuration, KmsKey, NetworkOrigin, PolicySource, PublicAccessBlock, Resource,
    ResourceType,
};
use serde::Serialize;

use crate::archive::ArchiveRule;
use crate::finding::{Finding, FindingSource, StatementRef, Status, finding_id};
use crate::resource::{Context, analyze};

/// Which configuration fields a proposal writes.
///
/// Paths are field names from the resource's `configuration` down: `["queuePolicy"]`,
/// `["keyPolicies", "default"]`, `["accessPoints", "<access point ARN>", "networkOrigin"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// `None`: every field is written (a complete configuration, such as an AWS Config item).
    paths: Option<BTreeSet<Vec<String>>>,
}

impl Written {
    /// A complete configuration: what it leaves out is absent, not kept.
    #[must_use]
    pub fn everything() -> Written {
        Written { paths: None }
    }

    /// No field written: the proposal keeps the whole current configuration.
    #[must_use]
    pub fn nothing() -> Written {
        Written {
            paths: Some(BTreeSet::new()),
        }
    }

    /// The fields of a keyhole resource object's `configuration` member (`None` when the
    /// object has none). `null` members count as omitted.
    #[must_use]
    pub fn from_configuration(configuration: Option<&serde_json::Value>) -> Written {
        use serde_json::Value;
        let mut paths = BTreeSet::new();
        let members = |v: &Value| -> Vec<(String, Value)> {
            v.as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        for (field, value) in configuration.map(members).unwrap_or_default() {
            match field.as_str() {
                "keyPolicies" => {
                    for (name, _) in members(&value) {
                        paths.insert(vec![field.clone(), name]);
                    }
                }
                "accessPoints" => {
                    for (arn, ap) in members(&value) {
                        for (member, _) in members(&ap) {
                            paths.insert(vec![field.clone(), arn.clone(), member]);
                        }
                        paths.insert(vec![field.clone(), arn]);
                    }
                }
                _ => {}
            }
            paths.insert(vec![field]);
        }
        Written { paths: Some(paths) }
    }

    /// Whether the proposal writes the field at `path`.
    #[must_use]
    pub fn has(&self, path: &[&str]) -> bool {
        match &self.paths {
            None => true,
            Some(paths) => paths
                .iter()
                .any(|p| p.len() == path.len() && p.iter().zip(path).all(|(a, b)| a == b)),
        }
    }

    fn is_everything(&self) -> bool {
        self.paths.is_none()
    }
}

/// A proposed configuration of one resource.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// The resource as proposed (omitted fields read as absent).
    pub resource: Resource,
    /// Which fields the proposal writes.
    pub written: Written,
}

/// How a preview finding compares with the current findings (Access Analyzer's
/// `AccessPreviewFinding.changeType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeType {
    /// Access the proposal introduces.
    New,
    /// An existing finding whose status would not change.
    Unchanged,
    /// An existing finding whose status would change (resolved, or back again).
    Changed,
}

impl ChangeType {
    /// `NEW`, `UNCHANGED` or `CHANGED`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::New => "NEW",
            ChangeType::Unchanged => "UNCHANGED",
            ChangeType::Changed => "CHANGED",
        }
    }
}

/// One finding of an access preview, in Access Analyzer's `AccessPreviewFinding` shape plus
/// keyhole's `errorDetail`, `witness` and `statements`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPreviewFinding {
    /// The preview finding's id (stable; unrelated to finding ids, as in AWS).
    pub id: String,
    /// The id of the current finding it corresponds to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_finding_id: Option<String>,
    /// The current finding's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_finding_status: Option<Status>,
    /// The external principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<String, String>>,
    /// The actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Vec<String>>,
    /// The scoping condition keys.
    pub condition: BTreeMap<String, String>,
    /// The resource ARN.
    pub resource: String,
    /// Whether the access is public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    /// The resource type.
    pub resource_type: String,
    /// When the finding was created: the preview's time for new access, the current finding's
    /// otherwise.
    pub created_at: String,
    /// `NEW`, `UNCHANGED` or `CHANGED`.
    pub change_type: ChangeType,
    /// The finding's status once the proposal is applied.
    pub status: Status,
    /// The account that owns the resource.
    pub resource_owner_account: String,
    /// Why the resource could not be analysed (error findings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// keyhole: the detail behind `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<String>,
    /// How the access is granted (S3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<FindingSource>>,
    /// keyhole: a request proving the access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<serde_json::Value>,
    /// keyhole: the statements that grant the witness.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementRef>,
}

impl AccessPreviewFinding {
    /// Whether applying the proposal would add this active finding (`NEW`, or `CHANGED` back to
    /// `ACTIVE`).
    #[must_use]
    pub fn adds_active(&self) -> bool {
        self.status == Status::Active && self.change_type != ChangeType::Unchanged
    }

    fn of(
        f: &Finding,
        change_type: ChangeType,
        status: Status,
        existing: Option<&Finding>,
    ) -> Self {
        AccessPreviewFinding {
            id: finding_id(&["access-preview", &f.id]),
            existing_finding_id: existing.map(|e| e.id.clone()),
            existing_finding_status: existing.map(|e| e.status),
            principal: f.principal.clone(),
            action: f.action.clone(),
            condition: f.condition.clone(),
            resource: f.resource.clone(),
            is_public: f.is_public,
            resource_type: f.resource_type.clone(),
            created_at: existing.map_or_else(|| f.created_at.clone(), |e| e.created_at.clone()),
            change_type,
            status,
            resource_owner_account: f.resource_owner_account.clone(),
            error: f.error.clone(),
            error_detail: f.error_detail.clone(),
            sources: f.sources.clone(),
            witness: f.witness.clone(),
            statements: f.statements.clone(),
        }
    }
}

/// A proposal Access Analyzer would reject (its `INVALID_CONFIGURATION` status reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{arn}`: {message}")]
pub struct PreviewError {
    /// The resource.
    pub arn: String,
    /// What is wrong.
    pub message: String,
}

/// The current findings of a resource: its analysis, with archive rules applied.
#[must_use]
pub fn current_findings(resource: &Resource, ctx: &Context, rules: &[ArchiveRule]) -> Vec<Finding> {
    let mut findings = analyze(resource, ctx);
    crate::archive::apply(rules, &mut findings);
    findings
}

/// Previews every proposal against the current resources (matched by ARN): the current findings
/// of a proposed resource are those of its current configuration ([`current_findings`]).
/// Findings are sorted by resource, then id.
///
/// # Errors
/// The first proposal Access Analyzer would reject.
pub fn preview(
    current: &[Resource],
    proposals: &[Proposal],
    ctx: &Context,
    rules: &[ArchiveRule],
) -> Result<Vec<AccessPreviewFinding>, PreviewError> {
    let by_arn: BTreeMap<&str, &Resource> = current.iter().map(|r| (r.arn.as_str(), r)).collect();
    let mut out = Vec::new();
    for proposal in proposals {
        let now = by_arn.get(proposal.resource.arn.as_str()).copied();
        let existing = now.map_or_else(Vec::new, |r| current_findings(r, ctx, rules));
        out.extend(preview_resource(now, proposal, &existing, ctx, rules)?);
    }
    out.sort_by(|a, b| (&a.resource, &a.id).cmp(&(&b.resource, &b.id)));
    Ok(out)
}

/// Previews one proposal: `current` is the resource's current configuration (`None` for a new
/// resource) and `existing` its current findings, with their statuses (a findings store may
/// include `RESOLVED` ones).
///
/// # Errors
/// A proposal Access Analyzer would reject.
pub fn preview_resource(
    current: Option<&Resource>,
    proposal: &Proposal,
    existing: &[Finding],
    ctx: &Context,
    rules: &[ArchiveRule],
) -> Result<Vec<AccessPreviewFinding>, PreviewError> {
    let merged = merge(current, proposal)?;
    let mut proposed = analyze(&merged, ctx);
    crate::archive::apply(rules, &mut proposed);
    let mut by_key: BTreeMap<Vec<String>, &Finding> =
        existing.iter().map(|f| (f.canonical_key(), f)).collect();
    let mut out = Vec::new();
    for f in &proposed {
        match by_key.remove(&f.canonical_key()) {
            Some(e) if e.status == Status::Resolved => {
                out.push(AccessPreviewFinding::of(
                    f,
                    ChangeType::Changed,
                    f.status,
                    Some(e),
                ));
            }
            Some(e) => {
                out.push(AccessPreviewFinding::of(
                    f,
                    ChangeType::Unchanged,
                    e.status,
                    Some(e),
                ));
            }
            None => out.push(AccessPreviewFinding::of(f, ChangeType::New, f.status, None)),
        }
    }
    for e in by_key.into_values() {
        let change = if e.status == Status::Resolved {
            ChangeType::Unchanged
        } else {
            ChangeType::Changed
        };
        out.push(AccessPreviewFinding::of(
            e,
            change,
            Status::Resolved,
            Some(e),
        ));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The configuration the proposal would leave in place (see the module docs for the rules).
///
/// # Errors
/// A proposal Access Analyzer would reject: another resource type than the current one, a
/// deleted key policy or trust policy, a new role without a trust policy.
pub fn merge(current: Option<&Resource>, proposal: &Proposal) -> Result<Resource, PreviewError> {
    let p = &proposal.resource;
    let w = &proposal.written;
    let fail = |message: String| PreviewError {
        arn: p.arn.clone(),
        message,
    };
    if let Some(c) = current {
        if c.resource_type != p.resource_type {
            return Err(fail(format!(
                "the proposal is an `{}`, the current resource an `{}`",
                p.resource_type, c.resource_type
            )));
        }
        if c.account != p.account {
            return Err(fail(format!(
                "the proposal belongs to account `{}`, the current resource to `{}`",
                p.account, c.account
            )));
        }
    }
    let new = current.is_none();
    let empty = Configuration::empty(p.resource_type);
    let base = current.map_or(&empty, |c| &c.configuration);
    let one = |field: &str, proposed: &Option<PolicySource>, now: &Option<PolicySource>| {
        if w.has(&[field]) {
            proposed.clone()
        } else {
            now.clone()
        }
    };
    let pick = |field: &str| w.has(&[field]);
    let configuration = match (&p.configuration, base) {
        (Configuration::S3Bucket(pb), Configuration::S3Bucket(cb)) => {
            Configuration::S3Bucket(keyhole_sources::S3Bucket {
                bucket_policy: one("bucketPolicy", &pb.bucket_policy, &cb.bucket_policy),
                bucket_acl_grants: if pick("bucketAclGrants") {
                    pb.bucket_acl_grants.clone()
                } else {
                    cb.bucket_acl_grants.clone()
                },
                bucket_public_access_block: if pick("bucketPublicAccessBlock") {
                    pb.bucket_public_access_block
                } else {
                    cb.bucket_public_access_block
                },
                access_points: access_points(w, &pb.access_points, &cb.access_points, true),
                owner_canonical_id: if pick("ownerCanonicalId") {
                    pb.owner_canonical_id.clone()
                } else {
                    cb.owner_canonical_id.clone()
                },
            })
        }
        (
            Configuration::S3ExpressDirectoryBucket(pb),
            Configuration::S3ExpressDirectoryBucket(cb),
        ) => Configuration::S3ExpressDirectoryBucket(keyhole_sources::S3ExpressDirectoryBucket {
            bucket_policy: one("bucketPolicy", &pb.bucket_policy, &cb.bucket_policy),
            access_points: access_points(w, &pb.access_points, &cb.access_points, false),
        }),
        (
            Configuration::IamRole { trust_policy: pt },
            Configuration::IamRole { trust_policy: ct },
        ) => {
            let trust_policy = one("trustPolicy", pt, ct);
            if trust_policy.is_none() {
                return Err(fail(if new {
                    "a new role needs a trust policy (`trustPolicy`)".to_owned()
                } else {
                    "a role's trust policy cannot be deleted (`trustPolicy` is empty)".to_owned()
                }));
            }
            Configuration::IamRole { trust_policy }
        }
        (Configuration::KmsKey(pk), Configuration::KmsKey(ck)) => {
            let mut key_policies = ck.key_policies.clone();
            if w.is_everything() && !pk.key_policies.is_empty() {
                key_policies.clone_from(&pk.key_policies);
            }
            if let Some(paths) = &w.paths {
                for path in paths {
                    let [field, name] = path.as_slice() else {
                        continue;
                    };
                    if field != "keyPolicies" {
                        continue;
                    }
                    let Some(policy) = pk.key_policies.get(name) else {
                        return Err(fail(format!(
                            "a key policy cannot be deleted (`keyPolicies.{name}` is empty)"
                        )));
                    };
                    key_policies.insert(name.clone(), policy.clone());
                }
            }
            if key_policies.is_empty() {
                key_policies.insert(
                    "default".to_owned(),
                    default_key_policy(&p.arn, &p.account).map_err(fail)?,
                );
            }
            Configuration::KmsKey(KmsKey {
                key_policies,
                grants: if pick("grants") {
                    pk.grants.clone()
                } else {
                    ck.grants.clone()
                },
            })
        }
        (Configuration::SecretsManagerSecret(ps), Configuration::SecretsManagerSecret(cs)) => {
            Configuration::SecretsManagerSecret(keyhole_sources::SecretsManagerSecret {
                secret_policy: one("secretPolicy", &ps.secret_policy, &cs.secret_policy),
                kms_key_id: if pick("kmsKeyId") {
                    ps.kms_key_id.clone()
                } else {
                    cs.kms_key_id.clone()
                },
            })
        }
        (Configuration::Ec2Snapshot(ps), Configuration::Ec2Snapshot(cs)) => {
            Configuration::Ec2Snapshot(keyhole_sources::EbsSnapshot {
                user_ids: if pick("userIds") {
                    ps.user_ids.clone()
                } else {
                    cs.user_ids.clone()
                },
                groups: if pick("groups") {
                    ps.groups.clone()
                } else {
                    cs.groups.clone()
                },
                kms_key_id: if pick("kmsKeyId") {
                    ps.kms_key_id.clone()
                } else {
                    cs.kms_key_id.clone()
                },
            })
        }
        (Configuration::RdsDbSnapshot(ps), Configuration::RdsDbSnapshot(cs)) => {
            Configuration::RdsDbSnapshot(rds(w, ps, cs))
        }
        (Configuration::RdsDbClusterSnapshot(ps), Configuration::RdsDbClusterSnapshot(cs)) => {
            Configuration::RdsDbClusterSnapshot(rds(w, ps, cs))
        }
        (proposed, now) => single_policy(w, proposed, now)
            .ok_or_else(|| fail(format!("cannot preview an `{}`", p.resource_type)))?,
    };
    Ok(Resource {
        arn: p.arn.clone(),
        resource_type: p.resource_type,
        account: p.account.clone(),
        region: p
            .region
            .clone()
            .or_else(|| current.and_then(|c| c.region.clone())),
        configuration,
        origin: p.origin.clone(),
    })
}

fn rds(
    w: &Written,
    proposed: &keyhole_sources::RdsSnapshot,
    now: &keyhole_sources::RdsSnapshot,
) -> keyhole_sources::RdsSnapshot {
    keyhole_sources::RdsSnapshot {
        attributes: if w.has(&["attributes"]) {
            proposed.attributes.clone()
        } else {
            now.attributes.clone()
        },
        kms_key_id: if w.has(&["kmsKeyId"]) {
            proposed.kms_key_id.clone()
        } else {
            now.kms_key_id.clone()
        },
    }
}

/// Types whose configuration is one policy.
fn single_policy(
    w: &Written,
    proposed: &Configuration,
    now: &Configuration,
) -> Option<Configuration> {
    let named = proposed.policies();
    let field = match named.first() {
        Some(n) => n.field.clone(),
        None => single_policy_field(proposed.resource_type())?.to_owned(),
    };
    let chosen: Option<PolicySource> = if w.has(&[field.as_str()]) {
        named.first().map(|n| n.policy.clone())
    } else {
        now.policies().first().map(|n| n.policy.clone())
    };
    Some(match proposed {
        Configuration::LambdaFunction { .. } => Configuration::LambdaFunction {
            function_policy: chosen,
        },
        Configuration::LambdaLayerVersion { .. } => Configuration::LambdaLayerVersion {
            layer_policy: chosen,
        },
        Configuration::SqsQueue { .. } => Configuration::SqsQueue {
            queue_policy: chosen,
        },
        Configuration::SnsTopic { .. } => Configuration::SnsTopic {
            topic_policy: chosen,
        },
        Configuration::EcrRepository { .. } => Configuration::EcrRepository {
            repository_policy: chosen,
        },
        Configuration::EfsFileSystem { .. } => Configuration::EfsFileSystem {
            file_system_policy: chosen,
        },
        Configuration::DynamoDbTable { .. } => Configuration::DynamoDbTable {
            table_policy: chosen,
        },
        Configuration::DynamoDbStream { .. } => Configuration::DynamoDbStream {
            stream_policy: chosen,
        },
        Configuration::ApiGatewayRestApi { .. } => {
            Configuration::ApiGatewayRestApi { policy: chosen }
        }
        Configuration::OpenSearchServiceDomain { .. } => Configuration::OpenSearchServiceDomain {
            access_policies: chosen,
        },
        Configuration::BackupVault { .. } => Configuration::BackupVault {
            access_policy: chosen,
        },
        Configuration::GlacierVault { .. } => Configuration::GlacierVault {
            vault_policy: chosen,
        },
        Configuration::KinesisStream { .. } => Configuration::KinesisStream {
            stream_policy: chosen,
        },
        Configuration::EventsEventBus { .. } => Configuration::EventsEventBus { policy: chosen },
        _ => return None,
    })
}

/// The policy field of a single-policy type, as a keyhole resource file names it.
fn single_policy_field(t: ResourceType) -> Option<&'static str> {
    Some(match t {
        ResourceType::LambdaFunction => "functionPolicy",
        ResourceType::LambdaLayerVersion => "layerPolicy",
        ResourceType::SqsQueue => "queuePolicy",
        ResourceType::SnsTopic => "topicPolicy",
        ResourceType::EcrRepository => "repositoryPolicy",
        ResourceType::EfsFileSystem => "fileSystemPolicy",
        ResourceType::DynamoDbTable => "tablePolicy",
        ResourceType::DynamoDbStream | ResourceType::KinesisStream => "streamPolicy",
        ResourceType::ApiGatewayRestApi | ResourceType::EventsEventBus => "policy",
        ResourceType::OpenSearchServiceDomain => "accessPolicies",
        ResourceType::BackupVault => "accessPolicy",
        ResourceType::GlacierVault => "vaultPolicy",
        _ => return None,
    })
}

/// Access points after the proposal: listed ones merged field by field with the current access
/// point of the same ARN (a new one defaults to Block Public Access on — general purpose
/// buckets — and an Internet network origin); others kept.
fn access_points(
    w: &Written,
    proposed: &BTreeMap<String, AccessPoint>,
    now: &BTreeMap<String, AccessPoint>,
    general_purpose: bool,
) -> BTreeMap<String, AccessPoint> {
    let mut out = now.clone();
    if w.is_everything() {
        return proposed.clone();
    }
    for (arn, pap) in proposed {
        if !w.has(&["accessPoints", arn]) {
            continue;
        }
        let current = now.get(arn);
        let has = |field: &str| w.has(&["accessPoints", arn, field]);
        let merged = AccessPoint {
            access_point_policy: if has("accessPointPolicy") {
                pap.access_point_policy.clone()
            } else {
                current.and_then(|c| c.access_point_policy.clone())
            },
            public_access_block: if has("publicAccessBlock") {
                pap.public_access_block
            } else {
                match current {
                    Some(c) => c.public_access_block,
                    None if general_purpose => Some(PublicAccessBlock {
                        ignore_public_acls: true,
                        restrict_public_buckets: true,
                    }),
                    None => None,
                }
            },
            network_origin: if has("networkOrigin") {
                pap.network_origin.clone()
            } else {
                match current {
                    Some(c) => c.network_origin.clone(),
                    None => Some(NetworkOrigin::Internet),
                }
            },
            origin: pap.origin.clone(),
        };
        out.insert(arn.clone(), merged);
    }
    out
}

/// KMS's default key policy: the account (through IAM) may use the key.
fn default_key_policy(arn: &str, account: &str) -> Result<PolicySource, String> {
    let partition = keyhole_policy::arn::split_arn(arn).map_or("aws", |[_, p, ..]| p);
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    });
    let document = serde_json::json!({"resources": [{
        "arn": arn,
        "resourceType": "AWS::KMS::Key",
        "account": account,
        "configuration": {"keyPolicies": {"default": policy}}
    }]});
    let loaded = keyhole_sources::read_str(
        std::path::Path::new("<default key policy>"),
        &document.to_string(),
    )
    .map_err(|e| format!("internal: the default key policy: {e}"))?;
    loaded
        .resources
        .into_iter()
        .find_map(|r| match r.configuration {
            Configuration::KmsKey(mut k) => k.key_policies.remove("default"),
            _ => None,
        })
        .ok_or_else(|| "internal: the default key policy was not read".to_owned())
}
