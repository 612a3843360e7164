//! `multipass reports ...` and `multipass notifications ...`, as the signed-in CLI user.

use crate::output::Output;
use crate::session::current_token;
use clap::{Args, Subcommand};
use multipass_api::reports::{
    ExportedReport, GeneratedReportView, NewReportDefinitionRequest, OfflineReportView,
    OfflineReports, ReportDefinitionChanges, ReportDefinitionView, ReportSource, RunReportRequest,
};
use multipass_api::{ApiError, ErrorCode, NotificationListRequest, Settings};
use multipass_client::Connection;
use std::collections::BTreeMap;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// List the report definitions you can run (--all: deactivated ones too; admins).
    Definitions {
        #[arg(long)]
        all: bool,
    },
    /// Create a report definition (admins).
    CreateDefinition(CreateDefinitionArgs),
    /// Change a definition (admins); options left out keep their value.
    UpdateDefinition(UpdateDefinitionArgs),
    /// Deactivate a definition (admins); its generated reports stay.
    DeactivateDefinition { definition: String },
    /// Reactivate a definition (admins).
    ActivateDefinition { definition: String },
    /// Run a definition (by name or id) and keep the result.
    Run(RunArgs),
    /// List your generated reports, newest first.
    List {
        #[arg(long)]
        limit: Option<u32>,
        /// Read only the copies kept on this computer, without the database.
        #[arg(long)]
        offline: bool,
    },
    /// Show one of your reports; JSON and CSV results are printed.
    Show {
        id: String,
        /// Read only the copy kept on this computer, without the database.
        #[arg(long)]
        offline: bool,
    },
    /// Write one of your reports to a file.
    Export {
        id: String,
        #[arg(long)]
        to: PathBuf,
        /// Write the copy kept on this computer, without the database.
        #[arg(long)]
        offline: bool,
    },
}

impl ReportsCommand {
    /// `list`, `show` or `export` with `--offline`: served without opening the store.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            Self::List { offline: true, .. }
                | Self::Show { offline: true, .. }
                | Self::Export { offline: true, .. }
        )
    }

    /// Reads reports that may have an offline copy.
    pub fn reads_reports(&self) -> bool {
        matches!(
            self,
            Self::List { .. } | Self::Show { .. } | Self::Export { .. }
        )
    }
}

#[derive(Debug, Args)]
pub struct CreateDefinitionArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// The SQL template; `:name` placeholders, `:caller_identity_id` for the runner.
    #[arg(
        long,
        conflicts_with = "sql_file",
        required_unless_present = "sql_file"
    )]
    pub sql: Option<String>,
    /// Read the SQL template from this file.
    #[arg(long)]
    pub sql_file: Option<PathBuf>,
    /// A parameter declaration `name:type` (date, uuid, text, integer); repeatable.
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// json, csv or pdf.
    #[arg(long)]
    pub format: Option<String>,
    #[arg(long)]
    pub row_limit: Option<i64>,
}

#[derive(Debug, Args)]
pub struct UpdateDefinitionArgs {
    /// The definition's name or id.
    pub definition: String,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long, conflicts_with = "sql_file")]
    pub sql: Option<String>,
    #[arg(long)]
    pub sql_file: Option<PathBuf>,
    /// Replaces all declarations; repeatable. Use --no-params to remove them all.
    #[arg(long = "param", conflicts_with = "no_params")]
    pub params: Vec<String>,
    #[arg(long)]
    pub no_params: bool,
    #[arg(long)]
    pub format: Option<String>,
    #[arg(long)]
    pub row_limit: Option<i64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The definition's name or id.
    pub definition: String,
    /// A parameter value `name=value`; repeatable.
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// json, csv or pdf; the definition's default when absent.
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Your notifications, newest first.
    List {
        #[arg(long)]
        unread: bool,
        #[arg(long)]
        limit: Option<u32>,
        /// `nextCursor` of the previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Mark one notification read.
    Read { id: String },
    /// Mark all your notifications read.
    ReadAll,
    /// How many of your notifications are unread.
    UnreadCount,
}

/// The template from `--sql` or the file `--sql-file` names, if either was given.
fn sql_from(sql: Option<String>, file: Option<PathBuf>) -> Result<Option<String>, ApiError> {
    match (sql, file) {
        (Some(sql), _) => Ok(Some(sql)),
        (None, Some(path)) => std::fs::read_to_string(&path).map(Some).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!("Could not read {}: {e}", path.display()),
            )
            .with_field("sqlFile")
        }),
        (None, None) => Ok(None),
    }
}

fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text.trim()).map_err(|_| {
        ApiError::new(ErrorCode::InvalidInput, format!("{text:?} is not an id.")).with_field("id")
    })
}

fn parse_values(pairs: &[String]) -> Result<BTreeMap<String, String>, ApiError> {
    let mut values = BTreeMap::new();
    for pair in pairs {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!("--param {pair:?} must look like name=value."),
            )
            .with_field("param")
        })?;
        if values
            .insert(name.trim().to_owned(), value.to_owned())
            .is_some()
        {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("The parameter {} is given twice.", name.trim()),
            )
            .with_field(name.trim().to_owned()));
        }
    }
    Ok(values)
}

fn definition_line(d: &ReportDefinitionView) -> String {
    let params = if d.parameters.is_empty() {
        "no parameters".to_owned()
    } else {
        d.parameters.join(", ")
    };
    let flags = match (d.is_builtin, d.is_active) {
        (true, true) => " [built-in]",
        (true, false) => " [built-in, deactivated]",
        (false, false) => " [deactivated]",
        (false, true) => "",
    };
    format!(
        "{} ({params}; {}, up to {} rows){flags}\n  {}",
        d.name, d.default_format, d.row_limit, d.description
    )
}

fn report_line(r: &GeneratedReportView) -> String {
    let outcome = match (&r.row_count, &r.error_message) {
        (Some(rows), _) => format!("{rows} rows"),
        (None, Some(error)) => error.clone(),
        (None, None) => String::new(),
    };
    format!(
        "{}  {}  {} {}  {}  {outcome}",
        r.id,
        r.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        r.definition_name,
        r.format,
        r.status
    )
}

/// `show`'s answer: the report line, then the content unless it is a PDF.
fn shown(mut text: String, mut json: serde_json::Value, format: &str, bytes: &[u8]) -> Output {
    if format == "pdf" {
        text.push_str("\n(a PDF: write it to a file with `multipass reports export`)");
    } else {
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(bytes));
        json["content"] = String::from_utf8_lossy(bytes).into_owned().into();
    }
    Output::new(json, text)
}

fn exported_line(exported: &ExportedReport) -> String {
    format!(
        "wrote {} bytes to {} (SHA3-256 {})",
        exported.bytes,
        exported.path.display(),
        exported.result_hash
    )
}

