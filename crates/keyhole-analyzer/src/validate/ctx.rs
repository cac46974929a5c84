//! The state of one validation: the text, what is being validated, the findings so far, and the
//! conversion of byte spans to AWS's character positions.

use std::collections::HashMap;

use keyhole_policy::Span as TextSpan;
use keyhole_policy::json::{Json, JsonKind, Member};

use super::{
    IssueCode, Location, PathElement, PolicyType, Position, Span, ValidatePolicyFinding,
    ValidateResourceType,
};

/// A path into the document.
pub(crate) type Path = Vec<PathElement>;

/// `path` followed by the object key `key`.
pub(crate) fn key(path: &[PathElement], key: &str) -> Path {
    let mut p = path.to_vec();
    p.push(PathElement::Value(key.to_owned()));
    p
}

/// `path` followed by the array index `i`.
pub(crate) fn index(path: &[PathElement], i: usize) -> Path {
    let mut p = path.to_vec();
    p.push(PathElement::Index(i));
    p
}

/// One string of an element that holds a string or an array of strings, with where it is.
#[derive(Clone, Debug)]
pub(crate) struct Str<'j> {
    /// The unescaped text.
    pub text: &'j str,
    /// Its JSON value (for the span).
    pub json: &'j Json,
    /// Its path (the element's path, plus the index when the element is an array).
    pub path: Path,
}

/// The strings of a string-or-array element at `path` (non-strings are skipped; the grammar
/// checks report them).
pub(crate) fn strings<'j>(json: &'j Json, path: &[PathElement]) -> Vec<Str<'j>> {
    match &json.kind {
        JsonKind::String(s) => vec![Str {
            text: s,
            json,
            path: path.to_vec(),
        }],
        JsonKind::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match &item.kind {
                JsonKind::String(s) => Some(Str {
                    text: s,
                    json: item,
                    path: index(path, i),
                }),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The member named `name` (exact case), the first one if repeated.
pub(crate) fn member<'j>(members: &'j [Member], name: &str) -> Option<&'j Member> {
    members.iter().find(|m| m.key == name)
}

/// Work that is bounded per validation, so that a huge adversarial policy stays fast.
pub(crate) struct Budget {
    /// "Did you mean" suggestions left to compute.
    pub suggestions: usize,
    /// Action-pattern expansions over the whole catalog left to compute.
    pub expansions: usize,
}

/// The state of one validation.
pub(crate) struct Ctx<'t> {
    /// The policy text.
    pub text: &'t str,
    /// What kind of policy it is.
    pub policy_type: PolicyType,
    /// The resource a resource policy is attached to, if given.
    pub resource_type: Option<ValidateResourceType>,
    /// Whether the document says `"Version": "2012-10-17"` (policy variables are interpreted).
    pub version_2012: bool,
    /// Bounded work.
    pub budget: Budget,
    /// Expansions of action patterns already computed (lower-cased pattern → actions).
    pub expanded: HashMap<String, Option<Vec<String>>>,
    findings: Vec<ValidatePolicyFinding>,
    // INVARIANT: `chars` is `None` when the text is ASCII (byte offset = character offset),
    // else has one entry per byte plus one: the character offset of that byte.
    chars: Option<Vec<usize>>,
    line_starts: Vec<usize>,
}

impl<'t> Ctx<'t> {
    pub(crate) fn new(
        text: &'t str,
        policy_type: PolicyType,
        resource_type: Option<ValidateResourceType>,
    ) -> Self {
        let chars = (!text.is_ascii()).then(|| {
            let mut table = Vec::with_capacity(text.len() + 1);
            for (n, c) in text.chars().enumerate() {
                table.extend(std::iter::repeat_n(n, c.len_utf8()));
            }
            table.push(text.chars().count());
            table
        });
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Ctx {
            text,
            policy_type,
            resource_type,
            version_2012: false,
            budget: Budget {
                suggestions: 200,
                expansions: 200,
            },
            expanded: HashMap::new(),
            findings: Vec::new(),
            chars,
            line_starts,
        }
    }

    /// Whether the policy is a role trust policy.
    pub(crate) fn is_trust(&self) -> bool {
        self.resource_type == Some(ValidateResourceType::IamAssumeRolePolicyDocument)
    }

    /// Whether the policy names principals (resource, trust and resource control policies).
    pub(crate) fn is_principal_based(&self) -> bool {
        matches!(
            self.policy_type,
            PolicyType::ResourcePolicy | PolicyType::ResourceControlPolicy
        )
    }

    fn char_offset(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        match &self.chars {
            None => byte,
            Some(table) => table.get(byte).copied().unwrap_or(0),
        }
    }

    fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let line_start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let offset = self.char_offset(byte);
        Position {
            line,
            column: offset - self.char_offset(line_start),
            offset,
        }
    }

    /// The location of `span` at `path`.
    pub(crate) fn loc(&self, path: &[PathElement], span: TextSpan) -> Location {
        Location {
            path: path.to_vec(),
            span: Span {
                start: self.position(span.start),
                end: self.position(span.end),
            },
        }
    }

    /// Records a finding.
    pub(crate) fn report(&mut self, code: IssueCode, details: String, locations: Vec<Location>) {
        self.findings.push(ValidatePolicyFinding {
            finding_details: details,
            finding_type: code.finding_type(),
            issue_code: code,
            learn_more_link: code.learn_more_link(),
            locations,
        });
    }

    /// Records a finding at one place.
    pub(crate) fn report_at(
        &mut self,
        code: IssueCode,
        details: String,
        path: &[PathElement],
        span: TextSpan,
    ) {
        let loc = self.loc(path, span);
        self.report(code, details, vec![loc]);
    }

    /// Records a `JSON_SYNTAX_ERROR` at `span`.
    pub(crate) fn json_syntax_error(&mut self, span: TextSpan) {
        let at = self.position(span.start);
        self.report_at(
            IssueCode::JSON_SYNTAX_ERROR,
            format!(
                "Fix the JSON syntax error at index {} line {} column {}.",
                at.offset, at.line, at.column
            ),
            &[],
            span,
        );
    }

    /// The findings, sorted and without duplicates.
    pub(crate) fn finish(mut self) -> Vec<ValidatePolicyFinding> {
        self.findings.sort_by(|a, b| {
            let first = |f: &ValidatePolicyFinding| {
                f.locations
                    .first()
                    .map(|l| (l.span.start.offset, l.span.end.offset))
            };
            first(a)
                .cmp(&first(b))
                .then_with(|| a.issue_code.as_str().cmp(b.issue_code.as_str()))
                .then_with(|| a.finding_details.cmp(&b.finding_details))
                .then_with(|| a.locations.cmp(&b.locations))
        });
        self.findings.dedup();
        self.findings
    }
}
