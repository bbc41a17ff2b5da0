//! `mdsim analyze --trajectory FILE`: mdsim's conductivity estimators on a trajectory from
//! another engine (LAMMPS dump, extended XYZ from ASE or OVITO) or from mdsim itself. The
//! frames go through the same accumulator as a run's steps, with the settings resolved as a
//! run resolves its input (transport charges default to the formal oxidation states), so
//! the report is that of `mdsim run`.
//!
//! Two passes over the file, so memory does not grow with its length: the first reads only
//! the frame headers (number of frames, their spacing in time, the cell, a cut last frame),
//! the second feeds the frames to the accumulator.
//!
//! Decisions, each stated where it applies:
//! * Time: `--timestep-ps DT` is the MD time step and a frame's time its step number
//!   (LAMMPS `ITEM: TIMESTEP`, extended XYZ `Step=`) × DT; `--frame-interval-ps` is the time
//!   between frames, for files without step numbers. Frames must be equally spaced; a
//!   `Time=` (extended XYZ) or `ITEM: TIME` (LAMMPS) must agree with that spacing.
//! * Positions: unwrapped ones (LAMMPS `xu`, `xsu`, or image flags) are used as they are.
//!   Others are followed from frame to frame (see [`mdsim_io::trajectory::Unwrapper`]); when
//!   an atom crossed the cell (the file is wrapped) a warning says so, and the file is
//!   refused when an atom stepped more than [`MAX_WRAPPED_STEP`] of a cell vector between
//!   two frames (too far apart to follow the atoms safely).
//! * The cell must not change (NVT/NVE); a cut last frame (a run still writing, or killed)
//!   is left out with a warning, as LAMMPS' own readers stop at the last complete frame.
//! * Without velocities there is no charge current: no Green–Kubo σ, and the notes say so.

use crate::observers::conductivity::{accumulator_config, analysis_options, StoredConductivity};
use anyhow::{anyhow, bail, Context, Result};
use mdsim_core::units::{AMU_A2_PS2_TO_EV, BOLTZMANN_EV_K};
use mdsim_core::{Cell, Species};
use mdsim_io::conductivity::{resolve_settings, SettingsSource};
use mdsim_io::elements;
use mdsim_io::input::{ConductivityInput, FrameInput};
use mdsim_io::trajectory::{
    Format, Frame, FrameHeader, Positions, ReadOptions, TrajectoryReader, TypeMap, Unwrapper,
};
use mdsim_transport::conductivity::{AnalysisOptions, ConductivityAccumulator};
use mdsim_transport::TransportError;
use serde::Serialize;
use std::path::Path;

/// Largest step of an atom between two frames, as a fraction of a cell vector, with which
/// wrapped positions are still unwrapped: an atom that really moved half a cell would be
/// put back the wrong way, and steps of a quarter cell say the frames are too sparse to be
/// sure no atom did.
pub const MAX_WRAPPED_STEP: f64 = 0.25;

/// Relative change of a cell vector component (to the longest vector) taken as a change of
/// the cell.
const CELL_TOLERANCE: f64 = 1e-8;

/// Relative tolerance of a frame's written time against its place in the spacing.
const TIME_TOLERANCE: f64 = 1e-6;

/// A mean kinetic temperature further than this (relative) from `--temperature` is warned
/// about.
const TEMPERATURE_TOLERANCE: f64 = 0.1;

/// Where the frames sit in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FrameTime {
    /// The MD time step (ps): a frame's time is its step number times this.
    MdTimestep(f64),
    /// The time between consecutive frames (ps).
    FrameInterval(f64),
}

/// What `mdsim analyze --trajectory` is told.
#[derive(Clone, Debug)]
pub struct TrajectoryOptions {
    pub time: FrameTime,
    /// Temperature of the run (K), at which σ is computed.
    pub temperature_k: f64,
    /// Transport charges, diffusing species, frame, blocks, fit window and target error
    /// (as `transport.conductivity` of an input; unset charges take the formal ones).
    pub settings: ConductivityInput,
    /// Species of LAMMPS atom types, for dumps without an `element` column.
    pub types: TypeMap,
    /// Take positions that the file does not state to be unwrapped as unwrapped, without
    /// following the atoms (`--unwrapped`).
    pub assume_unwrapped: bool,
}

