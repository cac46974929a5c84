//! Algebra laws of the string domain against a `regex` oracle and brute force over a small
//! alphabet: `a`, `b`, `:`, `/` listed, `x` standing for "any other character".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use keyhole_logic::{Alphabet, Case, StringSet};
use proptest::prelude::*;
use regex::Regex;

/// The oracle's membership test of one set.
type Membership<'a> = Box<dyn Fn(&str) -> bool + 'a>;

const LISTED: [char; 4] = ['a', 'b', ':', '/'];
const VALUE_CHARS: [char; 5] = ['a', 'b', ':', '/', 'x'];

fn alphabet() -> Arc<Alphabet> {
    let mut builder = Alphabet::builder();
    builder.chars(LISTED);
    builder.build()
}

fn glob_regex(pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| match c {
            '*' => ".*".to_owned(),
            '?' => ".".to_owned(),
            c => regex::escape(&c.to_string()),
        })
        .collect()
}

fn oracle(pattern: &str) -> Regex {
    Regex::new(&format!("^(?s:{})$", glob_regex(pattern))).unwrap()
}

/// The segment-aware regex of an `ArnLike` pattern; `None` when it matches nothing.
fn arn_oracle(pattern: &str) -> Option<Regex> {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if parts.len() < 6 {
        return None;
    }
    let mut re = String::new();
    for part in &parts[..5] {
        for c in part.chars() {
            re.push_str(&match c {
                '*' => "[^:]*".to_owned(),
                '?' => "[^:]".to_owned(),
                c => regex::escape(&c.to_string()),
            });
        }
        re.push(':');
    }
    re.push_str(&glob_regex(parts[5]));
    Some(Regex::new(&format!("^(?s:{re})$")).unwrap())
}

fn arn_matches(pattern: &str, value: &str) -> bool {
    arn_oracle(pattern).is_some_and(|re| re.is_match(value))
}

/// Every string over the value characters up to `max` characters, shortest first.
fn all_strings(max: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut layer = vec![String::new()];
    for _ in 0..max {
        let mut next = Vec::new();
        for s in &layer {
            for c in VALUE_CHARS {
                let mut t = s.clone();
                t.push(c);
                next.push(t);
            }
        }
        out.extend(next.iter().cloned());
        layer = next;
    }
    out
}

