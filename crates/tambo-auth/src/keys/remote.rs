//! The remote key set: an issuer's JWKS, fetched lazily, cached and refreshed with the
//! behaviour of panva/jose's remote set and the reliability policy in `docs/security.md`.
//!
//! - Reads are lock-free (`arc-swap`); a short `std` mutex guards only bookkeeping, never I/O.
//! - One fetch in flight per issuer: concurrent callers share it (single-flight), and it runs
//!   on its own task so a caller that gives up does not cancel it for the others.
//! - An unknown `kid` refetches at once, then not again for that `kid` for 30 s; whatever the
//!   `kid`s, such refetches come at most once per 5 s per key set, so an issuer's new key is
//!   found within 5 s and a storm of random `kid`s costs one fetch per 5 s.
//! - Freshness is 10 min, or the server's `Cache-Control: max-age` clamped to [1 min, 24 h];
//!   at 80 % of it one background refresh starts while requests keep using the cached set.
//! - A failed refresh keeps the last-known-good keys for up to 1 h past freshness, then the
//!   issuer answers [`Error::KeysUnavailable`]; retries back off from 1 s to 30 s.
//! - Nothing happens at construction: startup never waits for an identity provider.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tambo_auth::Error> {
//! use std::sync::Arc;
//! use tambo_auth::clock::SystemClock;
//! use tambo_auth::keys::{RemoteKeySet, RemoteKeySetConfig};
//!
//! let keys = RemoteKeySet::discovery(
//!     "https://example.us.auth0.com/",
//!     RemoteKeySetConfig::default(),
//!     Arc::new(SystemClock),
//! )?;
//! keys.warm_up().await?; // optional: load now rather than on the first token
//! assert!(keys.status().ready);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use url::Url;

use super::discovery;
use super::fetch::{FetchPolicy, Fetcher};
use super::{JwkPolicy, KeySet, VerificationKey};
use crate::Error;
use crate::clock::SharedClock;
use crate::jwt::{Algorithm, Header, Jws};

/// Timing and limits of a remote key set. Every default is the one `docs/security.md` and
/// DESIGN.md name.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RemoteKeySetConfig {
    /// Freshness when the server sends no `Cache-Control: max-age` (default 10 min).
    pub freshness: Duration,
    /// Lower clamp for a server's `max-age` (default 1 min).
    pub min_freshness: Duration,
    /// Upper clamp for a server's `max-age` (default 24 h).
    pub max_freshness: Duration,
    /// Fraction of freshness after which one background refresh starts (default 0.8).
    pub refresh_ahead: f64,
    /// Least time between two refetches for the same unknown `kid` (default 30 s).
    pub unknown_kid_cooldown: Duration,
    /// Least time between any fetch and a refetch for an unknown `kid`, whatever the `kid`
    /// (default 5 s): the cap on what a storm of random `kid`s can cost.
    pub unknown_kid_interval: Duration,
    /// How long past freshness last-known-good keys serve while refreshes fail (default 1 h).
    pub stale_if_error: Duration,
    /// First retry delay after a failed fetch (default 1 s), doubling up to `retry_max`.
    pub retry_min: Duration,
    /// Longest retry delay (default 30 s).
    pub retry_max: Duration,
    /// How long a discovered `jwks_uri` is reused before discovery runs again (default 24 h).
    pub discovery_freshness: Duration,
    /// Keys read from one set at most (default 100); the rest are ignored.
    pub max_keys: usize,
    /// HTTP limits.
    pub fetch: FetchPolicy,
}

impl Default for RemoteKeySetConfig {
    fn default() -> Self {
        Self {
            freshness: Duration::from_secs(600),
            min_freshness: Duration::from_secs(60),
            max_freshness: Duration::from_secs(24 * 3600),
            refresh_ahead: 0.8,
            unknown_kid_cooldown: Duration::from_secs(30),
            unknown_kid_interval: Duration::from_secs(5),
            stale_if_error: Duration::from_secs(3600),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
            discovery_freshness: Duration::from_secs(24 * 3600),
            max_keys: 100,
            fetch: FetchPolicy::default(),
        }
    }
}

impl RemoteKeySetConfig {
    /// Permits plain http to loopback literals (tests, development, sidecars).
    #[must_use]
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.fetch.allow_loopback_http = allow;
        self
    }
}

