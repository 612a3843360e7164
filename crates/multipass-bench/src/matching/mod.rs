//! The matching engine in memory, on one thread, against the published Rust order books
//! `lobster` and `orderbook-rs`, all fed the same recorded stream in the same run.

pub mod engines;
pub mod stream;

use crate::stats::{Summary, ratio};
use anyhow::{Context as _, Result, bail, ensure};
use engines::{BookSummary, CpuClock, Engine};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const DEFAULT_OPERATIONS: usize = 2_000_000;
pub const DEFAULT_SEED: u64 = 0x4D50_0B00_C0DE_0001;
/// Operations replayed under callgrind, from the start of the stream: about 50 times
/// slower than native, so a prefix keeps the count to a minute or so per engine.
pub const DEFAULT_CALLGRIND_OPERATIONS_TEXT: &str = "300000";

#[derive(Debug, Clone)]
pub struct Config {
    pub operations: usize,
    pub seed: u64,
    /// Resting orders the generated book is held near.
    pub depth: usize,
    /// Where the stream is kept; by default a file in the temporary folder named after the
    /// seed and length, reused by later runs.
    pub ops_file: Option<PathBuf>,
    pub runs: usize,
    /// Also count instructions under `valgrind --tool=callgrind`, over this many operations.
    pub callgrind_operations: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct EngineReport {
    pub engine: Engine,
    /// Operations per second of wall time, one sample per run.
    pub ops_per_sec: Summary,
    /// Operations per second of the replaying thread's CPU time: what the engine does when
    /// it has a core to itself, less sensitive to a busy machine than the wall figure.
    pub ops_per_cpu_sec: Summary,
    /// Instructions per operation under callgrind, if counted.
    pub callgrind_instructions_per_op: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct MatchingReport {
    pub ops_file: PathBuf,
    pub seed: u64,
    pub fingerprint: String,
    pub stream: stream::StreamStats,
    /// What every engine's book held at the end of every replay; identical by construction.
    pub final_book: BookSummary,
    pub engines: Vec<EngineReport>,
    /// Ours over theirs, of the medians.
    pub ratio_to_lobster: Option<f64>,
    pub ratio_to_orderbook_rs: Option<f64>,
    pub callgrind_operations: Option<usize>,
    pub callgrind_ratio_lobster_to_ours: Option<f64>,
    pub callgrind_ratio_orderbook_rs_to_ours: Option<f64>,
}

impl MatchingReport {
    pub fn engine(&self, engine: Engine) -> Option<&EngineReport> {
        self.engines.iter().find(|e| e.engine == engine)
    }
}

fn default_ops_file(config: &Config) -> PathBuf {
    std::env::temp_dir().join(format!(
        "multipass-bench-ops-v{}-{:016x}-{}-{}.bin",
        stream::GENERATOR_VERSION,
        config.seed,
        config.operations,
        config.depth
    ))
}

/// The stream in the file, generating and writing it first if there is none yet. What is
/// returned is always what the file holds.
fn load_stream(config: &Config) -> Result<(PathBuf, u64, Vec<stream::Op>)> {
    let path = config
        .ops_file
        .clone()
        .unwrap_or_else(|| default_ops_file(config));
    if path.exists() {
        eprintln!("matching: replaying the stream in {}", path.display());
    } else {
        eprintln!(
            "matching: generating {} operations from seed {:#x} into {}",
            config.operations,
            config.seed,
            path.display()
        );
        let ops = stream::generate(config.seed, config.operations, config.depth)?;
        stream::write(&path, config.seed, &ops)?;
    }
    let (seed, ops) = stream::read(&path)?;
    ensure!(!ops.is_empty(), "{} holds no operations", path.display());
    Ok((path, seed, ops))
}

pub fn run(config: &Config) -> Result<MatchingReport> {
    let (path, seed, ops) = load_stream(config)?;
    let stats = stream::describe(&ops)?;
    let prepared = Engine::ALL
        .iter()
        .map(|&engine| Ok((engine, engines::prepare(engine, &ops)?)))
        .collect::<Result<Vec<_>>>()?;

    // One unrecorded replay each: it faults in the allocator's memory, and its final book
    // is the reference every later replay must reproduce.
    let mut reference: Option<BookSummary> = None;
    for (engine, input) in &prepared {
        let (_, book) = engines::replay(input, CpuClock::On)?;
        check_same_book(*engine, &book, &mut reference)?;
    }
    let final_book = reference.context("no engine ran")?;

    let count = u32::try_from(ops.len()).map_or(f64::from(u32::MAX), f64::from);
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); prepared.len()];
    let mut cpu_samples: Vec<Vec<f64>> = vec![Vec::new(); prepared.len()];
    for round in 0..config.runs {
        // Interleaved, so that a neighbour's build slowing the machine down lands on all.
        for (at, (engine, input)) in prepared.iter().enumerate() {
            let (timing, book) = engines::replay(input, CpuClock::On)?;
            check_same_book(*engine, &book, &mut Some(final_book))?;
            let ops_per_sec = count / timing.wall.as_secs_f64();
            let cpu = timing.cpu.context("the replay read no CPU clock")?;
            let ops_per_cpu_sec = count / cpu.as_secs_f64();
            eprintln!(
                "matching: run {}/{} {:<13} {:>6.2} M ops/s, {:>6.2} M ops per CPU second",
                round + 1,
                config.runs,
                engine.name(),
                ops_per_sec / 1e6,
                ops_per_cpu_sec / 1e6
            );
            samples[at].push(ops_per_sec);
            cpu_samples[at].push(ops_per_cpu_sec);
        }
    }
    drop(prepared);

