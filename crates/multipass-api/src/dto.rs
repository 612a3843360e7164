//! Transport types: what crosses to the UI (as JSON, mirrored in `ui/src/lib/bindings.ts`,
//! generated from these definitions) and to the CLI's `--json` output.

use multipass_store::{Backend, Identity, StoreStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    Sqlite,
    Postgres,
    /// A Multipass server; `location` is its address.
    Server,
}

/// What `GET /health` on the server answers: no secrets, no session needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: String,
    pub version: String,
    /// `ok`, `unhealthy` or `unavailable`.
    pub database: String,
    pub schema_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub backend: StoreBackend,
    pub schema_version: i32,
    pub healthy: bool,
    /// File path, or `host:port/database as user` (never a password).
    pub location: String,
}

impl From<StoreStatus> for StatusView {
    fn from(status: StoreStatus) -> Self {
        Self {
            backend: match status.backend {
                Backend::Sqlite => StoreBackend::Sqlite,
                Backend::Postgres => StoreBackend::Postgres,
            },
            schema_version: i32::try_from(status.schema_version).unwrap_or(i32::MAX),
            healthy: status.healthy,
            location: status.location,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IdentityView {
    pub id: String,
    pub full_name: String,
    pub email: String,
    pub username: String,
    pub kyc_level: i16,
    pub verification_status: String,
    /// `user`, `desk` or `admin`: which screens the window offers (the API checks again).
    pub role: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<Identity> for IdentityView {
    fn from(identity: Identity) -> Self {
        Self {
            id: identity.id.to_string(),
            full_name: identity.full_name,
            email: identity.email,
            username: identity.username,
            kyc_level: identity.kyc_level,
            verification_status: identity.verification_status,
            role: identity.role,
            created_at: identity
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// The password is a plain `String` only for the hop from the UI; it becomes a redacting
/// `Password` at once, and `Debug` here does not print it.
#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignUpRequest {
    pub full_name: String,
    pub email: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SignUpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpRequest")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub identity: IdentityView,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// Every type the UI sees, in the order they appear in the generated bindings file.
pub fn typescript_bindings() -> String {
    use crate::error::{ApiError, ErrorCode};
    // serde_json sends i64/u64 as JSON numbers, which the web view parses as `number`, never
    // `bigint`; the UI keeps amounts within `Number.MAX_SAFE_INTEGER` so they stay exact.
    let cfg = ts_rs::Config::default().with_large_int("number");
    let decls = [
        ErrorCode::decl(&cfg),
        ApiError::decl(&cfg),
        StoreBackend::decl(&cfg),
        StatusView::decl(&cfg),
        IdentityView::decl(&cfg),
        SignUpRequest::decl(&cfg),
        SignInRequest::decl(&cfg),
        SignedIn::decl(&cfg),
        crate::auth_views::SecondFactor::decl(&cfg),
        crate::wallet::CreateWalletRequest::decl(&cfg),
        crate::wallet::WalletView::decl(&cfg),
        crate::wallet::BalanceView::decl(&cfg),
        crate::wallet::TransferRequest::decl(&cfg),
        crate::wallet::TransactionView::decl(&cfg),
        crate::wallet::TransferView::decl(&cfg),
        crate::wallet::HistoryRequest::decl(&cfg),
        crate::wallet::HistoryPage::decl(&cfg),
        crate::NotificationView::decl(&cfg),
        crate::NotificationListRequest::decl(&cfg),
        crate::NotificationPage::decl(&cfg),
        crate::NotificationCount::decl(&cfg),
        crate::auth_views::SessionView::decl(&cfg),
        crate::auth_views::SecondFactorStatus::decl(&cfg),
        crate::auth_views::TotpEnrolment::decl(&cfg),
        crate::auth_views::BackupCodesView::decl(&cfg),
        crate::auth_views::AccountProof::decl(&cfg),
        crate::auth_views::ChangePasswordRequest::decl(&cfg),
        crate::passes::PassView::decl(&cfg),
        crate::passes::ChallengeView::decl(&cfg),
        crate::pass_ceremony::DeviceRef::decl(&cfg),
        crate::pass_ceremony::PassInfoView::decl(&cfg),
        crate::pass_ceremony::ConnectedPass::decl(&cfg),
        crate::pass_ceremony::HidDeviceView::decl(&cfg),
        crate::pass_ceremony::PassDiagnostics::decl(&cfg),
        crate::pass_ceremony::Progress::decl(&cfg),
        crate::pass_ceremony::DeskEnrolmentRequest::decl(&cfg),
        crate::pass_ceremony::DeskEnrolment::decl(&cfg),
        crate::pass_ceremony::PassSignInRequest::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/multipass-api (dto.rs, error.rs, the service views and the operation list) by `make bindings`. Do not edit by hand:\n\
         // the test `bindings_file_is_current` fails when this file and the Rust types disagree.\n\n",
    );
    let mut decls: Vec<String> = decls.into();
    let mut declared: std::collections::BTreeSet<String> =
        decls.iter().filter_map(|d| declared_name(d)).collect();
    // By name: the order ts-rs visits dependencies in differs with the features the build
    // unifies (one crate tested alone, or the whole workspace).
    let mut reached: Vec<(String, String)> = operation_type_decls(&cfg)
        .into_iter()
        .filter_map(|decl| Some((declared_name(&decl)?, decl)))
        .collect();
    reached.sort();
    for (name, decl) in reached {
        if declared.insert(name) {
            decls.push(decl);
        }
    }
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The name a declaration such as `type Foo = …` or `type Foo<T> = …` declares.
fn declared_name(decl: &str) -> Option<String> {
    let rest = decl.trim_start().strip_prefix("type ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(rest[..end].to_owned())
}

/// Every type a session operation takes or answers with, and what those depend on.
fn operation_type_decls(cfg: &ts_rs::Config) -> Vec<String> {
    use std::any::TypeId;
    use ts_rs::{TS, TypeVisitor};
    struct Collect<'a> {
        cfg: &'a ts_rs::Config,
        seen: std::collections::HashSet<TypeId>,
        decls: Vec<String>,
    }
    impl TypeVisitor for Collect<'_> {
        fn visit<T: TS + 'static + ?Sized>(&mut self) {
            if !self.seen.insert(TypeId::of::<T>()) {
                return;
            }
            T::visit_generics(self);
            if T::output_path().is_some() {
                self.decls.push(T::decl(self.cfg));
                T::visit_dependencies(self);
            }
        }
    }
    let mut collect = Collect {
        cfg,
        seen: Default::default(),
        decls: Vec::new(),
    };
    crate::operations::visit_session_types(&mut collect);
    collect.decls
}

/// `ui/src/lib/operations.ts`: one typed function per session operation of the list, each
/// calling the desktop's one `operation` command.
pub fn typescript_operations() -> String {
    let cfg = ts_rs::Config::default().with_large_int("number");
    let functions = crate::operations::typescript_functions(&cfg);
    let declared: std::collections::BTreeSet<String> = typescript_bindings()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(declared_name)
        .collect();
    let used: std::collections::BTreeSet<&str> = functions
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| declared.contains(*word))
        .collect();
    let mut out = String::from(
        "// Generated from the operation list (crates/multipass-api/src/operations/list.rs) by `make bindings`.\n\
         // Do not edit by hand: the test `operations_file_is_current` fails when it is stale.\n\n",
    );
    if !used.is_empty() {
        out.push_str("import type {\n");
        for name in &used {
            out.push_str(&format!("  {name},\n"));
        }
        out.push_str("} from \"./bindings\";\n");
    }
    out.push_str("import { callOperation, type ApiResult } from \"./api\";\n\n");
    out.push_str(functions.trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_do_not_print_passwords() {
        let req = SignInRequest {
            username: "ada".into(),
            password: "very secret words".into(),
        };
        assert!(!format!("{req:?}").contains("very secret"));
        let req = SignUpRequest {
            full_name: "Ada".into(),
            email: "ada@example.com".into(),
            username: "ada".into(),
            password: "very secret words".into(),
        };
        assert!(!format!("{req:?}").contains("very secret"));
    }

    fn check_generated(file: &str, generated: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/lib")
            .join(file);
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, generated).expect("write bindings");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/{file} is stale; run `make bindings` and commit the result.\n--- generated ---\n{generated}"
        );
    }

    #[test]
    fn operations_file_is_current() {
        check_generated("operations.ts", &typescript_operations());
    }

    #[test]
    fn bindings_file_is_current() {
        check_generated("bindings.ts", &typescript_bindings());
    }
}
