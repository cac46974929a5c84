//! Sets of strings as regular languages: the domain of every string-valued condition key, of
//! `Action`, `Resource` and of principal ARNs.
//!
//! IAM wildcard patterns (`StringLike`, `StringNotLike`, `Action`/`NotAction`,
//! `Resource`/`NotResource`, `Principal`) are regular languages: `*` matches any run of characters
//! (including none, and including `/` and `:`), `?` matches exactly one character, every other
//! character matches itself. `StringEquals`/`StringNotEquals` are the single-word languages,
//! `StringEqualsIgnoreCase` and `Action` names fold case, and `ArnLike`/`ArnEquals` match the six
//! colon-separated ARN fields one by one: a wildcard in the first five fields cannot cross `:`,
//! one in the resource field (the sixth field onward) can. See the IAM User Guide, "IAM JSON
//! policy elements: Condition operators" (string and ARN condition operators).
//!
//! A [`StringSet`] is a complete, minimal deterministic automaton over an [`Alphabet`] partition:
//! one class per character that occurs in the query's literals, plus one class for "any other
//! character". All automata combined in one query must share the alphabet, so build the
//! [`Alphabet`] once from every literal of the query. Because automata are kept minimal and
//! numbered canonically, two sets are equal exactly when their languages are.
//!
//! The *absent* value of a key (`Null`, `…IfExists`) is not a string; the layer above adds it.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use crate::err::DomainError;

/// The default budget on the number of automaton states of one [`StringSet`] or of one
/// intermediate product/subset construction.
pub const DEFAULT_MAX_STATES: usize = 100_000;

const STATES: &str = "automaton states";

/// Whether letters are compared exactly or with Unicode simple case folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Case {
    /// `StringLike`, `StringEquals`, `Resource`, ARNs: `A` ≠ `a`.
    Sensitive,
    /// `Action` names, `StringEqualsIgnoreCase`: `A` = `a` (two characters are equal when their
    /// lowercase mappings are equal).
    Insensitive,
}

/// One element of a wildcard pattern.
///
/// Patterns with policy variables such as `${*}` (a literal `*`) are expressed as tokens by the
/// layer that resolves the variables; plain patterns come from [`GlobToken::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GlobToken {
    /// A literal character.
    Char(char),
    /// The single-character match wildcard `?`.
    AnyChar,
    /// The multi-character match wildcard `*` (any run, including the empty one).
    AnyString,
}

/// A token hashes as one 32-bit code (a character's code point, or a code above every
/// character for a wildcard), and a list of tokens two codes to a word: the split caches hash
/// whole patterns, and each word the hasher takes waits on the one before.
impl std::hash::Hash for GlobToken {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u32(self.code());
    }

    fn hash_slice<H: std::hash::Hasher>(data: &[Self], state: &mut H) {
        let mut pairs = data.chunks_exact(2);
        for pair in &mut pairs {
            if let [a, b] = pair {
                state.write_u64(u64::from(a.code()) | (u64::from(b.code()) << 32));
            }
        }
        for t in pairs.remainder() {
            state.write_u32(t.code());
        }
    }
}

impl GlobToken {
    fn code(self) -> u32 {
        match self {
            GlobToken::Char(c) => u32::from(c),
            GlobToken::AnyChar => 0x11_0000,
            GlobToken::AnyString => 0x11_0001,
        }
    }

    /// Splits an IAM wildcard pattern into tokens: `*` and `?` are wildcards, everything else is
    /// literal (IAM has no escape character).
    #[must_use]
    pub fn parse(pattern: &str) -> Vec<GlobToken> {
        let token = |c: char| match c {
            '*' => GlobToken::AnyString,
            '?' => GlobToken::AnyChar,
            other => GlobToken::Char(other),
        };
        // ASCII text (nearly every policy's) read byte by byte: no decoding, and an exact
        // length, so the tokens are written without a capacity check each.
        if pattern.is_ascii() {
            return pattern.bytes().map(|b| token(char::from(b))).collect();
        }
        // At most one token per byte: reserved once rather than grown from the iterator's
        // lower bound (a quarter of that).
        let mut tokens = Vec::with_capacity(pattern.len());
        tokens.extend(pattern.chars().map(token));
        tokens
    }

    /// Tokens matching exactly `literal` (wildcard characters included, as literals).
    #[must_use]
    pub fn literal(literal: &str) -> Vec<GlobToken> {
        if literal.is_ascii() {
            return literal
                .bytes()
                .map(|b| GlobToken::Char(char::from(b)))
                .collect();
        }
        let mut tokens = Vec::with_capacity(literal.len());
        tokens.extend(literal.chars().map(GlobToken::Char));
        tokens
    }
}

/// The characters that two case-insensitive comparisons treat as equal to `c`, sorted.
///
/// `d` is equal to `c` when `d == c` or their full lowercase mappings are equal, which is the
/// rule of the concrete evaluator (`keyhole_policy::wildcard_match`).
pub(crate) fn fold_class(c: char) -> Cow<'static, [char]> {
    // ASCII characters (nearly every character of a policy) from a table built once, borrowed:
    // the alphabet and the automata ask for them once per character of every
    // case-insensitive pattern.
    static ASCII: OnceLock<Vec<Vec<char>>> = OnceLock::new();
    if c.is_ascii() {
        let table =
            ASCII.get_or_init(|| (0u8..128).map(|b| fold_class_of(char::from(b))).collect());
        if let Some(class) = table.get(c as usize) {
            return Cow::Borrowed(class.as_slice());
        }
    }
    Cow::Owned(fold_class_of(c))
}

