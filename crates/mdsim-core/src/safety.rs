//! Hard minimum distances per species pair: closer ions mean a collapsed structure (e.g. the
//! Buckingham catastrophe), so the input is refused or the run stops, naming the pair.

use crate::neighbor::NeighborList;

/// A minimum distance (Å) for every species pair, symmetric.
#[derive(Clone, Debug, PartialEq)]
pub struct HardMinimum {
    n_species: usize,
    min: Vec<f64>,
}

/// Two atoms closer than their pair's minimum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Violation {
    pub i: usize,
    pub j: usize,
    /// Å.
    pub distance: f64,
    /// The pair's minimum, Å.
    pub minimum: f64,
}

impl HardMinimum {
    /// The same minimum for every pair.
    pub fn new(n_species: usize, default: f64) -> Self {
        Self {
            n_species,
            min: vec![default; n_species * n_species],
        }
    }

    pub fn set(&mut self, a: usize, b: usize, r: f64) {
        self.min[a * self.n_species + b] = r;
        self.min[b * self.n_species + a] = r;
    }

    pub fn get(&self, a: usize, b: usize) -> f64 {
        self.min[a * self.n_species + b]
    }

    /// The largest minimum: the neighbour list must reach at least this far.
    pub fn largest(&self) -> f64 {
        self.min.iter().copied().fold(0.0, f64::max)
    }

    /// Among the listed pairs, the one furthest inside its minimum (smallest r / r_min < 1).
    pub fn worst_violation(
        &self,
        nlist: &NeighborList,
        positions: &[[f64; 3]],
        types: &[usize],
    ) -> Option<Violation> {
        if self.largest() <= 0.0 {
            return None;
        }
        self.nearest(types, |f| nlist.for_each_pair(positions, f))
            .filter(|v| v.distance < v.minimum)
    }

    /// The listed pair nearest to its minimum (smallest r / r_min), inside it or not: the
    /// first suspect when a run goes wrong. Examines every listed pair.
    pub fn closest(
        &self,
        nlist: &NeighborList,
        positions: &[[f64; 3]],
        types: &[usize],
    ) -> Option<Violation> {
        self.nearest(types, |f| nlist.for_each_pair(positions, f))
    }

    /// The pair with the smallest r / r_min among those `pairs` calls back with.
    fn nearest(
        &self,
        types: &[usize],
        pairs: impl FnOnce(&mut dyn FnMut(usize, usize, [f64; 3])),
    ) -> Option<Violation> {
        let mut best: Option<(f64, Violation)> = None;
        pairs(&mut |i, j, d| {
            let minimum = self.get(types[i], types[j]);
            let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            let ratio = r / minimum;
            if best.is_none_or(|b| ratio < b.0) {
                let (i, j) = (i.min(j), i.max(j));
                let v = Violation {
                    i,
                    j,
                    distance: r,
                    minimum,
                };
                best = Some((ratio, v));
            }
        });
        best.map(|b| b.1)
    }
}
