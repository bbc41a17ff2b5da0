//! Estimators from the accumulated (or stored) data: σ, σ_tr, H_R, D*, D_σ, Green–Kubo.

use serde::{Deserialize, Serialize};

use super::accumulator::{frame_shift, weighted_sum};
use super::config::{frame_weights, ReferenceFrame};
use super::green_kubo::{
    current_coherence, green_kubo_integral, GreenKuboIntegral, MIN_CURRENT_COHERENCE,
};
use crate::correlator::BlockedCurves;
use crate::fit::{
    choose_window_from, FitWindow, FitWindowSpec, WindowChoice, CONDUCTIVITY_MIN_START_FRACTION,
};
use crate::spectral::{fit_zero_frequency, SpectralFit, SpectralOptions, Spectrum};
use crate::stats::{mean, ols_slope, sample_std, t975};
use crate::units::{conductivity_s_cm, CM2_PER_S_PER_A2_PER_PS, EINSTEIN_FACTOR};
use crate::{Estimate, Result, TransportError};

/// The species of the system as the estimators need them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    pub names: Vec<String>,
    /// Transport charges (e).
    pub charges: Vec<f64>,
    pub masses: Vec<f64>,
    pub diffusing: Vec<bool>,
    pub frame: ReferenceFrame,
    pub group_sizes: Vec<usize>,
    pub volume_a3: f64,
}

/// Everything the estimators work from; serialise it to recompute estimates later
/// (`mdsim analyze`: another fit window, replicas combined) or to checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConductivityData {
    pub system: SystemInfo,
    /// MD time step (ps).
    pub dt_ps: f64,
    pub n_steps: u64,
    pub n_blocks: usize,
    /// Steps between the samples of `group_sums`, `tracer` and `collective`.
    pub sample_every: u64,
    /// `group_sums[g][k]` = Σ_{i∈g} Δr_i at sample k (Å, lab frame).
    pub group_sums: Vec<Vec<[f64; 3]>>,
    /// Per-atom mean MSD of every species relative to the reference frame (Å²).
    pub tracer: BlockedCurves,
    /// Collective MSDs: group 0 = |Σ q Δr|² (e²Å²), group 1 + g = |Σ_{i∈g}(Δr_i − Δr_F)|² (Å²).
    pub collective: BlockedCurves,
    /// ⟨J(0)·J(t)⟩ with J = Σ q v (e²Å²/ps²), lags in MD steps.
    pub current_acf: BlockedCurves,
}

/// Settings of the analysis; the defaults need no user choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOptions {
    /// Fit window of the tracer and Einstein MSD slopes (automatic: where the MSD of the
    /// diffusing species becomes linear, to the longest lag).
    pub fit_window: FitWindowSpec,
    /// Relative error the "how much longer" advice aims at.
    pub target_relative_error: f64,
    /// The spectral (default) σ estimator.
    pub spectral: SpectralOptions,
    /// Upper limit of the Green–Kubo integral, ps (default: where the running integral levels
    /// off, see `green_kubo.rs`).
    pub green_kubo_to_ps: Option<f64>,
    /// The current J was pushed as instantaneous velocities (MD, trajectories): the
    /// Green–Kubo σ then needs a sampling that resolves its correlation. `false` for a
    /// block-averaged current (displacement increments / Δt, as synthetic benchmarks feed
    /// it), whose discrete integral is exact at any spacing.
    #[serde(default = "instantaneous")]
    pub instantaneous_current: bool,
}

fn instantaneous() -> bool {
    true
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            fit_window: FitWindowSpec::Auto,
            target_relative_error: 0.10,
            spectral: SpectralOptions::default(),
            green_kubo_to_ps: None,
            instantaneous_current: true,
        }
    }
}

/// How much more data would bring a relative error down to the target (errors fall as
/// 1/√(run length) and 1/√(replicas)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ToTarget {
    pub target_relative_error: f64,
    pub relative_error: f64,
    /// (relative error / target)²: the needed total run length in units of this run.
    pub run_length_factor: f64,
    /// Additional production time needed (ps), 0 if the target is met.
    pub extra_ps: f64,
    /// Independent replicas of this length (this one included) that reach the target.
    pub replicas: u64,
}

