//! The H5MD writer's files read back with the hdf5 library: layout and metadata, bit-exact
//! values (positions, velocities, triclinic box, steps and times, observables, curves),
//! shared step/time datasets, a continued file ending byte for byte as one written straight,
//! and errors (naming the file) instead of panics.
#![cfg(feature = "hdf5")]

use hdf5::types::{FixedAscii, TypeDescriptor, VarLenUnicode};
use mdsim_io::h5md::{Curve, H5mdError, H5mdWriter, VectorSeries, OBSERVABLE_BLOCK};
use std::path::Path;

/// The particle group.
const ALL: &str = "particles/trajectory";

const NAMES: [&str; 3] = ["Li", "P", "O"];
const TYPES: [usize; 5] = [0, 2, 1, 2, 0];
const MASSES: [f64; 5] = [6.941, 15.9994, 30.973761998, 15.9994, 6.941];
const STEPS: [u64; 3] = [0, 10, 25];
const DT: f64 = 0.002;

/// A triclinic cell that changes from frame to frame (as under NPT).
fn cell(k: usize) -> [[f64; 3]; 3] {
    let s = 1.0 + 1e-3 * k as f64;
    [
        [10.0 * s, 0.0, 0.0],
        [2.5 * s, 9.0 * s, 0.0],
        [-1.25 * s, 0.5 * s, 8.0 / 3.0 * s],
    ]
}

/// Values whose f64 bits a lossy path would change: thirds, -0.0, a subnormal, huge and tiny
/// magnitudes.
fn positions(k: usize) -> Vec<[f64; 3]> {
    (0..5)
        .map(|i| {
            let x = i as f64 + 0.1 * k as f64;
            match i {
                0 => [-0.0, 1.0 / 3.0, 5e-324],
                1 => [x / 7.0, -2.0e-7 * x, std::f64::consts::PI * x],
                _ => [x.sqrt(), 1e-300 * x, -(x + 1.0).ln()],
            }
        })
        .collect()
}

fn velocities(k: usize) -> Vec<[f64; 3]> {
    (0..5)
        .map(|i| {
            [
                0.5 * k as f64 - i as f64,
                1.0 / (3.0 + i as f64),
                -std::f64::consts::E,
            ]
        })
        .collect()
}

fn time(k: usize) -> f64 {
    STEPS[k] as f64 * DT
}

