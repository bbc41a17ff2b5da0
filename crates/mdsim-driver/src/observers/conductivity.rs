//! Ionic conductivity while the run goes (DESIGN.md §5): at every production step the
//! unwrapped positions and velocities go into mdsim-transport's accumulator, which keeps
//! ΔP(t), the charge current J(t), the per-species collective displacements and the tracer
//! MSD in the framework's frame. Writes polarization.csv and current.csv as the run goes;
//! at the end σ (spectral, with the Einstein and Green–Kubo values beside it), σ_tr, the
//! Haven ratio and D* with errors go into results.json, the curves into msd.csv and
//! msd.svg, and everything the estimators need into conductivity_data.json (for
//! `mdsim analyze`). The rows and the curves are also published
//! ([`ConductivityFeed`]) for the H5MD trajectory, which stores them too.

use super::conductivity_feed::{ConductivityFeed, Curve, MsdCurves, SeriesSample};
use super::conductivity_plot::msd_svg;
use super::running::RunningConductivity;
use crate::observer::{Observer, Saved, State};
use crate::output::{write_atomic, RunDir, TextWriter};
use crate::report::{Report, SpeciesTransport};
use anyhow::{bail, Result};
use mdsim_core::Species;
use mdsim_io::conductivity::ConductivitySetup;
use mdsim_io::input::FrameInput;
use mdsim_io::Setup;
use mdsim_transport::conductivity::{
    push_row, AnalysisOptions, ConductivityAccumulator, ConductivityConfig, ConductivityData,
    ConductivityReport, ReferenceFrame, CURRENT_HEADER, POLARIZATION_HEADER,
};
use mdsim_transport::{BlockedCurves, FitWindowSpec, TransportError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// File of the estimators' input data, for `mdsim analyze`.
pub const DATA_FILE: &str = "conductivity_data.json";

/// What [`DATA_FILE`] holds: the estimators' data and the mean temperature of the
/// production (the one σ is computed at).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct StoredConductivity {
    pub mean_temperature_k: f64,
    pub data: ConductivityData,
}

pub struct Conductivity {
    state: Accumulated,
    polarization: TextWriter,
    current: TextWriter,
    /// Steps between running estimates (the thermo interval).
    thermo_every: u64,
    running: RunningConductivity,
    feed: ConductivityFeed,
    options: AnalysisOptions,
    dir: PathBuf,
    unwrapped: Vec<[f64; 3]>,
    line: String,
}

/// What the observer carries over a restart.
#[derive(Serialize, Deserialize)]
struct Accumulated {
    acc: ConductivityAccumulator,
    /// Σ T and the number of production states seen (for the mean temperature).
    temperature_sum: f64,
    states: u64,
    polarization_len: u64,
    current_len: u64,
}

impl Conductivity {
    /// `None` when the input's conductivity does not apply (see
    /// [`mdsim_io::conductivity::resolve`]). Publishes running estimates in `running`, the
    /// series rows and the final curves in `feed`.
    pub fn new(
        setup: &Setup,
        dir: &RunDir,
        running: RunningConductivity,
        feed: ConductivityFeed,
    ) -> Result<Option<Self>> {
        let Some((acc, options)) = Self::accumulator(setup)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            state: Accumulated {
                acc,
                temperature_sum: 0.0,
                states: 0,
                polarization_len: 0,
                current_len: 0,
            },
            polarization: dir
                .growing_file("polarization.csv", &format!("{POLARIZATION_HEADER}\n"))?,
            current: dir.growing_file("current.csv", &format!("{CURRENT_HEADER}\n"))?,
            thermo_every: setup.input.output.thermo_every,
            running,
            feed,
            options,
            dir: dir.path().to_path_buf(),
            unwrapped: Vec::new(),
            line: String::new(),
        }))
    }

    /// The accumulator and the analysis settings of the input (no files are touched);
    /// `None` when the conductivity does not apply or the production is too short for it
    /// ([`too_short`] says so).
    pub fn accumulator(
        setup: &Setup,
    ) -> Result<Option<(ConductivityAccumulator, AnalysisOptions)>> {
        let Some(c) = &setup.conductivity else {
            return Ok(None);
        };
        let acc = match ConductivityAccumulator::new(config(setup, c)) {
            Ok(acc) => acc,
            Err(TransportError::RunTooShort(_)) => return Ok(None),
            Err(e) => bail!("{}: transport.conductivity: {e}", setup.path.display()),
        };
        Ok(Some((acc, analysis_options(c))))
    }

    fn mean_temperature(&self) -> f64 {
        self.state.temperature_sum / self.state.states.max(1) as f64
    }

    /// The report of the data so far, or why there is none.
    fn analyze(&self, data: &ConductivityData) -> Result<ConductivityReport, String> {
        if self.state.states < 2 {
            return Err("the production produced no samples".into());
        }
        data.analyze(self.mean_temperature(), &self.options)
            .map_err(|e| e.to_string())
    }
}