impl ToTarget {
    fn new(e: Estimate, target: f64, run_ps: f64) -> Self {
        let rel = (e.stderr / e.value).abs();
        let factor = (rel / target).powi(2);
        let finite = factor.is_finite();
        Self {
            target_relative_error: target,
            relative_error: rel,
            run_length_factor: factor,
            extra_ps: if finite {
                run_ps * (factor - 1.0).max(0.0)
            } else {
                f64::INFINITY
            },
            replicas: if finite {
                factor.ceil().max(1.0) as u64
            } else {
                u64::MAX
            },
        }
    }
}

/// The default σ: spectral fit of the polarization increments (see [`crate::spectral`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralConductivity {
    pub s_cm: Estimate,
    pub fit: SpectralFit,
    pub to_target: ToTarget,
}

/// σ from the slope of the collective MSD in independent blocks (Einstein–Helfand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EinsteinConductivity {
    pub s_cm: Estimate,
    pub n_blocks: usize,
    pub block_values_s_cm: Vec<f64>,
    pub window: FitWindow,
    pub to_target: ToTarget,
}

/// σ from the running integral of ⟨J(0)·J(t)⟩ in independent blocks (Green–Kubo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GreenKuboConductivity {
    /// Mean of the blocks; the error combines their spread with `tail_stderr_s_cm`.
    pub s_cm: Estimate,
    pub n_blocks: usize,
    pub block_values_s_cm: Vec<f64>,
    /// Upper limit t* of the integral.
    pub integrated_to_ps: f64,
    /// Standard error of the part from t* to 2t*, which is not integrated (0 for a limit
    /// given by the user).
    #[serde(default)]
    pub tail_stderr_s_cm: f64,
}

/// σ_tr = Σ_{s∈D} q_s² N_s D*_s / (Ω k_B T) from independent blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracerConductivity {
    pub s_cm: Estimate,
    pub n_blocks: usize,
    pub block_values_s_cm: Vec<f64>,
    pub to_target: ToTarget,
}

/// H_R = σ_tr / σ with the error of the ratio from the delta method, using the correlation of
/// σ_tr and the Einstein σ over the same blocks (the pairs share the trajectory) when it is
/// significant; `block_correlation` is the value used (0 when not significant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HavenRatio {
    pub value: Estimate,
    pub block_correlation: f64,
    pub n_block_pairs: usize,
}

/// Tracer diffusion of one species.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesDiffusion {
    pub species: String,
    pub n_atoms: usize,
    pub diffusing: bool,
    /// D* (cm²/s) when the species measurably moves (one-sided 95 % lower bound > 0).
    pub diffusion_cm2_s: Option<Estimate>,
    /// One-sided 95 % upper bound (cm²/s) when it does not: never a negative D.
    pub upper_bound_cm2_s: Option<f64>,
    /// Mean and standard error of the block values; may be negative for a species that does
    /// not move. For statistics (calibration, replicas), not for display.
    pub block_estimate_cm2_s: Estimate,
    pub n_blocks: usize,
    pub window: FitWindow,
}

/// Collective diffusion D_σ = lim ⟨|Σ_{i∈s}(Δr_i − Δr_F)|²⟩ / (6 N_s t) of one species.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectiveDiffusion {
    pub species: String,
    /// Spectral estimate (cm²/s).
    pub spectral_cm2_s: Option<Estimate>,
    /// Einstein blocks (cm²/s), same window as σ.
    pub einstein_cm2_s: Option<Estimate>,
}

/// Transport charge of one species, as used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesCharge {
    pub species: String,
    pub charge_e: f64,
    pub diffusing: bool,
}

/// Everything the analysis reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConductivityReport {
    pub temperature_k: f64,
    pub volume_a3: f64,
    pub run_ps: f64,
    pub frame: ReferenceFrame,
    pub charges: Vec<SpeciesCharge>,
    /// The default σ (spectral); `None` if the run is too short for any spectral fit.
    pub conductivity: Option<SpectralConductivity>,
    /// False when σ is not resolved (no estimate, or relative error > 100 %); `notes` says
    /// why.
    pub conductivity_resolved: bool,
    pub conductivity_einstein: Option<EinsteinConductivity>,
    pub conductivity_green_kubo: Option<GreenKuboConductivity>,
    pub conductivity_tracer: Option<TracerConductivity>,
    pub haven_ratio: Option<HavenRatio>,
    pub species: Vec<SpeciesDiffusion>,
    pub collective: Vec<CollectiveDiffusion>,
    /// One sentence per flag (unresolved σ, disagreeing estimators, non-linear MSD, …).
    pub notes: Vec<String>,
}

