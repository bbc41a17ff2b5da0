//! Every kind of bad input ends with a one-paragraph message naming the file and the line,
//! column or field, a non-zero exit code, and no panic.

#[path = "support/cli.rs"]
mod cli;

use cli::*;

/// Runs `mdsim check` and `mdsim run` on `text` and checks that both fail cleanly with a
/// message containing every one of `expected`.
fn assert_rejected(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "bad.ron", text);
    for cmd in [&["check"][..], &["run", "-o", "out"][..]] {
        let out = run(cmd, &input, dir.path());
        let err = stderr(&out);
        assert!(!out.status.success(), "{cmd:?} accepted a bad input");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "panic: {err}"
        );
        assert!(err.starts_with("error: "), "{err}");
        assert!(
            err.contains("bad.ron"),
            "message does not name the file: {err}"
        );
        for e in expected {
            assert!(err.contains(e), "message lacks `{e}`: {err}");
        }
        assert_eq!(err.trim().lines().count(), 1, "not one paragraph: {err}");
    }
    assert!(
        !dir.path().join("out").exists(),
        "a rejected input must not start a run"
    );
}

#[test]
fn valid_small_input_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "ok.ron",
        &small_input(LATTICE, "0.01", ALL_PAIRS),
    );
    let out = run(&["check"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn malformed_ron_names_line_and_column() {
    let text = small_input(LATTICE, "0.01", ALL_PAIRS).replace("seed: 7,", "seed: 7,,");
    // `seed: 7,,` is on line 2.
    assert_rejected(&text, &["bad.ron:2:"]);
}

#[test]
fn unknown_field_is_named() {
    let text = small_input(LATTICE, "0.01", ALL_PAIRS)
        .replace("seed: 7,", "seed: 7,\n    temprature: 300.0,");
    assert_rejected(&text, &["bad.ron:3:", "temprature"]);
}

#[test]
fn unknown_species_in_structure() {
    let structure = r#"Lattice(kind: Fcc, a: 5.7964, repeat: (4, 4, 4), species: "Xe")"#;
    assert_rejected(
        &small_input(structure, "0.01", ALL_PAIRS),
        &["structure.species", "Xe", "Ar, Kr"],
    );
}

#[test]
fn unknown_species_in_pair() {
    let pairs = ALL_PAIRS.replace(r#"("Kr", "Kr")"#, r#"("Kr", "Xe")"#);
    assert_rejected(
        &small_input(LATTICE, "0.01", &pairs),
        &["potential.pairs[2].between", "Xe"],
    );
}

#[test]
fn missing_pair_is_named() {
    let pairs: String = ALL_PAIRS
        .lines()
        .filter(|l| !l.contains(r#"("Ar", "Kr")"#))
        .collect::<Vec<_>>()
        .join("\n");
    assert_rejected(
        &small_input(LATTICE, "0.01", &pairs),
        &["potential.pairs", "(Ar, Kr)"],
    );
}

#[test]
fn box_too_small_for_cutoff() {
    let structure = r#"Lattice(kind: Fcc, a: 5.7964, repeat: (2, 4, 4), species: "Ar")"#;
    assert_rejected(
        &small_input(structure, "0.01", ALL_PAIRS),
        &["structure", "too small", "11.5928"],
    );
}

#[test]
fn overlapping_atoms_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut xyz =
        String::from("3\nLattice=\"20 0 0 0 20 0 0 0 20\" Properties=species:S:1:pos:R:3\n");
    xyz.push_str("Ar 0.1 1.0 1.0\nKr 10.0 10.0 10.0\nAr 19.9 1.1 1.0\n");
    write(dir.path(), "overlap.xyz", &xyz);
    let text = small_input(
        r#"Xyz(file: "overlap.xyz")"#,
        "0.01",
        &ALL_PAIRS.replace("8.5", "6.0"),
    );
    let input = write(dir.path(), "bad.ron", &text);
    let out = run(&["check"], &input, dir.path());
    let err = stderr(&out);
    assert!(!out.status.success());
    // Atoms 0 and 2 are 0.2236 Å apart through the periodic boundary.
    assert!(
        err.contains("atoms 0 (Ar) and 2 (Ar)") && err.contains("0.2236"),
        "{err}"
    );
}

#[test]
fn non_positive_time_step() {
    assert_rejected(
        &small_input(LATTICE, "0.0", ALL_PAIRS),
        &["timestep_ps", "positive"],
    );
    assert_rejected(
        &small_input(LATTICE, "-0.001", ALL_PAIRS),
        &["timestep_ps", "positive"],
    );
}

#[test]
fn absurd_time_step() {
    assert_rejected(
        &small_input(LATTICE, "2.0", ALL_PAIRS),
        &["timestep_ps", "not fs"],
    );
}

#[test]
fn bad_xyz_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let xyz = "2\nLattice=\"20 0 0 0 20 0 0 0 20\"\nAr 1 1 1\nAr 5 five 5\n";
    write(dir.path(), "s.xyz", xyz);
    let input = write(
        dir.path(),
        "in.ron",
        &small_input(
            r#"Xyz(file: "s.xyz")"#,
            "0.01",
            &ALL_PAIRS.replace("8.5", "6.0"),
        ),
    );
    let out = run(&["check"], &input, dir.path());
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("s.xyz:4:") && err.contains("five"), "{err}");
}

#[test]
fn missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["check"], &dir.path().join("nope.ron"), dir.path());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nope.ron: cannot read"));
}

