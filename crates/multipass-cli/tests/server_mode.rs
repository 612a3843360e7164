//! `multipass` in server mode: a real process whose settings name a server (and no
//! database) talks to a real `multipass-server` over HTTPS on loopback.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use multipass_api::{MultipassApi, Policies, SystemClock};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use support::{PASSWORD, json, run};

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

fn multipass(home: &Path, server: &Server, args: &[&str]) -> Output {
    run(
        home,
        args,
        &[
            ("MULTIPASS_PASSWORD", PASSWORD),
            ("MULTIPASS_SERVER_URL", &server.url),
            ("MULTIPASS_SERVER_CA", server.ca_file.to_str().unwrap()),
        ],
    )
}

async fn in_background(f: impl FnOnce() -> Output + Send + 'static) -> Output {
    tokio::task::spawn_blocking(f).await.unwrap()
}

async fn sign_up_ada(server: &Arc<Server>, home: &Path) {
    let (s, h) = (server.clone(), home.to_owned());
    let signed_up = in_background(move || {
        multipass(
            &h,
            &s,
            &[
                "sign-up",
                "--full-name",
                "Ada Lovelace",
                "--email",
                "ada@example.com",
                "--username",
                "ada",
                "--json",
            ],
        )
    })
    .await;
    assert!(signed_up.status.success(), "{signed_up:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_works_through_a_server_and_holds_no_database() {
    let server = Arc::new(server().await);
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_owned();
    sign_up_ada(&server, &home_path).await;
    let (s, h) = (server.clone(), home_path.clone());
    let me = in_background(move || multipass(&h, &s, &["whoami", "--json"])).await;
    assert_eq!(json(&me)["username"], "ada", "{me:?}");
    let (s, h) = (server.clone(), home_path.clone());
    let status = in_background(move || multipass(&h, &s, &["status", "--json"])).await;
    let status = json(&status);
    assert_eq!(status["backend"], "server", "{status}");
    assert_eq!(status["healthy"], true, "{status}");
    // Nothing was stored on this computer but the CLI's session token.
    assert!(
        !home_path.join("data/multipass/multipass.db").exists(),
        "an embedded store was made in server mode"
    );
    let (s, h) = (server.clone(), home_path.clone());
    let migrate = in_background(move || multipass(&h, &s, &["migrate", "--json"])).await;
    assert_eq!(migrate.status.code(), Some(1), "{migrate:?}");
    assert_eq!(json(&migrate)["error"]["code"], "config");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_server_certificate_is_a_clear_error() {
    let server = server().await;
    let home = tempfile::tempdir().unwrap();
    let url = server.url.clone();
    let home_path = home.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &home_path,
            &["whoami", "--json"],
            &[("MULTIPASS_SERVER_URL", &url), ("MULTIPASS_TOKEN", "x")],
        )
    })
    .await
    .unwrap();
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
    let server = Arc::new(server().await);
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_owned();
    sign_up_ada(&server, &home_path).await;
    let sign_in = |password: &'static str, policy: &'static [(&'static str, &'static str)]| {
        let (s, h) = (server.clone(), home_path.clone());
        in_background(move || {
            let ca = s.ca_file.to_str().unwrap().to_owned();
            let mut env = vec![
                ("MULTIPASS_PASSWORD", password),
                ("MULTIPASS_SERVER_URL", s.url.as_str()),
                ("MULTIPASS_SERVER_CA", ca.as_str()),
            ];
            env.extend_from_slice(policy);
            run(&h, &["sign-in", "--username", "ada", "--json"], &env)
        })
    };
    let bending = sign_in(
        "not the password",
        &[
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
    let wrong = sign_in("not the password", &[]).await;
    assert_eq!(
        json(&wrong)["error"]["code"],
        "invalid_credentials",
        "{wrong:?}"
    );
    let right = sign_in(PASSWORD, &[]).await;
    assert!(
        right.status.success(),
        "one wrong password locked the account: {right:?}"
    );
}

/// Exports are written on this computer from what the server sends: a wallet's history as
/// CSV and a generated report, with no database and no API in this process.
#[tokio::test(flavor = "multi_thread")]
async fn exports_are_written_here_from_the_server() {
    let server = Arc::new(server().await);
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_owned();
    sign_up_ada(&server, &home_path).await;
    let cli = |args: Vec<String>| {
        let (s, h) = (server.clone(), home_path.clone());
        in_background(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            multipass(&h, &s, &args)
        })
    };
    let owned = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let wallet = cli(owned(&["wallet", "create", "--name", "Main", "--json"])).await;
    assert!(wallet.status.success(), "{wallet:?}");
    let wallet_id = json(&wallet)["id"].as_str().unwrap().to_owned();

    let history = home_path.join("history.csv");
    let exported = cli(owned(&[
        "wallet",
        "export",
        &wallet_id,
        "--csv",
        history.to_str().unwrap(),
        "--json",
    ]))
    .await;
    assert!(exported.status.success(), "{exported:?}");
    assert_eq!(json(&exported)["rows"], 0);
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.starts_with("id,created_at,transfer_id"), "{text}");

    let run = cli(owned(&[
        "reports",
        "run",
        "BalanceSheet",
        "--format",
        "csv",
        "--json",
    ]))
    .await;
    assert!(run.status.success(), "{run:?}");
    let report_id = json(&run)["id"].as_str().unwrap().to_owned();
    let file = home_path.join("sheet.csv");
    let written = cli(owned(&[
        "reports",
        "export",
        &report_id,
        "--to",
        file.to_str().unwrap(),
        "--json",
    ]))
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

/// A report run through the server is kept on this computer and opens from that copy with
/// the server gone, with the session that ran it.
#[tokio::test(flavor = "multi_thread")]
async fn reports_run_through_the_server_open_offline_without_it() {
    let server = Arc::new(server().await);
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_owned();
    sign_up_ada(&server, &home_path).await;
    let (s, h) = (server.clone(), home_path.clone());
    let ran = in_background(move || {
        multipass(
            &h,
            &s,
            &[
                "reports",
                "run",
                "BalanceSheet",
                "--format",
                "csv",
                "--json",
            ],
        )
    })
    .await;
    assert!(ran.status.success(), "{ran:?}");
    let id = json(&ran)["id"].as_str().unwrap().to_owned();

    // Nothing listens on port 1: the server is out of reach.
    let away = |args: Vec<String>| {
        let (h, ca) = (home_path.clone(), server.ca_file.clone());
        in_background(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(
                &h,
                &args,
                &[
                    ("MULTIPASS_SERVER_URL", "https://127.0.0.1:1"),
                    ("MULTIPASS_SERVER_CA", ca.to_str().unwrap()),
                ],
            )
        })
    };
    let words = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let online = away(words(&["reports", "show", &id, "--json"])).await;
    assert_eq!(json(&online)["error"]["code"], "unavailable", "{online:?}");
    let offline = away(words(&["reports", "show", &id, "--offline", "--json"])).await;
    assert!(offline.status.success(), "{offline:?}");
    assert_eq!(json(&offline)["id"], id.as_str(), "{offline:?}");
    assert_eq!(json(&offline)["source"], "offline_copy", "{offline:?}");
}
