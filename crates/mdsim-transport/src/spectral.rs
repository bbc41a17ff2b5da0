//! The zero-frequency limit of a power spectrum, fitted with a calibrated error bar.
//!
//! A collective diffusion coefficient (and so σ) is the zero-frequency value of the power
//! spectrum of the displacement increments: for increments x_n = X(t_{n+1}) − X(t_n) of a
//! displacement X sampled every h, lim ⟨|ΔX(t)|²⟩/(6t) = I(0) with
//! I(f_k) = ⟨|x̂_k|²⟩ / (2 h N) per Cartesian component (x̂ the discrete Fourier transform of
//! the N increments). This is the Einstein–Helfand relation written in the frequency domain; as
//! the increments are exact sums of every MD step's displacement, nothing aliases at f = 0.
//!
//! The periodogram amplitudes Î_k are independent and Gamma distributed with shape ν_k/2 and
//! mean I(f_k) (ν_k = 2 × the number of sequences averaged; Toraman, Fauconnier & Verstraelen,
//! "STable AutoCorrelation Integral Estimator (STACIE)", J. Chem. Inf. Model. 65, 10445
//! (2025), §2). We fit the model I(f) = exp(Σ_s b_s f^s) (degrees {0, 2} by default: a real,
//! time-reversible correlation function has an even spectrum) to the low-frequency part by
//! maximum likelihood, the low-frequency part being chosen by a smooth switch
//! w(f) = 1/(1 + (f/f_cut)^β). The cutoff is scanned over a logarithmic grid; each cutoff is
//! scored by a cross-validation likelihood (the parameters refitted to the lower and upper half
//! of the window must agree: STACIE's "CV2L" criterion), and the estimates are averaged over
//! the cutoffs with weights ∝ exp(−criterion), so the uncertainty of the cutoff choice is part
//! of the error bar. The method follows STACIE's published description; the code is ours.

// Dense index loops over tiny matrices read best as written.
#![allow(clippy::needless_range_loop)]

use rustfft::{num_complex::Complex, FftPlanner};
use serde::{Deserialize, Serialize};

use crate::linalg::{quad_form, spd_inverse, zeros, Mat};
use crate::stats::{digamma, ln_gamma, trigamma};
use crate::{Estimate, Result, TransportError};

/// Power spectrum of displacement increments, without the zero frequency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Sample interval h of the increments (ps).
    pub dt_ps: f64,
    /// Number of increments N in each sequence.
    pub n_increments: usize,
    /// Number of sequences averaged (3 per displacement vector, more with replicas).
    pub n_sequences: usize,
    /// Frequencies f_k = k / (N h), k = 1 … N/2 (THz = 1/ps).
    pub freqs_thz: Vec<f64>,
    /// Î_k = mean over sequences of |x̂_k|² / (2 h N), in (displacement unit)²/ps: its
    /// zero-frequency limit is lim ⟨|ΔX(t)|²⟩ / (6t) of the 3-vector X.
    pub amplitudes: Vec<f64>,
    /// Degrees of freedom ν_k of each amplitude (Î_k ~ Gamma(ν_k/2, 2 I_k/ν_k)).
    pub dof: Vec<f64>,
}

impl Spectrum {
    /// Spectrum of the increments of a series of 3-vectors `x` (e.g. Σ q_i Δr_i) sampled every
    /// `dt_ps`; each Cartesian component is one sequence.
    pub fn from_displacements(x: &[[f64; 3]], dt_ps: f64) -> Result<Self> {
        let seqs: Vec<Vec<f64>> = (0..3)
            .map(|c| x.windows(2).map(|w| w[1][c] - w[0][c]).collect())
            .collect();
        Self::from_increments(&seqs, dt_ps)
    }

