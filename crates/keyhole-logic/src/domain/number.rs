//! Exact decimal numbers for the numeric condition operators (`NumericEquals`,
//! `NumericLessThan`, …; keys such as `s3:max-keys`, `aws:MultiFactorAuthAge`): a dense domain of
//! decimals `mantissa × 10^-scale`, compared exactly (no floating point).
//!
//! See the IAM User Guide, "Numeric condition operators". The *absent* value of a key is not a
//! number; the layer above adds it.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::interval::{IntervalSet, Point};
use crate::err::DomainError;

/// An exact decimal number `mantissa × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    // INVARIANT: `mantissa` has no trailing zero digit while `scale > 0`; zero has scale 0. So
    // equal numbers have equal fields.
    mantissa: i128,
    scale: u32,
}

const OVERFLOW: DomainError = DomainError::Overflow { what: "a number" };

fn pow10(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// The number `mantissa × 10^-scale`.
    #[must_use]
    pub fn new(mantissa: i128, scale: u32) -> Self {
        let (mut mantissa, mut scale) = (mantissa, scale);
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if mantissa == 0 {
            scale = 0;
        }
        Decimal { mantissa, scale }
    }

    /// The integer `n`.
    #[must_use]
    pub fn from_integer(n: i128) -> Self {
        Decimal::new(n, 0)
    }

    /// The mantissa of the normalized form.
    #[must_use]
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// The number of decimal places of the normalized form.
    #[must_use]
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// Parses an IAM numeric literal: an optional sign, digits, and an optional fraction
    /// (`10`, `-3`, `+7`, `1.5`, `0.001`, `.5`, `5.`); no exponent, no spaces.
    ///
    /// # Errors
    /// [`DomainError::Parse`] for anything else, [`DomainError::Overflow`] if the significant
    /// digits do not fit 38 digits.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::Parse {
            what: "number",
            text: text.to_owned(),
        };
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, text.get(1..).unwrap_or("")),
            Some(b'+') => (false, text.get(1..).unwrap_or("")),
            _ => (false, text),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let frac = frac.trim_end_matches('0');
        let mut mantissa: i128 = 0;
        for digit in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(digit - b'0')))
                .ok_or(OVERFLOW)?;
        }
        let scale = u32::try_from(frac.len()).map_err(|_| OVERFLOW)?;
        Ok(Decimal::new(
            if negative { -mantissa } else { mantissa },
            scale,
        ))
    }

    /// The greatest integer not above the number.
    fn floor(self) -> i128 {
        match pow10(self.scale) {
            Some(p) => self.mantissa.div_euclid(p),
            // |mantissa| < 10^39 ≤ 10^scale: the number lies in (-1, 1).
            None => {
                if self.mantissa < 0 {
                    -1
                } else {
                    0
                }
            }
        }
    }

    /// The least integer not below the number.
    fn ceil(self) -> i128 {
        let floor = self.floor();
        if Decimal::from_integer(floor) == self {
            floor
        } else {
            floor + 1
        }
    }

    /// Both mantissas at the larger of the two scales.
    fn aligned(self, other: Self) -> Result<(i128, i128, u32), DomainError> {
        let scale = self.scale.max(other.scale);
        let lift = |d: Decimal| {
            pow10(scale - d.scale)
                .and_then(|p| d.mantissa.checked_mul(p))
                .ok_or(OVERFLOW)
        };
        Ok((lift(self)?, lift(other)?, scale))
    }

    /// The exact midpoint of two numbers.
    ///
    /// # Errors
    /// [`DomainError::Overflow`] if it is not representable.
    pub fn midpoint(self, other: Self) -> Result<Self, DomainError> {
        let (a, b, scale) = self.aligned(other)?;
        let sum = a.checked_add(b).ok_or(OVERFLOW)?;
        let scale = scale.checked_add(1).ok_or(OVERFLOW)?;
        Ok(Decimal::new(sum.checked_mul(5).ok_or(OVERFLOW)?, scale))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self, other);
        if a.scale == b.scale {
            return a.mantissa.cmp(&b.mantissa);
        }
        // Lift the one with the smaller scale; if that overflows, its magnitude exceeds the
        // other's (10^k·|m| > i128::MAX ≥ |other|, and i128::MIN itself is no multiple of 10).
        let (small, large, flipped) = if a.scale < b.scale {
            (a, b, false)
        } else {
            (b, a, true)
        };
        let lifted = pow10(large.scale - small.scale).and_then(|p| small.mantissa.checked_mul(p));
        let ordering = match lifted {
            Some(m) => m.cmp(&large.mantissa),
            None if small.mantissa == 0 => 0.cmp(&large.mantissa),
            None => small.mantissa.cmp(&0),
        };
        if flipped {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Decimal {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse(s)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

impl Point for Decimal {
    const DISCRETE: bool = false;

    fn successor(&self) -> Option<Self> {
        None
    }

    fn predecessor(&self) -> Option<Self> {
        None
    }

    fn lowest() -> Option<Self> {
        None
    }

    fn highest() -> Option<Self> {
        None
    }

    /// Zero.
    fn origin() -> Self {
        Decimal::ZERO
    }

    /// The integer just above `low` if it is below `high`, else the integer just below `high`
    /// if it is above `low`, else the midpoint.
    fn between(low: Option<&Self>, high: Option<&Self>) -> Result<Self, DomainError> {
        let above = |low: &Decimal| {
            low.floor()
                .checked_add(1)
                .map(Decimal::from_integer)
                .ok_or(OVERFLOW)
        };
        let below = |high: &Decimal| {
            high.ceil()
                .checked_sub(1)
                .map(Decimal::from_integer)
                .ok_or(OVERFLOW)
        };
        match (low, high) {
            (None, None) => Ok(Decimal::ZERO),
            (Some(low), None) => above(low),
            (None, Some(high)) => below(high),
            (Some(low), Some(high)) => match above(low) {
                Ok(up) if up < *high => Ok(up),
                _ => low.midpoint(*high),
            },
        }
    }
}

/// A set of numbers.
pub type NumberSet = IntervalSet<Decimal>;
