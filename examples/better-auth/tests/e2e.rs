//! The Better Auth example's router end to end, against the testkit serving the JWT plugin's
//! JWKS at /api/auth/jwks.

use example_support::testing::{TestApp, loopback_options};
use tambo_auth::ErrorKind;
use tambo_auth_better_auth::BetterAuthProvider;
use tambo_auth_testkit::claims::{better_auth_header, better_auth_jwt, now};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const ADA: &str = "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ";
const GRACE: &str = "Gh5sL8dK2pQ7wE1rT4yU9iO3aZ6xC0vB";

#[tokio::test]
async fn better_auth_users_exchange_their_jwt_and_see_only_their_notes() {
    let key = &fixtures().ed;
    let idp = TestIdp::builder()
        .keys(vec![key.clone()])
        .jwks_path("/api/auth/jwks")
        .discovery(false)
        .start()
        .await;
    // What main.rs builds from BETTER_AUTH_URL (here the testkit instead of the app).
    let better_auth = BetterAuthProvider::builder(idp.base_url()).options(loopback_options());
    let app = TestApp::built(better_auth.build());
    let jwt = |user: &str| {
        JwsBuilder::new()
            .header(better_auth_header(key))
            .payload(better_auth_jwt(&idp.issuer(), user, now()))
            .sign(key, "EdDSA")
    };

    let profile = app
        .two_users_see_only_their_own_notes(&jwt(ADA), &jwt(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}:{ADA}", idp.port());
    profile.assert_user(ADA, None, &key);

    // The mistake Tambo's own guide makes: sending `session.token`, an opaque string.
    app.assert_refused("Yx4b0eT5mQ2kR9vW7zN1cL8pA3sD6fG0", ErrorKind::Opaque)
        .await;
}
