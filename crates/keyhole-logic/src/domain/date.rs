//! Instants for the date condition operators (`DateEquals`, `DateLessThan`, …; keys such as
//! `aws:CurrentTime`, `aws:EpochTime`, `aws:TokenIssueTime`): a discrete domain of nanoseconds
//! since the Unix epoch.
//!
//! Parsing ISO 8601 and epoch literals belongs to the policy layer, which hands instants here.
//! See the IAM User Guide, "Date condition operators". The *absent* value of a key is not an
//! instant; the layer above adds it.

use super::interval::{IntervalSet, Point};
use super::ip::discrete_between;
use crate::err::DomainError;

/// An instant: nanoseconds since 1970-01-01T00:00:00Z (negative before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i128);

impl Timestamp {
    /// The instant `nanos` nanoseconds after the epoch.
    #[must_use]
    pub fn from_unix_nanos(nanos: i128) -> Self {
        Timestamp(nanos)
    }

    /// The instant `seconds` seconds after the epoch.
    #[must_use]
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(i128::from(seconds) * 1_000_000_000)
    }

    /// Nanoseconds since the epoch.
    #[must_use]
    pub fn unix_nanos(self) -> i128 {
        self.0
    }
}

impl Point for Timestamp {
    const DISCRETE: bool = true;

    fn successor(&self) -> Option<Self> {
        self.0.checked_add(1).map(Timestamp)
    }

    fn predecessor(&self) -> Option<Self> {
        self.0.checked_sub(1).map(Timestamp)
    }

    fn lowest() -> Option<Self> {
        Some(Timestamp(i128::MIN))
    }

    fn highest() -> Option<Self> {
        Some(Timestamp(i128::MAX))
    }

    /// The epoch.
    fn origin() -> Self {
        Timestamp(0)
    }

    fn between(low: Option<&Self>, high: Option<&Self>) -> Result<Self, DomainError> {
        discrete_between(low, high)
    }
}

/// A set of instants.
pub type DateSet = IntervalSet<Timestamp>;
