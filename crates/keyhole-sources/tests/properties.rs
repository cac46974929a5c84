//! Property tests: no input makes reading panic, and every position reported lies inside the
//! file. Inputs are arbitrary bytes, byte-level mutations of valid files, and valid files with
//! one JSON value replaced by another (of another type, or written as a string), which reaches
//! the schema checks of every resource type and AWS Config shape.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_sources::{Loaded, SourceError, read_bytes};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut out = Vec::new();
        for dir in ["account", "config"] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|p| std::fs::read(p).unwrap()));
        }
        // An API-spelling AWS Config item with string values and a URL-encoded trust policy.
        out.push(
            json!({"configurationItems": [{
                "accountId": "111122223333", "arn": "arn:aws:iam::111122223333:role/r",
                "resourceType": "AWS::IAM::Role", "awsRegion": "global",
                "configuration": json!({"assumeRolePolicyDocument":
                    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22444455556666%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"}).to_string(),
                "supplementaryConfiguration": {}
            }]})
            .to_string()
            .into_bytes(),
        );
        out
    })
}

/// Reads and checks the invariants: positions inside the text, messages printable.
fn check(bytes: &[u8]) {
    let result = read_bytes(Path::new("p.json"), bytes);
    match result {
        Ok(loaded) => check_loaded(bytes, &loaded),
        Err(e) => check_error(bytes, &e),
    }
}

fn check_error(bytes: &[u8], e: &SourceError) {
    let _ = e.to_string();
    if let Some(span) = e.span {
        assert!(span.start <= span.end, "{e}");
        assert!(
            span.start <= bytes.len(),
            "{e}: {span:?} outside {}",
            bytes.len()
        );
    }
    if let Some(at) = e.location {
        assert!(at.line >= 1 && at.offset <= bytes.len(), "{e}");
    }
}

fn check_loaded(bytes: &[u8], loaded: &Loaded) {
    for w in &loaded.warnings {
        let _ = w.to_string();
        assert!(w.origin.location.offset <= bytes.len());
    }
    for r in &loaded.resources {
        assert!(r.origin.location.offset < bytes.len().max(1));
        for p in r.configuration.policies() {
            let policy = p.policy;
            assert!(policy.origin.location.offset < bytes.len());
            assert!(policy.file_offset(0) <= bytes.len());
            assert!(policy.file_offset(policy.text.len()) <= bytes.len() + 1);
            if let Err(e) = &policy.parsed {
                assert!(e.span.start <= policy.text.len(), "{e}");
                let at = policy.error_location.unwrap();
                assert!(at.offset <= bytes.len());
                let _ = policy.error_location_in_policy().unwrap();
            }
        }
    }
}

/// Every JSON pointer of a value.
fn pointers(v: &Value, prefix: &str, out: &mut Vec<String>) {
    out.push(prefix.to_owned());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let key = k.replace('~', "~0").replace('/', "~1");
                pointers(child, &format!("{prefix}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, &format!("{prefix}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn replacement(which: u8, old: &Value) -> Value {
    match which % 12 {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1.5e3),
        3 => json!(""),
        4 => json!("all"),
        5 => json!({}),
        6 => json!([]),
        7 => json!(["444455556666", 1]),
        8 => Value::String(old.to_string()),
        9 => json!("%7B%22"),
        10 => json!({"Version": "2012-10-17", "Statement": []}),
        _ => json!("arn:aws:s3:us-east-1:111122223333:accesspoint/x"),
    }
}

#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_json_like_text_never_panics(text in "[\\[\\]{}\",:0-9a-zA-Z \\\\\n]{0,200}") {
        check(text.as_bytes());
    }

    #[test]
    fn byte_mutations_of_valid_files_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(
            prop_oneof![
                (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
                (any::<usize>(), prop::sample::select(b"{}[]\",:\\ \n0aA%".to_vec())).prop_map(|(p, b)| Edit::Insert(p, b)),
                any::<usize>().prop_map(Edit::Delete),
            ],
            1..6,
        ),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for edit in edits {
            let n = bytes.len().max(1);
            match edit {
                Edit::Set(p, b) => { if !bytes.is_empty() { bytes[p % n] = b; } }
                Edit::Insert(p, b) => bytes.insert(p % (bytes.len() + 1), b),
                Edit::Delete(p) => { if !bytes.is_empty() { bytes.remove(p % n); } }
            }
        }
        check(&bytes);
    }

    #[test]
    fn value_substitutions_in_valid_files_never_panic(
        seed in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        which in any::<u8>(),
        pretty in any::<bool>(),
    ) {
        let seeds = seeds();
        let bytes = &seeds[seed.index(seeds.len())];
        let text = String::from_utf8(bytes.clone()).unwrap();
        // JSON lines: mutate one line.
        let docs: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let whole = serde_json::from_str::<Value>(&text).is_ok();
        let (mut value, line) = if whole {
            (serde_json::from_str::<Value>(&text).unwrap(), None)
        } else {
            let i = at.index(docs.len());
            (serde_json::from_str::<Value>(docs[i]).unwrap(), Some(i))
        };
        let mut ptrs = Vec::new();
        pointers(&value, "", &mut ptrs);
        let ptr = &ptrs[at.index(ptrs.len())];
        let old = value.pointer(ptr).cloned().unwrap();
        if ptr.is_empty() {
            value = replacement(which, &old);
        } else {
            *value.pointer_mut(ptr).unwrap() = replacement(which, &old);
        }
        let mutated = match line {
            None if pretty => serde_json::to_string_pretty(&value).unwrap(),
            None => value.to_string(),
            Some(i) => {
                let mut lines: Vec<String> = docs.iter().map(|l| (*l).to_owned()).collect();
                lines[i] = value.to_string();
                lines.join("\n")
            }
        };
        check(mutated.as_bytes());
    }
}
