//! The resource model: what keyhole knows about one resource — its ARN, type, owner account,
//! region and the configuration that decides who can reach it.
//!
//! The configuration of each type follows the member names of IAM Access Analyzer's
//! access-preview `Configuration` union (`s3Bucket`, `kmsKey`, `iamRole`, …; API reference,
//! "Configuration" data type), so a keyhole resource file reads like a `CreateAccessPreview`
//! request, and types Access Analyzer does not cover use the name of their policy in the service's
//! own API (`policy`, `accessPolicies`, …).

use crate::text::OffsetMap;
use keyhole_policy::{Location, Policy, PolicyError};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where something was read: a file and a position in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The file as it was given (for a folder, the folder joined with the file's relative path).
    pub file: PathBuf,
    /// The position in the file (`line` from 1, `column` in characters from 0, byte `offset`).
    pub location: Location,
}

impl fmt::Display for Origin {
    /// `file:line:column`, the column counted from 1 as editors and compilers print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.file.display(),
            self.location.line,
            self.location.column + 1
        )
    }
}

/// The resource types keyhole reads.
///
/// The first sixteen are the external-access types of IAM Access Analyzer (its `ResourceType`
/// enum without `AWS::IAM::User`, which only unused-access findings use); the others are types
/// keyhole covers beyond Access Analyzer, named by their CloudFormation type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ResourceType {
    /// `AWS::S3::Bucket`.
    S3Bucket,
    /// `AWS::S3Express::DirectoryBucket`.
    S3ExpressDirectoryBucket,
    /// `AWS::IAM::Role`.
    IamRole,
    /// `AWS::KMS::Key`.
    KmsKey,
    /// `AWS::Lambda::Function`.
    LambdaFunction,
    /// `AWS::Lambda::LayerVersion`.
    LambdaLayerVersion,
    /// `AWS::SQS::Queue`.
    SqsQueue,
    /// `AWS::SecretsManager::Secret`.
    SecretsManagerSecret,
    /// `AWS::SNS::Topic`.
    SnsTopic,
    /// `AWS::EC2::Snapshot` (EBS snapshot).
    Ec2Snapshot,
    /// `AWS::RDS::DBSnapshot`.
    RdsDbSnapshot,
    /// `AWS::RDS::DBClusterSnapshot`.
    RdsDbClusterSnapshot,
    /// `AWS::ECR::Repository`.
    EcrRepository,
    /// `AWS::EFS::FileSystem`.
    EfsFileSystem,
    /// `AWS::DynamoDB::Table`.
    DynamoDbTable,
    /// `AWS::DynamoDB::Stream`.
    DynamoDbStream,
    /// `AWS::ApiGateway::RestApi` (not an Access Analyzer type).
    ApiGatewayRestApi,
    /// `AWS::OpenSearchService::Domain` (not an Access Analyzer type).
    OpenSearchServiceDomain,
    /// `AWS::Backup::BackupVault` (not an Access Analyzer type).
    BackupVault,
    /// `AWS::Glacier::Vault` (not an Access Analyzer type).
    GlacierVault,
    /// `AWS::Kinesis::Stream` (not an Access Analyzer type).
    KinesisStream,
    /// `AWS::Events::EventBus` (not an Access Analyzer type).
    EventsEventBus,
}

impl ResourceType {
    /// Every type, Access Analyzer's first, in this order.
    pub const ALL: [ResourceType; 22] = [
        ResourceType::S3Bucket,
        ResourceType::S3ExpressDirectoryBucket,
        ResourceType::IamRole,
        ResourceType::KmsKey,
        ResourceType::LambdaFunction,
        ResourceType::LambdaLayerVersion,
        ResourceType::SqsQueue,
        ResourceType::SecretsManagerSecret,
        ResourceType::SnsTopic,
        ResourceType::Ec2Snapshot,
        ResourceType::RdsDbSnapshot,
        ResourceType::RdsDbClusterSnapshot,
        ResourceType::EcrRepository,
        ResourceType::EfsFileSystem,
        ResourceType::DynamoDbTable,
        ResourceType::DynamoDbStream,
        ResourceType::ApiGatewayRestApi,
        ResourceType::OpenSearchServiceDomain,
        ResourceType::BackupVault,
        ResourceType::GlacierVault,
        ResourceType::KinesisStream,
        ResourceType::EventsEventBus,
    ];

