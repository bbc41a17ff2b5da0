//! Criterion benchmarks of the hot paths on Rahman's argon (864 atoms, one thread):
//! force evaluation with and without energies, the neighbour-list build, and a whole
//! velocity-Verlet step. Run with `cargo bench`; compare with LAMMPS using
//! `benches/compare_lammps.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
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

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
