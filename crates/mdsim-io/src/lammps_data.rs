//! LAMMPS data files (`read_data` / `write_data`), as LAMMPS documents them: a title line,
//! header lines (`N atoms`, `N atom types`, `xlo xhi`, `ylo yhi`, `zlo zhi`, `xy xz yz`, or the
//! general triclinic `avec`, `bvec`, `cvec`, `abc origin`), then sections (`Masses`, `Atoms`,
//! `Velocities`, `Atom Type Labels`, …). Comments start with `#`.
//!
//! Atom styles read: `atomic` (id type x y z), `charge` (id type q x y z), `full` (id mol type
//! q x y z) and `molecular`/`bond`/`angle` (id mol type x y z), each with optional image flags
//! (three integers) at the end. The style is the `atom_style` given in the input, or the hint
//! `write_data` leaves after the section name (`Atoms # charge`); with neither, the file is
//! refused (the columns alone are ambiguous). Velocities are in the units of the file: `metal`
//! (Å/ps, mdsim's) is assumed; `real` (Å/fs) is converted; other units are refused.

/// A read problem with its 1-based line number; the message shows what was found.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct DataError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> DataError {
    DataError {
        line,
        message: message.into(),
    }
}

/// More atom types than this is a typo, refused before anything is allocated.
pub const MAX_TYPES: usize = 100_000;

/// The atom styles mdsim reads, with their columns before the coordinates.
pub const ATOM_STYLES: &[(&str, &[&str])] = &[
    ("atomic", &["atom-ID", "atom-type"]),
    ("charge", &["atom-ID", "atom-type", "q"]),
    ("full", &["atom-ID", "molecule-ID", "atom-type", "q"]),
    ("molecular", &["atom-ID", "molecule-ID", "atom-type"]),
    ("bond", &["atom-ID", "molecule-ID", "atom-type"]),
    ("angle", &["atom-ID", "molecule-ID", "atom-type"]),
];

/// One atom of the `Atoms` section.
#[derive(Clone, Debug, PartialEq)]
pub struct DataAtom {
    pub id: u64,
    /// Atom type, 1 … number of types.
    pub kind: usize,
    /// Charge (e), for the styles that have one.
    pub charge: Option<f64>,
    /// Position (Å) relative to the box origin (xlo, ylo, zlo).
    pub position: [f64; 3],
    pub line: usize,
}

/// A mass of the `Masses` section, with the comment after it (e.g. `# Li`).
#[derive(Clone, Debug, PartialEq)]
pub struct DataMass {
    pub mass: f64,
    pub comment: Option<String>,
    pub line: usize,
}

/// The content of a data file that mdsim uses or reports.
#[derive(Clone, Debug, PartialEq)]
pub struct LammpsData {
    /// Cell vectors a, b, c (rows, Å).
    pub lattice: [[f64; 3]; 3],
    /// `units = …` of the title line `write_data` writes, if any.
    pub units: Option<String>,
    /// The atom style used to read the `Atoms` section.
    pub atom_style: String,
    pub n_types: usize,
    /// Masses by type (index type − 1), if the file has a `Masses` section.
    pub masses: Vec<Option<DataMass>>,
    /// Type labels by type (index type − 1), from `Atom Type Labels`.
    pub type_labels: Vec<Option<String>>,
    /// Atoms in ascending ID order.
    pub atoms: Vec<DataAtom>,
    /// Velocities in the file's units, in the order of `atoms`.
    pub velocities: Option<Vec<[f64; 3]>>,
    /// Header counts other than atoms and types that are not zero (e.g. `("bonds", 12)`).
    pub topology: Vec<(String, usize)>,
    /// Sections present that mdsim does not read (e.g. `Pair Coeffs`).
    pub skipped_sections: Vec<String>,
}

const SECTIONS: &[&str] = &[
    "Atoms",
    "Velocities",
    "Masses",
    "Ellipsoids",
    "Lines",
    "Triangles",
    "Bodies",
    "Bonds",
    "Angles",
    "Dihedrals",
    "Impropers",
    "Pair Coeffs",
    "PairIJ Coeffs",
    "Bond Coeffs",
    "Angle Coeffs",
    "Dihedral Coeffs",
    "Improper Coeffs",
    "BondBond Coeffs",
    "BondAngle Coeffs",
    "MiddleBondTorsion Coeffs",
    "EndBondTorsion Coeffs",
    "AngleTorsion Coeffs",
    "AngleAngleTorsion Coeffs",
    "BondBond13 Coeffs",
    "AngleAngle Coeffs",
    "Atom Type Labels",
    "Bond Type Labels",
    "Angle Type Labels",
    "Dihedral Type Labels",
    "Improper Type Labels",
];

