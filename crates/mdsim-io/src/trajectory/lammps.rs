//! LAMMPS text dumps (`dump custom`, `dump atom`), read as LAMMPS writes them (doc
//! `dump`, `dump_modify`; src/dump_custom.cpp). A frame is
//!
//! ```text
//! ITEM: UNITS            (first frame only, with `dump_modify units yes`)
//! metal
//! ITEM: TIME             (with `dump_modify time yes`)
//! 0.5
//! ITEM: TIMESTEP
//! 500
//! ITEM: NUMBER OF ATOMS
//! 128
//! ITEM: BOX BOUNDS xy xz yz pp pp pp      (or `pp pp pp`, or `abc origin pp pp pp`)
//! xlo_bound xhi_bound xy
//! ylo_bound yhi_bound xz
//! zlo_bound zhi_bound yz
//! ITEM: ATOMS id type x y z ix iy iz vx vy vz
//! 17 1 0.5 … (one line per atom, in no fixed order)
//! ```
//!
//! * Cell: orthogonal `lo hi` lines; restricted triclinic bounding box with tilts (xlo =
//!   xlo_bound − min(0, xy, xz, xy + xz), xhi = xhi_bound − max(0, xy, xz, xy + xz), ylo =
//!   ylo_bound − min(0, yz), yhi = yhi_bound − max(0, yz); a = (xhi − xlo, 0, 0),
//!   b = (xy, yhi − ylo, 0), c = (xz, yz, zhi − zlo)); general triclinic `abc origin`
//!   rows (a, b or c, then one component of the origin). Every boundary must be `pp`.
//! * Positions, in order of preference: `xu yu zu` (unwrapped), `xsu ysu zsu` (scaled
//!   unwrapped), `x y z` or `xs ys zs` (scaled: r = origin + xs·a + ys·b + zs·c) with image
//!   flags `ix iy iz` (r + ix·a + iy·b + iz·c: unwrapped), or without them (as written,
//!   possibly wrapped).
//! * Atoms are sorted by `id` (required: LAMMPS writes them in no fixed order).
//! * Species: the `element` column (`dump_modify element`), else `type` through a
//!   [`TypeMap`] (`--types 1=Li,2=P`).
//! * Velocities `vx vy vz`, masses `mass`. Units: `metal` (Å, ps) unless `ITEM: UNITS` says
//!   `real` (Å, fs: velocities ×1000, time ×0.001); other unit styles are refused.

use super::lines::{shorten, Lines};
use super::{Frame, FrameHeader, Positions, TrajectoryError};
use std::collections::BTreeMap;
use std::path::Path;

/// Species of LAMMPS atom types (type → name).
pub type TypeMap = BTreeMap<u32, String>;

/// Units of a dump: velocities → Å/ps and times → ps.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Units {
    velocity: f64,
    time: f64,
}

const METAL: Units = Units {
    velocity: 1.0,
    time: 1.0,
};

pub(super) struct DumpFrames {
    lines: Lines,
    types: TypeMap,
    units: Units,
    /// The `ITEM:` line that starts the next frame, when already read.
    pending: Option<(usize, String)>,
}

/// The header of a frame, as read.
struct Head {
    header: FrameHeader,
    origin: [f64; 3],
    /// The column names of `ITEM: ATOMS` and its line.
    columns: Vec<String>,
    columns_line: usize,
}

impl DumpFrames {
    pub fn open(path: &Path, types: TypeMap) -> Result<Self, TrajectoryError> {
        Ok(Self {
            lines: Lines::open(path)?,
            types,
            units: METAL,
            pending: None,
        })
    }

