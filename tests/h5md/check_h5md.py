#!/usr/bin/env python3
"""Reads the trajectory.h5md that `mdsim run` writes with MDAnalysis and h5py, and checks it
against the CSV files of the same run.

Runs the small ionic input of the Rust tests (tests/support/ionic.rs: γ-Li3PO4, 128 ions,
100 steps of equilibration) with 600 production steps (the series are written 256 samples
at a time) and `trajectory_format: H5md`, then:

* MDAnalysis opens the file alone, without a topology or a format hint
  (`MDAnalysis.Universe("trajectory.h5md")`), and with structure.xyz as the topology (species
  names); frames, times, positions, velocities and cells are those h5py reads (MDAnalysis
  keeps single precision);
* h5py reads the conductivity series under /observables, which equal polarization.csv and
  current.csv bit for bit (on the MD step axis: step = production step + 100), and the MSD
  curves under /dynamics, which print as msd.csv prints them; units are attributes, and the
  two series share one step and one time dataset.

    python3 tests/h5md/check_h5md.py

Creates its own virtual environment (MDSIM_H5MD_VENV, default /tmp/mdsim-h5md-venv) with
pinned MDAnalysis and h5py; needs python3 with venv and pip, cargo, and libhdf5-dev (installed
with apt-get when missing, as .ci/run does). Exits with 1 when a check fails.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings

PACKAGES = ["MDAnalysis==2.11.0", "h5py==3.16.0", "numpy"]
VENV = os.environ.get("MDSIM_H5MD_VENV", "/tmp/mdsim-h5md-venv")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DT_PS = 0.001
PRODUCTION_START = 100


def ensure_venv():
    """Re-runs this script inside the virtual environment, creating it when needed."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q"] + PACKAGES, check=True)
    os.execv(python, [python] + sys.argv)


ensure_venv()

import h5py  # noqa: E402
import MDAnalysis as mda  # noqa: E402
import numpy as np  # noqa: E402

FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)


def build_mdsim():
    """The release binary with the `hdf5` feature (libhdf5-dev installed when missing)."""
    if not os.path.exists("/usr/include/hdf5/serial/hdf5.h"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "libhdf5-dev", "pkg-config"],
                       check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    subprocess.run(["cargo", "build", "--release", "--features", "hdf5", "--bin", "mdsim"],
                   cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "mdsim")


def ionic_input():
    """The input of tests/support/ionic.rs, 600 production steps, writing trajectory.h5md
    with velocities."""
    text = open(os.path.join(ROOT, "tests", "support", "ionic.rs")).read()
    body = re.search(r'r#"(.*?)"#', text, re.S).group(1)
    return body.replace(
        "trajectory_every: 20,",
        "trajectory_every: 20, trajectory_format: H5md, trajectory_velocities: true,",
    ).replace("duration_ps: 0.2, production: true", "duration_ps: 0.6, production: true")


def read_series(path):
    """step, time and the three components of polarization.csv or current.csv."""
    rows = [line.split(",") for line in open(path).read().splitlines()[1:]]
    step = np.array([int(r[0]) for r in rows])
    # Python's float() reads the shortest round-trip decimal mdsim writes, bit for bit.
    values = np.array([[float(x) for x in r[1:]] for r in rows])
    return step, values[:, 0], values[:, 1:]


