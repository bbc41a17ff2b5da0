//! Energy minimisation before the stages (the input's `minimize` section).

use crate::observers::trajectory::xyz_frame;
use crate::report::MinimizationOut;
use anyhow::{Context, Result};
use mdsim_core::minimize::{fire, FireSettings};
use mdsim_core::Engine;
use mdsim_io::input::MinimizeInput;
use std::path::Path;
use std::time::Instant;

/// FIRE on the positions, with a progress line every 10 s; writes the relaxed structure as
/// minimized.xyz in `dir`. `dt` (ps) is the starting FIRE time step.
pub fn minimize(
    engine: &mut Engine,
    m: &MinimizeInput,
    dt: f64,
    dir: &Path,
) -> Result<MinimizationOut> {
    let settings = FireSettings {
        force_tolerance: m.force_tolerance,
        max_steps: m.max_steps,
        dt_start: dt,
        dt_max: 10.0 * dt,
        max_displacement: 0.1,
    };
    let clock = Instant::now();
    let mut next_report = 10.0;
    let r = fire(engine, &settings, |step, fmax| {
        let t = clock.elapsed().as_secs_f64();
        if t >= next_report {
            eprintln!(
                "  minimisation step {step}: largest force {fmax:.3e} eV/Å ({:.1} steps/s)",
                step as f64 / t
            );
            next_report = t + 10.0;
        }
    });
    let n = engine.system.n_atoms() as f64;
    eprintln!(
        "minimisation (FIRE): {} after {} steps, E = {:.8} → {:.8} eV/atom, largest force {:.2e} eV/Å",
        if r.converged { "converged" } else { "NOT converged" },
        r.steps,
        r.energy_start / n,
        r.energy_end / n,
        r.max_force
    );
    let path = dir.join("minimized.xyz");
    std::fs::write(&path, xyz_frame(&engine.system, 0, dt, false))
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(MinimizationOut {
        converged: r.converged,
        steps: r.steps,
        energy_start_eV: r.energy_start,
        energy_end_eV: r.energy_end,
        max_force_eV_per_A: r.max_force,
    })
}
