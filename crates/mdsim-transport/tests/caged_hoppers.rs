//! Efficiency of the collective-σ estimators on the caged-hopper benchmark
//! (shared/benchmarks/gk_calibration): N = 64 ions, D = 0.02 Å²/ps, cage rms 0.15 Å,
//! τ_v = 0.05 ps, dt = 0.01 ps. Truth: D_σ = D (independent ions).

mod common;

use common::{caged_hoppers, coverage, Coverage};
use mdsim_transport::spectral::{fit_zero_frequency, SpectralOptions, Spectrum};

const N: usize = 64;
const D: f64 = 0.02;
const A: f64 = 0.15;
const TAU: f64 = 0.05;
const DT: f64 = 0.01;

fn spectral_run(n_rep: usize, t_ps: f64, seed0: u64) -> Coverage {
    let n_steps = (t_ps / DT).round() as usize;
    let mut opts = SpectralOptions::default();
    if let Ok(d) = std::env::var("DEGREES") {
        opts.degrees = d.split(',').map(|x| x.parse().unwrap()).collect();
    }
    if let Ok(d) = std::env::var("BETA") {
        opts.switch_exponent = d.parse().unwrap();
    }
    if std::env::var("LAPLACE").is_ok() {
        opts.sandwich = false;
    }
    if let Ok(d) = std::env::var("CVF") {
        opts.cv_fcut_factor = d.parse().unwrap();
    }
    let rows: Vec<(f64, f64, f64)> = (0..n_rep)
        .map(|r| {
            let p = caged_hoppers(seed0 + r as u64, N, n_steps, DT, D, A, TAU);
            let s = Spectrum::from_displacements(&p, DT).unwrap();
            let fit = fit_zero_frequency(&s, &opts).unwrap();
            (
                fit.value.value / N as f64,
                fit.value.stderr / N as f64,
                1.96,
            )
        })
        .collect();
    coverage(&rows, D)
}

#[test]
fn spectral_sigma_on_caged_hoppers_quick() {
    let c = spectral_run(40, 200.0, 0);
    println!("spectral 200 ps: {c}");
}

#[test]
#[ignore = "200 replicas at 200 ps and 50 ps (~1 min release)"]
fn spectral_sigma_on_caged_hoppers_200_replicas() {
    let c = spectral_run(200, 200.0, 1000);
    println!("spectral 200 ps: {c}");
    let c = spectral_run(200, 50.0, 2000);
    println!("spectral 50 ps: {c}");
}
