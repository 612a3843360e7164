//! tauri-build reads `tauri.conf.json` from the current directory, and the project keeps
//! that file at the repository root (one source of truth for the build, the CLI tooling and
//! the README). Build scripts start in the package folder, so move to the root first.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../ui/dist");
    let dist = root.join("ui").join("dist").join("index.html");
    if !dist.exists() {
        // Fail the build rather than ship a window with nothing in it.
        eprintln!(
            "error: the web UI is not built ({} is missing).\n\
             Run `make ui` (or `npm --prefix ui ci && npm --prefix ui run build`) first.",
            dist.display()
        );
        std::process::exit(1);
    }
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!(
            "error: cannot enter the repository root {}: {e}",
            root.display()
        );
        std::process::exit(1);
    }
    tauri_build::build();
}
