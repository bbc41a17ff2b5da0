//! Ewald parameters: α, real-space cutoff and k-vectors from a requested force accuracy
//! (module documentation of [`crate::ewald`]).

use crate::cell::Cell;
use crate::coulomb::cost;
use crate::units::COULOMB_EV_A;
use std::f64::consts::PI;

use super::NEUTRALITY_TOLERANCE;

/// Largest k-vector index we accept in any direction (guards against absurd requests).
const MAX_KINDEX: i32 = 2_000;
/// Cost of one real-space pair (half list) relative to one (atom, k-vector) term of the
/// reciprocal sum (both passes), from the cost model ([`crate::coulomb::cost`]), used by
/// [`EwaldParams::optimized`].
const COST_PAIR_OVER_KVECTOR: f64 = cost::PAIR_NS / cost::KVECTOR_NS;

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
    #[error("invalid PME spline order {order}: give 4, 5 or 6")]
    InvalidOrder { order: usize },
    #[error(
        "invalid PME mesh: {mesh} points along a direction, but at least the spline order \
         ({order}) and at most 1024 are allowed; ask for a lower accuracy or use Ewald"
    )]
    InvalidMesh { mesh: usize, order: usize },
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

pub(super) fn dot(u: [f64; 3], v: [f64; 3]) -> f64 {
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
pub(crate) fn charge_sums(charges: &[f64]) -> Result<(f64, f64), EwaldError> {
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

pub(crate) fn check_accuracy(accuracy: f64) -> Result<(), EwaldError> {
    if accuracy.is_finite() && accuracy > 0.0 && accuracy < 1.0 {
        Ok(())
    } else {
        Err(EwaldError::InvalidAccuracy { accuracy })
    }
}

pub(crate) fn check_cutoff(cutoff: f64) -> Result<(), EwaldError> {
    if cutoff.is_finite() && cutoff > 0.0 {
        Ok(())
    } else {
        Err(EwaldError::InvalidCutoff { cutoff })
    }
}

/// Kolafa–Perram real-space RMS force error (eV/Å); `qq` = k_e Σq².
pub(crate) fn real_space_error(qq: f64, n: f64, volume: f64, alpha: f64, rc: f64) -> f64 {
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
pub(crate) fn alpha_for_real_error(target: f64, qq: f64, n: f64, volume: f64, rc: f64) -> f64 {
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
