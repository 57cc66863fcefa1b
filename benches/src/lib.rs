//! The routers and tokens every row of the performance table runs on (issue 6), shared by the
//! criterion benches (`benches/auth.rs`), the loopback server (`src/bin/bench-server.rs`), the
//! memory probe (`src/bin/cache-memory.rs`), the paired first-sight rounds
//! (`src/bin/paired.rs`) and the profiling loop (`src/bin/loop.rs`), with the floor they
//! compare with ([`FloorKey`]).
//!
//! Every router answers `GET /` with `ok` from the same handler; only the authentication in
//! front of it differs. Provider tokens are signed by the testkit's fixed keys and carry
//! `iss`, `aud`, `sub`, `iat`, `nbf`, `exp` and `jti`; every verifier checks signature, issuer,
//! audience and time.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::json;
use tambo_auth::exchange::{
    GRANT_TYPE_TOKEN_EXCHANGE, Project, StaticProjects, TOKEN_TYPE_ACCESS_TOKEN, TokenExchange,
};
use tambo_auth::jwt::Claims;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, OidcProvider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::{TestKey, fixtures};

/// The provider issuer of the comparison tokens.
pub const IDP: &str = "https://idp.bench.example";
/// The audience every provider token carries and every verifier requires.
pub const AUDIENCE: &str = "bench-api";
/// Our issuer (Tambo tokens).
pub const OUR_ISSUER: &str = "https://auth.bench.example";
/// The project Tambo tokens are issued to.
pub const PROJECT: &str = "p_bench";
/// The API key of the exchange's project.
pub const API_KEY: &str = "tambo_pk_bench";
/// The static bearer token of the tower-http row.
pub const STATIC_TOKEN: &str = "s3cr3t-static-bearer-token-for-the-floor-row";

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The handler behind every router.
pub async fn ok() -> &'static str {
    "ok"
}

/// `Bearer <token>` as a header value.
pub fn bearer(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("Bearer {token}")).expect("a token is a valid header value")
}

// ---------------------------------------------------------------------------------------------
// Provider tokens (RS256, ES256, EdDSA, HS256) for the comparison rows and direct mode
// ---------------------------------------------------------------------------------------------

/// The algorithms of provider tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderAlg {
    /// RSA-2048 PKCS#1 v1.5 with SHA-256.
    Rs256,
    /// ECDSA P-256.
    Es256,
    /// Ed25519.
    EdDsa,
    /// HMAC-SHA-256 with a 32-byte secret.
    Hs256,
}

impl ProviderAlg {
    /// Every algorithm, in the order the rows show them.
    pub const ALL: [ProviderAlg; 4] = [
        ProviderAlg::Rs256,
        ProviderAlg::Es256,
        ProviderAlg::EdDsa,
        ProviderAlg::Hs256,
    ];

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            ProviderAlg::Rs256 => "RS256",
            ProviderAlg::Es256 => "ES256",
            ProviderAlg::EdDsa => "EdDSA",
            ProviderAlg::Hs256 => "HS256",
        }
    }

    /// The testkit fixture key.
    pub fn key(self) -> &'static TestKey {
        let f = fixtures();
        match self {
            ProviderAlg::Rs256 => &f.rsa,
            ProviderAlg::Es256 => &f.ec,
            ProviderAlg::EdDsa => &f.ed,
            ProviderAlg::Hs256 => &f.hmac,
        }
    }

    /// The secret of the HMAC fixture (the same bytes the testkit signs with).
    pub fn hmac_secret() -> Vec<u8> {
        let jwk = fixtures().hmac.public_jwk();
        let k = jwk["k"].as_str().expect("an oct JWK has k");
        base64url(k)
    }
}

fn base64url(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

/// `GET /`, with `auth` as its `Authorization` header: the request of every router row.
pub fn get_request(auth: Option<&HeaderValue>) -> http::Request<axum::body::Body> {
    let mut request = http::Request::get("/")
        .body(axum::body::Body::empty())
        .expect("request");
    if let Some(auth) = auth {
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, auth.clone());
    }
    request
}

