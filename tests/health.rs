//! A run that goes wrong stops whenever it goes wrong (issue 6; ../shared/cases/
//! collapse-between-thermo-steps and nvt-from-rest): the checks run at every step, not only
//! on thermo steps, the failure names the step and the pair or quantity, results.json says
//! `failed`, the exit code is non-zero; and a thermostat is never asked to heat a system at
//! rest.

#[path = "support/cli.rs"]
mod cli;

use cli::*;
use std::path::Path;

/// Si at the centre of a 12 Å box, one O 0.85 Å from it: inside the ~0.94 Å barrier of the
/// unrepaired Teter Si–O Buckingham term, so the pair falls into the catastrophe.
const SIO2: &str = "3\nLattice=\"12 0 0 0 12 0 0 0 12\" Properties=species:S:1:pos:R:3\n\
Si 6.00 6.00 6.00\nO  6.85 6.00 6.00\nO  2.00 2.50 3.00\n";

fn collapse_input(thermo_every: u64, safety: &str) -> String {
    format!(
        r#"(
    seed: 1,
    structure: Xyz(file: "sio2.xyz"),
    potential: Inline((
        species: [(name: "Si", mass: 28.0855, charge: 2.4), (name: "O", mass: 15.9994, charge: -1.2)],
        pairs: [
            (between: ("Si", "O"), terms: [Buckingham(a: 13702.905, rho: 0.193817, c: 54.681)], cutoff: 5.5),
            (between: ("O", "O"), terms: [Buckingham(a: 2029.2204, rho: 0.343640, c: 192.580)], cutoff: 5.5),
        ],
        coulomb_only: [("Si", "Si")],
    )),
    coulomb: (accuracy: 1e-6),
    timestep_ps: 0.001,
    stages: [(name: "nve", ensemble: Nve, duration_ps: 2.0)],
    output: (thermo_every: {thermo_every}),
    safety: ({safety}),
)"#
    )
}

/// Runs `text` and returns (exit ok, stderr, results.json status).
fn run_case(dir: &Path, name: &str, text: &str) -> (bool, String, String) {
    let input = write(dir, &format!("{name}.ron"), text);
    let out = run(&["run", "-o", name], &input, dir);
    let results = std::fs::read_to_string(dir.join(name).join("results.json")).unwrap_or_default();
    let status = serde_json::from_str::<serde_json::Value>(&results)
        .ok()
        .and_then(|v| v["status"].as_str().map(String::from))
        .unwrap_or_default();
    (out.status.success(), stderr(&out), status)
}

#[test]
fn a_collapse_stops_the_run_whatever_thermo_every_is() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sio2.xyz", SIO2);
    for every in [1, 7, 10, 1000] {
        let name = format!("every{every}");
        let (ok, err, status) = run_case(dir.path(), &name, &collapse_input(every, ""));
        assert!(!ok, "thermo_every {every}: the run should fail: {err}");
        assert!(status.starts_with("failed:"), "{status}");
        assert!(!err.contains("panicked"), "{err}");
        // It stops at the first step (the O starts inside the barrier), naming the pair.
        assert!(status.contains("at step 1 "), "{status}");
        assert!(
            status.contains("(Si)") && status.contains("(O)"),
            "{status}"
        );
    }
}

#[test]
fn a_pair_inside_its_hard_minimum_between_thermo_steps_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sio2.xyz", SIO2);
    // A hard minimum of 0.84 Å is crossed within the first steps, long before a thermo
    // step, and before the temperature runs away (a huge factor switches that check off).
    let text = collapse_input(1000, "min_distance: 0.84, max_temperature_factor: 1e30");
    let (ok, _, status) = run_case(dir.path(), "hard", &text);
    assert!(!ok);
    assert!(
        status.contains("atoms 0 (Si) and 1 (O)") && status.contains("hard minimum of 0.84"),
        "{status}"
    );
    let step: u64 = status
        .split("at step ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!((1..1000).contains(&step), "{status}");
}

#[test]
fn a_jump_of_the_conserved_energy_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // Argon with a far too long time step (60 fs): the integration breaks down within ~10 steps.
    let text = small_input(LATTICE, "0.06", ALL_PAIRS)
        .replace(
            "initial_temperature: 94.4",
            "initial_temperature: 300.0, output: (thermo_every: 5), \
             safety: (max_temperature_factor: 1e30)",
        )
        .replace("duration_ps: 0.5", "duration_ps: 40.0");
    let (ok, _, status) = run_case(dir.path(), "jump", &text);
    assert!(!ok);
    assert!(
        status.contains("conserved energy changed") && status.contains("k_B·T"),
        "{status}"
    );
}

