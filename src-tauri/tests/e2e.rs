//! End-to-end: the real app binary in a real window, driven through WebDriver
//! (tauri-driver in front of WebKitWebDriver). Needs an X display (Xvfb), `tauri-driver` on
//! PATH and WebKitWebDriver; `scripts/test.sh` provides all three and runs these ignored
//! tests explicitly. Each test gets its own home folder, so the user's data is never touched.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // tauri-driver starts WebKitWebDriver, which outlives it if only tauri-driver is
        // killed; the driver runs in its own process group, so end the whole group.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .status();
        }
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn native_driver() -> PathBuf {
    std::env::var_os("WEBKIT_WEBDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/WebKitWebDriver"))
}

async fn start_driver(home: &Path) -> Driver {
    start_driver_with(home, &[]).await
}

/// `env` reaches the app: tauri-driver passes its environment on to the app it launches.
async fn start_driver_with(home: &Path, env: &[(&str, &str)]) -> Driver {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run the end-to-end tests under Xvfb (scripts/test.sh does)"
    );
    let port = free_port();
    let child = Command::new("tauri-driver")
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &free_port().to_string(),
        ])
        .arg("--native-driver")
        .arg(native_driver())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("DATABASE_URL")
        .env_remove("MULTIPASS_PASS_UDP")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .process_group(0)
        .spawn()
        .expect("tauri-driver on PATH (cargo install tauri-driver)");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tauri-driver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { child, port }
}

async fn launch(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": env!("CARGO_BIN_EXE_multipass-desktop") }),
    );
    caps.insert("browserName".into(), "wry".into());
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with the app")
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

async fn wait_for_xpath(client: &Client, xpath: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath} did not appear: {e}"))
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = wait_for(client, css).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn click(client: &Client, css: &str) {
    wait_for(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e");
    let path = dir.join(name);
    // WebKit's snapshot is the last painted frame: let two frames paint first.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
            vec![],
        )
        .await
        .expect("wait for paint");
    std::fs::write(&path, client.screenshot().await.expect("screenshot"))
        .expect("write screenshot");
    path
}

const PASSWORD: &str = "a long and memorable passphrase";

