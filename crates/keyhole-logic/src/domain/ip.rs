//! IP addresses for `IpAddress`/`NotIpAddress` (`aws:SourceIp`, `aws:VpcSourceIp`, …): IPv4 and
//! IPv6 as one discrete domain of 128-bit numbers, IPv4 addresses mapped into `::ffff:0:0/96`.
//!
//! A CIDR block is one closed interval. IAM never matches an IPv4 address against an IPv6 block
//! or the reverse, so an IPv6 block excludes the mapped IPv4 range (`::/0` is "every IPv6
//! address"); the one consequence is that an IPv6 request address written in IPv4-mapped form is
//! treated as the IPv4 address. See the IAM User Guide, "IP address condition operators".
//!
//! The *absent* value of a key is not an address; the layer above adds it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Bound;

use super::interval::{IntervalSet, Point};
use crate::err::DomainError;

const MAPPED_V4: u128 = 0xffff_0000_0000;

/// An IPv4 or IPv6 address as a point of the 128-bit address line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ip(u128);

impl Ip {
    /// The address with this 128-bit number (IPv4 addresses are `::ffff:a.b.c.d`).
    #[must_use]
    pub fn from_bits(bits: u128) -> Self {
        Ip(bits)
    }

    /// The 128-bit number of the address.
    #[must_use]
    pub fn bits(self) -> u128 {
        self.0
    }

    /// The address as IPv4 when it lies in the mapped range, else as IPv6.
    #[must_use]
    pub fn to_ip_addr(self) -> IpAddr {
        match self.0.checked_sub(MAPPED_V4) {
            Some(v4) if v4 <= u128::from(u32::MAX) => {
                IpAddr::V4(Ipv4Addr::from(u32::try_from(v4).unwrap_or(0)))
            }
            _ => IpAddr::V6(Ipv6Addr::from(self.0)),
        }
    }

    /// Parses an IPv4 or IPv6 address.
    ///
    /// # Errors
    /// [`DomainError::Parse`] if `text` is not an address.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        text.parse::<IpAddr>()
            .map(Ip::from)
            .map_err(|_| DomainError::Parse {
                what: "IP address",
                text: text.to_owned(),
            })
    }
}

impl From<IpAddr> for Ip {
    fn from(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(v4) => Ip(MAPPED_V4 | u128::from(u32::from(v4))),
            IpAddr::V6(v6) => Ip(u128::from(v6)),
        }
    }
}

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_ip_addr().fmt(f)
    }
}

impl Point for Ip {
    const DISCRETE: bool = true;

    fn successor(&self) -> Option<Self> {
        self.0.checked_add(1).map(Ip)
    }

    fn predecessor(&self) -> Option<Self> {
        self.0.checked_sub(1).map(Ip)
    }

    fn lowest() -> Option<Self> {
        Some(Ip(0))
    }

    fn highest() -> Option<Self> {
        Some(Ip(u128::MAX))
    }

    /// `0.0.0.0`, so witnesses are IPv4 addresses where the set has any.
    fn origin() -> Self {
        Ip(MAPPED_V4)
    }

    fn between(low: Option<&Self>, high: Option<&Self>) -> Result<Self, DomainError> {
        discrete_between(low, high)
    }
}

/// `between` for discrete domains: the successor of `low`, else the predecessor of `high`.
pub(crate) fn discrete_between<T: Point>(
    low: Option<&T>,
    high: Option<&T>,
) -> Result<T, DomainError> {
    let candidate = match (low, high) {
        (Some(low), _) => low.successor(),
        (None, Some(high)) => high.predecessor(),
        (None, None) => Some(T::origin()),
    };
    candidate
        .filter(|c| high.is_none_or(|h| c < h))
        .ok_or(DomainError::Overflow {
            what: "a value between two adjacent values",
        })
}

/// A set of IP addresses.
pub type IpSet = IntervalSet<Ip>;

impl IntervalSet<Ip> {
    /// The addresses of a CIDR block (`203.0.113.0/24`, `2001:db8::/32`) or of a single address
    /// (a `/32` or `/128` block). Host bits below the prefix are ignored.
    ///
    /// # Errors
    /// [`DomainError::Parse`] if `text` is neither an address nor a CIDR block.
    pub fn from_cidr(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::Parse {
            what: "IP address or CIDR block",
            text: text.to_owned(),
        };
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => {
                if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                (addr, Some(prefix.parse::<u32>().map_err(|_| invalid())?))
            }
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
        let (bits, width) = match addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return Err(invalid());
        }
        let host_bits = width - prefix;
        let host_mask = 1u128.checked_shl(host_bits).map_or(u128::MAX, |m| m - 1);
        let first = bits & !host_mask;
        let last = first | host_mask;
        Ok(match addr {
            IpAddr::V4(_) => Self::range(
                Bound::Included(Ip(MAPPED_V4 | first)),
                Bound::Included(Ip(MAPPED_V4 | last)),
            ),
            IpAddr::V6(_) => Self::range(Bound::Included(Ip(first)), Bound::Included(Ip(last)))
                .difference(&Self::ipv4()),
        })
    }

    /// Every IPv4 address.
    #[must_use]
    pub fn ipv4() -> Self {
        Self::range(
            Bound::Included(Ip(MAPPED_V4)),
            Bound::Included(Ip(MAPPED_V4 | u128::from(u32::MAX))),
        )
    }

    /// Every IPv6 address (outside the IPv4-mapped range).
    #[must_use]
    pub fn ipv6() -> Self {
        Self::ipv4().complement()
    }
}
