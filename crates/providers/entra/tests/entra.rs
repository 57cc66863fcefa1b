//! The Entra ID adapter against the testkit IdP laid out like login.microsoftonline.com on
//! 127.0.0.1: a tenant's discovery at `/<tenant>/v2.0/.well-known/openid-configuration`, keys
//! at `/<tenant>/discovery/v2.0/keys`, the multi-tenant authority at `/organizations/…` with
//! the issuer template `…/{tenantid}/v2.0`; and Entra-shaped v2.0 ID and access tokens.

use serde_json::{Value, json};
use tambo_auth::{
    Algorithm, ContextKey, ErrorKind, Provider, ProviderExt, ProviderOptions, ProviderRegistry,
    StrategyKind,
};
use tambo_auth_entra::{
    ENTRA_INSTANCE, EntraClaims, EntraProvider, EntraProviderBuilder, GRAPH_APP_ID, Identity,
};
use tambo_auth_testkit::claims::{
    ENTRA_CLIENT_ID, ENTRA_OID, ENTRA_SPA_CLIENT_ID, ENTRA_TENANT_ID, entra_access_token,
    entra_graph_access_token, entra_graph_header, entra_header, entra_id_token, now,
};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

/// Another customer's tenant, allowed in the multi-tenant tests.
const FABRIKAM: &str = "3c2b9e51-7d4a-4f0e-8b6a-2f1d0c9e8a77";
/// A tenant no configuration here accepts.
const STRANGER: &str = "0badc0de-1111-4222-8333-444455556666";
/// A pairwise `sub`: 43 base64url characters, this application's view of the user.
const SUB: &str = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ";

/// A tenant's endpoints, as login.microsoftonline.com lays them out.
async fn tenant_idp(tenant: &str) -> TestIdp {
    TestIdp::builder()
        .issuer_path(format!("/{tenant}/v2.0"))
        .jwks_path(format!("/{tenant}/discovery/v2.0/keys"))
        .start()
        .await
}

/// The multi-tenant authority: its discovery document gives the issuer template.
async fn organizations_idp() -> TestIdp {
    let idp = TestIdp::builder()
        .issuer_path("/organizations/v2.0")
        .jwks_path("/organizations/discovery/v2.0/keys")
        .start()
        .await;
    idp.set_discovery_issuer(format!("{}/{{tenantid}}/v2.0", idp.base_url()));
    idp
}

fn loopback() -> ProviderOptions {
    ProviderOptions::default().allow_loopback_http(true)
}

fn single_tenant(idp: &TestIdp) -> EntraProviderBuilder {
    EntraProvider::builder(ENTRA_TENANT_ID, ENTRA_CLIENT_ID)
        .instance(idp.base_url())
        .options(loopback())
}

fn multi_tenant(idp: &TestIdp) -> EntraProvider {
    EntraProvider::builder("organizations", ENTRA_CLIENT_ID)
        .allowed_tenant(ENTRA_TENANT_ID)
        .allowed_tenant(FABRIKAM)
        .instance(idp.base_url())
        .options(loopback())
        .build()
        .expect("builds")
}

fn sign(claims: &Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &entra_header(key), claims)
}

fn context_key(idp: &TestIdp, tenant: &str, sub: &str) -> String {
    format!("oauth:user:127.0.0.1%3A{}:{tenant}:{sub}", idp.port())
}

