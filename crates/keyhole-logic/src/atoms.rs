//! Atomization (ENGINE.md §4): each variable's domain split into the non-empty regions on
//! which every test of the query is constant.
//!
//! A condition key's atoms are its *absent* value, a multivalued (set) value, for typed keys a
//! single value that does not parse as the type, and the regions of single values cut out by
//! the query's sets. The action and the resource have only regions; the resource ranges over
//! concrete strings (no `*` or `?`, which the concrete evaluator would read as a pattern).
//!
//! Regions of numbers, dates, addresses and enumerations are refined set by set with the
//! domain algebra (empty pieces dropped). Regions of strings come from one automaton over every
//! pattern of the variable (`crate::domain::multiglob`): its states' signatures (which sets
//! hold) are the regions, numbered in the same order as refining set by set would give, so no
//! automaton is built or minimised per region. The algebra of [`crate::StringSet`] is the
//! reference the split is tested against.
//!
//! The elements of a multivalued value range over the same atoms (the value atoms, and the
//! malformed atom of a typed key): for a key read under `ForAnyValue:`/`ForAllValues:`, the
//! decision diagram adds one membership flag per element atom (`crate::query::Compiled`).

use std::sync::{Arc, OnceLock};

use crate::GlobToken;
use crate::domain::date::{DateSet, Timestamp};
use crate::domain::finite::FiniteSet;
use crate::domain::glob::{Alphabet, Case};
use crate::domain::ip::IpSet;
use crate::domain::multiglob::{Formula, Pattern, StringAtoms};
use crate::domain::number::NumberSet;
use crate::encode::{KeyType, PrincipalKind, SetExpr, Test, Var};

/// A set of single values of one variable.
#[derive(Clone, Debug)]
pub(crate) enum Region {
    /// One atom of a string variable's split.
    Str(Arc<StringAtoms>, usize),
    Num(NumberSet),
    Date(DateSet),
    Ip(IpSet),
    Bool(FiniteSet<bool>),
    Kind(FiniteSet<PrincipalKind>),
    /// Presence-only keys: any single value, or none.
    Any(bool),
}

impl PartialEq for Region {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Region::Str(a, i), Region::Str(b, j)) => Arc::ptr_eq(a, b) && i == j,
            (Region::Num(a), Region::Num(b)) => a == b,
            (Region::Date(a), Region::Date(b)) => a == b,
            (Region::Ip(a), Region::Ip(b)) => a == b,
            (Region::Bool(a), Region::Bool(b)) => a == b,
            (Region::Kind(a), Region::Kind(b)) => a == b,
            (Region::Any(a), Region::Any(b)) => a == b,
            _ => false,
        }
    }
}

const MISMATCH: &str = "internal: sets of different types were combined";

impl Region {
    fn intersect(&self, other: &Region) -> Result<Region, String> {
        Ok(match (self, other) {
            (Region::Num(a), Region::Num(b)) => Region::Num(a.intersect(b)),
            (Region::Date(a), Region::Date(b)) => Region::Date(a.intersect(b)),
            (Region::Ip(a), Region::Ip(b)) => Region::Ip(a.intersect(b)),
            (Region::Bool(a), Region::Bool(b)) => Region::Bool(a.intersect(*b)),
            (Region::Kind(a), Region::Kind(b)) => Region::Kind(a.intersect(*b)),
            (Region::Any(a), Region::Any(b)) => Region::Any(*a && *b),
            _ => return Err(MISMATCH.to_owned()),
        })
    }

    fn union(&self, other: &Region) -> Result<Region, String> {
        Ok(match (self, other) {
            (Region::Num(a), Region::Num(b)) => Region::Num(a.union(b)),
            (Region::Date(a), Region::Date(b)) => Region::Date(a.union(b)),
            (Region::Ip(a), Region::Ip(b)) => Region::Ip(a.union(b)),
            (Region::Bool(a), Region::Bool(b)) => Region::Bool(a.union(*b)),
            (Region::Kind(a), Region::Kind(b)) => Region::Kind(a.union(*b)),
            (Region::Any(a), Region::Any(b)) => Region::Any(*a || *b),
            _ => return Err(MISMATCH.to_owned()),
        })
    }

    fn difference(&self, other: &Region) -> Result<Region, String> {
        Ok(match (self, other) {
            (Region::Num(a), Region::Num(b)) => Region::Num(a.difference(b)),
            (Region::Date(a), Region::Date(b)) => Region::Date(a.difference(b)),
            (Region::Ip(a), Region::Ip(b)) => Region::Ip(a.difference(b)),
            (Region::Bool(a), Region::Bool(b)) => Region::Bool(a.difference(*b)),
            (Region::Kind(a), Region::Kind(b)) => Region::Kind(a.difference(*b)),
            (Region::Any(a), Region::Any(b)) => Region::Any(*a && !*b),
            _ => return Err(MISMATCH.to_owned()),
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Region::Str(..) => false,
            Region::Num(a) => a.is_empty(),
            Region::Date(a) => a.is_empty(),
            Region::Ip(a) => a.is_empty(),
            Region::Bool(a) => a.is_empty(),
            Region::Kind(a) => a.is_empty(),
            Region::Any(a) => !a,
        }
    }
}

fn budget(e: crate::DomainError) -> String {
    format!("budget: {e}")
}

/// The special values of a condition key, and the regions of single values.
#[derive(Clone, Debug)]
pub(crate) enum Atom {
    /// The key is not in the request.
    Absent,
    /// The key has a multivalued (set) value.
    Multi,
    /// The key's single value does not parse as the key's type.
    Malformed,
    /// A single value in this region.
    Value(Region),
}

/// What the atoms of one variable look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    /// Action: strings.
    Action,
    /// Resource: strings without `*` and `?`.
    Resource,
    /// The caller's kind.
    PrincipalKind,
    /// The caller's ARN or name.
    Principal,
    /// A condition key of a type.
    Key(KeyType),
}

