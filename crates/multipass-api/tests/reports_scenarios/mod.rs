//! Report and notification scenarios, run against both stores by `reports_postgres.rs` and
//! `reports_sqlite.rs`. Each takes a freshly migrated store and a way to run raw SQL on it
//! (to make someone admin, to seed wallets, to look at what is stored).

#![allow(dead_code)]

use crate::common::{PASSWORD, TestApi, sign_in_request, sign_up};
use chrono::{Duration, Utc};
use futures::future::BoxFuture;
use multipass_api::reports::{
    NewReportDefinitionRequest, ReportDefinitionChanges, ReportPolicy, RunReportRequest,
};
use multipass_api::{ErrorCode, MultipassApi, NotificationListRequest, Policies, SessionKind};
use multipass_domain::reports::CompiledQuery;
use multipass_domain::{IdentityId, SessionToken};
use multipass_store::{NewNotification, NotificationKind, QueryLimits, Store, StoreError};
use sha3::{Digest, Sha3_256};
use std::collections::BTreeMap;
use std::sync::Arc;

pub type Exec = Arc<dyn Fn(String) -> BoxFuture<'static, ()> + Send + Sync>;
pub type Count = Arc<dyn Fn(String) -> BoxFuture<'static, i64> + Send + Sync>;

#[derive(Clone)]
pub struct Fixture {
    pub store: Arc<dyn Store>,
    /// Runs one statement with literal values only.
    pub exec: Exec,
    /// Runs a `SELECT COUNT(*) ...`.
    pub count: Count,
}

pub struct Person {
    pub token: SessionToken,
    pub id: String,
}

/// A clock that moves on a millisecond at every reading, so that runs and notifications
/// made one after the other are ordered in time on both stores.
#[derive(Debug)]
struct TickingClock(std::sync::Mutex<chrono::DateTime<Utc>>);

impl multipass_api::Clock for TickingClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        let mut now = self.0.lock().unwrap();
        *now += Duration::milliseconds(1);
        *now
    }
}

pub async fn api(fixture: &Fixture, timeout: std::time::Duration) -> TestApi {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let policies = Policies {
        reports: ReportPolicy { timeout },
        ..Policies::default()
    };
    let clock = Arc::new(TickingClock(std::sync::Mutex::new(Utc::now())));
    let api = MultipassApi::new(fixture.store.clone(), policies, clock);
    api.install_builtin_reports().await.unwrap();
    TestApi::new(api)
}

pub async fn person(api: &TestApi, name: &str) -> Person {
    let outcome = sign_up(api, name).await;
    Person {
        id: outcome.signed_in.identity.id.clone(),
        token: outcome.token,
    }
}

