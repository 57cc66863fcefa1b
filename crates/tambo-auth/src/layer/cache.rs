//! The verified-token cache: a repeated token costs a digest and a lookup, not a signature
//! check.
//!
//! Keyed by the SHA-256 of the token (collision-resistant: no token can be made to hit
//! another's entry), bounded by capacity, entries live until the token's `exp`, and every hit
//! is re-checked against revocation and key removal by the verifier.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sha2::Digest as _;

use crate::TamboUser;

const SHARDS: usize = 16;

pub(crate) type TokenDigest = [u8; 32];

pub(crate) fn digest(token: &str) -> TokenDigest {
    sha2::Sha256::digest(token.as_bytes()).into()
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

/// One shard: the entries, and their keys in insertion order for O(1) eviction (first in,
/// first out; keys already removed are skipped when they come up).
#[derive(Debug, Default)]
struct Shard {
    entries: HashMap<TokenDigest, Entry>,
    order: VecDeque<TokenDigest>,
}

#[derive(Debug)]
struct Entry {
    user: TamboUser,
    expires_at: i64,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        // Never more than `capacity` in total: fewer shards for tiny capacities.
        let shards = SHARDS.min(capacity).max(1);
        Self {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity / shards,
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.per_shard > 0
    }

    fn shard(&self, key: &TokenDigest) -> std::sync::MutexGuard<'_, Shard> {
        // Entries are plain values: a panic elsewhere cannot leave a shard inconsistent.
        self.shards[usize::from(key[0]) % self.shards.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The cached user for `key`, unless expired at `now` (seconds).
    pub(crate) fn get(&self, key: &TokenDigest, now: i64) -> Option<TamboUser> {
        if !self.is_enabled() {
            return None;
        }
        let mut shard = self.shard(key);
        match shard.entries.get(key) {
            Some(entry) if now < entry.expires_at => Some(entry.user.clone()),
            Some(_) => {
                shard.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Caches `user` for `key` until `expires_at` (seconds).
    pub(crate) fn insert(&self, key: TokenDigest, user: TamboUser, expires_at: i64, now: i64) {
        if !self.is_enabled() || expires_at <= now {
            return;
        }
        let mut shard = self.shard(&key);
        let shard = &mut *shard;
        if !shard.entries.contains_key(&key) {
            // Full: evict the oldest entry still present. Each key is popped once, so this
            // is O(1) amortized, never a scan of the shard.
            while shard.entries.len() >= self.per_shard {
                match shard.order.pop_front() {
                    Some(old) => {
                        shard.entries.remove(&old);
                    }
                    None => break,
                }
            }
            shard.order.push_back(key);
            // Keys of entries removed early (expiry, revocation) linger in `order`; compact
            // when they outnumber the live ones, keeping memory bounded.
            if shard.order.len() > 2 * self.per_shard.max(1) {
                let entries = &shard.entries;
                shard.order.retain(|k| entries.contains_key(k));
            }
        }
        shard.entries.insert(key, Entry { user, expires_at });
    }

    /// Drops `key` (a re-check failed).
    pub(crate) fn remove(&self, key: &TokenDigest) {
        if self.is_enabled() {
            self.shard(key).entries.remove(key);
        }
    }

    /// Entries held now.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).entries.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::Claims;

    fn user(sub: &str) -> TamboUser {
        let claims = serde_json::json!({"sub": sub});
        TamboUser::from_claims(
            "t",
            "https://i.example",
            Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
        )
        .expect("user")
    }

    #[test]
    fn entries_expire_at_exp_and_capacity_is_never_exceeded() {
        for capacity in [1, 10, 32, 100] {
            let cache = TokenCache::new(capacity);
            for i in 0..1000 {
                cache.insert(digest(&format!("t{i}")), user("u"), 100 + i, 0);
                assert!(cache.len() <= capacity, "grew past {capacity}");
            }
        }
        let cache = TokenCache::new(32);
        let key = digest("fresh");
        cache.insert(key, user("alice"), 50, 0);
        assert_eq!(
            cache.get(&key, 49).map(|u| u.sub().to_owned()),
            Some("alice".into())
        );
        assert!(cache.get(&key, 50).is_none());
        assert!(cache.get(&key, 49).is_none(), "an expired entry is gone");
    }

    #[test]
    fn a_full_cache_evicts_the_oldest_entry_first() {
        let cache = TokenCache::new(1);
        cache.insert(digest("first"), user("a"), 100, 0);
        cache.insert(digest("second"), user("b"), 100, 0);
        assert!(cache.get(&digest("first"), 1).is_none());
        assert!(cache.get(&digest("second"), 1).is_some());
        // A key removed early is skipped when its turn comes.
        cache.remove(&digest("second"));
        cache.insert(digest("third"), user("c"), 100, 0);
        assert!(cache.get(&digest("third"), 1).is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_disabled_cache_holds_nothing() {
        let cache = TokenCache::new(0);
        cache.insert(digest("t"), user("u"), 100, 0);
        assert_eq!(cache.len(), 0);
    }
}
