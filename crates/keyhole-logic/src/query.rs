//! Satisfiability queries over one or two policies, with witness requests.
//!
//! [`satisfiable`] answers "does some request get allowed by this policy?" (optionally for a
//! given action, resource or principal) and [`allowed_but_not`] "does some request get allowed
//! by the first policy and not by the second?" — the building block of relative permissiveness.
//! Each answer is [`Answer::Yes`] with a concrete [`Witness`] request, [`Answer::No`], or
//! [`Answer::Unknown`] naming the construct or budget that prevented an exact answer.
//!
//! What "allowed by a policy" means follows the statement semantics of the concrete evaluator
//! (`keyhole_policy::evaluate`): some `Allow` statement applies and no `Deny` statement does.
//! - As an **identity policy** ([`PolicyKind::Identity`]) the caller is an IAM principal in the
//!   resource's account and `Principal` elements are not consulted.
//! - As a **resource policy** ([`PolicyKind::Resource`]) the caller ranges over every kind of
//!   principal (IAM, service, federated, canonical user, anonymous); a statement applies when its
//!   `Principal` names the caller in any way (its ARN, its account, its role for a session).
//!   This is the decision of a cross-account request whose caller's identity policies allow
//!   everything.
//!
//! Evaluator behaviours that are not properties of one policy are outside the query:
//! `sts:GetCallerIdentity` is always allowed, AWS-owned resources cannot be changed, and a KMS
//! key policy or role trust policy must allow explicitly in the same account.

use std::collections::BTreeMap;
use std::sync::Arc;

use keyhole_policy::Policy;
use keyhole_policy::arn::Arn;
use keyhole_policy::condition::SetQualifier;
use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};

use crate::atoms::{Atom, Region, Shape, VarAtoms, atomize, describe, epoch_text, preference_gate};
use crate::domain::glob::{DEFAULT_MAX_STATES, FastMap};
use crate::domain::multiglob::StringAtoms;
use crate::encode::{Encoder, Formula, KMS_CALLER_ACCOUNT, PrincipalKind, Var};
use crate::mdd::{FALSE, Mdd, NodeId, TRUE};

/// How the policy is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An identity-based policy: the caller is an IAM principal of the resource's account.
    #[default]
    Identity,
    /// A resource-based policy: the caller is any principal its `Principal` elements name.
    Resource,
}

/// Limits every query respects; hitting one answers `Unknown("budget: …")`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Atoms per variable.
    pub max_atoms: usize,
    /// Decision-diagram nodes.
    pub max_nodes: usize,
    /// States of one string automaton.
    pub max_automaton_states: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_atoms: 4_096,
            max_nodes: 1_000_000,
            max_automaton_states: DEFAULT_MAX_STATES,
        }
    }
}

/// Restricts a query to requests with exactly these values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restriction {
    /// The action, exactly as the request names it.
    pub action: Option<String>,
    /// The resource, exactly (a concrete ARN).
    pub resource: Option<String>,
    /// The caller.
    pub principal: Option<RequestPrincipal>,
}

/// What a query asks about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// How the policies are used.
    pub kind: PolicyKind,
    /// Requests considered.
    pub restriction: Restriction,
    /// Budgets.
    pub limits: Limits,
}

/// The answer to a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Some request satisfies the query; here is one.
    Yes(Witness),
    /// No request does.
    No,
    /// The engine cannot decide exactly; the reason names the construct or the budget.
    Unknown(String),
}

/// A concrete request that realises a `Yes` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The caller.
    pub principal: RequestPrincipal,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// The account that owns the resource: the caller's own for identity policies, another one
    /// for resource policies.
    pub resource_account: String,
    /// The condition keys present in the request (absent keys are not listed), by their name as
    /// first written in the policy.
    pub context: BTreeMap<String, ContextValue>,
}

