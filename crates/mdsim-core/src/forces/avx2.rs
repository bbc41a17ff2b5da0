//! The AVX2 copies of the pair loop for Lennard-Jones and for the tabulated ionic kernel
//! ([`super::chunk_pairs`] with [`LjKernel`] and [`TabulatedKernel`]): the four lanes of one
//! vector are the four pairs the generic loop evaluates together, and every operation is the
//! generic loop's, in the same order (no FMA), so both give the same bits; the unit test
//! `same_bits_for_any_simd_and_thread_count` checks it.
//! Positions and forces are padded to four components, so one atom moves with one load and
//! a 4×4 transpose turns four atoms into x, y and z vectors.

use super::{lane_sum, ChunkView, PairTotals};
use crate::neighbor::Chunk;
use crate::pair::{LjCoefficients, LjKernel, PairKernel, LANES};
use crate::tabulated::{TabulatedKernel, TabulatedPair};
use std::arch::x86_64::*;

/// Rows [x, y, z, w] of four atoms → vectors (x₀..x₃), (y₀..y₃), (z₀..z₃).
#[inline]
#[target_feature(enable = "avx2")]
fn transpose_in(p: [__m256d; 4]) -> [__m256d; 3] {
    let t0 = _mm256_unpacklo_pd(p[0], p[1]); // x0 x1 z0 z1
    let t1 = _mm256_unpackhi_pd(p[0], p[1]); // y0 y1 w0 w1
    let t2 = _mm256_unpacklo_pd(p[2], p[3]); // x2 x3 z2 z3
    let t3 = _mm256_unpackhi_pd(p[2], p[3]); // y2 y3 w2 w3
    [
        _mm256_permute2f128_pd::<0x20>(t0, t2),
        _mm256_permute2f128_pd::<0x20>(t1, t3),
        _mm256_permute2f128_pd::<0x31>(t0, t2),
    ]
}

/// Rows of four numbers → columns (a 4×4 transpose).
#[inline]
#[target_feature(enable = "avx2")]
fn transpose4(p: [__m256d; 4]) -> [__m256d; 4] {
    let t0 = _mm256_unpacklo_pd(p[0], p[1]);
    let t1 = _mm256_unpackhi_pd(p[0], p[1]);
    let t2 = _mm256_unpacklo_pd(p[2], p[3]);
    let t3 = _mm256_unpackhi_pd(p[2], p[3]);
    [
        _mm256_permute2f128_pd::<0x20>(t0, t2),
        _mm256_permute2f128_pd::<0x20>(t1, t3),
        _mm256_permute2f128_pd::<0x31>(t0, t2),
        _mm256_permute2f128_pd::<0x31>(t1, t3),
    ]
}

/// Vectors (x₀..x₃), (y₀..y₃), (z₀..z₃) → rows [x, y, z, 0] of four atoms.
#[inline]
#[target_feature(enable = "avx2")]
fn transpose_out(v: [__m256d; 3]) -> [__m256d; 4] {
    let zero = _mm256_setzero_pd();
    let t0 = _mm256_unpacklo_pd(v[0], v[1]); // x0 y0 x2 y2
    let t1 = _mm256_unpackhi_pd(v[0], v[1]); // x1 y1 x3 y3
    let t2 = _mm256_unpacklo_pd(v[2], zero); // z0 0 z2 0
    let t3 = _mm256_unpackhi_pd(v[2], zero); // z1 0 z3 0
    [
        _mm256_permute2f128_pd::<0x20>(t0, t2),
        _mm256_permute2f128_pd::<0x20>(t1, t3),
        _mm256_permute2f128_pd::<0x31>(t0, t2),
        _mm256_permute2f128_pd::<0x31>(t1, t3),
    ]
}

#[inline]
#[target_feature(enable = "avx2")]
fn lanes(v: __m256d) -> [f64; LANES] {
    let mut out = [0.0; LANES];
    // SAFETY: `out` holds four f64.
    unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
    out
}

#[inline]
#[target_feature(enable = "avx2")]
fn load(x: &[f64; 4]) -> __m256d {
    // SAFETY: `x` holds four f64.
    unsafe { _mm256_loadu_pd(x.as_ptr()) }
}

/// Lanes below `n` all ones (used), the others zero.
#[inline]
#[target_feature(enable = "avx2")]
fn used_lanes(n: usize) -> __m256d {
    let n = n as i64;
    _mm256_castsi256_pd(_mm256_cmpgt_epi64(
        _mm256_set1_epi64x(n),
        _mm256_set_epi64x(3, 2, 1, 0),
    ))
}

/// One coefficient of the four lanes' pair types.
#[inline]
#[target_feature(enable = "avx2")]
fn coefficient(
    table: &[LjCoefficients],
    tij: &Option<[usize; LANES]>,
    c: impl Fn(&LjCoefficients) -> f64,
) -> __m256d {
    match tij {
        None => _mm256_set1_pd(c(&table[0])),
        Some(t) => _mm256_set_pd(
            c(&table[t[3]]),
            c(&table[t[2]]),
            c(&table[t[1]]),
            c(&table[t[0]]),
        ),
    }
}

