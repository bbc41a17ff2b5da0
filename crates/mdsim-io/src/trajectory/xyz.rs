//! Extended XYZ frames, one at a time. Each frame is parsed by [`crate::extxyz`] (the full
//! reader: any `Properties`, quoting, list notations), so a trajectory frame reads exactly
//! as a structure file does. Velocities: `velo` (also `vel`, `velocities`) in Å/ps, as
//! mdsim writes them, or ASE's `momenta`, turned into v = p/m with the file's `masses`
//! column or ASE's standard mass of the element. Step and time: `Step=` (or `step=`) and
//! `Time=` in ps, as mdsim writes them. An integer column `images:I:3` (cell translations
//! n_a n_b n_c of each atom) makes the positions unwrapped: r + n_a·a + n_b·b + n_c·c.

use super::lines::Lines;
use super::{Frame, FrameHeader, Positions, TrajectoryError};
use crate::elements;
use crate::extxyz::{self, XyzError};
use mdsim_core::units::ASE_TIME_UNIT_PS;
use std::path::Path;

const VELOCITY_COLUMNS: [&str; 3] = ["velo", "vel", "velocities"];
const MASS_COLUMNS: [&str; 2] = ["masses", "mass"];

pub(super) struct XyzFrames {
    lines: Lines,
}

/// A frame's count and comment lines, and where it starts.
struct Head {
    line: usize,
    n_atoms: usize,
    count_line: String,
    comment: String,
}

impl XyzFrames {
    pub fn open(path: &Path) -> Result<Self, TrajectoryError> {
        Ok(Self {
            lines: Lines::open(path)?,
        })
    }

    /// The count and comment lines of the next frame (blank lines before it are skipped).
    fn head(&mut self) -> Result<Option<Head>, TrajectoryError> {
        let count_line = loop {
            match self.lines.next_line()? {
                None => return Ok(None),
                Some(l) if l.trim().is_empty() => continue,
                Some(l) => break l.to_string(),
            }
        };
        let line = self.lines.line_no();
        let n_atoms: usize = count_line.trim().parse().map_err(|_| {
            self.lines.error(
                Some(line),
                format!(
                    "expected the number of atoms of a frame, found `{}`",
                    super::lines::shorten(count_line.trim())
                ),
            )
        })?;
        let Some(comment) = self.lines.next_line()?.map(str::to_string) else {
            return Err(self.lines.cut_short(line, "the comment line is missing"));
        };
        Ok(Some(Head {
            line,
            n_atoms,
            count_line,
            comment,
        }))
    }

    fn missing_atoms(&self, head: &Head, read: usize) -> TrajectoryError {
        self.lines.cut_short(
            head.line,
            &format!(
                "it declares {} atoms but the file ends after {read}",
                head.n_atoms
            ),
        )
    }

    /// Maps an error of the frame's own text (line 1 = its count line) onto the file.
    fn xyz_error(&self, head: &Head, e: XyzError) -> TrajectoryError {
        self.lines.error(Some(head.line - 1 + e.line), e.message)
    }

    pub fn next_header(&mut self) -> Result<Option<FrameHeader>, TrajectoryError> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        let mut last = String::new();
        for read in 0..head.n_atoms {
            match self.lines.next_line()? {
                Some(l) if read + 1 == head.n_atoms => last = l.to_string(),
                Some(_) => {}
                None => return Err(self.missing_atoms(&head, read)),
            }
        }
        // The comment line parsed as a frame of no atoms: the same reading of keys.
        let text = format!("0\n{}\n", head.comment);
        let frame = extxyz::read_frame(&text, Some(0)).map_err(|e| self.xyz_error(&head, e))?;
        self.check_last_line(&head, &frame, &last)?;
        header(&frame, &head)
            .map(Some)
            .map_err(|e| self.xyz_error(&head, e))
    }

    /// A last atom line with too few values at the end of the file was cut while written.
    fn check_last_line(
        &mut self,
        head: &Head,
        frame: &extxyz::Frame,
        last: &str,
    ) -> Result<(), TrajectoryError> {
        let expected: usize = frame.columns.iter().map(|c| c.count).sum();
        if head.n_atoms > 0 && last.split_whitespace().count() < expected && self.lines.at_end()? {
            return Err(self
                .lines
                .cut_short(head.line, "its last atom line is incomplete"));
        }
        Ok(())
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame>, TrajectoryError> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        let mut text = String::with_capacity(64 * (head.n_atoms + 2));
        text.push_str(&head.count_line);
        text.push('\n');
        text.push_str(&head.comment);
        text.push('\n');
        let mut last_start = text.len();
        for read in 0..head.n_atoms {
            match self.lines.next_line()? {
                Some(l) => {
                    last_start = text.len();
                    text.push_str(l);
                    text.push('\n');
                }
                None => return Err(self.missing_atoms(&head, read)),
            }
        }
        let frame = extxyz::read_frame(&text, Some(0)).map_err(|e| {
            let comment = format!("0\n{}\n", head.comment);
            match extxyz::read_frame(&comment, Some(0)) {
                Ok(f) => self
                    .check_last_line(&head, &f, &text[last_start..])
                    .err()
                    .unwrap_or_else(|| self.xyz_error(&head, e)),
                Err(_) => self.xyz_error(&head, e),
            }
        })?;
        full_frame(&frame, &head).map_err(|e| self.xyz_error(&head, e))
    }
}

