//! Trajectory files written by `mdsim run`: extended XYZ always, H5MD in `hdf5` builds (and a
//! clear input error asking for that build otherwise).

#[path = "support/cli.rs"]
mod cli;

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

#[cfg(feature = "hdf5")]
#[test]
fn h5md_trajectory_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.ron", &input_with("H5md"));
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(dir.path().join("out/trajectory.h5")).unwrap();
    assert!(bytes.starts_with(b"\x89HDF\r\n\x1a\n"), "not an HDF5 file");
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