/// A compact token's signing input and decoded signature.
pub fn signing_input_and_signature(token: &str) -> (Vec<u8>, Vec<u8>) {
    let dot = token.rfind('.').expect("three segments");
    (
        token.as_bytes()[..dot].to_vec(),
        base64url(&token[dot + 1..]),
    )
}

/// The floor of every comparison: `alg`'s signature check alone, with the fixture key parsed
/// once in aws-lc-rs.
pub enum FloorKey {
    /// RS256, ES256 or EdDSA.
    Public(aws_lc_rs::signature::ParsedPublicKey),
    /// HS256 (boxed: an HMAC key is a kilobyte).
    Hmac(Box<aws_lc_rs::hmac::Key>),
}

impl FloorKey {
    /// The fixture key of `alg`, parsed.
    pub fn new(alg: ProviderAlg) -> FloorKey {
        use aws_lc_rs::{hmac, signature as sig};
        let algorithm: &'static dyn sig::VerificationAlgorithm = match alg {
            ProviderAlg::Rs256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            ProviderAlg::Es256 => &sig::ECDSA_P256_SHA256_FIXED,
            ProviderAlg::EdDsa => &sig::ED25519,
            ProviderAlg::Hs256 => {
                let secret = ProviderAlg::hmac_secret();
                return FloorKey::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, &secret)));
            }
        };
        let key = sig::ParsedPublicKey::new(algorithm, alg.key().public_der());
        FloorKey::Public(key.expect("a parsed public key"))
    }

    /// Whether `signature` is this key's signature of `input`.
    pub fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        match self {
            FloorKey::Public(key) => key.verify_sig(input, signature).is_ok(),
            FloorKey::Hmac(key) => aws_lc_rs::hmac::verify(key, input, signature).is_ok(),
        }
    }
}

/// A provider token for `sub`, valid for an hour.
pub fn provider_token(alg: ProviderAlg, sub: &str) -> String {
    let now = now();
    let claims = json!({
        "iss": IDP, "aud": AUDIENCE, "sub": sub,
        "iat": now, "nbf": now, "exp": now + 3600,
        "jti": format!("jti-{sub}"),
    });
    tambo_auth_testkit::jws::token(alg.key(), &claims)
}

/// The claims the naive and jwt-authorizer rows deserialize.
#[derive(Debug, Clone, Deserialize)]
pub struct NaiveClaims {
    /// Subject.
    pub sub: String,
    /// Expiry.
    pub exp: u64,
}

// ---------------------------------------------------------------------------------------------
// Axum 0.8 routers
// ---------------------------------------------------------------------------------------------

/// No authentication at all.
pub fn bare_router() -> Router {
    Router::new().route("/", get(ok))
}

/// tower-http's static bearer comparison: the floor for any authentication.
#[allow(deprecated)] // `bearer` is deprecated as "too basic"; it is exactly the floor we want.
pub fn static_bearer_router() -> Router {
    bare_router()
        .layer(tower_http::validate_request::ValidateRequestHeaderLayer::bearer(STATIC_TOKEN))
}

