//! The same input and seed give the same bits for any thread count (DESIGN.md §9): every
//! output file of a run with --threads 1 and --threads 2 is compared byte for byte.
//! 864 atoms make four force chunks, so two threads really split the work.

#[path = "support/cli.rs"]
mod cli;

use cli::*;

fn short_input() -> String {
    let full = std::fs::read_to_string(root().join("inputs/argon-rahman.ron")).unwrap();
    full.replace("duration_ps: 10.0", "duration_ps: 1.0")
        .replace("duration_ps: 40.0", "duration_ps: 1.0")
        .replace("duration_ps: 500.0", "duration_ps: 3.0")
        .replace("max_lag_ps: 10.0", "max_lag_ps: 0.2")
        .replace("blocks: 10", "blocks: 5")
        .replace("max_lag_ps: 2.0", "max_lag_ps: 0.2")
        .replace(
            "trajectory_every: 0",
            "trajectory_every: 50, trajectory_velocities: true",
        )
        .replace("checkpoint_every: 10000", "checkpoint_every: 100")
        .replace(
            "\"../potentials/",
            &format!("\"{}/potentials/", root().display()),
        )
}

/// results.json without the fields that legitimately differ (timing, thread count).
fn comparable_results(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
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

#[test]
fn results_do_not_depend_on_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.ron", &short_input());
    for threads in ["1", "2"] {
        let out = run(
            &["run", "--threads", threads, "-o", &format!("t{threads}")],
            &input,
            dir.path(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (a, b) = (dir.path().join("t1"), dir.path().join("t2"));
    for file in [
        "thermo.csv",
        "trajectory.xyz",
        "msd.csv",
        "vacf.csv",
        "rdf.csv",
        "checkpoint.bin",
        "final.xyz",
        "input.ron",
    ] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(!x.is_empty(), "{file} is empty");
        assert!(x == y, "{file} differs between 1 and 2 threads");
    }
    let ra = std::fs::read_to_string(a.join("results.json")).unwrap();
    let rb = std::fs::read_to_string(b.join("results.json")).unwrap();
    assert_eq!(comparable_results(&ra), comparable_results(&rb));
}

#[test]
fn same_seed_same_bits_other_seed_other_bits() {
    let dir = tempfile::tempdir().unwrap();
    let text = short_input();
    let a = write(dir.path(), "a.ron", &text);
    let c = write(
        dir.path(),
        "c.ron",
        &text.replace("seed: 1964", "seed: 1965"),
    );
    for (input, out) in [(&a, "a1"), (&a, "a2"), (&c, "c")] {
        let o = run(&["run", "-o", out], input, dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let read = |d: &str| std::fs::read(dir.path().join(d).join("checkpoint.bin")).unwrap();
    assert!(read("a1") == read("a2"));
    assert!(read("a1") != read("c"));
}