impl Witness {
    /// The request to hand to `keyhole_policy::evaluate`.
    #[must_use]
    pub fn to_request(&self) -> Request {
        let mut context = Context::new();
        for (key, value) in &self.context {
            context.insert(key, value.clone());
        }
        Request {
            principal: self.principal.clone(),
            action: self.action.clone(),
            resource: self.resource.clone(),
            resource_account: Some(self.resource_account.clone()),
            context,
        }
    }
}

/// The caller of identity-policy witnesses.
const IDENTITY_CALLER: &str = "arn:aws:iam::111122223333:user/keyhole-witness";
const CALLER_ACCOUNT: &str = "111122223333";

/// Does some request get allowed by `policy`?
#[must_use]
pub fn satisfiable(policy: &Policy, options: &QueryOptions) -> Answer {
    run(options, |enc| enc.policy(policy))
}

/// Does some request get allowed by `allowed_by` and not by `not_by` (both used as
/// `options.kind`)?
#[must_use]
pub fn allowed_but_not(allowed_by: &Policy, not_by: &Policy, options: &QueryOptions) -> Answer {
    run(options, |enc| {
        let a = enc.policy(allowed_by)?;
        let b = enc.policy(not_by)?;
        Ok(Formula::And(vec![a, Formula::Not(Box::new(b))]))
    })
}

/// Representative requests of the atoms of a query over `policies`: every atom of every
/// variable appears in at least one request, and further requests combine atoms
/// pseudo-randomly (deterministically), up to `limit` requests. Meant for testing `No` answers
/// against the concrete evaluator.
///
/// # Errors
/// The reason the policies cannot be encoded exactly, or a budget.
pub fn representative_requests(
    policies: &[&Policy],
    options: &QueryOptions,
    limit: usize,
) -> Result<Vec<Request>, String> {
    let mut enc = Encoder::new(options.kind);
    for policy in policies {
        enc.policy(policy)?;
    }
    let compiled = prepare(&enc, options)?;
    Ok(representatives(&enc, &compiled, limit))
}

/// Requests covering every atom of `compiled` (see [`representative_requests`]): first one
/// round per atom index, then, for every key read under a set qualifier, its multivalued value
/// as the empty set, as each one-element set (one element atom) and as the set of all element
/// atoms, then pseudo-random combinations of atoms and membership flags.
pub(crate) fn representatives(enc: &Encoder, compiled: &Compiled, limit: usize) -> Vec<Request> {
    let widths = &compiled.widths;
    let widest = widths.iter().copied().max().unwrap_or(1);
    let round_robin =
        |round: usize| -> Vec<usize> { widths.iter().map(|&w| round % w.max(1)).collect() };
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for layout in &compiled.layout {
        let Some(multi) = layout.multi else {
            continue;
        };
        let n = layout.members.len();
        for pick in 0..n + 2 {
            let mut choice = round_robin(pick);
            if let Some(slot) = choice.get_mut(layout.index) {
                *slot = multi;
            }
            for (k, &(_, flag)) in layout.members.iter().enumerate() {
                if let Some(slot) = choice.get_mut(flag) {
                    *slot = usize::from(k == pick || pick == n + 1);
                }
            }
            sets.push(choice);
        }
    }
    let mut out = Vec::new();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut round = 0usize;
    let mut cache = BTreeMap::new();
    let fixed = widest + sets.len();
    while out.len() < limit {
        let choice: Vec<usize> = if round < widest {
            round_robin(round)
        } else if let Some(choice) = sets.get(round - widest) {
            choice.clone()
        } else {
            widths
                .iter()
                .map(|&w| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    usize::try_from(seed % u64::try_from(w.max(1)).unwrap_or(1)).unwrap_or(0)
                })
                .collect()
        };
        round += 1;
        if let Ok(Some(w)) = compiled.witness(enc, &choice, &mut cache) {
            out.push(w.to_request());
        }
        if round > limit.saturating_mul(4) + fixed {
            break;
        }
    }
    out
}

