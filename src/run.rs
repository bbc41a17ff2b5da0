//! `mdsim run`: stages of MD with thermo output, trajectory, checkpoints and the transport
//! observers, ending in `results.json`.

use crate::output::{prepare_output_dir, utc_now, write_atomic, TextWriter};
use crate::trajectory::{xyz_frame, Trajectory};
use anyhow::{bail, Context, Result};
use mdsim_core::minimize::{fire, FireSettings};
use mdsim_core::units::EV_PER_A3_TO_BAR;
use mdsim_core::{velocities, Engine, NoseHooverChain, System};
use mdsim_io::input::{EnsembleInput, Input, MinimizeInput};
use mdsim_io::Setup;
use mdsim_transport::{
    Estimate, FitWindowSpec, MsdAccumulator, Rdf, VacfAccumulator, WindowChoice, WindowConfig,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct RunOptions {
    pub output: Option<PathBuf>,
    pub threads: usize,
}

/// Checks the settings that only the run's observers can judge (sample counts, blocks, lags).
pub fn validate(setup: &Setup) -> Result<()> {
    Observers::new(setup, &setup.system).map(|_| ())
}

/// Runs the simulation described by `setup`; returns the output folder.
pub fn run(setup: Setup, opts: &RunOptions) -> Result<PathBuf> {
    let started = utc_now();
    // Observers first: a bad transport setting must fail before anything is written.
    let mut observers = Observers::new(&setup, &setup.system)?;
    let dir = prepare_output_dir(opts.output.as_deref(), &setup.path)?;
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
    .context("cannot write structure.xyz")?;
    let input = &setup.input;
    let n = setup.system.n_atoms();
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        input.neighbor.skin,
    );
    let dt = input.timestep_ps;
    let total_steps = setup.total_steps();

    eprintln!(
        "mdsim {} — {}",
        env!("CARGO_PKG_VERSION"),
        setup.path.display()
    );
    if !input.title.is_empty() {
        eprintln!("  {}", input.title);
    }
    eprintln!(
        "  {n} atoms, cell volume {:.3} Å³, cutoff {} Å + skin {} Å, Δt = {dt} ps, {total_steps} steps, {} thread(s)",
        engine.system.cell.volume(),
        engine.force_field.cutoff(),
        input.neighbor.skin,
        opts.threads
    );
    let tail = engine
        .force_field
        .pair
        .tail_correction(&engine.system.species_counts(), engine.system.cell.volume())
        .filter(|t| t.energy != 0.0);
    if let Some(tail) = tail {
        eprintln!(
            "  tail corrections (not applied to the dynamics): U = {:.6} eV/atom, P = {:.3} bar",
            tail.energy / n as f64,
            tail.pressure * EV_PER_A3_TO_BAR
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
    let minimization = match &input.minimize {
        Some(m) => Some(minimize(&mut engine, m, dt, &dir)?),
        None => None,
    };
    if let Some(t) = input.initial_temperature {
        velocities::maxwell_boltzmann(&mut engine.system, t, input.seed);
    }

    let mut thermo = TextWriter::create(dir.join("thermo.csv"))?;
    thermo.line(
        "step,time_ps,temperature_K,potential_eV,kinetic_eV,total_eV,conserved_eV,pressure_bar",
    )?;
    let out = &input.output;
    let mut trajectory = match out.trajectory_every {
        0 => None,
        _ => Some(Trajectory::create(
            &dir,
            out.trajectory_format,
            &engine.system,
            out.trajectory_velocities,
        )?),
    };
    let mut progress = Progress::new(total_steps);
    let mut step: u64 = 0;
    let mut bath_energy = 0.0; // thermostat energy of finished stages, keeps "conserved" continuous
    let mut prod_steps_done: u64 = 0;
    let clock = Instant::now();
    let mut failure: Option<String> = None;

    let conserved = |e: &mut Engine, nh: Option<&NoseHooverChain>, bath: f64| {
        e.system.kinetic_energy() + e.energies().potential() + bath + nh.map_or(0.0, |t| t.energy())
    };
    // The starting state is the first good checkpoint.
    write_checkpoint(&dir, &engine.system, step, dt)?;
    let e0 = conserved(&mut engine, None, 0.0);
    write_thermo(&mut thermo, &mut engine, step, dt, e0)?;
    if let Some(t) = trajectory.as_mut() {
        t.write(&engine.system, step, dt)?;
    }

    'stages: for (k, stage) in input.stages.iter().enumerate() {
        let steps = setup.stage_steps[k];
        let mut thermostat = match stage.ensemble {
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
        };
        let name = if stage.name.is_empty() {
            format!("stage {}", k + 1)
        } else {
            stage.name.clone()
        };
        progress.stage(&name, steps);
        if stage.production && prod_steps_done == 0 {
            observers.sample(&engine.system, 0)?;
        }
        for _ in 0..steps {
            let thermo_step = (step + 1).is_multiple_of(out.thermo_every);
            engine.step(dt, thermostat.as_mut(), thermo_step);
            step += 1;
            if !engine.system.kinetic_energy().is_finite() {
                failure = Some(format!("the energy became non-finite at step {step} (t = {:.4} ps): the system blew up; check the time step and the structure", step as f64 * dt));
                break 'stages;
            }
            if stage.production {
                prod_steps_done += 1;
                observers.sample(&engine.system, prod_steps_done)?;
            }
            if thermo_step {
                if let Some(v) = engine.hard_minimum_violation(&setup.hard_minimum) {
                    let name = |i: usize| &engine.system.species[engine.system.types[i]].name;
                    failure = Some(format!(
                        "atoms {} ({}) and {} ({}) came {:.4} Å close at step {step} (t = {:.4} ps), inside their hard minimum of {} Å (safety): the structure collapsed; check the potential, the time step and the temperature",
                        v.i,
                        name(v.i),
                        v.j,
                        name(v.j),
                        v.distance,
                        step as f64 * dt,
                        v.minimum
                    ));
                    break 'stages;
                }
                let e_cons = conserved(&mut engine, thermostat.as_ref(), bath_energy);
                if !e_cons.is_finite() {
                    failure = Some(format!("the energy became non-finite at step {step} (t = {:.4} ps): the system blew up; check the time step and the structure", step as f64 * dt));
                    break 'stages;
                }
                write_thermo(&mut thermo, &mut engine, step, dt, e_cons)?;
                if stage.production {
                    observers.thermo(&mut engine);
                }
            }
            if let Some(t) = trajectory.as_mut() {
                if step.is_multiple_of(out.trajectory_every) {
                    t.write(&engine.system, step, dt)?;
                }
            }
            if out.checkpoint_every > 0 && step.is_multiple_of(out.checkpoint_every) {
                write_checkpoint(&dir, &engine.system, step, dt)?;
            }
            progress.tick(step, &mut engine);
        }
        if let Some(nh) = &thermostat {
            bath_energy += nh.energy();
        }
    }
    let wall = clock.elapsed().as_secs_f64();
    progress.finish();
    thermo.flush()?;
    if let Some(w) = trajectory.as_mut() {
        w.flush()?;
    }
    if failure.is_none() {
        write_checkpoint(&dir, &engine.system, step, dt)?;
    }

    let steps_per_second = if wall > 0.0 {
        step as f64 / wall
    } else {
        f64::NAN
    };
    let transport = observers.finish(&dir, &engine.system)?;
    let results = Results {
        mdsim_version: env!("CARGO_PKG_VERSION"),
        status: match &failure {
            None => "completed".into(),
            Some(f) => format!("failed: {f}"),
        },
        title: input.title.clone(),
        input_file: setup.path.display().to_string(),
        input_sha256: sha256_hex(setup.text.as_bytes()),
        potential_sha256: file_sha256(setup.force_field_path.as_deref())?,
        structure_sha256: file_sha256(setup.structure_path.as_deref())?,
        seed: input.seed,
        threads: opts.threads,
        n_atoms: n,
        steps: step,
        timestep_ps: dt,
        production_steps: prod_steps_done,
        temperature_K: observers.temperature.estimate(),
        potential_energy_eV: observers.potential_per_atom.estimate(),
        pressure_bar: observers.pressure.estimate(),
        tail_correction: tail.map(|tail| TailOut {
            energy_eV_per_atom: tail.energy / n as f64,
            pressure_bar: tail.pressure * EV_PER_A3_TO_BAR,
        }),
        minimization,
        ewald: engine.force_field.ewald.map(|p| EwaldOut {
            alpha_per_A: p.alpha,
            real_cutoff_A: p.real_cutoff,
            kmax: p.kmax,
            k_cutoff_per_A: p.k_cutoff,
            n_kvectors: engine.n_kvectors(),
            accuracy_requested: p.accuracy,
            accuracy_estimated: p.estimated_accuracy,
        }),
        neighbor_list_builds: engine.neighbor_list().builds(),
        steps_per_second,
        wall_time_s: wall,
        started,
        finished: utc_now(),
        warnings: setup.warnings.clone(),
        transport,
    };
    write_atomic(
        &dir.join("results.json"),
        serde_json::to_string_pretty(&results)?.as_bytes(),
    )?;
    print_summary(&results, input);
    if let Some(f) = failure {
        bail!(
            "{f}. The outputs up to that point are in {} (the last good checkpoint is kept).",
            dir.display()
        );
    }
    Ok(dir)
}

fn write_thermo(
    w: &mut TextWriter,
    e: &mut Engine,
    step: u64,
    dt: f64,
    conserved: f64,
) -> Result<()> {
    let ke = e.system.kinetic_energy();
    let pe = e.energies().potential();
    w.line(&format!(
        "{step},{:.6},{:.6},{:.10e},{:.10e},{:.10e},{:.10e},{:.6}",
        step as f64 * dt,
        e.system.temperature(),
        pe,
        ke,
        pe + ke,
        conserved,
        e.pressure() * EV_PER_A3_TO_BAR
    ))
}

/// The state needed to continue a run: written atomically, so the last good one survives.
#[derive(Serialize)]
struct Checkpoint<'a> {
    step: u64,
    time_ps: f64,
    cell: [[f64; 3]; 3],
    positions: &'a [[f64; 3]],
    velocities: &'a [[f64; 3]],
    images: &'a [[i64; 3]],
}

