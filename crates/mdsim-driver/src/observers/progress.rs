//! Progress on a terminal (a bar with ETA) or, in a log, a plain line at every tenth of the
//! run and at each stage start.

use super::running::RunningConductivity;
use crate::observer::{Observer, State};
use anyhow::Result;
use std::io::IsTerminal;
use std::time::Instant;

pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    next_line: u64,
    clock: Instant,
    /// The step the clock started at (a continued run starts at its checkpoint).
    first_step: u64,
    /// Index of the stage last announced.
    stage: Option<usize>,
    /// Number of steps of each stage, for the stage lines.
    stage_steps: Vec<u64>,
    /// The running conductivity estimate, shown when there is one.
    running: RunningConductivity,
}

impl Progress {
    pub fn new(stage_steps: Vec<u64>, running: RunningConductivity) -> Self {
        let total = stage_steps.iter().sum();
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} steps, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Self {
            bar,
            total,
            next_line: total.div_ceil(10).max(1),
            clock: Instant::now(),
            first_step: 0,
            stage: None,
            stage_steps,
            running,
        }
    }

    fn announce_stage(&mut self, index: usize, name: &str) {
        if self.stage == Some(index) {
            return;
        }
        self.stage = Some(index);
        match &self.bar {
            Some(b) => b.set_message(name.to_string()),
            None => eprintln!("{name}: {} steps", self.stage_steps[index]),
        }
    }
}

impl Observer for Progress {
    fn observe(&mut self, s: &State) -> Result<()> {
        let Some(stage) = s.stage else {
            return Ok(());
        };
        self.announce_stage(stage.index, &stage.name);
        match &self.bar {
            Some(b) => {
                if s.step.is_multiple_of(50) {
                    b.set_position(s.step);
                    b.set_message(format!("{}{}", stage.name, self.running.text()));
                }
            }
            None => {
                if s.step >= self.next_line {
                    let secs = self.clock.elapsed().as_secs_f64();
                    let rate = (s.step - self.first_step) as f64 / secs.max(1e-9);
                    // The potential energy only when computed anyway (a thermo step).
                    let pe = s
                        .potential_energy()
                        .map_or(String::new(), |e| format!("  PE = {e:.6e} eV"));
                    eprintln!(
                        "  step {}/{} ({:.0} %)  T = {:.2} K{pe}{}  {rate:.0} steps/s  ETA {:.0} s",
                        s.step,
                        self.total,
                        100.0 * s.step as f64 / self.total as f64,
                        s.temperature(),
                        self.running.text(),
                        (self.total - s.step) as f64 / rate
                    );
                    // Lines at whole tenths, which are usually thermo steps (with a potential energy).
                    let tenth = self.total.div_ceil(10).max(1);
                    self.next_line = (s.step / tenth + 1) * tenth;
                }
            }
        }
        Ok(())
    }

    /// Keeps nothing; counts the speed from the checkpoint on.
    fn restore(&mut self, _saved: Option<crate::Saved>, step: u64) -> Result<()> {
        self.first_step = step;
        self.clock = Instant::now();
        let tenth = self.total.div_ceil(10).max(1);
        self.next_line = (step / tenth + 1) * tenth;
        if let Some(b) = &self.bar {
            b.set_position(step);
            b.reset_eta();
        }
        Ok(())
    }

    fn finish(&mut self, _report: &mut crate::Report) -> Result<()> {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        Ok(())
    }
}
