//! The engine against a matcher too simple to be wrong, over random streams of orders and
//! cancels, with the book's invariants and the conservation of funds checked after every
//! single step rather than only at the end, so a failure points at the step that broke.

use super::*;
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::HashMap;
use uuid::Uuid;

/// Cases per run and operations per case: at least 256 × 400 = 102,400 operations per
/// `cargo test`, enough to reach deep, busy books, yet quick in the debug profile.
const CASES: u32 = 256;
const OPS_PER_CASE: std::ops::RangeInclusive<usize> = 400..=600;
/// Few wallets and a narrow price band, so that orders cross, self-trades and partial fills
/// are common rather than rare.
const WALLETS: u8 = 4;
const PRICES: std::ops::RangeInclusive<u64> = 95..=105;
const QUANTITIES: std::ops::RangeInclusive<u64> = 1..=50;

fn product(a: u64, b: u64) -> u128 {
    u128::from(a) * u128::from(b)
}

fn amount(value: u128) -> u64 {
    u64::try_from(value)
        .ok()
        .filter(|&v| v <= MAX_AMOUNT)
        .expect("amounts in these tests stay small")
}

/// A resting order with its lock computed afresh from what remains, independently of the
/// engine's running subtraction.
fn resting(order: &NewOrder, remaining: u64) -> RestingOrder {
    let locked = match order.side {
        Side::Buy => Lock::Quote(amount(product(remaining, order.price.get()))),
        Side::Sell => Lock::Asset(remaining),
    };
    RestingOrder {
        id: order.id,
        wallet: order.wallet,
        side: order.side,
        price: order.price,
        remaining: Quantity::new(remaining).expect("only non-empty orders rest"),
        sequence: order.sequence,
        locked,
    }
}

/// Resting orders in one flat list, scanned in full for the best price and then the lowest
/// sequence on every match: O(n) per fill and plainly price-time priority.
#[derive(Debug, Default)]
struct Reference {
    resting: Vec<RestingOrder>,
    last_sequence: Option<u64>,
}

/// Smaller is better: highest bid, lowest ask, then earliest arrival.
fn priority(order: &RestingOrder) -> (i128, u64) {
    let price = i128::from(order.price.get());
    match order.side {
        Side::Buy => (-price, order.sequence),
        Side::Sell => (price, order.sequence),
    }
}

impl Reference {
    fn place(&mut self, order: NewOrder) -> Result<Placement, PlaceError> {
        let lock = match order.side {
            Side::Buy => product(order.quantity.get(), order.price.get()),
            Side::Sell => u128::from(order.quantity.get()),
        };
        if lock > u128::from(MAX_AMOUNT) {
            return Err(PlaceError::LockOverflow {
                side: order.side,
                price: order.price,
                quantity: order.quantity,
            });
        }
        if self.resting.iter().any(|r| r.id == order.id) {
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

        let mut left = order.quantity.get();
        let mut fills = Vec::new();
        let mut self_trade = false;
        while left > 0 {
            let best = self
                .resting
                .iter()
                .enumerate()
                .filter(|(_, r)| r.side != order.side && order.side.crosses(order.price, r.price))
                .min_by_key(|(_, r)| priority(r))
                .map(|(i, _)| i);
            let Some(i) = best else { break };
            let maker = self.resting[i];
            if maker.wallet == order.wallet {
                self_trade = true;
                break;
            }
            let quantity = left.min(maker.remaining.get());
            let quote_released = match order.side {
                Side::Buy => amount(product(quantity, order.price.get() - maker.price.get())),
                Side::Sell => 0,
            };
            fills.push(Fill {
                maker_order: maker.id,
                maker_wallet: maker.wallet,
                taker_order: order.id,
                taker_wallet: order.wallet,
                taker_side: order.side,
                price: maker.price,
                quantity: Quantity::new(quantity).expect("fills are non-empty"),
                quote_consumed: amount(product(quantity, maker.price.get())),
                quote_released,
            });
            left -= quantity;
            let maker_left = maker.remaining.get() - quantity;
            if maker_left == 0 {
                self.resting.remove(i);
            } else {
                let as_new = NewOrder {
                    id: maker.id,
                    wallet: maker.wallet,
                    side: maker.side,
                    price: maker.price,
                    quantity: maker.remaining,
                    sequence: maker.sequence,
                };
                self.resting[i] = resting(&as_new, maker_left);
            }
        }

        let remainder = (left > 0).then(|| resting(&order, left));
        let (resting, cancelled) = match remainder {
            None => (None, None),
            Some(rest) if self_trade => (
                None,
                Some(CancelledRemainder {
                    quantity: rest.remaining,
                    released: rest.locked,
                    reason: CancelReason::SelfTradePrevention,
                }),
            ),
            Some(rest) => {
                self.resting.push(rest);
                (Some(rest), None)
            }
        };
        Ok(Placement {
            locked: resting_lock(&order, order.quantity.get()),
            fills,
            resting,
            cancelled,
        })
    }

    fn cancel(&mut self, id: OrderId) -> Option<Cancelled> {
        let i = self.resting.iter().position(|r| r.id == id)?;
        let order = self.resting.remove(i);
        Some(Cancelled {
            order,
            released: order.locked,
        })
    }

    fn book(&self, side: Side) -> Vec<RestingOrder> {
        let mut orders: Vec<_> = self
            .resting
            .iter()
            .filter(|r| r.side == side)
            .copied()
            .collect();
        orders.sort_by_key(priority);
        orders
    }

    fn depth(&self, side: Side) -> Vec<DepthLevel> {
        let mut levels: Vec<DepthLevel> = Vec::new();
        for order in self.book(side) {
            match levels.last_mut() {
                Some(level) if level.price == order.price => {
                    level.quantity += u128::from(order.remaining.get());
                    level.orders += 1;
                }
                _ => levels.push(DepthLevel {
                    price: order.price,
                    quantity: u128::from(order.remaining.get()),
                    orders: 1,
                }),
            }
        }
        levels
    }
}

fn resting_lock(order: &NewOrder, quantity: u64) -> Lock {
    resting(order, quantity).locked
}

/// Balances as the storage layer would keep them, moved only by what the engine reports:
/// locks taken at placement, consumed and released by fills, released by cancels.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Balances {
    asset_locked: u128,
    quote_locked: u128,
    /// Net change since the start, booked from the fills independently of the settlement.
    asset: i128,
    quote: i128,
}

