//! Cells written with large tilts are the same periodic lattice as a compact cell: mdsim reduces
//! them and gives the same numbers (tests/cases/skewed-cell, from ../shared/cases), and refuses
//! only a cell whose reduced width is too small, saying so with both widths.

#[path = "support/cli.rs"]
mod cli;

use cli::*;
use mdsim_core::Engine;
use std::path::{Path, PathBuf};

/// The right energy of the 500 argon atoms of the case (README of the case folder).
const CASE_ENERGY: f64 = -24.586508309751;
const L: f64 = 26.3;

fn case_dir() -> PathBuf {
    root().join("tests/cases/skewed-cell")
}

/// A copy of the case folder in a fresh temporary directory.
fn case_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(case_dir()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    dir
}

/// Potential energy of an input, in process (load, engine, energies), and its warnings.
fn energy(input: &Path) -> (f64, Vec<String>) {
    let setup = mdsim_io::load(input).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    (engine.energies().potential(), setup.warnings)
}

/// The atom lines of cubic.xyz (positions and velocities), unchanged in every variant.
fn atom_lines() -> Vec<String> {
    let text = std::fs::read_to_string(case_dir().join("cubic.xyz")).unwrap();
    text.lines().skip(2).map(String::from).collect()
}

/// The cube's lattice written as rows a', b', c' = Σ_i m[j][i]·e_i·L (integer rows).
fn lattice_text(m: [[i64; 3]; 3]) -> String {
    let v: Vec<String> = m
        .iter()
        .flat_map(|row| row.iter().map(|&k| format!("{:.10}", k as f64 * L)))
        .collect();
    v.join(" ")
}

/// Writes `name.xyz` (the case atoms in the lattice `m`) and `name.ron` (the case's NVE input
/// reading it) into `dir`; returns the input path.
fn variant(dir: &Path, name: &str, m: [[i64; 3]; 3]) -> PathBuf {
    let atoms = atom_lines();
    let xyz = format!(
        "{}\nLattice=\"{}\" Properties=species:S:1:pos:R:3:velo:R:3\n{}\n",
        atoms.len(),
        lattice_text(m),
        atoms.join("\n")
    );
    write(dir, &format!("{name}.xyz"), &xyz);
    let ron = std::fs::read_to_string(case_dir().join("nve-cubic.ron"))
        .unwrap()
        .replace("cubic.xyz", &format!("{name}.xyz"));
    write(dir, &format!("{name}.ron"), &ron)
}

#[test]
fn case_files_give_the_cubic_energy() {
    let dir = case_copy();
    for (name, tilted) in [
        ("nve-cubic.ron", false),
        ("nve-skewed.ron", true),
        ("nve-skewed2.ron", true),
    ] {
        let out = run(&["energy", "-o", "e"], &dir.path().join(name), dir.path());
        let err = stderr(&out);
        assert!(out.status.success(), "{name}: {err}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let e: f64 = stdout
            .lines()
            .find(|l| l.trim_start().starts_with("potential total"))
            .and_then(|l| l.split_whitespace().nth(2))
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!((e - CASE_ENERGY).abs() < 1e-8, "{name}: E = {e}");
        // The reduction is said, with the old and the new cell.
        assert_eq!(
            err.contains("compact, right-handed cell"),
            tilted,
            "{name}: {err}"
        );
        if tilted {
            assert!(
                err.contains("Lattice") && err.contains("(0, 0, 26.3)"),
                "{err}"
            );
        }
        std::fs::remove_dir_all(dir.path().join("e")).unwrap();
    }
}

/// Numbers of a CSV file (all fields that parse as numbers), in order.
fn csv_numbers(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .split([',', '\n'])
        .filter_map(|x| x.trim().parse().ok())
        .collect()
}

fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-10 * x.abs().max(y.abs()) + 1e-12,
            "{what}: {x} vs {y}"
        );
    }
}

