//! Exact symbolic reasoning over IAM policies (work in progress; see ARCHITECTURE.md).
