//! The order book of one asset and the price-time matching that runs when an order arrives.
//!
//! Everything here is in memory and deterministic: the storage layer loads or keeps a book
//! per asset, calls [`OrderBook::place`] or [`OrderBook::cancel`] while holding that asset's
//! lock, and writes back exactly what the returned value describes (fills, lock movements,
//! the resting or cancelled remainder).

use super::types::{Lock, MAX_AMOUNT, OrderId, Price, Quantity, Side, WalletId};
use std::collections::{BTreeMap, HashMap, btree_map};

/// An order as it arrives at the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub id: OrderId,
    pub wallet: WalletId,
    pub side: Side,
    /// The limit: the most a buy pays per unit, the least a sell accepts.
    pub price: Price,
    pub quantity: Quantity,
    /// Arrival order (`market_orders.sequence`): of two orders at one price, the one with the
    /// lower sequence trades first. Must increase from one placed order to the next.
    pub sequence: u64,
}

impl NewOrder {
    /// What the order locks on arrival. The caller reserves it from the wallet's available
    /// balance; the fills, the resting remainder and any cancellation then account for every
    /// unit of it.
    pub fn lock(&self) -> Result<Lock, PlaceError> {
        Lock::for_order(self.side, self.price, self.quantity).ok_or(PlaceError::LockOverflow {
            side: self.side,
            price: self.price,
            quantity: self.quantity,
        })
    }
}

/// An order waiting in the book for a counterparty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestingOrder {
    pub id: OrderId,
    pub wallet: WalletId,
    pub side: Side,
    pub price: Price,
    /// What is still to trade. Never zero: a fully filled order leaves the book.
    pub remaining: Quantity,
    pub sequence: u64,
    /// What the order still holds (`market_orders.locked_amount`): `remaining × price` of
    /// quote for a buy, `remaining` of the asset for a sell. Cancelling releases exactly this.
    pub locked: Lock,
}

/// One trade between an incoming order (the taker) and a resting one (the maker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub maker_order: OrderId,
    pub maker_wallet: WalletId,
    pub taker_order: OrderId,
    pub taker_wallet: WalletId,
    /// The incoming order's side (`trades.aggressor_side`); the maker is on the other.
    pub taker_side: Side,
    /// Always the maker's limit: the resting order published that price and the taker
    /// accepted it, so any improvement over the taker's own limit goes to the taker.
    pub price: Price,
    pub quantity: Quantity,
    /// `quantity × price`: taken from the buyer's quote lock and paid to the seller.
    pub quote_consumed: u64,
    /// `quantity × (buyer's limit − price)`: handed back from the buyer's quote lock to its
    /// available balance, because the buyer locked at its limit and paid less. Zero whenever
    /// the buyer is the maker, as a resting buy only ever trades at its own limit.
    pub quote_released: u64,
}

impl Fill {
    pub const fn maker_side(&self) -> Side {
        self.taker_side.opposite()
    }

    pub const fn buy_order(&self) -> OrderId {
        match self.taker_side {
            Side::Buy => self.taker_order,
            Side::Sell => self.maker_order,
        }
    }

    pub const fn sell_order(&self) -> OrderId {
        match self.taker_side {
            Side::Buy => self.maker_order,
            Side::Sell => self.taker_order,
        }
    }

    pub const fn buyer(&self) -> WalletId {
        match self.taker_side {
            Side::Buy => self.taker_wallet,
            Side::Sell => self.maker_wallet,
        }
    }

    pub const fn seller(&self) -> WalletId {
        match self.taker_side {
            Side::Buy => self.maker_wallet,
            Side::Sell => self.taker_wallet,
        }
    }

    /// What this fill takes out of the lock of the order on `side` and hands to the
    /// counterparty: the quote paid by the buyer, the asset delivered by the seller.
    pub const fn consumed(&self, side: Side) -> Lock {
        match side {
            Side::Buy => Lock::Quote(self.quote_consumed),
            Side::Sell => Lock::Asset(self.quantity.get()),
        }
    }

    /// What this fill returns from the lock of the order on `side` to the same wallet's
    /// available balance. A sell locks exactly what it delivers, so only a buy gets any back.
    pub const fn released(&self, side: Side) -> Lock {
        match side {
            Side::Buy => Lock::Quote(self.quote_released),
            Side::Sell => Lock::Asset(0),
        }
    }
}

/// What an incoming order does when the next resting order it would trade with belongs to
/// its own wallet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SelfTradePolicy {
    /// Cancel the rest of the incoming order and stop matching; the resting order keeps its
    /// place in the queue. Fills the incoming order made against other wallets before
    /// reaching its own order stand. The default because it refuses the order that caused
    /// the conflict and never disturbs a position the wallet already holds in the queue.
    #[default]
    CancelIncoming,
}

/// Why part of an incoming order was cancelled instead of resting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Trading on would have matched an order of the same wallet.
    SelfTradePrevention,
}

impl CancelReason {
    /// The value of `market_orders.cancel_reason`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SelfTradePrevention => "self_trade_prevention",
        }
    }
}

/// The part of an incoming order that was cancelled during placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelledRemainder {
    pub quantity: Quantity,
    /// Goes back to the wallet's available balance.
    pub released: Lock,
    pub reason: CancelReason,
}

/// Everything placing an order did, for the storage layer to write back in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// What the order locked on arrival ([`NewOrder::lock`]). On the order's own side it
    /// equals the fills' consumed plus released amounts, plus the resting lock or the
    /// cancelled release: nothing stays locked that no order holds.
    pub locked: Lock,
    /// In execution order.
    pub fills: Vec<Fill>,
    /// The unfilled remainder, now in the book.
    pub resting: Option<RestingOrder>,
    /// The unfilled remainder, cancelled instead of resting.
    pub cancelled: Option<CancelledRemainder>,
}