/// The pair loop both kernels share ([`super::chunk_pairs`] in AVX2): for each row and each
/// batch of four partners, the separations and r² (unused lanes at +∞), then `kernel(row,
/// partners, r²)` gives the lanes' −(dU/dr)/r and, with `ENERGY`, their short-range and
/// Coulomb energies (zero otherwise); forces, energies and virial are summed as the generic
/// loop sums them.
#[inline]
#[target_feature(enable = "avx2")]
fn pair_loop<const ENERGY: bool>(
    chunk: &Chunk,
    view: ChunkView,
    n_species: usize,
    mut kernel: impl FnMut(usize, &[usize; LANES], __m256d) -> [__m256d; 3],
) -> PairTotals {
    const { assert!(LANES == 4) };
    let (positions, types, buf) = (view.positions, view.types, view.forces);
    let inf = _mm256_set1_pd(f64::INFINITY);
    let mut short_range = _mm256_setzero_pd();
    let mut coulomb = _mm256_setzero_pd();
    let mut w = [_mm256_setzero_pd(); 6];
    for k in 0..chunk.rows() {
        let i = k;
        let x = positions[i];
        let xi = [
            _mm256_set1_pd(x[0]),
            _mm256_set1_pd(x[1]),
            _mm256_set1_pd(x[2]),
        ];
        let row = types[i] * n_species;
        let mut fi = [_mm256_setzero_pd(); 3];
        let pairs = &chunk.neighbors[chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize];
        for batch in pairs.chunks(LANES) {
            let js: [usize; LANES] =
                std::array::from_fn(|l| batch.get(l).map_or(i, |&j| j as usize));
            let xj = transpose_in(js.map(|j| load(&positions[j])));
            let d = [0, 1, 2].map(|c| _mm256_sub_pd(xj[c], xi[c]));
            let r2 = _mm256_add_pd(
                _mm256_add_pd(_mm256_mul_pd(d[0], d[0]), _mm256_mul_pd(d[1], d[1])),
                _mm256_mul_pd(d[2], d[2]),
            );
            let r2 = _mm256_blendv_pd(inf, r2, used_lanes(batch.len()));
            let [f_over_r, e_sr, e_c] = kernel(row, &js, r2);
            if ENERGY {
                short_range = _mm256_add_pd(short_range, e_sr);
                coulomb = _mm256_add_pd(coulomb, e_c);
            }
            let f = d.map(|dc| _mm256_mul_pd(f_over_r, dc));
            for c in 0..3 {
                fi[c] = _mm256_sub_pd(fi[c], f[c]);
            }
            if ENERGY {
                let terms = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)];
                for (wk, (a, b)) in w.iter_mut().zip(terms) {
                    *wk = _mm256_add_pd(*wk, _mm256_mul_pd(d[a], f[b]));
                }
            }
            let rows = transpose_out(f);
            for (l, &j) in batch.iter().enumerate() {
                let bj = &mut buf[j as usize];
                let sum = _mm256_add_pd(load(bj), rows[l]);
                // SAFETY: `bj` holds four f64.
                unsafe { _mm256_storeu_pd(bj.as_mut_ptr(), sum) };
            }
        }
        let bi = &mut buf[i];
        for c in 0..3 {
            bi[c] += lane_sum(&lanes(fi[c]));
        }
    }
    PairTotals {
        short_range: lane_sum(&lanes(short_range)),
        coulomb_real: lane_sum(&lanes(coulomb)),
        virial: w.map(|x| lane_sum(&lanes(x))),
    }
}

/// [`super::chunk_pairs`] for [`LjKernel`].
#[target_feature(enable = "avx2")]
pub(super) fn lj_pairs<const ENERGY: bool>(
    kernel: &LjKernel,
    chunk: &Chunk,
    view: ChunkView,
) -> PairTotals {
    let n_species = kernel.n_species();
    let table = kernel.coefficients();
    let types = view.types;
    let one = _mm256_set1_pd(1.0);
    let zero = _mm256_setzero_pd();
    pair_loop::<ENERGY>(chunk, view, n_species, |row, js, r2| {
        let tij = (n_species > 1).then(|| js.map(|j| row + types[j]));
        let rc2 = coefficient(table, &tij, |c| c.rc2);
        let f12 = coefficient(table, &tij, |c| c.f12);
        let f6 = coefficient(table, &tij, |c| c.f6);
        let inv2 = _mm256_div_pd(one, r2);
        let inv6 = _mm256_mul_pd(_mm256_mul_pd(inv2, inv2), inv2);
        let inside = _mm256_cmp_pd::<_CMP_LT_OQ>(r2, rc2);
        let f = _mm256_mul_pd(
            _mm256_mul_pd(inv6, _mm256_sub_pd(_mm256_mul_pd(f12, inv6), f6)),
            inv2,
        );
        let f_over_r = _mm256_and_pd(f, inside);
        let mut e_sr = zero;
        if ENERGY {
            let c12 = coefficient(table, &tij, |c| c.c12);
            let c6 = coefficient(table, &tij, |c| c.c6);
            let shift = coefficient(table, &tij, |c| c.e_shift);
            let e = _mm256_sub_pd(
                _mm256_mul_pd(inv6, _mm256_sub_pd(_mm256_mul_pd(c12, inv6), c6)),
                shift,
            );
            e_sr = _mm256_and_pd(e, inside);
        }
        [f_over_r, e_sr, zero]
    })
}

