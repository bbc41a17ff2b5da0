//! Damped shifted-force Coulomb against an independent evaluation of Fennell & Gezelter's
//! formula (J. Chem. Phys. 124, 234104 (2006), eq. 19, with LAMMPS `coul/dsf`'s self term),
//! and its measured force error against a converged Ewald sum.

use mdsim_core::coulomb::{CoulombParams, DsfParams};
use mdsim_core::erfc::erfc;
use mdsim_core::neighbor::brute_force_pairs;
use mdsim_core::units::COULOMB_EV_A;
use mdsim_core::Cell;
use std::f64::consts::PI;

mod support;
use support::*;

/// The DSF energy written out directly: Σ_pairs k_e q_i q_j [erfc(αr)/r − erfc(αR)/R +
/// (erfc(αR)/R² + 2α/√π e^{−α²R²}/R)(r − R)] − Σ_i k_e q_i² [erfc(αR)/R + α/√π e^{−α²R²} + α/√π].
fn dsf_energy_direct(alpha: f64, rc: f64, cell: &Cell, x: &[[f64; 3]], q: &[f64]) -> f64 {
    let ec = erfc(alpha * rc);
    let gc = 2.0 * alpha / PI.sqrt() * (-alpha * alpha * rc * rc).exp();
    let slope = ec / (rc * rc) + gc / rc;
    let mut e = 0.0;
    for (i, j, d) in brute_force_pairs(cell, x, rc) {
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        e += COULOMB_EV_A * q[i] * q[j] * (erfc(alpha * r) / r - ec / rc + slope * (r - rc));
    }
    let q2: f64 = q.iter().map(|v| v * v).sum();
    e - COULOMB_EV_A * q2 * (ec / rc + 0.5 * gc + alpha / PI.sqrt())
}

#[test]
fn energy_and_forces_match_the_direct_formula() {
    let cell = triclinic_small();
    let (x, q) = ionic_configuration(&cell, [4, 4, 4], 31);
    let (alpha, rc) = (0.2, 4.5);
    let p = DsfParams::new(alpha, rc).unwrap();
    let term = p.real_space();
    let pairs = brute_force_pairs(&cell, &x, rc);
    let mut f = vec![[0.0; 3]; x.len()];
    let real = real_space_with(&term, &pairs, &q, &mut f);
    let e = real.energy + p.self_energy(&q);
    let e_direct = dsf_energy_direct(alpha, rc, &cell, &x, &q);
    println!("DSF energy {e:.12} eV, direct {e_direct:.12} eV");
    assert!((e - e_direct).abs() < 1e-11 * e_direct.abs());
    // Forces against finite differences of the direct energy.
    let h = 1e-5;
    for &i in &[0usize, 13, 40] {
        for d in 0..3 {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i][d] += h;
            xm[i][d] -= h;
            let fd = -(dsf_energy_direct(alpha, rc, &cell, &xp, &q)
                - dsf_energy_direct(alpha, rc, &cell, &xm, &q))
                / (2.0 * h);
            assert!(
                (fd - f[i][d]).abs() < 1e-6 * (1.0 + fd.abs()),
                "{fd} vs {}",
                f[i][d]
            );
        }
    }
    // Energy and force vanish at the cutoff.
    let (e_c, f_c) = term.pair_exact(1.0, rc * rc);
    assert!(e_c.abs() < 1e-14 && f_c.abs() < 1e-14);
}

/// The error DSF reports equals the RMS force difference to a converged Ewald sum.
#[test]
fn measured_error_is_the_difference_to_ewald() {
    let cell = Cell::orthorhombic(23.0, 23.0, 23.0).unwrap();
    let (x, q) = ionic_configuration(&cell, [10, 10, 10], 14);
    let mut p = DsfParams::new(0.2, 10.0).unwrap();
    p.measure_error(&cell, &x, &q).unwrap();
    let pairs = brute_force_pairs(&cell, &x, 11.0);
    let reference = total_with_pairs(tight(6.5 / 11.0, &cell, &q), &cell, &x, &q, &pairs);
    let f_dsf = mdsim_core::coulomb::dsf::coulomb_forces(&CoulombParams::Dsf(p), &cell, &x, &q);
    let (err, rel) = rms_force_error(&f_dsf, &reference.forces);
    let reported = p.error_relative.unwrap();
    println!(
        "DSF α 0.2, R_c 10 Å: RMS force error {err:.3e} k_e ({rel:.2e} of RMS F); reported \
         {reported:.3e} ({:.2e})",
        p.error_over_rms_force.unwrap()
    );
    assert!((reported - err).abs() < 1e-3 * err);
}
