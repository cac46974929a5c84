//! Typed readings of condition values: decimals, dates, IP addresses and ranges, booleans.
//!
//! IAM writes every condition value as text and interprets it by the operator's family
//! (AWS IAM User Guide, "IAM JSON policy elements: Condition operators"). A value that does not
//! parse as the family's type never matches. Numbers are compared exactly as decimals (never
//! as floats); dates accept ISO 8601 (date, date-time with `Z` or an offset, optional fraction)
//! and epoch seconds (as `aws:EpochTime` documents); IP ranges are IPv4 or IPv6 CIDR blocks or
//! bare addresses.

use std::cmp::Ordering;
use std::net::IpAddr;

/// An exact decimal number, normalised: no leading zeros in the integer part, no trailing zeros
/// in the fraction, no negative zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    integer: String,
    fraction: String,
}

impl Decimal {
    /// Parses `-?digits(.digits)?` with an optional leading `+` (no exponent, as IAM accepts).
    #[must_use]
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (negative, rest) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((i, f)) => (i, f),
            None => (rest, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty())
            || !digits(int)
            || !digits(frac)
            || (rest.contains('.') && frac.is_empty() && int.is_empty())
        {
            return None;
        }
        let integer = int.trim_start_matches('0').to_owned();
        let fraction = frac.trim_end_matches('0').to_owned();
        let zero = integer.is_empty() && fraction.is_empty();
        Some(Decimal {
            negative: negative && !zero,
            integer,
            fraction,
        })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        self.integer
            .len()
            .cmp(&other.integer.len())
            .then_with(|| self.integer.cmp(&other.integer))
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An instant, as nanoseconds since the Unix epoch (UTC).
pub type Instant = i128;

/// Parses an IAM date value: ISO 8601 (`2024-01-01`, `2024-01-01T10:00:00Z`,
/// `2024-01-01T10:00:00.5+02:00`, `2024-01-01T10:00Z`, a date-time without offset read as UTC)
/// or epoch seconds (digits, optionally with a fraction).
#[must_use]
pub fn parse_date(text: &str) -> Option<Instant> {
    let t = text.trim();
    if let Some(d) = Decimal::parse(t)
        && (!t.contains('-') || t.starts_with('-'))
    {
        return epoch_seconds(&d);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts.as_nanosecond());
    }
    // No offset: a civil date-time or date, read as UTC.
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_nanosecond());
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_nanosecond());
    }
    None
}

fn epoch_seconds(d: &Decimal) -> Option<Instant> {
    if d.integer.len() > 15 {
        return None;
    }
    let secs: i128 = if d.integer.is_empty() {
        0
    } else {
        d.integer.parse().ok()?
    };
    let mut frac = d.fraction.clone();
    if frac.len() > 9 {
        frac.truncate(9);
    }
    while frac.len() < 9 {
        frac.push('0');
    }
    let nanos: i128 = frac.parse().ok()?;
    let total = secs * 1_000_000_000 + nanos;
    Some(if d.negative { -total } else { total })
}

/// An inclusive range of IP addresses of one family, as IAM's `IpAddress` operator reads
/// `203.0.113.0/24`, `2001:db8::/32` or a bare address (one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpRange {
    /// Whether the range is IPv6.
    pub v6: bool,
    /// First address (as a number within its family).
    pub first: u128,
    /// Last address.
    pub last: u128,
}

impl IpRange {
    /// Parses a CIDR block or a bare address. Host bits below the prefix are ignored, as AWS does.
    #[must_use]
    pub fn parse(text: &str) -> Option<IpRange> {
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let (v6, bits, value) = match ip {
            IpAddr::V4(a) => (false, 32u32, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, 128u32, u128::from(a)),
        };
        let prefix: u32 = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse().ok()?
            }
            Some(_) => return None,
            None => bits,
        };
        if prefix > bits {
            return None;
        }
        let host_bits = bits - prefix;
        let mask: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        Some(IpRange {
            v6,
            first: value & !mask,
            last: value | mask,
        })
    }

    /// Whether `ip` (an address, not a range) is in this range.
    #[must_use]
    pub fn contains(&self, ip: &str) -> bool {
        match ip.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => {
                !self.v6 && (self.first..=self.last).contains(&u128::from(u32::from(a)))
            }
            Ok(IpAddr::V6(a)) => self.v6 && (self.first..=self.last).contains(&u128::from(a)),
            Err(_) => false,
        }
    }
}

/// Parses an IAM boolean: `true` or `false`, in any letter case.
#[must_use]
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decimals() {
        let d = |s| Decimal::parse(s).unwrap();
        assert_eq!(d("10"), d("10.0"));
        assert_eq!(d("-0"), d("0"));
        assert!(d("-1.5") < d("-1.25"));
        assert!(d("2") > d("1.999999999999999999999999"));
        assert!(d("100") > d("99.9"));
        assert!(Decimal::parse("1e3").is_none());
        assert!(Decimal::parse("abc").is_none());
        assert!(Decimal::parse(".").is_none());
        assert_eq!(d(".5"), d("0.5"));
    }

    #[test]
    fn dates() {
        let a = parse_date("2024-01-01").unwrap();
        assert_eq!(parse_date("2024-01-01T00:00:00Z"), Some(a));
        assert_eq!(parse_date("1704067200"), Some(a));
        assert_eq!(parse_date("2024-01-01T02:00:00+02:00"), Some(a));
        assert!(parse_date("not a date").is_none());
        assert!(parse_date("2024-01-01T00:00:00.001Z").unwrap() > a);
    }

    #[test]
    fn ips() {
        let r = IpRange::parse("192.168.0.0/16").unwrap();
        assert!(r.contains("192.168.10.10"));
        assert!(!r.contains("192.169.0.1"));
        assert!(!r.contains("::ffff:192.168.1.1"));
        assert!(
            IpRange::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8:85a3::8a2e:370:7334")
        );
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(IpRange::parse("::/0").unwrap().contains("::1"));
        assert!(IpRange::parse("1.2.3.4/33").is_none());
        assert!(IpRange::parse("123456789012").is_none());
    }
}
