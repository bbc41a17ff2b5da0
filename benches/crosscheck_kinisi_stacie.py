#!/usr/bin/env python3
"""Cross-check of mdsim's conductivity estimates against two independent tools.

On a finished `mdsim run` folder (trajectory.xyz, current.csv, results.json):

* kinisi (A. R. McCluskey et al., JCTC 2024; JOSS 2024) reads trajectory.xyz through its ASE
  parser and unwraps the positions itself:
  - DiffusionAnalyzer: tracer D* of each diffusing species, relative to the unweighted centre
    of the other atoms (kinisi's drift correction); Nernst-Einstein sigma_tr from it;
  - ConductivityAnalyzer on the diffusing species with its transport charge, drift-corrected:
    the mean-squared charge displacement |q sum_i (dr_i - dr_F)|^2, which is mdsim's
    collective |sum_all q_i dr_i|^2 up to bounded framework vibrations (kinisi 2.1.0 cannot
    take all ions with their own charges);
  each a Bayesian posterior (mean +- sd) of a generalised-least-squares straight-line fit
  with kinisi's model of the MSD covariance, once from the start of mdsim's fit window to
  half the production and once on mdsim's own window.
* STACIE (G. Toraman, D. Fauconnier, T. Verstraelen, 2025) fits the low-frequency power
  spectrum of the charge current J = sum q_i v_i of current.csv (every MD step, e.A/ps):
  sigma = 1/(3 V k_B T) int_0^inf <J(0).J(t)> dt. compute_spectrum's amplitudes are
  F h/(2N)|FFT|^2 averaged over the three components, so the prefactor F is 1/(V k_B T) with
  no 1/3 or 1/2; 1 e^2/(A ps eV) = 16.02176634 S/cm.

Two checks of mdsim's own files come first: the polarisation Omega*dP (polarization.csv) must
equal sum q_i dr_i from kinisi's unwrapped trajectory at every frame (positions, wrapping,
frame times and charges), and the time integral of J (current.csv) must equal it too.

The table (printed, and written to crosscheck.json and crosscheck.md in the run folder) gives
each quantity from mdsim beside the tool's, their ratio and the difference in combined
standard errors z = (tool - mdsim)/sqrt(se_tool^2 + se_mdsim^2). Both come from the same
trajectory, so their errors are correlated and z understates a real disagreement.

--self-test runs all of it on synthetic data with a known answer (crosscheck_synthetic.py).

Usage: crosscheck_kinisi_stacie.py RUN_DIR [options] | --self-test  (normally through the .sh
beside it, which makes the virtual environment). --help lists the options.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

E_CHARGE_C = 1.602176634e-19  # exact (SI 2019)
K_B_J_PER_K = 1.380649e-23  # exact (SI 2019)
K_B_EV_PER_K = K_B_J_PER_K / E_CHARGE_C  # 8.617333262e-5, mdsim's constant
S_CM_PER_E2_PER_A_PS_EV = 16.02176634  # 1 e^2/(A ps eV) in S/cm


def fail(msg):
    sys.exit(f"error: {msg}")


# ---------------------------------------------------------------------------------------------
# The run folder


class Run:
    """What the cross-check needs from an mdsim run folder."""

    def __init__(self, folder):
        self.dir = Path(folder)
        for name in ("results.json", "trajectory.xyz", "current.csv", "polarization.csv"):
            if not (self.dir / name).is_file():
                fail(f"{self.dir}: no {name} (the run needs output.trajectory_every > 0 and "
                     "a production stage with the conductivity on)")
        self.results = json.loads((self.dir / "results.json").read_text())
        r = self.results
        if r.get("status") != "completed":
            fail(f"{self.dir}/results.json: status is {r.get('status')!r}, not 'completed'")
        transport = r.get("transport") or {}
        self.report = transport.get("conductivity")
        if not self.report:
            fail(f"{self.dir}/results.json: no transport.conductivity section "
                 "(uncharged model, or a production too short for the conductivity)")
        self.transport = transport
        self.timestep_ps = float(r["timestep_ps"])
        self.production_steps = int(r["production_steps"])
        # Production stages are the last ones (docs/input.md), so production starts here.
        self.production_start = int(r["steps"]) - self.production_steps
        self.temperature_k = float(self.report["temperature_k"])
        self.volume_a3 = float(self.report["volume_a3"])
        self.charges = {c["species"]: float(c["charge_e"]) for c in self.report["charges"]}
        self.diffusing = [c["species"] for c in self.report["charges"] if c["diffusing"]]

    def mdsim_d(self, species):
        """mdsim's D* (cm^2/s) of a species as (value, stderr, label)."""
        for s in self.report["species"]:
            if s["species"] != species:
                continue
            w = s["window"]
            label = f"tracer MSD blocks, {w['start_ps']:g}–{w['end_ps']:g} ps"
            if s.get("diffusion_cm2_s"):
                d = s["diffusion_cm2_s"]
                return d["value"], d["stderr"], label
            d = s["block_estimate_cm2_s"]
            return (d["value"], d["stderr"],
                    f"{label} (reported only as < {s['upper_bound_cm2_s']:.3g})")
        fail(f"results.json: no species {species} in transport.conductivity.species")

    def window_ps(self, species=None):
        """mdsim's fit window (start, end) in ps: of a species' tracer MSD, or of the
        Einstein σ."""
        if species is None:
            w = self.report["conductivity_einstein"]["window"]
            return float(w["start_ps"]), float(w["end_ps"])
        for s in self.report["species"]:
            if s["species"] == species:
                return float(s["window"]["start_ps"]), float(s["window"]["end_ps"])
        fail(f"results.json: no species {species}")

    def series(self, name):
        """(step, time_ps, 3-vector) rows of current.csv or polarization.csv, checked."""
        path = self.dir / name
        with open(path) as f:
            header = f.readline().strip().split(",")
        if header[:2] != ["step", "time_ps"] or len(header) != 5:
            fail(f"{path}: unexpected header {header}")
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        steps = data[:, 0].astype(np.int64)
        if len(steps) != self.production_steps + 1 or np.any(steps != np.arange(len(steps))):
            fail(f"{path}: expected production steps 0..{self.production_steps} "
                 f"(results.json production_steps), found {len(steps)} rows")
        return steps, data[:, 1], data[:, 2:5]


