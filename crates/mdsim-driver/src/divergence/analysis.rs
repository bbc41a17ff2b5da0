//! From the twins' curves to the numbers: the largest Lyapunov exponent with its error, the
//! decorrelation time, a suggestion for block length and replica count, and (with transport
//! observers) how the twins' transport estimates compare.

use super::lyapunov::{first_at_or_below, fit_exponent, ExponentFit, FitRule};
use super::tangent::{self, pooled_exponent, shadow_exponent};
use super::{DivergenceOptions, Member, Twin};
use crate::output::utc_now;
use crate::provenance::sha256_hex;
use mdsim_core::pair::PairTerm;
use mdsim_core::units::EV_TO_AMU_A2_PS2;
use mdsim_io::input::StageInput;
use mdsim_io::Setup;
use mdsim_transport::Estimate;
use serde::Serialize;

/// The twins count as decorrelated once their velocity correlation falls to this.
pub const DECORRELATED: f64 = 0.1;

/// Blocks should be at least this many memory times long (so the stretch a block shares with
/// the previous one is at most a tenth of it).
pub const BLOCK_PER_MEMORY: f64 = 10.0;

/// Independent blocks wanted in all (the standard error from n blocks is itself uncertain
/// by ≈ 1/√(2(n − 1)): 24 % for 10).
pub const BLOCKS_WANTED: usize = 10;

/// Blocks of the reference's clock over which the renormalised growth rate is averaged for
/// the error of λ, ps (several renormalisation intervals and longer than the memory of the
/// local stretching rate, which in Rahman's argon is below 1 ps).
pub const LYAPUNOV_BLOCK_PS: f64 = 2.0;

/// How λ is measured, as written into the results.
pub const LYAPUNOV_METHOD: &str = "Benettin renormalisation: a shadow of each twin is scaled back to the initial distance every renormalise_ps; lambda = total ln growth / total time after transient_ps; error from blocks of block_ps along the reference trajectory";

/// What the separation is, as written into the results.
pub const SEPARATION_DEFINITION: &str = "Euclidean distance of the unwrapped positions in the 3N-dimensional configuration space, sqrt(sum_i |r_i(twin) - r_i(reference)|^2), in Å";

/// divergence.json. Field names carry their units.
#[allow(non_snake_case)]
#[derive(Serialize, Debug)]
pub struct DivergenceResults {
    pub mdsim_version: &'static str,
    /// `completed`, or `failed: <why>`.
    pub status: String,
    pub input_file: String,
    pub input_sha256: String,
    pub seed: u64,
    pub perturbation_seed: u64,
    pub threads: usize,
    pub n_atoms: usize,
    pub timestep_ps: f64,
    pub separation: &'static str,
    pub perturbation_A: f64,
    /// One unit of round-off on the norm of all coordinates at the first branch point.
    pub round_off_floor_A: f64,
    pub branch_stage: String,
    pub first_branch_time_ps: f64,
    pub stagger_ps: f64,
    pub follow_ps: f64,
    pub fit_rule: FitRuleOut,
    pub twins: Vec<TwinResult>,
    /// The largest Lyapunov exponent from the renormalised shadows ([`tangent`]), error from
    /// blocks along the reference trajectory.
    pub lyapunov_per_ps: Option<Estimate>,
    pub lyapunov_method: LyapunovMethod,
    /// Mean of the free twins' slopes over their exponential regime, error from their
    /// spread: a cross-check, biased by kicks at the cutoff (see `lyapunov`).
    pub free_twin_lyapunov_per_ps: Option<Estimate>,
    /// The same in Lennard-Jones units (λτ, τ = σ√(m/ε)) for a one-species LJ system.
    pub lyapunov_lj: Option<LjUnits>,
    pub decorrelation: Vec<SpeciesDecorrelation>,
    pub suggestion: Option<Suggestion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_comparison: Option<Vec<TransportComparison>>,
    pub started: String,
    pub finished: String,
    pub wall_time_s: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Serialize, Debug)]
pub struct LyapunovMethod {
    pub description: &'static str,
    pub renormalise_ps: f64,
    pub transient_ps: f64,
    pub block_ps: f64,
    pub blocks: usize,
}

#[derive(Serialize, Debug)]
pub struct FitRuleOut {
    pub start_factor: f64,
    pub end_velocity_separation: f64,
    pub min_growth_efolds: f64,
    pub decorrelated_below: f64,
}

