//! Exact identities, unit conversion, Green–Kubo vs Einstein, colour conductivity, upper
//! bounds, restart and bad input for the conductivity accumulator (issue 7).

use mdsim_transport::conductivity::{
    combine_replicas, conductivity_from_polarization, pooled_conductivity, read_series,
    AnalysisOptions, ConductivityAccumulator, ConductivityConfig, ConductivityData, ReferenceFrame,
    SeriesWriter,
};
use mdsim_transport::units::{conductivity_s_cm, CM2_PER_S_PER_A2_PER_PS};
use mdsim_transport::{FitWindowSpec, TransportError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

fn config(
    groups: Vec<usize>,
    names: &[&str],
    charges: Vec<f64>,
    n_steps: u64,
) -> ConductivityConfig {
    let n = names.len();
    ConductivityConfig {
        groups,
        names: names.iter().map(|s| s.to_string()).collect(),
        charges,
        masses: vec![1.0; n],
        diffusing: (0..n).map(|g| g == 0).collect(),
        frame: ReferenceFrame::FrameworkCentreOfCharge,
        volume_a3: 1000.0,
        dt_ps: 0.01,
        n_steps,
        n_blocks: 5,
        allow_net_charge: false,
    }
}

/// Random steps of variance 2·d·dt per component for every atom with `moves[group]`.
fn random_steps(
    rng: &mut ChaCha8Rng,
    pos: &mut [[f64; 3]],
    groups: &[usize],
    d: &[f64],
    dt: f64,
) -> Vec<[f64; 3]> {
    let unit = Normal::new(0.0, 1.0).unwrap();
    pos.iter_mut()
        .zip(groups)
        .map(|(p, &g)| {
            let s = (2.0 * d[g] * dt).sqrt();
            let step: [f64; 3] = std::array::from_fn(|_| s * unit.sample(rng));
            for c in 0..3 {
                p[c] += step[c];
            }
            step.map(|x| x / dt)
        })
        .collect()
}

#[test]
fn equal_charges_with_zero_momentum_give_zero_polarization() {
    let n = 50;
    let mut cfg = config(vec![0; n], &["Ar"], vec![1.0], 500);
    cfg.allow_net_charge = true;
    cfg.frame = ReferenceFrame::Lab;
    let mut acc = ConductivityAccumulator::new(cfg).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut pos: Vec<[f64; 3]> = (0..n)
        .map(|i| [i as f64, (i * 3 % 7) as f64, 10.0])
        .collect();
    let mut worst: f64 = 0.0;
    for k in 0..=500 {
        let mut vel = vec![[0.0; 3]; n];
        if k > 0 {
            vel = random_steps(&mut rng, &mut pos, &vec![0; n], &[0.1], 0.01);
            // Zero total momentum (equal masses): remove the mean step and mean velocity.
            let (mp, mv) = (mean3(&vel).map(|x| x * 0.01), mean3(&vel));
            for (p, v) in pos.iter_mut().zip(vel.iter_mut()) {
                for c in 0..3 {
                    p[c] -= mp[c];
                    v[c] -= mv[c];
                }
            }
        }
        let r = acc.push(&pos, &vel).unwrap();
        for c in 0..3 {
            worst = worst
                .max(r.polarization[c].abs())
                .max(r.current[c].abs() * 1e-3);
        }
    }
    // Positions ~50 Å, 50 atoms: round-off of Σ Δr is ~1e-13 Å, over Ω = 1000 Å³.
    println!("largest |ΔP| = {worst:e} e/Å²");
    assert!(worst < 1e-14, "{worst}");
}

fn mean3(v: &[[f64; 3]]) -> [f64; 3] {
    let n = v.len() as f64;
    std::array::from_fn(|c| v.iter().map(|x| x[c]).sum::<f64>() / n)
}

#[test]
fn framework_centre_of_charge_identity() {
    // Li3PO4 formal charges: 12 Li+ (diffusing), 4 P5+, 16 O2−; every ion moves.
    let groups: Vec<usize> = (0..32)
        .map(|i| {
            if i < 12 {
                0
            } else if i < 16 {
                1
            } else {
                2
            }
        })
        .collect();
    let cfg = config(groups.clone(), &["Li", "P", "O"], vec![1.0, 5.0, -2.0], 400);
    let mut acc = ConductivityAccumulator::new(cfg).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut pos: Vec<[f64; 3]> = (0..32)
        .map(|i| [(i % 4) as f64 * 3.0, (i / 4) as f64, 5.0])
        .collect();
    acc.push(&pos, &vec![[0.0; 3]; 32]).unwrap();
    for _ in 0..400 {
        let vel = random_steps(&mut rng, &mut pos, &groups, &[0.5, 0.05, 0.08], 0.01);
        acc.push(&pos, &vel).unwrap();
    }
    let data = acc.data();
    let dipole = data.dipole_series();
    let li = data.species_series(0);
    let mut worst: f64 = 0.0;
    for (m, x) in dipole.iter().zip(&li) {
        for c in 0..3 {
            worst = worst.max((m[c] - 1.0 * x[c]).abs());
        }
    }
    println!("max |Σ q Δr − q_Li Σ(Δr_Li − Δr_F)| = {worst:e} e·Å");
    assert!(worst < 1e-12, "{worst}");
    // And the collective MSDs built from them agree (same σ from Li alone).
    let (a, b) = (
        data.collective.pooled_mean(0),
        data.collective.pooled_mean(1),
    );
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-10 * (1.0 + x.abs()));
    }
}

