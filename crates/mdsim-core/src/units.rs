//! Physical constants and unit conversions for "metal" units (LAMMPS convention).
//!
//! Lengths in Å, time in ps, energy in eV, mass in g/mol (amu), charge in e,
//! temperature in K, pressure in bar (eV/Å³ internally). CODATA 2018 values.
//! Every conversion factor of the engine lives here; nowhere else.

/// Boltzmann constant, eV/K.
pub const BOLTZMANN_EV_K: f64 = 8.617333262e-5;
/// Boltzmann constant, J/K.
pub const BOLTZMANN_J_K: f64 = 1.380649e-23;
/// Elementary charge, C.
pub const ELEMENTARY_CHARGE_C: f64 = 1.602176634e-19;
/// Coulomb constant e²/(4πε₀), eV·Å.
pub const COULOMB_EV_A: f64 = 14.3996454784;
/// 1 eV expressed in amu·Å²/ps². Acceleration [Å/ps²] = F [eV/Å] / m [amu] × this.
pub const EV_TO_AMU_A2_PS2: f64 = 9648.53321233;
/// 1 amu·Å²/ps² in eV (kinetic energy ½mv² → eV).
pub const AMU_A2_PS2_TO_EV: f64 = 1.0 / EV_TO_AMU_A2_PS2;
/// 1 eV/Å³ in bar.
pub const EV_PER_A3_TO_BAR: f64 = 1.602176634e6;
/// 1 Å²/ps in cm²/s.
pub const A2_PER_PS_TO_CM2_PER_S: f64 = 1e-4;
/// ASE's unit of time in ps: Å·√(amu/eV) = 1e-10·√(amu/e) s with ASE's default constants
/// (CODATA 2014: e = 1.6021766208e-19 C, amu = 1.660539040e-27 kg, `ase.units`), ≈ 10.18 fs.
/// ASE's velocities are in Å per this unit and its momenta in amu·Å per this unit:
/// v [Å/ps] = p / m / ASE_TIME_UNIT_PS.
pub const ASE_TIME_UNIT_PS: f64 = 0.010180505671156723;

#[cfg(test)]
mod tests {
    use super::*;

    /// The amu·Å²/ps² ↔ eV factor follows from the SI definitions:
    /// 1 amu = 1.66053906660e-27 kg, 1 Å²/ps² = 1e4 m²/s², 1 eV = 1.602176634e-19 J.
    #[test]
    fn energy_conversion_matches_si() {
        let amu_kg = 1.660_539_066_60e-27;
        let j_per_unit = amu_kg * 1e-20 / 1e-24;
        let ev = j_per_unit / ELEMENTARY_CHARGE_C;
        assert!((ev * EV_TO_AMU_A2_PS2 - 1.0).abs() < 1e-9);
        // 1 eV/Å³ = 1.602176634e-19 J / 1e-30 m³ = 1.602176634e11 Pa = 1.602176634e6 bar
        assert!((ELEMENTARY_CHARGE_C / 1e-30 / 1e5 - EV_PER_A3_TO_BAR).abs() < 1e-3);
        assert!((BOLTZMANN_J_K / ELEMENTARY_CHARGE_C - BOLTZMANN_EV_K).abs() < 1e-14);
    }

    /// ASE (`ase.units`, CODATA 2014): second = 1e10·√(e/amu), so one ASE time unit is
    /// 1e-10·√(amu/e) s = 1e2·√(amu/e) ps.
    #[test]
    fn ase_time_unit_follows_from_codata_2014() {
        let (e, amu) = (1.6021766208e-19_f64, 1.660539040e-27_f64);
        let unit_ps = 1e2 * (amu / e).sqrt();
        assert!((unit_ps / ASE_TIME_UNIT_PS - 1.0).abs() < 1e-15);
    }
}
