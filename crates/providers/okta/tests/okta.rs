//! The Okta adapter against the testkit's discovery and JWKS, with Okta-shaped ID and access
//! tokens of a custom authorization server (`/oauth2/default`) and of the org server.

use serde_json::{Value, json};
use tambo_auth::{Algorithm, ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_okta::{OktaClaims, OktaProvider, OktaProviderBuilder};
use tambo_auth_testkit::claims::{
    OKTA_CLIENT_ID, OKTA_USER_ID, now, okta_access_token, okta_header, okta_id_token,
};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::{assert_mentions, assert_names_field};
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

/// A custom authorization server: the testkit IdP with Okta's path.
async fn custom_server() -> TestIdp {
    TestIdp::builder()
        .issuer_path("/oauth2/default")
        .start()
        .await
}

fn builder(idp: &TestIdp) -> OktaProviderBuilder {
    OktaProvider::builder(idp.issuer())
        .audience("api://default")
        .audience(OKTA_CLIENT_ID)
        .options(ProviderOptions::default().allow_loopback_http(true))
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &okta_header(key), claims)
}

/// An RFC 9068 access token: the same claims under `typ: at+jwt`.
fn sign_rfc9068(claims: &Value) -> String {
    let key = &fixtures().rsa;
    let mut header = okta_header(key);
    header["typ"] = json!("at+jwt");
    jws::token_with_header(key, &header, claims)
}

/// The authorization server's access token claims for the test user ([`OKTA_USER_ID`]),
/// issued now.
fn access_claims(idp: &TestIdp) -> Value {
    okta_access_token(&idp.issuer(), OKTA_USER_ID, now())
}

/// The authorization server's ID token claims for the test user, issued now.
fn id_claims(idp: &TestIdp) -> Value {
    okta_id_token(&idp.issuer(), OKTA_USER_ID, now())
}

#[tokio::test]
async fn an_id_token_and_an_access_token_of_one_user_give_one_context_key() {
    let idp = custom_server().await;
    let okta = builder(&idp).build().expect("builds");

    let id = okta
        .authenticate(&sign(&id_claims(&idp)))
        .await
        .expect("the ID token");
    let access = okta
        .authenticate(&sign(&access_claims(&idp)))
        .await
        .expect("the access token");

    assert_eq!(id.provider(), "okta");
    assert_eq!(id.sub(), OKTA_USER_ID);
    // The access token's `sub` is the login; the user is its `uid`.
    assert_eq!(access.sub(), OKTA_USER_ID);
    assert_eq!(access.context_key(), id.context_key());
    assert_eq!(
        id.context_key().as_str(),
        format!(
            "oauth:user:127.0.0.1%3A{}/oauth2/default:{OKTA_USER_ID}",
            idp.port()
        )
    );
    assert_eq!(id.email(), Some("ada@acme.example"));

    let typed = OktaClaims::from_user(&access);
    assert_eq!(typed.uid.as_deref(), Some(OKTA_USER_ID));
    assert_eq!(typed.cid.as_deref(), Some(OKTA_CLIENT_ID));
    assert_eq!(typed.scp, ["openid", "profile", "email", "threads:read"]);
    let typed = OktaClaims::from_user(&id);
    assert_eq!(typed.uid, None);
    assert_eq!(
        typed.preferred_username.as_deref(),
        Some("ada@acme.example")
    );
    assert_eq!(typed.idp.as_deref(), Some("00o1b2c3d4E5f6G7h8i9"));
    assert!(typed.auth_time.is_some());
}

#[tokio::test]
async fn rfc_9068_access_tokens_are_accepted_and_their_scopes_are_held() {
    let idp = custom_server().await;
    let okta = builder(&idp).build().expect("builds");
    let claims = access_claims(&idp);

    let user = okta
        .authenticate(&sign_rfc9068(&claims))
        .await
        .expect("accepted");

    assert_eq!(user.sub(), OKTA_USER_ID);
    assert_eq!(
        okta.held_scopes(&user.claims()),
        ["openid", "profile", "email", "threads:read"]
    );
}

#[tokio::test]
async fn a_client_credentials_token_has_no_user_and_is_refused() {
    let idp = custom_server().await;
    let okta = builder(&idp).build().expect("builds");
    let mut claims = access_claims(&idp);
    claims.as_object_mut().expect("object").remove("uid");
    claims["sub"] = json!(OKTA_CLIENT_ID);
    claims["scp"] = json!(["threads:read"]);

    assert_refused!(
        okta.authenticate(&sign(&claims)).await,
        ErrorKind::ClaimRejected,
        "client-credentials",
        "`uid`"
    );
}

