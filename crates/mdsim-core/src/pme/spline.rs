//! Cardinal B-splines M_p of the smooth particle-mesh Ewald method (Essmann et al., J. Chem.
//! Phys. 103, 8577 (1995), §3): the charge-assignment weights and their derivatives, and the
//! moduli |b(m)|² of the Euler exponential splines.
//!
//! M_2(x) = 1 − |x − 1| on [0, 2], M_p(x) = [x M_{p−1}(x) + (p − x) M_{p−1}(x − 1)]/(p − 1),
//! dM_p/dx = M_{p−1}(x) − M_{p−1}(x − 1) (Essmann et al., eqs. 4.1–4.2).

use std::f64::consts::PI;

/// Largest spline order supported.
pub const MAX_ORDER: usize = 6;
/// Smallest spline order supported.
pub const MIN_ORDER: usize = 4;

/// The weights of one atom along one mesh direction: the mesh points `start + i`
/// (i = 0..p, modulo the mesh size) carry θ_i = M_p(w + p − 1 − i) and dθ_i = M_p'(…), where
/// u = K s = start + p − 1 + w is the atom's scaled fractional coordinate, 0 ≤ w < 1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Weights {
    pub theta: [f64; MAX_ORDER],
    pub dtheta: [f64; MAX_ORDER],
}

/// M_n(w + j) for j = 0..n (in `m[..n]`), by the recursion from M_2.
fn spline_values(n: usize, w: f64, m: &mut [f64; MAX_ORDER]) {
    m[0] = w;
    m[1] = 1.0 - w;
    for k in 3..=n {
        let inv = 1.0 / (k - 1) as f64;
        // new[j] = ((w + j) old[j] + (k − w − j) old[j − 1])/(k − 1), old[k − 1] = 0.
        m[k - 1] = inv * (k as f64 - w - (k - 1) as f64) * m[k - 2];
        for j in (1..k - 1).rev() {
            let jf = j as f64;
            m[j] = inv * ((w + jf) * m[j] + (k as f64 - w - jf) * m[j - 1]);
        }
        m[0] *= inv * w;
    }
}

impl Weights {
    /// Weights of order `p` (MIN_ORDER..=MAX_ORDER) for the fractional offset `w` ∈ [0, 1).
    #[inline]
    pub fn new(p: usize, w: f64) -> Self {
        debug_assert!((MIN_ORDER..=MAX_ORDER).contains(&p));
        let mut m = [0.0; MAX_ORDER];
        spline_values(p - 1, w, &mut m);
        // dM_p(w + j) = M_{p−1}(w + j) − M_{p−1}(w + j − 1).
        let mut d = [0.0; MAX_ORDER];
        d[0] = m[0];
        for j in 1..p {
            let hi = if j < p - 1 { m[j] } else { 0.0 };
            d[j] = hi - m[j - 1];
        }
        spline_values(p, w, &mut m);
        let mut out = Self::default();
        for i in 0..p {
            out.theta[i] = m[p - 1 - i];
            out.dtheta[i] = d[p - 1 - i];
        }
        out
    }
}

/// 1/|b(m)|² for m = 0..k: the inverse squared modulus of the Euler exponential spline
/// denominator Σ_{j=0}^{p−2} M_p(j + 1) exp(2πi m j/K) (Essmann et al., eq. 4.4). For odd p
/// the denominator vanishes at m = K/2; there, as in OpenMM and GROMACS, the value is the
/// mean of its neighbours (that mode carries weight exp(−π²K²/4α²L²), negligible).
pub fn moduli(p: usize, k: usize) -> Vec<f64> {
    let mut m = [0.0; MAX_ORDER];
    spline_values(p, 0.0, &mut m); // m[j] = M_p(j)
    let mut out = vec![0.0; k];
    for (mi, v) in out.iter_mut().enumerate() {
        let (mut re, mut im) = (0.0, 0.0);
        for j in 0..p - 1 {
            let arg = 2.0 * PI * (mi * j % k) as f64 / k as f64;
            let (s, c) = libm::sincos(arg);
            re += m[j + 1] * c;
            im += m[j + 1] * s;
        }
        let d = re * re + im * im;
        *v = if d < 1e-7 { f64::NAN } else { 1.0 / d };
    }
    for i in 0..k {
        if out[i].is_nan() {
            let (a, b) = (out[(i + k - 1) % k], out[(i + 1) % k]);
            out[i] = 0.5 * (a + b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The explicit cubic B-spline M_4 (Essmann et al., eq. 4.1 worked out).
    fn m4(x: f64) -> f64 {
        match x {
            x if (0.0..1.0).contains(&x) => x.powi(3) / 6.0,
            x if (1.0..2.0).contains(&x) => {
                (-3.0 * x.powi(3) + 12.0 * x * x - 12.0 * x + 4.0) / 6.0
            }
            x if (2.0..3.0).contains(&x) => {
                (3.0 * x.powi(3) - 24.0 * x * x + 60.0 * x - 44.0) / 6.0
            }
            x if (3.0..4.0).contains(&x) => (4.0 - x).powi(3) / 6.0,
            _ => 0.0,
        }
    }

    #[test]
    fn cubic_weights_match_the_explicit_spline() {
        for w in [0.0, 0.1, 0.37, 0.5, 0.99] {
            let wt = Weights::new(4, w);
            for i in 0..4 {
                let x = w + (3 - i) as f64;
                // The expanded polynomials above lose a few digits to cancellation
                // (e.g. 2.7e-15 at x = 2.1), the recursion does not.
                assert!((wt.theta[i] - m4(x)).abs() < 1e-14, "w {w} i {i}");
            }
        }
    }

    #[test]
    fn weights_partition_unity_and_derivatives_are_exact() {
        for p in MIN_ORDER..=MAX_ORDER {
            for w in [0.0, 0.23, 0.5, 0.81] {
                let wt = Weights::new(p, w);
                let sum: f64 = wt.theta[..p].iter().sum();
                let dsum: f64 = wt.dtheta[..p].iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-15 && dsum.abs() < 1e-15,
                    "p {p} w {w}"
                );
                // Second-order differences: central inside, one-sided at w = 0.
                let h = 1e-5;
                let at = |x: f64| Weights::new(p, x).theta;
                for i in 0..p {
                    let fd = if w >= h {
                        (at(w + h)[i] - at(w - h)[i]) / (2.0 * h)
                    } else {
                        (-3.0 * at(w)[i] + 4.0 * at(w + h)[i] - at(w + 2.0 * h)[i]) / (2.0 * h)
                    };
                    assert!((fd - wt.dtheta[i]).abs() < 1e-8, "p {p} w {w} i {i}");
                }
            }
        }
    }

    #[test]
    fn moduli_of_the_cubic_spline() {
        // p = 4: denominator 1/6 + (2/3) e^{iθ} + (1/6) e^{2iθ}, |·|² = ((2 + cos θ)/3)².
        let k = 12;
        let b = moduli(4, k);
        for (m, v) in b.iter().enumerate() {
            let c = (2.0 * PI * m as f64 / k as f64).cos();
            let expected = 1.0 / ((2.0 + c) / 3.0).powi(2);
            assert!((v - expected).abs() < 1e-13 * expected);
        }
        // Odd order: finite everywhere, the Nyquist value from its neighbours.
        let b5 = moduli(5, 16);
        assert!(b5.iter().all(|v| v.is_finite() && *v > 0.0));
        assert_eq!(b5[8], 0.5 * (b5[7] + b5[9]));
    }
}
