//! Trajectory output: extended XYZ (trajectory.xyz) or H5MD (trajectory.h5, `hdf5` builds),
//! a frame every `trajectory_every` steps and for the starting state.

use crate::observer::{Observer, Saved, State};
use crate::output::{RunDir, TextWriter};
use anyhow::{bail, Result};
use mdsim_core::System;
use mdsim_io::input::TrajectoryFormat;
use mdsim_io::xyz;
use serde::{Deserialize, Serialize};

/// The trajectory observer: the file and the frame interval.
pub struct TrajectoryWriter {
    file: Trajectory,
    every: u64,
}

impl TrajectoryWriter {
    pub fn create(
        dir: &RunDir,
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

    fn save(&mut self) -> Result<Option<Saved>> {
        Saved::new(&self.file.checkpoint()?).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        self.file.cut_back(Saved::unpack(saved)?)
    }
}

/// How far the trajectory reaches at a checkpoint (the observer's checkpoint state).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Extent {
    /// Bytes of trajectory.xyz.
    Xyz(u64),
    /// Frames of trajectory.h5.
    H5md(u64),
}

enum Trajectory {
    Xyz {
        out: TextWriter,
        velocities: bool,
    },
    #[cfg(feature = "hdf5")]
    H5md {
        w: mdsim_io::h5md::H5mdWriter,
        /// Frames to cut back to before the next write (a continued run).
        cut: Option<usize>,
    },
}

impl Trajectory {
    /// Creates the trajectory file in `dir`, or opens it to continue the run.
    fn create(
        dir: &RunDir,
        format: TrajectoryFormat,
        s: &System,
        velocities: bool,
    ) -> Result<Self> {
        match format {
            TrajectoryFormat::Xyz => Ok(Self::Xyz {
                out: dir.growing_file("trajectory.xyz", "")?,
                velocities,
            }),
            #[cfg(feature = "hdf5")]
            TrajectoryFormat::H5md => {
                use mdsim_io::h5md::H5mdWriter;
                let path = dir.join("trajectory.h5");
                let w = if dir.is_continued() {
                    H5mdWriter::open(&path)?
                } else {
                    let names: Vec<&str> = s.species.iter().map(|x| x.name.as_str()).collect();
                    H5mdWriter::create(&path, &names, &s.types, &s.masses, velocities)?
                };
                Ok(Self::H5md { w, cut: None })
            }
            // Refused when the input is loaded; kept as an error, never a panic.
            #[cfg(not(feature = "hdf5"))]
            TrajectoryFormat::H5md => {
                let _ = (s, dir);
                anyhow::bail!("H5md trajectories need mdsim built with the `hdf5` feature")
            }
        }
    }

    /// Appends the current frame.
    fn write(&mut self, s: &System, step: u64, dt: f64) -> Result<()> {
        match self {
            Self::Xyz { out, velocities } => out.raw(&xyz_frame(s, step, dt, *velocities)),
            #[cfg(feature = "hdf5")]
            Self::H5md { w, cut } => {
                if let Some(k) = cut.take() {
                    w.truncate(k)?;
                }
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
            Self::H5md { w, cut } => {
                if let Some(k) = cut.take() {
                    w.truncate(k)?;
                }
                Ok(w.flush()?)
            }
        }
    }

    /// Flushes the file to disk and says how far it reaches.
    fn checkpoint(&mut self) -> Result<Extent> {
        match self {
            Self::Xyz { out, .. } => Ok(Extent::Xyz(out.checkpoint()?)),
            #[cfg(feature = "hdf5")]
            Self::H5md { w, cut } => {
                if let Some(k) = cut.take() {
                    w.truncate(k)?;
                }
                w.flush()?;
                Ok(Extent::H5md(w.frames() as u64))
            }
        }
    }

    /// Continues after `extent` (see [`Trajectory::checkpoint`]).
    fn cut_back(&mut self, extent: Extent) -> Result<()> {
        match (self, extent) {
            (Self::Xyz { out, .. }, Extent::Xyz(len)) => out.cut_back(len),
            #[cfg(feature = "hdf5")]
            (Self::H5md { w, cut }, Extent::H5md(frames)) => {
                if frames as usize > w.frames() {
                    bail!(
                        "trajectory.h5: {} frames, fewer than the {frames} it had at the checkpoint: the file was changed or damaged after the checkpoint, so the run cannot continue",
                        w.frames()
                    );
                }
                *cut = Some(frames as usize);
                Ok(())
            }
            #[allow(unreachable_patterns)]
            _ => bail!("the checkpoint's trajectory is of another format"),
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