/// Where an offline answer came from, for people.
fn source_line(report: &OfflineReportView) -> String {
    match (report.source, report.cached_at) {
        (ReportSource::OfflineCopy, Some(at)) => format!(
            "offline copy kept {}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        (ReportSource::OfflineCopy, None) => "offline copy".to_owned(),
        (ReportSource::LocalStore, _) => "from the local store".to_owned(),
    }
}

/// `list`, `show` and `export` with `--offline`: the copies kept on this computer (or the
/// embedded store itself), never the shared database.
pub async fn offline(settings: &Settings, command: ReportsCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    let reports = OfflineReports::open(settings).await?;
    match command {
        ReportsCommand::List { limit, .. } => {
            let list = reports.list(&token, limit).await?;
            let text = list
                .iter()
                .map(|r| format!("{}  ({})", report_line(&r.report), source_line(r)))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::from_view(&list, text))
        }
        ReportsCommand::Show { id, .. } => {
            let opened = reports.open_report(&token, parse_id(&id)?).await?;
            let text = format!(
                "{}  ({})",
                report_line(&opened.report.report),
                source_line(&opened.report)
            );
            Ok(shown(
                text,
                serde_json::to_value(&opened.report).unwrap_or_default(),
                &opened.report.report.format,
                &opened.bytes,
            ))
        }
        ReportsCommand::Export { id, to, .. } => {
            let exported = reports.export_report(&token, parse_id(&id)?, &to).await?;
            let text = match (exported.source, exported.cached_at) {
                (ReportSource::OfflineCopy, Some(at)) => format!(
                    "{} from the offline copy kept {}",
                    exported_line(&exported.exported),
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                _ => exported_line(&exported.exported),
            };
            Ok(Output::from_view(&exported, text))
        }
        _ => Err(ApiError::new(
            ErrorCode::InvalidInput,
            "Only list, show and export read reports offline.",
        )
        .with_field("offline")),
    }
}

pub async fn reports(api: &Connection, command: ReportsCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        ReportsCommand::Definitions { all } => {
            let list = api.report_definitions(&token, all).await?;
            let text = list
                .iter()
                .map(definition_line)
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::from_view(&list, text))
        }
        ReportsCommand::CreateDefinition(args) => {
            let sql_template = sql_from(args.sql, args.sql_file)?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    "Give the template with --sql or --sql-file.",
                )
                .with_field("sqlTemplate")
            })?;
            let created = api
                .create_report_definition(
                    &token,
                    NewReportDefinitionRequest {
                        name: args.name,
                        description: args.description,
                        sql_template,
                        parameters: args.params,
                        default_format: args.format,
                        row_limit: args.row_limit,
                    },
                )
                .await?;
            let text = format!("created {}", definition_line(&created));
            Ok(Output::from_view(&created, text))
        }
        ReportsCommand::UpdateDefinition(args) => {
            let parameters = if args.no_params {
                Some(Vec::new())
            } else if args.params.is_empty() {
                None
            } else {
                Some(args.params)
            };
            let changed = api
                .update_report_definition(
                    &token,
                    &args.definition,
                    ReportDefinitionChanges {
                        description: args.description,
                        sql_template: sql_from(args.sql, args.sql_file)?,
                        parameters,
                        default_format: args.format,
                        row_limit: args.row_limit,
                    },
                )
                .await?;
            let text = format!("updated {}", definition_line(&changed));
            Ok(Output::from_view(&changed, text))
        }
        ReportsCommand::DeactivateDefinition { definition } => {
            let changed = api
                .set_report_definition_active(&token, &definition, false)
                .await?;
            let text = format!("deactivated {}", changed.name);
            Ok(Output::from_view(&changed, text))
        }
        ReportsCommand::ActivateDefinition { definition } => {
            let changed = api
                .set_report_definition_active(&token, &definition, true)
                .await?;
            let text = format!("activated {}", changed.name);
            Ok(Output::from_view(&changed, text))
        }
        ReportsCommand::Run(args) => {
            let report = api
                .run_report(
                    &token,
                    RunReportRequest {
                        definition: args.definition,
                        parameters: parse_values(&args.params)?,
                        format: args.format,
                    },
                )
                .await?;
            let text = report_line(&report);
            Ok(Output::from_view(&report, text))
        }
        ReportsCommand::List { limit, .. } => {
            let list = api.my_reports(&token, limit).await?;
            let text = list.iter().map(report_line).collect::<Vec<_>>().join("\n");
            Ok(Output::from_view(&list, text))
        }
        ReportsCommand::Show { id, .. } => {
            let opened = api.open_report(&token, parse_id(&id)?).await?;
            Ok(shown(
                report_line(&opened.report),
                serde_json::to_value(&opened.report).unwrap_or_default(),
                &opened.report.format,
                &opened.bytes,
            ))
        }
        ReportsCommand::Export { id, to, .. } => {
            let exported =
                multipass_api::reports::export_report(&**api, &token, parse_id(&id)?, &to).await?;
            Ok(Output::from_view(&exported, exported_line(&exported)))
        }
    }
}

pub async fn notifications(
    api: &Connection,
    command: NotificationsCommand,
) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        NotificationsCommand::List {
            unread,
            limit,
            cursor,
        } => {
            let page = api
                .notifications(
                    &token,
                    NotificationListRequest {
                        unread_only: unread,
                        cursor,
                        limit,
                    },
                )
                .await?;
            let mut lines: Vec<String> = page
                .notifications
                .iter()
                .map(|n| {
                    format!(
                        "{} {} {}  {}\n  {}",
                        if n.is_read { " " } else { "*" },
                        n.created_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        n.id,
                        n.title,
                        n.body
                    )
                })
                .collect();
            if let Some(cursor) = &page.next_cursor {
                lines.push(format!("more: --cursor {cursor}"));
            }
            Ok(Output::from_view(&page, lines.join("\n")))
        }
        NotificationsCommand::Read { id } => {
            let id = parse_id(&id)?;
            api.mark_notification_read(&token, id).await?;
            Ok(Output::new(
                serde_json::json!({ "id": id, "read": true }),
                "marked read".to_owned(),
            ))
        }
        NotificationsCommand::ReadAll => {
            let count = api.mark_all_notifications_read(&token).await?;
            let text = format!("marked {} read", count.count);
            Ok(Output::from_view(&count, text))
        }
        NotificationsCommand::UnreadCount => {
            let count = api.unread_notification_count(&token).await?;
            Ok(Output::from_view(&count, count.count.to_string()))
        }
    }
}
