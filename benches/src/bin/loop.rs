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
//! Rows: `bare`, `hit` (a repeated EdDSA Tambo token, cache on), and the first-sight rows of
//! `paired` (`direct_RS256`, `direct_ES256`, `direct_EdDSA`, `direct_HS256`, `tambo_EdDSA`,
//! `tambo_ES256`, `tambo_HS256`).

use std::hint::black_box;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use http::{HeaderValue, Request, StatusCode, header::AUTHORIZATION};
use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth_benches as b;
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

/// `requests` requests through `router`, each a fresh request with `auth`.
#[inline(never)]
fn run(rt: &Runtime, router: &Router, auth: Option<&HeaderValue>, requests: u64) {
    for _ in 0..requests {
        let mut request = Request::get("/").body(Body::empty()).expect("request");
        if let Some(auth) = auth {
            request.headers_mut().insert(AUTHORIZATION, auth.clone());
        }
        let response = rt.block_on(router.clone().oneshot(request));
        black_box(response.ok());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let row = args.next().unwrap_or_else(|| "direct_HS256".to_owned());
    let requests: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (router, auth) = match row.as_str() {
        "bare" => (b::bare_router().with_state(()), None),
        "hit" => {
            let tokens = b::tambo_tokens(Algorithm::EdDSA);
            let token = b::tambo_token(&tokens, "alice");
            let router = b::layered(TamboAuthLayer::new(tokens)).with_state(());
            (router, Some(b::bearer(&token)))
        }
        name => {
            let Some(found) = b::first_sight_rows().into_iter().find(|r| r.name == name) else {
                eprintln!("no row named {name}: bare, hit, direct_<alg> or tambo_<alg>");
                std::process::exit(2);
            };
            (found.router, Some(b::bearer(&found.token)))
        }
    };
    let mut first = Request::get("/").body(Body::empty()).expect("request");
    if let Some(auth) = &auth {
        first.headers_mut().insert(AUTHORIZATION, auth.clone());
    }
    let status = rt
        .block_on(router.clone().oneshot(first))
        .map(|r| r.status());
    assert_eq!(status.ok(), Some(StatusCode::OK), "{row} must answer 200");
    let start = Instant::now();
    run(&rt, &router, auth.as_ref(), requests);
    let per_request = start.elapsed().as_secs_f64() * 1e9 / requests as f64;
    println!("{row}: {requests} requests, {per_request:.0} ns per request");
}
