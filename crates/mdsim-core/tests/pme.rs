//! Smooth particle-mesh Ewald against independent references: converged plain Ewald
//! (energies, forces, virial), Madelung constants, forces = −∇E and virial = strain
//! derivative by finite differences, the delivered force accuracy for a requested accuracy,
//! and thread-count independence of the bits.

use mdsim_core::coulomb::RealSpaceCoulomb;
use mdsim_core::ewald::{Ewald, EwaldParams};
use mdsim_core::neighbor::brute_force_pairs;
use mdsim_core::pme::{Pme, PmeParams};
use mdsim_core::units::COULOMB_EV_A;
use mdsim_core::Cell;

mod support;
use support::*;

/// Ewald total with PME for the reciprocal part.
fn pme_total(
    params: PmeParams,
    cell: &Cell,
    positions: &[[f64; 3]],
    charges: &[f64],
    pairs: &[(usize, usize, [f64; 3])],
) -> Total {
    let mut pme = Pme::new(params, cell);
    let mut forces = vec![[0.0; 3]; positions.len()];
    let term = RealSpaceCoulomb::new(params.alpha, params.real_cutoff);
    let real = real_space_with(&term, pairs, charges, &mut forces);
    let recip = pme.reciprocal(cell, positions, charges, &mut forces, true);
    Total {
        energy: real.energy + recip.energy + pme.self_energy(charges),
        forces,
        virial: std::array::from_fn(|k| real.virial[k] + recip.virial[k]),
    }
}

fn pme_recip(
    params: PmeParams,
    cell: &Cell,
    x: &[[f64; 3]],
    q: &[f64],
) -> (f64, Vec<[f64; 3]>, [f64; 6]) {
    let mut f = vec![[0.0; 3]; x.len()];
    let ev = Pme::new(params, cell).reciprocal(cell, x, q, &mut f, true);
    (ev.energy, f, ev.virial)
}

fn ewald_recip(
    params: EwaldParams,
    cell: &Cell,
    x: &[[f64; 3]],
    q: &[f64],
) -> (f64, Vec<[f64; 3]>, [f64; 6]) {
    let mut f = vec![[0.0; 3]; x.len()];
    let ev = Ewald::new(params, cell).reciprocal(cell, x, q, &mut f, true);
    (ev.energy, f, ev.virial)
}

/// On a fine mesh the PME reciprocal energy, forces and virial converge to the Ewald ones
/// (same α), and the error falls with the spline order as (hα)^p.
#[test]
fn reciprocal_part_converges_to_ewald() {
    let cell = triclinic_small();
    let (x, q) = ionic_configuration(&cell, [4, 4, 4], 21);
    let alpha = 0.35;
    let (e_ref, f_ref, w_ref) = ewald_recip(tight(alpha, &cell, &q), &cell, &x, &q);
    let mut previous = f64::INFINITY;
    for (order, k) in [(4, 24), (4, 48), (4, 96), (5, 32), (6, 40), (6, 64)] {
        let p = PmeParams::explicit(alpha, 6.5 / alpha, [k, k, k], order, &cell, &q).unwrap();
        let (e, f, w) = pme_recip(p, &cell, &x, &q);
        let (err_f, rel_f) = rms_force_error(&f, &f_ref);
        let err_e = ((e - e_ref) / e_ref).abs();
        let err_w = (0..6).map(|c| (w[c] - w_ref[c]).abs()).fold(0.0, f64::max)
            / w_ref.iter().map(|v| v.abs()).fold(0.0, f64::max);
        println!(
            "order {order}, mesh {k}: energy rel. err {err_e:.1e}, force RMS err {err_f:.1e} k_e \
             ({rel_f:.1e} of RMS), virial {err_w:.1e}; estimated {:.1e}",
            p.estimated_accuracy
        );
        assert!(err_f <= p.estimated_accuracy);
        previous = err_f;
    }
    assert!(previous < 1e-8);
}

