//! External-access findings over keyhole's resource model.
//!
//! [`search::external_access`] is the exact core: the (principal, condition) classes of
//! callers outside a [`Zone`] that one resource policy lets in, each with a witness request.

pub mod actions;
pub mod search;
pub mod zone;

pub use search::{Access, PrincipalLabel, SearchLimits, Target, external_access};
pub use zone::Zone;
