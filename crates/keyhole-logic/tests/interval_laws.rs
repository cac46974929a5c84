//! Algebra laws of the interval domains against brute force: a discrete domain (instants) on a
//! small integer range, and the dense decimal domain on small rationals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::ops::Bound;

use keyhole_logic::{DateSet, Decimal, Ip, IpSet, NumberSet, Timestamp};
use proptest::prelude::*;

fn bound<T: Clone + std::fmt::Debug + 'static>(
    point: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Bound<T>> {
    prop_oneof![
        1 => Just(Bound::Unbounded),
        3 => point.clone().prop_map(Bound::Included),
        3 => point.prop_map(Bound::Excluded),
    ]
}

fn in_range<T: Ord>(x: &T, lower: &Bound<T>, upper: &Bound<T>) -> bool {
    let above = match lower {
        Bound::Unbounded => true,
        Bound::Included(a) => a <= x,
        Bound::Excluded(a) => a < x,
    };
    let below = match upper {
        Bound::Unbounded => true,
        Bound::Included(b) => x <= b,
        Bound::Excluded(b) => x < b,
    };
    above && below
}

type Ranges<T> = Vec<(Bound<T>, Bound<T>)>;

fn ts(n: i128) -> Timestamp {
    Timestamp::from_unix_nanos(n)
}

fn date_ranges() -> impl Strategy<Value = Ranges<Timestamp>> {
    let p = (-20i128..20).prop_map(ts);
    proptest::collection::vec((bound(p.clone()), bound(p)), 0..4)
}

fn date_set(ranges: &Ranges<Timestamp>) -> DateSet {
    ranges.iter().fold(DateSet::empty(), |set, (l, u)| {
        set.union(&DateSet::range(*l, *u))
    })
}

fn in_ranges<T: Ord>(x: &T, ranges: &Ranges<T>) -> bool {
    ranges.iter().any(|(l, u)| in_range(x, l, u))
}

fn dec(m: i128, s: u32) -> Decimal {
    Decimal::new(m, s)
}

fn number_ranges() -> impl Strategy<Value = Ranges<Decimal>> {
    let p = (-50i128..50, 0u32..3).prop_map(|(m, s)| dec(m, s));
    proptest::collection::vec((bound(p.clone()), bound(p)), 0..4)
}

fn number_set(ranges: &Ranges<Decimal>) -> NumberSet {
    ranges.iter().fold(NumberSet::empty(), |set, (l, u)| {
        set.union(&NumberSet::range(*l, *u))
    })
}

