//! Reading an input file and turning it into a ready-to-run system, with errors that name the
//! file, the position or the field, and what to do.

use crate::input::*;
use crate::{checks, structure};
use mdsim_core::coulomb;
use mdsim_core::ewald::EwaldError;
use mdsim_core::neighbor::NeighborList;
use mdsim_core::pair::BuckinghamRepair;
use mdsim_core::safety::{HardMinimum, Violation};
use mdsim_core::units::EV_TO_AMU_A2_PS2;
use mdsim_core::{velocities, ForceField, PairPotential, PairSpec, PairTerm, Species, System};
use std::path::{Path, PathBuf};

/// An input problem. `Display` gives the one-paragraph message shown to the user.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot read the file: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: String,
        field: String,
        message: String,
    },
}

/// Everything a run needs, built from one input file.
#[derive(Clone, Debug)]
pub struct Setup {
    pub path: PathBuf,
    /// The input file, verbatim.
    pub text: String,
    pub input: Input,
    /// The force field as read (inline or from its file) and its file, if any.
    pub force_field_input: ForceFieldInput,
    pub force_field_path: Option<PathBuf>,
    /// The time step (ps), checked; NaN for an input loaded for a single point without one.
    pub timestep_ps: f64,
    /// The structure file the structure is read from (extended XYZ, CIF, LAMMPS data):
    /// copied to the outputs ([`StructureInput::source_file`] names the copy) and hashed.
    pub structure_path: Option<PathBuf>,
    pub system: System,
    pub force_field: ForceField,
    /// Number of steps of each stage.
    pub stage_steps: Vec<u64>,
    /// Hard minimum distance per species pair (`safety`).
    pub hard_minimum: HardMinimum,
    /// The conductivity estimator's settings, when it applies (see
    /// [`crate::conductivity::resolve`]).
    pub conductivity: Option<crate::conductivity::ConductivitySetup>,
    /// Things in the input that are allowed but probably not what the user meant, or that
    /// mdsim read but does not use (one sentence each, naming the file and field). Every
    /// command prints them; `mdsim run` also writes them to results.json.
    pub warnings: Vec<String>,
}

impl Setup {
    pub fn total_steps(&self) -> u64 {
        self.stage_steps.iter().sum()
    }

    /// Steps before the first production stage (the production stages follow each other).
    pub fn production_start(&self) -> u64 {
        self.input
            .stages
            .iter()
            .zip(&self.stage_steps)
            .take_while(|(s, _)| !s.production)
            .map(|(_, &n)| n)
            .sum()
    }

    /// Steps of all production stages.
    pub fn production_steps(&self) -> u64 {
        self.input
            .stages
            .iter()
            .zip(&self.stage_steps)
            .filter(|(s, _)| s.production)
            .map(|(_, &n)| n)
            .sum()
    }
}

/// What an input is loaded for: what it must contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// MD stages or a minimisation (`mdsim run`, `mdsim check`): a time step and something
    /// to do are required.
    Run,
    /// Energy, forces and pressure of the structure (`mdsim energy`): stages and time step
    /// may be left out.
    SinglePoint,
}

/// Name of the copy of the potential file in a run folder.
pub const POTENTIAL_COPY: &str = "potential.ron";
/// Name of the starting structure in a run folder: a copy of an `Xyz` structure file, or
/// the structure as built (extended XYZ). Copies of other structure files are named by
/// [`StructureInput::source_file`].
pub const STRUCTURE_COPY: &str = "structure.xyz";

/// Reads, parses, checks and builds an input file for a run.
pub fn load(path: &Path) -> Result<Setup, InputError> {
    load_for(path, Purpose::Run)
}

/// Reads, parses, checks and builds an input file for `purpose`.
pub fn load_for(path: &Path, purpose: Purpose) -> Result<Setup, InputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    load_resolving(path, purpose, &|name, _copy| dir.join(name))
}

