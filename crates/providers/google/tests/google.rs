//! The Google adapter against the testkit's discovery and JWKS, with Google-shaped ID tokens.

use serde_json::{Value, json};
use tambo_auth::{
    Algorithm, ContextKey, ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind,
};
use tambo_auth_google::{
    GOOGLE_ISSUER, GOOGLE_LEGACY_ISSUER, GoogleClaims, GoogleProvider, GoogleProviderBuilder,
};
use tambo_auth_testkit::claims::{GOOGLE_CLIENT_ID, google_header, google_id_token, now};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

const SUB: &str = "108234567890123456789";

fn builder(idp: &TestIdp) -> GoogleProviderBuilder {
    GoogleProvider::builder(GOOGLE_CLIENT_ID)
        .issuer(idp.issuer())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &google_header(key), claims)
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
    assert_refused!(
        web_only.authenticate(&token).await,
        ErrorKind::AudienceMismatch
    );

    let both = builder(&idp).client_id(mobile).build().expect("builds");
    both.authenticate(&token).await.expect("accepted");
}

/// A builder option under test.
type Configure = fn(GoogleProviderBuilder) -> GoogleProviderBuilder;
/// An edit of the claims to what the option excludes.
type Exclude = fn(&mut Value);

#[tokio::test]
async fn policy_options_accept_google_id_tokens_and_refuse_what_they_exclude() {
    let idp = TestIdp::start().await;
    let policies: [(Configure, Exclude, &str); 5] = [
        (
            |b| b.authorized_party(GOOGLE_CLIENT_ID),
            |c| c["azp"] = json!("555-android.apps.googleusercontent.com"),
            "authorized_parties",
        ),
        // A Workspace-only app refuses personal accounts.
        (
            |b| b.require_hosted_domain(true),
            |c| remove(c, "hd"),
            "personal Google account",
        ),
        // Hosted domains compare without case, and `hd` decides, not the email.
        (
            |b| b.hosted_domain("ACME.example"),
            |c| {
                c["hd"] = json!("evil.example");
                c["email"] = json!("mallory@acme.example");
            },
            "hosted_domains",
        ),
        (
            |b| b.require_verified_email(true),
            |c| c["email_verified"] = json!(false),
            "email_verified",
        ),
        (
            |b| b.require_verified_email(true),
            |c| {
                c["email_verified"] = json!(false);
                remove(c, "email");
            },
            "`email` scope",
        ),
    ];
    for (option, exclude, reason) in policies {
        let google = option(builder(&idp)).build().expect("builds");
        let mut claims = google_id_token(&idp.issuer(), SUB, now());
        let accepted = google.authenticate(&sign(&claims)).await;
        accepted.unwrap_or_else(|err| panic!("the token refused ({reason}): {err}"));
        exclude(&mut claims);
        let refused = google.authenticate(&sign(&claims)).await;
        assert_refused!(refused, ErrorKind::ClaimRejected, reason);
    }
}

#[tokio::test]
async fn the_legacy_string_form_of_email_verified_counts() {
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
}

fn remove(claims: &mut Value, name: &str) {
    claims.as_object_mut().expect("object").remove(name);
}

#[tokio::test]
async fn the_authjs_session_cookie_is_refused_with_the_token_to_send() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");
    let cookie = jwe_like(&json!({"alg": "dir", "enc": "A256CBC-HS512", "kid": "k"}));

    let result = google.authenticate(&cookie).await;

    assert_refused!(
        result,
        ErrorKind::Encrypted,
        "session cookie",
        "account.id_token"
    );
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_google_access_token_is_refused_with_the_token_to_send() {
    let idp = TestIdp::start().await;
    let google = builder(&idp).build().expect("builds");

    let result = google
        .authenticate("ya29.a0AfB_byC7xQ2mNexampleOpaqueAccessToken0163")
        .await;

    assert_refused!(
        result,
        ErrorKind::Opaque,
        "account.access_token",
        "account.id_token"
    );
}

#[tokio::test]
async fn only_rs256_is_accepted() {
    let idp = TestIdp::builder()
        .keys(vec![fixtures().rsa.clone(), fixtures().ec.clone()])
        .start()
        .await;
    let google = builder(&idp).build().expect("builds");
    let ec = &fixtures().ec;
    let claims = google_id_token(&idp.issuer(), SUB, now());
    let token = jws::token_with_header(ec, &google_header(ec), &claims);

    let result = google.authenticate(&token).await;

    assert_refused!(result, ErrorKind::AlgorithmNotAllowed);
}

#[tokio::test]
async fn the_deserialized_builder_builds_a_working_provider() {
    let idp = TestIdp::start().await;
    let settings: GoogleProviderBuilder = serde_json::from_value(json!({
        "client_ids": ["other.apps.googleusercontent.com", GOOGLE_CLIENT_ID],
        "authorized_parties": [GOOGLE_CLIENT_ID],
        "hosted_domains": ["acme.example"],
        "require_hosted_domain": true,
        "require_verified_email": true,
        "issuer": idp.issuer(),
    }))
    .expect("deserializes");
    let google = settings
        .options(ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");

    let user = google
        .authenticate(&sign(&google_id_token(&idp.issuer(), SUB, now())))
        .await
        .expect("accepted");
    assert_eq!(user.tenant(), Some("acme.example"));
}

#[test]
fn the_builder_deserializes_strictly_with_the_builders_defaults() {
    let parse = |value: Value| serde_json::from_value::<GoogleProviderBuilder>(value);
    let minimal = parse(json!({"client_ids": [GOOGLE_CLIENT_ID]})).expect("deserializes");
    assert_eq!(
        format!("{minimal:?}"),
        format!("{:?}", GoogleProvider::builder(GOOGLE_CLIENT_ID))
    );

    let unknown = parse(json!({
        "client_ids": [GOOGLE_CLIENT_ID],
        "audience": GOOGLE_CLIENT_ID,
    }));
    assert!(unknown.is_err());

    let settings = parse(json!({"client_ids": []})).expect("deserializes");
    assert_refused!(
        settings.build(),
        ErrorKind::Configuration,
        "invalid configuration `client_ids`:"
    );
}

#[test]
fn misconfigurations_name_the_field() {
    let web = || GoogleProvider::builder(GOOGLE_CLIENT_ID);
    for (builder, field, texts) in [
        (
            GoogleProvider::builder("GOCSPX-abcdefghijklmnop"),
            "client_ids",
            &["client secret"][..],
        ),
        (GoogleProvider::builder(""), "client_ids", &[]),
        (
            web().hosted_domain("ada@acme.example"),
            "hosted_domains",
            &[],
        ),
        (web().authorized_party(""), "authorized_parties", &[]),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, texts);
    }
}
