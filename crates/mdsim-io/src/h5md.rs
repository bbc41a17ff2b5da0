//! H5MD 1.1 trajectories (<https://www.nongnu.org/h5md/h5md.html>), readable by h5py and
//! MDAnalysis. Built with the `hdf5` feature, against the system libhdf5 (Debian:
//! `libhdf5-dev`, `pkg-config`).
//!
//! Layout written (N atoms, F frames; `[var]` = extendable along the time axis, chunked):
//! ```text
//! /h5md                       attr version: int32[2] = [1, 1]
//! /h5md/author                attr name: string = "mdsim"
//! /h5md/creator               attr name: string = "mdsim", attr version: string = crate version
//! /particles/all/species      int32[N] (index into `names`), attr names: string[S]
//! /particles/all/mass         float64[N], attr unit = "u"
//! /particles/all/box          attr dimension: int32 = 3, attr boundary: string[3] = "periodic"
//! /particles/all/box/edges/value      float64[var][3][3] (rows = lattice vectors a, b, c),
//!                                     attr unit = "Angstrom"
//! /particles/all/box/edges/{step,time}  hard links to position/{step,time}
//! /particles/all/position/step        int64[var]
//! /particles/all/position/time        float64[var], attr unit = "ps"
//! /particles/all/position/value       float64[var][N][3], attr unit = "Angstrom"
//! /particles/all/velocity/value       float64[var][N][3], attr unit = "Angstrom ps-1"  (optional)
//! /particles/all/velocity/{step,time} hard links to position/{step,time}               (optional)
//! ```
//!
//! The H5MD metadata strings (`author`, `creator`, `boundary`) are fixed-length ASCII, as
//! H5MD 1.1 prescribes. The `unit` attributes and the species `names` are variable-length
//! strings, which h5py returns as `str`: MDAnalysis looks the unit strings up as `str` and
//! knows "Angstrom" and "Angstrom ps-1" (not "angstrom ps-1"). The file is written in HDF5
//! file format version 2 (library-version lower bound 1.8), as H5MD recommends.

use hdf5::types::{FixedAscii, TypeDescriptor, VarLenUnicode};
use hdf5::{Dataset, Extent, File, Group, Location};
use ndarray::{arr0, ArrayView, ArrayView1};
use std::path::{Path, PathBuf};

/// Unit strings written in the `unit` attributes.
pub const UNIT_LENGTH: &str = "Angstrom";
pub const UNIT_VELOCITY: &str = "Angstrom ps-1";
pub const UNIT_TIME: &str = "ps";
pub const UNIT_MASS: &str = "u";

/// Target size of one chunk of a time series, kept under HDF5's default 1 MiB chunk cache so
/// that a chunk holding several frames is completed in memory, not re-read for every frame.
const CHUNK_BYTES: usize = 512 * 1024;
/// Most frames in one chunk.
const CHUNK_FRAMES_MAX: usize = 256;

/// An H5MD trajectory failure; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum H5mdError {
    /// The HDF5 library refused an operation.
    #[error("{}: H5MD trajectory: {action}: {source}", .path.display())]
    Hdf5 {
        path: PathBuf,
        action: String,
        #[source]
        source: hdf5::Error,
    },
    /// The data given do not fit the file (atom count, species indices, step order, ...).
    #[error("{}: H5MD trajectory: {reason}", .path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// Appends frames to an H5MD file: positions, optional velocities and the (triclinic) cell,
/// with shared step and time datasets.
pub struct H5mdWriter {
    path: PathBuf,
    file: File,
    n_atoms: usize,
    frames: usize,
    last: Option<(u64, f64)>,
    /// `position/step` and `position/time`; `box/edges` and `velocity` hard-link them.
    step: Dataset,
    time: Dataset,
    edges: Dataset,
    position: Dataset,
    velocity: Option<Dataset>,
}

fn msg(s: impl Into<String>) -> hdf5::Error {
    hdf5::Error::from(s.into())
}

/// A fixed-length ASCII string type of exactly `s.len()` bytes, with `s` ready to write as a
/// (wider) in-memory value; HDF5 converts between the two lengths.
fn fixed_ascii(s: &str) -> hdf5::Result<(FixedAscii<64>, TypeDescriptor)> {
    let value = FixedAscii::<64>::from_ascii(s.as_bytes())
        .map_err(|e| msg(format!("string {s:?}: {e}")))?;
    Ok((value, TypeDescriptor::FixedAscii(s.len().max(1))))
}