/// σ_tr and σ so far (S/cm), from the blocks with data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningEstimate {
    pub time_ps: f64,
    pub conductivity_tracer_s_cm: Option<Estimate>,
    pub conductivity_s_cm: Option<Estimate>,
}

impl ConductivityData {
    /// Sample interval of the stored series (ps).
    pub fn dt_sample_ps(&self) -> f64 {
        self.dt_ps * self.sample_every as f64
    }

    /// Number of samples stored so far.
    pub fn n_samples(&self) -> usize {
        self.group_sums.first().map_or(0, Vec::len)
    }

    /// Duration covered by the stored samples (ps).
    pub fn run_ps(&self) -> f64 {
        self.n_samples().saturating_sub(1) as f64 * self.dt_sample_ps()
    }

    /// Σ_i q_i Δr_i at every sample (e·Å); ΔP = this / Ω.
    pub fn dipole_series(&self) -> Vec<[f64; 3]> {
        (0..self.n_samples())
            .map(|k| weighted_sum(&self.system.charges, &self.sums_at(k)))
            .collect()
    }

    /// Σ_{i∈g}(Δr_i − Δr_F) at every sample (Å), in the reference frame.
    pub fn species_series(&self, g: usize) -> Vec<[f64; 3]> {
        let s = &self.system;
        let (w, norm) = frame_weights(s.frame, &s.diffusing, &s.charges, &s.masses, &s.group_sizes);
        let n = s.group_sizes[g] as f64;
        (0..self.n_samples())
            .map(|k| {
                let sums = self.sums_at(k);
                let shift = frame_shift(&w, norm, &sums);
                std::array::from_fn(|c| sums[g][c] - n * shift[c])
            })
            .collect()
    }

    fn sums_at(&self, k: usize) -> Vec<[f64; 3]> {
        self.group_sums.iter().map(|s| s[k]).collect()
    }

