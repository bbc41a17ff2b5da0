//! Ewald summation against independent references: Madelung constants, independence of the
//! splitting parameter, forces = −∇E and virial = strain derivative by finite differences, the
//! force accuracy actually delivered for a requested accuracy, thread-count independence of
//! the bits, and LAMMPS' choice of parameters.
//!
//! The real-space part is summed here by brute force over all pairs and lattice images
//! (`brute_force_pairs`) with `Ewald::real_pair`, so the tests do not depend on the neighbour
//! list.

use mdsim_core::ewald::{Ewald, EwaldError, EwaldParams};
use mdsim_core::forces::EnergyVirial;
use mdsim_core::neighbor::brute_force_pairs;
use mdsim_core::units::COULOMB_EV_A;
use mdsim_core::Cell;
use rand::{RngExt, SeedableRng};

mod support;
use support::*;

// ---------------------------------------------------------------------------------------------
// Madelung constants
// ---------------------------------------------------------------------------------------------

/// Reference Madelung constants, referred to the nearest-neighbour distance:
/// - NaCl: OEIS A085469, 1.7475645946331821906362120355…
/// - CsCl: OEIS A181152, 1.7626747730709883979356733206…
/// - zinc blende: 1.63805505338879 (15 digits; Y. Sakamoto, J. Chem. Phys. 28, 164 (1958),
///   as used in the Ewald test of GPAW, gpaw/test/utilities/ewald.py)
/// - ideal wurtzite (c/a = √(8/3), u = 3/8): 1.64132162737 (12 digits; same test, same
///   source); Wikipedia's table quotes 1.641.
const MADELUNG_NACL: f64 = 1.747_564_594_633_182_2;
const MADELUNG_CSCL: f64 = 1.762_674_773_070_988_4;
const MADELUNG_ZINCBLENDE: f64 = 1.638_055_053_388_79;
const MADELUNG_WURTZITE: f64 = 1.641_321_627_37;

/// Madelung constant of a structure of N_pairs ±1 ion pairs: E = −N_pairs·M·k_e/r0.
/// Evaluated three ways: with tight explicit parameters (α·r_c = 6.5, k_c = 13α, r_c = 2 r0),
/// with the parameters LAMMPS would choose for `accuracy` and r_c = 2 r0, and with ours for
/// `accuracy`; returns the three values.
fn madelung(cell: &Cell, frac: &[[f64; 3]], charges: &[f64], r0: f64, accuracy: f64) -> [f64; 3] {
    let positions: Vec<[f64; 3]> = frac.iter().map(|&s| cart(cell, s)).collect();
    let n_pairs = charges.len() as f64 / 2.0;
    let m = |params: EwaldParams| {
        -total(params, cell, &positions, charges).energy * r0 / (n_pairs * COULOMB_EV_A)
    };
    let tight_params = tight(6.5 / (2.0 * r0), cell, charges);
    let lammps = EwaldParams::for_cutoff(accuracy, 2.0 * r0, cell, charges).unwrap();
    let ours = EwaldParams::optimized(accuracy, 0.5 * r0, cell, charges).unwrap();
    [m(tight_params), m(lammps), m(ours)]
}