#[test]
fn design_unit_check_through_the_estimator() {
    // 16 ions z = +1 (and 16 static −1) in 1000 Å³, D = 6.31e-8 cm²/s, 300 K → σ_tr = 6.26e-3 S/cm.
    let d = 6.31e-8 / CM2_PER_S_PER_A2_PER_PS; // Å²/ps
    let groups: Vec<usize> = (0..32).map(|i| usize::from(i >= 16)).collect();
    let mut cfg = config(groups.clone(), &["Li", "X"], vec![1.0, -1.0], 20_000);
    cfg.dt_ps = 1.0;
    let mut acc = ConductivityAccumulator::new(cfg).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut pos = vec![[0.0; 3]; 32];
    acc.push(&pos, &vec![[0.0; 3]; 32]).unwrap();
    for _ in 0..20_000 {
        let vel = random_steps(&mut rng, &mut pos, &groups, &[d, 0.0], 1.0);
        acc.push(&pos, &vel).unwrap();
    }
    let r = acc
        .data()
        .analyze(300.0, &AnalysisOptions::default())
        .unwrap();
    let tr = r.conductivity_tracer.unwrap().s_cm;
    let expected = conductivity_s_cm(16.0 * d, 1000.0, 300.0);
    println!(
        "σ_tr = {:.4e} ± {:.1e} S/cm (exact 6.26e-3: {expected:.4e})",
        tr.value, tr.stderr
    );
    assert!((expected - 6.26e-3).abs() < 0.005e-3);
    assert!((tr.value - expected).abs() < 3.5 * tr.stderr && tr.stderr < 0.1 * expected);
    // The static framework does not move: an upper bound of zero, never a negative D.
    let x = &r.species[1];
    assert!(x.diffusion_cm2_s.is_none());
    assert_eq!(x.upper_bound_cm2_s, Some(0.0));
}

/// Langevin (Ornstein–Uhlenbeck) velocities, positions by the trapezoid rule: Einstein,
/// Green–Kubo and the spectral σ all estimate D = ⟨v_x²⟩/γ.
#[test]
fn green_kubo_and_einstein_agree_on_langevin_particles() {
    let (n, gamma, v_rms, dt, n_steps) = (64usize, 5.0, 1.0, 0.01, 40_000u64);
    let groups: Vec<usize> = (0..2 * n).map(|i| usize::from(i >= n)).collect();
    let mut cfg = config(groups, &["Li", "X"], vec![1.0, -1.0], n_steps);
    cfg.dt_ps = dt;
    cfg.volume_a3 = 8000.0;
    let mut acc = ConductivityAccumulator::new(cfg).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let unit = Normal::new(0.0, 1.0).unwrap();
    let decay = (-gamma * dt).exp();
    let kick = v_rms * (1.0 - decay * decay).sqrt();
    let mut pos = vec![[0.0; 3]; 2 * n];
    let mut vel: Vec<[f64; 3]> = (0..2 * n)
        .map(|i| {
            if i < n {
                std::array::from_fn(|_| v_rms * unit.sample(&mut rng))
            } else {
                [0.0; 3]
            }
        })
        .collect();
    acc.push(&pos, &vel).unwrap();
    for _ in 0..n_steps {
        for i in 0..n {
            for c in 0..3 {
                let v_new = decay * vel[i][c] + kick * unit.sample(&mut rng);
                pos[i][c] += 0.5 * (vel[i][c] + v_new) * dt;
                vel[i][c] = v_new;
            }
        }
        acc.push(&pos, &vel).unwrap();
    }
    let t = 500.0;
    let r = acc.data().analyze(t, &AnalysisOptions::default()).unwrap();
    let truth = conductivity_s_cm(n as f64 * v_rms * v_rms / gamma, 8000.0, t);
    let s = r.conductivity.as_ref().unwrap().s_cm;
    let e = r.conductivity_einstein.as_ref().unwrap();
    let g = r.conductivity_green_kubo.as_ref().unwrap();
    println!(
        "truth {truth:.4e}; spectral {:.4e} ± {:.1e}; Einstein {:.4e} ± {:.1e} (window {:.2}–{:.2} ps); \
         Green–Kubo {:.4e} ± {:.1e} (to {:.2} ps); notes {:?}",
        s.value, s.stderr, e.s_cm.value, e.s_cm.stderr, e.window.start_ps, e.window.end_ps,
        g.s_cm.value, g.s_cm.stderr, g.integrated_to_ps, r.notes
    );
    for (name, x, z) in [
        ("spectral", s, 3.0),
        ("Einstein", e.s_cm, 4.6),
        ("Green–Kubo", g.s_cm, 4.6),
    ] {
        assert!(
            (x.value - truth).abs() < z * x.stderr,
            "{name}: {x:?} vs {truth}"
        );
    }
    let combined = (e.s_cm.stderr.powi(2) + g.s_cm.stderr.powi(2)).sqrt();
    assert!((e.s_cm.value - g.s_cm.value).abs() < 4.6 * combined);
    assert!(
        !r.notes.iter().any(|n| n.contains("disagree")),
        "{:?}",
        r.notes
    );
    // Tracer: D* = v²/γ per particle.
    let d = r.species[0].diffusion_cm2_s.unwrap();
    assert!((d.value - v_rms * v_rms / gamma * CM2_PER_S_PER_A2_PER_PS).abs() < 4.6 * d.stderr);
}

