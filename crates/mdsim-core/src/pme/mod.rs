//! Smooth particle-mesh Ewald (Essmann et al., J. Chem. Phys. 103, 8577 (1995)): the
//! reciprocal-space part of the Ewald sum on a mesh, O(N log N). The real-space and self terms
//! are those of plain Ewald ([`crate::coulomb::RealSpaceCoulomb`], [`crate::ewald`]).
//!
//! # Formulas
//!
//! With s = H⁻¹r the fractional coordinates and u_d = K_d s_d, the charges are spread on the
//! mesh with cardinal B-splines of order p, Q(k) = Σ_i q_i Π_d M_p(u_id − k_d) (periodic in k),
//! and with F the unnormalised discrete Fourier transform,
//!
//!   E_recip = ½ Σ_{m ≠ 0} G(m) |F(Q)(m)|²,
//!   G(m) = k_e B(m) exp(−π² m̂²/α²) / (π V m̂²),  B(m) = Π_d |b_d(m_d)|²,
//!
//! m̂ = Σ_d m_d a*_d (a*_d the rows of H⁻¹, m_d taken in −K_d/2..K_d/2). With
//! φ = F⁻¹(G·F(Q)) (unnormalised inverse), E_recip = ½ Σ_k Q(k) φ(k) and the force on atom i is
//! F_i = −Σ_k (∂Q(k)/∂r_i) φ(k), with ∂u_id/∂r_i = K_d a*_d (analytic B-spline derivatives).
//! These forces are the exact gradient of E_recip. The virial (the convention of
//! [`EnergyVirial`]) is W_ab = Σ_m E_m [δ_ab − 2 m̂_a m̂_b (1/m̂² + π²/α²)], E_m = ½ G|F(Q)|²:
//! Q does not change under a homogeneous strain (fractional coordinates are fixed), so this is
//! the exact strain derivative of E_recip.
//!
//! # Determinism (DESIGN.md §9)
//!
//! Spreading runs over mesh planes k₀ (one task per plane): a plane collects, in a fixed order
//! (spline offset, then atom index), the contributions of the atoms whose stencil covers it
//! (atoms bucketed by their first plane with a stable counting sort). Each mesh point therefore
//! receives its additions in the same order for any thread count, with no atomics and no
//! per-thread copies of the mesh. The FFTs transform each line with a fixed plan
//! ([`fft`]); the energy and virial are summed per plane of the spectrum and the planes added in
//! order; forces are per atom.

mod fft;
mod params;
mod spline;

pub use params::{fft_friendly, modelled_cost, PmeParams, MESH_ERROR_FACTOR};
pub use spline::{MAX_ORDER, MIN_ORDER};

use crate::cell::Cell;
use crate::forces::EnergyVirial;
use crate::units::COULOMB_EV_A;
use fft::{Fft3, C64};
use rayon::prelude::*;
use spline::Weights;
use std::f64::consts::PI;

/// Atoms per task of the spline and force passes (fixed; results do not depend on it).
const CHUNK_ATOMS: usize = 256;

/// One atom's first mesh point and spline weights along the three directions.
#[derive(Clone, Copy, Debug, Default)]
struct AtomSplines {
    start: [u32; 3],
    w: [Weights; 3],
}

/// Smooth PME for one cell: FFT plans, influence function and work space.
#[derive(Clone, Debug)]
pub struct Pme {
    params: PmeParams,
    cell: Cell,
    fft: Fft3,
    /// G(m) in the spectrum layout `[m₁][m₂][m₀]`, eV·Å (0 at m = 0).
    influence: Vec<f64>,
    /// Rows of H⁻¹ (1/Å).
    h_inv: [[f64; 3]; 3],
    splines: Vec<AtomSplines>,
    /// Atom indices sorted by first plane, and where each plane's bucket starts.
    order: Vec<u32>,
    bucket: Vec<u32>,
    mesh: Vec<f64>,
    plane: Vec<C64>,
    spectrum: Vec<C64>,
}

