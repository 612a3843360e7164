//! `multipass passes devices|wink|enrol|sign-in` against a software pass on loopback, on
//! the embedded store in a private home folder.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn multipass(home: &Path, udp: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_multipass"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("MULTIPASS_PASSWORD", "correct horse battery staple")
        .env("MULTIPASS_PASS_UDP", udp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn enrol_and_sign_in_with_the_software_pass() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let mut config = multipass_softpass::Config::new(home.join("pass.json"));
    config.pin = Some("4321".to_owned());
    // A short wait for the simulated touch, so the pass asks for one and the CLI says so.
    config.touch = multipass_softpass::Touch::After(Duration::from_millis(50));
    let pass = multipass_softpass::spawn(config).unwrap();
    let udp = pass.addr().to_string();
    let run =
        |args: &[&str], env: &[(&str, &str)], stdin: &str| multipass(home, &udp, args, env, stdin);

    let signed_up = run(
        &[
            "sign-up",
            "--json",
            "--full-name",
            "Ada L",
            "--email",
            "ada@example.com",
            "--username",
            "ada",
        ],
        &[],
        "",
    );
    assert!(signed_up.status.success(), "{signed_up:?}");

    let devices = json(&run(&["passes", "devices", "--json"], &[], ""));
    let soft: Vec<&Value> = devices["passes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["testDevice"] == true)
        .collect();
    assert_eq!(soft.len(), 1, "{devices}");
    assert_eq!(soft[0]["info"]["pinSet"], true);
    assert!(devices["diagnostics"]["devices"].is_array());

    let wink = run(&["passes", "wink", "--device", "udp", "--json"], &[], "");
    assert!(wink.status.success(), "{wink:?}");

    // The PIN from stdin; a wrong one names the field.
    let wrong = run(
        &[
            "passes",
            "enrol",
            "--username",
            "ada",
            "--device",
            "udp",
            "--json",
        ],
        &[],
        "1111\n",
    );
    assert!(!wrong.status.success());
    assert_eq!(json(&wrong)["error"]["field"], "pin");

    let enrolled = run(
        &[
            "passes",
            "enrol",
            "--username",
            "ada",
            "--device",
            "udp",
            "--json",
        ],
        &[("MULTIPASS_PASS_PIN", "4321")],
        "",
    );
    assert!(enrolled.status.success(), "{enrolled:?}");
    assert_eq!(json(&enrolled)["pass"]["deviceType"], "software_pass");
    assert!(
        String::from_utf8_lossy(&enrolled.stderr).contains("Touch your pass"),
        "{enrolled:?}"
    );

    let signed_in = run(
        &[
            "passes",
            "sign-in",
            "--username",
            "ada",
            "--device",
            "udp",
            "--json",
        ],
        &[],
        "4321\n",
    );
    assert!(signed_in.status.success(), "{signed_in:?}");
    assert_eq!(json(&signed_in)["identity"]["username"], "ada");

    let listed = json(&run(&["passes", "list", "--json"], &[], ""));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["lastUsedAt"].is_string());
}