fn write(path: &Path, with_velocities: bool) -> H5mdWriter {
    let mut w = H5mdWriter::create(path, &NAMES, &TYPES, &MASSES, with_velocities).unwrap();
    for (k, &step) in STEPS.iter().enumerate() {
        let v = velocities(k);
        let v = with_velocities.then_some(&v[..]);
        w.write_frame(step, time(k), cell(k), &positions(k), v)
            .unwrap();
    }
    w.flush().unwrap();
    w
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn fixed_str(attr: &hdf5::Attribute) -> String {
    attr.read_scalar::<FixedAscii<64>>().unwrap().to_string()
}

fn var_str(loc: &hdf5::Location, name: &str) -> String {
    let attr = loc.attr(name).unwrap();
    attr.read_scalar::<VarLenUnicode>().unwrap().to_string()
}

#[test]
fn frames_round_trip_in_h5md_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traj.h5md");
    let w = write(&path, true);
    assert_eq!(w.frames(), 3);
    assert!(w.has_velocities());
    drop(w);

    let f = hdf5::File::open(&path).unwrap();

    // H5MD metadata: version [1, 1], author and creator as fixed-length strings.
    let h5md = f.group("h5md").unwrap();
    let version: Vec<i32> = h5md.attr("version").unwrap().read_raw().unwrap();
    assert_eq!(version, vec![1, 1]);
    let author = f.group("h5md/author").unwrap().attr("name").unwrap();
    assert_eq!(
        author.dtype().unwrap().to_descriptor().unwrap(),
        TypeDescriptor::FixedAscii(5)
    );
    assert_eq!(fixed_str(&author), "mdsim");
    let creator = f.group("h5md/creator").unwrap();
    assert_eq!(fixed_str(&creator.attr("name").unwrap()), "mdsim");
    assert_eq!(
        fixed_str(&creator.attr("version").unwrap()),
        env!("CARGO_PKG_VERSION")
    );

    // Species: an integer per atom and the index -> name mapping.
    let all = f.group(ALL).unwrap();
    let species = all.dataset("species").unwrap();
    assert_eq!(species.shape(), vec![5]);
    let species_idx: Vec<i32> = species.read_raw().unwrap();
    assert_eq!(species_idx, vec![0, 2, 1, 2, 0]);
    let names: Vec<VarLenUnicode> = species.attr("names").unwrap().read_raw().unwrap();
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    assert_eq!(names, NAMES);
    let per_atom: Vec<&str> = species_idx.iter().map(|&s| names[s as usize]).collect();
    assert_eq!(per_atom, ["Li", "O", "P", "O", "Li"]);

    let mass = all.dataset("mass").unwrap();
    assert_eq!(mass.shape(), vec![5]);
    assert_eq!(bits(&mass.read_raw::<f64>().unwrap()), bits(&MASSES));
    assert_eq!(var_str(&mass, "unit"), "u");

    // Box: dimension 3, periodic in all directions, a time-dependent 3x3 matrix of edges.
    let bx = all.group("box").unwrap();
    assert_eq!(
        bx.attr("dimension").unwrap().read_scalar::<i32>().unwrap(),
        3
    );
    let boundary = bx.attr("boundary").unwrap();
    assert_eq!(boundary.shape(), vec![3]);
    let boundary: Vec<FixedAscii<64>> = boundary.read_raw().unwrap();
    assert!(
        boundary.iter().all(|b| b.as_str() == "periodic"),
        "{boundary:?}"
    );

    // Time series: shapes, chunked and extendable along time, units, bit-exact values.
    let series = [
        ("box/edges", vec![3, 3, 3], "Angstrom"),
        ("position", vec![3, 5, 3], "Angstrom"),
        ("velocity", vec![3, 5, 3], "Angstrom ps-1"),
    ];
    for (name, shape, unit) in &series {
        let value = all.dataset(&format!("{name}/value")).unwrap();
        assert_eq!(&value.shape(), shape, "{name}");
        assert!(value.is_chunked() && value.is_resizable(), "{name}");
        assert_eq!(value.chunk().unwrap()[1..], shape[1..], "{name}");
        assert_eq!(var_str(&value, "unit"), *unit, "{name}");
        let data: Vec<f64> = value.read_raw().unwrap();
        let per_frame = shape[1] * shape[2];
        for k in 0..3 {
            let expected = match *name {
                "box/edges" => cell(k).as_flattened().to_vec(),
                "position" => positions(k).as_flattened().to_vec(),
                _ => velocities(k).as_flattened().to_vec(),
            };
            let got = &data[k * per_frame..(k + 1) * per_frame];
            assert_eq!(bits(got), bits(&expected), "{name} frame {k}");
        }

        let step = all.dataset(&format!("{name}/step")).unwrap();
        let time_ds = all.dataset(&format!("{name}/time")).unwrap();
        assert!(step.is_chunked() && step.is_resizable(), "{name}");
        assert_eq!(step.read_raw::<i64>().unwrap(), vec![0, 10, 25], "{name}");
        let times: Vec<f64> = (0..3).map(time).collect();
        assert_eq!(
            bits(&time_ds.read_raw::<f64>().unwrap()),
            bits(&times),
            "{name}"
        );
        assert_eq!(var_str(&time_ds, "unit"), "ps", "{name}");
    }

    // box/edges and velocity share position's step and time (hard links, as H5MD requires
    // for the box).
    for ds in ["step", "time"] {
        let info = |name: &str| {
            all.dataset(&format!("{name}/{ds}"))
                .unwrap()
                .loc_info()
                .unwrap()
        };
        let position = info("position");
        assert_eq!(position.num_links, 3, "{ds}");
        assert_eq!(info("box/edges").token, position.token, "{ds}");
        assert_eq!(info("velocity").token, position.token, "{ds}");
    }
}

#[test]
fn without_velocities_there_is_no_velocity_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("novel.h5md");
    let mut w = write(&path, false);
    assert!(!w.has_velocities());
    let err = w
        .write_frame(30, 0.06, cell(0), &positions(0), Some(&velocities(0)))
        .unwrap_err();
    assert!(err.to_string().contains("novel.h5md"), "{err}");
    drop(w);

    let f = hdf5::File::open(&path).unwrap();
    let all = f.group(ALL).unwrap();
    assert!(!all.link_exists("velocity"));
    assert_eq!(
        all.dataset("position/value").unwrap().shape(),
        vec![3, 5, 3]
    );
    assert_eq!(
        all.dataset("box/edges/step")
            .unwrap()
            .read_raw::<i64>()
            .unwrap(),
        vec![0, 10, 25]
    );
}

