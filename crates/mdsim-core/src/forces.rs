//! Deterministic, parallel evaluation of pair forces over a neighbour list.
//!
//! Each chunk of the list accumulates into its own force buffer (covering the atoms it
//! touches); buffers are then added into the force array in chunk order. The additions each
//! atom receives, and their order, are therefore fixed by the chunking alone, whatever the
//! number of threads.

use crate::neighbor::{Chunk, NeighborList};
use crate::pair::{PairKernel, LANES};
use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
mod avx2;

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

/// Scratch space kept between steps (no allocation per step): the neighbour list's slots
/// gathered with their lattice translation applied, and their forces. Vectors are padded to
/// four components (the fourth is 0) so that SIMD code moves one slot with one load.
#[derive(Debug, Clone)]
pub struct ForceWorkspace {
    positions: Vec<[f64; 4]>,
    types: Vec<usize>,
    forces: Vec<[f64; 4]>,
    /// Energies and virial of each chunk.
    totals: Vec<PairTotals>,
    /// Run the AVX2 code (same bits as the portable code, see `simd`).
    avx2: bool,
}

impl Default for ForceWorkspace {
    fn default() -> Self {
        Self {
            positions: Vec::new(),
            types: Vec::new(),
            forces: Vec::new(),
            totals: Vec::new(),
            avx2: crate::simd::avx2_available(),
        }
    }
}

/// The chunk's inputs and the force window it adds into.
struct ChunkView<'a> {
    positions: &'a [[f64; 4]],
    types: &'a [usize],
    forces: &'a mut [[f64; 4]],
}

/// Adds the pair forces to `forces` and, when `with_energy`, returns the pair energies and
/// virial (otherwise zeros: most MD steps need forces only).
///
/// The chunks of one group of the list add into disjoint windows of one slot-force array
/// and run in parallel; groups run in order. Slot forces are then added to the atoms in slot
/// order, and chunk energies in chunk order: every sum has one fixed order.
pub fn pair_forces<K: PairKernel>(
    kernel: &K,
    nlist: &NeighborList,
    positions: &[[f64; 3]],
    types: &[usize],
    forces: &mut [[f64; 3]],
    workspace: &mut ForceWorkspace,
    with_energy: bool,
) -> PairTotals {
    let (slot_atoms, chunks) = (nlist.slot_atoms(), nlist.chunks());
    let ws = workspace;
    ws.positions.clear();
    ws.positions
        .extend(slot_atoms.iter().zip(nlist.slot_shifts()).map(|(&a, t)| {
            let x = positions[a as usize];
            [x[0] + t[0], x[1] + t[1], x[2] + t[2], 0.0]
        }));
    ws.types.clear();
    if kernel.n_species() > 1 {
        ws.types
            .extend(slot_atoms.iter().map(|&a| types[a as usize]));
    } else {
        ws.types.resize(slot_atoms.len(), 0);
    }
    ws.forces.clear();
    ws.forces.resize(slot_atoms.len(), [0.0; 4]);
    ws.totals.clear();
    ws.totals.resize(chunks.len(), PairTotals::default());

    let avx2 = ws.avx2;
    for group in nlist.groups() {
        // Split the force array into the group's windows (increasing, disjoint).
        let mut views = Vec::with_capacity(group.len());
        let mut rest: &mut [[f64; 4]] = &mut ws.forces;
        let mut offset = 0;
        for &c in group {
            let w = chunks[c as usize].window();
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(w.start - offset);
            let (mine, tail) = tail.split_at_mut(w.len());
            rest = tail;
            offset = w.end;
            let view = ChunkView {
                positions: &ws.positions[w.clone()],
                types: &ws.types[w],
                forces: mine,
            };
            views.push((c as usize, view));
        }
        let results: Vec<(usize, PairTotals)> = views
            .into_par_iter()
            .map(|(c, view)| {
                let t = if with_energy {
                    chunk_forces::<K, true>(kernel, &chunks[c], view, avx2)
                } else {
                    chunk_forces::<K, false>(kernel, &chunks[c], view, avx2)
                };
                (c, t)
            })
            .collect();
        for (c, t) in results {
            ws.totals[c] = t;
        }
    }

    for (&a, f) in slot_atoms.iter().zip(&ws.forces) {
        let fa = &mut forces[a as usize];
        fa[0] += f[0];
        fa[1] += f[1];
        fa[2] += f[2];
    }
    let mut total = PairTotals::default();
    for t in &ws.totals {
        total.add(t);
    }
    total
}

