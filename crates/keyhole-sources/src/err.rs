//! Errors and warnings of reading: a [`SourceError`] stops reading and names the file, the line
//! and column, and the problem; a [`Warning`] is kept next to what was read.
//!
//! An invalid *policy* is neither: it is kept in its [`crate::PolicySource`] for the analyzer.

use crate::model::Origin;
use keyhole_policy::{JsonErrorKind, Location, Span};
use miette::Diagnostic;
use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// Why an input could not be read.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub struct SourceError {
    /// The file (or folder) concerned.
    pub file: PathBuf,
    /// Where in the file, when the problem has a position.
    pub location: Option<Location>,
    /// The byte range in the file, when the problem has a position.
    pub span: Option<Span>,
    /// What is wrong (boxed to keep `Result<_, SourceError>` small).
    pub kind: Box<SourceErrorKind>,
    /// Advice, when there is some.
    #[help]
    pub help: Option<String>,
}

impl fmt::Display for SourceError {
    /// `file:line:column: message` (column from 1), or `file: message` without a position.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(at) => write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                at.line,
                at.column + 1,
                self.kind
            ),
            None => write!(f, "{}: {}", self.file.display(), self.kind),
        }
    }
}

/// What is wrong with an input.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// The file or folder cannot be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The file is not UTF-8 text (the location is the first invalid byte).
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    /// The inputs together are larger than allowed.
    #[error("the input is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit ([`crate::ReadLimits::max_total_bytes`]).
        limit: u64,
    },
    /// The text is not valid JSON, or one JSON document exceeds a limit.
    #[error("invalid JSON: {0}")]
    Json(JsonErrorKind),
    /// Valid JSON, but neither a keyhole resource file nor AWS Config output.
    #[error("not a keyhole resource file or AWS Config output")]
    UnrecognizedFormat,
    /// A required field is missing.
    #[error("missing field `{field}`{}", within_suffix(.within))]
    MissingField {
        /// The field.
        field: String,
        /// The object that lacks it (`None`: the resource object itself).
        within: Option<String>,
    },
    /// A field that the object does not have.
    #[error("unknown field `{field}` in {within}")]
    UnknownField {
        /// The field.
        field: String,
        /// The object, such as `an \`AWS::S3::Bucket\` configuration`.
        within: String,
    },
    /// The same field twice in one object.
    #[error("duplicate field `{field}`")]
    DuplicateField {
        /// The field.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("`{field}` must be {expected}, found {found}")]
    WrongType {
        /// The field's path, such as `bucketAclGrants[1]`.
        field: String,
        /// The types it may have.
        expected: &'static str,
        /// The type it has.
        found: &'static str,
    },
    /// A resource type keyhole does not read.
    #[error("unknown resource type `{0}`")]
    UnknownResourceType(String),
    /// A field has a value it cannot have.
    #[error("`{field}` must be {expected}, found `{found}`")]
    InvalidValue {
        /// The field's path, such as `bucketAclGrants[1].permission`.
        field: String,
        /// What it may be, such as ``one of `READ`, `WRITE` ``.
        expected: String,
        /// What it is.
        found: String,
    },
}

fn within_suffix(within: &Option<String>) -> String {
    within
        .as_ref()
        .map_or_else(String::new, |w| format!(" in `{w}`"))
}

/// Something worth knowing about what was read, that does not stop reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub origin: Origin,
    /// What.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    /// `file:line:column: message` (column from 1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.kind)
    }
}

/// The kinds of [`Warning`].
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// A resource whose ARN was already read; the first one is kept.
    #[error("duplicate resource `{arn}`; keeping the one read first at {first}")]
    DuplicateArn {
        /// The ARN.
        arn: String,
        /// Where the kept one was read.
        first: Origin,
    },
    /// A second account-level Block Public Access entry for one account; the first is kept.
    #[error(
        "duplicate account-level Block Public Access for account `{account}`; keeping the one read first at {first}"
    )]
    DuplicateAccountPublicAccessBlock {
        /// The account.
        account: String,
        /// Where the kept one was read.
        first: Origin,
    },
    /// AWS Config items of a type keyhole does not analyse (reported once per type and file, at
    /// the first such item).
    #[error(
        "skipped {count} AWS Config item(s) of type `{resource_type}`, which keyhole does not analyse"
    )]
    SkippedConfigType {
        /// The AWS Config resource type.
        resource_type: String,
        /// How many items of the type the file has.
        count: usize,
    },
    /// AWS Config items of deleted or unrecorded resources (reported once per file, at the first
    /// such item).
    #[error("skipped {count} AWS Config item(s) of deleted or unrecorded resources")]
    SkippedDeletedResources {
        /// How many.
        count: usize,
    },
    /// An AWS Config item that lacks a policy AWS Config does not always record (such as a KMS
    /// key policy); the resource is read without it.
    #[error("the AWS Config item of `{arn}` does not record its {what}; read without it")]
    PolicyNotRecorded {
        /// The resource.
        arn: String,
        /// What is missing, such as `key policy`.
        what: &'static str,
    },
    /// A file without any resource.
    #[error("the file has no resources")]
    Empty,
}
