//! The inner loops of the Ewald reciprocal sum: per-chunk e^{inθ} tables, partial structure
//! factors and forces, with an AVX2 copy of the hot loops that gives the same bits.

use super::kspace::{ChunkScratch, KGroup, KSpace};
use std::f64::consts::PI;

// ---------------------------------------------------------------------------------------------
// Kernels
//
// The inner loops come in two copies: the x86-64 baseline (SSE2, what the compiler makes of
// plain Rust) and, when the CPU has AVX2, explicit 256-bit code. Both perform the same IEEE
// operations in the same order on every atom and k-vector — the same partial-sum lanes, no FMA
// (never enabled; Rust does not contract a·b + c) — so the results are the same bits on every
// x86-64 machine; the unit test `avx2_and_baseline_kernels_agree_bitwise` checks it.
// ---------------------------------------------------------------------------------------------

fn use_avx2() -> bool {
    #[cfg(test)]
    if FORCE_BASELINE.load(std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The unit test sets this to run the baseline kernels on an AVX2 machine.
#[cfg(test)]
static FORCE_BASELINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Builds the e^{inθ} tables of a chunk's atoms and its partial structure factor.
pub(super) fn structure_factor_chunk(ks: &KSpace, x: &[[f64; 3]], q: &[f64], c: &mut ChunkScratch) {
    let [w0, w1, w2] = ks.widths();
    let [_, m1, m2] = ks.m;
    let na = x.len();
    c.na = na;
    for (v, rows) in [
        (&mut c.t0c, w0),
        (&mut c.t0s, w0),
        (&mut c.t1c, w1),
        (&mut c.t1s, w1),
        (&mut c.t2c, w2),
        (&mut c.t2s, w2),
        (&mut c.zr, 1),
        (&mut c.zi, 1),
        (&mut c.sv, 1),
        (&mut c.sjv, 1),
        (&mut c.fx, 1),
        (&mut c.fy, 1),
        (&mut c.fz, 1),
    ] {
        v.resize(rows * na, 0.0);
    }
    c.s_re.resize(ks.n_k(), 0.0);
    c.s_im.resize(ks.n_k(), 0.0);

    // Row 1 of each table (row m + 1 of the signed ones) from one sincos per direction.
    for (a, &xa) in x.iter().enumerate() {
        let s = ks.cell.to_fractional(xa);
        let (sin0, cos0) = libm::sincos(2.0 * PI * s[0]);
        let (sin1, cos1) = libm::sincos(2.0 * PI * s[1]);
        let (sin2, cos2) = libm::sincos(2.0 * PI * s[2]);
        if w0 > 1 {
            c.t0c[na + a] = cos0;
            c.t0s[na + a] = sin0;
        }
        if m1 > 0 {
            c.t1c[(m1 + 1) * na + a] = cos1;
            c.t1s[(m1 + 1) * na + a] = sin1;
        }
        if m2 > 0 {
            c.t2c[(m2 + 1) * na + a] = cos2;
            c.t2s[(m2 + 1) * na + a] = sin2;
        }
    }
    fill_rows(&mut c.t0c, &mut c.t0s, na, 0, w0 - 1);
    fill_rows(&mut c.t1c, &mut c.t1s, na, m1, m1);
    fill_rows(&mut c.t2c, &mut c.t2s, na, m2, m2);

    let avx2 = use_avx2();
    let (zr, zi) = (&mut c.zr[..na], &mut c.zi[..na]);
    for g in &ks.groups {
        group_phase(&c.t0c, &c.t0s, &c.t1c, &c.t1s, g, na, Some(q), zr, zi);
        for j in 0..g.len as usize {
            let row = (g.i2 as usize + j) * na..(g.i2 as usize + j + 1) * na;
            let (tc, ts) = (&c.t2c[row.clone()], &c.t2s[row]);
            let (sr, si) = if avx2 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the CPU has AVX2 (use_avx2).
                unsafe {
                    avx2::dot_complex(zr, zi, tc, ts)
                }
                #[cfg(not(target_arch = "x86_64"))]
                unreachable!()
            } else {
                dot_complex(zr, zi, tc, ts)
            };
            c.s_re[g.start as usize + j] = sr;
            c.s_im[g.start as usize + j] = si;
        }
    }
}

/// z_i = (q_i ·) e^{i(n₀θ₀ + n₁θ₁)} for the atoms of a chunk, for the run `g`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn group_phase(
    t0c: &[f64],
    t0s: &[f64],
    t1c: &[f64],
    t1s: &[f64],
    g: &KGroup,
    na: usize,
    q: Option<&[f64]>,
    zr: &mut [f64],
    zi: &mut [f64],
) {
    let r0 = g.n0 as usize * na..(g.n0 as usize + 1) * na;
    let r1 = g.i1 as usize * na..(g.i1 as usize + 1) * na;
    let (ac, as_) = (&t0c[r0.clone()], &t0s[r0]);
    let (bc, bs) = (&t1c[r1.clone()], &t1s[r1]);
    let (zr, zi) = (&mut zr[..na], &mut zi[..na]);
    match q {
        Some(q) => {
            let q = &q[..na];
            for i in 0..na {
                zr[i] = q[i] * (ac[i] * bc[i] - as_[i] * bs[i]);
                zi[i] = q[i] * (ac[i] * bs[i] + as_[i] * bc[i]);
            }
        }
        None => {
            for i in 0..na {
                zr[i] = ac[i] * bc[i] - as_[i] * bs[i];
                zi[i] = ac[i] * bs[i] + as_[i] * bc[i];
            }
        }
    }
}