    /// Spectrum averaged over equally long increment sequences sampled every `dt_ps`.
    pub fn from_increments(seqs: &[Vec<f64>], dt_ps: f64) -> Result<Self> {
        let n = seqs.first().map_or(0, Vec::len);
        if seqs.is_empty() || seqs.iter().any(|s| s.len() != n) {
            return Err(TransportError::Config(
                "spectrum: the increment sequences must be non-empty and equally long".into(),
            ));
        }
        if n < MIN_INCREMENTS {
            return Err(TransportError::Config(format!(
                "spectrum: {n} increments per sequence; at least {MIN_INCREMENTS} are needed \
                 (run longer or sample more often)"
            )));
        }
        if !(dt_ps > 0.0 && dt_ps.is_finite()) {
            return Err(TransportError::Config(format!(
                "spectrum: sample interval must be a positive number of ps, got {dt_ps}"
            )));
        }
        let fft = FftPlanner::<f64>::new().plan_fft_forward(n);
        let n_freq = n / 2;
        let mut power = vec![0.0; n_freq];
        let mut buf = vec![Complex::new(0.0, 0.0); n];
        for s in seqs {
            for (b, x) in buf.iter_mut().zip(s) {
                *b = Complex::new(*x, 0.0);
            }
            fft.process(&mut buf);
            for (p, c) in power.iter_mut().zip(&buf[1..=n_freq]) {
                *p += c.norm_sqr();
            }
        }
        let m = seqs.len() as f64;
        let scale = 1.0 / (m * 2.0 * dt_ps * n as f64);
        let mut dof = vec![2.0 * m; n_freq];
        if n.is_multiple_of(2) {
            // The Nyquist amplitude is real: one degree of freedom per sequence.
            dof[n_freq - 1] = m;
        }
        Ok(Self {
            dt_ps,
            n_increments: n,
            n_sequences: seqs.len(),
            freqs_thz: (1..=n_freq)
                .map(|k| k as f64 / (n as f64 * dt_ps))
                .collect(),
            amplitudes: power.into_iter().map(|p| p * scale).collect(),
            dof,
        })
    }

    /// Average of spectra of equally long runs with the same interval (independent replicas):
    /// the amplitudes are averaged and the degrees of freedom add up.
    pub fn average(spectra: &[Spectrum]) -> Result<Self> {
        let first = spectra
            .first()
            .ok_or_else(|| TransportError::Config("no spectra to average".into()))?;
        if spectra.iter().any(|s| {
            s.n_increments != first.n_increments || (s.dt_ps - first.dt_ps).abs() > 1e-12 * s.dt_ps
        }) {
            return Err(TransportError::Config(
                "spectra of replicas can only be averaged when the runs have the same length and \
                 sample interval; combine the per-replica estimates instead"
                    .into(),
            ));
        }
        let total: usize = spectra.iter().map(|s| s.n_sequences).sum();
        let mut out = first.clone();
        out.n_sequences = total;
        for (k, a) in out.amplitudes.iter_mut().enumerate() {
            *a = spectra
                .iter()
                .map(|s| s.amplitudes[k] * s.n_sequences as f64)
                .sum::<f64>()
                / total as f64;
        }
        for (k, d) in out.dof.iter_mut().enumerate() {
            *d = spectra.iter().map(|s| s.dof[k]).sum();
        }
        Ok(out)
    }
}

/// Fewest increments for a spectrum (a few dozen frequencies are needed for any fit).
pub const MIN_INCREMENTS: usize = 64;

/// Settings of the zero-frequency fit. The defaults are STACIE's published defaults with the
/// even model {0, 2}.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralOptions {
    /// Degrees s of the monomials in ln I(f) = Σ_s b_s f^s; must contain 0.
    pub degrees: Vec<u32>,
    /// Steepness β of the switch w(f) = 1/(1 + (f/f_cut)^β).
    pub switch_exponent: f64,
    /// Grid spacing: consecutive cutoffs differ by a factor exp(spacing/β).
    pub fcut_spacing: f64,
    /// Smallest effective number of points Σ w (None: 5 × number of parameters).
    pub neff_min: Option<f64>,
    /// The scan stops once Σ w exceeds this.
    pub neff_max: f64,
    /// The scan stops once the criterion exceeds the best one by this much.
    pub criterion_high: f64,
    /// The cross-validation windows reach this factor beyond f_cut (tests extrapolation).
    pub cv_fcut_factor: f64,
    /// Parameter covariance from the sandwich H⁻¹ M H⁻¹ (true) or from H⁻¹ (STACIE).
    pub sandwich: bool,
}

