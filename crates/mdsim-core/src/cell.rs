//! Periodic simulation cell given by three lattice vectors (any triclinic shape).

use nalgebra::{Matrix3, Vector3};

/// A periodic cell. The columns of `h` are the lattice vectors a, b, c (Å).
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    h: Matrix3<f64>,
    h_inv: Matrix3<f64>,
}

/// Why a cell cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CellError {
    #[error("the cell vectors are degenerate or left-handed (volume {volume:.6} Å³); give three independent vectors a, b, c with (a × b)·c > 0")]
    Degenerate { volume: f64 },
    #[error("the cell vectors contain a non-finite number")]
    NonFinite,
    #[error("the cell vectors are too skewed to reduce: their tilts exceed 10^12 box lengths, more than their digits can resolve; give a compact cell")]
    TooSkewed,
}

impl Cell {
    /// Cell from lattice vectors a, b, c (Å).
    pub fn new(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> Result<Self, CellError> {
        let h = Matrix3::from_columns(&[Vector3::from(a), Vector3::from(b), Vector3::from(c)]);
        if h.iter().any(|x| !x.is_finite()) {
            return Err(CellError::NonFinite);
        }
        let volume = h.determinant();
        // A relative threshold: a cell thinner than 1e-9 of its edge lengths is degenerate.
        let scale = h.column(0).norm() * h.column(1).norm() * h.column(2).norm();
        if volume.is_nan() || volume <= 1e-9 * scale {
            return Err(CellError::Degenerate { volume });
        }
        let h_inv = h.try_inverse().ok_or(CellError::Degenerate { volume })?;
        Ok(Self { h, h_inv })
    }

    /// A cell of the lattice spanned by a, b, c in either handedness: the vectors as given
    /// when (a × b)·c > 0, else (a, b, −c), which spans the same lattice.
    pub fn right_handed(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> Result<Self, CellError> {
        let det = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
            + a[2] * (b[0] * c[1] - b[1] * c[0]);
        if det < 0.0 {
            Self::new(a, b, c.map(|x| -x))
        } else {
            Self::new(a, b, c)
        }
    }

    /// Orthorhombic cell with edge lengths lx, ly, lz.
    pub fn orthorhombic(lx: f64, ly: f64, lz: f64) -> Result<Self, CellError> {
        Self::new([lx, 0.0, 0.0], [0.0, ly, 0.0], [0.0, 0.0, lz])
    }

    /// Cell from lattice parameters a, b, c (Å) and angles α, β, γ (degrees), with a along x
    /// and b in the xy plane (the usual crystallographic convention).
    pub fn from_parameters(
        a: f64,
        b: f64,
        c: f64,
        alpha: f64,
        beta: f64,
        gamma: f64,
    ) -> Result<Self, CellError> {
        // Right angles exactly: cos(90°) in floating point is 6e-17, which would tilt an
        // orthorhombic cell by 1e-15 Å.
        let cos = |deg: f64| {
            if deg == 90.0 {
                0.0
            } else {
                deg.to_radians().cos()
            }
        };
        let (ca, cb, cg) = (cos(alpha), cos(beta), cos(gamma));
        let sg = if gamma == 90.0 {
            1.0
        } else {
            gamma.to_radians().sin()
        };
        let cx = c * cb;
        let cy = c * (ca - cb * cg) / sg;
        let cz2 = c * c - cx * cx - cy * cy;
        if cz2.is_nan() || cz2 <= 0.0 {
            return Err(CellError::Degenerate { volume: 0.0 });
        }
        Self::new([a, 0.0, 0.0], [b * cg, b * sg, 0.0], [cx, cy, cz2.sqrt()])
    }

    /// The cell matrix; columns are the lattice vectors.
    pub fn matrix(&self) -> &Matrix3<f64> {
        &self.h
    }

    /// Lattice vector `k` (0 = a, 1 = b, 2 = c).
    pub fn vector(&self, k: usize) -> [f64; 3] {
        [self.h[(0, k)], self.h[(1, k)], self.h[(2, k)]]
    }

    pub fn volume(&self) -> f64 {
        self.h.determinant()
    }

    /// True when all lattice vectors lie along the Cartesian axes.
    pub fn is_orthorhombic(&self) -> bool {
        (0..3).all(|r| (0..3).all(|c| r == c || self.h[(r, c)] == 0.0))
    }

    /// Distances between opposite faces: the widest sphere that fits is min(widths)/2.
    pub fn perpendicular_widths(&self) -> [f64; 3] {
        let v = self.volume();
        let (a, b, c) = (self.h.column(0), self.h.column(1), self.h.column(2));
        [
            v / b.cross(&c).norm(),
            v / c.cross(&a).norm(),
            v / a.cross(&b).norm(),
        ]
    }

    /// Fractional coordinates of a Cartesian position.
    #[inline]
    pub fn to_fractional(&self, x: [f64; 3]) -> [f64; 3] {
        let m = &self.h_inv;
        [
            m[(0, 0)] * x[0] + m[(0, 1)] * x[1] + m[(0, 2)] * x[2],
            m[(1, 0)] * x[0] + m[(1, 1)] * x[1] + m[(1, 2)] * x[2],
            m[(2, 0)] * x[0] + m[(2, 1)] * x[1] + m[(2, 2)] * x[2],
        ]
    }

    /// Cartesian position of fractional coordinates.
    #[inline]
    pub fn to_cartesian(&self, s: [f64; 3]) -> [f64; 3] {
        let m = &self.h;
        [
            m[(0, 0)] * s[0] + m[(0, 1)] * s[1] + m[(0, 2)] * s[2],
            m[(1, 0)] * s[0] + m[(1, 1)] * s[1] + m[(1, 2)] * s[2],
            m[(2, 0)] * s[0] + m[(2, 1)] * s[1] + m[(2, 2)] * s[2],
        ]
    }

    /// Wraps a position into the cell; returns the wrapped position and the lattice
    /// translation (in cell vectors) that was subtracted.
    #[inline]
    pub fn wrap(&self, x: [f64; 3]) -> ([f64; 3], [i64; 3]) {
        let mut s = self.to_fractional(x);
        let mut shift = [0i64; 3];
        for k in 0..3 {
            let f = s[k].floor();
            s[k] -= f;
            // Round-off can leave s == 1.0 exactly; keep s in [0, 1).
            if s[k] >= 1.0 {
                s[k] -= 1.0;
                shift[k] = (f as i64).saturating_add(1);
            } else {
                shift[k] = f as i64;
            }
        }
        (self.to_cartesian(s), shift)
    }

    /// Cartesian vector of the lattice translation n_a·a + n_b·b + n_c·c.
    #[inline]
    pub fn translation(&self, n: [i64; 3]) -> [f64; 3] {
        self.to_cartesian([n[0] as f64, n[1] as f64, n[2] as f64])
    }

    /// Shortest periodic image of a displacement: the image of the rounded fractional
    /// coordinates is refined by searching its 27 neighbouring images. Exact for compact
    /// cells — every simulation cell is one after loading, see [`crate::reduction`] — (as
    /// ASE's `find_mic` after Minkowski reduction); for a strongly tilted cell, reduce it
    /// first.
    pub fn minimum_image(&self, d: [f64; 3]) -> [f64; 3] {
        let s = self.to_fractional(d);
        let base = [s[0].round(), s[1].round(), s[2].round()];
        let mut best = d;
        let mut best_r2 = f64::INFINITY;
        for na in -1..=1 {
            for nb in -1..=1 {
                for nc in -1..=1 {
                    let t = self.to_cartesian([
                        base[0] + na as f64,
                        base[1] + nb as f64,
                        base[2] + nc as f64,
                    ]);
                    let c = [d[0] - t[0], d[1] - t[1], d[2] - t[2]];
                    let r2 = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
                    if r2 < best_r2 {
                        best_r2 = r2;
                        best = c;
                    }
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_reproduce_lengths_and_angles() {
        let cell = Cell::from_parameters(5.1, 6.1, 5.3, 80.0, 90.3, 100.0).unwrap();
        let len = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let dot = |u: [f64; 3], v: [f64; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
        let (a, b, c) = (cell.vector(0), cell.vector(1), cell.vector(2));
        assert!((len(a) - 5.1).abs() < 1e-12);
        assert!((len(b) - 6.1).abs() < 1e-12);
        assert!((len(c) - 5.3).abs() < 1e-12);
        let angle = |u, v| (dot(u, v) / (len(u) * len(v))).acos().to_degrees();
        assert!((angle(b, c) - 80.0).abs() < 1e-10);
        assert!((angle(a, c) - 90.3).abs() < 1e-10);
        assert!((angle(a, b) - 100.0).abs() < 1e-10);
    }

    #[test]
    fn right_angles_give_an_orthorhombic_cell() {
        let cell = Cell::from_parameters(10.5, 6.1, 4.9, 90.0, 90.0, 90.0).unwrap();
        assert!(cell.is_orthorhombic());
        assert_eq!(cell.volume(), 10.5 * 6.1 * 4.9);
    }

    #[test]
    fn wrap_round_trips_and_counts_images() {
        let cell = Cell::new([10.0, 0.0, 0.0], [3.0, 9.0, 0.0], [-2.0, 1.5, 8.0]).unwrap();
        let x = [23.7, -14.2, 17.9];
        let (w, n) = cell.wrap(x);
        let s = cell.to_fractional(w);
        assert!(s.iter().all(|&v| (0.0..1.0).contains(&v)));
        let t = cell.translation(n);
        for k in 0..3 {
            assert!((w[k] + t[k] - x[k]).abs() < 1e-12);
        }
    }

    #[test]
    fn image_counts_go_beyond_32_bits() {
        // An atom that crossed the cell 3·10⁹ times (a long, hot run) keeps an exact count.
        let cell = Cell::orthorhombic(10.0, 10.0, 10.0).unwrap();
        let (w, n) = cell.wrap([3.0e10 + 2.5, -4.0e10 + 1.0, 5.0]);
        assert_eq!(n, [3_000_000_000, -4_000_000_000, 0]);
        assert!((w[0] - 2.5).abs() < 1e-5 && (w[1] - 1.0).abs() < 1e-5);
    }

    #[test]
    fn minimum_image_is_shortest_in_skewed_cell() {
        let cell = Cell::new([10.0, 0.0, 0.0], [7.0, 5.0, 0.0], [0.0, 0.0, 10.0]).unwrap();
        let d = [4.2, 3.9, 0.5];
        let m = cell.minimum_image(d);
        let r2 = |v: [f64; 3]| v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        // Brute force over many images.
        let mut best = f64::INFINITY;
        for na in -4..=4 {
            for nb in -4..=4 {
                for nc in -4..=4 {
                    let t = cell.translation([na, nb, nc]);
                    best = best.min(r2([d[0] - t[0], d[1] - t[1], d[2] - t[2]]));
                }
            }
        }
        assert!((r2(m) - best).abs() < 1e-12);
    }

    #[test]
    fn minimum_image_is_shortest_in_a_reduced_tilted_cell() {
        // b and c tilted by several box lengths: after reduction the 27-image search is exact.
        let given = [[10.0, 0.0, 0.0], [37.0, 9.0, 0.0], [-52.0, 26.0, 11.0]];
        let cell = crate::reduction::reduce(given).unwrap().cell;
        let r2 = |v: [f64; 3]| v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        let mut seed = 1u64;
        let mut u = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for _ in 0..200 {
            let d = [80.0 * u(), 80.0 * u(), 80.0 * u()];
            let m = cell.minimum_image(d);
            let mut best = f64::INFINITY;
            for na in -12..=12 {
                for nb in -12..=12 {
                    for nc in -12..=12 {
                        let t = cell.translation([na, nb, nc]);
                        best = best.min(r2([d[0] - t[0], d[1] - t[1], d[2] - t[2]]));
                    }
                }
            }
            assert!((r2(m) - best).abs() < 1e-9, "{d:?}: {} vs {best}", r2(m));
        }
    }

    #[test]
    fn degenerate_cells_are_rejected() {
        assert!(Cell::new([1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]).is_err());
        assert!(Cell::orthorhombic(1.0, -1.0, 1.0).is_err());
        assert!(Cell::orthorhombic(f64::NAN, 1.0, 1.0).is_err());
    }
}
