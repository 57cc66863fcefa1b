//! The attack catalogue of `docs/security.md` (A-01 … A-39) as far as it concerns
//! verification, plus the configuration and development-mode guards.
//!
//! Every rejection asserts the exact error kind and the exchange surface it maps to: 400
//! `invalid_request` (and 401 `invalid_token` at a bearer-protected API). Every error is also
//! checked never to echo the token (A-38). The exchange endpoint itself arrives with the
//! token-exchange issue; these tests pin what it will answer.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tambo_auth::clock::ManualClock;
use tambo_auth::verify::Secret;
use tambo_auth::{Algorithm, Error, ErrorKind, OidcProvider, Profile, ProviderRegistry, Verifier};
use tambo_auth_testkit::jws::b64url;
use tambo_auth_testkit::{Fixtures, JwsBuilder, TestIdp, TestKey, fixtures};

const ISS: &str = "https://idp.example";
const AUD: &str = "https://exchange.example";
const NOW: u64 = 1_800_000_000;

fn clock() -> ManualClock {
    ManualClock::at_unix(NOW)
}

fn claims() -> Value {
    json!({"iss": ISS, "sub": "alice", "aud": AUD, "iat": NOW, "exp": NOW + 300})
}

fn with(key: &str, value: Value) -> Value {
    let mut c = claims();
    c[key] = value;
    c
}

fn without(key: &str) -> Value {
    let mut c = claims();
    c.as_object_mut().expect("object").remove(key);
    c
}

fn keys() -> &'static Fixtures {
    fixtures()
}

fn rs256_header() -> Value {
    json!({"alg": "RS256", "kid": "idp-rsa-1", "typ": "JWT"})
}

fn rsa_token(claims: &Value) -> String {
    JwsBuilder::new()
        .header(rs256_header())
        .payload(claims.clone())
        .sign(&keys().rsa, "RS256")
}

/// The issuer pinned to RS256 with a configured PEM key, as `docs/security.md` A-04 sets it.
fn rsa_verifier() -> Verifier {
    Verifier::builder(ISS)
        .public_key_pem(keys().rsa.public_pem())
        .algorithms([Algorithm::RS256])
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier")
}

/// Asserts a refusal of the exact kind, mapped to 400 `invalid_request` at the exchange and
/// 401 at an API, whose texts never echo the token.
async fn refused(verifier: &Verifier, token: &str, want: ErrorKind) {
    let err = verifier
        .verify(token)
        .await
        .expect_err("the token must be refused");
    assert_refusal(&err, token, want);
}

fn assert_refusal(err: &Error, token: &str, want: ErrorKind) {
    assert_eq!(err.kind(), want, "{err}");
    assert_eq!(err.kind().exchange_status(), 400);
    assert_eq!(err.kind().oauth_error(), "invalid_request");
    assert_eq!(err.kind().bearer_status(), 401);
    assert_eq!(err.kind().bearer_error(), Some("invalid_token"));
    no_echo(err, token);
}

/// A-38: neither the operator text nor the client text holds any part of the token.
fn no_echo(err: &Error, token: &str) {
    let texts = [err.to_string(), err.kind().public_description().to_owned()];
    for part in token.split('.').filter(|p| p.len() >= 8) {
        for text in &texts {
            assert!(!text.contains(part), "error text echoes the token: {text}");
        }
    }
}

#[tokio::test]
async fn a_valid_token_passes_every_check() {
    let verified = rsa_verifier()
        .verify(&rsa_token(&claims()))
        .await
        .expect("accepted");
    assert_eq!(verified.claims().sub(), Some("alice"));
    assert!(verified.signature_checked());
}

#[tokio::test]
async fn a01_a02_alg_none_in_any_spelling_is_refused() {
    let v = rsa_verifier();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let builder = JwsBuilder::new()
            .header(json!({"alg": alg, "typ": "JWT"}))
            .payload(claims());
        refused(&v, &builder.unsigned(), ErrorKind::AlgorithmNone).await;
        // `none` with the original signature kept.
        let signature = keys().rsa.sign("RS256", builder.signing_input().as_bytes());
        refused(
            &v,
            &builder.with_signature(&signature),
            ErrorKind::AlgorithmNone,
        )
        .await;
    }
}

#[tokio::test]
async fn a03_missing_or_odd_alg_is_refused() {
    let v = rsa_verifier();
    for (header, want) in [
        (json!({}), ErrorKind::Malformed),
        (json!({"alg": ""}), ErrorKind::Malformed),
        (json!({"alg": null}), ErrorKind::Malformed),
        (json!({"alg": ["RS256"]}), ErrorKind::Malformed),
        (json!({"alg": "RS256 "}), ErrorKind::AlgorithmNotAllowed),
        (json!({"alg": "hs256"}), ErrorKind::AlgorithmNotAllowed),
    ] {
        let token = JwsBuilder::new()
            .header(header)
            .payload(claims())
            .sign(&keys().rsa, "RS256");
        refused(&v, &token, want).await;
    }
}

