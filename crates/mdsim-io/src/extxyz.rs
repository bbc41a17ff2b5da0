//! Extended XYZ reader, following the specification (libAtoms/extxyz, README "Extended XYZ
//! specification") and what ASE's `ase.io.extxyz` reads and writes.
//!
//! A file is one or more frames; a frame is a line with the number of atoms N, a comment line
//! of `key=value` pairs, and N atom lines whose columns the `Properties` key describes.
//!
//! What is accepted, and how it is read:
//! * Text: UTF-8 (a leading byte-order mark is skipped), LF, CRLF or CR line ends, spaces and
//!   tabs, trailing spaces, blank lines at the end. Invalid UTF-8 bytes are replaced (they
//!   can only matter inside a value, which then fails to parse with the text shown).
//! * Comment line: `key=value` pairs separated by whitespace, with optional spaces around `=`.
//!   Keys are bare words or double-quoted strings; a key without `=` means `key=T` (ASE).
//!   Values are bare words, `"…"` or `'…'` strings (backslash escapes `\"`, `\\`, `\n`),
//!   `{…}` lists (old style, whitespace- or comma-separated), or `[…]` lists, one- or
//!   two-dimensional (`[1, 2]`, `[[1, 0, 0], [0, 1, 0], [0, 0, 1]]`). The elements of a
//!   value are typed together: all integers, else all numbers (reals; `1.5d0` is 1.5), else all
//!   booleans (`T`, `F`, `true`, `false`, `True`, `False`, `TRUE`, `FALSE`), else strings.
//! * `Properties=name:type:count:…` with types `S`, `R`, `I`, `L` (string, real, integer,
//!   logical); default `species:S:1:pos:R:3`, as in ASE. Every atom line must have exactly the
//!   declared number of columns.
//!
//! The meaning of keys and columns (cell, periodicity, velocities, masses, charges) is left to
//! the caller ([`crate::structure`]); this module only reads text into typed values.

use std::fmt;

/// A read problem with its 1-based line number. The message shows what was found.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct XyzError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> XyzError {
    XyzError {
        line,
        message: message.into(),
    }
}

/// The typed elements of a value or a column.
#[derive(Clone, Debug, PartialEq)]
pub enum Items {
    Int(Vec<i64>),
    Real(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

impl Items {
    pub fn len(&self) -> usize {
        match self {
            Items::Int(v) => v.len(),
            Items::Real(v) => v.len(),
            Items::Bool(v) => v.len(),
            Items::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numbers, integers included.
    pub fn reals(&self) -> Option<Vec<f64>> {
        match self {
            Items::Int(v) => Some(v.iter().map(|&x| x as f64).collect()),
            Items::Real(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// A value of the comment line: its text as written (for messages), its elements, and its
/// shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The value as written, quotes and brackets included.
    pub text: String,
    pub items: Items,
    /// `None` for a scalar or a one-dimensional list; `Some(rows)` for `[[…], …]`.
    pub rows: Option<usize>,
}

impl Value {
    /// The value as one string (a string value, or the text of any other value).
    pub fn as_str(&self) -> String {
        match &self.items {
            Items::Str(v) if v.len() == 1 => v[0].clone(),
            _ => self.text.clone(),
        }
    }
}

/// The type letter of a `Properties` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Str,
    Real,
    Int,
    Logical,
}

impl ColumnType {
    fn letter(self) -> char {
        match self {
            ColumnType::Str => 'S',
            ColumnType::Real => 'R',
            ColumnType::Int => 'I',
            ColumnType::Logical => 'L',
        }
    }
}

/// One property of the atom lines: `count` consecutive columns of one type. `values` holds
/// N·count items, atom after atom.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
    pub count: usize,
    pub values: Items,
}

impl Column {
    /// Real values (integers converted) as N vectors of 3, for a column of count 3.
    pub fn vec3(&self) -> Option<Vec<[f64; 3]>> {
        if self.count != 3 {
            return None;
        }
        let r = self.values.reals()?;
        Some(r.chunks(3).map(|c| [c[0], c[1], c[2]]).collect())
    }

    /// Real values (integers converted), for a column of count 1.
    pub fn scalars(&self) -> Option<Vec<f64>> {
        (self.count == 1).then(|| self.values.reals()).flatten()
    }

    /// `name:T:count`, as in `Properties`.
    pub fn spec(&self) -> String {
        format!("{}:{}:{}", self.name, self.kind.letter(), self.count)
    }
}

/// One frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Index of the frame in the file (from 0) and number of frames in the file.
    pub index: usize,
    pub count: usize,
    /// Line number of the frame's atom-count line (1-based); the comment line follows.
    pub first_line: usize,
    /// Key–value pairs of the comment line, in order (a repeated key keeps its last value).
    pub info: Vec<(String, Value)>,
    /// The columns of the atom lines, in the order of `Properties`.
    pub columns: Vec<Column>,
    /// Number of atoms.
    pub natoms: usize,
}

impl Frame {
    /// The value of a key of the comment line, matched exactly.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.info
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The value of a key, matched without regard to case, with the key as written.
    pub fn get_ignore_case(&self, key: &str) -> Option<(&str, &Value)> {
        self.info
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(k, v)| (k.as_str(), v))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The one column of `names` (alternative names of one quantity) the frame has:
    /// `Ok(None)` when none, `Err(message)` when several (which to use would be a guess).
    pub fn one_of<'a>(&self, names: &[&'a str]) -> Result<Option<&'a str>, String> {
        let present: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.column(n).is_some())
            .collect();
        if present.len() > 1 {
            return Err(format!(
                "Properties has the columns {}, which mean the same; keep one",
                present.join(" and ")
            ));
        }
        Ok(present.first().copied())
    }

