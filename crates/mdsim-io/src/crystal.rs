//! Crystal-structure builder: a unit cell given the way a CIF gives it (cell parameters,
//! symmetry operations, asymmetric-unit sites), repeated into a supercell, with seeded random
//! substitutions and charge-compensating interstitials.
//!
//! What [`build`] does, in this order:
//! 1. Every site of `sites` is expanded by the operations of `symmetry`; images that coincide
//!    within 1e-4 in each fractional coordinate (modulo 1) are kept once (the first one, in the
//!    order of the operations). All fractional coordinates are wrapped into [0, 1).
//! 2. The unit cell is repeated `repeat` times. Atom order: unit cells in order (the index
//!    along a outermost, c innermost), within a cell the sites in the order of `sites`, and the
//!    images of one site in the order of `symmetry`.
//! 3. The substitutions of `substitute` are applied, rule after rule, at random (see
//!    [`build`] for the exact use of the random stream). Substituted atoms keep their place in
//!    the order and their site label; only their species changes.
//! 4. The interstitials of `interstitials` are inserted, rule after rule, and appended at the
//!    end of the atom list in the order they were placed.

use mdsim_core::Cell;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Two fractional positions closer than this in every coordinate (modulo 1) are the same site.
pub const SAME_SITE_TOLERANCE: f64 = 1e-4;

/// Candidate interstitial sites whose distances to a substituted atom differ by less than
/// this (Å) are equally close: the first in candidate order is taken.
pub const TIE_TOLERANCE: f64 = 1e-6;

/// Two atoms of the unit cell closer than this (Å) make the input an error: the coordinates
/// are wrong, or a site on a special position was given with rounded coordinates.
pub const UNIT_CELL_MIN_DISTANCE: f64 = 0.5;

/// A crystal structure as in a CIF, repeated into a supercell (`structure: Crystal(( … ))`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CrystalInput {
    /// Unit-cell parameters (a, b, c, α, β, γ): lengths in Å, angles in degrees. a lies along
    /// x and b in the xy plane.
    pub cell: (f64, f64, f64, f64, f64, f64),
    /// Symmetry operations on fractional coordinates, written as in the International Tables
    /// or a CIF's `_space_group_symop_operation_xyz`, e.g. `"-x+1/2, y+1/2, z+1/2"`. Give the
    /// full list of the space group (they must form a group); empty means P1: `sites` is then
    /// the full list of atoms of the unit cell.
    #[serde(default)]
    pub symmetry: Vec<String>,
    /// The sites of the asymmetric unit.
    pub sites: Vec<SiteInput>,
    /// Number of unit cells along a, b, c (each ≥ 1).
    pub repeat: (usize, usize, usize),
    /// Random substitutions over the whole supercell, applied in order.
    #[serde(default)]
    pub substitute: Vec<SubstitutionInput>,
    /// Charge-compensating interstitials, inserted in order after all substitutions.
    #[serde(default)]
    pub interstitials: Vec<InterstitialInput>,
}

/// One site of the asymmetric unit.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// Site label, unique within `sites` (e.g. `"P1"`); copied to every atom of the site.
    pub label: String,
    /// Species name, as in the force field (e.g. `"P"`).
    pub species: String,
    /// Fractional coordinates (x, y, z) in the unit cell.
    pub at: (f64, f64, f64),
}

/// Replace `count` atoms of one site by another species, chosen at random over the whole
/// supercell.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubstitutionInput {
    /// Label of the site (in `sites`) whose atoms may be replaced, e.g. `"P1"`. Atoms already
    /// replaced by an earlier rule are not candidates.
    pub site: String,
    /// The new species, e.g. `"Si"`.
    pub species: String,
    /// How many atoms to replace in the whole supercell (not per unit cell). "One per unit
    /// cell on average" is count = number of unit cells (e.g. 3·5·6 = 90).
    pub count: usize,
}

/// Insert one atom of `species` for every atom substituted by rule `compensates`: for each
/// substituted atom (in atom order) the closest free candidate site is taken.
///
/// A candidate site is free when it holds no inserted atom yet and lies at least
/// `min_distance` away from every atom of the structure, including the atoms already
/// inserted. Of equally close candidates (within [`TIE_TOLERANCE`]) the first in candidate
/// order is taken (unit cells in order, then `sites` in order, then the symmetry images in the
/// order of `symmetry`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InterstitialInput {
    /// Index (from 0) of the rule in `substitute` whose substituted atoms this compensates:
    /// one inserted atom per substituted atom.
    pub compensates: usize,
    /// Species name of the inserted atoms, e.g. `"Li"`.
    pub species: String,
    /// Candidate sites, in fractional coordinates of the unit cell; each is expanded by
    /// `symmetry` and repeated over the supercell (an image within 1e-4 of an earlier
    /// candidate is kept once). Their labels become the site labels of the inserted atoms.
    pub sites: Vec<CandidateInput>,
    /// Smallest allowed distance (Å) between an inserted atom and an atom of each species,
    /// e.g. `{"Li": 1.6, "O": 1.7, "P": 2.5, "Si": 2.5}`. Every species present in the
    /// structure and the inserted species must be listed: nothing is left out by accident.
    pub min_distance: BTreeMap<String, f64>,
}

