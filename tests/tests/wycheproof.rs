//! Project Wycheproof's JWS and JWK vectors, read from `../shared/vectors/wycheproof/`
//! (Apache-2.0) beside the checkout, run at the signature layer (their payload is `"foo"`,
//! not a claims set): strict parsing, header policy, key loading, key selection, signature.
//!
//! Where we reject a case Wycheproof marks `valid`, the case is listed below with the reason.

use std::path::PathBuf;

use serde_json::Value;
use tambo_auth::jwt::Jws;
use tambo_auth::keys::{JwkPolicy, KeySet, VerificationKey};

/// Cases whose expectation we override, with why. Every entry is checked against the file
/// by `overrides_are_really_in_the_file`, so the list cannot rot silently.
const OVERRIDES: &[(&str, u64, Override)] = &[
    (
        SIG,
        346,
        Override::Reject(
            "the JWK pins alg PS256 and the token uses PS384: one key, one algorithm (RFC 8725 bis §3.1)",
        ),
    ),
    (
        SIG,
        350,
        Override::Reject(
            "the JWK pins alg PS256 and the token uses PS384: one key, one algorithm (RFC 8725 bis §3.1)",
        ),
    ),
    (
        SIG,
        347,
        Override::Reject("ES512 (P-521) is not supported: jsonwebtoken has no ES512"),
    ),
    (
        SIG,
        351,
        Override::Reject("ES512 (P-521) is not supported: jsonwebtoken has no ES512"),
    ),
    (
        SIG,
        372,
        Override::Reject(
            "a `?` inside the header segment is not base64url; RFC 8725 bis §3.14 requires rejecting it",
        ),
    ),
    (
        SIG,
        373,
        Override::Reject(
            "a `?` inside the payload segment is not base64url; RFC 8725 bis §3.14 requires rejecting it",
        ),
    ),
    // These two say "invalid padding", but their token is byte-identical to tcId 357
    // (valid): the padding the comment describes is not in this copy of the file. No
    // verifier can both accept 357 and reject them; padded forms are refused by the
    // `non_canonical_base64url_is_refused` unit test.
    (SIG, 367, Override::SameTokenAs(357)),
    (SIG, 370, Override::SameTokenAs(357)),
];

const SIG: &str = "json_web_signature_test.json";

#[derive(Debug, Clone, Copy)]
enum Override {
    /// A `valid` case we reject on purpose.
    Reject(&'static str),
    /// An `invalid` case whose token is identical to this valid case's.
    SameTokenAs(u64),
}

fn expected_valid(file: &str, tc: u64, result: &Value) -> bool {
    match OVERRIDES.iter().find(|(f, id, _)| *f == file && *id == tc) {
        Some((_, _, Override::Reject(_))) => false,
        Some((_, _, Override::SameTokenAs(_))) => true,
        None => result == "valid",
    }
}

fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/wycheproof");
    dir.is_dir().then_some(dir)
}

/// The vector file `name`, or `None` (the suite skipped) when the vectors are not beside this
/// checkout; in CI (`CI` set) missing vectors fail the suite instead of skipping it.
fn load(name: &str) -> Option<Value> {
    let Some(dir) = vectors_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ../shared/vectors/wycheproof is not beside this checkout: the suite would check nothing"
        );
        println!("skipped: ../shared/vectors/wycheproof is not beside this checkout");
        return None;
    };
    let text = std::fs::read_to_string(dir.join(name)).expect("vector file readable");
    Some(serde_json::from_str(&text).expect("vector file is JSON"))
}

/// The key set a group describes: its public key(s), or its symmetric private key(s).
fn key_set(group: &Value) -> Result<KeySet, String> {
    let (source, policy) = match group.get("public") {
        Some(public) => (public, JwkPolicy::PublicOnly),
        None => (
            group.get("private").ok_or("group without keys")?,
            JwkPolicy::SymmetricOnly,
        ),
    };
    if source.get("keys").is_some() {
        let text = source.to_string();
        let (set, skipped) =
            KeySet::from_jwks(text.as_bytes(), policy, 100).map_err(|e| e.to_string())?;
        // A set with a refused key is refused whole here: every key in these sets is the
        // one under test.
        if let Some(reason) = skipped.first() {
            return Err(reason.clone());
        }
        Ok(set)
    } else {
        let key = VerificationKey::from_jwk(source, policy).map_err(|e| e.to_string())?;
        KeySet::new(vec![key]).map_err(|e| e.to_string())
    }
}