#[test]
fn madelung_constants() {
    let acc = 1e-13;
    // `digits`: significant digits of the reference value.
    let check = |name: &str, m: [f64; 3], reference: f64, digits: i32| {
        let tolerance = (0.5 * 10f64.powi(1 - digits)).max(1e-14) * reference;
        println!(
            "{name}: M = {:.16} (tight), {:.16} (for_cutoff {acc:.0e}), {:.16} (optimized \
             {acc:.0e}); reference {reference:.16}",
            m[0], m[1], m[2]
        );
        assert!(
            (m[0] - reference).abs() <= tolerance,
            "{name}: {} vs {reference}",
            m[0]
        );
        for v in &m[1..] {
            assert!(
                (v - reference).abs() <= tolerance + 5e-13 * reference,
                "{name}: {v}"
            );
        }
    };

    // NaCl, primitive fcc cell (triclinic cell vectors), a = 5.64 Å.
    let a = 5.64;
    let fcc = Cell::new(
        [0.0, a / 2.0, a / 2.0],
        [a / 2.0, 0.0, a / 2.0],
        [a / 2.0, a / 2.0, 0.0],
    )
    .unwrap();
    let m = madelung(&fcc, &[[0.0; 3], [0.5; 3]], &[1.0, -1.0], a / 2.0, acc);
    check("NaCl (primitive)", m, MADELUNG_NACL, 17);

    // NaCl, conventional cubic cell of 8 ions (orthorhombic code path).
    let cube = Cell::orthorhombic(a, a, a).unwrap();
    let mut frac = Vec::new();
    let mut q = Vec::new();
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..2 {
                frac.push([i, j, k].map(|x| x as f64 * 0.5));
                q.push(if (i + j + k) % 2 == 0 { 1.0 } else { -1.0 });
            }
        }
    }
    let m = madelung(&cube, &frac, &q, a / 2.0, acc);
    check("NaCl (cubic, 8 ions)", m, MADELUNG_NACL, 17);

    // CsCl, a = 4.12 Å, r0 = a√3/2.
    let a = 4.12;
    let sc = Cell::orthorhombic(a, a, a).unwrap();
    let m = madelung(
        &sc,
        &[[0.0; 3], [0.5; 3]],
        &[1.0, -1.0],
        a * 3f64.sqrt() / 2.0,
        acc,
    );
    check("CsCl", m, MADELUNG_CSCL, 17);

    // Zinc blende, primitive fcc cell, a = 5.41 Å, anion at (¼, ¼, ¼), r0 = a√3/4.
    let a = 5.41;
    let fcc = Cell::new(
        [0.0, a / 2.0, a / 2.0],
        [a / 2.0, 0.0, a / 2.0],
        [a / 2.0, a / 2.0, 0.0],
    )
    .unwrap();
    let m = madelung(
        &fcc,
        &[[0.0; 3], [0.25; 3]],
        &[1.0, -1.0],
        a * 3f64.sqrt() / 4.0,
        acc,
    );
    check("zinc blende", m, MADELUNG_ZINCBLENDE, 15);

    // Ideal wurtzite, a = 3.82 Å, c = √(8/3) a, u = 3/8, r0 = u c (hexagonal cell).
    let a = 3.82;
    let c = (8.0f64 / 3.0).sqrt() * a;
    let u = 0.375;
    let s3 = 3f64.sqrt();
    let hex = Cell::new(
        [0.5 * a, -0.5 * s3 * a, 0.0],
        [0.5 * a, 0.5 * s3 * a, 0.0],
        [0.0, 0.0, c],
    )
    .unwrap();
    let cartesian = [
        [0.5 * a, 0.5 / s3 * a, 0.0],
        [0.5 * a, -0.5 / s3 * a, 0.5 * c],
        [0.5 * a, 0.5 / s3 * a, u * c],
        [0.5 * a, -0.5 / s3 * a, (0.5 + u) * c],
    ];
    let frac: Vec<[f64; 3]> = cartesian.iter().map(|&x| hex.to_fractional(x)).collect();
    let m = madelung(&hex, &frac, &[1.0, 1.0, -1.0, -1.0], u * c, acc);
    check("wurtzite (ideal)", m, MADELUNG_WURTZITE, 12);
}

// ---------------------------------------------------------------------------------------------
// Random ionic configurations
// ---------------------------------------------------------------------------------------------

#[test]
fn energy_is_independent_of_alpha() {
    let cell = triclinic_small();
    let (positions, charges) = ionic_configuration(&cell, [4, 4, 4], 11);
    let energies: Vec<f64> = [0.3, 0.42, 0.6]
        .iter()
        .map(|&alpha| {
            let params = tight(alpha, &cell, &charges);
            let e = total(params, &cell, &positions, &charges).energy;
            println!(
                "α = {alpha}: rc = {:.3} Å, k_c = {:.3} 1/Å, E = {e:.12} eV",
                params.real_cutoff, params.k_cutoff
            );
            e
        })
        .collect();
    for e in &energies[1..] {
        let rel = ((e - energies[0]) / energies[0]).abs();
        println!("relative difference {rel:.1e}");
        assert!(rel <= 1e-10, "{e} vs {}", energies[0]);
    }
}

