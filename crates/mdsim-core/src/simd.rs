//! Which SIMD code the force loop and the neighbour-list build run. The AVX2 copies perform
//! the same IEEE operations in the same order as the portable code (no FMA; Rust never
//! contracts a·b + c), so the choice changes speed only, never a bit of the results; unit
//! tests run both and compare.

/// True when the CPU can run the AVX2 code paths (AVX2 and POPCNT: every AVX2 CPU has both).
pub(crate) fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
