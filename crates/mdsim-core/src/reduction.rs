//! Lattice reduction: the basis of a periodic cell's lattice with the widest perpendicular
//! widths.
//!
//! A cell written with large tilts (a' = a, b' = b + 2a, …) is the same periodic lattice as a
//! compact one, but its narrowest perpendicular width is smaller, so a cutoff that fits the
//! lattice seems not to fit the cell. [`reduce`] finds the compact basis.
//!
//! Choice: Minkowski reduction of the *reciprocal* basis. The perpendicular widths of a cell
//! are w_i = 1/|g_i|, with g_i the rows of H⁻¹ (the reciprocal vectors without 2π), and a
//! change of basis H' = H·M changes them to the rows of M⁻¹·H⁻¹: the reciprocal lattice
//! stays the same, only its basis changes. A Minkowski-reduced basis of a lattice of
//! dimension ≤ 4 consists of vectors whose lengths are the successive minima λ₁ ≤ λ₂ ≤ λ₃ of
//! the lattice (van der Waerden 1956), and no basis has a vector shorter than λ_k in its k-th
//! place. So the reduced reciprocal basis gives the widths 1/λ₃ ≤ 1/λ₂ ≤ 1/λ₁: each width, in
//! sorted order, is the largest that any basis of the lattice has — in particular the
//! narrowest, which decides whether a cutoff fits. (Minkowski or Niggli reduction of the
//! direct basis minimises the edge lengths instead; for the usual, nearly orthogonal cells
//! both agree, but only the reciprocal reduction is guaranteed to maximise the widths.)
//!
//! Algorithm: the greedy reduction of Nguyen & Stehlé ("Low-dimensional lattice basis
//! reduction revisited", ACM Trans. Algorithms 5, 46 (2009)), which returns a Minkowski-reduced
//! basis in dimension ≤ 4: sort the vectors by length, Lagrange-reduce the first two, subtract
//! from the third its closest vector in the plane lattice of the first two, and start again
//! while the third got shorter than the second. All arithmetic on the vectors is done from the
//! integer transformation and the original vectors, so the reduced vectors are exact integer
//! combinations of the given ones up to one rounding per term.

use crate::cell::{Cell, CellError};
use nalgebra::Matrix3;

/// A cell whose narrowest width is within this relative margin of the reduced one is kept as
/// given (round-off, and ties between equally good bases).
const WIDTH_TOLERANCE: f64 = 1e-10;

/// Relative margin under which two lengths count as equal during the reduction: a step must
/// shorten a vector by more than this, so the reduction cannot cycle on ties.
const LENGTH_TOLERANCE: f64 = 1e-12;

/// Coefficients of the transformation larger than this mean tilts of more than 10¹² box
/// lengths: the given vectors then hold fewer significant digits than the lattice needs.
const MAX_COEFFICIENT: i64 = 1 << 40;

/// A lattice basis as integer combinations of the given vectors.
type Transform = [[i64; 3]; 3];

/// The same lattice in its reduced basis.
#[derive(Clone, Debug, PartialEq)]
pub struct Reduction {
    /// The reduced, right-handed cell.
    pub cell: Cell,
    /// Integer matrix M with (a', b', c') = (a, b, c)·M: column j holds the coefficients of
    /// the new vector j in the given vectors a, b, c (det M = ±1; −1 for a left-handed input).
    pub transform: [[i64; 3]; 3],
    /// Perpendicular widths of the given vectors (Å), as [`Cell::perpendicular_widths`].
    pub widths_before: [f64; 3],
}

impl Reduction {
    /// True when the cell is the given one (already reduced and right-handed).
    pub fn is_unchanged(&self) -> bool {
        self.transform == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    }
}