#[test]
fn bad_data_is_an_error_naming_the_file_and_leaves_the_file_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.h5md");
    let mut w = write(&path, true);
    let (x, v) = (positions(0), velocities(0));
    let attempts: [(&str, Result<(), H5mdError>); 5] = [
        (
            "3 positions given for 5 atoms",
            w.write_frame(30, 0.06, cell(0), &x[..3], Some(&v)),
        ),
        (
            "4 velocities given for 5 atoms",
            w.write_frame(30, 0.06, cell(0), &x, Some(&v[..4])),
        ),
        (
            "frame 3: no velocities given",
            w.write_frame(30, 0.06, cell(0), &x, None),
        ),
        (
            "previous frame's step 25",
            w.write_frame(25, 0.06, cell(0), &x, Some(&v)),
        ),
        (
            "time NaN ps is not a number",
            w.write_frame(30, f64::NAN, cell(0), &x, Some(&v)),
        ),
    ];
    for (what, result) in attempts {
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("bad.h5md") && err.contains(what),
            "{what}: {err}"
        );
    }
    let err = w
        .write_frame(30, 0.01, cell(0), &x, Some(&v))
        .unwrap_err()
        .to_string();
    assert!(err.contains("before the previous frame"), "{err}");
    // The refused frames wrote nothing; the next good frame lands as frame 3.
    w.write_frame(30, 0.06, cell(0), &x, Some(&v)).unwrap();
    assert_eq!(w.frames(), 4);
    drop(w);
    let f = hdf5::File::open(&path).unwrap();
    let all = f.group(ALL).unwrap();
    assert_eq!(
        all.dataset("position/step")
            .unwrap()
            .read_raw::<i64>()
            .unwrap(),
        vec![0, 10, 25, 30]
    );
    assert_eq!(
        all.dataset("velocity/value").unwrap().shape(),
        vec![4, 5, 3]
    );
}

