//! A Zelkova-style SMT-LIB 2 encoding of IAM policies, used only as a test oracle for the
//! reasoning engine.
//!
//! [`allows`] writes a script that is `sat` iff some request is allowed by a policy, and
//! [`difference`] one that is `sat` iff some request is allowed by a first policy and not by a
//! second; [`SmtOptions::kind`] says whether the policies are identity-based (the caller is an
//! IAM principal and `Principal` elements are not consulted) or resource-based (the caller is
//! any principal and a statement applies when its `Principal` names the caller in any way).
//! "Allowed by a policy" is `keyhole_policy::evaluate_policy` on the policy alone: some `Allow`
//! statement applies and no `Deny` statement does (IAM User Guide, "Policy evaluation logic"
//! and "IAM JSON policy elements: Condition operators"). The encoding is in the style of
//! Zelkova (Backes et al., FMCAD 2018): strings with regular-expression membership, IP
//! addresses as 128-bit vectors, numbers and dates as integers. [`request_from_model`] turns
//! the solver's `(get-model)` answer back into a concrete request.
//!
//! Variables:
//! - `action`, `resource`: the request's action and resource. An `Action` pattern character
//!   matches every character with the same Unicode lowercase form (`keyhole_policy::pattern`,
//!   `Case::Insensitive`); the script writes it as one representative of that class and keeps
//!   the class's other characters (and ASCII capitals) out of `action`, so every action is
//!   decided as the one with its characters replaced by their representatives;
//! - resource-based policies only: `caller_kind` (0 IAM principal, 1 service, 2 federated,
//!   3 canonical user, 4 anonymous) and `principal` (the IAM caller's ARN, or the service,
//!   provider or canonical-user name, which policies compare ignoring ASCII case and the script
//!   models by its ASCII-lowercase form);
//! - per condition key (lowercase name `k`): `|p:k|` (the key is in the request), `|m:k|` (it is
//!   multivalued, which unqualified operators treat as missing and `Null` as present), and
//!   either `|s:k|` (its string value) or, for a key read only by one typed operator family, a
//!   typed value: `|ok:k|` (the string parses as the family's type) with `|n:SCALE:k|` (a
//!   decimal times `10^SCALE`), `|d:k|` (an instant in nanoseconds) or `|ip:k|`/`|v6:k|` (an
//!   address and its family);
//! - per key read by `ForAnyValue:`/`ForAllValues:` entries, the elements of a multivalued
//!   value: `|len:k|` of them, each with the value variables above prefixed `e0.`, `e1.`, …
//!   (`|e0.s:k|`), one per such entry (which is enough: see `Encoder::elements`).
//!
//! The request space is the reasoning engine's (`crate::query`, `crate::atoms`): any action
//! string, any resource string without `*` and `?` (ARN-shaped or not; the evaluator reads a
//! resource with wildcards as a resource *pattern*), any condition-key state (absent,
//! single-valued, malformed, multivalued with any elements), and for resource-based policies
//! any caller kind with any name (an IAM caller's name is an ARN). When no resource pattern has
//! a literal `*`, `?` or [`WILDCARD_STAND_IN`] (escapes `${*}`, `${?}`) the script lets the
//! resource hold `*`/`?`, read back as [`WILDCARD_STAND_IN`]: no statement tells the three
//! apart, and the constraint slows z3 down. Strings range over SMT-LIB's alphabet
//! U+0000–U+2FFFF, which is the engine's space up to equisatisfiability: policies whose
//! literals are all in that alphabet (others are refused) cannot tell a character above it from
//! an unused caseless character below it. The requests the full evaluator decides regardless of
//! the policy (`sts:GetCallerIdentity`, AWS-owned resources, KMS keys) are in the space and
//! decided by the policy, as the engine decides them.
//!
//! Constructs that are not encoded exactly are refused with [`SmtUnsupported`]: policy
//! variables, a key read by several typed operator families (or by one of them and a string
//! family), characters outside SMT-LIB's alphabet, and case-insensitive comparisons whose
//! folding depends on context (`Σ`, `İ`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use keyhole_policy::arn::{Arn, is_account_id};
use keyhole_policy::condition::{BaseOperator, ConditionOperator, OperatorFamily, SetQualifier};
use keyhole_policy::pattern::{Glob, Token};
use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};
use keyhole_policy::value::{Decimal, IpRange, parse_bool, parse_date};
use keyhole_policy::variables::{Piece, Substituted, VariableValue, pieces, substitute};
use keyhole_policy::{Effect, Policy, Principal, PrincipalType, Statement};

use crate::query::PolicyKind;

/// The caller of every identity-policy witness request: an IAM user of [`WITNESS_ACCOUNT`].
pub const WITNESS_CALLER: &str = "arn:aws:iam::111122223333:user/smt";
/// The account of the resource in every witness request.
pub const WITNESS_ACCOUNT: &str = "111122223333";

/// The largest character SMT-LIB 2.6 strings can hold.
const MAX_SMT_CHAR: u32 = 0x2_FFFF;
/// Instants are nanoseconds strictly between `-10^24` and `10^24`: every such integer is the
/// reading of some epoch-seconds value (at most 15 integer digits, 9 fraction digits), and
/// ISO 8601 dates lie inside.
const INSTANT_BOUND: &str = "1000000000000000000000000";

/// The character a model's resource `*` or `?` stands for (a private-use character).
pub const WILDCARD_STAND_IN: char = '\u{e000}';

/// The values of `caller_kind`.
const CALLER_AWS: u8 = 0;
const CALLER_SERVICE: u8 = 1;
const CALLER_FEDERATED: u8 = 2;
const CALLER_CANONICAL_USER: u8 = 3;
const CALLER_ANONYMOUS: u8 = 4;

/// Which requests the script ranges over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SmtOptions {
    /// How the policies are used, as in [`crate::QueryOptions::kind`].
    pub kind: PolicyKind,
}

/// A policy construct the SMT-LIB encoding does not decide exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SmtUnsupported {
    /// What is not supported, one lowercase sentence.
    pub reason: String,
}

impl std::fmt::Display for SmtUnsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for SmtUnsupported {}

fn unsupported<T>(reason: impl Into<String>) -> Result<T, SmtUnsupported> {
    Err(SmtUnsupported {
        reason: reason.into(),
    })
}

/// The SMT-LIB script that is `sat` iff some request is allowed by `policy` used as
/// `opts.kind`: some `Allow` statement applies and no `Deny` statement does.
///
/// # Errors
/// [`SmtUnsupported`] when the policy uses a construct the encoding does not decide exactly.
pub fn allows(policy: &Policy, opts: &SmtOptions) -> Result<String, SmtUnsupported> {
    let mut enc = Encoder::new(&[policy], opts.kind)?;
    let allowed = enc.policy(policy, "p1")?;
    enc.script(&[allowed])
}

