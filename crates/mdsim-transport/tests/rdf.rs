//! g(r): ideal gas → 1, simple-cubic and CsCl lattices → known shells and coordination.

use mdsim_transport::{first_peak, Rdf, RdfResult, TransportError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// All unordered pairs with minimum-image distances in a cubic box of side `l`.
fn pairs(pos: &[[f64; 3]], species: &[usize], l: f64) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let r2: f64 = pos[j]
                .iter()
                .zip(&pos[i])
                .map(|(a, b)| {
                    let d = a - b;
                    let d = d - l * (d / l).round();
                    d * d
                })
                .sum();
            out.push((species[i], species[j], r2.sqrt()));
        }
    }
    out
}

#[test]
fn ideal_gas_is_one_within_noise() {
    let (l, n, frames) = (10.0, 200, 20);
    let mut rdf = Rdf::new(2, 5.0, 50).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let species: Vec<usize> = (0..n).map(|i| usize::from(i >= 150)).collect();
    for _ in 0..frames {
        let pos: Vec<[f64; 3]> = (0..n)
            .map(|_| std::array::from_fn(|_| l * rng.random::<f64>()))
            .collect();
        rdf.add_frame(l * l * l, &[150, 50], pairs(&pos, &species, l))
            .unwrap();
    }
    let res = rdf.result();
    assert_eq!(res.n_frames, frames);
    let volume = l * l * l;
    for p in &res.pairs {
        let (na, nb) = ([150.0, 50.0][p.a], [150.0, 50.0][p.b]);
        let pair_density = if p.a == p.b {
            na * (na - 1.0) / 2.0 / volume
        } else {
            na * nb / volume
        };
        let (mut chi2, mut bins) = (0.0, 0);
        for (k, g) in p.g.iter().enumerate() {
            let (lo, hi) = (k as f64 * res.dr_a, (k + 1) as f64 * res.dr_a);
            let expected = frames as f64 * pair_density * 4.0 / 3.0
                * std::f64::consts::PI
                * (hi.powi(3) - lo.powi(3));
            // Poisson counting noise of the bin: z = (observed − expected)/√expected.
            let zscore = (g - 1.0) * expected.sqrt();
            assert!(zscore.abs() < 5.0, "pair {}-{} bin {k}: g = {g}", p.a, p.b);
            chi2 += zscore * zscore;
            bins += 1;
        }
        let reduced = chi2 / bins as f64;
        assert!(reduced > 0.5 && reduced < 1.6, "chi2/dof {reduced}");
        // Far bins average to 1 closely.
        let tail: f64 = p.g[25..].iter().sum::<f64>() / 25.0;
        assert!((tail - 1.0).abs() < 0.03, "tail mean {tail}");
    }
}

fn lattice(cells: usize, a: f64, basis: &[([f64; 3], usize)]) -> (Vec<[f64; 3]>, Vec<usize>) {
    let mut pos = Vec::new();
    let mut sp = Vec::new();
    for i in 0..cells {
        for j in 0..cells {
            for k in 0..cells {
                for (b, s) in basis {
                    pos.push([
                        a * (i as f64 + b[0]),
                        a * (j as f64 + b[1]),
                        a * (k as f64 + b[2]),
                    ]);
                    sp.push(*s);
                }
            }
        }
    }
    (pos, sp)
}

fn lattice_rdf(
    cells: usize,
    a: f64,
    basis: &[([f64; 3], usize)],
    r_max: f64,
    bins: usize,
) -> RdfResult {
    let (pos, sp) = lattice(cells, a, basis);
    let n_species = basis.iter().map(|b| b.1).max().unwrap() + 1;
    let mut counts = vec![0; n_species];
    for s in &sp {
        counts[*s] += 1;
    }
    let l = cells as f64 * a;
    let mut rdf = Rdf::new(n_species, r_max, bins).unwrap();
    rdf.add_frame(l * l * l, &counts, pairs(&pos, &sp, l))
        .unwrap();
    rdf.result()
}

