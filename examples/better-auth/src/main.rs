//! The better-auth example.

fn main() {}
