//! Velocity autocorrelation function Z(t) = ⟨v_i(0)·v_i(t)⟩ per group, and the Green–Kubo
//! diffusion coefficient D = (1/3) ∫ Z dt as a cross-check of the Einstein (MSD) value.
//! Same correlator, origins and blocks as the MSD; only the kernel differs.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::correlator::{
    per_atom_mean_weights, BlockedCurves, Kernel, WindowConfig, WindowedCorrelator,
};
use crate::fit::block_integrals;
use crate::units::{CM2_PER_S_PER_A2_PER_PS, DIMENSIONS};
use crate::{csv, Estimate, Result, TransportError};

/// Multiple-origin velocity autocorrelation per group (per-atom mean, Å²/ps²). Serialisable
/// (checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VacfAccumulator {
    corr: WindowedCorrelator,
}

impl VacfAccumulator {
    /// `groups[i]` is the group (species) of atom i.
    pub fn new(
        groups: &[usize],
        n_groups: usize,
        dt_sample_ps: f64,
        cfg: WindowConfig,
    ) -> Result<Self> {
        let weights = per_atom_mean_weights(groups, n_groups);
        let corr =
            WindowedCorrelator::new(Kernel::Dot, groups, &weights, n_groups, dt_sample_ps, cfg)?;
        Ok(Self { corr })
    }

    /// Feeds the next sample of velocities (Å/ps), one per atom.
    pub fn push(&mut self, velocities: &[[f64; 3]]) -> Result<()> {
        self.corr.push(velocities)
    }

    pub fn correlator(&self) -> &WindowedCorrelator {
        &self.corr
    }

    pub fn data(&self) -> &BlockedCurves {
        self.corr.data()
    }

    pub fn curve(&self) -> VacfCurve {
        VacfCurve::build(self.data())
    }

    /// Green–Kubo D (integrated over all available lags) and first zero crossing of every
    /// non-empty group.
    pub fn summary(&self) -> Result<Vec<VacfSummary>> {
        let data = self.data();
        (0..data.n_groups)
            .filter(|&g| data.group_sizes.get(g).is_some_and(|&n| n > 0))
            .map(|g| vacf_summary(data, g, None))
            .collect()
    }
}

/// Green–Kubo result and shape markers of one group's VACF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VacfSummary {
    pub group: usize,
    pub n_tracked: usize,
    /// Z(0) = ⟨|v|²⟩ (= 3 kT/m in equilibrium), Å²/ps².
    pub z0_a2_ps2: Estimate,
    /// D = (1/3) ∫_0^{t_end} Z dt (trapezoid), error from independent blocks.
    pub d_green_kubo_a2_ps: Estimate,
    pub d_green_kubo_cm2_s: Estimate,
    /// Upper integration limit t_end.
    pub integrated_to_ps: f64,
    pub n_blocks: usize,
    /// First time Z(t) reaches zero (linear interpolation between samples), if it does.
    pub first_zero_ps: Option<f64>,
}

/// Summary of one group from stored VACF sums; integrates up to `integrate_to_ps` (clipped to
/// the available lags) or, if `None`, over all available lags. Integrating far past the decay
/// of Z only adds noise; the caller may choose a shorter limit.
pub fn vacf_summary(
    data: &BlockedCurves,
    group: usize,
    integrate_to_ps: Option<f64>,
) -> Result<VacfSummary> {
    data.check_group(group)?;
    let z = data.pooled_mean(group);
    let last = z.len().saturating_sub(1);
    let end_lag = match integrate_to_ps {
        None => last,
        Some(t) if t.is_finite() && t > 0.0 => ((t / data.dt_ps + 1e-9).floor() as usize).min(last),
        Some(t) => {
            return Err(TransportError::Config(format!(
                "Green–Kubo integration limit must be a positive time, got {t} ps"
            )))
        }
    };
    let integrals = block_integrals(data, group, end_lag)?;
    let d: Vec<f64> = integrals.iter().map(|i| i / DIMENSIONS).collect();
    let d = Estimate::from_independent(&d).unwrap_or(Estimate::new(f64::NAN, f64::NAN));
    let z0_err = data
        .block_stderr(group)
        .first()
        .copied()
        .unwrap_or(f64::NAN);
    Ok(VacfSummary {
        group,
        n_tracked: data.group_sizes[group],
        z0_a2_ps2: Estimate::new(z.first().copied().unwrap_or(f64::NAN), z0_err),
        d_green_kubo_a2_ps: d,
        d_green_kubo_cm2_s: d.scaled(CM2_PER_S_PER_A2_PER_PS),
        integrated_to_ps: data.lag_ps(end_lag),
        n_blocks: integrals.len(),
        first_zero_ps: first_zero(&z, data.dt_ps),
    })
}

