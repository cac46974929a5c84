//! Errors of the value domains: budgets that were hit, literals that do not parse, and misuse
//! that the type system cannot rule out (automata over different alphabets).

use thiserror::Error;

/// Why a domain operation could not produce an exact answer.
///
/// None of these is a silent approximation: a caller turns them into `Unknown(reason)` (budgets,
/// overflow) or a validation error on the policy (parse errors).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DomainError {
    /// A size budget was exceeded (for example the number of automaton states).
    #[error("the {what} budget of {limit} was exceeded")]
    Budget {
        /// What was being counted, in words (for example `automaton states`).
        what: &'static str,
        /// The configured limit.
        limit: usize,
    },
    /// A pattern or literal uses a character that the query's alphabet does not list.
    #[error("character `{ch}` is not in the alphabet of this query")]
    NotInAlphabet {
        /// The offending character.
        ch: char,
    },
    /// Two string sets built over different alphabets were combined.
    #[error("string sets built over different alphabets cannot be combined")]
    AlphabetMismatch,
    /// A literal does not parse as a value of the domain.
    #[error("`{text}` is not a valid {what}")]
    Parse {
        /// The kind of literal expected (for example `number`, `IP address or CIDR block`).
        what: &'static str,
        /// The literal as written.
        text: String,
    },
    /// Exact arithmetic on a value would exceed the representable range.
    #[error("{what} is outside the exactly representable range")]
    Overflow {
        /// The value or computation that overflowed, in words.
        what: &'static str,
    },
}
