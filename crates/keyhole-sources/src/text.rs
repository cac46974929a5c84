//! Positions in input files: a line index for fast line/column lookup, and offset maps that carry
//! a byte offset inside a decoded text (a JSON string's contents, a URL-decoded policy, a JSON
//! document that was itself a string value) back to the byte it came from in the file.
//!
//! AWS returns most policies as JSON strings, and AWS Config nests them further (a policy string
//! inside a JSON document that is itself a string value, or a URL-encoded trust policy). Each
//! decoding step records a [`Layer`]; an [`OffsetMap`] applies the layers innermost first, so a
//! policy error's offset maps exactly to the file.

use keyhole_policy::Location;

/// Line and column lookups in `O(log n)`: line starts, and column checkpoints every few KiB of a
/// long line (a minified AWS Config snapshot is one line of many megabytes).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the first byte of each line. INVARIANT: starts with 0, increasing.
    starts: Vec<usize>,
    /// `(offset, column)` at every line start and every [`CHECKPOINT`] bytes within a line, at
    /// character boundaries. INVARIANT: offsets increasing; includes every line start.
    checkpoints: Vec<(usize, usize)>,
}

/// Distance between column checkpoints within a line, in bytes.
const CHECKPOINT: usize = 4096;

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut checkpoints = vec![(0, 0)];
        let mut line_start = 0;
        loop {
            // Newlines are found with `str::find`'s fast byte search; only a line of at least
            // CHECKPOINT bytes is walked byte by byte, for its column checkpoints.
            let newline = text
                .get(line_start..)
                .and_then(|rest| rest.find('\n'))
                .map(|i| line_start + i);
            let line_end = newline.unwrap_or(bytes.len());
            if line_end - line_start >= CHECKPOINT {
                let mut column = 0;
                let mut last = line_start;
                // The newline byte too: a checkpoint can fall on it.
                let through = newline.map_or(line_end, |n| n + 1);
                for (i, &b) in bytes
                    .get(line_start..through)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(|(k, b)| (line_start + k, b))
                {
                    let boundary = b & 0xC0 != 0x80;
                    if boundary && i - last >= CHECKPOINT {
                        checkpoints.push((i, column));
                        last = i;
                    }
                    if boundary {
                        column += 1;
                    }
                }
            }
            match newline {
                Some(n) => {
                    starts.push(n + 1);
                    checkpoints.push((n + 1, 0));
                    line_start = n + 1;
                }
                None => break,
            }
        }
        LineIndex {
            text,
            starts,
            checkpoints,
        }
    }

    /// The position of byte `offset` (clamped to the text and to a character boundary).
    pub(crate) fn location(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let i = self.checkpoints.partition_point(|&(o, _)| o <= offset);
        let (from, column) = i
            .checked_sub(1)
            .and_then(|i| self.checkpoints.get(i))
            .copied()
            .unwrap_or((0, 0));
        Location {
            line,
            column: column + count_chars(self.text, from, offset),
            offset,
        }
    }
}

fn count_chars(text: &str, from: usize, to: usize) -> usize {
    text.get(from..to).map_or(0, |s| s.chars().count())
}

/// One decoding step: checkpoints `(inner offset, outer offset)` between which the mapping is a
/// shift. INVARIANT: non-empty, first checkpoint at inner offset 0, inner offsets increasing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layer(Vec<(usize, usize)>);

impl Layer {
    /// A plain shift: inner offset `i` is outer offset `base + i`.
    pub(crate) fn shift(base: usize) -> Layer {
        Layer(vec![(0, base)])
    }

    fn apply(&self, offset: usize) -> usize {
        let i = self.0.partition_point(|&(inner, _)| inner <= offset);
        match i.checked_sub(1).and_then(|i| self.0.get(i)) {
            Some(&(inner, outer)) => outer + (offset - inner),
            None => offset,
        }
    }
}

/// Maps byte offsets of a decoded text to byte offsets of the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OffsetMap {
    /// Innermost first.
    layers: Vec<Layer>,
}

impl OffsetMap {
    /// The identity (offsets of the file itself).
    pub(crate) fn identity() -> Self {
        OffsetMap::default()
    }

    /// This map with one more decoding step inside it: `layer` maps the new text to the text this
    /// map starts from.
    pub(crate) fn inner(&self, layer: Layer) -> OffsetMap {
        let mut layers = Vec::with_capacity(self.layers.len() + 1);
        layers.push(layer);
        layers.extend(self.layers.iter().cloned());
        OffsetMap { layers }
    }

    /// The file offset of `offset`.
    pub(crate) fn apply(&self, offset: usize) -> usize {
        self.layers.iter().fold(offset, |o, layer| layer.apply(o))
    }
}

/// The layer of a JSON string literal: `raw` is the literal's text *with* its quotes as written
/// (already validated by the JSON reader), starting at offset `raw_start` of the outer text; the
/// inner text is the unescaped string.
pub(crate) fn string_literal_layer(raw: &str, raw_start: usize) -> Layer {
    let body_start = raw_start + 1;
    let body = raw
        .strip_prefix('"')
        .map_or(raw, |r| r.strip_suffix('"').unwrap_or(r));
    escapes_layer(body, body_start)
}

