//! The AWS IAM policy language, exactly: strict parsing with source locations, ARNs and wildcard
//! patterns, every condition operator, policy variables, and the concrete evaluator that decides
//! a request the way AWS's documented policy evaluation logic does.
//!
//! ```
//! use keyhole_policy::{parse_policy, Effect};
//! let policy = parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
//!     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}}"#)?;
//! assert_eq!(policy.statements.items.len(), 1);
//! # Ok::<(), keyhole_policy::PolicyError>(())
//! ```
#![deny(missing_docs)]

pub mod arn;
mod ast;
pub mod catalog;
pub mod condition;
mod err;
mod eval;
pub mod json;
mod kind;
mod parse;
pub mod pattern;
mod print;
pub mod request;
pub mod scenario;
mod span;
pub mod value;
pub mod variables;

pub use ast::{
    ActionElement, ConditionClause, ConditionEntry, ConditionValue, Effect, ListForm, OneOrMany,
    Policy, Principal, PrincipalElement, PrincipalType, ResourceElement, Statement, ValueJsonType,
};
pub use err::{JsonError, JsonErrorKind, PolicyError, PolicyErrorKind};
pub use eval::{
    Decision, EvalOptions, Evaluation, KnownKey, Layer, MatchedStatement, PolicySet, evaluate,
    evaluate_policy,
};
pub use kind::{KindIssue, PolicyKind, check_kind};
pub use parse::{
    PolicyLimits, parse_policy, parse_policy_with, policy_from_json, policy_from_value,
};
pub use print::print_policy;
pub use span::{Location, Span, Spanned};

/// The current policy language version.
pub const VERSION_2012: &str = "2012-10-17";
/// The original policy language version (no policy variables).
pub const VERSION_2008: &str = "2008-10-17";
