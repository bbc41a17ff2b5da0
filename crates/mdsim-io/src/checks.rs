//! Checks of an input's sizes, cell and physical plausibility, called by [`crate::load`]:
//! absurd numbers are refused before anything is allocated or run, a tilted cell is reduced
//! to its compact form, and values outside anything physical in metal units are warned
//! about.

use crate::input::{EnsembleInput, Input, StructureInput};
use crate::lattice;
use crate::setup::InputError;
use mdsim_core::coulomb::CoulombParams;
use mdsim_core::limits::{self, MAX_STEPS};
use mdsim_core::reduction::{reduce, Reduction};
use mdsim_core::units::{BOLTZMANN_EV_K, EV_TO_AMU_A2_PS2};
use mdsim_core::{Cell, ForceField, Species, System};
use std::path::Path;

/// A refused input: the field and the message.
pub(crate) type FieldError = (String, String);

/// An atom further than this many cell lengths from the cell is refused: its coordinates have
/// lost their digits, and such a file is almost always wrong (units, column order).
pub const MAX_CELLS_AWAY: f64 = 1e6;

/// Thresholds of the plausibility warnings, metal units.
pub mod plausible {
    /// Lightest mass, amu: below hydrogen (1.008) is a unit mistake (kg/mol for g/mol).
    pub const MIN_MASS: f64 = 1.0;
    /// Heaviest mass, amu: beyond any element (oganesson, 294), only coarse-grained beads.
    pub const MAX_MASS: f64 = 1000.0;
    /// Largest |charge|, e: no ion carries more than +8.
    pub const MAX_CHARGE: f64 = 8.0;
    /// Hottest temperature, K: beyond 10⁵ K no classical interatomic potential holds.
    pub const MAX_TEMPERATURE: f64 = 1e5;
    /// Shortest sensible time step, ps (0.1 fs).
    pub const MIN_TIMESTEP: f64 = 1e-4;
    /// Longest thermal displacement per step, Å: an atom of the lightest species moving at
    /// its RMS thermal speed should cover less than this in one step (Δt ≈ 1 fs for Li at
    /// 300 K gives 0.01 Å; 10 fs for Ar at 300 K gives 0.04 Å).
    pub const MAX_STEP_DISPLACEMENT: f64 = 0.1;
    /// Temperature at which the step displacement is judged at least, K.
    pub const ROOM_TEMPERATURE: f64 = 300.0;
}

/// Refuses a lattice repeat whose atom count is absurd, before the lattice is built (the
/// crystal builder checks its own repeat the same way).
pub(crate) fn structure_size(s: &StructureInput) -> Result<(), FieldError> {
    if let StructureInput::Lattice { kind, repeat, .. } = s {
        let (a, b, c) = *repeat;
        if a == 0 || b == 0 || c == 0 {
            return Ok(()); // refused with its own message when the lattice is built
        }
        let counted = format!(
            "{a} × {b} × {c} cells of {} atoms",
            lattice::atoms_per_cell(*kind)
        );
        limits::check_atoms(
            lattice::n_atoms(*kind, *repeat),
            &counted,
            "check `repeat` for a typo",
        )
        .map_err(|m| ("structure.repeat".to_string(), m))?;
    }
    Ok(())
}

/// Where the cell came from, for messages: the file and the field holding it, and the lattice
/// vectors as written there when they may differ from the system's cell (a left-handed
/// lattice is built as (a, b, −c)).
struct CellSource {
    file: String,
    field: String,
    written: Option<[[f64; 3]; 3]>,
}

impl CellSource {
    /// `file`: the structure file, if any; `written`: the cell vectors as it wrote them.
    fn new(
        structure: &StructureInput,
        file: Option<&Path>,
        written: Option<[[f64; 3]; 3]>,
        input_path: &Path,
    ) -> Self {
        let field = match structure {
            StructureInput::Xyz { .. } => "Lattice",
            StructureInput::Cif(_) => "cell",
            StructureInput::LammpsData { .. } => "box",
            StructureInput::Lattice { .. } | StructureInput::Crystal(_) => "structure",
        };
        Self {
            file: file.unwrap_or(input_path).display().to_string(),
            field: field.into(),
            written,
        }
    }
}