def production_frames(run, stride):
    """The production frames of trajectory.xyz (ASE Atoms) and the steps between them."""
    import ase.io

    frames = []
    for atoms in ase.io.iread(run.dir / "trajectory.xyz", index=":", format="extxyz"):
        if int(atoms.info["Step"]) >= run.production_start:
            frames.append(atoms)
    if len(frames) < 3:
        fail(f"{run.dir}/trajectory.xyz: {len(frames)} frames in the production "
             f"(from step {run.production_start}); kinisi needs many")
    steps = np.array([int(a.info["Step"]) for a in frames])
    gaps = np.unique(np.diff(steps))
    if len(gaps) != 1:
        fail(f"{run.dir}/trajectory.xyz: production frames are not evenly spaced "
             f"(gaps {gaps.tolist()} steps)")
    frames, steps = frames[::stride], steps[::stride]
    return frames, steps, int(gaps[0]) * stride


# ---------------------------------------------------------------------------------------------
# kinisi


def posterior(samples, unit):
    """Mean and standard deviation of kinisi posterior samples in `unit` (kinisi's own
    summary)."""
    import scipp as sc

    v = np.asarray(sc.to_unit(samples, unit).values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1))


def lag_grid(n_frames, frame_ps, max_lag_fraction, max_lags, end_ps=None):
    """kinisi's time intervals: whole frame spacings up to a fraction of the production
    (or up to end_ps).

    kinisi 2.1.0 pairs each lag of k frames with one extra displacement over k-1 frames
    (calculate_msd concatenates displacements['obs', k-1]); that is negligible unless
    k is close to the number of frames, which the default fraction (1/2) avoids.
    At most max_lags intervals: with every frame interval (kinisi 2.1.0's default) the
    covariance matrix of neighbouring lags is nearly singular and the GLS slope moved by
    6 posterior standard deviations between grids of 250 and 500 lags in a test (2,970-ion
    cell, 20 ps); with 50 or 100 lags it was stable and agreed with mdsim."""
    k_max = max(2, int((n_frames - 1) * max_lag_fraction))
    if end_ps is not None:
        k_max = min(k_max, max(2, int(end_ps / frame_ps + 1e-9)))
    stride = max(1, math.ceil(k_max / max_lags))
    ks = np.arange(stride, k_max + 1, stride)
    return ks * frame_ps