/// The atoms of a query and the decision-diagram variables over them.
///
/// Every request variable has one diagram variable ranging over its atoms. A condition key read
/// under a set qualifier also has one Boolean diagram variable per *element atom* (a value atom,
/// or a malformed value): "the multivalued value has an element in this atom", meaningful when
/// the key's own variable takes its `Multi` atom. Membership flags follow their key in the
/// variable order, so a qualified test is a short chain of flags under the key's node.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Per request variable, its atoms.
    pub(crate) atoms: Vec<VarAtoms>,
    /// Per request variable, where its diagram variables are.
    layout: Vec<Layout>,
    /// Per diagram variable, its number of values (atoms; 2 for a membership flag).
    widths: Vec<usize>,
    /// Per test, what it reads.
    tests: Vec<CompiledTest>,
    /// The diagrams of shared formulas, by the address of the formula (kept alive here, so
    /// the address is not reused).
    shared: std::cell::RefCell<FastMap<usize, (Arc<Formula>, NodeId)>>,
}

/// The diagram variables of one request variable.
#[derive(Debug)]
struct Layout {
    /// The diagram variable of the atom.
    index: usize,
    /// The index of the `Multi` atom, for keys read under a set qualifier.
    multi: Option<usize>,
    /// Membership flags: `(element atom, diagram variable)`, in variable order.
    members: Vec<(usize, usize)>,
}

/// One test over the diagram variables.
#[derive(Debug)]
struct CompiledTest {
    /// The request variable.
    var: usize,
    /// The atoms on which the test holds (for a qualified test: the single values, and the
    /// elements that satisfy its base operator; its `Multi` atom is false).
    bits: Vec<bool>,
    /// The set qualifier.
    set: Option<SetQualifier>,
}

pub(crate) fn prepare(enc: &Encoder, options: &QueryOptions) -> Result<Compiled, String> {
    let mut vars: Vec<(Var, Shape)> = vec![
        (Var::Action, Shape::Action),
        (Var::Resource, Shape::Resource),
    ];
    if options.kind == PolicyKind::Resource {
        vars.push((Var::PrincipalKind, Shape::PrincipalKind));
        vars.push((Var::Principal, Shape::Principal));
    }
    for (key, (ty, _)) in &enc.keys {
        vars.push((Var::Key(key.clone()), Shape::Key(*ty)));
    }
    let (atoms, bits) = atomize(
        &vars,
        &enc.tests,
        options.limits.max_atoms,
        options.limits.max_automaton_states,
    )?;
    let mut tests = Vec::with_capacity(enc.tests.len());
    for (test, bits) in enc.tests.iter().zip(bits) {
        let index = vars
            .iter()
            .position(|(v, _)| *v == test.var)
            .ok_or_else(|| format!("internal: {} is not a variable", describe(&test.var)))?;
        tests.push(CompiledTest {
            var: index,
            bits,
            set: test.set,
        });
    }
    let mut layout = Vec::with_capacity(atoms.len());
    let mut widths = Vec::with_capacity(atoms.len());
    for (index, var) in atoms.iter().enumerate() {
        let diagram_var = widths.len();
        widths.push(var.atoms.len());
        let qualified = tests.iter().any(|t| t.var == index && t.set.is_some());
        let mut members = Vec::new();
        let mut multi = None;
        if qualified {
            for (atom_index, atom) in var.atoms.iter().enumerate() {
                match atom {
                    Atom::Value(_) | Atom::Malformed => {
                        members.push((atom_index, widths.len()));
                        widths.push(2);
                    }
                    Atom::Multi => multi = Some(atom_index),
                    Atom::Absent => {}
                }
            }
        }
        layout.push(Layout {
            index: diagram_var,
            multi,
            members,
        });
    }
    Ok(Compiled {
        atoms,
        layout,
        widths,
        tests,
        shared: std::cell::RefCell::default(),
    })
}

