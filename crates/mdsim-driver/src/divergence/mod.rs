//! `mdsim divergence`: chaos, measured (DESIGN.md §9.3).
//!
//! The input's stages run for a reference trajectory. From the start of a chosen stage (by
//! default the first production stage) twins branch off it, one every `stagger` ps: a copy of
//! the reference's full state (engine, neighbour list, thermostat chain) with one atom moved
//! by a tiny distance in a random direction (a different atom and direction per twin, from a
//! seeded ChaCha20 stream). Reference and twins then step in lockstep, each twin for `follow`
//! ps, and after every step each twin is measured against the reference ([`measure`]). Beside
//! each twin a renormalised shadow keeps the same perturbation infinitesimal and measures the
//! largest Lyapunov exponent ([`tangent`]); the free twin's curve gives a cross-check of it
//! ([`lyapunov`]), the time after which the twins' velocities are uncorrelated, and with it a
//! suggestion for block length and replica count ([`analysis`]).
//!
//! Twins branch at different times so that each samples its own stretch of the reference
//! trajectory: twins branched at the same instant all follow the same local stretching and
//! their spread would understate the error of λ. A twin that fails (blows up) is reported with
//! its step and reason, never dropped silently.
//!
//! Every member (reference and twins) carries its own observer list (health checks first). With
//! `transport`, each also runs the input's transport observers over the whole production in
//! its own folder, so the twins' transport estimates can be compared with their error bars
//! ([`analysis::TransportComparison`]): every observer in [`observers::transport`] — MSD
//! today, the conductivity observer when it joins that list — takes part without a change here.
//!
//! Determinism: each member is an [`Engine`], which gives the same bits for any thread count;
//! the members are stepped one after the other in a fixed order.

pub mod analysis;
pub mod compare;
mod files;
pub mod lyapunov;
pub mod measure;
mod plot;
pub mod tangent;

use crate::minimize::minimize;
use crate::observer::{Observer, StageInfo, State};
use crate::observers::{self, health::Health};
use crate::output::{prepare_output_dir, utc_now};
use crate::report::Report;
use crate::simulation::{copy_inputs, production_step, stage_infos, thermostat};
use anyhow::{bail, Result};
use mdsim_core::{velocities, Engine, NoseHooverChain};
use mdsim_io::Setup;
use measure::Separation;
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};

/// How to run the twins.
#[derive(Clone, Debug)]
pub struct DivergenceOptions {
    /// A new or empty folder; `None` = `runs/<input name>-divergence[-N]`.
    pub output: Option<PathBuf>,
    pub threads: usize,
    /// Displacement of one atom per twin, Å.
    pub perturbation: f64,
    /// Number of twins.
    pub twins: usize,
    /// Time between the branch points of successive twins, ps (0: all at once).
    pub stagger_ps: f64,
    /// How long each twin is followed, ps; `None`: 20 ps, or the whole production with
    /// `transport`.
    pub follow_ps: Option<f64>,
    /// Name (or 1-based number) of the stage at whose start the first twin branches;
    /// `None`: the first production stage (the first stage if none is marked).
    pub branch_stage: Option<String>,
    /// Seed of the perturbations (atoms, directions); `None`: the input's seed.
    pub seed: Option<u64>,
    /// Every member also runs the input's transport observers over the production.
    pub transport: bool,
}

impl Default for DivergenceOptions {
    fn default() -> Self {
        Self {
            output: None,
            threads: 1,
            perturbation: 1e-10,
            twins: 8,
            stagger_ps: 2.0,
            follow_ps: None,
            branch_stage: None,
            seed: None,
            transport: false,
        }
    }
}

/// Default time a twin is followed without `transport`, ps.
pub const DEFAULT_FOLLOW_PS: f64 = 20.0;

/// What a finished divergence run leaves: its folder and its results.
pub struct DivergenceOutcome {
    pub dir: PathBuf,
    pub results: analysis::DivergenceResults,
}

/// A perturbation: which atom moved, in which direction, by how much.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Perturbation {
    pub atom: usize,
    pub direction: [f64; 3],
}

