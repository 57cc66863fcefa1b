//! The verified-token cache: a repeated token costs a lookup and one comparison, not a
//! signature check.
//!
//! An entry holds the token it was verified from, and a hit requires the presented token to
//! equal it byte for byte: no token can borrow another's entry, whatever its bytes. The table
//! is keyed by the token's last 16 bytes (its signature, random for every signed token), so
//! finding the entry reads 16 bytes and the comparison is one `memcmp`; hashing the whole
//! token with SHA-256 cost a quarter of a hit. A crafted token that shares those 16 bytes
//! with a cached one fails the comparison and is verified like any other new token.
//!
//! The stored token is shared with the cached user (a Tambo token's claims are read back from
//! its payload when a handler asks for them), so an entry costs the token once. Like the
//! request headers it came in, the stored token is a credential: it never appears in `Debug`
//! output or logs.
//!
//! Bounded by capacity, entries live until the token's `exp`, and every hit is re-checked
//! against revocation and key removal by the verifier. Reads take a shard's lock shared, so
//! concurrent hits never wait on each other; only inserts and removals take it exclusively.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{RwLock, RwLockWriteGuard};

use crate::TamboUser;

const SHARDS: usize = 16;

/// The table key of a token: its last 16 bytes (fewer, zero-padded, for a shorter token;
/// 16 base64url characters carry 96 bits) mixed into 64 bits. Two tokens with one key are told
/// apart by the comparison; only verified tokens are ever inserted, so no one chooses the keys
/// of the table.
pub(crate) type TokenKey = u64;

pub(crate) fn key_of(token: &[u8]) -> TokenKey {
    let tail = &token[token.len().saturating_sub(16)..];
    let mut bytes = [0u8; 16];
    bytes[16 - tail.len()..].copy_from_slice(tail);
    let value = u128::from_le_bytes(bytes);
    mix((value as u64) ^ mix((value >> 64) as u64))
}

/// Hashes a [`TokenKey`], already well mixed, as itself.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for keys; fold anything else in all the same.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = mix(self.0 ^ u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// A 64-bit finalizer (MurmurHash3's `fmix64`): every input bit reaches every output bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

pub(crate) struct TokenCache {
    shards: Vec<RwLock<Shard>>,
    per_shard: usize,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sizes only: the entries hold tokens.
        f.debug_struct("TokenCache")
            .field("entries", &self.len())
            .field("capacity", &(self.per_shard * self.shards.len()))
            .finish()
    }
}

/// One shard: the entries, and their keys in insertion order for O(1) eviction (first in,
/// first out; keys already removed are skipped when they come up).
#[derive(Default)]
struct Shard {
    entries: HashMap<TokenKey, Entry, BuildHasherDefault<KeyHasher>>,
    order: VecDeque<TokenKey>,
}

/// A cached user; it carries the token it was verified from.
struct Entry(TamboUser);

impl Entry {
    fn token(&self) -> &[u8] {
        self.0.cached_token().unwrap_or_default().as_bytes()
    }

    fn expires_at(&self) -> i64 {
        self.0.expires_at().unwrap_or(i64::MIN)
    }
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

    fn lock(&self, key: &TokenKey) -> &RwLock<Shard> {
        // Middle bits pick the shard: the table inside it uses the low bits for the bucket
        // and the top seven for its tags.
        &self.shards[(key >> 40) as usize % self.shards.len()]
    }

    fn shard(&self, key: &TokenKey) -> RwLockWriteGuard<'_, Shard> {
        // Entries are plain values: a panic elsewhere cannot leave a shard inconsistent.
        self.lock(key).write().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached user for exactly `token` (whose key is `key`), unless expired at `now`
    /// (seconds).
    pub(crate) fn get(&self, key: &TokenKey, token: &[u8], now: i64) -> Option<TamboUser> {
        if !self.is_enabled() {
            return None;
        }
        let expired = {
            let shard = self.lock(key).read().unwrap_or_else(|e| e.into_inner());
            match shard.entries.get(key) {
                Some(entry) if entry.token() != token => return None,
                Some(entry) if now < entry.expires_at() => return Some(entry.0.clone()),
                Some(_) => true,
                None => false,
            }
        };
        if expired {
            let mut shard = self.shard(key);
            if shard
                .entries
                .get(key)
                .is_some_and(|e| now >= e.expires_at())
            {
                shard.entries.remove(key);
            }
        }
        None
    }

    /// Caches `user`, a copy made by [`TamboUser::compacted`] that carries its token, until
    /// the user's `expires_at` (seconds).
    pub(crate) fn insert(&self, user: TamboUser, now: i64) {
        let (Some(expires_at), Some(token)) = (user.expires_at(), user.cached_token()) else {
            return;
        };
        if !self.is_enabled() || expires_at <= now {
            return;
        }
        let key = key_of(token.as_bytes());
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
        shard.entries.insert(key, Entry(user));
    }

