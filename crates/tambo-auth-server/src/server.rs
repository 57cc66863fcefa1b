//! `tambo-auth serve`: the reference server assembled from its configuration.
//!
//! `POST /oauth/token`, `GET /.well-known/jwks.json`, `GET
//! /.well-known/oauth-authorization-server`, `GET /healthz`, `GET /readyz` (per-issuer key
//! status), `GET /metrics` (Prometheus), and the user-scoped `/v1` thread API behind
//! `TamboAuthLayer`. The details of `/readyz` and `/metrics` answer loopback peers and the
//! operations token only ([`crate::ops`]). Startup never waits for an identity provider: keys
//! load on the first exchange, and `/readyz` says so meanwhile.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse as _;
use axum::routing::get;
use serde_json::json;
use tambo_auth::exchange::{Project, StaticProjects, TokenExchange};
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::{KeyRing, MemoryRevocations, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, ContextKey, Profile, ProviderRegistry};

use crate::admin::{
    Admin, AdminParts, FileProject, LiveProjects, PROJECTS_REFRESH, SecretKey, ServerProjects,
};
use crate::config::{Config, ConfigError, StrategyName, build_registry};
use crate::metrics::{Metrics, RegistrySource};
use crate::ops::{Access, OpsAccess};
use crate::store::{Store, StoredKey, unix_now};

/// How often each replica reloads revocations and the key ring from the database: the
/// propagation bound of a revocation or a rotation across replicas.
pub const REVOCATION_REFRESH: Duration = Duration::from_secs(5);

/// A failure to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration is invalid (names the setting).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
    /// A key or token setting was refused by the library.
    #[error("{0}")]
    Auth(#[from] tambo_auth::Error),
}

/// The assembled server: its router, and the state background tasks keep fresh.
#[derive(Debug, Clone)]
pub struct Server {
    router: Router,
    store: Store,
    live: Arc<LiveProjects>,
    revocations: Arc<MemoryRevocations>,
    ring: Arc<KeyRing>,
    retire_after: Duration,
}

