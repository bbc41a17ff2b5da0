//! The real-space part of Ewald Coulomb, evaluated in the pair loop together with the
//! short-range terms (the reciprocal part is in `ewald`).

use crate::erfc::erfc_and_exp;
use crate::units::COULOMB_EV_A;
use std::f64::consts::PI;

/// k_e q_i q_j erfc(αr)/r for r below the real-space cutoff.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RealSpaceCoulomb {
    alpha: f64,
    /// Real-space cutoff², Å².
    pub rc2: f64,
    /// 2 k_e α/√π, for the force.
    two_ke_alpha_over_sqrt_pi: f64,
}

impl RealSpaceCoulomb {
    /// Splitting parameter α (1/Å) and real-space cutoff (Å).
    pub fn new(alpha: f64, cutoff: f64) -> Self {
        Self {
            alpha,
            rc2: cutoff * cutoff,
            two_ke_alpha_over_sqrt_pi: 2.0 * COULOMB_EV_A * alpha / PI.sqrt(),
        }
    }

    /// Energy (eV) and −(dU/dr)/r (eV/Å²) of charges with product `qq` (e²) at squared
    /// distance `r2` (Å²); the caller applies the cutoff.
    #[inline(always)]
    pub fn pair(&self, qq: f64, r2: f64) -> (f64, f64) {
        let r = r2.sqrt();
        let inv_r = 1.0 / r;
        let (erfc, ex) = erfc_and_exp(self.alpha * r);
        let energy = COULOMB_EV_A * qq * erfc * inv_r;
        let f_over_r = (energy + qq * self.two_ke_alpha_over_sqrt_pi * ex) * inv_r * inv_r;
        (energy, f_over_r)
    }
}
