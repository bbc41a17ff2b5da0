//! The conductivity estimator's settings resolved against the species and their numbers:
//! transport charges (formal oxidation states unless given, never the force field's partial
//! charges), the diffusing species, the frame, blocks and fit window — each checked with a
//! message that names the field (DESIGN.md §5). One resolution serves the input's
//! `transport.conductivity` section ([`resolve`]) and `mdsim analyze --trajectory`'s flags
//! ([`resolve_settings`] with [`SettingsSource::CommandLine`]).

use crate::elements;
use crate::input::{ConductivityInput, FrameInput, Input};
use crate::setup::{known_names, species_index};
use mdsim_core::{Species, System};

/// Where a transport charge came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeSource {
    /// `transport.conductivity.charges`.
    Input,
    /// The formal oxidation state of the element the species name starts with.
    Formal,
}

/// The conductivity estimator's settings, resolved and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ConductivitySetup {
    /// Transport charge of every species (e).
    pub charges: Vec<f64>,
    pub charge_sources: Vec<ChargeSource>,
    /// Whether each species is one of the diffusing species.
    pub diffusing: Vec<bool>,
    pub frame: FrameInput,
    pub blocks: usize,
    /// Manual fit window (ps).
    pub fit_window_ps: Option<(f64, f64)>,
    pub target_relative_error: f64,
}

type FieldError = (String, String);

/// Where the settings were given: names the fields in messages and shows how to fix them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsSource {
    /// The input's `transport.conductivity` section.
    Input,
    /// The flags of `mdsim analyze --trajectory` (`--charges`, `--diffusing`, …).
    CommandLine,
}

impl SettingsSource {
    /// The name of a setting (`name` as in [`ConductivityInput`]) where the user gave it.
    fn field(self, name: &str) -> String {
        match (self, name) {
            (Self::Input, "") => "transport.conductivity".into(),
            (Self::Input, _) => format!("transport.conductivity.{name}"),
            (Self::CommandLine, "") => "--fit-start-ps/--fit-end-ps".into(),
            (Self::CommandLine, "target_relative_error") => "--target-error".into(),
            (Self::CommandLine, _) => format!("--{}", name.replace('_', "-")),
        }
    }

    /// How to give species `name` the transport charge +1.
    fn charge_example(self, name: &str) -> String {
        match self {
            Self::Input => format!("charges: {{\"{name}\": 1.0}}"),
            Self::CommandLine => format!("--charges {name}=1"),
        }
    }

    fn species_known(self) -> &'static str {
        match self {
            Self::Input => "the species defined are",
            Self::CommandLine => "the trajectory's species are",
        }
    }
}

/// The resolved settings; `None` when the conductivity is switched off, the run has no
/// production, or the model carries no charge at all (an uncharged liquid: nothing to
/// conduct). `production_ps` is the length of the production stages.
pub fn resolve(
    input: &Input,
    species: &[Species],
    system: &System,
    production_ps: f64,
) -> Result<Option<ConductivitySetup>, FieldError> {
    let Some(c) = &input.transport.conductivity else {
        return Ok(None);
    };
    let uncharged = species.iter().all(|s| s.charge == 0.0);
    if production_ps <= 0.0 || (uncharged && c.charges.is_empty()) {
        return Ok(None);
    }
    let setup = resolve_settings(
        c,
        species,
        &system.species_counts(),
        production_ps,
        SettingsSource::Input,
    )?;
    Ok((!setup.charges.iter().all(|&q| q == 0.0)).then_some(setup))
}

/// The settings `c` resolved for `species` (names and masses; their force-field charges are
/// not used) with `counts` atoms each, over `production_ps` of data: transport charges
/// (given, else formal), neutrality, the diffusing species (given, else the lightest
/// charged one), blocks, target error and fit window. Errors are (field, message) with
/// the field named as `source` spells it.
pub fn resolve_settings(
    c: &ConductivityInput,
    species: &[Species],
    counts: &[usize],
    production_ps: f64,
    source: SettingsSource,
) -> Result<ConductivitySetup, FieldError> {
    let (charges, charge_sources) = transport_charges(c, species, source)?;
    check_neutral(species, &charges, counts, source)?;
    let diffusing = diffusing_species(c, species, &charges, counts, source)?;
    check_numbers(c, production_ps, source)?;
    Ok(ConductivitySetup {
        charges,
        charge_sources,
        diffusing,
        frame: c.frame,
        blocks: c.blocks,
        fit_window_ps: c.fit_start_ps.zip(c.fit_end_ps),
        target_relative_error: c.target_relative_error,
    })
}

