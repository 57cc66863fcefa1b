//! The clerk example.

fn main() {}
