//! Algebra laws of finite enumerations against bitmask brute force.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyhole_logic::{Finite, FiniteSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Account,
    Service,
    Federated,
    CanonicalUser,
    Anonymous,
}

impl Finite for Kind {
    const ALL: &'static [Kind] = &[
        Kind::Account,
        Kind::Service,
        Kind::Federated,
        Kind::CanonicalUser,
        Kind::Anonymous,
    ];
}

fn kinds(mask: u8) -> FiniteSet<Kind> {
    Kind::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, &k)| k)
        .collect()
}

#[test]
fn finite_sets_match_bitmask_brute_force() {
    for a in 0u8..32 {
        for b in 0u8..32 {
            let (x, y) = (kinds(a), kinds(b));
            assert_eq!(x.union(y), kinds(a | b));
            assert_eq!(x.intersect(y), kinds(a & b));
            assert_eq!(x.complement(), kinds(!a & 31));
            assert_eq!(x.difference(y), kinds(a & !b));
            assert_eq!(x.is_subset(y), a & !b == 0);
            assert_eq!(x.is_empty(), a == 0);
            assert_eq!(x.is_all(), a == 31);
            match x.witness() {
                Some(w) => {
                    assert!(x.contains(w));
                    assert_eq!(Some(w), x.iter().next());
                }
                None => assert_eq!(a, 0),
            }
        }
    }
    let t = FiniteSet::singleton(true);
    assert_eq!(t.complement(), FiniteSet::singleton(false));
    assert!(t.union(t.complement()).is_all());
    assert_eq!(FiniteSet::<bool>::all().witness(), Some(true));
}
