//! mdsim-io: the RON input schema, force-field files, structure builders and readers, and
//! output writers.

pub mod checks;
pub mod cif;
pub mod conductivity;
pub mod crystal;
pub mod elements;
pub mod extxyz;
#[cfg(feature = "hdf5")]
pub mod h5md;
pub mod input;
pub mod lammps_data;
pub mod lattice;
pub mod setup;
pub mod structure;
pub mod trajectory;
pub mod xyz;

pub use input::Input;
pub use setup::{load, load_for, load_run_folder, InputError, Purpose, Setup};