    /// `Properties` as in the file (or the default).
    pub fn properties(&self) -> String {
        self.columns
            .iter()
            .map(Column::spec)
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The line number of atom `i` (from 0).
    pub fn atom_line(&self, i: usize) -> usize {
        self.first_line + 2 + i
    }
}

impl Frame {
    fn comment_error(&self, message: String) -> XyzError {
        err(self.first_line + 1, message)
    }

    /// The cell vectors a, b, c (rows, Å) from `Lattice` (key matched without regard to
    /// case): nine numbers in any list notation, or a 3×3 list whose rows are a, b, c.
    pub fn lattice(&self) -> Result<[[f64; 3]; 3], XyzError> {
        let Some((key, v)) = self.get_ignore_case("Lattice") else {
            let keys: Vec<&str> = self.info.iter().map(|(k, _)| k.as_str()).collect();
            return Err(self.comment_error(format!(
                "no Lattice=\"ax ay az bx by bz cx cy cz\" on the comment line (keys found: {}); mdsim needs the periodic cell",
                if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
            )));
        };
        let numbers = v.items.reals();
        match (&numbers, v.rows) {
            (Some(l), None | Some(3)) if l.len() == 9 => {
                Ok([[l[0], l[1], l[2]], [l[3], l[4], l[5]], [l[6], l[7], l[8]]])
            }
            (Some(l), _) => Err(self.comment_error(format!(
                "{key}={}: found {} numbers{}; the cell needs nine, the vectors a, b, c one after the other (\"ax ay az bx by bz cx cy cz\" or [[ax, ay, az], [bx, by, bz], [cx, cy, cz]])",
                v.text,
                l.len(),
                v.rows.map(|r| format!(" in {r} rows")).unwrap_or_default()
            ))),
            (None, _) => Err(self.comment_error(format!(
                "{key}={}: not a list of numbers; write the nine components of a, b, c, e.g. Lattice=\"5 0 0 0 5 0 0 0 5\"",
                v.text
            ))),
        }
    }

    /// Checks `pbc` (default: periodic when there is a Lattice, as in ASE): mdsim needs a
    /// cell periodic along a, b and c.
    pub fn check_periodic(&self) -> Result<(), XyzError> {
        let Some((key, v)) = self.get_ignore_case("pbc") else {
            return Ok(());
        };
        let flags = match &v.items {
            Items::Bool(b) if b.len() == 3 => b.clone(),
            Items::Bool(b) if b.len() == 1 => vec![b[0]; 3],
            _ => {
                return Err(self.comment_error(format!(
                    "{key}={}: expected three logicals (T or F) for the directions a, b, c",
                    v.text
                )))
            }
        };
        let open: Vec<&str> = ["a", "b", "c"]
            .into_iter()
            .zip(&flags)
            .filter(|(_, &p)| !p)
            .map(|(d, _)| d)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        Err(self.comment_error(format!(
            "{key}={}: the cell is not periodic along {}; mdsim simulates fully periodic cells only. For a slab or a molecule, put enough vacuum into the cell and write pbc=\"T T T\"",
            v.text,
            open.join(" and ")
        )))
    }

    /// A column that must have a given type and count, if present.
    fn typed(
        &self,
        name: &str,
        kind: ColumnType,
        count: usize,
    ) -> Result<Option<&Column>, XyzError> {
        match self.column(name) {
            Some(c) if c.kind == kind && c.count == count => Ok(Some(c)),
            Some(c) => Err(self.comment_error(format!(
                "Properties: the column `{}` must be {name}:{kind}:{count}",
                c.spec()
            ))),
            None => Ok(None),
        }
    }

