//! The recorded stream of place and cancel operations every engine replays.
//!
//! The stream is generated once from a seed, written to a file and read back, and every
//! engine is fed what was read, so all of them see byte for byte the same operations.

use anyhow::{Context as _, Result, bail, ensure};
use multipass_domain::market::{NewOrder, OrderBook, OrderId, Price, Quantity, Side, WalletId};
use serde::Serialize;
use std::io::{BufReader, BufWriter, Read as _, Write as _};
use std::path::Path;
use uuid::Uuid;

/// One operation of the stream. Order ids count up from 1 in placement order, so an id is
/// also the order's sequence; a cancel always names an order placed earlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Place(Order),
    Cancel { id: u64 },
}

/// A limit order of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: u64,
    /// Every order has its own wallet, so self-trade prevention never fires and engines
    /// without it match exactly the same trades (see [`Generator`]).
    pub wallet: u32,
    pub side: Side,
    pub price: u64,
    pub quantity: u64,
}

/// Ids as the engine's storage layer gives them: UUIDs. The number sits in the low bits.
pub fn order_id(id: u64) -> OrderId {
    OrderId::from_uuid(Uuid::from_u64_pair(0, id))
}

pub fn wallet_id(wallet: u32) -> WalletId {
    WalletId::from_uuid(Uuid::from_u64_pair(1, u64::from(wallet)))
}

impl Order {
    /// Our engine's input for this order.
    pub fn new_order(&self) -> Result<NewOrder> {
        let Self {
            id,
            wallet,
            side,
            price,
            quantity,
        } = *self;
        Ok(NewOrder {
            id: order_id(id),
            wallet: wallet_id(wallet),
            side,
            price: Price::new(price).with_context(|| format!("order {id}: price {price}"))?,
            quantity: Quantity::new(quantity)
                .with_context(|| format!("order {id}: quantity {quantity}"))?,
            sequence: id,
        })
    }
}

/// The mix. Prices are in ticks of one minor unit around a mid that drifts in a random
/// walk; passive orders rest up to `PASSIVE_TICKS` away from it on their own side,
/// aggressive ones (`AGGRESSIVE_PERCENT` of placements) reach up to `AGGRESSIVE_TICKS`
/// past it into the other side, so they cross whenever the best opposite price is within
/// reach. Passive orders close to the mid cross too once the mid has moved.
const AGGRESSIVE_PERCENT: u64 = 20;
const PASSIVE_TICKS: u64 = 40;
const AGGRESSIVE_TICKS: u64 = 8;
const MID_START: u64 = 100_000;
/// The mid stays within this band, so the walk cannot wander off to prices near zero.
const MID_BAND: (u64, u64) = (90_000, 110_000);
/// One placement in `MID_STEP_ONE_IN` moves the mid by one tick up or down.
const MID_STEP_ONE_IN: u64 = 32;
/// An operation is a cancel with this probability when the book holds `depth` orders, and
/// proportionally less or more (up to twice as likely) while it holds fewer or more. With a
/// fixed probability, cancels and fills drain the book faster than placements fill it, and
/// a book of a few dozen orders is no test of an engine; held near the target depth, the
/// mix settles at about 60 % placements and 40 % cancels.
const CANCEL_PERCENT: u64 = 40;
/// Resting orders the book is held near; levels near the spread then hold 100 or more.
pub const DEFAULT_DEPTH: usize = 10_000;
/// Part of the default stream file's name: a change to the generator changes the stream a
/// seed gives, so it must not reuse a file written by an earlier generator.
pub const GENERATOR_VERSION: u32 = 3;

/// SplitMix64: tiny, and its output for a seed never changes, unlike a library generator
/// whose algorithm may change between versions.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`; the modulo bias is below 2^-50 for these small spans.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    fn percent(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// Mostly small orders, some larger ones: 1–10 half of the time, up to 100 in 40 %,
    /// up to 1000 in 10 %.
    fn quantity(&mut self) -> u64 {
        match self.next() % 10 {
            0..=4 => self.between(1, 10),
            5..=8 => self.between(11, 100),
            _ => self.between(101, 1000),
        }
    }
}

/// What a stream looks like, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamStats {
    pub operations: usize,
    pub places: usize,
    pub cancels: usize,
    /// Placements that traded at least once.
    pub crossing_places: usize,
    pub fills: usize,
    /// Cancels that found their order resting: all of them in a generated stream.
    pub cancels_hit: usize,
    pub resting_at_end: usize,
    pub resting_max: usize,
}

