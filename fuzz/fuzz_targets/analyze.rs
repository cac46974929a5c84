//! `analyze-no-panic`: no resource file makes the analyzer panic, and no archive-rules file
//! makes the rules reader panic.
//!
//! Inputs starting with `R` are archive rules (the rest of the bytes); anything else is read as
//! a resource file with `keyhole_sources::read_bytes`, and every resource it yields is analysed
//! with a small search budget. Every finding must have an id and either a principal or an error.
#![no_main]

use keyhole_analyzer::{Context, SearchLimits, Zone, analyze, archive};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Some(rest) = data.strip_prefix(b"R") {
        if let Ok(text) = std::str::from_utf8(rest) {
            let _ = archive::parse_rules(text);
        }
        return;
    }
    let Ok(loaded) = keyhole_sources::read_bytes(Path::new("fuzz.json"), data) else {
        return;
    };
    let ctx = Context {
        zone: Zone::account("111122223333"),
        analyzed_at: "2026-11-22T00:00:00Z".to_owned(),
        limits: SearchLimits {
            max_cubes: 64,
            max_labels: 16,
        },
        ..Context::default()
    };
    for resource in loaded.resources.iter().take(8) {
        for finding in analyze(resource, &ctx) {
            assert!(!finding.id.is_empty());
            assert!(finding.principal.is_some() || finding.error.is_some());
        }
    }
});
