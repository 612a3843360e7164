//! The HTTP routes: `/health`, `/.well-known/jwks.json`, and `POST /api/v1/{operation}`
//! for every operation of the list.

use crate::{own_error, status_of};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use multipass_api::config::ListenSettings;
use multipass_api::dto::HealthView;
use multipass_api::operations::{Access, OperationInfo, dispatch};
use multipass_api::{ApiError, ErrorCode, MultipassApi};
use multipass_domain::{Role, SessionToken};
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[derive(Debug, Clone)]
struct AppState {
    api: Arc<MultipassApi>,
}

pub(crate) fn router(api: Arc<MultipassApi>, listen: &ListenSettings) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/api/v1/{operation}", post(operation))
        .with_state(AppState { api })
        .layer(DefaultBodyLimit::max(listen.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(listen.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(u64::from(listen.request_timeout_seconds)),
        ))
        .layer(TraceLayer::new_for_http())
}

/// An [`ApiError`] as an HTTP answer: the status from its code, the body `{code, message,
/// field}` exactly as the desktop would have received it in process.
#[derive(Debug)]
pub struct ErrorResponse(pub ApiError);

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(status_of(self.0.code))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.0)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"multipass\""),
            );
        }
        response
    }
}

impl From<ApiError> for ErrorResponse {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

/// Answers without a session and says nothing an operator's load balancer should not see.
async fn health(State(state): State<AppState>) -> Response {
    let (status, database, schema_version, code) = match state.api.status().await {
        Ok(s) if s.healthy => (
            "ok",
            "ok",
            Some(i64::from(s.schema_version)),
            StatusCode::OK,
        ),
        Ok(s) => (
            "degraded",
            "unhealthy",
            Some(i64::from(s.schema_version)),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        Err(_) => (
            "degraded",
            "unavailable",
            None,
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    };
    let body = HealthView {
        status: status.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: database.to_owned(),
        schema_version,
    };
    (code, Json(body)).into_response()
}

async fn jwks(State(state): State<AppState>) -> Result<Response, ErrorResponse> {
    let keys = state.api.sso_jwks().await?;
    let mut response = Json(keys).into_response();
    // Modules cache the key set; a rotation keeps the old key published for longer than this.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

fn bearer(headers: &HeaderMap) -> Result<Option<SessionToken>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            own_error(
                ErrorCode::Unauthenticated,
                "The Authorization header must be `Bearer <session token>`.",
            )
        })?;
    Ok(Some(SessionToken::from_presented(text.to_owned())))
}

async fn operation(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ErrorResponse> {
    let info = OperationInfo::find(&name).ok_or_else(|| {
        own_error(
            ErrorCode::NotFound,
            "There is no such operation on this server; the desktop may be newer than the server.",
        )
    })?;
    let token = bearer(&headers)?;
    if let Access::Session(needed) = info.access {
        let token = token
            .as_ref()
            .ok_or_else(|| own_error(ErrorCode::Unauthenticated, "Sign in to continue."))?;
        // Desk and admin operations are refused here before their arguments are read; the
        // use case checks again, as it does in process.
        if needed != Role::User {
            state.api.caller(token).await?.require(needed)?;
        }
    }
    let answer = dispatch(state.api.as_ref(), info.name, token.as_ref(), &body).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer,
    )
        .into_response())
}
