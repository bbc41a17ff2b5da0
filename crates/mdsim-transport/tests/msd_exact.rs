//! Exact MSD and D for deterministic trajectories, block isolation, errors and output formats.

use mdsim_transport::{
    diffusion_from_msd, BlockedCurves, Diffusion, FitWindowSpec, MsdAccumulator, MsdCurve,
    TransportError, WindowChoice, WindowConfig,
};

/// Atoms 0,1 (group 0) move ballistically with different velocities, atom 2 (group 1) drifts
/// uniformly, atom 3 (group 2) stands still.
fn velocities() -> [[f64; 3]; 4] {
    [
        [1.0, -2.0, 0.5],
        [0.0, 0.3, 0.0],
        [0.2, 0.2, 0.2],
        [0.0, 0.0, 0.0],
    ]
}

fn norm2(v: [f64; 3]) -> f64 {
    v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
}

fn ballistic_run(cfg: WindowConfig, dt: f64) -> MsdAccumulator {
    let v = velocities();
    let x0 = [[1.0, 2.0, 3.0], [-5.0, 0.0, 7.0], [0.0; 3], [3.0, 3.0, 3.0]];
    let mut msd = MsdAccumulator::new(&[0, 0, 1, 2], 3, dt, cfg).unwrap();
    for s in 0..cfg.n_samples {
        let t = s as f64 * dt;
        let pos: Vec<[f64; 3]> = (0..4)
            .map(|i| std::array::from_fn(|k| x0[i][k] + v[i][k] * t))
            .collect();
        msd.push(&pos).unwrap();
    }
    msd
}

#[test]
fn ballistic_drift_and_rest_give_exact_msd() {
    let dt = 0.02;
    let cfg = WindowConfig::new(1003, 3, 60);
    let msd = ballistic_run(cfg, dt);
    let v = velocities();
    let v2 = [0.5 * (norm2(v[0]) + norm2(v[1])), norm2(v[2]), 0.0];
    let curve = msd.curve();
    assert_eq!(curve.lag_ps.len(), 61);
    for (lag, t) in curve.lag_ps.iter().enumerate() {
        assert!((t - lag as f64 * dt).abs() < 1e-15);
        for (g, v2g) in v2.iter().enumerate() {
            let exact = v2g * t * t;
            let got = curve.msd_a2[g][lag];
            assert!(
                (got - exact).abs() <= 1e-9 * (1.0 + exact),
                "group {g} lag {lag}: {got} vs {exact}"
            );
            // Every block sees the same curve: no spread.
            assert!(curve.msd_stderr_a2[g][lag] <= 1e-9 * (1.0 + exact));
        }
    }
}

#[test]
fn fitted_d_of_ballistic_motion_is_exact() {
    // OLS slope of c·t² over equally spaced t in [a, b] is exactly c·(a + b), in every block,
    // so D = v²(a + b)/6 with zero block spread.
    let dt = 0.02;
    let cfg = WindowConfig::new(1003, 3, 60).with_blocks(7);
    let msd = ballistic_run(cfg, dt);
    let spec = FitWindowSpec::Manual {
        start_ps: 0.2,
        end_ps: 1.0,
    };
    let d = msd.diffusion(spec).unwrap();
    assert_eq!(d.len(), 3);
    let v = velocities();
    let v2 = [0.5 * (norm2(v[0]) + norm2(v[1])), norm2(v[2]), 0.0];
    for (g, dg) in d.iter().enumerate() {
        assert_eq!(dg.group, g);
        assert_eq!(dg.n_blocks, 7);
        assert_eq!((dg.window.start_lag, dg.window.end_lag), (10, 50));
        assert_eq!(dg.window.choice, WindowChoice::Manual);
        let exact = v2[g] * (0.2 + 1.0) / 6.0;
        assert!((dg.d_a2_ps.value - exact).abs() < 1e-9 * (1.0 + exact));
        assert!(dg.d_a2_ps.stderr < 1e-9 * (1.0 + exact));
        assert!((dg.d_cm2_s.value - exact * 1e-4).abs() < 1e-13);
    }
    assert_eq!(d[0].n_tracked, 2);
}

#[test]
fn zero_motion_gives_zero_d_and_flags_the_window() {
    let cfg = WindowConfig::new(500, 2, 40);
    let mut msd = MsdAccumulator::new(&[0; 10], 1, 0.1, cfg).unwrap();
    let pos = vec![[1.5, -2.0, 1e4]; 10];
    for _ in 0..500 {
        msd.push(&pos).unwrap();
    }
    assert!(msd.curve().msd_a2[0].iter().all(|&m| m == 0.0));
    let d = &msd.diffusion(FitWindowSpec::Auto).unwrap()[0];
    assert_eq!(d.d_a2_ps.value, 0.0);
    assert_eq!(d.d_a2_ps.stderr, 0.0);
    assert_eq!(d.window.choice, WindowChoice::AutoNotDiffusive);
}

#[test]
fn data_never_crosses_a_block_boundary() {
    // One atom rests, jumps by 1 Å exactly at the first sample of each block, rests again.
    // No origin may see a jump, so the MSD is identically zero.
    let cfg = WindowConfig::new(600, 1, 50).with_blocks(6);
    let mut msd = MsdAccumulator::new(&[0], 1, 1.0, cfg).unwrap();
    let mut x = 0.0;
    for s in 0..600 {
        if s > 0 && (1..6).any(|b| cfg.block_start(b) == s) {
            x += 1.0;
        }
        msd.push(&[[x, 0.0, 0.0]]).unwrap();
    }
    assert!(msd.curve().msd_a2[0].iter().all(|&m| m == 0.0));
    // Memory: never more origins than max_lag / origin_every + 1.
    assert!(msd.correlator().active_origins() <= 51);
}