/// One representative of every region the bounds split the number line into: the bound values,
/// the midpoints between neighbours, and values beyond the extremes.
fn number_probes(all: &[&Ranges<Decimal>]) -> Vec<Decimal> {
    let mut points: Vec<Decimal> = all
        .iter()
        .flat_map(|r| r.iter())
        .flat_map(|(l, u)| [l, u])
        .filter_map(|b| match b {
            Bound::Included(x) | Bound::Excluded(x) => Some(*x),
            Bound::Unbounded => None,
        })
        .chain([dec(0, 0)])
        .collect();
    points.sort();
    points.dedup();
    let mut probes = points.clone();
    for pair in points.windows(2) {
        probes.push(pair[0].midpoint(pair[1]).unwrap());
    }
    probes.push(dec(-1000, 0));
    probes.push(dec(1000, 0));
    probes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn discrete_operations_match_brute_force(a in date_ranges(), b in date_ranges()) {
        let (x, y) = (date_set(&a), date_set(&b));
        let (both, either, not_x) = (x.intersect(&y), x.union(&y), x.complement());
        let mut any_x = false;
        for n in -25i128..25 {
            let p = ts(n);
            let (in_x, in_y) = (in_ranges(&p, &a), in_ranges(&p, &b));
            any_x |= in_x;
            prop_assert_eq!(x.contains(&p), in_x, "{:?} in {:?}", p, x);
            prop_assert_eq!(both.contains(&p), in_x && in_y);
            prop_assert_eq!(either.contains(&p), in_x || in_y);
            prop_assert_eq!(not_x.contains(&p), !in_x);
        }
        prop_assert_eq!(x.is_empty(), !any_x);
        match x.witness().unwrap() {
            Some(w) => prop_assert!(x.contains(&w)),
            None => prop_assert!(x.is_empty()),
        }
        prop_assert_eq!(not_x.complement(), x.clone());
        prop_assert_eq!(either.complement(), not_x.intersect(&y.complement()));
        prop_assert_eq!(x.is_subset(&y), (-25i128..25).all(|n| !in_ranges(&ts(n), &a) || in_ranges(&ts(n), &b)));
    }

    #[test]
    fn dense_operations_match_brute_force(a in number_ranges(), b in number_ranges()) {
        let (x, y) = (number_set(&a), number_set(&b));
        let (both, either, not_x) = (x.intersect(&y), x.union(&y), x.complement());
        let mut any_x = false;
        let mut subset = true;
        for p in number_probes(&[&a, &b]) {
            let (in_x, in_y) = (in_ranges(&p, &a), in_ranges(&p, &b));
            any_x |= in_x;
            subset &= !in_x || in_y;
            prop_assert_eq!(x.contains(&p), in_x, "{} in {:?}", p, x);
            prop_assert_eq!(both.contains(&p), in_x && in_y);
            prop_assert_eq!(either.contains(&p), in_x || in_y);
            prop_assert_eq!(not_x.contains(&p), !in_x);
        }
        prop_assert_eq!(x.is_empty(), !any_x);
        prop_assert_eq!(x.is_subset(&y), subset);
        for set in [&x, &both, &either, &not_x] {
            match set.witness().unwrap() {
                Some(w) => prop_assert!(set.contains(&w), "witness {} not in {:?}", w, set),
                None => prop_assert!(set.is_empty()),
            }
        }
        prop_assert_eq!(not_x.complement(), x.clone());
        prop_assert_eq!(either.complement(), not_x.intersect(&y.complement()));
        prop_assert_eq!(both, y.intersect(&x));
    }

    #[test]
    fn decimal_order_matches_rational_order(
        (m1, s1) in (any::<i64>(), 0u32..12),
        (m2, s2) in (any::<i64>(), 0u32..12),
    ) {
        let (a, b) = (dec(i128::from(m1), s1), dec(i128::from(m2), s2));
        // Cross-multiplying in i128 is exact for i64 mantissas and scales below 12... almost:
        // 9.2e18 · 1e11 < 1.7e38.
        let lhs = i128::from(m1) * 10i128.pow(s2);
        let rhs = i128::from(m2) * 10i128.pow(s1);
        prop_assert_eq!(a.cmp(&b), lhs.cmp(&rhs));
        prop_assert_eq!(Decimal::parse(&a.to_string()).unwrap(), a);
        let mid = a.midpoint(b).unwrap();
        prop_assert!(a.min(b) <= mid && mid <= a.max(b));
    }

    #[test]
    fn decimal_order_matches_digit_string_order_at_any_scale(
        (m1, s1) in (any::<i128>(), 0u32..80),
        (m2, s2) in (any::<i128>(), 0u32..80),
    ) {
        let (a, b) = (dec(m1, s1), dec(m2, s2));
        prop_assert_eq!(a.cmp(&b), digit_cmp(&a.to_string(), &b.to_string()));
        prop_assert_eq!(a.cmp(&b), digit_cmp(&a.to_string(), &b.to_string()));
        prop_assert_eq!(Decimal::parse(&a.to_string()).unwrap(), a);
    }

    #[test]
    fn cidr_membership_matches_mask(addr in any::<u32>(), prefix in 0u32..=32, probe in any::<u32>()) {
        let text = format!("{}/{prefix}", std::net::Ipv4Addr::from(addr));
        let set = IpSet::from_cidr(&text).unwrap();
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        for p in [probe, addr, addr & mask, (addr & mask) | !mask] {
            let ip = Ip::from(std::net::IpAddr::V4(p.into()));
            prop_assert_eq!(set.contains(&ip), p & mask == addr & mask);
        }
        let w = set.witness().unwrap().unwrap();
        prop_assert!(set.contains(&w));
        prop_assert!(set.is_subset(&IpSet::ipv4()));
    }
}

/// Compares two decimal strings (`-12.034`) digit by digit: an oracle independent of the
/// mantissa/scale arithmetic.
fn digit_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> (bool, String, String) {
        let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let int = int.trim_start_matches('0').to_owned();
        let frac = frac.trim_end_matches('0').to_owned();
        let zero = int.is_empty() && frac.is_empty();
        (neg && !zero, int, frac)
    }
    let (na, ia, fa) = parts(a);
    let (nb, ib, fb) = parts(b);
    let magnitude = |i1: &str, f1: &str, i2: &str, f2: &str| {
        i1.len()
            .cmp(&i2.len())
            .then_with(|| i1.cmp(i2))
            .then_with(|| {
                let width = f1.len().max(f2.len());
                format!("{f1:0<width$}").cmp(&format!("{f2:0<width$}"))
            })
    };
    match (na, nb) {
        (false, true) => std::cmp::Ordering::Greater,
        (true, false) => std::cmp::Ordering::Less,
        (false, false) => magnitude(&ia, &fa, &ib, &fb),
        (true, true) => magnitude(&ib, &fb, &ia, &fa),
    }
}