/// Why the conductivity, which applies to this input, is not estimated: the production is
/// too short for its blocks. The lab-frame MSD observer runs instead.
pub fn too_short(setup: &Setup) -> Option<String> {
    let c = setup.conductivity.as_ref()?;
    match ConductivityAccumulator::new(config(setup, c)) {
        Err(TransportError::RunTooShort(why)) => Some(format!(
            "no conductivity estimate: {why} (transport.conductivity.blocks); the lab-frame MSD is measured instead"
        )),
        _ => None,
    }
}

/// The accumulator's configuration for the input's system and production.
fn config(setup: &Setup, c: &ConductivitySetup) -> ConductivityConfig {
    let s = &setup.system;
    accumulator_config(
        c,
        &s.species,
        &s.types,
        s.cell.volume(),
        setup.timestep_ps,
        setup.production_steps(),
    )
}

/// The accumulator's configuration from resolved settings: atoms of `species` (names,
/// masses) with group indices `groups`, in a cell of `volume_a3` (Å³), `n_steps + 1`
/// states `dt_ps` apart (used by `mdsim run` and `mdsim analyze --trajectory` alike).
pub fn accumulator_config(
    c: &ConductivitySetup,
    species: &[Species],
    groups: &[usize],
    volume_a3: f64,
    dt_ps: f64,
    n_steps: u64,
) -> ConductivityConfig {
    ConductivityConfig {
        groups: groups.to_vec(),
        names: species.iter().map(|x| x.name.clone()).collect(),
        charges: c.charges.clone(),
        masses: species.iter().map(|x| x.mass).collect(),
        diffusing: c.diffusing.clone(),
        frame: match c.frame {
            FrameInput::FrameworkCentreOfCharge => ReferenceFrame::FrameworkCentreOfCharge,
            FrameInput::FrameworkCentreOfMass => ReferenceFrame::FrameworkCentreOfMass,
            FrameInput::Lab => ReferenceFrame::Lab,
        },
        volume_a3,
        dt_ps,
        n_steps,
        n_blocks: c.blocks,
        allow_net_charge: false,
    }
}

/// The estimators' options of resolved settings (fit window, target error).
pub fn analysis_options(c: &ConductivitySetup) -> AnalysisOptions {
    AnalysisOptions {
        fit_window: match c.fit_window_ps {
            Some((start_ps, end_ps)) => FitWindowSpec::Manual { start_ps, end_ps },
            None => FitWindowSpec::Auto,
        },
        target_relative_error: c.target_relative_error,
        ..AnalysisOptions::default()
    }
}

impl Observer for Conductivity {
    fn observe(&mut self, s: &State) -> Result<()> {
        if s.production_step.is_none() {
            return Ok(());
        }
        s.system.unwrapped_positions(&mut self.unwrapped);
        let r = self.state.acc.push(&self.unwrapped, &s.system.velocities)?;
        self.state.temperature_sum += s.temperature();
        self.state.states += 1;
        for (out, v) in [
            (&mut self.polarization, r.polarization),
            (&mut self.current, r.current),
        ] {
            self.line.clear();
            push_row(&mut self.line, r.step, r.time_ps, v);
            out.raw(&self.line)?;
        }
        self.feed.publish_sample(SeriesSample {
            step: s.step,
            polarization: r.polarization,
            current: r.current,
        });
        if s.step.is_multiple_of(self.thermo_every) {
            self.running
                .set(self.state.acc.running(self.mean_temperature()));
        }
        Ok(())
    }