impl Default for SpectralOptions {
    fn default() -> Self {
        Self {
            degrees: vec![0, 2],
            switch_exponent: 8.0,
            fcut_spacing: 0.5,
            neff_min: None,
            neff_max: 1000.0,
            criterion_high: 100.0,
            cv_fcut_factor: 1.25,
            sandwich: true,
        }
    }
}

/// Points with a smaller switch weight are left out of a fit.
const WEIGHT_EPS: f64 = 1e-3;

/// Result of [`fit_zero_frequency`]: I(0) with its standard error, and diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralFit {
    /// I(0) (log-normal mean) and its standard error, in the spectrum's units.
    pub value: Estimate,
    /// ln I(0) = b_0 and its standard error (the fit is Gaussian in this parameter).
    pub log_value: Estimate,
    /// Cutoff frequency averaged with the cutoff weights (THz); 1/f_cut is the time scale
    /// the fit resolves.
    pub fcut_thz: f64,
    /// Effective number of fitted points Σ w, averaged with the cutoff weights.
    pub neff: f64,
    /// Goodness of fit: (cost − expected)/std; above ~2 the model does not describe the
    /// spectrum.
    pub cost_zscore: f64,
    /// The same for the cutoff criterion; above ~2 the cutoff choice is unreliable.
    pub criterion_zscore: f64,
    /// Number of cutoffs that entered the average.
    pub n_cutoffs: usize,
    pub degrees: Vec<u32>,
}

/// Fit at one cutoff.
#[derive(Debug, Clone)]
struct CutoffFit {
    fcut: f64,
    neff: f64,
    b0: f64,
    var_b0: f64,
    criterion: f64,
    cost_zscore: f64,
    criterion_zscore: f64,
}

/// Estimates the zero-frequency limit I(0) of `spec` (see the module docs).
pub fn fit_zero_frequency(spec: &Spectrum, opts: &SpectralOptions) -> Result<SpectralFit> {
    validate(spec, opts)?;
    let n_par = opts.degrees.len();
    let beta = opts.switch_exponent;
    let freqs = &spec.freqs_thz;
    let f_last = *freqs.last().unwrap_or(&0.0);
    let neff_min = opts.neff_min.unwrap_or(5.0 * n_par as f64);
    let neff_at = |fc: f64| freqs.iter().map(|&f| switch(f, fc, beta)).sum::<f64>();
    if neff_at(f_last) < neff_min {
        return Err(TransportError::Config(format!(
            "spectrum has too few frequencies ({}) for a fit with {n_par} parameters; run longer",
            freqs.len()
        )));
    }
    let fcut_min = bisect_log(|fc| neff_at(fc) - neff_min, freqs[0], f_last);
    let fcut_max = f_last / (1.0 / WEIGHT_EPS - 1.0).powf(1.0 / beta);
    let ratio = (opts.fcut_spacing / beta).exp();
    let shapes = Shapes::new(spec);

    let mut history: Vec<CutoffFit> = Vec::new();
    let mut best = f64::INFINITY;
    let mut fcut = fcut_min;
    while fcut <= fcut_max && fcut <= f_last {
        let outcome = fit_at_cutoff(spec, &shapes, opts, fcut);
        let (fit, stop) = match outcome {
            Cutoff::Fit(f) => (Some(f), false),
            Cutoff::Failed => (None, false),
            Cutoff::OutOfData => (None, true),
        };
        if stop {
            break;
        }
        let neff = neff_at(fcut);
        if let Some(f) = fit {
            best = best.min(f.criterion);
            let too_high = f.criterion > best + opts.criterion_high && history.len() > 10;
            history.push(f);
            if too_high {
                break;
            }
        }
        if neff > opts.neff_max {
            break;
        }
        fcut *= ratio;
    }
    if history.is_empty() {
        return Err(TransportError::Config(
            "the spectrum could not be fitted at any cutoff frequency (too short or not finite)"
                .into(),
        ));
    }
    Ok(marginalize(&history, opts))
}