    /// The species of the atoms, from the `species` column, or from `Z` (atomic numbers)
    /// when there is none (as ASE). With both, they must name the same elements.
    pub fn species(&self) -> Result<Vec<String>, XyzError> {
        let species = self.typed("species", ColumnType::Str, 1)?;
        let z = self.typed("Z", ColumnType::Int, 1)?;
        let numbers = match z.map(|c| &c.values) {
            Some(Items::Int(v)) => Some(v),
            _ => None,
        };
        match (species.map(|c| &c.values), numbers) {
            (Some(Items::Str(names)), numbers) => {
                if let Some(numbers) = numbers {
                    for (i, (name, &z)) in names.iter().zip(numbers).enumerate() {
                        let known = crate::elements::atomic_number(name);
                        if known.is_some_and(|k| k as i64 != z) {
                            return Err(err(self.atom_line(i), format!(
                                "species `{name}` and Z = {z} disagree (the element {name} has Z = {})",
                                known.unwrap_or(0)
                            )));
                        }
                    }
                }
                Ok(names.clone())
            }
            (_, Some(numbers)) => numbers
                .iter()
                .enumerate()
                .map(|(i, &z)| {
                    usize::try_from(z)
                        .ok()
                        .filter(|&z| (1..crate::elements::SYMBOLS.len()).contains(&z))
                        .map(|z| crate::elements::SYMBOLS[z].to_string())
                        .ok_or_else(|| {
                            err(
                                self.atom_line(i),
                                format!("Z = {z} is not an atomic number (1 … 118)"),
                            )
                        })
                })
                .collect(),
            _ => Err(self.comment_error(format!(
                "Properties={} has no species:S:1 (or Z:I:1) column",
                self.properties()
            ))),
        }
    }

    /// Cartesian positions (Å) from the `pos:R:3` column; every one finite.
    pub fn positions(&self) -> Result<Vec<[f64; 3]>, XyzError> {
        let pos = self.typed("pos", ColumnType::Real, 3)?.ok_or_else(|| {
            self.comment_error(format!(
                "Properties={} has no pos:R:3 column",
                self.properties()
            ))
        })?;
        let v = pos.vec3().unwrap_or_default();
        self.check_finite(&v, "pos")?;
        Ok(v)
    }

    /// A real column of count 3 (e.g. `velo`, `momenta`), if present; every value finite.
    pub fn vectors(&self, name: &str) -> Result<Option<Vec<[f64; 3]>>, XyzError> {
        let Some(c) = self.typed(name, ColumnType::Real, 3)? else {
            return Ok(None);
        };
        let v = c.vec3().unwrap_or_default();
        self.check_finite(&v, name)?;
        Ok(Some(v))
    }

    /// A real column of count 1 (e.g. `masses`), if present; every value finite.
    pub fn scalars(&self, name: &str) -> Result<Option<Vec<f64>>, XyzError> {
        let Some(c) = self.typed(name, ColumnType::Real, 1)? else {
            return Ok(None);
        };
        let v = c.scalars().unwrap_or_default();
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(err(self.atom_line(i), format!("`{name}` is not finite")));
        }
        Ok(Some(v))
    }

    fn check_finite(&self, v: &[[f64; 3]], name: &str) -> Result<(), XyzError> {
        match v.iter().position(|x| x.iter().any(|c| !c.is_finite())) {
            Some(i) => Err(err(
                self.atom_line(i),
                format!("`{name}` is not finite: {:?}", v[i]),
            )),
            None => Ok(()),
        }
    }
}

/// Which frame to read: `Some(k)`, k ≥ 0, is frame k from the start; k < 0 counts from the
/// end (−1 is the last, as in ASE's `index`). `None` is the last frame, as `ase.io.read`.
pub type FrameChoice = Option<i64>;

/// Decodes file bytes: skips a UTF-8 byte-order mark, refuses UTF-16 (with a clear message),
/// and replaces invalid UTF-8.
pub fn decode(bytes: &[u8]) -> Result<String, XyzError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(err(
            1,
            "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 or ASCII",
        ));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// The lines of a text, whatever its line ends (LF, CRLF or CR).
pub fn lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                out.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                out.push(rest);
                break;
            }
        }
    }
    out
}

