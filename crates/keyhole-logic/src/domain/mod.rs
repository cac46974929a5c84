//! Per-key value domains: Boolean algebras of values with union, intersection, complement
//! relative to the key's universe, emptiness, membership and deterministic witnesses.
//!
//! None of these domains models the *absent* value of a key (`Null`, `…IfExists`, negated
//! operators on missing keys); the layer above adds it to every key.

pub(crate) mod date;
pub(crate) mod finite;
pub(crate) mod glob;
pub(crate) mod interval;
pub(crate) mod ip;
pub(crate) mod multiglob;
pub(crate) mod number;