/// Forces of one chunk's pairs into its window. With AVX2, Lennard-Jones runs a
/// hand-vectorised copy of the loop and other kernels the same code compiled for AVX2; both
/// do the same operations in the same order as the baseline (no FMA), so the bits are the
/// same on every x86-64 machine (see the tests).
#[inline(never)]
fn chunk_forces<K: PairKernel, const ENERGY: bool>(
    kernel: &K,
    chunk: &Chunk,
    view: ChunkView,
    avx2: bool,
) -> PairTotals {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the CPU has AVX2 (ForceWorkspace::avx2).
        return unsafe {
            match (kernel.as_lennard_jones(), kernel.as_tabulated()) {
                (Some(lj), _) => avx2::lj_pairs::<ENERGY>(lj, chunk, view),
                (_, Some(tab)) => avx2::tabulated_pairs::<ENERGY>(tab, chunk, view),
                _ => chunk_forces_avx2::<K, ENERGY>(kernel, chunk, view),
            }
        };
    }
    chunk_pairs::<K, ENERGY>(kernel, chunk, view)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn chunk_forces_avx2<K: PairKernel, const ENERGY: bool>(
    kernel: &K,
    chunk: &Chunk,
    view: ChunkView,
) -> PairTotals {
    chunk_pairs::<K, ENERGY>(kernel, chunk, view)
}

/// Sum of [`LANES`] partial sums, in one fixed order.
#[inline(always)]
fn lane_sum(x: &[f64; LANES]) -> f64 {
    (x[0] + x[1]) + (x[2] + x[3])
}