    /// Drops `key` (a re-check failed).
    pub(crate) fn remove(&self, key: &TokenKey) {
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
    use std::sync::Arc;

    fn user(sub: &str, exp: i64) -> TamboUser {
        let claims = serde_json::json!({"sub": sub, "exp": exp});
        TamboUser::from_claims(
            "t",
            "https://i.example",
            Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
        )
        .expect("user")
    }

    fn put(cache: &TokenCache, token: &str, sub: &str, exp: i64) {
        cache.insert(user(sub, exp).compacted(Arc::from(token)), 0);
    }

    fn get(cache: &TokenCache, token: &str, now: i64) -> Option<String> {
        cache
            .get(&key_of(token.as_bytes()), token.as_bytes(), now)
            .map(|u| u.sub().to_owned())
    }

    #[test]
    fn entries_expire_at_exp_and_capacity_is_never_exceeded() {
        for capacity in [1, 10, 32, 100] {
            let cache = TokenCache::new(capacity);
            for i in 0..1000 {
                put(
                    &cache,
                    &format!("header.payload.signature-{i:016}"),
                    "u",
                    100 + i,
                );
                assert!(cache.len() <= capacity, "grew past {capacity}");
            }
        }
        let cache = TokenCache::new(32);
        put(&cache, "h.p.fresh", "alice", 50);
        assert_eq!(get(&cache, "h.p.fresh", 49), Some("alice".into()));
        assert!(get(&cache, "h.p.fresh", 50).is_none());
        assert!(
            get(&cache, "h.p.fresh", 49).is_none(),
            "an expired entry is gone"
        );
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn concurrent_inserts_and_hits_stay_within_capacity_and_never_cross_users() {
        let cache = Arc::new(TokenCache::new(64));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        let token = format!("h.p.signature-of-{t}-{i:08}");
                        put(&cache, &token, &format!("user-{t}-{i}"), 100);
                        assert!(cache.len() <= 64, "grew past its capacity");
                        if let Some(sub) = get(&cache, &token, 1) {
                            assert_eq!(sub, format!("user-{t}-{i}"));
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no thread panicked");
        }
        assert!(cache.len() <= 64);
    }

    #[test]
    fn a_token_sharing_another_tokens_key_does_not_get_its_entry() {
        let cache = TokenCache::new(32);
        let genuine = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.SIGNATURE-0123456789abcdef";
        let forged = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZG1pbiJ9.SIGNATURE-0123456789abcdef";
        assert_eq!(key_of(genuine.as_bytes()), key_of(forged.as_bytes()));
        put(&cache, genuine, "alice", 100);
        assert_eq!(get(&cache, forged, 1), None);
        assert_eq!(
            get(&cache, &genuine[1..], 1),
            None,
            "a suffix is not the token"
        );
        assert_eq!(get(&cache, genuine, 1), Some("alice".into()));
    }

    #[test]
    fn a_full_cache_evicts_the_oldest_entry_first() {
        let cache = TokenCache::new(1);
        put(&cache, "first", "a", 100);
        put(&cache, "second", "b", 100);
        assert!(get(&cache, "first", 1).is_none());
        assert!(get(&cache, "second", 1).is_some());
        // A key removed early is skipped when its turn comes.
        cache.remove(&key_of(b"second"));
        put(&cache, "third", "c", 100);
        assert!(get(&cache, "third", 1).is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_disabled_cache_holds_nothing_and_debug_shows_no_token() {
        let cache = TokenCache::new(0);
        put(&cache, "t", "u", 100);
        assert_eq!(cache.len(), 0);
        let cache = TokenCache::new(8);
        put(&cache, "secret-token-bytes", "u", 100);
        let debug = format!("{cache:?}");
        assert!(!debug.contains("secret-token-bytes"), "{debug}");
        assert!(debug.contains("entries: 1"), "{debug}");
        let cached = cache
            .get(&key_of(b"secret-token-bytes"), b"secret-token-bytes", 1)
            .expect("hit");
        let debug = format!("{cached:?}");
        assert!(!debug.contains("secret-token-bytes"), "{debug}");
    }

    #[test]
    fn short_tokens_are_zero_padded_keys() {
        assert_eq!(key_of(b""), key_of(&[0; 16]));
        assert_ne!(key_of(b"a"), key_of(b"b"));
        assert_eq!(key_of(b"xx0123456789abcdef"), key_of(b"yy0123456789abcdef"));
    }
}