/// One species of the trajectory.
#[derive(Serialize, Debug, Clone)]
pub struct TrajectorySpecies {
    pub name: String,
    pub atoms: usize,
    /// From the file's mass column, else the element's standard mass.
    pub mass_amu: Option<f64>,
}

/// What was read, for the summary and analysis.json.
#[allow(non_snake_case)]
#[derive(Serialize, Debug, Clone)]
pub struct TrajectoryInfo {
    pub file: String,
    pub format: Format,
    pub frames: usize,
    pub frame_interval_ps: f64,
    pub first_step: Option<u64>,
    pub steps_between_frames: Option<u64>,
    pub n_atoms: usize,
    pub volume_A3: f64,
    pub species: Vec<TrajectorySpecies>,
    /// The columns the positions came from and how they were made continuous.
    pub positions: String,
    pub velocities: bool,
    /// Mean kinetic temperature of the frames (3N − 3 degrees of freedom), with velocities.
    pub kinetic_temperature_K: Option<f64>,
    pub temperature_K: f64,
    /// One sentence each, naming the file.
    pub warnings: Vec<String>,
}

/// A trajectory accumulated: the estimators' data (as a run stores it), the analysis
/// options of the settings, and what was read.
pub struct LoadedTrajectory {
    pub stored: StoredConductivity,
    pub options: AnalysisOptions,
    pub info: TrajectoryInfo,
    /// The trajectory has no velocities: the current (and Green–Kubo σ) is absent.
    pub no_current: bool,
}

/// The first pass: frames, their spacing, the cell.
struct Scan {
    frames: usize,
    first: FrameHeader,
    interval_ps: f64,
    step_interval: Option<u64>,
    warnings: Vec<String>,
}

/// Reads `path` and feeds its frames to the conductivity accumulator (see the module docs).
pub fn load(path: &Path, opts: &TrajectoryOptions) -> Result<LoadedTrajectory> {
    let p = path.display();
    check_numbers(opts)?;
    let read = ReadOptions {
        types: opts.types.clone(),
    };
    let scan = scan(path, &read, opts.time)?;
    let mut reader = TrajectoryReader::open(path, &read)?;
    if reader.format() == Format::ExtendedXyz && !opts.types.is_empty() {
        bail!("{p}: --types names the atom types of LAMMPS dumps; this file is extended XYZ, whose species are in the file: drop --types");
    }
    let first = reader
        .next_frame()?
        .ok_or_else(|| anyhow!("{p}: no frames"))?;
    let cell = cell_of(path, &first.header)?;
    let (species, groups) = species_of(path, &first, opts)?;
    let counts = count(&groups, species.len());
    let production_ps = (scan.frames - 1) as f64 * scan.interval_ps;
    let setup = resolve_settings(
        &opts.settings,
        &species,
        &counts,
        production_ps,
        SettingsSource::CommandLine,
    )
    .map_err(|(field, message)| anyhow!("{p}: {field}: {message}"))?;
    if setup.charges.iter().all(|&q| q == 0.0) {
        bail!("{p}: --charges: every transport charge is zero: there is nothing to conduct; give the charges, e.g. --charges Li=1,P=5,O=-2");
    }
    let cfg = accumulator_config(
        &setup,
        &species,
        &groups,
        cell.volume(),
        scan.interval_ps,
        (scan.frames - 1) as u64,
    );
    let mut acc = match ConductivityAccumulator::for_frames(cfg) {
        Ok(acc) => acc,
        Err(TransportError::RunTooShort(why)) => bail!(
            "{p}: {} frames are too few for the conductivity: {why} (a step here is a frame; --blocks)",
            scan.frames
        ),
        Err(e) => bail!("{p}: {e}"),
    };
    let mut feed = Feed::new(first, &cell, &species, opts.assume_unwrapped);
    feed.all_frames(&mut reader, &mut acc, scan.frames, path)?;
    let mut data = acc.data();
    let no_current = feed.frame.velocities.is_none();
    if no_current {
        // The current was never measured (zeros were pushed): no lag has data, so no
        // Green–Kubo estimate is made from it.
        data.current_acf.sums.fill(0.0);
        data.current_acf.counts.fill(0);
    }
    let mut warnings = scan.warnings.clone();
    let positions = feed.positions_note(path, &mut warnings);
    let kinetic = feed.kinetic_temperature();
    warnings.extend(temperature_warning(path, kinetic, opts.temperature_k));
    let info = TrajectoryInfo {
        file: p.to_string(),
        format: reader.format(),
        frames: scan.frames,
        frame_interval_ps: scan.interval_ps,
        first_step: scan.first.step,
        steps_between_frames: scan.step_interval,
        n_atoms: groups.len(),
        volume_A3: cell.volume(),
        species: species
            .iter()
            .zip(&counts)
            .map(|(s, &n)| TrajectorySpecies {
                name: s.name.clone(),
                atoms: n,
                mass_amu: s.mass.is_finite().then_some(s.mass),
            })
            .collect(),
        positions,
        velocities: !no_current,
        kinetic_temperature_K: kinetic,
        temperature_K: opts.temperature_k,
        warnings,
    };
    Ok(LoadedTrajectory {
        stored: StoredConductivity {
            mean_temperature_k: opts.temperature_k,
            data,
        },
        options: analysis_options(&setup),
        info,
        no_current,
    })
}