fn fold_class_of(c: char) -> Vec<char> {
    let lower: String = c.to_lowercase().collect();
    let mut out = BTreeSet::from([c]);
    let mut chars = lower.chars();
    if let (Some(l), None) = (chars.next(), chars.next())
        && l.to_lowercase().eq(std::iter::once(l))
    {
        out.insert(l);
    }
    if let Some(same) = changed_by_lowercase().get(&lower) {
        out.extend(same.iter().copied());
    }
    out.into_iter().collect()
}

/// No character from here on has a lowercase mapping other than itself (Unicode's cased
/// scripts end in the Supplementary Multilingual Plane; a test checks every character above).
/// Scanning the 1.1 million code points cost a `keyhole` run about 15 ms at its first
/// case-insensitive pattern; the first two planes are a tenth of them.
const CASED_END: u32 = 0x2_0000;

/// Every character whose lowercase mapping differs from itself, grouped by that mapping.
fn changed_by_lowercase() -> &'static std::collections::BTreeMap<String, Vec<char>> {
    static TABLE: OnceLock<std::collections::BTreeMap<String, Vec<char>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: std::collections::BTreeMap<String, Vec<char>> =
            std::collections::BTreeMap::new();
        for c in (0..CASED_END).filter_map(char::from_u32) {
            let mut lower = c.to_lowercase();
            if let (Some(l), None) = (lower.next(), lower.next())
                && l == c
            {
                continue;
            }
            table.entry(c.to_lowercase().collect()).or_default().push(c);
        }
        table
    })
}

