//! The simulated state: species, cell, positions, velocities, forces, image counters.

use crate::cell::Cell;
use crate::units::{AMU_A2_PS2_TO_EV, BOLTZMANN_EV_K};

/// A chemical species as the force field sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    pub name: String,
    /// Mass in amu (g/mol).
    pub mass: f64,
    /// Force-field charge in e.
    pub charge: f64,
}

/// Positions are kept wrapped into the cell as of the last neighbour-list build (they drift
/// out by at most half the skin in between); `images` counts the lattice translations
/// removed by wrapping, so `unwrapped = position + h · image` is exact and continuous.
#[derive(Clone, Debug)]
pub struct System {
    pub cell: Cell,
    pub species: Vec<Species>,
    /// Species index of each atom.
    pub types: Vec<usize>,
    pub positions: Vec<[f64; 3]>,
    pub velocities: Vec<[f64; 3]>,
    pub forces: Vec<[f64; 3]>,
    pub images: Vec<[i64; 3]>,
    /// Per-atom mass (amu), cached from the species.
    pub masses: Vec<f64>,
}

impl System {
    /// A system at rest. `types[i]` indexes `species`.
    pub fn new(
        cell: Cell,
        species: Vec<Species>,
        types: Vec<usize>,
        positions: Vec<[f64; 3]>,
    ) -> Self {
        let n = positions.len();
        assert_eq!(types.len(), n, "one species index per atom");
        let masses = types.iter().map(|&t| species[t].mass).collect();
        Self {
            cell,
            species,
            types,
            positions,
            velocities: vec![[0.0; 3]; n],
            forces: vec![[0.0; 3]; n],
            images: vec![[0; 3]; n],
            masses,
        }
    }

    pub fn n_atoms(&self) -> usize {
        self.positions.len()
    }

    /// The charge of every atom, e (shape: atoms).
    pub fn charges(&self) -> Vec<f64> {
        self.types.iter().map(|&t| self.species[t].charge).collect()
    }

    /// The charge of every species, e (shape: species).
    pub fn species_charges(&self) -> Vec<f64> {
        self.species.iter().map(|s| s.charge).collect()
    }

    /// Number of atoms of each species.
    pub fn species_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.species.len()];
        for &t in &self.types {
            counts[t] += 1;
        }
        counts
    }

    /// Wraps every position into the cell, updating the image counters.
    pub fn wrap_positions(&mut self) {
        for (x, img) in self.positions.iter_mut().zip(&mut self.images) {
            let (w, n) = self.cell.wrap(*x);
            *x = w;
            for k in 0..3 {
                // Saturating: only a position that is already absurd (a blown-up run, which
                // stops on its non-finite energy) could reach 2⁶³ cell crossings.
                img[k] = img[k].saturating_add(n[k]);
            }
        }
    }

    /// Unwrapped (continuous) position of atom `i`.
    #[inline]
    pub fn unwrapped(&self, i: usize) -> [f64; 3] {
        let t = self.cell.translation(self.images[i]);
        let x = self.positions[i];
        [x[0] + t[0], x[1] + t[1], x[2] + t[2]]
    }

    /// Writes all unwrapped positions into `out`.
    pub fn unwrapped_positions(&self, out: &mut Vec<[f64; 3]>) {
        out.clear();
        out.extend((0..self.n_atoms()).map(|i| self.unwrapped(i)));
    }

    /// Kinetic energy in eV.
    pub fn kinetic_energy(&self) -> f64 {
        0.5 * AMU_A2_PS2_TO_EV
            * self
                .velocities
                .iter()
                .zip(&self.masses)
                .map(|(v, m)| m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
                .sum::<f64>()
    }

    /// Kinetic part of the pressure tensor times volume, Σ m v_a v_b in eV
    /// (order xx, yy, zz, xy, xz, yz).
    pub fn kinetic_tensor(&self) -> [f64; 6] {
        let mut t = [0.0; 6];
        for (v, &m) in self.velocities.iter().zip(&self.masses) {
            t[0] += m * v[0] * v[0];
            t[1] += m * v[1] * v[1];
            t[2] += m * v[2] * v[2];
            t[3] += m * v[0] * v[1];
            t[4] += m * v[0] * v[2];
            t[5] += m * v[1] * v[2];
        }
        t.map(|x| x * AMU_A2_PS2_TO_EV)
    }

    /// Degrees of freedom: 3N − 3 (total momentum is conserved and set to zero).
    pub fn degrees_of_freedom(&self) -> f64 {
        (3 * self.n_atoms()).saturating_sub(3).max(1) as f64
    }

    /// Instantaneous kinetic temperature in K.
    pub fn temperature(&self) -> f64 {
        2.0 * self.kinetic_energy() / (self.degrees_of_freedom() * BOLTZMANN_EV_K)
    }

    /// Total momentum Σ m v (amu·Å/ps).
    pub fn total_momentum(&self) -> [f64; 3] {
        let mut p = [0.0; 3];
        for (v, &m) in self.velocities.iter().zip(&self.masses) {
            for k in 0..3 {
                p[k] += m * v[k];
            }
        }
        p
    }
}
