//! Rahman's liquid argon (Phys. Rev. 136, A405 (1964)), reduced to 100 ps of production so
//! it runs in CI, checked against independent numbers:
//! - U/N and virial pressure against the Johnson–Zollweg–Gubbins LJ equation of state minus
//!   the homogeneous tail correction (tests/support/lj_eos.rs), at the run's mean temperature;
//! - D against Rahman's 2.43e-5 cm²/s, within the combination of our error bar and ±10 % for
//!   his single ~10 ps run;
//! - the first peak of g(r) (3.7 Å) and the sign change of the VACF (near 0.3 ps).
//!
//! The full-length run is `inputs/argon-rahman.ron` (README).

#[path = "support/cli.rs"]
mod cli;
#[path = "support/lj_eos.rs"]
mod lj_eos;

use cli::*;
use serde_json::Value;

const EPS_EV: f64 = 0.01034079991;
const SIGMA: f64 = 3.4;
const RHO_STAR: f64 = 864.0 / (10.229 * 10.229 * 10.229);
const RC_STAR: f64 = 2.25;
const BAR_PER_REDUCED: f64 = EPS_EV / (SIGMA * SIGMA * SIGMA) * 1.602176634e6;

fn reduced_input() -> String {
    let full = std::fs::read_to_string(root().join("inputs/argon-rahman.ron")).unwrap();
    let reduced = full
        .replace("duration_ps: 40.0", "duration_ps: 20.0")
        .replace("duration_ps: 500.0", "duration_ps: 100.0")
        .replace("max_lag_ps: 10.0", "max_lag_ps: 5.0")
        .replace("blocks: 10", "blocks: 5")
        .replace(
            "\"../potentials/",
            &format!("\"{}/potentials/", root().display()),
        );
    assert_ne!(reduced, full);
    reduced
}

fn get(v: &Value, path: &[&str]) -> f64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_f64()
        .unwrap_or_else(|| panic!("{path:?} missing in results.json"))
}

#[test]
fn rahman_argon_reduced() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rahman.ron", &reduced_input());
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("out/results.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();

    let t = get(&r, &["temperature_K", "value"]);
    assert!(
        (t - 94.4).abs() < 0.5,
        "production temperature {t} K is not pinned at 94.4 K"
    );
    let t_star = t / 120.0;

    // U/N: JZG full-LJ energy minus tail; tolerance 0.03 ε covers the EOS uncertainty
    // (±0.015 ε, JZG vs Thol 2016), the g(r) ≠ 1 truncation effect (≈ −0.01 ε, HNC estimate)
    // and statistics (see tests/support/lj_eos.rs).
    let u_ref = lj_eos::truncated_energy(lj_eos::jzg::energy(t_star, RHO_STAR), RHO_STAR, RC_STAR);
    let u = get(&r, &["potential_energy_eV", "value"]) / EPS_EV;
    assert!(
        (u - u_ref).abs() < 0.03,
        "U/N = {u:.4} ε, EOS gives {u_ref:.4} ε"
    );

    // Virial pressure: tolerance 0.05 ε/σ³ (EOS ±0.015, truncation ≈ −0.013, statistics).
    let p_ref =
        lj_eos::truncated_pressure(lj_eos::jzg::pressure(t_star, RHO_STAR), RHO_STAR, RC_STAR);
    let p = get(&r, &["pressure_bar", "value"]) / BAR_PER_REDUCED;
    let p_err = get(&r, &["pressure_bar", "stderr"]) / BAR_PER_REDUCED;
    assert!(
        (p - p_ref).abs() < 0.05,
        "P* = {p:.4} ± {p_err:.4}, EOS gives {p_ref:.4}"
    );

    // D against Rahman with the combined uncertainty (95 %).
    let ar = &r["transport"]["species"][0];
    let d = get(ar, &["diffusion_cm2_s", "value"]);
    let d_err = get(ar, &["diffusion_cm2_s", "stderr"]);
    assert!(
        d_err > 0.0 && d_err < 0.05 * d,
        "implausible error bar {d_err:e} on D = {d:e}"
    );
    let combined = (d_err * d_err + (0.1 * 2.43e-5f64).powi(2)).sqrt();
    assert!(
        (d - 2.43e-5).abs() < 1.96 * combined,
        "D = {d:e} ± {d_err:e} vs Rahman 2.43e-5"
    );

    // Green–Kubo D from the VACF agrees with the MSD D (same trajectory, so errors correlate).
    let vacf = &r["transport"]["vacf"][0];
    let d_gk = get(vacf, &["diffusion_green_kubo_cm2_s", "value"]);
    let gk_err = get(vacf, &["diffusion_green_kubo_cm2_s", "stderr"]);
    assert!(
        (d - d_gk).abs() < 3.0 * (d_err * d_err + gk_err * gk_err).sqrt(),
        "MSD {d:e} vs GK {d_gk:e}"
    );

    // Rahman (1964): the VACF turns negative near 0.3 ps; g(r) peaks near 3.7 Å.
    let zero = get(vacf, &["first_zero_ps"]);
    assert!((0.25..0.40).contains(&zero), "VACF first zero at {zero} ps");
    let peak = get(&r["transport"]["rdf_first_peak"][0], &["r_A"]);
    assert!((peak - 3.7).abs() < 0.1, "g(r) first peak at {peak} Å");
    eprintln!("T = {t:.3} K, U/N = {u:.4} ε (EOS {u_ref:.4}), P* = {p:.4} (EOS {p_ref:.4}), D = {d:.4e} ± {d_err:.2e}, GK {d_gk:.4e}, VACF zero {zero:.3} ps, g(r) peak {peak:.3} Å");
}