#[tokio::test]
async fn a04_rsa_to_hmac_confusion_is_refused_for_every_key_encoding() {
    let rsa = &keys().rsa;
    let pem = rsa.public_pem();
    let jwk = rsa.public_jwk();
    let n = jwk["n"].as_str().expect("n").to_owned();
    let secrets: Vec<Vec<u8>> = vec![
        pem.clone().into_bytes(),
        pem.trim_end().as_bytes().to_vec(),
        format!(" {pem}").into_bytes(),
        rsa.public_der(),
        jwk.to_string().into_bytes(),
        n.into_bytes(),
    ];
    // Pinned to RS256, and with the default asymmetric allowlist.
    let default_allowlist = Verifier::builder(ISS)
        .public_key_pem(pem.clone())
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    for verifier in [rsa_verifier(), default_allowlist] {
        for secret in &secrets {
            let token = JwsBuilder::new()
                .header(json!({"alg": "HS256", "kid": "idp-rsa-1", "typ": "JWT"}))
                .payload(claims())
                .sign_hmac(secret, "HS256");
            refused(&verifier, &token, ErrorKind::AlgorithmNotAllowed).await;
        }
    }
}

#[tokio::test]
async fn a05_ec_to_hmac_confusion_is_refused() {
    let ec = &keys().ec;
    let v = Verifier::builder(ISS)
        .public_key_jwk(ec.public_jwk().to_string())
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    let jwk = ec.public_jwk();
    let decode = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect("coordinate"))
            .expect("b64")
    };
    let mut xy = decode("x");
    xy.extend(decode("y"));
    let token = JwsBuilder::new()
        .header(json!({"alg": "HS256", "kid": "idp-ec-1"}))
        .payload(claims())
        .sign_hmac(&xy, "HS256");
    refused(&v, &token, ErrorKind::AlgorithmNotAllowed).await;
}

#[tokio::test]
async fn a06_asymmetric_algorithm_swaps_are_refused() {
    // Issuer pinned to RS256: a PS256 token signed with the same key.
    let token = JwsBuilder::new()
        .header(json!({"alg": "PS256", "kid": "idp-rsa-1"}))
        .payload(claims())
        .sign(&keys().rsa, "PS256");
    refused(&rsa_verifier(), &token, ErrorKind::AlgorithmNotAllowed).await;

    // The key's JWK pins RS256: an RS384 token with that key (RFC 8725 bis §3.1).
    let mut jwk = keys().rsa.public_jwk();
    jwk["alg"] = json!("RS256");
    let pinned = Verifier::builder(ISS)
        .public_key_jwk(jwk.to_string())
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    let token = JwsBuilder::new()
        .header(json!({"alg": "RS384", "kid": "idp-rsa-1"}))
        .payload(claims())
        .sign(&keys().rsa, "RS384");
    refused(&pinned, &token, ErrorKind::AlgorithmNotAllowed).await;

    // ES256 in the header with a P-384 key.
    let p384 = Verifier::builder(ISS)
        .public_key_pem(keys().ec384.public_pem())
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    let token = JwsBuilder::new()
        .header(json!({"alg": "ES256"}))
        .payload(claims())
        .sign(&TestKey::p256("other"), "ES256");
    refused(&p384, &token, ErrorKind::AlgorithmNotAllowed).await;
}

/// A JWKS-backed verifier on a testkit identity provider.
async fn jwks_verifier(idp: &TestIdp) -> Verifier {
    Verifier::builder(idp.issuer())
        .jwks_url(idp.jwks_url())
        .allow_loopback_http(true)
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier")
}

fn idp_claims(idp: &TestIdp) -> Value {
    let mut c = claims();
    c["iss"] = json!(idp.issuer());
    c
}

#[tokio::test]
async fn a07_a08_kid_is_only_a_lookup_key() {
    let idp = TestIdp::start().await;
    let v = jwks_verifier(&idp).await;
    let attacker = TestKey::rsa("attacker");
    for kid in [
        "../../../../../../dev/null",
        "/proc/sys/kernel/randomize_va_space",
        "x' UNION SELECT 'AAAA'-- ",
        "$(id)",
    ] {
        let hs = JwsBuilder::new()
            .header(json!({"alg": "HS256", "kid": kid}))
            .payload(idp_claims(&idp))
            .sign_hmac(b"", "HS256");
        refused(&v, &hs, ErrorKind::AlgorithmNotAllowed).await;
        let rs = JwsBuilder::new()
            .header(json!({"alg": "RS256", "kid": kid}))
            .payload(idp_claims(&idp))
            .sign(&attacker, "RS256");
        refused(&v, &rs, ErrorKind::UnknownKey).await;
    }
    // One fetch to load the set; the odd kids caused no more (cooldown).
    assert_eq!(idp.jwks_requests(), 1);
}

