//! A query space: many satisfiability questions over one set of policies and constraints.
//!
//! [`satisfiable`](crate::satisfiable) and [`allowed_but_not`](crate::allowed_but_not) build,
//! atomise and solve one formula each. The findings search asks dozens of related questions
//! about the same policy (is some external request allowed inside this cube of labels but
//! outside its refinements?), so a [`Space`] collects every constraint first, splits each
//! variable's domain into atoms once, and then answers each [`Expr`] with one decision diagram
//! shared by all questions.
//!
//! Constraints are built from the same pieces as policies: a whole policy's decision
//! ([`Space::allowed`]), one statement ([`Space::statement`]), one condition entry
//! ([`Space::condition`]), a `Principal` element ([`Space::names`]), the caller's kind and
//! account. A space in *linked* mode ([`Space::linked`]) reads `aws:PrincipalArn`,
//! `aws:PrincipalAccount` and `kms:CallerAccount` off the caller, as AWS does, so every witness
//! is a consistent request.
//!
//! Adding a constraint after a question has been answered is allowed; the next question
//! atomises again.

use std::sync::Arc;

use keyhole_policy::condition::ConditionOperator;
use keyhole_policy::{Policy, Principal};

use crate::choices::{ChoiceSearch, Choices};
use crate::encode::{Encoder, Formula, PrincipalKind, SetExpr, Test, Var};
use crate::mdd::{Mdd, NodeId};
use crate::query::{Answer, Compiled, PolicyKind, QueryOptions, prepare, solve_compiled};

/// The kind of caller of a request (resource-policy spaces).
pub type CallerKind = PrincipalKind;

/// A constraint on requests: a Boolean combination of the space's tests.
#[derive(Clone, Debug)]
pub struct Expr(pub(crate) Formula);

impl Expr {
    /// Every request.
    #[must_use]
    pub fn always() -> Expr {
        Expr(Formula::True)
    }

    /// No request.
    #[must_use]
    pub fn never() -> Expr {
        Expr(Formula::False)
    }

    /// Both.
    #[must_use]
    pub fn and(self, other: Expr) -> Expr {
        Expr(Formula::And(vec![self.0, other.0]))
    }

    /// Either.
    #[must_use]
    pub fn or(self, other: Expr) -> Expr {
        Expr(Formula::Or(vec![self.0, other.0]))
    }

    /// All of them (`always` for none).
    #[must_use]
    pub fn all(parts: impl IntoIterator<Item = Expr>) -> Expr {
        Expr(Formula::And(parts.into_iter().map(|e| e.0).collect()))
    }

    /// Any of them (`never` for none).
    #[must_use]
    pub fn any(parts: impl IntoIterator<Item = Expr>) -> Expr {
        Expr(Formula::Or(parts.into_iter().map(|e| e.0).collect()))
    }

    /// The complement.
    #[must_use]
    pub fn negate(self) -> Expr {
        Expr(match self.0 {
            Formula::True => Formula::False,
            Formula::False => Formula::True,
            Formula::Not(inner) => *inner,
            other => Formula::Not(Box::new(other)),
        })
    }

    /// The same constraint, marked as shared by many questions: clones are cheap, and its
    /// decision diagram is built once per compiled space instead of once per question.
    #[must_use]
    pub fn shared(self) -> Expr {
        match self.0 {
            Formula::Shared(_) | Formula::True | Formula::False | Formula::Test(_) => self,
            other => Expr(Formula::Shared(Arc::new(other))),
        }
    }
}

/// Many questions over one set of constraints.
#[derive(Debug)]
pub struct Space {
    options: QueryOptions,
    enc: Encoder,
    /// `options.restriction` as a formula; `None` when no request meets it.
    restriction: Option<Formula>,
    /// The atoms of the tests so far, with the number of tests they cover, and the diagram
    /// built over them.
    compiled: Option<(usize, Compiled, Mdd)>,
}

impl Space {
    /// A space over `options.kind` policies. `options.restriction` applies to every question.
    ///
    /// # Errors
    /// A restriction the space cannot express.
    pub fn new(options: &QueryOptions) -> Result<Space, String> {
        Space::with(options, Encoder::new(options.kind))
    }

    fn with(options: &QueryOptions, mut enc: Encoder) -> Result<Space, String> {
        let restriction = crate::query::restriction(&mut enc, options)?;
        Ok(Space {
            options: options.clone(),
            enc,
            restriction,
            compiled: None,
        })
    }

