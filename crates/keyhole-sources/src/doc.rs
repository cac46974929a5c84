//! Typed access to spanned JSON values, with errors that name the file, line and column.
//!
//! A [`Doc`] is a JSON text being read: the file itself, one line of a JSON lines file, or a JSON
//! document that was a string value (AWS Config writes `configuration` that way); its
//! [`OffsetMap`] carries the text's offsets back to the file.

use crate::err::{SourceError, SourceErrorKind};
use crate::model::{Origin, PolicyForm, PolicySource};
use crate::text::{Layer, LineIndex, OffsetMap, escapes_layer, string_literal_layer, url_decode};
use keyhole_policy::json::{Json, JsonKind, JsonLimits, Member, parse_json};
use keyhole_policy::{JsonError, PolicyLimits, Span, parse_policy, policy_from_value};
use std::path::Path;

/// The file being read.
pub(crate) struct FileCtx<'a> {
    pub(crate) path: &'a Path,
    pub(crate) lines: LineIndex<'a>,
    /// Limits for each JSON document (the file, a line, a nested string document).
    pub(crate) limits: JsonLimits,
}

impl FileCtx<'_> {
    pub(crate) fn origin(&self, file_offset: usize) -> Origin {
        Origin {
            file: self.path.to_path_buf(),
            location: self.lines.location(file_offset),
        }
    }

    pub(crate) fn error_at(&self, span: Span, kind: SourceErrorKind) -> SourceError {
        SourceError {
            file: self.path.to_path_buf(),
            location: Some(self.lines.location(span.start)),
            span: Some(span),
            kind: Box::new(kind),
            help: None,
        }
    }
}

/// A JSON text of the file.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'d> {
    pub(crate) file: &'d FileCtx<'d>,
    pub(crate) text: &'d str,
    pub(crate) map: &'d OffsetMap,
}

/// A JSON value and the text it is in.
#[derive(Clone, Copy)]
pub(crate) struct At<'d> {
    pub(crate) doc: Doc<'d>,
    pub(crate) json: &'d Json,
}

/// A JSON document read from a string value, owning its text.
pub(crate) struct NestedDoc {
    text: String,
    map: OffsetMap,
    json: Json,
}

impl NestedDoc {
    pub(crate) fn at<'s>(&'s self, file: &'s FileCtx<'s>) -> At<'s> {
        At {
            doc: Doc {
                file,
                text: &self.text,
                map: &self.map,
            },
            json: &self.json,
        }
    }
}

/// A value that is either JSON in place or JSON inside a string (AWS Config writes both).
pub(crate) enum MaybeNested<'d> {
    Direct(At<'d>),
    Nested(NestedDoc),
}

impl<'d> MaybeNested<'d> {
    pub(crate) fn at<'s>(&'s self, file: &'s FileCtx<'s>) -> At<'s>
    where
        'd: 's,
    {
        match self {
            MaybeNested::Direct(at) => *at,
            MaybeNested::Nested(n) => n.at(file),
        }
    }
}

/// Joins a field path: `a` + `b` → `a.b`, `` + `b` → `b`.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A user value for a message: cut to 80 characters.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

impl<'d> Doc<'d> {
    pub(crate) fn file_span(&self, span: Span) -> Span {
        Span::new(self.map.apply(span.start), self.map.apply(span.end))
    }

    pub(crate) fn origin(&self, span: Span) -> Origin {
        self.file.origin(self.map.apply(span.start))
    }

    pub(crate) fn error(&self, span: Span, kind: SourceErrorKind) -> SourceError {
        self.file.error_at(self.file_span(span), kind)
    }

    pub(crate) fn json_error(&self, e: &JsonError) -> SourceError {
        self.error(e.span, SourceErrorKind::Json(e.kind.clone()))
    }