#[test]
fn bad_setup_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("setup.h5md");
    /// What the message says, species names, types, masses.
    type Case<'a> = (&'a str, &'a [&'a str], &'a [usize], &'a [f64]);
    let cases: [Case; 3] = [
        ("no atoms", &NAMES, &[], &[]),
        ("2 masses given for 5 atoms", &NAMES, &TYPES, &MASSES[..2]),
        (
            "atom 1 has species index 2, but 2 species names",
            &NAMES[..2],
            &TYPES,
            &MASSES,
        ),
    ];
    for (what, names, types, masses) in cases {
        let err = H5mdWriter::create(&path, names, types, masses, true)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("setup.h5md") && err.contains(what), "{err}");
    }
    let missing = dir.path().join("no/such/dir/traj.h5md");
    let err = H5mdWriter::create(&missing, &NAMES, &TYPES, &MASSES, false)
        .err()
        .unwrap();
    assert!(matches!(err, H5mdError::Hdf5 { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/dir/traj.h5md"), "{err}");
}

/// The same frames give the same bytes: no creation or modification times are stored.
#[test]
fn same_frames_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.h5md"), dir.path().join("b.h5md"));
    drop(write(&a, true));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    drop(write(&b, true));
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
}

/// A file reopened (a run continued from a checkpoint), rewound to its first frame and
/// continued with the same frames holds the same data as one written in one go, and the
/// writer knows the last kept step (a step before it is refused).
#[test]
fn reopened_file_cut_back_and_continued_matches_one_written_straight() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.h5md"), dir.path().join("b.h5md"));
    drop(write(&a, true));
    drop(write(&b, true));
    let mut w = H5mdWriter::open(&b).unwrap();
    assert_eq!(w.frames(), 3);
    assert!(w.has_velocities());
    let err = w.rewind(4).unwrap_err().to_string();
    assert!(
        err.contains("b.h5md") && err.contains("fewer than"),
        "{err}"
    );
    w.rewind(1).unwrap();
    assert_eq!(w.frames(), 1);
    let err = w
        .write_frame(0, 0.0, cell(1), &positions(1), Some(&velocities(1)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not follow"), "{err}");
    for (k, &step) in STEPS.iter().enumerate().skip(1) {
        w.write_frame(step, time(k), cell(k), &positions(k), Some(&velocities(k)))
            .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let (fa, fb) = (hdf5::File::open(&a).unwrap(), hdf5::File::open(&b).unwrap());
    for name in [
        "particles/trajectory/position/value",
        "particles/trajectory/velocity/value",
        "particles/trajectory/box/edges/value",
        "particles/trajectory/position/time",
    ] {
        let x: Vec<f64> = fa.dataset(name).unwrap().read_raw().unwrap();
        let y: Vec<f64> = fb.dataset(name).unwrap().read_raw().unwrap();
        assert_eq!(bits(&x), bits(&y), "{name}");
    }
    let x: Vec<i64> = fa
        .dataset("particles/trajectory/position/step")
        .unwrap()
        .read_raw()
        .unwrap();
    let y: Vec<i64> = fb
        .dataset("particles/trajectory/position/step")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(x, y);
}

/// The two 3-vector observables at step `step`, with values no lossy path keeps.
fn sample(step: u64) -> [[f64; 3]; 2] {
    let x = step as f64;
    [
        [x / 3.0, -1e-300 * x, 5e-324],
        [-0.0, x.sqrt(), std::f64::consts::PI * x],
    ]
}

const NAMES_UNITS: [(&str, &str); 2] = [
    ("polarization_displacement", "e Angstrom-2"),
    ("charge_current", "e Angstrom ps-1"),
];

/// Writes the samples of `steps` as one block.
fn write_block(w: &mut H5mdWriter, steps: &[u64]) -> Result<(), H5mdError> {
    let times: Vec<f64> = steps.iter().map(|&s| s as f64 * DT).collect();
    let values: [Vec<[f64; 3]>; 2] = [0, 1].map(|i| steps.iter().map(|&s| sample(s)[i]).collect());
    let series = [0, 1].map(|i| VectorSeries {
        name: NAMES_UNITS[i].0,
        unit: NAMES_UNITS[i].1,
        values: &values[i],
    });
    w.write_observables(steps, &times, &series)
}

/// A small run as mdsim writes it: 5 atoms, a frame every 10 steps, the observables at every
/// step from step 20 on (a production after an equilibration), written in blocks.
struct Run {
    w: H5mdWriter,
    /// Observable steps not written yet.
    pending: Vec<u64>,
}

impl Run {
    fn new(path: &Path) -> Self {
        Self {
            w: H5mdWriter::create(path, &NAMES, &TYPES, &MASSES, true).unwrap(),
            pending: Vec::new(),
        }
    }

    /// Continues the file at `path` after `step`, as from a checkpoint taken then.
    fn continue_after(path: &Path, step: u64) -> Self {
        let mut w = H5mdWriter::open(path).unwrap();
        w.rewind((step / 10 + 1) as usize).unwrap();
        let samples = (step + 1).saturating_sub(20) as usize;
        let written = samples / OBSERVABLE_BLOCK * OBSERVABLE_BLOCK;
        w.rewind_observables(written).unwrap();
        let pending = (20 + written as u64..=step).collect();
        Self { w, pending }
    }

    fn steps(&mut self, steps: std::ops::Range<u64>) {
        for step in steps {
            if step >= 20 {
                self.pending.push(step);
                if self.pending.len() == OBSERVABLE_BLOCK {
                    write_block(&mut self.w, &std::mem::take(&mut self.pending)).unwrap();
                }
            }
            if step % 10 == 0 {
                let k = (step / 10) as usize;
                let t = step as f64 * DT;
                (self.w)
                    .write_frame(step, t, cell(k), &positions(k), Some(&velocities(k)))
                    .unwrap();
            }
        }
    }

    /// The rest of the samples, and a curve.
    fn finish(&mut self) {
        write_block(&mut self.w, &std::mem::take(&mut self.pending)).unwrap();
        let lag = [0.0, 0.5];
        let c = Curve {
            path: "dynamics/all/c",
            lag_ps: &lag,
            value: &lag,
            error: &lag,
            unit: "Angstrom+2",
            attributes: &[("description", "test")],
        };
        self.w.write_curves(&[c]).unwrap();
        self.w.flush().unwrap();
    }
}

#[test]
fn observables_are_time_series_of_their_own_under_observables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("obs.h5md");
    let mut run = Run::new(&path);
    let end = 20 + OBSERVABLE_BLOCK as u64 + 5;
    run.steps(0..end);
    assert_eq!(run.w.observable_samples(), OBSERVABLE_BLOCK);
    run.w.flush().unwrap();
    // Written a block at a time; none before the first (MDAnalysis reads every observable's
    // row for every frame, and fails on an empty one).
    let f = hdf5::File::open(&path).unwrap();
    let value = f.dataset("observables/charge_current/value").unwrap();
    assert_eq!(value.shape(), vec![OBSERVABLE_BLOCK, 3]);
    drop((value, f));
    run.finish();
    let n = (end - 20) as usize;
    let frames = ((end - 1) / 10 + 1) as usize;
    assert_eq!((run.w.frames(), run.w.observable_samples()), (frames, n));
    drop(run);

    let f = hdf5::File::open(&path).unwrap();
    let obs = f.group("observables").unwrap();
    let mut names = obs.member_names().unwrap();
    names.sort();
    assert_eq!(names, ["charge_current", "polarization_displacement"]);
    let steps: Vec<i64> = (20..end as i64).collect();
    for (i, (name, unit)) in NAMES_UNITS.iter().enumerate() {
        let g = obs.group(name).unwrap();
        let value = g.dataset("value").unwrap();
        assert_eq!(value.shape(), vec![n, 3], "{name}");
        assert!(value.is_chunked() && value.is_resizable());
        assert_eq!(value.chunk().unwrap(), vec![OBSERVABLE_BLOCK, 3]);
        assert_eq!(var_str(&value, "unit"), *unit);
        let data: Vec<f64> = value.read_raw().unwrap();
        let expected: Vec<f64> = (20..end).flat_map(|s| sample(s)[i]).collect();
        assert_eq!(bits(&data), bits(&expected), "{name}");
        assert_eq!(g.dataset("step").unwrap().read_raw::<i64>().unwrap(), steps);
        let time: Vec<f64> = g.dataset("time").unwrap().read_raw().unwrap();
        let expected: Vec<f64> = (20..end).map(|s| s as f64 * DT).collect();
        assert_eq!(bits(&time), bits(&expected));
        assert_eq!(var_str(&g.dataset("time").unwrap(), "unit"), "ps");
    }
    // One step and one time dataset for both (hard links), not those of the frames.
    for ds in ["step", "time"] {
        let token = |p: &str| f.dataset(p).unwrap().loc_info().unwrap().token;
        let first = token(&format!("observables/polarization_displacement/{ds}"));
        assert_eq!(token(&format!("observables/charge_current/{ds}")), first);
        assert_ne!(token(&format!("{ALL}/position/{ds}")), first);
    }
}

#[test]
fn bad_observables_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("badobs.h5md");
    let mut run = Run::new(&path);
    run.steps(0..22);
    let mut w = run.w;
    write_block(&mut w, &[20, 21]).unwrap();
    let v = [[1.0, 2.0, 3.0]];
    let p = VectorSeries {
        name: NAMES_UNITS[0].0,
        unit: NAMES_UNITS[0].1,
        values: &v,
    };
    let c = VectorSeries {
        name: NAMES_UNITS[1].0,
        unit: NAMES_UNITS[1].1,
        ..p
    };
    let renamed = VectorSeries {
        name: "current",
        ..c
    };
    let v2 = [v[0]; 2];
    let (p2, c2) = (
        VectorSeries { values: &v2, ..p },
        VectorSeries { values: &v2, ..c },
    );
    let attempts: [(&str, Result<(), H5mdError>); 6] = [
        (
            "1 observables given, the file has 2",
            w.write_observables(&[30], &[0.06], &[p]),
        ),
        (
            "\"current\" is not one of the file's",
            w.write_observables(&[30], &[0.06], &[p, renamed]),
        ),
        (
            "previous sample's step 21",
            w.write_observables(&[21], &[0.06], &[p, c]),
        ),
        (
            "step 30 does not follow the previous sample's step 30",
            w.write_observables(&[30, 30], &[0.06, 0.06], &[p2, c2]),
        ),
        (
            "time inf ps is not a number",
            w.write_observables(&[30], &[f64::INFINITY], &[p, c]),
        ),
        (
            "1 values of charge_current given for 2 steps",
            w.write_observables(&[30, 31], &[0.06, 0.062], &[p2, c]),
        ),
    ];
    for (what, result) in attempts {
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("badobs.h5md") && err.contains(what),
            "{what}: {err}"
        );
    }
    // Given in another order, they land in their own datasets.
    w.write_observables(&[30], &[0.06], &[c, p]).unwrap();
    assert_eq!(w.observable_samples(), 3);
    let err = w.rewind_observables(4).unwrap_err().to_string();
    assert!(err.contains("fewer than the 4"), "{err}");
    drop(w);
    let f = hdf5::File::open(&path).unwrap();
    let value: Vec<f64> = f
        .dataset("observables/charge_current/value")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(bits(&value[6..]), bits(&v[0]));
}

