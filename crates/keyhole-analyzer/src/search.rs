//! The findings search: which (principal, condition) classes of external callers a resource
//! policy lets in.
//!
//! This follows the stratified abstraction of Access Analyzer (CAV 2020; ARCHITECTURE.md,
//! "Worked example"):
//! - the *dimensions* are the caller's principal and the condition keys that external callers
//!   cannot choose ([`FINDING_KEYS`]); every other key is existentially free — a caller sends
//!   whatever value gets them in;
//! - per dimension the *labels* are the policy's own literals for it plus `*`, ordered by
//!   inclusion of the request sets they describe (decided by the engine, not by spelling);
//! - a *cube* picks one label per dimension. Walking cubes from the all-`*` cube down, a cube
//!   is emitted when the policy allows some external request inside it that none of its
//!   one-step refinements covers; the children of an emitted cube are not visited;
//! - findings subsumed by another single finding are dropped.
//!
//! Each step is an exact question to a linked [`Space`] (so `aws:PrincipalArn` and
//! `aws:PrincipalAccount` agree with the caller). Every emitted cube carries the engine's witness
//! request, which the caller re-checks with the concrete evaluator.

use std::collections::BTreeMap;

use keyhole_logic::{
    Answer, CallerKind, ChoiceSearch, Choices, Expr, PolicyKind, QueryOptions, Space, Witness,
};
use keyhole_policy::Spanned;
use keyhole_policy::condition::{BaseOperator, ConditionOperator, SetQualifier};
use keyhole_policy::{OneOrMany, Policy, Principal, PrincipalType};

use crate::zone::Zone;

/// Condition keys that scope external access and appear in a finding's `condition`, with their
/// canonical spelling. Other keys are chosen by the caller (or do not restrict who the caller
/// is) and stay existentially free.
pub const FINDING_KEYS: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:userid",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:SourceArn",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "kms:CallerAccount",
    "lambda:EventSourceToken",
    "sts:ExternalId",
    "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn",
    // S3 counts a fixed KMS key for server-side encryption among the conditions that make a
    // bucket policy non-public (Block Public Access's definition of "public"), and Access
    // Analyzer filters findings by it.
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "cognito-identity.amazonaws.com:aud",
    "cognito-identity.amazonaws.com:amr",
    "graph.facebook.com:app_id",
    "accounts.google.com:aud",
    "www.amazon.com:app_id",
    "SAML:aud",
];

/// Whether a condition key scopes access (see [`FINDING_KEYS`]): the listed keys, and the
/// claims of OIDC providers (`<provider>:aud`, `:sub`, `:amr`, …), which only the identity
/// provider can set.
#[must_use]
pub fn canonical_finding_key(key: &str) -> Option<String> {
    if let Some(known) = FINDING_KEYS.iter().find(|k| k.eq_ignore_ascii_case(key)) {
        return Some((*known).to_owned());
    }
    let (provider, claim) = key.rsplit_once(':')?;
    let oidc = provider.contains('.') || provider.contains('/');
    let claims = [
        "aud", "sub", "amr", "oaud", "azp", "app_id", "user_id", "id",
    ];
    (oidc && claims.iter().any(|c| c.eq_ignore_ascii_case(claim))).then(|| key.to_owned())
}

/// What the search looks at: the resource's own ARNs and the actions that apply to it.
#[derive(Clone, Debug)]
pub struct Target {
    /// The resource ARN findings name.
    pub resource: String,
    /// Globs over request resources that reach this resource (the ARN itself, objects under a
    /// bucket, versions of a function, …).
    pub resource_patterns: Vec<String>,
    /// Globs over the actions reported (`s3:*`, `sts:AssumeRole*`, …).
    pub action_patterns: Vec<String>,
    /// The concrete actions findings may list, in output order.
    pub actions: std::sync::Arc<[String]>,
    /// Condition entries every request considered meets (operator, key, values), such as
    /// "not through an access point of the zone" for a bucket policy.
    pub requires: Vec<(ConditionOperator, String, Vec<String>)>,
}

/// The principal a finding names, as Access Analyzer writes it (`{"AWS": "*"}`, `{"AWS":
/// "111122223333"}`, `{"Federated": "accounts.google.com"}`, …).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrincipalLabel {
    /// `AWS`, `Federated` or `CanonicalUser`.
    pub kind: String,
    /// The value, `*` for everyone.
    pub value: String,
}

/// One class of external access.
#[derive(Clone, Debug)]
pub struct Access {
    /// Who.
    pub principal: PrincipalLabel,
    /// Under which scoping conditions (key → policy value).
    pub condition: BTreeMap<String, String>,
    /// The same conditions as condition entries (operator, key, value): the class is exactly
    /// the external requests these entries and the principal label admit.
    pub scope: Vec<(ConditionOperator, String, String)>,
    /// Which actions, in catalog order.
    pub actions: Vec<String>,
    /// A request inside the class that the policy allows.
    pub witness: Witness,
}

/// The search's budget.
#[derive(Clone, Copy, Debug)]
pub struct SearchLimits {
    /// Label choices, partial (the first dimensions) or complete, holding some allowed external
    /// request, per policy.
    pub max_cubes: usize,
    /// Labels per dimension.
    pub max_labels: usize,
}

impl Default for SearchLimits {
    fn default() -> Self {
        SearchLimits {
            max_cubes: 4_096,
            max_labels: 64,
        }
    }
}

/// One label of a dimension.
struct Label {
    /// The value in the finding (`None` for `*`).
    shown: Option<String>,
    /// The operator it is read with (condition keys).
    operator: Option<ConditionOperator>,
    /// The requests it describes.
    expr: Expr,
}

/// One dimension: the principal or a condition key.
struct Dimension {
    /// `None` for the principal.
    key: Option<String>,
    labels: Vec<Label>,
    /// Principal labels, parallel to `labels`.
    principals: Vec<PrincipalLabel>,
    /// `below[i][j]`: label `i` describes a subset of label `j`'s requests.
    below: Vec<Vec<bool>>,
    /// The immediate refinements of each label.
    children: Vec<Vec<usize>>,
}

