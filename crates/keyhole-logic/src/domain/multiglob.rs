//! Many wildcard patterns at once: one deterministic automaton over a shared alphabet whose
//! states say which patterns accept the input read so far.
//!
//! This is how a string variable is split into atoms (ENGINE.md §4). The atoms of a variable
//! are the non-empty regions of its sets' Boolean combinations; each reachable state of the
//! automaton below lies in exactly one of them (the sets' membership is a function of which
//! patterns accept), and every region that is non-empty holds the words of some state. So the
//! distinct *signatures* of the reachable states are the atoms, with no automaton built, combined
//! or minimized per region. A region's witness is a word reaching one of its states, found
//! breadth-first in the same class order as [`super::glob::StringSet::witness`], so both give the
//! same (shortest, nicest) word.
//!
//! The construction is the subset construction of [`super::glob::StringSet`], on the positions of
//! all patterns together, with sparse position lists (a state of a query over many literals holds
//! a few positions out of thousands) and, per state, only the classes some live position names:
//! every other class behaves alike and shares one *default* transition.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use super::glob::{Alphabet, Case, FastMap, GlobToken, fold_class};
use crate::DomainError;

const STATES: &str = "automaton states";

/// The classes one pattern step takes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Take {
    /// Every class.
    Any,
    /// Every class but one (a wildcard in the first five fields of an ARN cannot take `:`).
    AnyBut(u32),
    /// These classes (the first `n`), sorted; never the "other" class. A literal character is
    /// one class, a case-insensitive one a few.
    Few(u8, [u32; 4]),
    /// More classes, sorted.
    Many(Box<[u32]>),
}

impl Take {
    fn only(mut classes: Vec<u32>) -> Take {
        classes.sort_unstable();
        classes.dedup();
        match u8::try_from(classes.len()) {
            Ok(n) if n <= 4 => {
                let mut few = [0u32; 4];
                few.iter_mut()
                    .zip(&classes)
                    .for_each(|(slot, &c)| *slot = c);
                Take::Few(n, few)
            }
            _ => Take::Many(classes.into_boxed_slice()),
        }
    }

    /// The classes of a `Few` or `Many` step.
    fn named(&self) -> Option<&[u32]> {
        match self {
            Take::Few(n, classes) => classes.get(..usize::from(*n)),
            Take::Many(classes) => Some(classes),
            Take::Any | Take::AnyBut(_) => None,
        }
    }

    /// Whether the step takes `class`: asked for every live position on every named class of
    /// every state of a split, so kept inline, with a literal character (one class) a single
    /// comparison.
    #[inline]
    fn takes(&self, class: u32) -> bool {
        match self {
            Take::Any => true,
            Take::AnyBut(x) => class != *x,
            Take::Few(n, classes) => classes.iter().take(usize::from(*n)).any(|&c| c == class),
            Take::Many(classes) => classes.binary_search(&class).is_ok(),
        }
    }

    /// Whether every class `self` takes, `run` takes too.
    fn within(&self, run: &Take) -> bool {
        match (self.named(), run.named(), self, run) {
            (_, _, _, Take::Any) => true,
            (Some(a), Some(b), _, _) => a.iter().all(|c| b.contains(c)),
            (Some(a), None, _, Take::AnyBut(b)) => !a.contains(b),
            (None, None, Take::AnyBut(a), Take::AnyBut(b)) => a == b,
            _ => false,
        }
    }
}

/// One position of the combined position automaton.
#[derive(Clone, Debug)]
enum Step {
    /// Consume one character of the classes.
    One(Take),
    /// Consume any run (possibly empty) of characters of the classes.
    Run(Take),
    /// The pattern with this index has matched.
    End(u32),
}

/// A pattern of a string set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pattern {
    /// The strings a token sequence matches (`StringLike`, `Action`, `Resource`, …).
    Glob {
        /// The tokens.
        tokens: Vec<GlobToken>,
        /// How letters compare.
        case: Case,
    },
    /// The ARNs an `ArnLike` token sequence matches (see
    /// [`super::glob::StringSet::from_arn_tokens`]).
    Arn(Vec<GlobToken>),
    /// The strings equal to an ASCII literal ignoring ASCII case only.
    AsciiFold(String),
}

impl Pattern {
    /// An IAM wildcard pattern as written: an `ArnLike` one when `arn`, else a case-sensitive
    /// `StringLike` one.
    pub(crate) fn wildcard(text: &str, arn: bool) -> Pattern {
        let tokens = GlobToken::parse(text);
        if arn {
            Pattern::Arn(tokens)
        } else {
            Pattern::Glob {
                tokens,
                case: Case::Sensitive,
            }
        }
    }
}

/// Patterns compiled into one position automaton.
#[derive(Debug)]
struct Positions {
    steps: Vec<Step>,
    /// Per position: for a run, the first position before it whose words the run's words
    /// include (the run itself if none); see [`Positions::close`].
    cover_from: Vec<u32>,
    /// The first position of every pattern.
    starts: Vec<u32>,
}

/// Reusable marks for [`Positions::close`].
#[derive(Default)]
struct Scratch {
    seen: Vec<u32>,
    generation: u32,
    stack: Vec<u32>,
}

impl Positions {
    fn compile(alphabet: &Alphabet, patterns: &[Pattern]) -> Result<Positions, DomainError> {
        // One step per token or character, and one end per pattern.
        let size: usize = patterns
            .iter()
            .map(|p| match p {
                Pattern::Glob { tokens, .. } | Pattern::Arn(tokens) => tokens.len() + 1,
                Pattern::AsciiFold(text) => text.len() + 1,
            })
            .sum();
        let mut steps = Vec::with_capacity(size);
        let mut cover_from = Vec::with_capacity(size);
        let mut starts = Vec::with_capacity(patterns.len());
        for (index, pattern) in patterns.iter().enumerate() {
            let start = steps.len();
            starts.push(position(start)?);
            compile_pattern(alphabet, pattern, &mut steps)?;
            for r in start..steps.len() {
                let mut from = r;
                if let Some(Step::Run(run)) = steps.get(r) {
                    while from > start
                        && steps.get(from - 1).is_some_and(|s| match s {
                            Step::One(t) | Step::Run(t) => t.within(run),
                            Step::End(_) => false,
                        })
                    {
                        from -= 1;
                    }
                }
                cover_from.push(position(from)?);
            }
            cover_from.push(position(steps.len())?);
            steps.push(Step::End(position(index)?));
        }
        Ok(Positions {
            steps,
            cover_from,
            starts,
        })
    }

    /// The positions reachable from `seeds` by skipping runs, without those that a run in the
    /// set makes redundant (every word accepted from position `q` with
    /// `cover_from[r] <= q < r` is accepted from `r`), sorted.
    fn close(&self, scratch: &mut Scratch, out: &mut Vec<u32>) {
        if scratch.seen.len() < self.steps.len() {
            scratch.seen.resize(self.steps.len(), 0);
        }
        scratch.generation = scratch.generation.wrapping_add(1);
        if scratch.generation == 0 {
            scratch.seen.iter_mut().for_each(|s| *s = 0);
            scratch.generation = 1;
        }
        let generation = scratch.generation;
        out.clear();
        while let Some(p) = scratch.stack.pop() {
            let Some(mark) = scratch.seen.get_mut(p as usize) else {
                continue;
            };
            if *mark == generation {
                continue;
            }
            *mark = generation;
            out.push(p);
            if let Some(Step::Run(_)) = self.steps.get(p as usize) {
                scratch.stack.push(p + 1);
            }
        }
        out.sort_unstable();
        self.drop_redundant(out);
    }

    /// Drops from a sorted closed set the positions a run in it makes redundant (see
    /// `cover_from`).
    fn drop_redundant(&self, out: &mut Vec<u32>) {
        // Right to left, compacting towards the end.
        let mut min_cover = u32::MAX;
        let mut write = out.len();
        for read in (0..out.len()).rev() {
            let Some(&p) = out.get(read) else { continue };
            if min_cover > p {
                write -= 1;
                if let Some(slot) = out.get_mut(write) {
                    *slot = p;
                }
            }
            if let Some(Step::Run(_)) = self.steps.get(p as usize) {
                min_cover = min_cover.min(self.cover_from.get(p as usize).copied().unwrap_or(p));
            }
        }
        out.drain(..write);
    }

    /// The positions after reading one character of `class` in `set`, into `out`.
    ///
    /// `set` is sorted (every state's set comes from [`Positions::close`] or from here), so
    /// the seeds come in order too (`p` or `p + 1` for each `p`) and the closure is built in
    /// one pass: a seed's closure is the run of `Run` steps from it to the next other step,
    /// and a seed inside the previous seed's run adds nothing. The same set as
    /// [`Positions::close`] on the seeds, without its marks, stack and sort (the subset
    /// construction's largest cost).
    ///
    /// Kept out of line: inlined into the construction's loop (twice per state) it made the
    /// 1,050 generated policies' splits 0.3 % more instructions.
    #[inline(never)]
    fn step(&self, set: &[u32], class: u32, out: &mut Vec<u32>) {
        debug_assert!(set.windows(2).all(|w| matches!(w, [a, b] if a < b)));
        out.clear();
        // Positions below this are already in `out`, with the runs they lead through.
        let mut closed = 0u32;
        for &p in set {
            let seed = match self.steps.get(p as usize) {
                Some(Step::One(t)) if t.takes(class) => p + 1,
                Some(Step::Run(t)) if t.takes(class) => p,
                _ => continue,
            };
            if seed < closed {
                continue;
            }
            let mut q = seed;
            while let Some(step) = self.steps.get(q as usize) {
                out.push(q);
                if !matches!(step, Step::Run(_)) {
                    break;
                }
                q += 1;
            }
            closed = q + 1;
        }
        self.drop_redundant(out);
    }

    fn start(&self, scratch: &mut Scratch) -> Vec<u32> {
        scratch.stack.clear();
        scratch.stack.extend_from_slice(&self.starts);
        let mut out = Vec::new();
        self.close(scratch, &mut out);
        out
    }

    /// The classes some position of `set` names (every other class behaves like the "other"
    /// class), added to `out`.
    fn named_classes(&self, set: &[u32], out: &mut Vec<u32>) {
        for &p in set {
            if let Some(step) = self.steps.get(p as usize) {
                step.add_named(out);
            }
        }
    }
}

impl Step {
    /// Adds the classes this step names (every other class behaves like the "other" class).
    fn add_named(&self, out: &mut Vec<u32>) {
        if let Step::One(t) | Step::Run(t) = self {
            match (t, t.named()) {
                (_, Some(cs)) => out.extend_from_slice(cs),
                (Take::AnyBut(x), None) => out.push(*x),
                _ => {}
            }
        }
    }
}

/// A set of positions as a bitmask: `u64` for a preference's few positions, `u128` for a
/// split of up to 128.
trait Mask:
    Copy
    + Default
    + Eq
    + std::hash::Hash
    + std::ops::BitOr<Output = Self>
    + std::ops::BitAnd<Output = Self>
    + std::ops::Not<Output = Self>
{
    const BITS: usize;
    /// The set of position `p` alone; `None` past the width.
    fn bit(p: usize) -> Option<Self>;
    fn is_empty(self) -> bool;
    /// The lowest position and the set without it.
    fn pop(self) -> (usize, Self);
    /// The positions below `p` (all of them from `BITS` on).
    fn below(p: usize) -> Self;
    /// Each position moved to the next one.
    fn shift_up(self) -> Self;
}

/// [`Mask`] for an unsigned integer type.
macro_rules! mask {
    ($t:ty) => {
        impl Mask for $t {
            const BITS: usize = <$t>::BITS as usize;
            fn bit(p: usize) -> Option<Self> {
                (1 as $t).checked_shl(u32::try_from(p).ok()?)
            }
            fn is_empty(self) -> bool {
                self == 0
            }
            fn pop(self) -> (usize, Self) {
                (self.trailing_zeros() as usize, self & self.wrapping_sub(1))
            }
            fn below(p: usize) -> Self {
                Self::bit(p).map_or(Self::MAX, |b| b - 1)
            }
            fn shift_up(self) -> Self {
                self << 1
            }
        }
    };
}

mask!(u64);
mask!(u128);

/// The positions of patterns of at most `M::BITS` steps, as bitmasks: the same sets as
/// [`Positions::start`] and [`Positions::step`] make, without sorting or allocating.
#[derive(Debug)]
struct SmallPositions<M> {
    steps: Vec<Step>,
    /// The start set.
    start: M,
    /// The end positions.
    end: M,
    /// Per position: itself and the positions after it reached by skipping runs.
    skip: Vec<M>,
    /// Per position: for a run, the positions it makes redundant (`cover_from[r] <= q < r`);
    /// else nothing.
    covers: Vec<M>,
    /// The runs.
    runs: M,
    /// Which single steps (`one`) and runs (`run`) take a class: per class, those naming it;
    /// the wildcards (`*`, `?`, either kind); per class, the ARN wildcards that exclude it.
    /// Built for a split's construction, which steps every state on every class it names; a
    /// witness search steps a preference's few live positions on few classes, and reads the
    /// steps themselves (building the tables cost more there than it saved).
    takers: Option<Takers<M>>,
}

/// Which steps of one kind take each class (see [`SmallPositions::takers`]).
#[derive(Debug, Default)]
struct Takers<M> {
    named_one: Vec<M>,
    named_run: Vec<M>,
    wild_one: M,
    wild_run: M,
    except_one: Vec<M>,
    except_run: Vec<M>,
}

impl<M: Mask> Takers<M> {
    fn add(&mut self, p: usize, step: &Step) {
        let Some(bit) = M::bit(p) else { return };
        let mark = |v: &mut Vec<M>, class: u32| {
            let at = class as usize;
            if v.len() <= at {
                v.resize(at + 1, M::default());
            }
            if let Some(slot) = v.get_mut(at) {
                *slot = *slot | bit;
            }
        };
        let (take, named, wild, except) = match step {
            Step::One(t) => (
                t,
                &mut self.named_one,
                &mut self.wild_one,
                &mut self.except_one,
            ),
            Step::Run(t) => (
                t,
                &mut self.named_run,
                &mut self.wild_run,
                &mut self.except_run,
            ),
            Step::End(_) => return,
        };
        match take {
            Take::Any => *wild = *wild | bit,
            Take::AnyBut(x) => {
                *wild = *wild | bit;
                mark(except, *x);
            }
            Take::Few(..) | Take::Many(_) => {
                for &class in take.named().unwrap_or_default() {
                    mark(named, class);
                }
            }
        }
    }