impl Server {
    /// Builds the server from `config`: opens the database (applying migrations), loads or
    /// creates the signing key, and builds each project's provider. No identity provider is
    /// contacted.
    pub async fn build(config: &Config) -> Result<Server, ServeError> {
        none_only_on_loopback(config)?;
        let ops = OpsAccess::from_config(&config.server)?;
        let public_url = config
            .server
            .public_url
            .clone()
            .ok_or_else(|| ConfigError {
                field: "server.public_url".into(),
                reason: "required: the URL clients reach this server at (our issuer)".into(),
            })?;
        let profile = config.profile();
        let database_url = config.server.database();
        let limits = config.limits;
        for (field, zero) in [
            (
                "limits.max_messages_per_thread",
                limits.max_messages_per_thread == 0,
            ),
            ("limits.max_message_bytes", limits.max_message_bytes == 0),
        ] {
            if zero {
                return Err(ConfigError {
                    field: field.into(),
                    reason: "must be at least 1".into(),
                }
                .into());
            }
        }
        let store = Store::connect(&database_url).await?.with_limits(limits);

        let algorithm = match config.token.algorithm.as_deref() {
            None | Some("EdDSA") => Algorithm::EdDSA,
            Some("ES256") => Algorithm::ES256,
            Some(other) => {
                return Err(ConfigError {
                    field: "token.algorithm".into(),
                    reason: format!("{other:?}: the server signs with EdDSA or ES256"),
                }
                .into());
            }
        };
        let ring = Arc::new(load_key_ring(&store, algorithm).await?);
        let ring_handle = Arc::clone(&ring);
        let revocations = Arc::new(MemoryRevocations::default());
        let mut tokens = TamboTokens::builder(public_url)
            .key_ring(ring)
            .revocations(revocations.clone())
            .accept_insecure_development_tokens(profile == Profile::Development);
        if let Some(audience) = &config.token.audience {
            tokens = tokens.audience(audience.clone());
        }
        if let Some(ttl) = &config.token.ttl {
            let ttl = humantime::parse_duration(ttl).map_err(|_| ConfigError {
                field: "token.ttl".into(),
                reason: format!("{ttl:?} is not a duration like \"15m\""),
            })?;
            tokens = tokens.ttl(ttl);
        }
        let tokens = tokens.build()?;

        let secret_key = SecretKey::from_settings(&config.admin)?.map(Arc::new);
        let live = Arc::new(LiveProjects::new(
            store.clone(),
            profile,
            secret_key.clone(),
        ));
        live.refresh().await?;

        let mut keys = Vec::new();
        let mut registries = Vec::new();
        let mut file_projects = Vec::new();
        for (index, project) in config.projects.iter().enumerate() {
            let registry = build_registry(project, index, profile)?;
            registries.push(registry.clone());
            file_projects.push(FileProject::new(project, Some(registry.clone())));
            let project_handle =
                Arc::new(Project::new(project.id.clone(), registry).scopes(project.scopes.clone()));
            if project.api_keys.is_empty() {
                return Err(ConfigError {
                    field: format!("projects[{index}].api_keys"),
                    reason: "at least one API key (plaintext or sha256:<hex>)".into(),
                }
                .into());
            }
            for key in &project.api_keys {
                keys.push((key.expose().to_owned(), Arc::clone(&project_handle)));
            }
        }
        let projects: Arc<dyn tambo_auth::exchange::ProjectResolver> = Arc::new(
            ServerProjects::new(StaticProjects::new(keys)?, Arc::clone(&live)),
        );
        let exchange = TokenExchange::new(tokens.clone(), Arc::clone(&projects))
            .rate_limits(config.rate_limits.build()?)
            .cors(&config.server.cors_origins)
            .map_err(|e| ConfigError {
                field: "server.cors_origins".into(),
                reason: match e {
                    tambo_auth::Error::Configuration { reason, .. } => reason,
                    other => other.to_string(),
                },
            })?;

        // The file's registries and the API-managed ones of the moment.
        let all_registries: RegistrySource = {
            let live = Arc::clone(&live);
            Arc::new(move || {
                let mut all = registries.clone();
                all.extend(live.registries());
                all
            })
        };
        let readiness = Arc::clone(&all_registries);
        let readiness_problems = Arc::clone(&live);
        let readyz_access = ops.clone();
        let layer = TamboAuthLayer::new(tokens.clone());
        let metrics = Metrics::new(
            layer.clone(),
            all_registries,
            profile == Profile::Development,
        );
        let exchange_routes = exchange
            .router()
            .route_layer(middleware::from_fn_with_state(
                metrics.clone(),
                crate::metrics::count_exchanges,
            ));
        // `route_layer`: only matched routes authenticate, so an unknown path is a plain 404
        // rather than a 401, and is not counted as an API request.
        let api_routes = crate::api::router(store.clone(), projects)
            .route_layer(layer)
            .route_layer(middleware::map_response(crate::api::json_refusals))
            .route_layer(middleware::from_fn_with_state(
                metrics.clone(),
                crate::metrics::count_api,
            ));
        // Outside the counting and the authentication: a preflight carries no token and is
        // answered here, not counted as an API request.
        let api_routes = match api_cors(&config.server.cors_origins) {
            Some(cors) => api_routes.layer(cors),
            None => api_routes,
        };
        let router = exchange_routes
            .merge(api_routes)
            .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
            .route(
                "/openapi.json",
                get(|| async {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        crate::openapi::document(),
                    )
                }),
            )
            .route(
                "/readyz",
                get(move |request: axum::extract::Request| {
                    let access = readyz_access.check(request.headers(), request.extensions());
                    std::future::ready(ready(
                        &readiness(),
                        &readiness_problems.problems(),
                        profile,
                        access == Access::Granted,
                    ))
                }),
            )
            .route(
                "/metrics",
                get(move |request: axum::extract::Request| {
                    let access = ops.check(request.headers(), request.extensions());
                    if access != Access::Granted {
                        return std::future::ready(crate::ops::refusal(access));
                    }
                    let answer = match metrics.render() {
                        Ok(text) => (
                            [(
                                axum::http::header::CONTENT_TYPE,
                                crate::metrics::CONTENT_TYPE,
                            )],
                            text,
                        )
                            .into_response(),
                        Err(_) => {
                            tracing::error!("the metrics could not be encoded");
                            StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        }
                    };
                    std::future::ready(answer)
                }),
            );
        let router = match &config.admin.token {
            Some(token) => {
                let admin = Admin::new(AdminParts {
                    store: store.clone(),
                    profile,
                    keys: secret_key,
                    file: file_projects,
                    live: Arc::clone(&live),
                    actor: "admin-api",
                });
                let admin = admin.with_templates(&config.admin.templates);
                router.merge(crate::admin::router(admin, token)?)
            }
            None => router,
        };
        Ok(Server {
            router,
            store,
            live,
            revocations,
            retire_after: tokens.ttl() + tokens.leeway(),
            ring: ring_handle,
        })
    }

    /// The HTTP router. Serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()` (as [`serve`](Self::serve)
    /// does): without the peer address, `/readyz` and `/metrics` treat every caller as remote
    /// ([`crate::ops`]).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Follows key rotations and removals made in the database (`tambo-auth keys rotate`,
    /// `keys remove`, another replica): new keys are published, a new active key starts
    /// signing, the previous one keeps verifying until its stored retirement time, and a key
    /// no longer in the database stops verifying at once.
    pub async fn refresh_keys(&self) -> Result<(), ServeError> {
        let stored = self.store.signing_keys().await?;
        let now = unix_now();
        let at = |secs: i64| UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0));
        let known = self.ring.kids(SystemTime::now());
        for key in stored
            .iter()
            .filter(|k| k.retire_at.is_none_or(|t| t > now))
        {
            if !known.iter().any(|kid| kid == &key.kid) {
                let alg: Algorithm = key.alg.parse()?;
                let signing = SigningKey::from_pkcs8_pem(alg, &key.private_pem)?;
                self.ring.publish_until(signing, key.retire_at.map(at))?;
                tracing::info!(kid = %key.kid, "published a key from the database");
            }
        }
        if let Some(active) = stored.iter().find(|k| k.active)
            && active.kid != self.ring.active().kid()
        {
            let previous = self.ring.active().kid().to_owned();
            let retire = stored
                .iter()
                .find(|k| k.kid == previous)
                .and_then(|k| k.retire_at)
                .map_or_else(|| SystemTime::now() + self.retire_after, at);
            self.ring.activate(&active.kid, retire)?;
            tracing::info!(kid = %active.kid, "signing with the rotated key");
        }
        // After the activation above, so that a removal made right after a rotation is
        // followed in one refresh. The ring cannot drop the key it signs with (`keys remove`
        // refuses it too): a database without it means a rotation this replica could not
        // follow, logged and retried at the next refresh.
        let active = self.ring.active().kid().to_owned();
        for kid in self.ring.kids(SystemTime::now()) {
            if stored.iter().any(|k| k.kid == kid) {
                continue;
            }
            if kid == active {
                tracing::error!(kid = %kid, "the signing key is no longer in the database and no other key is active there");
                continue;
            }
            self.ring.remove(&kid)?;
            tracing::warn!(kid = %kid, "removed a key deleted from the database: its tokens are refused");
        }
        Ok(())
    }

    /// Reads the stored projects and API keys again ([`LiveProjects::refresh`]), as the
    /// server does every [`PROJECTS_REFRESH`] while it serves.
    pub async fn refresh_projects(&self) -> Result<(), ServeError> {
        Ok(self.live.refresh().await?)
    }

    /// Loads revocations from the database into the in-memory view the layer reads.
    pub async fn refresh_revocations(&self) -> Result<(), ServeError> {
        let stored = self.store.revocations().await?;
        for (jti, expires_at) in stored.tokens {
            self.revocations.revoke_token(jti, expires_at);
        }
        for (project, context_key, before) in stored.users {
            self.revocations
                .revoke_user(&project, &ContextKey::from_stored(context_key), before);
        }
        self.revocations.prune(unix_now());
        Ok(())
    }

    /// Serves on `listener` until `shutdown` completes, refreshing revocations in the
    /// background. In-flight requests finish before it returns (graceful shutdown).
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = self.router();
        self.serve_router(listener, router, shutdown).await
    }

    /// [`serve`](Self::serve) with a router built on [`router`](Self::router) (the
    /// development server adds its identity provider).
    pub async fn serve_router(
        self,
        listener: tokio::net::TcpListener,
        router: Router,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Err(error) = self.refresh_revocations().await {
            tracing::warn!(%error, "loading revocations failed; retrying in the background");
        }
        let server = self.clone();
        let refresher = every(REVOCATION_REFRESH, move || {
            let server = server.clone();
            async move {
                if let Err(error) = server.refresh_revocations().await {
                    tracing::warn!(%error, "refreshing revocations failed");
                }
                if let Err(error) = server.refresh_keys().await {
                    tracing::warn!(%error, "refreshing the key ring failed");
                }
            }
        });
        let live = Arc::clone(&self.live);
        let projects = every(PROJECTS_REFRESH, move || {
            let live = Arc::clone(&live);
            async move {
                if let Err(error) = live.refresh().await {
                    tracing::warn!(%error, "refreshing the stored projects failed");
                }
            }
        });
        // The peer address decides who reads the operations details (`crate::ops`).
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        refresher.abort();
        projects.abort();
        result
    }
}