/// The SMT-LIB script that is `sat` iff some request is allowed by `p1` and not by `p2`, both
/// used as `opts.kind` (the same caller, action, resource and context for both).
///
/// # Errors
/// [`SmtUnsupported`] when either policy uses a construct the encoding does not decide exactly.
pub fn difference(p1: &Policy, p2: &Policy, opts: &SmtOptions) -> Result<String, SmtUnsupported> {
    let mut enc = Encoder::new(&[p1, p2], opts.kind)?;
    let first = enc.policy(p1, "p1")?;
    let second = enc.policy(p2, "p2")?;
    enc.script(&[first, not(&second)])
}

// ---------------------------------------------------------------------------------------------
// Keys and their types

/// How a condition key's value is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyType {
    /// Only `Null` reads it: presence only.
    Presence,
    /// A string (`String…`, `Arn…`, `Bool`, `BinaryEquals`).
    Text,
    /// A decimal, as an integer times `10^scale`.
    Number { scale: usize },
    /// An instant in nanoseconds.
    Date,
    /// An IP address.
    Ip,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Use {
    Text,
    Number,
    Date,
    Ip,
}

fn key_use(family: OperatorFamily) -> Option<Use> {
    match family {
        OperatorFamily::String
        | OperatorFamily::Arn
        | OperatorFamily::Bool
        | OperatorFamily::Binary => Some(Use::Text),
        OperatorFamily::Numeric => Some(Use::Number),
        OperatorFamily::Date => Some(Use::Date),
        OperatorFamily::Ip => Some(Use::Ip),
        OperatorFamily::Null => None,
    }
}

/// Quoted-symbol name of a key's variable.
fn var(kind: &str, key: &str) -> String {
    format!("|{kind}:{key}|")
}

/// The prefix of the variables of element `i` of a multivalued key (`|e0.s:k|`).
fn element(i: usize) -> String {
    format!("e{i}.")
}

struct Encoder {
    /// How the policies are used.
    kind: PolicyKind,
    /// The characters of `Action`/`NotAction` patterns.
    action_chars: BTreeSet<char>,
    /// The literal characters of `Resource`/`NotResource` patterns.
    resource_chars: BTreeSet<char>,
    /// Lowercase key → its representation.
    keys: BTreeMap<String, KeyType>,
    /// Lowercase key → how many elements of a multivalued value are modelled: one per
    /// `ForAnyValue:`/`ForAllValues:` entry on the key. Each entry's truth is "some element
    /// satisfies φ" or "no element fails φ"; keeping one witness element per entry (none when
    /// no entry has one) keeps every such truth, so sets of at most that many elements decide
    /// every query as all sets do.
    elements: BTreeMap<String, usize>,
    /// `define-fun`s, in order.
    defs: Vec<String>,
}

