//! Verlet neighbour lists built from cell (bin) lists, for any triclinic cell.
//!
//! Every pair within `cutoff + skin` is stored once (a half list) as (i, j, image): the
//! displacement is `x[j] + shift[image] − x[i]` with a lattice translation from a small table.
//! Storing the image makes the list exact for every cell shape and for boxes where an atom
//! sees several images of another (no minimum-image convention in the force loop).
//! Atoms are split into fixed-size chunks whose size does not depend on the thread count;
//! chunks are built and evaluated independently, so results are bitwise identical for any
//! number of threads (DESIGN.md §9).

use crate::cell::Cell;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Atoms per chunk. Fixed so that results never depend on the number of threads.
pub const CHUNK_ATOMS: usize = 256;

/// The stored pairs whose first atom `i` lies in `start..end`.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    /// Pairs of atom `start + k` are `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<u32>,
    /// Second atom of each pair, as an index into `atoms`.
    pub neighbors: Vec<u32>,
    /// Index into [`NeighborList::shifts`] per pair.
    pub images: Vec<u16>,
    /// The atoms the chunk touches (local index → atom index): its own atoms
    /// `start..end` first, then their partners. Forces are summed in a buffer of this size,
    /// so the per-step cost of combining chunks stays proportional to the atoms they touch.
    pub atoms: Vec<u32>,
    /// Pairs (indices into `neighbors`) closer than the watch radius when the list was built.
    pub close: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct NeighborList {
    cutoff: f64,
    skin: f64,
    /// Cartesian lattice translations addressed by the pair image index.
    shifts: Vec<[f64; 3]>,
    chunks: Vec<Chunk>,
    reference: Vec<[f64; 3]>,
    builds: u64,
    /// Pairs closer than this at a build are remembered (0 = none); see [`Self::watch`].
    watch_radius: f64,
    /// Whether `Chunk::close` was filled with the current watch radius.
    close_valid: bool,
}

/// How the bins and their search stencil are laid out along one cell direction.
#[derive(Clone, Copy, Debug)]
struct BinAxis {
    bins: i64,
    /// Bins searched on either side.
    reach: i64,
    /// Largest lattice translation reached.
    max_shift: i64,
}

impl BinAxis {
    /// Bins of about `bin_width` along a direction of perpendicular width `width`.
    fn new(width: f64, r_list: f64, bin_width: f64) -> Self {
        let bins = ((width / bin_width).floor() as i64).clamp(1, 1 << 12);
        let reach = ((r_list * bins as f64 / width).ceil() as i64).max(1);
        let max_shift = (reach + bins - 1) / bins;
        Self {
            bins,
            reach,
            max_shift,
        }
    }
}

impl NeighborList {
    /// A list for pairs within `cutoff`, built with margin `skin` (Å).
    pub fn new(cutoff: f64, skin: f64) -> Self {
        Self {
            cutoff,
            skin,
            shifts: Vec::new(),
            chunks: Vec::new(),
            reference: Vec::new(),
            builds: 0,
            watch_radius: 0.0,
            close_valid: false,
        }
    }

    /// From the next build on, remembers the pairs closer than `distance` + skin. Until the
    /// list is rebuilt no atom moves more than skin/2, so every pair that comes closer than
    /// `distance` in that time is among them: a per-step check of close approaches
    /// ([`Self::for_each_close_pair`]) costs nothing like a pass over all pairs. Does not
    /// rebuild (the build steps, and so the bits of a trajectory, stay as they were).
    pub fn watch(&mut self, distance: f64) {
        self.watch_radius = if distance > 0.0 {
            (distance + self.skin).min(self.list_radius())
        } else {
            0.0
        };
        self.close_valid = false;
    }

    /// The distance below which every approach is seen by [`Self::for_each_close_pair`]:
    /// 0 when nothing is watched or the list was not built since [`Self::watch`].
    pub fn watched_distance(&self) -> f64 {
        if self.close_valid {
            self.watch_radius - self.skin
        } else {
            0.0
        }
    }

    pub fn cutoff(&self) -> f64 {
        self.cutoff
    }

    pub fn skin(&self) -> f64 {
        self.skin
    }

