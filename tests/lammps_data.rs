//! LAMMPS data files written by LAMMPS `write_data` (atom styles atomic, charge and full;
//! orthogonal and triclinic boxes), read by mdsim and checked against what LAMMPS computed
//! from the same atoms: the LJ potential energy (`mdsim energy`) and the kinetic energy of
//! the file's velocities (metal units). The fixtures and the LAMMPS values come from
//! crates/mdsim-io/tests/fixtures/lammps/make_fixtures.sh.

#[path = "support/cli.rs"]
mod cli;

use cli::*;
use mdsim_core::units::AMU_A2_PS2_TO_EV;
use mdsim_core::Species;
use mdsim_io::input::StructureInput;
use mdsim_io::structure;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    root().join("crates/mdsim-io/tests/fixtures/lammps")
}

/// The LJ parameters of make_fixtures.sh, as an mdsim force field (no charges).
fn force_field(name: &str) -> (&'static str, &'static str) {
    if name.starts_with("ar") {
        (
            r#"["Ar"]"#,
            r#"species: [(name: "Ar", mass: 39.95)],
        pairs: [(between: ("Ar", "Ar"), terms: [LennardJones(epsilon: 0.0103408, sigma: 3.4)], cutoff: 5.0)],"#,
        )
    } else {
        (
            r#"["Li", "O"]"#,
            r#"species: [(name: "Li", mass: 6.941), (name: "O", mass: 15.9994)],
        pairs: [
            (between: ("Li", "Li"), terms: [LennardJones(epsilon: 0.01, sigma: 2.0)], cutoff: 5.0),
            (between: ("Li", "O"), terms: [LennardJones(epsilon: 0.02, sigma: 2.2)], cutoff: 5.0),
            (between: ("O", "O"), terms: [LennardJones(epsilon: 0.03, sigma: 2.9)], cutoff: 5.0),
        ],"#,
        )
    }
}

fn input(structure: &str, ff: &str) -> String {
    format!(
        "(\n    seed: 1,\n    structure: {structure},\n    potential: Inline((\n        {ff}\n    )),\n    timestep_ps: 0.001,\n    stages: [(ensemble: Nve, duration_ps: 0.01)],\n)\n"
    )
}

fn data_structure(file: &Path, types: &str) -> String {
    format!(
        "LammpsData(file: {:?}, types: {types})",
        file.display().to_string()
    )
}

fn json_number(text: &str, key: &str) -> f64 {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    v[key].as_f64().unwrap()
}