impl Placement {
    /// Units of the incoming order that traded.
    pub fn filled(&self) -> u64 {
        // Bounded by the order's quantity, so the sum cannot overflow.
        self.fills.iter().map(|fill| fill.quantity.get()).sum()
    }
}

/// A resting order taken out of the book at its owner's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled {
    /// The order as it rested, with what was still unfilled.
    pub order: RestingOrder,
    /// Goes back to the wallet's available balance; always `order.locked`.
    pub released: Lock,
}

/// An order the book refused; the book is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("a {side} of {quantity} at {price} would lock more than {MAX_AMOUNT}")]
    LockOverflow {
        side: Side,
        price: Price,
        quantity: Quantity,
    },
    #[error("order {0} is already in the book")]
    DuplicateOrder(OrderId),
    #[error("sequence {sequence} does not follow the last placed sequence {last}")]
    SequenceNotIncreasing { last: u64, sequence: u64 },
}

/// One price level of a [`Depth`] snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthLevel {
    pub price: Price,
    /// Sum of the level's remaining quantities; wider than one order's quantity because a
    /// level may hold any number of orders.
    pub quantity: u128,
    pub orders: usize,
}

/// The best levels of each side, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Depth {
    /// Highest price first.
    pub bids: Vec<DepthLevel>,
    /// Lowest price first.
    pub asks: Vec<DepthLevel>,
}

/// Where a resting order sits in the book's [`Arena`]; [`NIL`] ends a queue.
type Slot = usize;
const NIL: Slot = usize::MAX;

/// A resting order and its neighbours in its level's queue.
#[derive(Clone, Copy, Debug)]
struct Node {
    order: RestingOrder,
    /// The order just ahead in time priority, or [`NIL`] at the head.
    prev: Slot,
    /// The order just behind, or [`NIL`] at the tail.
    next: Slot,
}

/// Every resting order of the book. A slot is reused once its order leaves, so the book
/// allocates only when it grows beyond its largest size so far.
#[derive(Clone, Debug, Default)]
struct Arena {
    nodes: Vec<Node>,
    free: Vec<Slot>,
}

impl Arena {
    fn insert(&mut self, order: RestingOrder) -> Slot {
        let node = Node {
            order,
            prev: NIL,
            next: NIL,
        };
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    fn release(&mut self, slot: Slot) {
        self.free.push(slot);
    }

    fn queue(&self, level: &Level) -> Queue<'_> {
        Queue {
            nodes: &self.nodes,
            next: level.head,
        }
    }
}

/// The orders of one price level in arrival order, which *is* time priority because
/// sequences only increase: a doubly linked list through the arena, so that the head
/// leaves after a full fill, and any order after a cancel, without moving the others.
///
/// It keeps no count, so that a cancel in the middle of a queue, the common case on a deep
/// level, touches only the two neighbours and not the level: an order alone in its queue
/// (no neighbour either way) is the one whose leaving empties the level.
#[derive(Clone, Copy, Debug)]
struct Level {
    head: Slot,
    tail: Slot,
}

/// A level's orders, head first.
#[derive(Debug)]
struct Queue<'a> {
    nodes: &'a [Node],
    next: Slot,
}

impl<'a> Iterator for Queue<'a> {
    type Item = &'a RestingOrder;

    fn next(&mut self) -> Option<Self::Item> {
        let node = self.nodes.get(self.next)?;
        self.next = node.next;
        Some(&node.order)
    }
}

/// One side of the book.
///
/// A `BTreeMap` keyed by price keeps the levels sorted: the best price is the first (asks)
/// or last (bids) key, found in O(log n), and a depth snapshot walks levels in order without
/// sorting. A cancel goes from the book's id index straight to the order's slot and unlinks
/// it in O(1), however long its level's queue: on a busy book, levels near the spread
/// hold hundreds of orders, and scanning them made cancels the engine's slowest operation.
#[derive(Clone, Debug)]
struct Ladder {
    side: Side,
    levels: BTreeMap<Price, Level>,
}

impl Ladder {
    fn new(side: Side) -> Self {
        Self {
            side,
            levels: BTreeMap::new(),
        }
    }

    fn best_price(&self) -> Option<Price> {
        let best = match self.side {
            Side::Buy => self.levels.last_key_value(),
            Side::Sell => self.levels.first_key_value(),
        };
        best.map(|(price, _)| *price)
    }

    fn best_level(&mut self) -> Option<btree_map::OccupiedEntry<'_, Price, Level>> {
        match self.side {
            Side::Buy => self.levels.last_entry(),
            Side::Sell => self.levels.first_entry(),
        }
    }

    fn levels_best_first(&self) -> Box<dyn Iterator<Item = (&Price, &Level)> + '_> {
        match self.side {
            Side::Buy => Box::new(self.levels.iter().rev()),
            Side::Sell => Box::new(self.levels.iter()),
        }
    }

    /// Appends `order` at the tail of its level.
    fn push(&mut self, arena: &mut Arena, order: RestingOrder) -> Slot {
        let slot = arena.insert(order);
        match self.levels.entry(order.price) {
            btree_map::Entry::Vacant(entry) => {
                entry.insert(Level {
                    head: slot,
                    tail: slot,
                });
            }
            btree_map::Entry::Occupied(mut entry) => {
                let level = entry.get_mut();
                arena.nodes[level.tail].next = slot;
                arena.nodes[slot].prev = level.tail;
                level.tail = slot;
            }
        }
        slot
    }

    /// Takes the order in `slot` out of its level, and the level out of the ladder if it
    /// empties. The slot itself is the caller's to release.
    fn unlink(&mut self, arena: &mut Arena, slot: Slot) {
        let Node { order, prev, next } = arena.nodes[slot];
        if prev != NIL && next != NIL {
            arena.nodes[prev].next = next;
            arena.nodes[next].prev = prev;
            return;
        }
        let btree_map::Entry::Occupied(mut entry) = self.levels.entry(order.price) else {
            panic!("resting order {} has no level at {}", order.id, order.price);
        };
        if prev == NIL && next == NIL {
            entry.remove();
            return;
        }
        let level = entry.get_mut();
        match prev {
            NIL => level.head = next,
            prev => arena.nodes[prev].next = next,
        }
        match next {
            NIL => level.tail = prev,
            next => arena.nodes[next].prev = prev,
        }
    }
}