#[test]
fn forces_are_minus_the_energy_gradient() {
    let cell = triclinic_small();
    let (positions, charges) = ionic_configuration(&cell, [4, 4, 4], 12);
    let params = tight(0.6, &cell, &charges);
    let reference = total(params, &cell, &positions, &charges);
    let rms_force = (reference
        .forces
        .iter()
        .map(|f| f[0] * f[0] + f[1] * f[1] + f[2] * f[2])
        .sum::<f64>()
        / positions.len() as f64)
        .sqrt();

    // Reciprocal part alone as well: its forces against its own energy.
    let recip_energy = |x: &[[f64; 3]]| {
        let mut ewald = Ewald::new(params, &cell);
        let mut f = vec![[0.0; 3]; x.len()];
        ewald.reciprocal(&cell, x, &charges, &mut f, true).energy
    };
    let mut recip_forces = vec![[0.0; 3]; positions.len()];
    Ewald::new(params, &cell).reciprocal(&cell, &positions, &charges, &mut recip_forces, false);

    let h = 1e-5;
    let mut worst: f64 = 0.0;
    let mut worst_recip: f64 = 0.0;
    for &i in &[0usize, 5, 17, 30, 42, 63] {
        for d in 0..3 {
            let mut plus = positions.clone();
            let mut minus = positions.clone();
            plus[i][d] += h;
            minus[i][d] -= h;
            let fd = -(total(params, &cell, &plus, &charges).energy
                - total(params, &cell, &minus, &charges).energy)
                / (2.0 * h);
            let err = (fd - reference.forces[i][d]).abs() / rms_force;
            worst = worst.max(err);
            let fd_recip = -(recip_energy(&plus) - recip_energy(&minus)) / (2.0 * h);
            worst_recip = worst_recip.max((fd_recip - recip_forces[i][d]).abs() / rms_force);
        }
    }
    println!(
        "RMS force {rms_force:.4} eV/Å; max |F − (−∇E)| / RMS F: total {worst:.2e}, \
         reciprocal {worst_recip:.2e}"
    );
    assert!(worst <= 1e-6);
    assert!(worst_recip <= 1e-6);
}

#[test]
fn virial_is_minus_the_strain_derivative() {
    let cell = triclinic_small();
    let (positions, charges) = ionic_configuration(&cell, [4, 4, 4], 13);
    let params = tight(0.6, &cell, &charges);
    let reference = total(params, &cell, &positions, &charges);
    let mut recip_virial = [0.0; 6];
    {
        let mut f = vec![[0.0; 3]; positions.len()];
        let ev = Ewald::new(params, &cell).reciprocal(&cell, &positions, &charges, &mut f, true);
        recip_virial.copy_from_slice(&ev.virial);
    }
    let recip_energy = |c: &Cell, x: &[[f64; 3]]| {
        let mut f = vec![[0.0; 3]; x.len()];
        Ewald::new(params, c)
            .reciprocal(c, x, &charges, &mut f, true)
            .energy
    };
    let scale = reference.virial[..3]
        .iter()
        .map(|w| w.abs())
        .fold(0.0, f64::max);
    let eps = 1e-6;
    let components = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)];
    for (k, &(a, b)) in components.iter().enumerate() {
        let (cp, xp) = strained(&cell, &positions, a, b, eps);
        let (cm, xm) = strained(&cell, &positions, a, b, -eps);
        let fd = -(total(params, &cp, &xp, &charges).energy
            - total(params, &cm, &xm, &charges).energy)
            / (2.0 * eps);
        let fd_recip = -(recip_energy(&cp, &xp) - recip_energy(&cm, &xm)) / (2.0 * eps);
        let err = (fd - reference.virial[k]).abs() / scale;
        let err_recip = (fd_recip - recip_virial[k]).abs() / scale;
        println!(
            "W[{a}{b}]: total {:.8} (finite difference {fd:.8}, rel. err {err:.1e}); \
             reciprocal {:.8} (fd {fd_recip:.8}, {err_recip:.1e})",
            reference.virial[k], recip_virial[k]
        );
        assert!(err <= 1e-7, "component {a}{b}");
        assert!(err_recip <= 1e-7, "reciprocal component {a}{b}");
    }
}

// ---------------------------------------------------------------------------------------------
// Delivered accuracy
// ---------------------------------------------------------------------------------------------

