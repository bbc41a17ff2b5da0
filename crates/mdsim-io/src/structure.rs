//! Structure loading: the `structure` section of an input (a built lattice, a crystal, an
//! extended XYZ file, a CIF, a LAMMPS data file) turned into a [`System`] with the force
//! field's species, plus warnings for what a file holds that mdsim does not use as written.
//!
//! The rule for files: a column or key that changes the physics (velocities in any form,
//! masses, charges, constraints) is either used or named in a warning, never dropped silently.

use crate::input::StructureInput;
use crate::setup::{known_names, species_index, InputError};
use crate::{cif, crystal, elements, extxyz, lammps_data, lattice};
use mdsim_core::units::{AMU_A2_PS2_TO_EV, ASE_TIME_UNIT_PS, BOLTZMANN_EV_K};
use mdsim_core::{Cell, Species, System};
use std::path::Path;

/// Masses (amu) of a file that differ from the force field's by more than this fraction are
/// named in a warning (ASE's standard masses, e.g. Li 6.94 against 6.941, are closer).
pub const MASS_TOLERANCE: f64 = 1e-3;

/// Charges (e) of a file that differ from the force field's by more than this are named in
/// a warning.
pub const CHARGE_TOLERANCE: f64 = 1e-6;

/// A built structure and the warnings about it.
#[derive(Clone, Debug)]
pub struct Built {
    pub system: System,
    /// One sentence each, naming the file and the column or key.
    pub warnings: Vec<String>,
    /// The cell vectors as a file wrote them, when they may differ from `system.cell` (a
    /// left-handed extended XYZ lattice is held as (a, b, −c)); for messages about the cell.
    pub written_cell: Option<[[f64; 3]; 3]>,
}

/// Builds the structure of an input. `dir` is the folder of the input file (file paths are
/// relative to it), `input_path` the input file (named in errors about its fields).
pub fn build(
    s: &StructureInput,
    seed: u64,
    dir: &Path,
    species: &[Species],
    input_path: &Path,
) -> Result<Built, InputError> {
    let file = s.source_file().map(|(name, _)| dir.join(name));
    build_from(s, seed, file.as_deref(), species, input_path)
}

/// [`build`] with the structure file the input names ([`StructureInput::source_file`])
/// already resolved to `file`.
pub fn build_from(
    s: &StructureInput,
    seed: u64,
    file: Option<&Path>,
    species: &[Species],
    input_path: &Path,
) -> Result<Built, InputError> {
    let here = |field: &str, message: String| InputError::Invalid {
        path: input_path.display().to_string(),
        field: field.to_string(),
        message,
    };
    let built = |system| Built {
        system,
        warnings: Vec::new(),
        written_cell: None,
    };
    let file =
        || file.ok_or_else(|| here("structure", "the structure file was not resolved".into()));
    match s {
        StructureInput::Lattice {
            kind,
            a,
            repeat,
            species: name,
        } => {
            let t = species_index(species, name).ok_or_else(|| {
                here(
                    "structure.species",
                    format!(
                        "unknown species `{name}`; the species defined are: {}",
                        known_names(species)
                    ),
                )
            })?;
            if !(*a > 0.0 && a.is_finite()) {
                return Err(here(
                    "structure.a",
                    format!("the lattice constant must be positive (Å), got {a}"),
                ));
            }
            if repeat.0 == 0 || repeat.1 == 0 || repeat.2 == 0 {
                return Err(here(
                    "structure.repeat",
                    "each repetition must be at least 1".into(),
                ));
            }
            let (l, positions) = lattice::cubic_lattice(*kind, *a, *repeat);
            let cell = Cell::orthorhombic(l[0], l[1], l[2])
                .map_err(|e| here("structure", e.to_string()))?;
            let types = vec![t; positions.len()];
            Ok(built(System::new(cell, species.to_vec(), types, positions)))
        }
        StructureInput::Crystal(c) => {
            let s = crystal::build(c, seed)
                .map_err(|e| here(&format!("structure.{}", e.field), e.message))?;
            Ok(built(crystal_system(s, species, |name| {
                here(
                    "structure",
                    format!("the crystal contains species `{name}`, which the force field does not define ({})", known_names(species)),
                )
            })?))
        }
        StructureInput::Xyz { frame, .. } => read_xyz(file()?, *frame, species),
        StructureInput::Cif(c) => read_cif(c, seed, file()?, species, input_path),
        StructureInput::LammpsData {
            atom_style, types, ..
        } => read_lammps_data(file()?, atom_style.as_deref(), types, species, input_path),
    }
}

