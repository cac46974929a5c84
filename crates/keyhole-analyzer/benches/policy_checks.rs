//! Check latency and validate throughput (being built).
fn main() {}
