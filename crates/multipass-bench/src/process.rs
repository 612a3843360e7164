//! Launching the two windowed programs in throwaway homes, waiting for their ready line,
//! and reading their process tree and memory from `/proc`.

use anyhow::{Context as _, Result, anyhow, bail};
use rustix::process::{Pid, Signal};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};
use tempfile::TempDir;

pub const BUILD_COMMAND: &str = "cargo build --release -p multipass-desktop -p empty-window";
const READY_LINE: &str = "multipass-ready";
/// Far above any plausible start-up; only there so a hung window fails the run.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

/// One of the two programs under comparison.
#[derive(Debug, Clone)]
pub struct Program {
    pub label: &'static str,
    pub path: PathBuf,
}

/// The app and the empty window, from the folder this benchmark runs from, so that all
/// three come from the same `cargo build --release`.
pub fn locate_programs() -> Result<(Program, Program)> {
    let exe = std::env::current_exe().context("cannot find where multipass-bench is")?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent folder", exe.display()))?;
    let find = |label: &'static str| -> Result<Program> {
        let path = dir.join(label);
        if !path.is_file() {
            bail!(
                "{} is missing. Build the app and the baseline next to this benchmark first:\n    {BUILD_COMMAND}",
                path.display()
            );
        }
        Ok(Program { label, path })
    };
    let programs = (find("multipass-desktop")?, find("empty-window")?);
    if dir.file_name().and_then(|n| n.to_str()) != Some("release") {
        eprintln!(
            "warning: {} is not a release folder; start-up and memory figures of unoptimised builds say little.\n         Build with: {BUILD_COMMAND} -p multipass-bench",
            dir.display()
        );
    }
    Ok(programs)
}

/// A per-run home folder, so no run sees the user's data or another run's.
#[derive(Debug)]
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("multipass-bench-home-")
            .tempdir()
            .context("cannot create a temporary home folder")?;
        Ok(Self { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    /// Outside the XDG folders, so the programs never see it.
    fn stderr_path(&self) -> PathBuf {
        self.path().join("stderr.log")
    }

    /// The app's log, whose timestamps show where its start-up time goes.
    pub fn app_log(&self) -> PathBuf {
        self.data_dir()
            .join("multipass")
            .join("logs")
            .join("desktop.log")
    }
}

/// Whether the program should quit once it has reported ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnReady {
    Exit,
    KeepRunning,
}

/// A launched program, in its own process group so that it and every helper process it
/// starts can be ended together.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pub spawned_at: Instant,
    pub spawned_at_wall: SystemTime,
    ready: mpsc::Receiver<Instant>,
    stderr_path: PathBuf,
}

