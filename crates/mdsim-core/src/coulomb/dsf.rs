//! Damped shifted-force Coulomb (Fennell & Gezelter, J. Chem. Phys. 124, 234104 (2006);
//! LAMMPS `pair_style coul/dsf`): an O(N) real-space approximation of the Ewald sum, with no
//! reciprocal part. Its error is not controlled by a parameter, so mdsim measures its RMS
//! force error against an accurate Ewald/PME sum on the starting configuration
//! ([`DsfParams::measure_error`]) and reports it.

use super::real_space::RealSpaceCoulomb;
use super::{Coulomb, CoulombParams};
use crate::cell::Cell;
use crate::ewald::EwaldError;
use crate::neighbor::NeighborList;
use crate::units::COULOMB_EV_A;
use std::f64::consts::PI;

/// The relative accuracy of the reference sum for [`DsfParams::measure_error`].
pub const REFERENCE_ACCURACY: f64 = 1e-7;

/// DSF parameters and, once measured, the force error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DsfParams {
    /// Damping α, 1/Å (0.2 is the usual choice).
    pub alpha: f64,
    /// Cutoff R_c, Å.
    pub cutoff: f64,
    /// RMS force error against the reference, as a relative accuracy (/ k_e·1 e²/Å²).
    pub error_relative: Option<f64>,
    /// The same RMS error divided by the RMS reference Coulomb force.
    pub error_over_rms_force: Option<f64>,
}

impl DsfParams {
    pub fn new(alpha: f64, cutoff: f64) -> Result<Self, EwaldError> {
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(EwaldError::InvalidAlpha { alpha });
        }
        crate::ewald::check_cutoff(cutoff)?;
        Ok(Self {
            alpha,
            cutoff,
            error_relative: None,
            error_over_rms_force: None,
        })
    }

    pub fn real_space(&self) -> RealSpaceCoulomb {
        RealSpaceCoulomb::damped_shifted_force(self.alpha, self.cutoff)
    }

    /// Self energy −(e_s/2 + α/√π) k_e Σq² (eV), as LAMMPS `coul/dsf`: half the r → 0 limit
    /// of the DSF pair term minus k_e/r, per atom.
    pub fn self_energy(&self, charges: &[f64]) -> f64 {
        let q2: f64 = charges.iter().map(|q| q * q).sum();
        -(0.5 * self.real_space().energy_shift() + COULOMB_EV_A * self.alpha / PI.sqrt()) * q2
    }

    /// Measures the RMS Coulomb force error of DSF against the Ewald method chosen for
    /// [`REFERENCE_ACCURACY`] on this configuration, and stores it in `self`.
    pub fn measure_error(
        &mut self,
        cell: &Cell,
        positions: &[[f64; 3]],
        charges: &[f64],
    ) -> Result<(), EwaldError> {
        let widths = cell.perpendicular_widths();
        let half = 0.5 * widths[0].min(widths[1]).min(widths[2]);
        let reference = super::choose(
            super::Method::Auto,
            REFERENCE_ACCURACY,
            None,
            half.min(self.cutoff),
            cell,
            positions,
            charges,
        )?;
        let f_ref = coulomb_forces(&reference, cell, positions, charges);
        let f_dsf = coulomb_forces(&CoulombParams::Dsf(*self), cell, positions, charges);
        let n = positions.len() as f64;
        let (mut err2, mut f2) = (0.0, 0.0);
        for (a, b) in f_dsf.iter().zip(&f_ref) {
            for d in 0..3 {
                err2 += (a[d] - b[d]).powi(2);
                f2 += b[d] * b[d];
            }
        }
        self.error_relative = Some((err2 / n).sqrt() / COULOMB_EV_A);
        self.error_over_rms_force = Some((err2 / f2.max(f64::MIN_POSITIVE)).sqrt());
        Ok(())
    }
}

/// Coulomb forces alone (real space over a neighbour list plus the reciprocal part).
pub fn coulomb_forces(
    params: &CoulombParams,
    cell: &Cell,
    positions: &[[f64; 3]],
    charges: &[f64],
) -> Vec<[f64; 3]> {
    let term = params.real_space();
    let mut nl = NeighborList::new(params.real_cutoff(), 0.0);
    let wrapped: Vec<[f64; 3]> = positions.iter().map(|&x| cell.wrap(x).0).collect();
    nl.build(cell, &wrapped);
    let mut f = vec![[0.0; 3]; positions.len()];
    nl.for_each_pair(&wrapped, |i, j, d| {
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if r2 < term.rc2 {
            let (_, f_over_r) = term.pair(charges[i] * charges[j], r2);
            for k in 0..3 {
                f[i][k] -= f_over_r * d[k];
                f[j][k] += f_over_r * d[k];
            }
        }
    });
    let mut solver = Coulomb::new(params, cell);
    solver.reciprocal(cell, &wrapped, charges, &mut f, false);
    f
}