/// A LAMMPS data file: types mapped to species, velocities converted to Å/ps, masses and
/// charges compared with the force field's.
fn read_lammps_data(
    path: &Path,
    atom_style: Option<&str>,
    types: &[String],
    species: &[Species],
    input_path: &Path,
) -> Result<Built, InputError> {
    let p = path.display();
    let text = extxyz::decode(&read_bytes(path)?).map_err(|e| syntax(path, e.line, e.message))?;
    let d = lammps_data::read(&text, atom_style).map_err(|e| syntax(path, e.line, e.message))?;
    let here = |message: String| InputError::Invalid {
        path: input_path.display().to_string(),
        field: "structure.types".into(),
        message,
    };
    if !types.is_empty() && types.len() != d.n_types {
        return Err(here(format!(
            "{} names given for the {} atom types of {p}; give one species per type, in type order",
            types.len(),
            d.n_types
        )));
    }
    // The species of each type: the input's list, the type labels, or the Masses comments.
    let mut type_species = Vec::with_capacity(d.n_types);
    for t in 0..d.n_types {
        let from_comment = d.masses[t]
            .as_ref()
            .and_then(|m| m.comment.as_deref())
            .and_then(|c| c.split_whitespace().next())
            .map(str::to_string);
        let name = types
            .get(t)
            .cloned()
            .or_else(|| d.type_labels[t].clone())
            .or(from_comment);
        let Some(name) = name else {
            let hints: Vec<String> = (0..d.n_types)
                .map(|k| match &d.masses[k] {
                    Some(m) => format!(
                        "type {} (mass {}{})",
                        k + 1,
                        m.mass,
                        element_by_mass(m.mass)
                            .map(|e| format!(", {e}?"))
                            .unwrap_or_default()
                    ),
                    None => format!("type {}", k + 1),
                })
                .collect();
            return Err(here(format!(
                "{p} does not name its atom types (no Atom Type Labels, no `# name` after the masses); give them in the input, e.g. types: [\"Li\", \"O\"] for {}",
                hints.join(", ")
            )));
        };
        let line = d.masses[t].as_ref().map_or(1, |m| m.line);
        type_species.push(file_species(
            species,
            &name,
            path,
            line,
            &format!("species (atom type {})", t + 1),
        )?);
    }
    if d.atoms.is_empty() {
        return Err(syntax(
            path,
            2,
            "the file has 0 atoms; there is nothing to simulate".into(),
        ));
    }
    let positions: Vec<[f64; 3]> = d.atoms.iter().map(|a| a.position).collect();
    let kinds: Vec<usize> = d.atoms.iter().map(|a| type_species[a.kind]).collect();
    let cell =
        Cell::new(d.lattice[0], d.lattice[1], d.lattice[2]).map_err(|e| InputError::Invalid {
            path: p.to_string(),
            field: "box".into(),
            message: e.to_string(),
        })?;
    let mut system = System::new(cell, species.to_vec(), kinds, positions);
    let mut warnings = Vec::new();
    if let Some(v) = &d.velocities {
        let factor = match d.units.as_deref() {
            Some("metal") => 1.0,
            Some("real") => 1000.0,
            None => {
                warnings.push(format!(
                    "{p}: the file does not say its units (write_data writes `units = metal` on the first line); its Velocities are read as metal units, Å/ps"
                ));
                1.0
            }
            Some(other) => {
                return Err(syntax(
                    path,
                    1,
                    format!("the file is in LAMMPS units `{other}`; mdsim reads metal (and real) units: write the data file from a run with `units metal`"),
                ))
            }
        };
        system.velocities = v.iter().map(|x| x.map(|c| c * factor)).collect();
        warnings.extend(velocity_warning(&system, path, "Velocities"));
    }
    if d.masses.iter().any(Option::is_some) {
        let m: Vec<f64> = d
            .atoms
            .iter()
            .map(|a| d.masses[a.kind].as_ref().map_or(f64::NAN, |m| m.mass))
            .collect();
        warnings.extend(
            compare_per_species(&system, &m, |s| s.mass, MASS_TOLERANCE, "amu")
                .map(|w| format!("{p}: Masses: {w}; mdsim uses the force field's masses")),
        );
    }
    if let Some(q) = d
        .atoms
        .iter()
        .map(|a| a.charge)
        .collect::<Option<Vec<f64>>>()
    {
        warnings.extend(
            compare_per_species(&system, &q, |s| s.charge, CHARGE_TOLERANCE, "e").map(|w| {
                format!("{p}: Atoms (charge column): {w}; mdsim uses the force field's charges")
            }),
        );
    }
    if !d.topology.is_empty() {
        let list: Vec<String> = d.topology.iter().map(|(k, n)| format!("{n} {k}")).collect();
        warnings.push(format!(
            "{p}: the file defines {}; mdsim has no bonded terms and ignores them (every pair interacts through the force field)",
            list.join(", ")
        ));
    }
    let coeffs: Vec<&str> = d
        .skipped_sections
        .iter()
        .map(String::as_str)
        .filter(|s| s.ends_with("Coeffs"))
        .collect();
    if !coeffs.is_empty() {
        warnings.push(format!(
            "{p}: the sections {} are not used; mdsim takes every interaction from the force field",
            coeffs.join(", ")
        ));
    }
    Ok(Built {
        system,
        warnings,
        written_cell: None,
    })
}

