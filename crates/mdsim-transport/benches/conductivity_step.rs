//! Cost of the conductivity accumulator per MD step on the 2,970-atom
//! (Li3PO4)0.75(Li4SiO4)0.25 model cell composition (1,170 Li, 270 P, 90 Si, 1,440 O, formal
//! charges, Li diffusing), for a 20 ps run and a 1 ns run at 1 fs (sampled every 12 and 16
//! steps). Each iteration pushes 1,000 steps; the reported time / 1,000 is
//! the cost per step. Compare with ~45 ms per MD step of the model cell (README: 22 steps/s).
//! Also the final analysis (spectral fit and block estimates) of the long run's data.

use criterion::{criterion_group, criterion_main, Criterion};
use mdsim_transport::conductivity::{
    AnalysisOptions, ConductivityAccumulator, ConductivityConfig, ReferenceFrame,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

const COUNTS: [usize; 4] = [1170, 270, 90, 1440];

fn config(n_steps: u64) -> ConductivityConfig {
    let groups: Vec<usize> = COUNTS
        .iter()
        .enumerate()
        .flat_map(|(g, &n)| std::iter::repeat_n(g, n))
        .collect();
    ConductivityConfig {
        groups,
        names: ["Li", "P", "Si", "O"].map(String::from).to_vec(),
        charges: vec![1.0, 5.0, 4.0, -2.0],
        masses: vec![6.94, 30.97, 28.09, 16.0],
        diffusing: vec![true, false, false, false],
        frame: ReferenceFrame::FrameworkCentreOfCharge,
        volume_a3: 36_000.0,
        dt_ps: 0.001,
        n_steps,
        n_blocks: 5,
        allow_net_charge: false,
    }
}

/// Deterministic, cheap pseudo-motion: every atom drifts along its own direction.
fn frame(k: u64, n: usize) -> (Vec<[f64; 3]>, Vec<[f64; 3]>) {
    let t = k as f64 * 1e-3;
    let pos = (0..n)
        .map(|i| {
            let a = i as f64 * 0.618;
            [
                a.sin() * t + i as f64 * 0.01,
                a.cos() * t,
                (a * 1.3).sin() * t,
            ]
        })
        .collect();
    let vel = (0..n)
        .map(|i| {
            let a = i as f64 * 0.618;
            [a.sin(), a.cos(), (a * 1.3).sin()]
        })
        .collect();
    (pos, vel)
}

fn steps(c: &mut Criterion, name: &str, n_steps: u64) {
    let n = COUNTS.iter().sum();
    let frames: Vec<_> = (0..64).map(|k| frame(k, n)).collect();
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut acc = ConductivityAccumulator::new(config(n_steps)).unwrap();
            for _ in 0..iters {
                if acc.steps_pushed() + 1000 > n_steps {
                    acc = ConductivityAccumulator::new(config(n_steps)).unwrap();
                }
                let start = Instant::now();
                for k in 0..1000u64 {
                    let (p, v) = &frames[(k % 64) as usize];
                    black_box(acc.push(p, v).unwrap());
                }
                total += start.elapsed();
            }
            total
        })
    });
}

fn bench(c: &mut Criterion) {
    steps(c, "push 1000 steps, 20 ps run", 20_000);
    steps(c, "push 1000 steps, 1 ns run", 1_000_000);

    // Analysis of a 1 ns run's data (62,501 samples, sampled every 16 steps); the cost does
    // not depend on the number of atoms, so 6 random walkers stand in for the cell.
    let data = std::cell::OnceCell::new();
    c.bench_function("analyze 1 ns run (spectral + blocks)", |b| {
        let data = data.get_or_init(long_run_data);
        b.iter(|| black_box(data.analyze(1000.0, &AnalysisOptions::default()).unwrap()))
    });
}

fn long_run_data() -> mdsim_transport::conductivity::ConductivityData {
    let n_steps = 1_000_000u64;
    let mut cfg = config(n_steps);
    cfg.groups = vec![0, 0, 0, 0, 3, 3];
    let mut acc = ConductivityAccumulator::new(cfg).unwrap();
    let mut state = 7u64;
    let mut pos = vec![[0.0f64; 3]; 6];
    let vel = vec![[0.0f64; 3]; 6];
    for _ in 0..=n_steps {
        for p in pos.iter_mut() {
            for x in p.iter_mut() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *x += ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.01;
            }
        }
        acc.push(&pos, &vel).unwrap();
    }
    acc.data()
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(20));
    targets = bench
}
criterion_main!(benches);