    pub(crate) fn curves(&self) -> Curves<'_> {
        Curves {
            system: &self.system,
            tracer: &self.tracer,
            collective: &self.collective,
        }
    }

    /// Checks that stored data are consistent (call on data read back from a file).
    pub fn validate(&self) -> Result<()> {
        let s = &self.system;
        let g = s.names.len();
        let n = self.n_samples();
        let ok = [
            s.charges.len(),
            s.masses.len(),
            s.diffusing.len(),
            s.group_sizes.len(),
        ]
        .iter()
        .all(|&l| l == g)
            && self.group_sums.len() == g
            && self.group_sums.iter().all(|x| x.len() == n)
            && self.tracer.n_groups == g
            && self.collective.n_groups == g + 1
            && self.dt_ps > 0.0
            && self.sample_every > 0
            && s.volume_a3 > 0.0;
        if !ok {
            return Err(TransportError::Config(
                "inconsistent conductivity data (species counts, series lengths or sizes \
                 differ); the file is damaged or from another version"
                    .into(),
            ));
        }
        self.tracer.validate()?;
        self.collective.validate()?;
        self.current_acf.validate()
    }

    /// All estimates at temperature `temperature_k` (K; the production mean).
    pub fn analyze(
        &self,
        temperature_k: f64,
        opts: &AnalysisOptions,
    ) -> Result<ConductivityReport> {
        self.validate()?;
        if !(temperature_k > 0.0 && temperature_k.is_finite()) {
            return Err(TransportError::Config(format!(
                "conductivity: temperature must be positive (K), got {temperature_k}"
            )));
        }
        self.check_window(opts.fit_window)?;
        let mut notes = Vec::new();
        let s = &self.system;
        let to_s_cm = |d: f64| conductivity_s_cm(d, s.volume_a3, temperature_k);
        let run_ps = self.run_ps();
        let target = opts.target_relative_error;

        let curves = self.curves();
        let species = curves.species_diffusion(opts.fit_window, &mut notes);
        let tracer = tracer_blocks(&self.tracer, s, &species_windows(&species, s));
        let conductivity_tracer = tracer.as_ref().map(|(blocks, _)| {
            let vals: Vec<f64> = blocks.iter().map(|(_, d)| to_s_cm(*d)).collect();
            let e = estimate_of(&vals);
            TracerConductivity {
                s_cm: e,
                n_blocks: vals.len(),
                block_values_s_cm: vals,
                to_target: ToTarget::new(e, target, run_ps),
            }
        });

        let window = curves.einstein_window(&species, opts.fit_window);
        let einstein = window.as_ref().and_then(|w| {
            let blocks = indexed_block_slopes(&self.collective, 0, w);
            (blocks.len() >= 2).then(|| {
                let vals: Vec<f64> = blocks
                    .iter()
                    .map(|(_, sl)| to_s_cm(sl / EINSTEIN_FACTOR))
                    .collect();
                let e = estimate_of(&vals);
                (
                    blocks,
                    EinsteinConductivity {
                        s_cm: e,
                        n_blocks: vals.len(),
                        block_values_s_cm: vals,
                        window: *w,
                        to_target: ToTarget::new(e, target, run_ps),
                    },
                )
            })
        });

        let spectral_opts = &opts.spectral;
        let conductivity =
            match Spectrum::from_displacements(&self.dipole_series(), self.dt_sample_ps())
                .and_then(|sp| fit_zero_frequency(&sp, spectral_opts))
            {
                Ok(fit) => {
                    let e = Estimate::new(to_s_cm(fit.value.value), to_s_cm(fit.value.stderr));
                    Some(SpectralConductivity {
                        s_cm: e,
                        fit,
                        to_target: ToTarget::new(e, target, run_ps),
                    })
                }
                Err(err) => {
                    notes.push(format!("σ could not be estimated from the spectrum: {err}"));
                    None
                }
            };
        let conductivity_resolved = conductivity
            .as_ref()
            .is_some_and(|c| c.s_cm.value > 0.0 && c.s_cm.stderr <= c.s_cm.value);
        if let Some(c) = conductivity.as_ref().filter(|_| !conductivity_resolved) {
            notes.push(format!(
                "σ is not resolved: its relative error is {:.0} % (> 100 %); run about {:.0}× \
                 longer or combine that many replicas",
                100.0 * c.to_target.relative_error,
                c.to_target.run_length_factor
            ));
        }

        let conductivity_green_kubo =
            self.green_kubo(opts, &mut notes)
                .map(|g| GreenKuboConductivity {
                    s_cm: g.estimate.scaled(to_s_cm(1.0)),
                    n_blocks: g.block_values.len(),
                    block_values_s_cm: g.block_values.iter().map(|d| to_s_cm(*d)).collect(),
                    integrated_to_ps: g.to_ps,
                    tail_stderr_s_cm: to_s_cm(g.tail_stderr),
                });

        if let Some(c) = &conductivity {
            let z = 1.96;
            if let Some((_, e)) = &einstein {
                flag_disagreement(
                    &mut notes,
                    "Einstein",
                    c.s_cm,
                    z,
                    e.s_cm,
                    t975((e.n_blocks - 1) as f64),
                );
            }
            if let Some(g) = &conductivity_green_kubo {
                flag_disagreement(
                    &mut notes,
                    "Green–Kubo",
                    c.s_cm,
                    z,
                    g.s_cm,
                    t975((g.n_blocks - 1) as f64),
                );
            }
        }

        let haven_ratio = match (&conductivity_tracer, &conductivity, &tracer, &einstein) {
            (Some(tr), Some(sig), Some((tb, _)), Some((eb, _))) => {
                Some(haven(tr.s_cm, sig.s_cm, tb, eb))
            }
            _ => None,
        };

        let collective = self.collective_diffusion(window.as_ref(), spectral_opts);
        Ok(ConductivityReport {
            temperature_k,
            volume_a3: s.volume_a3,
            run_ps,
            frame: s.frame,
            charges: (0..s.names.len())
                .map(|g| SpeciesCharge {
                    species: s.names[g].clone(),
                    charge_e: s.charges[g],
                    diffusing: s.diffusing[g],
                })
                .collect(),
            conductivity,
            conductivity_resolved,
            conductivity_einstein: einstein.map(|(_, e)| e),
            conductivity_green_kubo,
            conductivity_tracer,
            haven_ratio,
            species,
            collective,
            notes,
        })
    }

    /// A manual fit window must lie inside the stored lags.
    fn check_window(&self, spec: FitWindowSpec) -> Result<()> {
        if let FitWindowSpec::Manual { start_ps, end_ps } = spec {
            let longest = self.tracer.lag_ps(self.tracer.max_lag);
            if !(start_ps >= 0.0 && end_ps > start_ps && start_ps < longest) {
                return Err(TransportError::Config(format!(
                    "fit window {start_ps} ps .. {end_ps} ps lies outside the stored lags \
                     0 .. {longest} ps (the longest lag is half a block); choose 0 ≤ start < \
                     end with start < {longest} ps"
                )));
            }
        }
        Ok(())
    }

    /// ∫_0^{t*} ⟨J(0)·J(τ)⟩ dτ / 3 (e²Å²/ps) in blocks, t* given or automatic.
    fn green_kubo(
        &self,
        opts: &AnalysisOptions,
        notes: &mut Vec<String>,
    ) -> Option<GreenKuboIntegral> {
        let acf = &self.current_acf;
        let to_ps = opts.green_kubo_to_ps;
        if let Some(t) = to_ps.filter(|&t| t > acf.lag_ps(acf.max_lag)) {
            notes.push(format!(
                "the Green–Kubo integral stops at the longest stored lag {:.3} ps, before the \
                 {t:.3} ps asked for",
                acf.lag_ps(acf.max_lag)
            ));
        }
        let coherence = current_coherence(acf);
        if let (Some(r), true) = (coherence, opts.instantaneous_current) {
            if r < MIN_CURRENT_COHERENCE {
                notes.push(format!(
                    "no Green–Kubo σ: the current sampled every {:.4} ps does not resolve its own \
                     correlation (⟨J(0)·J(Δt)⟩/⟨J²⟩ = {r:.2} < {MIN_CURRENT_COHERENCE}); its \
                     integral would be aliased. Velocities every MD step are needed (a run has \
                     them); σ from the positions (spectral, Einstein) is not affected",
                    acf.dt_ps,
                ));
                return None;
            }
        }
        let g = green_kubo_integral(acf, to_ps)?;
        if !g.levelled_off {
            notes.push(format!(
                "the Green–Kubo running integral did not level off within the stored lags; it is \
                 taken at {:.3} ps and may be biased: run longer",
                g.to_ps
            ));
        }
        Some(g)
    }

    fn collective_diffusion(
        &self,
        window: Option<&FitWindow>,
        opts: &SpectralOptions,
    ) -> Vec<CollectiveDiffusion> {
        let s = &self.system;
        (0..s.names.len())
            .filter(|&g| s.diffusing[g] && s.group_sizes[g] > 0)
            .map(|g| {
                let n = s.group_sizes[g] as f64;
                let scale = CM2_PER_S_PER_A2_PER_PS / n;
                let spectral =
                    Spectrum::from_displacements(&self.species_series(g), self.dt_sample_ps())
                        .and_then(|sp| fit_zero_frequency(&sp, opts))
                        .ok()
                        .map(|f| f.value.scaled(scale));
                let einstein = window.and_then(|w| {
                    let b = indexed_block_slopes(&self.collective, g + 1, w);
                    (b.len() >= 2).then(|| {
                        estimate_of(
                            &b.iter()
                                .map(|(_, sl)| sl / EINSTEIN_FACTOR)
                                .collect::<Vec<_>>(),
                        )
                        .scaled(scale)
                    })
                });
                CollectiveDiffusion {
                    species: s.names[g].clone(),
                    spectral_cm2_s: spectral,
                    einstein_cm2_s: einstein,
                }
            })
            .collect()
    }
}