/// The element whose standard mass is within 0.01 amu of `mass`, for hints.
fn element_by_mass(mass: f64) -> Option<&'static str> {
    (1..elements::SYMBOLS.len())
        .find(|&z| (elements::ASE_MASSES[z] - mass).abs() < 0.01)
        .map(|z| elements::SYMBOLS[z])
}

/// A CIF through the crystal builder: partial occupancies refused, type symbols mapped to
/// the force field's species.
fn read_cif(
    input: &cif::CifInput,
    seed: u64,
    path: &Path,
    species: &[Species],
    input_path: &Path,
) -> Result<Built, InputError> {
    let p = path.display();
    let text = extxyz::decode(&read_bytes(path)?).map_err(|e| syntax(path, e.line, e.message))?;
    let c = cif::read(&text).map_err(|e| syntax(path, e.line, e.message))?;
    let partial: Vec<&cif::CifSite> = c
        .sites
        .iter()
        .filter(|s| (s.occupancy - 1.0).abs() > cif::OCCUPANCY_TOLERANCE)
        .collect();
    if let Some(first) = partial.first() {
        let list: Vec<String> = partial
            .iter()
            .map(|s| format!("{} (line {}, occupancy {})", s.label, s.line, s.occupancy))
            .collect();
        return Err(syntax(
            path,
            first.line,
            format!(
                "partly occupied site(s): {}; mdsim needs an ordered structure: order the sites first (e.g. pymatgen's OrderDisorderedStructureTransformation, or supercell) and export that CIF, or describe a random dopant with `substitute`",
                list.join(", ")
            ),
        ));
    }
    let mut used_keys = vec![false; input.species.len()];
    let mut sites = Vec::with_capacity(c.sites.len());
    let mut rounded = 0;
    for s in &c.sites {
        let element = elements::element_prefix(s.type_symbol.as_deref().unwrap_or(&s.label));
        // The first key of the map that matches: the label, the type symbol, the element.
        let keys = [Some(s.label.as_str()), s.type_symbol.as_deref(), element];
        let mapped = keys.into_iter().flatten().find_map(|k| {
            let i = input.species.keys().position(|x| x == k)?;
            used_keys[i] = true;
            input.species.get(k).cloned()
        });
        let name = mapped
            .or(element.map(str::to_string))
            .ok_or_else(|| {
                syntax(
                    path,
                    s.line,
                    format!(
                        "site `{}`{}: its species cannot be told from the file; name it in `species`, e.g. species: {{\"{}\": \"Li\"}}",
                        s.label,
                        s.type_symbol.as_deref().map(|t| format!(" (type `{t}`)")).unwrap_or_default(),
                        s.type_symbol.as_deref().unwrap_or(&s.label)
                    ),
                )
            })?;
        file_species(
            species,
            &name,
            path,
            s.line,
            &format!("species (site `{}`)", s.label),
        )?;
        let at =
            s.at.map(|x| cif::ideal_third(x).inspect(|_| rounded += 1).unwrap_or(x));
        sites.push(crystal::SiteInput {
            label: s.label.clone(),
            species: name,
            at: (at[0], at[1], at[2]),
        });
    }
    let mut warnings = Vec::new();
    if rounded > 0 {
        warnings.push(format!(
            "{p}: {rounded} fractional coordinate(s) written as 0.3333 or 0.6667 (within 1e-4) are read as exactly 1/3 or 2/3, as pymatgen does"
        ));
    }
    let unused: Vec<String> = input
        .species
        .keys()
        .zip(&used_keys)
        .filter(|(_, &u)| !u)
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    if !unused.is_empty() {
        warnings.push(format!(
            "{}: structure.species: the key(s) {} match no site of {p}",
            input_path.display(),
            unused.join(", ")
        ));
    }
    if !c.other_blocks.is_empty() {
        warnings.push(format!(
            "{p}: mdsim reads the first data block with atoms (data_{}) and ignores data_{}",
            c.block,
            c.other_blocks.join(", data_")
        ));
    }
    let crystal_input = crystal::CrystalInput {
        cell: c.cell,
        symmetry: c.symmetry,
        sites,
        repeat: input.repeat,
        substitute: input.substitute.clone(),
        interstitials: input.interstitials.clone(),
    };
    let s = crystal::build(&crystal_input, seed).map_err(|e| InputError::Invalid {
        path: input_path.display().to_string(),
        field: format!("structure.{}", e.field),
        message: format!("{} (crystal read from {p})", e.message),
    })?;
    let system = crystal_system(s, species, |name| InputError::Invalid {
        path: input_path.display().to_string(),
        field: "structure".into(),
        message: format!(
            "species `{name}` is not defined by the force field ({})",
            known_names(species)
        ),
    })?;
    Ok(Built {
        system,
        warnings,
        written_cell: None,
    })
}

