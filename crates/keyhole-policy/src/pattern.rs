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
        Case::Insensitive => a == b || a.to_lowercase().eq(b.to_lowercase()),
    }
}

/// Does `value` match the wildcard `pattern`?
///
/// Linear-space, worst-case O(|pattern|·|value|) two-pointer algorithm with backtracking to the
/// most recent `*` only (which is complete for `*`/`?` globs).
#[must_use]
pub fn wildcard_match(pattern: &str, value: &str, case: Case) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut pi, mut vi) = (0usize, 0usize);
    // Position in `p` just after the last `*` seen, and the value position it is trying to absorb up to.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match (p.get(pi), v.get(vi)) {
            (Some('*'), _) => {
                star = Some((pi + 1, vi));
                pi += 1;
            }
            (Some('?'), Some(_)) => {
                pi += 1;
                vi += 1;
            }
            (Some(&pc), Some(&vc)) if chars_equal(pc, vc, case) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((after_star, absorbed)) => {
                    pi = after_star;
                    vi = absorbed + 1;
                    star = Some((after_star, absorbed + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Does the string contain a wildcard character (`*` or `?`)?
#[must_use]
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert!(wildcard_match("*", "", Case::Sensitive));
        assert!(wildcard_match("a*c", "abbbc", Case::Sensitive));
        assert!(wildcard_match("a?c", "abc", Case::Sensitive));
        assert!(!wildcard_match("a?c", "ac", Case::Sensitive));
        assert!(!wildcard_match("abc", "ABC", Case::Sensitive));
        assert!(wildcard_match("s3:Get*", "S3:GETOBJECT", Case::Insensitive));
        assert!(wildcard_match("*a*b*", "xxaxxbxx", Case::Sensitive));
        assert!(!wildcard_match("*a*b", "xxaxxbxx", Case::Sensitive));
        assert!(wildcard_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y:z", Case::Sensitive));
    }
}
