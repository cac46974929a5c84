//! Condition operators and how one condition entry is evaluated against a request context.
//!
//! Semantics (AWS IAM User Guide, "IAM JSON policy elements: Condition operators", "Creating a
//! condition with multiple keys or values", "Single-valued vs. multivalued context keys"):
//! - several keys in one block, and several blocks, are ANDed; several values of one key are
//!   ORed — for negated operators (`StringNotEquals`, `NotIpAddress`, …) the value must match
//!   none of them (NOR);
//! - a key missing from the request makes a positive operator false and a negated one true;
//!   `…IfExists` makes any operator true when the key is missing;
//! - `ForAnyValue:` is true when some request value satisfies the operator (false for a missing
//!   or empty key); `ForAllValues:` when every request value does (true for a missing or empty key);
//! - `Null` tests presence: `true` means the key is missing;
//! - a plain (unqualified) operator compares one value: on a multivalued key there is no single
//!   value, so it behaves as on a missing key (AWS's policy simulator returns an implicit deny
//!   for `StringLike` on a `stringList` entry even when every element matches);
//! - a value that does not parse as the operator's type matches nothing.

use crate::pattern::{Case, Glob};
use crate::request::ContextValue;
use crate::value::{Decimal, IpRange, parse_bool, parse_date};
use crate::variables::{Substituted, VariableValue, substitute};

/// Declares [`BaseOperator`], [`BASE_OPERATORS`] and [`BaseOperator::name`] from one list, so
/// the three cannot drift apart.
macro_rules! base_operators {
    ($($op:ident),* $(,)?) => {
        /// The families of condition operator, without qualifiers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[expect(missing_docs, reason = "variant names are AWS's operator names")]
        pub enum BaseOperator {
            $($op,)*
        }

        /// All base operators, in AWS documentation order.
        pub const BASE_OPERATORS: [BaseOperator; [$(stringify!($op)),*].len()] = [$(BaseOperator::$op),*];

        impl BaseOperator {
            /// The operator's name as written in policies.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(BaseOperator::$op => stringify!($op),)*
                }
            }
        }
    };
}

base_operators! {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The value type an operator family reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperatorFamily {
    /// `String…`.
    String,
    /// `Numeric…`.
    Numeric,
    /// `Date…`.
    Date,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// `Arn…`.
    Arn,
    /// `Null`.
    Null,
}

impl BaseOperator {
    /// Whether the operator is the negation of a positive one (true when no value matches).
    #[must_use]
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The positive operator this one negates (itself if not negated).
    #[must_use]
    pub fn positive(self) -> BaseOperator {
        use BaseOperator::*;
        match self {
            StringNotEquals => StringEquals,
            StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
            StringNotLike => StringLike,
            NumericNotEquals => NumericEquals,
            DateNotEquals => DateEquals,
            NotIpAddress => IpAddress,
            ArnNotEquals => ArnEquals,
            ArnNotLike => ArnLike,
            other => other,
        }
    }

    /// The value type the operator reads.
    #[must_use]
    pub fn family(self) -> OperatorFamily {
        use BaseOperator::*;
        match self.positive() {
            StringEquals | StringEqualsIgnoreCase | StringLike => OperatorFamily::String,
            NumericEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => OperatorFamily::Numeric,
            DateEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => OperatorFamily::Date,
            Bool => OperatorFamily::Bool,
            BinaryEquals => OperatorFamily::Binary,
            IpAddress => OperatorFamily::Ip,
            ArnEquals | ArnLike => OperatorFamily::Arn,
            _ => OperatorFamily::Null,
        }
    }
}

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetQualifier {
    /// `ForAnyValue:`: some request value satisfies the operator.
    ForAnyValue,
    /// `ForAllValues:`: every request value satisfies the operator.
    ForAllValues,
}

/// A condition operator with its qualifiers, such as `ForAnyValue:StringLikeIfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConditionOperator {
    /// The set qualifier, if any.
    pub qualifier: Option<SetQualifier>,
    /// The operator.
    pub base: BaseOperator,
    /// Whether `IfExists` is appended.
    pub if_exists: bool,
}