def kinisi_common(frames, run, frame_steps, lags_ps):
    import scipp as sc

    return dict(
        time_step=sc.scalar(run.timestep_ps, unit="ps"),
        step_skip=sc.scalar(frame_steps, unit=sc.units.dimensionless),
        dt=sc.array(dims=["time interval"], values=lags_ps, unit="ps"),
        progress=False,
    )


def kinisi_diffusion(frames, run, common, species, start_ps, seed):
    import scipp as sc
    from kinisi.analyze import DiffusionAnalyzer

    d = DiffusionAnalyzer.from_ase(frames, specie=species, **common)
    d.diffusion(start_dt=sc.scalar(start_ps, unit="ps"), progress=False,
                random_state=np.random.RandomState(seed))
    return posterior(d.D, "cm^2/s")


def kinisi_conductivity(frames, run, common, species, start_ps, seed):
    """kinisi's sigma (S/cm) from one species' charge displacement, drift-corrected.

    kinisi 2.1.0 cannot take the whole cell: with per-atom charges calculate_mstd sums the
    displacements before it multiplies by the charges (a DimensionError), so the mixed-charge
    sum over all ions is out of reach; one species with its charge is kinisi's own use."""
    import scipp as sc
    from kinisi.analyze import ConductivityAnalyzer

    c = ConductivityAnalyzer.from_ase(
        frames, specie=species, ionic_charge=sc.scalar(run.charges[species], unit="e"),
        **common)
    c.conductivity(start_dt=sc.scalar(start_ps, unit="ps"),
                   temperature=sc.scalar(run.temperature_k, unit="K"), progress=False,
                   random_state=np.random.RandomState(seed))
    volume = float(sc.to_unit(c.trajectory._volume, "angstrom^3").value)
    return posterior(c.sigma, "S/cm"), volume


def unwrapped_displacements(frames, common):
    """kinisi's unwrapped displacements of every atom from the first frame (frames, atoms, 3),
    without drift correction."""
    import scipp as sc
    from kinisi.ase import ASEParser

    p = ASEParser(frames, specie=None, specie_indices=sc.array(
        dims=["particle"], values=np.arange(len(frames[0]))), **common)
    return p.displacements.values


def nernst_einstein_s_cm(n_ions, charge_e, d_cm2_s, volume_a3, temperature_k):
    """sigma_tr = N q^2 e^2 D / (V k_B T), in S/cm, evaluated in SI units."""
    sigma_s_m = (n_ions * (charge_e * E_CHARGE_C) ** 2 * d_cm2_s * 1e-4
                 / (volume_a3 * 1e-30 * K_B_J_PER_K * temperature_k))
    return sigma_s_m / 100.0


# ---------------------------------------------------------------------------------------------
# Consistency of mdsim's files


def check_polarization(run, disp, symbols, frame_steps_abs):
    """Omega*dP of polarization.csv against sum q_i dr_i of kinisi's unwrapped trajectory."""
    q = np.array([run.charges[s] for s in symbols])
    m_traj = np.einsum("tad,a->td", disp, q)
    _, _, dp = run.series("polarization.csv")
    idx = frame_steps_abs - run.production_start
    m_mdsim = run.volume_a3 * (dp[idx] - dp[idx[0]])
    scale = np.sqrt(np.mean(m_mdsim ** 2))
    return float(np.max(np.abs(m_traj - m_mdsim)) / scale), float(scale)


def check_current(run, j):
    """int J dt (trapezoid) of current.csv against Omega*dP of polarization.csv."""
    _, _, dp = run.series("polarization.csv")
    m = run.volume_a3 * dp
    integral = np.vstack([np.zeros(3), np.cumsum(0.5 * (j[1:] + j[:-1]), axis=0)])
    integral *= run.timestep_ps
    scale = np.sqrt(np.mean(m ** 2))
    return float(np.max(np.abs(integral - m)) / scale)


# ---------------------------------------------------------------------------------------------
# STACIE


