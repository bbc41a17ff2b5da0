//! H5MD 1.1 trajectories (https://www.nongnu.org/h5md/), readable by MDAnalysis, OVITO and
//! h5py. Built with the `hdf5` feature, against the system libhdf5.
//!
//! Layout written:
//! ```text
//! /h5md                      version = [1, 1]; author/name, creator/{name, version}
//! /particles/all/species     [N] int, attribute `names` (species name of each index)
//! /particles/all/mass        [N] f64, unit "u"
//! /particles/all/box         dimension = 3, boundary = ["periodic"; 3]
//! /particles/all/box/edges/{value [F,3,3] (rows a, b, c), step [F], time [F]}
//! /particles/all/position/{value [F,N,3] Å, step [F], time [F] ps}
//! /particles/all/velocity/{value [F,N,3] Å/ps, step [F], time [F] ps}   (optional)
//! ```

use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, Extent, File, Group};
use ndarray::ArrayView;
use std::path::{Path, PathBuf};

/// An HDF5 failure, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: H5MD trajectory: {message}")]
pub struct H5mdError {
    pub path: String,
    pub message: String,
}

/// One time-dependent H5MD element: value, step and time, grown one frame at a time.
struct Element {
    value: Dataset,
    step: Dataset,
    time: Dataset,
}

pub struct H5mdWriter {
    path: PathBuf,
    file: File,
    n_atoms: usize,
    frames: usize,
    edges: Element,
    position: Element,
    velocity: Option<Element>,
}

fn text(s: &str) -> hdf5::Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>()
        .map_err(|e| hdf5::Error::from(e.to_string()))
}

fn string_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&text(value)?)
}

/// A time-dependent element in `group` whose frames have shape `frame` ([] for scalars).
fn element(group: &Group, frame: &[usize], unit: &str) -> hdf5::Result<Element> {
    let mut extents = vec![Extent::resizable(0)];
    extents.extend(frame.iter().map(|&n| Extent::fixed(n)));
    let mut chunk = vec![1];
    chunk.extend_from_slice(frame);
    let value = group
        .new_dataset::<f64>()
        .chunk(chunk)
        .shape(extents)
        .create("value")?;
    string_attr(&value, "unit", unit)?;
    let step = group
        .new_dataset::<i64>()
        .chunk(64)
        .shape(Extent::resizable(0))
        .create("step")?;
    let time = group
        .new_dataset::<f64>()
        .chunk(64)
        .shape(Extent::resizable(0))
        .create("time")?;
    string_attr(&time, "unit", "ps")?;
    Ok(Element { value, step, time })
}

impl Element {
    /// Appends frame `k` holding `data` (row-major, shape `frame`).
    fn append(
        &self,
        k: usize,
        frame: &[usize],
        data: &[f64],
        step: u64,
        time: f64,
    ) -> hdf5::Result<()> {
        let mut shape = vec![k + 1];
        shape.extend_from_slice(frame);
        self.value.resize(shape)?;
        let mut view_shape = vec![1];
        view_shape.extend_from_slice(frame);
        let view = ArrayView::from_shape(view_shape, data)
            .map_err(|e| hdf5::Error::from(e.to_string()))?;
        self.value
            .write_slice(view, ndarray::s![k..k + 1, .., ..])?;
        self.step.resize(k + 1)?;
        self.step.write_slice(&[step as i64], k..k + 1)?;
        self.time.resize(k + 1)?;
        self.time.write_slice(&[time], k..k + 1)?;
        Ok(())
    }
}

impl H5mdWriter {
    /// Creates `path` with the H5MD metadata and the time-independent particle data.
    pub fn create(
        path: &Path,
        species_names: &[&str],
        types: &[usize],
        masses: &[f64],
        with_velocities: bool,
    ) -> Result<Self, H5mdError> {
        Self::try_create(path, species_names, types, masses, with_velocities).map_err(|e| {
            H5mdError {
                path: path.display().to_string(),
                message: e.to_string(),
            }
        })
    }

