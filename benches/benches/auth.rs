//! Every row of issue 6's table, side by side in one run, in-process through
//! `tower::ServiceExt::oneshot` (a fresh router clone and a fresh request per iteration, as a
//! server does per request). Every router is first materialized with `with_state(())`, as
//! `axum::serve` does once per connection; without it axum would rebuild each route's
//! handler and layers on every request, a cost no server pays.
//!
//! ```text
//! cargo bench -p tambo-auth-benches --bench auth -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Groups (one per row):
//! - `router`: the bare axum 0.8 router, and tower-http's static bearer check (the floor);
//! - `naive_jsonwebtoken`: `jsonwebtoken::decode` per request in an axum middleware;
//! - `jwt_authorizer`: jwt-authorizer 0.15 on axum 0.7;
//! - `layer_hit`: `TamboAuthLayer` with a repeated token (verified-token cache hit);
//! - `layer_first_sight`: `TamboAuthLayer` verifying every request (cache disabled), and
//!   distinct tokens through the default cache;
//! - `verify_only`: the library's verification without a router (for the breakdown);
//! - `floor_signature`: the signature check alone with a key parsed once (aws-lc-rs);
//! - `exchange`: `POST /oauth/token` against its two crypto operations;
//! - `grpc`: a unary tonic call (`examples/tonic-threads`' `WhoAmI`), bare with the user
//!   already in the request against `TamboAuthLayer` with a repeated token.

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderValue, Request, StatusCode, header::AUTHORIZATION};
use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::IssueRequest;
use tambo_auth_benches::{self as b, ProviderAlg};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

fn rt() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn get07(auth: &HeaderValue) -> Request<axum07::body::Body> {
    let mut request = Request::get("/")
        .body(axum07::body::Body::empty())
        .expect("request");
    request.headers_mut().insert(AUTHORIZATION, auth.clone());
    request
}

/// Checks that `router` answers 200 to `auth` (we only ever time the success path).
fn check(rt: &Runtime, router: &Router, auth: Option<&HeaderValue>, what: &str) {
    let status = rt
        .block_on(router.clone().oneshot(b::get_request(auth)))
        .map(|r| r.status());
    assert_eq!(status.ok(), Some(StatusCode::OK), "{what} must answer 200");
}

fn bench_router(
    c: &mut Criterion,
    rt: &Runtime,
    name: &str,
    id: &str,
    router: Router,
    auth: Option<HeaderValue>,
) {
    let router = router.with_state(());
    check(rt, &router, auth.as_ref(), id);
    let mut group = c.benchmark_group(name);
    group.bench_function(id, |bencher| {
        bencher.to_async(rt).iter(|| {
            let request = b::get_request(auth.as_ref());
            let router = router.clone();
            async move { black_box(router.oneshot(request).await) }
        });
    });
    group.finish();
}

