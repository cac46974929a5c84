//! Reading the world into keyhole's resource model: keyhole resource files and AWS Config
//! output become [`Resource`]s whose [`Configuration`] follows IAM Access Analyzer's
//! access-preview `Configuration` shapes. This crate reads; it does not analyze.
//!
//! The input formats are described in `docs/resources.md`. A file's format is detected from its
//! content; a folder is read file by file in sorted order. Bad input is a [`SourceError`] that
//! names the file, line and column; an invalid *policy* is not: it is kept, with its parse error,
//! in its [`PolicySource`], for the analyzer to report.
//!
//! ```
//! use keyhole_sources::{Configuration, ResourceType, read_str};
//! use std::path::Path;
//!
//! let text = r#"{"resources": [{
//!     "arn": "arn:aws:sqs:us-east-1:111122223333:orders",
//!     "resourceType": "AWS::SQS::Queue",
//!     "configuration": {"queuePolicy": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"444455556666\"}, \"Action\": \"sqs:SendMessage\", \"Resource\": \"*\"}]}"}
//! }]}"#;
//! let loaded = read_str(Path::new("account.json"), text)?;
//! let queue = &loaded.resources[0];
//! assert_eq!(queue.resource_type, ResourceType::SqsQueue);
//! assert_eq!(queue.account, "111122223333");
//! assert_eq!(queue.region.as_deref(), Some("us-east-1"));
//! assert_eq!(queue.origin.to_string(), "account.json:1:16");
//! let Configuration::SqsQueue { queue_policy: Some(policy) } = &queue.configuration else {
//!     unreachable!()
//! };
//! assert!(policy.policy().is_some());
//! # Ok::<(), keyhole_sources::SourceError>(())
//! ```
#![deny(missing_docs)]

mod config;
mod doc;
mod err;
mod keyhole;
mod model;
mod read;
mod text;

pub use err::{SourceError, SourceErrorKind, Warning, WarningKind};
pub use keyhole::RESOURCE_FIELDS;
pub use model::{
    ALL_USERS_URI, AUTHENTICATED_USERS_URI, AccessPoint, AccountPublicAccessBlock, AclGrant,
    AclGrantee, AclPermission, Configuration, EbsSnapshot, KmsGrant, KmsGrantConstraints,
    KmsGrantOperation, KmsKey, LOG_DELIVERY_URI, NamedPolicy, NetworkOrigin, Origin, PolicyForm,
    PolicySource, PublicAccessBlock, RdsSnapshot, Resource, ResourceType, S3Bucket,
    S3ExpressDirectoryBucket, SecretsManagerSecret, UnknownResourceType,
};
pub use read::{
    Loaded, ReadLimits, read_bytes, read_bytes_with, read_path, read_paths, read_str, read_str_with,
};
