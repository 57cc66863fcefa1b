//! What the layer asks of a bearer token: verify it (now, or later for remote keys), and
//! re-check a cached result.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::future::BoxFuture;

use crate::jwt::Jws;
use crate::token::{TOKEN_TYPE, TamboTokens};
use crate::{Error, ProviderRegistry, TamboUser};

/// The outcome of [`BearerVerifier::verify`]: decided at once (local keys, the fast path), or
/// a future (keys that may need a fetch).
pub enum Verification {
    /// Decided synchronously.
    Done(Result<TamboUser, Error>),
    /// Decided when the future completes.
    Pending(BoxFuture<'static, Result<TamboUser, Error>>),
}

impl Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verification::Done(r) => f.debug_tuple("Done").field(r).finish(),
            Verification::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// Verifies bearer tokens for [`TamboAuthLayer`](super::TamboAuthLayer).
///
/// Implemented for [`TamboTokens`] (the default: Tambo tokens, verified locally and
/// synchronously), for [`ProviderRegistry`] (direct mode: provider tokens, no exchange), and
/// for [`TamboOrProvider`] (both).
pub trait BearerVerifier: Send + Sync + Debug + 'static {
    /// Verifies `token`.
    fn verify(&self, token: &str) -> Verification;

    /// Re-checks a user taken from the verified-token cache at `now` (read once per request
    /// from [`now`](BearerVerifier::now)): revocation, and the signing key still being
    /// trusted. The default accepts.
    fn recheck(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        let _ = (user, now);
        Ok(())
    }

    /// The time the cache measures expiry against.
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Whether [`verify`](BearerVerifier::verify) refuses at once every token that is not a
    /// single token68 value (RFC 6750 §2.1), as a compact JWS parser does. The layer then
    /// skips its own pass over the token's characters, and makes it only to name a refusal
    /// (`invalid_request`). The default, `false`, has the layer check first.
    fn refuses_all_but_token68(&self) -> bool {
        false
    }
}

impl BearerVerifier for TamboTokens {
    fn verify(&self, token: &str) -> Verification {
        Verification::Done(TamboTokens::verify(self, token))
    }

    /// A Tambo token is a compact JWS: its characters are checked as it is decoded.
    fn refuses_all_but_token68(&self) -> bool {
        true
    }

    fn recheck(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        self.recheck_cached(user, now)
    }

    fn now(&self) -> SystemTime {
        self.clock_now()
    }
}

impl BearerVerifier for ProviderRegistry {
    fn verify(&self, token: &str) -> Verification {
        match self.parse(token) {
            Ok(jws) => verify_provider_token(self, jws),
            Err(e) => Verification::Done(Err(e)),
        }
    }

    /// Only a parsed compact JWS is verified, later or now.
    fn refuses_all_but_token68(&self) -> bool {
        true
    }
}

/// Routes a parsed provider token and verifies it: decided now when the provider's keys are
/// at hand, a future (which keeps the parsed token) only when keys must be fetched.
fn verify_provider_token(registry: &ProviderRegistry, jws: Jws<'_>) -> Verification {
    let provider = match registry.route(&jws) {
        Ok(provider) => provider,
        Err(e) => return Verification::Done(Err(e)),
    };
    match provider.authenticate_jws_now(&jws) {
        Some(decided) => Verification::Done(decided),
        None => {
            // Only a token that must wait for keys is copied.
            let provider = Arc::clone(provider);
            let jws = jws.into_owned();
            Verification::Pending(Box::pin(
                async move { provider.authenticate_jws(&jws).await },
            ))
        }
    }
}

/// Accepts Tambo tokens and, for apps that skip the exchange, provider tokens: a token typed
/// `at+jwt` or issued by us goes to [`TamboTokens`], any other to the provider registry.
#[derive(Debug, Clone)]
pub struct TamboOrProvider {
    tokens: TamboTokens,
    providers: ProviderRegistry,
}

impl TamboOrProvider {
    /// Both verifiers.
    pub fn new(tokens: TamboTokens, providers: ProviderRegistry) -> Self {
        Self { tokens, providers }
    }

    fn is_ours(&self, jws: &Jws<'_>) -> bool {
        jws.header().typ_is(TOKEN_TYPE)
            || jws
                .claims_ref()
                .ok()
                .and_then(|c| c.iss().map(|iss| iss.starts_with(self.tokens.issuer())))
                .unwrap_or(false)
    }
}

impl BearerVerifier for TamboOrProvider {
    fn verify(&self, token: &str) -> Verification {
        match self.providers.parse(token) {
            Err(e) => Verification::Done(Err(e)),
            Ok(jws) if self.is_ours(&jws) => Verification::Done(self.tokens.verify_jws(&jws)),
            Ok(jws) => verify_provider_token(&self.providers, jws),
        }
    }

    fn refuses_all_but_token68(&self) -> bool {
        true
    }

    fn recheck(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        if user.token_id().is_some() {
            self.tokens.recheck_cached(user, now)
        } else {
            Ok(())
        }
    }

    fn now(&self) -> SystemTime {
        self.tokens.clock_now()
    }
}