/// A task that runs `work` at once and then every `period`, until it is aborted.
fn every<F, Fut>(period: Duration, mut work: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            work().await;
        }
    })
}

/// CORS for `/v1` (client-side retrieval): exactly `origins` (already checked by
/// [`TokenExchange::cors`]), the verbs of the API, the headers a page sends with a bearer token,
/// and `WWW-Authenticate` readable, so that a page can tell an expired token
/// (`error="invalid_token"`, RFC 6750 §3.1) from other refusals. No credentials: the token is
/// a header, never a cookie. `None` without origins: no CORS header at all.
fn api_cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderName, HeaderValue, Method, header};

    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(tower_http::cors::AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
            ])
            .expose_headers([header::WWW_AUTHENTICATE])
            .max_age(Duration::from_secs(600)),
    )
}

/// The `none` strategy accepts unsigned tokens, so anyone who reaches the server could be any
/// user: it serves on loopback only (`127.0.0.0/8`, `::1`, `localhost`), whatever the profile.
fn none_only_on_loopback(config: &Config) -> Result<(), ConfigError> {
    let listen = &config.server.listen;
    if is_loopback_listen(listen) {
        return Ok(());
    }
    let unverified = config.projects.iter().position(|p| {
        p.verification
            .as_ref()
            .is_some_and(|v| v.strategy == StrategyName::None)
    });
    match unverified {
        None => Ok(()),
        Some(index) => Err(ConfigError {
            field: "server.listen".into(),
            reason: format!(
                "{listen:?} is not a loopback address, and projects[{index}].verification.strategy = \"none\" accepts unsigned tokens from anyone who reaches it; listen on 127.0.0.1, [::1] or localhost, or use a strategy that verifies signatures"
            ),
        }),
    }
}

