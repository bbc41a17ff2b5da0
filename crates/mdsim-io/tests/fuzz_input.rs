//! Fuzzing of the input loader and the run start-up: random edits of the shipped inputs and
//! the case files (numbers set to extremes — 0, negative, NaN, inf, 1e300, huge integers —
//! lines deleted, duplicated or swapped, text truncated, structure and potential files edited
//! the same way), driven by a seeded RNG. Each case runs `mdsim_io::load` and, when the input
//! is accepted, builds the engine and takes a few MD steps — in process, under
//! `std::panic::catch_unwind` and a time limit. No case may panic, abort, exhaust memory or
//! hang: a refused input must be an error message naming a file.
//!
//! `cargo test --release -p mdsim-io --test fuzz_input` runs 300 cases (seconds);
//! `cargo test --release -p mdsim-io --test fuzz_input -- --ignored` runs the long version
//! (MDSIM_FUZZ_CASES, default 20000; MDSIM_FUZZ_SEED, default 1). Failing inputs are kept in
//! the system's temporary folder under mdsim-fuzz-failures/.

use mdsim_core::{velocities, Engine};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest a case may take (load, start-up and a few steps) before it counts as a hang.
const TIME_LIMIT: Duration = Duration::from_secs(30);
/// Engines are built and stepped for systems up to this size (larger ones are only loaded).
const MAX_ATOMS_TO_STEP: usize = 20_000;
/// MD steps per accepted case.
const STEPS: usize = 3;

/// Numbers that break things: zeros, signs, extremes, non-finite values, integers at and past
/// the limits of u32, i64 and u64, and a few plausible-but-large values. Integers replace
/// integers and reals replace reals most of the time, so that most edited inputs still parse
/// and reach the checks behind the parser.
const INTEGERS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "100",
    "1000",
    "99999999999",
    "2147483648",
    "4294967296",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
];
const REALS: &[&str] = &[
    "0.0", "-0.0", "-1.0", "0.5", "1e-9", "1e11", "1e20", "1e300", "-1e300", "1e308", "1e-300",
    "5e-324", "NaN", "inf", "-inf",
];

/// The repository root (inputs/, potentials/, tests/cases/).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files a case may start from, relative to the corpus root.
struct Corpus {
    root: tempfile::TempDir,
    inputs: Vec<PathBuf>,
}

/// Copies inputs/, potentials/ and every tests/cases/* folder into a temporary tree that
/// keeps their relative paths.
fn corpus() -> Corpus {
    let root = tempfile::tempdir().unwrap();
    let repo = repo();
    let mut inputs = Vec::new();
    let mut copy_dir = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let dest = to.join(p.file_name().unwrap());
                std::fs::copy(&p, &dest).unwrap();
                if p.extension().is_some_and(|x| x == "ron")
                    && from.file_name().unwrap() != "potentials"
                {
                    let text = std::fs::read_to_string(&p).unwrap();
                    // Input files (not force-field files) have stages.
                    if text.contains("stages") {
                        inputs.push(dest);
                    }
                }
            }
        }
    };
    copy_dir(&repo.join("inputs"), &root.path().join("inputs"));
    copy_dir(&repo.join("potentials"), &root.path().join("potentials"));
    for e in std::fs::read_dir(repo.join("tests/cases")).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            copy_dir(&p, &root.path().join("cases").join(p.file_name().unwrap()));
        }
    }
    inputs.sort();
    Corpus { root, inputs }
}