fn run(
    options: &QueryOptions,
    build: impl FnOnce(&mut Encoder) -> Result<Formula, String>,
) -> Answer {
    match run_inner(options, build) {
        Ok(Some(w)) => Answer::Yes(w),
        Ok(None) => Answer::No,
        Err(reason) => Answer::Unknown(reason),
    }
}

fn run_inner(
    options: &QueryOptions,
    build: impl FnOnce(&mut Encoder) -> Result<Formula, String>,
) -> Result<Option<Witness>, String> {
    let mut enc = Encoder::new(options.kind);
    let formula = build(&mut enc)?;
    let Some(restriction) = restriction(&mut enc, options)? else {
        return Ok(None);
    };
    let formula = Formula::And(vec![formula, restriction]);
    let compiled = prepare(&enc, options)?;
    let mut mdd = Mdd::new(options.limits.max_nodes);
    let root = compiled
        .diagram(&mut mdd, &formula)
        .map_err(|b| format!("budget: more than {} decision-diagram nodes", b.0))?;
    solve_compiled(&enc, options, &compiled, &mdd, root)
}

/// The formula of `options.restriction`; `None` when no request meets it.
pub(crate) fn restriction(
    enc: &mut Encoder,
    options: &QueryOptions,
) -> Result<Option<Formula>, String> {
    let mut parts = Vec::new();
    let restriction = &options.restriction;
    if let Some(action) = &restriction.action {
        parts.push(enc.exactly(Var::Action, action));
    }
    if let Some(resource) = &restriction.resource {
        parts.push(enc.exactly(Var::Resource, resource));
    }
    if let Some(principal) = &restriction.principal {
        match options.kind {
            PolicyKind::Resource => parts.push(enc.principal_is(principal)?),
            // Identity policies grant IAM principals only; the caller is not a variable.
            PolicyKind::Identity if principal.arn().is_none() => return Ok(None),
            PolicyKind::Identity => {}
        }
    }
    Ok(Some(Formula::And(parts)))
}

/// A witness of the diagram `root`, or `None` when it is empty.
pub(crate) fn solve_compiled(
    enc: &Encoder,
    options: &QueryOptions,
    compiled: &Compiled,
    mdd: &Mdd,
    root: NodeId,
) -> Result<Option<Witness>, String> {
    let Some(path) = mdd.path(root) else {
        return Ok(None);
    };
    let mut choice = vec![0usize; compiled.widths.len()];
    for (var, atom) in path {
        if let Some(slot) = choice.get_mut(var) {
            *slot = atom;
        }
    }
    debug_assert!(mdd.eval(root, &choice));
    witness_of_choice(enc, options, compiled, &choice).map(Some)
}

/// The witness request of one atom per diagram variable, a path to *true* of a query's
/// diagram.
pub(crate) fn witness_of_choice(
    enc: &Encoder,
    options: &QueryOptions,
    compiled: &Compiled,
    choice: &[usize],
) -> Result<Witness, String> {
    let restriction = &options.restriction;
    let witness = compiled
        .witness(enc, choice, &mut BTreeMap::new())?
        .ok_or_else(|| "internal: a satisfiable query yielded no witness".to_owned())?;
    let witness = match (&restriction.principal, options.kind) {
        (Some(principal), PolicyKind::Identity) => Witness {
            principal: principal.clone(),
            resource_account: principal.account().unwrap_or(CALLER_ACCOUNT).to_owned(),
            ..witness
        },
        _ => witness,
    };
    Ok(witness)
}

impl Compiled {
    /// The diagram variable of request variable `var` (an index into `atoms`).
    pub(crate) fn diagram_var(&self, var: usize) -> Option<usize> {
        self.layout.get(var).map(|l| l.index)
    }

