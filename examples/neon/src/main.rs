//! The neon example.

fn main() {}