fn validate(spec: &Spectrum, opts: &SpectralOptions) -> Result<()> {
    if opts.degrees.len() > MAX_PARAMETERS {
        return Err(TransportError::Config(format!(
            "spectral model has {} degrees; at most {MAX_PARAMETERS} are supported",
            opts.degrees.len()
        )));
    }
    if !opts.degrees.contains(&0) {
        return Err(TransportError::Config(
            "spectral model degrees must include 0 (the zero-frequency value)".into(),
        ));
    }
    let consistent = spec.freqs_thz.len() == spec.amplitudes.len()
        && spec.dof.len() == spec.amplitudes.len()
        && spec.amplitudes.len() >= 2;
    if !consistent {
        return Err(TransportError::Config(
            "inconsistent spectrum: frequencies, amplitudes and degrees of freedom differ in \
             length"
                .into(),
        ));
    }
    if spec
        .amplitudes
        .iter()
        .chain(&spec.freqs_thz)
        .any(|a| !(a.is_finite() && *a > 0.0))
    {
        return Err(TransportError::Config(
            "spectrum has non-finite or non-positive amplitudes (a displacement series that \
             does not move, or NaN in the input)"
                .into(),
        ));
    }
    Ok(())
}

/// Smooth low-pass switch 1/(1 + (f/f_cut)^β).
fn switch(f: f64, fcut: f64, beta: f64) -> f64 {
    1.0 / (1.0 + (f / fcut).powf(beta))
}

/// Root of an increasing function on [lo, hi], bisected in ln f.
fn bisect_log(g: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let (mut a, mut b) = (lo.ln(), hi.ln());
    if g(lo) >= 0.0 {
        return lo;
    }
    for _ in 0..100 {
        let m = 0.5 * (a + b);
        if g(m.exp()) < 0.0 {
            a = m;
        } else {
            b = m;
        }
    }
    b.exp()
}

enum Cutoff {
    Fit(CutoffFit),
    Failed,
    OutOfData,
}

/// Most parameters a spectral model may have.
pub const MAX_PARAMETERS: usize = 4;

/// Per-frequency constants of the Gamma likelihood (shape α = ν/2), computed once.
struct Shapes {
    alpha: Vec<f64>,
    ln_gamma: Vec<f64>,
    digamma: Vec<f64>,
    trigamma: Vec<f64>,
}

impl Shapes {
    fn new(spec: &Spectrum) -> Self {
        let alpha: Vec<f64> = spec.dof.iter().map(|d| 0.5 * d).collect();
        Self {
            ln_gamma: alpha.iter().map(|&a| ln_gamma(a)).collect(),
            digamma: alpha.iter().map(|&a| digamma(a)).collect(),
            trigamma: alpha.iter().map(|&a| trigamma(a)).collect(),
            alpha,
        }
    }
}

/// The points of one fit (a prefix of the spectrum): the basis u^s with u = f/f_cut, the
/// amplitude and the switch weight.
struct Points {
    u: Vec<f64>,
    phi: Vec<[f64; MAX_PARAMETERS]>,
    amp: Vec<f64>,
    w: Vec<f64>,
}

