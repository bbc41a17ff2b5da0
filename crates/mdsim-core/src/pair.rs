//! Short-range pair potentials: per species pair, a sum of terms with one cutoff and an
//! optional energy shift.

use crate::coulomb::RealSpaceCoulomb;
use std::f64::consts::PI;

/// One analytic term of a pair potential (energies eV, lengths Å).
#[derive(Clone, Debug, PartialEq)]
pub enum PairTerm {
    /// U = 4ε[(σ/r)¹² − (σ/r)⁶].
    LennardJones { epsilon: f64, sigma: f64 },
    /// U = A·exp(−r/ρ) − C/r⁶ for r > r₀; with `repair`, U = B/rⁿ + D·r² for r ≤ r₀
    /// (removes the "Buckingham catastrophe" of C > 0 at short range).
    Buckingham {
        a: f64,
        rho: f64,
        c: f64,
        repair: Option<BuckinghamRepair>,
    },
    /// U = D[(1 − e^{−a(r−r₀)})² − 1].
    Morse { d: f64, a: f64, r0: f64 },
    /// U = C/rⁿ.
    Power { c: f64, n: f64 },
}

/// Short-range replacement B/rⁿ + D·r² of a Buckingham term for r ≤ r₀.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BuckinghamRepair {
    pub r0: f64,
    pub b: f64,
    pub n: f64,
    pub d: f64,
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
    /// `None` when a tail integral diverges.
    pub fn tail_correction(&self, counts: &[usize], volume: f64) -> Option<TailCorrection> {
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
                    let (e_int, w_int) = term.tail_integrals(spec.cutoff)?;
                    energy += 2.0 * PI / volume * nn * e_int;
                    pressure -= 2.0 * PI / (3.0 * volume * volume) * nn * w_int;
                }
            }
        }
        Some(TailCorrection { energy, pressure })
    }
}

impl PairTerm {
    /// Energy and dU/dr at distance r. (The exponentials are `crate::exp::exp`, the same bits
    /// as `libm::exp` but inlined.)
    #[inline(always)]
    pub fn energy_derivative(&self, r: f64) -> (f64, f64) {
        match *self {
            PairTerm::LennardJones { epsilon, sigma } => {
                let s6 = (sigma / r).powi(6);
                let u = 4.0 * epsilon * (s6 * s6 - s6);
                let du = 4.0 * epsilon * (-12.0 * s6 * s6 + 6.0 * s6) / r;
                (u, du)
            }
            PairTerm::Buckingham { a, rho, c, repair } => match repair {
                Some(rep) if r <= rep.r0 => {
                    let br = rep.b * libm::pow(r, -rep.n);
                    (br + rep.d * r * r, -rep.n * br / r + 2.0 * rep.d * r)
                }
                _ => buckingham(a, rho, c, r),
            },
            PairTerm::Morse { d, a, r0 } => {
                let e = crate::exp::exp(-a * (r - r0));
                (
                    d * ((1.0 - e) * (1.0 - e) - 1.0),
                    2.0 * d * a * e * (1.0 - e),
                )
            }
            PairTerm::Power { c, n } => {
                let u = c * libm::pow(r, -n);
                (u, -n * u / r)
            }
        }
    }

    /// (∫_rc^∞ r² u dr, ∫_rc^∞ r³ u' dr); the second by parts: −rc³ u(rc) − 3 ∫ r² u dr.
    /// `None` where the integral diverges (a power with n ≤ 3).
    fn tail_integrals(&self, rc: f64) -> Option<(f64, f64)> {
        // ∫_rc^∞ r² e^{−br} dr
        let exp_moment =
            |b: f64| libm::exp(-b * rc) * (rc * rc / b + 2.0 * rc / (b * b) + 2.0 / (b * b * b));
        let e = match *self {
            PairTerm::LennardJones { epsilon, sigma } => {
                let s3 = (sigma / rc).powi(3);
                4.0 * epsilon * sigma.powi(3) * (s3 * s3 * s3 / 9.0 - s3 / 3.0)
            }
            // A repaired Buckingham is the plain one beyond r₀ < rc.
            PairTerm::Buckingham { a, rho, c, .. } => {
                a * exp_moment(1.0 / rho) - c / (3.0 * rc.powi(3))
            }
            PairTerm::Morse { d, a, r0 } => {
                d * (libm::exp(2.0 * a * r0) * exp_moment(2.0 * a)
                    - 2.0 * libm::exp(a * r0) * exp_moment(a))
            }
            PairTerm::Power { c, n } if n > 3.0 => c * libm::pow(rc, 3.0 - n) / (n - 3.0),
            PairTerm::Power { .. } => return None,
        };
        let u_rc = self.energy_derivative(rc).0;
        Some((e, -rc.powi(3) * u_rc - 3.0 * e))
    }
}

