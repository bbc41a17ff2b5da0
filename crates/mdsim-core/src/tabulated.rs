//! The pair kernel of ionic force fields from tables: the whole interaction of each species
//! pair — short-range terms plus the real-space Coulomb term — as cubic polynomials in r² on
//! the bins of [`crate::coulomb::table`] (256 bins per octave of r², indexed by the bits of
//! r²). A pair then costs one bin and one cubic, instead of a square root, three divisions, an
//! exp and a table lookup; pairs with Coulomb only (Li–Li) cost no more, and those with the
//! same charge product share a table. Where a pair's short-range and Coulomb cutoffs differ,
//! its table has a second part from the shorter cutoff on. GROMACS tabulates its kernels in
//! the same way; LAMMPS tabulates the Coulomb part (`pair_modify table`).
//!
//! Accuracy: every table is compared with the exact kernel ([`GeneralKernel`]) at three points
//! between the nodes of every bin (where a cubic errs most), and the kernel is used only when
//! every pair-force error |ΔF| is below ε·max(k_e·1 e²/Å², |F|) for the ε the caller gives
//! (the engine: [`TABLE_ERROR_FRACTION`](crate::coulomb::TABLE_ERROR_FRACTION) times the
//! requested relative Coulomb accuracy, so 1e-9 at 1e-5: the rule of the Coulomb table, made
//! relative where short-range forces are hundreds of eV/Å). Pairs closer than a table's start
//! (r < 1 Å, or inside a Buckingham repair radius, where the potential changes form) are
//! evaluated exactly.
//!
//! The AVX2 loop (`forces::avx2::tabulated_pairs`) performs the operations of
//! [`TabulatedKernel::eval`] in the same order, so both give the same bits.

use crate::coulomb::table::{cubic, MANTISSA_BITS, S_MIN};
use crate::coulomb::RealSpaceCoulomb;
use crate::pair::{GeneralKernel, PairEval, PairKernel, PairPotential};
use crate::units::COULOMB_EV_A;

/// What the pair loop needs of one ordered species pair, as four numbers (one SIMD load).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(32))]
pub(crate) struct TabulatedPair {
    /// Cutoff² (the longer of the short-range and the Coulomb one), Å² (0: no interaction).
    pub(crate) rc2: f64,
    /// Start of the table, Å²: closer pairs are evaluated exactly.
    pub(crate) s_lo: f64,
    /// The shorter cutoff², when the two differ (else +∞): from there on the pair's second
    /// table (the longer-ranged term alone), whose bins follow the first table's, so that its
    /// offset is one more.
    pub(crate) split: f64,
    /// Bits of the bin offset (i64): r² < split lies in bin `offset + (bits of r² >> shift)`
    /// of the kernel's bin arrays.
    pub(crate) offset: f64,
}

impl TabulatedPair {
    /// The bin of r² = `s` (for s_lo ≤ s ≤ rc2).
    #[inline(always)]
    pub(crate) fn bin(&self, s: f64, shift: u32) -> usize {
        let i = (self.offset.to_bits() as i64).wrapping_add((s.to_bits() >> shift) as i64);
        (i + (s >= self.split) as i64) as usize
    }
}

/// Tabulated short-range plus real-space Coulomb kernel (see the module documentation).
#[derive(Clone, Debug)]
pub struct TabulatedKernel {
    n: usize,
    /// Bits of r² below the bin index: 52 − log₂(bins per octave of r²).
    shift: u32,
    pairs: Vec<TabulatedPair>,
    /// Coefficients of G = −(dU/dr)/r (eV/Å²) in t = r² − (start of the bin), per bin; all
    /// tables one after the other.
    force_bins: Vec<[f64; 4]>,
    /// Coefficients of the short-range and of the real-space Coulomb energy (eV) per bin.
    energy_bins: Vec<[[f64; 4]; 2]>,
    /// The exact kernel, for pairs closer than a table's start.
    exact: GeneralKernel,
    /// Largest pair-force error |ΔG|·r found at the check points of all tables, eV/Å.
    pub max_force_error: f64,
    /// Largest |ΔF| / max(k_e·1 e²/Å², |F|) found at the check points.
    pub max_relative_force_error: f64,
    /// Largest pair-energy error found at the check points, eV.
    pub max_energy_error: f64,
}

