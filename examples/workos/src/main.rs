//! The workos example.

fn main() {}