/// First zero crossing of a curve that starts positive, by linear interpolation.
fn first_zero(z: &[f64], dt: f64) -> Option<f64> {
    if z.first().is_none_or(|&z0| z0 <= 0.0) {
        return None;
    }
    let l = z.iter().position(|&v| v <= 0.0)?;
    let (a, b) = (z[l - 1], z[l]);
    Some(dt * ((l - 1) as f64 + a / (a - b)))
}

/// All-origins VACF per group with block errors and the normalised Z(t)/Z(0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VacfCurve {
    pub lag_ps: Vec<f64>,
    /// `z_a2_ps2[group][lag]`.
    pub z_a2_ps2: Vec<Vec<f64>>,
    pub z_stderr_a2_ps2: Vec<Vec<f64>>,
    /// Z(t)/Z(0); all zero for a group whose Z(0) is zero (no motion, or no atoms).
    pub z_normalized: Vec<Vec<f64>>,
}

impl VacfCurve {
    /// Curve from stored per-block sums (checked for consistency first).
    pub fn from_data(data: &BlockedCurves) -> Result<Self> {
        data.validate()?;
        Ok(Self::build(data))
    }

    fn build(data: &BlockedCurves) -> Self {
        let z: Vec<Vec<f64>> = (0..data.n_groups).map(|g| data.pooled_mean(g)).collect();
        let z_normalized = z
            .iter()
            .map(|zg| match zg.first() {
                Some(&z0) if z0 > 0.0 => zg.iter().map(|v| v / z0).collect(),
                _ => vec![0.0; zg.len()],
            })
            .collect();
        Self {
            lag_ps: data.lag_times_ps(),
            z_stderr_a2_ps2: (0..data.n_groups).map(|g| data.block_stderr(g)).collect(),
            z_a2_ps2: z,
            z_normalized,
        }
    }

    /// CSV: `lag_ps,vacf_<name>_A2_per_ps2,vacf_<name>_stderr_A2_per_ps2,vacf_<name>_normalized,…`.
    pub fn write_csv<W: Write>(&self, w: W, names: &[&str]) -> io::Result<()> {
        let mut header = vec!["lag_ps".to_string()];
        let mut cols: Vec<&[f64]> = vec![&self.lag_ps];
        let groups = self
            .z_a2_ps2
            .iter()
            .zip(&self.z_stderr_a2_ps2)
            .zip(&self.z_normalized);
        for (g, ((z, err), norm)) in groups.enumerate() {
            let n = csv::name(names, g);
            header.push(format!("vacf_{n}_A2_per_ps2"));
            header.push(format!("vacf_{n}_stderr_A2_per_ps2"));
            header.push(format!("vacf_{n}_normalized"));
            cols.push(z);
            cols.push(err);
            cols.push(norm);
        }
        csv::write_columns(w, &header, &cols)
    }

    pub fn to_csv(&self, names: &[&str]) -> String {
        csv::to_string(|buf| self.write_csv(buf, names))
    }
}

#[cfg(test)]
mod tests {
    use super::first_zero;

    #[test]
    fn zero_crossing_interpolates() {
        assert!((first_zero(&[1.0, 0.5, -0.5], 0.1).unwrap() - 0.15).abs() < 1e-15);
        assert_eq!(first_zero(&[1.0, 0.5, 0.2], 0.1), None);
        assert_eq!(first_zero(&[0.0, 0.5], 0.1), None);
        assert_eq!(first_zero(&[], 0.1), None);
    }
}
