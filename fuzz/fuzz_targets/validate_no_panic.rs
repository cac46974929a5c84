//! `validate-no-panic`: no policy text makes `keyhole_analyzer::validate::validate` panic, and
//! every finding it returns is well-formed.
//!
//! The first byte picks the policy type (and, for resource policies, the resource type); the
//! rest is the policy text (invalid UTF-8 is skipped). Every location must lie inside the text
//! (offsets in characters, start before end, lines from 1), every finding's type must be its
//! check's type, and findings must come sorted by their first location.
#![no_main]

use keyhole_analyzer::validate::{PolicyType, ValidateResourceType, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let policy_type = match selector % 4 {
        0 => PolicyType::IdentityPolicy,
        1 => PolicyType::ResourcePolicy,
        2 => PolicyType::ServiceControlPolicy,
        _ => PolicyType::ResourceControlPolicy,
    };
    let resource_type = if policy_type == PolicyType::ResourcePolicy {
        ValidateResourceType::ALL
            .get(usize::from(selector / 4) % 8)
            .copied()
    } else {
        None
    };
    let Ok(findings) = validate(text, policy_type, resource_type) else {
        return;
    };
    let chars = text.chars().count();
    let mut previous = 0;
    for f in &findings {
        assert_eq!(f.finding_type, f.issue_code.finding_type());
        assert!(!f.finding_details.is_empty());
        for loc in &f.locations {
            assert!(loc.span.start.offset <= loc.span.end.offset);
            assert!(loc.span.end.offset <= chars);
            assert!(loc.span.start.line >= 1);
        }
        let first = f.locations.first().map_or(0, |l| l.span.start.offset);
        assert!(first >= previous, "findings out of order");
        previous = first;
    }
});
