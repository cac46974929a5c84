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

//! On top of the domains sits the first slice of the engine (ENGINE.md §4–§6): a policy is
//! encoded as a Boolean formula over tests on the request's variables (action, resource,
//! principal, condition keys), each variable's domain is split into atoms, and a decision
//! diagram over atom indices answers [`satisfiable`] and [`allowed_but_not`] with an
//! [`Answer`]: a witness request, `No`, or `Unknown` with the reason. A string variable is split
//! by one deterministic automaton over all its patterns at once, whose states' signatures are
//! the atoms; [`StringSet`] is the algebra that split is tested against.
//!
//! ```
//! use keyhole_logic::{Answer, QueryOptions, allowed_but_not, satisfiable};
//! use keyhole_policy::parse_policy;
//!
//! let old = parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
//!     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}}"#).unwrap();
//! let new = parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
//!     "Action": "s3:Get*", "Resource": "arn:aws:s3:::bucket/*"}}"#).unwrap();
//! assert!(matches!(satisfiable(&old, &QueryOptions::default()), Answer::Yes(_)));
//! let Answer::Yes(witness) = allowed_but_not(&new, &old, &QueryOptions::default()) else {
//!     panic!("NEW allows more")
//! };
//! assert!(witness.action.starts_with("s3:Get"));
//! assert_eq!(allowed_but_not(&old, &new, &QueryOptions::default()), Answer::No);
//! ```

#![deny(missing_docs)]

mod atoms;
mod choices;
mod compare;
mod domain;
mod encode;
mod err;
mod mdd;
mod query;
pub mod smtlib;
mod space;

pub use choices::{ChoiceSearch, Choices};
pub use compare::{Comparison, Relation, compare};
pub use domain::date::{DateSet, Timestamp};
pub use domain::finite::{Finite, FiniteSet};
pub use domain::glob::{Alphabet, AlphabetBuilder, Case, DEFAULT_MAX_STATES, GlobToken, StringSet};
pub use domain::interval::{Interval, IntervalSet, Point};
pub use domain::ip::{Ip, IpSet};
pub use domain::number::{Decimal, NumberSet};
pub use err::DomainError;
pub use query::{
    Answer, Limits, PolicyKind, QueryOptions, Restriction, Witness, allowed_but_not,
    representative_requests, satisfiable,
};
pub use space::{CallerKind, Expr, Space};

/// Empties the calling thread's engine caches.
///
/// Queries share each variable's atoms (its automata and witness values) through a bounded
/// per-thread cache keyed by the sets that split it, so a query that names the same literals as
/// an earlier one on the thread skips their construction. Answers never depend on the cache;
/// benchmarks call this to measure a query from cold. The splits that depend on no input (a
/// resource policy's caller split only by the engine's own well-formedness shapes) are kept:
/// they are built once per process, like the service catalog.
pub fn clear_caches() {
    atoms::clear_cache();
}