#[test]
fn nve_runs_and_msd_agree_with_the_cubic_run() {
    let dir = case_copy();
    let mut runs = Vec::new();
    for name in ["nve-cubic", "nve-skewed", "nve-skewed2"] {
        // A trajectory too, to see which cell it shows.
        let text = std::fs::read_to_string(dir.path().join(format!("{name}.ron")))
            .unwrap()
            .replace(
                "output: (thermo_every: 10)",
                "output: (thermo_every: 10, trajectory_every: 50)",
            );
        let input = write(dir.path(), &format!("t-{name}.ron"), &text);
        let out = run(&["run", "-o", name], &input, dir.path());
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        runs.push(dir.path().join(name));
    }
    let cubic = &runs[0];
    for r in &runs[1..] {
        for file in ["thermo.csv", "msd.csv"] {
            assert_close(
                &csv_numbers(&cubic.join(file)),
                &csv_numbers(&r.join(file)),
                file,
            );
        }
        // Trajectory frames and the final structure hold the reduced (cubic) cell.
        let traj = std::fs::read_to_string(r.join("trajectory.xyz")).unwrap();
        let cube = "Lattice=\"26.3 0 0 0 26.3 0 0 0 26.3\"";
        assert_eq!(traj.lines().filter(|l| l.starts_with(cube)).count(), 3);
        assert_eq!(
            traj,
            std::fs::read_to_string(cubic.join("trajectory.xyz")).unwrap()
        );
        let last = std::fs::read_to_string(r.join("final.xyz")).unwrap();
        assert!(
            last.lines().nth(1).unwrap().starts_with(cube),
            "{last:.200}"
        );
        // results.json carries the reduction note.
        let results = std::fs::read_to_string(r.join("results.json")).unwrap();
        assert!(results.contains("compact, right-handed cell"));
    }
    // D from the skewed runs equals the cubic one.
    let d = |p: &PathBuf| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("results.json")).unwrap())
                .unwrap();
        // This short run may only bound D from above; either number must agree.
        let s = &v["transport"]["species"][0];
        s["diffusion_cm2_s"]["value"]
            .as_f64()
            .or_else(|| s["upper_bound_cm2_s"].as_f64())
            .unwrap_or_else(|| panic!("no D: {s}"))
    };
    assert_close(&[d(&runs[0])], &[d(&runs[1]), d(&runs[2])][..1], "D");
    assert_close(&[d(&runs[0])], &[d(&runs[2])], "D");
}

#[test]
fn other_tilts_and_left_handed_cells_give_the_same_energy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        case_dir().join("argon-lj.ron"),
        dir.path().join("argon-lj.ron"),
    )
    .unwrap();
    // Each row is a new lattice vector in units of L along x, y, z (det ±1).
    let variants: [(&str, [[i64; 3]; 3]); 7] = [
        ("cube", [[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
        ("negative-tilts", [[1, 0, 0], [-5, 1, 0], [7, -4, 1]]),
        ("all-tilted", [[1, 2, -1], [0, 1, 3], [0, 0, 1]]),
        ("left-handed", [[1, 0, 0], [0, 0, 1], [0, 1, 0]]),
        ("left-handed-tilted", [[3, 1, 0], [1, 0, 0], [0, -2, 1]]),
        // A triclinic cell (no right angle, no vector along an axis) that takes several
        // passes of the reduction: rows (3, 3, 2), (4, 3, 2), (7, 5, 3).
        (
            "triclinic-several-passes",
            [[3, 3, 2], [4, 3, 2], [7, 5, 3]],
        ),
        ("inverted", [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]),
    ];
    let (e_cube, w) = energy(&variant(dir.path(), "cube", variants[0].1));
    assert!(w.is_empty(), "{w:?}");
    assert!((e_cube - CASE_ENERGY).abs() < 1e-8);
    for (name, m) in &variants[1..] {
        let (e, warnings) = energy(&variant(dir.path(), name, *m));
        assert!((e - CASE_ENERGY).abs() < 1e-8, "{name}: E = {e}");
        // Every tilted or left-handed cell is reduced and said so.
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("compact, right-handed cell")),
            "{name}: {warnings:?}"
        );
        assert_eq!(
            warnings.iter().any(|w| w.contains("(left-handed)")),
            name.starts_with("left") || *name == "inverted",
            "{name}: {warnings:?}"
        );
    }
}

#[test]
fn unwrapped_positions_are_the_given_positions() {
    let setup = mdsim_io::load(&case_dir().join("nve-skewed2.ron")).unwrap();
    let s = &setup.system;
    let given: Vec<[f64; 3]> = atom_lines()
        .iter()
        .map(|l| {
            let c: Vec<f64> = l
                .split_whitespace()
                .skip(1)
                .map(|x| x.parse().unwrap())
                .collect();
            [c[0], c[1], c[2]]
        })
        .collect();
    for (i, x) in given.iter().enumerate() {
        let u = s.unwrapped(i);
        for k in 0..3 {
            assert!((u[k] - x[k]).abs() < 1e-12, "atom {i}: {u:?} vs {x:?}");
        }
        // Wrapped into the reduced cell.
        let f = s.cell.to_fractional(s.positions[i]);
        assert!(f.iter().all(|v| (0.0..1.0).contains(v)), "{f:?}");
    }
    assert_eq!(
        [0, 1, 2].map(|k| s.cell.vector(k)),
        [[L, 0.0, 0.0], [0.0, L, 0.0], [0.0, 0.0, L]]
    );
}

