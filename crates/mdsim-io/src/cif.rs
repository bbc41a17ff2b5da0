//! CIF reader for crystal structures as Materials Project (pymatgen `CifWriter`), ICSD, ASE
//! and most crystallographic software write them (CIF 1.1 syntax), and the input section
//! `structure: Cif((file, species, repeat, substitute, interstitials))` that feeds a CIF into
//! the crystal builder ([`crate::crystal`]) in place of inline cell, symmetry and sites.
//!
//! Read from the first data block that has atom sites:
//! * the cell: `_cell_length_a/b/c` (Å), `_cell_angle_alpha/beta/gamma` (degrees);
//! * the symmetry operations: `_space_group_symop_operation_xyz` or
//!   `_symmetry_equiv_pos_as_xyz` (a loop or a single value); without them only P1 (by name
//!   `P 1` or number 1) is accepted;
//! * the sites: `_atom_site_fract_x/y/z`, `_atom_site_label`, `_atom_site_type_symbol`,
//!   `_atom_site_occupancy` (default 1).
//!
//! Syntax: comments (`#`), `'…'` and `"…"` strings, `;` text fields over several lines,
//! `loop_`, tags matched without regard to case, numbers with standard uncertainties in
//! parentheses (`0.1627(3)` is 0.1627), `.` and `?` for missing values.

use crate::crystal::{InterstitialInput, SubstitutionInput};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sites whose occupancy differs from 1 by more than this are partly occupied.
pub const OCCUPANCY_TOLERANCE: f64 = 1e-3;

/// Coordinates within this of 1/3 or 2/3 are those fractions written to four digits
/// (0.3333, 0.6667, as ICSD writes them), and are read as the exact fractions (pymatgen's
/// `CifParser` does the same): otherwise a site on a special position of a hexagonal or
/// trigonal group expands into images 1e-4 apart.
pub const THIRDS_TOLERANCE: f64 = 1e-4;

/// The exact 1/3 or 2/3 a rounded coordinate stands for, if it is one.
pub fn ideal_third(x: f64) -> Option<f64> {
    [1.0 / 3.0, 2.0 / 3.0]
        .into_iter()
        .find(|f| x != *f && (x - f).abs() <= THIRDS_TOLERANCE * (1.0 + 1e-9))
}

/// `structure: Cif((…))`: a crystal read from a CIF, repeated into a supercell, with the
/// substitutions and interstitials of [`crate::crystal::CrystalInput`].
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CifInput {
    /// The CIF, relative to the input file.
    pub file: String,
    /// Species names of the force field for the sites of the file, e.g.
    /// `{"Li+": "Li", "O2-": "O"}`. A key matches a site label (`"Li1"`), a type symbol as
    /// written (`"Li1+"`) or an element (`"Li"`), tried in that order. Sites no key matches
    /// take the element their type symbol (or else label) starts with: `Li1+` → `Li`.
    #[serde(default)]
    pub species: BTreeMap<String, String>,
    /// Number of unit cells along a, b, c (each ≥ 1).
    pub repeat: (usize, usize, usize),
    /// Random substitutions, as in `Crystal` (`site` is a site label of the CIF).
    #[serde(default)]
    pub substitute: Vec<SubstitutionInput>,
    /// Charge-compensating interstitials, as in `Crystal`.
    #[serde(default)]
    pub interstitials: Vec<InterstitialInput>,
}

/// A read problem with its 1-based line number; the message shows what was found.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct CifError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> CifError {
    CifError {
        line,
        message: message.into(),
    }
}

/// One site of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct CifSite {
    pub label: String,
    /// `_atom_site_type_symbol` as written (e.g. `Li1+`), if given.
    pub type_symbol: Option<String>,
    /// Fractional coordinates.
    pub at: [f64; 3],
    pub occupancy: f64,
    /// Line of the site in the file.
    pub line: usize,
}