#[allow(non_snake_case)]
#[derive(Serialize, Debug)]
pub struct TwinResult {
    pub name: String,
    pub atom: usize,
    pub direction: [f64; 3],
    pub branch_time_ps: f64,
    /// `followed`, or `failed at step N: <why>`.
    pub status: String,
    pub initial_separation_A: f64,
    pub final_separation_A: f64,
    /// This twin's renormalised shadow: total growth over total time past the transient.
    pub renormalised_lyapunov_per_ps: Option<f64>,
    /// The free twin's exponential regime, fitted.
    pub lyapunov: Option<ExponentFit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit_note: Option<String>,
    /// Per species (in the order of `decorrelation`), ps after branching.
    pub decorrelation_time_ps: Vec<Option<f64>>,
    /// When the velocity separation first reached the end of the exponential regime, ps
    /// after branching.
    pub saturation_start_ps: Option<f64>,
}

#[derive(Serialize, Debug)]
pub struct LjUnits {
    pub tau_ps: f64,
    pub lyapunov: Estimate,
}

#[derive(Serialize, Debug)]
pub struct SpeciesDecorrelation {
    pub species: String,
    /// Mean over the twins that decorrelated within the time they were followed.
    pub time_ps: Option<Estimate>,
    pub twins_decorrelated: usize,
}

/// How to average, from the twins (rules in the field comments; DESIGN.md §9.3).
#[derive(Serialize, Debug)]
pub struct Suggestion {
    /// 1/λ, ps.
    pub lyapunov_time_ps: Option<f64>,
    /// Twins perturbed by `perturbation_A` decorrelate after this (slowest species, mean
    /// over the twins).
    pub decorrelation_time_ps: f64,
    /// Runs that differ only at the round-off level (another machine, compiler or thread
    /// count in a code that is not bitwise reproducible; a restart from a rounded file)
    /// decorrelate after this: the decorrelation time + ln(perturbation / floor) / λ.
    pub round_off_decorrelation_time_ps: Option<f64>,
    /// How long the dynamics remembers a difference of thermal size: from the moment the
    /// twins' velocities differ by 1 % (the end of the exponential regime) until they are
    /// uncorrelated, mean over the twins.
    pub memory_ps: Option<f64>,
    /// Replicas branched from one state (a checkpoint, the same input elsewhere) count as
    /// independent only after this: the round-off decorrelation time, rounded up to 0.1 ps.
    pub replica_discard_ps: f64,
    /// At least `BLOCK_PER_MEMORY` memory times and at least the longest MSD lag of the input.
    pub min_block_ps: f64,
    /// Blocks of `min_block_ps` in the input's production.
    pub blocks_per_replica: usize,
    /// Replicas needed for `BLOCKS_WANTED` independent blocks in all.
    pub replicas: usize,
}

/// The twins' transport estimates against each other (one entry per quantity).
#[derive(Serialize, Debug)]
pub struct TransportComparison {
    pub quantity: String,
    pub members: Vec<(String, Estimate)>,
    pub mean: f64,
    /// Sample standard deviation of the members' values.
    pub spread: f64,
    /// Root mean square of the members' own error bars.
    pub typical_stderr: f64,
    /// Σ (x_k − mean)² / stderr_k²; ≈ members − 1 when the error bars are honest.
    pub chi2: f64,
    pub dof: usize,
}

pub(super) struct Inputs<'a> {
    pub setup: &'a Setup,
    pub opts: &'a DivergenceOptions,
    pub branch_stage: &'a StageInput,
    pub branch_step: u64,
    pub follow_steps: u64,
    pub reference: &'a Member,
    pub twins: &'a [Twin],
    pub floor: f64,
    pub stop: Option<&'a str>,
    pub started: String,
    pub wall_time_s: f64,
}

