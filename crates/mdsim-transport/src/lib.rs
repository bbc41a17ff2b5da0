//! Transport estimators for mdsim: ionic conductivity (full σ, tracer σ_tr, Haven ratio,
//! D* and D_σ) accumulated every MD step ([`conductivity`]), the zero-frequency spectral
//! estimator behind the default σ ([`spectral`]), mean-squared displacements, diffusion
//! coefficients with honest (block) error bars, velocity autocorrelation, and radial
//! distribution functions.
//!
//! This crate depends on no simulation code. It receives plain arrays sampled at a fixed
//! interval (`dt_sample_ps`) — unwrapped positions in Å, velocities in Å/ps, pair distances in
//! Å — so it can also analyse trajectories written by other engines.
//!
//! # Design
//!
//! * [`WindowedCorrelator`] is the one engine behind every time correlation: it tracks `K`
//!   3-vectors (each with a group and a weight), keeps a ring of stored time origins (memory
//!   `K × n_active_origins`), and accumulates per group `Σ_k w_k f(a_k(0), a_k(τ))` with
//!   `f` = squared displacement ([`Kernel::SquaredDisplacement`]) or dot product
//!   ([`Kernel::Dot`]). The production run is split into non-overlapping blocks by origin time;
//!   an origin only contributes lags that end inside its own block, so the blocks are
//!   independent samples and their spread is an honest error bar (DESIGN.md §5).
//! * [`MsdAccumulator`] (weights 1/N_group: per-atom mean MSD) and [`VacfAccumulator`] are thin
//!   wrappers around it. The collective polarization displacement (one "particle" =
//!   Σ q_i r_i, weight 1) goes through the same correlator.
//! * The raw per-block sums ([`BlockedCurves`]) are serialisable, so estimates can be
//!   recomputed later (`mdsim analyze`) with another fit window, and per-block slopes
//!   ([`block_slopes`]) are the building block for σ, replicas and Haven ratios.
//! * Every reported number is an [`Estimate`] `{ value, stderr }`; the stderr always comes from
//!   independent blocks (never from the ordinary least-squares fit of a correlated curve).
//!
//! # Example
//!
//! ```
//! use mdsim_transport::{FitWindowSpec, MsdAccumulator, WindowConfig};
//!
//! // 2 atoms of group 0 and 1 atom of group 1, 1000 samples every 0.01 ps.
//! let groups = [0, 0, 1];
//! let n_samples = 1000;
//! let cfg = WindowConfig::new(n_samples, 5, 100); // origin every 5 samples, lags up to 100
//! let mut msd = MsdAccumulator::new(&groups, 2, 0.01, cfg).unwrap();
//! for step in 0..n_samples {
//!     let t = step as f64 * 0.01;
//!     let positions = [[t, 0.0, 0.0], [0.0, 2.0 * t, 0.0], [0.0, 0.0, 0.0]];
//!     msd.push(&positions).unwrap();
//! }
//! let curve = msd.curve(); // all-origins MSD, for msd.csv
//! let csv = curve.to_csv(&["Li", "O"]);
//! assert!(csv.starts_with("lag_ps,msd_Li_A2"));
//! let d = msd.diffusion(FitWindowSpec::Auto).unwrap(); // one entry per non-empty group
//! println!("D(Li) = {} ± {} cm²/s", d[0].d_cm2_s.value, d[0].d_cm2_s.stderr);
//! ```

pub mod conductivity;
mod correlator;
mod csv;
mod error;
mod estimate;
mod fit;
mod linalg;
mod msd;
mod rdf;
pub mod spectral;
pub mod stats;
pub mod units;
mod vacf;

pub use correlator::{BlockedCurves, Kernel, WindowConfig, WindowedCorrelator};
pub use error::TransportError;
pub use estimate::Estimate;
pub use fit::{
    block_integrals, block_slopes, choose_window, choose_window_from, local_loglog_slopes,
    FitWindow, FitWindowSpec, WindowChoice, AUTO_MIN_START_FRACTION, AUTO_SLOPE_BAND,
    AUTO_SMOOTHING_RATIO, CONDUCTIVITY_MIN_START_FRACTION,
};
pub use msd::{diffusion_from_msd, Diffusion, MsdAccumulator, MsdCurve};
pub use rdf::{first_peak, Peak, Rdf, RdfPair, RdfResult};
pub use stats::{student_t_quantile, t975};
pub use vacf::{vacf_summary, VacfAccumulator, VacfCurve, VacfSummary};

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, TransportError>;
