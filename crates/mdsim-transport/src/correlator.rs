//! The windowed multiple-origin correlator shared by MSD, VACF and (later) the collective
//! polarization displacement.
//!
//! Samples are numbered 0..n_samples. The run is cut into `n_blocks` contiguous blocks with
//! fixed boundaries `floor(b · n_samples / n_blocks)`. Inside each block, a time origin starts
//! every `origin_every` samples (counting from the block start) and contributes lags
//! 0..=max_lag as long as the lag's end sample is still inside the same block. Data never
//! crosses a block boundary, so the per-block curves are independent samples of the same
//! quantity and their spread gives an honest error bar. The price is that origins near the end
//! of a block see fewer lags (a fraction ~max_lag / (2 · block length) of the pairs is lost).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::{Result, TransportError};

/// What is correlated between the origin vector a(0) and the current vector a(τ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// |a(τ) − a(0)|²: mean-squared displacement when a are unwrapped positions.
    SquaredDisplacement,
    /// a(0) · a(τ): velocity autocorrelation when a are velocities.
    Dot,
}

impl Kernel {
    #[inline]
    fn eval(self, a0: &[f64; 3], a: &[f64; 3]) -> f64 {
        match self {
            Kernel::SquaredDisplacement => {
                let d = [a[0] - a0[0], a[1] - a0[1], a[2] - a0[2]];
                d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
            }
            Kernel::Dot => a0[0] * a[0] + a0[1] * a[1] + a0[2] * a[2],
        }
    }
}

/// Sampling layout of a correlator: how many samples will come, how often an origin starts,
/// the longest lag, and the number of independent blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowConfig {
    /// Total number of samples that will be pushed (fixes the block boundaries).
    pub n_samples: usize,
    /// A new time origin every this many samples (within each block).
    pub origin_every: usize,
    /// Longest lag, in samples.
    pub max_lag: usize,
    /// Number of independent blocks the production is split into.
    pub n_blocks: usize,
}

impl WindowConfig {
    /// Default number of blocks: DESIGN.md §5 asks for at least 5 independent blocks.
    pub const DEFAULT_N_BLOCKS: usize = 5;

    /// Layout with the default number of blocks.
    pub fn new(n_samples: usize, origin_every: usize, max_lag: usize) -> Self {
        Self {
            n_samples,
            origin_every,
            max_lag,
            n_blocks: Self::DEFAULT_N_BLOCKS,
        }
    }

    /// Same layout with another number of blocks.
    pub fn with_blocks(self, n_blocks: usize) -> Self {
        Self { n_blocks, ..self }
    }

    /// First sample of block `b` (`b == n_blocks` gives `n_samples`).
    pub fn block_start(&self, b: usize) -> usize {
        ((b as u128 * self.n_samples as u128) / self.n_blocks.max(1) as u128) as usize
    }

    /// Checks that every block can hold at least one origin reaching `max_lag`.
    pub fn validate(&self) -> Result<()> {
        if self.n_blocks < 2 {
            return Err(TransportError::Config(format!(
                "n_blocks = {} but at least 2 independent blocks are needed for an error bar \
                 (default {})",
                self.n_blocks,
                Self::DEFAULT_N_BLOCKS
            )));
        }
        if self.origin_every == 0 {
            return Err(TransportError::Config(
                "origin_every must be at least 1 sample".into(),
            ));
        }
        if self.max_lag == 0 {
            return Err(TransportError::Config(
                "max_lag must be at least 1 sample".into(),
            ));
        }
        let shortest = self.n_samples / self.n_blocks;
        if shortest <= self.max_lag {
            return Err(TransportError::Config(format!(
                "{} samples in {} blocks give blocks of {} samples, not longer than max_lag = {}; \
                 run longer, use fewer blocks or a shorter max lag (blocks should be several \
                 times max_lag)",
                self.n_samples, self.n_blocks, shortest, self.max_lag
            )));
        }
        Ok(())
    }
}

/// Raw per-block accumulations of a correlator: sums and origin counts per block and lag.
///
/// Kept as sums (not means) so that runs can be merged exactly and estimates recomputed later
/// with another fit window. Layout: `sums[(block · n_groups + group) · (max_lag + 1) + lag]`,
/// `counts[block · (max_lag + 1) + lag]` (number of origins that contributed that lag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockedCurves {
    pub kernel: Kernel,
    pub dt_ps: f64,
    pub max_lag: usize,
    pub n_groups: usize,
    pub n_blocks: usize,
    /// Number of tracked vectors in each group.
    pub group_sizes: Vec<usize>,
    pub sums: Vec<f64>,
    pub counts: Vec<u64>,
}

/// Fewest blocks that must have data at a lag for it to be reported (an error bar needs two).
const MIN_BLOCKS: usize = 2;

