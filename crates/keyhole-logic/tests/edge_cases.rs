//! Edge cases of every domain, named after what they pin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::ops::Bound;
use std::sync::Arc;

use keyhole_logic::{
    Alphabet, Case, DEFAULT_MAX_STATES, DateSet, Decimal, DomainError, GlobToken, Ip, IpSet,
    NumberSet, StringSet, Timestamp,
};

fn alphabet_of(patterns: &[&str]) -> Arc<Alphabet> {
    let mut builder = Alphabet::builder();
    for p in patterns {
        builder.arn_glob(p);
    }
    builder.build()
}

fn glob(a: &Arc<Alphabet>, p: &str) -> StringSet {
    StringSet::from_glob(a, p, Case::Sensitive).unwrap()
}

#[test]
fn empty_pattern_matches_only_the_empty_string() {
    let a = alphabet_of(&["ab"]);
    let set = glob(&a, "");
    assert!(set.contains(""));
    assert!(!set.contains("a"));
    assert_eq!(set.witness().as_deref(), Some(""));
    assert_eq!(set, StringSet::exact(&a, "").unwrap());
}

#[test]
fn star_alone_is_every_string() {
    let a = alphabet_of(&["a"]);
    let set = glob(&a, "*");
    assert!(set.is_any());
    assert_eq!(set, StringSet::any(&a));
    assert_eq!(glob(&a, "**"), set);
    assert!(set.complement().is_empty());
    assert_eq!(set.complement(), StringSet::empty(&a));
    assert!(set.contains("arn:aws:s3:::x/y:z"));
    assert_eq!(set.witness().as_deref(), Some(""));
}

#[test]
fn question_mark_at_end_needs_exactly_one_more_character() {
    let a = alphabet_of(&["ab"]);
    let set = glob(&a, "ab?");
    assert!(set.contains("abz"));
    assert!(set.contains("ab:"));
    assert!(!set.contains("ab"));
    assert!(!set.contains("abzz"));
    assert_eq!(set.witness().as_deref(), Some("aba"));
}

#[test]
fn star_crosses_slash_and_colon_in_string_like() {
    let a = alphabet_of(&["a*c"]);
    assert!(glob(&a, "a*c").contains("a/b:c"));
}

#[test]
fn witness_uses_a_lowercase_letter_outside_the_alphabet_for_other_characters() {
    let a = alphabet_of(&["abc"]);
    assert_eq!(a.other_representative(), Some('d'));
    let not_abc = glob(&a, "?").difference(&glob(&a, "a")).unwrap();
    let not_abc = not_abc
        .difference(&glob(&a, "b"))
        .unwrap()
        .difference(&glob(&a, "c"))
        .unwrap()
        .difference(&glob(&a, ":"))
        .unwrap();
    assert_eq!(not_abc.witness().as_deref(), Some("d"));
}

#[test]
fn arn_glob_with_fewer_than_six_fields_matches_nothing() {
    let a = alphabet_of(&["arn:::bucket-name", "*", "arn:aws:s3:::b"]);
    assert!(
        StringSet::from_arn_glob(&a, "arn:::bucket-name")
            .unwrap()
            .is_empty()
    );
    assert!(StringSet::from_arn_glob(&a, "*").unwrap().is_empty());
    let bucket = StringSet::from_arn_glob(&a, "arn:aws:s3:::b").unwrap();
    assert!(bucket.contains("arn:aws:s3:::b"));
    assert!(!bucket.contains("arn:::b"));
}

#[test]
fn arn_glob_wildcards_stay_inside_their_field_except_in_the_resource() {
    let a = alphabet_of(&["arn:???:*:*:*:*", "arn:aws:iam::123456789012:*"]);
    let any = StringSet::from_arn_glob(&a, "arn:???:*:*:*:*").unwrap();
    assert!(any.contains("arn:aws:ec2:us-east-1:123456789012:instance/i-12345"));
    assert!(any.contains("arn:aws:s3:::bucket/a:b"));
    assert!(!any.contains("arn:aws-cn:s3:::bucket"));
    assert!(!any.contains("arn:aws:s3::bucket"));
    let account = StringSet::from_arn_glob(&a, "arn:aws:iam::123456789012:*").unwrap();
    assert!(account.contains("arn:aws:iam::123456789012:root"));
    assert!(account.contains("arn:aws:iam::123456789012:role/a:b"));
    // As a plain glob the `*` would cross into the account field; as an ARN it cannot.
    let a2 = alphabet_of(&["arn:aws:*:123456789012:*"]);
    let arn = StringSet::from_arn_glob(&a2, "arn:aws:*:123456789012:*").unwrap();
    let plain = glob(&a2, "arn:aws:*:123456789012:*");
    assert!(plain.contains("arn:aws:iam::123456789012:root"));
    assert!(!arn.contains("arn:aws:iam::123456789012:root"));
    assert!(arn.is_subset(&plain).unwrap());
    let gap = plain.difference(&arn).unwrap().witness().unwrap();
    assert!(plain.contains(&gap) && !arn.contains(&gap));
}

