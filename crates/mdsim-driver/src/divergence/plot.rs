//! separation.svg: ln separation against the time since branching, one line per twin, with
//! each twin's fitted exponential regime and the round-off floor.

use super::analysis::DivergenceResults;
use super::Twin;
use plotters::prelude::*;
use std::path::Path;

/// Points drawn per curve (the CSV has them all).
const MAX_POINTS: usize = 600;

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

pub(super) fn separation_svg(
    path: &Path,
    r: &DivergenceResults,
    twins: &[Twin],
    dt: f64,
) -> DrawResult<()> {
    let curves: Vec<Vec<(f64, f64)>> = twins
        .iter()
        .map(|t| {
            t.sample_steps
                .iter()
                .zip(&t.samples)
                .map(|(&s, x)| (s as f64 * dt, x.distance.ln()))
                .step_by(t.samples.len().div_ceil(MAX_POINTS).max(1))
                .collect()
        })
        .collect();
    let x_max = curves
        .iter()
        .flatten()
        .map(|p| p.0)
        .fold(0.0, f64::max)
        .max(dt);
    let floor = r.round_off_floor_A.ln();
    let (y_min, y_max) = curves
        .iter()
        .flatten()
        .map(|p| p.1)
        .chain([floor])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
    let pad = 0.05 * (y_max - y_min).max(1.0);

    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = match &r.lyapunov_per_ps {
        Some(l) => format!(
            "Twins part ways: λ = {:.2} ± {:.2} 1/ps ({} twins, perturbation {:.0e} Å)",
            l.value,
            l.stderr,
            twins.len(),
            r.perturbation_A
        ),
        None => format!("Twin separation (perturbation {:.0e} Å)", r.perturbation_A),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad))?;
    chart
        .configure_mesh()
        .x_desc("time since the twin branched off (ps)")
        .y_desc("ln(separation / Å)")
        .draw()?;
    for (k, (curve, t)) in curves.iter().zip(twins).enumerate() {
        let color = Palette99::pick(k).mix(0.8);
        chart
            .draw_series(LineSeries::new(
                curve.iter().copied(),
                color.stroke_width(1),
            ))?
            .label(t.member.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
    }
    let fits: Vec<[(f64, f64); 2]> = r
        .twins
        .iter()
        .filter_map(|t| t.lyapunov.as_ref())
        .flat_map(|f| {
            f.stretches.iter().map(|s| {
                let [a, b] = s.window_ps;
                [a, b].map(|x| (x, s.intercept + f.lambda_per_ps * x))
            })
        })
        .collect();
    for (k, line) in fits.iter().enumerate() {
        let drawn =
            chart.draw_series(LineSeries::new(line.iter().copied(), BLACK.stroke_width(1)))?;
        if k == 0 {
            drawn
                .label("fitted exponential regime")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK));
        }
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, floor), (x_max, floor)],
            BLACK.mix(0.4).stroke_width(1),
        ))?
        .label("round-off floor")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.mix(0.4)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}