/// Reduces the lattice spanned by `vectors` (a, b, c in Å, either handedness).
///
/// Returns the given cell unchanged when it is right-handed and no basis has a wider
/// narrowest width; otherwise the reduced basis, right-handed, with its vectors ordered and
/// signed to follow the given ones as closely as possible (the first most parallel to a, the
/// second to the part of b normal to a). Deterministic: the same vectors always give the same
/// bits. Vector components that are zero within the rounding error of the integer
/// combination are set to zero, so that a tilted orthorhombic cell reduces to exactly the
/// orthorhombic one.
///
/// Errors: non-finite or degenerate vectors, and tilts beyond 10¹² box lengths.
pub fn reduce(vectors: [[f64; 3]; 3]) -> Result<Reduction, CellError> {
    if vectors.iter().flatten().any(|x| !x.is_finite()) {
        return Err(CellError::NonFinite);
    }
    // Scale by a power of two (exact) so that no square overflows or underflows.
    let largest = vectors.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
    if largest == 0.0 {
        return Err(CellError::Degenerate { volume: 0.0 });
    }
    let scale = 2f64.powi(-(largest.log2().ceil() as i32));
    let scaled = vectors.map(|v| v.map(|x| x * scale));
    let h = Matrix3::from_columns(&scaled.map(nalgebra::Vector3::from));
    let det = h.determinant();
    let lengths: f64 = scaled.iter().map(|v| norm2(*v).sqrt()).product();
    let volume = det / scale.powi(3);
    if det.is_nan() || det.abs() <= 1e-9 * lengths {
        return Err(CellError::Degenerate { volume });
    }
    let widths_before = widths(&scaled).map(|w| w / scale);

    let h_inv = h.try_inverse().ok_or(CellError::Degenerate { volume })?;
    let reciprocal: [[f64; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|k| h_inv[(i, k)]));
    let dual = greedy(&reciprocal)?;
    // The direct basis dual to the reduced reciprocal one: with T the reciprocal
    // transformation (row k holds the coefficients of the new reciprocal vector k),
    // g'_k · a'_j = (T·M)_kj = δ_kj gives M = T⁻¹.
    let mut m = orient(&scaled, &inverse_unimodular(&dual));
    let reduced_vectors = combine(&vectors, &m);
    let reduced_widths = widths(&reduced_vectors.map(|v| v.map(|x| x * scale))).map(|w| w / scale);
    // A right-handed cell whose widths are all as wide as the reduced ones is kept as given.
    let keep = det > 0.0
        && sorted(widths_before)
            .iter()
            .zip(sorted(reduced_widths))
            .all(|(b, r)| *b >= r * (1.0 - WIDTH_TOLERANCE));
    let cell_vectors = if keep {
        m = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
        vectors
    } else {
        reduced_vectors
    };
    let cell = Cell::new(cell_vectors[0], cell_vectors[1], cell_vectors[2])?;
    Ok(Reduction {
        cell,
        transform: m,
        widths_before,
    })
}

fn dot(u: [f64; 3], v: [f64; 3]) -> f64 {
    u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
}

fn norm2(u: [f64; 3]) -> f64 {
    dot(u, u)
}

