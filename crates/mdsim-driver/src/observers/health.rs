//! Health checks: a run that goes wrong stops and says so (DESIGN.md §7). Runs first among
//! the observers, so that no other observer records a broken state.

use crate::observer::{Observer, RunFailure, State};
use anyhow::Result;
use mdsim_core::safety::HardMinimum;

pub struct Health {
    hard_minimum: HardMinimum,
    /// Steps at which the hard minimum is checked.
    every: u64,
}

impl Health {
    pub fn new(hard_minimum: HardMinimum, every: u64) -> Self {
        Self {
            hard_minimum,
            every,
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
        if s.step == 0 {
            return Ok(());
        }
        if !s.system.kinetic_energy().is_finite() {
            return Err(blew_up(s).into());
        }
        if s.step.is_multiple_of(self.every) {
            if let Some(v) =
                self.hard_minimum
                    .worst_violation(s.neighbors, &s.system.positions, &s.system.types)
            {
                let name = |i: usize| &s.system.species[s.system.types[i]].name;
                return Err(RunFailure(format!(
                    "atoms {} ({}) and {} ({}) came {:.4} Å close at step {} (t = {:.4} ps), inside their hard minimum of {} Å (safety): the structure collapsed; check the potential, the time step and the temperature",
                    v.i,
                    name(v.i),
                    v.j,
                    name(v.j),
                    v.distance,
                    s.step,
                    s.time_ps(),
                    v.minimum
                ))
                .into());
            }
        }
        if s.conserved_energy().is_some_and(|e| !e.is_finite()) {
            return Err(blew_up(s).into());
        }
        Ok(())
    }
}
