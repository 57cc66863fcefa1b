//! The auth0 adapter for tambo-auth.
