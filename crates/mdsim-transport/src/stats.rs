//! Small statistics toolbox: sample moments, least-squares slope, Student-t quantiles.
//!
//! Student-t quantiles turn a block standard error into a confidence interval with the right
//! width for few blocks (t_{0.975,4} = 2.78, not 1.96). They are computed from the regularised
//! incomplete beta function (continued fraction) and bisection, accurate to ~1e-12, with no
//! tables and no platform special functions.

/// Arithmetic mean (NaN for an empty slice).
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation with the n − 1 denominator (NaN for fewer than 2 values).
pub fn sample_std(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// Ordinary least-squares slope of y against x (with intercept). `None` if there are fewer
/// than two points or all x are equal. Used per block only: its own "error" is never reported.
pub fn ols_slope(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mx = mean(&x[..n]);
    let my = mean(&y[..n]);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for i in 0..n {
        let dx = x[i] - mx;
        sxy += dx * (y[i] - my);
        sxx += dx * dx;
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The 97.5 % quantile of Student's t with `nu` degrees of freedom: the factor that turns a
/// standard error from `nu + 1` independent blocks into a 95 % two-sided interval.
pub fn t975(nu: f64) -> f64 {
    student_t_quantile(0.975, nu)
}

/// Quantile function (inverse CDF) of Student's t distribution with `nu > 0` degrees of
/// freedom (non-integer allowed). Returns NaN if `p` is not in (0, 1) or `nu` is not positive
/// and finite.
pub fn student_t_quantile(p: f64, nu: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && nu > 0.0 && nu.is_finite()) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, nu);
    }
    let tail = 1.0 - p; // wanted upper-tail probability P(T > t)
                        // Bracket: upper tail is decreasing in t.
    let mut hi = 1.0;
    while student_t_upper_tail(hi, nu) > tail {
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_upper_tail(mid, nu) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Cumulative distribution function of Student's t.
pub fn student_t_cdf(t: f64, nu: f64) -> f64 {
    if t >= 0.0 {
        1.0 - student_t_upper_tail(t, nu)
    } else {
        student_t_upper_tail(-t, nu)
    }
}

/// P(T > t) for t ≥ 0: ½ I_{ν/(ν+t²)}(ν/2, ½). Computed directly (not as 1 − CDF) so the far
/// tail keeps its relative precision.
fn student_t_upper_tail(t: f64, nu: f64) -> f64 {
    let x = nu / (nu + t * t);
    0.5 * regularized_incomplete_beta(0.5 * nu, 0.5, x)
}

/// Natural log of the gamma function for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta I_x(a, b) via its continued fraction (modified Lentz), using
/// the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where the fraction converges slowly.
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-16;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Even step.
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        // Odd step.
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Digamma function ψ(x) = d ln Γ(x)/dx for x > 0: recurrence ψ(x) = ψ(x+1) − 1/x up to
/// x ≥ 10, then the asymptotic series (error < 1e-12).
pub(crate) fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    acc + x.ln()
        - 0.5 / x
        - r * (1.0 / 12.0 - r * (1.0 / 120.0 - r * (1.0 / 252.0 - r * (1.0 / 240.0 - r / 132.0))))
}

/// Trigamma function ψ₁(x) = dψ/dx for x > 0: recurrence ψ₁(x) = ψ₁(x+1) + 1/x² up to
/// x ≥ 10, then the asymptotic series (error < 1e-12).
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    acc + 1.0 / x
        + 0.5 * r
        + r / x
            * (1.0 / 6.0 - r * (1.0 / 30.0 - r * (1.0 / 42.0 - r * (1.0 / 30.0 - r * 5.0 / 66.0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygamma_known_values() {
        // ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ₁(1) = π²/6, ψ₁(1/2) = π²/2.
        let gamma = 0.577_215_664_901_532_9;
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((digamma(1.0) + gamma).abs() < 1e-12);
        assert!((digamma(0.5) + gamma + 2.0 * 2f64.ln()).abs() < 1e-12);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-12);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-12);
        assert!((digamma(30.0) - 3.384_438_132_685_524_6).abs() < 1e-12);
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!((ln_gamma(1.0)).abs() < 1e-14);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn moments_and_slope() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean(&x), 2.5);
        assert!((sample_std(&x) - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v - 1.0).collect();
        assert!((ols_slope(&x, &y).unwrap() - 3.0).abs() < 1e-14);
        assert!(ols_slope(&[1.0], &[1.0]).is_none());
        assert!(ols_slope(&[1.0, 1.0], &[1.0, 2.0]).is_none());
    }
}
