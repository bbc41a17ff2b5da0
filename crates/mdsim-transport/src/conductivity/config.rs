//! What the conductivity accumulator is told once, at construction.

use serde::{Deserialize, Serialize};

use crate::{Result, TransportError};

/// Reference frame of the tracer MSD and of the per-species collective displacements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceFrame {
    /// Centre of (transport) charge of the framework = all atoms not in a diffusing group.
    /// In a neutral cell q_D Σ_{i∈D}(Δr_i − Δr_F) = Σ_all q_i Δr_i exactly (DESIGN.md §5).
    #[default]
    FrameworkCentreOfCharge,
    /// Centre of mass of the framework.
    FrameworkCentreOfMass,
    /// No correction (one-component liquids, or when the framework is empty).
    Lab,
}

/// Everything the accumulator needs, fixed for the whole production run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConductivityConfig {
    /// Group (species) index of every atom, `< names.len()`.
    pub groups: Vec<usize>,
    /// Name of every group (for messages and reports).
    pub names: Vec<String>,
    /// Transport charge of every group (e): formal charges by default, not the force field's.
    pub charges: Vec<f64>,
    /// Mass of every group (amu); used by [`ReferenceFrame::FrameworkCentreOfMass`].
    pub masses: Vec<f64>,
    /// Which groups diffuse (e.g. Li); the others form the framework.
    pub diffusing: Vec<bool>,
    pub frame: ReferenceFrame,
    /// Cell volume Ω (Å³), constant (NVT/NVE).
    pub volume_a3: f64,
    /// MD time step (ps): the interval between two `push` calls.
    pub dt_ps: f64,
    /// Number of production MD steps: the accumulator expects `n_steps + 1` pushes (the
    /// state at step 0 and after every step). Fixes the block boundaries.
    pub n_steps: u64,
    /// Number of independent blocks for the block error bars (≥ 2; 5 by default).
    pub n_blocks: usize,
    /// Accept transport charges with a net charge (only for checks such as "equal charges
    /// in a one-component liquid give ΔP = 0"); a real conductivity needs a neutral cell.
    #[serde(default)]
    pub allow_net_charge: bool,
}

/// Default number of blocks (DESIGN.md §5: at least 5).
pub const DEFAULT_N_BLOCKS: usize = 5;

/// Fewest sampled points per block: below this a block cannot show a diffusive regime.
pub const MIN_SAMPLES_PER_BLOCK: usize = 20;

/// Tolerance (e per atom × atoms) for the neutrality check of the transport charges.
const NEUTRALITY_TOLERANCE: f64 = 1e-6;

impl ConductivityConfig {
    /// Number of atoms in each group.
    pub fn group_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.names.len()];
        for &g in &self.groups {
            if let Some(s) = sizes.get_mut(g) {
                *s += 1;
            }
        }
        sizes
    }

    /// Checks the settings; every error names the field and what to do.
    pub fn validate(&self) -> Result<()> {
        let n_groups = self.names.len();
        let bad = |msg: String| Err(TransportError::Config(msg));
        if self.groups.is_empty() {
            return bad("conductivity: no atoms".into());
        }
        if let Some(&g) = self.groups.iter().find(|&&g| g >= n_groups) {
            return Err(TransportError::GroupOutOfRange { group: g, n_groups });
        }
        for (field, len) in [
            ("charges", self.charges.len()),
            ("masses", self.masses.len()),
            ("diffusing", self.diffusing.len()),
        ] {
            if len != n_groups {
                return bad(format!(
                    "conductivity: {len} {field} for {n_groups} species; give one per species"
                ));
            }
        }
        if let Some(i) = self.charges.iter().position(|q| !q.is_finite()) {
            return bad(format!(
                "conductivity: transport charge of {} is not finite",
                self.names[i]
            ));
        }
        let sizes = self.group_sizes();
        let total: f64 = sizes
            .iter()
            .zip(&self.charges)
            .map(|(&n, q)| n as f64 * q)
            .sum();
        if !self.allow_net_charge && total.abs() > NEUTRALITY_TOLERANCE * self.groups.len() as f64 {
            return bad(format!(
                "conductivity: the transport charges give the cell a net charge of {total} e; \
                 they must make it neutral (check the charge of every species)"
            ));
        }
        if let Some(g) = (0..n_groups).find(|&g| self.diffusing[g] && sizes[g] == 0) {
            return bad(format!(
                "conductivity: diffusing species {} has no atoms in the cell",
                self.names[g]
            ));
        }
        if self.frame != ReferenceFrame::Lab {
            let framework = (0..n_groups).filter(|&g| !self.diffusing[g] && sizes[g] > 0);
            let weight: f64 = framework
                .map(|g| {
                    sizes[g] as f64
                        * match self.frame {
                            ReferenceFrame::FrameworkCentreOfCharge => self.charges[g],
                            _ => self.masses[g],
                        }
                })
                .sum();
            if weight.abs() < 1e-12 || !weight.is_finite() {
                return bad(format!(
                    "conductivity: reference frame {:?} is undefined: the framework (atoms of \
                     non-diffusing species) has zero total {}; use another frame or mark fewer \
                     species as diffusing",
                    self.frame,
                    if self.frame == ReferenceFrame::FrameworkCentreOfCharge {
                        "charge"
                    } else {
                        "mass"
                    }
                ));
            }
        }
        if !(self.volume_a3 > 0.0 && self.volume_a3.is_finite()) {
            return bad(format!(
                "conductivity: volume must be positive (Å³), got {}",
                self.volume_a3
            ));
        }
        if !(self.dt_ps > 0.0 && self.dt_ps.is_finite()) {
            return bad(format!(
                "conductivity: time step must be positive (ps), got {}",
                self.dt_ps
            ));
        }
        if self.n_blocks < 2 {
            return bad(format!(
                "conductivity: {} block(s); at least 2 are needed for an error bar (default \
                 {DEFAULT_N_BLOCKS})",
                self.n_blocks
            ));
        }
        Ok(())
    }
}

/// Weight of every group in the reference-frame average (charge or mass for framework
/// groups, 0 for diffusing groups and in the lab frame) and the normalisation Σ_g w_g N_g.
pub(crate) fn frame_weights(
    frame: ReferenceFrame,
    diffusing: &[bool],
    charges: &[f64],
    masses: &[f64],
    sizes: &[usize],
) -> (Vec<f64>, f64) {
    let w: Vec<f64> = (0..sizes.len())
        .map(|g| match frame {
            _ if diffusing[g] => 0.0,
            ReferenceFrame::FrameworkCentreOfCharge => charges[g],
            ReferenceFrame::FrameworkCentreOfMass => masses[g],
            ReferenceFrame::Lab => 0.0,
        })
        .collect();
    let norm = w.iter().zip(sizes).map(|(w, &n)| w * n as f64).sum();
    (w, norm)
}
