//! Which combinations of alternatives meet a constraint, in one walk of its decision diagram.
//!
//! The findings search asks, for every *choice* `K` of one alternative per group (one label
//! per dimension), whether `base ∧ ⋀_g alt[g][K[g]]` holds for some request. Asked choice by
//! choice, that is a conjunction of diagrams per step of a depth-first walk over the groups.
//! Here it is answered for all choices at once: each group's alternatives read a few diagram
//! variables (its *support*); groups reading a common variable are merged into one *block*;
//! and one walk of `base`'s diagram, variable by variable, collects at every node the set of
//! choices — over the blocks the rest of the path assigns — that some path below meets. When a
//! block's last variable is assigned, the block's variables are fixed, so the alternatives of
//! its groups that hold are known: that block's part of the choice is their product.
//!
//! Every path of a diagram holds some request (ENGINE.md §4: atoms are non-empty and a node
//! never has only *false* below), so a choice is collected exactly when some request of `base`
//! meets all its alternatives. The same sets give each choice's witness without building its
//! conjunction: the smallest atom, variable by variable, below which the choice is still
//! collected — the path [`Mdd::path`] takes in the conjunction's diagram.
//!
//! Choices are packed into a `u128`, the first group in the highest bits, so that the sorted
//! set is in lexicographic order.

use std::rc::Rc;

use crate::domain::glob::FastMap;
use crate::mdd::{FALSE, Mdd, NodeId, TRUE};

/// The most assignments of one block's variables the walk tabulates; a block reading more
/// together is left to the caller's step-by-step questions.
const MAX_BLOCK_ASSIGNMENTS: usize = 4_096;

/// What [`crate::Space::choices`] found.
#[derive(Debug)]
pub enum ChoiceSearch {
    /// The choices that meet the constraint.
    Found(Choices),
    /// More than the limit: of choices, or of partial choices at one step of the walk. When
    /// every request meets some alternative of every group (as a dimension's labels and their
    /// refinements do), a partial choice always extends to a whole one, so this means more
    /// than the limit of choices.
    TooMany,
    /// The alternatives read too many variables together (or the choices do not fit the
    /// packing); ask choice by choice instead.
    Unsupported,
}

/// The choices (one alternative index per group) that meet a constraint, in lexicographic
/// order, with what it takes to write each one's witness ([`crate::Space::choice_witness`]).
#[derive(Debug)]
pub struct Choices {
    found: Vec<Vec<usize>>,
    pub(crate) walk: Box<Walk>,
    /// The constraint's diagram.
    pub(crate) base: NodeId,
    /// The compiled space it belongs to (the number of tests compiled).
    pub(crate) generation: usize,
}

impl Choices {
    /// The choices, in lexicographic order.
    #[must_use]
    pub fn found(&self) -> &[Vec<usize>] {
        &self.found
    }
}

/// A set of groups whose alternatives read common variables.
#[derive(Debug)]
struct Block {
    /// Its diagram variables, in order.
    vars: Vec<usize>,
    /// Its groups.
    groups: Vec<usize>,
    /// Its groups' fields of a packed choice.
    mask: u128,
}

/// The walk's fixed data and memos.
#[derive(Debug)]
pub(crate) struct Walk {
    widths: Vec<usize>,
    /// Per group, per alternative, its diagram.
    roots: Vec<Vec<NodeId>>,
    blocks: Vec<Block>,
    /// Per diagram variable, its block.
    block_of: Vec<Option<usize>>,
    /// Per block, its last variable.
    last: Vec<usize>,
    /// Per group, where its index sits in a packed choice, and its field's mask (unshifted).
    fields: Vec<(u32, u128)>,
    /// Per group reading no variable, the alternatives that hold everywhere.
    constants: Vec<Option<Vec<bool>>>,
    limit: usize,
    memo: FastMap<(usize, NodeId, u64), Rc<Vec<u128>>>,
    /// Per block and assignment of its variables, the packed products of the alternatives
    /// that hold.
    tables: FastMap<(usize, u64), Rc<Vec<u128>>>,
    /// Per variable, the variables up to it of the blocks open there (not closed before it),
    /// in order.
    held: Vec<Vec<usize>>,
    /// Per variable (and one past the last), the fields of the blocks closing there or later.
    masks: Vec<u128>,
    /// A whole assignment, for evaluating alternatives.
    scratch: Vec<usize>,
    /// Per variable and packed choice, the atoms its paths take.
    taken: FastMap<(usize, u128), Rc<Vec<bool>>>,
}

