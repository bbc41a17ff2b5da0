//! Faults found by the input fuzzer (tests/fuzz_input.rs of mdsim-io), one test each.

use mdsim_core::ewald::{Ewald, EwaldParams};
use mdsim_core::Cell;

/// A cell 6000 Å long in one direction (a typo in a cell length) needs k-vector indices up to
/// ~1700 along it and ~10 along the others. The k-space set-up enumerated the cube of the
/// largest index in every direction (2·10¹⁰ candidates, minutes) instead of the box of the
/// indices plus the axes; the set is the half sphere either way.
#[test]
fn ewald_setup_of_a_long_cell_enumerates_the_box_only() {
    let cell = Cell::orthorhombic(11.28, 11.28, 6000.0).unwrap();
    let charges: Vec<f64> = (0..64)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let alpha = 0.3;
    let k_cutoff = 6.0 * alpha;
    let params = EwaldParams::explicit(alpha, 5.0, k_cutoff, &cell, &charges).unwrap();
    assert!(
        params.kmax[2] > 1500 && params.kmax[0] < 10,
        "{:?}",
        params.kmax
    );
    let ewald = Ewald::new(params, &cell);
    // Every k = 2π(n₀/a, n₁/b, n₂/c) of the half space (n₀, n₁, n₂) > 0 inside the sphere.
    let (a, b, c) = (11.28, 11.28, 6000.0);
    let tau = 2.0 * std::f64::consts::PI;
    let km = params.kmax;
    let mut count = 0;
    for n0 in 0..=km[0] {
        for n1 in -km[1]..=km[1] {
            for n2 in -km[2]..=km[2] {
                let k2 = (tau * n0 as f64 / a).powi(2)
                    + (tau * n1 as f64 / b).powi(2)
                    + (tau * n2 as f64 / c).powi(2);
                if (n0, n1, n2) > (0, 0, 0) && k2 <= k_cutoff * k_cutoff {
                    count += 1;
                }
            }
        }
    }
    assert_eq!(ewald.n_kvectors(), count);
}