#[derive(Debug, Default)]
struct Ledger {
    wallets: HashMap<WalletId, Balances>,
}

impl Ledger {
    fn lock(&mut self, wallet: WalletId, lock: Lock) {
        let balances = self.wallets.entry(wallet).or_default();
        match lock {
            Lock::Quote(amount) => balances.quote_locked += u128::from(amount),
            Lock::Asset(amount) => balances.asset_locked += u128::from(amount),
        }
    }

    fn unlock(&mut self, wallet: WalletId, lock: Lock) {
        let balances = self.wallets.entry(wallet).or_default();
        let held = match lock {
            Lock::Quote(_) => &mut balances.quote_locked,
            Lock::Asset(_) => &mut balances.asset_locked,
        };
        *held = held
            .checked_sub(u128::from(lock.amount()))
            .unwrap_or_else(|| panic!("{wallet} released {lock:?} it never locked"));
    }

    fn placed(&mut self, order: &NewOrder, placement: &Placement) {
        self.lock(order.wallet, placement.locked);
        for fill in &placement.fills {
            for side in [Side::Buy, Side::Sell] {
                let wallet = if side == fill.taker_side {
                    fill.taker_wallet
                } else {
                    fill.maker_wallet
                };
                self.unlock(wallet, fill.consumed(side));
                self.unlock(wallet, fill.released(side));
            }
            // Each leg is booked from a different source, so conservation below checks that
            // the engine's lock movements agree with quantity × price.
            let delivered = i128::from(fill.consumed(Side::Sell).amount());
            let received = i128::from(fill.quantity.get());
            let paid = i128::from(fill.consumed(Side::Buy).amount());
            let earned = i128::try_from(product(fill.quantity.get(), fill.price.get())).unwrap();
            let buyer = self.wallets.entry(fill.buyer()).or_default();
            buyer.asset += received;
            buyer.quote -= paid;
            let seller = self.wallets.entry(fill.seller()).or_default();
            seller.asset -= delivered;
            seller.quote += earned;
        }
        if let Some(cancelled) = placement.cancelled {
            self.unlock(order.wallet, cancelled.released);
        }
    }
}

/// Each wallet's two balance rows as the store keeps them, moved only by [`Settlement`] and
/// cancels. Unlike [`Ledger`] they start funded and refuse what a wallet cannot pay for, so
/// they check that supply and quote are conserved and no balance ever goes negative.
const START_QUOTE: i128 = 200_000;
const START_ASSET: i128 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    total: i128,
    locked: i128,
}

#[derive(Debug)]
struct Holdings {
    quote: HashMap<WalletId, Row>,
    asset: HashMap<WalletId, Row>,
}

impl Holdings {
    fn funded() -> Self {
        let rows = |total| {
            (0..WALLETS)
                .map(|w| (wallet(w), Row { total, locked: 0 }))
                .collect()
        };
        Self {
            quote: rows(START_QUOTE),
            asset: rows(START_ASSET),
        }
    }

