//! Lattice reduction against independent facts: the widths of the reduced cell equal the
//! reciprocals of the successive minima of the reciprocal lattice (found by brute force), the
//! reduced vectors span the same lattice, and compact cells are left alone.

use mdsim_core::reduction::reduce;
use mdsim_core::Cell;
use nalgebra::Matrix3;
use rand::{RngExt, SeedableRng};

type Basis = [[f64; 3]; 3];

fn matrix(v: &Basis) -> Matrix3<f64> {
    Matrix3::from_columns(&v.map(nalgebra::Vector3::from))
}

fn vectors(cell: &Cell) -> Basis {
    [cell.vector(0), cell.vector(1), cell.vector(2)]
}

fn sorted(mut w: [f64; 3]) -> [f64; 3] {
    w.sort_by(f64::total_cmp);
    w
}

/// Successive minima λ₁ ≤ λ₂ ≤ λ₃ of the lattice with basis `b` (rows), by enumerating all
/// integer combinations with coefficients in [−k, k] (enough for a compact basis).
fn successive_minima(b: &Basis, k: i64) -> [f64; 3] {
    let mut v: Vec<[f64; 3]> = Vec::new();
    for i in -k..=k {
        for j in -k..=k {
            for l in -k..=k {
                if (i, j, l) != (0, 0, 0) {
                    v.push(std::array::from_fn(|c| {
                        i as f64 * b[0][c] + j as f64 * b[1][c] + l as f64 * b[2][c]
                    }));
                }
            }
        }
    }
    let n = |x: &[f64; 3]| (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt();
    v.sort_by(|x, y| n(x).total_cmp(&n(y)));
    let first = v[0];
    let cross = |u: [f64; 3], w: [f64; 3]| {
        [
            u[1] * w[2] - u[2] * w[1],
            u[2] * w[0] - u[0] * w[2],
            u[0] * w[1] - u[1] * w[0],
        ]
    };
    let second = *v
        .iter()
        .find(|x| n(&cross(first, **x)) > 1e-9 * n(&first) * n(x))
        .unwrap();
    let normal = cross(first, second);
    let third = *v
        .iter()
        .find(|x| {
            let d = normal[0] * x[0] + normal[1] * x[1] + normal[2] * x[2];
            d.abs() > 1e-9 * n(&normal) * n(x)
        })
        .unwrap();
    [n(&first), n(&second), n(&third)]
}

/// Reciprocal basis (rows of H⁻¹, without 2π).
fn reciprocal(b: &Basis) -> Basis {
    let inv = matrix(b).try_inverse().unwrap();
    std::array::from_fn(|i| std::array::from_fn(|k| inv[(i, k)]))
}

/// Checks that `reduced` spans the same lattice as `given`: integer coefficients, det ±1.
fn assert_same_lattice(given: &Basis, reduced: &Basis) {
    let coeff = matrix(given).try_inverse().unwrap() * matrix(reduced);
    for x in coeff.iter() {
        assert!(
            (x - x.round()).abs() < 1e-6,
            "not a lattice vector: {coeff}"
        );
    }
    assert!((coeff.determinant().abs() - 1.0).abs() < 1e-6, "{coeff}");
}

/// A random compact (nearly orthogonal) cell.
fn compact_cell(rng: &mut impl rand::Rng) -> Basis {
    let l = |rng: &mut dyn rand::Rng| 8.0 + 12.0 * rng.random::<f64>();
    let t = |rng: &mut dyn rand::Rng| 0.3 * (rng.random::<f64>() - 0.5);
    let (a, b, c) = (l(rng), l(rng), l(rng));
    [
        [a, 0.0, 0.0],
        [t(rng) * a, b, 0.0],
        [t(rng) * a, t(rng) * b, c],
    ]
}

/// `b` with random integer shears: the same lattice, badly written. Stops before a vector
/// exceeds 5000 Å (tilts of a few hundred box lengths; beyond ~10⁴ the cell counts as
/// degenerate, its volume below 1e-9 of the product of its edge lengths).
fn skew(b: &Basis, rng: &mut impl rand::Rng, rounds: usize, max: i64) -> Basis {
    let mut out = *b;
    for _ in 0..rounds {
        let i = rng.random_range(0..3);
        let j = (i + rng.random_range(1..3)) % 3;
        let q = rng.random_range(-max..=max) as f64;
        let next: [f64; 3] = std::array::from_fn(|c| out[i][c] + q * out[j][c]);
        if next.iter().map(|x| x * x).sum::<f64>() > 5000.0f64.powi(2) {
            break;
        }
        out[i] = next;
    }
    out
}

#[test]
fn tilted_cubic_cells_reduce_to_the_cube_exactly() {
    let l = 26.3;
    let cube = [[l, 0.0, 0.0], [0.0, l, 0.0], [0.0, 0.0, l]];
    // The case files: tilts of one box length, and of two to three.
    for given in [
        [[l, 0.0, 0.0], [l, l, 0.0], [l, l, l]],
        [[l, 0.0, 0.0], [-52.6, l, 0.0], [-52.6, 78.9, l]],
        [[l, 0.0, 0.0], [5.0 * l, l, 0.0], [-7.0 * l, 3.0 * l, l]],
    ] {
        let r = reduce(given).unwrap();
        assert_eq!(vectors(&r.cell), cube, "{given:?}");
        assert!(!r.is_unchanged());
        assert!(sorted(r.widths_before)[0] < l);
    }
    // The cube itself is kept, bit for bit.
    let r = reduce(cube).unwrap();
    assert!(r.is_unchanged());
    assert_eq!(vectors(&r.cell), cube);
}

#[test]
fn compact_cells_are_kept_as_given() {
    let h = 3f64.sqrt() / 2.0;
    for given in [
        // Orthorhombic, hexagonal (γ = 120°: the 60° basis is as good and must not be
        // swapped in), monoclinic, a general triclinic, fcc and bcc primitive cells.
        [[10.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 9.0]],
        [[5.0, 0.0, 0.0], [-2.5, 5.0 * h, 0.0], [0.0, 0.0, 8.0]],
        [[5.0, 0.0, 0.0], [2.5, 5.0 * h, 0.0], [0.0, 0.0, 8.0]],
        [[7.0, 0.0, 0.0], [0.0, 9.0, 0.0], [-2.0, 0.0, 8.0]],
        [[18.0, 0.0, 0.0], [6.0, 17.0, 0.0], [-4.0, 5.0, 19.0]],
        [[0.0, 2.0, 2.0], [2.0, 0.0, 2.0], [2.0, 2.0, 0.0]],
        [[-2.0, 2.0, 2.0], [2.0, -2.0, 2.0], [2.0, 2.0, -2.0]],
    ] {
        let r = reduce(given).unwrap();
        assert!(r.is_unchanged(), "{given:?} became {:?}", vectors(&r.cell));
        assert_eq!(vectors(&r.cell), given);
    }
}

#[test]
fn reduced_widths_are_the_largest_any_basis_has() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for case in 0..200 {
        let compact = compact_cell(&mut rng);
        let lambda = successive_minima(&reciprocal(&compact), 3);
        let best = [1.0 / lambda[2], 1.0 / lambda[1], 1.0 / lambda[0]];
        // Light tilts, heavy tilts, and many steps of shears (several reduction passes).
        let (rounds, max) = [(2, 2), (4, 30), (20, 3)][case % 3];
        let given = skew(&compact, &mut rng, rounds, max);
        let r = reduce(given).unwrap();
        let got = sorted(r.cell.perpendicular_widths());
        for k in 0..3 {
            assert!(
                (got[k] - best[k]).abs() < 1e-9 * best[k],
                "case {case}: widths {got:?}, best {best:?}"
            );
        }
        assert!(r.cell.volume() > 0.0);
        assert_same_lattice(&given, &vectors(&r.cell));
        assert_same_lattice(&compact, &vectors(&r.cell));
        // Same input, same bits.
        assert_eq!(reduce(given).unwrap(), r);
    }
}

