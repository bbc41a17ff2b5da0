//! `results.json`: the machine-readable summary of a run (DESIGN.md §7), and the summary
//! printed at the end. The driver fills the provenance; each observer fills its section.

use mdsim_core::coulomb::CoulombSummary;
use mdsim_transport::conductivity::ConductivityReport;
use mdsim_transport::Estimate;
use serde::{Deserialize, Serialize};

/// The Coulomb method and parameters of an engine, when it has charges.
pub fn coulomb_summary(engine: &mdsim_core::Engine) -> Option<CoulombSummary> {
    let s = &engine.system;
    engine.force_field.coulomb_summary(s.n_atoms(), &s.cell)
}

/// Everything results.json holds. Field names carry their units.
#[allow(non_snake_case)]
#[derive(Serialize, Default)]
pub struct Report {
    pub mdsim_version: &'static str,
    /// `completed`, or `failed: <why>`.
    pub status: String,
    pub title: String,
    pub input_file: String,
    pub input_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub potential_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structure_sha256: Option<String>,
    pub seed: u64,
    pub threads: usize,
    pub n_atoms: usize,
    pub steps: u64,
    pub timestep_ps: f64,
    pub production_steps: u64,
    pub temperature_K: Option<Estimate>,
    /// Mean per atom.
    pub potential_energy_eV: Option<Estimate>,
    pub pressure_bar: Option<Estimate>,
    pub tail_correction: Option<TailOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimization: Option<MinimizationOut>,
    /// The Coulomb method and its parameters, when any species is charged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coulomb: Option<CoulombSummary>,
    pub neighbor_list_builds: u64,
    pub steps_per_second: f64,
    pub wall_time_s: f64,
    pub started: String,
    pub finished: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub transport: TransportOut,
    /// Lines of the printed summary, in the order the observers gave them.
    #[serde(skip)]
    pub summary: Vec<String>,
}

#[allow(non_snake_case)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MinimizationOut {
    pub converged: bool,
    pub steps: usize,
    pub energy_start_eV: f64,
    pub energy_end_eV: f64,
    pub max_force_eV_per_A: f64,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
pub struct TailOut {
    pub energy_eV_per_atom: f64,
    pub pressure_bar: f64,
}

/// The `transport` section (DESIGN.md §7).
#[allow(non_snake_case)]
#[derive(Serialize, Default)]
pub struct TransportOut {
    /// Full (collective) conductivity: the default (spectral) estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conductivity_S_cm: Option<Estimate>,
    /// False when σ is not resolved (too short a run: relative error > 100 %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conductivity_resolved: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conductivity_tracer_S_cm: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub haven_ratio: Option<Estimate>,
    /// D per species: from the conductivity estimator (in its reference frame) when it runs,
    /// else from the lab-frame MSD.
    pub species: Vec<SpeciesTransport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vacf: Vec<VacfOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rdf_first_peak: Vec<RdfPeakOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Everything the conductivity estimator found: charges, frame, every estimator with its
    /// window and blocks, collective D, advice for the target error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conductivity: Option<ConductivityReport>,
}

#[derive(Serialize)]
pub struct SpeciesTransport {
    pub species: String,
    /// When the species measurably moves (its one-sided 95 % lower bound is above 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diffusion_cm2_s: Option<Estimate>,
    /// When it does not: a one-sided 95 % upper bound, never a negative D.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper_bound_cm2_s: Option<f64>,
    pub fit_window_ps: [f64; 2],
    pub n_blocks: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceOut>,
}

#[derive(Serialize)]
pub struct ReferenceOut {
    pub source: String,
    pub diffusion_cm2_s: f64,
    pub ratio: f64,
    /// (ours − reference) / √(our stderr² + reference uncertainty²).
    pub deviation_sigma: f64,
}

#[derive(Serialize)]
pub struct VacfOut {
    pub species: String,
    pub diffusion_green_kubo_cm2_s: Estimate,
    pub first_zero_ps: Option<f64>,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
pub struct RdfPeakOut {
    pub pair: [String; 2],
    pub r_A: Option<f64>,
}

impl Report {
    /// The summary printed at the end of a run (stderr).
    pub fn print_summary(&self) {
        eprintln!(
            "\n{} — {} steps in {:.2} s ({:.0} steps/s)",
            self.status, self.steps, self.wall_time_s, self.steps_per_second
        );
        for line in &self.summary {
            eprintln!("{line}");
        }
        for n in &self.transport.notes {
            eprintln!("  note: {n}");
        }
    }
}

/// `value ± stderr` with `digits` decimals, or `—`.
pub fn plus_minus(e: &Option<Estimate>, digits: usize) -> String {
    match e {
        Some(e) => format!("{:.*} ± {:.*}", digits, e.value, digits, e.stderr),
        None => "—".into(),
    }
}