/// Colour conductivity (DESIGN.md §5): one-component walkers with zero total momentum and
/// transport charges ±1 on the two halves: D_colour = D*·N/(N−1).
#[test]
fn colour_conductivity_of_a_one_component_system() {
    let (n, d, dt, n_steps) = (40usize, 0.1, 0.01, 20_000u64);
    let groups: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let mut cfg = config(groups.clone(), &["A+", "A-"], vec![1.0, -1.0], n_steps);
    cfg.diffusing = vec![true, true];
    cfg.frame = ReferenceFrame::Lab;
    let mut acc = ConductivityAccumulator::new(cfg).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut pos = vec![[0.0; 3]; n];
    acc.push(&pos, &vec![[0.0; 3]; n]).unwrap();
    for _ in 0..n_steps {
        let mut vel = random_steps(&mut rng, &mut pos, &groups, &[d, d], dt);
        let (mp, mv) = (mean3(&vel).map(|x| x * dt), mean3(&vel));
        for (p, v) in pos.iter_mut().zip(vel.iter_mut()) {
            for c in 0..3 {
                p[c] -= mp[c];
                v[c] -= mv[c];
            }
        }
        acc.push(&pos, &vel).unwrap();
    }
    let r = acc
        .data()
        .analyze(300.0, &AnalysisOptions::default())
        .unwrap();
    let fit = &r.conductivity.as_ref().unwrap().fit;
    // Σ q² = N: D_colour = I(0)/N (Å²/ps); D* from the tracer of both halves.
    let d_colour = fit.value.scaled(1.0 / n as f64);
    let d_star: f64 = r
        .species
        .iter()
        .map(|s| s.block_estimate_cm2_s.value)
        .sum::<f64>()
        / 2.0
        / CM2_PER_S_PER_A2_PER_PS;
    let expected = d_star * n as f64 / (n as f64 - 1.0);
    println!(
        "D_colour = {:.5} ± {:.5}, D*·N/(N−1) = {expected:.5} Å²/ps (walker D {d})",
        d_colour.value, d_colour.stderr
    );
    assert!((d_colour.value - expected).abs() < 3.0 * d_colour.stderr);
}

fn small_run() -> (ConductivityAccumulator, Vec<Vec<[f64; 3]>>) {
    let groups: Vec<usize> = (0..8).map(|i| usize::from(i >= 4)).collect();
    let acc =
        ConductivityAccumulator::new(config(groups.clone(), &["Li", "X"], vec![1.0, -1.0], 300))
            .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut pos = vec![[0.0; 3]; 8];
    let frames = (0..=300)
        .map(|_| {
            random_steps(&mut rng, &mut pos, &groups, &[0.2, 0.01], 0.01);
            pos.clone()
        })
        .collect();
    (acc, frames)
}