/// A warning when the velocities' temperature is far from `--temperature`.
fn temperature_warning(path: &Path, kinetic: Option<f64>, given: f64) -> Option<String> {
    let t = kinetic?;
    ((t / given - 1.0).abs() > TEMPERATURE_TOLERANCE).then(|| format!(
        "{}: the velocities give a mean kinetic temperature of {t:.1} K (3N − 3 degrees of freedom), not the --temperature {given} K: check --temperature, and that the velocities are in Å/ps (LAMMPS `units real` dumps need `dump_modify units yes`)",
        path.display()
    ))
}

/// The note added to a report made without velocities.
pub const NO_CURRENT_NOTE: &str = "the trajectory has no velocities: there is no charge current J = Σ q v, so no Green–Kubo σ (write velocities, e.g. LAMMPS `vx vy vz`, to have it)";

fn check_numbers(opts: &TrajectoryOptions) -> Result<()> {
    let (flag, dt) = match opts.time {
        FrameTime::MdTimestep(dt) => ("--timestep-ps", dt),
        FrameTime::FrameInterval(dt) => ("--frame-interval-ps", dt),
    };
    if !(dt > 0.0 && dt.is_finite()) {
        bail!("{flag}: must be a positive time in ps, got {dt}");
    }
    let t = opts.temperature_k;
    if !(t > 0.0 && t.is_finite()) {
        bail!("--temperature: must be a positive temperature in K, got {t}");
    }
    Ok(())
}

fn cell_of(path: &Path, h: &FrameHeader) -> Result<Cell> {
    let l = h.lattice;
    Cell::right_handed(l[0], l[1], l[2])
        .map_err(|e| anyhow!("{}:{}: the cell: {e}", path.display(), h.line))
}