    /// The single steps and the runs that take `class`.
    fn of(&self, class: u32) -> (M, M) {
        let at = |v: &Vec<M>| v.get(class as usize).copied().unwrap_or_default();
        (
            at(&self.named_one) | (self.wild_one & !at(&self.except_one)),
            at(&self.named_run) | (self.wild_run & !at(&self.except_run)),
        )
    }
}

impl<M: Mask> SmallPositions<M> {
    /// The positions with the class tables of [`SmallPositions::takers`]; the positions
    /// back when there are more than `M::BITS`.
    fn with_takers(positions: Positions) -> Result<SmallPositions<M>, Positions> {
        let mut small = SmallPositions::new(positions)?;
        let mut takers = Takers::default();
        for (p, step) in small.steps.iter().enumerate() {
            takers.add(p, step);
        }
        small.takers = Some(takers);
        Ok(small)
    }

    /// The positions as bitmasks; the positions back when there are more than `M::BITS`.
    fn new(positions: Positions) -> Result<SmallPositions<M>, Positions> {
        let n = positions.steps.len();
        if n > M::BITS {
            return Err(positions);
        }
        // Every position is below `M::BITS` from here: its bit exists.
        let bit = |p: usize| M::bit(p).unwrap_or_default();
        let mut skip = vec![M::default(); n];
        let mut runs = M::default();
        for p in (0..n).rev() {
            let after = match positions.steps.get(p) {
                Some(Step::Run(_)) => {
                    runs = runs | bit(p);
                    skip.get(p + 1).copied().unwrap_or_default()
                }
                _ => M::default(),
            };
            if let Some(slot) = skip.get_mut(p) {
                *slot = bit(p) | after;
            }
        }
        let covers = (0..n)
            .map(|r| match positions.steps.get(r) {
                Some(Step::Run(_)) => {
                    let from = positions.cover_from.get(r).copied().unwrap_or(0) as usize;
                    M::below(r) & !M::below(from)
                }
                _ => M::default(),
            })
            .collect();
        let end = (0..n)
            .filter(|&p| matches!(positions.steps.get(p), Some(Step::End(_))))
            .fold(M::default(), |m, p| m | bit(p));
        let seeds = positions
            .starts
            .iter()
            .fold(M::default(), |m, &p| m | bit(p as usize));
        let mut small = SmallPositions {
            start: M::default(),
            end,
            skip,
            covers,
            runs,
            takers: None,
            steps: positions.steps,
        };
        small.start = small.close(seeds);
        Ok(small)
    }

    fn bits(mut set: M) -> impl Iterator<Item = usize> {
        std::iter::from_fn(move || {
            (!set.is_empty()).then(|| {
                let (p, rest) = set.pop();
                set = rest;
                p
            })
        })
    }

    /// As [`Positions::close`]: the seeds with the positions skipping runs reaches, without
    /// those a run in the set makes redundant.
    fn close(&self, seeds: M) -> M {
        // Only a run skips to the positions after it, and only a run covers others.
        let all = Self::bits(seeds & self.runs)
            .map(|p| self.skip.get(p).copied().unwrap_or_default())
            .fold(seeds & !self.runs, |m, s| m | s);
        let redundant = Self::bits(all & self.runs)
            .map(|p| self.covers.get(p).copied().unwrap_or_default())
            .fold(M::default(), |m, c| m | c);
        all & !redundant
    }

    /// As [`Positions::step`]: the single steps taking `class` move on, the runs taking it
    /// stay.
    fn step(&self, set: M, class: u32) -> M {
        let seeds = match &self.takers {
            Some(takers) => {
                let (one, run) = takers.of(class);
                (set & one).shift_up() | (set & run)
            }
            None => Self::bits(set)
                .map(|p| match self.steps.get(p) {
                    Some(Step::One(t)) if t.takes(class) => M::bit(p + 1).unwrap_or_default(),
                    Some(Step::Run(t)) if t.takes(class) => M::bit(p).unwrap_or_default(),
                    _ => M::default(),
                })
                .fold(M::default(), |m, s| m | s),
        };
        if seeds.is_empty() {
            M::default()
        } else {
            self.close(seeds)
        }
    }

    /// Whether every position of `set` takes only classes it names (none is a `?` or a `*`):
    /// then no other class steps the set.
    fn names_every_class(&self, set: M) -> bool {
        Self::bits(set).all(|p| match self.steps.get(p) {
            Some(Step::One(t) | Step::Run(t)) => t.named().is_some(),
            Some(Step::End(_)) | None => true,
        })
    }

    /// As [`Positions::named_classes`].
    fn named_classes(&self, set: M, out: &mut Vec<u32>) {
        for p in Self::bits(set) {
            if let Some(step) = self.steps.get(p) {
                step.add_named(out);
            }
        }
    }

    /// The patterns that end in `set`, in position order (as in a position list).
    fn accepted(&self, set: M, out: &mut Vec<u32>) {
        out.clear();
        out.extend(
            Self::bits(set & self.end).filter_map(|p| match self.steps.get(p) {
                Some(Step::End(k)) => Some(*k),
                _ => None,
            }),
        );
    }
}

fn position(n: usize) -> Result<u32, DomainError> {
    u32::try_from(n).map_err(|_| DomainError::Budget {
        what: "pattern positions",
        limit: u32::MAX as usize,
    })
}

fn class_id(alphabet: &Alphabet, c: char) -> Result<u32, DomainError> {
    position(alphabet.listed_class(c)?)
}

fn only(alphabet: &Alphabet, chars: impl IntoIterator<Item = char>) -> Result<Take, DomainError> {
    let chars = chars.into_iter();
    // A character's case variants are at most a few: their classes sorted in place, with no
    // vector (one step per character of every case-insensitive pattern).
    if chars.size_hint().1.is_some_and(|n| n <= 4) {
        let mut few = [0u32; 4];
        let mut n = 0usize;
        for c in chars {
            let class = class_id(alphabet, c)?;
            if let Some(slot) = few.get_mut(n) {
                *slot = class;
                n += 1;
            }
        }
        let taken = few.get_mut(..n).unwrap_or_default();
        taken.sort_unstable();
        // Sorted and deduplicated, as `Take::only` keeps them.
        let mut out = [0u32; 4];
        let mut len = 0usize;
        for &class in taken.iter() {
            if len == 0 || out.get(len - 1) != Some(&class) {
                if let Some(slot) = out.get_mut(len) {
                    *slot = class;
                }
                len += 1;
            }
        }
        return Ok(Take::Few(u8::try_from(len).unwrap_or(4), out));
    }
    let classes = chars
        .into_iter()
        .map(|c| class_id(alphabet, c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Take::only(classes))
}

fn compile_pattern(
    alphabet: &Alphabet,
    pattern: &Pattern,
    steps: &mut Vec<Step>,
) -> Result<(), DomainError> {
    let char_step = |c: char, case: Case| match case {
        Case::Sensitive => Ok(Take::Few(1, [class_id(alphabet, c)?, 0, 0, 0])),
        Case::Insensitive => only(alphabet, fold_class(c).iter().copied()),
    };
    match pattern {
        Pattern::Glob { tokens, case } => {
            for token in tokens {
                steps.push(match *token {
                    GlobToken::AnyString => Step::Run(Take::Any),
                    GlobToken::AnyChar => Step::One(Take::Any),
                    GlobToken::Char(c) => Step::One(char_step(c, *case)?),
                });
            }
        }
        Pattern::Arn(tokens) => {
            let colon = class_id(alphabet, ':')?;
            let first = steps.len();
            let mut separators = 0;
            for token in tokens {
                let wildcard = if separators < 5 {
                    Take::AnyBut(colon)
                } else {
                    Take::Any
                };
                steps.push(match *token {
                    GlobToken::AnyString => Step::Run(wildcard),
                    GlobToken::AnyChar => Step::One(wildcard),
                    GlobToken::Char(c) => {
                        if c == ':' {
                            separators += 1;
                        }
                        Step::One(char_step(c, Case::Sensitive)?)
                    }
                });
            }
            if separators < 5 {
                // Not an ARN pattern: it matches nothing.
                steps.truncate(first);
                steps.push(Step::One(Take::Few(0, [0; 4])));
            }
        }
        Pattern::AsciiFold(text) => {
            // Only ASCII case variants: `eq_ignore_ascii_case` equates no other characters (the
            // encoder makes this pattern for ASCII text only).
            for c in text.chars() {
                let variants: Vec<char> = fold_class(c)
                    .iter()
                    .copied()
                    .filter(char::is_ascii)
                    .collect();
                steps.push(Step::One(only(alphabet, variants)?));
            }
        }
    }
    Ok(())
}

/// The automaton's tables before its atoms are numbered: what either construction makes.
#[derive(Debug, PartialEq, Eq)]
struct Built {
    edge_start: Vec<u32>,
    edges: Vec<(u32, u32)>,
    default: Vec<u32>,
    /// Per state, its signature's index in `signatures`; [`OUTSIDE`] for the sink.
    atom_of: Vec<u32>,
    /// The distinct signatures, in the order the states met them.
    signatures: Vec<Vec<bool>>,
}

impl Built {
    /// Tables for about `expected` states with about `edges` explicit transitions.
    fn with_capacity(expected: usize, edges: usize) -> Built {
        let mut edge_start = Vec::with_capacity(expected + 1);
        edge_start.push(0u32);
        Built {
            edge_start,
            edges: Vec::with_capacity(edges),
            default: Vec::with_capacity(expected),
            atom_of: Vec::with_capacity(expected),
            signatures: Vec::new(),
        }
    }

    /// Closes the current state's row of explicit transitions.
    fn end_row(&mut self) -> Result<(), DomainError> {
        self.edge_start.push(position(self.edges.len())?);
        Ok(())
    }
}

/// Up to this many signatures are looked up by comparing them in place (most splits have a
/// few atoms); past it, by a table.
const FEW: usize = 16;

/// The signature of each set of accepted patterns, shared by the states that accept alike.
struct Signatures<'a> {
    formulas: &'a [Formula],
    max_atoms: usize,
    /// Each signature's id (its index in the list of signatures).
    ids: IndexOf<Vec<bool>>,
    /// The signature id of states where no pattern has matched (most states).
    unmatched: Option<u32>,
    /// The signature id of each set of accepted patterns met so far: many states accept the
    /// same patterns (every state past the `*` of `arn:*:*:*:111122223333:*`). Sets of
    /// patterns below 64 (nearly all) by their bitmask, the others by their list.
    by_mask: MaskIds,
    by_accepted: FastMap<Vec<u32>, u32>,
    scratch: Vec<bool>,
}