/// The atoms of one variable. The atoms, preferred sets and witness values are shared with
/// every other query that splits the variable by the same sets.
#[derive(Debug)]
pub(crate) struct VarAtoms {
    pub(crate) var: Var,
    pub(crate) atoms: Arc<[Atom]>,
    /// Per atom, its witness value once computed.
    pub(crate) values: Arc<[OnceLock<Result<AtomValue, String>>]>,
}

/// A concrete value of one atom.
#[derive(Clone, Debug)]
pub(crate) enum AtomValue {
    /// The key is absent.
    Absent,
    /// A multivalued value (its elements come from membership flags).
    Multi,
    /// A single value.
    Text(String),
    /// A caller kind.
    Kind(PrincipalKind),
}

/// The preferred witness shapes of a string variable as patterns, built once per shape.
fn preferred_patterns(shape: Shape) -> Arc<[Pattern]> {
    static BY_SHAPE: OnceLock<[Arc<[Pattern]>; 3]> = OnceLock::new();
    let build = |shape: Shape| -> Arc<[Pattern]> {
        preferred_globs(shape)
            .into_iter()
            .map(|(glob, arn)| Pattern::wildcard(glob, arn))
            .collect()
    };
    let [action, resource, principal] = BY_SHAPE.get_or_init(|| {
        [
            build(Shape::Action),
            build(Shape::Resource),
            build(Shape::Principal),
        ]
    });
    match shape {
        Shape::Action => Arc::clone(action),
        Shape::Resource => Arc::clone(resource),
        Shape::Principal => Arc::clone(principal),
        Shape::PrincipalKind | Shape::Key(_) => Arc::from([]),
    }
}

/// The split's pattern of an `ArnLike` token sequence. One whose first five fields are
/// literal matches exactly what its text matches as a case-sensitive glob (its wildcards all
/// lie in the resource field, where they may cross `:`, and both compile to the same steps),
/// so it is read as that glob: a policy's `"Resource": "arn:aws:s3:::b/*"` and a target
/// restricted to `arn:aws:s3:::b/*` are then one pattern of the resource's split, not two (every
/// resource of an account splits its own ARN; the duplicates doubled those automata).
fn arn_pattern(tokens: &[GlobToken]) -> Pattern {
    let mut separators = 0;
    for token in tokens {
        match token {
            GlobToken::Char(':') => {
                separators += 1;
                if separators == 5 {
                    return Pattern::Glob {
                        tokens: tokens.to_vec(),
                        case: Case::Sensitive,
                    };
                }
            }
            GlobToken::Char(_) => {}
            GlobToken::AnyChar | GlobToken::AnyString => break,
        }
    }
    Pattern::Arn(tokens.to_vec())
}

/// Preferred witness shapes per string variable.
fn preferred_globs(shape: Shape) -> Vec<(&'static str, bool)> {
    match shape {
        Shape::Action => vec![("s3:Get?*", false), ("?*:?*", false)],
        Shape::Resource => vec![
            ("arn:aws:s3:::?*", true),
            ("arn:aws:*:*:*:?*", true),
            ("arn:*:*:*:*:?*", true),
        ],
        // Well-formed IAM principals first (a user, a role, a role session, an account root, in
        // the witness account and then in any account the policy pins), so that a witness is a
        // caller AWS could actually see; looser shapes only when the atom excludes all of these.
        Shape::Principal => vec![
            ("arn:aws:iam::111122223333:user/?*", true),
            // Another account with a plausible (twelve-digit) id, with no digit the first
            // shape does not list: `?` would pick letters.
            ("arn:aws:iam::111111111111:user/?*", true),
            ("arn:aws:iam::????????????:user/?*", true),
            ("arn:aws:iam::????????????:role/?*", true),
            ("arn:aws:sts::????????????:assumed-role/?*/?*", true),
            ("arn:aws:iam::????????????:root", true),
            ("arn:aws:iam::111122223333:?*", true),
            ("arn:aws:*:*:111122223333:?*", true),
            (ANY_AWS_ARN, true),
            ("?*.amazonaws.com", false),
        ],
        _ => vec![],
    }
}

/// The preferred witness shape of a string variable that holds every shape before it, if one
/// does: when the atom has no word of that shape, it has none of the shapes before it either,
/// so a witness search can skip them (ENGINE.md §6's "never silent" is unaffected: the same
/// witness comes out, with fewer searches that find nothing).
///
/// For the principal it is `arn:aws:*:*:*:?*`: every IAM shape before it is an ARN of partition
/// `aws` with a non-empty resource. A service principal's atom meets none of them, and without
/// the gate its witness search tried all nine before `?*.amazonaws.com`.
pub(crate) fn preference_gate(var: &Var) -> Option<usize> {
    static PRINCIPAL: OnceLock<Option<usize>> = OnceLock::new();
    match var {
        Var::Principal => *PRINCIPAL.get_or_init(|| {
            preferred_globs(Shape::Principal)
                .iter()
                .position(|&(glob, _)| glob == ANY_AWS_ARN)
        }),
        Var::Action | Var::Resource | Var::PrincipalKind | Var::Key(_) => None,
    }
}

