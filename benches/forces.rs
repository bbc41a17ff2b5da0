//! Criterion benchmarks of the hot paths on Rahman's argon (864 atoms, one thread):
//! force evaluation with and without energies, the neighbour-list build, and a whole
//! velocity-Verlet step; and on the ionic model cell (inputs/lpso-0.75.ron, 2,970 ions) the
//! real-space Coulomb term (erfc/exp against the table) and force evaluations with Ewald and
//! smooth PME at 1e-5. Run with `cargo bench`; compare with LAMMPS using
//! `benches/compare_lammps.sh` and `benches/compare_lammps_ionic.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
use mdsim_core::coulomb::{self, RealSpaceCoulomb};
use mdsim_core::neighbor::NeighborList;
use mdsim_core::{velocities, Engine};
use std::hint::black_box;
use std::path::Path;

fn rahman_engine() -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/argon-rahman-bench.ron");
    let setup = mdsim_io::load(&path).expect("benchmark input");
    let mut system = setup.system.clone();
    velocities::maxwell_boltzmann(&mut system, 94.4, 1);
    let mut engine = Engine::new(system, setup.force_field, setup.input.neighbor.skin);
    // Melt the lattice a little so the neighbour structure is liquid-like.
    for _ in 0..300 {
        engine.step(0.01, None, false);
    }
    engine
}

/// The model cell with its Coulomb method replaced, velocities at 600 K.
fn lpso_engine(method: coulomb::Method) -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/lpso-0.75.ron");
    let setup = mdsim_io::load(&path).expect("benchmark input");
    let mut system = setup.system.clone();
    velocities::maxwell_boltzmann(&mut system, 600.0, 1);
    let charges: Vec<f64> = system
        .types
        .iter()
        .map(|&t| system.species[t].charge)
        .collect();
    let params = coulomb::choose(
        method,
        1e-5,
        None,
        setup.force_field.pair.max_cutoff(),
        &system.cell,
        &system.positions,
        &charges,
    )
    .expect("Coulomb parameters");
    let species_charges: Vec<f64> = system.species.iter().map(|s| s.charge).collect();
    let ff = mdsim_core::ForceField::new(
        setup.force_field.pair.clone(),
        Some(params),
        &species_charges,
    );
    Engine::new(system, ff, setup.input.neighbor.skin)
}

fn coulomb_benches(c: &mut Criterion) {
    // The real-space term over 4096 distances between 1.5 and 10 Å (unit-stride, no scatter).
    let exact = RealSpaceCoulomb::new(0.333, 10.0);
    let table = exact.clone().tabulated(1e-5);
    assert!(table.table().is_some());
    let r2: Vec<f64> = (0..4096)
        .map(|k| {
            let r = 1.5 + 8.5 * ((k * 2654435761usize) % 4096) as f64 / 4096.0;
            r * r
        })
        .collect();
    for (name, term) in [("erfc/exp", &exact), ("table", &table)] {
        c.bench_function(&format!("real-space Coulomb, 4096 pairs ({name})"), |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for &s in &r2 {
                    let (e, f) = term.pair(-0.72, black_box(s));
                    acc += e + f;
                }
                acc
            })
        });
    }
    for (name, method) in [
        ("Ewald", coulomb::Method::Ewald),
        ("PME", coulomb::Method::Pme),
    ] {
        let mut engine = lpso_engine(method);
        c.bench_function(&format!("lpso 2970 forces, {name} 1e-5"), |b| {
            b.iter(|| engine.compute_forces(black_box(false)))
        });
    }
}

fn benches(c: &mut Criterion) {
    // One thread, as the LAMMPS comparison (ignore "already built" when run twice).
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
    {
        let mut engine = rahman_engine();
        c.bench_function("rahman forces (no energy)", |b| {
            b.iter(|| engine.compute_forces(black_box(false)))
        });
        c.bench_function("rahman forces + energy + virial", |b| {
            b.iter(|| engine.compute_forces(black_box(true)))
        });
        let cutoff = engine.force_field.cutoff();
        let (cell, positions) = (engine.system.cell.clone(), engine.system.positions.clone());
        let mut nl = NeighborList::new(cutoff, 1.0);
        c.bench_function("rahman neighbour-list build", |b| {
            b.iter(|| nl.build(black_box(&cell), black_box(&positions)))
        });
        c.bench_function("rahman NVE step", |b| {
            b.iter(|| engine.step(0.01, None, false))
        });
    }
}

criterion_group!(benches_group, benches, coulomb_benches);
criterion_main!(benches_group);
