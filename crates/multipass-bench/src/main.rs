//! Side-by-side benchmarks of the Multipass desktop app.
//!
//! Each figure is paired with a baseline measured in the same run, with the two alternating
//! (A, B, A, B, ...) so that drift in the machine's speed lands on both:
//! start-up and memory against an empty Tauri window built with the same profile, and
//! sign-in latency against the bare Argon2id verification it cannot go below; the matching
//! engine against the published Rust order books `lobster` and `orderbook-rs` on one
//! recorded stream; `pgbench`, the yardstick for benchmarks of persisted operations, run
//! between them; and pgbench running a transfer's own statements, their ceiling.
//!
//! The start-up and memory benchmarks open real windows, so they need an X display; run as
//! `xvfb-run -a target/release/multipass-bench`. See docs/BENCHMARKS.md.

mod ceiling;
mod export;
mod matching;
mod memory;
mod mixed;
mod overhead;
mod pass;
mod persisted;
mod pg;
mod pgbench;
mod process;
mod signin;
mod start;
mod stats;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;

const START_RUNS: usize = 15;
const MEMORY_RUNS: usize = 7;
const SIGNIN_RUNS: usize = 60;
const MATCHING_RUNS: usize = 7;

const GOAL_START_RATIO: f64 = 1.3;
const GOAL_START_MEDIAN_MS: f64 = 1000.0;
const GOAL_MEMORY_RATIO: f64 = 1.5;
const GOAL_SIGNIN_RATIO: f64 = 1.10;
/// exchange-core's figure for one book; Liquibook reports 2–2.5 M inserts per second.
const GOAL_MATCHING_OPS_PER_SEC: f64 = 5e6;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Start-up, memory, sign-in and matching benchmarks of Multipass Desktop, each against its baseline, and the pgbench yardstick"
)]
struct Args {
    /// Runs per program and series (default: 15 for start, 7 for memory, 60 for sign-in,
    /// 7 for matching, 3 for pgbench).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    runs: Option<u16>,
    /// Run one benchmark only.
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Also write every figure, raw samples included, to this JSON file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// PostgreSQL server for the sign-in benchmark, e.g. postgresql://postgres@127.0.0.1:5432/postgres.
    /// A throwaway database is created on it and dropped afterwards.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pg_url: Option<String>,
    /// Matching: operations in the generated stream.
    #[arg(long, default_value_t = matching::DEFAULT_OPERATIONS, value_parser = parse_count)]
    ops: usize,
    /// Matching: seed of the generated stream.
    #[arg(long, default_value_t = matching::DEFAULT_SEED)]
    seed: u64,
    /// Matching: resting orders the generated book is held near.
    #[arg(long, default_value_t = matching::stream::DEFAULT_DEPTH, value_parser = parse_count)]
    depth: usize,
    /// Matching: the stream file to replay, written first if it does not exist (default: a
    /// file in the temporary folder named after --seed and --ops).
    #[arg(long, value_name = "FILE")]
    ops_file: Option<PathBuf>,
    /// Matching: also count instructions per operation of each engine under
    /// `valgrind --tool=callgrind`, over the first N operations of the stream.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = matching::DEFAULT_CALLGRIND_OPERATIONS_TEXT, value_parser = parse_count)]
    callgrind: Option<usize>,
    /// pgbench: client counts, one series each (`-c N -j N`).
    #[arg(long, value_delimiter = ',', default_values_t = pgbench::DEFAULT_CLIENTS.to_vec(), value_parser = clap::value_parser!(u16).range(1..))]
    pgbench_clients: Vec<u16>,
    /// pgbench: seconds per run (`-T`).
    #[arg(long, default_value_t = pgbench::DEFAULT_SECONDS, value_parser = clap::value_parser!(u32).range(1..))]
    pgbench_seconds: u32,
    /// pgbench: scale factor for `pgbench -i -s` (default: the largest client count).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pgbench_scale: Option<u32>,
    /// Persisted: orders and transfers traced one by one, before the measured runs, for
    /// the time spent in each part and the statements sent (0: none).
    #[arg(long, value_name = "N", default_value_t = 0)]
    breakdown: u64,
    /// Persisted: pool connections per client (1, as pgbench has). An operation has at most
    /// two statements in flight at once (the session check beside a look-up), which a
    /// desktop's own pool serves without waiting; 2 measures that.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    connections_per_client: u32,
    /// Mixed: simulated desktops, each with its own session, key and HTTPS connection.
    #[arg(long, default_value_t = mixed::DEFAULT_DESKTOPS, value_parser = parse_count)]
    desktops: usize,
    /// Mixed: seconds the desktops run.
    #[arg(long, default_value_t = mixed::DEFAULT_SECONDS, value_parser = clap::value_parser!(u32).range(1..))]
    mixed_seconds: u32,
    /// Export: wallet transactions inserted and exported.
    #[arg(long, default_value_t = export::DEFAULT_ROWS, value_parser = parse_count)]
    export_rows: usize,
    /// Internal: replay one engine once over --ops-file and exit (what callgrind watches).
    #[arg(long, value_enum, hide = true, requires = "ops_file")]
    replay: Option<matching::engines::Engine>,
    /// Internal: operations that --replay replays from the start of the stream.
    #[arg(long, hide = true, default_value_t = usize::MAX)]
    replay_ops: usize,
}

