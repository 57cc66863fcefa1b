//! The Google adapter against the testkit's discovery and JWKS, with Google-shaped ID tokens.

use serde_json::{Value, json};
use tambo_auth::{
    Algorithm, ContextKey, ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind,
};
use tambo_auth_google::{
    GOOGLE_ISSUER, GOOGLE_LEGACY_ISSUER, GoogleClaims, GoogleProvider, GoogleProviderBuilder,
    Settings,
};
use tambo_auth_testkit::claims::{GOOGLE_CLIENT_ID, google_header, google_id_token, now};
use tambo_auth_testkit::jws::{JwsBuilder, jwe_like};
use tambo_auth_testkit::{TestIdp, fixtures};

const SUB: &str = "108234567890123456789";

fn builder(idp: &TestIdp) -> GoogleProviderBuilder {
    GoogleProvider::builder(GOOGLE_CLIENT_ID)
        .issuer(idp.issuer())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    JwsBuilder::new()
        .header(google_header(key))
        .payload(claims.clone())
        .sign(key, "RS256")
}

fn reason(err: &tambo_auth::Error) -> String {
    match err {
        tambo_auth::Error::ClaimRejected { reason, .. } => reason.clone(),
        other => panic!("expected ClaimRejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_google_id_token_is_accepted_and_mapped() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    claims["nonce"] = json!("n-0S6_WzA2Mj");

    let user = google.authenticate(&sign(&claims)).await.expect("accepted");

    assert_eq!(user.provider(), "google");
    assert_eq!(user.sub(), SUB);
    assert_eq!(user.tenant(), Some("acme.example"));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:acme.example:{SUB}", idp.port())
    );
    assert_eq!(user.email(), Some("ada@acme.example"));
    assert_eq!(user.email_verified(), Some(true));
    let typed = GoogleClaims::from_user(&user);
    assert_eq!(typed.email.as_deref(), Some("ada@acme.example"));
    assert_eq!(typed.email_verified, Some(true));
    assert_eq!(typed.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        typed.picture.as_deref(),
        Some("https://lh3.googleusercontent.com/a/ACg8ocExample=s96-c")
    );
    assert_eq!(typed.hd.as_deref(), Some("acme.example"));
    assert_eq!(typed.azp.as_deref(), Some(GOOGLE_CLIENT_ID));
    assert_eq!(typed.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
}

#[tokio::test]
async fn a_personal_account_has_no_tenant_and_no_nonce() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    claims.as_object_mut().expect("object").remove("hd");
    claims["email"] = json!("ada@gmail.com");

    let user = google.authenticate(&sign(&claims)).await.expect("accepted");

    assert_eq!(user.tenant(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:{SUB}", idp.port())
    );
    let typed = GoogleClaims::from_user(&user);
    assert_eq!(typed.hd, None);
    assert_eq!(typed.nonce, None);
}

#[tokio::test]
async fn the_bare_legacy_issuer_maps_to_the_same_user() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");
    let modern = google_id_token(&idp.issuer(), SUB, now());
    let mut legacy = modern.clone();
    legacy["iss"] = json!(GOOGLE_LEGACY_ISSUER);

    let a = google.authenticate(&sign(&modern)).await.expect("modern");
    let b = google.authenticate(&sign(&legacy)).await.expect("legacy");

    assert_eq!(a.context_key(), b.context_key());
    // The exchange records `issuer()` as `original_iss`: normalized too.
    assert_eq!(b.issuer(), idp.issuer());
}

#[test]
fn both_production_spellings_give_one_context_key() {
    let modern = ContextKey::derive(GOOGLE_ISSUER, Some("acme.example"), SUB);
    let legacy = ContextKey::derive(GOOGLE_LEGACY_ISSUER, Some("acme.example"), SUB);
    assert_eq!(modern, legacy);
    assert_eq!(
        modern.as_str(),
        format!("oauth:user:accounts.google.com:acme.example:{SUB}")
    );
}

#[test]
fn the_defaults_are_googles_discovery_both_issuers_rs256_and_the_client_id() {
    let google = GoogleProvider::builder(GOOGLE_CLIENT_ID)
        .build()
        .expect("builds");
    let verifier = google.verifier();
    assert_eq!(verifier.issuer(), GOOGLE_ISSUER);
    assert_eq!(verifier.issuers(), [GOOGLE_ISSUER, GOOGLE_LEGACY_ISSUER]);
    assert_eq!(verifier.strategy(), StrategyKind::OidcDiscovery);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::RS256]
    );
    assert_eq!(verifier.policy().audiences(), [GOOGLE_CLIENT_ID]);
}

#[tokio::test]
async fn a_token_for_another_client_is_refused_and_a_second_client_id_is_accepted() {
    let idp = TestIdp::start().await;
    let mobile = "987654321-mobile.apps.googleusercontent.com";
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    claims["aud"] = json!(mobile);
    let token = sign(&claims);

    let web_only = builder(&idp).build().expect("builds");
    let err = web_only.authenticate(&token).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AudienceMismatch);

    let both = builder(&idp).client_id(mobile).build().expect("builds");
    both.authenticate(&token).await.expect("accepted");
}

#[tokio::test]
async fn an_unlisted_authorized_party_is_refused() {
    let idp = TestIdp::start().await;
    let google = builder(&idp)
        .authorized_party(GOOGLE_CLIENT_ID)
        .build()
        .expect("builds");
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    google
        .authenticate(&sign(&claims))
        .await
        .expect("listed azp");

    claims["azp"] = json!("555-android.apps.googleusercontent.com");
    let err = google
        .authenticate(&sign(&claims))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
    assert!(reason(&err).contains("authorized_parties"));
}