impl Points {
    fn new(spec: &Spectrum, degrees: &[u32], fcut_switch: f64, beta: f64, fcut: f64) -> Self {
        let mut p = Points {
            u: Vec::new(),
            phi: Vec::new(),
            amp: Vec::new(),
            w: Vec::new(),
        };
        for (&f, &amp) in spec.freqs_thz.iter().zip(&spec.amplitudes) {
            let w = switch(f, fcut_switch, beta);
            if w < WEIGHT_EPS {
                break;
            }
            let u = f / fcut;
            let mut phi = [0.0; MAX_PARAMETERS];
            for (x, &s) in phi.iter_mut().zip(degrees) {
                *x = u.powi(s as i32);
            }
            p.u.push(u);
            p.phi.push(phi);
            p.amp.push(amp);
            p.w.push(w);
        }
        p
    }

    fn len(&self) -> usize {
        self.amp.len()
    }

    /// ln I(f_k) = Σ_s b_s u_k^s.
    fn log_model(&self, k: usize, b: &[f64]) -> f64 {
        b.iter().zip(&self.phi[k]).map(|(x, y)| x * y).sum()
    }
}

/// Maximum-likelihood fit and cross-validation criterion at one cutoff.
fn fit_at_cutoff(spec: &Spectrum, sh: &Shapes, opts: &SpectralOptions, fcut: f64) -> Cutoff {
    let beta = opts.switch_exponent;
    let degrees = &opts.degrees;
    let cv = Points::new(spec, degrees, opts.cv_fcut_factor * fcut, beta, fcut);
    if cv.len() == spec.freqs_thz.len() {
        return Cutoff::OutOfData;
    }
    let pts = Points::new(spec, degrees, fcut, beta, fcut);
    let n = degrees.len();
    if pts.len() < n + 1 {
        return Cutoff::Failed;
    }
    let Some(b) = newton_fit(&pts, sh, n) else {
        return Cutoff::Failed;
    };
    let (_, hess) = grad_hess(&pts, sh, &b);
    let Some((hinv, _)) = spd_inverse(&hess) else {
        return Cutoff::Failed;
    };
    let cov = if opts.sandwich {
        sandwich(&hinv, &pts, sh)
    } else {
        hinv
    };
    let Some((crit, crit_expected)) = cv2l_criterion(&cv, sh, degrees, &b, fcut, opts) else {
        return Cutoff::Failed;
    };
    let (cost_mean, cost_var) = expected_cost(&pts, sh, &b);
    Cutoff::Fit(CutoffFit {
        fcut,
        neff: pts.w.iter().sum(),
        b0: b[0],
        var_b0: cov[0][0],
        criterion: crit,
        cost_zscore: (cost(&pts, sh, &b) - cost_mean) / cost_var.sqrt(),
        criterion_zscore: (crit - crit_expected) / (0.5 * n as f64).sqrt(),
    })
}

/// Covariance of the weighted maximum-likelihood estimate, H⁻¹ (Σ_k w_k² α_k φ_k φ_kᵀ) H⁻¹:
/// the score of point k has variance w_k² α_k φ_k φ_kᵀ, so H⁻¹ alone (the Laplace
/// approximation) overstates the variance wherever the switch weight is below 1.
fn sandwich(hinv: &Mat, p: &Points, sh: &Shapes) -> Mat {
    let n = hinv.len();
    let mut meat = zeros(n, n);
    for k in 0..p.len() {
        let wa = p.w[k] * p.w[k] * sh.alpha[k];
        for i in 0..n {
            for j in 0..n {
                meat[i][j] += wa * p.phi[k][i] * p.phi[k][j];
            }
        }
    }
    let left: Mat = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| hinv[i][k] * meat[k][j]).sum())
                .collect()
        })
        .collect();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| left[i][k] * hinv[k][j]).sum())
                .collect()
        })
        .collect()
}

