//! Access previews (being built).