#[test]
fn arn_glob_needs_colon_in_the_alphabet() {
    let mut builder = Alphabet::builder();
    builder.glob("arn", Case::Sensitive);
    let a = builder.build();
    assert_eq!(
        StringSet::from_arn_glob(&a, "arn:a:b:c:d:e").unwrap_err(),
        DomainError::NotInAlphabet { ch: ':' }
    );
}

#[test]
fn literal_outside_the_alphabet_is_an_error() {
    let a = alphabet_of(&["ab"]);
    assert_eq!(
        StringSet::from_glob(&a, "abc", Case::Sensitive).unwrap_err(),
        DomainError::NotInAlphabet { ch: 'c' }
    );
}

#[test]
fn sets_over_different_alphabets_do_not_combine() {
    let (a, b) = (alphabet_of(&["a"]), alphabet_of(&["b"]));
    assert_eq!(
        glob(&a, "a").intersect(&glob(&b, "b")).unwrap_err(),
        DomainError::AlphabetMismatch
    );
    // Equal alphabets built separately are compatible.
    let c = alphabet_of(&["a"]);
    assert!(glob(&a, "a").is_subset(&glob(&c, "*")).unwrap());
}

#[test]
fn case_insensitive_patterns_fold_every_case_variant() {
    let mut builder = Alphabet::builder();
    builder.glob("s3:Get*", Case::Insensitive);
    let a = builder.build();
    // The Kelvin sign lowercases to `k`, so it is a case variant of `k` but not of `g`, `e`, `t`.
    assert!(a.chars().contains(&'G') && a.chars().contains(&'g'));
    let set = StringSet::from_glob(&a, "s3:Get*", Case::Insensitive).unwrap();
    assert!(set.contains("S3:GETOBJECT"));
    assert!(set.contains("s3:getObject"));
    assert!(!set.contains("s3:PutObject"));
    let mut builder = Alphabet::builder();
    builder.literal("k", Case::Insensitive);
    let a = builder.build();
    assert!(a.chars().contains(&'\u{212A}'));
    let k = StringSet::literal(&a, "k", Case::Insensitive).unwrap();
    assert!(k.contains("K") && k.contains("k") && k.contains("\u{212A}"));
    assert_eq!(k.witness().as_deref(), Some("k"));
}

#[test]
fn tokens_express_literal_wildcard_characters() {
    let mut builder = Alphabet::builder();
    builder.literal("a*", Case::Sensitive);
    let a = builder.build();
    let tokens = [
        GlobToken::Char('a'),
        GlobToken::Char('*'),
        GlobToken::AnyString,
    ];
    let set = StringSet::from_tokens(&a, &tokens, Case::Sensitive).unwrap();
    assert!(set.contains("a*"));
    assert!(set.contains("a*bc"));
    assert!(!set.contains("abc"));
}

#[test]
fn state_budget_is_a_typed_error_not_a_hang() {
    // `*a` followed by n `?` needs 2^n states: the automaton must remember which of the last n
    // characters were `a`.
    let pattern = format!("*a{}", "?".repeat(20));
    let mut builder = Alphabet::builder();
    builder.glob(&pattern, Case::Sensitive).max_states(1_000);
    let a = builder.build();
    assert_eq!(
        StringSet::from_glob(&a, &pattern, Case::Sensitive).unwrap_err(),
        DomainError::Budget {
            what: "automaton states",
            limit: 1_000
        }
    );
    assert_eq!(Alphabet::builder().build().max_states(), DEFAULT_MAX_STATES);
    // A smaller instance fits and is exact.
    let small = StringSet::from_glob(&a, "*a???", Case::Sensitive).unwrap();
    assert!(small.contains("xxaxyz") && !small.contains("xxxayz"));
}

#[test]
fn product_budget_is_a_typed_error() {
    let mut builder = Alphabet::builder();
    builder
        .glob("*a?????", Case::Sensitive)
        .glob("*b?????", Case::Sensitive)
        .max_states(200);
    let a = builder.build();
    let x = StringSet::from_glob(&a, "*a?????", Case::Sensitive).unwrap();
    let y = StringSet::from_glob(&a, "*b?????", Case::Sensitive).unwrap();
    assert!(matches!(x.intersect(&y), Err(DomainError::Budget { .. })));
}

