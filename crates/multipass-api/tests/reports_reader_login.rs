//! Reports on a connection that logs in as the report reader (`reports.database_url` with a
//! login holding only `multipass_report_reader`): a template that resets the role mid-query
//! falls back to that login, which cannot read credentials either.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use common::*;
use multipass_api::reports::{NewReportDefinitionRequest, RunReportRequest};
use multipass_api::{MultipassApi, Policies};
use multipass_domain::SessionToken;
use multipass_store_postgres::migrator;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The review's template: it resets the role through a quoted `set_config` and hides the
/// credentials table inside a string that `query_to_xml` plans after the reset.
const ESCAPING_TEMPLATE: &str = "SELECT x.r, query_to_xml('select username, password_hash \
     from multipass_credentials', true, false, '')::text AS loot, :caller_identity_id AS me \
     FROM (SELECT \"set_config\"('role', 'none', true) AS r) x";

/// The API over `store`, as it opens one (with the built-in reports), and its admin.
async fn with_admin(
    store: multipass_store_postgres::PgStore,
) -> (MultipassApi, multipass_api::SignInOutcome) {
    multipass_api::reports::install_builtins(&store)
        .await
        .unwrap();
    let api = MultipassApi::new(Arc::new(store), Policies::default(), ManualClock::new());
    let root = sign_up(&api, "root").await;
    api.bootstrap_admin(&root.token).await.unwrap();
    (api, root)
}

/// An admin's report definition of `sql`, shown as JSON.
async fn define(
    api: &MultipassApi,
    token: &SessionToken,
    name: &str,
    sql: &str,
) -> multipass_api::reports::ReportDefinitionView {
    api.create_report_definition(
        token,
        NewReportDefinitionRequest {
            name: name.into(),
            description: String::new(),
            sql_template: sql.into(),
            parameters: Vec::new(),
            default_format: Some("json".into()),
            row_limit: None,
        },
    )
    .await
    .expect("the template checker accepts it")
}

async fn run(
    api: &MultipassApi,
    token: &SessionToken,
    definition: &str,
) -> Result<multipass_api::reports::GeneratedReportView, multipass_api::ApiError> {
    api.run_report(
        token,
        RunReportRequest {
            definition: definition.into(),
            parameters: BTreeMap::new(),
            format: Some("json".into()),
        },
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn a_role_reset_in_a_template_stays_with_the_reader_login(pool: PgPool) {
    migrator().run(&pool).await.unwrap();
    let reader = multipass_store_postgres::test_support::report_reader_options(&pool)
        .await
        .unwrap();
    let store = runtime_store(&pool)
        .await
        .with_report_replica(reader, 2, Duration::from_secs(10));
    let (api, root) = with_admin(store).await;

    let definition = define(&api, &root.token, "Escape", ESCAPING_TEMPLATE).await;
    let escaped = run(&api, &root.token, &definition.id.to_string()).await;
    if let Ok(report) = &escaped {
        let opened = api.open_report(&root.token, report.id).await;
        let text = opened
            .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
            .unwrap_or_default();
        assert!(
            report.status != "completed" || !text.contains("$argon2id"),
            "the template read password hashes: {text}"
        );
    }

    // Legitimate reports run as before over the reader login.
    let sheet = run(&api, &root.token, "BalanceSheet").await.unwrap();
    assert_eq!(sheet.status, "completed", "{sheet:?}");
}

/// The reader reads what describes a report run or a pass, not a report's bytes or a pass's
/// credential (schema version 8), whichever login reports use.
#[sqlx::test(migrations = false)]
async fn the_reader_sees_no_report_bytes_and_no_pass_credentials(pool: PgPool) {
    migrator().run(&pool).await.unwrap();
    let (api, root) = with_admin(runtime_store(&pool).await).await;
    // Something to read: a completed report of root's own.
    run(&api, &root.token, "BalanceSheet").await.unwrap();
    let described = define(
        &api,
        &root.token,
        "Runs",
        "SELECT id, status, row_count FROM generated_reports WHERE identity_id = :caller_identity_id",
    )
    .await;
    let runs = run(&api, &root.token, &described.id.to_string())
        .await
        .unwrap();
    assert_eq!(runs.status, "completed", "{runs:?}");
    for (name, sql) in [
        (
            "Bytes",
            "SELECT encode(result, 'hex') AS bytes FROM generated_reports \
             WHERE identity_id = :caller_identity_id",
        ),
        (
            "Credentials",
            "SELECT credential_id, public_key FROM hardware_passes \
             WHERE identity_id = :caller_identity_id",
        ),
    ] {
        let definition = define(&api, &root.token, name, sql).await;
        let refused = run(&api, &root.token, &definition.id.to_string()).await;
        assert!(
            refused.as_ref().is_err() || refused.as_ref().is_ok_and(|r| r.status == "failed"),
            "{name}: {refused:?}"
        );
    }
}
