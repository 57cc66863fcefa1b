//! Cross-crate end-to-end suites live in `tests/`; this library is empty.
