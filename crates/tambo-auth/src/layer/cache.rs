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
//! No lock: the table is a fixed array of `capacity` slots, each an atomically swapped
//! pointer to a cached user ([`arc_swap`]) beside the key of its token. A key may live in
//! either of two buckets of sixteen slots; a lookup reads their keys and loads the one slot
//! whose key matches, so a hit never waits, not even on an insert into the same bucket. An
//! insert takes a free or expired slot of the emptier bucket, else evicts the oldest entry of the
//! two buckets (about 98% of the slots fill before the first eviction).
//! The table never holds more than `capacity` entries, since it has no more slots; entries live
//! until the token's `exp`, and every hit is re-checked against revocation and key removal by
//! the verifier.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arc_swap::ArcSwapOption;

use crate::TamboUser;
use crate::user::UserData;

/// Slots per bucket: a bucket's keys fill two cache lines.
const WAYS: usize = 16;

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

/// A 64-bit finalizer (MurmurHash3's `fmix64`): every input bit reaches every output bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

pub(crate) struct TokenCache {
    /// The key of each slot's token. Written before and after the slot's user, and read only
    /// to choose which slot to load: a stale key costs a load, never a wrong answer, since
    /// the loaded user's own token is compared.
    keys: Box<[AtomicU64]>,
    users: Box<[ArcSwapOption<UserData>]>,
    /// When each slot was filled, in inserts: the smallest is evicted first.
    filled: Box<[AtomicU64]>,
    ways: usize,
    buckets: usize,
    inserts: AtomicU64,
    len: AtomicUsize,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sizes only: the entries hold tokens.
        f.debug_struct("TokenCache")
            .field("entries", &self.len())
            .field("capacity", &self.users.len())
            .finish()
    }
}