impl<'a> Signatures<'a> {
    fn new(formulas: &'a [Formula], max_atoms: usize) -> Signatures<'a> {
        Signatures {
            formulas,
            max_atoms,
            ids: IndexOf::default(),
            unmatched: None,
            by_mask: MaskIds::default(),
            by_accepted: FastMap::default(),
            scratch: Vec::with_capacity(formulas.len()),
        }
    }

    /// The signature id of a state accepting the patterns `accepted` (sorted), added to
    /// `signatures` if new.
    ///
    /// # Errors
    /// [`DomainError::Budget`] past `max_atoms` signatures.
    fn of(
        &mut self,
        accepted: &[u32],
        signatures: &mut Vec<Vec<bool>>,
    ) -> Result<u32, DomainError> {
        let mask = accepted
            .iter()
            .try_fold(0u64, |m, &p| Some(m | 1u64.checked_shl(p)?));
        let known = match mask {
            _ if accepted.is_empty() => self.unmatched,
            Some(mask) => self.by_mask.get(mask),
            None => self.by_accepted.get(accepted).copied(),
        };
        if let Some(id) = known {
            return Ok(id);
        }
        self.scratch.clear();
        self.scratch
            .extend(self.formulas.iter().map(|f| f.holds(accepted)));
        let id = match self.ids.find(signatures, &self.scratch)? {
            Some(id) => id,
            None => {
                if signatures.len() >= self.max_atoms {
                    return Err(DomainError::Budget {
                        what: "atoms",
                        limit: self.max_atoms,
                    });
                }
                let id = position(signatures.len())?;
                self.ids.appended(&self.scratch, id);
                signatures.push(self.scratch.clone());
                id
            }
        };
        match mask {
            _ if accepted.is_empty() => self.unmatched = Some(id),
            Some(mask) => {
                self.by_mask.insert(mask, id);
            }
            None => {
                self.by_accepted.insert(accepted.to_vec(), id);
            }
        }
        Ok(id)
    }
}

/// The index of a value in a list of distinct values that only grows (a split's signatures,
/// a trie's sets of completed prefixes): found by comparing in place among up to [`FEW`], past
/// that through a table made when first needed and then kept up to date.
struct IndexOf<T> {
    table: FastMap<T, u32>,
}

impl<T> Default for IndexOf<T> {
    fn default() -> Self {
        IndexOf {
            table: FastMap::default(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash> IndexOf<T> {
    /// `key`'s index in `list` (the list this index has followed), if it is there.
    fn find(&mut self, list: &[T], key: &T) -> Result<Option<u32>, DomainError> {
        if list.len() <= FEW {
            return list.iter().position(|t| t == key).map(position).transpose();
        }
        if self.table.is_empty() {
            for (at, t) in list.iter().enumerate() {
                self.table.insert(t.clone(), position(at)?);
            }
        }
        Ok(self.table.get(key).copied())
    }

    /// Records that `key` was appended to the list at index `id`.
    fn appended(&mut self, key: &T, id: u32) {
        if !self.table.is_empty() {
            self.table.insert(key.clone(), id);
        }
    }
}

/// Ids by pattern bitmask: up to [`FEW`] in a list scanned in place (a split's states accept
/// a few distinct sets of patterns), past it in a table.
#[derive(Default)]
struct MaskIds {
    few: Vec<(u64, u32)>,
    many: FastMap<u64, u32>,
}

impl MaskIds {
    fn get(&self, mask: u64) -> Option<u32> {
        if self.many.is_empty() {
            self.few
                .iter()
                .find(|&&(m, _)| m == mask)
                .map(|&(_, id)| id)
        } else {
            self.many.get(&mask).copied()
        }
    }

    /// Records the id of a mask not recorded yet.
    fn insert(&mut self, mask: u64, id: u32) {
        if self.many.is_empty() && self.few.len() < FEW {
            self.few.push((mask, id));
        } else {
            self.many.extend(self.few.drain(..));
            self.many.insert(mask, id);
        }
    }
}

/// The classes of the characters a split's strings must not hold, sorted.
fn forbidden_classes(alphabet: &Alphabet, forbidden: &[char]) -> Result<Vec<u32>, DomainError> {
    let mut f = forbidden
        .iter()
        .map(|&c| class_id(alphabet, c))
        .collect::<Result<Vec<_>, _>>()?;
    f.sort_unstable();
    f.dedup();
    Ok(f)
}

/// The subset construction on the positions of all patterns together (any patterns): on
/// bitmask position sets when the patterns have at most 128 positions (the principal's IAM
/// shapes and a few patterns: most wildcard splits), else on sorted position lists.
fn subset_construction(
    alphabet: &Arc<Alphabet>,
    patterns: &[Pattern],
    formulas: &[Formula],
    forbidden: &[char],
    limit: usize,
    max_atoms: usize,
) -> Result<Built, DomainError> {
    let positions = Positions::compile(alphabet, patterns)?;
    let forbidden = forbidden_classes(alphabet, forbidden)?;
    let other = position(alphabet.chars().len())?;
    let rules = Rules {
        formulas,
        forbidden: &forbidden,
        other,
        limit,
        max_atoms,
    };
    match SmallPositions::<u128>::with_takers(positions) {
        Ok(small) => mask_construction(&small, &rules),
        Err(positions) => list_construction(&positions, &rules),
    }
}

/// What a subset construction needs besides the positions.
struct Rules<'a> {
    formulas: &'a [Formula],
    /// The classes leading to the sink, sorted.
    forbidden: &'a [u32],
    /// The class no pattern names.
    other: u32,
    /// At most this many states.
    limit: usize,
    max_atoms: usize,
}

/// The position sets of a subset construction's states, interned: sorted lists or bitmasks.
/// [`construct`] walks either the same way, so both number and list the states alike.
trait StateSpace {
    /// The number of positions (the tables are sized for about as many states).
    fn positions(&self) -> usize;
    /// Makes `state` the current state; `false` past the last one.
    fn load(&mut self, state: usize) -> bool;
    /// The state the current one reaches on `class`, added if new (at most `limit` states).
    fn step(&mut self, class: u32, limit: usize) -> Result<u32, DomainError>;
    /// A new state for the sink, equal to no position set (at most `limit` states).
    fn add_sink(&mut self, limit: usize) -> Result<u32, DomainError>;
    /// The classes the current state's positions name, added to `out`.
    fn named_classes(&self, out: &mut Vec<u32>);
    /// The patterns that end in the current state, in position order, into `out`.
    fn accepted(&self, out: &mut Vec<u32>);
}

/// The subset construction: states numbered as met (a state's default target first, then its
/// named classes in order), the sink made when a forbidden class is first met.
fn construct(space: &mut impl StateSpace, rules: &Rules<'_>) -> Result<Built, DomainError> {
    let (forbidden, limit) = (rules.forbidden, rules.limit);
    // Most automata have about as many states as positions: the per-state tables are sized
    // for that once instead of doubling from nothing.
    let mut built = Built::with_capacity(space.positions() + 2, space.positions() + 2);
    let mut signatures = Signatures::new(rules.formulas, rules.max_atoms);
    let mut sink: Option<u32> = None;
    let mut named = Vec::new();
    let mut accepted = Vec::new();
    let mut state = 0usize;
    while space.load(state) {
        if sink.is_some_and(|s| s as usize == state) {
            built.default.push(position(state)?);
            built.atom_of.push(OUTSIDE);
        } else {
            let fallback = space.step(rules.other, limit)?;
            built.default.push(fallback);
            named.clear();
            space.named_classes(&mut named);
            named.extend_from_slice(forbidden);
            named.sort_unstable();
            named.dedup();
            for &class in &named {
                let target = if forbidden.binary_search(&class).is_ok() {
                    match sink {
                        Some(s) => s,
                        None => {
                            let id = space.add_sink(limit)?;
                            sink = Some(id);
                            id
                        }
                    }
                } else {
                    space.step(class, limit)?
                };
                if target != fallback {
                    built.edges.push((class, target));
                }
            }
            // The state's signature: which sets hold at it.
            space.accepted(&mut accepted);
            let id = signatures.of(&accepted, &mut built.signatures)?;
            built.atom_of.push(id);
        }
        built.end_row()?;
        state += 1;
    }
    Ok(built)
}

/// The subset construction on bitmask position sets.
fn mask_construction<M: Mask>(
    positions: &SmallPositions<M>,
    rules: &Rules<'_>,
) -> Result<Built, DomainError> {
    let mut space = MaskSpace {
        positions,
        ids: FastMap::with_capacity_and_hasher(positions.steps.len() * 2, Default::default()),
        sets: Vec::with_capacity(positions.steps.len() + 2),
        current: M::default(),
    };
    space.intern(positions.start, rules.limit)?;
    construct(&mut space, rules)
}

/// The subset construction on sorted position lists (a state of a query over many literals
/// holds a few positions out of thousands).
fn list_construction(positions: &Positions, rules: &Rules<'_>) -> Result<Built, DomainError> {
    let mut space = ListSpace {
        positions,
        sets: StateSets::with_capacity(positions.steps.len()),
        set: Vec::new(),
        buffer: Vec::new(),
    };
    let start = positions.start(&mut Scratch::default());
    space.sets.intern(&start, rules.limit)?;
    construct(&mut space, rules)
}

/// Bitmask position sets, in a hash map.
struct MaskSpace<'p, M> {
    positions: &'p SmallPositions<M>,
    ids: FastMap<M, u32>,
    /// Per state, its set; `None` for the sink.
    sets: Vec<Option<M>>,
    current: M,
}

impl<M: Mask> MaskSpace<'_, M> {
    /// The state of `set`, added if new (one hash lookup either way).
    fn intern(&mut self, set: M, limit: usize) -> Result<u32, DomainError> {
        match self.ids.entry(set) {
            std::collections::hash_map::Entry::Occupied(known) => Ok(*known.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let id = add(&mut self.sets, Some(set), limit)?;
                slot.insert(id);
                Ok(id)
            }
        }
    }
}

/// Adds a state with set `set` (`None`: the sink), at most `limit` states.
fn add<M>(sets: &mut Vec<Option<M>>, set: Option<M>, limit: usize) -> Result<u32, DomainError> {
    if sets.len() >= limit {
        return Err(DomainError::Budget {
            what: STATES,
            limit,
        });
    }
    let id = position(sets.len())?;
    sets.push(set);
    Ok(id)
}

impl<M: Mask> StateSpace for MaskSpace<'_, M> {
    fn positions(&self) -> usize {
        self.positions.steps.len()
    }

    fn load(&mut self, state: usize) -> bool {
        match self.sets.get(state) {
            Some(set) => {
                self.current = set.unwrap_or_default();
                true
            }
            None => false,
        }
    }

    fn step(&mut self, class: u32, limit: usize) -> Result<u32, DomainError> {
        self.intern(self.positions.step(self.current, class), limit)
    }

    fn add_sink(&mut self, limit: usize) -> Result<u32, DomainError> {
        add(&mut self.sets, None, limit)
    }

    fn named_classes(&self, out: &mut Vec<u32>) {
        self.positions.named_classes(self.current, out);
    }

    fn accepted(&self, out: &mut Vec<u32>) {
        self.positions.accepted(self.current, out);
    }
}

/// Sorted position lists, interned in [`StateSets`].
struct ListSpace<'p> {
    positions: &'p Positions,
    sets: StateSets,
    /// The current state's set.
    set: Vec<u32>,
    buffer: Vec<u32>,
}

impl StateSpace for ListSpace<'_> {
    fn positions(&self) -> usize {
        self.positions.steps.len()
    }

    fn load(&mut self, state: usize) -> bool {
        self.sets.get(state, &mut self.set)
    }

    fn step(&mut self, class: u32, limit: usize) -> Result<u32, DomainError> {
        self.positions.step(&self.set, class, &mut self.buffer);
        self.sets.intern(&self.buffer, limit)
    }

    fn add_sink(&mut self, limit: usize) -> Result<u32, DomainError> {
        // A key no position set can equal: the sink has none and loops.
        self.sets.intern(&[u32::MAX], limit)
    }

    fn named_classes(&self, out: &mut Vec<u32>) {
        self.positions.named_classes(&self.set, out);
    }

    fn accepted(&self, out: &mut Vec<u32>) {
        out.clear();
        out.extend(
            self.set
                .iter()
                .filter_map(|&p| match self.positions.steps.get(p as usize) {
                    Some(Step::End(k)) => Some(*k),
                    _ => None,
                }),
        );
    }
}

/// Patterns that are all literals or literal prefixes (`abc`, `abc*`), as a trie of their
/// character classes: the automaton the subset construction makes for them, state for state,
/// without position sets.
///
/// Read by the subset construction, such patterns leave a word `s` in a state determined by
/// the patterns `s` is a proper prefix of (their position is `|s|`), the literals `s` equals,
/// and the prefixes `s` has completed (whose trailing `*` takes everything after). When some
/// pattern is still live or has just ended at `s`, that set of positions belongs to `s` alone:
/// the state is the trie's node of `s`. Otherwise only completed prefixes remain, a *tail*
/// state that loops on every class and is shared by every word with the same completed
/// prefixes (no completed prefix: the dead state). Most condition keys, actions and resources
/// are split by such patterns (`StringEquals`, `s3:Get*`, `arn:aws:s3:::b/*`); the principal's
/// shapes have inner wildcards and take the subset construction. A character compared ignoring
/// case (an action's) leads to its node by each of its variants' classes; patterns whose
/// characters would share some of those classes but not all (a case-sensitive `A` beside a
/// case-insensitive `a`) take the subset construction.
///
/// An ARN pattern's field may also be a wildcard that ends the field (`arn:aws:ec2:*:*:volume/*`,
/// an EC2 policy's usual resource): it reads any run without `:`, so the node where it starts
/// is one state that loops on every other class and leaves by its `:`, the node's only child.
/// That holds when every pattern through the node takes the wildcard there and none ends
/// there ([`Node::run`]); otherwise the patterns take the subset construction.
///
/// The states are numbered, and their transitions listed, in the order the subset construction
/// numbers and lists them (a state's default target first, then its named classes in order),
/// so both constructions give the same tables (a property test compares them).
struct Trie {
    nodes: Vec<Node>,
    /// Per pattern, the next literal pattern ending at the same node, in pattern order.
    next_end: Vec<u32>,
    /// The distinct sets of completed prefixes, sorted.
    tails: Vec<Vec<u32>>,
}

/// A node of a [`Trie`]: one array of them rather than one array per field, so a node is
/// added by one push and read from one place.
#[derive(Clone, Copy)]
struct Node {
    /// Every class leading to it, sorted: one, or a case-insensitive character's variants
    /// (none for the root).
    group: Group,
    /// Its first child ([`NONE`] for none); siblings are in class order.
    first_child: u32,
    /// Its next sibling ([`NONE`] for none).
    next_sibling: u32,
    /// The first literal pattern that ends there ([`NONE`] for none).
    first_end: u32,
    /// The index in `tails` of the prefixes completed on the way to it, itself included.
    tail: u32,
    /// Whether the patterns through it take an ARN field's wildcard here ([`Run::Yes`]: the
    /// node loops on every class but `:`) or not ([`Run::No`]); [`Run::Unset`] until one
    /// passes.
    run: Run,
}

/// Whether a trie node is an ARN field's wildcard (see [`Node::run`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Unset,
    Yes,
    No,
}

impl Node {
    fn new(group: Group) -> Node {
        Node {
            group,
            first_child: NONE,
            next_sibling: NONE,
            first_end: NONE,
            tail: 0,
            run: Run::Unset,
        }
    }
}

/// No node, no pattern.
const NONE: u32 = u32::MAX;

/// The classes one character of a literal takes, sorted: `(count, classes)`.
type Group = (u8, [u32; 4]);

/// Not a character: the wildcard of an ARN field before its `:` ([`literal_classes`]).
const FIELD_RUN: Group = (0, [0; 4]);

fn group_classes(group: &Group) -> &[u32] {
    group.1.get(..usize::from(group.0)).unwrap_or(&[])
}

/// A state of the trie automaton, in the order the subset construction interns them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TrieState {
    Node(u32),
    Tail(u32),
    Sink,
}

impl Trie {
    /// The trie of `patterns` when each is a literal or a literal followed by one trailing
    /// `*`, with one class per character; `None` otherwise (or when a character is not in the
    /// alphabet: the subset construction reports it).
    fn of(alphabet: &Alphabet, patterns: &[Pattern]) -> Option<Trie> {
        let size: usize = patterns
            .iter()
            .map(|p| match p {
                Pattern::Glob { tokens, .. } | Pattern::Arn(tokens) => tokens.len(),
                Pattern::AsciiFold(text) => text.len(),
            })
            .sum::<usize>()
            + 1;
        let mut trie = Trie {
            nodes: Vec::with_capacity(size),
            next_end: vec![NONE; patterns.len()],
            tails: vec![Vec::new()],
        };
        trie.push_node((0, [NONE; 4]))?;
        // The prefixes completing at a node: `(node, pattern)`, in pattern order.
        let mut completes: Vec<(u32, u32)> = Vec::new();
        let mut groups = Vec::with_capacity(size);
        for (index, pattern) in patterns.iter().enumerate() {
            let index = u32::try_from(index).ok()?;
            let prefix = literal_classes(alphabet, pattern, &mut groups)?;
            let mut node = 0u32;
            // Whether the pattern took a field's wildcard at `node`.
            let mut ran = false;
            for group in &groups {
                if *group == FIELD_RUN {
                    trie.mark(node, Run::Yes)?;
                    ran = true;
                } else {
                    if !ran {
                        trie.mark(node, Run::No)?;
                    }
                    ran = false;
                    node = trie.child(node, group)?;
                }
            }
            // A pattern that ends at a node (or completes a prefix there) reads no wildcard
            // there.
            trie.mark(node, Run::No)?;
            if prefix {
                completes.push((node, index));
            } else {
                // Appended at the end of the node's list, which keeps it in pattern order.
                let mut slot = &mut trie.nodes.get_mut(node as usize)?.first_end;
                while *slot != NONE {
                    let at = *slot as usize;
                    slot = trie.next_end.get_mut(at)?;
                }
                *slot = index;
            }
        }
        if !completes.is_empty() {
            completes.sort_unstable();
            // The completed prefixes of every node, parents before children (a child's index
            // is above its parent's), each distinct set once ([`IndexOf`]).
            let mut ids: IndexOf<Vec<u32>> = IndexOf::default();
            let mut set = Vec::new();
            let mut next = 0usize;
            for node in 0..trie.nodes.len() {
                let mut tail = trie.nodes.get(node)?.tail;
                let here = completes
                    .get(next..)?
                    .iter()
                    .take_while(|&&(n, _)| n as usize == node)
                    .count();
                if here > 0 {
                    set.clear();
                    set.extend_from_slice(trie.tails.get(tail as usize)?);
                    set.extend(completes.get(next..next + here)?.iter().map(|&(_, p)| p));
                    set.sort_unstable();
                    next += here;
                    tail = match ids.find(&trie.tails, &set).ok()? {
                        Some(id) => id,
                        None => {
                            let id = u32::try_from(trie.tails.len()).ok()?;
                            ids.appended(&set, id);
                            trie.tails.push(set.clone());
                            id
                        }
                    };
                    trie.nodes.get_mut(node)?.tail = tail;
                }
                let mut child = trie.nodes.get(node)?.first_child;
                while child != NONE {
                    let at = trie.nodes.get_mut(child as usize)?;
                    at.tail = tail;
                    child = at.next_sibling;
                }
            }
        }
        Some(trie)
    }

