//! The engine: a system, its force field and neighbour list, and the integrators that move it.

use crate::coulomb::RealSpaceCoulomb;
use crate::ewald::{Ewald, EwaldParams};
use crate::forces::{pair_forces, ForceWorkspace};
use crate::neighbor::NeighborList;
use crate::pair::{GeneralKernel, LjKernel, PairPotential};
use crate::safety::{HardMinimum, Violation};
use crate::system::System;
use crate::thermostat::NoseHooverChain;
use crate::units::EV_TO_AMU_A2_PS2;

/// Everything that produces forces: short-range pair terms and, for charged species, Ewald
/// Coulomb (real space in the pair pass, reciprocal space separately).
#[derive(Clone, Debug)]
pub struct ForceField {
    pub pair: PairPotential,
    /// Ewald parameters, when any species is charged.
    pub ewald: Option<EwaldParams>,
    short_range: ShortRange,
}

/// The pair kernel: a specialised one for pure Lennard-Jones, a general sum of terms else.
#[derive(Clone, Debug)]
enum ShortRange {
    LennardJones(LjKernel),
    General(GeneralKernel),
}

impl ForceField {
    /// `species_charges` (e) are used only with `ewald`.
    pub fn new(pair: PairPotential, ewald: Option<EwaldParams>, species_charges: &[f64]) -> Self {
        let short_range = match (ewald, LjKernel::from_potential(&pair)) {
            (None, Some(lj)) => ShortRange::LennardJones(lj),
            _ => {
                let real = ewald.map(|p| {
                    (
                        RealSpaceCoulomb::new(p.alpha, p.real_cutoff),
                        species_charges,
                    )
                });
                ShortRange::General(GeneralKernel::new(&pair, real))
            }
        };
        Self {
            pair,
            ewald,
            short_range,
        }
    }

    /// The longest interaction range (short-range terms and real-space Coulomb), Å.
    pub fn cutoff(&self) -> f64 {
        let real = self.ewald.map_or(0.0, |p| p.real_cutoff);
        self.pair.max_cutoff().max(real)
    }
}

/// Energy terms of the current configuration, eV.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Energies {
    pub short_range: f64,
    pub coulomb_real: f64,
    pub coulomb_reciprocal: f64,
    pub coulomb_self: f64,
    /// Configurational virial Σ r_a f_b (eV), order xx, yy, zz, xy, xz, yz.
    pub virial: [f64; 6],
}

impl Energies {
    /// Potential energy, eV.
    pub fn potential(&self) -> f64 {
        self.short_range + self.coulomb()
    }

    /// Ewald Coulomb energy, eV.
    pub fn coulomb(&self) -> f64 {
        self.coulomb_real + self.coulomb_reciprocal + self.coulomb_self
    }
}

/// Cloning copies the whole state (neighbour list, Ewald tables, workspaces): the clone
/// continues bit for bit as the original would (twin trajectories, `mdsim divergence`).
#[derive(Clone)]
pub struct Engine {
    pub system: System,
    pub force_field: ForceField,
    nlist: NeighborList,
    workspace: ForceWorkspace,
    /// Reciprocal-space Ewald and the charge of every atom, for charged systems.
    ewald: Option<(Ewald, Vec<f64>)>,
    energies: Energies,
    /// Whether `energies` belong to the current configuration.
    energies_current: bool,
}

impl Engine {
    /// Sets up the engine and computes the initial forces.
    pub fn new(system: System, force_field: ForceField, skin: f64) -> Self {
        let nlist = NeighborList::new(force_field.cutoff(), skin);
        let ewald = force_field.ewald.map(|p| {
            let charges: Vec<f64> = system
                .types
                .iter()
                .map(|&t| system.species[t].charge)
                .collect();
            (Ewald::new(p, &system.cell), charges)
        });
        let mut engine = Self {
            system,
            force_field,
            nlist,
            workspace: ForceWorkspace::default(),
            ewald,
            energies: Energies::default(),
            energies_current: false,
        };
        engine.compute_forces(true);
        engine
    }

    /// Energies and virial of the current configuration. Steps taken with
    /// `with_energy = false` skip them; this then computes them (a force evaluation).
    pub fn energies(&mut self) -> &Energies {
        if !self.energies_current {
            self.compute_forces(true);
        }
        &self.energies
    }

