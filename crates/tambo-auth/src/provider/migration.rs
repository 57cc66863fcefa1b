//! Migration windows: one provider's users accepted through two verification paths until a
//! date, so that a change in how the provider signs (Supabase's legacy HS256 secret to its
//! signing keys, an Auth0 custom domain, a new WorkOS issuer) does not sign everyone out at
//! once. See [`ProviderRegistryBuilder::migration`](super::ProviderRegistryBuilder::migration).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Hints, Provider};
use crate::jwt::{Claims, Jws};
use crate::user::Namespace;
use crate::verify::{VerifiedToken, Verifier};
use crate::{Error, TamboUser};

/// Which side of a migration window a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathRole {
    /// The path users move to; it stays after the window.
    Current,
    /// The path users move from; accepted until the window closes.
    Previous,
}

impl PathRole {
    /// `current` or `previous` (the metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            PathRole::Current => "current",
            PathRole::Previous => "previous",
        }
    }
}

/// How one path of a migration window is used: what an operator watches to see the previous
/// path fall silent before the window closes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// The provider's name.
    pub provider: String,
    /// The path's issuer.
    pub issuer: String,
    /// Which side of the window.
    pub role: PathRole,
    /// When the window closes (the previous path is refused from then on).
    pub until: SystemTime,
    /// Tokens this path verified.
    pub verified: u64,
    /// When this path last verified a token.
    pub last_verified: Option<SystemTime>,
}

/// One path of a migration window, as the registry routes to it: the path's own provider,
/// counted, and for the previous path, closed at `until` and mapped into the current path's
/// namespace so that its users are the same users.
#[derive(Debug)]
pub(super) struct MigrationPath {
    provider: Arc<dyn Provider>,
    /// The provider's verifier; for the previous path, one that closes at `until`, so that a
    /// token cached before then is refused from then on too (the layer re-checks cached
    /// tokens with the verifier that verified them).
    verifier: Verifier,
    role: PathRole,
    /// The current path's namespace: where both paths' users live.
    namespace: Namespace,
    /// Unix seconds.
    until: i64,
    verified: AtomicU64,
    /// Unix seconds; 0 for never.
    last_verified: AtomicI64,
}

impl MigrationPath {
    pub(super) fn new(
        provider: Arc<dyn Provider>,
        role: PathRole,
        namespace: Namespace,
        until: SystemTime,
    ) -> Self {
        let verifier = match role {
            PathRole::Current => provider.verifier().clone(),
            PathRole::Previous => provider.verifier().closing_at(until),
        };
        MigrationPath {
            provider,
            verifier,
            role,
            namespace,
            until: crate::clock::unix_seconds_at(until) as i64,
            verified: AtomicU64::new(0),
            last_verified: AtomicI64::new(0),
        }
    }

    fn now(&self) -> i64 {
        self.verifier.clock().unix_seconds() as i64
    }

    /// The startup warning of a window that has closed.
    pub(super) fn warn_if_closed(&self) {
        if self.verifier.check_open().is_err() {
            tracing::warn!(
                provider = %self.provider.name(),
                issuer = %self.verifier.issuer(),
                until = %humantime::format_rfc3339_seconds(time(self.until)),
                "the migration window has closed: tokens of this previous path are refused; remove it from the configuration"
            );
        }
    }

    pub(super) fn status(&self) -> MigrationStatus {
        let last = self.last_verified.load(Ordering::Relaxed);
        MigrationStatus {
            provider: self.provider.name().to_owned(),
            issuer: self.verifier.issuer().to_owned(),
            role: self.role,
            until: time(self.until),
            verified: self.verified.load(Ordering::Relaxed),
            last_verified: (last != 0).then(|| time(last)),
        }
    }
}

fn time(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

impl Provider for MigrationPath {
    fn name(&self) -> &str {
        self.provider.name()
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A closed path refuses before the provider's own checks and any key lookup.
    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        self.verifier.check_open()?;
        self.provider.precheck(jws)
    }

    fn precheck_opaque(&self, token: &str) -> Result<(), Error> {
        self.verifier.check_open()?;
        self.provider.precheck_opaque(token)
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let user = self.provider.map_claims(token)?;
        let user = match self.role {
            PathRole::Current => user,
            PathRole::Previous => user.in_namespace(&self.namespace),
        };
        self.verified.fetch_add(1, Ordering::Relaxed);
        self.last_verified.store(self.now(), Ordering::Relaxed);
        Ok(user)
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        self.provider.held_scopes(claims)
    }

    fn refused_issuers(&self) -> &[String] {
        self.provider.refused_issuers()
    }

    fn hints(&self) -> Hints {
        self.provider.hints()
    }

    fn explain_non_jwt(&self, input: &str, error: Error) -> Error {
        self.provider.explain_non_jwt(input, error)
    }
}