/// Weighted negative log-likelihood Σ w [ln Γ(α) + ln θ − (α−1) ln(Î/θ) + Î/θ], θ = I/α.
fn cost(p: &Points, sh: &Shapes, b: &[f64]) -> f64 {
    (0..p.len())
        .map(|k| {
            let a = sh.alpha[k];
            let ln_theta = p.log_model(k, b) - a.ln();
            let ratio_ln = p.amp[k].ln() - ln_theta;
            p.w[k] * (sh.ln_gamma[k] + ln_theta - (a - 1.0) * ratio_ln + ratio_ln.exp())
        })
        .sum()
}

/// Expected value (entropy) and variance of the cost for spectra drawn from the model.
fn expected_cost(p: &Points, sh: &Shapes, b: &[f64]) -> (f64, f64) {
    let mut mean = 0.0;
    let mut var = 0.0;
    for k in 0..p.len() {
        let (a, w) = (sh.alpha[k], p.w[k]);
        let ln_theta = p.log_model(k, b) - a.ln();
        mean += w * (a + ln_theta + sh.ln_gamma[k] + (1.0 - a) * sh.digamma[k]);
        var += w * w * ((a - 1.0).powi(2) * sh.trigamma[k] - a + 2.0);
    }
    (mean, var)
}

/// Gradient and Hessian in b of Σ w α (g + Î e^{−g}) (the cost up to constants), g = ln I.
fn grad_hess(p: &Points, sh: &Shapes, b: &[f64]) -> (Vec<f64>, Mat) {
    let n = b.len();
    let mut grad = vec![0.0; n];
    let mut hess = zeros(n, n);
    for k in 0..p.len() {
        let phi = &p.phi[k];
        let r = p.amp[k] * (-p.log_model(k, b)).exp();
        let wa = p.w[k] * sh.alpha[k];
        for i in 0..n {
            grad[i] += wa * phi[i] * (1.0 - r);
            for j in 0..=i {
                hess[i][j] += wa * phi[i] * phi[j] * r;
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            hess[j][i] = hess[i][j];
        }
    }
    (grad, hess)
}

fn reduced_cost(p: &Points, sh: &Shapes, b: &[f64]) -> f64 {
    (0..p.len())
        .map(|k| {
            let g = p.log_model(k, b);
            p.w[k] * sh.alpha[k] * (g + p.amp[k] * (-g).exp())
        })
        .sum()
}

fn mat_vec(a: &Mat, x: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| row.iter().zip(x).map(|(p, q)| p * q).sum())
        .collect()
}

/// Newton's method with backtracking on the (convex) cost, started from a least-squares fit
/// of ln Î.
fn newton_fit(p: &Points, sh: &Shapes, n: usize) -> Option<Vec<f64>> {
    // Start: weighted least squares of ln Î − (ψ(α) − ln α) (unbiased log), var ψ₁(α).
    let mut ata = zeros(n, n);
    let mut aty = vec![0.0; n];
    for k in 0..p.len() {
        let phi = &p.phi[k];
        let a = sh.alpha[k];
        let y = p.amp[k].ln() - sh.digamma[k] + a.ln();
        let w = p.w[k] / sh.trigamma[k];
        for i in 0..n {
            aty[i] += w * phi[i] * y;
            for j in 0..n {
                ata[i][j] += w * phi[i] * phi[j];
            }
        }
    }
    let (inv, _) = spd_inverse(&ata)?;
    let mut b = mat_vec(&inv, &aty);
    let mut c = reduced_cost(p, sh, &b);
    for _ in 0..200 {
        let (grad, hess) = grad_hess(p, sh, &b);
        let (hinv, _) = spd_inverse(&hess)?;
        let step: Vec<f64> = mat_vec(&hinv, &grad).iter().map(|x| -x).collect();
        let decrement = -step.iter().zip(&grad).map(|(s, g)| s * g).sum::<f64>();
        if decrement < 1e-13 * (1.0 + c.abs()) {
            break;
        }
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = b.iter().zip(&step).map(|(x, s)| x + t * s).collect();
            let ct = reduced_cost(p, sh, &trial);
            if ct.is_finite() && ct <= c - 0.25 * t * decrement {
                b = trial;
                c = ct;
                break;
            }
            t *= 0.5;
            if t < 1e-12 {
                return b.iter().all(|x| x.is_finite()).then_some(b);
            }
        }
    }
    b.iter().all(|x| x.is_finite()).then_some(b)
}

