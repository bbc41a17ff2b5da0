//! The run: stages of MD watched by observers, ending in `results.json`.
//!
//! The stage loop only steps the engine; everything that watches the run — thermo log,
//! trajectory, checkpoints, health checks, progress, transport — is an [`Observer`] in
//! `observers/`, called with the same read-only [`State`] after every step.

use crate::minimize::minimize;
use crate::observer::{Observer, StageInfo, State};
use crate::observers::{self, trajectory::xyz_frame};
use crate::output::{prepare_output_dir, utc_now, write_atomic};
use crate::provenance::{file_sha256, sha256_hex};
use crate::report::{EwaldOut, Report, TailOut};
use anyhow::{bail, Context, Result};
use mdsim_core::units::EV_PER_A3_TO_BAR;
use mdsim_core::{velocities, Engine, NoseHooverChain};
use mdsim_io::input::EnsembleInput;
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
    observers::transport(setup, Path::new("")).map(|_| ())
}

/// Runs the simulation described by `setup` into a new output folder. A run that fails
/// (blow-up, collapse) still writes its outputs and results.json with `status: "failed: …"`,
/// then returns the error.
pub fn run(setup: Setup, opts: &RunOptions) -> Result<RunOutcome> {
    // A bad transport setting must fail before anything is written.
    validate(&setup)?;
    let dir = prepare_output_dir(opts.output.as_deref(), &setup.path)?;
    copy_inputs(&setup, &dir)?;
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    print_header(&setup, &engine, &dir, opts.threads);
    let mut report = Report {
        started: utc_now(),
        ..Report::default()
    };
    if let Some(m) = &setup.input.minimize {
        report.minimization = Some(minimize(&mut engine, m, setup.input.timestep_ps, &dir)?);
    }
    if let Some(t) = setup.input.initial_temperature {
        velocities::maxwell_boltzmann(&mut engine.system, t, setup.input.seed);
    }
    let mut observers = observers::standard(&setup, &engine.system, &dir)?;
    let clock = Instant::now();
    let stages = stage_infos(&setup);
    let failure = run_stages(&setup, &stages, &mut engine, &mut observers).err();
    let wall = clock.elapsed().as_secs_f64();
    let steps = failure.as_ref().map_or(setup.total_steps(), |f| f.step);

    fill_provenance(&mut report, &setup, &engine, opts.threads)?;
    report.status = match &failure {
        None => "completed".into(),
        Some(f) => format!("failed: {}", f.message),
    };
    report.steps = steps;
    report.production_steps = steps
        .saturating_sub(setup.production_start())
        .min(setup.production_steps());
    report.neighbor_list_builds = engine.neighbor_list().builds();
    report.steps_per_second = if wall > 0.0 {
        steps as f64 / wall
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
}

/// The stage loop: steps the engine and shows every state to the observers.
fn run_stages(
    setup: &Setup,
    stages: &[StageInfo],
    engine: &mut Engine,
    observers: &mut [Box<dyn Observer>],
) -> Result<(), Stopped> {
    let dt = setup.input.timestep_ps;
    let mut step: u64 = 0;
    let mut bath_energy = 0.0;
    let start = State {
        step,
        dt,
        stage: None,
        production_step: production_step(setup, step),
        system: &engine.system,
        neighbors: engine.neighbor_list(),
        energies: engine.current_energies(),
        chain_energy: 0.0,
        bath_energy,
    };
    show(observers, &start)?;
    for (info, &n_steps) in stages.iter().zip(&setup.stage_steps) {
        let mut thermostat = thermostat(&setup.input.stages[info.index].ensemble, engine);
        for _ in 0..n_steps {
            let with_energy = observers.iter().any(|o| o.needs_energy(step + 1));
            engine.step(dt, thermostat.as_mut(), with_energy);
            step += 1;
            let state = State {
                step,
                dt,
                stage: Some(info),
                production_step: production_step(setup, step),
                system: &engine.system,
                neighbors: engine.neighbor_list(),
                energies: engine.current_energies(),
                chain_energy: thermostat.as_ref().map_or(0.0, NoseHooverChain::energy),
                bath_energy,
            };
            show(observers, &state)?;
        }
        if let Some(nh) = &thermostat {
            bath_energy += nh.energy();
        }
    }
    Ok(())
}

/// Every observer sees the state, in order; the first error stops the run.
fn show(observers: &mut [Box<dyn Observer>], state: &State) -> Result<(), Stopped> {
    observers
        .iter_mut()
        .try_for_each(|o| o.observe(state))
        .map_err(|e| Stopped {
            step: state.step,
            message: format!("{e:#}"),
        })
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
        std::fs::copy(p, dir.join("potential.ron")).context("cannot copy the potential file")?;
    }
    // The starting structure as extended XYZ: the file it was read from, or what was built.
    match &setup.structure_path {
        Some(p) => std::fs::copy(p, dir.join("structure.xyz")).map(|_| ()),
        None => std::fs::write(
            dir.join("structure.xyz"),
            xyz_frame(&setup.system, 0, 0.0, false),
        ),
    }
    .context("cannot write structure.xyz")
}

fn print_header(setup: &Setup, engine: &Engine, dir: &Path, threads: usize) {
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
        input.timestep_ps,
        setup.total_steps(),
    );
    if let Some(tail) = tail_correction(engine) {
        eprintln!(
            "  tail corrections (not applied to the dynamics): U = {:.6} eV/atom, P = {:.3} bar",
            tail.energy_eV_per_atom, tail.pressure_bar
        );
    }
    if let Some(p) = &engine.force_field.ewald {
        eprintln!(
            "  Ewald: α = {:.6} 1/Å, real cutoff {:.4} Å, kmax {:?}, {} k-vectors, requested relative force accuracy {:.1e} (estimated {:.2e})",
            p.alpha,
            p.real_cutoff,
            p.kmax,
            engine.n_kvectors(),
            p.accuracy,
            p.estimated_accuracy
        );
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
    r.timestep_ps = input.timestep_ps;
    r.tail_correction = tail_correction(engine);
    r.ewald = engine.force_field.ewald.map(|p| EwaldOut {
        alpha_per_A: p.alpha,
        real_cutoff_A: p.real_cutoff,
        kmax: p.kmax,
        k_cutoff_per_A: p.k_cutoff,
        n_kvectors: engine.n_kvectors(),
        accuracy_requested: p.accuracy,
        accuracy_estimated: p.estimated_accuracy,
    });
    r.warnings = setup.warnings.clone();
    Ok(())
}
