//! Dense linear algebra for the few-parameter fits of this crate (matrices of at most a few
//! rows), so that no general linear-algebra dependency is needed here.

// Dense index loops over tiny matrices read best as written.
#![allow(clippy::needless_range_loop)]

/// Square matrix stored row by row.
pub(crate) type Mat = Vec<Vec<f64>>;

pub(crate) fn zeros(n: usize, m: usize) -> Mat {
    vec![vec![0.0; m]; n]
}

/// Cholesky factor L (lower triangular, A = L Lᵀ) of a symmetric positive-definite matrix;
/// `None` if A is not positive definite (or not finite).
pub(crate) fn cholesky(a: &Mat) -> Option<Mat> {
    let n = a.len();
    let mut l = zeros(n, n);
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if !(d > 0.0 && d.is_finite()) {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves A x = b given the Cholesky factor of A.
pub(crate) fn cholesky_solve(l: &Mat, b: &[f64]) -> Vec<f64> {
    let n = l.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i][i];
    }
    x
}

/// Inverse and ln det of a symmetric positive-definite matrix.
pub(crate) fn spd_inverse(a: &Mat) -> Option<(Mat, f64)> {
    let l = cholesky(a)?;
    let n = a.len();
    let log_det = 2.0 * (0..n).map(|i| l[i][i].ln()).sum::<f64>();
    let mut inv = zeros(n, n);
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = cholesky_solve(&l, &e);
        for i in 0..n {
            inv[i][j] = col[i];
        }
    }
    Some((inv, log_det))
}

/// Quadratic form xᵀ A x.
pub(crate) fn quad_form(a: &Mat, x: &[f64]) -> f64 {
    a.iter()
        .zip(x)
        .map(|(row, xi)| xi * row.iter().zip(x).map(|(aij, xj)| aij * xj).sum::<f64>())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_known_matrix() {
        let a = vec![
            vec![4.0, 2.0, 0.4],
            vec![2.0, 3.0, 0.1],
            vec![0.4, 0.1, 2.0],
        ];
        let (inv, log_det) = spd_inverse(&a).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let p: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((p - f64::from(u8::from(i == j))).abs() < 1e-14);
            }
        }
        // det = 4(6 − 0.01) − 2(4 − 0.04) + 0.4(0.2 − 1.2) = 23.96 − 7.92 − 0.4 = 15.64
        assert!((log_det - 15.64f64.ln()).abs() < 1e-13);
        assert!(cholesky(&vec![vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        assert!((quad_form(&a, &[1.0, 0.0, 1.0]) - 6.8).abs() < 1e-14);
    }
}
