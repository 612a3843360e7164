//! Cold start to the interactive sign-in screen: the app against the empty window.

use crate::process::{Home, OnReady, Program, launch};
use crate::stats::{Summary, ratio};
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use multipass_api::{DatabaseSettings, OpenMode, open_store};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
pub struct Pair {
    pub app_ms: Summary,
    pub empty_ms: Summary,
    pub ratio_of_medians: Option<f64>,
}

impl Pair {
    fn new(app: &[f64], empty: &[f64]) -> Result<Self> {
        let app_ms = Summary::of(app).context("no app runs were recorded")?;
        let empty_ms = Summary::of(empty).context("no empty-window runs were recorded")?;
        let ratio_of_medians = ratio(app_ms.median, empty_ms.median);
        Ok(Self {
            app_ms,
            empty_ms,
            ratio_of_medians,
        })
    }
}

/// Where the app's start-up time goes, from its own log timestamps, measured from spawn.
#[derive(Debug, Serialize)]
pub struct AppPhases {
    /// Process start, dynamic linking and logging set-up, up to the first line of `main`.
    pub to_main_ms: Summary,
    /// Up to Tauri's `setup` hook, which starts opening the store.
    pub to_store_open_start_ms: Summary,
    /// Up to the `ui_ready` command, as the app logged it.
    pub to_ready_logged_ms: Summary,
}

/// The store open the app does at start, timed in this process with the same code.
#[derive(Debug, Serialize)]
pub struct StoreOpen {
    /// Creating the file and applying the migrations.
    pub create_ms: Summary,
    /// Opening a store that is already at the latest schema.
    pub reopen_ms: Summary,
}

#[derive(Debug, Serialize)]
pub struct StartReport {
    /// The unrecorded first launch of each program, shown to make the page-cache effect visible.
    pub warm_up_ms: WarmUp,
    /// A fresh home each run: the app creates and migrates its store, WebKit its data folders.
    pub first_start: Pair,
    /// The same home for every run, set up by one unrecorded start.
    pub second_start: Pair,
    pub app_phases_first_start: Option<AppPhases>,
    pub app_phases_second_start: Option<AppPhases>,
    pub store_open: StoreOpen,
}

#[derive(Debug, Serialize)]
pub struct WarmUp {
    pub app: f64,
    pub empty: f64,
}

/// The millisecond figures of one launch that reported ready and exited.
fn start_once(
    program: &Program,
    home: &Home,
    bus: Option<&str>,
) -> Result<(f64, Option<[f64; 3]>)> {
    let mut running = launch(program, home, OnReady::Exit, bus)?;
    let ready = running.wait_ready(program.label)?;
    let spawned_wall = running.spawned_at_wall;
    running.wait_exit(program.label)?;
    let phases = if program.label == "multipass-desktop" {
        app_phases_from_log(home, spawned_wall)
    } else {
        None
    };
    Ok((ms(ready), phases))
}

pub fn run(app: &Program, empty: &Program, runs: usize, bus: Option<&str>) -> Result<StartReport> {
    // The first launch of each binary reads it and WebKit's libraries from disk unless the
    // page cache has them already; every later run finds them cached. That is the same for
    // both programs but would land on whichever went first, so it is kept out of the series.
    eprintln!("start: warm-up launch of each program");
    let warm_app = start_once(app, &Home::new()?, bus)?.0;
    let warm_empty = start_once(empty, &Home::new()?, bus)?.0;

    let mut first_app = Vec::with_capacity(runs);
    let mut first_empty = Vec::with_capacity(runs);
    let mut first_phases = Vec::with_capacity(runs);
    for i in 0..runs {
        let (t, phases) = start_once(app, &Home::new()?, bus)?;
        first_app.push(t);
        first_phases.extend(phases);
        let (t, _) = start_once(empty, &Home::new()?, bus)?;
        first_empty.push(t);
        eprintln!(
            "start: first start {}/{runs}: app {:.0} ms, empty {:.0} ms",
            i + 1,
            first_app[i],
            first_empty[i]
        );
    }

    let app_home = Home::new()?;
    let empty_home = Home::new()?;
    start_once(app, &app_home, bus)?;
    start_once(empty, &empty_home, bus)?;
    let mut second_app = Vec::with_capacity(runs);
    let mut second_empty = Vec::with_capacity(runs);
    let mut second_phases = Vec::with_capacity(runs);
    for i in 0..runs {
        // The log grows by a few lines per run; rotating it is not in play at this size.
        let (t, phases) = start_once(app, &app_home, bus)?;
        second_app.push(t);
        second_phases.extend(phases);
        let (t, _) = start_once(empty, &empty_home, bus)?;
        second_empty.push(t);
        eprintln!(
            "start: second start {}/{runs}: app {:.0} ms, empty {:.0} ms",
            i + 1,
            second_app[i],
            second_empty[i]
        );
    }

    Ok(StartReport {
        warm_up_ms: WarmUp {
            app: warm_app,
            empty: warm_empty,
        },
        first_start: Pair::new(&first_app, &first_empty)?,
        second_start: Pair::new(&second_app, &second_empty)?,
        app_phases_first_start: summarise_phases(&first_phases),
        app_phases_second_start: summarise_phases(&second_phases),
        store_open: store_open(runs)?,
    })
}