/// A positive count.
fn parse_count(text: &str) -> Result<usize, String> {
    match text.replace('_', "").parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    Start,
    Memory,
    Signin,
    Matching,
    Pgbench,
    Pass,
    Persisted,
    /// Transfers and placements through the server against the same in process.
    Overhead,
    /// Many simulated desktops on one server process: latency, errors and its memory.
    Mixed,
    Ceiling,
    Export,
}

#[derive(Debug, Serialize)]
struct Report {
    measured_at: String,
    machine: Machine,
    release_build: bool,
    /// From /proc/loadavg before and after: the machine is shared, and a busy neighbour
    /// shows here even though interleaving spreads its effect over both series.
    load_average_before: Option<String>,
    load_average_after: Option<String>,
    start: Option<start::StartReport>,
    memory: Option<memory::MemoryReport>,
    signin: Vec<signin::SignInReport>,
    matching: Option<matching::MatchingReport>,
    pgbench: Option<pgbench::PgbenchReport>,
    persisted: Option<persisted::PersistedReport>,
    overhead: Option<overhead::OverheadReport>,
    mixed: Option<mixed::MixedReport>,
    ceiling: Option<ceiling::CeilingReport>,
    export: Option<export::ExportReport>,
    goals: Goals,
}

#[derive(Debug, Serialize)]
struct Goals {
    start_ratio_max: f64,
    start_app_median_ms_max: f64,
    memory_ratio_max: f64,
    signin_ratio_max: f64,
    matching_ops_per_sec_min: f64,
    /// Ours over each published engine, of the median operations per second.
    matching_ratio_min_exclusive: f64,
}