impl ConditionOperator {
    /// Parses an operator name; names are case-sensitive as in AWS's grammar. `NullIfExists` does
    /// not exist.
    #[must_use]
    pub fn parse(name: &str) -> Option<ConditionOperator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else {
            (None, name)
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let base = BASE_OPERATORS.into_iter().find(|op| op.name() == rest)?;
        if base == BaseOperator::Null && if_exists {
            return None;
        }
        Some(ConditionOperator {
            qualifier,
            base,
            if_exists,
        })
    }
}

impl std::fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            None => {}
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Three-valued truth: `Unknown` arises only in what-if evaluation, where the request leaves a
/// key unspecified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided from what the request says.
    Unknown,
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    /// Kleene conjunction.
    #[must_use]
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene disjunction.
    #[must_use]
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    /// Negation.
    #[must_use]
    pub fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

/// What the request says about one condition key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState<'a> {
    /// The key has this value.
    Present(&'a ContextValue),
    /// The key is present but its value is not known (what-if analysis).
    PresentValueUnknown,
    /// The key is not in the request.
    Absent,
    /// The request does not say (what-if analysis).
    Unknown,
}

/// Does one request value satisfy the *positive* form of `op` against one policy value?
/// `policy` is the policy value after variable substitution. `None` when either value is not of
/// the operator's type (an IP operator on a non-address, an ARN operator on a non-ARN, …): such
/// a comparison fails for the negated operator too.
#[must_use]
pub fn value_matches(op: BaseOperator, policy: &Glob, value: &str) -> Option<bool> {
    matches_value(op, PolicyValue::Compiled(policy), value)
}

/// A policy value as [`value_matches`] reads it: compiled, or text without variables read in
/// place as the tokens `Glob::parse` would make (the evaluator compares every condition value
/// of a policy on each request, and compiling each was much of its cost).
#[derive(Clone, Copy)]
enum PolicyValue<'a> {
    Compiled(&'a Glob),
    Text(&'a str),
}

fn matches_value(op: BaseOperator, policy: PolicyValue<'_>, value: &str) -> Option<bool> {
    use BaseOperator::*;
    let literal = || -> Option<std::borrow::Cow<'_, str>> {
        match policy {
            PolicyValue::Compiled(g) => g.as_literal().map(std::borrow::Cow::Owned),
            PolicyValue::Text(t) => {
                (!crate::pattern::has_wildcard(t)).then_some(std::borrow::Cow::Borrowed(t))
            }
        }
    };
    // What the `…Equals` operators compare: the value as written, `*` and `?` included (AWS
    // reads wildcards in the `…Like` operators only; Access Analyzer warns about a `*` without
    // `Like` because it matches a literal `*`).
    let text = || -> std::borrow::Cow<'_, str> {
        match policy {
            PolicyValue::Compiled(g) => std::borrow::Cow::Owned(g.text()),
            PolicyValue::Text(t) => std::borrow::Cow::Borrowed(t),
        }
    };
    match op.positive() {
        StringEquals => Some(text() == value),
        StringEqualsIgnoreCase => Some(text().to_lowercase() == value.to_lowercase()),
        StringLike => Some(match policy {
            PolicyValue::Compiled(g) => g.matches(value, Case::Sensitive),
            PolicyValue::Text(t) => crate::pattern::wildcard_match(t, value, Case::Sensitive),
        }),
        ArnEquals | ArnLike => {
            crate::arn::split_arn(value)?;
            match policy {
                PolicyValue::Compiled(g) => {
                    g.arn_segments()?;
                    Some(g.matches_arn(value))
                }
                PolicyValue::Text(t) => crate::pattern::wildcard_match_arn(t, value),
            }
        }
        BinaryEquals => Some(text() == value),
        Bool => Some(literal().as_deref().and_then(parse_bool)? == parse_bool(value)?),
        IpAddress => {
            let range = literal().as_deref().and_then(IpRange::parse)?;
            value.trim().parse::<std::net::IpAddr>().ok()?;
            Some(range.contains(value))
        }
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            let p = literal().as_deref().and_then(Decimal::parse)?;
            let v = Decimal::parse(value)?;
            Some(compare(op.positive(), v.cmp(&p)))
        }
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            let p = literal().as_deref().and_then(parse_date)?;
            let v = parse_date(value)?;
            Some(compare(op.positive(), v.cmp(&p)))
        }
        _ => None,
    }
}

