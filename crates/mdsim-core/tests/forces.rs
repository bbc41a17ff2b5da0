//! Forces against independent references: −∇E by central finite differences, the
//! brute-force pair sum over images, and the virial against the strain derivative.

use mdsim_core::oracle::brute_force_pair_forces;
use mdsim_core::pair::LjKernel;
use mdsim_core::{Cell, Engine, ForceField, PairPotential, PairSpec, PairTerm, Species, System};
use rand::{RngExt, SeedableRng};

/// Two LJ species with different ε, σ and cutoffs (one shifted, one not).
fn potential() -> PairPotential {
    let lj = |epsilon: f64, sigma: f64, cutoff: f64, shift: bool| PairSpec {
        terms: vec![PairTerm::LennardJones { epsilon, sigma }],
        cutoff,
        shift,
    };
    let mut p = PairPotential::new(2);
    p.set(0, 0, lj(0.0104, 3.4, 8.5, false));
    p.set(0, 1, lj(0.0080, 3.1, 7.0, true));
    p.set(1, 1, lj(0.0060, 2.8, 6.5, true));
    p
}

/// A jittered simple-cubic arrangement (no overlaps) of `m`³ atoms of two species in `cell`.
fn system(cell: Cell, m: usize, seed: u64) -> System {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut positions = Vec::new();
    let mut types = Vec::new();
    for a in 0..m {
        for b in 0..m {
            for c in 0..m {
                let s = [a, b, c]
                    .map(|k| (k as f64 + 0.5 + 0.2 * (rng.random::<f64>() - 0.5)) / m as f64);
                positions.push(cell.to_cartesian(s));
                types.push(usize::from(rng.random::<f64>() < 0.4));
            }
        }
    }
    let species = vec![
        Species {
            name: "A".into(),
            mass: 39.95,
            charge: 0.0,
        },
        Species {
            name: "B".into(),
            mass: 20.18,
            charge: 0.0,
        },
    ];
    System::new(cell, species, types, positions)
}

fn orthorhombic() -> Cell {
    Cell::orthorhombic(19.0, 21.0, 23.0).unwrap()
}

fn triclinic() -> Cell {
    Cell::new([20.0, 0.0, 0.0], [5.5, 19.0, 0.0], [-4.0, 3.5, 21.0]).unwrap()
}

fn energy_at(engine: &mut Engine) -> f64 {
    engine.compute_forces(true);
    engine.energies().potential()
}

/// (central difference −ΔE/2h, analytic force) for every coordinate of every `stride`-th
/// atom, h = 1e-5 Å.
// Index loops read clearest for displacing coordinate k of atom i.
#[allow(clippy::needless_range_loop)]
fn finite_difference_pairs(engine: &mut Engine, stride: usize) -> Vec<(f64, f64)> {
    let forces = engine.system.forces.clone();
    let h = 1e-5;
    let mut out = Vec::new();
    for i in (0..engine.system.n_atoms()).step_by(stride) {
        for k in 0..3 {
            let x0 = engine.system.positions[i][k];
            engine.system.positions[i][k] = x0 + h;
            let ep = energy_at(engine);
            engine.system.positions[i][k] = x0 - h;
            let em = energy_at(engine);
            engine.system.positions[i][k] = x0;
            out.push((-(ep - em) / (2.0 * h), forces[i][k]));
        }
    }
    out
}

fn check_finite_differences(cell: Cell) {
    let sys = system(cell, 6, 11);
    let mut engine = Engine::new(sys, ForceField::new(potential(), None, &[]), 1.0);
    let worst = finite_difference_pairs(&mut engine, 7)
        .into_iter()
        .map(|(fd, f)| (fd - f).abs() / f.abs().max(1e-3))
        .fold(0.0, f64::max);
    assert!(worst <= 1e-6, "largest relative force error {worst:e}");
}

#[test]
fn forces_are_minus_energy_gradient_orthorhombic() {
    check_finite_differences(orthorhombic());
}

#[test]
fn forces_are_minus_energy_gradient_triclinic() {
    check_finite_differences(triclinic());
}

