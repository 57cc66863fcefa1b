//! The Keycloak adapter against the testkit's discovery and JWKS, with Keycloak-shaped access,
//! ID, refresh and service-account tokens of a realm (`/realms/acme`, and the legacy
//! `/auth/realms/acme`).

use serde_json::{Value, json};
use tambo_auth::{Algorithm, ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_keycloak::{KeycloakClaims, KeycloakProvider, KeycloakProviderBuilder};
use tambo_auth_testkit::claims::{
    KEYCLOAK_API_CLIENT_ID, KEYCLOAK_CLIENT_ID, KEYCLOAK_USER_ID, keycloak_access_token,
    keycloak_header, keycloak_id_token, keycloak_refresh_header, keycloak_refresh_token,
    keycloak_service_account_token, now,
};
use tambo_auth_testkit::jws::{self, hmac_token, jwe_like};
use tambo_auth_testkit::refusal::{assert_mentions, assert_names_field};
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

/// A realm on Keycloak 17 or later: the testkit IdP with Keycloak's path.
async fn realm() -> TestIdp {
    TestIdp::builder().issuer_path("/realms/acme").start().await
}

fn builder(idp: &TestIdp) -> KeycloakProviderBuilder {
    KeycloakProvider::builder(idp.issuer())
        .audience(KEYCLOAK_API_CLIENT_ID)
        .audience(KEYCLOAK_CLIENT_ID)
        .options(ProviderOptions::default().allow_loopback_http(true))
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &keycloak_header(key), claims)
}

/// The realm's access token claims for the test user ([`KEYCLOAK_USER_ID`]), issued now.
fn access_claims(idp: &TestIdp) -> Value {
    keycloak_access_token(&idp.issuer(), KEYCLOAK_USER_ID, now())
}

/// The realm's ID token claims for the test user, issued now.
fn id_claims(idp: &TestIdp) -> Value {
    keycloak_id_token(&idp.issuer(), KEYCLOAK_USER_ID, now())
}

