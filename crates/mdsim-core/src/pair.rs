//! Short-range pair potentials: per species pair, a sum of terms with one cutoff and an
//! optional energy shift.

use std::f64::consts::PI;

/// One analytic term of a pair potential.
#[derive(Clone, Debug, PartialEq)]
pub enum PairTerm {
    /// U = 4ε[(σ/r)¹² − (σ/r)⁶]; ε in eV, σ in Å.
    LennardJones { epsilon: f64, sigma: f64 },
}

/// The interaction of one species pair.
#[derive(Clone, Debug, PartialEq)]
pub struct PairSpec {
    pub terms: Vec<PairTerm>,
    /// Interaction range, Å.
    pub cutoff: f64,
    /// Subtract U(cutoff) so the energy is continuous at the cutoff.
    pub shift: bool,
}

/// Pair interactions for every species pair (symmetric; `None` = no short-range term).
#[derive(Clone, Debug, PartialEq)]
pub struct PairPotential {
    n_species: usize,
    specs: Vec<Option<PairSpec>>,
}

/// Homogeneous long-range corrections for truncated (unshifted) potentials, assuming
/// g(r) = 1 beyond the cutoff. Reported, never added to the dynamics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TailCorrection {
    /// eV for the whole system.
    pub energy: f64,
    /// eV/Å³.
    pub pressure: f64,
}

impl PairPotential {
    pub fn new(n_species: usize) -> Self {
        Self {
            n_species,
            specs: vec![None; n_species * n_species],
        }
    }

    pub fn n_species(&self) -> usize {
        self.n_species
    }

    /// Sets the interaction of species `a` and `b` (both orders).
    pub fn set(&mut self, a: usize, b: usize, spec: PairSpec) {
        self.specs[a * self.n_species + b] = Some(spec.clone());
        self.specs[b * self.n_species + a] = Some(spec);
    }

    pub fn get(&self, a: usize, b: usize) -> Option<&PairSpec> {
        self.specs[a * self.n_species + b].as_ref()
    }

    /// The longest cutoff of all pairs (0 if there are none).
    pub fn max_cutoff(&self) -> f64 {
        self.specs
            .iter()
            .flatten()
            .map(|s| s.cutoff)
            .fold(0.0, f64::max)
    }

    /// Tail corrections for the unshifted pairs, for `counts[a]` atoms of species a in
    /// `volume` Å³: E = (2π/V) Σ_ab N_a N_b ∫_rc^∞ r² u dr, P = −(2π/3V²) Σ_ab N_a N_b ∫ r³ u' dr.
    pub fn tail_correction(&self, counts: &[usize], volume: f64) -> TailCorrection {
        let mut energy = 0.0;
        let mut pressure = 0.0;
        for a in 0..self.n_species {
            for b in 0..self.n_species {
                let Some(spec) = self.get(a, b) else { continue };
                if spec.shift {
                    continue;
                }
                let nn = counts[a] as f64 * counts[b] as f64;
                for term in &spec.terms {
                    let (e_int, w_int) = term.tail_integrals(spec.cutoff);
                    energy += 2.0 * PI / volume * nn * e_int;
                    pressure -= 2.0 * PI / (3.0 * volume * volume) * nn * w_int;
                }
            }
        }
        TailCorrection { energy, pressure }
    }
}

impl PairTerm {
    /// Energy and dU/dr at distance r.
    pub fn energy_derivative(&self, r: f64) -> (f64, f64) {
        match *self {
            PairTerm::LennardJones { epsilon, sigma } => {
                let s6 = (sigma / r).powi(6);
                let u = 4.0 * epsilon * (s6 * s6 - s6);
                let du = 4.0 * epsilon * (-12.0 * s6 * s6 + 6.0 * s6) / r;
                (u, du)
            }
        }
    }

    /// (∫_rc^∞ r² u dr, ∫_rc^∞ r³ u' dr).
    fn tail_integrals(&self, rc: f64) -> (f64, f64) {
        match *self {
            PairTerm::LennardJones { epsilon, sigma } => {
                let s3 = (sigma / rc).powi(3);
                let s9 = s3 * s3 * s3;
                let e = 4.0 * epsilon * sigma.powi(3) * (s9 / 9.0 - s3 / 3.0);
                let w = 4.0 * epsilon * sigma.powi(3) * (-4.0 / 3.0 * s9 + 2.0 * s3);
                (e, w)
            }
        }
    }
}

/// A pair kernel evaluates energy and F/r for a squared distance; the force loop is generic
/// over it so each potential family gets a specialised, inlined inner loop.
pub trait PairKernel: Sync {
    /// Energy (eV) and −(dU/dr)/r (eV/Å²) for pair-type index `tij` at squared distance `r2`;
    /// (0, 0) beyond the cutoff.
    fn eval(&self, tij: usize, r2: f64) -> (f64, f64);
    /// −(dU/dr)/r only (for steps that need no energy); 0 beyond the cutoff.
    fn force(&self, tij: usize, r2: f64) -> f64;
    fn n_species(&self) -> usize;
}

#[derive(Clone, Copy, Debug, Default)]
struct LjCoefficients {
    c12: f64,
    c6: f64,
    /// 12·c12 and 6·c6, for the force.
    f12: f64,
    f6: f64,
    rc2: f64,
    e_shift: f64,
}