fn check_against_brute_force(cell: Cell, m: usize) {
    let sys = system(cell, m, 5);
    let pot = potential();
    let kernel = LjKernel::from_potential(&pot).unwrap();
    let mut engine = Engine::new(sys, ForceField::new(pot.clone(), None, &[]), 0.7);
    let s = &engine.system;
    let (ev, forces) =
        brute_force_pair_forces(&kernel, &s.cell, &s.positions, &s.types, pot.max_cutoff());
    let fmax = forces.iter().flatten().fold(0.0f64, |a, &b| a.max(b.abs()));
    for (f, g) in engine.system.forces.iter().zip(&forces) {
        for k in 0..3 {
            assert!((f[k] - g[k]).abs() <= 1e-12 * fmax, "{} vs {}", f[k], g[k]);
        }
    }
    let e = *engine.energies();
    assert!((e.short_range - ev.short_range).abs() <= 1e-12 * ev.short_range.abs());
    let wmax = ev.virial.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    for k in 0..6 {
        assert!((e.virial[k] - ev.virial[k]).abs() <= 1e-12 * wmax);
    }
}

#[test]
fn neighbor_list_forces_match_brute_force_orthorhombic() {
    check_against_brute_force(orthorhombic(), 7);
}

#[test]
fn neighbor_list_forces_match_brute_force_triclinic() {
    check_against_brute_force(triclinic(), 7);
}

/// A box whose width lies between 2 r_c and 2 (r_c + skin): the list must see both images.
#[test]
fn neighbor_list_forces_match_brute_force_small_box() {
    let cell = Cell::new([17.5, 0.0, 0.0], [3.0, 17.2, 0.0], [1.0, -2.0, 17.3]).unwrap();
    check_against_brute_force(cell, 5);
}

/// The system under the homogeneous deformation x_a → x_a + ε x_b of cell and atoms.
fn strained(base: &System, a: usize, b: usize, eps: f64) -> System {
    let mut s = base.clone();
    let deform = |x: [f64; 3]| {
        let mut y = x;
        y[a] += eps * x[b];
        y
    };
    let v = [0, 1, 2].map(|k| deform(s.cell.vector(k)));
    s.cell = Cell::new(v[0], v[1], v[2]).unwrap();
    s.positions = s.positions.iter().map(|&x| deform(x)).collect();
    s
}

/// W_ab = −∂E/∂ε_ab for a homogeneous deformation x → (1 + ε) x of cell and atoms.
#[test]
fn virial_is_strain_derivative() {
    for cell in [orthorhombic(), triclinic()] {
        let base = system(cell.clone(), 6, 3);
        let ff = ForceField::new(potential(), None, &[]);
        let mut engine = Engine::new(base.clone(), ff.clone(), 1.0);
        let w = engine.energies().virial;
        let strained_energy = |a: usize, b: usize, eps: f64| {
            Engine::new(strained(&base, a, b, eps), ff.clone(), 1.0)
                .energies()
                .potential()
        };
        let h = 1e-6;
        // (a, b) with the virial index: xx, yy, zz, then xy, xz, yz (symmetric for pairs).
        for (idx, (a, b)) in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
            .into_iter()
            .enumerate()
        {
            let de = (strained_energy(a, b, h) - strained_energy(a, b, -h)) / (2.0 * h);
            let scale = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(
                (-de - w[idx]).abs() <= 1e-6 * scale,
                "virial {idx}: {} vs {}",
                -de,
                w[idx]
            );
        }
    }
}