#[tokio::test]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: run through scripts/test.sh"]
async fn sign_up_sign_in_and_use_the_dashboard_through_the_window() {
    let home = tempfile::tempdir().expect("temp home");
    let driver = start_driver(home.path()).await;
    let client = launch(&driver).await;

    // First start: the store is created and the sign-in screen shows.
    wait_for(&client, "[data-testid=signin-form]").await;
    screenshot(&client, "01-sign-in.png").await;

    click(&client, "[data-testid=goto-signup]").await;
    type_into(&client, "#signup-fullname", "Ada Lovelace").await;
    type_into(&client, "#signup-email", "Ada@Example.com").await;
    type_into(&client, "#signup-username", "ada").await;
    type_into(&client, "#signup-password", PASSWORD).await;
    type_into(&client, "#signup-password-confirm", PASSWORD).await;
    click(&client, "[data-testid=signup-submit]").await;

    let shown = wait_for(&client, "[data-testid=home-username]")
        .await
        .text()
        .await
        .expect("username text");
    assert_eq!(shown.trim(), "ada");
    screenshot(&client, "02-signed-up.png").await;

    click(&client, "[data-testid=signout]").await;
    wait_for(&client, "[data-testid=signin-form]").await;

    // A wrong password is refused with the one sign-in failure message.
    type_into(&client, "#signin-username", "ada").await;
    type_into(&client, "#signin-password", "not the passphrase").await;
    click(&client, "[data-testid=signin-submit]").await;
    let error = wait_for(&client, "[data-testid=form-error]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='form-error' and contains(., 'Sign-in failed')]",
    )
    .await;
    assert!(
        error
            .text()
            .await
            .expect("error text")
            .contains("Sign-in failed")
    );

    // The password field was cleared; the right password signs in, pressing Enter.
    let enter = char::from(fantoccini::key::Key::Enter);
    type_into(&client, "#signin-password", &format!("{PASSWORD}{enter}")).await;
    let shown = wait_for(&client, "[data-testid=home-username]")
        .await
        .text()
        .await
        .expect("username text");
    assert_eq!(shown.trim(), "ada");
    let path = screenshot(&client, "03-signed-in.png").await;
    assert!(std::fs::metadata(&path).expect("screenshot file").len() > 1000);

    // Wallets: the first one is created with a signing key in the keyring and holds 0.00 MPC.
    click(&client, "[data-testid=nav-wallets]").await;
    wait_for(&client, "[data-testid=wallets-empty]").await;
    click(&client, "[data-testid=wallet-new]").await;
    type_into(&client, "#wallet-name", &format!("Everyday{enter}")).await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='wallet-balance' and normalize-space()='0.00 MPC']",
    )
    .await;
    wait_for(&client, "[data-testid=history-empty]").await;
    // An empty transfer is refused in the window, before anything is sent.
    click(&client, "[data-testid=transfer-submit]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='form-error' and contains(., '2 highlighted fields')]",
    )
    .await;
    screenshot(&client, "04-wallets.png").await;
    // A second wallet, selected once made, can become the default: it is then listed first
    // with the tag, and the button is gone.
    click(&client, "[data-testid=wallet-new]").await;
    type_into(&client, "#wallet-name", &format!("Savings{enter}")).await;
    click(&client, "[data-testid=wallet-make-default]").await;
    wait_for_xpath(
        &client,
        "(//*[@data-testid='wallet-row'])[1][contains(., 'Savings') and .//*[contains(concat(' ', @class, ' '), ' tag ') and .='Default']]",
    )
    .await;
    assert!(
        client
            .find_all(Locator::Css("[data-testid=wallet-make-default]"))
            .await
            .expect("make-default buttons")
            .is_empty(),
        "the selected wallet is the default now"
    );

    // Security: the window's own session is listed and marked.
    click(&client, "[data-testid=nav-security]").await;
    wait_for(&client, "[data-testid=session-current]").await;
    let sessions = client
        .find_all(Locator::Css("[data-testid=session-row]"))
        .await
        .expect("session rows");
    assert_eq!(sessions.len(), 1, "the signed-out session is not listed");
    screenshot(&client, "05-security.png").await;
    // New backup codes take the password once more (a session alone is not enough); the
    // field has the focus, so Enter submits it.
    click(&client, "[data-testid=backup-generate]").await;
    type_into(&client, "#backup-password", &format!("{PASSWORD}{enter}")).await;
    wait_for(&client, "[data-testid=backup-codes] li").await;
    let codes = client
        .find_all(Locator::Css("[data-testid=backup-codes] li"))
        .await
        .expect("backup codes");
    assert_eq!(codes.len(), 10);
    wait_for_xpath(
        &client,
        "//*[@data-testid='backup-left' and contains(., '10 backup codes left')]",
    )
    .await;
    // Setting up an authenticator app shows the QR code the Rust side drew, and its key.
    click(&client, "[data-testid=totp-start]").await;
    wait_for(&client, "[data-testid=totp-qr] svg").await;
    let secret = wait_for(&client, "[data-testid=totp-secret]")
        .await
        .text()
        .await
        .expect("secret text");
    assert!(secret.trim().len() >= 16, "a base32 key, not {secret:?}");
    screenshot(&client, "05b-totp-enrolment.png").await;

    // Notifications: the badge counts the unread sign-in notice, and the list shows it.
    let badge = wait_for(&client, "[data-testid=unread-badge]")
        .await
        .text()
        .await
        .expect("badge text");
    let unread: usize = badge
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in the badge, not {badge:?}"));
    click(&client, "[data-testid=nav-notifications]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='notification' and contains(., 'New sign-in')]",
    )
    .await;
    let shown = client
        .find_all(Locator::Css("[data-testid=notification]"))
        .await
        .expect("notifications");
    assert_eq!(shown.len(), unread, "every notification is unread so far");
    screenshot(&client, "06-notifications.png").await;

    client.close().await.expect("end the WebDriver session");
    drop(driver);

    // What the window did is in the embedded store: one identity, a session revoked by
    // sign-out and an active one, stored as SHA3-256 hashes only; one failure counted then cleared.
    let db = home.path().join("data/multipass/multipass.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("the store file the app created");
    let email: String = sqlx::query_scalar("SELECT email FROM identity_profiles")
        .fetch_one(&pool)
        .await
        .expect("one identity");
    assert_eq!(email, "ada@example.com");
    let sessions: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT token_hash, revocation_reason FROM multipass_sessions ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .expect("sessions");
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions[0].1.as_deref(), Some("sign_out"));
    assert_eq!(sessions[1].1, None);
    assert!(sessions.iter().all(|(hash, _)| hash.len() == 64));
    let failed: i64 = sqlx::query_scalar("SELECT failed_attempts FROM multipass_credentials")
        .fetch_one(&pool)
        .await
        .expect("credentials");
    assert_eq!(failed, 0, "a successful sign-in clears the failure count");
    let backup_hashes: Vec<String> =
        sqlx::query_scalar("SELECT value FROM multipass_credentials, json_each(backup_codes)")
            .fetch_all(&pool)
            .await
            .expect("backup code hashes");
    assert_eq!(backup_hashes.len(), 10);
    assert!(
        backup_hashes.iter().all(|h| h.starts_with("$argon2id$")),
        "only hashes are stored: {backup_hashes:?}"
    );
    let wallets: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT name, key_algorithm, is_default FROM wallet_accounts WHERE public_key IS NOT NULL \
         ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .expect("wallets");
    assert_eq!(
        wallets,
        vec![
            ("Everyday".to_owned(), "ML-DSA-65".to_owned(), false),
            ("Savings".to_owned(), "ML-DSA-65".to_owned(), true)
        ],
        "{wallets:?}"
    );
    let notifications: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE read_at IS NULL")
            .fetch_one(&pool)
            .await
            .expect("notifications");
    assert_eq!(
        usize::try_from(notifications).expect("a count"),
        unread,
        "the badge shows what the store holds"
    );
}