/// A hash map with a fast, non-cryptographic hasher: automaton construction hashes many small
/// keys of its own making (no untrusted input reaches the hash function unbounded).
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The multiply-rotate hasher of rustc (`FxHasher`).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            if let Some(prefix) = word.get_mut(..rest.len()) {
                prefix.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The alphabet partition shared by the string sets of one query: one class per listed
/// character, plus one class for every other character.
#[derive(Debug, PartialEq, Eq)]
pub struct Alphabet {
    // INVARIANT: sorted and without duplicates.
    chars: Vec<char>,
    /// A character outside `chars` standing for the "other" class (`None` only if every
    /// character is listed, which no real query does).
    other: Option<char>,
    /// Class indices in the order a witness search tries them (nicer characters first).
    preference: Vec<usize>,
    /// The class of every ASCII character (nearly every character a policy uses).
    ascii: [u32; 128],
    max_states: usize,
}

impl Alphabet {
    /// Starts an alphabet; add every literal of the query, then [`AlphabetBuilder::build`].
    #[must_use]
    pub fn builder() -> AlphabetBuilder {
        AlphabetBuilder::default()
    }

    /// The listed characters, sorted.
    #[must_use]
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The character that witnesses use for the "any other character" class: the first of
    /// `a`–`z`, `0`–`9`, `A`–`Z` that is not listed (then any unlisted character).
    #[must_use]
    pub fn other_representative(&self) -> Option<char> {
        self.other
    }

    /// The number of classes: the listed characters plus the "other" class.
    #[must_use]
    pub fn class_count(&self) -> usize {
        self.chars.len() + 1
    }

    /// The budget on automaton states for sets over this alphabet.
    #[must_use]
    pub fn max_states(&self) -> usize {
        self.max_states
    }

    /// The class of a character (the "other" class for unlisted characters).
    pub(crate) fn class_of(&self, c: char) -> usize {
        if let Some(&class) = self.ascii.get(c as usize) {
            return class as usize;
        }
        self.chars.binary_search(&c).unwrap_or(self.chars.len())
    }

    /// The class of a character that a literal uses; it must be listed.
    pub(crate) fn listed_class(&self, c: char) -> Result<usize, DomainError> {
        let class = self.class_of(c);
        if class < self.chars.len() {
            Ok(class)
        } else {
            Err(DomainError::NotInAlphabet { ch: c })
        }
    }

    /// A character of the class, if the class has any.
    pub(crate) fn representative(&self, class: usize) -> Option<char> {
        self.chars.get(class).copied().or(self.other)
    }

    /// Class indices in the order a witness search tries them (nicer characters first).
    pub(crate) fn preference(&self) -> &[usize] {
        &self.preference
    }

    fn same(a: &Arc<Alphabet>, b: &Arc<Alphabet>) -> Result<(), DomainError> {
        if Arc::ptr_eq(a, b) || a.chars == b.chars {
            Ok(())
        } else {
            Err(DomainError::AlphabetMismatch)
        }
    }
}

/// Collects the characters of a query's literals into an [`Alphabet`].
#[derive(Clone, Debug, Default)]
pub struct AlphabetBuilder {
    /// The ASCII characters added, one bit each (most literals are ASCII).
    ascii: u128,
    /// The other characters in the order added, with repeats (sorted and deduplicated by
    /// `build`).
    chars: Vec<char>,
    max_states: Option<usize>,
}

impl AlphabetBuilder {
    /// Adds the literal characters of a wildcard pattern (`*` and `?` are wildcards).
    pub fn glob(&mut self, pattern: &str, case: Case) -> &mut Self {
        self.tokens(&GlobToken::parse(pattern), case)
    }

    /// Adds the literal characters of an `ArnLike` pattern (and `:`, which ARN matching needs).
    pub fn arn_glob(&mut self, pattern: &str) -> &mut Self {
        self.add(':');
        self.glob(pattern, Case::Sensitive)
    }

    /// Adds every character of a literal string (`*` and `?` included).
    pub fn literal(&mut self, literal: &str, case: Case) -> &mut Self {
        self.tokens(&GlobToken::literal(literal), case)
    }

    /// Adds the literal characters of a token sequence.
    pub fn tokens(&mut self, tokens: &[GlobToken], case: Case) -> &mut Self {
        for token in tokens {
            if let GlobToken::Char(c) = *token {
                match case {
                    Case::Sensitive => self.add(c),
                    Case::Insensitive => fold_class(c).iter().for_each(|&c| self.add(c)),
                }
            }
        }
        self
    }

    /// Adds single characters (for example those of a key's well-formedness grammar).
    pub fn chars(&mut self, chars: impl IntoIterator<Item = char>) -> &mut Self {
        chars.into_iter().for_each(|c| self.add(c));
        self
    }

    fn add(&mut self, c: char) {
        match u8::try_from(c) {
            Ok(b) if b < 128 => self.ascii |= 1u128 << b,
            _ => self.chars.push(c),
        }
    }

    /// Sets the budget on automaton states (default [`DEFAULT_MAX_STATES`]).
    pub fn max_states(&mut self, limit: usize) -> &mut Self {
        self.max_states = Some(limit);
        self
    }

    /// Freezes the alphabet.
    #[must_use]
    pub fn build(&self) -> Arc<Alphabet> {
        // ASCII first, in order, then the others sorted: all of them sorted.
        let listed_ascii = self.ascii;
        let mut chars: Vec<char> =
            Vec::with_capacity(listed_ascii.count_ones() as usize + self.chars.len());
        chars.extend(ascii_bits(listed_ascii).map(char::from));
        let ascii = chars.len();
        if !self.chars.is_empty() {
            chars.extend_from_slice(&self.chars);
            if let Some(others) = chars.get_mut(ascii..) {
                others.sort_unstable();
            }
            chars.dedup();
        }
        // The first unlisted of `a`-`z`, `0`-`9`, `A`-`Z`, read off the bitmap; past them,
        // the first unlisted character.
        let unlisted = |mut range: std::ops::RangeInclusive<u8>| {
            range
                .find(|&b| listed_ascii & (1u128 << b) == 0)
                .map(char::from)
        };
        let other = unlisted(b'a'..=b'z')
            .or_else(|| unlisted(b'0'..=b'9'))
            .or_else(|| unlisted(b'A'..=b'Z'))
            .or_else(|| {
                (0x21..=u32::from(char::MAX))
                    .filter_map(char::from_u32)
                    .find(|c| chars.binary_search(c).is_err())
            });
        // Classes by (niceness, character) of their representatives, all distinct: for each
        // niceness level, the listed characters of that level in order, with the other class's
        // representative in its place among them. The ASCII levels are read off the bitmap;
        // every non-ASCII character is of the last level.
        let other_class = chars.len();
        // Unlisted ASCII characters are in the other class; a listed one's class is its index.
        let mut ascii_classes = [u32::try_from(other_class).unwrap_or(u32::MAX); 128];
        for (class, &c) in chars.iter().take(ascii).enumerate() {
            if let Some(slot) = ascii_classes.get_mut(c as usize) {
                *slot = u32::try_from(class).unwrap_or(u32::MAX);
            }
        }
        let mut preference: Vec<usize> = Vec::with_capacity(chars.len() + 1);
        let class_of_ascii = |b: u8| -> usize {
            ascii_classes
                .get(usize::from(b))
                .map_or(other_class, |&c| c as usize)
        };
        for level in 0..=MAX_NICENESS {
            let mut other_pending = other.filter(|&o| niceness(o) == level);
            let mut push = |class: usize, c: char, preference: &mut Vec<usize>| {
                if other_pending.is_some_and(|o| o < c) {
                    preference.push(other_class);
                    other_pending = None;
                }
                preference.push(class);
            };
            let level_ascii = listed_ascii & ascii_of_niceness(level);
            for b in ascii_bits(level_ascii) {
                push(class_of_ascii(b), char::from(b), &mut preference);
            }
            if level == MAX_NICENESS {
                for (class, &c) in chars.iter().enumerate().skip(ascii) {
                    push(class, c, &mut preference);
                }
            }
            if other_pending.is_some() {
                preference.push(other_class);
            }
        }
        Arc::new(Alphabet {
            chars,
            other,
            preference,
            ascii: ascii_classes,
            max_states: self.max_states.unwrap_or(DEFAULT_MAX_STATES),
        })
    }
}

/// The ASCII characters of a bitmap, in order.
fn ascii_bits(mut bits: u128) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let b = bits.trailing_zeros();
        bits &= bits - 1;
        u8::try_from(b).ok()
    })
}

/// The ASCII characters of a [`niceness`] level, as a bitmap (built once).
fn ascii_of_niceness(level: u8) -> u128 {
    static MASKS: OnceLock<[u128; MAX_NICENESS as usize + 1]> = OnceLock::new();
    let masks = MASKS.get_or_init(|| {
        let mut masks = [0u128; MAX_NICENESS as usize + 1];
        for b in 0u8..128 {
            if let Some(mask) = masks.get_mut(usize::from(niceness(char::from(b)))) {
                *mask |= 1u128 << b;
            }
        }
        masks
    });
    masks.get(usize::from(level)).copied().unwrap_or(0)
}

/// The least nice [`niceness`].
const MAX_NICENESS: u8 = 5;

/// How plausible a character looks in a witness (lower is nicer).
fn niceness(c: char) -> u8 {
    match c {
        'a'..='z' => 0,
        '0'..='9' => 1,
        'A'..='Z' => 2,
        '-' | '_' | '.' | '/' | ':' => 3,
        '!'..='~' => 4,
        _ => 5,
    }
}

/// A set of strings: a regular language over an [`Alphabet`] partition.
#[derive(Clone)]
pub struct StringSet {
    alphabet: Arc<Alphabet>,
    // INVARIANT: the automaton is complete and minimal; state 0 is the start; states are numbered
    // in breadth-first order from the start, visiting classes in index order;
    // `trans.len() == accept.len() * alphabet.class_count()` and every entry is `< accept.len()`.
    trans: Vec<u32>,
    accept: Vec<bool>,
}

