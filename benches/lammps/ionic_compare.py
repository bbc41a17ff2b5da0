#!/usr/bin/env python3
"""Agreement tables for benches/compare_lammps_ionic.sh (mdsim vs LAMMPS, Buckingham + Ewald).

Usage: ionic_compare.py DIR SET [SET ...]
Each SET names files in DIR:
  mdsim-ACC            mdsim-ACC.out (stdout of `mdsim energy`: components, Ewald parameters)
                       and mdsim-ACC/forces.csv (atom,species,fx,fy,fz in file order)
  lammps-ACC[-tableN] lammps-ACC….log (benches/lammps/lpso.in: LPSO_ENERGY line, Ewald set-up)
                       and lammps-ACC….dump (write_dump id type fx fy fz, sorted by id);
                       -tableN: run with pair_modify table N, labelled "LAMMPS ACC tN"
  exact                exact.out and exact-forces.csv from benches/lammps/ionic_exact.py
Prints the Ewald parameters, the energies by component, and energy and force differences:
mdsim vs LAMMPS with the same accuracy, then every set vs the reference (`exact` if given,
else the last SET). Standard library only.
"""
import math
import re
import sys

KE_LAMMPS = 14.399645  # LAMMPS metal qqr2e (eV A / e^2)
KE_MDSIM = 14.3996454784  # mdsim_core::units::COULOMB_EV_A (CODATA e^2/(4 pi eps0))
FLOAT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def die(msg):
    sys.exit(f"ionic_compare: {msg}")


def read_mdsim(out_path, forces_path):
    text = open(out_path).read()
    e = {}
    for key, label in (("short", "short-range pairs"), ("real", "Coulomb real space"),
                       ("recip", "Coulomb reciprocal"), ("self", "Coulomb self"),
                       ("total", "potential total")):
        m = re.search(rf"^\s*{label}\s+({FLOAT}) eV", text, re.M)
        if not m:
            die(f"{out_path}: no '{label}' line")
        e[key] = float(m.group(1))
    e["coul"] = e["real"] + e["recip"] + e["self"]
    m = re.search(rf"^\s*pressure\s+({FLOAT}) bar", text, re.M)
    e["press"] = float(m.group(1)) if m else math.nan
    m = re.search(r"Coulomb: Ewald, α = (\S+) 1/Å, real cutoff (\S+) Å, kmax \[([^\]]*)\], "
                  r"\d+ k-vectors, requested relative force accuracy (\S+) \(estimated ([^)]+)\)",
                  text)
    ewald = (f"alpha {float(m.group(1)):.6f} 1/A, r_c {float(m.group(2)):.4f} A, "
             f"kmax ({m.group(3)}), estimated accuracy {float(m.group(5)):.3g}") if m else "?"
    forces = []
    with open(forces_path) as f:
        next(f)
        for line in f:
            c = line.split(",")
            forces.append((float(c[2]), float(c[3]), float(c[4])))
    return e, forces, ewald


def read_lammps(log_path, dump_path):
    text = open(log_path).read()
    m = re.search(r"^LPSO_ENERGY (.*)$", text, re.M)
    if not m:
        die(f"{log_path}: no LPSO_ENERGY line (did LAMMPS fail? see the log)")
    v = m.group(1).split()
    raw = {k: float(x) for k, x in zip(v[0::2], v[1::2])}
    e = {"short": raw["evdwl"], "coul": raw["ecoul"] + raw["elong"], "total": raw["pe"],
         "ecoul": raw["ecoul"], "elong": raw["elong"], "press": raw["press"]}

    def grab(pattern):
        mm = re.search(pattern, text, re.M)
        return mm.group(1).strip() if mm else "?"
    g = grab(rf"G vector \(1/distance\)\s*=\s*({FLOAT})")
    kmax = grab(r"kxmax kymax kzmax\s*=\s*(.*)$")
    kvec = grab(r"KSpace vectors: actual max1d max3d\s*=\s*(.*)$")
    rel = grab(rf"estimated relative force accuracy\s*=\s*({FLOAT})")
    ewald = (f"alpha {float(g):.6f} 1/A, r_c 10 A, kmax ({', '.join(kmax.split())}), "
             f"estimated accuracy {float(rel):.3g}, k-vectors actual/max1d/max3d {kvec}")
    forces = {}
    with open(dump_path) as f:
        lines = f.read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("ITEM: ATOMS")) + 1
    for line in lines[start:]:
        c = line.split()
        forces[int(c[0])] = (float(c[2]), float(c[3]), float(c[4]))
    return e, [forces[i] for i in sorted(forces)], ewald


def read_exact(out_path, forces_path):
    v = open(out_path).read().split()
    raw = {k: float(x) for k, x in zip(v[1::2], v[2::2])}
    e = {"short": raw["short"], "coul": raw["coul"], "total": raw["total"], "press": math.nan}
    ewald = (f"alpha {raw['alpha']:.6f} 1/A, r_c {raw['rc']:.4f} A, {int(raw['kvectors'])} "
             "k-vectors, math.erfc: converged to ~1e-15")
    forces = []
    with open(forces_path) as f:
        next(f)
        for line in f:
            c = line.split(",")
            forces.append((float(c[2]), float(c[3]), float(c[4])))
    return e, forces, ewald


