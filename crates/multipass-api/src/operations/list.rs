//! Every operation a client may call, declared once. A parameter written `name: &str =>
//! String` is borrowed in the call and owned on the wire.
//!
//! What runs on the desktop itself is not here: the pass's part of a ceremony on its USB, writing exports
//! to its files, offline report copies, and opening the store. Operations marked `signed`
//! carry a signature made with a wallet key from the desktop's keyring
//! ([`WalletKeys`](crate::signer::WalletKeys)); the window reaches them through the desktop's
//! own commands, which sign, so they get no TypeScript function of their own.

use super::wire;
use super::{
    OperationTransport, Remote, camel_case, decode_answer, encode, malformed, missing_session,
};
use crate::MultipassApi;
use crate::apps::views::{
    AppChangeView, AppEventPage, KeyRotatedView, ModuleView, MyModuleView, RegisterModuleRequest,
    SsoTokenView, UpdateModuleRequest, VerifiedSsoTokenView,
};
use crate::attestations::{AttestRequest, AttestationCheck, AttestationView};
use crate::auth::SignInOutcome;
use crate::auth::views::{
    AccountProof, BackupCodesView, ChangePasswordRequest, SecondFactor, SecondFactorStatus,
    SecurityEventView, SessionView, TotpEnrolment,
};
use crate::dto::{IdentityView, SignInRequest, SignUpRequest};
use crate::error::{ApiError, ErrorCode};
use crate::identity::{ProfileView, UpdateProfileRequest};
use crate::kyc::{KycListRequest, KycReviewRequest, KycSubmitRequest, KycSubmitted, KycView};
use crate::market::{
    AssetView, CreateAssetRequest, IssueRequest, OrderBookView, OrderView, PlacedOrderView,
    PositionView, SignedOrderRequest, TradeView,
};
use crate::notifications::{NotificationCount, NotificationListRequest, NotificationPage};
use crate::pass_ceremony::{PassAssertion, SignInChallenge};
use crate::passes::{ChallengeView, EnrollPassRequest, PassView};
use crate::policy::SecurityPolicyView;
use crate::reports::{
    GeneratedReportView, NewReportDefinitionRequest, OpenedReport, ReportDefinitionChanges,
    ReportDefinitionView, RunReportRequest,
};
use crate::roles::RoleGrantView;
use crate::wallet::{
    BalanceView, CsvExportView, DepositRequest, ExportRequest, FeeScheduleView, HistoryPage,
    HistoryRequest, RegisterWalletRequest, SignedTransferRequest, TransactionView, TransferView,
    VerificationView, WalletView,
};
use multipass_domain::apps::sso::JwkSet;
use multipass_domain::policy::SecurityPolicy;
use multipass_domain::{IdentityId, SessionId, SessionToken};
use multipass_store::SessionKind;
use uuid::Uuid;