#[test]
fn curves_are_time_independent_datasets_with_units() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("curves.h5md");
    let mut w = H5mdWriter::create(&path, &NAMES, &TYPES, &MASSES, true).unwrap();
    let lag = [0.0, 0.002, 0.004];
    let (value, error) = ([0.0, 1.0 / 3.0, 5e-324], [0.0, 0.1, 0.2]);
    let li = Curve {
        path: "dynamics/Li/mean_square_displacement",
        lag_ps: &lag,
        value: &value,
        error: &error,
        unit: "Angstrom+2",
        attributes: &[("reference_frame", "lab")],
    };
    let all = Curve {
        path: "dynamics/all/mean_square_charge_displacement",
        unit: "e+2 Angstrom+2",
        attributes: &[],
        ..li
    };
    w.write_curves(&[li, all]).unwrap();
    // Written again (a run that ended, was continued and ended again): overwritten, in
    // place when the lengths and units are the same, else replaced.
    let value2 = [0.0, 2.0, 4.0];
    let li2 = Curve {
        value: &value2,
        attributes: &[("reference_frame", "centre")],
        ..li
    };
    let all2 = Curve {
        lag_ps: &lag[..2],
        value: &value2[..2],
        error: &error[..2],
        ..all
    };
    w.write_curves(&[li2, all2]).unwrap();
    let short = Curve {
        path: "dynamics/x",
        error: &error[..2],
        ..li
    };
    let err = w.write_curves(&[short]).unwrap_err();
    assert!(
        err.to_string()
            .contains("curve dynamics/x: 3 lags, 3 values and 2 errors given"),
        "{err}"
    );
    drop(w);

    let f = hdf5::File::open(&path).unwrap();
    let g = f.group(li.path).unwrap();
    assert_eq!(var_str(&g, "reference_frame"), "centre");
    for (name, data, unit) in [
        ("lag", &lag[..], "ps"),
        ("value", &value2[..], "Angstrom+2"),
        ("error", &error[..], "Angstrom+2"),
    ] {
        let ds = g.dataset(name).unwrap();
        assert_eq!(ds.shape(), vec![3], "{name}");
        assert!(!ds.is_resizable(), "{name}");
        assert_eq!(bits(&ds.read_raw::<f64>().unwrap()), bits(data), "{name}");
        assert_eq!(var_str(&ds, "unit"), unit, "{name}");
    }
    let g = f.group(all.path).unwrap();
    let v: Vec<f64> = g.dataset("value").unwrap().read_raw().unwrap();
    assert_eq!(bits(&v), bits(&value2[..2]));
    assert_eq!(
        var_str(&g.dataset("error").unwrap(), "unit"),
        "e+2 Angstrom+2"
    );
    assert!(!f.link_exists("dynamics/x"));
}