/// c₀ + t(c₁ + t(c₂ + t c₃)) on four lanes ([`crate::tabulated::poly`]).
#[inline]
#[target_feature(enable = "avx2")]
fn poly(c: [__m256d; 4], t: __m256d) -> __m256d {
    let p = _mm256_add_pd(c[2], _mm256_mul_pd(t, c[3]));
    let p = _mm256_add_pd(c[1], _mm256_mul_pd(t, p));
    _mm256_add_pd(c[0], _mm256_mul_pd(t, p))
}

/// [`super::chunk_pairs`] for [`TabulatedKernel`]: per lane, r² is clamped into its pair
/// type's table (so that every lane reads a valid bin; lanes beyond the cutoff are masked
/// out after), the bins are loaded and transposed, and the cubics evaluated. Lanes closer than
/// the table's start take the exact kernel, one by one, as [`TabulatedKernel::eval`] does.
#[target_feature(enable = "avx2")]
pub(super) fn tabulated_pairs<const ENERGY: bool>(
    kernel: &TabulatedKernel,
    chunk: &Chunk,
    view: ChunkView,
) -> PairTotals {
    let n_species = kernel.n_species();
    let (pair_table, force_bins, energy_bins) =
        (kernel.pairs(), kernel.force_bins(), kernel.energy_bins());
    let types = view.types;
    let shift = kernel.shift();
    let bin_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(!((1i64 << shift) - 1)));
    let shift = _mm_cvtsi64_si128(shift as i64);
    pair_loop::<ENERGY>(chunk, view, n_species, |row, js, r2| {
        let tij = js.map(|j| row + types[j]);
        let [rc2, s_lo, split, offset] = transpose4(tij.map(|t| load_pair(&pair_table[t])));
        // Inside the table: s = r²; else a valid point of the table (masked out below).
        let s = _mm256_min_pd(_mm256_max_pd(r2, s_lo), rc2);
        let s_bits = _mm256_castpd_si256(s);
        let bin = _mm256_add_epi64(_mm256_castpd_si256(offset), _mm256_srl_epi64(s_bits, shift));
        // From the split on, the second table (all ones = −1: subtract).
        let outer = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_GE_OQ>(s, split));
        let bin = _mm256_sub_epi64(bin, outer);
        let t = _mm256_sub_pd(s, _mm256_and_pd(s, bin_mask));
        let bins = lanes_i64(bin);
        let inside = _mm256_cmp_pd::<_CMP_LT_OQ>(r2, rc2);
        let g = poly(transpose4(bins.map(|b| load(&force_bins[b as usize]))), t);
        let mut out = [
            _mm256_and_pd(g, inside),
            _mm256_setzero_pd(),
            _mm256_setzero_pd(),
        ];
        if ENERGY {
            let e = bins.map(|b| &energy_bins[b as usize]);
            let sr = poly(transpose4(e.map(|e| load(&e[0]))), t);
            let c = poly(transpose4(e.map(|e| load(&e[1]))), t);
            out[1] = _mm256_and_pd(sr, inside);
            out[2] = _mm256_and_pd(c, inside);
        }
        let close = _mm256_and_pd(inside, _mm256_cmp_pd::<_CMP_LT_OQ>(r2, s_lo));
        if _mm256_movemask_pd(close) != 0 {
            out = exact_lanes(kernel, close, &tij, r2, out);
        }
        out
    })
}

#[inline]
#[target_feature(enable = "avx2")]
fn load_pair(p: &TabulatedPair) -> __m256d {
    // SAFETY: `TabulatedPair` is four f64 (repr(C)).
    unsafe { _mm256_loadu_pd(p as *const TabulatedPair as *const f64) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn lanes_i64(v: __m256i) -> [i64; LANES] {
    let mut out = [0i64; LANES];
    // SAFETY: `out` holds four i64.
    unsafe { _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, v) };
    out
}

/// The lanes in `close` (pairs closer than their table's start) from the exact kernel:
/// force factor, short-range and Coulomb energy.
#[cold]
#[target_feature(enable = "avx2")]
fn exact_lanes(
    kernel: &TabulatedKernel,
    close: __m256d,
    tij: &[usize; LANES],
    r2: __m256d,
    values: [__m256d; 3],
) -> [__m256d; 3] {
    let (close, r2) = (_mm256_movemask_pd(close), lanes(r2));
    let [mut f, mut sr, mut c] = values.map(|v| lanes(v));
    for l in 0..LANES {
        if close & (1 << l) != 0 {
            let e = kernel.exact().eval(tij[l], r2[l]);
            (f[l], sr[l], c[l]) = (e.f_over_r, e.short_range, e.coulomb);
        }
    }
    [load(&f), load(&sr), load(&c)]
}
