//! Trajectories read one frame at a time, so that files larger than memory can be analysed:
//! extended XYZ (as mdsim, ASE and OVITO write it) and LAMMPS text dumps (`dump custom` /
//! `dump atom`, as LAMMPS writes them). Used by `mdsim analyze --trajectory` and
//! `mdsim divergence --compare`.
//!
//! Every frame comes back as a [`Frame`]: the cell, the species, positions and (when the file
//! has them) velocities in Å/ps, the atoms in a fixed order (LAMMPS dumps: sorted by atom id,
//! since LAMMPS writes them in no fixed order unless `dump_modify sort id`). Whether the
//! positions are continuous (unwrapped) is part of the frame ([`Positions`]); wrapped ones
//! can be followed across frames with [`Unwrapper`]. [`TrajectoryReader::next_header`] reads
//! a frame's header and skips its atoms, for a cheap first pass (counting frames, checking
//! their spacing and the cell).

mod lammps;
mod lines;
mod unwrap;
mod xyz;

pub use lammps::TypeMap;
pub use unwrap::{UnwrapStats, Unwrapper};

use std::fmt;
use std::path::{Path, PathBuf};

/// The file formats read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    ExtendedXyz,
    LammpsDump,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::ExtendedXyz => "extended XYZ",
            Format::LammpsDump => "LAMMPS dump",
        })
    }
}

/// How a frame's positions were written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positions {
    /// Continuous across frames, by the file's own statement: LAMMPS `xu yu zu`,
    /// `xsu ysu zsu`, or positions with image flags `ix iy iz` (already applied). The
    /// text names the columns.
    Unwrapped(&'static str),
    /// As written, without a statement: extended XYZ `pos`, LAMMPS `x y z` or `xs ys zs`
    /// without image flags. They may be wrapped into the cell (see [`Unwrapper`]).
    AsWritten(&'static str),
}

impl Positions {
    /// The columns the positions came from.
    pub fn columns(&self) -> &'static str {
        match self {
            Positions::Unwrapped(c) | Positions::AsWritten(c) => c,
        }
    }
}

/// One frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub header: FrameHeader,
    /// Species of every atom.
    pub species: Vec<String>,
    /// Cartesian positions (Å).
    pub positions: Vec<[f64; 3]>,
    pub kind: Positions,
    /// Velocities (Å/ps) when the file has them.
    pub velocities: Option<Vec<[f64; 3]>>,
    /// Masses (amu) when the file has a mass column.
    pub masses: Option<Vec<f64>>,
    /// LAMMPS atom ids, ascending (the order of the atoms); `None` for extended XYZ, whose
    /// atoms keep the order of the file.
    pub ids: Option<Vec<u64>>,
}

impl Frame {
    /// The line on which atom `i` (in the frame's order) was written, for messages.
    pub fn atom_line(&self, i: usize) -> Option<usize> {
        self.header
            .atom_lines
            .as_ref()
            .and_then(|l| l.get(i).copied())
    }

    /// "atom 5 (line 130)" or "atom id 17 (line 130)", for messages.
    pub fn describe_atom(&self, i: usize) -> String {
        let who = match &self.ids {
            Some(ids) => format!("atom id {}", ids[i]),
            None => format!("atom {} (from 1)", i + 1),
        };
        match self.atom_line(i) {
            Some(l) => format!("{who}, line {l}"),
            None => who,
        }
    }
}

/// What a frame's header says.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameHeader {
    /// 1-based line where the frame starts.
    pub line: usize,
    /// MD step: LAMMPS `ITEM: TIMESTEP`, extended XYZ `Step=` (mdsim writes it).
    pub step: Option<u64>,
    /// Simulation time (ps): extended XYZ `Time=` as mdsim writes it, LAMMPS `ITEM: TIME`
    /// (`dump_modify time yes`) in its units.
    pub time_ps: Option<f64>,
    /// Cell vectors a, b, c (rows, Å).
    pub lattice: [[f64; 3]; 3],
    pub n_atoms: usize,
    /// Line of every atom in the frame's order (filled by full reads).
    pub atom_lines: Option<Vec<usize>>,
}

/// Why a trajectory cannot be read: the file, the line (when known) and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    /// The file ends inside a frame (a run still writing, or killed): the frames before it
    /// are complete.
    pub truncated: bool,
}

impl fmt::Display for TrajectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for TrajectoryError {}

/// Settings the files do not carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// Species of LAMMPS atom types (`--types 1=Li,2=P`), for dumps without an `element`
    /// column.
    pub types: TypeMap,
}

/// Streams the frames of a trajectory file.
pub struct TrajectoryReader {
    format: Format,
    inner: Inner,
}

enum Inner {
    Xyz(xyz::XyzFrames),
    Lammps(lammps::DumpFrames),
}

impl TrajectoryReader {
    /// Opens `path`; the format is recognised from the first non-blank line (`ITEM: …` for a
    /// LAMMPS dump, a number of atoms for extended XYZ).
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self, TrajectoryError> {
        let mut probe = lines::Lines::open(path)?;
        let first = loop {
            match probe.next_line()? {
                None => return Err(probe.error(None, "the file is empty")),
                Some(l) if l.trim().is_empty() => continue,
                Some(l) => break l.trim().to_string(),
            }
        };
        let first = first.as_str();
        let (format, inner) = if first.starts_with("ITEM:") {
            (
                Format::LammpsDump,
                Inner::Lammps(lammps::DumpFrames::open(path, options.types.clone())?),
            )
        } else if first.parse::<usize>().is_ok() {
            (Format::ExtendedXyz, Inner::Xyz(xyz::XyzFrames::open(path)?))
        } else {
            return Err(probe.error(
                Some(probe.line_no()),
                format!(
                    "`{}` starts neither an extended XYZ frame (a line with the number of atoms) nor a LAMMPS text dump (`ITEM: TIMESTEP`); binary dumps must be converted with LAMMPS' binary2txt",
                    lines::shorten(first)
                ),
            ));
        };
        Ok(Self { format, inner })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The next frame, `None` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, TrajectoryError> {
        match &mut self.inner {
            Inner::Xyz(r) => r.next_frame(),
            Inner::Lammps(r) => r.next_frame(),
        }
    }

    /// The next frame's header; its atom lines are skipped unread (only counted).
    pub fn next_header(&mut self) -> Result<Option<FrameHeader>, TrajectoryError> {
        match &mut self.inner {
            Inner::Xyz(r) => r.next_header(),
            Inner::Lammps(r) => r.next_header(),
        }
    }
}