/// Checks the rules every resource policy must meet before AWS stores it and that change what
/// it means: each statement has an `Effect`, an `Action` or `NotAction`, and a `Principal` or
/// `NotPrincipal`.
///
/// # Errors
/// The first statement that breaks a rule, by index.
pub fn check_resource_policy(policy: &Policy) -> Result<(), String> {
    for (i, st) in policy.statements.iter().enumerate() {
        let st = &st.value;
        let missing = if st.effect.is_none() {
            Some("Effect")
        } else if st.action.is_none() {
            Some("Action or NotAction")
        } else if st.principal.is_none() {
            Some("Principal or NotPrincipal")
        } else {
            None
        };
        if let Some(what) = missing {
            return Err(format!(
                "statement {i} has no {what}; AWS rejects such a resource policy"
            ));
        }
    }
    Ok(())
}

/// A search ready to run: the space, the requests every question includes (allowed by the
/// policy, on the target, from outside the zone), and the ordered dimensions.
struct Search {
    space: Space,
    base: Expr,
    dims: Vec<Dimension>,
    /// The one resource every request names, when the target is one concrete ARN and the
    /// policy's `Resource` elements can be decided on it (see [`resource_uses_variables`]):
    /// left out of the questions and written into the witnesses.
    fixed_resource: Option<String>,
}

/// Whether some `Resource` or `NotResource` value holds a policy variable (`${…}`), whose
/// value comes from the request: such an element is not decided by the resource alone.
fn resource_uses_variables(policy: &Policy) -> bool {
    policy.statements.iter().any(|st| {
        st.value
            .resource
            .as_ref()
            .is_some_and(|r| r.value.values.iter().any(|v| v.value.contains("${")))
    })
}

impl Search {
    /// `None` when no statement may admit an outsider (see [`may_admit_outsiders`]).
    fn new(
        policy: &Policy,
        target: &Target,
        zone: &Zone,
        limits: &SearchLimits,
    ) -> Result<Option<Search>, String> {
        if !policy
            .statements
            .iter()
            .any(|statement| may_admit_outsiders(&statement.value, zone))
        {
            return Ok(None);
        }
        let options = QueryOptions {
            kind: PolicyKind::Resource,
            ..Default::default()
        };
        let mut space = Space::linked(&options)?;
        // A target of one concrete ARN (a queue, a topic, a KMS key, a role: every resource of
        // an account but buckets) need not split the resource by that ARN, which differs for
        // every resource: each `Resource` element is decided on the ARN itself
        // (`Space::fix_resource`), and the witnesses name it.
        let fixed_resource = match target.resource_patterns.as_slice() {
            [only]
                if !keyhole_policy::pattern::has_wildcard(only)
                    && !resource_uses_variables(policy) =>
            {
                Some(only.clone())
            }
            _ => None,
        };
        if let Some(arn) = &fixed_resource {
            space.fix_resource(arn);
        }
        let allowed = space.allowed(policy)?;
        let resource = if fixed_resource.is_some() {
            Expr::always()
        } else {
            Expr::any(
                target
                    .resource_patterns
                    .iter()
                    .map(|p| space.resource_like(p))
                    .collect::<Vec<_>>(),
            )
        };
        let action_scope = Expr::any(
            target
                .action_patterns
                .iter()
                .map(|p| space.action_like(p))
                .collect::<Vec<_>>(),
        );
        let external = external(&mut space, zone, policy)?;
        let mut required = Vec::new();
        for (op, key, values) in &target.requires {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            required.push(space.condition(*op, key, &values, false)?);
        }
        // Every question of the search includes `base`: its diagram is built once.
        let base = Expr::all([
            allowed,
            resource,
            action_scope,
            external,
            Expr::all(required),
        ])
        .shared();
        let mut dims = dimensions(&mut space, policy, limits)?;
        let well_formed = space.well_formed().shared();
        for dim in &mut dims {
            // Each label takes part in many questions.
            for label in &mut dim.labels {
                label.expr = std::mem::replace(&mut label.expr, Expr::always()).shared();
            }
            order(&mut space, dim, &well_formed)?;
        }
        Ok(Some(Search {
            space,
            base,
            dims,
            fixed_resource,
        }))
    }
}

/// Access Analyzer's reduction: the cubes no other cube of `cubes` strictly covers (a finding
/// subsumed by another single finding is dropped), in their order.
fn maximal<T>(cubes: Vec<(Vec<usize>, T)>, dims: &[Dimension]) -> Vec<(Vec<usize>, T)> {
    // Bit sets over the cubes: per dimension and label `x`, the cubes whose label there lies
    // above `x` (`up`) and below it (`down`). The cubes covering cube `a` are the intersection
    // of `up` over its labels; those it covers, of `down`.
    let words = cubes.len().div_ceil(64);
    let sets = |above: bool| -> Vec<Vec<Vec<u64>>> {
        dims.iter()
            .enumerate()
            .map(|(d, dim)| {
                let labels = dim.below.len();
                // The cubes with each label in this dimension.
                let mut with = vec![vec![0u64; words]; labels];
                for (i, (cube, _)) in cubes.iter().enumerate() {
                    if let Some(word) = cube
                        .get(d)
                        .and_then(|&y| with.get_mut(y))
                        .and_then(|bits| bits.get_mut(i / 64))
                    {
                        *word |= 1 << (i % 64);
                    }
                }
                (0..labels)
                    .map(|x| {
                        let mut bits = vec![0u64; words];
                        for (y, cubes_y) in with.iter().enumerate() {
                            let (from, to) = if above { (x, y) } else { (y, x) };
                            if dim.below.get(from).and_then(|r| r.get(to)) == Some(&true) {
                                bits.iter_mut().zip(cubes_y).for_each(|(b, c)| *b |= c);
                            }
                        }
                        bits
                    })
                    .collect()
            })
            .collect()
    };
    let (up, down) = (sets(true), sets(false));
    let meet = |table: &[Vec<Vec<u64>>], cube: &[usize]| -> Vec<u64> {
        let mut acc = vec![u64::MAX; words];
        for (d, &x) in cube.iter().enumerate() {
            match table.get(d).and_then(|labels| labels.get(x)) {
                Some(bits) => acc.iter_mut().zip(bits).for_each(|(a, b)| *a &= b),
                None => acc.iter_mut().for_each(|a| *a = 0),
            }
        }
        acc
    };
    // Dominated: some cube covers it that it does not cover.
    let dominated: Vec<bool> = cubes
        .iter()
        .map(|(cube, _)| {
            let covering = meet(&up, cube);
            let covered = meet(&down, cube);
            covering.iter().zip(&covered).any(|(a, b)| a & !b != 0)
        })
        .collect();
    undominated(cubes, &dominated)
}

