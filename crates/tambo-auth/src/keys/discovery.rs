//! OpenID Connect Discovery 1.0: from the configured issuer (never a token's) to `jwks_uri`.
//!
//! We read two members, `issuer` and `jwks_uri`. `openidconnect`'s `ProviderMetadata` also
//! requires `authorization_endpoint`, `response_types_supported` and more, which minimal
//! documents in the field (Clerk's, for one) omit; refusing them would refuse working
//! providers, so this small typed reader stands in for it.

use serde::Deserialize;
use url::Url;

use super::fetch::Fetcher;

/// The members of a discovery document this crate relies on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DiscoveryDocument {
    /// Must equal the configured issuer exactly (Discovery §4.3).
    pub issuer: String,
    /// Where the issuer publishes its JWK Set.
    pub jwks_uri: String,
}

/// The discovery URL: the issuer with one trailing `/` trimmed, then
/// `/.well-known/openid-configuration` (Discovery §4.1). Issuers with paths keep them.
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, String> {
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|_| "the issuer is not a URL".to_string())
}

/// Fetches and checks the discovery document, returning the `jwks_uri` to use.
pub(crate) async fn discover(fetcher: &Fetcher, issuer: &str) -> Result<Url, String> {
    let url = discovery_url(issuer)?;
    let fetched = fetcher
        .get(&url)
        .await
        .map_err(|e| format!("discovery: {e}"))?;
    let jwks = jwks_uri(&fetched.body, issuer)?;
    fetcher
        .check_url(&jwks)
        .map_err(|e| format!("discovery: jwks_uri refused: {e}"))?;
    Ok(jwks)
}

/// Reads a fetched discovery document for `issuer`: duplicate-free JSON naming exactly that
/// issuer, and its `jwks_uri` as a URL (not yet checked against the fetch policy).
pub(crate) fn jwks_uri(body: &[u8], issuer: &str) -> Result<Url, String> {
    let value = crate::jwt::parse_strict(body)
        .map_err(|_| "discovery: the document is not duplicate-free JSON".to_string())?;
    let doc: DiscoveryDocument = serde_json::from_value(value)
        .map_err(|_| "discovery: the document lacks a string issuer or jwks_uri".to_string())?;
    if doc.issuer != issuer {
        return Err(format!(
            "discovery: the document names issuer {:?}, not the configured {:?}",
            doc.issuer, issuer
        ));
    }
    Url::parse(&doc.jwks_uri).map_err(|_| "discovery: jwks_uri is not a URL".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_slash_is_trimmed_and_paths_are_kept() {
        let url = |i: &str| discovery_url(i).unwrap().to_string();
        assert_eq!(
            url("https://t.auth0.com/"),
            "https://t.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(
            url("https://ref.supabase.co/auth/v1"),
            "https://ref.supabase.co/auth/v1/.well-known/openid-configuration"
        );
        assert_eq!(
            url("https://idp.example/tenant/"),
            "https://idp.example/tenant/.well-known/openid-configuration"
        );
    }
}