    /// The next non-blank line (with its number), `None` at the end of the file.
    fn next_item(&mut self) -> Result<Option<(usize, String)>, TrajectoryError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        loop {
            match self.lines.next_line()? {
                None => return Ok(None),
                Some(l) if l.trim().is_empty() => continue,
                Some(l) => {
                    let l = l.trim().to_string();
                    return Ok(Some((self.lines.line_no(), l)));
                }
            }
        }
    }

    /// The value line after an `ITEM:` line.
    fn value(&mut self, start: usize, item: &str) -> Result<String, TrajectoryError> {
        match self.lines.next_line()? {
            Some(l) => Ok(l.trim().to_string()),
            None => Err(self
                .lines
                .cut_short(start, &format!("the file ends after `{item}`"))),
        }
    }

    fn number<T: std::str::FromStr>(&self, text: &str, what: &str) -> Result<T, TrajectoryError> {
        text.parse().map_err(|_| {
            self.lines.error(
                Some(self.lines.line_no()),
                format!("expected {what}, found `{}`", shorten(text)),
            )
        })
    }

    /// Reads the items up to and including `ITEM: ATOMS`.
    fn head(&mut self) -> Result<Option<Head>, TrajectoryError> {
        let Some((start, first)) = self.next_item()? else {
            return Ok(None);
        };
        let (mut step, mut n_atoms, mut time, mut cell) = (None, None, None, None);
        let mut item = Some((start, first));
        loop {
            let Some((line, text)) = item.take() else {
                return Err(self
                    .lines
                    .cut_short(start, "the file ends before `ITEM: ATOMS`"));
            };
            let Some(name) = text.strip_prefix("ITEM:").map(str::trim) else {
                return Err(self.lines.error(
                    Some(line),
                    format!("expected an `ITEM:` line, found `{}`", shorten(&text)),
                ));
            };
            match name {
                "UNITS" => {
                    let u = self.value(start, name)?;
                    self.units = units(&u).ok_or_else(|| {
                        self.lines.error(
                            Some(self.lines.line_no()),
                            format!("units `{u}`: mdsim reads dumps in LAMMPS `metal` (Å, ps) or `real` (Å, fs) units; rerun with one of them"),
                        )
                    })?;
                }
                "TIME" => {
                    let t = self.value(start, name)?;
                    let t: f64 = self.number(&t, "the time")?;
                    time = Some(t * self.units.time);
                }
                "TIMESTEP" => {
                    let s = self.value(start, name)?;
                    step = Some(self.number::<u64>(&s, "the timestep (an integer ≥ 0)")?);
                }
                "NUMBER OF ATOMS" => {
                    let n = self.value(start, name)?;
                    n_atoms = Some(self.number::<usize>(&n, "the number of atoms")?);
                }
                _ if name.starts_with("BOX BOUNDS") => {
                    cell = Some(self.cell(start, line, name["BOX BOUNDS".len()..].trim())?);
                }
                _ if name.starts_with("ATOMS") => {
                    let columns: Vec<String> =
                        name["ATOMS".len()..].split_whitespace().map(String::from).collect();
                    let missing = [
                        ("ITEM: TIMESTEP", step.is_none()),
                        ("ITEM: NUMBER OF ATOMS", n_atoms.is_none()),
                        ("ITEM: BOX BOUNDS", cell.is_none()),
                    ];
                    if let Some((what, _)) = missing.iter().find(|(_, m)| *m) {
                        return Err(self.lines.error(
                            Some(line),
                            format!("the frame starting at line {start} has no `{what}` before its atoms"),
                        ));
                    }
                    let (lattice, origin) = cell.unwrap_or_default();
                    return Ok(Some(Head {
                        header: FrameHeader {
                            line: start,
                            step,
                            time_ps: time,
                            lattice,
                            n_atoms: n_atoms.unwrap_or_default(),
                            atom_lines: None,
                        },
                        origin,
                        columns,
                        columns_line: line,
                    }));
                }
                _ => {
                    return Err(self.lines.error(
                        Some(line),
                        format!("`ITEM: {}` is not an item of a per-atom dump (dump custom or dump atom); local or other dumps cannot be analysed", shorten(name)),
                    ))
                }
            }
            item = self.next_item()?;
        }
    }

    /// The cell vectors and origin of `ITEM: BOX BOUNDS {rest}` and its three lines.
    fn cell(
        &mut self,
        start: usize,
        line: usize,
        rest: &str,
    ) -> Result<([[f64; 3]; 3], [f64; 3]), TrajectoryError> {
        let words: Vec<&str> = rest.split_whitespace().collect();
        let (kind, flags) = match words.as_slice() {
            ["xy", "xz", "yz", f @ ..] => (BoxKind::Triclinic, f),
            ["abc", "origin", f @ ..] => (BoxKind::General, f),
            f => (BoxKind::Orthogonal, f),
        };
        if let Some(f) = flags.iter().find(|f| **f != "pp") {
            return Err(self.lines.error(
                Some(line),
                format!("boundary `{f}` in `{rest}`: the cell must be periodic (pp) along x, y and z to give a volume and unwrapped displacements"),
            ));
        }
        let width = match kind {
            BoxKind::Orthogonal => 2,
            BoxKind::Triclinic => 3,
            BoxKind::General => 4,
        };
        let mut rows = [[0.0; 4]; 3];
        for row in &mut rows {
            let Some(text) = self.lines.next_line()?.map(str::to_string) else {
                return Err(self.lines.cut_short(start, "the box bounds are incomplete"));
            };
            let values: Option<Vec<f64>> = text
                .split_whitespace()
                .map(|w| w.parse::<f64>().ok().filter(|x| x.is_finite()))
                .collect();
            match values {
                Some(v) if v.len() == width => row[..width].copy_from_slice(&v),
                _ => {
                    return Err(self.lines.error(
                        Some(self.lines.line_no()),
                        format!(
                            "expected {width} numbers of the box bounds, found `{}`",
                            shorten(&text)
                        ),
                    ))
                }
            }
        }
        Ok(match kind {
            BoxKind::General => (
                [0, 1, 2].map(|k| [rows[k][0], rows[k][1], rows[k][2]]),
                [rows[0][3], rows[1][3], rows[2][3]],
            ),
            _ => {
                let tilt = [rows[0][2], rows[1][2], rows[2][2]];
                restricted_cell(rows.map(|r| [r[0], r[1]]), tilt)
            }
        })
    }

    pub fn next_header(&mut self) -> Result<Option<FrameHeader>, TrajectoryError> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        for read in 0..head.header.n_atoms {
            if self.lines.next_line()?.is_none() {
                return Err(self.atoms_missing(&head, read));
            }
        }
        Ok(Some(head.header))
    }

    fn atoms_missing(&self, head: &Head, read: usize) -> TrajectoryError {
        self.lines.cut_short(
            head.header.line,
            &format!(
                "it declares {} atoms but the file ends after {read}",
                head.header.n_atoms
            ),
        )
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame>, TrajectoryError> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        let cols = Columns::find(&head.columns, !self.types.is_empty()).map_err(|m| {
            self.lines.error(
                Some(head.columns_line),
                format!("`ITEM: ATOMS {}`: {m}", head.columns.join(" ")),
            )
        })?;
        let n = head.header.n_atoms;
        let mut atoms: Vec<Atom> = Vec::with_capacity(n);
        for read in 0..n {
            let line_no = self.lines.line_no() + 1;
            let Some(text) = self.lines.next_line()? else {
                return Err(self.atoms_missing(&head, read));
            };
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.len() != head.columns.len() {
                let found = words.len();
                let last = read + 1 == n;
                return Err(if last && found < head.columns.len() && self.at_end()? {
                    self.lines
                        .cut_short(head.header.line, "its last atom line is incomplete")
                } else {
                    self.lines.error(
                        Some(line_no),
                        format!(
                            "{found} values for the {} columns of `ITEM: ATOMS {}`",
                            head.columns.len(),
                            head.columns.join(" ")
                        ),
                    )
                });
            }
            let atom = cols
                .atom(&words, &self.types, self.units, line_no)
                .map_err(|m| self.lines.error(Some(line_no), m))?;
            atoms.push(atom);
        }
        atoms.sort_by_key(|a| a.id);
        if let Some(w) = atoms.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(self.lines.error(
                Some(w[1].line.max(w[0].line)),
                format!(
                    "atom id {} appears twice in the frame starting at line {}",
                    w[0].id, head.header.line
                ),
            ));
        }
        Ok(Some(frame(head, &cols, atoms)))
    }

    /// True when the file has nothing more to read.
    fn at_end(&mut self) -> Result<bool, TrajectoryError> {
        Ok(match self.next_item()? {
            None => true,
            Some(item) => {
                self.pending = Some(item);
                false
            }
        })
    }
}