impl Pme {
    pub fn new(params: PmeParams, cell: &Cell) -> Self {
        let fft = Fft3::new(params.mesh);
        let n_real = params.mesh.iter().product();
        let n_complex = fft.complex_len();
        let mut pme = Self {
            params,
            cell: cell.clone(),
            fft,
            influence: Vec::new(),
            h_inv: [[0.0; 3]; 3],
            splines: Vec::new(),
            order: Vec::new(),
            bucket: Vec::new(),
            mesh: vec![0.0; n_real],
            plane: vec![C64::default(); n_complex],
            spectrum: vec![C64::default(); n_complex],
        };
        pme.setup_cell(cell);
        pme
    }

    pub fn params(&self) -> &PmeParams {
        &self.params
    }

    /// Self energy −k_e α/√π Σ q² (eV), as for Ewald.
    pub fn self_energy(&self, charges: &[f64]) -> f64 {
        crate::coulomb::ewald_self_energy(self.params.alpha, charges)
    }

    /// Recomputes the influence function for a new cell (same mesh and α).
    pub fn set_cell(&mut self, cell: &Cell) {
        if *cell != self.cell {
            self.setup_cell(cell);
        }
    }

    fn setup_cell(&mut self, cell: &Cell) {
        self.cell = cell.clone();
        let hi = cell
            .matrix()
            .try_inverse()
            .expect("a valid Cell is invertible");
        self.h_inv = std::array::from_fn(|d| std::array::from_fn(|c| hi[(d, c)]));
        let [k0, k1, _] = self.params.mesh;
        let kh = self.fft.kh();
        let p = self.params.order;
        let b: [Vec<f64>; 3] = std::array::from_fn(|d| spline::moduli(p, self.params.mesh[d]));
        let signed = |m: usize, k: usize| {
            if 2 * m > k {
                m as f64 - k as f64
            } else {
                m as f64
            }
        };
        let pref = COULOMB_EV_A / (PI * cell.volume());
        let pi2_a2 = PI * PI / (self.params.alpha * self.params.alpha);
        let h = self.h_inv;
        let mut g = vec![0.0; k1 * kh * k0];
        for m1 in 0..k1 {
            for m2 in 0..kh {
                for m0 in 0..k0 {
                    if m0 == 0 && m1 == 0 && m2 == 0 {
                        continue;
                    }
                    let mm = [signed(m0, k0), signed(m1, k1), m2 as f64];
                    let mh: [f64; 3] = std::array::from_fn(|c| {
                        mm[0] * h[0][c] + mm[1] * h[1][c] + mm[2] * h[2][c]
                    });
                    let m2h = mh[0] * mh[0] + mh[1] * mh[1] + mh[2] * mh[2];
                    g[(m1 * kh + m2) * k0 + m0] =
                        pref * b[0][m0] * b[1][m1] * b[2][m2] * libm::exp(-pi2_a2 * m2h) / m2h;
                }
            }
        }
        self.influence = g;
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
        if positions.is_empty() {
            return EnergyVirial::default();
        }
        self.compute_splines(positions);
        self.spread(charges);
        self.fft
            .forward(&self.mesh, &mut self.plane, &mut self.spectrum);
        let ev = self.convolve(with_energy);
        self.fft
            .inverse(&mut self.spectrum, &mut self.plane, &mut self.mesh);
        self.interpolate_forces(charges, forces);
        ev
    }

