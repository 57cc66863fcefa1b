//! The Firebase adapter against the testkit serving its keys at the path of Google's
//! securetoken JWKS, with Firebase-shaped ID tokens, session cookies and custom tokens. Time
//! comes from a manual clock pinned at the tokens' `now`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tambo_auth::clock::ManualClock;
use tambo_auth::{
    Algorithm, Error, ErrorKind, Provider, ProviderExt, ProviderOptions, ProviderRegistry,
    StrategyKind,
};
use tambo_auth_firebase::{
    FIREBASE_JWKS_URL, FirebaseClaims, FirebaseProvider, FirebaseProviderBuilder,
};
use tambo_auth_testkit::claims::{
    FIREBASE_PROJECT_ID, FIREBASE_SERVICE_ACCOUNT, FIREBASE_UID, firebase_anonymous_id_token,
    firebase_custom_token, firebase_custom_token_header, firebase_header, firebase_id_token,
    firebase_session_cookie,
};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

/// The tokens' "now", and the provider's clock.
const NOW: u64 = 1_767_225_600;

const TENANT: &str = "acme-x1y2z";

/// The testkit IdP with Google's securetoken JWKS path and no discovery, as Firebase has none.
async fn securetoken() -> TestIdp {
    TestIdp::builder()
        .discovery(false)
        .jwks_path("/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com")
        .start()
        .await
}

fn builder(idp: &TestIdp) -> FirebaseProviderBuilder {
    FirebaseProvider::builder(FIREBASE_PROJECT_ID)
        .jwks_url(idp.jwks_url())
        .options(
            ProviderOptions::default()
                .allow_loopback_http(true)
                .clock(Arc::new(ManualClock::at_unix(NOW))),
        )
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &firebase_header(key), claims)
}

fn id_token() -> Value {
    firebase_id_token(FIREBASE_PROJECT_ID, FIREBASE_UID, NOW)
}

fn with_tenant(tenant: &str) -> Value {
    let mut claims = id_token();
    claims["firebase"]["tenant"] = json!(tenant);
    claims
}

fn with_sign_in_provider(provider: &str) -> Value {
    let mut claims = id_token();
    claims["firebase"]["sign_in_provider"] = json!(provider);
    claims
}

/// A refusal of a token: 400 `invalid_request` at the exchange, 401 at the layer.
fn assert_token_refusal(error: &Error, code: &str) {
    assert_eq!(error.kind().code(), code, "{error}");
    assert_eq!(
        (
            error.kind().exchange_status(),
            error.kind().oauth_error(),
            error.kind().bearer_status()
        ),
        (400, "invalid_request", 401),
        "{error}"
    );
}

#[tokio::test]
async fn an_id_token_is_accepted_and_mapped() {
    let idp = securetoken().await;
    let provider = builder(&idp).build().expect("builds");

    let user = provider
        .authenticate(&sign(&id_token()))
        .await
        .expect("the ID token");

    assert_eq!(user.provider(), "firebase");
    assert_eq!(user.sub(), FIREBASE_UID);
    assert_eq!(user.issuer(), "https://securetoken.google.com/acme-threads");
    assert_eq!(user.tenant(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:securetoken.google.com/acme-threads:{FIREBASE_UID}")
    );
    assert_eq!(user.email(), Some("ada@acme.example"));
    assert_eq!(user.email_verified(), Some(true));
    let typed = FirebaseClaims::from_user(&user);
    assert_eq!(typed.sign_in_provider.as_deref(), Some("google.com"));
    assert_eq!(typed.name.as_deref(), Some("Ada Lovelace"));
    assert!(typed.picture.is_some());
    assert_eq!(typed.auth_time, Some(NOW as i64 - 600));
    assert_eq!(typed.identities["google.com"], ["108234567890123456789"]);
    assert!(!typed.is_anonymous());
    assert_eq!(idp.jwks_requests(), 1);
    assert_eq!(idp.discovery_requests(), 0);
}

#[tokio::test]
async fn the_tenant_is_firebase_tenant_and_a_custom_org_id_claim_does_not_move_the_user() {
    let idp = securetoken().await;
    let provider = builder(&idp).build().expect("builds");
    let mut claims = with_tenant(TENANT);
    // A custom claim (`setCustomUserClaims`) named like Tambo's default tenant claim.
    claims["org_id"] = json!("org_elsewhere");

    let user = provider.authenticate(&sign(&claims)).await.expect("tenant");

    assert_eq!(user.tenant(), Some(TENANT));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:securetoken.google.com/acme-threads:{TENANT}:{FIREBASE_UID}")
    );
    let mut no_tenant = id_token();
    no_tenant["org_id"] = json!("org_elsewhere");
    let user = provider
        .authenticate(&sign(&no_tenant))
        .await
        .expect("project user");
    assert_eq!(user.tenant(), None);
}

