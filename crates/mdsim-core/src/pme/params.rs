//! Smooth-PME parameters: α, real-space cutoff, mesh and spline order from a requested
//! relative force accuracy, at the lowest modelled cost.
//!
//! Error estimates (RMS force error per atom, eV/Å; Q = k_e Σq², N atoms, V volume):
//! - real space: Kolafa & Perram (Mol. Simul. 9, 351 (1992)), as for Ewald
//!   ([`crate::ewald::EwaldParams`]): 2Q/√(N r_c V) · exp(−α² r_c²);
//! - mesh: Deserno & Holm (J. Chem. Phys. 109, 7694 (1998), eqs. 31–32; the form LAMMPS'
//!   PPPM uses, `estimate_ik_error`) per lattice direction d with mesh spacing h = w_d/K_d
//!   (w_d the perpendicular width of the cell along d):
//!   ΔF_d = Q (hα)^p / w_d² · √(α w_d √(2π) Σ_{m<p} a_m^{(p)} (hα)^{2m} / N),
//!   combined as √((ΔF₀² + ΔF₁² + ΔF₂²)/3).
//!
//! The Deserno–Holm estimate is for P3M with ik differentiation and the optimal influence
//! function, whose force errors fall as h^p. Smooth PME differentiates the B-splines
//! analytically: its forces are the exact gradient of its energy, whose error does fall as
//! h^p, but the force error then falls only as h^(p−1) (measured in tests/pme.rs: ×8 for half
//! the spacing at p = 4, ×10.5 for 1/1.6 of it at p = 6). mdsim therefore uses
//! ΔF_d(SPME) = c · ΔF_d(Deserno–Holm) / (hα), with c = [`MESH_ERROR_FACTOR`] the largest
//! measured ratio over orders 4–6, meshes with hα = 0.035–0.25, orthorhombic and triclinic
//! cells (tests/pme.rs, `delivered_force_accuracy_meets_the_request` and
//! `reciprocal_part_converges_to_ewald`, which print the ratios).

use super::spline::{MAX_ORDER, MIN_ORDER};
use crate::cell::Cell;
use crate::coulomb::cost;
use crate::ewald::{
    alpha_for_real_error, charge_sums, check_accuracy, check_cutoff, real_space_error, EwaldError,
};
use crate::units::COULOMB_EV_A;
use std::f64::consts::PI;

/// Deserno & Holm's coefficients a_m^{(p)} of the P3M error estimate, rows p = 1..=7.
#[allow(clippy::excessive_precision)]
const ACONS: [[f64; 7]; 8] = [
    [0.0; 7],
    [2.0 / 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0 / 50.0, 5.0 / 294.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0 / 588.0, 7.0 / 1440.0, 21.0 / 3872.0, 0.0, 0.0, 0.0, 0.0],
    [
        1.0 / 4320.0,
        3.0 / 1936.0,
        7601.0 / 2271360.0,
        143.0 / 28800.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        1.0 / 23232.0,
        7601.0 / 13628160.0,
        143.0 / 69120.0,
        517231.0 / 106536960.0,
        106640677.0 / 11737571328.0,
        0.0,
        0.0,
    ],
    [
        691.0 / 68140800.0,
        13.0 / 57600.0,
        47021.0 / 35512320.0,
        9694607.0 / 2095994880.0,
        733191589.0 / 59609088000.0,
        326190917.0 / 11700633600.0,
        0.0,
    ],
    [
        1.0 / 345600.0,
        3617.0 / 35512320.0,
        745739.0 / 838397952.0,
        56399353.0 / 12773376000.0,
        25091609.0 / 1560084480.0,
        1755948832039.0 / 36229939200000.0,
        4887769399.0 / 37838389248.0,
    ],
];

/// c in ΔF(SPME) = c · ΔF(Deserno–Holm)/(hα) (module documentation): measured ratios
/// (ΔF·hα/ΔF(Deserno–Holm)) were 1.8–2.9 on the test systems.
pub const MESH_ERROR_FACTOR: f64 = 3.0;

