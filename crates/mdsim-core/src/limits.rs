//! Size limits, so that an input with absurd numbers (a repeat of 10¹¹ cells, a duration of
//! 10³⁰⁰ ps) is refused with a message before anything is allocated or run.

use std::sync::atomic::{AtomicU64, Ordering};

/// Most atoms a system may hold: the neighbour list stores atom indices as `u32`.
pub const MAX_ATOMS: u64 = 1 << 31;

/// Least memory one atom needs during a run, in bytes, before any pair list: the state
/// (positions, velocities, forces, image counters, masses, types: 112 bytes) twice (the loaded
/// set-up and the engine), the neighbour list's reference and binned positions and bin indices
/// (60), the force buffer (24) and the unwrapped positions of the MSD (24).
pub const BYTES_PER_ATOM: u64 = 400;

/// Bytes per stored pair of the neighbour list (a `u32` partner and a `u16` image).
pub const BYTES_PER_PAIR: u64 = 6;

/// Most MD (or minimisation) steps of one input: 10¹² steps take 11 days at 10⁶ steps/s, far
/// beyond any run of this engine; larger counts are typos or unit mistakes.
pub const MAX_STEPS: u64 = 1_000_000_000_000;

/// A lower memory budget set by [`set_memory_budget`] (bytes; 0 = none).
static BUDGET: AtomicU64 = AtomicU64::new(0);

/// Lowers the memory an input may ask for below the machine's, for the whole process (tests
/// and fuzzing use it so that large but valid inputs are refused instead of built); `None`
/// returns to the machine's memory.
pub fn set_memory_budget(bytes: Option<u64>) {
    BUDGET.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// The memory an input may ask for: the machine's ([`memory_of_machine`]) or the lower
/// budget set by [`set_memory_budget`]; `None` when neither is known.
pub fn memory_budget() -> Option<u64> {
    let budget = BUDGET.load(Ordering::Relaxed);
    match (memory_of_machine(), budget) {
        (m, 0) => m,
        (Some(m), b) => Some(m.min(b)),
        (None, b) => Some(b),
    }
}

/// The memory of this machine (RAM plus swap, bytes), where the system says it (Linux:
/// /proc/meminfo); `None` elsewhere.
pub fn memory_of_machine() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kb.checked_mul(1024)
    };
    let ram = field("MemTotal:")?;
    Some(ram.saturating_add(field("SwapTotal:").unwrap_or(0)))
}

/// A byte count for people: "1.4 PB", "23.5 GB", "512 B".
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut x = bytes;
    let mut unit = 0;
    while x >= 1000.0 && unit + 1 < UNITS.len() {
        x /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{x:.0} B")
    } else if x.is_finite() {
        format!("{x:.1} {}", UNITS[unit])
    } else {
        "more than 10¹⁸ B".into()
    }
}

/// Checks that `bytes` (an estimate for `what`) fit in this machine's memory; the error is a
/// sentence that ends with `what to do`.
pub fn check_memory(what: &str, bytes: f64, what_to_do: &str) -> Result<(), String> {
    match memory_budget() {
        Some(m) if bytes > m as f64 => Err(format!(
            "{what} would need at least {} of memory, more than {} ({}); {what_to_do}",
            format_bytes(bytes),
            if BUDGET.load(Ordering::Relaxed) == 0 {
                "this machine has"
            } else {
                "the budget set for this process"
            },
            format_bytes(m as f64)
        )),
        _ => Ok(()),
    }
}

/// Checks a number of atoms (`None`: the count overflowed) against [`MAX_ATOMS`] and the
/// machine's memory. `counted` says how the number came about, e.g. "3 × 99999999999 × 3
/// cells of 4 atoms".
pub fn check_atoms(n: Option<u64>, counted: &str, what_to_do: &str) -> Result<(), String> {
    let too_many = |n: String, bytes: String| {
        Err(format!(
            "{counted} make {n} atoms, which would need at least {bytes} of memory; mdsim takes at most {MAX_ATOMS} atoms; {what_to_do}"
        ))
    };
    match n {
        None => too_many("more than 10¹⁹".into(), format_bytes(f64::INFINITY)),
        Some(n) if n > MAX_ATOMS => too_many(
            format!("{n} ({n:.1e})"),
            format_bytes(n as f64 * BYTES_PER_ATOM as f64),
        ),
        Some(n) => check_memory(
            &format!("{counted} make {n} atoms, which"),
            n as f64 * BYTES_PER_ATOM as f64,
            what_to_do,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(2.35e10), "23.5 GB");
        assert_eq!(format_bytes(1.44e15), "1.4 PB");
    }

    #[test]
    fn absurd_counts_are_refused() {
        let e = check_atoms(
            Some(3_600_000_000_000),
            "3 × 99999999999 × 3 cells of 4 atoms",
            "check `repeat`",
        )
        .unwrap_err();
        assert!(e.contains("3600000000000 (3.6e12) atoms"), "{e}");
        assert!(e.contains("1.4 PB"), "{e}");
        assert!(e.contains("check `repeat`"), "{e}");
        assert!(check_atoms(None, "x", "y").is_err());
        assert!(check_atoms(Some(1000), "x", "y").is_ok());
    }
}