/// Where the set's keys are, as far as readiness probes care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySetState {
    /// No keys were ever loaded.
    NotLoaded,
    /// Keys are fresh.
    Fresh,
    /// Keys are past freshness but within the last-known-good window.
    Stale,
    /// Keys are past the last-known-good window: the issuer is unavailable.
    Expired,
}

/// A readiness view of one issuer's key set.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeySetStatus {
    /// The issuer.
    pub issuer: String,
    /// Where the keys are.
    pub state: KeySetState,
    /// Whether tokens of this issuer can be verified now (fresh or stale keys).
    pub ready: bool,
    /// Usable keys in the current set.
    pub keys: usize,
    /// When keys were last loaded.
    pub last_success: Option<SystemTime>,
    /// The last fetch failure, if the last fetch failed.
    pub last_error: Option<String>,
    /// Fetches completed (discovery and JWKS together count as one), for metrics.
    pub fetches: u64,
    /// Fetches that failed, for metrics.
    pub fetch_failures: u64,
}

/// A JWKS fetched from an issuer, cached and refreshed. Cheap to clone (shared state).
#[derive(Clone)]
pub struct RemoteKeySet {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("issuer", &self.inner.issuer)
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Source {
    Jwks(Url),
    Discovery,
}

struct Inner {
    issuer: String,
    source: Source,
    config: RemoteKeySetConfig,
    fetcher: Fetcher,
    clock: SharedClock,
    snapshot: ArcSwapOption<Snapshot>,
    control: Mutex<Control>,
}

struct Snapshot {
    /// Increases with every successful fetch, so a caller can tell that the keys it looked
    /// at were replaced while it waited for the lock.
    generation: u64,
    keys: KeySet,
    fetched_at: SystemTime,
    refresh_at: SystemTime,
    fresh_until: SystemTime,
    usable_until: SystemTime,
}

type SharedFetch = Shared<BoxFuture<'static, Result<(), String>>>;

#[derive(Default)]
struct Control {
    fetches: u64,
    fetch_failures: u64,
    inflight: Option<SharedFetch>,
    last_fetch_started: Option<SystemTime>,
    next_attempt_at: Option<SystemTime>,
    failures: u32,
    last_error: Option<String>,
    last_success: Option<SystemTime>,
    jwks_uri: Option<(Url, SystemTime)>,
    /// The unknown `kid`s a refetch was made for, and when: each waits out its cooldown.
    /// At most one such refetch starts per `unknown_kid_interval`, so this stays small.
    refetched_for: HashMap<String, SystemTime>,
}

/// The most unknown `kid`s remembered at once; past it, unknown `kid`s wait for the next
/// scheduled refresh (reached only when `unknown_kid_interval` is configured near zero).
const MAX_REFETCHED_KIDS: usize = 64;

/// Why a fetch is being considered; each has its own gate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want<'k> {
    /// No usable keys: fetch unless backing off.
    Needed,
    /// A `kid` the set lacks: fetch unless this `kid` was refetched for within its
    /// cooldown or any fetch started within the interval.
    UnknownKid(&'k str),
    /// Refresh ahead of expiry: start without waiting, unless backing off.
    Background,
    /// An explicit `warm_up`: fetch now.
    Forced,
}

impl RemoteKeySet {
    /// A key set read from `jwks_url`, for tokens of `issuer` (providers without discovery:
    /// WorkOS, Better Auth, Neon Auth).
    pub fn jwks(
        issuer: impl Into<String>,
        jwks_url: &str,
        config: RemoteKeySetConfig,
        clock: SharedClock,
    ) -> Result<RemoteKeySet, Error> {
        let url =
            Url::parse(jwks_url).map_err(|_| Error::config("jwks_url", "not an absolute URL"))?;
        super::fetch::check_url(&url, config.fetch.allow_loopback_http)
            .map_err(|e| Error::config("jwks_url", e))?;
        Self::build(issuer.into(), Source::Jwks(url), config, clock)
    }

