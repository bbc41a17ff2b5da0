//! Structure files as users' tools write them (the cases of shared/cases, kept in
//! tests/data): extended XYZ in every notation the specification allows, and velocities
//! written by ASE as a `momenta` column.

#[path = "support/cli.rs"]
mod cli;

use cli::*;
use std::path::Path;

/// `mdsim energy` in `dir`: the total potential energy (eV) and the output.
fn energy(dir: &Path, input: &str) -> (f64, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = mdsim()
        .args(["energy", input, "-o"])
        .arg(out_dir.path())
        .current_dir(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{input}: {}", stderr(&out));
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("potential total"))
        .unwrap_or_else(|| panic!("no total in {text}"));
    let e = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    (e, text + &stderr(&out))
}

/// Both spellings read to the energy of the same 108 atoms (the value of the case's README).
#[test]
fn extxyz_variants_give_the_same_energy() {
    let dir = root().join("tests/data/extxyz-variants");
    for input in [
        "energy-a-spaces-around-equals.ron",
        "energy-c-curly-braces.ron",
    ] {
        let (e, text) = energy(&dir, input);
        assert!((e + 7.220937412301).abs() < 1e-9, "{input}: {e}\n{text}");
        assert!(!text.contains("warning"), "{input}: {text}");
    }
}

/// ASE's `momenta` column becomes the starting velocities, v = p/m in ASE's time unit:
/// T(0) = 95.28 K with 3N − 3 degrees of freedom (ASE itself reports 94.40 K with 3N).
#[test]
fn ase_momenta_start_the_run() {
    let dir = root().join("tests/data/ase-momenta");
    let out_dir = tempfile::tempdir().unwrap();
    let out = mdsim()
        .args(["run", "nve-from-file-velocities.ron", "-o"])
        .arg(out_dir.path())
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let thermo = std::fs::read_to_string(out_dir.path().join("thermo.csv")).unwrap();
    let first = thermo
        .lines()
        .find(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap();
    let t0: f64 = first.split(',').nth(2).unwrap().parse().unwrap();
    assert!((t0 - 95.28).abs() < 0.01, "T(0) = {t0}");
}
