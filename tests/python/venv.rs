//! The Python of the venv tests/python/setup.sh makes, for the tests that
//! drive the vendors' clients: `$KFQL_PYTHON_VENV`, else `target/python-venv`.
//! Missing, it fails the test under CI and skips it loudly otherwise.

use std::path::{Path, PathBuf};

pub fn python_or_skip(test: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("KFQL_PYTHON_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-venv"));
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    let message = format!(
        "{test}: no Python environment at {}: run tests/python/setup.sh",
        venv.display()
    );
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        panic!("{message} (CI requires it)");
    }
    eprintln!("\n!!! SKIPPED {message}\n");
    None
}
