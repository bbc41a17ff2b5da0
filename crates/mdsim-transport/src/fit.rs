//! Fit windows and per-block fits.
//!
//! The slope of an MSD-like curve is fitted only where the motion is diffusive: past the
//! ballistic start and the cage plateau. The window is user settable or chosen from the
//! all-origins curve's local log–log slope. Each block's curve is then fitted separately; the
//! spread of the block slopes (not the least-squares error of one fit, which ignores the strong
//! correlation between lags) gives the uncertainty.

use serde::{Deserialize, Serialize};

use crate::correlator::BlockedCurves;
use crate::stats::ols_slope;
use crate::{Result, TransportError};

/// The automatic window never starts before this fraction of the maximum lag.
pub const AUTO_MIN_START_FRACTION: f64 = 0.1;

/// Earliest automatic start for the conductivity estimators (fraction of the longest lag).
pub const CONDUCTIVITY_MIN_START_FRACTION: f64 = 0.01;

/// Local log–log slope d ln MSD / d ln t accepted as diffusive. A band rather than "≥ 0.9"
/// because the ballistic start has slope 2: only entering the band counts, whether from the
/// sub-diffusive plateau (from below) or from the ballistic regime (from above).
pub const AUTO_SLOPE_BAND: (f64, f64) = (0.9, 1.1);

/// The local slope at lag τ is the least-squares slope of ln MSD against ln t over lags
/// [τ / r, τ · r] (smoothing against noise); r is this ratio.
pub const AUTO_SMOOTHING_RATIO: f64 = 1.5;

/// How the fit window is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FitWindowSpec {
    /// From the local log–log slope of the all-origins curve (see [`choose_window`]).
    #[default]
    Auto,
    /// Lags from `start_ps` to `end_ps` (the end is clipped to the longest available lag).
    Manual { start_ps: f64, end_ps: f64 },
}

/// Where a window came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowChoice {
    Manual,
    /// The local slope entered the diffusive band and stayed there.
    Auto,
    /// The curve never became diffusive within the maximum lag: the second half of the lags
    /// was used. The estimate is then doubtful; a longer maximum lag is needed.
    AutoNotDiffusive,
}

/// The fit window actually used, in lag indices (inclusive) and in ps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitWindow {
    pub start_ps: f64,
    pub end_ps: f64,
    pub start_lag: usize,
    pub end_lag: usize,
    pub choice: WindowChoice,
}

/// Chooses the fit window for a curve sampled every `dt_ps` (index = lag).
///
/// Automatic rule: the window starts at the first lag τ ≥ [`AUTO_MIN_START_FRACTION`] ·
/// `max_lag` whose smoothed local slope lies in [`AUTO_SLOPE_BAND`] and stays there up to
/// lag 2τ (or the end), so a curve that only passes through slope 1 on its way from ballistic
/// to caged is not taken as diffusive. It ends at the last lag of the curve.
pub fn choose_window(
    curve: &[f64],
    dt_ps: f64,
    max_lag: usize,
    spec: FitWindowSpec,
) -> Result<FitWindow> {
    choose_window_from(curve, dt_ps, max_lag, spec, AUTO_MIN_START_FRACTION)
}

