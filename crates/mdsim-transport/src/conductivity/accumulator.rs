//! The streaming conductivity accumulator, fed at every MD step.

use serde::{Deserialize, Serialize};

use super::analysis::{running_estimate, ConductivityData, Curves, RunningEstimate, SystemInfo};
use super::config::{frame_weights, ConductivityConfig, MIN_SAMPLES_PER_BLOCK};
use crate::correlator::{per_atom_mean_weights, Kernel, WindowConfig, WindowedCorrelator};
use crate::{Result, TransportError};

/// Most sampled points kept in memory per series. Longer runs are sampled every few steps;
/// the displacements between samples are exact, so nothing aliases at zero frequency.
pub const MAX_SAMPLES: u64 = 65_536;

/// Stored time origins of the tracer MSD (memory N_atoms × 3 × this).
pub const TRACER_ORIGINS: usize = 32;

/// Stored time origins of the collective MSDs (one vector per species and ΔP).
pub const COLLECTIVE_ORIGINS: usize = 256;

/// Longest lag of the charge-current autocorrelation, in MD steps.
pub const CURRENT_MAX_LAG_STEPS: usize = 16_384;

/// Stored time origins of the charge-current autocorrelation.
pub const CURRENT_ORIGINS: usize = 1024;

/// Budget of tracer squared displacements per MD step: large cells are sampled every few
/// steps so that N_atoms × (TRACER_ORIGINS + 1) / sample_every stays below this.
pub const TRACER_EVALS_PER_STEP: usize = 8192;

/// What one step adds to the written series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Production step (0 = first push).
    pub step: u64,
    pub time_ps: f64,
    /// ΔP(t) = (1/Ω) Σ_i q_i Δr_i(t), e/Å².
    pub polarization: [f64; 3],
    /// J(t) = Σ_i q_i v_i(t), e·Å/ps.
    pub current: [f64; 3],
}

/// Where the sampled series and correlators sit in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingLayout {
    /// Steps between samples of the displacement series, tracer and collective MSDs.
    pub sample_every: u64,
    /// Number of samples (`n_steps / sample_every + 1`).
    pub n_samples: usize,
    /// Tracer/collective windows: longest lag, origin spacing (samples).
    pub msd: WindowConfig,
    /// Current autocorrelation (in steps).
    pub current: WindowConfig,
    pub tracer_origin_every: usize,
}

impl SamplingLayout {
    /// `every_push`: no thinning for cost (only for memory, beyond [`MAX_SAMPLES`]).
    fn new(cfg: &ConductivityConfig, every_push: bool) -> Result<Self> {
        let for_memory = cfg.n_steps.div_ceil(MAX_SAMPLES - 1);
        let for_cost = if every_push {
            1
        } else {
            (cfg.groups.len() * (TRACER_ORIGINS + 1)).div_ceil(TRACER_EVALS_PER_STEP)
        };
        let sample_every = for_memory.max(for_cost as u64).max(1);
        let n_samples = (cfg.n_steps / sample_every) as usize + 1;
        let per_block = n_samples / cfg.n_blocks;
        if per_block < MIN_SAMPLES_PER_BLOCK {
            return Err(TransportError::RunTooShort(format!(
                "{} production steps in {} blocks leave {per_block} samples per block (one every {} \
                 steps); at least {MIN_SAMPLES_PER_BLOCK} are needed: run at least \
                 {} steps or use fewer blocks",
                cfg.n_steps,
                cfg.n_blocks,
                sample_every,
                (MIN_SAMPLES_PER_BLOCK * cfg.n_blocks) as u64 * sample_every
            )));
        }
        let max_lag = per_block / 2;
        let msd = WindowConfig {
            n_samples,
            origin_every: (max_lag / COLLECTIVE_ORIGINS).max(1),
            max_lag,
            n_blocks: cfg.n_blocks,
        };
        let n_frames = cfg.n_steps as usize + 1;
        let gk_lag = (n_frames / cfg.n_blocks / 2).clamp(1, CURRENT_MAX_LAG_STEPS);
        let current = WindowConfig {
            n_samples: n_frames,
            origin_every: gk_lag.div_ceil(CURRENT_ORIGINS).max(1),
            max_lag: gk_lag,
            n_blocks: cfg.n_blocks,
        };
        Ok(Self {
            sample_every,
            n_samples,
            msd,
            current,
            tracer_origin_every: (max_lag / TRACER_ORIGINS).max(1),
        })
    }
}

