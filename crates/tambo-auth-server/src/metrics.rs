//! `GET /metrics`: Prometheus text exposition (format 0.0.4) of exchanges and API requests by
//! outcome, key-set fetches and readiness per issuer, and the verified-token cache.
//!
//! The series, encoded by `prometheus-client`:
//!
//! | series | type | counted |
//! | --- | --- | --- |
//! | `tambo_auth_exchanges_total{status}` | counter | per request, by [`count_exchanges`] |
//! | `tambo_auth_api_requests_total{status}` | counter | per request, by [`count_api`] |
//! | `tambo_auth_token_cache_hits_total`, `..._misses_total` | counter | read at scrape time |
//! | `tambo_auth_token_cache_entries` | gauge | read at scrape time |
//! | `tambo_auth_jwks_fetches_total{issuer,result}` | counter | read at scrape time |
//! | `tambo_auth_issuer_ready{issuer}` | gauge | read at scrape time |
//! | `tambo_auth_insecure_verification` | gauge | fixed when the server is built |
//!
//! Counters are named here without `_total`: the encoder appends it (and `prometheus-client`
//! refuses a counter registered with it in debug builds).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tambo_auth::ProviderRegistry;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::provider::MigrationStatus;

use crate::store::unix_seconds;

/// The `Content-Type` of what [`Metrics::render`] writes: the Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The server's metrics; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

/// The label of the per-request counters: the answer's HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Status {
    status: u16,
}

/// Per-request counters are `Family` counters rather than counters created once: a handler or
/// a middleware may answer any status, so the set of label values is not known up front.
/// Counting takes the family's read lock, which requests share (only the first answer with a
/// new status takes it for writing, to add the counter), and then increments an atomic: no
/// request waits for another, unlike the `Mutex` this replaced.
type ByStatus = Family<Status, Counter>;

#[derive(Debug)]
struct Inner {
    registry: Registry,
    exchanges: ByStatus,
    api: ByStatus,
}

/// The registries whose key sets and migration windows are read at each scrape: the file's
/// and the API-managed projects' of the moment.
pub type RegistrySource = Arc<dyn Fn() -> Vec<ProviderRegistry> + Send + Sync>;

impl Metrics {
    /// Metrics over `layer`'s cache and `registries`' key sets, read when scraped.
    pub fn new(layer: TamboAuthLayer, registries: RegistrySource, insecure: bool) -> Self {
        let exchanges = ByStatus::default();
        let api = ByStatus::default();
        let mut registry = Registry::default();
        // `register` appends a full stop to the help text; `ScrapeTime` writes its own.
        registry.register(
            "tambo_auth_exchanges",
            "Token exchanges at /oauth/token by HTTP status",
            exchanges.clone(),
        );
        registry.register(
            "tambo_auth_api_requests",
            "Requests to /v1 by HTTP status (401 and 400: bearer verification refused)",
            api.clone(),
        );
        registry.register(
            "tambo_auth_insecure_verification",
            "1 when the development profile is on",
            ConstGauge::new(i64::from(insecure)),
        );
        registry.register_collector(Box::new(ScrapeTime { layer, registries }));
        Self {
            inner: Arc::new(Inner {
                registry,
                exchanges,
                api,
            }),
        }
    }

    /// The exposition text, in the format [`CONTENT_TYPE`] names.
    ///
    /// # Errors
    ///
    /// When the encoder fails; writing to a `String` does not, so this is not expected.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.inner.registry)?;
        Ok(out)
    }
}

/// The values other components own, read at each scrape: the layer's cache statistics and
/// each registry's key-set status.
struct ScrapeTime {
    layer: TamboAuthLayer,
    registries: RegistrySource,
}

