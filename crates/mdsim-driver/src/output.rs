//! The output folder and its files (DESIGN.md §7).

use anyhow::{bail, Context, Result};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Picks the output folder: `requested` must be new or empty; by default `runs/<input stem>`,
/// numbered (`-2`, `-3`, …) so an earlier run is never overwritten.
pub fn prepare_output_dir(requested: Option<&Path>, input: &Path) -> Result<PathBuf> {
    let dir = match requested {
        Some(d) => {
            if d.exists()
                && fs::read_dir(d)
                    .map(|mut e| e.next().is_some())
                    .unwrap_or(true)
            {
                bail!(
                    "{}: the output folder exists and is not empty; choose another with -o, or remove it (mdsim never overwrites a run)",
                    d.display()
                );
            }
            d.to_path_buf()
        }
        None => {
            let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("run");
            let base = Path::new("runs").join(stem);
            let mut dir = base.clone();
            let mut k = 2;
            while dir.exists() {
                dir = PathBuf::from(format!("{}-{k}", base.display()));
                k += 1;
            }
            dir
        }
    };
    fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the output folder", dir.display()))?;
    Ok(dir)
}

/// Writes `contents` to `path` atomically (a temporary file renamed over it), so a crash
/// mid-write leaves the previous version intact.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, contents).with_context(|| format!("{}: cannot write", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

/// A text file (CSV, XYZ) written as the run goes.
pub struct TextWriter {
    out: BufWriter<File>,
    path: PathBuf,
}

impl TextWriter {
    pub fn create(path: PathBuf) -> Result<Self> {
        let file =
            File::create(&path).with_context(|| format!("{}: cannot create", path.display()))?;
        Ok(Self {
            out: BufWriter::new(file),
            path,
        })
    }

    /// Writes one line (a newline is added).
    pub fn line(&mut self, line: &str) -> Result<()> {
        writeln!(self.out, "{line}")
            .with_context(|| format!("{}: cannot write", self.path.display()))
    }

    /// Writes text as it is.
    pub fn raw(&mut self, text: &str) -> Result<()> {
        self.out
            .write_all(text.as_bytes())
            .with_context(|| format!("{}: cannot write", self.path.display()))
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("{}: cannot write", self.path.display()))
    }
}

/// A UTC time stamp in ISO 8601 (no external time crate needed for this).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_has_iso_shape() {
        let t = super::utc_now();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