async fn sign_up_in_window(client: &Client, username: &str, full_name: &str) {
    click(client, "[data-testid=goto-signup]").await;
    type_into(client, "#signup-fullname", full_name).await;
    type_into(client, "#signup-email", &format!("{username}@example.com")).await;
    type_into(client, "#signup-username", username).await;
    type_into(client, "#signup-password", PASSWORD).await;
    type_into(client, "#signup-password-confirm", PASSWORD).await;
    click(client, "[data-testid=signup-submit]").await;
    signed_in_as(client, username).await;
}

async fn signed_in_as(client: &Client, username: &str) {
    wait_for_xpath(
        client,
        &format!("//*[@data-testid='home-username' and normalize-space()='{username}']"),
    )
    .await;
}

async fn sign_out_in_window(client: &Client) {
    click(client, "[data-testid=signout]").await;
    wait_for(client, "[data-testid=signin-form]").await;
}

/// Waits until the software pass is listed, then chooses it.
async fn choose_software_pass(client: &Client, prefix: &str) {
    let radio = wait_for(
        client,
        &format!("[data-testid={prefix}-device][data-device=software]"),
    )
    .await;
    radio.click().await.expect("choose the software pass");
    wait_for_xpath(
        client,
        &format!("//*[@data-testid='{prefix}-devices']//*[contains(., '(test device)')]"),
    )
    .await;
}

const PASS_PIN: &str = "4821";