    /// The type's name exactly as AWS spells it, such as `AWS::S3::Bucket`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::S3Bucket => "AWS::S3::Bucket",
            ResourceType::S3ExpressDirectoryBucket => "AWS::S3Express::DirectoryBucket",
            ResourceType::IamRole => "AWS::IAM::Role",
            ResourceType::KmsKey => "AWS::KMS::Key",
            ResourceType::LambdaFunction => "AWS::Lambda::Function",
            ResourceType::LambdaLayerVersion => "AWS::Lambda::LayerVersion",
            ResourceType::SqsQueue => "AWS::SQS::Queue",
            ResourceType::SecretsManagerSecret => "AWS::SecretsManager::Secret",
            ResourceType::SnsTopic => "AWS::SNS::Topic",
            ResourceType::Ec2Snapshot => "AWS::EC2::Snapshot",
            ResourceType::RdsDbSnapshot => "AWS::RDS::DBSnapshot",
            ResourceType::RdsDbClusterSnapshot => "AWS::RDS::DBClusterSnapshot",
            ResourceType::EcrRepository => "AWS::ECR::Repository",
            ResourceType::EfsFileSystem => "AWS::EFS::FileSystem",
            ResourceType::DynamoDbTable => "AWS::DynamoDB::Table",
            ResourceType::DynamoDbStream => "AWS::DynamoDB::Stream",
            ResourceType::ApiGatewayRestApi => "AWS::ApiGateway::RestApi",
            ResourceType::OpenSearchServiceDomain => "AWS::OpenSearchService::Domain",
            ResourceType::BackupVault => "AWS::Backup::BackupVault",
            ResourceType::GlacierVault => "AWS::Glacier::Vault",
            ResourceType::KinesisStream => "AWS::Kinesis::Stream",
            ResourceType::EventsEventBus => "AWS::Events::EventBus",
        }
    }

    /// Whether IAM Access Analyzer's external-access analysis covers this type (its
    /// `ResourceType` enum); the others are keyhole's own extension.
    #[must_use]
    pub fn is_access_analyzer_type(self) -> bool {
        !matches!(
            self,
            ResourceType::ApiGatewayRestApi
                | ResourceType::OpenSearchServiceDomain
                | ResourceType::BackupVault
                | ResourceType::GlacierVault
                | ResourceType::KinesisStream
                | ResourceType::EventsEventBus
        )
    }

    /// The ARN shape of the type: its service namespace and the prefix of its resource part
    /// (empty when the resource part is a bare name).
    pub(crate) fn arn_shape(self) -> (&'static str, &'static str) {
        match self {
            ResourceType::S3Bucket => ("s3", ""),
            ResourceType::S3ExpressDirectoryBucket => ("s3express", "bucket/"),
            ResourceType::IamRole => ("iam", "role/"),
            ResourceType::KmsKey => ("kms", "key/"),
            ResourceType::LambdaFunction => ("lambda", "function:"),
            ResourceType::LambdaLayerVersion => ("lambda", "layer:"),
            ResourceType::SqsQueue => ("sqs", ""),
            ResourceType::SecretsManagerSecret => ("secretsmanager", "secret:"),
            ResourceType::SnsTopic => ("sns", ""),
            ResourceType::Ec2Snapshot => ("ec2", "snapshot/"),
            ResourceType::RdsDbSnapshot => ("rds", "snapshot:"),
            ResourceType::RdsDbClusterSnapshot => ("rds", "cluster-snapshot:"),
            ResourceType::EcrRepository => ("ecr", "repository/"),
            ResourceType::EfsFileSystem => ("elasticfilesystem", "file-system/"),
            ResourceType::DynamoDbTable => ("dynamodb", "table/"),
            ResourceType::DynamoDbStream => ("dynamodb", "table/"),
            ResourceType::ApiGatewayRestApi => ("apigateway", "/restapis/"),
            ResourceType::OpenSearchServiceDomain => ("es", "domain/"),
            ResourceType::BackupVault => ("backup", "backup-vault:"),
            ResourceType::GlacierVault => ("glacier", "vaults/"),
            ResourceType::KinesisStream => ("kinesis", "stream/"),
            ResourceType::EventsEventBus => ("events", "event-bus/"),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource type name keyhole does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown resource type `{0}`")]
pub struct UnknownResourceType(pub String);

impl FromStr for ResourceType {
    type Err = UnknownResourceType;

    /// Reads the exact AWS spelling (`AWS::S3::Bucket`; case matters, as in AWS's APIs).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownResourceType(s.to_owned()))
    }
}

/// One resource, as read from a file.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The resource's ARN.
    pub arn: String,
    /// Its type.
    pub resource_type: ResourceType,
    /// The 12-digit id of the account that owns it.
    pub account: String,
    /// Its region (`None` for global resources such as IAM roles and S3 buckets whose region
    /// was not given).
    pub region: Option<String>,
    /// What decides who can reach it.
    pub configuration: Configuration,
    /// Where the resource object was read.
    pub origin: Origin,
}