    /// Radius within which pairs are stored.
    pub fn list_radius(&self) -> f64 {
        self.cutoff + self.skin
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    pub fn shifts(&self) -> &[[f64; 3]] {
        &self.shifts
    }

    /// How many times the list has been built.
    pub fn builds(&self) -> u64 {
        self.builds
    }

    /// Number of stored pairs.
    pub fn n_pairs(&self) -> usize {
        self.chunks.iter().map(|c| c.neighbors.len()).sum()
    }

    /// Calls `f(i, j, d)` for every stored pair, with d = x_j + T − x_i for the positions
    /// given (those of the build, or later ones).
    pub fn for_each_pair(&self, positions: &[[f64; 3]], mut f: impl FnMut(usize, usize, [f64; 3])) {
        for chunk in &self.chunks {
            for i in chunk.start..chunk.end {
                let k = i - chunk.start;
                let xi = positions[i];
                for p in chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize {
                    let j = chunk.atoms[chunk.neighbors[p] as usize] as usize;
                    let t = self.shifts[chunk.images[p] as usize];
                    let xj = positions[j];
                    f(
                        i,
                        j,
                        [
                            xj[0] + t[0] - xi[0],
                            xj[1] + t[1] - xi[1],
                            xj[2] + t[2] - xi[2],
                        ],
                    );
                }
            }
        }
    }

    /// Like [`Self::for_each_pair`], over the pairs remembered at the last build (those closer
    /// than the watch radius then, see [`Self::watch`]).
    pub fn for_each_close_pair(
        &self,
        positions: &[[f64; 3]],
        mut f: impl FnMut(usize, usize, [f64; 3]),
    ) {
        for chunk in &self.chunks {
            for &p in &chunk.close {
                let p = p as usize;
                // The pair's first atom: the chunk atom whose offset range holds p.
                let k = chunk.offsets.partition_point(|&o| o as usize <= p) - 1;
                let (i, j) = (
                    chunk.start + k,
                    chunk.atoms[chunk.neighbors[p] as usize] as usize,
                );
                let t = self.shifts[chunk.images[p] as usize];
                let (xi, xj) = (positions[i], positions[j]);
                f(
                    i,
                    j,
                    [
                        xj[0] + t[0] - xi[0],
                        xj[1] + t[1] - xi[1],
                        xj[2] + t[2] - xi[2],
                    ],
                );
            }
        }
    }

    /// True when some atom moved more than skin/2 since the last build (or the atom count
    /// changed), so a pair outside the list may now be inside the cutoff.
    pub fn needs_rebuild(&self, positions: &[[f64; 3]]) -> bool {
        if self.reference.len() != positions.len() {
            return true;
        }
        let limit = 0.25 * self.skin * self.skin;
        positions.iter().zip(&self.reference).any(|(x, r)| {
            let d = [x[0] - r[0], x[1] - r[1], x[2] - r[2]];
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2] > limit
        })
    }

