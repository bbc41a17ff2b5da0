//! The conductivity estimator inside `mdsim run`, end to end (DESIGN.md §5):
//! - colour conductivity of a Lennard-Jones liquid: half the atoms carry +1, half −1, all
//!   otherwise identical. With the total momentum conserved and equal masses, Σᵢ Δrᵢ = 0, so
//!   the distinct velocity correlations of any two atoms are −⟨Δr²⟩/(N − 1) whatever their
//!   colour, and ⟨|ΔP|²⟩Ω² = N²/(N − 1)·⟨Δr²⟩ exactly: H_R = σ_tr/σ = (N − 1)/N. The run's
//!   H_R must cover that within its error bar; the spectral, Einstein and Green–Kubo σ must
//!   agree within theirs; σ_tr must equal the Nernst–Einstein value of the reported D*;
//! - the outputs of an ionic run (formal charges by default, files, thermo columns);
//! - bad `transport.conductivity` settings are refused with the field named.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/ionic.rs"]
mod ionic;

use cli::*;
use serde_json::Value;
use std::path::Path;

/// 256 identical LJ atoms (Rahman's argon) in two colours A, B of 128 each.
fn colour_liquid(production_ps: f64, conductivity: &str) -> String {
    format!(
        r#"(
    seed: 29,
    structure: Crystal((
        cell: (5.7964, 5.7964, 5.7964, 90.0, 90.0, 90.0),
        sites: [
            (label: "A1", species: "A", at: (0.0, 0.0, 0.0)),
            (label: "A2", species: "A", at: (0.5, 0.5, 0.0)),
            (label: "B1", species: "B", at: (0.5, 0.0, 0.5)),
            (label: "B2", species: "B", at: (0.0, 0.5, 0.5)),
        ],
        repeat: (4, 4, 4),
    )),
    potential: Inline((
        species: [(name: "A", mass: 39.95), (name: "B", mass: 39.95)],
        pairs: [
            (between: ("A", "A"), terms: [LennardJones(epsilon: 0.01034079991, sigma: 3.4)], cutoff: 7.65),
            (between: ("A", "B"), terms: [LennardJones(epsilon: 0.01034079991, sigma: 3.4)], cutoff: 7.65),
            (between: ("B", "B"), terms: [LennardJones(epsilon: 0.01034079991, sigma: 3.4)], cutoff: 7.65),
        ],
    )),
    initial_temperature: 240.0,
    timestep_ps: 0.01,
    stages: [
        (name: "melt", ensemble: Nvt(temperature: 150.0, damping_ps: 0.2), duration_ps: 5.0),
        (name: "equilibrate", ensemble: Nvt(temperature: 94.4, damping_ps: 0.5), duration_ps: 5.0),
        (name: "produce", ensemble: Nvt(temperature: 94.4, damping_ps: 2.0), duration_ps: {production_ps:?}, production: true),
    ],
    output: (thermo_every: 100),
    transport: (conductivity: Some({conductivity})),
)"#
    )
}

const COLOUR: &str = r#"(charges: {"A": 1.0, "B": -1.0}, diffusing: ["A", "B"], frame: Lab)"#;