impl TokenCache {
    /// A cache of at most `capacity` tokens (0 disables it). The slots are allocated here,
    /// 24 bytes each, and never grow.
    pub(crate) fn new(capacity: usize) -> Self {
        let ways = WAYS.min(capacity).max(1);
        let buckets = capacity / ways;
        let slots = buckets * ways;
        Self {
            keys: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            users: (0..slots).map(|_| ArcSwapOption::empty()).collect(),
            filled: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            ways,
            buckets,
            inserts: AtomicU64::new(0),
            len: AtomicUsize::new(0),
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.buckets > 0
    }

    /// The slots `key` may live in: its two buckets (one when there is one bucket).
    fn slots(&self, key: TokenKey) -> impl Iterator<Item = usize> + use<> {
        let bucket = |hash: u64| ((u128::from(hash) * self.buckets as u128) >> 64) as usize;
        let first = bucket(key);
        let mut second = bucket(mix(key ^ 0x9e37_79b9_7f4a_7c15));
        if second == first {
            second = (first + 1) % self.buckets;
        }
        let ways = self.ways;
        let buckets = if self.buckets > 1 { 2 } else { 1 };
        [first, second]
            .into_iter()
            .take(buckets)
            .flat_map(move |b| b * ways..(b + 1) * ways)
    }

    /// The cached user for exactly `token` (whose key is `key`), unless expired at `now`
    /// (seconds).
    pub(crate) fn get(&self, key: &TokenKey, token: &[u8], now: i64) -> Option<TamboUser> {
        if !self.is_enabled() {
            return None;
        }
        for slot in self.slots(*key) {
            if self.keys[slot].load(Ordering::Relaxed) != *key {
                continue;
            }
            let user = self.users[slot].load();
            match &*user {
                Some(data) if data.token_bytes() == token => {
                    if now < data.expiry() {
                        return Some(TamboUser::from_shared(Arc::clone(data)));
                    }
                    // Expired: free the slot, unless another thread refilled it meanwhile.
                    self.replace(slot, &user, None);
                    return None;
                }
                _ => {}
            }
        }
        None
    }

    /// Swaps the user in `slot` for `next` if it is still `current`, keeping the count.
    fn replace(
        &self,
        slot: usize,
        current: &Option<Arc<UserData>>,
        next: Option<Arc<UserData>>,
    ) -> bool {
        let filling = next.is_some();
        let previous = self.users[slot].compare_and_swap(current, next);
        let swapped = match (&*previous, current) {
            (Some(p), Some(c)) => Arc::ptr_eq(p, c),
            (None, None) => true,
            _ => false,
        };
        if swapped {
            match (current.is_some(), filling) {
                (false, true) => {
                    self.len.fetch_add(1, Ordering::Relaxed);
                }
                (true, false) => {
                    self.len.fetch_sub(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        swapped
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
        let data = user.into_shared();
        // Rarely more than one round: only when another insert takes the chosen slot first.
        for _ in 0..4 {
            let slot = self.victim(key, data.token_bytes(), now);
            let current = self.users[slot].load_full();
            self.keys[slot].store(key, Ordering::Relaxed);
            if self.replace(slot, &current, Some(Arc::clone(&data))) {
                // After the swap as well: a concurrent insert may have written its key between.
                self.keys[slot].store(key, Ordering::Relaxed);
                let order = self.inserts.fetch_add(1, Ordering::Relaxed) + 1;
                self.filled[slot].store(order, Ordering::Relaxed);
                return;
            }
        }
    }

    /// The slot for a new entry: the one already holding this token, else a free (or
    /// expired) slot of the bucket with more of them, else the oldest entry of the two.
    fn victim(&self, key: TokenKey, token: &[u8], now: i64) -> usize {
        let mut oldest = (u64::MAX, 0);
        // Per bucket: how many slots are free, and the first of them.
        let mut free = [(0, 0); 2];
        for (n, slot) in self.slots(key).enumerate() {
            let bucket = &mut free[n / self.ways];
            match &*self.users[slot].load() {
                Some(data) if data.token_bytes() == token => return slot,
                Some(data) if data.expiry() > now => {
                    let filled = self.filled[slot].load(Ordering::Relaxed);
                    if filled < oldest.0 {
                        oldest = (filled, slot);
                    }
                }
                _ => {
                    if bucket.0 == 0 {
                        bucket.1 = slot;
                    }
                    bucket.0 += 1;
                }
            }
        }
        // Two choices, the emptier taken: buckets fill evenly, so the table holds nearly its
        // capacity before anything is evicted.
        match free {
            [(0, _), (0, _)] => oldest.1,
            [(a, first), (b, _)] if a >= b => first,
            [_, (_, second)] => second,
        }
    }

    /// Drops the entry of `token` (a re-check failed).
    pub(crate) fn remove(&self, key: &TokenKey, token: &[u8]) {
        if !self.is_enabled() {
            return;
        }
        for slot in self.slots(*key) {
            let user = self.users[slot].load_full();
            if user
                .as_ref()
                .is_some_and(|data| data.token_bytes() == token)
            {
                self.replace(slot, &user, None);
            }
        }
    }

    /// Entries held now.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
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
        cache.remove(&key_of(b"second"), b"second");
        put(&cache, "third", "c", 100);
        assert!(get(&cache, "third", 1).is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_cache_filled_with_distinct_tokens_holds_nearly_all_of_them() {
        for capacity in [64, 1_000, 10_000] {
            let cache = TokenCache::new(capacity);
            for i in 0..capacity {
                put(&cache, &format!("h.p.sig-{i:012}-{}", i * 7919), "u", 100);
            }
            let held = cache.len();
            assert!(held <= capacity);
            assert!(held * 100 >= capacity * 97, "{held} of {capacity}");
        }
    }

    #[test]
    fn an_expired_entry_makes_room_before_a_live_one_is_evicted() {
        let cache = TokenCache::new(2);
        // The live entry is the older one: plain oldest-first would evict it.
        put(&cache, "h.p.long", "b", 100);
        put(&cache, "h.p.short", "a", 10);
        cache.insert(user("c", 100).compacted(Arc::from("h.p.new")), 50);
        assert_eq!(get(&cache, "h.p.long", 50), Some("b".into()));
        assert_eq!(get(&cache, "h.p.new", 50), Some("c".into()));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn the_same_token_takes_one_slot_and_removal_needs_the_token() {
        let cache = TokenCache::new(16);
        put(&cache, "h.p.same", "first", 100);
        put(&cache, "h.p.same", "again", 100);
        assert_eq!(cache.len(), 1);
        assert_eq!(get(&cache, "h.p.same", 1), Some("again".into()));
        cache.remove(&key_of(b"h.p.same"), b"h.p.other");
        assert_eq!(cache.len(), 1, "another token's removal leaves it");
        cache.remove(&key_of(b"h.p.same"), b"h.p.same");
        assert_eq!(cache.len(), 0);
        assert!(get(&cache, "h.p.same", 1).is_none());
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
