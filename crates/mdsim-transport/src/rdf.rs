//! Radial distribution functions g_ab(r) per species pair and running coordination numbers.
//!
//! The caller supplies the pair distances (minimum image, each unordered pair once, r_max at
//! most half the smallest cell width) so this crate needs no cell or neighbour list. g(r) is
//! normalised by the ideal-gas pair count of each shell, N_a N_b / V (a ≠ b) or
//! N_a (N_a − 1) / (2V) (a = b), summed over frames, so volume and counts may vary per frame and
//! an ideal gas gives exactly 1 on average. Coordination numbers are counted directly
//! (neighbours per atom, averaged over frames), not integrated from g.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::{csv, Result, TransportError};

/// Histogram accumulator for g(r). Serialisable (checkpoints).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rdf {
    n_species: usize,
    r_max: f64,
    n_bins: usize,
    dr: f64,
    /// Pair histograms, `hist[pair * n_bins + bin]`.
    hist: Vec<f64>,
    /// Σ over frames of the ideal-gas pair density per pair (pairs per Å³).
    norm: Vec<f64>,
    /// Σ over frames of neighbours per central atom, `cn[(a * n_species + b) * n_bins + bin]`
    /// (b around a).
    cn: Vec<f64>,
    frame: Vec<u64>,
    n_frames: usize,
}

impl Rdf {
    /// Bins of width r_max / n_bins from 0 to `r_max` (Å).
    pub fn new(n_species: usize, r_max: f64, n_bins: usize) -> Result<Self> {
        if n_species == 0 || n_bins == 0 || !(r_max > 0.0 && r_max.is_finite()) {
            return Err(TransportError::Rdf(format!(
                "need at least one species and one bin and a positive r_max \
                 (got {n_species} species, {n_bins} bins, r_max = {r_max} Å)"
            )));
        }
        let n_pairs = n_species * (n_species + 1) / 2;
        Ok(Self {
            n_species,
            r_max,
            n_bins,
            dr: r_max / n_bins as f64,
            hist: vec![0.0; n_pairs * n_bins],
            norm: vec![0.0; n_pairs],
            cn: vec![0.0; n_species * n_species * n_bins],
            frame: vec![0; n_pairs * n_bins],
            n_frames: 0,
        })
    }

    fn pair_index(&self, a: usize, b: usize) -> usize {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        // Row-major upper triangle: row a starts after a·n − a(a−1)/2 entries.
        a * self.n_species - a * a.saturating_sub(1) / 2 + (b - a)
    }

    /// Adds one frame: cell volume (Å³), number of atoms of each species, and every unordered
    /// pair (species_i, species_j, distance Å) once. Distances ≥ r_max are ignored. On error
    /// the frame is discarded as a whole.
    pub fn add_frame<I>(&mut self, volume: f64, counts: &[usize], pairs: I) -> Result<()>
    where
        I: IntoIterator<Item = (usize, usize, f64)>,
    {
        if !(volume > 0.0 && volume.is_finite()) {
            return Err(TransportError::Rdf(format!(
                "volume must be positive, got {volume} Å³"
            )));
        }
        if counts.len() != self.n_species {
            return Err(TransportError::Rdf(format!(
                "{} species counts for {} species",
                counts.len(),
                self.n_species
            )));
        }
        self.frame.fill(0);
        for (a, b, r) in pairs {
            if a >= self.n_species || b >= self.n_species {
                return Err(TransportError::Rdf(format!(
                    "pair of species ({a}, {b}) but only {} species",
                    self.n_species
                )));
            }
            if r.is_nan() || r < 0.0 {
                return Err(TransportError::Rdf(format!("invalid pair distance {r} Å")));
            }
            let bin = (r / self.dr) as usize;
            if r < self.r_max && bin < self.n_bins {
                let p = self.pair_index(a, b);
                self.frame[p * self.n_bins + bin] += 1;
            }
        }
        let nb = self.n_bins;
        for a in 0..self.n_species {
            for b in a..self.n_species {
                let p = self.pair_index(a, b);
                let (na, nbb) = (counts[a] as f64, counts[b] as f64);
                self.norm[p] += if a == b {
                    na * (na - 1.0) / 2.0 / volume
                } else {
                    na * nbb / volume
                };
                for k in 0..nb {
                    let h = self.frame[p * nb + k] as f64;
                    if h == 0.0 {
                        continue;
                    }
                    self.hist[p * nb + k] += h;
                    // Each a–a pair gives a neighbour to both atoms.
                    if a == b {
                        if na > 0.0 {
                            self.cn[(a * self.n_species + a) * nb + k] += 2.0 * h / na;
                        }
                    } else {
                        if na > 0.0 {
                            self.cn[(a * self.n_species + b) * nb + k] += h / na;
                        }
                        if nbb > 0.0 {
                            self.cn[(b * self.n_species + a) * nb + k] += h / nbb;
                        }
                    }
                }
            }
        }
        self.n_frames += 1;
        Ok(())
    }

    pub fn n_frames(&self) -> usize {
        self.n_frames
    }