/// Madelung constants of NaCl (cubic and primitive triclinic cell) and CsCl with PME chosen
/// for a relative force accuracy 1e-10 (references as in tests/ewald.rs).
#[test]
fn madelung_constants() {
    let check = |name: &str, cell: &Cell, frac: &[[f64; 3]], q: &[f64], r0: f64, m_ref: f64| {
        let x: Vec<[f64; 3]> = frac.iter().map(|&s| cell.to_cartesian(s)).collect();
        // Real space by brute force over images to 3 r0, so the mesh stays small.
        let rc = 3.0 * r0;
        let p = PmeParams::optimized(1e-10, rc, rc, cell, q).unwrap();
        let pairs = brute_force_pairs(cell, &x, p.real_cutoff);
        let e = pme_total(p, cell, &x, q, &pairs).energy;
        let m = -e * r0 / (q.len() as f64 / 2.0 * COULOMB_EV_A);
        println!(
            "{name}: M = {m:.15} (reference {m_ref:.15}), α {:.4}, rc {:.3}, mesh {:?}, order {}",
            p.alpha, p.real_cutoff, p.mesh, p.order
        );
        assert!((m - m_ref).abs() < 1e-9 * m_ref, "{name}: {m}");
    };
    let a = 5.64;
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
    check(
        "NaCl (cubic)",
        &cube,
        &frac,
        &q,
        a / 2.0,
        1.747_564_594_633_182_2,
    );
    let fcc = Cell::new(
        [0.0, a / 2.0, a / 2.0],
        [a / 2.0, 0.0, a / 2.0],
        [a / 2.0, a / 2.0, 0.0],
    )
    .unwrap();
    check(
        "NaCl (primitive)",
        &fcc,
        &[[0.0; 3], [0.5; 3]],
        &[1.0, -1.0],
        a / 2.0,
        1.747_564_594_633_182_2,
    );
    let a = 4.12;
    let sc = Cell::orthorhombic(a, a, a).unwrap();
    check(
        "CsCl",
        &sc,
        &[[0.0; 3], [0.5; 3]],
        &[1.0, -1.0],
        a * 3f64.sqrt() / 2.0,
        1.762_674_773_070_988_4,
    );
}

#[test]
fn forces_are_minus_the_energy_gradient() {
    let cell = triclinic_small();
    let (x, q) = ionic_configuration(&cell, [4, 4, 4], 22);
    for order in 4..=6 {
        let p = PmeParams::explicit(0.4, 6.0, [15, 16, 18], order, &cell, &q).unwrap();
        let (_, f, _) = pme_recip(p, &cell, &x, &q);
        let rms = (f
            .iter()
            .map(|v| v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
            .sum::<f64>()
            / x.len() as f64)
            .sqrt();
        let h = 1e-5;
        let mut worst: f64 = 0.0;
        for &i in &[0usize, 9, 20, 41, 63] {
            for d in 0..3 {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i][d] += h;
                xm[i][d] -= h;
                let fd =
                    -(pme_recip(p, &cell, &xp, &q).0 - pme_recip(p, &cell, &xm, &q).0) / (2.0 * h);
                worst = worst.max((fd - f[i][d]).abs() / rms);
            }
        }
        println!("order {order}: max |F + ∇E| / RMS F = {worst:.1e}");
        assert!(worst < 1e-7);
    }
}

#[test]
fn virial_is_minus_the_strain_derivative() {
    let cell = triclinic_small();
    let (x, q) = ionic_configuration(&cell, [4, 4, 4], 23);
    let p = PmeParams::explicit(0.4, 6.0, [15, 16, 18], 5, &cell, &q).unwrap();
    let (_, _, w) = pme_recip(p, &cell, &x, &q);
    let scale = w[..3].iter().map(|v| v.abs()).fold(0.0, f64::max);
    let eps = 1e-6;
    for (k, &(a, b)) in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
        .iter()
        .enumerate()
    {
        let (cp, xp) = strained(&cell, &x, a, b, eps);
        let (cm, xm) = strained(&cell, &x, a, b, -eps);
        let fd = -(pme_recip(p, &cp, &xp, &q).0 - pme_recip(p, &cm, &xm, &q).0) / (2.0 * eps);
        let err = (fd - w[k]).abs() / scale;
        println!(
            "W[{a}{b}] = {:.8}, finite difference {fd:.8}, rel. err {err:.1e}",
            w[k]
        );
        assert!(err < 1e-7);
    }
}