#[tokio::test]
async fn allowed_tenants_refuse_other_tenants_and_project_users() {
    let idp = securetoken().await;
    let provider = builder(&idp)
        .allowed_tenant(TENANT)
        .allowed_tenant("partners-q8w7e")
        .build()
        .expect("builds");

    for tenant in [TENANT, "partners-q8w7e"] {
        let user = provider
            .authenticate(&sign(&with_tenant(tenant)))
            .await
            .expect(tenant);
        assert_eq!(user.tenant(), Some(tenant));
    }
    let other = assert_refused!(
        provider
            .authenticate(&sign(&with_tenant("rivals-z9z9z")))
            .await,
        ErrorKind::ClaimRejected,
        "`rivals-z9z9z`",
        "`allowed_tenants`",
        "auth.tenantId"
    );
    assert_token_refusal(&other, "claim_rejected");
    assert_refused!(
        provider.authenticate(&sign(&id_token())).await,
        ErrorKind::ClaimRejected,
        "not to a tenant",
        "`allowed_tenants`"
    );
}

#[tokio::test]
async fn anonymous_users_are_accepted_by_default_and_refused_with_allow_anonymous_false() {
    let idp = securetoken().await;
    let anonymous = sign(&firebase_anonymous_id_token(
        FIREBASE_PROJECT_ID,
        FIREBASE_UID,
        NOW,
    ));

    let user = builder(&idp)
        .build()
        .expect("builds")
        .authenticate(&anonymous)
        .await
        .expect("anonymous accepted by default");
    assert!(FirebaseClaims::from_user(&user).is_anonymous());
    assert_eq!(user.email(), None);

    let strict = builder(&idp)
        .allow_anonymous(false)
        .build()
        .expect("builds");
    let refused = assert_refused!(
        strict.authenticate(&anonymous).await,
        ErrorKind::ClaimRejected,
        "allow_anonymous = false",
        "linkWithCredential"
    );
    assert_token_refusal(&refused, "claim_rejected");
    strict
        .authenticate(&sign(&id_token()))
        .await
        .expect("a Google sign-in");
}

#[tokio::test]
async fn allowed_sign_in_providers_refuse_the_others() {
    let idp = securetoken().await;
    let provider = builder(&idp)
        .allowed_sign_in_provider("password")
        .allowed_sign_in_provider("google.com")
        .build()
        .expect("builds");

    for used in ["password", "google.com"] {
        provider
            .authenticate(&sign(&with_sign_in_provider(used)))
            .await
            .expect(used);
    }
    for used in ["github.com", "anonymous", "custom"] {
        assert_refused!(
            provider
                .authenticate(&sign(&with_sign_in_provider(used)))
                .await,
            ErrorKind::ClaimRejected,
            &format!("`{used}`"),
            "`allowed_sign_in_providers`"
        );
    }
    let mut no_provider = id_token();
    no_provider["firebase"] = json!({"identities": {}});
    assert_refused!(
        provider.authenticate(&sign(&no_provider)).await,
        ErrorKind::ClaimRejected,
        "no `firebase.sign_in_provider`",
        "getIdToken"
    );
}

