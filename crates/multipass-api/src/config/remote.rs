//! Settings of the two ends of server mode: where a desktop or the CLI finds the server
//! (`server.*`), and how `multipass-server` listens (`listen.*`).

use super::{ConfigError, Sources};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8443";
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: u32 = 60;
pub const DEFAULT_MAX_BODY_KIB: u32 = 1024;

/// `[server]`: the Multipass server this desktop or CLI uses instead of a database.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServerSection {
    url: Option<String>,
    ca_file: Option<PathBuf>,
}

/// `[listen]`: how `multipass-server` serves.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListenSection {
    address: Option<String>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    plain_http: Option<bool>,
    request_timeout_seconds: Option<u32>,
    max_body_kib: Option<u32>,
    trusted_proxies: Option<String>,
}

/// A server to use: its base URL and, for an enterprise CA, the CA certificate to trust
/// besides the system's roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEndpoint {
    pub url: url::Url,
    pub ca_file: Option<PathBuf>,
}

/// How the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSettings {
    pub address: SocketAddr,
    /// PEM certificate chain and private key; required unless `plain_http`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Plain HTTP, allowed only on a loopback address (behind a local TLS proxy, or tests).
    pub plain_http: bool,
    pub request_timeout_seconds: u32,
    pub max_body_bytes: usize,
    /// Load balancers and proxies in front of the server: a request from one of them is
    /// counted against the client its `X-Forwarded-For` names (sign-in limits per address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