#[tokio::test]
async fn an_access_token_and_an_id_token_of_one_user_give_one_context_key() {
    let idp = realm().await;
    let keycloak = builder(&idp).build().expect("builds");

    let access = keycloak
        .authenticate(&sign(&access_claims(&idp)))
        .await
        .expect("the access token");
    let id = keycloak
        .authenticate(&sign(&id_claims(&idp)))
        .await
        .expect("the ID token");

    assert_eq!(access.provider(), "keycloak");
    assert_eq!(access.sub(), KEYCLOAK_USER_ID);
    assert_eq!(access.email(), Some("ada@acme.example"));
    assert_eq!(access.email_verified(), Some(true));
    assert_eq!(id.context_key(), access.context_key());
    assert_eq!(
        access.context_key().as_str(),
        format!(
            "oauth:user:127.0.0.1%3A{}/realms/acme:{KEYCLOAK_USER_ID}",
            idp.port()
        )
    );

    let typed = KeycloakClaims::from_user(&access);
    assert_eq!(typed.typ.as_deref(), Some("Bearer"));
    assert_eq!(typed.preferred_username.as_deref(), Some("ada"));
    assert_eq!(typed.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(typed.azp.as_deref(), Some(KEYCLOAK_CLIENT_ID));
    assert!(typed.sid.is_some());
    assert_eq!(typed.scope, ["openid", "profile", "email"]);
    assert_eq!(
        typed.realm_roles,
        [
            "default-roles-acme",
            "offline_access",
            "uma_authorization",
            "editor"
        ]
    );
    assert_eq!(typed.resource_access[KEYCLOAK_API_CLIENT_ID], ["writer"]);
    assert_eq!(typed.client_id, None);
    let typed = KeycloakClaims::from_user(&id);
    assert_eq!(typed.typ.as_deref(), Some("ID"));
    assert!(typed.realm_roles.is_empty());
}

#[tokio::test]
async fn the_legacy_auth_path_is_a_realm_issuer_too() {
    let idp = TestIdp::builder()
        .issuer_path("/auth/realms/acme")
        .start()
        .await;
    let keycloak = builder(&idp).build().expect("builds");
    let user = keycloak
        .authenticate(&sign(&access_claims(&idp)))
        .await
        .expect("accepted");
    assert_eq!(
        user.context_key().as_str(),
        format!(
            "oauth:user:127.0.0.1%3A{}/auth/realms/acme:{KEYCLOAK_USER_ID}",
            idp.port()
        )
    );
}

#[tokio::test]
async fn realm_and_client_roles_are_held_scopes_with_the_client_as_prefix() {
    let idp = realm().await;
    let claims = access_claims(&idp);
    let token = sign(&claims);

    // Default role clients: the audiences (and authorized parties); not `account`.
    let keycloak = builder(&idp).build().expect("builds");
    let user = keycloak.authenticate(&token).await.expect("accepted");
    assert_eq!(
        keycloak.held_scopes(&user.claims()),
        [
            "openid",
            "profile",
            "email",
            "default-roles-acme",
            "offline_access",
            "uma_authorization",
            "editor",
            "threads-api:writer",
        ]
    );

    // Listed clients only: `account` listed, the API not.
    let keycloak = builder(&idp)
        .role_clients(["account"])
        .build()
        .expect("builds");
    let held = keycloak.held_scopes(&user.claims());
    assert!(
        held.contains(&"account:view-profile".to_owned()),
        "{held:?}"
    );
    assert!(
        !held.iter().any(|s| s.starts_with("threads-api:")),
        "{held:?}"
    );
    assert!(!held.contains(&"writer".to_owned()), "{held:?}");
}

#[tokio::test]
async fn rfc_9068_access_tokens_are_accepted() {
    let idp = realm().await;
    let keycloak = builder(&idp).build().expect("builds");
    let key = &fixtures().rsa;
    let mut header = keycloak_header(key);
    header["typ"] = json!("at+jwt");
    let claims = access_claims(&idp);

    let user = keycloak
        .authenticate(&jws::token_with_header(key, &header, &claims))
        .await
        .expect("accepted");
    assert_eq!(user.sub(), KEYCLOAK_USER_ID);
}

#[tokio::test]
async fn a_realm_signing_with_es256_is_accepted_when_configured() {
    let idp = TestIdp::builder()
        .issuer_path("/realms/acme")
        .keys(vec![fixtures().ec.clone()])
        .start()
        .await;
    let claims = access_claims(&idp);
    let key = &fixtures().ec;
    let token = jws::token_with_header(key, &keycloak_header(key), &claims);

    assert_refused!(
        builder(&idp)
            .build()
            .expect("builds")
            .authenticate(&token)
            .await,
        ErrorKind::AlgorithmNotAllowed
    );
    let keycloak = builder(&idp)
        .algorithms([Algorithm::RS256, Algorithm::ES256])
        .build()
        .expect("builds");
    keycloak.authenticate(&token).await.expect("accepted");
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let idp = realm().await;
    let keycloak = builder(&idp).build().expect("builds");
    // No audience mapper: Keycloak's default access token audience.
    let mut claims = access_claims(&idp);
    claims["aud"] = json!("account");
    assert_refused!(
        keycloak.authenticate(&sign(&claims)).await,
        ErrorKind::AudienceMismatch
    );
}

#[tokio::test]
async fn authorized_parties_restrict_the_requesting_client() {
    let idp = realm().await;
    let keycloak = builder(&idp)
        .authorized_party(KEYCLOAK_CLIENT_ID)
        .build()
        .expect("builds");
    let listed = access_claims(&idp);
    keycloak
        .authenticate(&sign(&listed))
        .await
        .expect("a listed client");
    keycloak
        .authenticate(&sign(&id_claims(&idp)))
        .await
        .expect("the listed client's ID token");

    let mut other = listed.clone();
    other["azp"] = json!("admin-cli");
    assert_refused!(
        keycloak.authenticate(&sign(&other)).await,
        ErrorKind::ClaimRejected,
        "`azp`",
        "\"admin-cli\"",
        "authorized_parties"
    );
    let mut none = listed;
    none.as_object_mut().expect("object").remove("azp");
    assert_refused!(
        keycloak.authenticate(&sign(&none)).await,
        ErrorKind::ClaimRejected,
        "authorized_parties"
    );
}

#[tokio::test]
async fn refresh_tokens_are_refused_with_which_token_to_send() {
    let idp = realm().await;
    let keycloak = builder(&idp).build().expect("builds");
    let secret = fixtures().hmac.secret().expect("an HMAC key");
    let refresh = keycloak_refresh_token(&idp.issuer(), KEYCLOAK_USER_ID, now());

    // Signed with the realm's HMAC secret, as Keycloak does: the algorithm policy would
    // refuse it too, but the refusal must say what it is and what to send.
    assert_refused!(
        keycloak
            .authenticate(&hmac_token(secret, &keycloak_refresh_header(), &refresh))
            .await,
        ErrorKind::ClaimRejected,
        "refresh token",
        "keycloak.token",
        "keycloak.idToken"
    );
    let mut offline = refresh;
    offline["typ"] = json!("Offline");
    offline.as_object_mut().expect("object").remove("exp");
    assert_refused!(
        keycloak
            .authenticate(&hmac_token(secret, &keycloak_refresh_header(), &offline))
            .await,
        ErrorKind::ClaimRejected,
        "refresh token"
    );
    assert_eq!(
        (idp.discovery_requests(), idp.jwks_requests()),
        (0, 0),
        "refused before any key lookup"
    );
}

#[tokio::test]
async fn only_access_and_id_tokens_of_users_are_accepted() {
    let idp = realm().await;
    let keycloak = builder(&idp).build().expect("builds");

    for sa in [
        keycloak_service_account_token(&idp.issuer(), KEYCLOAK_USER_ID, now()),
        // Keycloak before 25 writes the client as `clientId`.
        {
            let mut claims = keycloak_service_account_token(&idp.issuer(), KEYCLOAK_USER_ID, now());
            let object = claims.as_object_mut().expect("object");
            object.remove("client_id");
            object.insert("clientId".into(), json!("threads-worker"));
            claims
        },
    ] {
        assert_refused!(
            keycloak.authenticate(&sign(&sa)).await,
            ErrorKind::ClaimRejected,
            "service account",
            "no user"
        );
    }

    let mut dpop = access_claims(&idp);
    dpop["typ"] = json!("DPoP");
    dpop["cnf"] = json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"});
    assert_refused!(
        keycloak.authenticate(&sign(&dpop)).await,
        ErrorKind::ClaimRejected,
        "DPoP"
    );

    let mut logout = id_claims(&idp);
    logout["typ"] = json!("Logout");
    assert_refused!(
        keycloak.authenticate(&sign(&logout)).await,
        ErrorKind::ClaimRejected,
        "`Bearer`",
        "`ID`"
    );
}

#[tokio::test]
async fn opaque_and_encrypted_inputs_say_which_token_to_send() {
    let idp = realm().await;
    let keycloak = builder(&idp).build().expect("builds");
    let result = keycloak
        .authenticate("b7e2c9a0-5d3f-4e1a-8c6b-2f9d0e4a7c31")
        .await;
    assert_refused!(result, ErrorKind::Opaque, "not a JWT", "keycloak.token");
    let jwe = jwe_like(&json!({"alg": "RSA-OAEP", "enc": "A128CBC-HS256", "kid": "k"}));
    let refused = assert_refused!(keycloak.authenticate(&jwe).await, ErrorKind::Encrypted);
    assert_mentions(&refused, &["encrypted", "ID token encryption"]);
}

#[test]
fn the_defaults_are_discovery_rs256_the_audiences_and_their_roles() {
    let keycloak = KeycloakProvider::builder("https://sso.acme.com/realms/acme")
        .audience("threads-api")
        .authorized_party("threads-web")
        .authorized_party("threads-api")
        .build()
        .expect("builds");
    let verifier = keycloak.verifier();
    assert_eq!(verifier.issuer(), "https://sso.acme.com/realms/acme");
    assert_eq!(verifier.strategy(), StrategyKind::OidcDiscovery);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::RS256]
    );
    assert_eq!(verifier.policy().audiences(), ["threads-api"]);
    assert_eq!(keycloak.role_clients(), ["threads-api", "threads-web"]);
    let none = KeycloakProvider::builder("https://sso.acme.com/realms/acme")
        .audience("threads-api")
        .role_clients(Vec::<String>::new())
        .build()
        .expect("builds");
    assert!(none.role_clients().is_empty());
}

