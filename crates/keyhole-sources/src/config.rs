//! AWS Config configuration items mapped to keyhole's resource model.
//!
//! AWS Config writes items in two spellings: the files it delivers to S3 and the events it sends
//! to rules use `ARN`, `awsAccountId` and JSON values, while the API (`get-resource-config-history`,
//! `batch-get-resource-config`) uses `arn`, `accountId` and writes `configuration` and every
//! `supplementaryConfiguration` value as a JSON *string*. Both are read. Policies inside are often
//! strings within those strings (and IAM trust policies are URL-encoded); their positions map back
//! to the file through every level. The mapping per type is documented in `docs/resources.md`.
//!
//! Reading is lenient where AWS Config adds fields (unknown fields are ignored) and strict where
//! keyhole relies on a shape (an ACL grant with an unknown permission is an error).

use crate::doc::{At, Decoding, Doc, Obj, join};
use crate::err::{SourceError, SourceErrorKind, WarningKind};
use crate::keyhole::{ACCOUNT_PUBLIC_ACCESS_BLOCK, ResourceParts, finish, public_access_block};
use crate::model::{
    ALL_USERS_URI, AUTHENTICATED_USERS_URI, AccountPublicAccessBlock, AclGrant, AclGrantee,
    AclPermission, Configuration, EbsSnapshot, KmsKey, LOG_DELIVERY_URI, PolicySource,
    PublicAccessBlock, RdsSnapshot, Resource, ResourceType, S3Bucket, S3ExpressDirectoryBucket,
    SecretsManagerSecret,
};
use crate::read::FileOut;
use keyhole_policy::arn::is_account_id;
use keyhole_policy::json::{Json, JsonKind};
use std::collections::BTreeMap;

/// Fields only a configuration item has (a keyhole resource object has none of them).
pub(crate) const ITEM_FIELDS: &[&str] = &[
    "configurationItemCaptureTime",
    "configurationItemStatus",
    "configurationItemVersion",
    "configurationStateId",
    "resourceId",
    "awsAccountId",
    "accountId",
    "awsRegion",
    "supplementaryConfiguration",
];

/// `configurationItemStatus` values of items without a current configuration.
const GONE: &[&str] = &[
    "ResourceDeleted",
    "ResourceDeletedNotRecorded",
    "ResourceNotRecorded",
];

/// The keyhole type of an AWS Config resource type.
fn keyhole_type(config_type: &str) -> Option<ResourceType> {
    match config_type {
        "AWS::OpenSearch::Domain" | "AWS::Elasticsearch::Domain" => {
            Some(ResourceType::OpenSearchServiceDomain)
        }
        other => other.parse().ok(),
    }
}