/// The cubes not marked dominated, in their order.
fn undominated<T>(cubes: Vec<(Vec<usize>, T)>, dominated: &[bool]) -> Vec<(Vec<usize>, T)> {
    cubes
        .into_iter()
        .zip(dominated)
        .filter(|(_, d)| !**d)
        .map(|(c, _)| c)
        .collect()
}

/// Whether cube `a` lies inside cube `b`: in every dimension, `a`'s label is below `b`'s.
fn covered(a: &[usize], b: &[usize], dims: &[Dimension]) -> bool {
    a.iter()
        .zip(b)
        .zip(dims)
        .all(|((&x, &y), d)| d.below.get(x).and_then(|row| row.get(y)).copied() == Some(true))
}

/// The external access `policy` grants on `target`, outside `zone`.
///
/// # Errors
/// The reason the policy cannot be analysed exactly (an engine `Unknown`, a budget).
pub fn external_access(
    policy: &Policy,
    target: &Target,
    zone: &Zone,
    limits: &SearchLimits,
) -> Result<Vec<Access>, String> {
    let Some(Search {
        mut space,
        base,
        dims,
        fixed_resource,
    }) = Search::new(policy, target, zone, limits)?
    else {
        return Ok(Vec::new());
    };
    let cube_expr = |cube: &[usize], dims: &[Dimension]| -> Expr {
        Expr::all(
            cube.iter()
                .zip(dims)
                .filter_map(|(&l, d)| d.labels.get(l).map(|label| label.expr.clone())),
        )
    };
    // Each finding's cube, witness and the catalog actions its requests reach.
    let mut kept: Vec<(Vec<usize>, Witness, Vec<bool>)> = Vec::new();
    match minimal_cubes(&mut space, &base, &dims, limits)? {
        Cubes::Walked(mut choices) => {
            let found = choices.found().to_vec();
            let emitted = found.iter().map(|c| (c.clone(), ())).collect();
            for (cube, ()) in maximal(emitted, &dims) {
                let Some(witness) = decide(space.choice_witness(&mut choices, &cube))? else {
                    return Err("internal: a finding's requests vanished".to_owned());
                };
                // The requests inside a cube are those of the cubes found below it.
                let below: Vec<&[usize]> = found
                    .iter()
                    .filter(|other| covered(other, &cube, &dims))
                    .map(Vec::as_slice)
                    .collect();
                let reached = space.choice_actions(&mut choices, &below, &target.actions)?;
                kept.push((cube, witness, reached));
            }
        }
        Cubes::Stepwise(emitted) => {
            for (cube, uncovered) in maximal(emitted, &dims) {
                let Some(witness) = decide(space.solve(&uncovered))? else {
                    return Err("internal: a finding's requests vanished".to_owned());
                };
                let inside = base.clone().and(cube_expr(&cube, &dims));
                let reached = space.actions_reached(&inside, &target.actions)?;
                kept.push((cube, witness, reached));
            }
        }
    }

    if let Some(resource) = &fixed_resource {
        for (_, witness, _) in &mut kept {
            witness.resource.clone_from(resource);
        }
    }
    let mut out = Vec::new();
    for (cube, witness, reached) in &kept {
        let mut actions: Vec<String> = target
            .actions
            .iter()
            .zip(reached)
            .filter(|(_, r)| **r)
            .map(|(a, _)| a.clone())
            .collect();
        if actions.is_empty() {
            // The class is reached only through actions outside the catalog; name the one the
            // witness uses.
            actions.push(witness.action.clone());
        }
        let mut principal = PrincipalLabel {
            kind: "AWS".to_owned(),
            value: "*".to_owned(),
        };
        let mut condition = BTreeMap::new();
        let mut scope = Vec::new();
        for (&label, dim) in cube.iter().zip(&dims) {
            match &dim.key {
                None => {
                    if let Some(p) = dim.principals.get(label) {
                        principal = p.clone();
                    }
                }
                Some(key) => {
                    if let Some(Label {
                        shown: Some(shown),
                        operator: Some(op),
                        ..
                    }) = dim.labels.get(label)
                    {
                        condition.insert(key.clone(), shown.clone());
                        scope.push((*op, key.clone(), shown.clone()));
                    }
                }
            }
        }
        out.push(Access {
            principal,
            condition,
            scope,
            actions,
            witness: witness.clone(),
        });
    }
    out.sort_by(|a, b| (&a.principal, &a.condition).cmp(&(&b.principal, &b.condition)));
    Ok(out)
}

