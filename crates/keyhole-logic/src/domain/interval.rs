//! Sets of ordered values as finite unions of intervals: the shared machinery behind the IP
//! (`IpAddress`, `NotIpAddress`), number (`Numeric…`) and date (`Date…`) domains.
//!
//! An [`IntervalSet`] is a sorted list of disjoint, non-touching, non-empty intervals with open,
//! closed or infinite ends. The representation is canonical: two sets are equal exactly when they
//! hold the same values. Discrete domains ([`Point::DISCRETE`]) store closed ends only, dense ones
//! keep open ends and find witnesses strictly between two values.
//!
//! The *absent* value of a key (`Null`, `…IfExists`) is not an element of these domains; the
//! layer above adds it.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Bound;

use crate::err::DomainError;

/// A totally ordered value domain that interval sets range over.
pub trait Point: Clone + Ord + fmt::Debug {
    /// Whether the domain is discrete (every value has a successor and predecessor); otherwise
    /// it is dense (between two different values lies a third).
    const DISCRETE: bool;

    /// The next value up, for discrete domains (`None` at the top, and for dense domains).
    fn successor(&self) -> Option<Self>;

    /// The next value down, for discrete domains (`None` at the bottom, and for dense domains).
    fn predecessor(&self) -> Option<Self>;

    /// The least value, if the domain has one.
    fn lowest() -> Option<Self>;

    /// The greatest value, if the domain has one.
    fn highest() -> Option<Self>;

    /// The value a witness is chosen near: the member closest above it, else closest below.
    fn origin() -> Self;

    /// For dense domains: a value strictly above `low` (if given) and strictly below `high` (if
    /// given), preferring simple values; `low < high` when both are given.
    ///
    /// # Errors
    /// [`DomainError::Overflow`] if no such value is exactly representable.
    fn between(low: Option<&Self>, high: Option<&Self>) -> Result<Self, DomainError>;
}

/// One interval: a lower and an upper end.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Interval<T> {
    lower: Bound<T>,
    upper: Bound<T>,
}

impl<T: Point> Interval<T> {
    /// The lower end.
    #[must_use]
    pub fn lower(&self) -> &Bound<T> {
        &self.lower
    }

    /// The upper end.
    #[must_use]
    pub fn upper(&self) -> &Bound<T> {
        &self.upper
    }

    fn contains(&self, x: &T) -> bool {
        let above = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(a) => a <= x,
            Bound::Excluded(a) => a < x,
        };
        let below = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(b) => x <= b,
            Bound::Excluded(b) => x < b,
        };
        above && below
    }

    /// Converts open and infinite ends of discrete domains to closed ones; `None` if empty.
    fn normalized(self) -> Option<Self> {
        let Interval { lower, upper } = self;
        let (lower, upper) = if T::DISCRETE {
            let lower = match lower {
                Bound::Unbounded => T::lowest().map_or(Bound::Unbounded, Bound::Included),
                Bound::Excluded(a) => Bound::Included(a.successor()?),
                included @ Bound::Included(_) => included,
            };
            let upper = match upper {
                Bound::Unbounded => T::highest().map_or(Bound::Unbounded, Bound::Included),
                Bound::Excluded(b) => Bound::Included(b.predecessor()?),
                included @ Bound::Included(_) => included,
            };
            (lower, upper)
        } else {
            (lower, upper)
        };
        let non_empty = match (&lower, &upper) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => true,
            (Bound::Included(a), Bound::Included(b)) => a <= b,
            (Bound::Included(a), Bound::Excluded(b))
            | (Bound::Excluded(a), Bound::Included(b))
            | (Bound::Excluded(a), Bound::Excluded(b)) => a < b,
        };
        non_empty.then_some(Interval { lower, upper })
    }

    /// The least member, or one close to the lower end.
    fn low_point(&self) -> Result<T, DomainError> {
        match (&self.lower, &self.upper) {
            (Bound::Included(a), _) => Ok(a.clone()),
            (Bound::Excluded(a), Bound::Excluded(b) | Bound::Included(b)) => {
                T::between(Some(a), Some(b))
            }
            (Bound::Excluded(a), Bound::Unbounded) => T::between(Some(a), None),
            (Bound::Unbounded, _) => self.high_point(),
        }
    }

    /// The greatest member, or one close to the upper end.
    fn high_point(&self) -> Result<T, DomainError> {
        match (&self.lower, &self.upper) {
            (_, Bound::Included(b)) => Ok(b.clone()),
            (Bound::Excluded(a) | Bound::Included(a), Bound::Excluded(b)) => {
                T::between(Some(a), Some(b))
            }
            (Bound::Unbounded, Bound::Excluded(b)) => T::between(None, Some(b)),
            (_, Bound::Unbounded) => match &self.lower {
                Bound::Unbounded => Ok(T::origin()),
                _ => self.low_point(),
            },
        }
    }
}

