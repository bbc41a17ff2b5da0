//! The cost model that chooses between the Coulomb methods and their parameters: fixed
//! constants (ns on one thread), measured once on the development machine (AMD EPYC, the
//! ignored test `cost_model_constants` in tests/pme.rs prints the measurements), never timed
//! at run time, so the same input always gives the same parameters and the same bits.

use std::f64::consts::PI;

/// One pair of the half neighbour list inside the real-space cutoff, with the pair loop on
/// tables ([`crate::tabulated`]): short-range terms and real-space Coulomb together, the list
/// traversal and the force scatter (criterion `lpso-0.75 pair pass, tables`: 3.56 ms for the
/// ~641,000 pairs of the 2,970-ion model cell). Without tables (accuracy below ~1e-8) a pair
/// costs ~29 ns and the model favours too long a real-space cutoff.
pub const PAIR_NS: f64 = 5.5;
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
