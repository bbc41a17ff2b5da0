//! thermo.csv: one line every `thermo_every` steps (and for the starting state).

use crate::observer::{Observer, Saved, State};
use crate::output::{RunDir, TextWriter};
use anyhow::Result;

pub struct ThermoLog {
    out: TextWriter,
    every: u64,
}

impl ThermoLog {
    pub fn create(dir: &RunDir, every: u64) -> Result<Self> {
        let out = dir.growing_file(
            "thermo.csv",
            "step,time_ps,temperature_K,potential_eV,kinetic_eV,total_eV,conserved_eV,pressure_bar\n",
        )?;
        Ok(Self { out, every })
    }
}

impl Observer for ThermoLog {
    fn needs_energy(&self, step: u64) -> bool {
        step.is_multiple_of(self.every)
    }

    fn observe(&mut self, s: &State) -> Result<()> {
        let (Some(pe), Some(conserved), Some(p)) =
            (s.potential_energy(), s.conserved_energy(), s.pressure_bar())
        else {
            return Ok(());
        };
        if !s.step.is_multiple_of(self.every) {
            return Ok(());
        }
        let ke = s.system.kinetic_energy();
        self.out.line(&format!(
            "{},{:.6},{:.6},{:.10e},{:.10e},{:.10e},{:.10e},{:.6}",
            s.step,
            s.time_ps(),
            s.temperature(),
            pe,
            ke,
            pe + ke,
            conserved,
            p
        ))
    }

    fn finish(&mut self, _report: &mut crate::Report) -> Result<()> {
        self.out.flush()
    }

    /// The length of thermo.csv.
    fn save(&mut self) -> Result<Option<Saved>> {
        Saved::new(&self.out.checkpoint()?).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        let len: u64 = Saved::unpack(saved)?;
        self.out.cut_back(len)
    }
}