fn cmp_lower<T: Ord>(a: &Bound<T>, b: &Bound<T>) -> Ordering {
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Less,
        (_, Bound::Unbounded) => Ordering::Greater,
        (Bound::Included(x), Bound::Included(y)) | (Bound::Excluded(x), Bound::Excluded(y)) => {
            x.cmp(y)
        }
        (Bound::Included(x), Bound::Excluded(y)) => x.cmp(y).then(Ordering::Less),
        (Bound::Excluded(x), Bound::Included(y)) => x.cmp(y).then(Ordering::Greater),
    }
}

fn cmp_upper<T: Ord>(a: &Bound<T>, b: &Bound<T>) -> Ordering {
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Greater,
        (_, Bound::Unbounded) => Ordering::Less,
        (Bound::Included(x), Bound::Included(y)) | (Bound::Excluded(x), Bound::Excluded(y)) => {
            x.cmp(y)
        }
        (Bound::Included(x), Bound::Excluded(y)) => x.cmp(y).then(Ordering::Greater),
        (Bound::Excluded(x), Bound::Included(y)) => x.cmp(y).then(Ordering::Less),
    }
}

/// Whether an interval ending at `upper` and one starting at `lower` (not before the first's
/// start) overlap or touch, so that their union is one interval.
fn touches<T: Point>(upper: &Bound<T>, lower: &Bound<T>) -> bool {
    match (upper, lower) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => true,
        (Bound::Included(b), Bound::Included(a)) => {
            a <= b || (T::DISCRETE && b.successor().as_ref() == Some(a))
        }
        (Bound::Included(b), Bound::Excluded(a)) | (Bound::Excluded(b), Bound::Included(a)) => {
            a <= b
        }
        (Bound::Excluded(b), Bound::Excluded(a)) => a < b,
    }
}

