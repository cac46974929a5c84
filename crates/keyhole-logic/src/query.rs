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

use keyhole_policy::Policy;
use keyhole_policy::arn::Arn;
use keyhole_policy::request::{Context, ContextValue, Request, RequestPrincipal};

use crate::atoms::{Atom, Region, Shape, VarAtoms, atomize, describe, epoch_text};
use crate::domain::glob::DEFAULT_MAX_STATES;
use crate::encode::{Encoder, Formula, PrincipalKind, Var};
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

/// Requests covering every atom of `compiled` (see [`representative_requests`]).
pub(crate) fn representatives(enc: &Encoder, compiled: &Compiled, limit: usize) -> Vec<Request> {
    let widths: Vec<usize> = compiled.atoms.iter().map(|v| v.atoms.len()).collect();
    let widest = widths.iter().copied().max().unwrap_or(1);
    let mut out = Vec::new();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut round = 0usize;
    let mut cache = BTreeMap::new();
    while out.len() < limit {
        let choice: Vec<usize> = if round < widest {
            widths.iter().map(|&w| round % w.max(1)).collect()
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
        if round > limit.saturating_mul(4) + widest {
            break;
        }
    }
    out
}

#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) atoms: Vec<VarAtoms>,
    /// Per test: the variable index and the atoms on which it holds.
    tests: Vec<(usize, Vec<bool>)>,
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
        tests.push((index, bits));
    }
    Ok(Compiled { atoms, tests })
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
    let restriction = &options.restriction;
    let Some(path) = mdd.path(root) else {
        return Ok(None);
    };
    let mut choice = vec![0usize; compiled.atoms.len()];
    for (var, atom) in path {
        if let Some(slot) = choice.get_mut(var) {
            *slot = atom;
        }
    }
    debug_assert!(mdd.eval(root, &choice));
    let witness = compiled
        .witness(enc, &choice, &mut BTreeMap::new())?
        .ok_or_else(|| "internal: a satisfiable query yielded no witness".to_owned())?;
    let witness = match (&restriction.principal, options.kind) {
        (Some(principal), PolicyKind::Identity) => Witness {
            principal: principal.clone(),
            resource_account: principal.account().unwrap_or(CALLER_ACCOUNT).to_owned(),
            ..witness
        },
        _ => witness,
    };
    Ok(Some(witness))
}

impl Compiled {
    pub(crate) fn diagram(&self, mdd: &mut Mdd, f: &Formula) -> Result<NodeId, crate::mdd::Budget> {
        Ok(match f {
            Formula::True => TRUE,
            Formula::False => FALSE,
            Formula::Test(i) => match self.tests.get(*i) {
                Some((var, bits)) => mdd.literal(*var, bits)?,
                None => FALSE,
            },
            Formula::Not(inner) => {
                let inner = self.diagram(mdd, inner)?;
                mdd.not(inner)?
            }
            Formula::And(parts) => {
                let mut acc = TRUE;
                for part in parts {
                    let p = self.diagram(mdd, part)?;
                    acc = mdd.and(acc, p)?;
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
        })
    }

    /// The request for one atom per variable; `None` if the atoms do not make a request (an
    /// IAM caller whose name is not an ARN).
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
        for (index, (var, &atom)) in self.atoms.iter().zip(choice).enumerate() {
            let value = match cache.get(&(index, atom)) {
                Some(value) => value.clone(),
                None => {
                    let value = atom_value(var, atom)?;
                    cache.insert((index, atom), value.clone());
                    value
                }
            };
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
                            context.insert(name, ContextValue::Multi(Vec::new()));
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

/// A concrete value of one atom.
#[derive(Clone, Debug)]
enum Value {
    Absent,
    Multi,
    Text(String),
    Kind(PrincipalKind),
}

/// A value that parses as no number, date, boolean or IP address.
const MALFORMED: &str = "not-a-value";

/// A real action of the service catalog that `set` contains, in its canonical spelling (actions
/// compare case-insensitively, and the set is built case-insensitively). Only the service of the
/// set's own shortest member, and S3, are searched, so this stays cheap.
fn catalog_action_in(set: &crate::StringSet) -> Option<String> {
    let catalog = keyhole_policy::catalog::service_catalog();
    let shortest = set.witness()?;
    let prefix = shortest.split_once(':').map_or("", |(p, _)| p);
    [prefix, "s3"]
        .into_iter()
        .filter_map(|p| catalog.service(p))
        .find_map(|service| {
            service
                .actions()
                .iter()
                .map(|a| format!("{}:{}", service.prefix(), a.name()))
                .find(|name| set.contains(name))
        })
}

fn atom_value(var: &VarAtoms, atom: usize) -> Result<Value, String> {
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
            Region::Str(set) => {
                // An action witness is a real action when the atom holds one.
                let mut found = match var.var {
                    Var::Action => catalog_action_in(set),
                    _ => None,
                };
                for preferred in var.preferred.iter().filter(|_| found.is_none()) {
                    if let Some(w) = set
                        .intersect(preferred)
                        .map_err(|e| format!("budget: {e}"))?
                        .witness()
                    {
                        found = Some(w);
                        break;
                    }
                }
                Value::Text(
                    found
                        .or_else(|| set.witness())
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