#[test]
fn incomplete_runs_and_bad_windows_are_errors_not_panics() {
    let cfg = WindowConfig::new(1000, 5, 50);
    let mut msd = MsdAccumulator::new(&[0, 0], 1, 0.1, cfg).unwrap();
    assert!(matches!(
        msd.diffusion(FitWindowSpec::Auto),
        Err(TransportError::WindowTooShort { .. })
    ));
    // Only the first block has data: no lag has two blocks → error.
    for s in 0..150 {
        let x = s as f64 * 0.01;
        msd.push(&[[x, 0.0, 0.0], [0.0, x, 0.0]]).unwrap();
    }
    assert!(msd.diffusion(FitWindowSpec::Auto).is_err());
    // Two full blocks: estimates from 2 blocks.
    for s in 150..400 {
        let x = s as f64 * 0.01;
        msd.push(&[[x, 0.0, 0.0], [0.0, x, 0.0]]).unwrap();
    }
    let d = msd.diffusion(FitWindowSpec::Auto).unwrap();
    assert_eq!(d[0].n_blocks, 2);
    let bad = FitWindowSpec::Manual {
        start_ps: 1.0,
        end_ps: 1.05,
    };
    assert!(matches!(
        msd.diffusion(bad),
        Err(TransportError::WindowTooShort { .. })
    ));
    assert!(matches!(
        msd.push(&[[0.0; 3]]),
        Err(TransportError::WrongLength {
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        diffusion_from_msd(msd.data(), 3, FitWindowSpec::Auto),
        Err(TransportError::GroupOutOfRange { .. })
    ));
    // Errors print a readable message.
    let msg = msd.diffusion(bad).unwrap_err().to_string();
    assert!(msg.contains("at least 2"), "{msg}");
}

#[test]
fn outputs_serialize_and_write_csv() {
    let cfg = WindowConfig::new(300, 2, 20);
    let msd = ballistic_run(cfg, 0.5);
    let d: Vec<Diffusion> = msd.diffusion(FitWindowSpec::Auto).unwrap();
    let json = serde_json::to_string(&d[0]).unwrap();
    assert!(json.contains("\"d_cm2_s\":{\"value\":"), "{json}");
    let back: Diffusion = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d[0]);

    // The raw block data round-trips, so `mdsim analyze` can refit with another window.
    let raw = serde_json::to_string(msd.data()).unwrap();
    let raw: BlockedCurves = serde_json::from_str(&raw).unwrap();
    assert_eq!(&raw, msd.data());
    assert_eq!(
        diffusion_from_msd(&raw, 0, FitWindowSpec::Auto).unwrap(),
        d[0]
    );
    assert_eq!(MsdCurve::from_data(&raw).unwrap(), msd.curve());
    // A damaged file is an error, not a panic.
    let mut broken = raw.clone();
    broken.sums.pop();
    assert!(matches!(
        diffusion_from_msd(&broken, 0, FitWindowSpec::Auto),
        Err(TransportError::Config(_))
    ));
    assert!(MsdCurve::from_data(&broken).is_err());
    let curve: MsdCurve =
        serde_json::from_str(&serde_json::to_string(&msd.curve()).unwrap()).unwrap();
    assert_eq!(curve, msd.curve());

    let csv = msd.curve().to_csv(&["Li", "P"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "lag_ps,msd_Li_A2,msd_Li_stderr_A2,msd_P_A2,msd_P_stderr_A2,msd_g2_A2,msd_g2_stderr_A2"
    );
    assert_eq!(lines.count(), 21);
    let row: Vec<f64> = csv
        .lines()
        .nth(3)
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(row[0], 1.0);
    assert_eq!(row[1], msd.curve().msd_a2[0][2]);
}

/// A checkpoint of the accumulator taken mid-run (serialised, dropped, read back) continues
/// exactly: the same sums as an accumulator that never stopped, to the bit.
#[test]
fn serialised_accumulator_continues_bit_for_bit() {
    let cfg = WindowConfig::new(400, 3, 50).with_blocks(4);
    let mut rng_state = 12345u64;
    let mut next = || {
        // A small LCG: deterministic, irregular positions.
        rng_state = rng_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng_state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let samples: Vec<Vec<[f64; 3]>> = (0..cfg.n_samples)
        .map(|_| (0..5).map(|_| [next(), next(), next()]).collect())
        .collect();
    let groups = [0, 0, 1, 1, 1];
    let mut straight = MsdAccumulator::new(&groups, 2, 0.1, cfg).unwrap();
    let mut first = MsdAccumulator::new(&groups, 2, 0.1, cfg).unwrap();
    for (k, s) in samples.iter().enumerate() {
        straight.push(s).unwrap();
        if k < 173 {
            first.push(s).unwrap();
        }
    }
    let saved = serde_json::to_string(&first).unwrap();
    drop(first);
    let mut resumed: MsdAccumulator = serde_json::from_str(&saved).unwrap();
    for s in &samples[173..] {
        resumed.push(s).unwrap();
    }
    assert_eq!(resumed.data(), straight.data());
}
