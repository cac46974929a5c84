//! Wildcard patterns as IAM uses them: `*` matches any run of characters (including none, and
//! including `/` and `:`), `?` matches exactly one character, everything else matches itself.
//!
//! AWS applies these in `Action`/`NotAction` (case-insensitive), `Resource`/`NotResource` and the
//! `StringLike` family (case-sensitive), and per ARN segment in `ArnLike` (see [`crate::arn`]).
//! Reference: IAM JSON policy elements, "Condition operators" → string condition operators.

/// Whether letters are compared exactly or with ASCII/Unicode simple case folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    /// `StringLike`, `Resource`, ARNs: `A` ≠ `a`.
    Sensitive,
    /// `Action` names, `StringEqualsIgnoreCase`: `A` = `a`.
    Insensitive,
}

fn chars_equal(a: char, b: char, case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        // Two ASCII characters fold alike exactly when their ASCII lowercase forms are equal;
        // only a pair with a non-ASCII character needs the full mappings.
        Case::Insensitive if a.is_ascii() && b.is_ascii() => a.eq_ignore_ascii_case(&b),
        Case::Insensitive => a == b || a.to_lowercase().eq(b.to_lowercase()),
    }
}

/// Does `value` match the wildcard `pattern`?
///
/// Linear-space, worst-case O(|pattern|·|value|) two-pointer algorithm with backtracking to the
/// most recent `*` only (which is complete for `*`/`?` globs).
#[must_use]
pub fn wildcard_match(pattern: &str, value: &str, case: Case) -> bool {
    // Read in place: the same tokens `Glob::parse` makes, without building them; ASCII text
    // (almost every policy) byte by byte.
    if pattern.is_ascii() && value.is_ascii() {
        if !has_wildcard(pattern) {
            // A literal (most ARN segments): one comparison.
            return match case {
                Case::Sensitive => pattern == value,
                Case::Insensitive => pattern.eq_ignore_ascii_case(value),
            };
        }
        tokens_match(Ascii(pattern.as_bytes()), Ascii(value.as_bytes()), case)
    } else {
        tokens_match(pattern, value, case)
    }
}

/// [`Glob::matches_arn`] of `Glob::parse(pattern)`, reading the pattern in place: `None` when
/// the pattern has fewer than six segments (the caller then pads it as the element requires).
#[must_use]
pub fn wildcard_match_arn(pattern: &str, value: &str) -> Option<bool> {
    // `Glob::parse` makes every `:` a literal token, so its segments are the text's.
    let fields = crate::arn::split_arn(pattern)?;
    // Five literal fields (most resources: `arn:aws:s3:::b/*`): the value's five fields are
    // equal to them exactly when the value starts with them, colons included; then only
    // the resource field is matched.
    if let Some((resource, literal)) = fields.split_last()
        && !literal.iter().any(|f| has_wildcard(f))
    {
        let prefix = pattern.strip_suffix(resource)?;
        return Some(
            value
                .strip_prefix(prefix)
                .is_some_and(|rest| wildcard_match(resource, rest, Case::Sensitive)),
        );
    }
    let Some(value) = crate::arn::split_arn(value) else {
        return Some(false);
    };
    Some(
        fields
            .iter()
            .zip(value.iter())
            .all(|(p, v)| wildcard_match(p, v, Case::Sensitive)),
    )
}

/// A pattern [`tokens_match`] reads token by token: compiled tokens, or pattern text read as
/// [`Glob::parse`] would compile it.
trait TokenSource {
    /// The token at `at` and where the next one starts; `None` at the end.
    fn token(&self, at: usize) -> Option<(Token, usize)>;
}

/// A value [`tokens_match`] reads character by character.
trait CharSource {
    /// The character at `at` and where the next one starts; `None` at the end.
    fn char_at(&self, at: usize) -> Option<(char, usize)>;
}

/// ASCII text as bytes, a character each: most policies and requests, read without decoding.
#[derive(Clone, Copy)]
struct Ascii<'a>(&'a [u8]);

impl TokenSource for Ascii<'_> {
    fn token(&self, at: usize) -> Option<(Token, usize)> {
        let token = match *self.0.get(at)? {
            b'*' => Token::Star,
            b'?' => Token::AnyOne,
            b => Token::Char(char::from(b)),
        };
        Some((token, at + 1))
    }
}

