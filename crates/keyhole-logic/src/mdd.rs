//! The Boolean layer: a reduced, ordered multi-valued decision diagram over atom indices
//! (ENGINE.md §4), with hash-consing, memoised `and`/`or`/`not`, and a node budget.
//!
//! A node tests one variable and has one child per atom of that variable; variables appear in
//! index order along every path. Node `0` is *false* and node `1` is *true*; a node whose
//! children are all equal is never created, so every node other than `0` has a path to `1`.

use crate::domain::glob::FastMap;

/// A node index.
pub(crate) type NodeId = u32;

/// The *false* terminal.
pub(crate) const FALSE: NodeId = 0;
/// The *true* terminal.
pub(crate) const TRUE: NodeId = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    And,
    Or,
    /// The first and not the second.
    AndNot,
}

/// A decision diagram under construction.
///
/// Nodes live in flat arrays (a node is its variable and a run of children in `kids`); the
/// unique table maps a hash of `(variable, children)` to the newest node with that hash, and
/// `next` chains the older ones, so looking a node up allocates nothing.
#[derive(Debug)]
pub(crate) struct Mdd {
    /// Per node, its variable (`usize::MAX` for the terminals).
    vars: Vec<usize>,
    /// Per node, where its children start in `kids`; one more entry at the end.
    starts: Vec<usize>,
    kids: Vec<NodeId>,
    /// Per node, the previous node with the same unique-table hash.
    next: Vec<Option<NodeId>>,
    // Keys are the diagram's own node ids and shapes, bounded by `max_nodes`: a fast hasher.
    unique: FastMap<u64, NodeId>,
    apply_memo: FastMap<(Op, NodeId, NodeId), NodeId>,
    not_memo: FastMap<NodeId, NodeId>,
    /// Pairs of nodes known to share a path to *true* (or not).
    meet_memo: FastMap<(NodeId, NodeId), bool>,
    /// The children being computed by `apply` and `not`, each call's above its caller's: no
    /// `Vec` per node built.
    stack: Vec<NodeId>,
    max_nodes: usize,
}

/// The node budget was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget(pub(crate) usize);

impl Mdd {
    pub(crate) fn new(max_nodes: usize) -> Self {
        // Sized for a typical query's diagram (a few dozen nodes): growing the tables one
        // doubling at a time cost more than the nodes themselves.
        const NODES: usize = 64;
        let mut vars = Vec::with_capacity(NODES);
        vars.extend([usize::MAX, usize::MAX]);
        let mut starts = Vec::with_capacity(NODES + 1);
        starts.extend([0, 0, 0]);
        let mut next = Vec::with_capacity(NODES);
        next.extend([None, None]);
        Mdd {
            vars,
            starts,
            kids: Vec::with_capacity(NODES * 3),
            next,
            unique: FastMap::with_capacity_and_hasher(NODES, Default::default()),
            apply_memo: FastMap::with_capacity_and_hasher(NODES, Default::default()),
            not_memo: FastMap::default(),
            meet_memo: FastMap::default(),
            stack: Vec::with_capacity(NODES),
            max_nodes,
        }
    }