/// [`choose_window`] with another earliest start of the automatic window (as a fraction of
/// `max_lag`; at least lag 1). The conductivity estimators use
/// [`CONDUCTIVITY_MIN_START_FRACTION`]: their longest lag is half a block, and the window
/// should start where the MSD becomes linear, not at a fixed fraction of the block.
pub fn choose_window_from(
    curve: &[f64],
    dt_ps: f64,
    max_lag: usize,
    spec: FitWindowSpec,
    min_start_fraction: f64,
) -> Result<FitWindow> {
    let last = curve.len().saturating_sub(1);
    let window = |start_lag: usize, end_lag: usize, choice| FitWindow {
        start_ps: start_lag as f64 * dt_ps,
        end_ps: end_lag as f64 * dt_ps,
        start_lag,
        end_lag,
        choice,
    };
    let too_short = |start_ps: f64, end_ps: f64, s: usize, e: usize| {
        Err(TransportError::WindowTooShort {
            start_ps,
            end_ps,
            n_points: e.saturating_add(1).saturating_sub(s),
        })
    };
    match spec {
        FitWindowSpec::Manual { start_ps, end_ps } => {
            if !(start_ps.is_finite() && end_ps.is_finite() && start_ps >= 0.0) {
                return Err(TransportError::Config(format!(
                    "fit window {start_ps} ps .. {end_ps} ps must be finite and non-negative"
                )));
            }
            // Tolerance so that 0.3 ps / 0.1 ps is lag 3, not 2.9999999.
            let s = (start_ps / dt_ps - 1e-9).ceil().max(0.0) as usize;
            let e = ((end_ps / dt_ps + 1e-9).floor().max(0.0) as usize).min(last);
            if e <= s {
                return too_short(start_ps, end_ps, s, e);
            }
            Ok(window(s, e, WindowChoice::Manual))
        }
        FitWindowSpec::Auto => {
            let min_start = ((min_start_fraction * max_lag as f64).ceil() as usize).max(1);
            let slopes = local_loglog_slopes(curve);
            // out[τ] = number of lags < τ whose slope is outside the band.
            let mut out = vec![0usize; slopes.len() + 1];
            for (i, s) in slopes.iter().enumerate() {
                let in_band = *s >= AUTO_SLOPE_BAND.0 && *s <= AUTO_SLOPE_BAND.1;
                out[i + 1] = out[i] + usize::from(!in_band);
            }
            let found = (min_start..=last).find(|&tau| {
                let until = (2 * tau).min(last);
                out[until + 1] - out[tau] == 0
            });
            let (s, choice) = match found {
                Some(s) => (s, WindowChoice::Auto),
                None => (min_start.max(last / 2), WindowChoice::AutoNotDiffusive),
            };
            if last <= s {
                return too_short(s as f64 * dt_ps, last as f64 * dt_ps, s, last);
            }
            Ok(window(s, last, choice))
        }
    }
}

/// Smoothed local slope d ln y / d ln t at every lag index (NaN at lag 0 and where fewer than
/// two positive values lie in the smoothing range). Useful to plot next to the MSD.
pub fn local_loglog_slopes(curve: &[f64]) -> Vec<f64> {
    let n = curve.len();
    // Prefix sums over valid points (y > 0) of 1, x, y, x², xy with x = ln t, y = ln MSD.
    let mut pre = vec![[0.0f64; 5]; n + 1];
    for j in 0..n {
        let mut row = pre[j];
        let v = curve[j];
        if j > 0 && v > 0.0 && v.is_finite() {
            let (x, y) = ((j as f64).ln(), v.ln());
            row[0] += 1.0;
            row[1] += x;
            row[2] += y;
            row[3] += x * x;
            row[4] += x * y;
        }
        pre[j + 1] = row;
    }
    (0..n)
        .map(|tau| {
            if tau == 0 {
                return f64::NAN;
            }
            let lo = ((tau as f64 / AUTO_SMOOTHING_RATIO).floor() as usize).max(1);
            let hi = ((tau as f64 * AUTO_SMOOTHING_RATIO).ceil() as usize).min(n - 1);
            let s: Vec<f64> = (0..5).map(|i| pre[hi + 1][i] - pre[lo][i]).collect();
            let det = s[0] * s[3] - s[1] * s[1];
            if s[0] < 2.0 || det <= 0.0 {
                f64::NAN
            } else {
                (s[0] * s[4] - s[1] * s[2]) / det
            }
        })
        .collect()
}

/// Least-squares slope (per ps) of each block's curve over the window, for every block that
/// has data up to the window's end. These slopes are independent samples: their mean and
/// standard error are the estimate (D = slope / 6, σ = slope · Ω / 6kT, …).
pub fn block_slopes(data: &BlockedCurves, group: usize, window: &FitWindow) -> Result<Vec<f64>> {
    data.check_group(group)?;
    let (s, e) = (window.start_lag, window.end_lag);
    if e <= s || e > data.max_lag {
        return Err(TransportError::WindowTooShort {
            start_ps: window.start_ps,
            end_ps: window.end_ps,
            n_points: e.saturating_add(1).saturating_sub(s),
        });
    }
    let x: Vec<f64> = (s..=e).map(|l| data.lag_ps(l)).collect();
    let mut y = Vec::with_capacity(x.len());
    let mut slopes = Vec::new();
    for b in 0..data.n_blocks {
        if data.block_lags_with_data(b) <= e {
            continue;
        }
        y.clear();
        y.extend((s..=e).filter_map(|l| data.block_mean(b, group, l)));
        if let Some(slope) = ols_slope(&x, &y) {
            slopes.push(slope);
        }
    }
    if slopes.len() < 2 {
        return Err(TransportError::TooFewBlocks {
            n_blocks: slopes.len(),
            lag_ps: data.lag_ps(e),
        });
    }
    Ok(slopes)
}

