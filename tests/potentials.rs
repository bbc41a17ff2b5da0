//! The force-field files in potentials/: the repaired Buckingham pairs of the Teter/Du set
//! must join B/rⁿ + D·r² to A·exp(−r/ρ) − C/r⁶ at r0 in value, slope and curvature, as far as
//! the published (rounded) digits allow. The bound for each mismatch is the sum of its
//! sensitivities to half a unit in the last published digit of A, ρ, C, r0, B, n and D.

use mdsim_core::pair::{BuckinghamRepair, PairTerm};
use mdsim_io::input::{ForceFieldInput, TermInput};
use std::path::Path;

/// (value, half a unit of its last published digit) for A, ρ, C, r0, B, n, D.
type Digits = [(f64, f64); 7];

/// Published digits (MATERIALS.md §1a) per pair.
const PUBLISHED: [(&str, &str, Digits); 3] = [
    (
        "Si",
        "O",
        [
            (13702.905, 5e-4),
            (0.193817, 5e-7),
            (54.681, 5e-4),
            (1.168, 5e-4),
            (28.950, 5e-4),
            (3.932, 5e-4),
            (-3.059, 5e-4),
        ],
    ),
    (
        "P",
        "O",
        [
            (26655.472, 5e-4),
            (0.181968, 5e-7),
            (86.856, 5e-4),
            (1.169, 5e-4),
            (28.568, 5e-4),
            (4.654, 5e-4),
            (-3.379, 5e-4),
        ],
    ),
    (
        "O",
        "O",
        [
            (2029.2204, 5e-5),
            (0.343640, 5e-7),
            (192.580, 5e-4),
            (1.906, 5e-4),
            (46.462, 5e-4),
            (3.430, 5e-4),
            (-0.32605, 5e-6),
        ],
    ),
];

/// (value, slope, curvature) of the repair minus the Buckingham form at r0.
fn mismatch(p: [f64; 7]) -> [f64; 3] {
    let [a, rho, c, r0, b, n, d] = p;
    let ex = a * (-r0 / rho).exp();
    let buck = [
        ex - c / r0.powi(6),
        -ex / rho + 6.0 * c / r0.powi(7),
        ex / (rho * rho) - 42.0 * c / r0.powi(8),
    ];
    let bn = b * r0.powf(-n);
    let rep = [
        bn + d * r0 * r0,
        -n * bn / r0 + 2.0 * d * r0,
        n * (n + 1.0) * bn / (r0 * r0) + 2.0 * d,
    ];
    [rep[0] - buck[0], rep[1] - buck[1], rep[2] - buck[2]]
}

fn load(name: &str) -> ForceFieldInput {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("potentials")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    mdsim_io::setup::parse_ron(&path, &text).unwrap()
}

#[test]
fn buckingham_repair_is_smooth_to_published_digits() {
    let ff = load("li-p-si-o-buckingham.ron");
    for (x, y, published) in PUBLISHED {
        let pair = ff
            .pairs
            .iter()
            .find(|p| p.between == (x.into(), y.into()))
            .unwrap();
        let TermInput::Buckingham {
            a,
            rho,
            c,
            repair: Some(ref r),
        } = pair.terms[0]
        else {
            panic!("{x}–{y} is not a repaired Buckingham term");
        };
        let in_file = [a, rho, c, r.r0, r.b, r.n, r.d];
        assert_eq!(
            in_file,
            published.map(|p| p.0),
            "{x}–{y}: file differs from MATERIALS.md"
        );
        let m = mismatch(in_file);
        let mut bound = [0.0; 3];
        for k in 0..7 {
            let mut shifted = in_file;
            shifted[k] += published[k].1;
            let ms = mismatch(shifted);
            for q in 0..3 {
                bound[q] += (ms[q] - m[q]).abs();
            }
        }
        eprintln!(
            "{x}–{y} at r0 = {} Å: mismatch value {:+.2e} eV (bound {:.1e}), slope {:+.2e} eV/Å ({:.1e}), curvature {:+.2e} eV/Å² ({:.1e})",
            in_file[3], m[0], bound[0], m[1], bound[1], m[2], bound[2]
        );
        for q in 0..3 {
            assert!(
                m[q].abs() <= bound[q],
                "{x}–{y}: mismatch {q} = {} beyond rounding {}",
                m[q],
                bound[q]
            );
        }
        // The engine's term evaluates the same function on both sides of r0.
        let term = PairTerm::Buckingham {
            a,
            rho,
            c,
            repair: Some(BuckinghamRepair {
                r0: r.r0,
                b: r.b,
                n: r.n,
                d: r.d,
            }),
        };
        let (below, above) = (
            term.energy_derivative(r.r0).0,
            term.energy_derivative(r.r0 * (1.0 + 1e-12)).0,
        );
        assert!(
            (below - above).abs() <= bound[0] + 1e-9,
            "{below} vs {above}"
        );
    }
}

/// Both force-field files parse and name every species pair once, through pairs or
/// coulomb_only (the loader's own checks are exercised by tests/bad_input.rs).
#[test]
fn force_field_files_cover_every_pair() {
    for name in ["li-p-si-o-buckingham.ron", "li-p-si-o-pedone.ron"] {
        let ff = load(name);
        let n = ff.species.len();
        let given = ff.pairs.len() + ff.coulomb_only.len();
        assert_eq!(given, n * (n + 1) / 2, "{name}");
        let charge: f64 = ff.species.iter().map(|s| s.charge).sum();
        assert!(!ff.source.is_empty() && charge.is_finite(), "{name}");
    }
}
