//! Units and fixed numerical factors of this crate, in one place (DESIGN.md §2).
//!
//! Internally everything is in mdsim "metal" units: length Å, time ps, so an MSD is in Å²,
//! a velocity autocorrelation in Å²/ps² and a diffusion coefficient in Å²/ps. Reported
//! diffusion coefficients are also given in cm²/s.

/// 1 Å²/ps in cm²/s: (1e-8 cm)² / 1e-12 s = 1e-4 cm²/s.
pub const CM2_PER_S_PER_A2_PER_PS: f64 = 1e-4;

/// Spatial dimension. Einstein: MSD(t) → 2·d·D·t; Green–Kubo: D = (1/d) ∫ Z(t) dt.
pub const DIMENSIONS: f64 = 3.0;

/// Einstein factor 2·d: D = (slope of the per-particle MSD) / 6 in three dimensions.
pub const EINSTEIN_FACTOR: f64 = 2.0 * DIMENSIONS;

/// Converts a diffusion coefficient from Å²/ps to cm²/s.
pub fn a2_ps_to_cm2_s(d_a2_ps: f64) -> f64 {
    d_a2_ps * CM2_PER_S_PER_A2_PER_PS
}