def load(d, name):
    if name == "exact":
        return "exact", read_exact(f"{d}/exact.out", f"{d}/exact-forces.csv")
    code, _, rest = name.partition("-")
    if code == "mdsim":
        return f"mdsim {rest}", read_mdsim(f"{d}/{name}.out", f"{d}/{name}/forces.csv")
    if code == "lammps":
        label = "LAMMPS " + re.sub(r"-table(\d+)$", r" t\1", rest)
        return label, read_lammps(f"{d}/{name}.log", f"{d}/{name}.dump")
    die(f"unknown set {name!r}")


def rms(forces):
    return math.sqrt(sum(x * x + y * y + z * z for x, y, z in forces) / len(forces))


def force_diff(a, b):
    d2 = [sum((p - q) ** 2 for p, q in zip(fa, fb)) for fa, fb in zip(a, b)]
    return math.sqrt(sum(d2) / len(d2)), math.sqrt(max(d2))


def main():
    if len(sys.argv) < 3:
        die("usage: ionic_compare.py DIR SET [SET ...]")
    d, names = sys.argv[1], sys.argv[2:]
    sets = dict(load(d, name) for name in names)  # label -> (energies, forces, ewald)
    n = len(next(iter(sets.values()))[1])
    for label, (_, f, _) in sets.items():
        if len(f) != n:
            die(f"{label}: {len(f)} forces, expected {n}")

    print("Ewald parameters (r_c = real-space cutoff; accuracy = estimated relative RMS force error)")
    for label, (_, _, ewald) in sets.items():
        print(f"  {label:<16} {ewald}")

    print(f"\nEnergies (eV, {n} atoms; Coulomb = real + reciprocal + self = LAMMPS ecoul + elong)")
    print(f"  {'':<16} {'short-range':>18} {'Coulomb':>20} {'total':>20} {'pressure (bar)':>15}")
    for label, (e, _, _) in sets.items():
        p = "-" if math.isnan(e["press"]) else f"{e['press']:.4f}"
        print(f"  {label:<16} {e['short']:>18.10f} {e['coul']:>20.10f} {e['total']:>20.10f} {p:>15}")
    for label, (e, _, _) in sets.items():
        if "real" in e:
            print(f"  {label}: real {e['real']:.10f}, reciprocal {e['recip']:.10f}, "
                  f"self {e['self']:.10f}, reciprocal + self {e['recip'] + e['self']:.10f}")
        elif "elong" in e:
            print(f"  {label}: ecoul {e['ecoul']:.10f}, elong {e['elong']:.10f}")

    print(f"  units check: LAMMPS metal qqr2e = {KE_LAMMPS}, mdsim k_e = {KE_MDSIM} "
          f"(ratio - 1 = {KE_MDSIM / KE_LAMMPS - 1:.3e}); mdsim/LAMMPS - 1 by part:")
    for a in sets:
        b = "LAMMPS " + a.split()[1] if a.startswith("mdsim ") else None
        if b in sets:
            m, l = sets[a][0], sets[b][0]
            print(f"    {a.split()[1]:>6}: reciprocal + self / elong {(m['recip'] + m['self']) / l['elong'] - 1:+.3e}"
                  f", real / ecoul {m['real'] / l['ecoul'] - 1:+.3e}")

    ref = "exact" if "exact" in sets else list(sets)[-1]
    pairs = [(a, "LAMMPS " + a.split()[1]) for a in sets
             if a.startswith("mdsim ") and "LAMMPS " + a.split()[1] in sets]
    pairs += [(a, ref) for a in sets if a != ref and (a, ref) not in pairs]
    print("\nDifferences A - B: energies in eV (total also relative to |B|); RMS and largest force "
          "difference relative to B's RMS force and, [in brackets], to k_e/(1 A)^2 = 14.4 eV/A "
          "(the unit of LAMMPS' and mdsim's accuracy)")
    print(f"  {'A':<16} {'B':<14} {'d short':>10} {'d Coulomb':>11} {'d total':>11} "
          f"{'rel':>9} {'F RMS diff':>21} {'F max diff':>21}")
    for a, b in pairs:
        ea, fa, _ = sets[a]
        eb, fb, _ = sets[b]
        frms = rms(fb)
        drms, dmax = force_diff(fa, fb)
        dt = ea["total"] - eb["total"]
        print(f"  {a:<16} {b:<14} {ea['short'] - eb['short']:>10.2e} {ea['coul'] - eb['coul']:>11.3e}"
              f" {dt:>11.3e} {dt / abs(eb['total']):>9.1e} {drms / frms:>9.2e} [{drms / KE_LAMMPS:.2e}]"
              f" {dmax / frms:>9.2e} [{dmax / KE_LAMMPS:.2e}]")
    print(f"  (RMS force of {ref}: {rms(sets[ref][1]):.6g} eV/A)")


if __name__ == "__main__":
    main()
