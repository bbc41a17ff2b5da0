//! Helpers shared by the Coulomb tests: random ionic configurations, and the Ewald total
//! (real space by brute force over all pairs and images) used as the reference.
#![allow(dead_code)]

use mdsim_core::coulomb::RealSpaceCoulomb;
use mdsim_core::ewald::{Ewald, EwaldParams};
use mdsim_core::forces::EnergyVirial;
use mdsim_core::neighbor::brute_force_pairs;
use mdsim_core::Cell;
use rand::{RngExt, SeedableRng};
use std::time::Instant;

/// Total Coulomb energy (eV), forces (eV/Å) and virial (eV) by Ewald with `params`.
pub struct Total {
    pub energy: f64,
    pub forces: Vec<[f64; 3]>,
    pub virial: [f64; 6],
}

/// Real-space sum over precomputed pairs (i, j, d), keeping those within the cutoff.
pub fn real_space(
    ewald: &Ewald,
    pairs: &[(usize, usize, [f64; 3])],
    charges: &[f64],
    forces: &mut [[f64; 3]],
) -> EnergyVirial {
    real_space_with(&ewald.real_space(), pairs, charges, forces)
}

/// [`real_space`] with any real-space term.
pub fn real_space_with(
    term: &RealSpaceCoulomb,
    pairs: &[(usize, usize, [f64; 3])],
    charges: &[f64],
    forces: &mut [[f64; 3]],
) -> EnergyVirial {
    let rc2 = term.rc2;
    let mut ev = EnergyVirial::default();
    for &(i, j, d) in pairs {
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if r2 >= rc2 {
            continue;
        }
        let (e, f_over_r) = term.pair(charges[i] * charges[j], r2);
        ev.energy += e;
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
    ev
}

pub fn total_with_pairs(
    params: EwaldParams,
    cell: &Cell,
    positions: &[[f64; 3]],
    charges: &[f64],
    pairs: &[(usize, usize, [f64; 3])],
) -> Total {
    let mut ewald = Ewald::new(params, cell);
    let mut forces = vec![[0.0; 3]; positions.len()];
    let real = real_space(&ewald, pairs, charges, &mut forces);
    let recip = ewald.reciprocal(cell, positions, charges, &mut forces, true);
    let virial = std::array::from_fn(|k| real.virial[k] + recip.virial[k]);
    Total {
        energy: real.energy + recip.energy + ewald.self_energy(charges),
        forces,
        virial,
    }
}

pub fn total(params: EwaldParams, cell: &Cell, positions: &[[f64; 3]], charges: &[f64]) -> Total {
    let pairs = brute_force_pairs(cell, positions, params.real_cutoff);
    total_with_pairs(params, cell, positions, charges, &pairs)
}

/// Tight parameters for a given α: erfc(6.5) ≈ 4e-20 and exp(−6.5²) ≈ 4e-19 bound the
/// neglected real- and reciprocal-space terms.
pub fn tight(alpha: f64, cell: &Cell, charges: &[f64]) -> EwaldParams {
    EwaldParams::explicit(alpha, 6.5 / alpha, 13.0 * alpha, cell, charges).unwrap()
}

pub fn cart(cell: &Cell, s: [f64; 3]) -> [f64; 3] {
    cell.to_cartesian(s)
}

/// Li3PO4-like charges (MATERIALS.md §1: Li +0.6, P +3.0, O −1.2), `units` formula units,
/// in random order.
pub fn li3po4_charges(units: usize, rng: &mut rand_chacha::ChaCha20Rng) -> Vec<f64> {
    let mut q = Vec::new();
    for _ in 0..units {
        q.extend([0.6, 0.6, 0.6, 3.0, -1.2, -1.2, -1.2, -1.2]);
    }
    for i in (1..q.len()).rev() {
        let j = ((rng.random::<f64>() * (i + 1) as f64) as usize).min(i);
        q.swap(i, j);
    }
    q
}

/// A jittered m₀×m₁×m₂ grid of sites in `cell` (no two ions close), with Li3PO4 charges.
pub fn ionic_configuration(cell: &Cell, m: [usize; 3], seed: u64) -> (Vec<[f64; 3]>, Vec<f64>) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let n = m[0] * m[1] * m[2];
    assert_eq!(n % 8, 0);
    let charges = li3po4_charges(n / 8, &mut rng);
    let mut positions = Vec::with_capacity(n);
    for i in 0..m[0] {
        for j in 0..m[1] {
            for k in 0..m[2] {
                let s = [(i, m[0]), (j, m[1]), (k, m[2])].map(|(x, mx)| {
                    (x as f64 + 0.5 + 0.3 * (rng.random::<f64>() - 0.5)) / mx as f64
                });
                positions.push(cart(cell, s));
            }
        }
    }
    // Move a few atoms slightly out of the cell: positions are wrapped only at neighbour-list
    // rebuilds, and the Ewald sum must not care.
    for x in positions.iter_mut().step_by(7) {
        let t = cell.translation([1, 0, -1]);
        for d in 0..3 {
            x[d] += 0.02 * t[d];
        }
    }
    (positions, charges)
}

pub fn triclinic_small() -> Cell {
    Cell::new([9.6, 0.0, 0.0], [2.0, 9.4, 0.0], [-1.5, 1.2, 9.7]).unwrap()
}

/// Strain x → (1 + ε)x of cell and atoms with one component ε_ab = `eps`.
pub fn strained(
    cell: &Cell,
    positions: &[[f64; 3]],
    a: usize,
    b: usize,
    eps: f64,
) -> (Cell, Vec<[f64; 3]>) {
    let apply = |x: [f64; 3]| {
        let mut y = x;
        y[a] += eps * x[b];
        y
    };
    let c = Cell::new(
        apply(cell.vector(0)),
        apply(cell.vector(1)),
        apply(cell.vector(2)),
    )
    .unwrap();
    (c, positions.iter().map(|&x| apply(x)).collect())
}

/// (Li3PO4)0.75(Li4SiO4)0.25 charges: 13 Li, 3 P, 1 Si, 16 O per 33 ions, neutral.
pub fn mixed_charges(units: usize) -> Vec<f64> {
    let mut q = Vec::new();
    for _ in 0..units {
        q.extend(std::iter::repeat_n(0.6, 13));
        q.extend(std::iter::repeat_n(3.0, 3));
        q.push(2.4);
        q.extend(std::iter::repeat_n(-1.2, 16));
    }
    q
}

/// Best of seven wall-clock times (s) of `f`.
pub fn best_time(mut f: impl FnMut()) -> f64 {
    (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// RMS force error against `reference`, as LAMMPS defines the relative accuracy (absolute RMS
/// error per atom / (k_e·1 e²/Å²)), and relative to the RMS reference force.
pub fn rms_force_error(forces: &[[f64; 3]], reference: &[[f64; 3]]) -> (f64, f64) {
    let n = forces.len() as f64;
    let mut err2 = 0.0;
    let mut f2 = 0.0;
    for (f, g) in forces.iter().zip(reference) {
        for d in 0..3 {
            err2 += (f[d] - g[d]).powi(2);
            f2 += g[d] * g[d];
        }
    }
    (
        (err2 / n).sqrt() / mdsim_core::units::COULOMB_EV_A,
        (err2 / f2).sqrt(),
    )
}