    /// Spline weights of every atom and the buckets by first plane.
    fn compute_splines(&mut self, positions: &[[f64; 3]]) {
        let p = self.params.order;
        let k = self.params.mesh;
        let h = self.h_inv;
        self.splines.resize(positions.len(), AtomSplines::default());
        self.splines
            .par_chunks_mut(CHUNK_ATOMS)
            .zip(positions.par_chunks(CHUNK_ATOMS))
            .for_each(|(out, x)| {
                for (a, r) in out.iter_mut().zip(x) {
                    for d in 0..3 {
                        let s = h[d][0] * r[0] + h[d][1] * r[1] + h[d][2] * r[2];
                        let u = (s - s.floor()) * k[d] as f64;
                        let fl = u.floor();
                        // u < K up to rounding; a u that rounds to K lands on point 0.
                        let base = (fl as usize).min(k[d] - 1);
                        let w = (u - fl).clamp(0.0, 1.0 - f64::EPSILON);
                        a.start[d] = ((base + 2 * k[d] + 1 - p) % k[d]) as u32;
                        a.w[d] = Weights::new(p, w);
                    }
                }
            });
        // Stable counting sort by first plane.
        let k0 = k[0];
        self.bucket.clear();
        self.bucket.resize(k0 + 1, 0);
        for a in &self.splines {
            self.bucket[a.start[0] as usize + 1] += 1;
        }
        for i in 0..k0 {
            self.bucket[i + 1] += self.bucket[i];
        }
        let mut next = self.bucket.clone();
        self.order.resize(positions.len(), 0);
        for (i, a) in self.splines.iter().enumerate() {
            let s = a.start[0] as usize;
            self.order[next[s] as usize] = i as u32;
            next[s] += 1;
        }
    }

    /// Q(k): one task per plane k₀, additions in a fixed order.
    fn spread(&mut self, charges: &[f64]) {
        let p = self.params.order;
        let [k0, k1, k2] = self.params.mesh;
        let (splines, order, bucket) = (&self.splines, &self.order, &self.bucket);
        self.mesh
            .par_chunks_mut(k1 * k2)
            .enumerate()
            .for_each(|(plane_index, plane)| {
                plane.fill(0.0);
                for i in 0..p {
                    let s = (plane_index + k0 * p - i) % k0;
                    for &atom in &order[bucket[s] as usize..bucket[s + 1] as usize] {
                        let a = &splines[atom as usize];
                        let q = charges[atom as usize] * a.w[0].theta[i];
                        spread_plane(plane, a, q, p, k1, k2);
                    }
                }
            });
    }

    /// Multiplies the spectrum by G; energy and virial from |F(Q)|² when asked.
    fn convolve(&mut self, with_energy: bool) -> EnergyVirial {
        let [k0, k1, k2] = self.params.mesh;
        let kh = self.fft.kh();
        let g = &self.influence;
        let h = self.h_inv;
        let pi2_a2 = PI * PI / (self.params.alpha * self.params.alpha);
        let signed = |m: usize, k: usize| {
            if 2 * m > k {
                m as f64 - k as f64
            } else {
                m as f64
            }
        };
        let partial: Vec<EnergyVirial> = self
            .spectrum
            .par_chunks_mut(kh * k0)
            .zip(g.par_chunks(kh * k0))
            .enumerate()
            .map(|(m1, (spec, g))| {
                let mut ev = EnergyVirial::default();
                for m2 in 0..kh {
                    // Half spectrum along m₂: the others are the complex conjugates.
                    let weight = if m2 == 0 || 2 * m2 == k2 { 0.5 } else { 1.0 };
                    for m0 in 0..k0 {
                        let j = m2 * k0 + m0;
                        let z = spec[j];
                        spec[j] = z * g[j];
                        if with_energy && g[j] != 0.0 {
                            let e = weight * g[j] * z.norm_sqr();
                            let mm = [signed(m0, k0), signed(m1, k1), m2 as f64];
                            let mh: [f64; 3] = std::array::from_fn(|c| {
                                mm[0] * h[0][c] + mm[1] * h[1][c] + mm[2] * h[2][c]
                            });
                            let m2h = mh[0] * mh[0] + mh[1] * mh[1] + mh[2] * mh[2];
                            let v = 2.0 * e * (1.0 / m2h + pi2_a2);
                            ev.energy += e;
                            ev.virial[0] += e - v * mh[0] * mh[0];
                            ev.virial[1] += e - v * mh[1] * mh[1];
                            ev.virial[2] += e - v * mh[2] * mh[2];
                            ev.virial[3] -= v * mh[0] * mh[1];
                            ev.virial[4] -= v * mh[0] * mh[2];
                            ev.virial[5] -= v * mh[1] * mh[2];
                        }
                    }
                }
                ev
            })
            .collect();
        let mut total = EnergyVirial::default();
        for ev in &partial {
            total.energy += ev.energy;
            for c in 0..6 {
                total.virial[c] += ev.virial[c];
            }
        }
        total
    }

