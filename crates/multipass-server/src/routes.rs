//! The HTTP routes: `/health`, `/.well-known/jwks.json`, and `POST /api/v1/{operation}`
//! for every operation of the list.

use crate::{own_error, status_of};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use multipass_api::config::ListenSettings;
use multipass_api::dto::HealthView;
use multipass_api::operations::{Access, OperationInfo, dispatch};
use multipass_api::{ApiError, ErrorCode, MultipassApi};
use multipass_domain::{Role, SessionToken};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[derive(Debug, Clone)]
struct AppState {
    api: Arc<MultipassApi>,
    /// Proxies whose `X-Forwarded-For` names the real client.
    trusted_proxies: Arc<[IpAddr]>,
}

pub(crate) fn router(api: Arc<MultipassApi>, listen: &ListenSettings) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/api/v1/{operation}", post(operation))
        .with_state(AppState {
            api,
            trusted_proxies: listen.trusted_proxies.clone().into(),
        })
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
        let retry_after = self.0.retry_after_seconds;
        let mut response = (status, Json(self.0)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            // The use case says how long when it knows (sign-in limits); a full hashing
            // queue clears within seconds.
            let seconds = retry_after.unwrap_or(5);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
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

/// Where a request came from: the peer, or, when the peer is a trusted proxy, the nearest
/// address in `X-Forwarded-For` that is not one of them (the proxies append, so the
/// addresses left of the last untrusted one may be forged by the client).
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => {}
            Ok(address) => return address,
            // A hop that is not an address cannot be trusted to name the client.
            Err(_) => return peer,
        }
    }
    peer
}

async fn operation(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
    let source = client_address(peer.ip(), &headers, &state.trusted_proxies);
    let answer = multipass_api::request_source::serving_from(
        source,
        dispatch(state.api.as_ref(), info.name, token.as_ref(), &body),
    )
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_names_it() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [ip("10.0.0.5"), ip("10.0.0.6")];
        // A client that is no proxy cannot choose its address by a header.
        assert_eq!(
            client_address(ip("198.51.100.7"), &headers(&["203.0.113.1"]), &proxies),
            ip("198.51.100.7")
        );
        // Behind two proxies: the nearest untrusted hop, whatever the client put first.
        assert_eq!(
            client_address(
                ip("10.0.0.5"),
                &headers(&["1.2.3.4, 203.0.113.9", "10.0.0.6"]),
                &proxies
            ),
            ip("203.0.113.9")
        );
        // No header, or garbage in it: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.5"), &headers(&[]), &proxies),
            ip("10.0.0.5")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &headers(&["unknown"]), &proxies),
            ip("10.0.0.5")
        );
    }
}
