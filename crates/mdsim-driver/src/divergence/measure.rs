//! How far apart two members of a twin family are at one instant.
//!
//! The separation is the Euclidean distance of the two configurations in the 3N-dimensional
//! space of unwrapped positions, in Å: d = √(Σᵢ |Δrᵢ|²). Positions only, because
//! - the largest Lyapunov exponent does not depend on the norm used to measure the tangent
//!   vector (Oseledets' theorem), so no arbitrary time scale is needed to mix Å with Å/ps;
//! - d(0) is the perturbation itself, and trajectory files (the compare mode) hold positions;
//! - unwrapped positions (position + lattice translation of the image counters) never jump by
//!   a box length when one twin wraps an atom and the other does not.
//!
//! Velocities tell when the twins have stopped being related: the mass-weighted relative
//! velocity separation s = √(Σ m|Δv|² / Σ m(|v_a|² + |v_b|²)) is 0 for identical twins and
//! ≈ 1 for independent ones (the cross term averages to zero), and per species the twins'
//! velocity correlation C = 2 Σ v_a·v_b / Σ (|v_a|² + |v_b|²) = 1 − s² falls from 1 to ≈ 0.
//! Once the velocities are uncorrelated, every later displacement — what MSD, ΔP and the
//! conductivity are built from — is an independent sample.

use mdsim_core::System;

/// A twin against the reference at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Separation {
    /// √(Σᵢ |Δrᵢ|²) over unwrapped positions, Å.
    pub distance: f64,
    /// Mass-weighted relative velocity separation s (0 identical, ≈ 1 independent).
    pub velocity_separation: f64,
    /// Per species, the twins' velocity correlation C (1 identical, ≈ 0 independent).
    pub velocity_correlation: Vec<f64>,
}

/// Measures `b` against `a` (same atoms, same cell, same species).
pub fn separation(a: &System, b: &System) -> Separation {
    let n_species = a.species.len();
    let mut d2 = 0.0;
    let (mut dv2_m, mut v2_m) = (0.0, 0.0);
    let mut cross = vec![0.0; n_species];
    let mut norm = vec![0.0; n_species];
    for i in 0..a.n_atoms() {
        // Differences first, then the lattice translation of the image difference: no
        // rounding of large unwrapped coordinates before the subtraction.
        let dn = [0, 1, 2].map(|k| a.images[i][k] - b.images[i][k]);
        let t = a.cell.translation(dn);
        let (xa, xb) = (a.positions[i], b.positions[i]);
        let (va, vb) = (a.velocities[i], b.velocities[i]);
        let m = a.masses[i];
        let s = a.types[i];
        for k in 0..3 {
            let dx = (xa[k] - xb[k]) + t[k];
            d2 += dx * dx;
            let dv = va[k] - vb[k];
            let vv = va[k] * va[k] + vb[k] * vb[k];
            dv2_m += m * dv * dv;
            v2_m += m * vv;
            cross[s] += va[k] * vb[k];
            norm[s] += vv;
        }
    }
    Separation {
        distance: d2.sqrt(),
        velocity_separation: if v2_m > 0.0 {
            (dv2_m / v2_m).sqrt()
        } else {
            0.0
        },
        velocity_correlation: cross
            .iter()
            .zip(&norm)
            .map(|(&c, &n)| if n > 0.0 { 2.0 * c / n } else { 1.0 })
            .collect(),
    }
}

/// The smallest separation the arithmetic can resolve: one unit of round-off (2⁻⁵²) on the
/// norm of all unwrapped coordinates, Å. A perturbation near this floor is lost in rounding.
pub fn round_off_floor(s: &System) -> f64 {
    let sum: f64 = (0..s.n_atoms())
        .map(|i| {
            let u = s.unwrapped(i);
            u[0] * u[0] + u[1] * u[1] + u[2] * u[2]
        })
        .sum();
    f64::EPSILON * sum.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdsim_core::{Cell, Species};

    fn two_atoms() -> System {
        let cell = Cell::orthorhombic(10.0, 10.0, 10.0).unwrap();
        let species = vec![
            Species {
                name: "A".into(),
                mass: 1.0,
                charge: 0.0,
            },
            Species {
                name: "B".into(),
                mass: 4.0,
                charge: 0.0,
            },
        ];
        let mut s = System::new(cell, species, vec![0, 1], vec![[1.0; 3], [5.0; 3]]);
        s.velocities = vec![[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]];
        s
    }

    #[test]
    fn identical_systems_are_not_separated() {
        let a = two_atoms();
        let s = separation(&a, &a.clone());
        assert_eq!(s.distance, 0.0);
        assert_eq!(s.velocity_separation, 0.0);
        assert_eq!(s.velocity_correlation, vec![1.0, 1.0]);
    }

    #[test]
    fn wrapped_twin_is_measured_unwrapped() {
        // The same atom, once at x = 9.9 and once wrapped to −0.1 + 10 with one image less.
        let mut a = two_atoms();
        a.positions[0] = [9.9, 1.0, 1.0];
        let mut b = a.clone();
        b.positions[0] = [-0.1 + 1e-9, 1.0, 1.0];
        b.images[0] = [1, 0, 0];
        let s = separation(&a, &b);
        assert!((s.distance - 1e-9).abs() < 1e-14, "{}", s.distance);
    }

    #[test]
    fn velocity_measures_match_their_definitions() {
        let a = two_atoms();
        let mut b = a.clone();
        b.velocities = vec![[0.0, 1.0, 0.0], [0.0, -2.0, 0.0]];
        let s = separation(&a, &b);
        // Species A: orthogonal velocities → C = 0; species B: opposite → C = −1.
        assert_eq!(s.velocity_correlation, vec![0.0, -1.0]);
        // Σ m|Δv|² = 1·2 + 4·16 = 66; Σ m(|va|² + |vb|²) = 1·2 + 4·8 = 34.
        assert!((s.velocity_separation - (66.0f64 / 34.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn floor_is_round_off_of_the_coordinates() {
        let a = two_atoms();
        let norm = (3.0f64 + 75.0).sqrt();
        assert!((round_off_floor(&a) - f64::EPSILON * norm).abs() < 1e-30);
    }
}