    /// Records whether the patterns through `node` take a field's wildcard there; `None` when
    /// they disagree (the subset construction then reads both).
    fn mark(&mut self, node: u32, run: Run) -> Option<()> {
        let at = self.nodes.get_mut(node as usize)?;
        if at.run == Run::Unset {
            at.run = run;
        }
        (at.run == run).then_some(())
    }

    fn push_node(&mut self, group: Group) -> Option<u32> {
        let id = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&id| id != NONE)?;
        self.nodes.push(Node::new(group));
        Some(id)
    }

    /// The child of `node` by `group`, added (in class order among its siblings) if new;
    /// `None` when a sibling's group shares some classes with it but not all (a
    /// case-sensitive `A` and a case-insensitive `a`: no trie reads both).
    fn child(&mut self, node: u32, group: &Group) -> Option<u32> {
        if group.0 == 0 {
            return None;
        }
        // A node without children (every node of a single pattern) takes the new one first.
        if self.nodes.get(node as usize)?.first_child == NONE {
            let child = self.push_node(*group)?;
            self.nodes.get_mut(node as usize)?.first_child = child;
            return Some(child);
        }
        let classes = group_classes(group);
        let class = *classes.first()?;
        let mut before = NONE;
        let mut found = NONE;
        let mut at = self.nodes.get(node as usize)?.first_child;
        while at != NONE {
            let sibling = self.nodes.get(at as usize)?;
            let theirs = group_classes(&sibling.group);
            if theirs == classes {
                found = at;
            } else if theirs.iter().any(|c| classes.binary_search(c).is_ok()) {
                return None;
            } else if found == NONE && theirs.first().is_some_and(|&c| c < class) {
                before = at;
            }
            at = sibling.next_sibling;
        }
        if found != NONE {
            return Some(found);
        }
        let link = if before == NONE { node } else { before };
        let at = {
            let n = self.nodes.get(link as usize)?;
            if before == NONE {
                n.first_child
            } else {
                n.next_sibling
            }
        };
        let child = self.push_node(*group)?;
        self.nodes.get_mut(child as usize)?.next_sibling = at;
        let n = self.nodes.get_mut(link as usize)?;
        if before == NONE {
            n.first_child = child;
        } else {
            n.next_sibling = child;
        }
        Some(child)
    }

    /// The children of `node` by every class of their groups: `(class, child)` into `out`, in
    /// class order.
    fn children(&self, node: u32, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let mut grouped = false;
        let mut siblings = 0usize;
        let mut at = self
            .nodes
            .get(node as usize)
            .map_or(NONE, |n| n.first_child);
        while let Some(child) = self.nodes.get(at as usize) {
            let classes = group_classes(&child.group);
            grouped |= classes.len() > 1;
            siblings += 1;
            out.extend(classes.iter().map(|&c| (c, at)));
            at = child.next_sibling;
        }
        // Siblings are in the order of their first classes; a group's other classes may fall
        // between later siblings (an only child's group is sorted already).
        if grouped && siblings > 1 {
            out.sort_unstable();
        }
    }

    /// The only child of `node` and its class, when it has one child by one class.
    fn only_child(&self, node: u32) -> Option<(u32, u32)> {
        let first = self.nodes.get(node as usize)?.first_child;
        let child = self.nodes.get(first as usize)?;
        (child.next_sibling == NONE && child.group.0 == 1).then_some((child.group.1[0], first))
    }

    /// The literal patterns ending at `node`, in pattern order.
    fn ends(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.nodes.get(node as usize).map_or(NONE, |n| n.first_end);
        std::iter::from_fn(move || {
            (at != NONE).then(|| {
                let here = at;
                at = self.next_end.get(here as usize).copied().unwrap_or(NONE);
                here
            })
        })
    }

    /// The state of the word leading to `node`: the node while some pattern is live or ends
    /// there, else the tail of its completed prefixes.
    fn state_of(&self, node: u32) -> TrieState {
        match self.nodes.get(node as usize) {
            Some(n) if n.first_child == NONE && n.first_end == NONE => TrieState::Tail(n.tail),
            Some(_) => TrieState::Node(node),
            None => TrieState::Tail(0),
        }
    }

    /// The automaton, numbered and listed as [`subset_construction`] does.
    ///
    /// Its own loop rather than [`construct`] over a trie state space: that was tried, and
    /// merging the children with the forbidden classes (no sort), finding a child in the
    /// merge (no search) and keeping one signature per tail made this loop 2.8 % of the
    /// compare bench's instructions cheaper.
    fn automaton(
        &self,
        formulas: &[Formula],
        forbidden: &[u32],
        limit: usize,
        max_atoms: usize,
    ) -> Result<Built, DomainError> {
        let nodes = self.nodes.len();
        // Each state but the sink has a transition per forbidden class besides its children's.
        let mut built = Built::with_capacity(nodes + 2, (nodes + 2) * (1 + forbidden.len()));
        let mut signatures = Signatures::new(formulas, max_atoms);
        let mut states: Vec<TrieState> = Vec::with_capacity(nodes + 2);
        let mut node_ids: Vec<u32> = vec![NONE; nodes];
        let mut tail_ids: Vec<u32> = vec![NONE; self.tails.len()];
        let mut sink_id = NONE;
        let over = || DomainError::Budget {
            what: STATES,
            limit,
        };
        let mut intern = |state: TrieState, states: &mut Vec<TrieState>| {
            let slot = match state {
                TrieState::Node(n) => node_ids.get_mut(n as usize),
                TrieState::Tail(t) => tail_ids.get_mut(t as usize),
                TrieState::Sink => Some(&mut sink_id),
            }
            .ok_or_else(over)?;
            if *slot != NONE {
                return Ok(*slot);
            }
            if states.len() >= limit {
                return Err(over());
            }
            let id = position(states.len())?;
            *slot = id;
            states.push(state);
            Ok(id)
        };
        intern(self.state_of(0), &mut states)?;
        // Per tail, its signature (a node where no literal ends has its tail's).
        let mut tail_signature: Vec<u32> = vec![NONE; self.tails.len()];
        let mut signature_of_tail =
            |t: u32, signatures: &mut Signatures<'_>, list: &mut Vec<Vec<bool>>| {
                let slot = tail_signature.get_mut(t as usize).ok_or_else(over)?;
                if *slot == NONE {
                    let tail = self.tails.get(t as usize).map_or(&[][..], Vec::as_slice);
                    *slot = signatures.of(tail, list)?;
                }
                Ok::<u32, DomainError>(*slot)
            };
        let mut accepted = Vec::new();
        let mut children = Vec::new();
        let mut at = 0usize;
        while let Some(&state) = states.get(at) {
            match state {
                TrieState::Sink => {
                    built.default.push(position(at)?);
                    built.atom_of.push(OUTSIDE);
                }
                TrieState::Tail(t) => {
                    // Every class but a forbidden one loops: the completed prefixes take it.
                    let here = position(at)?;
                    built.default.push(here);
                    for &class in forbidden {
                        let sink = intern(TrieState::Sink, &mut states)?;
                        built.edges.push((class, sink));
                    }
                    let id = signature_of_tail(t, &mut signatures, &mut built.signatures)?;
                    built.atom_of.push(id);
                }
                TrieState::Node(n) => {
                    let (tail, first_end, run) = self
                        .nodes
                        .get(n as usize)
                        .map_or((0, NONE, Run::No), |n| (n.tail, n.first_end, n.run));
                    // A field's wildcard takes every class but its `:` (the node's only
                    // child) and the forbidden ones: they stay here.
                    let fallback = if run == Run::Yes {
                        position(at)?
                    } else {
                        intern(TrieState::Tail(tail), &mut states)?
                    };
                    built.default.push(fallback);
                    // The children's classes and the forbidden ones, merged in class order (a
                    // forbidden class leads to the sink). Most nodes have one child by one
                    // class, read without a list.
                    let only;
                    let row: &[(u32, u32)] = match self.only_child(n) {
                        Some(pair) => {
                            only = [pair];
                            &only
                        }
                        None => {
                            self.children(n, &mut children);
                            &children
                        }
                    };
                    let (mut c_at, mut f_at) = (0, 0);
                    loop {
                        let (class, target) = match (row.get(c_at), forbidden.get(f_at)) {
                            (None, None) => break,
                            (Some(&(c, _)), Some(&f)) if f <= c => {
                                f_at += 1;
                                if f == c {
                                    c_at += 1;
                                }
                                (f, intern(TrieState::Sink, &mut states)?)
                            }
                            (None, Some(&f)) => {
                                f_at += 1;
                                (f, intern(TrieState::Sink, &mut states)?)
                            }
                            (Some(&(c, child)), _) => {
                                c_at += 1;
                                (c, intern(self.state_of(child), &mut states)?)
                            }
                        };
                        if target != fallback {
                            built.edges.push((class, target));
                        }
                    }
                    let id = if first_end != NONE {
                        accepted.clear();
                        accepted.extend(self.ends(n));
                        accepted.extend_from_slice(
                            self.tails.get(tail as usize).map_or(&[][..], Vec::as_slice),
                        );
                        accepted.sort_unstable();
                        signatures.of(&accepted, &mut built.signatures)?
                    } else {
                        signature_of_tail(tail, &mut signatures, &mut built.signatures)?
                    };
                    built.atom_of.push(id);
                }
            }
            built.end_row()?;
            at += 1;
        }
        Ok(built)
    }
}

/// The classes of each character of a literal pattern, or of a literal followed by one
/// trailing `*` (then `true`), into `out`; for an ARN pattern also [`FIELD_RUN`] for each
/// field's `*` that ends its field (`arn:aws:ec2:*:*:instance/*`). `None` for any other
/// pattern, a character none of whose variants is listed, or one with more than four variants.
fn literal_classes(alphabet: &Alphabet, pattern: &Pattern, out: &mut Vec<Group>) -> Option<bool> {
    out.clear();
    match pattern {
        Pattern::Glob { tokens, case } => {
            let mut prefix = false;
            for (i, token) in tokens.iter().enumerate() {
                match *token {
                    GlobToken::Char(c) => out.push(match case {
                        Case::Sensitive => (1, [class_id(alphabet, c).ok()?, NONE, NONE, NONE]),
                        Case::Insensitive => group_of(alphabet, fold_class(c).iter().copied())?,
                    }),
                    GlobToken::AnyString if i + 1 == tokens.len() => prefix = true,
                    GlobToken::AnyString | GlobToken::AnyChar => return None,
                }
            }
            Some(prefix)
        }
        Pattern::AsciiFold(text) => {
            for c in text.chars() {
                let folded = fold_class(c);
                out.push(group_of(
                    alphabet,
                    folded.iter().copied().filter(char::is_ascii),
                )?);
            }
            Some(false)
        }
        Pattern::Arn(tokens) => {
            // Five fields and the resource. A field's `*` reads any run without `:` and must
            // end the field (then the `:` leaves it, one way); the resource's only at the end.
            let mut separators = 0;
            let mut prefix = false;
            for (i, token) in tokens.iter().enumerate() {
                match *token {
                    GlobToken::Char(c) => {
                        separators += usize::from(c == ':');
                        out.push((1, [class_id(alphabet, c).ok()?, NONE, NONE, NONE]));
                    }
                    GlobToken::AnyString
                        if separators < 5 && tokens.get(i + 1) == Some(&GlobToken::Char(':')) =>
                    {
                        out.push(FIELD_RUN);
                    }
                    GlobToken::AnyString if separators >= 5 && i + 1 == tokens.len() => {
                        prefix = true;
                    }
                    GlobToken::AnyString | GlobToken::AnyChar => return None,
                }
            }
            // Fewer fields: the pattern matches nothing (the subset construction says so).
            (separators >= 5).then_some(prefix)
        }
    }
}

/// The classes of a character's variants, sorted and distinct, as [`only`] takes them;
/// `None` past four variants. The variants come sorted ([`fold_class`]), and so do the classes
/// of sorted listed characters, so each class goes at the end; were one not above the last,
/// `None` leaves the patterns to the subset construction.
fn group_of(alphabet: &Alphabet, chars: impl Iterator<Item = char>) -> Option<Group> {
    let mut group: Group = (0, [NONE; 4]);
    for c in chars {
        let class = class_id(alphabet, c).ok()?;
        let have = usize::from(group.0);
        if have
            .checked_sub(1)
            .and_then(|i| group.1.get(i))
            .is_some_and(|&last| last >= class)
        {
            return None;
        }
        *group.1.get_mut(have)? = class;
        group.0 += 1;
    }
    (group.0 > 0).then_some(group)
}

/// The position sets of the subset construction's states, interned: one flat arena and a
/// hash table of state ids (the newest state with a hash first, older ones chained).
struct StateSets {
    arena: Vec<u32>,
    /// State `i`'s set is `arena[bounds[i]..bounds[i + 1]]`.
    bounds: Vec<usize>,
    by_hash: FastMap<u64, u32>,
    /// Per state, the previous state with the same hash.
    next: Vec<Option<u32>>,
}

