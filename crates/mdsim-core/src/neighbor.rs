//! Verlet neighbour lists built from cell (bin) lists, for any triclinic cell.
//!
//! Every pair within `cutoff + skin` is stored once (a half list). Atoms are sorted by bin
//! at every build (a counting sort; within a bin by atom index), so atoms close in space are
//! close in memory; the sort lives only here, the caller's atom order is never changed.
//!
//! The list works on *slots*: one per atom in sorted order, plus *ghosts* (an atom seen
//! through a lattice translation, for pairs that cross the cell boundary). The force loop
//! gathers slot positions (translation applied) once per step and needs no image arithmetic
//! per pair; storing translations keeps the list exact for every cell shape and for boxes
//! where an atom sees several images of another.
//!
//! The sorted atoms are cut into chunks of [`CHUNK_ATOMS`]. Slots are laid out chunk by chunk
//! (a chunk's atoms, then its ghosts), and a chunk's pairs lead only forward in the bin order
//! (half stencil) or to its own ghosts, so a chunk touches one window of slots that starts at
//! its own first slot. Chunks whose windows do not overlap form a *group*: groups run one
//! after the other and the chunks of a group in parallel, each adding into its own window of
//! one force array. Chunking, windows and groups depend on the positions only, never on the
//! thread count, so every slot receives its additions in the same order for any number of
//! threads: results are bitwise identical (DESIGN.md §9).

use crate::cell::Cell;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Atoms per chunk. Fixed so that results never depend on the number of threads.
pub const CHUNK_ATOMS: usize = 256;

/// Marks a ghost reference while a chunk is built (bit 31 of a pair's partner).
const GHOST: u32 = 1 << 31;

/// The pairs whose first atom is one of a chunk's atoms, in the chunk's slot window.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    /// First slot of the window; the chunk's own atoms are its first `rows()` slots.
    pub first: usize,
    /// Slots in the window.
    pub len: usize,
    /// Pairs of row k (slot `first + k`) are `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<u32>,
    /// Partner of each pair, as a slot relative to `first`.
    pub neighbors: Vec<u32>,
    /// Ghosts of the chunk (sorted index, image) in the order of their slots.
    ghosts: Vec<(u32, u16)>,
}

impl Chunk {
    /// Number of the chunk's own atoms.
    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The window `first..first + len`.
    pub fn window(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.len
    }
}

#[derive(Clone, Debug)]
pub struct NeighborList {
    cutoff: f64,
    skin: f64,
    /// Cartesian lattice translations addressed by the image index of stencil segments.
    shifts: Vec<[f64; 3]>,
    /// Atom of each slot.
    slot_atoms: Vec<u32>,
    /// Lattice translation of each slot (Å): the slot sits at `x[atom] + shift`.
    slot_shifts: Vec<[f64; 3]>,
    stencil: Stencil,
    chunks: Vec<Chunk>,
    /// Chunk indices, group by group (see the module documentation).
    groups: Vec<Vec<u32>>,
    reference: Vec<[f64; 3]>,
    builds: u64,
    /// Run the AVX2 candidate scan (same pairs as the portable one, see `simd`).
    avx2: bool,
}

/// How the bins and their search stencil are laid out along one cell direction.
#[derive(Clone, Copy, Debug, PartialEq)]
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

/// Bins `first..end` (consecutive numbers) seen through lattice translation `image`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    first: u32,
    end: u32,
    image: u16,
}

/// Atoms sorted by bin, and for every bin the neighbour bins to search with the lattice
/// translation each is reached through. Bins are numbered with the third cell direction
/// fastest, so neighbour bins along it are consecutive and their atoms one contiguous run:
/// the search visits *segments* of consecutive bins seen through one translation.
struct Bins {
    /// Sorted index → atom.
    order: Vec<u32>,
    /// Bin of each sorted atom.
    sorted_bin: Vec<u32>,
    /// x, y and z of the atoms in sorted order, wrapped into the cell (contiguous candidate
    /// scans, SIMD layout).
    coords: [Vec<f64>; 3],
    /// The lattice translation that wraps each sorted atom into the cell (zero for atoms
    /// inside it).
    wrap: Vec<[f64; 3]>,
    /// Sorted atoms of bin b are `start[b]..start[b + 1]`.
    start: Vec<u32>,
}