    fn rows(&mut self, lock: Lock) -> &mut HashMap<WalletId, Row> {
        match lock {
            Lock::Quote(_) => &mut self.quote,
            Lock::Asset(_) => &mut self.asset,
        }
    }

    /// Whether the wallet's available balance covers the lock, as the store checks first.
    fn covers(&mut self, wallet: WalletId, lock: Lock) -> bool {
        let row = self.rows(lock)[&wallet];
        row.total - row.locked >= i128::from(lock.amount())
    }

    fn change(rows: &mut HashMap<WalletId, Row>, wallet: WalletId, change: BalanceChange) {
        let row = rows.get_mut(&wallet).expect("every wallet is funded");
        row.total += change.total;
        row.locked += change.locked;
        assert!(
            0 <= row.locked && row.locked <= row.total,
            "{wallet} out of bounds: {row:?}"
        );
    }

    fn settle(&mut self, settlement: &Settlement) {
        for (wallet, change) in &settlement.quote {
            Self::change(&mut self.quote, *wallet, *change);
        }
        for (wallet, change) in &settlement.asset {
            Self::change(&mut self.asset, *wallet, *change);
        }
    }

    fn release(&mut self, wallet: WalletId, lock: Lock) {
        let change = BalanceChange {
            total: 0,
            locked: -i128::from(lock.amount()),
        };
        Self::change(self.rows(lock), wallet, change);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Place {
        wallet: u8,
        side: Side,
        price: u64,
        quantity: u64,
    },
    /// Cancels one of the ids placed so far, which may since have filled or been cancelled.
    Cancel(Index),
}

fn op() -> impl Strategy<Value = Op> {
    let side = prop_oneof![Just(Side::Buy), Just(Side::Sell)];
    prop_oneof![
        4 => (0..WALLETS, side, PRICES, QUANTITIES).prop_map(|(wallet, side, price, quantity)| {
            Op::Place { wallet, side, price, quantity }
        }),
        1 => any::<Index>().prop_map(Op::Cancel),
    ]
}

fn wallet(n: u8) -> WalletId {
    WalletId::from_uuid(Uuid::from_u128(1_000 + u128::from(n)))
}

fn order_id(sequence: u64) -> OrderId {
    OrderId::from_uuid(Uuid::from_u128(u128::from(sequence)))
}

/// Runs `ops`, checking funds and locks after every step and comparing the whole book with
/// the reference every `compare_every` steps and at the end.
fn run(ops: &[Op], compare_every: u64) {
    let mut book = OrderBook::new();
    let mut reference = Reference::default();
    let mut ledger = Ledger::default();
    let mut holdings = Holdings::funded();
    let mut placed = Vec::new();

    for (step, op) in (1..).zip(ops) {
        match *op {
            Op::Place {
                wallet: w,
                side,
                price,
                quantity,
            } => {
                let order = NewOrder {
                    id: order_id(step),
                    wallet: wallet(w),
                    side,
                    price: Price::new(price).unwrap(),
                    quantity: Quantity::new(quantity).unwrap(),
                    sequence: step,
                };
                // A wallet that cannot cover the lock is refused before the book sees it.
                if !order
                    .lock()
                    .is_ok_and(|lock| holdings.covers(order.wallet, lock))
                {
                    continue;
                }
                placed.push(order.id);
                let placement = book.place(order);
                assert_eq!(placement, reference.place(order), "step {step}: {order:?}");
                let placement = placement.unwrap();
                assert!(
                    placement
                        .fills
                        .iter()
                        .all(|f| f.maker_wallet != f.taker_wallet),
                    "step {step}: a wallet traded with itself"
                );
                ledger.placed(&order, &placement);
                let settlement = Settlement::of(&order, &placement);
                holdings.settle(&settlement);
            }
            Op::Cancel(index) => {
                let id = if placed.is_empty() {
                    order_id(u64::MAX)
                } else {
                    placed[index.index(placed.len())]
                };
                let cancelled = book.cancel(id);
                assert_eq!(cancelled, reference.cancel(id), "step {step}: cancel {id}");
                if let Some(cancelled) = cancelled {
                    assert_eq!(cancelled.released, cancelled.order.locked);
                    ledger.unlock(cancelled.order.wallet, cancelled.released);
                    holdings.release(cancelled.order.wallet, cancelled.released);
                }
            }
        }
        check_funds(step, &book, &ledger, &holdings);
        if step % compare_every == 0 {
            compare_books(step, &book, &reference);
        }
    }
    compare_books(u64::MAX, &book, &reference);
    check_rebuild(&book);
}

fn compare_books(step: u64, book: &OrderBook, reference: &Reference) {
    for side in [Side::Buy, Side::Sell] {
        let engine: Vec<_> = book.orders(side).copied().collect();
        assert_eq!(engine, reference.book(side), "step {step}: {side} book");
    }
    assert_eq!(book.len(), reference.resting.len(), "step {step}");
    let depth = book.depth(usize::MAX);
    assert_eq!(
        depth.bids,
        reference.depth(Side::Buy),
        "step {step}: bid depth"
    );
    assert_eq!(
        depth.asks,
        reference.depth(Side::Sell),
        "step {step}: ask depth"
    );
}

fn check_funds(step: u64, book: &OrderBook, ledger: &Ledger, holdings: &Holdings) {
    if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
        assert!(bid < ask, "step {step}: crossed at {bid} / {ask}");
    }

