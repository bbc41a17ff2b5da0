//! checkpoint.ron: the state needed to continue a run, written atomically every
//! `checkpoint_every` steps, for the starting state and at the end, so the last good one
//! survives a failure.

use crate::observer::{Observer, State};
use crate::output::write_atomic;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::PathBuf;

pub struct Checkpoints {
    path: PathBuf,
    /// 0 = only the start and the end.
    every: u64,
    last_step: u64,
}

impl Checkpoints {
    pub fn new(path: PathBuf, every: u64, last_step: u64) -> Self {
        Self {
            path,
            every,
            last_step,
        }
    }
}

#[derive(Serialize)]
struct Checkpoint<'a> {
    step: u64,
    time_ps: f64,
    cell: [[f64; 3]; 3],
    positions: &'a [[f64; 3]],
    velocities: &'a [[f64; 3]],
    images: &'a [[i32; 3]],
}

impl Observer for Checkpoints {
    fn observe(&mut self, st: &State) -> Result<()> {
        let due = st.step == 0
            || st.step == self.last_step
            || (self.every > 0 && st.step.is_multiple_of(self.every));
        if !due {
            return Ok(());
        }
        let s = st.system;
        let cp = Checkpoint {
            step: st.step,
            time_ps: st.time_ps(),
            cell: [0, 1, 2].map(|k| s.cell.vector(k)),
            positions: &s.positions,
            velocities: &s.velocities,
            images: &s.images,
        };
        // Rust prints f64 with the shortest text that reads back to the same bits.
        let text = ron::to_string(&cp).context("cannot serialise the checkpoint")?;
        write_atomic(&self.path, text.as_bytes())
    }
}
