//! External-access findings over keyhole's resource model.
//!
//! - [`search::external_access`] is the exact core: the (principal, condition) classes of
//!   callers outside a [`Zone`] that one resource policy lets in, each with a witness request.
//! - [`resource::analyze`] applies it to each resource type's configuration (policies, ACLs,
//!   grants, sharing attributes) and shapes Access Analyzer [`Finding`]s.
//! - [`archive`] applies archive rules in Access Analyzer's filter syntax.
//! - [`validate`] lints policies with ValidatePolicy's issue codes; [`checks`] answers the custom
//!   policy checks exactly; [`preview`] compares a proposed configuration's findings with the
//!   current ones.

pub mod actions;
pub mod archive;
pub mod checks;
pub mod finding;
pub mod preview;
pub mod resource;
pub mod search;
pub mod validate;
pub mod zone;

pub use finding::{Finding, FindingSource, StatementRef, Status};
pub use resource::{Context, analyze};
pub use search::{Access, PrincipalLabel, SearchLimits, Target, external_access};
pub use zone::{ExtraTrust, Zone};
