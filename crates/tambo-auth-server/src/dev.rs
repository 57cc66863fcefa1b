//! `tambo-auth dev`: the reference server on 127.0.0.1 with an embedded development identity
//! provider, one project and an SQLite file, and a printed walkthrough.
//!
//! The development identity provider is a real one: it signs ID tokens with an Ed25519 key and
//! publishes discovery and a JWKS under `/dev/idp`, and the project verifies them through OIDC
//! discovery exactly as it would verify Auth0's. Nothing is unverified; the tokens are only
//! easy to get (`GET /dev/idp/token?sub=alice`). It listens on loopback only.
//!
//! Beside the API, on a second loopback port, it serves the client-side retrieval example
//! ([`app`]): a page on an origin of its own, as a real app lives apart from the API, so every
//! call it makes is cross-origin. The API allows exactly that origin (`[server] cors_origins`,
//! and the identity provider's token route), and its `/` points a browser to the page.
//!
//! The admin API and the settings page (`/admin`, [`crate::admin`]) are on, behind an admin
//! token made at each start and printed in the walkthrough; the page offers the identity
//! provider's settings as a template. The key that seals the secrets projects store is
//! `<data-dir>/secret.key`, made at the first start, so that they open again after a restart.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use tambo_auth::Algorithm;
use tambo_auth::token::SigningKey;

use crate::admin::random_hex;
use crate::config::{
    AdminSettings, Config, ConfigError, ProjectConfig, Sensitive, ServerConfig, TokenConfig,
    VerificationConfig,
};
use crate::server::{ServeError, Server};

pub mod app;

/// The development project's id.
pub const PROJECT: &str = "p_dev";
/// The development project's API key (public: development only).
pub const API_KEY: &str = "tambo_pk_dev";
/// The path of the embedded identity provider.
pub const IDP_PATH: &str = "/dev/idp";
/// The `aud` of the development ID tokens.
pub const IDP_AUDIENCE: &str = "tambo-dev";
/// The file of the data directory holding the key that seals stored secrets.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// A running development server: the API and the client-side retrieval page, each on its own
/// loopback port. [`serve`](DevServer::serve) serves both; a test that needs the API alone
/// serves [`router`](DevServer::router) with [`Server::serve_router`].
#[derive(Debug)]
pub struct DevServer {
    /// Where the API listens.
    pub addr: SocketAddr,
    /// The API's listener, bound before the configuration (the issuer names the port).
    pub listener: tokio::net::TcpListener,
    /// The server.
    pub server: Server,
    /// The API's full router: the server, the development identity provider, and `/`
    /// pointing to the page.
    pub router: Router,
    /// Where the client-side retrieval page listens: the origin the API allows.
    pub app_addr: SocketAddr,
    /// The page's listener.
    pub app_listener: tokio::net::TcpListener,
    /// The page's router ([`app::router`]).
    pub app_router: Router,
    /// The admin token of this run: the admin API's bearer token, which the settings page asks
    /// for.
    pub admin_token: Sensitive,
}

impl DevServer {
    /// Serves the API and the page until `shutdown` completes, then lets in-flight requests
    /// finish. Either failing stops both.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use std::future::IntoFuture as _;

        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                // An error means the sender is gone, which also means stop.
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let page = axum::serve(self.app_listener, self.app_router)
            .with_graceful_shutdown(stopped())
            .into_future();
        let api = self
            .server
            .serve_router(self.listener, self.router, stopped());
        tokio::try_join!(api, page).map(|((), ())| ())
    }
}

/// The page's default port for an API on `port`: the next one, or any free port when `port`
/// is 0 (or the last port).
pub fn default_app_port(port: u16) -> u16 {
    match port {
        0 => 0,
        port => port.checked_add(1).unwrap_or(0),
    }
}

/// Binds 127.0.0.1:`port` (0 for any); `flag` names the setting in errors.
async fn bind(port: u16, flag: &str) -> Result<(tokio::net::TcpListener, SocketAddr), ConfigError> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| ConfigError {
            field: flag.into(),
            reason: format!("cannot listen on 127.0.0.1:{port}: {e}"),
        })?;
    let addr = listener.local_addr().map_err(|e| ConfigError {
        field: flag.into(),
        reason: e.to_string(),
    })?;
    Ok((listener, addr))
}