/// For every bin, the segments to search. Depends on the bin layout only, so it is kept
/// between builds while the layout stays the same.
#[derive(Clone, Debug, Default)]
struct Stencil {
    axes: Option<[BinAxis; 3]>,
    /// Segments of bin b are `segments[start[b]..start[b + 1]]`; the first begins with bin
    /// b itself (zero translation), whose atoms are searched from the one after the current
    /// atom.
    segments: Vec<Segment>,
    start: Vec<u32>,
}

impl NeighborList {
    /// A list for pairs within `cutoff`, built with margin `skin` (Å).
    pub fn new(cutoff: f64, skin: f64) -> Self {
        Self {
            cutoff,
            skin,
            shifts: Vec::new(),
            slot_atoms: Vec::new(),
            slot_shifts: Vec::new(),
            stencil: Stencil::default(),
            chunks: Vec::new(),
            groups: Vec::new(),
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

    /// Chunk indices, group by group: the chunks of one group have disjoint windows.
    pub fn groups(&self) -> &[Vec<u32>] {
        &self.groups
    }

    /// Atom of each slot.
    pub fn slot_atoms(&self) -> &[u32] {
        &self.slot_atoms
    }

    /// Lattice translation of each slot (Å): the slot sits at `x[atom] + shift`. Zero for
    /// atoms inside the cell, a lattice vector combination for ghosts and for atoms outside.
    pub fn slot_shifts(&self) -> &[[f64; 3]] {
        &self.slot_shifts
    }

    /// How many times the list has been built.
    pub fn builds(&self) -> u64 {
        self.builds
    }

    /// Number of stored pairs.
    pub fn n_pairs(&self) -> usize {
        self.chunks.iter().map(|c| c.neighbors.len()).sum()
    }

    /// Position of slot `s` for the atom positions given.
    #[inline]
    pub fn slot_position(&self, positions: &[[f64; 3]], s: usize) -> [f64; 3] {
        let x = positions[self.slot_atoms[s] as usize];
        let t = self.slot_shifts[s];
        [x[0] + t[0], x[1] + t[1], x[2] + t[2]]
    }

    /// Calls `f(i, j, d)` for every stored pair, with d = x_j + T − x_i for the positions
    /// given (those of the build, or later ones). The order of the pairs is the list's own
    /// (spatial), not the atom order.
    pub fn for_each_pair(&self, positions: &[[f64; 3]], mut f: impl FnMut(usize, usize, [f64; 3])) {
        for chunk in &self.chunks {
            for k in 0..chunk.rows() {
                let si = chunk.first + k;
                let i = self.slot_atoms[si] as usize;
                let xi = self.slot_position(positions, si);
                for &l in &chunk.neighbors[chunk.offsets[k] as usize..chunk.offsets[k + 1] as usize]
                {
                    let sj = chunk.first + l as usize;
                    let j = self.slot_atoms[sj] as usize;
                    let t = self.slot_shifts[sj];
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
        assert!(n < GHOST as usize, "too many atoms for 31-bit indices");
        let r_list = self.list_radius();
        let widths = cell.perpendicular_widths();
        // Bins one list radius wide along a and b and half as wide along c: each atom
        // searches 5 segments of 5 bins (rows along c), ~150 candidates in liquid argon,
        // which measured faster than 13 segments of half-radius bins (~105 candidates, more
        // per-segment work) and than 14 list-radius bins (~190). Never much smaller than the
        // spacing of the atoms, so short radii do not make empty bins.
        let per_atom = (cell.volume() / n.max(1) as f64).cbrt();
        let fraction = [1.0, 1.0, 0.5];
        let axes = [0, 1, 2]
            .map(|k| BinAxis::new(widths[k], r_list, (fraction[k] * r_list).max(per_atom)));

        // Shift table over all lattice translations the stencil can reach.
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
        let bins = Bins::new(cell, &axes, positions);
        if self.stencil.axes != Some(axes) {
            self.stencil = Stencil::new(axes);
        }

        // 1. Every chunk's pairs, partners as sorted indices or chunk ghosts.
        let scanner = Scanner {
            bins: &bins,
            stencil: &self.stencil,
            shifts: &self.shifts,
            zero_image: (self.shifts.len() / 2) as u16,
            r2_list: r_list * r_list,
        };
        let avx2 = self.avx2;
        self.chunks
            .resize_with(n.div_ceil(CHUNK_ATOMS), Chunk::default);
        self.chunks.par_iter_mut().enumerate().for_each_init(
            || BuildScratch {
                ghosts: GhostMap {
                    head: vec![u32::MAX; n],
                    entries: Vec::new(),
                },
                partners: Vec::new(),
            },
            |map, (c, chunk)| {
                let sorted = c * CHUNK_ATOMS..((c + 1) * CHUNK_ATOMS).min(n);
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: the CPU has AVX2 (NeighborList::avx2).
                    unsafe { scanner.chunk_avx2(chunk, sorted, map) };
                    return;
                }
                scanner.chunk::<false>(chunk, sorted, map);
            },
        );

        // 2. Slots: chunk by chunk, its atoms then its ghosts.
        let mut first = Vec::with_capacity(self.chunks.len());
        self.slot_atoms.clear();
        self.slot_shifts.clear();
        for (c, chunk) in self.chunks.iter().enumerate() {
            first.push(self.slot_atoms.len());
            let own = c * CHUNK_ATOMS..((c + 1) * CHUNK_ATOMS).min(n);
            self.slot_atoms.extend_from_slice(&bins.order[own.clone()]);
            self.slot_shifts.extend_from_slice(&bins.wrap[own]);
            for &(t, image) in &chunk.ghosts {
                let (w, g) = (bins.wrap[t as usize], self.shifts[image as usize]);
                self.slot_atoms.push(bins.order[t as usize]);
                self.slot_shifts
                    .push([w[0] + g[0], w[1] + g[1], w[2] + g[2]]);
            }
        }

        // 3. Partners as slots relative to the chunk's first slot.
        self.chunks
            .par_iter_mut()
            .enumerate()
            .for_each(|(c, chunk)| chunk.place_in_window(first[c], &first));

        // 4. Groups, greedily in chunk order: a chunk joins the first group whose windows
        // all end before it starts (windows only reach forward, see the module docs).
        self.groups.clear();
        let mut group_end: Vec<usize> = Vec::new();
        for (c, chunk) in self.chunks.iter().enumerate() {
            let g = match group_end.iter().position(|&end| end <= chunk.first) {
                Some(g) => g,
                None => {
                    group_end.push(0);
                    self.groups.push(Vec::new());
                    group_end.len() - 1
                }
            };
            group_end[g] = chunk.first + chunk.len;
            self.groups[g].push(c as u32);
        }

        self.reference.clear();
        self.reference.extend_from_slice(positions);
        self.builds += 1;
    }

    /// The positions (Å) of the last build.
    pub fn reference_positions(&self) -> &[[f64; 3]] {
        &self.reference
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

impl Chunk {
    /// Turns partners (sorted index or `GHOST | ghost index`) into slots relative to
    /// `first`, given the first slot of every chunk, and sets the window length.
    fn place_in_window(&mut self, first: usize, chunk_first: &[usize]) {
        let rows = self.rows();
        let ghost_base = rows;
        let mut end = rows + self.ghosts.len();
        let last = chunk_first.len() - 1;
        for p in &mut self.neighbors {
            // Both readings, then a select: which one applies is not predictable.
            let v = (*p & !GHOST) as usize;
            let real =
                (chunk_first[(v / CHUNK_ATOMS).min(last)] + v % CHUNK_ATOMS).wrapping_sub(first);
            let local = if *p & GHOST != 0 {
                ghost_base + v
            } else {
                real
            };
            end = end.max(local + 1);
            *p = local as u32;
        }
        self.first = first;
        self.len = end;
    }
}

impl Bins {
    fn new(cell: &Cell, axes: &[BinAxis; 3], positions: &[[f64; 3]]) -> Self {
        let n = positions.len();
        let dims = axes.map(|a| a.bins);
        let n_bins = (dims[0] * dims[1] * dims[2]) as usize;
        let flat = |b: [i64; 3]| ((b[0] * dims[1] + b[1]) * dims[2] + b[2]) as usize;
        // Bin of each atom, and the translation that wraps it into the cell (exactly zero for
        // atoms inside: positions are copied unchanged then).
        let mut wrap = vec![[0.0; 3]; n];
        let atom_bin: Vec<u32> = positions
            .iter()
            .zip(&mut wrap)
            .map(|(x, w)| {
                let s = cell.to_fractional(*x);
                let outside = s.map(|f| -f.floor());
                if outside != [0.0; 3] {
                    *w = cell.to_cartesian(outside);
                }
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
        let mut sorted_bin = vec![0u32; n];
        let mut sorted_wrap = vec![[0.0; 3]; n];
        let mut coords = [0, 1, 2].map(|_| vec![0.0; n + PAD]);
        for (i, &b) in atom_bin.iter().enumerate() {
            let t = fill[b as usize] as usize;
            order[t] = i as u32;
            sorted_bin[t] = b;
            sorted_wrap[t] = wrap[i];
            for (k, c) in coords.iter_mut().enumerate() {
                c[t] = positions[i][k] + wrap[i][k];
            }
            fill[b as usize] += 1;
        }
        Self {
            order,
            sorted_bin,
            coords,
            wrap: sorted_wrap,
            start,
        }
    }

    /// Sorted atoms of a segment.
    fn range(&self, segment: &Segment) -> std::ops::Range<usize> {
        self.start[segment.first as usize] as usize..self.start[segment.end as usize] as usize
    }
}

impl Stencil {
    fn new(axes: [BinAxis; 3]) -> Self {
        let dims = axes.map(|a| a.bins);
        let n_bins = (dims[0] * dims[1] * dims[2]) as usize;
        let flat = |b: [i64; 3]| ((b[0] * dims[1] + b[1]) * dims[2] + b[2]) as usize;
        // Half stencil: of the offsets o and −o between two bins only the lexicographically
        // positive one is searched; pairs inside one bin are taken with the later atom. Each
        // pair (i, j, T) is thereby found exactly once, and a partner reached without a
        // lattice translation always comes later in the sorted order. Rows (oa, ob) are
        // searched over oc = −reach..=reach, except row (0, 0): the bin itself, then oc > 0.
        let span = axes.map(|a| 2 * a.max_shift + 1);
        let mut rows = vec![(0, 0)];
        for oa in 0..=axes[0].reach {
            for ob in -axes[1].reach..=axes[1].reach {
                if (oa, ob) > (0, 0) {
                    rows.push((oa, ob));
                }
            }
        }
        let mut segments: Vec<Segment> = Vec::new();
        let mut segment_start = Vec::with_capacity(n_bins + 1);
        for ba in 0..dims[0] {
            for bb in 0..dims[1] {
                for bc in 0..dims[2] {
                    segment_start.push(segments.len() as u32);
                    for &(oa, ob) in &rows {
                        let oc_range = match (oa, ob) {
                            (0, 0) => 0..=axes[2].reach,
                            _ => -axes[2].reach..=axes[2].reach,
                        };
                        let row_start = segments.len();
                        for oc in oc_range {
                            let b = [ba + oa, bb + ob, bc + oc];
                            let wrapped = [0, 1, 2].map(|k| b[k].rem_euclid(dims[k]));
                            let shift =
                                [0, 1, 2].map(|k| b[k].div_euclid(dims[k]) + axes[k].max_shift);
                            let image =
                                ((shift[0] * span[1] + shift[1]) * span[2] + shift[2]) as u16;
                            let bin = flat(wrapped) as u32;
                            let in_row = segments.len() > row_start;
                            match segments.last_mut() {
                                Some(s) if in_row && s.image == image && s.end == bin => s.end += 1,
                                _ => segments.push(Segment {
                                    first: bin,
                                    end: bin + 1,
                                    image,
                                }),
                            }
                        }
                    }
                }
            }
        }
        segment_start.push(segments.len() as u32);
        Self {
            axes: Some(axes),
            segments,
            start: segment_start,
        }
    }
}

/// What every chunk's candidate search reads.
struct Scanner<'a> {
    bins: &'a Bins,
    stencil: &'a Stencil,
    shifts: &'a [[f64; 3]],
    zero_image: u16,
    r2_list: f64,
}

/// Per-thread scratch of the build.
struct BuildScratch {
    ghosts: GhostMap,
    /// Partners of the current atom.
    partners: Vec<u32>,
}

/// The ghosts (sorted index, image) of the current chunk.
struct GhostMap {
    /// Per sorted index, the latest entry of that atom, or `u32::MAX`.
    head: Vec<u32>,
    /// (image, previous entry of the same atom or `u32::MAX`); entry k is ghost k.
    entries: Vec<(u16, u32)>,
}

impl Scanner<'_> {
    /// [`Self::chunk`] with the AVX2 candidate scan.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn chunk_avx2(
        &self,
        chunk: &mut Chunk,
        sorted: std::ops::Range<usize>,
        map: &mut BuildScratch,
    ) {
        self.chunk::<true>(chunk, sorted, map);
    }

    /// The pairs whose first atom is one of the sorted atoms `sorted`; partners are sorted
    /// indices, or `GHOST | k` for the chunk's ghost k.
    #[inline(always)]
    fn chunk<const AVX2: bool>(
        &self,
        chunk: &mut Chunk,
        sorted: std::ops::Range<usize>,
        map: &mut BuildScratch,
    ) {
        chunk.offsets.clear();
        chunk.neighbors.clear();
        chunk.ghosts.clear();
        chunk.offsets.push(0);
        let bins = self.bins;
        for s in sorted {
            let xi = bins.coords.each_ref().map(|c| c[s]);
            let b = bins.sorted_bin[s] as usize;
            let st = self.stencil;
            let segments = &st.segments[st.start[b] as usize..st.start[b + 1] as usize];
            let mut count = 0;
            for (k, segment) in segments.iter().enumerate() {
                let range = bins.range(segment);
                // The first segment starts with the atom's own bin: later atoms only.
                let from = if k == 0 { s + 1 } else { range.start };
                let needed = count + (range.end - from) + PAD;
                if map.partners.len() < needed {
                    map.partners.resize(needed, 0);
                }
                let out = &mut map.partners[count..];
                let found = self.scan::<AVX2>(xi, from..range.end, segment.image, out);
                if segment.image != self.zero_image {
                    for p in &mut out[..found] {
                        *p = GHOST | map.ghosts.ghost(&mut chunk.ghosts, *p, segment.image);
                    }
                }
                count += found;
            }
            chunk.neighbors.extend_from_slice(&map.partners[..count]);
            chunk.offsets.push(chunk.neighbors.len() as u32);
        }
        for &(t, _) in &chunk.ghosts {
            map.ghosts.head[t as usize] = u32::MAX;
        }
        map.ghosts.entries.clear();
    }

    /// Writes to `out` the sorted atoms of `range` that lie within the list radius of `xi`
    /// when seen through translation `image`; returns their number. `out` holds at least
    /// `range.len() + PAD` entries.
    #[inline(always)]
    fn scan<const AVX2: bool>(
        &self,
        xi: [f64; 3],
        range: std::ops::Range<usize>,
        image: u16,
        out: &mut [u32],
    ) -> usize {
        let t = self.shifts[image as usize];
        let origin = [xi[0] - t[0], xi[1] - t[1], xi[2] - t[2]];
        let first = range.start as u32;
        let n = range.len();
        // With the padding: SIMD reads and writes whole vectors past the end.
        let candidates = self
            .bins
            .coords
            .each_ref()
            .map(|c| &c[range.start..range.end + PAD]);
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: only instantiated with AVX2 from `chunk_avx2`.
            return unsafe { avx2::select_within(candidates, n, origin, self.r2_list, first, out) };
        }
        select_within(candidates, n, origin, self.r2_list, first, out)
    }
}

impl GhostMap {
    /// The ghost index of sorted atom `t` seen through `image`, added to `ghosts` when new.
    /// An atom is seen through one translation, or a few in boxes narrower than twice the
    /// list radius: the chain per atom is short.
    #[inline]
    fn ghost(&mut self, ghosts: &mut Vec<(u32, u16)>, t: u32, image: u16) -> u32 {
        let mut e = self.head[t as usize];
        while e != u32::MAX {
            let (im, prev) = self.entries[e as usize];
            if im == image {
                return e;
            }
            e = prev;
        }
        let k = self.entries.len() as u32;
        self.entries.push((image, self.head[t as usize]));
        self.head[t as usize] = k;
        ghosts.push((t, image));
        k
    }
}

/// Entries after the last atom in the sorted coordinates: SIMD code reads up to three
/// past the end of a range.
const PAD: usize = 3;

/// Writes `first + k` to `out[..count]` for every candidate k < `n` (coordinates `c[0][k]`,
/// `c[1][k]`, `c[2][k]`) with |x_k − origin|² < `r2`, in order; returns the count.
/// Branch-free: every candidate is written, the count advances only for those inside
/// (about one in seven), which no branch predictor could learn.
#[inline(always)]
fn select_within(
    c: [&[f64]; 3],
    n: usize,
    origin: [f64; 3],
    r2: f64,
    first: u32,
    out: &mut [u32],
) -> usize {
    let mut count = 0;
    let candidates = c[0].iter().zip(c[1]).zip(c[2]).take(n).enumerate();
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

    /// [`super::select_within`]; `c` and `out` hold at least `n + PAD` entries.
    #[inline]
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) fn select_within(
        c: [&[f64]; 3],
        n: usize,
        origin: [f64; 3],
        r2: f64,
        first: u32,
        out: &mut [u32],
    ) -> usize {
        let padded = n + super::PAD;
        assert!(c.iter().all(|x| x.len() >= padded) && out.len() >= padded);
        let o = origin.map(|x| _mm256_set1_pd(x));
        let limit = _mm256_set1_pd(r2);
        let mut index = _mm_add_epi32(_mm_set1_epi32(first as i32), _mm_setr_epi32(0, 1, 2, 3));
        let four = _mm_set1_epi32(4);
        let mut count = 0;
        let mut k = 0;
        while k < n {
            // Lanes past n are switched off.
            let used = (1usize << (n - k).min(4)) - 1;
            // SAFETY: k < n, so k + 4 ≤ n + PAD ≤ the length of every slice; count ≤ k, so
            // out[count..count + 4] lies within out.
            unsafe {
                let dx = _mm256_sub_pd(_mm256_loadu_pd(c[0].as_ptr().add(k)), o[0]);
                let dy = _mm256_sub_pd(_mm256_loadu_pd(c[1].as_ptr().add(k)), o[1]);
                let dz = _mm256_sub_pd(_mm256_loadu_pd(c[2].as_ptr().add(k)), o[2]);
                let d2 = _mm256_add_pd(
                    _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy)),
                    _mm256_mul_pd(dz, dz),
                );
                let inside = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(d2, limit)) as usize;
                let mask = inside & used;
                let control = _mm_loadu_si128(PACK[mask].as_ptr().cast());
                let packed = _mm_shuffle_epi8(index, control);
                _mm_storeu_si128(out.as_mut_ptr().add(count).cast(), packed);
                count += mask.count_ones() as usize;
            }
            index = _mm_add_epi32(index, four);
            k += 4;
        }
        count
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
        check_positions_against_oracle(&cell, &random_positions(&cell, n, 7), cutoff, skin);
    }

    fn check_positions_against_oracle(cell: &Cell, positions: &[[f64; 3]], cutoff: f64, skin: f64) {
        let (cell, positions) = (cell.clone(), positions.to_vec());
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

    /// Atoms outside the cell (drifted since the last wrap, or never wrapped) are found with
    /// every partner as well.
    #[test]
    fn atoms_outside_the_cell() {
        let cell = Cell::new([18.0, 0.0, 0.0], [6.0, 17.0, 0.0], [-4.0, 5.0, 19.0]).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        let positions: Vec<[f64; 3]> = (0..500)
            .map(|_| cell.to_cartesian([0, 1, 2].map(|_| rng.random_range(-0.3..1.3))))
            .collect();
        check_positions_against_oracle(&cell, &positions, 4.5, 0.8);
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
        assert_eq!(
            (&a.slot_atoms, &a.slot_shifts, &a.groups),
            (&b.slot_atoms, &b.slot_shifts, &b.groups)
        );
        assert_eq!(a.chunks.len(), b.chunks.len());
        for (x, y) in a.chunks.iter().zip(&b.chunks) {
            assert_eq!(
                (x.first, x.len, &x.offsets, &x.neighbors),
                (y.first, y.len, &y.offsets, &y.neighbors)
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