    /// The diagram of one test.
    fn test(&self, mdd: &mut Mdd, test: &CompiledTest) -> Result<NodeId, crate::mdd::Budget> {
        let Some(layout) = self.layout.get(test.var) else {
            return Ok(FALSE);
        };
        let single = mdd.literal(layout.index, &test.bits)?;
        let (Some(set), Some(multi)) = (test.set, layout.multi) else {
            return Ok(single);
        };
        // A multivalued value: `ForAnyValue:` some member flag inside the test's elements is
        // set, `ForAllValues:` no flag outside is. Built from the last flag up, so each step
        // adds one node.
        let inside = |atom: usize| test.bits.get(atom).copied().unwrap_or(false);
        let mut elements = match set {
            SetQualifier::ForAnyValue => FALSE,
            SetQualifier::ForAllValues => TRUE,
        };
        for &(atom, flag) in layout.members.iter().rev() {
            elements = match set {
                SetQualifier::ForAnyValue if inside(atom) => {
                    let member = mdd.literal(flag, &[false, true])?;
                    mdd.or(member, elements)?
                }
                SetQualifier::ForAllValues if !inside(atom) => {
                    let not_member = mdd.literal(flag, &[true, false])?;
                    mdd.and(not_member, elements)?
                }
                _ => elements,
            };
        }
        let width = self.atoms.get(test.var).map_or(0, |v| v.atoms.len());
        let is_multi: Vec<bool> = (0..width).map(|a| a == multi).collect();
        let is_multi = mdd.literal(layout.index, &is_multi)?;
        let on_multi = mdd.and(is_multi, elements)?;
        mdd.or(single, on_multi)
    }

    /// Per diagram variable, its number of values.
    pub(crate) fn widths(&self) -> &[usize] {
        &self.widths
    }

    pub(crate) fn diagram(&self, mdd: &mut Mdd, f: &Formula) -> Result<NodeId, crate::mdd::Budget> {
        Ok(match f {
            Formula::True => TRUE,
            Formula::False => FALSE,
            Formula::Test(i) => match self.tests.get(*i) {
                Some(test) => self.test(mdd, test)?,
                None => FALSE,
            },
            Formula::Not(inner) => {
                let inner = self.diagram(mdd, inner)?;
                mdd.not(inner)?
            }
            Formula::And(parts) => {
                let mut acc = TRUE;
                for part in parts {
                    // A negated part is subtracted: its negation is built only where the parts
                    // before it hold.
                    acc = match part {
                        Formula::Not(inner) if acc != TRUE => {
                            let p = self.diagram(mdd, inner)?;
                            mdd.and_not(acc, p)?
                        }
                        _ => {
                            let p = self.diagram(mdd, part)?;
                            mdd.and(acc, p)?
                        }
                    };
                    if acc == FALSE {
                        break;
                    }
                }
                acc
            }
            Formula::Or(parts) => {
                let mut acc = FALSE;
                for part in parts {
                    let p = self.diagram(mdd, part)?;
                    acc = mdd.or(acc, p)?;
                    if acc == TRUE {
                        break;
                    }
                }
                acc
            }
            Formula::Shared(inner) => {
                let key = Arc::as_ptr(inner) as usize;
                if let Some(&(_, node)) = self.shared.borrow().get(&key) {
                    return Ok(node);
                }
                let node = self.diagram(mdd, inner)?;
                self.shared
                    .borrow_mut()
                    .insert(key, (Arc::clone(inner), node));
                node
            }
        })
    }