impl PartialEq for StringSet {
    fn eq(&self, other: &Self) -> bool {
        Alphabet::same(&self.alphabet, &other.alphabet).is_ok()
            && self.trans == other.trans
            && self.accept == other.accept
    }
}

impl Eq for StringSet {}

impl fmt::Debug for StringSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringSet")
            .field("states", &self.accept.len())
            .field("witness", &self.witness())
            .finish_non_exhaustive()
    }
}

/// An automaton under construction: complete, start state 0, not necessarily minimal.
struct RawDfa {
    classes: usize,
    trans: Vec<u32>,
    accept: Vec<bool>,
}

impl RawDfa {
    fn next(&self, state: usize, class: usize) -> usize {
        next_of(&self.trans, self.classes, state, class)
    }
}

/// The coarsest partition of `raw`'s states that respects acceptance and transitions
/// (Hopcroft's algorithm): each state's block, and the number of blocks.
fn hopcroft(raw: &RawDfa) -> (Vec<u32>, usize) {
    let n = raw.accept.len();
    let k = raw.classes;
    // Predecessors per (class, state), as compressed rows: `pred[pstart[c*n+t]..pstart[c*n+t+1]]`.
    let mut counts = vec![0u32; k * n + 1];
    for s in 0..n {
        for c in 0..k {
            let t = raw.next(s, c);
            if let Some(slot) = counts.get_mut(c * n + t + 1) {
                *slot += 1;
            }
        }
    }
    for i in 1..counts.len() {
        let prev = counts.get(i - 1).copied().unwrap_or(0);
        if let Some(slot) = counts.get_mut(i) {
            *slot += prev;
        }
    }
    let pstart = counts;
    let mut fill: Vec<u32> = pstart.clone();
    let mut pred = vec![0u32; n * k];
    for s in 0..n {
        for c in 0..k {
            let t = raw.next(s, c);
            if let Some(at) = fill.get_mut(c * n + t) {
                if let Some(slot) = pred.get_mut(*at as usize) {
                    *slot = u32::try_from(s).unwrap_or(u32::MAX);
                }
                *at += 1;
            }
        }
    }
    // Blocks as contiguous ranges of `elems`; `pos[s]` is s's index in `elems`.
    let mut elems: Vec<u32> = Vec::with_capacity(n);
    elems.extend(
        (0..n)
            .filter(|&s| raw.accept.get(s).copied().unwrap_or(false))
            .map(|s| s as u32),
    );
    let accepting = elems.len();
    elems.extend(
        (0..n)
            .filter(|&s| !raw.accept.get(s).copied().unwrap_or(false))
            .map(|s| s as u32),
    );
    let mut pos = vec![0u32; n];
    for (i, &s) in elems.iter().enumerate() {
        if let Some(slot) = pos.get_mut(s as usize) {
            *slot = i as u32;
        }
    }
    let mut block_of = vec![0u32; n];
    let mut start: Vec<usize> = Vec::new();
    let mut end: Vec<usize> = Vec::new();
    if accepting > 0 {
        start.push(0);
        end.push(accepting);
    }
    if accepting < n {
        start.push(accepting);
        end.push(n);
    }
    for b in 0..start.len() {
        let (lo, hi) = (
            start.get(b).copied().unwrap_or(0),
            end.get(b).copied().unwrap_or(0),
        );
        for i in lo..hi {
            if let Some(&s) = elems.get(i)
                && let Some(slot) = block_of.get_mut(s as usize)
            {
                *slot = b as u32;
            }
        }
    }
    let mut marked: Vec<usize> = vec![0; n.max(1)];
    let mut in_work = vec![false; n.max(1) * k.max(1)];
    let mut work: Vec<(usize, usize)> = Vec::new();
    // Initially the smaller of the two blocks splits everything.
    let first = if start.len() == 2 {
        let size = |b: usize| end.get(b).copied().unwrap_or(0) - start.get(b).copied().unwrap_or(0);
        if size(0) <= size(1) { 0 } else { 1 }
    } else {
        0
    };
    if start.len() == 2 {
        for c in 0..k {
            work.push((first, c));
            if let Some(slot) = in_work.get_mut(first * k + c) {
                *slot = true;
            }
        }
    }
    let mut touched: Vec<usize> = Vec::new();
    let mut splitter: Vec<u32> = Vec::new();
    while let Some((a, c)) = work.pop() {
        if let Some(slot) = in_work.get_mut(a * k + c) {
            *slot = false;
        }
        // The states that reach block `a` on class `c`.
        splitter.clear();
        let (lo, hi) = (
            start.get(a).copied().unwrap_or(0),
            end.get(a).copied().unwrap_or(0),
        );
        for i in lo..hi {
            let Some(&t) = elems.get(i) else { continue };
            let row = c * n + t as usize;
            let (p0, p1) = (
                pstart.get(row).copied().unwrap_or(0) as usize,
                pstart.get(row + 1).copied().unwrap_or(0) as usize,
            );
            splitter.extend(pred.get(p0..p1).unwrap_or(&[]));
        }
        for &s in &splitter {
            let b = block_of.get(s as usize).copied().unwrap_or(0) as usize;
            let m = marked.get(b).copied().unwrap_or(0);
            let bs = start.get(b).copied().unwrap_or(0);
            let at = pos.get(s as usize).copied().unwrap_or(0) as usize;
            if at < bs + m {
                continue; // already marked
            }
            if m == 0 {
                touched.push(b);
            }
            // Swap `s` into the marked prefix of its block.
            let target = bs + m;
            let other = elems.get(target).copied().unwrap_or(s);
            elems.swap(at, target);
            if let Some(slot) = pos.get_mut(other as usize) {
                *slot = at as u32;
            }
            if let Some(slot) = pos.get_mut(s as usize) {
                *slot = target as u32;
            }
            if let Some(slot) = marked.get_mut(b) {
                *slot = m + 1;
            }
        }
        for b in touched.drain(..) {
            let m = marked.get(b).copied().unwrap_or(0);
            if let Some(slot) = marked.get_mut(b) {
                *slot = 0;
            }
            let (bs, be) = (
                start.get(b).copied().unwrap_or(0),
                end.get(b).copied().unwrap_or(0),
            );
            if m == 0 || m == be - bs {
                continue;
            }
            // Split: the marked prefix becomes a new block.
            let fresh = start.len();
            start.push(bs);
            end.push(bs + m);
            if let Some(slot) = start.get_mut(b) {
                *slot = bs + m;
            }
            if marked.len() <= fresh {
                marked.push(0);
            }
            for i in bs..bs + m {
                if let Some(&s) = elems.get(i)
                    && let Some(slot) = block_of.get_mut(s as usize)
                {
                    *slot = fresh as u32;
                }
            }
            if in_work.len() < (fresh + 1) * k {
                in_work.resize((fresh + 1) * k, false);
            }
            let smaller = if m <= be - bs - m { fresh } else { b };
            for c2 in 0..k {
                let old_in = in_work.get(b * k + c2).copied().unwrap_or(false);
                let add = if old_in { fresh } else { smaller };
                if let Some(slot) = in_work.get_mut(add * k + c2)
                    && !*slot
                {
                    *slot = true;
                    work.push((add, c2));
                }
            }
        }
    }
    let blocks = start.len().max(1);
    (block_of, blocks)
}