fn run_ok(dir: &Path, name: &str, text: &str) -> Value {
    let input = write(dir, &format!("{name}.ron"), text);
    let o = mdsim()
        .args(["run", "-o", name])
        .arg(&input)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join(name).join("results.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn est(v: &Value) -> (f64, f64) {
    (
        v["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("no value: {v}")),
        v["stderr"].as_f64().unwrap(),
    )
}

#[test]
fn colour_conductivity_of_a_one_component_liquid() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_ok(dir.path(), "colour", &colour_liquid(1000.0, COLOUR));
    let t = &r["transport"];
    let n = 256.0;

    // H_R = (N − 1)/N.
    let (h, sh) = est(&t["haven_ratio"]);
    let expected = (n - 1.0) / n;
    eprintln!("H_R = {h:.4} ± {sh:.4} (exact {expected:.4})");
    assert!(sh > 0.0 && sh < 0.3, "H_R error {sh}");
    assert!(
        (h - expected).abs() < 3.0 * sh,
        "H_R {h} ± {sh} vs {expected}"
    );

    // The three estimates of σ agree within their errors.
    let c = &t["conductivity"];
    let (s, ss) = est(&c["conductivity"]["s_cm"]);
    for other in ["conductivity_einstein", "conductivity_green_kubo"] {
        let (o, so) = est(&c[other]["s_cm"]);
        let z = (s - o) / (ss * ss + so * so).sqrt();
        eprintln!("σ spectral {s:.4e} ± {ss:.1e}, {other} {o:.4e} ± {so:.1e}: {z:+.2} σ");
        assert!(z.abs() < 3.0, "{other}: {z:+.2} σ");
    }
    assert_eq!(t["conductivity_S_cm"]["value"].as_f64(), Some(s));
    assert_eq!(t["conductivity_resolved"], true);

    // σ_tr = N q² e² D* / (Ω k_B T), with D* the mean over the two colours (equal numbers).
    let d: Vec<f64> = t["species"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| est(&s["diffusion_cm2_s"]).0)
        .collect();
    assert_eq!(d.len(), 2);
    let d_mean = 0.5 * (d[0] + d[1]); // cm²/s
    let temperature = c["temperature_k"].as_f64().unwrap();
    let volume_cm3 = (4.0f64 * 5.7964e-8).powi(3);
    let e = 1.602176634e-19; // C
    let kb = 1.380649e-23; // J/K
    let nernst_einstein = n * e * e * d_mean / (volume_cm3 * kb * temperature); // S/cm
    let (s_tr, _) = est(&t["conductivity_tracer_S_cm"]);
    assert!(
        (s_tr - nernst_einstein).abs() < 1e-9 * nernst_einstein,
        "σ_tr {s_tr} vs Nernst–Einstein {nernst_einstein}"
    );
    // Rahman's argon: D* ≈ 2.4e-5 cm²/s (a 256-atom cell runs a few % lower).
    assert!((1.8e-5..3.0e-5).contains(&d_mean), "D* = {d_mean}");

    // Charges, frame and diffusing species are named.
    let charges = c["charges"].to_string();
    assert!(
        charges.contains("\"A\"") && charges.contains("-1"),
        "{charges}"
    );
    assert_eq!(c["frame"], "lab");

    // Files: ΔP and J at every production step (a header and steps 0 to 100,000), the MSD curves, the plot,
    // the estimator's data; thermo.csv carries the running estimate.
    let out = dir.path().join("colour");
    let rows = |f: &str| {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count()
    };
    assert_eq!(rows("polarization.csv"), 100_002);
    assert_eq!(rows("current.csv"), 100_002);
    assert!(rows("msd.csv") > 10);
    for f in ["msd.svg", "conductivity_data.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let thermo = std::fs::read_to_string(out.join("thermo.csv")).unwrap();
    assert!(thermo.contains("sigma_tracer_S_cm"), "{}", &thermo[..200]);
}

#[test]
fn ionic_run_uses_formal_charges_and_writes_the_series() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_ok(dir.path(), "li3po4", &ionic::ionic());
    let c = &r["transport"]["conductivity"];
    let charges: Vec<(String, f64, bool)> = c["charges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["species"].as_str().unwrap().to_string(),
                q["charge_e"].as_f64().unwrap(),
                q["diffusing"].as_bool().unwrap(),
            )
        })
        .collect();
    let get = |s: &str| charges.iter().find(|q| q.0 == s).unwrap();
    // Formal oxidation states, not the force field's partial charges (+0.6, +3.0, −1.2);
    // Li, the lightest charged species, diffuses.
    assert_eq!(
        (get("Li").1, get("P").1, get("O").1),
        (1.0, 5.0, -2.0),
        "{charges:?}"
    );
    assert!(get("Li").2 && !get("P").2 && !get("O").2, "{charges:?}");
    assert_eq!(c["frame"], "framework_centre_of_charge");
    let out = dir.path().join("li3po4");
    for f in [
        "polarization.csv",
        "current.csv",
        "conductivity_data.json",
        "msd.csv",
        "msd.svg",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn a_production_too_short_for_the_blocks_says_so_and_measures_the_msd() {
    let dir = tempfile::tempdir().unwrap();
    let text = ionic::ionic()
        .replace(
            "duration_ps: 0.2, production: true",
            "duration_ps: 0.02, production: true",
        )
        .replace(
            "msd: (max_lag_ps: 0.04, blocks: 4), vacf: Some((max_lag_ps: 0.04))",
            "msd: (max_lag_ps: 0.004, blocks: 2), vacf: None",
        );
    let r = run_ok(dir.path(), "short", &text);
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("no conductivity estimate"), "{warnings}");
    assert!(warnings.contains("run at least"), "{warnings}");
    assert!(
        r["transport"]["conductivity"].is_null(),
        "{}",
        r["transport"]
    );
    assert!(dir.path().join("short/msd.csv").exists());
    assert!(!dir.path().join("short/polarization.csv").exists());
}