/// Lennard-Jones tables, one entry per ordered species pair.
#[derive(Clone, Debug)]
pub struct LjKernel {
    n: usize,
    table: Vec<LjCoefficients>,
}

impl LjKernel {
    /// The kernel for a potential whose terms are all Lennard-Jones; `None` otherwise.
    pub fn from_potential(p: &PairPotential) -> Option<Self> {
        let n = p.n_species();
        let mut table = vec![LjCoefficients::default(); n * n];
        for a in 0..n {
            for b in 0..n {
                let Some(spec) = p.get(a, b) else { continue };
                let mut c = LjCoefficients {
                    rc2: spec.cutoff * spec.cutoff,
                    ..Default::default()
                };
                for term in &spec.terms {
                    let PairTerm::LennardJones { epsilon, sigma } = *term;
                    c.c12 += 4.0 * epsilon * sigma.powi(12);
                    c.c6 += 4.0 * epsilon * sigma.powi(6);
                }
                c.f12 = 12.0 * c.c12;
                c.f6 = 6.0 * c.c6;
                c.f12 = 12.0 * c.c12;
                c.f6 = 6.0 * c.c6;
                if spec.shift {
                    let inv6 = 1.0 / (c.rc2 * c.rc2 * c.rc2);
                    c.e_shift = inv6 * (c.c12 * inv6 - c.c6);
                }
                table[a * n + b] = c;
            }
        }
        Some(Self { n, table })
    }
}

impl PairKernel for LjKernel {
    #[inline(always)]
    fn eval(&self, tij: usize, r2: f64) -> (f64, f64) {
        let c = &self.table[tij];
        if r2 >= c.rc2 {
            return (0.0, 0.0);
        }
        let inv2 = 1.0 / r2;
        let inv6 = inv2 * inv2 * inv2;
        let energy = inv6 * (c.c12 * inv6 - c.c6) - c.e_shift;
        let f_over_r = inv6 * (c.f12 * inv6 - c.f6) * inv2;
        (energy, f_over_r)
    }

    #[inline(always)]
    fn force(&self, tij: usize, r2: f64) -> f64 {
        let c = &self.table[tij];
        let inv2 = 1.0 / r2;
        let inv6 = inv2 * inv2 * inv2;
        let f_over_r = inv6 * (c.f12 * inv6 - c.f6) * inv2;
        // Select instead of branch: a third of the listed pairs lie beyond the cutoff, at
        // random, which a branch predictor cannot learn.
        if r2 < c.rc2 {
            f_over_r
        } else {
            0.0
        }
    }

    fn n_species(&self) -> usize {
        self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argon(shift: bool) -> PairPotential {
        let mut p = PairPotential::new(1);
        p.set(
            0,
            0,
            PairSpec {
                terms: vec![PairTerm::LennardJones {
                    epsilon: 0.0103408,
                    sigma: 3.4,
                }],
                cutoff: 2.25 * 3.4,
                shift,
            },
        );
        p
    }

    #[test]
    fn kernel_matches_analytic_term() {
        let k = LjKernel::from_potential(&argon(false)).unwrap();
        for r in [3.0, 3.4, 3.8165, 5.0, 7.6] {
            let (e, f) = k.eval(0, r * r);
            let (u, du) = argon(false).get(0, 0).unwrap().terms[0].energy_derivative(r);
            assert!((e - u).abs() <= 1e-14 * u.abs().max(1e-3));
            // Absolute scale ε/σ² covers the zero of the force near 2^(1/6)σ.
            assert!((f + du / r).abs() <= 1e-13 * ((du / r).abs() + 0.0103408 / 3.4f64.powi(2)));
        }
        assert_eq!(k.eval(0, 7.65 * 7.65), (0.0, 0.0));
        let ks = LjKernel::from_potential(&argon(true)).unwrap();
        let rc = 7.65 - 1e-9;
        assert!(ks.eval(0, rc * rc).0.abs() < 1e-12);
    }

    /// The general integral form agrees with the closed-form single-species LJ expressions
    /// (Frenkel & Smit, eqs. 3.2.5–3.2.6) in reduced units at ρ* = 0.8, r_c = 2.5σ.
    #[test]
    fn tail_correction_reduced_units() {
        let mut p = PairPotential::new(1);
        p.set(
            0,
            0,
            PairSpec {
                terms: vec![PairTerm::LennardJones {
                    epsilon: 1.0,
                    sigma: 1.0,
                }],
                cutoff: 2.5,
                shift: false,
            },
        );
        let n = 1000;
        let volume = n as f64 / 0.8;
        let t = p.tail_correction(&[n], volume);
        let rc3 = 2.5f64.powi(-3);
        let u_ref = 8.0 / 3.0 * PI * 0.8 * (rc3 * rc3 * rc3 / 3.0 - rc3);
        let p_ref = 16.0 / 3.0 * PI * 0.64 * (2.0 / 3.0 * rc3 * rc3 * rc3 - rc3);
        assert!((t.energy / n as f64 - u_ref).abs() < 1e-12);
        assert!((t.pressure - p_ref).abs() < 1e-12);
    }
}