fn summarise_phases(phases: &[[f64; 3]]) -> Option<AppPhases> {
    let column = |i: usize| phases.iter().map(|p| p[i]).collect::<Vec<_>>();
    Some(AppPhases {
        to_main_ms: Summary::of(&column(0))?,
        to_store_open_start_ms: Summary::of(&column(1))?,
        to_ready_logged_ms: Summary::of(&column(2))?,
    })
}

/// Milliseconds from spawn to the three milestones the app logs at the default level. The
/// second-start home holds earlier runs' lines too, so the last occurrence of each counts.
fn app_phases_from_log(home: &Home, spawned: std::time::SystemTime) -> Option<[f64; 3]> {
    let text = std::fs::read_to_string(home.app_log()).ok()?;
    let spawned: DateTime<Utc> = spawned.into();
    let at = |needle: &str| -> Option<f64> {
        let line = text.lines().rev().find(|l| l.contains(needle))?;
        let stamp = DateTime::parse_from_rfc3339(line.split_whitespace().next()?).ok()?;
        let micros = (stamp.with_timezone(&Utc) - spawned).num_microseconds()?;
        // A line from before the spawn belongs to an earlier run in the same home: this run
        // did not log that milestone, and a stale figure would be worse than none.
        if micros < 0 {
            return None;
        }
        // Microseconds over a few seconds fit f64 exactly.
        #[allow(clippy::cast_precision_loss)]
        Some(micros as f64 / 1000.0)
    };
    Some([
        at("starting Multipass")?,
        at("opening the embedded store")?,
        at("sign-in screen ready")?,
    ])
}

/// Times `open_store` on a new file and on an existing one, with a runtime like the app's.
fn store_open(runs: usize) -> Result<StoreOpen> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start a Tokio runtime")?;
    let dir = tempfile::Builder::new()
        .prefix("multipass-bench-store-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let mut create = Vec::with_capacity(runs);
    let mut reopen = Vec::with_capacity(runs);
    for i in 0..runs {
        let settings = DatabaseSettings::Embedded {
            path: dir.path().join(format!("store-{i}.db")),
        };
        let (t, store) = timed(|| runtime.block_on(open_store(&settings, OpenMode::Migrate)));
        let store = store.context("cannot create the SQLite store")?;
        create.push(t);
        // Dropping the pool closes its connections on their own threads; the pause lets that
        // finish, as it has when the app starts again, so the reopen finds the file at rest.
        drop(store);
        std::thread::sleep(Duration::from_millis(100));
        let (t, store) = timed(|| runtime.block_on(open_store(&settings, OpenMode::Migrate)));
        store.context("cannot reopen the SQLite store")?;
        reopen.push(t);
    }
    Ok(StoreOpen {
        create_ms: Summary::of(&create).context("no store-open runs")?,
        reopen_ms: Summary::of(&reopen).context("no store-open runs")?,
    })
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let value = f();
    (ms(start.elapsed()), value)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
