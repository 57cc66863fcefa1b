//! The Login.gov adapter against the testkit's discovery and JWKS, served under an issuer with
//! Login.gov's trailing slash, with Login.gov-shaped ID tokens.

use serde_json::{Value, json};
use tambo_auth::{Algorithm, ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_login_gov::{
    Environment, IdentityAssurance, LoginGovClaims, LoginGovProvider, LoginGovProviderBuilder,
};
use tambo_auth_testkit::claims::{
    LOGIN_GOV_CLIENT_ID, LOGIN_GOV_USER_ID, login_gov_header, login_gov_id_token, now,
};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::{assert_mentions, assert_names_field};
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

/// The testkit IdP with Login.gov's issuer shape: an origin and a trailing slash.
async fn login_gov() -> TestIdp {
    TestIdp::builder().trailing_slash(true).start().await
}

fn builder(idp: &TestIdp) -> LoginGovProviderBuilder {
    LoginGovProvider::builder(LOGIN_GOV_CLIENT_ID)
        .issuer(idp.issuer())
        .options(ProviderOptions::default().allow_loopback_http(true))
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &login_gov_header(key), claims)
}

fn id_token_with_acr(idp: &TestIdp, acr: Option<&str>) -> String {
    let mut claims = login_gov_id_token(&idp.issuer(), LOGIN_GOV_USER_ID, now());
    match acr {
        Some(acr) => claims["acr"] = json!(acr),
        None => {
            claims.as_object_mut().expect("object").remove("acr");
        }
    }
    sign(&claims)
}

#[tokio::test]
async fn an_id_token_is_accepted_and_mapped() {
    let idp = login_gov().await;
    assert!(idp.issuer().ends_with('/'), "{}", idp.issuer());
    let provider = builder(&idp).build().expect("builds");
    assert_eq!(provider.issuer(), idp.issuer());

    let user = provider
        .authenticate(&sign(&login_gov_id_token(
            &idp.issuer(),
            LOGIN_GOV_USER_ID,
            now(),
        )))
        .await
        .expect("the ID token");

    assert_eq!(user.provider(), "login-gov");
    assert_eq!(user.sub(), LOGIN_GOV_USER_ID);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:{LOGIN_GOV_USER_ID}", idp.port())
    );
    let typed = LoginGovClaims::from_user(&user);
    assert_eq!(typed.acr.as_deref(), Some("urn:acr.login.gov:verified"));
    assert_eq!(typed.assurance, Some(IdentityAssurance::Verified));
    assert!(typed.nonce.as_deref().is_some_and(|n| n.len() >= 22));
    // The ID token has no user attributes: they come from userinfo.
    assert_eq!(user.email(), None);
}

#[tokio::test]
async fn a_token_for_another_client_or_without_the_trailing_slash_is_refused() {
    let idp = login_gov().await;
    let provider = builder(&idp).build().expect("builds");
    let issuer = idp.issuer();
    let mut other_client = login_gov_id_token(&issuer, LOGIN_GOV_USER_ID, now());
    other_client["aud"] = json!("urn:gov:gsa:openidconnect.profiles:sp:sso:acme:other");
    let mut no_slash = login_gov_id_token(&issuer, LOGIN_GOV_USER_ID, now());
    no_slash["iss"] = json!(issuer.strip_suffix('/').expect("trailing slash"));

    for (claims, kind) in [
        (other_client, ErrorKind::AudienceMismatch),
        (no_slash, ErrorKind::IssuerMismatch),
    ] {
        assert_refused!(provider.authenticate(&sign(&claims)).await, kind);
    }
}