    /// A resource-policy space in which `aws:PrincipalArn`, `aws:PrincipalAccount` and
    /// `kms:CallerAccount` are the caller's own (see the module docs). An identity space is returned unchanged.
    ///
    /// # Errors
    /// A restriction the space cannot express.
    pub fn linked(options: &QueryOptions) -> Result<Space, String> {
        Space::with(options, Encoder::linked(options.kind))
    }

    /// How the space reads policies.
    #[must_use]
    pub fn kind(&self) -> PolicyKind {
        self.options.kind
    }

    /// From here on, every request names the resource `arn`: the `Resource` and `NotResource`
    /// elements of the policies read afterwards are decided on it (unless they use policy
    /// variables), instead of splitting the resource by their patterns and `arn`. A space that
    /// asks about one concrete resource (each resource of an account) then needs no resource
    /// automaton at all; its witnesses name some other resource, which the caller replaces by
    /// `arn`. Tests made before, and [`Space::resource_like`], still read the resource.
    pub fn fix_resource(&mut self, arn: &str) {
        self.enc.fixed_resource = Some(arn.to_owned());
    }

    /// The requests `policy` allows (some `Allow` statement applies and no `Deny` does), among
    /// well-formed callers.
    ///
    /// # Errors
    /// The construct that is not decided exactly.
    pub fn allowed(&mut self, policy: &Policy) -> Result<Expr, String> {
        self.enc.policy(policy).map(Expr)
    }

    /// The requests statement `index` of `policy` applies to (its effect aside).
    ///
    /// # Errors
    /// The construct that is not decided exactly; an index out of range.
    pub fn statement(&mut self, policy: &Policy, index: usize) -> Result<Expr, String> {
        let statement = policy
            .statements
            .iter()
            .nth(index)
            .ok_or_else(|| format!("the policy has no statement {index}"))?;
        self.enc.statement(policy, &statement.value).map(Expr)
    }

    /// The requests one condition entry holds for (`values` are the policy's values; policy
    /// variables are read when `variables` is set, as in a `2012-10-17` policy).
    ///
    /// # Errors
    /// The construct that is not decided exactly.
    pub fn condition(
        &mut self,
        operator: ConditionOperator,
        key: &str,
        values: &[&str],
        variables: bool,
    ) -> Result<Expr, String> {
        self.enc.entry(operator, key, values, variables).map(Expr)
    }

    /// The callers a `Principal` element names in any way (resource-policy spaces).
    ///
    /// # Errors
    /// The construct that is not decided exactly.
    pub fn names(&mut self, principal: &Principal) -> Result<Expr, String> {
        self.enc.principal_names(principal).map(Expr)
    }

    /// Well-formed requests: in a resource-policy space an IAM caller's ARN parses (and, linked,
    /// is an identity ARN). Every [`Space::allowed`] already includes it.
    pub fn well_formed(&mut self) -> Expr {
        match self.options.kind {
            PolicyKind::Resource => Expr(self.enc.principal_well_formed()),
            PolicyKind::Identity => Expr::always(),
        }
    }

    /// Callers of one of these kinds (resource-policy spaces).
    pub fn caller_kind(&mut self, kinds: &[CallerKind]) -> Expr {
        Expr(self.enc.kinds(kinds))
    }

    /// IAM callers whose ARN's account field is one of `accounts` (resource-policy spaces).
    pub fn caller_account_in(&mut self, accounts: &[&str]) -> Expr {
        let aws = self.enc.kinds(&[PrincipalKind::Aws]);
        let region = SetExpr::Union(
            accounts
                .iter()
                .map(|a| {
                    let mut t = crate::GlobToken::parse("arn:*:*:*:");
                    t.extend(crate::GlobToken::literal(a));
                    t.extend(crate::GlobToken::parse(":*"));
                    SetExpr::ArnTokens(t)
                })
                .collect(),
        );
        let test = self.enc.push_test(Test::plain(Var::Principal, region));
        Expr(Formula::And(vec![aws, test]))
    }

    /// Callers whose name (an IAM caller's ARN — in linked mode its `aws:PrincipalArn` — or a
    /// service, federated or canonical-user name) matches the case-sensitive glob `pattern`.
    pub fn caller_name_like(&mut self, pattern: &str) -> Expr {
        Expr(self.enc.push_test(Test::plain(
            Var::Principal,
            SetExpr::Tokens {
                tokens: crate::GlobToken::parse(pattern),
                case: crate::Case::Sensitive,
            },
        )))
    }

