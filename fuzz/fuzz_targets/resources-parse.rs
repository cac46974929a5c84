//! `resources-parse-no-panic`: no input makes reading a resource file (keyhole resource files,
//! JSON lines, AWS Config output) panic, and every position reported lies inside the input.
//!
//! The bytes are read with `keyhole_sources::read_bytes`, which detects the format from the
//! content. On error, the span and location must lie within the input and the message must
//! print. On success, every resource's origin, every policy's origin and file offsets, and every
//! policy error's position (in the policy text and in the file) must lie within their texts, and
//! every warning must print, and every policy must be what its text reads as on its own.
#![no_main]

use keyhole_sources::read_bytes;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    check(data);
});

fn check(data: &[u8]) {
    let len = data.len();
    match read_bytes(Path::new("fuzz.json"), data) {
        Err(e) => {
            let _ = e.to_string();
            if let Some(span) = e.span {
                assert!(span.start <= span.end && span.start <= len, "{e}: {span:?}");
            }
            if let Some(at) = e.location {
                assert!(at.line >= 1 && at.offset <= len, "{e}");
            }
        }
        Ok(loaded) => {
            for w in &loaded.warnings {
                let _ = w.to_string();
                assert!(w.origin.location.offset <= len);
            }
            for r in &loaded.resources {
                assert!(r.origin.location.offset <= len);
                assert_eq!(r.configuration.resource_type(), r.resource_type);
                for named in r.configuration.policies() {
                    let p = named.policy;
                    assert!(p.origin.location.offset <= len);
                    assert!(p.file_offset(0) <= len);
                    // However the policy was read (from the file's reading, for an object),
                    // it is the policy its text reads as, with the same spans and errors.
                    assert_eq!(p.parsed, keyhole_policy::parse_policy(&p.text));
                    if let Err(e) = &p.parsed {
                        assert!(
                            e.span.start <= e.span.end && e.span.end <= p.text.len(),
                            "{e}"
                        );
                        let at = p.error_location.expect("an error location");
                        assert!(at.offset <= len);
                        let _ = p.error_location_in_policy();
                    }
                }
            }
        }
    }
}
