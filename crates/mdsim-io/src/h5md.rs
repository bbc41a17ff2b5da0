//! H5MD 1.1 files (<https://www.nongnu.org/h5md/h5md.html>), readable by h5py and
//! MDAnalysis: the trajectory, vector observables sampled as the run goes, and curves
//! written at the end. Built with the `hdf5` feature, against the system libhdf5 (Debian:
//! `libhdf5-dev`, `pkg-config`).
//!
//! Layout written (N atoms, F frames, S observable samples, L curve points; `[var]` =
//! extendable along the time axis, chunked):
//! ```text
//! /h5md                       attr version: int32[2] = [1, 1]
//! /h5md/author                attr name: string = "mdsim"
//! /h5md/creator               attr name: string = "mdsim", attr version: string = crate version
//! /particles/trajectory/species   int32[N] (index into `names`), attr names: string[species]
//! /particles/trajectory/mass      float64[N], attr unit = "u"
//! /particles/trajectory/box       attr dimension: int32 = 3, attr boundary: string[3] = "periodic"
//! /particles/trajectory/box/edges/value     float64[var][3][3] (rows = lattice vectors a, b, c),
//!                                           attr unit = "Angstrom"
//! /particles/trajectory/box/edges/{step,time}  hard links to position/{step,time}
//! /particles/trajectory/position/step       int64[var]
//! /particles/trajectory/position/time       float64[var], attr unit = "ps"
//! /particles/trajectory/position/value      float64[var][N][3], attr unit = "Angstrom"
//! /particles/trajectory/velocity/value      float64[var][N][3], attr unit = "Angstrom ps-1" (optional)
//! /particles/trajectory/velocity/{step,time} hard links to position/{step,time}        (optional)
//! /observables/<name>/value     float64[var][3], attr unit      ([`H5mdWriter::write_observables`])
//! /observables/<name>/{step,time}  int64[var], float64[var] (unit "ps"); shared by every
//!                               observable (hard links to those of the first one created)
//! <path>/{lag,value,error}      float64[L] each, with units     ([`H5mdWriter::write_curves`])
//! ```
//!
//! The particle group is named `trajectory`: MDAnalysis (2.11) builds a Universe from the file
//! alone (`Universe("trajectory.h5md")`) only from `particles/trajectory`. Its reader also
//! copies `/observables/<name>/value[i]` into the frame data of trajectory frame i, whatever
//! the step datasets say, and refuses a file whose `/observables` holds anything else than
//! such series: curves (lag-dependent, time-independent results such as an MSD) therefore
//! belong elsewhere, e.g. under `/dynamics` as HALMD (by H5MD's authors) stores its time
//! correlation functions.
//!
//! The H5MD metadata strings (`author`, `creator`, `boundary`) are fixed-length ASCII, as
//! H5MD 1.1 prescribes. The `unit` attributes and the species `names` are variable-length
//! strings, which h5py returns as `str`: MDAnalysis looks the unit strings up as `str` and
//! knows "Angstrom" and "Angstrom ps-1" (not "angstrom ps-1"). Other units follow the H5MD
//! units module's notation (factors separated by spaces, signed powers: "e Angstrom-2").
//! The file is written in HDF5 file format version 2 (library-version lower bound 1.8), as
//! H5MD recommends, without object creation or modification times (the same run gives the
//! same bytes). A run continued from a checkpoint ends with the bytes of one that never
//! stopped, because where HDF5 puts things never depends on what it did earlier in the same
//! session: chunks get their place when a series grows into them (the observables a whole
//! chunk at a time, [`OBSERVABLE_BLOCK`]), the frames written again go into the blocks they
//! had ([`H5mdWriter::rewind`]: nothing is freed), and the file is closed and opened again
//! before new objects are created after the first frames.

use hdf5::dataset::{AllocTime, FillTime};
use hdf5::types::{FixedAscii, TypeDescriptor, VarLenUnicode};
use hdf5::{Dataset, Extent, File, Group, Hyperslab, Location, SliceOrIndex};
use ndarray::{arr0, ArrayView, IxDyn};
use std::path::{Path, PathBuf};

/// Unit strings written in the `unit` attributes.
pub const UNIT_LENGTH: &str = "Angstrom";
pub const UNIT_VELOCITY: &str = "Angstrom ps-1";
pub const UNIT_TIME: &str = "ps";
pub const UNIT_MASS: &str = "u";