#[test]
fn left_handed_cells_become_right_handed() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for _ in 0..50 {
        let compact = compact_cell(&mut rng);
        let mut given = skew(&compact, &mut rng, 3, 4);
        given.swap(0, 1); // (b, a, c): left-handed
        let r = reduce(given).unwrap();
        assert!(r.cell.volume() > 0.0);
        assert_same_lattice(&given, &vectors(&r.cell));
        let lambda = successive_minima(&reciprocal(&compact), 3);
        let got = sorted(r.cell.perpendicular_widths());
        assert!((got[0] - 1.0 / lambda[2]).abs() < 1e-9 * got[0]);
    }
    // An orthorhombic cell written in the order x, z, y: only c changes sign.
    let r = reduce([[4.0, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, 5.0, 0.0]]).unwrap();
    assert_eq!(
        vectors(&r.cell),
        [[4.0, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, -5.0, 0.0]]
    );
    // Cell::right_handed does the same for a cell that needs no reduction.
    let c = Cell::right_handed([4.0, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, 5.0, 0.0]).unwrap();
    assert_eq!(vectors(&c), vectors(&r.cell));
}

#[test]
fn reduction_follows_the_given_orientation() {
    // A tilted orthorhombic cell: a stays along x and b along y, whatever the tilts.
    let given = [[10.0, 0.0, 0.0], [30.0, 12.0, 0.0], [-20.0, 24.0, 9.0]];
    let r = reduce(given).unwrap();
    assert_eq!(
        vectors(&r.cell),
        [[10.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 9.0]]
    );
    // (a', b', c') = (a, b, c)·M with integer M.
    let m = r.transform;
    let combined: [[f64; 3]; 3] = std::array::from_fn(|j| {
        std::array::from_fn(|k| (0..3).map(|i| m[i][j] as f64 * given[i][k]).sum())
    });
    assert_eq!(combined, vectors(&r.cell));
}

#[test]
fn hopeless_cells_are_refused() {
    // Degenerate, non-finite, and tilted by 10¹⁵ box lengths (nearly coplanar: its volume is
    // below 1e-9 of the product of its edge lengths).
    assert!(reduce([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).is_err());
    assert!(reduce([[f64::NAN, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).is_err());
    assert!(reduce([[0.0; 3]; 3]).is_err());
    let e = reduce([[1.0, 0.0, 0.0], [1e15, 1.0, 0.0], [0.0, 0.0, 1.0]]).unwrap_err();
    assert!(e.to_string().contains("degenerate"), "{e}");
    // Tilts of 10⁴ box lengths are still reduced.
    let r = reduce([[1.0, 0.0, 0.0], [1e4, 1.0, 0.0], [-3e3, 2e3, 1.0]]).unwrap();
    assert_eq!(
        vectors(&r.cell),
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    );
    // Huge and tiny but sane cells are fine.
    for s in [1e-30, 1e30] {
        let r = reduce([[s, 0.0, 0.0], [3.0 * s, s, 0.0], [0.0, 0.0, s]]).unwrap();
        assert_eq!(
            vectors(&r.cell),
            [[s, 0.0, 0.0], [0.0, s, 0.0], [0.0, 0.0, s]]
        );
    }
}