fn verify(set: &KeySet, token: &str) -> Result<(), String> {
    let jws = Jws::parse(token).map_err(|e| e.to_string())?;
    let alg = jws.header().alg().map_err(|e| e.to_string())?;
    set.verify(&jws, alg).map(drop).map_err(|e| e.to_string())
}

fn run(file: &str) -> Option<(usize, usize)> {
    let doc = load(file)?;
    let mut checked = 0;
    let mut accepted = 0;
    let mut failures = Vec::new();
    for group in doc["testGroups"].as_array().expect("testGroups") {
        let set = key_set(group);
        for case in group["tests"].as_array().expect("tests") {
            let tc = case["tcId"].as_u64().expect("tcId");
            let token = case["jws"].as_str().unwrap_or_default();
            let outcome = set
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|s| verify(s, token));
            let expected_valid = expected_valid(file, tc, &case["result"]);
            checked += 1;
            match (&outcome, expected_valid) {
                (Ok(()), true) => accepted += 1,
                (Err(_), false) => {}
                (Ok(()), false) => failures.push(format!(
                    "tcId {tc}: accepted an invalid case ({})",
                    case["comment"]
                )),
                (Err(e), true) => failures.push(format!("tcId {tc}: rejected a valid case: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{file}:\n{}", failures.join("\n"));
    Some((checked, accepted))
}

#[test]
fn every_json_web_signature_case_meets_its_expectation() {
    if let Some((checked, accepted)) = run("json_web_signature_test.json") {
        assert_eq!(checked, 401, "all 401 cases ran");
        assert!(accepted >= 30, "the valid cases really verify ({accepted})");
    }
}

#[test]
fn every_json_web_key_case_meets_its_expectation() {
    if let Some((checked, accepted)) = run("json_web_key_test.json") {
        assert_eq!(checked, 26, "all 26 cases ran");
        assert!(accepted >= 5, "the valid cases really verify ({accepted})");
    }
}

#[test]
fn overrides_are_really_in_the_file() {
    let Some(doc) = load(SIG) else {
        return;
    };
    let case = |id: u64| {
        doc["testGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["tests"].as_array().into_iter().flatten())
            .find(|t| t["tcId"].as_u64() == Some(id))
            .expect("listed tcId exists")
    };
    for (_, id, why) in OVERRIDES {
        match why {
            Override::Reject(reason) => {
                assert_eq!(case(*id)["result"], "valid", "tcId {id}");
                println!("tcId {id} rejected on purpose: {reason}");
            }
            Override::SameTokenAs(other) => {
                assert_eq!(case(*id)["result"], "invalid", "tcId {id}");
                assert_eq!(case(*other)["result"], "valid", "tcId {other}");
                assert_eq!(case(*id)["jws"], case(*other)["jws"], "tcId {id}");
            }
        }
    }
}

#[test]
fn weak_rsa_keys_are_refused_for_the_right_reason() {
    let Some(doc) = load("json_web_key_test.json") else {
        return;
    };
    let groups = doc["testGroups"].as_array().expect("groups");
    for (comment, reason) in [
        ("jws_rsa_roca_key", "ROCA"),
        ("keysize_too_small", "1024 bits"),
        ("exponentOne", "exponent"),
        ("invalid_point", "not on the curve"),
        ("jws_duplicate_kid", ""),
    ] {
        let group = groups
            .iter()
            .find(|g| g["comment"] == comment)
            .expect("group exists");
        match key_set(group) {
            Err(e) => assert!(e.contains(reason), "{comment}: {e}"),
            // Duplicate kids load, and the kid is then ambiguous.
            Ok(set) => {
                assert_eq!(comment, "jws_duplicate_kid");
                let token = group["tests"][0]["jws"].as_str().expect("jws");
                let err = verify(&set, token).expect_err("ambiguous");
                assert!(err.contains("does not say which"), "{err}");
            }
        }
    }
}