#[tokio::test]
async fn an_id_token_of_the_configured_tenant_is_accepted_and_mapped() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let entra = single_tenant(&idp).build().expect("builds");
    assert_eq!(entra.verifier().strategy(), StrategyKind::OidcDiscovery);
    let token = sign(&entra_id_token(
        &idp.base_url(),
        ENTRA_TENANT_ID,
        SUB,
        now(),
    ));

    let user = entra.authenticate(&token).await.expect("accepted");

    assert_eq!(user.provider(), "entra");
    assert_eq!(user.sub(), SUB);
    assert_eq!(user.tenant(), Some(ENTRA_TENANT_ID));
    assert_eq!(
        user.context_key().as_str(),
        context_key(&idp, ENTRA_TENANT_ID, SUB)
    );
    assert_eq!(user.email(), Some("ada@contoso.example"));
    let typed = EntraClaims::from_user(&user);
    assert_eq!(typed.oid.as_deref(), Some(ENTRA_OID));
    assert_eq!(typed.tid.as_deref(), Some(ENTRA_TENANT_ID));
    assert_eq!(
        typed.preferred_username.as_deref(),
        Some("ada@contoso.example")
    );
    assert_eq!(typed.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(typed.ver.as_deref(), Some("2.0"));
    assert!(typed.roles.is_empty());
    assert_eq!(typed.scp, None);
    // An ID token holds no scope an exchange could grant.
    assert!(entra.held_scopes(&user.claims()).is_empty());
    assert_eq!((idp.discovery_requests(), idp.jwks_requests()), (1, 1));
}

#[tokio::test]
async fn an_access_token_for_the_api_gives_its_scopes_and_roles() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let entra = single_tenant(&idp).build().expect("builds");
    let mut claims = entra_access_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    claims["scp"] = json!("access_as_user Threads.Read");
    claims["roles"] = json!(["Threads.Admin", "Threads.Auditor"]);

    let user = entra.authenticate(&sign(&claims)).await.expect("accepted");

    assert_eq!(
        entra.held_scopes(&user.claims()),
        [
            "access_as_user",
            "Threads.Read",
            "Threads.Admin",
            "Threads.Auditor"
        ]
    );
    let typed = EntraClaims::from_user(&user);
    assert_eq!(typed.azp.as_deref(), Some(ENTRA_SPA_CLIENT_ID));
    assert!(typed.has_scope("Threads.Read"));
    assert!(!typed.has_scope("Threads"));
    assert!(typed.has_role("Threads.Auditor"));
    assert_eq!(user.email(), None, "access tokens carry no email");
}

#[tokio::test]
async fn a_single_tenant_app_refuses_another_tenants_token_before_any_key_lookup() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let entra = single_tenant(&idp).build().expect("builds");
    let token = sign(&entra_id_token(&idp.base_url(), STRANGER, SUB, now()));

    let result = entra.authenticate(&token).await;

    assert_refused!(
        result,
        ErrorKind::ClaimRejected,
        STRANGER,
        "single-tenant",
        "allowed_tenants"
    );
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_multi_tenant_app_accepts_each_allowed_tenant_with_the_authoritys_keys() {
    let idp = organizations_idp().await;
    let entra = multi_tenant(&idp);
    assert_eq!(entra.verifier().strategy(), StrategyKind::Jwks);
    let registry = ProviderRegistry::builder()
        .provider(entra)
        .build()
        .expect("registry");

    for tenant in [ENTRA_TENANT_ID, FABRIKAM] {
        let token = sign(&entra_id_token(&idp.base_url(), tenant, SUB, now()));
        let user = registry.authenticate(&token).await.expect(tenant);
        assert_eq!(user.tenant(), Some(tenant));
        // The same `sub` in two tenants is two users.
        assert_eq!(user.context_key().as_str(), context_key(&idp, tenant, SUB));
    }
    // Keys come from /organizations/discovery/v2.0/keys; the discovery document, whose
    // issuer is the template, is never read.
    assert_eq!((idp.discovery_requests(), idp.jwks_requests()), (0, 1));
}