/// The result of [`reduce_cell`]: a note when the cell changed, and the narrowest width of the
/// cell as written.
pub(crate) struct ReducedCell {
    pub note: Option<String>,
    pub width_as_written: f64,
}

/// Replaces the cell by its reduced form (see [`mdsim_core::reduction`]); `load` then wraps the
/// atoms into it, so positions move by lattice vectors only (the image counters keep the
/// unwrapped positions equal to the given ones) and velocities are unchanged. Refuses atoms
/// absurdly far from the cell.
pub(crate) fn reduce_cell(
    system: &mut System,
    structure: &StructureInput,
    file: Option<&Path>,
    written: Option<[[f64; 3]; 3]>,
    input_path: &Path,
) -> Result<ReducedCell, InputError> {
    let source = CellSource::new(structure, file, written, input_path);
    let refuse = |message: String| InputError::Invalid {
        path: source.file.clone(),
        field: source.field.clone(),
        message,
    };
    // The cell as written: for a left-handed lattice the system holds (a, b, −c).
    let given = source
        .written
        .unwrap_or_else(|| [0, 1, 2].map(|k| system.cell.vector(k)));
    let r = reduce(given).map_err(|e| refuse(e.to_string()))?;
    far_atom(&r.cell, system).map_err(refuse)?;
    let width_as_written = narrowest(r.widths_before);
    let note = (!r.is_unchanged()).then(|| reduction_note(&given, &r, &source));
    if !r.is_unchanged() {
        system.cell = r.cell;
    }
    Ok(ReducedCell {
        note,
        width_as_written,
    })
}

fn narrowest(w: [f64; 3]) -> f64 {
    w[0].min(w[1]).min(w[2])
}

/// Refuses an atom more than [`MAX_CELLS_AWAY`] cell lengths outside the cell.
fn far_atom(cell: &Cell, system: &System) -> Result<(), String> {
    for (i, x) in system.positions.iter().enumerate() {
        let s = cell.to_fractional(*x);
        if let Some(k) = (0..3).find(|&k| s[k].is_nan() || s[k].abs() > MAX_CELLS_AWAY) {
            return Err(format!(
                "atom {} ({}) lies {:.3e} cell lengths away from the cell along {}: coordinates that far out have lost their digits (mdsim accepts up to {MAX_CELLS_AWAY:e}); check the units and the column order of the positions",
                i + 1,
                system.species[system.types[i]].name,
                s[k].abs(),
                ["a", "b", "c"][k]
            ));
        }
    }
    Ok(())
}

/// "(26.3, 0, 0)".
fn vector_text(v: [f64; 3]) -> String {
    format!("({}, {}, {})", v[0], v[1], v[2])
}

/// "b − a" for integer coefficients of a, b, c.
fn combination_text(m: [i64; 3]) -> String {
    let mut s = String::new();
    for (k, name) in ["a", "b", "c"].iter().enumerate() {
        let c = m[k];
        if c == 0 {
            continue;
        }
        let sign = match (c < 0, s.is_empty()) {
            (true, true) => "−",
            (true, false) => " − ",
            (false, true) => "",
            (false, false) => " + ",
        };
        let mag = if c.abs() == 1 {
            String::new()
        } else {
            c.abs().to_string()
        };
        s.push_str(&format!("{sign}{mag}{name}"));
    }
    s
}

