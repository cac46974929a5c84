//! Encoding of policy documents into Boolean formulas over *tests* on the request's variables.
//!
//! A request has one variable for its action, one for its resource, two for its principal (the
//! kind of caller and its ARN or name; resource policies only) and one per condition key the
//! policies mention. A [`Test`] asks whether one variable's value lies in a set ([`SetExpr`]),
//! with fixed answers for the *absent* value of a key, for a multivalued (set) value and for a
//! value that does not parse as the key's type. Every statement becomes a conjunction of tests,
//! every policy `OR(Allow) ∧ ¬OR(Deny)`, mirroring the concrete evaluator of `keyhole-policy`
//! (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition
//! operators").
//!
//! `ForAnyValue:` and `ForAllValues:` are decided exactly (`keyhole_policy::condition::
//! evaluate_entry`). A qualified test carries its qualifier ([`Test::set`]) and the region of
//! *elements* that satisfy the base operator — the same region as the unqualified operator on a
//! single value, negated forms (NOR, failing on values of the wrong type) included. On a single
//! value it is that region (a single value is a one-element set); on an absent key it is true
//! for `…IfExists` and `ForAllValues:` and false for `ForAnyValue:` (negation plays no part);
//! on a multivalued value it is "some element lies in the region" (`ForAnyValue:`, false on the
//! empty set, `IfExists` notwithstanding) or "every element does" (`ForAllValues:`, true on the
//! empty set). The decision diagram reads a multivalued value through one membership flag per
//! element atom (`crate::query`), so a witness set needs at most one element per atom.
//!
//! Constructs that are not decided exactly yet — policy variables that link two keys, a key
//! read as two different types, and a few corner cases named in the errors — stop the encoding
//! with a reason; the query answers `Unknown(reason)`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use keyhole_policy::condition::{BaseOperator, ConditionOperator, OperatorFamily, SetQualifier};
use keyhole_policy::pattern::{Glob, Token};
use keyhole_policy::request::{RequestPrincipal, lowercase_key};
use keyhole_policy::value::{IpRange, parse_bool, parse_date};
use keyhole_policy::variables::{Substituted, VariableValue, needs_substitution, substitute};
use keyhole_policy::{Effect, Policy, Principal, PrincipalElement, PrincipalType, Statement};

use crate::domain::date::{DateSet, Timestamp};
use crate::domain::finite::FiniteSet;
use crate::domain::glob::{Case, GlobToken};
use crate::domain::ip::{Ip, IpSet};
use crate::domain::number::{Decimal, NumberSet};
use crate::query::PolicyKind;

/// A variable of the request.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Var {
    /// The action, `service:Action`.
    Action,
    /// The resource ARN.
    Resource,
    /// The kind of caller (resource policies only).
    PrincipalKind,
    /// The caller's ARN, or its name for service, federated and canonical-user callers.
    Principal,
    /// A condition key, by its lowercase name.
    Key(String),
}

/// How a condition key's values are read, fixed by the operator families used on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum KeyType {
    /// `String…`, `BinaryEquals`, `Arn…`: the value as text.
    String,
    /// `Numeric…`.
    Numeric,
    /// `Date…`.
    Date,
    /// `Bool`.
    Bool,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// Only `Null`: whether the key is present.
    Presence,
}

impl KeyType {
    fn name(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::Numeric => "numeric",
            KeyType::Date => "date",
            KeyType::Bool => "Bool",
            KeyType::Ip => "IP address",
            KeyType::Presence => "Null",
        }
    }
}

/// The kinds of caller, as a finite domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    /// An IAM principal (account root, user, role, session).
    Aws,
    /// An AWS service principal.
    Service,
    /// A web-identity or SAML federated caller.
    Federated,
    /// An S3 canonical user.
    CanonicalUser,
    /// An unsigned request.
    Anonymous,
}

impl crate::domain::finite::Finite for PrincipalKind {
    const ALL: &'static [Self] = &[
        PrincipalKind::Aws,
        PrincipalKind::Service,
        PrincipalKind::Federated,
        PrincipalKind::CanonicalUser,
        PrincipalKind::Anonymous,
    ];
}

/// A set of values of one variable, described before the variable's alphabet is known.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SetExpr {
    /// Every value.
    All,
    /// No value.
    Empty,
    /// The strings a token sequence matches.
    Tokens { tokens: Vec<GlobToken>, case: Case },
    /// The strings an `ArnLike` token sequence matches.
    ArnTokens(Vec<GlobToken>),
    /// Strings equal to an ASCII literal ignoring ASCII case only (`eq_ignore_ascii_case`).
    AsciiFold(String),
    /// Numbers.
    Numbers(NumberSet),
    /// Instants.
    Dates(DateSet),
    /// IP addresses.
    Ips(IpSet),
    /// Booleans.
    Bools(FiniteSet<bool>),
    /// Principal kinds.
    Kinds(FiniteSet<PrincipalKind>),
    /// The union.
    Union(Vec<SetExpr>),
    /// The first set minus the second.
    Diff(Box<SetExpr>, Box<SetExpr>),
}

impl SetExpr {
    fn union(mut parts: Vec<SetExpr>) -> SetExpr {
        if parts.len() == 1
            && let Some(only) = parts.pop()
        {
            return only;
        }
        SetExpr::Union(parts)
    }

