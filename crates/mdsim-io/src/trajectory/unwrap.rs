//! Continuous positions from positions wrapped into the cell: each atom is followed from
//! frame to frame and shifted by whole cell vectors so that its step between consecutive
//! frames is less than half a cell along each cell vector (the rule LAMMPS applies to its
//! image flags, and `mdsim run` to its own). This is right only when no atom really moves
//! half a cell between two frames; [`UnwrapStats`] records the largest step seen, so the
//! caller can refuse frames that are too far apart.

use mdsim_core::Cell;

/// What the unwrapping saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnwrapStats {
    /// Number of atom steps that crossed the cell (a shift by a cell vector was needed).
    pub crossings: u64,
    /// Frame (from 0) and atom (in the frame's order) of the first crossing.
    pub first_crossing: Option<(usize, usize)>,
    /// Largest step of an atom between consecutive frames after unwrapping, as a fraction
    /// of a cell vector (0.5 at most), with its frame and atom.
    pub largest_step: f64,
    pub largest_step_at: Option<(usize, usize)>,
}

/// Follows every atom across frames (see the module docs).
pub struct Unwrapper {
    cell: Cell,
    previous: Vec<[f64; 3]>,
    images: Vec<[i64; 3]>,
    frames: usize,
    stats: UnwrapStats,
}

impl Unwrapper {
    /// For a trajectory in the (constant) cell `cell`.
    pub fn new(cell: Cell) -> Self {
        Self {
            cell,
            previous: Vec::new(),
            images: Vec::new(),
            frames: 0,
            stats: UnwrapStats::default(),
        }
    }

    pub fn stats(&self) -> &UnwrapStats {
        &self.stats
    }

    /// Unwrapped positions of the next frame into `out`: the written positions plus whole
    /// cell vectors. Where no atom crosses the cell they are the written positions exactly.
    pub fn unwrap(&mut self, written: &[[f64; 3]], out: &mut Vec<[f64; 3]>) {
        if self.frames == 0 {
            self.images = vec![[0; 3]; written.len()];
        } else {
            for (i, (r, r0)) in written.iter().zip(&self.previous).enumerate() {
                let ds = self
                    .cell
                    .to_fractional(std::array::from_fn(|k| r[k] - r0[k]));
                for (k, d) in ds.into_iter().enumerate() {
                    let n = d.round();
                    let step = (d - n).abs();
                    if step > self.stats.largest_step {
                        self.stats.largest_step = step;
                        self.stats.largest_step_at = Some((self.frames, i));
                    }
                    if n != 0.0 {
                        self.images[i][k] -= n as i64;
                        self.stats.crossings += 1;
                        self.stats.first_crossing.get_or_insert((self.frames, i));
                    }
                }
            }
        }
        self.previous.clear();
        self.previous.extend_from_slice(written);
        self.frames += 1;
        out.clear();
        out.extend(written.iter().zip(&self.images).map(|(r, n)| {
            if *n == [0; 3] {
                *r
            } else {
                let t = self.cell.translation(*n);
                std::array::from_fn(|k| r[k] + t[k])
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A walker in a skewed cell, written wrapped, comes back continuous; its steps and
    /// crossings are counted.
    #[test]
    fn follows_atoms_across_the_cell() {
        let cell = Cell::new([10.0, 0.0, 0.0], [3.0, 9.0, 0.0], [-2.0, 1.0, 8.0]).unwrap();
        let mut u = Unwrapper::new(cell.clone());
        let mut out = Vec::new();
        let step = [1.3, -0.7, 0.9];
        for k in 0..40 {
            let true_r: [f64; 3] = std::array::from_fn(|c| 1.0 + k as f64 * step[c]);
            let (w, _) = cell.wrap(true_r);
            u.unwrap(&[w, [5.0, 5.0, 5.0]], &mut out);
            for c in 0..3 {
                assert!(
                    (out[0][c] - true_r[c]).abs() < 1e-9,
                    "{k}: {out:?} {true_r:?}"
                );
            }
            assert_eq!(out[1], [5.0, 5.0, 5.0]);
        }
        let s = u.stats();
        assert!(s.crossings >= 10, "{s:?}");
        assert_eq!(s.first_crossing.map(|f| f.1), Some(0));
        assert!(s.largest_step > 0.1 && s.largest_step < 0.2, "{s:?}");
    }
}