/// The cubes the stratified search emits, before the reduction: the cubes `K` for which the policy allows some external request whose
/// label in every dimension `d` is `K[d]` but none of `K[d]`'s immediate refinements (its
/// *own* requests in `d`).
///
/// Access Analyzer's worklist walks cubes from the all-`*` cube down, asking of each whether
/// some allowed request lies inside it but outside all its one-step refinements; a request
/// inside `K` lies outside the refinement that changes dimension `d` to child `c` exactly when
/// its `d` value is outside `c`, so that question is "`base` ∧ ⋀_d own(K[d])" — the question
/// asked here. The worklist does not descend below an emitted cube, but every cube below an
/// emitted one is dropped by the reduction, and every cube with own requests that no other such
/// cube lies above is reached (all cubes above it hold its requests and are not emitted). So
/// after the reduction both give the same findings, and this one needs no worklist: every
/// cube is found in one walk of `base`'s decision diagram ([`Space::choices`]), which also
/// writes each finding's witness. When the labels read too many variables together for that
/// walk, a depth-first walk over the dimensions asks one question per partial choice instead
/// ([`stepwise_cubes`]); both give the same cubes and the same witnesses.
///
/// # Errors
/// The engine's reason for an undecided question; more than `limits.max_cubes` partial or
/// complete label choices holding allowed external requests.
fn minimal_cubes(
    space: &mut Space,
    base: &Expr,
    dims: &[Dimension],
    limits: &SearchLimits,
) -> Result<Cubes, String> {
    let own = own_requests(dims);
    let too_many = || {
        format!(
            "budget: more than {} label combinations hold allowed external requests",
            limits.max_cubes
        )
    };
    // All cubes in one walk of `base`'s diagram; the step-by-step walk when the labels read
    // too many variables together for it.
    let choices = match space.choices(base, &own, limits.max_cubes)? {
        ChoiceSearch::Found(choices) => choices,
        ChoiceSearch::TooMany => return Err(too_many()),
        ChoiceSearch::Unsupported => {
            return stepwise_cubes(space, base, &own, limits).map(Cubes::Stepwise);
        }
    };
    let cubes = choices.found();
    // The budget counts what the step-by-step walk holds: every partial choice (the first `k`
    // dimensions, for each `k`) that some cube extends.
    let mut examined = 0usize;
    for depth in 1..=dims.len() {
        let mut prefixes: Vec<&[usize]> = cubes.iter().filter_map(|c| c.get(..depth)).collect();
        prefixes.dedup();
        examined += prefixes.len();
    }
    if examined > limits.max_cubes {
        return Err(too_many());
    }
    Ok(Cubes::Walked(choices))
}

/// `own[d][l]`: the requests whose label in dimension `d` is `l` and none of its children.
fn own_requests(dims: &[Dimension]) -> Vec<Vec<Expr>> {
    dims.iter()
        .map(|dim| {
            dim.labels
                .iter()
                .zip(&dim.children)
                .map(|(label, children)| {
                    let refined = Expr::any(
                        children
                            .iter()
                            .filter_map(|&c| dim.labels.get(c).map(|l| l.expr.clone())),
                    );
                    label.expr.clone().and(refined.negate()).shared()
                })
                .collect()
        })
        .collect()
}

/// The cubes of [`minimal_cubes`].
enum Cubes {
    /// Found in one walk, which also writes their witnesses.
    Walked(Choices),
    /// Found one question at a time, each with its requests.
    Stepwise(Vec<(Vec<usize>, Expr)>),
}

/// [`minimal_cubes`] one question at a time: a depth-first walk over the dimensions keeps the
/// requests of a partial choice of labels and prunes it as soon as none is left. Each step is
/// one conjunction of decision diagrams.
fn stepwise_cubes(
    space: &mut Space,
    base: &Expr,
    own: &[Vec<Expr>],
    limits: &SearchLimits,
) -> Result<Vec<(Vec<usize>, Expr)>, String> {
    let mut found = Vec::new();
    // Depth-first, labels in index order, so the cubes come out in lexicographic order.
    let mut stack: Vec<(Vec<usize>, Expr)> = vec![(Vec::new(), base.clone())];
    let mut examined = 0usize;
    while let Some((prefix, requests)) = stack.pop() {
        let Some(labels) = own.get(prefix.len()) else {
            found.push((prefix, requests));
            continue;
        };
        let last = prefix.len() + 1 == own.len();
        for (l, own_requests) in labels.iter().enumerate().rev() {
            // Each choice is tested before its diagram is built; the last dimension's diagrams
            // are built only for the findings kept.
            if !space.meets(&requests, own_requests)? {
                continue;
            }
            let next = requests.clone().and(own_requests.clone());
            let next = if last { next } else { next.shared() };
            examined += 1;
            if examined > limits.max_cubes {
                return Err(format!(
                    "budget: more than {} label combinations hold allowed external requests",
                    limits.max_cubes
                ));
            }
            let mut cube = prefix.clone();
            cube.push(l);
            stack.push((cube, next));
        }
    }
    Ok(found)
}

/// `Yes` → the witness, `No` → `None`, `Unknown` → the reason.
fn decide(answer: Answer) -> Result<Option<Witness>, String> {
    match answer {
        Answer::Yes(w) => Ok(Some(w)),
        Answer::No => Ok(None),
        Answer::Unknown(reason) => Err(reason),
    }
}

/// Requests from outside the zone: IAM callers of other accounts (and, for an organization
/// zone, not in the organization), federated and anonymous callers, canonical users other than
/// the zone's own. Service principals are never external (Access Analyzer reports no finding
/// for them).
///
/// A request on behalf of a resource of the zone — `aws:SourceAccount`, `aws:SourceOwner` or
/// the account of `aws:SourceArn` in the zone — is trusted whoever the caller, as Access
/// Analyzer treats these keys (an in-zone value makes access internal, another value scopes the
/// finding). Callers other than IAM principals carry no organization keys.
/// Whether `statement` might allow some caller outside `zone`: `false` only for a statement that
/// cannot allow anything (a `Deny`) or whose `Principal` names nothing but service principals,
/// the zone's own accounts and IAM principals (without wildcards), and the zone's canonical
/// users. A policy without such a statement grants no external access, whatever its
/// conditions, actions and resources, so it needs no search: most resource policies of an
/// account (service-linked trust, the default key policy) end here in microseconds.
fn may_admit_outsiders(statement: &keyhole_policy::Statement, zone: &Zone) -> bool {
    use keyhole_policy::{Effect, Principal, PrincipalType};
    match statement.effect.as_ref().map(|e| e.value) {
        Some(Effect::Deny) => return false,
        Some(Effect::Allow) => {}
        None => return true,
    }
    let Some(element) = &statement.principal else {
        return true;
    };
    if element.value.negated {
        return true;
    }
    let in_zone_iam = |name: &str| {
        if name.contains(['*', '?', '$']) {
            return false;
        }
        if name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit()) {
            return zone.accounts.contains(name);
        }
        let mut fields = name.splitn(6, ':');
        let (Some("arn"), Some(_), Some("iam" | "sts"), Some(""), Some(account), Some(_)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return false;
        };
        zone.accounts.contains(account)
    };
    match &element.value.principal {
        Principal::Wildcard => true,
        Principal::AwsShorthand(name) => !in_zone_iam(&name.value),
        Principal::Typed(entries) => entries.iter().any(|(kind, names)| match kind.value {
            PrincipalType::Service => false,
            PrincipalType::Aws => names.iter().any(|n| !in_zone_iam(&n.value)),
            PrincipalType::CanonicalUser => {
                names.iter().any(|n| !zone.canonical_ids.contains(&n.value))
            }
            PrincipalType::Federated => true,
        }),
    }
}

