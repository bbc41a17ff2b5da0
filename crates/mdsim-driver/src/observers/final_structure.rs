//! final.xyz: the structure and velocities after the last step, as extended XYZ (readable by
//! OVITO and ASE, and a valid `Xyz` structure file for another run). Human-readable; the
//! exact state for continuing a run is the checkpoint.

use super::trajectory::xyz_frame;
use crate::observer::{Observer, State};
use crate::output::write_atomic;
use anyhow::Result;
use std::path::PathBuf;

pub struct FinalStructure {
    path: PathBuf,
    last_step: u64,
}

impl FinalStructure {
    pub fn new(path: PathBuf, last_step: u64) -> Self {
        Self { path, last_step }
    }
}

impl Observer for FinalStructure {
    fn observe(&mut self, s: &State) -> Result<()> {
        if s.step == self.last_step {
            write_atomic(
                &self.path,
                xyz_frame(s.system, s.step, s.dt, true).as_bytes(),
            )?;
        }
        Ok(())
    }
}