    pub(crate) fn at(self, json: &'d Json) -> At<'d> {
        At { doc: self, json }
    }

    /// Reads the JSON document inside the string value `json`.
    pub(crate) fn nested(&self, json: &Json, field: &str) -> Result<NestedDoc, SourceError> {
        let JsonKind::String(text) = &json.kind else {
            return Err(self.wrong_type(json, field, "a string"));
        };
        let raw = self
            .text
            .get(json.span.start..json.span.end)
            .unwrap_or("\"\"");
        let map = self.map.inner(string_literal_layer(raw, json.span.start));
        let doc = Doc {
            file: self.file,
            text,
            map: &map,
        };
        let parsed = parse_json(text, self.file.limits).map_err(|e| doc.json_error(&e))?;
        Ok(NestedDoc {
            text: text.clone(),
            map,
            json: parsed,
        })
    }

    /// `json` in place when it is an object or array, or the document inside it when it is a
    /// string; `None` for `null` and the empty string.
    pub(crate) fn maybe_nested(
        self,
        json: &'d Json,
        field: &str,
    ) -> Result<Option<MaybeNested<'d>>, SourceError> {
        match &json.kind {
            JsonKind::Null => Ok(None),
            JsonKind::String(s) if s.trim().is_empty() => Ok(None),
            JsonKind::String(_) => Ok(Some(MaybeNested::Nested(self.nested(json, field)?))),
            JsonKind::Object(_) | JsonKind::Array(_) => {
                Ok(Some(MaybeNested::Direct(self.at(json))))
            }
            _ => Err(self.wrong_type(json, field, "an object or a JSON string")),
        }
    }

    pub(crate) fn wrong_type(
        &self,
        json: &Json,
        field: &str,
        expected: &'static str,
    ) -> SourceError {
        self.error(
            json.span,
            SourceErrorKind::WrongType {
                field: field.to_owned(),
                expected,
                found: json.type_name(),
            },
        )
    }

    pub(crate) fn invalid(&self, json: &Json, field: &str, expected: String) -> SourceError {
        let found = match &json.kind {
            JsonKind::String(s) => shown(s),
            _ => shown(
                self.text
                    .get(json.span.start..json.span.end)
                    .unwrap_or_default(),
            ),
        };
        self.error(
            json.span,
            SourceErrorKind::InvalidValue {
                field: field.to_owned(),
                expected,
                found,
            },
        )
    }

    /// The members of an object, rejecting duplicate keys.
    pub(crate) fn object(&self, json: &'d Json, field: &str) -> Result<Obj<'d>, SourceError> {
        self.object_in(json, field, field)
    }

    /// The members of a record's object (a resource or a configuration item): `field` names it
    /// in a type error; field paths inside it start from its members.
    pub(crate) fn record_object(
        &self,
        json: &'d Json,
        field: &str,
    ) -> Result<Obj<'d>, SourceError> {
        self.object_in(json, field, "")
    }

    fn object_in(&self, json: &'d Json, field: &str, path: &str) -> Result<Obj<'d>, SourceError> {
        let JsonKind::Object(members) = &json.kind else {
            return Err(self.wrong_type(json, field, "an object"));
        };
        let mut keys: Vec<&str> = members.iter().map(|m| m.key.as_str()).collect();
        keys.sort_unstable();
        if let Some(dup) = keys.windows(2).find_map(|w| match w {
            [a, b] if a == b => Some(*a),
            _ => None,
        }) {
            // Report the second occurrence.
            let second = members
                .iter()
                .filter(|m| m.key == dup)
                .nth(1)
                .map_or(json.span, |m| m.key_span);
            return Err(self.error(
                second,
                SourceErrorKind::DuplicateField {
                    field: join(path, dup),
                },
            ));
        }
        Ok(Obj {
            doc: *self,
            json,
            members,
        })
    }

    pub(crate) fn string(&self, json: &'d Json, field: &str) -> Result<&'d str, SourceError> {
        match &json.kind {
            JsonKind::String(s) => Ok(s),
            _ => Err(self.wrong_type(json, field, "a string")),
        }
    }

    pub(crate) fn bool(&self, json: &Json, field: &str) -> Result<bool, SourceError> {
        match &json.kind {
            JsonKind::Bool(b) => Ok(*b),
            // AWS Config and some CLIs write booleans as strings.
            JsonKind::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            JsonKind::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.wrong_type(json, field, "a boolean")),
        }
    }

    pub(crate) fn array(&self, json: &'d Json, field: &str) -> Result<&'d [Json], SourceError> {
        match &json.kind {
            JsonKind::Array(items) => Ok(items),
            _ => Err(self.wrong_type(json, field, "an array")),
        }
    }

    /// An array of strings (a single string is read as a one-element array).
    pub(crate) fn strings(&self, json: &'d Json, field: &str) -> Result<Vec<String>, SourceError> {
        match &json.kind {
            JsonKind::String(s) => Ok(vec![s.clone()]),
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    self.string(item, &format!("{field}[{i}]"))
                        .map(str::to_owned)
                })
                .collect(),
            _ => Err(self.wrong_type(json, field, "an array of strings")),
        }
    }

