//! `tambo-auth token inspect`: decodes a token without trusting it and explains what it is,
//! which provider it looks like, and what verification would refuse. Never prints the token.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tambo_auth::jwt::{Claims, ClaimsPolicy, Jws, MAX_TOKEN_BYTES, TokenForm, classify};

/// The explanation, as lines of text.
pub fn explain(token: &str, now: SystemTime) -> String {
    let mut out = String::new();
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let _ = writeln!(out, "length: {} bytes", token.len());
    if token.len() > MAX_TOKEN_BYTES {
        let _ = writeln!(
            out,
            "form: too large (over {MAX_TOKEN_BYTES} bytes); every verifier refuses it before decoding"
        );
        return out;
    }
    match classify(token) {
        TokenForm::Jws => explain_jws(token, now_secs, &mut out),
        TokenForm::Jwe => explain_jwe(token, &mut out),
        TokenForm::Opaque => explain_opaque(token, &mut out),
        TokenForm::JsonSerialization => {
            let _ = writeln!(
                out,
                "form: JWS/JWE in JSON serialization; only compact tokens (three dot-separated segments) are accepted"
            );
        }
        TokenForm::Malformed => {
            let _ = writeln!(
                out,
                "form: malformed; a signed JWT is three base64url segments (A-Z a-z 0-9 - _) separated by dots, with no spaces, padding or quotes"
            );
        }
    }
    out
}

fn explain_jws(token: &str, now: f64, out: &mut String) {
    let _ = writeln!(out, "form: JWS (signed JWT, compact serialization)");
    let jws = match Jws::parse(token) {
        Ok(jws) => jws,
        Err(e) => {
            let _ = writeln!(out, "would fail: {} ({e})", e.kind().code());
            return;
        }
    };
    let header = jws.header();
    let _ = writeln!(out, "header:");
    for (name, value) in header.members() {
        let _ = writeln!(out, "  {name}: {}", short(value));
    }
    let mut problems = Vec::new();
    match header.alg() {
        Err(e) => problems.push(format!("{}: {e}", e.kind().code())),
        Ok(alg) if alg.is_symmetric() => problems.push(format!(
            "{alg} is an HMAC algorithm: only a project with strategy = \"symmetric\" and the same secret accepts it"
        )),
        Ok(_) => {}
    }
    for member in ["jku", "x5u", "jwk", "x5c"] {
        if header.get(member).is_some() {
            let _ = writeln!(
                out,
                "note: the header's `{member}` is never used to find a key"
            );
        }
    }
    let claims = match jws.claims() {
        Ok(claims) => claims,
        Err(e) => {
            problems.push(format!("{}: {e}", e.kind().code()));
            report(out, &problems);
            return;
        }
    };
    let _ = writeln!(out, "claims:");
    for (name, value) in claims.as_map() {
        let when = match (name.as_str(), value.as_f64()) {
            ("exp" | "iat" | "nbf" | "auth_time", Some(t)) => {
                format!(" ({})", describe_time(t, now))
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "  {name}: {}{when}", short(value));
    }
    if let Some(provider) = guess_provider(claims) {
        let _ = writeln!(out, "looks like: {provider}");
    }
    if claims.get("nonce").is_some() {
        let _ = writeln!(
            out,
            "note: a `nonce` claim marks an OpenID Connect ID token"
        );
    }
    // The claim rules every strategy applies, with the token's own issuer (issuer and
    // audience are checked against configuration by `token verify`).
    if let Some(iss) = claims.iss() {
        if let Err(e) = ClaimsPolicy::new([iss]).validate(claims, now) {
            problems.push(format!("{}: {e}", e.kind().code()));
        }
    } else {
        problems.push("missing_claim: the `iss` claim is missing or not a string".into());
    }
    let _ = writeln!(
        out,
        "signature: not checked (inspect trusts nothing; use `tambo-auth token verify`)"
    );
    report(out, &problems);
}

fn report(out: &mut String, problems: &[String]) {
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "would fail: nothing found without the configuration; `token verify` checks issuer, audience and signature"
        );
    } else {
        for p in problems {
            let _ = writeln!(out, "would fail: {p}");
        }
    }
}

fn explain_jwe(token: &str, out: &mut String) {
    let _ = writeln!(
        out,
        "form: JWE (encrypted token, five segments); never accepted: its claims cannot be read or verified here"
    );
    let header = token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    if let Some(header) = header {
        let _ = writeln!(
            out,
            "header: alg {} enc {}",
            short(&header["alg"]),
            short(&header["enc"])
        );
        if header["alg"] == "dir" && header["enc"] == "A256CBC-HS512" {
            let _ = writeln!(
                out,
                "looks like: an Auth.js (NextAuth) session cookie; send the provider's ID token instead"
            );
        } else if header["alg"] == "dir" {
            let _ = writeln!(
                out,
                "looks like: an Auth0 access token requested without an `audience`; request one with your API identifier as audience to get a signed JWT"
            );
        }
    }
}