#[test]
fn existing_output_folder_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "ok.ron",
        &small_input(LATTICE, "0.01", ALL_PAIRS),
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    write(&dir.path().join("out"), "precious.txt", "keep me");
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/precious.txt")).unwrap(),
        "keep me"
    );
}

/// A run that blows up stops with the step, writes its results with a failed status, keeps
/// the last good checkpoint and exits non-zero.
#[test]
fn blow_up_stops_cleanly_and_keeps_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let text = small_input(LATTICE, "0.05", ALL_PAIRS)
        .replace(
            "initial_temperature: 94.4",
            "initial_temperature: 20000.0, output: (thermo_every: 1, checkpoint_every: 2)",
        )
        .replace("duration_ps: 0.5", "duration_ps: 20.0");
    let input = write(dir.path(), "hot.ron", &text);
    let out = run(&["run", "-o", "out"], &input, dir.path());
    let err = stderr(&out);
    assert!(!out.status.success(), "the run should have failed: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("at step") && err.contains("last good checkpoint"),
        "{err}"
    );
    let results = std::fs::read_to_string(dir.path().join("out/results.json")).unwrap();
    assert!(results.contains("\"status\": \"failed:"), "{results}");
    let checkpoint = std::fs::read_to_string(dir.path().join("out/checkpoint.ron")).unwrap();
    assert!(checkpoint.starts_with("(step:"), "{checkpoint}");
    assert!(!checkpoint.contains("NaN") && !checkpoint.contains("inf"));
}

#[test]
fn pair_minimum_distance_is_checked_and_named() {
    // Nearest neighbours of this fcc lattice are 4.10 Å apart: fine by default, not for a
    // 4.2 Å Ar–Ar minimum.
    let text = small_input(LATTICE, "0.01", ALL_PAIRS).replace(
        "seed: 7,",
        "seed: 7,\n    safety: (min_distance: 0.5, pairs: [(between: (\"Ar\", \"Ar\"), min_distance: 4.2)]),",
    );
    assert_rejected(&text, &["structure", "Ar", "4.0987", "4.2 Å"]);
    let unknown = text.replace(
        r#"between: ("Ar", "Ar"), min_distance: 4.2"#,
        r#"between: ("Ar", "Ne"), min_distance: 1.0"#,
    );
    assert_rejected(&unknown, &["safety.pairs[0].between", "Ne"]);
    let too_far = text.replace("min_distance: 4.2", "min_distance: 9.0");
    assert_rejected(
        &too_far,
        &["safety.pairs[0].min_distance", "below the cutoff"],
    );
}
