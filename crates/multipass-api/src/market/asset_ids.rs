//! Which asset id each symbol names, as this process last looked it up.
//!
//! Placing an order needs the asset's id, and looking it up cost every placement a
//! statement of its own. A symbol keeps its id for good (assets are never deleted, and no
//! use case renames one), so ids are kept after the first look-up. The store still checks,
//! under the asset's lock, that the id carries the symbol the order named; when it does not
//! (a rename made outside the app), the entry is dropped and the symbol looked up again.

use multipass_domain::market::{AssetId, Symbol};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Shared by clones of the API.
#[derive(Debug, Clone, Default)]
pub(crate) struct AssetIds(Arc<Mutex<HashMap<Symbol, AssetId>>>);

impl AssetIds {
    // Every update is one insert or remove, so the map stays consistent even if a holder
    // panicked.
    pub(crate) fn get(&self, symbol: &Symbol) -> Option<AssetId> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(symbol).copied()
    }

    pub(crate) fn insert(&self, symbol: Symbol, asset: AssetId) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(symbol, asset);
    }

    pub(crate) fn forget(&self, symbol: &Symbol) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(symbol);
    }
}