/// Turns the measured curves into results.
pub(super) fn analyse(i: Inputs) -> DivergenceResults {
    let setup = i.setup;
    let dt = setup.timestep_ps;
    let rule = FitRule::default();
    let species: Vec<String> = setup
        .system
        .species
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let twins: Vec<TwinResult> = i
        .twins
        .iter()
        .map(|t| twin_result(t, dt, i.floor, &rule, species.len()))
        .collect();
    let lambdas: Vec<f64> = twins
        .iter()
        .filter_map(|t| t.lyapunov.as_ref().map(|f| f.lambda_per_ps))
        .collect();
    let free_twin_lyapunov = Estimate::from_independent(&lambdas);
    let shadows: Vec<(f64, &[tangent::Interval])> = i
        .twins
        .iter()
        .filter(|t| t.failure.is_none())
        .map(|t| (t.branch_step as f64 * dt, t.shadow.intervals.as_slice()))
        .collect();
    let pooled = pooled_exponent(&shadows, LYAPUNOV_BLOCK_PS);
    let lyapunov = pooled.map(|(value, stderr, _)| Estimate { value, stderr });
    let decorrelation: Vec<SpeciesDecorrelation> = species
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let times: Vec<f64> = twins
                .iter()
                .filter_map(|t| t.decorrelation_time_ps[s])
                .collect();
            SpeciesDecorrelation {
                species: name.clone(),
                time_ps: Estimate::from_independent(&times),
                twins_decorrelated: times.len(),
            }
        })
        .collect();
    let mut notes = Vec::new();
    if pooled.is_none() {
        notes.push(format!(
            "the twins were followed for less than two blocks of {LYAPUNOV_BLOCK_PS} ps past the {} ps transient: no exponent with an error bar; follow them longer",
            tangent::TRANSIENT_PS
        ));
    }
    let suggestion = suggest(
        setup,
        &twins,
        &decorrelation,
        lyapunov,
        i.floor,
        i.opts.perturbation,
    );
    DivergenceResults {
        mdsim_version: env!("CARGO_PKG_VERSION"),
        status: i
            .stop
            .map_or_else(|| "completed".into(), |s| format!("failed: {s}")),
        input_file: setup.path.display().to_string(),
        input_sha256: sha256_hex(setup.text.as_bytes()),
        seed: setup.input.seed,
        perturbation_seed: i.opts.seed.unwrap_or(setup.input.seed),
        threads: i.opts.threads,
        n_atoms: setup.system.n_atoms(),
        timestep_ps: dt,
        separation: SEPARATION_DEFINITION,
        perturbation_A: i.opts.perturbation,
        round_off_floor_A: i.floor,
        branch_stage: i.branch_stage.name.clone(),
        first_branch_time_ps: i.branch_step as f64 * dt,
        stagger_ps: i.opts.stagger_ps,
        follow_ps: i.follow_steps as f64 * dt,
        fit_rule: FitRuleOut {
            start_factor: rule.start_factor,
            end_velocity_separation: rule.end_velocity_separation,
            min_growth_efolds: rule.min_growth,
            decorrelated_below: DECORRELATED,
        },
        lyapunov_lj: lyapunov.and_then(|l| {
            lj_time_unit(setup).map(|tau| LjUnits {
                tau_ps: tau,
                lyapunov: l.scaled(tau),
            })
        }),
        lyapunov_per_ps: lyapunov,
        lyapunov_method: LyapunovMethod {
            description: LYAPUNOV_METHOD,
            renormalise_ps: tangent::RENORMALISE_PS,
            transient_ps: tangent::TRANSIENT_PS,
            block_ps: LYAPUNOV_BLOCK_PS,
            blocks: pooled.map_or(0, |p| p.2),
        },
        free_twin_lyapunov_per_ps: free_twin_lyapunov,
        twins,
        decorrelation,
        suggestion,
        transport_comparison: i
            .opts
            .transport
            .then(|| compare_transport(i.reference, i.twins)),
        started: i.started,
        finished: utc_now(),
        wall_time_s: i.wall_time_s,
        warnings: setup.warnings.clone(),
        notes,
    }
}

fn twin_result(t: &Twin, dt: f64, floor: f64, rule: &FitRule, n_species: usize) -> TwinResult {
    let times: Vec<f64> = t.sample_steps.iter().map(|&s| s as f64 * dt).collect();
    let d: Vec<f64> = t.samples.iter().map(|s| s.distance).collect();
    let vs: Vec<f64> = t.samples.iter().map(|s| s.velocity_separation).collect();
    let fit = fit_exponent(&times, &d, &vs, floor, rule);
    let decorrelation_time_ps = (0..n_species)
        .map(|s| {
            let c: Vec<f64> = t
                .samples
                .iter()
                .map(|x| x.velocity_correlation[s])
                .collect();
            first_at_or_below(&times, &c, DECORRELATED)
        })
        .collect();
    let saturation_start_ps = times
        .iter()
        .zip(&vs)
        .find(|(_, &v)| v >= rule.end_velocity_separation)
        .map(|(&t, _)| t);
    TwinResult {
        saturation_start_ps,
        name: t.member.name.clone(),
        atom: t.perturbation.atom,
        direction: t.perturbation.direction,
        branch_time_ps: t.branch_step as f64 * dt,
        status: match &t.failure {
            None => "followed".into(),
            Some((step, why)) => format!("failed at step {step}: {why}"),
        },
        initial_separation_A: d[0],
        final_separation_A: d[d.len() - 1],
        renormalised_lyapunov_per_ps: shadow_exponent(&t.shadow.intervals),
        fit_note: fit.as_ref().err().cloned(),
        lyapunov: fit.ok(),
        decorrelation_time_ps,
    }
}