    /// The children of a node (none for the terminals).
    pub(crate) fn kids_of(&self, id: NodeId) -> &[NodeId] {
        let id = id as usize;
        match (self.starts.get(id), self.starts.get(id + 1)) {
            (Some(&from), Some(&to)) => self.kids.get(from..to).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The variable a node tests (`usize::MAX` for terminals, so they sort last).
    pub(crate) fn var_of(&self, id: NodeId) -> usize {
        self.vars.get(id as usize).copied().unwrap_or(usize::MAX)
    }

    /// The child of `id` for atom `atom` of variable `var` (itself if `id` does not test `var`).
    fn child(&self, id: NodeId, var: usize, atom: usize) -> NodeId {
        if self.var_of(id) == var {
            self.kids_of(id).get(atom).copied().unwrap_or(FALSE)
        } else {
            id
        }
    }

    /// The variable to split two nodes on (the earlier of theirs) and its number of atoms.
    fn top(&self, a: NodeId, b: NodeId) -> (usize, usize) {
        let var = self.var_of(a).min(self.var_of(b));
        let width = if self.var_of(a) == var {
            self.kids_of(a).len()
        } else {
            self.kids_of(b).len()
        };
        (var, width)
    }

    /// [`Mdd::make`] of the children on the stack from `base`, which are then popped.
    fn make_from_stack(&mut self, var: usize, base: usize) -> Result<NodeId, Budget> {
        let stack = std::mem::take(&mut self.stack);
        let made = self.make(var, stack.get(base..).unwrap_or(&[]));
        self.stack = stack;
        self.stack.truncate(base);
        made
    }

    fn make(&mut self, var: usize, kids: &[NodeId]) -> Result<NodeId, Budget> {
        if let Some(&first) = kids.first()
            && kids.iter().all(|&k| k == first)
        {
            return Ok(first);
        }
        let hash = {
            use std::hash::{Hash as _, Hasher as _};
            let mut h = crate::domain::glob::FxHasher::default();
            (var, kids).hash(&mut h);
            h.finish()
        };
        let head = self.unique.get(&hash).copied();
        let mut at = head;
        while let Some(id) = at {
            if self.var_of(id) == var && self.kids_of(id) == kids {
                return Ok(id);
            }
            at = self.next.get(id as usize).copied().flatten();
        }
        if self.vars.len() >= self.max_nodes {
            return Err(Budget(self.max_nodes));
        }
        let id = NodeId::try_from(self.vars.len()).map_err(|_| Budget(self.max_nodes))?;
        self.vars.push(var);
        self.kids.extend_from_slice(kids);
        self.starts.push(self.kids.len());
        self.next.push(head);
        self.unique.insert(hash, id);
        Ok(id)
    }

    /// The function "variable `var` takes one of the atoms marked true".
    pub(crate) fn literal(&mut self, var: usize, atoms: &[bool]) -> Result<NodeId, Budget> {
        let base = self.stack.len();
        self.stack
            .extend(atoms.iter().map(|&b| if b { TRUE } else { FALSE }));
        self.make_from_stack(var, base)
    }

    /// Negation.
    pub(crate) fn not(&mut self, a: NodeId) -> Result<NodeId, Budget> {
        match a {
            FALSE => return Ok(TRUE),
            TRUE => return Ok(FALSE),
            _ => {}
        }
        if let Some(&r) = self.not_memo.get(&a) {
            return Ok(r);
        }
        let var = self.var_of(a);
        let base = self.stack.len();
        for atom in 0..self.kids_of(a).len() {
            match self.not(self.child(a, var, atom)) {
                Ok(k) => self.stack.push(k),
                Err(e) => {
                    self.stack.truncate(base);
                    return Err(e);
                }
            }
        }
        let r = self.make_from_stack(var, base)?;
        self.not_memo.insert(a, r);
        Ok(r)
    }

    /// Conjunction.
    pub(crate) fn and(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, Budget> {
        self.apply(Op::And, a, b)
    }

    /// `a` and not `b`, without building the negation of `b` where `a` is false (a policy's
    /// requests minus another's: most of the other is outside the first).
    pub(crate) fn and_not(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, Budget> {
        self.apply(Op::AndNot, a, b)
    }

    /// Disjunction.
    pub(crate) fn or(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, Budget> {
        self.apply(Op::Or, a, b)
    }

    fn apply(&mut self, op: Op, a: NodeId, b: NodeId) -> Result<NodeId, Budget> {
        match (op, a, b) {
            (Op::And, FALSE, _) | (Op::And, _, FALSE) => return Ok(FALSE),
            (Op::And, TRUE, x) | (Op::And, x, TRUE) => return Ok(x),
            (Op::Or, TRUE, _) | (Op::Or, _, TRUE) => return Ok(TRUE),
            (Op::Or, FALSE, x) | (Op::Or, x, FALSE) => return Ok(x),
            (Op::AndNot, FALSE, _) | (Op::AndNot, _, TRUE) => return Ok(FALSE),
            (Op::AndNot, x, FALSE) => return Ok(x),
            (Op::AndNot, TRUE, x) => return self.not(x),
            (Op::AndNot, _, _) if a == b => return Ok(FALSE),
            _ if a == b => return Ok(a),
            _ => {}
        }
        // And and Or are symmetric: one entry for both orders.
        let key = match op {
            Op::AndNot => (op, a, b),
            Op::And | Op::Or => (op, a.min(b), a.max(b)),
        };
        if let Some(&r) = self.apply_memo.get(&key) {
            return Ok(r);
        }
        let (var, width) = self.top(a, b);
        let base = self.stack.len();
        for atom in 0..width {
            let (x, y) = (self.child(a, var, atom), self.child(b, var, atom));
            match self.apply(op, x, y) {
                Ok(k) => self.stack.push(k),
                Err(e) => {
                    self.stack.truncate(base);
                    return Err(e);
                }
            }
        }
        let r = self.make_from_stack(var, base)?;
        self.apply_memo.insert(key, r);
        Ok(r)
    }

    /// Whether the conjunction of `a` and `b` is satisfiable, without building it: no node is
    /// created, and the walk stops at the first common path to *true*.
    pub(crate) fn meets(&mut self, a: NodeId, b: NodeId) -> bool {
        match (a, b) {
            (FALSE, _) | (_, FALSE) => return false,
            // Every node other than *false* has a path to *true*.
            (TRUE, _) | (_, TRUE) => return true,
            _ if a == b => return true,
            _ => {}
        }
        let key = (a.min(b), a.max(b));
        if let Some(&known) = self.meet_memo.get(&key) {
            return known;
        }
        let (var, width) = self.top(a, b);
        let found =
            (0..width).any(|atom| self.meets(self.child(a, var, atom), self.child(b, var, atom)));
        self.meet_memo.insert(key, found);
        found
    }

    /// One path to *true*: for each variable tested on the path, the first atom that does not
    /// lead to *false*. `None` if the function is *false*.
    pub(crate) fn path(&self, root: NodeId) -> Option<Vec<(usize, usize)>> {
        let mut at = root;
        let mut path = Vec::new();
        loop {
            match at {
                FALSE => return None,
                TRUE => return Some(path),
                _ => {
                    let (atom, &next) = self
                        .kids_of(at)
                        .iter()
                        .enumerate()
                        .find(|(_, k)| **k != FALSE)?;
                    path.push((self.var_of(at), atom));
                    at = next;
                }
            }
        }
    }

    /// The variables tested by the diagram of `root`, in order.
    pub(crate) fn support(&self, root: NodeId) -> Vec<usize> {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![root];
        let mut vars = Vec::new();
        while let Some(node) = stack.pop() {
            if node > TRUE && seen.insert(node) {
                vars.push(self.var_of(node));
                stack.extend_from_slice(self.kids_of(node));
            }
        }
        vars.sort_unstable();
        vars.dedup();
        vars
    }

    /// Whether the assignment `atoms` (one atom per variable) satisfies the function.
    pub(crate) fn eval(&self, root: NodeId, atoms: &[usize]) -> bool {
        let mut at = root;
        loop {
            match at {
                FALSE => return false,
                TRUE => return true,
                _ => {
                    let atom = atoms.get(self.var_of(at)).copied().unwrap_or(0);
                    at = self.kids_of(at).get(atom).copied().unwrap_or(FALSE);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    /// `meets` answers exactly whether the conjunction is satisfiable, on random functions of
    /// three variables of widths 2, 3 and 4.
    #[test]
    fn meets_is_the_satisfiability_of_the_conjunction() {
        let widths = [2usize, 3, 4];
        let mut mdd = Mdd::new(1 << 16);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n as u64).unwrap()
        };
        let mut nodes = vec![FALSE, TRUE];
        for _ in 0..200 {
            let node = match next(4) {
                0 => {
                    let var = next(widths.len());
                    let bits: Vec<bool> = (0..widths[var]).map(|_| next(2) == 1).collect();
                    mdd.literal(var, &bits).unwrap()
                }
                1 => {
                    let (a, b) = (nodes[next(nodes.len())], nodes[next(nodes.len())]);
                    mdd.and(a, b).unwrap()
                }
                2 => {
                    let (a, b) = (nodes[next(nodes.len())], nodes[next(nodes.len())]);
                    mdd.or(a, b).unwrap()
                }
                _ => {
                    let a = nodes[next(nodes.len())];
                    mdd.not(a).unwrap()
                }
            };
            nodes.push(node);
        }
        let mut outcomes = [0usize; 2];
        for _ in 0..2_000 {
            let (a, b) = (nodes[next(nodes.len())], nodes[next(nodes.len())]);
            let both = mdd.and(a, b).unwrap();
            let not_b = mdd.not(b).unwrap();
            assert_eq!(mdd.and_not(a, b).unwrap(), mdd.and(a, not_b).unwrap());
            let meets = mdd.meets(a, b);
            assert_eq!(meets, both != FALSE, "{a} {b}");
            outcomes[usize::from(meets)] += 1;
        }
        assert!(outcomes.iter().all(|&n| n > 100), "{outcomes:?}");
    }
}