/// The first pass (see [`Scan`]).
fn scan(path: &Path, read: &ReadOptions, time: FrameTime) -> Result<Scan> {
    let p = path.display();
    let mut r = TrajectoryReader::open(path, read)?;
    let mut warnings = Vec::new();
    let mut headers: Vec<FrameHeader> = Vec::new();
    loop {
        match r.next_header() {
            Ok(Some(h)) => {
                if let Some(first) = headers.first() {
                    check_like_first(path, first, &h, headers.len())?;
                }
                headers.push(h);
            }
            Ok(None) => break,
            Err(e) if e.truncated && !headers.is_empty() => {
                warnings.push(format!(
                    "{e}; the {} complete frames before it are analysed",
                    headers.len()
                ));
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let Some(first) = headers.first().cloned() else {
        bail!("{p}: no complete frame");
    };
    let step_interval = step_spacing(path, &headers, time)?;
    let interval_ps = match time {
        FrameTime::MdTimestep(dt) => step_interval.map_or(dt, |n| n as f64 * dt),
        FrameTime::FrameInterval(dt) => dt,
    };
    check_times(path, &headers, interval_ps)?;
    Ok(Scan {
        frames: headers.len(),
        first,
        interval_ps,
        step_interval,
        warnings,
    })
}

/// Same number of atoms and the same cell as the first frame.
fn check_like_first(path: &Path, first: &FrameHeader, h: &FrameHeader, k: usize) -> Result<()> {
    let p = path.display();
    if h.n_atoms != first.n_atoms {
        bail!(
            "{p}:{}: frame {k} has {} atoms, the first has {}: mdsim analyze needs the same atoms in every frame",
            h.line,
            h.n_atoms,
            first.n_atoms
        );
    }
    let scale = first
        .lattice
        .iter()
        .map(|v| v.iter().map(|x| x * x).sum::<f64>().sqrt())
        .fold(0.0, f64::max);
    let change = (0..3)
        .flat_map(|i| (0..3).map(move |c| (i, c)))
        .map(|(i, c)| (h.lattice[i][c] - first.lattice[i][c]).abs())
        .fold(0.0, f64::max);
    if change > CELL_TOLERANCE * scale {
        bail!(
            "{p}:{}: the cell of frame {k} differs from that of the first frame (by up to {change:.3e} Å): the volume changes (an NPT or deforming run); mdsim analyze needs a constant cell for now (analyse an NVT or NVE stretch)",
            h.line
        );
    }
    Ok(())
}

/// Steps between frames when the frames have step numbers; `--timestep-ps` needs them.
fn step_spacing(path: &Path, headers: &[FrameHeader], time: FrameTime) -> Result<Option<u64>> {
    let p = path.display();
    if let Some(h) = headers.iter().find(|h| h.step.is_none()) {
        if matches!(time, FrameTime::MdTimestep(_)) {
            bail!(
                "{p}:{}: the frame has no step number (Step= on the comment line), so --timestep-ps cannot place it in time; give --frame-interval-ps, the time between frames",
                h.line
            );
        }
        return Ok(None);
    }
    let steps: Vec<u64> = headers.iter().filter_map(|h| h.step).collect();
    let Some(&[s0, s1]) = steps.get(..2).map(|s| <&[u64; 2]>::try_from(s).unwrap()) else {
        return Ok(None);
    };
    let spacing = s1.checked_sub(s0).filter(|&d| d > 0);
    for (k, w) in steps.windows(2).enumerate() {
        let d = w[1].checked_sub(w[0]);
        if d.is_none() || d != spacing {
            let h = &headers[k + 1];
            bail!(
                "{p}:{}: frame {} is at step {}, after a frame at step {}; the frames before are {} steps apart. The estimators need equally spaced frames: remove the odd frames (e.g. one written twice at a restart) or analyse an equally spaced stretch",
                h.line,
                k + 1,
                w[1],
                w[0],
                spacing.map_or("0".into(), |s| s.to_string())
            );
        }
    }
    Ok(spacing)
}

/// Written times (extended XYZ `Time=`, LAMMPS `ITEM: TIME`) must follow the spacing.
fn check_times(path: &Path, headers: &[FrameHeader], interval_ps: f64) -> Result<()> {
    let Some(t0) = headers[0].time_ps else {
        return Ok(());
    };
    for (k, h) in headers.iter().enumerate().skip(1) {
        let Some(t) = h.time_ps else { continue };
        let expected = k as f64 * interval_ps;
        if ((t - t0) - expected).abs() > TIME_TOLERANCE * expected.max(interval_ps) {
            bail!(
                "{}:{}: the frame's time is {t} ps, but {k} frames of {interval_ps} ps after the first ({t0} ps) it should be {} ps: check --timestep-ps or --frame-interval-ps (in ps, not fs; LAMMPS dump times are read in ps unless `ITEM: UNITS` says real)",
                path.display(),
                h.line,
                t0 + expected
            );
        }
    }
    Ok(())
}

/// The species (in order of first appearance, with masses) and every atom's species index.
fn species_of(
    path: &Path,
    first: &Frame,
    opts: &TrajectoryOptions,
) -> Result<(Vec<Species>, Vec<usize>)> {
    let p = path.display();
    let mut species: Vec<Species> = Vec::new();
    let mut groups = Vec::with_capacity(first.species.len());
    for (i, name) in first.species.iter().enumerate() {
        let g = match species.iter().position(|s| s.name == *name) {
            Some(g) => g,
            None => {
                let mass = first.masses.as_ref().map(|m| m[i]).or_else(|| {
                    elements::element_prefix(name)
                        .and_then(elements::atomic_number)
                        .map(|z| elements::ASE_MASSES[z])
                });
                species.push(Species {
                    name: name.clone(),
                    mass: mass.unwrap_or(f64::NAN),
                    charge: 0.0,
                });
                species.len() - 1
            }
        };
        groups.push(g);
    }
    if let Some(s) = species.iter().find(|s| !s.mass.is_finite()) {
        let needs = match (opts.settings.frame, &opts.settings.diffusing) {
            (FrameInput::FrameworkCentreOfMass, _) => Some("--frame centre-of-mass"),
            (_, None) => Some("the default diffusing species (the lightest charged one)"),
            _ => None,
        };
        if let Some(what) = needs {
            bail!(
                "{p}: the mass of species `{}` is unknown (its name is not an element and the file has no mass column), and {what} needs it: give --diffusing{}",
                s.name,
                if what.starts_with("--frame") { " and another --frame" } else { "" }
            );
        }
    }
    Ok((species, groups))
}

fn count(groups: &[usize], n: usize) -> Vec<usize> {
    let mut c = vec![0; n];
    for &g in groups {
        c[g] += 1;
    }
    c
}

/// The second pass: frames into the accumulator.
struct Feed {
    frame: Frame,
    first_species: Vec<String>,
    first_ids: Option<Vec<u64>>,
    masses: Option<Vec<f64>>,
    unwrapper: Option<Unwrapper>,
    frames: usize,
    unwrapped: Vec<[f64; 3]>,
    zeros: Vec<[f64; 3]>,
    temperature_sum: f64,
}

impl Feed {
    fn new(first: Frame, cell: &Cell, species: &[Species], assume_unwrapped: bool) -> Self {
        let follow = matches!(first.kind, Positions::AsWritten(_)) && !assume_unwrapped;
        let masses: Option<Vec<f64>> = first
            .species
            .iter()
            .map(|n| {
                species
                    .iter()
                    .find(|s| s.name == *n)
                    .map(|s| s.mass)
                    .filter(|m| m.is_finite())
            })
            .collect();
        Self {
            first_species: first.species.clone(),
            first_ids: first.ids.clone(),
            zeros: vec![[0.0; 3]; first.positions.len()],
            frame: first,
            masses,
            unwrapper: follow.then(|| Unwrapper::new(cell.clone())),
            frames: 0,
            unwrapped: Vec::new(),
            temperature_sum: 0.0,
        }
    }

    /// The second pass: the first frame and the `frames − 1` after it, each checked against
    /// the first, into the accumulator.
    fn all_frames(
        &mut self,
        reader: &mut TrajectoryReader,
        acc: &mut ConductivityAccumulator,
        frames: usize,
        path: &Path,
    ) -> Result<()> {
        self.push(acc, path)?;
        for k in 1..frames {
            let frame = reader.next_frame()?.ok_or_else(|| {
                anyhow!(
                    "{}: the file changed while it was read: frame {k} is missing",
                    path.display()
                )
            })?;
            self.check_same_atoms(&frame, path)?;
            self.frame = frame;
            self.push(acc, path)?;
        }
        Ok(())
    }

    /// The same atoms, in the same order, with the same species as the first frame.
    fn check_same_atoms(&self, f: &Frame, path: &Path) -> Result<()> {
        let p = path.display();
        if f.ids != self.first_ids {
            let (a, b) = (
                f.ids.as_deref().unwrap_or(&[]),
                self.first_ids.as_deref().unwrap_or(&[]),
            );
            let i = (0..a.len()).find(|&i| a.get(i) != b.get(i)).unwrap_or(0);
            bail!(
                "{p}:{}: the frame's atoms are not those of the first frame (its atom ids differ from the first frame's from id {}): mdsim analyze needs the same atoms in every frame",
                f.header.line,
                a.get(i).copied().unwrap_or(0)
            );
        }
        if let Some(i) = (0..f.species.len()).find(|&i| f.species[i] != self.first_species[i]) {
            bail!(
                "{p}: {}: the atom is `{}` here but `{}` in the first frame",
                f.describe_atom(i),
                f.species[i],
                self.first_species[i]
            );
        }
        if f.velocities.is_some() != self.frame.velocities.is_some() {
            bail!(
                "{p}:{}: this frame {} velocities but the first {}: give them in every frame or in none",
                f.header.line,
                if f.velocities.is_some() { "has" } else { "has no" },
                if self.frame.velocities.is_some() { "has" } else { "has not" }
            );
        }
        Ok(())
    }

    /// Unwraps the current frame and pushes it.
    fn push(&mut self, acc: &mut ConductivityAccumulator, path: &Path) -> Result<()> {
        let f = &self.frame;
        let positions: &[[f64; 3]] = match &mut self.unwrapper {
            Some(u) => {
                u.unwrap(&f.positions, &mut self.unwrapped);
                let s = u.stats();
                if s.crossings > 0 && s.largest_step > MAX_WRAPPED_STEP {
                    let atom = s.largest_step_at.map_or(0, |a| a.1);
                    return Err(too_far_apart(path, f, atom, s.largest_step));
                }
                &self.unwrapped
            }
            None => &f.positions,
        };
        let v = f.velocities.as_deref().unwrap_or(&self.zeros);
        acc.push(positions, v)
            .with_context(|| format!("{}:{}", path.display(), f.header.line))?;
        if let (Some(v), Some(m)) = (&f.velocities, &self.masses) {
            let twice_ke: f64 = v
                .iter()
                .zip(m)
                .map(|(v, m)| m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
                .sum();
            let dof = (3 * v.len()).saturating_sub(3).max(1) as f64;
            self.temperature_sum += twice_ke * AMU_A2_PS2_TO_EV / (dof * BOLTZMANN_EV_K);
        }
        self.frames += 1;
        Ok(())
    }

    fn kinetic_temperature(&self) -> Option<f64> {
        (self.frame.velocities.is_some() && self.masses.is_some())
            .then(|| self.temperature_sum / self.frames as f64)
    }

    /// How the positions were used, with a warning when they had to be unwrapped.
    fn positions_note(&self, path: &Path, warnings: &mut Vec<String>) -> String {
        let columns = self.frame.kind.columns();
        match (&self.frame.kind, &self.unwrapper) {
            (Positions::Unwrapped(_), _) => format!("{columns}: unwrapped in the file"),
            (Positions::AsWritten(_), None) => {
                format!("{columns}: taken as unwrapped (--unwrapped)")
            }
            (Positions::AsWritten(_), Some(u)) => {
                let s = u.stats();
                match s.first_crossing {
                    None => format!(
                        "{columns}: no atom crossed the cell between frames; used as written"
                    ),
                    Some((frame, atom)) => {
                        warnings.push(format!(
                            "{}: the positions ({columns}) are wrapped into the cell: atoms jump by a cell vector between frames ({} times; first {} at frame {frame}); they were unwrapped by following every atom between consecutive frames, which assumes no atom moves half a cell between two frames (the largest step was {:.3} of a cell vector). Write unwrapped positions (LAMMPS `xu yu zu` or image flags) to avoid the assumption",
                            path.display(),
                            s.crossings,
                            atom_name(self.first_ids.as_deref(), atom),
                            s.largest_step
                        ));
                        format!(
                            "{columns}: wrapped; unwrapped by following the atoms between frames"
                        )
                    }
                }
            }
        }
    }
}

fn too_far_apart(path: &Path, f: &Frame, atom: usize, step: f64) -> anyhow::Error {
    anyhow!(
        "{}:{}: the positions are wrapped into the cell and {} moved {step:.2} of a cell vector between two frames (at this frame or before): the frames are too far apart to unwrap the positions safely (more than {MAX_WRAPPED_STEP} of a cell). Write unwrapped positions (LAMMPS `xu yu zu`, or `x y z` with `ix iy iz`) or frames closer in time; if the positions are in fact unwrapped, pass --unwrapped",
        path.display(),
        f.header.line,
        atom_name(f.ids.as_deref(), atom)
    )
}

/// "atom id 17" (LAMMPS) or "atom 5" (counted from 1 in the file).
fn atom_name(ids: Option<&[u64]>, i: usize) -> String {
    match ids {
        Some(ids) => format!("atom id {}", ids[i]),
        None => format!("atom {}", i + 1),
    }
}
