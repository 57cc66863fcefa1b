//! The workos adapter for tambo-auth.