#[test]
fn many_stars_in_a_long_pattern_stay_small() {
    let pattern = "arn:aws:s3:::*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*.txt";
    let a = alphabet_of(&[pattern]);
    let set = StringSet::from_arn_glob(&a, pattern).unwrap();
    assert!(set.state_count() < 200, "{} states", set.state_count());
    let w = set.witness().unwrap();
    assert!(set.contains(&w));
}

// ---- IP addresses ----

#[test]
fn ipv4_slash_32_is_one_address() {
    let set = IpSet::from_cidr("203.0.113.7/32").unwrap();
    assert_eq!(set, IpSet::from_cidr("203.0.113.7").unwrap());
    assert!(set.contains(&Ip::parse("203.0.113.7").unwrap()));
    assert!(!set.contains(&Ip::parse("203.0.113.8").unwrap()));
    assert_eq!(set.witness().unwrap().unwrap().to_string(), "203.0.113.7");
}

#[test]
fn ipv6_slash_0_is_every_ipv6_address_and_no_ipv4_address() {
    let set = IpSet::from_cidr("::/0").unwrap();
    assert_eq!(set, IpSet::ipv6());
    assert!(set.contains(&Ip::parse("2001:db8::1").unwrap()));
    assert!(set.contains(&Ip::parse("::").unwrap()));
    assert!(!set.contains(&Ip::parse("10.0.0.1").unwrap()));
    assert!(set.union(&IpSet::from_cidr("0.0.0.0/0").unwrap()).is_all());
}

#[test]
fn ipv4_blocks_never_hold_ipv6_addresses() {
    let v4 = IpSet::from_cidr("192.168.10.10/32").unwrap();
    assert!(!v4.contains(&Ip::parse("2001:0db8:85a3:0000:0000:8a2e:0370:7334").unwrap()));
    let v6 = IpSet::from_cidr("2001:0db8:85a3:0000:0000:8a2e:0370:7334/128").unwrap();
    assert!(!v6.contains(&Ip::parse("192.168.10.10").unwrap()));
}

#[test]
fn cidr_host_bits_are_ignored_and_nested_blocks_are_ordered() {
    let slash31 = IpSet::from_cidr("200.10.10.10/31").unwrap();
    let slash32 = IpSet::from_cidr("200.10.10.10/32").unwrap();
    assert_eq!(slash31, IpSet::from_cidr("200.10.10.11/31").unwrap());
    assert!(slash32.is_subset(&slash31));
    let only_31 = slash31.difference(&slash32);
    assert_eq!(
        only_31.witness().unwrap().unwrap().to_string(),
        "200.10.10.11"
    );
}

#[test]
fn invalid_cidr_blocks_are_parse_errors() {
    for text in [
        "123456789012",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "10.0.0.0/+8",
        "abc",
        "",
    ] {
        assert!(
            matches!(IpSet::from_cidr(text), Err(DomainError::Parse { .. })),
            "{text}"
        );
    }
}

#[test]
fn not_ip_address_witness_is_an_ipv4_address() {
    let outside = IpSet::from_cidr("10.0.0.0/8").unwrap().complement();
    assert_eq!(outside.witness().unwrap().unwrap().to_string(), "0.0.0.0");
    let outside_all_v4 = IpSet::ipv4().complement();
    assert_eq!(
        outside_all_v4.witness().unwrap().unwrap().to_string(),
        "::1:0:0:0"
    );
}

// ---- numbers ----

