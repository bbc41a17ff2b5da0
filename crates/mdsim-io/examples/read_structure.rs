//! Prints the structure mdsim reads from a file, as JSON, for comparisons with other readers
//! (tests/ase/compare_ase.py compares it with ASE).
//!
//! ```text
//! cargo run --release -p mdsim-io --example read_structure -- FILE [--frame K]
//! ```
//!
//! The species become a force field of their own (mass: ASE's standard mass of the element,
//! or 1 amu; charge 0), so every name in the file is known. Output: `cell` (rows a, b, c, Å),
//! `species`, `positions` (Å, as in the file), `velocities` (Å/ps, as mdsim starts from),
//! `masses` and `charges` (the file's columns, if any), `frame`, `frames` and `warnings`.

use mdsim_core::Species;
use mdsim_io::input::StructureInput;
use mdsim_io::{elements, extxyz, structure};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: read_structure FILE [--frame K]");
        return ExitCode::from(2);
    };
    let frame = args
        .iter()
        .position(|a| a == "--frame")
        .and_then(|i| args.get(i + 1))
        .map(|k| k.parse::<i64>().expect("--frame takes an integer"));
    match read(Path::new(file), frame) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", json!({ "error": e }));
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path, frame: Option<i64>) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = extxyz::decode(&bytes).map_err(|e| e.to_string())?;
    let parsed = extxyz::read_frame(&text, frame).map_err(|e| e.to_string())?;
    let names = parsed.species().map_err(|e| e.to_string())?;
    let mut species: Vec<Species> = Vec::new();
    for n in &names {
        if !species.iter().any(|s| &s.name == n) {
            let mass = elements::atomic_number(n).map_or(1.0, |z| elements::ASE_MASSES[z]);
            species.push(Species {
                name: n.clone(),
                mass,
                charge: 0.0,
            });
        }
    }
    let input = StructureInput::Xyz {
        file: path.display().to_string(),
        frame,
    };
    let built = structure::build(&input, 0, Path::new(""), &species, Path::new("example"))
        .map_err(|e| e.to_string())?;
    let s = &built.system;
    let column = |names: &[&str]| names.iter().find_map(|n| parsed.scalars(n).ok().flatten());
    let cell: Vec<[f64; 3]> = (0..3).map(|k| s.cell.vector(k)).collect();
    Ok(json!({
        "frame": parsed.index,
        "frames": parsed.count,
        "cell": cell,
        "species": names,
        "positions": s.positions,
        "velocities": s.velocities,
        "masses": column(&["masses", "mass"]),
        "charges": column(&["initial_charges", "charges", "charge", "q"]),
        "warnings": built.warnings,
    }))
}