/// Reads one frame of an extended XYZ text (see [`FrameChoice`]).
pub fn read_frame(text: &str, choice: FrameChoice) -> Result<Frame, XyzError> {
    let lines = lines(text);
    let starts = frame_starts(&lines)?;
    let count = starts.len();
    let index = match choice {
        None => count - 1,
        Some(k) if k >= 0 && (k as usize) < count => k as usize,
        Some(k) if k < 0 && k.unsigned_abs() as usize <= count => count - k.unsigned_abs() as usize,
        Some(k) => {
            return Err(err(
                1,
                format!(
                    "frame {k} does not exist: the file has {count} frame(s) (frame: 0 … {}, or −1 … −{count} from the end)",
                    count - 1
                ),
            ))
        }
    };
    let mut frame = parse_frame(&lines, starts[index])?;
    frame.index = index;
    frame.count = count;
    Ok(frame)
}

/// The line index (from 0) of each frame's count line. Checks the counts and that the file
/// holds all the atom lines each frame declares; blank lines may only end the file.
fn frame_starts(lines: &[&str]) -> Result<Vec<usize>, XyzError> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            if let Some(j) = (i..lines.len()).find(|&j| !lines[j].trim().is_empty()) {
                return Err(err(
                    i + 1,
                    format!(
                        "blank line between frames (line {} holds `{}`); frames must follow each other without blank lines",
                        j + 1,
                        shorten(lines[j])
                    ),
                ));
            }
            break;
        }
        let n = atom_count(lines[i], i + 1)?;
        if lines.len() < i + 2 {
            return Err(err(
                i + 2,
                format!("the file ends after the atom count on line {}; a comment line (with Lattice=\"…\") and the atom lines must follow", i + 1),
            ));
        }
        let available = lines.len() - (i + 2);
        if n > available {
            let found = lines[(i + 2).min(lines.len())..]
                .iter()
                .take(n)
                .take_while(|l| !l.trim().is_empty())
                .count();
            let which = if starts.is_empty() {
                String::new()
            } else {
                format!(" (frame {})", starts.len())
            };
            return Err(err(
                (i + 3 + found).min(lines.len() + 1),
                format!(
                    "the file ends after {found} of the {n} atoms announced on line {}{which}",
                    i + 1
                ),
            ));
        }
        starts.push(i);
        i += 2 + n;
    }
    if starts.is_empty() {
        return Err(err(1, "the file is empty"));
    }
    Ok(starts)
}

fn atom_count(line: &str, line_no: usize) -> Result<usize, XyzError> {
    let t = line.trim();
    t.strip_prefix('+').unwrap_or(t).parse().map_err(|_| {
        err(
            line_no,
            format!(
                "expected the number of atoms of a frame, found `{}`",
                shorten(t)
            ),
        )
    })
}

/// A line cut to a readable length for messages.
fn shorten(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

fn parse_frame(lines: &[&str], start: usize) -> Result<Frame, XyzError> {
    let natoms = atom_count(lines[start], start + 1)?;
    let comment_line = start + 2;
    let info = parse_comment(lines[start + 1]).map_err(|m| err(comment_line, m))?;
    let properties = info
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case("Properties"))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| "species:S:1:pos:R:3".to_string());
    let specs = parse_properties(&properties).map_err(|m| err(comment_line, m))?;
    let width: usize = specs.iter().map(|s| s.2).sum();
    let mut raw: Vec<Vec<&str>> = vec![Vec::with_capacity(natoms); specs.len()];
    for a in 0..natoms {
        let line_no = start + 3 + a;
        let fields: Vec<&str> = lines[start + 2 + a].split_whitespace().collect();
        if fields.len() != width {
            return Err(err(
                line_no,
                format!(
                    "expected {width} columns ({properties}), found {}: `{}`",
                    fields.len(),
                    shorten(lines[start + 2 + a])
                ),
            ));
        }
        let mut c = 0;
        for (k, spec) in specs.iter().enumerate() {
            raw[k].extend_from_slice(&fields[c..c + spec.2]);
            c += spec.2;
        }
    }
    let mut columns = Vec::with_capacity(specs.len());
    for ((name, kind, count), tokens) in specs.into_iter().zip(raw) {
        let values = typed_column(&tokens, kind).map_err(|(i, t)| {
            let atom = i / count;
            let what = match kind {
                ColumnType::Real => "a number",
                ColumnType::Int => "an integer",
                ColumnType::Logical => "T or F",
                ColumnType::Str => "a string",
            };
            let index = if count > 1 {
                format!("[{}]", i % count)
            } else {
                String::new()
            };
            err(
                start + 3 + atom,
                format!("column `{name}{index}` must be {what}, found `{t}`"),
            )
        })?;
        columns.push(Column {
            name,
            kind,
            count,
            values,
        });
    }
    Ok(Frame {
        index: 0,
        count: 1,
        first_line: start + 1,
        info,
        columns,
        natoms,
    })
}

