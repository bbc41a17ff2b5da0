//! Minimal CSV writing for curves: one header line with units, then plain numbers in Rust's
//! shortest round-trip format (so a reader gets back the exact f64).

use std::io::{self, Write};

/// Writes equally long columns under `header`.
pub(crate) fn write_columns<W: Write>(
    mut w: W,
    header: &[String],
    columns: &[&[f64]],
) -> io::Result<()> {
    writeln!(w, "{}", header.join(","))?;
    let rows = columns.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut line = String::new();
    for i in 0..rows {
        line.clear();
        for (j, c) in columns.iter().enumerate() {
            if j > 0 {
                line.push(',');
            }
            line.push_str(&c[i].to_string());
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// Name of group `g` for column headers: the caller's name, else `g{index}`.
pub(crate) fn name(names: &[&str], g: usize) -> String {
    names
        .get(g)
        .map_or_else(|| format!("g{g}"), |s| s.to_string())
}

/// Runs a CSV writer into a String.
pub(crate) fn to_string(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail, and every writer emits UTF-8.
    let _ = f(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