/// Whether `listen` (`host:port` as `server.listen` takes it) binds loopback only.
fn is_loopback_listen(listen: &str) -> bool {
    if let Ok(addr) = listen.parse::<std::net::SocketAddr>() {
        // `::ffff:127.0.0.1` is loopback too.
        return addr.ip().to_canonical().is_loopback();
    }
    listen.rsplit_once(':').is_some_and(|(host, port)| {
        host.eq_ignore_ascii_case("localhost") && port.parse::<u16>().is_ok()
    })
}

/// `/readyz`: 200 when every issuer's keys are usable, else 503; the per-issuer view either
/// way when `details` (see [`crate::ops`]), else `{"ready"}` alone. API-managed projects whose
/// stored settings do not build are named in the details (`projects`); they keep serving
/// their last good settings, so they do not make the replica unready.
fn ready(
    registries: &[ProviderRegistry],
    problems: &[(String, String)],
    profile: Profile,
    details: bool,
) -> (StatusCode, Json<serde_json::Value>) {
    let issuers: Vec<_> = registries
        .iter()
        .flat_map(ProviderRegistry::status)
        .map(|s| {
            json!({
                "issuer": s.issuer,
                "ready": s.ready,
                "state": format!("{:?}", s.state).to_lowercase(),
                "keys": s.keys,
                "last_error": s.last_error,
            })
        })
        .collect();
    let all_ready = issuers.iter().all(|i| i["ready"] == true);
    let status = if all_ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !details {
        return (status, Json(json!({"ready": all_ready})));
    }
    let insecure = profile == Profile::Development;
    let projects: Vec<_> = problems
        .iter()
        .map(|(id, problem)| json!({"id": id, "problem": problem}))
        .collect();
    (
        status,
        Json(json!({
            "ready": all_ready,
            "issuers": issuers,
            "projects": projects,
            "insecure_development": insecure,
        })),
    )
}