impl BlockedCurves {
    fn new(
        kernel: Kernel,
        dt_ps: f64,
        max_lag: usize,
        n_blocks: usize,
        group_sizes: Vec<usize>,
    ) -> Self {
        let n_groups = group_sizes.len();
        let n_lags = max_lag + 1;
        Self {
            kernel,
            dt_ps,
            max_lag,
            n_groups,
            n_blocks,
            group_sizes,
            sums: vec![0.0; n_blocks * n_groups * n_lags],
            counts: vec![0; n_blocks * n_lags],
        }
    }

    fn n_lags(&self) -> usize {
        self.max_lag + 1
    }

    /// Lag time in ps of lag index `lag`.
    pub fn lag_ps(&self, lag: usize) -> f64 {
        lag as f64 * self.dt_ps
    }

    /// Number of origins of block `block` that contributed lag `lag`.
    pub fn count(&self, block: usize, lag: usize) -> u64 {
        self.counts[block * self.n_lags() + lag]
    }

    /// Mean over the block's origins at one lag; `None` if the block has no data there.
    pub fn block_mean(&self, block: usize, group: usize, lag: usize) -> Option<f64> {
        let c = self.count(block, lag);
        (c > 0).then(|| self.sums[(block * self.n_groups + group) * self.n_lags() + lag] / c as f64)
    }

    /// Number of leading lags (0, 1, …) for which block `block` has data. Lags with data
    /// always form a prefix because every origin contributes consecutive lags from 0.
    pub fn block_lags_with_data(&self, block: usize) -> usize {
        (0..self.n_lags())
            .take_while(|&lag| self.count(block, lag) > 0)
            .count()
    }

    /// Number of leading lags at which at least two blocks have data: the length of the
    /// reported curves (all `max_lag + 1` lags once every sample has been pushed).
    pub fn reported_lags(&self) -> usize {
        (0..self.n_lags())
            .take_while(|&lag| {
                (0..self.n_blocks)
                    .filter(|&b| self.count(b, lag) > 0)
                    .count()
                    >= MIN_BLOCKS
            })
            .count()
    }

    /// All-origins curve of one group: every origin of every block weighted equally
    /// (equal to the mean of the block curves when blocks have equal origin counts).
    pub fn pooled_mean(&self, group: usize) -> Vec<f64> {
        (0..self.reported_lags())
            .map(|lag| {
                let (mut s, mut c) = (0.0, 0u64);
                for b in 0..self.n_blocks {
                    s += self.sums[(b * self.n_groups + group) * self.n_lags() + lag];
                    c += self.count(b, lag);
                }
                s / c as f64
            })
            .collect()
    }

    /// Standard error of the curve at each lag from the spread of the block means
    /// (sample std / √n_blocks with data at that lag).
    pub fn block_stderr(&self, group: usize) -> Vec<f64> {
        let mut means = Vec::with_capacity(self.n_blocks);
        (0..self.reported_lags())
            .map(|lag| {
                means.clear();
                means.extend((0..self.n_blocks).filter_map(|b| self.block_mean(b, group, lag)));
                crate::stats::sample_std(&means) / (means.len() as f64).sqrt()
            })
            .collect()
    }

    /// Lag times in ps of the reported curve.
    pub fn lag_times_ps(&self) -> Vec<f64> {
        (0..self.reported_lags()).map(|l| self.lag_ps(l)).collect()
    }

    /// Checks that the arrays match the declared sizes. Call this on data read back from a
    /// file before using the accessors (which index without checking); the estimators do.
    pub fn validate(&self) -> Result<()> {
        let n_lags = self.max_lag.checked_add(1);
        let sums = n_lags
            .and_then(|l| l.checked_mul(self.n_groups))
            .and_then(|x| x.checked_mul(self.n_blocks));
        let counts = n_lags.and_then(|l| l.checked_mul(self.n_blocks));
        if self.group_sizes.len() != self.n_groups
            || sums != Some(self.sums.len())
            || counts != Some(self.counts.len())
            || !(self.dt_ps > 0.0 && self.dt_ps.is_finite())
        {
            return Err(TransportError::Config(format!(
                "inconsistent correlation data: {} groups, {} blocks, max lag {}, dt {} ps but                  {} group sizes, {} sums, {} counts",
                self.n_groups,
                self.n_blocks,
                self.max_lag,
                self.dt_ps,
                self.group_sizes.len(),
                self.sums.len(),
                self.counts.len()
            )));
        }
        Ok(())
    }

    pub(crate) fn check_group(&self, group: usize) -> Result<()> {
        self.validate()?;
        if group >= self.n_groups {
            return Err(TransportError::GroupOutOfRange {
                group,
                n_groups: self.n_groups,
            });
        }
        if self.group_sizes[group] == 0 {
            return Err(TransportError::EmptyGroup { group });
        }
        Ok(())
    }
}

