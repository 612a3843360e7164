//! Which asset id each symbol names, as this process last looked it up.
//!
//! Placing an order needs the asset's id, and looking it up cost every placement a
//! statement of its own. A symbol keeps its id for good (assets are never deleted, and no
//! use case renames one), so ids are kept after the first look-up. The store still checks,
//! under the asset's lock, that the id carries the symbol the order named; when it does not
//! (a rename made outside the app), the entry is dropped and the symbol looked up again.

use crate::process_cache::ProcessCache;
use multipass_domain::market::{AssetId, Symbol};

pub(crate) type AssetIds = ProcessCache<Symbol, AssetId>;