/// Borrowed view of the block curves the tracer and Einstein estimators need (no copy of the
/// stored series: cheap enough for running estimates).
pub(crate) struct Curves<'a> {
    pub system: &'a SystemInfo,
    pub tracer: &'a BlockedCurves,
    pub collective: &'a BlockedCurves,
}

impl Curves<'_> {
    /// D* of every species with atoms, from the tracer blocks.
    fn species_diffusion(
        &self,
        spec: FitWindowSpec,
        notes: &mut Vec<String>,
    ) -> Vec<SpeciesDiffusion> {
        let s = self.system;
        let mut out = Vec::new();
        for g in 0..s.names.len() {
            if s.group_sizes[g] == 0 {
                continue;
            }
            let pooled = self.tracer.pooled_mean(g);
            let window =
                match conductivity_window(&pooled, self.tracer.dt_ps, self.tracer.max_lag, spec) {
                    Ok(w) => w,
                    Err(e) => {
                        notes.push(format!("D of {}: {e}", s.names[g]));
                        continue;
                    }
                };
            let blocks = indexed_block_slopes(self.tracer, g, &window);
            if blocks.len() < 2 {
                notes.push(format!(
                    "D of {}: fewer than 2 blocks reach the end of the fit window; run longer",
                    s.names[g]
                ));
                continue;
            }
            if window.choice == WindowChoice::AutoNotDiffusive && s.diffusing[g] {
                notes.push(format!(
                    "the MSD of {} never became linear (log-log slope ≈ 1) within the longest \
                     lag ({:.3} ps); D and σ_tr are fitted on its second half and may be biased: \
                     run longer",
                    s.names[g], window.end_ps
                ));
            }
            let vals: Vec<f64> = blocks
                .iter()
                .map(|(_, sl)| sl / EINSTEIN_FACTOR * CM2_PER_S_PER_A2_PER_PS)
                .collect();
            let e = estimate_of(&vals);
            let reported = e.positive_or_upper_bound(vals.len() - 1);
            out.push(SpeciesDiffusion {
                species: s.names[g].clone(),
                n_atoms: s.group_sizes[g],
                diffusing: s.diffusing[g],
                diffusion_cm2_s: reported.ok(),
                upper_bound_cm2_s: reported.err(),
                block_estimate_cm2_s: e,
                n_blocks: vals.len(),
                window,
            });
        }
        out
    }

    /// Window of the Einstein σ: that of the most numerous diffusing species (the collective
    /// curve is too noisy to choose its own), else chosen on the collective curve.
    fn einstein_window(
        &self,
        species: &[SpeciesDiffusion],
        spec: FitWindowSpec,
    ) -> Option<FitWindow> {
        species
            .iter()
            .filter(|d| d.diffusing)
            .max_by_key(|d| d.n_atoms)
            .map(|d| d.window)
            .filter(|w| w.end_lag <= self.collective.max_lag)
            .or_else(|| {
                let pooled = self.collective.pooled_mean(0);
                conductivity_window(
                    &pooled,
                    self.collective.dt_ps,
                    self.collective.max_lag,
                    spec,
                )
                .ok()
            })
    }
}