    /// Requests whose action matches the glob `pattern` (case-insensitively, as actions do).
    pub fn action_like(&mut self, pattern: &str) -> Expr {
        Expr(self.enc.push_test(Test::plain(
            Var::Action,
            SetExpr::Tokens {
                tokens: crate::GlobToken::parse(pattern),
                case: crate::Case::Insensitive,
            },
        )))
    }

    /// Requests whose resource matches the case-sensitive glob `pattern` (`*` may cross `:`).
    pub fn resource_like(&mut self, pattern: &str) -> Expr {
        Expr(self.enc.push_test(Test::plain(
            Var::Resource,
            SetExpr::Tokens {
                tokens: crate::GlobToken::parse(pattern),
                case: crate::Case::Sensitive,
            },
        )))
    }

    /// Requests on exactly this resource.
    pub fn resource_is(&mut self, resource: &str) -> Expr {
        Expr(self.enc.exactly(Var::Resource, resource))
    }

    /// Representative requests of the space's atoms (every atom of every variable in at least
    /// one request), up to `limit`; for testing `No` answers against the concrete evaluator.
    ///
    /// # Errors
    /// A budget.
    pub fn representative_requests(
        &mut self,
        limit: usize,
    ) -> Result<Vec<keyhole_policy::request::Request>, String> {
        self.compile()?;
        let Some((_, compiled, _)) = self.compiled.as_ref() else {
            return Err("internal: the space was not compiled".to_owned());
        };
        Ok(crate::query::representatives(&self.enc, compiled, limit))
    }

    fn compile(&mut self) -> Result<(), String> {
        let tests = self.enc.tests.len();
        let stale = !matches!(&self.compiled, Some((n, _, _)) if *n == tests);
        if stale {
            let compiled = prepare(&self.enc, &self.options)?;
            let mdd = Mdd::new(self.options.limits.max_nodes);
            self.compiled = Some((tests, compiled, mdd));
        }
        Ok(())
    }

    /// Which of `actions` some request satisfying `expr` (and the restriction) performs: one
    /// flag per action. Cheaper than one question per action: each action lies in exactly one
    /// atom of the action variable, and only the atoms are asked about.
    ///
    /// # Errors
    /// A budget, or a construct that is not decided exactly.
    pub fn actions_reached(
        &mut self,
        expr: &Expr,
        actions: &Arc<[String]>,
    ) -> Result<Vec<bool>, String> {
        let Some(root) = self.diagram_of(expr)? else {
            return Ok(vec![false; actions.len()]);
        };
        let Some((_, compiled, mdd)) = self.compiled.as_mut() else {
            return Err(NOT_COMPILED.to_owned());
        };
        let (var, diagram_var) = action_var(compiled)?;
        let width = var.atoms.len();
        let mut reached = Vec::with_capacity(width);
        for atom in 0..width {
            let bits: Vec<bool> = (0..width).map(|i| i == atom).collect();
            let lit = mdd.literal(diagram_var, &bits).map_err(budget)?;
            reached.push(mdd.meets(root, lit));
        }
        Ok(actions_of_atoms(var, &reached, actions))
    }

    /// Which of `actions` some request of `choices`' constraint performs that meets the
    /// alternatives of one of `choice_list`: one flag per action, as
    /// [`Space::actions_reached`] answers for the union of their conjunctions, without
    /// building it.
    ///
    /// # Errors
    /// A space changed since `choices` were found; a walk past its limit.
    pub fn choice_actions(
        &mut self,
        choices: &mut Choices,
        choice_list: &[&[usize]],
        actions: &Arc<[String]>,
    ) -> Result<Vec<bool>, String> {
        let Some((generation, compiled, mdd)) = self.compiled.as_ref() else {
            return Err(NOT_COMPILED.to_owned());
        };
        if *generation != choices.generation {
            return Err("internal: the space changed since its choices were found".to_owned());
        }
        let (var, diagram_var) = action_var(compiled)?;
        let mut reached = vec![false; var.atoms.len()];
        for choice in choice_list {
            let taken = crate::choices::atoms_taken(mdd, choices, choice, diagram_var)?;
            for (r, t) in reached.iter_mut().zip(taken) {
                *r |= t;
            }
        }
        Ok(actions_of_atoms(var, &reached, actions))
    }

