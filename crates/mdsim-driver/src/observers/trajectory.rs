//! Trajectory output: extended XYZ (trajectory.xyz) or H5MD (trajectory.h5, `hdf5` builds),
//! a frame every `trajectory_every` steps and for the starting state.

use crate::observer::{Observer, State};
use crate::output::TextWriter;
use anyhow::Result;
use mdsim_core::System;
use mdsim_io::input::TrajectoryFormat;
use mdsim_io::xyz;
use std::path::Path;

/// The trajectory observer: the file and the frame interval.
pub struct TrajectoryWriter {
    file: Trajectory,
    every: u64,
}

impl TrajectoryWriter {
    pub fn create(
        dir: &Path,
        format: TrajectoryFormat,
        s: &System,
        velocities: bool,
        every: u64,
    ) -> Result<Self> {
        Ok(Self {
            file: Trajectory::create(dir, format, s, velocities)?,
            every,
        })
    }
}

impl Observer for TrajectoryWriter {
    fn observe(&mut self, s: &State) -> Result<()> {
        if s.step.is_multiple_of(self.every) {
            self.file.write(s.system, s.step, s.dt)?;
        }
        Ok(())
    }

    fn finish(&mut self, _report: &mut crate::Report) -> Result<()> {
        self.file.flush()
    }
}

enum Trajectory {
    Xyz {
        out: TextWriter,
        velocities: bool,
    },
    #[cfg(feature = "hdf5")]
    H5md(mdsim_io::h5md::H5mdWriter),
}

impl Trajectory {
    /// Creates the trajectory file in `dir`.
    fn create(dir: &Path, format: TrajectoryFormat, s: &System, velocities: bool) -> Result<Self> {
        match format {
            TrajectoryFormat::Xyz => Ok(Self::Xyz {
                out: TextWriter::create(dir.join("trajectory.xyz"))?,
                velocities,
            }),
            #[cfg(feature = "hdf5")]
            TrajectoryFormat::H5md => {
                let names: Vec<&str> = s.species.iter().map(|x| x.name.as_str()).collect();
                let path = dir.join("trajectory.h5");
                Ok(Self::H5md(mdsim_io::h5md::H5mdWriter::create(
                    &path, &names, &s.types, &s.masses, velocities,
                )?))
            }
            // Refused when the input is loaded; kept as an error, never a panic.
            #[cfg(not(feature = "hdf5"))]
            TrajectoryFormat::H5md => {
                let _ = s;
                anyhow::bail!("H5md trajectories need mdsim built with the `hdf5` feature")
            }
        }
    }

    /// Appends the current frame.
    fn write(&mut self, s: &System, step: u64, dt: f64) -> Result<()> {
        match self {
            Self::Xyz { out, velocities } => out.raw(&xyz_frame(s, step, dt, *velocities)),
            #[cfg(feature = "hdf5")]
            Self::H5md(w) => {
                let lattice = [0, 1, 2].map(|k| s.cell.vector(k));
                let v = w.has_velocities().then_some(&s.velocities[..]);
                Ok(w.write_frame(step, step as f64 * dt, lattice, &s.positions, v)?)
            }
        }
    }

    fn flush(&mut self) -> Result<()> {
        match self {
            Self::Xyz { out, .. } => out.flush(),
            #[cfg(feature = "hdf5")]
            Self::H5md(w) => Ok(w.flush()?),
        }
    }
}

/// One extended-XYZ frame of the system.
pub fn xyz_frame(s: &System, step: u64, dt: f64, velocities: bool) -> String {
    let lattice = [0, 1, 2].map(|k| s.cell.vector(k));
    let names: Vec<&str> = s
        .types
        .iter()
        .map(|&t| s.species[t].name.as_str())
        .collect();
    let v = velocities.then_some(&s.velocities[..]);
    xyz::format_frame(lattice, &names, &s.positions, v, step, step as f64 * dt)
}