impl std::fmt::Debug for ScrapeTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapeTime")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl Collector for ScrapeTime {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let stats = self.layer.cache_stats();
        for (name, help, count) in [
            (
                "tambo_auth_token_cache_hits",
                "Bearer tokens answered from the verified-token cache.",
                stats.hits,
            ),
            (
                "tambo_auth_token_cache_misses",
                "Bearer tokens verified in full.",
                stats.misses,
            ),
        ] {
            let counter = ConstCounter::new(count);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let entries = ConstGauge::new(i64::try_from(stats.entries).unwrap_or(i64::MAX));
        entries.encode(encoder.encode_descriptor(
            "tambo_auth_token_cache_entries",
            "Tokens held by the verified-token cache.",
            None,
            entries.metric_type(),
        )?)?;

        let registries = (self.registries)();
        let statuses: Vec<_> = registries
            .iter()
            .flat_map(ProviderRegistry::status)
            .collect();
        let fetches = statuses.iter().flat_map(|s| {
            let ok = s.fetches.saturating_sub(s.fetch_failures);
            [("ok", ok), ("error", s.fetch_failures)].map(|(result, count)| {
                let labels = [("issuer", s.issuer.as_str()), ("result", result)];
                (labels, ConstCounter::new(count))
            })
        });
        encode_labelled(
            &mut encoder,
            "tambo_auth_jwks_fetches",
            "Key-set fetches per issuer by result.",
            MetricType::Counter,
            fetches,
        )?;
        let ready = statuses.iter().map(|s| {
            let labels = [("issuer", s.issuer.as_str())];
            (labels, ConstGauge::new(i64::from(s.ready)))
        });
        encode_labelled(
            &mut encoder,
            "tambo_auth_issuer_ready",
            "Whether an issuer's keys are usable (1) or not (0).",
            MetricType::Gauge,
            ready,
        )?;

        let paths: Vec<_> = registries
            .iter()
            .flat_map(ProviderRegistry::migrations)
            .collect();
        let labels = |p: &MigrationStatus| {
            [
                ("provider", p.provider.clone()),
                ("issuer", p.issuer.clone()),
                ("path", p.role.as_str().to_owned()),
            ]
        };
        encode_labelled(
            &mut encoder,
            "tambo_auth_migration_verified",
            "Tokens verified by each path of a migration window (path: current or previous).",
            MetricType::Counter,
            paths
                .iter()
                .map(|p| (labels(p), ConstCounter::new(p.verified))),
        )?;
        encode_labelled(
            &mut encoder,
            "tambo_auth_migration_last_verified_seconds",
            "When each path of a migration window last verified a token (Unix time; 0 for never).",
            MetricType::Gauge,
            paths.iter().map(|p| {
                let at = p.last_verified.map_or(0, unix_seconds);
                (labels(p), ConstGauge::new(at))
            }),
        )?;
        encode_labelled(
            &mut encoder,
            "tambo_auth_migration_closes_seconds",
            "When each migration window closes (Unix time): its previous path is refused from then on.",
            MetricType::Gauge,
            paths
                .iter()
                .map(|p| (labels(p), ConstGauge::new(unix_seconds(p.until)))),
        )?;
        Ok(())
    }
}

