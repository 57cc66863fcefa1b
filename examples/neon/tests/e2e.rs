//! The Neon example end to end with Neon Auth: the same provider setup as `main.rs`, pointed at
//! the testkit serving Neon Auth's key set.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::Value;
use tambo_auth_neon::NeonProvider;
use tambo_auth_testkit::claims::{better_auth_header, neon_auth_jwt, now};
use tambo_auth_testkit::jws::JwsBuilder;
use tambo_auth_testkit::{TestIdp, fixtures};

const API_KEY: &str = "tambo_pk_example";
const JWKS_PATH: &str = "/neondb/auth/.well-known/jwks.json";

fn neon_token(issuer: &str, sub: &str) -> String {
    let ed = &fixtures().ed;
    JwsBuilder::new()
        .header(better_auth_header(ed))
        .payload(neon_auth_jwt(issuer, sub, now()))
        .sign(ed, "EdDSA")
}

#[tokio::test]
async fn neon_auth_tokens_exchange_and_scope_notes_per_user() {
    let idp = TestIdp::builder()
        .keys(vec![fixtures().ed.clone()])
        .jwks_path(JWKS_PATH)
        .discovery(false)
        .start()
        .await;
    let provider = NeonProvider::neon_auth(idp.issuer(), format!("{}{JWKS_PATH}", idp.base_url()))
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    let router = example_support::App::new(provider, API_KEY)
        .expect("app")
        .router();

    let ada_id = "860dc360-609f-4b7d-9e70-ec93fe6414d3";
    let ada = exchange_ok(&router, API_KEY, &neon_token(&idp.issuer(), ada_id)).await;

    let (status, user) = me(&router, &ada).await;
    assert_eq!(status.as_u16(), 200);
    let user = user.expect("me");
    assert_eq!(user.sub, ada_id);
    assert_eq!(user.tenant, None);
    assert_eq!(
        user.context_key,
        format!("oauth:user:127.0.0.1%3A{}:{ada_id}", idp.port())
    );

    let grace_id = "2f9a7c1e-4b3d-4e6f-8a0b-1c2d3e4f5a6b";
    let grace = exchange_ok(&router, API_KEY, &neon_token(&idp.issuer(), grace_id)).await;
    assert_eq!(
        add_and_list(&router, &ada, "ada's note").await,
        ["ada's note"]
    );
    assert_eq!(
        add_and_list(&router, &grace, "grace's note").await,
        ["grace's note"]
    );

    // The usual mistake: sending the opaque session token instead of `authClient.token()`.
    let (status, body) = exchange(&router, API_KEY, "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ").await;
    assert_eq!(status.as_u16(), 400);
    assert_eq!(body["error"], Value::from("invalid_request"));
}