fn units(name: &str) -> Option<Units> {
    match name {
        "metal" => Some(METAL),
        "real" => Some(Units {
            velocity: 1000.0,
            time: 0.001,
        }),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum BoxKind {
    Orthogonal,
    Triclinic,
    General,
}

/// Cell vectors and origin of a restricted triclinic (or orthogonal, tilts 0) LAMMPS box
/// from its bounding box and tilts (doc Howto_triclinic).
fn restricted_cell(bounds: [[f64; 2]; 3], tilt: [f64; 3]) -> ([[f64; 3]; 3], [f64; 3]) {
    let [xy, xz, yz] = tilt;
    let xlo = bounds[0][0] - 0f64.min(xy).min(xz).min(xy + xz);
    let xhi = bounds[0][1] - 0f64.max(xy).max(xz).max(xy + xz);
    let ylo = bounds[1][0] - 0f64.min(yz);
    let yhi = bounds[1][1] - 0f64.max(yz);
    let (zlo, zhi) = (bounds[2][0], bounds[2][1]);
    (
        [
            [xhi - xlo, 0.0, 0.0],
            [xy, yhi - ylo, 0.0],
            [xz, yz, zhi - zlo],
        ],
        [xlo, ylo, zlo],
    )
}

/// How the positions are written.
#[derive(Clone, Copy, PartialEq)]
enum Coordinates {
    Cartesian,
    Scaled,
}

/// Where the needed values sit in an atom line.
struct Columns {
    id: usize,
    element: Option<usize>,
    kind: Option<usize>,
    position: [usize; 3],
    coordinates: Coordinates,
    images: Option<[usize; 3]>,
    velocity: Option<[usize; 3]>,
    mass: Option<usize>,
    positions: Positions,
}

/// One atom line, read.
struct Atom {
    id: u64,
    line: usize,
    species: String,
    /// Cartesian or scaled position, image flags already added.
    position: [f64; 3],
    images: [i64; 3],
    velocity: [f64; 3],
    mass: f64,
}

impl Columns {
    fn find(names: &[String], have_types: bool) -> Result<Self, String> {
        let at = |n: &str| names.iter().position(|c| c == n);
        let triple = |a: &str, b: &str, c: &str| -> Result<Option<[usize; 3]>, String> {
            match (at(a), at(b), at(c)) {
                (Some(x), Some(y), Some(z)) => Ok(Some([x, y, z])),
                (None, None, None) => Ok(None),
                _ => Err(format!("has only some of `{a} {b} {c}`; give all three")),
            }
        };
        let id = at("id").ok_or("no `id` column: LAMMPS writes the atoms in no fixed order, so they cannot be followed from frame to frame without it; add `id` to the dump command")?;
        let images = triple("ix", "iy", "iz")?;
        let sets = [
            ("xu yu zu", Coordinates::Cartesian, true),
            ("xsu ysu zsu", Coordinates::Scaled, true),
            ("x y z", Coordinates::Cartesian, false),
            ("xs ys zs", Coordinates::Scaled, false),
        ];
        let mut found = None;
        for (set, coordinates, unwrapped) in sets {
            let w: Vec<&str> = set.split(' ').collect();
            if let Some(p) = triple(w[0], w[1], w[2])? {
                found = Some((p, coordinates, unwrapped, set));
                break;
            }
        }
        let Some((position, coordinates, unwrapped, set)) = found else {
            return Err("no positions: the dump needs `xu yu zu` (unwrapped; best), `xsu ysu zsu`, or `x y z` / `xs ys zs` with the image flags `ix iy iz`".into());
        };
        let (images, positions) = match (unwrapped, images) {
            (true, _) => (None, Positions::Unwrapped(set)),
            (false, Some(i)) => (
                Some(i),
                Positions::Unwrapped(if set == "x y z" {
                    "x y z + ix iy iz"
                } else {
                    "xs ys zs + ix iy iz"
                }),
            ),
            (false, None) => (None, Positions::AsWritten(set)),
        };
        let element = at("element");
        let kind = at("type");
        if element.is_some() && have_types {
            return Err(
                "the species are named twice: by the `element` column and by --types; drop --types"
                    .into(),
            );
        }
        if element.is_none() && (kind.is_none() || !have_types) {
            return Err(if kind.is_some() {
                "no `element` column: name the species of the atom types with --types, e.g. --types 1=Li,2=P,3=O (or write the dump with `dump_modify element Li P O` and an `element` column)".into()
            } else {
                "neither an `element` nor a `type` column: the species of the atoms are unknown; add `element` (with `dump_modify element …`) or `type` (with --types) to the dump".into()
            });
        }
        Ok(Self {
            id,
            element,
            kind,
            position,
            coordinates,
            images,
            velocity: triple("vx", "vy", "vz")?,
            mass: at("mass"),
            positions,
        })
    }

    fn atom(&self, w: &[&str], types: &TypeMap, units: Units, line: usize) -> Result<Atom, String> {
        let real = |k: usize| -> Result<f64, String> {
            w[k].parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("`{}` is not a finite number", shorten(w[k])))
        };
        let int = |k: usize, what: &str| -> Result<i64, String> {
            w[k].parse::<i64>()
                .map_err(|_| format!("`{}` is not an integer ({what})", shorten(w[k])))
        };
        let id = u64::try_from(int(self.id, "atom id")?)
            .map_err(|_| format!("atom id {} is negative", w[self.id]))?;
        let species = match (self.element, self.kind) {
            (Some(e), _) => w[e].to_string(),
            (None, Some(t)) => {
                let t = int(t, "atom type")?;
                u32::try_from(t)
                    .ok()
                    .and_then(|t| types.get(&t))
                    .cloned()
                    .ok_or_else(|| {
                        format!(
                            "atom type {t} has no species in --types (given: {})",
                            types
                                .iter()
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect::<Vec<_>>()
                                .join(",")
                        )
                    })?
            }
            (None, None) => return Err("no `element` or `type` column".into()),
        };
        let position = three(self.position, real)?;
        let images = match self.images {
            Some(i) => three(i, |k| int(k, "image flag"))?,
            None => [0; 3],
        };
        let velocity = match self.velocity {
            Some(v) => three(v, real)?.map(|x| x * units.velocity),
            None => [0.0; 3],
        };
        let mass = match self.mass {
            Some(m) => real(m)?,
            None => f64::NAN,
        };
        Ok(Atom {
            id,
            line,
            species,
            position,
            images,
            velocity,
            mass,
        })
    }
}

/// The values of three columns.
fn three<T: Copy + Default>(
    columns: [usize; 3],
    value: impl Fn(usize) -> Result<T, String>,
) -> Result<[T; 3], String> {
    Ok([value(columns[0])?, value(columns[1])?, value(columns[2])?])
}

/// The frame of sorted atoms: positions in Cartesian Å with the image flags applied.
fn frame(head: Head, cols: &Columns, atoms: Vec<Atom>) -> Frame {
    let l = head.header.lattice;
    let o = head.origin;
    let to_cartesian = |s: [f64; 3]| -> [f64; 3] {
        std::array::from_fn(|k| s[0] * l[0][k] + s[1] * l[1][k] + s[2] * l[2][k])
    };
    let positions = atoms
        .iter()
        .map(|a| {
            let n = a.images.map(|i| i as f64);
            let shift = to_cartesian(n);
            match cols.coordinates {
                Coordinates::Cartesian => std::array::from_fn(|k| a.position[k] + shift[k]),
                Coordinates::Scaled => {
                    let r = to_cartesian(a.position);
                    std::array::from_fn(|k| o[k] + r[k] + shift[k])
                }
            }
        })
        .collect();
    let mut header = head.header;
    header.atom_lines = Some(atoms.iter().map(|a| a.line).collect());
    Frame {
        header,
        species: atoms.iter().map(|a| a.species.clone()).collect(),
        positions,
        kind: cols.positions,
        velocities: cols
            .velocity
            .map(|_| atoms.iter().map(|a| a.velocity).collect()),
        masses: cols.mass.map(|_| atoms.iter().map(|a| a.mass).collect()),
        ids: Some(atoms.iter().map(|a| a.id).collect()),
    }
}