#[test]
fn restart_from_serialized_state_is_bitwise_identical() {
    let (mut a, frames) = small_run();
    let vel = vec![[0.5; 3]; 8];
    for f in &frames[..137] {
        a.push(f, &vel).unwrap();
    }
    let saved = serde_json::to_string(&a).unwrap();
    let mut b: ConductivityAccumulator = serde_json::from_str(&saved).unwrap();
    for f in &frames[137..] {
        a.push(f, &vel).unwrap();
        b.push(f, &vel).unwrap();
    }
    assert_eq!(a.data(), b.data());
    let json = serde_json::to_string(&a.data()).unwrap();
    let back: ConductivityData = serde_json::from_str(&json).unwrap();
    let opts = AnalysisOptions::default();
    assert_eq!(
        back.analyze(400.0, &opts).unwrap(),
        a.data().analyze(400.0, &opts).unwrap()
    );
}

#[test]
fn series_round_trip_and_running_estimate() {
    let (mut acc, frames) = small_run();
    let (mut pol, mut cur) = (Vec::new(), Vec::new());
    let mut w = SeriesWriter::new(&mut pol, &mut cur).unwrap();
    let mut records = Vec::new();
    for (k, f) in frames.iter().enumerate() {
        let r = acc.push(f, &[[k as f64 * 0.1, -0.3, 1e-17]; 8]).unwrap();
        w.write(&r).unwrap();
        records.push(r);
        if k == 30 {
            // Before two blocks have data there is no error bar yet.
            assert!(acc.running(300.0).conductivity_tracer_s_cm.is_none());
        }
    }
    w.flush().unwrap();
    drop(w);
    let text = String::from_utf8(pol.clone()).unwrap();
    assert!(text.starts_with("step,time_ps,dP_x_e_per_A2"));
    let p = read_series(pol.as_slice(), "polarization.csv").unwrap();
    let c = read_series(cur.as_slice(), "current.csv").unwrap();
    assert_eq!(p.len(), 301);
    for ((rp, rc), rec) in p.iter().zip(&c).zip(&records) {
        assert_eq!(
            (rp.0, rp.1, rp.2),
            (rec.step, rec.time_ps, rec.polarization)
        );
        assert_eq!(rc.2, rec.current);
    }
    let run = acc.running(300.0);
    assert!(run.conductivity_tracer_s_cm.is_some() && run.conductivity_s_cm.is_some());
    assert!(matches!(
        read_series("h\n1,2,x,4,5\n".as_bytes(), "current.csv"),
        Err(TransportError::Config(m)) if m.contains("current.csv, line 2")
    ));
}

#[test]
fn replicas_and_stored_series_give_the_same_sigma() {
    let runs: Vec<(ConductivityData, Vec<[f64; 3]>)> = (0..3)
        .map(|seed| {
            let groups: Vec<usize> = (0..16).map(|i| usize::from(i >= 8)).collect();
            let cfg = config(groups.clone(), &["Li", "X"], vec![1.0, -1.0], 3000);
            let mut acc = ConductivityAccumulator::new(cfg).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
            let mut pos = vec![[0.0; 3]; 16];
            let mut series = Vec::new();
            series.push(acc.push(&pos, &[[0.0; 3]; 16]).unwrap().polarization);
            for _ in 0..3000 {
                let vel = random_steps(&mut rng, &mut pos, &groups, &[0.3, 0.0], 0.01);
                series.push(acc.push(&pos, &vel).unwrap().polarization);
            }
            (acc.data(), series)
        })
        .collect();
    let opts = AnalysisOptions::default();
    let reports: Vec<_> = runs
        .iter()
        .map(|(d, _)| d.analyze(500.0, &opts).unwrap())
        .collect();
    // σ from polarization.csv alone equals the report's σ (same samples).
    let (data, series) = &runs[0];
    let from_series = conductivity_from_polarization(
        series,
        data.dt_ps,
        data.system.volume_a3,
        500.0,
        &opts.spectral,
    )
    .unwrap();
    let rel = from_series.value.value / reports[0].conductivity.as_ref().unwrap().s_cm.value - 1.0;
    assert!(rel.abs() < 1e-9, "{rel}");
    // Replicas: spread of the three, and the pooled spectrum (3× the degrees of freedom).
    let values: Vec<f64> = reports
        .iter()
        .map(|r| r.conductivity.as_ref().unwrap().s_cm.value)
        .collect();
    let spread = combine_replicas(&values).unwrap();
    let datas: Vec<ConductivityData> = runs.into_iter().map(|(d, _)| d).collect();
    let pooled = pooled_conductivity(&datas, 500.0, &opts.spectral).unwrap();
    let truth = conductivity_s_cm(8.0 * 0.3, 1000.0, 500.0);
    println!(
        "truth {truth:.4e}; spread {spread:?}; pooled {:?}",
        pooled.value
    );
    assert!((pooled.value.value - truth).abs() < 3.5 * pooled.value.stderr);
    assert!((spread.value - truth).abs() < 4.3 * spread.stderr);
    assert!(pooled.value.stderr < reports[0].conductivity.as_ref().unwrap().s_cm.stderr);
}