/// A line without its comment, and the comment.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    match line.find('#') {
        Some(k) => (line[..k].trim(), Some(line[k + 1..].trim())),
        None => (line.trim(), None),
    }
}

fn real(word: &str, line: usize, what: &str) -> Result<f64, DataError> {
    crate::extxyz::parse_real(word)
        .filter(|x| x.is_finite())
        .ok_or_else(|| err(line, format!("{what} must be a number, found `{word}`")))
}

/// Reads a data file. `atom_style` (from the input) overrides the file's hint; they must
/// agree when both are given.
pub fn read(text: &str, atom_style: Option<&str>) -> Result<LammpsData, DataError> {
    let lines = crate::extxyz::lines(text);
    let units = lines.first().and_then(|title| {
        let k = title.find("units =")?;
        Some(
            title[k + 7..]
                .split_whitespace()
                .next()?
                .trim_matches(',')
                .to_string(),
        )
    });
    // Header: from line 2 to the first section.
    let mut n_atoms = None;
    let mut n_types = None;
    let mut bounds = [None; 3];
    let mut tilt = [0.0; 3];
    let mut general: [Option<[f64; 3]>; 4] = [None; 4];
    let mut topology = Vec::new();
    let mut i = 1;
    while i < lines.len() {
        let (body, _) = split_comment(lines[i]);
        if section_name(body).is_some() {
            break;
        }
        let words: Vec<&str> = body.split_whitespace().collect();
        let line = i + 1;
        i += 1;
        if words.is_empty() {
            continue;
        }
        let keyword = words
            .iter()
            .skip_while(|w| crate::extxyz::parse_real(w).is_some())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let numbers = &words[..words.len() - keyword.split_whitespace().count()];
        let count = || -> Result<usize, DataError> {
            numbers.first().and_then(|w| w.parse().ok()).ok_or_else(|| {
                err(
                    line,
                    format!("expected a count before `{keyword}`, found `{body}`"),
                )
            })
        };
        let need = |n: usize| -> Result<Vec<f64>, DataError> {
            if numbers.len() != n {
                return Err(err(
                    line,
                    format!("`{keyword}` needs {n} numbers before it, found `{body}`"),
                ));
            }
            numbers.iter().map(|w| real(w, line, &keyword)).collect()
        };
        match keyword.as_str() {
            "atoms" => n_atoms = Some(count()?),
            "atom types" => n_types = Some(count()?),
            "xlo xhi" | "ylo yhi" | "zlo zhi" => {
                let v = need(2)?;
                let k = ["xlo xhi", "ylo yhi", "zlo zhi"]
                    .iter()
                    .position(|&s| s == keyword)
                    .unwrap_or(0);
                bounds[k] = Some((v[0], v[1]));
            }
            "xy xz yz" => tilt.copy_from_slice(&need(3)?),
            "avec" | "bvec" | "cvec" | "abc origin" => {
                let k = ["avec", "bvec", "cvec", "abc origin"]
                    .iter()
                    .position(|&s| s == keyword)
                    .unwrap_or(0);
                let v = need(3)?;
                general[k] = Some([v[0], v[1], v[2]]);
            }
            k if k.ends_with(" types") || k.ends_with("per atom") => {}
            k @ ("bonds" | "angles" | "dihedrals" | "impropers" | "ellipsoids" | "lines"
            | "triangles" | "bodies") => {
                let c = count()?;
                if c > 0 {
                    topology.push((k.to_string(), c));
                }
            }
            _ => {
                return Err(err(
                    line,
                    format!("unknown header line `{body}`; expected e.g. `32 atoms`, `3 atom types`, `0.0 10.0 xlo xhi`, `0.0 0.0 0.0 xy xz yz`"),
                ))
            }
        }
    }
    let n_atoms = n_atoms.ok_or_else(|| err(2, "the header has no `N atoms` line"))?;
    let n_types = n_types.ok_or_else(|| err(2, "the header has no `N atom types` line"))?;
    if !(1..=MAX_TYPES).contains(&n_types) {
        return Err(err(
            2,
            format!("`{n_types} atom types`: the number of atom types must lie between 1 and {MAX_TYPES}"),
        ));
    }
    let (lattice, origin) = box_of(&bounds, tilt, &general)?;

    let mut masses = vec![None; n_types];
    let mut type_labels: Vec<Option<String>> = vec![None; n_types];
    let mut atom_lines: Vec<(usize, &str)> = Vec::new();
    let mut velocity_lines: Vec<(usize, &str)> = Vec::new();
    let mut hint = None;
    let mut skipped_sections = Vec::new();
    while i < lines.len() {
        let (body, comment) = split_comment(lines[i]);
        let Some(name) = section_name(body) else {
            return Err(err(
                i + 1,
                format!(
                    "expected a section name (Atoms, Velocities, Masses, …), found `{}`",
                    body
                ),
            ));
        };
        let start = i + 1;
        i += 1;
        let mut rows = Vec::new();
        while i < lines.len() {
            let (b, _) = split_comment(lines[i]);
            if section_name(b).is_some() {
                break;
            }
            if !b.is_empty() {
                rows.push((i + 1, lines[i]));
            }
            i += 1;
        }
        match name {
            "Atoms" => {
                hint = comment
                    .and_then(|c| c.split_whitespace().next())
                    .map(str::to_string);
                atom_lines = rows;
            }
            "Velocities" => velocity_lines = rows,
            "Masses" => read_masses(&rows, &mut masses)?,
            "Atom Type Labels" => read_labels(&rows, &mut type_labels)?,
            other => skipped_sections.push(other.to_string()),
        }
        let _ = start;
    }
    let style = match (atom_style, hint.as_deref()) {
        (Some(a), Some(h)) if a != h => {
            return Err(err(
                1,
                format!("the input says atom_style `{a}` but the file's `Atoms # {h}` says `{h}`; remove atom_style from the input or fix it"),
            ))
        }
        (Some(a), _) => a.to_string(),
        (None, Some(h)) => h.to_string(),
        (None, None) => {
            return Err(err(
                1,
                "the file does not say its atom style (`Atoms # charge`, as write_data writes it); give it in the input: LammpsData(file: …, atom_style: \"charge\")",
            ))
        }
    };
    let Some(&(_, columns)) = ATOM_STYLES.iter().find(|(s, _)| *s == style) else {
        return Err(err(
            1,
            format!(
                "atom style `{style}` is not supported; mdsim reads {}",
                ATOM_STYLES
                    .iter()
                    .map(|s| s.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    if atom_lines.len() != n_atoms {
        return Err(err(
            atom_lines.last().map_or(lines.len(), |r| r.0),
            format!(
                "the header announces {n_atoms} atoms but the Atoms section has {} lines",
                atom_lines.len()
            ),
        ));
    }
    let mut atoms = Vec::with_capacity(n_atoms);
    for &(line, text) in &atom_lines {
        atoms.push(read_atom(
            text,
            line,
            &style,
            columns,
            n_types,
            &type_labels,
            origin,
        )?);
    }
    atoms.sort_by_key(|a| a.id);
    if let Some(w) = atoms.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(err(
            w[1].line,
            format!(
                "atom ID {} appears twice (also on line {})",
                w[1].id, w[0].line
            ),
        ));
    }
    let velocities = if velocity_lines.is_empty() {
        None
    } else {
        Some(read_velocities(&velocity_lines, &atoms)?)
    };
    Ok(LammpsData {
        lattice,
        units,
        atom_style: style,
        n_types,
        masses,
        type_labels,
        atoms,
        velocities,
        topology,
        skipped_sections,
    })
}

fn section_name(body: &str) -> Option<&'static str> {
    SECTIONS.iter().copied().find(|&s| body == s)
}

/// Cell vectors and origin from the header.
fn box_of(
    bounds: &[Option<(f64, f64)>; 3],
    tilt: [f64; 3],
    general: &[Option<[f64; 3]>; 4],
) -> Result<([[f64; 3]; 3], [f64; 3]), DataError> {
    if let (Some(a), Some(b), Some(c)) = (general[0], general[1], general[2]) {
        return Ok(([a, b, c], general[3].unwrap_or([0.0; 3])));
    }
    let mut lo = [0.0; 3];
    let mut len = [0.0; 3];
    for (k, name) in ["xlo xhi", "ylo yhi", "zlo zhi"].iter().enumerate() {
        let (l, h) = bounds[k].ok_or_else(|| err(2, format!("the header has no `{name}` line")))?;
        if h <= l {
            return Err(err(
                2,
                format!("`{l} {h} {name}`: the upper bound must exceed the lower"),
            ));
        }
        lo[k] = l;
        len[k] = h - l;
    }
    let [xy, xz, yz] = tilt;
    Ok((
        [[len[0], 0.0, 0.0], [xy, len[1], 0.0], [xz, yz, len[2]]],
        lo,
    ))
}

fn read_masses(rows: &[(usize, &str)], masses: &mut [Option<DataMass>]) -> Result<(), DataError> {
    for &(line, text) in rows {
        let (body, comment) = split_comment(text);
        let words: Vec<&str> = body.split_whitespace().collect();
        let t = type_index(words.first().copied().unwrap_or(""), line, masses.len())?;
        if words.len() != 2 {
            return Err(err(
                line,
                format!("a Masses line is `type mass`, found `{body}`"),
            ));
        }
        masses[t] = Some(DataMass {
            mass: real(words[1], line, "the mass")?,
            comment: comment.filter(|c| !c.is_empty()).map(str::to_string),
            line,
        });
    }
    Ok(())
}

fn read_labels(rows: &[(usize, &str)], labels: &mut [Option<String>]) -> Result<(), DataError> {
    for &(line, text) in rows {
        let (body, _) = split_comment(text);
        let words: Vec<&str> = body.split_whitespace().collect();
        if words.len() != 2 {
            return Err(err(
                line,
                format!("an Atom Type Labels line is `type label`, found `{body}`"),
            ));
        }
        let t = type_index(words[0], line, labels.len())?;
        labels[t] = Some(words[1].to_string());
    }
    Ok(())
}

/// A numeric type (1 … n) as an index from 0.
fn type_index(word: &str, line: usize, n: usize) -> Result<usize, DataError> {
    match word.parse::<usize>() {
        Ok(t) if (1..=n).contains(&t) => Ok(t - 1),
        _ => Err(err(
            line,
            format!("atom type `{word}` is not one of 1 … {n} (`{n} atom types` in the header)"),
        )),
    }
}

fn read_atom(
    text: &str,
    line: usize,
    style: &str,
    columns: &[&str],
    n_types: usize,
    labels: &[Option<String>],
    origin: [f64; 3],
) -> Result<DataAtom, DataError> {
    let (body, _) = split_comment(text);
    let w: Vec<&str> = body.split_whitespace().collect();
    let n = columns.len() + 3;
    if w.len() != n && w.len() != n + 3 {
        return Err(err(
            line,
            format!(
                "atom style `{style}` has {n} columns ({} x y z) or {} with image flags, found {}: `{body}`",
                columns.join(" "),
                n + 3,
                w.len()
            ),
        ));
    }
    let column = |name: &str| columns.iter().position(|&c| c == name);
    let id_word = w[0];
    let id = id_word
        .parse::<u64>()
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| {
            err(
                line,
                format!("the atom ID must be a positive integer, found `{id_word}`"),
            )
        })?;
    let type_word = w[column("atom-type").unwrap_or(1)];
    let kind = match labels.iter().position(|l| l.as_deref() == Some(type_word)) {
        Some(t) => t,
        None => type_index(type_word, line, n_types)?,
    };
    let charge = column("q")
        .map(|k| real(w[k], line, "the charge q"))
        .transpose()?;
    let c = columns.len();
    let mut position = [0.0; 3];
    for k in 0..3 {
        position[k] = real(w[c + k], line, ["x", "y", "z"][k])? - origin[k];
    }
    if w.len() == n + 3 {
        for f in &w[n..] {
            f.parse::<i64>()
                .map_err(|_| err(line, format!("image flags must be integers, found `{f}`")))?;
        }
    }
    Ok(DataAtom {
        id,
        kind,
        charge,
        position,
        line,
    })
}

fn read_velocities(rows: &[(usize, &str)], atoms: &[DataAtom]) -> Result<Vec<[f64; 3]>, DataError> {
    let mut v: Vec<Option<[f64; 3]>> = vec![None; atoms.len()];
    for &(line, text) in rows {
        let (body, _) = split_comment(text);
        let w: Vec<&str> = body.split_whitespace().collect();
        if w.len() != 4 {
            return Err(err(
                line,
                format!("a Velocities line is `atom-ID vx vy vz`, found `{body}`"),
            ));
        }
        let id: u64 = w[0].parse().map_err(|_| {
            err(
                line,
                format!("the atom ID must be a positive integer, found `{}`", w[0]),
            )
        })?;
        let k = atoms.binary_search_by_key(&id, |a| a.id).map_err(|_| {
            err(
                line,
                format!("velocity for atom ID {id}, which is not in the Atoms section"),
            )
        })?;
        if v[k].is_some() {
            return Err(err(line, format!("atom ID {id} has two velocities")));
        }
        v[k] = Some([
            real(w[1], line, "vx")?,
            real(w[2], line, "vy")?,
            real(w[3], line, "vz")?,
        ]);
    }
    v.into_iter()
        .zip(atoms)
        .map(|(v, a)| {
            v.ok_or_else(|| {
                err(
                    rows.last().map_or(a.line, |r| r.0),
                    format!("the Velocities section has no line for atom ID {}", a.id),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHARGE: &str = "\
LAMMPS data file via write_data, version 2 Aug 2023, timestep = 0, units = metal

3 atoms
2 atom types

0 10 xlo xhi
-1 9 ylo yhi
0 8 zlo zhi
1.5 -0.5 0.25 xy xz yz

Masses

1 6.941 # Li
2 15.9994 # O

Atoms # charge

2 2 -1.2 1 1 1 0 0 0
1 1 0.6 0 0 0 1 0 -1
3 1 0.6 2 3 4

Velocities

3 0.3 0.0 0.0
1 0.1 0.0 0.0
2 0.2 0.0 0.0
";

    #[test]
    fn reads_a_triclinic_charge_file() {
        let d = read(CHARGE, None).unwrap();
        assert_eq!(d.units.as_deref(), Some("metal"));
        assert_eq!(d.atom_style, "charge");
        assert_eq!(
            d.lattice,
            [[10.0, 0.0, 0.0], [1.5, 10.0, 0.0], [-0.5, 0.25, 8.0]]
        );
        assert_eq!(d.atoms.iter().map(|a| a.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(d.atoms[1].position, [1.0, 2.0, 1.0]);
        assert_eq!(d.atoms[1].charge, Some(-1.2));
        assert_eq!(d.atoms[1].kind, 1);
        assert_eq!(d.masses[0].as_ref().unwrap().comment.as_deref(), Some("Li"));
        assert_eq!(d.velocities.unwrap()[2], [0.3, 0.0, 0.0]);
    }

    #[test]
    fn type_labels_name_the_types_and_may_stand_for_them() {
        let labelled = CHARGE
            .replace(
                "Atoms # charge",
                "Atom Type Labels\n\n1 Li\n2 O\n\nAtoms # charge",
            )
            .replace("2 2 -1.2 1 1 1 0 0 0", "2 O -1.2 1 1 1 0 0 0");
        let d = read(&labelled, None).unwrap();
        assert_eq!(d.type_labels, vec![Some("Li".into()), Some("O".into())]);
        assert_eq!(d.atoms[1].kind, 1);
        let e = read(&labelled.replace("2 O -1.2", "2 Xe -1.2"), None).unwrap_err();
        assert!(e.message.contains("atom type `Xe`"), "{e}");
    }

    #[test]
    fn errors_name_the_line_and_what_was_found() {
        let e = read(&CHARGE.replace("Atoms # charge", "Atoms"), None).unwrap_err();
        assert!(e.message.contains("atom_style"), "{e}");
        let e = read(&CHARGE.replace("Atoms # charge", "Atoms # sphere"), None).unwrap_err();
        assert!(e.message.contains("`sphere` is not supported"), "{e}");
        let e = read(CHARGE, Some("full")).unwrap_err();
        assert!(
            e.message.contains("`full`") && e.message.contains("`charge`"),
            "{e}"
        );
        let e = read(&CHARGE.replace("3 1 0.6 2 3 4", "3 1 0.6 2 3"), None).unwrap_err();
        assert_eq!(e.line, 20);
        assert!(e.message.contains("found 5"), "{e}");
        let e = read(&CHARGE.replace("3 1 0.6 2 3 4", "3 5 0.6 2 3 4"), None).unwrap_err();
        assert!(e.message.contains("atom type `5`"), "{e}");
        let e = read(&CHARGE.replace("2 0.2 0.0 0.0\n", ""), None).unwrap_err();
        assert!(e.message.contains("atom ID 2"), "{e}");
        let e = read(&CHARGE.replace("0 8 zlo zhi", "8 0 zlo zhi"), None).unwrap_err();
        assert!(e.message.contains("upper bound"), "{e}");
        let e = read(&CHARGE.replace("2 atom types", "2 atom typos"), None).unwrap_err();
        assert_eq!(e.line, 4);
        let e = read(
            &CHARGE.replace("2 atom types", "100000000000 atom types"),
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("between 1 and"), "{e}");
    }
}
