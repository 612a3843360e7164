//! Starting the database's own tools (PostgreSQL, PgBouncer) beside a test.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;

pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// `program`, run as the cluster's `postgres` user when the test runs as root (CI):
/// PostgreSQL and PgBouncer refuse root. setpriv execs in place, so killing the child stops
/// the program itself.
pub fn as_postgres(program: &str) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
            program,
        ]);
        command
    } else {
        Command::new(program)
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