/// One trajectory of the family: its engine, thermostat and observers.
struct Member {
    name: String,
    engine: Engine,
    thermostat: Option<NoseHooverChain>,
    /// Energy taken out by the chains of finished stages (eV).
    bath_energy: f64,
    observers: Vec<Box<dyn Observer>>,
    report: Report,
    dir: Option<PathBuf>,
}

impl Member {
    fn state<'a>(&'a self, step: u64, setup: &Setup, stage: Option<&'a StageInfo>) -> State<'a> {
        State {
            step,
            dt: setup.timestep_ps,
            stage,
            production_step: production_step(setup, step),
            system: &self.engine.system,
            neighbors: self.engine.neighbor_list(),
            close_pairs: self.engine.close_pairs(),
            energies: self.engine.current_energies(),
            chain_energy: self
                .thermostat
                .as_ref()
                .map_or(0.0, NoseHooverChain::energy),
            bath_energy: self.bath_energy,
        }
    }

    /// Shows the current state to the observers; the first error is the member's failure.
    fn show(&mut self, step: u64, setup: &Setup, stage: Option<&StageInfo>) -> Result<(), String> {
        let mut observers = std::mem::take(&mut self.observers);
        let state = self.state(step, setup, stage);
        let r = observers
            .iter_mut()
            .try_for_each(|o| o.observe(&state))
            .map_err(|e| format!("{e:#}"));
        self.observers = observers;
        r
    }

    /// Starts a stage: the finished chain's energy goes to the bath, a new chain begins.
    fn enter_stage(&mut self, setup: &Setup, stage: usize) {
        if let Some(nh) = &self.thermostat {
            self.bath_energy += nh.energy();
        }
        self.thermostat = thermostat(&setup.input.stages[stage].ensemble, &self.engine);
    }

    fn needs_energy(&self, step: u64) -> bool {
        self.observers.iter().any(|o| o.needs_energy(step))
    }

    fn finish(&mut self) -> Result<()> {
        for o in &mut self.observers {
            o.finish(&mut self.report)?;
        }
        Ok(())
    }
}

/// A twin being followed, and what was measured of it.
struct Twin {
    member: Member,
    branch_step: u64,
    perturbation: Perturbation,
    /// Steps after branching of each sample, and the samples.
    sample_steps: Vec<u64>,
    samples: Vec<Separation>,
    failure: Option<(u64, String)>,
    /// The renormalised copy that measures λ ([`tangent`]).
    shadow: tangent::Shadow,
}

/// When things happen, in steps from the start of the run.
struct Schedule {
    /// Branch step of each twin.
    branch: Vec<u64>,
    follow: u64,
    /// Last step of the run.
    end: u64,
    /// Steps between samples of the separation.
    sample_every: u64,
    branch_stage: usize,
}

/// Runs the reference and its twins and writes the results into a new output folder.
pub fn divergence(setup: Setup, opts: &DivergenceOptions) -> Result<DivergenceOutcome> {
    if opts.transport {
        crate::simulation::validate(&setup)?;
    }
    let schedule = schedule(&setup, opts)?;
    let dir = prepare_output_dir(
        opts.output.as_deref(),
        &setup.path.with_file_name(format!(
            "{}-divergence",
            setup
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("run")
        )),
    )?;
    copy_inputs(&setup, &dir)?;
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    engine.watch_hard_minimum(&setup.hard_minimum);
    let started = utc_now();
    if let Some(m) = &setup.input.minimize {
        minimize(&mut engine, m, setup.timestep_ps, &dir)?;
    }
    if let Some(t) = setup.input.initial_temperature {
        velocities::maxwell_boltzmann(&mut engine.system, t, setup.input.seed);
    }
    let perturbations = choose_perturbations(
        opts.seed.unwrap_or(setup.input.seed),
        opts.twins,
        engine.system.n_atoms(),
    );
    print_plan(&setup, opts, &schedule, &dir);
    let reference = new_member("reference", engine, &setup, opts, &dir)?;
    let clock = std::time::Instant::now();
    let run = lockstep(&setup, opts, &schedule, reference, &perturbations, &dir);
    let wall = clock.elapsed().as_secs_f64();
    let (mut reference, mut twins, floor, stop) = run?;
    reference.finish()?;
    for t in &mut twins {
        t.member.finish()?;
    }
    let results = analysis::analyse(analysis::Inputs {
        setup: &setup,
        opts,
        branch_stage: &setup.input.stages[schedule.branch_stage],
        branch_step: schedule.branch[0],
        follow_steps: schedule.follow,
        reference: &reference,
        twins: &twins,
        floor,
        stop: stop.as_deref(),
        started,
        wall_time_s: wall,
    });
    files::write_all(&dir, &setup, &results, &twins)?;
    analysis::print_summary(&results, &dir);
    if let Some(why) = stop {
        bail!(
            "{why}. What was measured up to there is in {}.",
            dir.display()
        );
    }
    Ok(DivergenceOutcome { dir, results })
}