/// `name:T:count` triplets.
fn parse_properties(text: &str) -> Result<Vec<(String, ColumnType, usize)>, String> {
    let fields: Vec<&str> = text.split(':').collect();
    if !fields.len().is_multiple_of(3) || text.trim().is_empty() {
        return Err(format!(
            "Properties must be name:type:count triplets (e.g. species:S:1:pos:R:3), found `{text}` ({} fields)",
            fields.len()
        ));
    }
    let mut out: Vec<(String, ColumnType, usize)> = Vec::new();
    for t in fields.chunks(3) {
        let triplet = t.join(":");
        let kind = match t[1] {
            "S" => ColumnType::Str,
            "R" => ColumnType::Real,
            "I" => ColumnType::Int,
            "L" => ColumnType::Logical,
            other => {
                return Err(format!(
                    "Properties: `{triplet}` has type `{other}`; the types are S (string), R (real), I (integer) and L (logical)"
                ))
            }
        };
        let count = match t[2].parse::<usize>() {
            Ok(c) if c > 0 => c,
            _ => {
                return Err(format!(
                    "Properties: `{triplet}` has count `{}`; the count of columns must be a positive integer",
                    t[2]
                ))
            }
        };
        if t[0].is_empty() {
            return Err(format!("Properties: `{triplet}` has no name"));
        }
        if out.iter().any(|(n, _, _)| n == t[0]) {
            return Err(format!(
                "Properties: the column `{}` is declared twice in `{text}`",
                t[0]
            ));
        }
        out.push((t[0].to_string(), kind, count));
    }
    Ok(out)
}

