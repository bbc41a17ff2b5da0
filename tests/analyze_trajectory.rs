//! `mdsim analyze --trajectory`: mdsim's conductivity estimators on a trajectory file.
//! - (a) a short ionic run writes trajectory.xyz every step (positions wrapped, velocities):
//!   the analysis of that file reproduces the run's own D*, σ_tr and σ (spectral, Einstein,
//!   Green–Kubo) to the round-off of the file's 8 decimals;
//! - (b) the same frames as LAMMPS dumps in a sheared (triclinic) description of the same
//!   cell, atoms shuffled in every frame: `xu yu zu` with velocities gives (a)'s numbers;
//!   `xs ys zs ix iy iz` without velocities gives them too, without a Green–Kubo σ;
//! - (d) bad input is refused with the file, the line or the flag, and what to do.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/ionic.rs"]
mod ionic;

use cli::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The run of (a): γ-Li3PO4 (128 ions) heated to 1500 K, production only (so the
/// trajectory's frames are the production's steps), a frame with velocities every step.
struct Run {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    results: Value,
    frames: Vec<XyzFrame>,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = ionic::ionic()
            .replace(
                "(name: \"equilibrate\", ensemble: Nvt(temperature: 600.0, damping_ps: 0.05), duration_ps: 0.1),\n",
                "",
            )
            .replace("initial_temperature: 600.0", "initial_temperature: 1500.0")
            .replace(
                "Nvt(temperature: 600.0, damping_ps: 0.1), duration_ps: 0.2",
                "Nvt(temperature: 1500.0, damping_ps: 0.1), duration_ps: 0.5",
            )
            .replace(
                "output: (thermo_every: 5, trajectory_every: 20, checkpoint_every: 40)",
                "output: (thermo_every: 50, trajectory_every: 1, trajectory_velocities: true)",
            );
        assert!(text.contains("trajectory_every: 1") && !text.contains("equilibrate"));
        let tmp = tempfile::tempdir().unwrap();
        let input = write(tmp.path(), "li3po4.ron", &text);
        let o = mdsim()
            .args(["run", "-o", "run"])
            .arg(&input)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let dir = tmp.path().join("run");
        let results: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        let frames = read_xyz(&dir.join("trajectory.xyz"));
        Run {
            _dir: tmp,
            dir,
            results,
            frames,
        }
    })
}

/// The numbers compared: D* per species, σ_tr, and σ by its three estimators (S/cm, cm²/s).
fn numbers(report: &Value) -> Vec<(String, f64, f64)> {
    let est = |v: &Value| (v["value"].as_f64().unwrap(), v["stderr"].as_f64().unwrap());
    let mut out = Vec::new();
    for s in report["species"].as_array().unwrap() {
        let (v, e) = est(&s["block_estimate_cm2_s"]);
        out.push((format!("D*({})", s["species"].as_str().unwrap()), v, e));
    }
    for (name, path) in [
        ("σ_tr", "conductivity_tracer"),
        ("σ", "conductivity"),
        ("σ Einstein", "conductivity_einstein"),
        ("σ Green–Kubo", "conductivity_green_kubo"),
    ] {
        if !report[path].is_null() {
            let (v, e) = est(&report[path]["s_cm"]);
            out.push((name.to_string(), v, e));
        }
    }
    out
}

/// Every number of `b` equals that of `a` within `rel` (relative), values and errors.
fn assert_same(a: &[(String, f64, f64)], b: &[(String, f64, f64)], rel: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: {a:?} vs {b:?}");
    let mut worst: f64 = 0.0;
    for ((na, va, ea), (nb, vb, eb)) in a.iter().zip(b) {
        assert_eq!(na, nb, "{what}");
        for (x, y) in [(va, vb), (ea, eb)] {
            let d = (x - y).abs() / x.abs().max(1e-300);
            worst = worst.max(d);
            assert!(d <= rel, "{what}: {na}: {x:e} vs {y:e} (relative {d:.2e})");
        }
    }
    eprintln!("{what}: largest relative difference {worst:.2e}");
}

fn analyze(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = mdsim()
        .arg("analyze")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (o.status.success(), stderr(&o))
}

/// `mdsim analyze --trajectory FILE args… -o analysis.json` on (a)'s run: the report.
fn analyze_ok(file: &Path, args: &[&str]) -> (Value, String) {
    let r = run();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("analysis.json");
    let t = r.results["transport"]["conductivity"]["temperature_k"].to_string();
    let mut all: Vec<&str> = vec!["--trajectory", file.to_str().unwrap(), "--temperature", &t];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", json.to_str().unwrap()]);
    let (ok, err) = analyze(&r.dir, &all);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (v, err)
}