    /// The request for one value per diagram variable (an atom per request variable, a flag
    /// per membership variable); `None` if they do not make a request (an IAM caller whose
    /// name is not an ARN). A multivalued value holds one representative of every element
    /// atom whose flag is set (none: the empty set).
    fn witness(
        &self,
        enc: &Encoder,
        choice: &[usize],
        cache: &mut BTreeMap<(usize, usize), Value>,
    ) -> Result<Option<Witness>, String> {
        let mut action = String::new();
        let mut resource = String::new();
        let mut kind = PrincipalKind::Aws;
        let mut principal_name = IDENTITY_CALLER.to_owned();
        let mut context = BTreeMap::new();
        let mut value_of = |index: usize, var: &VarAtoms, atom: usize| -> Result<Value, String> {
            Ok(match cache.get(&(index, atom)) {
                Some(value) => value.clone(),
                None => {
                    let value = atom_value(var, atom)?;
                    cache.insert((index, atom), value.clone());
                    value
                }
            })
        };
        for (index, (var, layout)) in self.atoms.iter().zip(&self.layout).enumerate() {
            let atom = choice.get(layout.index).copied().unwrap_or(0);
            let value = value_of(index, var, atom)?;
            match (&var.var, value) {
                (Var::Action, Value::Text(t)) => action = t,
                (Var::Resource, Value::Text(t)) => resource = t,
                (Var::Principal, Value::Text(t)) => principal_name = t,
                (Var::PrincipalKind, Value::Kind(k)) => kind = k,
                (Var::Key(key), value) => {
                    let name = enc
                        .keys
                        .get(key)
                        .map_or_else(|| key.clone(), |(_, written)| written.clone());
                    match value {
                        Value::Absent => {}
                        Value::Multi => {
                            let mut elements = Vec::new();
                            for &(element, flag) in &layout.members {
                                if choice.get(flag).copied().unwrap_or(0) == 1 {
                                    match value_of(index, var, element)? {
                                        Value::Text(t) => elements.push(t),
                                        _ => return Err(internal(&var.var)),
                                    }
                                }
                            }
                            context.insert(name, ContextValue::Multi(elements));
                        }
                        Value::Text(t) => {
                            context.insert(name, ContextValue::Single(t));
                        }
                        Value::Kind(_) => return Err(internal(&var.var)),
                    }
                }
                (other, _) => return Err(internal(other)),
            }
        }
        let principal = match kind {
            PrincipalKind::Aws if enc.linked => {
                let Some(identity) = Arn::parse(&principal_name).filter(is_identity) else {
                    return Ok(None);
                };
                context.insert(
                    "aws:PrincipalArn".to_owned(),
                    ContextValue::Single(principal_name),
                );
                context.insert(
                    "aws:PrincipalAccount".to_owned(),
                    ContextValue::Single(identity.account.clone()),
                );
                if enc.reads_kms_caller_account {
                    context.insert(
                        KMS_CALLER_ACCOUNT.to_owned(),
                        ContextValue::Single(identity.account.clone()),
                    );
                }
                RequestPrincipal::Aws {
                    arn: session_of(identity, &enc.sessions),
                }
            }
            PrincipalKind::Aws => match Arn::parse(&principal_name) {
                Some(arn) => RequestPrincipal::Aws { arn },
                None => return Ok(None),
            },
            PrincipalKind::Service => RequestPrincipal::Service(principal_name),
            PrincipalKind::Federated => RequestPrincipal::Federated(principal_name),
            PrincipalKind::CanonicalUser => RequestPrincipal::CanonicalUser(principal_name),
            PrincipalKind::Anonymous => RequestPrincipal::Anonymous,
        };
        let resource_account = match (enc.kind, principal.account()) {
            (PolicyKind::Identity, Some(account)) => account.to_owned(),
            (PolicyKind::Identity, None) => CALLER_ACCOUNT.to_owned(),
            (PolicyKind::Resource, Some("444455556666")) => "777788889999".to_owned(),
            (PolicyKind::Resource, _) => "444455556666".to_owned(),
        };
        Ok(Some(Witness {
            principal,
            action,
            resource,
            resource_account,
            context,
        }))
    }
}

