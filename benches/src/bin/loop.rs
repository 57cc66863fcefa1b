//! One row of the in-process benches in a loop, for profilers that need a steady process.
//!
//! `perf record` shows where the time goes; callgrind counts the instructions each request
//! executes, which the VM's noise does not move, so a change of a few tens of nanoseconds
//! reads plainly. Only the loop is measured (`--toggle-collect`); the difference between two
//! request counts removes what the first requests pay once.
//!
//! ```text
//! cargo build --release -p tambo-auth-benches --bin loop
//! target/release/loop <row> [requests]
//! valgrind --tool=callgrind --toggle-collect='loop::run' target/release/loop direct_HS256 2000
//! ```
//!
//! Rows: `bare`, `hit` (a repeated EdDSA Tambo token, cache on), the first-sight rows of
//! `paired` (`direct_RS256`, `direct_ES256`, `direct_EdDSA`, `direct_HS256`, `tambo_EdDSA`,
//! `tambo_ES256`, `tambo_HS256`), and `exchange_EdDSA` / `exchange_RS256` (`POST
//! /oauth/token` with a provider token of that algorithm, the response body read).

use std::hint::black_box;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt as _;
use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth_benches::{self as b, ProviderAlg};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

/// `requests` requests through `router`, each a fresh one from `request`, the response
/// body read.
#[inline(never)]
fn run(rt: &Runtime, router: &Router, request: &dyn Fn() -> Request<Body>, requests: u64) {
    for _ in 0..requests {
        let response = rt.block_on(async {
            let response = router.clone().oneshot(request()).await.ok()?;
            response.into_body().collect().await.ok()
        });
        black_box(response);
    }
}

/// `GET /`, with `auth` as its `Authorization` header.
fn get(auth: Option<HeaderValue>) -> impl Fn() -> Request<Body> {
    move || b::get_request(auth.as_ref())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let row = args.next().unwrap_or_else(|| "direct_HS256".to_owned());
    let requests: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (router, request): (Router, Box<dyn Fn() -> Request<Body>>) = match row.as_str() {
        "bare" => (b::bare_router().with_state(()), Box::new(get(None))),
        "hit" => {
            let tokens = b::tambo_tokens(Algorithm::EdDSA);
            let token = b::tambo_token(&tokens, "alice");
            let router = b::layered(TamboAuthLayer::new(tokens)).with_state(());
            (router, Box::new(get(Some(b::bearer(&token)))))
        }
        "exchange_EdDSA" | "exchange_RS256" => {
            let alg = if row.ends_with("RS256") {
                ProviderAlg::Rs256
            } else {
                ProviderAlg::EdDsa
            };
            let exchange = b::Exchange::new(alg);
            (
                exchange.router.clone(),
                Box::new(move || exchange.request()),
            )
        }
        name => {
            let Some(found) = b::first_sight_rows().into_iter().find(|r| r.name == name) else {
                eprintln!(
                    "no row named {name}: bare, hit, direct_<alg>, tambo_<alg> or exchange_<alg>"
                );
                std::process::exit(2);
            };
            (found.router, Box::new(get(Some(b::bearer(&found.token)))))
        }
    };
    let status = rt
        .block_on(router.clone().oneshot(request()))
        .map(|r| r.status());
    assert_eq!(status.ok(), Some(StatusCode::OK), "{row} must answer 200");
    let start = Instant::now();
    run(&rt, &router, &*request, requests);
    let per_request = start.elapsed().as_secs_f64() * 1e9 / requests as f64;
    println!("{row}: {requests} requests, {per_request:.0} ns per request");
}
