//! The Entra example end to end: the same provider setup as `main.rs` for a multi-tenant app,
//! pointed at the testkit laid out like login.microsoftonline.com.

use example_support::testing::{TestApp, loopback_options};
use serde_json::Value;
use tambo_auth::ErrorKind;
use tambo_auth_entra::EntraProvider;
use tambo_auth_testkit::claims::{
    ENTRA_CLIENT_ID, ENTRA_TENANT_ID, entra_access_token, entra_graph_access_token,
    entra_graph_header, entra_header, entra_id_token, now,
};
use tambo_auth_testkit::{TestIdp, fixtures, jws};

const ADA: &str = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ";
const GRACE: &str = "AAAAAAAAAAAAAAAAAAAAAC1eRfT0pQ9nM8lK7jH6gFd";
/// A second customer's tenant, also allowed.
const FABRIKAM: &str = "3c2b9e51-7d4a-4f0e-8b6a-2f1d0c9e8a77";

fn sign(header: &Value, claims: &Value) -> String {
    jws::token_with_header(&fixtures().rsa, header, claims)
}

#[tokio::test]
async fn entra_users_of_allowed_tenants_exchange_their_tokens_and_see_only_their_notes() {
    let idp = TestIdp::builder()
        .issuer_path("/organizations/v2.0")
        .jwks_path("/organizations/discovery/v2.0/keys")
        .start()
        .await;
    // What main.rs builds from ENTRA_TENANT=organizations and ENTRA_ALLOWED_TENANTS.
    let provider = EntraProvider::builder("organizations", ENTRA_CLIENT_ID)
        .allowed_tenant(ENTRA_TENANT_ID)
        .allowed_tenant(FABRIKAM)
        .instance(idp.base_url())
        .options(loopback_options());
    let app = TestApp::built(provider.build());
    let header = entra_header(&fixtures().rsa);
    // Ada sends an ID token from her tenant; Grace an access token for the app's API from hers.
    let ada = sign(
        &header,
        &entra_id_token(&idp.base_url(), ENTRA_TENANT_ID, ADA, now()),
    );
    let grace = sign(
        &header,
        &entra_access_token(&idp.base_url(), FABRIKAM, GRACE, now()),
    );

    let user = app.two_users_see_only_their_own_notes(&ada, &grace).await;
    let key = format!(
        "oauth:user:127.0.0.1%3A{}:{ENTRA_TENANT_ID}:{ADA}",
        idp.port()
    );
    user.assert_user(ADA, Some(ENTRA_TENANT_ID), &key);

    // The usual mistake: forwarding the Microsoft Graph token MSAL got for `User.Read`.
    let graph = sign(
        &entra_graph_header(&fixtures().rsa),
        &entra_graph_access_token(ENTRA_TENANT_ID, ADA, now()),
    );
    app.assert_refused(&graph, ErrorKind::ClaimRejected).await;
    // And a tenant that is not on the list.
    let stranger = sign(
        &header,
        &entra_id_token(
            &idp.base_url(),
            "0badc0de-1111-4222-8333-444455556666",
            ADA,
            now(),
        ),
    );
    app.assert_refused(&stranger, ErrorKind::UnknownIssuer)
        .await;
}
