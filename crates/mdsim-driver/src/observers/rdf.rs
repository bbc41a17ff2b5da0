//! Radial distribution functions of every species pair (rdf.csv), a frame every
//! `transport.rdf.every` production steps.

use crate::observer::{Observer, Saved, State};
use crate::report::{RdfPeakOut, Report};
use anyhow::{anyhow, Result};
use mdsim_core::neighbor::NeighborList;
use mdsim_core::System;
use mdsim_io::Setup;
use mdsim_transport::Rdf as RdfAccumulator;
use std::path::PathBuf;

pub struct Rdf {
    acc: RdfAccumulator,
    every: u64,
    r_max: f64,
    names: Vec<String>,
    csv: PathBuf,
}

impl Rdf {
    /// `None` when the input asks for no g(r).
    pub fn new(setup: &Setup, csv: PathBuf) -> Result<Option<Self>> {
        let Some(r) = &setup.input.transport.rdf else {
            return Ok(None);
        };
        let s = &setup.system;
        Ok(Some(Self {
            acc: RdfAccumulator::new(s.species.len(), r.r_max, r.bins)
                .map_err(|e| anyhow!("{e}"))?,
            every: r.every,
            r_max: r.r_max,
            names: s.species.iter().map(|x| x.name.clone()).collect(),
            csv,
        }))
    }

    fn add_frame(&mut self, s: &System) -> Result<()> {
        let mut nl = NeighborList::new(self.r_max, 0.0);
        nl.build(&s.cell, &s.positions);
        let mut pairs = Vec::with_capacity(nl.n_pairs());
        nl.for_each_pair(&s.positions, |i, j, d| {
            pairs.push((
                s.types[i],
                s.types[j],
                (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt(),
            ));
        });
        self.acc
            .add_frame(s.cell.volume(), &s.species_counts(), pairs)?;
        Ok(())
    }
}

impl Observer for Rdf {
    fn observe(&mut self, s: &State) -> Result<()> {
        if s.production_step
            .is_some_and(|k| k.is_multiple_of(self.every))
        {
            self.add_frame(s.system)?;
        }
        Ok(())
    }

    /// The accumulator as a whole (sums, counts, stored origins).
    fn save(&mut self) -> Result<Option<Saved>> {
        Saved::new(&self.acc).map(Some)
    }

    fn restore(&mut self, saved: Option<Saved>, _step: u64) -> Result<()> {
        self.acc = Saved::unpack(saved)?;
        Ok(())
    }

    fn finish(&mut self, r: &mut Report) -> Result<()> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let g = self.acc.result();
        std::fs::write(&self.csv, g.to_csv(&names))?;
        for p in &g.pairs {
            let out = RdfPeakOut {
                pair: [names[p.a].to_string(), names[p.b].to_string()],
                r_A: g.first_peak(p.a, p.b).map(|pk| pk.r_a),
            };
            r.summary.push(format!(
                "  g(r) {}–{} first peak at {}",
                out.pair[0],
                out.pair[1],
                out.r_A.map_or("—".into(), |x| format!("{x:.3} Å"))
            ));
            r.transport.rdf_first_peak.push(out);
        }
        Ok(())
    }
}