impl StateSets {
    fn with_capacity(positions: usize) -> StateSets {
        StateSets {
            arena: Vec::with_capacity(positions * 4),
            bounds: vec![0],
            by_hash: FastMap::with_capacity_and_hasher(positions * 2, Default::default()),
            next: Vec::with_capacity(positions * 2),
        }
    }

    fn slice(&self, state: usize) -> &[u32] {
        match (self.bounds.get(state), self.bounds.get(state + 1)) {
            (Some(&from), Some(&to)) => self.arena.get(from..to).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Copies state `state`'s set into `out`; `false` when there is no such state.
    fn get(&self, state: usize, out: &mut Vec<u32>) -> bool {
        if state + 1 >= self.bounds.len() {
            return false;
        }
        out.clear();
        out.extend_from_slice(self.slice(state));
        true
    }

    /// The state of `set`, added if new (at most `limit` states).
    fn intern(&mut self, set: &[u32], limit: usize) -> Result<u32, DomainError> {
        let hash = {
            use std::hash::{Hash as _, Hasher as _};
            let mut h = super::glob::FxHasher::default();
            set.hash(&mut h);
            h.finish()
        };
        let head = self.by_hash.get(&hash).copied();
        let mut at = head;
        while let Some(id) = at {
            if self.slice(id as usize) == set {
                return Ok(id);
            }
            at = self.next.get(id as usize).copied().flatten();
        }
        let n = self.next.len();
        if n >= limit {
            return Err(DomainError::Budget {
                what: STATES,
                limit,
            });
        }
        let id = position(n)?;
        self.arena.extend_from_slice(set);
        self.bounds.push(self.arena.len());
        self.next.push(head);
        self.by_hash.insert(hash, id);
        Ok(id)
    }
}

/// A set of strings as a Boolean combination of patterns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Formula {
    /// Every string.
    All,
    /// No string.
    Empty,
    /// The strings the pattern with this index matches.
    Pattern(usize),
    /// Strings in any part.
    Union(Vec<Formula>),
    /// Strings in the first set and not in the second.
    Diff(Box<Formula>, Box<Formula>),
}

impl Formula {
    fn holds(&self, accepted: &[u32]) -> bool {
        match self {
            Formula::All => true,
            Formula::Empty => false,
            Formula::Pattern(p) => u32::try_from(*p).is_ok_and(|p| accepted.contains(&p)),
            Formula::Union(parts) => parts.iter().any(|f| f.holds(accepted)),
            Formula::Diff(a, b) => a.holds(accepted) && !b.holds(accepted),
        }
    }
}

/// A string variable split by sets of patterns: the automaton, the atom of every state, and the
/// witnesses found so far.
#[derive(Debug)]
pub(crate) struct StringAtoms {
    alphabet: Arc<Alphabet>,
    /// Per state, where its explicit transitions start in `edges`; one more entry at the end.
    edge_start: Vec<u32>,
    /// `(class, target)`, sorted by class per state: the classes whose target differs from the
    /// state's default.
    edges: Vec<(u32, u32)>,
    /// Per state, the target of every class not in its explicit transitions.
    default: Vec<u32>,
    /// Per state, its atom; [`OUTSIDE`] for strings outside the variable's universe.
    atom_of: Vec<u32>,
    /// Per atom, per set: whether the atom lies inside the set (until the split that keeps
    /// them takes them, [`StringAtoms::take_inside`]).
    inside: Vec<Vec<bool>>,
    /// Witness preferences, most preferred first.
    preferred: Arc<[Pattern]>,
    /// Each preference compiled when a witness first asks for it (`None`: it does not
    /// compile).
    compiled_preferred: Vec<OnceLock<Option<SmallPositions<u64>>>>,
    /// Per atom, its shortest word (computed once, for all atoms).
    shortest: OnceLock<Vec<Option<String>>>,
    /// Per atom, the states from which one of its states can be reached (when first asked).
    live: Vec<OnceLock<Vec<bool>>>,
    /// Per state, its predecessors (when first asked).
    predecessors: OnceLock<Predecessors>,
    /// Per class, its rank in the alphabet's witness preference (`u32::MAX` for none).
    rank: Vec<u32>,
    max_states: usize,
    /// The atoms of the value lists read so far ([`StringAtoms::atoms_of_list`]), newest last.
    lists: Mutex<Vec<ListAtoms>>,
}

/// The atom of each value of a list, under one split.
type ListAtoms = (Arc<[String]>, Arc<[Option<usize>]>);

/// The buffers of a witness search ([`StringAtoms::search_in`]).
#[derive(Default)]
struct SearchScratch {
    /// The pairs met (automaton state, preference positions).
    ids: FastMap<(u32, u64), ()>,
    pairs: Vec<(u32, u64)>,
    /// Per pair, the pair and class it was reached from.
    parent: Vec<Option<(u32, u32)>>,
    classes: Vec<u32>,
    moves: Vec<(u32, u32)>,
}

thread_local! {
    static SEARCH: std::cell::RefCell<SearchScratch> = std::cell::RefCell::default();
}

/// A witness preference's positions as bitmasks (the preferred patterns are short); `None`
/// when it does not compile.
fn compile_preference(alphabet: &Alphabet, pattern: &Pattern) -> Option<SmallPositions<u64>> {
    Positions::compile(alphabet, std::slice::from_ref(pattern))
        .ok()
        .and_then(|p| SmallPositions::<u64>::new(p).ok())
}

/// Every state's predecessors in a split's automaton (for the states that reach an atom).
#[derive(Debug)]
enum Predecessors {
    /// Per state, its predecessors as a bit set (automata of at most 128 states).
    Masks(Vec<u128>),
    /// Compressed rows: state `s`'s predecessors are `preds[starts[s]..starts[s + 1]]`.
    Lists(Vec<u32>, Vec<u32>),
}

/// Whether `state` is marked in `live` (the states from which an atom is reached).
fn reaches(live: &[bool], state: u32) -> bool {
    live.get(state as usize).copied().unwrap_or(false)
}

/// Where a witness search starts: after reading a preference's leading literal `classes`, in
/// automaton `state` with the preference's positions `bits`.
struct Lead<'a> {
    state: u32,
    bits: u64,
    classes: &'a [u32],
}

/// The literal characters a pattern starts with, each matching only itself: those of a
/// case-sensitive glob or of an ARN pattern (whose literal characters match exactly; one with
/// fewer than five `:` matches nothing, which the search then finds).
fn leading_literal(pattern: &Pattern) -> impl Iterator<Item = &char> {
    let tokens: &[GlobToken] = match pattern {
        Pattern::Glob {
            tokens,
            case: Case::Sensitive,
        }
        | Pattern::Arn(tokens) => tokens,
        Pattern::Glob { .. } | Pattern::AsciiFold(_) => &[],
    };
    tokens.iter().map_while(|t| match t {
        GlobToken::Char(c) => Some(c),
        GlobToken::AnyChar | GlobToken::AnyString => None,
    })
}

/// How many value lists a split remembers the atoms of.
const LISTS: usize = 4;

/// The atom of states outside the universe.
const OUTSIDE: u32 = u32::MAX;