/// Every ARN of partition `aws` with a non-empty resource: the principal's gate shape.
const ANY_AWS_ARN: &str = "arn:aws:*:*:*:?*";

/// Splits every variable's domain by the tests that mention it.
///
/// Returns the atoms of each variable (in `vars` order) and, per test, the atoms on which it
/// holds.
///
/// A variable's atoms depend only on its shape, the distinct sets its tests name (in order) and
/// the limits, so they are kept in a per-thread cache ([`VarCache`]) and shared by every query
/// that names the same sets: across the resources of an account most variables (the caller,
/// the action, the zone's keys) repeat exactly.
pub(crate) fn atomize(
    vars: &[(Var, Shape)],
    tests: &[Test],
    max_atoms: usize,
    max_states: usize,
) -> Result<(Vec<VarAtoms>, Vec<Vec<bool>>), String> {
    let mut all = Vec::with_capacity(vars.len());
    let mut test_bits: Vec<Vec<bool>> = vec![Vec::new(); tests.len()];
    for (var, shape) in vars {
        let mine: Vec<(usize, &Test)> = tests
            .iter()
            .enumerate()
            .filter(|(_, t)| t.var == *var)
            .collect();
        // The distinct sets, each test pointing at one.
        let mut exprs: Vec<&SetExpr> = Vec::new();
        let mut expr_of_test = Vec::with_capacity(mine.len());
        for (_, test) in &mine {
            let index = match exprs.iter().position(|e| **e == test.region) {
                Some(i) => i,
                None => {
                    exprs.push(&test.region);
                    exprs.len() - 1
                }
            };
            expr_of_test.push(index);
        }
        let split = VAR_CACHE.with(|caches| {
            caches
                .of(*shape)
                .get_or_split(var, *shape, &exprs, max_atoms, max_states)
        })?;
        for ((test_index, test), expr) in mine.iter().zip(&expr_of_test) {
            let set = split.set_of_expr.get(*expr).copied();
            let bits = split
                .atoms
                .iter()
                .zip(&split.positions)
                .map(|(atom, pos)| match (atom, pos) {
                    (Atom::Absent, _) => test.absent,
                    (Atom::Multi, _) => test.multi,
                    (Atom::Malformed, _) => test.malformed,
                    (Atom::Value(_), Some(r)) => split
                        .inside
                        .get(*r)
                        .zip(set)
                        .and_then(|(inside, set)| inside.get(set))
                        .copied()
                        .unwrap_or(false),
                    (Atom::Value(_), None) => false,
                })
                .collect();
            if let Some(slot) = test_bits.get_mut(*test_index) {
                *slot = bits;
            }
        }
        all.push(VarAtoms {
            var: var.clone(),
            atoms: Arc::clone(&split.atoms),
            values: Arc::clone(&split.values),
        });
    }
    Ok((all, test_bits))
}

/// One variable's domain split by a list of sets.
#[derive(Debug)]
struct Split {
    atoms: Arc<[Atom]>,
    values: Arc<[OnceLock<Result<AtomValue, String>>]>,
    /// Per atom: `None` for a special value, else its region's index.
    positions: Vec<Option<usize>>,
    /// Per region, per distinct set: whether the region lies inside the set.
    inside: Vec<Vec<bool>>,
    /// Per set expression (in the order given), its distinct set.
    set_of_expr: Vec<usize>,
}

/// A per-thread cache of splits, keyed by the shape, the limits and the sets (hashed, then
/// compared).
///
/// Bounded, in two generations: when the current one holds [`VarCache::CAPACITY`] entries or
/// [`VarCache::MAX_WEIGHT`] units of automaton size, it becomes the old one (the previous old
/// one is dropped) and a new one starts; a hit in the old generation moves the entry to the
/// current one. So splits that recur (the caller's account patterns, the catalog's actions) stay
/// cached while a stream of splits used once (each resource's own ARN) passes through: with a
/// single generation emptied when full, an account of 100,000 resources made 3,479 principal
/// splits; with two, 2,567 (counted again at `50609e3`: 3,100); with the resource's splits
/// cached apart ([`VarCaches`]), 2,746, of 2,212 distinct ones.
#[derive(Default)]
struct VarCache {
    /// By the hash of the key, the entries with that hash.
    entries: std::cell::RefCell<std::collections::HashMap<u64, Vec<CacheEntry>>>,
    /// The previous generation.
    old: std::cell::RefCell<std::collections::HashMap<u64, Vec<CacheEntry>>>,
    /// Number of entries of the current generation.
    len: std::cell::Cell<usize>,
    /// Their weight.
    weight: std::cell::Cell<usize>,
}

/// A cached split and the key it was made for.
#[derive(Clone)]
struct CacheEntry {
    shape: Shape,
    max_atoms: usize,
    max_states: usize,
    exprs: Vec<SetExpr>,
    split: Arc<Split>,
}

