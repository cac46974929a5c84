//! Finite enumerations as bitsets: the domain of `Bool` keys (`aws:SecureTransport`,
//! `aws:MultiFactorAuthPresent`, …), of principal kinds (AWS account, service, federated,
//! canonical user, anonymous) and of enumerated keys such as `aws:PrincipalType`.
//!
//! The universe is declared by the value type through [`Finite`]; complements are relative to
//! it. The *absent* value of a key is not an element of the universe; the layer above adds it.

use std::fmt;
use std::marker::PhantomData;

/// A value type with a small, fixed universe (at most 128 values).
pub trait Finite: Copy + Eq + fmt::Debug + 'static {
    /// Every value, in the order witnesses prefer them.
    const ALL: &'static [Self];

    /// The position of the value in [`Finite::ALL`].
    fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|&v| v == self)
            .unwrap_or(usize::MAX)
    }
}

impl Finite for bool {
    const ALL: &'static [bool] = &[true, false];
}

/// A set of values of a finite universe.
pub struct FiniteSet<T> {
    // INVARIANT: only bits below `T::ALL.len()` are set.
    bits: u128,
    values: PhantomData<T>,
}

impl<T> Clone for FiniteSet<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for FiniteSet<T> {}

impl<T> PartialEq for FiniteSet<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}

impl<T> Eq for FiniteSet<T> {}

impl<T> std::hash::Hash for FiniteSet<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}

impl<T: Finite> fmt::Debug for FiniteSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Finite> FiniteSet<T> {
    const FULL: u128 = {
        let len = T::ALL.len();
        assert!(len <= 128, "a finite universe has at most 128 values");
        if len == 128 {
            u128::MAX
        } else {
            (1u128 << len) - 1
        }
    };

    fn bit(value: T) -> u128 {
        1u128
            .checked_shl(u32::try_from(value.index()).unwrap_or(u32::MAX))
            .unwrap_or(0)
            & Self::FULL
    }

    /// The empty set.
    #[must_use]
    pub fn empty() -> Self {
        FiniteSet {
            bits: 0,
            values: PhantomData,
        }
    }

    /// The whole universe.
    #[must_use]
    pub fn all() -> Self {
        FiniteSet {
            bits: Self::FULL,
            values: PhantomData,
        }
    }

    /// The single value `value`.
    #[must_use]
    pub fn singleton(value: T) -> Self {
        FiniteSet {
            bits: Self::bit(value),
            values: PhantomData,
        }
    }

    /// The values in either set.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        FiniteSet {
            bits: self.bits | other.bits,
            values: PhantomData,
        }
    }

    /// The values in both sets.
    #[must_use]
    pub fn intersect(self, other: Self) -> Self {
        FiniteSet {
            bits: self.bits & other.bits,
            values: PhantomData,
        }
    }

    /// The values of the universe not in the set.
    #[must_use]
    pub fn complement(self) -> Self {
        FiniteSet {
            bits: !self.bits & Self::FULL,
            values: PhantomData,
        }
    }

    /// The values in `self` but not in `other`.
    #[must_use]
    pub fn difference(self, other: Self) -> Self {
        self.intersect(other.complement())
    }

    /// Whether the set has no member.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// Whether the set is the whole universe.
    #[must_use]
    pub fn is_all(self) -> bool {
        self.bits == Self::FULL
    }

    /// Whether every member of `self` is a member of `other`.
    #[must_use]
    pub fn is_subset(self, other: Self) -> bool {
        self.bits & !other.bits == 0
    }

    /// Whether `value` is a member.
    #[must_use]
    pub fn contains(self, value: T) -> bool {
        self.bits & Self::bit(value) != 0
    }

    /// The first member in the order of [`Finite::ALL`].
    #[must_use]
    pub fn witness(self) -> Option<T> {
        self.iter().next()
    }

    /// The members in the order of [`Finite::ALL`].
    pub fn iter(self) -> impl Iterator<Item = T> {
        T::ALL
            .iter()
            .copied()
            .filter(move |&value| self.contains(value))
    }
}

impl<T: Finite> FromIterator<T> for FiniteSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        iter.into_iter().fold(Self::empty(), |set, value| {
            set.union(Self::singleton(value))
        })
    }
}