/// The layer of the *contents* of a JSON string (no quotes) at `start`: backslash escapes shrink.
pub(crate) fn escapes_layer(body: &str, start: usize) -> Layer {
    let bytes = body.as_bytes();
    let mut checkpoints = vec![(0, start)];
    let mut raw = 0;
    let mut decoded = 0;
    while let Some(&b) = bytes.get(raw) {
        if b != b'\\' {
            raw += 1;
            decoded += 1;
            continue;
        }
        let (raw_len, decoded_len) = match bytes.get(raw + 1) {
            Some(b'u') => unicode_escape(body, raw),
            Some(_) => (2, 1),
            None => (1, 1),
        };
        raw += raw_len;
        decoded += decoded_len;
        checkpoints.push((decoded, start + raw));
    }
    Layer(checkpoints)
}

/// Raw and decoded lengths of the `\u` escape at `at` (a surrogate pair counts as one).
fn unicode_escape(body: &str, at: usize) -> (usize, usize) {
    let hex = |from: usize| {
        body.get(from..from + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    match hex(at + 2) {
        Some(high @ 0xD800..0xDC00) => match (body.get(at + 6..at + 8), hex(at + 8)) {
            (Some("\\u"), Some(low @ 0xDC00..0xE000)) => {
                let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
                (12, c.map_or(3, char::len_utf8))
            }
            _ => (6, 3),
        },
        Some(code) => (6, char::from_u32(code).map_or(3, char::len_utf8)),
        None => (2, 1),
    }
}

/// Decodes the contents of a JSON string (without quotes) that was written with a second level of
/// escaping (API Gateway returns `{\"Version\":…}`). Unknown escapes are kept as written.
pub(crate) fn unescape_json_body(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, '/')) => out.push('/'),
            Some((_, 'b')) => out.push('\u{8}'),
            Some((_, 'f')) => out.push('\u{c}'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'u')) => {
                let (raw_len, _) = unicode_escape(body, i);
                let decoded = body
                    .get(i..i + raw_len)
                    .and_then(|esc| serde_json::from_str::<String>(&format!("\"{esc}\"")).ok());
                match decoded {
                    Some(s) if raw_len > 2 => {
                        out.push_str(&s);
                        for _ in 2..raw_len {
                            chars.next();
                        }
                    }
                    _ => out.push_str("\\u"),
                }
            }
            Some((_, other)) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// URL-decodes `text` (`%XX` escapes, and `+` as a space as Java's `URLEncoder` writes it),
/// returning the decoded text and its layer. Invalid UTF-8 after decoding is replaced by U+FFFD
/// (offsets after such a replacement are then approximate).
pub(crate) fn url_decode(text: &str) -> (String, Layer) {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut checkpoints = vec![(0, 0)];
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 3;
                    checkpoints.push((out.len(), i));
                } else {
                    out.push(b);
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    let decoded = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (decoded, Layer(checkpoints))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn line_index_matches_location_of() {
        let long = format!("{}\n", "é1".repeat(2500));
        // Lines around the checkpoint distance, with and without a final newline, one after
        // another, with multi-byte characters across the boundary.
        let mut edges = Vec::new();
        for n in [
            CHECKPOINT - 1,
            CHECKPOINT,
            CHECKPOINT + 1,
            2 * CHECKPOINT + 3,
        ] {
            edges.push("a".repeat(n));
            edges.push(format!("{}\n{}", "a".repeat(n), "bé".repeat(n / 3)));
            edges.push(format!("{}é\n\n{}\n", "a".repeat(n - 1), "x".repeat(n)));
        }
        for text in [
            "{\n  \"é\": 1,\n\n  \"x\": \"ü\" }\n",
            "",
            "\n\n",
            long.as_str(),
        ]
        .into_iter()
        .chain(edges.iter().map(String::as_str))
        {
            check_index(text);
        }
    }

    fn check_index(text: &str) {
        let index = LineIndex::new(text);
        for offset in (0..=text.len() + 2).chain((0..text.len()).rev()) {
            assert_eq!(
                index.location(offset),
                Location::of(text, offset),
                "at {offset}"
            );
        }
    }

    #[test]
    fn string_layer_maps_escapes() {
        // Outer text: `x = "a\"b\u00e9c\ud83d\ude00d"`; the literal starts at 4.
        let outer = r#"x = "a\"b\u00e9c\ud83d\ude00d""#;
        let raw = &outer[4..];
        let decoded: String = serde_json::from_str(raw).unwrap();
        let map = OffsetMap::identity().inner(string_literal_layer(raw, 4));
        for (needle, outer_needle) in [("a", "a"), ("b", "b"), ("c", "c"), ("d", "d")] {
            let inner = decoded.find(needle).unwrap();
            let want = outer.rfind(outer_needle).unwrap();
            assert_eq!(map.apply(inner), want, "{needle}");
        }
        assert_eq!(
            map.apply(decoded.find('"').unwrap()),
            outer.find("\\\"").unwrap()
        );
    }

    #[test]
    fn url_layer_maps_escapes() {
        let (decoded, layer) = url_decode("%7B%22a%22%3A+1%7D");
        assert_eq!(decoded, "{\"a\": 1}");
        let map = OffsetMap::identity().inner(layer);
        assert_eq!(map.apply(decoded.find('1').unwrap()), 14);
        assert_eq!(map.apply(decoded.find('a').unwrap()), 6);
    }

    #[test]
    fn second_level_escapes() {
        assert_eq!(
            unescape_json_body(r#"{\"a\":\"\u00e9\\x\"}"#),
            "{\"a\":\"é\\x\"}"
        );
    }
}
