//! Heap allocations per request on the fast paths (issue 6: "no per-request allocation beyond
//! the claims"), counted with dhat's testing mode: a count does not depend on the machine,
//! so unlike a time it can be asserted.
//!
//! One test function: dhat counts every thread of the process, and only one profiler may run
//! at a time. The counts are those of the default aws-lc-rs backend, whose keys are parsed
//! once; the RustCrypto backend goes through jsonwebtoken, which allocates per check.

#![cfg(feature = "aws-lc-rs")]

use std::convert::Infallible;

use futures_util::FutureExt as _;
use http::{HeaderValue, Request, Response, StatusCode, header::AUTHORIZATION};
use serde_json::json;
use tambo_auth::jwt::{Claims, Jws};
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, OidcProvider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::jws;
use tambo_auth_testkit::keys::fixtures;
use tower::{Layer as _, Service, ServiceExt as _};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ISSUER: &str = "https://idp.example.com/";
const AUDIENCE: &str = "https://api.example.com";
const ROUNDS: u64 = 50;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Blocks allocated per call of `f`, over [`ROUNDS`] calls after a few to warm up (the
/// first calls fill the bounded memos: headers of verified tokens, issuer forms, names).
fn blocks_per_call(mut f: impl FnMut()) -> u64 {
    for _ in 0..3 {
        f();
    }
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..ROUNDS {
        f();
    }
    let after = dhat::HeapStats::get().total_blocks;
    let total = after - before;
    assert_eq!(total % ROUNDS, 0, "{total} blocks over {ROUNDS} calls");
    total / ROUNDS
}

fn request(auth: &HeaderValue) -> Request<()> {
    let mut request = Request::new(());
    request.headers_mut().insert(AUTHORIZATION, auth.clone());
    request
}

/// Calls `service` once with `auth`, which must be accepted without waiting.
fn call<S>(service: &S, auth: &HeaderValue)
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible> + Clone,
{
    let response = service
        .clone()
        .oneshot(request(auth))
        .now_or_never()
        .expect("decided without waiting")
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
}

#[test]
fn the_fast_paths_allocate_only_what_the_token_needs() {
    let _profiler = dhat::Profiler::builder().testing().build();

    let key = &fixtures().rsa;
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "jti": "j-1",
        "iat": now(), "nbf": now(), "exp": now() + 3600,
    });
    let token = jws::token(key, &claims);
    let verifier = || {
        Verifier::builder(ISSUER)
            .audience(AUDIENCE)
            .public_key_pem(key.public_pem())
            .algorithms([Algorithm::RS256])
            .build()
            .expect("a static-key verifier")
    };

    // The library call: parse, signature, claims. The first token of a key also keeps its
    // header; every later one allocates the decoded payload (which becomes the claims'
    // text), the claims' index and their shared handle, and nothing else (the signature is
    // decoded on the stack).
    let direct = verifier();
    let verify = || {
        let jws = Jws::parse(&token).expect("a JWS");
        let verified = direct.verify_jws_now(&jws).expect("keys at hand");
        assert!(verified.is_ok());
    };
    assert_eq!(
        blocks_per_call(verify),
        3,
        "Jws::parse + Verifier::verify_jws_now"
    );

    // Through the layer, against the same service without it: first sight (cache off) adds
    // the verification above, the user (its record, and its context key, which ends with its
    // subject) and the request extension that carries it (http's extension map: its box, its
    // table, the boxed value).
    let inner =
        tower::service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) });
    let registry = || {
        ProviderRegistry::builder()
            .provider(OidcProvider::new("idp", verifier()))
            .build()
            .expect("a registry")
    };
    let auth = HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
    let bare = blocks_per_call(|| call(&inner, &auth));

    let first_sight = TamboAuthLayer::direct(registry())
        .cache_capacity(0)
        .layer(inner);
    assert_eq!(
        blocks_per_call(|| call(&first_sight, &auth)) - bare,
        3 + 2 + 3,
        "first sight through TamboAuthLayer"
    );

    // A cache hit allocates only the request extension: no copy of the token, no claims, no
    // user (the cached one is shared).
    let cached = TamboAuthLayer::direct(registry()).layer(inner);
    assert_eq!(
        blocks_per_call(|| call(&cached, &auth)) - bare,
        3,
        "cache hit through TamboAuthLayer"
    );

    // A Tambo token's first sight: the same three blocks for its claims; the user's record,
    // its context key (the token's `ctx`) and its token id (`jti`), whose issuer, project and
    // provider names are shared; and the request extension.
    let tokens = TamboTokens::builder("https://auth.example.com")
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("a key"))
        .build()
        .expect("tokens");
    let user = TamboUser::from_claims(
        "idp",
        ISSUER,
        Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
    )
    .expect("a user");
    let issued = tokens
        .issue(IssueRequest::new(&user, "p_demo"))
        .expect("issued");
    let auth =
        HeaderValue::from_str(&format!("Bearer {}", issued.access_token)).expect("a header value");
    let first_sight = TamboAuthLayer::new(tokens).cache_capacity(0).layer(inner);
    assert_eq!(
        blocks_per_call(|| call(&first_sight, &auth)) - bare,
        3 + 3 + 3,
        "first sight of a Tambo token through TamboAuthLayer"
    );
}