    /// Builds the list for `positions`, which should be wrapped into `cell` (any drift out of
    /// the cell is handled, but wrapped positions keep the bins balanced).
    pub fn build(&mut self, cell: &Cell, positions: &[[f64; 3]]) {
        let n = positions.len();
        let r_list = self.list_radius();
        let widths = cell.perpendicular_widths();
        // Bins as wide as the list radius: half-size bins search a smaller volume but visit
        // 63 instead of 14 bins per atom, which measured 1.6× slower on liquid argon. Never
        // much smaller than the volume per atom, so short radii do not make empty bins.
        let per_atom = (cell.volume() / n.max(1) as f64).cbrt();
        let bin_width = r_list.max(per_atom);
        let axes = [0, 1, 2].map(|k| BinAxis::new(widths[k], r_list, bin_width));

        // Shift table over all lattice translations the stencil can reach.
        let span = axes.map(|a| 2 * a.max_shift + 1);
        self.shifts.clear();
        for na in -axes[0].max_shift..=axes[0].max_shift {
            for nb in -axes[1].max_shift..=axes[1].max_shift {
                for nc in -axes[2].max_shift..=axes[2].max_shift {
                    self.shifts.push(cell.translation([na, nb, nc]));
                }
            }
        }
        assert!(
            self.shifts.len() <= u16::MAX as usize,
            "cell far too small for the cutoff"
        );
        let zero_image = (self.shifts.len() / 2) as u16;

        // Bin the atoms: a counting sort keeps atoms of a bin in index order (deterministic),
        // and a bin-ordered copy of the positions makes the candidate scan contiguous.
        let dims = axes.map(|a| a.bins);
        let n_bins = (dims[0] * dims[1] * dims[2]) as usize;
        let flat = |b: [i64; 3]| ((b[0] * dims[1] + b[1]) * dims[2] + b[2]) as usize;
        let atom_bin: Vec<usize> = positions
            .iter()
            .map(|x| {
                let s = cell.to_fractional(*x);
                flat([0, 1, 2].map(|k| {
                    let f = s[k] - s[k].floor();
                    ((f * dims[k] as f64) as i64).clamp(0, dims[k] - 1)
                }))
            })
            .collect();
        let mut bin_start = vec![0u32; n_bins + 1];
        for &b in &atom_bin {
            bin_start[b + 1] += 1;
        }
        for k in 0..n_bins {
            bin_start[k + 1] += bin_start[k];
        }
        let mut fill = bin_start.clone();
        let mut bin_atoms = vec![0u32; n];
        let mut bin_positions = vec![[0.0; 3]; n];
        for (i, &b) in atom_bin.iter().enumerate() {
            let slot = fill[b] as usize;
            bin_atoms[slot] = i as u32;
            bin_positions[slot] = positions[i];
            fill[b] += 1;
        }

        // Half stencil: of the offsets o and −o between two bins only the lexicographically
        // positive one is searched; pairs inside one bin are taken with j > i. Each pair
        // (i, j, T) is thereby found exactly once. Per bin, the stencil lists the neighbour
        // bins with the lattice translation each is reached through.
        let mut offsets = Vec::new();
        for oa in -axes[0].reach..=axes[0].reach {
            for ob in -axes[1].reach..=axes[1].reach {
                for oc in -axes[2].reach..=axes[2].reach {
                    if (oa, ob, oc) > (0, 0, 0) {
                        offsets.push([oa, ob, oc]);
                    }
                }
            }
        }
        let mut stencil: Vec<(u32, u16)> = Vec::with_capacity(n_bins * offsets.len());
        for ba in 0..dims[0] {
            for bb in 0..dims[1] {
                for bc in 0..dims[2] {
                    for o in &offsets {
                        let b = [ba + o[0], bb + o[1], bc + o[2]];
                        let wrapped = [0, 1, 2].map(|k| b[k].rem_euclid(dims[k]));
                        let shift = [0, 1, 2].map(|k| b[k].div_euclid(dims[k]) + axes[k].max_shift);
                        let image = (shift[0] * span[1] + shift[1]) * span[2] + shift[2];
                        stencil.push((flat(wrapped) as u32, image as u16));
                    }
                }
            }
        }

        let r2_list = r_list * r_list;
        let r2_watch = self.watch_radius * self.watch_radius;
        let shifts = &self.shifts;
        let per_bin = offsets.len();
        let n_chunks = n.div_ceil(CHUNK_ATOMS);
        self.chunks.resize_with(n_chunks, Chunk::default);
        self.chunks.par_iter_mut().enumerate().for_each_init(
            || vec![u32::MAX; n],
            |local_of, (c, chunk)| {
                chunk.start = c * CHUNK_ATOMS;
                chunk.end = (chunk.start + CHUNK_ATOMS).min(n);
                chunk.offsets.clear();
                chunk.neighbors.clear();
                chunk.images.clear();
                chunk.atoms.clear();
                chunk.close.clear();
                chunk.offsets.push(0);
                // The chunk's own atoms come first in its local numbering, then every other
                // atom in the order its first pair is found.
                for (k, slot) in local_of[chunk.start..chunk.end].iter_mut().enumerate() {
                    *slot = k as u32;
                }
                chunk.atoms.extend(chunk.start as u32..chunk.end as u32);
                for i in chunk.start..chunk.end {
                    let xi = positions[i];
                    let b = atom_bin[i];
                    let mut scan = |bin: usize, image: u16, same_bin: bool| {
                        let t = shifts[image as usize];
                        let origin = [xi[0] - t[0], xi[1] - t[1], xi[2] - t[2]];
                        let range = bin_start[bin] as usize..bin_start[bin + 1] as usize;
                        for (&j, xj) in bin_atoms[range.clone()].iter().zip(&bin_positions[range]) {
                            if same_bin && j as usize <= i {
                                continue;
                            }
                            let d = [xj[0] - origin[0], xj[1] - origin[1], xj[2] - origin[2]];
                            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                            if r2 < r2_list {
                                if r2 < r2_watch {
                                    chunk.close.push(chunk.neighbors.len() as u32);
                                }
                                let slot = &mut local_of[j as usize];
                                if *slot == u32::MAX {
                                    *slot = chunk.atoms.len() as u32;
                                    chunk.atoms.push(j);
                                }
                                chunk.neighbors.push(*slot);
                                chunk.images.push(image);
                            }
                        }
                    };
                    scan(b, zero_image, true);
                    for &(nb, image) in &stencil[b * per_bin..(b + 1) * per_bin] {
                        scan(nb as usize, image, false);
                    }
                    chunk.offsets.push(chunk.neighbors.len() as u32);
                }
                for &a in &chunk.atoms {
                    local_of[a as usize] = u32::MAX;
                }
            },
        );
        self.reference.clear();
        self.reference.extend_from_slice(positions);
        self.builds += 1;
        self.close_valid = self.watch_radius > 0.0;
    }
}

