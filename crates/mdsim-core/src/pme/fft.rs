//! The three-dimensional real FFT of the PME mesh, built from one-dimensional complex FFTs of
//! `rustfft`.
//!
//! Layouts (K = mesh, Kh = K₂/2 + 1, the non-negative frequencies of the last axis):
//! - real mesh `[k₀][k₁][k₂]` (k₂ fastest);
//! - plane spectrum `[k₀][m₂][k₁]` after the transforms along k₂ and k₁;
//! - full spectrum `[k₁][m₂][m₀]` (m₀ fastest) after the transform along k₀.
//!
//! The real transform along k₂ packs two real rows a, b into one complex row z = a + ib:
//! A(m) = (Z(m) + Z*(−m))/2, B(m) = (Z(m) − Z*(−m))/2i, and back z = IFFT(A + iB) with A, B
//! extended by Hermitian symmetry. Transforms are unnormalised (forward e^{−2πi}, inverse
//! e^{+2πi}), so inverse ∘ forward = K₀K₁K₂.
//!
//! Determinism: the plans come from rustfft's scalar planner (no run-time choice of SIMD code,
//! so the bits do not depend on the CPU); every line is transformed by one task with the same
//! plan, in any order, so the bits do not depend on the thread count either.

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlannerScalar};
use std::sync::Arc;

pub type C64 = Complex<f64>;

/// Plans and sizes of one mesh.
#[derive(Clone)]
pub struct Fft3 {
    k: [usize; 3],
    kh: usize,
    forward: [Arc<dyn Fft<f64>>; 3],
    inverse: [Arc<dyn Fft<f64>>; 3],
    scratch_len: usize,
}

impl std::fmt::Debug for Fft3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fft3 {:?}", self.k)
    }
}

