//! The files of a divergence run: separation.csv, decorrelation.csv, divergence.json and the
//! plot separation.svg.

use super::analysis::DivergenceResults;
use super::Twin;
use crate::output::write_atomic;
use anyhow::Result;
use mdsim_io::Setup;
use std::fmt::Write as _;
use std::path::Path;

pub(super) fn write_all(
    dir: &Path,
    setup: &Setup,
    results: &DivergenceResults,
    twins: &[Twin],
) -> Result<()> {
    let dt = setup.timestep_ps;
    write_atomic(
        &dir.join("separation.csv"),
        separation_csv(twins, dt).as_bytes(),
    )?;
    let species: Vec<&str> = setup
        .system
        .species
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    write_atomic(
        &dir.join("decorrelation.csv"),
        decorrelation_csv(twins, dt, &species).as_bytes(),
    )?;
    write_atomic(
        &dir.join("divergence.json"),
        serde_json::to_string_pretty(results)?.as_bytes(),
    )?;
    let svg = dir.join("separation.svg");
    super::plot::separation_svg(&svg, results, twins, dt)
        .map_err(|e| anyhow::anyhow!("{}: cannot draw the plot: {e}", svg.display()))?;
    for t in twins {
        write_member(&t.member)?;
    }
    Ok(())
}

/// A member's transport report, when it ran transport observers.
fn write_member(m: &super::Member) -> Result<()> {
    if let Some(d) = &m.dir {
        write_atomic(
            &d.join("transport.json"),
            serde_json::to_string_pretty(&m.report.transport)?.as_bytes(),
        )?;
    }
    Ok(())
}

/// The longest sample record of the twins (they share the sample times after branching).
fn longest(twins: &[Twin]) -> Option<&Twin> {
    twins.iter().max_by_key(|t| t.samples.len())
}

/// `time_ps,twin1_A,…`: each twin's separation against the time since it branched; empty
/// fields after a twin failed.
pub fn separation_csv(twins: &[Twin], dt: f64) -> String {
    let mut s = String::from("time_ps");
    for t in twins {
        let _ = write!(s, ",{}_A", t.member.name.replace('-', ""));
    }
    s.push('\n');
    let Some(long) = longest(twins) else {
        return s;
    };
    for (row, &step) in long.sample_steps.iter().enumerate() {
        let _ = write!(s, "{}", step as f64 * dt);
        for t in twins {
            s.push(',');
            if let Some(x) = t.samples.get(row) {
                let _ = write!(s, "{:e}", x.distance);
            }
        }
        s.push('\n');
    }
    s
}

/// `time_ps,velocity_separation_twin1,…,velocity_correlation_<species>_mean`: the relative
/// velocity separation of each twin and the twins' mean velocity correlation per species.
pub fn decorrelation_csv(twins: &[Twin], dt: f64, species: &[&str]) -> String {
    let mut s = String::from("time_ps");
    for t in twins {
        let _ = write!(s, ",velocity_separation_{}", t.member.name.replace('-', ""));
    }
    for name in species {
        let _ = write!(s, ",velocity_correlation_{name}_mean");
    }
    s.push('\n');
    let Some(long) = longest(twins) else {
        return s;
    };
    for (row, &step) in long.sample_steps.iter().enumerate() {
        let _ = write!(s, "{}", step as f64 * dt);
        for t in twins {
            s.push(',');
            if let Some(x) = t.samples.get(row) {
                let _ = write!(s, "{:e}", x.velocity_separation);
            }
        }
        for k in 0..species.len() {
            let c: Vec<f64> = twins
                .iter()
                .filter_map(|t| t.samples.get(row).map(|x| x.velocity_correlation[k]))
                .collect();
            let _ = write!(s, ",{}", mdsim_transport::stats::mean(&c));
        }
        s.push('\n');
    }
    s
}