    fn diff(a: SetExpr, b: SetExpr) -> SetExpr {
        SetExpr::Diff(Box::new(a), Box::new(b))
    }

    fn literal(text: &str) -> SetExpr {
        SetExpr::Tokens {
            tokens: GlobToken::literal(text),
            case: Case::Sensitive,
        }
    }

    /// Strings with at least six colon-separated fields (`keyhole_policy::arn::split_arn`).
    pub(crate) fn arn_shaped() -> SetExpr {
        SetExpr::Tokens {
            tokens: GlobToken::parse("*:*:*:*:*:*"),
            case: Case::Sensitive,
        }
    }

    /// Strings that parse as an ARN (`keyhole_policy::arn::Arn::parse`).
    fn arn_parseable() -> SetExpr {
        SetExpr::Tokens {
            tokens: GlobToken::parse("arn:*:*:*:*:*"),
            case: Case::Sensitive,
        }
    }
}

/// The caller kinds that are not IAM identities.
const NOT_AWS: [PrincipalKind; 4] = [
    PrincipalKind::Service,
    PrincipalKind::Federated,
    PrincipalKind::CanonicalUser,
    PrincipalKind::Anonymous,
];

/// The principal values of well-formed IAM callers: in linked mode the identity ARNs
/// `aws:PrincipalArn` reports, else every parseable ARN. Every resource policy's encoding
/// tests one: each is built once and cloned.
fn well_formed_principal(linked: bool) -> SetExpr {
    static LINKED: OnceLock<SetExpr> = OnceLock::new();
    static PARSEABLE: OnceLock<SetExpr> = OnceLock::new();
    let slot = if linked { &LINKED } else { &PARSEABLE };
    slot.get_or_init(|| build_well_formed_principal(linked))
        .clone()
}

fn build_well_formed_principal(linked: bool) -> SetExpr {
    if linked {
        SetExpr::Union(
            [
                "arn:*:iam::?*:root",
                "arn:*:iam::?*:user/?*",
                "arn:*:iam::?*:role/?*",
                "arn:*:sts::?*:federated-user/?*",
            ]
            .into_iter()
            .map(|g| SetExpr::ArnTokens(GlobToken::parse(g)))
            .collect(),
        )
    } else {
        SetExpr::arn_parseable()
    }
}

/// The sets the encoder tests whatever the policy says (the well-formedness of every caller
/// of a resource policy), with the variable each is a set of: a split by one of them alone
/// depends on no input.
pub(crate) fn input_free_sets() -> [(Var, SetExpr); 3] {
    [
        (Var::Principal, well_formed_principal(true)),
        (Var::Principal, well_formed_principal(false)),
        (
            Var::PrincipalKind,
            SetExpr::Kinds(NOT_AWS.into_iter().collect()),
        ),
    ]
}

/// A test on one variable: true when the value lies in `region`; fixed answers for the special
/// values of condition keys.
#[derive(Clone, Debug)]
pub(crate) struct Test {
    pub(crate) var: Var,
    /// The answer when the key is absent.
    pub(crate) absent: bool,
    /// The answer when the key has a multivalued (set) value (unqualified tests; a qualified
    /// test reads the set's elements instead and leaves this `false`).
    pub(crate) multi: bool,
    /// The answer when the key's single value does not parse as the key's type (and, for a
    /// qualified test, whether such an element satisfies the base operator).
    pub(crate) malformed: bool,
    /// The single values for which the test holds (for a qualified test, also the elements
    /// that satisfy the base operator).
    pub(crate) region: SetExpr,
    /// `ForAnyValue:` or `ForAllValues:`: on a multivalued value the test holds when some
    /// (every) element lies in `region`.
    pub(crate) set: Option<SetQualifier>,
}

impl Test {
    pub(crate) fn plain(var: Var, region: SetExpr) -> Test {
        Test {
            var,
            absent: false,
            multi: false,
            malformed: false,
            region,
            set: None,
        }
    }
}

/// The answer of `op` on a missing key (`keyhole_policy::condition` `missing_key`): `IfExists`
/// makes it true; then `ForAllValues:` is true and `ForAnyValue:` false whatever the base; an
/// unqualified operator is true exactly when negated.
fn missing_key(op: ConditionOperator) -> bool {
    if op.if_exists {
        return true;
    }
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => true,
        Some(SetQualifier::ForAnyValue) => false,
        None => op.base.is_negated(),
    }
}

/// A Boolean formula over test indices.
#[derive(Clone, Debug)]
pub(crate) enum Formula {
    True,
    False,
    Test(usize),
    Not(Box<Formula>),
    And(Vec<Formula>),
    Or(Vec<Formula>),
    /// A formula that many questions share (the findings search asks dozens about one policy):
    /// its decision diagram is built once per compiled space (`crate::query::Compiled`).
    Shared(std::sync::Arc<Formula>),
}

impl Formula {
    fn not(f: Formula) -> Formula {
        match f {
            Formula::True => Formula::False,
            Formula::False => Formula::True,
            Formula::Not(inner) => *inner,
            other => Formula::Not(Box::new(other)),
        }
    }
}

/// Why a policy could not be encoded exactly.
pub(crate) type Reason = String;