pub(super) fn server_endpoint(
    source: &Sources<'_>,
    file: &ServerSection,
) -> Result<Option<ServerEndpoint>, ConfigError> {
    let Some((raw, setting)) = source.text("MULTIPASS_SERVER_URL", "server.url", file.url.as_ref())
    else {
        return Ok(None);
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        ConfigError::new(
            &setting,
            format!("expected a URL such as https://multipass.corp.example, got {raw:?} ({e})"),
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if url.host_str().is_some_and(is_loopback_host) => {}
        "http" => {
            return Err(ConfigError::new(
                &setting,
                "plain http is allowed only for a server on this computer (localhost); use https",
            ));
        }
        other => {
            return Err(ConfigError::new(
                &setting,
                format!("expected an https URL, got the scheme {other:?}"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            &setting,
            "must not carry a user name or password; sign in instead",
        ));
    }
    let ca_file = source
        .text(
            "MULTIPASS_SERVER_CA",
            "server.ca_file",
            file.ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .as_ref(),
        )
        .map(|(path, _)| PathBuf::from(path));
    Ok(Some(ServerEndpoint { url, ca_file }))
}

/// Whether `host` names this computer (`localhost` or a loopback address).
pub(super) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn listen_settings(
    source: &Sources<'_>,
    file: &ListenSection,
) -> Result<ListenSettings, ConfigError> {
    let (raw, setting) = source
        .text("MULTIPASS_LISTEN", "listen.address", file.address.as_ref())
        .unwrap_or_else(|| (DEFAULT_LISTEN.to_owned(), "listen.address".to_owned()));
    let address: SocketAddr = raw.trim().parse().map_err(|_| {
        ConfigError::new(
            &setting,
            format!("expected an address and port such as 0.0.0.0:8443, got {raw:?}"),
        )
    })?;
    let plain_http = match source.text(
        "MULTIPASS_PLAIN_HTTP",
        "listen.plain_http",
        file.plain_http.map(|b| b.to_string()).as_ref(),
    ) {
        None => false,
        Some((value, setting)) => match value.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                return Err(ConfigError::new(
                    setting,
                    format!("expected true or false, got {other:?}"),
                ));
            }
        },
    };
    let path = |var: &str, key: &str, from_file: &Option<PathBuf>| {
        source
            .text(
                var,
                key,
                from_file.as_ref().map(|p| p.display().to_string()).as_ref(),
            )
            .map(|(p, _)| PathBuf::from(p))
    };
    let cert = path("MULTIPASS_TLS_CERT", "listen.cert_file", &file.cert_file);
    let key = path("MULTIPASS_TLS_KEY", "listen.key_file", &file.key_file);
    let tls = match (cert, key, plain_http) {
        (Some(cert), Some(key), false) => Some((cert, key)),
        (None, None, true) => None,
        (_, _, true) => {
            return Err(ConfigError::new(
                "MULTIPASS_PLAIN_HTTP",
                "plain HTTP and a TLS certificate were both given; choose one",
            ));
        }
        (None, _, false) => {
            return Err(ConfigError::new(
                "MULTIPASS_TLS_CERT",
                "the server needs a TLS certificate (PEM) and its key (MULTIPASS_TLS_KEY); \
                 plain HTTP needs MULTIPASS_PLAIN_HTTP=true and a loopback address",
            ));
        }
        (Some(_), None, false) => {
            return Err(ConfigError::new(
                "MULTIPASS_TLS_KEY",
                "the certificate's private key (PEM) is missing",
            ));
        }
    };
    if plain_http && !address.ip().is_loopback() {
        return Err(ConfigError::new(
            setting,
            format!(
                "plain HTTP is allowed only on a loopback address (127.0.0.1 or ::1), not {address}"
            ),
        ));
    }
    let request_timeout_seconds = bounded(
        source,
        (
            "MULTIPASS_REQUEST_TIMEOUT_SECONDS",
            "listen.request_timeout_seconds",
        ),
        file.request_timeout_seconds,
        (1, 3700, DEFAULT_REQUEST_TIMEOUT_SECONDS),
        "seconds",
    )?;
    let max_body_kib = bounded(
        source,
        ("MULTIPASS_MAX_BODY_KIB", "listen.max_body_kib"),
        file.max_body_kib,
        (16, 65536, DEFAULT_MAX_BODY_KIB),
        "KiB",
    )?;
    let trusted_proxies = match source.text(
        "MULTIPASS_TRUSTED_PROXIES",
        "listen.trusted_proxies",
        file.trusted_proxies.as_ref(),
    ) {
        None => Vec::new(),
        Some((raw, setting)) => raw
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse().map_err(|_| {
                    ConfigError::new(
                        &setting,
                        format!("expected IP addresses separated by commas, got {a:?}"),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(ListenSettings {
        address,
        tls,
        plain_http,
        request_timeout_seconds,
        max_body_bytes: max_body_kib as usize * 1024,
        trusted_proxies,
    })
}

/// A whole number from `min` to `max` (`default` when unset).
fn bounded(
    source: &Sources<'_>,
    (var, key): (&str, &str),
    from_file: Option<u32>,
    (min, max, default): (u32, u32, u32),
    unit: &str,
) -> Result<u32, ConfigError> {
    let expected = format!("a whole number of {unit} from {min} to {max}");
    match source.number(var, key, from_file, &expected)? {
        None => Ok(default),
        Some((n, _)) if (min..=max).contains(&n) => Ok(n),
        Some((n, setting)) => Err(ConfigError::new(
            setting,
            format!("expected {min} to {max} {unit}, got {n}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use rstest::rstest;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn load(pairs: &[(&str, &str)], file: Option<&str>) -> Result<Settings, super::ConfigError> {
        let env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let path = Path::new("/etc/multipass/settings.toml");
        Settings::from_sources(
            &env,
            file.map(|text| (path, text)),
            Some(PathBuf::from("/home/ada/.local/share/multipass")),
        )
    }

    #[test]
    fn server_mode_comes_from_the_environment_or_the_file() {
        let from_env = load(
            &[
                ("MULTIPASS_SERVER_URL", "https://multipass.corp.example"),
                ("MULTIPASS_SERVER_CA", "/etc/ssl/corp-ca.pem"),
            ],
            None,
        )
        .unwrap();
        let server = from_env.server.unwrap();
        assert_eq!(server.url.as_str(), "https://multipass.corp.example/");
        assert_eq!(
            server.ca_file.as_deref(),
            Some(Path::new("/etc/ssl/corp-ca.pem"))
        );
        let from_file = load(
            &[],
            Some("[server]\nurl = \"https://mp.example:8443/base/\"\n"),
        )
        .unwrap();
        assert_eq!(
            from_file.server.unwrap().url.as_str(),
            "https://mp.example:8443/base/"
        );
        assert!(load(&[], None).unwrap().server.is_none());
    }

    #[rstest]
    #[case::plain_http_elsewhere("http://multipass.corp.example", "localhost")]
    #[case::not_a_url("multipass.corp.example", "expected a URL")]
    #[case::other_scheme("ftp://multipass.corp.example", "https")]
    #[case::credentials("https://ada:secret@multipass.corp.example", "sign in instead")]
    fn bad_server_urls_are_refused(#[case] url: &str, #[case] says: &str) {
        let err = load(&[("MULTIPASS_SERVER_URL", url)], None).unwrap_err();
        assert_eq!(err.setting, "MULTIPASS_SERVER_URL");
        assert!(err.problem.contains(says), "{}", err.problem);
        assert!(!err.problem.contains("secret"), "{}", err.problem);
    }

    #[test]
    fn plain_http_to_a_server_on_this_computer_is_allowed() {
        let settings = load(&[("MULTIPASS_SERVER_URL", "http://127.0.0.1:8080")], None).unwrap();
        assert_eq!(settings.server.unwrap().url.scheme(), "http");
    }

    #[test]
    fn server_mode_holds_no_database_setting() {
        let err = load(
            &[
                ("MULTIPASS_SERVER_URL", "https://multipass.corp.example"),
                ("DATABASE_URL", "postgresql://multipass:pw@db/enterprise_db"),
            ],
            None,
        )
        .unwrap_err();
        assert_eq!(err.setting, "MULTIPASS_SERVER_URL");
        assert!(!err.problem.contains("pw@"), "{}", err.problem);
    }

    #[test]
    fn the_server_needs_a_certificate_unless_told_to_serve_plain_http_on_loopback() {
        let none = load(&[], None).unwrap().listen.unwrap_err();
        assert_eq!(none.setting, "MULTIPASS_TLS_CERT");
        let tls = load(
            &[
                ("MULTIPASS_TLS_CERT", "/etc/multipass/cert.pem"),
                ("MULTIPASS_TLS_KEY", "/etc/multipass/key.pem"),
                ("MULTIPASS_LISTEN", "0.0.0.0:443"),
            ],
            None,
        )
        .unwrap()
        .listen
        .unwrap();
        assert_eq!(tls.address.port(), 443);
        assert!(tls.tls.is_some() && !tls.plain_http);
        let plain = load(&[("MULTIPASS_PLAIN_HTTP", "true")], None)
            .unwrap()
            .listen
            .unwrap();
        assert!(plain.plain_http && plain.tls.is_none());
        assert!(plain.address.ip().is_loopback());
        let exposed = load(
            &[
                ("MULTIPASS_PLAIN_HTTP", "true"),
                ("MULTIPASS_LISTEN", "0.0.0.0:8080"),
            ],
            None,
        )
        .unwrap()
        .listen
        .unwrap_err();
        assert!(exposed.problem.contains("loopback"), "{}", exposed.problem);
        let no_key = load(&[("MULTIPASS_TLS_CERT", "/etc/multipass/cert.pem")], None)
            .unwrap()
            .listen
            .unwrap_err();
        assert_eq!(no_key.setting, "MULTIPASS_TLS_KEY");
    }

    #[rstest]
    #[case("MULTIPASS_LISTEN", "8443", "address and port")]
    #[case("MULTIPASS_PLAIN_HTTP", "yes", "true or false")]
    #[case("MULTIPASS_REQUEST_TIMEOUT_SECONDS", "0", "1 to 3700")]
    #[case("MULTIPASS_MAX_BODY_KIB", "1", "16 to 65536")]
    #[case("MULTIPASS_TRUSTED_PROXIES", "10.0.0.5, lb.corp", "IP addresses")]
    fn malformed_listen_settings_name_the_setting(
        #[case] var: &str,
        #[case] value: &str,
        #[case] says: &str,
    ) {
        let err = load(&[("MULTIPASS_PLAIN_HTTP", "true"), (var, value)], None)
            .unwrap()
            .listen
            .unwrap_err();
        assert_eq!(err.setting, var);
        assert!(err.problem.contains(says), "{}", err.problem);
    }
}