fn rows(c: &mut Criterion) {
    let rt = rt();

    // --- router -------------------------------------------------------------------------------
    bench_router(c, &rt, "router", "bare", b::bare_router(), None);
    bench_router(
        c,
        &rt,
        "router",
        "static_bearer",
        b::static_bearer_router(),
        Some(b::bearer(b::STATIC_TOKEN)),
    );

    // --- naive jsonwebtoken ---------------------------------------------------------------------
    for alg in ProviderAlg::ALL {
        let auth = b::bearer(&b::provider_token(alg, "alice"));
        bench_router(
            c,
            &rt,
            "naive_jsonwebtoken",
            alg.name(),
            b::naive_router(alg),
            Some(auth),
        );
    }

    // --- jwt-authorizer 0.15 (axum 0.7) -------------------------------------------------------
    for alg in [ProviderAlg::Rs256, ProviderAlg::Es256, ProviderAlg::EdDsa] {
        let router = rt.block_on(b::jwt_authorizer_router(alg)).with_state(());
        let auth = b::bearer(&b::provider_token(alg, "alice"));
        let status = rt
            .block_on(router.clone().oneshot(get07(&auth)))
            .map(|r| r.status());
        assert_eq!(
            status.ok(),
            Some(StatusCode::OK),
            "jwt-authorizer {}",
            alg.name()
        );
        let mut group = c.benchmark_group("jwt_authorizer");
        group.bench_function(alg.name(), |bencher| {
            bencher.to_async(&rt).iter(|| {
                let request = get07(&auth);
                let router = router.clone();
                async move { black_box(router.oneshot(request).await) }
            });
        });
        group.finish();
    }

    // --- our layer: cache hit -----------------------------------------------------------------
    {
        let tokens = b::tambo_tokens(Algorithm::EdDSA);
        let auth = b::bearer(&b::tambo_token(&tokens, "alice"));
        bench_router(
            c,
            &rt,
            "layer_hit",
            "tambo_EdDSA",
            b::layered(TamboAuthLayer::new(tokens)),
            Some(auth),
        );
        let auth = b::bearer(&b::provider_token(ProviderAlg::Rs256, "alice"));
        let layer = TamboAuthLayer::direct(b::static_registry(ProviderAlg::Rs256));
        bench_router(
            c,
            &rt,
            "layer_hit",
            "direct_RS256",
            b::layered(layer),
            Some(auth),
        );
    }

    // --- our layer: first sight ---------------------------------------------------------------
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256] {
        let tokens = b::tambo_tokens(alg);
        let auth = b::bearer(&b::tambo_token(&tokens, "alice"));
        let layer = b::no_cache(tokens);
        bench_router(
            c,
            &rt,
            "layer_first_sight",
            &format!("tambo_{alg}"),
            b::layered(layer),
            Some(auth),
        );
    }
    for alg in ProviderAlg::ALL {
        let auth = b::bearer(&b::provider_token(alg, "alice"));
        let layer = b::no_cache(b::static_registry(alg));
        bench_router(
            c,
            &rt,
            "layer_first_sight",
            &format!("direct_{}", alg.name()),
            b::layered(layer),
            Some(auth),
        );
    }
    first_sight_distinct_tokens(c, &rt);

    // --- the library without a router -----------------------------------------------------------
    {
        let mut group = c.benchmark_group("verify_only");
        for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256] {
            let tokens = b::tambo_tokens(alg);
            let token = b::tambo_token(&tokens, "alice");
            assert!(tokens.verify(&token).is_ok());
            group.bench_function(format!("TamboTokens::verify_{alg}"), |bencher| {
                bencher.iter(|| black_box(tokens.verify(black_box(&token))));
            });
        }
        for alg in [ProviderAlg::Rs256, ProviderAlg::EdDsa] {
            let verifier = b::static_verifier(alg);
            let token = b::provider_token(alg, "alice");
            assert!(rt.block_on(verifier.verify(&token)).is_ok());
            group.bench_function(format!("Verifier::verify_{}", alg.name()), |bencher| {
                bencher
                    .to_async(&rt)
                    .iter(|| async { black_box(verifier.verify(black_box(&token)).await) });
            });
            group.bench_function(
                format!("Verifier::verify_jws_first_poll_{}", alg.name()),
                |bencher| {
                    use futures_util::FutureExt as _;
                    bencher.iter(|| {
                        let jws = tambo_auth::jwt::Jws::parse(black_box(&token));
                        black_box(jws.map(|jws| verifier.verify_jws(&jws).now_or_never()))
                    });
                },
            );
            group.bench_function(format!("Jws::parse_and_claims_{}", alg.name()), |bencher| {
                bencher.iter(|| {
                    let jws = tambo_auth::jwt::Jws::parse(black_box(&token));
                    black_box(jws.map(|jws| jws.claims().map(|c| c.exp())))
                });
            });
        }
        group.finish();
    }

    // --- the floor: signature check alone, key parsed once (aws-lc-rs) ---------------------------
    {
        let mut group = c.benchmark_group("floor_signature");
        let provider =
            |alg: ProviderAlg| (alg.name().to_owned(), alg, b::provider_token(alg, "alice"));
        // Tambo tokens are longer than provider tokens (a dozen claims), and their first-sight
        // rows compare with the signature check of the same token.
        let tambo = |alg: Algorithm| {
            let token = b::tambo_token(&b::tambo_tokens(alg), "alice");
            (format!("tambo_{alg}"), b::tambo_key(alg), token)
        };
        let rows = [
            provider(ProviderAlg::Rs256),
            provider(ProviderAlg::Es256),
            provider(ProviderAlg::EdDsa),
            tambo(Algorithm::EdDSA),
            tambo(Algorithm::ES256),
            provider(ProviderAlg::Hs256),
            tambo(Algorithm::HS256),
        ];
        for (id, alg, token) in rows {
            let (input, signature) = b::signing_input_and_signature(&token);
            let key = b::FloorKey::new(alg);
            assert!(key.verify(&input, &signature), "{id} floor");
            group.bench_function(id, |bencher| {
                bencher.iter(|| black_box(key.verify(black_box(&input), black_box(&signature))));
            });
        }
        group.finish();
    }

    exchange(c, &rt);
    grpc(c, &rt);
}

