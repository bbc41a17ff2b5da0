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
    // The last good checkpoint: finite, from before the failure.
    let out_dir = dir.path().join("out");
    let setup = mdsim_io::load_run_folder(&out_dir).unwrap();
    let (cp, _) = mdsim_driver::checkpoint::load(&out_dir, &setup).unwrap();
    let failed_at: u64 = err
        .split("at step ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no step in {err}"));
    assert!(
        cp.header.step < failed_at,
        "{} vs {failed_at}",
        cp.header.step
    );
    let e = &cp.body.engine;
    assert!(e
        .positions
        .iter()
        .chain(&e.velocities)
        .flatten()
        .all(|x| x.is_finite()));
    assert!(!out_dir.join("final.xyz").exists());
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

/// A small γ-Li3PO4-type ionic input (1×2×2 cells) with an inline Buckingham force field.
fn ionic_input() -> String {
    r#"(
    seed: 3,
    structure: Crystal((
        cell: (10.4612, 6.1113, 4.9208, 90.0, 90.0, 90.0),
        symmetry: ["x, y, z", "-x, -y, -z", "-x+1/2, -y, z+1/2", "x+1/2, y, -z+1/2",
                   "x+1/2, -y+1/2, -z+1/2", "-x+1/2, y+1/2, z+1/2", "-x, y+1/2, -z", "x, -y+1/2, z"],
        sites: [
            (label: "Li1", species: "Li", at: (0.1627, 0.5016, 0.6992)),
            (label: "Li2", species: "Li", at: (0.4246, 0.7500, 0.7955)),
            (label: "P1", species: "P", at: (0.4115, 0.2500, 0.6921)),
            (label: "O1", species: "O", at: (0.3418, 0.0441, 0.7946)),
            (label: "O2", species: "O", at: (0.0503, 0.2500, 0.7072)),
            (label: "O3", species: "O", at: (0.0896, 0.7500, 0.8777)),
        ],
        repeat: (1, 2, 2),
        SUBSTITUTE
    )),
    potential: Inline((
        species: [(name: "Li", mass: 6.941, charge: 0.6), (name: "P", mass: 30.973762, charge: 3.0),
                  (name: "Si", mass: 28.0855, charge: 2.4), (name: "O", mass: 15.9994, charge: -1.2)],
        pairs: [
            (between: ("Li", "O"), terms: [Buckingham(a: 41051.938, rho: 0.151160, c: 0.0)], cutoff: 4.0),
            (between: ("P", "O"), terms: [Buckingham(a: 26655.472, rho: 0.181968, c: 86.856)], cutoff: 4.0),
            (between: ("Si", "O"), terms: [Buckingham(a: 13702.905, rho: 0.193817, c: 54.681)], cutoff: 4.0),
            (between: ("O", "O"), terms: [Buckingham(a: 2029.2204, rho: 0.343640, c: 192.580)], cutoff: 4.0),
        ],
        coulomb_only: [("Li", "Li"), ("Li", "P"), ("Li", "Si"), ("P", "P"), ("P", "Si"), ("Si", "Si")],
    )),
    timestep_ps: 0.001,
    stages: [(ensemble: Nve, duration_ps: 0.01)],
)"#
    .replace("SUBSTITUTE", "")
}

#[test]
fn valid_ionic_input_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "ok.ron", &ionic_input());
    let out = run(&["check"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn unknown_potential_term_is_named() {
    let text = ionic_input().replace("Buckingham(a: 41051.938", "Buckinghm(a: 41051.938");
    assert_rejected(&text, &["bad.ron:", "Buckinghm"]);
}

#[test]
fn pair_missing_from_pairs_and_coulomb_only() {
    let text = ionic_input().replace(r#"("P", "Si"), "#, "");
    assert_rejected(&text, &["potential.pairs", "(P, Si)", "coulomb_only"]);
}

#[test]
fn non_neutral_cell_gives_the_net_charge() {
    // Li at +0.7 instead of +0.6: 48 Li make the 128-atom cell +4.8 e.
    let text = ionic_input().replace("mass: 6.941, charge: 0.6", "mass: 6.941, charge: 0.7");
    assert_rejected(&text, &["structure", "not charge neutral", "4.8"]);
}

#[test]
fn impossible_substitution_count() {
    // 16 P in 1×2×2 cells: 20 cannot become Si.
    let text = ionic_input().replace(
        "repeat: (1, 2, 2),",
        r#"repeat: (1, 2, 2), substitute: [(site: "P1", species: "Si", count: 20)],"#,
    );
    assert_rejected(&text, &["structure.substitute[0].count", "20", "16"]);
}

#[test]
fn interstitials_that_cannot_be_placed() {
    // One Li per Si, but the only candidate site (Li4) clashes with a regular Li2.
    let text = ionic_input().replace(
        "repeat: (1, 2, 2),",
        r#"repeat: (1, 2, 2),
        substitute: [(site: "P1", species: "Si", count: 4)],
        interstitials: [(compensates: 0, species: "Li", sites: [(label: "Li4", at: (0.6143, 0.25, 0.3652))],
                         min_distance: {"Li": 1.6, "O": 1.7, "P": 2.5, "Si": 2.5})],"#,
    );
    assert_rejected(&text, &["structure.interstitials[0]", "placed only 0 of 4"]);
}
