//! Shared secrets for the symmetric strategy, with their encoding stated, never guessed.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use crate::Error;

/// Placeholders from tutorials and `.env.example` files; a secret containing one was never
/// generated (RFC 8725 §3.5: human-memorable passwords are not HMAC keys).
const PLACEHOLDERS: [&str; 12] = [
    "your-256-bit-secret",
    "your-secret",
    "your_secret",
    "yoursecret",
    "changeme",
    "change-me",
    "change_me",
    "replace-me",
    "replaceme",
    "password",
    "secretkey",
    "supersecret",
];

/// An HMAC secret. `Debug` never shows it.
///
/// ```
/// use tambo_auth::verify::Secret;
///
/// assert!(Secret::from_utf8("correct horse battery staple, 32+ bytes long!").check().is_ok());
/// assert!(Secret::from_utf8("secret").check().is_err());
/// assert!(Secret::from_utf8("changeme-changeme-changeme-changeme").check().is_err());
/// ```
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.0.len())
    }
}

impl Secret {
    /// The UTF-8 bytes of `text`, as Tambo and most providers (Supabase's legacy JWT
    /// secret) use them.
    pub fn from_utf8(text: impl Into<String>) -> Secret {
        Secret(text.into().into_bytes())
    }

    /// Raw bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    /// Base64 text (standard or URL-safe alphabet, padded or not) decoded to bytes.
    pub fn from_base64(text: &str) -> Result<Secret, Error> {
        let text = text.trim();
        [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .map(Secret)
            .ok_or_else(|| Error::config("secret", "not valid base64"))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Refuses secrets under 32 bytes, with fewer than 8 distinct bytes, or containing a
    /// well-known placeholder.
    pub fn check(&self) -> Result<(), Error> {
        if self.0.len() < 32 {
            return Err(Error::config(
                "secret",
                format!(
                    "an HMAC secret needs at least 32 bytes (HS256), this one has {}; generate one with `openssl rand -base64 48`",
                    self.0.len()
                ),
            ));
        }
        let mut seen = [false; 256];
        for b in &self.0 {
            seen[usize::from(*b)] = true;
        }
        if seen.iter().filter(|s| **s).count() < 8 {
            return Err(Error::config(
                "secret",
                "the secret is too repetitive to be random",
            ));
        }
        let lower = String::from_utf8_lossy(&self.0).to_ascii_lowercase();
        if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
            return Err(Error::config(
                "secret",
                "the secret contains a well-known placeholder; generate a random one",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_are_refused_by_name_length_and_entropy() {
        for weak in [
            "secret",
            "your-256-bit-secret",
            "a".repeat(31).as_str(),
            "abababababababababababababababababab",
            "my-password-is-long-enough-to-pass-32",
        ] {
            assert!(Secret::from_utf8(weak).check().is_err(), "{weak}");
        }
        assert!(
            Secret::from_bytes((0u8..32).collect::<Vec<_>>())
                .check()
                .is_ok()
        );
    }

    #[test]
    fn base64_secrets_decode_in_any_alphabet() {
        let s = Secret::from_base64("-_-_AAAA").unwrap();
        assert_eq!(s.expose(), &[0xfb, 0xff, 0xbf, 0, 0, 0]);
        assert!(Secret::from_base64("not base64 !").is_err());
        assert!(!format!("{s:?}").contains("251"));
    }
}
