//! Trajectory output: extended XYZ (trajectory.xyz) or H5MD (trajectory.h5md, `hdf5` builds,
//! see [`super::trajectory_h5md`]), a frame every `trajectory_every` steps and for the
//! starting state.

use super::conductivity_feed::{ConductivityFeed, SeriesSample};
use crate::observer::{Observer, Saved, State};
use crate::output::{RunDir, TextWriter};
use anyhow::{bail, Result};
use mdsim_core::System;
use mdsim_io::input::TrajectoryFormat;
use mdsim_io::{xyz, Setup};
use serde::{Deserialize, Serialize};

/// The trajectory observer: the file and the frame interval.
pub struct TrajectoryWriter {
    file: Trajectory,
    every: u64,
}

impl TrajectoryWriter {
    /// The trajectory file of the input's `output` settings for the starting `system`. With
    /// `conductivity` (the conductivity observer's output), an H5MD file stores the
    /// conductivity series and curves too.
    pub fn create(
        dir: &RunDir,
        setup: &Setup,
        system: &System,
        conductivity: Option<ConductivityFeed>,
    ) -> Result<Self> {
        let out = &setup.input.output;
        let file = match out.trajectory_format {
            TrajectoryFormat::Xyz => {
                let _ = conductivity;
                Trajectory::Xyz {
                    out: dir.growing_file("trajectory.xyz", "")?,
                    velocities: out.trajectory_velocities,
                }
            }
            #[cfg(feature = "hdf5")]
            TrajectoryFormat::H5md => {
                let h5md = super::trajectory_h5md::H5mdTrajectory::create(
                    dir,
                    system,
                    out.trajectory_velocities,
                    setup.timestep_ps,
                    setup.total_steps(),
                    conductivity,
                )?;
                Trajectory::H5md(Box::new(h5md))
            }
            // Refused when the input is loaded; kept as an error, never a panic.
            #[cfg(not(feature = "hdf5"))]
            TrajectoryFormat::H5md => {
                let _ = (system, conductivity);
                bail!("H5md trajectories need mdsim built with the `hdf5` feature")
            }
        };
        Ok(Self {
            file,
            every: out.trajectory_every,
        })
    }
}

impl Observer for TrajectoryWriter {
    fn observe(&mut self, s: &State) -> Result<()> {
        let frame_due = s.step.is_multiple_of(self.every);
        match &mut self.file {
            Trajectory::Xyz { out, velocities } => {
                if frame_due {
                    out.raw(&xyz_frame(s.system, s.step, s.dt, *velocities))?;
                }
                Ok(())
            }
            #[cfg(feature = "hdf5")]
            Trajectory::H5md(h) => h.observe(s, frame_due),
        }
    }

    fn finish(&mut self, _report: &mut crate::Report) -> Result<()> {
        match &mut self.file {
            Trajectory::Xyz { out, .. } => out.flush(),
            #[cfg(feature = "hdf5")]
            Trajectory::H5md(h) => h.finish(),
        }
    }

    fn save(&mut self) -> Result<Option<Saved>> {
        let extent = match &mut self.file {
            Trajectory::Xyz { out, .. } => Extent::Xyz(out.checkpoint()?),
            #[cfg(feature = "hdf5")]
            Trajectory::H5md(h) => Extent::H5md(h.checkpoint()?),
        };
        Saved::new(&extent).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        match (&mut self.file, Saved::unpack(saved)?) {
            (Trajectory::Xyz { out, .. }, Extent::Xyz(len)) => out.cut_back(len),
            #[cfg(feature = "hdf5")]
            (Trajectory::H5md(h), Extent::H5md(e)) => h.continue_after(e),
            #[allow(unreachable_patterns)]
            _ => bail!("the checkpoint's trajectory is of another format"),
        }
    }
}

/// How far the trajectory reaches at a checkpoint (the observer's checkpoint state).
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Extent {
    /// Bytes of trajectory.xyz.
    Xyz(u64),
    H5md(H5mdExtent),
}

/// How far trajectory.h5md reaches at a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct H5mdExtent {
    pub frames: u64,
    /// Samples of the observables (ΔP and J) in the file: whole blocks.
    pub observable_samples: u64,
    /// The samples after them, not yet written (less than a block).
    pub pending: Vec<SeriesSample>,
}

enum Trajectory {
    Xyz {
        out: TextWriter,
        velocities: bool,
    },
    #[cfg(feature = "hdf5")]
    H5md(Box<super::trajectory_h5md::H5mdTrajectory>),
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
