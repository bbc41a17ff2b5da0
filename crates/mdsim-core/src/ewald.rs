//! Ewald summation of the rigid-ion Coulomb energy, forces and virial (DESIGN.md §4), in metal
//! units: energies eV, lengths Å, charges e, k_e = [`COULOMB_EV_A`].
//!
//! # Formulas
//!
//! E = E_real + E_recip + E_self, with α the splitting parameter (1/Å):
//!
//! - E_real = k_e Σ_{pairs, r < r_c} q_i q_j erfc(α r)/r, summed by the pair loop over a
//!   neighbour list with [`Ewald::real_pair`] (energy and −(dU/dr)/r of one pair).
//! - E_recip = (2π k_e/V) Σ_{k ≠ 0} exp(−k²/4α²)/k² |S(k)|², S(k) = Σ_j q_j exp(i k·r_j),
//!   over reciprocal vectors k = n₀b₀ + n₁b₁ + n₂b₂ (b_i = 2π × row i of H⁻¹, H = [a b c]).
//!   |S(−k)| = |S(k)|, so only the half space n₀ > 0, or n₀ = 0 ∧ n₁ > 0, or
//!   n₀ = n₁ = 0 ∧ n₂ > 0 is stored, with the prefactor doubled:
//!   A_k = (4π k_e/V) exp(−k²/4α²)/k² and E_recip = Σ_half A_k |S(k)|².
//! - E_self = −k_e α/√π Σ q_i² ([`Ewald::self_energy`]).
//!
//! Reciprocal force on atom j: F_j = 2 q_j Σ_half A_k k [Re S(k) sin(k·r_j) − Im S(k) cos(k·r_j)].
//!
//! Virial, with the sign convention of [`EnergyVirial`] (W = Σ r_ij ⊗ f_ij for pairs, so that
//! pressure = (kinetic + W)/V and W_ab = −∂E/∂ε_ab for the homogeneous strain x → (1 + ε)x of
//! cell and atoms):
//! W_ab = Σ_half A_k |S(k)|² [δ_ab − 2 k_a k_b (1/k² + 1/4α²)] (order xx, yy, zz, xy, xz, yz).
//! The tests check forces against −∇E and W against the strain derivative by finite
//! differences.
//!
//! exp(i k·r_j) = e^{i n₀θ₀}·e^{i n₁θ₁}·e^{i n₂θ₂} with θ_d = 2π s_d (s = fractional
//! coordinates), the same for any cell shape. The three factors come from per-atom tables built
//! by recursion, e^{i(n+1)θ} = e^{inθ}·e^{iθ}, from one `sincos` per direction and atom (no
//! `exp`/`sin`/`cos` per k-vector and atom). The k-vectors are grouped in runs of consecutive
//! n₂ at fixed (n₀, n₁), so the inner loops run over contiguous arrays.
//!
//! Positions need not be wrapped: the sum is periodic in them.
//!
//! # Determinism (DESIGN.md §9)
//!
//! Atoms are split into chunks of [`CHUNK_ATOMS`] (independent of the thread count). Each chunk
//! computes its own partial structure factors (over its atoms with eight fixed partial-sum
//! lanes); the partial sums are added in chunk order for every k; each atom's force is summed
//! over k in list order by one task. No floating-point atomics: the bits do not depend on the
//! number of threads. The inner loops have an AVX2 copy, chosen at run time, that performs
//! exactly the same IEEE operations as the portable code (no FMA), so the bits do not depend
//! on the CPU either.
//!
//! # Choosing α, r_c and the k-vectors
//!
//! The accuracy is a *relative force accuracy* δ as in LAMMPS `kspace_style ewald δ`: the
//! requested RMS error of the force on an atom, in units of the force between two unit charges
//! 1 Å apart, so the absolute target is ε = δ·k_e (eV/Å; LAMMPS: `accuracy_relative ×
//! two_charge_force`). With Q = k_e Σ q_i², N atoms and volume V, the error estimates are
//! those LAMMPS uses:
//!
//! - real space (Kolafa & Perram, Mol. Simul. 9, 351, 1992):
//!   ΔF_real = 2Q/√(N r_c V) · exp(−α² r_c²);
//! - reciprocal space (Petersen, J. Chem. Phys. 103, 3668, 1995, eq. 11), per direction of
//!   length L with |n| ≤ K: ΔF_recip = 2Qα/L · √(1/(π K N)) · exp(−π²K²/(α²L²)). For a
//!   spherical cutoff k_c = 2πK/L this is ΔF_recip = 2Qα √(2/(N V k_c)) · exp(−k_c²/4α²).
//!
//! [`EwaldParams::for_cutoff`] reproduces LAMMPS' `Ewald::init`/`setup` (src/KSPACE/ewald.cpp)
//! for a fixed r_c; [`EwaldParams::optimized`] chooses r_c and α together at the lowest
//! estimated cost (see there).

use crate::cell::Cell;
use crate::coulomb::RealSpaceCoulomb;
use crate::forces::EnergyVirial;
use crate::units::COULOMB_EV_A;
use rayon::prelude::*;
use std::f64::consts::PI;

/// Atoms per chunk of the reciprocal sum; fixed so results never depend on the thread count.
pub const CHUNK_ATOMS: usize = 256;

/// |Σ q| above this (e) is a non-neutral cell.
pub const NEUTRALITY_TOLERANCE: f64 = 1e-8;

/// Largest k-vector index we accept in any direction (guards against absurd requests).
const MAX_KINDEX: i32 = 2_000;

/// k-vectors per block when adding the chunks' partial structure factors (parallel over
/// blocks; the chunk order inside each k is fixed).
const K_BLOCK: usize = 2048;

/// Estimated cost of one real-space pair (half list) relative to one (atom, k-vector)
/// term of the reciprocal sum (both passes), used by [`EwaldParams::optimized`]. Measured on
/// the development machine (AMD EPYC, one thread): 24.6 ns per pair for
/// [`Ewald::real_pair`] plus the force scatter, against 0.87 ns per atom and k-vector for
/// [`Ewald::reciprocal`] with its AVX2 kernels (about twice that with the baseline kernels).
/// Revisit when either kernel changes.
const COST_PAIR_OVER_KVECTOR: f64 = 28.0;

/// [`EwaldParams::optimized`] aims at this fraction of the requested accuracy: the estimates
/// are RMS expectations, and the measured RMS force errors of the test systems (1000
/// Li3PO4-like ions, tests/ewald.rs) were 0.91–1.17 times the estimate.
const OPTIMIZED_SAFETY: f64 = 0.8;