/// A candidate interstitial site.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    /// Label given to atoms inserted at this site (and its images), e.g. `"Li5"`.
    pub label: String,
    /// Fractional coordinates (x, y, z) in the unit cell.
    pub at: (f64, f64, f64),
}

/// A built structure.
#[derive(Clone, Debug, PartialEq)]
pub struct Structure {
    /// The supercell.
    pub cell: Cell,
    /// Species name of each atom.
    pub species: Vec<String>,
    /// Site label of each atom: the label in `sites`, or the candidate label for inserted
    /// atoms.
    pub labels: Vec<String>,
    /// Cartesian positions (Å), inside the supercell.
    pub positions: Vec<[f64; 3]>,
    /// Indices of the substituted atoms, ascending.
    pub substituted: Vec<usize>,
    /// The inserted interstitial atoms, in insertion order.
    pub insertions: Vec<Insertion>,
}

/// One inserted interstitial atom.
#[derive(Clone, Debug, PartialEq)]
pub struct Insertion {
    /// Index of the inserted atom.
    pub atom: usize,
    /// Index of the substituted atom it compensates.
    pub compensates: usize,
    /// Distance between the two (Å, minimum image).
    pub distance: f64,
}

impl Structure {
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Number of atoms of a species.
    pub fn count_species(&self, name: &str) -> usize {
        self.species.iter().filter(|s| *s == name).count()
    }

    /// Number of atoms with a site label.
    pub fn count_label(&self, label: &str) -> usize {
        self.labels.iter().filter(|s| *s == label).count()
    }

    /// The distinct species names, in order of first appearance.
    pub fn species_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for s in &self.species {
            if !names.contains(&s.as_str()) {
                names.push(s);
            }
        }
        names
    }

    /// The lattice vectors a, b, c as rows (Å), as in extended XYZ `Lattice="…"`.
    pub fn lattice(&self) -> [[f64; 3]; 3] {
        [
            self.cell.vector(0),
            self.cell.vector(1),
            self.cell.vector(2),
        ]
    }
}

/// The structure as an extended XYZ frame (species and positions; step 0, time 0).
pub fn write_extxyz(structure: &Structure) -> String {
    let species: Vec<&str> = structure.species.iter().map(String::as_str).collect();
    crate::xyz::format_frame(
        structure.lattice(),
        &species,
        &structure.positions,
        None,
        0,
        0.0,
    )
}

/// An input problem: the field (relative to the crystal input, e.g. `substitute[0].count`)
/// and what is wrong and what to do.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{field}: {message}")]
pub struct CrystalError {
    pub field: String,
    pub message: String,
}

fn error(field: impl Into<String>, message: impl Into<String>) -> CrystalError {
    CrystalError {
        field: field.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Symmetry operations
// ---------------------------------------------------------------------------------------------

/// A symmetry operation x' = R·x + t on fractional coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetryOperation {
    /// Integer rotation part; row i gives the coefficients of x, y, z in component i.
    pub rotation: [[i32; 3]; 3],
    /// Translation part, in [0, 1).
    pub translation: [f64; 3],
}

impl SymmetryOperation {
    pub fn identity() -> Self {
        Self {
            rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            translation: [0.0; 3],
        }
    }

    /// Reads an operation such as `"-x+1/2, y+1/2, z+1/2"`, `"1/2-x,-y,z"`, `"x-y, x, z+0.5"`
    /// (three comma-separated components; x, y, z with integer coefficients; constants as
    /// fractions or decimals; spaces ignored; upper case accepted). The error says what is
    /// wrong, without the field name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hint = "write three comma-separated components such as `-x+1/2, y, z+1/2`";
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() != 3 {
            return Err(format!(
                "cannot read `{text}`: found {} component(s), need 3; {hint}",
                parts.len()
            ));
        }
        let mut op = Self {
            rotation: [[0; 3]; 3],
            translation: [0.0; 3],
        };
        for (i, part) in parts.iter().enumerate() {
            let (row, t) = parse_component(part)
                .map_err(|m| format!("cannot read `{text}`: component {}: {m}; {hint}", i + 1))?;
            op.rotation[i] = row;
            op.translation[i] = wrap01(t);
        }
        let det = determinant(&op.rotation);
        if det.abs() != 1 {
            return Err(format!(
                "`{text}` is not a symmetry operation: its rotation part has determinant {det} (must be +1 or -1)"
            ));
        }
        Ok(op)
    }

    /// Applies the operation to fractional coordinates (no wrapping).
    pub fn apply(&self, s: [f64; 3]) -> [f64; 3] {
        let mut out = self.translation;
        for (i, o) in out.iter_mut().enumerate() {
            for (j, sj) in s.iter().enumerate() {
                *o += self.rotation[i][j] as f64 * sj;
            }
        }
        out
    }

    /// `self` applied after `other`.
    fn after(&self, other: &Self) -> Self {
        let mut rotation = [[0; 3]; 3];
        for (i, row) in rotation.iter_mut().enumerate() {
            for (j, r) in row.iter_mut().enumerate() {
                *r = (0..3)
                    .map(|k| self.rotation[i][k] * other.rotation[k][j])
                    .sum();
            }
        }
        let t = self.apply(other.translation);
        Self {
            rotation,
            translation: [wrap01(t[0]), wrap01(t[1]), wrap01(t[2])],
        }
    }

    /// Same rotation and translations equal modulo 1.
    fn same_as(&self, other: &Self) -> bool {
        self.rotation == other.rotation
            && same_fractional(self.translation, other.translation, SAME_SITE_TOLERANCE)
    }
}