#[test]
fn bad_input_is_a_clear_error() {
    let groups: Vec<usize> = (0..8).map(|i| usize::from(i >= 4)).collect();
    let base = config(groups.clone(), &["Li", "X"], vec![1.0, -1.0], 300);
    let err = |c: ConductivityConfig| ConductivityAccumulator::new(c).unwrap_err().to_string();

    let mut c = base.clone();
    c.charges = vec![1.0, -2.0];
    assert!(err(c).contains("net charge of -4"));
    let mut c = base.clone();
    c.groups[0] = 7;
    assert!(err(c).contains("group 7 is out of range"));
    let mut c = base.clone();
    c.names.push("Na".into());
    c.charges.push(1.0);
    c.masses.push(23.0);
    c.diffusing.push(true);
    assert!(err(c).contains("diffusing species Na has no atoms"));
    let mut c = base.clone();
    c.n_steps = 50;
    assert!(err(c).contains("samples per block"));
    let mut c = base.clone();
    c.diffusing = vec![true, true];
    assert!(err(c).contains("reference frame"));
    let mut c = base.clone();
    c.charges.pop();
    assert!(err(c).contains("1 charges for 2 species"));

    let (mut acc, frames) = small_run();
    assert!(matches!(
        acc.push(&frames[0][..3], &[[0.0; 3]; 3]),
        Err(TransportError::WrongLength { .. })
    ));
    for f in &frames {
        acc.push(f, &[[0.0; 3]; 8]).unwrap();
    }
    assert!(matches!(
        acc.push(&frames[0], &[[0.0; 3]; 8]),
        Err(TransportError::TooManySamples { .. })
    ));
    let opts = AnalysisOptions {
        fit_window: FitWindowSpec::Manual {
            start_ps: 5.0,
            end_ps: 9.0,
        },
        ..Default::default()
    };
    let e = acc.data().analyze(300.0, &opts).unwrap_err().to_string();
    assert!(e.contains("outside the stored lags"), "{e}");
    assert!(acc
        .data()
        .analyze(-1.0, &AnalysisOptions::default())
        .is_err());
}

/// Ions that vibrate at 15 THz (an optical phonon) around slowly drifting centres. With
/// velocities every 0.05 ps (a sparse trajectory) the current is not resolved: no Green–Kubo
/// σ, and a note says why; with velocities every 0.002 ps it is reported.
#[test]
fn green_kubo_needs_a_current_sampled_finely_enough() {
    let analyse = |dt: f64| {
        let n_frames = 3000u64;
        let groups: Vec<usize> = (0..64).map(|i| usize::from(i >= 32)).collect();
        let mut cfg = config(groups.clone(), &["Li", "X"], vec![1.0, -1.0], n_frames);
        cfg.dt_ps = dt;
        let mut acc = ConductivityAccumulator::for_frames(cfg).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let omega = 2.0 * std::f64::consts::PI * 15.0;
        let phase: Vec<f64> = (0..64).map(|i| i as f64 * 0.7).collect();
        let mut centres = vec![[0.0; 3]; 64];
        for k in 0..=n_frames {
            let t = k as f64 * dt;
            let drift = random_steps(&mut rng, &mut centres, &groups, &[0.001, 0.0], dt);
            let pos: Vec<[f64; 3]> = (0..64)
                .map(|i| centres[i].map(|c| c + 0.1 * (omega * t + phase[i]).sin()))
                .collect();
            let vel: Vec<[f64; 3]> = (0..64)
                .map(|i| drift[i].map(|v| v + 0.1 * omega * (omega * t + phase[i]).cos()))
                .collect();
            acc.push(&pos, &vel).unwrap();
        }
        acc.data()
            .analyze(300.0, &AnalysisOptions::default())
            .unwrap()
    };
    let sparse = analyse(0.05);
    assert!(sparse.conductivity_green_kubo.is_none());
    assert!(
        sparse.notes.iter().any(|n| n.contains("no Green–Kubo σ")),
        "{:?}",
        sparse.notes
    );
    assert!(sparse.conductivity.is_some());
    let fine = analyse(0.002);
    assert!(fine.conductivity_green_kubo.is_some(), "{:?}", fine.notes);
}