/// The particle group (see the module docs for why this name).
pub const PARTICLE_GROUP: &str = "trajectory";
/// The H5MD group of the observables.
const OBSERVABLES: &str = "observables";

/// Target size of one chunk of a time series, kept under HDF5's default 1 MiB chunk cache so
/// that a chunk holding several frames is completed in memory, not re-read for every frame.
const CHUNK_BYTES: usize = 512 * 1024;
/// Most frames in one chunk.
const CHUNK_FRAMES_MAX: usize = 256;

/// An H5MD file failure; every message names the file.
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

/// Samples of a 3-vector observable, for [`H5mdWriter::write_observables`].
#[derive(Clone, Copy, Debug)]
pub struct VectorSeries<'a> {
    /// Name of its group under `/observables`.
    pub name: &'a str,
    /// Its `unit` attribute (H5MD notation), written when the observable is created.
    pub unit: &'a str,
    pub values: &'a [[f64; 3]],
}

/// Samples of a 3-vector observable in one chunk: written in blocks of this many, the
/// observables' chunks get their places at the same steps whether a run was stopped and
/// continued or not (see [`H5mdWriter::write_observables`]).
pub const OBSERVABLE_BLOCK: usize = chunk_frames(3 * std::mem::size_of::<f64>());

/// A curve y(lag) with its standard error, for [`H5mdWriter::write_curves`]; the three
/// slices have one entry per lag.
#[derive(Clone, Copy, Debug)]
pub struct Curve<'a> {
    /// Its group in the file, e.g. `dynamics/Li/mean_square_displacement`.
    pub path: &'a str,
    /// Lag times, ps.
    pub lag_ps: &'a [f64],
    pub value: &'a [f64],
    pub error: &'a [f64],
    /// Unit of `value` and `error` (H5MD notation).
    pub unit: &'a str,
    /// Attributes of the group: name, text.
    pub attributes: &'a [(&'a str, &'a str)],
}

/// Appends frames to an H5MD file: positions, optional velocities and the (triclinic) cell,
/// with shared step and time datasets; and, sampled on their own steps, vector observables.
pub struct H5mdWriter {
    path: PathBuf,
    n_atoms: usize,
    /// The open file; `None` only after a failed [`H5mdWriter::reopen`].
    open: Option<OpenFile>,
}

/// The file and its datasets.
struct OpenFile {
    file: File,
    /// `position/step` and `position/time`; `box/edges` and `velocity` hard-link them.
    frames: Clock,
    edges: Dataset,
    position: Dataset,
    velocity: Option<Dataset>,
    /// Created by the first [`H5mdWriter::write_observables`] (or found when opened).
    observables: Option<Observables>,
}

/// The `step` and `time` datasets of series sampled together, and how far they reach.
struct Clock {
    step: Dataset,
    time: Dataset,
    /// Samples written, or kept by [`Clock::rewind`]; the datasets may be longer.
    len: usize,
    /// Step and time of the last sample.
    last: Option<(u64, f64)>,
}

/// The observables' datasets: their shared clock and each one's name and `value`.
struct Observables {
    clock: Clock,
    values: Vec<(String, Dataset)>,
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

/// How the file is opened: file format version 2 (HDF5 1.8 or later), as H5MD recommends.
fn file_access(p: &mut hdf5::plist::FileAccessBuilder) -> &mut hdf5::plist::FileAccessBuilder {
    p.libver_v18()
}

/// A new group `name` in `parent`. Objects are written without creation and modification
/// times, so that the same run gives the same bytes (HDF5 stores them by default).
fn group(parent: &Group, name: &str) -> hdf5::Result<Group> {
    parent
        .create_group_builder()
        .obj_track_times(false)
        .create(name)
}

/// The group at `path` (components separated by `/`) under `root`, created with the groups
/// leading to it where missing.
fn group_path(root: &Group, path: &str) -> hdf5::Result<Group> {
    let mut g = root.clone();
    for name in path.split('/').filter(|s| !s.is_empty()) {
        g = if g.link_exists(name) {
            g.group(name)?
        } else {
            group(&g, name)?
        };
    }
    Ok(g)
}

/// Frames per chunk for a series whose frames take `frame_bytes` bytes.
const fn chunk_frames(frame_bytes: usize) -> usize {
    let frames = CHUNK_BYTES / if frame_bytes > 0 { frame_bytes } else { 1 };
    if frames < 1 {
        1
    } else if frames > CHUNK_FRAMES_MAX {
        CHUNK_FRAMES_MAX
    } else {
        frames
    }
}

/// An empty, extendable, chunked time series `name` in `group` with frames of shape `frame`.
/// A chunk gets its place in the file when the series grows into it (not when HDF5 first
/// flushes it, which depends on its cache and on when the file was flushed or closed), so
/// that a continued run puts it where a run that never stopped does.
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
        .alloc_time(Some(AllocTime::Early))
        .fill_time(FillTime::Never)
        .shape(extents)
        .create(name)
}

