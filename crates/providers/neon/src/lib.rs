//! The neon adapter for tambo-auth.
