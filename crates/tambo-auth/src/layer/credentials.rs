//! Finding the bearer token in a request (RFC 6750 §2): the `Authorization` header, or a
//! cookie when configured. A token in the URI query is never accepted (RFC 6750 §2.3); the
//! query is read only to refuse a request that sends the token there as well as in the
//! header (§3.1).

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use crate::Error;

/// What the request carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// No bearer credentials (none at all, or another scheme such as `Basic`).
    None,
    /// A bearer token's bytes, not yet checked to be token68: a token found in the
    /// verified-token cache was checked when it was first verified.
    Bearer(&'a [u8]),
}

const NOT_TOKEN68: Error = Error::InvalidRequest {
    reason: "the bearer token is not a single token68 value",
};

/// `token`, once checked to be a single token68 value (RFC 6750 §2.1), as text.
pub(crate) fn token68(token: &[u8]) -> Result<&str, Error> {
    if is_token68(token) {
        // token68 is ASCII, hence UTF-8.
        std::str::from_utf8(token).map_err(|_| NOT_TOKEN68)
    } else {
        Err(NOT_TOKEN68)
    }
}

/// Whether `name` is an RFC 6265 cookie name (an RFC 9110 token).
pub(crate) fn valid_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
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
        (Some(value), None) => bearer(value.as_bytes())?,
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
                    return Ok(Credentials::Bearer(v.as_bytes()));
                }
            }
        }
    }
    Ok(Credentials::None)
}

/// `Bearer <token68>`, scheme case-insensitive (RFC 9110 §11.1). Another scheme is "no bearer
/// credentials", not an error.
fn bearer(value: &[u8]) -> Result<Option<&[u8]>, Error> {
    let (scheme, rest) = match value.iter().position(|b| *b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    let start = rest.iter().position(|b| *b != b' ').unwrap_or(rest.len());
    let token = &rest[start..];
    if token.is_empty() {
        return Err(Error::InvalidRequest {
            reason: "Bearer with no token",
        });
    }
    Ok(Some(token))
}

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
fn is_token68(token: &[u8]) -> bool {
    let padding = token.iter().rev().take_while(|b| **b == b'=').count();
    let body = &token[..token.len() - padding];
    // Every first-seen token's bytes pass here, hundreds of them: one pass without an early
    // exit or a table, which the compiler turns into vector code (a quarter of the
    // instructions of a byte-by-byte `all`). `-` `.` `/` and the digits are one range
    // (0x2D-0x39); a letter with its case bit set is in `a`-`z`.
    let outside = body.iter().fold(false, |outside, &b| {
        outside
            | !((b.wrapping_sub(b'-') <= b'9' - b'-')
                | ((b | 0x20).wrapping_sub(b'a') < 26)
                | (b == b'_')
                | (b == b'~')
                | (b == b'+'))
    });
    !body.is_empty() && !outside
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
        match r {
            Ok(Credentials::None) => Ok(None),
            Ok(Credentials::Bearer(t)) => token68(t).map(|t| Some(t.to_owned())),
            Err(e) => Err(e),
        }
        .map_err(|e| e.kind())
    }

    #[test]
    fn token68_is_exactly_the_grammar_for_every_byte() {
        for b in 0..=u8::MAX {
            let in_grammar = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_token68(&[b, b'a']), in_grammar, "{b:#04x}");
            assert_eq!(
                is_token68(&[b'a', b, b'=']),
                in_grammar || b == b'=',
                "{b:#04x}"
            );
        }
        assert!(!is_token68(b"=="), "padding alone is no token");
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
            vec!["Bearer ==="],
            vec!["Bearer a=b"],
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
    fn bytes_outside_visible_ascii_are_invalid_requests() {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer abc\xffdef").unwrap(),
        );
        assert_eq!(
            kind(extract(&h, None, None)),
            Err(crate::ErrorKind::InvalidRequest)
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