/// Trapezoid integral (in ps × curve units) of each block's curve from lag 0 to `end_lag`,
/// for every block with data up to `end_lag` (Green–Kubo integrals).
pub fn block_integrals(data: &BlockedCurves, group: usize, end_lag: usize) -> Result<Vec<f64>> {
    data.check_group(group)?;
    if end_lag < 1 || end_lag > data.max_lag {
        return Err(TransportError::WindowTooShort {
            start_ps: 0.0,
            end_ps: data.lag_ps(end_lag),
            n_points: end_lag + 1,
        });
    }
    let mut integrals = Vec::new();
    for b in 0..data.n_blocks {
        if data.block_lags_with_data(b) <= end_lag {
            continue;
        }
        let y: Vec<f64> = (0..=end_lag)
            .filter_map(|l| data.block_mean(b, group, l))
            .collect();
        integrals.push(trapezoid(&y, data.dt_ps));
    }
    if integrals.len() < 2 {
        return Err(TransportError::TooFewBlocks {
            n_blocks: integrals.len(),
            lag_ps: data.lag_ps(end_lag),
        });
    }
    Ok(integrals)
}

/// Trapezoid rule for equally spaced samples.
pub(crate) fn trapezoid(y: &[f64], dx: f64) -> f64 {
    match y.len() {
        0 | 1 => 0.0,
        n => dx * (y.iter().sum::<f64>() - 0.5 * (y[0] + y[n - 1])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loglog_slope_of_power_laws() {
        let lin: Vec<f64> = (0..200).map(|t| 3.0 * t as f64).collect();
        let quad: Vec<f64> = (0..200).map(|t| (t * t) as f64).collect();
        for (a, b) in local_loglog_slopes(&lin)
            .iter()
            .zip(local_loglog_slopes(&quad))
            .skip(1)
        {
            assert!((a - 1.0).abs() < 1e-9 && (b - 2.0).abs() < 1e-9);
        }
    }

    #[test]
    fn auto_window_skips_ballistic_start() {
        // MSD of an Ornstein–Uhlenbeck particle (γ = 1 per lag): ballistic then diffusive.
        let curve: Vec<f64> = (0..400)
            .map(|t| {
                let t = t as f64 * 0.1;
                t - (1.0 - (-t).exp())
            })
            .collect();
        let w = choose_window(&curve, 0.1, 399, FitWindowSpec::Auto).unwrap();
        assert_eq!(w.choice, WindowChoice::Auto);
        // Local slope t(1−e^{−t})/(t − 1 + e^{−t}) falls to 1.1 near t ≈ 11.
        assert!(w.start_ps > 9.0 && w.start_ps < 13.0, "{w:?}");
        assert_eq!(w.end_lag, 399);
        // Pure random walk: starts at 10 % of the max lag.
        let rw: Vec<f64> = (0..101).map(|t| t as f64).collect();
        let w = choose_window(&rw, 1.0, 100, FitWindowSpec::Auto).unwrap();
        assert_eq!((w.start_lag, w.end_lag), (10, 100));
        // A caged, never-diffusive curve falls back to the second half and says so.
        let caged: Vec<f64> = (0..101).map(|t| 1.0 - (-(t as f64)).exp()).collect();
        let w = choose_window(&caged, 1.0, 100, FitWindowSpec::Auto).unwrap();
        assert_eq!(w.choice, WindowChoice::AutoNotDiffusive);
        assert_eq!(w.start_lag, 50);
    }

    #[test]
    fn manual_window_is_converted_and_checked() {
        let c = vec![0.0; 101];
        let w = choose_window(
            &c,
            0.1,
            100,
            FitWindowSpec::Manual {
                start_ps: 0.3,
                end_ps: 20.0,
            },
        )
        .unwrap();
        assert_eq!((w.start_lag, w.end_lag), (3, 100));
        let short = FitWindowSpec::Manual {
            start_ps: 0.31,
            end_ps: 0.39,
        };
        assert!(matches!(
            choose_window(&c, 0.1, 100, short),
            Err(TransportError::WindowTooShort { .. })
        ));
    }

    #[test]
    fn trapezoid_is_exact_for_lines() {
        assert!((trapezoid(&[0.0, 1.0, 2.0, 3.0], 0.5) - 2.25).abs() < 1e-15);
    }
}
