//! Inputs whose numbers are absurd are refused with a message before anything is allocated
//! or run (tests/cases/absurd-sizes, from ../shared/cases); image counters cannot overflow;
//! values outside anything physical are warned about, and the shipped inputs give no warning.

#[path = "support/cli.rs"]
mod cli;

use cli::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;

/// The largest single allocation request of the current thread, to show that a refused
/// input allocated nothing large.
struct Watched;

thread_local! {
    static LARGEST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|c| c.set(c.get().max(size)));
}

unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watched = Watched;

/// Loads `input`, expecting a refusal; returns the message and checks that no allocation
/// above 1 MB was made on the way.
fn refused(input: &Path) -> String {
    LARGEST.with(|c| c.set(0));
    let result = mdsim_io::load(input);
    let largest = LARGEST.with(|c| c.get());
    let message = match result {
        Ok(_) => panic!("{} was accepted", input.display()),
        Err(e) => e.to_string(),
    };
    assert!(
        largest < 1 << 20,
        "{}: an allocation of {largest} bytes before the refusal: {message}",
        input.display()
    );
    message
}

fn assert_contains(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "lacks `{p}`: {message}");
    }
}

#[test]
fn absurd_repeat_case_is_refused_before_allocating() {
    let input = root().join("tests/cases/absurd-sizes/repeat-1e11.ron");
    let m = refused(&input);
    assert_contains(
        &m,
        &[
            "repeat-1e11.ron",
            "structure.repeat",
            "3 × 99999999999 × 3 cells of 4 atoms",
            "3599999999964 (3.6e12) atoms",
            "1.4 PB",
            "typo",
        ],
    );
    // The command line says the same in one line, without a backtrace.
    let out = mdsim()
        .args(["run", "repeat-1e11.ron", "-o"])
        .arg(std::env::temp_dir().join("mdsim-absurd-never-written"))
        .current_dir(root().join("tests/cases/absurd-sizes"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: ") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(!err.contains("panicked") && !err.contains("memory allocation"));
}

#[test]
fn other_absurd_repeats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (repeat, parts) in [
        (
            format!("({}, 2, 2)", usize::MAX),
            &["more than 10¹⁹ atoms"][..],
        ),
        (
            "(2000, 2000, 2000)".into(),
            &["32000000000 (3.2e10) atoms", "at most 2147483648"][..],
        ),
    ] {
        let structure =
            format!(r#"Lattice(kind: Fcc, a: 5.7964, repeat: {repeat}, species: "Ar")"#);
        let input = write(
            dir.path(),
            "in.ron",
            &small_input(&structure, "0.01", ALL_PAIRS),
        );
        assert_contains(&refused(&input), &["structure.repeat", parts[0]]);
        assert_contains(&refused(&input), parts);
    }
    // The crystal builder: the shipped model cell with a typo in its repeat.
    let text = std::fs::read_to_string(root().join("inputs/lpso-0.75.ron")).unwrap();
    for (repeat, part) in [
        ("(3, 5000000, 6)", "3 × 5000000 × 6 unit cells of 32 atoms"),
        ("(100000000000, 100000000000, 6)", "more than 10¹⁹"),
    ] {
        let bad = text
            .replace("repeat: (3, 5, 6)", &format!("repeat: {repeat}"))
            .replace(
                "../potentials/",
                &format!("{}/potentials/", root().display()),
            );
        let input = write(dir.path(), "crystal.ron", &bad);
        assert_contains(&refused(&input), &["structure.repeat", part, "typo"]);
    }
}

#[test]
fn an_absurd_atom_count_line_allocates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "big.xyz",
        "1000000000000000\nLattice=\"30 0 0 0 30 0 0 0 30\"\nAr 0 0 0\nAr 5 5 5\n",
    );
    let input = write(
        dir.path(),
        "in.ron",
        &small_input(r#"Xyz(file: "big.xyz")"#, "0.01", ALL_PAIRS),
    );
    assert_contains(
        &refused(&input),
        &["big.xyz", "after 2 of the 1000000000000000 atoms"],
    );
}

#[test]
fn step_counts_that_overflow_or_are_absurd_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = small_input(LATTICE, "0.01", ALL_PAIRS);
    let stage = "stages: [(ensemble: Nve, duration_ps: 0.5, production: true)]";
    for (replacement, parts) in [
        (
            stage.replace("0.5", "1e300"),
            &["stages[0].duration_ps", "1.000e302 steps", "1e12"][..],
        ),
        (
            // 1e11 ps at 0.01 ps: 10¹³ steps.
            stage.replace("0.5", "1e11"),
            &["stages[0].duration_ps", "1.000e13"][..],
        ),
        (
            // Each stage is allowed, together they are not (and their sum overflows u64).
            "stages: [(ensemble: Nve, duration_ps: 9e9), (ensemble: Nve, duration_ps: 9e9), (ensemble: Nve, duration_ps: 9e9)]".into(),
            &["stages:", "all stages together are 2.700e12"][..],
        ),
    ] {
        let input = write(dir.path(), "in.ron", &base.replace(stage, &replacement));
        assert_contains(&refused(&input), parts);
    }
    let input = write(
        dir.path(),
        "in.ron",
        &base.replace(
            "timestep_ps:",
            "minimize: (max_steps: 100000000000000000),\n    timestep_ps:",
        ),
    );
    assert_contains(&refused(&input), &["minimize.max_steps"]);
}

