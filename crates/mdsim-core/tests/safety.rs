//! The per-step hard-minimum check looks only at the pairs the engine keeps near each other
//! (within the largest minimum + skin at the last list build). Until the next build no atom
//! moves more than half the skin, so no approach may be missed: the check must find exactly
//! what a brute-force search over every pair and image finds.

use mdsim_core::neighbor::brute_force_pairs;
use mdsim_core::safety::HardMinimum;
use mdsim_core::{Cell, Engine, ForceField, PairPotential, PairSpec, PairTerm, Species, System};
use rand::{RngExt, SeedableRng};

/// A dilute LJ gas (so atoms can be pushed close together) in a skewed cell.
fn gas(n: usize, seed: u64) -> System {
    let cell = Cell::new([16.0, 0.0, 0.0], [3.0, 15.0, 0.0], [-2.0, 4.0, 17.0]).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let positions = (0..n)
        .map(|_| cell.to_cartesian([rng.random(), rng.random(), rng.random()]))
        .collect();
    let species = vec![Species {
        name: "Ar".into(),
        mass: 39.95,
        charge: 0.0,
    }];
    System::new(cell, species, vec![0; n], positions)
}

fn engine(system: System, skin: f64) -> Engine {
    let mut pair = PairPotential::new(1);
    pair.set(
        0,
        0,
        PairSpec {
            terms: vec![PairTerm::LennardJones {
                epsilon: 1e-6,
                sigma: 1.0,
            }],
            cutoff: 5.0,
            shift: false,
        },
    );
    Engine::new(system, ForceField::new(pair, None, &[0.0]), skin)
}

#[test]
fn the_close_pairs_see_every_approach_until_the_next_build() {
    let skin = 1.0;
    let minimum = HardMinimum::new(1, 1.2);
    let mut e = engine(gas(300, 3), skin);
    e.watch_hard_minimum(&minimum);
    let kept = e.close_pairs().unwrap().n_pairs();
    let builds = e.neighbor_list().builds();
    // Every atom moves just under half the skin in a random direction: no rebuild is due.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    for x in e.system.positions.iter_mut() {
        let d: [f64; 3] = std::array::from_fn(|_| rng.random::<f64>() - 0.5);
        let norm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
        for k in 0..3 {
            x[k] += 0.4999 * skin * d[k] / norm;
        }
    }
    e.compute_forces(false);
    assert_eq!(e.neighbor_list().builds(), builds, "no rebuild");

    let found = e.hard_minimum_violation(&minimum).expect("a violation");
    let pairs = brute_force_pairs(&e.system.cell, &e.system.positions, 1.2);
    let nearest = pairs
        .iter()
        .map(|(_, _, d)| (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt())
        .fold(f64::INFINITY, f64::min);
    assert!(pairs.len() > 1, "the test needs approaches");
    assert_eq!(found.distance, nearest);
    // A handful of pairs are kept, not the whole list.
    assert!(kept * 20 < e.neighbor_list().n_pairs(), "{kept} kept");
}
