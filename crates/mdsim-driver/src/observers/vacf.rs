//! Velocity autocorrelation per species → Green–Kubo D and the first zero (vacf.csv).

use super::sampling::Sampling;
use crate::observer::{Observer, Saved, State};
use crate::report::{Report, VacfOut};
use anyhow::{anyhow, Result};
use mdsim_io::Setup;
use mdsim_transport::{VacfAccumulator, WindowConfig};
use std::path::PathBuf;

pub struct Vacf {
    sampling: Sampling,
    acc: VacfAccumulator,
    names: Vec<String>,
    csv: PathBuf,
}

impl Vacf {
    /// `None` when the input asks for no VACF or the run has no production.
    pub fn new(setup: &Setup, sampling: Sampling, csv: PathBuf) -> Result<Option<Self>> {
        let tr = &setup.input.transport;
        let Some(v) = tr.vacf.as_ref().filter(|_| sampling.production_steps > 0) else {
            return Ok(None);
        };
        let s = &setup.system;
        let cfg = WindowConfig::new(
            sampling.n_samples,
            v.origin_every_ps.map_or(1, |t| sampling.to_samples(t)),
            sampling.to_samples(v.max_lag_ps),
        )
        .with_blocks(tr.msd.blocks);
        let acc = VacfAccumulator::new(&s.types, s.species.len(), sampling.dt_sample, cfg)
            .map_err(|e| anyhow!("{}: transport.vacf: {e}", setup.path.display()))?;
        Ok(Some(Self {
            sampling,
            acc,
            names: s.species.iter().map(|x| x.name.clone()).collect(),
            csv,
        }))
    }
}

impl Observer for Vacf {
    fn observe(&mut self, s: &State) -> Result<()> {
        if self.sampling.is_sample(s) {
            self.acc.push(&s.system.velocities)?;
        }
        Ok(())
    }

    /// The accumulator as a whole (sums, counts, stored origins).
    fn save(&mut self) -> Result<Option<Saved>> {
        Saved::new(&self.acc).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        self.acc = Saved::unpack(saved)?;
        Ok(())
    }

    fn finish(&mut self, r: &mut Report) -> Result<()> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        std::fs::write(&self.csv, self.acc.curve().to_csv(&names))?;
        match self.acc.summary() {
            Ok(summaries) => {
                for v in summaries {
                    let out = VacfOut {
                        species: self.names[v.group].clone(),
                        diffusion_green_kubo_cm2_s: v.d_green_kubo_cm2_s,
                        first_zero_ps: v.first_zero_ps,
                    };
                    r.summary.push(format!(
                        "  VACF({}): Green–Kubo D = ({:.4} ± {:.4})e-5 cm²/s, first zero at {}",
                        out.species,
                        out.diffusion_green_kubo_cm2_s.value * 1e5,
                        out.diffusion_green_kubo_cm2_s.stderr * 1e5,
                        out.first_zero_ps
                            .map_or("—".into(), |t| format!("{t:.3} ps"))
                    ));
                    r.transport.vacf.push(out);
                }
            }
            Err(e) => r.transport.notes.push(format!("no VACF summary: {e}")),
        }
        Ok(())
    }
}
