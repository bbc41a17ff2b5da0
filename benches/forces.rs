//! Criterion benchmarks of the hot paths, one thread (as the LAMMPS comparison):
//! - Rahman argon (864 atoms): pair forces with and without energies, the neighbour-list
//!   build, a whole velocity-Verlet step;
//! - the in.lj system (32,000 atoms): pair forces, neighbour-list build;
//! - the Li-P-Si-O model cell (inputs/lpso-0.75.ron, 2,970 ions): the pair pass (Buckingham +
//!   real-space Coulomb, exact and from tables), the neighbour-list build, and all forces (with the reciprocal part)
//!   with the default Coulomb method, with plain Ewald and with smooth PME at 1e-5;
//! - the real-space Coulomb term alone, erfc/exp against the table.
//!
//! Run with `cargo bench --bench forces [-- FILTER]`; compare with LAMMPS using
//! `benches/compare_lammps.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
use mdsim_core::coulomb::{self, RealSpaceCoulomb};
use mdsim_core::forces::{pair_forces, ForceWorkspace};
use mdsim_core::neighbor::NeighborList;
use mdsim_core::pair::GeneralKernel;
use mdsim_core::tabulated::TabulatedKernel;
use mdsim_core::{velocities, Engine};
use std::hint::black_box;
use std::path::Path;

/// The engine of a benchmark input, with velocities at `temperature` and `steps` MD steps
/// of `dt` taken (so that the neighbour structure is liquid-like).
fn engine(input: &str, temperature: f64, steps: usize, dt: f64) -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(input);
    let setup = mdsim_io::load(&path).expect("benchmark input");
    let mut system = setup.system.clone();
    velocities::maxwell_boltzmann(&mut system, temperature, 1);
    let mut engine = Engine::new(system, setup.force_field, setup.input.neighbor.skin);
    for _ in 0..steps {
        engine.step(dt, None, false);
    }
    engine
}

/// The neighbour-list build of an engine's current configuration.
fn bench_build(c: &mut Criterion, name: &str, engine: &Engine) {
    let cutoff = engine.force_field.cutoff();
    let skin = engine.neighbor_list().skin();
    let (cell, positions) = (engine.system.cell.clone(), engine.system.positions.clone());
    let mut nl = NeighborList::new(cutoff, skin);
    c.bench_function(&format!("{name} neighbour-list build"), |b| {
        b.iter(|| nl.build(black_box(&cell), black_box(&positions)))
    });
}

fn lennard_jones(c: &mut Criterion) {
    let mut argon = engine("inputs/argon-rahman-bench.ron", 94.4, 300, 0.01);
    c.bench_function("rahman forces (no energy)", |b| {
        b.iter(|| argon.compute_forces(black_box(false)))
    });
    c.bench_function("rahman forces + energy + virial", |b| {
        b.iter(|| argon.compute_forces(black_box(true)))
    });
    bench_build(c, "rahman", &argon);
    c.bench_function("rahman NVE step", |b| {
        b.iter(|| argon.step(0.01, None, false))
    });

    let mut lj = engine("inputs/lj-32000-bench.ron", 172.8, 20, 0.0107572);
    c.bench_function("in.lj forces (no energy)", |b| {
        b.iter(|| lj.compute_forces(black_box(false)))
    });
    bench_build(c, "in.lj", &lj);
}

fn ionic(c: &mut Criterion) {
    let mut cell = engine("inputs/lpso-0.75.ron", 600.0, 20, 0.001);
    let ff = &cell.force_field;
    let real = ff
        .coulomb
        .as_ref()
        .expect("the model cell has Coulomb")
        .real_space();
    let charges = cell.system.species_charges();
    let exact = GeneralKernel::new(&ff.pair, Some((real.clone(), &charges)));
    let tables = TabulatedKernel::new(&ff.pair, &real, &charges, 1e-9).expect("tables");
    let mut nl = NeighborList::new(ff.cutoff(), cell.neighbor_list().skin());
    nl.build(&cell.system.cell, &cell.system.positions);
    let mut workspace = ForceWorkspace::default();
    let mut forces = vec![[0.0; 3]; cell.system.n_atoms()];
    let s = &cell.system;
    let mut pass = |name: &str, kernel: &dyn Fn(&mut Vec<[f64; 3]>, &mut ForceWorkspace)| {
        c.bench_function(name, |b| b.iter(|| kernel(&mut forces, &mut workspace)));
    };
    pass(
        "lpso-0.75 pair pass, exact (Buckingham + real-space Coulomb)",
        &|f, ws| {
            pair_forces(&exact, &nl, &s.positions, &s.types, f, ws, black_box(false));
        },
    );
    pass("lpso-0.75 pair pass, tables", &|f, ws| {
        pair_forces(
            &tables,
            &nl,
            &s.positions,
            &s.types,
            f,
            ws,
            black_box(false),
        );
    });
    bench_build(c, "lpso-0.75", &cell);
    c.bench_function("lpso-0.75 all forces", |b| {
        b.iter(|| cell.compute_forces(black_box(false)))
    });
}

/// The model cell with its Coulomb method replaced, velocities at 600 K.
fn lpso_engine(method: coulomb::Method) -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/lpso-0.75.ron");
    let setup = mdsim_io::load(&path).expect("benchmark input");
    let mut system = setup.system.clone();
    velocities::maxwell_boltzmann(&mut system, 600.0, 1);
    let charges = system.charges();
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
    let species_charges = system.species_charges();
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
    lennard_jones(c);
    ionic(c);
    coulomb_benches(c);
}

criterion_group! {
    name = benches_group;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(benches_group);
