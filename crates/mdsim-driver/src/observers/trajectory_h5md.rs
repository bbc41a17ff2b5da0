//! trajectory.h5md (`hdf5` builds): the run's H5MD file ([`mdsim_io::h5md`]). Frames every
//! `trajectory_every` steps; with the conductivity estimator also its series, row for row
//! those of polarization.csv and current.csv (ΔP and J at every production step, under
//! `/observables`, on the MD step and time axis of the frames), written in blocks of
//! [`OBSERVABLE_BLOCK`] samples (one HDF5 write per block, not per step; the samples of an
//! incomplete block travel in the checkpoint), and at the end of a completed run the rest of
//! them and the curves of msd.csv (under `/dynamics`, where MDAnalysis does not look: it
//! refuses time-independent data under `/observables`).

use super::conductivity_feed::{ConductivityFeed, Curve as MsdCurve, MsdCurves, SeriesSample};
use super::trajectory::H5mdExtent;
use crate::observer::State;
use crate::output::RunDir;
use anyhow::{bail, Result};
use mdsim_core::System;
use mdsim_io::h5md::{Curve, H5mdWriter, VectorSeries, OBSERVABLE_BLOCK};
use mdsim_io::input::TrajectoryFormat;
use mdsim_io::Setup;

/// The file's name: `.h5md`, which MDAnalysis recognises without a format hint.
pub const FILE: &str = "trajectory.h5md";
/// ΔP(t) = (1/Ω) Σ_i q_i Δr_i(t), as in polarization.csv.
pub const POLARIZATION: &str = "polarization_displacement";
pub const UNIT_POLARIZATION: &str = "e Angstrom-2";
/// J(t) = Σ_i q_i v_i(t), as in current.csv.
pub const CURRENT: &str = "charge_current";
pub const UNIT_CURRENT: &str = "e Angstrom ps-1";
/// Group of the curves; `<species>/mean_square_displacement` (tracer, per atom, Å²) and
/// `all/mean_square_charge_displacement` (|Σ_i q_i Δr_i|², e²Å²) under it.
pub const DYNAMICS: &str = "dynamics";
pub const UNIT_MSD: &str = "Angstrom+2";
pub const UNIT_CHARGE_MSD: &str = "e+2 Angstrom+2";
const TRACER_DESCRIPTION: &str = "per-atom mean square displacement in the reference frame, averaged over time origins; error: standard error over blocks";
const COLLECTIVE_DESCRIPTION: &str = "mean square of the charge displacement sum_i q_i dr_i (transport charges), averaged over time origins; error: standard error over blocks";

/// Why MDAnalysis will not read all of the run's trajectory.h5md, if it will not: its reader
/// (2.11) gives trajectory frame i the observables' row i, and fails when a file has more
/// frames than conductivity samples (frames every step or two and a long equilibration).
pub fn unreadable_by_mdanalysis(setup: &Setup, conductivity_on: bool) -> Option<String> {
    let out = &setup.input.output;
    if !conductivity_on
        || out.trajectory_every == 0
        || out.trajectory_format != TrajectoryFormat::H5md
    {
        return None;
    }
    let frames = setup.total_steps() / out.trajectory_every + 1;
    let samples = setup.production_steps() + 1;
    (frames > samples).then(|| {
        format!(
            "{}: output.trajectory_every: {FILE} will hold {frames} frames but {samples} conductivity samples under /observables; MDAnalysis (2.11) reads observable row i with frame i and stops with an error at frame {samples}: raise trajectory_every to read the file with MDAnalysis (h5py reads it whole)",
            setup.path.display()
        )
    })
}

/// The H5MD file and what it needs to continue and to finish.
pub struct H5mdTrajectory {
    w: H5mdWriter,
    /// The checkpoint's extent to continue after, before the next write (a continued run).
    resume_at: Option<H5mdExtent>,
    conductivity: Option<ConductivityFeed>,
    /// Conductivity samples not written yet (fewer than a block).
    pending: Vec<SeriesSample>,
    dt: f64,
    /// The run's last step, and whether it has been seen (the curves are final then).
    last_step: u64,
    completed: bool,
}

impl H5mdTrajectory {
    /// Creates the file in `dir` for the starting `system`, or opens it to continue the run.
    pub fn create(
        dir: &RunDir,
        system: &System,
        velocities: bool,
        dt: f64,
        last_step: u64,
        conductivity: Option<ConductivityFeed>,
    ) -> Result<Self> {
        let path = dir.join(FILE);
        let w = if dir.is_continued() {
            H5mdWriter::open(&path)?
        } else {
            let names: Vec<&str> = system.species.iter().map(|x| x.name.as_str()).collect();
            H5mdWriter::create(&path, &names, &system.types, &system.masses, velocities)?
        };
        Ok(Self {
            w,
            resume_at: None,
            conductivity,
            pending: Vec::new(),
            dt,
            last_step,
            completed: false,
        })
    }

