//! From a tenant domain (`acme.us.auth0.com`, `login.acme.com`) to the exact issuer Auth0
//! puts in `iss`: `https://<domain>/`, always with the trailing slash.

use tambo_auth::Error;
use tambo_auth::provider::origin;

/// The issuer for `input`, a bare domain or an `https://` URL with no path: its origin plus
/// the one `/` Auth0 always appends.
///
/// `http://` is accepted only for loopback hosts with `allow_loopback_http` (the testkit IdP).
pub(crate) fn auth0_issuer(
    input: &str,
    field: &str,
    allow_loopback_http: bool,
) -> Result<String, Error> {
    origin(input, field, "acme.us.auth0.com", allow_loopback_http).map(|o| format!("{o}/"))
}

#[cfg(test)]
mod tests {
    use super::auth0_issuer;

    #[test]
    fn a_domain_becomes_the_issuer_with_its_trailing_slash() {
        for input in [
            "acme.us.auth0.com",
            "https://acme.us.auth0.com",
            "https://acme.us.auth0.com/",
            " ACME.us.auth0.com ",
            "https://acme.us.auth0.com:443/",
        ] {
            assert_eq!(
                auth0_issuer(input, "domain", false).expect(input),
                "https://acme.us.auth0.com/"
            );
        }
    }

    #[test]
    fn paths_plain_http_and_empty_domains_are_refused_with_the_field_named() {
        for input in [
            "",
            "https://acme.us.auth0.com/api/v2/",
            "http://acme.us.auth0.com",
            "http://127.0.0.1:8080",
            "https://acme.us.auth0.com/?x=1",
        ] {
            let err = auth0_issuer(input, "domain", false).expect_err(input);
            assert!(err.to_string().contains("domain"), "{err}");
        }
    }

    #[test]
    fn loopback_http_is_accepted_only_when_allowed() {
        assert_eq!(
            auth0_issuer("http://127.0.0.1:8080/", "domain", true).expect("loopback"),
            "http://127.0.0.1:8080/"
        );
        assert!(auth0_issuer("http://idp.example/", "domain", true).is_err());
    }
}