/// The Ewald parameters: splitting α, real-space cutoff and the set of reciprocal vectors.
///
/// The reciprocal sum runs over k = n₀b₀ + n₁b₁ + n₂b₂ ≠ 0 with |k| ≤ `k_cutoff` and
/// |n_d| ≤ `kmax[d]`; as in LAMMPS, vectors along a single lattice direction (only one n_d
/// non-zero) are bounded by the sphere and max(kmax) only — for all three directions in an
/// orthorhombic cell, for the c direction only in a triclinic one (LAMMPS `coeffs()` and
/// `coeffs_triclinic()`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EwaldParams {
    /// Splitting parameter α, 1/Å (LAMMPS `g_ewald`).
    pub alpha: f64,
    /// Real-space cutoff, Å.
    pub real_cutoff: f64,
    /// Largest |n_d| per lattice direction (LAMMPS kxmax, kymax, kzmax).
    pub kmax: [i32; 3],
    /// Radius of the sphere of k-vectors, 1/Å (LAMMPS √gsqmx).
    pub k_cutoff: f64,
    /// Requested relative force accuracy (for [`EwaldParams::explicit`], the estimate).
    pub accuracy: f64,
    /// Estimated relative RMS force accuracy of these parameters (real and reciprocal
    /// estimates added in quadrature, divided by k_e·1 e²/Å², as LAMMPS prints it).
    pub estimated_accuracy: f64,
}

/// Why Ewald parameters cannot be chosen.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EwaldError {
    #[error(
        "the cell is not charge neutral: net charge {net_charge:.10} e (tolerance 1e-8 e); \
         Ewald summation of a charged cell would need a neutralising background, which mdsim \
         refuses — check the charges and the composition"
    )]
    NonNeutral { net_charge: f64 },
    #[error("no charged atoms (Σq² = 0): there is nothing for the Ewald sum to do")]
    NoCharges,
    #[error(
        "invalid Ewald accuracy {accuracy}: give a relative force accuracy between 0 and 1, \
         e.g. 1e-5"
    )]
    InvalidAccuracy { accuracy: f64 },
    #[error("invalid Ewald real-space cutoff {cutoff} Å: it must be positive and finite")]
    InvalidCutoff { cutoff: f64 },
    #[error("invalid Ewald splitting parameter α = {alpha} 1/Å: it must be positive and finite")]
    InvalidAlpha { alpha: f64 },
    #[error(
        "the requested Ewald accuracy needs k-vectors up to index {kmax}, more than the \
         {MAX_KINDEX} allowed: ask for a lower accuracy or a larger real-space cutoff"
    )]
    TooManyKVectors { kmax: i64 },
}

/// The cell in LAMMPS' restricted triclinic form: a = (lx, 0, 0), b = (xy, ly, 0),
/// c = (xz, yz, lz) (a rotation of ours; lengths and angles are the same).
#[derive(Clone, Copy, Debug)]
struct LammpsBox {
    prd: [f64; 3],
    xy: f64,
    xz: f64,
    yz: f64,
}

fn dot(u: [f64; 3], v: [f64; 3]) -> f64 {
    u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
}

