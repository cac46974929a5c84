//! keyhole resource files: resource objects whose `configuration` follows Access Analyzer's
//! access-preview `Configuration` members (see `docs/resources.md`).
//!
//! Reading is strict: an unknown field is an error (a misspelt `bucketPolicy` must not silently
//! mean "no policy"), and so is a value outside the API's enumerations.

use crate::doc::{Decoding, Doc, Obj, join};
use crate::err::{SourceError, SourceErrorKind};
use crate::model::{
    AccessPoint, AccountPublicAccessBlock, AclGrant, AclGrantee, AclPermission, Configuration,
    EbsSnapshot, KmsGrant, KmsGrantConstraints, KmsGrantOperation, KmsKey, NetworkOrigin,
    PublicAccessBlock, RdsSnapshot, Resource, ResourceType, S3Bucket, S3ExpressDirectoryBucket,
    SecretsManagerSecret,
};
use keyhole_policy::arn::{Arn, is_account_id};
use keyhole_policy::json::{Json, JsonKind};
use std::collections::BTreeMap;

/// The pseudo resource type of account-level S3 Block Public Access entries.
pub(crate) const ACCOUNT_PUBLIC_ACCESS_BLOCK: &str = "AWS::S3::AccountPublicAccessBlock";

/// One record of a resource file.
pub(crate) enum Record {
    Resource(Box<Resource>),
    AccountBlock(AccountPublicAccessBlock),
}

/// The fields of a keyhole resource object.
pub const RESOURCE_FIELDS: &[&str] = &[
    "arn",
    "resourceType",
    "type",
    "account",
    "region",
    "configuration",
];

/// The resource type of a resource object: `resourceType`, Access Analyzer's and AWS Config's
/// name for it, or `type`, the shorter name the resource file format was first written with.
/// Both at once is an error, even when they agree: one of them would be dead text.
fn type_member<'d>(obj: &Obj<'d>) -> Result<(&'d Json, &'static str), SourceError> {
    match (obj.get("resourceType"), obj.get("type")) {
        (Some(_), Some(_)) => {
            let span = obj
                .members
                .iter()
                .find(|m| m.key == "type")
                .map_or(obj.json.span, |m| m.key_span);
            let mut err = obj.doc.error(
                span,
                SourceErrorKind::DuplicateField {
                    field: "type".to_owned(),
                },
            );
            err.help = Some("`type` is another name for `resourceType`: give one".to_owned());
            Err(err)
        }
        (None, Some(t)) => Ok((t, "type")),
        _ => Ok((obj.required("resourceType", None)?, "resourceType")),
    }
}

