//! The H5MD writer's file read back with the hdf5 library: layout, metadata and bit-exact
//! values (positions, velocities, triclinic box, steps and times).
#![cfg(feature = "hdf5")]

use hdf5::types::VarLenUnicode;
use mdsim_io::h5md::H5mdWriter;

#[test]
fn frames_round_trip_in_h5md_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traj.h5");
    let cell = [[10.0, 0.0, 0.0], [2.5, 9.0, 0.0], [-1.25, 0.5, 8.0]];
    let frame = |k: usize| -> (Vec<[f64; 3]>, Vec<[f64; 3]>) {
        let x = (0..5)
            .map(|i| [i as f64 + 0.1 * k as f64, 1.0 / 3.0, -2.0e-7 * i as f64])
            .collect();
        let v = (0..5)
            .map(|i| [0.5 * k as f64, -(i as f64), std::f64::consts::PI])
            .collect();
        (x, v)
    };
    {
        let mut w = H5mdWriter::create(
            &path,
            &["Li", "O"],
            &[0, 1, 1, 0, 1],
            &[6.941, 15.9994, 15.9994, 6.941, 15.9994],
            true,
        )
        .unwrap();
        for k in 0..3 {
            let (x, v) = frame(k);
            w.write_frame(10 * k as u64, 0.01 * k as f64, cell, &x, Some(&v))
                .unwrap();
        }
        // A frame of the wrong size is an error naming the file, not a panic.
        let err = w
            .write_frame(30, 0.3, cell, &frame(0).0[..3], Some(&frame(0).1[..3]))
            .unwrap_err();
        assert!(err.to_string().contains("traj.h5"), "{err}");
        w.flush().unwrap();
    }

    let f = hdf5::File::open(&path).unwrap();
    let version: Vec<i32> = f
        .group("h5md")
        .unwrap()
        .attr("version")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(version, vec![1, 1]);
    let all = f.group("particles/all").unwrap();
    let species = all.dataset("species").unwrap();
    assert_eq!(species.read_raw::<i32>().unwrap(), vec![0, 1, 1, 0, 1]);
    let names: Vec<VarLenUnicode> = species.attr("names").unwrap().read_raw().unwrap();
    assert_eq!(
        names.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        vec!["Li", "O"]
    );
    let boundary: Vec<VarLenUnicode> = all
        .group("box")
        .unwrap()
        .attr("boundary")
        .unwrap()
        .read_raw()
        .unwrap();
    assert!(boundary.iter().all(|b| b.as_str() == "periodic"));

    let pos = all.dataset("position/value").unwrap();
    assert_eq!(pos.shape(), vec![3, 5, 3]);
    let vel = all.dataset("velocity/value").unwrap();
    let edges = all.dataset("box/edges/value").unwrap();
    assert_eq!(edges.shape(), vec![3, 3, 3]);
    let (pos, vel, edges) = (
        pos.read_raw::<f64>().unwrap(),
        vel.read_raw::<f64>().unwrap(),
        edges.read_raw::<f64>().unwrap(),
    );
    for k in 0..3 {
        let (x, v) = frame(k);
        assert_eq!(&pos[k * 15..(k + 1) * 15], x.as_flattened());
        assert_eq!(&vel[k * 15..(k + 1) * 15], v.as_flattened());
        assert_eq!(&edges[k * 9..(k + 1) * 9], cell.as_flattened());
    }
    assert_eq!(
        all.dataset("position/step")
            .unwrap()
            .read_raw::<i64>()
            .unwrap(),
        vec![0, 10, 20]
    );
    assert_eq!(
        all.dataset("position/time")
            .unwrap()
            .read_raw::<f64>()
            .unwrap(),
        vec![0.0, 0.01, 0.02]
    );
    let unit: VarLenUnicode = all
        .dataset("position/value")
        .unwrap()
        .attr("unit")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert_eq!(unit.as_str(), "angstrom");
}