/// A built crystal as a system; `unknown` makes the error for a species the force field lacks.
fn crystal_system(
    built: crystal::Structure,
    species: &[Species],
    unknown: impl Fn(&str) -> InputError,
) -> Result<System, InputError> {
    let mut types = Vec::with_capacity(built.species.len());
    for name in &built.species {
        types.push(species_index(species, name).ok_or_else(|| unknown(name))?);
    }
    Ok(System::new(
        built.cell,
        species.to_vec(),
        types,
        built.positions,
    ))
}

/// Reads a file's bytes, mapping failure to an input error naming the file.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|error| InputError::Read {
        path: path.display().to_string(),
        error,
    })
}

fn syntax(path: &Path, line: usize, message: String) -> InputError {
    InputError::Syntax {
        path: path.display().to_string(),
        line,
        column: 1,
        message,
    }
}

/// The species index of a name from a file, or an error naming the line (with a hint when
/// only the case differs).
fn file_species(
    species: &[Species],
    name: &str,
    path: &Path,
    line: usize,
    what: &str,
) -> Result<usize, InputError> {
    species_index(species, name).ok_or_else(|| {
        let hint = species
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| format!(" (names are case-sensitive: did you mean `{}`?)", s.name))
            .unwrap_or_default();
        syntax(
            path,
            line,
            format!(
                "unknown {what} `{name}`; the force field defines: {}{hint}",
                known_names(species)
            ),
        )
    })
}

/// Columns of extended XYZ files that hold results of a calculation or labels, which mdsim
/// recomputes or does not need: ignored without a warning.
const HARMLESS_XYZ_COLUMNS: &[&str] = &[
    "forces",
    "force",
    "energies",
    "local_energy",
    "magmoms",
    "initial_magmoms",
    "tags",
    "id",
    "index",
];

/// Velocity columns read as Å/ps.
const VELOCITY_COLUMNS: &[&str] = &["velo", "vel", "velocities"];
const MASS_COLUMNS: &[&str] = &["masses", "mass"];
const CHARGE_COLUMNS: &[&str] = &["initial_charges", "charges", "charge", "q"];