#[tokio::test]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: run through scripts/test.sh"]
async fn desk_enrols_a_software_pass_and_its_holder_signs_in_with_it() {
    let home = tempfile::tempdir().expect("temp home");
    let pass_dir = tempfile::tempdir().expect("pass state folder");
    let mut config = multipass_softpass::Config::new(pass_dir.path().join("pass.json"));
    config.pin = Some(PASS_PIN.to_owned());
    let pass = multipass_softpass::spawn(config).expect("the software pass");
    let pass_addr = pass.addr().to_string();
    let driver = start_driver_with(home.path(), &[("MULTIPASS_PASS_UDP", &pass_addr)]).await;
    let client = launch(&driver).await;
    wait_for(&client, "[data-testid=signin-form]").await;

    // The holder has an account; the desk member too, made an administrator from outside
    // the window (as `multipass admin bootstrap` would), then signed in again to get the role.
    sign_up_in_window(&client, "ben", "Ben Holder").await;
    sign_out_in_window(&client).await;
    sign_up_in_window(&client, "dee", "Dee Desk").await;
    sign_out_in_window(&client).await;
    let data_dir = home.path().join("data/multipass");
    let api = multipass_api::MultipassApi::open(
        &multipass_api::Settings::from_sources(&Default::default(), None, Some(data_dir))
            .expect("settings for the window's store"),
    )
    .await
    .expect("the window's store");
    let desk = api
        .sign_in_with(
            multipass_api::dto::SignInRequest {
                username: "dee".into(),
                password: PASSWORD.into(),
            },
            None,
            multipass_api::SessionKind::Cli,
        )
        .await
        .expect("desk member signs in");
    api.bootstrap_admin(&desk.token)
        .await
        .expect("the first administrator");
    let enter = char::from(fantoccini::key::Key::Enter);
    type_into(&client, "#signin-username", "dee").await;
    type_into(&client, "#signin-password", &format!("{PASSWORD}{enter}")).await;
    signed_in_as(&client, "dee").await;

    // Desk enrolment: the software pass is listed as a test device, blinks on request, asks
    // for its PIN, makes the credential and answers the test challenge.
    click(&client, "[data-testid=nav-passes]").await;
    wait_for_xpath(&client, "//h2[normalize-space()='Desk enrolment']").await;
    type_into(&client, "#enrol-username", "ben").await;
    choose_software_pass(&client, "enrol").await;
    click(&client, "[data-testid=enrol-wink]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='enrol-devices']//*[contains(., 'is blinking')]",
    )
    .await;
    type_into(&client, "#enrol-label", "Ben's desk key").await;
    type_into(&client, "#enrol-pin", PASS_PIN).await;
    screenshot(&client, "07-desk-enrolment.png").await;
    click(&client, "[data-testid=enrol-submit]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='enrol-done' and contains(., 'enrolled for ben') and contains(., 'test challenge')]",
    )
    .await;
    screenshot(&client, "08-enrolled.png").await;

    // The same pass for the same person again is refused with the clear message.
    type_into(&client, "#enrol-pin", PASS_PIN).await;
    click(&client, "[data-testid=enrol-submit]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='form-error' and contains(., 'already enrolled')]",
    )
    .await;
    sign_out_in_window(&client).await;

    // The holder signs in with the pass: username, the pass, its PIN.
    click(&client, "[data-testid=goto-pass-signin]").await;
    type_into(&client, "#pass-signin-username", "ben").await;
    choose_software_pass(&client, "pass-signin").await;
    type_into(&client, "#pass-signin-pin", PASS_PIN).await;
    screenshot(&client, "09a-pass-sign-in.png").await;
    type_into(&client, "#pass-signin-pin", &format!("{PASS_PIN}{enter}")).await;
    signed_in_as(&client, "ben").await;
    click(&client, "[data-testid=nav-passes]").await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='pass-row' and @data-status='active' and contains(., \"Ben's desk key\") and contains(., 'Test device')]",
    )
    .await;
    screenshot(&client, "09b-signed-in-with-pass.png").await;

    client.close().await.expect("end the WebDriver session");
    drop(driver);

    // The registry holds one active software pass for ben, enrolled by dee, used once; both
    // of its challenges (the enrolment test and the sign-in) are spent.
    let db = home.path().join("data/multipass/multipass.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("the store file the app created");
    let passes: Vec<(String, String, String, String, i64, bool)> = sqlx::query_as(
        "SELECT holder.username, desk.username, p.device_type, p.status, p.sign_count,
                p.last_used_at IS NOT NULL
         FROM hardware_passes p
         JOIN multipass_credentials holder ON holder.identity_id = p.identity_id
         JOIN multipass_credentials desk ON desk.identity_id = p.enrolled_by",
    )
    .fetch_all(&pool)
    .await
    .expect("passes");
    assert_eq!(passes.len(), 1, "{passes:?}");
    let (holder, enrolled_by, device_type, status, sign_count, used) = &passes[0];
    assert_eq!(
        (holder.as_str(), enrolled_by.as_str(), device_type.as_str()),
        ("ben", "dee", "software_pass")
    );
    assert_eq!(status, "active");
    assert!(*sign_count >= 2, "enrolment test and sign-in: {sign_count}");
    assert!(used, "the sign-in stamps last_used_at");
    let challenges: Vec<(String, bool)> = sqlx::query_as(
        "SELECT purpose, used_at IS NOT NULL FROM hardware_challenges ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .expect("challenges");
    assert!(
        challenges.iter().all(|(_, used)| *used),
        "every challenge is spent: {challenges:?}"
    );
    let purposes: Vec<&str> = challenges.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        purposes.contains(&"enrolment_test") && purposes.contains(&"sign_in"),
        "{purposes:?}"
    );
    drop(pass);
}

/// A Multipass server on a free loopback port over a fresh embedded store, with a
/// certificate from a CA made for the test, whose PEM is written to `ca_file`.
struct TestServer {
    api: multipass_api::MultipassApi,
    url: String,
    _server: multipass_server::RunningServer,
    _data: tempfile::TempDir,
}

/// `software_pass`: where the pass the server's own desk ceremonies use listens.
async fn start_server(ca_file: &Path, software_pass: Option<std::net::SocketAddr>) -> TestServer {
    use multipass_api::{MultipassApi, Policies, SystemClock};
    use std::sync::Arc;
    let data = tempfile::tempdir().expect("server data folder");
    let store = multipass_store_sqlite::SqliteStore::open(
        &data.path().join("server.db"),
        multipass_store::OpenMode::Migrate,
    )
    .await
    .expect("the server's store");
    let vault = multipass_api::vault::KeyringVault::new(format!(
        "multipass-e2e-server-{}",
        std::process::id()
    ));
    let mut policies = Policies::default();
    policies.ceremony.software_pass = software_pass;
    let api = MultipassApi::new(Arc::new(store), policies, Arc::new(SystemClock))
        .with_vault(Arc::new(vault));
    let pki = multipass_server::loopback_pki().expect("loopback certificates");
    std::fs::write(ca_file, &pki.ca_pem).expect("write the CA file");
    let server =
        multipass_server::serve_loopback(Arc::new(api.clone()), &pki).expect("the server starts");
    TestServer {
        url: server.loopback_url(),
        api,
        _server: server,
        _data: data,
    }
}

#[tokio::test]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: run through scripts/test.sh"]
async fn the_window_signs_up_transfers_and_signs_in_with_a_pass_through_a_multipass_server() {
    use multipass_api::pass_ceremony::{CeremonyControl, DeskEnrolmentRequest, DeviceRef};
    use multipass_api::wallet::{CreateWalletRequest, DepositRequest};
    use multipass_api::{SessionKind, dto::SignUpRequest};
    let home = tempfile::tempdir().expect("temp home");
    let ca_file = home.path().join("server-ca.pem");
    let pass_dir = tempfile::tempdir().expect("pass state folder");
    let mut config = multipass_softpass::Config::new(pass_dir.path().join("pass.json"));
    config.pin = Some(PASS_PIN.to_owned());
    let pass = multipass_softpass::spawn(config).expect("the software pass");
    let pass_addr = pass.addr().to_string();
    let server = start_server(&ca_file, Some(pass.addr())).await;
    let api = &server.api;
    let person = |name: &str| SignUpRequest {
        full_name: format!("{name} Example"),
        email: format!("{name}@example.com"),
        username: name.to_owned(),
        password: PASSWORD.to_owned(),
    };
    let admin = api
        .sign_up(person("root"), SessionKind::Cli)
        .await
        .expect("admin");
    api.bootstrap_admin(&admin.token).await.expect("bootstrap");
    let bob = api
        .sign_up(person("bob"), SessionKind::Cli)
        .await
        .expect("bob");
    // Bob's wallet key stays with "his desktop": here, the test's own keyring entry.
    let bobs = multipass_api::signer::WalletKeys::new(api.vault().clone())
        .create_wallet(
            api,
            &bob.token,
            CreateWalletRequest {
                name: "Bob's".into(),
                labels: Vec::new(),
            },
        )
        .await
        .expect("bob's wallet");

    let driver = start_driver_with(
        home.path(),
        &[
            ("MULTIPASS_SERVER_URL", &server.url),
            ("MULTIPASS_SERVER_CA", ca_file.to_str().expect("utf-8 path")),
            ("MULTIPASS_PASS_UDP", &pass_addr),
        ],
    )
    .await;
    let client = launch(&driver).await;
    wait_for(&client, "[data-testid=signin-form]").await;
    sign_up_in_window(&client, "ada", "Ada Lovelace").await;
    // The home screen names the server, and the identity lives in the server's store.
    wait_for_xpath(
        &client,
        "//*[@data-testid='home-store' and contains(., 'Multipass server')]",
    )
    .await;
    let ada_profile = api
        .profile(&admin.token, Some("ada"))
        .await
        .expect("ada is on the server");
    assert_eq!(ada_profile.email, "ada@example.com");
    screenshot(&client, "server-01-home.png").await;

    let enter = char::from(fantoccini::key::Key::Enter);
    click(&client, "[data-testid=nav-wallets]").await;
    click(&client, "[data-testid=wallet-new]").await;
    type_into(&client, "#wallet-name", &format!("Everyday{enter}")).await;
    wait_for_xpath(
        &client,
        "//*[@data-testid='wallet-balance' and normalize-space()='0.00 MPC']",
    )
    .await;
    let adas = api
        .list_wallets(&admin.token, Some(&ada_profile.id))
        .await
        .expect("ada's wallets on the server");
    assert_eq!(adas.len(), 1, "{adas:?}");
    api.deposit(
        &admin.token,
        DepositRequest {
            wallet_id: adas[0].id.clone(),
            asset: None,
            amount: 10_000,
            memo: Some("e2e".into()),
        },
    )
    .await
    .expect("deposit");

    type_into(&client, "#transfer-to", &bobs.id).await;
    type_into(&client, "#transfer-amount", &format!("12.34{enter}")).await;
    wait_for_xpath(&client, "//*[contains(., 'Sent 12.34 MPC')]").await;
    screenshot(&client, "server-02-transferred.png").await;
    let balances = api
        .balances(&bob.token, &bobs.id)
        .await
        .expect("bob's balance");
    assert_eq!(
        balances.iter().map(|b| b.total).sum::<i64>(),
        1_234,
        "{balances:?}"
    );
    // The window signed the transfer with a key of the desktop's keyring: the server holds
    // only the public key, and the signature it stored verifies against it.
    let sent = api
        .history(
            &admin.token,
            multipass_api::wallet::HistoryRequest {
                wallet_id: adas[0].id.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("ada's history");
    let debit = sent
        .items
        .iter()
        .find(|t| t.direction == "debit")
        .expect("the transfer's debit");
    let check = api
        .verify_transfer(&admin.token, &debit.transfer_id)
        .await
        .expect("verify");
    assert!(check.valid, "{check:?}");
    assert!(
        api.vault()
            .get(&format!("wallet:{}", adas[0].id))
            .expect("the server's keyring")
            .is_none(),
        "the wallet's key is not on the server"
    );

    // A desk at the server enrols the software pass for Ada; she then signs in with it in
    // the window: the server issues the challenge, the pass at the desktop answers, and the
    // server checks the answer.
    api.enrol_pass_at_desk(
        &admin.token,
        DeskEnrolmentRequest {
            username: "ada".into(),
            device: DeviceRef::Software,
            label: "Ada's key".into(),
            pin: Some(PASS_PIN.into()),
            expires_at: None,
        },
        &CeremonyControl::new(),
    )
    .await
    .expect("desk enrolment at the server");
    sign_out_in_window(&client).await;
    click(&client, "[data-testid=goto-pass-signin]").await;
    type_into(&client, "#pass-signin-username", "ada").await;
    choose_software_pass(&client, "pass-signin").await;
    type_into(&client, "#pass-signin-pin", &format!("{PASS_PIN}{enter}")).await;
    signed_in_as(&client, "ada").await;
    screenshot(&client, "server-03-signed-in-with-pass.png").await;
    let passes = api
        .passes(&admin.token, Some("ada"))
        .await
        .expect("ada's passes");
    assert_eq!(passes.len(), 1, "{passes:?}");
    assert!(passes[0].last_used_at.is_some(), "{passes:?}");
    client.close().await.expect("end the WebDriver session");
    drop(driver);
    drop(pass);
}
