//! The cost model that chooses between the Coulomb methods and their parameters: fixed
//! constants (ns on one thread), measured once on the development machine (AMD EPYC, the
//! ignored test `cost_model_constants` in tests/pme.rs prints the measurements), never timed
//! at run time, so the same input always gives the same parameters and the same bits.

use std::f64::consts::PI;

/// One pair of the half neighbour list inside the real-space cutoff: the real-space Coulomb
/// term, its share of the list traversal and the force scatter.
pub const PAIR_NS: f64 = 25.0;
/// One atom and one k-vector of the Ewald reciprocal sum (structure factor and force passes).
pub const KVECTOR_NS: f64 = 0.87;
/// One atom and one of its p³ mesh points in PME (spreading and force interpolation).
pub const SPLINE_POINT_NS: f64 = 2.0;
/// One mesh point times log₂(mesh points) (forward and inverse FFT).
pub const FFT_POINT_LOG_NS: f64 = 1.0;
/// One mesh point (influence function, transposes).
pub const MESH_POINT_NS: f64 = 5.0;

/// Real-space pairs (half list) of `n` atoms in `volume` within `rc`: (2π/3) ρ r_c³ N.
pub fn real_space_pairs(n: f64, volume: f64, rc: f64) -> f64 {
    2.0 * PI / 3.0 * (n / volume) * rc.powi(3) * n
}