/// U = A·e^(−r/ρ) − C/r⁶ and dU/dr, the plain Buckingham form (branch-free, so it also
/// runs on several pairs in one SIMD register).
#[inline(always)]
fn buckingham(a: f64, rho: f64, c: f64, r: f64) -> (f64, f64) {
    let ex = a * crate::exp::exp(-r / rho);
    let r6 = c / r.powi(6);
    (ex - r6, -ex / rho + 6.0 * r6 / r)
}

/// One pair's energy, split by origin, and −(dU/dr)/r (eV/Å²).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairEval {
    /// Short-range terms, eV.
    pub short_range: f64,
    /// Real-space Ewald Coulomb, eV.
    pub coulomb: f64,
    pub f_over_r: f64,
}

/// Pairs the force loop hands to a kernel at once. Kernels written as loops over arrays of
/// this length become SIMD code; the width is fixed (not the machine's), so every
/// floating-point operation and its order are the same on every machine.
pub const LANES: usize = 4;

/// [`PairEval`] of [`LANES`] pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairEvalLanes {
    pub short_range: [f64; LANES],
    pub coulomb: [f64; LANES],
    pub f_over_r: [f64; LANES],
}

/// A pair kernel evaluates energy and F/r for a squared distance; the force loop is generic
/// over it so each potential family gets a specialised, inlined inner loop.
pub trait PairKernel: Sync {
    /// Energies and −(dU/dr)/r for pair-type index `tij` (= type_i × n_species + type_j) at
    /// squared distance `r2`; zero beyond the cutoff.
    fn eval(&self, tij: usize, r2: f64) -> PairEval;
    /// −(dU/dr)/r only (for steps that need no energy); 0 beyond the cutoff.
    fn force(&self, tij: usize, r2: f64) -> f64;
    fn n_species(&self) -> usize;

    /// The Lennard-Jones kernel, which the force loop has a hand-vectorised version of.
    #[inline(always)]
    fn as_lennard_jones(&self) -> Option<&LjKernel> {
        None
    }

    /// The tabulated ionic kernel, which the force loop has a hand-vectorised version of.
    #[inline(always)]
    fn as_tabulated(&self) -> Option<&crate::tabulated::TabulatedKernel> {
        None
    }

    /// [`Self::eval`] of [`LANES`] pairs; a lane with `r2 = +∞` is unused and gives zeros.
    /// Must give the same bits as `eval` lane by lane.
    #[inline(always)]
    fn eval_lanes(&self, tij: &[usize; LANES], r2: &[f64; LANES]) -> PairEvalLanes {
        let mut out = PairEvalLanes::default();
        for l in 0..LANES {
            let p = self.eval(tij[l], r2[l]);
            out.short_range[l] = p.short_range;
            out.coulomb[l] = p.coulomb;
            out.f_over_r[l] = p.f_over_r;
        }
        out
    }

    /// [`Self::force`] of [`LANES`] pairs; a lane with `r2 = +∞` is unused and gives 0.
    /// Must give the same bits as `force` lane by lane.
    #[inline(always)]
    fn force_lanes(&self, tij: &[usize; LANES], r2: &[f64; LANES]) -> [f64; LANES] {
        std::array::from_fn(|l| self.force(tij[l], r2[l]))
    }
}

/// U = c12/r¹² − c6/r⁶ − e_shift for r² < rc2 (one species pair).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LjCoefficients {
    pub(crate) c12: f64,
    pub(crate) c6: f64,
    /// 12·c12 and 6·c6, for the force.
    pub(crate) f12: f64,
    pub(crate) f6: f64,
    pub(crate) rc2: f64,
    pub(crate) e_shift: f64,
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
                    let PairTerm::LennardJones { epsilon, sigma } = *term else {
                        return None;
                    };
                    c.c12 += 4.0 * epsilon * sigma.powi(12);
                    c.c6 += 4.0 * epsilon * sigma.powi(6);
                }
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

    /// Coefficients per ordered species pair (index type_i × n_species + type_j).
    pub(crate) fn coefficients(&self) -> &[LjCoefficients] {
        &self.table
    }
}

