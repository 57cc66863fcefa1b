//! The supabase adapter for tambo-auth.
