//! Exact symbolic reasoning over IAM policies.
//!
//! This crate holds the per-key value domains of the reasoning engine (see `ARCHITECTURE.md`,
//! "The reasoning engine", and `ENGINE.md`): every condition key ranges over a Boolean algebra of
//! values with union, intersection, complement, emptiness, membership and a deterministic
//! witness, all exact.
//!
//! | values | type | IAM operators |
//! |---|---|---|
//! | strings, ARNs | [`StringSet`] over an [`Alphabet`] | `String…`, `Arn…`, `Action`, `Resource`, `Principal` |
//! | IP addresses | [`IpSet`] | `IpAddress`, `NotIpAddress` |
//! | numbers | [`NumberSet`] of [`Decimal`] | `Numeric…` |
//! | dates | [`DateSet`] of [`Timestamp`] | `Date…` |
//! | booleans, enumerations | [`FiniteSet`] of a [`Finite`] type | `Bool`, principal kinds |
//!
//! The *absent* value of a key is not part of these domains; the layer above adds it.
//!
//! ```
//! use keyhole_logic::{Alphabet, Case, StringSet};
//!
//! # fn main() -> Result<(), keyhole_logic::DomainError> {
//! let mut builder = Alphabet::builder();
//! builder.glob("arn:aws:iam::123456789012:user/a*c", Case::Sensitive);
//! builder.glob("arn:aws:iam::123456789012:user/*bc", Case::Sensitive);
//! let alphabet = builder.build();
//! let first = StringSet::from_glob(&alphabet, "arn:aws:iam::123456789012:user/a*c", Case::Sensitive)?;
//! let second = StringSet::from_glob(&alphabet, "arn:aws:iam::123456789012:user/*bc", Case::Sensitive)?;
//! let both = first.intersect(&second)?;
//! assert_eq!(both.witness().as_deref(), Some("arn:aws:iam::123456789012:user/abc"));
//! assert!(!first.is_subset(&second)?);
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod domain;
mod err;

pub use domain::date::{DateSet, Timestamp};
pub use domain::finite::{Finite, FiniteSet};
pub use domain::glob::{Alphabet, AlphabetBuilder, Case, DEFAULT_MAX_STATES, GlobToken, StringSet};
pub use domain::interval::{Interval, IntervalSet, Point};
pub use domain::ip::{Ip, IpSet};
pub use domain::number::{Decimal, NumberSet};
pub use err::DomainError;