/// How a policy was written in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyForm {
    /// A JSON object in the file; the policy text is the object exactly as written.
    Object,
    /// A JSON string holding the policy, as AWS APIs return it (possibly nested in another
    /// JSON string, as AWS Config writes it).
    String,
    /// A URL-encoded JSON string, as IAM and AWS Config return role trust policies.
    UrlEncoded,
}

/// A policy as read, with where it sits in the file and the result of parsing it.
///
/// An invalid policy is not an error of the file: reading continues and the parse error is kept
/// here, for the analyzer to report (Access Analyzer reports an unreadable policy as an error
/// finding rather than failing the whole analysis).
#[derive(Clone, Debug)]
pub struct PolicySource {
    /// The policy text: the decoded string, or the object's text exactly as written.
    pub text: String,
    /// Where the policy value (the string or the object) starts in the file.
    pub origin: Origin,
    /// How it was written.
    pub form: PolicyForm,
    /// The policy, or why it is not one; spans are byte ranges of [`PolicySource::text`].
    pub parsed: Result<Policy, PolicyError>,
    /// When `parsed` is an error: where the error's span starts in the file.
    pub error_location: Option<Location>,
    pub(crate) map: OffsetMap,
}

impl PolicySource {
    /// The parsed policy, when it parsed.
    #[must_use]
    pub fn policy(&self) -> Option<&Policy> {
        self.parsed.as_ref().ok()
    }

    /// The byte offset in the file of byte `offset` of [`PolicySource::text`] (exact through
    /// string escapes and URL encoding).
    #[must_use]
    pub fn file_offset(&self, offset: usize) -> usize {
        self.map.apply(offset)
    }

    /// When the policy does not parse: the error's position inside the policy text.
    #[must_use]
    pub fn error_location_in_policy(&self) -> Option<Location> {
        self.parsed
            .as_ref()
            .err()
            .map(|e| Location::of(&self.text, e.span.start))
    }
}