impl fmt::Display for SymmetryOperation {
    /// Writes the operation as `-x+1/2, y, z+1/2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..3 {
            if i > 0 {
                f.write_str(", ")?;
            }
            let mut s = String::new();
            for (j, v) in ["x", "y", "z"].iter().enumerate() {
                let c = self.rotation[i][j];
                if c != 0 {
                    let sign = if c < 0 {
                        "-"
                    } else if s.is_empty() {
                        ""
                    } else {
                        "+"
                    };
                    let mag = if c.abs() == 1 {
                        String::new()
                    } else {
                        c.abs().to_string()
                    };
                    s.push_str(&format!("{sign}{mag}{v}"));
                }
            }
            let t = self.translation[i];
            if t != 0.0 {
                let sign = if s.is_empty() { "" } else { "+" };
                s.push_str(sign);
                s.push_str(&fraction(t));
            }
            if s.is_empty() {
                s.push('0');
            }
            f.write_str(&s)?;
        }
        Ok(())
    }
}

/// A number in [0, 1) as a small fraction when it is one, else as a decimal.
fn fraction(t: f64) -> String {
    for den in [2, 3, 4, 6, 8, 12] {
        let num = (t * den as f64).round();
        if (t * den as f64 - num).abs() < 1e-6 {
            let g = gcd(num as i64, den);
            return format!("{}/{}", num as i64 / g, den / g);
        }
    }
    format!("{t}")
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs().max(1)
    } else {
        gcd(b, a % b)
    }
}

fn determinant(m: &[[i32; 3]; 3]) -> i32 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// One component such as `-x+1/2`: the coefficients of x, y, z and the constant.
fn parse_component(text: &str) -> Result<([i32; 3], f64), String> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.is_empty() {
        return Err("it is empty".into());
    }
    let mut row = [0i32; 3];
    let mut constant = 0.0;
    let mut i = 0;
    let n = chars.len();
    let mut first = true;
    while i < n {
        let mut sign = 1.0;
        match chars[i] {
            '+' => i += 1,
            '-' => {
                sign = -1.0;
                i += 1;
            }
            c if !first => return Err(format!("expected `+` or `-` before `{c}`")),
            _ => {}
        }
        first = false;
        // An optional number, possibly a fraction.
        let start = i;
        while i < n && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let mut value = None;
        if i > start {
            let s: String = chars[start..i].iter().collect();
            let mut v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
            if i < n && chars[i] == '/' {
                i += 1;
                let ds = i;
                while i < n && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let d: String = chars[ds..i].iter().collect();
                let den: f64 = d
                    .parse()
                    .map_err(|_| format!("expected a denominator after `{s}/`"))?;
                if den == 0.0 {
                    return Err(format!("division by zero in `{s}/{d}`"));
                }
                v /= den;
            }
            value = Some(v);
            if i < n && chars[i] == '*' {
                i += 1;
                if i >= n || !matches!(chars[i].to_ascii_lowercase(), 'x' | 'y' | 'z') {
                    return Err("expected x, y or z after `*`".into());
                }
            }
        }
        let axis = (i < n)
            .then(|| match chars[i].to_ascii_lowercase() {
                'x' => Some(0),
                'y' => Some(1),
                'z' => Some(2),
                _ => None,
            })
            .flatten();
        match (axis, value) {
            (Some(k), v) => {
                let c = sign * v.unwrap_or(1.0);
                if c.fract() != 0.0 {
                    return Err(format!(
                        "the coefficient {c} of {} must be an integer",
                        chars[i]
                    ));
                }
                row[k] += c as i32;
                i += 1;
            }
            (None, Some(v)) => constant += sign * v,
            (None, None) => {
                return Err(match chars.get(i) {
                    Some(c) => format!("unexpected `{c}`"),
                    None => "it ends with a sign and nothing after it".into(),
                })
            }
        }
    }
    Ok((row, constant))
}