#[tokio::test]
async fn a09_pathological_kids_are_refused_before_any_lookup() {
    let idp = TestIdp::start().await;
    let v = jwks_verifier(&idp).await;
    let huge = JwsBuilder::new()
        .header(json!({"alg": "RS256", "kid": "k".repeat(64 * 1024)}))
        .payload(idp_claims(&idp))
        .sign(&keys().rsa, "RS256");
    refused(&v, &huge, ErrorKind::TokenTooLarge).await;
    for header in [
        json!({"alg": "RS256", "kid": "a\r\nb"}),
        json!({"alg": "RS256", "kid": 7}),
        json!({"alg": "RS256", "kid": {"x": 1}}),
    ] {
        let token = JwsBuilder::new()
            .header(header)
            .payload(idp_claims(&idp))
            .sign(&keys().rsa, "RS256");
        refused(&v, &token, ErrorKind::Malformed).await;
    }
    let duplicate = JwsBuilder::new()
        .header_raw(br#"{"alg":"RS256","kid":"idp-rsa-1","kid":"other"}"#.to_vec())
        .payload(idp_claims(&idp))
        .sign(&keys().rsa, "RS256");
    refused(&v, &duplicate, ErrorKind::Malformed).await;
    assert_eq!(
        idp.jwks_requests(),
        0,
        "nothing was fetched for any of them"
    );
}

#[tokio::test]
async fn a10_to_a13_key_carrying_headers_are_never_followed() {
    let idp = TestIdp::start().await;
    let v = jwks_verifier(&idp).await;
    let attacker_host = wiremock::MockServer::start().await;
    let attacker = TestKey::rsa("idp-rsa-1");
    let url = format!("{}/jwks.json", attacker_host.uri());
    for header in [
        json!({"alg": "RS256", "kid": "idp-rsa-1", "jku": url}),
        json!({"alg": "RS256", "kid": "idp-rsa-1", "x5u": url}),
        json!({"alg": "RS256", "kid": "idp-rsa-1", "jwk": attacker.public_jwk()}),
        json!({"alg": "RS256", "kid": "idp-rsa-1",
               "x5c": attacker.public_jwk_with_x5c()["x5c"].clone()}),
    ] {
        let token = JwsBuilder::new()
            .header(header)
            .payload(idp_claims(&idp))
            .sign(&attacker, "RS256");
        refused(&v, &token, ErrorKind::InvalidSignature).await;
    }
    let seen = attacker_host
        .received_requests()
        .await
        .expect("recording on");
    assert!(seen.is_empty(), "the attacker's server was contacted");
}

#[tokio::test]
async fn a14_an_unknown_kid_storm_is_refused_with_at_most_one_refetch() {
    let idp = TestIdp::start().await;
    let v = jwks_verifier(&idp).await;
    v.warm_up().await.expect("keys load");
    let clock_after_cooldown = clock();
    let v2 = Verifier::builder(idp.issuer())
        .jwks_url(idp.jwks_url())
        .allow_loopback_http(true)
        .audience(AUD)
        .clock(Arc::new(clock_after_cooldown.clone()))
        .build()
        .expect("verifier");
    v2.warm_up().await.expect("keys load");
    clock_after_cooldown.advance(Duration::from_secs(31));
    idp.reset_counters();
    let attacker = TestKey::rsa("attacker");
    let tokens: Vec<String> = (0..500)
        .map(|i| {
            JwsBuilder::new()
                .header(json!({"alg": "RS256", "kid": format!("random-{i}")}))
                .payload(idp_claims(&idp))
                .sign(&attacker, "RS256")
        })
        .collect();
    let results = futures_util::future::join_all(tokens.iter().map(|t| v2.verify(t))).await;
    for (token, result) in tokens.iter().zip(results) {
        assert_refusal(&result.expect_err("refused"), token, ErrorKind::UnknownKey);
    }
    assert_eq!(idp.jwks_requests(), 1, "one refetch for the whole storm");
}

#[tokio::test]
async fn a15_exp_abuse_is_refused() {
    let v = rsa_verifier();
    for (c, want) in [
        (without("exp"), ErrorKind::MissingClaim),
        (with("exp", json!("9999999999")), ErrorKind::InvalidClaim),
        (with("exp", json!(NOW - 61)), ErrorKind::Expired),
        (
            with("exp", json!(NOW + 10 * 365 * 86400)),
            ErrorKind::LifetimeTooLong,
        ),
        (with("exp", json!(true)), ErrorKind::InvalidClaim),
        (with("exp", json!(1e300)), ErrorKind::InvalidClaim),
    ] {
        refused(&v, &rsa_token(&c), want).await;
    }
    // Inside the leeway, and fractional dates, pass.
    for exp in [json!(NOW - 59), json!(NOW as f64 + 300.5)] {
        assert!(v.verify(&rsa_token(&with("exp", exp))).await.is_ok());
    }
}

#[tokio::test]
async fn a16_a17_nbf_and_iat_abuse_is_refused() {
    let v = rsa_verifier();
    refused(
        &v,
        &rsa_token(&with("nbf", json!(NOW + 3600))),
        ErrorKind::NotYetValid,
    )
    .await;
    refused(
        &v,
        &rsa_token(&with("nbf", json!("0"))),
        ErrorKind::InvalidClaim,
    )
    .await;
    refused(
        &v,
        &rsa_token(&with("iat", json!(NOW + 3600))),
        ErrorKind::IssuedInFuture,
    )
    .await;
    assert!(
        v.verify(&rsa_token(&with("nbf", json!(NOW + 30))))
            .await
            .is_ok()
    );
    let aged = Verifier::builder(ISS)
        .public_key_pem(keys().rsa.public_pem())
        .audience(AUD)
        .max_age(Some(Duration::from_secs(3600)))
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    let old = json!({"iss": ISS, "sub": "a", "aud": AUD, "iat": NOW - 3600 - 61, "exp": NOW + 60});
    refused(&aged, &rsa_token(&old), ErrorKind::TooOld).await;
}

#[tokio::test]
async fn a18_issuer_mismatches_are_refused_without_normalization() {
    let v = rsa_verifier();
    for iss in [
        "https://idp.example/",
        "https://IDP.example",
        "http://idp.example",
        "https://idp.example:443",
        "https://іdp.example", // Cyrillic і
    ] {
        refused(
            &v,
            &rsa_token(&with("iss", json!(iss))),
            ErrorKind::IssuerMismatch,
        )
        .await;
    }
    refused(
        &v,
        &rsa_token(&with("iss", json!([ISS, "https://evil.example"]))),
        ErrorKind::InvalidClaim,
    )
    .await;
}

#[tokio::test]
async fn a19_a31_audience_mismatches_are_refused() {
    let v = rsa_verifier();
    for (aud, want) in [
        (
            json!("https://other-app.example"),
            ErrorKind::AudienceMismatch,
        ),
        (json!([]), ErrorKind::AudienceMismatch),
        (json!(["other"]), ErrorKind::AudienceMismatch),
        (
            json!("https://exchange.example/"),
            ErrorKind::AudienceMismatch,
        ),
        (json!(42), ErrorKind::InvalidClaim),
    ] {
        refused(&v, &rsa_token(&with("aud", aud)), want).await;
    }
    refused(&v, &rsa_token(&without("aud")), ErrorKind::MissingClaim).await;
    let both = with("aud", json!(["https://x.example", AUD]));
    assert!(v.verify(&rsa_token(&both)).await.is_ok());
}

#[tokio::test]
async fn a19_a_shared_issuer_needs_an_audience_or_an_explicit_waiver() {
    // Discovery, JWKS and configured public keys: an issuer that may serve other
    // applications (an attacker's own Google or Auth0 app among them).
    let shared = || {
        [
            Verifier::builder(ISS),
            Verifier::builder(ISS).jwks_url("https://idp.example/jwks"),
            Verifier::builder(ISS).public_key_pem(keys().rsa.public_pem()),
        ]
    };
    for builder in shared() {
        match builder.build() {
            Err(Error::Configuration { field, .. }) => assert_eq!(field, "audiences"),
            other => panic!("expected a refusal naming `audiences`, got {other:?}"),
        }
    }
    for builder in shared() {
        assert!(builder.allow_any_audience().build().is_ok());
    }
    // The waiver accepts another application's token; an audience refuses it.
    let other_app = rsa_token(&with("aud", json!("https://attacker-app.example")));
    let waived = Verifier::builder(ISS)
        .public_key_pem(keys().rsa.public_pem())
        .allow_any_audience()
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    assert!(waived.verify(&other_app).await.is_ok());
    refused(&rsa_verifier(), &other_app, ErrorKind::AudienceMismatch).await;
    // A shared secret is this application's alone.
    assert!(
        Verifier::builder(ISS)
            .shared_secret(Secret::from_bytes(
                keys().hmac.secret().expect("the HMAC fixture has a secret")
            ))
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn a20_a21_a29_unsupported_jose_features_are_refused() {
    let v = rsa_verifier();
    for (header, want) in [
        (
            json!({"alg": "RS256", "kid": "idp-rsa-1", "crit": ["x-foo"], "x-foo": true}),
            ErrorKind::UnsupportedHeader,
        ),
        (
            json!({"alg": "RS256", "crit": []}),
            ErrorKind::UnsupportedHeader,
        ),
        (
            json!({"alg": "RS256", "crit": ["alg"]}),
            ErrorKind::UnsupportedHeader,
        ),
        (
            json!({"alg": "RS256", "cty": "JWT"}),
            ErrorKind::NestedToken,
        ),
        (
            json!({"alg": "RS256", "zip": "DEF"}),
            ErrorKind::UnsupportedHeader,
        ),
        (
            json!({"alg": "HS256", "b64": false, "crit": ["b64"]}),
            ErrorKind::UnsupportedHeader,
        ),
        (
            json!({"alg": "PBES2-HS256+A128KW", "p2c": 2147483647}),
            ErrorKind::AlgorithmNotAllowed,
        ),
    ] {
        let token = JwsBuilder::new()
            .header(header)
            .payload(claims())
            .sign(&keys().rsa, "RS256");
        refused(&v, &token, want).await;
    }
    let jwe = tambo_auth_testkit::jws::jwe_like(&json!({"alg": "RSA-OAEP", "enc": "A256GCM"}));
    refused(&v, &jwe, ErrorKind::Encrypted).await;
    let json_serialized = r#"{"payload":"Zm9v","signatures":[{"protected":"eyJhbGciOiJSUzI1NiJ9","signature":"c2ln"}]}"#;
    refused(&v, json_serialized, ErrorKind::Malformed).await;
}

#[tokio::test]
async fn a22_oversized_inputs_are_refused_before_decoding() {
    let v = rsa_verifier();
    refused(&v, &"a".repeat(1024 * 1024), ErrorKind::TokenTooLarge).await;
    refused(&v, &".".repeat(100_000), ErrorKind::TokenTooLarge).await;
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let nested = JwsBuilder::new()
        .header_raw(format!(r#"{{"alg":"RS256","x":{deep}}}"#).into_bytes())
        .payload(claims())
        .sign(&keys().rsa, "RS256");
    refused(&v, &nested, ErrorKind::Malformed).await;
}

#[tokio::test]
async fn a23_duplicate_members_are_refused() {
    let v = rsa_verifier();
    let dup_sub = format!(
        r#"{{"iss":"{ISS}","sub":"alice","sub":"admin","aud":"{AUD}","iat":{NOW},"exp":{}}}"#,
        NOW + 300
    );
    let dup_role = format!(
        r#"{{"iss":"{ISS}","sub":"alice","aud":"{AUD}","iat":{NOW},"exp":{},"role":"user","role":"admin"}}"#,
        NOW + 300
    );
    for payload in [dup_sub, dup_role] {
        let token = JwsBuilder::new()
            .header(rs256_header())
            .payload_raw(payload.into_bytes())
            .sign(&keys().rsa, "RS256");
        refused(&v, &token, ErrorKind::Malformed).await;
    }
    let dup_alg = JwsBuilder::new()
        .header_raw(br#"{"alg":"none","alg":"RS256"}"#.to_vec())
        .payload(claims())
        .sign(&keys().rsa, "RS256");
    refused(&v, &dup_alg, ErrorKind::Malformed).await;
}

#[tokio::test]
async fn a24_non_canonical_base64url_is_refused() {
    let v = rsa_verifier();
    let good = rsa_token(&claims());
    let (head, sig) = good.rsplit_once('.').expect("three parts");
    for bad in [
        format!("{good}="),
        format!("{head}.+{}", &sig[1..]),
        format!("{head}./{}", &sig[1..]),
        format!("{head}. {}", &sig[1..]),
        format!("{head}.\n{}", &sig[1..]),
        format!("{head}.?{}", &sig[1..]),
    ] {
        refused(&v, &bad, ErrorKind::Malformed).await;
    }
    let unused_bits = JwsBuilder::new()
        .header(rs256_header())
        .payload_b64("AB")
        .sign(&keys().rsa, "RS256");
    refused(&v, &unused_bits, ErrorKind::Malformed).await;
}

fn es256_verifier() -> Verifier {
    Verifier::builder(ISS)
        .public_key_pem(keys().ec.public_pem())
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier")
}

fn es256_builder() -> JwsBuilder {
    JwsBuilder::new()
        .header(json!({"alg": "ES256", "kid": "idp-ec-1"}))
        .payload(claims())
}

#[tokio::test]
async fn a25_psychic_ecdsa_signatures_are_refused() {
    let v = es256_verifier();
    let builder = es256_builder();
    let n = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    let mut n_minus_1 = n.clone();
    n_minus_1[31] -= 1;
    for signature in [
        vec![0u8; 64],
        [n.clone(), n.clone()].concat(),
        [n_minus_1.clone(), n_minus_1].concat(),
    ] {
        refused(
            &v,
            &builder.with_signature(&signature),
            ErrorKind::InvalidSignature,
        )
        .await;
    }
    assert!(v.verify(&builder.sign(&keys().ec, "ES256")).await.is_ok());
}

#[tokio::test]
async fn a26_ecdsa_signatures_must_be_fixed_size_r_s() {
    let v = es256_verifier();
    let builder = es256_builder();
    let raw = keys().ec.sign("ES256", builder.signing_input().as_bytes());
    let der = der_signature(&raw[..32], &raw[32..]);
    let mut padded = vec![0u8];
    padded.extend_from_slice(&raw);
    padded.push(0);
    for signature in [der, raw[1..].to_vec(), padded, vec![0u8; 514]] {
        refused(
            &v,
            &builder.with_signature(&signature),
            ErrorKind::InvalidSignature,
        )
        .await;
    }
}

#[tokio::test]
async fn a28_weak_shared_secrets_are_refused_at_configuration_and_at_verification() {
    for weak in [
        "secret",
        "your-256-bit-secret",
        "0123456789012345678901234567890",
    ] {
        let err = Verifier::builder(ISS)
            .shared_secret(Secret::from_utf8(weak))
            .build()
            .expect_err("weak secret refused");
        assert_eq!(err.kind(), ErrorKind::Configuration);
        assert!(matches!(err, Error::Configuration { ref field, .. } if field == "secret"));
    }
    let strong = keys().hmac.secret().expect("hmac").to_vec();
    let v = Verifier::builder(ISS)
        .shared_secret(Secret::from_bytes(strong.clone()))
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let good = JwsBuilder::new()
        .header(header.clone())
        .payload(claims())
        .sign_hmac(&strong, "HS256");
    assert!(v.verify(&good).await.is_ok());
    let cracked = JwsBuilder::new()
        .header(header)
        .payload(claims())
        .sign_hmac(b"your-256-bit-secret", "HS256");
    refused(&v, &cracked, ErrorKind::InvalidSignature).await;
}

#[tokio::test]
async fn a30_a_required_type_refuses_other_types() {
    let v = Verifier::builder(ISS)
        .public_key_pem(keys().rsa.public_pem())
        .audience(AUD)
        .required_type("at+jwt")
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    refused(&v, &rsa_token(&claims()), ErrorKind::TypeMismatch).await;
    let media_type = JwsBuilder::new()
        .header(json!({"alg": "RS256", "typ": "application/AT+JWT"}))
        .payload(claims())
        .sign(&keys().rsa, "RS256");
    assert!(v.verify(&media_type).await.is_ok());
}

#[tokio::test]
async fn a32_stripped_or_transplanted_signatures_are_refused() {
    let v = rsa_verifier();
    let token = rsa_token(&claims());
    let (head, _) = token.rsplit_once('.').expect("three parts");
    refused(&v, &format!("{head}."), ErrorKind::Malformed).await;
    refused(&v, head, ErrorKind::Malformed).await;
    let other = rsa_token(&with("sub", json!("bob")));
    let (_, other_sig) = other.rsplit_once('.').expect("three parts");
    refused(
        &v,
        &format!("{head}.{other_sig}"),
        ErrorKind::InvalidSignature,
    )
    .await;
}

#[tokio::test]
async fn a34_a35_poisoned_key_sets_are_filtered_key_by_key() {
    let idp = TestIdp::start().await;
    let rsa = &keys().rsa;
    let mut enc = rsa.public_jwk();
    enc["use"] = json!("enc");
    let mut encrypt_only = keys().rsa2.public_jwk();
    encrypt_only["key_ops"] = json!(["encrypt"]);
    let mut private = keys().ec.public_jwk();
    private["d"] = json!("yy49oPcINGK2ps0LmtxpB6UTEOiITghHBif6wDqmJ3c");
    let oct = json!({"kty": "oct", "kid": "oct-1", "k": b64url([7u8; 32])});
    let ed = keys().ed.public_jwk();
    idp.set_jwks_body(json!({"keys": [
        enc, encrypt_only, private, oct,
        {"kty": "OKP", "crv": "X25519", "kid": "x", "x": b64url([1u8; 32])},
        {"kty": "AKP", "alg": "ML-DSA-44", "kid": "pq", "pub": "AAAA"},
        {"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": b64url([1u8; 32]), "y": b64url([2u8; 32])},
        ed,
    ]}));
    let v = jwks_verifier(&idp).await;
    let c = idp_claims(&idp);
    // The one good key still verifies: nothing poisoned the set.
    let good = JwsBuilder::new()
        .header(json!({"alg": "EdDSA", "kid": "idp-ed-1"}))
        .payload(c.clone())
        .sign(&keys().ed, "EdDSA");
    assert!(v.verify(&good).await.is_ok());
    for (key, kid, alg) in [
        (rsa, "idp-rsa-1", "RS256"),
        (&keys().rsa2, "idp-rsa-2", "RS256"),
        (&keys().ec, "idp-ec-1", "ES256"),
    ] {
        let token = JwsBuilder::new()
            .header(json!({"alg": alg, "kid": kid}))
            .payload(c.clone())
            .sign(key, alg);
        refused(&v, &token, ErrorKind::UnknownKey).await;
    }
    let hs = JwsBuilder::new()
        .header(json!({"alg": "HS256", "kid": "oct-1"}))
        .payload(c.clone())
        .sign_hmac(&[7u8; 32], "HS256");
    refused(&v, &hs, ErrorKind::AlgorithmNotAllowed).await;

    // Two keys with one kid: ambiguous, refused.
    idp.set_jwks_body(
        json!({"keys": [keys().rsa.public_jwk(), keys().rsa2.with_kid("idp-rsa-1").public_jwk()]}),
    );
    let v = jwks_verifier(&idp).await;
    refused(&v, &rsa_token_for(&idp), ErrorKind::AmbiguousKey).await;
}

fn rsa_token_for(idp: &TestIdp) -> String {
    JwsBuilder::new()
        .header(rs256_header())
        .payload(idp_claims(idp))
        .sign(&keys().rsa, "RS256")
}

#[tokio::test]
async fn a36_an_unconfigured_issuer_never_causes_a_request() {
    let idp = TestIdp::start().await;
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new("idp", jwks_verifier(&idp).await))
        .build()
        .expect("registry");
    for iss in [
        "http://169.254.169.254/latest",
        "http://127.0.0.1:1/",
        "https://evil.example",
    ] {
        let token = JwsBuilder::new()
            .header(rs256_header())
            .payload(with("iss", json!(iss)))
            .sign(&keys().rsa, "RS256");
        let err = registry.authenticate(&token).await.expect_err("refused");
        assert_refusal(&err, &token, ErrorKind::UnknownIssuer);
    }
    assert_eq!(idp.jwks_requests() + idp.discovery_requests(), 0);
}

#[tokio::test]
async fn a37_a_missing_kid_with_several_keys_is_ambiguous() {
    let idp = TestIdp::builder()
        .keys(vec![keys().rsa.clone(), keys().rsa2.clone()])
        .start()
        .await;
    let v = jwks_verifier(&idp).await;
    let token = JwsBuilder::new()
        .header(json!({"alg": "RS256"}))
        .payload(idp_claims(&idp))
        .sign(&keys().rsa, "RS256");
    refused(&v, &token, ErrorKind::AmbiguousKey).await;
}

#[tokio::test]
async fn rfc8725_3_8_keys_belong_to_their_issuer() {
    let idp_a = TestIdp::builder()
        .keys(vec![keys().rsa.clone()])
        .start()
        .await;
    let idp_b = TestIdp::builder()
        .keys(vec![keys().rsa2.clone()])
        .start()
        .await;
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new("a", jwks_verifier(&idp_a).await))
        .provider(OidcProvider::new("b", jwks_verifier(&idp_b).await))
        .build()
        .expect("registry");
    // Claims say B, signature and kid are A's.
    let token = rsa_token_for(&idp_b);
    let err = registry.authenticate(&token).await.expect_err("refused");
    assert_refusal(&err, &token, ErrorKind::UnknownKey);
    // The same `sub` from two issuers is two users.
    let a = registry
        .authenticate(&rsa_token_for(&idp_a))
        .await
        .expect("a");
    let b_token = JwsBuilder::new()
        .header(json!({"alg": "RS256", "kid": "idp-rsa-2"}))
        .payload(idp_claims(&idp_b))
        .sign(&keys().rsa2, "RS256");
    let b = registry.authenticate(&b_token).await.expect("b");
    assert_eq!(a.sub(), b.sub());
    assert_ne!(a.context_key(), b.context_key());
}

#[test]
fn a39_issuers_whose_context_keys_could_collide_are_refused_in_one_registry() {
    let provider = |name: &str, issuer: &str| {
        OidcProvider::new(
            name,
            Verifier::builder(issuer)
                .shared_secret(Secret::from_bytes(
                    keys().hmac.secret().expect("the HMAC fixture has a secret"),
                ))
                .build()
                .expect("verifier"),
        )
    };
    for (a, b) in [
        ("https://idp.example", "http://idp.example"),
        ("https://idp.example", "idp.example"),
        ("https://idp.example", "https://IDP.example/"),
        ("https://idp.example", "https://user@idp.example"),
        ("urn:a:b", "urn_a_b"),
    ] {
        let built = ProviderRegistry::builder()
            .provider(provider("a", a))
            .provider(provider("b", b))
            .build();
        match built {
            Err(Error::Configuration { field, reason }) => {
                assert_eq!(field, "providers");
                assert!(reason.contains(a) && reason.contains(b), "{reason}");
            }
            other => panic!("{a} and {b} must be refused, got {other:?}"),
        }
    }
    // Issuers one path apart are two namespaces.
    assert!(
        ProviderRegistry::builder()
            .provider(provider("a", "https://idp.example/tenant-a"))
            .provider(provider("b", "https://idp.example/tenant-b"))
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn every_supported_algorithm_verifies_from_pem_certificate_and_jwk() {
    let f = keys();
    let cases: [(&TestKey, &str); 9] = [
        (&f.rsa, "RS256"),
        (&f.rsa, "RS384"),
        (&f.rsa, "RS512"),
        (&f.rsa, "PS256"),
        (&f.rsa, "PS512"),
        (&f.ec, "ES256"),
        (&f.ec384, "ES384"),
        (&f.ed, "EdDSA"),
        (&f.ed, "Ed25519"),
    ];
    for (key, alg) in cases {
        let token = JwsBuilder::new()
            .header(json!({"alg": alg, "kid": key.kid()}))
            .payload(claims())
            .sign(key, alg);
        let mut jwk = key.public_jwk();
        jwk.as_object_mut().expect("object").remove("alg");
        for verifier in [
            Verifier::builder(ISS).public_key_pem(key.public_pem()),
            Verifier::builder(ISS).public_key_pem(key.certificate_pem()),
            Verifier::builder(ISS).public_key_jwk(jwk.to_string()),
        ] {
            let v = verifier
                .audience(AUD)
                .clock(Arc::new(clock()))
                .build()
                .expect("verifier");
            let verified = v.verify(&token).await;
            assert!(verified.is_ok(), "{alg}: {verified:?}");
        }
    }
}

#[tokio::test]
async fn configuration_refuses_unsafe_settings_naming_the_field() {
    let pem = keys().rsa.public_pem();
    let cases: Vec<(tambo_auth::verify::VerifierBuilder, &str)> = vec![
        (
            Verifier::builder("https://idp.example?x=1").public_key_pem(pem.clone()),
            "issuer",
        ),
        (
            Verifier::builder(ISS)
                .public_key_pem(pem.clone())
                .algorithms([Algorithm::HS256]),
            "algorithms",
        ),
        (
            Verifier::builder(ISS).shared_secret(Secret::from_bytes(vec![1u8; 31])),
            "secret",
        ),
        (
            Verifier::builder(ISS)
                .shared_secret(Secret::from_bytes((0u8..64).collect::<Vec<_>>()))
                .algorithms([Algorithm::RS256]),
            "algorithms",
        ),
        (
            Verifier::builder(ISS)
                .public_key_pem(keys().ec384.public_pem())
                .algorithms([Algorithm::ES256]),
            "public_key",
        ),
        (
            Verifier::builder(ISS)
                .public_key_pem(pem.clone())
                .leeway(Duration::from_secs(3600)),
            "leeway",
        ),
        (
            Verifier::builder(ISS).insecure_no_verification(),
            "strategy",
        ),
        (Verifier::builder("http://idp.example"), "issuer"),
        (
            Verifier::builder(ISS).jwks_url("http://127.0.0.1:1/jwks"),
            "jwks_url",
        ),
        (
            Verifier::builder(ISS).public_key_pem(keys().rsa.private_pem()),
            "public_key",
        ),
    ];
    for (builder, field) in cases {
        let err = builder.build().expect_err(field);
        match err {
            Error::Configuration { field: got, .. } => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn d05_d06_development_none_still_checks_structure_and_claims() {
    let dev = Verifier::builder(ISS)
        .insecure_no_verification()
        .profile(Profile::Development)
        .audience(AUD)
        .clock(Arc::new(clock()))
        .build()
        .expect("development verifier");
    let unsigned = JwsBuilder::new()
        .header(json!({"alg": "none"}))
        .payload(claims())
        .unsigned();
    let verified = dev
        .verify(&unsigned)
        .await
        .expect("accepted in development");
    assert!(!verified.signature_checked());
    refused(&dev, &"a".repeat(1024 * 1024), ErrorKind::TokenTooLarge).await;
    let dup = JwsBuilder::new()
        .header(json!({"alg": "none"}))
        .payload_raw(br#"{"sub":"a","sub":"b"}"#.to_vec())
        .unsigned();
    refused(&dev, &dup, ErrorKind::Malformed).await;
    let bad_b64 = format!("{}=", unsigned.trim_end_matches('.'));
    refused(&dev, &bad_b64, ErrorKind::Malformed).await;
    refused(
        &dev,
        &JwsBuilder::new()
            .header(json!({"alg": "none"}))
            .payload(with("exp", json!(NOW - 61)))
            .unsigned(),
        ErrorKind::Expired,
    )
    .await;
    // The same unsigned token is refused by every production verifier.
    refused(&rsa_verifier(), &unsigned, ErrorKind::AlgorithmNone).await;
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of a raw signature: what a careless signer emits.
fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn int(v: &[u8]) -> Vec<u8> {
        let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let mut body = if v.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            vec![]
        };
        body.extend(v);
        let mut out = vec![0x02, body.len() as u8];
        out.extend(body);
        out
    }
    let mut body = int(r);
    body.extend(int(s));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[tokio::test]
async fn a27_weak_rsa_keys_in_a_key_set_are_dropped() {
    let idp = TestIdp::start().await;
    let mut short = keys().rsa.public_jwk();
    short["kid"] = json!("weak-1024");
    short["n"] = json!(b64url([0xC7u8; 128]));
    let mut exponent_one = keys().rsa.public_jwk();
    exponent_one["kid"] = json!("e-one");
    exponent_one["e"] = json!("AQ");
    let mut published = vec![short, exponent_one, keys().rsa2.public_jwk()];
    // The ROCA key of Wycheproof's JWK vectors, when they are beside the checkout.
    let vectors = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/wycheproof/json_web_key_test.json"
    );
    if let Ok(text) = std::fs::read_to_string(vectors) {
        let doc: Value = serde_json::from_str(&text).expect("JSON");
        let roca = doc["testGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["comment"] == "jws_rsa_roca_key")
            .expect("ROCA group");
        published.push(roca["public"]["keys"][0].clone());
    }
    idp.set_jwks_body(json!({"keys": published}));
    let v = jwks_verifier(&idp).await;
    for kid in ["weak-1024", "e-one", "kid-rsa-roca-sign"] {
        let token = JwsBuilder::new()
            .header(json!({"alg": "RS256", "kid": kid}))
            .payload(idp_claims(&idp))
            .sign(&keys().rsa, "RS256");
        refused(&v, &token, ErrorKind::UnknownKey).await;
    }
    let good = JwsBuilder::new()
        .header(json!({"alg": "RS256", "kid": "idp-rsa-2"}))
        .payload(idp_claims(&idp))
        .sign(&keys().rsa2, "RS256");
    assert!(
        v.verify(&good).await.is_ok(),
        "the strong key in the same set still works"
    );
}