/// The automatic window ends at this multiple of its start (or at the longest lag): the
/// slope error of a block grows with the window's end, and by 10× the start the MSD has long
/// been linear.
pub const WINDOW_END_OVER_START: usize = 10;

/// Fewest lags in an automatic window.
const MIN_WINDOW_LAGS: usize = 5;

/// Fit window of the conductivity estimators: starts where the MSD becomes linear (log–log
/// slope in [0.9, 1.1], not before 1 % of the longest lag), ends at
/// [`WINDOW_END_OVER_START`] × the start or at the longest lag (half a block). A manual
/// window is used as given (its end clipped to the longest lag).
pub fn conductivity_window(
    curve: &[f64],
    dt_ps: f64,
    max_lag: usize,
    spec: FitWindowSpec,
) -> Result<FitWindow> {
    let mut w = choose_window_from(curve, dt_ps, max_lag, spec, CONDUCTIVITY_MIN_START_FRACTION)?;
    if w.choice == WindowChoice::Auto {
        let end = (WINDOW_END_OVER_START * w.start_lag).max(w.start_lag + MIN_WINDOW_LAGS);
        w.end_lag = w.end_lag.min(end);
        w.end_ps = w.end_lag as f64 * dt_ps;
    }
    Ok(w)
}

/// Mean and standard error of independent values (NaN error for one value).
fn estimate_of(vals: &[f64]) -> Estimate {
    Estimate::from_independent(vals).unwrap_or(Estimate::new(mean(vals), f64::NAN))
}

/// Windows of the diffusing species, by group.
fn species_windows(species: &[SpeciesDiffusion], s: &SystemInfo) -> Vec<(usize, FitWindow)> {
    species
        .iter()
        .filter(|d| d.diffusing)
        .filter_map(|d| {
            s.names
                .iter()
                .position(|n| *n == d.species)
                .map(|g| (g, d.window))
        })
        .collect()
}

