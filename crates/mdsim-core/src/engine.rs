//! The engine: a system, its force field and neighbour list, and the integrators that move it.

use crate::cell::Cell;
use crate::coulomb::{Coulomb, CoulombParams, CoulombSummary, TABLE_ERROR_FRACTION};
use crate::forces::{pair_forces, ForceWorkspace};
use crate::neighbor::{NeighborList, NeighborListState};
use crate::pair::{GeneralKernel, LjKernel, PairPotential};
use crate::safety::{HardMinimum, Violation};
use crate::system::System;
use crate::tabulated::TabulatedKernel;
use crate::thermostat::NoseHooverChain;
use crate::units::EV_TO_AMU_A2_PS2;
use serde::{Deserialize, Serialize};

/// Everything that produces forces: short-range pair terms and, for charged species,
/// Coulomb (real space in the pair pass, the long-range solver separately).
#[derive(Clone, Debug)]
pub struct ForceField {
    pub pair: PairPotential,
    /// Coulomb method and parameters, when any species is charged.
    pub coulomb: Option<CoulombParams>,
    short_range: ShortRange,
    /// Why a charged system's pair loop runs without tables (for the run header).
    tables_off: Option<&'static str>,
}

/// The pair kernel: a specialised one for pure Lennard-Jones, tables for charged systems
/// (when they meet the accuracy), a general sum of terms else.
#[derive(Clone, Debug)]
enum ShortRange {
    LennardJones(LjKernel),
    Tabulated(TabulatedKernel),
    General(GeneralKernel),
}

impl ForceField {
    /// `species_charges` (e) are used only with `coulomb`.
    pub fn new(
        pair: PairPotential,
        coulomb: Option<CoulombParams>,
        species_charges: &[f64],
    ) -> Self {
        let mut tables_off = None;
        let short_range = match (coulomb, LjKernel::from_potential(&pair)) {
            (None, Some(lj)) => ShortRange::LennardJones(lj),
            (None, None) => ShortRange::General(GeneralKernel::new(&pair, None)),
            (Some(params), _) => {
                let real = params.real_space();
                let max_error = TABLE_ERROR_FRACTION * params.table_accuracy();
                let tables = match real.table() {
                    None => Err("the Coulomb table cannot meet the accuracy"),
                    Some(_) => TabulatedKernel::new(&pair, &real, species_charges, max_error)
                        .ok_or("a pair table cannot meet the accuracy"),
                };
                match tables {
                    Ok(k) => ShortRange::Tabulated(k),
                    Err(why) => {
                        tables_off = Some(why);
                        ShortRange::General(GeneralKernel::new(
                            &pair,
                            Some((real, species_charges)),
                        ))
                    }
                }
            }
        };
        Self {
            pair,
            coulomb,
            short_range,
            tables_off,
        }
    }

    /// The Coulomb method and parameters, and whether the pair loop runs from tables (their
    /// size and error, or why not), for the run header and results.json; `None` without
    /// charges.
    pub fn coulomb_summary(&self, n_atoms: usize, cell: &Cell) -> Option<CoulombSummary> {
        let mut summary = self.coulomb.as_ref()?.summary(n_atoms, cell);
        match self.tables() {
            Some(t) => {
                summary.pair_tables_kB = Some(t.table_bytes() / 1024);
                summary.pair_tables_max_relative_force_error = Some(t.max_relative_force_error);
            }
            None => summary.pair_tables_off_because = self.tables_off,
        }
        Some(summary)
    }

    /// The same force field with the pair loop on the exact kernel (erfc, exp) instead of
    /// tables: the reference the tables are tested against.
    pub fn without_tables(mut self) -> Self {
        if let ShortRange::Tabulated(k) = &self.short_range {
            self.short_range = ShortRange::General(k.exact().clone());
        }
        if self.coulomb.is_some() {
            self.tables_off = Some("tables: false");
        }
        self
    }

    /// The tabulated pair kernel, when the pair loop uses it.
    pub fn tables(&self) -> Option<&TabulatedKernel> {
        match &self.short_range {
            ShortRange::Tabulated(k) => Some(k),
            _ => None,
        }
    }