fn external(space: &mut Space, zone: &Zone, policy: &Policy) -> Result<Expr, String> {
    let eq = plain(BaseOperator::StringEquals);
    let accounts: Vec<&str> = zone.accounts.iter().map(String::as_str).collect();
    let mut trusted_source = Vec::new();
    // `s3:DataAccessPointAccount` in the zone: the request came through one of the zone's
    // access points, whose own policy is analysed with the access point.
    for key in [
        "aws:SourceAccount",
        "aws:SourceOwner",
        "s3:DataAccessPointAccount",
    ] {
        if mentions(policy, key) && !accounts.is_empty() {
            trusted_source.push(space.condition(eq, key, &accounts, false)?);
        }
    }
    if mentions(policy, "aws:SourceArn") && !accounts.is_empty() {
        let arn_like = plain(BaseOperator::ArnLike);
        let patterns: Vec<String> = accounts
            .iter()
            .map(|a| format!("arn:*:*:*:{a}:*"))
            .collect();
        let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
        trusted_source.push(space.condition(arn_like, "aws:SourceArn", &patterns, false)?);
    }
    let null_true = plain(BaseOperator::Null);
    let mut no_principal_keys = Vec::new();
    for key in ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"] {
        if mentions(policy, key) {
            no_principal_keys.push(space.condition(null_true, key, &["true"], false)?);
        }
    }
    let callers = callers(space, zone, &accounts, policy, Expr::all(no_principal_keys))?;
    Ok(callers.and(Expr::any(trusted_source).negate()))
}

/// Callers outside the zone (see [`external`]).
fn callers(
    space: &mut Space,
    zone: &Zone,
    accounts: &[&str],
    policy: &Policy,
    keyless: Expr,
) -> Result<Expr, String> {
    let aws = space.caller_kind(&[CallerKind::Aws]);
    let inside = space.caller_account_in(accounts);
    let mut aws_outside = aws.and(inside.negate());
    if let Some(org) = &zone.org_id {
        let not_org = plain(BaseOperator::StringNotEquals);
        let outside_org = space.condition(not_org, "aws:PrincipalOrgID", &[org.as_str()], false)?;
        aws_outside = aws_outside.and(outside_org);
        if mentions(policy, "aws:PrincipalOrgPaths") {
            // A caller outside the organization has no path under it.
            let not_under = ConditionOperator {
                qualifier: Some(keyhole_policy::condition::SetQualifier::ForAllValues),
                base: BaseOperator::StringNotLike,
                if_exists: false,
            };
            let under = format!("{org}/*");
            let outside_paths =
                space.condition(not_under, "aws:PrincipalOrgPaths", &[under.as_str()], false)?;
            aws_outside = aws_outside.and(outside_paths);
        }
    }
    let others = space
        .caller_kind(&[CallerKind::Federated, CallerKind::Anonymous])
        .and(keyless.clone());
    let canonical = space.caller_kind(&[CallerKind::CanonicalUser]);
    let own_canonical = Expr::any(
        zone.canonical_ids
            .iter()
            // Canonical ids are hexadecimal: as a glob, an id matches itself only.
            .map(|id| space.caller_name_like(id))
            .collect::<Vec<_>>(),
    );
    Ok(Expr::any([
        aws_outside,
        others,
        canonical.and(own_canonical.negate()).and(keyless),
    ]))
}

fn mentions(policy: &Policy, key: &str) -> bool {
    policy.statements.iter().any(|st| {
        st.value.condition.iter().any(|c| {
            c.value.iter().any(|clause| {
                clause
                    .entries
                    .iter()
                    .any(|e| e.key.value.eq_ignore_ascii_case(key))
            })
        })
    })
}

/// A plain condition operator (no set qualifier, no `IfExists`).
pub(crate) fn plain(base: BaseOperator) -> ConditionOperator {
    ConditionOperator {
        qualifier: None,
        base,
        if_exists: false,
    }
}