#[tokio::test]
async fn a_multi_tenant_app_refuses_a_tenant_not_allowed() {
    let idp = organizations_idp().await;
    let token = sign(&entra_id_token(&idp.base_url(), STRANGER, SUB, now()));

    let direct = multi_tenant(&idp).authenticate(&token).await;
    assert_refused!(
        direct,
        ErrorKind::ClaimRejected,
        STRANGER,
        "`allowed_tenants`"
    );
    // A registry routes only the allowed tenants' issuers: no provider answers for it.
    let registry = ProviderRegistry::builder()
        .provider(multi_tenant(&idp))
        .build()
        .expect("registry");
    let routed = registry.authenticate(&token).await;
    let err = assert_refused!(routed, ErrorKind::UnknownIssuer);
    assert_eq!(
        (err.kind().exchange_status(), err.kind().oauth_error()),
        (400, "invalid_request")
    );
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_token_whose_iss_is_not_the_issuer_of_its_own_tid_is_refused() {
    let idp = organizations_idp().await;
    let entra = multi_tenant(&idp);
    // Signed by Entra's keys for tenant A, claiming to be a user of tenant B (both allowed).
    let mut claims = entra_id_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    claims["tid"] = json!(FABRIKAM);

    let result = entra.authenticate(&sign(&claims)).await;

    let err = assert_refused!(result, ErrorKind::ClaimRejected, "`iss`", "`tid`");
    assert_eq!(err.kind().code(), "claim_rejected");
    assert_eq!(err.kind().exchange_status(), 400);

    claims.as_object_mut().expect("an object").remove("tid");
    let result = entra.authenticate(&sign(&claims)).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "no `tid`");
}

#[tokio::test]
async fn a_v1_token_is_refused_with_the_version_hint() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let entra = single_tenant(&idp).build().expect("builds");
    let mut v1 = entra_access_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    v1["iss"] = json!(format!("https://sts.windows.net/{ENTRA_TENANT_ID}/"));
    v1["ver"] = json!("1.0");
    v1["aud"] = json!(format!("api://{ENTRA_CLIENT_ID}"));
    let token = sign(&v1);

    let direct = entra.authenticate(&token).await;
    // A registry routes the tenant's v1.0 issuer to the provider, to explain it.
    let registry = ProviderRegistry::builder()
        .provider(single_tenant(&idp).build().expect("builds"))
        .build()
        .expect("registry");
    let routed = registry.authenticate(&token).await;

    for result in [direct, routed] {
        assert_refused!(
            result,
            ErrorKind::ClaimRejected,
            "v1.0",
            "accessTokenAcceptedVersion: 2",
            "ID token"
        );
    }
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_microsoft_graph_access_token_is_refused_with_the_scope_hint() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let key = &fixtures().rsa;
    let graph = jws::token_with_header(
        key,
        &entra_graph_header(key),
        &entra_graph_access_token(ENTRA_TENANT_ID, SUB, now()),
    );
    let registry = ProviderRegistry::builder()
        .provider(single_tenant(&idp).build().expect("builds"))
        .build()
        .expect("registry");

    let result = registry.authenticate(&graph).await;

    assert_refused!(
        result,
        ErrorKind::ClaimRejected,
        GRAPH_APP_ID,
        &format!("api://{ENTRA_CLIENT_ID}/"),
        "ID token"
    );
    // A v2.0 token for Graph is refused the same way, whatever its header.
    let mut v2 = entra_access_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    v2["aud"] = json!(GRAPH_APP_ID);
    let result = registry.authenticate(&sign(&v2)).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "Microsoft Graph");
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_token_for_another_application_is_refused_by_audience() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let entra = single_tenant(&idp).build().expect("builds");
    let mut claims = entra_id_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    claims["aud"] = json!(ENTRA_SPA_CLIENT_ID);

    let result = entra.authenticate(&sign(&claims)).await;

    let err = assert_refused!(result, ErrorKind::AudienceMismatch);
    assert_eq!(
        (err.kind().exchange_status(), err.kind().bearer_status()),
        (400, 401)
    );
}