/// Loads the input copied into a run folder (`input.ron`), reading the potential and
/// structure files it names from their copies beside it ([`POTENTIAL_COPY`],
/// [`StructureInput::source_file`]): the names in the input are relative to the original
/// input's folder.
/// Used to continue a run from its folder alone.
pub fn load_run_folder(dir: &Path) -> Result<Setup, InputError> {
    load_resolving(&dir.join("input.ron"), Purpose::Run, &|_name, copy| {
        dir.join(copy)
    })
}

/// [`load_for`], with `resolve(name, copy)` giving the path of a file the input names
/// (`copy` is the name of its copy in a run folder).
fn load_resolving(
    path: &Path,
    purpose: Purpose,
    resolve: &dyn Fn(&str, &str) -> PathBuf,
) -> Result<Setup, InputError> {
    let text = read(path)?;
    let input: Input = parse_ron(path, &text)?;
    let mut warnings = Vec::new();
    let structure_path = input
        .structure
        .source_file()
        .map(|(name, copy)| resolve(name, copy));
    let (force_field_input, force_field_path) = match &input.potential {
        PotentialSource::Inline(ff) => (ff.clone(), None),
        PotentialSource::File(file) => {
            let p = resolve(file, POTENTIAL_COPY);
            let t = read(&p)?;
            (parse_ron(&p, &t)?, Some(p))
        }
    };
    let ff_path = force_field_path.as_deref().unwrap_or(path);
    let ff_prefix = if force_field_path.is_some() {
        ""
    } else {
        "potential."
    };
    let invalid = |p: &Path, field: String, message: String| InputError::Invalid {
        path: p.display().to_string(),
        field,
        message,
    };
    let here = |field: &str, message: String| invalid(path, field.to_string(), message);

    // Species.
    let species = build_species(&force_field_input)
        .map_err(|(f, m)| invalid(ff_path, format!("{ff_prefix}{f}"), m))?;
    let pair = build_pairs(&force_field_input, &species)
        .map_err(|(f, m)| invalid(ff_path, format!("{ff_prefix}{f}"), m))?;

    // Numbers of the run.
    let dt = match (input.timestep_ps, purpose) {
        (Some(dt), _) => {
            check_timestep(dt).map_err(|m| here("timestep_ps", m))?;
            dt
        }
        (None, Purpose::SinglePoint) if input.stages.is_empty() => f64::NAN,
        (None, _) => {
            return Err(here(
                "timestep_ps",
                "missing: the integration time step in ps is required to run MD or minimise (e.g. timestep_ps: 0.001 for 1 fs)".into(),
            ))
        }
    };
    if purpose == Purpose::Run && input.stages.is_empty() && input.minimize.is_none() {
        return Err(here(
            "stages",
            "nothing to do: add a stage, e.g. (ensemble: Nve, duration_ps: 10.0), or a minimize section".into(),
        ));
    }
    if let Some(m) = &input.minimize {
        if !(m.force_tolerance > 0.0 && m.force_tolerance.is_finite()) {
            return Err(here(
                "minimize.force_tolerance",
                format!(
                    "must be a positive force in eV/Å, got {}",
                    m.force_tolerance
                ),
            ));
        }
    }
    let mut stage_steps = Vec::new();
    for (k, stage) in input.stages.iter().enumerate() {
        let d = stage.duration_ps;
        let steps = (d / dt).round();
        if !(d > 0.0 && d.is_finite()) || steps < 1.0 {
            return Err(here(
                &format!("stages[{k}].duration_ps"),
                format!("must be at least one time step ({dt} ps), got {d}"),
            ));
        }
        if let EnsembleInput::Nvt {
            temperature,
            damping_ps,
            chain,
        } = stage.ensemble
        {
            if !(temperature > 0.0 && temperature.is_finite()) {
                return Err(here(
                    &format!("stages[{k}].ensemble.temperature"),
                    format!("must be positive (K), got {temperature}"),
                ));
            }
            if !(damping_ps >= dt && damping_ps.is_finite()) {
                return Err(here(
                    &format!("stages[{k}].ensemble.damping_ps"),
                    format!("must be at least one time step; about 100 time steps ({} ps) is usual, got {damping_ps}", 100.0 * dt),
                ));
            }
            if chain == 0 {
                return Err(here(
                    &format!("stages[{k}].ensemble.chain"),
                    "the chain needs at least one thermostat (3 is usual)".into(),
                ));
            }
        }
        stage_steps.push(steps as u64);
    }
    if let Some(t) = input.initial_temperature {
        if !(t >= 0.0 && t.is_finite()) {
            return Err(here(
                "initial_temperature",
                format!("must be ≥ 0 K, got {t}"),
            ));
        }
    }
    let skin = input.neighbor.skin;
    if !(skin >= 0.0 && skin.is_finite()) {
        return Err(here("neighbor.skin", format!("must be ≥ 0 Å, got {skin}")));
    }
    if input.output.thermo_every == 0 {
        return Err(here(
            "output.thermo_every",
            "must be at least 1 step".into(),
        ));
    }
    if input.output.trajectory_format == TrajectoryFormat::H5md && !cfg!(feature = "hdf5") {
        return Err(here(
            "output.trajectory_format",
            "H5md needs mdsim built with the `hdf5` feature (cargo build --release --features hdf5, with libhdf5-dev installed); use Xyz otherwise".into(),
        ));
    }
    let tr = &input.transport;
    if tr.sample_every == 0 {
        return Err(here(
            "transport.sample_every",
            "must be at least 1 step".into(),
        ));
    }
    let positive = |v: Option<f64>| v.is_none_or(|x| x > 0.0 && x.is_finite());
    for (field, v) in [
        ("transport.msd.max_lag_ps", tr.msd.max_lag_ps),
        ("transport.msd.origin_every_ps", tr.msd.origin_every_ps),
        (
            "transport.vacf.max_lag_ps",
            tr.vacf.as_ref().map(|v| v.max_lag_ps),
        ),
        (
            "transport.vacf.origin_every_ps",
            tr.vacf.as_ref().and_then(|v| v.origin_every_ps),
        ),
    ] {
        if !positive(v) {
            return Err(here(
                field,
                format!(
                    "must be a positive time in ps, got {}",
                    v.unwrap_or(f64::NAN)
                ),
            ));
        }
    }
    match (tr.msd.fit_start_ps, tr.msd.fit_end_ps) {
        (None, None) => {}
        (Some(a), Some(b)) if a >= 0.0 && b > a && b.is_finite() => {}
        (a, b) => {
            return Err(here(
                "transport.msd",
                format!("give both fit_start_ps and fit_end_ps with 0 ≤ start < end, or neither (automatic window); got {a:?}, {b:?}"),
            ))
        }
    }
    let production: Vec<usize> = (0..input.stages.len())
        .filter(|&k| input.stages[k].production)
        .collect();
    if production.windows(2).any(|w| w[1] != w[0] + 1) {
        return Err(here(
            "stages",
            "production stages must follow each other: the transport observers treat them as one continuous series".into(),
        ));
    }
    if tr.msd.blocks < 2 {
        return Err(here(
            "transport.msd.blocks",
            format!(
                "an error bar needs at least 2 independent blocks (5 or more recommended), got {}",
                tr.msd.blocks
            ),
        ));
    }

    if let Some(r) = &input.reference {
        if species_index(&species, &r.species).is_none() {
            return Err(here(
                "reference.species",
                format!(
                    "unknown species `{}`; the species defined are: {}",
                    r.species,
                    known_names(&species)
                ),
            ));
        }
        if !(r.diffusion_cm2_s > 0.0 && r.relative_uncertainty > 0.0) {
            return Err(here(
                "reference",
                "diffusion_cm2_s and relative_uncertainty must be positive".into(),
            ));
        }
    }

    // Absurd sizes are refused before anything is allocated.
    checks::run_length(&input, dt, &stage_steps).map_err(|(f, m)| here(&f, m))?;
    checks::structure_size(&input.structure).map_err(|(f, m)| here(&f, m))?;

    // Structure, then the Coulomb parameters that depend on it.
    let built = structure::build_from(
        &input.structure,
        input.seed,
        structure_path.as_deref(),
        &species,
        path,
    )?;
    let mut system = built.system;
    let reduced = checks::reduce_cell(
        &mut system,
        &input.structure,
        structure_path.as_deref(),
        built.written_cell,
        path,
    )?;
    warnings.extend(built.warnings);
    warnings.extend(reduced.note);
    warnings.extend(structure::replaced_velocities(&system, &input, path));
    let charges = system.charges();
    let c = &input.coulomb;
    if !(1e-15..=0.1).contains(&c.accuracy) {
        return Err(here(
            "coulomb.accuracy",
            format!(
                "must lie between 1e-15 (double precision) and 0.1, got {}; 1e-5 is usual",
                c.accuracy
            ),
        ));
    }
    if let Some(rc) = c.real_cutoff {
        if !(rc > 0.0 && rc.is_finite()) {
            return Err(here(
                "coulomb.real_cutoff",
                format!("must be a positive distance in Å, got {rc}"),
            ));
        }
    }
    let coulomb = if charges.iter().any(|&q| q != 0.0) {
        // With no short-range terms the real cutoff may start from a quarter of the cell.
        let widths = system.cell.perpendicular_widths();
        let min_cutoff = match pair.max_cutoff() {
            r if r > 0.0 => r,
            _ => 0.25 * widths[0].min(widths[1]).min(widths[2]),
        };
        let method = match c.method {
            CoulombMethodInput::Auto => coulomb::Method::Auto,
            CoulombMethodInput::Ewald => coulomb::Method::Ewald,
            CoulombMethodInput::Pme => coulomb::Method::Pme,
            CoulombMethodInput::Dsf { alpha } => coulomb::Method::Dsf { alpha },
        };
        let params = coulomb::choose(
            method,
            c.accuracy,
            c.real_cutoff,
            min_cutoff,
            &system.cell,
            &system.positions,
            &charges,
        );
        Some(params.map_err(|e| {
            let field = match e {
                EwaldError::NonNeutral { .. } => "structure",
                _ => "coulomb",
            };
            here(field, e.to_string())
        })?)
    } else {
        None
    };
    let mut force_field = ForceField::new(pair, coulomb, &system.species_charges());
    if !input.coulomb.tables {
        force_field = force_field.without_tables();
    }
    let cutoff = force_field.cutoff();
    checks::cell_fits(&system.cell, reduced.width_as_written, cutoff, skin)
        .map_err(|(f, m)| here(&f, m))?;
    checks::memory(&input, dt, &stage_steps, &system, &force_field)
        .map_err(|(f, m)| here(&f, m))?;
    let min_width = system
        .cell
        .perpendicular_widths()
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    if let Some(rdf) = &tr.rdf {
        if !(rdf.r_max > 0.0 && rdf.r_max <= 0.5 * min_width) || rdf.bins == 0 || rdf.every == 0 {
            return Err(here(
                "transport.rdf",
                format!("needs 0 < r_max ≤ half the narrowest cell width ({:.4} Å), bins ≥ 1 and every ≥ 1", 0.5 * min_width),
            ));
        }
    }
    let hard_minimum =
        build_hard_minimum(&input.safety, &species, cutoff).map_err(|(f, m)| here(&f, m))?;
    if let Some(v) = initial_violation(&system, &hard_minimum) {
        return Err(here(
            "structure",
            format!(
                "atoms {} ({}) and {} ({}) overlap: they are {:.4} Å apart, closer than their minimum distance of {} Å (safety); fix the structure or its lattice constant",
                v.i,
                system.species[system.types[v.i]].name,
                v.j,
                system.species[system.types[v.j]].name,
                v.distance,
                v.minimum
            ),
        ));
    }
    check_dynamics(&mut system, &input, &mut warnings).map_err(|(f, m)| here(&f, m))?;
    system.wrap_positions();
    if let Some(coulomb::CoulombParams::Dsf(d)) = &force_field.coulomb {
        if let Some(err) = d.error_relative.filter(|&e| e > input.coulomb.accuracy) {
            warnings.push(format!(
                "{}: coulomb.method: the damped shifted-force Coulomb's measured RMS force \
                 error against Ewald on the starting structure is {err:.2e} (relative \
                 accuracy), above coulomb.accuracy = {:.1e}",
                path.display(),
                input.coulomb.accuracy
            ));
        }
    }
    warnings.extend(checks::plausibility(
        path,
        &input,
        dt,
        (ff_path, ff_prefix),
        &species,
        &system,
    ));
    let production_ps: f64 = input
        .stages
        .iter()
        .zip(&stage_steps)
        .filter(|(s, _)| s.production)
        .map(|(_, &n)| n as f64 * dt)
        .sum();
    let conductivity = crate::conductivity::resolve(&input, &species, &system, production_ps)
        .map_err(|(f, m)| here(&f, m))?;
    Ok(Setup {
        path: path.to_path_buf(),
        text,
        input,
        force_field_input,
        force_field_path,
        timestep_ps: dt,
        structure_path,
        system,
        force_field,
        stage_steps,
        hard_minimum,
        conductivity,
        warnings,
    })
}

