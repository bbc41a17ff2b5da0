//! Bravais lattice builder.

use crate::input::LatticeKind;

/// Atoms in one conventional cubic cell of the lattice.
pub fn atoms_per_cell(kind: LatticeKind) -> u64 {
    match kind {
        LatticeKind::Sc => 1,
        LatticeKind::Bcc => 2,
        LatticeKind::Fcc => 4,
    }
}

/// Number of atoms of `cubic_lattice(kind, a, n)`; `None` when it overflows `u64`.
pub fn n_atoms(kind: LatticeKind, n: (usize, usize, usize)) -> Option<u64> {
    [n.0, n.1, n.2]
        .iter()
        .try_fold(atoms_per_cell(kind), |acc, &k| acc.checked_mul(k as u64))
}

/// Positions of a cubic lattice with constant `a` (Å) repeated `n` times; returns the
/// orthorhombic box lengths and the positions, in a fixed order (cell by cell).
pub fn cubic_lattice(
    kind: LatticeKind,
    a: f64,
    n: (usize, usize, usize),
) -> ([f64; 3], Vec<[f64; 3]>) {
    let basis: &[[f64; 3]] = match kind {
        LatticeKind::Sc => &[[0.0, 0.0, 0.0]],
        LatticeKind::Bcc => &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]],
        LatticeKind::Fcc => &[
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ],
    };
    let mut positions = Vec::with_capacity(n.0 * n.1 * n.2 * basis.len());
    for i in 0..n.0 {
        for j in 0..n.1 {
            for k in 0..n.2 {
                for b in basis {
                    positions.push([
                        a * (i as f64 + b[0]),
                        a * (j as f64 + b[1]),
                        a * (k as f64 + b[2]),
                    ]);
                }
            }
        }
    }
    ([a * n.0 as f64, a * n.1 as f64, a * n.2 as f64], positions)
}