impl Fft3 {
    pub fn new(k: [usize; 3]) -> Self {
        let mut planner = FftPlannerScalar::new();
        let forward = k.map(|n| planner.plan_fft_forward(n));
        let inverse = k.map(|n| planner.plan_fft_inverse(n));
        let scratch_len = forward
            .iter()
            .chain(&inverse)
            .map(|f| f.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        Self {
            k,
            kh: k[2] / 2 + 1,
            forward,
            inverse,
            scratch_len,
        }
    }

    /// Number of stored frequencies along the last axis (K₂/2 + 1).
    pub fn kh(&self) -> usize {
        self.kh
    }

    /// Length of the complex buffers (`plane` and `spectrum`).
    pub fn complex_len(&self) -> usize {
        self.k[0] * self.k[1] * self.kh
    }

    fn scratch(&self) -> Vec<C64> {
        vec![C64::default(); self.scratch_len.max(2 * self.k.iter().max().unwrap_or(&1))]
    }

    /// Real mesh → full spectrum `[k₁][m₂][m₀]`, using `plane` as work space.
    pub fn forward(&self, real: &[f64], plane: &mut [C64], spectrum: &mut [C64]) {
        let [k0, k1, k2] = self.k;
        let kh = self.kh;
        plane
            .par_chunks_mut(kh * k1)
            .zip(real.par_chunks(k1 * k2))
            .for_each_init(
                || {
                    (
                        self.scratch(),
                        vec![C64::default(); k2],
                        vec![C64::default(); k1 * kh],
                    )
                },
                |(scratch, row, tmp), (out, rows)| {
                    // Along k₂, two real rows at a time, into tmp[k₁][m₂].
                    let mut r = 0;
                    while r < k1 {
                        let a = &rows[r * k2..(r + 1) * k2];
                        let pair = r + 1 < k1;
                        for n in 0..k2 {
                            let b = if pair { rows[(r + 1) * k2 + n] } else { 0.0 };
                            row[n] = C64::new(a[n], b);
                        }
                        self.forward[2].process_with_scratch(row, scratch);
                        for m in 0..kh {
                            let z = row[m];
                            let zc = row[(k2 - m) % k2].conj();
                            tmp[r * kh + m] = (z + zc) * 0.5;
                            if pair {
                                let d = z - zc;
                                tmp[(r + 1) * kh + m] = C64::new(0.5 * d.im, -0.5 * d.re);
                            }
                        }
                        r += 2;
                    }
                    // Transpose to [m₂][k₁] and transform along k₁.
                    for n1 in 0..k1 {
                        for m in 0..kh {
                            out[m * k1 + n1] = tmp[n1 * kh + m];
                        }
                    }
                    self.forward[1].process_with_scratch(out, scratch);
                },
            );
        // Transpose to [k₁][m₂][k₀] and transform along k₀.
        let plane = &*plane;
        spectrum.par_chunks_mut(kh * k0).enumerate().for_each_init(
            || self.scratch(),
            |scratch, (n1, out)| {
                for m in 0..kh {
                    for n0 in 0..k0 {
                        out[m * k0 + n0] = plane[(n0 * kh + m) * k1 + n1];
                    }
                }
                self.forward[0].process_with_scratch(out, scratch);
            },
        );
    }

    /// Full spectrum `[k₁][m₂][m₀]` → real mesh; the spectrum is overwritten. The input is
    /// taken as the half spectrum of a real mesh: the imaginary parts that Hermitian symmetry
    /// makes zero (m₂ = 0 and, for even K₂, m₂ = K₂/2, after the inverse along k₀ and k₁) are
    /// dropped.
    pub fn inverse(&self, spectrum: &mut [C64], plane: &mut [C64], real: &mut [f64]) {
        let [k0, k1, k2] = self.k;
        let kh = self.kh;
        spectrum.par_chunks_mut(kh * k0).for_each_init(
            || self.scratch(),
            |scratch, lines| self.inverse[0].process_with_scratch(lines, scratch),
        );
        let spectrum = &*spectrum;
        plane
            .par_chunks_mut(kh * k1)
            .zip(real.par_chunks_mut(k1 * k2))
            .enumerate()
            .for_each_init(
                || {
                    (
                        self.scratch(),
                        vec![C64::default(); k2],
                        vec![C64::default(); k1 * kh],
                    )
                },
                |(scratch, row, tmp), (n0, (pl, rows))| {
                    for n1 in 0..k1 {
                        for m in 0..kh {
                            pl[m * k1 + n1] = spectrum[(n1 * kh + m) * k0 + n0];
                        }
                    }
                    self.inverse[1].process_with_scratch(pl, scratch);
                    for m in 0..kh {
                        for n1 in 0..k1 {
                            tmp[n1 * kh + m] = pl[m * k1 + n1];
                        }
                    }
                    let nyquist = (k2 % 2 == 0).then_some(k2 / 2);
                    let mut r = 0;
                    while r < k1 {
                        let pair = r + 1 < k1;
                        let hermitian = |x: &[C64], m: usize| -> C64 {
                            if m == 0 || Some(m) == nyquist {
                                C64::new(x[m].re, 0.0)
                            } else if m < kh {
                                x[m]
                            } else {
                                x[k2 - m].conj()
                            }
                        };
                        let a = &tmp[r * kh..(r + 1) * kh];
                        for (m, z) in row.iter_mut().enumerate() {
                            let av = hermitian(a, m);
                            *z = if pair {
                                let bv = hermitian(&tmp[(r + 1) * kh..(r + 2) * kh], m);
                                C64::new(av.re - bv.im, av.im + bv.re)
                            } else {
                                av
                            };
                        }
                        self.inverse[2].process_with_scratch(row, scratch);
                        for n in 0..k2 {
                            rows[r * k2 + n] = row[n].re;
                            if pair {
                                rows[(r + 1) * k2 + n] = row[n].im;
                            }
                        }
                        r += 2;
                    }
                },
            );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forward against a direct 3-D DFT, and inverse ∘ forward = K₀K₁K₂, for odd and even
    /// sizes.
    #[test]
    fn matches_direct_dft_and_inverts() {
        for k in [[4usize, 5, 6], [3, 4, 7], [5, 3, 2]] {
            let n: usize = k.iter().product();
            let real: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0)
                .collect();
            let fft = Fft3::new(k);
            let mut plane = vec![C64::default(); fft.complex_len()];
            let mut spec = vec![C64::default(); fft.complex_len()];
            fft.forward(&real, &mut plane, &mut spec);
            let kh = fft.kh();
            for m1 in 0..k[1] {
                for m2 in 0..kh {
                    for m0 in 0..k[0] {
                        let mut s = C64::default();
                        for a in 0..k[0] {
                            for b in 0..k[1] {
                                for c in 0..k[2] {
                                    let ph = -2.0
                                        * std::f64::consts::PI
                                        * ((m0 * a) as f64 / k[0] as f64
                                            + (m1 * b) as f64 / k[1] as f64
                                            + (m2 * c) as f64 / k[2] as f64);
                                    s += C64::new(ph.cos(), ph.sin())
                                        * real[(a * k[1] + b) * k[2] + c];
                                }
                            }
                        }
                        let got = spec[(m1 * kh + m2) * k[0] + m0];
                        assert!((got - s).norm() < 1e-12, "{k:?} {m0} {m1} {m2}");
                    }
                }
            }
            let mut back = vec![0.0; n];
            fft.inverse(&mut spec, &mut plane, &mut back);
            for (x, y) in back.iter().zip(&real) {
                assert!((x / n as f64 - y).abs() < 1e-13);
            }
        }
    }
}