/// Binds 127.0.0.1:`port` (0 for any) for the API and the next port for the page
/// ([`default_app_port`]), and builds the server with its data in `data_dir`.
pub async fn start(port: u16, data_dir: &Path) -> Result<DevServer, ServeError> {
    start_on(port, default_app_port(port), data_dir).await
}

/// [`start`] with the page on 127.0.0.1:`app_port` (0 for any).
pub async fn start_on(port: u16, app_port: u16, data_dir: &Path) -> Result<DevServer, ServeError> {
    let (listener, addr) = bind(port, "--port").await?;
    let (app_listener, app_addr) = bind(app_port, "--app-port").await?;
    std::fs::create_dir_all(data_dir).map_err(|e| ConfigError {
        field: "--data-dir".into(),
        reason: format!("cannot create {}: {e}", data_dir.display()),
    })?;
    let base = format!("http://{addr}");
    let app_origin = format!("http://{app_addr}");
    let issuer = format!("{base}{IDP_PATH}");
    let admin_token = Sensitive::from(random_hex(32));
    let config = Config {
        server: ServerConfig {
            listen: addr.to_string(),
            public_url: Some(base.clone()),
            database_url: Some(format!("sqlite://{}", data_dir.join("dev.db").display())),
            profile: crate::config::ProfileName::Development,
            cors_origins: vec![app_origin.clone()],
            ..ServerConfig::default()
        },
        token: TokenConfig::default(),
        limits: crate::store::Limits::default(),
        projects: vec![ProjectConfig {
            id: PROJECT.into(),
            api_keys: vec![API_KEY.into()],
            scopes: Vec::new(),
            verification: Some(VerificationConfig {
                issuer: Some(issuer.clone()),
                audiences: vec![IDP_AUDIENCE.into()],
                allow_loopback_http: true,
                ..VerificationConfig::default()
            }),
            provider: None,
            migration: None,
        }],
        rate_limits: crate::config::RateLimitConfig::default(),
        admin: AdminSettings {
            token: Some(admin_token.clone()),
            secret_key: Some(secret_key(data_dir)?),
            previous_secret_key: None,
            templates: vec![json!({
                "label": "Development identity provider",
                "verification": {
                    "issuer": issuer,
                    "audiences": [IDP_AUDIENCE],
                    "allow_loopback_http": true,
                },
            })],
        },
    };
    let server = Server::build(&config).await?;
    let key = SigningKey::generate(Algorithm::EdDSA)?;
    let router = server
        .router()
        .merge(identity_provider(issuer, key, &app_origin)?)
        .route("/", get(Html(api_index(&app_origin))));
    Ok(DevServer {
        addr,
        listener,
        server,
        router,
        app_addr,
        app_listener,
        app_router: app::router(addr),
        admin_token,
    })
}

/// The key in `<data_dir>/secret.key` (64 hex digits), made readable by its owner only when
/// missing.
fn secret_key(data_dir: &Path) -> Result<Sensitive, ConfigError> {
    let path = data_dir.join(SECRET_KEY_FILE);
    let failed = |reason: String| ConfigError {
        field: path.display().to_string(),
        reason,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let key = match options.open(&path) {
        Ok(mut file) => {
            let key = random_hex(32);
            file.write_all(key.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| failed(format!("cannot write: {e}")))?;
            key
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(&path)
            .map_err(|e| failed(format!("cannot read: {e}")))?
            .trim()
            .to_owned(),
        Err(e) => return Err(failed(format!("cannot create: {e}"))),
    };
    if key.len() != 64 || !key.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(failed(
            "not a key made by tambo-auth dev (64 hex digits); remove it to start with a new one (the secrets stored in the development database then no longer open)".into(),
        ));
    }
    Ok(Sensitive::from(key))
}

/// `GET /` of the API: where a browser opened on the printed address finds the page.
fn api_index(app_origin: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>tambo-auth dev</title>
<h1>tambo-auth dev</h1>
<p>This is the API. Open the client-side retrieval example: <a href="{app_origin}/">{app_origin}/</a>.
It is a page on an origin of its own that signs a user in at the development identity provider,
exchanges the ID token for a Tambo token and calls <code>/v1</code> itself.</p>
<p>The API is described at <a href="/openapi.json">/openapi.json</a>; the walkthrough printed at
start drives it with curl.</p>
<p>The settings page, where projects, how they verify tokens and their API keys are managed, is
<a href="/admin">/admin</a>; it asks for the admin token printed at start.</p>
</html>
"#
    )
}

