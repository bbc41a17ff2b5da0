//! Trajectory files written by `mdsim run`: extended XYZ always, H5MD in `hdf5` builds (with
//! the conductivity series and curves of the CSV files), and a clear input error asking for
//! that build otherwise.

#[path = "support/cli.rs"]
mod cli;
#[cfg(feature = "hdf5")]
#[path = "support/ionic.rs"]
mod ionic;

use cli::*;

fn input_with(format: &str) -> String {
    small_input(LATTICE, "0.01", ALL_PAIRS).replace(
        "transport: (sample_every: 1),",
        &format!("transport: (sample_every: 1),\n    output: (trajectory_every: 10, trajectory_format: {format}, trajectory_velocities: true),"),
    )
}

#[test]
fn xyz_trajectory_has_every_frame() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.ron", &input_with("Xyz"));
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("out/trajectory.xyz")).unwrap();
    // 50 steps, a frame every 10 plus the start: 6 frames of 256 atoms.
    assert_eq!(
        text.lines().filter(|l| l.starts_with("Lattice=")).count(),
        6
    );
    assert_eq!(text.lines().count(), 6 * (256 + 2));
    assert!(text.contains("Properties=species:S:1:pos:R:3:velo:R:3"));
    // The built starting structure is written too.
    let start = std::fs::read_to_string(dir.path().join("out/structure.xyz")).unwrap();
    assert!(start.starts_with("256\nLattice="));
}

/// Without charges there is no conductivity: frames only, no observables or curves.
#[cfg(feature = "hdf5")]
#[test]
fn h5md_trajectory_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.ron", &input_with("H5md"));
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let path = dir.path().join("out/trajectory.h5md");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\x89HDF\r\n\x1a\n"), "not an HDF5 file");
    let f = hdf5::File::open(&path).unwrap();
    let position = f.dataset("particles/trajectory/position/value").unwrap();
    assert_eq!(position.shape(), vec![6, 256, 3]);
    assert!(!f.link_exists("observables") && !f.link_exists("dynamics"));
}

/// The rows of a series file (polarization.csv, current.csv): step, time, vector.
#[cfg(feature = "hdf5")]
fn csv_rows(path: &std::path::Path) -> Vec<(i64, f64, [f64; 3])> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let x: Vec<&str> = line.split(',').collect();
            let f = |k: usize| x[k].parse::<f64>().unwrap();
            (x[0].parse().unwrap(), f(1), [f(2), f(3), f(4)])
        })
        .collect()
}

/// With the conductivity estimator, trajectory.h5md holds polarization.csv and current.csv
/// row for row (bit for bit, on the MD step axis of the frames) under /observables, and the
/// curves of msd.csv under /dynamics, with units.
#[cfg(feature = "hdf5")]
#[test]
fn h5md_trajectory_holds_the_conductivity_files() {
    let dir = tempfile::tempdir().unwrap();
    // 600 production steps: two blocks of 256 samples and the rest at the end.
    let text = ionic::ionic_h5md();
    let input = write(dir.path(), "in.ron", &text);
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let d = dir.path().join("out");
    assert!(!d.join("trajectory.h5").exists());
    let f = hdf5::File::open(d.join("trajectory.h5md")).unwrap();
    let dt = 0.001;
    // 100 steps of equilibration, then 600 of production: 601 rows from step 100 on.
    let production_start = 100;
    for (name, csv, unit) in [
        (
            "polarization_displacement",
            "polarization.csv",
            "e Angstrom-2",
        ),
        ("charge_current", "current.csv", "e Angstrom ps-1"),
    ] {
        let rows = csv_rows(&d.join(csv));
        assert_eq!(rows.len(), 601, "{csv}");
        let g = f.group(&format!("observables/{name}")).unwrap();
        let value = g.dataset("value").unwrap();
        assert_eq!(value.shape(), vec![601, 3], "{name}");
        assert_eq!(unit_of(&value), unit);
        let value: Vec<f64> = value.read_raw().unwrap();
        let step: Vec<i64> = g.dataset("step").unwrap().read_raw().unwrap();
        let time: Vec<f64> = g.dataset("time").unwrap().read_raw().unwrap();
        for (k, (csv_step, csv_time, v)) in rows.iter().enumerate() {
            assert_eq!(step[k], production_start + csv_step, "{name} row {k}");
            assert_eq!(time[k].to_bits(), (step[k] as f64 * dt).to_bits());
            assert!((time[k] - production_start as f64 * dt - csv_time).abs() < 1e-12);
            for c in 0..3 {
                assert_eq!(value[3 * k + c].to_bits(), v[c].to_bits(), "{name} row {k}");
            }
        }
    }

    // msd.csv, column by column, as it prints the values of the file's curves.
    let msd = std::fs::read_to_string(d.join("msd.csv")).unwrap();
    let mut lines = msd.lines().skip(1);
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let column = |name: &str| -> Vec<&str> {
        let k = header.iter().position(|h| *h == name).unwrap();
        rows.iter().map(|r| r[k]).collect()
    };
    let curves = [
        ("Li", "Angstrom+2", "msd_Li_A2", "msd_Li_stderr_A2"),
        ("P", "Angstrom+2", "msd_P_A2", "msd_P_stderr_A2"),
        ("O", "Angstrom+2", "msd_O_A2", "msd_O_stderr_A2"),
        (
            "all",
            "e+2 Angstrom+2",
            "msd_charge_e2A2",
            "msd_charge_stderr_e2A2",
        ),
    ];
    for (label, unit, value, error) in curves {
        let name = if label == "all" {
            "mean_square_charge_displacement"
        } else {
            "mean_square_displacement"
        };
        let g = f.group(&format!("dynamics/{label}/{name}")).unwrap();
        for (ds, col, ds_unit) in [
            ("lag", "lag_ps", "ps"),
            ("value", value, unit),
            ("error", error, unit),
        ] {
            let ds = g.dataset(ds).unwrap();
            assert_eq!(unit_of(&ds), ds_unit, "{label} {col}");
            let x: Vec<f64> = ds.read_raw().unwrap();
            let printed: Vec<String> = x.iter().map(|v| format!("{v:.10e}")).collect();
            assert_eq!(printed, column(col), "{label} {col}");
        }
    }
    assert!(rows.len() > 5, "{} lags", rows.len());
}

#[cfg(feature = "hdf5")]
fn unit_of(ds: &hdf5::Dataset) -> String {
    let attr = ds.attr("unit").unwrap();
    attr.read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .to_string()
}

#[cfg(not(feature = "hdf5"))]
#[test]
fn h5md_without_hdf5_build_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.ron", &input_with("H5md"));
    let out = run(&["check"], &input, dir.path());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("output.trajectory_format")
            && stderr(&out).contains("--features hdf5")
    );
}
