//! Brute-force reference implementations, kept only as test oracles.

use crate::cell::Cell;
use crate::forces::PairTotals;
use crate::neighbor::brute_force_pairs;
use crate::pair::PairKernel;

/// Pair energy, virial and forces by a direct sum over all pairs and lattice images.
pub fn brute_force_pair_forces<K: PairKernel>(
    kernel: &K,
    cell: &Cell,
    positions: &[[f64; 3]],
    types: &[usize],
    cutoff: f64,
) -> (PairTotals, Vec<[f64; 3]>) {
    let n = kernel.n_species();
    let mut forces = vec![[0.0; 3]; positions.len()];
    let mut ev = PairTotals::default();
    for (i, j, d) in brute_force_pairs(cell, positions, cutoff) {
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        let p = kernel.eval(types[i] * n + types[j], r2);
        ev.short_range += p.short_range;
        ev.coulomb_real += p.coulomb;
        let f_over_r = p.f_over_r;
        let f = d.map(|x| f_over_r * x);
        for k in 0..3 {
            forces[i][k] -= f[k];
            forces[j][k] += f[k];
        }
        let w = [
            d[0] * f[0],
            d[1] * f[1],
            d[2] * f[2],
            d[0] * f[1],
            d[0] * f[2],
            d[1] * f[2],
        ];
        for (v, x) in ev.virial.iter_mut().zip(w) {
            *v += x;
        }
    }
    (ev, forces)
}
