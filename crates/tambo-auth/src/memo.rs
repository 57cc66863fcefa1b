//! A bounded memo of values derived from short strings that recur on every token (issuers,
//! project ids): the first few hundred keys are kept, later ones are derived each time, so
//! the memo never grows with traffic.

use std::collections::HashMap;
use std::sync::RwLock;

pub(crate) struct Memo<V> {
    values: RwLock<HashMap<Box<str>, V>>,
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
        // Values are plain data: a panic elsewhere cannot leave the map inconsistent.
        if let Some(found) = self
            .values
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return found.clone();
        }
        let value = make();
        let mut values = self.values.write().unwrap_or_else(|e| e.into_inner());
        if values.len() < self.capacity {
            values.insert(key.into(), value.clone());
        }
        value
    }
}

impl<V> Memo<V> {
    /// Keys kept.
    pub(crate) fn len(&self) -> usize {
        self.values.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}
