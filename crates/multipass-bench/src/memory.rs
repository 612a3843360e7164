//! Memory after start: proportional set size of the program and all its helper processes.

use crate::process::{
    Home, OnReady, Program, detached_group_members, launch, process_tree, program_name, pss_kib,
};
use crate::stats::{Summary, ratio};
use anyhow::{Context as _, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long after the ready line memory is read: WebKit's helpers are still mapping and
/// touching pages right after the first paint.
const SETTLE: Duration = Duration::from_secs(1);

#[derive(Debug, Serialize)]
pub struct MemoryReport {
    pub settle_ms: u128,
    pub app_mib: Summary,
    pub empty_mib: Summary,
    pub ratio_of_medians: Option<f64>,
    /// Median PSS per process name, to show which process the difference is in.
    pub app_by_process_mib: BTreeMap<String, f64>,
    pub empty_by_process_mib: BTreeMap<String, f64>,
}

struct Sample {
    total_kib: u64,
    by_process: BTreeMap<String, u64>,
}

fn measure_once(program: &Program, bus: Option<&str>) -> Result<Sample> {
    let home = Home::new()?;
    let mut running = launch(program, &home, OnReady::KeepRunning, bus)?;
    running.wait_ready(program.label)?;
    std::thread::sleep(SETTLE);
    let root = running.pid();
    let tree = process_tree(root);
    let mut total_kib = 0;
    let mut by_process: BTreeMap<String, u64> = BTreeMap::new();
    for process in &tree {
        let kib = pss_kib(process.pid).with_context(|| {
            format!(
                "{} (pid {}) of {}",
                process.comm, process.pid, program.label
            )
        })?;
        total_kib += kib;
        *by_process.entry(program_name(process)).or_default() += kib;
    }
    for stray in detached_group_members(root, &tree) {
        eprintln!(
            "memory: note: {} (pid {}) is in {}'s process group but not its descendant; not counted",
            stray.comm, stray.pid, program.label
        );
    }
    running.end();
    Ok(Sample {
        total_kib,
        by_process,
    })
}

pub fn run(app: &Program, empty: &Program, runs: usize, bus: Option<&str>) -> Result<MemoryReport> {
    let mut app_samples = Vec::with_capacity(runs);
    let mut empty_samples = Vec::with_capacity(runs);
    for i in 0..runs {
        app_samples.push(measure_once(app, bus)?);
        empty_samples.push(measure_once(empty, bus)?);
        eprintln!(
            "memory: run {}/{runs}: app {:.1} MiB, empty {:.1} MiB",
            i + 1,
            mib(app_samples[i].total_kib),
            mib(empty_samples[i].total_kib)
        );
    }
    let totals = |samples: &[Sample]| samples.iter().map(|s| mib(s.total_kib)).collect::<Vec<_>>();
    let app_mib = Summary::of(&totals(&app_samples)).context("no app runs were recorded")?;
    let empty_mib =
        Summary::of(&totals(&empty_samples)).context("no empty-window runs were recorded")?;
    let ratio_of_medians = ratio(app_mib.median, empty_mib.median);
    Ok(MemoryReport {
        settle_ms: SETTLE.as_millis(),
        app_by_process_mib: median_by_process(&app_samples),
        empty_by_process_mib: median_by_process(&empty_samples),
        app_mib,
        empty_mib,
        ratio_of_medians,
    })
}

fn median_by_process(samples: &[Sample]) -> BTreeMap<String, f64> {
    let mut series: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for sample in samples {
        for (name, kib) in &sample.by_process {
            series.entry(name).or_default().push(mib(*kib));
        }
    }
    series
        .into_iter()
        .filter_map(|(name, values)| Some((name.to_owned(), Summary::of(&values)?.median)))
        .collect()
}

// KiB counts here are far below 2^52, so the conversion is exact.
#[allow(clippy::cast_precision_loss)]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