fn next_of(trans: &[u32], classes: usize, state: usize, class: usize) -> usize {
    // The INVARIANT of `StringSet`/`RawDfa` keeps the index in bounds; 0 is never reached.
    trans
        .get(state * classes + class)
        .map_or(0, |&s| s as usize)
}

fn state_id(n: usize, limit: usize) -> Result<u32, DomainError> {
    if n >= limit {
        return Err(DomainError::Budget {
            what: STATES,
            limit,
        });
    }
    u32::try_from(n).map_err(|_| DomainError::Budget {
        what: STATES,
        limit,
    })
}

/// A compiled pattern element of the position automaton.
enum Step {
    /// Consume one character of one of the classes.
    One(Vec<bool>),
    /// Consume any run of characters of the classes.
    Run(Vec<bool>),
}

impl Step {
    fn classes(&self) -> &[bool] {
        match self {
            Step::One(c) | Step::Run(c) => c,
        }
    }
}

impl StringSet {
    /// The empty set.
    #[must_use]
    pub fn empty(alphabet: &Arc<Alphabet>) -> Self {
        Self::constant(alphabet, false)
    }

    /// The set of all strings.
    #[must_use]
    pub fn any(alphabet: &Arc<Alphabet>) -> Self {
        Self::constant(alphabet, true)
    }

    fn constant(alphabet: &Arc<Alphabet>, accept: bool) -> Self {
        StringSet {
            alphabet: Arc::clone(alphabet),
            trans: vec![0; alphabet.class_count()],
            accept: vec![accept],
        }
    }

    /// The strings an IAM wildcard pattern matches (`StringLike`, `Action`, `Resource`, …).
    ///
    /// # Errors
    /// [`DomainError::NotInAlphabet`] if a literal character is not listed in the alphabet (with
    /// [`Case::Insensitive`]: any case variant), [`DomainError::Budget`] if the automaton is too
    /// large.
    pub fn from_glob(
        alphabet: &Arc<Alphabet>,
        pattern: &str,
        case: Case,
    ) -> Result<Self, DomainError> {
        Self::from_tokens(alphabet, &GlobToken::parse(pattern), case)
    }

    /// The single string `literal` (`StringEquals`); no character is a wildcard.
    ///
    /// # Errors
    /// As [`StringSet::from_glob`].
    pub fn exact(alphabet: &Arc<Alphabet>, literal: &str) -> Result<Self, DomainError> {
        Self::from_tokens(alphabet, &GlobToken::literal(literal), Case::Sensitive)
    }

    /// The strings equal to `literal` under `case` (`StringEqualsIgnoreCase` with
    /// [`Case::Insensitive`]).
    ///
    /// # Errors
    /// As [`StringSet::from_glob`].
    pub fn literal(
        alphabet: &Arc<Alphabet>,
        literal: &str,
        case: Case,
    ) -> Result<Self, DomainError> {
        Self::from_tokens(alphabet, &GlobToken::literal(literal), case)
    }

    /// The strings a token sequence matches.
    ///
    /// # Errors
    /// As [`StringSet::from_glob`].
    pub fn from_tokens(
        alphabet: &Arc<Alphabet>,
        tokens: &[GlobToken],
        case: Case,
    ) -> Result<Self, DomainError> {
        let all = vec![true; alphabet.class_count()];
        let steps = tokens
            .iter()
            .map(|token| compile_token(alphabet, *token, case, &all))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_steps(alphabet, &steps)
    }