/// Conductivity accumulator: fed with the unwrapped positions and velocities at every MD
/// step, it returns ΔP(t) and J(t) for the written series and keeps, in bounded memory,
/// what the estimators need: per-species displacement sums every `sample_every` steps, the
/// tracer MSD per species relative to the reference frame and the collective MSDs (block
/// sums), and the block sums of ⟨J(0)·J(t)⟩. See the module docs for cost and memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConductivityAccumulator {
    cfg: ConductivityConfig,
    layout: SamplingLayout,
    group_sizes: Vec<usize>,
    /// Weight of each group in the reference-frame average (0 outside the framework) and the
    /// normalisation Σ weight × N.
    frame_weight: Vec<f64>,
    frame_norm: f64,
    /// Positions at the first push (Å).
    origin: Vec<[f64; 3]>,
    pushed: u64,
    /// Per-species displacement sums Σ_{i∈g} Δr_i (Å), lab frame, one per sample.
    group_sums: Vec<Vec<[f64; 3]>>,
    tracer: WindowedCorrelator,
    collective: WindowedCorrelator,
    current: WindowedCorrelator,
    #[serde(skip)]
    scratch: Scratch,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Scratch {
    sums: Vec<[f64; 3]>,
    vel: Vec<[f64; 3]>,
    relative: Vec<[f64; 3]>,
    vectors: Vec<[f64; 3]>,
}

impl ConductivityAccumulator {
    /// Validates `cfg` and lays out the sampling.
    pub fn new(cfg: ConductivityConfig) -> Result<Self> {
        Self::with_sampling(cfg, false)
    }

    /// For states that are already thinned, such as the frames of a stored trajectory
    /// (`mdsim analyze --trajectory`): every push is a sample, whatever the number of atoms
    /// (the tracer MSD then costs N_atoms × ([`TRACER_ORIGINS`] + 1) squared displacements
    /// a push, far less than reading a frame). Beyond [`MAX_SAMPLES`] pushes they are thinned
    /// for memory as in [`ConductivityAccumulator::new`].
    pub fn for_frames(cfg: ConductivityConfig) -> Result<Self> {
        Self::with_sampling(cfg, true)
    }

    fn with_sampling(cfg: ConductivityConfig, every_push: bool) -> Result<Self> {
        cfg.validate()?;
        let layout = SamplingLayout::new(&cfg, every_push)?;
        let n_groups = cfg.names.len();
        let group_sizes = cfg.group_sizes();
        let (frame_weight, frame_norm) = frame_weights(
            cfg.frame,
            &cfg.diffusing,
            &cfg.charges,
            &cfg.masses,
            &group_sizes,
        );
        let dt_sample = cfg.dt_ps * layout.sample_every as f64;
        let tracer_cfg = WindowConfig {
            origin_every: layout.tracer_origin_every,
            ..layout.msd
        };
        let tracer = WindowedCorrelator::new(
            Kernel::SquaredDisplacement,
            &cfg.groups,
            &per_atom_mean_weights(&cfg.groups, n_groups),
            n_groups,
            dt_sample,
            tracer_cfg,
        )?;
        // Collective vectors: 0 = Σ q Δr (e·Å), 1 + g = Σ_{i∈g} (Δr_i − Δr_F) (Å).
        let coll_groups: Vec<usize> = (0..=n_groups).collect();
        let collective = WindowedCorrelator::new(
            Kernel::SquaredDisplacement,
            &coll_groups,
            &vec![1.0; n_groups + 1],
            n_groups + 1,
            dt_sample,
            layout.msd,
        )?;
        let current =
            WindowedCorrelator::new(Kernel::Dot, &[0], &[1.0], 1, cfg.dt_ps, layout.current)?;
        Ok(Self {
            group_sums: vec![Vec::with_capacity(layout.n_samples); n_groups],
            cfg,
            layout,
            group_sizes,
            frame_weight,
            frame_norm,
            origin: Vec::new(),
            pushed: 0,
            tracer,
            collective,
            current,
            scratch: Scratch::default(),
        })
    }

    pub fn config(&self) -> &ConductivityConfig {
        &self.cfg
    }

    pub fn layout(&self) -> &SamplingLayout {
        &self.layout
    }

    /// Number of pushes so far.
    pub fn steps_pushed(&self) -> u64 {
        self.pushed
    }

