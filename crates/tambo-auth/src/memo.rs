//! A bounded memo of values derived from short strings that recur on every token (issuers,
//! project ids, verified headers): the first few hundred keys are kept, later ones are derived
//! each time, so the memo never grows with traffic.
//!
//! Reads take no lock: the table is an immutable snapshot behind an [`ArcSwap`], and a new key
//! publishes a copy. A memo is written at most `capacity` times in a process's life and read
//! on every token, so copying on write is the cheap side.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

/// Keys are few (the memo is bounded) and short, and every lookup hashes one: foldhash, not
/// SipHash. A bounded table cannot be flooded, so SipHash's resistance buys nothing here.
type Table<V> = HashMap<Box<str>, V, foldhash::fast::RandomState>;

pub(crate) struct Memo<V> {
    values: ArcSwap<Table<V>>,
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
            values: ArcSwap::default(),
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
        self.values.load().get(key).cloned()
    }

    /// Keeps `value` for `key` while there is room.
    pub(crate) fn insert(&self, key: &str, value: V) {
        let room = |values: &Table<V>| values.len() < self.capacity && !values.contains_key(key);
        // A full memo, or a key already kept, copies nothing.
        if !room(&self.values.load()) {
            return;
        }
        self.values.rcu(|values| {
            let mut next = Table::clone(values);
            if room(&next) {
                next.insert(key.into(), value.clone());
            }
            next
        });
    }
}

impl<V> Memo<V> {
    /// Keys kept.
    pub(crate) fn len(&self) -> usize {
        self.values.load().len()
    }
}

impl Memo<Arc<str>> {
    /// `name` as one shared allocation: the one this thread handed out recently, else the
    /// memo's. A token names a few strings (its issuer, its project, its provider) that
    /// recur from token to token, and comparing them with a handful kept per thread costs
    /// less than the memo's snapshot load and hash. A name handed out by another memo of
    /// the same text is as good: only the text matters.
    pub(crate) fn shared(&self, name: &str) -> Arc<str> {
        const RECENT: usize = 4;
        thread_local! {
            static RECENT_NAMES: RefCell<([Option<Arc<str>>; RECENT], usize)> =
                const { RefCell::new(([const { None }; RECENT], 0)) };
        }
        RECENT_NAMES.with_borrow_mut(|(names, next)| {
            if let Some(found) = names.iter().flatten().find(|kept| ***kept == *name) {
                return Arc::clone(found);
            }
            let shared = self.get_or_insert_with(name, || Arc::from(name));
            names[*next] = Some(Arc::clone(&shared));
            *next = (*next + 1) % RECENT;
            shared
        })
    }
}