/// The pair loop: each row's partners go to the kernel [`LANES`] at a time (positions
/// gathered into lane arrays, unused lanes at r² = ∞); the force on the row's atom and the
/// energy and virial sums are kept per lane and added in a fixed order.
#[inline(always)]
fn chunk_pairs<K: PairKernel, const ENERGY: bool>(
    kernel: &K,
    chunk: &Chunk,
    view: ChunkView,
) -> PairTotals {
    let n_species = kernel.n_species();
    let (positions, types, buf) = (view.positions, view.types, view.forces);
    let mut short_range = [0.0; LANES];
    let mut coulomb = [0.0; LANES];
    let mut w = [[0.0; LANES]; 6];
    for k in 0..chunk.rows() {
        let i = k;
        let xi = positions[i];
        let row = types[i] * n_species;
        let mut fi = [[0.0; LANES]; 3];
        let pairs = &chunk.neighbors[chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize];
        for batch in pairs.chunks(LANES) {
            // Fixed-length gathers (unused lanes read atom i itself) build the lane vectors in
            // registers; r² = ∞ then switches those lanes off.
            let js: [usize; LANES] =
                std::array::from_fn(|l| batch.get(l).map_or(i, |&j| j as usize));
            let xj: [[f64; 4]; LANES] = std::array::from_fn(|l| positions[js[l]]);
            let d: [[f64; LANES]; 3] =
                std::array::from_fn(|c| std::array::from_fn(|l| xj[l][c] - xi[c]));
            let tij: [usize; LANES] = std::array::from_fn(|l| row + types[js[l]]);
            let r2: [f64; LANES] = std::array::from_fn(|l| {
                let r2 = d[0][l] * d[0][l] + d[1][l] * d[1][l] + d[2][l] * d[2][l];
                if l < batch.len() {
                    r2
                } else {
                    f64::INFINITY
                }
            });
            let f_over_r = if ENERGY {
                let p = kernel.eval_lanes(&tij, &r2);
                for l in 0..LANES {
                    short_range[l] += p.short_range[l];
                    coulomb[l] += p.coulomb[l];
                }
                p.f_over_r
            } else {
                kernel.force_lanes(&tij, &r2)
            };
            let f: [[f64; LANES]; 3] =
                std::array::from_fn(|c| std::array::from_fn(|l| f_over_r[l] * d[c][l]));
            for c in 0..3 {
                for l in 0..LANES {
                    fi[c][l] -= f[c][l];
                }
            }
            for (l, &j) in batch.iter().enumerate() {
                let bj = &mut buf[j as usize];
                bj[0] += f[0][l];
                bj[1] += f[1][l];
                bj[2] += f[2][l];
            }
            if ENERGY {
                for l in 0..LANES {
                    w[0][l] += d[0][l] * f[0][l];
                    w[1][l] += d[1][l] * f[1][l];
                    w[2][l] += d[2][l] * f[2][l];
                    w[3][l] += d[0][l] * f[1][l];
                    w[4][l] += d[0][l] * f[2][l];
                    w[5][l] += d[1][l] * f[2][l];
                }
            }
        }
        let bi = &mut buf[i];
        bi[0] += lane_sum(&fi[0]);
        bi[1] += lane_sum(&fi[1]);
        bi[2] += lane_sum(&fi[2]);
    }
    PairTotals {
        short_range: lane_sum(&short_range),
        coulomb_real: lane_sum(&coulomb),
        virial: w.map(|x| lane_sum(&x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::Cell;
    use crate::pair::{LjKernel, PairPotential, PairSpec, PairTerm};
    use rand::{RngExt, SeedableRng};

    /// Bits of the pair forces, energies and virial (with and without energies) for the
    /// given SIMD choice and number of threads.
    fn result_bits<K: PairKernel>(
        kernel: &K,
        nl: &NeighborList,
        positions: &[[f64; 3]],
        types: &[usize],
        avx2: bool,
        threads: usize,
    ) -> Vec<u64> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut ws = ForceWorkspace {
            avx2,
            ..Default::default()
        };
        let mut bits = Vec::new();
        for energy in [false, true] {
            let mut f = vec![[0.0; 3]; positions.len()];
            let t =
                pool.install(|| pair_forces(kernel, nl, positions, types, &mut f, &mut ws, energy));
            assert!(!energy || t.short_range != 0.0);
            let totals = [t.short_range, t.coulomb_real].into_iter().chain(t.virial);
            bits.extend(totals.chain(f.into_iter().flatten()).map(f64::to_bits));
        }
        bits
    }

    /// The same bits with the AVX2 code and with the baseline code, and with 1 and 3 threads,
    /// for Lennard-Jones with one and two species and for an ionic force field (Buckingham
    /// plus real-space Coulomb), exact and tabulated: a triclinic box, random positions,
    /// several chunks and groups.
    #[test]
    fn same_bits_for_any_simd_and_thread_count() {
        let cell = Cell::new([31.0, 0.0, 0.0], [4.0, 30.0, 0.0], [-3.0, 2.5, 32.0]).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(17);
        let positions: Vec<[f64; 3]> = (0..1500)
            .map(|_| cell.to_cartesian([rng.random(), rng.random(), rng.random()]))
            .collect();
        let lj = |epsilon: f64, sigma: f64, cutoff: f64, shift: bool| PairSpec {
            terms: vec![PairTerm::LennardJones { epsilon, sigma }],
            cutoff,
            shift,
        };
        let mut one = PairPotential::new(1);
        one.set(0, 0, lj(0.0104, 3.4, 8.5, false));
        let mut two = PairPotential::new(2);
        two.set(0, 0, lj(0.0104, 3.4, 8.5, false));
        two.set(0, 1, lj(0.0080, 3.1, 7.0, true));
        two.set(1, 1, lj(0.0060, 2.8, 6.5, true));
        let mut nl = NeighborList::new(8.5, 1.0);
        nl.build(&cell, &positions);
        assert!(nl.chunks().len() > 2 && nl.groups().iter().any(|g| g.len() > 1));
        let avx2 = crate::simd::avx2_available();
        if !avx2 {
            eprintln!("note: no AVX2 on this CPU, only the baseline code ran");
        }
        let check = |kernel: &dyn Fn(bool, usize) -> Vec<u64>| {
            let reference = kernel(false, 1);
            assert!(kernel(avx2, 1) == reference, "AVX2 and baseline differ");
            assert!(kernel(avx2, 3) == reference, "1 and 3 threads differ");
        };
        for (pot, types) in [
            (one, vec![0; positions.len()]),
            (two, (0..positions.len()).map(|i| i % 3 % 2).collect()),
        ] {
            let kernel = LjKernel::from_potential(&pot).unwrap();
            check(&|avx2, threads| result_bits(&kernel, &nl, &positions, &types, avx2, threads));
        }
        let ionic = crate::pair::tests::ionic_kernel();
        let types: Vec<usize> = (0..positions.len()).map(|i| i % 3).collect();
        let mut nl = NeighborList::new(10.0, 1.0);
        nl.build(&cell, &positions);
        check(&|avx2, threads| result_bits(&ionic, &nl, &positions, &types, avx2, threads));
        // Tables (random positions: many pairs closer than the tables' start take the exact
        // kernel).
        let (p, coulomb, q) = crate::tabulated::tests::lpso();
        let tab = crate::tabulated::TabulatedKernel::new(&p, &coulomb, &q, 1e-9).unwrap();
        let types: Vec<usize> = (0..positions.len()).map(|i| i % 4).collect();
        check(&|avx2, threads| result_bits(&tab, &nl, &positions, &types, avx2, threads));
        // Second tables from a shorter Coulomb cutoff, which O–O's repair radius reaches past.
        let short = crate::coulomb::RealSpaceCoulomb::new(0.333, 1.5);
        let tab = crate::tabulated::TabulatedKernel::new(&p, &short, &q, 1e-9).unwrap();
        check(&|avx2, threads| result_bits(&tab, &nl, &positions, &types, avx2, threads));
        // Short-range cutoffs below the tables' start.
        let (p, coulomb, q) = crate::tabulated::tests::short_cutoffs();
        let tab = crate::tabulated::TabulatedKernel::new(&p, &coulomb, &q, 1e-9).unwrap();
        let types: Vec<usize> = (0..positions.len()).map(|i| i % 3).collect();
        check(&|avx2, threads| result_bits(&tab, &nl, &positions, &types, avx2, threads));
    }
}