    /// Feeds the state after the next MD step (the first call: the state at step 0).
    /// `positions` must be unwrapped (Å), `velocities` in Å/ps, one per atom in the
    /// constructor's order. Returns ΔP and J of this step for the written series.
    pub fn push(&mut self, positions: &[[f64; 3]], velocities: &[[f64; 3]]) -> Result<StepRecord> {
        let n = self.cfg.groups.len();
        for len in [positions.len(), velocities.len()] {
            if len != n {
                return Err(TransportError::WrongLength {
                    expected: n,
                    got: len,
                });
            }
        }
        if self.pushed > self.cfg.n_steps {
            return Err(TransportError::TooManySamples {
                n_samples: self.cfg.n_steps as usize + 1,
            });
        }
        if self.pushed == 0 {
            self.origin = positions.to_vec();
        }
        let n_groups = self.cfg.names.len();
        let s = &mut self.scratch;
        s.sums.clear();
        s.sums.resize(n_groups, [0.0; 3]);
        s.vel.clear();
        s.vel.resize(n_groups, [0.0; 3]);
        for (i, &g) in self.cfg.groups.iter().enumerate() {
            let (r, r0, v) = (positions[i], self.origin[i], velocities[i]);
            for c in 0..3 {
                s.sums[g][c] += r[c] - r0[c];
                s.vel[g][c] += v[c];
            }
        }
        let q = &self.cfg.charges;
        let dipole = weighted_sum(q, &s.sums);
        let current = weighted_sum(q, &s.vel);
        self.current.push(&[current])?;
        let step = self.pushed;
        if step.is_multiple_of(self.layout.sample_every) {
            self.sample(positions)?;
        }
        self.pushed += 1;
        let inv_vol = 1.0 / self.cfg.volume_a3;
        Ok(StepRecord {
            step,
            time_ps: step as f64 * self.cfg.dt_ps,
            polarization: dipole.map(|x| x * inv_vol),
            current,
        })
    }

    /// Sampled step: stores the species sums and feeds the MSD correlators.
    fn sample(&mut self, positions: &[[f64; 3]]) -> Result<()> {
        let s = &mut self.scratch;
        for (series, sum) in self.group_sums.iter_mut().zip(&s.sums) {
            series.push(*sum);
        }
        let shift = frame_shift(&self.frame_weight, self.frame_norm, &s.sums);
        s.vectors.clear();
        s.vectors.push(weighted_sum(&self.cfg.charges, &s.sums));
        for (sum, &n) in s.sums.iter().zip(&self.group_sizes) {
            s.vectors
                .push(std::array::from_fn(|c| sum[c] - n as f64 * shift[c]));
        }
        self.collective.push(&s.vectors)?;
        s.relative.clear();
        s.relative.extend(
            positions
                .iter()
                .zip(&self.origin)
                .map(|(r, r0)| std::array::from_fn(|c| r[c] - r0[c] - shift[c])),
        );
        self.tracer.push(&s.relative)
    }

    /// Σ_{i∈g} Δr_i (Å, lab frame) of every species at the last sample.
    pub fn last_group_sums(&self) -> Vec<[f64; 3]> {
        self.group_sums
            .iter()
            .map(|s| s.last().copied().unwrap_or([0.0; 3]))
            .collect()
    }

    /// Displacement of the reference frame at the last sample (Å).
    pub fn last_frame_displacement(&self) -> [f64; 3] {
        frame_shift(&self.frame_weight, self.frame_norm, &self.last_group_sums())
    }

    /// σ_tr and σ (S/cm) from the blocks so far, with errors once two blocks have data;
    /// cheap (no spectrum), for progress lines and thermo output.
    pub fn running(&self, temperature_k: f64) -> RunningEstimate {
        let system = self.system_info();
        let curves = Curves {
            system: &system,
            tracer: self.tracer.data(),
            collective: self.collective.data(),
        };
        let time_ps = self.pushed.saturating_sub(1) as f64 * self.cfg.dt_ps;
        running_estimate(&curves, temperature_k, time_ps)
    }

    fn system_info(&self) -> SystemInfo {
        SystemInfo {
            names: self.cfg.names.clone(),
            charges: self.cfg.charges.clone(),
            masses: self.cfg.masses.clone(),
            diffusing: self.cfg.diffusing.clone(),
            frame: self.cfg.frame,
            group_sizes: self.group_sizes.clone(),
            volume_a3: self.cfg.volume_a3,
        }
    }

    /// Everything the estimators need (see [`ConductivityData::analyze`]).
    pub fn data(&self) -> ConductivityData {
        ConductivityData {
            system: self.system_info(),
            dt_ps: self.cfg.dt_ps,
            n_steps: self.cfg.n_steps,
            n_blocks: self.cfg.n_blocks,
            sample_every: self.layout.sample_every,
            group_sums: self.group_sums.clone(),
            tracer: self.tracer.data().clone(),
            collective: self.collective.data().clone(),
            current_acf: self.current.data().clone(),
        }
    }
}

/// Σ_g w_g v_g.
pub(crate) fn weighted_sum(w: &[f64], v: &[[f64; 3]]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (wg, vg) in w.iter().zip(v) {
        for c in 0..3 {
            out[c] += wg * vg[c];
        }
    }
    out
}

/// Reference-frame displacement Σ_g w_g S_g / Σ_g w_g N_g (zero for the lab frame).
pub(crate) fn frame_shift(weight: &[f64], norm: f64, sums: &[[f64; 3]]) -> [f64; 3] {
    if norm == 0.0 {
        return [0.0; 3];
    }
    weighted_sum(weight, sums).map(|x| x / norm)
}