/// Collects tests and key types across the policies of one query.
#[derive(Debug)]
pub(crate) struct Encoder {
    pub(crate) kind: PolicyKind,
    pub(crate) tests: Vec<Test>,
    /// Each condition key's type and its name as first written.
    pub(crate) keys: BTreeMap<String, (KeyType, String)>,
    /// Whether `aws:PrincipalArn`, `aws:PrincipalAccount` and `kms:CallerAccount` are read off
    /// the caller (resource policies only; see [`Encoder::linked`]).
    pub(crate) linked: bool,
    /// Linked mode: session names `Principal` elements give for a role, by `(account, role
    /// name)`; a witness session of that role uses the first (a caller picks its session name).
    pub(crate) sessions: BTreeMap<(String, String), Vec<String>>,
    /// Linked mode: whether a condition reads `kms:CallerAccount`, which a witness then carries
    /// (the caller's account, as for `aws:PrincipalAccount`).
    pub(crate) reads_kms_caller_account: bool,
    /// Every request names this resource (a concrete ARN): a `Resource`/`NotResource` element
    /// without policy variables is decided on it, true or false, instead of becoming a test,
    /// so the resource is not split (see [`crate::Space::fix_resource`]).
    pub(crate) fixed_resource: Option<String>,
}

/// The condition keys AWS derives from an IAM caller, in linked mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkedKey {
    /// `aws:PrincipalArn`: the caller's ARN, a role's ARN for its sessions.
    Arn,
    /// `aws:PrincipalAccount`, and KMS's `kms:CallerAccount`: the account field of that ARN.
    Account,
}

/// KMS's name for the caller's account: AWS sets it to the account of the IAM caller (a role
/// session's role), as it sets `aws:PrincipalAccount`, so the caller cannot choose it.
pub(crate) const KMS_CALLER_ACCOUNT: &str = "kms:CallerAccount";

impl LinkedKey {
    fn of(key: &str) -> Option<LinkedKey> {
        if key.eq_ignore_ascii_case("aws:PrincipalArn") {
            Some(LinkedKey::Arn)
        } else if key.eq_ignore_ascii_case("aws:PrincipalAccount")
            || key.eq_ignore_ascii_case(KMS_CALLER_ACCOUNT)
        {
            Some(LinkedKey::Account)
        } else {
            None
        }
    }
}

/// Whether a set qualifier is present, in words, for reasons.
fn op_name(op: ConditionOperator) -> String {
    op.to_string()
}

impl Encoder {
    pub(crate) fn new(kind: PolicyKind) -> Self {
        Encoder {
            kind,
            tests: Vec::new(),
            keys: BTreeMap::new(),
            linked: false,
            sessions: BTreeMap::new(),
            reads_kms_caller_account: false,
            fixed_resource: None,
        }
    }

    /// An encoder in *linked* mode (resource policies): the principal variable of an IAM caller
    /// holds the value AWS puts in `aws:PrincipalArn` — an account root, user, role or
    /// federated-user ARN, a role standing for all of its sessions — and conditions on
    /// `aws:PrincipalArn` and `aws:PrincipalAccount` are tests on that variable rather than
    /// free keys, so a request whose condition keys contradict its caller is never a witness.
    /// Both keys are absent for service, federated, canonical-user and anonymous callers.
    /// Account fields are not restricted to twelve digits: Access Analyzer itself reports
    /// findings for patterns such as `arn:aws:iam::123:user/*`.
    pub(crate) fn linked(kind: PolicyKind) -> Self {
        Encoder {
            linked: kind == PolicyKind::Resource,
            ..Encoder::new(kind)
        }
    }

    pub(crate) fn push_test(&mut self, test: Test) -> Formula {
        self.tests.push(test);
        Formula::Test(self.tests.len() - 1)
    }

    /// The formula "the request is allowed by `policy`".
    pub(crate) fn policy(&mut self, policy: &Policy) -> Result<Formula, Reason> {
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        for statement in policy.statements.iter() {
            let Some(effect) = statement.value.effect.as_ref().map(|e| e.value) else {
                continue;
            };
            let f = self.statement(policy, &statement.value)?;
            match effect {
                Effect::Allow => allows.push(f),
                Effect::Deny => denies.push(f),
            }
        }
        // Every caller must be a well-formed one (an IAM caller has a parseable ARN).
        let mut parts = vec![Formula::Or(allows), Formula::not(Formula::Or(denies))];
        if self.kind == PolicyKind::Resource {
            parts.push(self.principal_well_formed());
        }
        Ok(Formula::And(parts))
    }

    /// An IAM caller's ARN parses (`arn:` and six fields); in linked mode it is an identity
    /// ARN as `aws:PrincipalArn` reports it.
    pub(crate) fn principal_well_formed(&mut self) -> Formula {
        let not_aws = self.kinds(&NOT_AWS);
        let arn = self.push_test(Test::plain(
            Var::Principal,
            well_formed_principal(self.linked),
        ));
        Formula::Or(vec![not_aws, arn])
    }

    pub(crate) fn kinds(&mut self, kinds: &[PrincipalKind]) -> Formula {
        let set = kinds.iter().copied().collect();
        self.push_test(Test::plain(Var::PrincipalKind, SetExpr::Kinds(set)))
    }