impl PairKernel for LjKernel {
    #[inline(always)]
    fn eval(&self, tij: usize, r2: f64) -> PairEval {
        let c = &self.table[tij];
        if r2 >= c.rc2 {
            return PairEval::default();
        }
        let inv2 = 1.0 / r2;
        let inv6 = inv2 * inv2 * inv2;
        PairEval {
            short_range: inv6 * (c.c12 * inv6 - c.c6) - c.e_shift,
            coulomb: 0.0,
            f_over_r: inv6 * (c.f12 * inv6 - c.f6) * inv2,
        }
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

    #[inline(always)]
    fn as_lennard_jones(&self) -> Option<&LjKernel> {
        Some(self)
    }
}

/// Any sum of terms per species pair, plus real-space Ewald Coulomb: the kernel for ionic
/// force fields. One pass over each pair computes both.
#[derive(Clone, Debug)]
pub struct GeneralKernel {
    n: usize,
    table: Vec<GeneralPair>,
    coulomb: Option<RealSpaceCoulomb>,
    /// When every pair has no term or one Buckingham term (the usual ionic force fields):
    /// the same pairs as flat coefficients, for a branch-free evaluation of [`LANES`] pairs.
    buckingham: Option<Vec<BuckinghamPair>>,
}

/// A Buckingham pair as plain numbers: the short-range part is zero for r² ≥ rc2 (rc2 = 0
/// for pairs without a term), and `repair_r0` is −∞ without a repair.
#[derive(Clone, Copy, Debug, Default)]
struct BuckinghamPair {
    a: f64,
    rho: f64,
    c: f64,
    rc2: f64,
    e_shift: f64,
    repair_r0: f64,
}

#[derive(Clone, Debug, Default)]
struct GeneralPair {
    terms: Vec<PairTerm>,
    /// Short-range cutoff².
    rc2: f64,
    e_shift: f64,
    /// Charge product q_i q_j, e².
    qq: f64,
}

impl GeneralKernel {
    /// `coulomb`: the real-space Ewald term and the charge of each species.
    pub fn new(p: &PairPotential, coulomb: Option<(RealSpaceCoulomb, &[f64])>) -> Self {
        let n = p.n_species();
        let mut table = vec![GeneralPair::default(); n * n];
        for a in 0..n {
            for b in 0..n {
                let entry = &mut table[a * n + b];
                if let Some((_, q)) = coulomb {
                    entry.qq = q[a] * q[b];
                }
                let Some(spec) = p.get(a, b) else { continue };
                entry.e_shift = match spec.shift {
                    true => spec
                        .terms
                        .iter()
                        .map(|t| t.energy_derivative(spec.cutoff).0)
                        .sum(),
                    false => 0.0,
                };
                entry.terms = spec.terms.clone();
                entry.rc2 = spec.cutoff * spec.cutoff;
            }
        }
        let buckingham = table
            .iter()
            .map(|p| match p.terms.as_slice() {
                [] => Some(BuckinghamPair {
                    rho: 1.0,
                    ..Default::default()
                }),
                [PairTerm::Buckingham { a, rho, c, repair }] => Some(BuckinghamPair {
                    a: *a,
                    rho: *rho,
                    c: *c,
                    rc2: p.rc2,
                    e_shift: p.e_shift,
                    repair_r0: repair.map_or(f64::NEG_INFINITY, |rep| rep.r0),
                }),
                _ => None,
            })
            .collect();
        Self {
            n,
            table,
            coulomb: coulomb.map(|c| c.0),
            buckingham,
        }
    }

    /// The real-space Coulomb part of a pair, added to `out`.
    #[inline(always)]
    fn add_coulomb(&self, tij: usize, r2: f64, out: &mut PairEval) {
        if let Some(c) = &self.coulomb {
            let qq = self.table[tij].qq;
            if r2 < c.rc2 && qq != 0.0 {
                let (e, f) = c.pair(qq, r2);
                out.coulomb = e;
                out.f_over_r += f;
            }
        }
    }

