//! Stopping a run cleanly: SIGINT (Ctrl-C) and SIGTERM (sent by Slurm and other batch
//! systems before they kill a job) ask the stage loop to write a checkpoint after the
//! current step and stop; a second signal exits at once. A run can also be asked to stop
//! after a given step ([`stop_after`], `--stop-after`), e.g. to fit a job's time limit.
//! Both are process-wide, like signals.

use anyhow::Result;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

/// The signal that asked the run to stop (0 = none). Set from the signal handler.
static REQUESTED: LazyLock<Arc<AtomicUsize>> = LazyLock::new(|| Arc::new(AtomicUsize::new(0)));
/// The step after which to stop (`u64::MAX` = none).
static STOP_AFTER: AtomicU64 = AtomicU64::new(u64::MAX);

/// Why a run stops before its end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// A signal (its number) arrived.
    Signal(i32),
    /// The step asked for with [`stop_after`] was reached.
    Step,
}

/// Asks every run of this process to write a checkpoint and stop after `step` (counted from
/// the start of the run, like the checkpoint's step).
pub fn stop_after(step: u64) {
    STOP_AFTER.store(step, Ordering::Relaxed);
}

/// Why the run should stop after `step`, if it should.
pub fn stop_reason(step: u64) -> Option<Stop> {
    requested()
        .map(Stop::Signal)
        .or((step >= STOP_AFTER.load(Ordering::Relaxed)).then_some(Stop::Step))
}

/// Installs the handlers for SIGINT and SIGTERM: the first asks the run to stop after the
/// current step (see [`requested`]); a second one ends the process at once, with exit code
/// 128 + the signal number.
pub fn install_signal_handlers() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let seen = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Registered first, so it sees `seen` as it was before this signal.
        flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&seen))?;
        flag::register(sig, Arc::clone(&seen))?;
        flag::register_usize(sig, Arc::clone(&REQUESTED), sig as usize)?;
    }
    Ok(())
}

/// The signal that asked the run to stop, if one did.
pub fn requested() -> Option<i32> {
    match REQUESTED.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s as i32),
    }
}

/// Asks the run to stop after the current step as if `signal` had arrived (tests, and
/// callers that stop a run for their own reasons).
pub fn request(signal: i32) {
    REQUESTED.store(signal.max(1) as usize, Ordering::Relaxed);
}

/// The name of a stop signal.
pub fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT (Ctrl-C)".into(),
        15 => "SIGTERM".into(),
        s => format!("signal {s}"),
    }
}

impl Stop {
    /// Says why, for messages and results.json.
    pub fn describe(&self, step: u64) -> String {
        match self {
            Self::Signal(s) => format!("stopped by {} after step {step}", signal_name(*s)),
            Self::Step => format!("stopped after step {step} as asked (--stop-after)"),
        }
    }
}

/// The error of a run stopped before its end after writing its checkpoint: says how to
/// continue. Exit with [`Interrupted::exit_code`].
#[derive(Debug)]
pub struct Interrupted {
    pub reason: Stop,
    pub step: u64,
    pub total_steps: u64,
    pub dir: PathBuf,
}

impl Interrupted {
    /// 128 + the signal number, as a shell reports a process ended by that signal; 0 for a
    /// stop asked for with `--stop-after`.
    pub fn exit_code(&self) -> u8 {
        match self.reason {
            Stop::Signal(s) => u8::try_from(128 + s).unwrap_or(1),
            Stop::Step => 0,
        }
    }
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}; a checkpoint was written ({} of {} steps done). Continue the run with\n  mdsim resume {}",
            self.reason.describe(self.step),
            self.step,
            self.total_steps,
            self.dir.display()
        )
    }
}

impl std::error::Error for Interrupted {}