/// A unary gRPC `WhoAmI` call through the tonic service of `examples/tonic-threads`, its
/// response body collected (so the reply is encoded). The bare row hands the service a request
/// that already carries the user, the layer row a bearer token the cache has seen.
fn grpc(c: &mut Criterion, rt: &Runtime) {
    use example_tonic_threads::{Threads, paths};
    use http_body_util::BodyExt as _;
    use tower::Layer as _;

    let tokens = b::tambo_tokens(Algorithm::EdDSA);
    let token = b::tambo_token(&tokens, "alice");
    let user = tokens.verify(&token).expect("valid token");
    let auth = b::bearer(&token);
    let request = |user: Option<&tambo_auth::TamboUser>| {
        // An empty protobuf message in one uncompressed gRPC frame.
        let frame = bytes::Bytes::from_static(&[0, 0, 0, 0, 0]);
        let mut request = Request::post(paths::WHOAMI)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(tonic::body::Body::new(http_body_util::Full::new(frame)))
            .expect("request");
        match user {
            Some(user) => {
                request.extensions_mut().insert(user.clone());
            }
            None => {
                request.headers_mut().insert(AUTHORIZATION, auth.clone());
            }
        }
        request
    };
    let bare = Threads::default();
    let layered = TamboAuthLayer::new(tokens).layer(Threads::default());
    let call = |response: http::Response<tonic::body::Body>| async move {
        let status = response.headers().get("grpc-status").cloned();
        let body = response.into_body().collect().await.expect("body");
        let trailers = body.trailers().and_then(|t| t.get("grpc-status")).cloned();
        (status.or(trailers), body.to_bytes())
    };
    let replies = [
        (
            "bare",
            rt.block_on(bare.clone().oneshot(request(Some(&user)))),
        ),
        ("layer", rt.block_on(layered.clone().oneshot(request(None)))),
    ];
    for (name, response) in replies {
        let (status, body) = rt.block_on(call(response.expect("infallible")));
        assert_eq!(
            status.as_ref().map(|s| s.as_bytes()),
            Some(&b"0"[..]),
            "{name}: grpc-status"
        );
        assert!(
            body.windows(5).any(|w| w == b"alice"),
            "{name}: the reply names the user"
        );
    }
    let mut group = c.benchmark_group("grpc");
    group.bench_function("bare_user_in_extensions", |bencher| {
        bencher.to_async(rt).iter(|| {
            let request = request(Some(&user));
            let service = bare.clone();
            async move {
                let response = service.oneshot(request).await.expect("infallible");
                black_box(call(response).await)
            }
        });
    });
    group.bench_function("layer_hit_tambo_EdDSA", |bencher| {
        bencher.to_async(rt).iter(|| {
            let request = request(None);
            let service = layered.clone();
            async move {
                let response = service.oneshot(request).await.expect("infallible");
                black_box(call(response).await)
            }
        });
    });
    group.finish();
}

