//! The Neon example end to end with Neon Auth: the same provider setup as `main.rs`, pointed at
//! the testkit serving Neon Auth's key set.

use example_support::testing::{TestApp, loopback_options};
use tambo_auth::ErrorKind;
use tambo_auth_neon::NeonProvider;
use tambo_auth_testkit::claims::{better_auth_header, neon_auth_jwt, now};
use tambo_auth_testkit::jws::JwsBuilder;
use tambo_auth_testkit::{TestIdp, fixtures};

const JWKS_PATH: &str = "/neondb/auth/.well-known/jwks.json";
const ADA: &str = "860dc360-609f-4b7d-9e70-ec93fe6414d3";
const GRACE: &str = "2f9a7c1e-4b3d-4e6f-8a0b-1c2d3e4f5a6b";

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
        .options(loopback_options());
    let app = TestApp::built(provider.build());

    let ada = neon_token(&idp.issuer(), ADA);
    let grace = neon_token(&idp.issuer(), GRACE);
    let user = app.two_users_see_only_their_own_notes(&ada, &grace).await;
    let key = format!("oauth:user:127.0.0.1%3A{}:{ADA}", idp.port());
    user.assert_user(ADA, None, &key);

    // The usual mistake: sending the opaque session token instead of `authClient.token()`.
    app.assert_refused("Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ", ErrorKind::Opaque)
        .await;
}