fn write_checkpoint(dir: &Path, s: &System, step: u64, dt: f64) -> Result<()> {
    let cp = Checkpoint {
        step,
        time_ps: step as f64 * dt,
        cell: [0, 1, 2].map(|k| s.cell.vector(k)),
        positions: &s.positions,
        velocities: &s.velocities,
        images: &s.images,
    };
    // Rust prints f64 with the shortest text that reads back to the same bits.
    let text = ron::to_string(&cp).context("cannot serialise the checkpoint")?;
    write_atomic(&dir.join("checkpoint.ron"), text.as_bytes())
}

fn file_sha256(path: Option<&Path>) -> Result<Option<String>> {
    path.map(|p| {
        let bytes = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
        Ok(sha256_hex(&bytes))
    })
    .transpose()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A scalar series sampled during production, reported as mean ± block standard error.
#[derive(Default)]
struct Series(Vec<f64>);

impl Series {
    /// Mean with the standard error from 10 contiguous blocks (Flyvbjerg–Petersen style:
    /// blocks much longer than the correlation time are independent).
    fn estimate(&self) -> Option<Estimate> {
        let n = self.0.len();
        if n == 0 {
            return None;
        }
        let n_blocks = 10.min(n);
        let per = n / n_blocks;
        let means: Vec<f64> = (0..n_blocks)
            .map(|b| self.0[b * per..(b + 1) * per].iter().sum::<f64>() / per as f64)
            .collect();
        let mean = self.0.iter().sum::<f64>() / n as f64;
        Estimate::from_independent(&means).map(|e| Estimate::new(mean, e.stderr))
    }
}

/// Everything that watches the production stages.
struct Observers {
    sample_every: u64,
    msd: Option<MsdAccumulator>,
    vacf: Option<VacfAccumulator>,
    /// g(r) accumulator, its frame interval (steps) and range (Å).
    rdf: Option<(Rdf, u64, f64)>,
    fit: FitWindowSpec,
    temperature: Series,
    potential_per_atom: Series,
    pressure: Series,
    unwrapped: Vec<[f64; 3]>,
    reference: Option<mdsim_io::input::ReferenceInput>,
}

impl Observers {
    fn new(setup: &Setup, system: &System) -> Result<Self> {
        let input: &Input = &setup.input;
        let tr = &input.transport;
        let production_steps: u64 = input
            .stages
            .iter()
            .zip(&setup.stage_steps)
            .filter(|(s, _)| s.production)
            .map(|(_, &n)| n)
            .sum();
        let n_samples = (production_steps / tr.sample_every) as usize + 1;
        let dt_sample = input.timestep_ps * tr.sample_every as f64;
        let to_samples = |ps: f64| ((ps / dt_sample).round() as usize).max(1);
        let groups = &system.types;
        let n_groups = system.species.len();
        let block = n_samples / tr.msd.blocks;
        let (msd, vacf) = if production_steps == 0 {
            (None, None)
        } else {
            let max_lag = tr.msd.max_lag_ps.map_or((block / 5).max(1), to_samples);
            let origin_every = tr.msd.origin_every_ps.map_or(1, to_samples);
            let cfg =
                WindowConfig::new(n_samples, origin_every, max_lag).with_blocks(tr.msd.blocks);
            let msd = MsdAccumulator::new(groups, n_groups, dt_sample, cfg)
                .map_err(|e| anyhow::anyhow!("{}: transport.msd: {e}", setup.path.display()))?;
            let vacf = match &tr.vacf {
                Some(v) => {
                    let cfg = WindowConfig::new(
                        n_samples,
                        v.origin_every_ps.map_or(1, to_samples),
                        to_samples(v.max_lag_ps),
                    )
                    .with_blocks(tr.msd.blocks);
                    Some(
                        VacfAccumulator::new(groups, n_groups, dt_sample, cfg).map_err(|e| {
                            anyhow::anyhow!("{}: transport.vacf: {e}", setup.path.display())
                        })?,
                    )
                }
                None => None,
            };
            (Some(msd), vacf)
        };
        let rdf = match &tr.rdf {
            Some(r) => Some((
                Rdf::new(n_groups, r.r_max, r.bins).map_err(|e| anyhow::anyhow!("{e}"))?,
                r.every,
                r.r_max,
            )),
            None => None,
        };
        // Both or neither were checked when the input was loaded.
        let fit = match (tr.msd.fit_start_ps, tr.msd.fit_end_ps) {
            (Some(start_ps), Some(end_ps)) => FitWindowSpec::Manual { start_ps, end_ps },
            _ => FitWindowSpec::Auto,
        };
        Ok(Self {
            sample_every: tr.sample_every,
            msd,
            vacf,
            rdf,
            fit,
            temperature: Series::default(),
            potential_per_atom: Series::default(),
            pressure: Series::default(),
            unwrapped: Vec::new(),
            reference: input.reference.clone(),
        })
    }

    /// Called at every production step (`k` counts production steps, 0 = its start).
    fn sample(&mut self, s: &System, k: u64) -> Result<()> {
        if k.is_multiple_of(self.sample_every) {
            if let Some(msd) = self.msd.as_mut() {
                s.unwrapped_positions(&mut self.unwrapped);
                msd.push(&self.unwrapped)?;
            }
            if let Some(vacf) = self.vacf.as_mut() {
                vacf.push(&s.velocities)?;
            }
        }
        if let Some((rdf, every, r_max)) = self.rdf.as_mut() {
            if k.is_multiple_of(*every) {
                add_rdf_frame(rdf, *r_max, s)?;
            }
        }
        Ok(())
    }

    fn thermo(&mut self, e: &mut Engine) {
        self.temperature.0.push(e.system.temperature());
        self.potential_per_atom
            .0
            .push(e.energies().potential() / e.system.n_atoms() as f64);
        self.pressure.0.push(e.pressure() * EV_PER_A3_TO_BAR);
    }

    /// Writes the curves and returns the transport summary for results.json.
    fn finish(&self, dir: &Path, s: &System) -> Result<TransportOut> {
        let names: Vec<&str> = s.species.iter().map(|x| x.name.as_str()).collect();
        let mut out = TransportOut::default();
        if let Some(msd) = &self.msd {
            std::fs::write(dir.join("msd.csv"), msd.curve().to_csv(&names))?;
            match msd.diffusion(self.fit) {
                Ok(ds) => {
                    for d in ds {
                        let name = names[d.group].to_string();
                        if d.window.choice == WindowChoice::AutoNotDiffusive {
                            out.notes.push(format!(
                                "MSD of {name} never became linear (log-log slope ≈ 1) within the longest lag; D is fitted on the second half of the lags and may be biased: raise transport.msd.max_lag_ps or run longer"
                            ));
                        }
                        let reference =
                            self.reference
                                .as_ref()
                                .filter(|r| r.species == name)
                                .map(|r| {
                                    let combined = (d.d_cm2_s.stderr.powi(2)
                                        + (r.relative_uncertainty * r.diffusion_cm2_s).powi(2))
                                    .sqrt();
                                    ReferenceOut {
                                        source: r.source.clone(),
                                        diffusion_cm2_s: r.diffusion_cm2_s,
                                        ratio: d.d_cm2_s.value / r.diffusion_cm2_s,
                                        deviation_sigma: (d.d_cm2_s.value - r.diffusion_cm2_s)
                                            / combined,
                                    }
                                });
                        out.species.push(SpeciesTransport {
                            species: name,
                            diffusion_cm2_s: d.d_cm2_s,
                            fit_window_ps: [d.window.start_ps, d.window.end_ps],
                            n_blocks: d.n_blocks,
                            reference,
                        });
                    }
                }
                Err(e) => out.notes.push(format!("no diffusion estimate: {e}")),
            }
        }
        if let Some(vacf) = &self.vacf {
            std::fs::write(dir.join("vacf.csv"), vacf.curve().to_csv(&names))?;
            match vacf.summary() {
                Ok(summaries) => {
                    for v in summaries {
                        out.vacf.push(VacfOut {
                            species: names[v.group].to_string(),
                            diffusion_green_kubo_cm2_s: v.d_green_kubo_cm2_s,
                            first_zero_ps: v.first_zero_ps,
                        });
                    }
                }
                Err(e) => out.notes.push(format!("no VACF summary: {e}")),
            }
        }
        if let Some((rdf, _, _)) = &self.rdf {
            let r = rdf.result();
            std::fs::write(dir.join("rdf.csv"), r.to_csv(&names))?;
            for p in &r.pairs {
                out.rdf_first_peak.push(RdfPeakOut {
                    pair: [names[p.a].to_string(), names[p.b].to_string()],
                    r_A: r.first_peak(p.a, p.b).map(|pk| pk.r_a),
                });
            }
        }
        Ok(out)
    }
}

fn add_rdf_frame(rdf: &mut Rdf, r_max: f64, s: &System) -> Result<()> {
    let mut nl = mdsim_core::neighbor::NeighborList::new(r_max, 0.0);
    nl.build(&s.cell, &s.positions);
    let mut pairs = Vec::with_capacity(nl.n_pairs());
    nl.for_each_pair(&s.positions, |i, j, d| {
        pairs.push((
            s.types[i],
            s.types[j],
            (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt(),
        ));
    });
    rdf.add_frame(s.cell.volume(), &s.species_counts(), pairs)?;
    Ok(())
}

#[allow(non_snake_case)]
#[derive(Serialize)]
struct Results {
    mdsim_version: &'static str,
    status: String,
    title: String,
    input_file: String,
    input_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    potential_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    structure_sha256: Option<String>,
    seed: u64,
    threads: usize,
    n_atoms: usize,
    steps: u64,
    timestep_ps: f64,
    production_steps: u64,
    temperature_K: Option<Estimate>,
    /// Mean per atom.
    potential_energy_eV: Option<Estimate>,
    pressure_bar: Option<Estimate>,
    tail_correction: Option<TailOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minimization: Option<MinimizationOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ewald: Option<EwaldOut>,
    neighbor_list_builds: u64,
    steps_per_second: f64,
    wall_time_s: f64,
    started: String,
    finished: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    transport: TransportOut,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
struct EwaldOut {
    alpha_per_A: f64,
    real_cutoff_A: f64,
    kmax: [i32; 3],
    k_cutoff_per_A: f64,
    n_kvectors: usize,
    accuracy_requested: f64,
    accuracy_estimated: f64,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
struct MinimizationOut {
    converged: bool,
    steps: usize,
    energy_start_eV: f64,
    energy_end_eV: f64,
    max_force_eV_per_A: f64,
}

/// FIRE on the positions; writes the relaxed structure as minimized.xyz.
fn minimize(
    engine: &mut Engine,
    m: &MinimizeInput,
    dt: f64,
    dir: &Path,
) -> Result<MinimizationOut> {
    let settings = FireSettings {
        force_tolerance: m.force_tolerance,
        max_steps: m.max_steps,
        dt_start: dt,
        dt_max: 10.0 * dt,
        max_displacement: 0.1,
    };
    let clock = Instant::now();
    let mut next_report = 10.0;
    let r = fire(engine, &settings, |step, fmax| {
        let t = clock.elapsed().as_secs_f64();
        if t >= next_report {
            eprintln!(
                "  minimisation step {step}: largest force {fmax:.3e} eV/Å ({:.1} steps/s)",
                step as f64 / t
            );
            next_report = t + 10.0;
        }
    });
    let n = engine.system.n_atoms() as f64;
    eprintln!(
        "minimisation (FIRE): {} after {} steps, E = {:.8} → {:.8} eV/atom, largest force {:.2e} eV/Å",
        if r.converged { "converged" } else { "NOT converged" },
        r.steps,
        r.energy_start / n,
        r.energy_end / n,
        r.max_force
    );
    let path = dir.join("minimized.xyz");
    std::fs::write(&path, xyz_frame(&engine.system, 0, dt, false))
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(MinimizationOut {
        converged: r.converged,
        steps: r.steps,
        energy_start_eV: r.energy_start,
        energy_end_eV: r.energy_end,
        max_force_eV_per_A: r.max_force,
    })
}

#[allow(non_snake_case)]
#[derive(Serialize)]
struct TailOut {
    energy_eV_per_atom: f64,
    pressure_bar: f64,
}

#[derive(Serialize, Default)]
struct TransportOut {
    species: Vec<SpeciesTransport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vacf: Vec<VacfOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rdf_first_peak: Vec<RdfPeakOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Serialize)]
struct SpeciesTransport {
    species: String,
    diffusion_cm2_s: Estimate,
    fit_window_ps: [f64; 2],
    n_blocks: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<ReferenceOut>,
}

#[derive(Serialize)]
struct ReferenceOut {
    source: String,
    diffusion_cm2_s: f64,
    ratio: f64,
    /// (ours − reference) / √(our stderr² + reference uncertainty²).
    deviation_sigma: f64,
}

#[derive(Serialize)]
struct VacfOut {
    species: String,
    diffusion_green_kubo_cm2_s: Estimate,
    first_zero_ps: Option<f64>,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
struct RdfPeakOut {
    pair: [String; 2],
    r_A: Option<f64>,
}

fn print_summary(r: &Results, input: &Input) {
    let pm = |e: &Option<Estimate>, digits: usize| match e {
        Some(e) => format!("{:.*} ± {:.*}", digits, e.value, digits, e.stderr),
        None => "—".into(),
    };
    eprintln!(
        "\n{} — {} steps in {:.2} s ({:.0} steps/s)",
        r.status, r.steps, r.wall_time_s, r.steps_per_second
    );
    if r.production_steps > 0 {
        eprintln!("production means (± standard error from 10 blocks):");
        eprintln!("  T  = {} K", pm(&r.temperature_K, 3));
        eprintln!("  U  = {} eV/atom", pm(&r.potential_energy_eV, 6));
        eprintln!("  P  = {} bar", pm(&r.pressure_bar, 2));
    }
    for s in &r.transport.species {
        eprintln!(
            "  D({}) = ({:.4} ± {:.4})e-5 cm²/s  [fit {:.2}–{:.2} ps, {} blocks]",
            s.species,
            s.diffusion_cm2_s.value * 1e5,
            s.diffusion_cm2_s.stderr * 1e5,
            s.fit_window_ps[0],
            s.fit_window_ps[1],
            s.n_blocks
        );
        if let Some(rf) = &s.reference {
            eprintln!(
                "    vs {}: {:.3e} cm²/s → ratio {:.3}, {:+.2} σ (combined uncertainty)",
                rf.source, rf.diffusion_cm2_s, rf.ratio, rf.deviation_sigma
            );
        }
    }
    for v in &r.transport.vacf {
        eprintln!(
            "  VACF({}): Green–Kubo D = ({:.4} ± {:.4})e-5 cm²/s, first zero at {}",
            v.species,
            v.diffusion_green_kubo_cm2_s.value * 1e5,
            v.diffusion_green_kubo_cm2_s.stderr * 1e5,
            v.first_zero_ps.map_or("—".into(), |t| format!("{t:.3} ps"))
        );
    }
    for p in &r.transport.rdf_first_peak {
        eprintln!(
            "  g(r) {}–{} first peak at {}",
            p.pair[0],
            p.pair[1],
            p.r_A.map_or("—".into(), |x| format!("{x:.3} Å"))
        );
    }
    for n in &r.transport.notes {
        eprintln!("  note: {n}");
    }
    let _ = input;
}

/// Progress on a terminal (a bar with ETA) or as plain periodic lines in a log.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    next_line: u64,
    clock: Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} steps, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Self {
            bar,
            total,
            next_line: 0,
            clock: Instant::now(),
        }
    }

    fn stage(&mut self, name: &str, steps: u64) {
        match &self.bar {
            Some(b) => b.set_message(name.to_string()),
            None => eprintln!("{name}: {steps} steps"),
        }
    }

    fn tick(&mut self, step: u64, e: &mut Engine) {
        match &self.bar {
            Some(b) => {
                if step.is_multiple_of(50) {
                    b.set_position(step);
                }
            }
            None => {
                if step >= self.next_line {
                    let secs = self.clock.elapsed().as_secs_f64();
                    let rate = step as f64 / secs.max(1e-9);
                    eprintln!(
                        "  step {step}/{} ({:.0} %)  T = {:.2} K  PE = {:.6e} eV  {:.0} steps/s  ETA {:.0} s",
                        self.total,
                        100.0 * step as f64 / self.total as f64,
                        e.system.temperature(),
                        e.energies().potential(),
                        rate,
                        (self.total - step) as f64 / rate
                    );
                    self.next_line = step + self.total.div_ceil(10).max(1);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