pub fn launch(
    program: &Program,
    home: &Home,
    on_ready: OnReady,
    session_bus: Option<&str>,
) -> Result<Running> {
    let stderr = File::create(home.stderr_path())
        .with_context(|| format!("cannot create {}", home.stderr_path().display()))?;
    let mut command = Command::new(&program.path);
    // Anything inherited that selects a database, a settings file or a log level would make
    // the app do something other than a first start on the embedded store.
    for (key, _) in std::env::vars_os() {
        if let Some(key) = key.to_str()
            && (key.starts_with("DATABASE_") || key.starts_with("MULTIPASS_"))
        {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.data_dir())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("MULTIPASS_REPORT_READY", "1")
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .process_group(0);
    if let Some(address) = session_bus {
        command.env("DBUS_SESSION_BUS_ADDRESS", address);
    }
    if on_ready == OnReady::Exit {
        command.env("MULTIPASS_EXIT_WHEN_READY", "1");
    }

    let spawned_at_wall = SystemTime::now();
    let spawned_at = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", program.path.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("{} was started without a stdout pipe", program.label))?;
    let (tx, ready) = mpsc::channel();
    // The moment is taken on this thread as soon as the line arrives, not when the main
    // thread gets round to looking. Reading goes on to the end so a chatty child never
    // blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.trim() == READY_LINE {
                let _ = tx.send(Instant::now());
            }
        }
    });
    Ok(Running {
        child,
        spawned_at,
        spawned_at_wall,
        ready,
        stderr_path: home.stderr_path(),
    })
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time from spawn to the ready line. On failure the program is ended and its stderr
    /// quoted, since that is where the reason will be.
    pub fn wait_ready(&mut self, label: &str) -> Result<Duration> {
        match self.ready.recv_timeout(READY_TIMEOUT) {
            Ok(at) => Ok(at.duration_since(self.spawned_at)),
            Err(e) => {
                let status = self.child.try_wait().ok().flatten();
                self.end();
                let why = match (e, status) {
                    (mpsc::RecvTimeoutError::Timeout, _) => {
                        format!(
                            "did not print `{READY_LINE}` within {} s",
                            READY_TIMEOUT.as_secs()
                        )
                    }
                    (mpsc::RecvTimeoutError::Disconnected, Some(status)) => {
                        format!("exited ({status}) without printing `{READY_LINE}`")
                    }
                    (mpsc::RecvTimeoutError::Disconnected, None) => {
                        format!("closed its stdout without printing `{READY_LINE}`")
                    }
                };
                bail!(
                    "{label} {why}. Its stderr ends with:\n{}",
                    self.stderr_tail()
                )
            }
        }
    }

    /// Waits for a program told to exit when ready, then clears away any helper process
    /// still shutting down so that it cannot share pages with, or steal time from, the next run.
    pub fn wait_exit(mut self, label: &str) -> Result<()> {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().context("cannot wait for the child")? {
                self.end();
                if !status.success() {
                    bail!(
                        "{label} exited with {status} after reporting ready. Its stderr ends with:\n{}",
                        self.stderr_tail()
                    );
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                self.end();
                bail!(
                    "{label} did not exit within {} s of reporting ready",
                    EXIT_TIMEOUT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Kills the whole process group and waits until none of it is left running.
    pub fn end(&mut self) {
        let pgid = self.pid();
        kill_group(pgid);
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !live_group_members(pgid).is_empty() && Instant::now() < deadline {
            kill_group(pgid);
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stderr_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.stderr_path) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(20);
        let tail = lines[start..].join("\n");
        if tail.is_empty() {
            "(nothing)".to_owned()
        } else {
            tail
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // An error part-way through a run must not leave a window and its helpers behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.end();
        }
    }
}

fn kill_group(pgid: u32) {
    if let Some(pid) = i32::try_from(pgid).ok().and_then(Pid::from_raw) {
        // ESRCH (the group is already gone) is the expected outcome most of the time.
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
    }
}

/// One line of `/proc/<pid>/stat`, the fields this benchmark uses.
#[derive(Debug, Clone)]
pub struct ProcStat {
    pub pid: u32,
    /// The kernel's name for the process, cut to 15 bytes (`WebKitWebProces`).
    pub comm: String,
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name is in parentheses and may itself contain spaces or parentheses,
    // so the fields after it are found from the last `)`.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_owned();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        comm,
        state,
        ppid,
        pgrp,
    })
}

/// Every process visible now. Processes that vanish while being read are skipped.
fn all_processes() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry.file_name().to_str()?.parse::<u32>().ok()?;
            let text = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            parse_stat(&text)
        })
        .collect()
}

fn live_group_members(pgid: u32) -> Vec<u32> {
    all_processes()
        .into_iter()
        .filter(|p| p.pgrp == pgid && p.state != 'Z')
        .map(|p| p.pid)
        .collect()
}