/// Byte ranges of the numbers in `text` (ASCII digits with sign, point and exponent).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            && (i == 0
                || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b'_'));
        if starts {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut end = i;
            while end < b.len()
                && (b[end].is_ascii_digit()
                    || b[end] == b'.'
                    || b[end] == b'e'
                    || b[end] == b'E'
                    || ((b[end] == b'-' || b[end] == b'+') && matches!(b[end - 1], b'e' | b'E')))
            {
                end += 1;
            }
            out.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// A replacement for the number `old`: an extreme of its kind (sometimes of the other kind),
/// or the number scaled.
fn replacement(rng: &mut ChaCha8Rng, old: &str) -> String {
    let real = old.contains(['.', 'e', 'E']);
    if rng.random_bool(0.75) {
        let same_kind = rng.random_bool(0.85);
        let list = if real == same_kind { REALS } else { INTEGERS };
        return list[rng.random_range(0..list.len())].to_string();
    }
    let x: f64 = old.parse().unwrap_or(1.0);
    let factor = [10.0, 1000.0, 1e-3, -1.0, 1e6][rng.random_range(0..5)];
    let y = x * factor;
    if real {
        format!("{y:?}")
    } else {
        format!("{}", y.round() as i64)
    }
}

/// Applies one random edit to `text`; returns the new text and what was done.
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let nums = numbers(text);
    let kind = rng.random_range(0..10);
    match kind {
        // Numbers most of the time: that is where absurd sizes come from.
        0..=5 if !nums.is_empty() => {
            let (a, b) = nums[rng.random_range(0..nums.len())];
            let new = replacement(rng, &text[a..b]);
            let what = format!("number `{}` → `{new}`", &text[a..b]);
            (format!("{}{new}{}", &text[..a], &text[b..]), what)
        }
        6 if lines.len() > 1 => {
            let k = rng.random_range(0..lines.len());
            let mut l = lines.clone();
            let removed = l.remove(k);
            (l.join("\n"), format!("line {} deleted: `{removed}`", k + 1))
        }
        7 if !lines.is_empty() => {
            let k = rng.random_range(0..lines.len());
            let mut l = lines.clone();
            l.insert(k, lines[k]);
            (l.join("\n"), format!("line {} duplicated", k + 1))
        }
        8 if lines.len() > 1 => {
            let (i, j) = (
                rng.random_range(0..lines.len()),
                rng.random_range(0..lines.len()),
            );
            let mut l = lines.clone();
            l.swap(i, j);
            (
                l.join("\n"),
                format!("lines {} and {} swapped", i + 1, j + 1),
            )
        }
        _ => {
            let mut cut = rng.random_range(0..=text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            (text[..cut].to_string(), format!("truncated at byte {cut}"))
        }
    }
}

/// The files an input refers to (force field, structure), as written in it.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["File(\"", "file: \""] {
        let mut rest = text;
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

/// One fuzz case: an input (maybe with an edited dependency) written next to the original.
struct Case {
    input: PathBuf,
    text: String,
    edits: Vec<String>,
    extra: Vec<(PathBuf, String)>,
}

fn make_case(corpus: &Corpus, rng: &mut ChaCha8Rng, k: usize) -> Case {
    let original = &corpus.inputs[rng.random_range(0..corpus.inputs.len())];
    let dir = original.parent().unwrap();
    let mut text = std::fs::read_to_string(original).unwrap();
    let mut edits = vec![format!(
        "from {}",
        original.strip_prefix(corpus.root.path()).unwrap().display()
    )];
    let mut extra = Vec::new();
    // Sometimes edit a file the input refers to, under a new name.
    let refs = references(&text);
    if !refs.is_empty() && rng.random_bool(0.3) {
        let r = &refs[rng.random_range(0..refs.len())];
        if let Ok(dep) = std::fs::read_to_string(dir.join(r)) {
            let mut dep_text = dep;
            for _ in 0..rng.random_range(1..=2) {
                let (t, what) = mutate(rng, &dep_text);
                dep_text = t;
                edits.push(format!("{r}: {what}"));
            }
            let name = format!(
                "fuzz-{k}-{}",
                Path::new(r).file_name().unwrap().to_string_lossy()
            );
            let new_ref = Path::new(r).with_file_name(&name);
            let path = dir.join(&new_ref);
            text = text.replace(r.as_str(), &new_ref.to_string_lossy());
            extra.push((path, dep_text));
        }
    }
    for _ in 0..rng.random_range(1..=3) {
        let (t, what) = mutate(rng, &text);
        text = t;
        edits.push(what);
    }
    Case {
        input: dir.join(format!("fuzz-{k}.ron")),
        text,
        edits,
        extra,
    }
}

/// What happened to a case that did not fail.
#[derive(Debug)]
enum Outcome {
    Refused,
    Loaded,
    Stepped,
}

/// Loads and (for small systems) steps one input. Any `Err` is a finding.
fn exercise(input: &Path) -> Result<Outcome, String> {
    let setup = match mdsim_io::load(input) {
        Ok(s) => s,
        Err(e) => {
            let m = e.to_string();
            // A refusal names a file and says something.
            return if m.contains(".ron") || m.contains(".xyz") {
                Ok(Outcome::Refused)
            } else {
                Err(format!("refusal names no file: {m}"))
            };
        }
    };
    if setup.system.n_atoms() > MAX_ATOMS_TO_STEP {
        return Ok(Outcome::Loaded);
    }
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    if let Some(t) = setup.input.initial_temperature {
        velocities::maxwell_boltzmann(&mut engine.system, t, setup.input.seed);
    }
    for _ in 0..STEPS {
        engine.step(setup.timestep_ps, None, true);
    }
    Ok(Outcome::Stepped)
}

/// Memory an input may ask for in the fuzzer: large but valid inputs (a repeat of 20000 cells
/// is a typo, but one a big machine could run) are refused by the same checks as on a small
/// machine, instead of being built.
const MEMORY_BUDGET: u64 = 256 << 20;

/// Runs `n` cases from `seed`; panics with a list of the failures.
fn fuzz(seed: u64, n: usize) {
    mdsim_core::limits::set_memory_budget(Some(MEMORY_BUDGET));
    let corpus = corpus();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    let clock = Instant::now();
    for k in 0..n {
        let case = make_case(&corpus, &mut rng, k);
        std::fs::write(&case.input, &case.text).unwrap();
        for (p, t) in &case.extra {
            std::fs::write(p, t).unwrap();
        }
        // Printed first: if a case aborts the process, the last line names it.
        eprintln!("case {k}: {}", case.edits.join("; "));
        let (tx, rx) = mpsc::channel();
        let input = case.input.clone();
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(|| exercise(&input));
            let _ = tx.send(r);
        });
        let finding = match rx.recv_timeout(TIME_LIMIT) {
            Ok(Ok(Ok(outcome))) => {
                counts[outcome as usize] += 1;
                None
            }
            Ok(Ok(Err(m))) => Some(m),
            Ok(Err(panic)) => Some(format!(
                "panic: {}",
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("?")
            )),
            Err(_) => Some(format!("no answer within {TIME_LIMIT:?} (hang)")),
        };
        if let Some(f) = finding {
            let keep = std::env::temp_dir().join(format!("mdsim-fuzz-failures/seed{seed}-case{k}"));
            let _ = std::fs::create_dir_all(&keep);
            let _ = std::fs::write(keep.join("input.ron"), &case.text);
            for (p, t) in &case.extra {
                let _ = std::fs::write(keep.join(p.file_name().unwrap()), t);
            }
            failures.push(format!(
                "case {k} ({}): {f} [kept in {}]",
                case.edits.join("; "),
                keep.display()
            ));
        }
        let _ = std::fs::remove_file(&case.input);
        for (p, _) in &case.extra {
            let _ = std::fs::remove_file(p);
        }
    }
    eprintln!(
        "{n} cases in {:.1} s: {} refused, {} loaded only (large), {} stepped, {} failed",
        clock.elapsed().as_secs_f64(),
        counts[0],
        counts[1],
        counts[2],
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fuzz_inputs() {
    fuzz(20_260_101, 300);
}

#[test]
#[ignore = "long fuzzing run: MDSIM_FUZZ_CASES (20000) cases from MDSIM_FUZZ_SEED (1)"]
fn fuzz_inputs_long() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    fuzz(
        env("MDSIM_FUZZ_SEED", 1),
        env("MDSIM_FUZZ_CASES", 20_000) as usize,
    );
}