/// Replays `ops` through our engine, untimed, and counts what happened.
pub fn describe(ops: &[Op]) -> Result<StreamStats> {
    let mut book = OrderBook::new();
    let mut stats = StreamStats {
        operations: ops.len(),
        ..StreamStats::default()
    };
    for op in ops {
        match *op {
            Op::Place(order) => {
                let placement = book
                    .place(order.new_order()?)
                    .with_context(|| format!("order {} is refused", order.id))?;
                stats.places += 1;
                stats.fills += placement.fills.len();
                stats.crossing_places += usize::from(!placement.fills.is_empty());
                stats.resting_max = stats.resting_max.max(book.len());
            }
            Op::Cancel { id } => {
                stats.cancels += 1;
                stats.cancels_hit += usize::from(book.cancel(order_id(id)).is_some());
            }
        }
    }
    stats.resting_at_end = book.len();
    Ok(stats)
}

/// Generates the stream. Which orders are still live when a cancel is drawn depends on the
/// matching, so the generator runs the stream through our engine as it goes; the replays
/// that are timed later do not use anything it kept.
#[derive(Debug)]
struct Generator {
    rng: SplitMix64,
    book: OrderBook,
    mid: u64,
    next_id: u64,
    /// Ids that rested at some point; filled or cancelled ones are dropped when drawn.
    candidates: Vec<u64>,
}

impl Generator {
    fn place(&mut self) -> Result<Op> {
        let id = self.next_id;
        self.next_id += 1;
        if self.rng.between(1, MID_STEP_ONE_IN) == 1 {
            self.mid = if self.rng.percent(50) {
                self.mid + 1
            } else {
                self.mid - 1
            }
            .clamp(MID_BAND.0, MID_BAND.1);
        }
        let side = if self.rng.percent(50) {
            Side::Buy
        } else {
            Side::Sell
        };
        // Positive: towards (and past) the other side.
        let reach = if self.rng.percent(AGGRESSIVE_PERCENT) {
            i64::try_from(self.rng.between(0, AGGRESSIVE_TICKS))?
        } else {
            -i64::try_from(self.rng.between(1, PASSIVE_TICKS))?
        };
        let price = match side {
            Side::Buy => self.mid.checked_add_signed(reach),
            Side::Sell => self.mid.checked_add_signed(-reach),
        }
        .context("a price left the range of u64")?;
        let quantity = self.rng.quantity();
        let wallet = u32::try_from(id).context("more orders than wallets")?;

        let order = Order {
            id,
            wallet,
            side,
            price,
            quantity,
        };
        let placement = self
            .book
            .place(order.new_order()?)
            .context("the generator's book refused an order")?;
        if placement.resting.is_some() {
            self.candidates.push(id);
        }
        Ok(Op::Place(order))
    }

    /// A uniformly drawn live order, or `None` if none rests.
    fn cancel(&mut self) -> Option<Op> {
        // Each miss removes a candidate, so this ends within `candidates.len()` draws.
        while !self.candidates.is_empty() {
            let len = u64::try_from(self.candidates.len()).ok()?;
            let at = usize::try_from(self.rng.next() % len).ok()?;
            let id = self.candidates.swap_remove(at);
            if self.book.cancel(order_id(id)).is_some() {
                return Some(Op::Cancel { id });
            }
        }
        None
    }
}

/// `operations` operations from `seed`: about 60 % placements and 40 % cancels of live
/// orders, on a book held near `depth` resting orders (a cancel drawn while the book is
/// empty becomes a placement).
pub fn generate(seed: u64, operations: usize, depth: usize) -> Result<Vec<Op>> {
    let depth = u64::try_from(depth.max(1))?;
    let mut generator = Generator {
        rng: SplitMix64(seed),
        book: OrderBook::new(),
        mid: MID_START,
        next_id: 1,
        candidates: Vec::new(),
    };
    let mut ops = Vec::with_capacity(operations);
    while ops.len() < operations {
        let resting = u64::try_from(generator.book.len())?.min(2 * depth);
        let draw = generator.rng.next() % (100 * depth);
        let cancel = if draw < CANCEL_PERCENT * resting {
            generator.cancel()
        } else {
            None
        };
        ops.push(match cancel {
            Some(op) => op,
            None => generator.place()?,
        });
    }
    Ok(ops)
}

const MAGIC: &[u8; 8] = b"MPOPS\x00\x00\x01";
const RECORD: usize = 32;
const KIND_BUY: u8 = 0;
const KIND_SELL: u8 = 1;
const KIND_CANCEL: u8 = 2;

/// Header: magic, seed, count (little-endian u64s). Then one 32-byte record per operation:
/// kind (u8), 3 bytes of zero, wallet (u32), id, price, quantity (u64); a cancel has zero
/// wallet, price and quantity.
pub fn write(path: &Path, seed: u64, ops: &[Op]) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot create the stream file {}", path.display()))?;
    let mut out = BufWriter::new(file);
    out.write_all(MAGIC)?;
    out.write_all(&seed.to_le_bytes())?;
    out.write_all(&u64::try_from(ops.len())?.to_le_bytes())?;
    for op in ops {
        out.write_all(&encode(op))?;
    }
    out.flush()
        .with_context(|| format!("cannot write the stream file {}", path.display()))
}