/// Reads one resource object.
/// `field` names the object in a type error, such as `resources[3]`.
pub(crate) fn read_resource(doc: Doc<'_>, json: &Json, field: &str) -> Result<Record, SourceError> {
    let obj = doc.record_object(json, field)?;
    obj.only(RESOURCE_FIELDS, "a resource")?;
    let (type_json, type_field) = type_member(&obj)?;
    let type_name = doc.string(type_json, type_field)?;
    if type_name == ACCOUNT_PUBLIC_ACCESS_BLOCK {
        return account_block(obj).map(Record::AccountBlock);
    }
    let resource_type: ResourceType = type_name.parse().map_err(|_| {
        let mut err = doc.error(
            type_json.span,
            SourceErrorKind::UnknownResourceType(type_name.to_owned()),
        );
        err.help = Some(format!(
            "expected {} or `{ACCOUNT_PUBLIC_ACCESS_BLOCK}`",
            ResourceType::ALL
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        err
    })?;
    let arn_json = obj.required("arn", None)?;
    let arn = doc.string(arn_json, "arn")?;
    let account = match obj.get("account") {
        Some(a) => Some((doc.string(a, "account")?, a)),
        None => None,
    };
    let region = match obj.get("region") {
        Some(r) => Some(doc.string(r, "region")?.to_owned()),
        None => None,
    };
    let configuration = match obj.get("configuration") {
        Some(c) => configuration(doc, c, resource_type)?,
        None => Configuration::empty(resource_type),
    };
    finish(
        doc,
        json,
        ResourceParts {
            arn: (arn, arn_json),
            resource_type,
            account,
            region,
            configuration,
        },
    )
    .map(|r| Record::Resource(Box::new(r)))
}

/// The parts of a resource, before the ARN and account are checked.
pub(crate) struct ResourceParts<'a> {
    pub(crate) arn: (&'a str, &'a Json),
    pub(crate) resource_type: ResourceType,
    /// The account field, when given.
    pub(crate) account: Option<(&'a str, &'a Json)>,
    pub(crate) region: Option<String>,
    pub(crate) configuration: Configuration,
}

/// Checks the ARN against the type and the account, and builds the resource.
pub(crate) fn finish(
    doc: Doc<'_>,
    object: &Json,
    parts: ResourceParts<'_>,
) -> Result<Resource, SourceError> {
    let (arn, arn_json) = parts.arn;
    let rt = parts.resource_type;
    let (service, prefix) = rt.arn_shape();
    let Some(parsed) = Arn::parse(arn) else {
        return Err(doc.invalid(
            arn_json,
            "arn",
            "an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`)".to_owned(),
        ));
    };
    let bucket_shaped = rt != ResourceType::S3Bucket
        || (parsed.region.is_empty()
            && parsed.account.is_empty()
            && !parsed.resource.contains('/'));
    if !bucket_shaped {
        return Err(doc.invalid(
            arn_json,
            "arn",
            format!("the ARN of an `{rt}` (`arn:<partition>:s3:::<bucket>`)"),
        ));
    }
    if parsed.service != service
        || !parsed.resource.starts_with(prefix)
        || parsed.resource.len() == prefix.len()
    {
        return Err(doc.invalid(
            arn_json,
            "arn",
            format!("the ARN of an `{rt}` (`arn:<partition>:{service}:…:{prefix}…`)"),
        ));
    }
    let account = match parts.account {
        Some((account, json)) => {
            if !is_account_id(account) {
                return Err(doc.invalid(json, "account", "a 12-digit account id".to_owned()));
            }
            if !parsed.account.is_empty() && parsed.account != account {
                return Err(doc.invalid(
                    json,
                    "account",
                    format!("the account of the ARN, `{}`", parsed.account),
                ));
            }
            account.to_owned()
        }
        None if is_account_id(&parsed.account) => parsed.account.clone(),
        None if parsed.account.is_empty() => {
            let mut err = doc.error(
                keyhole_policy::Span::new(object.span.start, object.span.start + 1),
                SourceErrorKind::MissingField {
                    field: "account".to_owned(),
                    within: None,
                },
            );
            err.help = Some(format!(
                "the ARN of an `{rt}` names no account; give the owner's 12-digit account id"
            ));
            return Err(err);
        }
        None => {
            return Err(doc.invalid(
                arn_json,
                "arn",
                "an ARN whose account is a 12-digit account id".to_owned(),
            ));
        }
    };
    let region = parts
        .region
        .or_else(|| Some(parsed.region.clone()))
        .filter(|r| !r.is_empty());
    Ok(Resource {
        arn: arn.to_owned(),
        resource_type: rt,
        account,
        region,
        configuration: parts.configuration,
        origin: doc.origin(object.span),
    })
}

fn account_block(obj: Obj<'_>) -> Result<AccountPublicAccessBlock, SourceError> {
    let doc = obj.doc;
    obj.only(
        &["resourceType", "type", "account", "configuration"],
        &format!("an `{ACCOUNT_PUBLIC_ACCESS_BLOCK}` entry"),
    )?;
    let account_json = obj.required("account", None)?;
    let account = doc.string(account_json, "account")?;
    if !is_account_id(account) {
        return Err(doc.invalid(account_json, "account", "a 12-digit account id".to_owned()));
    }
    let settings = match obj.get("configuration") {
        Some(c) => public_access_block(doc, c, "configuration", true)?,
        None => PublicAccessBlock::default(),
    };
    Ok(AccountPublicAccessBlock {
        account: account.to_owned(),
        settings,
        origin: doc.origin(obj.json.span),
    })
}

/// Block Public Access settings. `strict`: unknown fields are errors.
pub(crate) fn public_access_block(
    doc: Doc<'_>,
    json: &Json,
    field: &str,
    strict: bool,
) -> Result<PublicAccessBlock, SourceError> {
    let obj = doc.object(json, field)?;
    if strict {
        obj.only(
            &[
                "ignorePublicAcls",
                "restrictPublicBuckets",
                "blockPublicAcls",
                "blockPublicPolicy",
            ],
            &format!("`{field}`"),
        )?;
    }
    let flag = |key: &str| -> Result<bool, SourceError> {
        match obj.get(key) {
            Some(v) => doc.bool(v, &join(field, key)),
            None => Ok(false),
        }
    };
    // Settings that only reject future changes are checked for type, not kept.
    flag("blockPublicAcls")?;
    flag("blockPublicPolicy")?;
    Ok(PublicAccessBlock {
        ignore_public_acls: flag("ignorePublicAcls")?,
        restrict_public_buckets: flag("restrictPublicBuckets")?,
    })
}

fn configuration(
    doc: Doc<'_>,
    json: &Json,
    rt: ResourceType,
) -> Result<Configuration, SourceError> {
    let obj = doc.object(json, "configuration")?;
    let within = format!("an `{rt}` configuration");
    let policy = |key: &str| -> Result<Option<_>, SourceError> {
        match obj.get(key) {
            Some(v) => doc.policy(v, key, Decoding::Plain),
            None => Ok(None),
        }
    };
    let single = |key: &str| -> Result<Option<_>, SourceError> {
        obj.only(&[key], &within)?;
        policy(key)
    };
    Ok(match rt {
        ResourceType::S3Bucket => {
            obj.only(
                &[
                    "bucketPolicy",
                    "bucketAclGrants",
                    "bucketPublicAccessBlock",
                    "accessPoints",
                    "ownerCanonicalId",
                ],
                &within,
            )?;
            Configuration::S3Bucket(S3Bucket {
                bucket_policy: policy("bucketPolicy")?,
                bucket_acl_grants: match obj.get("bucketAclGrants") {
                    Some(g) => acl_grants(doc, g)?,
                    None => Vec::new(),
                },
                bucket_public_access_block: obj
                    .get("bucketPublicAccessBlock")
                    .map(|b| public_access_block(doc, b, "bucketPublicAccessBlock", true))
                    .transpose()?,
                access_points: match obj.get("accessPoints") {
                    Some(a) => access_points(doc, a, true)?,
                    None => BTreeMap::new(),
                },
                owner_canonical_id: obj
                    .get("ownerCanonicalId")
                    .map(|v| doc.string(v, "ownerCanonicalId").map(str::to_owned))
                    .transpose()?,
            })
        }
        ResourceType::S3ExpressDirectoryBucket => {
            obj.only(&["bucketPolicy", "accessPoints"], &within)?;
            Configuration::S3ExpressDirectoryBucket(S3ExpressDirectoryBucket {
                bucket_policy: policy("bucketPolicy")?,
                access_points: match obj.get("accessPoints") {
                    Some(a) => access_points(doc, a, false)?,
                    None => BTreeMap::new(),
                },
            })
        }
        ResourceType::KmsKey => {
            obj.only(&["keyPolicies", "grants"], &within)?;
            Configuration::KmsKey(KmsKey {
                key_policies: match obj.get("keyPolicies") {
                    Some(p) => key_policies(doc, p)?,
                    None => BTreeMap::new(),
                },
                grants: match obj.get("grants") {
                    Some(g) => kms_grants(doc, g)?,
                    None => Vec::new(),
                },
            })
        }
        ResourceType::SecretsManagerSecret => {
            obj.only(&["secretPolicy", "kmsKeyId"], &within)?;
            Configuration::SecretsManagerSecret(SecretsManagerSecret {
                secret_policy: policy("secretPolicy")?,
                kms_key_id: optional_string(obj, "kmsKeyId")?,
            })
        }
        ResourceType::Ec2Snapshot => {
            obj.only(&["userIds", "groups", "kmsKeyId"], &within)?;
            let user_ids = match obj.get("userIds") {
                Some(v) => accounts(doc, v, "userIds", false)?,
                None => Vec::new(),
            };
            let groups = match obj.get("groups") {
                Some(v) => {
                    let items = doc.array(v, "groups")?;
                    for (i, item) in items.iter().enumerate() {
                        let field = format!("groups[{i}]");
                        if doc.string(item, &field)? != "all" {
                            return Err(doc.invalid(item, &field, "`all`".to_owned()));
                        }
                    }
                    doc.strings(v, "groups")?
                }
                None => Vec::new(),
            };
            Configuration::Ec2Snapshot(EbsSnapshot {
                user_ids,
                groups,
                kms_key_id: optional_string(obj, "kmsKeyId")?,
            })
        }
        ResourceType::RdsDbSnapshot | ResourceType::RdsDbClusterSnapshot => {
            obj.only(&["attributes", "kmsKeyId"], &within)?;
            let snapshot = RdsSnapshot {
                attributes: match obj.get("attributes") {
                    Some(a) => rds_attributes(doc, a)?,
                    None => BTreeMap::new(),
                },
                kms_key_id: optional_string(obj, "kmsKeyId")?,
            };
            if rt == ResourceType::RdsDbSnapshot {
                Configuration::RdsDbSnapshot(snapshot)
            } else {
                Configuration::RdsDbClusterSnapshot(snapshot)
            }
        }
        ResourceType::IamRole => Configuration::IamRole {
            trust_policy: single("trustPolicy")?,
        },
        ResourceType::LambdaFunction => Configuration::LambdaFunction {
            function_policy: single("functionPolicy")?,
        },
        ResourceType::LambdaLayerVersion => Configuration::LambdaLayerVersion {
            layer_policy: single("layerPolicy")?,
        },
        ResourceType::SqsQueue => Configuration::SqsQueue {
            queue_policy: single("queuePolicy")?,
        },
        ResourceType::SnsTopic => Configuration::SnsTopic {
            topic_policy: single("topicPolicy")?,
        },
        ResourceType::EcrRepository => Configuration::EcrRepository {
            repository_policy: single("repositoryPolicy")?,
        },
        ResourceType::EfsFileSystem => Configuration::EfsFileSystem {
            file_system_policy: single("fileSystemPolicy")?,
        },
        ResourceType::DynamoDbTable => Configuration::DynamoDbTable {
            table_policy: single("tablePolicy")?,
        },
        ResourceType::DynamoDbStream => Configuration::DynamoDbStream {
            stream_policy: single("streamPolicy")?,
        },
        ResourceType::ApiGatewayRestApi => Configuration::ApiGatewayRestApi {
            policy: single("policy")?,
        },
        ResourceType::OpenSearchServiceDomain => Configuration::OpenSearchServiceDomain {
            access_policies: single("accessPolicies")?,
        },
        ResourceType::BackupVault => Configuration::BackupVault {
            access_policy: single("accessPolicy")?,
        },
        ResourceType::GlacierVault => Configuration::GlacierVault {
            vault_policy: single("vaultPolicy")?,
        },
        ResourceType::KinesisStream => Configuration::KinesisStream {
            stream_policy: single("streamPolicy")?,
        },
        ResourceType::EventsEventBus => Configuration::EventsEventBus {
            policy: single("policy")?,
        },
    })
}

fn optional_string(obj: Obj<'_>, key: &str) -> Result<Option<String>, SourceError> {
    obj.get(key)
        .map(|v| obj.doc.string(v, key).map(str::to_owned))
        .transpose()
}

/// An array of 12-digit account ids (`all` too when `allow_all`).
fn accounts(
    doc: Doc<'_>,
    json: &Json,
    field: &str,
    allow_all: bool,
) -> Result<Vec<String>, SourceError> {
    let items = doc.array(json, field)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let s = doc.string(item, &f)?;
        if !(is_account_id(s) || (allow_all && s == "all")) {
            let expected = if allow_all {
                "a 12-digit account id or `all`"
            } else {
                "a 12-digit account id"
            };
            return Err(doc.invalid(item, &f, expected.to_owned()));
        }
        out.push(s.to_owned());
    }
    Ok(out)
}

