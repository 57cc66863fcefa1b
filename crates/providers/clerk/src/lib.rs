//! The clerk adapter for tambo-auth.