/// Per-block slopes of `group` over `window`, for blocks with data to the window's end.
fn indexed_block_slopes(
    data: &BlockedCurves,
    group: usize,
    window: &FitWindow,
) -> Vec<(usize, f64)> {
    let (s, e) = (window.start_lag, window.end_lag);
    if e <= s || e > data.max_lag || group >= data.n_groups {
        return Vec::new();
    }
    let x: Vec<f64> = (s..=e).map(|l| data.lag_ps(l)).collect();
    (0..data.n_blocks)
        .filter(|&b| data.block_lags_with_data(b) > e)
        .filter_map(|b| {
            let y: Vec<f64> = (s..=e)
                .filter_map(|l| data.block_mean(b, group, l))
                .collect();
            ols_slope(&x, &y).map(|sl| (b, sl))
        })
        .collect()
}

/// Per-block charge-weighted tracer sums Σ_s q_s² N_s D*_s (e²Å²/ps) over the blocks where
/// every diffusing species has a slope.
type BlockValues = Vec<(usize, f64)>;

fn tracer_blocks(
    tracer: &BlockedCurves,
    s: &SystemInfo,
    windows: &[(usize, FitWindow)],
) -> Option<(BlockValues, ())> {
    if windows.is_empty() {
        return None;
    }
    let per_species: Vec<(usize, Vec<(usize, f64)>)> = windows
        .iter()
        .map(|(g, w)| (*g, indexed_block_slopes(tracer, *g, w)))
        .collect();
    let blocks: BlockValues = (0..tracer.n_blocks)
        .filter_map(|b| {
            per_species
                .iter()
                .map(|(g, sl)| {
                    sl.iter().find(|(bb, _)| *bb == b).map(|(_, v)| {
                        s.charges[*g].powi(2) * s.group_sizes[*g] as f64 * v / EINSTEIN_FACTOR
                    })
                })
                .sum::<Option<f64>>()
                .map(|v| (b, v))
        })
        .collect();
    (blocks.len() >= 2).then_some((blocks, ()))
}

/// H_R = σ_tr/σ; relative variance r_tr² + r_σ² − 2ρ r_tr r_σ with ρ the correlation of the
/// tracer and Einstein block values over the blocks both have. With few blocks the sample
/// correlation is very noisy (its sd is ~0.5 for 5 pairs) and a spuriously positive value
/// would shrink the error bar, so ρ is used only where it differs from 0 at the 95 % level
/// and taken as 0 otherwise (the estimators share only the self part of σ, ~1/√N_D of it).
fn haven(
    tr: Estimate,
    sigma: Estimate,
    tracer: &BlockValues,
    einstein: &[(usize, f64)],
) -> HavenRatio {
    let pairs: Vec<(f64, f64)> = tracer
        .iter()
        .filter_map(|(b, t)| {
            einstein
                .iter()
                .find(|(bb, _)| bb == b)
                .map(|(_, e)| (*t, *e))
        })
        .collect();
    let rho = correlation(&pairs)
        .filter(|r| r.abs() > critical_correlation(pairs.len()))
        .unwrap_or(0.0)
        .clamp(-1.0, 1.0);
    let h = tr.value / sigma.value;
    let (rt, rs) = (tr.stderr / tr.value, sigma.stderr / sigma.value);
    let rel = (rt * rt + rs * rs - 2.0 * rho * rt * rs).max(0.0).sqrt();
    HavenRatio {
        value: Estimate::new(h, (h * rel).abs()),
        block_correlation: rho,
        n_block_pairs: pairs.len(),
    }
}

/// Smallest |r| of n pairs that differs from 0 at the two-sided 95 % level:
/// r = t / √(n − 2 + t²), t = t_{0.975, n−2}.
fn critical_correlation(n: usize) -> f64 {
    if n < 3 {
        return f64::INFINITY;
    }
    let t = t975((n - 2) as f64);
    t / ((n - 2) as f64 + t * t).sqrt()
}

fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 3 {
        return None;
    }
    let a: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let b: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let (ma, mb) = (mean(&a), mean(&b));
    let cov: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (pairs.len() - 1) as f64;
    let r = cov / (sample_std(&a) * sample_std(&b));
    r.is_finite().then_some(r)
}