/// Checks the plan against the input's stages and turns it into steps.
fn schedule(setup: &Setup, opts: &DivergenceOptions) -> Result<Schedule> {
    let dt = setup.timestep_ps;
    let name = setup.path.display();
    if opts.twins == 0 {
        bail!("--twins must be at least 1");
    }
    if !(opts.perturbation > 0.0 && opts.perturbation.is_finite()) {
        bail!("--perturbation must be a positive length in Å");
    }
    if !(opts.stagger_ps >= 0.0 && opts.stagger_ps.is_finite()) {
        bail!("--stagger must be zero or a positive time in ps");
    }
    let stages = &setup.input.stages;
    let branch_stage = match &opts.branch_stage {
        Some(s) => stages
            .iter()
            .position(|st| &st.name == s)
            .or_else(|| {
                s.parse::<usize>()
                    .ok()
                    .filter(|&k| (1..=stages.len()).contains(&k))
                    .map(|k| k - 1)
            })
            .ok_or_else(|| {
                anyhow::anyhow!(
                "{name}: no stage named `{s}` (stages: {}); give a name or a number from 1 to {}",
                stages.iter().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", "),
                stages.len()
            )
            })?,
        None => stages.iter().position(|s| s.production).unwrap_or(0),
    };
    let start: u64 = setup.stage_steps[..branch_stage].iter().sum();
    let available = setup.total_steps() - start;
    let stagger = (opts.stagger_ps / dt).round() as u64;
    let follow_ps = match (opts.follow_ps, opts.transport) {
        (Some(f), _) => f,
        (None, true) => setup.production_steps() as f64 * dt,
        (None, false) => DEFAULT_FOLLOW_PS,
    };
    let follow = (follow_ps / dt).round() as u64;
    if follow < 2 {
        bail!("--follow must be at least two time steps");
    }
    if opts.transport {
        let production_end = setup.production_start() + setup.production_steps();
        if setup.production_steps() == 0
            || start != setup.production_start()
            || stagger != 0
            || start + follow != production_end
        {
            bail!(
                "--transport compares the twins' transport estimates over the whole production: the twins must branch together (--stagger 0) at the start of the first production stage and be followed to its end (leave out --follow and --branch-stage)"
            );
        }
    }
    let needed = (opts.twins as u64 - 1) * stagger + follow;
    if needed > available {
        bail!(
            "{name}: the stages from `{}` on last {:.3} ps, but {} twins branched every {} ps and followed {} ps need {:.3} ps: lower --twins, --stagger or --follow, or lengthen the stages",
            stages[branch_stage].name,
            available as f64 * dt,
            opts.twins,
            opts.stagger_ps,
            follow_ps,
            needed as f64 * dt
        );
    }
    let branch: Vec<u64> = (0..opts.twins as u64)
        .map(|k| start + k * stagger)
        .collect();
    Ok(Schedule {
        end: branch[branch.len() - 1] + follow,
        branch,
        follow,
        // At most ~5,000 samples per twin keep the CSV small; every step for short runs.
        sample_every: follow.div_ceil(5000).max(1),
        branch_stage,
    })
}

