//! mdsim-io: the RON input schema, force-field files, structure builders and readers, and
//! output writers.

pub mod checks;
pub mod crystal;
#[cfg(feature = "hdf5")]
pub mod h5md;
pub mod input;
pub mod lattice;
pub mod setup;
pub mod xyz;

pub use input::Input;
pub use setup::{load, InputError, Setup};