/// An ARN `aws:PrincipalArn` can hold: an account root, user, role or federated user.
fn is_identity(arn: &Arn) -> bool {
    let resource = arn.resource.as_str();
    !arn.account.is_empty()
        && arn.region.is_empty()
        && match arn.service.as_str() {
            "iam" => {
                resource == "root"
                    || resource
                        .strip_prefix("user/")
                        .is_some_and(|r| !r.is_empty())
                    || resource
                        .strip_prefix("role/")
                        .is_some_and(|r| !r.is_empty())
            }
            "sts" => resource
                .strip_prefix("federated-user/")
                .is_some_and(|r| !r.is_empty()),
            _ => false,
        }
}

/// The caller behind an identity ARN: a session of a role (roles do not sign requests), the
/// identity itself otherwise.
fn session_of(identity: Arn, sessions: &BTreeMap<(String, String), Vec<String>>) -> Arn {
    if identity.service != "iam" {
        return identity;
    }
    match identity.resource.strip_prefix("role/") {
        Some(path_and_name) => {
            let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
            let session = sessions
                .get(&(identity.account.clone(), name.to_owned()))
                .and_then(|s| s.first())
                .map_or("keyhole-witness", String::as_str);
            Arn {
                service: "sts".to_owned(),
                resource: format!("assumed-role/{name}/{session}"),
                ..identity
            }
        }
        None => identity,
    }
}

fn internal(var: &Var) -> String {
    format!("internal: unexpected value for {}", describe(var))
}

use crate::atoms::AtomValue as Value;

/// A value that parses as no number, date, boolean or IP address.
const MALFORMED: &str = "not-a-value";

/// A real action of the service catalog that `set` contains, in its canonical spelling (actions
/// compare case-insensitively, and the set is built case-insensitively). Only the service of the
/// set's own shortest member, and S3, are searched, so this stays cheap.
fn catalog_action_in(words: &StringAtoms, atom: usize) -> Option<String> {
    let catalog = keyhole_policy::catalog::service_catalog();
    // An atom of one action name (a policy's literal action, up to case): the catalog's
    // action of that name when the atom holds its spelling, which is what the walk below
    // finds (no other catalog action lies in the atom).
    if let Some(word) = words.forced_word(atom) {
        return catalog
            .action(&word)
            .map(|(service, action)| format!("{}:{}", service.prefix(), action.name()))
            .filter(|name| words.atom_at(words.run(0, name)) == Some(atom));
    }
    // The service of the shortest member: read off the automaton when every member starts
    // alike up to its `:` (a policy's action list of one service), else from the member.
    let prefix = match words.forced_lead(atom, ':') {
        Some(lead) => lead,
        None => {
            let shortest = words.witness(atom)?;
            shortest.split_once(':').map_or("", |(p, _)| p).to_owned()
        }
    };
    [prefix.as_str(), "s3"]
        .into_iter()
        .filter_map(|p| catalog.service(p))
        .find_map(|service| {
            // Read the service prefix once, then each action name from there.
            // The names are sorted, so each shares a prefix with the one before: keep the
            // states after each character of the previous name and resume after the common
            // prefix (a walk of the names' trie).
            // Room for a long name's states: the list is kept, not grown, name after name.
            let mut states = Vec::with_capacity(64);
            states.push(words.run(0, &format!("{}:", service.prefix())));
            let mut previous = "";
            let actions = service.actions();
            let mut i = 0;
            while let Some(a) = actions.get(i) {
                let name = a.name();
                let common = name
                    .chars()
                    .zip(previous.chars())
                    .take_while(|(x, y)| x == y)
                    .count();
                // The previous name left the atom's reach after `states.len() - 1`
                // characters: so does this one if it shares them, and so does every name
                // after it that starts with them, skipped by a comparison of bytes (the list
                // is sorted ignoring case, so they are not always one block).
                if common + 1 >= states.len()
                    && !states.last().is_some_and(|&s| words.can_reach(s, atom))
                {
                    let end = previous
                        .char_indices()
                        .nth(states.len() - 1)
                        .map_or(previous.len(), |(at, _)| at);
                    let dead = previous.get(..end).unwrap_or(previous);
                    i += 1;
                    while actions.get(i).is_some_and(|a| a.name().starts_with(dead)) {
                        i += 1;
                    }
                    continue;
                }
                states.truncate(common + 1);
                let mut state = states.last().copied().unwrap_or(0);
                // Whether the whole name was read (no character left the atom's reach).
                let mut read = true;
                for c in name.chars().skip(common) {
                    if !words.can_reach(state, atom) {
                        read = false;
                        break;
                    }
                    state = words.run_char(state, c);
                    states.push(state);
                }
                previous = name;
                if read && words.atom_at(state) == Some(atom) {
                    return Some(format!("{}:{}", service.prefix(), name));
                }
                i += 1;
            }
            None
        })
}