/// The RMS force error of automatically chosen PME parameters against a converged Ewald sum
/// stays below the request (1000 Li3PO4-like ions, orthorhombic and triclinic).
#[test]
fn delivered_force_accuracy_meets_the_request() {
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
    let mut worst_ratio: f64 = 0.0;
    for (name, cell) in &cells {
        let (x, q) = ionic_configuration(cell, [10, 10, 10], 14);
        let pairs = brute_force_pairs(cell, &x, 11.0);
        let reference = total_with_pairs(tight(6.5 / 11.0, cell, &q), cell, &x, &q, &pairs);
        for accuracy in [1e-4, 1e-5, 1e-6] {
            for order in 4..=6 {
                // The automatic choice, and each other order at its cutoff (to calibrate the
                // estimate for every order).
                let auto = PmeParams::optimized(accuracy, 5.5, 11.0, cell, &q).unwrap();
                let rc = auto.real_cutoff;
                let p = PmeParams::optimized_with_order(accuracy, rc, rc, order, cell, &q).unwrap();
                let t = pme_total(p, cell, &x, &q, &pairs);
                let (err, rel) = rms_force_error(&t.forces, &reference.forces);
                let e_err = ((t.energy - reference.energy) / reference.energy).abs();
                worst_ratio = worst_ratio.max(err / p.estimated_accuracy);
                println!(
                    "{name} request {accuracy:.0e} order {order}{}: α {:.4}, rc {:.2}, mesh {:?}; \
                     estimated {:.2e}, measured {err:.2e} k_e ({rel:.1e} of RMS F), energy {e_err:.1e}",
                    if order == auto.order { " (auto)" } else { "" },
                    p.alpha, p.real_cutoff, p.mesh, p.estimated_accuracy
                );
                assert!(
                    err <= accuracy,
                    "{name} {accuracy:e} order {order}: {err:e}"
                );
            }
        }
    }
    println!("largest measured / estimated: {worst_ratio:.2}");
}

#[test]
fn bits_do_not_depend_on_thread_count() {
    let cell = Cell::new([19.0, 0.0, 0.0], [2.0, 18.5, 0.0], [-1.0, 1.5, 18.0]).unwrap();
    let (x, q) = ionic_configuration(&cell, [8, 8, 10], 16);
    let p = PmeParams::optimized(1e-5, 8.0, 8.0, &cell, &q).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut pme = Pme::new(p, &cell);
            let mut f = vec![[0.0; 3]; x.len()];
            let ev = pme.reciprocal(&cell, &x, &q, &mut f, true);
            let mut again = vec![[0.0; 3]; x.len()];
            let ev2 = pme.reciprocal(&cell, &x, &q, &mut again, true);
            assert_eq!(ev, ev2);
            assert_eq!(f, again);
            (ev, f)
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
}

/// The measurements behind the PME constants of `mdsim_core::coulomb::cost` (one thread,
/// 2,970 ions in the model cell's volume, forces only). Run with
/// `cargo test --release -p mdsim-core --test pme -- --ignored --nocapture cost_model`.
#[test]
#[ignore = "timing; run explicitly with --ignored --nocapture"]
fn cost_model_constants() {
    use rand::{RngExt, SeedableRng};
    let cell = Cell::orthorhombic(31.4, 30.6, 29.5).unwrap();
    let q = mixed_charges(90);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(17);
    let x: Vec<[f64; 3]> = (0..q.len())
        .map(|_| cell.to_cartesian([0, 1, 2].map(|_| rng.random::<f64>())))
        .collect();
    let n = x.len() as f64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let time = |order: usize, k: usize| {
        let p = PmeParams::explicit(0.33, 10.0, [k, k, k], order, &cell, &q).unwrap();
        let mut pme = Pme::new(p, &cell);
        let mut f = vec![[0.0; 3]; x.len()];
        pool.install(|| {
            best_time(|| {
                pme.reciprocal(&cell, &x, &q, &mut f, false);
            })
        })
    };
    let (t4, t6, t6b, t6c) = (time(4, 32), time(6, 32), time(6, 48), time(6, 64));
    let spline = (t6 - t4) / (n * (216.0 - 64.0));
    let per_point = |t: f64, k: f64| (t - spline * n * 216.0) / (k * k * k);
    println!(
        "order 4 / 6, mesh 32: {:.2} / {:.2} ms; order 6 mesh 48: {:.2} ms, mesh 64: {:.2} ms",
        1e3 * t4,
        1e3 * t6,
        1e3 * t6b,
        1e3 * t6c
    );
    println!(
        "per atom and spline point {:.2} ns; per mesh point (FFTs and the rest) {:.1} ns at 32³, \
         {:.1} ns at 48³, {:.1} ns at 64³",
        1e9 * spline,
        1e9 * per_point(t6, 32.0),
        1e9 * per_point(t6b, 48.0),
        1e9 * per_point(t6c, 64.0)
    );
}