/// A time-independent float64 dataset `name` of `len` entries in `group`, with a unit.
fn fixed_f64(group: &Group, name: &str, unit: &str, len: usize) -> hdf5::Result<()> {
    let ds = group
        .new_dataset::<f64>()
        .obj_track_times(false)
        .shape(len)
        .create(name)?;
    var_attr(&ds, "unit", unit)
}

/// Writes frames `k..k + n` of `ds` (row-major `data`, `n` frames of it), growing it to
/// `k + n` frames if it is shorter (never shrinking it: see [`H5mdWriter::rewind`]).
fn put<T: hdf5::H5Type>(ds: &Dataset, k: usize, data: &[T]) -> hdf5::Result<()> {
    let mut shape = ds.shape();
    let per_frame: usize = shape[1..].iter().product();
    let n = data.len() / per_frame.max(1);
    if shape.is_empty() || n * per_frame != data.len() {
        return Err(msg(format!("dataset {}: data of another shape", ds.name())));
    }
    if shape[0] < k + n {
        shape[0] = k + n;
        ds.resize(shape.clone())?;
    }
    shape[0] = n;
    let view = ArrayView::from_shape(IxDyn(&shape), data).map_err(|e| msg(e.to_string()))?;
    let mut slab = vec![SliceOrIndex::from(k..k + n)];
    slab.extend(shape[1..].iter().map(|_| SliceOrIndex::from(..)));
    ds.write_slice(view, Hyperslab::from(slab))
}

impl Clock {
    /// New, empty `step` and `time` datasets in `group`.
    fn create(group: &Group) -> hdf5::Result<Self> {
        let step = series::<i64>(group, "step", &[])?;
        let time = series::<f64>(group, "time", &[])?;
        var_attr(&time, "unit", UNIT_TIME)?;
        Ok(Self {
            step,
            time,
            len: 0,
            last: None,
        })
    }

    /// The `step` and `time` datasets of `group`, as written so far.
    fn open(group: &Group) -> hdf5::Result<Self> {
        let mut c = Self {
            step: group.dataset("step")?,
            time: group.dataset("time")?,
            len: 0,
            last: None,
        };
        c.len = c.step.size();
        c.last = c.sample_before(c.len)?;
        Ok(c)
    }

    /// Step and time of the sample before sample `k`, if any.
    fn sample_before(&self, k: usize) -> hdf5::Result<Option<(u64, f64)>> {
        if k == 0 {
            return Ok(None);
        }
        let step = self.step.read_slice_1d::<i64, _>(k - 1..k)?[0];
        let time = self.time.read_slice_1d::<f64, _>(k - 1..k)?[0];
        Ok(Some((step as u64, time)))
    }

    /// Why samples at `steps` and `times_ps` cannot come next, or else their steps as stored.
    fn check(&self, steps: &[u64], times_ps: &[f64], what: &str) -> Result<Vec<i64>, String> {
        if steps.len() != times_ps.len() {
            return Err(format!(
                "{} steps and {} times given",
                steps.len(),
                times_ps.len()
            ));
        }
        let mut last = self.last;
        let mut stored = Vec::with_capacity(steps.len());
        for (&step, &time_ps) in steps.iter().zip(times_ps) {
            if !time_ps.is_finite() {
                return Err(format!("time {time_ps} ps is not a number"));
            }
            stored.push(
                i64::try_from(step)
                    .map_err(|_| format!("step {step} does not fit a 64-bit signed integer"))?,
            );
            if let Some((s, t)) = last {
                if step <= s {
                    return Err(format!(
                        "step {step} does not follow the previous {what}'s step {s}"
                    ));
                }
                if time_ps < t {
                    return Err(format!(
                        "time {time_ps} ps is before the previous {what}'s {t} ps"
                    ));
                }
            }
            last = Some((step, time_ps));
        }
        Ok(stored)
    }

