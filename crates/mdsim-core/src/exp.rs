//! exp(x) without branches, for pair kernels: the algorithm of the `libm` crate (musl /
//! FreeBSD `e_exp.c`: reduction x = k·ln2 + r, rational approximation of e^r, scaling by
//! 2^k) with its branches replaced by arithmetic and selects, so the compiler can inline it
//! and evaluate several pairs in one SIMD register. It returns the same bits as
//! `libm::exp` (the unit tests compare millions of arguments), so results do not change;
//! only pairs of rounding ties of x/ln2 could differ, by choosing the other k (≤ 1 ulp).

// The constants of e_exp.c, by their bits.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INV_LN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);
/// Above this, e^x overflows.
const X_MAX: f64 = 709.782_712_893_384;
/// Below this, e^x is below half the smallest subnormal.
const X_MIN: f64 = -745.133_219_101_941_1;
/// 1.5·2^52: adding and subtracting it rounds a double below 2^51 to an integer.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// e^x for every x (NaN gives NaN).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let kf = (x * INV_LN2 + ROUND) - ROUND;
    let hi = x - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    // 2^k as two factors, so that k down to −1075 (subnormal results) and up to 1024 work;
    // multiplying by powers of two rounds once, like scalbn.
    let k = kf.clamp(-1076.0, 1025.0) as i64;
    let k1 = k / 2;
    let scale = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    let e = y * scale(k1) * scale(k - k1);
    if x > X_MAX {
        f64::INFINITY
    } else if x < X_MIN {
        0.0
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn check(x: f64) {
        let (a, b) = (exp(x), libm::exp(x));
        assert!(a.to_bits() == b.to_bits(), "exp({x:e}) = {a:e}, libm {b:e}");
    }

    /// The same bits as `libm::exp` on 2·10⁶ random arguments over the whole range, on
    /// the ranges the pair kernels use, and at the edges.
    #[test]
    fn same_bits_as_libm() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for _ in 0..1_000_000 {
            check(rng.random_range(X_MIN..X_MAX));
            check(rng.random_range(-80.0..5.0));
        }
        for x in [
            0.0, -0.0, 1e-300, -1e-300, 1e-20, 0.3, 0.5, 1.0, -1.0, 700.0, 709.78, -708.0, -708.5,
            -740.0, -745.0, X_MAX, X_MIN,
        ] {
            check(x);
        }
        assert_eq!(exp(X_MAX * 1.0000001), f64::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
    }
}