    let mut reports = Vec::new();
    for ((engine, samples), cpu_samples) in Engine::ALL.iter().zip(&samples).zip(&cpu_samples) {
        let callgrind_instructions_per_op = match config.callgrind_operations {
            Some(n) => Some(callgrind(*engine, &path, n.min(ops.len()))?),
            None => None,
        };
        reports.push(EngineReport {
            engine: *engine,
            ops_per_sec: Summary::of(samples)
                .with_context(|| format!("no {} runs were recorded", engine.name()))?,
            ops_per_cpu_sec: Summary::of(cpu_samples)
                .with_context(|| format!("no {} runs were recorded", engine.name()))?,
            callgrind_instructions_per_op,
        });
    }
    let median = |engine: Engine| {
        reports
            .iter()
            .find(|r| r.engine == engine)
            .map_or(0.0, |r| r.ops_per_sec.median)
    };
    let instructions = |engine: Engine| {
        reports
            .iter()
            .find(|r| r.engine == engine)
            .and_then(|r| r.callgrind_instructions_per_op)
    };
    let ours = median(Engine::Multipass);
    let callgrind_ratio = |other: Engine| {
        instructions(other)
            .zip(instructions(Engine::Multipass))
            .and_then(|(theirs, ours)| ratio(theirs, ours))
    };
    Ok(MatchingReport {
        ops_file: path,
        seed,
        fingerprint: format!("{:016x}", stream::fingerprint(&ops)),
        stream: stats,
        final_book,
        ratio_to_lobster: ratio(ours, median(Engine::Lobster)),
        ratio_to_orderbook_rs: ratio(ours, median(Engine::OrderbookRs)),
        callgrind_operations: config.callgrind_operations.map(|n| n.min(ops.len())),
        callgrind_ratio_lobster_to_ours: callgrind_ratio(Engine::Lobster),
        callgrind_ratio_orderbook_rs_to_ours: callgrind_ratio(Engine::OrderbookRs),
        engines: reports,
    })
}

/// An engine that ends with another book matched differently, or was fed differently: its
/// speed would not be comparable, so the benchmark stops.
fn check_same_book(
    engine: Engine,
    book: &BookSummary,
    reference: &mut Option<BookSummary>,
) -> Result<()> {
    match reference {
        None => *reference = Some(*book),
        Some(expected) if expected == book => {}
        Some(expected) => bail!(
            "{} ended with another book than the others ({book:?} against {expected:?}); the replays are not comparable",
            engine.name()
        ),
    }
    Ok(())
}

