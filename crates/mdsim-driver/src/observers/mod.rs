//! The observers of a run, one file each. [`standard`] lists the ones every `mdsim run`
//! attaches, in the order they see each state (health checks first, so nothing records a
//! broken state). Checkpoints keep the observers' states in this order.

pub mod averages;
pub mod final_structure;
pub mod health;
pub mod msd;
pub mod progress;
pub mod rdf;
pub mod sampling;
pub mod thermo;
pub mod trajectory;
pub mod vacf;

use crate::observer::Observer;
use crate::output::RunDir;
use anyhow::Result;
use mdsim_core::System;
use mdsim_io::Setup;

/// The transport observers the input asks for (MSD always when there is production; VACF
/// and g(r) when configured), writing their curves into `dir`.
pub fn transport(setup: &Setup, dir: &RunDir) -> Result<Vec<Box<dyn Observer>>> {
    let sampling = sampling::Sampling::new(setup);
    let mut list: Vec<Box<dyn Observer>> = Vec::new();
    if let Some(o) = msd::Msd::new(setup, sampling, dir.join("msd.csv"))? {
        list.push(Box::new(o));
    }
    if let Some(o) = vacf::Vacf::new(setup, sampling, dir.join("vacf.csv"))? {
        list.push(Box::new(o));
    }
    if let Some(o) = rdf::Rdf::new(setup, dir.join("rdf.csv"))? {
        list.push(Box::new(o));
    }
    Ok(list)
}

/// Every observer of `mdsim run`, for the starting `system`, writing into `dir`.
pub fn standard(setup: &Setup, system: &System, dir: &RunDir) -> Result<Vec<Box<dyn Observer>>> {
    let out = &setup.input.output;
    let mut list: Vec<Box<dyn Observer>> = vec![
        Box::new(health::Health::new(setup, system)),
        Box::new(thermo::ThermoLog::create(dir, out.thermo_every)?),
        Box::new(averages::Averages::new(out.thermo_every)),
    ];
    if out.trajectory_every > 0 {
        list.push(Box::new(trajectory::TrajectoryWriter::create(
            dir,
            out.trajectory_format,
            system,
            out.trajectory_velocities,
            out.trajectory_every,
        )?));
    }
    list.extend(transport(setup, dir)?);
    list.push(Box::new(final_structure::FinalStructure::new(
        dir.join("final.xyz"),
        setup.total_steps(),
    )));
    list.push(Box::new(progress::Progress::new(setup.stage_steps.clone())));
    Ok(list)
}