fn read_xyz(path: &Path, choice: Option<i64>, species: &[Species]) -> Result<Built, InputError> {
    let bytes = read_bytes(path)?;
    let xyz_err = |e: extxyz::XyzError| syntax(path, e.line, e.message);
    let text = extxyz::decode(&bytes).map_err(xyz_err)?;
    let frame = extxyz::read_frame(&text, choice).map_err(xyz_err)?;
    let p = path.display();
    let mut warnings = Vec::new();
    if frame.count > 1 && choice.is_none() {
        warnings.push(format!(
            "{p}: the file holds {} frames; mdsim uses the last one (frame {}, from line {}), as ase.io.read does; set `frame` in Xyz(…) to choose another (0 is the first)",
            frame.count, frame.index, frame.first_line
        ));
    }
    if frame.natoms == 0 {
        return Err(syntax(
            path,
            frame.first_line,
            "the frame has 0 atoms; there is nothing to simulate".into(),
        ));
    }
    let lattice = frame.lattice().map_err(xyz_err)?;
    frame.check_periodic().map_err(xyz_err)?;
    let names = frame.species().map_err(xyz_err)?;
    let positions = frame.positions().map_err(xyz_err)?;
    // A left-handed lattice is the same lattice as (a, b, −c).
    let cell = Cell::right_handed(lattice[0], lattice[1], lattice[2]).map_err(|e| {
        InputError::Invalid {
            path: p.to_string(),
            field: "Lattice".into(),
            message: e.to_string(),
        }
    })?;
    let mut types = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        types.push(file_species(
            species,
            name,
            path,
            frame.atom_line(i),
            "species",
        )?);
    }

    let one_of = |names: &[&str]| -> Result<Option<String>, InputError> {
        frame
            .one_of(names)
            .map(|n| n.map(str::to_string))
            .map_err(|m| syntax(path, frame.first_line + 1, m))
    };
    let velo_name = one_of(VELOCITY_COLUMNS)?;
    let mass_name = one_of(MASS_COLUMNS)?;
    let charge_name = one_of(CHARGE_COLUMNS)?;
    if velo_name.is_some() && frame.column("momenta").is_some() {
        return Err(syntax(
            path,
            frame.first_line + 1,
            format!(
                "Properties has both `{}` and `momenta`; keep one",
                velo_name.unwrap_or_default()
            ),
        ));
    }
    let file_masses = match &mass_name {
        Some(n) => frame.scalars(n).map_err(xyz_err)?,
        None => None,
    };
    let mut system = System::new(cell, species.to_vec(), types, positions);

    // Velocities: `velo` as Å/ps; ASE's `momenta` as v = p/m in ASE's time unit, with the
    // masses ASE divides by (the file's, else ASE's standard mass of the element).
    let mut velocity_source = None;
    if let Some(n) = &velo_name {
        system.velocities = frame.vectors(n).map_err(xyz_err)?.unwrap_or_default();
        velocity_source = Some(n.clone());
    } else if let Some(momenta) = frame.vectors("momenta").map_err(xyz_err)? {
        let mut fallback: Vec<&str> = Vec::new();
        for (i, p) in momenta.iter().enumerate() {
            let ff = &species[system.types[i]];
            let m = match (&file_masses, elements::atomic_number(&names[i])) {
                (Some(m), _) => m[i],
                (None, Some(z)) => elements::ASE_MASSES[z],
                (None, None) => {
                    if !fallback.contains(&ff.name.as_str()) {
                        fallback.push(&ff.name);
                    }
                    ff.mass
                }
            };
            if m <= 0.0 || !m.is_finite() {
                return Err(syntax(
                    path,
                    frame.atom_line(i),
                    format!("mass {m} amu: momenta cannot be turned into velocities"),
                ));
            }
            system.velocities[i] = p.map(|c| c / m / ASE_TIME_UNIT_PS);
        }
        if !fallback.is_empty() {
            warnings.push(format!(
                "{p}: column `momenta`: the species {} are not chemical elements and the file has no `masses` column, so v = p/m uses the force field's masses (ASE would refuse such a file)",
                fallback.join(", ")
            ));
        }
        velocity_source = Some("momenta".to_string());
    }
    if let Some(source) = velocity_source {
        warnings.extend(velocity_warning(&system, path, &source));
    }

    if let (Some(m), Some(n)) = (&file_masses, &mass_name) {
        warnings.extend(compare_per_species(
            &system,
            m,
            |s| s.mass,
            MASS_TOLERANCE,
            "amu",
        )
        .map(|d| {
            format!(
                "{p}: column `{n}`: {d}; mdsim uses the force field's masses (one per species): set the mass in the force field to use the file's"
            )
        }));
    }
    if let Some(n) = &charge_name {
        let q = frame.scalars(n).map_err(xyz_err)?.unwrap_or_default();
        warnings.extend(
            compare_per_species(&system, &q, |s| s.charge, CHARGE_TOLERANCE, "e")
                .map(|d| format!("{p}: column `{n}`: {d}; mdsim uses the force field's charges")),
        );
    }
    if let Some(mask) = frame.column("move_mask") {
        if let extxyz::Items::Bool(b) = &mask.values {
            let fixed = b.iter().filter(|&&m| !m).count();
            let what = if mask.count == 1 {
                "atom(s)"
            } else {
                "coordinate(s)"
            };
            if fixed > 0 {
                warnings.push(format!(
                    "{p}: column `move_mask` fixes {fixed} {what} (ASE FixAtoms/FixCartesian constraints); mdsim has no constraints and moves every atom"
                ));
            }
        }
    }
    let used: Vec<&str> = ["species", "Z", "pos", "momenta", "move_mask"]
        .into_iter()
        .chain(velo_name.as_deref())
        .chain(mass_name.as_deref())
        .chain(charge_name.as_deref())
        .chain(HARMLESS_XYZ_COLUMNS.iter().copied())
        .collect();
    let unused: Vec<String> = frame
        .columns
        .iter()
        .filter(|c| !used.contains(&c.name.as_str()))
        .map(|c| format!("`{}`", c.spec()))
        .collect();
    if !unused.is_empty() {
        warnings.push(format!(
            "{p}: mdsim does not use the column(s) {}",
            unused.join(", ")
        ));
    }
    Ok(Built {
        system,
        warnings,
        written_cell: Some(lattice),
    })
}