    /// F_i = −q_i Σ_k ∇_i[Π_d M_p] φ(k).
    fn interpolate_forces(&self, charges: &[f64], forces: &mut [[f64; 3]]) {
        let p = self.params.order;
        let k = self.params.mesh;
        let h = self.h_inv;
        let phi = &self.mesh;
        forces
            .par_chunks_mut(CHUNK_ATOMS)
            .zip(self.splines.par_chunks(CHUNK_ATOMS))
            .zip(charges.par_chunks(CHUNK_ATOMS))
            .for_each(|((f, sp), q)| {
                for ((f, a), &q) in f.iter_mut().zip(sp).zip(q) {
                    let g = gradient_sum(phi, a, p, k);
                    // ∂u_d/∂r = K_d a*_d.
                    let gk = [0, 1, 2].map(|d| g[d] * k[d] as f64);
                    for c in 0..3 {
                        f[c] -= q * (gk[0] * h[0][c] + gk[1] * h[1][c] + gk[2] * h[2][c]);
                    }
                }
            });
    }
}

/// Adds q·θ₁(j)θ₂(l) to the p × p stencil of one atom in one plane.
#[allow(clippy::needless_range_loop)] // indices into several parallel arrays
#[inline(always)]
fn spread_plane(plane: &mut [f64], a: &AtomSplines, q: f64, p: usize, k1: usize, k2: usize) {
    let (s1, s2) = (a.start[1] as usize, a.start[2] as usize);
    let t1 = &a.w[1].theta;
    let t2 = &a.w[2].theta;
    for j in 0..p {
        let r = (s1 + j) % k1;
        let row = &mut plane[r * k2..(r + 1) * k2];
        let c = q * t1[j];
        if s2 + p <= k2 {
            let seg = &mut row[s2..s2 + p];
            for l in 0..p {
                seg[l] += c * t2[l];
            }
        } else {
            for l in 0..p {
                row[(s2 + l) % k2] += c * t2[l];
            }
        }
    }
}

/// (Σ dθ₀θ₁θ₂ φ, Σ θ₀dθ₁θ₂ φ, Σ θ₀θ₁dθ₂ φ) over one atom's stencil.
#[allow(clippy::needless_range_loop)] // indices into several parallel arrays
#[inline(always)]
fn gradient_sum(phi: &[f64], a: &AtomSplines, p: usize, k: [usize; 3]) -> [f64; 3] {
    let [w0, w1, w2] = &a.w;
    let (s0, s1, s2) = (
        a.start[0] as usize,
        a.start[1] as usize,
        a.start[2] as usize,
    );
    let mut g = [0.0; 3];
    for i in 0..p {
        let plane = ((s0 + i) % k[0]) * k[1];
        let (mut a0, mut a1, mut a2) = (0.0, 0.0, 0.0);
        for j in 0..p {
            let row = &phi[((plane + (s1 + j) % k[1]) * k[2])..][..k[2]];
            let (mut s, mut sd) = (0.0, 0.0);
            if s2 + p <= k[2] {
                let seg = &row[s2..s2 + p];
                for l in 0..p {
                    s += seg[l] * w2.theta[l];
                    sd += seg[l] * w2.dtheta[l];
                }
            } else {
                for l in 0..p {
                    let v = row[(s2 + l) % k[2]];
                    s += v * w2.theta[l];
                    sd += v * w2.dtheta[l];
                }
            }
            a0 += w1.theta[j] * s;
            a1 += w1.dtheta[j] * s;
            a2 += w1.theta[j] * sd;
        }
        g[0] += w0.dtheta[i] * a0;
        g[1] += w0.theta[i] * a1;
        g[2] += w0.theta[i] * a2;
    }
    g
}