/// Reads one configuration item into `out`.
/// `field` names the item in a type error, such as `configurationItems[3]`.
pub(crate) fn read_item(
    doc: Doc<'_>,
    json: &Json,
    field: &str,
    out: &mut FileOut,
) -> Result<(), SourceError> {
    let item = doc.record_object(json, field)?;
    let origin = doc.origin(json.span);
    let type_json = item.required("resourceType", None)?;
    let config_type = doc.string(type_json, "resourceType")?;
    if let Some(status) = item.get("configurationItemStatus")
        && GONE.contains(&doc.string(status, "configurationItemStatus")?)
    {
        out.skip_deleted(origin);
        return Ok(());
    }
    let account_json = item
        .get_any(&["awsAccountId", "accountId"])
        .ok_or_else(|| {
            doc.error(
                keyhole_policy::Span::new(json.span.start, json.span.start + 1),
                SourceErrorKind::MissingField {
                    field: "awsAccountId".to_owned(),
                    within: None,
                },
            )
        })?;
    let account_field = if item.get("awsAccountId").is_some() {
        "awsAccountId"
    } else {
        "accountId"
    };
    let account = doc.string(account_json, account_field)?;
    if !is_account_id(account) {
        return Err(doc.invalid(
            account_json,
            account_field,
            "a 12-digit account id".to_owned(),
        ));
    }
    let configuration = match item.get("configuration") {
        Some(c) => doc.maybe_nested(c, "configuration")?,
        None => None,
    };
    let conf = configuration.as_ref().map(|c| c.at(doc.file));
    let conf = match conf {
        Some(c) => Some(c.doc.object(c.json, "configuration")?),
        None => None,
    };
    if config_type == ACCOUNT_PUBLIC_ACCESS_BLOCK {
        let settings = match conf {
            Some(c) => public_access_block(c.doc, c.json, "configuration", false)?,
            None => PublicAccessBlock::default(),
        };
        out.push_account_block(AccountPublicAccessBlock {
            account: account.to_owned(),
            settings,
            origin,
        });
        return Ok(());
    }
    let Some(rt) = keyhole_type(config_type) else {
        out.skip_type(config_type, origin);
        return Ok(());
    };
    let supp = match item.get("supplementaryConfiguration") {
        Some(s) => Some(doc.object(s, "supplementaryConfiguration")?),
        None => None,
    };
    let arn_json = item.get_any(&["ARN", "arn"]).ok_or_else(|| {
        doc.error(
            keyhole_policy::Span::new(json.span.start, json.span.start + 1),
            SourceErrorKind::MissingField {
                field: "ARN".to_owned(),
                within: None,
            },
        )
    })?;
    let arn = doc.string(arn_json, "ARN")?;
    let view = Item { conf, supp };
    let (configuration, warning) = map_configuration(rt, &view, arn)?;
    let region = match item.get("awsRegion") {
        Some(r) => Some(doc.string(r, "awsRegion")?.to_owned()),
        None => None,
    }
    .filter(|r| r != "global" && !r.is_empty());
    let resource: Resource = finish(
        doc,
        json,
        ResourceParts {
            arn: (arn, arn_json),
            resource_type: rt,
            account: Some((account, account_json)),
            region,
            configuration,
        },
    )?;
    if let Some(kind) = warning {
        out.warn(resource.origin.clone(), kind);
    }
    out.push_resource(resource);
    Ok(())
}

/// The two objects of an item that carry its configuration.
struct Item<'d> {
    conf: Option<Obj<'d>>,
    supp: Option<Obj<'d>>,
}

impl<'d> Item<'d> {
    fn conf(&self, keys: &[&str]) -> Option<At<'d>> {
        let c = self.conf?;
        c.get_any(keys).map(|j| c.at(j))
    }

    fn supp(&self, keys: &[&'static str]) -> Option<(At<'d>, &'static str)> {
        let s = self.supp?;
        keys.iter().find_map(|k| s.get(k).map(|j| (s.at(j), *k)))
    }
}

fn policy(
    at: Option<At<'_>>,
    field: &str,
    decoding: Decoding,
) -> Result<Option<PolicySource>, SourceError> {
    match at {
        Some(at) => at.doc.policy(at.json, field, decoding),
        None => Ok(None),
    }
}

/// A supplementary value that wraps a policy: the policy text as a string, or an object holding
/// it under `wrapper` (`{"policyText": …}`), possibly itself written as a JSON string.
fn wrapped_policy(
    at: At<'_>,
    field: &str,
    wrappers: &[&str],
) -> Result<Option<PolicySource>, SourceError> {
    let file = at.doc.file;
    match &at.json.kind {
        JsonKind::Object(_) => {
            let obj = at.doc.object(at.json, field)?;
            match wrappers.iter().find_map(|w| obj.get(w).map(|j| (j, *w))) {
                Some((inner, w)) => at.doc.policy(inner, &join(field, w), Decoding::Plain),
                None if wrappers
                    .iter()
                    .any(|w| obj.members.iter().any(|m| m.key == *w)) =>
                {
                    Ok(None) // `{"policyText": null}`: no policy.
                }
                None => at.doc.policy(at.json, field, Decoding::Plain),
            }
        }
        JsonKind::String(_) => {
            // A string is either the policy itself or the wrapper object written as a string.
            let Some(nested) = at.doc.maybe_nested(at.json, field).ok().flatten() else {
                return at.doc.policy(at.json, field, Decoding::Plain);
            };
            let inner = nested.at(file);
            let is_wrapper = matches!(&inner.json.kind, JsonKind::Object(members)
                if members.iter().any(|m| wrappers.contains(&m.key.as_str())));
            if is_wrapper {
                wrapped_policy(inner, field, wrappers)
            } else {
                at.doc.policy(at.json, field, Decoding::Plain)
            }
        }
        _ => at.doc.policy(at.json, field, Decoding::Plain),
    }
}

