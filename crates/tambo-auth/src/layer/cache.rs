//! The verified-token cache: a repeated token costs a lookup, not a signature check.
//!
//! A [`quick_cache`] keyed by the token itself: a hit requires the presented token to equal a
//! verified one byte for byte, so no token can borrow another's entry. The entry is the user
//! the token was verified into, in the copy that reads its claims back from its token
//! ([`TamboUser::for_cache`]): the token is held once, as the key and by the user. Like the
//! request headers it came in, it is a credential: it never appears in `Debug` output or logs.
//!
//! Entries live until the token's `exp` (an expired one is dropped when it is next looked
//! up), the cache holds about its capacity at most (quick_cache evicts by its S3-FIFO
//! policy), and every hit is re-checked by the layer's verifier against revocation and key
//! removal before it is used.

use std::sync::Arc;

use quick_cache::sync::Cache;

use crate::TamboUser;

pub(crate) struct TokenCache {
    /// `None` when the capacity is 0.
    entries: Option<Cache<Arc<str>, TamboUser>>,
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
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<TamboUser> {
        let entries = self.entries.as_ref()?;
        let user = entries.get(token)?;
        if user.expires_at().is_some_and(|exp| now < exp) {
            return Some(user);
        }
        entries.remove(token);
        None
    }

    /// Caches `user` (verified from the token it carries) until its `exp`; users without a
    /// token or an `exp` are not cached.
    pub(crate) fn insert(&self, user: &TamboUser, now: i64) {
        let (Some(entries), Some(token), Some(exp)) =
            (&self.entries, user.token(), user.expires_at())
        else {
            return;
        };
        if exp > now {
            entries.insert(Arc::clone(token), user.for_cache());
        }
    }

    /// Drops the entry of `token` (a re-check failed).
    pub(crate) fn remove(&self, token: &str) {
        if let Some(entries) = &self.entries {
            entries.remove(token);
        }
    }

    /// Entries held now.
    pub(crate) fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }
}
