use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, crypto};
use serde_json::json;

use super::*;
use crate::jws::JwsBuilder;

const INPUT: &[u8] = b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0";

fn algorithm(alg: &str) -> Algorithm {
    match alg {
        "Ed25519" => Algorithm::EdDSA,
        other => other.parse().expect("jsonwebtoken knows this alg"),
    }
}

fn key_from_jwk(key: &TestKey) -> DecodingKey {
    let jwk: Jwk = serde_json::from_value(key.public_jwk()).expect("jsonwebtoken parses our JWK");
    DecodingKey::from_jwk(&jwk).expect("usable JWK")
}

fn verifies(key: &TestKey, decoding: &DecodingKey, alg: &str) -> bool {
    let signature = crate::jws::b64url(key.sign(alg, INPUT));
    crypto::verify(&signature, INPUT, decoding, algorithm(alg)).expect("verifier runs")
}

fn pem_body(pem: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body: String = pem
        .lines()
        .skip_while(|line| *line != begin)
        .skip(1)
        .take_while(|line| *line != end)
        .collect();
    STANDARD.decode(body).expect("PEM body is base64")
}

fn asymmetric() -> [&'static TestKey; 5] {
    let f = fixtures();
    [&f.rsa, &f.rsa2, &f.ec, &f.ec384, &f.ed]
}

#[test]
fn every_key_kind_signs_every_supported_alg_and_the_public_jwk_verifies_it() {
    let f = fixtures();
    for key in asymmetric().into_iter().chain([&f.hmac]) {
        let decoding = key_from_jwk(key);
        for alg in key.kind().supported_algs() {
            assert!(verifies(key, &decoding, alg), "{key:?} {alg}");
        }
    }
}

#[test]
fn public_der_verifies_signatures_through_jsonwebtoken() {
    let f = fixtures();
    // SPKI for RSA; aws-lc also accepts SPKI where jsonwebtoken documents raw EC/Ed keys.
    assert!(verifies(
        &f.rsa,
        &DecodingKey::from_rsa_der(&f.rsa.public_der()),
        "PS384"
    ));
    assert!(verifies(
        &f.ec,
        &DecodingKey::from_ec_der(&f.ec.public_der()),
        "ES256"
    ));
    assert!(verifies(&f.ed, &f.ed.decoding_key(), "EdDSA"));
}

#[test]
fn a_signature_does_not_verify_under_another_key() {
    let f = fixtures();
    assert!(!verifies(&f.rsa, &key_from_jwk(&f.rsa2), "RS256"));
    assert!(!verifies(
        &f.ec,
        &TestKey::p256("other").decoding_key(),
        "ES256"
    ));
    assert!(!verifies(
        &f.hmac,
        &TestKey::hmac("other").decoding_key(),
        "HS256"
    ));
}

#[test]
fn ecdsa_signatures_are_fixed_width_r_and_s() {
    let f = fixtures();
    assert_eq!(f.ec.sign("ES256", INPUT).len(), 64);
    assert_eq!(f.ec384.sign("ES384", INPUT).len(), 96);
    assert_eq!(f.ed.sign("EdDSA", INPUT).len(), 64);
    assert_eq!(f.rsa.sign("RS256", INPUT).len(), 256);
    assert_eq!(f.hmac.sign("HS512", INPUT).len(), 64);
}

