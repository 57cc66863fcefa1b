//! From a tenant domain (`acme.us.auth0.com`, `login.acme.com`) to the exact issuer Auth0
//! puts in `iss`: `https://<domain>/`, always with the trailing slash.

use tambo_auth::Error;
use url::{Host, Url};

/// The issuer for `input`, a bare domain or an `https://` URL with no path.
///
/// `http://` is accepted only for loopback hosts with `allow_loopback_http` (the testkit IdP).
pub(crate) fn auth0_issuer(
    input: &str,
    field: &str,
    allow_loopback_http: bool,
) -> Result<String, Error> {
    let input = input.trim();
    let refuse = |reason: &str| Error::Configuration {
        field: field.into(),
        reason: format!("{reason} (got {input:?}); expected a domain like `acme.us.auth0.com`"),
    };
    if input.is_empty() {
        return Err(refuse("empty"));
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| refuse("not a domain or URL"))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_loopback_http => {}
        _ => return Err(refuse("Auth0 issuers are https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials do not belong in an issuer"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "an Auth0 issuer is the domain alone, with no path, query or fragment",
        ));
    }
    // The origin lowercases the host and drops a default port; Auth0 then appends one `/`.
    Ok(format!("{}/", url.origin().ascii_serialization()))
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
