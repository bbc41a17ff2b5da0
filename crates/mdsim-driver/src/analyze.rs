//! `mdsim analyze`: every conductivity estimate recomputed from what finished runs stored
//! (`conductivity_data.json`), without re-running — with another fit window or target
//! error, and for several runs of one system combined as independent replicas; or computed
//! from trajectories of other engines ([`analyze_trajectories`], see
//! [`crate::analyze_trajectory`]).
//!
//! Replicas: each run's estimates are computed alone; the combined value of each quantity
//! is the mean over the runs and its error the standard error of their spread (Student's t
//! with replicas − 1 degrees of freedom for the 95 % interval), never the runs' own error
//! bars pooled. For σ the averaged spectrum of all runs is fitted too (more degrees of
//! freedom at each frequency than any single run), when the runs share volume and sampling.

use crate::analyze_trajectory::{self, TrajectoryInfo, TrajectoryOptions, NO_CURRENT_NOTE};
use crate::observers::conductivity::{summary_lines, StoredConductivity, DATA_FILE};
use anyhow::{bail, Context, Result};
use mdsim_transport::conductivity::{pooled_conductivity, AnalysisOptions, ConductivityReport};
use mdsim_transport::{Estimate, FitWindowSpec};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What may change from the runs' own settings.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// Fit window of the MSD slopes, ps; `None`: automatic.
    pub fit_window_ps: Option<(f64, f64)>,
    /// Target relative error of the "how much longer" advice; `None`: 10 %.
    pub target_relative_error: Option<f64>,
    /// Transport charges to check against the stored ones (see [`analyze`]).
    pub charges: Option<BTreeMap<String, f64>>,
}

/// One run's estimates.
#[derive(Serialize, Debug)]
pub struct RunAnalysis {
    pub dir: String,
    pub conductivity: ConductivityReport,
}

/// Several runs combined as replicas. Every estimate: mean ± standard error of the spread.
#[allow(non_snake_case)]
#[derive(Serialize, Debug)]
pub struct Combined {
    pub replicas: usize,
    pub conductivity_S_cm: Option<Estimate>,
    /// σ from the zero-frequency fit of the runs' averaged spectrum.
    pub conductivity_pooled_spectrum_S_cm: Option<Estimate>,
    pub conductivity_tracer_S_cm: Option<Estimate>,
    pub haven_ratio: Option<Estimate>,
    /// Per species, D* from the runs' block estimates (may be an insignificant mean for a
    /// species that does not move).
    pub diffusion_cm2_s: BTreeMap<String, Estimate>,
    pub notes: Vec<String>,
}

/// analysis.json.
#[derive(Serialize, Debug)]
pub struct Analysis {
    pub mdsim_version: &'static str,
    pub runs: Vec<RunAnalysis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combined: Option<Combined>,
    /// What was read from each trajectory (`mdsim analyze --trajectory`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trajectories: Vec<TrajectoryInfo>,
}

/// One set of stored data to analyse: a run folder's or a trajectory's.
struct Source {
    label: String,
    stored: StoredConductivity,
    options: AnalysisOptions,
    /// No charge current was measured (a trajectory without velocities).
    no_current: bool,
}

/// Reads `dir/conductivity_data.json`, naming the file in every error.
pub fn load(dir: &Path) -> Result<StoredConductivity> {
    let path = dir.join(DATA_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: cannot read it; a run folder has it when the run estimated the conductivity (a charged model with a long enough production) and finished",
            path.display()
        )
    })?;
    let stored: StoredConductivity = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not conductivity data of this mdsim version",
            path.display()
        )
    })?;
    stored
        .data
        .validate()
        .with_context(|| format!("{}: inconsistent data", path.display()))?;
    Ok(stored)
}