/// Lanes of the partial sums in [`dot_complex`].
const LANES: usize = 8;

/// Σ_i z_i·t_i (complex) with eight partial sums per component, lane l summing atoms
/// i ≡ l (mod 8) in order, folded as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); the
/// last n mod 8 atoms are then added one by one.
fn dot_complex(zr: &[f64], zi: &[f64], tc: &[f64], ts: &[f64]) -> (f64, f64) {
    let n = zr.len();
    let (zi, tc, ts) = (&zi[..n], &tc[..n], &ts[..n]);
    let mut ar = [0.0; LANES];
    let mut ai = [0.0; LANES];
    let full = n / LANES * LANES;
    for b in (0..full).step_by(LANES) {
        for l in 0..LANES {
            let i = b + l;
            ar[l] += zr[i] * tc[i] - zi[i] * ts[i];
            ai[l] += zr[i] * ts[i] + zi[i] * tc[i];
        }
    }
    finish_dot(ar, ai, &zr[full..], &zi[full..], &tc[full..], &ts[full..])
}

#[inline(always)]
fn finish_dot(
    ar: [f64; LANES],
    ai: [f64; LANES],
    zr: &[f64],
    zi: &[f64],
    tc: &[f64],
    ts: &[f64],
) -> (f64, f64) {
    let fold = |v: [f64; LANES]| ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    let (mut sr, mut si) = (fold(ar), fold(ai));
    for i in 0..zr.len() {
        sr += zr[i] * tc[i] - zi[i] * ts[i];
        si += zr[i] * ts[i] + zi[i] * tc[i];
    }
    (sr, si)
}

/// For one run of k-vectors (n₂ = first + j, j < len) and each atom i of a chunk:
/// v_ij = Re P_j·Im e_ij − Im P_j·Re e_ij with e_ij = z_i·t2[first + j]_i and P = A·S;
/// sv_i = Σ_j v_ij and sjv_i = Σ_j j·v_ij, summed over j in order.
#[allow(clippy::too_many_arguments)]
fn run_sums(
    zr: &[f64],
    zi: &[f64],
    t2c: &[f64],
    t2s: &[f64],
    na: usize,
    pr: &[f64],
    pi: &[f64],
    sv: &mut [f64],
    sjv: &mut [f64],
) {
    // Blocks of 8 atoms with the sums in small arrays, so the compiler keeps them in vector
    // registers; each atom's operations are the same as one atom at a time.
    const B: usize = 8;
    let full = na / B * B;
    let len = pr.len();
    let (t2c, t2s) = (&t2c[..len * na], &t2s[..len * na]);
    for i0 in (0..full).step_by(B) {
        let a: [f64; B] = std::array::from_fn(|l| zr[i0 + l]);
        let b: [f64; B] = std::array::from_fn(|l| zi[i0 + l]);
        let mut s = [0.0; B];
        let mut sj = [0.0; B];
        for j in 0..len {
            let (p, m, jf) = (pr[j], pi[j], j as f64);
            let c = &t2c[j * na + i0..j * na + i0 + B];
            let d = &t2s[j * na + i0..j * na + i0 + B];
            for l in 0..B {
                let cr = a[l] * c[l] - b[l] * d[l];
                let si = a[l] * d[l] + b[l] * c[l];
                let v = p * si - m * cr;
                s[l] += v;
                sj[l] += jf * v;
            }
        }
        sv[i0..i0 + B].copy_from_slice(&s);
        sjv[i0..i0 + B].copy_from_slice(&sj);
    }
    run_sums_from(full, zr, zi, t2c, t2s, na, pr, pi, sv, sjv);
}

