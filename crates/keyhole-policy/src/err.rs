//! Errors of the policy language: JSON syntax, policy grammar, values.
//!
//! Every error carries the [`Span`] of the offending text so that callers can report a line and
//! column and underline it.

use crate::span::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A JSON syntax error.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("{kind}")]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// Where.
    #[label("here")]
    pub span: Span,
}

impl JsonError {
    pub(crate) fn new(kind: JsonErrorKind, span: Span) -> Self {
        JsonError { kind, span }
    }
}

/// What is wrong with a JSON text.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The text ends in the middle of a value.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// A character that cannot start or continue what is expected here.
    #[error("unexpected character, expected {expected}")]
    UnexpectedCharacter {
        /// What would have been valid.
        expected: &'static str,
    },
    /// Text after the end of the document.
    #[error("unexpected text after the end of the JSON document")]
    TrailingCharacters,
    /// A string without its closing quote.
    #[error("unterminated string")]
    UnterminatedString,
    /// A raw control character (such as a tab or newline) inside a string.
    #[error("control character inside a string; write it as an escape such as `\\n`")]
    ControlCharacterInString,
    /// A backslash escape JSON does not define.
    #[error("invalid escape sequence")]
    InvalidEscape,
    /// A malformed number.
    #[error("invalid number")]
    InvalidNumber,
    /// The text is larger than allowed.
    #[error("the document is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the text.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Arrays and objects nested too deeply.
    #[error("nesting deeper than the limit of {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Too many values in one document.
    #[error("more than {limit} values in one document")]
    TooManyValues {
        /// The limit.
        limit: usize,
    },
}

/// An error in a policy document: its JSON or its IAM grammar.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("{kind}")]
pub struct PolicyError {
    /// What is wrong.
    pub kind: PolicyErrorKind,
    /// Where.
    #[label("here")]
    pub span: Span,
}

impl PolicyError {
    pub(crate) fn new(kind: PolicyErrorKind, span: Span) -> Self {
        PolicyError { kind, span }
    }
}

impl From<JsonError> for PolicyError {
    fn from(e: JsonError) -> Self {
        PolicyError::new(PolicyErrorKind::Json(e.kind), e.span)
    }
}

/// What is wrong with a policy document.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The text is not valid JSON.
    #[error("{0}")]
    Json(JsonErrorKind),
    /// An element has the wrong JSON type.
    #[error("`{element}` must be {expected}, found {found}")]
    WrongType {
        /// The element, e.g. `Statement` or `Condition.StringEquals.aws:SourceIp`.
        element: String,
        /// The types it may have.
        expected: &'static str,
        /// The type it has.
        found: &'static str,
    },
    /// An element IAM does not define.
    #[error("unknown element `{element}` in {context}")]
    UnknownElement {
        /// The element's name.
        element: String,
        /// `the policy` or `a statement`.
        context: &'static str,
    },
    /// The same element twice in one object.
    #[error("duplicate element `{element}`")]
    DuplicateElement {
        /// The element's name.
        element: String,
    },
    /// A required element is missing.
    #[error("missing `{element}` in {context}")]
    MissingElement {
        /// The element's name.
        element: &'static str,
        /// Where it is missing.
        context: &'static str,
    },
    /// Two elements that exclude each other, such as `Action` and `NotAction`.
    #[error("`{first}` and `{second}` cannot both appear in a statement")]
    ConflictingElements {
        /// One.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// `Effect` other than `Allow` or `Deny`.
    #[error("`Effect` must be `Allow` or `Deny`, found `{value}`")]
    InvalidEffect {
        /// What was written.
        value: String,
    },
    /// `Version` other than `2012-10-17` or `2008-10-17`.
    #[error("`Version` must be `2012-10-17` or `2008-10-17`, found `{value}`")]
    InvalidVersion {
        /// What was written.
        value: String,
    },
    /// A principal type other than `AWS`, `Service`, `Federated` or `CanonicalUser`.
    #[error(
        "unknown principal type `{value}`; expected `AWS`, `Service`, `Federated` or `CanonicalUser`"
    )]
    UnknownPrincipalType {
        /// What was written.
        value: String,
    },
    /// A condition operator IAM does not define.
    #[error("unknown condition operator `{value}`")]
    UnknownConditionOperator {
        /// What was written.
        value: String,
    },
    /// A list that must not be empty.
    #[error("`{element}` must not be empty")]
    Empty {
        /// The element.
        element: String,
    },
    /// More elements than allowed.
    #[error("more than {limit} {what}")]
    TooMany {
        /// What is counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}