/// What `--replay` does, in the child that callgrind watches: one replay of the first
/// `operations` of the stream, with nothing else around it worth counting.
pub fn replay_once(engine: Engine, ops_file: &Path, operations: usize) -> Result<()> {
    let (_, mut ops) = stream::read(ops_file)?;
    ops.truncate(operations);
    let input = engines::prepare(engine, &ops)?;
    engines::replay(&input, CpuClock::Off)?;
    Ok(())
}

/// Instructions per operation of `engine`'s replay loop, counted by callgrind in a child
/// run of this same binary.
fn callgrind(engine: Engine, ops_file: &Path, operations: usize) -> Result<f64> {
    let dir = tempfile::Builder::new()
        .prefix("multipass-bench-callgrind-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let out = dir.path().join(format!("callgrind.{}.out", engine.name()));
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    eprintln!(
        "matching: counting instructions of {} under callgrind ({operations} operations)",
        engine.name()
    );
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(format!("--toggle-collect=*{}*", engine.replay_symbol()))
        .arg("--quiet")
        .arg(exe)
        .arg("--replay")
        .arg(engine.name())
        .arg("--ops-file")
        .arg(ops_file)
        .arg("--replay-ops")
        .arg(operations.to_string())
        .status()
        .context("cannot run valgrind (install the valgrind package, or leave out --callgrind)")?;
    if !status.success() {
        bail!(
            "valgrind --tool=callgrind failed for {}: {status}",
            engine.name()
        );
    }
    let text = std::fs::read_to_string(&out)
        .with_context(|| format!("callgrind wrote no {}", out.display()))?;
    let total =
        callgrind_total(&text).with_context(|| format!("{} has no totals line", out.display()))?;
    ensure!(
        total > 0,
        "callgrind counted no instructions in {}; was the function inlined?",
        engine.replay_symbol()
    );
    let operations = u32::try_from(operations).map_or(f64::from(u32::MAX), f64::from);
    // Below 2^53 instructions, the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let per_op = total as f64 / operations;
    Ok(per_op)
}

/// The instruction count from a callgrind output file: `totals:` if present (the events
/// collected), else `summary:`.
fn callgrind_total(text: &str) -> Option<u64> {
    let line = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    };
    line("totals:").or_else(|| line("summary:"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn callgrind_totals_are_read_from_either_line() {
        assert_eq!(
            callgrind_total("events: Ir\nfn=x\n1 2\ntotals: 12345\n"),
            Some(12345)
        );
        assert_eq!(callgrind_total("summary: 77\n"), Some(77));
        assert_eq!(callgrind_total("events: Ir\n"), None);
    }

    #[test]
    fn every_engine_ends_with_the_same_book() {
        let ops = stream::generate(5, 20_000, 300).unwrap();
        let mut reference = None;
        for engine in Engine::ALL {
            let input = engines::prepare(engine, &ops).unwrap();
            let (_, book) = engines::replay(&input, CpuClock::On).unwrap();
            check_same_book(engine, &book, &mut reference).unwrap();
        }
        let book = reference.unwrap();
        assert!(book.bid_quantity > 0 && book.ask_quantity > 0);
        assert!(book.best_bid < book.best_ask);
    }

    #[test]
    fn a_different_book_stops_the_benchmark() {
        let book = BookSummary {
            best_bid: Some(99),
            best_ask: Some(101),
            bid_quantity: 5,
            ask_quantity: 7,
        };
        let mut reference = Some(book);
        let other = BookSummary {
            bid_quantity: 6,
            ..book
        };
        assert!(check_same_book(Engine::Lobster, &other, &mut reference).is_err());
        assert!(check_same_book(Engine::Lobster, &book, &mut reference).is_ok());
    }
}
