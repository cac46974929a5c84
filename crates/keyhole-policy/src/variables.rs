//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any request context key,
//! the literal escapes `${*}`, `${?}`, `${$}`, and the default form `${key, 'default'}`.
//!
//! AWS replaces a variable with the value of the key in the request context. Only the
//! `2012-10-17` policy language interprets variables; in older policies `${…}` is plain text.
//! A substituted value is literal (its `*` and `?` are not wildcards). When the key is missing
//! (and no default is given) or multivalued, the value that uses the variable cannot match
//! (IAM User Guide, "IAM policy elements: Variables and tags").

use crate::pattern::Glob;

/// What the request says about a key a variable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariableValue<'a> {
    /// One value.
    Single(&'a str),
    /// The key is not in the request.
    Missing,
    /// The key has several values; such keys cannot be variables.
    MultiValued,
    /// The request does not say (what-if analysis): the result is unknown, not false.
    Unknown,
}

/// The result of substituting a policy string's variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Substituted {
    /// Every variable had a value: the pattern to match.
    Pattern(Glob),
    /// A variable had no usable value, so this policy value matches nothing.
    NoValue {
        /// The variable's key.
        key: String,
    },
    /// A variable's value is unknown (what-if analysis only).
    Unknown {
        /// The variable's key.
        key: String,
    },
}

/// One piece of a policy string: text, or a `${…}` reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text where `*` and `?` are wildcards.
    Text(&'a str),
    /// `${*}`, `${?}` or `${$}`: that character, literally.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`.
    Variable {
        /// The context key.
        key: &'a str,
        /// The default value.
        default: Option<&'a str>,
    },
}

/// Splits a policy string into text and variable references. A `${` without a closing `}` is text.
#[must_use]
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(close) = after.find('}') else { break };
        if start > 0 {
            out.push(Piece::Text(rest.get(..start).unwrap_or_default()));
        }
        let inner = after.get(..close).unwrap_or_default();
        out.push(match inner {
            "*" => Piece::Escaped('*'),
            "?" => Piece::Escaped('?'),
            "$" => Piece::Escaped('$'),
            _ => match inner.split_once(',') {
                Some((key, default)) => {
                    let d = default.trim();
                    let d = d
                        .strip_prefix('\'')
                        .and_then(|d| d.strip_suffix('\''))
                        .unwrap_or(d);
                    Piece::Variable {
                        key: key.trim(),
                        default: Some(d),
                    }
                }
                None => Piece::Variable {
                    key: inner.trim(),
                    default: None,
                },
            },
        });
        rest = after.get(close + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// Whether a policy string uses any `${…}` reference.
#[must_use]
pub fn has_variables(text: &str) -> bool {
    pieces(text).iter().any(|p| !matches!(p, Piece::Text(_)))
}

/// Whether [`substitute`] has anything to replace in `text`: variables are `enabled` (a
/// `2012-10-17` policy) and the text has a `${`. Without, the text is a pattern as written (the
/// common case: the evaluator reads every `Resource` and condition value of a policy on each
/// request, and reads such a value in place).
#[must_use]
pub fn needs_substitution(text: &str, enabled: bool) -> bool {
    enabled && text.contains("${")
}

/// Substitutes the variables of `text` (when `enabled`, i.e. in a `2012-10-17` policy) and
/// compiles the result to a wildcard pattern.
pub fn substitute<'c>(
    text: &str,
    enabled: bool,
    lookup: impl Fn(&str) -> VariableValue<'c>,
) -> Substituted {
    if !needs_substitution(text, enabled) {
        return Substituted::Pattern(Glob::parse(text));
    }
    let mut glob = Glob::default();
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => glob.push_pattern(t),
            Piece::Escaped(c) => glob.push_literal(c.encode_utf8(&mut [0; 4])),
            Piece::Variable { key, default } => match (lookup(key), default) {
                (VariableValue::Single(v), _) => glob.push_literal(v),
                (VariableValue::Missing, Some(d)) => glob.push_literal(d),
                (VariableValue::Unknown, _) => {
                    return Substituted::Unknown {
                        key: key.to_owned(),
                    };
                }
                (VariableValue::Missing | VariableValue::MultiValued, _) => {
                    return Substituted::NoValue {
                        key: key.to_owned(),
                    };
                }
            },
        }
    }
    Substituted::Pattern(glob)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;
    use crate::pattern::Case;

    #[test]
    fn substitution() {
        let look = |k: &str| {
            if k.eq_ignore_ascii_case("aws:username") {
                VariableValue::Single("Bob*")
            } else {
                VariableValue::Missing
            }
        };
        let Substituted::Pattern(g) = substitute("home/${aws:username}/*", true, look) else {
            panic!("expected a pattern");
        };
        assert!(g.matches("home/Bob*/x", Case::Sensitive));
        assert!(!g.matches("home/Bobby/x", Case::Sensitive));
        assert!(matches!(
            substitute("${aws:userid}", true, look),
            Substituted::NoValue { .. }
        ));
        let Substituted::Pattern(g) = substitute("${aws:userid, 'none'}-${*}", true, look) else {
            panic!("expected a pattern");
        };
        assert_eq!(g.as_literal().as_deref(), Some("none-*"));
        let Substituted::Pattern(g) = substitute("${aws:username}", false, look) else {
            panic!("expected a pattern");
        };
        assert_eq!(g.as_literal().as_deref(), Some("${aws:username}"));
    }
}