/// The dimensions of `policy`: the principal, then each scoping key it mentions, in order of
/// first appearance.
fn dimensions(
    space: &mut Space,
    policy: &Policy,
    limits: &SearchLimits,
) -> Result<Vec<Dimension>, String> {
    let mut principal = Dimension {
        key: None,
        labels: vec![Label {
            shown: None,
            operator: None,
            expr: Expr::always(),
        }],
        principals: vec![PrincipalLabel {
            kind: "AWS".to_owned(),
            value: "*".to_owned(),
        }],
        below: Vec::new(),
        children: Vec::new(),
    };
    let mut keys: Vec<Dimension> = Vec::new();
    let vars = policy.supports_variables();
    for st in policy.statements.iter() {
        if let Some(pe) = &st.value.principal {
            for (kind, value) in principal_values(&pe.value.principal) {
                let label = PrincipalLabel {
                    kind: kind.as_str().to_owned(),
                    value: shown_principal(kind, &value),
                };
                if label.value == "*" {
                    continue;
                }
                let element = Principal::Typed(vec![(
                    Spanned::new(kind, Default::default()),
                    OneOrMany {
                        items: vec![Spanned::new(value.clone(), Default::default())],
                        form: Default::default(),
                    },
                )]);
                let expr = space.names(&element)?;
                // Two spellings of one principal (`arn:aws:iam::A:root` and `A`) share a label;
                // it stands for the callers either names, so neither spelling's callers fall
                // through to the `*` label.
                if let Some(existing) = principal.principals.iter().position(|p| *p == label) {
                    if let Some(known) = principal.labels.get_mut(existing) {
                        known.expr = known.expr.clone().or(expr);
                    }
                    continue;
                }
                principal.labels.push(Label {
                    shown: Some(value),
                    operator: None,
                    expr,
                });
                principal.principals.push(label);
            }
        }
        for clause in st.value.condition.iter().flat_map(|c| c.value.iter()) {
            let op = clause.operator.value;
            if op.base == BaseOperator::Null {
                continue;
            }
            for entry in &clause.entries {
                let Some(key) = canonical_finding_key(&entry.key.value) else {
                    continue;
                };
                // A label keeps the set qualifier: `ForAnyValue:StringEquals X` describes the
                // requests with X among the key's values, multivalued ones included.
                let positive = ConditionOperator {
                    qualifier: op.qualifier,
                    // A label describes the requests the value *matches*: the positive form.
                    base: op.base.positive(),
                    if_exists: false,
                };
                let index = match keys.iter().position(|d| d.key.as_deref() == Some(&key)) {
                    Some(i) => i,
                    None => {
                        keys.push(Dimension {
                            key: Some(key.clone()),
                            labels: vec![Label {
                                shown: None,
                                operator: None,
                                expr: Expr::always(),
                            }],
                            principals: Vec::new(),
                            below: Vec::new(),
                            children: Vec::new(),
                        });
                        keys.len() - 1
                    }
                };
                let Some(dim) = keys.get_mut(index) else {
                    continue;
                };
                for value in entry.values.iter() {
                    let text = value.value.text.as_str();
                    if dim.labels.iter().any(|l| l.shown.as_deref() == Some(text)) {
                        continue;
                    }
                    let mut expr = space.condition(positive, &entry.key.value, &[text], vars)?;
                    if positive.qualifier == Some(SetQualifier::ForAllValues) {
                        // `ForAllValues` also holds when the key is absent: a caller without
                        // the key is not one the value scopes, so it stays under `*` (a
                        // `Principal: "*"` statement scoped only this way is public).
                        let present = space.condition(
                            plain(BaseOperator::Null),
                            &entry.key.value,
                            &["false"],
                            false,
                        )?;
                        expr = expr.and(present);
                    }
                    dim.labels.push(Label {
                        shown: Some(text.to_owned()),
                        operator: Some(positive),
                        expr,
                    });
                }
            }
        }
    }
    let mut all = vec![principal];
    all.extend(keys);
    for dim in &all {
        if dim.labels.len() > limits.max_labels {
            return Err(format!(
                "budget: more than {} distinct values for {}",
                limits.max_labels,
                dim.key.as_deref().unwrap_or("the principal")
            ));
        }
    }
    Ok(all)
}

/// Every (type, value) a `Principal` element lists.
fn principal_values(principal: &Principal) -> Vec<(PrincipalType, String)> {
    match principal {
        Principal::Wildcard => vec![(PrincipalType::Aws, "*".to_owned())],
        Principal::AwsShorthand(v) => vec![(PrincipalType::Aws, v.value.clone())],
        Principal::Typed(entries) => entries
            .iter()
            .flat_map(|(ty, values)| values.iter().map(move |v| (ty.value, v.value.clone())))
            .filter(|(ty, _)| *ty != PrincipalType::Service)
            .collect(),
    }
}

/// How a finding shows a principal value: an account root as the bare account id.
fn shown_principal(kind: PrincipalType, value: &str) -> String {
    if kind == PrincipalType::Aws
        && let Some(arn) = keyhole_policy::arn::Arn::parse(value)
        && arn.service == "iam"
        && arn.resource == "root"
    {
        return arn.account;
    }
    value.to_owned()
}