#[tokio::test]
async fn identity_verification_accepts_verified_and_ial2_and_refuses_auth_only_ial1_and_no_acr() {
    let idp = login_gov().await;
    let provider = builder(&idp)
        .require_identity_verification(true)
        .build()
        .expect("builds");
    for acr in [
        "urn:acr.login.gov:verified",
        "http://idmanagement.gov/ns/assurance/ial/2",
        "urn:acr.login.gov:verified-facial-match-required",
    ] {
        let user = provider
            .authenticate(&id_token_with_acr(&idp, Some(acr)))
            .await
            .expect(acr);
        assert_eq!(user.sub(), LOGIN_GOV_USER_ID);
    }
    for acr in [
        Some("urn:acr.login.gov:auth-only"),
        Some("http://idmanagement.gov/ns/assurance/ial/1"),
        None,
    ] {
        assert_refused!(
            provider.authenticate(&id_token_with_acr(&idp, acr)).await,
            ErrorKind::ClaimRejected,
            "require_identity_verification",
            "urn:acr.login.gov:verified"
        );
    }
    // Without the policy, an auth-only sign-in is a user like any other.
    let open = builder(&idp).build().expect("builds");
    open.authenticate(&id_token_with_acr(
        &idp,
        Some("urn:acr.login.gov:auth-only"),
    ))
    .await
    .expect("auth-only accepted by default");
}

#[tokio::test]
async fn opaque_and_encrypted_inputs_say_to_send_the_id_token() {
    let idp = login_gov().await;
    let provider = builder(&idp).build().expect("builds");
    let result = provider
        .authenticate("pVbJ3wXz7Qe1Yk9mNq2Rt5Uv8Lh4Gd6Sf0Ac3Ej1")
        .await;
    assert_refused!(result, ErrorKind::Opaque, "not a JWT", "opaque", "ID token");
    let jwe = jwe_like(&json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "k"}));
    let refused = assert_refused!(provider.authenticate(&jwe).await, ErrorKind::Encrypted);
    assert_mentions(&refused, &["encrypted", "ID token"]);
}

#[test]
fn the_defaults_are_production_with_its_trailing_slash_discovery_and_rs256() {
    let provider = LoginGovProvider::builder(LOGIN_GOV_CLIENT_ID)
        .build()
        .expect("builds");
    let verifier = provider.verifier();
    assert_eq!(verifier.issuer(), "https://secure.login.gov/");
    assert_eq!(verifier.strategy(), StrategyKind::OidcDiscovery);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::RS256]
    );
    assert_eq!(verifier.policy().audiences(), [LOGIN_GOV_CLIENT_ID]);

    let sandbox = LoginGovProvider::builder(LOGIN_GOV_CLIENT_ID)
        .environment(Environment::Sandbox)
        .build()
        .expect("builds");
    assert_eq!(
        sandbox.verifier().issuer(),
        "https://idp.int.identitysandbox.gov/"
    );
    let from_table: LoginGovProviderBuilder = serde_json::from_value(json!({
        "client_id": LOGIN_GOV_CLIENT_ID,
        "environment": "sandbox",
        "require_identity_verification": true,
    }))
    .expect("the [projects.provider] table");
    assert_eq!(
        from_table.build().expect("builds").issuer(),
        "https://idp.int.identitysandbox.gov/"
    );
}

#[test]
fn configuration_errors_name_the_field() {
    let cases: [(LoginGovProviderBuilder, &str, &str); 4] = [
        (LoginGovProvider::builder(""), "client_id", "partner portal"),
        (LoginGovProvider::builder("  "), "client_id", "Issuer"),
        (
            LoginGovProvider::builder("urn:gov:gsa:openidconnect.profiles:sp:sso:acme: threads"),
            "client_id",
            "whitespace",
        ),
        (
            LoginGovProvider::builder(LOGIN_GOV_CLIENT_ID).issuer("http://secure.login.gov/"),
            "issuer",
            "`https://secure.login.gov/`",
        ),
    ];
    for (builder, field, text) in cases {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[text]);
    }
    let unknown = serde_json::from_value::<LoginGovProviderBuilder>(json!({
        "client_id": LOGIN_GOV_CLIENT_ID,
        "environment": "staging",
    }));
    assert!(unknown.is_err());
}
