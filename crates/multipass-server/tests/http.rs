//! The real server over HTTPS on loopback: health, keys, refusals, roles over the whole
//! operation list, limits, trust, and restarts.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[allow(dead_code)]
#[path = "../../multipass-api/tests/common/through_server.rs"]
mod through_server;

use multipass_api::config::ServerEndpoint;
use multipass_api::dto::{SignInRequest, SignUpRequest};
use multipass_api::operations::{Access, OPERATIONS};
use multipass_api::{
    ApiError, ErrorCode, MultipassApi, Operations, Policies, SessionKind, SignInOutcome,
    SystemClock,
};
use multipass_domain::Role;
use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use serde_json::Value;
use std::sync::Arc;
use through_server::{Served, serve, serve_on, test_ca_file};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    served: Served,
    _dir: tempfile::TempDir,
    api: MultipassApi,
}

async fn world() -> World {
    world_with(Policies::default()).await
}

async fn world_with(policies: Policies) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("multipass.db"), OpenMode::Migrate)
        .await
        .unwrap();
    let api = MultipassApi::new(Arc::new(store), policies, Arc::new(SystemClock));
    World {
        served: serve(api.clone()),
        _dir: dir,
        api,
    }
}

fn http() -> reqwest::Client {
    let ca = std::fs::read(test_ca_file()).unwrap();
    reqwest::Client::builder()
        .tls_backend_preconfigured(client_tls(&ca))
        .build()
        .unwrap()
}