    /// Continues a continued file after its checkpoint first, once.
    fn ready(&mut self) -> Result<()> {
        if let Some(e) = self.resume_at.take() {
            self.w.rewind(e.frames as usize)?;
            self.w.rewind_observables(e.observable_samples as usize)?;
            self.pending = e.pending;
        }
        Ok(())
    }

    /// Writes the pending conductivity samples.
    fn write_pending(&mut self) -> Result<()> {
        let p = std::mem::take(&mut self.pending);
        let steps: Vec<u64> = p.iter().map(|x| x.step).collect();
        let times: Vec<f64> = steps.iter().map(|&s| s as f64 * self.dt).collect();
        let polarization: Vec<[f64; 3]> = p.iter().map(|x| x.polarization).collect();
        let current: Vec<[f64; 3]> = p.iter().map(|x| x.current).collect();
        let series = [
            VectorSeries {
                name: POLARIZATION,
                unit: UNIT_POLARIZATION,
                values: &polarization,
            },
            VectorSeries {
                name: CURRENT,
                unit: UNIT_CURRENT,
                values: &current,
            },
        ];
        Ok(self.w.write_observables(&steps, &times, &series)?)
    }

    /// Stores the conductivity row of this step, if there is one, and the frame if due.
    pub fn observe(&mut self, s: &State, frame_due: bool) -> Result<()> {
        self.ready()?;
        if let Some(x) = self.conductivity.as_ref().and_then(|c| c.sample_at(s.step)) {
            self.pending.push(x);
            if self.pending.len() == OBSERVABLE_BLOCK {
                self.write_pending()?;
            }
        }
        if frame_due {
            let time_ps = s.step as f64 * self.dt;
            let sys = s.system;
            let lattice = [0, 1, 2].map(|k| sys.cell.vector(k));
            let v = self.w.has_velocities().then_some(&sys.velocities[..]);
            self.w
                .write_frame(s.step, time_ps, lattice, &sys.positions, v)?;
        }
        self.completed |= s.step == self.last_step;
        Ok(())
    }

    /// When the run is complete, the pending samples and the curves (a stopped run writes
    /// them when it has been continued to its end; a failed run keeps its pending samples in
    /// its CSV files only); then flushes.
    pub fn finish(&mut self) -> Result<()> {
        self.ready()?;
        if self.completed {
            self.write_pending()?;
            let curves = self
                .conductivity
                .as_ref()
                .and_then(ConductivityFeed::curves);
            if let Some(c) = curves {
                self.write_curves(&c)?;
            }
        }
        Ok(self.w.flush()?)
    }

    fn write_curves(&mut self, c: &MsdCurves) -> Result<()> {
        let frame = format!("{:?}", c.frame);
        let tracer_attributes = [
            ("description", TRACER_DESCRIPTION),
            ("reference_frame", frame.as_str()),
        ];
        let paths: Vec<String> = (c.tracer.iter())
            .map(|(species, _)| format!("{DYNAMICS}/{species}/mean_square_displacement"))
            .collect();
        let mut curves: Vec<Curve> = (c.tracer.iter().zip(&paths))
            .map(|((_, m), path)| curve(path, &c.lag_ps, m, UNIT_MSD, &tracer_attributes))
            .collect();
        let collective = format!("{DYNAMICS}/all/mean_square_charge_displacement");
        let attributes = [("description", COLLECTIVE_DESCRIPTION)];
        curves.push(curve(
            &collective,
            &c.lag_ps,
            &c.collective,
            UNIT_CHARGE_MSD,
            &attributes,
        ));
        Ok(self.w.write_curves(&curves)?)
    }

    /// Flushes the file to disk and says how far it reaches, with the pending samples.
    pub fn checkpoint(&mut self) -> Result<H5mdExtent> {
        self.ready()?;
        self.w.flush()?;
        Ok(H5mdExtent {
            frames: self.w.frames() as u64,
            observable_samples: self.w.observable_samples() as u64,
            pending: self.pending.clone(),
        })
    }

    /// Continues after `extent` (see [`H5mdTrajectory::checkpoint`]): the frames and samples
    /// after it are written again, over those in the file ([`H5mdWriter::rewind`]).
    pub fn continue_after(&mut self, extent: H5mdExtent) -> Result<()> {
        let have = [self.w.frames(), self.w.observable_samples()].map(|n| n as u64);
        for (what, had, has) in [
            ("frames", extent.frames, have[0]),
            ("observable samples", extent.observable_samples, have[1]),
        ] {
            if has < had {
                bail!(
                    "{FILE}: {has} {what}, fewer than the {had} it had at the checkpoint: the file was changed or damaged after the checkpoint, so the run cannot continue"
                );
            }
        }
        self.resume_at = Some(extent);
        Ok(())
    }
}

/// A curve for the file.
fn curve<'a>(
    path: &'a str,
    lag_ps: &'a [f64],
    m: &'a MsdCurve,
    unit: &'a str,
    attributes: &'a [(&'a str, &'a str)],
) -> Curve<'a> {
    Curve {
        path,
        lag_ps,
        value: &m.value,
        error: &m.stderr,
        unit,
        attributes,
    }
}
