//! thermo.csv: one line every `thermo_every` steps (and for the starting state).

use super::running::RunningConductivity;
use crate::observer::{Observer, Saved, State};
use crate::output::{RunDir, TextWriter};
use anyhow::Result;

pub struct ThermoLog {
    out: TextWriter,
    every: u64,
    /// With the conductivity estimator: its running estimate, as four more columns.
    running: Option<RunningConductivity>,
}

const COLUMNS: &str =
    "step,time_ps,temperature_K,potential_eV,kinetic_eV,total_eV,conserved_eV,pressure_bar";
/// The running σ_tr and σ (S/cm) and their errors, empty until the production has data.
const CONDUCTIVITY_COLUMNS: &str =
    ",sigma_tracer_S_cm,sigma_tracer_stderr_S_cm,sigma_S_cm,sigma_stderr_S_cm";

impl ThermoLog {
    pub fn create(dir: &RunDir, every: u64, running: Option<RunningConductivity>) -> Result<Self> {
        let extra = if running.is_some() {
            CONDUCTIVITY_COLUMNS
        } else {
            ""
        };
        let out = dir.growing_file("thermo.csv", &format!("{COLUMNS}{extra}\n"))?;
        Ok(Self {
            out,
            every,
            running,
        })
    }

    /// The conductivity columns of a line (with their leading commas).
    fn conductivity_columns(&self) -> String {
        let Some(running) = &self.running else {
            return String::new();
        };
        let e = running.get();
        let pair = |x: Option<mdsim_transport::Estimate>| match x {
            Some(x) if x.stderr.is_finite() => format!(",{:.6e},{:.3e}", x.value, x.stderr),
            Some(x) => format!(",{:.6e},", x.value),
            None => ",,".into(),
        };
        match e {
            Some(e) => pair(e.conductivity_tracer_s_cm) + &pair(e.conductivity_s_cm),
            None => ",,,,".into(),
        }
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
            "{},{:.6},{:.6},{:.10e},{:.10e},{:.10e},{:.10e},{:.6}{}",
            s.step,
            s.time_ps(),
            s.temperature(),
            pe,
            ke,
            pe + ke,
            conserved,
            p,
            self.conductivity_columns()
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
