//! The run: stages of MD watched by observers, ending in `results.json`.
//!
//! The stage loop only steps the engine; everything that watches the run — thermo log,
//! trajectory, checkpoints, health checks, progress, transport — is an [`Observer`] in
//! `observers/`, called with the same read-only [`State`] after every step.

use crate::checkpoint::{Checkpoints, LoopState, RunRecord};
use crate::interrupt::{self, Interrupted, Stop};
use crate::minimize::minimize;
use crate::observer::{Observer, StageInfo, State};
use crate::observers::{self, trajectory::xyz_frame};
use crate::output::{prepare_output_dir, utc_now, write_atomic, RunDir};
use crate::provenance::{file_sha256, sha256_hex};
use crate::report::{coulomb_summary, Report, TailOut};
use anyhow::{bail, Context, Result};
use mdsim_core::units::EV_PER_A3_TO_BAR;
use mdsim_core::{velocities, Engine, NoseHooverChain};
use mdsim_io::input::EnsembleInput;
use mdsim_io::setup::{POTENTIAL_COPY, STRUCTURE_COPY};
use mdsim_io::Setup;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to run: where the outputs go and on how many threads (the count changes the speed,
/// never the result).
pub struct RunOptions {
    /// A new or empty folder; `None` = `runs/<input name>[-N]`.
    pub output: Option<PathBuf>,
    pub threads: usize,
}

/// What a finished run leaves: its folder and its report.
pub struct RunOutcome {
    pub dir: PathBuf,
    pub report: Report,
}

/// Checks the settings that only the run's observers can judge (sample counts, blocks,
/// lags), without writing anything.
pub fn validate(setup: &Setup) -> Result<()> {
    observers::validate(setup)
}

/// Runs the simulation described by `setup` into a new output folder. A run that fails
/// (blow-up, collapse) still writes its outputs and results.json with `status: "failed: …"`,
/// then returns the error; a run stopped by a signal ([`crate::interrupt`]) writes a
/// checkpoint first and returns [`crate::interrupt::Interrupted`].
pub fn run(setup: Setup, opts: &RunOptions) -> Result<RunOutcome> {
    // A bad transport setting must fail before anything is written.
    validate(&setup)?;
    let started = utc_now();
    let dir = prepare_output_dir(opts.output.as_deref(), &setup.path)?;
    copy_inputs(&setup, &dir)?;
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    print_header(&setup, &engine, &dir, opts.threads);
    let mut record = RunRecord {
        input_file: setup.path.display().to_string(),
        warnings: setup.warnings.clone(),
        minimization: None,
    };
    if let Some(m) = &setup.input.minimize {
        record.minimization = Some(minimize(&mut engine, m, setup.timestep_ps, &dir)?);
    }
    if let Some(t) = setup.input.initial_temperature {
        velocities::maxwell_boltzmann(&mut engine.system, t, setup.input.seed);
    }
    engine.watch_hard_minimum(&setup.hard_minimum);
    let observers = observers::standard(&setup, &engine.system, &RunDir::new(dir.clone()))?;
    let checkpoints = Checkpoints::new(&setup, &dir, record)?;
    execute(
        Prepared {
            setup,
            dir,
            engine,
            observers,
            checkpoints,
            started,
            from: None,
        },
        opts.threads,
    )
}

/// A run ready to step: new, or continued from a checkpoint (`from`).
pub(crate) struct Prepared {
    pub setup: Setup,
    pub dir: PathBuf,
    pub engine: Engine,
    pub observers: Vec<Box<dyn Observer>>,
    pub checkpoints: Checkpoints,
    pub started: String,
    /// Where a continued run stands; `None` for a new run.
    pub from: Option<LoopState>,
}

/// Runs the stages and writes the results.
pub(crate) fn execute(run: Prepared, threads: usize) -> Result<RunOutcome> {
    let Prepared {
        setup,
        dir,
        mut engine,
        mut observers,
        checkpoints,
        started,
        from,
    } = run;
    let clock = Instant::now();
    let stages = stage_infos(&setup);
    let first_step = from.as_ref().map_or(0, |at| at.step);
    let fresh = from.is_none();
    let mut at = from.unwrap_or_else(LoopState::start);
    let failure = run_stages(
        &setup,
        &stages,
        &mut engine,
        &mut observers,
        &mut at,
        &checkpoints,
        fresh,
    )
    .err();
    let wall = clock.elapsed().as_secs_f64();
    let steps = failure.as_ref().map_or(setup.total_steps(), |f| f.step);

    let mut report = Report {
        started,
        ..Report::default()
    };
    fill_provenance(&mut report, &setup, &engine, threads)?;
    let record = checkpoints.run_record();
    report.input_file = record.input_file.clone();
    report.warnings = record.warnings.clone();
    report.minimization = record.minimization.clone();
    report.status = match &failure {
        None => "completed".into(),
        Some(f) if f.stop.is_some() => format!("interrupted: {}", f.message),
        Some(f) => format!("failed: {}", f.message),
    };
    report.steps = steps;
    report.production_steps = steps
        .saturating_sub(setup.production_start())
        .min(setup.production_steps());
    report.neighbor_list_builds = engine.neighbor_list().builds();
    report.steps_per_second = if wall > 0.0 {
        (steps - first_step) as f64 / wall
    } else {
        f64::NAN
    };
    report.wall_time_s = wall;
    for o in &mut observers {
        o.finish(&mut report)?;
    }
    report.finished = utc_now();
    write_atomic(
        &dir.join("results.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    report.print_summary();
    if let Some(f) = failure {
        if let Some(reason) = f.stop {
            return Err(Interrupted {
                reason,
                step: f.step,
                total_steps: setup.total_steps(),
                dir,
            }
            .into());
        }
        bail!(
            "{}. The outputs up to that point are in {} (the last good checkpoint is kept).",
            f.message,
            dir.display()
        );
    }
    Ok(RunOutcome { dir, report })
}

/// Why and where the stage loop stopped early.
struct Stopped {
    step: u64,
    message: String,
    /// Why the run was stopped, when it was stopped on request.
    stop: Option<Stop>,
}

impl Stopped {
    fn failed(step: u64, e: &anyhow::Error) -> Self {
        Self {
            step,
            message: format!("{e:#}"),
            stop: None,
        }
    }
}

/// A Nosé–Hoover chain only rescales velocities: a stage that starts with every atom at rest
/// (up to round-off: a perfect lattice feels forces of ~1e-16 eV/Å) cannot be heated.
fn check_can_heat(info: &StageInfo, at: &LoopState, engine: &Engine) -> Result<(), Stopped> {
    match &at.thermostat {
        Some(nh) if engine.system.temperature() < 1e-6 * nh.temperature => Err(Stopped {
            step: at.step,
            message: format!(
                "{} starts with every atom at rest: a Nosé–Hoover thermostat only rescales velocities and cannot heat it to {} K; give the stage before it some motion, or set initial_temperature",
                info.name, nh.temperature
            ),
            stop: None,
        }),
        _ => Ok(()),
    }
}

/// The stage loop: steps the engine from `at` and shows every state to the observers; a new
/// run (`fresh`) first shows its starting state.
fn run_stages(
    setup: &Setup,
    stages: &[StageInfo],
    engine: &mut Engine,
    observers: &mut [Box<dyn Observer>],
    at: &mut LoopState,
    checkpoints: &Checkpoints,
    fresh: bool,
) -> Result<(), Stopped> {
    let dt = setup.timestep_ps;
    if fresh {
        let start = State {
            step: at.step,
            dt,
            stage: None,
            production_step: production_step(setup, at.step),
            system: &engine.system,
            neighbors: engine.neighbor_list(),
            close_pairs: engine.close_pairs(),
            energies: engine.current_energies(),
            chain_energy: 0.0,
            bath_energy: at.bath_energy,
        };
        show(observers, &start)?;
        after_state(setup, engine, observers, at, checkpoints)?;
    }
    while let (Some(info), Some(&n_steps)) = (stages.get(at.stage), setup.stage_steps.get(at.stage))
    {
        if at.stage_step == 0 {
            at.thermostat = thermostat(&setup.input.stages[info.index].ensemble, engine);
            check_can_heat(info, at, engine)?;
        }
        while at.stage_step < n_steps {
            let with_energy = observers.iter().any(|o| o.needs_energy(at.step + 1));
            engine.step(dt, at.thermostat.as_mut(), with_energy);
            at.step += 1;
            at.stage_step += 1;
            let state = State {
                step: at.step,
                dt,
                stage: Some(info),
                production_step: production_step(setup, at.step),
                system: &engine.system,
                neighbors: engine.neighbor_list(),
                close_pairs: engine.close_pairs(),
                energies: engine.current_energies(),
                chain_energy: at.thermostat.as_ref().map_or(0.0, NoseHooverChain::energy),
                bath_energy: at.bath_energy,
            };
            show(observers, &state)?;
            after_state(setup, engine, observers, at, checkpoints)?;
        }
        if let Some(nh) = at.thermostat.take() {
            at.bath_energy += nh.energy();
        }
        at.stage += 1;
        at.stage_step = 0;
    }
    Ok(())
}

/// After the observers have seen a state: the checkpoint when one is due or a stop was
/// requested, then the stop.
fn after_state(
    setup: &Setup,
    engine: &Engine,
    observers: &mut [Box<dyn Observer>],
    at: &LoopState,
    checkpoints: &Checkpoints,
) -> Result<(), Stopped> {
    let stop = interrupt::stop_reason(at.step).filter(|_| at.step < setup.total_steps());
    if checkpoints.due(at.step) || stop.is_some() {
        checkpoints
            .save(engine, observers, at)
            .map_err(|e| Stopped::failed(at.step, &e))?;
    }
    match stop {
        None => Ok(()),
        Some(reason) => Err(Stopped {
            step: at.step,
            message: reason.describe(at.step),
            stop: Some(reason),
        }),
    }
}

/// Every observer sees the state, in order; the first error stops the run.
fn show(observers: &mut [Box<dyn Observer>], state: &State) -> Result<(), Stopped> {
    observers
        .iter_mut()
        .try_for_each(|o| o.observe(state))
        .map_err(|e| Stopped::failed(state.step, &e))
}

/// The state's place in the production series (see [`State::production_step`]).
pub(crate) fn production_step(setup: &Setup, step: u64) -> Option<u64> {
    let (start, n) = (setup.production_start(), setup.production_steps());
    (n > 0 && (start..=start + n).contains(&step)).then(|| step - start)
}

pub(crate) fn thermostat(ensemble: &EnsembleInput, engine: &Engine) -> Option<NoseHooverChain> {
    match *ensemble {
        EnsembleInput::Nve => None,
        EnsembleInput::Nvt {
            temperature,
            damping_ps,
            chain,
        } => Some(NoseHooverChain::new(
            temperature,
            damping_ps,
            chain,
            1,
            engine.system.degrees_of_freedom(),
        )),
    }
}

pub(crate) fn stage_infos(setup: &Setup) -> Vec<StageInfo> {
    setup
        .input
        .stages
        .iter()
        .enumerate()
        .map(|(index, s)| StageInfo {
            index,
            name: if s.name.is_empty() {
                format!("stage {}", index + 1)
            } else {
                s.name.clone()
            },
            target_temperature: match s.ensemble {
                EnsembleInput::Nve => None,
                EnsembleInput::Nvt { temperature, .. } => Some(temperature),
            },
            production: s.production,
        })
        .collect()
}

/// The input (and its force field and structure) into the output folder, verbatim.
pub(crate) fn copy_inputs(setup: &Setup, dir: &Path) -> Result<()> {
    std::fs::write(dir.join("input.ron"), &setup.text).context("cannot copy the input")?;
    if let Some(p) = &setup.force_field_path {
        std::fs::copy(p, dir.join(POTENTIAL_COPY)).context("cannot copy the potential file")?;
    }
    // The structure file verbatim (a continued run reads it from here), and the starting
    // structure as extended XYZ: an XYZ file is its own copy, anything else is written as
    // built.
    let source = setup.input.structure.source_file();
    if let (Some(p), Some((_, copy))) = (&setup.structure_path, source) {
        std::fs::copy(p, dir.join(copy))
            .with_context(|| format!("cannot copy {} to {copy}", p.display()))?;
    }
    if source.is_none_or(|(_, copy)| copy != STRUCTURE_COPY) {
        std::fs::write(
            dir.join(STRUCTURE_COPY),
            xyz_frame(&setup.system, 0, 0.0, false),
        )
        .context("cannot write structure.xyz")?;
    }
    Ok(())
}

pub(crate) fn print_header(setup: &Setup, engine: &Engine, dir: &Path, threads: usize) {
    let input = &setup.input;
    eprintln!(
        "mdsim {} — {}",
        env!("CARGO_PKG_VERSION"),
        setup.path.display()
    );
    if !input.title.is_empty() {
        eprintln!("  {}", input.title);
    }
    eprintln!(
        "  {} atoms, cell volume {:.3} Å³, cutoff {} Å + skin {} Å, Δt = {} ps, {} steps, {threads} thread(s)",
        engine.system.n_atoms(),
        engine.system.cell.volume(),
        engine.force_field.cutoff(),
        input.neighbor.skin,
        setup.timestep_ps,
        setup.total_steps(),
    );
    if let Some(tail) = tail_correction(engine) {
        eprintln!(
            "  tail corrections (not applied to the dynamics): U = {:.6} eV/atom, P = {:.3} bar",
            tail.energy_eV_per_atom, tail.pressure_bar
        );
    }
    if let Some(c) = coulomb_summary(engine) {
        eprintln!("  {c}");
    }
    eprintln!("  output: {}", dir.display());
}

/// Homogeneous tail corrections of truncated (unshifted) pair terms, when there are any.
fn tail_correction(engine: &Engine) -> Option<TailOut> {
    let s = &engine.system;
    engine
        .force_field
        .pair
        .tail_correction(&s.species_counts(), s.cell.volume())
        .filter(|t| t.energy != 0.0)
        .map(|t| TailOut {
            energy_eV_per_atom: t.energy / s.n_atoms() as f64,
            pressure_bar: t.pressure * EV_PER_A3_TO_BAR,
        })
}

/// What was run, with what, and the chosen parameters (DESIGN.md §9: provenance).
fn fill_provenance(r: &mut Report, setup: &Setup, engine: &Engine, threads: usize) -> Result<()> {
    let input = &setup.input;
    r.mdsim_version = env!("CARGO_PKG_VERSION");
    r.title = input.title.clone();
    r.input_file = setup.path.display().to_string();
    r.input_sha256 = sha256_hex(setup.text.as_bytes());
    r.potential_sha256 = file_sha256(setup.force_field_path.as_deref())?;
    r.structure_sha256 = file_sha256(setup.structure_path.as_deref())?;
    r.seed = input.seed;
    r.threads = threads;
    r.n_atoms = engine.system.n_atoms();
    r.timestep_ps = setup.timestep_ps;
    r.tail_correction = tail_correction(engine);
    r.coulomb = coulomb_summary(engine);
    r.warnings = setup.warnings.clone();
    Ok(())
}