#[derive(Debug, Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: Option<String>,
    memory_total_mib: Option<u64>,
    os: Option<String>,
    kernel: Option<String>,
    webkitgtk: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let (Some(engine), Some(ops_file)) = (args.replay, &args.ops_file) {
        return matching::replay_once(engine, ops_file, args.replay_ops);
    }
    let wants = |which: Only| args.only.is_none_or(|only| only == which);
    let runs = |default: usize| args.runs.map_or(default, usize::from);
    if args.only == Some(Only::Pass) {
        let report = pass::run(runs(pass::DEFAULT_RUNS))?;
        eprintln!("{}", serde_json::to_string(&report)?);
        print!("{}", pass::render(&report));
        return Ok(());
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: multipass-bench is a debug build; its own timings (sign-in, matching) say little. Use --release."
        );
    }

    let mut report = Report {
        measured_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        machine: machine(),
        release_build: !cfg!(debug_assertions),
        load_average_before: load_average(),
        load_average_after: None,
        start: None,
        memory: None,
        signin: Vec::new(),
        matching: None,
        pgbench: None,
        persisted: None,
        overhead: None,
        mixed: None,
        ceiling: None,
        export: None,
        goals: Goals {
            start_ratio_max: GOAL_START_RATIO,
            start_app_median_ms_max: GOAL_START_MEDIAN_MS,
            memory_ratio_max: GOAL_MEMORY_RATIO,
            signin_ratio_max: GOAL_SIGNIN_RATIO,
            matching_ops_per_sec_min: GOAL_MATCHING_OPS_PER_SEC,
            matching_ratio_min_exclusive: 1.0,
        },
    };

    if wants(Only::Start) || wants(Only::Memory) {
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            bail!(
                "no display: the start-up and memory benchmarks open windows. Run under Xvfb:\n    xvfb-run -a {}",
                std::env::args().collect::<Vec<_>>().join(" ")
            );
        }
        let (app, empty) = process::locate_programs()?;
        let bus = process::SessionBus::ensure()?;
        if wants(Only::Start) {
            report.start = Some(start::run(
                &app,
                &empty,
                runs(START_RUNS),
                Some(&bus.address),
            )?);
        }
        if wants(Only::Memory) {
            report.memory = Some(memory::run(
                &app,
                &empty,
                runs(MEMORY_RUNS),
                Some(&bus.address),
            )?);
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start a Tokio runtime")?;
    if wants(Only::Signin) {
        eprintln!("signin: SQLite");
        report
            .signin
            .push(signin::run_sqlite(&runtime, runs(SIGNIN_RUNS))?);
        if let Some(url) = &args.pg_url {
            eprintln!("signin: PostgreSQL");
            report
                .signin
                .push(signin::run_postgres(&runtime, url, runs(SIGNIN_RUNS))?);
        }
    }

    if wants(Only::Matching) {
        report.matching = Some(matching::run(&matching::Config {
            operations: args.ops,
            seed: args.seed,
            depth: args.depth,
            ops_file: args.ops_file.clone(),
            runs: runs(MATCHING_RUNS),
            callgrind_operations: args.callgrind,
        })?);
    }

    let yardstick = pgbench::Config {
        clients: args.pgbench_clients.clone(),
        seconds: args.pgbench_seconds,
        runs: runs(pgbench::DEFAULT_RUNS),
        scale: args.pgbench_scale,
    };
    if let Some(url) = server_for(&args, Only::Pgbench, "pgbench")? {
        report.pgbench = Some(pgbench::run(&runtime, url, &yardstick)?);
    }
    if let Some(url) = server_for(&args, Only::Persisted, "persisted")? {
        report.persisted = Some(persisted::run(
            &runtime,
            url,
            &persisted::Config {
                clients: args.pgbench_clients.clone(),
                seconds: args.pgbench_seconds,
                runs: runs(pgbench::DEFAULT_RUNS),
                breakdown: args.breakdown,
                connections_per_client: args.connections_per_client,
            },
        )?);
    }
    if let Some(url) = server_for(&args, Only::Overhead, "overhead")? {
        report.overhead = Some(overhead::run(
            &runtime,
            url,
            &overhead::Config {
                clients: args.pgbench_clients.clone(),
                seconds: args.pgbench_seconds,
                runs: runs(pgbench::DEFAULT_RUNS),
            },
        )?);
    }
    if let Some(url) = server_for(&args, Only::Mixed, "mixed")? {
        report.mixed = Some(mixed::run(
            &runtime,
            url,
            &mixed::Config {
                desktops: args.desktops,
                seconds: args.mixed_seconds,
            },
        )?);
    }
    if let Some(url) = server_for(&args, Only::Ceiling, "ceiling")? {
        report.ceiling = Some(ceiling::run(&runtime, url, &yardstick)?);
    }
    if let Some(url) = server_for(&args, Only::Export, "export")? {
        report.export = Some(export::run(
            &runtime,
            url,
            args.export_rows,
            runs(export::DEFAULT_RUNS),
        )?);
    }

    report.load_average_after = load_average();
    print!("{}", render(&report));
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("cannot serialise the report")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

/// The PostgreSQL server for benchmark `which`, when it is to run: `None` when it is not
/// wanted, or is one of all and no server was given (it is skipped with a word); an error
/// when it alone was asked for and there is no server.
fn server_for<'a>(args: &'a Args, which: Only, name: &str) -> Result<Option<&'a str>> {
    if args.only.is_some_and(|only| only != which) {
        return Ok(None);
    }
    match &args.pg_url {
        Some(url) => Ok(Some(url)),
        None if args.only == Some(which) => {
            bail!("{name} needs a PostgreSQL server: pass --pg-url or set DATABASE_URL")
        }
        None => {
            eprintln!("{name}: skipped, no --pg-url or DATABASE_URL");
            Ok(None)
        }
    }
}

fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}"))
}

/// Each run's ratio, in the order of the runs.
fn ratios_text(ratios: &[f64]) -> String {
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    each.join(" ")
}

fn row(out: &mut String, name: &str, s: &stats::Summary, unit: &str, decimals: usize) {
    out.push_str(&format!(
        "  {name:<28} {:>10.decimals$} {:>10.decimals$} {:>10.decimals$}   {unit}\n",
        s.median, s.p90, s.min
    ));
}

fn header(out: &mut String, title: &str) {
    out.push_str(&format!("\n{title}\n"));
    out.push_str(&format!(
        "  {:<28} {:>10} {:>10} {:>10}\n",
        "", "median", "p90", "min"
    ));
}

fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    out.push_str(&format!(
        "Multipass benchmarks, {}; {} CPUs ({}), {} MiB, {}, WebKitGTK {}\n",
        report.measured_at,
        m.cpus,
        m.cpu_model.as_deref().unwrap_or("unknown CPU"),
        m.memory_total_mib.unwrap_or_default(),
        m.os.as_deref().unwrap_or("unknown OS"),
        m.webkitgtk.as_deref().unwrap_or("unknown"),
    ));
    out.push_str(&format!(
        "Load average before {}, after {}\n",
        report.load_average_before.as_deref().unwrap_or("unknown"),
        report.load_average_after.as_deref().unwrap_or("unknown"),
    ));

    if let Some(start) = &report.start {
        for (title, pair, phases) in [
            (
                "Cold start to interactive sign-in: first start (fresh home, store created)",
                &start.first_start,
                &start.app_phases_first_start,
            ),
            (
                "Cold start to interactive sign-in: second start (home with a store)",
                &start.second_start,
                &start.app_phases_second_start,
            ),
        ] {
            header(
                &mut out,
                &format!("{title}, {} runs each", pair.app_ms.runs),
            );
            row(&mut out, "multipass-desktop", &pair.app_ms, "ms", 0);
            row(&mut out, "empty-window", &pair.empty_ms, "ms", 0);
            let ratio_ok = pair.ratio_of_medians.is_some_and(|r| r <= GOAL_START_RATIO);
            let median_ok = pair.app_ms.median < GOAL_START_MEDIAN_MS;
            out.push_str(&format!(
                "  ratio of medians {} (goal <= {GOAL_START_RATIO:.2}: {}); app median {:.0} ms (goal < {GOAL_START_MEDIAN_MS:.0} ms: {})\n",
                ratio_text(pair.ratio_of_medians),
                verdict(ratio_ok),
                pair.app_ms.median,
                verdict(median_ok)
            ));
            if let Some(p) = phases {
                out.push_str("  app log milestones, from spawn:\n");
                row(&mut out, "  main() entered", &p.to_main_ms, "ms", 0);
                row(
                    &mut out,
                    "  store open starts (setup)",
                    &p.to_store_open_start_ms,
                    "ms",
                    0,
                );
                row(
                    &mut out,
                    "  ui_ready logged",
                    &p.to_ready_logged_ms,
                    "ms",
                    0,
                );
            }
        }
        out.push_str(&format!(
            "  warm-up launches (not in the series): app {:.0} ms, empty {:.0} ms\n",
            start.warm_up_ms.app, start.warm_up_ms.empty
        ));
        header(
            &mut out,
            "SQLite store open, in-process, same code as the app",
        );
        row(
            &mut out,
            "create + migrate",
            &start.store_open.create_ms,
            "ms",
            1,
        );
        row(
            &mut out,
            "reopen (already migrated)",
            &start.store_open.reopen_ms,
            "ms",
            1,
        );
    }

    if let Some(mem) = &report.memory {
        header(
            &mut out,
            &format!(
                "Memory after start (PSS of the process tree, {} ms after ready), {} runs each",
                mem.settle_ms, mem.app_mib.runs
            ),
        );
        row(&mut out, "multipass-desktop", &mem.app_mib, "MiB", 1);
        row(&mut out, "empty-window", &mem.empty_mib, "MiB", 1);
        let ok = mem.ratio_of_medians.is_some_and(|r| r <= GOAL_MEMORY_RATIO);
        out.push_str(&format!(
            "  ratio of medians {} (goal <= {GOAL_MEMORY_RATIO:.2}: {})\n",
            ratio_text(mem.ratio_of_medians),
            verdict(ok)
        ));
        out.push_str("  median PSS per process (MiB):\n");
        let names: std::collections::BTreeSet<&String> = mem
            .app_by_process_mib
            .keys()
            .chain(mem.empty_by_process_mib.keys())
            .collect();
        for name in names {
            let cell = |map: &std::collections::BTreeMap<String, f64>| {
                map.get(name)
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
            };
            out.push_str(&format!(
                "    {:<26} app {:>8}   empty {:>8}\n",
                name,
                cell(&mem.app_by_process_mib),
                cell(&mem.empty_by_process_mib)
            ));
        }
    }

    for s in &report.signin {
        out.push_str(&format!(
            "\nSign-in latency ({}), {} runs each\n  {:<28} {:>10} {:>10} {:>10} {:>10} {:>8}\n",
            s.backend, s.sign_in.wall_ms.runs, "", "median", "p90", "min", "CPU median", "faults"
        ));
        for (name, series) in [
            ("sign_in (right password)", &s.sign_in),
            ("bare Argon2id verify", &s.bare_verify),
            ("sign_in (unknown username)", &s.unknown_username),
            ("sign_in (wrong password)", &s.wrong_password),
            ("  verify on blocking pool", &s.verify_on_blocking_thread),
            ("  credentials lookup", &s.credentials_lookup),
        ] {
            let w = &series.wall_ms;
            out.push_str(&format!(
                "  {name:<28} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>8.0}   ms, minor page faults\n",
                w.median, w.p90, w.min, series.cpu_ms.median, series.minor_faults.median
            ));
        }
        let ok = s.ratio_of_medians.is_some_and(|r| r <= GOAL_SIGNIN_RATIO);
        out.push_str(&format!(
            "  ratio of medians sign_in / verify {} (goal <= {GOAL_SIGNIN_RATIO:.2}: {})\n",
            ratio_text(s.ratio_of_medians),
            verdict(ok)
        ));
        let success = s.sign_in.wall_ms.median;
        let unknown = s.unknown_username.wall_ms.median;
        let wrong = s.wrong_password.wall_ms.median;
        out.push_str(&format!(
            "  medians against success: unknown username {}, wrong password {}; unknown against wrong {}\n",
            ratio_text(stats::ratio(unknown, success)),
            ratio_text(stats::ratio(wrong, success)),
            ratio_text(stats::ratio(unknown, wrong)),
        ));
    }
    if let Some(m) = &report.matching {
        render_matching(&mut out, m);
    }
    if let Some(e) = &report.export {
        export::render(&mut out, e);
    }
    if let Some(p) = &report.persisted {
        render_pgbench(&mut out, &p.pgbench);
        persisted::render(&mut out, p);
    }
    if let Some(o) = &report.overhead {
        overhead::render(&mut out, o);
    }
    if let Some(m) = &report.mixed {
        mixed::render(&mut out, m);
    }
    if let Some(c) = &report.ceiling {
        ceiling::render(&mut out, c);
    }
    if let Some(p) = &report.pgbench {
        render_pgbench(&mut out, p);
    }
    out
}