impl CacheEntry {
    fn is(&self, shape: Shape, exprs: &[&SetExpr], max_atoms: usize, max_states: usize) -> bool {
        self.shape == shape
            && self.max_atoms == max_atoms
            && self.max_states == max_states
            && self.exprs.len() == exprs.len()
            && self.exprs.iter().zip(exprs).all(|(a, b)| a == *b)
    }
}

/// The resource's splits and the other variables' splits, cached apart.
///
/// In an account, every resource's questions restrict the resource to its own ARN, so the
/// resource's splits are reused by that resource's questions and almost never after, while the
/// caller's, the action's and the condition keys' splits recur from resource to resource (a
/// partner account's role, the zone's accounts). In one cache, the stream of resource splits
/// pushed the recurring ones out: on an account of 100,000 resources, 588 principal splits were
/// made 1,476 times. Apart, each kind only competes with its own.
#[derive(Default)]
struct VarCaches {
    resource: VarCache,
    others: VarCache,
}

impl VarCaches {
    fn of(&self, shape: Shape) -> &VarCache {
        match shape {
            Shape::Resource => &self.resource,
            _ => &self.others,
        }
    }
}

thread_local! {
    static VAR_CACHE: VarCaches = VarCaches::default();
}

/// The splits that depend on no input, for every thread of the process: a variable split by
/// one of [`crate::encode::input_free_sets`] alone (the caller of a resource policy that names
/// only `*` and never tests `aws:PrincipalArn`). Each is built once, like the service catalog,
/// and [`clear_cache`] keeps them: they hold nothing of any query.
static SHARED: std::sync::Mutex<Vec<CacheEntry>> = std::sync::Mutex::new(Vec::new());

/// At most this many shared splits: the input-free sets under a few limits.
const SHARED_CAPACITY: usize = 8;

/// Whether `var` split by `exprs` depends on no input.
fn input_free(var: &Var, exprs: &[&SetExpr]) -> bool {
    static SETS: OnceLock<[(Var, SetExpr); 3]> = OnceLock::new();
    match exprs {
        [only] => SETS
            .get_or_init(crate::encode::input_free_sets)
            .iter()
            .any(|(v, set)| v == var && set == *only),
        _ => false,
    }
}

/// The shared split of an input-free variable, as a cache entry for this thread.
fn shared_split(
    shape: Shape,
    exprs: &[&SetExpr],
    max_atoms: usize,
    max_states: usize,
) -> Option<CacheEntry> {
    // A poisoned lock (a panic elsewhere while holding it) only loses the sharing.
    let shared = SHARED.lock().ok()?;
    shared
        .iter()
        .find(|e| e.is(shape, exprs, max_atoms, max_states))
        .cloned()
}

/// Shares an input-free split with every thread (unless another thread did first, or the
/// table is full).
fn share_split(entry: &CacheEntry) {
    let Ok(mut shared) = SHARED.lock() else {
        return;
    };
    let exprs: Vec<&SetExpr> = entry.exprs.iter().collect();
    let known = shared
        .iter()
        .any(|e| e.is(entry.shape, &exprs, entry.max_atoms, entry.max_states));
    if !known && shared.len() < SHARED_CAPACITY {
        shared.push(entry.clone());
    }
}

/// Empties this thread's caches of variable splits (see [`crate::clear_caches`]); the
/// [shared](SHARED) input-free splits stay.
pub(crate) fn clear_cache() {
    VAR_CACHE.with(|caches| {
        for cache in [&caches.resource, &caches.others] {
            cache.entries.borrow_mut().clear();
            cache.old.borrow_mut().clear();
            cache.len.set(0);
            cache.weight.set(0);
        }
    });
}

impl VarCache {
    /// Entries per generation. The resource's cache and the others' together hold 4,096
    /// entries, as the one cache did before they were parted: on the 100k account, 2,048 per
    /// generation and cache cost 37 MB more peak memory, and its page faults took back what the
    /// 480 fewer principal splits saved.
    const CAPACITY: usize = 1024;
    /// Automaton states plus explicit transitions plus atoms, at most 12 bytes each: about
    /// 12 MB per generation, 50 MB for the four generations of the two caches.
    const MAX_WEIGHT: usize = 1 << 20;
    /// Heavier splits are not cached at all.
    const MAX_ENTRY_WEIGHT: usize = 1 << 20;

