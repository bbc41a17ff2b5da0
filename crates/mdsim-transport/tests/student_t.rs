//! Student-t quantiles against exact forms, published values and direct integration.

use mdsim_transport::{student_t_quantile, t975};

#[test]
fn exact_closed_forms() {
    // ν = 1 (Cauchy): t_p = tan(π (p − ½)); ν = 2: t_p = (2p − 1) / √(2p(1 − p)).
    for &p in &[0.6, 0.9, 0.975, 0.995] {
        let cauchy = (std::f64::consts::PI * (p - 0.5)).tan();
        assert!((student_t_quantile(p, 1.0) - cauchy).abs() < 1e-11 * cauchy);
        let two = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
        assert!((student_t_quantile(p, 2.0) - two).abs() < 1e-11 * two);
    }
}

#[test]
fn published_values() {
    // qt(0.975, ν) to the digits given by standard tables (R, NIST).
    let table = [
        (3.0, 3.182_446),
        (4.0, 2.776_445),
        (5.0, 2.570_582),
        (6.0, 2.446_912),
        (9.0, 2.262_157),
        (10.0, 2.228_139),
        (19.0, 2.093_024),
        (30.0, 2.042_272),
        (100.0, 1.983_972),
    ];
    for (nu, t) in table {
        assert!(
            (t975(nu) - t).abs() < 1.5e-6,
            "nu = {nu}: {} vs {t}",
            t975(nu)
        );
    }
    // Normal limit.
    assert!((t975(1e7) - 1.959_964).abs() < 1e-5);
    // Other levels and symmetry.
    assert!((student_t_quantile(0.995, 5.0) - 4.032_143).abs() < 1.5e-6);
    assert!((student_t_quantile(0.025, 4.0) + 2.776_445).abs() < 1.5e-6);
    assert_eq!(student_t_quantile(0.5, 3.0), 0.0);
    assert!(student_t_quantile(1.0, 3.0).is_nan());
    assert!(student_t_quantile(0.9, 0.0).is_nan());
}

#[test]
fn matches_integrated_density() {
    // ∫_0^t pdf = p − ½ with the density integrated by Simpson's rule (independent check).
    for &nu in &[1.5f64, 4.0, 7.0, 25.0] {
        let t = t975(nu);
        let ln_c = ln_gamma_simple((nu + 1.0) / 2.0)
            - ln_gamma_simple(nu / 2.0)
            - 0.5 * (nu * std::f64::consts::PI).ln();
        let pdf = |x: f64| (ln_c - (nu + 1.0) / 2.0 * (1.0 + x * x / nu).ln()).exp();
        let n = 20_000;
        let h = t / n as f64;
        let mut s = pdf(0.0) + pdf(t);
        for i in 1..n {
            s += pdf(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        let area = s * h / 3.0;
        assert!((area - 0.475).abs() < 1e-10, "nu = {nu}: area {area}");
    }
}

/// ln Γ(x) by Stirling's series after shifting x up (independent of the crate's Lanczos).
fn ln_gamma_simple(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 30.0 {
        shift -= x.ln();
        x += 1.0;
    }
    let series = 1.0 / (12.0 * x) - 1.0 / (360.0 * x.powi(3)) + 1.0 / (1260.0 * x.powi(5));
    shift + (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}