#[tokio::test]
async fn a_uid_over_128_characters_or_a_user_id_unlike_sub_is_refused() {
    let idp = securetoken().await;
    let provider = builder(&idp).build().expect("builds");
    let longest = "u".repeat(128);
    let mut claims = id_token();
    claims["sub"] = json!(longest);
    claims["user_id"] = json!(longest);
    provider
        .authenticate(&sign(&claims))
        .await
        .expect("128 characters");

    let too_long = "u".repeat(129);
    claims["sub"] = json!(too_long);
    claims["user_id"] = json!(too_long);
    let err = assert_refused!(
        provider.authenticate(&sign(&claims)).await,
        ErrorKind::InvalidClaim,
        "`sub`",
        "128"
    );
    assert_token_refusal(&err, "invalid_claim");

    for user_id in [json!("another-uid"), json!(42)] {
        let mut claims = id_token();
        claims["user_id"] = user_id;
        assert_refused!(
            provider.authenticate(&sign(&claims)).await,
            ErrorKind::InvalidClaim,
            "`user_id`"
        );
    }
    // Firebase always writes `user_id`; a token without it still has its uid in `sub`.
    let mut claims = id_token();
    claims.as_object_mut().expect("object").remove("user_id");
    provider
        .authenticate(&sign(&claims))
        .await
        .expect("no user_id");
}

#[tokio::test]
async fn auth_time_is_required_and_not_in_the_future_beyond_the_leeway() {
    let idp = securetoken().await;
    let provider = builder(&idp).build().expect("builds");
    let with_auth_time = |auth_time: Value| {
        let mut claims = id_token();
        claims["auth_time"] = auth_time;
        sign(&claims)
    };

    provider
        .authenticate(&with_auth_time(json!(NOW + 59)))
        .await
        .expect("within the 60 s leeway");
    let future = assert_refused!(
        provider
            .authenticate(&with_auth_time(json!(NOW + 61)))
            .await,
        ErrorKind::InvalidClaim,
        "`auth_time`",
        "future"
    );
    assert_token_refusal(&future, "invalid_claim");
    assert_refused!(
        provider
            .authenticate(&with_auth_time(json!("1767225000")))
            .await,
        ErrorKind::InvalidClaim,
        "`auth_time`"
    );
    let mut claims = id_token();
    claims.as_object_mut().expect("object").remove("auth_time");
    let missing = assert_refused!(
        provider.authenticate(&sign(&claims)).await,
        ErrorKind::MissingClaim,
        "`auth_time`"
    );
    assert_token_refusal(&missing, "missing_claim");
}

#[tokio::test]
async fn max_auth_age_requires_a_recent_sign_in_on_the_injected_clock() {
    let idp = securetoken().await;
    let clock = ManualClock::at_unix(NOW);
    let provider = FirebaseProvider::builder(FIREBASE_PROJECT_ID)
        .jwks_url(idp.jwks_url())
        .max_auth_age(Duration::from_secs(15 * 60))
        .options(
            ProviderOptions::default()
                .allow_loopback_http(true)
                .clock(Arc::new(clock.clone())),
        )
        .build()
        .expect("builds");
    // Signed in 10 minutes before NOW; the token itself was refreshed at NOW.
    let token = sign(&id_token());

    provider.authenticate(&token).await.expect("10 min ago");
    clock.advance(Duration::from_secs(6 * 60)); // 16 min: within the 60 s leeway
    provider.authenticate(&token).await.expect("16 min ago");
    clock.advance(Duration::from_secs(2 * 60)); // 18 min
    let stale = assert_refused!(
        provider.authenticate(&token).await,
        ErrorKind::ClaimRejected,
        "18m ago",
        "`max_auth_age` (15m)",
        "sign in again"
    );
    assert_token_refusal(&stale, "claim_rejected");
}