    // Per wallet, what the ledger says is locked is exactly what its resting orders hold.
    let mut held: HashMap<WalletId, (u128, u128)> = HashMap::new();
    for order in book.orders(Side::Buy).chain(book.orders(Side::Sell)) {
        let (asset, quote) = held.entry(order.wallet).or_default();
        match order.locked {
            Lock::Asset(amount) => *asset += u128::from(amount),
            Lock::Quote(amount) => *quote += u128::from(amount),
        }
    }
    for (wallet, balances) in &ledger.wallets {
        let (asset, quote) = held.get(wallet).copied().unwrap_or_default();
        assert_eq!(
            (balances.asset_locked, balances.quote_locked),
            (asset, quote),
            "step {step}: locks of {wallet}"
        );
    }
    for n in 0..WALLETS {
        let w = wallet(n);
        let (asset, quote) = held.get(&w).copied().unwrap_or_default();
        let locked = (holdings.asset[&w].locked, holdings.quote[&w].locked);
        assert_eq!(
            locked,
            (asset.try_into().unwrap(), quote.try_into().unwrap()),
            "step {step}: balance locks of {w}"
        );
    }

    // Available plus locked, over all wallets, is the supply of each currency.
    let supply = |rows: &HashMap<WalletId, Row>| rows.values().map(|row| row.total).sum::<i128>();
    let wallets = i128::from(WALLETS);
    assert_eq!(
        supply(&holdings.asset),
        wallets * START_ASSET,
        "step {step}: asset supply"
    );
    assert_eq!(
        supply(&holdings.quote),
        wallets * START_QUOTE,
        "step {step}: quote supply"
    );

    // Fills only move the asset and the quote between wallets: none is created or lost.
    let asset: i128 = ledger.wallets.values().map(|b| b.asset).sum();
    let quote: i128 = ledger.wallets.values().map(|b| b.quote).sum();
    assert_eq!((asset, quote), (0, 0), "step {step}: funds not conserved");
}

/// Placing the resting orders again, in sequence order and with what they have left, gives
/// the same book: what the storage layer does after a restart.
fn check_rebuild(book: &OrderBook) {
    let mut open: Vec<_> = book
        .orders(Side::Buy)
        .chain(book.orders(Side::Sell))
        .copied()
        .collect();
    open.sort_by_key(|order| order.sequence);
    let mut rebuilt = OrderBook::new();
    for order in open {
        let placement = rebuilt
            .place(NewOrder {
                id: order.id,
                wallet: order.wallet,
                side: order.side,
                price: order.price,
                quantity: order.remaining,
                sequence: order.sequence,
            })
            .unwrap();
        assert!(placement.fills.is_empty() && placement.cancelled.is_none());
        assert_eq!(placement.resting, Some(order));
    }
    for side in [Side::Buy, Side::Sell] {
        assert!(
            book.orders(side).eq(rebuilt.orders(side)),
            "{side} book rebuilt differently"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn engine_agrees_with_the_reference_after_every_step(
        ops in prop::collection::vec(op(), OPS_PER_CASE),
    ) {
        run(&ops, 1);
    }
}

/// One book through 100,000 operations in a row: the depth and churn that many short
/// cases never reach. Seeded, so a failure reproduces.
#[test]
fn one_hundred_thousand_operations_in_one_book() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(ProptestConfig::default(), rng);
    let ops = prop::collection::vec(op(), 100_000)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    run(&ops, 1_000);
}

#[test]
fn reference_agrees_on_the_golden_case() {
    let ops: Vec<_> = [(1, 1599, 10), (2, 1600, 7), (3, 1600, 3), (1, 1605, 20)]
        .into_iter()
        .map(|(wallet, price, quantity)| Op::Place {
            wallet,
            side: Side::Sell,
            price,
            quantity,
        })
        .chain([Op::Place {
            wallet: 0,
            side: Side::Buy,
            price: 1605,
            quantity: 40,
        }])
        .collect();
    run(&ops, 1);
}