/// The limit-order book of one asset: bids by highest price then earliest sequence, asks by
/// lowest price then earliest sequence.
///
/// To rebuild a book from storage, place the open orders with their remaining quantities in
/// sequence order: a book that was never crossed produces no fills on the way, so it comes
/// back identical, locks included.
#[derive(Clone, Debug)]
pub struct OrderBook {
    bids: Ladder,
    asks: Ladder,
    arena: Arena,
    /// The slot of every resting order, so that a cancel goes straight to it. Order ids are
    /// not secret and may come from outside, so the hasher is seeded per process; foldhash
    /// is several times faster than the standard SipHash on these 16-byte keys.
    index: HashMap<OrderId, Slot, foldhash::fast::RandomState>,
    last_sequence: Option<u64>,
    self_trade: SelfTradePolicy,
}

/// Two books are equal when they hold the same orders in the same priority on each side
/// and accept the same next order, however their slots happen to be laid out.
impl PartialEq for OrderBook {
    fn eq(&self, other: &Self) -> bool {
        self.last_sequence == other.last_sequence
            && self.self_trade == other.self_trade
            && [Side::Buy, Side::Sell]
                .into_iter()
                .all(|side| self.orders(side).eq(other.orders(side)))
    }
}

impl Eq for OrderBook {}

impl Default for OrderBook {
    fn default() -> Self {
        Self::new()
    }
}

impl OrderBook {
    pub fn new() -> Self {
        Self::with_policy(SelfTradePolicy::default())
    }

    pub fn with_policy(self_trade: SelfTradePolicy) -> Self {
        Self {
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
            arena: Arena::default(),
            index: HashMap::default(),
            last_sequence: None,
            self_trade,
        }
    }

    pub fn self_trade_policy(&self) -> SelfTradePolicy {
        self.self_trade
    }

    /// Matches `order` against the opposite side while prices cross, best price first and
    /// earliest sequence first within a price, each fill at the resting order's price; then
    /// rests what is left, unless self-trade prevention cancelled it.
    ///
    /// Refuses, leaving the book unchanged, an order whose lock does not fit in
    /// [`MAX_AMOUNT`], whose id is already resting, or whose sequence does not exceed the
    /// last placed one (time priority within a level relies on arrival order).
    pub fn place(&mut self, order: NewOrder) -> Result<Placement, PlaceError> {
        // Every check comes before the first change, so a refused order leaves no trace.
        let locked = order.lock()?;
        if self.index.contains_key(&order.id) {
            return Err(PlaceError::DuplicateOrder(order.id));
        }
        if let Some(last) = self.last_sequence
            && order.sequence <= last
        {
            return Err(PlaceError::SequenceNotIncreasing {
                last,
                sequence: order.sequence,
            });
        }
        self.last_sequence = Some(order.sequence);

        let (own, opposite) = match order.side {
            Side::Buy => (&mut self.bids, &mut self.asks),
            Side::Sell => (&mut self.asks, &mut self.bids),
        };
        let arena = &mut self.arena;
        let mut fills = Vec::new();
        // `None` once the order is completely filled.
        let mut unfilled = Some(order.quantity);
        let mut lock_left = locked;
        let mut stopped_by_self_trade = false;
        while let Some(wanted) = unfilled {
            let Some(mut level) = opposite.best_level() else {
                break;
            };
            let price = *level.key();
            if !order.side.crosses(order.price, price) {
                break;
            }
            let head = level.get().head;
            let maker = &mut arena.nodes[head].order;
            if maker.wallet == order.wallet {
                match self.self_trade {
                    SelfTradePolicy::CancelIncoming => {
                        stopped_by_self_trade = true;
                        break;
                    }
                }
            }

            let fill = execute(maker, &order, wanted.min(maker.remaining));
            let maker_side = fill.maker_side();
            match Quantity::new(maker.remaining.get() - fill.quantity.get()) {
                Ok(remaining) => {
                    maker.remaining = remaining;
                    maker.locked = maker
                        .locked
                        .less(fill.consumed(maker_side).amount())
                        .less(fill.released(maker_side).amount());
                }
                Err(_) => {
                    let next = arena.nodes[head].next;
                    if next == NIL {
                        level.remove();
                    } else {
                        level.get_mut().head = next;
                        arena.nodes[next].prev = NIL;
                    }
                    arena.release(head);
                    self.index.remove(&fill.maker_order);
                }
            }
            lock_left = lock_left
                .less(fill.consumed(order.side).amount())
                .less(fill.released(order.side).amount());
            unfilled = Quantity::new(wanted.get() - fill.quantity.get()).ok();
            fills.push(fill);
        }

        // What the order still holds must be exactly what its unfilled part would lock;
        // anything else means a fill consumed or released the wrong amount.
        let unfilled_lock = match unfilled {
            Some(quantity) => Lock::for_order(order.side, order.price, quantity),
            None => Some(Lock::zero(order.side)),
        };
        assert_eq!(Some(lock_left), unfilled_lock, "taker lock out of balance");

        let (resting, cancelled) = match unfilled {
            None => (None, None),
            Some(quantity) if stopped_by_self_trade => (
                None,
                Some(CancelledRemainder {
                    quantity,
                    released: lock_left,
                    reason: CancelReason::SelfTradePrevention,
                }),
            ),
            Some(remaining) => {
                // The book was not crossed before this order, and a remainder that rests is
                // the only change that could cross it, so checking the remainder against the
                // best opposite price checks the whole book.
                assert!(
                    opposite
                        .best_price()
                        .is_none_or(|best| !order.side.crosses(order.price, best)),
                    "book crossed after placing {order:?}"
                );
                let rest = RestingOrder {
                    id: order.id,
                    wallet: order.wallet,
                    side: order.side,
                    price: order.price,
                    remaining,
                    sequence: order.sequence,
                    locked: lock_left,
                };
                let slot = own.push(arena, rest);
                self.index.insert(order.id, slot);
                (Some(rest), None)
            }
        };

        let placement = Placement {
            locked,
            fills,
            resting,
            cancelled,
        };
        let accounted = placement.filled() + unfilled.map_or(0, Quantity::get);
        assert_eq!(accounted, order.quantity.get(), "quantity out of balance");
        if cfg!(debug_assertions) {
            self.check_structure();
        }
        Ok(placement)
    }