/// One stored time origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Origin {
    /// Sample index of the origin.
    t: usize,
    /// One past the last sample index this origin still correlates with.
    end: usize,
    block: usize,
    vectors: Vec<[f64; 3]>,
}

/// Weights 1/N_g for every atom of group g, so that a correlator sums to the per-atom mean
/// of each group. Out-of-range groups get weight 0 (the correlator rejects them).
pub(crate) fn per_atom_mean_weights(groups: &[usize], n_groups: usize) -> Vec<f64> {
    let mut sizes = vec![0usize; n_groups];
    for &g in groups {
        if let Some(s) = sizes.get_mut(g) {
            *s += 1;
        }
    }
    groups
        .iter()
        .map(|&g| sizes.get(g).map_or(0.0, |&n| 1.0 / n as f64))
        .collect()
}

/// Multiple-origin correlator of `K` tracked 3-vectors with per-vector group and weight.
///
/// At every lag τ and for every group g it accumulates
/// `Σ_{k ∈ g} w_k · f(a_k(t0), a_k(t0 + τ))` over origins t0, separately per block.
/// With `w_k = 1/N_g` and [`Kernel::SquaredDisplacement`] this is the per-atom mean MSD; with
/// one vector `Σ_i q_i r_i` and weight 1 it is the collective (polarization) MSD.
///
/// Serialisable as a whole (sums, counts and the stored origins), so that a run restarted
/// from a checkpoint continues the same estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowedCorrelator {
    kernel: Kernel,
    cfg: WindowConfig,
    group_of: Vec<usize>,
    weight: Vec<f64>,
    next: usize,
    block: usize,
    ring: VecDeque<Origin>,
    /// Buffers of expired origins, for reuse (not state).
    #[serde(skip)]
    spare: Vec<Vec<[f64; 3]>>,
    scratch: Vec<f64>,
    data: BlockedCurves,
}

impl WindowedCorrelator {
    /// `groups[k]` is the group of tracked vector k (< `n_groups`), `weights[k]` its weight.
    pub fn new(
        kernel: Kernel,
        groups: &[usize],
        weights: &[f64],
        n_groups: usize,
        dt_sample_ps: f64,
        cfg: WindowConfig,
    ) -> Result<Self> {
        cfg.validate()?;
        if groups.is_empty() {
            return Err(TransportError::Config("no vectors to track".into()));
        }
        if weights.len() != groups.len() {
            return Err(TransportError::Config(format!(
                "{} weights for {} tracked vectors",
                weights.len(),
                groups.len()
            )));
        }
        if !(dt_sample_ps > 0.0 && dt_sample_ps.is_finite()) {
            return Err(TransportError::Config(format!(
                "sampling interval must be a positive number of ps, got {dt_sample_ps}"
            )));
        }
        if let Some(w) = weights.iter().find(|w| !w.is_finite()) {
            return Err(TransportError::Config(format!("non-finite weight {w}")));
        }
        let mut group_sizes = vec![0; n_groups];
        for &g in groups {
            *group_sizes
                .get_mut(g)
                .ok_or(TransportError::GroupOutOfRange { group: g, n_groups })? += 1;
        }
        Ok(Self {
            kernel,
            cfg,
            group_of: groups.to_vec(),
            weight: weights.to_vec(),
            next: 0,
            block: 0,
            ring: VecDeque::new(),
            spare: Vec::new(),
            scratch: vec![0.0; n_groups],
            data: BlockedCurves::new(kernel, dt_sample_ps, cfg.max_lag, cfg.n_blocks, group_sizes),
        })
    }

    /// Feeds the next sample: one vector per tracked vector, in the constructor's order.
    pub fn push(&mut self, vectors: &[[f64; 3]]) -> Result<()> {
        if vectors.len() != self.group_of.len() {
            return Err(TransportError::WrongLength {
                expected: self.group_of.len(),
                got: vectors.len(),
            });
        }
        if self.next >= self.cfg.n_samples {
            return Err(TransportError::TooManySamples {
                n_samples: self.cfg.n_samples,
            });
        }
        let t = self.next;
        while t >= self.cfg.block_start(self.block + 1) {
            self.block += 1;
        }
        let block_start = self.cfg.block_start(self.block);
        let block_end = self.cfg.block_start(self.block + 1);
        if (t - block_start).is_multiple_of(self.cfg.origin_every) {
            let mut stored = self.spare.pop().unwrap_or_default();
            stored.clear();
            stored.extend_from_slice(vectors);
            self.ring.push_back(Origin {
                t,
                end: (t + self.cfg.max_lag + 1).min(block_end),
                block: self.block,
                vectors: stored,
            });
        }

        let n_lags = self.cfg.max_lag + 1;
        let n_groups = self.data.n_groups;
        for origin in &self.ring {
            let lag = t - origin.t;
            self.scratch.fill(0.0);
            for (k, (a0, a)) in origin.vectors.iter().zip(vectors).enumerate() {
                self.scratch[self.group_of[k]] += self.weight[k] * self.kernel.eval(a0, a);
            }
            for (g, s) in self.scratch.iter().enumerate() {
                self.data.sums[(origin.block * n_groups + g) * n_lags + lag] += s;
            }
            self.data.counts[origin.block * n_lags + lag] += 1;
        }
        // Origins expire in creation order (their `end` never decreases), so pop the front.
        while self.ring.front().is_some_and(|o| o.end <= t + 1) {
            if let Some(o) = self.ring.pop_front() {
                self.spare.push(o.vectors);
            }
        }
        self.next += 1;
        Ok(())
    }

