//! What this process has already read from the store or the keyring and may keep: wallet
//! key pairs, asset ids, transfer parties. Each use says why its values cannot go stale, or
//! how the store catches it when they do.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// A map shared by every clone of the API.
#[derive(Debug)]
pub(crate) struct ProcessCache<K, V>(Arc<Mutex<HashMap<K, V>>>);

// Derived `Clone` and `Default` would require `K` and `V` to be `Clone` and `Default`.
impl<K, V> Clone for ProcessCache<K, V> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<K, V> Default for ProcessCache<K, V> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(HashMap::new())))
    }
}

impl<K: Eq + Hash, V: Clone> ProcessCache<K, V> {
    // Every update is one insert or remove, so the map stays consistent even if a holder
    // panicked.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).cloned()
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(key, value);
    }

    pub(crate) fn remove(&self, key: &K) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(key);
    }
}
