//! [`SecretKey`]: how the secrets of API-managed projects (a shared HMAC secret, an
//! introspection client secret) are kept at rest: AES-256-GCM (aws-lc-rs) under the key in
//! `TAMBO_AUTH_SECRET_KEY`, a random 96-bit nonce per encryption, and the project id as
//! associated data, so a ciphertext copied to another project does not decrypt.
//!
//! A stored value is `<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`; the key id (the first 8
//! bytes of the SHA-256 of the key, in hex) says which key sealed it, so that during a rotation
//! values under `TAMBO_AUTH_SECRET_KEY_PREVIOUS` still open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};

use crate::config::{AdminSettings, ConfigError, PREVIOUS_SECRET_KEY_VAR, SECRET_KEY_VAR};

/// The keys that seal and open stored secrets. `Debug` shows the key ids only.
pub struct SecretKey {
    current: Key,
    previous: Option<Key>,
}

struct Key {
    id: String,
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("current", &self.current.id)
            .field("previous", &self.previous.as_ref().map(|k| &k.id))
            .finish()
    }
}

impl Key {
    fn parse(text: &str, var: &str) -> Result<Key, ConfigError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
        };
        let bytes = bytes.filter(|b| b.len() == 32).ok_or_else(|| ConfigError {
            field: var.into(),
            reason: "must be 32 random bytes, base64 or hex: generate one with `openssl rand -base64 32`".into(),
        })?;
        let digest = Sha256::digest(&bytes);
        let id = hex::encode(&digest[..8]);
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| ConfigError {
            field: var.into(),
            reason: "not an AES-256 key".into(),
        })?;
        Ok(Key {
            id,
            key: LessSafeKey::new(key),
        })
    }
}

impl SecretKey {
    /// The keys of `settings`; `None` when `TAMBO_AUTH_SECRET_KEY` is unset (secrets cannot be
    /// stored then).
    ///
    /// # Errors
    ///
    /// A key that is not 32 bytes of base64 or hex, or a previous key without a current one,
    /// naming the variable.
    pub fn from_settings(settings: &AdminSettings) -> Result<Option<SecretKey>, ConfigError> {
        let previous = settings
            .previous_secret_key
            .as_ref()
            .map(|k| Key::parse(k.expose(), PREVIOUS_SECRET_KEY_VAR))
            .transpose()?;
        let Some(current) = &settings.secret_key else {
            return match previous {
                Some(_) => Err(ConfigError {
                    field: PREVIOUS_SECRET_KEY_VAR.into(),
                    reason: format!("set only during a rotation, beside {SECRET_KEY_VAR}"),
                }),
                None => Ok(None),
            };
        };
        Ok(Some(SecretKey {
            current: Key::parse(current.expose(), SECRET_KEY_VAR)?,
            previous,
        }))
    }

    /// The id of the key new secrets are sealed with.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for `project`.
    ///
    /// # Panics
    ///
    /// When the system has no randomness to draw a nonce from.
    pub fn seal(&self, project: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the system's random number generator");
        let mut in_out = plaintext.as_bytes().to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(project.as_bytes()),
                &mut in_out,
            )
            .expect("AES-GCM seals any input under 64 GiB");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&in_out);
        format!("{}:{}", self.current.id, STANDARD.encode(sealed))
    }

    /// Opens a value [`seal`](Self::seal) made for `project`, under the current or the
    /// previous key; `Err` names what is wrong, never the value.
    pub fn open(&self, project: &str, sealed: &str) -> Result<String, String> {
        let (id, body) = sealed
            .split_once(':')
            .ok_or("the stored secret is not in the sealed form")?;
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == id)
            .ok_or_else(|| {
                format!("the stored secret was sealed with key {id}, which is neither {SECRET_KEY_VAR} nor {PREVIOUS_SECRET_KEY_VAR}")
            })?;
        let bytes = STANDARD
            .decode(body)
            .map_err(|_| "the stored secret is not base64")?;
        if bytes.len() < NONCE_LEN {
            return Err("the stored secret is truncated".into());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce")?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = key
            .key
            .open_in_place(nonce, Aad::from(project.as_bytes()), &mut in_out)
            .map_err(
                |_| "the stored secret does not open: altered, or sealed for another project",
            )?;
        String::from_utf8(plaintext.to_vec()).map_err(|_| "the stored secret is not text".into())
    }

    /// Whether `sealed` was sealed with the current key.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .split_once(':')
            .is_some_and(|(id, _)| id == self.current.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Sensitive;

    const KEY: &str = "3q2+7wECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=";
    const OTHER: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn keys(current: &str, previous: Option<&str>) -> SecretKey {
        SecretKey::from_settings(&AdminSettings {
            secret_key: Some(Sensitive::from(current)),
            previous_secret_key: previous.map(Sensitive::from),
            ..AdminSettings::default()
        })
        .expect("keys")
        .expect("configured")
    }

    #[test]
    fn a_sealed_secret_opens_for_its_project_only_and_never_shows_in_the_clear() {
        let key = keys(KEY, None);
        let sealed = key.seal("p_one", "hmac-secret-0123456789abcdefghijkl");
        assert!(!sealed.contains("hmac-secret"));
        assert_eq!(
            key.open("p_one", &sealed).as_deref(),
            Ok("hmac-secret-0123456789abcdefghijkl")
        );
        assert!(
            key.open("p_two", &sealed).is_err(),
            "copied to another project"
        );
        // Two seals of one secret differ (a fresh nonce each time).
        assert_ne!(
            sealed,
            key.seal("p_one", "hmac-secret-0123456789abcdefghijkl")
        );
        // A flipped bit is refused.
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert!(key.open("p_one", &tampered).is_err());
        assert!(!format!("{key:?}").contains(KEY));
    }

    #[test]
    fn during_a_rotation_the_previous_key_still_opens() {
        let old = keys(OTHER, None);
        let sealed = old.seal("p", "s3cret");
        let rotated = keys(KEY, Some(OTHER));
        assert_eq!(rotated.open("p", &sealed).as_deref(), Ok("s3cret"));
        assert!(!rotated.is_current(&sealed));
        assert!(rotated.is_current(&rotated.seal("p", "s3cret")));
        let error = keys(KEY, None).open("p", &sealed).expect_err("unknown key");
        assert!(error.contains(old.current_id()), "{error}");
    }

    #[test]
    fn keys_must_be_32_bytes_and_a_previous_key_needs_a_current_one() {
        for bad in ["", "short", "c2hvcnQ=", &OTHER[..62]] {
            let settings = AdminSettings {
                secret_key: Some(Sensitive::from(bad)),
                ..AdminSettings::default()
            };
            let error = SecretKey::from_settings(&settings).expect_err(bad);
            assert_eq!(error.field, SECRET_KEY_VAR);
        }
        let settings = AdminSettings {
            previous_secret_key: Some(Sensitive::from(KEY)),
            ..AdminSettings::default()
        };
        let error = SecretKey::from_settings(&settings).expect_err("previous alone");
        assert_eq!(error.field, PREVIOUS_SECRET_KEY_VAR);
        assert!(
            SecretKey::from_settings(&AdminSettings::default())
                .expect("none")
                .is_none()
        );
    }
}