    pub(crate) fn statement(&mut self, policy: &Policy, st: &Statement) -> Result<Formula, Reason> {
        let mut parts = Vec::new();
        if self.kind == PolicyKind::Resource {
            match &st.principal {
                // A resource-policy statement without a principal applies to no one.
                None => return Ok(Formula::False),
                Some(pe) => parts.push(self.principal_element(&pe.value)?),
            }
        }
        let Some(action) = &st.action else {
            return Ok(Formula::False);
        };
        let action_set = SetExpr::union(
            action
                .value
                .values
                .iter()
                .map(|v| SetExpr::Tokens {
                    tokens: GlobToken::parse(&v.value),
                    case: Case::Insensitive,
                })
                .collect(),
        );
        let action_test = self.push_test(Test::plain(Var::Action, action_set));
        parts.push(if action.value.negated {
            Formula::not(action_test)
        } else {
            action_test
        });
        if let Some(resource) = &st.resource {
            let vars = policy.supports_variables();
            let mut sets = Vec::new();
            for v in resource.value.values.iter() {
                sets.push(self.resource_value(&v.value, vars)?);
            }
            let fixed = self.fixed_resource.as_deref().filter(|_| {
                !resource
                    .value
                    .values
                    .iter()
                    .any(|v| needs_substitution(&v.value, vars))
            });
            let test = match fixed {
                Some(arn) => {
                    if sets.iter().any(|set| resource_set_holds(set, arn)) {
                        Formula::True
                    } else {
                        Formula::False
                    }
                }
                None => self.push_test(Test::plain(Var::Resource, SetExpr::union(sets))),
            };
            parts.push(if resource.value.negated {
                Formula::not(test)
            } else {
                test
            });
        }
        if let Some(clauses) = &st.condition {
            for clause in &clauses.value {
                for entry in &clause.entries {
                    let values: Vec<&str> =
                        entry.values.iter().map(|v| v.value.text.as_str()).collect();
                    let f = self.entry(
                        clause.operator.value,
                        &entry.key.value,
                        &values,
                        policy.supports_variables(),
                    )?;
                    parts.push(f);
                }
            }
        }
        Ok(Formula::And(parts))
    }

    /// The resources one `Resource` value matches (see also [`resource_set_holds`]).
    fn resource_value(&mut self, value: &str, vars: bool) -> Result<SetExpr, Reason> {
        if value == "*" {
            return Ok(SetExpr::All);
        }
        // Most values name no policy variable: tokenized directly.
        let mut tokens = if needs_substitution(value, vars) {
            tokens_of(&substituted(value, vars, "Resource")?)
        } else {
            GlobToken::parse(value)
        };
        let colons = |t: &[GlobToken]| t.iter().filter(|t| **t == GlobToken::Char(':')).count();
        if colons(&tokens) < 5 {
            // Short ARNs: identity-side policies pad them with `:*` fields; resource policies
            // only when the pattern has a wildcard (`keyhole_policy` `pad_short_arn`).
            let pad = match self.kind {
                PolicyKind::Identity => true,
                PolicyKind::Resource => tokens.iter().any(|t| !matches!(t, GlobToken::Char(_))),
            };
            if !pad {
                return Ok(SetExpr::Empty);
            }
            while colons(&tokens) < 5 {
                tokens.push(GlobToken::Char(':'));
                tokens.push(GlobToken::AnyString);
            }
        }
        Ok(SetExpr::ArnTokens(tokens))
    }

    fn principal_element(&mut self, pe: &PrincipalElement) -> Result<Formula, Reason> {
        let named = self.principal_names(&pe.principal)?;
        // `NotPrincipal` applies to exactly the callers the list does not name in any way (the
        // evaluator's `principal_match` is `None`), anonymous and service callers included.
        Ok(if pe.negated {
            Formula::not(named)
        } else {
            named
        })
    }

    /// The callers a `Principal` list names in any way.
    pub(crate) fn principal_names(&mut self, principal: &Principal) -> Result<Formula, Reason> {
        match principal {
            Principal::Wildcard => Ok(Formula::True),
            Principal::AwsShorthand(v) if v.value == "*" => Ok(Formula::True),
            Principal::AwsShorthand(v) => self.aws_principal(&v.value),
            Principal::Typed(entries) => {
                let mut any = Vec::new();
                for (ty, values) in entries {
                    for v in values.iter() {
                        let v = v.value.as_str();
                        let kind = match ty.value {
                            PrincipalType::Aws if v == "*" => return Ok(Formula::True),
                            PrincipalType::Aws => {
                                any.push(self.aws_principal(v)?);
                                continue;
                            }
                            PrincipalType::Service => PrincipalKind::Service,
                            PrincipalType::Federated => PrincipalKind::Federated,
                            PrincipalType::CanonicalUser => PrincipalKind::CanonicalUser,
                        };
                        let names = if v == "*" {
                            SetExpr::All
                        } else if v.is_ascii() {
                            SetExpr::AsciiFold(v.to_owned())
                        } else {
                            return Err(format!(
                                "the non-ASCII principal name `{v}` is not decided exactly yet"
                            ));
                        };
                        let k = self.kinds(&[kind]);
                        let n = self.push_test(Test::plain(Var::Principal, names));
                        any.push(Formula::And(vec![k, n]));
                    }
                }
                Ok(Formula::Or(any))
            }
        }
    }