def rust_e10(x):
    """`x` as Rust's `{:.10e}` prints it (msd.csv): exponent without sign or zeros."""
    if not np.isfinite(x):
        return {True: "NaN"}.get(bool(np.isnan(x)), "inf" if x > 0 else "-inf")
    mantissa, exponent = f"{x:.10e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def check_mdanalysis(run, f):
    path = os.path.join(run, "trajectory.h5md")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no masses or types without a topology
        u = mda.Universe(path)
    part = f["particles/trajectory"]
    pos = part["position/value"][()]
    vel = part["velocity/value"][()]
    n_frames = pos.shape[0]
    check(u.atoms.n_atoms == pos.shape[1] == 128,
          f"MDAnalysis.Universe(trajectory.h5md) alone: {u.atoms.n_atoms} atoms")
    check(len(u.trajectory) == n_frames == 36, f"  {len(u.trajectory)} frames")
    worst = {"positions": 0.0, "velocities": 0.0, "cell": 0.0, "time": 0.0}
    seen_data = set()
    for ts in u.trajectory:
        k = ts.frame
        worst["positions"] = max(worst["positions"], np.abs(ts.positions - pos[k]).max())
        worst["velocities"] = max(worst["velocities"], np.abs(ts.velocities - vel[k]).max())
        edges = part["box/edges/value"][k]
        lengths = np.linalg.norm(edges, axis=1)
        worst["cell"] = max(worst["cell"], np.abs(ts.dimensions[:3] - lengths).max())
        worst["time"] = max(worst["time"], abs(ts.time - part["position/time"][k]))
        seen_data |= set(ts.data)
    check(worst["positions"] < 1e-4,
          f"  positions as h5py reads them (max |Δ| {worst['positions']:.1e} Å, float32)")
    check(worst["velocities"] < 1e-4, f"  velocities (max |Δ| {worst['velocities']:.1e} Å/ps)")
    check(worst["cell"] < 1e-4, f"  cell lengths (max |Δ| {worst['cell']:.1e} Å)")
    check(worst["time"] < 1e-9, f"  times in ps (max |Δ| {worst['time']:.1e})")
    check({"polarization_displacement", "charge_current"} <= seen_data,
          "  ts.data has the observables (MDAnalysis pairs their row i with frame i)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        named = mda.Universe(os.path.join(run, "structure.xyz"), path)
    names = sorted(set(named.atoms.names))
    check(names == ["Li", "O", "P"] and len(named.trajectory) == n_frames,
          f"MDAnalysis.Universe(structure.xyz, trajectory.h5md): species {names}")


def check_h5py(run, f):
    check(list(f["h5md"].attrs["version"]) == [1, 1], "h5py: H5MD version 1.1")
    for name, csv, unit in [
        ("polarization_displacement", "polarization.csv", "e Angstrom-2"),
        ("charge_current", "current.csv", "e Angstrom ps-1"),
    ]:
        g = f["observables"][name]
        step, time, values = read_series(os.path.join(run, csv))
        h5_step, h5_time, h5_value = g["step"][()], g["time"][()], g["value"][()]
        check(h5_value.shape == values.shape == (601, 3),
              f"/observables/{name}: {h5_value.shape} rows as {csv}")
        check(np.array_equal(h5_value.view(np.uint64), values.view(np.uint64)),
              f"  value equals {csv} bit for bit")
        check(np.array_equal(h5_step, step + PRODUCTION_START), "  step = production step + 100")
        check(np.array_equal(h5_time, h5_step * DT_PS), "  time = step × 0.001 ps")
        check(np.abs(h5_time - PRODUCTION_START * DT_PS - time).max() < 1e-12,
              f"  time − 0.1 ps = {csv} time")
        check(g["value"].attrs["unit"] == unit and g["time"].attrs["unit"] == "ps",
              f"  units {unit!r}, 'ps'")
    obs = f["observables"]
    check(obs["charge_current/step"] == obs["polarization_displacement/step"]
          and obs["charge_current/time"] == obs["polarization_displacement/time"],
          "  one step and one time dataset for both (hard links)")

    text = open(os.path.join(run, "msd.csv")).read().splitlines()
    header = text[1].split(",")
    columns = dict(zip(header, zip(*[line.split(",") for line in text[2:]])))
    for label, name, unit, col in [
        ("Li", "mean_square_displacement", "Angstrom+2", "msd_Li"),
        ("P", "mean_square_displacement", "Angstrom+2", "msd_P"),
        ("O", "mean_square_displacement", "Angstrom+2", "msd_O"),
        ("all", "mean_square_charge_displacement", "e+2 Angstrom+2", "msd_charge"),
    ]:
        g = f[f"dynamics/{label}/{name}"]
        suffix = "e2A2" if label == "all" else "A2"
        same = True
        for ds, column in [("lag", "lag_ps"), ("value", f"{col}_{suffix}"),
                           ("error", f"{col}_stderr_{suffix}")]:
            printed = tuple(rust_e10(x) for x in g[ds][()])
            same &= printed == columns[column]
        units = (g["lag"].attrs["unit"], g["value"].attrs["unit"], g["error"].attrs["unit"])
        check(same and units == ("ps", unit, unit),
              f"/dynamics/{label}/{name}: {g['lag'].shape[0]} lags as msd.csv, units {units}")


def main():
    mdsim = build_mdsim()
    work = tempfile.mkdtemp(prefix="mdsim-h5md-")
    try:
        with open(os.path.join(work, "in.ron"), "w") as out:
            out.write(ionic_input())
        subprocess.run([mdsim, "run", "in.ron", "-o", "run"], cwd=work, check=True,
                       stderr=subprocess.DEVNULL)
        run = os.path.join(work, "run")
        with h5py.File(os.path.join(run, "trajectory.h5md"), "r") as f:
            check_mdanalysis(run, f)
            check_h5py(run, f)
    finally:
        shutil.rmtree(work)
    print(f"MDAnalysis {mda.__version__}, h5py {h5py.__version__}: "
          f"{'all checks passed' if not FAILURES else f'{len(FAILURES)} failed'}")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
