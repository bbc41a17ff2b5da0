//! Nosé–Hoover chain thermostat (Martyna–Tuckerman–Klein), integrated with the Trotter
//! splitting of LAMMPS `fix nvt` so that the extended energy is conserved to O(Δt²).

use crate::system::System;
use crate::units::BOLTZMANN_EV_K;
use serde::{Deserialize, Serialize};

/// The chain is its own checkpoint state (STYLE.md §2): every field is saved and restored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoseHooverChain {
    /// Target temperature, K.
    pub temperature: f64,
    /// Damping (relaxation) time, ps.
    pub damping: f64,
    /// Thermostat positions ξ_k (dimensionless), velocities (1/ps), forces (1/ps²), masses (eV·ps²).
    eta: Vec<f64>,
    eta_dot: Vec<f64>,
    eta_dotdot: Vec<f64>,
    mass: Vec<f64>,
    /// Sub-steps of each half step (LAMMPS `tloop`).
    substeps: usize,
    dof: f64,
}

impl NoseHooverChain {
    /// A chain of `length` thermostats for `dof` degrees of freedom.
    pub fn new(temperature: f64, damping: f64, length: usize, substeps: usize, dof: f64) -> Self {
        let kt = BOLTZMANN_EV_K * temperature;
        let omega2 = 1.0 / (damping * damping);
        let mut mass = vec![kt / omega2; length];
        mass[0] *= dof;
        let mut eta_dotdot = vec![0.0; length];
        for k in 1..length {
            eta_dotdot[k] = -kt / mass[k];
        }
        Self {
            temperature,
            damping,
            eta: vec![0.0; length],
            eta_dot: vec![0.0; length + 1],
            eta_dotdot,
            mass,
            substeps: substeps.max(1),
            dof,
        }
    }

    /// Moves the chain's state towards `reference`'s: ξ_k ← ξ_k^ref + factor·(ξ_k − ξ_k^ref), and
    /// the same for the velocities ξ̇_k. The tangent-vector renormalisation of a Lyapunov
    /// measurement (Benettin et al. 1980) scales the whole phase-space difference, the
    /// thermostat's coordinates included. Both chains must have the same length.
    pub fn pull_towards(&mut self, reference: &Self, factor: f64) {
        let pull = |x: &mut [f64], r: &[f64]| {
            for (x, r) in x.iter_mut().zip(r) {
                *x = r + factor * (*x - r);
            }
        };
        pull(&mut self.eta, &reference.eta);
        pull(&mut self.eta_dot, &reference.eta_dot);
    }

    /// Energy of the thermostat variables (eV); the conserved quantity is
    /// kinetic + potential + this.
    pub fn energy(&self) -> f64 {
        let kt = BOLTZMANN_EV_K * self.temperature;
        let mut e = self.dof * kt * self.eta[0] + 0.5 * self.mass[0] * self.eta_dot[0].powi(2);
        for k in 1..self.eta.len() {
            e += kt * self.eta[k] + 0.5 * self.mass[k] * self.eta_dot[k].powi(2);
        }
        e
    }

    /// Propagates the chain by Δt/2 and scales the velocities accordingly.
    pub fn half_step(&mut self, system: &mut System, dt: f64) {
        let m = self.eta.len();
        let kt = BOLTZMANN_EV_K * self.temperature;
        let ke_target = self.dof * kt;
        let mut ke2 = 2.0 * system.kinetic_energy();
        let f = 1.0 / self.substeps as f64;
        let (dt2, dt4, dt8) = (0.5 * dt * f, 0.25 * dt * f, 0.125 * dt * f);
        self.eta_dotdot[0] = (ke2 - ke_target) / self.mass[0];
        let mut scale = 1.0;
        for _ in 0..self.substeps {
            for k in (0..m).rev() {
                let e = libm::exp(-dt8 * self.eta_dot[k + 1]);
                self.eta_dot[k] = (self.eta_dot[k] * e + self.eta_dotdot[k] * dt4) * e;
            }
            let factor = libm::exp(-dt2 * self.eta_dot[0]);
            scale *= factor;
            ke2 *= factor * factor;
            self.eta_dotdot[0] = (ke2 - ke_target) / self.mass[0];
            for k in 0..m {
                self.eta[k] += dt2 * self.eta_dot[k];
            }
            for k in 0..m {
                let e = libm::exp(-dt8 * self.eta_dot[k + 1]);
                if k > 0 {
                    self.eta_dotdot[k] =
                        (self.mass[k - 1] * self.eta_dot[k - 1].powi(2) - kt) / self.mass[k];
                }
                self.eta_dot[k] = (self.eta_dot[k] * e + self.eta_dotdot[k] * dt4) * e;
            }
        }
        for v in &mut system.velocities {
            v[0] *= scale;
            v[1] *= scale;
            v[2] *= scale;
        }
    }
}