    fn get_or_split(
        &self,
        var: &Var,
        shape: Shape,
        exprs: &[&SetExpr],
        max_atoms: usize,
        max_states: usize,
    ) -> Result<Arc<Split>, String> {
        let hash = {
            use std::hash::{Hash as _, Hasher as _};
            // A fast hasher: a match is confirmed by comparing the sets, and the cache is
            // bounded, so colliding keys cost a longer scan of one bucket at worst.
            let mut h = crate::domain::glob::FxHasher::default();
            (shape, max_atoms, max_states, exprs).hash(&mut h);
            h.finish()
        };
        if let Some(hit) = self.entries.borrow().get(&hash).and_then(|bucket| {
            bucket
                .iter()
                .find(|e| e.is(shape, exprs, max_atoms, max_states))
        }) {
            return Ok(Arc::clone(&hit.split));
        }
        let promoted = {
            let mut old = self.old.borrow_mut();
            old.get_mut(&hash).and_then(|bucket| {
                let at = bucket
                    .iter()
                    .position(|e| e.is(shape, exprs, max_atoms, max_states))?;
                Some(bucket.swap_remove(at))
            })
        };
        if let Some(entry) = promoted {
            let split = Arc::clone(&entry.split);
            self.insert(hash, entry);
            return Ok(split);
        }
        let input_free = input_free(var, exprs);
        if input_free && let Some(entry) = shared_split(shape, exprs, max_atoms, max_states) {
            let split = Arc::clone(&entry.split);
            self.insert(hash, entry);
            return Ok(split);
        }
        let split = Arc::new(split(var, shape, exprs, max_atoms, max_states)?);
        if Self::weight_of(&split) > Self::MAX_ENTRY_WEIGHT {
            return Ok(split);
        }
        let entry = CacheEntry {
            shape,
            max_atoms,
            max_states,
            exprs: exprs.iter().map(|e| (*e).clone()).collect(),
            split: Arc::clone(&split),
        };
        if input_free {
            share_split(&entry);
        }
        self.insert(hash, entry);
        Ok(split)
    }

    /// Atoms plus automaton size.
    fn weight_of(split: &Split) -> usize {
        split.atoms.len()
            + split
                .atoms
                .iter()
                .find_map(|atom| match atom {
                    Atom::Value(Region::Str(words, _)) => Some(words.weight()),
                    _ => None,
                })
                .unwrap_or_default()
    }

    /// Adds an entry to the current generation, starting a new one first when it is full.
    fn insert(&self, hash: u64, entry: CacheEntry) {
        let weight = Self::weight_of(&entry.split);
        let mut entries = self.entries.borrow_mut();
        if self.len.get() >= Self::CAPACITY || self.weight.get() + weight > Self::MAX_WEIGHT {
            *self.old.borrow_mut() = std::mem::take(&mut *entries);
            self.len.set(0);
            self.weight.set(0);
        }
        self.len.set(self.len.get() + 1);
        self.weight.set(self.weight.get() + weight);
        entries.entry(hash).or_default().push(entry);
    }
}

/// Splits a variable's domain by `exprs`.
fn split(
    var: &Var,
    shape: Shape,
    exprs: &[&SetExpr],
    max_atoms: usize,
    max_states: usize,
) -> Result<Split, String> {
    if is_string(shape) {
        return split_strings(var, shape, exprs, max_atoms, max_states);
    }
    // Built sets by expression: policies repeat patterns, and every test of a kind repeats the
    // same pieces.
    let mut memo: Vec<(&SetExpr, Region)> = Vec::new();
    // Distinct sets, each expression pointing at one.
    let mut sets: Vec<Region> = Vec::new();
    let mut set_of_expr = Vec::with_capacity(exprs.len());
    for expr in exprs {
        let region = build_set(expr, shape, &mut memo)?;
        let index = match sets.iter().position(|s| *s == region) {
            Some(i) => i,
            None => {
                sets.push(region);
                sets.len() - 1
            }
        };
        set_of_expr.push(index);
    }
    // Refine the universe region by region.
    let universe = universe(shape)?;
    let mut regions: Vec<(Region, Vec<bool>)> = vec![(universe, Vec::new())];
    for set in &sets {
        let mut next = Vec::with_capacity(regions.len() * 2);
        for (region, inside) in &regions {
            let within = region.intersect(set)?;
            let mut keep = |part: Region, member: bool| {
                let mut inside = inside.clone();
                inside.push(member);
                next.push((part, inside));
            };
            if within.is_empty() {
                keep(region.clone(), false);
            } else if within == *region {
                keep(within, true);
            } else {
                let without = region.difference(set)?;
                keep(within, true);
                keep(without, false);
            }
        }
        if next.len() > max_atoms {
            return Err(format!(
                "budget: more than {max_atoms} atoms for {}",
                describe(var)
            ));
        }
        regions = next;
    }
    if shape == Shape::PrincipalKind {
        // IAM callers first: a witness takes the least atom a request allows, and an IAM
        // caller from another account is the request a reader expects (and one every service
        // accepts); federated and anonymous callers when only they get in.
        regions.sort_by_key(
            |(region, _)| !matches!(region, Region::Kind(set) if set.contains(PrincipalKind::Aws)),
        );
    }
    let (regions, inside) = regions.into_iter().unzip();
    Ok(assemble(shape, regions, inside, set_of_expr))
}

/// The atoms of a variable of `shape` whose single values split into `regions` (with, per
/// region, whether it lies inside each set): a condition key also takes its special values
/// around them.
fn assemble(
    shape: Shape,
    regions: Vec<Region>,
    inside: Vec<Vec<bool>>,
    set_of_expr: Vec<usize>,
) -> Split {
    let key_type = match shape {
        Shape::Key(ty) => Some(ty),
        _ => None,
    };
    let mut atoms = Vec::with_capacity(regions.len() + 3);
    let mut positions = Vec::with_capacity(regions.len() + 3);
    if key_type.is_some() {
        atoms.push(Atom::Absent);
        positions.push(None);
    }
    for (i, region) in regions.into_iter().enumerate() {
        atoms.push(Atom::Value(region));
        positions.push(Some(i));
    }
    if let Some(ty) = key_type {
        atoms.push(Atom::Multi);
        positions.push(None);
        if !matches!(ty, KeyType::String | KeyType::Presence) {
            atoms.push(Atom::Malformed);
            positions.push(None);
        }
    }
    let values = atoms.iter().map(|_| OnceLock::new()).collect();
    Split {
        atoms: atoms.into(),
        values,
        positions,
        inside,
        set_of_expr,
    }
}

