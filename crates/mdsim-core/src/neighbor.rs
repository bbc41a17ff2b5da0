//! Verlet neighbour lists built from cell (bin) lists, for any triclinic cell.
//!
//! Every pair within `cutoff + skin` is stored once (a half list). Atoms are sorted by bin
//! at every build (a counting sort; within a bin by atom index), so atoms close in space are
//! close in the list: the sort lives only here, the caller's atom order is never changed.
//! Pairs are kept per fixed-size chunk of the sorted order, in a local numbering of the atoms
//! the chunk touches: a local slot is one atom seen through one lattice translation (the
//! atoms of a bin, with the translation the bin is reached through, form a block of
//! consecutive slots). The force loop gathers the slot positions (translation applied) once
//! per step and then needs no image arithmetic per pair; storing translations makes the list
//! exact for every cell shape and for boxes where an atom sees several images of another.
//! Chunks are built and evaluated independently and their size does not depend on the
//! thread count, so results are bitwise identical for any number of threads (DESIGN.md §9).

use crate::cell::Cell;
use rayon::prelude::*;

/// Atoms per chunk. Fixed so that results never depend on the number of threads.
pub const CHUNK_ATOMS: usize = 256;

/// The stored pairs whose first atom lies in one chunk of the bin-sorted atom order, in the
/// chunk's local numbering.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    /// Atom index of each local slot.
    pub atoms: Vec<u32>,
    /// Lattice translation of each local slot, as an index into [`NeighborList::shifts`]:
    /// the slot sits at `x[atoms[l]] + shifts[images[l]]`.
    pub images: Vec<u16>,
    /// Local slot of the first atom of each row (the chunk's own atoms; zero translation).
    pub rows: Vec<u32>,
    /// Pairs of row k are `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<u32>,
    /// Local slot of the second atom of each pair.
    pub neighbors: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct NeighborList {
    cutoff: f64,
    skin: f64,
    /// Cartesian lattice translations addressed by the slot image index.
    shifts: Vec<[f64; 3]>,
    chunks: Vec<Chunk>,
    reference: Vec<[f64; 3]>,
    builds: u64,
    /// Run the AVX2 candidate scan (same pairs as the portable one, see `simd`).
    avx2: bool,
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

/// Atoms sorted by bin, and for every bin the neighbour bins to search with the lattice
/// translation each is reached through.
struct Bins {
    /// Sorted slot → atom.
    order: Vec<u32>,
    /// Bin of each sorted slot.
    slot_bin: Vec<u32>,
    /// x, y and z of the atoms in sorted order (contiguous candidate scans, SIMD layout).
    coords: [Vec<f64>; 3],
    /// Slots of bin b are `start[b]..start[b + 1]`.
    start: Vec<u32>,
    /// Per bin, `per_bin` entries (neighbour bin, image index).
    stencil: Vec<(u32, u16)>,
    per_bin: usize,
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
            avx2: crate::simd::avx2_available(),
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
    /// given (those of the build, or later ones). The order of the pairs is the list's own
    /// (spatial), not the atom order.
    pub fn for_each_pair(&self, positions: &[[f64; 3]], mut f: impl FnMut(usize, usize, [f64; 3])) {
        for chunk in &self.chunks {
            for (k, &row) in chunk.rows.iter().enumerate() {
                let i = chunk.atoms[row as usize] as usize;
                let xi = positions[i];
                for &l in &chunk.neighbors[chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize]
                {
                    let j = chunk.atoms[l as usize] as usize;
                    let t = self.shifts[chunk.images[l as usize] as usize];
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
        assert!(n < u32::MAX as usize, "too many atoms for 32-bit indices");
        let r_list = self.list_radius();
        let widths = cell.perpendicular_widths();
        // Bins as wide as the list radius: half-size bins search a smaller volume but visit
        // 63 instead of 14 bins per atom, which measured 1.6× slower on liquid argon. Never
        // much smaller than the volume per atom, so short radii do not make empty bins.
        let per_atom = (cell.volume() / n.max(1) as f64).cbrt();
        let bin_width = r_list.max(per_atom);
        let axes = [0, 1, 2].map(|k| BinAxis::new(widths[k], r_list, bin_width));

        // Shift table over all lattice translations the stencil can reach.
        self.shifts.clear();
        for na in -axes[0].max_shift..=axes[0].max_shift {
            for nb in -axes[1].max_shift..=axes[1].max_shift {
                for nc in -axes[2].max_shift..=axes[2].max_shift {
                    self.shifts
                        .push(cell.translation([na as i32, nb as i32, nc as i32]));
                }
            }
        }
        assert!(
            self.shifts.len() <= u16::MAX as usize,
            "cell far too small for the cutoff"
        );
        let bins = Bins::new(cell, &axes, positions);

        let builder = ChunkBuilder {
            bins: &bins,
            shifts: &self.shifts,
            zero_image: (self.shifts.len() / 2) as u16,
            r2_list: r_list * r_list,
        };
        let n_bins = bins.start.len() - 1;
        let avx2 = self.avx2;
        self.chunks
            .resize_with(n.div_ceil(CHUNK_ATOMS), Chunk::default);
        self.chunks.par_iter_mut().enumerate().for_each_init(
            || BlockMap {
                head: vec![u32::MAX; n_bins],
                entries: Vec::new(),
                seen: Vec::new(),
            },
            |map, (c, chunk)| {
                let slots = c * CHUNK_ATOMS..((c + 1) * CHUNK_ATOMS).min(n);
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: the CPU has AVX2 (NeighborList::avx2).
                    unsafe { builder.build_avx2(chunk, slots, map) };
                    return;
                }
                builder.build::<false>(chunk, slots, map);
            },
        );
        self.reference.clear();
        self.reference.extend_from_slice(positions);
        self.builds += 1;
    }
}

impl Bins {
    fn new(cell: &Cell, axes: &[BinAxis; 3], positions: &[[f64; 3]]) -> Self {
        let n = positions.len();
        let dims = axes.map(|a| a.bins);
        let n_bins = (dims[0] * dims[1] * dims[2]) as usize;
        let flat = |b: [i64; 3]| ((b[0] * dims[1] + b[1]) * dims[2] + b[2]) as usize;
        let atom_bin: Vec<u32> = positions
            .iter()
            .map(|x| {
                let s = cell.to_fractional(*x);
                flat([0, 1, 2].map(|k| {
                    let f = s[k] - s[k].floor();
                    ((f * dims[k] as f64) as i64).clamp(0, dims[k] - 1)
                })) as u32
            })
            .collect();
        // Counting sort: stable, so the atoms of a bin stay in index order (deterministic).
        let mut start = vec![0u32; n_bins + 1];
        for &b in &atom_bin {
            start[b as usize + 1] += 1;
        }
        for k in 0..n_bins {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; n];
        let mut slot_bin = vec![0u32; n];
        let mut coords = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        for (i, &b) in atom_bin.iter().enumerate() {
            let slot = fill[b as usize] as usize;
            order[slot] = i as u32;
            slot_bin[slot] = b;
            for (c, x) in coords.iter_mut().zip(positions[i]) {
                c[slot] = x;
            }
            fill[b as usize] += 1;
        }

        // Half stencil: of the offsets o and −o between two bins only the lexicographically
        // positive one is searched; pairs inside one bin are taken with the later slot. Each
        // pair (i, j, T) is thereby found exactly once.
        let span = axes.map(|a| 2 * a.max_shift + 1);
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
        let mut stencil = Vec::with_capacity(n_bins * offsets.len());
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
        Self {
            order,
            slot_bin,
            coords,
            start,
            stencil,
            per_bin: offsets.len(),
        }
    }

    fn range(&self, bin: usize) -> std::ops::Range<usize> {
        self.start[bin] as usize..self.start[bin + 1] as usize
    }
}

/// What every chunk's build reads.
struct ChunkBuilder<'a> {
    bins: &'a Bins,
    shifts: &'a [[f64; 3]],
    zero_image: u16,
    r2_list: f64,
}

/// Per-thread scratch of the build: the blocks (bin, image) the current chunk has seen.
struct BlockMap {
    /// Per bin, the latest block entry of that bin, or `u32::MAX`.
    head: Vec<u32>,
    /// (image, first local slot, previous entry of the same bin or `u32::MAX`).
    entries: Vec<(u16, u32, u32)>,
    /// Bins whose `head` the current chunk set (reset afterwards).
    seen: Vec<u32>,
}

impl ChunkBuilder<'_> {
    /// [`Self::build`] with the AVX2 candidate scan.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn build_avx2(&self, chunk: &mut Chunk, slots: std::ops::Range<usize>, map: &mut BlockMap) {
        self.build::<true>(chunk, slots, map);
    }

    /// The pairs whose first atom is one of the sorted slots `slots`.
    #[inline(always)]
    fn build<const AVX2: bool>(
        &self,
        chunk: &mut Chunk,
        slots: std::ops::Range<usize>,
        map: &mut BlockMap,
    ) {
        chunk.atoms.clear();
        chunk.images.clear();
        chunk.rows.clear();
        chunk.offsets.clear();
        chunk.neighbors.clear();
        chunk.offsets.push(0);
        let bins = self.bins;
        for s in slots {
            let xi = bins.coords.each_ref().map(|c| c[s]);
            let b = bins.slot_bin[s] as usize;
            let own = self.block(chunk, map, b, self.zero_image);
            let skip = s + 1 - bins.start[b] as usize;
            chunk.rows.push(own + skip as u32 - 1);
            self.scan::<AVX2>(chunk, xi, b, self.zero_image, own, skip);
            for &(nb, image) in &bins.stencil[b * bins.per_bin..(b + 1) * bins.per_bin] {
                let base = self.block(chunk, map, nb as usize, image);
                self.scan::<AVX2>(chunk, xi, nb as usize, image, base, 0);
            }
            chunk.offsets.push(chunk.neighbors.len() as u32);
        }
        for &bin in &map.seen {
            map.head[bin as usize] = u32::MAX;
        }
        map.seen.clear();
        map.entries.clear();
    }

    /// First local slot of the block (bin, image), appending the block when it is new. A bin
    /// is seen through one translation, or a few in boxes narrower than twice the list
    /// radius: the chain per bin is short.
    fn block(&self, chunk: &mut Chunk, map: &mut BlockMap, bin: usize, image: u16) -> u32 {
        let mut e = map.head[bin];
        while e != u32::MAX {
            let (im, slot, prev) = map.entries[e as usize];
            if im == image {
                return slot;
            }
            e = prev;
        }
        let slot = chunk.atoms.len() as u32;
        if map.head[bin] == u32::MAX {
            map.seen.push(bin as u32);
        }
        map.entries.push((image, slot, map.head[bin]));
        map.head[bin] = (map.entries.len() - 1) as u32;
        let range = self.bins.range(bin);
        chunk.images.resize(chunk.atoms.len() + range.len(), image);
        chunk.atoms.extend_from_slice(&self.bins.order[range]);
        slot
    }

    /// Appends the slots of block (bin, image), from its `skip`-th atom on, that lie within
    /// the list radius of `xi`.
    #[inline(always)]
    fn scan<const AVX2: bool>(
        &self,
        chunk: &mut Chunk,
        xi: [f64; 3],
        bin: usize,
        image: u16,
        base: u32,
        skip: usize,
    ) {
        let t = self.shifts[image as usize];
        let origin = [xi[0] - t[0], xi[1] - t[1], xi[2] - t[2]];
        let range = self.bins.range(bin);
        let candidates = self
            .bins
            .coords
            .each_ref()
            .map(|c| &c[range.start + skip..range.end]);
        let old = chunk.neighbors.len();
        chunk.neighbors.resize(old + candidates[0].len(), 0);
        let out = &mut chunk.neighbors[old..];
        let first = base + skip as u32;
        let mut count = 0;
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: only instantiated with AVX2 from `build_avx2`.
            (done, count) =
                unsafe { avx2::select_within(candidates, origin, self.r2_list, first, out) };
        }
        count = select_within(candidates, origin, self.r2_list, first, done, count, out);
        chunk.neighbors.truncate(old + count);
    }
}