    fn finish(&mut self, r: &mut Report) -> Result<()> {
        self.polarization.flush()?;
        self.current.flush()?;
        let data = self.state.acc.data();
        let stored = StoredConductivity {
            mean_temperature_k: self.mean_temperature(),
            data,
        };
        write_atomic(
            &self.dir.join(DATA_FILE),
            serde_json::to_string(&stored)?.as_bytes(),
        )?;
        let data = stored.data;
        let curves = msd_curves(&data);
        std::fs::write(self.dir.join("msd.csv"), msd_csv(&curves))?;
        self.feed.publish_curves(curves);
        match self.analyze(&data) {
            Ok(report) => {
                if let Err(e) = msd_svg(&self.dir.join("msd.svg"), &data, &report) {
                    r.transport
                        .notes
                        .push(format!("msd.svg could not be drawn: {e}"));
                }
                fill_report(r, &report);
            }
            Err(e) => r
                .transport
                .notes
                .push(format!("no conductivity estimate: {e}")),
        }
        Ok(())
    }

    fn save(&mut self) -> Result<Option<Saved>> {
        self.state.polarization_len = self.polarization.checkpoint()?;
        self.state.current_len = self.current.checkpoint()?;
        Saved::new(&self.state).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        self.state = Saved::unpack(saved)?;
        self.polarization.cut_back(self.state.polarization_len)?;
        self.current.cut_back(self.state.current_len)
    }
}

/// The per-atom tracer MSD of every species in the reference frame and the collective MSD
/// |Σ q Δr|², each with its block standard error, cut to the lags all of them reach.
fn msd_curves(d: &ConductivityData) -> MsdCurves {
    let curve = |c: &BlockedCurves, g: usize| Curve {
        value: c.pooled_mean(g),
        stderr: c.block_stderr(g),
    };
    let tracer: Vec<(String, Curve)> = (d.system.names.iter().enumerate())
        .map(|(g, name)| (name.clone(), curve(&d.tracer, g)))
        .collect();
    let collective = curve(&d.collective, 0);
    let mut lag_ps = d.tracer.lag_times_ps();
    let rows = (tracer.iter().map(|(_, c)| c))
        .chain([&collective])
        .flat_map(|c| [c.value.len(), c.stderr.len()])
        .fold(lag_ps.len(), usize::min);
    lag_ps.truncate(rows);
    let cut = |mut c: Curve| {
        c.value.truncate(rows);
        c.stderr.truncate(rows);
        c
    };
    MsdCurves {
        lag_ps,
        frame: d.system.frame,
        tracer: tracer.into_iter().map(|(n, c)| (n, cut(c))).collect(),
        collective: cut(collective),
    }
}