fn header(frame: &extxyz::Frame, head: &Head) -> Result<FrameHeader, XyzError> {
    frame.check_periodic()?;
    let lattice = frame.lattice()?;
    let step = ["Step", "step"]
        .iter()
        .find_map(|k| frame.get(k))
        .map(|v| match &v.items {
            extxyz::Items::Int(i) if i.len() == 1 && i[0] >= 0 => Ok(i[0] as u64),
            _ => Err(XyzError {
                line: 2,
                message: format!("Step={}: expected a step number (an integer ≥ 0)", v.text),
            }),
        })
        .transpose()?;
    let time_ps = frame
        .get("Time")
        .map(|v| match v.items.reals().as_deref() {
            Some([t]) if t.is_finite() => Ok(*t),
            _ => Err(XyzError {
                line: 2,
                message: format!("Time={}: expected one number (ps)", v.text),
            }),
        })
        .transpose()?;
    Ok(FrameHeader {
        line: head.line,
        step,
        time_ps,
        lattice,
        n_atoms: head.n_atoms,
        atom_lines: None,
    })
}

fn full_frame(frame: &extxyz::Frame, head: &Head) -> Result<Option<Frame>, XyzError> {
    let mut h = header(frame, head)?;
    h.atom_lines = Some((0..head.n_atoms).map(|i| head.line + 2 + i).collect());
    let species = frame.species()?;
    let mut positions = frame.positions()?;
    let kind = match images(frame)? {
        Some(n) => {
            let l = h.lattice;
            for (r, n) in positions.iter_mut().zip(&n) {
                for (k, x) in r.iter_mut().enumerate() {
                    *x += (0..3).map(|v| n[v] as f64 * l[v][k]).sum::<f64>();
                }
            }
            Positions::Unwrapped("pos + images")
        }
        None => Positions::AsWritten("pos"),
    };
    let masses = match one_of(frame, &MASS_COLUMNS)? {
        Some(name) => frame.scalars(name)?,
        None => None,
    };
    let velocities = match one_of(frame, &VELOCITY_COLUMNS)? {
        Some(name) => frame.vectors(name)?,
        None => match frame.vectors("momenta")? {
            Some(p) => Some(from_momenta(&p, &species, masses.as_deref())?),
            None => None,
        },
    };
    Ok(Some(Frame {
        header: h,
        species,
        positions,
        kind,
        velocities,
        masses,
        ids: None,
    }))
}

/// The `images:I:3` column, if any.
fn images(frame: &extxyz::Frame) -> Result<Option<Vec<[i64; 3]>>, XyzError> {
    let Some(c) = frame.column("images") else {
        return Ok(None);
    };
    match &c.values {
        extxyz::Items::Int(v) if c.count == 3 => {
            Ok(Some(v.chunks(3).map(|n| [n[0], n[1], n[2]]).collect()))
        }
        _ => Err(XyzError {
            line: 2,
            message: format!(
                "Properties: the column `{}` must be images:I:3 (cell translations of each atom)",
                c.spec()
            ),
        }),
    }
}

/// The one column of `names` the frame has (two that mean the same are refused).
fn one_of<'a>(frame: &extxyz::Frame, names: &[&'a str]) -> Result<Option<&'a str>, XyzError> {
    frame
        .one_of(names)
        .map_err(|message| XyzError { line: 2, message })
}

/// ASE's momenta (amu·Å per ASE time unit) as velocities (Å/ps), with the masses ASE
/// divides by: the file's, else the standard mass of the element.
fn from_momenta(
    p: &[[f64; 3]],
    species: &[String],
    masses: Option<&[f64]>,
) -> Result<Vec<[f64; 3]>, XyzError> {
    p.iter()
        .enumerate()
        .map(|(i, p)| {
            let m = match masses {
                Some(m) => m[i],
                None => elements::atomic_number(&species[i])
                    .map(|z| elements::ASE_MASSES[z])
                    .unwrap_or(f64::NAN),
            };
            if !(m > 0.0 && m.is_finite()) {
                return Err(XyzError {
                    line: 3 + i,
                    message: format!(
                        "`momenta` of `{}` cannot be turned into a velocity: its mass is unknown ({m}); add a `masses` column",
                        species[i]
                    ),
                });
            }
            Ok(p.map(|c| c / m / ASE_TIME_UNIT_PS))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{ReadOptions, TrajectoryReader};
    use super::*;

    #[test]
    fn image_columns_unwrap_the_positions() {
        let text = "2\nLattice=\"10 0 0 2 9 0 0 0 8\" Properties=species:S:1:pos:R:3:images:I:3 Step=4 Time=0.008\nLi 1 2 3 1 -1 2\nO 5 5 5 0 0 0\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xyz");
        std::fs::write(&path, text).unwrap();
        let mut r = TrajectoryReader::open(&path, &ReadOptions::default()).unwrap();
        let f = r.next_frame().unwrap().unwrap();
        // (1, 2, 3) + 1·a − 1·b + 2·c = (1 + 10 − 2, 2 − 9, 3 + 16).
        assert_eq!(f.positions, vec![[9.0, -7.0, 19.0], [5.0, 5.0, 5.0]]);
        assert_eq!(f.kind, Positions::Unwrapped("pos + images"));
        assert_eq!((f.header.step, f.header.time_ps), (Some(4), Some(0.008)));
        assert!(r.next_frame().unwrap().is_none());
    }
}
