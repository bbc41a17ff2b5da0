//! Tracer mean-squared displacement per species → D with block errors (msd.csv).

use super::sampling::Sampling;
use crate::observer::{Observer, Saved, State};
use crate::report::{ReferenceOut, Report, SpeciesTransport};
use anyhow::{anyhow, Result};
use mdsim_io::input::ReferenceInput;
use mdsim_io::Setup;
use mdsim_transport::{FitWindowSpec, MsdAccumulator, WindowChoice, WindowConfig};
use std::path::PathBuf;

pub struct Msd {
    sampling: Sampling,
    acc: MsdAccumulator,
    fit: FitWindowSpec,
    reference: Option<ReferenceInput>,
    names: Vec<String>,
    unwrapped: Vec<[f64; 3]>,
    csv: PathBuf,
}

impl Msd {
    /// `None` when the run has no production.
    pub fn new(setup: &Setup, sampling: Sampling, csv: PathBuf) -> Result<Option<Self>> {
        if sampling.production_steps == 0 {
            return Ok(None);
        }
        let tr = &setup.input.transport;
        let s = &setup.system;
        let block = sampling.n_samples / tr.msd.blocks;
        let max_lag = tr
            .msd
            .max_lag_ps
            .map_or((block / 5).max(1), |t| sampling.to_samples(t));
        let origin_every = tr.msd.origin_every_ps.map_or(1, |t| sampling.to_samples(t));
        let cfg =
            WindowConfig::new(sampling.n_samples, origin_every, max_lag).with_blocks(tr.msd.blocks);
        let acc = MsdAccumulator::new(&s.types, s.species.len(), sampling.dt_sample, cfg)
            .map_err(|e| anyhow!("{}: transport.msd: {e}", setup.path.display()))?;
        // Both or neither were checked when the input was loaded.
        let fit = match (tr.msd.fit_start_ps, tr.msd.fit_end_ps) {
            (Some(start_ps), Some(end_ps)) => FitWindowSpec::Manual { start_ps, end_ps },
            _ => FitWindowSpec::Auto,
        };
        Ok(Some(Self {
            sampling,
            acc,
            fit,
            reference: setup.input.reference.clone(),
            names: s.species.iter().map(|x| x.name.clone()).collect(),
            unwrapped: Vec::new(),
            csv,
        }))
    }
}

impl Observer for Msd {
    fn observe(&mut self, s: &State) -> Result<()> {
        if self.sampling.is_sample(s) {
            s.system.unwrapped_positions(&mut self.unwrapped);
            self.acc.push(&self.unwrapped)?;
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
        let ds = match self.acc.diffusion(self.fit) {
            Ok(ds) => ds,
            Err(e) => {
                r.transport
                    .notes
                    .push(format!("no diffusion estimate: {e}"));
                return Ok(());
            }
        };
        for d in ds {
            let name = self.names[d.group].clone();
            if d.window.choice == WindowChoice::AutoNotDiffusive {
                r.transport.notes.push(format!(
                    "MSD of {name} never became linear (log-log slope ≈ 1) within the longest lag; D is fitted on the second half of the lags and may be biased: raise transport.msd.max_lag_ps or run longer"
                ));
            }
            let reference = self
                .reference
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
                        deviation_sigma: (d.d_cm2_s.value - r.diffusion_cm2_s) / combined,
                    }
                });
            let reported = d
                .d_cm2_s
                .positive_or_upper_bound(d.n_blocks.saturating_sub(1));
            r.summary.push(match reported {
                Ok(e) => format!(
                    "  D({name}) = ({:.4} ± {:.4})e-5 cm²/s  [fit {:.2}–{:.2} ps, {} blocks]",
                    e.value * 1e5,
                    e.stderr * 1e5,
                    d.window.start_ps,
                    d.window.end_ps,
                    d.n_blocks
                ),
                Err(upper) => format!(
                    "  D({name}) < {upper:.2e} cm²/s (does not measurably move; 95 % upper bound)"
                ),
            });
            if let Some(rf) = &reference {
                r.summary.push(format!(
                    "    vs {}: {:.3e} cm²/s → ratio {:.3}, {:+.2} σ (combined uncertainty)",
                    rf.source, rf.diffusion_cm2_s, rf.ratio, rf.deviation_sigma
                ));
            }
            r.transport.species.push(SpeciesTransport {
                species: name,
                diffusion_cm2_s: reported.ok(),
                upper_bound_cm2_s: reported.err(),
                fit_window_ps: [d.window.start_ps, d.window.end_ps],
                n_blocks: d.n_blocks,
                reference,
            });
        }
        Ok(())
    }
}
