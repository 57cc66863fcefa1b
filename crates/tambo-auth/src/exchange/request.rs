//! The token request: the body's parameters (form or JSON) and the RFC 8693 §2.1 rules that
//! need nothing but the request itself.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::Value;

use super::{TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT};
use crate::Error;

/// The parameters of a token request, each at most once except `audience` and `resource`.
/// Empty values count as omitted (RFC 6749 §3.2).
#[derive(Default)]
pub(crate) struct Params<'a> {
    pub(crate) grant_type: Option<Cow<'a, str>>,
    pub(crate) subject_token: Option<Cow<'a, str>>,
    pub(crate) subject_token_type: Option<Cow<'a, str>>,
    pub(crate) actor_token: Option<Cow<'a, str>>,
    pub(crate) actor_token_type: Option<Cow<'a, str>>,
    pub(crate) requested_token_type: Option<Cow<'a, str>>,
    pub(crate) scope: Option<Cow<'a, str>>,
    pub(crate) audience: Vec<Cow<'a, str>>,
    pub(crate) resource: Vec<Cow<'a, str>>,
}

impl std::fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens never reach a log through this type.
        f.debug_struct("Params")
            .field("grant_type", &self.grant_type)
            .field("subject_token_type", &self.subject_token_type)
            .field("requested_token_type", &self.requested_token_type)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

const fn invalid(reason: &'static str) -> Error {
    Error::InvalidRequest { reason }
}

/// The body format a `Content-Type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Form,
    Json,
}

/// Reads `Content-Type`: `application/x-www-form-urlencoded` (RFC 6749 §3.2) or
/// `application/json`, case-insensitive, with no parameter but an optional UTF-8 `charset`.
fn format(headers: &HeaderMap) -> Result<Format, Error> {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(invalid(
            "send the parameters as application/x-www-form-urlencoded (one Content-Type)",
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| invalid("the Content-Type header is not ASCII"))?;
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    for param in parts.filter(|p| !p.trim().is_empty()) {
        let (name, val) = param.split_once('=').unwrap_or((param, ""));
        let val = val.trim().trim_matches('"');
        if !name.trim().eq_ignore_ascii_case("charset")
            || !(val.eq_ignore_ascii_case("utf-8") || val.eq_ignore_ascii_case("utf8"))
        {
            return Err(invalid("only the UTF-8 charset is accepted"));
        }
    }
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(Format::Form)
    } else if essence.eq_ignore_ascii_case("application/json") {
        Ok(Format::Json)
    } else {
        Err(invalid(
            "send the parameters as application/x-www-form-urlencoded or application/json",
        ))
    }
}

impl<'a> Params<'a> {
    /// Parses `body` as the `Content-Type` in `headers` says. A repeated parameter (other
    /// than `audience` and `resource`) is refused (RFC 6749 §3.2); unknown parameters are
    /// ignored.
    pub(crate) fn parse(headers: &HeaderMap, body: &'a [u8]) -> Result<Params<'a>, Error> {
        let pairs = match format(headers)? {
            // Decoded as WHATWG URL does: a byte sequence that is not UTF-8 becomes U+FFFD,
            // which no token, type or scope value contains. Values without escapes borrow
            // from the body.
            Format::Form => form_urlencoded::parse(body).collect(),
            Format::Json => json_pairs(body)?,
        };
        let mut params = Params::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue; // RFC 6749 §3.2: sent without a value means omitted.
            }
            let slot = match &*name {
                "audience" => {
                    params.audience.push(value);
                    continue;
                }
                "resource" => {
                    params.resource.push(value);
                    continue;
                }
                "grant_type" => &mut params.grant_type,
                "subject_token" => &mut params.subject_token,
                "subject_token_type" => &mut params.subject_token_type,
                "actor_token" => &mut params.actor_token,
                "actor_token_type" => &mut params.actor_token_type,
                "requested_token_type" => &mut params.requested_token_type,
                "scope" => &mut params.scope,
                _ => continue, // RFC 6749 §3.2: unknown parameters are ignored.
            };
            if slot.replace(value).is_some() {
                return Err(invalid("a parameter is repeated"));
            }
        }
        Ok(params)
    }
}

/// A parameter's name and value.
type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The members of a JSON object body: strings, or arrays of strings for `audience` and
/// `resource`; `null` counts as omitted. Duplicate members are refused.
fn json_pairs(body: &[u8]) -> Result<Vec<Pair<'static>>, Error> {
    let object = crate::jwt::parse_object(body).ok_or(invalid(
        "the JSON body is not a duplicate-free object of strings",
    ))?;
    let mut pairs = Vec::with_capacity(object.len());
    for (name, value) in object {
        let repeatable = matches!(name.as_str(), "audience" | "resource");
        match value {
            Value::String(s) => pairs.push((name.into(), s.into())),
            Value::Null => {}
            Value::Array(items) if repeatable => {
                for item in items {
                    match item {
                        Value::String(s) => pairs.push((name.clone().into(), s.into())),
                        _ => return Err(invalid("audience and resource values must be strings")),
                    }
                }
            }
            _ if is_known(&name) => return Err(invalid("parameter values must be strings")),
            _ => {} // unknown members are ignored, whatever their type
        }
    }
    Ok(pairs)
}