/// A scalar fixed-length ASCII attribute.
fn fixed_attr(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    let (v, ty) = fixed_ascii(value)?;
    loc.new_attr_builder()
        .with_data_as(arr0(v).view(), ty)
        .create(name)?;
    Ok(())
}

fn var_text(s: &str) -> hdf5::Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>()
        .map_err(|e| msg(format!("string {s:?}: {e}")))
}

/// A scalar variable-length string attribute.
fn var_attr(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&var_text(value)?)
}

/// A new group `name` in `parent`. Objects are written without creation and modification
/// times, so that the same run gives the same bytes (HDF5 stores them by default).
fn group(parent: &Group, name: &str) -> hdf5::Result<Group> {
    parent
        .create_group_builder()
        .obj_track_times(false)
        .create(name)
}

/// Frames per chunk for a series whose frames take `frame_bytes` bytes.
fn chunk_frames(frame_bytes: usize) -> usize {
    (CHUNK_BYTES / frame_bytes.max(1)).clamp(1, CHUNK_FRAMES_MAX)
}

/// An empty, extendable, chunked time series `name` in `group` with frames of shape `frame`.
fn series<T: hdf5::H5Type>(group: &Group, name: &str, frame: &[usize]) -> hdf5::Result<Dataset> {
    let frame_bytes = frame.iter().product::<usize>() * std::mem::size_of::<T>();
    let mut extents = vec![Extent::resizable(0)];
    extents.extend(frame.iter().map(|&n| Extent::fixed(n)));
    let mut chunk = vec![chunk_frames(frame_bytes)];
    chunk.extend_from_slice(frame);
    group
        .new_dataset::<T>()
        .obj_track_times(false)
        .chunk(chunk)
        .shape(extents)
        .create(name)
}

/// Grows `ds` to `k + 1` frames and writes frame `k` (row-major `data`).
fn append(ds: &Dataset, k: usize, data: &[f64]) -> hdf5::Result<()> {
    let mut shape = ds.shape();
    if shape.len() != 3 {
        return Err(msg(format!("dataset {} is not of rank 3", ds.name())));
    }
    shape[0] = k + 1;
    ds.resize(shape.clone())?;
    shape[0] = 1;
    let view = ArrayView::from_shape(shape, data).map_err(|e| msg(e.to_string()))?;
    ds.write_slice(view, ndarray::s![k..k + 1, .., ..])
}

fn append_scalar<T: hdf5::H5Type>(ds: &Dataset, k: usize, value: T) -> hdf5::Result<()> {
    ds.resize(k + 1)?;
    ds.write_slice(ArrayView1::from(&[value]), k..k + 1)
}

impl H5mdWriter {
    /// Creates (or truncates) `path` with the H5MD metadata and the time-independent particle
    /// data: `types[i]` is atom i's index into `species_names`, `masses[i]` its mass (u).
    /// Frames carry velocities if `with_velocities`.
    pub fn create(
        path: &Path,
        species_names: &[&str],
        types: &[usize],
        masses: &[f64],
        with_velocities: bool,
    ) -> Result<Self, H5mdError> {
        let invalid = |reason: String| H5mdError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let n = types.len();
        if n == 0 {
            return Err(invalid("no atoms to write".into()));
        }
        if masses.len() != n {
            return Err(invalid(format!(
                "{} masses given for {n} atoms",
                masses.len()
            )));
        }
        let mut species = Vec::with_capacity(n);
        for (i, &t) in types.iter().enumerate() {
            match i32::try_from(t) {
                Ok(s) if t < species_names.len() => species.push(s),
                _ => {
                    return Err(invalid(format!(
                        "atom {i} has species index {t}, but {} species names are given",
                        species_names.len()
                    )))
                }
            }
        }
        Self::try_create(path, species_names, &species, masses, with_velocities).map_err(|source| {
            H5mdError::Hdf5 {
                path: path.to_path_buf(),
                action: "creating the file".into(),
                source,
            }
        })
    }

