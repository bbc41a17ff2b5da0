//! Coulomb interactions: one real-space term ([`RealSpaceCoulomb`], evaluated in the pair
//! loop) and interchangeable long-range solvers with one signature ([`Coulomb`]): plain Ewald
//! ([`crate::ewald`]), smooth particle-mesh Ewald ([`crate::pme`]) and none (damped shifted
//! force, [`dsf`]). [`choose`] picks the method and its parameters from the requested
//! relative force accuracy for the lowest modelled cost ([`cost`]).

pub mod cost;
pub mod dsf;
mod real_space;
pub mod table;

pub use dsf::DsfParams;
pub use real_space::{RealSpaceCoulomb, TABLE_ERROR_FRACTION};

use crate::cell::Cell;
use crate::ewald::{Ewald, EwaldError, EwaldParams};
use crate::forces::EnergyVirial;
use crate::pme::{Pme, PmeParams};
use serde::Serialize;
use std::f64::consts::PI;

/// The method the user asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// The cheaper of Ewald and PME (by the cost model) at the requested accuracy.
    Auto,
    Ewald,
    Pme,
    /// Damped shifted force with damping α (1/Å); its error is measured, not requested.
    Dsf {
        alpha: f64,
    },
}

/// The chosen method and its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CoulombParams {
    Ewald(EwaldParams),
    Pme(PmeParams),
    Dsf(DsfParams),
}

impl From<EwaldParams> for CoulombParams {
    fn from(p: EwaldParams) -> Self {
        CoulombParams::Ewald(p)
    }
}

impl From<PmeParams> for CoulombParams {
    fn from(p: PmeParams) -> Self {
        CoulombParams::Pme(p)
    }
}

impl CoulombParams {
    /// The real-space term of the pair loop, tabulated when the table is accurate enough for
    /// the requested accuracy ([`RealSpaceCoulomb::tabulated`]; DSF: for 1e-6).
    pub fn real_space(&self) -> RealSpaceCoulomb {
        let term = match self {
            CoulombParams::Ewald(p) => RealSpaceCoulomb::new(p.alpha, p.real_cutoff),
            CoulombParams::Pme(p) => RealSpaceCoulomb::new(p.alpha, p.real_cutoff),
            CoulombParams::Dsf(p) => p.real_space(),
        };
        term.tabulated(self.table_accuracy())
    }

    /// The relative force accuracy tables must serve: the requested one (DSF: 1e-6).
    pub fn table_accuracy(&self) -> f64 {
        match self {
            CoulombParams::Ewald(p) => p.accuracy,
            CoulombParams::Pme(p) => p.accuracy,
            CoulombParams::Dsf(_) => 1e-6,
        }
    }

    /// Real-space cutoff, Å.
    pub fn real_cutoff(&self) -> f64 {
        match self {
            CoulombParams::Ewald(p) => p.real_cutoff,
            CoulombParams::Pme(p) => p.real_cutoff,
            CoulombParams::Dsf(p) => p.cutoff,
        }
    }

    /// Modelled cost of one force evaluation (ns, [`cost`]); `None` for DSF.
    pub fn modelled_cost(&self, n: usize, cell: &Cell) -> Option<f64> {
        let (nf, volume) = (n as f64, cell.volume());
        match self {
            CoulombParams::Ewald(p) => {
                let n_k = Ewald::new(*p, cell).n_kvectors() as f64;
                Some(
                    cost::PAIR_NS * cost::real_space_pairs(nf, volume, p.real_cutoff)
                        + cost::KVECTOR_NS * nf * n_k,
                )
            }
            CoulombParams::Pme(p) => Some(p.modelled_cost(n, volume)),
            CoulombParams::Dsf(_) => None,
        }
    }