/// Given charges first, else the formal oxidation state of the species' element.
fn transport_charges(
    c: &ConductivityInput,
    species: &[Species],
    source: SettingsSource,
) -> Result<(Vec<f64>, Vec<ChargeSource>), FieldError> {
    let field = source.field("charges");
    for (name, q) in &c.charges {
        if species_index(species, name).is_none() {
            return Err((
                field,
                format!(
                    "unknown species `{name}`; {}: {}",
                    source.species_known(),
                    known_names(species)
                ),
            ));
        }
        if !q.is_finite() {
            return Err((
                field,
                format!("the charge of `{name}` must be a finite number of e, got {q}"),
            ));
        }
    }
    species
        .iter()
        .map(|s| match c.charges.get(&s.name) {
            Some(&q) => Ok((q, ChargeSource::Input)),
            None => elements::element_prefix(&s.name)
                .and_then(elements::formal_charge)
                .map(|q| (q, ChargeSource::Formal))
                .ok_or_else(|| {
                    (
                        field.clone(),
                        format!(
                            "no formal charge is known for species `{}` (its oxidation state varies, or its name is not an element); give it, e.g. {}",
                            s.name,
                            source.charge_example(&s.name)
                        ),
                    )
                }),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.into_iter().unzip())
}

fn check_neutral(
    species: &[Species],
    charges: &[f64],
    counts: &[usize],
    source: SettingsSource,
) -> Result<(), FieldError> {
    let net: f64 = charges.iter().zip(counts).map(|(q, &n)| q * n as f64).sum();
    let atoms: usize = counts.iter().sum();
    if net.abs() > 1e-6 * atoms as f64 {
        let list: Vec<String> = species
            .iter()
            .zip(charges)
            .zip(counts)
            .map(|((s, q), n)| format!("{n} {} × {q:+}", s.name))
            .collect();
        let field = source.field("charges");
        return Err((
            field.clone(),
            format!(
                "the transport charges give the cell a net charge of {net:+} e ({}); they must make it neutral: give the right oxidation states in {field}",
                list.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The given diffusing species, or the lightest species with a non-zero transport charge.
fn diffusing_species(
    c: &ConductivityInput,
    species: &[Species],
    charges: &[f64],
    counts: &[usize],
    source: SettingsSource,
) -> Result<Vec<bool>, FieldError> {
    let field = source.field("diffusing");
    let names: Vec<String> = match &c.diffusing {
        Some(list) if list.is_empty() => {
            return Err((field, "name at least one species, e.g. [\"Li\"]".into()))
        }
        Some(list) => list.clone(),
        None => species
            .iter()
            .zip(charges)
            .zip(counts)
            .filter(|((_, &q), &n)| q != 0.0 && n > 0)
            .map(|((s, _), _)| s)
            .min_by(|a, b| a.mass.total_cmp(&b.mass))
            .map(|s| vec![s.name.clone()])
            .unwrap_or_default(),
    };
    let mut diffusing = vec![false; species.len()];
    for name in &names {
        let k = species_index(species, name).ok_or_else(|| {
            (
                field.clone(),
                format!(
                    "unknown species `{name}`; {}: {}",
                    source.species_known(),
                    known_names(species)
                ),
            )
        })?;
        if counts[k] == 0 {
            return Err((
                field.clone(),
                format!("species `{name}` has no atoms in the structure"),
            ));
        }
        diffusing[k] = true;
    }
    Ok(diffusing)
}

fn check_numbers(
    c: &ConductivityInput,
    production_ps: f64,
    source: SettingsSource,
) -> Result<(), FieldError> {
    if c.blocks < 2 {
        return Err((
            source.field("blocks"),
            format!(
                "an error bar needs at least 2 independent blocks (5 or more recommended), got {}",
                c.blocks
            ),
        ));
    }
    let t = c.target_relative_error;
    if !(t > 0.0 && t <= 1.0) {
        return Err((
            source.field("target_relative_error"),
            format!("must lie in (0, 1] (0.1 = 10 %), got {t}"),
        ));
    }
    let block_ps = production_ps / c.blocks as f64;
    let window = source.field("");
    match (c.fit_start_ps, c.fit_end_ps) {
        (None, None) => Ok(()),
        (Some(a), Some(b)) if a >= 0.0 && b > a && b <= 0.5 * block_ps => Ok(()),
        (Some(a), Some(b)) if a >= 0.0 && b > a => Err((
            window,
            format!(
                "the fit window {a}–{b} ps lies outside the run: the longest lag is half a block, {:.4} ps ({} blocks of {production_ps} ps of production); shorten the window, use fewer blocks or run longer",
                0.5 * block_ps,
                c.blocks
            ),
        )),
        (a, b) => Err((
            window,
            format!("give both fit_start_ps and fit_end_ps with 0 ≤ start < end, or neither (automatic window); got {a:?}, {b:?}"),
        )),
    }
}