fn cross(u: [f64; 3], v: [f64; 3]) -> [f64; 3] {
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

fn norm(u: [f64; 3]) -> f64 {
    dot(u, u).sqrt()
}

impl LammpsBox {
    fn new(cell: &Cell) -> Self {
        let (a, b, c) = (cell.vector(0), cell.vector(1), cell.vector(2));
        let lx = norm(a);
        let ahat = a.map(|x| x / lx);
        let xy = dot(b, ahat);
        let ly = (dot(b, b) - xy * xy).sqrt();
        let xz = dot(c, ahat);
        let yz = (dot(b, c) - xy * xz) / ly;
        let nab = cross(a, b);
        let lz = dot(c, nab.map(|x| x / norm(nab)));
        Self {
            prd: [lx, ly, lz],
            xy,
            xz,
            yz,
        }
    }
}

/// Number of charges, Σq² (e²) after checking neutrality.
fn charge_sums(charges: &[f64]) -> Result<(f64, f64), EwaldError> {
    let net: f64 = charges.iter().sum();
    if !net.is_finite() || net.abs() > NEUTRALITY_TOLERANCE {
        return Err(EwaldError::NonNeutral { net_charge: net });
    }
    let q2: f64 = charges.iter().map(|q| q * q).sum();
    if q2 == 0.0 {
        return Err(EwaldError::NoCharges);
    }
    Ok((charges.len() as f64, q2))
}

fn check_accuracy(accuracy: f64) -> Result<(), EwaldError> {
    if accuracy.is_finite() && accuracy > 0.0 && accuracy < 1.0 {
        Ok(())
    } else {
        Err(EwaldError::InvalidAccuracy { accuracy })
    }
}

fn check_cutoff(cutoff: f64) -> Result<(), EwaldError> {
    if cutoff.is_finite() && cutoff > 0.0 {
        Ok(())
    } else {
        Err(EwaldError::InvalidCutoff { cutoff })
    }
}

/// Kolafa–Perram real-space RMS force error (eV/Å); `qq` = k_e Σq².
fn real_space_error(qq: f64, n: f64, volume: f64, alpha: f64, rc: f64) -> f64 {
    2.0 * qq / (n * rc * volume).sqrt() * (-alpha * alpha * rc * rc).exp()
}

/// Petersen's reciprocal-space RMS force error (eV/Å) for a spherical cutoff `kc`.
fn reciprocal_error(qq: f64, n: f64, volume: f64, alpha: f64, kc: f64) -> f64 {
    2.0 * qq * alpha * (2.0 / (n * volume * kc)).sqrt() * (-kc * kc / (4.0 * alpha * alpha)).exp()
}

/// LAMMPS `Ewald::rms`: the reciprocal error estimate for |n| ≤ km along a length `prd`.
fn lammps_rms(km: i32, prd: f64, n: f64, qq: f64, alpha: f64) -> f64 {
    let km = km as f64;
    2.0 * qq * alpha / prd
        * (1.0 / (PI * km * n)).sqrt()
        * (-PI * PI * km * km / (alpha * alpha * prd * prd)).exp()
}

/// Largest index along lattice direction `d` inside the sphere |k| ≤ kc: |n_d| ≤ kc|a_d|/2π.
fn kmax_for_sphere(cell: &Cell, kc: f64) -> [i32; 3] {
    std::array::from_fn(|d| (kc * norm(cell.vector(d)) / (2.0 * PI)).floor() as i32)
}

impl EwaldParams {
    /// The parameters LAMMPS `kspace_style ewald <accuracy>` chooses for the real-space
    /// cutoff `real_cutoff` (src/KSPACE/ewald.cpp, `init()` and `setup()`):
    ///
    /// - ε = accuracy·k_e, Q = k_e Σq², g = ε √(N r_c V)/(2Q);
    ///   α = (1.35 − 0.15 ln ε)/r_c if g ≥ 1, else √(−ln g)/r_c;
    /// - with L = (lx, ly, lz) the box lengths of LAMMPS' restricted triclinic form (the
    ///   edges for an orthorhombic cell), each K_d starts at 1 and is raised until
    ///   2Qα/L_d √(1/(π K_d N)) exp(−π²K_d²/(α²L_d²)) ≤ ε;
    /// - the k-sphere radius² is max_d (2πK_d/L_d)² × 1.00001;
    /// - in a triclinic cell the index bounds become (LAMMPS `lamda2xT` with |tilts|):
    ///   kmax = (K₀, ⌊|xy|K₀/lx + K₁⌋, ⌊|xz|K₀/lx + |yz|K₁/ly + K₂⌋), each at least 1.
    ///
    /// The estimated accuracy is LAMMPS' printed "estimated relative force accuracy".
    pub fn for_cutoff(
        accuracy: f64,
        real_cutoff: f64,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        check_accuracy(accuracy)?;
        check_cutoff(real_cutoff)?;
        let (n, sum_q2) = charge_sums(charges)?;
        let acc = accuracy * COULOMB_EV_A;
        let qq = sum_q2 * COULOMB_EV_A;
        let bx = LammpsBox::new(cell);
        let prd = bx.prd;
        let volume = prd[0] * prd[1] * prd[2];
        let rc = real_cutoff;

        let g = acc * (n * rc * volume).sqrt() / (2.0 * qq);
        let alpha = if g >= 1.0 {
            (1.35 - 0.15 * acc.ln()) / rc
        } else {
            (-g.ln()).sqrt() / rc
        };

        let mut korig = [1i32; 3];
        for d in 0..3 {
            while lammps_rms(korig[d], prd[d], n, qq, alpha) > acc {
                korig[d] += 1;
                if korig[d] > MAX_KINDEX {
                    return Err(EwaldError::TooManyKVectors {
                        kmax: korig[d] as i64,
                    });
                }
            }
        }
        let mut gsqmx = 0.0f64;
        for d in 0..3 {
            let unitk = 2.0 * PI / prd[d];
            let k = korig[d] as f64;
            gsqmx = gsqmx.max(unitk * unitk * k * k);
        }
        gsqmx *= 1.00001;

        let mut kmax = korig;
        if !cell.is_orthorhombic() {
            let tmp = [0, 1, 2].map(|d| korig[d] as f64 / prd[d]);
            let v = [
                prd[0] * tmp[0],
                bx.xy.abs() * tmp[0] + prd[1] * tmp[1],
                bx.xz.abs() * tmp[0] + bx.yz.abs() * tmp[1] + prd[2] * tmp[2],
            ];
            kmax = v.map(|x| (x as i32).max(1));
        }

        let lpr = (0..3)
            .map(|d| lammps_rms(korig[d], prd[d], n, qq, alpha).powi(2))
            .sum::<f64>()
            .sqrt()
            / 3f64.sqrt();
        let spr = real_space_error(qq, n, volume, alpha, rc);
        Ok(Self {
            alpha,
            real_cutoff: rc,
            kmax,
            k_cutoff: gsqmx.sqrt(),
            accuracy,
            estimated_accuracy: (lpr * lpr + spr * spr).sqrt() / COULOMB_EV_A,
        })
    }

    /// α, the real-space cutoff and the k-sphere chosen together for the lowest estimated
    /// cost at the requested relative force accuracy.
    ///
    /// Error budget: the real-space and the reciprocal estimates (module documentation) are
    /// each set to ε' = 0.8 ε/√2, so that their quadrature sum is 0.8 ε, ε = accuracy·k_e
    /// (the margin because the estimates are RMS expectations; measured errors were 0.91–1.17
    /// times the estimate in the tests). For a given r_c that fixes α = √(ln(2Q/(ε' √(N r_c V))))/r_c
    /// and then the k-sphere radius k_c (solved by bisection). LAMMPS' choice
    /// ([`EwaldParams::for_cutoff`]) instead sets each part to ε, so its estimated and measured
    /// errors exceed the request by up to √2.
    ///
    /// Cost model, per atom and step: real space ∝ c_pair · (2π/3) ρ r_c³ (pairs in a half
    /// list, ρ = N/V) and reciprocal space ∝ N_k = V k_c³/(12π²) (k-vectors in the half
    /// sphere, each visited twice per atom: structure factor and force), with
    /// c_pair = 28 (one pair costs about 28 atom-k-vector terms on the development machine).
    /// r_c is scanned over [min_cutoff, max(min_cutoff, w/2)] (w the narrowest perpendicular
    /// width of the cell; `min_cutoff` is the short-range cutoff, so one neighbour list serves
    /// both) and the cheapest is taken. The minimum is shallow: for 2970 ions at 1e-5, ±20 % in
    /// c_pair moves the best r_c by 0.3 Å and changes the cost by less than 1 %.
    pub fn optimized(
        accuracy: f64,
        min_cutoff: f64,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        check_accuracy(accuracy)?;
        check_cutoff(min_cutoff)?;
        let (n, sum_q2) = charge_sums(charges)?;
        let qq = sum_q2 * COULOMB_EV_A;
        let target = OPTIMIZED_SAFETY * accuracy * COULOMB_EV_A / std::f64::consts::SQRT_2;
        let volume = cell.volume();
        let widths = cell.perpendicular_widths();
        let half_width = 0.5 * widths[0].min(widths[1]).min(widths[2]);
        let (lo, hi) = (min_cutoff, half_width.max(min_cutoff));
        let rho = n / volume;

        const STEPS: usize = 400;
        let mut best: Option<(f64, f64, f64, f64)> = None; // (cost, rc, alpha, kc)
        for i in 0..=STEPS {
            let rc = lo + (hi - lo) * i as f64 / STEPS as f64;
            let alpha = alpha_for_real_error(target, qq, n, volume, rc);
            let kc = kc_for_reciprocal_error(target, qq, n, volume, alpha)?;
            let pairs = 2.0 * PI / 3.0 * rho * rc.powi(3);
            let kvectors = volume * kc.powi(3) / (12.0 * PI * PI);
            let cost = COST_PAIR_OVER_KVECTOR * pairs + kvectors;
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, rc, alpha, kc));
            }
            if hi == lo {
                break;
            }
        }
        let (_, rc, alpha, kc) = best.expect("at least one cutoff was tried");
        let mut params = Self::explicit(alpha, rc, kc, cell, charges)?;
        params.accuracy = accuracy;
        Ok(params)
    }

    /// Parameters given directly (like LAMMPS `kspace_modify gewald`): α (1/Å), the
    /// real-space cutoff (Å) and the k-sphere radius (1/Å); kmax covers the sphere. The
    /// estimated accuracy uses the error estimates of the module documentation.
    pub fn explicit(
        alpha: f64,
        real_cutoff: f64,
        k_cutoff: f64,
        cell: &Cell,
        charges: &[f64],
    ) -> Result<Self, EwaldError> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(EwaldError::InvalidAlpha { alpha });
        }
        check_cutoff(real_cutoff)?;
        check_cutoff(k_cutoff)?;
        let (n, sum_q2) = charge_sums(charges)?;
        let qq = sum_q2 * COULOMB_EV_A;
        let kmax = kmax_for_sphere(cell, k_cutoff);
        if let Some(&k) = kmax.iter().find(|&&k| k > MAX_KINDEX) {
            return Err(EwaldError::TooManyKVectors { kmax: k as i64 });
        }
        let volume = cell.volume();
        let real = real_space_error(qq, n, volume, alpha, real_cutoff);
        let recip = reciprocal_error(qq, n, volume, alpha, k_cutoff);
        let estimated_accuracy = (real * real + recip * recip).sqrt() / COULOMB_EV_A;
        Ok(Self {
            alpha,
            real_cutoff,
            kmax,
            k_cutoff,
            accuracy: estimated_accuracy,
            estimated_accuracy,
        })
    }
}