/// For each species whose per-atom values in a file differ from the force field's, a
/// phrase such as "the Li atoms have 6.015 amu in the file but 6.941 amu in the force
/// field". Masses (unit "amu") are compared relative to the force field's, charges absolutely.
pub(crate) fn compare_per_species<'a>(
    system: &'a System,
    values: &'a [f64],
    ff_value: impl Fn(&Species) -> f64 + 'a,
    tolerance: f64,
    unit: &'a str,
) -> impl Iterator<Item = String> + 'a {
    let relative = unit == "amu";
    system.species.iter().enumerate().filter_map(move |(t, s)| {
        let mine: Vec<f64> = (0..system.n_atoms())
            .filter(|&i| system.types[i] == t)
            .map(|i| values[i])
            .collect();
        let expected = ff_value(s);
        let scale = if relative { expected.abs() } else { 1.0 };
        let worst = mine
            .iter()
            .copied()
            .max_by(|a, b| (a - expected).abs().total_cmp(&(b - expected).abs()))?;
        ((worst - expected).abs() > tolerance * scale).then(|| {
            let (lo, hi) = mine
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            let file = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo} … {hi}")
            };
            format!(
                "the {} atoms have {file} {unit} in the file but {expected} {unit} in the force field",
                s.name
            )
        })
    })
}

/// A warning when the structure brings velocities that the run replaces: `minimize` starts
/// from rest, `initial_temperature` draws new ones (what the user asked for, but the file's
/// velocities are then not used).
pub fn replaced_velocities(
    system: &System,
    input: &crate::input::Input,
    input_path: &Path,
) -> Option<String> {
    if system.velocities.iter().flatten().all(|&v| v == 0.0) {
        return None;
    }
    let by = match (&input.minimize, input.initial_temperature) {
        (_, Some(t)) => format!("initial_temperature draws new ones at {t} K"),
        (Some(_), None) => "minimize starts the run from rest".to_string(),
        (None, None) => return None,
    };
    Some(format!(
        "{}: structure: the file's velocities are not used: {by}",
        input_path.display()
    ))
}

/// A warning when velocities read from a file give an implausible temperature (a unit
/// mistake: `velo` in Å/fs read as Å/ps gives a millionth of the temperature).
fn velocity_warning(system: &System, path: &Path, source: &str) -> Option<String> {
    let n = system.n_atoms();
    if n < 2 {
        return None;
    }
    let twice_ke: f64 = system
        .velocities
        .iter()
        .zip(&system.masses)
        .map(|(v, m)| m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
        .sum::<f64>()
        * AMU_A2_PS2_TO_EV;
    let t = twice_ke / ((3 * n - 3) as f64 * BOLTZMANN_EV_K);
    if t == 0.0 || (1.0..=1e5).contains(&t) {
        return None;
    }
    let hint = if source == "momenta" {
        "check the file".to_string()
    } else if source == "Velocities" {
        "check the units of the data file (mdsim reads metal units, Å/ps, unless the first line says `units = real`)".to_string()
    } else {
        format!("mdsim reads `{source}` in Å/ps; velocities in Å/fs (QUIP, GPUMD, the extxyz plugin of ASE) must be multiplied by 1000, in ASE's unit (Å/10.18 fs) divided by 0.0101805")
    };
    Some(format!(
        "{}: the velocities of column `{source}` give a temperature of {t:.3e} K; {hint}",
        path.display()
    ))
}
