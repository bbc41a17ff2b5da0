//! `mdsim energy` and `mdsim check`.

use crate::output::{prepare_output_dir, write_atomic, TextWriter};
use crate::provenance::sha256_hex;
use crate::report::coulomb_summary;
use anyhow::Result;
use mdsim_core::coulomb::CoulombSummary;
use mdsim_core::units::EV_PER_A3_TO_BAR;
use mdsim_core::Engine;
use mdsim_io::input::EnsembleInput;
use mdsim_io::Setup;
use serde::Serialize;
use std::path::Path;

/// Energy by component, pressure and forces of the input structure (like LAMMPS `run 0`).
pub fn energy(setup: Setup, output: Option<&Path>) -> Result<()> {
    let dir = prepare_output_dir(output, &setup.path)?;
    let mut engine = Engine::new(
        setup.system.clone(),
        setup.force_field.clone(),
        setup.input.neighbor.skin,
    );
    let e = *engine.energies();
    let p = engine.pressure_tensor().map(|x| x * EV_PER_A3_TO_BAR);
    let s = &engine.system;
    let n = s.n_atoms() as f64;
    let tail = engine
        .force_field
        .pair
        .tail_correction(&s.species_counts(), s.cell.volume())
        .filter(|t| t.energy != 0.0);
    println!(
        "{}: {} atoms, volume {:.6} Å³",
        setup.path.display(),
        s.n_atoms(),
        s.cell.volume()
    );
    let line =
        |name: &str, x: f64| println!("  {name:<20} {x:>22.12} eV   {:>18.12} eV/atom", x / n);
    line("short-range pairs", e.short_range);
    if let Some(c) = coulomb_summary(&engine) {
        println!("  {c}");
        line("Coulomb real space", e.coulomb_real);
        line("Coulomb reciprocal", e.coulomb_reciprocal);
        line("Coulomb self", e.coulomb_self);
    }
    line("potential total", e.potential());
    println!("  kinetic              {:>22.12} eV", s.kinetic_energy());
    if let Some(tail) = tail {
        println!(
            "  tail correction      {:>22.12} eV   (not included above)",
            tail.energy
        );
    }
    println!(
        "  pressure             {:>22.6} bar (with the kinetic part of the input velocities)",
        (p[0] + p[1] + p[2]) / 3.0
    );
    println!(
        "  pressure tensor xx yy zz xy xz yz (bar): {:.6} {:.6} {:.6} {:.6} {:.6} {:.6}",
        p[0], p[1], p[2], p[3], p[4], p[5]
    );
    let mut w = TextWriter::create(dir.join("forces.csv"))?;
    w.line("atom,species,fx_eV_per_A,fy_eV_per_A,fz_eV_per_A")?;
    for (i, f) in s.forces.iter().enumerate() {
        w.line(&format!(
            "{i},{},{:.17e},{:.17e},{:.17e}",
            s.species[s.types[i]].name, f[0], f[1], f[2]
        ))?;
    }
    w.flush()?;
    let json = EnergyJson {
        mdsim_version: env!("CARGO_PKG_VERSION"),
        input_file: setup.path.display().to_string(),
        input_sha256: sha256_hex(setup.text.as_bytes()),
        n_atoms: s.n_atoms(),
        volume_A3: s.cell.volume(),
        cell_A: [0, 1, 2].map(|k| s.cell.vector(k)),
        energy_eV: EnergyTerms {
            short_range: e.short_range,
            coulomb_real: e.coulomb_real,
            coulomb_reciprocal: e.coulomb_reciprocal,
            coulomb_self: e.coulomb_self,
            potential: e.potential(),
            kinetic: s.kinetic_energy(),
            tail_correction: tail.map(|t| t.energy),
        },
        pressure_bar: (p[0] + p[1] + p[2]) / 3.0,
        pressure_tensor_bar: p,
        virial_eV: e.virial,
        coulomb: coulomb_summary(&engine),
        forces_file: "forces.csv",
        warnings: setup.warnings.clone(),
    };
    write_atomic(
        &dir.join("energy.json"),
        serde_json::to_string_pretty(&json)?.as_bytes(),
    )?;
    println!(
        "  forces written to {}, everything above to {}",
        dir.join("forces.csv").display(),
        dir.join("energy.json").display()
    );
    Ok(())
}

/// energy.json: the single point, machine-readable (units in the field names; the pressure
/// includes the kinetic part of the input velocities; the tail correction is not included in
/// `potential`).
#[allow(non_snake_case)]
#[derive(Serialize)]
struct EnergyJson {
    mdsim_version: &'static str,
    input_file: String,
    input_sha256: String,
    n_atoms: usize,
    volume_A3: f64,
    /// Cell vectors a, b, c (rows), Å.
    cell_A: [[f64; 3]; 3],
    energy_eV: EnergyTerms,
    pressure_bar: f64,
    /// xx, yy, zz, xy, xz, yz.
    pressure_tensor_bar: [f64; 6],
    /// Configurational virial Σ r_a f_b, eV (xx, yy, zz, xy, xz, yz).
    virial_eV: [f64; 6],
    #[serde(skip_serializing_if = "Option::is_none")]
    coulomb: Option<CoulombSummary>,
    forces_file: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct EnergyTerms {
    short_range: f64,
    coulomb_real: f64,
    coulomb_reciprocal: f64,
    coulomb_self: f64,
    potential: f64,
    kinetic: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tail_correction: Option<f64>,
}

/// Prints what would be run.
pub fn check(setup: &Setup) {
    let s = &setup.system;
    let input = &setup.input;
    println!("{}: OK", setup.path.display());
    if !input.title.is_empty() {
        println!("  {}", input.title);
    }
    let counts = s.species_counts();
    let composition: Vec<String> = s
        .species
        .iter()
        .zip(&counts)
        .map(|(sp, c)| format!("{c} {}", sp.name))
        .collect();
    println!(
        "  {} atoms ({}), cell volume {:.4} Å³",
        s.n_atoms(),
        composition.join(", "),
        s.cell.volume()
    );
    println!(
        "  force field: cutoff {} Å, skin {} Å",
        setup.force_field.cutoff(),
        input.neighbor.skin
    );
    if let Some(c) = setup.force_field.coulomb_summary(s.n_atoms(), &s.cell) {
        println!("  {c}");
    }
    if let Some(m) = &input.minimize {
        println!(
            "  minimisation (FIRE) to a largest force of {} eV/Å, at most {} steps",
            m.force_tolerance, m.max_steps
        );
    }
    if let Some(t) = input.initial_temperature {
        println!(
            "  initial velocities: Maxwell–Boltzmann at {t} K, seed {}",
            input.seed
        );
    }
    for (k, (stage, steps)) in input.stages.iter().zip(&setup.stage_steps).enumerate() {
        let ens = match stage.ensemble {
            EnsembleInput::Nve => "NVE".to_string(),
            EnsembleInput::Nvt {
                temperature,
                damping_ps,
                chain,
            } => {
                format!(
                    "NVT {temperature} K (Nosé–Hoover chain of {chain}, damping {damping_ps} ps)"
                )
            }
        };
        let name = if stage.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", stage.name)
        };
        println!(
            "  stage {}{name}: {ens}, {} ps = {steps} steps of {} ps{}",
            k + 1,
            stage.duration_ps,
            setup.timestep_ps,
            if stage.production { ", production" } else { "" }
        );
    }
    if !input.stages.iter().any(|s| s.production) {
        println!("  note: no stage has `production: true`, so no means, D, VACF or g(r) will be reported");
    }
}
