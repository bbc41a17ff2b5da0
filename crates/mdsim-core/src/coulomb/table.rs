//! A table of the real-space Coulomb term, as LAMMPS' `pair_modify table` does, to replace
//! the erfc and exp of every pair (about 17 of the 25 ns of a pair) by a cubic polynomial.
//!
//! The table is indexed by the bits of s = r² (exponent and the top [`MANTISSA_BITS`] bits of
//! the mantissa, so 2^8 = 256 bins per octave of s, each bin s₀ ≤ s < s₀(1 + 2⁻⁸)): no sqrt,
//! no division, one 64-byte bin per pair. In each bin the energy per unit charge product
//! E(s) and the force factor G(s) = −(dE/dr)/r are cubic polynomials in t = s − s₀ (exact by
//! Sterbenz' lemma) through the exact values at t = 0, h/3, 2h/3, h. Below [`S_MIN`] the exact
//! function is used.
//!
//! Accuracy: after building, the table is compared with the exact term at the midpoints
//! between the nodes of every bin (where cubic interpolation errs most); the largest error of
//! the pair force |ΔG|·r for unit charges is kept in [`Table::max_force_error`] (eV/Å). On
//! the model cell (α = 0.33 Å⁻¹, r_c = 10 Å) it is 9.5e-11 eV/Å (largest at r = 1 Å), against
//! 1.4e-4 eV/Å
//! (= 1e-5·k_e) requested; the test `table_matches_exact_term` checks it against a dense scan.

use super::real_space::RealSpaceCoulomb;

/// Mantissa bits in the bin index (256 bins per octave of r²).
pub const MANTISSA_BITS: u32 = 8;
/// Smallest tabulated r², Å² (r = 1 Å); closer pairs (rare: ions keep ≳ 1.2 Å apart) use
/// the exact term.
pub const S_MIN: f64 = 1.0;

const SHIFT: u32 = 52 - MANTISSA_BITS;

/// One bin: the coefficients of E and G (c₀ + t(c₁ + t(c₂ + t c₃))), in one cache line.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(align(64))]
struct Bin {
    e: [f64; 4],
    g: [f64; 4],
}

/// The tabulated real-space term per unit charge product.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Bin index of S_MIN (bits of s >> SHIFT).
    base: u64,
    bins: Vec<Bin>,
    /// Largest |ΔG|·r found at the check points, eV/Å per e².
    pub max_force_error: f64,
    /// Largest |ΔE| found at the check points, eV per e².
    pub max_energy_error: f64,
}

fn bin_start(index: u64) -> f64 {
    f64::from_bits(index << SHIFT)
}

/// Cubic through (0, y0), (h/3, y1), (2h/3, y2), (h, y3), as coefficients in t.
pub(crate) fn cubic(h: f64, y: [f64; 4]) -> [f64; 4] {
    // Newton divided differences on the equally spaced nodes, then expanded.
    let d = h / 3.0;
    let f01 = (y[1] - y[0]) / d;
    let f12 = (y[2] - y[1]) / d;
    let f23 = (y[3] - y[2]) / d;
    let f012 = (f12 - f01) / (2.0 * d);
    let f123 = (f23 - f12) / (2.0 * d);
    let f0123 = (f123 - f012) / (3.0 * d);
    // p(t) = y0 + f01 t + f012 t(t − d) + f0123 t(t − d)(t − 2d)
    [
        y[0],
        f01 - f012 * d + f0123 * 2.0 * d * d,
        f012 - f0123 * 3.0 * d,
        f0123,
    ]
}

impl Table {
    /// Tabulates `exact` (the analytic term) for S_MIN ≤ r² < `rc2`.
    pub fn new(exact: &RealSpaceCoulomb) -> Self {
        let base = S_MIN.to_bits() >> SHIFT;
        let last = exact.rc2.to_bits() >> SHIFT;
        let eval = |s: f64| exact.pair_exact(1.0, s);
        let bins: Vec<Bin> = (base..=last)
            .map(|i| {
                let (s0, s1) = (bin_start(i), bin_start(i + 1));
                let h = s1 - s0;
                let v: [(f64, f64); 4] = std::array::from_fn(|k| eval(s0 + h * k as f64 / 3.0));
                Bin {
                    e: cubic(h, v.map(|p| p.0)),
                    g: cubic(h, v.map(|p| p.1)),
                }
            })
            .collect();
        let mut table = Self {
            base,
            bins,
            max_force_error: 0.0,
            max_energy_error: 0.0,
        };
        for i in base..=last {
            let (s0, s1) = (bin_start(i), bin_start(i + 1));
            for k in [0.5, 1.5, 2.5] {
                let s = s0 + (s1 - s0) * k / 3.0;
                let (e, g) = eval(s);
                let (et, gt) = table.eval(s);
                table.max_energy_error = table.max_energy_error.max((et - e).abs());
                table.max_force_error = table.max_force_error.max((gt - g).abs() * s.sqrt());
            }
        }
        table
    }

    /// (E, G) per unit charge product at r² = `s` ≥ S_MIN (inside the table).
    #[inline(always)]
    pub fn eval(&self, s: f64) -> (f64, f64) {
        let i = (s.to_bits() >> SHIFT) - self.base;
        let b = &self.bins[i as usize];
        let t = s - bin_start(i + self.base);
        (
            b.e[0] + t * (b.e[1] + t * (b.e[2] + t * b.e[3])),
            b.g[0] + t * (b.g[1] + t * (b.g[2] + t * b.g[3])),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dense scan (10⁶ points, not the check points) against the exact term, for Ewald on
    /// the model cell's parameters and for DSF: the errors stay within 2× the recorded
    /// maxima, which are far below 1e-4 of a 1e-6 request (1.4e-10 eV/Å).
    #[test]
    fn table_matches_exact_term() {
        for term in [
            RealSpaceCoulomb::new(0.333, 10.0),
            RealSpaceCoulomb::new(0.55, 6.0),
            RealSpaceCoulomb::damped_shifted_force(0.2, 12.0),
        ] {
            let table = Table::new(&term);
            let (mut fe, mut ee): (f64, f64) = (0.0, 0.0);
            let n = 1_000_000;
            for k in 0..n {
                let s = S_MIN + (term.rc2 - S_MIN) * (k as f64 + 0.37) / n as f64;
                let (e, g) = term.pair_exact(1.0, s);
                let (et, gt) = table.eval(s);
                ee = ee.max((et - e).abs());
                fe = fe.max((gt - g).abs() * s.sqrt());
            }
            println!(
                "{} bins ({} kB): max force error {fe:.2e} eV/Å (recorded {:.2e}), energy {ee:.2e} eV \
                 (recorded {:.2e})",
                table.bins.len(),
                table.bins.len() * 64 / 1024,
                table.max_force_error,
                table.max_energy_error
            );
            assert!(fe <= 2.0 * table.max_force_error && fe < 1.4e-10);
            assert!(ee <= 2.0 * table.max_energy_error && ee < 1e-10);
            // Used for 1e-6 and above, not for 1e-12.
            assert!(term.clone().tabulated(1e-6).table().is_some());
            assert!(term.clone().tabulated(1e-12).table().is_none());
        }
    }
}