fn compare(op: BaseOperator, request_vs_policy: std::cmp::Ordering) -> bool {
    use BaseOperator::*;
    use std::cmp::Ordering::*;
    match op {
        NumericEquals | DateEquals => request_vs_policy == Equal,
        NumericLessThan | DateLessThan => request_vs_policy == Less,
        NumericLessThanEquals | DateLessThanEquals => request_vs_policy != Greater,
        NumericGreaterThan | DateGreaterThan => request_vs_policy == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => request_vs_policy != Less,
        _ => false,
    }
}

/// Evaluates one condition entry: `op` applied to the key whose state is `key`, against the
/// policy values `values` (raw text; variables substituted through `variable` when
/// `variables_enabled`).
pub fn evaluate_entry<'c>(
    op: ConditionOperator,
    key: KeyState<'_>,
    values: &[&str],
    variables_enabled: bool,
    variable: &dyn Fn(&str) -> VariableValue<'c>,
) -> Truth {
    let base = op.base;
    if base == BaseOperator::Null {
        let present = match key {
            KeyState::Present(_) | KeyState::PresentValueUnknown => true,
            KeyState::Absent => false,
            KeyState::Unknown => return Truth::Unknown,
        };
        return Truth::from_bool(values.iter().any(|v| parse_bool(v) == Some(!present)));
    }
    let request_values: Vec<&str> = match key {
        KeyState::Unknown | KeyState::PresentValueUnknown => return Truth::Unknown,
        KeyState::Absent => return missing_key(op),
        KeyState::Present(ContextValue::Single(v)) => vec![v.as_str()],
        KeyState::Present(ContextValue::Multi(vs)) => {
            if op.qualifier.is_none() {
                return missing_key(op);
            }
            if vs.is_empty() {
                return Truth::from_bool(op.qualifier == Some(SetQualifier::ForAllValues));
            }
            vs.iter().map(String::as_str).collect()
        }
    };
    // Substitute once per policy value; a value without variables is read as it is.
    let patterns: Vec<Resolved<'_>> = values
        .iter()
        .map(|v| {
            if crate::variables::needs_substitution(v, variables_enabled) {
                Resolved::Substituted(substitute(v, variables_enabled, variable))
            } else {
                Resolved::Text(v)
            }
        })
        .collect();
    // One request value against all policy values: OR for positive operators, NOR for negated
    // ones (a policy value whose variable has no value, or a comparison between values of the
    // wrong type, is neither a match nor a non-match: it makes the negated operator fail, as it
    // cannot vouch that the value differs).
    let one = |value: &str| -> Truth {
        let mut any = Truth::False;
        let mut all_resolved = Truth::True;
        for p in &patterns {
            let policy = match p {
                Resolved::Text(t) => PolicyValue::Text(t),
                Resolved::Substituted(Substituted::Pattern(g)) => PolicyValue::Compiled(g),
                Resolved::Substituted(Substituted::NoValue { .. }) => {
                    all_resolved = all_resolved.and(Truth::False);
                    continue;
                }
                Resolved::Substituted(Substituted::Unknown { .. }) => {
                    any = any.or(Truth::Unknown);
                    all_resolved = all_resolved.and(Truth::Unknown);
                    continue;
                }
            };
            match matches_value(base, policy, value) {
                Some(m) => any = any.or(Truth::from_bool(m)),
                None => all_resolved = all_resolved.and(Truth::False),
            }
        }
        if base.is_negated() {
            any.negate().and(all_resolved)
        } else {
            any
        }
    };
    match op.qualifier {
        None | Some(SetQualifier::ForAnyValue) => request_values
            .iter()
            .fold(Truth::False, |acc, v| acc.or(one(v))),
        Some(SetQualifier::ForAllValues) => request_values
            .iter()
            .fold(Truth::True, |acc, v| acc.and(one(v))),
    }
}

/// A policy value of a condition, ready to compare: text without variables, or substituted.
enum Resolved<'a> {
    Text(&'a str),
    Substituted(Substituted),
}