#[test]
fn numeric_literals_parse_exactly() {
    let d = |s: &str| Decimal::parse(s).unwrap();
    assert_eq!(d("10"), Decimal::from_integer(10));
    assert_eq!(d("-3"), Decimal::from_integer(-3));
    assert_eq!(d("+7"), Decimal::from_integer(7));
    assert_eq!(d("1.5"), Decimal::new(15, 1));
    assert_eq!(d("0.001"), Decimal::new(1, 3));
    assert_eq!(d("10.0"), d("10"));
    assert_eq!(d(".5"), d("0.5"));
    assert_eq!(d("-0"), Decimal::ZERO);
    assert_eq!(d("1.50").to_string(), "1.5");
    assert_eq!(d("-0.001").to_string(), "-0.001");
    for bad in ["", "-", ".", "1e3", " 1", "1 ", "a", "1.2.3", "--1", "0x10"] {
        assert!(
            matches!(Decimal::parse(bad), Err(DomainError::Parse { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        Decimal::parse(&"9".repeat(40)),
        Err(DomainError::Overflow { .. })
    ));
}

#[test]
fn decimal_comparison_survives_extreme_scales() {
    let tiny = Decimal::new(1, 100);
    let huge = Decimal::from_integer(i128::MAX);
    assert!(Decimal::ZERO < tiny && tiny < Decimal::new(1, 99));
    assert!(Decimal::new(-1, 100) < Decimal::ZERO);
    assert!(huge > tiny);
    assert!(Decimal::from_integer(i128::MIN) < Decimal::new(-1, 100));
}

#[test]
fn open_interval_between_close_numbers_has_a_witness() {
    let lo = Decimal::parse("1").unwrap();
    let hi = Decimal::parse("1.0001").unwrap();
    let set = NumberSet::greater_than(lo).intersect(&NumberSet::less_than(hi));
    let w = set.witness().unwrap().unwrap();
    assert!(lo < w && w < hi, "{w}");
    assert_eq!(w.to_string(), "1.00005");
    // Integers are preferred when the interval holds one.
    let wide = NumberSet::greater_than(Decimal::parse("2.5").unwrap());
    assert_eq!(wide.witness().unwrap().unwrap().to_string(), "3");
    let below = NumberSet::less_than(Decimal::parse("-2.5").unwrap());
    assert_eq!(below.witness().unwrap().unwrap().to_string(), "-3");
    assert_eq!(NumberSet::all().witness().unwrap(), Some(Decimal::ZERO));
}

#[test]
fn numeric_not_equals_is_the_line_minus_a_point() {
    let ten = Decimal::from_integer(10);
    let not_ten = NumberSet::point(ten).complement();
    assert!(!not_ten.contains(&ten));
    assert!(not_ten.contains(&Decimal::parse("10.000001").unwrap()));
    assert_eq!(not_ten.union(&NumberSet::point(ten)), NumberSet::all());
    assert_eq!(
        NumberSet::less_than(ten).union(&NumberSet::greater_than(ten)),
        not_ten
    );
    // (..10) ∪ [10..) is the whole line, (..10) ∪ (10..) is not.
    assert!(
        NumberSet::less_than(ten)
            .union(&NumberSet::at_least(ten))
            .is_all()
    );
}

#[test]
fn witness_overflow_is_a_typed_error() {
    let big = Decimal::from_integer(i128::MAX);
    let set = NumberSet::greater_than(big);
    assert!(matches!(set.witness(), Err(DomainError::Overflow { .. })));
}

// ---- dates ----

#[test]
fn dates_are_discrete_nanoseconds() {
    let t = Timestamp::from_unix_seconds(1_704_067_200);
    let after = DateSet::greater_than(t);
    assert_eq!(
        after.witness().unwrap().unwrap(),
        Timestamp::from_unix_nanos(1_704_067_200_000_000_001)
    );
    // DateGreaterThan t ∪ DateLessThanEquals t is everything; adjacent closed ends merge.
    assert!(after.union(&DateSet::at_most(t)).is_all());
    assert_eq!(
        DateSet::range(
            Bound::Excluded(t),
            Bound::Excluded(Timestamp::from_unix_nanos(t.unix_nanos() + 1))
        ),
        DateSet::empty()
    );
    let before = DateSet::less_than(Timestamp::from_unix_seconds(-10));
    assert_eq!(
        before.witness().unwrap().unwrap(),
        Timestamp::from_unix_nanos(-10_000_000_001)
    );
    assert_eq!(
        DateSet::all().witness().unwrap(),
        Some(Timestamp::from_unix_nanos(0))
    );
}

#[test]
fn an_alphabet_lists_each_character_once_in_order_whatever_the_order_added() {
    let mut builder = Alphabet::builder();
    builder.glob("é*zZ", Case::Sensitive);
    builder.chars(['\u{212A}', 'a', 'é', ':', 'z']);
    builder.literal("b", Case::Insensitive);
    let a = builder.build();
    assert_eq!(a.chars(), &[':', 'B', 'Z', 'a', 'b', 'z', 'é', '\u{212A}']);
    // Witnesses prefer lower case, then upper case, then the rest; the other class stands
    // for every unlisted character.
    assert_eq!(a.other_representative(), Some('c'));
    let one = StringSet::from_glob(&a, "?", Case::Sensitive).unwrap();
    assert_eq!(one.witness().as_deref(), Some("a"));
    let lower = ["a", "b", "z"]
        .iter()
        .map(|l| StringSet::exact(&a, l).unwrap())
        .fold(StringSet::empty(&a), |u, s| u.union(&s).unwrap());
    assert_eq!(
        one.difference(&lower).unwrap().witness().as_deref(),
        Some("c")
    );
}