/// Rigid-ion Li–Si–O system: repaired Buckingham pairs + Ewald Coulomb at tight accuracy in
/// a triclinic cell. Random positions (pairs pushed apart to ≥ 1 Å) put some O–O pairs on the
/// repaired branch (r < 1.906 Å).
fn ionic_engine(cell: Cell) -> Engine {
    use mdsim_core::ewald::EwaldParams;
    use mdsim_core::pair::BuckinghamRepair;
    let species = vec![
        Species {
            name: "Li".into(),
            mass: 6.941,
            charge: 0.6,
        },
        Species {
            name: "Si".into(),
            mass: 28.0855,
            charge: 2.4,
        },
        Species {
            name: "O".into(),
            mass: 15.9994,
            charge: -1.2,
        },
    ];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(17);
    let mut types = Vec::new();
    // 6 × (4 Li + Si + 3 O) carry 6 × 1.2 e; 6 more O make the cell neutral.
    for _ in 0..6 {
        types.extend([0, 0, 0, 0, 1, 2, 2, 2]);
    }
    types.extend([2; 6]);
    let positions: Vec<[f64; 3]> = types
        .iter()
        .map(|_| cell.to_cartesian([rng.random(), rng.random(), rng.random()]))
        .collect();
    let mut system = System::new(cell.clone(), species.clone(), types, positions);
    // Push apart atoms that landed closer than 1.0 Å (keeps the check well conditioned).
    for _ in 0..200 {
        let mut moved = false;
        for i in 0..system.n_atoms() {
            for j in i + 1..system.n_atoms() {
                let d = cell.minimum_image(
                    [0, 1, 2].map(|k| system.positions[j][k] - system.positions[i][k]),
                );
                let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                if r < 1.0 {
                    for (x, dk) in system.positions[j].iter_mut().zip(d) {
                        *x += 0.6 * dk / r;
                    }
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    let buck = |a, rho, c, repair| PairSpec {
        terms: vec![PairTerm::Buckingham { a, rho, c, repair }],
        cutoff: 8.0,
        shift: false,
    };
    let mut pot = PairPotential::new(3);
    pot.set(0, 2, buck(41051.938, 0.151160, 0.0, None));
    pot.set(
        1,
        2,
        buck(
            13702.905,
            0.193817,
            54.681,
            Some(BuckinghamRepair {
                r0: 1.168,
                b: 28.950,
                n: 3.932,
                d: -3.059,
            }),
        ),
    );
    pot.set(
        2,
        2,
        buck(
            2029.2204,
            0.343640,
            192.580,
            Some(BuckinghamRepair {
                r0: 1.906,
                b: 46.462,
                n: 3.430,
                d: -0.32605,
            }),
        ),
    );
    let params = EwaldParams::for_cutoff(1e-12, 8.0, &cell, &system.charges()).unwrap();
    let q = system.species_charges();
    Engine::new(system, ForceField::new(pot, Some(params.into()), &q), 1.0)
}

fn ionic_cell() -> Cell {
    Cell::new([17.0, 0.0, 0.0], [4.0, 16.5, 0.0], [-3.0, 2.5, 17.5]).unwrap()
}

#[test]
fn ionic_forces_are_minus_energy_gradient_triclinic() {
    let mut engine = ionic_engine(ionic_cell());
    let forces = &engine.system.forces;
    let rms =
        (forces.iter().flatten().map(|f| f * f).sum::<f64>() / (3 * forces.len()) as f64).sqrt();
    let worst = finite_difference_pairs(&mut engine, 1)
        .into_iter()
        .map(|(fd, f)| (fd - f).abs())
        .fold(0.0, f64::max);
    // Relative to the RMS force: the energy (~10³ eV) limits the difference quotient to
    // ~1e-7 eV/Å absolute, so tiny components cannot be checked relative to themselves.
    assert!(
        worst <= 1e-6 * rms,
        "largest force error {worst:e} eV/Å, RMS force {rms} eV/Å"
    );
}

#[test]
fn ionic_virial_is_strain_derivative() {
    let mut engine = ionic_engine(ionic_cell());
    let w = engine.energies().virial;
    let base = engine.system.clone();
    let ff = engine.force_field.clone();
    // Same α, cutoff and k-index ranges: the k-vectors follow the deformed cell.
    let energy = |a: usize, b: usize, eps: f64| {
        Engine::new(strained(&base, a, b, eps), ff.clone(), 1.0)
            .energies()
            .potential()
    };
    let h = 1e-6;
    let scale = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (idx, (a, b)) in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
        .into_iter()
        .enumerate()
    {
        let de = (energy(a, b, h) - energy(a, b, -h)) / (2.0 * h);
        assert!(
            (-de - w[idx]).abs() <= 1e-6 * scale,
            "virial {idx}: {} vs {}",
            -de,
            w[idx]
        );
    }
}