    /// What was chosen, for printing and results.json.
    pub fn summary(&self, n: usize, cell: &Cell) -> CoulombSummary {
        let mut s = CoulombSummary {
            method: "",
            alpha_per_A: 0.0,
            real_cutoff_A: self.real_cutoff(),
            accuracy_requested: None,
            accuracy_estimated: None,
            kmax: None,
            k_cutoff_per_A: None,
            n_kvectors: None,
            mesh: None,
            spline_order: None,
            modelled_cost_ms: self.modelled_cost(n, cell).map(|c| c * 1e-6),
            dsf_force_error_relative: None,
            dsf_force_error_over_rms_force: None,
            pair_tables_kB: None,
            pair_tables_max_relative_force_error: None,
            pair_tables_off_because: None,
        };
        match self {
            CoulombParams::Ewald(p) => {
                s.method = "ewald";
                s.alpha_per_A = p.alpha;
                s.accuracy_requested = Some(p.accuracy);
                s.accuracy_estimated = Some(p.estimated_accuracy);
                s.kmax = Some(p.kmax);
                s.k_cutoff_per_A = Some(p.k_cutoff);
                s.n_kvectors = Some(Ewald::new(*p, cell).n_kvectors());
            }
            CoulombParams::Pme(p) => {
                s.method = "pme";
                s.alpha_per_A = p.alpha;
                s.accuracy_requested = Some(p.accuracy);
                s.accuracy_estimated = Some(p.estimated_accuracy);
                s.mesh = Some(p.mesh);
                s.spline_order = Some(p.order);
            }
            CoulombParams::Dsf(p) => {
                s.method = "dsf";
                s.alpha_per_A = p.alpha;
                s.dsf_force_error_relative = p.error_relative;
                s.dsf_force_error_over_rms_force = p.error_over_rms_force;
            }
        }
        s
    }
}

/// The chosen Coulomb method and parameters (results.json `coulomb`; DESIGN.md §9: the
/// parameters are part of the provenance of a run).
#[allow(non_snake_case)]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoulombSummary {
    /// "ewald", "pme" or "dsf".
    pub method: &'static str,
    /// α (Ewald splitting or DSF damping), 1/Å.
    pub alpha_per_A: f64,
    /// Real-space (or DSF) cutoff, Å.
    pub real_cutoff_A: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy_requested: Option<f64>,
    /// Estimated relative RMS force accuracy (Ewald, PME).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy_estimated: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kmax: Option<[i32; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k_cutoff_per_A: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_kvectors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mesh: Option<[usize; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spline_order: Option<usize>,
    /// The cost model's estimate of one force evaluation, ms on one thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modelled_cost_ms: Option<f64>,
    /// DSF: measured RMS force error against Ewald/PME at 1e-7, / k_e·1 e²/Å².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsf_force_error_relative: Option<f64>,
    /// DSF: the same error / RMS Coulomb force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsf_force_error_over_rms_force: Option<f64>,
    /// Size of the pair tables when the pair loop runs from tables
    /// ([`crate::tabulated::TabulatedKernel`]), kB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_tables_kB: Option<usize>,
    /// Their largest pair-force error found, / max(k_e·1 e²/Å², |F|).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_tables_max_relative_force_error: Option<f64>,
    /// Why the pair loop evaluates erfc and exp for every pair instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_tables_off_because: Option<&'static str>,
}

impl std::fmt::Display for CoulombSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.method {
            "ewald" => "Ewald",
            "pme" => "smooth PME",
            _ => "damped shifted force (DSF)",
        };
        write!(
            f,
            "Coulomb: {name}, α = {:.6} 1/Å, real cutoff {:.4} Å",
            self.alpha_per_A, self.real_cutoff_A
        )?;
        if let (Some(k), Some(n)) = (self.kmax, self.n_kvectors) {
            write!(f, ", kmax {k:?}, {n} k-vectors")?;
        }
        if let (Some(m), Some(p)) = (self.mesh, self.spline_order) {
            write!(f, ", mesh {}×{}×{}, spline order {p}", m[0], m[1], m[2])?;
        }
        if let (Some(r), Some(e)) = (self.accuracy_requested, self.accuracy_estimated) {
            write!(
                f,
                ", requested relative force accuracy {r:.1e} (estimated {e:.2e})"
            )?;
        }
        if let Some(c) = self.modelled_cost_ms {
            write!(f, ", modelled cost {c:.1} ms per force evaluation")?;
        }
        if let (Some(e), Some(r)) = (
            self.dsf_force_error_relative,
            self.dsf_force_error_over_rms_force,
        ) {
            write!(
                f,
                "; measured RMS force error against Ewald: {e:.2e} (relative accuracy), \
                 {:.2} % of the RMS Coulomb force",
                100.0 * r
            )?;
        }
        if let (Some(kb), Some(e)) = (
            self.pair_tables_kB,
            self.pair_tables_max_relative_force_error,
        ) {
            write!(
                f,
                "; pair terms and real-space Coulomb from tables ({kb} kB, largest pair-force \
                 error {e:.1e} of max(k_e·1 e²/Å², |F|))"
            )?;
        }
        if let Some(why) = self.pair_tables_off_because {
            write!(f, "; pair loop without tables (erfc, exp per pair): {why}")?;
        }
        Ok(())
    }
}