#[tokio::test]
async fn session_cookies_are_routed_here_and_refused_with_what_to_send() {
    let idp = securetoken().await;
    let cookie = sign(&firebase_session_cookie(
        FIREBASE_PROJECT_ID,
        FIREBASE_UID,
        NOW,
    ));
    let provider = builder(&idp).build().expect("builds");
    assert_eq!(
        provider.refused_issuers(),
        ["https://session.firebase.google.com/acme-threads"]
    );
    let registry = ProviderRegistry::builder()
        .provider(builder(&idp).build().expect("builds"))
        .build()
        .expect("registry");

    for result in [
        provider.authenticate(&cookie).await,
        registry.authenticate(&cookie).await,
    ] {
        let err = assert_refused!(
            result,
            ErrorKind::ClaimRejected,
            "session cookie",
            "verifySessionCookie",
            "getIdToken()"
        );
        assert_token_refusal(&err, "claim_rejected");
    }
    assert_eq!(idp.jwks_requests(), 0, "refused before any key lookup");
}

#[tokio::test]
async fn custom_tokens_are_refused_with_sign_in_with_custom_token() {
    let idp = securetoken().await;
    let key = &fixtures().rsa;
    let custom = jws::token_with_header(
        key,
        &firebase_custom_token_header(key),
        &firebase_custom_token(FIREBASE_SERVICE_ACCOUNT, FIREBASE_UID, NOW),
    );
    let provider = builder(&idp).build().expect("builds");

    let err = assert_refused!(
        provider.authenticate(&custom).await,
        ErrorKind::ClaimRejected,
        "custom token",
        "signInWithCustomToken",
        "getIdToken()"
    );
    assert_token_refusal(&err, "claim_rejected");
    // A registry routes by `iss`, here the service account's email, which no provider lists:
    // refused as an unknown issuer before any provider (docs/providers/firebase.md, errors).
    let registry = ProviderRegistry::builder()
        .provider(builder(&idp).build().expect("builds"))
        .build()
        .expect("registry");
    let err = assert_refused!(
        registry.authenticate(&custom).await,
        ErrorKind::UnknownIssuer
    );
    assert_token_refusal(&err, "unknown_issuer");
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn refresh_tokens_and_encrypted_inputs_say_to_send_the_id_token() {
    let idp = securetoken().await;
    let provider = builder(&idp).build().expect("builds");
    let refresh = "AMf-vBzQ4kJ8xT2mR6pL0wN3yC7vB5nH1dF9gK4sA2eZ_x0Yw9Vu8Ts7Rq6Po5Nm4Lk3Jh2Gf1Ed";

    let err = assert_refused!(
        provider.authenticate(refresh).await,
        ErrorKind::Opaque,
        "refresh tokens",
        "getIdToken()"
    );
    assert_token_refusal(&err, "opaque_token");
    let registry = ProviderRegistry::builder()
        .provider(builder(&idp).build().expect("builds"))
        .build()
        .expect("registry");
    assert_refused!(
        registry.authenticate(refresh).await,
        ErrorKind::Opaque,
        "refresh tokens",
        "getIdToken()"
    );
    let err = assert_refused!(
        provider
            .authenticate(&jwe_like(&json!({"alg": "RSA-OAEP-256", "enc": "A256GCM"})))
            .await,
        ErrorKind::Encrypted,
        "getIdToken()"
    );
    assert_token_refusal(&err, "encrypted_token");
}

#[tokio::test]
async fn tokens_of_another_project_or_algorithm_are_refused() {
    let idp = securetoken().await;
    let provider = builder(&idp).build().expect("builds");
    let mut other_aud = id_token();
    other_aud["aud"] = json!("rival-threads");
    let mut other_iss = id_token();
    other_iss["iss"] = json!("https://securetoken.google.com/rival-threads");
    let mut google = id_token();
    google["iss"] = json!("https://accounts.google.com");

    for (claims, kind, code) in [
        (other_aud, ErrorKind::AudienceMismatch, "audience_mismatch"),
        (other_iss, ErrorKind::IssuerMismatch, "issuer_mismatch"),
        (google, ErrorKind::IssuerMismatch, "issuer_mismatch"),
    ] {
        let err = assert_refused!(provider.authenticate(&sign(&claims)).await, kind);
        assert_token_refusal(&err, code);
    }
    // Firebase signs with RS256 only: an ES256 token of a key the JWKS holds is refused.
    let ec = &fixtures().ec;
    idp.add_key(ec.clone());
    let es256 = jws::token_with_header(ec, &firebase_header(ec), &id_token());
    let err = assert_refused!(
        provider.authenticate(&es256).await,
        ErrorKind::AlgorithmNotAllowed
    );
    assert_token_refusal(&err, "algorithm_not_allowed");
}

#[test]
fn the_defaults_are_the_project_issuer_google_securetoken_jwks_and_rs256() {
    let provider = FirebaseProvider::builder(FIREBASE_PROJECT_ID)
        .build()
        .expect("builds");
    assert_eq!(provider.project_id(), FIREBASE_PROJECT_ID);
    let verifier = provider.verifier();
    assert_eq!(
        verifier.issuer(),
        "https://securetoken.google.com/acme-threads"
    );
    assert_eq!(verifier.strategy(), StrategyKind::Jwks);
    assert_eq!(
        FIREBASE_JWKS_URL,
        "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
    );
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::RS256]
    );
    assert_eq!(verifier.policy().audiences(), [FIREBASE_PROJECT_ID]);

    let from_table: FirebaseProviderBuilder = serde_json::from_value(json!({
        "project_id": FIREBASE_PROJECT_ID,
        "allow_anonymous": false,
        "allowed_sign_in_providers": ["password", "google.com"],
        "allowed_tenants": [TENANT],
        "max_auth_age": "15m",
    }))
    .expect("the [projects.provider] table");
    assert_eq!(
        from_table.build().expect("builds").issuer(),
        "https://securetoken.google.com/acme-threads"
    );
}

