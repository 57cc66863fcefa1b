//! The better-auth adapter for tambo-auth.
