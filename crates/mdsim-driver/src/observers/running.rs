//! The latest running conductivity estimate, published by the conductivity observer at
//! thermo steps and read by the thermo log and the progress lines, which come after it in
//! the observer list.

use mdsim_transport::conductivity::RunningEstimate;
use std::cell::RefCell;
use std::rc::Rc;

/// A shared slot; cloning gives another handle to the same slot.
#[derive(Clone, Default)]
pub struct RunningConductivity(Rc<RefCell<Option<RunningEstimate>>>);

impl RunningConductivity {
    pub fn set(&self, e: RunningEstimate) {
        *self.0.borrow_mut() = Some(e);
    }

    pub fn get(&self) -> Option<RunningEstimate> {
        self.0.borrow().clone()
    }

    /// "σ_tr = … S/cm, σ = … S/cm" for a progress line (errors once two blocks have data),
    /// or nothing before the first estimate.
    pub fn text(&self) -> String {
        let Some(e) = self.get() else {
            return String::new();
        };
        let show = |name: &str, x: Option<mdsim_transport::Estimate>| match x {
            Some(x) if x.stderr.is_finite() => {
                format!("  {name} = {:.3e} ± {:.1e} S/cm", x.value, x.stderr)
            }
            Some(x) => format!("  {name} = {:.3e} S/cm", x.value),
            None => String::new(),
        };
        format!(
            "{}{}",
            show("σ_tr", e.conductivity_tracer_s_cm),
            show("σ", e.conductivity_s_cm)
        )
    }
}