    /// Normalised g(r) and running coordination numbers of every species pair.
    pub fn result(&self) -> RdfResult {
        let nb = self.n_bins;
        let dr = self.dr;
        let r: Vec<f64> = (0..nb).map(|k| (k as f64 + 0.5) * dr).collect();
        let shell: Vec<f64> = (0..nb)
            .map(|k| {
                let (lo, hi) = (k as f64 * dr, (k + 1) as f64 * dr);
                4.0 / 3.0 * std::f64::consts::PI * (hi * hi * hi - lo * lo * lo)
            })
            .collect();
        let frames = self.n_frames.max(1) as f64;
        let running = |a: usize, b: usize| -> Vec<f64> {
            let mut acc = 0.0;
            (0..nb)
                .map(|k| {
                    acc += self.cn[(a * self.n_species + b) * nb + k];
                    acc / frames
                })
                .collect()
        };
        let mut pairs = Vec::new();
        for a in 0..self.n_species {
            for b in a..self.n_species {
                let p = self.pair_index(a, b);
                let g = (0..nb)
                    .map(|k| {
                        let ideal = self.norm[p] * shell[k];
                        if ideal > 0.0 {
                            self.hist[p * nb + k] / ideal
                        } else {
                            0.0
                        }
                    })
                    .collect();
                pairs.push(RdfPair {
                    a,
                    b,
                    g,
                    cn_b_around_a: running(a, b),
                    cn_a_around_b: running(b, a),
                });
            }
        }
        RdfResult {
            r_a: r,
            dr_a: dr,
            n_frames: self.n_frames,
            pairs,
        }
    }
}

/// g(r) of one unordered species pair (a ≤ b).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RdfPair {
    pub a: usize,
    pub b: usize,
    pub g: Vec<f64>,
    /// Mean number of b atoms within the upper edge of each bin of an a atom.
    pub cn_b_around_a: Vec<f64>,
    /// Mean number of a atoms within the upper edge of each bin of a b atom (same as above
    /// when a = b).
    pub cn_a_around_b: Vec<f64>,
}

/// g(r) of all species pairs on common bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RdfResult {
    /// Bin centres (Å).
    pub r_a: Vec<f64>,
    pub dr_a: f64,
    pub n_frames: usize,
    pub pairs: Vec<RdfPair>,
}

/// A peak position and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    pub r_a: f64,
    pub g: f64,
}

impl RdfResult {
    /// The pair (a, b) in either order.
    pub fn pair(&self, a: usize, b: usize) -> Option<&RdfPair> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        self.pairs.iter().find(|p| p.a == a && p.b == b)
    }

    /// First peak of g_ab (see [`first_peak`]).
    pub fn first_peak(&self, a: usize, b: usize) -> Option<Peak> {
        first_peak(&self.r_a, &self.pair(a, b)?.g)
    }

    /// Mean number of b atoms around an a atom within distance `r` (counting whole bins whose
    /// upper edge is ≤ r). Typically read at the first minimum of g.
    pub fn coordination_number(&self, a: usize, b: usize, r: f64) -> Option<f64> {
        let p = self.pair(a, b)?;
        let cn = if a <= b {
            &p.cn_b_around_a
        } else {
            &p.cn_a_around_b
        };
        let full_bins = ((r / self.dr_a + 1e-9).floor().max(0.0) as usize).min(cn.len());
        Some(if full_bins == 0 {
            0.0
        } else {
            cn[full_bins - 1]
        })
    }

    /// CSV: `r_A,g_<a>_<b>,cn_<b>_around_<a>,cn_<a>_around_<b>,…` (the second coordination
    /// column only for unlike pairs).
    pub fn write_csv<W: Write>(&self, w: W, species: &[&str]) -> io::Result<()> {
        let mut header = vec!["r_A".to_string()];
        let mut cols: Vec<&[f64]> = vec![&self.r_a];
        for p in &self.pairs {
            let (na, nb) = (csv::name(species, p.a), csv::name(species, p.b));
            header.push(format!("g_{na}_{nb}"));
            cols.push(&p.g);
            header.push(format!("cn_{nb}_around_{na}"));
            cols.push(&p.cn_b_around_a);
            if p.a != p.b {
                header.push(format!("cn_{na}_around_{nb}"));
                cols.push(&p.cn_a_around_b);
            }
        }
        csv::write_columns(w, &header, &cols)
    }

    pub fn to_csv(&self, species: &[&str]) -> String {
        csv::to_string(|buf| self.write_csv(buf, species))
    }
}

/// Position of the first peak of a curve sampled at `r` (bin centres, equally spaced): the
/// highest bin of the first contiguous run of bins with g ≥ half the global maximum, refined
/// by a parabola through it and its neighbours. Taking the first run (not the global maximum)
/// matters for crystals, whose second shell can be as high as the first. `None` if g is
/// nowhere positive.
pub fn first_peak(r: &[f64], g: &[f64]) -> Option<Peak> {
    let n = r.len().min(g.len());
    let g_max = g[..n].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(g_max > 0.0 && g_max.is_finite()) {
        return None;
    }
    let start = g[..n].iter().position(|&v| v >= 0.5 * g_max)?;
    let end = g[start..n]
        .iter()
        .position(|&v| v < 0.5 * g_max)
        .map_or(n, |e| start + e);
    let mut k = start;
    for i in start..end {
        if g[i] > g[k] {
            k = i;
        }
    }
    if k == 0 || k + 1 >= n {
        return Some(Peak { r_a: r[k], g: g[k] });
    }
    let (y0, y1, y2) = (g[k - 1], g[k], g[k + 1]);
    let curvature = y0 - 2.0 * y1 + y2;
    let (offset, height) = if curvature < 0.0 {
        let d = (0.5 * (y0 - y2) / curvature).clamp(-0.5, 0.5);
        (d, y1 - 0.25 * (y0 - y2) * d)
    } else {
        (0.0, y1)
    };
    let dr = r[k + 1] - r[k];
    Some(Peak {
        r_a: r[k] + offset * dr,
        g: height,
    })
}
