//! Continuing a run from its checkpoint, in its own folder (`mdsim resume DIR`,
//! `mdsim run INPUT --restart DIR`).
//!
//! The engine, the stage loop and every observer get back the state they saved; files that
//! grow during the run (thermo.csv, the trajectory, series) are cut back to their length at
//! the checkpoint and continued, so that the folder ends byte for byte as that of a run that
//! never stopped (the timing fields of results.json aside).

use crate::checkpoint::{self, Checkpoints};
use crate::observer::Observer;
use crate::observers;
use crate::output::{utc_now, RunDir};
use crate::simulation::{execute, print_header, validate, Prepared, RunOutcome};
use anyhow::{anyhow, bail, Result};
use mdsim_core::Engine;
use mdsim_io::Setup;
use std::path::Path;

/// Continues the run of `setup` in `dir` from its last checkpoint, on `threads` threads (any
/// count: the result does not depend on it). `setup` must be the run's input: the input
/// given when it started, or the copy in its folder ([`mdsim_io::load_run_folder`]). A
/// checkpoint that does not fit it is refused before anything in the folder changes.
pub fn resume(setup: Setup, dir: &Path, threads: usize) -> Result<RunOutcome> {
    validate(&setup)?;
    if !dir.is_dir() {
        bail!("{}: no such run folder", dir.display());
    }
    let started = utc_now();
    let (cp, file) = checkpoint::load(dir, &setup)?;
    let refuse = |why: String| {
        anyhow!(
            "{}: cannot continue from this checkpoint: {why}",
            file.display()
        )
    };
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    engine.watch_hard_minimum(&setup.hard_minimum);
    engine.restore(cp.body.engine).map_err(refuse)?;
    print_header(&setup, &engine, dir, threads);
    let at = cp.body.position;
    eprintln!(
        "  continuing from {} after step {} of {}",
        file.display(),
        at.step,
        setup.total_steps()
    );
    let mut observers = observers::standard(
        &setup,
        &engine.system,
        &RunDir::continued(dir.to_path_buf()),
    )?;
    restore_observers(&mut observers, cp.body.observers, at.step)
        .map_err(|e| refuse(format!("{e:#}")))?;
    let checkpoints = Checkpoints::new(&setup, dir, cp.body.run)?;
    execute(
        Prepared {
            setup,
            dir: dir.to_path_buf(),
            engine,
            observers,
            checkpoints,
            started,
            from: Some(at),
        },
        threads,
    )
}

/// Hands every observer its saved state (the list is built from the same input, so the
/// order matches).
fn restore_observers(
    observers: &mut [Box<dyn Observer>],
    saved: Vec<Option<crate::Saved>>,
    step: u64,
) -> Result<()> {
    if saved.len() != observers.len() {
        bail!(
            "it holds the state of {} observers, this run has {}",
            saved.len(),
            observers.len()
        );
    }
    for (o, s) in observers.iter_mut().zip(saved) {
        o.restore(s, step)?;
    }
    Ok(())
}
