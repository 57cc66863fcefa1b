//! JWK parsing (RFC 7517, RFC 7518 §6, RFC 8037) with the checks a crypto backend leaves to us:
//! `use`, `key_ops`, `alg` consistency, private members, and key strength.

use serde_json::{Map, Value};

use super::VerificationKey;
use crate::jwt::{Algorithm, Curve, Family, b64_decode};

/// Which keys a JWK source may provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwkPolicy {
    /// Public keys only: what a published JWKS may hold. `oct` keys and any key carrying
    /// private members are refused (Wycheproof JWK tcId 1, docs/security.md A-35).
    PublicOnly,
    /// HMAC secrets only (`kty: oct`): for a locally configured symmetric JWK.
    SymmetricOnly,
}

const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

pub(super) fn parse(jwk: &Value, policy: JwkPolicy) -> Result<VerificationKey, String> {
    let obj = jwk.as_object().ok_or("a JWK must be a JSON object")?;
    let kty = str_member(obj, "kty")?.ok_or("the JWK has no `kty`")?;
    let kid = str_member(obj, "kid")?.map(str::to_owned);
    if kid
        .as_ref()
        .is_some_and(|k| k.len() > crate::jwt::MAX_KID_BYTES)
    {
        return Err("the JWK `kid` is too long".into());
    }

    if let Some(usage) = str_member(obj, "use")?
        && usage != "sig"
    {
        return Err(format!("the key is for `use: {usage}`, not signatures"));
    }
    if let Some(ops) = obj.get("key_ops") {
        let ops = ops.as_array().ok_or("`key_ops` is not an array")?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err("`key_ops` does not allow `verify`".into());
        }
    }
    let alg = match str_member(obj, "alg")? {
        None => None,
        Some(name) => Some(
            Algorithm::from_header(name)
                .map_err(|_| format!("`alg: {name}` is not a supported signature algorithm"))?,
        ),
    };

    let key = match (kty, policy) {
        ("oct", JwkPolicy::SymmetricOnly) => {
            let k = bytes_member(obj, "k")?.ok_or("the `oct` key has no `k`")?;
            let min = alg.and_then(Algorithm::min_secret_len).unwrap_or(32);
            if k.len() < min {
                return Err(format!(
                    "the HMAC secret has {} bytes, {min} are required",
                    k.len()
                ));
            }
            VerificationKey::hmac(&k, kid, alg)
        }
        ("oct", JwkPolicy::PublicOnly) => {
            return Err("a symmetric (`oct`) key has no place in a public key set".into());
        }
        (_, JwkPolicy::SymmetricOnly) => {
            return Err(format!("`kty: {kty}` where an HMAC secret was expected"));
        }
        _ if PRIVATE_MEMBERS.iter().any(|m| obj.contains_key(*m)) => {
            return Err("the key carries private members; a public key set must not".into());
        }
        ("RSA", _) => {
            let n = bytes_member(obj, "n")?.ok_or("the RSA key has no `n`")?;
            let e = bytes_member(obj, "e")?.ok_or("the RSA key has no `e`")?;
            VerificationKey::rsa(&n, &e, kid, alg)?
        }
        ("EC", _) => {
            let curve = match str_member(obj, "crv")? {
                Some("P-256") => Curve::P256,
                Some("P-384") => Curve::P384,
                Some(other) => return Err(format!("the curve {other} is not supported")),
                None => return Err("the EC key has no `crv`".into()),
            };
            let x = bytes_member(obj, "x")?.ok_or("the EC key has no `x`")?;
            let y = bytes_member(obj, "y")?.ok_or("the EC key has no `y`")?;
            VerificationKey::ec(curve, &x, &y, kid, alg)?
        }
        ("OKP", _) => match str_member(obj, "crv")? {
            Some("Ed25519") => {
                let x = bytes_member(obj, "x")?.ok_or("the OKP key has no `x`")?;
                VerificationKey::ed25519(&x, kid, alg)?
            }
            Some(other) => {
                return Err(format!(
                    "the OKP curve {other} is not for signatures we verify"
                ));
            }
            None => return Err("the OKP key has no `crv`".into()),
        },
        (other, _) => return Err(format!("`kty: {other}` is not supported")),
    };

    if let Some(alg) = alg
        && !key.family_fits(alg)
    {
        return Err(format!(
            "`alg: {alg}` does not fit this key's type or curve"
        ));
    }
    // An HMAC key pinned by `alg` still needs the length for that hash; checked above.
    debug_assert!(alg.is_none_or(|a| a.family() != Family::Hmac || key.supports(a)));
    Ok(key)
}

fn str_member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("the JWK member `{name}` is not a string")),
    }
}

fn bytes_member(obj: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, String> {
    match str_member(obj, name)? {
        None => Ok(None),
        Some(s) => b64_decode(s)
            .map(Some)
            .ok_or_else(|| format!("the JWK member `{name}` is not canonical base64url")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const X: &str = "04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY";
    const Y: &str = "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw";

    fn ec(extra: Value) -> Value {
        let mut v = json!({"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "ec"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    }

    #[test]
    fn a_valid_ec_key_loads_and_pins_its_curve() {
        let key = parse(
            &ec(json!({"alg": "ES256", "use": "sig"})),
            JwkPolicy::PublicOnly,
        )
        .unwrap();
        assert!(key.supports(Algorithm::ES256));
        assert!(!key.supports(Algorithm::ES384));
        assert!(!key.supports(Algorithm::HS256));
    }

    #[test]
    fn keys_for_other_uses_or_with_private_parts_are_refused() {
        for extra in [
            json!({"use": "enc"}),
            json!({"key_ops": ["encrypt"]}),
            json!({"alg": "ES384"}),
            json!({"alg": "ES521"}),
            json!({"alg": "RSA-OAEP-256"}),
            json!({"d": "yy49oPcINGK2ps0LmtxpB6UTEOiITghHBif6wDqmJ3c"}),
            json!({"crv": "P-384"}),
            json!({"y": "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgnw"}),
            json!({"kty": "RSA"}),
            json!({"crv": "secp256k1"}),
        ] {
            assert!(
                parse(&ec(extra.clone()), JwkPolicy::PublicOnly).is_err(),
                "{extra}"
            );
        }
    }

    #[test]
    fn symmetric_keys_only_where_asked_for() {
        let oct = json!({"kty": "oct", "k": crate::jwt::b64_encode([5u8; 32])});
        assert!(parse(&oct, JwkPolicy::PublicOnly).is_err());
        assert!(parse(&oct, JwkPolicy::SymmetricOnly).is_ok());
        let short = json!({"kty": "oct", "k": crate::jwt::b64_encode([5u8; 31])});
        assert!(parse(&short, JwkPolicy::SymmetricOnly).is_err());
        let hs512 = json!({"kty": "oct", "alg": "HS512", "k": crate::jwt::b64_encode([5u8; 48])});
        assert!(parse(&hs512, JwkPolicy::SymmetricOnly).is_err());
        assert!(parse(&ec(json!({})), JwkPolicy::SymmetricOnly).is_err());
    }

    #[test]
    fn unknown_key_types_are_refused_with_a_reason() {
        for jwk in [
            json!({"kty": "OKP", "crv": "X25519", "x": X}),
            json!({"kty": "AKP", "alg": "ML-DSA-44", "pub": "AAAA"}),
            json!({"kty": "EC", "crv": "secp256k1", "x": X, "y": Y}),
            json!({"kid": "no-kty"}),
            json!("not an object"),
        ] {
            assert!(parse(&jwk, JwkPolicy::PublicOnly).is_err(), "{jwk}");
        }
    }
}