/// RMS force error of `params` against a tight reference, as LAMMPS defines the relative
/// accuracy (absolute RMS error per atom / (k_e·1 e²/Å²)), and relative to the RMS force.
fn force_error(
    params: EwaldParams,
    cell: &Cell,
    positions: &[[f64; 3]],
    charges: &[f64],
    pairs: &[(usize, usize, [f64; 3])],
    reference: &Total,
) -> (f64, f64) {
    assert!(params.real_cutoff <= 12.0);
    let t = total_with_pairs(params, cell, positions, charges, pairs);
    let n = positions.len() as f64;
    let mut err2 = 0.0;
    let mut f2 = 0.0;
    for (f, g) in t.forces.iter().zip(&reference.forces) {
        for d in 0..3 {
            err2 += (f[d] - g[d]).powi(2);
            f2 += g[d] * g[d];
        }
    }
    ((err2 / n).sqrt() / COULOMB_EV_A, (err2 / f2).sqrt())
}

#[test]
fn delivered_force_accuracy_meets_the_request() {
    // 1000 ions (125 Li3PO4 units) at 0.082 ions/Å³, orthorhombic and triclinic.
    let cells = [
        (
            "orthorhombic",
            Cell::orthorhombic(23.0, 23.0, 23.0).unwrap(),
        ),
        (
            "triclinic",
            Cell::new([23.5, 0.0, 0.0], [4.0, 22.6, 0.0], [-3.0, 2.5, 22.9]).unwrap(),
        ),
    ];
    for (name, cell) in &cells {
        let (positions, charges) = ionic_configuration(cell, [10, 10, 10], 14);
        // All pairs to 12 Å once; every parameter set below uses rc ≤ 12 Å.
        let pairs = brute_force_pairs(cell, &positions, 12.0);
        let reference_params = tight(6.5 / 12.0, cell, &charges);
        let reference = total_with_pairs(reference_params, cell, &positions, &charges, &pairs);
        println!("{name} cell, {} ions:", positions.len());
        for accuracy in [1e-4, 1e-5, 1e-6] {
            let lammps = EwaldParams::for_cutoff(accuracy, 10.0, cell, &charges).unwrap();
            let ours = EwaldParams::optimized(accuracy, 5.5, cell, &charges).unwrap();
            for (label, params) in [("for_cutoff(rc=10)", lammps), ("optimized(min 5.5)", ours)] {
                let (rel_lammps, rel_rms) =
                    force_error(params, cell, &positions, &charges, &pairs, &reference);
                let n_k = Ewald::new(params, cell).n_kvectors();
                println!(
                    "  request {accuracy:.0e} {label:>19}: α = {:.4}, rc = {:.2} Å, kmax = {:?}, \
                     {n_k} k-vectors; estimated {:.2e}; measured RMS error / k_e = {rel_lammps:.2e} \
                     (/ RMS force = {rel_rms:.2e})",
                    params.alpha, params.real_cutoff, params.kmax, params.estimated_accuracy
                );
                if label.starts_with("optimized") {
                    assert!(
                        rel_lammps <= accuracy,
                        "{name} {label}: measured {rel_lammps:e} > requested {accuracy:e}"
                    );
                } else {
                    // LAMMPS sets the real- and reciprocal-space estimates each to the request,
                    // so its own estimate of the total (and the measured error) is up to √2
                    // times the request.
                    assert!(
                        rel_lammps <= 1.5 * accuracy,
                        "{name} {label}: {rel_lammps:e}"
                    );
                    assert!(rel_lammps <= 1.2 * params.estimated_accuracy);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// LAMMPS' parameter choice
// ---------------------------------------------------------------------------------------------

/// LAMMPS `Ewald::rms`.
fn lammps_rms(km: i32, prd: f64, natoms: f64, q2: f64, g_ewald: f64) -> f64 {
    let km = km as f64;
    2.0 * q2 * g_ewald / prd
        * (1.0 / (std::f64::consts::PI * km * natoms)).sqrt()
        * (-std::f64::consts::PI.powi(2) * km * km / (g_ewald * g_ewald * prd * prd)).exp()
}

/// The number of k-vectors LAMMPS' `coeffs()` (orthorhombic) or `coeffs_triclinic()`
/// generates, by its own loops (kcount), for the reciprocal basis `b` (rows, 2π included).
fn lammps_kcount(kmax: [i32; 3], b: [[f64; 3]; 3], gsqmx: f64, triclinic: bool) -> usize {
    let sq = |n: [i32; 3]| {
        let k: [f64; 3] = std::array::from_fn(|c| {
            n[0] as f64 * b[0][c] + n[1] as f64 * b[1][c] + n[2] as f64 * b[2][c]
        });
        k[0] * k[0] + k[1] * k[1] + k[2] * k[2]
    };
    let [kx, ky, kz] = kmax;
    let km = kx.max(ky).max(kz);
    let mut count = 0;
    if !triclinic {
        for m in 1..=km {
            for n in [[m, 0, 0], [0, m, 0], [0, 0, m]] {
                count += usize::from(sq(n) <= gsqmx);
            }
        }
        for k in 1..=kx {
            for l in 1..=ky {
                count += 2 * usize::from(sq([k, l, 0]) <= gsqmx);
            }
        }
        for l in 1..=ky {
            for m in 1..=kz {
                count += 2 * usize::from(sq([0, l, m]) <= gsqmx);
            }
        }
        for k in 1..=kx {
            for m in 1..=kz {
                count += 2 * usize::from(sq([k, 0, m]) <= gsqmx);
            }
        }
        for k in 1..=kx {
            for l in 1..=ky {
                for m in 1..=kz {
                    count += 4 * usize::from(sq([k, l, m]) <= gsqmx);
                }
            }
        }
    } else {
        for k in 1..=kx {
            for l in -ky..=ky {
                for m in -kz..=kz {
                    count += usize::from(sq([k, l, m]) <= gsqmx);
                }
            }
        }
        for l in 1..=ky {
            for m in -kz..=kz {
                count += usize::from(sq([0, l, m]) <= gsqmx);
            }
        }
        for m in 1..=km {
            count += usize::from(sq([0, 0, m]) <= gsqmx);
        }
    }
    count
}

#[test]
fn for_cutoff_follows_lammps() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(15);
    let charges = li3po4_charges(100, &mut rng);
    let natoms = charges.len() as f64;
    let q2 = COULOMB_EV_A * charges.iter().map(|q| q * q).sum::<f64>();
    let cells = [
        Cell::orthorhombic(21.0, 23.5, 19.0).unwrap(),
        Cell::new([21.0, 0.0, 0.0], [3.0, 22.0, 0.0], [-2.5, 4.0, 20.0]).unwrap(),
        // A rotated, non-standard triclinic cell (a not along x).
        Cell::new([14.0, 15.0, 1.0], [-15.0, 14.0, 3.0], [2.0, -3.0, 20.0]).unwrap(),
    ];
    for cell in &cells {
        for accuracy in [1e-4, 1e-5, 1e-6] {
            let rc = 9.0;
            let p = EwaldParams::for_cutoff(accuracy, rc, cell, &charges).unwrap();
            let acc = accuracy * COULOMB_EV_A;
            // g_ewald as in Ewald::init.
            let volume = cell.volume();
            let g = acc * (natoms * rc * volume).sqrt() / (2.0 * q2);
            let alpha = if g >= 1.0 {
                (1.35 - 0.15 * acc.ln()) / rc
            } else {
                (-g.ln()).sqrt() / rc
            };
            assert!((p.alpha - alpha).abs() <= 1e-12 * alpha);
            // Box lengths of the restricted triclinic form: lx = |a|, ly = V/(lx·lz)… use
            // lz = V/|a × b| and ly = |a × b|/|a|.
            let (a, b) = (cell.vector(0), cell.vector(1));
            let axb = [
                a[1] * b[2] - a[2] * b[1],
                a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0],
            ];
            let norm = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let lx = norm(a);
            let ly = norm(axb) / lx;
            let lz = volume / norm(axb);
            let prd = [lx, ly, lz];
            // Smallest K per direction with rms(K) ≤ acc (LAMMPS setup()).
            let korig: [i32; 3] = std::array::from_fn(|d| {
                let mut k = 1;
                while lammps_rms(k, prd[d], natoms, q2, alpha) > acc {
                    k += 1;
                }
                k
            });
            let gsqmx = (0..3)
                .map(|d| (2.0 * std::f64::consts::PI * korig[d] as f64 / prd[d]).powi(2))
                .fold(0.0, f64::max)
                * 1.00001;
            assert!((p.k_cutoff * p.k_cutoff - gsqmx).abs() <= 1e-12 * gsqmx);
            let triclinic = !cell.is_orthorhombic();
            if !triclinic {
                assert_eq!(p.kmax, korig);
            } else {
                // lamda2xT with |tilts|: kmax_d = max(1, (int) (Hᵀ·(K/L))_d).
                let c = cell.vector(2);
                let dot = |u: [f64; 3], v: [f64; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
                let xy = dot(b, a) / lx;
                let xz = dot(c, a) / lx;
                let yz = (dot(b, c) - xy * xz) / ly;
                let t = [0, 1, 2].map(|d| korig[d] as f64 / prd[d]);
                let v = [
                    lx * t[0],
                    xy.abs() * t[0] + ly * t[1],
                    xz.abs() * t[0] + yz.abs() * t[1] + lz * t[2],
                ];
                assert_eq!(p.kmax, v.map(|x| (x as i32).max(1)));
            }
            // The k-vector set is LAMMPS' (its own loops, with our reciprocal basis).
            let h_inv = cell.matrix().try_inverse().unwrap();
            let recip: [[f64; 3]; 3] = std::array::from_fn(|d| {
                std::array::from_fn(|c| 2.0 * std::f64::consts::PI * h_inv[(d, c)])
            });
            let expected = lammps_kcount(p.kmax, recip, p.k_cutoff * p.k_cutoff, triclinic);
            let ewald = Ewald::new(p, cell);
            println!(
                "accuracy {accuracy:.0e}, {}: α = {:.6}, K = {korig:?}, kmax = {:?}, \
                 {} k-vectors (LAMMPS kcount {expected}), estimated accuracy {:.2e}",
                if triclinic {
                    "triclinic"
                } else {
                    "orthorhombic"
                },
                p.alpha,
                p.kmax,
                ewald.n_kvectors(),
                p.estimated_accuracy
            );
            assert_eq!(ewald.n_kvectors(), expected);
            assert!(p.estimated_accuracy <= 1.5 * accuracy);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Determinism and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn reciprocal_bits_do_not_depend_on_thread_count() {
    let cell = Cell::new([19.0, 0.0, 0.0], [2.0, 18.5, 0.0], [-1.0, 1.5, 18.0]).unwrap();
    let (positions, charges) = ionic_configuration(&cell, [8, 8, 10], 16); // 640 ions, 3 chunks
    let params = EwaldParams::for_cutoff(1e-5, 8.0, &cell, &charges).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut ewald = Ewald::new(params, &cell);
            let mut forces = vec![[0.0; 3]; positions.len()];
            let ev = ewald.reciprocal(&cell, &positions, &charges, &mut forces, true);
            // A second call reuses the scratch space and must give the same bits.
            let mut again = vec![[0.0; 3]; positions.len()];
            let ev2 = ewald.reciprocal(&cell, &positions, &charges, &mut again, true);
            assert_eq!(ev, ev2);
            assert_eq!(forces, again);
            (ev, forces)
        })
    };
    let (ev1, f1) = run(1);
    for threads in [2, 3] {
        let (ev, f) = run(threads);
        assert_eq!(ev.energy.to_bits(), ev1.energy.to_bits());
        assert!(ev
            .virial
            .iter()
            .zip(&ev1.virial)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        assert!(f
            .iter()
            .flatten()
            .zip(f1.iter().flatten())
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    // Forces only: the same force bits as with energy.
    let mut ewald = Ewald::new(params, &cell);
    let mut f = vec![[0.0; 3]; positions.len()];
    let ev = ewald.reciprocal(&cell, &positions, &charges, &mut f, false);
    assert_eq!(ev, EnergyVirial::default());
    assert_eq!(f, f1);
}

#[test]
fn non_neutral_cell_is_an_error() {
    let cell = Cell::orthorhombic(10.0, 10.0, 10.0).unwrap();
    let charges = [0.6, 0.6, -1.2, 0.3];
    for result in [
        EwaldParams::for_cutoff(1e-5, 4.0, &cell, &charges),
        EwaldParams::optimized(1e-5, 4.0, &cell, &charges),
    ] {
        let err = result.unwrap_err();
        let EwaldError::NonNeutral { net_charge } = err else {
            panic!("expected NonNeutral, got {err:?}");
        };
        assert!((net_charge - 0.3).abs() < 1e-12);
        assert!(err.to_string().contains("0.3000000000"), "{err}");
    }
    // Round-off far below the tolerance is accepted.
    let ok = [0.6, 0.6, 0.6, 3.0, -1.2, -1.2, -1.2, -1.2 + 1e-12];
    assert!(EwaldParams::for_cutoff(1e-5, 4.0, &cell, &ok).is_ok());
    assert_eq!(
        EwaldParams::for_cutoff(1e-5, 4.0, &cell, &[0.0, 0.0]),
        Err(EwaldError::NoCharges)
    );
    assert!(matches!(
        EwaldParams::for_cutoff(0.0, 4.0, &cell, &ok),
        Err(EwaldError::InvalidAccuracy { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Timing (run with `cargo test --release -p mdsim-core --test ewald -- --ignored --nocapture`)
// ---------------------------------------------------------------------------------------------

#[test]
#[ignore = "timing; run explicitly with --ignored --nocapture"]
fn timing_2970_ions() {
    let cell = Cell::orthorhombic(31.4, 30.6, 29.5).unwrap();
    let charges = mixed_charges(90);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(17);
    let positions: Vec<[f64; 3]> = (0..charges.len())
        .map(|_| cart(&cell, [0, 1, 2].map(|_| rng.random::<f64>())))
        .collect();
    let n = charges.len();
    let rho = n as f64 / cell.volume();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    // Cost of one real-space pair: real_pair and the force scatter over a compact pair array.
    let reference = EwaldParams::for_cutoff(1e-5, 10.0, &cell, &charges).unwrap();
    let ewald = Ewald::new(reference, &cell);
    let pairs: Vec<(u32, u32, [f64; 3])> = brute_force_pairs(&cell, &positions[..800], 10.0)
        .into_iter()
        .map(|(i, j, d)| (i as u32, j as u32, d))
        .collect();
    let mut forces = vec![[0.0; 3]; 800];
    let mut energy = 0.0;
    let t_pairs = best_time(|| {
        for &(i, j, d) in &pairs {
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let (e, f_over_r) = ewald.real_pair(charges[i as usize] * charges[j as usize], r2);
            energy += e;
            for k in 0..3 {
                forces[i as usize][k] -= f_over_r * d[k];
                forces[j as usize][k] += f_over_r * d[k];
            }
        }
    });
    let per_pair = t_pairs / pairs.len() as f64;
    println!(
        "real_pair + force scatter: {:.1} ns per pair ({} pairs; E {energy:.3})",
        1e9 * per_pair,
        pairs.len()
    );

    let report = |label: &str, params: EwaldParams| {
        let mut ewald = Ewald::new(params, &cell);
        let n_k = ewald.n_kvectors();
        let mut f = vec![[0.0; 3]; n];
        let (t_f, t_e) = one_thread.install(|| {
            ewald.reciprocal(&cell, &positions, &charges, &mut f, true); // allocate scratch
            let t_f = best_time(|| {
                ewald.reciprocal(&cell, &positions, &charges, &mut f, false);
            });
            let t_e = best_time(|| {
                ewald.reciprocal(&cell, &positions, &charges, &mut f, true);
            });
            (t_f, t_e)
        });
        let real_pairs =
            2.0 * std::f64::consts::PI / 3.0 * rho * params.real_cutoff.powi(3) * n as f64;
        println!(
            "{label}: α = {:.4} 1/Å, rc = {:.2} Å, kmax = {:?}, k_c = {:.3} 1/Å, {n_k} k-vectors, \
             estimated accuracy {:.2e}\n    reciprocal (1 thread): {:.2} ms forces only, {:.2} ms \
             with energy and virial ({:.2} ns per atom and k-vector); real space: ≈ {:.0} pairs \
             ≈ {:.1} ms; total ≈ {:.1} ms",
            params.alpha,
            params.real_cutoff,
            params.kmax,
            params.k_cutoff,
            params.estimated_accuracy,
            1e3 * t_f,
            1e3 * t_e,
            1e9 * t_f / (n * n_k) as f64,
            real_pairs,
            1e3 * real_pairs * per_pair,
            1e3 * (real_pairs * per_pair + t_f)
        );
    };
    report("for_cutoff(1e-5, 10 Å)", reference);
    for min_cutoff in [5.5, 8.0, 10.0] {
        report(
            &format!("optimized(1e-5, min {min_cutoff} Å)"),
            EwaldParams::optimized(1e-5, min_cutoff, &cell, &charges).unwrap(),
        );
    }
}
