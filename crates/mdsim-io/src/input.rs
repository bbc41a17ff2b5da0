//! The RON input schema (`mdsim run input.ron`). Every field is documented in
//! `docs/input.md`; unknown fields are errors.

use serde::{Deserialize, Serialize};

/// A whole input file.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Free text, copied to the outputs.
    #[serde(default)]
    pub title: String,
    /// Seed of every random stream of the run (the initial velocities).
    pub seed: u64,
    pub structure: StructureInput,
    pub potential: PotentialSource,
    #[serde(default)]
    pub neighbor: NeighborInput,
    /// Coulomb settings (method, accuracy), used when any species is charged.
    #[serde(default)]
    pub coulomb: CoulombInput,
    /// Maxwell–Boltzmann velocities at this temperature (K); `None` keeps the velocities of
    /// the structure (zero for built lattices).
    #[serde(default)]
    pub initial_temperature: Option<f64>,
    /// Integration time step, ps; required unless the input is only for `mdsim energy`.
    #[serde(default)]
    pub timestep_ps: Option<f64>,
    /// Energy minimisation of the positions (FIRE) before the stages; `None` = none.
    #[serde(default)]
    pub minimize: Option<MinimizeInput>,
    /// The MD stages, run in order; may be left out for `mdsim energy`.
    #[serde(default)]
    pub stages: Vec<StageInput>,
    #[serde(default)]
    pub output: OutputInput,
    #[serde(default)]
    pub transport: TransportInput,
    #[serde(default)]
    pub safety: SafetyInput,
    /// A published diffusion coefficient to compare with at the end of the run.
    #[serde(default)]
    pub reference: Option<ReferenceInput>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReferenceInput {
    pub species: String,
    /// cm²/s.
    pub diffusion_cm2_s: f64,
    /// Relative standard uncertainty of the reference value (e.g. 0.1 for ±10 %).
    pub relative_uncertainty: f64,
    /// Citation.
    pub source: String,
}

/// Where the atoms come from.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum StructureInput {
    /// A Bravais lattice of one species, `a` in Å, repeated `repeat` times along a, b, c.
    Lattice {
        kind: LatticeKind,
        a: f64,
        repeat: (usize, usize, usize),
        species: String,
    },
    /// An extended XYZ file (path relative to the input file) with a `Lattice="…"` cell.
    /// `frame` picks a frame of a file with several: k ≥ 0 from the start, −1 the last,
    /// −2 the one before, …; `None` (default) is the last frame, as `ase.io.read`.
    Xyz {
        file: String,
        #[serde(default)]
        frame: Option<i64>,
    },
    /// A crystal from lattice parameters, sites and symmetry operations, replicated, with
    /// seeded substitutions and interstitials (see `crystal::CrystalInput`).
    Crystal(crate::crystal::CrystalInput),
    /// A crystal read from a CIF (cell, symmetry operations, sites), then built as `Crystal`
    /// (see `cif::CifInput`).
    Cif(crate::cif::CifInput),
    /// A LAMMPS data file (path relative to the input file; see `lammps_data`). `types`
    /// names the species of atom types 1, 2, … (default: the file's type labels, else the
    /// first word of each `Masses` comment); `atom_style` is needed when the file does not
    /// say it (`Atoms # charge`).
    LammpsData {
        file: String,
        #[serde(default)]
        atom_style: Option<String>,
        #[serde(default)]
        types: Vec<String>,
    },
}