/// Distinct tokens through the default 10 000-entry cache once it is full: every request is
/// a verification, a digest, a miss and an insert that evicts.
fn first_sight_distinct_tokens(c: &mut Criterion, rt: &Runtime) {
    const POOL: usize = 40_000;
    let tokens = b::tambo_tokens(Algorithm::EdDSA);
    let pool: Vec<HeaderValue> = (0..POOL)
        .map(|i| b::bearer(&b::tambo_token(&tokens, &format!("user-{i}"))))
        .collect();
    let layer = TamboAuthLayer::new(tokens);
    let router = b::layered(layer.clone()).with_state(());
    // Fill the cache to capacity first.
    for auth in &pool[..tambo_auth::layer::DEFAULT_CACHE_CAPACITY] {
        check(rt, &router, Some(auth), "distinct tokens");
    }
    let before = layer.cache_stats();
    let mut next = 0usize;
    let mut group = c.benchmark_group("layer_first_sight");
    group.bench_function("tambo_EdDSA_distinct_tokens_full_cache_10k", |bencher| {
        bencher.to_async(rt).iter(|| {
            next = (next + 1) % POOL;
            let request = b::get_request(Some(&pool[next]));
            let router = router.clone();
            async move { black_box(router.oneshot(request).await) }
        });
    });
    group.finish();
    let after = layer.cache_stats();
    eprintln!(
        "distinct tokens, full cache: {} misses, {} hits during the run; {} entries (capacity {})",
        after.misses - before.misses,
        after.hits - before.hits,
        after.entries,
        tambo_auth::layer::DEFAULT_CACHE_CAPACITY
    );
}

/// `POST /oauth/token` against the two crypto operations it cannot avoid.
fn exchange(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("exchange");
    // Our signing key: Ed25519 (the default), parsed once, for the floor row.
    let ours = aws_lc_rs::signature::Ed25519KeyPair::generate().expect("ed25519");
    for alg in [ProviderAlg::EdDsa, ProviderAlg::Rs256] {
        let exchange = b::Exchange::new(alg);
        let request = || exchange.request();
        let status = rt
            .block_on(exchange.router.clone().oneshot(request()))
            .map(|r| r.status());
        assert_eq!(status.ok(), Some(StatusCode::OK), "exchange {}", alg.name());
        group.bench_function(format!("handler_subject_{}", alg.name()), |bencher| {
            bencher.to_async(rt).iter(|| {
                let request = request();
                let router = exchange.router.clone();
                async move {
                    let response = router.oneshot(request).await.expect("infallible");
                    black_box(http_body_util::BodyExt::collect(response.into_body()).await)
                }
            });
        });

        // The library's own two operations, without HTTP: authenticate + issue.
        let provider_registry = exchange.registry.clone();
        group.bench_function(
            format!("library_verify_and_issue_{}", alg.name()),
            |bencher| {
                bencher.to_async(rt).iter(|| async {
                    let user = provider_registry
                        .authenticate(black_box(&exchange.subject))
                        .await
                        .expect("user");
                    black_box(
                        exchange
                            .tokens
                            .issue(IssueRequest::new(&user, b::PROJECT))
                            .expect("issued"),
                    )
                });
            },
        );

        // The floor: the same two operations on keys parsed once (aws-lc-rs).
        let (input, signature) = b::signing_input_and_signature(&exchange.subject);
        let key = b::FloorKey::new(alg);
        let tambo_input = tambo_input_like(&exchange.tokens);
        group.bench_function(
            format!("floor_verify_{}_plus_sign_EdDSA", alg.name()),
            |bencher| {
                bencher.iter(|| {
                    assert!(key.verify(black_box(&input), black_box(&signature)));
                    black_box(ours.sign(black_box(tambo_input.as_bytes())))
                });
            },
        );
    }
    group.finish();
}

/// The signing input of a real Tambo token (the floor signs the same number of bytes).
fn tambo_input_like(tokens: &tambo_auth::token::TamboTokens) -> String {
    let token = b::tambo_token(tokens, "alice");
    let dot = token.rfind('.').expect("three segments");
    token[..dot].to_owned()
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = rows
}
criterion_main!(benches);
