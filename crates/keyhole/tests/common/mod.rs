//! Helpers shared by the tests that run the real `keyhole` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root: the binary runs there, so paths in its output are repository-relative.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `keyhole ARGS…` from the repository root: exit code, stdout, stderr.
pub fn keyhole(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("keyhole")
        .unwrap()
        .current_dir(root())
        .env_remove("SOURCE_DATE_EPOCH")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Compares `actual` with `tests/snapshots/NAME`; `KEYHOLE_BLESS=1` rewrites the snapshot after a
/// deliberate change (review the diff).
pub fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var("KEYHOLE_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing; run with KEYHOLE_BLESS=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its snapshot (KEYHOLE_BLESS=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}