fn pattern() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec!['a', 'b', ':', '/', '*', '?']),
        0..7,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn arn_pattern() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec!['a', 'b', ':', ':', ':', '/', '*', '?']),
        0..11,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn value() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(VALUE_CHARS.to_vec()), 0..9)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn glob_membership_matches_regex(p in pattern(), values in proptest::collection::vec(value(), 16)) {
        let a = alphabet();
        let set = StringSet::from_glob(&a, &p, Case::Sensitive).unwrap();
        let re = oracle(&p);
        for v in &values {
            prop_assert_eq!(set.contains(v), re.is_match(v), "pattern {:?} value {:?}", p, v);
        }
    }

    #[test]
    fn arn_membership_matches_segment_regex(p in arn_pattern(), values in proptest::collection::vec(value(), 16)) {
        let a = alphabet();
        let set = StringSet::from_arn_glob(&a, &p).unwrap();
        for v in &values {
            prop_assert_eq!(set.contains(v), arn_matches(&p, v), "pattern {:?} value {:?}", p, v);
        }
        // Values that are ARN-shaped (five colons) are the interesting ones.
        for v in all_strings(3) {
            let v = format!("{v}:a:b::{v}:{v}");
            prop_assert_eq!(set.contains(&v), arn_matches(&p, &v), "pattern {:?} value {:?}", p, v);
        }
    }

    #[test]
    fn boolean_operations_match_regex(
        p in pattern(),
        q in arn_pattern(),
        values in proptest::collection::vec(value(), 24),
    ) {
        let a = alphabet();
        let x = StringSet::from_glob(&a, &p, Case::Sensitive).unwrap();
        let y = StringSet::from_arn_glob(&a, &q).unwrap();
        let both = x.intersect(&y).unwrap();
        let either = x.union(&y).unwrap();
        let not_x = x.complement();
        let only_x = x.difference(&y).unwrap();
        let re = oracle(&p);
        for v in &values {
            let (in_x, in_y) = (re.is_match(v), arn_matches(&q, v));
            prop_assert_eq!(both.contains(v), in_x && in_y);
            prop_assert_eq!(either.contains(v), in_x || in_y);
            prop_assert_eq!(not_x.contains(v), !in_x);
            prop_assert_eq!(only_x.contains(v), in_x && !in_y);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn witness_and_emptiness_agree_with_brute_force(p in pattern(), q in pattern(), r in arn_pattern()) {
        let a = alphabet();
        let x = StringSet::from_glob(&a, &p, Case::Sensitive).unwrap();
        let y = StringSet::from_glob(&a, &q, Case::Sensitive).unwrap();
        let z = StringSet::from_arn_glob(&a, &r).unwrap();
        let (rp, rq) = (oracle(&p), oracle(&q));
        let in_x = |v: &str| rp.is_match(v);
        let in_y = |v: &str| rq.is_match(v);
        let in_z = |v: &str| arn_matches(&r, v);
        let sets: Vec<(StringSet, Membership<'_>)> = vec![
            (x.clone(), Box::new(in_x)),
            (x.intersect(&y).unwrap(), Box::new(|v| in_x(v) && in_y(v))),
            (x.difference(&y).unwrap(), Box::new(|v| in_x(v) && !in_y(v))),
            (y.complement().intersect(&x.complement()).unwrap(), Box::new(|v| !in_x(v) && !in_y(v))),
            (z.clone(), Box::new(in_z)),
            (z.intersect(&x).unwrap(), Box::new(|v| in_z(v) && in_x(v))),
            (z.difference(&y).unwrap(), Box::new(|v| in_z(v) && !in_y(v))),
        ];
        let strings = all_strings(5);
        for (set, member) in &sets {
            let first = strings.iter().find(|s| member(s));
            match set.witness() {
                Some(w) => {
                    prop_assert!(member(&w), "witness {:?} is not a member by the oracle", w);
                    prop_assert!(set.contains(&w));
                    prop_assert!(!set.is_empty());
                    prop_assert!(w.chars().count() < set.state_count());
                    if let Some(first) = first {
                        prop_assert!(w.chars().count() <= first.chars().count(), "witness {:?} is longer than {:?}", w, first);
                    }
                }
                None => {
                    prop_assert!(set.is_empty());
                    prop_assert!(first.is_none(), "brute force found {:?}", first);
                }
            }
            // A shortest member is shorter than the number of states, so brute force over
            // strings of up to five characters decides emptiness for automata of up to six states.
            if set.state_count() <= 6 {
                prop_assert_eq!(set.is_empty(), first.is_none());
            }
        }
    }

    #[test]
    fn laws_hold_structurally(p in pattern(), q in pattern(), r in arn_pattern()) {
        let a = alphabet();
        let x = StringSet::from_glob(&a, &p, Case::Sensitive).unwrap();
        let y = StringSet::from_glob(&a, &q, Case::Sensitive).unwrap();
        let z = StringSet::from_arn_glob(&a, &r).unwrap();
        prop_assert_eq!(x.union(&y).unwrap(), y.union(&x).unwrap());
        prop_assert_eq!(x.intersect(&y).unwrap(), y.intersect(&x).unwrap());
        prop_assert_eq!(x.complement().complement(), x.clone());
        prop_assert_eq!(
            x.union(&z).unwrap().complement(),
            x.complement().intersect(&z.complement()).unwrap()
        );
        prop_assert_eq!(
            x.intersect(&y.union(&z).unwrap()).unwrap(),
            x.intersect(&y).unwrap().union(&x.intersect(&z).unwrap()).unwrap()
        );
        prop_assert!(x.intersect(&x.complement()).unwrap().is_empty());
        prop_assert!(x.union(&x.complement()).unwrap().is_any());
        prop_assert!(x.intersect(&y).unwrap().is_subset(&x).unwrap());
        prop_assert_eq!(x.is_subset(&y).unwrap(), x.difference(&y).unwrap().is_empty());
    }

    #[test]
    fn subset_agrees_with_brute_force(p in pattern(), q in pattern()) {
        let a = alphabet();
        let x = StringSet::from_glob(&a, &p, Case::Sensitive).unwrap();
        let y = StringSet::from_glob(&a, &q, Case::Sensitive).unwrap();
        let (rp, rq) = (oracle(&p), oracle(&q));
        if x.is_subset(&y).unwrap() {
            let counterexample = all_strings(5).into_iter().find(|s| rp.is_match(s) && !rq.is_match(s));
            prop_assert!(counterexample.is_none(), "{:?} is in {:?} but not in {:?}", counterexample, p, q);
        } else {
            let w = x.difference(&y).unwrap().witness().unwrap();
            prop_assert!(rp.is_match(&w) && !rq.is_match(&w), "{:?} does not separate {:?} from {:?}", w, p, q);
        }
    }

    #[test]
    fn case_insensitive_matches_regex(
        p in proptest::collection::vec(prop::sample::select(vec!['a', 'B', '*', '?']), 0..6),
        values in proptest::collection::vec(
            proptest::collection::vec(prop::sample::select(vec!['a', 'A', 'b', 'B', 'x']), 0..7),
            16,
        ),
    ) {
        let p: String = p.into_iter().collect();
        let mut builder = Alphabet::builder();
        builder.glob(&p, Case::Insensitive);
        let a = builder.build();
        let set = StringSet::from_glob(&a, &p, Case::Insensitive).unwrap();
        let re = Regex::new(&format!("^(?si:{})$", glob_regex(&p))).unwrap();
        for v in values {
            let v: String = v.into_iter().collect();
            prop_assert_eq!(set.contains(&v), re.is_match(&v), "pattern {:?} value {:?}", p, v);
        }
    }
}