fn flip<T>(bound: Bound<T>) -> Bound<T> {
    match bound {
        Bound::Included(x) => Bound::Excluded(x),
        Bound::Excluded(x) => Bound::Included(x),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// A set of values of an ordered domain, as a canonical union of intervals.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IntervalSet<T> {
    // INVARIANT: every interval is normalized and non-empty; sorted by lower end; consecutive
    // intervals neither overlap nor touch.
    intervals: Vec<Interval<T>>,
}

impl<T: Point> IntervalSet<T> {
    /// The empty set.
    #[must_use]
    pub fn empty() -> Self {
        IntervalSet {
            intervals: Vec::new(),
        }
    }

    /// The whole domain.
    #[must_use]
    pub fn all() -> Self {
        Self::range(Bound::Unbounded, Bound::Unbounded)
    }

    /// The single value `x` (`…Equals`).
    #[must_use]
    pub fn point(x: T) -> Self {
        Self::range(Bound::Included(x.clone()), Bound::Included(x))
    }

    /// The values between two ends (empty if the ends cross).
    #[must_use]
    pub fn range(lower: Bound<T>, upper: Bound<T>) -> Self {
        Self::from_intervals(vec![Interval { lower, upper }])
    }

    /// The values `< x` (`…LessThan`).
    #[must_use]
    pub fn less_than(x: T) -> Self {
        Self::range(Bound::Unbounded, Bound::Excluded(x))
    }

    /// The values `≤ x` (`…LessThanEquals`).
    #[must_use]
    pub fn at_most(x: T) -> Self {
        Self::range(Bound::Unbounded, Bound::Included(x))
    }

    /// The values `> x` (`…GreaterThan`).
    #[must_use]
    pub fn greater_than(x: T) -> Self {
        Self::range(Bound::Excluded(x), Bound::Unbounded)
    }

    /// The values `≥ x` (`…GreaterThanEquals`).
    #[must_use]
    pub fn at_least(x: T) -> Self {
        Self::range(Bound::Included(x), Bound::Unbounded)
    }

    /// Normalizes any list of intervals into a canonical set.
    fn from_intervals(intervals: Vec<Interval<T>>) -> Self {
        let mut intervals: Vec<Interval<T>> = intervals
            .into_iter()
            .filter_map(Interval::normalized)
            .collect();
        intervals.sort_by(|a, b| cmp_lower(&a.lower, &b.lower));
        let mut merged: Vec<Interval<T>> = Vec::with_capacity(intervals.len());
        for next in intervals {
            match merged.last_mut() {
                Some(current) if touches(&current.upper, &next.lower) => {
                    if cmp_upper(&next.upper, &current.upper) == Ordering::Greater {
                        current.upper = next.upper;
                    }
                }
                _ => merged.push(next),
            }
        }
        IntervalSet { intervals: merged }
    }

    /// The intervals, sorted, disjoint and not touching.
    #[must_use]
    pub fn intervals(&self) -> &[Interval<T>] {
        &self.intervals
    }

    /// The values in either set.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        Self::from_intervals(
            self.intervals
                .iter()
                .chain(&other.intervals)
                .cloned()
                .collect(),
        )
    }

    /// The values in both sets.
    #[must_use]
    pub fn intersect(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        for a in &self.intervals {
            for b in &other.intervals {
                let lower = if cmp_lower(&a.lower, &b.lower) == Ordering::Less {
                    b.lower.clone()
                } else {
                    a.lower.clone()
                };
                let upper = if cmp_upper(&a.upper, &b.upper) == Ordering::Greater {
                    b.upper.clone()
                } else {
                    a.upper.clone()
                };
                out.push(Interval { lower, upper });
            }
        }
        Self::from_intervals(out)
    }

    /// The values of the domain not in the set.
    #[must_use]
    pub fn complement(&self) -> Self {
        let mut gaps = Vec::with_capacity(self.intervals.len() + 1);
        let mut gap_lower = Some(Bound::Unbounded);
        for interval in &self.intervals {
            if let Some(lower) = gap_lower.take()
                && !matches!(interval.lower, Bound::Unbounded)
            {
                gaps.push(Interval {
                    lower,
                    upper: flip(interval.lower.clone()),
                });
            }
            gap_lower = match &interval.upper {
                Bound::Unbounded => None,
                upper => Some(flip(upper.clone())),
            };
        }
        if let Some(lower) = gap_lower {
            gaps.push(Interval {
                lower,
                upper: Bound::Unbounded,
            });
        }
        Self::from_intervals(gaps)
    }

    /// The values in `self` but not in `other`.
    #[must_use]
    pub fn difference(&self, other: &Self) -> Self {
        self.intersect(&other.complement())
    }

    /// Whether the set has no member.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// Whether the set is the whole domain.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.complement().is_empty()
    }

    /// Whether every member of `self` is a member of `other`.
    #[must_use]
    pub fn is_subset(&self, other: &Self) -> bool {
        self.difference(other).is_empty()
    }

    /// Whether `x` is a member.
    #[must_use]
    pub fn contains(&self, x: &T) -> bool {
        self.intervals.iter().any(|interval| interval.contains(x))
    }

    /// A member, chosen deterministically: [`Point::origin`] if it is a member, else the member
    /// closest above it (or a simple value just above an open end), else the one closest below.
    ///
    /// # Errors
    /// [`DomainError::Overflow`] if a dense domain cannot represent a value inside an open
    /// interval.
    pub fn witness(&self) -> Result<Option<T>, DomainError> {
        let origin = T::origin();
        if self.contains(&origin) {
            return Ok(Some(origin));
        }
        let above = self
            .intervals
            .iter()
            .find(|interval| match &interval.lower {
                Bound::Unbounded => false,
                Bound::Included(a) | Bound::Excluded(a) => *a >= origin,
            });
        match above {
            Some(interval) => interval.low_point().map(Some),
            None => self.intervals.last().map(Interval::high_point).transpose(),
        }
    }
}