/// `root` and all its live descendants, found by following parent links.
pub fn process_tree(root: u32) -> Vec<ProcStat> {
    let processes = all_processes();
    let mut children: BTreeMap<u32, Vec<&ProcStat>> = BTreeMap::new();
    for p in &processes {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut tree = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<&ProcStat> = processes.iter().filter(|p| p.pid == root).collect();
    while let Some(p) = queue.pop() {
        if !seen.insert(p.pid) {
            continue;
        }
        // A zombie has no memory left to count.
        if p.state != 'Z' {
            tree.push(p.clone());
        }
        if let Some(kids) = children.get(&p.pid) {
            queue.extend(kids.iter().copied());
        }
    }
    tree
}

/// Processes that share the program's process group without descending from it, e.g. a
/// helper that detached. They are not counted, only reported, so a surprise is visible.
pub fn detached_group_members(pgid: u32, tree: &[ProcStat]) -> Vec<ProcStat> {
    let in_tree: BTreeSet<u32> = tree.iter().map(|p| p.pid).collect();
    all_processes()
        .into_iter()
        .filter(|p| p.pgrp == pgid && p.state != 'Z' && !in_tree.contains(&p.pid))
        .collect()
}

/// The executable's file name from the command line, as `comm` is truncated; `comm` if
/// the command line cannot be read.
pub fn program_name(process: &ProcStat) -> String {
    std::fs::read(format!("/proc/{}/cmdline", process.pid))
        .ok()
        .and_then(|cmdline| {
            let argv0 = cmdline.split(|b| *b == 0).next()?;
            let name = Path::new(std::str::from_utf8(argv0).ok()?).file_name()?;
            Some(name.to_string_lossy().into_owned())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| process.comm.clone())
}

/// Proportional set size in KiB: private pages in full, shared pages divided by the number
/// of processes mapping them, so summing it over processes does not count a library twice.
pub fn pss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_pss(&text).ok_or_else(|| anyhow!("{path} has no Pss line"))
}

fn parse_pss(smaps_rollup: &str) -> Option<u64> {
    smaps_rollup.lines().find_map(|line| {
        let value = line.strip_prefix("Pss:")?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// A private D-Bus session bus for the benchmark's children.
///
/// A desktop session always has one. Without it GLib autolaunches `dbus-launch` on the
/// first start and every later start finds that bus, which would charge the first run of
/// whichever program went first with starting a bus.
#[derive(Debug)]
pub struct SessionBus {
    child: Option<Child>,
    pub address: String,
}

impl SessionBus {
    pub fn ensure() -> Result<Self> {
        if let Some(address) = std::env::var("DBUS_SESSION_BUS_ADDRESS")
            .ok()
            .filter(|a| !a.is_empty())
        {
            return Ok(Self {
                child: None,
                address,
            });
        }
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // It reports every service it activates; a failure to start shows as no address.
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("no DBUS_SESSION_BUS_ADDRESS and `dbus-daemon` could not be started (install the dbus package or run under dbus-run-session)")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("dbus-daemon was started without a stdout pipe"))?;
        let mut address = String::new();
        BufReader::new(stdout)
            .read_line(&mut address)
            .context("cannot read the address dbus-daemon printed")?;
        let address = address.trim().to_owned();
        if address.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            bail!("dbus-daemon printed no address");
        }
        Ok(Self {
            child: Some(child),
            address,
        })
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // The whole group: the bus activates services (the accessibility bus) as its
            // own children, and they would outlive it.
            kill_group(child.id());
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_awkward_command_name() {
        let stat = parse_stat("4242 (Web Content (x)) S 17 4240 4240 0 -1 4194560 ...")
            .map(|s| (s.pid, s.comm, s.state, s.ppid, s.pgrp));
        assert_eq!(
            stat,
            Some((4242, "Web Content (x)".to_owned(), 'S', 17, 4240))
        );
    }

    #[test]
    fn pss_from_smaps_rollup() {
        let text = "00400000-7ffd rw-p 00000000 00:00 0 [rollup]\nRss:  120 kB\nPss:  80 kB\nPss_Anon:  10 kB\n";
        assert_eq!(parse_pss(text), Some(80));
    }

    #[test]
    fn own_process_is_found_with_a_pss() {
        let me = std::process::id();
        let tree = process_tree(me);
        assert!(tree.iter().any(|p| p.pid == me));
        assert!(pss_kib(me).is_ok_and(|kib| kib > 0));
    }
}