fn encode(op: &Op) -> [u8; RECORD] {
    let (kind, wallet, id, price, quantity) = match *op {
        Op::Place(order) => {
            let kind = match order.side {
                Side::Buy => KIND_BUY,
                Side::Sell => KIND_SELL,
            };
            (kind, order.wallet, order.id, order.price, order.quantity)
        }
        Op::Cancel { id } => (KIND_CANCEL, 0, id, 0, 0),
    };
    let mut record = [0_u8; RECORD];
    record[0] = kind;
    record[4..8].copy_from_slice(&wallet.to_le_bytes());
    record[8..16].copy_from_slice(&id.to_le_bytes());
    record[16..24].copy_from_slice(&price.to_le_bytes());
    record[24..32].copy_from_slice(&quantity.to_le_bytes());
    record
}

/// The stream in `path` and the seed it was generated from.
pub fn read(path: &Path) -> Result<(u64, Vec<Op>)> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the stream file {}", path.display()))?;
    let mut input = BufReader::new(file);
    let mut header = [0_u8; 24];
    input
        .read_exact(&mut header)
        .with_context(|| format!("{} is too short for a stream file", path.display()))?;
    ensure!(
        &header[..8] == MAGIC,
        "{} is not a stream file of this version",
        path.display()
    );
    let seed = u64::from_le_bytes(header[8..16].try_into()?);
    let count = usize::try_from(u64::from_le_bytes(header[16..24].try_into()?))?;
    let mut ops = Vec::with_capacity(count);
    let mut record = [0_u8; RECORD];
    for at in 0..count {
        input
            .read_exact(&mut record)
            .with_context(|| format!("{} ends at operation {at} of {count}", path.display()))?;
        let word = |from: usize| -> Result<u64> {
            Ok(u64::from_le_bytes(record[from..from + 8].try_into()?))
        };
        let id = word(8)?;
        let side = match record[0] {
            KIND_BUY => Side::Buy,
            KIND_SELL => Side::Sell,
            KIND_CANCEL => {
                ops.push(Op::Cancel { id });
                continue;
            }
            other => bail!("operation {at} has the unknown kind {other}"),
        };
        ops.push(Op::Place(Order {
            id,
            wallet: u32::from_le_bytes(record[4..8].try_into()?),
            side,
            price: word(16)?,
            quantity: word(24)?,
        }));
    }
    ensure!(
        input.read(&mut record)? == 0,
        "{} has data after its {count} operations",
        path.display()
    );
    Ok((seed, ops))
}

/// FNV-1a over the operations as written, so two reports can tell whether they replayed
/// the same stream.
pub fn fingerprint(ops: &[Op]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for op in ops {
        for byte in encode(op) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream_and_another_seed_another() {
        let a = generate(7, 5_000, 100).unwrap();
        let b = generate(7, 5_000, 100).unwrap();
        let c = generate(8, 5_000, 100).unwrap();
        assert_eq!(a, b);
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn the_mix_is_about_sixty_forty_and_a_good_share_crosses() {
        let ops = generate(1, 20_000, 200).unwrap();
        let stats = describe(&ops).unwrap();
        assert_eq!(stats.operations, ops.len());
        assert_eq!(
            stats.cancels_hit, stats.cancels,
            "every cancel finds its order"
        );
        assert_eq!(stats.places + stats.cancels, ops.len());
        let places = stats.places * 100 / ops.len();
        assert!((55..=67).contains(&places), "{places} % placements");
        let crossing = stats.crossing_places * 100 / stats.places;
        assert!((10..=40).contains(&crossing), "{crossing} % crossing");
        assert!(
            (100..=400).contains(&stats.resting_at_end),
            "{} resting",
            stats.resting_at_end
        );
    }

    #[test]
    fn cancels_name_orders_placed_before() {
        let ops = generate(3, 20_000, 200).unwrap();
        let mut placed = std::collections::HashSet::new();
        for op in &ops {
            match *op {
                Op::Place(order) => assert!(placed.insert(order.id)),
                Op::Cancel { id } => assert!(placed.contains(&id)),
            }
        }
    }

    #[test]
    fn a_written_stream_reads_back_identical() {
        let ops = generate(11, 3_000, 100).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.bin");
        write(&path, 11, &ops).unwrap();
        assert_eq!(read(&path).unwrap(), (11, ops));
    }

    #[test]
    fn a_damaged_stream_file_is_refused() {
        let ops = generate(11, 100, 10).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.bin");
        write(&path, 11, &ops).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(read(&path).is_err());
        let mut bad_kind = bytes.clone();
        bad_kind[24] = 9;
        std::fs::write(&path, &bad_kind).unwrap();
        assert!(read(&path).is_err());
        std::fs::write(&path, b"not a stream").unwrap();
        assert!(read(&path).is_err());
    }
}