/// The parameters aim at this fraction of the request (as [`crate::ewald::EwaldParams::optimized`]).
const SAFETY: f64 = 0.8;

/// Largest mesh size per direction.
pub const MAX_MESH: usize = 1024;

/// Smooth particle-mesh Ewald parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PmeParams {
    /// Splitting parameter α, 1/Å.
    pub alpha: f64,
    /// Real-space cutoff, Å.
    pub real_cutoff: f64,
    /// Mesh points along the lattice vectors a, b, c.
    pub mesh: [usize; 3],
    /// B-spline order p (4–6; p = 4 is cubic).
    pub order: usize,
    /// Requested relative force accuracy (for [`PmeParams::explicit`], the estimate).
    pub accuracy: f64,
    /// Estimated relative RMS force accuracy (real and mesh estimates in quadrature, / k_e).
    pub estimated_accuracy: f64,
}

/// The mesh error estimate along one direction of width `w` with `k` points, eV/Å (module
/// documentation).
fn mesh_error_direction(qq: f64, n: f64, alpha: f64, w: f64, k: usize, p: usize) -> f64 {
    let ha = w / k as f64 * alpha;
    let sum: f64 = (0..p).map(|m| ACONS[p][m] * ha.powi(2 * m as i32)).sum();
    MESH_ERROR_FACTOR * qq * ha.powi(p as i32 - 1) / (w * w)
        * (alpha * w * (2.0 * PI).sqrt() * sum / n).sqrt()
}

/// The smallest n' ≥ n whose prime factors are 2, 3, 5 and 7.
pub fn fft_friendly(n: usize) -> usize {
    (n.max(1)..)
        .find(|&m| {
            let mut x = m;
            for f in [2, 3, 5, 7] {
                while x % f == 0 {
                    x /= f;
                }
            }
            x == 1
        })
        .expect("a 7-smooth number exists above any n")
}

fn check_order(order: usize) -> Result<(), EwaldError> {
    if (MIN_ORDER..=MAX_ORDER).contains(&order) {
        Ok(())
    } else {
        Err(EwaldError::InvalidOrder { order })
    }
}

/// Modelled cost (ns) of one force evaluation with these PME parameters ([`cost`]).
pub fn modelled_cost(n: f64, volume: f64, rc: f64, mesh: [usize; 3], order: usize) -> f64 {
    let points = (mesh[0] * mesh[1] * mesh[2]) as f64;
    cost::PAIR_NS * cost::real_space_pairs(n, volume, rc)
        + cost::SPLINE_POINT_NS * n * (order as f64).powi(3)
        + points * (cost::FFT_POINT_LOG_NS * points.log2() + cost::MESH_POINT_NS)
}