fn flag_disagreement(
    notes: &mut Vec<String>,
    name: &str,
    a: Estimate,
    za: f64,
    b: Estimate,
    zb: f64,
) {
    let half = ((za * a.stderr).powi(2) + (zb * b.stderr).powi(2)).sqrt();
    if (a.value - b.value).abs() > half {
        notes.push(format!(
            "σ (spectral) = {:.3e} ± {:.1e} S/cm and σ ({name}) = {:.3e} ± {:.1e} S/cm disagree \
             beyond their 95 % intervals",
            a.value, a.stderr, b.value, b.stderr
        ));
    }
}

/// Running σ_tr and (Einstein) σ from the blocks with data so far.
pub(crate) fn running_estimate(
    curves: &Curves<'_>,
    temperature_k: f64,
    time_ps: f64,
) -> RunningEstimate {
    let s = curves.system;
    let to_s_cm = |d: f64| conductivity_s_cm(d, s.volume_a3, temperature_k);
    let mut notes = Vec::new();
    let species = curves.species_diffusion(FitWindowSpec::Auto, &mut notes);
    let tracer = tracer_blocks(curves.tracer, s, &species_windows(&species, s));
    let tr =
        tracer.map(|(b, _)| estimate_of(&b.iter().map(|(_, d)| to_s_cm(*d)).collect::<Vec<_>>()));
    let sigma = curves
        .einstein_window(&species, FitWindowSpec::Auto)
        .and_then(|w| {
            let b = indexed_block_slopes(curves.collective, 0, &w);
            (b.len() >= 2).then(|| {
                estimate_of(
                    &b.iter()
                        .map(|(_, sl)| to_s_cm(sl / EINSTEIN_FACTOR))
                        .collect::<Vec<_>>(),
                )
            })
        });
    RunningEstimate {
        time_ps,
        conductivity_tracer_s_cm: tr,
        conductivity_s_cm: sigma,
    }
}

/// Mean and standard error over independent replicas (error from their spread; the 95 %
/// interval uses Student's t with replicas − 1 degrees of freedom). `None` for fewer than
/// two replicas.
pub fn combine_replicas(values: &[f64]) -> Option<Estimate> {
    Estimate::from_independent(values)
}

/// σ (S/cm) from the spectra of several equally long replicas averaged (more degrees of
/// freedom per frequency than any single run); all replicas must share the system and
/// sampling. The temperature is their common mean.
pub fn pooled_conductivity(
    replicas: &[ConductivityData],
    temperature_k: f64,
    opts: &SpectralOptions,
) -> Result<SpectralFit> {
    let first = replicas
        .first()
        .ok_or_else(|| TransportError::Config("no replicas to combine".into()))?;
    let spectra = replicas
        .iter()
        .map(|r| {
            r.validate()?;
            if r.system.volume_a3 != first.system.volume_a3
                || r.system.charges != first.system.charges
            {
                return Err(TransportError::Config(
                    "replicas differ in volume or transport charges; they cannot be pooled".into(),
                ));
            }
            Spectrum::from_displacements(&r.dipole_series(), r.dt_sample_ps())
        })
        .collect::<Result<Vec<_>>>()?;
    let fit = fit_zero_frequency(&Spectrum::average(&spectra)?, opts)?;
    let f = conductivity_s_cm(1.0, first.system.volume_a3, temperature_k);
    Ok(SpectralFit {
        value: fit.value.scaled(f),
        ..fit
    })
}

/// The default (spectral) σ in S/cm from a stored ΔP(t) series alone (`polarization.csv`,
/// e/Å², one row per `dt_ps`), e.g. from another engine or when only the series was kept.
/// The series may be thinned (every k-th row) before the call: the increments stay exact.
pub fn conductivity_from_polarization(
    polarization: &[[f64; 3]],
    dt_ps: f64,
    volume_a3: f64,
    temperature_k: f64,
    opts: &SpectralOptions,
) -> Result<SpectralFit> {
    if !(volume_a3 > 0.0 && temperature_k > 0.0) {
        return Err(TransportError::Config(format!(
            "volume ({volume_a3} Å³) and temperature ({temperature_k} K) must be positive"
        )));
    }
    let dipole: Vec<[f64; 3]> = polarization
        .iter()
        .map(|p| p.map(|x| x * volume_a3))
        .collect();
    let fit = fit_zero_frequency(&Spectrum::from_displacements(&dipole, dt_ps)?, opts)?;
    Ok(SpectralFit {
        value: fit
            .value
            .scaled(conductivity_s_cm(1.0, volume_a3, temperature_k)),
        ..fit
    })
}