fn explain_opaque(token: &str, out: &mut String) {
    let _ = writeln!(
        out,
        "form: opaque (not a JWT); no claims to read; accepted only where the strategy asks the identity provider (userinfo, introspection, the github preset)"
    );
    let hint = if token.starts_with("gho_") || token.starts_with("ghu_") {
        Some(
            "a GitHub user access token (gho_: OAuth app, ghu_: GitHub App); the github preset accepts it by asking GitHub's user API",
        )
    } else if token.starts_with("ghs_") {
        Some(
            "a GitHub App installation token, which acts as the app, not a user; refused: send the user's gho_ or ghu_ token",
        )
    } else if token.starts_with("ghr_") {
        Some("a GitHub refresh token; refused: send the access token it refreshes")
    } else if token.starts_with("ghp_") || token.starts_with("github_pat_") {
        Some(
            "a GitHub personal access token; refused by the github preset unless allow_personal_access_tokens = true",
        )
    } else if token.starts_with("ya29.") {
        Some(
            "a Google OAuth access token; send the Google ID token (Auth.js: account.id_token) instead",
        )
    } else if token.starts_with("sb_publishable_") || token.starts_with("sb_secret_") {
        Some("a Supabase API key, not a user token; send session.access_token")
    } else if token.starts_with("AMf-vB") {
        Some(
            "a Firebase refresh token (user.refreshToken); send the ID token (user.getIdToken()) instead",
        )
    } else if token.starts_with("tambo_") {
        Some("a Tambo API key; send it as x-api-key, and the user's token as subject_token")
    } else if token.len() == 32 && token.chars().all(|c| c.is_ascii_alphanumeric()) {
        Some(
            "a session id, such as Better Auth's session token; send the JWT from its /api/auth/token endpoint",
        )
    } else {
        None
    };
    if let Some(hint) = hint {
        let _ = writeln!(out, "looks like: {hint}");
    }
}