    /// A policy: a JSON object, or a JSON string holding one; `None` for `null` and for an empty
    /// or blank string.
    pub(crate) fn policy(
        &self,
        json: &'d Json,
        field: &str,
        decoding: Decoding,
    ) -> Result<Option<PolicySource>, SourceError> {
        let (text, map, form) = match &json.kind {
            JsonKind::Null => return Ok(None),
            JsonKind::String(s) if s.trim().is_empty() => return Ok(None),
            JsonKind::String(s) => {
                let raw = self
                    .text
                    .get(json.span.start..json.span.end)
                    .unwrap_or("\"\"");
                let map = self.map.inner(string_literal_layer(raw, json.span.start));
                let trimmed = s.trim_start();
                match decoding {
                    Decoding::UrlEncoded if !trimmed.starts_with('{') => {
                        let (decoded, layer) = url_decode(s);
                        (decoded, map.inner(layer), PolicyForm::UrlEncoded)
                    }
                    Decoding::DoublyEscaped if trimmed.starts_with("{\\\"") => {
                        let layer = escapes_layer(s, 0);
                        (
                            crate::text::unescape_json_body(s),
                            map.inner(layer),
                            PolicyForm::String,
                        )
                    }
                    _ => (s.clone(), map, PolicyForm::String),
                }
            }
            JsonKind::Object(_) => {
                let text = self
                    .text
                    .get(json.span.start..json.span.end)
                    .unwrap_or_default()
                    .to_owned();
                let map = self.map.inner(Layer::shift(json.span.start));
                (text, map, PolicyForm::Object)
            }
            _ => return Err(self.wrong_type(json, field, "a policy (an object or a JSON string)")),
        };
        // An object was read with the file: build the policy from that reading rather than
        // read its text again (the same policy, spans and errors; see `policy_from_value`).
        let parsed = match (&json.kind, form) {
            (JsonKind::Object(_), PolicyForm::Object) => {
                policy_from_value(json, PolicyLimits::default())
                    .unwrap_or_else(|| parse_policy(&text))
            }
            _ => parse_policy(&text),
        };
        let error_location = parsed
            .as_ref()
            .err()
            .map(|e| self.file.lines.location(map.apply(e.span.start)));
        Ok(Some(PolicySource {
            text,
            origin: self.origin(json.span),
            form,
            parsed,
            error_location,
            map,
        }))
    }
}

/// How a policy string may be encoded beyond JSON string escaping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decoding {
    /// Plain JSON text.
    Plain,
    /// URL-encoded unless it starts with `{` (IAM trust policies in AWS Config).
    UrlEncoded,
    /// Escaped a second time when it starts with `{\"` (API Gateway policies).
    DoublyEscaped,
}

/// A JSON object being read.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'d> {
    pub(crate) doc: Doc<'d>,
    pub(crate) json: &'d Json,
    pub(crate) members: &'d [Member],
}

impl<'d> Obj<'d> {
    /// The value of `key`, `None` when absent or `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'d Json> {
        self.members
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
            .filter(|v| !matches!(v.kind, JsonKind::Null))
    }

    /// The first of `keys` that is present and not `null`.
    pub(crate) fn get_any(&self, keys: &[&str]) -> Option<&'d Json> {
        keys.iter().find_map(|k| self.get(k))
    }

    /// Fails on a member not in `allowed`.
    pub(crate) fn only(&self, allowed: &[&str], within: &str) -> Result<(), SourceError> {
        match self
            .members
            .iter()
            .find(|m| !allowed.contains(&m.key.as_str()))
        {
            None => Ok(()),
            Some(m) => {
                let mut err = self.doc.error(
                    m.key_span,
                    SourceErrorKind::UnknownField {
                        field: m.key.clone(),
                        within: within.to_owned(),
                    },
                );
                err.help = Some(if allowed.is_empty() {
                    "it has no fields".to_owned()
                } else {
                    format!(
                        "expected {}",
                        allowed
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                Err(err)
            }
        }
    }

    /// The value of a required `key`.
    pub(crate) fn required(
        &self,
        key: &str,
        within: Option<&str>,
    ) -> Result<&'d Json, SourceError> {
        self.get(key).ok_or_else(|| {
            self.doc.error(
                Span::new(self.json.span.start, self.json.span.start + 1),
                SourceErrorKind::MissingField {
                    field: key.to_owned(),
                    within: within.filter(|w| !w.is_empty()).map(str::to_owned),
                },
            )
        })
    }

    pub(crate) fn at(&self, json: &'d Json) -> At<'d> {
        self.doc.at(json)
    }
}