/// A distinct atom and a uniformly random direction per twin, from a ChaCha20 stream of its
/// own (stream 1 of `seed`, apart from the velocities' stream 0).
fn choose_perturbations(seed: u64, twins: usize, n_atoms: usize) -> Vec<Perturbation> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(1);
    let mut atoms: Vec<usize> = Vec::with_capacity(twins);
    (0..twins)
        .map(|k| {
            // Distinct atoms while there are enough of them.
            let atom = loop {
                let a = rng.random_range(0..n_atoms);
                if !atoms.contains(&a) || k >= n_atoms {
                    break a;
                }
            };
            atoms.push(atom);
            // A uniform direction on the sphere: cos θ uniform in [−1, 1], φ in [0, 2π).
            let z: f64 = 2.0 * rng.random::<f64>() - 1.0;
            let phi = 2.0 * std::f64::consts::PI * rng.random::<f64>();
            let r = (1.0 - z * z).sqrt();
            Perturbation {
                atom,
                direction: [r * phi.cos(), r * phi.sin(), z],
            }
        })
        .collect()
}

/// A member with its health checks (and transport observers when asked), writing into
/// `dir/members/<name>` when it has files to write.
fn new_member(
    name: &str,
    engine: Engine,
    setup: &Setup,
    opts: &DivergenceOptions,
    dir: &Path,
) -> Result<Member> {
    let mut list: Vec<Box<dyn Observer>> = vec![Box::new(Health::new(setup, &engine.system))];
    let mut member_dir = None;
    if opts.transport {
        let d = dir.join("members").join(name);
        std::fs::create_dir_all(&d)?;
        list.extend(observers::transport(
            setup,
            &crate::output::RunDir::new(d.clone()),
            &Default::default(),
        )?);
        member_dir = Some(d);
    }
    Ok(Member {
        name: name.into(),
        engine,
        thermostat: None,
        bath_energy: 0.0,
        observers: list,
        report: Report::default(),
        dir: member_dir,
    })
}

type Family = (Member, Vec<Twin>, f64, Option<String>);

/// The stage loop for the whole family: the reference alone up to the first branch point,
/// then reference and twins in lockstep. Returns the members, the round-off floor at the
/// first branch point, and why the run stopped early (the reference failed), if it did.
fn lockstep(
    setup: &Setup,
    opts: &DivergenceOptions,
    schedule: &Schedule,
    mut reference: Member,
    perturbations: &[Perturbation],
    dir: &Path,
) -> Result<Family> {
    let dt = setup.timestep_ps;
    let stages = stage_infos(setup);
    let stage_start: Vec<u64> = setup
        .stage_steps
        .iter()
        .scan(0, |acc, &n| {
            let s = *acc;
            *acc += n;
            Some(s)
        })
        .collect();
    let mut twins: Vec<Twin> = Vec::new();
    let mut floor = 0.0;
    if let Err(e) = reference.show(0, setup, None) {
        bail!("{e}");
    }
    let mut stage = 0;
    let mut progress = Progress::new(schedule.end);
    for step in 0..schedule.end {
        // Stage changes first, so that a twin branching here starts with the new chain.
        while stage < stages.len() && stage_start[stage] == step {
            reference.enter_stage(setup, stage);
            for t in twins.iter_mut().filter(|t| t.failure.is_none()) {
                t.member.enter_stage(setup, stage);
                let ensemble = &setup.input.stages[stage].ensemble;
                t.shadow.thermostat = thermostat(ensemble, &t.shadow.engine);
            }
            stage += 1;
        }
        let info = stages.get(stage.saturating_sub(1));
        for (k, p) in perturbations.iter().enumerate() {
            if schedule.branch[k] == step {
                if k == 0 {
                    floor = measure::round_off_floor(&reference.engine.system);
                }
                twins.push(branch(&reference, k, *p, step, setup, opts, dir, info)?);
            }
        }
        let with_energy = reference.needs_energy(step + 1)
            || twins.iter().any(|t| t.member.needs_energy(step + 1));
        reference
            .engine
            .step(dt, reference.thermostat.as_mut(), with_energy);
        if let Err(e) = reference.show(step + 1, setup, info) {
            return Ok((
                reference,
                twins,
                floor,
                Some(format!("the reference trajectory failed: {e}")),
            ));
        }
        for t in twins.iter_mut() {
            advance(t, &reference, step + 1, with_energy, schedule, setup, info);
        }
        progress.tick(step + 1, dt, &twins);
    }
    Ok((reference, twins, floor, None))
}

