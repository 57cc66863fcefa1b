//! The auth0 example.

fn main() {}