    /// A key set found through OpenID Connect Discovery from the configured `issuer`.
    pub fn discovery(
        issuer: impl Into<String>,
        config: RemoteKeySetConfig,
        clock: SharedClock,
    ) -> Result<RemoteKeySet, Error> {
        let issuer = issuer.into();
        let url = discovery::discovery_url(&issuer).map_err(|e| Error::config("issuer", e))?;
        let base = Url::parse(&issuer).map_err(|_| Error::config("issuer", "not a URL"))?;
        if base.query().is_some() || base.fragment().is_some() {
            return Err(Error::config(
                "issuer",
                "an issuer URL has no query or fragment (Discovery §3)",
            ));
        }
        super::fetch::check_url(&url, config.fetch.allow_loopback_http)
            .map_err(|e| Error::config("issuer", e))?;
        Self::build(issuer, Source::Discovery, config, clock)
    }

    fn build(
        issuer: String,
        source: Source,
        config: RemoteKeySetConfig,
        clock: SharedClock,
    ) -> Result<RemoteKeySet, Error> {
        if !(0.0..=1.0).contains(&config.refresh_ahead)
            || config.min_freshness > config.max_freshness
        {
            return Err(Error::config(
                "key_set",
                "refresh_ahead must be within 0..=1 and min_freshness <= max_freshness",
            ));
        }
        let fetcher = Fetcher::new(config.fetch.clone())?;
        Ok(RemoteKeySet {
            inner: Arc::new(Inner {
                issuer,
                source,
                config,
                fetcher,
                clock,
                snapshot: ArcSwapOption::empty(),
                control: Mutex::new(Control::default()),
            }),
        })
    }

    /// The issuer whose keys these are.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Loads the keys now (sharing any fetch in flight) and reports whether it worked.
    pub async fn warm_up(&self) -> Result<(), Error> {
        let now = self.inner.clock.now();
        if let Some(fetch) = self.inner.join_or_start(now, Want::Forced, u64::MAX) {
            fetch.await.map_err(|_| self.inner.unavailable(now))?;
        }
        Ok(())
    }

    /// The readiness view.
    pub fn status(&self) -> KeySetStatus {
        let now = self.inner.clock.now();
        let snapshot = self.inner.snapshot.load();
        let control = self.inner.control();
        let state = match snapshot.as_deref() {
            None => KeySetState::NotLoaded,
            Some(s) if now < s.fresh_until => KeySetState::Fresh,
            Some(s) if now < s.usable_until => KeySetState::Stale,
            Some(_) => KeySetState::Expired,
        };
        KeySetStatus {
            issuer: self.inner.issuer.clone(),
            state,
            ready: matches!(state, KeySetState::Fresh | KeySetState::Stale),
            keys: snapshot.as_deref().map_or(0, |s| s.keys.len()),
            last_success: control.last_success,
            last_error: control.last_error.clone(),
            fetches: control.fetches,
            fetch_failures: control.fetch_failures,
        }
    }

    /// Finds the key for a header, fetching or refetching as the policy allows.
    pub async fn key_for(
        &self,
        header: &Header,
        alg: Algorithm,
    ) -> Result<Arc<VerificationKey>, Error> {
        let inner = &self.inner;
        let mut fetched = false;
        loop {
            let now = inner.clock.now();
            let snapshot = inner.snapshot.load_full();
            let seen = snapshot.as_deref().map_or(0, |s| s.generation);
            if let Some(s) = snapshot.as_deref().filter(|s| now < s.usable_until) {
                if now >= s.refresh_at {
                    // Started on its own task; nobody waits for it.
                    drop(inner.join_or_start(now, Want::Background, seen));
                }
                match s.keys.select(header, alg) {
                    Err(Error::UnknownKey) if !fetched => {
                        // A key we could not look for (the refetch failed, or the last fetch
                        // did and none may start now) may be a rotated-in one: the token is
                        // not known bad, so its holder is told to retry, not to sign in again.
                        let kid = header.kid().unwrap_or_default();
                        match inner.join_or_start(now, Want::UnknownKid(kid), seen) {
                            Some(fetch) => {
                                if fetch.await.is_err() {
                                    // Not looked for: the kid may try again once fetches work.
                                    inner.control().refetched_for.remove(kid);
                                    return Err(inner.unavailable(inner.clock.now()));
                                }
                                fetched = true;
                                continue;
                            }
                            None if inner.last_fetch_failed() => {
                                return Err(inner.unavailable(now));
                            }
                            None => return Err(Error::UnknownKey),
                        }
                    }
                    other => return other,
                }
            }
            if fetched {
                return Err(inner.unavailable(now));
            }
            match inner.join_or_start(now, Want::Needed, seen) {
                Some(fetch) => {
                    if fetch.await.is_err() {
                        return Err(inner.unavailable(inner.clock.now()));
                    }
                    fetched = true;
                }
                None => return Err(inner.unavailable(now)),
            }
        }
    }