/// A run stopped after step `stop` and continued from an earlier checkpoint (step `from`,
/// which the file had passed), with the rest of the samples and a curve written at the end,
/// ends with the bytes of a run that never stopped: also when the file had grown by several
/// chunks (256 frames of 5 atoms, 256 observable samples) past the checkpoint, when the
/// checkpoint came before the first observable sample, and when the run had ended (the
/// curve written) before it was continued.
#[test]
fn continued_file_ends_with_the_bytes_of_one_written_straight() {
    let dir = tempfile::tempdir().unwrap();
    let end = 6000;
    let straight = dir.path().join("straight.h5md");
    let mut run = Run::new(&straight);
    run.steps(0..end + 1);
    run.finish();
    drop(run);
    let straight = std::fs::read(&straight).unwrap();
    for (from, stop) in [
        (4000, 5500),
        (15, 5000),
        (100, 101),
        (2570, 2600),
        (5990, end),
    ] {
        let path = dir.path().join(format!("cut-{from}.h5md"));
        let mut run = Run::new(&path);
        run.steps(0..stop + 1);
        if stop == end {
            run.finish();
        }
        run.w.flush().unwrap();
        drop(run);
        let mut run = Run::continue_after(&path, from);
        run.steps(from + 1..end + 1);
        run.finish();
        drop(run);
        assert!(
            std::fs::read(&path).unwrap() == straight,
            "continued from step {from} after a stop at {stop}: other bytes"
        );
    }
}
