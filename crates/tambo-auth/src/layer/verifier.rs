//! What the layer asks of a bearer token: verify it (at once, or later when keys must be
//! fetched), and re-check a cached result.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use crate::jwt::Jws;
use crate::provider::{Presented, Provider};
use crate::token::TamboTokens;
use crate::user::Origin;
use crate::{Error, ProviderExt as _, ProviderRegistry, TamboUser};

/// The outcome of [`BearerVerifier::verify`]: decided at once (the keys at hand), or a future
/// (keys that must be fetched first).
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
    /// Verifies `token`, a token68 value.
    fn verify(&self, token: &str) -> Verification;

    /// Re-checks a user taken from the verified-token cache at `now` (read once per request
    /// from [`now`](BearerVerifier::now)). The default re-checks a user verified by a
    /// provider: the key that verified its token must still be in the provider's key set.
    fn recheck(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        let _ = now;
        recheck_provider_user(user)
    }

    /// The time the cache measures expiry against.
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<V: BearerVerifier + ?Sized> BearerVerifier for Arc<V> {
    fn verify(&self, token: &str) -> Verification {
        (**self).verify(token)
    }

    fn recheck(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        (**self).recheck(user, now)
    }

    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// The re-check of a user a provider verified: its key is still trusted.
fn recheck_provider_user(user: &TamboUser) -> Result<(), Error> {
    match user.origin() {
        Some(Origin::Provider { verifier, key }) => verifier.still_trusts(key.as_deref()),
        _ => Ok(()),
    }
}

impl BearerVerifier for TamboTokens {
    fn verify(&self, token: &str) -> Verification {
        Verification::Done(TamboTokens::verify(self, token))
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
            Ok(Presented::Jws(jws)) => verify_provider_token(self, jws),
            Ok(Presented::Opaque(provider)) => verify_opaque_token(provider, token),
            Err(e) => Verification::Done(Err(e)),
        }
    }
}

/// Asks a provider's identity provider about an opaque token: decided at once when its
/// answer is cached, else the same question, still in flight, as a future that owns the
/// token. (Unlike a key fetch, a request to the endpoint is not shared: asking again would
/// repeat the request.)
fn verify_opaque_token(provider: &Arc<dyn Provider>, token: &str) -> Verification {
    let provider = Arc::clone(provider);
    let token = token.to_owned();
    let mut asking = Box::pin(async move { provider.authenticate_opaque(&token).await });
    match (&mut asking).now_or_never() {
        Some(decided) => Verification::Done(decided),
        None => Verification::Pending(asking),
    }
}

/// Routes a parsed provider token and verifies it: decided at once when the provider's keys
/// are at hand (the verification future is ready at its first poll), else the same
/// verification again as a future that owns its token.
fn verify_provider_token(registry: &ProviderRegistry, jws: Jws<'_>) -> Verification {
    let provider = match registry.route(&jws) {
        Ok(provider) => provider,
        Err(e) => return Verification::Done(Err(e)),
    };
    if let Some(decided) = provider.authenticate_jws(&jws).now_or_never() {
        return Verification::Done(decided);
    }
    // The first attempt started (or joined) the key fetch it waits for; this one joins it.
    let provider = Arc::clone(provider);
    let jws = jws.into_owned();
    Verification::Pending(Box::pin(
        async move { provider.authenticate_jws(&jws).await },
    ))
}

/// Accepts Tambo tokens and, for apps that skip the exchange, provider tokens: a token whose
/// `iss` is ours goes to [`TamboTokens`], any other to the provider registry. The header's
/// `typ` decides nothing: RFC 9068 (§2.1) gives every JWT access token `typ: at+jwt`.
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
}

impl BearerVerifier for TamboOrProvider {
    fn verify(&self, token: &str) -> Verification {
        let jws = match self.providers.parse(token) {
            Ok(Presented::Jws(jws)) => jws,
            Ok(Presented::Opaque(provider)) => return verify_opaque_token(provider, token),
            Err(e) => return Verification::Done(Err(e)),
        };
        let ours = jws
            .claims()
            .ok()
            .and_then(|claims| claims.iss())
            .is_some_and(|iss| self.tokens.is_own_issuer(iss));
        if ours {
            Verification::Done(self.tokens.verify_jws(&jws))
        } else {
            verify_provider_token(&self.providers, jws)
        }
    }

    fn recheck(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        match user.origin() {
            Some(Origin::Tambo { .. }) => self.tokens.recheck_cached(user, now),
            _ => recheck_provider_user(user),
        }
    }

    fn now(&self) -> SystemTime {
        self.tokens.clock_now()
    }
}