fn optional_string(at: Option<At<'_>>, field: &str) -> Result<Option<String>, SourceError> {
    match at {
        Some(at) => match &at.json.kind {
            JsonKind::String(s) if s.is_empty() => Ok(None),
            _ => at.doc.string(at.json, field).map(|s| Some(s.to_owned())),
        },
        None => Ok(None),
    }
}

/// A policy from the configuration under one of `keys`, or under `Attributes.<key>`.
fn attribute_policy(item: &Item<'_>, keys: &[&str]) -> Result<Option<PolicySource>, SourceError> {
    if let Some(at) = item.conf(keys) {
        return policy(
            Some(at),
            keys.first().copied().unwrap_or("Policy"),
            Decoding::Plain,
        );
    }
    let Some(attrs) = item.conf(&["Attributes", "attributes"]) else {
        return Ok(None);
    };
    let obj = attrs.doc.object(attrs.json, "Attributes")?;
    match obj.get_any(keys) {
        Some(j) => attrs.doc.policy(j, "Attributes.Policy", Decoding::Plain),
        None => Ok(None),
    }
}

fn map_configuration(
    rt: ResourceType,
    item: &Item<'_>,
    arn: &str,
) -> Result<(Configuration, Option<WarningKind>), SourceError> {
    let mut warning = None;
    let configuration = match rt {
        ResourceType::S3Bucket => Configuration::S3Bucket(s3_bucket(item)?),
        ResourceType::S3ExpressDirectoryBucket => {
            let bucket_policy = match item.supp(&["BucketPolicy"]) {
                Some((at, k)) => wrapped_policy(at, k, &["policyText"])?,
                None => policy(
                    item.conf(&["BucketPolicy", "bucketPolicy"]),
                    "BucketPolicy",
                    Decoding::Plain,
                )?,
            };
            Configuration::S3ExpressDirectoryBucket(S3ExpressDirectoryBucket {
                bucket_policy,
                access_points: BTreeMap::new(),
            })
        }
        ResourceType::IamRole => Configuration::IamRole {
            trust_policy: policy(
                item.conf(&["assumeRolePolicyDocument", "AssumeRolePolicyDocument"]),
                "configuration.assumeRolePolicyDocument",
                Decoding::UrlEncoded,
            )?,
        },
        ResourceType::KmsKey => {
            let key_policy = match item.supp(&["KeyPolicy", "Policy"]) {
                Some((at, k)) => wrapped_policy(at, k, &["Policy", "policy"])?,
                None => policy(
                    item.conf(&["keyPolicy", "KeyPolicy", "policy", "Policy"]),
                    "configuration.keyPolicy",
                    Decoding::Plain,
                )?,
            };
            if key_policy.is_none() {
                warning = Some(WarningKind::PolicyNotRecorded {
                    arn: arn.to_owned(),
                    what: "key policy",
                });
            }
            Configuration::KmsKey(KmsKey {
                key_policies: key_policy
                    .map(|p| BTreeMap::from([("default".to_owned(), p)]))
                    .unwrap_or_default(),
                grants: Vec::new(),
            })
        }
        ResourceType::LambdaFunction | ResourceType::LambdaLayerVersion => {
            let p = match item.supp(&["Policy"]) {
                Some((at, k)) => wrapped_policy(at, k, &["Policy", "policy"])?,
                None => policy(
                    item.conf(&["Policy", "policy"]),
                    "configuration.Policy",
                    Decoding::Plain,
                )?,
            };
            if rt == ResourceType::LambdaFunction {
                Configuration::LambdaFunction { function_policy: p }
            } else {
                Configuration::LambdaLayerVersion { layer_policy: p }
            }
        }
        ResourceType::SqsQueue => Configuration::SqsQueue {
            queue_policy: attribute_policy(item, &["Policy", "policy"])?,
        },
        ResourceType::SnsTopic => Configuration::SnsTopic {
            topic_policy: attribute_policy(item, &["Policy", "policy"])?,
        },
        ResourceType::SecretsManagerSecret => {
            let secret_policy = match item.supp(&["ResourcePolicy", "SecretPolicy"]) {
                Some((at, k)) => wrapped_policy(at, k, &["ResourcePolicy"])?,
                None => policy(
                    item.conf(&["ResourcePolicy", "resourcePolicy", "SecretPolicy"]),
                    "configuration.ResourcePolicy",
                    Decoding::Plain,
                )?,
            };
            Configuration::SecretsManagerSecret(SecretsManagerSecret {
                secret_policy,
                kms_key_id: optional_string(item.conf(&["KmsKeyId", "kmsKeyId"]), "KmsKeyId")?,
            })
        }
        ResourceType::EcrRepository => Configuration::EcrRepository {
            repository_policy: policy(
                item.conf(&["RepositoryPolicyText", "repositoryPolicyText"]),
                "configuration.RepositoryPolicyText",
                Decoding::Plain,
            )?,
        },
        ResourceType::EfsFileSystem => Configuration::EfsFileSystem {
            file_system_policy: policy(
                item.conf(&["FileSystemPolicy", "fileSystemPolicy"]),
                "configuration.FileSystemPolicy",
                Decoding::Plain,
            )?,
        },
        ResourceType::DynamoDbTable | ResourceType::DynamoDbStream => {
            let p = match item.conf(&["ResourcePolicy", "resourcePolicy"]) {
                Some(at) => wrapped_policy(
                    at,
                    "configuration.ResourcePolicy",
                    &["PolicyDocument", "policyDocument"],
                )?,
                None => None,
            };
            if rt == ResourceType::DynamoDbTable {
                Configuration::DynamoDbTable { table_policy: p }
            } else {
                Configuration::DynamoDbStream { stream_policy: p }
            }
        }
        ResourceType::Ec2Snapshot => Configuration::Ec2Snapshot(ebs_snapshot(item)?),
        ResourceType::RdsDbSnapshot => {
            Configuration::RdsDbSnapshot(rds_snapshot(item, "DBSnapshotAttributes")?)
        }
        ResourceType::RdsDbClusterSnapshot => {
            Configuration::RdsDbClusterSnapshot(rds_snapshot(item, "DBClusterSnapshotAttributes")?)
        }
        ResourceType::ApiGatewayRestApi => Configuration::ApiGatewayRestApi {
            policy: policy(
                item.conf(&["policy", "Policy"]),
                "configuration.policy",
                Decoding::DoublyEscaped,
            )?,
        },
        ResourceType::OpenSearchServiceDomain => Configuration::OpenSearchServiceDomain {
            access_policies: policy(
                item.conf(&["AccessPolicies", "accessPolicies"]),
                "configuration.AccessPolicies",
                Decoding::Plain,
            )?,
        },
        ResourceType::BackupVault => Configuration::BackupVault {
            access_policy: policy(
                item.conf(&["AccessPolicy", "accessPolicy"]),
                "configuration.AccessPolicy",
                Decoding::Plain,
            )?,
        },
        ResourceType::GlacierVault => Configuration::GlacierVault {
            vault_policy: policy(
                item.conf(&["VaultPolicy", "vaultPolicy", "AccessPolicy"]),
                "configuration.VaultPolicy",
                Decoding::Plain,
            )?,
        },
        ResourceType::KinesisStream => Configuration::KinesisStream {
            stream_policy: policy(
                item.conf(&["StreamPolicy", "streamPolicy", "ResourcePolicy"]),
                "configuration.StreamPolicy",
                Decoding::Plain,
            )?,
        },
        ResourceType::EventsEventBus => Configuration::EventsEventBus {
            policy: policy(
                item.conf(&["Policy", "policy"]),
                "configuration.Policy",
                Decoding::Plain,
            )?,
        },
    };
    Ok((configuration, warning))
}