#[tokio::test]
async fn client_ids_restrict_the_clients_of_access_tokens_only() {
    let idp = custom_server().await;
    let okta = builder(&idp)
        .client_id(OKTA_CLIENT_ID)
        .build()
        .expect("builds");
    let listed = access_claims(&idp);
    okta.authenticate(&sign(&listed))
        .await
        .expect("a listed client");

    let mut other = listed.clone();
    other["cid"] = json!("0oaOTHERclient000000");
    assert_refused!(
        okta.authenticate(&sign(&other)).await,
        ErrorKind::ClaimRejected,
        "client_ids"
    );
    // An ID token has no `cid`: its `aud` is the client, checked against `audiences`.
    okta.authenticate(&sign(&id_claims(&idp)))
        .await
        .expect("the ID token");
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let idp = custom_server().await;
    let okta = OktaProvider::builder(idp.issuer())
        .audience("api://threads")
        .options(ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    // `api://default` is the default server's audience; this API expects its own.
    let claims = access_claims(&idp);
    assert_refused!(
        okta.authenticate(&sign(&claims)).await,
        ErrorKind::AudienceMismatch
    );
}

#[tokio::test]
async fn the_org_server_accepts_id_tokens_and_refuses_its_access_tokens() {
    let idp = TestIdp::start().await;
    let okta = builder(&idp).build().expect("builds");
    okta.authenticate(&sign(&id_claims(&idp)))
        .await
        .expect("the org server's ID token");

    let mut access = access_claims(&idp);
    access["aud"] = json!(OKTA_CLIENT_ID);
    assert_refused!(
        okta.authenticate(&sign(&access)).await,
        ErrorKind::ClaimRejected,
        "org authorization server",
        "/oauth2/default"
    );
}

#[tokio::test]
async fn opaque_and_encrypted_inputs_say_which_token_to_send() {
    let idp = custom_server().await;
    let okta = builder(&idp).build().expect("builds");
    let result = okta
        .authenticate("00Oq8zvUGmJBbMxEhwCe8HYsJ4wcxKQgmyaXR5i3nH")
        .await;
    assert_refused!(result, ErrorKind::Opaque, "not a JWT", "ID token");
    let jwe = jwe_like(&json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "k"}));
    let refused = assert_refused!(okta.authenticate(&jwe).await, ErrorKind::Encrypted);
    assert_mentions(&refused, &["encrypted", "ID token encryption"]);
}

#[test]
fn the_defaults_are_discovery_rs256_and_the_audiences() {
    let okta = OktaProvider::builder("https://acme.okta.com/oauth2/default")
        .audience("api://default")
        .build()
        .expect("builds");
    let verifier = okta.verifier();
    assert_eq!(verifier.issuer(), "https://acme.okta.com/oauth2/default");
    assert_eq!(verifier.strategy(), StrategyKind::OidcDiscovery);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::RS256]
    );
    assert_eq!(verifier.policy().audiences(), ["api://default"]);
    let org = OktaProvider::builder("acme.okta.com")
        .audience(OKTA_CLIENT_ID)
        .build()
        .expect("builds");
    assert_eq!(org.verifier().issuer(), "https://acme.okta.com");
}

#[test]
fn configuration_errors_name_the_field() {
    let cases: [(OktaProviderBuilder, &str, &str); 6] = [
        (
            OktaProvider::builder("https://acme.okta.com/oauth2/default"),
            "audiences",
            "api://default",
        ),
        (
            OktaProvider::builder("https://acme.okta.com/oauth2/default/v1/keys")
                .audience("api://default"),
            "issuer",
            "not an authorization server's issuer",
        ),
        (
            OktaProvider::builder("https://acme.okta.com/oauth2/v1").audience("api://default"),
            "issuer",
            "/v1/",
        ),
        (
            OktaProvider::builder("https://acme.okta.com/oauth2/default/")
                .audience("api://default"),
            "issuer",
            "trailing slash",
        ),
        (
            OktaProvider::builder("http://acme.okta.com/oauth2/default").audience("api://default"),
            "issuer",
            "https",
        ),
        (
            OktaProvider::builder("https://acme.okta.com/oauth2/default")
                .audience("api://default")
                .client_id("0oa 1"),
            "client_ids",
            "whitespace",
        ),
    ];
    for (builder, field, text) in cases {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[text]);
    }
}
