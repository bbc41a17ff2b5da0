//! When the transport observers sample: every `transport.sample_every` steps of the
//! production series, counted from its start.

use crate::observer::State;
use mdsim_io::Setup;

#[derive(Clone, Copy, Debug)]
pub struct Sampling {
    /// Steps between samples.
    pub every: u64,
    /// Number of samples the production will give (including its starting state).
    pub n_samples: usize,
    /// Time between samples, ps.
    pub dt_sample: f64,
    /// Steps of production in all.
    pub production_steps: u64,
}

impl Sampling {
    pub fn new(setup: &Setup) -> Self {
        let input = &setup.input;
        let every = input.transport.sample_every;
        let production_steps = setup.production_steps();
        Self {
            every,
            n_samples: (production_steps / every) as usize + 1,
            dt_sample: setup.timestep_ps * every as f64,
            production_steps,
        }
    }

    /// A duration in samples (rounded, at least 1).
    pub fn to_samples(&self, ps: f64) -> usize {
        ((ps / self.dt_sample).round() as usize).max(1)
    }

    /// Whether the state is a sample of the production series.
    pub fn is_sample(&self, s: &State) -> bool {
        s.production_step
            .is_some_and(|k| k.is_multiple_of(self.every))
    }
}