    /// Number of samples pushed so far.
    pub fn samples_pushed(&self) -> usize {
        self.next
    }

    /// Number of origins currently stored (memory is this × number of tracked vectors).
    pub fn active_origins(&self) -> usize {
        self.ring.len()
    }

    pub fn config(&self) -> &WindowConfig {
        &self.cfg
    }

    /// The raw per-block accumulations (what estimators and `mdsim analyze` work from).
    pub fn data(&self) -> &BlockedCurves {
        &self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_layout_and_counts() {
        let cfg = WindowConfig::new(103, 4, 10);
        cfg.validate().unwrap();
        let mut c = WindowedCorrelator::new(Kernel::Dot, &[0], &[1.0], 1, 0.5, cfg).unwrap();
        for _ in 0..103 {
            c.push(&[[1.0, 0.0, 0.0]]).unwrap();
            assert!(c.active_origins() <= (10 + 1usize).div_ceil(4));
        }
        let d = c.data();
        for b in 0..5 {
            let (s, e) = (cfg.block_start(b), cfg.block_start(b + 1));
            for lag in 0..=10 {
                let expected = (s..e).step_by(4).filter(|t0| t0 + lag < e).count() as u64;
                assert_eq!(d.count(b, lag), expected, "block {b} lag {lag}");
            }
        }
        assert_eq!(d.reported_lags(), 11);
        assert!(d.pooled_mean(0).iter().all(|&z| (z - 1.0).abs() < 1e-15));
        assert!(matches!(
            c.push(&[[0.0; 3]]),
            Err(TransportError::TooManySamples { .. })
        ));
    }

    #[test]
    fn weights_give_weighted_sums() {
        // Two vectors in one group with weights 2 and 3: Σ w |Δa|².
        let cfg = WindowConfig::new(20, 1, 3).with_blocks(2);
        let mut c = WindowedCorrelator::new(
            Kernel::SquaredDisplacement,
            &[0, 0],
            &[2.0, 3.0],
            1,
            1.0,
            cfg,
        )
        .unwrap();
        for t in 0..20 {
            let t = t as f64;
            c.push(&[[t, 0.0, 0.0], [0.0, 2.0 * t, 0.0]]).unwrap();
        }
        let m = c.data().pooled_mean(0);
        for (lag, v) in m.iter().enumerate() {
            let l = lag as f64;
            assert!((v - (2.0 * l * l + 3.0 * 4.0 * l * l)).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_settings_are_errors() {
        let g = [0usize];
        let w = [1.0];
        let k = Kernel::Dot;
        assert!(WindowedCorrelator::new(
            k,
            &g,
            &w,
            1,
            1.0,
            WindowConfig::new(100, 1, 10).with_blocks(1)
        )
        .is_err());
        assert!(WindowedCorrelator::new(k, &g, &w, 1, 1.0, WindowConfig::new(100, 0, 10)).is_err());
        assert!(WindowedCorrelator::new(k, &g, &w, 1, 1.0, WindowConfig::new(100, 1, 20)).is_err());
        assert!(WindowedCorrelator::new(k, &g, &w, 1, 0.0, WindowConfig::new(100, 1, 10)).is_err());
        assert!(
            WindowedCorrelator::new(k, &[1], &w, 1, 1.0, WindowConfig::new(100, 1, 10)).is_err()
        );
        assert!(
            WindowedCorrelator::new(k, &[], &[], 1, 1.0, WindowConfig::new(100, 1, 10)).is_err()
        );
        let mut c =
            WindowedCorrelator::new(k, &g, &w, 1, 1.0, WindowConfig::new(100, 1, 10)).unwrap();
        assert_eq!(
            c.push(&[[0.0; 3], [0.0; 3]]),
            Err(TransportError::WrongLength {
                expected: 1,
                got: 2
            })
        );
    }
}
