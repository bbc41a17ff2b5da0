//! The collective displacement goes through the same correlator: one tracked vector
//! P(t) = Σ_i q_i r_i(t) with weight 1 gives ⟨|ΔP(t)|²⟩ = Σ_i q_i² · 6 D t for independent
//! walkers, so slope / 6 = N D (charges ±1). Its error bar is ~√N times larger, relatively,
//! than the tracer one from the same trajectory (one "particle" instead of N).

use mdsim_transport::{
    block_slopes, choose_window, Estimate, FitWindowSpec, Kernel, MsdAccumulator, WindowConfig,
    WindowedCorrelator,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

#[test]
fn collective_msd_of_independent_walkers() {
    let (d, dt, n, n_samples) = (0.05, 0.1, 64, 20_000);
    let cfg = WindowConfig::new(n_samples, 5, 40).with_blocks(10);
    let charges: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let mut collective =
        WindowedCorrelator::new(Kernel::SquaredDisplacement, &[0], &[1.0], 1, dt, cfg).unwrap();
    let mut tracer = MsdAccumulator::new(&vec![0; n], 1, dt, cfg).unwrap();

    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let step = Normal::new(0.0, (2.0 * d * dt).sqrt()).unwrap();
    let mut pos = vec![[0.0f64; 3]; n];
    for s in 0..n_samples {
        if s > 0 {
            for p in pos.iter_mut() {
                for x in p.iter_mut() {
                    *x += step.sample(&mut rng);
                }
            }
        }
        let mut p_total = [0.0; 3];
        for (q, r) in charges.iter().zip(&pos) {
            for k in 0..3 {
                p_total[k] += q * r[k];
            }
        }
        collective.push(&[p_total]).unwrap();
        tracer.push(&pos).unwrap();
    }

    let data = collective.data();
    let window = choose_window(&data.pooled_mean(0), dt, 40, FitWindowSpec::Auto).unwrap();
    let slopes = block_slopes(data, 0, &window).unwrap();
    let est = Estimate::from_independent(&slopes)
        .unwrap()
        .scaled(1.0 / 6.0);
    let expected = n as f64 * d;
    let t = tracer
        .diffusion(FitWindowSpec::Auto)
        .unwrap()
        .remove(0)
        .d_a2_ps;
    println!(
        "collective Σq²D = {:.3} ± {:.3} (expected {expected}); tracer D = {:.5} ± {:.5}; \
         relative errors {:.3} vs {:.4}",
        est.value,
        est.stderr,
        t.value,
        t.stderr,
        est.stderr / est.value,
        t.stderr / t.value
    );
    assert!((est.value - expected).abs() < 4.0 * est.stderr);
    assert!((t.value - d).abs() < 4.0 * t.stderr);
    assert!(est.stderr / est.value > 3.0 * t.stderr / t.value);
}
