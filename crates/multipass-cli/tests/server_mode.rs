//! `multipass` in server mode: a real process whose settings name a server (and no
//! database) talks to a real `multipass-server` over HTTPS on loopback.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use multipass_api::{MultipassApi, Policies, SystemClock};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use support::{PASSWORD, SIGN_UP_ADA, json, run};

struct Server {
    url: String,
    ca_file: std::path::PathBuf,
    _server: multipass_server::RunningServer,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = multipass_store_sqlite::SqliteStore::open(
        &dir.path().join("server.db"),
        multipass_store::OpenMode::Migrate,
    )
    .await
    .unwrap();
    // As a server's API opens its store: the built-in reports are there.
    multipass_api::reports::install_builtins(&store)
        .await
        .unwrap();
    let api = MultipassApi::new(Arc::new(store), Policies::default(), Arc::new(SystemClock));
    let pki = multipass_server::loopback_pki().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let server = multipass_server::serve_loopback(Arc::new(api), &pki).unwrap();
    Server {
        url: server.loopback_url(),
        ca_file,
        _server: server,
        _dir: dir,
    }
}

/// Runs `multipass` with `args` and `env` on a blocking thread, so that the server, which
/// answers on this test's runtime, keeps answering meanwhile.
async fn cli(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = home.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&home, &args, &env)
    })
    .await
    .unwrap()
}

/// As [`cli`], set up to use `server`, with Ada's password at hand and `extra` settings.
async fn through_with(
    server: &Server,
    home: &Path,
    args: &[&str],
    extra: &[(&str, &str)],
) -> Output {
    let mut env = vec![
        ("MULTIPASS_PASSWORD", PASSWORD),
        ("MULTIPASS_SERVER_URL", server.url.as_str()),
        ("MULTIPASS_SERVER_CA", server.ca_file.to_str().unwrap()),
    ];
    env.extend_from_slice(extra);
    cli(home, args, &env).await
}

async fn through(server: &Server, home: &Path, args: &[&str]) -> Output {
    through_with(server, home, args, &[]).await
}