/// A copy of the reference's full state with the twin's perturbation, forces recomputed.
#[allow(clippy::too_many_arguments)]
fn branch(
    reference: &Member,
    k: usize,
    p: Perturbation,
    step: u64,
    setup: &Setup,
    opts: &DivergenceOptions,
    dir: &Path,
    stage: Option<&StageInfo>,
) -> Result<Twin> {
    let mut engine = reference.engine.clone();
    let x = &mut engine.system.positions[p.atom];
    for (x, n) in x.iter_mut().zip(p.direction) {
        *x += opts.perturbation * n;
    }
    engine.compute_forces(false);
    let shadow_engine = engine.clone();
    let mut member = new_member(&format!("twin-{}", k + 1), engine, setup, opts, dir)?;
    member.thermostat = reference.thermostat.clone();
    member.bath_energy = reference.bath_energy;
    let first = measure::separation(&reference.engine.system, &member.engine.system);
    let realised = first.distance / opts.perturbation;
    if !(0.5..=2.0).contains(&realised) {
        bail!(
            "the perturbation of {:e} Å on atom {} became {:e} Å after rounding: it is below the floating-point spacing of the coordinates; use a larger --perturbation",
            opts.perturbation,
            p.atom,
            first.distance
        );
    }
    let shadow = tangent::Shadow::new(
        shadow_engine,
        reference.thermostat.clone(),
        first.distance,
        setup.timestep_ps,
    );
    let mut twin = Twin {
        shadow,
        member,
        branch_step: step,
        perturbation: p,
        sample_steps: vec![0],
        samples: vec![first],
        failure: None,
    };
    if let Err(e) = twin.member.show(step, setup, stage) {
        twin.failure = Some((step, e));
    }
    Ok(twin)
}

/// One lockstep step of a twin (if it is still followed) and its measurement.
fn advance(
    t: &mut Twin,
    reference: &Member,
    step: u64,
    with_energy: bool,
    schedule: &Schedule,
    setup: &Setup,
    stage: Option<&StageInfo>,
) {
    let since = step - t.branch_step;
    if t.failure.is_some() || since > schedule.follow {
        return;
    }
    let m = &mut t.member;
    m.engine
        .step(setup.timestep_ps, m.thermostat.as_mut(), with_energy);
    if let Err(e) = m.show(step, setup, stage) {
        t.failure = Some((step, e));
        return;
    }
    t.shadow.step(
        &reference.engine,
        reference.thermostat.as_ref(),
        since,
        setup.timestep_ps,
    );
    if since.is_multiple_of(schedule.sample_every) {
        t.sample_steps.push(since);
        t.samples.push(measure::separation(
            &reference.engine.system,
            &m.engine.system,
        ));
    }
}

fn print_plan(setup: &Setup, opts: &DivergenceOptions, s: &Schedule, dir: &Path) {
    let dt = setup.timestep_ps;
    eprintln!(
        "mdsim {} divergence — {}",
        env!("CARGO_PKG_VERSION"),
        setup.path.display()
    );
    eprintln!(
        "  {} atoms; {} twin(s), each with one atom moved by {:e} Å, branching from the start of stage `{}` (t = {:.3} ps) every {} ps, each followed {:.3} ps; {} thread(s)",
        setup.system.n_atoms(),
        opts.twins,
        opts.perturbation,
        setup.input.stages[s.branch_stage].name,
        s.branch[0] as f64 * dt,
        opts.stagger_ps,
        s.follow as f64 * dt,
        opts.threads
    );
    eprintln!("  output: {}", dir.display());
}

/// A progress line every 10 % of the run.
struct Progress {
    end: u64,
    next: u64,
}

impl Progress {
    fn new(end: u64) -> Self {
        Self {
            end,
            next: end / 10,
        }
    }

    fn tick(&mut self, step: u64, dt: f64, twins: &[Twin]) {
        if step < self.next || self.end < 10 {
            return;
        }
        self.next += self.end / 10;
        let failed = twins.iter().filter(|t| t.failure.is_some()).count();
        eprintln!(
            "  t = {:.2} ps ({:.0} %): {} twin(s) branched{}",
            step as f64 * dt,
            100.0 * step as f64 / self.end as f64,
            twins.len(),
            if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            }
        );
    }
}
