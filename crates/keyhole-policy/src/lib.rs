//! The AWS IAM policy language.
#![deny(missing_docs)]

pub mod pattern;