/// What a checkpoint keeps of a neighbour list (STYLE.md §2): the positions of its last build
/// and the build count. The list decides when to rebuild (and the engine when to wrap atoms)
/// from the reference positions, and its pair order sets the order of the force sums, so a
/// restarted run must get back exactly this list to continue bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeighborListState {
    /// Positions (Å) the list was last built from.
    pub reference: Vec<[f64; 3]>,
    /// Builds so far.
    pub builds: u64,
}

impl NeighborList {
    /// Its checkpoint state.
    pub fn state(&self) -> NeighborListState {
        NeighborListState {
            reference: self.reference.clone(),
            builds: self.builds,
        }
    }

    /// The list as it was when `state` was saved: rebuilt from the same positions in the same
    /// cell, which gives the same pairs in the same order (the build is deterministic).
    pub fn restore(&mut self, cell: &Cell, state: NeighborListState) {
        self.build(cell, &state.reference);
        self.builds = state.builds;
    }
}

/// Every pair within `r_max` by brute force over lattice images: the test oracle.
/// Returns (i, j, d) with i ≤ j and d = x_j + T − x_i, each pair once.
/// (The list may store a pair as (j, i, −T); compare unordered.)
pub fn brute_force_pairs(
    cell: &Cell,
    positions: &[[f64; 3]],
    r_max: f64,
) -> Vec<(usize, usize, [f64; 3])> {
    let widths = cell.perpendicular_widths();
    let reach = widths.map(|w| (r_max / w).ceil() as i64 + 1);
    let mut out = Vec::new();
    for i in 0..positions.len() {
        for j in i..positions.len() {
            for na in -reach[0]..=reach[0] {
                for nb in -reach[1]..=reach[1] {
                    for nc in -reach[2]..=reach[2] {
                        if j == i && (na, nb, nc) <= (0, 0, 0) {
                            continue;
                        }
                        let t = cell.translation([na, nb, nc]);
                        let (xi, xj) = (positions[i], positions[j]);
                        let d = [
                            xj[0] + t[0] - xi[0],
                            xj[1] + t[1] - xi[1],
                            xj[2] + t[2] - xi[2],
                        ];
                        if d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < r_max * r_max {
                            out.push((i, j, d));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn random_positions(cell: &Cell, n: usize, seed: u64) -> Vec<[f64; 3]> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| cell.to_cartesian([rng.random(), rng.random(), rng.random()]))
            .collect()
    }

    /// A pair as (i ≤ j, d rounded to 1e-6 Å); a self-image pair takes the larger of ±d.
    fn canonical(i: usize, j: usize, d: [f64; 3]) -> (usize, usize, [i64; 3]) {
        let q = d.map(|x| (x * 1e6).round() as i64);
        let neg = q.map(|x| -x);
        match i.cmp(&j) {
            std::cmp::Ordering::Less => (i, j, q),
            std::cmp::Ordering::Greater => (j, i, neg),
            std::cmp::Ordering::Equal => (i, j, q.max(neg)),
        }
    }

    fn list_pairs(
        nl: &NeighborList,
        positions: &[[f64; 3]],
        r_max: f64,
    ) -> Vec<(usize, usize, [i64; 3])> {
        let mut out = Vec::new();
        nl.for_each_pair(positions, |i, j, d| {
            if d.iter().map(|x| x * x).sum::<f64>() < r_max * r_max {
                out.push(canonical(i, j, d));
            }
        });
        out.sort();
        out
    }

    fn check_against_oracle(cell: Cell, n: usize, cutoff: f64, skin: f64) {
        let positions = random_positions(&cell, n, 7);
        let mut nl = NeighborList::new(cutoff, skin);
        nl.build(&cell, &positions);
        let r = cutoff + skin;
        let mut oracle: Vec<_> = brute_force_pairs(&cell, &positions, r)
            .into_iter()
            .map(|(i, j, d)| canonical(i, j, d))
            .collect();
        oracle.sort();
        assert_eq!(list_pairs(&nl, &positions, r), oracle);
        assert_eq!(nl.n_pairs(), oracle.len());
    }

    #[test]
    fn matches_brute_force_orthorhombic() {
        check_against_oracle(Cell::orthorhombic(20.0, 23.0, 26.0).unwrap(), 600, 5.0, 1.0);
    }

    #[test]
    fn matches_brute_force_triclinic() {
        let cell = Cell::new([18.0, 0.0, 0.0], [6.0, 17.0, 0.0], [-4.0, 5.0, 19.0]).unwrap();
        check_against_oracle(cell, 500, 4.5, 0.8);
    }

    #[test]
    fn small_box_sees_several_images() {
        // Width 9 Å < 2 × 6 Å: atoms interact with more than one image of each other.
        let cell = Cell::new([9.0, 0.0, 0.0], [2.0, 9.5, 0.0], [1.0, -1.5, 10.0]).unwrap();
        check_against_oracle(cell, 40, 5.0, 1.0);
    }

    /// After moves of up to skin/2 per atom (no rebuild due), the remembered close pairs
    /// still hold every pair now closer than the watched distance (brute force says which).
    #[test]
    fn close_pairs_see_every_approach_until_the_next_build() {
        let cell = Cell::new([16.0, 0.0, 0.0], [3.0, 15.0, 0.0], [-2.0, 4.0, 17.0]).unwrap();
        let (cutoff, skin, watched) = (5.0, 1.0, 1.5);
        let mut positions = random_positions(&cell, 400, 11);
        let mut nl = NeighborList::new(cutoff, skin);
        nl.watch(watched);
        assert_eq!(
            nl.watched_distance(),
            0.0,
            "nothing remembered before a build"
        );
        nl.build(&cell, &positions);
        assert_eq!(nl.watched_distance(), watched);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for x in positions.iter_mut() {
            // A random direction, length just under skin/2.
            let d: [f64; 3] = std::array::from_fn(|_| rng.random::<f64>() - 0.5);
            let norm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
            for k in 0..3 {
                x[k] += 0.4999 * skin * d[k] / norm;
            }
        }
        assert!(!nl.needs_rebuild(&positions));
        let mut close = Vec::new();
        nl.for_each_close_pair(&positions, |i, j, d| {
            if d.iter().map(|x| x * x).sum::<f64>() < watched * watched {
                close.push(canonical(i, j, d));
            }
        });
        close.sort();
        let mut oracle: Vec<_> = brute_force_pairs(&cell, &positions, watched)
            .into_iter()
            .map(|(i, j, d)| canonical(i, j, d))
            .collect();
        oracle.sort();
        assert!(!oracle.is_empty(), "the test needs close pairs");
        assert_eq!(close, oracle);
    }

    #[test]
    fn rebuild_triggers_after_half_skin() {
        let cell = Cell::orthorhombic(20.0, 20.0, 20.0).unwrap();
        let mut positions = random_positions(&cell, 50, 3);
        let mut nl = NeighborList::new(4.0, 1.0);
        nl.build(&cell, &positions);
        positions[10][1] += 0.49;
        assert!(!nl.needs_rebuild(&positions));
        positions[10][1] += 0.02;
        assert!(nl.needs_rebuild(&positions));
    }
}