    /// Writes the steps and times of samples `len..` (their values are written first) and
    /// counts them.
    fn push(&mut self, stored_steps: &[i64], times_ps: &[f64]) -> hdf5::Result<()> {
        put(&self.step, self.len, stored_steps)?;
        put(&self.time, self.len, times_ps)?;
        self.len += stored_steps.len();
        if let (Some(&s), Some(&t)) = (stored_steps.last(), times_ps.last()) {
            self.last = Some((s as u64, t));
        }
        Ok(())
    }

    /// Samples in the file, those after `len` included.
    fn stored(&self) -> usize {
        self.step.size()
    }

    /// Continues after the first `n` samples (at most [`Clock::stored`]).
    fn rewind(&mut self, n: usize) -> hdf5::Result<()> {
        self.last = self.sample_before(n)?;
        self.len = n;
        Ok(())
    }
}

impl Observables {
    /// Creates `/observables/<name>` for each of `values` (in that order); the first gets the
    /// `step` and `time` datasets, the others hard links to them.
    fn create(file: &File, values: &[VectorSeries]) -> hdf5::Result<Self> {
        let root = group_path(file, OBSERVABLES)?;
        let mut clock = None;
        let mut datasets = Vec::with_capacity(values.len());
        for o in values {
            let g = group(&root, o.name)?;
            match &clock {
                None => clock = Some(Clock::create(&g)?),
                Some(_) => {
                    let first = values[0].name;
                    for ds in ["step", "time"] {
                        root.link_hard(&format!("{first}/{ds}"), &format!("{}/{ds}", o.name))?;
                    }
                }
            }
            let value = series::<f64>(&g, "value", &[3])?;
            var_attr(&value, "unit", o.unit)?;
            datasets.push((o.name.to_string(), value));
        }
        let clock = clock.ok_or_else(|| msg("no observables to create"))?;
        Ok(Self {
            clock,
            values: datasets,
        })
    }

    /// The observables of a file written by [`Observables::create`], if it has any.
    fn open(file: &File) -> hdf5::Result<Option<Self>> {
        if !file.link_exists(OBSERVABLES) {
            return Ok(None);
        }
        let root = file.group(OBSERVABLES)?;
        let names = root.member_names()?;
        let Some(first) = names.first() else {
            return Ok(None);
        };
        let clock = Clock::open(&root.group(first)?)?;
        let values = names
            .iter()
            .map(|n| Ok((n.clone(), root.dataset(&format!("{n}/value"))?)))
            .collect::<hdf5::Result<_>>()?;
        Ok(Some(Self { clock, values }))
    }