#[test]
fn a_temperature_runaway_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // The same too-long time step, now caught by the temperature (the default factor 10
    // over the 300 K start), with a conserved-energy check too loose to fire first.
    let text = small_input(LATTICE, "0.06", ALL_PAIRS)
        .replace(
            "initial_temperature: 94.4",
            "initial_temperature: 300.0, safety: (max_energy_jump_kT: 1e30)",
        )
        .replace("duration_ps: 0.5", "duration_ps: 40.0");
    let (ok, _, status) = run_case(dir.path(), "hot", &text);
    assert!(!ok);
    assert!(
        status.contains("ran away")
            && status.contains("10 × the run's temperature scale of 300.0 K")
            && status.contains("the closest pair is atoms"),
        "{status}"
    );
}

#[test]
fn a_crystal_at_rest_cannot_be_thermostatted() {
    let dir = tempfile::tempdir().unwrap();
    // ../shared/cases/nvt-from-rest: a perfect lattice at rest in a Nosé–Hoover stage.
    let text = small_input(LATTICE, "0.005", ALL_PAIRS)
        .replace("initial_temperature: 94.4,", "")
        .replace(
            "(ensemble: Nve, duration_ps: 0.5, production: true)",
            "(ensemble: Nvt(temperature: 94.4, damping_ps: 0.1), duration_ps: 0.5, production: true)",
        );
    let input = write(dir.path(), "rest.ron", &text);
    let out = run(&["check"], &input, dir.path());
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("stages[0].ensemble") && err.contains("initial_temperature"),
        "{err}"
    );

    // At rest after an NVE stage (forces on a perfect lattice vanish): refused at that stage.
    let later = text.replace(
        "stages: [",
        "stages: [(name: \"still\", ensemble: Nve, duration_ps: 0.05), ",
    );
    let (ok, _, status) = run_case(dir.path(), "later", &later);
    assert!(!ok);
    assert!(
        status.contains("stage 2 starts with every atom at rest"),
        "{status}"
    );
}

#[test]
fn velocities_with_a_drift_are_made_stationary_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Two atoms moving together at 1 Å/ps plus opposite thermal parts.
    let xyz = "4\nLattice=\"20 0 0 0 20 0 0 0 20\" Properties=species:S:1:pos:R:3:velo:R:3\n\
Ar 1 1 1 1.5 0 0\nAr 6 1 1 0.5 0 0\nAr 1 6 1 1 0.5 0\nAr 1 1 6 1 -0.5 0\n";
    write(dir.path(), "drift.xyz", xyz);
    let text = small_input(r#"Xyz(file: "drift.xyz")"#, "0.005", ALL_PAIRS)
        .replace("initial_temperature: 94.4,", "")
        .replace("duration_ps: 0.5, production: true", "duration_ps: 0.05");
    let (ok, err, status) = run_case(dir.path(), "drift", &text);
    assert!(ok, "{err}");
    assert_eq!(status, "completed");
    assert!(
        err.contains("centre-of-mass velocity of 1.000e0 Å/ps"),
        "{err}"
    );
    let results = std::fs::read_to_string(dir.path().join("drift/results.json")).unwrap();
    assert!(results.contains("\"warnings\""), "{results}");
    // What is left: ½ m Σ v² with the drift removed, over 3N − 3 = 9 degrees of freedom.
    let thermo = std::fs::read_to_string(dir.path().join("drift/thermo.csv")).unwrap();
    let t0: f64 = thermo
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let ke = 0.5 * 39.95 * (0.25 + 0.25 + 0.25 + 0.25) / 9648.53321233;
    let expected = 2.0 * ke / (9.0 * 8.617333262e-5);
    assert!(
        (t0 - expected).abs() < 1e-5,
        "T(0) = {t0}, expected {expected}"
    );
}

#[test]
fn one_atom_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "one.xyz",
        "1\nLattice=\"20 0 0 0 20 0 0 0 20\"\nAr 1 1 1\n",
    );
    let text = small_input(r#"Xyz(file: "one.xyz")"#, "0.005", ALL_PAIRS);
    let input = write(dir.path(), "one.ron", &text);
    let out = run(&["check"], &input, dir.path());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("at least 2 atoms"),
        "{}",
        stderr(&out)
    );
}