def stacie_sigma(run, j, degrees, seed):
    from stacie import ExpPolyModel, compute_spectrum, estimate_acint

    prefactor = 1.0 / (run.volume_a3 * K_B_EV_PER_K * run.temperature_k)
    spectrum = compute_spectrum(np.ascontiguousarray(j.T), prefactors=prefactor,
                                timestep=run.timestep_ps, include_zero_freq=False)
    res = estimate_acint(spectrum, ExpPolyModel(list(degrees)),
                         rng=np.random.default_rng(seed))
    return (float(res.acint) * S_CM_PER_E2_PER_A_PS_EV,
            float(res.acint_std) * S_CM_PER_E2_PER_A_PS_EV,
            dict(fcut_thz=float(res.fcut), neff=float(res.neff)))


# ---------------------------------------------------------------------------------------------
# Table


def row(quantity, unit, mdsim_label, mdsim, tool_label, tool):
    (m, ms), (t, ts) = mdsim, tool
    comb = math.hypot(ms, ts)
    return dict(quantity=quantity, unit=unit, mdsim_estimator=mdsim_label, mdsim=m,
                mdsim_stderr=ms, tool=tool_label, tool_value=t, tool_stderr=ts,
                ratio=t / m if m != 0 else float("nan"),
                z=(t - m) / comb if comb > 0 else float("nan"))


def fmt(v, e):
    return f"{v:.4g} ± {e:.2g}"


def markdown(rows):
    out = ["| quantity | mdsim | value | tool | value | tool/mdsim | z |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['quantity']} [{r['unit']}] | {r['mdsim_estimator']} | "
                   f"{fmt(r['mdsim'], r['mdsim_stderr'])} | {r['tool']} | "
                   f"{fmt(r['tool_value'], r['tool_stderr'])} | {r['ratio']:.3f} | "
                   f"{r['z']:+.2f} |")
    return "\n".join(out)


def versions():
    from importlib.metadata import version

    return {p: version(p) for p in ("kinisi", "stacie", "ase", "scipp", "numpy", "scipy")}


# ---------------------------------------------------------------------------------------------


def arguments():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", nargs="?")
    ap.add_argument("--self-test", action="store_true",
                    help="run on synthetic data with a known answer instead of a run folder")
    ap.add_argument("--out", default=None,
                    help="folder for crosscheck.json/.md (default: the run folder)")
    ap.add_argument("--start-ps", type=float, default=None,
                    help="start of kinisi's fit (ps); default: mdsim's fit-window start "
                         "(the species' tracer window for D*, the Einstein window for σ)")
    ap.add_argument("--max-lag-fraction", type=float, default=0.5,
                    help="kinisi's longest time interval as a fraction of the production "
                         "(default 0.5)")
    ap.add_argument("--max-lags", type=int, default=100,
                    help="at most this many time intervals for kinisi, evenly spaced "
                         "(default 100, kinisi 1.x's n_steps; denser grids make kinisi 2.1.0's "
                         "GLS slope unstable)")
    ap.add_argument("--frame-stride", type=int, default=1,
                    help="use every k-th production frame of trajectory.xyz")
    ap.add_argument("--stacie-degrees", default="0,2",
                    help="ExpPolyModel degrees (default 0,2, mdsim's spectral model: the best "
                         "calibrated of STACIE's models on caged-hopper data)")
    ap.add_argument("--seed", type=int, default=2024, help="seed of kinisi's MCMC and STACIE")
    ap.add_argument("--no-kinisi", action="store_true", help="STACIE only")
    return ap.parse_args()


class Checks:
    """Consistency checks of mdsim's files: (name, value, limit), printed as they come."""

    def __init__(self):
        self.items = []

    def add(self, name, value, limit, what):
        ok = value <= limit
        self.items.append(dict(name=name, value=value, limit=limit, ok=ok, what=what))
        print(f"check {'ok  ' if ok else 'FAIL'} {what}: {value:.2e} (limit {limit:g})")

    def failed(self):
        return [c["name"] for c in self.items if not c["ok"]]


def mdsim_values(run):
    """mdsim's σ estimates and σ_tr as (value, stderr) pairs, with window labels."""
    def pair(x):
        return x["value"], x["stderr"]

    w = run.report["conductivity_einstein"]["window"]
    window = f"{w['start_ps']:g}–{w['end_ps']:g} ps"
    gk_end = run.report["conductivity_green_kubo"]["integrated_to_ps"]
    return dict(
        spectral=("spectral (default)", pair(run.transport["conductivity_S_cm"])),
        einstein=(f"Einstein blocks, {window}",
                  pair(run.report["conductivity_einstein"]["s_cm"])),
        green_kubo=(f"Green–Kubo blocks, ∫ to {gk_end:g} ps",
                    pair(run.report["conductivity_green_kubo"]["s_cm"])),
        tracer=(f"tracer MSD blocks, {window}",
                pair(run.transport["conductivity_tracer_S_cm"])),
    )