/// α for which the real-space error estimate equals `target` at cutoff `rc` (LAMMPS'
/// fallback when even α → 0 would meet it).
fn alpha_for_real_error(target: f64, qq: f64, n: f64, volume: f64, rc: f64) -> f64 {
    let g = target * (n * rc * volume).sqrt() / (2.0 * qq);
    if g >= 1.0 {
        (1.35 - 0.15 * target.ln()) / rc
    } else {
        (-g.ln()).sqrt() / rc
    }
}

/// The k-sphere radius for which the reciprocal error estimate equals `target`.
fn kc_for_reciprocal_error(
    target: f64,
    qq: f64,
    n: f64,
    volume: f64,
    alpha: f64,
) -> Result<f64, EwaldError> {
    // The estimate decreases monotonically in kc; bracket, then bisect.
    let mut hi = 2.0 * alpha;
    while reciprocal_error(qq, n, volume, alpha, hi) > target {
        hi *= 2.0;
        if hi > 1e6 * alpha {
            return Err(EwaldError::TooManyKVectors { kmax: i64::MAX });
        }
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if reciprocal_error(qq, n, volume, alpha, mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

/// A run of k-vectors (n₀, n₁, n₂ … n₂ + len − 1), stored at `start..start + len`.
#[derive(Clone, Copy, Debug)]
struct KGroup {
    n0: u32,
    /// n₁ + table offset (index into the n₁ table).
    i1: u32,
    /// First n₂ + table offset (index into the n₂ table).
    i2: u32,
    start: u32,
    len: u32,
}

/// Everything that depends on the parameters and the cell only.
#[derive(Clone, Debug)]
struct KSpace {
    cell: Cell,
    /// Reciprocal basis b_d = 2π × row d of H⁻¹ (1/Å).
    recip: [[f64; 3]; 3],
    /// Table extents: n₀ ∈ 0..=m[0], n₁ ∈ −m[1]..=m[1], n₂ ∈ −m[2]..=m[2].
    m: [usize; 3],
    groups: Vec<KGroup>,
    /// A_k = (4π k_e/V) exp(−k²/4α²)/k² per k-vector (half space, doubled).
    coef: Vec<f64>,
    /// The k-vectors (1/Å), for forces and virial.
    kvec: Vec<[f64; 3]>,
    /// 2(1/k² + 1/4α²), for the virial.
    vfac: Vec<f64>,
}

impl KSpace {
    fn new(params: &EwaldParams, cell: &Cell) -> Self {
        let h_inv = cell
            .matrix()
            .try_inverse()
            .expect("a valid Cell is invertible");
        let recip: [[f64; 3]; 3] =
            std::array::from_fn(|d| std::array::from_fn(|c| 2.0 * PI * h_inv[(d, c)]));
        let volume = cell.volume();
        let alpha = params.alpha;
        let kc2 = params.k_cutoff * params.k_cutoff;
        let km = params.kmax.map(|k| k.max(0));
        let kmx = km[0].max(km[1]).max(km[2]);
        let ortho = cell.is_orthorhombic();
        let kvector = |n: [i32; 3]| -> [f64; 3] {
            std::array::from_fn(|c| {
                n[0] as f64 * recip[0][c] + n[1] as f64 * recip[1][c] + n[2] as f64 * recip[2][c]
            })
        };
        let included = |n: [i32; 3]| -> bool {
            let nonzero = n.iter().filter(|&&x| x != 0).count();
            let in_box = (0..3).all(|d| n[d].abs() <= km[d]);
            let axis = nonzero == 1 && (ortho || n[2] != 0);
            if !(in_box || axis) {
                return false;
            }
            let k = kvector(n);
            dot(k, k) <= kc2
        };

        // The half space n₀ > 0, or n₀ = 0 and n₁ > 0, or n₀ = n₁ = 0 and n₂ > 0, in
        // lexicographic order: the box |n_d| ≤ kmax_d, then the vectors along one axis up to
        // max(kmax), merged (enumerating the cube of side max(kmax) instead took minutes for a
        // cell much longer in one direction).
        let mut vectors: Vec<[i32; 3]> = Vec::new();
        for n0 in 0..=km[0] {
            for n1 in -km[1]..=km[1] {
                for n2 in -km[2]..=km[2] {
                    let n = [n0, n1, n2];
                    if (n0, n1, n2) > (0, 0, 0) && included(n) {
                        vectors.push(n);
                    }
                }
            }
        }
        for k in 1..=kmx {
            for (d, n) in [[k, 0, 0], [0, k, 0], [0, 0, k]].into_iter().enumerate() {
                if k > km[d] && included(n) {
                    vectors.push(n);
                }
            }
        }
        vectors.sort_unstable();
        let m: [usize; 3] = std::array::from_fn(|d| {
            vectors
                .iter()
                .map(|n| n[d].unsigned_abs() as usize)
                .max()
                .unwrap_or(0)
        });

        let four_alpha2 = 4.0 * alpha * alpha;
        let pref = 4.0 * PI * COULOMB_EV_A / volume;
        let mut groups: Vec<KGroup> = Vec::new();
        let mut coef = Vec::with_capacity(vectors.len());
        let mut kvec = Vec::with_capacity(vectors.len());
        let mut vfac = Vec::with_capacity(vectors.len());
        for (idx, &n) in vectors.iter().enumerate() {
            let k = kvector(n);
            let k2 = dot(k, k);
            coef.push(pref * libm::exp(-k2 / four_alpha2) / k2);
            kvec.push(k);
            vfac.push(2.0 * (1.0 / k2 + 1.0 / four_alpha2));
            let continues = idx > 0 && {
                let p = vectors[idx - 1];
                p[0] == n[0] && p[1] == n[1] && p[2] + 1 == n[2]
            };
            if continues {
                groups.last_mut().expect("a run is open").len += 1;
            } else {
                groups.push(KGroup {
                    n0: n[0] as u32,
                    i1: (n[1] + m[1] as i32) as u32,
                    i2: (n[2] + m[2] as i32) as u32,
                    start: idx as u32,
                    len: 1,
                });
            }
        }
        Self {
            cell: cell.clone(),
            recip,
            m,
            groups,
            coef,
            kvec,
            vfac,
        }
    }

    fn n_k(&self) -> usize {
        self.coef.len()
    }

    /// Table widths (entries per atom) for n₀, n₁, n₂.
    fn widths(&self) -> [usize; 3] {
        [self.m[0] + 1, 2 * self.m[1] + 1, 2 * self.m[2] + 1]
    }
}

/// One atom chunk's e^{inθ} tables, its partial structure factor and force buffers. The
/// tables are stored row by row (one row per n, the chunk's atoms contiguous in a row), so
/// the inner loops run over atoms with unit stride.
#[derive(Clone, Debug, Default)]
struct ChunkScratch {
    /// Atoms in the chunk (the row length).
    na: usize,
    /// cos and sin of n₀θ₀, rows n₀ = 0..=m₀.
    t0c: Vec<f64>,
    t0s: Vec<f64>,
    /// Rows n₁ = −m₁..=m₁.
    t1c: Vec<f64>,
    t1s: Vec<f64>,
    /// Rows n₂ = −m₂..=m₂.
    t2c: Vec<f64>,
    t2s: Vec<f64>,
    /// e^{i(n₀θ₀ + n₁θ₁)} (times q in pass 1) for the current run of k-vectors.
    zr: Vec<f64>,
    zi: Vec<f64>,
    /// Per-run sums Σ_j v_j and Σ_j j·v_j per atom (pass 2).
    sv: Vec<f64>,
    sjv: Vec<f64>,
    /// Σ_k v_k k per atom (pass 2).
    fx: Vec<f64>,
    fy: Vec<f64>,
    fz: Vec<f64>,
    /// The chunk's partial structure factor.
    s_re: Vec<f64>,
    s_im: Vec<f64>,
}

/// Reusable buffers, so that a step allocates nothing once sizes are settled.
#[derive(Clone, Debug, Default)]
struct Scratch {
    chunks: Vec<ChunkScratch>,
    s_re: Vec<f64>,
    s_im: Vec<f64>,
    /// A_k Re S(k), A_k Im S(k).
    p_re: Vec<f64>,
    p_im: Vec<f64>,
}

/// Ewald summation for one cell: the k-vector list with its prefactors, and scratch space.
#[derive(Clone, Debug)]
pub struct Ewald {
    params: EwaldParams,
    real_space: RealSpaceCoulomb,
    kspace: KSpace,
    scratch: Scratch,
}

impl Ewald {
    /// Precomputes the k-vectors of the half space within the parameters' sphere and box, and
    /// their prefactors, for this cell. [`Ewald::reciprocal`] rebuilds them (same α, k_cutoff
    /// and kmax) when called with a different cell.
    pub fn new(params: EwaldParams, cell: &Cell) -> Self {
        let kspace = KSpace::new(&params, cell);
        Self {
            params,
            real_space: RealSpaceCoulomb::new(params.alpha, params.real_cutoff),
            kspace,
            scratch: Scratch::default(),
        }
    }

    pub fn params(&self) -> &EwaldParams {
        &self.params
    }

    /// Number of k-vectors in the half space (each stands for ±k).
    pub fn n_kvectors(&self) -> usize {
        self.kspace.n_k()
    }

    /// Recomputes the k-vectors for a new cell, keeping α, k_cutoff and kmax.
    pub fn set_cell(&mut self, cell: &Cell) {
        if *cell != self.kspace.cell {
            self.kspace = KSpace::new(&self.params, cell);
        }
    }

    /// Real-space term of one pair with charge product `qq` (e²) at squared distance `r2`
    /// (Å²): (energy k_e qq erfc(αr)/r in eV, −(dU/dr)/r in eV/Å²). The caller applies the
    /// cutoff (r2 < real_cutoff²).
    #[inline(always)]
    pub fn real_pair(&self, qq: f64, r2: f64) -> (f64, f64) {
        self.real_space.pair(qq, r2)
    }

    /// The real-space term, for the engine's pair loop.
    pub fn real_space(&self) -> RealSpaceCoulomb {
        self.real_space
    }

    /// Self energy −k_e α/√π Σ q² (eV).
    pub fn self_energy(&self, charges: &[f64]) -> f64 {
        let q2: f64 = charges.iter().map(|q| q * q).sum();
        -COULOMB_EV_A * self.params.alpha / PI.sqrt() * q2
    }

    /// Reciprocal-space forces (added to `forces`) and, when `with_energy`, energy and virial
    /// (otherwise zeros). Deterministic for any thread count (module documentation).
    pub fn reciprocal(
        &mut self,
        cell: &Cell,
        positions: &[[f64; 3]],
        charges: &[f64],
        forces: &mut [[f64; 3]],
        with_energy: bool,
    ) -> EnergyVirial {
        assert_eq!(positions.len(), charges.len(), "one charge per atom");
        assert_eq!(positions.len(), forces.len(), "one force per atom");
        self.set_cell(cell);
        let ks = &self.kspace;
        let sc = &mut self.scratch;
        let nk = ks.n_k();
        if nk == 0 || positions.is_empty() {
            return EnergyVirial::default();
        }
        let n_chunks = positions.len().div_ceil(CHUNK_ATOMS);
        sc.chunks.resize_with(n_chunks, ChunkScratch::default);
        for v in [&mut sc.s_re, &mut sc.s_im, &mut sc.p_re, &mut sc.p_im] {
            v.resize(nk, 0.0);
        }

        // Pass 1: tables and partial structure factors, one chunk per task.
        sc.chunks
            .par_iter_mut()
            .zip(positions.par_chunks(CHUNK_ATOMS))
            .zip(charges.par_chunks(CHUNK_ATOMS))
            .for_each(|((chunk, x), q)| structure_factor_chunk(ks, x, q, chunk));

        // Sum the partial structure factors in chunk order, per block of k-vectors.
        let chunks = &sc.chunks;
        sc.s_re
            .par_chunks_mut(K_BLOCK)
            .zip(sc.s_im.par_chunks_mut(K_BLOCK))
            .zip(sc.p_re.par_chunks_mut(K_BLOCK))
            .zip(sc.p_im.par_chunks_mut(K_BLOCK))
            .enumerate()
            .for_each(|(b, (((sr, si), pr), pi))| {
                let off = b * K_BLOCK;
                sr.copy_from_slice(&chunks[0].s_re[off..off + sr.len()]);
                si.copy_from_slice(&chunks[0].s_im[off..off + si.len()]);
                for c in &chunks[1..] {
                    for (s, &p) in sr.iter_mut().zip(&c.s_re[off..]) {
                        *s += p;
                    }
                    for (s, &p) in si.iter_mut().zip(&c.s_im[off..]) {
                        *s += p;
                    }
                }
                let a = &ks.coef[off..off + sr.len()];
                for j in 0..sr.len() {
                    pr[j] = a[j] * sr[j];
                    pi[j] = a[j] * si[j];
                }
            });

        // Pass 2: forces, one chunk per task, each atom summing over all k-vectors.
        let (p_re, p_im) = (&sc.p_re, &sc.p_im);
        sc.chunks
            .par_iter_mut()
            .zip(forces.par_chunks_mut(CHUNK_ATOMS))
            .zip(charges.par_chunks(CHUNK_ATOMS))
            .for_each(|((chunk, f), q)| force_chunk(ks, p_re, p_im, q, chunk, f));

        if !with_energy {
            return EnergyVirial::default();
        }
        let mut ev = EnergyVirial::default();
        let mut w = [0.0; 6];
        for k in 0..nk {
            let s2 = sc.s_re[k] * sc.s_re[k] + sc.s_im[k] * sc.s_im[k];
            let e = ks.coef[k] * s2;
            ev.energy += e;
            let g = ks.kvec[k];
            let v = ks.vfac[k] * e;
            w[0] += e - v * g[0] * g[0];
            w[1] += e - v * g[1] * g[1];
            w[2] += e - v * g[2] * g[2];
            w[3] -= v * g[0] * g[1];
            w[4] -= v * g[0] * g[2];
            w[5] -= v * g[1] * g[2];
        }
        ev.virial = w;
        ev
    }
}

// ---------------------------------------------------------------------------------------------
// Kernels
//
// The inner loops come in two copies: the x86-64 baseline (SSE2, what the compiler makes of
// plain Rust) and, when the CPU has AVX2, explicit 256-bit code. Both perform the same IEEE
// operations in the same order on every atom and k-vector — the same partial-sum lanes, no FMA
// (never enabled; Rust does not contract a·b + c) — so the results are the same bits on every
// x86-64 machine; the unit test `avx2_and_baseline_kernels_agree_bitwise` checks it.
// ---------------------------------------------------------------------------------------------

fn use_avx2() -> bool {
    #[cfg(test)]
    if FORCE_BASELINE.load(std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The unit test sets this to run the baseline kernels on an AVX2 machine.
#[cfg(test)]
static FORCE_BASELINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Builds the e^{inθ} tables of a chunk's atoms and its partial structure factor.
fn structure_factor_chunk(ks: &KSpace, x: &[[f64; 3]], q: &[f64], c: &mut ChunkScratch) {
    let [w0, w1, w2] = ks.widths();
    let [_, m1, m2] = ks.m;
    let na = x.len();
    c.na = na;
    for (v, rows) in [
        (&mut c.t0c, w0),
        (&mut c.t0s, w0),
        (&mut c.t1c, w1),
        (&mut c.t1s, w1),
        (&mut c.t2c, w2),
        (&mut c.t2s, w2),
        (&mut c.zr, 1),
        (&mut c.zi, 1),
        (&mut c.sv, 1),
        (&mut c.sjv, 1),
        (&mut c.fx, 1),
        (&mut c.fy, 1),
        (&mut c.fz, 1),
    ] {
        v.resize(rows * na, 0.0);
    }
    c.s_re.resize(ks.n_k(), 0.0);
    c.s_im.resize(ks.n_k(), 0.0);

    // Row 1 of each table (row m + 1 of the signed ones) from one sincos per direction.
    for (a, &xa) in x.iter().enumerate() {
        let s = ks.cell.to_fractional(xa);
        let (sin0, cos0) = libm::sincos(2.0 * PI * s[0]);
        let (sin1, cos1) = libm::sincos(2.0 * PI * s[1]);
        let (sin2, cos2) = libm::sincos(2.0 * PI * s[2]);
        if w0 > 1 {
            c.t0c[na + a] = cos0;
            c.t0s[na + a] = sin0;
        }
        if m1 > 0 {
            c.t1c[(m1 + 1) * na + a] = cos1;
            c.t1s[(m1 + 1) * na + a] = sin1;
        }
        if m2 > 0 {
            c.t2c[(m2 + 1) * na + a] = cos2;
            c.t2s[(m2 + 1) * na + a] = sin2;
        }
    }
    fill_rows(&mut c.t0c, &mut c.t0s, na, 0, w0 - 1);
    fill_rows(&mut c.t1c, &mut c.t1s, na, m1, m1);
    fill_rows(&mut c.t2c, &mut c.t2s, na, m2, m2);

    let avx2 = use_avx2();
    let (zr, zi) = (&mut c.zr[..na], &mut c.zi[..na]);
    for g in &ks.groups {
        group_phase(&c.t0c, &c.t0s, &c.t1c, &c.t1s, g, na, Some(q), zr, zi);
        for j in 0..g.len as usize {
            let row = (g.i2 as usize + j) * na..(g.i2 as usize + j + 1) * na;
            let (tc, ts) = (&c.t2c[row.clone()], &c.t2s[row]);
            let (sr, si) = if avx2 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the CPU has AVX2 (use_avx2).
                unsafe {
                    avx2::dot_complex(zr, zi, tc, ts)
                }
                #[cfg(not(target_arch = "x86_64"))]
                unreachable!()
            } else {
                dot_complex(zr, zi, tc, ts)
            };
            c.s_re[g.start as usize + j] = sr;
            c.s_im[g.start as usize + j] = si;
        }
    }
}

/// z_i = (q_i ·) e^{i(n₀θ₀ + n₁θ₁)} for the atoms of a chunk, for the run `g`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn group_phase(
    t0c: &[f64],
    t0s: &[f64],
    t1c: &[f64],
    t1s: &[f64],
    g: &KGroup,
    na: usize,
    q: Option<&[f64]>,
    zr: &mut [f64],
    zi: &mut [f64],
) {
    let r0 = g.n0 as usize * na..(g.n0 as usize + 1) * na;
    let r1 = g.i1 as usize * na..(g.i1 as usize + 1) * na;
    let (ac, as_) = (&t0c[r0.clone()], &t0s[r0]);
    let (bc, bs) = (&t1c[r1.clone()], &t1s[r1]);
    let (zr, zi) = (&mut zr[..na], &mut zi[..na]);
    match q {
        Some(q) => {
            let q = &q[..na];
            for i in 0..na {
                zr[i] = q[i] * (ac[i] * bc[i] - as_[i] * bs[i]);
                zi[i] = q[i] * (ac[i] * bs[i] + as_[i] * bc[i]);
            }
        }
        None => {
            for i in 0..na {
                zr[i] = ac[i] * bc[i] - as_[i] * bs[i];
                zi[i] = ac[i] * bs[i] + as_[i] * bc[i];
            }
        }
    }
}

/// Lanes of the partial sums in [`dot_complex`].
const LANES: usize = 8;

/// Σ_i z_i·t_i (complex) with eight partial sums per component, lane l summing atoms
/// i ≡ l (mod 8) in order, folded as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); the
/// last n mod 8 atoms are then added one by one.
fn dot_complex(zr: &[f64], zi: &[f64], tc: &[f64], ts: &[f64]) -> (f64, f64) {
    let n = zr.len();
    let (zi, tc, ts) = (&zi[..n], &tc[..n], &ts[..n]);
    let mut ar = [0.0; LANES];
    let mut ai = [0.0; LANES];
    let full = n / LANES * LANES;
    for b in (0..full).step_by(LANES) {
        for l in 0..LANES {
            let i = b + l;
            ar[l] += zr[i] * tc[i] - zi[i] * ts[i];
            ai[l] += zr[i] * ts[i] + zi[i] * tc[i];
        }
    }
    finish_dot(ar, ai, &zr[full..], &zi[full..], &tc[full..], &ts[full..])
}

#[inline(always)]
fn finish_dot(
    ar: [f64; LANES],
    ai: [f64; LANES],
    zr: &[f64],
    zi: &[f64],
    tc: &[f64],
    ts: &[f64],
) -> (f64, f64) {
    let fold = |v: [f64; LANES]| ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    let (mut sr, mut si) = (fold(ar), fold(ai));
    for i in 0..zr.len() {
        sr += zr[i] * tc[i] - zi[i] * ts[i];
        si += zr[i] * ts[i] + zi[i] * tc[i];
    }
    (sr, si)
}

/// For one run of k-vectors (n₂ = first + j, j < len) and each atom i of a chunk:
/// v_ij = Re P_j·Im e_ij − Im P_j·Re e_ij with e_ij = z_i·t2[first + j]_i and P = A·S;
/// sv_i = Σ_j v_ij and sjv_i = Σ_j j·v_ij, summed over j in order.
#[allow(clippy::too_many_arguments)]
fn run_sums(
    zr: &[f64],
    zi: &[f64],
    t2c: &[f64],
    t2s: &[f64],
    na: usize,
    pr: &[f64],
    pi: &[f64],
    sv: &mut [f64],
    sjv: &mut [f64],
) {
    // Blocks of 8 atoms with the sums in small arrays, so the compiler keeps them in vector
    // registers; each atom's operations are the same as one atom at a time.
    const B: usize = 8;
    let full = na / B * B;
    let len = pr.len();
    let (t2c, t2s) = (&t2c[..len * na], &t2s[..len * na]);
    for i0 in (0..full).step_by(B) {
        let a: [f64; B] = std::array::from_fn(|l| zr[i0 + l]);
        let b: [f64; B] = std::array::from_fn(|l| zi[i0 + l]);
        let mut s = [0.0; B];
        let mut sj = [0.0; B];
        for j in 0..len {
            let (p, m, jf) = (pr[j], pi[j], j as f64);
            let c = &t2c[j * na + i0..j * na + i0 + B];
            let d = &t2s[j * na + i0..j * na + i0 + B];
            for l in 0..B {
                let cr = a[l] * c[l] - b[l] * d[l];
                let si = a[l] * d[l] + b[l] * c[l];
                let v = p * si - m * cr;
                s[l] += v;
                sj[l] += jf * v;
            }
        }
        sv[i0..i0 + B].copy_from_slice(&s);
        sjv[i0..i0 + B].copy_from_slice(&sj);
    }
    run_sums_from(full, zr, zi, t2c, t2s, na, pr, pi, sv, sjv);
}

/// [`run_sums`] for atoms `from..na`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_sums_from(
    from: usize,
    zr: &[f64],
    zi: &[f64],
    t2c: &[f64],
    t2s: &[f64],
    na: usize,
    pr: &[f64],
    pi: &[f64],
    sv: &mut [f64],
    sjv: &mut [f64],
) {
    for i in from..na {
        let (a, b) = (zr[i], zi[i]);
        let (mut s, mut sj) = (0.0, 0.0);
        for j in 0..pr.len() {
            let (c, d) = (t2c[j * na + i], t2s[j * na + i]);
            let cr = a * c - b * d;
            let si = a * d + b * c;
            let v = pr[j] * si - pi[j] * cr;
            s += v;
            sj += j as f64 * v;
        }
        sv[i] = s;
        sjv[i] = sj;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 copies of [`super::dot_complex`] and [`super::run_sums`], operation for
    //! operation the same as the baseline code.
    use super::{finish_dot, run_sums_from, LANES};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn dot_complex(zr: &[f64], zi: &[f64], tc: &[f64], ts: &[f64]) -> (f64, f64) {
        let n = zr.len();
        assert!(zi.len() >= n && tc.len() >= n && ts.len() >= n);
        let full = n / LANES * LANES;
        let mut ar = [0.0; LANES];
        let mut ai = [0.0; LANES];
        // SAFETY: every load reads i..i + 8 ≤ full ≤ n elements of slices of length ≥ n.
        unsafe {
            let (mut ar0, mut ar1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let (mut ai0, mut ai1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let mut i = 0;
            while i < full {
                let a0 = _mm256_loadu_pd(zr.as_ptr().add(i));
                let a1 = _mm256_loadu_pd(zr.as_ptr().add(i + 4));
                let b0 = _mm256_loadu_pd(zi.as_ptr().add(i));
                let b1 = _mm256_loadu_pd(zi.as_ptr().add(i + 4));
                let c0 = _mm256_loadu_pd(tc.as_ptr().add(i));
                let c1 = _mm256_loadu_pd(tc.as_ptr().add(i + 4));
                let d0 = _mm256_loadu_pd(ts.as_ptr().add(i));
                let d1 = _mm256_loadu_pd(ts.as_ptr().add(i + 4));
                // ar += a·c − b·d, ai += a·d + b·c
                ar0 = _mm256_add_pd(
                    ar0,
                    _mm256_sub_pd(_mm256_mul_pd(a0, c0), _mm256_mul_pd(b0, d0)),
                );
                ar1 = _mm256_add_pd(
                    ar1,
                    _mm256_sub_pd(_mm256_mul_pd(a1, c1), _mm256_mul_pd(b1, d1)),
                );
                ai0 = _mm256_add_pd(
                    ai0,
                    _mm256_add_pd(_mm256_mul_pd(a0, d0), _mm256_mul_pd(b0, c0)),
                );
                ai1 = _mm256_add_pd(
                    ai1,
                    _mm256_add_pd(_mm256_mul_pd(a1, d1), _mm256_mul_pd(b1, c1)),
                );
                i += LANES;
            }
            _mm256_storeu_pd(ar.as_mut_ptr(), ar0);
            _mm256_storeu_pd(ar.as_mut_ptr().add(4), ar1);
            _mm256_storeu_pd(ai.as_mut_ptr(), ai0);
            _mm256_storeu_pd(ai.as_mut_ptr().add(4), ai1);
        }
        finish_dot(
            ar,
            ai,
            &zr[full..n],
            &zi[full..n],
            &tc[full..n],
            &ts[full..n],
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    pub(super) fn run_sums(
        zr: &[f64],
        zi: &[f64],
        t2c: &[f64],
        t2s: &[f64],
        na: usize,
        pr: &[f64],
        pi: &[f64],
        sv: &mut [f64],
        sjv: &mut [f64],
    ) {
        let len = pr.len();
        assert!(zr.len() >= na && zi.len() >= na && sv.len() >= na && sjv.len() >= na);
        assert!(pi.len() >= len && t2c.len() >= len * na && t2s.len() >= len * na);
        // Each atom's sums are independent, so blocks of 8 atoms (two registers, four
        // independent addition chains to hide their latency) give the same bits as one atom at
        // a time.
        let full = na / 8 * 8;
        // SAFETY: atom blocks i..i + 8 ≤ full ≤ na and rows j < len lie inside the slices
        // (asserted above).
        unsafe {
            let mut i = 0;
            while i < full {
                let a0 = _mm256_loadu_pd(zr.as_ptr().add(i));
                let a1 = _mm256_loadu_pd(zr.as_ptr().add(i + 4));
                let b0 = _mm256_loadu_pd(zi.as_ptr().add(i));
                let b1 = _mm256_loadu_pd(zi.as_ptr().add(i + 4));
                let (mut s0, mut s1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
                let (mut sj0, mut sj1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
                for j in 0..len {
                    let p = _mm256_set1_pd(*pr.get_unchecked(j));
                    let m = _mm256_set1_pd(*pi.get_unchecked(j));
                    let jf = _mm256_set1_pd(j as f64);
                    let row_c = t2c.as_ptr().add(j * na + i);
                    let row_s = t2s.as_ptr().add(j * na + i);
                    let (c0, c1) = (_mm256_loadu_pd(row_c), _mm256_loadu_pd(row_c.add(4)));
                    let (d0, d1) = (_mm256_loadu_pd(row_s), _mm256_loadu_pd(row_s.add(4)));
                    // cr = a·c − b·d, si = a·d + b·c, v = p·si − m·cr
                    let cr0 = _mm256_sub_pd(_mm256_mul_pd(a0, c0), _mm256_mul_pd(b0, d0));
                    let cr1 = _mm256_sub_pd(_mm256_mul_pd(a1, c1), _mm256_mul_pd(b1, d1));
                    let si0 = _mm256_add_pd(_mm256_mul_pd(a0, d0), _mm256_mul_pd(b0, c0));
                    let si1 = _mm256_add_pd(_mm256_mul_pd(a1, d1), _mm256_mul_pd(b1, c1));
                    let v0 = _mm256_sub_pd(_mm256_mul_pd(p, si0), _mm256_mul_pd(m, cr0));
                    let v1 = _mm256_sub_pd(_mm256_mul_pd(p, si1), _mm256_mul_pd(m, cr1));
                    s0 = _mm256_add_pd(s0, v0);
                    s1 = _mm256_add_pd(s1, v1);
                    sj0 = _mm256_add_pd(sj0, _mm256_mul_pd(jf, v0));
                    sj1 = _mm256_add_pd(sj1, _mm256_mul_pd(jf, v1));
                }
                _mm256_storeu_pd(sv.as_mut_ptr().add(i), s0);
                _mm256_storeu_pd(sv.as_mut_ptr().add(i + 4), s1);
                _mm256_storeu_pd(sjv.as_mut_ptr().add(i), sj0);
                _mm256_storeu_pd(sjv.as_mut_ptr().add(i + 4), sj1);
                i += 8;
            }
        }
        run_sums_from(full, zr, zi, t2c, t2s, na, pr, pi, sv, sjv);
    }
}

/// Reciprocal forces on a chunk's atoms from the summed structure factor:
/// F_i = 2 q_i Σ_k A_k k [Re S sin(k·r_i) − Im S cos(k·r_i)], with the k of a run written
/// k_j = k_first + j·b₂, so that F_i = 2 q_i Σ_runs (k_first·sv_i + b₂·sjv_i).
fn force_chunk(
    ks: &KSpace,
    p_re: &[f64],
    p_im: &[f64],
    q: &[f64],
    c: &mut ChunkScratch,
    forces: &mut [[f64; 3]],
) {
    let na = c.na;
    debug_assert_eq!(na, forces.len());
    let avx2 = use_avx2();
    let b2 = ks.recip[2];
    let (zr, zi) = (&mut c.zr[..na], &mut c.zi[..na]);
    let (sv, sjv) = (&mut c.sv[..na], &mut c.sjv[..na]);
    let (fx, fy, fz) = (&mut c.fx[..na], &mut c.fy[..na], &mut c.fz[..na]);
    fx.fill(0.0);
    fy.fill(0.0);
    fz.fill(0.0);
    for g in &ks.groups {
        group_phase(&c.t0c, &c.t0s, &c.t1c, &c.t1s, g, na, None, zr, zi);
        let (start, len) = (g.start as usize, g.len as usize);
        let rows = g.i2 as usize * na..(g.i2 as usize + len) * na;
        let (t2c, t2s) = (&c.t2c[rows.clone()], &c.t2s[rows]);
        let (pr, pi) = (&p_re[start..start + len], &p_im[start..start + len]);
        if avx2 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has AVX2 (use_avx2).
            unsafe {
                avx2::run_sums(zr, zi, t2c, t2s, na, pr, pi, sv, sjv)
            };
        } else {
            run_sums(zr, zi, t2c, t2s, na, pr, pi, sv, sjv);
        }
        let k0 = ks.kvec[start];
        for i in 0..na {
            fx[i] += sv[i] * k0[0] + sjv[i] * b2[0];
            fy[i] += sv[i] * k0[1] + sjv[i] * b2[1];
            fz[i] += sv[i] * k0[2] + sjv[i] * b2[2];
        }
    }
    for (i, f) in forces.iter_mut().enumerate() {
        let s = 2.0 * q[i];
        f[0] += s * fx[i];
        f[1] += s * fy[i];
        f[2] += s * fz[i];
    }
}

/// Fills table rows by recursion from row `mid + 1` (= e^{iθ}, already set): row mid is 1,
/// row mid + n = row mid + n − 1 times e^{iθ} for n = 2..=up, and row mid − n is the
/// conjugate of row mid + n for n = 1..=mid (`mid` = 0 for the one-sided n₀ table).
fn fill_rows(c: &mut [f64], s: &mut [f64], na: usize, mid: usize, up: usize) {
    c[mid * na..(mid + 1) * na].fill(1.0);
    s[mid * na..(mid + 1) * na].fill(0.0);
    for n in 2..=up {
        let (prev, cur) = ((mid + n - 1) * na, (mid + n) * na);
        for i in 0..na {
            let (pc, ps) = (c[prev + i], s[prev + i]);
            let (ec, es) = (c[(mid + 1) * na + i], s[(mid + 1) * na + i]);
            c[cur + i] = pc * ec - ps * es;
            s[cur + i] = pc * es + ps * ec;
        }
    }
    for n in 1..=mid {
        let (src, dst) = ((mid + n) * na, (mid - n) * na);
        for i in 0..na {
            c[dst + i] = c[src + i];
            s[dst + i] = -s[src + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 and the baseline kernels give the same bits (run on an AVX2 machine).
    #[test]
    fn avx2_and_baseline_kernels_agree_bitwise() {
        let cell = Cell::new([13.0, 0.0, 0.0], [2.0, 12.5, 0.0], [-1.0, 1.5, 12.0]).unwrap();
        // 301 atoms: two chunks, the second not a multiple of 8 atoms.
        let n = 301;
        let mut x = Vec::with_capacity(n);
        let mut q = Vec::with_capacity(n);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..n {
            x.push(cell.to_cartesian([uniform(), uniform(), uniform()]));
            q.push(if i % 2 == 0 { 1.0 } else { -1.0 } * (0.5 + uniform()));
        }
        let net: f64 = q.iter().sum();
        q[0] -= net;
        let params = EwaldParams::for_cutoff(1e-6, 6.0, &cell, &q).unwrap();
        let run = |baseline: bool| {
            FORCE_BASELINE.store(baseline, std::sync::atomic::Ordering::Relaxed);
            let mut ewald = Ewald::new(params, &cell);
            let mut f = vec![[0.0; 3]; n];
            let ev = ewald.reciprocal(&cell, &x, &q, &mut f, true);
            FORCE_BASELINE.store(false, std::sync::atomic::Ordering::Relaxed);
            (ev, f)
        };
        let (ev_fast, f_fast) = run(false);
        let (ev_base, f_base) = run(true);
        assert_eq!(ev_fast.energy.to_bits(), ev_base.energy.to_bits());
        for (a, b) in f_fast.iter().flatten().zip(f_base.iter().flatten()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        if !use_avx2() {
            eprintln!("note: no AVX2 on this machine; both runs used the baseline kernels");
        }
    }
}