/// What a hand-written jsonwebtoken 11 middleware holds: the key and the validation, built
/// once (the common, already-careful form).
pub struct NaiveState {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl NaiveState {
    /// The key and validation for `alg`.
    pub fn new(alg: ProviderAlg) -> Self {
        use jsonwebtoken::{Algorithm as A, DecodingKey};
        let pem = || alg.key().public_pem();
        let (key, a) = match alg {
            ProviderAlg::Rs256 => (DecodingKey::from_rsa_pem(pem().as_bytes()), A::RS256),
            ProviderAlg::Es256 => (DecodingKey::from_ec_pem(pem().as_bytes()), A::ES256),
            ProviderAlg::EdDsa => (DecodingKey::from_ed_pem(pem().as_bytes()), A::EdDSA),
            ProviderAlg::Hs256 => (
                Ok(DecodingKey::from_secret(&ProviderAlg::hmac_secret())),
                A::HS256,
            ),
        };
        let mut validation = jsonwebtoken::Validation::new(a);
        validation.set_issuer(&[IDP]);
        validation.set_audience(&[AUDIENCE]);
        Self {
            key: key.expect("the fixture key loads"),
            validation,
        }
    }
}

async fn naive_middleware(
    State(state): State<Arc<NaiveState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match jsonwebtoken::decode::<NaiveClaims>(token, &state.key, &state.validation) {
        Ok(data) => {
            request.extensions_mut().insert(data.claims);
            next.run(request).await
        }
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// A naive per-request `jsonwebtoken::decode` middleware (axum `from_fn_with_state`).
pub fn naive_router(alg: ProviderAlg) -> Router {
    let state = Arc::new(NaiveState::new(alg));
    bare_router().layer(axum::middleware::from_fn_with_state(
        state,
        naive_middleware,
    ))
}

// ---------------------------------------------------------------------------------------------
// Our layer
// ---------------------------------------------------------------------------------------------

/// Tambo tokens signed with a fresh key of `alg` (EdDSA, ES256 or HS256).
///
/// The signing key is the testkit fixture of [`tambo_key`], so that the `floor_signature`
/// rows can check the same tokens with aws-lc-rs alone.
pub fn tambo_tokens(alg: Algorithm) -> TamboTokens {
    let key = match alg {
        Algorithm::HS256 => SigningKey::hmac(&tambo_auth::verify::Secret::from_bytes(
            ProviderAlg::hmac_secret(),
        )),
        _ => SigningKey::from_pkcs8_der(alg, &tambo_key(alg).key().private_pkcs8_der()),
    };
    TamboTokens::builder(OUR_ISSUER)
        .signing_key(key.expect("a signing key"))
        .build()
        .expect("tokens build")
}

/// The fixture key that signs Tambo tokens of `alg` (EdDSA, ES256 or HS256).
pub fn tambo_key(alg: Algorithm) -> ProviderAlg {
    match alg {
        Algorithm::ES256 => ProviderAlg::Es256,
        Algorithm::HS256 => ProviderAlg::Hs256,
        _ => ProviderAlg::EdDsa,
    }
}

/// A provider user for `sub`.
pub fn user(sub: &str) -> TamboUser {
    let claims = json!({"iss": IDP, "sub": sub, "exp": now() + 3600});
    TamboUser::from_claims(
        "idp",
        IDP,
        Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
    )
    .expect("a user")
}

/// A Tambo token for `sub` in [`PROJECT`].
pub fn tambo_token(tokens: &TamboTokens, sub: &str) -> String {
    tokens
        .issue(IssueRequest::new(&user(sub), PROJECT))
        .expect("issued")
        .access_token
}

/// The router behind `layer`.
pub fn layered(layer: TamboAuthLayer) -> Router {
    bare_router().layer(layer)
}

/// A layer over `verifier` without the verified-token cache: every request a first sight.
pub fn no_cache(verifier: impl tambo_auth::layer::BearerVerifier) -> TamboAuthLayer {
    TamboAuthLayer::builder(verifier)
        .cache_capacity(0)
        .build()
        .expect("a layer without cookie or project builds")
}

/// A static-key provider verifier for `alg` (direct mode).
pub fn static_verifier(alg: ProviderAlg) -> Verifier {
    let builder = Verifier::builder(IDP).audience(AUDIENCE);
    let builder = match alg {
        ProviderAlg::Hs256 => builder.shared_secret(tambo_auth::verify::Secret::from_bytes(
            ProviderAlg::hmac_secret(),
        )),
        _ => builder.public_key_pem(alg.key().public_pem()),
    };
    let builder = match alg {
        ProviderAlg::Rs256 => builder.algorithms([Algorithm::RS256]),
        ProviderAlg::Es256 => builder.algorithms([Algorithm::ES256]),
        ProviderAlg::EdDsa => builder.algorithms([Algorithm::EdDSA]),
        ProviderAlg::Hs256 => builder.algorithms([Algorithm::HS256]),
    };
    builder.build().expect("a static-key verifier")
}

/// A registry of one static-key provider.
pub fn static_registry(alg: ProviderAlg) -> ProviderRegistry {
    ProviderRegistry::builder()
        .provider(OidcProvider::new("idp", static_verifier(alg)))
        .build()
        .expect("registry")
}

/// The token exchange of one project whose provider is the static-key one of `alg`, and a
/// form body exchanging a provider token of `alg` for a Tambo token (EdDSA).
pub struct Exchange {
    /// `POST /oauth/token`, materialized.
    pub router: Router,
    /// The Tambo tokens the exchange issues.
    pub tokens: TamboTokens,
    /// The project's providers.
    pub registry: ProviderRegistry,
    /// The subject token the body carries.
    pub subject: String,
    body: bytes::Bytes,
}

impl Exchange {
    /// The exchange for provider tokens of `alg`.
    pub fn new(alg: ProviderAlg) -> Exchange {
        let tokens = tambo_tokens(Algorithm::EdDSA);
        let registry = static_registry(alg);
        let project = Arc::new(Project::new(PROJECT, registry.clone()));
        let projects = StaticProjects::new([(API_KEY, project)]).expect("projects");
        let router = TokenExchange::new(tokens.clone(), Arc::new(projects))
            .router()
            .with_state(());
        let subject = provider_token(alg, "alice");
        let body = serde_urlencoded::to_string([
            ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
            ("subject_token", subject.as_str()),
            ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ])
        .expect("form");
        Exchange {
            router,
            tokens,
            registry,
            subject,
            body: body.into(),
        }
    }

    /// A fresh `POST /oauth/token` with the project's API key and the body.
    pub fn request(&self) -> http::Request<axum::body::Body> {
        http::Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-api-key", API_KEY)
            .body(axum::body::Body::from(self.body.clone()))
            .expect("request")
    }
}

/// A first-sight row: `TamboAuthLayer` with its cache off in front of the bare router, and a
/// token it accepts.
pub struct FirstSight {
    /// `direct_<alg>` (a static-key provider's token) or `tambo_<alg>` (a Tambo token).
    pub name: String,
    /// The router, materialized.
    pub router: Router,
    /// The token every request carries.
    pub token: String,
    /// The fixture key that signed it, for the floor.
    pub key: ProviderAlg,
}

/// Every first-sight row: direct mode for RS256, ES256, EdDSA and HS256, then Tambo tokens
/// for EdDSA, ES256 and HS256.
pub fn first_sight_rows() -> Vec<FirstSight> {
    let direct = ProviderAlg::ALL.map(|alg| FirstSight {
        name: format!("direct_{}", alg.name()),
        router: layered(no_cache(static_registry(alg))).with_state(()),
        token: provider_token(alg, "alice"),
        key: alg,
    });
    let tambo = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256].map(|alg| {
        let tokens = tambo_tokens(alg);
        FirstSight {
            name: format!("tambo_{alg}"),
            token: tambo_token(&tokens, "alice"),
            router: layered(no_cache(tokens)).with_state(()),
            key: tambo_key(alg),
        }
    });
    direct.into_iter().chain(tambo).collect()
}

// ---------------------------------------------------------------------------------------------
// jwt-authorizer 0.15 on axum 0.7
// ---------------------------------------------------------------------------------------------

/// jwt-authorizer on an axum 0.7 router, with a PEM key for `alg` (RS256, ES256 or EdDSA).
pub async fn jwt_authorizer_router(alg: ProviderAlg) -> axum07::Router {
    use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, Validation};
    let pem = alg.key().public_pem();
    let builder = match alg {
        ProviderAlg::Rs256 => JwtAuthorizer::<NaiveClaims>::from_rsa_pem_text(&pem),
        ProviderAlg::Es256 => JwtAuthorizer::<NaiveClaims>::from_ec_pem_text(&pem),
        ProviderAlg::EdDsa => JwtAuthorizer::<NaiveClaims>::from_ed_pem_text(&pem),
        ProviderAlg::Hs256 => panic!("the jwt-authorizer rows are RS256, ES256 and EdDSA"),
    };
    let authorizer: Authorizer<NaiveClaims> = builder
        .validation(Validation::new().iss(&[IDP]).aud(&[AUDIENCE]))
        .build()
        .await
        .expect("jwt-authorizer builds");
    axum07::Router::new()
        .route("/", axum07::routing::get(ok))
        .layer(authorizer.into_layer())
}