    /// [`PairKernel::eval_lanes`] for Buckingham pairs: the short-range part of all lanes in
    /// one branch-free pass (SIMD), the rare pairs inside a repair radius and the Coulomb part
    /// lane by lane. The same operations as `eval`, so the same bits.
    #[inline(always)]
    fn buckingham_lanes(
        &self,
        table: &[BuckinghamPair],
        tij: &[usize; LANES],
        r2: &[f64; LANES],
    ) -> PairEvalLanes {
        let p: [BuckinghamPair; LANES] = std::array::from_fn(|l| table[tij[l]]);
        let r: [f64; LANES] = std::array::from_fn(|l| r2[l].sqrt());
        let mut out = PairEvalLanes::default();
        for l in 0..LANES {
            let (u, du) = buckingham(p[l].a, p[l].rho, p[l].c, r[l]);
            let inside = r2[l] < p[l].rc2;
            out.short_range[l] = if inside { -p[l].e_shift + u } else { 0.0 };
            out.f_over_r[l] = if inside { -(0.0 + du) / r[l] } else { 0.0 };
        }
        for l in 0..LANES {
            let mut e = PairEval {
                short_range: out.short_range[l],
                coulomb: 0.0,
                f_over_r: out.f_over_r[l],
            };
            if r2[l] < p[l].rc2 && r[l] <= p[l].repair_r0 {
                e = self.eval(tij[l], r2[l]);
            } else {
                self.add_coulomb(tij[l], r2[l], &mut e);
            }
            out.short_range[l] = e.short_range;
            out.coulomb[l] = e.coulomb;
            out.f_over_r[l] = e.f_over_r;
        }
        out
    }
}

impl GeneralKernel {
    /// The short-range terms of a pair at squared distance `r2`, ignoring the cutoff.
    #[inline(always)]
    fn short_range_part(p: &GeneralPair, r2: f64) -> PairEval {
        let r = r2.sqrt();
        let mut du = 0.0;
        let mut out = PairEval {
            short_range: -p.e_shift,
            ..Default::default()
        };
        for t in &p.terms {
            let (u, d) = t.energy_derivative(r);
            out.short_range += u;
            du += d;
        }
        out.f_over_r = -du / r;
        out
    }

    /// [`PairKernel::eval`] as if there were no cutoffs (the terms continued past them), to
    /// fit tables up to the end of the bin that holds a cutoff; the short-range terms only
    /// with `short_range`, the Coulomb term only with `coulomb`.
    pub(crate) fn eval_uncut(
        &self,
        tij: usize,
        r2: f64,
        short_range: bool,
        coulomb: bool,
    ) -> PairEval {
        let p = &self.table[tij];
        let mut out = PairEval::default();
        if short_range && !p.terms.is_empty() {
            out = Self::short_range_part(p, r2);
        }
        if let (Some(c), true) = (&self.coulomb, coulomb && p.qq != 0.0) {
            let (e, f) = c.pair(p.qq, r2);
            out.coulomb = e;
            out.f_over_r += f;
        }
        out
    }

    /// Of pair type `tij`: the short-range cutoff² (`None` without terms), the charge product
    /// q_i q_j (e²), and the largest repair radius of its Buckingham terms (Å, 0 if none).
    pub(crate) fn pair_info(&self, tij: usize) -> (Option<f64>, f64, f64) {
        let p = &self.table[tij];
        let r0 = p
            .terms
            .iter()
            .filter_map(|t| match t {
                PairTerm::Buckingham {
                    repair: Some(rep), ..
                } => Some(rep.r0),
                _ => None,
            })
            .fold(0.0, f64::max);
        ((!p.terms.is_empty()).then_some(p.rc2), p.qq, r0)
    }
}

impl PairKernel for GeneralKernel {
    #[inline]
    fn eval(&self, tij: usize, r2: f64) -> PairEval {
        let p = &self.table[tij];
        let mut out = PairEval::default();
        if r2 < p.rc2 && !p.terms.is_empty() {
            out = Self::short_range_part(p, r2);
        }
        self.add_coulomb(tij, r2, &mut out);
        out
    }

    #[inline]
    fn force(&self, tij: usize, r2: f64) -> f64 {
        self.eval(tij, r2).f_over_r
    }

    #[inline(always)]
    fn eval_lanes(&self, tij: &[usize; LANES], r2: &[f64; LANES]) -> PairEvalLanes {
        match &self.buckingham {
            Some(table) => self.buckingham_lanes(table, tij, r2),
            None => {
                let mut out = PairEvalLanes::default();
                for l in 0..LANES {
                    let p = self.eval(tij[l], r2[l]);
                    out.short_range[l] = p.short_range;
                    out.coulomb[l] = p.coulomb;
                    out.f_over_r[l] = p.f_over_r;
                }
                out
            }
        }
    }