/// More than the limit.
struct TooMany;

impl Walk {
    /// The child of `node` for `atom` of variable `var` (`node` itself if it does not test
    /// `var`).
    fn kid(mdd: &Mdd, var: usize, node: NodeId, atom: usize) -> NodeId {
        if mdd.var_of(node) == var {
            mdd.kids_of(node).get(atom).copied().unwrap_or(FALSE)
        } else {
            node
        }
    }

    /// The choices over the blocks not yet closed before variable `var` that some path from
    /// `node` meets, given `open`: the atoms already taken by the variables (before `var`) of
    /// the blocks still open, as one number (see [`Walk::step`]).
    fn collect(
        &mut self,
        mdd: &Mdd,
        var: usize,
        node: NodeId,
        open: u64,
    ) -> Result<Rc<Vec<u128>>, TooMany> {
        if node == FALSE {
            return Ok(Rc::new(Vec::new()));
        }
        let Some(&width) = self.widths.get(var) else {
            // Past the last variable: `node` is *true*.
            return Ok(Rc::new(if node == TRUE { vec![0] } else { Vec::new() }));
        };
        let block = self.block_of.get(var).copied().flatten();
        if block.is_none() && mdd.var_of(node) != var {
            return self.collect(mdd, var + 1, node, open);
        }
        let key = (var, node, open);
        if let Some(known) = self.memo.get(&key) {
            return Ok(Rc::clone(known));
        }
        let mut out: Vec<u128> = Vec::new();
        for atom in 0..width {
            let kid = Self::kid(mdd, var, node, atom);
            if kid == FALSE {
                continue;
            }
            match self.step(mdd, var, block, open, atom)? {
                Step::Free => out.extend(self.collect(mdd, var + 1, kid, open)?.iter()),
                Step::Open(taken) => out.extend(self.collect(mdd, var + 1, kid, taken)?.iter()),
                Step::Close(table, rest) => {
                    if table.is_empty() {
                        continue;
                    }
                    let below = self.collect(mdd, var + 1, kid, rest)?;
                    if table.len().saturating_mul(below.len()) > self.limit {
                        return Err(TooMany);
                    }
                    for &t in table.iter() {
                        out.extend(below.iter().map(|&s| s | t));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        if out.len() > self.limit {
            return Err(TooMany);
        }
        Ok(remember(&mut self.memo, key, out))
    }

    /// What taking `atom` for variable `var` (of `block`) does to the open atoms. They are
    /// one number, in mixed radix over the open variables in order (the last one lowest).
    fn step(
        &mut self,
        mdd: &Mdd,
        var: usize,
        block: Option<usize>,
        open: u64,
        atom: usize,
    ) -> Result<Step, TooMany> {
        let Some(b) = block else {
            return Ok(Step::Free);
        };
        let width = self.widths.get(var).copied().unwrap_or(1) as u64;
        // Fits: the construction bounds every product of open widths.
        let taken = open.wrapping_mul(width).wrapping_add(atom as u64);
        if self.last.get(b) != Some(&var) {
            return Ok(Step::Open(taken));
        }
        let (mine, rest) = self.split_open(b, var, taken);
        let table = self.table(mdd, b, mine)?;
        Ok(Step::Close(table, rest))
    }

    /// Block `b`'s atoms (it closes at `var`) and the other open blocks' atoms, out of
    /// `taken`: the atoms of the open blocks' variables up to `var`.
    fn split_open(&self, b: usize, var: usize, taken: u64) -> (u64, u64) {
        let Some(held) = self.held.get(var) else {
            return (0, 0);
        };
        // Read off from the lowest digit (the last variable) up.
        let mut code = taken;
        let mut digits: Vec<(usize, u64)> = Vec::with_capacity(held.len());
        for &v in held.iter().rev() {
            let width = self.widths.get(v).copied().unwrap_or(1).max(1) as u64;
            digits.push((v, code % width));
            code /= width;
        }
        let (mut mine, mut rest) = (0u64, 0u64);
        for &(v, atom) in digits.iter().rev() {
            let width = self.widths.get(v).copied().unwrap_or(1) as u64;
            if self.block_of.get(v).copied().flatten() == Some(b) {
                mine = mine.wrapping_mul(width).wrapping_add(atom);
            } else {
                rest = rest.wrapping_mul(width).wrapping_add(atom);
            }
        }
        (mine, rest)
    }

    /// The packed products of the alternatives of block `b`'s groups that hold when its
    /// variables take `atoms` (in mixed radix over them, the last one lowest).
    fn table(&mut self, mdd: &Mdd, b: usize, atoms: u64) -> Result<Rc<Vec<u128>>, TooMany> {
        let key = (b, atoms);
        if let Some(known) = self.tables.get(&key) {
            return Ok(Rc::clone(known));
        }
        let Some(block) = self.blocks.get(b) else {
            return Ok(Rc::new(Vec::new()));
        };
        let mut code = atoms;
        for &v in block.vars.iter().rev() {
            let width = self.widths.get(v).copied().unwrap_or(1).max(1) as u64;
            if let Some(slot) = self.scratch.get_mut(v) {
                *slot = usize::try_from(code % width).unwrap_or(0);
            }
            code /= width;
        }
        let mut products = vec![0u128];
        for &g in &block.groups {
            let (Some(roots), Some(&(shift, _))) = (self.roots.get(g), self.fields.get(g)) else {
                continue;
            };
            let holding: Vec<u128> = roots
                .iter()
                .zip(0u128..)
                .filter(|&(&root, _)| mdd.eval(root, &self.scratch))
                .map(|(_, i)| i << shift)
                .collect();
            let mut next = Vec::with_capacity(products.len() * holding.len());
            for &p in &products {
                next.extend(holding.iter().map(|&h| p | h));
            }
            if next.len() > self.limit {
                return Err(TooMany);
            }
            products = next;
        }
        products.sort_unstable();
        Ok(remember(&mut self.tables, key, products))
    }

    /// Whether some path from `node` at `var` (given `open`) meets `target`'s alternatives.
    fn reaches(
        &mut self,
        mdd: &Mdd,
        var: usize,
        node: NodeId,
        open: u64,
        target: u128,
    ) -> Result<bool, TooMany> {
        let wanted = target & self.masks.get(var).copied().unwrap_or(0);
        Ok(self
            .collect(mdd, var, node, open)?
            .binary_search(&wanted)
            .is_ok())
    }

    /// The smallest assignment (one atom per diagram variable, compared variable by
    /// variable) on a path from `root` that meets `target`'s alternatives; `None` if none does.
    fn smallest(
        &mut self,
        mdd: &Mdd,
        root: NodeId,
        target: u128,
    ) -> Result<Option<Vec<usize>>, TooMany> {
        let mut choice = vec![0usize; self.widths.len()];
        let mut node = root;
        let mut open = 0u64;
        if !self.reaches(mdd, 0, node, open, target)? {
            return Ok(None);
        }
        for var in 0..self.widths.len() {
            let block = self.block_of.get(var).copied().flatten();
            if block.is_none() && mdd.var_of(node) != var {
                // Any atom will do: the first.
                continue;
            }
            let width = self.widths.get(var).copied().unwrap_or(0);
            let mut taken = None;
            for atom in 0..width {
                let kid = Self::kid(mdd, var, node, atom);
                if kid == FALSE {
                    continue;
                }
                let (fits, next_open) = self.fits(mdd, var, block, open, atom, target)?;
                if fits && self.reaches(mdd, var + 1, kid, next_open, target)? {
                    taken = Some((atom, kid, next_open));
                    break;
                }
            }
            let Some((atom, kid, next_open)) = taken else {
                return Ok(None);
            };
            if let Some(slot) = choice.get_mut(var) {
                *slot = atom;
            }
            node = kid;
            open = next_open;
        }
        Ok(Some(choice))
    }

    /// Whether taking `atom` for variable `var` (of `block`) keeps `target`'s alternatives of
    /// a block it closes, and the open atoms after it.
    fn fits(
        &mut self,
        mdd: &Mdd,
        var: usize,
        block: Option<usize>,
        open: u64,
        atom: usize,
        target: u128,
    ) -> Result<(bool, u64), TooMany> {
        Ok(match self.step(mdd, var, block, open, atom)? {
            Step::Free => (true, open),
            Step::Open(next) => (true, next),
            Step::Close(table, rest) => {
                let b = block.and_then(|b| self.blocks.get(b)).map_or(0, |b| b.mask);
                (table.binary_search(&(target & b)).is_ok(), rest)
            }
        })
    }

    /// Per atom of variable `want`, whether some path from `root` that meets `target`'s
    /// alternatives takes it.
    fn atoms_taken(
        &mut self,
        mdd: &Mdd,
        root: NodeId,
        target: u128,
        want: usize,
    ) -> Result<Vec<bool>, TooMany> {
        let mut taken = vec![false; self.widths.get(want).copied().unwrap_or(0)];
        if !self.reaches(mdd, 0, root, 0, target)? {
            return Ok(taken);
        }
        let mut seen: FastMap<(usize, NodeId, u64), ()> = FastMap::default();
        let mut stack = vec![(0usize, root, 0u64)];
        while let Some((var, node, open)) = stack.pop() {
            if var > want || seen.insert((var, node, open), ()).is_some() {
                continue;
            }
            let block = self.block_of.get(var).copied().flatten();
            if var < want && block.is_none() && mdd.var_of(node) != var {
                stack.push((var + 1, node, open));
                continue;
            }
            let width = self.widths.get(var).copied().unwrap_or(0);
            for atom in 0..width {
                let kid = Self::kid(mdd, var, node, atom);
                if kid == FALSE {
                    continue;
                }
                let (fits, next_open) = self.fits(mdd, var, block, open, atom, target)?;
                if !fits || !self.reaches(mdd, var + 1, kid, next_open, target)? {
                    continue;
                }
                if var == want {
                    if let Some(slot) = taken.get_mut(atom) {
                        *slot = true;
                    }
                } else {
                    stack.push((var + 1, kid, next_open));
                }
            }
        }
        Ok(taken)
    }

    /// A choice packed (`None` if an index does not fit its field).
    fn pack(&self, choice: &[usize]) -> Option<u128> {
        if choice.len() != self.fields.len() {
            return None;
        }
        choice
            .iter()
            .zip(&self.fields)
            .try_fold(0u128, |packed, (&i, &(shift, mask))| {
                let i = u128::try_from(i).ok().filter(|&i| i <= mask)?;
                Some(packed | (i << shift))
            })
    }
}

/// Keeps `set` under `key` and hands it out.
fn remember<K: std::hash::Hash + Eq>(
    memo: &mut FastMap<K, Rc<Vec<u128>>>,
    key: K,
    set: Vec<u128>,
) -> Rc<Vec<u128>> {
    let set = Rc::new(set);
    memo.insert(key, Rc::clone(&set));
    set
}

/// What taking an atom does.
enum Step {
    /// The variable belongs to no block.
    Free,
    /// The block stays open: the open atoms with this one.
    Open(u64),
    /// The block closes: its alternatives' products, and the other blocks' open atoms.
    Close(Rc<Vec<u128>>, u64),
}

/// The choices of one alternative per group (`roots[g][i]`: alternative `i` of group `g`)
/// that meet `base`; see [`ChoiceSearch`].
pub(crate) fn choices(
    mdd: &Mdd,
    widths: &[usize],
    base: NodeId,
    roots: Vec<Vec<NodeId>>,
    limit: usize,
    generation: usize,
) -> ChoiceSearch {
    // Where each group's index sits: the first group in the highest bits.
    let mut fields = Vec::with_capacity(roots.len());
    let mut used = 0u32;
    for alternatives in &roots {
        let largest = alternatives.len().max(2) - 1;
        let bits = usize::BITS - largest.leading_zeros();
        used += bits;
        let Some(shift) = 128u32.checked_sub(used) else {
            return ChoiceSearch::Unsupported;
        };
        fields.push((shift, (1u128 << bits) - 1));
    }
    // Blocks: groups whose supports share a variable, merged.
    let mut block_of: Vec<Option<usize>> = vec![None; widths.len()];
    let mut blocks: Vec<Block> = Vec::new();
    // Groups reading no variable: their alternatives are constants.
    let mut constant = vec![0u128];
    let mut constants = vec![None; roots.len()];
    for (g, alternatives) in roots.iter().enumerate() {
        let mut vars: Vec<usize> = alternatives.iter().flat_map(|&r| mdd.support(r)).collect();
        vars.sort_unstable();
        vars.dedup();
        let Some(&(shift, field)) = fields.get(g) else {
            continue;
        };
        if vars.is_empty() {
            if let Some(slot) = constants.get_mut(g) {
                *slot = Some(alternatives.iter().map(|&r| r == TRUE).collect());
            }
            let holding: Vec<u128> = alternatives
                .iter()
                .zip(0u128..)
                .filter(|&(&r, _)| r == TRUE)
                .map(|(_, i)| i << shift)
                .collect();
            constant = constant
                .iter()
                .flat_map(|&c| holding.iter().map(move |&h| c | h))
                .collect();
            continue;
        }
        let mut touched: Vec<usize> = vars
            .iter()
            .filter_map(|&v| block_of.get(v).copied().flatten())
            .collect();
        touched.sort_unstable();
        touched.dedup();
        let mut block = Block {
            vars,
            groups: vec![g],
            mask: field << shift,
        };
        // Absorb the blocks it touches (highest index first, so indices stay valid).
        for &t in touched.iter().rev() {
            if t < blocks.len() {
                let other = blocks.remove(t);
                block.vars.extend(other.vars);
                block.groups.extend(other.groups);
                block.mask |= other.mask;
            }
        }
        block.vars.sort_unstable();
        block.vars.dedup();
        block.groups.sort_unstable();
        blocks.push(block);
        block_of.iter_mut().for_each(|b| *b = None);
        for (i, block) in blocks.iter().enumerate() {
            for &v in &block.vars {
                if let Some(slot) = block_of.get_mut(v) {
                    *slot = Some(i);
                }
            }
        }
    }
    for block in &blocks {
        let assignments = block.vars.iter().try_fold(1usize, |acc, &v| {
            acc.checked_mul(widths.get(v).copied().unwrap_or(1))
                .filter(|&n| n <= MAX_BLOCK_ASSIGNMENTS)
        });
        if assignments.is_none() {
            return ChoiceSearch::Unsupported;
        }
    }
    let last: Vec<usize> = blocks
        .iter()
        .map(|b| b.vars.last().copied().unwrap_or(0))
        .collect();
    let open_at = |v: usize, var: usize| {
        block_of
            .get(v)
            .copied()
            .flatten()
            .and_then(|b| last.get(b))
            .is_some_and(|&l| l >= var)
    };
    let held: Vec<Vec<usize>> = (0..widths.len())
        .map(|var| (0..=var).filter(|&v| open_at(v, var)).collect())
        .collect();
    // The open atoms are one `u64`.
    for vars in &held {
        let fits = vars.iter().try_fold(1u64, |acc, &v| {
            acc.checked_mul(widths.get(v).copied().unwrap_or(1).max(1) as u64)
        });
        if fits.is_none() {
            return ChoiceSearch::Unsupported;
        }
    }
    let masks = (0..=widths.len())
        .map(|var| {
            blocks
                .iter()
                .zip(&last)
                .filter(|&(_, &l)| l >= var)
                .fold(0, |mask, (block, _)| mask | block.mask)
        })
        .collect();
    let mut walk = Walk {
        widths: widths.to_vec(),
        roots,
        blocks,
        block_of,
        last,
        fields,
        constants,
        limit,
        memo: FastMap::default(),
        tables: FastMap::default(),
        held,
        masks,
        scratch: vec![0; widths.len()],
        taken: FastMap::default(),
    };
    let Ok(reached) = walk.collect(mdd, 0, base, 0) else {
        return ChoiceSearch::TooMany;
    };
    let mut packed: Vec<u128> = Vec::new();
    for &c in &constant {
        packed.extend(reached.iter().map(|&r| r | c));
    }
    packed.sort_unstable();
    packed.dedup();
    if packed.len() > limit {
        return ChoiceSearch::TooMany;
    }
    let found = packed
        .iter()
        .map(|&p| {
            walk.fields
                .iter()
                .map(|&(shift, mask)| usize::try_from((p >> shift) & mask).unwrap_or(usize::MAX))
                .collect()
        })
        .collect();
    ChoiceSearch::Found(Choices {
        found,
        walk: Box::new(walk),
        base,
        generation,
    })
}

/// The packed form of `choice`, if its alternatives of groups reading no variable hold.
fn target(choices: &Choices, choice: &[usize]) -> Option<u128> {
    let target = choices.walk.pack(choice)?;
    let constants_hold = choice
        .iter()
        .zip(&choices.walk.constants)
        .all(|(&i, holds)| holds.as_ref().is_none_or(|h| h.get(i) == Some(&true)));
    constants_hold.then_some(target)
}

/// The smallest path of `choices.base` that meets `choice`'s alternatives (one atom per
/// diagram variable); `None` if none does. `Err` for a walk past its limit.
pub(crate) fn smallest_path(
    mdd: &Mdd,
    choices: &mut Choices,
    choice: &[usize],
) -> Result<Option<Vec<usize>>, String> {
    let Some(target) = target(choices, choice) else {
        return Ok(None);
    };
    let base = choices.base;
    choices
        .walk
        .smallest(mdd, base, target)
        .map_err(|TooMany| format!("budget: more than {} choices", choices.walk.limit))
}

/// Per atom of diagram variable `var`, whether some path of `choices.base` that meets
/// `choice`'s alternatives takes it. `Err` for a walk past its limit.
pub(crate) fn atoms_taken(
    mdd: &Mdd,
    choices: &mut Choices,
    choice: &[usize],
    var: usize,
) -> Result<Vec<bool>, String> {
    let Some(target) = target(choices, choice) else {
        return Ok(vec![
            false;
            choices.walk.widths.get(var).copied().unwrap_or(0)
        ]);
    };
    if let Some(known) = choices.walk.taken.get(&(var, target)) {
        return Ok(known.to_vec());
    }
    let base = choices.base;
    let taken = choices
        .walk
        .atoms_taken(mdd, base, target, var)
        .map_err(|TooMany| format!("budget: more than {} choices", choices.walk.limit))?;
    choices
        .walk
        .taken
        .insert((var, target), Rc::new(taken.clone()));
    Ok(taken)
}
