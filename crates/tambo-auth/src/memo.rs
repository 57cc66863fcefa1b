//! A bounded memo of values derived from short strings that recur on every token (issuers,
//! project ids): the first few hundred keys are kept, later ones are derived each time, so
//! the memo never grows with traffic.

use std::collections::HashMap;
use std::sync::RwLock;

/// Keys are few (the memo is bounded) and short, and every lookup hashes one: foldhash, not
/// SipHash. A bounded table cannot be flooded, so SipHash's resistance buys nothing here.
type Table<V> = HashMap<Box<str>, V, foldhash::fast::RandomState>;

pub(crate) struct Memo<V> {
    values: RwLock<Table<V>>,
    capacity: usize,
}

impl<V> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl<V: Clone> Memo<V> {
    /// A memo keeping at most `capacity` keys.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            values: RwLock::default(),
            capacity,
        }
    }

    /// The value kept for `key`, or `make()`, kept while there is room.
    pub(crate) fn get_or_insert_with(&self, key: &str, make: impl FnOnce() -> V) -> V {
        if let Some(found) = self.get(key) {
            return found;
        }
        let value = make();
        self.insert(key, value.clone());
        value
    }

    /// The value kept for `key`.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        // Values are plain data: a panic elsewhere cannot leave the map inconsistent.
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        values.get(key).cloned()
    }

    /// Keeps `value` for `key` while there is room.
    pub(crate) fn insert(&self, key: &str, value: V) {
        let room = |values: &Table<V>| values.len() < self.capacity && !values.contains_key(key);
        // Shared first: a full memo, or a key already kept, never takes the lock exclusively.
        if !room(&self.values.read().unwrap_or_else(|e| e.into_inner())) {
            return;
        }
        let mut values = self.values.write().unwrap_or_else(|e| e.into_inner());
        if room(&values) {
            values.insert(key.into(), value);
        }
    }
}

impl<V> Memo<V> {
    /// Keys kept.
    pub(crate) fn len(&self) -> usize {
        self.values.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}
