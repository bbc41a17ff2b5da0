//! The cost model that chooses between the Coulomb methods and their parameters: fixed
//! constants (ns on one thread), measured once on the development machine (AMD EPYC, the
//! ignored test `cost_model_constants` in tests/pme.rs prints the measurements), never timed
//! at run time, so the same input always gives the same parameters and the same bits.

use std::f64::consts::PI;

/// One pair of the half neighbour list inside the real-space cutoff: the tabulated
/// real-space Coulomb term (criterion `real-space Coulomb` bench: 7× faster than erfc/exp,
/// which cost ~17 of the 25 ns of a pair), its share of the list traversal and the force
/// scatter.
pub const PAIR_NS: f64 = 11.0;
/// One atom and one k-vector of the Ewald reciprocal sum (structure factor and force passes).
pub const KVECTOR_NS: f64 = 0.87;
/// One atom and one of its p³ mesh points in PME (spreading and force interpolation):
/// measured 2.09 ns.
pub const SPLINE_POINT_NS: f64 = 2.1;
/// One mesh point times log₂(mesh points) (forward and inverse FFT) and one mesh point
/// (influence function, transposes): together 19.5 ns per point measured at 32³ and 17.7 ns
/// at 64³ (the fit cannot separate the two reliably on this noisy machine).
pub const FFT_POINT_LOG_NS: f64 = 0.6;
pub const MESH_POINT_NS: f64 = 9.0;

/// Real-space pairs (half list) of `n` atoms in `volume` within `rc`: (2π/3) ρ r_c³ N.
pub fn real_space_pairs(n: f64, volume: f64, rc: f64) -> f64 {
    2.0 * PI / 3.0 * (n / volume) * rc.powi(3) * n
}
