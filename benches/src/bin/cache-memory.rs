//! The verified-token cache under a load of distinct tokens (issue 6, "Memory"): fills a
//! `TamboAuthLayer` with a capacity of 100 000 through the axum router, one distinct Tambo
//! token per request, prints the process RSS before and after, then sends 150 000 more
//! distinct tokens and checks the cache never holds more than its capacity.
//!
//! ```text
//! cargo run --release -p tambo-auth-benches --bin cache-memory [capacity]
//! ```
//!
//! Tokens are HS256 (cheap to mint, so the run is short). An entry holds its token, so the
//! size of the tokens is printed: an EdDSA token's signature is 43 bytes longer.

use std::time::Instant;

use axum::body::Body;
use http::{Request, StatusCode, header::AUTHORIZATION};
use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth_benches as b;
use tower::ServiceExt as _;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let capacity: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tokens = b::tambo_tokens(Algorithm::HS256);
    let layer = TamboAuthLayer::builder(tokens.clone())
        .cache_capacity(capacity)
        .build()
        .expect("layer");
    let router = b::layered(layer.clone()).with_state(());
    let send = |i: usize| {
        // Distinct subjects and a fresh `jti` per token: every request is a first sight.
        let token = b::tambo_token(&tokens, &format!("user-{i:08}"));
        let mut request = Request::get("/").body(Body::empty()).expect("request");
        request
            .headers_mut()
            .insert(AUTHORIZATION, b::bearer(&token));
        let status = rt
            .block_on(router.clone().oneshot(request))
            .map(|r| r.status());
        assert_eq!(status.ok(), Some(StatusCode::OK));
    };
    // Warm the allocator and the code paths with a few requests, then measure.
    for i in 0..100 {
        send(i);
    }
    let before = status_kib("VmRSS:");
    println!("capacity {capacity}");
    println!(
        "token size: {} bytes",
        b::tambo_token(&tokens, "user-00000000").len()
    );
    println!("RSS before filling:   {:8.1} MiB", mib(before));
    let start = Instant::now();
    let mut max_entries = 0usize;
    for i in 0..capacity {
        send(100 + i);
        if i % 1000 == 0 {
            max_entries = max_entries.max(layer.cache_stats().entries);
        }
    }
    let fill = start.elapsed();
    let filled = layer.cache_stats();
    let after = status_kib("VmRSS:");
    println!(
        "RSS after {} entries: {:8.1} MiB (+{:.1} MiB, {:.0} bytes/entry); fill {:.2} s ({:.1} µs/request)",
        filled.entries,
        mib(after),
        mib(after.saturating_sub(before)),
        (after.saturating_sub(before) * 1024) as f64 / filled.entries.max(1) as f64,
        fill.as_secs_f64(),
        fill.as_secs_f64() * 1e6 / capacity as f64
    );
    // Past capacity: every insert evicts.
    let extra = capacity * 3 / 2;
    let start = Instant::now();
    for i in 0..extra {
        send(100 + capacity + i);
        if i % 1000 == 0 {
            let entries = layer.cache_stats().entries;
            max_entries = max_entries.max(entries);
            assert!(
                entries <= capacity,
                "the cache grew past its capacity: {entries}"
            );
        }
    }
    let over = start.elapsed();
    let end = layer.cache_stats();
    println!(
        "after {extra} more distinct tokens: {} entries (max seen {max_entries}, capacity {capacity}), RSS {:.1} MiB, peak RSS {:.1} MiB; {:.1} µs/request with eviction",
        end.entries,
        mib(status_kib("VmRSS:")),
        mib(status_kib("VmHWM:")),
        over.as_secs_f64() * 1e6 / extra as f64
    );
    println!("misses {}, hits {}", end.misses, end.hits);
}
