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