/// (a) The run's own trajectory.xyz (wrapped positions and velocities to 8 decimals)
/// reproduces the run's numbers. The positions differ from the run's by < 5e-9 Å and the
/// velocities by < 5e-9 Å/ps. Measured: the MSD-based numbers (D*, σ_tr, Einstein σ) move
/// by ≤ 5e-9 relative, Green–Kubo by ≤ 1e-10, the spectral σ and its error by ≤ 1.5e-7
/// (it works from the per-step increments of ΔP, ~0.1 e·Å, against a rounding noise of
/// ~1e-7 e·Å). 1e-6 leaves room and still catches any real difference (a frame missing, a
/// wrong time step or volume move them by > 1e-3).
#[test]
fn the_runs_own_trajectory_reproduces_its_results() {
    let r = run();
    let run_numbers = numbers(&r.results["transport"]["conductivity"]);
    assert!(run_numbers.len() >= 7, "{run_numbers:?}");
    let (a, err) = analyze_ok(&r.dir.join("trajectory.xyz"), &["--timestep-ps", "0.001"]);
    // mdsim writes positions wrapped (as of the last neighbour-list build): the analysis
    // says it unwrapped them.
    assert!(err.contains("wrapped into the cell"), "{err}");
    let report = &a["runs"][0]["conductivity"];
    assert_same(
        &run_numbers,
        &numbers(report),
        1e-6,
        "trajectory.xyz vs run",
    );
    let t = &a["trajectories"][0];
    assert_eq!(t["frames"], 501);
    assert_eq!(t["format"], "extended_xyz");
    assert_eq!(t["velocities"], true);
    let charges: Vec<f64> = report["charges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["charge_e"].as_f64().unwrap())
        .collect();
    assert_eq!(charges, [1.0, 5.0, -2.0], "formal charges by default");
    // The time step given as the frame interval is the same thing here.
    let (b, _) = analyze_ok(
        &r.dir.join("trajectory.xyz"),
        &["--frame-interval-ps", "0.001"],
    );
    assert_same(
        &numbers(report),
        &numbers(&b["runs"][0]["conductivity"]),
        0.0,
        "--frame-interval-ps",
    );
}

/// One frame of trajectory.xyz as the test reads it (its own parser, independent of mdsim's).
#[derive(Clone)]
struct XyzFrame {
    lattice: [[f64; 3]; 3],
    species: Vec<String>,
    positions: Vec<[f64; 3]>,
    velocities: Vec<[f64; 3]>,
}

fn read_xyz(path: &Path) -> Vec<XyzFrame> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut frames = Vec::new();
    while let Some(n) = lines.next() {
        let n: usize = n.trim().parse().unwrap();
        let comment = lines.next().unwrap();
        let l: Vec<f64> = comment
            .split('"')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let mut f = XyzFrame {
            lattice: [[l[0], l[1], l[2]], [l[3], l[4], l[5]], [l[6], l[7], l[8]]],
            species: Vec::new(),
            positions: Vec::new(),
            velocities: Vec::new(),
        };
        for _ in 0..n {
            let w: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
            let x: Vec<f64> = w[1..7].iter().map(|x| x.parse().unwrap()).collect();
            f.species.push(w[0].to_string());
            f.positions.push([x[0], x[1], x[2]]);
            f.velocities.push([x[3], x[4], x[5]]);
        }
        frames.push(f);
    }
    frames
}

/// Unwrapped positions of the frames of an orthorhombic cell: each step shifted by whole
/// box lengths to the nearest image (the test's own, for the orthorhombic case only).
fn unwrap_orthorhombic(frames: &[XyzFrame]) -> Vec<Vec<[f64; 3]>> {
    let l = frames[0].lattice;
    assert!(l[0][1] == 0.0 && l[0][2] == 0.0 && l[1][0] == 0.0 && l[1][2] == 0.0);
    let box_len = [l[0][0], l[1][1], l[2][2]];
    let mut images = vec![[0i64; 3]; frames[0].positions.len()];
    let mut out = Vec::new();
    for (k, f) in frames.iter().enumerate() {
        if k > 0 {
            for (i, (r, r0)) in f.positions.iter().zip(&frames[k - 1].positions).enumerate() {
                for c in 0..3 {
                    images[i][c] -= ((r[c] - r0[c]) / box_len[c]).round() as i64;
                }
            }
        }
        out.push(
            f.positions
                .iter()
                .zip(&images)
                .map(|(r, n)| std::array::from_fn(|c| r[c] + n[c] as f64 * box_len[c]))
                .collect(),
        );
    }
    out
}