impl CharSource for Ascii<'_> {
    fn char_at(&self, at: usize) -> Option<(char, usize)> {
        self.0.get(at).map(|&b| (char::from(b), at + 1))
    }
}

impl CharSource for &str {
    fn char_at(&self, at: usize) -> Option<(char, usize)> {
        let c = self.get(at..)?.chars().next()?;
        Some((c, at + c.len_utf8()))
    }
}

impl TokenSource for &[Token] {
    fn token(&self, at: usize) -> Option<(Token, usize)> {
        self.get(at).map(|&t| (t, at + 1))
    }
}

impl TokenSource for &str {
    fn token(&self, at: usize) -> Option<(Token, usize)> {
        let c = self.get(at..)?.chars().next()?;
        let token = match c {
            '*' => Token::Star,
            '?' => Token::AnyOne,
            c => Token::Char(c),
        };
        Some((token, at + c.len_utf8()))
    }
}

/// One element of a compiled wildcard pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Token {
    /// A character that matches itself.
    Char(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    AnyOne,
}

/// A compiled wildcard pattern. Text that came from a policy variable is all [`Token::Char`], so
/// a `*` inside a substituted value is literal, as AWS specifies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// Compiles pattern text where `*` and `?` are wildcards.
    #[must_use]
    pub fn parse(pattern: &str) -> Glob {
        let mut g = Glob::default();
        g.push_pattern(pattern);
        g
    }

    /// A pattern that matches exactly `text`.
    #[must_use]
    pub fn literal(text: &str) -> Glob {
        let mut g = Glob::default();
        g.push_literal(text);
        g
    }

    /// Appends pattern text (with wildcards).
    pub fn push_pattern(&mut self, pattern: &str) {
        // One token per character, at most one per byte: reserved once rather than grown.
        self.tokens.reserve(pattern.len());
        self.tokens.extend(pattern.chars().map(|c| match c {
            '*' => Token::Star,
            '?' => Token::AnyOne,
            c => Token::Char(c),
        }));
    }

    /// Appends literal text.
    pub fn push_literal(&mut self, text: &str) {
        self.tokens.reserve(text.len());
        self.tokens.extend(text.chars().map(Token::Char));
    }

    /// The tokens.
    #[must_use]
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Whether the pattern has a `*` or `?` wildcard.
    #[must_use]
    pub fn has_wildcard(&self) -> bool {
        self.tokens.iter().any(|t| !matches!(t, Token::Char(_)))
    }

    /// The pattern as text if it has no wildcard.
    #[must_use]
    pub fn as_literal(&self) -> Option<String> {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Char(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// The pattern's characters, each wildcard as the `*` or `?` it was written as: the value
    /// the `…Equals` condition operators compare, for which those are ordinary characters (only
    /// the `…Like` operators read wildcards).
    #[must_use]
    pub fn text(&self) -> String {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Char(c) => *c,
                Token::Star => '*',
                Token::AnyOne => '?',
            })
            .collect()
    }

    /// Does `value` match?
    #[must_use]
    pub fn matches(&self, value: &str, case: Case) -> bool {
        tokens_match(self.tokens.as_slice(), value, case)
    }

    /// Splits into the six colon-separated ARN segments: the first five end at the first five
    /// `:` characters, the sixth (the resource) keeps any further `:`. `None` with fewer than six.
    #[must_use]
    pub fn arn_segments(&self) -> Option<[&[Token]; 6]> {
        let mut parts: [&[Token]; 6] = [&[]; 6];
        let mut rest: &[Token] = &self.tokens;
        for part in parts.iter_mut().take(5) {
            let i = rest.iter().position(|t| *t == Token::Char(':'))?;
            *part = rest.get(..i)?;
            rest = rest.get(i + 1..)?;
        }
        if let Some(last) = parts.last_mut() {
            *last = rest;
        }
        Some(parts)
    }

    /// ARN matching as `ArnLike`/`ArnEquals` and the `Resource` element do it: both sides split into
    /// six segments and each segment matched on its own (so a wildcard in the first five
    /// segments never crosses a `:`). A value with fewer than six segments never matches.
    #[must_use]
    pub fn matches_arn(&self, value: &str) -> bool {
        let Some(pattern) = self.arn_segments() else {
            return false;
        };
        let Some(value) = crate::arn::split_arn(value) else {
            return false;
        };
        pattern
            .iter()
            .zip(value.iter())
            .all(|(p, v)| tokens_match(*p, *v, Case::Sensitive))
    }
}