#[test]
fn energies_match_lammps() {
    for name in ["ar-atomic", "lio-charge-triclinic", "lio-full"] {
        let reference = std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap();
        let file = fixtures().join(format!("{name}.data"));
        let (types, ff) = force_field(name);
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "in.ron",
            &input(&data_structure(&file, types), ff),
        );
        let out = mdsim()
            .args(["energy", "in.ron", "-o", "out"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        let pe: f64 = text
            .lines()
            .find(|l| l.trim_start().starts_with("potential total"))
            .and_then(|l| l.split_whitespace().nth(2))
            .unwrap()
            .parse()
            .unwrap();
        let lammps_pe = json_number(&reference, "pe");
        assert!(
            (pe - lammps_pe).abs() < 1e-9 * lammps_pe.abs().max(1.0),
            "{name}: mdsim {pe} eV, LAMMPS {lammps_pe} eV"
        );
        // The file's velocities, read as metal units (Å/ps), give LAMMPS' kinetic energy
        // (to the 1e-7 by which LAMMPS' mvv2e = 1.0364269e-4 differs from CODATA 2018).
        let ff_species: Vec<Species> = if name.starts_with("ar") {
            vec![Species {
                name: "Ar".into(),
                mass: 39.95,
                charge: 0.0,
            }]
        } else {
            vec![
                Species {
                    name: "Li".into(),
                    mass: 6.941,
                    charge: 0.0,
                },
                Species {
                    name: "O".into(),
                    mass: 15.9994,
                    charge: 0.0,
                },
            ]
        };
        let built = structure::build(
            &StructureInput::LammpsData {
                file: file.display().to_string(),
                atom_style: None,
                types: ff_species.iter().map(|s| s.name.clone()).collect(),
            },
            1,
            Path::new(""),
            &ff_species,
            &path,
        )
        .unwrap();
        let s = &built.system;
        let ke: f64 = s
            .velocities
            .iter()
            .zip(&s.masses)
            .map(|(v, m)| 0.5 * m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
            .sum::<f64>()
            * AMU_A2_PS2_TO_EV;
        let lammps_ke = json_number(&reference, "ke");
        assert!(
            (ke / lammps_ke - 1.0).abs() < 1e-6,
            "{name}: mdsim {ke} eV, LAMMPS {lammps_ke} eV"
        );
        // What the file holds that mdsim does not use is named.
        let w = built.warnings.join("\n");
        assert!(w.contains("does not say its units"), "{name}: {w}");
        assert!(w.contains("Pair Coeffs"), "{name}: {w}");
        if name.starts_with("lio") {
            assert!(
                w.contains("the Li atoms have 0.6 e in the file but 0 e"),
                "{name}: {w}"
            );
        }
    }
}

/// Runs `mdsim check` on an input whose structure is a data file made from `edit` of a
/// fixture, and returns the error message.
fn refused(fixture: &str, edit: impl Fn(&str) -> String, structure_args: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixtures().join(fixture)).unwrap();
    write(dir.path(), "bad.data", &edit(&text));
    let (_, ff) = force_field(fixture);
    let structure = format!("LammpsData(file: \"bad.data\"{structure_args})");
    let input = write(dir.path(), "in.ron", &input(&structure, ff));
    let out = run(&["check"], &input, dir.path());
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {structure}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn bad_data_files_name_the_file_and_the_line() {
    let types = r#", types: ["Li", "O"]"#;
    // No `# charge` hint and no atom_style: refused; with atom_style: read.
    let strip = |t: &str| t.replace("Atoms # charge", "Atoms");
    let e = refused("lio-charge-triclinic.data", strip, types);
    assert!(e.contains("bad.data:1:") && e.contains("atom_style"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixtures().join("lio-charge-triclinic.data")).unwrap();
    write(dir.path(), "ok.data", &strip(&text));
    let (_, ff) = force_field("lio");
    let ok = input(
        r#"LammpsData(file: "ok.data", atom_style: "charge", types: ["Li", "O"])"#,
        ff,
    );
    let out = run(&["check"], &write(dir.path(), "in.ron", &ok), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));

    let e = refused(
        "lio-charge-triclinic.data",
        |t| t.replace("Atoms # charge", "Atoms # sphere"),
        types,
    );
    assert!(
        e.contains("bad.data:1:") && e.contains("`sphere` is not supported"),
        "{e}"
    );
    // A short Atoms line: its line number and what was found.
    let e = refused(
        "lio-charge-triclinic.data",
        |t| t.replacen("2 2 -1.2 2.2 2.7", "2 2 2.2 2.7", 1),
        types,
    );
    assert!(e.contains("bad.data:") && e.contains("found 8"), "{e}");
    // Types: one name per type, each a species of the force field.
    let e = refused(
        "lio-charge-triclinic.data",
        |t| t.to_string(),
        r#", types: ["Li"]"#,
    );
    assert!(
        e.contains("structure.types") && e.contains("2 atom types"),
        "{e}"
    );
    let e = refused(
        "lio-charge-triclinic.data",
        |t| t.to_string(),
        r#", types: ["Li", "Ox"]"#,
    );
    assert!(
        e.contains("bad.data:") && e.contains("`Ox`") && e.contains("atom type 2"),
        "{e}"
    );
    // No names at all: the message suggests them from the masses.
    let e = refused("lio-charge-triclinic.data", |t| t.to_string(), "");
    assert!(e.contains("types: [") && e.contains("6.941, Li?"), "{e}");
    // Units other than metal/real are refused.
    let e = refused(
        "lio-charge-triclinic.data",
        |t| t.replacen("timestep = 0", "timestep = 0, units = lj", 1),
        types,
    );
    assert!(e.contains("bad.data:1:") && e.contains("units `lj`"), "{e}");
}

/// `units = real` (Å/fs) velocities are converted to Å/ps; `units = metal` ones are taken
/// as they are, without the warning about unknown units.
#[test]
fn velocity_units_follow_the_file() {
    let text = std::fs::read_to_string(fixtures().join("ar-atomic.data")).unwrap();
    let species = vec![Species {
        name: "Ar".into(),
        mass: 39.95,
        charge: 0.0,
    }];
    let dir = tempfile::tempdir().unwrap();
    let velocities = |units: &str| {
        let edited = text.replacen("timestep = 0", &format!("timestep = 0, units = {units}"), 1);
        let path = write(dir.path(), "x.data", &edited);
        let built = structure::build(
            &StructureInput::LammpsData {
                file: path.display().to_string(),
                atom_style: None,
                types: vec!["Ar".into()],
            },
            1,
            Path::new(""),
            &species,
            Path::new("in.ron"),
        )
        .unwrap();
        assert!(
            !built
                .warnings
                .iter()
                .any(|w| w.contains("does not say its units")),
            "{:?}",
            built.warnings
        );
        built.system.velocities
    };
    let metal = velocities("metal");
    let real = velocities("real");
    assert!(metal.iter().flatten().any(|&v| v != 0.0));
    for (m, r) in metal.iter().flatten().zip(real.iter().flatten()) {
        assert_eq!(*r, 1000.0 * m);
    }
}
