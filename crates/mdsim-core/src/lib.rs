//! mdsim-core: the simulation engine — units, periodic cell, system state, neighbour lists,
//! pair potentials, deterministic parallel forces, integrators and thermostats.

pub mod cell;
pub mod coulomb;
pub mod engine;
pub mod erfc;
pub mod ewald;
pub mod exp;
pub mod forces;
pub mod limits;
pub mod minimize;
pub mod neighbor;
pub mod oracle;
pub mod pair;
pub mod pme;
pub mod reduction;
pub mod safety;
mod simd;
pub mod system;
pub mod tabulated;
pub mod thermostat;
pub mod units;
pub mod velocities;

pub use cell::Cell;
pub use engine::{Energies, Engine, ForceField};
pub use pair::{PairPotential, PairSpec, PairTerm};
pub use system::{Species, System};
pub use thermostat::NoseHooverChain;