    fn try_create(
        path: &Path,
        species_names: &[&str],
        types: &[usize],
        masses: &[f64],
        with_velocities: bool,
    ) -> hdf5::Result<Self> {
        let file = File::create(path)?;
        let h5md = file.create_group("h5md")?;
        h5md.new_attr::<i32>()
            .shape(2)
            .create("version")?
            .write_raw(&[1, 1])?;
        let author = h5md.create_group("author")?;
        string_attr(&author, "name", "mdsim")?;
        let creator = h5md.create_group("creator")?;
        string_attr(&creator, "name", "mdsim")?;
        string_attr(&creator, "version", env!("CARGO_PKG_VERSION"))?;

        let all = file.create_group("particles")?.create_group("all")?;
        let n = types.len();
        let species: Vec<i32> = types.iter().map(|&t| t as i32).collect();
        let ds = all.new_dataset::<i32>().shape(n).create("species")?;
        ds.write_raw(&species)?;
        let names: Vec<VarLenUnicode> = species_names
            .iter()
            .map(|s| text(s))
            .collect::<hdf5::Result<_>>()?;
        ds.new_attr::<VarLenUnicode>()
            .shape(names.len())
            .create("names")?
            .write_raw(&names)?;
        let mass = all.new_dataset::<f64>().shape(n).create("mass")?;
        mass.write_raw(masses)?;
        string_attr(&mass, "unit", "u")?;

        let bx = all.create_group("box")?;
        bx.new_attr::<i32>().create("dimension")?.write_scalar(&3)?;
        let periodic = [text("periodic")?, text("periodic")?, text("periodic")?];
        bx.new_attr::<VarLenUnicode>()
            .shape(3)
            .create("boundary")?
            .write_raw(&periodic)?;
        let edges = element(&bx.create_group("edges")?, &[3, 3], "angstrom")?;
        let position = element(&all.create_group("position")?, &[n, 3], "angstrom")?;
        let velocity = match with_velocities {
            true => Some(element(
                &all.create_group("velocity")?,
                &[n, 3],
                "angstrom ps-1",
            )?),
            false => None,
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
            n_atoms: n,
            frames: 0,
            edges,
            position,
            velocity,
        })
    }

    /// Appends a frame: the cell (rows = lattice vectors a, b, c, Å), positions (Å) and, if
    /// the file was created with them, velocities (Å/ps).
    pub fn write_frame(
        &mut self,
        step: u64,
        time_ps: f64,
        cell: [[f64; 3]; 3],
        positions: &[[f64; 3]],
        velocities: Option<&[[f64; 3]]>,
    ) -> Result<(), H5mdError> {
        let n = self.n_atoms;
        let k = self.frames;
        let result = (|| {
            if positions.len() != n || velocities.is_some_and(|v| v.len() != n) {
                return Err(hdf5::Error::from(format!(
                    "frame {k} does not have {n} atoms"
                )));
            }
            if velocities.is_some() != self.velocity.is_some() {
                return Err(hdf5::Error::from(
                    "velocities must be given in every frame or in none",
                ));
            }
            self.edges
                .append(k, &[3, 3], cell.as_flattened(), step, time_ps)?;
            self.position
                .append(k, &[n, 3], positions.as_flattened(), step, time_ps)?;
            if let (Some(el), Some(v)) = (&self.velocity, velocities) {
                el.append(k, &[n, 3], v.as_flattened(), step, time_ps)?;
            }
            Ok(())
        })();
        result.map_err(|e| self.error(e))?;
        self.frames += 1;
        Ok(())
    }

    /// Whether frames carry velocities.
    pub fn has_velocities(&self) -> bool {
        self.velocity.is_some()
    }

    /// Flushes the file to disk (a crash after this keeps all frames written so far).
    pub fn flush(&mut self) -> Result<(), H5mdError> {
        self.file.flush().map_err(|e| self.error(e))
    }

    fn error(&self, e: hdf5::Error) -> H5mdError {
        H5mdError {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }
}