#[test]
fn configuration_errors_name_the_field() {
    const REALM: &str = "https://sso.acme.com/realms/acme";
    let cases: [(KeycloakProviderBuilder, &str, &str); 9] = [
        (
            KeycloakProvider::builder(REALM),
            "audiences",
            "audience mapper",
        ),
        (
            KeycloakProvider::builder("https://sso.acme.com/realms/acme/").audience("threads-api"),
            "issuer",
            "slash",
        ),
        (
            KeycloakProvider::builder(
                "https://sso.acme.com/realms/acme/protocol/openid-connect/certs",
            )
            .audience("threads-api"),
            "issuer",
            "/protocol/openid-connect",
        ),
        (
            KeycloakProvider::builder("https://sso.acme.com").audience("threads-api"),
            "issuer",
            "/realms/<realm>",
        ),
        (
            KeycloakProvider::builder("http://sso.acme.com/realms/acme").audience("threads-api"),
            "issuer",
            "https",
        ),
        (
            KeycloakProvider::builder(REALM)
                .audience("threads-api")
                .authorized_party("threads web"),
            "authorized_parties",
            "whitespace",
        ),
        (
            KeycloakProvider::builder(REALM)
                .audience("threads-api")
                .role_clients([""]),
            "role_clients",
            "client id",
        ),
        (
            KeycloakProvider::builder(REALM)
                .audience("threads-api")
                .algorithms([Algorithm::HS512]),
            "algorithms",
            "refresh tokens",
        ),
        (
            KeycloakProvider::builder(REALM)
                .audience("threads-api")
                .algorithms([]),
            "algorithms",
            "RS256",
        ),
    ];
    for (builder, field, text) in cases {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[text]);
    }
    let unknown: KeycloakProviderBuilder = serde_json::from_value(json!({
        "issuer": REALM,
        "audiences": ["threads-api"],
        "algorithms": ["RS999"],
    }))
    .expect("deserializes; build names the field");
    assert_refused!(
        unknown.build(),
        ErrorKind::Configuration,
        "algorithms",
        "RS999"
    );
}