/// How an issuer's host is recognised.
enum Host {
    /// Exactly this host.
    Is(&'static str),
    /// A host starting so.
    StartsWith(&'static str),
    /// A host ending so.
    EndsWith(&'static str),
    /// A host with this anywhere in it.
    Contains(&'static str),
}

impl Host {
    fn matches(&self, host: &str) -> bool {
        match *self {
            Host::Is(name) => host == name,
            Host::StartsWith(start) => host.starts_with(start),
            Host::EndsWith(end) => host.ends_with(end),
            Host::Contains(part) => host.contains(part),
        }
    }
}

/// The identity providers told by the issuer's host, the first match winning.
const KNOWN_HOSTS: &[(&[Host], &str)] = &[
    (&[Host::EndsWith(".auth0.com")], "Auth0"),
    (
        &[
            Host::StartsWith("clerk."),
            Host::EndsWith(".clerk.accounts.dev"),
        ],
        "Clerk",
    ),
    (&[Host::EndsWith(".supabase.co")], "Supabase"),
    (
        &[Host::Is("api.workos.com"), Host::EndsWith(".authkit.app")],
        "WorkOS",
    ),
    (&[Host::Is("accounts.google.com")], "Google (ID token)"),
    (
        &[
            Host::Contains("stack-auth"),
            Host::Contains("neonauth"),
            Host::EndsWith(".neon.tech"),
        ],
        "Neon Auth / Stack Auth",
    ),
    (
        &[Host::Is("sts.windows.net")],
        "Microsoft Entra ID, a v1.0 token (refused by the entra preset: set accessTokenAcceptedVersion: 2 in the app manifest, or send the ID token); with `aud` 00000003-0000-0000-c000-000000000000, a Microsoft Graph token only Graph can verify",
    ),
    (
        &[Host::EndsWith(".microsoftonline.com")],
        "Microsoft Entra ID (v2.0; the entra preset checks `tid` and the application id in `aud`)",
    ),
    (
        &[
            Host::EndsWith(".okta.com"),
            Host::EndsWith(".oktapreview.com"),
            Host::EndsWith(".okta-emea.com"),
        ],
        "Okta",
    ),
    (
        &[Host::Is("secure.login.gov")],
        "Login.gov (production; the login-gov preset verifies its ID tokens, not its opaque access tokens)",
    ),
    (
        &[Host::Is("idp.int.identitysandbox.gov")],
        "Login.gov (sandbox; the login-gov preset with environment = \"sandbox\")",
    ),
    (
        &[Host::Is("securetoken.google.com")],
        "Firebase Authentication, an ID token (the firebase preset, project_id = the last segment of `iss`)",
    ),
    (
        &[Host::Is("session.firebase.google.com")],
        "a Firebase session cookie (Admin SDK createSessionCookie), for your own server's verifySessionCookie; refused by the firebase preset: send the ID token (user.getIdToken())",
    ),
];

fn guess_provider(claims: &Claims) -> Option<&'static str> {
    // A custom token's `iss` is the signing service account, any email: its `aud` tells.
    if claims.aud().ok().flatten().is_some_and(|aud| {
        aud.contains(
            "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit",
        )
    }) {
        return Some(
            "a Firebase custom token (Admin SDK createCustomToken), which only Firebase Auth accepts; sign in with it (signInWithCustomToken) and send the ID token (user.getIdToken())",
        );
    }
    let iss = claims.iss()?;
    let url = url::Url::parse(iss).ok();
    let host = url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| iss.to_owned());
    // Keycloak runs on any host; its realms' issuers are `…/realms/<realm>`.
    let keycloak_realm = url.is_some_and(|u| u.path().contains("/realms/"));
    if let Some((_, name)) = KNOWN_HOSTS
        .iter()
        .find(|(patterns, _)| patterns.iter().any(|p| p.matches(&host)))
    {
        return Some(name);
    }
    if !keycloak_realm {
        return None;
    }
    Some(match claims.get_str("typ") {
        Some("Refresh" | "Offline") => {
            "Keycloak, a refresh token (refused by the keycloak preset: send the access token or the ID token)"
        }
        _ => "Keycloak (a realm's issuer, `…/realms/<realm>`)",
    })
}

fn describe_time(t: f64, now: f64) -> String {
    let when = UNIX_EPOCH + Duration::from_secs_f64(t.max(0.0));
    let stamp = humantime::format_rfc3339_seconds(when);
    let delta = t - now;
    let rel = humantime::format_duration(Duration::from_secs(delta.abs() as u64));
    if delta >= 0.0 {
        format!("{stamp}, in {rel}")
    } else {
        format!("{stamp}, {rel} ago")
    }
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if cleaned.chars().count() > 120 {
        format!("{}…", cleaned.chars().take(120).collect::<String>())
    } else {
        cleaned
    }
}

/// A next step for the common refusals of a subject token (`token verify`, the settings
/// page's "try a token").
pub fn hint(e: &tambo_auth::Error) -> Option<&'static str> {
    use tambo_auth::ErrorKind as K;
    Some(match e.kind() {
        K::IssuerMismatch | K::UnknownIssuer => {
            "the token's `iss` must equal the configured issuer byte for byte (trailing slash included); run `tambo-auth token inspect` to see it"
        }
        K::AudienceMismatch => "the token's `aud` must contain one of the configured audiences",
        K::Expired => "get a fresh token from the provider; subject tokens are short-lived",
        K::UnknownKey | K::InvalidSignature => {
            "the token was not signed by a key of the configured issuer, or the key was rotated away"
        }
        K::AlgorithmNotAllowed => {
            "the token's alg is not allowed for this strategy (HS* needs strategy = \"symmetric\")"
        }
        K::KeysUnavailable => {
            "the identity provider's discovery or JWKS endpoint could not be read; check the issuer URL and network"
        }
        K::Opaque | K::Encrypted => {
            "send the provider's signed JWT (access or ID token), not an opaque or encrypted token"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn explains_an_expired_auth0_token_without_echoing_it() {
        let token = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#),
            b64(r#"{"iss":"https://t.auth0.com/","sub":"auth0|1","exp":1000,"iat":900}"#),
            b64("signature-bytes")
        );
        let text = explain(&token, UNIX_EPOCH + Duration::from_secs(2000));
        assert!(text.contains("looks like: Auth0"), "{text}");
        assert!(text.contains("would fail: expired"), "{text}");
        assert!(!text.contains(&token[..30]));
    }

    #[test]
    fn recognises_keycloak_realm_issuers_and_refresh_tokens() {
        let token = |alg: &str, typ: &str| {
            format!(
                "{}.{}.{}",
                b64(&format!(r#"{{"alg":"{alg}","kid":"k","typ":"JWT"}}"#)),
                b64(&format!(
                    r#"{{"iss":"https://sso.acme.com/realms/acme","sub":"s","typ":"{typ}","exp":9999999999}}"#
                )),
                b64("signature-bytes")
            )
        };
        let text = explain(&token("RS256", "Bearer"), SystemTime::now());
        assert!(text.contains("looks like: Keycloak (a realm"), "{text}");
        let text = explain(&token("HS512", "Refresh"), SystemTime::now());
        assert!(
            text.contains("looks like: Keycloak, a refresh token"),
            "{text}"
        );
    }

    #[test]
    fn recognises_login_gov_production_and_sandbox_issuers() {
        let token = |iss: &str| {
            format!(
                "{}.{}.{}",
                b64(r#"{"alg":"RS256","kid":"k"}"#),
                b64(&format!(
                    r#"{{"iss":"{iss}","sub":"b2d2d115-1d7e-4579-b9d6-f8e84f4f56ca","exp":9999999999}}"#
                )),
                b64("signature-bytes")
            )
        };
        let text = explain(&token("https://secure.login.gov/"), SystemTime::now());
        assert!(text.contains("looks like: Login.gov (production"), "{text}");
        let text = explain(
            &token("https://idp.int.identitysandbox.gov/"),
            SystemTime::now(),
        );
        assert!(text.contains("looks like: Login.gov (sandbox"), "{text}");
    }

    #[test]
    fn recognises_firebase_id_tokens_session_cookies_custom_and_refresh_tokens() {
        let token = |iss: &str, aud: &str| {
            format!(
                "{}.{}.{}",
                b64(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#),
                b64(&format!(
                    r#"{{"iss":"{iss}","aud":"{aud}","sub":"kZ3mN8pQ2vR5tW9yB1cD4fG7hJ0l","exp":9999999999}}"#
                )),
                b64("signature-bytes")
            )
        };
        let text = explain(
            &token(
                "https://securetoken.google.com/acme-threads",
                "acme-threads",
            ),
            SystemTime::now(),
        );
        assert!(
            text.contains("looks like: Firebase Authentication, an ID token"),
            "{text}"
        );
        let text = explain(
            &token(
                "https://session.firebase.google.com/acme-threads",
                "acme-threads",
            ),
            SystemTime::now(),
        );
        assert!(
            text.contains("looks like: a Firebase session cookie"),
            "{text}"
        );
        assert!(
            text.contains("send the ID token (user.getIdToken())"),
            "{text}"
        );
        let text = explain(
            &token(
                "firebase-adminsdk-fbsvc@acme-threads.iam.gserviceaccount.com",
                "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit",
            ),
            SystemTime::now(),
        );
        assert!(
            text.contains("looks like: a Firebase custom token"),
            "{text}"
        );
        assert!(text.contains("signInWithCustomToken"), "{text}");
        let text = explain(
            "AMf-vBzQ4kJ8xT2mR6pL0wN3yC7vB5nH1dF9gK4sA2eZ",
            SystemTime::now(),
        );
        assert!(
            text.contains("looks like: a Firebase refresh token"),
            "{text}"
        );
        assert!(!text.contains("AMf-vBzQ4kJ8"), "{text}");
    }

    #[test]
    fn recognises_entra_v2_and_v1_tokens() {
        let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let token = |iss: String| {
            format!(
                "{}.{}.{}",
                b64(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#),
                b64(&format!(
                    r#"{{"iss":"{iss}","sub":"s","tid":"{tid}","exp":9999999999}}"#
                )),
                b64("signature-bytes")
            )
        };
        let v2 = token(format!("https://login.microsoftonline.com/{tid}/v2.0"));
        let text = explain(&v2, SystemTime::now());
        assert!(
            text.contains("looks like: Microsoft Entra ID (v2.0"),
            "{text}"
        );
        let v1 = token(format!("https://sts.windows.net/{tid}/"));
        let text = explain(&v1, SystemTime::now());
        assert!(
            text.contains("a v1.0 token") && text.contains("accessTokenAcceptedVersion: 2"),
            "{text}"
        );
    }

    #[test]
    fn explains_opaque_and_encrypted_inputs() {
        let text = explain("ya29.a0AfH6SMBx", SystemTime::now());
        assert!(text.contains("Google ID token"), "{text}");
        for (token, names) in [
            (
                "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                "github preset accepts it",
            ),
            (
                "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
                "github preset accepts it",
            ),
            (
                "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
                "installation token",
            ),
            ("ghr_16C7e42F292c6912E7710c838347Ae178B4a", "refresh token"),
            (
                "github_pat_11ABCDEFG0123456789_abcdef",
                "personal access token",
            ),
        ] {
            let text = explain(token, SystemTime::now());
            assert!(text.contains(names), "{text}");
            assert!(!text.contains(token), "the token is echoed: {text}");
        }
        let jwe = format!("{}.a.b.c.d", b64(r#"{"alg":"dir","enc":"A256GCM"}"#));
        let text = explain(&jwe, SystemTime::now());
        assert!(text.contains("JWE") && text.contains("audience"), "{text}");
    }

    #[test]
    fn alg_none_is_named() {
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"none"}"#),
            b64(r#"{"iss":"x","sub":"a","exp":9999999999}"#)
        );
        let text = explain(&token, SystemTime::now());
        assert!(
            text.contains("would fail: malformed") || text.contains("alg_none"),
            "{text}"
        );
    }
}