/// What decides who can reach a resource, one variant per [`ResourceType`].
///
/// Field names follow Access Analyzer's access-preview `Configuration` members. A policy field that
/// is `None` means the resource has no such policy.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Configuration {
    /// `AWS::S3::Bucket`.
    S3Bucket(S3Bucket),
    /// `AWS::S3Express::DirectoryBucket`.
    S3ExpressDirectoryBucket(S3ExpressDirectoryBucket),
    /// `AWS::IAM::Role`.
    IamRole {
        /// `trustPolicy`: the role's trust (assume-role) policy.
        trust_policy: Option<PolicySource>,
    },
    /// `AWS::KMS::Key`.
    KmsKey(KmsKey),
    /// `AWS::Lambda::Function`.
    LambdaFunction {
        /// `functionPolicy`: the function's resource-based policy.
        function_policy: Option<PolicySource>,
    },
    /// `AWS::Lambda::LayerVersion`.
    LambdaLayerVersion {
        /// `layerPolicy`: the layer version's resource-based policy.
        layer_policy: Option<PolicySource>,
    },
    /// `AWS::SQS::Queue`.
    SqsQueue {
        /// `queuePolicy`.
        queue_policy: Option<PolicySource>,
    },
    /// `AWS::SecretsManager::Secret`.
    SecretsManagerSecret(SecretsManagerSecret),
    /// `AWS::SNS::Topic`.
    SnsTopic {
        /// `topicPolicy`.
        topic_policy: Option<PolicySource>,
    },
    /// `AWS::EC2::Snapshot`.
    Ec2Snapshot(EbsSnapshot),
    /// `AWS::RDS::DBSnapshot`.
    RdsDbSnapshot(RdsSnapshot),
    /// `AWS::RDS::DBClusterSnapshot`.
    RdsDbClusterSnapshot(RdsSnapshot),
    /// `AWS::ECR::Repository`.
    EcrRepository {
        /// `repositoryPolicy`.
        repository_policy: Option<PolicySource>,
    },
    /// `AWS::EFS::FileSystem`.
    EfsFileSystem {
        /// `fileSystemPolicy`.
        file_system_policy: Option<PolicySource>,
    },
    /// `AWS::DynamoDB::Table`.
    DynamoDbTable {
        /// `tablePolicy`.
        table_policy: Option<PolicySource>,
    },
    /// `AWS::DynamoDB::Stream`.
    DynamoDbStream {
        /// `streamPolicy`.
        stream_policy: Option<PolicySource>,
    },
    /// `AWS::ApiGateway::RestApi`.
    ApiGatewayRestApi {
        /// `policy`: the REST API's resource policy.
        policy: Option<PolicySource>,
    },
    /// `AWS::OpenSearchService::Domain`.
    OpenSearchServiceDomain {
        /// `accessPolicies`: the domain's access policy.
        access_policies: Option<PolicySource>,
    },
    /// `AWS::Backup::BackupVault`.
    BackupVault {
        /// `accessPolicy`: the vault's access policy.
        access_policy: Option<PolicySource>,
    },
    /// `AWS::Glacier::Vault`.
    GlacierVault {
        /// `vaultPolicy`: the vault access policy.
        vault_policy: Option<PolicySource>,
    },
    /// `AWS::Kinesis::Stream`.
    KinesisStream {
        /// `streamPolicy`: the stream's resource-based policy.
        stream_policy: Option<PolicySource>,
    },
    /// `AWS::Events::EventBus`.
    EventsEventBus {
        /// `policy`: the event bus's resource-based policy.
        policy: Option<PolicySource>,
    },
}

/// A policy of a configuration together with the name of the field that holds it.
#[derive(Clone, Debug)]
pub struct NamedPolicy<'a> {
    /// The field, as written in a keyhole resource file: `bucketPolicy`, `keyPolicies.default`,
    /// `accessPoints.<access point ARN>.accessPointPolicy`, …
    pub field: String,
    /// For access point policies: the access point's ARN.
    pub access_point: Option<&'a str>,
    /// The policy.
    pub policy: &'a PolicySource,
}