/// Writes `first + k` to `out[count..]` for every candidate k ≥ `done` (coordinates
/// `c[0][k]`, `c[1][k]`, `c[2][k]`) with |x_k − origin|² < `r2`; returns the new count.
/// Branch-free: every candidate is written, the count advances only for those inside
/// (about one in seven), which no branch predictor could learn.
#[inline(always)]
fn select_within(
    c: [&[f64]; 3],
    origin: [f64; 3],
    r2: f64,
    first: u32,
    done: usize,
    mut count: usize,
    out: &mut [u32],
) -> usize {
    let candidates = c[0].iter().zip(c[1]).zip(c[2]).enumerate().skip(done);
    for (k, ((x, y), z)) in candidates {
        let d = [x - origin[0], y - origin[1], z - origin[2]];
        out[count] = first + k as u32;
        count += usize::from(d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < r2);
    }
    count
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 copy of [`super::select_within`], four candidates at a time: the same
    //! distance arithmetic, so the same pairs in the same order.
    use std::arch::x86_64::*;

    /// For each 4-bit mask, the `pshufb` control that packs the selected 32-bit lanes.
    const PACK: [[u8; 16]; 16] = {
        let mut table = [[0x80u8; 16]; 16];
        let mut mask = 0;
        while mask < 16 {
            let mut out = 0;
            let mut lane = 0;
            while lane < 4 {
                if mask & (1 << lane) != 0 {
                    let mut b = 0;
                    while b < 4 {
                        table[mask][4 * out + b] = (4 * lane + b) as u8;
                        b += 1;
                    }
                    out += 1;
                }
                lane += 1;
            }
            mask += 1;
        }
        table
    };

    /// Candidates `0..done` (a multiple of four) of [`super::select_within`]; returns
    /// (done, count).
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn select_within(
        c: [&[f64]; 3],
        origin: [f64; 3],
        r2: f64,
        first: u32,
        out: &mut [u32],
    ) -> (usize, usize) {
        let n = c[0].len();
        assert!(c[1].len() == n && c[2].len() == n && out.len() >= n);
        let o = origin.map(|x| _mm256_set1_pd(x));
        let limit = _mm256_set1_pd(r2);
        let mut index = _mm_add_epi32(_mm_set1_epi32(first as i32), _mm_setr_epi32(0, 1, 2, 3));
        let four = _mm_set1_epi32(4);
        let mut count = 0;
        let mut k = 0;
        while k + 4 <= n {
            // SAFETY: k + 4 ≤ n = the length of every slice; count ≤ k, so out[count..count + 4]
            // lies within out (out.len() ≥ n).
            unsafe {
                let dx = _mm256_sub_pd(_mm256_loadu_pd(c[0].as_ptr().add(k)), o[0]);
                let dy = _mm256_sub_pd(_mm256_loadu_pd(c[1].as_ptr().add(k)), o[1]);
                let dz = _mm256_sub_pd(_mm256_loadu_pd(c[2].as_ptr().add(k)), o[2]);
                let d2 = _mm256_add_pd(
                    _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy)),
                    _mm256_mul_pd(dz, dz),
                );
                let mask = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(d2, limit)) as usize;
                let control = _mm_loadu_si128(PACK[mask].as_ptr().cast());
                let packed = _mm_shuffle_epi8(index, control);
                _mm_storeu_si128(out.as_mut_ptr().add(count).cast(), packed);
                count += mask.count_ones() as usize;
            }
            index = _mm_add_epi32(index, four);
            k += 4;
        }
        (k, count)
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
    let reach = widths.map(|w| (r_max / w).ceil() as i32 + 1);
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

    /// The AVX2 and the portable candidate scans give the same list, pair for pair.
    #[test]
    fn avx2_and_portable_scans_agree() {
        let cell = Cell::new([18.0, 0.0, 0.0], [6.0, 17.0, 0.0], [-4.0, 5.0, 19.0]).unwrap();
        let positions = random_positions(&cell, 700, 5);
        let mut lists = [true, false].map(|avx2| {
            let mut nl = NeighborList::new(4.5, 0.8);
            nl.avx2 = avx2 && crate::simd::avx2_available();
            nl.build(&cell, &positions);
            nl
        });
        let [a, b] = &mut lists;
        assert!(a.n_pairs() > 0);
        assert_eq!(a.chunks.len(), b.chunks.len());
        for (x, y) in a.chunks.iter().zip(&b.chunks) {
            assert_eq!(
                (&x.atoms, &x.images, &x.rows, &x.offsets, &x.neighbors),
                (&y.atoms, &y.images, &y.rows, &y.offsets, &y.neighbors)
            );
        }
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