def kinisi_rows(run, args, m, checks, rows, extra):
    """kinisi's D*, σ_tr and σ beside mdsim's; the trajectory check on the way."""
    frames, frame_steps_abs, frame_steps = production_frames(run, args.frame_stride)
    symbols = frames[0].get_chemical_symbols()
    unknown = sorted(set(symbols) - set(run.charges))
    if unknown:
        fail(f"trajectory.xyz species {unknown} have no transport charge in results.json")
    frame_ps = frame_steps * run.timestep_ps
    lags = lag_grid(len(frames), frame_ps, args.max_lag_fraction, args.max_lags)
    common = kinisi_common(frames, run, frame_steps, lags)
    extra["kinisi_frames"] = dict(n=len(frames), first_step=int(frame_steps_abs[0]),
                                  spacing_steps=frame_steps, spacing_ps=frame_ps)
    if frame_steps_abs[0] != run.production_start:
        print(f"note: the first production frame is step {frame_steps_abs[0]}, "
              f"{frame_steps_abs[0] - run.production_start} steps into the production")
    print(f"kinisi: {len(frames)} frames every {frame_ps:g} ps")

    disp = unwrapped_displacements(frames, common)
    rel, scale = check_polarization(run, disp, symbols, frame_steps_abs)
    del disp
    checks.add("trajectory_vs_polarization", rel, 1e-5,
               f"max |Σ q Δr (trajectory.xyz, unwrapped by kinisi) − Ω ΔP (polarization.csv)|"
               f" / rms (rms {scale:.3g} e·Å)")

    def grid(end_ps=None):
        return lag_grid(len(frames), frame_ps, args.max_lag_fraction, args.max_lags, end_ps)

    def start_of(window):
        return args.start_ps if args.start_ps is not None else window[0]

    # Two windows for kinisi: from mdsim's start to the longest lag (kinisi's usual use), and
    # mdsim's own window (same data, different estimator).
    tr, tr_var, ne_mdsim = 0.0, 0.0, 0.0
    for s in run.diffusing:
        window = run.window_ps(s)
        md = run.mdsim_d(s)
        for long_run, end in ((True, None), (False, window[1])):
            lg = grid(end)
            start = start_of(window)
            d = kinisi_diffusion(frames, run, kinisi_common(frames, run, frame_steps, lg), s,
                                 start, args.seed)
            rows.append(row(f"D*({s})", "cm²/s", md[2], md[:2],
                            f"kinisi DiffusionAnalyzer, {start:g}–{lg[-1]:g} ps", d))
            if long_run:
                k = nernst_einstein_s_cm(symbols.count(s), run.charges[s], 1.0, run.volume_a3,
                                         run.temperature_k)
                tr += k * d[0]
                tr_var += (k * d[1]) ** 2
                ne_mdsim += k * md[0]
    checks.add("mdsim_tracer_vs_nernst_einstein", abs(ne_mdsim / m["tracer"][1][0] - 1), 1e-6,
               "|Nernst–Einstein of mdsim's D* (SI constants) / mdsim's σ_tr − 1|")
    rows.append(row("σ_tr", "S/cm", m["tracer"][0], m["tracer"][1],
                    "Nernst–Einstein of kinisi's D* (first row)", (tr, math.sqrt(tr_var))))

    if len(run.diffusing) != 1:
        print("note: several diffusing species; kinisi's σ (one charge) is not compared")
        return
    s = run.diffusing[0]
    window = run.window_ps()
    for key, end in (("spectral", None), ("einstein", window[1])):
        lg = grid(end)
        start = start_of(window)
        sigma, extra["kinisi_volume_a3"] = kinisi_conductivity(
            frames, run, kinisi_common(frames, run, frame_steps, lg), s, start, args.seed)
        label = f"kinisi ConductivityAnalyzer ({s}, drift-corrected), {start:g}–{lg[-1]:g} ps"
        rows.append(row("σ", "S/cm", m[key][0], m[key][1], label, sigma))