impl Configuration {
    /// The resource type this configuration belongs to.
    #[must_use]
    pub fn resource_type(&self) -> ResourceType {
        match self {
            Configuration::S3Bucket(_) => ResourceType::S3Bucket,
            Configuration::S3ExpressDirectoryBucket(_) => ResourceType::S3ExpressDirectoryBucket,
            Configuration::IamRole { .. } => ResourceType::IamRole,
            Configuration::KmsKey(_) => ResourceType::KmsKey,
            Configuration::LambdaFunction { .. } => ResourceType::LambdaFunction,
            Configuration::LambdaLayerVersion { .. } => ResourceType::LambdaLayerVersion,
            Configuration::SqsQueue { .. } => ResourceType::SqsQueue,
            Configuration::SecretsManagerSecret(_) => ResourceType::SecretsManagerSecret,
            Configuration::SnsTopic { .. } => ResourceType::SnsTopic,
            Configuration::Ec2Snapshot(_) => ResourceType::Ec2Snapshot,
            Configuration::RdsDbSnapshot(_) => ResourceType::RdsDbSnapshot,
            Configuration::RdsDbClusterSnapshot(_) => ResourceType::RdsDbClusterSnapshot,
            Configuration::EcrRepository { .. } => ResourceType::EcrRepository,
            Configuration::EfsFileSystem { .. } => ResourceType::EfsFileSystem,
            Configuration::DynamoDbTable { .. } => ResourceType::DynamoDbTable,
            Configuration::DynamoDbStream { .. } => ResourceType::DynamoDbStream,
            Configuration::ApiGatewayRestApi { .. } => ResourceType::ApiGatewayRestApi,
            Configuration::OpenSearchServiceDomain { .. } => ResourceType::OpenSearchServiceDomain,
            Configuration::BackupVault { .. } => ResourceType::BackupVault,
            Configuration::GlacierVault { .. } => ResourceType::GlacierVault,
            Configuration::KinesisStream { .. } => ResourceType::KinesisStream,
            Configuration::EventsEventBus { .. } => ResourceType::EventsEventBus,
        }
    }

    /// The configuration of a resource of this type without any policy, grant or sharing (what
    /// a resource object without `configuration` reads as).
    #[must_use]
    pub fn empty(resource_type: ResourceType) -> Configuration {
        match resource_type {
            ResourceType::S3Bucket => Configuration::S3Bucket(S3Bucket::default()),
            ResourceType::S3ExpressDirectoryBucket => {
                Configuration::S3ExpressDirectoryBucket(S3ExpressDirectoryBucket::default())
            }
            ResourceType::IamRole => Configuration::IamRole { trust_policy: None },
            ResourceType::KmsKey => Configuration::KmsKey(KmsKey::default()),
            ResourceType::LambdaFunction => Configuration::LambdaFunction {
                function_policy: None,
            },
            ResourceType::LambdaLayerVersion => {
                Configuration::LambdaLayerVersion { layer_policy: None }
            }
            ResourceType::SqsQueue => Configuration::SqsQueue { queue_policy: None },
            ResourceType::SecretsManagerSecret => {
                Configuration::SecretsManagerSecret(SecretsManagerSecret::default())
            }
            ResourceType::SnsTopic => Configuration::SnsTopic { topic_policy: None },
            ResourceType::Ec2Snapshot => Configuration::Ec2Snapshot(EbsSnapshot::default()),
            ResourceType::RdsDbSnapshot => Configuration::RdsDbSnapshot(RdsSnapshot::default()),
            ResourceType::RdsDbClusterSnapshot => {
                Configuration::RdsDbClusterSnapshot(RdsSnapshot::default())
            }
            ResourceType::EcrRepository => Configuration::EcrRepository {
                repository_policy: None,
            },
            ResourceType::EfsFileSystem => Configuration::EfsFileSystem {
                file_system_policy: None,
            },
            ResourceType::DynamoDbTable => Configuration::DynamoDbTable { table_policy: None },
            ResourceType::DynamoDbStream => Configuration::DynamoDbStream {
                stream_policy: None,
            },
            ResourceType::ApiGatewayRestApi => Configuration::ApiGatewayRestApi { policy: None },
            ResourceType::OpenSearchServiceDomain => Configuration::OpenSearchServiceDomain {
                access_policies: None,
            },
            ResourceType::BackupVault => Configuration::BackupVault {
                access_policy: None,
            },
            ResourceType::GlacierVault => Configuration::GlacierVault { vault_policy: None },
            ResourceType::KinesisStream => Configuration::KinesisStream {
                stream_policy: None,
            },
            ResourceType::EventsEventBus => Configuration::EventsEventBus { policy: None },
        }
    }