#[test]
fn public_jwks_have_the_documented_members() {
    let f = fixtures();
    let rsa = f.rsa.public_jwk();
    assert_eq!(
        (
            &rsa["kty"],
            &rsa["kid"],
            &rsa["use"],
            &rsa["alg"],
            &rsa["e"]
        ),
        (
            &json!("RSA"),
            &json!("idp-rsa-1"),
            &json!("sig"),
            &json!("RS256"),
            &json!("AQAB")
        )
    );
    let n = rsa["n"].as_str().expect("n is a string");
    assert_eq!(unb64(n).len(), 256, "2048-bit modulus, no leading zero");
    assert_eq!(f.ec384.public_jwk()["crv"], "P-384");
    assert_eq!(f.ec384.public_jwk()["alg"], "ES384");
    assert_eq!(
        unb64(f.ec384.public_jwk()["y"].as_str().expect("y")).len(),
        48
    );
    let ed = f.ed.public_jwk();
    assert_eq!((&ed["kty"], &ed["crv"]), (&json!("OKP"), &json!("Ed25519")));
    assert!(ed.get("y").is_none());
    let oct = f.hmac.public_jwk();
    assert_eq!(oct["kty"], "oct");
    assert_eq!(
        unb64(oct["k"].as_str().expect("k")),
        f.hmac.secret().expect("hmac secret")
    );
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

#[test]
fn public_pem_is_the_spki_der() {
    for key in asymmetric() {
        let pem = key.public_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{key:?}");
        assert_eq!(pem_body(&pem, "PUBLIC KEY"), key.public_der(), "{key:?}");
    }
}

#[test]
fn certificates_carry_the_public_key_and_are_stable_per_key() {
    for key in asymmetric() {
        let pem = key.certificate_pem();
        let der = pem_body(&pem, "CERTIFICATE");
        assert_eq!(der, key.certificate_der(), "{key:?}");
        let spki = key.public_der();
        assert!(
            der.windows(spki.len())
                .any(|window| window == spki.as_slice()),
            "{key:?}: certificate embeds the SPKI"
        );
        assert_eq!(key.certificate_pem(), pem, "built once per key");
    }
    let jwk = fixtures().rsa.public_jwk_with_x5c();
    let x5c = jwk["x5c"][0].as_str().expect("x5c[0]");
    assert_eq!(
        STANDARD.decode(x5c).expect("standard base64"),
        fixtures().rsa.certificate_der()
    );
    assert!(jwk["x5t#S256"].is_string() && jwk["x5t"].is_string());
}

#[test]
fn with_kid_keeps_the_material_and_renames() {
    let f = fixtures();
    let renamed = f.ec.with_kid("new-name");
    assert_eq!(renamed.kid(), "new-name");
    assert_eq!(renamed.public_der(), f.ec.public_der());
    assert_ne!(renamed, f.ec);
    assert_eq!(renamed.with_kid("idp-ec-1"), f.ec);
    assert!(verifies(&renamed, &f.ec.decoding_key(), "ES256"));
}

#[test]
fn hmac_keys_expose_their_secret_and_asymmetric_keys_do_not() {
    let key = TestKey::hmac_from("short", b"abc".to_vec());
    assert_eq!(key.secret(), Some(&b"abc"[..]));
    assert_eq!(fixtures().hmac.secret().map(<[u8]>::len), Some(32));
    assert_eq!(fixtures().rsa.secret(), None);
    assert_eq!(
        TestKey::hmac_from("empty", Vec::new())
            .sign("HS256", INPUT)
            .len(),
        32
    );
}

#[test]
fn debug_never_shows_key_material() {
    for key in asymmetric().into_iter().chain([&fixtures().hmac]) {
        let debug = format!("{key:?}");
        assert_eq!(
            debug,
            format!("TestKey {{ kid: {:?}, kind: {:?} }}", key.kid(), key.kind())
        );
    }
    let fixtures_debug = format!("{:?}", fixtures());
    let secret = crate::jws::b64url(fixtures().hmac.secret().expect("secret"));
    assert!(!fixtures_debug.contains(&secret));
}

#[test]
fn fixtures_have_the_documented_kids_and_kinds() {
    let f = fixtures();
    let got: Vec<(&str, KeyKind)> = [&f.rsa, &f.rsa2, &f.ec, &f.ec384, &f.ed, &f.hmac]
        .iter()
        .map(|k| (k.kid(), k.kind()))
        .collect();
    assert_eq!(
        got,
        [
            ("idp-rsa-1", KeyKind::Rsa),
            ("idp-rsa-2", KeyKind::Rsa),
            ("idp-ec-1", KeyKind::P256),
            ("idp-ec384-1", KeyKind::P384),
            ("idp-ed-1", KeyKind::Ed25519),
            ("idp-hmac-1", KeyKind::Hmac),
        ]
    );
    assert!(std::ptr::eq(f, fixtures()), "generated once");
}

#[test]
#[should_panic(expected = "cannot sign with alg \"ES384\"")]
fn signing_with_an_alg_the_key_cannot_do_panics() {
    fixtures().ec.sign("ES384", INPUT);
}

#[test]
#[should_panic(expected = "has no public key")]
fn public_pem_of_an_hmac_key_panics() {
    fixtures().hmac.public_pem();
}

#[test]
fn jsonwebtoken_round_trips_with_encoding_and_decoding_keys() {
    let claims = json!({"sub": "user-1", "exp": crate::claims::now() + 60});
    for key in asymmetric().into_iter().chain([&fixtures().hmac]) {
        let alg = algorithm(key.default_alg());
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = Some(key.kid().to_owned());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding_key())
            .unwrap_or_else(|e| panic!("{key:?} encodes: {e}"));
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &key.decoding_key(),
            &Validation::new(alg),
        )
        .unwrap_or_else(|e| panic!("{key:?} decodes: {e}"));
        assert_eq!(decoded.claims["sub"], "user-1");
    }
}

#[test]
fn builder_tokens_verify_with_jsonwebtoken() {
    let key = &fixtures().rsa;
    let token = JwsBuilder::new()
        .header(json!({"alg": "PS256", "kid": key.kid()}))
        .payload(json!({"sub": "s", "exp": crate::claims::now() + 60}))
        .sign(key, "PS256");
    let decoded = jsonwebtoken::decode::<serde_json::Value>(
        &token,
        &key_from_jwk(key),
        &Validation::new(Algorithm::PS256),
    )
    .expect("valid PS256 token");
    assert_eq!(decoded.claims["sub"], "s");
}

#[test]
fn jwks_lists_public_jwks_in_order() {
    let f = fixtures();
    let set = jwks(&[f.ec.clone(), f.ed.clone()]);
    assert_eq!(set["keys"][0]["kid"], "idp-ec-1");
    assert_eq!(set["keys"][1]["kid"], "idp-ed-1");
}