/// STACIE's CV2L criterion at one cutoff: the parameters are corrected to first order by
/// weighted linear regressions on the lower and the upper half of the (extended) window; minus
/// the log-likelihood that the two corrections are equal is returned, in parameters of a
/// fixed frequency unit (so that values at different cutoffs compare), with its expected
/// value.
fn cv2l_criterion(
    cv: &Points,
    sh: &Shapes,
    degrees: &[u32],
    b: &[f64],
    fcut: f64,
    opts: &SpectralOptions,
) -> Option<(f64, f64)> {
    let n = degrees.len();
    let m = cv.len();
    let wsum: f64 = cv.w.iter().sum();
    if wsum <= n as f64 {
        return None;
    }
    let shrink = ((wsum - n as f64) / wsum).sqrt();
    // Rows in units of their standard error: A_kp = √α u^p / shrink, e_k = √α (Î/I − 1)/shrink.
    let mut rows = Vec::with_capacity(m);
    let mut e = Vec::with_capacity(m);
    let mut w_lo = Vec::with_capacity(m);
    for k in 0..m {
        let s = sh.alpha[k].sqrt() / shrink;
        let mut row = cv.phi[k];
        row.iter_mut().for_each(|x| *x *= s);
        rows.push(row);
        e.push(s * (cv.amp[k] / cv.log_model(k, b).exp() - 1.0));
        // u = f/f_cut, so the lower half switches at u = factor/2.
        w_lo.push(switch(
            cv.u[k],
            0.5 * opts.cv_fcut_factor,
            opts.switch_exponent,
        ));
    }
    let w_hi: Vec<f64> = cv.w.iter().zip(&w_lo).map(|(a, l)| a - l).collect();
    // R_w = (Aᵀ W A)⁻¹ Aᵀ W for both weight vectors; d = (R_lo − R_hi) e, C_d = R_d R_dᵀ.
    let resolvent = |w: &[f64]| -> Option<Mat> {
        let mut ata = zeros(n, n);
        for k in 0..m {
            for i in 0..n {
                for j in 0..n {
                    ata[i][j] += w[k] * rows[k][i] * rows[k][j];
                }
            }
        }
        // Scaled to unit diagonal before inverting (conditioning).
        let d: Vec<f64> = (0..n).map(|i| ata[i][i].sqrt()).collect();
        if d.iter().any(|x| x.is_nan() || *x <= 0.0) {
            return None;
        }
        let scaled: Mat = (0..n)
            .map(|i| (0..n).map(|j| ata[i][j] / (d[i] * d[j])).collect())
            .collect();
        let (inv, _) = spd_inverse(&scaled)?;
        let mut r = zeros(n, m);
        for i in 0..n {
            for k in 0..m {
                r[i][k] = (0..n)
                    .map(|j| inv[i][j] / (d[i] * d[j]) * rows[k][j])
                    .sum::<f64>()
                    * w[k];
            }
        }
        Some(r)
    };
    let r_lo = resolvent(&w_lo)?;
    let r_hi = resolvent(&w_hi)?;
    let rd: Mat = (0..n)
        .map(|i| (0..m).map(|k| r_lo[i][k] - r_hi[i][k]).collect())
        .collect();
    let d: Vec<f64> = (0..n)
        .map(|i| (0..m).map(|k| rd[i][k] * e[k]).sum())
        .collect();
    let mut cd = zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            cd[i][j] = (0..m).map(|k| rd[i][k] * rd[j][k]).sum();
        }
    }
    let (cd_inv, log_det) = spd_inverse(&cd)?;
    let two_pi = 2.0 * std::f64::consts::PI;
    // Parameters of f in THz are b_s = b'_s / fcut^s: ½ ln|C_d| gains −Σ s ln fcut.
    let jac: f64 = degrees.iter().map(|&s| s as f64 * fcut.ln()).sum();
    let half_log_det = 0.5 * (n as f64 * two_pi.ln() + log_det) - jac;
    let criterion = 0.5 * quad_form(&cd_inv, &d) + half_log_det;
    let expected = 0.5 * n as f64 + half_log_det;
    criterion.is_finite().then_some((criterion, expected))
}

