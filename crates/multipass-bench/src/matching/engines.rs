//! The three engines behind one interface: each converts the stream into its own input
//! type before the clock starts, replays it on a fresh book, and describes the book it
//! ended with, so the benchmark can check that all of them matched the same trades.
//!
//! Each replay loop is its own `#[inline(never)]` function, named `replay_<engine>`, so
//! that `valgrind --tool=callgrind --toggle-collect='*replay_<engine>*'` counts the
//! instructions of exactly that loop.

use super::stream::{Op, Order, order_id};
use anyhow::{Context as _, Result};
use clap::ValueEnum;
use multipass_domain::market::{self, OrderBook, OrderId, Side};
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// `multipass_domain::market::OrderBook`.
    Multipass,
    /// `lobster` 0.7.
    Lobster,
    /// `orderbook-rs` 0.15.
    OrderbookRs,
}

impl Engine {
    pub const ALL: [Self; 3] = [Self::Multipass, Self::Lobster, Self::OrderbookRs];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Multipass => "multipass",
            Self::Lobster => "lobster",
            Self::OrderbookRs => "orderbook-rs",
        }
    }

    /// The function `valgrind --toggle-collect` counts.
    pub const fn replay_symbol(self) -> &'static str {
        match self {
            Self::Multipass => "replay_multipass",
            Self::Lobster => "replay_lobster",
            Self::OrderbookRs => "replay_orderbook_rs",
        }
    }
}

/// The resting side of a book after a replay, summed. Equal across engines when they
/// matched the stream alike; lobster keeps no order count, so only sums and best prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BookSummary {
    pub best_bid: Option<u64>,
    pub best_ask: Option<u64>,
    pub bid_quantity: u128,
    pub ask_quantity: u128,
}

/// A stream converted into one engine's inputs.
pub enum Prepared {
    Multipass(Vec<MultipassOp>),
    Lobster(Vec<lobster::OrderType>),
    OrderbookRs(Vec<OrderbookRsOp>),
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (engine, len) = match self {
            Self::Multipass(ops) => ("multipass", ops.len()),
            Self::Lobster(ops) => ("lobster", ops.len()),
            Self::OrderbookRs(ops) => ("orderbook-rs", ops.len()),
        };
        write!(f, "Prepared({engine}, {len} operations)")
    }
}

#[derive(Debug, Clone, Copy)]
pub enum MultipassOp {
    Place(market::NewOrder),
    Cancel(OrderId),
}

#[derive(Debug, Clone, Copy)]
pub enum OrderbookRsOp {
    Place {
        id: orderbook_rs::Id,
        price: u128,
        quantity: u64,
        side: orderbook_rs::Side,
    },
    Cancel(orderbook_rs::Id),
}

pub fn prepare(engine: Engine, ops: &[Op]) -> Result<Prepared> {
    Ok(match engine {
        Engine::Multipass => Prepared::Multipass(
            ops.iter()
                .map(|op| {
                    Ok(match *op {
                        Op::Place(order) => MultipassOp::Place(order.new_order()?),
                        Op::Cancel { id } => MultipassOp::Cancel(order_id(id)),
                    })
                })
                .collect::<Result<_>>()?,
        ),
        Engine::Lobster => Prepared::Lobster(
            ops.iter()
                .map(|op| match *op {
                    Op::Place(Order {
                        id,
                        side,
                        price,
                        quantity,
                        ..
                    }) => lobster::OrderType::Limit {
                        id: u128::from(id),
                        side: match side {
                            Side::Buy => lobster::Side::Bid,
                            Side::Sell => lobster::Side::Ask,
                        },
                        qty: quantity,
                        price,
                    },
                    Op::Cancel { id } => lobster::OrderType::Cancel { id: u128::from(id) },
                })
                .collect(),
        ),
        Engine::OrderbookRs => Prepared::OrderbookRs(
            ops.iter()
                .map(|op| match *op {
                    Op::Place(Order {
                        id,
                        side,
                        price,
                        quantity,
                        ..
                    }) => OrderbookRsOp::Place {
                        id: orderbook_rs::Id::from_u64(id),
                        price: u128::from(price),
                        quantity,
                        side: match side {
                            Side::Buy => orderbook_rs::Side::Buy,
                            Side::Sell => orderbook_rs::Side::Sell,
                        },
                    },
                    Op::Cancel { id } => OrderbookRsOp::Cancel(orderbook_rs::Id::from_u64(id)),
                })
                .collect(),
        ),
    })
}

/// What one replay took: wall time, and the CPU time of this thread, which leaves out the
/// time the scheduler gave to other processes on a shared machine.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub wall: Duration,
    /// `None` when not asked for.
    pub cpu: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    wall: Instant,
    cpu: Option<Duration>,
}

fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or_default(),
        u32::try_from(t.tv_nsec).unwrap_or_default(),
    )
}