/// One table under construction: the bins of r² from `first` (bits >> shift) on.
struct Fitted {
    first: u64,
    force: Vec<[f64; 4]>,
    energy: Vec<[[f64; 4]; 2]>,
}

/// The bins of all tables.
struct Bins {
    shift: u32,
    force: Vec<[f64; 4]>,
    energy: Vec<[[f64; 4]; 2]>,
}

/// A pair's force factor G (eV/Å²) and its short-range and Coulomb energies (eV) at r² = s.
type Exact<'a> = &'a dyn Fn(f64) -> (f64, [f64; 2]);

impl TabulatedKernel {
    /// Tables of `potential` plus the real-space term `coulomb` (tabulated or not: the tables
    /// are fitted to the exact term) for species charges `charges` (e). `None` when a
    /// pair-force error exceeds `max_error`·max(k_e·1 e²/Å², |F|) even with the finest bins.
    ///
    /// The tables start at 256 bins per octave of r² (the Coulomb table's) and are refined
    /// to 512 and 1024 when that is needed to meet the bound.
    pub fn new(
        potential: &PairPotential,
        coulomb: &RealSpaceCoulomb,
        charges: &[f64],
        max_error: f64,
    ) -> Option<Self> {
        (MANTISSA_BITS..=MANTISSA_BITS + 2)
            .find_map(|bits| Self::with_resolution(potential, coulomb, charges, max_error, bits))
    }

    /// [`TabulatedKernel::new`] with 2^`bits` bins per octave of r².
    fn with_resolution(
        potential: &PairPotential,
        coulomb: &RealSpaceCoulomb,
        charges: &[f64],
        max_error: f64,
        bits: u32,
    ) -> Option<Self> {
        let shift = 52 - bits;
        let n = potential.n_species();
        let unit = coulomb.clone().exact();
        let exact = GeneralKernel::new(potential, Some((unit.clone(), charges)));
        // Bin 0 is a placeholder for pairs without interaction (never used: rc2 = 0).
        let mut bins = Bins {
            shift,
            force: vec![[0.0; 4]],
            energy: vec![[[0.0; 4]; 2]],
        };
        let none = TabulatedPair {
            split: f64::INFINITY,
            ..Default::default()
        };
        let mut pairs = vec![none; n * n];
        // Coulomb-only pairs with the same charge product have the same table.
        let mut coulomb_only: Vec<(u64, TabulatedPair)> = Vec::new();
        for a in 0..n {
            for b in a..n {
                let tij = a * n + b;
                let (sr_rc2, qq, repair_r0) = exact.pair_info(tij);
                let coulomb_rc2 = (qq != 0.0).then_some(unit.rc2);
                let (rc2, split) = match (sr_rc2, coulomb_rc2) {
                    (Some(s), Some(c)) if s != c => (s.max(c), s.min(c)),
                    (Some(s), _) | (None, Some(s)) => (s, f64::INFINITY),
                    (None, None) => continue,
                };
                if sr_rc2.is_none() {
                    if let Some(&(_, pair)) = coulomb_only.iter().find(|c| c.0 == qq.to_bits()) {
                        pairs[tij] = pair;
                        pairs[b * n + a] = pair;
                        continue;
                    }
                }
                let s_lo = first_bin_above(S_MIN.max(repair_r0 * repair_r0), shift);
                let f = |s: f64| {
                    let p = exact.eval_uncut(tij, s, true, true);
                    (p.f_over_r, [p.short_range, p.coulomb])
                };
                // The first table always reaches the bin of its end (where the second table
                // starts, or where lanes beyond the cutoff are clamped), even when the whole
                // range below lies inside a repair radius.
                let end = split.min(rc2);
                let offset = bins.add(s_lo.min(end), end, &f);
                if split < rc2 {
                    // Past the shorter cutoff only the longer-ranged term is left.
                    let sr_outer = sr_rc2 == Some(rc2);
                    let outer = |s: f64| {
                        let p = exact.eval_uncut(tij, s, sr_outer, !sr_outer);
                        (p.f_over_r, [p.short_range, p.coulomb])
                    };
                    bins.add(split, rc2, &outer);
                }
                let pair = TabulatedPair {
                    rc2,
                    s_lo,
                    split,
                    offset: f64::from_bits(offset as u64),
                };
                pairs[tij] = pair;
                pairs[b * n + a] = pair;
                if sr_rc2.is_none() {
                    coulomb_only.push((qq.to_bits(), pair));
                }
            }
        }
        let mut kernel = Self {
            n,
            shift,
            pairs,
            force_bins: bins.force,
            energy_bins: bins.energy,
            exact,
            max_force_error: 0.0,
            max_relative_force_error: 0.0,
            max_energy_error: 0.0,
        };
        kernel.measure_errors();
        (kernel.max_relative_force_error <= max_error).then_some(kernel)
    }