impl std::fmt::Display for Glob {
    /// Prints the pattern; literal `*`, `?` and `$` print as `${*}`, `${?}`, `${$}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for t in &self.tokens {
            match t {
                Token::Star => f.write_str("*")?,
                Token::AnyOne => f.write_str("?")?,
                Token::Char('*') => f.write_str("${*}")?,
                Token::Char('?') => f.write_str("${?}")?,
                Token::Char(c) => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// The two-pointer match of [`wildcard_match`], reading `v` in place: `vi` and the star's
/// `absorbed` are byte offsets, always at character boundaries (the evaluator matches every
/// `Action`, `Resource` and `…Like` value of a policy on each request, and a character vector
/// per match was most of its cost).
fn tokens_match(p: impl TokenSource, v: impl CharSource, case: Case) -> bool {
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some((vc, after)) = v.char_at(vi) {
        match p.token(pi) {
            Some((Token::Star, next)) => {
                star = Some((next, vi));
                pi = next;
            }
            Some((Token::AnyOne, next)) => {
                pi = next;
                vi = after;
            }
            Some((Token::Char(pc), next)) if chars_equal(pc, vc, case) => {
                pi = next;
                vi = after;
            }
            _ => match star {
                Some((after_star, absorbed)) => {
                    let absorbed = v.char_at(absorbed).map_or(absorbed + 1, |(_, next)| next);
                    pi = after_star;
                    vi = absorbed;
                    star = Some((after_star, absorbed));
                }
                None => return false,
            },
        }
    }
    // Only stars may be left.
    while let Some((token, next)) = p.token(pi) {
        if token != Token::Star {
            return false;
        }
        pi = next;
    }
    true
}

/// Does the string contain a wildcard character (`*` or `?`)?
#[must_use]
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Is there a string both patterns match? Exact for `*`/`?` globs (dynamic programming over
/// pairs of positions, O(|a|·|b|) time and space).
#[must_use]
pub fn tokens_overlap(a: &[Token], b: &[Token]) -> bool {
    // From (i, j), some word can take `a` to i and `b` to j. Every step moves i or j forward.
    reachable(a.len(), b.len(), |i, j, next| {
        let (ta, tb) = (a.get(i), b.get(j));
        // A star may match the empty string.
        if ta == Some(&Token::Star) {
            next(i + 1, j);
        }
        if tb == Some(&Token::Star) {
            next(i, j + 1);
        }
        // Both sides consume one character (a star stays where it is).
        if let (Some(x), Some(y)) = (ta, tb) {
            let compatible = match (x, y) {
                (Token::Char(c), Token::Char(d)) => c == d,
                _ => true,
            };
            let ni = if *x == Token::Star { i } else { i + 1 };
            let nj = if *y == Token::Star { j } else { j + 1 };
            // Two stars eating one character each stay in place: nothing new.
            if compatible && (ni, nj) != (i, j) {
                next(ni, nj);
            }
        }
    })
}

/// Does every string matched by `specific` also match `general`? Sound, and exact for the
/// patterns IAM policies use: `specific`'s wildcards are treated as symbols that only a `*` of
/// `general` (or, for `?`, a `?`) can absorb.
#[must_use]
pub fn tokens_cover(general: &[Token], specific: &[Token]) -> bool {
    reachable(general.len(), specific.len(), |i, j, next| {
        match (general.get(i), specific.get(j)) {
            (Some(Token::Star), Some(_)) => {
                next(i + 1, j);
                next(i, j + 1);
            }
            (Some(Token::Star), None) => next(i + 1, j),
            (Some(Token::AnyOne), Some(Token::Char(_) | Token::AnyOne)) => next(i + 1, j + 1),
            (Some(Token::Char(c)), Some(Token::Char(d))) if c == d => next(i + 1, j + 1),
            _ => {}
        }
    })
}

/// Whether (n, m) is reachable from (0, 0) in the grid of position pairs, where `step` names the
/// successors of a pair. INVARIANT: every successor is at or after its pair in row-major order,
/// so one row-major pass visits each reachable pair after all its predecessors.
fn reachable(
    n: usize,
    m: usize,
    step: impl Fn(usize, usize, &mut dyn FnMut(usize, usize)),
) -> bool {
    let width = m + 1;
    let mut reach = vec![false; (n + 1) * width];
    if let Some(r) = reach.get_mut(0) {
        *r = true;
    }
    for i in 0..=n {
        for j in 0..=m {
            if !reach.get(i * width + j).copied().unwrap_or(false) {
                continue;
            }
            step(i, j, &mut |ni, nj| {
                if ni <= n
                    && nj <= m
                    && let Some(r) = reach.get_mut(ni * width + nj)
                {
                    *r = true;
                }
            });
        }
    }
    reach.get(n * width + m).copied().unwrap_or(false)
}

#[cfg(test)]
mod pair_tests {
    use super::*;

    fn t(s: &str) -> Vec<Token> {
        Glob::parse(s).tokens().to_vec()
    }

    #[test]
    fn ascii_shortcut_folds_as_the_full_mappings_do() {
        let full = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
        let chars: Vec<char> = (0u8..128)
            .map(char::from)
            .chain(['\u{212A}', '\u{17F}', '\u{130}', '\u{131}', 'é', 'É', 'ß'])
            .collect();
        for &a in &chars {
            for &b in &chars {
                assert_eq!(
                    chars_equal(a, b, Case::Insensitive),
                    full(a, b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn overlap_and_cover() {
        assert!(tokens_overlap(&t("a*c"), &t("*bc")));
        assert!(!tokens_overlap(&t("a*"), &t("b*")));
        assert!(tokens_overlap(&t("*"), &t("")));
        assert!(tokens_overlap(&t("a?c"), &t("*b*")));
        assert!(!tokens_overlap(&t("ab"), &t("a")));
        assert!(tokens_cover(&t("public/*"), &t("public/secret/*")));
        assert!(!tokens_cover(&t("public/secret/*"), &t("public/*")));
        assert!(tokens_cover(&t("a?c"), &t("a?c")));
        assert!(!tokens_cover(&t("abc"), &t("a?c")));
        assert!(tokens_cover(&t("*"), &t("x*y?z")));
    }
}

#[cfg(test)]
mod in_place_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// Text over few characters, with wildcards, colons and a non-ASCII letter that folds.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('A'),
                Just('b'),
                Just(':'),
                Just('*'),
                Just('?'),
                Just('É'),
                Just('é'),
            ],
            0..14,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// Free text, or six pieces of it joined by `:` (an ARN, a pattern of one, or with
    /// more colons in its last segment).
    fn text_or_arn() -> impl Strategy<Value = String> {
        prop_oneof![
            text(),
            proptest::collection::vec(text(), 6).prop_map(|parts| parts.join(":")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Reading pattern text in place matches exactly as its compiled tokens do, with either
        /// case rule, and so does the ARN match, segment by segment.
        #[test]
        fn text_read_in_place_matches_as_its_tokens(pattern in text_or_arn(), value in text_or_arn()) {
            let glob = Glob::parse(&pattern);
            for case in [Case::Sensitive, Case::Insensitive] {
                prop_assert_eq!(
                    wildcard_match(&pattern, &value, case),
                    glob.matches(&value, case)
                );
            }
            let compiled = glob.arn_segments().map(|_| glob.matches_arn(&value));
            prop_assert_eq!(wildcard_match_arn(&pattern, &value), compiled);
        }

        /// The same for patterns whose five fields are literal (matched as a prefix), against
        /// values with those fields or one changed, and any resource.
        #[test]
        fn literal_arn_fields_match_as_their_segments(
            fields in proptest::collection::vec("[aAb\u{e9}]{0,3}", 5),
            resource in text(),
            changed in 0usize..6,
            value_resource in text(),
            derived in 0u8..3,
        ) {
            let pattern = format!("{}:{resource}", fields.join(":"));
            let mut value_fields = fields.clone();
            if let Some(field) = value_fields.get_mut(changed) {
                field.push('b');
            }
            // The value's resource: any text, the pattern's with its wildcards filled in, or
            // that with its letters' case swapped (which the match must tell apart).
            let filled: String = resource.replace('*', "").replace('?', "a");
            let value_resource = match derived {
                0 => value_resource,
                1 => filled,
                _ => filled
                    .chars()
                    .map(|c| if c.is_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                    .collect(),
            };
            let value = format!("{}:{value_resource}", value_fields.join(":"));
            let glob = Glob::parse(&pattern);
            for value in [&value, &pattern] {
                let compiled = glob.arn_segments().map(|_| glob.matches_arn(value));
                prop_assert_eq!(wildcard_match_arn(&pattern, value), compiled);
            }
        }
    }
}