#[test]
fn a_skin_larger_than_the_cell_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 4×4×4 fcc cells: width 23.19 Å, cutoff 8.5 Å.
    for skin in ["1e300", "15.0"] {
        let text = small_input(LATTICE, "0.01", ALL_PAIRS).replace(
            "timestep_ps:",
            &format!("neighbor: (skin: {skin}),\n    timestep_ps:"),
        );
        let input = write(dir.path(), "in.ron", &text);
        assert_contains(
            &refused(&input),
            &[
                "neighbor.skin",
                "exceed the narrowest cell width (23.1856 Å)",
            ],
        );
    }
}

#[test]
fn observers_that_cannot_fit_in_memory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 10¹² production steps sampled at every step, a lag of 10¹⁰ samples: petabytes.
    let text = small_input(LATTICE, "0.01", ALL_PAIRS)
        .replace("duration_ps: 0.5", "duration_ps: 1e10")
        .replace(
            "transport: (sample_every: 1),",
            "transport: (sample_every: 1, msd: (max_lag_ps: 1e8)),",
        );
    let input = write(dir.path(), "in.ron", &text);
    assert_contains(&refused(&input), &["transport", "memory", "sample_every"]);
}

/// A one-atom-per-line XYZ of two Ar atoms in a 30 Å cube, the second at `x`.
fn two_atoms(dir: &Path, x: [f64; 3]) -> std::path::PathBuf {
    write(
        dir,
        "two.xyz",
        &format!(
            "2\nLattice=\"30 0 0 0 30 0 0 0 30\"\nAr 1 1 1\nAr {} {} {}\n",
            x[0], x[1], x[2]
        ),
    );
    write(
        dir,
        "in.ron",
        &small_input(r#"Xyz(file: "two.xyz")"#, "0.01", ALL_PAIRS),
    )
}

#[test]
fn atoms_far_outside_the_cell_keep_their_image_counts_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 3·10⁵ cells away along a (beyond nothing), −2·10⁵ along c: accepted; the unwrapped
    // position is the given one.
    let far = [9.0e6 + 10.0, 5.0, -6.0e6 + 3.0];
    let setup = mdsim_io::load(&two_atoms(dir.path(), far)).unwrap();
    assert_eq!(setup.system.images[1], [300_000, 0, -200_000]);
    let u = setup.system.unwrapped(1);
    for k in 0..3 {
        assert!((u[k] - far[k]).abs() < 1e-6, "{u:?}");
    }
    // 10⁸ cells away: refused, naming the atom.
    let m = refused(&two_atoms(dir.path(), [3e9, 5.0, 5.0]));
    assert_contains(&m, &["atom 2 (Ar)", "1.000e8 cell lengths", "along a"]);
}

