//! `GET /metrics`: Prometheus text exposition of exchanges and API requests by outcome, key-set
//! fetches and readiness per issuer, and the verified-token cache.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tambo_auth::ProviderRegistry;
use tambo_auth::layer::TamboAuthLayer;

/// Counters the server keeps; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    exchanges: Mutex<BTreeMap<u16, u64>>,
    api: Mutex<BTreeMap<u16, u64>>,
    layer: TamboAuthLayer,
    registries: Vec<ProviderRegistry>,
    insecure: bool,
}

impl Metrics {
    /// Metrics over `layer`'s cache and `registries`' key sets.
    pub fn new(layer: TamboAuthLayer, registries: Vec<ProviderRegistry>, insecure: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                exchanges: Mutex::default(),
                api: Mutex::default(),
                layer,
                registries,
                insecure,
            }),
        }
    }

    fn count(map: &Mutex<BTreeMap<u16, u64>>, status: u16) {
        *map.lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(status)
            .or_default() += 1;
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let inner = &self.inner;
        let mut out = String::new();
        let counters =
            |out: &mut String, name: &str, help: &str, map: &Mutex<BTreeMap<u16, u64>>| {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                for (status, count) in map.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                    let _ = writeln!(out, "{name}{{status=\"{status}\"}} {count}");
                }
            };
        counters(
            &mut out,
            "tambo_auth_exchanges_total",
            "Token exchanges at /oauth/token by HTTP status.",
            &inner.exchanges,
        );
        counters(
            &mut out,
            "tambo_auth_api_requests_total",
            "Requests to /v1 by HTTP status (401 and 400: bearer verification refused).",
            &inner.api,
        );
        let stats = inner.layer.cache_stats();
        let _ = writeln!(
            out,
            "# HELP tambo_auth_token_cache_hits_total Bearer tokens answered from the verified-token cache.\n# TYPE tambo_auth_token_cache_hits_total counter\ntambo_auth_token_cache_hits_total {}",
            stats.hits
        );
        let _ = writeln!(
            out,
            "# HELP tambo_auth_token_cache_misses_total Bearer tokens verified in full.\n# TYPE tambo_auth_token_cache_misses_total counter\ntambo_auth_token_cache_misses_total {}",
            stats.misses
        );
        let _ = writeln!(
            out,
            "# HELP tambo_auth_token_cache_entries Tokens held by the verified-token cache.\n# TYPE tambo_auth_token_cache_entries gauge\ntambo_auth_token_cache_entries {}",
            stats.entries
        );
        let statuses: Vec<_> = inner
            .registries
            .iter()
            .flat_map(ProviderRegistry::status)
            .collect();
        let _ = writeln!(
            out,
            "# HELP tambo_auth_jwks_fetches_total Key-set fetches per issuer by result.\n# TYPE tambo_auth_jwks_fetches_total counter"
        );
        for s in &statuses {
            let issuer = escape(&s.issuer);
            let _ = writeln!(
                out,
                "tambo_auth_jwks_fetches_total{{issuer=\"{issuer}\",result=\"ok\"}} {}\ntambo_auth_jwks_fetches_total{{issuer=\"{issuer}\",result=\"error\"}} {}",
                s.fetches - s.fetch_failures,
                s.fetch_failures
            );
        }
        let _ = writeln!(
            out,
            "# HELP tambo_auth_issuer_ready Whether an issuer's keys are usable (1) or not (0).\n# TYPE tambo_auth_issuer_ready gauge"
        );
        for s in &statuses {
            let _ = writeln!(
                out,
                "tambo_auth_issuer_ready{{issuer=\"{}\"}} {}",
                escape(&s.issuer),
                u8::from(s.ready)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tambo_auth_insecure_verification 1 when the development profile is on.\n# TYPE tambo_auth_insecure_verification gauge\ntambo_auth_insecure_verification {}",
            u8::from(inner.insecure)
        );
        out
    }
}

/// Label values escape `\`, `"` and newlines (Prometheus text format).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware counting `/oauth/token` answers (the exchange router's other routes, the
/// `.well-known` documents, are not exchanges).
pub async fn count_exchanges(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let is_exchange = request.uri().path() == tambo_auth::exchange::TOKEN_PATH;
    let response = next.run(request).await;
    if is_exchange {
        Metrics::count(&metrics.inner.exchanges, response.status().as_u16());
    }
    response
}

/// Middleware counting `/v1` answers (outside the authentication layer).
pub async fn count_api(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    Metrics::count(&metrics.inner.api, response.status().as_u16());
    response
}