    /// The ARNs an `ArnLike`/`ArnEquals` pattern matches.
    ///
    /// The pattern and the value are split at the first five `:` into six fields; fields one to
    /// five match field by field (a wildcard there cannot match `:`), the sixth field (the
    /// resource, which may contain `:`) matches the rest of the value. A pattern with fewer than
    /// six fields is not an ARN and matches nothing; so is a value with fewer than six fields.
    /// Matching is case-sensitive.
    ///
    /// # Errors
    /// As [`StringSet::from_glob`]; `:` must be listed in the alphabet
    /// ([`AlphabetBuilder::arn_glob`] does that).
    pub fn from_arn_glob(alphabet: &Arc<Alphabet>, pattern: &str) -> Result<Self, DomainError> {
        Self::from_arn_tokens(alphabet, &GlobToken::parse(pattern))
    }

    /// The ARNs an `ArnLike` token sequence matches; see [`StringSet::from_arn_glob`].
    ///
    /// # Errors
    /// As [`StringSet::from_arn_glob`].
    pub fn from_arn_tokens(
        alphabet: &Arc<Alphabet>,
        tokens: &[GlobToken],
    ) -> Result<Self, DomainError> {
        let colon = alphabet.listed_class(':')?;
        let all = vec![true; alphabet.class_count()];
        let mut no_colon = all.clone();
        if let Some(slot) = no_colon.get_mut(colon) {
            *slot = false;
        }
        let mut steps = Vec::with_capacity(tokens.len());
        let mut separators = 0;
        for token in tokens {
            if separators < 5 {
                if *token == GlobToken::Char(':') {
                    separators += 1;
                }
                steps.push(compile_token(alphabet, *token, Case::Sensitive, &no_colon)?);
            } else {
                steps.push(compile_token(alphabet, *token, Case::Sensitive, &all)?);
            }
        }
        if separators < 5 {
            return Ok(Self::empty(alphabet));
        }
        Self::from_steps(alphabet, &steps)
    }