impl StringAtoms {
    /// Splits the strings over `alphabet` (without any character of `forbidden`) by `sets`,
    /// Boolean combinations of `patterns`. `preferred` are the witness preferences.
    ///
    /// Atoms are numbered by their membership in `sets`, in lexicographic order with "inside"
    /// before "outside" (the order of refining the universe set by set).
    ///
    /// # Errors
    /// [`DomainError::Budget`] over `alphabet.max_states()` states or `max_atoms` atoms,
    /// [`DomainError::NotInAlphabet`] for a pattern character the alphabet does not list.
    pub(crate) fn new(
        alphabet: &Arc<Alphabet>,
        patterns: &[Pattern],
        formulas: &[Formula],
        forbidden: &[char],
        preferred: &Arc<[Pattern]>,
        max_atoms: usize,
    ) -> Result<StringAtoms, DomainError> {
        let limit = alphabet.max_states();
        let built = match Trie::of(alphabet, patterns) {
            Some(trie) => {
                let forbidden = forbidden_classes(alphabet, forbidden)?;
                trie.automaton(formulas, &forbidden, limit, max_atoms)?
            }
            None => subset_construction(alphabet, patterns, formulas, forbidden, limit, max_atoms)?,
        };
        let Built {
            edge_start,
            edges,
            default,
            mut atom_of,
            mut signatures,
        } = built;
        // Atoms in the refinement order.
        let mut order: Vec<u32> = (0..signatures.len())
            .filter_map(|i| position(i).ok())
            .collect();
        // "Inside" before "outside", set by set: the signatures compared with each flag
        // negated, in place.
        order.sort_by(|&a, &b| {
            let key = |i: u32| {
                signatures
                    .get(i as usize)
                    .map(|s| s.iter().map(|&inside| !inside))
            };
            match (key(a), key(b)) {
                (Some(x), Some(y)) => x.cmp(y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            }
        });
        let mut renumber = vec![0u32; signatures.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = renumber.get_mut(old as usize) {
                *slot = position(new)?;
            }
        }
        for atom in &mut atom_of {
            if *atom != OUTSIDE {
                *atom = renumber.get(*atom as usize).copied().unwrap_or(OUTSIDE);
            }
        }
        let atom_count = signatures.len();
        let inside = order
            .iter()
            .map(|&old| {
                signatures
                    .get_mut(old as usize)
                    .map(std::mem::take)
                    .unwrap_or_default()
            })
            .collect();
        let mut rank = vec![u32::MAX; alphabet.class_count()];
        for (r, &class) in alphabet.preference().iter().enumerate() {
            if let Some(slot) = rank.get_mut(class) {
                *slot = position(r)?;
            }
        }
        Ok(StringAtoms {
            alphabet: Arc::clone(alphabet),
            edge_start,
            edges,
            default,
            atom_of,
            inside,
            preferred: Arc::clone(preferred),
            compiled_preferred: preferred.iter().map(|_| OnceLock::new()).collect(),
            shortest: OnceLock::new(),
            live: (0..atom_count).map(|_| OnceLock::new()).collect(),
            predecessors: OnceLock::new(),
            rank,
            max_states: limit,
            lists: Mutex::new(Vec::new()),
        })
    }

    /// The number of atoms.
    pub(crate) fn atom_count(&self) -> usize {
        self.live.len()
    }

    /// Per atom, per set: whether the atom lies inside the set (empty once taken).
    #[cfg(test)]
    pub(crate) fn inside(&self) -> &[Vec<bool>] {
        &self.inside
    }

    /// Per atom, per set: whether the atom lies inside the set, moved out for the caller to
    /// keep (no copy; the automaton never reads them).
    pub(crate) fn take_inside(&mut self) -> Vec<Vec<bool>> {
        std::mem::take(&mut self.inside)
    }

    /// The size of the automaton (states plus explicit transitions), for cache budgets.
    pub(crate) fn weight(&self) -> usize {
        self.default.len() + self.edges.len()
    }

    fn edges_of(&self, state: u32) -> &[(u32, u32)] {
        let from = self.edge_start.get(state as usize).copied().unwrap_or(0) as usize;
        let to = self
            .edge_start
            .get(state as usize + 1)
            .copied()
            .unwrap_or(0) as usize;
        self.edges.get(from..to).unwrap_or(&[])
    }

    fn next(&self, state: u32, class: u32) -> u32 {
        let edges = self.edges_of(state);
        match edges.binary_search_by_key(&class, |&(c, _)| c) {
            Ok(i) => edges.get(i).map_or(0, |&(_, t)| t),
            Err(_) => self.default.get(state as usize).copied().unwrap_or(0),
        }
    }

    #[cfg(test)]
    /// The atom holding `value`, `None` if it is outside the variable's universe.
    pub(crate) fn atom_of(&self, value: &str) -> Option<usize> {
        self.atom_at(self.run(0, value))
    }

    /// The moves from `state` a witness search tries, `(class, target)` in witness preference
    /// order: the state's explicit classes and `extra`, each once, and the most preferred
    /// other class (every other class leads where it leads), keeping only classes of the
    /// witness preference; the targets are read off the state's row as the classes are.
    fn moves(&self, state: u32, extra: &[u32], out: &mut Vec<(u32, u32)>) {
        out.clear();
        let edges = self.edges_of(state);
        let default = self.default.get(state as usize).copied().unwrap_or(0);
        // As (rank, target) first.
        out.extend(
            edges
                .iter()
                .filter_map(|&(class, target)| self.rank_of(class).map(|r| (r, target))),
        );
        // Classes the caller names besides the row's, which go to the default target.
        out.extend(extra.iter().filter_map(|&class| {
            edges
                .binary_search_by_key(&class, |&(c, _)| c)
                .is_err()
                .then(|| self.rank_of(class).map(|r| (r, default)))
                .flatten()
        }));
        out.sort_unstable_by_key(|&(r, _)| r);
        out.dedup_by_key(|&mut (r, _)| r);
        // Every class without an explicit move goes to the default target: the most preferred
        // of them, the first rank the sorted list skips, stands for all.
        let gap = out
            .iter()
            .enumerate()
            .find(|&(at, &(r, _))| r as usize != at)
            .map_or(out.len(), |(at, _)| at);
        let preference = self.alphabet.preference();
        if gap < preference.len() {
            out.insert(gap, (position(gap).unwrap_or(u32::MAX), default));
        }
        for (r, _) in out.iter_mut() {
            *r = preference
                .get(*r as usize)
                .and_then(|&c| u32::try_from(c).ok())
                .unwrap_or(u32::MAX);
        }
    }

    /// Keeps the classes of the witness preference, in its order.
    fn in_preference_order(&self, classes: &mut Vec<u32>) {
        classes.retain(|&c| self.rank_of(c).is_some());
        classes.sort_by_key(|&c| self.rank_of(c));
    }

    /// A class's rank in the witness preference; `None` for a class the searches never take.
    fn rank_of(&self, class: u32) -> Option<u32> {
        self.rank
            .get(class as usize)
            .copied()
            .filter(|&r| r != u32::MAX)
    }

    fn word(&self, parent: &[Option<(u32, u32)>], mut at: u32) -> String {
        let mut word = Vec::new();
        while let Some((from, class)) = parent.get(at as usize).copied().flatten() {
            if let Some(c) = self.alphabet.representative(class as usize) {
                word.push(c);
            }
            at = from;
        }
        word.into_iter().rev().collect()
    }

    /// A shortest word of the atom, the nicest among the shortest (as
    /// [`super::glob::StringSet::witness`] chooses).
    pub(crate) fn witness(&self, atom: usize) -> Option<String> {
        self.shortest
            .get_or_init(|| {
                let states = self.default.len();
                let mut parent: Vec<Option<(u32, u32)>> = vec![None; states];
                let mut seen = vec![false; states];
                let mut found: Vec<Option<String>> = vec![None; self.atom_count()];
                let mut missing = self.atom_count();
                let mut queue = VecDeque::from([0u32]);
                if let Some(s) = seen.first_mut() {
                    *s = true;
                }
                let mut moves = Vec::new();
                while let Some(state) = queue.pop_front() {
                    if let Some(&a) = self.atom_of.get(state as usize)
                        && let Some(slot @ None) = found.get_mut(a as usize)
                    {
                        *slot = Some(self.word(&parent, state));
                        missing -= 1;
                        if missing == 0 {
                            break;
                        }
                    }
                    self.moves(state, &[], &mut moves);
                    for &(class, target) in &moves {
                        if let Some(seen @ false) = seen.get_mut(target as usize) {
                            *seen = true;
                            if let Some(slot) = parent.get_mut(target as usize) {
                                *slot = Some((state, class));
                            }
                            queue.push_back(target);
                        }
                    }
                }
                found
            })
            .get(atom)
            .cloned()
            .flatten()
    }

    /// What every word of `atom` starts with, up to its first `stop`, when that is forced:
    /// from the start state up to reading `stop`, every move into a state that can reach the
    /// atom leads to one same state, and no word of the atom ends on the way. It is then the
    /// lead of [`StringAtoms::witness`]'s word (that word goes through the same states, each
    /// character the most preferred of those leading on), found without searching for it.
    /// `None` when the lead is not forced.
    pub(crate) fn forced_lead(&self, atom: usize, stop: char) -> Option<String> {
        let stop = u32::try_from(self.alphabet.listed_class(stop).ok()?).ok()?;
        self.forced(atom, Some(stop), false).map(|(lead, _)| lead)
    }

    /// The one word of `atom` up to case, when the atom is that: the path from the start
    /// state is forced (as in [`StringAtoms::forced_lead`]) up to a state of the atom, from
    /// which no word of the atom goes on, and each step takes only the case variants of one
    /// character (no class without a row entry, such as a `?`'s). Spelled with the most
    /// preferred variants: [`StringAtoms::witness`]'s word.
    pub(crate) fn forced_word(&self, atom: usize) -> Option<String> {
        let (word, end) = self.forced(atom, None, true)?;
        let live = self.live_states(atom)?;
        let default = self.default.get(end as usize).copied()?;
        (!reaches(live, default) && self.edges_of(end).iter().all(|&(_, t)| !reaches(live, t)))
            .then_some(word)
    }

    /// The forced path from the start state: up to reading `stop` (then `None` if a word of
    /// the atom ends first), or without one up to the first state of the atom. The text read,
    /// each character the most preferred of those leading on, and the state reached. With
    /// `literal`, each step must take only the case variants of one character.
    fn forced(&self, atom: usize, stop: Option<u32>, literal: bool) -> Option<(String, u32)> {
        let live = self.live_states(atom)?;
        let atom = u32::try_from(atom).ok()?;
        let mut moves = Vec::new();
        let mut text = String::new();
        let mut state = 0u32;
        // A forced path visits each state once.
        for _ in 0..=self.default.len() {
            if !reaches(live, state) {
                return None;
            }
            if self.atom_of.get(state as usize).copied() == Some(atom) {
                return match stop {
                    Some(_) => None,
                    None => Some((text, state)),
                };
            }
            let default = self.default.get(state as usize).copied()?;
            if literal && reaches(live, default) {
                return None;
            }
            let (class, target) = if reaches(live, default) {
                // The classes without a row entry take part: ranked by `moves`.
                self.moves(state, &[], &mut moves);
                let mut live_moves = moves.iter().filter(|&&(_, t)| reaches(live, t));
                let &(class, target) = live_moves.next()?;
                if live_moves.any(|&(_, t)| t != target) {
                    return None;
                }
                (class, target)
            } else {
                // Only the row's live entries: one target, the best ranked class.
                let mut best: Option<(u32, u32, u32)> = None;
                for &(class, target) in self.edges_of(state) {
                    if !reaches(live, target) {
                        continue;
                    }
                    let rank = self.rank_of(class).unwrap_or(u32::MAX);
                    match best {
                        Some((_, _, t)) if t != target => return None,
                        Some((r, _, _)) if r <= rank => {}
                        _ => best = Some((rank, class, target)),
                    }
                }
                let (rank, class, target) = best?;
                // A class without a rank is never taken by the witness searches.
                if rank == u32::MAX {
                    return None;
                }
                if literal {
                    let c = self.alphabet.representative(class as usize)?;
                    let variants = fold_class(c);
                    let variant = |other: u32| {
                        self.alphabet
                            .representative(other as usize)
                            .is_some_and(|o| variants.contains(&o))
                    };
                    if !self
                        .edges_of(state)
                        .iter()
                        .all(|&(other, t)| !reaches(live, t) || variant(other))
                    {
                        return None;
                    }
                }
                (class, target)
            };
            if Some(class) == stop {
                return Some((text, state));
            }
            text.push(self.alphabet.representative(class as usize)?);
            state = target;
        }
        None
    }

    /// Whether a word of `atom` extends some word that reaches `state`.
    pub(crate) fn can_reach(&self, state: u32, atom: usize) -> bool {
        self.live_states(atom)
            .is_some_and(|live| reaches(live, state))
    }

    fn live_states(&self, atom: usize) -> Option<&Vec<bool>> {
        let slot = self.live.get(atom)?;
        Some(slot.get_or_init(|| {
            let predecessors = self
                .predecessors
                .get_or_init(|| self.predecessors(self.default.len() <= 128));
            self.live_with(predecessors, atom)
        }))
    }

    /// The states from which a state of `atom` can be reached.
    fn live_with(&self, predecessors: &Predecessors, atom: usize) -> Vec<bool> {
        let mut live = vec![false; self.default.len()];
        let atom_states = self
            .atom_of
            .iter()
            .enumerate()
            .filter(|&(_, &a)| a as usize == atom && a != OUTSIDE)
            .map(|(state, _)| state);
        match predecessors {
            Predecessors::Masks(masks) => {
                // A fixpoint over bit sets: each round adds the predecessors of the
                // states the last one added.
                let mut found = atom_states.fold(0u128, |m, s| m | (1u128 << s));
                let mut frontier = found;
                while frontier != 0 {
                    let mut next = 0u128;
                    while frontier != 0 {
                        let state = frontier.trailing_zeros() as usize;
                        frontier &= frontier - 1;
                        next |= masks.get(state).copied().unwrap_or(0);
                    }
                    frontier = next & !found;
                    found |= next;
                }
                for slot in &mut live {
                    *slot = found & 1 != 0;
                    found >>= 1;
                }
            }
            Predecessors::Lists(starts, preds) => {
                let mut stack: Vec<u32> = Vec::new();
                for state in atom_states {
                    if let Some(slot) = live.get_mut(state) {
                        *slot = true;
                        stack.extend(u32::try_from(state).ok());
                    }
                }
                while let Some(state) = stack.pop() {
                    let from = starts.get(state as usize).copied().unwrap_or(0) as usize;
                    let to = starts.get(state as usize + 1).copied().unwrap_or(0) as usize;
                    for &p in preds.get(from..to).unwrap_or(&[]) {
                        if let Some(slot @ false) = live.get_mut(p as usize) {
                            *slot = true;
                            stack.push(p);
                        }
                    }
                }
            }
        }
        live
    }

    /// Every state's predecessors: as bit sets when `masks` (only for automata of at most
    /// 128 states; others get rows), else as compressed rows.
    fn predecessors(&self, masks: bool) -> Predecessors {
        let states = self.default.len();
        let targets = |state: usize| {
            let from = u32::try_from(state).unwrap_or(u32::MAX);
            self.default
                .get(state)
                .copied()
                .into_iter()
                .chain(self.edges_of(from).iter().map(|&(_, t)| t))
        };
        if masks && states <= 128 {
            let mut masks = vec![0u128; states];
            // Row by row: each state's bit made once, then set at each of its targets.
            let mut bit = 1u128;
            for (state, &default) in self.default.iter().enumerate() {
                let from = u32::try_from(state).unwrap_or(u32::MAX);
                if let Some(mask) = masks.get_mut(default as usize) {
                    *mask |= bit;
                }
                for &(_, t) in self.edges_of(from) {
                    if let Some(mask) = masks.get_mut(t as usize) {
                        *mask |= bit;
                    }
                }
                bit <<= 1;
            }
            return Predecessors::Masks(masks);
        }
        // Compressed rows by counting (a predecessor may repeat; the search does not mind).
        let mut starts = vec![0u32; states + 1];
        for state in 0..states {
            for t in targets(state) {
                if let Some(slot) = starts.get_mut(t as usize + 1) {
                    *slot += 1;
                }
            }
        }
        for i in 1..starts.len() {
            let before = starts.get(i - 1).copied().unwrap_or(0);
            if let Some(slot) = starts.get_mut(i) {
                *slot += before;
            }
        }
        let mut fill = starts.clone();
        let mut preds = vec![0u32; starts.last().copied().unwrap_or(0) as usize];
        for state in 0..states {
            let from = u32::try_from(state).unwrap_or(u32::MAX);
            for t in targets(state) {
                if let Some(at) = fill.get_mut(t as usize) {
                    if let Some(slot) = preds.get_mut(*at as usize) {
                        *slot = from;
                    }
                    *at += 1;
                }
            }
        }
        Predecessors::Lists(starts, preds)
    }

    /// The number of witness preferences.
    pub(crate) fn preferences(&self) -> usize {
        self.preferred.len()
    }

    /// A shortest (then nicest) word of the atom that the `preference`-th preferred pattern
    /// matches; `None` if there is none (or finding one would pass the state budget).
    pub(crate) fn witness_preferring(&self, atom: usize, preference: usize) -> Option<String> {
        self.search_preferring(atom, preference).flatten()
    }

    /// [`StringAtoms::witness_preferring`], telling "no such word" (`Some(None)`) from "not
    /// searched to the end" (`None`: the preference does not compile, or the search would pass
    /// the state budget).
    pub(crate) fn search_preferring(
        &self,
        atom: usize,
        preference: usize,
    ) -> Option<Option<String>> {
        let pattern = self.preferred.get(preference)?;
        let live = self.live_states(atom)?;
        // The preference's leading literal characters lead one way: read them on the
        // automaton first. Most preferences that an atom lacks end here, before their positions
        // are compiled (`arn:aws:s3:::?*` for an EC2 resource), and the search below starts
        // after them: the pairs it skips are the one path its first steps would take.
        let mut state = 0u32;
        let mut lead = Vec::new();
        for &c in leading_literal(pattern) {
            let Ok(class) = self.alphabet.listed_class(c).map(position) else {
                // Every preference's characters are listed; were one not, the full search
                // decides.
                lead.clear();
                state = 0;
                break;
            };
            let class = class.ok()?;
            // The search keeps only classes of the witness preference, and states from
            // which the atom is reached.
            if self.rank_of(class).is_none() || !reaches(live, state) {
                return Some(None);
            }
            state = self.next(state, class);
            lead.push(class);
        }
        if !reaches(live, state) {
            return Some(None);
        }
        // The preferred patterns are short: their position sets are bitmasks.
        let preferred = self
            .compiled_preferred
            .get(preference)?
            .get_or_init(|| compile_preference(&self.alphabet, pattern))
            .as_ref()?;
        let bits = lead
            .iter()
            .fold(preferred.start, |bits, &class| preferred.step(bits, class));
        let from = Lead {
            state,
            bits,
            classes: &lead,
        };
        let atom = u32::try_from(atom).ok()?;
        SEARCH.with(|scratch| {
            // A search never starts another on its thread; a scratch in use (it cannot be)
            // would only cost fresh buffers.
            match scratch.try_borrow_mut() {
                Ok(mut scratch) => self.search_in(&mut scratch, preferred, live, atom, &from),
                Err(_) => {
                    self.search_in(&mut SearchScratch::default(), preferred, live, atom, &from)
                }
            }
        })
    }

    /// [`StringAtoms::search_preferring`]'s breadth-first search, in buffers kept from the
    /// thread's previous searches (most searches meet a few dozen pairs, and allocating their
    /// tables was much of their cost).
    fn search_in(
        &self,
        scratch: &mut SearchScratch,
        preferred: &SmallPositions<u64>,
        live: &[bool],
        atom: u32,
        from: &Lead<'_>,
    ) -> Option<Option<String>> {
        let SearchScratch {
            ids,
            pairs,
            parent,
            classes,
            moves,
        } = scratch;
        // A table grown by a rare large search is not kept for clearing every time.
        if ids.capacity() > 4096 {
            *ids = FastMap::default();
        }
        ids.clear();
        pairs.clear();
        parent.clear();
        let start = (from.state, from.bits);
        pairs.push(start);
        parent.push(None);
        ids.insert(start, ());
        let mut at = 0usize;
        while let Some(&(state, bits)) = pairs.get(at) {
            let here = u32::try_from(at).ok()?;
            if self.atom_of.get(state as usize) == Some(&atom) && bits & preferred.end != 0 {
                let mut word: String = from
                    .classes
                    .iter()
                    .filter_map(|&class| self.alphabet.representative(class as usize))
                    .collect();
                word.push_str(&self.word(parent, here));
                return Some(Some(word));
            }
            classes.clear();
            preferred.named_classes(bits, classes);
            if preferred.names_every_class(bits) {
                // Only the classes the preference names step it (most of a preference is
                // literal: `arn:aws:iam::111111111111:user/`): the state's own classes and
                // the fallback class would all be dropped below, so they are not listed.
                classes.sort_unstable();
                classes.dedup();
                self.in_preference_order(classes);
                moves.clear();
                moves.extend(classes.iter().map(|&c| (c, self.next(state, c))));
            } else {
                self.moves(state, classes, moves);
            }
            for &(class, target) in moves.iter() {
                // A move to a state that cannot reach the atom is dropped before the
                // preference is stepped.
                if !reaches(live, target) {
                    continue;
                }
                let next = preferred.step(bits, class);
                if next == 0 {
                    continue;
                }
                let key = (target, next);
                if ids.contains_key(&key) {
                    continue;
                }
                // The lead's pairs count as the search met them.
                if pairs.len() + from.classes.len() >= self.max_states {
                    return None;
                }
                ids.insert(key, ());
                pairs.push(key);
                parent.push(Some((here, class)));
            }
            at += 1;
        }
        Some(None)
    }

    /// The state reached from `state` by reading `text`.
    pub(crate) fn run(&self, state: u32, text: &str) -> u32 {
        text.chars().fold(state, |state, c| self.run_char(state, c))
    }

    /// The state reached from `state` by reading `c`.
    pub(crate) fn run_char(&self, state: u32, c: char) -> u32 {
        let class = u32::try_from(self.alphabet.class_of(c)).unwrap_or(u32::MAX);
        self.next(state, class)
    }

    /// The atom of each value of a list that is asked about again and again (a service's
    /// actions, once per finding of every resource whose policy splits the action alike):
    /// read once per split, then remembered with the list, which its address identifies.
    pub(crate) fn atoms_of_list(&self, values: &Arc<[String]>) -> Arc<[Option<usize>]> {
        let known = |lists: &[ListAtoms]| {
            lists
                .iter()
                .find(|(list, _)| Arc::ptr_eq(list, values))
                .map(|(_, atoms)| Arc::clone(atoms))
        };
        if let Some(atoms) = self.lists.lock().ok().and_then(|l| known(&l)) {
            return atoms;
        }
        let atoms: Arc<[Option<usize>]> = self.atoms_of_all(values).into();
        if let Ok(mut lists) = self.lists.lock() {
            if lists.len() >= LISTS {
                lists.remove(0);
            }
            lists.push((Arc::clone(values), Arc::clone(&atoms)));
        }
        atoms
    }

    /// The atom of each value, reading the characters a value shares with the one before it
    /// only once (a list in sorted order, such as a service's actions, is a walk of its trie).
    fn atoms_of_all(&self, values: &[String]) -> Vec<Option<usize>> {
        let mut states: Vec<u32> = vec![0];
        let mut previous = "";
        values
            .iter()
            .map(|value| {
                let common = value
                    .chars()
                    .zip(previous.chars())
                    .take_while(|(x, y)| x == y)
                    .count();
                states.truncate(common + 1);
                let mut state = states.last().copied().unwrap_or(0);
                for c in value.chars().skip(common) {
                    state = self.run_char(state, c);
                    states.push(state);
                }
                previous = value;
                self.atom_at(state)
            })
            .collect()
    }

    /// The atom of a state, `None` outside the universe.
    pub(crate) fn atom_at(&self, state: u32) -> Option<usize> {
        match self.atom_of.get(state as usize) {
            Some(&a) if a != OUTSIDE => Some(a as usize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::domain::glob::StringSet;

    fn alphabet(patterns: &[&str]) -> Arc<Alphabet> {
        let mut b = Alphabet::builder();
        b.chars([':', '*', '?']);
        for p in patterns {
            b.glob(p, Case::Insensitive);
        }
        b.build()
    }

    /// Every string up to `len` characters over `chars`.
    fn words(chars: &[char], len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..len {
            let mut next = Vec::new();
            for w in &frontier {
                for c in chars {
                    let mut v = w.clone();
                    v.push(*c);
                    next.push(v);
                }
            }
            out.extend(next.iter().cloned());
            frontier = next;
        }
        out
    }

    /// How a test pattern is read: 0 case-sensitive glob, 1 case-insensitive glob, 2 ARN glob.
    fn pattern_of(text: &str, kind: u8) -> Pattern {
        match kind {
            1 => Pattern::Glob {
                tokens: GlobToken::parse(text),
                case: Case::Insensitive,
            },
            _ => Pattern::wildcard(text, kind == 2),
        }
    }

    fn algebra_of(alpha: &Arc<Alphabet>, text: &str, kind: u8) -> StringSet {
        match kind {
            0 => StringSet::from_glob(alpha, text, Case::Sensitive).unwrap(),
            1 => StringSet::from_glob(alpha, text, Case::Insensitive).unwrap(),
            _ => StringSet::from_arn_glob(alpha, text).unwrap(),
        }
    }

    /// Splits by `specs` (text, kind) and compares with refining the universe (strings without
    /// a `forbidden` character) set by set with the `StringSet` algebra: the same atoms in the
    /// same order with the same inside-bits and witnesses, and every word up to `len`
    /// characters in the atom its memberships say.
    fn compare_with_algebra(
        alpha: &Arc<Alphabet>,
        specs: &[(String, u8)],
        forbidden: &[char],
        len: usize,
    ) -> Result<(), String> {
        let automata: Vec<StringSet> = specs
            .iter()
            .map(|(t, k)| algebra_of(alpha, t, *k))
            .collect();
        let split = split_by_each(alpha, specs, forbidden, &Arc::from([]));
        let regions = regions_of(alpha, &automata, forbidden);
        let fail = |what: String| Err(format!("{specs:?} {forbidden:?}: {what}"));
        if split.atom_count() != regions.len() {
            return fail(format!(
                "{} atoms, {} regions",
                split.atom_count(),
                regions.len()
            ));
        }
        for (a, (region, inside)) in regions.iter().enumerate() {
            if &split.inside()[a] != inside {
                return fail(format!("atom {a}: inside {:?}", split.inside()[a]));
            }
            let w = split.witness(a);
            if w != region.witness() || split.atom_of(w.as_deref().unwrap_or("")) != Some(a) {
                return fail(format!("atom {a}: witness {w:?}"));
            }
        }
        let mut chars: Vec<char> = alpha.chars().to_vec();
        chars.extend(alpha.other_representative());
        for w in words(&chars, len) {
            let outside = w.chars().any(|c| forbidden.contains(&c));
            match split.atom_of(&w) {
                None if outside => {}
                Some(a) if !outside => {
                    for (i, set) in automata.iter().enumerate() {
                        if split.inside()[a][i] != set.contains(&w) {
                            return fail(format!("{w:?} in atom {a}"));
                        }
                    }
                }
                other => return fail(format!("{w:?} in {other:?}")),
            }
        }
        Ok(())
    }

    /// The non-empty regions of refining the universe (strings without a `forbidden`
    /// character) by `sets` one by one, "inside" before "outside", with their memberships.
    fn regions_of(
        alpha: &Arc<Alphabet>,
        sets: &[StringSet],
        forbidden: &[char],
    ) -> Vec<(StringSet, Vec<bool>)> {
        let mut universe = StringSet::any(alpha);
        for &c in forbidden {
            let contains = StringSet::from_tokens(
                alpha,
                &[
                    GlobToken::AnyString,
                    GlobToken::Char(c),
                    GlobToken::AnyString,
                ],
                Case::Sensitive,
            )
            .unwrap();
            universe = universe.difference(&contains).unwrap();
        }
        let mut regions = vec![(universe, Vec::new())];
        for set in sets {
            let mut next = Vec::new();
            for (r, inside) in &regions {
                for (part, member) in [
                    (r.intersect(set).unwrap(), true),
                    (r.difference(set).unwrap(), false),
                ] {
                    if !part.is_empty() {
                        let mut inside: Vec<bool> = inside.clone();
                        inside.push(member);
                        next.push((part, inside));
                    }
                }
            }
            regions = next;
        }
        regions
    }

    fn check(globs: &[&str], arn: &[bool], forbidden: &[char]) {
        let specs: Vec<(String, u8)> = globs
            .iter()
            .zip(arn)
            .map(|(g, &arn)| ((*g).to_owned(), if arn { 2 } else { 0 }))
            .collect();
        compare_with_algebra(&alphabet(globs), &specs, forbidden, 4).unwrap();
    }

    use proptest::prelude::*;

    /// A pattern over `a`, `b`, `A`, `:`, `*`, `?`: a glob (either case rule) or an ARN glob.
    fn pattern_strategy() -> impl Strategy<Value = (String, u8)> {
        (
            proptest::collection::vec(
                prop_oneof![
                    Just('a'),
                    Just('b'),
                    Just('A'),
                    Just(':'),
                    Just('*'),
                    Just('?')
                ],
                0..7,
            ),
            0u8..3,
        )
            .prop_map(|(chars, kind)| (chars.into_iter().collect(), kind))
    }

    /// The alphabet of the random splits: their characters in both cases.
    fn random_alphabet() -> Arc<Alphabet> {
        let mut b = Alphabet::builder();
        b.chars([':', '*', '?', 'a', 'b', 'A', 'B']);
        b.build()
    }

    /// The wildcard characters, when a random split forbids them.
    fn forbidden_if(forbid: bool) -> &'static [char] {
        if forbid { &['*', '?'] } else { &[] }
    }

    /// The split by each of `specs` (text, kind) alone, with the witness preferences
    /// `preferred`.
    fn split_by_each(
        alpha: &Arc<Alphabet>,
        specs: &[(String, u8)],
        forbidden: &[char],
        preferred: &Arc<[Pattern]>,
    ) -> StringAtoms {
        let patterns: Vec<Pattern> = specs.iter().map(|(t, k)| pattern_of(t, *k)).collect();
        let sets: Vec<Formula> = (0..patterns.len()).map(Formula::Pattern).collect();
        StringAtoms::new(alpha, &patterns, &sets, forbidden, preferred, 1 << 20).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// For random pattern sets (case-sensitive globs, case-insensitive globs, ARN globs),
        /// with and without forbidden characters: every short word lands in the atom whose
        /// inside-bits are its memberships per the algebra, the atoms are exactly the non-empty
        /// regions of the algebra's refinement (in the same order), and each atom's witness is
        /// the algebra's witness of that region.
        #[test]
        fn random_splits_match_the_algebra(
            patterns in proptest::collection::vec(pattern_strategy(), 1..4),
            forbid in any::<bool>(),
        ) {
            let result = compare_with_algebra(&random_alphabet(), &patterns, forbidden_if(forbid), 3);
            prop_assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
        }

        /// The bitmask positions of a short pattern make exactly the sets the sorted-list
        /// positions make: the start, and every step from every reachable set on every class,
        /// with the same named classes and the same accepting sets.
        #[test]
        fn small_positions_make_the_sets_positions_make(spec in pattern_strategy()) {
            let mut b = Alphabet::builder();
            b.chars([':', '*', '?', 'a', 'b', 'A', 'B']);
            let alpha = b.build();
            let pattern = [pattern_of(&spec.0, spec.1)];
            let positions = Positions::compile(&alpha, &pattern).unwrap();
            let small =
                SmallPositions::<u64>::new(Positions::compile(&alpha, &pattern).unwrap()).ok().unwrap();
            let tabled =
                SmallPositions::<u64>::with_takers(Positions::compile(&alpha, &pattern).unwrap())
                    .ok()
                    .unwrap();
            let mask = |set: &[u32]| set.iter().fold(0u64, |m, &p| m | 1u64 << p);
            let mut scratch = Scratch::default();
            let start = positions.start(&mut scratch);
            prop_assert_eq!(small.start, mask(&start));
            let mut seen = vec![start];
            let mut at = 0;
            let mut next = Vec::new();
            while let Some(set) = seen.get(at).cloned() {
                at += 1;
                let (mut named, mut named_small) = (Vec::new(), Vec::new());
                positions.named_classes(&set, &mut named);
                small.named_classes(mask(&set), &mut named_small);
                prop_assert_eq!(&named, &named_small);
                let ends = set.iter().any(|&p| matches!(positions.steps[p as usize], Step::End(_)));
                prop_assert_eq!(ends, mask(&set) & small.end != 0);
                for class in 0..u32::try_from(alpha.class_count()).unwrap() {
                    positions.step(&set, class, &mut next);
                    prop_assert_eq!(small.step(mask(&set), class), mask(&next));
                    prop_assert_eq!(tabled.step(mask(&set), class), mask(&next));
                    if !next.is_empty() && !seen.contains(&next) {
                        seen.push(next.clone());
                    }
                }
            }
        }
    }

    /// A literal or literal-prefix pattern over `a`, `b`, `A`, `1`, `:` (trailing `*` or not),
    /// read as a case-sensitive glob, a case-insensitive glob or an ASCII-folded literal; now
    /// and then one with an inner wildcard, which the trie declines.
    fn trie_pattern_strategy() -> impl Strategy<Value = Pattern> {
        (
            proptest::collection::vec(
                prop_oneof![Just('a'), Just('b'), Just('A'), Just('1'), Just(':')],
                0..6,
            ),
            0u8..8,
        )
            .prop_map(|(chars, kind)| {
                let text: String = chars.into_iter().collect();
                match kind {
                    0 | 1 => Pattern::wildcard(&text, false),
                    2 | 3 => Pattern::wildcard(&format!("{text}*"), false),
                    4 => Pattern::Glob {
                        tokens: GlobToken::parse(&format!("{text}*")),
                        case: Case::Insensitive,
                    },
                    5 => Pattern::Glob {
                        tokens: GlobToken::parse(&text),
                        case: Case::Insensitive,
                    },
                    6 => Pattern::AsciiFold(text),
                    _ => Pattern::wildcard(&format!("{text}?b*"), false),
                }
            })
    }

    /// The trie's tables for `patterns` (every one a set of its own), or `None` when it declines
    /// them; when taken, checked equal to the subset construction's.
    fn trie_tables(patterns: &[Pattern]) -> Option<Built> {
        let mut b = Alphabet::builder();
        b.chars([':', '*', '?', 'a', 'b', 'A', 'B', '1']);
        let alpha = b.build();
        let formulas: Vec<Formula> = (0..patterns.len()).map(Formula::Pattern).collect();
        let forbidden = forbidden_classes(&alpha, &['*', '?']).unwrap();
        let trie = Trie::of(&alpha, patterns)?;
        let tables = trie.automaton(&formulas, &forbidden, 1000, 100).unwrap();
        let subsets =
            subset_construction(&alpha, patterns, &formulas, &['*', '?'], 1000, 100).unwrap();
        assert_eq!(tables, subsets, "{patterns:?}");
        Some(tables)
    }

    #[test]
    fn field_wildcards_take_the_trie_where_the_patterns_agree() {
        let arn = |text: &str| Pattern::wildcard(text, true);
        // An EC2 policy's resources: the region's and account's wildcards, one loop state each.
        assert!(trie_tables(&[arn("a:b:*:*:a:b*"), arn("a:b:*:*:b:*")]).is_some());
        assert!(trie_tables(&[arn("a:b:a1*:*:*:a")]).is_some());
        // Declined: a pattern ends where another's wildcard starts, two disagree on a field, a
        // wildcard does not end its field, a resource's is not last, fewer than five fields.
        let literal = Pattern::wildcard("a:b", false);
        assert!(trie_tables(&[literal, arn("a:b*:a:a:a:a")]).is_none());
        assert!(trie_tables(&[arn("a:*:a:a:a:a"), arn("a:b:a:a:a:a")]).is_none());
        assert!(trie_tables(&[arn("a:b:a:*b:a:a")]).is_none());
        assert!(trie_tables(&[arn("a:b:*:a:a:*a")]).is_none());
        assert!(trie_tables(&[arn("a:*:a:a")]).is_none());
    }

    /// ARN patterns over a few field values, wildcards among them (`*` ending a field, inside
    /// one, alone, or in the resource), sometimes short of five fields.
    fn arn_pattern_strategy() -> impl Strategy<Value = Pattern> {
        let field = prop_oneof![
            Just(""),
            Just("a"),
            Just("ab"),
            Just("*"),
            Just("a*"),
            Just("*a"),
            Just("?"),
        ];
        (proptest::collection::vec(field, 4..7), 0u8..4).prop_map(|(fields, resource)| {
            let resource = match resource {
                0 => "",
                1 => "b",
                2 => "b*",
                _ => "*",
            };
            Pattern::Arn(GlobToken::parse(&format!(
                "{}:{resource}",
                fields.join(":")
            )))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// The trie construction makes the subset construction's tables exactly (states,
        /// numbering, transitions, signatures) for every set of literal and prefix patterns,
        /// with and without forbidden characters, with Boolean set formulas, and fails alike
        /// under small state and atom budgets.
        #[test]
        fn the_trie_makes_the_subset_construction(
            patterns in proptest::collection::vec(
                prop_oneof![3 => trie_pattern_strategy(), 1 => arn_pattern_strategy()],
                0..6,
            ),
            forbid in any::<bool>(),
            states in 1usize..40,
            max_atoms in 1usize..6,
        ) {
            let mut b = Alphabet::builder();
            b.chars([':', '*', '?', 'a', 'b', 'A', 'B', '1']);
            let alpha = b.max_states(states).build();
            let mut formulas: Vec<Formula> = (0..patterns.len()).map(Formula::Pattern).collect();
            if patterns.len() >= 2 {
                formulas.push(Formula::Diff(
                    Box::new(Formula::Union(vec![Formula::Pattern(0), Formula::All])),
                    Box::new(Formula::Pattern(1)),
                ));
            }
            let forbidden: &[char] = if forbid { &['*', '?'] } else { &[] };
            // Literals and prefixes are always taken when they all follow one case rule (here
            // every variant of a letter is listed); mixed, when no character of one rule
            // meets a variant of it under the other at the same place.
            // An ARN pattern alone is taken when each field's `*` ends its field and the
            // resource's is last (with others, when they agree on where the wildcards are).
            let arn_eligible = |tokens: &[GlobToken]| {
                let mut separators = 0;
                tokens.iter().enumerate().all(|(i, t)| match t {
                    GlobToken::Char(c) => {
                        separators += usize::from(*c == ':');
                        true
                    }
                    GlobToken::AnyChar => false,
                    GlobToken::AnyString if separators < 5 => {
                        tokens.get(i + 1) == Some(&GlobToken::Char(':'))
                    }
                    GlobToken::AnyString => i + 1 == tokens.len(),
                }) && separators >= 5
            };
            let literal = |p: &Pattern| match p {
                Pattern::Glob { tokens, .. } => !tokens.contains(&GlobToken::AnyChar),
                Pattern::AsciiFold(_) => true,
                Pattern::Arn(tokens) => patterns.len() == 1 && arn_eligible(tokens),
            };
            let sensitive = |p: &Pattern| matches!(p, Pattern::Glob { case: Case::Sensitive, .. });
            let eligible = patterns.iter().all(literal)
                && (patterns.iter().all(sensitive) || !patterns.iter().any(sensitive));
            let Some(trie) = Trie::of(&alpha, &patterns) else {
                prop_assert!(!eligible, "the trie declined {:?}", patterns);
                return Ok(());
            };
            let from_trie = forbidden_classes(&alpha, forbidden)
                .and_then(|f| trie.automaton(&formulas, &f, states, max_atoms));
            let from_subsets =
                subset_construction(&alpha, &patterns, &formulas, forbidden, states, max_atoms);
            prop_assert_eq!(format!("{from_trie:?}"), format!("{from_subsets:?}"));
        }

        /// The subset construction on bitmask position sets makes the tables of the one on
        /// position lists (both widths), for random globs of either case rule and ARN globs,
        /// with and without forbidden characters, and fails alike under small budgets.
        #[test]
        fn mask_sets_make_the_list_construction(
            specs in proptest::collection::vec(pattern_strategy(), 1..6),
            forbid in any::<bool>(),
            states in 1usize..60,
            max_atoms in 1usize..8,
        ) {
            let mut b = Alphabet::builder();
            b.chars([':', '*', '?', 'a', 'b', 'A', 'B']);
            let alpha = b.build();
            let patterns: Vec<Pattern> = specs.iter().map(|(t, k)| pattern_of(t, *k)).collect();
            let mut formulas: Vec<Formula> = (0..patterns.len()).map(Formula::Pattern).collect();
            formulas.push(Formula::Union(vec![Formula::Pattern(0), Formula::Pattern(patterns.len() - 1)]));
            let forbidden = if forbid {
                forbidden_classes(&alpha, &['*', '?']).unwrap()
            } else {
                Vec::new()
            };
            let rules = Rules {
                formulas: &formulas,
                forbidden: &forbidden,
                other: u32::try_from(alpha.chars().len()).unwrap(),
                limit: states,
                max_atoms,
            };
            let compile = || Positions::compile(&alpha, &patterns).unwrap();
            let lists = format!("{:?}", list_construction(&compile(), &rules));
            // Both widths, with the class tables and without.
            for small in [
                SmallPositions::<u128>::with_takers(compile()).ok(),
                SmallPositions::<u128>::new(compile()).ok(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert_eq!(format!("{:?}", mask_construction(&small, &rules)), lists.clone());
            }
            for small in [
                SmallPositions::<u64>::with_takers(compile()).ok(),
                SmallPositions::<u64>::new(compile()).ok(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert_eq!(format!("{:?}", mask_construction(&small, &rules)), lists.clone());
            }
        }
    }

    #[test]
    fn splits_past_sixteen_atoms_match_the_algebra() {
        // 19 atoms for literals and 20 for globs: the signatures go from in-place comparison
        // to the table part way through.
        let literals = [
            "a", "b", "aa", "ab", "ba", "bb", "aaa", "aab", "aba", "abb", "baa", "bab", "bba",
            "bbb", "aaaa", "aaab", "aaba", "aabb",
        ];
        let specs: Vec<(String, u8)> = literals.iter().map(|l| ((*l).to_owned(), 0)).collect();
        let alpha = alphabet(&literals);
        compare_with_algebra(&alpha, &specs, &[], 4).unwrap();
        let globs: Vec<(String, u8)> = literals
            .iter()
            .take(12)
            .map(|l| (format!("{l}*"), 0))
            .chain(literals.iter().skip(12).map(|l| ((*l).to_owned(), 1)))
            .collect();
        compare_with_algebra(&alpha, &globs, &['*'], 4).unwrap();

        // Sets over 17 of 20 literals: a state accepting one of the last three has the
        // signature of no literal at all, found in the table once 18 signatures exist.
        let mut all: Vec<&str> = literals.to_vec();
        all.extend(["abab", "abba"]);
        let patterns: Vec<Pattern> = all.iter().map(|l| Pattern::wildcard(l, false)).collect();
        let sets: Vec<Formula> = (0..17).map(Formula::Pattern).collect();
        let split =
            StringAtoms::new(&alpha, &patterns, &sets, &[], &Arc::from([]), 1 << 20).unwrap();
        assert_eq!(split.atom_count(), 18);
        for (i, l) in all.iter().enumerate() {
            let atom = split.atom_of(l).unwrap();
            let inside: Vec<bool> = (0..17).map(|s| s == i).collect();
            assert_eq!(split.inside()[atom], inside, "{l}");
        }
    }

    #[test]
    fn atoms_match_the_refinement_of_the_algebra() {
        check(&["a*", "*b", "ab"], &[false, false, false], &[]);
        check(&["*a*", "a?", "?*a"], &[false, false, false], &['*']);
        check(
            &["a:*:*:*:*:*", "*:b:*:*:*:x*", "a:b:c:d:e:f"],
            &[true, true, true],
            &[],
        );
        check(
            &["a*b*a", "*ab*", "b??"],
            &[false, false, false],
            &['*', '?'],
        );
        check(&["arn:*", "*"], &[true, false], &[]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Each atom's witness under each preference (case-sensitive or ARN globs, most with a
        /// literal lead, which the search reads before it starts) is the algebra's witness of
        /// the atom's region within the preference, or none when they do not meet.
        #[test]
        fn preferred_witnesses_with_literal_leads_match_the_algebra(
            patterns in proptest::collection::vec(pattern_strategy(), 1..4),
            preferences in proptest::collection::vec(
                (proptest::collection::vec(prop_oneof![Just('a'), Just('b'), Just(':')], 0..6),
                 pattern_strategy(),
                 any::<bool>()),
                1..4,
            ),
            forbid in any::<bool>(),
        ) {
            let alpha = random_alphabet();
            let forbidden = forbidden_if(forbid);
            let preferred: Vec<(String, bool)> = preferences
                .iter()
                .map(|(lead, (rest, _), arn)| (lead.iter().chain(rest.chars().collect::<Vec<_>>().iter()).collect(), *arn))
                .collect();
            let shapes: Arc<[Pattern]> = preferred
                .iter()
                .map(|(text, arn)| Pattern::wildcard(text, *arn))
                .collect();
            let split = split_by_each(&alpha, &patterns, forbidden, &shapes);
            let automata: Vec<StringSet> =
                patterns.iter().map(|(t, k)| algebra_of(&alpha, t, *k)).collect();
            for (a, (region, _)) in regions_of(&alpha, &automata, forbidden).iter().enumerate() {
                for (p, (text, arn)) in preferred.iter().enumerate() {
                    let shape = algebra_of(&alpha, text, if *arn { 2 } else { 0 });
                    prop_assert_eq!(
                        split.search_preferring(a, p),
                        Some(region.intersect(&shape).unwrap().witness()),
                        "atom {} preference {:?}", a, text
                    );
                }
            }
        }

        /// The states that reach an atom, from predecessor bit sets and from predecessor
        /// rows, are those from which a forward walk meets one of the atom's states; an
        /// atom's forced lead is its shortest witness's text before the stop, and its forced
        /// word its only word up to case.
        #[test]
        fn live_states_are_those_reaching_the_atom(
            patterns in proptest::collection::vec(pattern_strategy(), 1..5),
            forbid in any::<bool>(),
        ) {
            let alpha = random_alphabet();
            let split = split_by_each(&alpha, &patterns, forbidden_if(forbid), &Arc::from([]));
            let states = split.default.len();
            let (masks, rows) = (split.predecessors(true), split.predecessors(false));
            for atom in 0..split.atom_count() {
                let expected: Vec<bool> = (0..states)
                    .map(|from| {
                        let mut seen = vec![false; states];
                        let mut stack = vec![from];
                        while let Some(s) = stack.pop() {
                            if std::mem::replace(&mut seen[s], true) {
                                continue;
                            }
                            if split.atom_of[s] as usize == atom {
                                return true;
                            }
                            let s32 = u32::try_from(s).unwrap();
                            stack.push(split.default[s] as usize);
                            stack.extend(split.edges_of(s32).iter().map(|&(_, t)| t as usize));
                        }
                        false
                    })
                    .collect();
                prop_assert_eq!(&split.live_with(&masks, atom), &expected);
                prop_assert_eq!(&split.live_with(&rows, atom), &expected);
                prop_assert_eq!(split.live_states(atom), Some(&expected));
                // A forced word is the shortest witness, and every word of the atom spells it
                // with variants of its characters.
                if let Some(word) = split.forced_word(atom) {
                    prop_assert_eq!(split.witness(atom), Some(word.clone()));
                    let mut chars: Vec<char> = alpha.chars().to_vec();
                    chars.extend(alpha.other_representative());
                    for w in words(&chars, 4).iter().filter(|w| split.atom_of(w) == Some(atom)) {
                        prop_assert_eq!(w.chars().count(), word.chars().count(), "{:?}", w);
                        for (x, y) in w.chars().zip(word.chars()) {
                            prop_assert!(x == y || fold_class(x).contains(&y), "{:?} {:?}", w, word);
                        }
                    }
                }
                // A forced lead is the shortest witness's text before its first stop.
                for stop in [':', 'a', 'B'] {
                    if let Some(lead) = split.forced_lead(atom, stop) {
                        let shortest = split.witness(atom).unwrap_or_default();
                        prop_assert_eq!(
                            shortest.split_once(stop).map(|(p, _)| p),
                            Some(lead.as_str()),
                            "atom {} stop {:?}", atom, stop
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn preferred_witnesses_match_the_algebra() {
        let globs = ["a*", "*b"];
        let alpha = alphabet(&["a*", "*b", "b?b*"]);
        let patterns: Vec<Pattern> = globs
            .iter()
            .map(|g| Pattern::Glob {
                tokens: GlobToken::parse(g),
                case: Case::Sensitive,
            })
            .collect();
        let sets: Vec<Formula> = vec![
            Formula::Pattern(0),
            Formula::Diff(Box::new(Formula::All), Box::new(Formula::Pattern(1))),
        ];
        let preferred: Arc<[Pattern]> = Arc::from([Pattern::Glob {
            tokens: GlobToken::parse("b?b*"),
            case: Case::Sensitive,
        }]);
        let split = StringAtoms::new(&alpha, &patterns, &sets, &[], &preferred, 64).unwrap();
        let pref = StringSet::from_glob(&alpha, "b?b*", Case::Sensitive).unwrap();
        let a = StringSet::from_glob(&alpha, "a*", Case::Sensitive).unwrap();
        let b = StringSet::from_glob(&alpha, "*b", Case::Sensitive).unwrap();
        for atom in 0..split.atom_count() {
            let inside = &split.inside()[atom];
            let mut region = if inside[0] { a.clone() } else { a.complement() };
            region = region
                .intersect(&if inside[1] { b.complement() } else { b.clone() })
                .unwrap();
            assert_eq!(
                split.witness_preferring(atom, 0),
                region.intersect(&pref).unwrap().witness()
            );
        }
    }
}
