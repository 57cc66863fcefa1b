//! `tambo-auth dev`: the reference server on 127.0.0.1 with an embedded development identity
//! provider, one project and an SQLite file, and a printed walkthrough.
//!
//! The development identity provider is a real one: it signs ID tokens with an Ed25519 key and
//! publishes discovery and a JWKS under `/dev/idp`, and the project verifies them through OIDC
//! discovery exactly as it would verify Auth0's. Nothing is unverified; the tokens are only
//! easy to get (`GET /dev/idp/token?sub=alice`). It listens on loopback only.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use tambo_auth::Algorithm;
use tambo_auth::token::SigningKey;

use crate::config::{Config, ProjectConfig, ServerConfig, TokenConfig, VerificationConfig};
use crate::server::{ServeError, Server};

/// The development project's id.
pub const PROJECT: &str = "p_dev";
/// The development project's API key (public: development only).
pub const API_KEY: &str = "tambo_pk_dev";
/// The path of the embedded identity provider.
pub const IDP_PATH: &str = "/dev/idp";
/// The `aud` of the development ID tokens.
pub const IDP_AUDIENCE: &str = "tambo-dev";

/// A running development server: its address and router.
#[derive(Debug)]
pub struct DevServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The listener, bound before the configuration (the issuer names the port).
    pub listener: tokio::net::TcpListener,
    /// The server.
    pub server: Server,
    /// The full router: the server plus the development identity provider.
    pub router: Router,
}

/// Binds 127.0.0.1:`port` (0 for any) and builds the server with its data in `data_dir`.
pub async fn start(port: u16, data_dir: &Path) -> Result<DevServer, ServeError> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| crate::config::ConfigError {
            field: "--port".into(),
            reason: format!("cannot listen on 127.0.0.1:{port}: {e}"),
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| crate::config::ConfigError {
            field: "--port".into(),
            reason: e.to_string(),
        })?;
    std::fs::create_dir_all(data_dir).map_err(|e| crate::config::ConfigError {
        field: "--data-dir".into(),
        reason: format!("cannot create {}: {e}", data_dir.display()),
    })?;
    let base = format!("http://{addr}");
    let issuer = format!("{base}{IDP_PATH}");
    let config = Config {
        server: ServerConfig {
            listen: addr.to_string(),
            public_url: Some(base.clone()),
            database_url: Some(format!("sqlite://{}", data_dir.join("dev.db").display())),
            profile: crate::config::ProfileName::Development,
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
        }],
        rate_limits: crate::config::RateLimitConfig::default(),
    };
    let server = Server::build(&config).await?;
    let key = SigningKey::generate(Algorithm::EdDSA)?;
    let router = server.router().merge(identity_provider(issuer, key));
    Ok(DevServer {
        addr,
        listener,
        server,
        router,
    })
}

#[derive(Debug, Deserialize)]
struct Mint {
    sub: Option<String>,
}

/// Discovery, JWKS and a token endpoint that signs an ID token for any user name.
fn identity_provider(issuer: String, key: SigningKey) -> Router {
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
    Router::new()
        .route(
            &format!("{IDP_PATH}/.well-known/openid-configuration"),
            get(discovery),
        )
        .route(&format!("{IDP_PATH}/.well-known/jwks.json"), get(jwks))
        .route(&format!("{IDP_PATH}/token"), get(mint))
}

/// The walkthrough printed at start, with copy-paste commands for this address.
pub fn walkthrough(addr: SocketAddr) -> String {
    let base = format!("http://{addr}");
    format!(
        r#"tambo-auth dev listening on {base}
project {PROJECT}, API key {API_KEY}, development identity provider at {base}{IDP_PATH}

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