    /// Energies and virial of the current configuration if they were computed with it (a
    /// step taken with `with_energy`), without computing them.
    pub fn current_energies(&self) -> Option<&Energies> {
        self.energies_current.then_some(&self.energies)
    }

    /// Number of reciprocal vectors of the Ewald sum (0 without Coulomb).
    pub fn n_kvectors(&self) -> usize {
        self.ewald.as_ref().map_or(0, |(e, _)| e.n_kvectors())
    }

    pub fn neighbor_list(&self) -> &NeighborList {
        &self.nlist
    }

    /// Recomputes forces, and energies and virial when `with_energy`, rebuilding the
    /// neighbour list (and wrapping atoms back into the cell) when an atom has moved more than
    /// half the skin.
    pub fn compute_forces(&mut self, with_energy: bool) {
        if self.nlist.needs_rebuild(&self.system.positions) {
            self.system.wrap_positions();
            self.nlist.build(&self.system.cell, &self.system.positions);
        }
        let s = &mut self.system;
        s.forces.iter_mut().for_each(|f| *f = [0.0; 3]);
        let (nl, ws) = (&self.nlist, &mut self.workspace);
        let (x, t, f) = (&s.positions, &s.types, &mut s.forces);
        let pair = match &self.force_field.short_range {
            ShortRange::LennardJones(k) => pair_forces(k, nl, x, t, f, ws, with_energy),
            ShortRange::General(k) => pair_forces(k, nl, x, t, f, ws, with_energy),
        };
        let mut e = Energies {
            short_range: pair.short_range,
            coulomb_real: pair.coulomb_real,
            virial: pair.virial,
            ..Energies::default()
        };
        if let Some((ewald, charges)) = &mut self.ewald {
            let recip = ewald.reciprocal(&s.cell, x, charges, f, with_energy);
            e.coulomb_reciprocal = recip.energy;
            e.coulomb_self = ewald.self_energy(charges);
            for (v, w) in e.virial.iter_mut().zip(recip.virial) {
                *v += w;
            }
        }
        self.energies = e;
        self.energies_current = with_energy;
    }

    /// The pair of atoms furthest inside its hard minimum distance, if any (the minima must
    /// not exceed the cutoff: only listed pairs are examined).
    pub fn hard_minimum_violation(&self, minimum: &HardMinimum) -> Option<Violation> {
        minimum.worst_violation(&self.nlist, &self.system.positions, &self.system.types)
    }

    /// Pressure tensor in eV/Å³ (order xx, yy, zz, xy, xz, yz).
    pub fn pressure_tensor(&mut self) -> [f64; 6] {
        let vir = self.energies().virial;
        let kin = self.system.kinetic_tensor();
        let v = self.system.cell.volume();
        std::array::from_fn(|k| (kin[k] + vir[k]) / v)
    }

    /// Scalar pressure in eV/Å³.
    pub fn pressure(&mut self) -> f64 {
        let p = self.pressure_tensor();
        (p[0] + p[1] + p[2]) / 3.0
    }

    /// One velocity-Verlet step of length `dt` (ps), NVE, or NVT with a Nosé–Hoover chain
    /// applied for half a step before and after. `with_energy` computes the energies and
    /// virial of the new configuration along with the forces (cheaper than asking later).
    pub fn step(
        &mut self,
        dt: f64,
        mut thermostat: Option<&mut NoseHooverChain>,
        with_energy: bool,
    ) {
        if let Some(nh) = thermostat.as_deref_mut() {
            nh.half_step(&mut self.system, dt);
        }
        self.kick(0.5 * dt);
        for (x, v) in self
            .system
            .positions
            .iter_mut()
            .zip(&self.system.velocities)
        {
            x[0] += dt * v[0];
            x[1] += dt * v[1];
            x[2] += dt * v[2];
        }
        self.compute_forces(with_energy);
        self.kick(0.5 * dt);
        if let Some(nh) = thermostat {
            nh.half_step(&mut self.system, dt);
        }
    }

    /// v += (F/m) Δt.
    fn kick(&mut self, dt: f64) {
        let s = &mut self.system;
        for ((v, f), &m) in s.velocities.iter_mut().zip(&s.forces).zip(&s.masses) {
            let c = dt * EV_TO_AMU_A2_PS2 / m;
            v[0] += c * f[0];
            v[1] += c * f[1];
            v[2] += c * f[2];
        }
    }
}