#[test]
fn configuration_errors_name_the_field() {
    let table =
        |value: Value| serde_json::from_value::<FirebaseProviderBuilder>(value).expect("a table");
    let cases: [(FirebaseProviderBuilder, &str, &str); 12] = [
        (FirebaseProvider::builder(""), "project_id", "Project ID"),
        (table(json!({})), "project_id", "Project settings"),
        (
            FirebaseProvider::builder("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
            "project_id",
            "web API key",
        ),
        (
            FirebaseProvider::builder("123456789012"),
            "project_id",
            "project number",
        ),
        (
            FirebaseProvider::builder("https://securetoken.google.com/acme-threads"),
            "project_id",
            "not a URL",
        ),
        (
            FirebaseProvider::builder("acme-threads.firebaseapp.com"),
            "project_id",
            "auth domain",
        ),
        (
            FirebaseProvider::builder("Acme_Threads"),
            "project_id",
            "6 to 30 lowercase",
        ),
        (
            table(json!({"project_id": FIREBASE_PROJECT_ID, "max_auth_age": "soon"})),
            "max_auth_age",
            "\"soon\"",
        ),
        (
            FirebaseProvider::builder(FIREBASE_PROJECT_ID).max_auth_age(Duration::ZERO),
            "max_auth_age",
            "zero",
        ),
        (
            FirebaseProvider::builder(FIREBASE_PROJECT_ID)
                .allow_anonymous(false)
                .allowed_sign_in_provider("anonymous"),
            "allowed_sign_in_providers",
            "allow_anonymous = false",
        ),
        (
            FirebaseProvider::builder(FIREBASE_PROJECT_ID).allowed_tenant(" "),
            "allowed_tenants",
            "whitespace",
        ),
        (
            FirebaseProvider::builder(FIREBASE_PROJECT_ID).jwks_url("http://127.0.0.1:9/jwks"),
            "jwks_url",
            "http",
        ),
    ];
    for (builder, field, text) in cases {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[text]);
    }
    let unknown = serde_json::from_value::<FirebaseProviderBuilder>(json!({
        "project_id": FIREBASE_PROJECT_ID,
        "tenants": [TENANT],
    }));
    assert!(unknown.is_err());
}
