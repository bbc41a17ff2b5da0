//! The largest Lyapunov exponent from one twin's separation curve, and the time at which the
//! twins' velocities stop being correlated.
//!
//! ln d(t) of a twin rises in three stretches: a short transient while the perturbation turns
//! towards the most unstable direction, a straight line of slope λ (the linear regime, where
//! the twins differ by far less than the thermal motion), and saturation once the twins are
//! unrelated. The fit window is found from two physical bounds, not by eye:
//! - start: d has grown to [`FitRule::start_factor`] × max(d(0), round-off floor) — past the
//!   transient and well above the arithmetic's resolution;
//! - end: the twins' relative velocity separation reaches [`FitRule::end_velocity_separation`]
//!   — beyond that the difference is no longer small against the thermal velocities and the
//!   growth slows (saturation).
//!
//! λ is the least-squares slope of ln d over the window; its error comes from the spread of
//! λ over twins that branch at different times (independent stretches of the trajectory),
//! never from the residuals of one fit.
//!
//! Kicks. A truncated potential has a force step at its cutoff. When a pair crosses the
//! cutoff one step earlier in one twin than in the other, the twins receive a finite velocity
//! difference (≈ Δt·F(r_c)/m) however close they were: the velocity separation jumps within
//! one step and ln d climbs by several units within a fraction of a picosecond (Rahman's argon,
//! LJ cut at 2.25σ: jumps of 3–4 e-folds at d ≈ 1e-6–1e-5 Å). Such kicks are not part of the
//! tangent dynamics whose growth rate λ is (their chance per step is proportional to d, so
//! they vanish for infinitesimal separations), yet they shorten the decorrelation time, which
//! is why they are detected rather than smoothed away: a kick is a sample at which the
//! velocity separation grew by more than [`FitRule::kick_jump`] (smooth growth is λ·Δt ≈ 0.02
//! per step). The window is cut at each kick, the stretch of 1/λ after it (while the position
//! difference takes up the new velocity difference) is left out, and λ is the slope common to
//! the remaining stretches, each with its own intercept. The slope with the kicks left in is
//! reported too.

use mdsim_transport::stats::{mean, ols_slope};
use serde::Serialize;

/// Where the exponential regime is looked for.
#[derive(Clone, Copy, Debug)]
pub struct FitRule {
    /// The window starts once d ≥ this × max(d(0), round-off floor).
    pub start_factor: f64,
    /// The window ends once the relative velocity separation reaches this.
    pub end_velocity_separation: f64,
    /// The window must span at least this growth of ln d (e-folds) to be trusted.
    pub min_growth: f64,
    /// A growth of ln(velocity separation) by more than this from one sample to the next is
    /// a kick.
    pub kick_jump: f64,
}

impl Default for FitRule {
    fn default() -> Self {
        Self {
            start_factor: 10.0,
            end_velocity_separation: 0.01,
            min_growth: std::f64::consts::LN_10,
            kick_jump: std::f64::consts::LN_2,
        }
    }
}

/// One twin's exponent and the window it was fitted in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExponentFit {
    /// The slope common to the stretches between kicks, 1/ps.
    pub lambda_per_ps: f64,
    /// The least-squares slope over the whole window, kicks included, 1/ps.
    pub lambda_with_kicks_per_ps: f64,
    /// Window, ps after the twin branched off.
    pub window_ps: [f64; 2],
    /// Growth of ln d across the window (e-folds).
    pub growth: f64,
    /// Kicks found in the window (see the module notes).
    pub kicks: usize,
    /// The stretches fitted, each with its line.
    pub stretches: Vec<Stretch>,
}

/// A stretch of the window between kicks and its fitted line ln(d/Å) = intercept + λ t.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stretch {
    pub window_ps: [f64; 2],
    pub intercept: f64,
}