    /// Where the datasets of `given` are in `values`, or why they do not match the file's.
    fn find(&self, given: &[VectorSeries]) -> Result<Vec<usize>, String> {
        let names = || {
            let v: Vec<&str> = self.values.iter().map(|(n, _)| n.as_str()).collect();
            v.join(", ")
        };
        if given.len() != self.values.len() {
            return Err(format!(
                "{} observables given, the file has {} ({})",
                given.len(),
                self.values.len(),
                names()
            ));
        }
        given
            .iter()
            .map(|o| {
                self.values
                    .iter()
                    .position(|(n, _)| n == o.name)
                    .ok_or_else(|| {
                        format!(
                            "observable {:?} is not one of the file's ({})",
                            o.name,
                            names()
                        )
                    })
            })
            .collect()
    }
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
        let open = OpenFile::create(path, species_names, &species, masses, with_velocities)
            .map_err(hdf5_error(path, "creating the file".into()))?;
        Ok(Self {
            path: path.to_path_buf(),
            n_atoms: n,
            open: Some(open),
        })
    }

    /// Opens a file written by [`H5mdWriter::create`] to append more frames and observable
    /// samples (a run continued from a checkpoint: see [`H5mdWriter::rewind`]). Nothing is
    /// changed until new data are written.
    pub fn open(path: &Path) -> Result<Self, H5mdError> {
        let open = OpenFile::open(path)
            .map_err(hdf5_error(path, "opening the file to continue it".into()))?;
        Ok(Self {
            path: path.to_path_buf(),
            n_atoms: open.position.shape().get(1).copied().unwrap_or(0),
            open: Some(open),
        })
    }

    fn invalid(&self, reason: String) -> H5mdError {
        H5mdError::Invalid {
            path: self.path.clone(),
            reason,
        }
    }

    /// The open file, and the path for error messages.
    fn file(&mut self) -> Result<(&mut OpenFile, &Path), H5mdError> {
        match &mut self.open {
            Some(f) => Ok((f, &self.path)),
            None => Err(H5mdError::Invalid {
                path: self.path.clone(),
                reason: "closed after a failed attempt to open it again".into(),
            }),
        }
    }

    /// Closes the file and opens it again, keeping where the frames and observables stand.
    /// Called before new objects are created (after the file itself): HDF5 then knows about
    /// the file only what it reads from it, as when a continued run opens it, and a run that
    /// never stopped puts the new objects (and the heap holding their strings) where a
    /// continued one does, whenever it was stopped.
    fn reopen(&mut self) -> Result<(), H5mdError> {
        let (f, path) = self.file()?;
        f.file
            .flush()
            .map_err(hdf5_error(path, "flushing".into()))?;
        let (frames, samples) = (f.frames.len, f.observables.as_ref().map(|o| o.clock.len));
        self.open = None;
        let result = (|| {
            let mut f = OpenFile::open(&self.path)?;
            f.frames.rewind(frames)?;
            if let (Some(o), Some(n)) = (&mut f.observables, samples) {
                o.clock.rewind(n)?;
            }
            Ok(f)
        })();
        self.open = Some(result.map_err(hdf5_error(&self.path, "opening it again".into()))?);
        Ok(())
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
        let n_atoms = self.n_atoms;
        let (f, path) = self.file()?;
        let k = f.frames.len;
        let stored_step = check_frame(n_atoms, f.velocity.is_some(), positions, velocities)
            .and_then(|()| f.frames.check(&[step], &[time_ps], "frame"))
            .map_err(|reason| H5mdError::Invalid {
                path: path.to_path_buf(),
                reason: format!("frame {k}: {reason}"),
            })?;
        // Every dataset is written at frame k, so a frame that failed half-way is
        // overwritten whole by the next successful one.
        let result = (|| {
            put(&f.edges, k, cell.as_flattened())?;
            put(&f.position, k, positions.as_flattened())?;
            if let (Some(ds), Some(v)) = (&f.velocity, velocities) {
                put(ds, k, v.as_flattened())?;
            }
            f.frames.push(&stored_step, &[time_ps])
        })();
        result.map_err(hdf5_error(path, format!("writing frame {k} (step {step})")))
    }

    /// Appends samples of 3-vector observables under `/observables`, all sampled at the same
    /// steps (their own, independent of the frames'): `series` give one value per step. The
    /// first call creates them, with the given names and units; later calls must give the
    /// same names (in any order). Steps must increase from sample to sample, times must not
    /// decrease. Write them in blocks of [`OBSERVABLE_BLOCK`] samples (and the rest at the
    /// end): a chunk then gets its place in the file when it is complete, at the same step
    /// whether a run was stopped or not, and the file ends with the same bytes.
    pub fn write_observables(
        &mut self,
        steps: &[u64],
        times_ps: &[f64],
        series: &[VectorSeries],
    ) -> Result<(), H5mdError> {
        if let Some(s) = series.iter().find(|s| s.values.len() != steps.len()) {
            return Err(self.invalid(format!(
                "observables: {} values of {} given for {} steps",
                s.values.len(),
                s.name,
                steps.len()
            )));
        }
        if steps.is_empty() {
            return Ok(());
        }
        if self.file()?.0.observables.is_none() {
            self.reopen()?;
            let (f, path) = self.file()?;
            let created = Observables::create(&f.file, series)
                .map_err(hdf5_error(path, "creating the observables".into()))?;
            f.observables = Some(created);
        }
        let (f, path) = self.file()?;
        let Some(obs) = &mut f.observables else {
            unreachable!("created above");
        };
        let k = obs.clock.len;
        let checked = obs.find(series).and_then(|at| {
            let stored = obs.clock.check(steps, times_ps, "sample")?;
            Ok((at, stored))
        });
        let (at, stored_steps) = checked.map_err(|reason| H5mdError::Invalid {
            path: path.to_path_buf(),
            reason: format!("observables, samples from {k}: {reason}"),
        })?;
        let result = (at.iter().zip(series))
            .try_for_each(|(&i, s)| put(&obs.values[i].1, k, s.values.as_flattened()))
            .and_then(|()| obs.clock.push(&stored_steps, times_ps));
        result.map_err(hdf5_error(
            path,
            format!("writing observables from sample {k} (step {})", steps[0]),
        ))
    }

    /// Writes `curves`, each as time-independent datasets `lag` (ps), `value` and `error`
    /// (its unit) in the group at its path, created with the groups leading to it, with its
    /// attributes on the group. A curve already in the file (a run that ended, was continued
    /// from an earlier checkpoint and ended again) is overwritten in place when it has the
    /// same length and units, else replaced.
    pub fn write_curves(&mut self, curves: &[Curve]) -> Result<(), H5mdError> {
        for c in curves {
            let n = c.lag_ps.len();
            if c.value.len() != n || c.error.len() != n {
                return Err(self.invalid(format!(
                    "curve {}: {n} lags, {} values and {} errors given",
                    c.path,
                    c.value.len(),
                    c.error.len()
                )));
            }
        }
        let (f, path) = self.file()?;
        let in_place = curves
            .iter()
            .map(|c| f.has_curve(c))
            .collect::<hdf5::Result<Vec<bool>>>()
            .map_err(hdf5_error(path, "reading the curves".into()))?;
        if !in_place.iter().all(|&x| x) {
            self.reopen()?;
        }
        let (f, path) = self.file()?;
        for (c, in_place) in curves.iter().zip(in_place) {
            f.write_curve(c, in_place)
                .map_err(hdf5_error(path, format!("writing the curve {}", c.path)))?;
        }
        Ok(())
    }

    /// Continues the file after its first `frames` frames (a run continued from a
    /// checkpoint): the next frame is written as frame `frames`, over the frames stored after
    /// it, which stay in the file until then. A run continued from a checkpoint writes those
    /// frames again bit for bit, into the blocks they already have: cutting the datasets
    /// short would free those blocks, and HDF5 could store the frames written again at other
    /// places than a run that never stopped (the files would differ in their bytes).
    pub fn rewind(&mut self, frames: usize) -> Result<(), H5mdError> {
        let (f, path) = self.file()?;
        let stored = f.frames.stored();
        if frames > stored {
            return Err(H5mdError::Invalid {
                path: path.to_path_buf(),
                reason: format!("has {stored} frames, fewer than the {frames} to continue after"),
            });
        }
        let result = f.frames.rewind(frames);
        result.map_err(hdf5_error(path, format!("continuing after frame {frames}")))
    }

    /// Continues the observables after their first `samples` samples, as
    /// [`H5mdWriter::rewind`] the frames.
    pub fn rewind_observables(&mut self, samples: usize) -> Result<(), H5mdError> {
        let (f, path) = self.file()?;
        let stored = f.observables.as_ref().map_or(0, |o| o.clock.stored());
        if samples > stored {
            return Err(H5mdError::Invalid {
                path: path.to_path_buf(),
                reason: format!(
                    "has {stored} observable samples, fewer than the {samples} to continue after"
                ),
            });
        }
        let Some(obs) = &mut f.observables else {
            return Ok(());
        };
        let result = obs.clock.rewind(samples);
        result.map_err(hdf5_error(
            path,
            format!("continuing the observables after sample {samples}"),
        ))
    }

    /// Whether frames carry velocities.
    pub fn has_velocities(&self) -> bool {
        self.open.as_ref().is_some_and(|f| f.velocity.is_some())
    }

    /// Frames written so far (or kept by [`H5mdWriter::rewind`]).
    pub fn frames(&self) -> usize {
        self.open.as_ref().map_or(0, |f| f.frames.len)
    }

    /// Observable samples written so far (or kept by [`H5mdWriter::rewind_observables`];
    /// 0 before the first).
    pub fn observable_samples(&self) -> usize {
        let obs = self.open.as_ref().and_then(|f| f.observables.as_ref());
        obs.map_or(0, |o| o.clock.len)
    }

    /// Flushes the file to disk: a crash after this keeps all frames written so far.
    pub fn flush(&mut self) -> Result<(), H5mdError> {
        let (f, path) = self.file()?;
        f.file.flush().map_err(hdf5_error(path, "flushing".into()))
    }
}

