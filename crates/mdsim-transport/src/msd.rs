//! Per-species mean-squared displacement and tracer diffusion coefficients.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::correlator::{
    per_atom_mean_weights, BlockedCurves, Kernel, WindowConfig, WindowedCorrelator,
};
use crate::fit::{block_slopes, choose_window, FitWindow, FitWindowSpec};
use crate::units::{CM2_PER_S_PER_A2_PER_PS, EINSTEIN_FACTOR};
use crate::{csv, Estimate, Result};

/// Multiple-origin MSD per group, MSD_g(τ) = (1/N_g) Σ_{i∈g} |r_i(t0+τ) − r_i(t0)|²
/// averaged over origins t0 (the per-atom mean, in Å²). Serialisable (checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsdAccumulator {
    corr: WindowedCorrelator,
}

impl MsdAccumulator {
    /// `groups[i]` is the group (species) of atom i. Groups without atoms are allowed (their
    /// MSD is zero and they get no diffusion estimate).
    pub fn new(
        groups: &[usize],
        n_groups: usize,
        dt_sample_ps: f64,
        cfg: WindowConfig,
    ) -> Result<Self> {
        let weights = per_atom_mean_weights(groups, n_groups);
        let corr = WindowedCorrelator::new(
            Kernel::SquaredDisplacement,
            groups,
            &weights,
            n_groups,
            dt_sample_ps,
            cfg,
        )?;
        Ok(Self { corr })
    }

    /// Feeds the next sample of **unwrapped** positions (Å), one per atom.
    pub fn push(&mut self, unwrapped_positions: &[[f64; 3]]) -> Result<()> {
        self.corr.push(unwrapped_positions)
    }

    /// The underlying correlator (sample count, active origins, configuration).
    pub fn correlator(&self) -> &WindowedCorrelator {
        &self.corr
    }

    /// Raw per-block sums; serialise these to recompute estimates later.
    pub fn data(&self) -> &BlockedCurves {
        self.corr.data()
    }

    /// The all-origins MSD curve with per-lag block standard errors.
    pub fn curve(&self) -> MsdCurve {
        MsdCurve::build(self.data())
    }

    /// Diffusion coefficient of every non-empty group.
    pub fn diffusion(&self, spec: FitWindowSpec) -> Result<Vec<Diffusion>> {
        let data = self.data();
        (0..data.n_groups)
            .filter(|&g| data.group_sizes.get(g).is_some_and(|&n| n > 0))
            .map(|g| diffusion_from_msd(data, g, spec))
            .collect()
    }
}

/// Tracer diffusion coefficient of one group, from independent blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diffusion {
    pub group: usize,
    /// Number of atoms in the group.
    pub n_tracked: usize,
    pub d_a2_ps: Estimate,
    pub d_cm2_s: Estimate,
    /// Number of blocks the estimate comes from (degrees of freedom + 1).
    pub n_blocks: usize,
    /// D of each block in Å²/ps (the independent samples behind the error bar).
    pub block_d_a2_ps: Vec<f64>,
    pub window: FitWindow,
}

impl Diffusion {
    /// 95 % confidence interval in cm²/s: D ± t_{0.975, n_blocks−1} · stderr.
    pub fn interval95_cm2_s(&self) -> (f64, f64) {
        self.d_cm2_s.interval95(self.n_blocks.saturating_sub(1))
    }
}

/// D = (MSD slope) / 6 of one group from stored per-block MSD sums (per-atom mean MSD), with
/// the window chosen on the all-origins curve. D is the mean of the block D's and its
/// standard error their sample std / √n_blocks.
pub fn diffusion_from_msd(
    data: &BlockedCurves,
    group: usize,
    spec: FitWindowSpec,
) -> Result<Diffusion> {
    data.check_group(group)?;
    let curve = data.pooled_mean(group);
    let window = choose_window(&curve, data.dt_ps, data.max_lag, spec)?;
    let block_d: Vec<f64> = block_slopes(data, group, &window)?
        .into_iter()
        .map(|s| s / EINSTEIN_FACTOR)
        .collect();
    // block_slopes guarantees at least two blocks.
    let d = Estimate::from_independent(&block_d).unwrap_or(Estimate::new(f64::NAN, f64::NAN));
    Ok(Diffusion {
        group,
        n_tracked: data.group_sizes[group],
        d_a2_ps: d,
        d_cm2_s: d.scaled(CM2_PER_S_PER_A2_PER_PS),
        n_blocks: block_d.len(),
        block_d_a2_ps: block_d,
        window,
    })
}

/// All-origins MSD per group (Å²) against lag time (ps), with block standard errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsdCurve {
    pub lag_ps: Vec<f64>,
    /// `msd_a2[group][lag]`.
    pub msd_a2: Vec<Vec<f64>>,
    /// `msd_stderr_a2[group][lag]`: spread of the block curves / √n_blocks.
    pub msd_stderr_a2: Vec<Vec<f64>>,
}

impl MsdCurve {
    /// Curve from stored per-block sums (checked for consistency first).
    pub fn from_data(data: &BlockedCurves) -> Result<Self> {
        data.validate()?;
        Ok(Self::build(data))
    }

    fn build(data: &BlockedCurves) -> Self {
        Self {
            lag_ps: data.lag_times_ps(),
            msd_a2: (0..data.n_groups).map(|g| data.pooled_mean(g)).collect(),
            msd_stderr_a2: (0..data.n_groups).map(|g| data.block_stderr(g)).collect(),
        }
    }

    /// CSV: `lag_ps,msd_<name>_A2,msd_<name>_stderr_A2,…` (group names from `names`, else
    /// `g0`, `g1`, …).
    pub fn write_csv<W: Write>(&self, w: W, names: &[&str]) -> io::Result<()> {
        let mut header = vec!["lag_ps".to_string()];
        let mut cols: Vec<&[f64]> = vec![&self.lag_ps];
        for (g, (msd, err)) in self.msd_a2.iter().zip(&self.msd_stderr_a2).enumerate() {
            let n = csv::name(names, g);
            header.push(format!("msd_{n}_A2"));
            header.push(format!("msd_{n}_stderr_A2"));
            cols.push(msd);
            cols.push(err);
        }
        csv::write_columns(w, &header, &cols)
    }

    /// The CSV text of [`MsdCurve::write_csv`].
    pub fn to_csv(&self, names: &[&str]) -> String {
        csv::to_string(|buf| self.write_csv(buf, names))
    }
}