/// Orders a dimension's labels by inclusion and finds each label's immediate refinements.
/// Labels describing the same requests as an earlier one are dropped.
fn order(space: &mut Space, dim: &mut Dimension, universe: &Expr) -> Result<(), String> {
    let n = dim.labels.len();
    // Label `i` lies below label `j` when its well-formed requests are all `j`'s. Label 0 is
    // `*`: above every label, and below none but itself.
    let mut below: Vec<Vec<bool>> = (0..n)
        .map(|i| (0..n).map(|j| i == j || j == 0).collect())
        .collect();
    if n > 2 {
        let exprs: Vec<Expr> = dim.labels.iter().skip(1).map(|l| l.expr.clone()).collect();
        let inclusions = space.inclusions(universe, &exprs)?;
        for (row, known) in below.iter_mut().skip(1).zip(inclusions) {
            for (slot, inside) in row.iter_mut().skip(1).zip(known) {
                *slot = inside;
            }
        }
    }
    let le = |i: usize, j: usize| below.get(i).and_then(|r| r.get(j)).copied() == Some(true);
    // Drop later duplicates (mutual inclusion).
    let keep: Vec<usize> = (0..n)
        .filter(|&i| !(0..i).any(|j| le(i, j) && le(j, i)))
        .collect();
    let labels = std::mem::take(&mut dim.labels);
    let principals = std::mem::take(&mut dim.principals);
    let mut new_labels = Vec::new();
    let mut new_principals = Vec::new();
    for (i, (label, p)) in labels
        .into_iter()
        .zip(
            principals
                .into_iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .enumerate()
    {
        if keep.contains(&i) {
            new_labels.push(label);
            if let Some(p) = p {
                new_principals.push(p);
            }
        }
    }
    dim.labels = new_labels;
    dim.principals = new_principals;
    let m = keep.len();
    let mut new_below = vec![vec![false; m]; m];
    for (a, &i) in keep.iter().enumerate() {
        for (b, &j) in keep.iter().enumerate() {
            if let Some(slot) = new_below.get_mut(a).and_then(|row| row.get_mut(b)) {
                *slot = le(i, j);
            }
        }
    }
    let strictly = |a: usize, b: usize| {
        a != b
            && new_below.get(a).and_then(|r| r.get(b)).copied() == Some(true)
            && new_below.get(b).and_then(|r| r.get(a)).copied() != Some(true)
    };
    dim.children = (0..m)
        .map(|parent| {
            (0..m)
                .filter(|&c| {
                    strictly(c, parent)
                        && !(0..m).any(|mid| strictly(c, mid) && strictly(mid, parent))
                })
                .collect()
        })
        .collect();
    dim.below = new_below;
    Ok(())
}

/// Access Analyzer's `isPublic`, by S3's definition of a non-public policy: a grant is not
/// public when a fixed principal names who gets in, or when a scoping key pins the caller or
/// the calling service to fixed values — `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`,
/// `aws:SourceOwner`, `aws:SourceAccount`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`,
/// `aws:PrincipalAccount`, `aws:PrincipalArn` (its account fixed), `aws:userid` (other than a
/// role's `AROLEID:*`), `kms:CallerAccount`, `lambda:EventSourceToken`, a federated claim, or an
/// `aws:SourceIp` block narrower than the whole address space. Federated and canonical-user
/// principals are never public.
#[must_use]
pub fn is_public(principal: &PrincipalLabel, condition: &BTreeMap<String, String>) -> bool {
    if principal.kind != "AWS" || principal.value != "*" {
        return false;
    }
    !condition.iter().any(|(key, value)| pins(key, value))
}

fn pins(key: &str, value: &str) -> bool {
    let all_wild = value.chars().all(|c| c == '*' || c == '?');
    if value.is_empty() || all_wild {
        return false;
    }
    let k = key.to_ascii_lowercase();
    match k.as_str() {
        "aws:sourceip" => keyhole_policy::value::IpRange::parse(value).is_some_and(|r| {
            !(r.first == 0
                && r.last
                    == if r.v6 {
                        u128::MAX
                    } else {
                        u128::from(u32::MAX)
                    })
        }),
        // Another account's access point may let anyone in: Access Analyzer reports a bucket
        // that delegates to one as public (a value in the zone is internal, `external`).
        "s3:dataaccesspointaccount" => false,
        "aws:principalarn" | "aws:sourcearn" | "s3:dataaccesspointarn" => {
            // A pattern whose `*` may cross `:` still pins the account when it spells one.
            let spells_account = value.split(':').any(keyhole_policy::arn::is_account_id);
            match keyhole_policy::arn::split_arn(value) {
                _ if spells_account => true,
                Some(fields) => {
                    fields
                        .get(4)
                        .is_some_and(|account| !account.contains(['*', '?']) && !account.is_empty())
                        || (fields.get(4).is_some_and(|a| a.is_empty())
                            && !value.contains(['*', '?']))
                }
                None => false,
            }
        }
        "aws:userid" => !value.ends_with(":*"),
        "sts:externalid" => false,
        _ => !value.contains('*'),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use std::collections::{BTreeSet, VecDeque};

    use super::*;

    /// Access Analyzer's worklist as published (AccessRefinery's re-implementation): from the
    /// all-`*` cube down, emit a cube holding an allowed request outside all its one-step
    /// refinements, otherwise visit the refinements. The reference for [`minimal_cubes`].
    fn worklist_cubes(search: &mut Search) -> Vec<(Vec<usize>, Expr)> {
        let dims = &search.dims;
        let cube_expr = |cube: &[usize]| -> Expr {
            Expr::all(
                cube.iter()
                    .zip(dims)
                    .map(|(&l, d)| d.labels[l].expr.clone()),
            )
        };
        let mut emitted = Vec::new();
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::new();
        let top = vec![0usize; dims.len()];
        seen.insert(top.clone());
        queue.push_back(top);
        while let Some(cube) = queue.pop_front() {
            let inside = search.base.clone().and(cube_expr(&cube));
            if !search.space.satisfiable(&inside).unwrap() {
                continue;
            }
            let mut refinements = Vec::new();
            for (d, dim) in dims.iter().enumerate() {
                for &child in &dim.children[cube[d]] {
                    let mut next = cube.clone();
                    next[d] = child;
                    refinements.push(next);
                }
            }
            let uncovered =
                inside.and(Expr::any(refinements.iter().map(|r| cube_expr(r))).negate());
            if search.space.satisfiable(&uncovered).unwrap() {
                emitted.push((cube, uncovered));
                continue;
            }
            for r in refinements {
                if seen.insert(r.clone()) {
                    queue.push_back(r);
                }
            }
        }
        emitted
    }

    /// xorshift64: deterministic policies without a dependency.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            usize::try_from(self.0 % n as u64).unwrap()
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// Policies whose keys have overlapping, nested and incomparable values, so that label
    /// lattices have several levels and several minimal labels per request.
    fn policy(rng: &mut Rng) -> Policy {
        let principals = [
            r#""*""#,
            r#"{"AWS": "444455556666"}"#,
            r#"{"AWS": "arn:aws:iam::444455556666:role/r"}"#,
            r#"{"AWS": ["777788889999", "arn:aws:iam::444455556666:root"]}"#,
            r#"{"Federated": "accounts.google.com"}"#,
        ];
        let entries: [(&str, &str, &[&str]); 6] = [
            (
                "StringLike",
                "aws:PrincipalArn",
                &[
                    "arn:aws:iam::444455556666:*",
                    "arn:aws:iam::444455556666:role/*",
                    "arn:aws:iam::*:role/a*",
                    "arn:aws:iam::444455556666:role/ab",
                ],
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                &["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.128.0.0/9"],
            ),
            (
                "StringLike",
                "aws:PrincipalOrgID",
                &["o-a*", "o-ab", "o-*b", "o-zz"],
            ),
            ("StringEquals", "aws:SourceVpce", &["vpce-1", "vpce-2"]),
            (
                "StringEquals",
                "aws:PrincipalAccount",
                &["444455556666", "777788889999"],
            ),
            ("StringLike", "aws:Referer", &["*.example.com"]),
        ];
        let mut statements = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let effect = if rng.below(5) == 0 { "Deny" } else { "Allow" };
            // operator → key → values (a key once per operator, as JSON objects need).
            let mut conditions: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
            for _ in 0..rng.below(4) {
                let (op, key, values) = entries[rng.below(entries.len())];
                let chosen = conditions.entry(op).or_default().entry(key).or_default();
                for _ in 0..1 + rng.below(2) {
                    chosen.push(format!("\"{}\"", rng.pick(values)));
                }
            }
            let condition: Vec<String> = conditions
                .iter()
                .map(|(op, keys)| {
                    let keys: Vec<String> = keys
                        .iter()
                        .map(|(key, values)| format!("\"{key}\": [{}]", values.join(",")))
                        .collect();
                    format!("\"{op}\": {{{}}}", keys.join(","))
                })
                .collect();
            statements.push(format!(
                r#"{{"Effect": "{effect}", "Principal": {}, "Action": "{}", "Resource": "arn:aws:s3:::b/*", "Condition": {{{}}}}}"#,
                rng.pick(&principals),
                rng.pick(&["s3:GetObject", "s3:*", "s3:Put*"]),
                condition.join(",")
            ));
        }
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
            statements.join(",")
        );
        keyhole_policy::parse_policy(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// The cubes of a list, in order.
    fn cube_list<T>(found: &[(Vec<usize>, T)]) -> Vec<Vec<usize>> {
        found.iter().map(|(c, _)| c.clone()).collect()
    }

    /// [`maximal`] by comparing every pair of cubes.
    fn pairwise_maximal<T>(
        cubes: Vec<(Vec<usize>, T)>,
        dims: &[Dimension],
    ) -> Vec<(Vec<usize>, T)> {
        let dominated: Vec<bool> = cubes
            .iter()
            .map(|(cube, _)| {
                cubes.iter().any(|(other, _)| {
                    other != cube && covered(cube, other, dims) && !covered(other, cube, dims)
                })
            })
            .collect();
        undominated(cubes, &dominated)
    }

    /// Bucket `b` and every S3 action on it.
    fn bucket_b() -> Target {
        Target {
            resource: "arn:aws:s3:::b".to_owned(),
            resource_patterns: vec!["arn:aws:s3:::b".to_owned(), "arn:aws:s3:::b/*".to_owned()],
            action_patterns: vec!["s3:*".to_owned()],
            actions: crate::actions::of_service("s3"),
            requires: Vec::new(),
        }
    }

    /// `StringEquals` compares a `*` as a character: a bucket that lets anyone list the
    /// prefix `home/*` is reachable (before, the value matched nothing and the access was
    /// missed). The caller chooses `s3:prefix`, so the finding is public and unconditional,
    /// and its witness lists exactly that prefix.
    #[test]
    fn an_equals_value_with_a_star_is_a_literal_grant() {
        let policy = keyhole_policy::parse_policy(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                "Condition": {"StringEquals": {"s3:prefix": "home/*"}}}]}"#,
        )
        .unwrap();
        let target = bucket_b();
        let found = external_access(
            &policy,
            &target,
            &Zone::account("111122223333"),
            &SearchLimits::default(),
        )
        .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let access = &found[0];
        assert_eq!(
            (
                access.principal.kind.as_str(),
                access.principal.value.as_str()
            ),
            ("AWS", "*")
        );
        assert!(access.condition.is_empty(), "{access:?}");
        assert!(is_public(&access.principal, &access.condition));
        assert_eq!(access.actions, ["s3:ListBucket"]);
        assert_eq!(
            access.witness.context.get("s3:prefix"),
            Some(&keyhole_policy::request::ContextValue::Single(
                "home/*".to_owned()
            ))
        );
    }

    /// The walk over `base`'s diagram and the depth-first search over own requests find
    /// exactly the worklist's findings, with the same witness requests.
    #[test]
    fn minimal_cubes_agree_with_the_worklist() {
        let target = bucket_b();
        let zone = Zone::account("111122223333");
        let limits = SearchLimits::default();
        let mut rng = Rng(0x5eed_cafe_f00d);
        let mut findings = 0;
        for _ in 0..600 {
            let policy = policy(&mut rng);
            let Some(mut search) = Search::new(&policy, &target, &zone, &limits).unwrap() else {
                continue;
            };
            let emitted = worklist_cubes(&mut search);
            let reference = maximal(emitted.clone(), &search.dims);
            assert_eq!(
                cube_list(&reference),
                cube_list(&pairwise_maximal(emitted, &search.dims))
            );
            let own = own_requests(&search.dims);
            let stepwise = maximal(
                stepwise_cubes(&mut search.space, &search.base, &own, &limits).unwrap(),
                &search.dims,
            );
            let Cubes::Walked(mut choices) =
                minimal_cubes(&mut search.space, &search.base, &search.dims, &limits).unwrap()
            else {
                panic!("the walk does not take {policy:?}");
            };
            let found: Vec<(Vec<usize>, ())> =
                choices.found().iter().map(|c| (c.clone(), ())).collect();
            let walked = maximal(found.clone(), &search.dims);
            assert_eq!(
                cube_list(&walked),
                cube_list(&pairwise_maximal(found, &search.dims))
            );
            let cubes = |found: &[(Vec<usize>, Expr)]| -> BTreeSet<Vec<usize>> {
                found.iter().map(|(c, _)| c.clone()).collect()
            };
            assert_eq!(cubes(&reference), cubes(&stepwise), "{policy:?}");
            let walked_cubes: BTreeSet<Vec<usize>> =
                walked.iter().map(|(c, ())| c.clone()).collect();
            assert_eq!(cubes(&reference), walked_cubes, "{policy:?}");
            let witnesses = |found: &[(Vec<usize>, Expr)], space: &mut Space| {
                let mut w: Vec<(Vec<usize>, String)> = found
                    .iter()
                    .map(|(c, e)| (c.clone(), format!("{:?}", space.solve(e))))
                    .collect();
                w.sort();
                w
            };
            let expected = witnesses(&reference, &mut search.space);
            assert_eq!(expected, witnesses(&stepwise, &mut search.space));
            let mut from_walk: Vec<(Vec<usize>, String)> = walked
                .iter()
                .map(|(c, ())| {
                    let w = search.space.choice_witness(&mut choices, c);
                    (c.clone(), format!("{w:?}"))
                })
                .collect();
            from_walk.sort();
            assert_eq!(expected, from_walk, "{policy:?}");
            let fast = walked;
            // Both walks run out of the same budgets.
            for max_cubes in [1, 2, 3, 5, 8, 13, 21] {
                let tight = SearchLimits {
                    max_cubes,
                    ..limits
                };
                let walk = minimal_cubes(&mut search.space, &search.base, &search.dims, &tight);
                let step = stepwise_cubes(&mut search.space, &search.base, &own, &tight);
                assert_eq!(walk.is_err(), step.is_err(), "{max_cubes}: {policy:?}");
            }
            findings += fast.len();
        }
        assert!(
            findings > 600,
            "the generator makes too few findings: {findings}"
        );
    }
}
