//! Source spans and the positions Access Analyzer reports (`line` 1-based, `column` and `offset`
//! 0-based, as in its `Position` shape).

use serde::Serialize;

/// A half-open byte range `[start, end)` in a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given backwards).
    #[must_use]
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start.min(end),
            end: start.max(end),
        }
    }

    /// The position of the span's start in `text`.
    #[must_use]
    pub fn location(&self, text: &str) -> Location {
        Location::of(text, self.start)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start, span.end - span.start).into()
    }
}

/// A position in a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Line, counting from 1.
    pub line: usize,
    /// Column in characters (Unicode scalar values), counting from 0.
    pub column: usize,
    /// Byte offset from the start of the text, counting from 0.
    pub offset: usize,
}

impl Location {
    /// The position of byte `offset` in `text` (clamped to the text, and to a character boundary).
    #[must_use]
    pub fn of(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = text.get(..offset).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).unwrap_or_default().chars().count(),
            offset,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column + 1)
    }
}

/// A value together with where it was written.
///
/// Spans are metadata: two `Spanned` values are equal when their values are equal, so that a
/// policy printed and parsed again compares equal to the original.
#[derive(Clone, Debug, Default)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written ([`Span::default`] for values built in code).
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let text = "{\n  \"é\": 1\n}";
        assert_eq!(
            Location::of(text, 0),
            Location {
                line: 1,
                column: 0,
                offset: 0
            }
        );
        let at_one = text.find('1').unwrap_or_default();
        assert_eq!(
            Location::of(text, at_one),
            Location {
                line: 2,
                column: 7,
                offset: at_one
            }
        );
        assert_eq!(Location::of(text, 999).line, 3);
    }
}