    /// The longest interaction range (short-range terms and real-space Coulomb), Å.
    pub fn cutoff(&self) -> f64 {
        let real = self.coulomb.map_or(0.0, |p| p.real_cutoff());
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

    /// Coulomb energy, eV.
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
    /// The pairs that could come inside the hard minima before the next build of `nlist`
    /// (see [`Self::watch_hard_minimum`]).
    close: Option<NeighborList>,
    workspace: ForceWorkspace,
    /// The long-range Coulomb solver and the charge of every atom, for charged systems.
    coulomb: Option<(Coulomb, Vec<f64>)>,
    energies: Energies,
    /// Whether `energies` belong to the current configuration.
    energies_current: bool,
}

impl Engine {
    /// Sets up the engine and computes the initial forces.
    pub fn new(system: System, force_field: ForceField, skin: f64) -> Self {
        let nlist = NeighborList::new(force_field.cutoff(), skin);
        let coulomb = force_field
            .coulomb
            .map(|p| (Coulomb::new(&p, &system.cell), system.charges()));
        let mut engine = Self {
            system,
            force_field,
            nlist,
            close: None,
            workspace: ForceWorkspace::default(),
            coulomb,
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
        self.coulomb.as_ref().map_or(0, |(c, _)| c.n_kvectors())
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
            self.build_close_pairs();
        }
        let s = &mut self.system;
        s.forces.iter_mut().for_each(|f| *f = [0.0; 3]);
        let (nl, ws) = (&self.nlist, &mut self.workspace);
        let (x, t, f) = (&s.positions, &s.types, &mut s.forces);
        let pair = match &self.force_field.short_range {
            ShortRange::LennardJones(k) => pair_forces(k, nl, x, t, f, ws, with_energy),
            ShortRange::Tabulated(k) => pair_forces(k, nl, x, t, f, ws, with_energy),
            ShortRange::General(k) => pair_forces(k, nl, x, t, f, ws, with_energy),
        };
        let mut e = Energies {
            short_range: pair.short_range,
            coulomb_real: pair.coulomb_real,
            virial: pair.virial,
            ..Energies::default()
        };
        if let Some((coulomb, charges)) = &mut self.coulomb {
            let recip = coulomb.reciprocal(&s.cell, x, charges, f, with_energy);
            e.coulomb_reciprocal = recip.energy;
            e.coulomb_self = coulomb.self_energy(charges);
            for (v, w) in e.virial.iter_mut().zip(recip.virial) {
                *v += w;
            }
        }
        self.energies = e;
        self.energies_current = with_energy;
    }

    /// The pair of atoms furthest inside its hard minimum distance, if any (the minima must
    /// not exceed the cutoff: only listed pairs are examined). Cheap enough for every step
    /// after [`Self::watch_hard_minimum`].
    pub fn hard_minimum_violation(&self, minimum: &HardMinimum) -> Option<Violation> {
        let list = self.close_pairs().unwrap_or(&self.nlist);
        minimum.worst_violation(list, &self.system.positions, &self.system.types)
    }

    /// Keeps, from now on, a second list of the pairs within `minimum.largest()` + skin,
    /// built from the same positions as the neighbour list each time that is built. No atom
    /// moves more than skin/2 between builds, so every pair that comes inside a minimum is in
    /// it: checking the minima costs a pass over a handful of pairs instead of all of them.
    /// The neighbour list and the forces are untouched (the trajectory keeps its bits).
    pub fn watch_hard_minimum(&mut self, minimum: &HardMinimum) {
        let d = minimum.largest();
        self.close = (d > 0.0).then(|| NeighborList::new(d, self.nlist.skin()));
        self.build_close_pairs();
    }

    /// The list of [`Self::watch_hard_minimum`], if kept.
    pub fn close_pairs(&self) -> Option<&NeighborList> {
        self.close.as_ref()
    }

    fn build_close_pairs(&mut self) {
        if let Some(close) = &mut self.close {
            close.build(&self.system.cell, self.nlist.reference_positions());
        }
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

/// Everything that decides the engine's next steps, bit for bit (its checkpoint state,
/// STYLE.md §2): the dynamic state of the system and the neighbour list's reference. The
/// forces are kept (not recomputed) because the next step starts with a kick by them.
/// Units: Å, Å/ps, eV/Å.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// Lattice vectors a, b, c (Å).
    pub cell: [[f64; 3]; 3],
    pub positions: Vec<[f64; 3]>,
    pub velocities: Vec<[f64; 3]>,
    pub forces: Vec<[f64; 3]>,
    pub images: Vec<[i64; 3]>,
    pub neighbor_list: NeighborListState,
}

impl Engine {
    /// Its checkpoint state.
    pub fn state(&self) -> EngineState {
        let s = &self.system;
        EngineState {
            cell: [0, 1, 2].map(|k| s.cell.vector(k)),
            positions: s.positions.clone(),
            velocities: s.velocities.clone(),
            forces: s.forces.clone(),
            images: s.images.clone(),
            neighbor_list: self.nlist.state(),
        }
    }

    /// Continues from `state`, saved by [`Engine::state`] of an engine built from the same
    /// input. Energies are not restored: the next step computes them when asked.
    ///
    /// # Errors
    /// A sentence saying why the state does not fit this engine (atom count, cell).
    pub fn restore(&mut self, state: EngineState) -> Result<(), String> {
        let n = self.system.n_atoms();
        let counts = [
            state.positions.len(),
            state.velocities.len(),
            state.forces.len(),
            state.images.len(),
            state.neighbor_list.reference.len(),
        ];
        if counts.iter().any(|&c| c != n) {
            return Err(format!(
                "it holds {} atoms, the input {n}",
                state.positions.len()
            ));
        }
        // The cell is constant in every ensemble mdsim has (no barostat yet).
        if [0, 1, 2].map(|k| self.system.cell.vector(k)) != state.cell {
            return Err("its cell differs from the input's".into());
        }
        let s = &mut self.system;
        s.positions = state.positions;
        s.velocities = state.velocities;
        s.forces = state.forces;
        s.images = state.images;
        self.nlist.restore(&s.cell, state.neighbor_list);
        self.build_close_pairs();
        self.energies_current = false;
        Ok(())
    }
}