/// Loads `text` (written as in.ron next to a copy of the inputs' potentials) and returns its
/// warnings.
fn warnings(dir: &Path, text: &str) -> Vec<String> {
    let input = write(dir, "in.ron", text);
    mdsim_io::load(&input)
        .unwrap_or_else(|e| panic!("{e}"))
        .warnings
}

#[test]
fn shipped_inputs_give_no_warning() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("inputs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let setup = mdsim_io::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                setup.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                setup.warnings
            );
            n += 1;
        }
    }
    assert!(n >= 7);
}

#[test]
fn unphysical_values_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let base = small_input(LATTICE, "0.01", ALL_PAIRS);
    let cases: [(String, &[&str]); 6] = [
        // Argon's molar mass typed in kg/mol.
        (
            base.replace("mass: 39.95", "mass: 0.03995"),
            &["species[0].mass", "0.03995 amu", "kg/mol"],
        ),
        (
            base.replace("mass: 83.8", "mass: 83800.0"),
            &["species[1].mass", "heavier than any element"],
        ),
        (
            base.replace("initial_temperature: 94.4", "initial_temperature: 2e6"),
            &["initial_temperature", "2000000 K"],
        ),
        (
            base.replace("timestep_ps: 0.01", "timestep_ps: 0.00001"),
            &["timestep_ps", "0.00001 ps is shorter", "not fs"],
        ),
        // 20 fs for argon at 94.4 K (judged at 300 K at least): 0.087 Å per step is fine …
        (base.replace("timestep_ps: 0.01", "timestep_ps: 0.02"), &[]),
        // … 50 fs is not.
        (
            base.replace("timestep_ps: 0.01", "timestep_ps: 0.05"),
            &["timestep_ps", "long for Ar (39.95 amu)", "0.216 Å per step"],
        ),
    ];
    for (text, parts) in &cases {
        let w = warnings(dir.path(), text);
        if parts.is_empty() {
            assert!(w.is_empty(), "{w:?}");
            continue;
        }
        // The warning names the file; the light mass also makes the step too long.
        let found = w.iter().find(|x| parts.iter().all(|p| x.contains(p)));
        let found = found.unwrap_or_else(|| panic!("no warning with {parts:?}: {w:?}"));
        assert!(found.starts_with(&dir.path().join("in.ron").display().to_string()));
    }
    // Charges beyond any ion, and a light ion with a long step.
    let ions = r#"(
    seed: 1,
    structure: Xyz(file: "ions.xyz"),
    potential: Inline((
        species: [(name: "Li", mass: 6.941, charge: 9.0), (name: "X", mass: 30.0, charge: -9.0)],
        pairs: [(between: ("Li", "X"), terms: [Buckingham(a: 500.0, rho: 0.3, c: 0.0)], cutoff: 6.0)],
        coulomb_only: [("Li", "Li"), ("X", "X")],
    )),
    timestep_ps: 0.01,
    initial_temperature: 300.0,
    stages: [(ensemble: Nve, duration_ps: 0.1)],
)"#;
    write(
        dir.path(),
        "ions.xyz",
        "2\nLattice=\"14 0 0 0 14 0 0 0 14\"\nLi 1 1 1\nX 8 8 8\n",
    );
    let w = warnings(dir.path(), ions);
    assert_eq!(w.len(), 3, "{w:?}");
    assert_contains(&w[0], &["in.ron: potential.species[0].charge", "9 e"]);
    assert_contains(&w[1], &["potential.species[1].charge", "-9 e"]);
    assert_contains(&w[2], &["timestep_ps", "long for Li"]);
}