    /// Does some request satisfy `expr` (and the space's restriction)?
    pub fn solve(&mut self, expr: &Expr) -> Answer {
        match self.solve_inner(expr) {
            Ok(Some(w)) => Answer::Yes(w),
            Ok(None) => Answer::No,
            Err(reason) => Answer::Unknown(reason),
        }
    }

    /// Does some request satisfy `expr` (and the space's restriction)? The same answer as
    /// [`Space::solve`] without building the witness request: for the many yes-or-no questions
    /// of a search. `Err` is the reason a question is not decided exactly.
    ///
    /// # Errors
    /// What [`Space::solve`] answers `Unknown` for, except a witness that cannot be written
    /// down (a question this answers `true`).
    pub fn satisfiable(&mut self, expr: &Expr) -> Result<bool, String> {
        Ok(self
            .diagram_of(expr)?
            .is_some_and(|root| root != crate::mdd::FALSE))
    }

    /// Does some request satisfy both `a` and `b` (and the space's restriction)? The same
    /// answer as [`Space::satisfiable`] of their conjunction, without building the
    /// conjunction's diagram: for questions whose conjunction is not needed afterwards, or not
    /// when the answer is no; cheapest when `a` and `b` are [shared](Expr::shared) and their
    /// diagrams already built.
    ///
    /// # Errors
    /// What [`Space::satisfiable`] answers `Err` for.
    pub fn meets(&mut self, a: &Expr, b: &Expr) -> Result<bool, String> {
        let Some(root) = self.diagram_of(a)? else {
            return Ok(false);
        };
        let Some((_, compiled, mdd)) = self.compiled.as_mut() else {
            return Err(NOT_COMPILED.to_owned());
        };
        let other = compiled.diagram(mdd, &b.0).map_err(budget)?;
        Ok(mdd.meets(root, other))
    }

    /// For each pair of `sets`, whether the requests of the first that satisfy `universe` (and
    /// the restriction) all satisfy the second: `result[i][j]` is "`universe` ∧ `sets[i]` ∧
    /// ¬`sets[j]` is unsatisfiable". The same answers as one [`Space::meets`] per pair, with
    /// each diagram built once.
    ///
    /// # Errors
    /// A budget, or a construct that is not decided exactly.
    pub fn inclusions(&mut self, universe: &Expr, sets: &[Expr]) -> Result<Vec<Vec<bool>>, String> {
        let Some(within) = self.diagram_of(universe)? else {
            // No request meets the restriction: every inclusion holds.
            return Ok(vec![vec![true; sets.len()]; sets.len()]);
        };
        let Some((_, compiled, mdd)) = self.compiled.as_mut() else {
            return Err(NOT_COMPILED.to_owned());
        };
        let mut nodes = Vec::with_capacity(sets.len());
        let mut complements = Vec::with_capacity(sets.len());
        for set in sets {
            let node = compiled.diagram(mdd, &set.0).map_err(budget)?;
            nodes.push(mdd.and(within, node).map_err(budget)?);
            complements.push(mdd.not(node).map_err(budget)?);
        }
        Ok(nodes
            .iter()
            .map(|&a| {
                complements
                    .iter()
                    .map(|&not_b| !mdd.meets(a, not_b))
                    .collect()
            })
            .collect())
    }

    /// The choices of one constraint per group (`groups[g][i]`: alternative `i` of group `g`)
    /// that some request satisfying `base` (and the restriction) meets, in one walk of
    /// `base`'s diagram instead of a question per choice (see [`ChoiceSearch`]). At most `limit`
    /// choices are collected, and at most `limit` partial ones at any step.
    ///
    /// # Errors
    /// A budget, or a construct that is not decided exactly.
    pub fn choices(
        &mut self,
        base: &Expr,
        groups: &[Vec<Expr>],
        limit: usize,
    ) -> Result<ChoiceSearch, String> {
        let Some(root) = self.diagram_of(base)? else {
            return Ok(ChoiceSearch::Unsupported);
        };
        let Some((generation, compiled, mdd)) = self.compiled.as_mut() else {
            return Err(NOT_COMPILED.to_owned());
        };
        let mut roots = Vec::with_capacity(groups.len());
        for alternatives in groups {
            let mut nodes = Vec::with_capacity(alternatives.len());
            for alternative in alternatives {
                nodes.push(compiled.diagram(mdd, &alternative.0).map_err(budget)?);
            }
            roots.push(nodes);
        }
        Ok(crate::choices::choices(
            mdd,
            compiled.widths(),
            root,
            roots,
            limit,
            *generation,
        ))
    }