/// Splits a string variable's domain by `exprs`: one automaton over all their patterns, whose
/// states' signatures are the atoms (`crate::domain::multiglob`).
fn split_strings(
    var: &Var,
    shape: Shape,
    exprs: &[&SetExpr],
    max_atoms: usize,
    max_states: usize,
) -> Result<Split, String> {
    let alphabet = string_alphabet(shape, exprs.iter().copied(), max_states).ok_or(MISMATCH)?;
    let mut patterns: Vec<Pattern> = Vec::new();
    let formulas = exprs
        .iter()
        .map(|expr| formula(expr, &mut patterns))
        .collect::<Result<Vec<_>, _>>()?;
    // The resource is a concrete string: the evaluator would read `*` and `?` as a pattern.
    let forbidden: &[char] = match shape {
        Shape::Resource => &['*', '?'],
        _ => &[],
    };
    let preferred = preferred_patterns(shape);
    let mut words = StringAtoms::new(
        &alphabet, &patterns, &formulas, forbidden, &preferred, max_atoms,
    )
    .map_err(|e| match e {
        crate::DomainError::Budget { what: "atoms", .. } => {
            format!("budget: more than {max_atoms} atoms for {}", describe(var))
        }
        other => budget(other),
    })?;
    let inside = words.take_inside();
    let words = Arc::new(words);
    let regions = (0..words.atom_count())
        .map(|i| Region::Str(Arc::clone(&words), i))
        .collect();
    Ok(assemble(shape, regions, inside, (0..exprs.len()).collect()))
}

/// A string set expression as a formula over patterns (added to `patterns`, each once).
fn formula(expr: &SetExpr, patterns: &mut Vec<Pattern>) -> Result<Formula, String> {
    let mut pattern = |p: Pattern| {
        Formula::Pattern(match patterns.iter().position(|q| *q == p) {
            Some(i) => i,
            None => {
                patterns.push(p);
                patterns.len() - 1
            }
        })
    };
    Ok(match expr {
        SetExpr::All => Formula::All,
        SetExpr::Empty => Formula::Empty,
        SetExpr::Tokens { tokens, case } => pattern(Pattern::Glob {
            tokens: tokens.clone(),
            case: *case,
        }),
        SetExpr::ArnTokens(tokens) => pattern(arn_pattern(tokens)),
        SetExpr::AsciiFold(text) => pattern(Pattern::AsciiFold(text.clone())),
        SetExpr::Union(parts) => Formula::Union(
            parts
                .iter()
                .map(|p| formula(p, patterns))
                .collect::<Result<_, _>>()?,
        ),
        SetExpr::Diff(a, b) => Formula::Diff(
            Box::new(formula(a, patterns)?),
            Box::new(formula(b, patterns)?),
        ),
        SetExpr::Numbers(_)
        | SetExpr::Dates(_)
        | SetExpr::Ips(_)
        | SetExpr::Bools(_)
        | SetExpr::Kinds(_) => return Err(MISMATCH.to_owned()),
    })
}

/// A variable, in words, for reasons.
pub(crate) fn describe(var: &Var) -> String {
    match var {
        Var::Action => "the action".to_owned(),
        Var::Resource => "the resource".to_owned(),
        Var::PrincipalKind => "the principal kind".to_owned(),
        Var::Principal => "the principal".to_owned(),
        Var::Key(k) => format!("condition key `{k}`"),
    }
}

fn is_string(shape: Shape) -> bool {
    matches!(
        shape,
        Shape::Action | Shape::Resource | Shape::Principal | Shape::Key(KeyType::String)
    )
}

/// The alphabet of a string variable: every character of its sets, `:` for ARN matching, the
/// wildcard characters the resource must avoid, and those of the preferred witness shapes.
fn string_alphabet<'a>(
    shape: Shape,
    exprs: impl Iterator<Item = &'a SetExpr>,
    max_states: usize,
) -> Option<Arc<Alphabet>> {
    if !is_string(shape) {
        return None;
    }
    // The characters every alphabet of the shape lists, collected once per shape: a split
    // asks for them every time, and the principal's preferred shapes alone are nine globs.
    static BASE: OnceLock<[crate::domain::glob::AlphabetBuilder; 4]> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        [
            Shape::Action,
            Shape::Resource,
            Shape::Principal,
            Shape::PrincipalKind,
        ]
        .map(|shape| {
            let mut builder = Alphabet::builder();
            builder.chars([':', '*', '?']);
            for (glob, _) in preferred_globs(shape) {
                builder.glob(glob, Case::Sensitive);
            }
            builder
        })
    });
    let [action, resource, principal, other] = base;
    let mut builder = match shape {
        Shape::Action => action,
        Shape::Resource => resource,
        Shape::Principal => principal,
        Shape::PrincipalKind | Shape::Key(_) => other,
    }
    .clone();
    builder.max_states(max_states);
    fn collect(builder: &mut crate::domain::glob::AlphabetBuilder, expr: &SetExpr) {
        match expr {
            SetExpr::Tokens { tokens, case } => {
                builder.tokens(tokens, *case);
            }
            SetExpr::ArnTokens(tokens) => {
                builder.tokens(tokens, Case::Sensitive);
            }
            SetExpr::AsciiFold(text) => {
                builder.literal(text, Case::Insensitive);
            }
            SetExpr::Union(parts) => parts.iter().for_each(|p| collect(builder, p)),
            SetExpr::Diff(a, b) => {
                collect(builder, a);
                collect(builder, b);
            }
            _ => {}
        }
    }
    for expr in exprs {
        collect(&mut builder, expr);
    }
    Some(builder.build())
}

