//! The observers of a run, one file each. [`standard`] lists the ones every `mdsim run`
//! attaches, in the order they see each state (health checks first, so nothing records a
//! broken state). Checkpoints keep the observers' states in this order.

pub mod averages;
pub mod conductivity;
pub mod conductivity_feed;
mod conductivity_plot;
pub mod final_structure;
pub mod health;
pub mod msd;
pub mod note;
pub mod progress;
pub mod rdf;
pub mod running;
pub mod sampling;
pub mod thermo;
pub mod trajectory;
#[cfg(feature = "hdf5")]
pub mod trajectory_h5md;
pub mod vacf;

use crate::observer::Observer;
use crate::output::RunDir;
use anyhow::Result;
use conductivity_feed::ConductivityFeed;
use mdsim_core::System;
use mdsim_io::Setup;
use running::RunningConductivity;

/// The transport observers the input asks for, writing their curves into `dir`: the
/// conductivity (when it applies; it publishes running estimates in `running`) or else the
/// lab-frame MSD, both only with a production; VACF and g(r) when configured.
pub fn transport(
    setup: &Setup,
    dir: &RunDir,
    running: &RunningConductivity,
) -> Result<Vec<Box<dyn Observer>>> {
    transport_with_feed(setup, dir, running, &ConductivityFeed::default())
}

/// [`transport`], the conductivity publishing its series and curves in `feed` too.
pub fn transport_with_feed(
    setup: &Setup,
    dir: &RunDir,
    running: &RunningConductivity,
    feed: &ConductivityFeed,
) -> Result<Vec<Box<dyn Observer>>> {
    let sampling = sampling::Sampling::new(setup);
    let mut list: Vec<Box<dyn Observer>> = Vec::new();
    if let Some(why) = conductivity::too_short(setup) {
        list.push(Box::new(note::Note::warn(why)));
    }
    if let Some(o) = conductivity::Conductivity::new(setup, dir, running.clone(), feed.clone())? {
        list.push(Box::new(o));
    } else if let Some(o) = msd::Msd::new(setup, sampling, dir.join("msd.csv"))? {
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

/// Checks the settings only the transport observers can judge (sample counts, blocks, lags),
/// building them without files.
pub fn validate(setup: &Setup) -> Result<()> {
    let sampling = sampling::Sampling::new(setup);
    if conductivity::Conductivity::accumulator(setup)?.is_none() {
        msd::Msd::new(setup, sampling, Default::default())?;
    }
    vacf::Vacf::new(setup, sampling, Default::default())?;
    rdf::Rdf::new(setup, Default::default())?;
    Ok(())
}

/// Every observer of `mdsim run`, for the starting `system`, writing into `dir`. The
/// transport observers come before the thermo log and the progress lines, which show the
/// running conductivity estimate of the same step, and before the trajectory, whose H5MD
/// file stores the conductivity series of the same step.
pub fn standard(setup: &Setup, system: &System, dir: &RunDir) -> Result<Vec<Box<dyn Observer>>> {
    let out = &setup.input.output;
    let running = RunningConductivity::default();
    let feed = ConductivityFeed::default();
    let conductivity_on = conductivity::Conductivity::accumulator(setup)?.is_some();
    let mut list: Vec<Box<dyn Observer>> = vec![Box::new(health::Health::new(setup, system))];
    list.extend(transport_with_feed(setup, dir, &running, &feed)?);
    list.push(Box::new(thermo::ThermoLog::create(
        dir,
        out.thermo_every,
        conductivity_on.then(|| running.clone()),
    )?));
    list.push(Box::new(averages::Averages::new(out.thermo_every)));
    #[cfg(feature = "hdf5")]
    if let Some(why) = trajectory_h5md::unreadable_by_mdanalysis(setup, conductivity_on) {
        list.push(Box::new(note::Note::warn(why)));
    }
    if out.trajectory_every > 0 {
        list.push(Box::new(trajectory::TrajectoryWriter::create(
            dir,
            setup,
            system,
            conductivity_on.then_some(feed),
        )?));
    }
    list.push(Box::new(final_structure::FinalStructure::new(
        dir.join("final.xyz"),
        setup.total_steps(),
    )));
    list.push(Box::new(progress::Progress::new(
        setup.stage_steps.clone(),
        running,
    )));
    Ok(list)
}
