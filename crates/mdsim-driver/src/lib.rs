//! mdsim-driver: the run driver as a library — stages, observers, outputs and results —
//! shared by `mdsim run`, `mdsim energy`/`check`, and the tests.
//!
//! Data flows one way: input ([`mdsim_io::Setup`]) → engine (system, forces, integrator) →
//! observers (read-only [`State`] after every step) → outputs. A new observable is one new
//! file in `observers/` implementing [`Observer`], added to [`observers::standard`].
//!
//! Every run writes checkpoints ([`checkpoint`]) from which [`resume`] continues it bit for
//! bit; SIGINT/SIGTERM ([`interrupt`]) make the loop write one and stop.
//!
//! ```no_run
//! let setup = mdsim_io::load(std::path::Path::new("inputs/argon-rahman.ron"))?;
//! let out = mdsim_driver::run(setup, &mdsim_driver::RunOptions { output: None, threads: 1 })?;
//! println!("{}: {}", out.dir.display(), out.report.status);
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod analyze;
pub mod analyze_trajectory;
pub mod checkpoint;
pub mod divergence;
pub mod interrupt;
mod minimize;
pub mod observer;
pub mod observers;
pub mod output;
pub mod provenance;
pub mod report;
mod resume;
mod simulation;
pub mod single_point;

pub use observer::{Observer, RunFailure, Saved, StageInfo, State};
pub use report::Report;
pub use resume::resume;
pub use simulation::{run, validate, RunOptions, RunOutcome};