/// An [`H5mdError::Hdf5`] for `path`, doing `action`.
fn hdf5_error(path: &Path, action: String) -> impl FnOnce(hdf5::Error) -> H5mdError + '_ {
    move |source| H5mdError::Hdf5 {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Why a frame's particle data do not fit a file of `n` atoms, with or without velocities.
fn check_frame(
    n: usize,
    with_velocities: bool,
    positions: &[[f64; 3]],
    velocities: Option<&[[f64; 3]]>,
) -> Result<(), String> {
    if positions.len() != n {
        return Err(format!("{} positions given for {n} atoms", positions.len()));
    }
    match (velocities, with_velocities) {
        (None, true) => Err("no velocities given, but the file was created with them".into()),
        (Some(_), false) => Err("velocities given, but the file was created without them".into()),
        (Some(v), true) if v.len() != n => {
            Err(format!("{} velocities given for {n} atoms", v.len()))
        }
        _ => Ok(()),
    }
}

impl OpenFile {
    fn create(
        path: &Path,
        species_names: &[&str],
        species: &[i32],
        masses: &[f64],
        with_velocities: bool,
    ) -> hdf5::Result<Self> {
        let n = species.len();
        let file = File::with_options()
            .with_fapl(file_access)
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

        let all = group(&group(&file, "particles")?, PARTICLE_GROUP)?;
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
        let frames = Clock::create(&position)?;
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
            file,
            frames,
            edges,
            position,
            velocity,
            observables: None,
        })
    }

    fn open(path: &Path) -> hdf5::Result<Self> {
        let file = File::with_options().with_fapl(file_access).open_rw(path)?;
        let all = file.group(&format!("particles/{PARTICLE_GROUP}"))?;
        let velocity = all
            .link_exists("velocity/value")
            .then(|| all.dataset("velocity/value"))
            .transpose()?;
        Ok(Self {
            frames: Clock::open(&all.group("position")?)?,
            edges: all.dataset("box/edges/value")?,
            position: all.dataset("position/value")?,
            velocity,
            observables: Observables::open(&file)?,
            file,
        })
    }

    /// Whether the file holds `c`'s group with datasets of its lengths and units.
    fn has_curve(&self, c: &Curve) -> hdf5::Result<bool> {
        if !self.file.link_exists(c.path) {
            return Ok(false);
        }
        let g = self.file.group(c.path)?;
        for (name, data, unit) in curve_columns(c) {
            if !g.link_exists(name) {
                return Ok(false);
            }
            let ds = g.dataset(name)?;
            let found = ds.attr("unit")?.read_scalar::<VarLenUnicode>()?;
            if ds.shape() != [data.len()] || found.as_str() != unit {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes `c` into its group as it is (`in_place`), or into a new one.
    fn write_curve(&self, c: &Curve, in_place: bool) -> hdf5::Result<()> {
        let g = if in_place {
            self.file.group(c.path)?
        } else {
            if self.file.link_exists(c.path) {
                self.file.unlink(c.path)?;
            }
            let g = group_path(&self.file, c.path)?;
            for (name, data, unit) in curve_columns(c) {
                fixed_f64(&g, name, unit, data.len())?;
            }
            g
        };
        for (name, data, _) in curve_columns(c) {
            if !data.is_empty() {
                g.dataset(name)?.write_raw(data)?;
            }
        }
        for &(name, text) in c.attributes {
            if g.attr_names()?.iter().any(|a| a == name) {
                if g.attr(name)?.read_scalar::<VarLenUnicode>()?.as_str() == text {
                    continue;
                }
                g.delete_attr(name)?;
            }
            var_attr(&g, name, text)?;
        }
        Ok(())
    }
}

/// A curve's datasets: name, data, unit.
fn curve_columns<'a>(c: &Curve<'a>) -> [(&'static str, &'a [f64], &'a str); 3] {
    [
        ("lag", c.lag_ps, UNIT_TIME),
        ("value", c.value, c.unit),
        ("error", c.error, c.unit),
    ]
}