/// A permutation of 0..n that changes with `seed` (a small LCG; no dependency).
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for i in (1..n).rev() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        p.swap(i, (s >> 33) as usize % (i + 1));
    }
    p
}

/// The sheared description of the run's orthorhombic cell: a, b + a, c + b (the same
/// lattice and volume), as a LAMMPS restricted triclinic box: xy = Lx, xz = 0, yz = Ly.
fn sheared(l: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let (lx, ly, lz) = (l[0][0], l[1][1], l[2][2]);
    [[lx, 0.0, 0.0], [lx, ly, 0.0], [0.0, ly, lz]]
}

enum DumpStyle {
    /// `id element xu yu zu vx vy vz`.
    UnwrappedWithVelocities,
    /// `id type xs ys zs ix iy iz`, fractional in the sheared cell.
    ScaledWithImages,
}

fn write_dump(path: &Path, style: DumpStyle) {
    let r = run();
    let unwrapped = unwrap_orthorhombic(&r.frames);
    let h = sheared(r.frames[0].lattice);
    let (lx, ly, lz, xy, yz) = (h[0][0], h[1][1], h[2][2], h[1][0], h[2][1]);
    let mut out = String::new();
    for (k, f) in r.frames.iter().enumerate() {
        let n = f.positions.len();
        let _ = writeln!(out, "ITEM: TIMESTEP\n{k}\nITEM: NUMBER OF ATOMS\n{n}");
        // Bounding box of the tilted cell (doc Howto_triclinic).
        let _ = writeln!(
            out,
            "ITEM: BOX BOUNDS xy xz yz pp pp pp\n{} {} {xy}\n{} {} 0\n0 {} {yz}",
            0f64.min(xy),
            lx + 0f64.max(xy),
            0f64.min(yz),
            ly + 0f64.max(yz),
            lz
        );
        let columns = match style {
            DumpStyle::UnwrappedWithVelocities => "id element xu yu zu vx vy vz",
            DumpStyle::ScaledWithImages => "id type xs ys zs ix iy iz",
        };
        let _ = writeln!(out, "ITEM: ATOMS {columns}");
        for i in shuffled(n, k as u64) {
            let u = unwrapped[k][i];
            match style {
                DumpStyle::UnwrappedWithVelocities => {
                    let v = f.velocities[i];
                    let _ = writeln!(
                        out,
                        "{} {} {} {} {} {} {} {}",
                        i + 1,
                        f.species[i],
                        u[0],
                        u[1],
                        u[2],
                        v[0],
                        v[1],
                        v[2]
                    );
                }
                DumpStyle::ScaledWithImages => {
                    // Fractional coordinates in (a, a + b, b + c): solve the triangular h.
                    let sc = u[2] / lz;
                    let sb = (u[1] - sc * yz) / ly;
                    let sa = (u[0] - sb * xy) / lx;
                    let s = [sa, sb, sc];
                    let n = s.map(f64::floor);
                    let t = ["Li", "P", "O"]
                        .iter()
                        .position(|x| *x == f.species[i])
                        .unwrap()
                        + 1;
                    let _ = writeln!(
                        out,
                        "{} {t} {} {} {} {} {} {}",
                        i + 1,
                        s[0] - n[0],
                        s[1] - n[1],
                        s[2] - n[2],
                        n[0],
                        n[1],
                        n[2]
                    );
                }
            }
        }
    }
    std::fs::write(path, out).unwrap();
}

