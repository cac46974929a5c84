//! A strict JSON reader (RFC 8259) that keeps the source span of every value and object key.
//!
//! IAM accepts policies as JSON text and reports problems by position (Access Analyzer's
//! `Location.span` with `line`, `column` and `offset`). `serde_json` does not keep positions, so
//! policies are read here first. The reader is strict: no comments, trailing commas, single
//! quotes, `NaN` or bare keys; duplicate object keys are kept (in order) so that the policy layer
//! can report them. Every input is bounded (size, nesting depth, number of values) and a limit hit
//! is an error, never a crash or a hang.

use crate::err::{JsonError, JsonErrorKind};
use crate::span::Span;

/// A JSON value with the byte span it occupies in the source text.
#[derive(Clone, Debug)]
pub struct Json {
    /// What the value is.
    pub kind: JsonKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of JSON value.
#[derive(Clone, Debug)]
pub enum JsonKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as written (IAM compares numbers as decimals, never as floats).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, with its members in source order (duplicates kept).
    Object(Vec<Member>),
}

/// One `"key": value` member of a JSON object.
#[derive(Clone, Debug)]
pub struct Member {
    /// The unescaped key.
    pub key: String,
    /// Where the key (with its quotes) is.
    pub key_span: Span,
    /// The value.
    pub value: Json,
}

impl Json {
    /// A short name of the value's JSON type, for error messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "boolean",
            JsonKind::Number(_) => "number",
            JsonKind::String(_) => "string",
            JsonKind::Array(_) => "array",
            JsonKind::Object(_) => "object",
        }
    }

    /// Converts to a `serde_json::Value` (duplicate keys: the last one wins, as in most JSON readers).
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => n
                .parse::<serde_json::Number>()
                .map_or_else(|_| Value::String(n.clone()), Value::Number),
            JsonKind::String(s) => Value::String(s.clone()),
            JsonKind::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            JsonKind::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Bounds on what the reader accepts.
#[derive(Clone, Copy, Debug)]
pub struct JsonLimits {
    /// Largest input, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// Most values (of any kind) in one document.
    pub max_values: usize,
}

impl Default for JsonLimits {
    /// 1 MiB, depth 32, 100,000 values: far above any policy AWS accepts (the largest, a KMS
    /// key policy, is 32 KiB), far below what could exhaust memory.
    fn default() -> Self {
        JsonLimits {
            max_bytes: 1 << 20,
            max_depth: 32,
            max_values: 100_000,
        }
    }
}

/// Parses one JSON document (surrounding whitespace allowed, nothing else).
///
/// # Errors
/// A [`JsonError`] with the span of the first problem.
pub fn parse_json(text: &str, limits: JsonLimits) -> Result<Json, JsonError> {
    if text.len() > limits.max_bytes {
        return Err(JsonError::new(
            JsonErrorKind::TooLarge {
                size: text.len(),
                limit: limits.max_bytes,
            },
            Span::new(0, 0),
        ));
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        values: 0,
        limits,
    };
    if text.starts_with('\u{feff}') {
        reader.pos = 3;
    }
    reader.skip_ws();
    let value = reader.value()?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error_here(JsonErrorKind::TrailingCharacters));
    }
    Ok(value)
}

/// Whether a string's byte ends its plain run: a quote, a backslash or a control character.
fn special(b: &u8) -> bool {
    *b == b'"' || *b == b'\\' || *b < 0x20
}

