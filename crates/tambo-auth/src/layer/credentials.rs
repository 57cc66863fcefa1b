//! Finding the bearer token in a request (RFC 6750 §2): the `Authorization` header, or a
//! cookie when configured. The URI query is never read (RFC 6750 §2.3).

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use crate::Error;

/// What the request carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// No bearer credentials (none at all, or another scheme such as `Basic`).
    None,
    /// A bearer token.
    Bearer(&'a str),
}

pub(crate) fn extract<'a>(
    headers: &'a HeaderMap,
    query: Option<&str>,
    cookie: Option<&str>,
) -> Result<Credentials<'a>, Error> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let from_header = match (values.next(), values.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => {
            return Err(Error::InvalidRequest {
                reason: "more than one Authorization header",
            });
        }
        (Some(value), None) => {
            let value = value.to_str().map_err(|_| Error::InvalidRequest {
                reason: "the Authorization header is not visible ASCII",
            })?;
            bearer(value)?
        }
    };
    if let Some(token) = from_header {
        // Two methods at once is a malformed request (RFC 6750 §3.1).
        if query.is_some_and(|q| q.split('&').any(|p| p.starts_with("access_token="))) {
            return Err(Error::InvalidRequest {
                reason: "the token was sent both in the header and in the query",
            });
        }
        return Ok(Credentials::Bearer(token));
    }
    if let Some(name) = cookie {
        for value in headers.get_all(COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for pair in value.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k == name
                    && !v.is_empty()
                {
                    check_token68(v)?;
                    return Ok(Credentials::Bearer(v));
                }
            }
        }
    }
    Ok(Credentials::None)
}

/// `Bearer <token68>`, scheme case-insensitive (RFC 9110 §11.1). Another scheme is "no bearer
/// credentials", not an error.
fn bearer(value: &str) -> Result<Option<&str>, Error> {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(Error::InvalidRequest {
            reason: "Bearer with no token",
        });
    }
    check_token68(token)?;
    Ok(Some(token))
}

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
fn check_token68(token: &str) -> Result<(), Error> {
    let body = token.trim_end_matches('=');
    let ok = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRequest {
            reason: "the bearer token is not a single token68 value",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn kind(r: Result<Credentials<'_>, Error>) -> Result<Option<String>, crate::ErrorKind> {
        r.map(|c| match c {
            Credentials::None => None,
            Credentials::Bearer(t) => Some(t.to_owned()),
        })
        .map_err(|e| e.kind())
    }

    #[test]
    fn bearer_tokens_are_found_case_insensitively() {
        for v in [
            "Bearer abc.def.ghi",
            "bearer abc.def.ghi",
            "BEARER  abc.def.ghi",
        ] {
            assert_eq!(
                kind(extract(&headers(&[v]), None, None)),
                Ok(Some("abc.def.ghi".into()))
            );
        }
    }

    #[test]
    fn other_schemes_and_no_header_are_no_credentials() {
        assert_eq!(
            kind(extract(&headers(&["Basic dXNlcjpwdw=="]), None, None)),
            Ok(None)
        );
        assert_eq!(
            kind(extract(&headers(&[]), Some("access_token=x"), None)),
            Ok(None)
        );
    }

    #[test]
    fn malformed_bearer_credentials_are_invalid_requests() {
        use crate::ErrorKind::InvalidRequest;
        for v in [
            vec!["Bearer"],
            vec!["Bearer "],
            vec!["Bearer a b"],
            vec!["Bearer a\"b"],
            vec!["Bearer a", "Bearer b"],
        ] {
            assert_eq!(
                kind(extract(&headers(&v), None, None)),
                Err(InvalidRequest),
                "{v:?}"
            );
        }
        assert_eq!(
            kind(extract(
                &headers(&["Bearer a"]),
                Some("x=1&access_token=a"),
                None
            )),
            Err(InvalidRequest)
        );
    }

    #[test]
    fn a_configured_cookie_is_read_when_there_is_no_header() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("theme=dark; tambo_token=abc.def.ghi"),
        );
        assert_eq!(
            kind(extract(&h, None, Some("tambo_token"))),
            Ok(Some("abc.def.ghi".into()))
        );
        assert_eq!(kind(extract(&h, None, None)), Ok(None));
    }
}