fn missing_key(op: ConditionOperator) -> Truth {
    if op.if_exists {
        return Truth::True;
    }
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => Truth::True,
        Some(SetQualifier::ForAnyValue) => Truth::False,
        None => Truth::from_bool(op.base.is_negated()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn op(s: &str) -> ConditionOperator {
        ConditionOperator::parse(s).unwrap()
    }

    fn eval(o: &str, key: KeyState<'_>, values: &[&str]) -> Truth {
        evaluate_entry(op(o), key, values, true, &|_| VariableValue::Missing)
    }

    #[test]
    fn parse_names() {
        assert_eq!(
            op("ForAnyValue:StringLikeIfExists").to_string(),
            "ForAnyValue:StringLikeIfExists"
        );
        assert!(ConditionOperator::parse("NullIfExists").is_none());
        assert!(ConditionOperator::parse("stringequals").is_none());
        assert!(ConditionOperator::parse("StringEqualz").is_none());
    }

    #[test]
    fn missing_keys() {
        assert_eq!(eval("StringEquals", KeyState::Absent, &["a"]), Truth::False);
        assert_eq!(
            eval("StringNotEquals", KeyState::Absent, &["a"]),
            Truth::True
        );
        assert_eq!(
            eval("StringEqualsIfExists", KeyState::Absent, &["a"]),
            Truth::True
        );
        assert_eq!(
            eval("ForAllValues:StringEquals", KeyState::Absent, &["a"]),
            Truth::True
        );
        assert_eq!(
            eval("ForAnyValue:StringEquals", KeyState::Absent, &["a"]),
            Truth::False
        );
        assert_eq!(eval("Null", KeyState::Absent, &["true"]), Truth::True);
        assert_eq!(eval("Null", KeyState::Absent, &["false"]), Truth::False);
    }

    #[test]
    fn multi_values() {
        let tags = ContextValue::Multi(vec!["a".into(), "b".into()]);
        let k = KeyState::Present(&tags);
        assert_eq!(
            eval("ForAllValues:StringEquals", k, &["a", "b", "c"]),
            Truth::True
        );
        assert_eq!(eval("ForAllValues:StringEquals", k, &["a"]), Truth::False);
        assert_eq!(eval("ForAnyValue:StringEquals", k, &["b"]), Truth::True);
        assert_eq!(eval("ForAnyValue:StringNotEquals", k, &["a"]), Truth::True);
        assert_eq!(
            eval("ForAllValues:StringNotEquals", k, &["a"]),
            Truth::False
        );
        assert_eq!(eval("StringEquals", k, &["a", "b"]), Truth::False);
    }

    /// `*` and `?` are wildcards to the `…Like` operators only: an `…Equals` operator
    /// compares them as characters, whether written plainly, escaped or substituted.
    #[test]
    fn equals_operators_read_wildcards_as_characters() {
        // (operator, the request's value, the policy's value, the answer)
        let cases = [
            ("StringEquals", "home/*", "home/*", Truth::True),
            ("StringEquals", "home/x", "home/*", Truth::False),
            ("StringEquals", "home/*", "home/${*}", Truth::True),
            ("StringLike", "home/x", "home/*", Truth::True),
            ("StringNotEquals", "home/*", "home/*", Truth::False),
            ("StringNotEquals", "home/x", "home/*", Truth::True),
            ("StringEqualsIgnoreCase", "HOME/?", "home/?", Truth::True),
            ("StringEqualsIgnoreCase", "home/x", "home/?", Truth::False),
            ("BinaryEquals", "home/*", "home/*", Truth::True),
        ];
        for (operator, request, value, expected) in cases {
            let request = ContextValue::Single(request.into());
            let got = eval(operator, KeyState::Present(&request), &[value]);
            assert_eq!(got, expected, "{operator} {value}");
        }
        // A substituted value is compared as text too.
        let user = |k: &str| match k {
            "aws:username" => VariableValue::Single("a*"),
            _ => VariableValue::Missing,
        };
        let value = ContextValue::Single("u/a*".into());
        let got = evaluate_entry(
            op("StringEquals"),
            KeyState::Present(&value),
            &["u/${aws:username}"],
            true,
            &user,
        );
        assert_eq!(got, Truth::True);
    }

    #[test]
    fn negation_is_nor() {
        let v = ContextValue::Single("b".into());
        assert_eq!(
            eval("StringNotEquals", KeyState::Present(&v), &["a", "b"]),
            Truth::False
        );
        assert_eq!(
            eval("StringNotEquals", KeyState::Present(&v), &["a", "c"]),
            Truth::True
        );
        assert_eq!(
            eval(
                "StringNotEquals",
                KeyState::Present(&v),
                &["${aws:nothing}"]
            ),
            Truth::False
        );
    }
}