/// Parses and checks the symmetry operations: each must parse, no two may be equal, and they
/// must be closed under composition (a typo in one operation usually breaks this).
pub fn parse_symmetry(ops: &[String]) -> Result<Vec<SymmetryOperation>, CrystalError> {
    if ops.is_empty() {
        return Ok(vec![SymmetryOperation::identity()]);
    }
    let mut parsed = Vec::with_capacity(ops.len());
    for (k, text) in ops.iter().enumerate() {
        let op = SymmetryOperation::parse(text).map_err(|m| error(format!("symmetry[{k}]"), m))?;
        if let Some(j) = parsed
            .iter()
            .position(|o: &SymmetryOperation| o.same_as(&op))
        {
            return Err(error(
                format!("symmetry[{k}]"),
                format!("`{text}` is the same operation as symmetry[{j}] (`{}`); list each operation of the space group once", ops[j]),
            ));
        }
        parsed.push(op);
    }
    for (i, a) in parsed.iter().enumerate() {
        for (j, b) in parsed.iter().enumerate() {
            let p = a.after(b);
            if !parsed.iter().any(|o| o.same_as(&p)) {
                return Err(error(
                    "symmetry",
                    format!(
                        "the operations do not form a group: symmetry[{i}] (`{}`) applied after symmetry[{j}] (`{}`) gives `{p}`, which is not in the list; check them for a typo, and give the full list of the space group (as in the CIF's _space_group_symop_operation_xyz), not only generators",
                        ops[i], ops[j]
                    ),
                ));
            }
        }
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// Fractional-coordinate helpers
// ---------------------------------------------------------------------------------------------

/// x modulo 1, in [0, 1).
fn wrap01(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 {
        0.0
    } else {
        w
    }
}

fn wrap3(s: [f64; 3]) -> [f64; 3] {
    [wrap01(s[0]), wrap01(s[1]), wrap01(s[2])]
}

/// Equal within `tol` in each coordinate, modulo 1.
fn same_fractional(a: [f64; 3], b: [f64; 3], tol: f64) -> bool {
    (0..3).all(|k| {
        let d = a[k] - b[k];
        (d - d.round()).abs() < tol
    })
}

/// The distinct images of a fractional position under the operations, wrapped into [0, 1).
pub fn expand_site(ops: &[SymmetryOperation], at: [f64; 3]) -> Vec<[f64; 3]> {
    let mut out: Vec<[f64; 3]> = Vec::with_capacity(ops.len());
    for op in ops {
        let q = wrap3(op.apply(at));
        if !out
            .iter()
            .any(|o| same_fractional(*o, q, SAME_SITE_TOLERANCE))
        {
            out.push(q);
        }
    }
    out
}

/// Periodic distances in one cell, with a cheap bound to skip far pairs.
struct Periodic<'a> {
    cell: &'a Cell,
    widths: [f64; 3],
}

impl<'a> Periodic<'a> {
    fn new(cell: &'a Cell) -> Self {
        Self {
            cell,
            widths: cell.perpendicular_widths(),
        }
    }

    /// Minimum-image distance between fractional positions.
    fn distance(&self, a: [f64; 3], b: [f64; 3]) -> f64 {
        let mut d = [0.0; 3];
        for k in 0..3 {
            d[k] = a[k] - b[k];
            d[k] -= d[k].round();
        }
        let r = self.cell.minimum_image(self.cell.to_cartesian(d));
        (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt()
    }

    /// The minimum-image distance if it is below `r_max`, else `None`. Any image is at least
    /// width_k·|Δs_k| away (Δs_k reduced to [−½, ½]), which rejects most pairs cheaply.
    fn distance_below(&self, a: [f64; 3], b: [f64; 3], r_max: f64) -> Option<f64> {
        for k in 0..3 {
            let d = a[k] - b[k];
            if self.widths[k] * (d - d.round()).abs() >= r_max {
                return None;
            }
        }
        let r = self.distance(a, b);
        (r < r_max).then_some(r)
    }
}

// ---------------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------------

/// Draws a uniform integer in [0, m) from `next_u64`, by rejection (unbiased, and fixed: it
/// does not depend on the version of `rand`).
fn uniform_below(rng: &mut ChaCha20Rng, m: usize) -> usize {
    let m = m as u64;
    let limit = (u64::MAX / m) * m;
    loop {
        let x = rng.next_u64();
        if x < limit {
            return (x % m) as usize;
        }
    }
}

fn finite3(v: (f64, f64, f64)) -> bool {
    v.0.is_finite() && v.1.is_finite() && v.2.is_finite()
}

/// Builds the structure.
///
/// Random choices use stream 1 of `rand_chacha::ChaCha20Rng::seed_from_u64(seed)` (stream 0
/// draws the initial velocities) and nothing else, in a
/// fixed way, so that a given input and seed always give the same structure: the substitution
/// rules are applied in order; rule r lists its candidate atoms in atom order and picks
/// `count` of them by a partial Fisher–Yates shuffle (for k = 0, 1, …, count−1: draw j
/// uniformly in [k, n) and swap candidates k and j), each uniform integer in [0, m) being the
/// first `next_u64()` value x < ⌊2⁶⁴/m⌋·m, taken modulo m. Interstitial placement is
/// deterministic and uses no random numbers.
pub fn build(input: &CrystalInput, seed: u64) -> Result<Structure, CrystalError> {
    let (ops, unit) = unit_cell(input)?;
    let mut s = Supercell::new(input, &unit)?;
    // Stream 1 of the seed: stream 0 draws the initial velocities.
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(1);
    let mut substituted_by_rule = Vec::with_capacity(input.substitute.len());
    for (r, rule) in input.substitute.iter().enumerate() {
        substituted_by_rule.push(s.substitute(r, rule, &unit, &mut rng)?);
    }
    let mut insertions = Vec::new();
    for (r, rule) in input.interstitials.iter().enumerate() {
        let Some(targets) = substituted_by_rule.get(rule.compensates) else {
            return Err(error(
                format!("interstitials[{r}].compensates"),
                format!(
                    "there is no substitute[{}]: `substitute` has {} rule(s), numbered from 0",
                    rule.compensates,
                    input.substitute.len()
                ),
            ));
        };
        insertions.extend(s.insert(r, rule, &ops, targets)?);
    }
    let positions = s.frac.iter().map(|&x| s.cell.to_cartesian(x)).collect();
    let mut substituted: Vec<usize> = substituted_by_rule.into_iter().flatten().collect();
    substituted.sort_unstable();
    Ok(Structure {
        cell: s.cell,
        species: s.species,
        labels: s.labels,
        positions,
        substituted,
        insertions,
    })
}

/// Atoms of the unit cell: (index in `sites`, fractional position).
type UnitAtoms = Vec<(usize, [f64; 3])>;

/// Checks the cell, symmetry and sites; returns the operations and the atoms of the unit cell
/// as (index in `sites`, fractional position).
fn unit_cell(input: &CrystalInput) -> Result<(Vec<SymmetryOperation>, UnitAtoms), CrystalError> {
    let (a, b, c, alpha, beta, gamma) = input.cell;
    if !([a, b, c].iter().all(|x| *x > 0.0 && x.is_finite())) {
        return Err(error(
            "cell",
            format!("the lengths a, b, c must be positive numbers of Å, got ({a}, {b}, {c})"),
        ));
    }
    let angles_ok = [alpha, beta, gamma]
        .iter()
        .all(|x| *x > 0.0 && *x < 180.0 && x.is_finite());
    let unit_cell = if angles_ok {
        Cell::from_parameters(a, b, c, alpha, beta, gamma).ok()
    } else {
        None
    };
    let Some(unit_cell) = unit_cell else {
        return Err(error(
            "cell",
            format!("the angles α = {alpha}°, β = {beta}°, γ = {gamma}° do not make a cell: each must lie strictly between 0 and 180°, each must be smaller than the sum of the other two, and the three must add up to less than 360° (give angles in degrees, e.g. 90.0)"),
        ));
    };

    let ops = parse_symmetry(&input.symmetry)?;
    if input.sites.is_empty() {
        return Err(error(
            "sites",
            "no sites: give at least one, e.g. (label: \"P1\", species: \"P\", at: (0.4115, 0.25, 0.6921))",
        ));
    }
    for (k, site) in input.sites.iter().enumerate() {
        if site.label.trim().is_empty() {
            return Err(error(
                format!("sites[{k}].label"),
                "give the site a label, e.g. \"O1\"",
            ));
        }
        if let Some(j) = input.sites[..k].iter().position(|s| s.label == site.label) {
            return Err(error(
                format!("sites[{k}].label"),
                format!(
                    "the label `{}` is already used by sites[{j}]; labels must be unique",
                    site.label
                ),
            ));
        }
        if site.species.trim().is_empty() {
            return Err(error(
                format!("sites[{k}].species"),
                "give the species name, e.g. \"O\"",
            ));
        }
        if !finite3(site.at) {
            return Err(error(
                format!("sites[{k}].at"),
                "the fractional coordinates must be finite numbers",
            ));
        }
    }
    let mut unit: Vec<(usize, [f64; 3])> = Vec::new();
    for (k, site) in input.sites.iter().enumerate() {
        for q in expand_site(&ops, [site.at.0, site.at.1, site.at.2]) {
            unit.push((k, q));
        }
    }
    let periodic = Periodic::new(&unit_cell);
    for (n, &(k, q)) in unit.iter().enumerate() {
        for &(j, p) in &unit[..n] {
            if let Some(r) = periodic.distance_below(p, q, UNIT_CELL_MIN_DISTANCE) {
                let what = if j == k {
                    "two symmetry images of this site are".to_string()
                } else {
                    format!(
                        "an image of this site and one of sites[{j}] (`{}`) are",
                        input.sites[j].label
                    )
                };
                return Err(error(
                    format!("sites[{k}]"),
                    format!(
                        "{what} only {r:.4} Å apart in the unit cell (at {p:?} and {q:?}); check the coordinates and the symmetry operations; a site on a special position must be given exactly (e.g. 0.25, not 0.2501)"
                    ),
                ));
            }
        }
    }
    Ok((ops, unit))
}

/// The closest free candidate of `order` (sorted by distance, then index); among those within
/// [`TIE_TOLERANCE`] of it (e.g. mirror images, equally close but for round-off), the first in
/// candidate order. The flag says whether the choice is settled: a candidate beyond the tie
/// window was seen, so candidates further than all of `order` cannot change it.
fn closest_free(
    order: &[(f64, usize)],
    free: impl Fn(usize) -> bool,
) -> (Option<(f64, usize)>, bool) {
    let mut pick: Option<(f64, usize)> = None;
    for &(d, n) in order {
        if let Some((d0, n0)) = pick {
            if d > d0 + TIE_TOLERANCE {
                return (pick, true);
            }
            if n < n0 && free(n) {
                pick = Some((d, n));
            }
        } else if free(n) {
            pick = Some((d, n));
        }
    }
    (pick, false)
}

/// Atoms binned by the unit cell they lie in (compressed rows: the atoms of bin b are
/// `atoms[start[b]..start[b + 1]]`, in index order), to find the atoms near a point.
struct UnitCellBins {
    dims: [usize; 3],
    start: Vec<usize>,
    atoms: Vec<usize>,
}

impl UnitCellBins {
    fn new(frac: &[[f64; 3]], repeat: (usize, usize, usize)) -> Self {
        let dims = [repeat.0, repeat.1, repeat.2];
        let bin = |f: [f64; 3]| {
            let i: [usize; 3] = std::array::from_fn(|k| {
                ((wrap01(f[k]) * dims[k] as f64) as usize).min(dims[k] - 1)
            });
            (i[0] * dims[1] + i[1]) * dims[2] + i[2]
        };
        let mut start = vec![0usize; dims[0] * dims[1] * dims[2] + 1];
        for f in frac {
            start[bin(*f) + 1] += 1;
        }
        for b in 1..start.len() {
            start[b] += start[b - 1];
        }
        let mut fill = start.clone();
        let mut atoms = vec![0; frac.len()];
        for (i, f) in frac.iter().enumerate() {
            let b = bin(*f);
            atoms[fill[b]] = i;
            fill[b] += 1;
        }
        Self { dims, start, atoms }
    }

    /// Whether `f` holds for some atom in the bins that can hold an atom within `r` of `q`
    /// (`widths`: the perpendicular widths of the supercell; an atom at fractional offset Δ_k
    /// is at least widths_k·|Δ_k| away).
    fn any_near(
        &self,
        q: [f64; 3],
        r: f64,
        widths: &[f64; 3],
        mut f: impl FnMut(usize) -> bool,
    ) -> bool {
        let range = |k: usize| -> Vec<usize> {
            let n = self.dims[k] as i64;
            let reach = r / widths[k];
            let lo = ((q[k] - reach) * n as f64).floor();
            let hi = ((q[k] + reach) * n as f64).floor();
            if hi - lo + 1.0 >= n as f64 {
                (0..self.dims[k]).collect()
            } else {
                (lo as i64..=hi as i64)
                    .map(|b| b.rem_euclid(n) as usize)
                    .collect()
            }
        };
        let (ra, rb, rc) = (range(0), range(1), range(2));
        for &a in &ra {
            for &b in &rb {
                for &c in &rc {
                    let bin = (a * self.dims[1] + b) * self.dims[2] + c;
                    if self.atoms[self.start[bin]..self.start[bin + 1]]
                        .iter()
                        .any(|&i| f(i))
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// The supercell being built: fractional positions (of the supercell), species and labels.
struct Supercell<'a> {
    input: &'a CrystalInput,
    cell: Cell,
    /// Unit-cell indices (i, j, k) in atom order.
    cell_indices: Vec<[usize; 3]>,
    frac: Vec<[f64; 3]>,
    /// Index in `sites` of each lattice atom (inserted atoms have none).
    site_of: Vec<usize>,
    species: Vec<String>,
    labels: Vec<String>,
}

impl<'a> Supercell<'a> {
    fn new(input: &'a CrystalInput, unit: &[(usize, [f64; 3])]) -> Result<Self, CrystalError> {
        let (a, b, c, alpha, beta, gamma) = input.cell;
        let (na, nb, nc) = input.repeat;
        if na == 0 || nb == 0 || nc == 0 {
            return Err(error(
                "repeat",
                format!("each repetition must be at least 1, got ({na}, {nb}, {nc})"),
            ));
        }
        let atoms = [na, nb, nc]
            .iter()
            .try_fold(unit.len() as u64, |acc, &k| acc.checked_mul(k as u64));
        mdsim_core::limits::check_atoms(
            atoms,
            &format!("{na} × {nb} × {nc} unit cells of {} atoms", unit.len()),
            "check `repeat` for a typo",
        )
        .map_err(|m| error("repeat", m))?;
        let cell = Cell::from_parameters(
            a * na as f64,
            b * nb as f64,
            c * nc as f64,
            alpha,
            beta,
            gamma,
        )
        .map_err(|e| error("repeat", format!("the supercell cannot be made: {e}")))?;
        let cell_indices: Vec<[usize; 3]> = (0..na)
            .flat_map(|i| (0..nb).flat_map(move |j| (0..nc).map(move |k| [i, j, k])))
            .collect();
        let mut s = Self {
            input,
            cell,
            frac: Vec::with_capacity(cell_indices.len() * unit.len()),
            site_of: Vec::with_capacity(cell_indices.len() * unit.len()),
            species: Vec::new(),
            labels: Vec::new(),
            cell_indices,
        };
        for n in 0..s.cell_indices.len() {
            for &(k, q) in unit {
                s.frac.push(s.in_supercell(n, q));
                s.site_of.push(k);
            }
        }
        s.species = s
            .site_of
            .iter()
            .map(|&k| input.sites[k].species.clone())
            .collect();
        s.labels = s
            .site_of
            .iter()
            .map(|&k| input.sites[k].label.clone())
            .collect();
        Ok(s)
    }

    /// Fractional position in the supercell of position `q` of unit cell number `n`.
    fn in_supercell(&self, n: usize, q: [f64; 3]) -> [f64; 3] {
        let ci = self.cell_indices[n];
        let r = self.input.repeat;
        [
            (ci[0] as f64 + q[0]) / r.0 as f64,
            (ci[1] as f64 + q[1]) / r.1 as f64,
            (ci[2] as f64 + q[2]) / r.2 as f64,
        ]
    }

    /// Applies substitution rule `r`; returns the substituted atoms, ascending.
    fn substitute(
        &mut self,
        r: usize,
        rule: &SubstitutionInput,
        unit: &[(usize, [f64; 3])],
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<usize>, CrystalError> {
        let sites = &self.input.sites;
        let Some(k) = sites.iter().position(|s| s.label == rule.site) else {
            let known: Vec<&str> = sites.iter().map(|s| s.label.as_str()).collect();
            return Err(error(
                format!("substitute[{r}].site"),
                format!(
                    "no site is labelled `{}`; the labels in `sites` are: {}",
                    rule.site,
                    known.join(", ")
                ),
            ));
        };
        if rule.species.trim().is_empty() {
            return Err(error(
                format!("substitute[{r}].species"),
                "give the new species name, e.g. \"Si\"",
            ));
        }
        let original = &sites[k].species;
        let mut candidates: Vec<usize> = (0..self.site_of.len())
            .filter(|&i| self.site_of[i] == k && &self.species[i] == original)
            .collect();
        let n = candidates.len();
        if rule.count > n {
            return Err(error(
                format!("substitute[{r}].count"),
                format!(
                    "asks for {} substitutions but the supercell has only {n} atoms of species {original} on site `{}` ({} per unit cell × {} cells, less those replaced by earlier rules); lower the count or enlarge `repeat`",
                    rule.count,
                    rule.site,
                    unit.iter().filter(|(s, _)| *s == k).count(),
                    self.cell_indices.len()
                ),
            ));
        }
        for j in 0..rule.count {
            let pick = j + uniform_below(rng, n - j);
            candidates.swap(j, pick);
        }
        let mut chosen = candidates[..rule.count].to_vec();
        chosen.sort_unstable();
        for &i in &chosen {
            self.species[i] = rule.species.clone();
        }
        Ok(chosen)
    }

    /// Applies interstitial rule `r`: one atom next to each of `targets`, appended.
    fn insert(
        &mut self,
        r: usize,
        rule: &InterstitialInput,
        ops: &[SymmetryOperation],
        targets: &[usize],
    ) -> Result<Vec<Insertion>, CrystalError> {
        let path = format!("interstitials[{r}]");
        if rule.species.trim().is_empty() {
            return Err(error(
                format!("{path}.species"),
                "give the species of the inserted atoms, e.g. \"Li\"",
            ));
        }
        if rule.sites.is_empty() {
            return Err(error(
                format!("{path}.sites"),
                "no candidate sites: give at least one, e.g. (label: \"Li5\", at: (0.7356, 0.25, 0.4118))",
            ));
        }
        for (k, cand) in rule.sites.iter().enumerate() {
            if cand.label.trim().is_empty() {
                return Err(error(
                    format!("{path}.sites[{k}].label"),
                    "give the candidate site a label, e.g. \"Li5\"",
                ));
            }
            if !finite3(cand.at) {
                return Err(error(
                    format!("{path}.sites[{k}].at"),
                    "the fractional coordinates must be finite numbers",
                ));
            }
        }
        // Every species present (and the inserted one) needs a minimum distance.
        let mut present: Vec<&str> = Vec::new();
        for s in self.species.iter().chain(std::iter::once(&rule.species)) {
            if !present.contains(&s.as_str()) {
                present.push(s);
            }
        }
        let missing: Vec<&str> = present
            .iter()
            .copied()
            .filter(|s| !rule.min_distance.contains_key(*s))
            .collect();
        if !missing.is_empty() {
            return Err(error(
                format!("{path}.min_distance"),
                format!(
                    "no minimum distance for {}; list every species of the structure and the inserted one, e.g. {{\"Li\": 1.6, \"O\": 1.7}}",
                    missing.join(", ")
                ),
            ));
        }
        for (name, d) in &rule.min_distance {
            if !(*d >= 0.0 && d.is_finite()) {
                return Err(error(
                    format!("{path}.min_distance[\"{name}\"]"),
                    format!("must be a distance ≥ 0 Å, got {d}"),
                ));
            }
        }
        let min_of = |s: &str| rule.min_distance[s];
        let r_max = present.iter().map(|s| min_of(s)).fold(0.0, f64::max);
        let self_min = min_of(&rule.species);

        // Candidate sites over the supercell: (index in `rule.sites`, fractional position).
        let mut unit_candidates: Vec<(usize, [f64; 3])> = Vec::new();
        for (k, cand) in rule.sites.iter().enumerate() {
            for q in expand_site(ops, [cand.at.0, cand.at.1, cand.at.2]) {
                if !unit_candidates
                    .iter()
                    .any(|(_, p)| same_fractional(*p, q, SAME_SITE_TOLERANCE))
                {
                    unit_candidates.push((k, q));
                }
            }
        }
        let mut candidates: Vec<(usize, [f64; 3])> =
            Vec::with_capacity(self.cell_indices.len() * unit_candidates.len());
        for n in 0..self.cell_indices.len() {
            for &(k, q) in &unit_candidates {
                candidates.push((k, self.in_supercell(n, q)));
            }
        }
        // Candidates too close to an atom present before this rule are never usable.
        let periodic = Periodic::new(&self.cell);
        // Atoms are binned by unit cell, so that each candidate looks only at the atoms within
        // r_max (the same answer as looking at all of them, in time linear in the size).
        let bins = UnitCellBins::new(&self.frac, self.input.repeat);
        let blocked: Vec<bool> = candidates
            .iter()
            .map(|&(_, q)| {
                bins.any_near(q, r_max, &periodic.widths, |i| {
                    periodic
                        .distance_below(self.frac[i], q, r_max)
                        .is_some_and(|d| d < min_of(&self.species[i]))
                })
            })
            .collect();
        let n_blocked = blocked.iter().filter(|b| **b).count();
        // Candidates are searched within a radius that doubles until the choice below is
        // settled inside it (or the radius covers the whole supercell).
        let (na, nb, nc) = self.input.repeat;
        let unit_width = (0..3)
            .map(|k| periodic.widths[k] / [na, nb, nc][k] as f64)
            .fold(0.0, f64::max);
        let whole = (0..3)
            .map(|k| {
                let v = self.cell.vector(k);
                (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
            })
            .sum::<f64>();

        let mut used = vec![false; candidates.len()];
        let mut placed: Vec<(usize, Insertion)> = Vec::new(); // (candidate, insertion)
        for &target in targets {
            let t = self.frac[target];
            let free = |n: usize| {
                let q = candidates[n].1;
                placed.iter().all(|(m, _)| {
                    periodic
                        .distance_below(candidates[*m].1, q, self_min)
                        .is_none()
                })
            };
            let mut radius = unit_width.max(r_max);
            let pick = loop {
                let all = radius >= whole;
                let limit = if all { f64::INFINITY } else { radius };
                let mut order: Vec<(f64, usize)> = candidates
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| !blocked[*n] && !used[*n])
                    .filter_map(|(n, &(_, q))| periodic.distance_below(t, q, limit).map(|d| (d, n)))
                    .collect();
                order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                match closest_free(&order, free) {
                    (pick, true) => break pick,
                    (pick, false) if all => break pick,
                    _ => radius *= 2.0,
                }
            };
            if let Some((distance, n)) = pick {
                used[n] = true;
                let atom = self.frac.len() + placed.len();
                placed.push((
                    n,
                    Insertion {
                        atom,
                        compensates: target,
                        distance,
                    },
                ));
            }
        }
        if placed.len() < targets.len() {
            return Err(error(
                path,
                format!(
                    "placed only {} of {} {} atoms: for {} substituted atom(s) no free candidate site was left. Of the {} candidate sites in the supercell, {n_blocked} are closer than min_distance to an atom of the structure, {} were taken, and the others are too close to an inserted atom; add candidate sites, lower min_distance, or substitute fewer atoms",
                    placed.len(),
                    targets.len(),
                    rule.species,
                    targets.len() - placed.len(),
                    candidates.len(),
                    placed.len(),
                ),
            ));
        }
        let mut insertions = Vec::with_capacity(placed.len());
        for (n, insertion) in placed {
            let (k, q) = candidates[n];
            self.frac.push(q);
            self.species.push(rule.species.clone());
            self.labels.push(rule.sites[k].label.clone());
            insertions.push(insertion);
        }
        Ok(insertions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binned search finds exactly the atoms a search over all atoms finds.
    #[test]
    fn unit_cell_bins_find_every_near_atom() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut u = || rng.next_u64() as f64 / u64::MAX as f64;
        let repeat = (4, 3, 5);
        let cell =
            Cell::from_parameters(4.0 * 5.1, 3.0 * 6.3, 5.0 * 4.7, 80.0, 95.0, 110.0).unwrap();
        let periodic = Periodic::new(&cell);
        let atoms: Vec<[f64; 3]> = (0..400).map(|_| [u(), u(), u()]).collect();
        let bins = UnitCellBins::new(&atoms, repeat);
        for _ in 0..300 {
            let q = [u(), u(), u()];
            for r in [0.5, 1.7, 3.0, 9.0, 40.0] {
                let mut found = Vec::new();
                bins.any_near(q, r, &periodic.widths, |i| {
                    if periodic.distance_below(atoms[i], q, r).is_some() {
                        found.push(i);
                    }
                    false
                });
                found.sort_unstable();
                let all: Vec<usize> = (0..atoms.len())
                    .filter(|&i| periodic.distance_below(atoms[i], q, r).is_some())
                    .collect();
                assert_eq!(found, all, "q = {q:?}, r = {r}");
            }
        }
    }
}