/// The crystal of a CIF data block.
#[derive(Clone, Debug, PartialEq)]
pub struct CifCrystal {
    /// Name of the data block (after `data_`).
    pub block: String,
    /// (a, b, c, α, β, γ) in Å and degrees.
    pub cell: (f64, f64, f64, f64, f64, f64),
    /// The symmetry operations as written (`["x, y, z", …]`); `["x, y, z"]` for P1.
    pub symmetry: Vec<String>,
    pub sites: Vec<CifSite>,
    /// Names of other data blocks with atom sites (not read).
    pub other_blocks: Vec<String>,
}

/// A token: its text, line, and whether it was quoted (a quoted `_x` is a value, not a tag).
#[derive(Clone, Debug)]
struct Token {
    text: String,
    line: usize,
    quoted: bool,
}

fn tokenize(text: &str) -> Result<Vec<Token>, CifError> {
    let lines = crate::extxyz::lines(text);
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(first) = line.strip_prefix(';') {
            // A text field: up to a line that starts with `;`.
            let start = i;
            let mut field = vec![first];
            i += 1;
            while i < lines.len() && !lines[i].starts_with(';') {
                field.push(lines[i]);
                i += 1;
            }
            if i == lines.len() {
                return Err(err(
                    start + 1,
                    "a text field opened with `;` at the start of this line is never closed by a line starting with `;`",
                ));
            }
            tokens.push(Token {
                text: field.join("\n").trim().to_string(),
                line: start + 1,
                quoted: true,
            });
            i += 1;
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            if c.is_whitespace() {
                k += 1;
            } else if c == '#' {
                break;
            } else if c == '\'' || c == '"' {
                // The quote closes at the same quote followed by whitespace or the line end.
                let close = (k + 1..chars.len())
                    .find(|&j| chars[j] == c && chars.get(j + 1).is_none_or(|n| n.is_whitespace()));
                let Some(j) = close else {
                    return Err(err(
                        i + 1,
                        format!(
                            "the quote {c} opened here is not closed on this line: `{}`",
                            line.trim()
                        ),
                    ));
                };
                tokens.push(Token {
                    text: chars[k + 1..j].iter().collect(),
                    line: i + 1,
                    quoted: true,
                });
                k = j + 1;
            } else {
                let s = k;
                while k < chars.len() && !chars[k].is_whitespace() {
                    k += 1;
                }
                tokens.push(Token {
                    text: chars[s..k].iter().collect(),
                    line: i + 1,
                    quoted: false,
                });
            }
        }
        i += 1;
    }
    Ok(tokens)
}

/// A data block: single items and loops, tags in lower case.
#[derive(Default)]
struct Block {
    name: String,
    line: usize,
    items: BTreeMap<String, Token>,
    loops: Vec<Loop>,
}

struct Loop {
    tags: Vec<String>,
    rows: Vec<Vec<Token>>,
}

impl Block {
    /// A tag's values: one value, or a loop column.
    fn values(&self, tag: &str) -> Option<Vec<&Token>> {
        if let Some(t) = self.items.get(tag) {
            return Some(vec![t]);
        }
        self.loops.iter().find_map(|l| {
            let k = l.tags.iter().position(|t| t == tag)?;
            Some(l.rows.iter().map(|r| &r[k]).collect())
        })
    }

    fn single(&self, tag: &str) -> Option<&Token> {
        self.values(tag).and_then(|v| v.first().copied())
    }

    fn has_sites(&self) -> bool {
        self.values("_atom_site_fract_x").is_some()
    }
}