impl Encoder {
    /// Collects the condition keys of `policies` and decides their types.
    fn new(policies: &[&Policy], kind: PolicyKind) -> Result<Encoder, SmtUnsupported> {
        let mut uses: BTreeMap<String, BTreeSet<Use>> = BTreeMap::new();
        let mut fraction_digits: BTreeMap<String, usize> = BTreeMap::new();
        let mut elements: BTreeMap<String, usize> = BTreeMap::new();
        for policy in policies {
            for st in policy.statements.iter() {
                let Some(clauses) = &st.value.condition else {
                    continue;
                };
                for clause in &clauses.value {
                    let base = clause.operator.value.base;
                    let qualified =
                        clause.operator.value.qualifier.is_some() && base != BaseOperator::Null;
                    for entry in &clause.entries {
                        let key = entry.key.value.to_lowercase();
                        if qualified {
                            *elements.entry(key.clone()).or_default() += 1;
                        }
                        if key.is_empty()
                            || !key.chars().all(|c| (' '..='~').contains(&c))
                            || key.contains(['|', '\\'])
                        {
                            return unsupported(format!(
                                "condition key `{}` is not printable ASCII without `|` or `\\`",
                                entry.key.value
                            ));
                        }
                        let set = uses.entry(key.clone()).or_default();
                        if let Some(u) = key_use(base.family()) {
                            set.insert(u);
                        }
                        if base.family() == OperatorFamily::Numeric {
                            for v in entry.values.iter() {
                                if let Some((_, _, frac)) = decimal_parts(&v.value.text) {
                                    let d = fraction_digits.entry(key.clone()).or_default();
                                    *d = (*d).max(frac.len());
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut keys = BTreeMap::new();
        for (key, set) in uses {
            let ty = match set.iter().copied().collect::<Vec<_>>().as_slice() {
                [] => KeyType::Presence,
                [Use::Text] => KeyType::Text,
                [Use::Number] => KeyType::Number {
                    scale: fraction_digits.get(&key).copied().unwrap_or(0) + 1,
                },
                [Use::Date] => KeyType::Date,
                [Use::Ip] => KeyType::Ip,
                _ => {
                    return unsupported(format!(
                        "condition key `{key}` is read by operators of several value types"
                    ));
                }
            };
            keys.insert(key, ty);
        }
        Ok(Encoder {
            kind,
            action_chars: BTreeSet::new(),
            resource_chars: BTreeSet::new(),
            elements,
            keys,
            defs: Vec::new(),
        })
    }

    /// Defines `NAME_sI` per statement and returns the formula "the policy allows".
    fn policy(&mut self, policy: &Policy, name: &str) -> Result<String, SmtUnsupported> {
        let vars = policy.supports_variables();
        let mut allow = Vec::new();
        let mut deny = Vec::new();
        for (i, st) in policy.statements.iter().enumerate() {
            let Some(effect) = st.value.effect.as_ref().map(|e| e.value) else {
                continue;
            };
            let body = self.statement(&st.value, vars)?;
            let sym = format!("{name}_s{i}");
            self.defs.push(format!(
                "; {name} statement {i} ({})\n(define-fun {sym} () Bool {body})",
                effect.as_str()
            ));
            match effect {
                Effect::Allow => allow.push(sym),
                Effect::Deny => deny.push(sym),
            }
        }
        let body = and(vec![or(allow), not(&or(deny))]);
        self.defs
            .push(format!("(define-fun {name}_allows () Bool {body})"));
        Ok(format!("{name}_allows"))
    }

    /// Whether a statement applies to the request.
    fn statement(&mut self, st: &Statement, vars: bool) -> Result<String, SmtUnsupported> {
        let mut parts = Vec::new();
        if self.kind == PolicyKind::Resource {
            // A resource-policy statement without `Principal`/`NotPrincipal` applies to no one;
            // `NotPrincipal` to exactly the callers its list does not name in any way.
            let Some(pe) = &st.principal else {
                return Ok("false".to_owned());
            };
            let named = principal_named(&pe.value.principal)?;
            parts.push(if pe.value.negated { not(&named) } else { named });
        }
        // A statement without `Action`/`NotAction` applies to nothing.
        let Some(action) = &st.action else {
            return Ok("false".to_owned());
        };
        let mut any = Vec::new();
        for v in action.value.values.iter() {
            let glob = Glob::parse(&v.value);
            for t in glob.tokens() {
                if let Token::Char(c) = t {
                    self.action_chars.insert(*c);
                }
            }
            let re = glob_regex(&glob, Fold::Action)?;
            any.push(format!("(str.in_re action {re})"));
        }
        let any = or(any);
        parts.push(if action.value.negated { not(&any) } else { any });
        if let Some(resource) = &st.resource {
            let mut any = Vec::new();
            for v in resource.value.values.iter() {
                if v.value == "*" {
                    any.push("true".to_owned());
                    continue;
                }
                let mut glob = policy_glob(&v.value, vars)?;
                for t in glob.tokens() {
                    if let Token::Char(c) = t {
                        self.resource_chars.insert(*c);
                    }
                }
                // Short ARNs: identity-side policies pad them with `*` segments, resource-based
                // policies only when the pattern has a wildcard (else it matches nothing).
                if glob.arn_segments().is_none()
                    && self.kind == PolicyKind::Resource
                    && !glob.has_wildcard()
                {
                    any.push("false".to_owned());
                    continue;
                }
                while glob.arn_segments().is_none() {
                    glob.push_pattern(":*");
                }
                let re = arn_regex(&glob)?;
                any.push(format!("(str.in_re resource {re})"));
            }
            let any = or(any);
            parts.push(if resource.value.negated {
                not(&any)
            } else {
                any
            });
        }
        if let Some(clauses) = &st.condition {
            for clause in &clauses.value {
                for entry in &clause.entries {
                    let values: Vec<&str> =
                        entry.values.iter().map(|v| v.value.text.as_str()).collect();
                    parts.push(self.entry(
                        clause.operator.value,
                        &entry.key.value,
                        &values,
                        vars,
                    )?);
                }
            }
        }
        Ok(and(parts))
    }

    /// One condition entry, exactly as `keyhole_policy::condition::evaluate_entry` decides it
    /// for a single-valued, absent or multivalued key.
    fn entry(
        &mut self,
        op: ConditionOperator,
        key_name: &str,
        values: &[&str],
        vars: bool,
    ) -> Result<String, SmtUnsupported> {
        let key = key_name.to_lowercase();
        let present = var("p", &key);
        let multi = var("m", &key);
        let base = op.base;
        if base == BaseOperator::Null {
            // Presence: a multivalued key is present.
            let mut any = Vec::new();
            for v in values {
                match parse_bool(v) {
                    Some(true) => any.push(not(&present)),
                    Some(false) => any.push(present.clone()),
                    None => {}
                }
            }
            return Ok(or(any));
        }
        let ty = self.keys.get(&key).copied().unwrap_or(KeyType::Presence);
        let globs = values
            .iter()
            .map(|v| policy_glob(v, vars))
            .collect::<Result<Vec<_>, _>>()?;
        // One request value (the single value, or element `at` of a multivalued one) against
        // every policy value: OR for positive operators, NOR for negated ones, which also
        // fail when a policy value and the request value are of different types.
        let one = |at: &str| -> Result<String, SmtUnsupported> {
            let mut matched = Vec::new();
            let mut resolved = Vec::new();
            for glob in &globs {
                let (res, m) = value_formula(base, glob, &key, ty, at)?;
                if res == "false" {
                    resolved.push(res);
                    continue;
                }
                // An ARN pattern's regex already requires six segments.
                if base.family() == OperatorFamily::Arn {
                    matched.push(m);
                } else {
                    matched.push(and(vec![res.clone(), m]));
                }
                resolved.push(res);
            }
            let any = or(matched);
            Ok(if base.is_negated() {
                and(vec![not(&any), and(resolved)])
            } else {
                any
            })
        };
        let single = and(vec![present.clone(), not(&multi)]);
        let Some(qualifier) = op.qualifier else {
            // A multivalued key is missing to an unqualified operator.
            return Ok(if op.if_exists || base.is_negated() {
                or(vec![not(&present), multi, one("")?])
            } else {
                and(vec![single, one("")?])
            });
        };
        // `ForAnyValue:`/`ForAllValues:`: a missing key satisfies `ForAllValues:` and
        // `…IfExists`; a single value is a one-element set; a multivalued one has `|len:k|`
        // elements, of which the script models the first `elements` (see `Encoder::new`).
        let elements = self.elements.get(&key).copied().unwrap_or(0);
        let len = var("len", &key);
        let for_all = qualifier == SetQualifier::ForAllValues;
        let mut each = Vec::new();
        for i in 0..elements {
            let inside = format!("(< {i} {len})");
            let holds = one(&element(i))?;
            each.push(if for_all {
                or(vec![not(&inside), holds])
            } else {
                and(vec![inside, holds])
            });
        }
        let set = if for_all { and(each) } else { or(each) };
        let when_absent = if op.if_exists || for_all {
            "true"
        } else {
            "false"
        };
        Ok(or(vec![
            and(vec![not(&present), when_absent.to_owned()]),
            and(vec![single, one("")?]),
            and(vec![present, multi, set]),
        ]))
    }

    /// The whole script: declarations, the request space, the definitions and the goal.
    fn script(&self, goal: &[String]) -> Result<String, SmtUnsupported> {
        let mut out = String::new();
        out.push_str("; keyhole SMT-LIB oracle (Zelkova-style encoding)\n");
        out.push_str("(set-logic ALL)\n(set-option :produce-models true)\n");
        out.push_str("(declare-const action String)\n(declare-const resource String)\n");
        let mut space = Vec::new();
        for (key, ty) in &self.keys {
            let _ = writeln!(
                out,
                "(declare-const {} Bool)\n(declare-const {} Bool)",
                var("p", key),
                var("m", key)
            );
            let elements = self.elements.get(key).copied().unwrap_or(0);
            if elements > 0 {
                let len = var("len", key);
                let _ = writeln!(out, "(declare-const {len} Int)");
                space.push(format!("(<= 0 {len} {elements})"));
            }
            // The single value, then the elements of a multivalued one.
            for at in std::iter::once(String::new()).chain((0..elements).map(element)) {
                let var = |kind: &str| var(&format!("{at}{kind}"), key);
                match ty {
                    KeyType::Presence => {}
                    KeyType::Text => {
                        let _ = writeln!(out, "(declare-const {} String)", var("s"));
                    }
                    KeyType::Number { scale } => {
                        let _ = writeln!(
                            out,
                            "(declare-const {} Bool)\n(declare-const {} Int)",
                            var("ok"),
                            var(&format!("n:{scale}"))
                        );
                    }
                    KeyType::Date => {
                        let d = var("d");
                        let _ = writeln!(
                            out,
                            "(declare-const {} Bool)\n(declare-const {d} Int)",
                            var("ok")
                        );
                        space.push(format!(
                            "(and (< (- {INSTANT_BOUND}) {d}) (< {d} {INSTANT_BOUND}))"
                        ));
                    }
                    KeyType::Ip => {
                        let ip = var("ip");
                        let v6 = var("v6");
                        let _ = writeln!(
                            out,
                            "(declare-const {} Bool)\n(declare-const {ip} (_ BitVec 128))\n(declare-const {v6} Bool)",
                            var("ok")
                        );
                        space.push(format!(
                            "(or {v6} (bvule {ip} {}))",
                            bv128(u128::from(u32::MAX))
                        ));
                        // No caller has an IPv4-mapped IPv6 address (AWS reports IPv4 callers
                        // as IPv4), as in the engine's request space.
                        space.push(format!(
                            "(or (not {v6}) (bvult {ip} {}) (bvugt {ip} {}))",
                            bv128(0xffff_0000_0000),
                            bv128(0xffff_ffff_ffff)
                        ));
                    }
                }
            }
        }
        // Resources are concrete: no `*` or `?`. When no pattern has one of them or
        // [`WILDCARD_STAND_IN`] as a literal character, the three are alike for every statement,
        // and a model's `*`/`?` stand for [`WILDCARD_STAND_IN`] ([`request_from_model`]); the
        // constraint, which slows z3 down, is then left out.
        if ['*', '?', WILDCARD_STAND_IN]
            .iter()
            .any(|c| self.resource_chars.contains(c))
        {
            space.push(format!(
                "(not (str.in_re resource (re.++ re.all (re.union {} {}) re.all)))",
                re_lit("*")?,
                re_lit("?")?
            ));
        }
        // An action character matched case-insensitively by some pattern character is its
        // class's representative: every action is decided as the one with each character
        // replaced by its representative, which is in the space. ASCII capitals (whose
        // representatives are their lowercase forms) are always left out, which keeps the
        // constraint simple for the solvers.
        let mut excluded: BTreeSet<char> = ('A'..='Z').collect();
        for c in &self.action_chars {
            let (representative, class) = action_class(*c)?;
            excluded.extend(class.into_iter().filter(|d| *d != representative));
        }
        if !excluded.is_empty() {
            let mut ranges = Vec::new();
            let mut from = 0u32;
            for d in excluded {
                let d = u32::from(d);
                if d > from {
                    ranges.push(format!(
                        "(re.range {} {})",
                        code_point(from),
                        code_point(d - 1)
                    ));
                }
                from = d + 1;
            }
            if from <= MAX_SMT_CHAR {
                ranges.push(format!(
                    "(re.range {} {})",
                    code_point(from),
                    code_point(MAX_SMT_CHAR)
                ));
            }
            space.push(format!("(str.in_re action (re.* {}))", union(ranges)));
        }
        if self.kind == PolicyKind::Resource {
            // Every caller kind; an IAM caller's name is an ARN (`arn:` and five more `:`).
            out.push_str("(declare-const caller_kind Int)\n(declare-const principal String)\n");
            space.push(format!("(<= {CALLER_AWS} caller_kind {CALLER_ANONYMOUS})"));
            // Service, federated and canonical-user names are only compared ignoring ASCII
            // case: each caller is decided as the one named by the ASCII-lowercase form.
            space.push(format!(
                "(=> (and (<= {CALLER_SERVICE} caller_kind) (<= caller_kind {CALLER_CANONICAL_USER})) (str.in_re principal (re.* (re.union (re.range {} {}) (re.range {} {})))))",
                smt_str("\u{0}")?,
                smt_str("@")?,
                smt_str("[")?,
                code_point(MAX_SMT_CHAR)
            ));
            space.push(format!(
                "(=> (= caller_kind {CALLER_AWS}) (str.in_re principal (re.++ {} {SEG} {COLON} {SEG} {COLON} {SEG} {COLON} {SEG} {COLON} re.all)))",
                re_lit("arn:")?
            ));
        }
        out.push_str("; the request space\n");
        for s in space {
            let _ = writeln!(out, "(assert {s})");
        }
        for d in &self.defs {
            out.push_str(d);
            out.push('\n');
        }
        out.push_str("; the query\n");
        for g in goal {
            let _ = writeln!(out, "(assert {g})");
        }
        out.push_str("(check-sat)\n(get-model)\n");
        Ok(out)
    }
}

/// The callers a `Principal` list names in any way (`keyhole_policy::eval` `principal_match`
/// is not `None`).
fn principal_named(principal: &Principal) -> Result<String, SmtUnsupported> {
    let entries = match principal {
        Principal::Wildcard => return Ok("true".to_owned()),
        Principal::AwsShorthand(v) if v.value == "*" => return Ok("true".to_owned()),
        Principal::AwsShorthand(v) => return aws_named(&v.value),
        Principal::Typed(entries) => entries,
    };
    let mut any = Vec::new();
    for (ty, values) in entries {
        for v in values.iter() {
            let v = v.value.as_str();
            let kind = match ty.value {
                // `"AWS": "*"` names every caller, of any kind.
                PrincipalType::Aws if v == "*" => return Ok("true".to_owned()),
                PrincipalType::Aws => {
                    any.push(aws_named(v)?);
                    continue;
                }
                PrincipalType::Service => CALLER_SERVICE,
                PrincipalType::Federated => CALLER_FEDERATED,
                PrincipalType::CanonicalUser => CALLER_CANONICAL_USER,
            };
            // Names compare ignoring ASCII case (`eq_ignore_ascii_case`); such a caller's name
            // is modelled by its ASCII-lowercase form (see `Encoder::script`).
            let name = if v == "*" {
                "true".to_owned()
            } else {
                format!("(= principal {})", smt_str(&v.to_ascii_lowercase())?)
            };
            any.push(and(vec![format!("(= caller_kind {kind})"), name]));
        }
    }
    Ok(or(any))
}

/// The IAM callers an `AWS` principal value names (`keyhole_policy::eval`
/// `aws_principal_match`, not what-if): the caller's own ARN; for an account id every caller of
/// the account; for an ARN of the caller's partition and account: its `root` names every
/// caller, a role its sessions (`sts` `assumed-role/NAME` and `assumed-role/NAME/…`, NAME the
/// role's last path component), an IAM user its federated-user session.
fn aws_named(value: &str) -> Result<String, SmtUnsupported> {
    let arn = |partition: String, service: String, account: &str, rest: String| {
        Ok::<String, SmtUnsupported>(format!(
            "(str.in_re principal (re.++ {} {partition} {COLON} {service} {COLON} {SEG} {COLON} {} {COLON} {rest}))",
            re_lit("arn:")?,
            re_lit(account)?
        ))
    };
    let mut names = vec![format!("(= principal {})", smt_str(value)?)];
    if is_account_id(value) {
        names.push(arn(
            SEG.to_owned(),
            SEG.to_owned(),
            value,
            "re.all".to_owned(),
        )?);
    } else if let Some(named) = Arn::parse(value) {
        let partition = re_lit(&named.partition)?;
        let account = named.account.as_str();
        let last = |r: &str| r.rsplit('/').next().unwrap_or(r).to_owned();
        if named.service == "iam" && named.resource == "root" {
            names.push(arn(
                partition,
                SEG.to_owned(),
                account,
                "re.all".to_owned(),
            )?);
        } else if named.service == "iam" {
            if let Some(role) = named.resource.strip_prefix("role/") {
                let session = format!("assumed-role/{}", last(role));
                names.push(arn(
                    partition,
                    re_lit("sts")?,
                    account,
                    format!(
                        "(re.++ {} (re.union (str.to_re \"\") (re.++ {} re.all)))",
                        re_lit(&session)?,
                        re_lit("/")?
                    ),
                )?);
            } else if let Some(user) = named.resource.strip_prefix("user/") {
                names.push(arn(
                    partition,
                    re_lit("sts")?,
                    account,
                    re_lit(&format!("federated-user/{}", last(user)))?,
                )?);
            }
        }
    }
    Ok(and(vec![
        format!("(= caller_kind {CALLER_AWS})"),
        or(names),
    ]))
}

/// `(resolved, matches)` for one policy value against the key's request value: `resolved` is
/// false when `value_matches` returns `None` (a value of the wrong type on either side).
fn value_formula(
    base: BaseOperator,
    glob: &Glob,
    key: &str,
    ty: KeyType,
    at: &str,
) -> Result<(String, String), SmtUnsupported> {
    use BaseOperator::*;
    let var = |kind: &str, key: &str| var(&format!("{at}{kind}"), key);
    let s = var("s", key);
    let ok = var("ok", key);
    let type_error = || SmtUnsupported {
        reason: format!("internal: key `{key}` has the wrong representation"),
    };
    let literal = glob.as_literal();
    let t = || "true".to_owned();
    let f = || "false".to_owned();
    let positive = base.positive();
    let text = || {
        if ty == KeyType::Text {
            Ok(())
        } else {
            Err(type_error())
        }
    };
    Ok(match positive {
        // The value as written: `*` and `?` are characters to the `…Equals` operators.
        StringEquals | BinaryEquals => {
            text()?;
            (t(), format!("(= {s} {})", smt_str(&glob.text())?))
        }
        StringEqualsIgnoreCase => {
            text()?;
            (
                t(),
                format!("(str.in_re {s} {})", lowercase_equal_regex(&glob.text())?),
            )
        }
        StringLike => {
            text()?;
            (
                t(),
                format!("(str.in_re {s} {})", glob_regex(glob, Fold::None)?),
            )
        }
        ArnEquals | ArnLike => {
            text()?;
            if glob.arn_segments().is_none() {
                return Ok((f(), f()));
            }
            (
                format!("(str.in_re {s} {})", arn_shape()?),
                format!("(str.in_re {s} {})", arn_regex(glob)?),
            )
        }
        Bool => {
            text()?;
            let is_true = format!("(str.in_re {s} {})", ascii_ci_word("true")?);
            let is_false = format!("(str.in_re {s} {})", ascii_ci_word("false")?);
            match literal.as_deref().and_then(parse_bool) {
                Some(b) => (
                    or(vec![is_true.clone(), is_false.clone()]),
                    if b { is_true } else { is_false },
                ),
                None => (f(), f()),
            }
        }
        IpAddress => {
            if ty != KeyType::Ip {
                return Err(type_error());
            }
            match literal.as_deref().and_then(IpRange::parse) {
                Some(r) => {
                    let ip = var("ip", key);
                    let v6 = var("v6", key);
                    let family = if r.v6 { v6 } else { not(&v6) };
                    (
                        ok,
                        and(vec![
                            family,
                            format!("(bvule {} {ip})", bv128(r.first)),
                            format!("(bvule {ip} {})", bv128(r.last)),
                        ]),
                    )
                }
                None => (f(), f()),
            }
        }
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            let KeyType::Number { scale } = ty else {
                return Err(type_error());
            };
            let parsed = literal.as_deref().and_then(|l| {
                Decimal::parse(l)?;
                decimal_parts(l)
            });
            match parsed {
                Some((negative, int, frac)) => {
                    let scaled = scaled_integer(negative, &int, &frac, scale)?;
                    let n = var(&format!("n:{scale}"), key);
                    (ok, compare(positive, &n, &scaled))
                }
                None => (f(), f()),
            }
        }
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            if ty != KeyType::Date {
                return Err(type_error());
            }
            match literal.as_deref().and_then(parse_date) {
                Some(p) => (ok, compare(positive, &var("d", key), &int_literal(p))),
                None => (f(), f()),
            }
        }
        _ => return unsupported(format!("operator `{}` is not encoded", base.name())),
    })
}

fn compare(op: BaseOperator, request: &str, policy: &str) -> String {
    use BaseOperator::*;
    let rel = match op {
        NumericLessThan | DateLessThan => "<",
        NumericLessThanEquals | DateLessThanEquals => "<=",
        NumericGreaterThan | DateGreaterThan => ">",
        NumericGreaterThanEquals | DateGreaterThanEquals => ">=",
        _ => "=",
    };
    format!("({rel} {request} {policy})")
}

/// A policy value as a pattern; policy variables are refused (escapes like `${*}` are literal).
fn policy_glob(text: &str, vars: bool) -> Result<Glob, SmtUnsupported> {
    if vars
        && pieces(text)
            .iter()
            .any(|p| matches!(p, Piece::Variable { .. }))
    {
        return unsupported(format!("policy variable in `{text}` is not encoded"));
    }
    match substitute(text, vars, |_| VariableValue::Missing) {
        Substituted::Pattern(g) => Ok(g),
        Substituted::NoValue { key } | Substituted::Unknown { key } => {
            unsupported(format!("policy variable `{key}` is not encoded"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// `(negative, integer digits without leading zeros, fraction digits without trailing zeros)`,
/// the grammar of `keyhole_policy::value::Decimal::parse`.
fn decimal_parts(text: &str) -> Option<(bool, String, String)> {
    let t = text.trim();
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let int = int.trim_start_matches('0').to_owned();
    let frac = frac.trim_end_matches('0').to_owned();
    let zero = int.is_empty() && frac.is_empty();
    Some((negative && !zero, int, frac))
}

/// `±int.frac × 10^scale` as an SMT-LIB integer term.
fn scaled_integer(
    negative: bool,
    int: &str,
    frac: &str,
    scale: usize,
) -> Result<String, SmtUnsupported> {
    if frac.len() > scale {
        return unsupported("internal: decimal scale too small");
    }
    let mut digits = format!("{int}{frac}");
    for _ in frac.len()..scale {
        digits.push('0');
    }
    let digits = digits.trim_start_matches('0');
    Ok(match (digits.is_empty(), negative) {
        (true, _) => "0".to_owned(),
        (false, true) => format!("(- {digits})"),
        (false, false) => digits.to_owned(),
    })
}

fn int_literal(n: i128) -> String {
    if n < 0 {
        format!("(- {})", n.unsigned_abs())
    } else {
        n.to_string()
    }
}

fn bv128(n: u128) -> String {
    format!("#x{n:032x}")
}

// ---------------------------------------------------------------------------------------------
// Strings and regular expressions

/// Any character but `:`.
const NOT_COLON: &str = r#"(re.union (re.range "\u{0}" "9") (re.range ";" "\u{2ffff}"))"#;
/// One of the first five ARN segments.
const SEG: &str = r#"(re.* (re.union (re.range "\u{0}" "9") (re.range ";" "\u{2ffff}")))"#;
const COLON: &str = r#"(str.to_re ":")"#;

/// An SMT-LIB string literal: `"` doubled, printable ASCII but `\` as is, the rest `\u{…}`.
fn smt_str(s: &str) -> Result<String, SmtUnsupported> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\"\""),
            '\\' => out.push_str("\\u{5c}"),
            ' '..='~' => out.push(c),
            _ if u32::from(c) <= MAX_SMT_CHAR => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            _ => {
                return unsupported(format!(
                    "character U+{:04X} is outside SMT-LIB's string alphabet",
                    u32::from(c)
                ));
            }
        }
    }
    out.push('"');
    Ok(out)
}

/// A one-character SMT-LIB string literal by code point (surrogates included).
fn code_point(u: u32) -> String {
    format!("\"\\u{{{u:x}}}\"")
}

fn re_lit(s: &str) -> Result<String, SmtUnsupported> {
    Ok(format!("(str.to_re {})", smt_str(s)?))
}

fn concat(parts: Vec<String>) -> String {
    // Adjacent literals merge into one (their escaped contents concatenate).
    let mut merged: Vec<String> = Vec::with_capacity(parts.len());
    for p in parts {
        let inner = |s: &str| {
            s.strip_prefix("(str.to_re \"")
                .and_then(|r| r.strip_suffix("\")"))
                .map(str::to_owned)
        };
        match (merged.last().and_then(|l| inner(l)), inner(&p)) {
            (Some(a), Some(b)) => {
                if let Some(last) = merged.last_mut() {
                    *last = format!("(str.to_re \"{a}{b}\")");
                }
            }
            _ => merged.push(p),
        }
    }
    let parts = merged;
    match parts.len() {
        0 => "(str.to_re \"\")".to_owned(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("(re.++ {})", parts.join(" ")),
    }
}

fn union(parts: Vec<String>) -> String {
    match parts.len() {
        0 => "re.none".to_owned(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("(re.union {})", parts.join(" ")),
    }
}

/// How pattern characters compare with request characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fold {
    /// Exactly.
    None,
    /// As `Action` names: `a == b` or their Unicode lowercase forms are equal. A pattern
    /// character stands for its class's representative ([`action_class`]); the action never
    /// holds another member of a class a pattern uses ([`Encoder::script`]).
    Action,
}

/// The characters (within SMT-LIB's alphabet) whose lowercase form is not themselves, by that
/// lowercase form.
fn lowercase_table() -> &'static BTreeMap<String, Vec<char>> {
    static TABLE: OnceLock<BTreeMap<String, Vec<char>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: BTreeMap<String, Vec<char>> = BTreeMap::new();
        for c in (0..=MAX_SMT_CHAR).filter_map(char::from_u32) {
            let lower: String = c.to_lowercase().collect();
            if lower.chars().ne(std::iter::once(c)) {
                table.entry(lower).or_default().push(c);
            }
        }
        table
    })
}

/// The characters `d` with `d.to_lowercase() == lower`.
fn lowercase_preimage(lower: &str) -> Vec<char> {
    let mut out: BTreeSet<char> = lowercase_table()
        .get(lower)
        .map(|v| v.iter().copied().collect())
        .unwrap_or_default();
    let mut it = lower.chars();
    if let (Some(l), None) = (it.next(), it.next())
        && l.to_lowercase().eq(std::iter::once(l))
    {
        out.insert(l);
    }
    out.into_iter().collect()
}

/// The characters (within SMT-LIB's alphabet) an `Action` pattern character matches — those
/// with its Unicode lowercase form (`keyhole_policy::pattern` `Case::Insensitive`) — and the
/// one of them that stands for all: the lowercase form itself when it is one character of the
/// class, else the smallest.
fn action_class(c: char) -> Result<(char, Vec<char>), SmtUnsupported> {
    if u32::from(c) > MAX_SMT_CHAR {
        return unsupported(format!(
            "character U+{:04X} is outside SMT-LIB's string alphabet",
            u32::from(c)
        ));
    }
    let lower: String = c.to_lowercase().collect();
    let class: Vec<char> = lowercase_preimage(&lower)
        .into_iter()
        .filter(|d| u32::from(*d) <= MAX_SMT_CHAR)
        .collect();
    let mut it = lower.chars();
    let representative = match (it.next(), it.next()) {
        (Some(l), None) if class.contains(&l) => l,
        _ => class.first().copied().unwrap_or(c),
    };
    Ok((representative, class))
}

/// A wildcard pattern over the whole string.
fn glob_regex(glob: &Glob, fold: Fold) -> Result<String, SmtUnsupported> {
    tokens_regex(glob.tokens(), fold, "re.all", "re.allchar")
}

fn tokens_regex(
    tokens: &[Token],
    fold: Fold,
    star: &str,
    any: &str,
) -> Result<String, SmtUnsupported> {
    let mut parts = Vec::new();
    let mut run = String::new();
    for t in tokens {
        match t {
            Token::Char(c) => match fold {
                Fold::None => run.push(*c),
                Fold::Action => run.push(action_class(*c)?.0),
            },
            Token::Star | Token::AnyOne => {
                if !run.is_empty() {
                    parts.push(re_lit(&run)?);
                    run.clear();
                }
                parts.push(if *t == Token::Star { star } else { any }.to_owned());
            }
        }
    }
    if !run.is_empty() {
        parts.push(re_lit(&run)?);
    }
    Ok(concat(parts))
}

/// An ARN pattern matched segment by segment: in the first five segments a wildcard never
/// matches `:`. The pattern must have six segments.
fn arn_regex(glob: &Glob) -> Result<String, SmtUnsupported> {
    let Some(segments) = glob.arn_segments() else {
        return Ok("re.none".to_owned());
    };
    let mut parts = Vec::new();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        if i == last {
            parts.push(tokens_regex(seg, Fold::None, "re.all", "re.allchar")?);
        } else {
            let star = format!("(re.* {NOT_COLON})");
            parts.push(tokens_regex(seg, Fold::None, &star, NOT_COLON)?);
            parts.push(COLON.to_owned());
        }
    }
    Ok(concat(parts))
}

/// Strings with at least five `:`, i.e. six ARN segments.
fn arn_shape() -> Result<String, SmtUnsupported> {
    Ok(format!(
        "(re.++ {SEG} {COLON} {SEG} {COLON} {SEG} {COLON} {SEG} {COLON} {SEG} {COLON} re.all)"
    ))
}

/// `word` in any ASCII letter case (as `eq_ignore_ascii_case`).
fn ascii_ci_word(word: &str) -> Result<String, SmtUnsupported> {
    let mut parts = Vec::new();
    for c in word.chars() {
        let (l, u) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
        parts.push(if l == u {
            re_lit(&c.to_string())?
        } else {
            format!(
                "(re.union {} {})",
                re_lit(&l.to_string())?,
                re_lit(&u.to_string())?
            )
        });
    }
    Ok(concat(parts))
}

/// The strings `v` with `v.to_lowercase() == p.to_lowercase()` (`StringEqualsIgnoreCase`).
fn lowercase_equal_regex(p: &str) -> Result<String, SmtUnsupported> {
    let lower = p.to_lowercase();
    // `Σ` lowercases by context and `İ` to two characters: not encoded.
    if lower.contains(['σ', 'ς', '\u{307}']) {
        return unsupported(format!(
            "case-insensitive comparison with `{p}` depends on context-sensitive case folding"
        ));
    }
    let mut parts = Vec::new();
    for l in lower.chars() {
        let mut alts = Vec::new();
        for d in lowercase_preimage(&l.to_string()) {
            if u32::from(d) <= MAX_SMT_CHAR {
                alts.push(re_lit(&d.to_string())?);
            }
        }
        parts.push(union(alts));
    }
    Ok(concat(parts))
}

// ---------------------------------------------------------------------------------------------
// Boolean connectives on formula text

fn and(parts: Vec<String>) -> String {
    let parts: Vec<String> = parts.into_iter().filter(|p| p != "true").collect();
    if parts.iter().any(|p| p == "false") {
        return "false".to_owned();
    }
    match parts.len() {
        0 => "true".to_owned(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("(and {})", parts.join(" ")),
    }
}

fn or(parts: Vec<String>) -> String {
    let parts: Vec<String> = parts.into_iter().filter(|p| p != "false").collect();
    if parts.iter().any(|p| p == "true") {
        return "true".to_owned();
    }
    match parts.len() {
        0 => "false".to_owned(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("(or {})", parts.join(" ")),
    }
}

fn not(p: &str) -> String {
    match p {
        "true" => "false".to_owned(),
        "false" => "true".to_owned(),
        _ => format!("(not {p})"),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a model back

/// A value in a `(get-model)` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ModelValue {
    Text(String),
    Bool(bool),
    /// An integer, as decimal digits with a sign.
    Int {
        negative: bool,
        digits: String,
    },
    Bits(u128),
}

/// Turns a solver's `(get-model)` answer to a script of [`allows`] or [`difference`] into the
/// request it describes: the modelled caller (for identity-based policies [`WITNESS_CALLER`]),
/// action and resource (owned by [`WITNESS_ACCOUNT`]), and every condition key the model makes
/// present, with a value the concrete evaluator reads exactly as the model does (`[]` for a
/// multivalued key). A `*` or `?` in the modelled resource becomes [`WILDCARD_STAND_IN`], which
/// every statement of the script decides alike (see the request space in the module docs).
/// `None` when the text is not such a model.
#[must_use]
pub fn request_from_model(model_text: &str) -> Option<Request> {
    let values = parse_model(model_text)?;
    let text = |name: &str| match values.get(name) {
        Some(ModelValue::Text(s)) => Some(s.clone()),
        _ => None,
    };
    let flag = |name: &str| matches!(values.get(name), Some(ModelValue::Bool(true)));
    if values.is_empty() {
        return None;
    }
    // A solver may leave out a constant no assertion reads.
    let action = text("action").unwrap_or_default();
    let resource = text("resource")
        .unwrap_or_default()
        .replace(['*', '?'], &WILDCARD_STAND_IN.to_string());
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for name in values.keys() {
        if let Some(key) = name.strip_prefix("p:") {
            keys.insert(key);
        }
    }
    // The value of a key's single value (`at` empty) or of one element of a multivalued one.
    let value = |at: &str, key: &str| -> Option<String> {
        let name = |kind: &str| format!("{at}{kind}:{key}");
        Some(if let Some(s) = text(&name("s")) {
            s
        } else if !flag(&name("ok")) {
            // Not a number, date or address (or not read at all).
            "x".to_owned()
        } else if let Some(ModelValue::Int { negative, digits }) = values.get(&name("d")) {
            scaled_to_decimal(*negative, digits, 9)
        } else if let Some(ModelValue::Bits(bits)) = values.get(&name("ip")) {
            if flag(&name("v6")) {
                std::net::Ipv6Addr::from(*bits).to_string()
            } else {
                std::net::Ipv4Addr::from(u32::try_from(*bits).ok()?).to_string()
            }
        } else {
            let (scale, n) = values.iter().find_map(|(n, v)| {
                let rest = n.strip_prefix(at)?.strip_prefix("n:")?;
                let (scale, k) = rest.split_once(':')?;
                (k == key).then_some((scale.parse::<usize>().ok()?, v))
            })?;
            let ModelValue::Int { negative, digits } = n else {
                return None;
            };
            scaled_to_decimal(*negative, digits, scale)
        })
    };
    let mut context = Context::new();
    for key in keys {
        if !flag(&format!("p:{key}")) {
            continue;
        }
        if flag(&format!("m:{key}")) {
            let len = match values.get(&format!("len:{key}")) {
                Some(ModelValue::Int {
                    negative: false,
                    digits,
                }) => digits.parse::<usize>().ok()?,
                Some(_) => return None,
                None => 0,
            };
            let elements = (0..len)
                .map(|i| value(&element(i), key))
                .collect::<Option<Vec<_>>>()?;
            context.insert(key, ContextValue::Multi(elements));
            continue;
        }
        context.insert(key, ContextValue::Single(value("", key)?));
    }
    let principal = match values.get("caller_kind") {
        None => RequestPrincipal::Aws {
            arn: Arn::parse(WITNESS_CALLER)?,
        },
        Some(ModelValue::Int {
            negative: false,
            digits,
        }) => {
            let name = text("principal").unwrap_or_default();
            match digits.parse::<u8>().ok()? {
                CALLER_AWS => RequestPrincipal::Aws {
                    arn: Arn::parse(&name)?,
                },
                CALLER_SERVICE => RequestPrincipal::Service(name),
                CALLER_FEDERATED => RequestPrincipal::Federated(name),
                CALLER_CANONICAL_USER => RequestPrincipal::CanonicalUser(name),
                CALLER_ANONYMOUS => RequestPrincipal::Anonymous,
                _ => return None,
            }
        }
        Some(_) => return None,
    };
    Some(Request {
        principal,
        action,
        resource,
        resource_account: Some(WITNESS_ACCOUNT.to_owned()),
        context,
    })
}

/// `±digits / 10^scale` as a decimal (`Decimal::parse` and, for scale 9, epoch seconds read it
/// back exactly).
fn scaled_to_decimal(negative: bool, digits: &str, scale: usize) -> String {
    let mut d = digits.trim_start_matches('0').to_owned();
    while d.len() <= scale {
        d.insert(0, '0');
    }
    let (int, frac) = d.split_at(d.len() - scale);
    let sign = if negative && d.bytes().any(|b| b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// S-expression tokens of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Str(String),
    Atom(String),
}

fn tokenize(text: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '(' => out.push(Tok::Open),
            ')' => out.push(Tok::Close),
            ';' => {
                for d in it.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut raw = String::new();
                loop {
                    match it.next()? {
                        '"' if it.peek() == Some(&'"') => {
                            it.next();
                            raw.push('"');
                        }
                        '"' => break,
                        d => raw.push(d),
                    }
                }
                out.push(Tok::Str(unescape(&raw)));
            }
            '|' => {
                let mut sym = String::new();
                loop {
                    match it.next()? {
                        '|' => break,
                        d => sym.push(d),
                    }
                }
                out.push(Tok::Atom(sym));
            }
            c if c.is_whitespace() => {}
            c => {
                let mut atom = c.to_string();
                while let Some(&d) = it.peek() {
                    if d.is_whitespace() || d == '(' || d == ')' {
                        break;
                    }
                    atom.push(d);
                    it.next();
                }
                out.push(Tok::Atom(atom));
            }
        }
    }
    Some(out)
}

/// Resolves SMT-LIB 2.6 escapes `\u{X…}` and `\uXXXX`; any other backslash is literal.
fn unescape(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' && chars.get(i + 1) == Some(&'u') {
            if chars.get(i + 2) == Some(&'{') {
                let hex: String = chars
                    .iter()
                    .skip(i + 3)
                    .take_while(|d| d.is_ascii_hexdigit())
                    .collect();
                let close = i + 3 + hex.len();
                if (1..=5).contains(&hex.len())
                    && chars.get(close) == Some(&'}')
                    && let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                {
                    out.push(ch);
                    i = close + 1;
                    continue;
                }
            } else {
                let hex: String = chars.iter().skip(i + 2).take(4).collect();
                if hex.len() == 4
                    && hex.chars().all(|d| d.is_ascii_hexdigit())
                    && let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                {
                    out.push(ch);
                    i += 6;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The `define-fun`s of nullary constants in a model, by name.
fn parse_model(text: &str) -> Option<BTreeMap<String, ModelValue>> {
    let toks = tokenize(text)?;
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < toks.len() {
        if toks.get(i) == Some(&Tok::Open)
            && toks.get(i + 1) == Some(&Tok::Atom("define-fun".to_owned()))
            && toks.get(i + 3) == Some(&Tok::Open)
            && toks.get(i + 4) == Some(&Tok::Close)
            && let Some(Tok::Atom(name)) = toks.get(i + 2)
        {
            // Skip the sort: an atom or a parenthesised term.
            let mut j = i + 5;
            match toks.get(j) {
                Some(Tok::Open) => {
                    let mut depth = 0usize;
                    while let Some(t) = toks.get(j) {
                        match t {
                            Tok::Open => depth += 1,
                            Tok::Close => depth = depth.saturating_sub(1),
                            _ => {}
                        }
                        j += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                Some(_) => j += 1,
                None => return None,
            }
            // Values this reader does not know (function bodies, other sorts) are skipped.
            if let Some((value, next)) = parse_value(&toks, j) {
                out.insert(name.clone(), value);
                i = next;
                continue;
            }
        }
        i += 1;
    }
    Some(out)
}

fn parse_value(toks: &[Tok], at: usize) -> Option<(ModelValue, usize)> {
    match toks.get(at)? {
        Tok::Str(s) => Some((ModelValue::Text(s.clone()), at + 1)),
        Tok::Atom(a) if a == "true" => Some((ModelValue::Bool(true), at + 1)),
        Tok::Atom(a) if a == "false" => Some((ModelValue::Bool(false), at + 1)),
        Tok::Atom(a) => {
            let v = if let Some(hex) = a.strip_prefix("#x") {
                ModelValue::Bits(u128::from_str_radix(hex, 16).ok()?)
            } else if let Some(bin) = a.strip_prefix("#b") {
                ModelValue::Bits(u128::from_str_radix(bin, 2).ok()?)
            } else if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) {
                ModelValue::Int {
                    negative: false,
                    digits: a.clone(),
                }
            } else {
                return None;
            };
            Some((v, at + 1))
        }
        Tok::Open => match (toks.get(at + 1)?, toks.get(at + 2)?, toks.get(at + 3)?) {
            // `(- 5)`
            (Tok::Atom(minus), Tok::Atom(d), Tok::Close) if minus == "-" => {
                if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some((
                    ModelValue::Int {
                        negative: true,
                        digits: d.clone(),
                    },
                    at + 4,
                ))
            }
            // `(_ bv5 128)`
            (Tok::Atom(us), Tok::Atom(bv), Tok::Atom(_)) if us == "_" => {
                let n = bv.strip_prefix("bv")?.parse::<u128>().ok()?;
                if toks.get(at + 4)? != &Tok::Close {
                    return None;
                }
                Some((ModelValue::Bits(n), at + 5))
            }
            _ => None,
        },
        Tok::Close => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let s = "a\"b\\c\u{212a}é\u{1}";
        let lit = smt_str(s).unwrap_or_default();
        assert_eq!(lit, "\"a\"\"b\\u{5c}c\\u{212a}\\u{e9}\\u{1}\"");
        let inner = lit
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or_default()
            .replace("\"\"", "\"");
        assert_eq!(unescape(&inner), s);
        assert!(smt_str("\u{30000}").is_err());
    }

    #[test]
    fn action_classes() {
        let (rep, class) = action_class('K').unwrap_or(('?', Vec::new()));
        assert_eq!(rep, 'k');
        assert_eq!(class, vec!['K', 'k', '\u{212a}']);
        // `İ` lowercases to two characters: a class of its own.
        assert_eq!(
            action_class('\u{130}').unwrap_or(('?', Vec::new())),
            ('\u{130}', vec!['\u{130}'])
        );
        assert!(action_class('\u{30000}').is_err());
    }

    #[test]
    fn resource_policy_model() {
        let model = r#"(
  (define-fun caller_kind () Int 1)
  (define-fun principal () String "s3.amazonaws.com")
  (define-fun action () String "s3:getobject")
  (define-fun resource () String "arn:aws:s3:::b/*")
  (define-fun |p:k| () Bool true)
  (define-fun |m:k| () Bool true)
  (define-fun |len:k| () Int 2)
  (define-fun |e0.s:k| () String "a")
  (define-fun |e1.s:k| () String "b")
)"#;
        let r = request_from_model(model);
        assert_eq!(
            r.as_ref().map(|r| r.principal.clone()),
            Some(RequestPrincipal::Service("s3.amazonaws.com".to_owned()))
        );
        assert_eq!(
            r.as_ref().map(|r| r.resource.clone()),
            Some("arn:aws:s3:::b/\u{e000}".to_owned())
        );
        assert_eq!(
            r.as_ref().and_then(|r| r.context.get("k").cloned()),
            Some(ContextValue::Multi(vec!["a".to_owned(), "b".to_owned()]))
        );
    }

    #[test]
    fn decimals_scale() {
        assert_eq!(scaled_to_decimal(true, "1205", 3), "-1.205");
        assert_eq!(scaled_to_decimal(false, "5", 3), "0.005");
        assert_eq!(scaled_to_decimal(true, "0", 1), "0.0");
        assert_eq!(
            scaled_integer(true, "12", "5", 3).unwrap_or_default(),
            "(- 12500)"
        );
    }
}
