//! First sight of a token against its floor, and cache hits against the bare router, in
//! paired rounds (issue 6).
//!
//! Criterion measures one row after another, and on a shared VM the speed of the machine
//! drifts between rows by more than the ~10 % the goal is about. Here every round measures,
//! back to back for a few milliseconds each, the bare router, the signature check alone with
//! a key parsed once, and `TamboAuthLayer` verifying every request (cache off); the ratio
//! `first sight / (signature + bare router)` is taken within the round, and the median and
//! quartiles over the rounds are printed. A drift slower than a round cancels out. The
//! cache-hit rows (`hit_…`: the layer with its cache on, the same token on every request)
//! are paired the same way with the bare router of their round.
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
use http::{HeaderValue, Request, StatusCode};
use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth_benches::{self as b, ProviderAlg};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;
use tower::util::MapRequestLayer;

/// How long each variant runs in a round.
const SLICE: Duration = Duration::from_millis(15);

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
        let response = rt.block_on(router.clone().oneshot(b::get_request(auth)));
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

/// A cache-hit row: the layer with its cache on, and the token it has seen.
struct Hit {
    name: &'static str,
    router: Router,
    auth: HeaderValue,
    /// hit / bare router, per round.
    ratios: Vec<f64>,
}

/// Checks that `router` accepts `auth` before anything is timed.
fn assert_ok(rt: &Runtime, router: &Router, auth: &HeaderValue, name: &str) {
    let status = rt
        .block_on(router.clone().oneshot(b::get_request(Some(auth))))
        .map(|r| r.status());
    assert_eq!(status.ok(), Some(StatusCode::OK), "{name} must answer 200");
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

    let mut rows: Vec<Row> = b::first_sight_rows()
        .into_iter()
        .map(|row| Row::new(row.name, row.router, &row.token, row.key))
        .collect();
    rows.retain(|row| row.name.contains(&filter));
    for row in &rows {
        assert_ok(&rt, &row.router, &row.auth, &row.name);
    }

    // The cache-hit rows: the same token again and again, against the bare router of the
    // same round.
    let mut hits: Vec<Hit> = [
        ("hit_tambo_EdDSA", {
            let tokens = b::tambo_tokens(Algorithm::EdDSA);
            let token = b::tambo_token(&tokens, "alice");
            (TamboAuthLayer::new(tokens), token)
        }),
        ("hit_direct_RS256", {
            let registry = b::static_registry(ProviderAlg::Rs256);
            let token = b::provider_token(ProviderAlg::Rs256, "alice");
            (TamboAuthLayer::direct(registry), token)
        }),
    ]
    .into_iter()
    .filter(|(name, _)| name.contains(&filter))
    .map(|(name, (layer, token))| Hit {
        name,
        router: b::layered(layer).with_state(()),
        auth: b::bearer(&token),
        ratios: Vec::new(),
    })
    .collect();
    for hit in &hits {
        assert_ok(&rt, &hit.router, &hit.auth, hit.name);
    }

    let mut bare_times = Vec::new();
    for _ in 0..rounds {
        for hit in &mut hits {
            let bare_ns = through(&rt, &bare, None);
            let hit_ns = through(&rt, &hit.router, Some(&hit.auth));
            hit.ratios.push(hit_ns / bare_ns);
            bare_times.push(bare_ns);
        }
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
    if !hits.is_empty() {
        println!();
        println!("| row | × bare, p25 / median / p75 |");
        println!("| --- | ---: |");
    }
    for hit in &mut hits {
        let (p25, median, p75) = quartiles(&mut hit.ratios);
        println!("| `{}` | {p25:.3} / **{median:.3}** / {p75:.3} |", hit.name);
    }
}