    /// Every policy of the configuration, in a fixed order: the resource's own policy, then KMS
    /// key policies by name, then access point policies by access point ARN.
    #[must_use]
    pub fn policies(&self) -> Vec<NamedPolicy<'_>> {
        fn single<'a>(field: &str, policy: Option<&'a PolicySource>) -> Option<NamedPolicy<'a>> {
            policy.map(|policy| NamedPolicy {
                field: field.to_owned(),
                access_point: None,
                policy,
            })
        }
        let mut out = Vec::new();
        match self {
            Configuration::S3Bucket(b) => {
                out.extend(single("bucketPolicy", b.bucket_policy.as_ref()));
                push_access_points(&mut out, &b.access_points);
            }
            Configuration::S3ExpressDirectoryBucket(b) => {
                out.extend(single("bucketPolicy", b.bucket_policy.as_ref()));
                push_access_points(&mut out, &b.access_points);
            }
            Configuration::KmsKey(k) => {
                out.extend(k.key_policies.iter().map(|(name, policy)| NamedPolicy {
                    field: format!("keyPolicies.{name}"),
                    access_point: None,
                    policy,
                }));
            }
            Configuration::SecretsManagerSecret(s) => {
                out.extend(single("secretPolicy", s.secret_policy.as_ref()));
            }
            Configuration::Ec2Snapshot(_)
            | Configuration::RdsDbSnapshot(_)
            | Configuration::RdsDbClusterSnapshot(_) => {}
            Configuration::IamRole { trust_policy } => {
                out.extend(single("trustPolicy", trust_policy.as_ref()));
            }
            Configuration::LambdaFunction { function_policy } => {
                out.extend(single("functionPolicy", function_policy.as_ref()));
            }
            Configuration::LambdaLayerVersion { layer_policy } => {
                out.extend(single("layerPolicy", layer_policy.as_ref()));
            }
            Configuration::SqsQueue { queue_policy } => {
                out.extend(single("queuePolicy", queue_policy.as_ref()));
            }
            Configuration::SnsTopic { topic_policy } => {
                out.extend(single("topicPolicy", topic_policy.as_ref()));
            }
            Configuration::EcrRepository { repository_policy } => {
                out.extend(single("repositoryPolicy", repository_policy.as_ref()));
            }
            Configuration::EfsFileSystem { file_system_policy } => {
                out.extend(single("fileSystemPolicy", file_system_policy.as_ref()));
            }
            Configuration::DynamoDbTable { table_policy } => {
                out.extend(single("tablePolicy", table_policy.as_ref()));
            }
            Configuration::DynamoDbStream { stream_policy }
            | Configuration::KinesisStream { stream_policy } => {
                out.extend(single("streamPolicy", stream_policy.as_ref()));
            }
            Configuration::ApiGatewayRestApi { policy }
            | Configuration::EventsEventBus { policy } => {
                out.extend(single("policy", policy.as_ref()));
            }
            Configuration::OpenSearchServiceDomain { access_policies } => {
                out.extend(single("accessPolicies", access_policies.as_ref()));
            }
            Configuration::BackupVault { access_policy } => {
                out.extend(single("accessPolicy", access_policy.as_ref()));
            }
            Configuration::GlacierVault { vault_policy } => {
                out.extend(single("vaultPolicy", vault_policy.as_ref()));
            }
        }
        out
    }
}

fn push_access_points<'a>(out: &mut Vec<NamedPolicy<'a>>, aps: &'a BTreeMap<String, AccessPoint>) {
    for (arn, ap) in aps {
        if let Some(policy) = &ap.access_point_policy {
            out.push(NamedPolicy {
                field: format!("accessPoints.{arn}.accessPointPolicy"),
                access_point: Some(arn),
                policy,
            });
        }
    }
}