    /// Subset construction over the position automaton of a pattern.
    ///
    /// A state is the set of pattern positions the input so far can be at, as a bitset (one bit
    /// per position, the last one meaning "matched"). A step is a few word operations: the
    /// positions whose `One` step takes the class move one to the right, those whose `Run` takes
    /// it stay. Classes on which every step behaves alike (most of them: a pattern names few
    /// characters) share one computation.
    fn from_steps(alphabet: &Arc<Alphabet>, steps: &[Step]) -> Result<Self, DomainError> {
        let classes = alphabet.class_count();
        let limit = alphabet.max_states;
        let end = steps.len();
        let words = (end + 1).div_ceil(64);
        let bit = |mask: &mut [u64], p: usize| {
            if let Some(w) = mask.get_mut(p / 64) {
                *w |= 1u64 << (p % 64);
            }
        };
        // Per class: the positions whose step consumes it, split by kind.
        let mut columns: Vec<(Vec<u64>, Vec<u64>)> =
            vec![(vec![0; words], vec![0; words]); classes];
        let mut runs = vec![0u64; words];
        for (p, step) in steps.iter().enumerate() {
            if let Step::Run(_) = step {
                bit(&mut runs, p);
            }
            for (class, &takes) in step.classes().iter().enumerate() {
                if takes && let Some((one, run)) = columns.get_mut(class) {
                    match step {
                        Step::One(_) => bit(one, p),
                        Step::Run(_) => bit(run, p),
                    }
                }
            }
        }
        // For a run at position r, positions in [covered_from, r) are redundant next to r: every
        // word accepted from them is accepted from r (all steps in between use a subset of the
        // run's classes).
        let mut cover: Vec<Option<Vec<u64>>> = vec![None; end];
        for (r, step) in steps.iter().enumerate() {
            let Step::Run(run) = step else { continue };
            let mut j = r;
            while j > 0
                && steps
                    .get(j - 1)
                    .is_some_and(|s| s.classes().iter().zip(run).all(|(&s, &r)| !s || r))
            {
                j -= 1;
            }
            if j < r {
                let mut mask = vec![0u64; words];
                for p in j..r {
                    bit(&mut mask, p);
                }
                if let Some(slot) = cover.get_mut(r) {
                    *slot = Some(mask);
                }
            }
        }
        let shift_left = |set: &mut [u64]| {
            let mut carry = 0u64;
            for w in set.iter_mut() {
                let next_carry = *w >> 63;
                *w = (*w << 1) | carry;
                carry = next_carry;
            }
        };
        // Runs may be skipped (they match the empty string); then redundant positions go.
        let closure = |set: &mut Vec<u64>| {
            loop {
                let mut skip: Vec<u64> = set.iter().zip(&runs).map(|(s, r)| s & r).collect();
                shift_left(&mut skip);
                let mut changed = false;
                for (s, k) in set.iter_mut().zip(&skip) {
                    if *s | k != *s {
                        *s |= k;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            let mut redundant = vec![0u64; words];
            for (w, (&s, &r)) in set.iter().zip(&runs).enumerate() {
                let mut present = s & r;
                while present != 0 {
                    let p = w * 64 + present.trailing_zeros() as usize;
                    present &= present - 1;
                    if let Some(Some(mask)) = cover.get(p) {
                        for (x, m) in redundant.iter_mut().zip(mask) {
                            *x |= m;
                        }
                    }
                }
            }
            for (s, x) in set.iter_mut().zip(&redundant) {
                *s &= !x;
            }
        };
        let accepts = |set: &[u64]| set.get(end / 64).is_some_and(|w| w >> (end % 64) & 1 == 1);
        // Classes with identical columns behave alike in every state.
        let mut group_of = Vec::with_capacity(classes);
        let mut groups: Vec<usize> = Vec::new(); // a representative class per group
        for class in 0..classes {
            let same = groups
                .iter()
                .position(|&g| columns.get(g) == columns.get(class));
            group_of.push(match same {
                Some(g) => g,
                None => {
                    groups.push(class);
                    groups.len() - 1
                }
            });
        }
        let mut start = vec![0u64; words];
        bit(&mut start, 0);
        closure(&mut start);
        let mut ids: FastMap<Vec<u64>, u32> = FastMap::default();
        let mut queue = VecDeque::new();
        let mut raw = RawDfa {
            classes,
            trans: Vec::new(),
            accept: Vec::new(),
        };
        ids.insert(start.clone(), state_id(0, limit)?);
        raw.accept.push(accepts(&start));
        queue.push_back(start);
        let mut targets = vec![0u32; groups.len()];
        while let Some(set) = queue.pop_front() {
            for (g, &class) in groups.iter().enumerate() {
                let Some((one, run)) = columns.get(class) else {
                    continue;
                };
                let mut next: Vec<u64> = set.iter().zip(one).map(|(s, o)| s & o).collect();
                shift_left(&mut next);
                for ((n, s), r) in next.iter_mut().zip(&set).zip(run) {
                    *n |= s & r;
                }
                closure(&mut next);
                let id = match ids.get(&next) {
                    Some(&id) => id,
                    None => {
                        let id = state_id(ids.len(), limit)?;
                        raw.accept.push(accepts(&next));
                        ids.insert(next.clone(), id);
                        queue.push_back(next);
                        id
                    }
                };
                if let Some(slot) = targets.get_mut(g) {
                    *slot = id;
                }
            }
            raw.trans.extend(
                group_of
                    .iter()
                    .map(|&g| targets.get(g).copied().unwrap_or(0)),
            );
        }
        Ok(Self::minimized(alphabet, &raw))
    }

    /// Minimizes (Hopcroft's partition refinement, `O(k·n·log n)`) and renumbers canonically.
    fn minimized(alphabet: &Arc<Alphabet>, raw: &RawDfa) -> Self {
        let classes = raw.classes;
        let (block, blocks) = hopcroft(raw);
        // Canonical numbering: breadth-first from the start block, classes in index order.
        let mut number: Vec<Option<u32>> = vec![None; blocks];
        let mut numbered = 1usize;
        let mut queue = VecDeque::from([0usize]);
        if let Some(slot) = block.first().and_then(|&b| number.get_mut(b as usize)) {
            *slot = Some(0);
        }
        let mut trans = Vec::with_capacity(blocks * classes);
        let mut accept = Vec::with_capacity(blocks);
        while let Some(state) = queue.pop_front() {
            accept.push(raw.accept.get(state).copied().unwrap_or(false));
            for class in 0..classes {
                let target = raw.next(state, class);
                let target_block = block.get(target).copied().unwrap_or(0) as usize;
                let id = match number.get(target_block).copied().flatten() {
                    Some(id) => id,
                    None => {
                        let id = u32::try_from(numbered).unwrap_or(u32::MAX);
                        numbered += 1;
                        if let Some(slot) = number.get_mut(target_block) {
                            *slot = Some(id);
                        }
                        queue.push_back(target);
                        id
                    }
                };
                trans.push(id);
            }
        }
        StringSet {
            alphabet: Arc::clone(alphabet),
            trans,
            accept,
        }
    }

    fn next(&self, state: usize, class: usize) -> usize {
        next_of(&self.trans, self.alphabet.class_count(), state, class)
    }

    fn accepts(&self, state: usize) -> bool {
        self.accept.get(state).copied().unwrap_or(false)
    }

    /// Runs the product automaton of `self` and `other` breadth-first, calling `visit` with the
    /// acceptance of both components for every reachable pair.
    fn product(
        &self,
        other: &Self,
        mut visit: impl FnMut(bool, bool) -> bool,
    ) -> Result<RawDfa, DomainError> {
        Alphabet::same(&self.alphabet, &other.alphabet)?;
        let classes = self.alphabet.class_count();
        let limit = self.alphabet.max_states;
        let mut ids: FastMap<(usize, usize), u32> = FastMap::default();
        ids.insert((0, 0), 0);
        let mut queue = VecDeque::from([(0usize, 0usize)]);
        let mut raw = RawDfa {
            classes,
            trans: Vec::new(),
            accept: Vec::new(),
        };
        while let Some((a, b)) = queue.pop_front() {
            let keep = visit(self.accepts(a), other.accepts(b));
            raw.accept.push(keep);
            for class in 0..classes {
                let pair = (self.next(a, class), other.next(b, class));
                let id = match ids.get(&pair) {
                    Some(&id) => id,
                    None => {
                        let id = state_id(ids.len(), limit)?;
                        ids.insert(pair, id);
                        queue.push_back(pair);
                        id
                    }
                };
                raw.trans.push(id);
            }
        }
        Ok(raw)
    }

    fn combine(&self, other: &Self, op: fn(bool, bool) -> bool) -> Result<Self, DomainError> {
        let raw = self.product(other, op)?;
        Ok(Self::minimized(&self.alphabet, &raw))
    }

    /// The strings in both sets.
    ///
    /// # Errors
    /// [`DomainError::AlphabetMismatch`] for sets over different alphabets,
    /// [`DomainError::Budget`] if the product automaton is too large.
    pub fn intersect(&self, other: &Self) -> Result<Self, DomainError> {
        self.combine(other, |a, b| a && b)
    }

    /// The strings in either set.
    ///
    /// # Errors
    /// As [`StringSet::intersect`].
    pub fn union(&self, other: &Self) -> Result<Self, DomainError> {
        self.combine(other, |a, b| a || b)
    }

    /// The strings in `self` but not in `other`.
    ///
    /// # Errors
    /// As [`StringSet::intersect`].
    pub fn difference(&self, other: &Self) -> Result<Self, DomainError> {
        self.combine(other, |a, b| a && !b)
    }

    /// Every string not in the set.
    #[must_use]
    pub fn complement(&self) -> Self {
        // The complement of a complete minimal automaton is complete, minimal and keeps its
        // canonical numbering.
        StringSet {
            alphabet: Arc::clone(&self.alphabet),
            trans: self.trans.clone(),
            accept: self.accept.iter().map(|&a| !a).collect(),
        }
    }

    /// Whether the set has no member.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        // Every state of a minimal automaton is reachable.
        !self.accept.iter().any(|&a| a)
    }

    /// Whether the set holds every string.
    #[must_use]
    pub fn is_any(&self) -> bool {
        self.accept.iter().all(|&a| a)
    }

    /// Whether every member of `self` is a member of `other`.
    ///
    /// # Errors
    /// As [`StringSet::intersect`].
    pub fn is_subset(&self, other: &Self) -> Result<bool, DomainError> {
        let mut subset = true;
        self.product(other, |a, b| {
            subset &= !a || b;
            false
        })?;
        Ok(subset)
    }

    /// Whether `value` is a member.
    #[must_use]
    pub fn contains(&self, value: &str) -> bool {
        let end = value
            .chars()
            .fold(0, |state, c| self.next(state, self.alphabet.class_of(c)));
        self.accepts(end)
    }

    /// A shortest member, choosing among the shortest by preferring lowercase letters, then
    /// digits, then uppercase letters, then punctuation (the "other" class stands for
    /// [`Alphabet::other_representative`]); `None` if the set is empty.
    #[must_use]
    pub fn witness(&self) -> Option<String> {
        let n = self.accept.len();
        let mut parent: Vec<Option<(usize, char)>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue = VecDeque::from([0usize]);
        if let Some(s) = seen.first_mut() {
            *s = true;
        }
        while let Some(state) = queue.pop_front() {
            if self.accepts(state) {
                let mut word = Vec::new();
                let mut at = state;
                while let Some((from, c)) = parent.get(at).copied().flatten() {
                    word.push(c);
                    at = from;
                }
                return Some(word.into_iter().rev().collect());
            }
            for &class in &self.alphabet.preference {
                let target = self.next(state, class);
                if let (Some(seen @ false), Some(c)) =
                    (seen.get_mut(target), self.alphabet.representative(class))
                {
                    *seen = true;
                    if let Some(slot) = parent.get_mut(target) {
                        *slot = Some((state, c));
                    }
                    queue.push_back(target);
                }
            }
        }
        None
    }

    /// A member of `self ∩ preferred` if there is one, else a member of `self`.
    ///
    /// # Errors
    /// As [`StringSet::intersect`].
    pub fn witness_preferring(&self, preferred: &Self) -> Result<Option<String>, DomainError> {
        Ok(self
            .intersect(preferred)?
            .witness()
            .or_else(|| self.witness()))
    }

    /// The number of states of the minimal automaton (including a dead state, if any).
    #[must_use]
    pub fn state_count(&self) -> usize {
        self.accept.len()
    }

    /// The alphabet the set is built over.
    #[must_use]
    pub fn alphabet(&self) -> &Arc<Alphabet> {
        &self.alphabet
    }
}

fn compile_token(
    alphabet: &Alphabet,
    token: GlobToken,
    case: Case,
    wildcard: &[bool],
) -> Result<Step, DomainError> {
    Ok(match token {
        GlobToken::AnyString => Step::Run(wildcard.to_vec()),
        GlobToken::AnyChar => Step::One(wildcard.to_vec()),
        GlobToken::Char(c) => {
            let mut classes = vec![false; alphabet.class_count()];
            let variants = match case {
                Case::Sensitive => Cow::Owned(vec![c]),
                Case::Insensitive => fold_class(c),
            };
            for &variant in variants.iter() {
                let class = alphabet.listed_class(variant)?;
                if let Some(slot) = classes.get_mut(class) {
                    *slot = true;
                }
            }
            Step::One(classes)
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    /// The case-folding table may stop at [`CASED_END`]: no character from there on lowercases
    /// to anything but itself, and no character below it lowercases to one from there on.
    #[test]
    fn no_character_past_the_cased_planes_changes_case() {
        for c in (CASED_END..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert!(c.to_lowercase().eq(std::iter::once(c)), "{c:?}");
        }
        for c in (0..CASED_END).filter_map(char::from_u32) {
            assert!(c.to_lowercase().all(|l| u32::from(l) < CASED_END), "{c:?}");
        }
    }

    proptest! {
        /// The witness preference is the classes sorted by the niceness, then the character,
        /// of their representatives; every ASCII character maps to its own class or the
        /// other class; listed characters are exactly those of a class of their own.
        #[test]
        fn an_alphabet_orders_and_indexes_its_classes(
            chars in proptest::collection::vec(
                prop_oneof![
                    proptest::char::range('\u{0}', '\u{7f}'),
                    proptest::char::range('\u{80}', '\u{3000}'),
                ],
                0..40,
            ),
        ) {
            let mut builder = Alphabet::builder();
            builder.chars(chars.iter().copied());
            let a = builder.build();
            let mut sorted = chars.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(a.chars(), sorted.as_slice());
            let rep = |class: usize| a.representative(class).unwrap();
            let mut expected: Vec<usize> = (0..a.class_count()).collect();
            expected.sort_by_key(|&class| (niceness(rep(class)), rep(class)));
            prop_assert_eq!(a.preference(), expected.as_slice());
            for b in 0u8..128 {
                let c = char::from(b);
                let class = a.class_of(c);
                prop_assert_eq!(class, sorted.binary_search(&c).unwrap_or(sorted.len()));
                prop_assert_eq!(a.listed_class(c).is_ok(), sorted.contains(&c));
            }
        }
    }
}