/// The witness value of one atom, computed once per shared split.
fn atom_value(var: &VarAtoms, atom: usize) -> Result<Value, String> {
    match var.values.get(atom) {
        Some(slot) => slot.get_or_init(|| compute_atom_value(var, atom)).clone(),
        None => Err(internal(&var.var)),
    }
}

fn compute_atom_value(var: &VarAtoms, atom: usize) -> Result<Value, String> {
    let overflow = |what: &str| {
        format!(
            "a witness {what} for {} is out of range",
            describe(&var.var)
        )
    };
    let Some(atom) = var.atoms.get(atom) else {
        return Err(internal(&var.var));
    };
    Ok(match atom {
        Atom::Absent => Value::Absent,
        Atom::Multi => Value::Multi,
        Atom::Malformed => Value::Text(MALFORMED.to_owned()),
        Atom::Value(region) => match region {
            Region::Str(words, atom) => {
                // An action witness is a real action when the atom holds one; otherwise the
                // first preferred shape the atom meets, else its shortest word.
                let mut found = match var.var {
                    Var::Action => catalog_action_in(words, *atom),
                    _ => None,
                };
                // The shapes in order. After the first that finds nothing, the gate (a later
                // shape holding every earlier one) is searched once: when that search ends with
                // no word, the shapes it holds are skipped; otherwise its word is kept for its
                // turn. The same witness as trying each in turn.
                let gate = preference_gate(&var.var).filter(|&g| g < words.preferences());
                let mut gate_asked = false;
                let mut gate_word = None;
                let mut preference = 0;
                while found.is_none() && preference < words.preferences() {
                    found = if gate_asked && gate == Some(preference) {
                        gate_word.take()
                    } else {
                        words.witness_preferring(*atom, preference)
                    };
                    preference += 1;
                    if found.is_none()
                        && !gate_asked
                        && let Some(g) = gate.filter(|&g| preference <= g)
                    {
                        gate_asked = true;
                        match words.search_preferring(*atom, g) {
                            Some(None) => preference = g + 1,
                            // A search that did not finish closes nothing.
                            word => gate_word = word.flatten(),
                        }
                    }
                }
                Value::Text(
                    found
                        .or_else(|| words.witness(*atom))
                        .ok_or_else(|| internal(&var.var))?,
                )
            }
            Region::Num(set) => Value::Text(
                set.witness()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| internal(&var.var))?
                    .to_string(),
            ),
            Region::Date(set) => {
                let t = set
                    .witness()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| internal(&var.var))?;
                Value::Text(epoch_text(t).ok_or_else(|| overflow("date"))?)
            }
            Region::Ip(set) => Value::Text(
                set.witness()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| internal(&var.var))?
                    .to_string(),
            ),
            Region::Bool(set) => {
                Value::Text(set.witness().ok_or_else(|| internal(&var.var))?.to_string())
            }
            Region::Kind(set) => Value::Kind(set.witness().ok_or_else(|| internal(&var.var))?),
            Region::Any(_) => Value::Text("present".to_owned()),
        },
    })
}