    /// The IAM callers an `AWS` principal value names (`keyhole_policy` `aws_principal_match`):
    /// the caller's own ARN; for an account id or an account's `root` ARN every caller of the
    /// account (same partition for the ARN form); for a role its sessions; for an IAM user its
    /// federated-user sessions.
    fn aws_principal(&mut self, value: &str) -> Result<Formula, Reason> {
        let lit = GlobToken::literal;
        let any = || vec![GlobToken::AnyString];
        // `arn:<partition>:<service>:*:<account>:<rest>`, field by field.
        let arn = |partition: Vec<GlobToken>,
                   service: Vec<GlobToken>,
                   account: &str,
                   rest: Vec<GlobToken>| {
            let mut t = lit("arn:");
            t.extend(partition);
            t.push(GlobToken::Char(':'));
            t.extend(service);
            t.push(GlobToken::Char(':'));
            t.push(GlobToken::AnyString);
            t.push(GlobToken::Char(':'));
            t.extend(lit(account));
            t.push(GlobToken::Char(':'));
            t.extend(rest);
            SetExpr::ArnTokens(t)
        };
        let mut names = vec![SetExpr::literal(value)];
        if keyhole_policy::arn::is_account_id(value) {
            names.push(arn(any(), any(), value, any()));
        } else if let Some(named) = keyhole_policy::arn::Arn::parse(value) {
            let (p, a) = (named.partition.as_str(), named.account.as_str());
            let last = |r: &str| r.rsplit('/').next().unwrap_or(r).to_owned();
            if self.linked
                && named.service == "sts"
                && let Some(rest) = named.resource.strip_prefix("assumed-role/")
                && let Some((role, session)) = rest.split_once('/')
            {
                // A caller that can assume a role picks its session name, so "some session `S`
                // of role `R`" is "role `R`" (any path), with `S` as the witness's session name.
                self.sessions
                    .entry((a.to_owned(), role.to_owned()))
                    .or_default()
                    .push(session.to_owned());
                let mut with_path = lit(&format!("arn:{p}:iam::{a}:role/"));
                with_path.push(GlobToken::AnyString);
                with_path.extend(lit(&format!("/{role}")));
                let names = SetExpr::Union(vec![
                    SetExpr::ArnTokens(lit(&format!("arn:{p}:iam::{a}:role/{role}"))),
                    SetExpr::ArnTokens(with_path),
                ]);
                let k = self.kinds(&[PrincipalKind::Aws]);
                let n = self.push_test(Test::plain(Var::Principal, names));
                return Ok(Formula::And(vec![k, n]));
            }
            if named.service == "iam" && named.resource == "root" {
                names.push(arn(lit(p), any(), a, any()));
            } else if named.service == "iam" {
                if let Some(role) = named.resource.strip_prefix("role/") {
                    let role = last(role);
                    names.push(arn(
                        lit(p),
                        lit("sts"),
                        a,
                        lit(&format!("assumed-role/{role}")),
                    ));
                    let mut rest = lit(&format!("assumed-role/{role}/"));
                    rest.extend(any());
                    names.push(arn(lit(p), lit("sts"), a, rest));
                } else if let Some(user) = named.resource.strip_prefix("user/") {
                    let user = last(user);
                    names.push(arn(
                        lit(p),
                        lit("sts"),
                        a,
                        lit(&format!("federated-user/{user}")),
                    ));
                }
            }
        }
        let k = self.kinds(&[PrincipalKind::Aws]);
        let n = self.push_test(Test::plain(Var::Principal, SetExpr::union(names)));
        Ok(Formula::And(vec![k, n]))
    }

    /// Fixes (or checks) the type a condition key is read as.
    fn key_type(&mut self, key: &str, ty: KeyType) -> Result<(), Reason> {
        let lower = lowercase_key(key);
        match self.keys.get_mut(&lower) {
            None => {
                self.keys.insert(lower, (ty, key.to_owned()));
                Ok(())
            }
            Some((existing, _)) if *existing == ty || ty == KeyType::Presence => Ok(()),
            Some((existing, _)) if *existing == KeyType::Presence => {
                *existing = ty;
                Ok(())
            }
            Some((existing, _)) => Err(format!(
                "condition key `{key}` is read both as {} and as {} values",
                existing.name(),
                ty.name()
            )),
        }
    }

    /// One condition entry (`keyhole_policy::condition::evaluate_entry`).
    pub(crate) fn entry(
        &mut self,
        op: ConditionOperator,
        key: &str,
        values: &[&str],
        vars: bool,
    ) -> Result<Formula, Reason> {
        if self.linked
            && let Some(linked) = LinkedKey::of(key)
        {
            self.reads_kms_caller_account |= key.eq_ignore_ascii_case(KMS_CALLER_ACCOUNT);
            return self.linked_entry(linked, op, key, values, vars);
        }
        let var = Var::Key(lowercase_key(key));
        if op.base == BaseOperator::Null {
            self.key_type(key, KeyType::Presence)?;
            let when_present = values.iter().any(|v| parse_bool(v) == Some(false));
            let when_absent = values.iter().any(|v| parse_bool(v) == Some(true));
            // `Null` tests presence whatever the qualifier.
            return Ok(self.push_test(Test {
                var,
                absent: when_absent,
                multi: when_present,
                malformed: when_present,
                region: if when_present {
                    SetExpr::All
                } else {
                    SetExpr::Empty
                },
                set: None,
            }));
        }
        let family = op.base.family();
        let ty = match family {
            OperatorFamily::String | OperatorFamily::Binary | OperatorFamily::Arn => {
                KeyType::String
            }
            OperatorFamily::Numeric => KeyType::Numeric,
            OperatorFamily::Date => KeyType::Date,
            OperatorFamily::Bool => KeyType::Bool,
            OperatorFamily::Ip => KeyType::Ip,
            OperatorFamily::Null => KeyType::Presence,
        };
        self.key_type(key, ty)?;
        let missing = missing_key(op);
        let region = value_region(op, family, key, values, vars)?;
        // A plain operator treats a multivalued value as a missing key; a qualified one reads
        // its elements (see the module docs). A malformed value or element matches nothing,
        // negated operators included.
        Ok(self.push_test(Test {
            var,
            absent: missing,
            multi: op.qualifier.is_none() && missing,
            malformed: false,
            region,
            set: op.qualifier,
        }))
    }

