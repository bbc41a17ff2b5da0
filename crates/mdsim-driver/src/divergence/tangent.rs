//! The largest Lyapunov exponent by renormalisation (Benettin, Galgani, Giorgilli & Strelcyn,
//! Meccanica 15, 9 (1980); as used for Lennard-Jones fluids by Posch & Hoover, Phys. Rev. A
//! 38, 473 (1988)).
//!
//! Beside every free twin runs a *shadow*: a second copy of the reference with the same
//! perturbation which, every [`RENORMALISE_PS`], is pulled back along its difference to the
//! reference until it is again `d0` away (positions, velocities and thermostat chain scaled by
//! the same factor d0/d). The shadow therefore stays in the tangent regime for as long as it
//! is followed, and λ = Σ ln(d_k/d0) / Σ Δt_k over the renormalisation intervals.
//!
//! Why not only the free twin's slope: a truncated potential has a force step at its cutoff,
//! and a pair that crosses it one step earlier in one twin than in the other gives the twins a
//! finite velocity difference however close they are. The chance of such a kick per step is
//! proportional to d, so a free twin, whose d grows to thermal size, collects kicks that bias
//! its slope by an amount that depends on the perturbation; a shadow kept at d ≤ e^{λτ}·d0
//! (τ the interval) practically never sees one.
//!
//! The first [`TRANSIENT_PS`] after branching are left out: the random initial difference
//! needs that long to turn into the most unstable direction (in Rahman's argon the local rate
//! reaches its plateau within 2 ps; see the separation curves).

use super::measure;
use mdsim_core::{Engine, NoseHooverChain};
use serde::Serialize;

/// Time between renormalisations, ps.
pub const RENORMALISE_PS: f64 = 0.2;

/// Intervals that end within this time after branching are not used for λ, ps.
pub const TRANSIENT_PS: f64 = 2.0;

/// One renormalisation interval of a shadow.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// End of the interval, ps after the shadow branched.
    pub end_ps: f64,
    /// Length, ps.
    pub duration_ps: f64,
    /// ln(d/d0) at its end.
    pub ln_growth: f64,
}

/// A copy of the reference kept at distance `d0` from it.
#[derive(Clone)]
pub struct Shadow {
    pub engine: Engine,
    pub thermostat: Option<NoseHooverChain>,
    d0: f64,
    every: u64,
    pub intervals: Vec<Interval>,
}

impl Shadow {
    /// `engine` is the perturbed copy (forces computed), `d0` its distance to the reference
    /// (Å), `dt` the time step (ps).
    pub fn new(engine: Engine, thermostat: Option<NoseHooverChain>, d0: f64, dt: f64) -> Self {
        Self {
            engine,
            thermostat,
            d0,
            every: ((RENORMALISE_PS / dt).round() as u64).max(1),
            intervals: Vec::new(),
        }
    }

    /// One step in lockstep with the reference; `since` is the number of steps since the
    /// branch after this one. Renormalises at the end of each interval.
    pub fn step(
        &mut self,
        reference: &Engine,
        reference_chain: Option<&NoseHooverChain>,
        since: u64,
        dt: f64,
    ) {
        self.engine.step(dt, self.thermostat.as_mut(), false);
        if !since.is_multiple_of(self.every) {
            return;
        }
        let d = measure::separation(&reference.system, &self.engine.system).distance;
        if !(d.is_finite() && d > 0.0) {
            return;
        }
        self.intervals.push(Interval {
            end_ps: since as f64 * dt,
            duration_ps: self.every as f64 * dt,
            ln_growth: (d / self.d0).ln(),
        });
        self.pull_towards(reference, reference_chain, self.d0 / d);
    }

    /// Scales the phase-space difference to the reference by `factor`.
    fn pull_towards(
        &mut self,
        reference: &Engine,
        reference_chain: Option<&NoseHooverChain>,
        factor: f64,
    ) {
        let r = &reference.system;
        let s = &mut self.engine.system;
        for i in 0..r.n_atoms() {
            // Difference in unwrapped coordinates, without rounding large unwrapped values.
            let dn = [0, 1, 2].map(|k| s.images[i][k] - r.images[i][k]);
            let t = r.cell.translation(dn);
            let (x, v) = (&mut s.positions[i], &mut s.velocities[i]);
            for (k, t) in t.iter().enumerate() {
                x[k] = r.positions[i][k] + factor * ((x[k] - r.positions[i][k]) + t);
                v[k] = r.velocities[i][k] + factor * (v[k] - r.velocities[i][k]);
            }
            s.images[i] = r.images[i];
        }
        if let (Some(c), Some(rc)) = (self.thermostat.as_mut(), reference_chain) {
            c.pull_towards(rc, factor);
        }
        self.engine.compute_forces(false);
    }
}

