//! Extended XYZ (the ASE/OVITO convention): a count line, a comment line with
//! `Lattice="ax ay az bx by bz cx cy cz"` and `Properties=species:S:1:pos:R:3[:velo:R:3]`,
//! then one line per atom.

use std::fmt::Write as _;

/// A structure read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct XyzFrame {
    pub lattice: [[f64; 3]; 3],
    pub species: Vec<String>,
    pub positions: Vec<[f64; 3]>,
    pub velocities: Option<Vec<[f64; 3]>>,
}

/// A parse error with its 1-based line number.
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

/// Parses the first frame of an extended XYZ text.
pub fn parse(text: &str) -> Result<XyzFrame, XyzError> {
    let mut lines = text.lines();
    let count_line = lines.next().ok_or_else(|| err(1, "empty file"))?;
    let n: usize = count_line.trim().parse().map_err(|_| {
        err(
            1,
            format!(
                "expected the number of atoms, found `{}`",
                count_line.trim()
            ),
        )
    })?;
    let comment = lines.next().ok_or_else(|| err(2, "missing comment line"))?;
    let props = key_values(comment);
    let lattice_text = props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Lattice"))
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| err(2, "no Lattice=\"ax ay az bx by bz cx cy cz\" on the comment line; mdsim needs the periodic cell"))?;
    let l: Vec<f64> = lattice_text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| err(2, "Lattice must hold nine numbers"))?;
    if l.len() != 9 {
        return Err(err(
            2,
            format!("Lattice must hold nine numbers, found {}", l.len()),
        ));
    }
    let lattice = [[l[0], l[1], l[2]], [l[3], l[4], l[5]], [l[6], l[7], l[8]]];

    // Column layout from Properties (default: species:S:1:pos:R:3).
    let properties = props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Properties"))
        .map(|(_, v)| v.as_str())
        .unwrap_or("species:S:1:pos:R:3");
    let fields: Vec<&str> = properties.split(':').collect();
    if !fields.len().is_multiple_of(3) {
        return Err(err(2, "Properties must be name:type:count triplets"));
    }
    let mut column = 0;
    let (mut species_col, mut pos_col, mut velo_col) = (None, None, None);
    for f in fields.chunks(3) {
        let count: usize = f[2]
            .parse()
            .map_err(|_| err(2, format!("bad column count `{}` in Properties", f[2])))?;
        match f[0] {
            "species" => species_col = Some(column),
            "pos" if count == 3 => pos_col = Some(column),
            "velo" | "vel" | "velocities" if count == 3 => velo_col = Some(column),
            _ => {}
        }
        column += count;
    }
    let species_col = species_col.ok_or_else(|| err(2, "Properties has no species column"))?;
    let pos_col = pos_col.ok_or_else(|| err(2, "Properties has no pos:R:3 column"))?;

    // The count line is not trusted with the allocation (a typo of 10¹² atoms): the vectors
    // grow as lines are read.
    let cap = n.min(4096);
    let mut frame = XyzFrame {
        lattice,
        species: Vec::with_capacity(cap),
        positions: Vec::with_capacity(cap),
        velocities: velo_col.map(|_| Vec::with_capacity(cap)),
    };
    for k in 0..n {
        let line_no = k + 3;
        let line = lines
            .next()
            .ok_or_else(|| err(line_no, format!("file ends after {k} of {n} atoms")))?;
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < column {
            return Err(err(
                line_no,
                format!("expected {column} columns, found {}", cols.len()),
            ));
        }
        let vec3 = |c: usize| -> Result<[f64; 3], XyzError> {
            let mut v = [0.0f64; 3];
            for (a, x) in v.iter_mut().enumerate() {
                *x = cols[c + a]
                    .parse()
                    .map_err(|_| err(line_no, format!("`{}` is not a number", cols[c + a])))?;
                if !x.is_finite() {
                    return Err(err(line_no, "non-finite coordinate"));
                }
            }
            Ok(v)
        };
        frame.species.push(cols[species_col].to_string());
        frame.positions.push(vec3(pos_col)?);
        if let (Some(c), Some(v)) = (velo_col, frame.velocities.as_mut()) {
            v.push(vec3(c)?);
        }
    }
    Ok(frame)
}

/// Splits `key=value key="quoted value"` pairs.
fn key_values(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("")
            .to_string();
        rest = &rest[eq + 1..];
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped.find('"').unwrap_or(stripped.len());
            value = stripped[..end].to_string();
            rest = stripped.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            value = rest[..end].to_string();
            rest = &rest[end..];
        }
        out.push((key, value));
        rest = rest.trim_start();
    }
    out
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
        assert_eq!(parse("3\nfoo\n").unwrap_err().line, 2);
        let short = "3\nLattice=\"5 0 0 0 5 0 0 0 5\"\nAr 0 0 0\n";
        assert_eq!(parse(short).unwrap_err().line, 4);
    }
}