    /// A condition entry on `aws:PrincipalArn` or `aws:PrincipalAccount` in linked mode: the
    /// key is present exactly for IAM callers, single-valued, and equal to the caller's ARN (or
    /// its account field).
    fn linked_entry(
        &mut self,
        linked: LinkedKey,
        op: ConditionOperator,
        key: &str,
        values: &[&str],
        vars: bool,
    ) -> Result<Formula, Reason> {
        let not_aws = self.kinds(&[
            PrincipalKind::Service,
            PrincipalKind::Federated,
            PrincipalKind::CanonicalUser,
            PrincipalKind::Anonymous,
        ]);
        let aws = self.kinds(&[PrincipalKind::Aws]);
        let constant = |b: bool| if b { Formula::True } else { Formula::False };
        if op.base == BaseOperator::Null {
            let when_present = values.iter().any(|v| parse_bool(v) == Some(false));
            let when_absent = values.iter().any(|v| parse_bool(v) == Some(true));
            return Ok(Formula::Or(vec![
                Formula::And(vec![aws, constant(when_present)]),
                Formula::And(vec![not_aws, constant(when_absent)]),
            ]));
        }
        // The key is single-valued: a qualified operator reads the value as a one-element set,
        // which is the unqualified test on the value; only the missing-key answer differs.
        let missing = missing_key(op);
        let family = op.base.family();
        if !matches!(
            family,
            OperatorFamily::String | OperatorFamily::Arn | OperatorFamily::Binary
        ) {
            // An ARN never reads as a number, date, Bool or IP address: the operator fails on
            // an IAM caller's value (negated forms too), and the missing-key rule applies to
            // other callers. An account id does read as a number.
            if linked == LinkedKey::Arn {
                return Ok(Formula::And(vec![not_aws, constant(missing)]));
            }
            return Err(format!(
                "condition key `{key}` read as {} values is not decided exactly yet",
                op_name(op)
            ));
        }
        let region = value_region(op, family, key, values, vars)?;
        let region = match linked {
            LinkedKey::Arn => region,
            LinkedKey::Account => account_field(&region).ok_or_else(|| {
                format!("this condition on `{key}` is not decided exactly yet ({op})")
            })?,
        };
        let test = self.push_test(Test::plain(Var::Principal, region));
        Ok(Formula::Or(vec![
            Formula::And(vec![aws, test]),
            Formula::And(vec![not_aws, constant(missing)]),
        ]))
    }

    /// Restricts a variable to one value.
    pub(crate) fn exactly(&mut self, var: Var, value: &str) -> Formula {
        self.push_test(Test::plain(var, SetExpr::literal(value)))
    }

    /// Restricts the caller to one principal.
    pub(crate) fn principal_is(&mut self, principal: &RequestPrincipal) -> Result<Formula, Reason> {
        let (kind, name) = match principal {
            RequestPrincipal::Aws { arn } => (PrincipalKind::Aws, Some(arn.to_string())),
            RequestPrincipal::Service(s) => (PrincipalKind::Service, Some(s.clone())),
            RequestPrincipal::Federated(s) => (PrincipalKind::Federated, Some(s.clone())),
            RequestPrincipal::CanonicalUser(s) => (PrincipalKind::CanonicalUser, Some(s.clone())),
            RequestPrincipal::Anonymous => (PrincipalKind::Anonymous, None),
        };
        if self.linked && kind == PrincipalKind::Aws {
            return Err(
                "restricting a linked query to one IAM caller is not supported; constrain \
                 aws:PrincipalArn instead"
                    .to_owned(),
            );
        }
        let k = self.kinds(&[kind]);
        Ok(match name {
            Some(name) => {
                let n = self.exactly(Var::Principal, &name);
                Formula::And(vec![k, n])
            }
            None => k,
        })
    }
}

/// The single values for which `op` holds against the policy `values` (one element's region
/// under a set qualifier). A negated operator with a value of the wrong type holds for nothing
/// (`keyhole_policy::condition::evaluate_entry`); a negated ARN operator only for ARN-shaped
/// values.
fn value_region(
    op: ConditionOperator,
    family: OperatorFamily,
    key: &str,
    values: &[&str],
    vars: bool,
) -> Result<SetExpr, Reason> {
    let mut sets = Vec::new();
    let mut resolved = true;
    for value in values {
        // A value without policy variables is read as written; one with them, once they are
        // substituted.
        let set = if needs_substitution(value, vars) {
            policy_value_set(op.base, &substituted(value, vars, key)?)?
        } else {
            policy_value_set(op.base, &Plain(value))?
        };
        match set {
            Some(set) => sets.push(set),
            None => resolved = false,
        }
    }
    let matched = SetExpr::Union(sets);
    Ok(if !op.base.is_negated() {
        matched
    } else if !resolved {
        SetExpr::Empty
    } else if family == OperatorFamily::Arn {
        SetExpr::diff(SetExpr::arn_shaped(), matched)
    } else {
        SetExpr::diff(SetExpr::All, matched)
    })
}

