//! What a desktop or the CLI talks to: the application API in this process (the embedded
//! store, or a trusted back-office machine's direct PostgreSQL), or the Multipass server.

use crate::RemoteApi;
use multipass_api::config::ServerEndpoint;
use multipass_api::dto::{StatusView, StoreBackend};
use multipass_api::pass_ceremony::PassReader;
use multipass_api::reports::{GeneratedReportView, OpenedReport, RunReportRequest};
use multipass_api::signer::WalletKeys;
use multipass_api::vault::KeyringVault;
use multipass_api::wallet::{ExportRequest, ExportView};
use multipass_api::{ApiError, ErrorCode, MultipassApi, Operations, Settings};
use multipass_domain::SessionToken;
use multipass_store::ReportCache;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Connection {
    target: Target,
    /// This computer's wallet keys: transfers and orders are signed here in every mode.
    keys: WalletKeys,
    /// This computer's passes: their part of every ceremony runs here in every mode.
    passes: PassReader,
}

#[derive(Debug, Clone)]
enum Target {
    InProcess(Box<MultipassApi>),
    Server {
        api: Box<RemoteApi>,
        endpoint: ServerEndpoint,
        /// Where reports opened through the server are kept for offline reading.
        report_cache: Option<Arc<dyn ReportCache>>,
    },
}

impl Connection {
    /// The server when the settings name one (no database credential is then read or
    /// held), else the store the settings select, opened and migrated as before.
    pub async fn open(settings: &Settings) -> Result<Self, ApiError> {
        Ok(match &settings.server {
            Some(endpoint) => Self {
                target: Target::Server {
                    api: Box::new(crate::connect(endpoint)?),
                    endpoint: endpoint.clone(),
                    report_cache: multipass_api::reports::open_cache_for(settings).await,
                },
                keys: WalletKeys::new(Arc::new(KeyringVault::default())),
                passes: PassReader::new(&settings.ceremony),
            },
            None => {
                let api = MultipassApi::open(settings).await?;
                Self {
                    keys: WalletKeys::new(api.vault().clone()),
                    passes: api.pass_reader(),
                    target: Target::InProcess(Box::new(api)),
                }
            }
        })
    }

    /// This computer's wallet keys, which sign transfers and orders before they are sent.
    pub fn wallet_keys(&self) -> &WalletKeys {
        &self.keys
    }

    /// This computer's passes, for listing them and for their part of a ceremony.
    pub fn pass_reader(&self) -> &PassReader {
        &self.passes
    }

    /// The API in this process, for what is not split between desktop and server yet: desk
    /// enrolment.
    pub fn in_process(&self) -> Result<&MultipassApi, ApiError> {
        match &self.target {
            Target::InProcess(api) => Ok(api),
            Target::Server { .. } => Err(ApiError::new(
                ErrorCode::InvalidState,
                "This is not available yet while Multipass works through a server.",
            )),
        }
    }

    /// Writes one of the caller's wallets' history as CSV to `writer`: streamed from the
    /// store in process, or fetched whole from the server (up to its size limit).
    pub async fn export_wallet_transactions_csv<W: std::io::Write + Send>(
        &self,
        token: &SessionToken,
        request: ExportRequest,
        mut writer: W,
    ) -> Result<ExportView, ApiError> {
        match &self.target {
            Target::InProcess(api) => {
                api.export_wallet_transactions_csv(token, request, writer)
                    .await
            }
            Target::Server { api, .. } => {
                let export = api.wallet_transactions_csv(token, request).await?;
                writer
                    .write_all(export.csv.as_bytes())
                    .and_then(|()| writer.flush())
                    .map_err(|e| {
                        ApiError::new(
                            ErrorCode::InvalidInput,
                            format!("The export could not be written: {e}."),
                        )
                    })?;
                Ok(ExportView { rows: export.rows })
            }
        }
    }

    /// Runs a report; through a server, a completed one is also kept on this computer for
    /// offline reading, as the API in process keeps it.
    pub async fn run_report(
        &self,
        token: &SessionToken,
        request: RunReportRequest,
    ) -> Result<GeneratedReportView, ApiError> {
        let report = (**self).run_report(token, request).await?;
        let keeps_copies = matches!(
            &self.target,
            Target::Server {
                report_cache: Some(_),
                ..
            }
        );
        if keeps_copies
            && report.status == "completed"
            && let Err(err) = self.open_report(token, report.id).await
        {
            tracing::warn!(%err, id = %report.id, "a report could not be fetched for offline reading");
        }
        Ok(report)
    }

    /// Opens a report; through a server, it is also kept on this computer for offline
    /// reading.
    pub async fn open_report(
        &self,
        token: &SessionToken,
        id: Uuid,
    ) -> Result<OpenedReport, ApiError> {
        let opened = (**self).open_report(token, id).await?;
        if let Target::Server {
            api,
            report_cache: Some(cache),
            ..
        } = &self.target
        {
            keep(cache.as_ref(), api, token, &opened).await;
        }
        Ok(opened)
    }

    /// Which store or server is in use, and whether it answers.
    pub async fn status(&self) -> Result<StatusView, ApiError> {
        match &self.target {
            Target::InProcess(api) => api.status().await,
            Target::Server { api, endpoint, .. } => {
                let health = api.0.health().await?;
                Ok(StatusView {
                    backend: StoreBackend::Server,
                    schema_version: health
                        .schema_version
                        .and_then(|v| i32::try_from(v).ok())
                        .unwrap_or_default(),
                    healthy: health.status == "ok",
                    location: endpoint.url.origin().ascii_serialization(),
                })
            }
        }
    }
}

/// An offline copy that cannot be kept costs only that copy: logged, and the report is
/// still answered.
async fn keep(
    cache: &dyn ReportCache,
    api: &RemoteApi,
    token: &SessionToken,
    opened: &OpenedReport,
) {
    let kept =
        multipass_api::reports::keep_opened_offline(cache, api, token, opened, chrono::Utc::now())
            .await;
    if let Err(err) = kept {
        tracing::warn!(%err, id = %opened.report.id, "a report could not be kept for offline reading");
    }
}

impl std::ops::Deref for Connection {
    type Target = dyn Operations;

    fn deref(&self) -> &Self::Target {
        match &self.target {
            Target::InProcess(api) => api.as_ref(),
            Target::Server { api, .. } => api.as_ref(),
        }
    }
}