/// (b) The same frames as LAMMPS dumps (triclinic box, atoms shuffled in every frame).
#[test]
fn the_same_frames_as_lammps_dumps_give_the_same_numbers() {
    let r = run();
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = analyze_ok(&r.dir.join("trajectory.xyz"), &["--timestep-ps", "0.001"]);
    let from_xyz = numbers(&a["runs"][0]["conductivity"]);

    let xu = dir.path().join("xu.lammpstrj");
    write_dump(&xu, DumpStyle::UnwrappedWithVelocities);
    let (b, err) = analyze_ok(&xu, &["--timestep-ps", "0.001"]);
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(b["trajectories"][0]["format"], "lammps_dump");
    let volume = b["trajectories"][0]["volume_A3"].as_f64().unwrap();
    let l = r.frames[0].lattice;
    assert!((volume / (l[0][0] * l[1][1] * l[2][2]) - 1.0).abs() < 1e-12);
    // Same positions (the same unwrapping by whole box lengths) and velocities, written in
    // full: the same numbers to round-off.
    assert_same(
        &from_xyz,
        &numbers(&b["runs"][0]["conductivity"]),
        1e-9,
        "xu dump vs xyz",
    );

    // Fractional coordinates in the tilted cell and image flags, no velocities.
    let xs = dir.path().join("xs.lammpstrj");
    write_dump(&xs, DumpStyle::ScaledWithImages);
    let (c, _) = analyze_ok(&xs, &["--timestep-ps", "0.001", "--types", "1=Li,2=P,3=O"]);
    let report = &c["runs"][0]["conductivity"];
    assert!(report["conductivity_green_kubo"].is_null(), "{report}");
    assert!(
        report["notes"].to_string().contains("no velocities"),
        "{report}"
    );
    let without_gk: Vec<_> = from_xyz
        .iter()
        .filter(|n| n.0 != "σ Green–Kubo")
        .cloned()
        .collect();
    assert_same(&without_gk, &numbers(report), 1e-8, "xs+images dump vs xyz");
}

/// A small extended XYZ trajectory of 2 ions (Li, F) in a 10 Å cube: Li steps by `dx` Å
/// along x per frame, written wrapped.
fn two_ions(frames: usize, dx: f64) -> String {
    let mut out = String::new();
    for k in 0..frames {
        let x = (1.0 + k as f64 * dx).rem_euclid(10.0);
        let _ = write!(
            out,
            "2\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3 Step={k}\nLi {x} 1 1\nF 5 5 5\n"
        );
    }
    out
}