/// τ = σ√(m/ε) (ps) of a one-species system whose only interaction is one LJ term.
pub fn lj_time_unit(setup: &Setup) -> Option<f64> {
    let s = &setup.system;
    if s.species.len() != 1 || setup.force_field.coulomb.is_some() {
        return None;
    }
    let spec = setup.force_field.pair.get(0, 0)?;
    match spec.terms.as_slice() {
        [PairTerm::LennardJones { epsilon, sigma }] => {
            Some(sigma * (s.species[0].mass / (epsilon * EV_TO_AMU_A2_PS2)).sqrt())
        }
        _ => None,
    }
}

fn suggest(
    setup: &Setup,
    twins: &[TwinResult],
    decorrelation: &[SpeciesDecorrelation],
    lyapunov: Option<Estimate>,
    floor: f64,
    perturbation: f64,
) -> Option<Suggestion> {
    let t_dec = decorrelation
        .iter()
        .filter_map(|d| d.time_ps.map(|e| e.value))
        .reduce(f64::max)?;
    let lambda = lyapunov.map(|l| l.value).filter(|&l| l > 0.0);
    let round_off = lambda.map(|l| t_dec + (perturbation / floor).ln() / l);
    // Memory per twin: from the end of the exponential regime to the slowest species'
    // decorrelation.
    let memories: Vec<f64> = twins
        .iter()
        .filter_map(|t| {
            let end = t.saturation_start_ps?;
            let dec: Vec<f64> = t
                .decorrelation_time_ps
                .iter()
                .copied()
                .collect::<Option<_>>()?;
            dec.into_iter().reduce(f64::max).map(|d| d - end)
        })
        .collect();
    let memory = (!memories.is_empty()).then(|| mdsim_transport::stats::mean(&memories));
    let longest_lag = setup.input.transport.msd.max_lag_ps.unwrap_or(0.0);
    let min_block = (BLOCK_PER_MEMORY * memory.unwrap_or(t_dec)).max(longest_lag);
    let min_block = (min_block * 10.0).ceil() / 10.0;
    let production = setup.production_steps() as f64 * setup.timestep_ps;
    let blocks = (production / min_block).floor() as usize;
    Some(Suggestion {
        lyapunov_time_ps: lambda.map(|l| 1.0 / l),
        decorrelation_time_ps: t_dec,
        round_off_decorrelation_time_ps: round_off,
        memory_ps: memory,
        replica_discard_ps: (round_off.unwrap_or(t_dec) * 10.0).ceil() / 10.0,
        min_block_ps: min_block,
        blocks_per_replica: blocks,
        replicas: BLOCKS_WANTED.div_ceil(blocks.max(1)),
    })
}

/// Every transport number each member reported, side by side (D per species today; the
/// conductivity joins when its observer fills the report).
fn compare_transport(reference: &Member, twins: &[Twin]) -> Vec<TransportComparison> {
    let members: Vec<&Member> = std::iter::once(reference)
        .chain(
            twins
                .iter()
                .filter(|t| t.failure.is_none())
                .map(|t| &t.member),
        )
        .collect();
    let mut out = Vec::new();
    for sp in &reference.report.transport.species {
        let quantity = format!("diffusion_cm2_s({})", sp.species);
        let values: Vec<(String, Estimate)> = members
            .iter()
            .filter_map(|m| {
                m.report
                    .transport
                    .species
                    .iter()
                    .find(|x| x.species == sp.species)
                    .and_then(|x| x.diffusion_cm2_s.map(|d| (m.name.clone(), d)))
            })
            .collect();
        out.extend(comparison(quantity, values));
    }
    for (quantity, get) in [
        (
            "conductivity_S_cm",
            (|t: &crate::report::TransportOut| t.conductivity_S_cm) as fn(&_) -> _,
        ),
        ("conductivity_tracer_S_cm", |t| t.conductivity_tracer_S_cm),
    ] {
        let values: Vec<(String, Estimate)> = members
            .iter()
            .filter_map(|m| get(&m.report.transport).map(|e| (m.name.clone(), e)))
            .collect();
        out.extend(comparison(quantity.to_string(), values));
    }
    out
}

