//! Verifies a provider token end to end: a local identity provider (the testkit) serves
//! discovery and keys on 127.0.0.1, mints a token for `alice`, and a [`ProviderRegistry`]
//! verifies it exactly as production code would, then maps it to a user.
//!
//! Run it with `cargo run -p example-verify-token`.

use tambo_auth::{OidcProvider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{claims, now};

/// What the example shows: the user, and the refusal of a tampered token.
#[derive(Debug)]
pub struct Outcome {
    /// The verified user.
    pub user: TamboUser,
    /// The stable error code for the same token with its payload swapped.
    pub tampered_error: &'static str,
}

/// Starts the identity provider, mints, verifies and tampers.
pub async fn run() -> Result<Outcome, tambo_auth::Error> {
    let idp = TestIdp::start().await;
    let mut token_claims = claims(&idp.issuer(), "alice", now());
    token_claims["aud"] = "https://api.example".into();
    let token = idp.token(&token_claims);

    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "local-idp",
            Verifier::builder(idp.issuer())
                .audience("https://api.example")
                // The testkit serves plain http on 127.0.0.1; real issuers are https.
                .allow_loopback_http(true)
                .build()?,
        ))
        .build()?;
    let user = registry.authenticate(&token).await?;

    token_claims["sub"] = "mallory".into();
    let forged_payload = idp.token(&token_claims);
    let (head, _) = token.rsplit_once('.').unwrap_or_default();
    let (_, forged_sig) = forged_payload.rsplit_once('.').unwrap_or_default();
    let tampered = format!("{head}.{forged_sig}");
    let tampered_error = match registry.authenticate(&tampered).await {
        Ok(_) => "accepted",
        Err(e) => e.kind().code(),
    };
    Ok(Outcome {
        user,
        tampered_error,
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_example_verifies_alice_and_refuses_the_tampered_token() {
        let outcome = super::run().await.expect("runs");
        assert_eq!(outcome.user.sub(), "alice");
        assert!(
            outcome
                .user
                .context_key()
                .as_str()
                .starts_with("oauth:user:127.0.0.1%3A")
        );
        assert_eq!(outcome.tampered_error, "invalid_signature");
    }
}