/// Fits λ to one twin's curve: `times` (ps since branching), `distance` (Å) and
/// `velocity_separation`, sampled together. `floor` is the round-off floor (Å). Errors say
/// why no exponential regime was found (the message goes into the results as it is).
pub fn fit_exponent(
    times: &[f64],
    distance: &[f64],
    velocity_separation: &[f64],
    floor: f64,
    rule: &FitRule,
) -> Result<ExponentFit, String> {
    let n = times
        .len()
        .min(distance.len())
        .min(velocity_separation.len());
    if n < 3 {
        return Err("too few samples".into());
    }
    let lower = rule.start_factor * distance[0].max(floor);
    let start = (0..n).find(|&i| distance[i] >= lower).ok_or_else(|| {
        format!(
            "the separation never grew to {lower:.3e} Å ({}× its start): follow the twins longer",
            rule.start_factor
        )
    })?;
    let end = (start..n)
        .find(|&i| velocity_separation[i] >= rule.end_velocity_separation)
        .ok_or_else(|| {
            format!(
                "the twins never reached a velocity separation of {} (saturation): follow them longer",
                rule.end_velocity_separation
            )
        })?;
    if end <= start + 1 {
        return Err(format!(
            "no exponential regime: the velocities separated (s ≥ {}) before the distance had grown {}×; use a smaller perturbation",
            rule.end_velocity_separation, rule.start_factor
        ));
    }
    let ln_d: Vec<f64> = distance[start..=end].iter().map(|d| d.ln()).collect();
    let growth = ln_d[ln_d.len() - 1] - ln_d[0];
    if growth < rule.min_growth {
        return Err(format!(
            "the exponential regime spans only {:.2} e-folds (at least {:.2} needed); use a smaller perturbation",
            growth, rule.min_growth
        ));
    }
    let t = &times[start..=end];
    let naive = ols_slope(t, &ln_d).ok_or("degenerate window")?;
    let kicks: Vec<usize> = (start + 1..=end)
        .filter(|&i| {
            let (a, b) = (velocity_separation[i - 1], velocity_separation[i]);
            a > 0.0 && (b / a).ln() > rule.kick_jump
        })
        .collect();
    let settle = if naive > 0.0 { 1.0 / naive } else { 0.0 };
    let ranges = stretches(times, start, end, &kicks, settle);
    let lambda = pooled_slope(times, distance, &ranges).ok_or_else(|| {
        format!(
            "{} kicks (force steps at the cutoff) leave no stretch of the window to fit",
            kicks.len()
        )
    })?;
    let stretches = ranges
        .iter()
        .map(|&(a, b)| {
            let y: Vec<f64> = distance[a..=b].iter().map(|d| d.ln()).collect();
            Stretch {
                window_ps: [times[a], times[b]],
                intercept: mean(&y) - lambda * mean(&times[a..=b]),
            }
        })
        .collect();
    Ok(ExponentFit {
        lambda_per_ps: lambda,
        lambda_with_kicks_per_ps: naive,
        window_ps: [times[start], times[end]],
        growth,
        kicks: kicks.len(),
        stretches,
    })
}

/// The index ranges of `start..=end` between kicks, leaving out `settle` ps after each kick;
/// ranges of fewer than three samples are dropped.
fn stretches(
    times: &[f64],
    start: usize,
    end: usize,
    kicks: &[usize],
    settle: f64,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = start;
    for &k in kicks.iter().chain(std::iter::once(&(end + 1))) {
        if k >= from + 3 {
            out.push((from, k - 1));
        }
        if k > end {
            break;
        }
        from = (k..=end)
            .find(|&i| times[i] >= times[k] + settle)
            .unwrap_or(end + 1);
    }
    out
}