impl StructureInput {
    /// The structure file the input names (relative to the input file), and the name of
    /// its copy in a run folder; `None` for built structures.
    pub fn source_file(&self) -> Option<(&str, &'static str)> {
        match self {
            Self::Xyz { file, .. } => Some((file, "structure.xyz")),
            Self::Cif(c) => Some((&c.file, "structure.cif")),
            Self::LammpsData { file, .. } => Some((file, "structure.data")),
            Self::Lattice { .. } | Self::Crystal(_) => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum LatticeKind {
    Sc,
    Bcc,
    Fcc,
}

/// The force field inline, or a file in `potentials/` (path relative to the input file).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum PotentialSource {
    Inline(ForceFieldInput),
    File(String),
}

/// A force field: species and their pair interactions.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ForceFieldInput {
    /// Literature source of the parameters.
    #[serde(default)]
    pub source: String,
    pub species: Vec<SpeciesInput>,
    pub pairs: Vec<PairInput>,
    /// Species pairs that interact by Coulomb only (no short-range term). Every pair must
    /// appear either here or in `pairs`: nothing is left out by accident.
    #[serde(default)]
    pub coulomb_only: Vec<(String, String)>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpeciesInput {
    pub name: String,
    /// amu.
    pub mass: f64,
    /// Force-field charge, e.
    #[serde(default)]
    pub charge: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PairInput {
    /// The two species names.
    pub between: (String, String),
    pub terms: Vec<TermInput>,
    /// Å.
    pub cutoff: f64,
    /// Shift the energy to zero at the cutoff.
    #[serde(default)]
    pub shift: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum TermInput {
    /// 4ε[(σ/r)¹² − (σ/r)⁶], ε in eV, σ in Å.
    LennardJones { epsilon: f64, sigma: f64 },
    /// A·exp(−r/ρ) − C/r⁶ (A in eV, ρ in Å, C in eV·Å⁶); with `repair`, B/rⁿ + D·r² for r ≤ r0.
    Buckingham {
        a: f64,
        rho: f64,
        c: f64,
        #[serde(default)]
        repair: Option<RepairInput>,
    },
    /// D[(1 − e^{−a(r−r0)})² − 1] (D in eV, a in 1/Å, r0 in Å).
    Morse { d: f64, a: f64, r0: f64 },
    /// C/rⁿ (C in eV·Åⁿ).
    Power { c: f64, n: f64 },
}

/// The short-range replacement B/rⁿ + D·r² of a Buckingham term for r ≤ r0
/// (B in eV·Åⁿ, D in eV/Å², r0 in Å).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RepairInput {
    pub r0: f64,
    pub b: f64,
    pub n: f64,
    pub d: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CoulombInput {
    /// Requested relative RMS force accuracy of the Ewald sum (as LAMMPS
    /// `kspace_style ewald ACC`): the force error relative to that of two unit charges 1 Å
    /// apart.
    #[serde(default = "default_accuracy")]
    pub accuracy: f64,
    /// Real-space cutoff, Å. `None` (default): chosen together with α and the k-vectors or
    /// mesh for the least work at the requested accuracy (never below the short-range
    /// cutoff). Given: for Ewald, α and the k-vectors follow as in LAMMPS for this cutoff;
    /// for PME the mesh and spline order are chosen for it; for DSF it is the cutoff
    /// (default: the short-range cutoff).
    #[serde(default)]
    pub real_cutoff: Option<f64>,
    /// Summation method (default `Auto`: the cheaper of Ewald and PME at the accuracy).
    #[serde(default)]
    pub method: CoulombMethodInput,
    /// Let the pair loop run from tables of the short-range terms plus the real-space term
    /// (default `true`; used only when they meet the accuracy). `false`: erfc and exp for
    /// every pair, the exact reference (about 5× slower pair loop).
    #[serde(default = "default_tables")]
    pub tables: bool,
}

fn default_tables() -> bool {
    true
}

/// `coulomb.method`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
pub enum CoulombMethodInput {
    /// The cheaper of `Ewald` and `Pme` by mdsim's cost model.
    #[default]
    Auto,
    /// Plain Ewald summation.
    Ewald,
    /// Smooth particle-mesh Ewald.
    Pme,
    /// Damped shifted force (no long-range part), damping `alpha` in 1/Å (default 0.2); its
    /// force error against Ewald is measured at the start and reported.
    Dsf {
        #[serde(default = "default_dsf_alpha")]
        alpha: f64,
    },
}

fn default_dsf_alpha() -> f64 {
    0.2
}

impl Default for CoulombInput {
    fn default() -> Self {
        Self {
            accuracy: default_accuracy(),
            real_cutoff: None,
            method: CoulombMethodInput::Auto,
            tables: true,
        }
    }
}

fn default_accuracy() -> f64 {
    1e-5
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NeighborInput {
    /// Verlet skin, Å: pairs within cutoff + skin are listed; the list is rebuilt when an
    /// atom has moved skin/2.
    #[serde(default = "default_skin")]
    pub skin: f64,
}

impl Default for NeighborInput {
    fn default() -> Self {
        Self {
            skin: default_skin(),
        }
    }
}

fn default_skin() -> f64 {
    1.0
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MinimizeInput {
    /// Converged when the largest force on an atom is below this, eV/Å.
    #[serde(default = "default_force_tolerance")]
    pub force_tolerance: f64,
    /// Give up after this many FIRE steps (an unconverged minimisation is reported, and the
    /// run goes on from where it stopped).
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
}

fn default_force_tolerance() -> f64 {
    1e-3
}

fn default_max_steps() -> usize {
    10_000
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    #[serde(default)]
    pub name: String,
    pub ensemble: EnsembleInput,
    /// ps.
    pub duration_ps: f64,
    /// Transport observers (MSD, VACF, g(r)) and the reported means use production stages.
    #[serde(default)]
    pub production: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum EnsembleInput {
    /// Velocity Verlet, constant energy.
    Nve,
    /// Nosé–Hoover chain at `temperature` (K) with damping time `damping_ps`.
    Nvt {
        temperature: f64,
        damping_ps: f64,
        #[serde(default = "default_chain")]
        chain: usize,
    },
}

fn default_chain() -> usize {
    3
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputInput {
    /// Steps between thermo lines (thermo.csv).
    #[serde(default = "default_thermo_every")]
    pub thermo_every: u64,
    /// Steps between trajectory frames; 0 = no trajectory.
    #[serde(default)]
    pub trajectory_every: u64,
    /// `Xyz` (trajectory.xyz, extended XYZ) or `H5md` (trajectory.h5md, needs the `hdf5` build).
    #[serde(default)]
    pub trajectory_format: TrajectoryFormat,
    /// Include velocities in trajectory frames.
    #[serde(default)]
    pub trajectory_velocities: bool,
    /// Steps between checkpoints (checkpoint.ron); 0 = only at the end.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: u64,
}

impl Default for OutputInput {
    fn default() -> Self {
        Self {
            thermo_every: default_thermo_every(),
            trajectory_every: 0,
            trajectory_format: TrajectoryFormat::default(),
            trajectory_velocities: false,
            checkpoint_every: default_checkpoint_every(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum TrajectoryFormat {
    #[default]
    Xyz,
    H5md,
}

fn default_thermo_every() -> u64 {
    100
}

fn default_checkpoint_every() -> u64 {
    10_000
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TransportInput {
    /// Steps between samples of positions/velocities for the transport observers.
    #[serde(default = "default_sample_every")]
    pub sample_every: u64,
    #[serde(default)]
    pub msd: MsdInput,
    /// Velocity autocorrelation function; `None` = off.
    #[serde(default)]
    pub vacf: Option<VacfInput>,
    /// Radial distribution function; `None` = off.
    #[serde(default)]
    pub rdf: Option<RdfInput>,
    /// Ionic conductivity, accumulated at every production step. On by default (it then
    /// applies when any species has a non-zero transport charge); `None` switches it off.
    #[serde(default = "default_conductivity")]
    pub conductivity: Option<ConductivityInput>,
}

fn default_conductivity() -> Option<ConductivityInput> {
    Some(ConductivityInput::default())
}

/// The conductivity estimator's settings (DESIGN.md §5); every field has a default.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConductivityInput {
    /// Transport charge (e) per species, e.g. `{"Li": 1, "P": 5, "O": -2}`; species not
    /// listed take their formal oxidation state (from the element their name starts with),
    /// not the force field's partial charge.
    #[serde(default)]
    pub charges: std::collections::BTreeMap<String, f64>,
    /// The species whose tracer diffusion gives σ_tr (default: the lightest species with a
    /// non-zero transport charge).
    #[serde(default)]
    pub diffusing: Option<Vec<String>>,
    /// Reference of the tracer displacements.
    #[serde(default)]
    pub frame: FrameInput,
    /// Independent blocks of the production run (≥ 2; default 5).
    #[serde(default = "default_conductivity_blocks")]
    pub blocks: usize,
    /// Fit window of the MSD slopes, ps; `None` = from where the MSD becomes linear.
    #[serde(default)]
    pub fit_start_ps: Option<f64>,
    #[serde(default)]
    pub fit_end_ps: Option<f64>,
    /// The relative error the "how much longer" advice aims at.
    #[serde(default = "default_target_error")]
    pub target_relative_error: f64,
}

impl Default for ConductivityInput {
    fn default() -> Self {
        Self {
            charges: Default::default(),
            diffusing: None,
            frame: FrameInput::default(),
            blocks: default_conductivity_blocks(),
            fit_start_ps: None,
            fit_end_ps: None,
            target_relative_error: default_target_error(),
        }
    }
}

fn default_conductivity_blocks() -> usize {
    5
}

fn default_target_error() -> f64 {
    0.1
}

/// Reference frame of the tracer displacements.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum FrameInput {
    /// The centre of (transport) charge of the framework (all non-diffusing atoms).
    #[default]
    FrameworkCentreOfCharge,
    /// The centre of mass of the framework.
    FrameworkCentreOfMass,
    /// No correction.
    Lab,
}

impl Default for TransportInput {
    fn default() -> Self {
        Self {
            sample_every: default_sample_every(),
            msd: MsdInput::default(),
            vacf: None,
            rdf: None,
            conductivity: default_conductivity(),
        }
    }
}

fn default_sample_every() -> u64 {
    10
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MsdInput {
    /// Longest lag, ps; `None` = a fifth of a block.
    #[serde(default)]
    pub max_lag_ps: Option<f64>,
    /// Time between origins, ps; `None` = every sample.
    #[serde(default)]
    pub origin_every_ps: Option<f64>,
    /// Independent blocks for the error bar (≥ 2; 5 or more recommended).
    #[serde(default = "default_blocks")]
    pub blocks: usize,
    /// Fit window, ps; `None` = chosen from the MSD (where the log–log slope reaches ~1).
    #[serde(default)]
    pub fit_start_ps: Option<f64>,
    #[serde(default)]
    pub fit_end_ps: Option<f64>,
}

impl Default for MsdInput {
    fn default() -> Self {
        Self {
            max_lag_ps: None,
            origin_every_ps: None,
            blocks: default_blocks(),
            fit_start_ps: None,
            fit_end_ps: None,
        }
    }
}

fn default_blocks() -> usize {
    5
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VacfInput {
    /// ps.
    pub max_lag_ps: f64,
    /// ps; `None` = every sample.
    #[serde(default)]
    pub origin_every_ps: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RdfInput {
    /// Å; at most half the smallest cell width.
    pub r_max: f64,
    pub bins: usize,
    /// Steps between frames.
    #[serde(default = "default_rdf_every")]
    pub every: u64,
}

fn default_rdf_every() -> u64 {
    100
}

/// Health checks of the run (every step): hard minimum distances, temperature runaway,
/// jumps of the conserved energy. A run that fails one stops as failed.
#[allow(non_snake_case)]
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SafetyInput {
    /// Hard minimum distance (Å) between any two atoms: closer atoms at the start are an
    /// input error; during the run they stop it (checked at every step).
    #[serde(default = "default_min_distance")]
    pub min_distance: f64,
    /// Other minima for particular species pairs (e.g. O–O 1.5 Å), same rules.
    #[serde(default)]
    pub pairs: Vec<PairMinimumInput>,
    /// The run stops when the kinetic temperature exceeds this factor times the highest
    /// temperature it was meant to have (the largest of 100 K, the initial temperature, the
    /// starting velocities' temperature and every stage's target).
    #[serde(default = "default_max_temperature_factor")]
    pub max_temperature_factor: f64,
    /// The run stops when the conserved energy (kinetic + potential + thermostat) changes by
    /// more than this many k_B·T per atom between two evaluations (thermo steps), T being
    /// the temperature scale above without the factor.
    #[serde(default = "default_max_energy_jump")]
    pub max_energy_jump_kT: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PairMinimumInput {
    pub between: (String, String),
    /// Å.
    pub min_distance: f64,
}

impl Default for SafetyInput {
    fn default() -> Self {
        Self {
            min_distance: default_min_distance(),
            pairs: Vec::new(),
            max_temperature_factor: default_max_temperature_factor(),
            max_energy_jump_kT: default_max_energy_jump(),
        }
    }
}

fn default_max_temperature_factor() -> f64 {
    10.0
}

fn default_max_energy_jump() -> f64 {
    0.5
}

fn default_min_distance() -> f64 {
    0.5
}
