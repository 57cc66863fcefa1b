//! The verified-token cache: a repeated token costs a digest and a lookup, not a signature
//! check.
//!
//! Keyed by the first 128 bits of the SHA-256 of the token: no token can be made to hit
//! another's entry (that is a second preimage, 2^128 work; a birthday search needs the
//! issuer to sign 2^64 tokens of the attacker's choosing). Bounded by capacity, entries live
//! until the token's `exp`, and every hit is re-checked against revocation and key removal by
//! the verifier. Reads take a shard's lock shared, so concurrent hits never wait on each
//! other; only inserts and removals take it exclusively.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{RwLock, RwLockWriteGuard};

use sha2::Digest as _;

use crate::TamboUser;

const SHARDS: usize = 16;

/// The first 128 bits of the token's SHA-256.
pub(crate) type TokenDigest = u128;

pub(crate) fn digest(token: &[u8]) -> TokenDigest {
    let full: [u8; 32] = sha2::Sha256::digest(token).into();
    let mut first = [0u8; 16];
    first.copy_from_slice(&full[..16]);
    u128::from_le_bytes(first)
}

/// Hashes a [`TokenDigest`] by taking its low 64 bits: it is already uniformly distributed,
/// and only verified tokens are ever inserted, so no one can choose the keys of the table.
#[derive(Debug, Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used for digests; fold anything else in all the same.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    shards: Vec<RwLock<Shard>>,
    per_shard: usize,
}

/// One shard: the entries, and their keys in insertion order for O(1) eviction (first in,
/// first out; keys already removed are skipped when they come up).
#[derive(Debug, Default)]
struct Shard {
    entries: HashMap<TokenDigest, Entry, BuildHasherDefault<DigestHasher>>,
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
            shards: (0..shards).map(|_| RwLock::new(Shard::default())).collect(),
            per_shard: capacity / shards,
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.per_shard > 0
    }

    fn lock(&self, key: &TokenDigest) -> &RwLock<Shard> {
        // The top bits pick the shard, the low bits the bucket inside it.
        &self.shards[(key >> 120) as usize % self.shards.len()]
    }

    fn shard(&self, key: &TokenDigest) -> RwLockWriteGuard<'_, Shard> {
        // Entries are plain values: a panic elsewhere cannot leave a shard inconsistent.
        self.lock(key).write().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached user for `key`, unless expired at `now` (seconds).
    pub(crate) fn get(&self, key: &TokenDigest, now: i64) -> Option<TamboUser> {
        if !self.is_enabled() {
            return None;
        }
        let expired = {
            let shard = self.lock(key).read().unwrap_or_else(|e| e.into_inner());
            match shard.entries.get(key) {
                Some(entry) if now < entry.expires_at => return Some(entry.user.clone()),
                Some(_) => true,
                None => false,
            }
        };
        if expired {
            let mut shard = self.shard(key);
            if shard.entries.get(key).is_some_and(|e| now >= e.expires_at) {
                shard.entries.remove(key);
            }
        }
        None
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
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).entries.len())
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
                cache.insert(digest(format!("t{i}").as_bytes()), user("u"), 100 + i, 0);
                assert!(cache.len() <= capacity, "grew past {capacity}");
            }
        }
        let cache = TokenCache::new(32);
        let key = digest(b"fresh");
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
        cache.insert(digest(b"first"), user("a"), 100, 0);
        cache.insert(digest(b"second"), user("b"), 100, 0);
        assert!(cache.get(&digest(b"first"), 1).is_none());
        assert!(cache.get(&digest(b"second"), 1).is_some());
        // A key removed early is skipped when its turn comes.
        cache.remove(&digest(b"second"));
        cache.insert(digest(b"third"), user("c"), 100, 0);
        assert!(cache.get(&digest(b"third"), 1).is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_disabled_cache_holds_nothing() {
        let cache = TokenCache::new(0);
        cache.insert(digest(b"t"), user("u"), 100, 0);
        assert_eq!(cache.len(), 0);
    }
}
