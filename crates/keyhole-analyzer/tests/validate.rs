//! `keyhole_analyzer::validate`: every check of the registry against the cases of
//! `tests/validate/cases.json` (for each check, a policy that triggers it, with the finding's type
//! and the text its first location spans, and a policy that does not), the location encoding,
//! and every policy of `../shared/corpus` (no panic; the codes found per file are compared with
//! `tests/validate/corpus-codes.txt`, rewritten by `KEYHOLE_BLESS=1`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use keyhole_analyzer::validate::{
    ALL_CHECKS, IssueCode, PathElement, PolicyType, ValidateError, ValidatePolicyFinding,
    ValidateResourceType, validate,
};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/validate")
        .join(name)
}

struct Case {
    n: usize,
    check: String,
    text: String,
    policy_type: PolicyType,
    resource_type: Option<ValidateResourceType>,
    /// `None`: the check must not fire.
    span: Option<String>,
    span_prefix: Option<String>,
}

fn cases() -> Vec<Case> {
    let raw: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(data("cases.json")).unwrap()).unwrap();
    raw.iter()
        .enumerate()
        .map(|(n, c)| Case {
            n,
            check: c["check"].as_str().unwrap().to_owned(),
            text: match c.get("text") {
                Some(t) => t.as_str().unwrap().to_owned(),
                None => serde_json::to_string_pretty(&c["policy"]).unwrap(),
            },
            policy_type: c["policyType"].as_str().unwrap().parse().unwrap(),
            resource_type: c
                .get("resourceType")
                .map(|r| r.as_str().unwrap().parse().unwrap()),
            span: c.get("span").map(|s| s.as_str().unwrap().to_owned()),
            span_prefix: c
                .get("spanStartsWith")
                .map(|s| s.as_str().unwrap().to_owned()),
        })
        .collect()
}

/// The text a finding's first location spans (AWS offsets count characters).
fn spanned(text: &str, f: &ValidatePolicyFinding) -> String {
    let loc = &f.locations[0];
    text.chars()
        .skip(loc.span.start.offset)
        .take(loc.span.end.offset - loc.span.start.offset)
        .collect()
}