/// The single values a non-string variable ranges over.
fn universe(shape: Shape) -> Result<Region, String> {
    Ok(match shape {
        Shape::PrincipalKind => Region::Kind(FiniteSet::all()),
        Shape::Key(KeyType::Numeric) => Region::Num(NumberSet::all()),
        Shape::Key(KeyType::Date) => Region::Date(DateSet::all()),
        Shape::Key(KeyType::Ip) => Region::Ip(IpSet::all()),
        Shape::Key(KeyType::Bool) => Region::Bool(FiniteSet::all()),
        Shape::Key(KeyType::Presence) => Region::Any(true),
        Shape::Action | Shape::Resource | Shape::Principal | Shape::Key(KeyType::String) => {
            return Err(MISMATCH.to_owned());
        }
    })
}

/// Builds a set expression in a variable's domain, reusing the sets of equal expressions
/// built before (`memo`).
fn build_set<'e>(
    expr: &'e SetExpr,
    shape: Shape,
    memo: &mut Vec<(&'e SetExpr, Region)>,
) -> Result<Region, String> {
    if let Some((_, region)) = memo.iter().find(|(e, _)| *e == expr) {
        return Ok(region.clone());
    }
    let region = build_set_once(expr, shape, memo)?;
    memo.push((expr, region.clone()));
    Ok(region)
}

/// Builds a non-string set expression (string variables are split by
/// [`split_strings`]).
fn build_set_once<'e>(
    expr: &'e SetExpr,
    shape: Shape,
    memo: &mut Vec<(&'e SetExpr, Region)>,
) -> Result<Region, String> {
    Ok(match expr {
        SetExpr::All => universe(shape)?,
        SetExpr::Empty => {
            let all = universe(shape)?;
            all.difference(&all)?
        }
        SetExpr::Tokens { .. } | SetExpr::ArnTokens(_) | SetExpr::AsciiFold(_) => {
            return Err(MISMATCH.to_owned());
        }
        SetExpr::Numbers(set) => Region::Num(set.clone()),
        SetExpr::Dates(set) => Region::Date(set.clone()),
        SetExpr::Ips(set) => Region::Ip(set.clone()),
        SetExpr::Bools(set) => Region::Bool(*set),
        SetExpr::Kinds(set) => Region::Kind(*set),
        SetExpr::Union(parts) => {
            let mut acc: Option<Region> = None;
            for part in parts {
                let part = build_set(part, shape, memo)?;
                acc = Some(match acc {
                    None => part,
                    Some(acc) => acc.union(&part)?,
                });
            }
            match acc {
                Some(acc) => acc,
                None => build_set(&SetExpr::Empty, shape, memo)?,
            }
        }
        SetExpr::Diff(a, b) => {
            let a = build_set(a, shape, memo)?;
            a.difference(&build_set(b, shape, memo)?)?
        }
    })
}