    /// Whether `key`, which verified a token earlier, is still one of the issuer's keys: the
    /// re-check of a cached token. Past their last-known-good window the keys are
    /// unavailable, as for a token seen for the first time; due for a refresh, one starts in
    /// the background (when a Tokio runtime is at hand).
    pub fn still_trusts(&self, key: &VerificationKey) -> Result<(), Error> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let snapshot = inner.snapshot.load();
        let Some(s) = snapshot.as_deref().filter(|s| now < s.usable_until) else {
            return Err(inner.unavailable(now));
        };
        if now >= s.refresh_at && tokio::runtime::Handle::try_current().is_ok() {
            drop(inner.join_or_start(now, Want::Background, s.generation));
        }
        if s.keys.contains(key) {
            Ok(())
        } else {
            Err(Error::UnknownKey)
        }
    }

    /// Verifies `jws`'s signature with `alg` against this issuer's keys; the key that did.
    pub async fn verify(
        &self,
        jws: &Jws<'_>,
        alg: Algorithm,
    ) -> Result<Arc<VerificationKey>, Error> {
        let key = self.key_for(jws.header(), alg).await?;
        key.verify_jws(alg, jws)?;
        Ok(key)
    }
}

impl Inner {
    fn control(&self) -> MutexGuard<'_, Control> {
        // The guarded data stays consistent even if a holder panicked: every update is a
        // plain field store.
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the fetch in flight, or starts one if `want` passes its gate. `seen` is the
    /// generation of the keys the caller looked at: when a fetch completed since, the caller
    /// is told to look again (an already finished fetch) instead of fetching twice.
    fn join_or_start(
        self: &Arc<Self>,
        now: SystemTime,
        want: Want<'_>,
        seen: u64,
    ) -> Option<SharedFetch> {
        let mut control = self.control();
        if let Some(fetch) = &control.inflight {
            return (want != Want::Background).then(|| fetch.clone());
        }
        let current = self.snapshot.load().as_deref().map_or(0, |s| s.generation);
        if want != Want::Forced && current != seen {
            return (want != Want::Background)
                .then(|| futures_util::future::ready(Ok(())).boxed().shared());
        }
        let backing_off = control.next_attempt_at.is_some_and(|at| now < at);
        let allowed = match want {
            Want::Forced => true,
            Want::Needed | Want::Background => !backing_off,
            Want::UnknownKid(kid) => {
                let cooldown = self.config.unknown_kid_cooldown;
                control
                    .refetched_for
                    .retain(|_, at| elapsed(*at, now) < cooldown);
                !backing_off
                    && control
                        .last_fetch_started
                        .is_none_or(|last| elapsed(last, now) >= self.config.unknown_kid_interval)
                    && !control.refetched_for.contains_key(kid)
                    && control.refetched_for.len() < MAX_REFETCHED_KIDS
            }
        };
        if !allowed {
            return None;
        }
        if let Want::UnknownKid(kid) = want {
            control.refetched_for.insert(kid.to_owned(), now);
        }
        control.last_fetch_started = Some(now);
        let this = Arc::clone(self);
        let task = tokio::spawn(async move { this.refresh().await });
        let fetch = async move {
            task.await
                .unwrap_or_else(|_| Err("the fetch task was cancelled".to_string()))
        }
        .boxed()
        .shared();
        control.inflight = Some(fetch.clone());
        Some(fetch)
    }

