//! Exact restarts (DESIGN.md §9): a run stopped after N steps (on request, by SIGTERM or by
//! SIGKILL) and continued with `mdsim resume` ends with a folder byte-identical to that of a
//! run that never stopped — thermo.csv, trajectory, MSD/VACF/g(r) curves, checkpoint,
//! final structure — and the same results.json apart from its timing fields, also with
//! another thread count after the restart. Bad checkpoints are refused with the file and the
//! reason, and nothing in the folder changes.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/ionic.rs"]
mod ionic;

use cli::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Argon fcc, LJ (Rahman's parameters), `{N}` cells a side, with thermo, trajectory with
/// velocities, MSD, VACF and g(r); `{STAGES}` and `{EVERY}` (checkpoint interval) replaced.
const ARGON: &str = r#"(
    seed: 11,
    structure: Lattice(kind: Fcc, a: 5.7964, repeat: ({N}, {N}, {N}), species: "Ar"),
    potential: Inline((
        species: [(name: "Ar", mass: 39.95)],
        pairs: [(between: ("Ar", "Ar"), terms: [LennardJones(epsilon: 0.0103408, sigma: 3.4)], cutoff: 8.5)],
    )),
    neighbor: (skin: 0.6),
    initial_temperature: 120.0,
    timestep_ps: 0.01,
    stages: [{STAGES}],
    output: (thermo_every: 5, trajectory_every: 25, trajectory_velocities: true, checkpoint_every: {EVERY}),
    transport: (
        sample_every: 2,
        msd: (max_lag_ps: 0.3, origin_every_ps: 0.1, blocks: 4),
        vacf: Some((max_lag_ps: 0.3, origin_every_ps: 0.1)),
        rdf: Some((r_max: 8.0, bins: 80, every: 10)),
    ),
)"#;

fn argon(cells: usize, stages: &str, checkpoint_every: u64) -> String {
    ARGON
        .replace("{N}", &cells.to_string())
        .replace("{STAGES}", stages)
        .replace("{EVERY}", &checkpoint_every.to_string())
}

/// 300 steps of NVE, all production.
fn argon_nve() -> String {
    argon(
        4,
        "(ensemble: Nve, duration_ps: 3.0, production: true)",
        100,
    )
}