#[test]
fn a_cell_too_small_after_reduction_is_refused_with_both_widths() {
    let dir = case_copy();
    // Cutoff 14 Å: twice that exceeds even the reduced width of 26.3 Å.
    let ff = std::fs::read_to_string(dir.path().join("argon-lj.ron"))
        .unwrap()
        .replace("cutoff: 7.65", "cutoff: 14.0");
    write(dir.path(), "argon-lj.ron", &ff);
    let out = run(&["check"], &dir.path().join("nve-skewed.ron"), dir.path());
    let err = stderr(&out);
    assert!(!out.status.success());
    for part in [
        "too small",
        "narrowest width is 26.3000 Å",
        "as written, whose narrowest width is 18.5969 Å",
        "28.0000",
    ] {
        assert!(err.contains(part), "lacks `{part}`: {err}");
    }
    assert!(!err.contains("panicked"));
}

/// NaCl (rock salt, a = 5.64 Å, 3×3×3 conventional cells, 216 ions, Coulomb only) in the
/// lattice `m` (rows in units of the supercell edge).
fn nacl_input(dir: &Path, name: &str, m: [[i64; 3]; 3]) -> PathBuf {
    let a = 5.64;
    let n = 3;
    let edge = a * n as f64;
    let mut atoms = Vec::new();
    for i in 0..2 * n {
        for j in 0..2 * n {
            for k in 0..2 * n {
                let species = if (i + j + k) % 2 == 0 { "Na" } else { "Cl" };
                let x = [i, j, k].map(|c| c as f64 * a / 2.0);
                atoms.push(format!("{species} {} {} {}", x[0], x[1], x[2]));
            }
        }
    }
    let lattice: Vec<String> = m
        .iter()
        .flat_map(|r| r.iter().map(move |&c| format!("{}", c as f64 * edge)))
        .collect();
    let xyz = format!(
        "{}\nLattice=\"{}\" Properties=species:S:1:pos:R:3\n{}\n",
        atoms.len(),
        lattice.join(" "),
        atoms.join("\n")
    );
    write(dir, &format!("{name}.xyz"), &xyz);
    let ron = format!(
        r#"(
    seed: 1,
    structure: Xyz(file: "{name}.xyz"),
    potential: Inline((
        species: [(name: "Na", mass: 22.99, charge: 1.0), (name: "Cl", mass: 35.45, charge: -1.0)],
        pairs: [],
        coulomb_only: [("Na", "Na"), ("Na", "Cl"), ("Cl", "Cl")],
    )),
    coulomb: (accuracy: 1e-8),
    timestep_ps: 0.001,
    stages: [(ensemble: Nve, duration_ps: 0.01)],
)"#
    );
    write(dir, &format!("{name}.ron"), &ron)
}

#[test]
fn nacl_madelung_energy_in_a_tilted_cell() {
    // E = −N_pairs · M · k_e / r0, M = 1.747564594633 (rock salt, referred to r0 = a/2).
    let madelung = -108.0 * 1.747564594633182 * 14.3996454784 / 2.82;
    let dir = tempfile::tempdir().unwrap();
    let (compact, w) = energy(&nacl_input(
        dir.path(),
        "compact",
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    ));
    assert!(w.is_empty(), "{w:?}");
    assert!(
        (compact / madelung - 1.0).abs() < 1e-7,
        "{compact} vs {madelung}"
    );
    // Tilted: reduced to exactly the compact cell, so the same energy to round-off.
    let (tilted, _) = energy(&nacl_input(
        dir.path(),
        "tilted",
        [[1, 0, 0], [2, 1, 0], [-3, 1, 1]],
    ));
    assert!(
        (tilted - compact).abs() < 1e-12 * compact.abs(),
        "{tilted} vs {compact}"
    );
    // Left-handed with a along y: reduced to (y, x, −z), the same lattice with other axis
    // labels, whose Ewald sum (k-vector set, cutoffs) differs within its accuracy.
    let (left, _) = energy(&nacl_input(
        dir.path(),
        "left-handed",
        [[0, 1, 0], [1, 0, 0], [4, 0, 1]],
    ));
    assert!((left / madelung - 1.0).abs() < 1e-7, "{left} vs {madelung}");
    assert!(
        (left - compact).abs() < 1e-8 * compact.abs(),
        "{left} vs {compact}"
    );
}