    /// Compares the kernel (the real lookup: bin index, offsets, second tables) with the
    /// exact kernel at three points between the nodes of every bin each pair type uses, and
    /// records the largest errors.
    fn measure_errors(&mut self) {
        let shift = self.shift;
        for a in 0..self.n {
            for b in a..self.n {
                let (tij, p) = (a * self.n + b, self.pairs[a * self.n + b]);
                if p.rc2 == 0.0 {
                    continue;
                }
                let (first, last) = (p.s_lo.to_bits() >> shift, p.rc2.to_bits() >> shift);
                for i in first..=last {
                    let (s0, s1) = (bin_start(i, shift), bin_start(i + 1, shift));
                    for x in [0.5, 1.5, 2.5] {
                        let s = s0 + (s1 - s0) * x / 3.0;
                        if s < p.s_lo || s >= p.rc2 {
                            continue;
                        }
                        let (t, e) = (self.eval(tij, s), self.exact.eval(tij, s));
                        let error = (t.f_over_r - e.f_over_r).abs() * s.sqrt();
                        let scale = COULOMB_EV_A.max(e.f_over_r.abs() * s.sqrt());
                        self.max_force_error = self.max_force_error.max(error);
                        self.max_relative_force_error =
                            self.max_relative_force_error.max(error / scale);
                        let de = (t.short_range - e.short_range)
                            .abs()
                            .max((t.coulomb - e.coulomb).abs());
                        self.max_energy_error = self.max_energy_error.max(de);
                    }
                }
            }
        }
    }

    /// Bytes of the tables (force and energy bins).
    pub fn table_bytes(&self) -> usize {
        self.force_bins.len() * std::mem::size_of::<[f64; 4]>()
            + self.energy_bins.len() * std::mem::size_of::<[[f64; 4]; 2]>()
    }

    /// Bins per octave of r².
    pub fn bins_per_octave(&self) -> u32 {
        1 << (52 - self.shift)
    }

    /// Bits of r² below the bin index.
    pub(crate) fn shift(&self) -> u32 {
        self.shift
    }

    pub(crate) fn pairs(&self) -> &[TabulatedPair] {
        &self.pairs
    }

    pub(crate) fn force_bins(&self) -> &[[f64; 4]] {
        &self.force_bins
    }

    pub(crate) fn energy_bins(&self) -> &[[[f64; 4]; 2]] {
        &self.energy_bins
    }

    /// The exact kernel the tables were fitted to (also used for pairs closer than a
    /// table's start).
    pub fn exact(&self) -> &GeneralKernel {
        &self.exact
    }
}

