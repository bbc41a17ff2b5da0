//! Deterministic, parallel evaluation of pair forces over a neighbour list.
//!
//! Each chunk of the list accumulates into its own force buffer (covering the atoms it
//! touches); buffers are then added into the force array in chunk order. The additions each
//! atom receives, and their order, are therefore fixed by the chunking alone, whatever the
//! number of threads.

use crate::neighbor::{Chunk, NeighborList};
use crate::pair::PairKernel;
use rayon::prelude::*;

/// Energy and virial of one force contribution.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EnergyVirial {
    /// eV.
    pub energy: f64,
    /// Σ r_a f_b over pairs (eV), order xx, yy, zz, xy, xz, yz.
    pub virial: [f64; 6],
}

/// Energies and virial of the pair pass.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairTotals {
    /// Short-range terms, eV.
    pub short_range: f64,
    /// Real-space Ewald Coulomb, eV.
    pub coulomb_real: f64,
    /// Σ r_a f_b over pairs (eV), order xx, yy, zz, xy, xz, yz.
    pub virial: [f64; 6],
}

impl PairTotals {
    fn add(&mut self, other: &PairTotals) {
        self.short_range += other.short_range;
        self.coulomb_real += other.coulomb_real;
        for k in 0..6 {
            self.virial[k] += other.virial[k];
        }
    }
}

/// Per-chunk scratch space, kept between steps to avoid allocation.
#[derive(Default, Debug, Clone)]
pub struct ForceWorkspace {
    chunks: Vec<ChunkScratch>,
}

/// A chunk's atoms gathered in its local order, and its force buffer.
#[derive(Default, Debug, Clone)]
struct ChunkScratch {
    positions: Vec<[f64; 3]>,
    types: Vec<usize>,
    forces: Vec<[f64; 3]>,
}

/// Adds the pair forces to `forces` and, when `with_energy`, returns the pair energies and
/// virial (otherwise zeros: most MD steps need forces only).
pub fn pair_forces<K: PairKernel>(
    kernel: &K,
    nlist: &NeighborList,
    positions: &[[f64; 3]],
    types: &[usize],
    forces: &mut [[f64; 3]],
    workspace: &mut ForceWorkspace,
    with_energy: bool,
) -> PairTotals {
    let chunks = nlist.chunks();
    let shifts = nlist.shifts();
    workspace
        .chunks
        .resize_with(chunks.len(), ChunkScratch::default);
    let partial: Vec<PairTotals> = chunks
        .par_iter()
        .zip(workspace.chunks.par_iter_mut())
        .map(|(chunk, scratch)| {
            scratch.positions.clear();
            scratch
                .positions
                .extend(chunk.atoms.iter().zip(&chunk.images).map(|(&a, &image)| {
                    let (x, t) = (positions[a as usize], shifts[image as usize]);
                    [x[0] + t[0], x[1] + t[1], x[2] + t[2]]
                }));
            scratch.types.clear();
            scratch
                .types
                .extend(chunk.atoms.iter().map(|&a| types[a as usize]));
            if with_energy {
                chunk_forces::<K, true>(kernel, chunk, scratch)
            } else {
                chunk_forces::<K, false>(kernel, chunk, scratch)
            }
        })
        .collect();

    let mut total = PairTotals::default();
    for ((chunk, scratch), ev) in chunks.iter().zip(&workspace.chunks).zip(&partial) {
        for (&a, b) in chunk.atoms.iter().zip(&scratch.forces) {
            let f = &mut forces[a as usize];
            f[0] += b[0];
            f[1] += b[1];
            f[2] += b[2];
        }
        total.add(ev);
    }
    total
}

/// Forces of one chunk's pairs into its own buffer (in the chunk's local slot order).
#[inline(never)]
fn chunk_forces<K: PairKernel, const ENERGY: bool>(
    kernel: &K,
    chunk: &Chunk,
    scratch: &mut ChunkScratch,
) -> PairTotals {
    let n_species = kernel.n_species();
    let (positions, types) = (&scratch.positions, &scratch.types);
    let buf = &mut scratch.forces;
    buf.clear();
    buf.resize(chunk.atoms.len(), [0.0; 3]);
    let mut ev = PairTotals::default();
    let mut w = [0.0; 6];
    for (k, &i) in chunk.rows.iter().enumerate() {
        let i = i as usize;
        let xi = positions[i];
        let row = types[i] * n_species;
        let mut fi = [0.0; 3];
        for &j in &chunk.neighbors[chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize] {
            let j = j as usize;
            let xj = positions[j];
            let d = [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]];
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let f_over_r = if ENERGY {
                let p = kernel.eval(row + types[j], r2);
                ev.short_range += p.short_range;
                ev.coulomb_real += p.coulomb;
                p.f_over_r
            } else {
                kernel.force(row + types[j], r2)
            };
            let f = [f_over_r * d[0], f_over_r * d[1], f_over_r * d[2]];
            fi[0] -= f[0];
            fi[1] -= f[1];
            fi[2] -= f[2];
            let bj = &mut buf[j];
            bj[0] += f[0];
            bj[1] += f[1];
            bj[2] += f[2];
            if ENERGY {
                w[0] += d[0] * f[0];
                w[1] += d[1] * f[1];
                w[2] += d[2] * f[2];
                w[3] += d[0] * f[1];
                w[4] += d[0] * f[2];
                w[5] += d[1] * f[2];
            }
        }
        let bi = &mut buf[i];
        bi[0] += fi[0];
        bi[1] += fi[1];
        bi[2] += fi[2];
    }
    ev.virial = w;
    ev
}
