//! The verified-token cache: a repeated token costs a lookup, not a signature check.
//!
//! A [`quick_cache`] keyed by the token itself: a hit requires the presented token to equal a
//! verified one byte for byte, so no token can borrow another's entry. The table hashes only a
//! token's last 16 bytes (its signature's, random for every signed token): hashing all 500 of
//! them was a fifth of a hit, and since only verified tokens are inserted, nobody chooses the
//! hashes of the table's entries; a presented token that shares its tail with one is compared
//! and verified like any other. The entry is the user
//! the token was verified into, in the copy that reads its claims back from its token
//! ([`TamboUser::for_cache`]): the token is held once, as the key and by the user. Like the
//! request headers it came in, it is a credential: it never appears in `Debug` output or logs.
//!
//! Entries live until the token's `exp` (an expired one is dropped when it is next looked
//! up), the cache holds about its capacity at most (quick_cache evicts by its S3-FIFO
//! policy), and every hit is re-checked by the layer's verifier against revocation and key
//! removal before it is used.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::Equivalent;
use quick_cache::sync::Cache;

use crate::TamboUser;
use crate::user::Origin;

pub(crate) struct TokenCache {
    /// `None` when the capacity is 0.
    entries: Option<Cache<Cached, TamboUser>>,
}

/// A verified token as the table keeps it.
#[derive(Clone, PartialEq, Eq)]
struct Cached(Arc<str>);

/// A token as a request presents it, looked up without a copy.
struct Presented<'a>(&'a [u8]);

/// The part of a token the table hashes.
fn tail(token: &[u8]) -> &[u8] {
    &token[token.len().saturating_sub(16)..]
}

impl Hash for Cached {
    fn hash<H: Hasher>(&self, state: &mut H) {
        tail(self.0.as_bytes()).hash(state);
    }
}

impl Hash for Presented<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        tail(self.0).hash(state);
    }
}

impl Equivalent<Cached> for Presented<'_> {
    fn equivalent(&self, key: &Cached) -> bool {
        self.0 == key.0.as_bytes()
    }
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sizes only: the keys are tokens.
        f.debug_struct("TokenCache")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache of about `capacity` tokens (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        TokenCache {
            entries: (capacity > 0).then(|| Cache::new(capacity)),
        }
    }

    /// The cached user for exactly `token`, unless it expired at `now` (seconds).
    pub(crate) fn get(&self, token: &[u8], now: i64) -> Option<TamboUser> {
        let entries = self.entries.as_ref()?;
        let user = entries.get(&Presented(token))?;
        if user.expires_at().is_some_and(|exp| now < exp) {
            return Some(user);
        }
        entries.remove(&Presented(token));
        None
    }

    /// Caches `user`, verified from `token`, until its `exp`. A user without `exp` is not
    /// cached, nor one an identity provider answered for (an opaque token: its strategy's
    /// own short cache decides how long an answer holds).
    pub(crate) fn insert(&self, token: &str, user: &TamboUser, now: i64) {
        let (Some(entries), Some(exp)) = (&self.entries, user.expires_at()) else {
            return;
        };
        if let Some(Origin::Provider { verifier, .. }) = user.origin()
            && verifier.strategy().asks_provider()
        {
            return;
        }
        if exp > now {
            let token: Arc<str> = Arc::from(token);
            entries.insert(Cached(Arc::clone(&token)), user.for_cache(token));
        }
    }

    /// Drops the entry of `token` (a re-check failed).
    pub(crate) fn remove(&self, token: &[u8]) {
        if let Some(entries) = &self.entries {
            entries.remove(&Presented(token));
        }
    }

    /// Entries held now.
    pub(crate) fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::Claims;
    use crate::verify::{Profile, Verifier};

    fn user(sub: &str, exp: i64) -> TamboUser {
        let claims = serde_json::json!({"sub": sub, "exp": exp});
        let verifier = Verifier::builder("https://i.example")
            .insecure_no_verification()
            .profile(Profile::Development)
            .build()
            .expect("verifier");
        TamboUser::from_claims("t", "https://i.example", Claims::from_value(claims))
            .expect("user")
            .verified_by(Origin::Provider {
                verifier,
                key: None,
            })
    }

    fn put(cache: &TokenCache, token: &str, sub: &str, exp: i64, now: i64) {
        cache.insert(token, &user(sub, exp), now);
    }

    fn sub(cache: &TokenCache, token: &str, now: i64) -> Option<String> {
        cache.get(token.as_bytes(), now).map(|u| u.sub().to_owned())
    }

    #[test]
    fn only_the_same_token_hits_and_entries_end_at_exp() {
        let cache = TokenCache::new(32);
        let genuine = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.SIGNATURE-0123456789abcdef";
        put(&cache, genuine, "alice", 50, 0);
        for other in [
            "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZG1pbiJ9.SIGNATURE-0123456789abcdef",
            &genuine[1..],
            &genuine[..genuine.len() - 1],
        ] {
            assert_eq!(sub(&cache, other, 1), None, "{other}");
        }
        assert_eq!(sub(&cache, genuine, 49), Some("alice".into()));
        assert_eq!(sub(&cache, genuine, 50), None, "expired at exp");
        assert_eq!(cache.len(), 0, "and dropped");
        put(&cache, genuine, "alice", 50, 50);
        assert_eq!(cache.len(), 0, "an expired user is not cached");
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_a_removal_needs_the_token() {
        let cache = TokenCache::new(100);
        for i in 0..1_000 {
            put(&cache, &format!("h.p.signature-{i:08}"), "u", 100, 0);
            assert!(cache.len() <= 100, "grew past its capacity");
        }
        let kept = (0..1_000)
            .filter(|i| sub(&cache, &format!("h.p.signature-{i:08}"), 1).is_some())
            .count();
        assert!(kept >= 50, "holds most of its capacity: {kept}");
        put(&cache, "h.p.same", "u", 100, 0);
        cache.remove(b"h.p.other");
        assert!(sub(&cache, "h.p.same", 1).is_some());
        cache.remove(b"h.p.same");
        assert!(sub(&cache, "h.p.same", 1).is_none());
    }

    #[test]
    fn concurrent_inserts_and_hits_never_cross_users() {
        let cache = Arc::new(TokenCache::new(64));
        let hits = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4 {
                let (cache, hits) = (&cache, &hits);
                s.spawn(move || {
                    for i in 0..2_000 {
                        let token = format!("h.p.signature-of-{t}-{i:08}");
                        put(cache, &token, &format!("user-{t}-{i}"), 100, 0);
                        if let Some(sub) = sub(cache, &token, 1) {
                            assert_eq!(sub, format!("user-{t}-{i}"));
                            hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert!(cache.len() <= 64);
        // Each token is looked up right after its insert: nearly every lookup hits.
        let hits = hits.into_inner();
        assert!(hits > 4 * 2_000 / 2, "only {hits} hits of 8 000 lookups");
    }

    #[test]
    fn a_disabled_cache_holds_nothing_and_debug_shows_no_token() {
        let cache = TokenCache::new(0);
        put(&cache, "t.t.t", "u", 100, 0);
        assert_eq!(cache.len(), 0);
        assert!(cache.get(b"t.t.t", 1).is_none());
        let cache = TokenCache::new(8);
        put(&cache, "secret-token-bytes", "u", 100, 0);
        let debug = format!("{cache:?}");
        assert!(!debug.contains("secret-token-bytes"), "{debug}");
        let cached = cache.get(b"secret-token-bytes", 1).expect("hit");
        assert!(!format!("{cached:?}").contains("secret-token-bytes"));
    }
}