def write_outputs(run, out_dir, rows, checks, extra, args, seconds):
    table = markdown(rows)
    print()
    print(table)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = dict(run_dir=str(run.dir), temperature_k=run.temperature_k, volume_a3=run.volume_a3,
               charges=run.charges, diffusing=run.diffusing, checks=checks.items, rows=rows,
               details=extra, versions=versions(), seconds=seconds, options=vars(args))
    (out_dir / "crosscheck.json").write_text(json.dumps(out, indent=1) + "\n")
    note = ("z = (tool − mdsim)/√(se_tool² + se_mdsim²); both come from the same trajectory, "
            "so their errors are correlated and |z| understates a real disagreement. "
            "Uncertainties: mdsim block standard errors (spectral: likelihood curvature), "
            "kinisi posterior standard deviations, STACIE's standard error.")
    tools = ", ".join(f"{k} {v}" for k, v in versions().items())
    (out_dir / "crosscheck.md").write_text(
        f"Cross-check of `{run.dir}` at T = {run.temperature_k:.1f} K, "
        f"{run.production_steps * run.timestep_ps:g} ps of production ({tools}).\n\n"
        f"{table}\n\n{note}\n")
    print(f"\nwritten: {out_dir}/crosscheck.json, crosscheck.md ({seconds} s)")


def crosscheck(args):
    """Runs the checks and the tools on args.run_dir; returns (rows, checks)."""
    t0 = time.time()
    run = Run(args.run_dir)
    degrees = [int(x) for x in args.stacie_degrees.split(",")]
    print(f"run {run.dir}: {run.production_steps} production steps of {run.timestep_ps} ps "
          f"from step {run.production_start}, T = {run.temperature_k:.2f} K, "
          f"V = {run.volume_a3:.3f} Å³, charges {run.charges}, diffusing {run.diffusing}")

    checks = Checks()
    _, _, j = run.series("current.csv")
    checks.add("current_integral_vs_polarization", check_current(run, j), 1e-2,
               "max |∫J dt (current.csv, trapezoid) − Ω ΔP (polarization.csv)| / rms; "
               "velocity Verlet leaves a bounded O(Δt² a) difference")

    rows, extra = [], {}
    m = mdsim_values(run)
    if not args.no_kinisi:
        kinisi_rows(run, args, m, checks, rows, extra)

    s_st, s_st_err, extra["stacie"] = stacie_sigma(run, j, degrees, args.seed)
    label = f"STACIE ExpPoly{degrees} on current.csv"
    for key in ("spectral", "green_kubo"):
        rows.append(row("σ", "S/cm", m[key][0], m[key][1], label, (s_st, s_st_err)))

    out_dir = Path(args.out) if args.out else run.dir
    write_outputs(run, out_dir, rows, checks, extra, args, round(time.time() - t0, 1))
    return rows, checks


def self_test(args):
    """The cross-check on synthetic data with a known answer (crosscheck_synthetic.py):
    every tool's value within 3.5 of its own standard errors of the truth."""
    import tempfile

    import crosscheck_synthetic

    with tempfile.TemporaryDirectory(prefix="mdsim-crosscheck-selftest-") as folder:
        d, sigma = crosscheck_synthetic.write(Path(folder), 50_000, nernst_einstein_s_cm)
        print(f"self-test: D* = {d:g} cm²/s, σ = σ_tr = {sigma:.6g} S/cm exactly")
        args.run_dir = folder
        rows, checks = crosscheck(args)
    bad = [f"{r['quantity']} from {r['tool']}: z = {r['z']:+.2f}" for r in rows
           if not abs(r["z"]) < 3.5]
    bad += checks.failed()
    if bad:
        sys.exit("self-test FAILED: " + "; ".join(bad))
    print("self-test passed: every tool within 3.5 of its standard errors of the exact answer")


def main():
    args = arguments()
    if args.self_test:
        self_test(args)
        return
    if args.run_dir is None:
        fail("give a run folder (or --self-test)")
    _, checks = crosscheck(args)
    if checks.failed():
        sys.exit(f"error: consistency checks failed: {', '.join(checks.failed())}")


if __name__ == "__main__":
    main()