fn comparison(quantity: String, members: Vec<(String, Estimate)>) -> Option<TransportComparison> {
    if members.len() < 2 {
        return None;
    }
    let x: Vec<f64> = members.iter().map(|(_, e)| e.value).collect();
    let mean = mdsim_transport::stats::mean(&x);
    let spread = mdsim_transport::stats::sample_std(&x);
    let typical_stderr =
        (members.iter().map(|(_, e)| e.stderr.powi(2)).sum::<f64>() / members.len() as f64).sqrt();
    let chi2 = members
        .iter()
        .map(|(_, e)| ((e.value - mean) / e.stderr).powi(2))
        .sum();
    Some(TransportComparison {
        quantity,
        dof: members.len() - 1,
        members,
        mean,
        spread,
        typical_stderr,
        chi2,
    })
}

/// The summary printed at the end (stderr).
pub fn print_summary(r: &DivergenceResults, dir: &std::path::Path) {
    eprintln!("\n{}", r.status);
    for t in &r.twins {
        let fit = match (&t.lyapunov, &t.fit_note) {
            (Some(f), _) => format!(
                "renormalised λ = {}; free twin λ = {:.3} 1/ps (fit {:.2}–{:.2} ps, {:.1} e-folds, {} kick(s){})",
                t.renormalised_lyapunov_per_ps
                    .map_or("–".into(), |l| format!("{l:.3} 1/ps")),
                f.lambda_per_ps,
                f.window_ps[0],
                f.window_ps[1],
                f.growth,
                f.kicks,
                if f.kicks > 0 {
                    format!("; {:.3} 1/ps with them", f.lambda_with_kicks_per_ps)
                } else {
                    String::new()
                }
            ),
            (None, Some(n)) => format!("no exponent: {n}"),
            (None, None) => "no exponent".into(),
        };
        eprintln!(
            "  {} (atom {}, branched at {:.2} ps): {}; {}",
            t.name, t.atom, t.branch_time_ps, t.status, fit
        );
    }
    match (&r.lyapunov_per_ps, &r.lyapunov_lj) {
        (Some(l), lj) => {
            eprint!(
                "  largest Lyapunov exponent λ = {:.3} ± {:.3} 1/ps (Lyapunov time 1/λ = {:.3} ps)",
                l.value,
                l.stderr,
                1.0 / l.value
            );
            match lj {
                Some(lj) => eprintln!(
                    " = {:.3} ± {:.3} in LJ units (τ = σ√(m/ε) = {:.4} ps)",
                    lj.lyapunov.value, lj.lyapunov.stderr, lj.tau_ps
                ),
                None => eprintln!(),
            }
        }
        (None, _) => eprintln!("  no Lyapunov exponent with an error bar (see the notes)"),
    }
    for d in &r.decorrelation {
        match d.time_ps {
            Some(t) => eprintln!(
                "  twins' {} velocities decorrelated (C ≤ {DECORRELATED}) after {:.2} ± {:.2} ps ({} twins)",
                d.species, t.value, t.stderr, d.twins_decorrelated
            ),
            None => eprintln!(
                "  twins' {} velocities: {} twin(s) decorrelated; follow them longer for a time with an error bar",
                d.species, d.twins_decorrelated
            ),
        }
    }
    if let Some(s) = &r.suggestion {
        if let Some(t) = s.round_off_decorrelation_time_ps {
            eprintln!("  runs that differ in the last bits part ways within ≈ {t:.1} ps");
        }
        if let Some(m) = s.memory_ps {
            eprintln!(
                "  a difference of thermal size (1 % of the velocities) is forgotten within {m:.2} ps"
            );
        }
        eprintln!(
            "  suggestion: blocks of ≥ {:.1} ps ({} in this input's production), {} replica(s) for {} independent blocks; replicas branched from one state count after {:.1} ps",
            s.min_block_ps, s.blocks_per_replica, s.replicas, BLOCKS_WANTED, s.replica_discard_ps
        );
    }
    for c in r.transport_comparison.iter().flatten() {
        eprintln!(
            "  {}: mean {:.4e}, spread {:.2e} vs typical error bar {:.2e}; χ² = {:.2} for {} degrees of freedom",
            c.quantity, c.mean, c.spread, c.typical_stderr, c.chi2, c.dof
        );
    }
    for n in &r.notes {
        eprintln!("  note: {n}");
    }
    eprintln!("  output: {}", dir.display());
}