fn render_matching(out: &mut String, m: &matching::MatchingReport) {
    let s = &m.stream;
    let percent = |part: usize, whole: usize| {
        stats::ratio(part as f64, whole as f64).map_or(0.0, |r| r * 100.0)
    };
    out.push_str(&format!(
        "\nMatching engine, one thread, in memory: {} operations from {} (seed {:#x}, fingerprint {})\n",
        s.operations,
        m.ops_file.display(),
        m.seed,
        m.fingerprint
    ));
    out.push_str(&format!(
        "  {:.1} % placements, {:.1} % cancels; {:.1} % of placements traded ({} fills); {} orders resting at the end, at most {}\n",
        percent(s.places, s.operations),
        percent(s.cancels, s.operations),
        percent(s.crossing_places, s.places),
        s.fills,
        s.resting_at_end,
        s.resting_max,
    ));
    // Higher is better here, so the spread shown is the slowest and the fastest run.
    out.push_str(&format!(
        "  {:<28} {:>10} {:>10} {:>10}\n",
        format!(
            "{} interleaved runs each",
            m.engines.first().map_or(0, |e| e.ops_per_sec.runs)
        ),
        "median",
        "min",
        "max"
    ));
    for (unit, cpu) in [("M ops/s", false), ("M ops per CPU second", true)] {
        for e in &m.engines {
            let s = if cpu {
                &e.ops_per_cpu_sec
            } else {
                &e.ops_per_sec
            };
            out.push_str(&format!(
                "  {:<28} {:>10.2} {:>10.2} {:>10.2}   {unit}\n",
                e.engine.name(),
                s.median / 1e6,
                s.min / 1e6,
                s.max / 1e6
            ));
        }
    }
    let ours = m
        .engine(matching::engines::Engine::Multipass)
        .map_or(0.0, |e| e.ops_per_sec.median);
    let beats = |r: Option<f64>| r.is_some_and(|r| r > 1.0);
    out.push_str(&format!(
        "  ours / lobster {} (goal > 1: {}), ours / orderbook-rs {} (goal > 1: {}); ours {:.2} M ops/s (goal >= {:.0} M: {})\n",
        ratio_text(m.ratio_to_lobster),
        verdict(beats(m.ratio_to_lobster)),
        ratio_text(m.ratio_to_orderbook_rs),
        verdict(beats(m.ratio_to_orderbook_rs)),
        ours / 1e6,
        GOAL_MATCHING_OPS_PER_SEC / 1e6,
        verdict(ours >= GOAL_MATCHING_OPS_PER_SEC),
    ));
    if let Some(n) = m.callgrind_operations {
        out.push_str(&format!(
            "  callgrind, first {n} operations: instructions per operation{}\n",
            m.engines
                .iter()
                .map(|e| format!(
                    " {} {}",
                    e.engine.name(),
                    e.callgrind_instructions_per_op
                        .map_or_else(|| "n/a".to_owned(), |i| format!("{i:.0}"))
                ))
                .collect::<Vec<_>>()
                .join(",")
        ));
        out.push_str(&format!(
            "  instructions against ours: lobster {}, orderbook-rs {}\n",
            ratio_text(m.callgrind_ratio_lobster_to_ours),
            ratio_text(m.callgrind_ratio_orderbook_rs_to_ours),
        ));
    }
}