#[test]
fn every_case() {
    let mut failures = Vec::new();
    for case in cases() {
        let code: IssueCode = match case.check.parse() {
            Ok(c) => c,
            Err(()) => {
                failures.push(format!("case {}: unknown check {}", case.n, case.check));
                continue;
            }
        };
        let findings = validate(&case.text, case.policy_type, case.resource_type).unwrap();
        let hits: Vec<&ValidatePolicyFinding> =
            findings.iter().filter(|f| f.issue_code == code).collect();
        let all: Vec<&str> = findings.iter().map(|f| f.issue_code.as_str()).collect();
        let positive = case.span.is_some() || case.span_prefix.is_some();
        if !positive {
            if !hits.is_empty() {
                failures.push(format!(
                    "case {} ({}): must not fire, got {:?}\n{}",
                    case.n, case.check, hits, case.text
                ));
            }
            continue;
        }
        let Some(f) = hits.first() else {
            failures.push(format!(
                "case {} ({}): did not fire; findings: {all:?}\n{}",
                case.n, case.check, case.text
            ));
            continue;
        };
        if f.finding_type != code.finding_type() {
            failures.push(format!(
                "case {} ({}): wrong type {:?}",
                case.n, case.check, f.finding_type
            ));
        }
        let got = spanned(&case.text, f);
        let ok = match (&case.span, &case.span_prefix) {
            (Some(s), _) => hits.iter().any(|h| spanned(&case.text, h) == *s),
            (None, Some(p)) => got.starts_with(p.as_str()),
            (None, None) => true,
        };
        if !ok {
            failures.push(format!(
                "case {} ({}): span {got:?}, expected {:?}",
                case.n,
                case.check,
                case.span.as_ref().or(case.span_prefix.as_ref())
            ));
        }
        let link = format!("-{}", code.as_str().to_ascii_lowercase().replace('_', "-"));
        if !f.learn_more_link.ends_with(&link) {
            failures.push(format!(
                "case {}: learnMoreLink {}",
                case.n, f.learn_more_link
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn registry_has_at_least_100_checks_each_with_cases() {
    let distinct: BTreeSet<&str> = ALL_CHECKS.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        distinct.len(),
        ALL_CHECKS.len(),
        "duplicate codes in the registry"
    );
    assert!(distinct.len() >= 100, "only {} checks", distinct.len());
    let cases = cases();
    let mut missing = Vec::new();
    for code in ALL_CHECKS {
        let of = |positive: bool| {
            cases.iter().any(|c| {
                c.check == code.as_str()
                    && (c.span.is_some() || c.span_prefix.is_some()) == positive
            })
        };
        if !of(true) {
            missing.push(format!("{code}: no triggering case"));
        }
        if !of(false) {
            missing.push(format!("{code}: no non-triggering case"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn locations_follow_aws_encoding() {
    // A single statement object: no index in the path; the span is the value's literal.
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": {\"Sid\": \"\", \"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", \"Resource\": []}}";
    let findings = validate(text, PolicyType::IdentityPolicy, None).unwrap();
    let sid = findings
        .iter()
        .find(|f| f.issue_code == IssueCode::EMPTY_SID_VALUE)
        .unwrap();
    let loc = &sid.locations[0];
    assert_eq!(
        loc.path,
        [
            PathElement::Value("Statement".into()),
            PathElement::Value("Sid".into())
        ]
    );
    assert_eq!(loc.span.end.offset - loc.span.start.offset, 2);
    let json = serde_json::to_value(sid).unwrap();
    assert_eq!(
        json["locations"][0]["path"][0],
        serde_json::json!({"value": "Statement"})
    );
    assert_eq!(json["findingType"], "SUGGESTION");
    assert_eq!(json["issueCode"], "EMPTY_SID_VALUE");
    assert_eq!(
        json["learnMoreLink"],
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-suggestion-empty-sid-value"
    );
    // Array statements get an index; columns and offsets count characters, not bytes.
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"é\", \"Effect\": \"Allow\",\n \"Action\": \"s3:Nope\", \"Resource\": \"*\"}]}";
    let findings = validate(text, PolicyType::IdentityPolicy, None).unwrap();
    let invalid = findings
        .iter()
        .find(|f| f.issue_code == IssueCode::INVALID_ACTION)
        .unwrap();
    let loc = &invalid.locations[0];
    assert_eq!(
        loc.path,
        [
            PathElement::Value("Statement".into()),
            PathElement::Index(0),
            PathElement::Value("Action".into())
        ]
    );
    assert_eq!((loc.span.start.line, loc.span.start.column), (2, 11));
    assert_eq!(
        loc.span.start.offset,
        text.chars().position(|c| c == '\n').unwrap() + 12
    );
    assert_eq!(spanned(text, invalid), "\"s3:Nope\"");
}

#[test]
fn bad_requests_and_limits_are_errors_not_findings() {
    let text = r#"{"Statement": []}"#;
    assert!(matches!(
        validate(
            text,
            PolicyType::IdentityPolicy,
            Some(ValidateResourceType::S3Bucket)
        ),
        Err(ValidateError::InvalidInput(_))
    ));
    let deep = "[".repeat(100) + &"]".repeat(100);
    assert!(matches!(
        validate(&deep, PolicyType::IdentityPolicy, None),
        Err(ValidateError::Limit(_))
    ));
    let huge = format!("{{\"Id\": \"{}\"}}", "x".repeat(2 << 20));
    assert!(matches!(
        validate(&huge, PolicyType::IdentityPolicy, None),
        Err(ValidateError::Limit(_))
    ));
    // A syntax error is a finding, as with AWS.
    let f = validate("{\"Version\": ", PolicyType::IdentityPolicy, None).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].issue_code, IssueCode::JSON_SYNTAX_ERROR);
}

#[test]
fn output_is_sorted_and_deterministic() {
    let text = r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:Nope", "iam:PassRole", "iam:PassRole"], "Resource": "*"}, {"Effect": "Maybe", "Action": "x", "Resource": "y"}]}"#;
    let a = validate(text, PolicyType::IdentityPolicy, None).unwrap();
    let b = validate(text, PolicyType::IdentityPolicy, None).unwrap();
    assert_eq!(a, b);
    let starts: Vec<usize> = a
        .iter()
        .map(|f| f.locations.first().map_or(0, |l| l.span.start.offset))
        .collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(starts, sorted);
}

/// A huge action list is checked value by value, and the pairwise redundancy checks, which are
/// quadratic, are skipped above their bound (300 values) rather than run; speed itself is
/// measured by the `policy_checks` bench, not asserted here.
#[test]
fn huge_action_lists_are_bounded() {
    let actions: Vec<String> = (0..3000).map(|i| format!("\"s{i}:Get*\"")).collect();
    let text = format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": {{\"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"*\"}}}}",
        actions.join(",")
    );
    let findings = validate(&text, PolicyType::IdentityPolicy, None).unwrap();
    assert!(findings.len() >= 3000);
    assert!(
        findings
            .iter()
            .all(|f| f.issue_code.as_str() != "REDUNDANT_ACTION"),
        "the pairwise check ran on 3,000 values"
    );
}

fn corpus_dir() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if path.is_dir() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} is missing and CI=true", path.display());
    }
    eprintln!("SKIPPED: {} not found (../shared absent)", path.display());
    None
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// The policy type a corpus policy is validated as: a resource policy when a statement names a
/// principal, an identity policy otherwise.
fn guess_type(text: &str) -> PolicyType {
    if text.contains("\"Principal\"") || text.contains("\"NotPrincipal\"") {
        PolicyType::ResourcePolicy
    } else {
        PolicyType::IdentityPolicy
    }
}

#[test]
fn corpus_validates_without_panic_and_matches_snapshot() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    assert!(files.len() > 100, "corpus looks empty: {}", files.len());
    let mut lines = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let name = file
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let line = match validate(&text, guess_type(&text), None) {
            Ok(findings) => {
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &findings {
                    *counts.entry(f.issue_code.as_str()).or_default() += 1;
                }
                let codes: Vec<String> = counts
                    .into_iter()
                    .map(|(c, n)| {
                        if n == 1 {
                            c.to_owned()
                        } else {
                            format!("{c}x{n}")
                        }
                    })
                    .collect();
                format!("{name}: {}", codes.join(" "))
            }
            Err(e) => format!("{name}: error: {e}"),
        };
        lines.push(line.trim_end().to_owned());
    }
    let actual = lines.join("\n") + "\n";
    let path = data("corpus-codes.txt");
    if std::env::var("KEYHOLE_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing; run with KEYHOLE_BLESS=1", path.display()));
    if expected != actual {
        let old: BTreeSet<&str> = expected.lines().collect();
        let new: BTreeSet<&str> = actual.lines().collect();
        let diff: Vec<String> = old
            .difference(&new)
            .map(|l| format!("- {l}"))
            .chain(new.difference(&old).map(|l| format!("+ {l}")))
            .take(40)
            .collect();
        panic!(
            "corpus codes differ from {} (KEYHOLE_BLESS=1 to accept):\n{}",
            path.display(),
            diff.join("\n")
        );
    }
}

/// Every prefix of every case, and deterministic single-character mutations of them, under every
/// policy type: no panic, and every location inside the text.
#[test]
fn truncated_and_mutated_cases_never_panic() {
    let replacements = [
        '"', '{', '}', '[', ']', ',', ':', '*', '$', '\\', 'é', ' ', '0',
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let types = [
        (PolicyType::IdentityPolicy, None),
        (PolicyType::ResourcePolicy, None),
        (
            PolicyType::ResourcePolicy,
            Some(ValidateResourceType::IamAssumeRolePolicyDocument),
        ),
        (
            PolicyType::ResourcePolicy,
            Some(ValidateResourceType::S3Bucket),
        ),
        (PolicyType::ServiceControlPolicy, None),
        (PolicyType::ResourceControlPolicy, None),
    ];
    let check = |text: &str, (p, r): (PolicyType, Option<ValidateResourceType>)| {
        let chars = text.chars().count();
        for f in validate(text, p, r).unwrap() {
            for l in &f.locations {
                assert!(l.span.start.offset <= l.span.end.offset && l.span.end.offset <= chars);
            }
        }
    };
    for case in cases().iter().filter(|c| c.text.len() < 4000) {
        let chars: Vec<char> = case.text.chars().collect();
        for cut in (0..chars.len()).step_by(7) {
            let prefix: String = chars[..cut].iter().collect();
            check(&prefix, types[cut % types.len()]);
        }
        for _ in 0..20 {
            let mut mutated = chars.clone();
            let at = (next() as usize) % mutated.len();
            mutated[at] = replacements[(next() as usize) % replacements.len()];
            let text: String = mutated.into_iter().collect();
            check(&text, types[(next() as usize) % types.len()]);
        }
    }
}