    fn try_create(
        path: &Path,
        species_names: &[&str],
        species: &[i32],
        masses: &[f64],
        with_velocities: bool,
    ) -> hdf5::Result<Self> {
        let n = species.len();
        let file = File::with_options()
            .with_fapl(|p| p.libver_v18())
            .with_fcpl(|p| p.obj_track_times(false))
            .create(path)?;

        let h5md = group(&file, "h5md")?;
        h5md.new_attr::<i32>()
            .shape(2)
            .create("version")?
            .write_raw(&[1, 1])?;
        let author = group(&h5md, "author")?;
        fixed_attr(&author, "name", "mdsim")?;
        let creator = group(&h5md, "creator")?;
        fixed_attr(&creator, "name", "mdsim")?;
        fixed_attr(&creator, "version", env!("CARGO_PKG_VERSION"))?;

        let all = group(&group(&file, "particles")?, "all")?;
        let ds = all
            .new_dataset::<i32>()
            .obj_track_times(false)
            .shape(n)
            .create("species")?;
        ds.write_raw(species)?;
        let names = species_names
            .iter()
            .map(|s| var_text(s))
            .collect::<hdf5::Result<Vec<_>>>()?;
        ds.new_attr::<VarLenUnicode>()
            .shape(names.len())
            .create("names")?
            .write_raw(&names)?;
        let mass = all
            .new_dataset::<f64>()
            .obj_track_times(false)
            .shape(n)
            .create("mass")?;
        mass.write_raw(masses)?;
        var_attr(&mass, "unit", UNIT_MASS)?;

        let bx = group(&all, "box")?;
        bx.new_attr::<i32>().create("dimension")?.write_scalar(&3)?;
        let (periodic, ty) = fixed_ascii("periodic")?;
        bx.new_attr_builder()
            .with_data_as(&[periodic; 3], ty)
            .create("boundary")?;

        let position = group(&all, "position")?;
        let step = series::<i64>(&position, "step", &[])?;
        let time = series::<f64>(&position, "time", &[])?;
        var_attr(&time, "unit", UNIT_TIME)?;
        let position = series::<f64>(&position, "value", &[n, 3])?;
        var_attr(&position, "unit", UNIT_LENGTH)?;

        let edges_group = group(&bx, "edges")?;
        let edges = series::<f64>(&edges_group, "value", &[3, 3])?;
        var_attr(&edges, "unit", UNIT_LENGTH)?;
        all.link_hard("position/step", "box/edges/step")?;
        all.link_hard("position/time", "box/edges/time")?;

        let velocity = if with_velocities {
            let v = series::<f64>(&group(&all, "velocity")?, "value", &[n, 3])?;
            var_attr(&v, "unit", UNIT_VELOCITY)?;
            all.link_hard("position/step", "velocity/step")?;
            all.link_hard("position/time", "velocity/time")?;
            Some(v)
        } else {
            None
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
            n_atoms: n,
            frames: 0,
            last: None,
            step,
            time,
            edges,
            position,
            velocity,
        })
    }

    /// Appends a frame: the cell (rows = lattice vectors a, b, c, Å), positions (Å, wrapped
    /// or not, as given) and, if the file was created with them, velocities (Å/ps). Steps
    /// must increase from frame to frame, times must not decrease.
    pub fn write_frame(
        &mut self,
        step: u64,
        time_ps: f64,
        cell: [[f64; 3]; 3],
        positions: &[[f64; 3]],
        velocities: Option<&[[f64; 3]]>,
    ) -> Result<(), H5mdError> {
        let k = self.frames;
        let stored_step = self
            .check_frame(step, time_ps, positions, velocities)
            .map_err(|reason| H5mdError::Invalid {
                path: self.path.clone(),
                reason: format!("frame {k}: {reason}"),
            })?;
        // Every dataset is resized to k + 1 frames, so a frame that failed half-way is
        // overwritten whole by the next successful one.
        let result = (|| {
            append(&self.edges, k, cell.as_flattened())?;
            append(&self.position, k, positions.as_flattened())?;
            if let (Some(ds), Some(v)) = (&self.velocity, velocities) {
                append(ds, k, v.as_flattened())?;
            }
            append_scalar(&self.step, k, stored_step)?;
            append_scalar(&self.time, k, time_ps)
        })();
        result.map_err(|source| H5mdError::Hdf5 {
            path: self.path.clone(),
            action: format!("writing frame {k} (step {step})"),
            source,
        })?;
        self.frames += 1;
        self.last = Some((step, time_ps));
        Ok(())
    }

    /// Why a frame cannot be appended, or else its step as stored (int64).
    fn check_frame(
        &self,
        step: u64,
        time_ps: f64,
        positions: &[[f64; 3]],
        velocities: Option<&[[f64; 3]]>,
    ) -> Result<i64, String> {
        let n = self.n_atoms;
        if positions.len() != n {
            return Err(format!("{} positions given for {n} atoms", positions.len()));
        }
        match (velocities, &self.velocity) {
            (None, Some(_)) => {
                return Err("no velocities given, but the file was created with them".into())
            }
            (Some(_), None) => {
                return Err("velocities given, but the file was created without them".into())
            }
            (Some(v), Some(_)) if v.len() != n => {
                return Err(format!("{} velocities given for {n} atoms", v.len()))
            }
            _ => {}
        }
        if !time_ps.is_finite() {
            return Err(format!("time {time_ps} ps is not a number"));
        }
        let stored = i64::try_from(step)
            .map_err(|_| format!("step {step} does not fit a 64-bit signed integer"))?;
        if let Some((s, t)) = self.last {
            if step <= s {
                return Err(format!(
                    "step {step} does not follow the previous frame's step {s}"
                ));
            }
            if time_ps < t {
                return Err(format!(
                    "time {time_ps} ps is before the previous frame's {t} ps"
                ));
            }
        }
        Ok(stored)
    }

    /// Opens a file written by [`H5mdWriter::create`] to append more frames (a run continued
    /// from a checkpoint). Nothing is changed until [`H5mdWriter::truncate`] or a new frame.
    pub fn open(path: &Path) -> Result<Self, H5mdError> {
        Self::try_open(path).map_err(|source| H5mdError::Hdf5 {
            path: path.to_path_buf(),
            action: "opening the file to continue it".into(),
            source,
        })
    }

    fn try_open(path: &Path) -> hdf5::Result<Self> {
        let file = File::open_rw(path)?;
        let all = file.group("particles/all")?;
        let n_atoms = all.dataset("species")?.size();
        let velocity = all
            .link_exists("velocity/value")
            .then(|| all.dataset("velocity/value"))
            .transpose()?;
        let mut w = Self {
            path: path.to_path_buf(),
            n_atoms,
            frames: 0,
            last: None,
            step: all.dataset("position/step")?,
            time: all.dataset("position/time")?,
            edges: all.dataset("box/edges/value")?,
            position: all.dataset("position/value")?,
            velocity,
            file,
        };
        w.frames = w.step.size();
        w.last = w.frame_time(w.frames)?;
        Ok(w)
    }

    /// Step and time of the frame before frame `k`, if any.
    fn frame_time(&self, k: usize) -> hdf5::Result<Option<(u64, f64)>> {
        if k == 0 {
            return Ok(None);
        }
        let step = self.step.read_slice_1d::<i64, _>(k - 1..k)?[0];
        let time = self.time.read_slice_1d::<f64, _>(k - 1..k)?[0];
        Ok(Some((step as u64, time)))
    }

    /// Cuts the file back to its first `frames` frames, dropping any written after them.
    pub fn truncate(&mut self, frames: usize) -> Result<(), H5mdError> {
        if frames > self.frames {
            return Err(H5mdError::Invalid {
                path: self.path.clone(),
                reason: format!(
                    "has {} frames, fewer than the {frames} to keep",
                    self.frames
                ),
            });
        }
        let result = (|| {
            for ds in [&self.step, &self.time] {
                ds.resize(frames)?;
            }
            for ds in [
                Some(&self.edges),
                Some(&self.position),
                self.velocity.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                let mut shape = ds.shape();
                shape[0] = frames;
                ds.resize(shape)?;
            }
            self.frame_time(frames)
        })();
        self.last = result.map_err(|source| H5mdError::Hdf5 {
            path: self.path.clone(),
            action: format!("cutting back to {frames} frames"),
            source,
        })?;
        self.frames = frames;
        Ok(())
    }

    /// Whether frames carry velocities.
    pub fn has_velocities(&self) -> bool {
        self.velocity.is_some()
    }

    /// Frames written so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Flushes the file to disk: a crash after this keeps all frames written so far.
    pub fn flush(&mut self) -> Result<(), H5mdError> {
        self.file.flush().map_err(|source| H5mdError::Hdf5 {
            path: self.path.clone(),
            action: "flushing".into(),
            source,
        })
    }
}
