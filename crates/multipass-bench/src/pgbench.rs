//! The PostgreSQL server's own yardstick: `pgbench -b tpcb-like` with N clients on a
//! throwaway database. Benchmarks of persisted work (order placement, internal transfers)
//! run it between their own runs ([`with_yardstick`]) and report their rate as a ratio to
//! its tps at the same client count, which cancels out how fast this particular server and
//! machine are.

use crate::stats::Summary;
use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use std::process::{Command, Output};
use tokio::runtime::Runtime;

pub const DEFAULT_CLIENTS: &[u16] = &[1, 2];
pub const DEFAULT_SECONDS: u32 = 10;
pub const DEFAULT_RUNS: usize = 3;

#[derive(Debug, Clone)]
pub struct Config {
    /// One series per client count; each run uses as many threads as clients (`-c N -j N`).
    pub clients: Vec<u16>,
    pub seconds: u32,
    pub runs: usize,
    /// `pgbench -i -s`; by default the largest client count, as pgbench's documentation
    /// advises, so that clients do not all queue for the one `pgbench_branches` row.
    pub scale: Option<u32>,
}

/// What one `pgbench` run printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// `tps = ... (without initial connection time)`.
    pub tps: f64,
    pub latency_average_ms: Option<f64>,
    pub transactions: Option<u64>,
    pub failed_transactions: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub clients: u16,
    pub tps: Summary,
    pub latency_average_ms: Option<Summary>,
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
pub struct PgbenchReport {
    pub pgbench_version: String,
    pub scale: u32,
    pub seconds: u32,
    pub series: Vec<Series>,
}

pub fn run(runtime: &Runtime, admin_url: &str, config: &Config) -> Result<PgbenchReport> {
    with_yardstick(runtime, admin_url, config, |yardstick| {
        let mut runs: Vec<Vec<Run>> = vec![Vec::new(); config.clients.len()];
        for round in 0..config.runs {
            // Client counts alternate, so drift in the machine's load lands on every series.
            for (at, &clients) in config.clients.iter().enumerate() {
                runs[at].push(yardstick.run(clients, round, config.runs)?);
            }
        }
        yardstick.report(&config.clients, runs)
    })
}

/// Runs `body` with pgbench ready on a throwaway database initialised for `config`, so that
/// a benchmark can put pgbench's runs between its own; a ratio of rates measured minutes
/// apart on a machine whose disk speeds up and slows down measures the drift as much as
/// either rate.
pub fn with_yardstick<T>(
    runtime: &Runtime,
    admin_url: &str,
    config: &Config,
    body: impl FnOnce(&Yardstick) -> Result<T>,
) -> Result<T> {
    let version = pgbench(&["--version"], None)
        .context("cannot run pgbench; on Debian it comes with postgresql-client")?;
    let pgbench_version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let max_clients = config.clients.iter().copied().max().unwrap_or(1);
    let scale = config.scale.unwrap_or(u32::from(max_clients)).max(1);

    crate::pg::with_throwaway_database(runtime, admin_url, "pgbench", |_, database| {
        let target = Target::new(admin_url, database)?;
        eprintln!("pgbench: initialising scale {scale}");
        target.pgbench(&["-i", "-q", "-s", &scale.to_string()])?;
        let yardstick = Yardstick {
            target,
            pgbench_version,
            scale,
            seconds: config.seconds,
        };
        // Unrecorded: the first seconds on fresh tables split pages and log whole pages far
        // more often than later ones, and would count against whichever series came first.
        yardstick.tpcb_like(max_clients, 2)?;
        body(&yardstick)
    })
}

/// pgbench on its initialised throwaway database.
pub struct Yardstick {
    target: Target,
    pgbench_version: String,
    scale: u32,
    seconds: u32,
}

impl Yardstick {
    /// One recorded `tpcb-like` run with `clients` clients; `round` of `rounds` is for the
    /// progress line.
    pub fn run(&self, clients: u16, round: usize, rounds: usize) -> Result<Run> {
        let run = self.tpcb_like(clients, self.seconds)?;
        eprintln!(
            "pgbench: run {}/{rounds} {clients} client(s): {:.0} tps",
            round + 1,
            run.tps
        );
        Ok(run)
    }

    fn tpcb_like(&self, clients: u16, seconds: u32) -> Result<Run> {
        self.target.measure(&["-b", "tpcb-like"], clients, seconds)
    }

    /// The report of `runs`, one list per entry of `clients`, in that order.
    pub fn report(&self, clients: &[u16], runs: Vec<Vec<Run>>) -> Result<PgbenchReport> {
        Ok(PgbenchReport {
            pgbench_version: self.pgbench_version.clone(),
            scale: self.scale,
            seconds: self.seconds,
            series: Series::of_counts(clients, runs)?,
        })
    }
}