fn rds_attributes(doc: Doc<'_>, json: &Json) -> Result<BTreeMap<String, Vec<String>>, SourceError> {
    let obj = doc.object(json, "attributes")?;
    let mut out = BTreeMap::new();
    for m in obj.members {
        let field = join("attributes", &m.key);
        // `"restore": [...]`, or the API's `"restore": {"accountIds": [...]}`.
        let values = match &m.value.kind {
            JsonKind::Object(_) => {
                let inner = doc.object(&m.value, &field)?;
                inner.only(&["accountIds"], &format!("`{field}`"))?;
                match inner.get("accountIds") {
                    Some(ids) => accounts(doc, ids, &join(&field, "accountIds"), true)?,
                    None => Vec::new(),
                }
            }
            JsonKind::Null => Vec::new(),
            _ => accounts(doc, &m.value, &field, true)?,
        };
        out.insert(m.key.clone(), values);
    }
    Ok(out)
}

fn acl_grants(doc: Doc<'_>, json: &Json) -> Result<Vec<AclGrant>, SourceError> {
    let items = doc.array(json, "bucketAclGrants")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("bucketAclGrants[{i}]");
        let obj = doc.object(item, &field)?;
        obj.only(&["permission", "grantee"], &format!("`{field}`"))?;
        let perm_json = obj.required("permission", Some(&field))?;
        let perm_field = join(&field, "permission");
        let perm = doc.string(perm_json, &perm_field)?;
        let permission = AclPermission::ALL
            .into_iter()
            .find(|p| p.as_str() == perm)
            .ok_or_else(|| {
                doc.invalid(
                    perm_json,
                    &perm_field,
                    format!(
                        "one of {}",
                        AclPermission::ALL
                            .iter()
                            .map(|p| format!("`{}`", p.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let grantee_field = join(&field, "grantee");
        let grantee_json = obj.required("grantee", Some(&field))?;
        let g = doc.object(grantee_json, &grantee_field)?;
        g.only(&["id", "uri"], &format!("`{grantee_field}`"))?;
        let grantee = match (g.get("id"), g.get("uri")) {
            (Some(id), None) => {
                AclGrantee::Id(doc.string(id, &join(&grantee_field, "id"))?.to_owned())
            }
            (None, Some(uri)) => {
                AclGrantee::Uri(doc.string(uri, &join(&grantee_field, "uri"))?.to_owned())
            }
            _ => {
                return Err(doc.invalid(
                    grantee_json,
                    &grantee_field,
                    "exactly one of `id` (a canonical user id) and `uri` (a group URI)".to_owned(),
                ));
            }
        };
        out.push(AclGrant {
            permission,
            grantee,
            origin: doc.origin(item.span),
        });
    }
    Ok(out)
}

fn access_points(
    doc: Doc<'_>,
    json: &Json,
    general_purpose: bool,
) -> Result<BTreeMap<String, AccessPoint>, SourceError> {
    let obj = doc.object(json, "accessPoints")?;
    let mut out = BTreeMap::new();
    for m in obj.members {
        let field = join("accessPoints", &m.key);
        let (service, pattern) = if general_purpose {
            (
                "s3",
                "arn:<partition>:s3:<region>:<account>:accesspoint/<name>",
            )
        } else {
            (
                "s3express",
                "arn:<partition>:s3express:<region>:<account>:accesspoint/<name>",
            )
        };
        let valid = Arn::parse(&m.key)
            .is_some_and(|a| a.service == service && a.resource.starts_with("accesspoint/"));
        if !valid {
            return Err(doc.error(
                m.key_span,
                SourceErrorKind::InvalidValue {
                    field: "accessPoints".to_owned(),
                    expected: format!("keyed by access point ARNs (`{pattern}`)"),
                    found: crate::doc::shown(&m.key),
                },
            ));
        }
        let ap = doc.object(&m.value, &field)?;
        let allowed: &[&str] = if general_purpose {
            &["accessPointPolicy", "publicAccessBlock", "networkOrigin"]
        } else {
            &["accessPointPolicy", "networkOrigin"]
        };
        ap.only(allowed, &format!("`{field}`"))?;
        let access_point = AccessPoint {
            access_point_policy: match ap.get("accessPointPolicy") {
                Some(p) => doc.policy(p, &join(&field, "accessPointPolicy"), Decoding::Plain)?,
                None => None,
            },
            public_access_block: ap
                .get("publicAccessBlock")
                .map(|b| public_access_block(doc, b, &join(&field, "publicAccessBlock"), true))
                .transpose()?,
            network_origin: ap
                .get("networkOrigin")
                .map(|n| network_origin(doc, n, &join(&field, "networkOrigin")))
                .transpose()?,
            origin: Some(doc.origin(m.value.span)),
        };
        out.insert(m.key.clone(), access_point);
    }
    Ok(out)
}

fn network_origin(doc: Doc<'_>, json: &Json, field: &str) -> Result<NetworkOrigin, SourceError> {
    let obj = doc.object(json, field)?;
    obj.only(
        &["vpcConfiguration", "internetConfiguration"],
        &format!("`{field}`"),
    )?;
    match (
        obj.get("vpcConfiguration"),
        obj.get("internetConfiguration"),
    ) {
        (Some(vpc), None) => {
            let vpc_field = join(field, "vpcConfiguration");
            let v = doc.object(vpc, &vpc_field)?;
            v.only(&["vpcId"], &format!("`{vpc_field}`"))?;
            let id_json = v.required("vpcId", Some(&vpc_field))?;
            let vpc_id = doc.string(id_json, &join(&vpc_field, "vpcId"))?;
            Ok(NetworkOrigin::Vpc {
                vpc_id: vpc_id.to_owned(),
            })
        }
        (None, Some(internet)) => {
            let internet_field = join(field, "internetConfiguration");
            doc.object(internet, &internet_field)?
                .only(&[], &format!("`{internet_field}`"))?;
            Ok(NetworkOrigin::Internet)
        }
        _ => Err(doc.invalid(
            json,
            field,
            "exactly one of `vpcConfiguration` and `internetConfiguration`".to_owned(),
        )),
    }
}

fn key_policies(
    doc: Doc<'_>,
    json: &Json,
) -> Result<BTreeMap<String, crate::model::PolicySource>, SourceError> {
    let obj = doc.object(json, "keyPolicies")?;
    let mut out = BTreeMap::new();
    for m in obj.members {
        if let Some(p) = doc.policy(&m.value, &join("keyPolicies", &m.key), Decoding::Plain)? {
            out.insert(m.key.clone(), p);
        }
    }
    Ok(out)
}

fn kms_grants(doc: Doc<'_>, json: &Json) -> Result<Vec<KmsGrant>, SourceError> {
    let items = doc.array(json, "grants")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("grants[{i}]");
        let obj = doc.object(item, &field)?;
        obj.only(
            &[
                "granteePrincipal",
                "operations",
                "constraints",
                "issuingAccount",
                "retiringPrincipal",
            ],
            &format!("`{field}`"),
        )?;
        let string_field = |key: &str| -> Result<String, SourceError> {
            let v = obj.required(key, Some(&field))?;
            doc.string(v, &join(&field, key)).map(str::to_owned)
        };
        let ops_field = join(&field, "operations");
        let ops_json = obj.required("operations", Some(&field))?;
        let mut operations = Vec::new();
        for (j, op) in doc.array(ops_json, &ops_field)?.iter().enumerate() {
            let f = format!("{ops_field}[{j}]");
            let name = doc.string(op, &f)?;
            let operation = KmsGrantOperation::ALL
                .iter()
                .copied()
                .find(|o| o.as_str() == name)
                .ok_or_else(|| {
                    doc.invalid(
                        op,
                        &f,
                        format!(
                            "one of {}",
                            KmsGrantOperation::ALL
                                .iter()
                                .map(|o| format!("`{}`", o.as_str()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            operations.push(operation);
        }
        let constraints = match obj.get("constraints") {
            Some(c) => {
                let c_field = join(&field, "constraints");
                let c_obj = doc.object(c, &c_field)?;
                c_obj.only(
                    &["encryptionContextEquals", "encryptionContextSubset"],
                    &format!("`{c_field}`"),
                )?;
                let context = |key: &str| -> Result<Option<BTreeMap<String, String>>, SourceError> {
                    let Some(v) = c_obj.get(key) else {
                        return Ok(None);
                    };
                    let f = join(&c_field, key);
                    let map = doc.object(v, &f)?;
                    let mut out = BTreeMap::new();
                    for m in map.members {
                        let value = doc.string(&m.value, &join(&f, &m.key))?;
                        out.insert(m.key.clone(), value.to_owned());
                    }
                    Ok(Some(out))
                };
                Some(KmsGrantConstraints {
                    encryption_context_equals: context("encryptionContextEquals")?,
                    encryption_context_subset: context("encryptionContextSubset")?,
                })
            }
            None => None,
        };
        out.push(KmsGrant {
            grantee_principal: string_field("granteePrincipal")?,
            operations,
            constraints,
            issuing_account: string_field("issuingAccount")?,
            retiring_principal: obj
                .get("retiringPrincipal")
                .map(|v| {
                    doc.string(v, &join(&field, "retiringPrincipal"))
                        .map(str::to_owned)
                })
                .transpose()?,
            origin: doc.origin(item.span),
        });
    }
    Ok(out)
}