/// Parses tokens of one column type; on failure, the index and text of the bad token.
fn typed_column(tokens: &[&str], kind: ColumnType) -> Result<Items, (usize, String)> {
    let fail = |i: usize| (i, tokens[i].to_string());
    Ok(match kind {
        ColumnType::Str => Items::Str(tokens.iter().map(|s| s.to_string()).collect()),
        ColumnType::Real => Items::Real(
            tokens
                .iter()
                .enumerate()
                .map(|(i, t)| parse_real(t).ok_or_else(|| fail(i)))
                .collect::<Result<_, _>>()?,
        ),
        ColumnType::Int => Items::Int(
            tokens
                .iter()
                .enumerate()
                .map(|(i, t)| parse_int(t).ok_or_else(|| fail(i)))
                .collect::<Result<_, _>>()?,
        ),
        ColumnType::Logical => Items::Bool(
            tokens
                .iter()
                .enumerate()
                .map(|(i, t)| parse_bool(t).ok_or_else(|| fail(i)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// An integer: optional sign and decimal digits.
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A real number as the specification writes it: optional sign, digits with an optional
/// decimal point, optional exponent `e`, `E`, `d` or `D` (Fortran). Not `inf` or `nan`.
pub fn parse_real(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(b.first().is_some_and(|&c| c == b'+' || c == b'-'));
    let mantissa_start = i;
    let mut digits = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        digits += usize::from(b[i].is_ascii_digit());
        i += 1;
    }
    let mantissa = &s[mantissa_start..i];
    if digits == 0 || mantissa.matches('.').count() > 1 {
        return None;
    }
    let mut text = s[..i].to_string();
    if i < b.len() {
        if !matches!(b[i], b'e' | b'E' | b'd' | b'D') {
            return None;
        }
        let exp = &s[i + 1..];
        parse_int(exp)?;
        text.push('e');
        text.push_str(exp);
    }
    text.parse().ok()
}

/// A logical: T, F, true, false, True, False, TRUE, FALSE.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "T" | "true" | "True" | "TRUE" => Some(true),
        "F" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Types a list of elements together: all integers, else all reals, else all booleans,
/// else strings. Quoted elements are always strings.
fn type_items(elements: &[(String, bool)]) -> Items {
    let bare = elements.iter().all(|(_, quoted)| !quoted);
    let texts = || elements.iter().map(|(t, _)| t.as_str());
    if bare {
        if let Some(v) = texts().map(parse_int).collect::<Option<Vec<_>>>() {
            return Items::Int(v);
        }
        if let Some(v) = texts().map(parse_real).collect::<Option<Vec<_>>>() {
            return Items::Real(v);
        }
        if let Some(v) = texts().map(parse_bool).collect::<Option<Vec<_>>>() {
            return Items::Bool(v);
        }
    }
    Items::Str(texts().map(str::to_string).collect())
}

/// The comment line as key–value pairs. The error says where and what was found.
pub fn parse_comment(line: &str) -> Result<Vec<(String, Value)>, String> {
    let mut p = Cursor {
        chars: line.chars().collect(),
        pos: 0,
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    loop {
        p.skip_ws();
        if p.done() {
            break;
        }
        let key_start = p.pos;
        let key = if p.peek() == Some('"') {
            p.quoted('"')?
        } else {
            p.bare_key()
        };
        if key.is_empty() {
            return Err(format!(
                "expected a key at column {}, found `{}`",
                key_start + 1,
                p.rest()
            ));
        }
        p.skip_ws();
        let value = if p.peek() == Some('=') {
            p.pos += 1;
            p.skip_ws();
            if p.done() {
                return Err(format!("the key `{key}` has `=` but no value"));
            }
            p.value()
                .map_err(|m| format!("value of `{key}`: {m} (in `{}`)", shorten(line)))?
        } else {
            Value {
                text: String::new(),
                items: Items::Bool(vec![true]),
                rows: None,
            }
        };
        out.retain(|(k, _)| k != &key);
        out.push((key, value));
    }
    Ok(out)
}

/// A character cursor over the comment line.
struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn done(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn rest(&self) -> String {
        shorten(&self.chars[self.pos..].iter().collect::<String>())
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn text_from(&self, start: usize) -> String {
        self.chars[start..self.pos].iter().collect()
    }

    /// A bare key: up to whitespace or `=`.
    fn bare_key(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| !c.is_whitespace() && c != '=') {
            self.pos += 1;
        }
        self.text_from(start)
    }

    /// A quoted string starting at the opening quote; escapes resolved.
    fn quoted(&mut self, close: char) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => match self.peek() {
                    Some('n') => {
                        s.push('\n');
                        self.pos += 1;
                    }
                    Some(e) => {
                        s.push(e);
                        self.pos += 1;
                    }
                    None => break,
                },
                c if c == close => return Ok(s),
                c => s.push(c),
            }
        }
        Err(format!(
            "the quote opened at column {} is never closed: `{}`",
            start + 1,
            shorten(&self.chars[start..].iter().collect::<String>())
        ))
    }

    fn value(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let (items, rows) = match self.peek() {
            Some(q @ ('"' | '\'')) => {
                let s = self.quoted(q)?;
                (string_or_list(&s), None)
            }
            Some('{') => {
                let end = self.chars[self.pos..]
                    .iter()
                    .position(|&c| c == '}')
                    .ok_or_else(|| {
                        format!("`{{` at column {} is never closed by `}}`", start + 1)
                    })?;
                let inner: String = self.chars[self.pos + 1..self.pos + end].iter().collect();
                self.pos += end + 1;
                (list_items(&inner), None)
            }
            Some('[') => self.bracket_value()?,
            _ => {
                while self.peek().is_some_and(|c| !c.is_whitespace()) {
                    self.pos += 1;
                }
                let s = self.text_from(start);
                (type_items(&[(s, false)]), None)
            }
        };
        Ok(Value {
            text: self.text_from(start),
            items,
            rows,
        })
    }

    /// `[a, b, …]` or `[[…], […], …]`.
    fn bracket_value(&mut self) -> Result<(Items, Option<usize>), String> {
        let start = self.pos;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some('[') {
            let mut rows: Vec<Vec<(String, bool)>> = Vec::new();
            loop {
                self.skip_ws();
                if self.peek() != Some('[') {
                    return Err(format!(
                        "expected `[` of a row at column {}, found `{}`",
                        self.pos + 1,
                        self.rest()
                    ));
                }
                self.pos += 1;
                rows.push(self.list_elements()?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(format!(
                            "the list opened at column {} is not closed: `{}`",
                            start + 1,
                            self.text_from(start)
                        ))
                    }
                }
            }
            let width = rows[0].len();
            if let Some(r) = rows.iter().position(|r| r.len() != width) {
                return Err(format!(
                    "the rows of `{}` differ in length (row 1 has {width} elements, row {} has {})",
                    self.text_from(start),
                    r + 1,
                    rows[r].len()
                ));
            }
            let n = rows.len();
            let flat: Vec<(String, bool)> = rows.into_iter().flatten().collect();
            Ok((type_items(&flat), Some(n)))
        } else {
            Ok((type_items(&self.list_elements()?), None))
        }
    }

    /// Elements up to and including the closing `]`, comma-separated.
    fn list_elements(&mut self) -> Result<Vec<(String, bool)>, String> {
        let open = self.pos - 1;
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(']') if out.is_empty() => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('"') => out.push((self.quoted('"')?, true)),
                Some(_) => {
                    let s = self.pos;
                    while self
                        .peek()
                        .is_some_and(|c| !c.is_whitespace() && c != ',' && c != ']')
                    {
                        self.pos += 1;
                    }
                    out.push((self.text_from(s), false));
                }
                None => return Err(format!("`[` at column {} is never closed by `]`", open + 1)),
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `]` at column {}, found `{}`",
                        self.pos + 1,
                        self.rest()
                    ))
                }
            }
        }
    }
}