/// msd.csv: the curves of [`msd_curves`], a row per lag.
fn msd_csv(c: &MsdCurves) -> String {
    let mut header = vec!["lag_ps".to_string()];
    let mut columns: Vec<&[f64]> = vec![&c.lag_ps];
    for (name, curve) in &c.tracer {
        header.push(format!("msd_{name}_A2"));
        header.push(format!("msd_{name}_stderr_A2"));
        columns.push(&curve.value);
        columns.push(&curve.stderr);
    }
    header.push("msd_charge_e2A2".into());
    header.push("msd_charge_stderr_e2A2".into());
    columns.push(&c.collective.value);
    columns.push(&c.collective.stderr);
    let mut out = format!(
        "# tracer MSD per atom in the {:?} frame (Å²) and collective |Σ q Δr|² (e²Å²), block standard errors\n{}\n",
        c.frame,
        header.join(",")
    );
    for k in 0..c.lag_ps.len() {
        let row: Vec<String> = columns.iter().map(|c| format!("{:.10e}", c[k])).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The headline numbers into results.json's `transport` section, and the summary lines.
fn fill_report(r: &mut Report, c: &ConductivityReport) {
    let t = &mut r.transport;
    t.conductivity_S_cm = c.conductivity.as_ref().map(|x| x.s_cm);
    t.conductivity_resolved = Some(c.conductivity_resolved);
    t.conductivity_tracer_S_cm = c.conductivity_tracer.as_ref().map(|x| x.s_cm);
    t.haven_ratio = c.haven_ratio.as_ref().map(|h| h.value);
    for s in &c.species {
        t.species.push(SpeciesTransport {
            species: s.species.clone(),
            diffusion_cm2_s: s.diffusion_cm2_s,
            upper_bound_cm2_s: s.upper_bound_cm2_s,
            fit_window_ps: [s.window.start_ps, s.window.end_ps],
            n_blocks: s.n_blocks,
            reference: None,
        });
    }
    t.notes.extend(c.notes.iter().cloned());
    t.conductivity = Some(c.clone());
    r.summary.extend(summary_lines(c));
}

/// The summary lines of a conductivity report (also `mdsim analyze`'s).
pub fn summary_lines(c: &ConductivityReport) -> Vec<String> {
    let pm = |e: &mdsim_transport::Estimate| format!("({:.4e} ± {:.2e})", e.value, e.stderr);
    let charges: Vec<String> = c
        .charges
        .iter()
        .map(|q| format!("{} {:+}", q.species, q.charge_e))
        .collect();
    let mut lines = vec![format!(
        "conductivity at {:.2} K over {:.1} ps (transport charges {}; frame {:?}):",
        c.temperature_k,
        c.run_ps,
        charges.join(", "),
        c.frame
    )];
    if let Some(s) = &c.conductivity {
        let resolved = if c.conductivity_resolved {
            ""
        } else {
            "  NOT RESOLVED (see notes)"
        };
        let t = &s.to_target;
        let advice = if t.replicas <= 1 {
            format!("within the {:.0} % target", 100.0 * t.target_relative_error)
        } else {
            format!(
                "{} replicas of this length for {:.0} %",
                t.replicas,
                100.0 * t.target_relative_error
            )
        };
        lines.push(format!(
            "  σ    = {} S/cm  [spectral; {:.0} % error, {advice}]{resolved}",
            pm(&s.s_cm),
            100.0 * t.relative_error,
        ));
    }
    if let Some(e) = &c.conductivity_einstein {
        lines.push(format!(
            "         {} S/cm  [Einstein, {} blocks]",
            pm(&e.s_cm),
            e.n_blocks
        ));
    }
    if let Some(g) = &c.conductivity_green_kubo {
        lines.push(format!(
            "         {} S/cm  [Green–Kubo, {} blocks, integrated to {:.2} ps]",
            pm(&g.s_cm),
            g.n_blocks,
            g.integrated_to_ps
        ));
    }
    if let Some(t) = &c.conductivity_tracer {
        lines.push(format!("  σ_tr = {} S/cm", pm(&t.s_cm)));
    }
    if let Some(h) = &c.haven_ratio {
        lines.push(format!(
            "  H_R  = {:.3} ± {:.3}",
            h.value.value, h.value.stderr
        ));
    }
    for s in &c.species {
        match (s.diffusion_cm2_s, s.upper_bound_cm2_s) {
            (Some(d), _) => lines.push(format!(
                "  D*({}) = {} cm²/s  [fit {:.2}–{:.2} ps]",
                s.species,
                pm(&d),
                s.window.start_ps,
                s.window.end_ps
            )),
            (None, Some(u)) => lines.push(format!(
                "  D*({}) < {u:.2e} cm²/s (does not measurably move; 95 % upper bound)",
                s.species
            )),
            (None, None) => {}
        }
    }
    lines
}