/// Rotates the key ring stored in the database: a new `algorithm` key becomes active, the
/// previous one retires after `retire_after` (its last token's life plus leeway). Running
/// servers follow within [`REVOCATION_REFRESH`]. Returns the new `kid`.
pub async fn rotate_keys(
    store: &Store,
    algorithm: Algorithm,
    retire_after: Duration,
) -> Result<String, ServeError> {
    let now = unix_now();
    let retire_at = now + i64::try_from(retire_after.as_secs()).unwrap_or(i64::MAX / 2);
    for mut old in store.signing_keys().await?.into_iter().filter(|k| k.active) {
        old.active = false;
        old.retire_at = Some(retire_at);
        store.save_signing_key(old).await?;
    }
    let key = SigningKey::generate(algorithm)?;
    let kid = key.kid().to_owned();
    store
        .save_signing_key(StoredKey {
            kid: kid.clone(),
            alg: algorithm.as_str().to_owned(),
            private_pem: key.to_pkcs8_pem().ok_or_else(|| ConfigError {
                field: "token.algorithm".into(),
                reason: "the key cannot be stored".into(),
            })?,
            created_at: now,
            active: true,
            retire_at: None,
        })
        .await?;
    Ok(kid)
}

/// Why `tambo-auth keys remove` refused to remove a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoveKeyError {
    /// No key of the database ring has this `kid`.
    #[error(
        "no signing key with kid {0:?} in the database (a token's kid is in its header; the published kids are in /.well-known/jwks.json)"
    )]
    Unknown(String),
    /// The key signs new tokens: removing it would leave the servers nothing to sign with.
    #[error(
        "{0:?} is the active signing key; run `tambo-auth keys rotate --config FILE` first, then remove it"
    )]
    Active(String),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// Removes the key `kid` from the ring stored in the database, at once (a compromised key):
/// running servers refuse its tokens within [`REVOCATION_REFRESH`]; tokens of the other keys
/// keep working. The active key is refused: rotate first.
pub async fn remove_key(store: &Store, kid: &str) -> Result<(), RemoveKeyError> {
    let stored = store.signing_keys().await?;
    let key = stored
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| RemoveKeyError::Unknown(kid.to_owned()))?;
    if key.active {
        return Err(RemoveKeyError::Active(kid.to_owned()));
    }
    // The delete itself skips an active key, so a concurrent change cannot slip one through.
    if store.delete_inactive_signing_key(kid).await? {
        return Ok(());
    }
    match store.signing_keys().await?.iter().find(|k| k.kid == kid) {
        Some(_) => Err(RemoveKeyError::Active(kid.to_owned())),
        // Removed by someone else meanwhile: the outcome asked for.
        None => Ok(()),
    }
}

/// The key ring from the database; a first start generates and stores the signing key.
async fn load_key_ring(store: &Store, algorithm: Algorithm) -> Result<KeyRing, ServeError> {
    let now = unix_now();
    let stored = store.signing_keys().await?;
    let live: Vec<&StoredKey> = stored
        .iter()
        .filter(|k| k.retire_at.is_none_or(|at| at > now))
        .collect();
    let Some(active) = live.iter().find(|k| k.active) else {
        let key = SigningKey::generate(algorithm)?;
        let pem = key.to_pkcs8_pem().ok_or_else(|| ConfigError {
            field: "token.algorithm".into(),
            reason: "the key cannot be stored".into(),
        })?;
        store
            .save_signing_key(StoredKey {
                kid: key.kid().to_owned(),
                alg: algorithm.as_str().to_owned(),
                private_pem: pem,
                created_at: now,
                active: true,
                retire_at: None,
            })
            .await?;
        tracing::info!(kid = key.kid(), alg = %algorithm, "generated the Tambo token signing key");
        return Ok(KeyRing::new(key));
    };
    let load = |k: &StoredKey| -> Result<SigningKey, ServeError> {
        let alg: Algorithm = k.alg.parse()?;
        Ok(SigningKey::from_pkcs8_pem(alg, &k.private_pem)?)
    };
    let ring = KeyRing::new(load(active)?);
    for key in live.iter().filter(|k| !k.active) {
        let retire_at = key
            .retire_at
            .map(|at| UNIX_EPOCH + Duration::from_secs(u64::try_from(at).unwrap_or(0)));
        ring.publish_until(load(key)?, retire_at)?;
    }
    Ok(ring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_listen_addresses_are_recognised() {
        for listen in [
            "127.0.0.1:8260",
            "127.8.9.10:0",
            "[::1]:8260",
            "[::ffff:127.0.0.1]:80",
            "localhost:8260",
            "LocalHost:0",
        ] {
            assert!(is_loopback_listen(listen), "{listen}");
        }
        for listen in [
            "0.0.0.0:8260",
            "[::]:8260",
            "10.0.0.5:8260",
            "192.0.2.1:0",
            "example.com:8260",
            "localhost.example.com:8260",
            "localhost",
            "",
        ] {
            assert!(!is_loopback_listen(listen), "{listen}");
        }
    }
}
