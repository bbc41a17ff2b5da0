//! CIFs written by pymatgen (as Materials Project serves them), ASE and in the style of ICSD,
//! read through the crystal builder and compared with what pymatgen's own parser made of the
//! same files (tests/fixtures/cif/make_fixtures.py writes both).

use mdsim_core::Species;
use mdsim_io::cif::CifInput;
use mdsim_io::crystal::{self, CrystalInput, SiteInput, SubstitutionInput};
use mdsim_io::input::StructureInput;
use mdsim_io::structure::{self, Built};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cif")
}

fn force_field() -> Vec<Species> {
    [
        ("Li", 6.941),
        ("P", 30.973762),
        ("Si", 28.0855),
        ("O", 15.9994),
        ("Zn", 65.38),
    ]
    .map(|(name, mass)| Species {
        name: name.into(),
        mass,
        charge: 0.0,
    })
    .to_vec()
}

fn cif_input(file: &str, repeat: (usize, usize, usize)) -> CifInput {
    CifInput {
        file: file.into(),
        species: BTreeMap::new(),
        repeat,
        substitute: Vec::new(),
        interstitials: Vec::new(),
    }
}

fn build(input: CifInput, seed: u64) -> Result<Built, String> {
    structure::build(
        &StructureInput::Cif(input),
        seed,
        &fixtures(),
        &force_field(),
        Path::new("input.ron"),
    )
    .map_err(|e| e.to_string())
}

fn same_fractional(a: [f64; 3], b: [f64; 3]) -> bool {
    (0..3).all(|k| {
        let d = (a[k] - b[k]).rem_euclid(1.0);
        d.min(1.0 - d) < 1e-9
    })
}

