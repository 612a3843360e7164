//! A PgBouncer in transaction mode in front of the test cluster, as a deployment runs one in
//! front of its PostgreSQL. The binary comes from `MULTIPASS_TEST_PGBOUNCER`, which
//! `scripts/test.sh` sets to the build of `scripts/lib/pgbouncer.sh`.

use super::processes::{as_postgres, free_port, running_as_root};
use sqlx::postgres::PgConnectOptions;
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

pub struct PgBouncer {
    child: Child,
    pub port: u16,
    _config: tempfile::TempDir,
}

impl PgBouncer {
    /// Starts one in front of `upstream`'s server, letting every login of `users` in without
    /// a password (the test cluster trusts loopback too).
    pub fn start(upstream: &PgConnectOptions, users: &[&str]) -> Self {
        let binary = std::env::var("MULTIPASS_TEST_PGBOUNCER").expect(
            "MULTIPASS_TEST_PGBOUNCER must name a PgBouncer 1.21 or newer \
             (`bash scripts/lib/pgbouncer.sh` builds one and prints its path)",
        );
        let port = free_port();
        let config = tempfile::tempdir().unwrap();
        let users_file = config.path().join("users.txt");
        let listed: String = users.iter().map(|u| format!("\"{u}\" \"\"\n")).collect();
        std::fs::write(&users_file, listed).unwrap();
        // Transaction pooling with prepared statements kept per server connection: the
        // settings a deployment needs (see the README). sqlx's `extra_float_digits` start-up
        // parameter is one PgBouncer does not track, so it is ignored.
        let ini = format!(
            "[databases]\n* = host={host} port={upstream_port}\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {users}\npool_mode = transaction\n\
             max_prepared_statements = 200\ndefault_pool_size = 20\nmax_client_conn = 500\n\
             ignore_startup_parameters = extra_float_digits\n",
            host = upstream.get_host(),
            upstream_port = upstream.get_port(),
            users = users_file.display(),
        );
        let ini_file = config.path().join("pgbouncer.ini");
        std::fs::write(&ini_file, ini).unwrap();
        let child = spawn(&binary, config.path(), &ini_file);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "PgBouncer did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _config: config,
        }
    }

    /// `options` sent through this PgBouncer instead of straight to the server.
    pub fn in_front_of(&self, options: &PgConnectOptions) -> PgConnectOptions {
        options.clone().host("127.0.0.1").port(self.port)
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(binary: &str, folder: &Path, ini: &Path) -> Child {
    if running_as_root() {
        // PgBouncer runs as `postgres` then, which must read its files.
        use std::os::unix::fs::PermissionsExt;
        for path in [folder, ini, &folder.join("users.txt")] {
            let mode = if path.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    as_postgres(binary)
        .arg(ini)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start PgBouncer")
}
