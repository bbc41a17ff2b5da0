//! The real-space Coulomb term, evaluated in the pair loop together with the short-range
//! terms: k_e q_i q_j erfc(αr)/r for the Ewald methods (plain Ewald and PME share it), and its
//! damped shifted-force form for DSF.

use super::table::Table;
use crate::erfc::erfc_and_exp;
use crate::units::COULOMB_EV_A;
use std::f64::consts::PI;
use std::sync::Arc;

/// The table is used when its largest pair-force error for unit charges is below this
/// fraction of the requested absolute accuracy (accuracy·k_e): even the errors of a thousand
/// neighbours with |q_i q_j| ≤ 9 adding up coherently stay below the request.
pub const TABLE_ERROR_FRACTION: f64 = 1e-4;

/// k_e q_i q_j [erfc(αr)/r − e_s − f_s r] for r below the cutoff, with e_s = f_s = 0 for
/// Ewald and the damped-shifted-force constants for DSF (Fennell & Gezelter, J. Chem. Phys.
/// 124, 234104 (2006), eq. 19; LAMMPS `coul/dsf`): f_s = −[erfc(αR_c)/R_c² +
/// (2α/√π) exp(−α²R_c²)/R_c], e_s = erfc(αR_c)/R_c − f_s R_c, so that energy and force vanish
/// at R_c.
///
/// With a [`Table`] ([`RealSpaceCoulomb::tabulated`]) pairs at r ≥ 0.5 Å are interpolated.
#[derive(Clone, Debug, PartialEq)]
pub struct RealSpaceCoulomb {
    alpha: f64,
    /// Cutoff², Å².
    pub rc2: f64,
    /// 2 k_e α/√π, for the force.
    two_ke_alpha_over_sqrt_pi: f64,
    /// k_e e_s (eV per e²) and k_e f_s (eV/Å per e²); zero for Ewald.
    ke_e_shift: f64,
    ke_f_shift: f64,
    table: Option<Arc<Table>>,
}

impl RealSpaceCoulomb {
    /// The Ewald real-space term: splitting parameter α (1/Å) and real-space cutoff (Å).
    pub fn new(alpha: f64, cutoff: f64) -> Self {
        Self {
            alpha,
            rc2: cutoff * cutoff,
            two_ke_alpha_over_sqrt_pi: 2.0 * COULOMB_EV_A * alpha / PI.sqrt(),
            ke_e_shift: 0.0,
            ke_f_shift: 0.0,
            table: None,
        }
    }

    /// The damped shifted-force term with damping α (1/Å) and cutoff R_c (Å).
    pub fn damped_shifted_force(alpha: f64, cutoff: f64) -> Self {
        let (erfc_c, exp_c) = erfc_and_exp(alpha * cutoff);
        let f_shift = -(erfc_c / (cutoff * cutoff) + 2.0 * alpha / PI.sqrt() * exp_c / cutoff);
        let e_shift = erfc_c / cutoff - f_shift * cutoff;
        Self {
            ke_e_shift: COULOMB_EV_A * e_shift,
            ke_f_shift: COULOMB_EV_A * f_shift,
            ..Self::new(alpha, cutoff)
        }
    }

    /// k_e e_s (eV per e²): 0 for Ewald.
    pub fn energy_shift(&self) -> f64 {
        self.ke_e_shift
    }

    /// The same term, tabulated ([`Table`]) when the table's largest pair-force error for unit
    /// charges is below [`TABLE_ERROR_FRACTION`]·`accuracy`·k_e; else unchanged (exact).
    pub fn tabulated(mut self, accuracy: f64) -> Self {
        let table = Table::new(&self);
        if table.max_force_error <= TABLE_ERROR_FRACTION * accuracy * COULOMB_EV_A {
            self.table = Some(Arc::new(table));
        }
        self
    }

    /// The same term without a table (exact erfc and exp).
    pub fn exact(mut self) -> Self {
        self.table = None;
        self
    }

    /// The table in use, if any.
    pub fn table(&self) -> Option<&Table> {
        self.table.as_deref()
    }

    /// Energy (eV) and −(dU/dr)/r (eV/Å²) of charges with product `qq` (e²) at squared
    /// distance `r2` (Å²); the caller applies the cutoff.
    #[inline(always)]
    pub fn pair(&self, qq: f64, r2: f64) -> (f64, f64) {
        match &self.table {
            Some(t) if r2 >= super::table::S_MIN => {
                let (e, g) = t.eval(r2);
                (qq * e, qq * g)
            }
            _ => self.pair_exact(qq, r2),
        }
    }

    /// [`RealSpaceCoulomb::pair`] from erfc and exp, without the table.
    #[inline(always)]
    pub fn pair_exact(&self, qq: f64, r2: f64) -> (f64, f64) {
        let r = r2.sqrt();
        let inv_r = 1.0 / r;
        let (erfc, ex) = erfc_and_exp(self.alpha * r);
        let energy = COULOMB_EV_A * qq * erfc * inv_r;
        let f_over_r = (energy + qq * self.two_ke_alpha_over_sqrt_pi * ex) * inv_r * inv_r;
        (
            energy - qq * (self.ke_e_shift + self.ke_f_shift * r),
            f_over_r + qq * self.ke_f_shift * inv_r,
        )
    }
}