/// (d) Bad input: a clear error naming the file and the line or the flag.
#[test]
fn bad_trajectories_and_settings_are_refused_clearly() {
    let r = run();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let xyz = r.dir.join("trajectory.xyz");
    let xyz = xyz.to_str().unwrap();
    let text = std::fs::read_to_string(xyz).unwrap();
    let frame_len = text.lines().count() / r.frames.len();
    let lines: Vec<&str> = text.lines().collect();
    let keep = |skip: &dyn Fn(usize) -> bool| -> String {
        lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip(*i))
            .map(|(_, l)| format!("{l}\n"))
            .collect()
    };
    // Frame 3 removed: steps 0 1 2 4 5 …
    write(d, "gap.xyz", &keep(&|i| i / frame_len == 3));
    // The cell of frame 2 stretched.
    write(
        d,
        "npt.xyz",
        &text
            .replacen("Lattice=\"10.4612 0 0", "Lattice=\"10.4712 0 0", 3)
            .replacen("Lattice=\"10.4712 0 0", "Lattice=\"10.4612 0 0", 2),
    );
    write(d, "wrapped.xyz", &two_ions(200, 3.5));
    write(
        d,
        "fe.lammpstrj",
        "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS pp pp pp\n0 10\n0 10\n0 10\nITEM: ATOMS id type vx vy vz\n1 1 0 0 0\n",
    );
    write(
        d,
        "no-step.xyz",
        &two_ions(200, 0.1).replace(" Step=", " step_not="),
    );
    let t = "1119.0";
    let lammps = root()
        .join("crates/mdsim-io/tests/fixtures/lammps-dump/dump.element-xu-v.lammpstrj")
        .display()
        .to_string();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec![
                "--trajectory",
                xyz,
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
                "--charges",
                "Li=1,P=5",
            ],
            // Fine: O keeps its formal −2.
            vec![],
        ),
        (
            vec![
                "--trajectory",
                xyz,
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
                "--charges",
                "Xx=1",
            ],
            vec![
                "trajectory.xyz: --charges: unknown species `Xx`",
                "Li, P, O",
            ],
        ),
        (
            vec![
                "--trajectory",
                xyz,
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
                "--charges",
                "Li=2",
            ],
            vec!["--charges", "net charge", "48 Li × +2"],
        ),
        (
            vec![
                "--trajectory",
                "wrapped.xyz",
                "--frame-interval-ps",
                "0.01",
                "--temperature",
                t,
                "--charges",
                "Li=1,F=-1",
            ],
            vec!["wrapped.xyz:", "too far apart", "--unwrapped"],
        ),
        (
            vec![
                "--trajectory",
                "gap.xyz",
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
            ],
            vec![
                "gap.xyz:",
                "frame 3 is at step 4, after a frame at step 2",
                "equally spaced",
            ],
        ),
        (
            vec![
                "--trajectory",
                "npt.xyz",
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
            ],
            vec!["npt.xyz:", "the cell of frame 2 differs", "NPT"],
        ),
        (
            vec![
                "--trajectory",
                xyz,
                "--timestep-ps",
                "0.002",
                "--temperature",
                t,
            ],
            vec![
                "trajectory.xyz:",
                "the frame's time is 0.001 ps",
                "--timestep-ps",
            ],
        ),
        (
            vec![
                "--trajectory",
                "fe.lammpstrj",
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
                "--types",
                "1=Fe",
            ],
            vec!["fe.lammpstrj:9:", "no positions", "xu yu zu"],
        ),
        (
            vec![
                "--trajectory",
                "no-step.xyz",
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
            ],
            vec!["no-step.xyz:1:", "no step number", "--frame-interval-ps"],
        ),
        (
            vec!["--trajectory", xyz, "--timestep-ps", "0.001"],
            vec!["--temperature"],
        ),
        (
            vec![
                "--trajectory",
                xyz,
                "--timestep-ps",
                "0.001",
                "--temperature",
                t,
                "--types",
                "1=Li",
            ],
            vec!["trajectory.xyz: --types", "extended XYZ", "drop --types"],
        ),
        (
            vec![
                "--trajectory",
                &lammps,
                "--timestep-ps",
                "0.002",
                "--temperature",
                "3000",
                "--types",
                "1=Na,2=Cl",
            ],
            vec![
                "dump.element-xu-v.lammpstrj:13:",
                "named twice",
                "drop --types",
            ],
        ),
        // The real LAMMPS dump (units and time items, timestep 0.002 ps): read, but its 11
        // frames are too few for 5 blocks; a wrong time step contradicts `ITEM: TIME`.
        (
            vec![
                "--trajectory",
                &lammps,
                "--timestep-ps",
                "0.002",
                "--temperature",
                "3000",
            ],
            vec![
                "dump.element-xu-v.lammpstrj: 11 frames are too few",
                "blocks",
            ],
        ),
        (
            vec![
                "--trajectory",
                &lammps,
                "--timestep-ps",
                "0.001",
                "--temperature",
                "3000",
            ],
            vec![
                "dump.element-xu-v.lammpstrj:",
                "the frame's time is 0.02 ps",
            ],
        ),
    ];
    for (args, expected) in &cases {
        let (ok, err) = analyze(d, args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if expected.is_empty() {
            assert!(ok, "{args:?}: {err}");
            continue;
        }
        assert!(!ok, "{args:?} was accepted: {err}");
        for e in expected {
            assert!(err.contains(e), "{args:?}: expected `{e}` in: {err}");
        }
    }
}

/// A species without a formal oxidation state needs its charge; the message says how.
#[test]
fn a_species_without_a_formal_charge_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = two_ions(200, 0.1).replace("\nF ", "\nFe ");
    write(dir.path(), "fe.xyz", &text);
    let (ok, err) = analyze(
        dir.path(),
        &[
            "--trajectory",
            "fe.xyz",
            "--timestep-ps",
            "0.001",
            "--temperature",
            "300",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("fe.xyz: --charges: no formal charge is known for species `Fe`"),
        "{err}"
    );
    assert!(err.contains("--charges Fe=1"), "{err}");
}

/// A cut last frame (a run killed while writing: whole atom lines missing, or the last line
/// cut) is left out with a warning naming its line; the complete frames are analysed.
#[test]
fn a_cut_last_frame_is_left_out_with_a_warning() {
    let r = run();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(r.dir.join("trajectory.xyz")).unwrap();
    let last_line = text.trim_end().rsplit('\n').next().unwrap().len();
    for (name, cut) in [("lines", 300), ("mid-line", last_line / 2)] {
        let path = write(
            dir.path(),
            &format!("{name}.xyz"),
            &text[..text.len() - cut],
        );
        let (a, err) = analyze_ok(&path, &["--timestep-ps", "0.001"]);
        let first_line = 500 * 130 + 1;
        assert!(
            err.contains(&format!(
                "{name}.xyz:{first_line}: the frame starting here is cut short"
            )),
            "{err}"
        );
        assert!(
            err.contains("the 500 complete frames before it are analysed"),
            "{err}"
        );
        assert_eq!(a["trajectories"][0]["frames"], 500);
        assert!(a["trajectories"][0]["warnings"]
            .to_string()
            .contains("cut short"));
    }
}