    /// Takes a resting order out of the book; `None` if no order with that id rests (it may
    /// never have existed, or may have been filled or cancelled already).
    pub fn cancel(&mut self, id: OrderId) -> Option<Cancelled> {
        let slot = self.index.remove(&id)?;
        let order = self.arena.nodes[slot].order;
        let ladder = match order.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        ladder.unlink(&mut self.arena, slot);
        self.arena.release(slot);
        if cfg!(debug_assertions) {
            self.check_structure();
        }
        Some(Cancelled {
            order,
            released: order.locked,
        })
    }

    /// The best `levels` price levels of each side, aggregated.
    pub fn depth(&self, levels: usize) -> Depth {
        let side = |ladder: &Ladder| {
            ladder
                .levels_best_first()
                .take(levels)
                .map(|(price, level)| DepthLevel {
                    price: *price,
                    quantity: self
                        .arena
                        .queue(level)
                        .map(|order| u128::from(order.remaining.get()))
                        .sum(),
                    orders: self.arena.queue(level).count(),
                })
                .collect()
        };
        Depth {
            bids: side(&self.bids),
            asks: side(&self.asks),
        }
    }

    /// The resting orders of one side in priority order: the one that trades next comes first.
    pub fn orders(&self, side: Side) -> impl Iterator<Item = &RestingOrder> + '_ {
        self.ladder(side)
            .levels_best_first()
            .flat_map(|(_, level)| self.arena.queue(level))
    }

    pub fn get(&self, id: OrderId) -> Option<&RestingOrder> {
        let slot = self.index.get(&id)?;
        self.arena.nodes.get(*slot).map(|node| &node.order)
    }

    pub fn best_bid(&self) -> Option<Price> {
        self.bids.best_price()
    }

    pub fn best_ask(&self) -> Option<Price> {
        self.asks.best_price()
    }

    /// The sequence of the last order placed, which the next one must exceed.
    pub fn last_sequence(&self) -> Option<u64> {
        self.last_sequence
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn is_crossed(&self) -> bool {
        matches!(
            (self.best_bid(), self.best_ask()),
            (Some(bid), Some(ask)) if bid >= ask
        )
    }

    fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Walks the whole book, so it runs only in debug builds: no empty levels, every queue
    /// linked both ways from its head to its tail, every order on its own side and level and
    /// in the index at its slot, levels in arrival order, every lock equal to what the
    /// order's remainder would lock, and no arena slot held by an order that left.
    fn check_structure(&self) {
        assert!(!self.is_crossed(), "book crossed");
        let mut count = 0;
        for ladder in [&self.bids, &self.asks] {
            for (price, level) in &ladder.levels {
                let mut previous = None;
                let mut previous_slot = NIL;
                let mut slot = level.head;
                let mut in_level = 0;
                while slot != NIL {
                    let node = &self.arena.nodes[slot];
                    let order = &node.order;
                    assert_eq!(node.prev, previous_slot, "queue at {price} linked wrongly");
                    assert_eq!((order.side, order.price), (ladder.side, *price));
                    assert_eq!(self.index.get(&order.id), Some(&slot));
                    assert_eq!(
                        Lock::for_order(order.side, order.price, order.remaining),
                        Some(order.locked),
                        "lock of {order:?}"
                    );
                    assert!(
                        previous < Some(order.sequence),
                        "level out of arrival order"
                    );
                    assert!(Some(order.sequence) <= self.last_sequence);
                    previous = Some(order.sequence);
                    previous_slot = slot;
                    slot = node.next;
                    in_level += 1;
                    assert!(in_level <= self.index.len(), "queue at {price} has a cycle");
                }
                assert!(in_level > 0, "empty {} level at {price}", ladder.side);
                assert_eq!(level.tail, previous_slot, "tail of the queue at {price}");
                count += in_level;
            }
        }
        assert_eq!(
            count,
            self.index.len(),
            "index lists orders not in the book"
        );
        assert_eq!(
            self.arena.nodes.len() - self.arena.free.len(),
            count,
            "arena slots held by orders that left"
        );
    }
}

