"""A synthetic run folder with a known answer, for `crosscheck_kinisi_stacie.py --self-test`.

64 Li (+1) among 32 O (-2) fixed on a lattice, in a 20 A cube at 1000 K, 1 fs steps. Each Li
velocity component is an independent AR(1) (Ornstein-Uhlenbeck) sequence, v_{k+1} = a v_k +
noise with a = exp(-dt/tau), variance s^2, and positions follow the trapezoid rule
x_{k+1} = x_k + (v_k + v_{k+1}) dt/2, so that int J dt = Omega dP as for velocity Verlet.
Then D = dt s^2 (1+a) / (2 (1-a)) exactly (the sum of the increments' autocovariance), close
to s^2 tau = 0.1 A^2/ps, and the ions are independent: sigma = sigma_tr = N q^2 e^2 D /
(V k_B T). The folder holds what mdsim writes and the cross-check reads: trajectory.xyz
(wrapped positions, a frame every 20 steps), polarization.csv, current.csv (J = sum q v) and a
results.json whose mdsim values are the exact answer with zero error, so that each row's z
measures the tool alone.
"""
import json

import numpy as np

N_LI, N_O, BOX_A, T_K, DT_PS = 64, 32, 20.0, 1000.0, 0.001
TAU_PS, V2_A2_PS2 = 0.05, 2.0  # velocity relaxation time and <v_x^2>: D ~ 0.1 A^2/ps
FRAME_EVERY = 20


def write(folder, steps, nernst_einstein_s_cm, seed=7):
    """Writes the run into `folder` (which exists); returns the exact D* and sigma."""
    rng = np.random.default_rng(seed)
    n = N_LI + N_O
    i = np.arange(N_O)
    lattice_o = np.stack([i % 4 + 0.5, i // 4 % 4 + 0.5, (i // 16 + 0.5) * 2], axis=1)
    start = np.vstack([rng.uniform(0, BOX_A, (N_LI, 3)), lattice_o * (BOX_A / 4)])
    a = np.exp(-DT_PS / TAU_PS)
    noise = rng.normal(0.0, np.sqrt(V2_A2_PS2 * (1 - a * a)), (steps, N_LI, 3))
    v = np.empty((steps + 1, N_LI, 3))
    v[0] = rng.normal(0.0, np.sqrt(V2_A2_PS2), (N_LI, 3))
    for k in range(steps):
        v[k + 1] = a * v[k] + noise[k]
    disp = np.zeros((steps + 1, n, 3))
    disp[1:, :N_LI] = np.cumsum(0.5 * (v[1:] + v[:-1]) * DT_PS, axis=0)
    d_a2_ps = DT_PS * V2_A2_PS2 * (1 + a) / (2 * (1 - a))
    q = np.array([1.0] * N_LI + [-2.0] * N_O)
    volume = BOX_A ** 3
    m = np.einsum("tad,a->td", disp, q)
    t = np.arange(steps + 1) * DT_PS

    j = v.sum(axis=1)  # Li charge +1; the O do not move
    for name, header, v in (
            ("polarization.csv", "dP_x_e_per_A2,dP_y_e_per_A2,dP_z_e_per_A2", m / volume),
            ("current.csv", "J_x_e_A_per_ps,J_y_e_A_per_ps,J_z_e_A_per_ps", j)):
        table = np.column_stack([np.arange(steps + 1), t, v])
        np.savetxt(folder / name, table, fmt=["%d"] + ["%.17g"] * 4, delimiter=",",
                   header=f"step,time_ps,{header}", comments="")
    symbols = ["Li"] * N_LI + ["O"] * N_O
    lattice = f'Lattice="{BOX_A} 0 0 0 {BOX_A} 0 0 0 {BOX_A}"'
    with open(folder / "trajectory.xyz", "w") as f:
        for k in range(0, steps + 1, FRAME_EVERY):
            pos = np.mod(start + disp[k], BOX_A)
            f.write(f"{n}\n{lattice} Properties=species:S:1:pos:R:3 pbc=\"T T T\" "
                    f"Step={k} Time={t[k]:g}\n")
            for s, p in zip(symbols, pos):
                f.write(f"{s} {p[0]:.8f} {p[1]:.8f} {p[2]:.8f}\n")

    d_cm2_s = d_a2_ps * 1e-4
    sigma = nernst_einstein_s_cm(N_LI, 1.0, d_cm2_s, volume, T_K)
    exact = lambda v: {"value": v, "stderr": 0.0}  # noqa: E731
    window = {"start_ps": 1.0, "end_ps": 5.0}
    species = [{"species": "Li", "window": window, "diffusion_cm2_s": exact(d_cm2_s)}]
    results = {
        "status": "completed", "timestep_ps": DT_PS, "steps": steps, "production_steps": steps,
        "transport": {
            "conductivity_S_cm": exact(sigma), "conductivity_tracer_S_cm": exact(sigma),
            "conductivity": {
                "temperature_k": T_K, "volume_a3": volume,
                "charges": [{"species": "Li", "charge_e": 1.0, "diffusing": True},
                            {"species": "O", "charge_e": -2.0, "diffusing": False}],
                "species": species,
                "conductivity_einstein": {"s_cm": exact(sigma), "window": window},
                "conductivity_green_kubo": {"s_cm": exact(sigma), "integrated_to_ps": 1.0},
            },
        },
    }
    (folder / "results.json").write_text(json.dumps(results, indent=1))
    return d_cm2_s, sigma
