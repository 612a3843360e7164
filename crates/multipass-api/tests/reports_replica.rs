//! Reports on a read replica (`reports.database_url`): a primary and a streaming standby of
//! their own, on loopback, made for this test with the cluster's own tools.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use common::processes::{as_postgres, free_port, running_as_root};
use multipass_api::reports::RunReportRequest;
use multipass_api::{ErrorCode, MultipassApi, SessionKind, Settings};
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A PostgreSQL cluster in a folder of its own, stopped when dropped.
struct Cluster {
    data: PathBuf,
    port: u16,
}

impl Cluster {
    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url()).await.unwrap()
    }

    fn stop(&self) {
        run(
            &bin("pg_ctl"),
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Already stopped by the test, or stopping after a failure: either way quietly.
        let _ = as_postgres(&bin("pg_ctl"))
            .args(["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}

fn bin(name: &str) -> String {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join(name).exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    versions.pop().unwrap().join(name).display().to_string()
}

/// Runs one of the cluster's tools, failing the test when it fails.
fn run(program: &str, args: &[&str]) -> Output {
    let output = as_postgres(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn start(data: &Path, port: u16) -> Cluster {
    let socket_dir = data.parent().unwrap().to_str().unwrap().to_owned();
    run(
        &bin("pg_ctl"),
        &[
            "-D",
            data.to_str().unwrap(),
            "-l",
            &format!("{}.log", data.display()),
            "-w",
            "-t",
            "60",
            "-o",
            &format!(
                "-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on"
            ),
            "start",
        ],
    );
    Cluster {
        data: data.to_owned(),
        port,
    }
}

/// A primary and its streaming standby, in `folder`.
fn primary_and_standby(folder: &Path) -> (Cluster, Cluster) {
    if running_as_root() {
        let owned = Command::new("chown")
            .args(["postgres:postgres", folder.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(owned.success());
    }
    let primary_data = folder.join("primary");
    run(
        &bin("initdb"),
        &[
            "-D",
            primary_data.to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
    );
    let primary = start(&primary_data, free_port());
    let standby_data = folder.join("standby");
    // -R writes the standby's connection to the primary; -X stream brings the WAL along.
    run(
        &bin("pg_basebackup"),
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &primary.port.to_string(),
            "-U",
            "postgres",
            "-D",
            standby_data.to_str().unwrap(),
            "-R",
            "-X",
            "stream",
        ],
    );
    let standby = start(&standby_data, free_port());
    (primary, standby)
}

/// Waits until the standby has replayed everything the primary has written so far.
async fn caught_up(primary: &Cluster, standby: &Cluster) {
    let written: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut primary.connect().await)
        .await
        .unwrap();
    let mut standby = standby.connect().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let replayed: bool =
            sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn")
                .bind(&written)
                .fetch_one(&mut standby)
                .await
                .unwrap();
        if replayed {
            return;
        }
        assert!(Instant::now() < deadline, "the standby did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each sign-in adds a security event, a row of the audit log report.
async fn sign_in_again(api: &MultipassApi) {
    api.sign_in(
        common::sign_in_request("ada", common::PASSWORD),
        SessionKind::Desktop,
    )
    .await
    .unwrap();
}

fn audit_log() -> RunReportRequest {
    RunReportRequest {
        definition: "AuditLog".into(),
        parameters: BTreeMap::from([
            ("from".into(), "2000-01-01".into()),
            ("to".into(), "2999-12-31".into()),
        ]),
        format: Some("json".into()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_read_from_the_streaming_standby() {
    let folder = tempfile::tempdir().unwrap();
    let (primary, standby) = primary_and_standby(folder.path());
    let migrated = multipass_api::open_store(
        &Settings::from_sources(
            &BTreeMap::from([("DATABASE_URL".into(), primary.url())]),
            None,
            Some(folder.path().join("data")),
        )
        .unwrap()
        .database,
        multipass_store::OpenMode::Migrate,
    )
    .await
    .unwrap();
    drop(migrated);
    let env = BTreeMap::from([
        ("DATABASE_URL".to_owned(), primary.url()),
        ("MULTIPASS_REPORTS_DATABASE_URL".to_owned(), standby.url()),
        (
            "MULTIPASS_REPORT_CACHE".to_owned(),
            folder.path().join("report-cache.db").display().to_string(),
        ),
    ]);
    let settings = Settings::from_sources(&env, None, Some(folder.path().join("data"))).unwrap();
    let api = MultipassApi::open(&settings).await.unwrap();
    let ada = api
        .sign_up(common::sign_up_request("ada"), SessionKind::Desktop)
        .await
        .unwrap();
    sign_in_again(&api).await;
    caught_up(&primary, &standby).await;
    let before = api.run_report(&ada.token, audit_log()).await.unwrap();
    let seen = before.row_count.unwrap();
    assert!(seen >= 1, "{before:?}");

    // With replay paused the standby stops at this point; the primary moves on.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&mut standby.connect().await)
        .await
        .unwrap();
    sign_in_again(&api).await;
    let on_primary: i64 = sqlx::query_scalar("SELECT count(*) FROM security_events")
        .fetch_one(&mut primary.connect().await)
        .await
        .unwrap();
    assert!(on_primary > seen, "the sign-in added events on the primary");
    let paused = api.run_report(&ada.token, audit_log()).await.unwrap();
    assert_eq!(
        paused.row_count,
        Some(seen),
        "the report read the standby, which has not seen the new sign-in"
    );
    assert_eq!(paused.status, "completed");

    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut standby.connect().await)
        .await
        .unwrap();
    caught_up(&primary, &standby).await;
    let resumed = api.run_report(&ada.token, audit_log()).await.unwrap();
    assert!(resumed.row_count.unwrap() > seen, "{resumed:?}");

    // No standby, no report: never a silent run on the primary.
    standby.stop();
    let gone = api.run_report(&ada.token, audit_log()).await.unwrap_err();
    assert_eq!(gone.code, ErrorCode::Unavailable, "{gone:?}");
    primary.stop();
}