impl Series {
    /// One series per entry of `clients`, from its runs in `runs` (in the same order).
    pub(crate) fn of_counts(clients: &[u16], runs: Vec<Vec<Run>>) -> Result<Vec<Self>> {
        clients
            .iter()
            .zip(runs)
            .map(|(&clients, runs)| {
                let tps: Vec<f64> = runs.iter().map(|r| r.tps).collect();
                let latency: Vec<f64> = runs.iter().filter_map(|r| r.latency_average_ms).collect();
                Ok(Self {
                    clients,
                    tps: Summary::of(&tps).context("no pgbench runs were recorded")?,
                    latency_average_ms: Summary::of(&latency),
                    runs,
                })
            })
            .collect()
    }
}

/// The throwaway database as pgbench reaches it: a libpq URL without the password, which
/// goes through `PGPASSWORD` instead, so that it shows in no process list or error.
#[derive(Debug)]
pub(crate) struct Target {
    url: String,
    password: Option<String>,
}

impl Target {
    pub(crate) fn new(admin_url: &str, database: &str) -> Result<Self> {
        let mut url = url::Url::parse(admin_url).context("the PostgreSQL URL is not valid")?;
        let password = url
            .password()
            .map(|p| percent_encoding::percent_decode_str(p).decode_utf8())
            .transpose()
            .context("the password in the PostgreSQL URL is not UTF-8")?
            .map(|p| p.into_owned());
        url.set_password(None)
            .ok()
            .context("the PostgreSQL URL has no host")?;
        url.set_path(&format!("/{database}"));
        Ok(Self {
            url: url.into(),
            password,
        })
    }

    pub(crate) fn pgbench(&self, args: &[&str]) -> Result<Output> {
        let mut all: Vec<&str> = args.to_vec();
        all.push(&self.url);
        pgbench(&all, self.password.as_deref())
    }

    /// One pgbench run of `workload` (`-b tpcb-like`, or `-f FILE`) with `clients` clients
    /// on as many threads, for `seconds`.
    pub(crate) fn measure(&self, workload: &[&str], clients: u16, seconds: u32) -> Result<Run> {
        let n = clients.to_string();
        let t = seconds.to_string();
        let mut args = workload.to_vec();
        args.extend(["-c", &n, "-j", &n, "-T", &t]);
        let output = self.pgbench(&args)?;
        let text = String::from_utf8_lossy(&output.stdout);
        parse(&text).with_context(|| format!("cannot find the tps in pgbench's output:\n{text}"))
    }

    /// Runs `psql` on the database with `args`, the URL last.
    pub(crate) fn psql(&self, args: &[&str]) -> Result<Output> {
        let mut command = Command::new("psql");
        command.args(args).arg(&self.url);
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password);
        }
        let output = command
            .output()
            .context("cannot start psql; on Debian it comes with postgresql-client")?;
        if !output.status.success() {
            bail!(
                "psql failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(output)
    }
}

fn pgbench(args: &[&str], password: Option<&str>) -> Result<Output> {
    let mut command = Command::new("pgbench");
    command.args(args);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().context("cannot start pgbench")?;
    if !output.status.success() {
        bail!(
            "pgbench {} failed ({}):\n{}",
            args.first().unwrap_or(&""),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output)
}

/// The figures of one run from pgbench's summary (PostgreSQL 14 and later print them in
/// this form).
fn parse(text: &str) -> Option<Run> {
    let after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
    };
    Some(Run {
        tps: after("tps = ")?.parse().ok()?,
        latency_average_ms: after("latency average = ").and_then(|v| v.parse().ok()),
        transactions: after("number of transactions actually processed: ")
            .and_then(|v| v.parse().ok()),
        failed_transactions: after("number of failed transactions: ").and_then(|v| v.parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const PG15: &str = "pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 2
query mode: simple
number of clients: 2
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 12345
number of failed transactions: 0 (0.000%)
latency average = 1.620 ms
initial connection time = 5.123 ms
tps = 1234.567890 (without initial connection time)
";

    #[test]
    fn a_pgbench_summary_is_parsed() {
        assert_eq!(
            parse(PG15),
            Some(Run {
                tps: 1234.56789,
                latency_average_ms: Some(1.62),
                transactions: Some(12345),
                failed_transactions: Some(0),
            })
        );
    }

    #[test]
    fn output_without_tps_is_refused() {
        assert_eq!(parse("pgbench: error: connection to server failed"), None);
        assert_eq!(parse("tps = fast"), None);
    }

    #[test]
    fn the_password_leaves_the_url() {
        let target = Target::new(
            "postgresql://bench:s%40cret@127.0.0.1:5432/postgres?sslmode=disable",
            "multipass_bench_pgbench_1_2",
        )
        .unwrap();
        assert_eq!(
            target.url,
            "postgresql://bench@127.0.0.1:5432/multipass_bench_pgbench_1_2?sslmode=disable"
        );
        assert_eq!(target.password.as_deref(), Some("s@cret"));
        let plain = Target::new("postgresql://postgres@127.0.0.1:5432/postgres", "db").unwrap();
        assert_eq!(plain.password, None);
        assert_eq!(plain.url, "postgresql://postgres@127.0.0.1:5432/db");
    }
}
