//! Corpus test: every JSON policy of the quacky corpus (`../shared/corpus/quacky/`) either parses
//! or fails with an error whose span lies inside the text and has a location, and the outcome of
//! each file matches the checked-in list `tests/corpus-parse-results.txt`.
//!
//! The list has one line per file, sorted by path relative to the corpus directory:
//! `<path>\tok` or `<path>\terror\t<line>:<column>\t<message>` (column counted from 1; tabs,
//! carriage returns and newlines in the message are escaped as `\t`, `\r`, `\n`). Run with
//! `KEYHOLE_BLESS=1` to rewrite the list from the current parser instead of comparing.
//!
//! The corpus lives outside the repository (`KEYHOLE_SHARED=/path/to/shared` points elsewhere).
//! Without it the test is skipped with a message, unless `CI=true`, where its absence is an error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_policy::parse_policy;
use std::path::{Path, PathBuf};

const RESULTS: &str = "tests/corpus-parse-results.txt";

fn corpus_dir() -> PathBuf {
    match std::env::var_os("KEYHOLE_SHARED") {
        Some(shared) => PathBuf::from(shared).join("corpus/quacky"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/quacky"),
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("listing {}: {e}", d.display()))
        {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out
}

fn escape(message: &str) -> String {
    message
        .replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// The result line of one file; panics if an error's span is not inside the text.
fn result_line(relative: &str, text: &str) -> String {
    match parse_policy(text) {
        Ok(_) => format!("{relative}\tok"),
        Err(err) => {
            let span = err.span;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{relative}: error span {span:?} is outside the text ({} bytes): {}",
                text.len(),
                err.kind
            );
            let at = span.location(text);
            assert!(
                at.line >= 1 && at.offset == span.start,
                "{relative}: location {at:?} does not match span {span:?} (not on a character boundary?)"
            );
            format!(
                "{relative}\terror\t{}:{}\t{}",
                at.line,
                at.column + 1,
                escape(&err.kind.to_string())
            )
        }
    }
}

#[test]
fn quacky_corpus_parses_or_fails_with_located_errors() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        let message = format!(
            "the quacky corpus is not at {} (set KEYHOLE_SHARED=/path/to/shared)",
            dir.display()
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{message}; CI=true requires it"
        );
        eprintln!("SKIPPED: {message}");
        return;
    }

    let mut lines: Vec<String> = json_files(&dir)
        .iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&dir)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let bytes = std::fs::read(path).unwrap();
            let text =
                String::from_utf8(bytes).unwrap_or_else(|e| panic!("{relative}: not UTF-8: {e}"));
            result_line(&relative, &text)
        })
        .collect();
    lines.sort();
    assert!(!lines.is_empty(), "no JSON files under {}", dir.display());
    let actual = lines.iter().map(|l| format!("{l}\n")).collect::<String>();

    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join(RESULTS);
    if std::env::var("KEYHOLE_BLESS").as_deref() == Ok("1") {
        std::fs::write(&results, &actual).unwrap();
        let ok = lines.iter().filter(|l| l.ends_with("\tok")).count();
        eprintln!(
            "blessed {RESULTS}: {} files, {ok} ok, {} error",
            lines.len(),
            lines.len() - ok
        );
        return;
    }

    let expected = std::fs::read_to_string(&results).unwrap_or_default();
    if expected == actual {
        return;
    }
    let expected_lines: Vec<&str> = expected.lines().collect();
    let mut report = String::new();
    for line in expected_lines
        .iter()
        .filter(|l| !lines.iter().any(|a| a == *l))
    {
        report.push_str(&format!("- {line}\n"));
    }
    for line in lines
        .iter()
        .filter(|l| !expected_lines.contains(&l.as_str()))
    {
        report.push_str(&format!("+ {line}\n"));
    }
    panic!(
        "the parse results differ from {RESULTS} (- expected, + actual); if the change is \
         intended, rerun with KEYHOLE_BLESS=1 and review the diff:\n{report}"
    );
}
