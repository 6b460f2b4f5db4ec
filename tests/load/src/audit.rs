//! The conservation check after the run: `quanyi audit stock`, the server's own auditor, so the
//! load generator does not carry a second opinion of what "conserved" means.

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};

/// `--quanyi-bin`, else the newer of `target/release/quanyi` and `target/debug/quanyi` under the
/// workspace root.
pub fn find_binary(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ["target/release/quanyi", "target/debug/quanyi"]
        .iter()
        .map(|p| root.join(p))
        .filter_map(|p| {
            let modified = p.metadata().ok()?.modified().ok()?;
            Some((modified, p))
        })
        .max()
        .map(|(_, p)| p)
}

/// Runs the audit with its output passed through; `Ok(true)` when it found stock conserved.
pub async fn stock(binary: &Path, database_url: &SecretString) -> anyhow::Result<bool> {
    run(binary, "stock", database_url).await
}

/// `quanyi audit ledger`; `Ok(true)` when it found the ledger balanced.
pub async fn ledger(binary: &Path, database_url: &SecretString) -> anyhow::Result<bool> {
    run(binary, "ledger", database_url).await
}

async fn run(binary: &Path, what: &str, database_url: &SecretString) -> anyhow::Result<bool> {
    let status = tokio::process::Command::new(binary)
        .args(["audit", what])
        .env("QUANYI_DATABASE__URL", database_url.expose_secret())
        .status()
        .await
        .with_context(|| format!("cannot run {}", binary.display()))?;
    Ok(status.success())
}