/// One family read at scrape time: its descriptor, then one series per `(labels, value)`.
fn encode_labelled<L: EncodeLabelSet, M: EncodeMetric>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric_type: MetricType,
    series: impl IntoIterator<Item = (L, M)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (labels, value) in series {
        value.encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// Middleware counting `/oauth/token` answers (the exchange router's other routes, the
/// `.well-known` documents, are not exchanges; nor is a browser's CORS preflight).
pub async fn count_exchanges(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let is_preflight = request.method() == axum::http::Method::OPTIONS
        && request
            .headers()
            .contains_key(axum::http::header::ACCESS_CONTROL_REQUEST_METHOD);
    let is_exchange = request.uri().path() == tambo_auth::exchange::TOKEN_PATH && !is_preflight;
    let response = next.run(request).await;
    if is_exchange {
        count(&metrics.inner.exchanges, &response);
    }
    response
}

/// Middleware counting `/v1` answers (outside the authentication layer).
pub async fn count_api(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    count(&metrics.inner.api, &response);
    response
}

fn count(family: &ByStatus, response: &Response) {
    family
        .get_or_create(&Status {
            status: response.status().as_u16(),
        })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tambo_auth::Algorithm;
    use tambo_auth::token::{SigningKey, TamboTokens};

    fn metrics(insecure: bool) -> Metrics {
        let tokens = TamboTokens::builder("https://auth.example.com")
            .signing_key(SigningKey::generate(Algorithm::EdDSA).unwrap())
            .build()
            .unwrap();
        Metrics::new(TamboAuthLayer::new(tokens), Arc::new(Vec::new), insecure)
    }

    #[test]
    fn the_exposition_keeps_the_names_help_and_types_scrapers_know() {
        let metrics = metrics(false);
        let ok = Response::default();
        count(&metrics.inner.exchanges, &ok);
        count(&metrics.inner.exchanges, &ok);
        count(&metrics.inner.api, &ok);
        assert_eq!(
            metrics.render().unwrap(),
            "# HELP tambo_auth_exchanges_total Token exchanges at /oauth/token by HTTP status.\n\
             # TYPE tambo_auth_exchanges_total counter\n\
             tambo_auth_exchanges_total{status=\"200\"} 2\n\
             # HELP tambo_auth_api_requests_total Requests to /v1 by HTTP status (401 and 400: bearer verification refused).\n\
             # TYPE tambo_auth_api_requests_total counter\n\
             tambo_auth_api_requests_total{status=\"200\"} 1\n\
             # HELP tambo_auth_insecure_verification 1 when the development profile is on.\n\
             # TYPE tambo_auth_insecure_verification gauge\n\
             tambo_auth_insecure_verification 0\n\
             # HELP tambo_auth_token_cache_hits_total Bearer tokens answered from the verified-token cache.\n\
             # TYPE tambo_auth_token_cache_hits_total counter\n\
             tambo_auth_token_cache_hits_total 0\n\
             # HELP tambo_auth_token_cache_misses_total Bearer tokens verified in full.\n\
             # TYPE tambo_auth_token_cache_misses_total counter\n\
             tambo_auth_token_cache_misses_total 0\n\
             # HELP tambo_auth_token_cache_entries Tokens held by the verified-token cache.\n\
             # TYPE tambo_auth_token_cache_entries gauge\n\
             tambo_auth_token_cache_entries 0\n\
             # HELP tambo_auth_jwks_fetches_total Key-set fetches per issuer by result.\n\
             # TYPE tambo_auth_jwks_fetches_total counter\n\
             # HELP tambo_auth_issuer_ready Whether an issuer's keys are usable (1) or not (0).\n\
             # TYPE tambo_auth_issuer_ready gauge\n\
             # HELP tambo_auth_migration_verified_total Tokens verified by each path of a migration window (path: current or previous).\n\
             # TYPE tambo_auth_migration_verified_total counter\n\
             # HELP tambo_auth_migration_last_verified_seconds When each path of a migration window last verified a token (Unix time; 0 for never).\n\
             # TYPE tambo_auth_migration_last_verified_seconds gauge\n\
             # HELP tambo_auth_migration_closes_seconds When each migration window closes (Unix time): its previous path is refused from then on.\n\
             # TYPE tambo_auth_migration_closes_seconds gauge\n"
        );
    }

    #[test]
    fn each_status_has_its_own_series() {
        let metrics = metrics(true);
        for status in [200, 401, 401, 500] {
            let response = Response::builder().status(status).body(Default::default());
            count(&metrics.inner.api, &response.unwrap());
        }
        let text = metrics.render().unwrap();
        for line in [
            "tambo_auth_api_requests_total{status=\"200\"} 1",
            "tambo_auth_api_requests_total{status=\"401\"} 2",
            "tambo_auth_api_requests_total{status=\"500\"} 1",
            "tambo_auth_insecure_verification 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
        // No exchange was answered: the family has no series (and so no HELP or TYPE line).
        assert!(!text.contains("tambo_auth_exchanges_total"), "{text}");
    }
}