fn client_tls(ca_pem: &[u8]) -> rustls::ClientConfig {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn url(w: &World, path: &str) -> String {
    w.served.endpoint.url.join(path).unwrap().to_string()
}

/// Ada signs in with her password.
async fn ada_signs_in(client: &dyn Operations) -> Result<SignInOutcome, ApiError> {
    client
        .sign_in(
            SignInRequest {
                username: "ada".into(),
                password: PASSWORD.into(),
            },
            SessionKind::Desktop,
        )
        .await
}

async fn person(client: &dyn Operations, name: &str) -> multipass_api::SignInOutcome {
    client
        .sign_up(
            SignUpRequest {
                full_name: format!("{name} Example"),
                email: format!("{name}@example.com"),
                username: name.to_owned(),
                password: PASSWORD.to_owned(),
            },
            SessionKind::Desktop,
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn health_answers_without_a_session_and_tells_no_secrets() {
    let w = world().await;
    let response = http().get(url(&w, "health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["database"], "ok", "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let text = body.to_string();
    assert!(
        !text.contains("multipass.db") && !text.contains("location"),
        "health names where the data is: {text}"
    );
}

#[tokio::test]
async fn the_sso_keys_are_published_as_jwks() {
    let w = world().await;
    let admin = person(w.served.client.as_ref(), "ada").await;
    w.served.client.bootstrap_admin(&admin.token).await.unwrap();
    w.served.client.rotate_sso_key(&admin.token).await.unwrap();
    let response = http()
        .get(url(&w, ".well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    assert!(!keys.is_empty(), "{body}");
    assert_eq!(keys[0]["kty"], "OKP", "{body}");
    assert!(
        keys[0].get("d").is_none(),
        "a private key is published: {body}"
    );
}

#[tokio::test]
async fn every_operation_refuses_a_caller_without_its_role() {
    let w = world().await;
    let client = w.served.client.as_ref();
    let admin = person(client, "ada").await;
    client.bootstrap_admin(&admin.token).await.unwrap();
    let desk = person(client, "dan").await;
    client
        .grant_role(&admin.token, "dan", "desk")
        .await
        .unwrap();
    let user = person(client, "uma").await;
    let http = http();
    let mut checked = 0;
    for op in OPERATIONS {
        let Access::Session(needed) = op.access else {
            continue;
        };
        let endpoint = url(&w, &format!("api/v1/{}", op.name));
        let anonymous = http.post(&endpoint).body("{}").send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{} without a session", op.name);
        let body: Value = anonymous.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated", "{}: {body}", op.name);

        let lower: &[(&str, &multipass_api::SignInOutcome)] = match needed {
            Role::User => &[],
            Role::Desk => &[("user", &user)],
            Role::Admin => &[("user", &user), ("desk", &desk)],
        };
        for (role, who) in lower {
            let refused = http
                .post(&endpoint)
                .bearer_auth(who.token.expose())
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 403, "{} as {role}", op.name);
            let body: Value = refused.json().await.unwrap();
            assert_eq!(body["code"], "forbidden", "{} as {role}: {body}", op.name);
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} refusals checked");
}

#[tokio::test]
async fn unknown_operations_and_malformed_arguments_are_refused_clearly() {
    let w = world().await;
    let client = w.served.client.as_ref();
    let ada = person(client, "ada").await;
    let http = http();
    let unknown = http
        .post(url(&w, "api/v1/drop_all_tables"))
        .bearer_auth(ada.token.expose())
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], "not_found", "{body}");
    // A client's word that its pass answered is no proof: these change pass state only
    // inside a ceremony that verified the assertion, never on request.
    for unverified in ["consume_challenge", "record_pass_use"] {
        let refused = http
            .post(url(&w, &format!("api/v1/{unverified}")))
            .bearer_auth(ada.token.expose())
            .body(r#"{"pass": "x", "challenge": "x", "signCount": 1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 404, "{unverified}");
    }

    let malformed = http
        .post(url(&w, "api/v1/totp_confirm"))
        .bearer_auth(ada.token.expose())
        .body(r#"{"cod": "123456"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input", "{body}");

    let not_json = http
        .post(url(&w, "api/v1/sign_in"))
        .body("username=ada")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);

    let garbage_token = http
        .post(url(&w, "api/v1/identity_for"))
        .header("Authorization", "Basic YWRhOnB3")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage_token.status(), 401);
}

#[tokio::test]
async fn request_bodies_are_bounded() {
    let w = world().await;
    let huge = format!(
        r#"{{"request": {{"username": "{}", "password": "x"}}, "kind": "desktop"}}"#,
        "a".repeat(5 << 20)
    );
    let response = http()
        .post(url(&w, "api/v1/sign_in"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_certificate_this_computer_does_not_trust_is_refused_clearly() {
    let w = world().await;
    let untrusting = multipass_client::connect(&ServerEndpoint {
        url: w.served.endpoint.url.clone(),
        ca_file: None,
    })
    .unwrap();
    let err = ada_signs_in(&untrusting).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::CertificateUntrusted, "{err:?}");
    assert!(err.message.contains("server.ca_file"), "{}", err.message);
}

#[tokio::test]
async fn a_server_that_cannot_be_reached_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = multipass_client::connect(&ServerEndpoint {
        url: format!("https://localhost:{port}/").parse().unwrap(),
        ca_file: Some(test_ca_file()),
    })
    .unwrap();
    let err = client.sso_jwks().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable, "{err:?}");
}

#[tokio::test]
async fn a_server_restart_in_the_middle_of_a_session_is_invisible() {
    let w = world().await;
    let client = w.served.client.clone();
    let ada = person(client.as_ref(), "ada").await;
    let address = w.served.server.address;
    w.served
        .server
        .shutdown_handle()
        .graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    let World { served, _dir, api } = w;
    served.server.wait().await.unwrap();
    let err = client.identity_for(&ada.token).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable, "{err:?}");

    // A new instance on the same address, over the same store: the session is in the
    // database, so the same client and token go on.
    let again = serve_on(std::net::TcpListener::bind(address).unwrap(), api);
    let me = client.identity_for(&ada.token).await.unwrap();
    assert_eq!(me.username, "ada");
    drop(again);
    drop(_dir);
}

/// Failed sign-ins from one address count together whatever names they try: at the limit
/// the server answers 429 with `Retry-After`, even for a right password, while the same
/// account still signs in from elsewhere (here: in process, where there is no address).
#[tokio::test]
async fn failed_sign_ins_from_one_address_are_limited_with_retry_after() {
    use multipass_domain::throttle::{SignInThrottle, ThrottleLimit};
    let w = world_with(Policies {
        throttle: SignInThrottle {
            per_source: ThrottleLimit {
                max_failures: 3,
                window: chrono::Duration::minutes(15),
            },
            ..SignInThrottle::default()
        },
        ..Policies::default()
    })
    .await;
    let client = w.served.client.as_ref();
    person(client, "ada").await;
    let attempt = |username: &str, password: &str| {
        serde_json::to_vec(&multipass_api::operations::args::sign_in {
            request: SignInRequest {
                username: username.to_owned(),
                password: password.to_owned(),
            },
            kind: SessionKind::Desktop,
        })
        .unwrap()
    };
    let http = http();
    for name in ["mallory", "root", "admin"] {
        let answer = http
            .post(url(&w, "api/v1/sign_in"))
            .body(attempt(name, "guess guess guess"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "{name}");
    }
    let refused = http
        .post(url(&w, "api/v1/sign_in"))
        .body(attempt("ada", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u32 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert_eq!(body["retry_after_seconds"], wait, "{body}");
    // The client sees the same error, with the wait.
    let err = ada_signs_in(client).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.retry_after_seconds.is_some(), "{err:?}");
    ada_signs_in(&w.api)
        .await
        .expect("no address in process: only the name counts, and it is under its limit");
}
