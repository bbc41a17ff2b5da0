//! msd.svg: the tracer MSD of the diffusing species (per atom, in the reference frame) and the
//! collective MSD |Σ q Δr|² / (q² N) on the same scale, with block-error bands and the fit
//! window of the slopes, for a look in a browser.

use mdsim_transport::conductivity::{ConductivityData, ConductivityReport};
use mdsim_transport::BlockedCurves;
use plotters::prelude::*;
use std::path::Path;

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// One curve with its band: (lag, mean − err, mean, mean + err).
fn band(curves: &BlockedCurves, group: usize, scale: f64) -> Vec<(f64, f64, f64, f64)> {
    let (mean, err) = (curves.pooled_mean(group), curves.block_stderr(group));
    curves
        .lag_times_ps()
        .into_iter()
        .zip(mean.iter().zip(&err))
        .map(|(t, (m, e))| (t, scale * (m - e), scale * m, scale * (m + e)))
        .collect()
}

/// (lag ps, lower, mean, upper) of a curve with its error band.
type Band = (f64, f64, f64, f64);

pub fn msd_svg(path: &Path, d: &ConductivityData, report: &ConductivityReport) -> DrawResult<()> {
    let s = &d.system;
    let mut curves: Vec<(String, Vec<Band>)> = Vec::new();
    // The collective MSD of the diffusing charge per carrier: equals the tracer MSD when the
    // carriers move independently (H_R = 1).
    let carriers: f64 = (0..s.names.len())
        .filter(|&g| s.diffusing[g])
        .map(|g| s.charges[g].powi(2) * s.group_sizes[g] as f64)
        .sum();
    for g in (0..s.names.len()).filter(|&g| s.diffusing[g]) {
        curves.push((format!("tracer {}", s.names[g]), band(&d.tracer, g, 1.0)));
    }
    if carriers > 0.0 {
        curves.push((
            "collective |Σ q Δr|² / Σ q² N".into(),
            band(&d.collective, 0, 1.0 / carriers),
        ));
    }
    let x_max = curves
        .iter()
        .flat_map(|c| c.1.iter().map(|p| p.0))
        .fold(0.0, f64::max);
    let y_max = curves
        .iter()
        .flat_map(|c| c.1.iter().map(|p| p.3))
        .fold(0.0, f64::max);
    if !(x_max > 0.0 && y_max > 0.0 && y_max.is_finite()) {
        return Err("no MSD to plot".into());
    }
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "MSD at {:.1} K ({:?} frame), block-error bands",
                report.temperature_k, s.frame
            ),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..1.05 * y_max)?;
    chart
        .configure_mesh()
        .x_desc("lag (ps)")
        .y_desc("MSD per carrier (Å²)")
        .draw()?;
    if let Some(w) = report
        .species
        .iter()
        .find(|x| x.diffusing)
        .map(|x| x.window)
    {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(w.start_ps, 0.0), (w.end_ps, 1.05 * y_max)],
                RGBColor(230, 230, 230).filled(),
            )))?
            .label("fit window")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 18, y + 5)],
                    RGBColor(210, 210, 210).filled(),
                )
            });
    }
    for (k, (name, pts)) in curves.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let mut outline: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        outline.extend(pts.iter().rev().map(|p| (p.0, p.3)));
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            color.mix(0.2).filled(),
        )))?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.2)),
                color.stroke_width(2),
            ))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
