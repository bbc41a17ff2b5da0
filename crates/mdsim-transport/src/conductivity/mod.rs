//! Ionic conductivity on the fly: ΔP(t), the charge current, tracer and collective MSDs,
//! and the estimators σ, σ_tr, Haven ratio, D*, D_σ with calibrated errors (DESIGN.md §5).
//!
//! # Use
//!
//! 1. Build a [`ConductivityConfig`] (per-atom species, per-species transport charges,
//!    masses and "diffusing" flags, reference frame, volume, time step, number of production
//!    steps, number of blocks) and a [`ConductivityAccumulator`] from it.
//! 2. At **every** production step (step 0 included: `n_steps + 1` calls) call
//!    [`ConductivityAccumulator::push`] with the unwrapped positions (Å) and velocities
//!    (Å/ps). It returns a [`StepRecord`] (ΔP and J of the step); write it with
//!    [`SeriesWriter`] to `polarization.csv` and `current.csv`.
//! 3. At thermo steps, [`ConductivityAccumulator::running`] gives σ_tr and σ so far (block
//!    Einstein estimates, with errors once two blocks have data).
//! 4. At the end, [`ConductivityAccumulator::data`] gives a serialisable
//!    [`ConductivityData`]; [`ConductivityData::analyze`] with the production mean
//!    temperature returns the [`ConductivityReport`]. The same call on data read back from a
//!    file, with other [`AnalysisOptions`], is `mdsim analyze`; [`combine_replicas`] and
//!    [`pooled_conductivity`] combine runs.
//!
//! # Estimators
//!
//! * **σ (default)**: spectral fit of the polarization increments near zero frequency
//!   ([`crate::spectral`], the method of STACIE): no window or cutoff to choose, and on the
//!   caged-hopper benchmark about half the scatter of 5-block Einstein at the same coverage.
//! * σ (Einstein): slope of ⟨|Σ q Δr|²⟩ in independent blocks over the fit window; σ
//!   (Green–Kubo): ∫⟨J(0)·J(t)⟩dt/3 in independent blocks, up to where the running integral
//!   has stopped changing (`green_kubo.rs`).
//!   Both are reported beside the default and a note flags disagreement.
//! * σ_tr = Σ_{s∈D} q_s² N_s D*_s/(Ω k_B T) and D* per species from the per-atom MSD in
//!   the reference frame, slope per block over the window; the window starts where the MSD
//!   of the diffusing species becomes linear (log–log slope in [0.9, 1.1]) and ends at the
//!   longest lag (half a block).
//! * H_R = σ_tr/σ, error by the delta method with the block correlation of σ_tr and σ.
//! * Species that do not measurably move get a one-sided 95 % upper bound, never a negative D.
//!
//! # Cost and memory
//!
//! Per step: one pass over the atoms (6 additions each), a few 3-vector operations, and the
//! current autocorrelation (≤ [`CURRENT_ORIGINS`] + 1 dot products of 3-vectors). Every
//! `sample_every` steps: a second pass over the atoms and the tracer MSD against ≤
//! [`TRACER_ORIGINS`] + 1 stored origins. `sample_every` is the larger of
//! ⌈n_steps / 65,535⌉ (memory) and ⌈N_atoms × 33 / [`TRACER_EVALS_PER_STEP`]⌉ (cost): 12 for
//! the 2,970-atom model cell, 30 for 7,392 ions; the sampled displacements are exact, so
//! nothing aliases at zero frequency.
//!
//! Memory: 3 × N_atoms × (TRACER_ORIGINS + 3) numbers for the tracer, 3 × n_species numbers
//! per sample (≤ 65,536 samples), block sums of the n_species tracer and n_species + 1
//! collective curves (lags up to half a block), and the current ACF (≤ 16,385 lags). For
//! 7,392 ions, 4 species, 1 ns at 1 fs (sampled every 30 steps, 33,334 samples): 6.0 MB of
//! tracer origins + 3.2 MB of species series + 1.5 MB of MSD block sums + 1.3 MB of current
//! ACF ≈ 12 MB; beyond 65,536 × sample_every steps it no longer grows with the run length.

mod accumulator;
mod analysis;
mod config;
mod green_kubo;
mod series;

pub use accumulator::{
    ConductivityAccumulator, SamplingLayout, StepRecord, COLLECTIVE_ORIGINS, CURRENT_MAX_LAG_STEPS,
    CURRENT_ORIGINS, MAX_SAMPLES, TRACER_ORIGINS,
};
pub use analysis::{
    combine_replicas, conductivity_from_polarization, conductivity_window, pooled_conductivity,
    AnalysisOptions, CollectiveDiffusion, ConductivityData, ConductivityReport,
    EinsteinConductivity, GreenKuboConductivity, HavenRatio, RunningEstimate, SpeciesCharge,
    SpeciesDiffusion, SpectralConductivity, SystemInfo, ToTarget, TracerConductivity,
};
pub use config::{ConductivityConfig, ReferenceFrame, DEFAULT_N_BLOCKS, MIN_SAMPLES_PER_BLOCK};
pub use series::{push_row, read_series, SeriesWriter, CURRENT_HEADER, POLARIZATION_HEADER};