/// The caller ARNs whose account field lies in `accounts` (a set of account strings).
/// `None` for sets that are not built from case-sensitive patterns.
fn account_field(accounts: &SetExpr) -> Option<SetExpr> {
    let wrap = |inner: &[GlobToken]| {
        let mut t = GlobToken::parse("arn:*:*:*:");
        // An account never contains `:`; a pattern that does names no account.
        if inner.contains(&GlobToken::Char(':')) {
            return SetExpr::Empty;
        }
        t.extend(inner.iter().cloned());
        t.extend(GlobToken::parse(":*"));
        SetExpr::ArnTokens(t)
    };
    Some(match accounts {
        SetExpr::All => SetExpr::arn_shaped(),
        SetExpr::Empty => SetExpr::Empty,
        SetExpr::Tokens {
            tokens,
            case: Case::Sensitive,
        } => wrap(tokens),
        // Case-insensitive account patterns: every spelling, when there are few letters (account
        // ids are digits, so this is almost always one spelling).
        SetExpr::Tokens {
            tokens,
            case: Case::Insensitive,
        } => SetExpr::Union(case_variants(tokens)?.iter().map(|t| wrap(t)).collect()),
        SetExpr::AsciiFold(text) => SetExpr::Union(
            case_variants(&GlobToken::literal(text))?
                .iter()
                .map(|t| wrap(t))
                .collect(),
        ),
        SetExpr::Union(parts) => SetExpr::Union(
            parts
                .iter()
                .map(account_field)
                .collect::<Option<Vec<_>>>()?,
        ),
        SetExpr::Diff(a, b) => SetExpr::diff(account_field(a)?, account_field(b)?),
        _ => return None,
    })
}

/// Every upper/lower-case spelling of a token sequence; `None` beyond six letters.
fn case_variants(tokens: &[GlobToken]) -> Option<Vec<Vec<GlobToken>>> {
    let letters = tokens
        .iter()
        .filter(|t| matches!(t, GlobToken::Char(c) if c.is_alphabetic()))
        .count();
    if letters > 6 {
        return None;
    }
    let mut out: Vec<Vec<GlobToken>> = vec![Vec::new()];
    for token in tokens {
        match token {
            GlobToken::Char(c) if c.is_alphabetic() => {
                let lower: Vec<char> = c.to_lowercase().collect();
                let upper: Vec<char> = c.to_uppercase().collect();
                let (&[l], &[u]) = (lower.as_slice(), upper.as_slice()) else {
                    return None;
                };
                let mut next = Vec::with_capacity(out.len() * 2);
                for prefix in &out {
                    for v in if l == u { vec![l] } else { vec![l, u] } {
                        let mut p = prefix.clone();
                        p.push(GlobToken::Char(v));
                        next.push(p);
                    }
                }
                out = next;
            }
            other => out.iter_mut().for_each(|p| p.push(*other)),
        }
    }
    Some(out)
}

/// A policy string with its variables substituted; policy variables that name a key are not
/// decided yet, the escapes `${*}`, `${?}`, `${$}` are literal characters.
fn substituted(text: &str, vars: bool, place: &str) -> Result<Glob, Reason> {
    match substitute(text, vars, |_| VariableValue::Unknown) {
        Substituted::Pattern(glob) => Ok(glob),
        Substituted::Unknown { key } | Substituted::NoValue { key } => Err(format!(
            "the policy variable `${{{key}}}` in `{place}` is not decided exactly yet"
        )),
    }
}

/// The glob tokens of a policy pattern.
fn tokens_of(glob: &Glob) -> Vec<GlobToken> {
    glob.tokens()
        .iter()
        .map(|t| match t {
            Token::Char(c) => GlobToken::Char(*c),
            Token::Star => GlobToken::AnyString,
            Token::AnyOne => GlobToken::AnyChar,
        })
        .collect()
}

/// A condition value as the operators read it: its text as written (`*` and `?` as
/// characters), its pattern tokens, and its text when it has no wildcard.
trait PolicyText {
    fn text(&self) -> Cow<'_, str>;
    fn tokens(&self) -> Vec<GlobToken>;
    fn literal(&self) -> Option<Cow<'_, str>>;
    /// Whether it has the six fields of an ARN (five `:`).
    fn has_arn_segments(&self) -> bool;
}

/// A value with its policy variables substituted.
impl PolicyText for Glob {
    fn text(&self) -> Cow<'_, str> {
        Cow::Owned(Glob::text(self))
    }
    fn tokens(&self) -> Vec<GlobToken> {
        tokens_of(self)
    }
    fn literal(&self) -> Option<Cow<'_, str>> {
        self.as_literal().map(Cow::Owned)
    }
    fn has_arn_segments(&self) -> bool {
        self.arn_segments().is_some()
    }
}

/// A value without policy variables: its text is the value, read without building a pattern.
struct Plain<'a>(&'a str);

impl PolicyText for Plain<'_> {
    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.0)
    }
    fn tokens(&self) -> Vec<GlobToken> {
        GlobToken::parse(self.0)
    }
    fn literal(&self) -> Option<Cow<'_, str>> {
        (!self.0.contains(['*', '?'])).then_some(Cow::Borrowed(self.0))
    }
    fn has_arn_segments(&self) -> bool {
        keyhole_policy::arn::split_arn(self.0).is_some()
    }
}