fn s3_bucket(item: &Item<'_>) -> Result<S3Bucket, SourceError> {
    let mut bucket = S3Bucket::default();
    if let Some(owner) = item.conf(&["owner", "Owner"]) {
        let obj = owner.doc.object(owner.json, "configuration.owner")?;
        bucket.owner_canonical_id =
            optional_string(obj.get("id").map(|j| obj.at(j)), "configuration.owner.id")?;
    }
    if let Some((at, key)) = item.supp(&["BucketPolicy"]) {
        bucket.bucket_policy = wrapped_policy(
            at,
            &join("supplementaryConfiguration", key),
            &["policyText"],
        )?;
    }
    if let Some((at, key)) = item.supp(&["PublicAccessBlockConfiguration"]) {
        let field = join("supplementaryConfiguration", key);
        if let Some(nested) = at.doc.maybe_nested(at.json, &field)? {
            let inner = nested.at(at.doc.file);
            bucket.bucket_public_access_block =
                Some(public_access_block(inner.doc, inner.json, &field, false)?);
        }
    }
    if let Some((at, key)) = item.supp(&["AccessControlList"]) {
        let field = join("supplementaryConfiguration", key);
        if let Some(nested) = at.doc.maybe_nested(at.json, &field)? {
            let inner = nested.at(at.doc.file);
            let acl = inner.doc.object(inner.json, &field)?;
            if bucket.owner_canonical_id.is_none()
                && let Some(owner) = acl.get("owner")
            {
                let o = inner.doc.object(owner, &join(&field, "owner"))?;
                bucket.owner_canonical_id =
                    optional_string(o.get("id").map(|j| o.at(j)), &join(&field, "owner.id"))?;
            }
            for list in ["grantList", "grantSet"] {
                if let Some(grants) = acl.get(list) {
                    bucket.bucket_acl_grants.extend(config_grants(
                        inner.doc,
                        grants,
                        &join(&field, list),
                    )?);
                }
            }
        }
    }
    Ok(bucket)
}

