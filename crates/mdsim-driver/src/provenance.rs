//! Hashes that tie outputs to the exact inputs (DESIGN.md §9).

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

/// SHA-256 of a file's bytes, as lowercase hex; `None` for no file.
pub fn file_sha256(path: Option<&Path>) -> Result<Option<String>> {
    path.map(|p| {
        let bytes = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
        Ok(sha256_hex(&bytes))
    })
    .transpose()
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
