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
        let mut worst: Option<(f64, Violation)> = None;
        nlist.for_each_pair(positions, |i, j, d| {
            let minimum = self.get(types[i], types[j]);
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            if r2 < minimum * minimum {
                let ratio = r2.sqrt() / minimum;
                if worst.is_none_or(|w| ratio < w.0) {
                    let (i, j) = (i.min(j), i.max(j));
                    worst = Some((
                        ratio,
                        Violation {
                            i,
                            j,
                            distance: r2.sqrt(),
                            minimum,
                        },
                    ));
                }
            }
        });
        worst.map(|w| w.1)
    }
}