fn cross(u: [f64; 3], v: [f64; 3]) -> [f64; 3] {
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

/// Perpendicular widths |V|/|b × c|, … of three vectors (any handedness).
fn widths(v: &[[f64; 3]; 3]) -> [f64; 3] {
    let volume = dot(v[0], cross(v[1], v[2])).abs();
    std::array::from_fn(|k| volume / norm2(cross(v[(k + 1) % 3], v[(k + 2) % 3])).sqrt())
}

fn sorted(mut w: [f64; 3]) -> [f64; 3] {
    w.sort_by(f64::total_cmp);
    w
}

/// Vector Σ_i t[i]·base[i], from the integer coefficients of one row.
fn vector_of(base: &[[f64; 3]; 3], t: [i64; 3]) -> [f64; 3] {
    std::array::from_fn(|k| (0..3).map(|i| t[i] as f64 * base[i][k]).sum())
}

/// The greedy (Minkowski) reduction of the basis `base` (rows). Returns the integer
/// coefficients of the reduced vectors, one row per vector, shortest first.
fn greedy(base: &[[f64; 3]; 3]) -> Result<Transform, CellError> {
    let mut t: Transform = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    // Each pass shortens a vector by a relative 1e-12 at least; a few hundred passes reduce
    // tilts of 10¹² box lengths.
    for _ in 0..10_000 {
        // Stable sort by length (ties keep their order: deterministic).
        let len = |r: [i64; 3]| norm2(vector_of(base, r));
        t.sort_by(|x, y| len(*x).total_cmp(&len(*y)));
        let (u, v) = lagrange(base, t[0], t[1])?;
        t[0] = u;
        t[1] = v;
        let (x, y) = closest_in_plane(base, u, v, vector_of(base, t[2]))?;
        t[2] = sub(t[2], add(scaled_row(u, x)?, scaled_row(v, y)?)?)?;
        if len(t[2]) >= len(t[1]) * (1.0 - LENGTH_TOLERANCE) {
            return Ok(t);
        }
    }
    Err(CellError::TooSkewed)
}

/// Lagrange (Gauss) reduction of the plane basis (u, v): |u| ≤ |v| and |u·v| ≤ |u|²/2.
fn lagrange(
    base: &[[f64; 3]; 3],
    mut u: [i64; 3],
    mut v: [i64; 3],
) -> Result<([i64; 3], [i64; 3]), CellError> {
    for _ in 0..10_000 {
        let (bu, bv) = (vector_of(base, u), vector_of(base, v));
        if norm2(bv) < norm2(bu) * (1.0 - LENGTH_TOLERANCE) {
            std::mem::swap(&mut u, &mut v);
            continue;
        }
        let (bu, bv) = (vector_of(base, u), vector_of(base, v));
        let ratio = dot(bu, bv) / norm2(bu);
        // Exactly half (a 120° or 60° pair) is already reduced: do not flip between the two.
        if ratio.abs() <= 0.5 * (1.0 + LENGTH_TOLERANCE) {
            return Ok((u, v));
        }
        v = sub(v, scaled_row(u, coefficient(ratio.round())?)?)?;
        if norm2(vector_of(base, v)) >= norm2(vector_of(base, u)) * (1.0 - LENGTH_TOLERANCE) {
            return Ok((u, v));
        }
    }
    Err(CellError::TooSkewed)
}

/// Integer coefficients (x, y) of the lattice vector x·u + y·v closest to `target`, for a
/// Lagrange-reduced plane basis (u, v): the projection's real coefficients are rounded, and
/// the 4×4 integer points around them searched (the closest point of a reduced plane lattice
/// is a corner of the cell holding the projection).
fn closest_in_plane(
    base: &[[f64; 3]; 3],
    u: [i64; 3],
    v: [i64; 3],
    target: [f64; 3],
) -> Result<(i64, i64), CellError> {
    let (bu, bv) = (vector_of(base, u), vector_of(base, v));
    let (uu, uv, vv) = (norm2(bu), dot(bu, bv), norm2(bv));
    let (tu, tv) = (dot(target, bu), dot(target, bv));
    let det = uu * vv - uv * uv;
    let x = (tu * vv - tv * uv) / det;
    let y = (tv * uu - tu * uv) / det;
    let (x0, y0) = (coefficient(x.floor())?, coefficient(y.floor())?);
    let mut best = (0, 0);
    let mut best_d = f64::INFINITY;
    for dx in -1..=2 {
        for dy in -1..=2 {
            let (cx, cy) = (x0 + dx, y0 + dy);
            let p: [f64; 3] =
                std::array::from_fn(|k| target[k] - cx as f64 * bu[k] - cy as f64 * bv[k]);
            let d = norm2(p);
            if d < best_d {
                best_d = d;
                best = (cx, cy);
            }
        }
    }
    Ok(best)
}

/// A rounded real coefficient as an integer, refused beyond [`MAX_COEFFICIENT`] (and NaN).
fn coefficient(q: f64) -> Result<i64, CellError> {
    if q.abs() < MAX_COEFFICIENT as f64 {
        Ok(q as i64)
    } else {
        Err(CellError::TooSkewed)
    }
}

fn checked(x: Option<i64>) -> Result<i64, CellError> {
    match x {
        Some(v) if v.abs() <= MAX_COEFFICIENT => Ok(v),
        _ => Err(CellError::TooSkewed),
    }
}

fn scaled_row(r: [i64; 3], q: i64) -> Result<[i64; 3], CellError> {
    Ok([
        checked(r[0].checked_mul(q))?,
        checked(r[1].checked_mul(q))?,
        checked(r[2].checked_mul(q))?,
    ])
}

fn add(a: [i64; 3], b: [i64; 3]) -> Result<[i64; 3], CellError> {
    Ok([
        checked(a[0].checked_add(b[0]))?,
        checked(a[1].checked_add(b[1]))?,
        checked(a[2].checked_add(b[2]))?,
    ])
}

fn sub(a: [i64; 3], b: [i64; 3]) -> Result<[i64; 3], CellError> {
    add(a, b.map(|x| -x))
}

fn transpose(m: &Transform) -> Transform {
    std::array::from_fn(|i| std::array::from_fn(|j| m[j][i]))
}

/// Inverse of an integer matrix with determinant ±1 (the adjugate over the determinant).
fn inverse_unimodular(m: &Transform) -> Transform {
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
    };
    let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2);
    // adj(m)[i][j] = cofactor(j, i).
    std::array::from_fn(|i| std::array::from_fn(|j| c(j, i) * det))
}

