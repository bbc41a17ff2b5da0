//! Lines of a text file with their numbers, read one at a time (LF or CRLF ends).

use super::TrajectoryError;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

pub(super) struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    /// Number of the last line returned (1-based; 0 before the first).
    line_no: usize,
    buf: String,
}

impl Lines {
    pub fn open(path: &Path) -> Result<Self, TrajectoryError> {
        let file = File::open(path).map_err(|e| TrajectoryError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot open: {e}"),
            truncated: false,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            line_no: 0,
            buf: String::new(),
        })
    }

    /// Number of the last line read.
    pub fn line_no(&self) -> usize {
        self.line_no
    }

    /// The next line without its line end, `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<&str>, TrajectoryError> {
        self.buf.clear();
        let n = self.reader.read_line(&mut self.buf).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::InvalidData {
                "is not text (UTF-8); binary LAMMPS dumps must be converted with binary2txt, gzipped files unpacked".to_string()
            } else {
                format!("cannot be read: {e}")
            };
            TrajectoryError {
                path: self.path.clone(),
                line: Some(self.line_no + 1),
                message: format!("the line {what}"),
                truncated: false,
            }
        })?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let end = self.buf.trim_end_matches(['\n', '\r']).len();
        Ok(Some(&self.buf[..end]))
    }

    /// True when nothing follows the last line read.
    pub fn at_end(&mut self) -> Result<bool, TrajectoryError> {
        let empty = self.reader.fill_buf().map(|b| b.is_empty());
        empty.map_err(|e| self.error(Some(self.line_no), format!("cannot read: {e}")))
    }

    /// An error at `line` of this file.
    pub fn error(&self, line: Option<usize>, message: impl Into<String>) -> TrajectoryError {
        TrajectoryError {
            path: self.path.clone(),
            line,
            message: message.into(),
            truncated: false,
        }
    }

    /// The error for a file that ends inside the frame starting at `frame_line`.
    pub fn cut_short(&self, frame_line: usize, what: &str) -> TrajectoryError {
        TrajectoryError {
            path: self.path.clone(),
            line: Some(frame_line),
            message: format!(
                "the frame starting here is cut short: {what} (a run still writing, or killed?)"
            ),
            truncated: true,
        }
    }
}

/// At most 60 characters of `s`, for messages.
pub(super) fn shorten(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(60).collect::<String>())
    }
}
