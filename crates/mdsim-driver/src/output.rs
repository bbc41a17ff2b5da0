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

/// The folder a run writes into: a new one, or one whose run continues from a checkpoint.
/// Observers open the files that grow during the run through it ([`RunDir::growing_file`]),
/// so a continued run appends to them instead of starting them afresh.
#[derive(Clone, Debug)]
pub struct RunDir {
    path: PathBuf,
    continued: bool,
}

impl RunDir {
    /// A new run in `path` (an empty folder).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            continued: false,
        }
    }

    /// A run continued from its checkpoint in `path`.
    pub fn continued(path: PathBuf) -> Self {
        Self {
            path,
            continued: true,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether the run continues from a checkpoint.
    pub fn is_continued(&self) -> bool {
        self.continued
    }

    /// A file that grows during the run (thermo log, XYZ trajectory, series). In a new run it
    /// is created and starts with `header` (which may be empty); in a continued run it is
    /// opened as it is, and the observer's restore must cut it back to its length at the
    /// checkpoint ([`TextWriter::cut_back`]) before anything is written.
    pub fn growing_file(&self, name: &str, header: &str) -> Result<TextWriter> {
        let path = self.join(name);
        if self.continued {
            return TextWriter::open_continued(path);
        }
        let mut w = TextWriter::create(path)?;
        w.raw(header)?;
        Ok(w)
    }
}

/// Writes `contents` to `path` atomically: a temporary file, synced to disk, renamed over it
/// (then the folder synced), so a crash or kill mid-write leaves the previous version intact.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    write_synced(&tmp, contents)?;
    fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    sync_dir(path)
}

/// Writes `contents` to a new file `path` and waits until they are on disk.
pub fn write_synced(path: &Path, contents: &[u8]) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let mut f = File::create(path)?;
        f.write_all(contents)?;
        f.sync_all()
    };
    write().with_context(|| format!("{}: cannot write", path.display()))
}

/// Makes renames in the folder of `path` durable (a no-op where folders cannot be synced).
pub fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        d.sync_all()
            .with_context(|| format!("{}: cannot sync the folder", dir.display()))?;
    }
    Ok(())
}

/// A text file (CSV, XYZ) written as the run goes.
pub struct TextWriter {
    out: BufWriter<File>,
    path: PathBuf,
    cut: Cut,
}

/// Where a continued file stands with respect to its checkpoint length.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cut {
    /// Ready to write (a new file, or one cut back).
    Done,
    /// Opened to continue; its observer has not said where to cut it yet.
    Awaiting,
    /// To be cut back to this many bytes before the first write (nothing in the folder
    /// changes until the continued run really starts).
    Pending(u64),
}

impl TextWriter {
    pub fn create(path: PathBuf) -> Result<Self> {
        let file =
            File::create(&path).with_context(|| format!("{}: cannot create", path.display()))?;
        Ok(Self {
            out: BufWriter::new(file),
            path,
            cut: Cut::Done,
        })
    }

    /// Opens an existing file to continue it (append only), for [`TextWriter::cut_back`].
    pub fn open_continued(path: PathBuf) -> Result<Self> {
        let file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "{}: cannot open the file to continue the run",
                    path.display()
                )
            })?;
        Ok(Self {
            out: BufWriter::new(file),
            path,
            cut: Cut::Awaiting,
        })
    }

    /// Continues a file after its first `len` bytes (its length at the checkpoint, from
    /// [`TextWriter::checkpoint`]); what follows them, written after the checkpoint, is
    /// dropped when the run writes again.
    pub fn cut_back(&mut self, len: u64) -> Result<()> {
        let have = self
            .out
            .get_ref()
            .metadata()
            .with_context(|| format!("{}: cannot read", self.path.display()))?
            .len();
        if have < len {
            bail!(
                "{}: {have} bytes, fewer than the {len} it had at the checkpoint: the file was changed or damaged after the checkpoint, so the run cannot continue",
                self.path.display()
            );
        }
        self.cut = Cut::Pending(len);
        Ok(())
    }

    /// Its length in bytes after flushing everything to disk: the length to cut back to
    /// when the run continues from a checkpoint taken now.
    pub fn checkpoint(&mut self) -> Result<u64> {
        self.flush()?;
        let f = self.out.get_ref();
        let len = f
            .sync_data()
            .and_then(|()| f.metadata())
            .with_context(|| format!("{}: cannot write", self.path.display()))?
            .len();
        Ok(len)
    }

    /// Cuts a continued file back first, once.
    fn ready(&mut self) -> Result<()> {
        match self.cut {
            Cut::Done => Ok(()),
            Cut::Awaiting => bail!(
                "{}: continued without being cut back to its length at the checkpoint",
                self.path.display()
            ),
            Cut::Pending(len) => {
                self.out
                    .get_ref()
                    .set_len(len)
                    .with_context(|| format!("{}: cannot cut back", self.path.display()))?;
                self.cut = Cut::Done;
                Ok(())
            }
        }
    }

    /// Writes one line (a newline is added).
    pub fn line(&mut self, line: &str) -> Result<()> {
        self.ready()?;
        writeln!(self.out, "{line}")
            .with_context(|| format!("{}: cannot write", self.path.display()))
    }

    /// Writes text as it is.
    pub fn raw(&mut self, text: &str) -> Result<()> {
        self.ready()?;
        self.out
            .write_all(text.as_bytes())
            .with_context(|| format!("{}: cannot write", self.path.display()))
    }

    pub fn flush(&mut self) -> Result<()> {
        self.ready()?;
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
