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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Node {
    var: usize,
    kids: Vec<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    And,
    Or,
}

/// A decision diagram under construction.
#[derive(Debug)]
pub(crate) struct Mdd {
    nodes: Vec<Option<Node>>,
    // Keys are the diagram's own node ids and shapes, bounded by `max_nodes`: a fast hasher.
    unique: FastMap<Node, NodeId>,
    apply_memo: FastMap<(Op, NodeId, NodeId), NodeId>,
    not_memo: FastMap<NodeId, NodeId>,
    max_nodes: usize,
}

/// The node budget was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget(pub(crate) usize);

impl Mdd {
    pub(crate) fn new(max_nodes: usize) -> Self {
        Mdd {
            nodes: vec![None, None],
            unique: FastMap::default(),
            apply_memo: FastMap::default(),
            not_memo: FastMap::default(),
            max_nodes,
        }
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize).and_then(Option::as_ref)
    }

    /// The variable a node tests (`usize::MAX` for terminals, so they sort last).
    fn var_of(&self, id: NodeId) -> usize {
        self.node(id).map_or(usize::MAX, |n| n.var)
    }

    /// The child of `id` for atom `atom` of variable `var` (itself if `id` does not test `var`).
    fn child(&self, id: NodeId, var: usize, atom: usize) -> NodeId {
        match self.node(id) {
            Some(n) if n.var == var => n.kids.get(atom).copied().unwrap_or(FALSE),
            _ => id,
        }
    }

    fn make(&mut self, var: usize, kids: Vec<NodeId>) -> Result<NodeId, Budget> {
        if let Some(&first) = kids.first()
            && kids.iter().all(|&k| k == first)
        {
            return Ok(first);
        }
        let node = Node { var, kids };
        if let Some(&id) = self.unique.get(&node) {
            return Ok(id);
        }
        if self.nodes.len() >= self.max_nodes {
            return Err(Budget(self.max_nodes));
        }
        let id = NodeId::try_from(self.nodes.len()).map_err(|_| Budget(self.max_nodes))?;
        self.nodes.push(Some(node.clone()));
        self.unique.insert(node, id);
        Ok(id)
    }

    /// The function "variable `var` takes one of the atoms marked true".
    pub(crate) fn literal(&mut self, var: usize, atoms: &[bool]) -> Result<NodeId, Budget> {
        let kids = atoms
            .iter()
            .map(|&b| if b { TRUE } else { FALSE })
            .collect();
        self.make(var, kids)
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
        let Some(node) = self.node(a).cloned() else {
            return Ok(FALSE);
        };
        let mut kids = Vec::with_capacity(node.kids.len());
        for kid in node.kids {
            kids.push(self.not(kid)?);
        }
        let r = self.make(node.var, kids)?;
        self.not_memo.insert(a, r);
        Ok(r)
    }

    /// Conjunction.
    pub(crate) fn and(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, Budget> {
        self.apply(Op::And, a, b)
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
            _ if a == b => return Ok(a),
            _ => {}
        }
        let key = (op, a.min(b), a.max(b));
        if let Some(&r) = self.apply_memo.get(&key) {
            return Ok(r);
        }
        let var = self.var_of(a).min(self.var_of(b));
        let width = self
            .node(a)
            .filter(|n| n.var == var)
            .or_else(|| self.node(b).filter(|n| n.var == var))
            .map_or(0, |n| n.kids.len());
        let mut kids = Vec::with_capacity(width);
        for atom in 0..width {
            let (x, y) = (self.child(a, var, atom), self.child(b, var, atom));
            kids.push(self.apply(op, x, y)?);
        }
        let r = self.make(var, kids)?;
        self.apply_memo.insert(key, r);
        Ok(r)
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
                    let node = self.node(at)?;
                    let (atom, &next) = node.kids.iter().enumerate().find(|(_, k)| **k != FALSE)?;
                    path.push((node.var, atom));
                    at = next;
                }
            }
        }
    }

    /// Whether the assignment `atoms` (one atom per variable) satisfies the function.
    pub(crate) fn eval(&self, root: NodeId, atoms: &[usize]) -> bool {
        let mut at = root;
        loop {
            match at {
                FALSE => return false,
                TRUE => return true,
                _ => match self.node(at) {
                    Some(node) => {
                        let atom = atoms.get(node.var).copied().unwrap_or(0);
                        at = node.kids.get(atom).copied().unwrap_or(FALSE);
                    }
                    None => return false,
                },
            }
        }
    }
}