/// A quoted string: a list of numbers or booleans when every word is one (the old-style
/// array, as ASE and the specification read it), else the string itself.
fn string_or_list(s: &str) -> Items {
    let words = split_list(s);
    match type_items(&words) {
        Items::Str(_) => Items::Str(vec![s.to_string()]),
        typed if !words.is_empty() => typed,
        _ => Items::Str(vec![s.to_string()]),
    }
}

/// `{…}` contents: whitespace- or comma-separated elements.
fn list_items(s: &str) -> Items {
    type_items(&split_list(s))
}

fn split_list(s: &str) -> Vec<(String, bool)> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| (w.to_string(), false))
        .collect()
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(line: &str) -> Vec<(String, Value)> {
        parse_comment(line).unwrap()
    }

    fn reals(v: &Value) -> Vec<f64> {
        v.items.reals().unwrap()
    }

    #[test]
    fn lattice_in_every_notation() {
        let nine = vec![5.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 7.0];
        for line in [
            "Lattice=\"5 0 0 0 6 0 0 0 7\"",
            "Lattice = \"5 0 0 0 6 0 0 0 7\"",
            "Lattice='5 0 0 0 6 0 0 0 7'",
            "Lattice={5 0 0 0 6 0 0 0 7}",
            "Lattice=[5, 0, 0, 0, 6, 0, 0, 0, 7]",
            "Lattice=[[5, 0, 0], [0, 6, 0], [0, 0, 7]]",
            "Lattice=[[5,0,0],[0,6,0],[0,0,7]]",
            "Lattice=\"5.0d0 0 0 0 6.0E+00 0 0 0 7.\"",
            "\tLattice\t=\t\"5 0 0 0 6 0 0 0 7\"   ",
        ] {
            let v = kv(line);
            assert_eq!(v.len(), 1, "{line}");
            assert_eq!(v[0].0, "Lattice");
            assert_eq!(reals(&v[0].1), nine, "{line}");
        }
        assert_eq!(kv("Lattice=[[5,0,0],[0,6,0],[0,0,7]]")[0].1.rows, Some(3));
    }

    #[test]
    fn scalars_strings_and_flags() {
        let v = kv(r#"a=1 b=2.5 c=T d="hello world" e="say \"hi\"" f g=False "h k"=x pbc="T T F""#);
        let get = |k: &str| &v.iter().find(|(key, _)| key == k).unwrap().1;
        assert_eq!(get("a").items, Items::Int(vec![1]));
        assert_eq!(get("b").items, Items::Real(vec![2.5]));
        assert_eq!(get("c").items, Items::Bool(vec![true]));
        assert_eq!(get("d").as_str(), "hello world");
        assert_eq!(get("e").as_str(), "say \"hi\"");
        assert_eq!(get("f").items, Items::Bool(vec![true]));
        assert_eq!(get("g").items, Items::Bool(vec![false]));
        assert_eq!(get("h k").as_str(), "x");
        assert_eq!(get("pbc").items, Items::Bool(vec![true, true, false]));
        assert_eq!(kv("pbc=[T, T, T]")[0].1.items, Items::Bool(vec![true; 3]));
        assert_eq!(
            kv("Properties=species:S:1:pos:R:3")[0].1.as_str(),
            "species:S:1:pos:R:3"
        );
    }

    #[test]
    fn comment_errors_show_what_was_found() {
        let e = parse_comment("Lattice=\"5 0 0 0 5 0 0 0 5").unwrap_err();
        assert!(e.contains("never closed") && e.contains("5 0 0"), "{e}");
        let e = parse_comment("Lattice=[[5,0,0],[0,5,0],[0,0]]").unwrap_err();
        assert!(e.contains("differ in length"), "{e}");
        let e = parse_comment("Lattice=").unwrap_err();
        assert!(e.contains("no value"), "{e}");
    }

    #[test]
    fn numbers_as_the_specification_writes_them() {
        assert_eq!(parse_real("1.5d-1"), Some(0.15));
        assert_eq!(parse_real("-.5"), Some(-0.5));
        assert_eq!(parse_real("5."), Some(5.0));
        assert_eq!(parse_real("+1E2"), Some(100.0));
        for bad in ["inf", "nan", "1.2.3", "e5", "1e", "", "-", "0x10", "1,5"] {
            assert_eq!(parse_real(bad), None, "{bad}");
        }
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("1.0"), None);
    }

    #[test]
    fn line_ends_bom_and_blank_tail() {
        let body = "2\nLattice=\"5 0 0 0 5 0 0 0 5\"\nAr 0 0 0\nAr\t1 1 1   \n\n  \n";
        for text in [
            body.to_string(),
            body.replace('\n', "\r\n"),
            body.replace('\n', "\r"),
            format!("\u{feff}{body}"),
        ] {
            let f = read_frame(&text, None).unwrap();
            assert_eq!(f.natoms, 2);
            assert_eq!(f.column("pos").unwrap().vec3().unwrap()[1], [1.0, 1.0, 1.0]);
        }
        let bytes = [&[0xEF, 0xBB, 0xBF][..], body.as_bytes()].concat();
        assert_eq!(decode(&bytes).unwrap(), body);
        assert!(decode(&[0xFF, 0xFE, b'2', 0])
            .unwrap_err()
            .message
            .contains("UTF-16"));
    }

    #[test]
    fn frames_are_chosen_like_ase() {
        let frame = |x: f64| format!("1\nLattice=\"5 0 0 0 5 0 0 0 5\"\nAr {x} 0 0\n");
        let text = format!("{}{}{}", frame(1.0), frame(2.0), frame(3.0));
        let x = |c: FrameChoice| {
            let f = read_frame(&text, c).unwrap();
            (f.index, f.column("pos").unwrap().vec3().unwrap()[0][0])
        };
        assert_eq!(x(None), (2, 3.0));
        assert_eq!(x(Some(0)), (0, 1.0));
        assert_eq!(x(Some(-3)), (0, 1.0));
        assert_eq!(x(Some(1)), (1, 2.0));
        let e = read_frame(&text, Some(3)).unwrap_err();
        assert!(e.message.contains("3 frame"), "{e}");
        // A blank line between frames is refused, naming both lines.
        let gap = format!("{}\n{}", frame(1.0), frame(2.0));
        let e = read_frame(&gap, None).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("line 5"), "{e}");
    }

    #[test]
    fn atom_lines_are_checked_against_properties() {
        let head = "2\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3:tag:I:1\n";
        let e = read_frame(&format!("{head}Ar 0 0 0 1\nAr 1 1 1\n"), None).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("expected 5 columns") && e.message.contains("found 4"));
        let e = read_frame(&format!("{head}Ar 0 0 0 1\nAr 1 1 1 1 7\n"), None).unwrap_err();
        assert!(e.message.contains("found 6"), "{e}");
        let e = read_frame(&format!("{head}Ar 0 0 0 1\nAr 1 x 1 1\n"), None).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(
            e.message.contains("`pos[1]`") && e.message.contains("`x`"),
            "{e}"
        );
        let e = read_frame(&format!("{head}Ar 0 0 0 1\nAr 1 1 1 1.5\n"), None).unwrap_err();
        assert!(
            e.message.contains("`tag` must be an integer, found `1.5`"),
            "{e}"
        );
        let e = read_frame(&format!("{head}Ar 0 0 0 1\n"), None).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("1 of the 2 atoms"), "{e}");
        let bad = "1\nProperties=species:S:1:pos:Q:3\nAr 0 0 0\n";
        assert!(read_frame(bad, None)
            .unwrap_err()
            .message
            .contains("type `Q`"));
        let bad = "1\nProperties=species:S:1:pos:R\nAr 0 0 0\n";
        assert!(read_frame(bad, None)
            .unwrap_err()
            .message
            .contains("triplets"));
        let bad = "1\nProperties=species:S:1:pos:R:0\nAr\n";
        assert!(read_frame(bad, None)
            .unwrap_err()
            .message
            .contains("count `0`"));
    }

    #[test]
    fn all_column_types() {
        let text = "2\nProperties=species:S:1:pos:R:3:Z:I:1:move_mask:L:3:name:S:1\n\
                    Ar 0 0 0 18 T F True x\nAr 1 1 1 18 false TRUE F y\n";
        let f = read_frame(text, None).unwrap();
        assert_eq!(f.column("Z").unwrap().values, Items::Int(vec![18, 18]));
        assert_eq!(
            f.column("move_mask").unwrap().values,
            Items::Bool(vec![true, false, true, false, true, false])
        );
        assert_eq!(
            f.column("name").unwrap().values,
            Items::Str(vec!["x".into(), "y".into()])
        );
        assert_eq!(
            f.properties(),
            "species:S:1:pos:R:3:Z:I:1:move_mask:L:3:name:S:1"
        );
    }
}