    /// A request satisfying `choices`' constraint that meets the alternatives of `choice`: the
    /// witness [`Space::solve`] gives for their conjunction, without building it.
    pub fn choice_witness(&mut self, choices: &mut Choices, choice: &[usize]) -> Answer {
        let Some((generation, compiled, mdd)) = self.compiled.as_ref() else {
            return Answer::Unknown(NOT_COMPILED.to_owned());
        };
        if *generation != choices.generation {
            return Answer::Unknown(
                "internal: the space changed since its choices were found".to_owned(),
            );
        }
        match crate::choices::smallest_path(mdd, choices, choice) {
            Ok(Some(path)) => {
                match crate::query::witness_of_choice(&self.enc, &self.options, compiled, &path) {
                    Ok(w) => Answer::Yes(w),
                    Err(reason) => Answer::Unknown(reason),
                }
            }
            Ok(None) => Answer::No,
            Err(reason) => Answer::Unknown(reason),
        }
    }

    fn solve_inner(&mut self, expr: &Expr) -> Result<Option<crate::Witness>, String> {
        let Some(root) = self.diagram_of(expr)? else {
            return Ok(None);
        };
        let Some((_, compiled, mdd)) = self.compiled.as_ref() else {
            return Err(NOT_COMPILED.to_owned());
        };
        solve_compiled(&self.enc, &self.options, compiled, mdd, root)
    }

    /// The decision diagram of `expr` and the space's restriction, compiling the space first if
    /// needed; `None` when no request meets the restriction.
    fn diagram_of(&mut self, expr: &Expr) -> Result<Option<NodeId>, String> {
        let Some(restriction) = &self.restriction else {
            return Ok(None);
        };
        let formula = Formula::And(vec![expr.0.clone(), restriction.clone()]);
        self.compile()?;
        let Some((_, compiled, mdd)) = self.compiled.as_mut() else {
            return Err(NOT_COMPILED.to_owned());
        };
        compiled.diagram(mdd, &formula).map(Some).map_err(budget)
    }
}

/// The action variable's atoms and its diagram variable.
fn action_var(compiled: &Compiled) -> Result<(&crate::atoms::VarAtoms, usize), String> {
    let index = compiled
        .atoms
        .iter()
        .position(|v| v.var == Var::Action)
        .ok_or_else(|| "internal: no action variable".to_owned())?;
    match (compiled.atoms.get(index), compiled.diagram_var(index)) {
        (Some(var), Some(diagram_var)) => Ok((var, diagram_var)),
        _ => Err("internal: no action variable".to_owned()),
    }
}

/// Which of `actions` lie in an atom of the action variable `var` marked in `reached`.
fn actions_of_atoms(
    var: &crate::atoms::VarAtoms,
    reached: &[bool],
    actions: &Arc<[String]>,
) -> Vec<bool> {
    // Each action is read once by the split's automaton: its atom, then whether the question
    // reaches that atom.
    let mut split = None;
    let mut reached_by_atom = Vec::new();
    for (atom, &r) in var.atoms.iter().zip(reached) {
        if let crate::atoms::Atom::Value(crate::atoms::Region::Str(words, i)) = atom {
            split.get_or_insert_with(|| Arc::clone(words));
            if reached_by_atom.len() <= *i {
                reached_by_atom.resize(*i + 1, false);
            }
            if let Some(slot) = reached_by_atom.get_mut(*i) {
                *slot |= r;
            }
        }
    }
    let atoms: Arc<[Option<usize>]> = match split {
        None => vec![None; actions.len()].into(),
        Some(split) => split.atoms_of_list(actions),
    };
    atoms
        .iter()
        .map(|&atom| {
            atom.and_then(|i| reached_by_atom.get(i).copied())
                .unwrap_or(false)
        })
        .collect()
}

const NOT_COMPILED: &str = "internal: the space was not compiled";

fn budget(b: crate::mdd::Budget) -> String {
    format!("budget: more than {} decision-diagram nodes", b.0)
}