    /// One fetch: discovery when needed, then the JWKS; the outcome is recorded here.
    async fn refresh(self: Arc<Self>) -> Result<(), String> {
        let result = self.fetch_keys().await;
        let now = self.clock.now();
        let mut control = self.control();
        control.inflight = None;
        control.fetches += 1;
        match result {
            Ok((keys, max_age, skipped)) => {
                // The reasons quote the identity provider's text: escaped, so a newline in a
                // `kid` cannot forge a log line.
                for reason in &skipped {
                    tracing::warn!(issuer = %self.issuer, reason = %reason.escape_debug(), "skipped a key in the JWK Set");
                }
                let freshness = max_age
                    .unwrap_or(self.config.freshness)
                    .clamp(self.config.min_freshness, self.config.max_freshness);
                let fresh_until = now + freshness;
                let generation = self.snapshot.load().as_deref().map_or(0, |s| s.generation) + 1;
                self.snapshot.store(Some(Arc::new(Snapshot {
                    generation,
                    keys,
                    fetched_at: now,
                    refresh_at: now + freshness.mul_f64(self.config.refresh_ahead),
                    fresh_until,
                    usable_until: fresh_until + self.config.stale_if_error,
                })));
                tracing::debug!(issuer = %self.issuer, ?freshness, "loaded the JWK Set");
                control.failures = 0;
                control.next_attempt_at = None;
                control.last_error = None;
                control.last_success = Some(now);
                Ok(())
            }
            Err(reason) => {
                let delay = self.backoff(control.failures);
                let keeping = self.snapshot.load().as_deref().map_or(0, |s| s.keys.len());
                tracing::warn!(
                    issuer = %self.issuer,
                    reason = %reason.escape_debug(),
                    last_known_good_keys = keeping,
                    retry_in = ?delay,
                    "fetching the JWK Set failed"
                );
                control.failures = control.failures.saturating_add(1);
                control.fetch_failures += 1;
                control.next_attempt_at = Some(now + delay);
                control.last_error = Some(reason.clone());
                // A stale jwks_uri may be why; discover again next time.
                control.jwks_uri = None;
                Err(reason)
            }
        }
    }

    async fn fetch_keys(&self) -> Result<(KeySet, Option<Duration>, Vec<String>), String> {
        let url = match &self.source {
            Source::Jwks(url) => url.clone(),
            Source::Discovery => {
                let now = self.clock.now();
                let cached = self
                    .control()
                    .jwks_uri
                    .clone()
                    .filter(|(_, at)| elapsed(*at, now) < self.config.discovery_freshness);
                match cached {
                    Some((url, _)) => url,
                    None => {
                        let url = discovery::discover(&self.fetcher, &self.issuer).await?;
                        self.control().jwks_uri = Some((url.clone(), now));
                        url
                    }
                }
            }
        };
        let fetched = self
            .fetcher
            .get(&url)
            .await
            .map_err(|e| format!("JWKS: {e}"))?;
        let (keys, skipped) =
            KeySet::from_jwks(&fetched.body, JwkPolicy::PublicOnly, self.config.max_keys)
                .map_err(|e| format!("JWKS: {e}"))?;
        if keys.is_empty() {
            return Err("JWKS: the set holds no usable key".into());
        }
        Ok((keys, fetched.max_age, skipped))
    }

    /// The retry delay after `failures` earlier failures: doubling from `retry_min` to
    /// `retry_max`, shortened by up to 20 % of jitter so replicas do not retry in step.
    fn backoff(&self, failures: u32) -> Duration {
        let base = self
            .config
            .retry_min
            .saturating_mul(1u32 << failures.min(16))
            .min(self.config.retry_max);
        let jitter = f64::from(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
                % 1000,
        ) / 5000.0;
        base.mul_f64(1.0 - jitter)
    }

    /// Whether the last fetch failed (its keys may be stale: a new key may be missing).
    fn last_fetch_failed(&self) -> bool {
        self.control().next_attempt_at.is_some()
    }

    fn unavailable(&self, now: SystemTime) -> Error {
        let control = self.control();
        let retry_after = control
            .next_attempt_at
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(5))
            .max(Duration::from_secs(1));
        let reason = control
            .last_error
            .clone()
            .unwrap_or_else(|| "no keys loaded yet".into());
        let stale = self
            .snapshot
            .load()
            .as_deref()
            .map(|s| elapsed(s.fetched_at, now));
        let reason = match stale {
            Some(age) => format!("{reason} (last keys loaded {}s ago)", age.as_secs()),
            None => reason,
        };
        Error::KeysUnavailable {
            issuer: self.issuer.clone(),
            reason,
            retry_after,
        }
    }
}

fn elapsed(since: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(since).unwrap_or(Duration::ZERO)
}
