//! Heap allocations per request on the fast paths, counted with dhat's testing mode: a count
//! does not depend on the machine, so unlike a time it can be asserted. Each path is held to
//! an upper bound a little above today's count (printed with `--nocapture`), so that a change
//! which allocates more per request fails here, while the exact count stays free to fall.
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

/// Blocks allocated per call of `f`, over [`ROUNDS`] calls after a few to warm up.
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

    // The library call: parse (the decoded header, payload and signature, the header's and
    // the claims' maps), signature and claims.
    let direct = verifier();
    let verify = || {
        let jws = Jws::parse(&token).expect("a JWS");
        let verified = direct
            .verify_jws(&jws)
            .now_or_never()
            .expect("keys at hand");
        assert!(verified.is_ok());
    };
    let library = blocks_per_call(verify);
    println!("Jws::parse + Verifier::verify_jws: {library} blocks");
    assert!(
        library <= 30,
        "Jws::parse + Verifier::verify_jws: {library} blocks"
    );

    // Through the layer, against the same service without it: first sight (cache off) adds
    // the user (its record, its strings, the copy of the token it keeps) and the request
    // extension that carries it (http's extension map: its box, its table, the boxed value).
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

    let first_sight = no_cache(registry()).layer(inner);
    let layer = blocks_per_call(|| call(&first_sight, &auth)) - bare;
    println!("first sight through TamboAuthLayer: {layer} blocks");
    assert!(
        layer <= library + 8,
        "first sight through TamboAuthLayer: {layer} blocks"
    );

    // A cache hit allocates only the request extension: no copy of the token, no claims, no
    // user (the cached one is shared).
    let cached = TamboAuthLayer::direct(registry()).layer(inner);
    let hit = blocks_per_call(|| call(&cached, &auth)) - bare;
    assert!(hit <= 3, "cache hit through TamboAuthLayer: {hit} blocks");

    // A Tambo token's first sight: its claims, the user's record and strings, and the
    // request extension.
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
    let first_sight = no_cache(tokens).layer(inner);
    let tambo = blocks_per_call(|| call(&first_sight, &auth)) - bare;
    println!("first sight of a Tambo token through TamboAuthLayer: {tambo} blocks");
    assert!(
        tambo <= 16,
        "first sight of a Tambo token through TamboAuthLayer: {tambo} blocks"
    );
}

fn no_cache(verifier: impl tambo_auth::layer::BearerVerifier) -> TamboAuthLayer {
    TamboAuthLayer::builder(verifier)
        .cache_capacity(0)
        .build()
        .expect("a layer")
}
