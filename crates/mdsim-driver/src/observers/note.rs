//! A sentence for the results: an observer that was asked for but could not run says why
//! (printed at the start, written into results.json's warnings at the end).

use crate::observer::{Observer, State};
use crate::report::Report;
use anyhow::Result;

pub struct Note {
    text: String,
}

impl Note {
    /// Prints `text` as a warning now and keeps it for the results.
    pub fn warn(text: String) -> Self {
        eprintln!("warning: {text}");
        Self { text }
    }
}

impl Observer for Note {
    fn observe(&mut self, _state: &State) -> Result<()> {
        Ok(())
    }

    fn finish(&mut self, r: &mut Report) -> Result<()> {
        r.warnings.push(self.text.clone());
        Ok(())
    }
}
