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

/// Runs `mdsim check` with `structure` reading `file` (written with `text`) and returns the
/// one-paragraph error, which must name the file.
fn refused(file: &str, text: &str, structure: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), file, text);
    let input =
        small_input(structure, "0.005", ALL_PAIRS).replace("initial_temperature: 94.4,", "");
    let input = write(dir.path(), "in.ron", &input);
    let out = run(&["check"], &input, dir.path());
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {text}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(file),
        "the message does not name {file}: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "not one paragraph: {err}");
    err
}

/// 32 Ar atoms (fcc, a = 5.7964 Å, 2×2×2) as extended XYZ, comment line `comment`, each atom
/// line followed by `extra`.
fn argon_xyz(comment: &str, extra: &str) -> String {
    let a = 5.7964;
    let mut s = format!("32\n{comment}\n");
    for (i, j, k) in (0..2).flat_map(|i| (0..2).flat_map(move |j| (0..2).map(move |k| (i, j, k)))) {
        for b in [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ] {
            let x = [
                (i as f64 + b[0]) * a,
                (j as f64 + b[1]) * a,
                (k as f64 + b[2]) * a,
            ];
            s += &format!("Ar {} {} {}{extra}\n", x[0], x[1], x[2]);
        }
    }
    s
}

const XYZ: &str = r#"Xyz(file: "a.xyz")"#;
const LATTICE_LINE: &str = r#"Lattice="11.5928 0 0 0 11.5928 0 0 0 11.5928""#;

#[test]
fn bad_extxyz_files_name_the_line_and_show_what_was_found() {
    let e = refused(
        "a.xyz",
        &argon_xyz("Properties=species:S:1:pos:R:3", ""),
        XYZ,
    );
    assert!(
        e.contains("a.xyz:2:1: no Lattice=") && e.contains("Properties"),
        "{e}"
    );
    let e = refused(
        "a.xyz",
        &argon_xyz("Lattice=\"11.5928 0 0 0 11.5928 0 0 0\"", ""),
        XYZ,
    );
    assert!(
        e.contains("a.xyz:2:1:") && e.contains("found 8 numbers"),
        "{e}"
    );
    let e = refused(
        "a.xyz",
        &argon_xyz("Lattice={11.5928 0 0 0 x 0 0 0 1}", ""),
        XYZ,
    );
    assert!(
        e.contains("Lattice={11.5928 0 0 0 x 0 0 0 1}: not a list of numbers"),
        "{e}"
    );
    let e = refused(
        "a.xyz",
        &argon_xyz(&format!("{LATTICE_LINE} pbc=\"T F T\""), ""),
        XYZ,
    );
    assert!(
        e.contains("a.xyz:2:1:") && e.contains("not periodic along b"),
        "{e}"
    );
    let e = refused("a.xyz", &argon_xyz(LATTICE_LINE, " 7"), XYZ);
    assert!(
        e.contains("a.xyz:3:1: expected 4 columns") && e.contains("found 5"),
        "{e}"
    );
    let text = argon_xyz(LATTICE_LINE, "").replacen("Ar 5.7964", "Xe 5.7964", 1);
    let e = refused("a.xyz", &text, XYZ);
    assert!(
        e.contains("unknown species `Xe`") && e.contains("a.xyz:19:1:"),
        "{e}"
    );
    let text = argon_xyz(LATTICE_LINE, "").replacen("Ar 0 0 0", "ar 0 0 0", 1);
    let e = refused("a.xyz", &text, XYZ);
    assert!(
        e.contains("a.xyz:3:1:") && e.contains("did you mean `Ar`"),
        "{e}"
    );
    let props = format!("{LATTICE_LINE} Properties=species:S:1:pos:R:3:velo:R:3:momenta:R:3");
    let e = refused("a.xyz", &argon_xyz(&props, " 0 0 0 0 0 0"), XYZ);
    assert!(e.contains("both `velo` and `momenta`"), "{e}");
    let e = refused(
        "a.xyz",
        &argon_xyz(LATTICE_LINE, ""),
        r#"Xyz(file: "a.xyz", frame: 1)"#,
    );
    assert!(
        e.contains("frame 1 does not exist") && e.contains("1 frame"),
        "{e}"
    );
    let e = refused("a.xyz", &format!("0\n{LATTICE_LINE}\n"), XYZ);
    assert!(e.contains("a.xyz:1:1:") && e.contains("0 atoms"), "{e}");
    let e = refused("a.xyz", "100000000000000\n\n", XYZ);
    assert!(
        e.contains("a.xyz:") && e.contains("ends after 0 of the"),
        "{e}"
    );
    let e = refused("a.xyz", &argon_xyz(LATTICE_LINE, "")[..200], XYZ);
    assert!(e.contains("of the 32 atoms announced on line 1"), "{e}");
}

#[test]
fn bad_cifs_name_the_line() {
    let cif = std::fs::read_to_string(
        root().join("crates/mdsim-io/tests/fixtures/cif/li3po4-icsd-style.cif"),
    )
    .unwrap();
    let structure = r#"Cif((file: "x.cif", repeat: (2, 2, 2)))"#;
    let e = refused("x.cif", &cif.replace("0.1627(3)", "0.16.27"), structure);
    assert!(
        e.contains("x.cif:") && e.contains("`0.16.27` is not a number"),
        "{e}"
    );
    let e = refused(
        "x.cif",
        &cif.replace("_cell_length_c 4.9208(2)\n", ""),
        structure,
    );
    assert!(
        e.contains("x.cif:2:1:") && e.contains("_cell_length_c"),
        "{e}"
    );
    // The force field (Ar, Kr) has no Li: the site and its line are named.
    let e = refused("x.cif", &cif, structure);
    assert!(
        e.contains("x.cif:") && e.contains("`Li`") && e.contains("site `Li1`"),
        "{e}"
    );
    let partial = cif.replace("1.  \nLi2", "0.75\nLi2");
    let e = refused("x.cif", &partial, structure);
    assert!(e.contains("Li1") && e.contains("occupancy 0.75"), "{e}");
}

/// Velocities of a file that the run replaces are named in a warning.
#[test]
fn replaced_file_velocities_are_named() {
    let dir = root().join("tests/data/ase-momenta");
    let text = std::fs::read_to_string(dir.join("nve-from-file-velocities.ron")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for f in ["ase-momenta.xyz", "argon-lj.ron"] {
        std::fs::copy(dir.join(f), tmp.path().join(f)).unwrap();
    }
    let text = text.replace(
        "timestep_ps:",
        "initial_temperature: 50.0,\n    timestep_ps:",
    );
    let input = write(tmp.path(), "in.ron", &text);
    let out = run(&["check"], &input, tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "the file's velocities are not used: initial_temperature draws new ones at 50 K"
        ),
        "{err}"
    );
}