fn reduction_note(given: &[[f64; 3]; 3], r: &Reduction, source: &CellSource) -> String {
    let new: Vec<String> = (0..3)
        .map(|j| {
            let m = [0, 1, 2].map(|i| r.transform[i][j]);
            format!(
                "{}' = {} = {}",
                ["a", "b", "c"][j],
                combination_text(m),
                vector_text(r.cell.vector(j))
            )
        })
        .collect();
    let m = &r.transform;
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let handedness = if det < 0 { " (left-handed)" } else { "" };
    format!(
        "{}: {}: the cell a = {}, b = {}, c = {} Å{handedness} is the same periodic lattice as the compact, right-handed cell {} Å, which mdsim uses (narrowest perpendicular width {:.4} → {:.4} Å); the atoms were wrapped into it (positions moved by lattice vectors only, velocities unchanged), and trajectories and checkpoints show this cell",
        source.file,
        source.field,
        vector_text(given[0]),
        vector_text(given[1]),
        vector_text(given[2]),
        new.join(", "),
        narrowest(r.widths_before),
        narrowest(r.cell.perpendicular_widths()),
    )
}

/// Refuses a cell whose (reduced) narrowest width is below twice the interaction range, and a
/// skin that makes the listed range exceed the cell.
pub(crate) fn cell_fits(
    cell: &Cell,
    width_as_written: f64,
    cutoff: f64,
    skin: f64,
) -> Result<(), FieldError> {
    let width = narrowest(cell.perpendicular_widths());
    if width < 2.0 * cutoff {
        let written = if width_as_written < width * (1.0 - 1e-9) {
            format!(" (after reduction of the cell as written, whose narrowest width is {width_as_written:.4} Å)")
        } else {
            String::new()
        };
        return Err((
            "structure".into(),
            format!(
                "the box is too small for the cutoff: its narrowest width is {width:.4} Å{written} but twice the cutoff is {:.4} Å, so an atom would interact with its own periodic images; use a larger supercell or a shorter cutoff",
                2.0 * cutoff
            ),
        ));
    }
    if cutoff + skin > width {
        return Err((
            "neighbor.skin".into(),
            format!(
                "the cutoff ({cutoff} Å) plus the skin ({skin} Å) exceed the narrowest cell width ({width:.4} Å): the neighbour list would hold pairs more than a whole cell apart; a skin of 0.3–2 Å is usual"
            ),
        ));
    }
    Ok(())
}

