//! Extended XYZ as mdsim writes it (the ASE/OVITO convention): a count line, a comment line
//! with `Lattice="ax ay az bx by bz cx cy cz"` and
//! `Properties=species:S:1:pos:R:3[:velo:R:3]` (velocities in Å/ps), then one line per atom.

use std::fmt::Write as _;

/// A structure read from a file: the cell, species, positions and `velo` velocities (Å/ps).
#[derive(Clone, Debug, PartialEq)]
pub struct XyzFrame {
    pub lattice: [[f64; 3]; 3],
    pub species: Vec<String>,
    pub positions: Vec<[f64; 3]>,
    pub velocities: Option<Vec<[f64; 3]>>,
}

pub use crate::extxyz::XyzError;

/// Reads the first frame of an extended XYZ text written by mdsim (see [`crate::extxyz`] for
/// the full reader, and [`crate::structure`] for the meaning of the other columns).
pub fn parse(text: &str) -> Result<XyzFrame, XyzError> {
    let frame = crate::extxyz::read_frame(text, Some(0))?;
    Ok(XyzFrame {
        lattice: frame.lattice()?,
        species: frame.species()?,
        positions: frame.positions()?,
        velocities: frame.vectors("velo")?,
    })
}

/// Formats one frame. `time_ps` and `step` go on the comment line.
pub fn format_frame(
    lattice: [[f64; 3]; 3],
    species: &[&str],
    positions: &[[f64; 3]],
    velocities: Option<&[[f64; 3]]>,
    step: u64,
    time_ps: f64,
) -> String {
    let mut s = String::with_capacity(64 * (positions.len() + 2));
    let l = lattice;
    let props = if velocities.is_some() {
        "species:S:1:pos:R:3:velo:R:3"
    } else {
        "species:S:1:pos:R:3"
    };
    let _ = writeln!(s, "{}", positions.len());
    let _ = writeln!(
        s,
        "Lattice=\"{} {} {} {} {} {} {} {} {}\" Properties={props} pbc=\"T T T\" Step={step} Time={time_ps}",
        l[0][0], l[0][1], l[0][2], l[1][0], l[1][1], l[1][2], l[2][0], l[2][1], l[2][2]
    );
    for (i, x) in positions.iter().enumerate() {
        let _ = write!(s, "{} {:.8} {:.8} {:.8}", species[i], x[0], x[1], x[2]);
        if let Some(v) = velocities {
            let _ = write!(s, " {:.8} {:.8} {:.8}", v[i][0], v[i][1], v[i][2]);
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let lattice = [[10.0, 0.0, 0.0], [1.0, 9.0, 0.0], [0.5, 0.25, 8.0]];
        let pos = [[0.1, 0.2, 0.3], [5.0, 4.0, 3.0]];
        let vel = [[1.0, -1.0, 0.5], [0.0, 0.0, 0.0]];
        let text = format_frame(lattice, &["Li", "O"], &pos, Some(&vel), 5, 0.05);
        let f = parse(&text).unwrap();
        assert_eq!(f.lattice, lattice);
        assert_eq!(f.species, vec!["Li", "O"]);
        assert_eq!(f.positions, pos.to_vec());
        assert_eq!(f.velocities.unwrap(), vel.to_vec());
    }

    #[test]
    fn errors_name_the_line() {
        let text =
            "2\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\nAr 0 0 0\nAr 1 x 1\n";
        assert_eq!(parse(text).unwrap_err().line, 4);
        assert_eq!(parse("1\nfoo\nAr 0 0 0\n").unwrap_err().line, 2);
        let short = "3\nLattice=\"5 0 0 0 5 0 0 0 5\"\nAr 0 0 0\n";
        assert_eq!(parse(short).unwrap_err().line, 4);
    }
}
