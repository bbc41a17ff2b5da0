//! The `mdsim` command: wiring of the engine (mdsim-core), the inputs and outputs
//! (mdsim-io) and the estimators (mdsim-transport).

pub mod output;
pub mod run;
pub mod single_point;
pub mod trajectory;