/// The fill of `quantity` between resting `maker` and incoming `taker`, at the maker's price.
fn execute(maker: &RestingOrder, taker: &NewOrder, quantity: Quantity) -> Fill {
    let price = maker.price;
    let quote_released = match taker.side {
        // The caller matched only because the ask does not exceed the buyer's limit.
        Side::Buy => bounded_product(quantity, taker.price.get() - price.get()),
        Side::Sell => 0,
    };
    Fill {
        maker_order: maker.id,
        maker_wallet: maker.wallet,
        taker_order: taker.id,
        taker_wallet: taker.wallet,
        taker_side: taker.side,
        price,
        quantity,
        quote_consumed: bounded_product(quantity, price.get()),
        quote_released,
    }
}

/// `quantity × price` for a fill. The fill's quantity is within both orders' remainders and
/// its price within the buyer's limit, so the product is at most the buyer's lock, which was
/// checked against [`MAX_AMOUNT`] when the buyer was placed: failing here is an engine bug.
fn bounded_product(quantity: Quantity, price: u64) -> u64 {
    quantity
        .get()
        .checked_mul(price)
        .filter(|&amount| amount <= MAX_AMOUNT)
        .expect("a fill's amount is bounded by the buyer's accepted lock")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use uuid::Uuid;

    use Side::{Buy, Sell};

    fn wallet(n: u128) -> WalletId {
        WalletId::from_uuid(Uuid::from_u128(n))
    }

    /// Order ids follow sequences in these tests, so a fill's maker reads as "the n-th order".
    fn id(sequence: u64) -> OrderId {
        OrderId::from_uuid(Uuid::from_u128(u128::from(sequence)))
    }

    fn price(raw: u64) -> Price {
        Price::new(raw).unwrap()
    }

    fn qty(raw: u64) -> Quantity {
        Quantity::new(raw).unwrap()
    }

    fn order(sequence: u64, owner: u128, side: Side, limit: u64, quantity: u64) -> NewOrder {
        NewOrder {
            id: id(sequence),
            wallet: wallet(owner),
            side,
            price: price(limit),
            quantity: qty(quantity),
            sequence,
        }
    }

    /// Places `(wallet, side, price, quantity)` orders with sequences 1, 2, … and checks that
    /// none of them trades.
    fn book_of(orders: &[(u128, Side, u64, u64)]) -> OrderBook {
        let mut book = OrderBook::new();
        for (n, &(owner, side, limit, quantity)) in (1..).zip(orders) {
            let placement = book.place(order(n, owner, side, limit, quantity)).unwrap();
            assert!(placement.fills.is_empty(), "setup order {n} traded");
        }
        book
    }

    /// The lock identity every placement must satisfy on the incoming order's own side.
    fn assert_taker_lock_balances(side: Side, placement: &Placement) {
        let fills: u64 = placement
            .fills
            .iter()
            .map(|fill| fill.consumed(side).amount() + fill.released(side).amount())
            .sum();
        let rest = placement.resting.map_or(0, |order| order.locked.amount());
        let cancelled = placement.cancelled.map_or(0, |c| c.released.amount());
        assert_eq!(placement.locked.amount(), fills + rest + cancelled);
    }

    const BUYER: u128 = 9;

    /// Sells 10@1599, 7@1600, 3@1600, 20@1605, as orders 1 to 4 of wallets 1 to 4.
    fn golden_asks() -> OrderBook {
        book_of(&[
            (1, Sell, 1599, 10),
            (2, Sell, 1600, 7),
            (3, Sell, 1600, 3),
            (4, Sell, 1605, 20),
        ])
    }

    #[test]
    fn golden_buy_sweeps_the_asks_in_price_time_order_at_the_sellers_prices() {
        let mut book = golden_asks();
        let placement = book.place(order(5, BUYER, Buy, 1605, 40)).unwrap();

        let fill = |maker: u64, at: u64, quantity: u64, quote_consumed, quote_released| Fill {
            maker_order: id(maker),
            maker_wallet: wallet(u128::from(maker)),
            taker_order: id(5),
            taker_wallet: wallet(BUYER),
            taker_side: Buy,
            price: price(at),
            quantity: qty(quantity),
            quote_consumed,
            quote_released,
        };
        assert_eq!(
            placement,
            Placement {
                locked: Lock::Quote(40 * 1605),
                fills: vec![
                    // maker, price, quantity, q × p paid, q × (1605 − p) handed back
                    fill(1, 1599, 10, 15_990, 60),
                    fill(2, 1600, 7, 11_200, 35),
                    fill(3, 1600, 3, 4_800, 15),
                    fill(4, 1605, 20, 32_100, 0),
                ],
                resting: None,
                cancelled: None,
            }
        );

        let consumed: u64 = placement.fills.iter().map(|f| f.quote_consumed).sum();
        let released: u64 = placement.fills.iter().map(|f| f.quote_released).sum();
        assert_eq!(consumed, 10 * 1599 + 7 * 1600 + 3 * 1600 + 20 * 1605);
        assert_eq!(released, 40 * 1605 - consumed);
        assert_eq!(released, 110);
        assert!(placement.fills.iter().all(|f| f.maker_side() == Sell));
        assert!(book.is_empty());
        assert_eq!(book.depth(5), Depth::default());
    }

    #[test]
    fn golden_sell_sweeps_the_bids_at_the_buyers_prices() {
        let mut book = book_of(&[
            (1, Buy, 1605, 10),
            (2, Buy, 1600, 7),
            (3, Buy, 1600, 3),
            (4, Buy, 1599, 20),
        ]);
        let placement = book.place(order(5, 9, Sell, 1599, 40)).unwrap();

        let executed: Vec<_> = placement
            .fills
            .iter()
            .map(|f| {
                (
                    f.buy_order(),
                    f.price.get(),
                    f.quantity.get(),
                    f.quote_consumed,
                )
            })
            .collect();
        assert_eq!(
            executed,
            [
                (id(1), 1605, 10, 16_050),
                (id(2), 1600, 7, 11_200),
                (id(3), 1600, 3, 4_800),
                (id(4), 1599, 20, 31_980),
            ]
        );
        // Resting buys trade at their own limits, so nothing comes back to them early; the
        // seller delivers exactly the asset it locked.
        assert!(placement.fills.iter().all(|f| f.quote_released == 0));
        assert_eq!(placement.locked, Lock::Asset(40));
        assert!(placement.fills.iter().all(|f| f.seller() == wallet(9)));
        assert_taker_lock_balances(Sell, &placement);
        assert!(book.is_empty());
    }

    #[rstest]
    #[case::sweeps_everything(40, 1605, &[(1, 1599, 10), (2, 1600, 7), (3, 1600, 3), (4, 1605, 20)], None)]
    #[case::stops_at_the_limit(25, 1600, &[(1, 1599, 10), (2, 1600, 7), (3, 1600, 3)], Some(5))]
    #[case::part_of_a_level(12, 1600, &[(1, 1599, 10), (2, 1600, 2)], None)]
    #[case::inside_the_first_order(4, 1700, &[(1, 1599, 4)], None)]
    #[case::below_the_best_ask(5, 1598, &[], Some(5))]
    #[case::more_than_the_book(45, 1700, &[(1, 1599, 10), (2, 1600, 7), (3, 1600, 3), (4, 1605, 20)], Some(5))]
    fn buys_against_the_golden_asks(
        #[case] quantity: u64,
        #[case] limit: u64,
        #[case] expected_fills: &[(u64, u64, u64)],
        #[case] expected_rest: Option<u64>,
    ) {
        let mut book = golden_asks();
        let placement = book.place(order(5, BUYER, Buy, limit, quantity)).unwrap();

        let fills: Vec<_> = placement
            .fills
            .iter()
            .map(|f| (f.sell_order(), f.price.get(), f.quantity.get()))
            .collect();
        let expected: Vec<_> = expected_fills
            .iter()
            .map(|&(maker, at, q)| (id(maker), at, q))
            .collect();
        assert_eq!(fills, expected);
        for fill in &placement.fills {
            assert_eq!(fill.quote_consumed, fill.quantity.get() * fill.price.get());
            assert_eq!(
                fill.quote_released,
                fill.quantity.get() * (limit - fill.price.get())
            );
        }
        assert_eq!(
            placement.resting.map(|order| order.remaining.get()),
            expected_rest
        );
        assert_eq!(placement.cancelled, None);
        assert_taker_lock_balances(Buy, &placement);
        assert_eq!(book.get(id(5)), placement.resting.as_ref());
    }

    #[test]
    fn partial_fill_rests_the_remainder_and_cancel_releases_its_lock() {
        let mut book = book_of(&[(1, Sell, 100, 10)]);
        let placement = book.place(order(2, 2, Buy, 101, 25)).unwrap();

        assert_eq!(placement.locked, Lock::Quote(25 * 101));
        assert_eq!(placement.filled(), 10);
        assert_eq!(
            (
                placement.fills[0].quote_consumed,
                placement.fills[0].quote_released
            ),
            (1000, 10)
        );
        let rest = RestingOrder {
            id: id(2),
            wallet: wallet(2),
            side: Buy,
            price: price(101),
            remaining: qty(15),
            sequence: 2,
            locked: Lock::Quote(15 * 101),
        };
        assert_eq!(placement.resting, Some(rest));
        assert_eq!(book.best_bid(), Some(price(101)));
        assert_eq!(book.best_ask(), None);

        assert_eq!(
            book.cancel(id(2)),
            Some(Cancelled {
                order: rest,
                released: Lock::Quote(1515),
            })
        );
        // Everything locked is now accounted for: paid, handed back at the fill, or released.
        assert_eq!(1000 + 10 + 1515, 25 * 101);
        assert!(book.is_empty());
        assert_eq!(book.cancel(id(2)), None);
    }

    #[rstest]
    #[case::partly_filled_resting_sell(Sell, 101, Lock::Asset(6))]
    // A resting buy trades at its own limit, so its lock shrinks by exactly q × limit.
    #[case::partly_filled_resting_buy(Buy, 99, Lock::Quote(6 * 100))]
    fn cancelling_a_partly_filled_maker_releases_what_it_still_holds(
        #[case] maker_side: Side,
        #[case] taker_limit: u64,
        #[case] released: Lock,
    ) {
        let mut book = book_of(&[(1, maker_side, 100, 10)]);
        let taker = order(2, 2, maker_side.opposite(), taker_limit, 4);
        let placement = book.place(taker).unwrap();
        assert_eq!(placement.filled(), 4);
        assert!(placement.fills.iter().all(|f| f.price == price(100)));
        assert_eq!(book.get(id(1)).map(|o| o.locked), Some(released));

        let cancelled = book.cancel(id(1)).unwrap();
        assert_eq!(cancelled.order.remaining, qty(6));
        assert_eq!(cancelled.released, released);
        assert!(book.is_empty());
    }

    #[rstest]
    #[case::never_placed(id(99))]
    #[case::fully_filled(id(1))]
    fn cancelling_an_order_that_does_not_rest_is_none(#[case] unknown: OrderId) {
        let mut book = book_of(&[(1, Sell, 100, 5), (2, Buy, 99, 5)]);
        book.place(order(3, 3, Buy, 100, 5)).unwrap();
        let before = book.clone();
        assert_eq!(book.cancel(unknown), None);
        assert_eq!(book, before);
    }

    #[test]
    fn self_trade_cancels_the_incoming_remainder_after_better_fills() {
        // Wallet 1's ask sits between wallet 2's better ask and wallet 3's later one.
        let mut book = book_of(&[(2, Sell, 99, 5), (1, Sell, 100, 5), (3, Sell, 100, 5)]);
        let placement = book.place(order(4, 1, Buy, 101, 20)).unwrap();

        let fills: Vec<_> = placement
            .fills
            .iter()
            .map(|f| {
                (
                    f.maker_order,
                    f.maker_wallet,
                    f.price.get(),
                    f.quantity.get(),
                )
            })
            .collect();
        assert_eq!(fills, [(id(1), wallet(2), 99, 5)]);
        assert_eq!(
            placement.cancelled,
            Some(CancelledRemainder {
                quantity: qty(15),
                released: Lock::Quote(15 * 101),
                reason: CancelReason::SelfTradePrevention,
            })
        );
        assert_eq!(placement.resting, None);
        assert_taker_lock_balances(Buy, &placement);
        // The wallet's own ask keeps its place, and wallet 3's ask behind it is untouched.
        let asks: Vec<_> = book
            .orders(Sell)
            .map(|o| (o.id, o.remaining.get()))
            .collect();
        assert_eq!(asks, [(id(2), 5), (id(3), 5)]);
        assert_eq!(
            CancelReason::SelfTradePrevention.as_str(),
            "self_trade_prevention"
        );
    }

    #[rstest]
    #[case::buy_into_own_ask(&[(1, Sell, 100, 5)], (1, Buy, 100, 3), 0, Some(3))]
    #[case::sell_into_own_bid(&[(1, Buy, 100, 5)], (1, Sell, 95, 8), 0, Some(8))]
    #[case::own_order_behind_another_at_one_price(&[(2, Buy, 100, 5), (1, Buy, 100, 5)], (1, Sell, 100, 8), 5, Some(3))]
    #[case::own_order_out_of_reach_rests_beside(&[(1, Sell, 105, 5)], (1, Buy, 100, 3), 0, None)]
    #[case::other_wallet_trades(&[(2, Sell, 100, 5)], (1, Buy, 100, 3), 3, None)]
    fn a_wallet_never_trades_with_itself(
        #[case] setup: &[(u128, Side, u64, u64)],
        #[case] incoming: (u128, Side, u64, u64),
        #[case] filled: u64,
        #[case] cancelled: Option<u64>,
    ) {
        let mut book = book_of(setup);
        let (owner, side, limit, quantity) = incoming;
        let placement = book.place(order(10, owner, side, limit, quantity)).unwrap();

        assert!(
            placement
                .fills
                .iter()
                .all(|f| f.maker_wallet != f.taker_wallet)
        );
        assert_eq!(placement.filled(), filled);
        assert_eq!(placement.cancelled.map(|c| c.quantity.get()), cancelled);
        assert_taker_lock_balances(side, &placement);
        let resting_own: u64 = setup
            .iter()
            .filter(|&&(w, ..)| w == owner)
            .map(|&(.., q)| q)
            .sum();
        let still_own: u64 = book
            .orders(side.opposite())
            .filter(|o| o.wallet == wallet(owner))
            .map(|o| o.remaining.get())
            .sum();
        assert_eq!(
            still_own, resting_own,
            "own resting orders are never touched"
        );
    }

    #[test]
    fn one_wallet_alone_never_trades() {
        let mut book = OrderBook::new();
        // (side, limit, whether it would have crossed the wallet's own order)
        for (sequence, (side, limit, crosses_own)) in (1..).zip([
            (Buy, 100, false),
            (Sell, 100, true),
            (Sell, 101, false),
            (Buy, 101, true),
            (Sell, 99, true),
            (Buy, 99, false),
        ]) {
            let placement = book.place(order(sequence, 1, side, limit, 5)).unwrap();
            assert!(placement.fills.is_empty());
            assert_eq!(
                placement.cancelled.is_some(),
                crosses_own,
                "order {sequence}"
            );
            assert_eq!(
                placement.resting.is_some(),
                !crosses_own,
                "order {sequence}"
            );
        }
        assert_eq!(book.best_bid(), Some(price(100)));
        assert_eq!(book.best_ask(), Some(price(101)));
        assert_eq!(book.len(), 3);
    }

    #[rstest]
    #[case::bids_by_sequence_within_a_price(Buy, &[100, 100, 100], Sell, &[1, 2, 3])]
    #[case::asks_by_sequence_within_a_price(Sell, &[100, 100, 100], Buy, &[1, 2, 3])]
    #[case::higher_bid_beats_earlier_bid(Buy, &[100, 101, 100], Sell, &[2, 1, 3])]
    #[case::lower_ask_beats_earlier_ask(Sell, &[101, 100, 101], Buy, &[2, 1, 3])]
    #[case::bids_best_first(Buy, &[98, 100, 99, 100], Sell, &[2, 4, 3, 1])]
    #[case::asks_best_first(Sell, &[102, 100, 101, 100], Buy, &[2, 4, 3, 1])]
    fn price_then_time_priority(
        #[case] resting_side: Side,
        #[case] prices: &[u64],
        #[case] taker_side: Side,
        #[case] expected_makers: &[u64],
    ) {
        let setup: Vec<_> = (1..)
            .zip(prices)
            .map(|(w, &p)| (w, resting_side, p, 2))
            .collect();
        let mut book = book_of(&setup);
        let in_book: Vec<_> = book.orders(resting_side).map(|o| o.sequence).collect();
        assert_eq!(in_book, expected_makers);

        // A taker that reaches every price level takes the orders in exactly that order.
        let limit = if taker_side == Buy { 1_000 } else { 1 };
        let placement = book
            .place(order(100, 99, taker_side, limit, 1_000))
            .unwrap();
        let makers: Vec<_> = placement.fills.iter().map(|f| f.maker_order).collect();
        let expected: Vec<_> = expected_makers.iter().map(|&n| id(n)).collect();
        assert_eq!(makers, expected);
        for fill in &placement.fills {
            let maker_price =
                prices[usize::try_from(fill.maker_order.as_uuid().as_u128()).unwrap() - 1];
            assert_eq!(fill.price.get(), maker_price, "fills at the resting price");
        }
    }

    fn level(at: u64, quantity: u128, orders: usize) -> DepthLevel {
        DepthLevel {
            price: price(at),
            quantity,
            orders,
        }
    }

    #[rstest]
    #[case::none(0, &[], &[])]
    #[case::top_of_book(1, &[(100, 12, 3)], &[(101, 4, 1)])]
    #[case::two_levels(2, &[(100, 12, 3), (99, 5, 1)], &[(101, 4, 1), (102, 15, 2)])]
    #[case::more_than_there_are(10, &[(100, 12, 3), (99, 5, 1), (98, 1, 1)], &[(101, 4, 1), (102, 15, 2), (110, 7, 1)])]
    fn depth_aggregates_the_best_levels(
        #[case] levels: usize,
        #[case] bids: &[(u64, u128, usize)],
        #[case] asks: &[(u64, u128, usize)],
    ) {
        let book = book_of(&[
            (1, Buy, 100, 2),
            (2, Sell, 102, 10),
            (3, Buy, 99, 5),
            (1, Buy, 100, 7),
            (4, Sell, 110, 7),
            (2, Buy, 98, 1),
            (5, Sell, 101, 4),
            (3, Buy, 100, 3),
            (1, Sell, 102, 5),
        ]);
        let as_levels =
            |rows: &[(u64, u128, usize)]| rows.iter().map(|&(p, q, n)| level(p, q, n)).collect();
        assert_eq!(
            book.depth(levels),
            Depth {
                bids: as_levels(bids),
                asks: as_levels(asks),
            }
        );
    }

    #[test]
    fn depth_follows_fills_and_cancels() {
        let mut book = book_of(&[(1, Sell, 101, 4), (2, Sell, 101, 6), (3, Sell, 102, 5)]);
        book.place(order(4, 4, Buy, 101, 7)).unwrap();
        assert_eq!(book.depth(5).asks, [level(101, 3, 1), level(102, 5, 1)]);
        book.cancel(id(2)).unwrap();
        assert_eq!(book.depth(5).asks, [level(102, 5, 1)]);
        assert_eq!(book.len(), 1);
    }

    #[rstest]
    #[case::lock_beyond_bigint(
        NewOrder { price: Price::MAX, ..order(10, 1, Buy, 1, 2) },
        PlaceError::LockOverflow { side: Buy, price: Price::MAX, quantity: qty(2) }
    )]
    #[case::lock_beyond_u64(
        NewOrder { price: Price::MAX, quantity: Quantity::MAX, ..order(10, 1, Buy, 1, 1) },
        PlaceError::LockOverflow { side: Buy, price: Price::MAX, quantity: Quantity::MAX }
    )]
    #[case::id_already_resting(order(10, 1, Buy, 90, 1), PlaceError::DuplicateOrder(id(10)))]
    #[case::sequence_repeated(
        NewOrder { id: id(11), ..order(3, 1, Buy, 90, 1) },
        PlaceError::SequenceNotIncreasing { last: 3, sequence: 3 }
    )]
    #[case::sequence_earlier(
        NewOrder { id: id(11), ..order(2, 1, Sell, 110, 1) },
        PlaceError::SequenceNotIncreasing { last: 3, sequence: 2 }
    )]
    fn refused_orders_leave_the_book_unchanged(
        #[case] incoming: NewOrder,
        #[case] error: PlaceError,
    ) {
        let mut book = book_of(&[(1, Sell, 100, 5), (2, Buy, 99, 5)]);
        // Order 10 rests at the top of the bids with a later sequence than the rest.
        let resting = NewOrder {
            id: id(10),
            ..order(3, 3, Buy, 99, 1)
        };
        book.place(resting).unwrap();
        let before = book.clone();

        assert_eq!(book.place(incoming), Err(error));
        assert_eq!(book, before);
    }

    #[test]
    fn a_lock_exactly_at_the_limit_is_accepted() {
        let mut book = OrderBook::new();
        let placement = book
            .place(NewOrder {
                price: Price::MAX,
                ..order(1, 1, Buy, 1, 1)
            })
            .unwrap();
        assert_eq!(placement.locked, Lock::Quote(MAX_AMOUNT));
        // A seller at 1 meets it at the buyer's price, using the whole lock.
        let placement = book.place(order(2, 2, Sell, 1, 1)).unwrap();
        assert_eq!(placement.fills[0].quote_consumed, MAX_AMOUNT);
        assert!(book.is_empty());
    }

    #[test]
    fn rebuilding_from_resting_orders_reproduces_the_book() {
        let mut book = golden_asks();
        book.place(order(5, BUYER, Buy, 1600, 12)).unwrap();
        book.place(order(6, BUYER, Buy, 1598, 4)).unwrap();
        book.place(order(7, 7, Sell, 1601, 9)).unwrap();

        let mut open: Vec<_> = book.orders(Buy).chain(book.orders(Sell)).copied().collect();
        open.sort_by_key(|o| o.sequence);
        let mut rebuilt = OrderBook::new();
        for o in open {
            let placement = rebuilt
                .place(NewOrder {
                    id: o.id,
                    wallet: o.wallet,
                    side: o.side,
                    price: o.price,
                    quantity: o.remaining,
                    sequence: o.sequence,
                })
                .unwrap();
            assert!(placement.fills.is_empty());
        }
        assert_eq!(rebuilt, book);
    }
}