#[derive(Debug, Deserialize)]
struct Mint {
    sub: Option<String>,
}

/// Discovery, JWKS and a token endpoint that signs an ID token for any user name; the page on
/// `app_origin` may read the token endpoint's answers (CORS).
fn identity_provider(
    issuer: String,
    key: SigningKey,
    app_origin: &str,
) -> Result<Router, ConfigError> {
    let app_origin = axum::http::HeaderValue::from_str(app_origin).map_err(|e| ConfigError {
        field: "--app-port".into(),
        reason: e.to_string(),
    })?;
    // A simple GET without credentials: no preflight, only the answer's header.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list([app_origin]))
        .allow_methods([axum::http::Method::GET]);
    let key = std::sync::Arc::new(key);
    let discovery = {
        let issuer = issuer.clone();
        move || {
            std::future::ready(Json(json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
                "token_endpoint": format!("{issuer}/token"),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["EdDSA"],
            })))
        }
    };
    let jwks = {
        let key = key.clone();
        move || std::future::ready(Json(json!({"keys": [key.public_jwk()]})))
    };
    let mint = move |Query(query): Query<Mint>| {
        let result = match query.sub.filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        }) {
            None => Err((
                StatusCode::BAD_REQUEST,
                "name a user: /dev/idp/token?sub=alice (letters, digits, - _ .)".to_owned(),
            )),
            Some(sub) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let claims = json!({
                    "iss": issuer, "sub": sub, "aud": IDP_AUDIENCE,
                    "iat": now, "exp": now + 3600,
                    "email": format!("{sub}@example.com"), "email_verified": true,
                });
                key.sign_claims("JWT", &claims)
                    .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
            }
        };
        std::future::ready(result)
    };
    Ok(Router::new()
        .route(
            &format!("{IDP_PATH}/.well-known/openid-configuration"),
            get(discovery),
        )
        .route(&format!("{IDP_PATH}/.well-known/jwks.json"), get(jwks))
        .route(&format!("{IDP_PATH}/token"), get(mint).layer(cors)))
}

/// The walkthrough printed at start: the page first, the settings page and its admin token,
/// then copy-paste commands for the API.
pub fn walkthrough(dev: &DevServer) -> String {
    let base = format!("http://{}", dev.addr);
    let app = dev.app_addr;
    let admin_token = dev.admin_token.expose();
    format!(
        r#"tambo-auth dev listening on {base}
project {PROJECT}, API key {API_KEY}, development identity provider at {base}{IDP_PATH}

Open the client-side retrieval example in a browser:

    http://{app}/

a page on an origin of its own that signs a user in, exchanges and calls the API itself (sign
in as alice, then as bob in another window).

The settings page (projects, how they verify tokens, their API keys) asks for this run's admin
token:

    {base}/admin
    admin token {admin_token}

The same steps with curl:

# 1. Sign in as alice at the development identity provider: a signed ID token
ALICE_ID=$(curl -s '{base}{IDP_PATH}/token?sub=alice')

# 2. Exchange it for a Tambo token (RFC 8693)
ALICE=$(curl -s {base}/oauth/token -H 'x-api-key: {API_KEY}' \
  -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
  -d subject_token_type=urn:ietf:params:oauth:token-type:id_token \
  -d subject_token="$ALICE_ID" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')

# 3. Create a thread and list alice's threads
THREAD=$(curl -s {base}/v1/threads -H "authorization: Bearer $ALICE" -H 'content-type: application/json' \
  -d '{{"metadata":{{"topic":"groceries"}}}}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -s -w '\n' {base}/v1/threads -H "authorization: Bearer $ALICE"

# 4. Bob signs in and exchanges; alice's thread is 404 for him
BOB_ID=$(curl -s '{base}{IDP_PATH}/token?sub=bob')
BOB=$(curl -s {base}/oauth/token -H 'x-api-key: {API_KEY}' \
  -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
  -d subject_token_type=urn:ietf:params:oauth:token-type:id_token \
  -d subject_token="$BOB_ID" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
curl -s -o /dev/null -w '%{{http_code}}\n' {base}/v1/threads/$THREAD -H "authorization: Bearer $BOB"
"#
    )
}

/// The default data directory: `.tambo-auth` under the current directory.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(".tambo-auth")
}