/// ACL grants as AWS Config writes them: `{"grantee": "AllUsers" | {"id": …}, "permission":
/// "FullControl" | "Read" | …}` (the Java SDK's names; the S3 API's names are accepted too).
fn config_grants(doc: Doc<'_>, json: &Json, field: &str) -> Result<Vec<AclGrant>, SourceError> {
    let mut out = Vec::new();
    for (i, item) in doc.array(json, field)?.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let g = doc.object(item, &f)?;
        let perm_json = g.required("permission", Some(&f))?;
        let perm_field = join(&f, "permission");
        let permission = match doc.string(perm_json, &perm_field)? {
            "FullControl" | "FULL_CONTROL" => AclPermission::FullControl,
            "Read" | "READ" => AclPermission::Read,
            "Write" | "WRITE" => AclPermission::Write,
            "ReadAcp" | "READ_ACP" => AclPermission::ReadAcp,
            "WriteAcp" | "WRITE_ACP" => AclPermission::WriteAcp,
            _ => {
                return Err(doc.invalid(
                    perm_json,
                    &perm_field,
                    "one of `FullControl`, `Read`, `Write`, `ReadAcp`, `WriteAcp`".to_owned(),
                ));
            }
        };
        let grantee_json = g.required("grantee", Some(&f))?;
        let grantee_field = join(&f, "grantee");
        let grantee = match &grantee_json.kind {
            JsonKind::String(s) => match s.as_str() {
                "AllUsers" => AclGrantee::Uri(ALL_USERS_URI.to_owned()),
                "AuthenticatedUsers" => AclGrantee::Uri(AUTHENTICATED_USERS_URI.to_owned()),
                "LogDelivery" => AclGrantee::Uri(LOG_DELIVERY_URI.to_owned()),
                uri if uri.starts_with("http://acs.amazonaws.com/groups/") => {
                    AclGrantee::Uri(uri.to_owned())
                }
                _ => {
                    return Err(doc.invalid(
                        grantee_json,
                        &grantee_field,
                        "a group (`AllUsers`, `AuthenticatedUsers`, `LogDelivery`) or an object with `id`".to_owned(),
                    ));
                }
            },
            JsonKind::Object(_) => {
                let o = doc.object(grantee_json, &grantee_field)?;
                if let Some(id) = o.get("id") {
                    AclGrantee::Id(doc.string(id, &join(&grantee_field, "id"))?.to_owned())
                } else if let Some(uri) = o.get_any(&["uri", "URI"]) {
                    AclGrantee::Uri(doc.string(uri, &join(&grantee_field, "uri"))?.to_owned())
                } else if let Some(identifier) = o.get("identifier") {
                    // `{"identifier": …, "typeIdentifier": "id" | "uri"}`.
                    let value = doc.string(identifier, &join(&grantee_field, "identifier"))?;
                    match o
                        .get("typeIdentifier")
                        .map(|t| doc.string(t, "typeIdentifier"))
                        .transpose()?
                    {
                        Some("uri") => AclGrantee::Uri(value.to_owned()),
                        _ => AclGrantee::Id(value.to_owned()),
                    }
                } else {
                    return Err(doc.invalid(
                        grantee_json,
                        &grantee_field,
                        "a grantee with `id` or `uri`".to_owned(),
                    ));
                }
            }
            _ => return Err(doc.wrong_type(grantee_json, &grantee_field, "a string or an object")),
        };
        out.push(AclGrant {
            permission,
            grantee,
            origin: doc.origin(item.span),
        });
    }
    Ok(out)
}