/// Refuses run lengths beyond [`MAX_STEPS`] (a stage, the whole run, the minimisation).
/// `dt`: the checked time step (ps; NaN for a single point without one).
pub(crate) fn run_length(input: &Input, dt: f64, stage_steps: &[u64]) -> Result<(), FieldError> {
    let absurd = |n: String| {
        format!("{n} steps, more than the {MAX_STEPS:.0e} mdsim runs from one input; check the duration (ps) and the time step (ps)")
    };
    for (k, stage) in input.stages.iter().enumerate() {
        let steps = stage.duration_ps / dt;
        if steps.is_nan() || steps > MAX_STEPS as f64 {
            return Err((
                format!("stages[{k}].duration_ps"),
                absurd(format!(
                    "{} ps at Δt = {dt} ps is {steps:.3e}",
                    stage.duration_ps
                )),
            ));
        }
    }
    let total = stage_steps
        .iter()
        .try_fold(0u64, |acc, &n| acc.checked_add(n))
        .filter(|&n| n <= MAX_STEPS);
    if total.is_none() {
        let sum: f64 = stage_steps.iter().map(|&n| n as f64).sum();
        return Err((
            "stages".into(),
            absurd(format!("all stages together are {sum:.3e}")),
        ));
    }
    if let Some(m) = &input.minimize {
        if m.max_steps as u64 > MAX_STEPS {
            return Err((
                "minimize.max_steps".into(),
                format!(
                    "{} steps is more than the {MAX_STEPS:.0e} mdsim allows; 10000 is usual",
                    m.max_steps
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses inputs whose neighbour list, Ewald sum or transport observers cannot fit in this
/// machine's memory.
pub(crate) fn memory(
    input: &Input,
    dt: f64,
    stage_steps: &[u64],
    system: &System,
    force_field: &ForceField,
) -> Result<(), FieldError> {
    let n = system.n_atoms() as f64;
    let volume = system.cell.volume();
    // Half list: each atom lists the partners within r in half a sphere.
    let r = force_field.cutoff() + input.neighbor.skin;
    let pairs = 0.5 * n * (n / volume) * 4.0 / 3.0 * std::f64::consts::PI * r.powi(3);
    let bytes = n * limits::BYTES_PER_ATOM as f64 + pairs * limits::BYTES_PER_PAIR as f64;
    limits::check_memory(
        &format!("{n} atoms with {pairs:.3e} neighbour pairs within the cutoff + skin of {r} Å"),
        bytes,
        "use a shorter cutoff or skin, or a smaller structure",
    )
    .map_err(|m| ("structure".to_string(), m))?;
    let reciprocal = match &force_field.coulomb {
        Some(CoulombParams::Ewald(p)) => {
            // The k-vectors in a half sphere of radius k_c, about 40 bytes each.
            let n_k = volume * p.k_cutoff.powi(3) / (12.0 * std::f64::consts::PI.powi(2));
            Some((
                format!("the Ewald sum with {n_k:.3e} k-vectors"),
                40.0 * n_k,
            ))
        }
        Some(CoulombParams::Pme(p)) => {
            // A real and a complex mesh, and their influence function: ~40 bytes a point.
            let points = p.mesh.iter().map(|&m| m as f64).product::<f64>();
            Some((
                format!("the PME mesh of {points:.3e} points"),
                40.0 * points,
            ))
        }
        Some(CoulombParams::Dsf(_)) | None => None,
    };
    if let Some((what, bytes)) = reciprocal {
        limits::check_memory(
            &what,
            bytes,
            "ask for a lower coulomb.accuracy or a longer coulomb.real_cutoff",
        )
        .map_err(|m| ("coulomb".to_string(), m))?;
    }
    observer_memory(input, dt, stage_steps, system)
}

/// The transport observers' memory: per block and lag sums, and the time origins kept alive
/// at once (each a copy of every atom's vector). Mirrors the defaults of the run's observers.
fn observer_memory(
    input: &Input,
    dt: f64,
    stage_steps: &[u64],
    system: &System,
) -> Result<(), FieldError> {
    let tr = &input.transport;
    let production: f64 = input
        .stages
        .iter()
        .zip(stage_steps)
        .filter(|(s, _)| s.production)
        .map(|(_, &n)| n as f64)
        .sum();
    if production == 0.0 {
        return Ok(());
    }
    let n = system.n_atoms() as f64;
    let groups = system.species.len() as f64;
    let samples = (production / tr.sample_every as f64).floor() + 1.0;
    let dt_sample = dt * tr.sample_every as f64;
    let blocks = tr.msd.blocks.max(2) as f64;
    let block = (samples / blocks).floor();
    let in_samples = |ps: f64| (ps / dt_sample).round().max(1.0);
    let correlator = |max_lag: f64, origin_every: f64| {
        let lags = max_lag.min(block) + 1.0;
        blocks * (groups + 1.0) * lags * 8.0 + (lags / origin_every + 1.0) * n * 24.0
    };
    let msd = correlator(
        tr.msd
            .max_lag_ps
            .map_or((block / 5.0).floor().max(1.0), in_samples),
        tr.msd.origin_every_ps.map_or(1.0, in_samples),
    );
    let vacf = tr.vacf.as_ref().map_or(0.0, |v| {
        correlator(
            in_samples(v.max_lag_ps),
            v.origin_every_ps.map_or(1.0, in_samples),
        )
    });
    let rdf = tr
        .rdf
        .as_ref()
        .map_or(0.0, |r| r.bins as f64 * groups * (groups + 1.0) / 2.0 * 8.0);
    // Three production series (T, U, P), one value per thermo line.
    let series = 3.0 * 8.0 * (production / input.output.thermo_every as f64).floor();
    limits::check_memory(
        &format!("the transport observers over {samples:.3e} samples of {n} atoms (MSD, VACF and g(r) sums, the time origins kept at once, and the thermo series)"),
        msd + vacf + rdf + series,
        "sample less often (transport.sample_every), start origins less often (origin_every_ps), shorten max_lag_ps or use fewer rdf bins",
    )
    .map_err(|m| ("transport".to_string(), m))
}

/// Warnings for values that are allowed but outside anything physical in metal units.
///
/// `force_field` is the file that defines the species and the prefix of their fields there
/// (`"potential."` for an inline force field).
pub(crate) fn plausibility(
    input_path: &Path,
    input: &Input,
    dt: f64,
    force_field: (&Path, &str),
    species: &[Species],
    system: &System,
) -> Vec<String> {
    use plausible::*;
    let input_file = input_path.display().to_string();
    let mut w = Vec::new();
    let ff = |k: usize, field: &str| {
        format!(
            "{}: {}species[{k}].{field}",
            force_field.0.display(),
            force_field.1
        )
    };
    for (k, s) in species.iter().enumerate() {
        if s.mass < MIN_MASS {
            w.push(format!("{}: {} amu is lighter than hydrogen (1.008 amu); masses are in amu (g/mol), not kg/mol", ff(k, "mass"), s.mass));
        } else if s.mass > MAX_MASS {
            w.push(format!("{}: {} amu is heavier than any element (the heaviest is 294 amu); fine for a coarse-grained bead, else check the unit (amu = g/mol)", ff(k, "mass"), s.mass));
        }
        if s.charge.abs() > MAX_CHARGE {
            w.push(format!(
                "{}: {} e is beyond any ionic charge (|q| ≤ {MAX_CHARGE} e); charges are in units of the elementary charge",
                ff(k, "charge"),
                s.charge
            ));
        }
    }
    let mut hottest = ROOM_TEMPERATURE;
    let mut temperature = |field: String, t: f64| {
        hottest = hottest.max(t);
        if t > MAX_TEMPERATURE {
            w.push(format!("{input_file}: {field}: {t} K is hotter than any classical interatomic potential describes (> {MAX_TEMPERATURE:e} K); the unit is K"));
        }
    };
    if let Some(t) = input.initial_temperature {
        temperature("initial_temperature".into(), t);
    }
    for (k, stage) in input.stages.iter().enumerate() {
        if let EnsembleInput::Nvt { temperature: t, .. } = stage.ensemble {
            temperature(format!("stages[{k}].ensemble.temperature"), t);
        }
    }
    if input.initial_temperature.is_none() && system.n_atoms() > 1 {
        temperature(
            "structure (velocities of the structure)".into(),
            system.temperature(),
        );
    }
    if dt < MIN_TIMESTEP {
        w.push(format!("{input_file}: timestep_ps: {dt} ps is shorter than molecular dynamics needs (≥ {MIN_TIMESTEP} ps = 0.1 fs); the value is in ps, not fs"));
    }
    // The lightest species present, at the hottest temperature of the input.
    let present = system.species_counts();
    if let Some(light) = species
        .iter()
        .zip(&present)
        .filter(|(_, &n)| n > 0)
        .map(|(s, _)| s)
        .min_by(|a, b| a.mass.total_cmp(&b.mass))
    {
        let v_rms = (3.0 * BOLTZMANN_EV_K * hottest * EV_TO_AMU_A2_PS2 / light.mass).sqrt();
        let step = v_rms * dt;
        if step > MAX_STEP_DISPLACEMENT {
            w.push(format!(
                "{input_file}: timestep_ps: Δt = {dt} ps is long for {} ({} amu): at {hottest} K it moves {step:.3} Å per step at its RMS thermal speed (keep this below ~{MAX_STEP_DISPLACEMENT} Å, i.e. Δt ≤ {:.2e} ps)",
                light.name,
                light.mass,
                MAX_STEP_DISPLACEMENT / v_rms
            ));
        }
    }
    w
}