impl Clock {
    fn start(cpu: CpuClock) -> Self {
        let cpu = (cpu == CpuClock::On).then(thread_cpu);
        Self {
            wall: Instant::now(),
            cpu,
        }
    }

    fn stop(self) -> Timing {
        let wall = self.wall.elapsed();
        Timing {
            wall,
            cpu: self.cpu.map(|start| thread_cpu().saturating_sub(start)),
        }
    }
}

/// Whether a replay also reads the thread's CPU clock. Off under valgrind: rustix reads
/// the clock through the vDSO, whose set-up crashes there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuClock {
    On,
    Off,
}

/// One timed replay on a fresh book: the time of the loop alone, then the book's summary.
/// Building the empty book, and dropping the full one, stay outside the clock.
pub fn replay(prepared: &Prepared, cpu: CpuClock) -> Result<(Timing, BookSummary)> {
    match prepared {
        Prepared::Multipass(ops) => {
            let mut book = OrderBook::new();
            let clock = Clock::start(cpu);
            replay_multipass(&mut book, ops)?;
            let elapsed = clock.stop();
            Ok((elapsed, multipass_summary(&book)?))
        }
        Prepared::Lobster(ops) => {
            let mut book = lobster::OrderBook::default();
            let clock = Clock::start(cpu);
            replay_lobster(&mut book, ops);
            let elapsed = clock.stop();
            Ok((elapsed, lobster_summary(&book)))
        }
        Prepared::OrderbookRs(ops) => {
            let book = orderbook_rs::OrderBook::<()>::new("BENCH");
            let clock = Clock::start(cpu);
            replay_orderbook_rs(&book, ops)?;
            let elapsed = clock.stop();
            Ok((elapsed, orderbook_rs_summary(&book)?))
        }
    }
}

#[inline(never)]
fn replay_multipass(book: &mut OrderBook, ops: &[MultipassOp]) -> Result<()> {
    for op in ops {
        match *op {
            MultipassOp::Place(order) => {
                black_box(book.place(order).context("multipass refused an order")?);
            }
            MultipassOp::Cancel(id) => {
                black_box(book.cancel(id));
            }
        }
    }
    Ok(())
}

#[inline(never)]
fn replay_lobster(book: &mut lobster::OrderBook, ops: &[lobster::OrderType]) {
    for op in ops {
        black_box(book.execute(*op));
    }
}

#[inline(never)]
fn replay_orderbook_rs(book: &orderbook_rs::OrderBook<()>, ops: &[OrderbookRsOp]) -> Result<()> {
    for op in ops {
        match *op {
            OrderbookRsOp::Place {
                id,
                price,
                quantity,
                side,
            } => {
                black_box(
                    book.add_limit_order(
                        id,
                        price,
                        quantity,
                        side,
                        orderbook_rs::TimeInForce::Gtc,
                        None,
                    )
                    .context("orderbook-rs refused an order")?,
                );
            }
            OrderbookRsOp::Cancel(id) => {
                black_box(
                    book.cancel_order(id)
                        .context("orderbook-rs refused a cancel")?,
                );
            }
        }
    }
    Ok(())
}

fn multipass_summary(book: &OrderBook) -> Result<BookSummary> {
    let depth = book.depth(usize::MAX);
    let sum = |levels: &[market::DepthLevel]| levels.iter().map(|l| l.quantity).sum();
    Ok(BookSummary {
        best_bid: book.best_bid().map(market::Price::get),
        best_ask: book.best_ask().map(market::Price::get),
        bid_quantity: sum(&depth.bids),
        ask_quantity: sum(&depth.asks),
    })
}

fn lobster_summary(book: &lobster::OrderBook) -> BookSummary {
    // Lobster's depth lists every level whatever the argument, which only sizes the
    // vectors it returns (so `usize::MAX` would overflow their capacity).
    let depth = book.depth(0);
    let sum = |levels: &[lobster::BookLevel]| levels.iter().map(|l| u128::from(l.qty)).sum();
    BookSummary {
        best_bid: book.max_bid(),
        best_ask: book.min_ask(),
        bid_quantity: sum(&depth.bids),
        ask_quantity: sum(&depth.asks),
    }
}

fn orderbook_rs_summary(book: &orderbook_rs::OrderBook<()>) -> Result<BookSummary> {
    let mut summary = BookSummary {
        best_bid: book.best_bid().map(u64::try_from).transpose()?,
        best_ask: book.best_ask().map(u64::try_from).transpose()?,
        bid_quantity: 0,
        ask_quantity: 0,
    };
    for order in book.get_all_orders() {
        let quantity = u128::from(order.visible_quantity().as_u64());
        match order.side() {
            orderbook_rs::Side::Buy => summary.bid_quantity += quantity,
            orderbook_rs::Side::Sell => summary.ask_quantity += quantity,
        }
    }
    Ok(summary)
}