/// `s3Bucket`: a general purpose S3 bucket.
#[derive(Clone, Debug, Default)]
pub struct S3Bucket {
    /// `bucketPolicy`.
    pub bucket_policy: Option<PolicySource>,
    /// `bucketAclGrants`: the bucket ACL's grants (the owner's own `FULL_CONTROL` grant included
    /// when the source lists it).
    pub bucket_acl_grants: Vec<AclGrant>,
    /// `bucketPublicAccessBlock`: the bucket-level Block Public Access settings (`None`: not
    /// configured, which means all four settings off).
    pub bucket_public_access_block: Option<PublicAccessBlock>,
    /// `accessPoints`: same-account access points by ARN.
    pub access_points: BTreeMap<String, AccessPoint>,
    /// `ownerCanonicalId` (keyhole's addition): the canonical user id of the bucket owner, so that
    /// ACL grants to it are recognised as the owner's own.
    pub owner_canonical_id: Option<String>,
}

/// `s3ExpressDirectoryBucket`: an S3 Express One Zone directory bucket.
#[derive(Clone, Debug, Default)]
pub struct S3ExpressDirectoryBucket {
    /// `bucketPolicy`.
    pub bucket_policy: Option<PolicySource>,
    /// `accessPoints` by ARN ([`AccessPoint::public_access_block`] is always `None` here).
    pub access_points: BTreeMap<String, AccessPoint>,
}

/// One grant of an S3 bucket ACL (`bucketAclGrants[]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclGrant {
    /// `permission`.
    pub permission: AclPermission,
    /// `grantee`.
    pub grantee: AclGrantee,
    /// Where the grant was read.
    pub origin: Origin,
}

/// The permission of an ACL grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclPermission {
    /// `READ`.
    Read,
    /// `WRITE`.
    Write,
    /// `READ_ACP`.
    ReadAcp,
    /// `WRITE_ACP`.
    WriteAcp,
    /// `FULL_CONTROL`.
    FullControl,
}

impl AclPermission {
    /// Every permission.
    pub const ALL: [AclPermission; 5] = [
        AclPermission::Read,
        AclPermission::Write,
        AclPermission::ReadAcp,
        AclPermission::WriteAcp,
        AclPermission::FullControl,
    ];

    /// The name as in Access Analyzer's `AclPermission` and S3's API (`READ`, `FULL_CONTROL`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AclPermission::Read => "READ",
            AclPermission::Write => "WRITE",
            AclPermission::ReadAcp => "READ_ACP",
            AclPermission::WriteAcp => "WRITE_ACP",
            AclPermission::FullControl => "FULL_CONTROL",
        }
    }
}

/// Who an ACL grant is for: exactly one of Access Analyzer's `AclGrantee` members.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclGrantee {
    /// `id`: a canonical user id.
    Id(String),
    /// `uri`: a predefined group, such as [`ALL_USERS_URI`].
    Uri(String),
}

/// The group of everyone, signed in or not.
pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The group of every signed-in AWS principal of any account.
pub const AUTHENTICATED_USERS_URI: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
/// The S3 server access log delivery group.
pub const LOG_DELIVERY_URI: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The two Block Public Access settings that change effective access (Access Analyzer's
/// `S3PublicAccessBlockConfiguration`); `blockPublicAcls` and `blockPublicPolicy` only reject
/// future changes and are accepted but not kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PublicAccessBlock {
    /// `ignorePublicAcls`: ACL grants to `AllUsers` and `AuthenticatedUsers` are ignored.
    pub ignore_public_acls: bool,
    /// `restrictPublicBuckets`: a public policy admits only AWS service principals and principals
    /// of the owner account.
    pub restrict_public_buckets: bool,
}

/// An S3 access point of a bucket (`accessPoints.<ARN>`).
#[derive(Clone, Debug, Default)]
pub struct AccessPoint {
    /// `accessPointPolicy`.
    pub access_point_policy: Option<PolicySource>,
    /// `publicAccessBlock`.
    pub public_access_block: Option<PublicAccessBlock>,
    /// `networkOrigin` (`None`: not given; Access Analyzer then assumes Internet for a new access
    /// point).
    pub network_origin: Option<NetworkOrigin>,
    /// Where the access point was read.
    pub origin: Option<Origin>,
}

