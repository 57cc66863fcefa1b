//! The google example.

fn main() {}
