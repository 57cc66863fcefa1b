//! Every committed seed and regression input of the fuzz targets in `fuzz/`, replayed through
//! the targets' own harness (`fuzz/src/lib.rs`, included here) on stable and uninstrumented:
//! what a fuzzer once found stays fixed, and the harness keeps compiling. The `discovery`
//! corpus is replayed by tambo-auth's unit tests, its parser being crate-private.
//!
//! `TAMBO_AUTH_WRITE_FUZZ_SEEDS=1 cargo test -p tambo-auth-server --test fuzz_corpora` rewrites
//! the generated seeds (`fuzz/corpus/<target>/seed-*`) from the testkit's templates.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
pub mod harness;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs `harness` on every file of `corpus/<target>` and `regressions/<target>`.
fn replay(target: &str, harness: fn(&[u8])) {
    let mut replayed = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable directory").path();
            let data = std::fs::read(&path).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "{} fails its harness", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no seed for the {target} target");
}

#[test]
fn the_token_corpus_replays_cleanly() {
    replay("token", harness::token);
}

#[test]
fn the_jwk_corpus_replays_cleanly() {
    replay("jwk", harness::jwk);
}

#[test]
fn the_exchange_corpus_replays_cleanly() {
    replay("exchange", harness::exchange);
}

#[test]
fn the_config_corpus_replays_cleanly() {
    replay("config", harness::config);
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    let path = fuzz_dir()
        .join("corpus")
        .join(target)
        .join(format!("seed-{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The seeds that must get past signature checks to a verified token, and to an issued one:
/// seeds that stop at the first refusal would leave the fuzzer far from the code behind it.
const ACCEPTED_TOKENS: [&str; 4] = ["hs256", "hs256-scoped", "none-dev", "eddsa-rfc8037"];
const ACCEPTED_REQUESTS: [&str; 7] = [
    "form-hs256",
    "form-hs256-scope-resource",
    "form-hs256-audience-tambo",
    "form-dev-none",
    "form-supabase-none",
    "json-hs256",
    "json-null-and-array",
];

/// Checks that the token `seed` named `name` is accepted when [`ACCEPTED_TOKENS`] says so.
fn check_token_seed(name: &str, seed: &[u8]) {
    if ACCEPTED_TOKENS.contains(&name) {
        let token = std::str::from_utf8(seed).expect("a text token");
        assert_eq!(harness::accepted_by(token), 1, "token seed {name}");
    }
}

/// Checks that the exchange `seed` named `name` issues a token when [`ACCEPTED_REQUESTS`]
/// says so.
fn check_request_seed(name: &str, seed: &[u8]) {
    if ACCEPTED_REQUESTS.contains(&name) {
        let answer = harness::exchange_request(seed);
        assert!(answer.is_ok(), "exchange seed {name}: {answer:?}");
    }
}

#[test]
fn the_committed_seeds_reach_verification_and_issuance() {
    for name in ACCEPTED_TOKENS {
        check_token_seed(name, &seed("token", name));
    }
    for name in ACCEPTED_REQUESTS {
        check_request_seed(name, &seed("exchange", name));
    }
}

/// The seeds minted from the testkit (tokens, keys, requests); hand-written seeds (configuration
/// files, PEM forms, discovery documents) sit beside them and are left alone.
mod seeds {
    use serde_json::{Value, json};
    use tambo_auth_testkit::claims;
    use tambo_auth_testkit::jws::{self, JwsBuilder, b64url};
    use tambo_auth_testkit::keys::{TestKey, fixtures};

    use tambo_auth::Algorithm;
    use tambo_auth::token::SigningKey;

    use super::harness::{
        API_KEYS, AUDIENCE, DEV_ISSUER, ED_ISSUER, ED25519_SEED, ISSUER, NOW, SECRET,
    };

    /// A token signed with the RFC 8037 test key, which the harness's Ed25519 verifier holds.
    fn eddsa_rfc8037(claims: &Value) -> String {
        // PKCS#8 v1 for Ed25519 (RFC 8410 §7): a fixed prefix, then the 32-byte seed.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&ED25519_SEED);
        SigningKey::from_pkcs8_der(Algorithm::EdDSA, &der)
            .expect("the RFC 8037 key loads")
            .sign_claims("JWT", claims)
            .expect("it signs")
    }

    fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
        let dir = super::fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("the corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), data).expect("a written seed");
    }

    fn hs256(claims: &Value) -> String {
        jws::hmac_token(
            SECRET.as_bytes(),
            &json!({"alg": "HS256", "typ": "JWT"}),
            claims,
        )
    }

    fn unsigned(claims: &Value) -> String {
        JwsBuilder::new()
            .header(json!({"alg": "none"}))
            .payload(claims.clone())
            .unsigned()
    }

    fn tokens() -> Vec<(&'static str, String)> {
        let f = fixtures();
        let mut generic = claims::claims(ISSUER, "alice", NOW);
        generic["aud"] = json!(AUDIENCE);
        let mut scoped = generic.clone();
        scoped["scope"] = json!("read write admin");
        scoped["permissions"] = json!(["read"]);
        scoped["org_id"] = json!("org_123");
        let mut expired = generic.clone();
        expired["exp"] = json!(NOW - 600);
        let mut dev = claims::claims(DEV_ISSUER, "dev-user", NOW);
        dev["scope"] = json!("read");
        dev["hd"] = json!("acme.example");
        let mut ed = claims::claims(ED_ISSUER, "ed-user", NOW);
        ed["aud"] = json!([AUDIENCE, "other"]);
        let supabase_iss = "https://abcdefghijklmnopqrst.supabase.co/auth/v1";
        vec![
            ("hs256", hs256(&generic)),
            ("hs256-scoped", hs256(&scoped)),
            ("hs256-expired", hs256(&expired)),
            ("none-dev", unsigned(&dev)),
            (
                "none-supabase",
                unsigned(&claims::supabase_access_token(supabase_iss, "sb-user", NOW)),
            ),
            (
                "none-supabase-anonymous",
                unsigned(&claims::supabase_anonymous_token(supabase_iss, "anon", NOW)),
            ),
            ("eddsa", jws::token(&f.ed, &ed)),
            ("eddsa-rfc8037", eddsa_rfc8037(&ed)),
            (
                "auth0",
                jws::token_with_header(
                    &f.rsa,
                    &claims::auth0_header(&f.rsa),
                    &claims::auth0_access_token("https://acme.us.auth0.com/", "auth0|64f1", NOW),
                ),
            ),
            (
                "clerk",
                jws::token_with_header(
                    &f.rsa,
                    &claims::clerk_header(&f.rsa),
                    &claims::clerk_session_token("https://clerk.acme.example", "user_2abc", NOW),
                ),
            ),
            (
                "clerk-pending",
                jws::token(
                    &f.ec,
                    &claims::clerk_pending_session_token(
                        "https://clerk.acme.example",
                        "user_2abc",
                        NOW,
                    ),
                ),
            ),
            (
                "supabase",
                jws::token_with_header(
                    &f.ec,
                    &claims::supabase_header(&f.ec),
                    &claims::supabase_access_token(supabase_iss, "sb-user", NOW),
                ),
            ),
            (
                "supabase-legacy-anon-key",
                hs256(&claims::supabase_legacy_anon_key(NOW)),
            ),
            (
                "workos",
                jws::token_with_header(
                    &f.rsa,
                    &claims::workos_header(&f.rsa),
                    &claims::workos_access_token(
                        "https://api.workos.com/user_management/client_01HXYZ",
                        "user_01H",
                        NOW,
                    ),
                ),
            ),
            (
                "better-auth",
                jws::token_with_header(
                    &f.ed,
                    &claims::better_auth_header(&f.ed),
                    &claims::better_auth_jwt("https://app.acme.example", "ba-user", NOW),
                ),
            ),
            (
                "neon",
                jws::token(
                    &f.ed,
                    &claims::neon_auth_jwt(
                        "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech",
                        "neon-user",
                        NOW,
                    ),
                ),
            ),
            (
                "google",
                jws::token_with_header(
                    &f.rsa,
                    &claims::google_header(&f.rsa),
                    &claims::google_id_token("https://accounts.google.com", "1082345", NOW),
                ),
            ),
            (
                "es384",
                jws::token(&f.ec384, &claims::claims(ISSUER, "alice", NOW)),
            ),
            (
                "ps256",
                jws::token_with_header(
                    &f.rsa,
                    &json!({"alg": "PS256", "kid": f.rsa.kid()}),
                    &generic,
                ),
            ),
            (
                "header-crit",
                hs256_with_header(json!({"alg": "HS256", "crit": ["exp"]}), &generic),
            ),
            (
                "header-nested",
                hs256_with_header(json!({"alg": "HS256", "cty": "JWT"}), &generic),
            ),
            (
                "header-at-jwt",
                hs256_with_header(
                    json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1", "jku": "https://evil.example/jwks"}),
                    &generic,
                ),
            ),
            (
                "jwe",
                jws::jwe_like(&json!({"alg": "RSA-OAEP", "enc": "A256GCM"})),
            ),
            ("opaque", "ya29.a0AfH6SMBx3dQ".to_owned()),
            (
                "opaque-github",
                "ghs_16C7e42F292c6912E7710c838347Ae178B4a".to_owned(),
            ),
            (
                "json-serialization",
                json!({"payload": b64url("{}"), "signatures": []}).to_string(),
            ),
            ("claims-only", generic.to_string()),
            (
                "claims-clerk",
                claims::clerk_session_token("https://clerk.acme.example", "user_2abc", NOW)
                    .to_string(),
            ),
        ]
    }

    fn hs256_with_header(header: Value, claims: &Value) -> String {
        jws::hmac_token(SECRET.as_bytes(), &header, claims)
    }

    fn keys() -> Vec<(String, String)> {
        let f = fixtures();
        let all = [&f.rsa, &f.ec, &f.ec384, &f.ed].map(TestKey::clone);
        let mut out = vec![(
            "jwks".to_owned(),
            tambo_auth_testkit::keys::jwks(&all).to_string(),
        )];
        for (name, key) in [
            ("rsa", &f.rsa),
            ("p256", &f.ec),
            ("p384", &f.ec384),
            ("ed25519", &f.ed),
        ] {
            out.push((format!("{name}-jwk"), key.public_jwk().to_string()));
            out.push((format!("{name}-spki.pem"), key.public_pem()));
        }
        out.push((
            "rsa-jwk-x5c".into(),
            f.rsa.public_jwk_with_x5c().to_string(),
        ));
        out.push(("rsa-certificate.pem".into(), f.rsa.certificate_pem()));
        out.push(("p256-certificate.pem".into(), f.ec.certificate_pem()));
        out.push((
            "oct-jwk".into(),
            json!({"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64url(SECRET)}).to_string(),
        ));
        out.push((
            "jwks-mixed".into(),
            json!({"keys": [
                f.ed.public_jwk(),
                {"kty": "oct", "k": b64url(SECRET)},
                {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"},
                {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
                {"kty": "OKP", "crv": "X25519", "x": b64url([9u8; 32])},
            ]})
            .to_string(),
        ));
        out
    }

    fn requests() -> Vec<(&'static str, String)> {
        let subject = |token: &str| {
            format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
                 &subject_token={token}\
                 &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token"
            )
        };
        let form = |key: &str, body: String| {
            format!("Content-Type: application/x-www-form-urlencoded\nX-Api-Key: {key}\n\n{body}")
        };
        let [hs_key, dev_key, supabase_key] = API_KEYS;
        let mut generic = claims::claims(ISSUER, "alice", NOW);
        generic["scope"] = json!("read write");
        let hs = hs256(&generic);
        let mut dev = claims::claims(DEV_ISSUER, "dev-user", NOW);
        dev["scope"] = json!("read");
        let dev = unsigned(&dev);
        let supabase = unsigned(&claims::supabase_access_token(
            "https://abcdefghijklmnopqrst.supabase.co/auth/v1",
            "sb-user",
            NOW,
        ));
        let json_body = json!({
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": hs,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "audience": [AUDIENCE],
            "scope": "read",
        });
        vec![
            ("form-hs256", form(hs_key, subject(&hs))),
            (
                "form-hs256-scope-resource",
                form(
                    hs_key,
                    format!(
                        "{}&scope=read+write+admin&resource=https%3A%2F%2Fapi.example",
                        subject(&hs)
                    ),
                ),
            ),
            (
                "form-hs256-audience-tambo",
                form(
                    hs_key,
                    format!(
                        "{}&audience=tambo&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token",
                        subject(&hs)
                    ),
                ),
            ),
            (
                "form-dev-none",
                form(dev_key, format!("{}&scope=read", subject(&dev))),
            ),
            ("form-supabase-none", form(supabase_key, subject(&supabase))),
            (
                "form-repeated",
                form(hs_key, format!("{}&grant_type=x", subject(&hs))),
            ),
            (
                "form-actor",
                form(
                    hs_key,
                    format!("{}&actor_token=x&actor_token_type=y", subject(&hs)),
                ),
            ),
            (
                "json-hs256",
                format!(
                    "Content-Type: application/json; charset=utf-8\nX-Api-Key: {hs_key}\n\n{json_body}"
                ),
            ),
            (
                "json-null-and-array",
                format!(
                    "Content-Type: application/json\nX-Api-Key: {dev_key}\n\n{}",
                    json!({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                           "subject_token": dev, "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                           "audience": ["tambo", "tambo"], "scope": null, "actor_token": null})
                ),
            ),
            (
                "no-api-key",
                format!(
                    "Content-Type: application/x-www-form-urlencoded\n\n{}",
                    subject(&hs)
                ),
            ),
            (
                "text-plain",
                format!(
                    "Content-Type: text/plain\nX-Api-Key: {hs_key}\n\n{}",
                    subject(&hs)
                ),
            ),
            (
                "two-api-keys",
                format!(
                    "Content-Type: application/x-www-form-urlencoded\nX-Api-Key: {hs_key}\nX-Api-Key: {dev_key}\n\n{}",
                    subject(&hs)
                ),
            ),
        ]
    }

    /// The seeds as the testkit makes them today pass their harness, and those meant to reach
    /// verification and issuance still do. With `TAMBO_AUTH_WRITE_FUZZ_SEEDS=1` they are also
    /// written over `fuzz/corpus/<target>/seed-*` (fresh `jti`s and keys: a diff every time).
    #[test]
    fn the_generated_seeds_pass_their_harness() {
        let save = std::env::var_os("TAMBO_AUTH_WRITE_FUZZ_SEEDS").is_some();
        for (name, token) in tokens() {
            super::harness::token(token.as_bytes());
            super::check_token_seed(name, token.as_bytes());
            if save {
                write("token", name, token);
            }
        }
        for (name, key) in keys() {
            super::harness::jwk(key.as_bytes());
            if save {
                write("jwk", &name, key);
            }
        }
        for (name, request) in requests() {
            super::harness::exchange(request.as_bytes());
            super::check_request_seed(name, request.as_bytes());
            if save {
                write("exchange", name, request);
            }
        }
    }
}