/// The direct vectors (a', b', c') = (a, b, c)·M as rows; components that are zero within the
/// rounding error of the sums are set to zero.
fn combine(given: &[[f64; 3]; 3], m: &Transform) -> [[f64; 3]; 3] {
    std::array::from_fn(|j| {
        std::array::from_fn(|k| {
            let terms = (0..3).map(|i| m[i][j] as f64 * given[i][k]);
            let sum: f64 = terms.clone().sum();
            let magnitude: f64 = terms.map(f64::abs).sum();
            if sum.abs() <= 8.0 * f64::EPSILON * magnitude {
                0.0
            } else {
                sum
            }
        })
    })
}

/// Orders and signs the columns of `m` (a reduced basis as combinations of `given`) to follow
/// the given vectors: first the one most parallel to a, then the one most parallel to the
/// part of b normal to a, then the last with the sign that makes the basis right-handed.
fn orient(given: &[[f64; 3]; 3], m: &Transform) -> Transform {
    let columns: [[i64; 3]; 3] = transpose(m);
    let v = columns.map(|c| vector_of(given, c));
    let a = given[0];
    let a_hat = a.map(|x| x / norm2(a).sqrt());
    let b = given[1];
    let ab = dot(b, a_hat);
    let b_perp: [f64; 3] = std::array::from_fn(|k| b[k] - ab * a_hat[k]);
    let mut left = vec![0usize, 1, 2];
    let mut pick = |dir: [f64; 3]| {
        let (pos, &best) = left
            .iter()
            .enumerate()
            .max_by(|(_, &i), (_, &j)| {
                // max_by keeps the last of equals: compare reversed indices for the first.
                dot(v[i], dir)
                    .abs()
                    .total_cmp(&dot(v[j], dir).abs())
                    .then(j.cmp(&i))
            })
            .expect("a vector is left");
        left.remove(pos);
        let sign = if dot(v[best], dir) < 0.0 { -1 } else { 1 };
        (best, sign)
    };
    let (i0, s0) = pick(a_hat);
    let (i1, s1) = pick(b_perp);
    let i2 = left[0];
    let first = v[i0].map(|x| x * s0 as f64);
    let second = v[i1].map(|x| x * s1 as f64);
    let s2 = if dot(cross(first, second), v[i2]) < 0.0 {
        -1
    } else {
        1
    };
    let out = [
        columns[i0].map(|x| x * s0),
        columns[i1].map(|x| x * s1),
        columns[i2].map(|x| x * s2),
    ];
    transpose(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unimodular_inverse() {
        let m: Transform = [[1, 2, 0], [0, 1, -3], [2, 4, 1]];
        let inv = inverse_unimodular(&m);
        let product: Transform = std::array::from_fn(|i| {
            std::array::from_fn(|j| (0..3).map(|k| m[i][k] * inv[k][j]).sum())
        });
        assert_eq!(product, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    }
}