fn ebs_snapshot(item: &Item<'_>) -> Result<EbsSnapshot, SourceError> {
    let mut snapshot = EbsSnapshot {
        kms_key_id: optional_string(
            item.conf(&["kmsKeyId", "KmsKeyId"]),
            "configuration.kmsKeyId",
        )?,
        ..EbsSnapshot::default()
    };
    let perms = item
        .supp(&["CreateVolumePermissions"])
        .map(|(at, _)| at)
        .or_else(|| item.conf(&["createVolumePermissions", "CreateVolumePermissions"]));
    if let Some(at) = perms {
        let field = "createVolumePermissions";
        if let Some(nested) = at.doc.maybe_nested(at.json, field)? {
            let inner = nested.at(at.doc.file);
            for (i, p) in inner.doc.array(inner.json, field)?.iter().enumerate() {
                let f = format!("{field}[{i}]");
                let o = inner.doc.object(p, &f)?;
                if let Some(u) = o.get_any(&["userId", "UserId"]) {
                    snapshot
                        .user_ids
                        .push(inner.doc.string(u, &join(&f, "userId"))?.to_owned());
                }
                if let Some(g) = o.get_any(&["group", "Group"]) {
                    snapshot
                        .groups
                        .push(inner.doc.string(g, &join(&f, "group"))?.to_owned());
                }
            }
        }
    }
    Ok(snapshot)
}

fn rds_snapshot(item: &Item<'_>, key: &'static str) -> Result<RdsSnapshot, SourceError> {
    let mut snapshot = RdsSnapshot {
        kms_key_id: optional_string(
            item.conf(&["kmsKeyId", "KmsKeyId"]),
            "configuration.kmsKeyId",
        )?,
        ..RdsSnapshot::default()
    };
    let Some((at, k)) = item.supp(&[key]) else {
        return Ok(snapshot);
    };
    let field = join("supplementaryConfiguration", k);
    let Some(nested) = at.doc.maybe_nested(at.json, &field)? else {
        return Ok(snapshot);
    };
    let inner = nested.at(at.doc.file);
    // An array of `{"attributeName", "attributeValues"}`, or an object wrapping it.
    let list = match &inner.json.kind {
        JsonKind::Object(_) => {
            let o = inner.doc.object(inner.json, &field)?;
            match o.get_any(&[
                "dBSnapshotAttributes",
                "dBClusterSnapshotAttributes",
                "DBSnapshotAttributes",
                "DBClusterSnapshotAttributes",
            ]) {
                Some(l) => l,
                None => return Ok(snapshot),
            }
        }
        _ => inner.json,
    };
    for (i, a) in inner.doc.array(list, &field)?.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let o = inner.doc.object(a, &f)?;
        let name_json = match o.get_any(&["attributeName", "AttributeName"]) {
            Some(j) => j,
            None => o.required("attributeName", Some(&f))?,
        };
        let name = inner.doc.string(name_json, &join(&f, "attributeName"))?;
        let values = match o.get_any(&["attributeValues", "AttributeValues"]) {
            Some(v) => inner.doc.strings(v, &join(&f, "attributeValues"))?,
            None => Vec::new(),
        };
        snapshot
            .attributes
            .entry(name.to_owned())
            .or_default()
            .extend(values);
    }
    Ok(snapshot)
}

/// Whether an object looks like a configuration item rather than a keyhole resource.
pub(crate) fn is_item(members: &[keyhole_policy::json::Member]) -> bool {
    members
        .iter()
        .any(|m| ITEM_FIELDS.contains(&m.key.as_str()))
}
