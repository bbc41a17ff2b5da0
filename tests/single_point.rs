//! `mdsim energy` on a perfect fcc crystal against a direct lattice sum: the energy per atom
//! is ½ Σ_R u(|R|) over lattice vectors within the cutoff, the pressure is
//! −(N / 6V) Σ_R |R| u'(|R|), and every force vanishes by symmetry.

#[path = "support/cli.rs"]
mod cli;

use cli::*;

const EPS: f64 = 0.0103408;
const SIGMA: f64 = 3.4;
const RC: f64 = 8.5;

fn lj(r: f64) -> (f64, f64) {
    let s6 = (SIGMA / r).powi(6);
    (
        4.0 * EPS * (s6 * s6 - s6),
        4.0 * EPS * (-12.0 * s6 * s6 + 6.0 * s6) / r,
    )
}

/// (energy per atom, Σ_R r u'(r)) of an fcc lattice with cubic constant `a`.
fn lattice_sums(a: f64) -> (f64, f64) {
    let basis = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let m = (RC / a).ceil() as i32 + 1;
    let (mut e, mut w) = (0.0, 0.0);
    for i in -m..=m {
        for j in -m..=m {
            for k in -m..=m {
                for b in &basis {
                    let r = a
                        * ((i as f64 + b[0]).powi(2)
                            + (j as f64 + b[1]).powi(2)
                            + (k as f64 + b[2]).powi(2))
                        .sqrt();
                    if r > 0.0 && r < RC {
                        let (u, du) = lj(r);
                        e += 0.5 * u;
                        w += r * du;
                    }
                }
            }
        }
    }
    (e, w)
}

fn field(stdout: &str, label: &str, index: usize) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` in {stdout}"));
    line.split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .nth(index)
        .unwrap()
}

#[test]
fn fcc_lattice_energy_pressure_and_forces() {
    let a = 5.3;
    let text = r#"(
        seed: 1,
        structure: Lattice(kind: Fcc, a: 5.3, repeat: (4, 4, 4), species: "Ar"),
        potential: Inline((
            species: [(name: "Ar", mass: 39.95)],
            pairs: [(between: ("Ar", "Ar"), terms: [LennardJones(epsilon: 0.0103408, sigma: 3.4)], cutoff: 8.5)],
        )),
        timestep_ps: 0.01,
        stages: [(ensemble: Nve, duration_ps: 0.01)],
    )"#;
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "fcc.ron", text);
    let out = run(&["energy", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();

    let (e_ref, w_ref) = lattice_sums(a);
    let e = field(&stdout, "potential total", 1);
    assert!(
        (e - e_ref).abs() < 1e-11 * e_ref.abs(),
        "{e} vs {e_ref} eV/atom"
    );

    let n = 256.0;
    let volume = (4.0 * a).powi(3);
    let p_ref = -n * w_ref / (6.0 * volume) * 1.602176634e6;
    let p = field(&stdout, "pressure ", 0);
    assert!(
        (p - p_ref).abs() < 1e-6 * p_ref.abs().max(1.0),
        "{p} vs {p_ref} bar"
    );

    let forces = std::fs::read_to_string(dir.path().join("out/forces.csv")).unwrap();
    let fmax = forces
        .lines()
        .skip(1)
        .flat_map(|l| {
            l.split(',')
                .skip(2)
                .map(|x| x.parse::<f64>().unwrap().abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    assert!(
        fmax < 1e-12,
        "largest force component on a perfect lattice: {fmax}"
    );

    // The same without time step and stages (an input for `mdsim energy` only), read from
    // energy.json.
    let bare = text
        .replace("timestep_ps: 0.01,", "")
        .replace("stages: [(ensemble: Nve, duration_ps: 0.01)],", "");
    let input = write(dir.path(), "bare.ron", &bare);
    let out = run(&["energy", "-o", "bare"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("bare/energy.json")).unwrap(),
    )
    .unwrap();
    let e = json["energy_eV"]["potential"].as_f64().unwrap() / n;
    assert!((e - e_ref).abs() < 1e-11 * e_ref.abs(), "{e} vs {e_ref}");
    let p = json["pressure_bar"].as_f64().unwrap();
    assert!((p - p_ref).abs() < 1e-6 * p_ref.abs(), "{p} vs {p_ref}");
    assert_eq!(json["n_atoms"], 256);
    assert_eq!(json["pressure_tensor_bar"].as_array().unwrap().len(), 6);
    // A run still needs its time step.
    let out = run(&["check"], &input, dir.path());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("timestep_ps: missing"),
        "{}",
        stderr(&out)
    );
}

/// `mdsim run` with only a minimisation: a jittered crystal relaxes to the lattice sum and
/// the relaxed structure is written.
#[test]
fn run_with_minimisation_only_relaxes_the_crystal() {
    let a = 5.3;
    let basis = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let mut xyz = format!(
        "256\nLattice=\"{l} 0 0 0 {l} 0 0 0 {l}\" Properties=species:S:1:pos:R:3\n",
        l = 4.0 * a
    );
    let mut k = 0u32;
    for i in 0..4 {
        for j in 0..4 {
            for m in 0..4 {
                for b in &basis {
                    // A deterministic jitter of up to ±0.07 Å.
                    k = k.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let jit = |s: u32| ((k >> s) % 1000) as f64 / 1000.0 * 0.14 - 0.07;
                    let x = [
                        a * (i as f64 + b[0]) + jit(0),
                        a * (j as f64 + b[1]) + jit(10),
                        a * (m as f64 + b[2]) + jit(20),
                    ];
                    xyz.push_str(&format!("Ar {} {} {}\n", x[0], x[1], x[2]));
                }
            }
        }
    }
    let text = r#"(
        seed: 1,
        structure: Xyz(file: "jitter.xyz"),
        potential: Inline((
            species: [(name: "Ar", mass: 39.95)],
            pairs: [(between: ("Ar", "Ar"), terms: [LennardJones(epsilon: 0.0103408, sigma: 3.4)], cutoff: 8.5)],
        )),
        timestep_ps: 0.005,
        minimize: (force_tolerance: 1e-6),
        stages: [],
    )"#;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jitter.xyz", &xyz);
    let input = write(dir.path(), "min.ron", text);
    let out = run(&["run", "-o", "out"], &input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/results.json")).unwrap(),
    )
    .unwrap();
    let m = &r["minimization"];
    assert_eq!(m["converged"], true, "{m}");
    let e = m["energy_end_eV"].as_f64().unwrap() / 256.0;
    let (e_ref, _) = lattice_sums(a);
    assert!((e - e_ref).abs() < 1e-9 * e_ref.abs(), "{e} vs {e_ref}");
    assert!(
        std::fs::read_to_string(dir.path().join("out/minimized.xyz"))
            .unwrap()
            .starts_with("256\n")
    );
}
