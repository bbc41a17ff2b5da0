//! Helpers for end-to-end tests of the `mdsim` command.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn mdsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdsim"))
}

/// The repository root (where `inputs/` and `potentials/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `text` as `name` in `dir` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn run(args: &[&str], input: &Path, cwd: &Path) -> Output {
    mdsim()
        .args(args)
        .arg(input)
        .current_dir(cwd)
        .output()
        .unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small, valid LJ input; `{STRUCTURE}`, `{DT}` and `{PAIRS}` may be replaced.
pub const SMALL_INPUT: &str = r#"(
    seed: 7,
    structure: {STRUCTURE},
    potential: Inline((
        species: [(name: "Ar", mass: 39.95), (name: "Kr", mass: 83.8)],
        pairs: [{PAIRS}],
    )),
    initial_temperature: 94.4,
    timestep_ps: {DT},
    stages: [(ensemble: Nve, duration_ps: 0.5, production: true)],
    transport: (sample_every: 1),
)"#;

pub const LATTICE: &str = r#"Lattice(kind: Fcc, a: 5.7964, repeat: (4, 4, 4), species: "Ar")"#;
pub const ALL_PAIRS: &str = r#"
        (between: ("Ar", "Ar"), terms: [LennardJones(epsilon: 0.0103408, sigma: 3.4)], cutoff: 8.5),
        (between: ("Ar", "Kr"), terms: [LennardJones(epsilon: 0.0120, sigma: 3.5)], cutoff: 8.5),
        (between: ("Kr", "Kr"), terms: [LennardJones(epsilon: 0.0140, sigma: 3.6)], cutoff: 8.5),
"#;

pub fn small_input(structure: &str, dt: &str, pairs: &str) -> String {
    SMALL_INPUT
        .replace("{STRUCTURE}", structure)
        .replace("{DT}", dt)
        .replace("{PAIRS}", pairs)
}