pub async fn admin(fixture: &Fixture, api: &TestApi, name: &str) -> Person {
    let person = person(api, name).await;
    (fixture.exec)(format!(
        "UPDATE identity_profiles SET role = 'admin' WHERE id = '{}'",
        person.id
    ))
    .await;
    person
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A wallet for `owner` holding `total` MPC (of which `locked` in orders) with one credit.
pub async fn seed_wallet(fixture: &Fixture, owner: &Person, name: &str, total: i64, locked: i64) {
    let wallet = uuid();
    (fixture.exec)(format!(
        "INSERT INTO wallet_accounts (id, identity_id, name) VALUES ('{wallet}', '{}', '{name}')",
        owner.id
    ))
    .await;
    (fixture.exec)(format!(
        "INSERT INTO wallet_balances (id, wallet_id, asset_type, total, locked) \
         VALUES ('{}', '{wallet}', 'MPC', {total}, {locked})",
        uuid()
    ))
    .await;
    (fixture.exec)(format!(
        "INSERT INTO wallet_transactions (id, wallet_id, transfer_id, direction, tx_type, asset_type, amount, fee) \
         VALUES ('{}', '{wallet}', '{}', 'credit', 'deposit', 'MPC', {total}, 0)",
        uuid(),
        uuid()
    ))
    .await;
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn run(definition: &str, pairs: &[(&str, &str)], format: Option<&str>) -> RunReportRequest {
    RunReportRequest {
        definition: definition.to_owned(),
        parameters: params(pairs),
        format: format.map(str::to_owned),
    }
}

fn definition(name: &str, sql: &str, parameters: &[&str]) -> NewReportDefinitionRequest {
    NewReportDefinitionRequest {
        name: name.to_owned(),
        description: String::new(),
        sql_template: sql.to_owned(),
        parameters: parameters.iter().map(|p| (*p).to_owned()).collect(),
        default_format: Some("json".into()),
        row_limit: None,
    }
}

/// A window around now, so that a run near midnight still covers what was just written.
fn yesterday() -> String {
    (Utc::now() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

fn tomorrow() -> String {
    (Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

async fn json_rows(api: &TestApi, token: &SessionToken, id: uuid::Uuid) -> serde_json::Value {
    let opened = api.open_report(token, id).await.unwrap();
    serde_json::from_slice(&opened.bytes).unwrap()
}

/// The built-ins exist once however often they are installed, and each runs over the
/// caller's own data only. Results are stored with their SHA3-256 and the run notifies.
pub async fn builtins_run_over_the_callers_data(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    api.local().install_builtin_reports().await.unwrap();
    assert_eq!(
        (fixture.count)("SELECT COUNT(*) FROM report_definitions WHERE is_builtin".into()).await,
        3
    );
    let ada = person(&api, "ada").await;
    let grace = person(&api, "grace").await;
    // A sign-in puts an event in ada's audit trail.
    api.sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await
        .unwrap();
    seed_wallet(&fixture, &ada, "Main", 1000, 100).await;
    seed_wallet(&fixture, &ada, "Savings", 500, 0).await;
    seed_wallet(&fixture, &grace, "Graces", 7, 0).await;

    let names: Vec<String> = api
        .report_definitions(&ada.token, false)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["AuditLog", "BalanceSheet", "TransactionSummary"]);

    let unread_before = api
        .unread_notification_count(&ada.token)
        .await
        .unwrap()
        .count;
    let sheet = api
        .run_report(&ada.token, run("BalanceSheet", &[], Some("json")))
        .await
        .unwrap();
    assert_eq!(
        (sheet.status.as_str(), sheet.row_count),
        ("completed", Some(2))
    );
    let value = json_rows(&api, &ada.token, sheet.id).await;
    assert_eq!(
        value["columns"],
        serde_json::json!([
            "wallet",
            "status",
            "asset_type",
            "total",
            "locked",
            "unlocked"
        ])
    );
    assert_eq!(
        value["rows"],
        serde_json::json!([
            ["Main", "active", "MPC", 1000, 100, 900],
            ["Savings", "active", "MPC", 500, 0, 500]
        ])
    );

    let summary = api
        .run_report(
            &ada.token,
            run(
                "TransactionSummary",
                &[("from", &yesterday()), ("to", &tomorrow())],
                Some("json"),
            ),
        )
        .await
        .unwrap();
    let value = json_rows(&api, &ada.token, summary.id).await;
    assert_eq!(
        value["rows"],
        serde_json::json!([["MPC", "credit", "deposit", 2, 1500, 0]])
    );
    let long_ago = api
        .run_report(
            &ada.token,
            run(
                "TransactionSummary",
                &[("from", "2001-01-01"), ("to", "2001-12-31")],
                None,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        (long_ago.row_count, long_ago.format.as_str()),
        (Some(0), "csv")
    );

    let audit = api
        .run_report(
            &ada.token,
            run(
                "AuditLog",
                &[("from", &yesterday()), ("to", &tomorrow())],
                Some("json"),
            ),
        )
        .await
        .unwrap();
    let value = json_rows(&api, &ada.token, audit.id).await;
    let types: Vec<&str> = value["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert!(types.contains(&"sign_in"), "{types:?}");

    // Stored bytes and stored hash agree, read straight from the store.
    let stored = fixture.store.generated_report(sheet.id).await.unwrap();
    let bytes = stored.result.unwrap();
    assert_eq!(
        stored.summary.result_hash.unwrap(),
        hex::encode(Sha3_256::digest(&bytes))
    );
    assert_eq!(stored.summary.parameters, serde_json::json!({}));
    assert_eq!(
        fixture
            .store
            .generated_report(summary.id)
            .await
            .unwrap()
            .summary
            .parameters,
        serde_json::json!({"from": yesterday(), "to": tomorrow()})
    );

    let mine = api.my_reports(&ada.token, None).await.unwrap();
    assert_eq!(mine.len(), 4);
    assert!(api.my_reports(&grace.token, None).await.unwrap().is_empty());
    // Someone else's report does not open, not even to say it exists.
    assert_eq!(
        api.open_report(&grace.token, sheet.id)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    let unread_after = api
        .unread_notification_count(&ada.token)
        .await
        .unwrap()
        .count;
    assert_eq!(unread_after, unread_before + 4);
    let listed = api
        .notifications(&ada.token, NotificationListRequest::default())
        .await
        .unwrap()
        .notifications;
    let ready: Vec<String> = listed
        .iter()
        .filter(|n| n.kind == "report_ready")
        .map(|n| n.metadata["reportId"].as_str().unwrap().to_owned())
        .collect();
    let runs = [audit.id, long_ago.id, summary.id, sheet.id];
    assert_eq!(ready, runs.map(|id| id.to_string()), "newest first");
}

/// Injection payloads are bound as values: they match nothing, come back verbatim, and
/// the tables stay. Mistyped, unknown, missing and extra parameters name the parameter.
pub async fn parameters_stay_values(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = admin(&fixture, &api, "root").await;
    seed_wallet(&fixture, &root, "Main", 10, 0).await;
    api.create_report_definition(
        &root.token,
        definition(
            "WalletByName",
            "SELECT name FROM wallet_accounts WHERE name = :q AND 1 <= :n",
            &["q:text", "n:integer"],
        ),
    )
    .await
    .unwrap();
    api.create_report_definition(
        &root.token,
        definition("Echo", "SELECT :q AS echoed", &["q:text"]),
    )
    .await
    .unwrap();
    let payloads = [
        "'; DROP TABLE wallet_accounts; --",
        "1 OR 1=1",
        "' OR '1'='1",
        "Main' --",
        "x'); DELETE FROM wallet_accounts; --",
        ":n",
    ];
    for payload in payloads {
        let found = api
            .run_report(
                &root.token,
                run("WalletByName", &[("q", payload), ("n", "1")], None),
            )
            .await
            .unwrap();
        assert_eq!(found.row_count, Some(0), "{payload}");
        let echoed = api
            .run_report(&root.token, run("Echo", &[("q", payload)], None))
            .await
            .unwrap();
        assert_eq!(
            json_rows(&api, &root.token, echoed.id).await["rows"],
            serde_json::json!([[payload]])
        );
    }
    assert_eq!(
        (fixture.count)("SELECT COUNT(*) FROM wallet_accounts".into()).await,
        1
    );
    let found = api
        .run_report(
            &root.token,
            run("WalletByName", &[("q", "Main"), ("n", "1")], None),
        )
        .await
        .unwrap();
    assert_eq!(found.row_count, Some(1));

    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("q", "Main"), ("n", "1 OR 1=1")], "n"),
        (&[("q", "Main")], "n"),
        (&[("q", "Main"), ("n", "1"), ("limit", "5")], "limit"),
        (
            &[("q", "Main"), ("n", "1"), ("caller_identity_id", &root.id)],
            "caller_identity_id",
        ),
    ];
    for (pairs, field) in cases {
        let err = api
            .run_report(&root.token, run("WalletByName", pairs, None))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
}

/// Templates that write, lock or call state-changing functions are refused when they are
/// written; run at store level past that check, the read-only transaction refuses them.
pub async fn writing_templates_are_refused(fixture: Fixture, store_level_extra: &[&str]) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = admin(&fixture, &api, "root").await;
    seed_wallet(&fixture, &root, "Main", 10, 0).await;
    let writers = [
        "INSERT INTO wallet_accounts (id, identity_id, name) SELECT id, identity_id, 'copy' FROM wallet_accounts",
        "UPDATE wallet_accounts SET name = 'hacked'",
        "DELETE FROM wallet_accounts",
        "CREATE TABLE evil (a INTEGER)",
        "WITH gone AS (DELETE FROM wallet_accounts RETURNING id) SELECT * FROM gone",
        "SELECT * FROM wallet_accounts FOR UPDATE",
        "SELECT 1; DROP TABLE wallet_accounts",
    ];
    for sql in writers {
        let err = api
            .create_report_definition(&root.token, definition("Writer", sql, &[]))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some("sqlTemplate")),
            "{sql}"
        );
    }
    let err = api
        .create_report_definition(
            &root.token,
            definition("Counter", "SELECT nextval('s')", &[]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("sqlTemplate"));

    let limits = QueryLimits {
        row_limit: 100,
        timeout: std::time::Duration::from_secs(30),
    };
    for sql in writers.iter().chain(store_level_extra) {
        let outcome = fixture
            .store
            .run_report_query(&CompiledQuery::unchecked(*sql, vec![]), limits)
            .await;
        assert!(
            matches!(outcome, Err(StoreError::ReportQueryRefused { .. })),
            "{sql}: {outcome:?}"
        );
    }
    assert_eq!(
        (fixture.count)("SELECT COUNT(*) FROM wallet_accounts WHERE name = 'Main'".into()).await,
        1
    );
    assert_eq!(
        (fixture.count)("SELECT COUNT(*) FROM wallet_accounts".into()).await,
        1
    );
}

/// A query past its time limit answers `timeout` and is kept as a failed run.
pub async fn slow_queries_time_out(fixture: Fixture, slow_sql: &str) {
    let api = api(&fixture, std::time::Duration::from_millis(300)).await;
    let root = admin(&fixture, &api, "root").await;
    api.create_report_definition(&root.token, definition("Slow", slow_sql, &[]))
        .await
        .unwrap();
    let err = api
        .run_report(&root.token, run("Slow", &[], None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout, "{err:?}");
    let mine = api.my_reports(&root.token, None).await.unwrap();
    assert_eq!(mine[0].status, "failed");
    assert!(mine[0].result_hash.is_none());
}

fn counting_sql(n: u32) -> String {
    format!(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) SELECT n FROM c"
    )
}

/// More rows than the definition's limit answers `limit_exceeded` and keeps nothing.
pub async fn row_cap(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = admin(&fixture, &api, "root").await;
    for (name, rows) in [("Ten", 10), ("Eleven", 11)] {
        let mut request = definition(name, &counting_sql(rows), &[]);
        request.row_limit = Some(10);
        api.create_report_definition(&root.token, request)
            .await
            .unwrap();
    }
    let ten = api
        .run_report(&root.token, run("Ten", &[], None))
        .await
        .unwrap();
    assert_eq!(ten.row_count, Some(10));
    let err = api
        .run_report(&root.token, run("Eleven", &[], None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::LimitExceeded);
    let newest = &api.my_reports(&root.token, None).await.unwrap()[0];
    assert_eq!((newest.status.as_str(), newest.row_count), ("failed", None));
    // Raising the limit lets it through.
    api.update_report_definition(
        &root.token,
        "Eleven",
        ReportDefinitionChanges {
            row_limit: Some(11),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let eleven = api
        .run_report(&root.token, run("Eleven", &[], None))
        .await
        .unwrap();
    assert_eq!(eleven.row_count, Some(11));
}

/// CSV cells with commas, quotes and line breaks come back intact through a CSV reader.
pub async fn csv_round_trips(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = admin(&fixture, &api, "root").await;
    api.create_report_definition(
        &root.token,
        definition(
            "Tricky",
            "SELECT :q AS value, 'a,b' AS plain, 42 AS n",
            &["q:text"],
        ),
    )
    .await
    .unwrap();
    let tricky = "one, \"two\"\nthree\r\nfour";
    let report = api
        .run_report(&root.token, run("Tricky", &[("q", tricky)], Some("csv")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tricky.csv");
    let exported = api
        .local()
        .export_report(&root.token, report.id, &path)
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(exported.result_hash, hex::encode(Sha3_256::digest(&bytes)));
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(reader.headers().unwrap(), vec!["value", "plain", "n"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        vec![tricky, "a,b", "42"]
    );
}

/// The PDF is a real one: `pdftotext` reads the rows back, across several pages.
pub async fn pdf_reads_back(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = admin(&fixture, &api, "root").await;
    seed_wallet(&fixture, &root, "Operating", 123456, 654).await;
    let sheet = api
        .run_report(&root.token, run("BalanceSheet", &[], None))
        .await
        .unwrap();
    assert_eq!(sheet.format, "pdf");
    api.create_report_definition(&root.token, definition("Counting", &counting_sql(150), &[]))
        .await
        .unwrap();
    let counting = api
        .run_report(&root.token, run("Counting", &[], Some("pdf")))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let text_of = |name: &str| {
        let output = std::process::Command::new("pdftotext")
            .args(["-layout", name, "-"])
            .current_dir(dir.path())
            .output()
            .expect("pdftotext (poppler-utils) runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    api.local()
        .export_report(&root.token, sheet.id, &dir.path().join("sheet.pdf"))
        .await
        .unwrap();
    let text = text_of("sheet.pdf");
    for expected in [
        "BalanceSheet",
        "wallet",
        "Operating",
        "MPC",
        "123456",
        "654",
        "122802",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    api.local()
        .export_report(&root.token, counting.id, &dir.path().join("counting.pdf"))
        .await
        .unwrap();
    let text = text_of("counting.pdf");
    assert!(text.contains("page 4 of 4"), "{text}");
    let numbers: Vec<u32> = text
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    assert_eq!(numbers, (1..=150).collect::<Vec<_>>());
}

async fn notify(
    fixture: &Fixture,
    person: &Person,
    title: &str,
    at: chrono::DateTime<Utc>,
) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    fixture
        .store
        .create_notifications(&[NewNotification {
            id,
            identity_id: IdentityId::from_uuid(uuid::Uuid::parse_str(&person.id).unwrap()),
            kind: NotificationKind::System,
            title: title.to_owned(),
            body: String::new(),
            metadata: serde_json::json!({}),
            created_at: at,
        }])
        .await
        .unwrap();
    id
}

/// Pages newest first without gaps or repeats; read marks and counts touch only the
/// caller's own.
pub async fn notifications_page_and_mark(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let ada = person(&api, "ada").await;
    let grace = person(&api, "grace").await;
    // Marks what sign-up left, so the counts below are the seeded ones.
    api.mark_all_notifications_read(&ada.token).await.unwrap();
    let grace_before = api
        .unread_notification_count(&grace.token)
        .await
        .unwrap()
        .count;
    let base = Utc::now() + Duration::hours(1);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            notify(
                &fixture,
                &ada,
                &format!("n{i}"),
                base + Duration::seconds(i),
            )
            .await,
        );
    }
    // Two at the same instant: the id orders them.
    ids.push(notify(&fixture, &ada, "n5", base + Duration::seconds(4)).await);
    let graces = notify(&fixture, &grace, "for grace", base).await;
    assert_eq!(
        api.unread_notification_count(&ada.token)
            .await
            .unwrap()
            .count,
        6
    );

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = api
            .notifications(
                &ada.token,
                NotificationListRequest {
                    unread_only: true,
                    cursor: cursor.clone(),
                    limit: Some(4),
                },
            )
            .await
            .unwrap();
        assert!(page.notifications.len() <= 4);
        seen.extend(page.notifications.into_iter().map(|n| (n.created_at, n.id)));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let mut expected = seen.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected, "newest first, then by id");
    assert_eq!(seen.len(), 6);
    assert!(ids.iter().all(|id| seen.iter().any(|(_, s)| s == id)));

    api.mark_notification_read(&ada.token, ids[0])
        .await
        .unwrap();
    api.mark_notification_read(&ada.token, ids[0])
        .await
        .unwrap();
    assert_eq!(
        api.unread_notification_count(&ada.token)
            .await
            .unwrap()
            .count,
        5
    );
    let err = api
        .mark_notification_read(&ada.token, graces)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let unread = api
        .notifications(
            &ada.token,
            NotificationListRequest {
                unread_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(unread.notifications.len(), 5);
    assert!(
        unread
            .notifications
            .iter()
            .all(|n| !n.is_read && n.id != ids[0])
    );
    let all = api
        .notifications(&ada.token, NotificationListRequest::default())
        .await
        .unwrap();
    let first = all.notifications.iter().find(|n| n.id == ids[0]).unwrap();
    assert!(first.is_read && first.read_at.is_some());

    assert_eq!(
        api.mark_all_notifications_read(&ada.token)
            .await
            .unwrap()
            .count,
        5
    );
    assert_eq!(
        api.unread_notification_count(&ada.token)
            .await
            .unwrap()
            .count,
        0
    );
    assert_eq!(
        api.unread_notification_count(&grace.token)
            .await
            .unwrap()
            .count,
        grace_before + 1
    );
    let err = api
        .notifications(
            &ada.token,
            NotificationListRequest {
                cursor: Some("garbage".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("cursor"));
}

/// Who may do what with definitions and runs.
pub async fn permissions(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = admin(&fixture, &api, "root").await;
    let ada = person(&api, "ada").await;
    let err = api
        .create_report_definition(&ada.token, definition("Mine", "SELECT 1 AS one", &[]))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    api.create_report_definition(
        &root.token,
        definition("Everyone", "SELECT name FROM wallet_accounts", &[]),
    )
    .await
    .unwrap();
    let err = api
        .create_report_definition(&root.token, definition("Everyone", "SELECT 1 AS one", &[]))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("name"))
    );
    // Not limited to the caller's data: admins only.
    let err = api
        .run_report(&ada.token, run("Everyone", &[], None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    api.run_report(&root.token, run("Everyone", &[], None))
        .await
        .unwrap();

    api.set_report_definition_active(&root.token, "BalanceSheet", false)
        .await
        .unwrap();
    let err = api
        .run_report(&ada.token, run("BalanceSheet", &[], None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    assert!(
        !api.report_definitions(&ada.token, false)
            .await
            .unwrap()
            .iter()
            .any(|d| d.name == "BalanceSheet")
    );
    assert_eq!(
        api.report_definitions(&ada.token, true)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert!(
        api.report_definitions(&root.token, true)
            .await
            .unwrap()
            .iter()
            .any(|d| d.name == "BalanceSheet" && !d.is_active)
    );
    // Deactivation is soft and undone by reactivating; built-ins keep their text.
    api.set_report_definition_active(&root.token, "BalanceSheet", true)
        .await
        .unwrap();
    api.run_report(&ada.token, run("BalanceSheet", &[], None))
        .await
        .unwrap();
    let err = api
        .update_report_definition(
            &root.token,
            "BalanceSheet",
            ReportDefinitionChanges {
                sql_template: Some("SELECT 1 AS one".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    let err = api
        .run_report(&ada.token, run("NoSuchReport", &[], None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = api
        .run_report(&ada.token, run("BalanceSheet", &[], Some("xml")))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("format"))
    );
    assert_eq!(
        (fixture.count)(
            "SELECT COUNT(*) FROM security_events WHERE event_type = 'report_definition_changed'"
                .into()
        )
        .await,
        3
    );
}

/// Past every check, a write meets the store's read-only guard itself (PostgreSQL's READ
/// ONLY transaction, SQLite's read-only connection), not a syntax error.
pub async fn writes_meet_the_read_only_guard(fixture: Fixture) {
    let api = api(&fixture, std::time::Duration::from_secs(30)).await;
    let root = person(&api, "root").await;
    seed_wallet(&fixture, &root, "Main", 10, 0).await;
    let limits = QueryLimits {
        row_limit: 10,
        timeout: std::time::Duration::from_secs(30),
    };
    for sql in [
        "DELETE FROM wallet_accounts",
        "UPDATE wallet_accounts SET name = 'hacked'",
        "INSERT INTO wallet_accounts (identity_id, name) SELECT identity_id, 'copy' FROM wallet_accounts",
        "CREATE TABLE evil (a INTEGER)",
    ] {
        let outcome = fixture
            .store
            .run_report_query(&CompiledQuery::unchecked(sql, vec![]), limits)
            .await;
        assert!(
            matches!(
                outcome,
                Err(StoreError::ReportQueryRefused {
                    reason: multipass_store::QueryRefusal::ReadOnly,
                    ..
                })
            ),
            "{sql}: {outcome:?}"
        );
    }
    assert_eq!(
        (fixture.count)("SELECT COUNT(*) FROM wallet_accounts WHERE name = 'Main'".into()).await,
        1
    );
}