/// The offset of the first [`special`] byte of `bytes`, or its length. Eight bytes at a time
/// (policies embedded as JSON strings are mostly long runs between escaped quotes): a word has
/// a special byte exactly when one of three zero-byte tests fires, and only then are its
/// bytes looked at one by one.
fn special_at(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0usize;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = has_zero(x ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(x ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20: subtracting 0x20 from each borrows into the high bit.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        if quote | backslash | control != 0 {
            return offset + chunk.iter().position(special).unwrap_or(8);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    offset + rest.iter().position(special).unwrap_or(rest.len())
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    values: usize,
    limits: JsonLimits,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error_here(&self, kind: JsonErrorKind) -> JsonError {
        let end = self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
            .map_or(self.pos, |c| self.pos + c.len_utf8());
        JsonError::new(kind, Span::new(self.pos, end))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(self.error_here(JsonErrorKind::TooManyValues {
                limit: self.limits.max_values,
            }));
        }
        let start = self.pos;
        let kind = match self.peek() {
            None => return Err(self.error_here(JsonErrorKind::UnexpectedEnd)),
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => JsonKind::String(self.string()?),
            Some(b't') => self.literal("true", JsonKind::Bool(true))?,
            Some(b'f') => self.literal("false", JsonKind::Bool(false))?,
            Some(b'n') => self.literal("null", JsonKind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => {
                return Err(self.error_here(JsonErrorKind::UnexpectedCharacter {
                    expected: "a value",
                }));
            }
        };
        Ok(Json {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    fn literal(&mut self, word: &'static str, kind: JsonKind) -> Result<JsonKind, JsonError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error_here(JsonErrorKind::UnexpectedCharacter {
                expected: "a value",
            }))
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(self.error_here(JsonErrorKind::TooDeep {
                limit: self.limits.max_depth,
            }));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<JsonKind, JsonError> {
        self.enter()?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(JsonKind::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error_here(JsonErrorKind::UnexpectedEnd)),
                Some(_) => {
                    return Err(self.error_here(JsonErrorKind::UnexpectedCharacter {
                        expected: "`,` or `]`",
                    }));
                }
            }
        }
        self.depth -= 1;
        Ok(JsonKind::Array(items))
    }

    fn object(&mut self) -> Result<JsonKind, JsonError> {
        self.enter()?;
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(JsonKind::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(match self.peek() {
                    None => self.error_here(JsonErrorKind::UnexpectedEnd),
                    Some(_) => self.error_here(JsonErrorKind::UnexpectedCharacter {
                        expected: "a key in double quotes",
                    }),
                });
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span::new(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error_here(JsonErrorKind::UnexpectedCharacter { expected: "`:`" }));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error_here(JsonErrorKind::UnexpectedEnd)),
                Some(_) => {
                    return Err(self.error_here(JsonErrorKind::UnexpectedCharacter {
                        expected: "`,` or `}`",
                    }));
                }
            }
        }
        self.depth -= 1;
        Ok(JsonKind::Object(members))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let open = self.pos;
        self.pos += 1; // opening quote
        let run_end = |pos: usize| {
            self.bytes
                .get(pos..)
                .map_or(self.bytes.len(), |rest| pos + special_at(rest))
        };
        // Most strings have no escape: one run to the closing quote, copied once.
        let first_end = run_end(self.pos);
        if self.bytes.get(first_end) == Some(&b'"') {
            let text = self.text.get(self.pos..first_end).unwrap_or_default();
            self.pos = first_end + 1;
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(first_end - self.pos + 16);
        loop {
            let run_start = self.pos;
            self.pos = run_end(self.pos);
            // Runs stop only at ASCII bytes, so both ends are char boundaries.
            out.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            match self.peek() {
                None => {
                    return Err(JsonError::new(
                        JsonErrorKind::UnterminatedString,
                        Span::new(open, self.pos),
                    ));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error_here(JsonErrorKind::ControlCharacterInString)),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&first) {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(self.error_here(JsonErrorKind::InvalidEscape));
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error_here(JsonErrorKind::InvalidEscape));
                    }
                    char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
                } else {
                    char::from_u32(first)
                };
                match c {
                    Some(c) => out.push(c),
                    None => return Err(self.error_here(JsonErrorKind::InvalidEscape)),
                }
                return Ok(());
            }
            _ => return Err(self.error_here(JsonErrorKind::InvalidEscape)),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error_here(JsonErrorKind::InvalidEscape))?;
        let value = u32::from_str_radix(digits, 16)
            .map_err(|_| self.error_here(JsonErrorKind::InvalidEscape))?;
        self.pos += 4;
        Ok(value)
    }

    fn number(&mut self) -> Result<JsonKind, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            _ => return Err(self.error_here(JsonErrorKind::InvalidNumber)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error_here(JsonErrorKind::InvalidNumber));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error_here(JsonErrorKind::InvalidNumber));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
        }
        Ok(JsonKind::Number(
            self.text
                .get(start..self.pos)
                .unwrap_or_default()
                .to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time scan finds the first special byte the byte scan finds: in runs
        /// of every length, with special bytes (quote, backslash, each control) placed anywhere
        /// or nowhere, among bytes of every other value.
        #[test]
        fn special_bytes_are_found_eight_at_a_time(
            plain in proptest::collection::vec(0x20u8..=0xff, 0..40),
            placed in proptest::collection::vec(
                (0usize..40, prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20]),
                0..3,
            ),
        ) {
            let mut bytes = plain;
            for (at, b) in placed {
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = b;
                }
            }
            prop_assert_eq!(
                special_at(&bytes),
                bytes.iter().position(special).unwrap_or(bytes.len())
            );
        }

        /// Any string, written by serde_json (escapes, control characters, non-ASCII), reads
        /// back as itself, alone and as an object key and value; every strict prefix of the
        /// text is an error, never a panic.
        #[test]
        fn strings_read_back_as_written(s in any::<String>(), plain in "[ -!#-\\[\\]-~]{0,40}") {
            for text in [s.as_str(), plain.as_str()] {
                let written = serde_json::to_string(text).unwrap();
                let read = parse_json(&written, JsonLimits::default()).unwrap();
                prop_assert_eq!(read.to_value(), serde_json::Value::String(text.to_owned()));
                let object = format!("{{{written}: [{written}]}}");
                let read = parse_json(&object, JsonLimits::default()).unwrap();
                prop_assert_eq!(read.to_value(), serde_json::json!({text: [text]}));
                for end in (0..written.len()).filter(|&i| written.is_char_boundary(i)) {
                    prop_assert!(parse_json(&written[..end], JsonLimits::default()).is_err());
                }
            }
        }
    }

    fn err(text: &str) -> JsonError {
        parse_json(text, JsonLimits::default()).unwrap_err()
    }

    #[test]
    fn spans_and_duplicates() {
        let j = parse_json(
            "{\"a\": [1, \"x\\u00e9\"], \"a\": true}",
            JsonLimits::default(),
        )
        .unwrap();
        let JsonKind::Object(m) = &j.kind else {
            panic!()
        };
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].key_span, Span::new(1, 4));
        let JsonKind::Array(items) = &m[0].value.kind else {
            panic!()
        };
        assert_eq!(items[1].span, Span::new(10, 19));
        assert!(matches!(&items[1].kind, JsonKind::String(s) if s == "xé"));
    }

    #[test]
    fn strictness() {
        for bad in [
            "{\"a\":1,}",
            "[1,]",
            "{'a':1}",
            "// c\n{}",
            "NaN",
            "{a:1}",
            "01",
            "1.",
            "\"\t\"",
            "{} x",
            "",
        ] {
            let _ = err(bad);
        }
    }

    #[test]
    fn limits() {
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert!(matches!(err(&deep).kind, JsonErrorKind::TooDeep { .. }));
        let limits = JsonLimits {
            max_values: 3,
            ..JsonLimits::default()
        };
        assert!(parse_json("[1,2,3,4]", limits).is_err());
    }
}