operations! {
    public {
        /// Creates an identity with its credentials and signs it in.
        fn sign_up(request: SignUpRequest, kind: SessionKind) -> SignInOutcome;
        /// Signs in with a password (`second_factor_required` when the account needs more).
        fn sign_in(request: SignInRequest, kind: SessionKind) -> SignInOutcome;
        /// Signs in with a password and the second factor.
        fn sign_in_with(
            request: SignInRequest,
            second_factor: Option<SecondFactor>,
            kind: SessionKind,
        ) -> SignInOutcome;
        /// Issues the challenges of a sign-in with a pass; the pass answers where it is
        /// plugged in.
        fn begin_pass_sign_in(username: &str => String) -> SignInChallenge;
        /// Checks a pass's answer to a sign-in's challenges and opens a session.
        fn finish_pass_sign_in(
            attempt: &SignInChallenge => SignInChallenge,
            assertion: &PassAssertion => PassAssertion,
            kind: SessionKind,
        ) -> SignInOutcome;
        /// The deployment's published SSO keys.
        fn sso_jwks() -> JwkSet;
        /// Checks an SSO token as a module would.
        fn verify_sso_token(
            token: &str => String,
            audience: &str => String,
            required_scope: Option<&str> => Option<String>,
        ) -> VerifiedSsoTokenView;
    }
    session {
        User fn sign_out() -> ();
        User fn identity_for() -> IdentityView;
        User fn bootstrap_admin() -> RoleGrantView;
        Admin fn grant_role(username: &str => String, role: &str => String) -> RoleGrantView;

        // Identity, KYC and attestations
        User fn profile(username: Option<&str> => Option<String>) -> ProfileView;
        User fn update_profile(request: UpdateProfileRequest) -> ProfileView;
        Admin fn set_suspended(username: &str => String, suspended: bool) -> ProfileView;
        Admin fn set_active(username: &str => String, active: bool) -> ProfileView;
        User fn submit_kyc(request: KycSubmitRequest) -> KycSubmitted;
        User fn kyc_verifications(request: KycListRequest) -> Vec<KycView>;
        Admin fn review_kyc(request: KycReviewRequest) -> KycSubmitted;
        Admin fn expire_due_kyc() -> Vec<KycView>;
        Admin fn attest(request: AttestRequest) -> AttestationView;
        User fn attestations(username: Option<&str> => Option<String>) -> Vec<AttestationView>;
        User fn verify_attestation(attestation_id: &str => String) -> AttestationCheck;
        Admin fn revoke_attestation(
            attestation_id: &str => String,
            reason: &str => String,
        ) -> AttestationView;

        // Sign-in security
        User fn security_events(identity: Option<IdentityId>, limit: u32) -> Vec<SecurityEventView>;
        Desk fn identity_id_of(username: &str => String) -> IdentityId;
        User fn sessions(identity: Option<IdentityId>) -> Vec<SessionView>;
        User fn revoke_session(identity: Option<IdentityId>, session: SessionId) -> ();
        User fn second_factor_status() -> SecondFactorStatus;
        User fn totp_enrol() -> TotpEnrolment;
        User fn totp_confirm(code: &str => String) -> SecondFactorStatus;
        User fn totp_disable(proof: AccountProof) -> SecondFactorStatus;
        User fn regenerate_backup_codes(proof: AccountProof) -> BackupCodesView;
        User fn set_require_2fa(identity: Option<IdentityId>, required: bool) -> SecondFactorStatus;
        User fn change_password(request: ChangePasswordRequest) -> u64;
        Admin fn unlock(identity: IdentityId) -> ();
        /// The security policy in force: the shared database's, or a standalone desktop's settings.
        Admin fn security_policy() -> SecurityPolicyView;
        /// Replaces the shared database's security policy.
        Admin fn update_security_policy(policy: SecurityPolicy) -> SecurityPolicyView;

        // Wallets
        /// Registers a wallet whose key pair the desktop made (`WalletKeys::create_wallet`).
        User fn create_wallet(request: RegisterWalletRequest) -> WalletView, signed;
        User fn list_wallets(owner: Option<&str> => Option<String>) -> Vec<WalletView>;
        User fn wallet(wallet_id: &str => String) -> WalletView;
        User fn balances(wallet_id: &str => String) -> Vec<BalanceView>;
        User fn set_wallet_status(wallet_id: &str => String, status: &str => String) -> WalletView;
        User fn set_default_wallet(wallet_id: &str => String) -> WalletView;
        Admin fn deposit(request: DepositRequest) -> TransactionView;
        /// A transfer the desktop signed (`WalletKeys::transfer`).
        User fn transfer(request: SignedTransferRequest) -> TransferView, signed;
        User fn fee_schedule() -> FeeScheduleView;
        User fn verify_transfer(transfer_id: &str => String) -> VerificationView;
        /// One of the caller's wallets' history as CSV, whole, for the desktop to write to
        /// its file (`limit_exceeded` past `MAX_SENT_CSV_BYTES`).
        User fn wallet_transactions_csv(request: ExportRequest) -> CsvExportView;
        User fn history(request: HistoryRequest) -> HistoryPage;

        // Market
        Admin fn create_asset(request: CreateAssetRequest) -> AssetView;
        User fn assets() -> Vec<AssetView>;
        Admin fn set_asset_status(symbol: &str => String, status: &str => String) -> AssetView;
        Admin fn issue_asset(request: IssueRequest) -> AssetView;
        /// An order the desktop signed (`WalletKeys::place_order`).
        User fn place_order(request: SignedOrderRequest) -> PlacedOrderView, signed;
        User fn cancel_order(order_id: &str => String) -> OrderView;
        User fn my_orders(
            symbol: Option<&str> => Option<String>,
            resting_only: bool,
            limit: u32,
        ) -> Vec<OrderView>;
        User fn order_book(symbol: &str => String, levels: u32) -> OrderBookView;
        User fn trades(symbol: &str => String, limit: u32) -> Vec<TradeView>;
        User fn positions() -> Vec<PositionView>;

        // Application modules and SSO
        Admin fn register_module(request: RegisterModuleRequest) -> ModuleView;
        Admin fn update_module(name: &str => String, request: UpdateModuleRequest) -> ModuleView;
        Admin fn set_module_enabled(name: &str => String, enabled: bool) -> ModuleView;
        User fn list_modules(include_disabled: bool) -> Vec<MyModuleView>;
        User fn install_module(module: &str => String) -> AppChangeView;
        User fn authorize_module(
            module: &str => String,
            scopes: Option<Vec<String>>,
        ) -> AppChangeView;
        User fn revoke_module(module: &str => String) -> AppChangeView;
        User fn uninstall_module(module: &str => String) -> AppChangeView;
        User fn record_app_action(
            module: &str => String,
            action: &str => String,
            detail: Option<&str> => Option<String>,
        ) -> AppChangeView;
        User fn app_events(
            module: Option<&str> => Option<String>,
            cursor: Option<&str> => Option<String>,
            limit: Option<u32>,
        ) -> AppEventPage;
        User fn issue_sso_token(
            module: &str => String,
            scopes: Option<Vec<String>>,
        ) -> SsoTokenView;
        Admin fn rotate_sso_key() -> KeyRotatedView;

        // Notifications
        User fn notifications(request: NotificationListRequest) -> NotificationPage;
        User fn mark_notification_read(id: Uuid) -> ();
        User fn mark_all_notifications_read() -> NotificationCount;
        User fn unread_notification_count() -> NotificationCount;

        // Reports
        User fn report_definitions(include_inactive: bool) -> Vec<ReportDefinitionView>;
        Admin fn create_report_definition(request: NewReportDefinitionRequest) -> ReportDefinitionView;
        Admin fn update_report_definition(
            definition: &str => String,
            changes: ReportDefinitionChanges,
        ) -> ReportDefinitionView;
        Admin fn set_report_definition_active(
            definition: &str => String,
            active: bool,
        ) -> ReportDefinitionView;
        User fn run_report(request: RunReportRequest) -> GeneratedReportView;
        User fn my_reports(limit: Option<u32>) -> Vec<GeneratedReportView>;
        User fn open_report(id: Uuid) -> OpenedReport;

        // Hardware passes (the registry; ceremonies run where the pass is plugged in)
        User fn enroll_pass(request: EnrollPassRequest) -> PassView;
        User fn passes(username: Option<&str> => Option<String>) -> Vec<PassView>;
        User fn revoke_pass(pass: &str => String, reason: Option<&str> => Option<String>) -> PassView;
        User fn report_pass_lost(
            pass: &str => String,
            reason: Option<&str> => Option<String>,
        ) -> PassView;
        Admin fn expire_due_passes() -> Vec<PassView>;
        User fn issue_challenge(pass: &str => String, purpose: &str => String) -> ChallengeView;
    }
}
