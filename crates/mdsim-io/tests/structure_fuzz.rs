//! Random edits of the structure-file fixtures (extended XYZ, CIF, LAMMPS data) through the
//! whole structure loading: every edit is read or refused with an error, never a panic.
//! Seeded (ChaCha20), so a failure is reproducible; a few thousand edits, well under a second.

use mdsim_core::Species;
use mdsim_io::cif::CifInput;
use mdsim_io::input::StructureInput;
use mdsim_io::structure;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::path::Path;

const EDITS_PER_FILE: usize = 150;

/// Makes the `structure` input for a file.
type MakeInput = fn(String) -> StructureInput;

/// Characters that matter to the parsers, plus some that do not.
const ALPHABET: &[&str] = &[
    " ", "\t", "\n", "\r", "\"", "'", "=", "{", "}", "[", "]", ",", ":", ";", "#", "(", ")", "-",
    "+", ".", "e", "D", "0", "1", "9", "T", "F", "_", "x", "€", "Li", "loop_", "data_", "Atoms",
    "1e308", "1e999", "nan", "-0",
];

fn mutate(text: &str, rng: &mut ChaCha20Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.random_range(0..4) {
        if chars.is_empty() {
            break;
        }
        let at = rng.random_range(0..chars.len());
        match rng.random_range(0..5) {
            0 => {
                chars.remove(at);
            }
            1 => {
                let s = ALPHABET[rng.random_range(0..ALPHABET.len())];
                for (k, c) in s.chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            2 => {
                // Drop the rest of a line.
                let end = (at..chars.len())
                    .find(|&k| chars[k] == '\n')
                    .unwrap_or(chars.len());
                chars.drain(at..end);
            }
            3 => {
                // Duplicate a stretch.
                let end = (at + rng.random_range(1..40)).min(chars.len());
                let piece: Vec<char> = chars[at..end].to_vec();
                for (k, c) in piece.into_iter().enumerate() {
                    chars.insert(end + k, c);
                }
            }
            _ => {
                if chars[at].is_ascii_digit() {
                    chars[at] = char::from(b'0' + rng.random_range(0..10u8));
                } else {
                    chars.truncate(at);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn species() -> Vec<Species> {
    ["Ar", "Li", "O", "P", "Si", "Zn"]
        .iter()
        .map(|n| Species {
            name: n.to_string(),
            mass: 10.0,
            charge: 0.0,
        })
        .collect()
}

#[test]
fn random_edits_are_read_or_refused_never_a_panic() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let cases: Vec<(&str, MakeInput)> = vec![
        ("extxyz/ase-momenta.xyz", |f| StructureInput::Xyz {
            file: f,
            frame: None,
        }),
        ("extxyz/ase-three-frames.xyz", |f| StructureInput::Xyz {
            file: f,
            frame: Some(-2),
        }),
        ("extxyz/nested-brackets-triclinic.xyz", |f| {
            StructureInput::Xyz {
                file: f,
                frame: None,
            }
        }),
        ("extxyz/ase-masses-momenta.xyz", |f| StructureInput::Xyz {
            file: f,
            frame: None,
        }),
        ("cif/li3po4-icsd-style.cif", cif),
        ("cif/li3po4-pymatgen-symmetrized.cif", cif),
        ("cif/zno-rounded-thirds.cif", cif),
        ("lammps/lio-charge-triclinic.data", |f| {
            StructureInput::LammpsData {
                file: f,
                atom_style: None,
                types: vec!["Li".into(), "O".into()],
            }
        }),
    ];
    let mut read = 0;
    let mut refused = 0;
    for (fixture, input) in &cases {
        let text = std::fs::read_to_string(fixtures.join(fixture)).unwrap();
        for k in 0..EDITS_PER_FILE {
            let edited = mutate(&text, &mut rng);
            let path = dir.path().join("edited");
            std::fs::write(&path, &edited).unwrap();
            let s = input(path.display().to_string());
            let result = std::panic::catch_unwind(|| {
                structure::build(&s, 1, Path::new(""), &species(), Path::new("in.ron"))
            });
            match result {
                Ok(Ok(_)) => read += 1,
                Ok(Err(e)) => {
                    assert!(e.to_string().contains("edited") || e.to_string().contains("in.ron"));
                    refused += 1;
                }
                Err(_) => panic!("{fixture}, edit {k} panicked; the edited text:\n{edited}"),
            }
        }
    }
    println!("{read} edits read, {refused} refused");
    assert!(read > 0 && refused > 0);
}

fn cif(file: String) -> StructureInput {
    StructureInput::Cif(CifInput {
        file,
        species: BTreeMap::new(),
        repeat: (1, 1, 1),
        substitute: Vec::new(),
        interstitials: Vec::new(),
    })
}
