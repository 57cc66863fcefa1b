//! Frontend API URLs and authorized parties are origins: scheme, host and port, no path and
//! no trailing slash, exactly as Clerk writes them in `iss` and `azp`.

use tambo_auth::Error;
use url::{Host, Url};

/// The origin of `input`, a bare host (`clerk.acme.com`, https assumed) or a URL whose path is
/// empty or `/`. `http://` is accepted for loopback hosts only, and only with
/// `allow_http_loopback` (the testkit IdP, a local frontend).
pub(crate) fn origin(
    input: &str,
    field: &str,
    example: &str,
    allow_http_loopback: bool,
) -> Result<String, Error> {
    let input = input.trim();
    let refuse = |reason: &str| Error::Configuration {
        field: field.into(),
        reason: format!("{reason} (got {input:?}); expected an origin like `{example}`"),
    };
    if input.is_empty() {
        return Err(refuse("empty"));
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| refuse("not a host or URL"))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_http_loopback => {}
        _ => {
            return Err(refuse(
                "only https (or http on a loopback host where allowed)",
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials do not belong in an origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("an origin has no path, query or fragment"));
    }
    // Lowercases the host and drops a default port; no trailing slash, as in Clerk's tokens.
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn hosts_and_urls_become_origins_without_a_trailing_slash() {
        for input in [
            "clerk.acme.com",
            "https://clerk.acme.com",
            "https://clerk.acme.com/",
            "https://Clerk.Acme.com:443",
        ] {
            assert_eq!(
                origin(input, "frontend_api", "", false).expect(input),
                "https://clerk.acme.com"
            );
        }
        assert_eq!(
            origin("http://localhost:3000/", "authorized_parties", "", true).expect("local"),
            "http://localhost:3000"
        );
    }

    #[test]
    fn paths_and_plain_http_are_refused() {
        for input in [
            "",
            "https://clerk.acme.com/v1",
            "http://clerk.acme.com",
            "https://app.acme.com/#x",
        ] {
            assert!(origin(input, "frontend_api", "", true).is_err(), "{input}");
        }
        assert!(origin("http://localhost:3000", "authorized_parties", "", false).is_err());
    }
}
