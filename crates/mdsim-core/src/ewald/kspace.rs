//! The k-vector layout of the Ewald reciprocal sum and its scratch buffers.

use super::params::{dot, EwaldParams};
use crate::cell::Cell;
use crate::units::COULOMB_EV_A;
use std::f64::consts::PI;

/// A run of k-vectors (n₀, n₁, n₂ … n₂ + len − 1), stored at `start..start + len`.
#[derive(Clone, Copy, Debug)]
pub(super) struct KGroup {
    pub(super) n0: u32,
    /// n₁ + table offset (index into the n₁ table).
    pub(super) i1: u32,
    /// First n₂ + table offset (index into the n₂ table).
    pub(super) i2: u32,
    pub(super) start: u32,
    pub(super) len: u32,
}

/// Everything that depends on the parameters and the cell only.
#[derive(Clone, Debug)]
pub(super) struct KSpace {
    pub(super) cell: Cell,
    /// Reciprocal basis b_d = 2π × row d of H⁻¹ (1/Å).
    pub(super) recip: [[f64; 3]; 3],
    /// Table extents: n₀ ∈ 0..=m[0], n₁ ∈ −m[1]..=m[1], n₂ ∈ −m[2]..=m[2].
    pub(super) m: [usize; 3],
    pub(super) groups: Vec<KGroup>,
    /// A_k = (4π k_e/V) exp(−k²/4α²)/k² per k-vector (half space, doubled).
    pub(super) coef: Vec<f64>,
    /// The k-vectors (1/Å), for forces and virial.
    pub(super) kvec: Vec<[f64; 3]>,
    /// 2(1/k² + 1/4α²), for the virial.
    pub(super) vfac: Vec<f64>,
}

impl KSpace {
    pub(super) fn new(params: &EwaldParams, cell: &Cell) -> Self {
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

    pub(super) fn n_k(&self) -> usize {
        self.coef.len()
    }

    /// Table widths (entries per atom) for n₀, n₁, n₂.
    pub(super) fn widths(&self) -> [usize; 3] {
        [self.m[0] + 1, 2 * self.m[1] + 1, 2 * self.m[2] + 1]
    }
}

/// One atom chunk's e^{inθ} tables, its partial structure factor and force buffers. The
/// tables are stored row by row (one row per n, the chunk's atoms contiguous in a row), so
/// the inner loops run over atoms with unit stride.
#[derive(Clone, Debug, Default)]
pub(super) struct ChunkScratch {
    /// Atoms in the chunk (the row length).
    pub(super) na: usize,
    /// cos and sin of n₀θ₀, rows n₀ = 0..=m₀.
    pub(super) t0c: Vec<f64>,
    pub(super) t0s: Vec<f64>,
    /// Rows n₁ = −m₁..=m₁.
    pub(super) t1c: Vec<f64>,
    pub(super) t1s: Vec<f64>,
    /// Rows n₂ = −m₂..=m₂.
    pub(super) t2c: Vec<f64>,
    pub(super) t2s: Vec<f64>,
    /// e^{i(n₀θ₀ + n₁θ₁)} (times q in pass 1) for the current run of k-vectors.
    pub(super) zr: Vec<f64>,
    pub(super) zi: Vec<f64>,
    /// Per-run sums Σ_j v_j and Σ_j j·v_j per atom (pass 2).
    pub(super) sv: Vec<f64>,
    pub(super) sjv: Vec<f64>,
    /// Σ_k v_k k per atom (pass 2).
    pub(super) fx: Vec<f64>,
    pub(super) fy: Vec<f64>,
    pub(super) fz: Vec<f64>,
    /// The chunk's partial structure factor.
    pub(super) s_re: Vec<f64>,
    pub(super) s_im: Vec<f64>,
}

/// Reusable buffers, so that a step allocates nothing once sizes are settled.
#[derive(Clone, Debug, Default)]
pub(super) struct Scratch {
    pub(super) chunks: Vec<ChunkScratch>,
    pub(super) s_re: Vec<f64>,
    pub(super) s_im: Vec<f64>,
    /// A_k Re S(k), A_k Im S(k).
    pub(super) p_re: Vec<f64>,
    pub(super) p_im: Vec<f64>,
}
