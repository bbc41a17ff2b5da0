//! The observer interface: what the stage loop shows to everything that watches a run.
//!
//! The loop only steps. Before each step it asks the observers whether they need energies
//! for the coming state (computing them costs a little; most steps need forces only), then
//! hands every observer the same read-only [`State`]. Observers never change the system
//! (data flows one way: system → forces → integrator → observers → outputs). Shapes from
//! ASE's `dyn.attach(observer, interval)` and OpenMM's reporters.

use crate::report::Report;
use anyhow::Result;
use mdsim_core::neighbor::NeighborList;
use mdsim_core::units::EV_PER_A3_TO_BAR;
use mdsim_core::{Energies, System};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A stage of the run as the observers see it.
#[derive(Clone, Debug)]
pub struct StageInfo {
    /// 0-based index in the input's `stages`.
    pub index: usize,
    pub name: String,
    /// Target temperature (K) of a thermostatted stage.
    pub target_temperature: Option<f64>,
    pub production: bool,
}

/// The state after a step (or the starting state, step 0), read-only.
pub struct State<'a> {
    /// Steps done since the start of the run.
    pub step: u64,
    /// Time step, ps.
    pub dt: f64,
    /// The stage that produced this state; `None` for the starting state.
    pub stage: Option<&'a StageInfo>,
    /// Position in the production series: `Some(0)` for the state the first production step
    /// starts from, then 1, 2, … up to the last production step; `None` outside.
    pub production_step: Option<u64>,
    pub system: &'a System,
    /// The engine's neighbour list (pairs within cutoff + skin) of this state.
    pub neighbors: &'a NeighborList,
    /// The pairs that can come inside the hard minima before the next list build, when the
    /// engine keeps them ([`mdsim_core::Engine::watch_hard_minimum`]).
    pub close_pairs: Option<&'a NeighborList>,
    /// Energies and virial, when some observer asked for them at this step.
    pub energies: Option<&'a Energies>,
    /// Energy of the current stage's thermostat chain (eV; 0 without one).
    pub chain_energy: f64,
    /// Energy the chains of the finished stages took out (eV), so that the conserved
    /// quantity stays continuous across stages.
    pub bath_energy: f64,
}

impl State<'_> {
    /// Simulated time, ps.
    pub fn time_ps(&self) -> f64 {
        self.step as f64 * self.dt
    }

    /// Instantaneous kinetic temperature, K.
    pub fn temperature(&self) -> f64 {
        self.system.temperature()
    }

    /// Potential energy (eV), when computed at this step.
    pub fn potential_energy(&self) -> Option<f64> {
        self.energies.map(Energies::potential)
    }

    /// Kinetic + potential + thermostat energy (eV), when energies were computed.
    pub fn conserved_energy(&self) -> Option<f64> {
        self.potential_energy()
            .map(|pe| self.system.kinetic_energy() + pe + self.bath_energy + self.chain_energy)
    }

    /// Pressure tensor (eV/Å³; order xx, yy, zz, xy, xz, yz), when energies were computed.
    pub fn pressure_tensor(&self) -> Option<[f64; 6]> {
        let vir = self.energies?.virial;
        let kin = self.system.kinetic_tensor();
        let v = self.system.cell.volume();
        Some(std::array::from_fn(|k| (kin[k] + vir[k]) / v))
    }

    /// Scalar pressure (bar), when energies were computed.
    pub fn pressure_bar(&self) -> Option<f64> {
        self.pressure_tensor()
            .map(|p| (p[0] + p[1] + p[2]) / 3.0 * EV_PER_A3_TO_BAR)
    }
}

/// Something that watches the run: thermo log, trajectory, checkpoints, health checks,
/// progress, transport estimators. Each lives in one file of `observers/`.
pub trait Observer {
    /// Whether the state after `step` must carry energies and the virial.
    fn needs_energy(&self, _step: u64) -> bool {
        false
    }

    /// Sees every state: the starting one (step 0) and the one after each step. An error
    /// stops the run as failed (the message becomes the `status` of results.json).
    fn observe(&mut self, state: &State) -> Result<()>;

    /// Once at the end, also after a failure: writes the observer's files and fills its part
    /// of the report (and of the printed summary).
    fn finish(&mut self, _report: &mut Report) -> Result<()> {
        Ok(())
    }

    /// What it must carry over a restart — its sums and series, how far its files reach —
    /// for a checkpoint taken after it has seen the state of a step; `None` (the default)
    /// when it keeps nothing from one step to the next. Keep that state in one serialisable
    /// struct, saved here with [`Saved::new`] and read back in [`Observer::restore`] with
    /// [`Saved::unpack`], so that saving and loading cannot drift apart (STYLE.md §2). Flush
    /// appended files here ([`crate::output::TextWriter::checkpoint`] gives their length).
    /// `observers/averages.rs` and `observers/thermo.rs` are short examples.
    fn save(&mut self) -> Result<Option<Saved>> {
        Ok(None)
    }

    /// Continues from a checkpoint taken after `step`: gets back what [`Observer::save`]
    /// gave. Called on an observer built for the continued run (its appended files opened
    /// as they are, see [`crate::output::RunDir`]) before it sees any state; it must cut its
    /// files back to the saved lengths ([`crate::output::TextWriter::cut_back`]).
    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        match saved {
            None => Ok(()),
            Some(_) => anyhow::bail!("the checkpoint holds a state this observer cannot restore"),
        }
    }
}

/// An observer's state in a checkpoint: its state struct in the checkpoint's encoding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saved(Vec<u8>);

impl Saved {
    /// Encodes `state`.
    pub fn new<T: Serialize>(state: &T) -> Result<Self> {
        Ok(Self(postcard::to_stdvec(state)?))
    }

    /// Decodes the state in `saved`, which a checkpoint of this observer always holds.
    pub fn unpack<T: DeserializeOwned>(saved: Option<Saved>) -> Result<T> {
        saved
            .ok_or_else(|| {
                anyhow::anyhow!("the checkpoint holds no state for an observer that keeps one")
            })?
            .get()
    }

    /// Decodes the state saved by [`Saved::new`].
    pub fn get<T: DeserializeOwned>(&self) -> Result<T> {
        postcard::from_bytes(&self.0)
            .map_err(|e| anyhow::anyhow!("cannot decode an observer's checkpoint state: {e}"))
    }
}

/// A failure of the physics (blow-up, collapse, runaway): the run stops and says so.
#[derive(Debug)]
pub struct RunFailure(pub String);

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunFailure {}