/// Analyses every folder in `dirs`; with two or more, combines them. A run's MSD curves and
/// charge current were accumulated with its transport charges, so `opts.charges`, when
/// given, must equal them (the message says how to change them: in the input, and rerun).
pub fn analyze(dirs: &[PathBuf], opts: &AnalyzeOptions) -> Result<Analysis> {
    if dirs.is_empty() {
        bail!("name at least one run folder");
    }
    let options = AnalysisOptions {
        fit_window: match opts.fit_window_ps {
            Some((start_ps, end_ps)) => FitWindowSpec::Manual { start_ps, end_ps },
            None => FitWindowSpec::Auto,
        },
        target_relative_error: opts.target_relative_error.unwrap_or(0.1),
        ..AnalysisOptions::default()
    };
    let mut sources = Vec::new();
    for dir in dirs {
        let s = load(dir)?;
        if let Some(q) = &opts.charges {
            check_charges(dir, &s, q)?;
        }
        sources.push(Source {
            label: dir.display().to_string(),
            stored: s,
            options: options.clone(),
            no_current: false,
        });
    }
    analyze_sources(sources, Vec::new())
}

/// Analyses trajectory files (with two or more, combined as replicas): each is read and
/// accumulated as a run would be (see [`crate::analyze_trajectory`]).
pub fn analyze_trajectories(files: &[PathBuf], opts: &TrajectoryOptions) -> Result<Analysis> {
    if files.is_empty() {
        bail!("name at least one trajectory file");
    }
    let mut sources = Vec::new();
    let mut infos = Vec::new();
    for file in files {
        let t = analyze_trajectory::load(file, opts)?;
        sources.push(Source {
            label: file.display().to_string(),
            stored: t.stored,
            options: t.options,
            no_current: t.no_current,
        });
        infos.push(t.info);
    }
    analyze_sources(sources, infos)
}

/// Every source's report, and their combination when there are two or more.
fn analyze_sources(sources: Vec<Source>, trajectories: Vec<TrajectoryInfo>) -> Result<Analysis> {
    let mut runs = Vec::new();
    for s in &sources {
        let mut report = s
            .stored
            .data
            .analyze(s.stored.mean_temperature_k, &s.options)
            .with_context(|| s.label.clone())?;
        if s.no_current {
            report.notes.push(NO_CURRENT_NOTE.into());
        }
        runs.push(RunAnalysis {
            dir: s.label.clone(),
            conductivity: report,
        });
    }
    let stored: Vec<StoredConductivity> = sources.iter().map(|s| s.stored.clone()).collect();
    let combined = (runs.len() >= 2).then(|| combine(&runs, &stored, &sources[0].options));
    Ok(Analysis {
        mdsim_version: env!("CARGO_PKG_VERSION"),
        runs,
        combined,
        trajectories,
    })
}

fn check_charges(dir: &Path, s: &StoredConductivity, given: &BTreeMap<String, f64>) -> Result<()> {
    let sys = &s.data.system;
    for (name, q) in given {
        let Some(g) = sys.names.iter().position(|n| n == name) else {
            bail!(
                "--charges: {} has no species `{name}` (species: {})",
                dir.display(),
                sys.names.join(", ")
            );
        };
        if sys.charges[g] != *q {
            bail!(
                "--charges: {} was run with transport charge {:+} for {name}, not {q:+}; its MSD curves and charge current were accumulated with the run's charges, so set transport.conductivity.charges in the input and rerun",
                dir.display(),
                sys.charges[g]
            );
        }
    }
    Ok(())
}