fn is_keyword(t: &Token, word: &str) -> bool {
    !t.quoted
        && t.text
            .get(..word.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
}

fn is_tag(t: &Token) -> bool {
    !t.quoted && t.text.starts_with('_')
}

fn is_reserved(t: &Token) -> bool {
    is_tag(t)
        || is_keyword(t, "loop_")
        || is_keyword(t, "data_")
        || is_keyword(t, "save_")
        || is_keyword(t, "global_")
        || is_keyword(t, "stop_")
}

fn parse_blocks(tokens: &[Token]) -> Result<Vec<Block>, CifError> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if is_keyword(t, "data_") {
            blocks.push(Block {
                name: t.text[5..].to_string(),
                line: t.line,
                ..Block::default()
            });
            i += 1;
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            return Err(err(
                t.line,
                format!(
                    "expected `data_…` before `{}`: a CIF starts its data with a data block header",
                    t.text
                ),
            ));
        };
        if is_keyword(t, "loop_") {
            let start = t.line;
            i += 1;
            let mut tags = Vec::new();
            while i < tokens.len() && is_tag(&tokens[i]) {
                tags.push(tokens[i].text.to_ascii_lowercase());
                i += 1;
            }
            if tags.is_empty() {
                return Err(err(start, "`loop_` is not followed by any tag"));
            }
            let mut values = Vec::new();
            while i < tokens.len() && !is_reserved(&tokens[i]) {
                values.push(tokens[i].clone());
                i += 1;
            }
            if !values.len().is_multiple_of(tags.len()) {
                let last = values.last().map_or(start, |v| v.line);
                return Err(err(
                    last,
                    format!(
                        "the loop starting on line {start} has {} tags ({}) but {} values, not a multiple of {}; a row is incomplete",
                        tags.len(),
                        tags.join(" "),
                        values.len(),
                        tags.len()
                    ),
                ));
            }
            let rows = values.chunks(tags.len()).map(<[Token]>::to_vec).collect();
            block.loops.push(Loop { tags, rows });
        } else if is_tag(t) {
            let value = tokens
                .get(i + 1)
                .filter(|v| !is_reserved(v))
                .ok_or_else(|| err(t.line, format!("the tag `{}` has no value", t.text)))?;
            block
                .items
                .insert(t.text.to_ascii_lowercase(), value.clone());
            i += 2;
        } else if is_keyword(t, "save_") || is_keyword(t, "global_") || is_keyword(t, "stop_") {
            i += 1;
        } else {
            return Err(err(
                t.line,
                format!("`{}` is a value without a tag", t.text),
            ));
        }
    }
    Ok(blocks)
}

