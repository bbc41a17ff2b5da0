//! Units and fixed numerical factors of this crate, in one place (DESIGN.md §2).
//!
//! Internally everything is in mdsim "metal" units: length Å, time ps, so an MSD is in Å²,
//! a velocity autocorrelation in Å²/ps² and a diffusion coefficient in Å²/ps. Reported
//! diffusion coefficients are also given in cm²/s.

/// 1 Å²/ps in cm²/s: (1e-8 cm)² / 1e-12 s = 1e-4 cm²/s.
pub const CM2_PER_S_PER_A2_PER_PS: f64 = 1e-4;

/// Spatial dimension. Einstein: MSD(t) → 2·d·D·t; Green–Kubo: D = (1/d) ∫ Z(t) dt.
pub const DIMENSIONS: f64 = 3.0;

/// Einstein factor 2·d: D = (slope of the per-particle MSD) / 6 in three dimensions.
pub const EINSTEIN_FACTOR: f64 = 2.0 * DIMENSIONS;

/// Converts a diffusion coefficient from Å²/ps to cm²/s.
pub fn a2_ps_to_cm2_s(d_a2_ps: f64) -> f64 {
    d_a2_ps * CM2_PER_S_PER_A2_PER_PS
}

/// Elementary charge in C (CODATA 2018, exact).
pub const ELEMENTARY_CHARGE_C: f64 = 1.602_176_634e-19;

/// Boltzmann constant in J/K (CODATA 2018, exact).
pub const BOLTZMANN_J_PER_K: f64 = 1.380_649e-23;

/// Boltzmann constant in eV/K (CODATA 2018).
pub const BOLTZMANN_EV_PER_K: f64 = 8.617_333_262e-5;

/// σ in S/cm per [e²·Å²/ps ÷ (Å³·K)]: σ = e² D / (Ω k_B T) (DESIGN.md §5) with the
/// collective diffusion coefficient D in e²·Å²/ps, Ω in Å³ and T in K:
/// e²/k_B · (1e-8 m²/s) / (1e-30 m³) / (100 cm/m) = 1.8592e5.
pub const S_PER_CM_PER_E2_A2_PS_PER_A3_K: f64 =
    ELEMENTARY_CHARGE_C * ELEMENTARY_CHARGE_C / BOLTZMANN_J_PER_K * 1e-8 / 1e-30 / 100.0;

/// Conductivity in S/cm from the charge-weighted collective diffusion coefficient
/// `d_e2_a2_ps` = lim ⟨|Σ_i q_i Δr_i(t)|²⟩ / (6t) (e²·Å²/ps), the volume (Å³) and the
/// temperature (K): σ = D / (Ω k_B T). The tracer form is σ_tr = q² N D* / (Ω k_B T).
pub fn conductivity_s_cm(d_e2_a2_ps: f64, volume_a3: f64, temperature_k: f64) -> f64 {
    S_PER_CM_PER_E2_A2_PS_PER_A3_K * d_e2_a2_ps / (volume_a3 * temperature_k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_check_value() {
        // DESIGN.md §5: 16 ions z = 1 in 1000 Å³, D = 6.31e-8 cm²/s, 300 K → 6.26e-3 S/cm, and
        // the prefactor 1.8592e9 of σ = 1.8592e9 z² n D / T (n in Å⁻³, D in cm²/s).
        let d_a2_ps = 6.31e-8 / CM2_PER_S_PER_A2_PER_PS;
        let sigma = conductivity_s_cm(16.0 * d_a2_ps, 1000.0, 300.0);
        assert!((sigma - 6.26e-3).abs() < 0.005e-3, "{sigma}");
        let prefactor = S_PER_CM_PER_E2_A2_PS_PER_A3_K / CM2_PER_S_PER_A2_PER_PS;
        assert!((prefactor / 1.8592e9 - 1.0).abs() < 1e-4, "{prefactor}");
    }
}