fn combine(runs: &[RunAnalysis], stored: &[StoredConductivity], o: &AnalysisOptions) -> Combined {
    let reports: Vec<&ConductivityReport> = runs.iter().map(|r| &r.conductivity).collect();
    let spread = |f: &dyn Fn(&ConductivityReport) -> Option<f64>| -> Option<Estimate> {
        let v: Option<Vec<f64>> = reports.iter().map(|r| f(r)).collect();
        Estimate::from_independent(&v?)
    };
    let mut notes = Vec::new();
    if runs.len() < 5 {
        notes.push(format!(
            "{} replicas: an error from their spread is itself uncertain by ≈ {:.0} % (1/√(2(n − 1))), and the 95 % interval is ±{:.1} standard errors (Student's t); use 5 or more replicas",
            runs.len(),
            100.0 / (2.0 * (runs.len() as f64 - 1.0)).sqrt(),
            mdsim_transport::stats::t975(runs.len() as f64 - 1.0)
        ));
    }
    let first = &stored[0].data.system;
    if stored
        .iter()
        .any(|s| s.data.system.names != first.names || s.data.system.charges != first.charges)
    {
        notes.push(
            "the runs differ in species or transport charges: combining them is not meaningful"
                .into(),
        );
    }
    let temperature =
        stored.iter().map(|s| s.mean_temperature_k).sum::<f64>() / stored.len() as f64;
    let data: Vec<_> = stored.iter().map(|s| s.data.clone()).collect();
    let pooled = match pooled_conductivity(&data, temperature, &o.spectral) {
        Ok(fit) => Some(fit.value),
        Err(e) => {
            notes.push(format!("no pooled-spectrum σ: {e}"));
            None
        }
    };
    let mut diffusion = BTreeMap::new();
    for (g, name) in first.names.iter().enumerate() {
        let v: Option<Vec<f64>> = reports
            .iter()
            .map(|r| r.species.get(g).map(|s| s.block_estimate_cm2_s.value))
            .collect();
        if let Some(e) = v.and_then(|v| Estimate::from_independent(&v)) {
            diffusion.insert(name.clone(), e);
        }
    }
    Combined {
        replicas: runs.len(),
        conductivity_S_cm: spread(&|r| r.conductivity.as_ref().map(|c| c.s_cm.value)),
        conductivity_pooled_spectrum_S_cm: pooled,
        conductivity_tracer_S_cm: spread(&|r| r.conductivity_tracer.as_ref().map(|c| c.s_cm.value)),
        haven_ratio: spread(&|r| r.haven_ratio.as_ref().map(|h| h.value.value)),
        diffusion_cm2_s: diffusion,
        notes,
    }
}

/// Writes the analysis as JSON into the new file `path`.
pub fn write_json(a: &Analysis, path: &Path) -> Result<()> {
    if path.exists() {
        bail!("{}: exists; name a new file", path.display());
    }
    std::fs::write(path, serde_json::to_string_pretty(a)?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    eprintln!("results: {}", path.display());
    Ok(())
}

/// The summary printed by `mdsim analyze` (stderr).
pub fn print_summary(a: &Analysis) {
    for t in &a.trajectories {
        for w in &t.warnings {
            eprintln!("warning: {w}");
        }
        let steps = t.steps_between_frames.map_or(String::new(), |n| {
            format!(" ({n} MD step{})", if n == 1 { "" } else { "s" })
        });
        eprintln!(
            "{}: {}, {} frames every {} ps{steps}, {} atoms, {:.4} Å³; positions {}; {}",
            t.file,
            t.format,
            t.frames,
            t.frame_interval_ps,
            t.n_atoms,
            t.volume_A3,
            t.positions,
            match t.kinetic_temperature_K {
                Some(k) => format!("velocities (kinetic temperature {k:.2} K)"),
                None if t.velocities => "velocities".into(),
                None => "no velocities".into(),
            }
        );
    }
    for r in &a.runs {
        eprintln!("{}:", r.dir);
        for l in summary_lines(&r.conductivity) {
            eprintln!("  {l}");
        }
        for n in &r.conductivity.notes {
            eprintln!("    note: {n}");
        }
    }
    if let Some(c) = &a.combined {
        let pm = |e: &Option<Estimate>| {
            e.map_or("–".into(), |e| {
                format!("({:.4e} ± {:.2e})", e.value, e.stderr)
            })
        };
        eprintln!(
            "{} replicas combined (mean ± standard error of their spread):",
            c.replicas
        );
        eprintln!("  σ    = {} S/cm", pm(&c.conductivity_S_cm));
        eprintln!(
            "         {} S/cm  [averaged spectrum]",
            pm(&c.conductivity_pooled_spectrum_S_cm)
        );
        eprintln!("  σ_tr = {} S/cm", pm(&c.conductivity_tracer_S_cm));
        eprintln!("  H_R  = {}", pm(&c.haven_ratio));
        for (s, d) in &c.diffusion_cm2_s {
            eprintln!("  D*({s}) = {} cm²/s", pm(&Some(*d)));
        }
        for n in &c.notes {
            eprintln!("  note: {n}");
        }
    }
}