/// Where requests to an access point may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkOrigin {
    /// `vpcConfiguration`: only from this VPC.
    Vpc {
        /// `vpcId`.
        vpc_id: String,
    },
    /// `internetConfiguration`: from anywhere.
    Internet,
}

/// `kmsKey`: a KMS key.
#[derive(Clone, Debug, Default)]
pub struct KmsKey {
    /// `keyPolicies`: key policies by name (KMS has one, named `default`).
    pub key_policies: BTreeMap<String, PolicySource>,
    /// `grants`.
    pub grants: Vec<KmsGrant>,
}

/// One KMS grant (Access Analyzer's `KmsGrantConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsGrant {
    /// `granteePrincipal`: who may use the grant.
    pub grantee_principal: String,
    /// `operations`.
    pub operations: Vec<KmsGrantOperation>,
    /// `constraints`.
    pub constraints: Option<KmsGrantConstraints>,
    /// `issuingAccount`: the account the grant was issued in.
    pub issuing_account: String,
    /// `retiringPrincipal`.
    pub retiring_principal: Option<String>,
    /// Where the grant was read.
    pub origin: Origin,
}

/// `constraints` of a KMS grant: encryption context conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KmsGrantConstraints {
    /// `encryptionContextEquals`.
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
    /// `encryptionContextSubset`.
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
}

macro_rules! kms_operations {
    ($($variant:ident = $name:literal,)*) => {
        /// An operation a KMS grant allows (Access Analyzer's `KmsGrantOperation`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum KmsGrantOperation {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )*
        }

        impl KmsGrantOperation {
            /// Every operation.
            pub const ALL: &'static [KmsGrantOperation] = &[$(KmsGrantOperation::$variant,)*];

            /// The operation's name (`Decrypt`, …); the IAM action is `kms:` followed by it.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(KmsGrantOperation::$variant => $name,)*
                }
            }
        }
    };
}

kms_operations! {
    CreateGrant = "CreateGrant",
    Decrypt = "Decrypt",
    DescribeKey = "DescribeKey",
    Encrypt = "Encrypt",
    GenerateDataKey = "GenerateDataKey",
    GenerateDataKeyPair = "GenerateDataKeyPair",
    GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
    GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
    GetPublicKey = "GetPublicKey",
    ReEncryptFrom = "ReEncryptFrom",
    ReEncryptTo = "ReEncryptTo",
    RetireGrant = "RetireGrant",
    Sign = "Sign",
    Verify = "Verify",
}

/// `secretsManagerSecret`: a Secrets Manager secret.
#[derive(Clone, Debug, Default)]
pub struct SecretsManagerSecret {
    /// `secretPolicy`.
    pub secret_policy: Option<PolicySource>,
    /// `kmsKeyId`: the key that encrypts the secret (`None`: the AWS managed key
    /// `aws/secretsmanager`, which cannot be used from another account).
    pub kms_key_id: Option<String>,
}

/// `ebsSnapshot`: the create-volume permissions of an EBS snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EbsSnapshot {
    /// `userIds`: accounts the snapshot is shared with.
    pub user_ids: Vec<String>,
    /// `groups`: `all` shares it publicly.
    pub groups: Vec<String>,
    /// `kmsKeyId`: the encryption key (`None`: unencrypted).
    pub kms_key_id: Option<String>,
}

/// `rdsDbSnapshot` / `rdsDbClusterSnapshot`: the attributes of a manual RDS snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RdsSnapshot {
    /// `attributes`: attribute name to values; `restore` lists the accounts that may copy or
    /// restore the snapshot, `all` for everyone.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// `kmsKeyId`: the encryption key (`None`: unencrypted).
    pub kms_key_id: Option<String>,
}

/// Account-level S3 Block Public Access of one account (the `AWS::S3::AccountPublicAccessBlock`
/// entry of a resource file, or AWS Config's item of that type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountPublicAccessBlock {
    /// The account.
    pub account: String,
    /// Its settings.
    pub settings: PublicAccessBlock,
    /// Where the entry was read.
    pub origin: Origin,
}
