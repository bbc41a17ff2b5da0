//! Synthetic trajectories with known transport coefficients, shared by the calibration tests.
#![allow(dead_code)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// The "caged hopper" benchmark of shared/benchmarks/gk_calibration (gk_vs_einstein.py): each
/// of `n` independent ions moves as Brownian motion with D plus an Ornstein–Uhlenbeck cage
/// vibration (rms `a` per component, relaxation time `tau`). Returns the summed displacement
/// P(t) = Σ_i x_i sampled every `dt` (n_steps + 1 points). Truth: lim ⟨|ΔP|²⟩/(6t) = n·D.
///
/// As in the Python generator, the sum of n independent Brownian motions is drawn as one
/// Brownian motion with n·D, and the sum of n OU processes as one OU with rms √n·a.
pub fn caged_hoppers(
    seed: u64,
    n: usize,
    n_steps: usize,
    dt: f64,
    d: f64,
    a: f64,
    tau: f64,
) -> Vec<[f64; 3]> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nf = n as f64;
    let decay = (-dt / tau).exp();
    let jump = Normal::new(0.0, (2.0 * nf * d * dt).sqrt()).unwrap();
    let kick = Normal::new(0.0, nf.sqrt() * a * (1.0 - decay * decay).sqrt()).unwrap();
    let start = Normal::new(0.0, nf.sqrt() * a).unwrap();
    let mut brown = [0.0f64; 3];
    let mut vib: [f64; 3] = std::array::from_fn(|_| start.sample(&mut rng));
    let mut out = Vec::with_capacity(n_steps + 1);
    out.push(vib);
    for _ in 0..n_steps {
        for b in brown.iter_mut() {
            *b += jump.sample(&mut rng);
        }
        for v in vib.iter_mut() {
            *v = decay * *v + kick.sample(&mut rng);
        }
        out.push(std::array::from_fn(|c| brown[c] + vib[c]));
    }
    out
}

/// Fraction of |estimate − truth| ≤ z·stderr, mean/truth, sd/truth, mean stderr/truth.
pub struct Coverage {
    pub coverage: f64,
    pub mean: f64,
    pub sd: f64,
    pub mean_stderr: f64,
    pub n: usize,
}

pub fn coverage(estimates: &[(f64, f64, f64)], truth: f64) -> Coverage {
    // (value, stderr, z) per replica.
    let n = estimates.len() as f64;
    let hits = estimates
        .iter()
        .filter(|(v, s, z)| (v - truth).abs() <= z * s)
        .count() as f64;
    let mean = estimates.iter().map(|e| e.0).sum::<f64>() / n;
    let sd = (estimates.iter().map(|e| (e.0 - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    Coverage {
        coverage: hits / n,
        mean: mean / truth,
        sd: sd / truth,
        mean_stderr: estimates.iter().map(|e| e.1).sum::<f64>() / n / truth,
        n: estimates.len(),
    }
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n {:4}  mean/truth {:.3}  sd/truth {:.3}  mean stderr/truth {:.3}  coverage {:.3}",
            self.n, self.mean, self.sd, self.mean_stderr, self.coverage
        )
    }
}
