//! Energy minimisation of the atom positions by FIRE (Bitzek, Koskinen, Gähler, Moseler &
//! Gumbsch, Phys. Rev. Lett. 97, 170201 (2006)): damped velocity-Verlet dynamics whose
//! velocity is steered along the force, with an adaptive time step. The cell is fixed.

use crate::engine::Engine;
use crate::units::EV_TO_AMU_A2_PS2;

/// When to stop, and the FIRE time steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FireSettings {
    /// Converged when the largest force on any atom is below this (eV/Å).
    pub force_tolerance: f64,
    pub max_steps: usize,
    /// Initial and largest time step, ps.
    pub dt_start: f64,
    pub dt_max: f64,
    /// Largest distance an atom may move in one step, Å (LAMMPS `min_modify dmax`): keeps
    /// FIRE's growing time step from throwing light atoms into their neighbours.
    pub max_displacement: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinimizeResult {
    pub steps: usize,
    pub converged: bool,
    /// Potential energy before and after, eV.
    pub energy_start: f64,
    pub energy_end: f64,
    /// Largest force on an atom at the end, eV/Å.
    pub max_force: f64,
}

// The published FIRE parameters.
const N_MIN: usize = 5;
const F_INC: f64 = 1.1;
const F_DEC: f64 = 0.5;
const ALPHA_START: f64 = 0.1;
const F_ALPHA: f64 = 0.99;

fn max_force(engine: &Engine) -> f64 {
    engine
        .system
        .forces
        .iter()
        .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
        .fold(0.0, f64::max)
}

/// The time step at which no atom's velocity-Verlet displacement v·Δt + ½a·Δt² exceeds
/// `dmax` (`dt` if none does).
fn limited_step(engine: &Engine, dt: f64, dmax: f64) -> f64 {
    let s = &engine.system;
    let mut largest: f64 = 0.0;
    for ((v, f), &m) in s.velocities.iter().zip(&s.forces).zip(&s.masses) {
        let c = 0.5 * dt * EV_TO_AMU_A2_PS2 / m;
        let d = [0, 1, 2].map(|k| dt * (v[k] + c * f[k]));
        largest = largest.max((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt());
    }
    if largest > dmax {
        // The displacement grows at least linearly with the step: scaling by the ratio is
        // enough.
        dt * dmax / largest
    } else {
        dt
    }
}

/// Minimises the potential energy over the positions. Velocities are zero afterwards.
/// `progress(step, largest force)` is called after every step.
pub fn fire(
    engine: &mut Engine,
    settings: &FireSettings,
    mut progress: impl FnMut(usize, f64),
) -> MinimizeResult {
    engine
        .system
        .velocities
        .iter_mut()
        .for_each(|v| *v = [0.0; 3]);
    let energy_start = engine.energies().potential();
    let (mut dt, mut alpha, mut since_uphill) = (settings.dt_start, ALPHA_START, 0);
    let mut steps = 0;
    let mut fmax = max_force(engine);
    while fmax > settings.force_tolerance && steps < settings.max_steps {
        let s = &mut engine.system;
        // Power P = F·v and the norms for steering v along F.
        let (mut p, mut v2, mut f2) = (0.0, 0.0, 0.0);
        for (v, f) in s.velocities.iter().zip(&s.forces) {
            p += v[0] * f[0] + v[1] * f[1] + v[2] * f[2];
            v2 += v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
            f2 += f[0] * f[0] + f[1] * f[1] + f[2] * f[2];
        }
        if p > 0.0 {
            let mix = alpha * (v2 / f2).sqrt();
            for (v, f) in s.velocities.iter_mut().zip(&s.forces) {
                for k in 0..3 {
                    v[k] = (1.0 - alpha) * v[k] + mix * f[k];
                }
            }
            since_uphill += 1;
            if since_uphill > N_MIN {
                dt = (dt * F_INC).min(settings.dt_max);
                alpha *= F_ALPHA;
            }
        } else {
            s.velocities.iter_mut().for_each(|v| *v = [0.0; 3]);
            dt *= F_DEC;
            alpha = ALPHA_START;
            since_uphill = 0;
        }
        let step_dt = dt.min(limited_step(engine, dt, settings.max_displacement));
        engine.step(step_dt, None, false);
        fmax = max_force(engine);
        steps += 1;
        progress(steps, fmax);
    }
    engine
        .system
        .velocities
        .iter_mut()
        .for_each(|v| *v = [0.0; 3]);
    MinimizeResult {
        steps,
        converged: fmax <= settings.force_tolerance,
        energy_start,
        energy_end: engine.energies().potential(),
        max_force: fmax,
    }
}