fn is_known(name: &str) -> bool {
    matches!(
        name,
        "grant_type"
            | "subject_token"
            | "subject_token_type"
            | "actor_token"
            | "actor_token_type"
            | "requested_token_type"
            | "scope"
            | "audience"
            | "resource"
    )
}

/// Whether `value` names a subject token type we exchange. Tambo's SDK always sends the
/// access-token type, ID tokens included; the type never changes how a token is verified.
pub(crate) fn subject_type_supported(value: &str) -> bool {
    matches!(
        value,
        TOKEN_TYPE_ACCESS_TOKEN | TOKEN_TYPE_ID_TOKEN | TOKEN_TYPE_JWT
    )
}

/// Whether `value` names a token type we can issue (ours is a JWT access token).
pub(crate) fn requested_type_supported(value: &str) -> bool {
    matches!(value, TOKEN_TYPE_ACCESS_TOKEN | TOKEN_TYPE_JWT)
}

/// Splits a `scope` value into its tokens (RFC 6749 §3.3), dropping repeats; `None` when a
/// token holds a character outside NQCHAR.
pub(crate) fn scope_tokens(scope: &str) -> Option<Vec<&str>> {
    let mut out: Vec<&str> = Vec::new();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        {
            return None;
        }
        if !out.contains(&token) {
            out.push(token);
        }
    }
    Some(out)
}

/// Whether `value` is an absolute URI without a fragment (RFC 8707 §2).
pub(crate) fn valid_resource(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| u.fragment().is_none() && !value.contains('#'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("ascii"),
        );
        h
    }

    fn form(body: &str) -> Result<Params<'_>, Error> {
        Params::parse(
            &headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
    }

    #[test]
    fn content_types_are_compared_as_media_types() {
        for ok in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            "application/x-www-form-urlencoded;charset=\"utf-8\"",
            "application/x-www-form-urlencoded;",
        ] {
            assert!(Params::parse(&headers(ok), b"").is_ok(), "{ok}");
        }
        assert!(Params::parse(&headers("application/json; charset=utf-8"), b"{}").is_ok());
        for bad in [
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded; charset=latin1",
            "application/jsonx",
        ] {
            let err = Params::parse(&headers(bad), b"").err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(crate::ErrorKind::InvalidRequest),
                "{bad}"
            );
        }
        assert!(Params::parse(&HeaderMap::new(), b"").is_err());
    }

    #[test]
    fn repeated_parameters_are_refused_but_audience_and_resource_may_repeat() {
        assert!(form("subject_token=a&subject_token=b").is_err());
        assert!(form("scope=a&scope=b").is_err());
        let p = form("audience=a&audience=b&resource=https%3A%2F%2Fx.example").expect("ok");
        assert_eq!(p.audience, ["a", "b"]);
        assert_eq!(p.resource, ["https://x.example"]);
    }

    #[test]
    fn empty_values_count_as_omitted_and_unknown_parameters_are_ignored() {
        let p = form("grant_type=&grant_type=x&foo=1&foo=2&scope=a+b").expect("ok");
        assert_eq!(p.grant_type.as_deref(), Some("x"));
        assert_eq!(p.scope.as_deref(), Some("a b"));
    }

    #[test]
    fn json_bodies_are_objects_of_strings_without_duplicates() {
        fn json(body: &str) -> Result<Params<'_>, Error> {
            Params::parse(&headers("application/json"), body.as_bytes())
        }
        let p = json(r#"{"grant_type":"g","audience":["a","b"],"extra":{"x":1},"scope":null}"#)
            .expect("ok");
        assert_eq!(p.grant_type.as_deref(), Some("g"));
        assert_eq!(p.audience, ["a", "b"]);
        assert!(p.scope.is_none());
        assert!(json(r#"{"grant_type":"g","grant_type":"h"}"#).is_err());
        assert!(json(r#"{"grant_type":1}"#).is_err());
        assert!(json(r#"{"scope":["a"]}"#).is_err());
        assert!(json(r#"["grant_type"]"#).is_err());
        assert!(json("grant_type=g").is_err());
    }

    #[test]
    fn scopes_split_on_spaces_and_refuse_quotes_and_backslashes() {
        assert_eq!(scope_tokens("a  b a"), Some(vec!["a", "b"]));
        assert_eq!(scope_tokens("a \"b\""), None);
        assert_eq!(scope_tokens("a\\b"), None);
        assert_eq!(scope_tokens("a\tb"), None);
    }

    #[test]
    fn resources_are_absolute_uris_without_fragments() {
        assert!(valid_resource("https://api.example/v1"));
        assert!(valid_resource("urn:example:api"));
        assert!(!valid_resource("https://api.example#x"));
        assert!(!valid_resource("https://api.example#"));
        assert!(!valid_resource("/relative"));
        assert!(!valid_resource("api"));
    }

    #[test]
    fn debug_never_shows_tokens() {
        let p = form("subject_token=s3cr3t&actor_token=act0r").expect("ok");
        let text = format!("{p:?}");
        assert!(!text.contains("s3cr3t") && !text.contains("act0r"));
    }
}