/// A timestamp as an `aws:EpochTime`-style request value, `None` if it has more than 15 integer
/// digits (the concrete evaluator's limit).
pub(crate) fn epoch_text(t: Timestamp) -> Option<String> {
    let nanos = t.unix_nanos();
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    let seconds = magnitude / 1_000_000_000;
    let fraction = magnitude % 1_000_000_000;
    let seconds_text = seconds.to_string();
    if seconds_text.len() > 15 {
        return None;
    }
    Some(format!("{sign}{seconds_text}.{fraction:09}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    proptest::proptest! {
        /// An `ArnLike` sequence read as a glob by the split denotes the set it denotes as an
        /// ARN pattern (checked with the algebra, on sequences with and without five
        /// separators and wildcards before and after them).
        #[test]
        fn arn_patterns_read_as_globs_denote_the_same_strings(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(GlobToken::Char(':')),
                    proptest::strategy::Just(GlobToken::Char('a')),
                    proptest::strategy::Just(GlobToken::Char('/')),
                    proptest::strategy::Just(GlobToken::AnyChar),
                    proptest::strategy::Just(GlobToken::AnyString),
                ],
                0..14,
            ),
            fields in proptest::collection::vec("[a/]{0,2}", 5),
        ) {
            use crate::domain::glob::StringSet;
            // Half of the cases start with five literal fields, so the glob reading is taken.
            let mut tokens = tokens;
            if fields.iter().any(|f| f.contains('/')) {
                let mut literal: Vec<GlobToken> = Vec::new();
                for field in &fields {
                    literal.extend(field.chars().map(GlobToken::Char));
                    literal.push(GlobToken::Char(':'));
                }
                literal.extend(tokens);
                tokens = literal;
            }
            let mut builder = Alphabet::builder();
            builder.chars([':', 'a', '/', 'b']);
            let alphabet = builder.build();
            if let Pattern::Glob { tokens: read, case } = arn_pattern(&tokens) {
                proptest::prop_assert_eq!(&read, &tokens);
                let glob = StringSet::from_tokens(&alphabet, &read, case).unwrap();
                let arn = StringSet::from_arn_tokens(&alphabet, &tokens).unwrap();
                proptest::prop_assert!(glob.difference(&arn).unwrap().is_empty());
                proptest::prop_assert!(arn.difference(&glob).unwrap().is_empty());
            }
        }
    }

    /// A split asked for again and again survives a stream of splits used once (each
    /// resource's own ARN in an account): it comes back as the same split, never re-made.
    #[test]
    fn every_preference_before_a_gate_lies_inside_it() {
        use crate::domain::glob::{GlobToken, StringSet};
        for (var, shape) in [
            (Var::Principal, Shape::Principal),
            (Var::Resource, Shape::Resource),
            (Var::Action, Shape::Action),
        ] {
            let Some(gate) = preference_gate(&var) else {
                continue;
            };
            let globs = preferred_globs(shape);
            let mut builder = Alphabet::builder();
            builder.chars([':', '*', '?']);
            for (glob, _) in &globs {
                builder.glob(glob, Case::Sensitive);
            }
            let alphabet = builder.build();
            let set = |(glob, arn): (&str, bool)| {
                let tokens = GlobToken::parse(glob);
                if arn {
                    StringSet::from_arn_tokens(&alphabet, &tokens).unwrap()
                } else {
                    StringSet::from_tokens(&alphabet, &tokens, Case::Sensitive).unwrap()
                }
            };
            let (narrows, rest) = globs.split_at(gate);
            let wide = *rest.first().unwrap();
            for &narrow in narrows {
                assert!(
                    set(narrow).difference(&set(wide)).unwrap().is_empty(),
                    "{} is not inside {}",
                    narrow.0,
                    wide.0
                );
            }
        }
    }

    #[test]
    fn recurring_splits_survive_a_stream_of_one_off_splits() {
        let cache = VarCache::default();
        let split_of = |text: &str| {
            let expr = SetExpr::Tokens {
                tokens: crate::GlobToken::parse(text),
                case: crate::Case::Sensitive,
            };
            cache
                .get_or_split(&Var::Resource, Shape::Resource, &[&expr], 64, 10_000)
                .unwrap()
        };
        let recurring = split_of("arn:aws:s3:::shared/*");
        for i in 0..3 * VarCache::CAPACITY {
            split_of(&format!("arn:aws:s3:::bucket-{i}/*"));
            if i % 1000 == 0 {
                assert!(Arc::ptr_eq(&recurring, &split_of("arn:aws:s3:::shared/*")));
            }
        }
        assert!(Arc::ptr_eq(&recurring, &split_of("arn:aws:s3:::shared/*")));
        // One-off splits are dropped with their generation.
        assert!(cache.len.get() <= VarCache::CAPACITY);
    }

    /// A split that depends on no input (the caller by the well-formedness shapes alone) is
    /// one for the whole process: clearing a thread's cache keeps it, and another thread gets
    /// the same one. A split by a policy's own set is not shared.
    #[test]
    fn input_free_splits_are_shared_by_threads_and_kept_by_clearing() {
        let split_of = |set: &SetExpr| {
            let lookup = |caches: &VarCaches| {
                caches
                    .of(Shape::Principal)
                    .get_or_split(&Var::Principal, Shape::Principal, &[set], 64, 10_000)
                    .unwrap()
            };
            VAR_CACHE.with(lookup)
        };
        for (var, set) in crate::encode::input_free_sets() {
            if var != Var::Principal {
                continue;
            }
            // Another test may share the split first: compare two lookups from cold.
            clear_cache();
            let first = split_of(&set);
            clear_cache();
            assert!(Arc::ptr_eq(&first, &split_of(&set)));
            let theirs = std::thread::spawn({
                let set = set.clone();
                move || split_of(&set)
            })
            .join()
            .unwrap();
            assert!(Arc::ptr_eq(&first, &theirs));
        }
        let own = SetExpr::ArnTokens(GlobToken::parse("arn:aws:iam::111122223333:root"));
        let before = split_of(&own);
        clear_cache();
        assert!(!Arc::ptr_eq(&before, &split_of(&own)));
    }

    /// The resource's splits never push out the caller's: an account's stream of resources,
    /// each split by its own ARN, leaves a partner's principal split cached.
    #[test]
    fn resource_splits_never_evict_principal_splits() {
        let caches = VarCaches::default();
        let split_of = |shape: Shape, text: &str| {
            let expr = SetExpr::ArnTokens(crate::GlobToken::parse(text));
            let var = match shape {
                Shape::Resource => Var::Resource,
                _ => Var::Principal,
            };
            caches
                .of(shape)
                .get_or_split(&var, shape, &[&expr], 64, 10_000)
                .unwrap()
        };
        let partner = "arn:aws:iam::444455556666:role/partner";
        let principal = split_of(Shape::Principal, partner);
        for i in 0..4 * VarCache::CAPACITY {
            split_of(Shape::Resource, &format!("arn:aws:s3:::bucket-{i}"));
        }
        assert!(Arc::ptr_eq(
            &principal,
            &split_of(Shape::Principal, partner)
        ));
        assert_eq!(caches.others.len.get(), 1);
    }
}