#[tokio::test]
async fn the_oid_identity_is_one_user_across_the_tenants_applications() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    // Two applications see one person under two pairwise subjects and one `oid`.
    let this_app = sign(&entra_id_token(
        &idp.base_url(),
        ENTRA_TENANT_ID,
        SUB,
        now(),
    ));
    let other_sub = "BBBBBBBBBBBBBBBBBBBBBGx0pQmR2sT4uV6wX8yZ0aB";
    let other_app = sign(&entra_id_token(
        &idp.base_url(),
        ENTRA_TENANT_ID,
        other_sub,
        now(),
    ));

    let by_sub = single_tenant(&idp).build().expect("builds");
    let a = by_sub.authenticate(&this_app).await.expect("accepted");
    let b = by_sub.authenticate(&other_app).await.expect("accepted");
    assert_ne!(a.context_key(), b.context_key());

    let by_oid = single_tenant(&idp)
        .identity(Identity::Oid)
        .build()
        .expect("builds");
    let a = by_oid.authenticate(&this_app).await.expect("accepted");
    let b = by_oid.authenticate(&other_app).await.expect("accepted");
    assert_eq!(a.sub(), ENTRA_OID);
    assert_eq!(a.context_key(), b.context_key());
    assert_eq!(
        a.context_key().as_str(),
        context_key(&idp, ENTRA_TENANT_ID, ENTRA_OID)
    );
    assert_eq!(
        a.claims().sub(),
        Some(SUB),
        "the claims keep the token's sub"
    );

    // An ID token requested without the `profile` scope has no `oid`.
    let mut no_profile = entra_id_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    no_profile.as_object_mut().expect("an object").remove("oid");
    let result = by_oid.authenticate(&sign(&no_profile)).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "`profile` scope");
}

#[tokio::test]
async fn only_rs256_is_accepted() {
    let idp = TestIdp::builder()
        .issuer_path(format!("/{ENTRA_TENANT_ID}/v2.0"))
        .jwks_path(format!("/{ENTRA_TENANT_ID}/discovery/v2.0/keys"))
        .keys(vec![fixtures().rsa.clone(), fixtures().ec.clone()])
        .start()
        .await;
    let entra = single_tenant(&idp).build().expect("builds");
    let ec = &fixtures().ec;
    let claims = entra_id_token(&idp.base_url(), ENTRA_TENANT_ID, SUB, now());
    let token = jws::token_with_header(ec, &entra_header(ec), &claims);

    let result = entra.authenticate(&token).await;

    assert_refused!(result, ErrorKind::AlgorithmNotAllowed);
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn encrypted_and_opaque_inputs_are_explained() {
    let idp = tenant_idp(ENTRA_TENANT_ID).await;
    let entra = single_tenant(&idp).build().expect("builds");
    let jwe = jwe_like(&json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "k"}));
    let result = entra.authenticate(&jwe).await;
    assert_refused!(result, ErrorKind::Encrypted, "token encryption");
    let result = entra
        .authenticate("EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z-example-opaque")
        .await;
    assert_refused!(result, ErrorKind::Opaque, "`api://<client id>/…`");
}

#[test]
fn the_defaults_are_microsofts_hosts_and_tambos_context_key() {
    let single = EntraProvider::builder(ENTRA_TENANT_ID, ENTRA_CLIENT_ID)
        .build()
        .expect("builds");
    let verifier = single.verifier();
    assert_eq!(
        verifier.issuers(),
        [format!("{ENTRA_INSTANCE}/{ENTRA_TENANT_ID}/v2.0")]
    );
    assert_eq!(
        single.refused_issuers(),
        [format!("https://sts.windows.net/{ENTRA_TENANT_ID}/")]
    );
    assert_eq!(verifier.policy().audiences(), [ENTRA_CLIENT_ID]);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::RS256]
    );
    // Tambo's key for an Entra user, unchanged.
    assert_eq!(single.namespace().as_str(), "login.microsoftonline.com");
    assert_eq!(
        ContextKey::in_namespace(single.namespace(), Some(ENTRA_TENANT_ID), SUB).as_str(),
        format!("oauth:user:login.microsoftonline.com:{ENTRA_TENANT_ID}:{SUB}")
    );

    let multi = EntraProvider::builder("common", ENTRA_CLIENT_ID)
        .allowed_tenant(ENTRA_TENANT_ID)
        .allowed_tenant(FABRIKAM.to_ascii_uppercase())
        .build()
        .expect("builds");
    assert_eq!(
        multi.verifier().issuers(),
        [
            format!("{ENTRA_INSTANCE}/{ENTRA_TENANT_ID}/v2.0"),
            format!("{ENTRA_INSTANCE}/{FABRIKAM}/v2.0"),
        ]
    );
    assert_eq!(multi.namespace().as_str(), single.namespace().as_str());
}

