//! Production means of temperature, potential energy and pressure, from the thermo steps.

use crate::observer::{Observer, Saved, State};
use crate::report::{plus_minus, Report};
use anyhow::Result;
use mdsim_transport::Estimate;
use serde::{Deserialize, Serialize};

pub struct Averages {
    every: u64,
    series: Samples,
}

/// The samples so far (the observer's checkpoint state).
#[derive(Default, Serialize, Deserialize)]
struct Samples {
    temperature: Series,
    potential_per_atom: Series,
    pressure: Series,
}

impl Averages {
    /// Samples every `every` steps (the thermo interval) of the production stages.
    pub fn new(every: u64) -> Self {
        Self {
            every,
            series: Samples::default(),
        }
    }
}

impl Observer for Averages {
    fn needs_energy(&self, step: u64) -> bool {
        step.is_multiple_of(self.every)
    }

    fn observe(&mut self, s: &State) -> Result<()> {
        // The state the production starts from belongs to the stage before it.
        if !matches!(s.production_step, Some(k) if k > 0) || !s.step.is_multiple_of(self.every) {
            return Ok(());
        }
        if let (Some(pe), Some(p)) = (s.potential_energy(), s.pressure_bar()) {
            let x = &mut self.series;
            x.temperature.0.push(s.temperature());
            x.potential_per_atom.0.push(pe / s.system.n_atoms() as f64);
            x.pressure.0.push(p);
        }
        Ok(())
    }

    fn finish(&mut self, r: &mut Report) -> Result<()> {
        let x = &self.series;
        r.temperature_K = x.temperature.estimate();
        r.potential_energy_eV = x.potential_per_atom.estimate();
        r.pressure_bar = x.pressure.estimate();
        if r.production_steps > 0 {
            r.summary.extend([
                "production means (± standard error from 10 blocks):".to_string(),
                format!("  T  = {} K", plus_minus(&r.temperature_K, 3)),
                format!("  U  = {} eV/atom", plus_minus(&r.potential_energy_eV, 6)),
                format!("  P  = {} bar", plus_minus(&r.pressure_bar, 2)),
            ]);
        }
        Ok(())
    }

    fn save(&mut self) -> Result<Option<Saved>> {
        Saved::new(&self.series).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        self.series = Saved::unpack(saved)?;
        Ok(())
    }
}

/// A scalar series sampled during production, reported as mean ± block standard error.
#[derive(Default, Serialize, Deserialize)]
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
