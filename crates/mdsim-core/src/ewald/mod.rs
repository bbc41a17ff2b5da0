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

mod kernels;
mod kspace;
mod params;

pub(crate) use params::{
    alpha_for_real_error, charge_sums, check_accuracy, check_cutoff, real_space_error,
};
pub use params::{EwaldError, EwaldParams};

use crate::cell::Cell;
use crate::coulomb::RealSpaceCoulomb;
use crate::forces::EnergyVirial;
use kernels::{force_chunk, structure_factor_chunk};
use kspace::{ChunkScratch, KSpace, Scratch};
use rayon::prelude::*;

/// Atoms per chunk of the reciprocal sum; fixed so results never depend on the thread count.
pub const CHUNK_ATOMS: usize = 256;

/// |Σ q| above this (e) is a non-neutral cell.
pub const NEUTRALITY_TOLERANCE: f64 = 1e-8;

/// k-vectors per block when adding the chunks' partial structure factors (parallel over
/// blocks; the chunk order inside each k is fixed).
const K_BLOCK: usize = 2048;

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
        self.real_space.clone()
    }

    /// Self energy −k_e α/√π Σ q² (eV).
    pub fn self_energy(&self, charges: &[f64]) -> f64 {
        crate::coulomb::ewald_self_energy(self.params.alpha, charges)
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