/// A number, with an optional standard uncertainty in parentheses (`0.1627(3)`); `None` for
/// `.` or `?` (missing).
pub fn number(text: &str) -> Result<Option<f64>, String> {
    if text == "." || text == "?" {
        return Ok(None);
    }
    let base = match text.find('(') {
        Some(k) if text.ends_with(')') => &text[..k],
        _ => text,
    };
    match crate::extxyz::parse_real(base) {
        Some(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(format!("`{text}` is not a number")),
    }
}

/// Reads the crystal of the first data block that has atom sites.
pub fn read(text: &str) -> Result<CifCrystal, CifError> {
    let blocks = parse_blocks(&tokenize(text)?)?;
    let with_sites: Vec<&Block> = blocks.iter().filter(|b| b.has_sites()).collect();
    let Some(block) = with_sites.first() else {
        let what = if blocks.is_empty() {
            "no data block (`data_…`)".to_string()
        } else {
            format!(
                "no atom sites with fractional coordinates (_atom_site_fract_x, _y, _z) in the data block(s) {}",
                blocks
                    .iter()
                    .map(|b| format!("data_{}", b.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(err(1, format!("the file has {what}")));
    };
    Ok(CifCrystal {
        block: block.name.clone(),
        cell: cell(block)?,
        symmetry: symmetry(block)?,
        sites: sites(block)?,
        other_blocks: with_sites[1..].iter().map(|b| b.name.clone()).collect(),
    })
}

fn cell(block: &Block) -> Result<(f64, f64, f64, f64, f64, f64), CifError> {
    let get = |tag: &str, default: Option<f64>| -> Result<f64, CifError> {
        match block.single(tag) {
            Some(t) => number(&t.text)
                .map_err(|m| err(t.line, format!("{tag}: {m}")))?
                .or(default)
                .ok_or_else(|| err(t.line, format!("{tag} is `{}` (unknown)", t.text))),
            None => default.ok_or_else(|| {
                err(
                    block.line,
                    format!("the data block data_{} has no {tag}", block.name),
                )
            }),
        }
    };
    Ok((
        get("_cell_length_a", None)?,
        get("_cell_length_b", None)?,
        get("_cell_length_c", None)?,
        get("_cell_angle_alpha", Some(90.0))?,
        get("_cell_angle_beta", Some(90.0))?,
        get("_cell_angle_gamma", Some(90.0))?,
    ))
}

fn symmetry(block: &Block) -> Result<Vec<String>, CifError> {
    for tag in [
        "_space_group_symop_operation_xyz",
        "_symmetry_equiv_pos_as_xyz",
    ] {
        if let Some(ops) = block.values(tag) {
            return Ok(ops.iter().map(|t| t.text.clone()).collect());
        }
    }
    let names = [
        "_space_group_name_h-m_alt",
        "_symmetry_space_group_name_h-m",
        "_space_group_name_hall",
        "_symmetry_space_group_name_hall",
    ];
    let name = names
        .iter()
        .find_map(|t| block.single(t))
        .map(|t| t.text.replace(' ', ""));
    let number = ["_space_group_it_number", "_symmetry_int_tables_number"]
        .iter()
        .find_map(|t| block.single(t))
        .map(|t| t.text.clone());
    let p1 = matches!(name.as_deref(), Some("P1") | Some("P1(1)"))
        || (name.is_none() && number.as_deref() == Some("1"));
    if p1 || (name.is_none() && number.is_none()) {
        return Ok(vec!["x, y, z".to_string()]);
    }
    Err(err(
        block.line,
        format!(
            "the data block data_{} names its space group ({}) but does not list its symmetry operations; mdsim needs them as _space_group_symop_operation_xyz (or _symmetry_equiv_pos_as_xyz): export the CIF with its operations, or as P1 with all atoms of the cell",
            block.name,
            name.or(number).unwrap_or_default()
        ),
    ))
}

fn sites(block: &Block) -> Result<Vec<CifSite>, CifError> {
    let column = |tag: &str| block.values(tag);
    let (Some(x), Some(y), Some(z)) = (
        column("_atom_site_fract_x"),
        column("_atom_site_fract_y"),
        column("_atom_site_fract_z"),
    ) else {
        return Err(err(
            block.line,
            "the atom sites need _atom_site_fract_x, _atom_site_fract_y and _atom_site_fract_z",
        ));
    };
    let labels = column("_atom_site_label");
    let types = column("_atom_site_type_symbol");
    let occupancy = column("_atom_site_occupancy");
    let n = x.len();
    for (tag, c) in [
        ("_atom_site_fract_y", Some(&y)),
        ("_atom_site_fract_z", Some(&z)),
        ("_atom_site_label", labels.as_ref()),
        ("_atom_site_type_symbol", types.as_ref()),
        ("_atom_site_occupancy", occupancy.as_ref()),
    ] {
        if let Some(c) = c {
            if c.len() != n {
                return Err(err(
                    x[0].line,
                    format!("{tag} has {} values but _atom_site_fract_x has {n}; give the sites in one loop", c.len()),
                ));
            }
        }
    }
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let line = x[k].line;
        let coordinate = |c: &[&Token], tag: &str| -> Result<f64, CifError> {
            number(&c[k].text)
                .map_err(|m| err(c[k].line, format!("{tag}: {m}")))?
                .ok_or_else(|| {
                    err(
                        c[k].line,
                        format!("{tag} of site {} is `{}` (unknown)", k + 1, c[k].text),
                    )
                })
        };
        let at = [
            coordinate(&x, "_atom_site_fract_x")?,
            coordinate(&y, "_atom_site_fract_y")?,
            coordinate(&z, "_atom_site_fract_z")?,
        ];
        let type_symbol = types
            .as_ref()
            .map(|t| t[k].text.clone())
            .filter(|s| s != "." && s != "?");
        let label = match labels.as_ref().map(|l| l[k].text.clone()) {
            Some(l) if l != "." && l != "?" => l,
            _ => format!("{}{}", type_symbol.clone().unwrap_or_default(), k + 1),
        };
        let occupancy = match occupancy.as_ref() {
            Some(o) => number(&o[k].text)
                .map_err(|m| err(o[k].line, format!("_atom_site_occupancy: {m}")))?
                .unwrap_or(1.0),
            None => 1.0,
        };
        out.push(CifSite {
            label,
            type_symbol,
            at,
            occupancy,
            line,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICSD_LIKE: &str = "\
#(C) 2024 by FIZ Karlsruhe - a comment
data_99999-ICSD
_cell_length_a 10.4612(5)
_cell_length_b 6.1113(3)
_cell_length_c 4.9208(2)
_cell_angle_alpha 90.
_cell_angle_beta 90.
_cell_angle_gamma 90.
_space_group_name_H-M_alt 'P n m a'
_publ_section_title
;
Structure of gamma-Li3PO4; refinement
of 'the' data
;
loop_
_space_group_symop_id
_space_group_symop_operation_xyz
1 'x, y, z'
2 '-x, -y, -z'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Li1 Li1+ 0.1627(3) 0.5016(6) 0.6992(7) 1.
O1 O2- 0.3418(1) 0.0441(2) 0.7946(3) 1. # trailing comment
";

    #[test]
    fn reads_an_icsd_style_file() {
        let c = read(ICSD_LIKE).unwrap();
        assert_eq!(c.block, "99999-ICSD");
        assert_eq!(c.cell, (10.4612, 6.1113, 4.9208, 90.0, 90.0, 90.0));
        assert_eq!(c.symmetry, vec!["x, y, z", "-x, -y, -z"]);
        assert_eq!(c.sites.len(), 2);
        assert_eq!(c.sites[0].label, "Li1");
        assert_eq!(c.sites[0].type_symbol.as_deref(), Some("Li1+"));
        assert_eq!(c.sites[0].at, [0.1627, 0.5016, 0.6992]);
        assert_eq!(c.sites[1].occupancy, 1.0);
        assert_eq!(c.sites[1].line, 28);
    }

    #[test]
    fn rounded_thirds() {
        assert_eq!(ideal_third(0.3333), Some(1.0 / 3.0));
        assert_eq!(ideal_third(0.6667), Some(2.0 / 3.0));
        assert_eq!(ideal_third(0.33333333), Some(1.0 / 3.0));
        assert_eq!(ideal_third(1.0 / 3.0), None);
        assert_eq!(ideal_third(0.3331), None);
        assert_eq!(ideal_third(0.25), None);
    }

    #[test]
    fn numbers_with_uncertainties() {
        assert_eq!(number("0.1627(3)"), Ok(Some(0.1627)));
        assert_eq!(number("1."), Ok(Some(1.0)));
        assert_eq!(number("-.5(12)"), Ok(Some(-0.5)));
        assert_eq!(number("?"), Ok(None));
        assert!(number("0.16x").is_err());
    }

    #[test]
    fn errors_name_the_line() {
        let e =
            read(&ICSD_LIKE.replace("0.0441(2) 0.7946(3) 1.", "0.0441(2) 0.7946(3)")).unwrap_err();
        assert!(
            e.message.contains("6 tags") && e.message.contains("11 values"),
            "{e}"
        );
        let e = read(&ICSD_LIKE.replace("0.5016(6)", "0.50x16")).unwrap_err();
        assert_eq!(e.line, 27);
        assert!(e.message.contains("`0.50x16`"), "{e}");
        let e = read(&ICSD_LIKE.replace("_cell_length_b 6.1113(3)\n", "")).unwrap_err();
        assert!(e.message.contains("_cell_length_b"), "{e}");
        let no_ops = ICSD_LIKE.replace("_space_group_symop_operation_xyz", "_other");
        let e = read(&no_ops).unwrap_err();
        assert!(e.message.contains("Pnma"), "{e}");
        let e = read("data_x\n_cell_length_a 'unclosed\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = read(";\nnever closed\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