#[tokio::test]
async fn a_workspace_only_app_refuses_personal_accounts() {
    let idp = TestIdp::start().await;
    let google = builder(&idp)
        .require_hosted_domain(true)
        .build()
        .expect("builds");
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    google
        .authenticate(&sign(&claims))
        .await
        .expect("workspace");

    claims.as_object_mut().expect("object").remove("hd");
    let err = google
        .authenticate(&sign(&claims))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
    assert!(reason(&err).contains("personal Google account"));
}

#[tokio::test]
async fn hosted_domains_refuse_other_workspaces_and_compare_without_case() {
    let idp = TestIdp::start().await;
    let google = builder(&idp)
        .hosted_domain("ACME.example")
        .build()
        .expect("builds");
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    google.authenticate(&sign(&claims)).await.expect("acme");

    claims["hd"] = json!("evil.example");
    claims["email"] = json!("mallory@acme.example");
    let err = google
        .authenticate(&sign(&claims))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
    assert!(reason(&err).contains("hosted_domains"));
}

#[tokio::test]
async fn unverified_emails_are_refused_when_required() {
    let idp = TestIdp::start().await;
    let google = builder(&idp)
        .require_verified_email(true)
        .build()
        .expect("builds");
    let mut claims = google_id_token(&idp.issuer(), SUB, now());
    claims["email_verified"] = json!("true");
    google
        .authenticate(&sign(&claims))
        .await
        .expect("legacy string form");

    claims["email_verified"] = json!(false);
    let err = google
        .authenticate(&sign(&claims))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
    assert!(reason(&err).contains("email_verified"));

    claims.as_object_mut().expect("object").remove("email");
    let err = google
        .authenticate(&sign(&claims))
        .await
        .expect_err("refused");
    assert!(reason(&err).contains("`email` scope"));
}

#[tokio::test]
async fn the_authjs_session_cookie_is_refused_with_the_token_to_send() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");
    let cookie = jwe_like(&json!({"alg": "dir", "enc": "A256CBC-HS512", "kid": "k"}));

    let err = google.authenticate(&cookie).await.expect_err("refused");

    assert_eq!(err.kind(), ErrorKind::Encrypted);
    let message = err.to_string();
    assert!(message.contains("session cookie"), "{message}");
    assert!(message.contains("account.id_token"), "{message}");
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_google_access_token_is_refused_with_the_token_to_send() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");

    let err = google
        .authenticate("ya29.a0AfB_byC7xQ2mNexampleOpaqueAccessToken0163")
        .await
        .expect_err("refused");

    assert_eq!(err.kind(), ErrorKind::Opaque);
    let message = err.to_string();
    assert!(message.contains("account.access_token"), "{message}");
    assert!(message.contains("account.id_token"), "{message}");
}

#[tokio::test]
async fn only_rs256_is_accepted() {
    let idp = TestIdp::builder()
        .keys(vec![fixtures().rsa.clone(), fixtures().ec.clone()])
        .start()
        .await;
    let google = builder(&idp).build().expect("builds");
    let ec = &fixtures().ec;
    let token = JwsBuilder::new()
        .header(google_header(ec))
        .payload(google_id_token(&idp.issuer(), SUB, now()))
        .sign(ec, "ES256");

    let err = google.authenticate(&token).await.expect_err("refused");

    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);
}

#[tokio::test]
async fn settings_build_a_working_provider() {
    let idp = TestIdp::start().await;
    let settings: Settings = serde_json::from_value(json!({
        "client_ids": ["other.apps.googleusercontent.com", GOOGLE_CLIENT_ID],
        "authorized_parties": [GOOGLE_CLIENT_ID],
        "hosted_domains": ["acme.example"],
        "require_hosted_domain": true,
        "require_verified_email": true,
        "issuer": idp.issuer(),
    }))
    .expect("deserializes");
    let google = settings
        .build(&ProviderOptions::default().allow_loopback_http(true))
        .expect("builds");

    let user = google
        .authenticate(&sign(&google_id_token(&idp.issuer(), SUB, now())))
        .await
        .expect("accepted");
    assert_eq!(user.tenant(), Some("acme.example"));
}

#[test]
fn settings_refuse_unknown_fields_and_missing_client_ids() {
    let unknown = serde_json::from_value::<Settings>(json!({
        "client_ids": [GOOGLE_CLIENT_ID],
        "audience": GOOGLE_CLIENT_ID,
    }));
    assert!(unknown.is_err());

    let settings: Settings =
        serde_json::from_value(json!({"client_ids": []})).expect("deserializes");
    let err = settings
        .build(&ProviderOptions::default())
        .expect_err("refused");
    assert!(
        matches!(&err, tambo_auth::Error::Configuration { field, .. } if field == "client_ids")
    );
}

#[test]
fn misconfigurations_name_the_field() {
    let field = |b: GoogleProviderBuilder| match b.build() {
        Err(tambo_auth::Error::Configuration { field, reason }) => (field, reason),
        other => panic!("expected a configuration error, got {other:?}"),
    };
    let (f, reason) = field(GoogleProvider::builder("GOCSPX-abcdefghijklmnop"));
    assert_eq!(f, "client_ids");
    assert!(reason.contains("client secret"));
    assert_eq!(field(GoogleProvider::builder("")).0, "client_ids");
    assert_eq!(
        field(GoogleProvider::builder(GOOGLE_CLIENT_ID).hosted_domain("ada@acme.example")).0,
        "hosted_domains"
    );
    assert_eq!(
        field(GoogleProvider::builder(GOOGLE_CLIENT_ID).authorized_party("")).0,
        "authorized_parties"
    );
}
