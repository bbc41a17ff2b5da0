//! Extended XYZ files written by ASE or by hand (every notation of the specification), read
//! by mdsim and compared with what ASE 3.29 (or, for notations ASE does not read, the
//! libAtoms reference parser) read from the same file. The fixtures and the values come from
//! `tests/ase/compare_ase.py --write-fixtures`, so this test needs no Python.

use mdsim_core::Species;
use mdsim_io::input::StructureInput;
use mdsim_io::{elements, extxyz, structure};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extxyz")
}

/// Reads a file as `mdsim` does, with a force field made of the file's own species (ASE's
/// standard masses, no charges).
/// A file that cannot be read gets the error of `structure::build`, which names the file.
fn read(path: &Path) -> Result<structure::Built, String> {
    let text = extxyz::decode(&std::fs::read(path).unwrap()).unwrap();
    let names = extxyz::read_frame(&text, None)
        .and_then(|f| f.species())
        .unwrap_or_default();
    let mut species: Vec<Species> = Vec::new();
    for n in names {
        if !species.iter().any(|s| s.name == n) {
            let mass = elements::atomic_number(&n).map_or(1.0, |z| elements::ASE_MASSES[z]);
            species.push(Species {
                name: n,
                mass,
                charge: 0.0,
            });
        }
    }
    let input = StructureInput::Xyz {
        file: path.display().to_string(),
        frame: None,
    };
    structure::build(&input, 0, Path::new(""), &species, Path::new("test.ron"))
        .map_err(|e| e.to_string())
}

fn vectors(v: &Value) -> Vec<[f64; 3]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_array().unwrap();
            [0, 1, 2].map(|k| r[k].as_f64().unwrap())
        })
        .collect()
}

fn max_diff(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| (0..3).map(move |k| (x[k] - y[k]).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn every_variant_reads_as_ase_reads_it() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 40, "fixtures missing: {}", names.len());
    let mut read_count = 0;
    for json_path in names {
        let name = json_path.file_stem().unwrap().to_string_lossy().to_string();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        let result = read(&json_path.with_extension("xyz"));
        let expect = expected["expect"].as_str().unwrap();
        if expect != "read" {
            let e = result
                .err()
                .unwrap_or_else(|| panic!("{name}: accepted, but {expect}"));
            assert!(e.contains(&format!("{name}.xyz")), "{name}: {e}");
            continue;
        }
        let built = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = &built.system;
        let cell: Vec<[f64; 3]> = (0..3).map(|k| s.cell.vector(k)).collect();
        assert!(
            max_diff(&cell, &vectors(&expected["cell"])) < 1e-10,
            "{name}: cell"
        );
        assert!(
            max_diff(&s.positions, &vectors(&expected["positions"])) < 1e-10,
            "{name}: positions"
        );
        let species: Vec<&str> = s
            .types
            .iter()
            .map(|&t| s.species[t].name.as_str())
            .collect();
        let want: Vec<&str> = expected["species"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(species, want, "{name}: species");
        if let Some(v) = expected.get("velocities") {
            let want = vectors(v);
            let scale = want.iter().flatten().fold(1.0f64, |m, x| m.max(x.abs()));
            let d = max_diff(&s.velocities, &want);
            assert!(d < 1e-12 * scale, "{name}: velocities differ by {d}");
            assert!(scale > 1.0, "{name}: velocities are not exercised");
        } else {
            assert!(s.velocities.iter().flatten().all(|&x| x == 0.0), "{name}");
        }
        for w in expected["warns"].as_array().unwrap() {
            let w = w.as_str().unwrap();
            assert!(
                built.warnings.iter().any(|m| m.contains(w)),
                "{name}: no warning with `{w}` in {:?}",
                built.warnings
            );
        }
        if expected["warns"].as_array().unwrap().is_empty() && name != "ase-tags-magmoms" {
            assert!(built.warnings.is_empty(), "{name}: {:?}", built.warnings);
        }
        read_count += 1;
    }
    assert!(read_count >= 35, "only {read_count} variants read");
}
