//! What the conductivity observer publishes for the observers after it that store its output
//! elsewhere too (the H5MD trajectory file): ΔP and J of the current production step, and at
//! the end the MSD curves of msd.csv. The conductivity observer writes it; the others only
//! read it, after it in the observer list (like [`super::running::RunningConductivity`]).
//! Both files are thus written from the same numbers, and neither observer knows the other.

use mdsim_transport::conductivity::ReferenceFrame;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;

/// A shared slot; cloning gives another handle to the same slot.
#[derive(Clone, Default)]
pub struct ConductivityFeed(Rc<RefCell<Published>>);

#[derive(Default)]
struct Published {
    latest: Option<SeriesSample>,
    curves: Option<Rc<MsdCurves>>,
}

/// One row of polarization.csv and current.csv.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSample {
    /// MD step since the start of the run (the CSV files count production steps).
    pub step: u64,
    /// ΔP(t) = (1/Ω) Σ_i q_i Δr_i(t), e/Å².
    pub polarization: [f64; 3],
    /// J(t) = Σ_i q_i v_i(t), e·Å/ps.
    pub current: [f64; 3],
}

/// The curves of msd.csv, all on the same lags.
#[derive(Clone, Debug, PartialEq)]
pub struct MsdCurves {
    pub lag_ps: Vec<f64>,
    /// The frame the tracer displacements are measured in.
    pub frame: ReferenceFrame,
    /// Per species (in force-field order): the per-atom tracer MSD in `frame`, Å².
    pub tracer: Vec<(String, Curve)>,
    /// The collective |Σ_i q_i Δr_i|² with the transport charges, e²Å².
    pub collective: Curve,
}

/// A curve's mean over time origins and its standard error over blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub value: Vec<f64>,
    pub stderr: Vec<f64>,
}

impl ConductivityFeed {
    /// Publishes the row of a production step.
    pub fn publish_sample(&self, sample: SeriesSample) {
        self.0.borrow_mut().latest = Some(sample);
    }

    /// The row of MD step `step`, if the conductivity observer published one for it.
    pub fn sample_at(&self, step: u64) -> Option<SeriesSample> {
        self.0.borrow().latest.filter(|x| x.step == step)
    }

    /// Publishes the final curves.
    pub fn publish_curves(&self, curves: MsdCurves) {
        self.0.borrow_mut().curves = Some(Rc::new(curves));
    }

    /// The final curves, once published.
    pub fn curves(&self) -> Option<Rc<MsdCurves>> {
        self.0.borrow().curves.clone()
    }
}
