//! Health checks at every step: a run that goes wrong stops and says so (DESIGN.md §7).
//! Runs first among the observers, so that no other observer records a broken state.
//!
//! Every step, at no measurable cost: non-finite kinetic energy, a temperature runaway, and
//! ions inside their hard minimum distance (the neighbour list remembers the few pairs that
//! could get there before its next build). Where energies are computed (thermo steps): a
//! non-finite or jumping conserved energy, and a drift of the total momentum (reported).

use crate::observer::{Observer, RunFailure, Saved, State};
use crate::report::Report;
use anyhow::Result;
use mdsim_core::safety::HardMinimum;
use mdsim_core::units::{AMU_A2_PS2_TO_EV, BOLTZMANN_EV_K};
use mdsim_core::System;
use mdsim_io::Setup;
use serde::{Deserialize, Serialize};

pub struct Health {
    hard_minimum: HardMinimum,
    /// The temperature scale of the run (K): the highest it was meant to reach.
    temperature_scale: f64,
    factor: f64,
    /// Largest change of the conserved energy between evaluations, eV per atom.
    max_jump_per_atom: f64,
    memory: Memory,
}

/// What the checks remember from one step to the next (the checkpoint state).
#[derive(Default, Serialize, Deserialize)]
struct Memory {
    /// The last conserved energy seen (step, eV).
    last_conserved: Option<(u64, f64)>,
    /// A note once the total momentum has drifted.
    momentum_note: Option<String>,
}

/// Centre-of-mass speed above which the total momentum counts as drifted, relative to the
/// thermal (root-mean-square) speed: far above round-off, far below anything physical.
const MOMENTUM_DRIFT: f64 = 1e-6;

impl Health {
    /// For the run of `setup` starting from `system` (velocities already assigned).
    pub fn new(setup: &Setup, system: &System) -> Self {
        let input = &setup.input;
        let targets = input.stages.iter().filter_map(|s| match s.ensemble {
            mdsim_io::input::EnsembleInput::Nvt { temperature, .. } => Some(temperature),
            mdsim_io::input::EnsembleInput::Nve => None,
        });
        let temperature_scale = targets
            .chain(input.initial_temperature)
            .chain([100.0, system.temperature()])
            .fold(0.0, f64::max);
        let safety = &input.safety;
        Self {
            hard_minimum: setup.hard_minimum.clone(),
            temperature_scale,
            factor: safety.max_temperature_factor,
            max_jump_per_atom: safety.max_energy_jump_kT * BOLTZMANN_EV_K * temperature_scale,
            memory: Memory::default(),
        }
    }

    fn check_conserved(&mut self, s: &State, e: f64) -> Result<(), RunFailure> {
        if !e.is_finite() {
            return Err(blew_up(s));
        }
        if let Some((step, last)) = self.memory.last_conserved {
            let jump = (e - last) / s.system.n_atoms() as f64;
            if jump.abs() > self.max_jump_per_atom {
                return Err(RunFailure(format!(
                    "the conserved energy changed by {jump:+.4e} eV per atom between steps {step} and {} (t = {:.4} ps), more than {} k_B·T at {:.1} K (safety.max_energy_jump_kT): the integration broke down; use a shorter time step, or check the potential and the structure",
                    s.step,
                    s.time_ps(),
                    self.max_jump_per_atom / (BOLTZMANN_EV_K * self.temperature_scale),
                    self.temperature_scale
                )));
            }
        }
        self.memory.last_conserved = Some((s.step, e));
        Ok(())
    }

    fn check_hard_minimum(&self, s: &State) -> Result<(), RunFailure> {
        let sys = s.system;
        let pairs = s.close_pairs.unwrap_or(s.neighbors);
        match self
            .hard_minimum
            .worst_violation(pairs, &sys.positions, &sys.types)
        {
            None => Ok(()),
            Some(v) => {
                let name = |i: usize| &sys.species[sys.types[i]].name;
                Err(RunFailure(format!(
                    "atoms {} ({}) and {} ({}) came {:.4} Å close at step {} (t = {:.4} ps), inside their hard minimum of {} Å (safety): the structure collapsed; check the potential, the time step and the temperature",
                    v.i,
                    name(v.i),
                    v.j,
                    name(v.j),
                    v.distance,
                    s.step,
                    s.time_ps(),
                    v.minimum
                )))
            }
        }
    }

    /// `ke`: kinetic energy of the state, eV.
    fn check_temperature(&self, s: &State, ke: f64) -> Result<(), RunFailure> {
        let t = 2.0 * ke / (s.system.degrees_of_freedom() * BOLTZMANN_EV_K);
        if t > self.factor * self.temperature_scale {
            let sys = s.system;
            let suspect = self
                .hard_minimum
                .closest(s.neighbors, &sys.positions, &sys.types)
                .map_or(String::new(), |v| {
                    let name = |i: usize| &sys.species[sys.types[i]].name;
                    format!(
                        "; the closest pair is atoms {} ({}) and {} ({}) at {:.4} Å",
                        v.i,
                        name(v.i),
                        v.j,
                        name(v.j),
                        v.distance
                    )
                });
            return Err(RunFailure(format!(
                "the temperature ran away to {t:.4e} K at step {} (t = {:.4} ps), more than {} × the run's temperature scale of {:.1} K (safety.max_temperature_factor){suspect}: energy is pouring in from somewhere; check the time step, the potential (a Buckingham pair without short-range repair?) and the structure",
                s.step,
                s.time_ps(),
                self.factor,
                self.temperature_scale
            )));
        }
        Ok(())
    }

    /// Notes (once) a centre-of-mass velocity above round-off: it would show up as drift in
    /// every MSD.
    fn watch_momentum(&mut self, s: &State) {
        let sys = s.system;
        let mass: f64 = sys.masses.iter().sum();
        let ke = sys.kinetic_energy();
        if self.memory.momentum_note.is_some() || ke <= 0.0 {
            return;
        }
        let v_cm = sys.total_momentum().map(|p| p / mass);
        let speed = v_cm.iter().map(|v| v * v).sum::<f64>().sqrt();
        let v_rms = (2.0 * ke / (mass * AMU_A2_PS2_TO_EV)).sqrt();
        if speed > MOMENTUM_DRIFT * v_rms {
            self.memory.momentum_note = Some(format!(
                "the total momentum drifted away from zero: at step {} the centre of mass moved at {speed:.3e} Å/ps ({:.2e} of the thermal speed); mean-squared displacements include this drift",
                s.step,
                speed / v_rms
            ));
        }
    }
}

fn blew_up(s: &State) -> RunFailure {
    RunFailure(format!(
        "the energy became non-finite at step {} (t = {:.4} ps): the system blew up; check the time step and the structure",
        s.step,
        s.time_ps()
    ))
}

impl Observer for Health {
    fn observe(&mut self, s: &State) -> Result<()> {
        if s.step > 0 {
            let ke = s.system.kinetic_energy();
            if !ke.is_finite() {
                return Err(blew_up(s).into());
            }
            self.check_hard_minimum(s)?;
            self.check_temperature(s, ke)?;
        }
        if let Some(e) = s.conserved_energy() {
            self.check_conserved(s, e)?;
            self.watch_momentum(s);
        }
        Ok(())
    }

    fn finish(&mut self, r: &mut Report) -> Result<()> {
        r.transport.notes.extend(self.memory.momentum_note.take());
        Ok(())
    }

    fn save(&mut self) -> Result<Option<Saved>> {
        Saved::new(&self.memory).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        self.memory = Saved::unpack(saved)?;
        Ok(())
    }
}
