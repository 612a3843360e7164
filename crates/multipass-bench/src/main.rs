//! Side-by-side benchmarks of the Multipass desktop app.
//!
//! Each figure is paired with a baseline measured in the same run, with the two alternating
//! (A, B, A, B, ...) so that drift in the machine's speed lands on both:
//! start-up and memory against an empty Tauri window built with the same profile, and
//! sign-in latency against the bare Argon2id verification it cannot go below.
//!
//! The start-up and memory benchmarks open real windows, so they need an X display; run as
//! `xvfb-run -a target/release/multipass-bench`. See docs/BENCHMARKS.md.

mod memory;
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

const GOAL_START_RATIO: f64 = 1.3;
const GOAL_START_MEDIAN_MS: f64 = 1000.0;
const GOAL_MEMORY_RATIO: f64 = 1.5;
const GOAL_SIGNIN_RATIO: f64 = 1.10;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Start-up, memory and sign-in benchmarks of Multipass Desktop, each against its baseline"
)]
struct Args {
    /// Runs per program and series (default: 15 for start, 7 for memory, 60 for sign-in).
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    Start,
    Memory,
    Signin,
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
    goals: Goals,
}

#[derive(Debug, Serialize)]
struct Goals {
    start_ratio_max: f64,
    start_app_median_ms_max: f64,
    memory_ratio_max: f64,
    signin_ratio_max: f64,
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
    let wants = |which: Only| args.only.is_none_or(|only| only == which);
    let runs = |default: usize| args.runs.map_or(default, usize::from);
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: multipass-bench is a debug build; its own timings (sign-in) say little. Use --release."
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
        goals: Goals {
            start_ratio_max: GOAL_START_RATIO,
            start_app_median_ms_max: GOAL_START_MEDIAN_MS,
            memory_ratio_max: GOAL_MEMORY_RATIO,
            signin_ratio_max: GOAL_SIGNIN_RATIO,
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

    if wants(Only::Signin) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start a Tokio runtime")?;
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

fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}"))
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
    out
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