#[test]
fn simple_cubic_first_shell_at_lattice_constant_with_six_neighbours() {
    let a = 2.0;
    // Bin width 4/49 Å puts a = 2 Å exactly at the centre of bin 24.
    let dr = 4.0 / 49.0;
    let res = lattice_rdf(6, a, &[([0.0; 3], 0)], 70.0 * dr, 70);
    let peak = res.first_peak(0, 0).unwrap();
    assert!((peak.r_a - a).abs() < 1e-9, "{peak:?}");
    // Wherever a falls in its bin, the peak is within half a bin of it.
    let res2 = lattice_rdf(6, a, &[([0.0; 3], 0)], 5.5, 77);
    assert!((res2.first_peak(0, 0).unwrap().r_a - a).abs() <= 0.5 * res2.dr_a + 1e-9);
    // Coordination: 6 within the first shell, 6 + 12 = 18 within √2 a < r < √3 a.
    for r in [&res, &res2] {
        assert!((r.coordination_number(0, 0, 1.2 * a).unwrap() - 6.0).abs() < 1e-12);
        assert!((r.coordination_number(0, 0, 1.6 * a).unwrap() - 18.0).abs() < 1e-12);
        assert_eq!(r.coordination_number(0, 0, 0.9 * a).unwrap(), 0.0);
    }
}

#[test]
fn cesium_chloride_cross_and_like_shells() {
    // Species 0 at cube corners, species 1 at centres: 0–1 at √3/2 a with 8 neighbours each
    // way; 0–0 at a with 6.
    let a = 3.0;
    let res = lattice_rdf(5, a, &[([0.0; 3], 0), ([0.5; 3], 1)], 7.0, 140);
    let cross = res.first_peak(1, 0).unwrap();
    assert!((cross.r_a - 0.75f64.sqrt() * a).abs() <= 0.5 * res.dr_a + 1e-9);
    assert!((res.coordination_number(0, 1, 2.9).unwrap() - 8.0).abs() < 1e-12);
    assert!((res.coordination_number(1, 0, 2.9).unwrap() - 8.0).abs() < 1e-12);
    let like = res.first_peak(0, 0).unwrap();
    assert!((like.r_a - a).abs() <= 0.5 * res.dr_a + 1e-9, "{like:?}");
    assert!((res.coordination_number(1, 1, 3.5).unwrap() - 6.0).abs() < 1e-12);
    let csv = res.to_csv(&["Cs", "Cl"]);
    assert!(csv.starts_with(
        "r_A,g_Cs_Cs,cn_Cs_around_Cs,g_Cs_Cl,cn_Cl_around_Cs,cn_Cs_around_Cl,g_Cl_Cl,cn_Cl_around_Cl\n"
    ));
    assert_eq!(csv.lines().count(), 141);
}

#[test]
fn parabolic_refinement_recovers_a_smooth_peak() {
    let r: Vec<f64> = (0..100).map(|k| (k as f64 + 0.5) * 0.05).collect();
    let g: Vec<f64> = r
        .iter()
        .map(|x| 1.0 + 2.0 * (-((x - 3.73) / 0.2).powi(2)).exp())
        .collect();
    let p = first_peak(&r, &g).unwrap();
    assert!((p.r_a - 3.73).abs() < 0.005, "{p:?}");
    assert!((p.g - 3.0).abs() < 0.01);
    assert!(first_peak(&r, &vec![0.0; 100]).is_none());
}

#[test]
fn bad_frames_are_rejected_whole() {
    let mut rdf = Rdf::new(2, 5.0, 10).unwrap();
    assert!(Rdf::new(0, 5.0, 10).is_err());
    assert!(Rdf::new(1, -1.0, 10).is_err());
    assert!(matches!(
        rdf.add_frame(0.0, &[1, 1], []),
        Err(TransportError::Rdf(_))
    ));
    assert!(rdf.add_frame(100.0, &[1], []).is_err());
    assert!(rdf
        .add_frame(100.0, &[1, 1], [(0, 1, 1.0), (0, 2, 1.0)])
        .is_err());
    assert!(rdf.add_frame(100.0, &[1, 1], [(0, 1, f64::NAN)]).is_err());
    assert_eq!(rdf.n_frames(), 0);
    assert!(rdf
        .result()
        .pairs
        .iter()
        .all(|p| p.g.iter().all(|&g| g == 0.0)));
    rdf.add_frame(100.0, &[1, 1], [(0, 1, 1.0), (1, 0, 7.0)])
        .unwrap();
    assert_eq!(rdf.n_frames(), 1);
}