/// Every file expands to the atoms pymatgen finds in it: same species at the same fractional
/// positions, one to one, and the same cell parameters.
#[test]
fn cifs_expand_as_pymatgen_reads_them() {
    for name in [
        "li3po4-pymatgen-p1",
        "li3po4-pymatgen-symmetrized",
        "li3po4-icsd-style",
        "li3po4-ase",
        "monoclinic-p21c",
        "zno-rounded-thirds",
    ] {
        let reference: Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        let built = build(cif_input(&format!("{name}.cif"), (1, 1, 1)), 1)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "zno-rounded-thirds" {
            assert!(
                built.warnings[0].contains("4 fractional coordinate(s)"),
                "{:?}",
                built.warnings
            );
        } else {
            assert!(built.warnings.is_empty(), "{name}: {:?}", built.warnings);
        }
        let s = &built.system;
        let species: Vec<&str> = reference["species"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let fractional: Vec<[f64; 3]> = reference["fractional"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| [0, 1, 2].map(|k| r[k].as_f64().unwrap()))
            .collect();
        assert_eq!(s.n_atoms(), species.len(), "{name}");
        assert_eq!(
            reference["ase_atoms"].as_u64().unwrap() as usize,
            s.n_atoms()
        );
        let mut taken = vec![false; species.len()];
        for (i, x) in s.positions.iter().enumerate() {
            let f = s.cell.to_fractional(*x);
            let here = &s.species[s.types[i]].name;
            let j = (0..species.len())
                .find(|&j| !taken[j] && species[j] == here && same_fractional(f, fractional[j]))
                .unwrap_or_else(|| panic!("{name}: atom {i} ({here} at {f:?}) not in pymatgen's"));
            taken[j] = true;
        }
        let cell: Vec<f64> = reference["cell"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let v = [0, 1, 2].map(|k| s.cell.vector(k));
        let len = |a: [f64; 3]| (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
        let angle = |a: [f64; 3], b: [f64; 3]| {
            ((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (len(a) * len(b)))
                .acos()
                .to_degrees()
        };
        let mine = [
            len(v[0]),
            len(v[1]),
            len(v[2]),
            angle(v[1], v[2]),
            angle(v[0], v[2]),
            angle(v[0], v[1]),
        ];
        for k in 0..6 {
            assert!(
                (mine[k] - cell[k]).abs() < 1e-8,
                "{name}: cell {mine:?} vs {cell:?}"
            );
        }
    }
}

/// γ-Li3PO4 from the ICSD-style file is the structure of the inline `Crystal` with the same
/// sites (MATERIALS.md), atom for atom, with the same seeded substitution of P by Si.
#[test]
fn icsd_style_cif_is_the_inline_crystal() {
    let substitute = vec![SubstitutionInput {
        site: "P1".into(),
        species: "Si".into(),
        count: 3,
    }];
    let mut input = cif_input("li3po4-icsd-style.cif", (2, 1, 2));
    input.substitute = substitute.clone();
    let from_cif = build(input, 2015).unwrap().system;
    let sites = [
        ("Li1", "Li", (0.1627, 0.5016, 0.6992)),
        ("Li2", "Li", (0.4246, 0.7500, 0.7955)),
        ("P1", "P", (0.4115, 0.2500, 0.6921)),
        ("O1", "O", (0.3418, 0.0441, 0.7946)),
        ("O2", "O", (0.0503, 0.2500, 0.7072)),
        ("O3", "O", (0.0896, 0.7500, 0.8777)),
    ];
    let inline = CrystalInput {
        cell: (10.4612, 6.1113, 4.9208, 90.0, 90.0, 90.0),
        symmetry: [
            "x, y, z",
            "-x, -y, -z",
            "-x+1/2, -y, z+1/2",
            "x+1/2, y, -z+1/2",
            "x+1/2, -y+1/2, -z+1/2",
            "-x+1/2, y+1/2, z+1/2",
            "-x, y+1/2, -z",
            "x, -y+1/2, z",
        ]
        .map(String::from)
        .to_vec(),
        sites: sites
            .map(|(label, species, at)| SiteInput {
                label: label.into(),
                species: species.into(),
                at,
            })
            .to_vec(),
        repeat: (2, 1, 2),
        substitute,
        interstitials: Vec::new(),
    };
    let built = crystal::build(&inline, 2015).unwrap();
    assert_eq!(from_cif.n_atoms(), 4 * 32);
    assert_eq!(built.count_species("Si"), 3);
    let names: Vec<&str> = from_cif
        .types
        .iter()
        .map(|&t| from_cif.species[t].name.as_str())
        .collect();
    assert_eq!(names, built.species);
    assert_eq!(from_cif.positions, built.positions);
}

/// A unit cell of γ-Li3PO4 holds 12 Li + 4 P + 16 O whichever tool wrote the CIF.
#[test]
fn gamma_li3po4_has_12_li_4_p_16_o() {
    for file in [
        "li3po4-icsd-style.cif",
        "li3po4-pymatgen-symmetrized.cif",
        "li3po4-pymatgen-p1.cif",
        "li3po4-ase.cif",
    ] {
        let s = build(cif_input(file, (1, 1, 1)), 1).unwrap().system;
        let count = |n: &str| s.types.iter().filter(|&&t| s.species[t].name == n).count();
        assert_eq!((count("Li"), count("P"), count("O")), (12, 4, 16), "{file}");
    }
}

#[test]
fn partial_occupancy_is_refused_naming_the_site() {
    let e = build(cif_input("li3po4-partial.cif", (1, 1, 1)), 1).unwrap_err();
    assert!(e.contains("li3po4-partial.cif:33:"), "{e}");
    assert!(e.contains("Li0") && e.contains("occupancy 0.5"), "{e}");
}

#[test]
fn species_map_and_unknown_species() {
    // Without a map, `Li1+` is Li; a map can send a type symbol elsewhere.
    let mut input = cif_input("li3po4-icsd-style.cif", (1, 1, 1));
    input.species.insert("P5+".into(), "Si".into());
    input.species.insert("Xx".into(), "O".into());
    let built = build(input, 1).unwrap();
    let s = &built.system;
    assert_eq!(
        s.types
            .iter()
            .filter(|&&t| s.species[t].name == "Si")
            .count(),
        4
    );
    assert!(
        built.warnings.iter().any(|w| w.contains("`Xx`")),
        "{:?}",
        built.warnings
    );
    // A species the force field lacks names the file, the line and the site.
    let mut input = cif_input("li3po4-icsd-style.cif", (1, 1, 1));
    input.species.insert("O1".into(), "Oxygen".into());
    let e = build(input, 1).unwrap_err();
    assert!(
        e.contains("li3po4-icsd-style.cif:") && e.contains("`O1`"),
        "{e}"
    );
    assert!(e.contains("Oxygen"), "{e}");
}