    #[inline(always)]
    fn force_lanes(&self, tij: &[usize; LANES], r2: &[f64; LANES]) -> [f64; LANES] {
        self.eval_lanes(tij, r2).f_over_r
    }

    fn n_species(&self) -> usize {
        self.n
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
            let PairEval {
                short_range: e,
                f_over_r: f,
                ..
            } = k.eval(0, r * r);
            let (u, du) = argon(false).get(0, 0).unwrap().terms[0].energy_derivative(r);
            assert!((e - u).abs() <= 1e-14 * u.abs().max(1e-3));
            // Absolute scale ε/σ² covers the zero of the force near 2^(1/6)σ.
            assert!((f + du / r).abs() <= 1e-13 * ((du / r).abs() + 0.0103408 / 3.4f64.powi(2)));
        }
        assert_eq!(k.eval(0, 7.65 * 7.65), PairEval::default());
        let ks = LjKernel::from_potential(&argon(true)).unwrap();
        let rc = 7.65 - 1e-9;
        assert!(ks.eval(0, rc * rc).short_range.abs() < 1e-12);
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
        let t = p.tail_correction(&[n], volume).unwrap();
        let rc3 = 2.5f64.powi(-3);
        let u_ref = 8.0 / 3.0 * PI * 0.8 * (rc3 * rc3 * rc3 / 3.0 - rc3);
        let p_ref = 16.0 / 3.0 * PI * 0.64 * (2.0 / 3.0 * rc3 * rc3 * rc3 - rc3);
        assert!((t.energy / n as f64 - u_ref).abs() < 1e-12);
        assert!((t.pressure - p_ref).abs() < 1e-12);
    }