impl Bins {
    /// Fits the table of `f` on the bins from the one of `from` to the one of `to` and
    /// appends it; returns its offset.
    fn add(&mut self, from: f64, to: f64, f: Exact) -> i64 {
        let fitted = fit(from, to, f, self.shift);
        let offset = self.force.len() as i64 - fitted.first as i64;
        self.force.extend(fitted.force);
        self.energy.extend(fitted.energy);
        offset
    }
}

/// r² at the start of bin `index` (bits of r² >> `shift`).
fn bin_start(index: u64, shift: u32) -> f64 {
    f64::from_bits(index << shift)
}

/// The first bin start at or above `s`.
fn first_bin_above(s: f64, shift: u32) -> f64 {
    let i = s.to_bits() >> shift;
    if bin_start(i, shift) == s {
        s
    } else {
        bin_start(i + 1, shift)
    }
}

/// c₀ + t(c₁ + t(c₂ + t c₃)).
#[inline(always)]
pub(crate) fn poly(c: &[f64; 4], t: f64) -> f64 {
    c[0] + t * (c[1] + t * (c[2] + t * c[3]))
}

/// Cubics through the values of `f` at the four nodes 0, h/3, 2h/3, h of every bin from the
/// one of `from` to the one of `to`.
fn fit(from: f64, to: f64, f: Exact, shift: u32) -> Fitted {
    let (first, last) = (from.to_bits() >> shift, to.to_bits() >> shift);
    let mut fitted = Fitted {
        first,
        force: Vec::new(),
        energy: Vec::new(),
    };
    for i in first..=last {
        let (s0, s1) = (bin_start(i, shift), bin_start(i + 1, shift));
        let h = s1 - s0;
        let v: [(f64, [f64; 2]); 4] = std::array::from_fn(|k| f(s0 + h * k as f64 / 3.0));
        fitted.force.push(cubic(h, v.map(|p| p.0)));
        fitted
            .energy
            .push([cubic(h, v.map(|p| p.1[0])), cubic(h, v.map(|p| p.1[1]))]);
    }
    fitted
}

impl PairKernel for TabulatedKernel {
    #[inline(always)]
    fn eval(&self, tij: usize, r2: f64) -> PairEval {
        let p = &self.pairs[tij];
        // Beyond the cutoff (or NaN).
        if r2.partial_cmp(&p.rc2) != Some(std::cmp::Ordering::Less) {
            return PairEval::default();
        }
        if r2 < p.s_lo {
            return self.exact.eval(tij, r2);
        }
        let (i, t) = (p.bin(r2, self.shift), r2 - bin_floor(r2, self.shift));
        let e = &self.energy_bins[i];
        PairEval {
            short_range: poly(&e[0], t),
            coulomb: poly(&e[1], t),
            f_over_r: poly(&self.force_bins[i], t),
        }
    }

    #[inline(always)]
    fn force(&self, tij: usize, r2: f64) -> f64 {
        let p = &self.pairs[tij];
        if r2.partial_cmp(&p.rc2) != Some(std::cmp::Ordering::Less) {
            return 0.0;
        }
        if r2 < p.s_lo {
            return self.exact.eval(tij, r2).f_over_r;
        }
        let t = r2 - bin_floor(r2, self.shift);
        poly(&self.force_bins[p.bin(r2, self.shift)], t)
    }

    fn n_species(&self) -> usize {
        self.n
    }

    #[inline(always)]
    fn as_tabulated(&self) -> Option<&TabulatedKernel> {
        Some(self)
    }
}

