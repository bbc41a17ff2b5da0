//! VACF: exact deterministic cases, and an Ornstein–Uhlenbeck velocity process whose
//! Z(t) = 3 (kT/m) e^{−γt} and D = kT/(mγ) are known; Green–Kubo and Einstein (MSD) must agree.

use mdsim_transport::{
    FitWindowSpec, MsdAccumulator, VacfAccumulator, VacfCurve, VacfSummary, WindowConfig,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

#[test]
fn circular_and_constant_velocities_are_exact() {
    // Group 0: v = A (cos(ωt + φ_i), sin(ωt + φ_i), 0) so v(0)·v(τ) = A² cos ωτ for every origin.
    // Group 1: constant velocity, Z = |v|², never crosses zero.
    let (amp, omega, dt) = (2.0, 3.0, 0.01);
    let cfg = WindowConfig::new(2000, 7, 150);
    let mut vacf = VacfAccumulator::new(&[0, 0, 0, 1], 2, dt, cfg).unwrap();
    for s in 0..2000 {
        let t = s as f64 * dt;
        let mut v: Vec<[f64; 3]> = (0..3)
            .map(|i| {
                let ph = omega * t + i as f64;
                [amp * ph.cos(), amp * ph.sin(), 0.0]
            })
            .collect();
        v.push([0.5, -1.0, 2.0]);
        vacf.push(&v).unwrap();
    }
    let curve = vacf.curve();
    for (l, t) in curve.lag_ps.iter().enumerate() {
        let exact = amp * amp * (omega * t).cos();
        assert!((curve.z_a2_ps2[0][l] - exact).abs() < 1e-12);
        assert!((curve.z_normalized[0][l] - (omega * t).cos()).abs() < 1e-12);
        assert!((curve.z_a2_ps2[1][l] - 5.25).abs() < 1e-12);
    }
    let s = vacf.summary().unwrap();
    let zero = s[0].first_zero_ps.unwrap();
    assert!(
        (zero - std::f64::consts::FRAC_PI_2 / omega).abs() < 1e-5,
        "{zero}"
    );
    assert_eq!(s[1].first_zero_ps, None);
    // Green–Kubo: (1/3) × trapezoid of the exact curve, identical in every block.
    let z: Vec<f64> = (0..=150)
        .map(|l| amp * amp * (omega * l as f64 * dt).cos())
        .collect();
    let trap = dt * (z.iter().sum::<f64>() - 0.5 * (z[0] + z[150]));
    assert!((s[0].d_green_kubo_a2_ps.value - trap / 3.0).abs() < 1e-12);
    assert!(s[0].d_green_kubo_a2_ps.stderr < 1e-12);
    assert!((s[0].d_green_kubo_cm2_s.value - 1e-4 * trap / 3.0).abs() < 1e-16);
    assert!((s[1].z0_a2_ps2.value - 5.25).abs() < 1e-12);
    assert!((s[0].integrated_to_ps - 1.5).abs() < 1e-12);

    let csv = curve.to_csv(&["Li"]);
    assert!(csv.starts_with(
        "lag_ps,vacf_Li_A2_per_ps2,vacf_Li_stderr_A2_per_ps2,vacf_Li_normalized,vacf_g1_A2_per_ps2"
    ));
    let back: VacfCurve = serde_json::from_str(&serde_json::to_string(&curve).unwrap()).unwrap();
    assert_eq!(back, curve);
    let js: Vec<VacfSummary> = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(js, s);
}

/// kT/m per Cartesian component (Å²/ps²), friction γ (1/ps), sampling interval (ps).
const KT_M: f64 = 1.0;
const GAMMA: f64 = 10.0;
const DT: f64 = 0.01;

/// Exact joint update of an OU velocity and its integral (position) over one interval.
struct OuStep {
    a: f64,
    drift_x: f64,
    sv: f64,
    cx: f64,
    sx: f64,
}

impl OuStep {
    fn new() -> Self {
        let a = (-GAMMA * DT).exp();
        let var_v = KT_M * (1.0 - a * a);
        let var_x = KT_M / (GAMMA * GAMMA) * (2.0 * GAMMA * DT - 3.0 + 4.0 * a - a * a);
        let cov = KT_M / GAMMA * (1.0 - a) * (1.0 - a);
        let sv = var_v.sqrt();
        let cx = cov / sv;
        Self {
            a,
            drift_x: (1.0 - a) / GAMMA,
            sv,
            cx,
            sx: (var_x - cx * cx).sqrt(),
        }
    }
}

#[test]
fn ornstein_uhlenbeck_vacf_and_green_kubo_match_theory_and_msd() {
    let n = 100;
    let n_samples = 20_000;
    let blocks = 10;
    let groups = vec![0; n];
    let mut vacf = VacfAccumulator::new(
        &groups,
        1,
        DT,
        WindowConfig::new(n_samples, 5, 100).with_blocks(blocks),
    )
    .unwrap();
    let mut msd = MsdAccumulator::new(
        &groups,
        1,
        DT,
        WindowConfig::new(n_samples, 10, 400).with_blocks(blocks),
    )
    .unwrap();

    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut z = || -> f64 { StandardNormal.sample(&mut rng) };
    let step = OuStep::new();
    let mut v: Vec<[f64; 3]> = (0..n)
        .map(|_| std::array::from_fn(|_| KT_M.sqrt() * z()))
        .collect();
    let mut x = vec![[0.0f64; 3]; n];
    for s in 0..n_samples {
        if s > 0 {
            for (vi, xi) in v.iter_mut().zip(x.iter_mut()) {
                for k in 0..3 {
                    let (z1, z2) = (z(), z());
                    xi[k] += vi[k] * step.drift_x + step.cx * z1 + step.sx * z2;
                    vi[k] = step.a * vi[k] + step.sv * z1;
                }
            }
        }
        vacf.push(&v).unwrap();
        msd.push(&x).unwrap();
    }

    // Z(t) = 3 kT/m e^{−γt} within the block error at every lag.
    let curve = vacf.curve();
    let mut worst: f64 = 0.0;
    for (l, t) in curve.lag_ps.iter().enumerate() {
        let exact = 3.0 * KT_M * (-GAMMA * t).exp();
        let dev = (curve.z_a2_ps2[0][l] - exact) / curve.z_stderr_a2_ps2[0][l];
        worst = worst.max(dev.abs());
        assert!(
            (curve.z_normalized[0][l] - (-GAMMA * t).exp()).abs() < 0.02,
            "normalised Z at {t} ps"
        );
    }
    assert!(
        worst < 6.0,
        "largest deviation {worst} block standard errors"
    );

    let d_true = KT_M / GAMMA;
    let gk = &vacf.summary().unwrap()[0];
    // The trapezoid rule over the exact curve, to 1 ps: D_true (1 + (γΔ)²/12 − …).
    let a = (-GAMMA * DT).exp();
    let d_trap = KT_M * DT * ((1.0 - a.powi(101)) / (1.0 - a) - 0.5 * (1.0 + a.powi(100)));
    let d_msd = &msd.diffusion(FitWindowSpec::Auto).unwrap()[0];
    println!(
        "OU: D_true {d_true}, trapezoid of exact Z {d_trap:.5}, Green–Kubo {:.5} ± {:.5}, \
         MSD {:.5} ± {:.5} (window {:.2}–{:.2} ps), max |ΔZ|/stderr {worst:.2}",
        gk.d_green_kubo_a2_ps.value,
        gk.d_green_kubo_a2_ps.stderr,
        d_msd.d_a2_ps.value,
        d_msd.d_a2_ps.stderr,
        d_msd.window.start_ps,
        d_msd.window.end_ps,
    );
    let gk_d = gk.d_green_kubo_a2_ps;
    assert!((gk_d.value - d_trap).abs() < 4.0 * gk_d.stderr);
    assert!((d_msd.d_a2_ps.value - d_true).abs() < 4.0 * d_msd.d_a2_ps.stderr);
    let combined = (gk_d.stderr.powi(2) + d_msd.d_a2_ps.stderr.powi(2)).sqrt();
    assert!((gk_d.value - d_msd.d_a2_ps.value).abs() < 4.0 * combined);
    // The errors are meaningful: a few per cent, not zero.
    assert!(gk_d.stderr > 0.0 && gk_d.stderr < 0.05 * d_true);
    assert!(d_msd.d_a2_ps.stderr > 0.0 && d_msd.d_a2_ps.stderr < 0.05 * d_true);
    // Z(0) is 3 kT/m.
    assert!((gk.z0_a2_ps2.value - 3.0 * KT_M).abs() < 5.0 * gk.z0_a2_ps2.stderr);
}