async fn sign_up_ada(server: &Server, home: &Path) {
    let signed_up = through(server, home, &[&SIGN_UP_ADA[..], &["--json"]].concat()).await;
    assert!(signed_up.status.success(), "{signed_up:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_works_through_a_server_and_holds_no_database() {
    let server = server().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    sign_up_ada(&server, home).await;
    let me = through(&server, home, &["whoami", "--json"]).await;
    assert_eq!(json(&me)["username"], "ada", "{me:?}");
    let status = json(&through(&server, home, &["status", "--json"]).await);
    assert_eq!(status["backend"], "server", "{status}");
    assert_eq!(status["healthy"], true, "{status}");
    // Nothing was stored on this computer but the CLI's session token.
    assert!(
        !home.join("data/multipass/multipass.db").exists(),
        "an embedded store was made in server mode"
    );
    let migrate = through(&server, home, &["migrate", "--json"]).await;
    assert_eq!(migrate.status.code(), Some(1), "{migrate:?}");
    assert_eq!(json(&migrate)["error"]["code"], "config");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_server_certificate_is_a_clear_error() {
    let server = server().await;
    let home = tempfile::tempdir().unwrap();
    let out = cli(
        home.path(),
        &["whoami", "--json"],
        &[
            ("MULTIPASS_SERVER_URL", &server.url),
            ("MULTIPASS_TOKEN", "x"),
        ],
    )
    .await;
    assert_eq!(
        json(&out)["error"]["code"],
        "certificate_untrusted",
        "{out:?}"
    );
}

/// The lockout policy is the database's: a CLI whose own settings say one wrong password
/// locks an account for good is refused before it sends anything, and without them one
/// wrong password locks nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_clients_settings_do_not_bend_the_servers_policy() {
    let server = server().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    sign_up_ada(&server, home).await;
    let sign_in = ["sign-in", "--username", "ada", "--json"];
    let wrong_password = ("MULTIPASS_PASSWORD", "not the password");
    let bending = through_with(
        &server,
        home,
        &sign_in,
        &[
            wrong_password,
            ("MULTIPASS_MAX_FAILED_SIGN_INS", "1"),
            ("MULTIPASS_LOCKOUT_MINUTES", "0"),
        ],
    )
    .await;
    assert_eq!(json(&bending)["error"]["code"], "config", "{bending:?}");
    assert!(
        json(&bending)["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("MULTIPASS_MAX_FAILED_SIGN_INS")),
        "{bending:?}"
    );
    let wrong = through_with(&server, home, &sign_in, &[wrong_password]).await;
    assert_eq!(
        json(&wrong)["error"]["code"],
        "invalid_credentials",
        "{wrong:?}"
    );
    let right = through(&server, home, &sign_in).await;
    assert!(
        right.status.success(),
        "one wrong password locked the account: {right:?}"
    );
}

/// Exports are written on this computer from what the server sends: a wallet's history as
/// CSV and a generated report, with no database and no API in this process.
#[tokio::test(flavor = "multi_thread")]
async fn exports_are_written_here_from_the_server() {
    let server = server().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    sign_up_ada(&server, home).await;
    let wallet = through(
        &server,
        home,
        &["wallet", "create", "--name", "Main", "--json"],
    )
    .await;
    assert!(wallet.status.success(), "{wallet:?}");
    let wallet_id = json(&wallet)["id"].as_str().unwrap().to_owned();

    let history = home.join("history.csv");
    let exported = through(
        &server,
        home,
        &[
            "wallet",
            "export",
            &wallet_id,
            "--csv",
            history.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert!(exported.status.success(), "{exported:?}");
    assert_eq!(json(&exported)["rows"], 0);
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.starts_with("id,created_at,transfer_id"), "{text}");

    let report_id = run_balance_sheet(&server, home).await;
    let file = home.join("sheet.csv");
    let written = through(
        &server,
        home,
        &[
            "reports",
            "export",
            &report_id,
            "--to",
            file.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert!(written.status.success(), "{written:?}");
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(json(&written)["bytes"], bytes.len());
    assert!(
        String::from_utf8_lossy(&bytes).starts_with("wallet,status,asset_type"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

/// Runs the built-in balance sheet through `server`; answers the generated report's id.
async fn run_balance_sheet(server: &Server, home: &Path) -> String {
    let ran = through(
        server,
        home,
        &[
            "reports",
            "run",
            "BalanceSheet",
            "--format",
            "csv",
            "--json",
        ],
    )
    .await;
    assert!(ran.status.success(), "{ran:?}");
    json(&ran)["id"].as_str().unwrap().to_owned()
}

/// A report run through the server is kept on this computer and opens from that copy with
/// the server gone, with the session that ran it.
#[tokio::test(flavor = "multi_thread")]
async fn reports_run_through_the_server_open_offline_without_it() {
    let server = server().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    sign_up_ada(&server, home).await;
    let id = run_balance_sheet(&server, home).await;

    // Nothing listens on port 1: the server is out of reach.
    let away = [
        ("MULTIPASS_SERVER_URL", "https://127.0.0.1:1"),
        ("MULTIPASS_SERVER_CA", server.ca_file.to_str().unwrap()),
    ];
    let online = cli(home, &["reports", "show", &id, "--json"], &away).await;
    assert_eq!(json(&online)["error"]["code"], "unavailable", "{online:?}");
    let offline = cli(
        home,
        &["reports", "show", &id, "--offline", "--json"],
        &away,
    )
    .await;
    assert!(offline.status.success(), "{offline:?}");
    assert_eq!(json(&offline)["id"], id.as_str(), "{offline:?}");
    assert_eq!(json(&offline)["source"], "offline_copy", "{offline:?}");
}
