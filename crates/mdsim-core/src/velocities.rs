//! Initial velocities.

use crate::system::System;
use crate::units::{AMU_A2_PS2_TO_EV, BOLTZMANN_EV_K};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Maxwell–Boltzmann velocities at `temperature` (K) from a ChaCha20 stream seeded with
/// `seed`, with zero total momentum and rescaled so the kinetic temperature is exactly the
/// target (with 3N − 3 degrees of freedom).
pub fn maxwell_boltzmann(system: &mut System, temperature: f64, seed: u64) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    for (v, &m) in system.velocities.iter_mut().zip(&system.masses) {
        let sd = (BOLTZMANN_EV_K * temperature / (m * AMU_A2_PS2_TO_EV)).sqrt();
        *v = [0, 1, 2].map(|_| sd * sample_normal(&mut rng));
    }
    remove_drift(system);
    let t = system.temperature();
    if t > 0.0 {
        let scale = (temperature / t).sqrt();
        for v in &mut system.velocities {
            *v = v.map(|x| x * scale);
        }
    }
}

fn sample_normal<R: Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Removes the centre-of-mass velocity.
pub fn remove_drift(system: &mut System) {
    let p = system.total_momentum();
    let m: f64 = system.masses.iter().sum();
    let vcm = p.map(|x| x / m);
    for v in &mut system.velocities {
        for k in 0..3 {
            v[k] -= vcm[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cell, Species};

    fn gas(n: usize) -> System {
        let species = vec![
            Species {
                name: "Li".into(),
                mass: 6.941,
                charge: 0.0,
            },
            Species {
                name: "O".into(),
                mass: 15.9994,
                charge: 0.0,
            },
        ];
        let types = (0..n).map(|i| i % 2).collect();
        let positions = (0..n).map(|i| [i as f64, 0.0, 0.0]).collect();
        System::new(
            Cell::orthorhombic(100.0, 100.0, 100.0).unwrap(),
            species,
            types,
            positions,
        )
    }

    #[test]
    fn exact_temperature_zero_momentum_and_seeded() {
        let mut s = gas(1000);
        maxwell_boltzmann(&mut s, 573.0, 42);
        assert!((s.temperature() - 573.0).abs() < 1e-10);
        let p = s.total_momentum();
        assert!(p.iter().all(|x| x.abs() < 1e-10), "{p:?}");
        let mut again = gas(1000);
        maxwell_boltzmann(&mut again, 573.0, 42);
        assert_eq!(s.velocities, again.velocities);
        maxwell_boltzmann(&mut again, 573.0, 43);
        assert_ne!(s.velocities, again.velocities);
    }

    /// Equipartition per species: ⟨½ m v_x²⟩ = ½ k_B T for light and heavy atoms alike
    /// (a wrong mass factor would give the species different temperatures).
    #[test]
    fn each_species_gets_the_same_temperature() {
        let mut s = gas(20000);
        maxwell_boltzmann(&mut s, 300.0, 7);
        for t in 0..2 {
            let (mut ke, mut n) = (0.0, 0.0);
            for i in (0..s.n_atoms()).filter(|&i| s.types[i] == t) {
                let v = s.velocities[i];
                ke += 0.5
                    * s.masses[i]
                    * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
                    * AMU_A2_PS2_TO_EV;
                n += 1.0;
            }
            let t_species = 2.0 * ke / (3.0 * n * BOLTZMANN_EV_K);
            // 10,000 atoms: relative standard deviation √(2/30000) ≈ 0.8 %; allow 4σ.
            assert!(
                (t_species / 300.0 - 1.0).abs() < 0.033,
                "species {t}: {t_species} K"
            );
        }
    }
}