/// Three Nosé–Hoover stages (100 + 60 + 200 steps): a hot melt, a cooling, a production.
fn argon_nvt() -> String {
    argon(
        4,
        "(name: \"melt\", ensemble: Nvt(temperature: 200.0, damping_ps: 0.1), duration_ps: 1.0),
         (name: \"cool\", ensemble: Nvt(temperature: 94.4, damping_ps: 0.2, chain: 4), duration_ps: 0.6),
         (name: \"produce\", ensemble: Nvt(temperature: 94.4, damping_ps: 0.5), duration_ps: 2.0, production: true)",
        50,
    )
}

/// results.json without the fields that legitimately differ between the straight and the
/// continued run: timing, and the thread count when it changed.
fn comparable_results(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("results.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in [
        "threads",
        "steps_per_second",
        "wall_time_s",
        "started",
        "finished",
    ] {
        assert!(o.remove(k).is_some(), "{k} missing");
    }
    v
}

/// Every file of a run folder by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// The continued folder equals the straight one: every file byte for byte (the previous
/// checkpoint aside: which one it is depends on where the run stopped), results.json but
/// for timing and thread count. Returns how many files were compared.
fn assert_same_folder(straight: &Path, continued: &Path) -> usize {
    let (a, b) = (files(straight), files(continued));
    let names = |m: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        m.keys()
            .filter(|k| *k != "checkpoint.prev.bin")
            .cloned()
            .collect()
    };
    assert_eq!(names(&a), names(&b), "different files");
    let mut compared = 0;
    // The outputs a user reads first, then the summary, then the checkpoint.
    let internal = ["results.json", "checkpoint.bin", "checkpoint.prev.bin"];
    for (name, bytes) in a.iter().filter(|(n, _)| !internal.contains(&n.as_str())) {
        assert!(!bytes.is_empty(), "{name} is empty");
        assert!(bytes == &b[name], "{name} differs after the restart");
        compared += 1;
    }
    let (ra, rb) = (comparable_results(straight), comparable_results(continued));
    assert_eq!(ra, rb, "results.json differs after the restart");
    assert_eq!(ra["status"], "completed");
    assert!(
        a["checkpoint.bin"] == b["checkpoint.bin"],
        "checkpoint.bin differs after the restart"
    );
    compared + 2
}

fn ok(o: &Output) -> String {
    let err = stderr(o);
    assert!(o.status.success(), "mdsim failed: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn mdsim_in(cwd: &Path, args: &[&str]) -> Output {
    mdsim().args(args).current_dir(cwd).output().unwrap()
}

/// Runs `input` straight into `straight`, and into `cut` stopped after each step of
/// `stops` in turn (continuing with `mdsim resume` on the threads given) and finished on
/// `last_threads` threads; then compares the folders.
fn straight_vs_stopped(text: &str, stops: &[(u64, &str)], last_threads: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(d, "in.ron", text);
    let input = input.to_str().unwrap();
    ok(&mdsim_in(d, &["run", input, "-o", "straight"]));
    let (first, rest) = stops.split_first().unwrap();
    let err = ok(&mdsim_in(
        d,
        &[
            "run",
            input,
            "-o",
            "cut",
            "--threads",
            first.1,
            "--stop-after",
            &first.0.to_string(),
        ],
    ));
    assert!(err.contains("mdsim resume cut"), "{err}");
    let status = std::fs::read_to_string(d.join("cut/results.json")).unwrap();
    assert!(status.contains("\"status\": \"interrupted"), "{status}");
    for (k, (step, threads)) in rest.iter().enumerate() {
        // Both ways of continuing: from the folder alone, and from the input.
        let args: Vec<&str> = if k % 2 == 0 {
            vec!["resume", "cut"]
        } else {
            vec!["run", input, "--restart", "cut"]
        };
        let step = step.to_string();
        let mut all = args.clone();
        all.extend(["--threads", threads, "--stop-after", &step]);
        let err = ok(&mdsim_in(d, &all));
        assert!(err.contains(&format!("after step {step}")), "{err}");
    }
    ok(&mdsim_in(d, &["resume", "cut", "--threads", last_threads]));
    assert_same_folder(&d.join("straight"), &d.join("cut"))
}

#[test]
fn nve_argon_continues_bit_for_bit() {
    // Stopped between checkpoints, thermo lines and trajectory frames; finished on 2 threads.
    let n = straight_vs_stopped(&argon_nve(), &[(137, "1")], "2");
    assert!(n >= 10, "{n} files compared");
}

#[test]
fn nose_hoover_argon_continues_bit_for_bit_across_stages() {
    // Inside the melt, exactly at the end of the melt (a stage boundary: the next chain
    // starts fresh, the bath energy carries on), inside the production; 1 and 2 threads.
    straight_vs_stopped(&argon_nvt(), &[(43, "2"), (100, "1"), (251, "2")], "1");
}

#[test]
fn ionic_cell_with_ewald_continues_bit_for_bit() {
    // Inside the equilibration, then inside the production; minimisation results carried.
    let n = straight_vs_stopped(&ionic::ionic(), &[(61, "1"), (187, "2")], "2");
    assert!(n >= 10, "{n} files compared");
}

/// The H5MD trajectory too is cut back and continued to the same bytes (HDF5 stores no
/// times in mdsim's files).
#[cfg(feature = "hdf5")]
#[test]
fn h5md_trajectory_continues_bit_for_bit() {
    let text = argon_nvt().replace(
        "trajectory_velocities: true",
        "trajectory_velocities: true, trajectory_format: H5md",
    );
    straight_vs_stopped(&text, &[(137, "1"), (290, "2")], "1");
}

/// How many conductivity samples trajectory.h5md holds, if any.
#[cfg(feature = "hdf5")]
fn h5md_samples(dir: &Path) -> Option<usize> {
    let f = hdf5::File::open(dir.join("trajectory.h5md")).unwrap();
    let ds = f.dataset("observables/polarization_displacement/value");
    ds.ok().map(|ds| ds.shape()[0])
}

/// trajectory.h5md with the conductivity series (ΔP and J every production step) and curves
/// continues to the same bytes: stopped in the equilibration (the series do not exist yet),
/// in the production before and after the first block of samples was written, and, with the
/// files grown past the checkpoint the run continues from, across the start of the
/// production, across a block and after the end.
#[cfg(feature = "hdf5")]
#[test]
fn h5md_conductivity_series_continue_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(d, "in.ron", &ionic::ionic_h5md());
    let input = input.to_str().unwrap();
    ok(&mdsim_in(d, &["run", input, "-o", "straight"]));
    assert_eq!(h5md_samples(&d.join("straight")), Some(601));
    // Stops, each writing a checkpoint at the step it stops at; the samples of an incomplete
    // block are in the checkpoint, not yet in the file.
    ok(&mdsim_in(
        d,
        &["run", input, "-o", "cut", "--stop-after", "61"],
    ));
    ok(&mdsim_in(d, &["resume", "cut", "--stop-after", "187"]));
    assert_eq!(h5md_samples(&d.join("cut")), None);
    ok(&mdsim_in(d, &["resume", "cut", "--stop-after", "500"]));
    assert_eq!(h5md_samples(&d.join("cut")), Some(256));
    ok(&mdsim_in(d, &["resume", "cut", "--threads", "2"]));
    assert_same_folder(&d.join("straight"), &d.join("cut"));
    // Stopped after `stop`, continued from `from` (a checkpoint.bin torn by a kill).
    for (stop, from) in [("110", 80), ("400", 360), ("700", 680)] {
        let cut = d.join(format!("torn-{stop}"));
        let cut_name = cut.to_str().unwrap();
        ok(&mdsim_in(
            d,
            &["run", input, "-o", cut_name, "--stop-after", stop],
        ));
        std::fs::remove_file(cut.join("checkpoint.bin")).unwrap();
        let err = ok(&mdsim_in(d, &["resume", cut_name]));
        assert!(err.contains(&format!("after step {from} of 700")), "{err}");
        assert_same_folder(&d.join("straight"), &cut);
    }
}

/// Waits for the child to finish, at most `limit`.
fn wait(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < limit, "mdsim did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `path` exists.
fn wait_for(path: &Path, child: &mut std::process::Child) {
    let start = Instant::now();
    while !path.exists() {
        assert!(child.try_wait().unwrap().is_none(), "mdsim ended early");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &std::process::Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} failed");
}

fn spawn(cwd: &Path, args: &[&str]) -> std::process::Child {
    mdsim()
        .args(args)
        .current_dir(cwd)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A long argon run (108 atoms, 20,000 steps) for the signal tests.
fn long_argon(checkpoint_every: u64) -> String {
    argon(
        3,
        "(ensemble: Nvt(temperature: 94.4, damping_ps: 0.5), duration_ps: 200.0, production: true)",
        checkpoint_every,
    )
    .replace("trajectory_every: 25", "trajectory_every: 500")
    .replace("r_max: 8.0", "r_max: 7.0")
}

#[test]
fn sigterm_writes_a_checkpoint_stops_and_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(d, "in.ron", &long_argon(5000));
    let input = input.to_str().unwrap();
    let mut child = spawn(d, &["run", input, "-o", "cut"]);
    wait_for(&d.join("cut/checkpoint.bin"), &mut child);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "TERM");
    let status = wait(&mut child, Duration::from_secs(60));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(128 + 15), "{err}");
    assert!(err.contains("stopped by SIGTERM after step"), "{err}");
    assert!(err.contains("mdsim resume cut"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let results = std::fs::read_to_string(d.join("cut/results.json")).unwrap();
    assert!(
        results.contains("interrupted: stopped by SIGTERM"),
        "{results}"
    );
    // The checkpoint is of the step the run stopped at, mid-run.
    let step: u64 = err
        .split("after step ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|t| t.parse().ok())
        .unwrap();
    assert!(step > 0 && step < 20_000, "{step}");
    let cut = d.join("cut");
    let setup = mdsim_io::load_run_folder(&cut).unwrap();
    let (cp, file) = mdsim_driver::checkpoint::load(&cut, &setup).unwrap();
    assert_eq!(cp.header.step, step);
    assert!(file.ends_with("checkpoint.bin"));

    ok(&mdsim_in(d, &["resume", "cut", "--threads", "2"]));
    ok(&mdsim_in(d, &["run", input, "-o", "straight"]));
    assert_same_folder(&d.join("straight"), &cut);
}

/// SIGKILL at moments of a run that writes a checkpoint every step (so most kills land
/// during a checkpoint write): every time, the run continues from the last complete
/// checkpoint, and the folder ends as that of a run that never stopped. The kills follow the
/// run's progress (not the clock), so a fast machine cannot finish the run first.
#[test]
fn sigkill_during_checkpoint_writes_loses_only_the_steps_since_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = long_argon(1).replace("duration_ps: 200.0", "duration_ps: 10.0");
    let input = write(d, "in.ron", &text);
    let input = input.to_str().unwrap();
    let cut = d.join("cut");
    let checkpoint_step = || {
        let setup = mdsim_io::load_run_folder(&cut).ok()?;
        mdsim_driver::checkpoint::load(&cut, &setup)
            .ok()
            .map(|(cp, _)| cp.header.step)
    };
    let mut resumed_from = Vec::new();
    for (k, kill_after) in [30u64, 310, 620].into_iter().enumerate() {
        let mut child = if k == 0 {
            spawn(d, &["run", input, "-o", "cut"])
        } else {
            spawn(d, &["resume", "cut"])
        };
        let start = Instant::now();
        while checkpoint_step().is_none_or(|s| s < kill_after) {
            assert!(child.try_wait().unwrap().is_none(), "mdsim ended early");
            assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        }
        signal(&child, "KILL");
        let status = wait(&mut child, Duration::from_secs(60));
        assert!(!status.success(), "the run ended before the kill");
        let step = checkpoint_step().expect("a checkpoint survives the kill");
        assert!(step >= kill_after && step < 1000, "{step}");
        resumed_from.push(step);
    }
    ok(&mdsim_in(d, &["resume", "cut"]));
    ok(&mdsim_in(d, &["run", input, "-o", "straight"]));
    assert_same_folder(&d.join("straight"), &cut);
    eprintln!("killed and resumed at steps {resumed_from:?}");
}

/// A write cut off by a kill leaves a torn temporary file and, between the two renames, no
/// checkpoint.bin: the run continues from the previous checkpoint.
#[test]
fn torn_write_falls_back_to_the_previous_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(d, "in.ron", &argon_nve());
    let input = input.to_str().unwrap();
    ok(&mdsim_in(d, &["run", input, "-o", "straight"]));
    ok(&mdsim_in(
        d,
        &["run", input, "-o", "cut", "--stop-after", "170"],
    ));
    let cut = d.join("cut");
    // The kill came while the checkpoint after step 170 replaced the one of step 100.
    let current = std::fs::read(cut.join("checkpoint.bin")).unwrap();
    std::fs::write(
        cut.join("checkpoint.bin.tmp"),
        &current[..current.len() / 2],
    )
    .unwrap();
    std::fs::remove_file(cut.join("checkpoint.bin")).unwrap();
    let err = ok(&mdsim_in(d, &["resume", "cut"]));
    assert!(err.contains("checkpoint.prev.bin"), "{err}");
    assert!(err.contains("after step 100 of 300"), "{err}");
    assert!(!cut.join("checkpoint.bin.tmp").exists());
    assert_same_folder(&d.join("straight"), &cut);
}

/// Every way a checkpoint can be unusable is refused, naming the file and the reason, and
/// leaves every file of the folder as it was.
#[test]
fn bad_checkpoints_are_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = argon_nve();
    let input = write(d, "in.ron", &text);
    let input = input.to_str().unwrap();
    ok(&mdsim_in(
        d,
        &["run", input, "-o", "cut", "--stop-after", "150"],
    ));
    let cut = d.join("cut");
    let good = std::fs::read(cut.join("checkpoint.bin")).unwrap();

    // Another input (another seed), run to its own checkpoint.
    let other = write(d, "other.ron", &text.replace("seed: 11", "seed: 12"));
    let other = other.to_str().unwrap();
    ok(&mdsim_in(
        d,
        &["run", other, "-o", "other", "--stop-after", "10"],
    ));
    let foreign = std::fs::read(d.join("other/checkpoint.bin")).unwrap();

    // A checkpoint of another mdsim version and one of another format.
    let setup = mdsim_io::load_run_folder(&cut).unwrap();
    let (mut cp, _) = mdsim_driver::checkpoint::load(&cut, &setup).unwrap();
    cp.header.mdsim_version = "0.0.1".into();
    let old_version = cp.encode().unwrap();
    let mut other_format = good.clone();
    other_format[8] = 99;

    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("flipped bit", flipped, "checksum"),
        ("truncated", good[..good.len() - 100].to_vec(), "truncated"),
        ("empty", Vec::new(), "empty"),
        (
            "not a checkpoint",
            b"(step: 150)".to_vec(),
            "not an mdsim checkpoint",
        ),
        ("other format", other_format, "format 99"),
        ("other version", old_version, "written by mdsim 0.0.1"),
        ("other input", foreign, "another input"),
    ];
    for (what, bytes, reason) in cases {
        std::fs::write(cut.join("checkpoint.bin"), &bytes).unwrap();
        let before = files(&cut);
        let o = mdsim_in(d, &["resume", "cut"]);
        let err = stderr(&o);
        assert!(!o.status.success(), "{what}: accepted");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            err.contains("cut/checkpoint.bin") && err.contains(reason),
            "{what}: {err}"
        );
        // The previous checkpoint is named as a way out.
        assert!(err.contains("checkpoint.prev.bin"), "{what}: {err}");
        assert!(files(&cut) == before, "{what}: the folder changed");
    }

    // The good checkpoint with another input given on the command line.
    std::fs::write(cut.join("checkpoint.bin"), &good).unwrap();
    let before = files(&cut);
    let o = mdsim_in(d, &["run", other, "--restart", "cut"]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("another input") && err.contains("other.ron"),
        "{err}"
    );
    assert!(files(&cut) == before);

    // A file cut short after the checkpoint cannot be continued either.
    let thermo = cut.join("thermo.csv");
    let full = std::fs::read(&thermo).unwrap();
    std::fs::write(&thermo, &full[..100]).unwrap();
    let before = files(&cut);
    let o = mdsim_in(d, &["resume", "cut"]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("thermo.csv") && err.contains("fewer than"),
        "{err}"
    );
    assert!(files(&cut) == before);

    // No run folder, and a folder without a checkpoint.
    let o = mdsim_in(d, &["resume", "nowhere"]);
    assert!(!o.status.success() && stderr(&o).contains("nowhere"));
    std::fs::create_dir(d.join("empty")).unwrap();
    std::fs::copy(d.join("in.ron"), d.join("empty/input.ron")).unwrap();
    let o = mdsim_in(d, &["resume", "empty"]);
    assert!(
        !o.status.success() && stderr(&o).contains("no checkpoint"),
        "{}",
        stderr(&o)
    );
}