/// Average over cutoffs with weights ∝ exp(−criterion) (moments of a mixture).
fn marginalize(history: &[CutoffFit], opts: &SpectralOptions) -> SpectralFit {
    let best = history
        .iter()
        .map(|h| h.criterion)
        .fold(f64::INFINITY, f64::min);
    let raw: Vec<f64> = history
        .iter()
        .map(|h| (-(h.criterion - best)).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    let w: Vec<f64> = raw.iter().map(|x| x / total).collect();
    let avg = |f: &dyn Fn(&CutoffFit) -> f64| -> f64 {
        history.iter().zip(&w).map(|(h, wj)| wj * f(h)).sum()
    };
    let b0 = avg(&|h| h.b0);
    let var_b0 = avg(&|h| h.var_b0 + (h.b0 - b0).powi(2));
    // I(0) = exp(b0) is log-normal: mean and standard deviation.
    let value = (b0 + 0.5 * var_b0).exp();
    let stderr = ((var_b0.exp() - 1.0) * (2.0 * b0 + var_b0).exp()).sqrt();
    SpectralFit {
        value: Estimate::new(value, stderr),
        log_value: Estimate::new(b0, var_b0.sqrt()),
        fcut_thz: avg(&|h| h.fcut),
        neff: avg(&|h| h.neff),
        cost_zscore: avg(&|h| h.cost_zscore),
        criterion_zscore: avg(&|h| h.criterion_zscore),
        n_cutoffs: history.len(),
        degrees: opts.degrees.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectrum_of_a_line_and_its_normalisation() {
        // Constant increments: all power in f = 0, none elsewhere (to round-off).
        let x: Vec<[f64; 3]> = (0..200).map(|i| [i as f64; 3]).collect();
        let s = Spectrum::from_displacements(&x, 0.1).unwrap();
        assert_eq!(s.n_increments, 199);
        assert!(s.amplitudes.iter().all(|a| *a < 1e-20));
        // Parseval: Σ_all |x̂|² = N Σ x²; alternating ±1 increments put everything at Nyquist.
        let alt: Vec<f64> = (0..128)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let s = Spectrum::from_increments(&[alt], 0.5).unwrap();
        let last = *s.amplitudes.last().unwrap();
        // |x̂_{N/2}|² = N² → Î = N²/(2 h N) = 128.
        assert!((last - 128.0).abs() < 1e-9);
        assert_eq!(*s.dof.last().unwrap(), 1.0);
        assert!(s.amplitudes[..63].iter().all(|a| *a < 1e-20));
    }

    #[test]
    fn white_noise_has_the_right_level() {
        // Deterministic pseudo-random increments with variance v: I = v/(2h) at every f.
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let seqs: Vec<Vec<f64>> = (0..3)
            .map(|_| (0..20000).map(|_| next()).collect())
            .collect();
        let s = Spectrum::from_increments(&seqs, 0.1).unwrap();
        let expected = (1.0 / 12.0) / (2.0 * 0.1);
        let fit = fit_zero_frequency(&s, &SpectralOptions::default()).unwrap();
        assert!(
            (fit.value.value - expected).abs() < 4.0 * fit.value.stderr,
            "{fit:?} vs {expected}"
        );
        assert!(fit.value.stderr / expected < 0.05);
    }
}
