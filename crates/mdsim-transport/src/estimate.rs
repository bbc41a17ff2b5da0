//! `Estimate`: the one shape of every reported number (`{ "value": …, "stderr": … }` in
//! results.json, DESIGN.md §7).

use serde::{Deserialize, Serialize};

use crate::stats::{mean, sample_std, t975};

/// A value with its standard error, the error coming from independent samples (blocks or
/// replicas).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub stderr: f64,
}

impl Estimate {
    pub fn new(value: f64, stderr: f64) -> Self {
        Self { value, stderr }
    }

    /// Mean and standard error (sample std / √n) of independent samples; `None` for fewer
    /// than two samples, where no honest error exists.
    pub fn from_independent(samples: &[f64]) -> Option<Self> {
        if samples.len() < 2 {
            return None;
        }
        Some(Self {
            value: mean(samples),
            stderr: sample_std(samples) / (samples.len() as f64).sqrt(),
        })
    }

    /// Multiplies by a constant (unit conversion, normalisation); the error scales with |f|.
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            value: self.value * factor,
            stderr: self.stderr * factor.abs(),
        }
    }

    /// `Ok(self)` when the one-sided 95 % lower bound `value − t_{0.95,dof} · stderr` is above
    /// zero (the quantity measurably differs from 0), else `Err(upper)` with the one-sided
    /// 95 % upper bound `max(value, 0) + t_{0.95,dof} · stderr`: how a diffusion coefficient
    /// of a species that may not move is reported (never a negative D).
    pub fn positive_or_upper_bound(self, dof: usize) -> Result<Self, f64> {
        let t = crate::stats::student_t_quantile(0.95, dof as f64);
        if self.value - t * self.stderr > 0.0 {
            Ok(self)
        } else {
            Err(self.value.max(0.0) + t * self.stderr)
        }
    }

    /// Two-sided 95 % interval `value ± t_{0.975,dof} · stderr`, where `dof` is the number of
    /// independent samples minus one.
    pub fn interval95(self, dof: usize) -> (f64, f64) {
        let half = t975(dof as f64) * self.stderr;
        (self.value - half, self.value + half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_independent_and_scaling() {
        let e = Estimate::from_independent(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(e.value, 3.0);
        assert!((e.stderr - (2.5f64).sqrt() / 5f64.sqrt()).abs() < 1e-15);
        let s = e.scaled(-2.0);
        assert_eq!(s.value, -6.0);
        assert!(s.stderr > 0.0);
        assert!(Estimate::from_independent(&[1.0]).is_none());
        let (lo, hi) = Estimate::new(1.0, 0.1).interval95(4);
        assert!((hi - 1.0 - 0.277_644_51).abs() < 1e-6 && (1.0 - lo - 0.277_644_51).abs() < 1e-6);
    }
}