/// The start of the bin that holds r² = `s` (exact: the low bits cleared).
#[inline(always)]
pub(crate) fn bin_floor(s: f64, shift: u32) -> f64 {
    f64::from_bits(s.to_bits() & !((1u64 << shift) - 1))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pair::{BuckinghamRepair, PairSpec, PairTerm};
    use rand::{RngExt, SeedableRng};

    /// The Li–P–Si–O rigid-ion set of potentials/li-p-si-o-buckingham.ron (Deng & Du 2019),
    /// species Li, P, Si, O, with the charges and real-space term of the model cell.
    pub(crate) fn lpso() -> (PairPotential, RealSpaceCoulomb, [f64; 4]) {
        let mut p = PairPotential::new(4);
        let buck = |a, rho, c, repair: Option<(f64, f64, f64, f64)>| PairSpec {
            terms: vec![PairTerm::Buckingham {
                a,
                rho,
                c,
                repair: repair.map(|(r0, b, n, d)| BuckinghamRepair { r0, b, n, d }),
            }],
            cutoff: 10.0,
            shift: false,
        };
        p.set(0, 3, buck(41051.938, 0.151160, 0.0, None));
        p.set(
            2,
            3,
            buck(
                13702.905,
                0.193817,
                54.681,
                Some((1.168, 28.950, 3.932, -3.059)),
            ),
        );
        p.set(
            1,
            3,
            buck(
                26655.472,
                0.181968,
                86.856,
                Some((1.169, 28.568, 4.654, -3.379)),
            ),
        );
        p.set(
            3,
            3,
            buck(
                2029.2204,
                0.343640,
                192.580,
                Some((1.906, 46.462, 3.430, -0.32605)),
            ),
        );
        (p, RealSpaceCoulomb::new(0.333, 10.0), [0.6, 3.0, 2.4, -1.2])
    }

    /// Against the exact kernel on random distances per species pair (not the check points),
    /// from 0.8 Å (inside the repair radii: exact there) to past the cutoffs: for the bounds
    /// of a 1e-5 and a 1e-6 request (1e-9 and 1e-10 relative), and with a Coulomb cutoff
    /// longer and shorter than the short-range one (second tables), the errors stay within 2×
    /// the recorded maxima and below the bound, and both cutoffs fall where they should.
    #[test]
    fn tables_match_the_exact_kernel() {
        let (p, _, q) = lpso();
        for (bound, bins, rc) in [
            (1e-9, 256, 10.0),
            (1e-10, 512, 10.0),
            (1e-9, 256, 11.3),
            (1e-9, 256, 8.5),
        ] {
            let coulomb = RealSpaceCoulomb::new(0.333, rc);
            let exact = GeneralKernel::new(&p, Some((coulomb.clone(), &q)));
            let k = TabulatedKernel::new(&p, &coulomb, &q, bound).expect("tables");
            println!(
                "bound {bound:.0e}, Coulomb cutoff {rc} Å: {} bins per octave, {} kB, recorded \
                 max force error {:.2e} eV/Å ({:.2e} relative), energy {:.2e} eV",
                k.bins_per_octave(),
                k.table_bytes() / 1024,
                k.max_force_error,
                k.max_relative_force_error,
                k.max_energy_error
            );
            assert_eq!(k.bins_per_octave(), bins);
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
            for tij in 0..16 {
                let (mut fe, mut fr, mut ee): (f64, f64, f64) = (0.0, 0.0, 0.0);
                for _ in 0..200_000 {
                    let r: f64 = rng.random_range(0.8..11.8);
                    let (a, b) = (k.eval(tij, r * r), exact.eval(tij, r * r));
                    let error = (a.f_over_r - b.f_over_r).abs() * r;
                    fe = fe.max(error);
                    fr = fr.max(error / COULOMB_EV_A.max(b.f_over_r.abs() * r));
                    ee = ee.max((a.short_range - b.short_range).abs());
                    ee = ee.max((a.coulomb - b.coulomb).abs());
                    assert_eq!(a.f_over_r == 0.0, b.f_over_r == 0.0, "cutoff at r = {r}");
                }
                assert!(fe <= 2.0 * k.max_force_error && fr <= 2.0 * k.max_relative_force_error);
                assert!(ee <= 2.0 * k.max_energy_error);
                assert!(fr < bound, "pair type {tij}: {fr:.2e}");
            }
        }
        let coulomb = RealSpaceCoulomb::new(0.333, 10.0);
        assert!(TabulatedKernel::new(&p, &coulomb, &q, 1e-14).is_none());
    }

    /// Short-range cutoffs below the tables' start (1 Å): a neutral species N listed first
    /// with a 0.9 Å self term, charged A (+1) and B (−1) with a 0.9 Å A–A term and 8 Å
    /// A–B, B–B terms, Coulomb to 9 Å (found by a test user: wrong Coulomb for A–A, and an
    /// index out of bounds in the AVX2 loop, before the fix).
    pub(crate) fn short_cutoffs() -> (PairPotential, RealSpaceCoulomb, [f64; 3]) {
        let mut p = PairPotential::new(3);
        let lj = |cutoff| PairSpec {
            terms: vec![PairTerm::LennardJones {
                epsilon: 0.01,
                sigma: 2.5,
            }],
            cutoff,
            shift: false,
        };
        p.set(0, 0, lj(0.9));
        p.set(1, 1, lj(0.9));
        p.set(1, 2, lj(8.0));
        p.set(2, 2, lj(8.0));
        (p, RealSpaceCoulomb::new(0.33, 9.0), [0.0, 1.0, -1.0])
    }

    #[test]
    fn cutoff_below_the_tables_start() {
        let (p, coulomb, q) = short_cutoffs();
        let exact = GeneralKernel::new(&p, Some((coulomb.clone(), &q)));
        let k = TabulatedKernel::new(&p, &coulomb, &q, 1e-9).expect("tables");
        for tij in 0..9 {
            for i in 0..20_000 {
                let r = 0.85 + 8.3 * i as f64 / 20_000.0;
                let (a, b) = (k.eval(tij, r * r), exact.eval(tij, r * r));
                let error = (a.f_over_r - b.f_over_r).abs() * r;
                assert!(
                    error <= 1e-9 * COULOMB_EV_A.max(b.f_over_r.abs() * r),
                    "{tij} {r}"
                );
                assert!((a.coulomb - b.coulomb).abs() <= 1e-8, "{tij} {r}");
            }
        }
    }

    /// Repair radii that reach past a cutoff (O–O r₀ = 1.906 Å): beyond a 1.5 Å Coulomb
    /// cutoff (the table's start lies past the split), and beyond a 1.8 Å short-range cutoff
    /// (the whole short range inside it). Lanes are still clamped into valid bins and agree
    /// with the exact kernel.
    #[test]
    fn repair_radius_past_a_cutoff() {
        let (mut p, _, q) = lpso();
        let mut short = p.get(3, 3).unwrap().clone();
        short.cutoff = 1.8;
        for (coulomb_rc, oo_cutoff) in [(1.5, None), (10.0, Some(short))] {
            if let Some(spec) = oo_cutoff {
                p.set(3, 3, spec);
            }
            let coulomb = RealSpaceCoulomb::new(0.333, coulomb_rc);
            let exact = GeneralKernel::new(&p, Some((coulomb.clone(), &q)));
            let k = TabulatedKernel::new(&p, &coulomb, &q, 1e-9).expect("tables");
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
            for tij in 0..16 {
                for _ in 0..50_000 {
                    let r: f64 = rng.random_range(0.8..10.5);
                    let (a, b) = (k.eval(tij, r * r), exact.eval(tij, r * r));
                    let error = (a.f_over_r - b.f_over_r).abs() * r;
                    let scale = COULOMB_EV_A.max(b.f_over_r.abs() * r);
                    assert!(error <= 1e-9 * scale, "type {tij}, r = {r}: {error:e}");
                    assert_eq!(a.f_over_r == 0.0, b.f_over_r == 0.0, "cutoff at r = {r}");
                }
            }
        }
    }
}