/// Chooses the method's parameters for `accuracy` (relative RMS force accuracy).
///
/// - `real_cutoff` given: Ewald takes LAMMPS' α and k-vectors for it
///   ([`EwaldParams::for_cutoff`]), PME its cheapest mesh and order at that cutoff, DSF it as
///   its cutoff.
/// - otherwise the real-space cutoff is chosen in [`min_cutoff`, half the cell width] (never
///   below the short-range cutoff, so one neighbour list serves both; DSF uses `min_cutoff`).
/// - [`Method::Auto`] takes the cheaper of Ewald and PME by the cost model ([`cost`]).
///
/// DSF measures its force error on `positions` ([`DsfParams::measure_error`]).
pub fn choose(
    method: Method,
    accuracy: f64,
    real_cutoff: Option<f64>,
    min_cutoff: f64,
    cell: &Cell,
    positions: &[[f64; 3]],
    charges: &[f64],
) -> Result<CoulombParams, EwaldError> {
    let widths = cell.perpendicular_widths();
    let half = 0.5 * widths[0].min(widths[1]).min(widths[2]);
    let (lo, hi) = match real_cutoff {
        Some(rc) => (rc, rc),
        None => (min_cutoff, half.max(min_cutoff)),
    };
    let ewald = || -> Result<CoulombParams, EwaldError> {
        Ok(CoulombParams::Ewald(match real_cutoff {
            Some(rc) => EwaldParams::for_cutoff(accuracy, rc, cell, charges)?,
            None => EwaldParams::optimized(accuracy, min_cutoff, cell, charges)?,
        }))
    };
    let pme = || PmeParams::optimized(accuracy, lo, hi, cell, charges).map(CoulombParams::Pme);
    match method {
        Method::Ewald => ewald(),
        Method::Pme => pme(),
        Method::Auto => {
            let e = ewald()?;
            let n = charges.len();
            let cost = |p: &CoulombParams| p.modelled_cost(n, cell).unwrap_or(f64::INFINITY);
            match pme() {
                Ok(p) if cost(&p) < cost(&e) => Ok(p),
                _ => Ok(e),
            }
        }
        Method::Dsf { alpha } => {
            let mut p = DsfParams::new(alpha, real_cutoff.unwrap_or(min_cutoff))?;
            p.measure_error(cell, positions, charges)?;
            Ok(CoulombParams::Dsf(p))
        }
    }
}

/// The long-range solver of a method, with its state for one cell.
#[derive(Clone, Debug)]
pub enum Coulomb {
    Ewald(Box<Ewald>),
    Pme(Box<Pme>),
    Dsf(DsfParams),
}

impl Coulomb {
    pub fn new(params: &CoulombParams, cell: &Cell) -> Self {
        match params {
            CoulombParams::Ewald(p) => Coulomb::Ewald(Box::new(Ewald::new(*p, cell))),
            CoulombParams::Pme(p) => Coulomb::Pme(Box::new(Pme::new(*p, cell))),
            CoulombParams::Dsf(p) => Coulomb::Dsf(*p),
        }
    }

    /// Long-range forces (added to `forces`) and, when `with_energy`, energy and virial;
    /// nothing for DSF.
    pub fn reciprocal(
        &mut self,
        cell: &Cell,
        positions: &[[f64; 3]],
        charges: &[f64],
        forces: &mut [[f64; 3]],
        with_energy: bool,
    ) -> EnergyVirial {
        match self {
            Coulomb::Ewald(e) => e.reciprocal(cell, positions, charges, forces, with_energy),
            Coulomb::Pme(p) => p.reciprocal(cell, positions, charges, forces, with_energy),
            Coulomb::Dsf(_) => EnergyVirial::default(),
        }
    }

    /// Self energy (eV).
    pub fn self_energy(&self, charges: &[f64]) -> f64 {
        match self {
            Coulomb::Ewald(e) => e.self_energy(charges),
            Coulomb::Pme(p) => p.self_energy(charges),
            Coulomb::Dsf(p) => p.self_energy(charges),
        }
    }

    /// Number of Ewald k-vectors (0 for the other methods).
    pub fn n_kvectors(&self) -> usize {
        match self {
            Coulomb::Ewald(e) => e.n_kvectors(),
            _ => 0,
        }
    }
}

/// −k_e α/√π Σq², the Ewald self energy (eV).
pub fn ewald_self_energy(alpha: f64, charges: &[f64]) -> f64 {
    let q2: f64 = charges.iter().map(|q| q * q).sum();
    -crate::units::COULOMB_EV_A * alpha / PI.sqrt() * q2
}
