//! Helpers shared by this crate's benches: the allocator, the corpus and timing.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The allocator of the `keyhole` binary, so that the benches measure what the binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `../shared/corpus/quacky` (or under `KEYHOLE_SHARED`), if it is there.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var("KEYHOLE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("corpus/quacky");
    dir.is_dir().then_some(dir)
}

/// Every `*.json` file under `dir`, sorted by path.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The `q`-quantile of sorted durations (nearest rank), zero for none.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// CPU time of the calling thread so far (`CLOCK_THREAD_CPUTIME_ID`), which leaves out time
/// spent waiting for the core on a loaded machine. `KEYHOLE_BENCH_NO_CPU_CLOCK=1` reads
/// nothing (zero), for running under valgrind, which the clock's vDSO call crashes.
pub fn thread_cpu() -> Option<Duration> {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *OFF.get_or_init(|| std::env::var("KEYHOLE_BENCH_NO_CPU_CLOCK").as_deref() == Ok("1")) {
        return Some(Duration::ZERO);
    }
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}
