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

impl EnergyVirial {
    fn add(&mut self, other: &EnergyVirial) {
        self.energy += other.energy;
        for k in 0..6 {
            self.virial[k] += other.virial[k];
        }
    }
}

/// Per-chunk scratch space, kept between steps to avoid allocation.
#[derive(Default, Debug, Clone)]
pub struct ForceWorkspace {
    buffers: Vec<Vec<[f64; 3]>>,
}

/// Adds the pair forces to `forces` and, when `with_energy`, returns the pair energy and
/// virial (otherwise zeros: most MD steps need forces only).
pub fn pair_forces<K: PairKernel>(
    kernel: &K,
    nlist: &NeighborList,
    positions: &[[f64; 3]],
    types: &[usize],
    forces: &mut [[f64; 3]],
    workspace: &mut ForceWorkspace,
    with_energy: bool,
) -> EnergyVirial {
    let chunks = nlist.chunks();
    let shifts = nlist.shifts();
    workspace.buffers.resize_with(chunks.len(), Vec::new);
    let partial: Vec<EnergyVirial> = chunks
        .par_iter()
        .zip(workspace.buffers.par_iter_mut())
        .map(|(chunk, buf)| {
            if with_energy {
                chunk_forces::<K, true>(kernel, chunk, shifts, positions, types, buf)
            } else {
                chunk_forces::<K, false>(kernel, chunk, shifts, positions, types, buf)
            }
        })
        .collect();

    let mut total = EnergyVirial::default();
    for ((chunk, buf), ev) in chunks.iter().zip(&workspace.buffers).zip(&partial) {
        for (f, b) in forces[chunk.j_lo..chunk.j_end].iter_mut().zip(buf) {
            f[0] += b[0];
            f[1] += b[1];
            f[2] += b[2];
        }
        total.add(ev);
    }
    total
}

/// Forces of one chunk's pairs into its own buffer (atoms `chunk.j_lo..chunk.j_end`).
#[inline(never)]
fn chunk_forces<K: PairKernel, const ENERGY: bool>(
    kernel: &K,
    chunk: &Chunk,
    shifts: &[[f64; 3]],
    positions: &[[f64; 3]],
    types: &[usize],
    buf: &mut Vec<[f64; 3]>,
) -> EnergyVirial {
    let n_species = kernel.n_species();
    buf.clear();
    buf.resize(chunk.j_end - chunk.j_lo, [0.0; 3]);
    let mut ev = EnergyVirial::default();
    let mut w = [0.0; 6];
    for i in chunk.start..chunk.end {
        let k = i - chunk.start;
        let xi = positions[i];
        let row = types[i] * n_species;
        let mut fi = [0.0; 3];
        let range = chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize;
        for (&j, &image) in chunk.neighbors[range.clone()]
            .iter()
            .zip(&chunk.images[range])
        {
            let j = j as usize;
            let xj = positions[j];
            let t = shifts[image as usize];
            let d = [
                xj[0] + t[0] - xi[0],
                xj[1] + t[1] - xi[1],
                xj[2] + t[2] - xi[2],
            ];
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let f_over_r = if ENERGY {
                let (e, f_over_r) = kernel.eval(row + types[j], r2);
                ev.energy += e;
                f_over_r
            } else {
                kernel.force(row + types[j], r2)
            };
            let f = [f_over_r * d[0], f_over_r * d[1], f_over_r * d[2]];
            fi[0] -= f[0];
            fi[1] -= f[1];
            fi[2] -= f[2];
            let bj = &mut buf[j - chunk.j_lo];
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
        let bi = &mut buf[i - chunk.j_lo];
        bi[0] += fi[0];
        bi[1] += fi[1];
        bi[2] += fi[2];
    }
    ev.virial = w;
    ev
}
