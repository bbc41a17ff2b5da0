//! FIRE brings a randomly displaced LJ crystal back to the perfect lattice: the energy
//! reaches the direct lattice sum and every force falls below the tolerance.

use mdsim_core::minimize::{fire, FireSettings};
use mdsim_core::{Cell, Engine, ForceField, PairPotential, PairSpec, PairTerm, Species, System};
use rand::{RngExt, SeedableRng};

#[test]
fn displaced_fcc_crystal_relaxes_to_the_lattice_energy() {
    let (a, m, rc) = (5.3, 4, 8.5);
    let (eps, sigma) = (0.0103408, 3.4);
    let basis = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let mut positions = Vec::new();
    for i in 0..m {
        for j in 0..m {
            for k in 0..m {
                for b in &basis {
                    let jitter = [0, 1, 2].map(|_| 0.15 * (rng.random::<f64>() - 0.5));
                    positions.push([
                        a * (i as f64 + b[0]) + jitter[0],
                        a * (j as f64 + b[1]) + jitter[1],
                        a * (k as f64 + b[2]) + jitter[2],
                    ]);
                }
            }
        }
    }
    let n = positions.len();
    let l = a * m as f64;
    let species = vec![Species {
        name: "Ar".into(),
        mass: 39.95,
        charge: 0.0,
    }];
    let system = System::new(
        Cell::orthorhombic(l, l, l).unwrap(),
        species,
        vec![0; n],
        positions,
    );
    let mut pot = PairPotential::new(1);
    let term = PairTerm::LennardJones {
        epsilon: eps,
        sigma,
    };
    pot.set(
        0,
        0,
        PairSpec {
            terms: vec![term.clone()],
            cutoff: rc,
            shift: false,
        },
    );
    let mut engine = Engine::new(system, ForceField::new(pot, None, &[]), 1.0);

    let settings = FireSettings {
        force_tolerance: 1e-6,
        max_steps: 5000,
        dt_start: 0.005,
        dt_max: 0.05,
        max_displacement: 0.1,
    };
    let result = fire(&mut engine, &settings, |_, _| {});
    assert!(result.converged, "{result:?}");
    assert!(result.max_force <= 1e-6);

    // Direct lattice sum: ½ Σ_R u(|R|) per atom.
    let mut e_ref = 0.0;
    let reach = (rc / a).ceil() as i32 + 1;
    for i in -reach..=reach {
        for j in -reach..=reach {
            for k in -reach..=reach {
                for b in &basis {
                    let r = a
                        * ((i as f64 + b[0]).powi(2)
                            + (j as f64 + b[1]).powi(2)
                            + (k as f64 + b[2]).powi(2))
                        .sqrt();
                    if r > 0.0 && r < rc {
                        e_ref += 0.5 * term.energy_derivative(r).0;
                    }
                }
            }
        }
    }
    let e = result.energy_end / n as f64;
    assert!(
        result.energy_start / (n as f64) > e_ref,
        "the displaced crystal must start higher"
    );
    assert!(
        (e - e_ref).abs() < 1e-9 * e_ref.abs(),
        "{e} vs lattice sum {e_ref} eV/atom ({} steps)",
        result.steps
    );
}
