//! The tabulated pair kernel (crates/mdsim-core/src/tabulated.rs) against the exact kernel
//! (erfc, exp) on the 2,970-ion model cell (inputs/lpso-0.75.ron) after 30 MD steps from
//! 600 K, with smooth PME (the default) and with plain Ewald, at 1e-5 and 1e-6: forces,
//! energies and virial agree far inside the requested accuracy (k_e·accuracy is the force
//! error the Coulomb sum itself may make).

#[path = "support/cli.rs"]
mod cli;

use mdsim_core::coulomb::{self, Method};
use mdsim_core::units::COULOMB_EV_A;
use mdsim_core::{velocities, Engine, ForceField};

/// (RMS force difference / k_e, largest force difference / k_e, energy difference in eV,
/// largest virial difference in eV) between the tables and the exact kernel.
fn compare(method: Method, accuracy: f64) -> (f64, f64, f64, f64) {
    let setup = mdsim_io::load(&cli::root().join("inputs/lpso-0.75.ron")).unwrap();
    let mut system = setup.system.clone();
    velocities::maxwell_boltzmann(&mut system, 600.0, 7);
    let (charges, species_charges) = (system.charges(), system.species_charges());
    let pair = setup.force_field.pair.clone();
    let params = coulomb::choose(
        method,
        accuracy,
        None,
        pair.max_cutoff(),
        &system.cell,
        &system.positions,
        &charges,
    )
    .unwrap();
    let ff = ForceField::new(pair, Some(params), &species_charges);
    assert!(ff.tables().is_some(), "{method:?} {accuracy:e}: no tables");
    let skin = setup.input.neighbor.skin;
    let mut tables = Engine::new(system, ff.clone(), skin);
    for _ in 0..30 {
        tables.step(0.001, None, false);
    }
    let mut exact = Engine::new(tables.system.clone(), ff.without_tables(), skin);
    let (et, ee) = (*tables.energies(), *exact.energies());
    let (ft, fe) = (&tables.system.forces, &exact.system.forces);
    let (mut sum, mut max): (f64, f64) = (0.0, 0.0);
    for (a, b) in ft.iter().zip(fe) {
        let d2: f64 = (0..3).map(|c| (a[c] - b[c]).powi(2)).sum();
        sum += d2;
        max = max.max(d2.sqrt());
    }
    let rms = (sum / ft.len() as f64).sqrt();
    let virial = (0..6)
        .map(|k| (et.virial[k] - ee.virial[k]).abs())
        .fold(0.0, f64::max);
    let energy = (et.short_range - ee.short_range)
        .abs()
        .max((et.coulomb_real - ee.coulomb_real).abs());
    println!(
        "{method:?} {accuracy:e}: force difference RMS {:.2e}, max {:.2e} (/ k_e); energy \
         {energy:.2e} eV of {:.4e}; virial {virial:.2e} eV",
        rms / COULOMB_EV_A,
        max / COULOMB_EV_A,
        ee.potential()
    );
    (rms / COULOMB_EV_A, max / COULOMB_EV_A, energy, virial)
}

#[test]
fn tables_agree_with_the_exact_kernel_on_the_model_cell() {
    for (method, accuracy) in [
        (Method::Auto, 1e-5),
        (Method::Auto, 1e-6),
        (Method::Ewald, 1e-5),
    ] {
        let (rms, max, energy, virial) = compare(method, accuracy);
        assert!(
            rms < 1e-3 * accuracy && max < 1e-2 * accuracy,
            "{rms:e} {max:e}"
        );
        assert!(energy < 1e-5 && virial < 1e-4, "{energy:e} {virial:e}");
    }
}