impl PmeParams {
    /// Parameters given directly; the estimated accuracy follows from the error estimates of
    /// the module documentation.
    pub fn explicit(
        alpha: f64,
        real_cutoff: f64,
        mesh: [usize; 3],
        order: usize,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(EwaldError::InvalidAlpha { alpha });
        }
        check_cutoff(real_cutoff)?;
        check_order(order)?;
        if let Some(&k) = mesh.iter().find(|&&k| k < order || k > MAX_MESH) {
            return Err(EwaldError::InvalidMesh { mesh: k, order });
        }
        let (n, sum_q2) = charge_sums(charges)?;
        let qq = sum_q2 * COULOMB_EV_A;
        let widths = cell.perpendicular_widths();
        let mesh_err2: f64 = (0..3)
            .map(|d| mesh_error_direction(qq, n, alpha, widths[d], mesh[d], order).powi(2))
            .sum::<f64>()
            / 3.0;
        let real = real_space_error(qq, n, cell.volume(), alpha, real_cutoff);
        let estimated_accuracy = (real * real + mesh_err2).sqrt() / COULOMB_EV_A;
        Ok(Self {
            alpha,
            real_cutoff,
            mesh,
            order,
            accuracy: estimated_accuracy,
            estimated_accuracy,
        })
    }

    /// α, real-space cutoff, mesh and order for the lowest modelled cost
    /// ([`modelled_cost`]) at the requested relative force accuracy: the real-space and mesh
    /// estimates are each set to 0.8 ε/√2 (ε = accuracy·k_e, as for Ewald); r_c is scanned
    /// over [r_lo, r_hi], orders 4–6 are tried, and each mesh size is the smallest product of
    /// 2, 3, 5 and 7 that meets the mesh estimate along its direction.
    pub fn optimized(
        accuracy: f64,
        r_lo: f64,
        r_hi: f64,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        Self::search(accuracy, r_lo, r_hi, MIN_ORDER..=MAX_ORDER, cell, charges)
    }

    /// [`PmeParams::optimized`] for one spline order.
    pub fn optimized_with_order(
        accuracy: f64,
        r_lo: f64,
        r_hi: f64,
        order: usize,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        check_order(order)?;
        Self::search(accuracy, r_lo, r_hi, order..=order, cell, charges)
    }

    fn search(
        accuracy: f64,
        r_lo: f64,
        r_hi: f64,
        orders: std::ops::RangeInclusive<usize>,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        check_accuracy(accuracy)?;
        check_cutoff(r_lo)?;
        let (n, sum_q2) = charge_sums(charges)?;
        let qq = sum_q2 * COULOMB_EV_A;
        let target = SAFETY * accuracy * COULOMB_EV_A / std::f64::consts::SQRT_2;
        let volume = cell.volume();
        let widths = cell.perpendicular_widths();
        let r_hi = r_hi.max(r_lo);
        const STEPS: usize = 200;
        let mut best: Option<(f64, f64, f64, [usize; 3], usize)> = None;
        for order in orders {
            for i in 0..=STEPS {
                let rc = r_lo + (r_hi - r_lo) * i as f64 / STEPS as f64;
                let alpha = alpha_for_real_error(target, qq, n, volume, rc);
                let Some(mesh) = mesh_for(target, qq, n, alpha, widths, order) else {
                    continue;
                };
                let cost = modelled_cost(n, volume, rc, mesh, order);
                if best.is_none_or(|b| cost < b.0) {
                    best = Some((cost, rc, alpha, mesh, order));
                }
                if r_hi == r_lo {
                    break;
                }
            }
        }
        let (_, rc, alpha, mesh, order) = best.ok_or(EwaldError::InvalidMesh {
            mesh: MAX_MESH + 1,
            order: MAX_ORDER,
        })?;
        let mut params = Self::explicit(alpha, rc, mesh, order, cell, charges)?;
        params.accuracy = accuracy;
        Ok(params)
    }

    /// Modelled cost (ns) of one force evaluation for `n` atoms in `volume` Å³.
    pub fn modelled_cost(&self, n: usize, volume: f64) -> f64 {
        modelled_cost(n as f64, volume, self.real_cutoff, self.mesh, self.order)
    }
}

/// The smallest FFT-friendly mesh meeting `target` along every direction.
fn mesh_for(
    target: f64,
    qq: f64,
    n: f64,
    alpha: f64,
    widths: [f64; 3],
    order: usize,
) -> Option<[usize; 3]> {
    let mut mesh = [0; 3];
    for d in 0..3 {
        let mut k = fft_friendly(order);
        while mesh_error_direction(qq, n, alpha, widths[d], k, order) > target {
            k = fft_friendly(k + 1);
            if k > MAX_MESH {
                return None;
            }
        }
        mesh[d] = k;
    }
    Some(mesh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_friendly_sizes() {
        assert_eq!(fft_friendly(1), 1);
        assert_eq!(fft_friendly(11), 12);
        assert_eq!(fft_friendly(13), 14);
        assert_eq!(fft_friendly(17), 18);
        assert_eq!(fft_friendly(31), 32);
        assert_eq!(fft_friendly(43), 45);
        assert_eq!(fft_friendly(97), 98);
    }
}
