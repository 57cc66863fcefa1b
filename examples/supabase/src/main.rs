//! The supabase example.

fn main() {}