/// The least-squares slope of ln d common to all ranges, each with its own intercept
/// (deviations from each range's own means, pooled).
fn pooled_slope(times: &[f64], distance: &[f64], ranges: &[(usize, usize)]) -> Option<f64> {
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(a, b) in ranges {
        let t = &times[a..=b];
        let y: Vec<f64> = distance[a..=b].iter().map(|d| d.ln()).collect();
        let (mt, my) = (mean(t), mean(&y));
        for (ti, yi) in t.iter().zip(&y) {
            sxy += (ti - mt) * (yi - my);
            sxx += (ti - mt) * (ti - mt);
        }
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The first time at which `values` fall to `threshold` or below (`None` if they never do).
pub fn first_at_or_below(times: &[f64], values: &[f64], threshold: f64) -> Option<f64> {
    times
        .iter()
        .zip(values)
        .find(|(_, &v)| v <= threshold)
        .map(|(&t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic twin: a transient, exponential growth at rate `lambda` from `d0`, and
    /// saturation; the velocity separation grows along (s = d · c) up to 1.
    fn synthetic(lambda: f64, d0: f64, dt: f64, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let t: Vec<f64> = (0..n).map(|i| i as f64 * dt).collect();
        let d: Vec<f64> = t
            .iter()
            .map(|&t| {
                // A dip during the first 0.3 ps, then clean growth, capped at 10 Å.
                let transient = if t > 0.0 && t < 0.3 { 0.5 } else { 1.0 };
                (d0 * transient * (lambda * t).exp()).min(10.0)
            })
            .collect();
        let s: Vec<f64> = d.iter().map(|&d| (d * 0.1).min(1.0)).collect();
        (t, d, s)
    }

    #[test]
    fn recovers_the_rate_of_a_clean_exponential() {
        for (lambda, d0) in [(2.0, 1e-10), (5.0, 1e-8), (0.5, 1e-12)] {
            let (t, d, s) = synthetic(lambda, d0, 0.01, 20_000);
            let fit = fit_exponent(&t, &d, &s, 1e-14, &FitRule::default()).unwrap();
            assert!(
                (fit.lambda_per_ps - lambda).abs() < 1e-9 * lambda,
                "{fit:?} vs {lambda}"
            );
            // Window: from 10 d0 to s = 0.01 (d = 0.1 Å).
            let start = (10.0f64).ln() / lambda;
            let end = (0.1 / d0).ln() / lambda;
            assert!((fit.window_ps[0] - start).abs() < 0.02, "{fit:?}");
            assert!((fit.window_ps[1] - end).abs() < 0.02, "{fit:?}");
        }
    }

    #[test]
    fn window_starts_above_the_round_off_floor() {
        // A perturbation below the floor: the window starts at 10 × floor.
        let (t, d, s) = synthetic(3.0, 1e-16, 0.01, 20_000);
        let fit = fit_exponent(&t, &d, &s, 1e-13, &FitRule::default()).unwrap();
        let start = (1e-12f64 / 1e-16).ln() / 3.0;
        assert!((fit.window_ps[0] - start).abs() < 0.02, "{fit:?}");
    }

    #[test]
    fn says_why_when_there_is_no_exponential_regime() {
        // Never saturates within the record.
        let (t, d, s) = synthetic(1.0, 1e-10, 0.01, 500);
        let e = fit_exponent(&t, &d, &s, 1e-14, &FitRule::default()).unwrap_err();
        assert!(e.contains("follow them longer"), "{e}");
        // A perturbation so large that the twins saturate at once.
        let (t, d, s) = synthetic(2.0, 0.05, 0.01, 2000);
        let e = fit_exponent(&t, &d, &s, 1e-14, &FitRule::default()).unwrap_err();
        assert!(e.contains("smaller perturbation"), "{e}");
    }

    #[test]
    fn kicks_are_cut_out_of_the_fit() {
        // Clean growth at λ = 1 with two kicks of 4 e-folds each (velocity separation jumps
        // by e⁴ in one sample; the position difference follows within 0.2 ps).
        let (lambda, dt) = (1.0, 0.01);
        let t: Vec<f64> = (0..1500).map(|i| i as f64 * dt).collect();
        let kick = |t: f64, at: f64| {
            if t < at {
                0.0
            } else {
                4.0 * (1.0 - (-(t - at) / 0.05).exp())
            }
        };
        let ln_d: Vec<f64> = t
            .iter()
            .map(|&t| -23.0 + lambda * t + kick(t, 4.0) + kick(t, 7.0))
            .collect();
        let d: Vec<f64> = ln_d.iter().map(|y| y.exp()).collect();
        let s: Vec<f64> = t
            .iter()
            .map(|&t| {
                let jumps = 4.0 * (f64::from(u8::from(t >= 4.0)) + f64::from(u8::from(t >= 7.0)));
                (-23.0 + lambda * t + jumps).exp().min(1.0)
            })
            .collect();
        let fit = fit_exponent(&t, &d, &s, 1e-14, &FitRule::default()).unwrap();
        assert_eq!(fit.kicks, 2, "{fit:?}");
        assert_eq!(fit.stretches.len(), 3, "{fit:?}");
        assert!((fit.lambda_per_ps - lambda).abs() < 1e-3, "{fit:?}");
        assert!(fit.lambda_with_kicks_per_ps > 1.5, "{fit:?}");
    }

    #[test]
    fn first_crossing() {
        let t = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(
            first_at_or_below(&t, &[1.0, 0.5, 0.05, 0.2], 0.1),
            Some(2.0)
        );
        assert_eq!(first_at_or_below(&t, &[1.0, 0.5, 0.4, 0.2], 0.1), None);
    }
}