/// The request values that satisfy the *positive* form of `op` against one policy value
/// (`keyhole_policy::condition::value_matches`); `None` when the policy value is not of the
/// operator's type (which makes the negated operator fail).
fn policy_value_set(op: BaseOperator, policy: &impl PolicyText) -> Result<Option<SetExpr>, Reason> {
    use BaseOperator as B;
    // Only the typed operators read a wildcard-free value: built for them alone.
    let literal = || policy.literal();
    let positive = op.positive();
    Ok(match positive {
        // The `…Equals` operators compare the value as written: `*` and `?` are characters.
        B::StringEquals | B::BinaryEquals => Some(SetExpr::literal(&policy.text())),
        B::StringEqualsIgnoreCase => {
            let text = policy.text();
            if !text.is_ascii() {
                return Err(format!(
                    "case-insensitive comparison with the non-ASCII value `{text}` is not decided exactly yet"
                ));
            }
            Some(SetExpr::Tokens {
                tokens: GlobToken::literal(&text),
                case: Case::Insensitive,
            })
        }
        B::StringLike => Some(SetExpr::Tokens {
            tokens: policy.tokens(),
            case: Case::Sensitive,
        }),
        B::ArnEquals | B::ArnLike => policy
            .has_arn_segments()
            .then(|| SetExpr::ArnTokens(policy.tokens())),
        B::Bool => literal()
            .as_deref()
            .and_then(parse_bool)
            .map(|b| SetExpr::Bools(FiniteSet::singleton(b))),
        B::IpAddress => match literal().as_deref().and_then(IpRange::parse) {
            None => None,
            Some(range) => Some(SetExpr::Ips(ip_set(&range)?)),
        },
        B::NumericEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            let Some(text) = literal() else {
                return Ok(None);
            };
            if keyhole_policy::value::Decimal::parse(&text).is_none() {
                return Ok(None);
            }
            let number = Decimal::parse(text.trim())
                .map_err(|e| format!("numeric condition value `{text}`: {e}"))?;
            Some(SetExpr::Numbers(ordered(positive, number)))
        }
        B::DateEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => literal()
            .as_deref()
            .and_then(parse_date)
            .map(|nanos| SetExpr::Dates(ordered(positive, Timestamp::from_unix_nanos(nanos)))),
        _ => None,
    })
}

/// The values `x` with `x op bound`.
fn ordered<T: crate::domain::interval::Point>(
    op: BaseOperator,
    bound: T,
) -> crate::domain::interval::IntervalSet<T> {
    use crate::domain::interval::IntervalSet;
    use BaseOperator as B;
    match op {
        B::NumericLessThan | B::DateLessThan => IntervalSet::less_than(bound),
        B::NumericLessThanEquals | B::DateLessThanEquals => IntervalSet::at_most(bound),
        B::NumericGreaterThan | B::DateGreaterThan => IntervalSet::greater_than(bound),
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => IntervalSet::at_least(bound),
        _ => IntervalSet::point(bound),
    }
}

/// The addresses of a policy CIDR block, on the 128-bit line of [`Ip`].
fn ip_set(range: &IpRange) -> Result<IpSet, Reason> {
    use std::net::{IpAddr, Ipv4Addr};
    use std::ops::Bound;
    let v4 = |bits: u128| {
        let n = u32::try_from(bits).unwrap_or(u32::MAX);
        Ip::from(IpAddr::V4(Ipv4Addr::from(n)))
    };
    if range.v6 {
        let set = IpSet::range(
            Bound::Included(Ip::from_bits(range.first)),
            Bound::Included(Ip::from_bits(range.last)),
        );
        // IAM matches an IPv6 block against IPv6 callers only, and AWS reports an IPv4 caller
        // as IPv4, never in the IPv4-mapped form: a block such as `::/0` stands for the IPv6
        // addresses it holds outside `::ffff:0:0/96` (the request space has no mapped
        // address). A block inside the mapped range has no such address; what its author
        // meant (IPv4 callers?) is not decided here.
        let real = set.difference(&IpSet::ipv4());
        if real.is_empty() {
            return Err(format!(
                "an IPv6 block inside the IPv4-mapped range (`{}`) is not decided exactly yet",
                Ip::from_bits(range.first)
            ));
        }
        Ok(real)
    } else {
        Ok(IpSet::range(
            Bound::Included(v4(range.first)),
            Bound::Included(v4(range.last)),
        ))
    }
}

/// Whether the concrete ARN `arn` lies in a set [`Encoder::resource_value`] makes (everything,
/// nothing, or an `ArnLike` token sequence): the `ArnLike` rule of the concrete evaluator on
/// the pattern's text (the tokens of a value without policy variables spell it back exactly;
/// a padded short ARN gains its `:*` fields).
fn resource_set_holds(set: &SetExpr, arn: &str) -> bool {
    match set {
        SetExpr::All => true,
        SetExpr::ArnTokens(tokens) => {
            let text: String = tokens
                .iter()
                .map(|t| match t {
                    GlobToken::Char(c) => *c,
                    GlobToken::AnyChar => '?',
                    GlobToken::AnyString => '*',
                })
                .collect();
            Glob::parse(&text).matches_arn(arn)
        }
        _ => false,
    }
}
