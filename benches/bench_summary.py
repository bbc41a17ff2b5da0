#!/usr/bin/env python3
"""Summary of benches/compare_lammps.sh: a table per system and a log-log plot.

Usage: bench_summary.py RESULTS.tsv [--plot FILE.svg] [--machine TEXT]

RESULTS.tsv has one line per timed run (tab-separated, no header):
  system  n_atoms  code  run  steps_per_s  note
and one line per start-configuration energy:
  system  n_atoms  code  energy  potential_eV  note
(code is "mdsim" or "LAMMPS"; note says which method, e.g. "Ewald 1e-5" or "PPPM 1e-5").

Prints, per system: the steps/s of every run, their median, µs per atom-step, the ratio
mdsim/LAMMPS of each alternating pair of runs and of the medians, and both codes' potential
energies on the same start configuration. With --plot (needs matplotlib), writes the cost per
step (median) against N on log-log axes for both codes.
"""
import argparse
import statistics
import sys
from collections import OrderedDict


def read(path):
    runs = OrderedDict()  # system -> {"n": n, "mdsim": [...], "LAMMPS": [...]}
    energies = {}
    notes = {}
    for lineno, line in enumerate(open(path), start=1):
        if not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) < 5:
            sys.exit(f"{path}:{lineno}: expected at least 5 tab-separated columns")
        system, n, code, kind, value = cols[:5]
        note = cols[5] if len(cols) > 5 else ""
        entry = runs.setdefault(system, {"n": int(n), "mdsim": [], "LAMMPS": []})
        if kind == "energy":
            energies[(system, code)] = float(value)
        else:
            entry[code].append(float(value))
        if note:
            notes[(system, code)] = note
    return runs, energies, notes


def fmt(x, digits=4):
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 10 ** (digits - 1) else f"{x:.{digits}g}"


def table(runs, energies, notes, machine):
    print()
    print(f"Benchmark, one thread each, alternating runs ({machine})")
    print()
    print("| system | N | LAMMPS steps/s | mdsim steps/s | LAMMPS µs/atom-step | "
          "mdsim µs/atom-step | mdsim / LAMMPS (per run; median) | PE LAMMPS (eV) | "
          "PE mdsim (eV) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for system, e in runs.items():
        n = e["n"]
        lmp, md = e["LAMMPS"], e["mdsim"]
        med_l = statistics.median(lmp) if lmp else None
        med_m = statistics.median(md) if md else None
        per_run = [m / l for m, l in zip(md, lmp)]
        ratio = " / ".join(f"{r:.2f}" for r in per_run)
        if med_l and med_m:
            ratio += f"; **{med_m / med_l:.2f}**"
        us = lambda s: None if s is None else 1e6 / (s * n)
        name = system
        extra = [notes.get((system, c)) for c in ("LAMMPS", "mdsim")]
        if any(extra):
            name += " (" + "; ".join(f"{c}: {x}" for c, x in zip(("LAMMPS", "mdsim"), extra) if x) + ")"
        print(f"| {name} | {n:,} | {' / '.join(fmt(x) for x in lmp)} | "
              f"{' / '.join(fmt(x) for x in md)} | {fmt(us(med_l), 3)} | {fmt(us(med_m), 3)} | "
              f"{ratio} | {fmt(energies.get((system, 'LAMMPS')), 12)} | "
              f"{fmt(energies.get((system, 'mdsim')), 12)} |")
    print()
    for system, e in runs.items():
        el, em = energies.get((system, "LAMMPS")), energies.get((system, "mdsim"))
        if el is not None and em is not None:
            print(f"{system}: potential energy of the start configuration, mdsim − LAMMPS = "
                  f"{em - el:.6g} eV ({(em - el) / abs(el):.2e} relative)")


def plot(runs, path, machine):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: matplotlib not available, no plot written to {path}")
        return
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    families = [("ionic", lambda s: s.startswith("lpso")), ("LJ", lambda s: not s.startswith("lpso"))]
    styles = {"mdsim": ("tab:blue", "o"), "LAMMPS": ("tab:red", "s")}
    for family, member in families:
        for code, (color, marker) in styles.items():
            pts = sorted((e["n"], 1e3 / statistics.median(e[code]))
                         for s, e in runs.items() if member(s) and e[code])
            if not pts:
                continue
            xs, ys = zip(*pts)
            solid = family == "ionic"
            ax.plot(xs, ys, color=color, marker=marker, linestyle="-" if solid else "none",
                    fillstyle="full" if solid else "none",
                    label=f"{code}, {'Li-P-Si-O + Coulomb' if solid else 'Lennard-Jones'}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("atoms N")
    ax.set_ylabel("wall time per MD step (ms), one thread")
    ax.set_title("mdsim vs LAMMPS, cost per step", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, machine, fontsize=7, color="gray")
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot: {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--plot")
    ap.add_argument("--machine", default="")
    a = ap.parse_args()
    runs, energies, notes = read(a.results)
    table(runs, energies, notes, a.machine)
    if a.plot:
        plot(runs, a.plot, a.machine)


if __name__ == "__main__":
    main()
