//! A small ionic input shared by the end-to-end tests.

/// γ-Li3PO4, 2×2×2 cells (128 ions), Buckingham (Teter/Du, cut at 4.9 Å for this small
/// cell) + Ewald, a short FIRE relaxation, NVT equilibration and NVT production with MSD
/// and VACF.
pub fn ionic() -> String {
    r#"(
    seed: 3,
    structure: Crystal((
        cell: (10.4612, 6.1113, 4.9208, 90.0, 90.0, 90.0),
        symmetry: [
            "x, y, z", "-x, -y, -z", "-x+1/2, -y, z+1/2", "x+1/2, y, -z+1/2",
            "x+1/2, -y+1/2, -z+1/2", "-x+1/2, y+1/2, z+1/2", "-x, y+1/2, -z", "x, -y+1/2, z",
        ],
        sites: [
            (label: "Li1", species: "Li", at: (0.1627, 0.5016, 0.6992)),
            (label: "Li2", species: "Li", at: (0.4246, 0.7500, 0.7955)),
            (label: "P1", species: "P", at: (0.4115, 0.2500, 0.6921)),
            (label: "O1", species: "O", at: (0.3418, 0.0441, 0.7946)),
            (label: "O2", species: "O", at: (0.0503, 0.2500, 0.7072)),
            (label: "O3", species: "O", at: (0.0896, 0.7500, 0.8777)),
        ],
        repeat: (1, 2, 2),
    )),
    potential: Inline((
        species: [
            (name: "Li", mass: 6.941, charge: 0.6),
            (name: "P", mass: 30.973762, charge: 3.0),
            (name: "O", mass: 15.9994, charge: -1.2),
        ],
        pairs: [
            (between: ("Li", "O"), terms: [Buckingham(a: 41051.938, rho: 0.151160, c: 0.0)], cutoff: 4.9),
            (between: ("P", "O"), terms: [Buckingham(a: 26655.472, rho: 0.181968, c: 86.856,
                repair: (r0: 1.169, b: 28.568, n: 4.654, d: -3.379))], cutoff: 4.9),
            (between: ("O", "O"), terms: [Buckingham(a: 2029.2204, rho: 0.343640, c: 192.580,
                repair: (r0: 1.906, b: 46.462, n: 3.430, d: -0.32605))], cutoff: 4.9),
        ],
        coulomb_only: [("Li", "Li"), ("Li", "P"), ("P", "P")],
    )),
    coulomb: (accuracy: 1e-5, real_cutoff: Some(4.9)),
    neighbor: (skin: 0.5),
    minimize: (force_tolerance: 1e-3, max_steps: 30),
    initial_temperature: 600.0,
    timestep_ps: 0.001,
    stages: [
        (name: "equilibrate", ensemble: Nvt(temperature: 600.0, damping_ps: 0.05), duration_ps: 0.1),
        (name: "produce", ensemble: Nvt(temperature: 600.0, damping_ps: 0.1), duration_ps: 0.2, production: true),
    ],
    output: (thermo_every: 5, trajectory_every: 20, checkpoint_every: 40),
    transport: (sample_every: 2, msd: (max_lag_ps: 0.04, blocks: 4), vacf: Some((max_lag_ps: 0.04))),
)"#
    .to_string()
}

/// The ionic cell writing trajectory.h5md, which then holds the conductivity series too,
/// with 600 production steps (the series are written 256 samples at a time).
#[cfg(feature = "hdf5")]
// Not every test file that includes this module uses it.
#[allow(dead_code)]
pub fn ionic_h5md() -> String {
    ionic()
        .replace(
            "trajectory_every: 20,",
            "trajectory_every: 20, trajectory_format: H5md, trajectory_velocities: true,",
        )
        .replace(
            "duration_ps: 0.2, production: true",
            "duration_ps: 0.6, production: true",
        )
}