    fn all_terms() -> Vec<PairTerm> {
        vec![
            PairTerm::LennardJones {
                epsilon: 0.0103,
                sigma: 3.4,
            },
            PairTerm::Buckingham {
                a: 13702.905,
                rho: 0.193817,
                c: 54.681,
                repair: None,
            },
            PairTerm::Buckingham {
                a: 13702.905,
                rho: 0.193817,
                c: 54.681,
                repair: Some(BuckinghamRepair {
                    r0: 1.168,
                    b: 28.950,
                    n: 3.932,
                    d: -3.059,
                }),
            },
            PairTerm::Morse {
                d: 0.340554,
                a: 2.0067,
                r0: 2.1,
            },
            PairTerm::Power { c: 22.0, n: 12.0 },
        ]
    }

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for t in all_terms() {
            for r in [0.9, 1.1, 1.5, 1.9, 2.5, 3.7, 6.0] {
                let (_, du) = t.energy_derivative(r);
                let fd = (t.energy_derivative(r + h).0 - t.energy_derivative(r - h).0) / (2.0 * h);
                let scale = du.abs().max(1e-3);
                assert!(
                    (fd - du).abs() <= 1e-7 * scale,
                    "{t:?} at {r}: {du} vs {fd}"
                );
            }
        }
    }

    /// Closed-form tail integrals against Simpson quadrature of ∫_rc^∞ f(r) dr, mapped onto
    /// x = rc/r ∈ (0, 1] so the slow r⁻⁴ tails are integrated out to infinity.
    #[test]
    fn tail_integrals_match_quadrature() {
        let rc = 5.5;
        for t in all_terms() {
            let (e, w) = t.tail_integrals(rc).unwrap();
            let m = 200_000;
            let h = 1.0 / m as f64;
            // The integrand vanishes at x = 0 for every term here.
            let simpson = |f: &dyn Fn(f64) -> f64| {
                (1..=m)
                    .map(|k| {
                        let wgt = if k == m {
                            1.0
                        } else if k % 2 == 1 {
                            4.0
                        } else {
                            2.0
                        };
                        let x = k as f64 * h;
                        wgt * f(rc / x) * rc / (x * x)
                    })
                    .sum::<f64>()
                    * h
                    / 3.0
            };
            let e_num = simpson(&|r| r * r * t.energy_derivative(r).0);
            let w_num = simpson(&|r| r * r * r * t.energy_derivative(r).1);
            assert!(
                (e - e_num).abs() <= 1e-9 * e.abs().max(1e-12),
                "{t:?}: {e} vs {e_num}"
            );
            assert!(
                (w - w_num).abs() <= 1e-9 * w.abs().max(1e-12),
                "{t:?}: {w} vs {w_num}"
            );
        }
        assert!(PairTerm::Power { c: 1.0, n: 3.0 }
            .tail_integrals(rc)
            .is_none());
    }

    /// The general kernel sums terms and shifts by U(rc).
    #[test]
    fn general_kernel_sums_and_shifts() {
        let mut p = PairPotential::new(1);
        let terms = vec![
            PairTerm::Morse {
                d: 0.042395,
                a: 1.379316,
                r0: 3.618701,
            },
            PairTerm::Power { c: 22.0, n: 12.0 },
        ];
        p.set(
            0,
            0,
            PairSpec {
                terms: terms.clone(),
                cutoff: 5.5,
                shift: true,
            },
        );
        let k = GeneralKernel::new(&p, None);
        let u = |r: f64| terms.iter().map(|t| t.energy_derivative(r).0).sum::<f64>();
        let PairEval {
            short_range: e,
            f_over_r: f,
            ..
        } = k.eval(0, 3.0 * 3.0);
        assert!((e - (u(3.0) - u(5.5))).abs() < 1e-15);
        let du: f64 = terms.iter().map(|t| t.energy_derivative(3.0).1).sum();
        assert!((f + du / 3.0).abs() < 1e-15);
        assert_eq!(k.eval(0, 5.5 * 5.5), PairEval::default());
    }

    /// An ionic force field as in potentials/li-p-si-o-buckingham.ron (Buckingham with and
    /// without repair, Coulomb-only pairs, one shifted pair) with real-space Coulomb.
    pub(crate) fn ionic_kernel() -> GeneralKernel {
        let buck = |a: f64, rho: f64, c: f64, repair: Option<BuckinghamRepair>| {
            PairTerm::Buckingham { a, rho, c, repair }
        };
        let mut p = PairPotential::new(3);
        let spec = |term, shift| PairSpec {
            terms: vec![term],
            cutoff: 10.0,
            shift,
        };
        p.set(0, 2, spec(buck(41051.938, 0.151160, 0.0, None), false));
        let repair = BuckinghamRepair {
            r0: 1.169,
            b: 28.568,
            n: 4.654,
            d: -3.379,
        };
        p.set(
            1,
            2,
            spec(buck(26655.472, 0.181968, 86.856, Some(repair)), true),
        );
        let repair = BuckinghamRepair {
            r0: 1.906,
            b: 46.462,
            n: 3.430,
            d: -0.32605,
        };
        p.set(
            2,
            2,
            spec(buck(2029.2204, 0.343640, 192.580, Some(repair)), false),
        );
        let coulomb = RealSpaceCoulomb::new(0.33, 10.0);
        GeneralKernel::new(&p, Some((coulomb, &[0.6, 3.0, -1.2])))
    }

    /// The lane evaluation of Buckingham pairs gives the bits of `eval`, pair by pair,
    /// inside and outside the repair radius and the cutoffs, and for unused lanes.
    #[test]
    fn buckingham_lanes_match_eval() {
        let k = ionic_kernel();
        assert!(k.buckingham.is_some());
        let mut seen_repair = false;
        for m in 0..3000 {
            let tij: [usize; LANES] = std::array::from_fn(|l| (7 * m + 3 * l) % 9);
            let r2: [f64; LANES] = std::array::from_fn(|l| {
                let r = 0.9 + (m * LANES + l) as f64 * 3.7e-3;
                if (m + l) % 13 == 0 {
                    f64::INFINITY
                } else {
                    r * r
                }
            });
            let lanes = k.eval_lanes(&tij, &r2);
            for l in 0..LANES {
                let e = k.eval(tij[l], r2[l]);
                seen_repair |= r2[l] < 1.169 * 1.169 && tij[l] == 5;
                assert_eq!(
                    [lanes.short_range[l], lanes.coulomb[l], lanes.f_over_r[l]].map(f64::to_bits),
                    [e.short_range, e.coulomb, e.f_over_r].map(f64::to_bits),
                    "pair type {} at r² = {}",
                    tij[l],
                    r2[l]
                );
            }
        }
        assert!(seen_repair);
    }
}
