//! The google adapter for tambo-auth.