fn render_pgbench(out: &mut String, p: &pgbench::PgbenchReport) {
    out.push_str(&format!(
        "\npgbench -b tpcb-like, scale {}, {} s per run ({})\n  {:<28} {:>10} {:>10} {:>10} {:>12}\n",
        p.scale, p.seconds, p.pgbench_version, "", "median", "p90", "min", "latency avg"
    ));
    for s in &p.series {
        out.push_str(&format!(
            "  {:<28} {:>10.0} {:>10.0} {:>10.0} {:>9}   tps, ms\n",
            format!("{} client(s), {} runs", s.clients, s.tps.runs),
            s.tps.median,
            s.tps.p90,
            s.tps.min,
            s.latency_average_ms
                .as_ref()
                .map_or_else(|| "n/a".to_owned(), |l| format!("{:.2}", l.median)),
        ));
    }
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn machine() -> Machine {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let cpu_model = read("/proc/cpuinfo").and_then(|text| {
        text.lines().find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim().to_owned())
        })
    });
    let memory_total_mib = read("/proc/meminfo").and_then(|text| {
        let kib: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024)
    });
    let os = read("/etc/os-release").and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
    });
    let webkitgtk = std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "libwebkit2gtk-4.1-0"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .filter(|v| !v.is_empty());
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        cpu_model,
        memory_total_mib,
        os,
        kernel: read("/proc/sys/kernel/osrelease").map(|k| k.trim().to_owned()),
        webkitgtk,
    }
}