/// [`run_sums`] for atoms `from..na`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_sums_from(
    from: usize,
    zr: &[f64],
    zi: &[f64],
    t2c: &[f64],
    t2s: &[f64],
    na: usize,
    pr: &[f64],
    pi: &[f64],
    sv: &mut [f64],
    sjv: &mut [f64],
) {
    for i in from..na {
        let (a, b) = (zr[i], zi[i]);
        let (mut s, mut sj) = (0.0, 0.0);
        for j in 0..pr.len() {
            let (c, d) = (t2c[j * na + i], t2s[j * na + i]);
            let cr = a * c - b * d;
            let si = a * d + b * c;
            let v = pr[j] * si - pi[j] * cr;
            s += v;
            sj += j as f64 * v;
        }
        sv[i] = s;
        sjv[i] = sj;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 copies of [`super::dot_complex`] and [`super::run_sums`], operation for
    //! operation the same as the baseline code.
    use super::{finish_dot, run_sums_from, LANES};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn dot_complex(zr: &[f64], zi: &[f64], tc: &[f64], ts: &[f64]) -> (f64, f64) {
        let n = zr.len();
        assert!(zi.len() >= n && tc.len() >= n && ts.len() >= n);
        let full = n / LANES * LANES;
        let mut ar = [0.0; LANES];
        let mut ai = [0.0; LANES];
        // SAFETY: every load reads i..i + 8 ≤ full ≤ n elements of slices of length ≥ n.
        unsafe {
            let (mut ar0, mut ar1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let (mut ai0, mut ai1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let mut i = 0;
            while i < full {
                let a0 = _mm256_loadu_pd(zr.as_ptr().add(i));
                let a1 = _mm256_loadu_pd(zr.as_ptr().add(i + 4));
                let b0 = _mm256_loadu_pd(zi.as_ptr().add(i));
                let b1 = _mm256_loadu_pd(zi.as_ptr().add(i + 4));
                let c0 = _mm256_loadu_pd(tc.as_ptr().add(i));
                let c1 = _mm256_loadu_pd(tc.as_ptr().add(i + 4));
                let d0 = _mm256_loadu_pd(ts.as_ptr().add(i));
                let d1 = _mm256_loadu_pd(ts.as_ptr().add(i + 4));
                // ar += a·c − b·d, ai += a·d + b·c
                ar0 = _mm256_add_pd(
                    ar0,
                    _mm256_sub_pd(_mm256_mul_pd(a0, c0), _mm256_mul_pd(b0, d0)),
                );
                ar1 = _mm256_add_pd(
                    ar1,
                    _mm256_sub_pd(_mm256_mul_pd(a1, c1), _mm256_mul_pd(b1, d1)),
                );
                ai0 = _mm256_add_pd(
                    ai0,
                    _mm256_add_pd(_mm256_mul_pd(a0, d0), _mm256_mul_pd(b0, c0)),
                );
                ai1 = _mm256_add_pd(
                    ai1,
                    _mm256_add_pd(_mm256_mul_pd(a1, d1), _mm256_mul_pd(b1, c1)),
                );
                i += LANES;
            }
            _mm256_storeu_pd(ar.as_mut_ptr(), ar0);
            _mm256_storeu_pd(ar.as_mut_ptr().add(4), ar1);
            _mm256_storeu_pd(ai.as_mut_ptr(), ai0);
            _mm256_storeu_pd(ai.as_mut_ptr().add(4), ai1);
        }
        finish_dot(
            ar,
            ai,
            &zr[full..n],
            &zi[full..n],
            &tc[full..n],
            &ts[full..n],
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    pub(super) fn run_sums(
        zr: &[f64],
        zi: &[f64],
        t2c: &[f64],
        t2s: &[f64],
        na: usize,
        pr: &[f64],
        pi: &[f64],
        sv: &mut [f64],
        sjv: &mut [f64],
    ) {
        let len = pr.len();
        assert!(zr.len() >= na && zi.len() >= na && sv.len() >= na && sjv.len() >= na);
        assert!(pi.len() >= len && t2c.len() >= len * na && t2s.len() >= len * na);
        // Each atom's sums are independent, so blocks of 8 atoms (two registers, four
        // independent addition chains to hide their latency) give the same bits as one atom at
        // a time.
        let full = na / 8 * 8;
        // SAFETY: atom blocks i..i + 8 ≤ full ≤ na and rows j < len lie inside the slices
        // (asserted above).
        unsafe {
            let mut i = 0;
            while i < full {
                let a0 = _mm256_loadu_pd(zr.as_ptr().add(i));
                let a1 = _mm256_loadu_pd(zr.as_ptr().add(i + 4));
                let b0 = _mm256_loadu_pd(zi.as_ptr().add(i));
                let b1 = _mm256_loadu_pd(zi.as_ptr().add(i + 4));
                let (mut s0, mut s1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
                let (mut sj0, mut sj1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
                for j in 0..len {
                    let p = _mm256_set1_pd(*pr.get_unchecked(j));
                    let m = _mm256_set1_pd(*pi.get_unchecked(j));
                    let jf = _mm256_set1_pd(j as f64);
                    let row_c = t2c.as_ptr().add(j * na + i);
                    let row_s = t2s.as_ptr().add(j * na + i);
                    let (c0, c1) = (_mm256_loadu_pd(row_c), _mm256_loadu_pd(row_c.add(4)));
                    let (d0, d1) = (_mm256_loadu_pd(row_s), _mm256_loadu_pd(row_s.add(4)));
                    // cr = a·c − b·d, si = a·d + b·c, v = p·si − m·cr
                    let cr0 = _mm256_sub_pd(_mm256_mul_pd(a0, c0), _mm256_mul_pd(b0, d0));
                    let cr1 = _mm256_sub_pd(_mm256_mul_pd(a1, c1), _mm256_mul_pd(b1, d1));
                    let si0 = _mm256_add_pd(_mm256_mul_pd(a0, d0), _mm256_mul_pd(b0, c0));
                    let si1 = _mm256_add_pd(_mm256_mul_pd(a1, d1), _mm256_mul_pd(b1, c1));
                    let v0 = _mm256_sub_pd(_mm256_mul_pd(p, si0), _mm256_mul_pd(m, cr0));
                    let v1 = _mm256_sub_pd(_mm256_mul_pd(p, si1), _mm256_mul_pd(m, cr1));
                    s0 = _mm256_add_pd(s0, v0);
                    s1 = _mm256_add_pd(s1, v1);
                    sj0 = _mm256_add_pd(sj0, _mm256_mul_pd(jf, v0));
                    sj1 = _mm256_add_pd(sj1, _mm256_mul_pd(jf, v1));
                }
                _mm256_storeu_pd(sv.as_mut_ptr().add(i), s0);
                _mm256_storeu_pd(sv.as_mut_ptr().add(i + 4), s1);
                _mm256_storeu_pd(sjv.as_mut_ptr().add(i), sj0);
                _mm256_storeu_pd(sjv.as_mut_ptr().add(i + 4), sj1);
                i += 8;
            }
        }
        run_sums_from(full, zr, zi, t2c, t2s, na, pr, pi, sv, sjv);
    }
}

/// Reciprocal forces on a chunk's atoms from the summed structure factor:
/// F_i = 2 q_i Σ_k A_k k [Re S sin(k·r_i) − Im S cos(k·r_i)], with the k of a run written
/// k_j = k_first + j·b₂, so that F_i = 2 q_i Σ_runs (k_first·sv_i + b₂·sjv_i).
pub(super) fn force_chunk(
    ks: &KSpace,
    p_re: &[f64],
    p_im: &[f64],
    q: &[f64],
    c: &mut ChunkScratch,
    forces: &mut [[f64; 3]],
) {
    let na = c.na;
    debug_assert_eq!(na, forces.len());
    let avx2 = use_avx2();
    let b2 = ks.recip[2];
    let (zr, zi) = (&mut c.zr[..na], &mut c.zi[..na]);
    let (sv, sjv) = (&mut c.sv[..na], &mut c.sjv[..na]);
    let (fx, fy, fz) = (&mut c.fx[..na], &mut c.fy[..na], &mut c.fz[..na]);
    fx.fill(0.0);
    fy.fill(0.0);
    fz.fill(0.0);
    for g in &ks.groups {
        group_phase(&c.t0c, &c.t0s, &c.t1c, &c.t1s, g, na, None, zr, zi);
        let (start, len) = (g.start as usize, g.len as usize);
        let rows = g.i2 as usize * na..(g.i2 as usize + len) * na;
        let (t2c, t2s) = (&c.t2c[rows.clone()], &c.t2s[rows]);
        let (pr, pi) = (&p_re[start..start + len], &p_im[start..start + len]);
        if avx2 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has AVX2 (use_avx2).
            unsafe {
                avx2::run_sums(zr, zi, t2c, t2s, na, pr, pi, sv, sjv)
            };
        } else {
            run_sums(zr, zi, t2c, t2s, na, pr, pi, sv, sjv);
        }
        let k0 = ks.kvec[start];
        for i in 0..na {
            fx[i] += sv[i] * k0[0] + sjv[i] * b2[0];
            fy[i] += sv[i] * k0[1] + sjv[i] * b2[1];
            fz[i] += sv[i] * k0[2] + sjv[i] * b2[2];
        }
    }
    for (i, f) in forces.iter_mut().enumerate() {
        let s = 2.0 * q[i];
        f[0] += s * fx[i];
        f[1] += s * fy[i];
        f[2] += s * fz[i];
    }
}

/// Fills table rows by recursion from row `mid + 1` (= e^{iθ}, already set): row mid is 1,
/// row mid + n = row mid + n − 1 times e^{iθ} for n = 2..=up, and row mid − n is the
/// conjugate of row mid + n for n = 1..=mid (`mid` = 0 for the one-sided n₀ table).
fn fill_rows(c: &mut [f64], s: &mut [f64], na: usize, mid: usize, up: usize) {
    c[mid * na..(mid + 1) * na].fill(1.0);
    s[mid * na..(mid + 1) * na].fill(0.0);
    for n in 2..=up {
        let (prev, cur) = ((mid + n - 1) * na, (mid + n) * na);
        for i in 0..na {
            let (pc, ps) = (c[prev + i], s[prev + i]);
            let (ec, es) = (c[(mid + 1) * na + i], s[(mid + 1) * na + i]);
            c[cur + i] = pc * ec - ps * es;
            s[cur + i] = pc * es + ps * ec;
        }
    }
    for n in 1..=mid {
        let (src, dst) = ((mid + n) * na, (mid - n) * na);
        for i in 0..na {
            c[dst + i] = c[src + i];
            s[dst + i] = -s[src + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ewald::{Ewald, EwaldParams};
    use crate::Cell;

    /// The AVX2 and the baseline kernels give the same bits (run on an AVX2 machine).
    #[test]
    fn avx2_and_baseline_kernels_agree_bitwise() {
        let cell = Cell::new([13.0, 0.0, 0.0], [2.0, 12.5, 0.0], [-1.0, 1.5, 12.0]).unwrap();
        // 301 atoms: two chunks, the second not a multiple of 8 atoms.
        let n = 301;
        let mut x = Vec::with_capacity(n);
        let mut q = Vec::with_capacity(n);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..n {
            x.push(cell.to_cartesian([uniform(), uniform(), uniform()]));
            q.push(if i % 2 == 0 { 1.0 } else { -1.0 } * (0.5 + uniform()));
        }
        let net: f64 = q.iter().sum();
        q[0] -= net;
        let params = EwaldParams::for_cutoff(1e-6, 6.0, &cell, &q).unwrap();
        let run = |baseline: bool| {
            FORCE_BASELINE.store(baseline, std::sync::atomic::Ordering::Relaxed);
            let mut ewald = Ewald::new(params, &cell);
            let mut f = vec![[0.0; 3]; n];
            let ev = ewald.reciprocal(&cell, &x, &q, &mut f, true);
            FORCE_BASELINE.store(false, std::sync::atomic::Ordering::Relaxed);
            (ev, f)
        };
        let (ev_fast, f_fast) = run(false);
        let (ev_base, f_base) = run(true);
        assert_eq!(ev_fast.energy.to_bits(), ev_base.energy.to_bits());
        for (a, b) in f_fast.iter().flatten().zip(f_base.iter().flatten()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        if !use_avx2() {
            eprintln!("note: no AVX2 on this machine; both runs used the baseline kernels");
        }
    }
}