#[test]
fn configuration_errors_name_the_field() {
    let app = |tenant: &str| EntraProvider::builder(tenant, ENTRA_CLIENT_ID);
    for (builder, field, texts) in [
        (
            app("contoso.onmicrosoft.com"),
            "tenant",
            &["Tenant ID", "\"organizations\""][..],
        ),
        (
            app("organizations"),
            "allowed_tenants",
            &["any Microsoft tenant"],
        ),
        (
            app("common").allowed_tenant("contoso.com"),
            "allowed_tenants",
            &[],
        ),
        (
            app(ENTRA_TENANT_ID).allowed_tenant(FABRIKAM),
            "allowed_tenants",
            &["multi-tenant"],
        ),
        (
            EntraProvider::builder(ENTRA_TENANT_ID, format!("api://{ENTRA_CLIENT_ID}")),
            "client_id",
            &["Application ID URI"],
        ),
        (
            EntraProvider::builder(ENTRA_TENANT_ID, GRAPH_APP_ID),
            "client_id",
            &["Microsoft Graph"],
        ),
        (
            EntraProvider::builder(ENTRA_TENANT_ID, ""),
            "client_id",
            &[],
        ),
        (
            app(ENTRA_TENANT_ID).instance("https://login.microsoftonline.com/common"),
            "instance",
            &[],
        ),
        (
            app(ENTRA_TENANT_ID).instance("http://127.0.0.1:8080"),
            "instance",
            &[],
        ),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, texts);
    }
}

#[test]
fn the_builder_deserializes_strictly_with_the_builders_defaults() {
    let parse = |value: Value| serde_json::from_value::<EntraProviderBuilder>(value);
    let minimal = parse(json!({"tenant": ENTRA_TENANT_ID, "client_id": ENTRA_CLIENT_ID}))
        .expect("deserializes");
    assert_eq!(
        format!("{minimal:?}"),
        format!(
            "{:?}",
            EntraProvider::builder(ENTRA_TENANT_ID, ENTRA_CLIENT_ID)
        )
    );

    let settings = parse(json!({
        "tenant": "organizations",
        "client_id": ENTRA_CLIENT_ID,
        "allowed_tenants": [ENTRA_TENANT_ID, FABRIKAM],
        "identity": "oid",
        "instance": "https://login.microsoftonline.us",
    }))
    .expect("deserializes");
    let entra = settings.build().expect("builds");
    assert_eq!(
        entra.verifier().issuers()[1],
        format!("https://login.microsoftonline.us/{FABRIKAM}/v2.0")
    );

    for unknown in [
        json!({"tenant": ENTRA_TENANT_ID, "client_id": ENTRA_CLIENT_ID, "audience": ENTRA_CLIENT_ID}),
        json!({"tenant": ENTRA_TENANT_ID, "client_id": ENTRA_CLIENT_ID, "identity": "email"}),
    ] {
        assert!(parse(unknown.clone()).is_err(), "{unknown}");
    }
    let settings =
        parse(json!({"tenant": "common", "client_id": ENTRA_CLIENT_ID})).expect("deserializes");
    assert_refused!(
        settings.build(),
        ErrorKind::Configuration,
        "invalid configuration `allowed_tenants`:"
    );
}