#[test]
fn bad_conductivity_settings_are_refused_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (r#"(charges: {"A": 1.0, "B": -2.0})"#, "net charge"),
        (r#"(charges: {"A": 1.0, "C": -1.0})"#, "unknown species `C`"),
        (
            r#"(charges: {"A": 1.0, "B": -1.0}, diffusing: ["Xe"])"#,
            "unknown species `Xe`",
        ),
        (
            r#"(charges: {"A": 1.0, "B": -1.0}, fit_start_ps: 1.0, fit_end_ps: 50.0)"#,
            "lies outside the run",
        ),
        (
            r#"(charges: {"A": 1.0, "B": -1.0}, fit_start_ps: 1.0)"#,
            "give both fit_start_ps and fit_end_ps",
        ),
        (
            r#"(charges: {"A": 1.0, "B": -1.0}, blocks: 1)"#,
            "at least 2",
        ),
        (
            r#"(charges: {"A": 1.0, "B": -1.0}, target_relative_error: 0.0)"#,
            "target_relative_error",
        ),
    ];
    for (k, (settings, expected)) in cases.iter().enumerate() {
        let input = write(
            dir.path(),
            &format!("bad{k}.ron"),
            &colour_liquid(10.0, settings),
        );
        let o = run(&["run"], &input, dir.path());
        let err = stderr(&o);
        assert!(!o.status.success(), "{settings} was accepted");
        assert!(err.contains("transport.conductivity"), "{settings}: {err}");
        assert!(err.contains(expected), "{settings}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// `mdsim analyze` recomputes a run's estimates from its stored data to the same numbers,
/// applies another fit window, combines replicas (mean ± standard error of the spread) and
/// refuses charges the run was not made with.
#[test]
fn analyze_recomputes_and_combines_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = run_ok(d, "a", &colour_liquid(100.0, COLOUR));
    let b = run_ok(
        d,
        "b",
        &colour_liquid(100.0, COLOUR).replace("seed: 29", "seed: 31"),
    );
    let analyze = |args: &[&str]| {
        let o = mdsim()
            .arg("analyze")
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        (o.status.success(), stderr(&o))
    };
    let (ok, err) = analyze(&["a", "b", "-o", "both.json"]);
    assert!(ok, "{err}");
    let both: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("both.json")).unwrap()).unwrap();
    // Each run's numbers are those of its own results.json, to the bit.
    for (k, r) in [a, b].iter().enumerate() {
        assert_eq!(
            both["runs"][k]["conductivity"], r["transport"]["conductivity"],
            "run {k}"
        );
    }
    let s: Vec<f64> = (0..2)
        .map(|k| est(&both["runs"][k]["conductivity"]["conductivity"]["s_cm"]).0)
        .collect();
    let (mean, stderr) = est(&both["combined"]["conductivity_S_cm"]);
    assert!((mean - 0.5 * (s[0] + s[1])).abs() < 1e-12 * mean);
    assert!(
        (stderr - 0.5 * (s[0] - s[1]).abs()).abs() < 1e-9 * mean,
        "{stderr}"
    );
    assert_eq!(both["combined"]["replicas"], 2);

    // Another fit window is applied.
    let (ok, err) = analyze(&[
        "a",
        "--fit-start-ps",
        "1.0",
        "--fit-end-ps",
        "4.0",
        "-o",
        "w.json",
    ]);
    assert!(ok, "{err}");
    let w: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("w.json")).unwrap()).unwrap();
    let window = &w["runs"][0]["conductivity"]["species"][0]["window"];
    assert_eq!(
        (window["start_ps"].as_f64(), window["end_ps"].as_f64()),
        (Some(1.0), Some(4.0)),
        "{window}"
    );

    // Refusals name the file or the charge.
    let (ok, err) = analyze(&["a", "--charges", "A=2,B=-2"]);
    assert!(!ok && err.contains("transport charge +1 for A"), "{err}");
    let (ok, err) = analyze(&["nowhere"]);
    assert!(!ok && err.contains("conductivity_data.json"), "{err}");
}
