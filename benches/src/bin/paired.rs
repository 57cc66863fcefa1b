//! First sight of a token against its floor, in paired rounds (issue 6, "First sight").
//!
//! Criterion measures one row after another, and on a shared VM the speed of the machine
//! drifts between rows by more than the ~10 % the goal is about. Here every round measures,
//! back to back for a few milliseconds each, the bare router, the signature check alone with
//! a key parsed once, and `TamboAuthLayer` verifying every request (cache off); the ratio
//! `first sight / (signature + bare router)` is taken within the round, and the median and
//! quartiles over the rounds are printed. A drift slower than a round cancels out.
//!
//! ```text
//! cargo run --release -p tambo-auth-benches --bin paired [rounds] [row filter]
//! ```
//!
//! A filter keeps the rows whose names contain it (`direct`, `RS256`…).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use http::{HeaderValue, Request, StatusCode, header::AUTHORIZATION};
use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth_benches::{self as b, ProviderAlg};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;
use tower::util::MapRequestLayer;

/// How long each variant runs in a round.
const SLICE: Duration = Duration::from_millis(15);

fn request(auth: Option<&HeaderValue>) -> Request<Body> {
    let mut request = Request::get("/").body(Body::empty()).expect("request");
    if let Some(auth) = auth {
        request.headers_mut().insert(AUTHORIZATION, auth.clone());
    }
    request
}

/// Mean time per call of `f` over one slice.
fn slice(f: impl Fn()) -> f64 {
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < SLICE {
        for _ in 0..16 {
            f();
        }
        calls += 16;
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(calls)
}

fn through(rt: &Runtime, router: &Router, auth: Option<&HeaderValue>) -> f64 {
    slice(|| {
        let response = rt.block_on(router.clone().oneshot(request(auth)));
        black_box(response.ok());
    })
}

/// The signature check alone, key parsed once, over `token`'s signing input.
fn floor(token: &str, alg: ProviderAlg) -> impl Fn() + Clone + Send + Sync + 'static + use<> {
    let (input, signature) = b::signing_input_and_signature(token);
    let key = b::FloorKey::new(alg);
    assert!(
        key.verify(&input, &signature),
        "the floor must time a signature that verifies"
    );
    let check = Arc::new((key, input, signature));
    move || {
        let (key, input, signature) = &*check;
        black_box(key.verify(black_box(input), black_box(signature)));
    }
}

/// The bare router with the same signature check in front of it on every request: the floor
/// as a server pays it, with the router's work between two checks.
fn floor_router(check: impl Fn() + Clone + Send + Sync + 'static) -> Router {
    b::bare_router()
        .layer(MapRequestLayer::new(move |request: Request<Body>| {
            check();
            request
        }))
        .with_state(())
}

struct Row {
    name: String,
    router: Router,
    auth: HeaderValue,
    floor: Box<dyn Fn()>,
    floor_router: Router,
    /// first sight / (signature alone + bare router), per round.
    ratios: Vec<f64>,
    /// first sight / the floor router, per round.
    in_router: Vec<f64>,
    /// first sight − signature alone − bare router, per round.
    above: Vec<f64>,
}

impl Row {
    /// A row for `token`, whose signature is `alg`'s fixture key's.
    fn new(name: String, router: Router, token: &str, alg: ProviderAlg) -> Row {
        let check = floor(token, alg);
        Row {
            name,
            router,
            auth: b::bearer(token),
            floor_router: floor_router(check.clone()),
            floor: Box::new(check),
            ratios: Vec::new(),
            in_router: Vec::new(),
            above: Vec::new(),
        }
    }
}

fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bare = b::bare_router().with_state(());

    let mut rows = Vec::new();
    for alg in [
        ProviderAlg::Rs256,
        ProviderAlg::Es256,
        ProviderAlg::EdDsa,
        ProviderAlg::Hs256,
    ] {
        let token = b::provider_token(alg, "alice");
        let layer = TamboAuthLayer::direct(b::static_registry(alg)).cache_capacity(0);
        rows.push(Row::new(
            format!("direct_{}", alg.name()),
            b::layered(layer).with_state(()),
            &token,
            alg,
        ));
    }
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256] {
        let tokens = b::tambo_tokens(alg);
        let token = b::tambo_token(&tokens, "alice");
        let layer = TamboAuthLayer::new(tokens).cache_capacity(0);
        rows.push(Row::new(
            format!("tambo_{alg}"),
            b::layered(layer).with_state(()),
            &token,
            b::tambo_key(alg),
        ));
    }
    rows.retain(|row| row.name.contains(&filter));
    for row in &rows {
        let status = rt
            .block_on(row.router.clone().oneshot(request(Some(&row.auth))))
            .map(|r| r.status());
        assert_eq!(
            status.ok(),
            Some(StatusCode::OK),
            "{} must answer 200",
            row.name
        );
    }

    let mut bare_times = Vec::new();
    for _ in 0..rounds {
        for row in &mut rows {
            let bare_ns = through(&rt, &bare, None);
            let floor_ns = slice(&row.floor);
            let floor_router_ns = through(&rt, &row.floor_router, None);
            let first_ns = through(&rt, &row.router, Some(&row.auth));
            row.ratios.push(first_ns / (floor_ns + bare_ns));
            row.in_router.push(first_ns / floor_router_ns);
            row.above.push(first_ns - floor_ns - bare_ns);
            bare_times.push(bare_ns);
        }
    }

    let (_, bare_median, _) = quartiles(&mut bare_times);
    println!("{rounds} rounds of {SLICE:?} per variant; bare router median {bare_median:.0} ns");
    println!(
        "| row | × (signature + bare), p25 / median / p75 | × floor router, p25 / median / p75 | above signature + bare, median |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for row in &mut rows {
        let (p25, median, p75) = quartiles(&mut row.ratios);
        let (q25, in_router, q75) = quartiles(&mut row.in_router);
        let (_, above, _) = quartiles(&mut row.above);
        println!(
            "| `{}` | {p25:.3} / **{median:.3}** / {p75:.3} | {q25:.3} / **{in_router:.3}** / {q75:.3} | {:.2} µs |",
            row.name,
            above / 1000.0
        );
    }
}
