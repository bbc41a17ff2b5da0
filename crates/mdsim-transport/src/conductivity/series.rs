//! The per-step series as CSV: `polarization.csv` (ΔP) and `current.csv` (J), written as the
//! run goes, one row per MD step, units in the header. Numbers are written in Rust's shortest
//! round-trip form, so reading them back gives the exact values. `current.csv` loads as it
//! is with `numpy.loadtxt(path, delimiter=",", skiprows=1)` (columns 2–4 are J for STACIE or
//! SporTran's Python API).

use std::io::{self, BufRead, Write};

use super::accumulator::StepRecord;
use crate::{Result, TransportError};

/// Header of `polarization.csv`: ΔP(t) = (1/Ω) Σ q_i Δr_i in e/Å².
pub const POLARIZATION_HEADER: &str = "step,time_ps,dP_x_e_per_A2,dP_y_e_per_A2,dP_z_e_per_A2";

/// Header of `current.csv`: J(t) = Σ q_i v_i in e·Å/ps.
pub const CURRENT_HEADER: &str = "step,time_ps,J_x_e_A_per_ps,J_y_e_A_per_ps,J_z_e_A_per_ps";

/// Writes the two per-step series to sinks the caller owns (files, buffers).
pub struct SeriesWriter<P: Write, C: Write> {
    polarization: P,
    current: C,
    line: String,
}

impl<P: Write, C: Write> SeriesWriter<P, C> {
    /// Writes the headers.
    pub fn new(mut polarization: P, mut current: C) -> io::Result<Self> {
        writeln!(polarization, "{POLARIZATION_HEADER}")?;
        writeln!(current, "{CURRENT_HEADER}")?;
        Ok(Self {
            polarization,
            current,
            line: String::new(),
        })
    }

    /// Appends one step to both series.
    pub fn write(&mut self, r: &StepRecord) -> io::Result<()> {
        for (v, sink) in [
            (r.polarization, &mut self.polarization as &mut dyn Write),
            (r.current, &mut self.current as &mut dyn Write),
        ] {
            self.line.clear();
            push_row(&mut self.line, r.step, r.time_ps, v);
            sink.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }

    /// Flushes both sinks (call at checkpoints and at the end).
    pub fn flush(&mut self) -> io::Result<()> {
        self.polarization.flush()?;
        self.current.flush()
    }

    /// Gives the sinks back.
    pub fn into_inner(self) -> (P, C) {
        (self.polarization, self.current)
    }
}

/// Appends one row (with its newline) of either series to `line`: step, time (ps) and the
/// vector, each number in shortest round-trip form.
pub fn push_row(line: &mut String, step: u64, time_ps: f64, v: [f64; 3]) {
    use std::fmt::Write as _;
    // Writing into a String cannot fail.
    let _ = writeln!(line, "{},{},{},{},{}", step, time_ps, v[0], v[1], v[2]);
}

/// Reads a series written by [`SeriesWriter`] (either file): (step, time_ps, vector) rows.
/// `name` is used in error messages (e.g. the path).
pub fn read_series<R: BufRead>(r: R, name: &str) -> Result<Vec<(u64, f64, [f64; 3])>> {
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| TransportError::Config(format!("{name}: {e}")))?;
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| {
            TransportError::Config(format!(
                "{name}, line {}: {what}; expected 5 comma-separated numbers \
                 (step,time_ps,x,y,z)",
                i + 1
            ))
        };
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 5 {
            return Err(bad(&format!("{} fields", f.len())));
        }
        let step = f[0].parse::<u64>().map_err(|_| bad("bad step"))?;
        let num = |s: &str| {
            s.parse::<f64>()
                .map_err(|_| bad(&format!("bad number {s:?}")))
        };
        out.push((step, num(f[1])?, [num(f[2])?, num(f[3])?, num(f[4])?]));
    }
    Ok(out)
}