/// λ (1/ps) of one shadow: Σ ln growth / Σ time over the intervals past the transient.
pub fn shadow_exponent(intervals: &[Interval]) -> Option<f64> {
    let used = intervals.iter().filter(|i| i.end_ps > TRANSIENT_PS);
    let (g, t) = used.fold((0.0, 0.0), |(g, t), i| (g + i.ln_growth, t + i.duration_ps));
    (t > 0.0).then(|| g / t)
}

/// λ and its standard error from all shadows together: the intervals past the transient,
/// placed on the reference's clock (`branch_ps` + end), are grouped into blocks of
/// `block_ps`; λ is the total growth over the total time, and its error the standard error of
/// the blocks' rates (weighted by their time). Shadows of one reference converge to the same
/// most unstable direction, so their intervals at the same reference time are not
/// independent; blocks along the reference's clock are. `None` with fewer than two blocks.
pub fn pooled_exponent(shadows: &[(f64, &[Interval])], block_ps: f64) -> Option<(f64, f64, usize)> {
    let mut blocks: std::collections::BTreeMap<i64, (f64, f64)> = Default::default();
    for (branch_ps, intervals) in shadows {
        for i in intervals.iter().filter(|i| i.end_ps > TRANSIENT_PS) {
            let mid = branch_ps + i.end_ps - 0.5 * i.duration_ps;
            let b = blocks.entry((mid / block_ps).floor() as i64).or_default();
            b.0 += i.ln_growth;
            b.1 += i.duration_ps;
        }
    }
    let n = blocks.len();
    if n < 2 {
        return None;
    }
    let (g, t) = blocks
        .values()
        .fold((0.0, 0.0), |(g, t), b| (g + b.0, t + b.1));
    let lambda = g / t;
    // Weighted variance of the block rates; effective n from the weights.
    let (mut s2, mut w2) = (0.0, 0.0);
    for (bg, bt) in blocks.values() {
        let w = bt / t;
        s2 += w * (bg / bt - lambda).powi(2);
        w2 += w * w;
    }
    // Unbiased variance of a weighted mean: Σw² · Σw(x − x̄)² / (1 − Σw²).
    let var = s2 / (1.0 - w2) * w2;
    Some((lambda, var.sqrt(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intervals(rates: &[f64], tau: f64) -> Vec<Interval> {
        rates
            .iter()
            .enumerate()
            .map(|(k, r)| Interval {
                end_ps: (k + 1) as f64 * tau,
                duration_ps: tau,
                ln_growth: r * tau,
            })
            .collect()
    }

    #[test]
    fn transient_is_left_out() {
        // 2 ps at rate 0.5, then 8 ps at rate 2.
        let rates: Vec<f64> = (0..50).map(|k| if k < 10 { 0.5 } else { 2.0 }).collect();
        let iv = intervals(&rates, 0.2);
        assert!((shadow_exponent(&iv).unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn pooled_error_is_the_standard_error_of_equal_blocks() {
        // Four equal blocks with rates 1, 2, 3, 4 after the transient: mean 2.5, stderr
        // = sd/√4 = 1.2910/2.
        let mut rates = vec![9.0; 10];
        for r in [1.0, 2.0, 3.0, 4.0] {
            rates.extend(std::iter::repeat_n(r, 10));
        }
        let iv = intervals(&rates, 0.2);
        let (l, e, n) = pooled_exponent(&[(0.0, &iv)], 2.0).unwrap();
        assert_eq!(n, 4);
        assert!((l - 2.5).abs() < 1e-12, "{l}");
        let sd = (((1.5f64).powi(2) * 2.0 + 0.5f64.powi(2) * 2.0) / 3.0).sqrt();
        assert!((e - sd / 2.0).abs() < 1e-12, "{e} vs {}", sd / 2.0);
    }
}