/// A time step must be positive and short enough for MD (the unit is ps, not fs).
fn check_timestep(dt: f64) -> Result<(), String> {
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(format!("must be a positive number of ps, got {dt}"));
    }
    if dt > 0.1 {
        return Err(format!("{dt} ps is far too long for molecular dynamics (typical: 0.0005–0.01 ps); the value is in ps, not fs"));
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|error| InputError::Read {
        path: path.display().to_string(),
        error,
    })
}

/// Parses RON, turning errors into `file:line:column: message`.
pub fn parse_ron<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, InputError> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e: ron::error::SpannedError| InputError::Syntax {
            path: path.display().to_string(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
}

type FieldError = (String, String);

fn build_species(ff: &ForceFieldInput) -> Result<Vec<Species>, FieldError> {
    let mut species: Vec<Species> = Vec::new();
    if ff.species.is_empty() {
        return Err(("species".into(), "no species defined".into()));
    }
    for (k, s) in ff.species.iter().enumerate() {
        if species.iter().any(|t| t.name == s.name) {
            return Err((
                format!("species[{k}].name"),
                format!("species `{}` is defined twice", s.name),
            ));
        }
        if !(s.mass > 0.0 && s.mass.is_finite()) {
            return Err((
                format!("species[{k}].mass"),
                format!("must be a positive mass in amu, got {}", s.mass),
            ));
        }
        if !s.charge.is_finite() {
            return Err((format!("species[{k}].charge"), "must be finite".into()));
        }
        species.push(Species {
            name: s.name.clone(),
            mass: s.mass,
            charge: s.charge,
        });
    }
    Ok(species)
}

pub(crate) fn species_index(species: &[Species], name: &str) -> Option<usize> {
    species.iter().position(|s| s.name == name)
}

pub(crate) fn known_names(species: &[Species]) -> String {
    species
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn build_pairs(ff: &ForceFieldInput, species: &[Species]) -> Result<PairPotential, FieldError> {
    let n = species.len();
    let mut pot = PairPotential::new(n);
    let mut seen = vec![false; n * n];
    // Marks a pair as given, refusing unknown species and pairs given twice.
    let mut claim = |field: String, x: &str, y: &str| -> Result<(usize, usize), FieldError> {
        let idx = |name: &str| {
            species_index(species, name).ok_or_else(|| {
                (
                    field.clone(),
                    format!(
                        "unknown species `{name}`; the species defined are: {}",
                        known_names(species)
                    ),
                )
            })
        };
        let (a, b) = (idx(x)?, idx(y)?);
        if seen[a * n + b] {
            return Err((
                field,
                format!("the pair ({x}, {y}) is given twice; give each pair once"),
            ));
        }
        seen[a * n + b] = true;
        seen[b * n + a] = true;
        Ok((a, b))
    };
    for (k, p) in ff.pairs.iter().enumerate() {
        let field = format!("pairs[{k}]");
        let (a, b) = claim(format!("{field}.between"), &p.between.0, &p.between.1)?;
        if !(p.cutoff > 0.0 && p.cutoff.is_finite()) {
            return Err((
                format!("{field}.cutoff"),
                format!("must be a positive distance in Å, got {}", p.cutoff),
            ));
        }
        let mut terms = Vec::new();
        for (t, term) in p.terms.iter().enumerate() {
            terms.push(build_term(term).map_err(|m| (format!("{field}.terms[{t}]"), m))?);
        }
        pot.set(
            a,
            b,
            PairSpec {
                terms,
                cutoff: p.cutoff,
                shift: p.shift,
            },
        );
    }
    for (k, (x, y)) in ff.coulomb_only.iter().enumerate() {
        claim(format!("coulomb_only[{k}]"), x, y)?;
    }
    for a in 0..n {
        for b in a..n {
            if !seen[a * n + b] {
                let (x, y) = (&species[a].name, &species[b].name);
                return Err((
                    "pairs".into(),
                    format!("no parameters for the pair ({x}, {y}); add an entry with between: (\"{x}\", \"{y}\") to `pairs`, or (\"{x}\", \"{y}\") to `coulomb_only`"),
                ));
            }
        }
    }
    Ok(pot)
}

/// A term with its parameters checked.
fn build_term(term: &TermInput) -> Result<PairTerm, String> {
    let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
    Ok(match *term {
        TermInput::LennardJones { epsilon, sigma } => {
            if !(epsilon >= 0.0 && sigma > 0.0 && finite(&[epsilon, sigma])) {
                return Err(format!("LennardJones needs epsilon ≥ 0 (eV) and sigma > 0 (Å), got epsilon = {epsilon}, sigma = {sigma}"));
            }
            PairTerm::LennardJones { epsilon, sigma }
        }
        TermInput::Buckingham {
            a,
            rho,
            c,
            ref repair,
        } => {
            if !(a >= 0.0 && rho > 0.0 && finite(&[a, rho, c])) {
                return Err(format!("Buckingham needs a ≥ 0 (eV), rho > 0 (Å) and a finite c, got a = {a}, rho = {rho}, c = {c}"));
            }
            let repair = match repair {
                Some(r) if !(r.r0 > 0.0 && finite(&[r.r0, r.b, r.n, r.d])) => {
                    return Err(format!(
                        "repair needs r0 > 0 (Å) and finite b, n, d, got {r:?}"
                    ));
                }
                Some(r) => Some(BuckinghamRepair {
                    r0: r.r0,
                    b: r.b,
                    n: r.n,
                    d: r.d,
                }),
                None => None,
            };
            PairTerm::Buckingham { a, rho, c, repair }
        }
        TermInput::Morse { d, a, r0 } => {
            if !(a > 0.0 && r0 > 0.0 && finite(&[d, a, r0])) {
                return Err(format!("Morse needs a > 0 (1/Å), r0 > 0 (Å) and a finite d, got d = {d}, a = {a}, r0 = {r0}"));
            }
            PairTerm::Morse { d, a, r0 }
        }
        TermInput::Power { c, n } => {
            if !(n > 0.0 && finite(&[c, n])) {
                return Err(format!(
                    "Power needs n > 0 and a finite c, got c = {c}, n = {n}"
                ));
            }
            PairTerm::Power { c, n }
        }
    })
}

/// What the equations of motion need from the starting state: atoms that can move, zero
/// total momentum (the temperature counts 3N − 3 degrees of freedom; a drift in the
/// structure's velocities is removed and reported), and kinetic energy for a thermostat to
/// work on (Nosé–Hoover only rescales velocities: it cannot heat a system at rest).
fn check_dynamics(
    system: &mut System,
    input: &Input,
    warnings: &mut Vec<String>,
) -> Result<(), FieldError> {
    let safety = &input.safety;
    if !(safety.max_temperature_factor > 1.0 && safety.max_temperature_factor.is_finite()) {
        return Err((
            "safety.max_temperature_factor".into(),
            format!(
                "must be a number above 1 (default 10), got {}",
                safety.max_temperature_factor
            ),
        ));
    }
    if !(safety.max_energy_jump_kT > 0.0 && safety.max_energy_jump_kT.is_finite()) {
        return Err((
            "safety.max_energy_jump_kT".into(),
            format!(
                "must be a positive number of k_B·T per atom (default 0.5), got {}",
                safety.max_energy_jump_kT
            ),
        ));
    }
    if system.n_atoms() < 2 && !input.stages.is_empty() {
        return Err((
            "structure".into(),
            format!("{} atom(s): molecular dynamics with zero total momentum needs at least 2 atoms (3N − 3 degrees of freedom)", system.n_atoms()),
        ));
    }
    let p = system.total_momentum();
    let ke = system.kinetic_energy();
    if ke > 0.0 {
        let mass: f64 = system.masses.iter().sum();
        let v_cm = p.map(|x| x / mass);
        let v_rms = (2.0 * ke * EV_TO_AMU_A2_PS2 / mass).sqrt();
        let speed = v_cm.iter().map(|v| v * v).sum::<f64>().sqrt();
        if speed > 1e-9 * v_rms {
            velocities::remove_drift(system);
            warnings.push(format!(
                "structure: the velocities read carry a centre-of-mass velocity of {speed:.3e} Å/ps ({:.2e} of the thermal speed); it was removed, so the temperature counts 3N − 3 degrees of freedom and the MSD has no drift",
                speed / v_rms
            ));
        }
    }
    let at_rest = input.initial_temperature.is_none() && system.kinetic_energy() == 0.0;
    if let (true, Some(first)) = (at_rest, input.stages.first()) {
        if let EnsembleInput::Nvt { temperature, .. } = first.ensemble {
            return Err((
                "stages[0].ensemble".into(),
                format!("a Nosé–Hoover thermostat cannot heat a system at rest (it only rescales velocities, and there are none): set initial_temperature (e.g. {temperature}) for Maxwell–Boltzmann velocities, or give velocities in the structure file"),
            ));
        }
    }
    Ok(())
}

/// The `safety` minima as a per-pair table; every minimum must lie below the cutoff (the
/// run checks listed pairs only).
fn build_hard_minimum(
    safety: &SafetyInput,
    species: &[Species],
    cutoff: f64,
) -> Result<HardMinimum, FieldError> {
    let check = |field: String, r: f64| {
        if r >= 0.0 && r < cutoff {
            Ok(r)
        } else {
            Err((
                field,
                format!("must be ≥ 0 Å and below the cutoff ({cutoff} Å), got {r}"),
            ))
        }
    };
    let mut table = HardMinimum::new(
        species.len(),
        check("safety.min_distance".into(), safety.min_distance)?,
    );
    for (k, p) in safety.pairs.iter().enumerate() {
        let field = format!("safety.pairs[{k}]");
        let idx = |name: &str| {
            species_index(species, name).ok_or_else(|| {
                (
                    format!("{field}.between"),
                    format!(
                        "unknown species `{name}`; the species defined are: {}",
                        known_names(species)
                    ),
                )
            })
        };
        let (a, b) = (idx(&p.between.0)?, idx(&p.between.1)?);
        table.set(
            a,
            b,
            check(format!("{field}.min_distance"), p.min_distance)?,
        );
    }
    Ok(table)
}

/// The worst pair of the starting structure inside its minimum distance, if any.
pub fn initial_violation(system: &System, minimum: &HardMinimum) -> Option<Violation> {
    if minimum.largest() <= 0.0 || system.n_atoms() < 2 {
        return None;
    }
    let mut nl = NeighborList::new(minimum.largest(), 0.0);
    let mut wrapped = system.clone();
    wrapped.wrap_positions();
    nl.build(&wrapped.cell, &wrapped.positions);
    minimum.worst_violation(&nl, &wrapped.positions, &wrapped.types)
}