/// Two ions that never cross the cell: the positions are used as written, with no warning;
/// Li's steady drift gives a positive D* from the lab frame.
#[test]
fn an_unwrapped_file_is_used_as_written() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "slow.xyz", &two_ions(200, 0.01));
    let (ok, err) = analyze(
        dir.path(),
        &[
            "--trajectory",
            "slow.xyz",
            "--timestep-ps",
            "0.01",
            "--temperature",
            "300",
            "--charges",
            "Li=1,F=-1",
            "--frame",
            "lab",
            "--blocks",
            "2",
        ],
    );
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(err.contains("no atom crossed the cell"), "{err}");
}

/// A known answer through a LAMMPS dump: 400 independent random walkers (200 Li⁺, 200 F⁻;
/// Gaussian steps of 0.05 Å per component per frame, frames 0.01 ps apart) have
/// D = 0.05²/(2 · 0.01) Å²/ps = 1.25 × 10⁻⁵ cm²/s exactly, and σ = σ_tr =
/// N e² D/(Ω k_B T) (no cross correlations). With 400 atoms a run would sample every second
/// step; a trajectory's frames are all used, so 200 frames suffice for 5 blocks.
#[test]
fn random_walkers_give_the_exact_diffusion_and_conductivity() {
    let (n, frames, l, step, dt, temperature) = (400, 200, 20.0, 0.05, 0.01, 500.0);
    let mut state: u64 = 12345;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut gauss = || {
        let (u, v) = (uniform(), uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut pos: Vec<[f64; 3]> = (0..n)
        .map(|i| {
            [
                (i % 20) as f64,
                ((i / 20) % 20) as f64,
                (i / 400) as f64 + 10.0,
            ]
        })
        .collect();
    let mut text = String::new();
    for k in 0..frames {
        let _ = write!(
            text,
            "ITEM: TIMESTEP\n{}\nITEM: NUMBER OF ATOMS\n{n}\nITEM: BOX BOUNDS pp pp pp\n0 {l}\n0 {l}\n0 {l}\nITEM: ATOMS id element xu yu zu\n",
            10 * k
        );
        for (i, p) in pos.iter_mut().enumerate() {
            if k > 0 {
                for c in p.iter_mut() {
                    *c += step * gauss();
                }
            }
            let e = if i % 2 == 0 { "Li" } else { "F" };
            let _ = writeln!(text, "{} {e} {} {} {}", i + 1, p[0], p[1], p[2]);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "walkers.lammpstrj", &text);
    let (ok, err) = analyze(
        dir.path(),
        &[
            "--trajectory",
            "walkers.lammpstrj",
            "--timestep-ps",
            "0.001",
            "--temperature",
            "500",
            "--frame",
            "lab",
            "--diffusing",
            "Li,F",
            "-o",
            "a.json",
        ],
    );
    assert!(ok, "{err}");
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a.json")).unwrap()).unwrap();
    let report = &a["runs"][0]["conductivity"];
    let est = |v: &Value| (v["value"].as_f64().unwrap(), v["stderr"].as_f64().unwrap());
    // Student's t, 4 degrees of freedom (5 blocks), two-sided 99 %.
    let t99 = 4.604;
    let d_exact = step * step / (2.0 * dt) * 1e-4;
    for s in report["species"].as_array().unwrap() {
        let (d, e) = est(&s["diffusion_cm2_s"]);
        eprintln!(
            "D*({}) = {d:.4e} ± {e:.1e} (exact {d_exact:.4e})",
            s["species"]
        );
        assert!((d - d_exact).abs() < t99 * e, "{d} ± {e} vs {d_exact}");
    }
    let (e_c, k_b) = (1.602176634e-19, 1.380649e-23);
    let sigma_exact =
        n as f64 * e_c * e_c * d_exact * 1e-4 / (l * l * l * 1e-30 * k_b * temperature) / 100.0;
    for key in ["conductivity_tracer", "conductivity"] {
        let (s, e) = est(&report[key]["s_cm"]);
        eprintln!("{key} = {s:.4e} ± {e:.1e} S/cm (exact {sigma_exact:.4e})");
        assert!(
            (s - sigma_exact).abs() < t99 * e,
            "{key}: {s} ± {e} vs {sigma_exact}"
        );
    }
}
