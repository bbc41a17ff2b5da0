#!/usr/bin/env python3
"""Agreement tables for benches/compare_lammps_ionic.sh (mdsim vs LAMMPS, Buckingham + Ewald).

Usage: ionic_compare.py DIR ACC [ACC ...]
For each accuracy ACC it reads, in DIR:
  mdsim-ACC.out          stdout of `mdsim energy` (energy components, Ewald parameters)
  mdsim-ACC/forces.csv   atom,species,fx,fy,fz (file order)
  lammps-ACC.log         log of benches/lammps/lpso.in (LPSO_ENERGY line, Ewald set-up)
  lammps-ACC.dump        write_dump id type fx fy fz, sorted by id (= file order)
and prints the Ewald parameters, the energies by component, and energy and force
differences between every pair of (code, accuracy). The last ACC is taken as the reference
("exact" answer); standard library only.
"""
import math
import re
import sys

KE_LAMMPS = 14.399645  # LAMMPS metal qqr2e (eV A / e^2)
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
    m = re.search(r"Ewald: α = (\S+) 1/Å, real cutoff (\S+) Å, kmax \[([^\]]*)\], "
                  r"requested accuracy (\S+), estimated (\S+)", text)
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


def rms(forces):
    return math.sqrt(sum(x * x + y * y + z * z for x, y, z in forces) / len(forces))


def force_diff(a, b):
    d2 = [sum((p - q) ** 2 for p, q in zip(fa, fb)) for fa, fb in zip(a, b)]
    return math.sqrt(sum(d2) / len(d2)), math.sqrt(max(d2))


def main():
    if len(sys.argv) < 3:
        die("usage: ionic_compare.py DIR ACC [ACC ...]")
    d, accs = sys.argv[1], sys.argv[2:]
    sets = {}  # label -> (energies, forces, ewald)
    for acc in accs:
        sets[f"mdsim {acc}"] = read_mdsim(f"{d}/mdsim-{acc}.out", f"{d}/mdsim-{acc}/forces.csv")
        sets[f"LAMMPS {acc}"] = read_lammps(f"{d}/lammps-{acc}.log", f"{d}/lammps-{acc}.dump")
    n = len(next(iter(sets.values()))[1])
    for label, (_, f, _) in sets.items():
        if len(f) != n:
            die(f"{label}: {len(f)} forces, expected {n}")

    print("Ewald parameters (requested relative force accuracy; r_c = real-space cutoff)")
    for label, (_, _, ewald) in sets.items():
        print(f"  {label:<14} {ewald}")

    print(f"\nEnergies (eV, {n} atoms; Coulomb = real + reciprocal + self = LAMMPS ecoul + elong)")
    print(f"  {'':<14} {'short-range':>20} {'Coulomb':>20} {'total':>20} {'pressure (bar)':>16}")
    for label, (e, _, _) in sets.items():
        print(f"  {label:<14} {e['short']:>20.10f} {e['coul']:>20.10f} {e['total']:>20.10f}"
              f" {e['press']:>16.4f}")
    for acc in accs:
        m, l = sets[f"mdsim {acc}"][0], sets[f"LAMMPS {acc}"][0]
        print(f"  mdsim {acc}: real {m['real']:.10f} + recip {m['recip']:.10f} + self "
              f"{m['self']:.10f};  LAMMPS {acc}: ecoul {l['ecoul']:.10f} + elong {l['elong']:.10f}")

    ref = accs[-1]
    pairs = [(f"mdsim {a}", f"LAMMPS {a}") for a in accs]
    for a in accs[:-1]:
        for code in ("mdsim", "LAMMPS"):
            for rcode in ("mdsim", "LAMMPS"):
                pairs.append((f"{code} {a}", f"{rcode} {ref}"))
    print("\nDifferences A - B: energies in eV (and relative to |B total|); forces relative to "
          "B's RMS force and, in brackets, to k_e/(1 A)^2 = 14.4 eV/A (LAMMPS' accuracy unit)")
    print(f"  {'A':<14} {'B':<14} {'d short':>11} {'d Coulomb':>11} {'d total':>11} "
          f"{'d tot rel':>10} {'F RMS diff':>22} {'F max diff':>22}")
    for a, b in pairs:
        ea, fa, _ = sets[a]
        eb, fb, _ = sets[b]
        frms = rms(fb)
        drms, dmax = force_diff(fa, fb)
        print(f"  {a:<14} {b:<14} {ea['short'] - eb['short']:>11.3e} {ea['coul'] - eb['coul']:>11.3e}"
              f" {ea['total'] - eb['total']:>11.3e} {(ea['total'] - eb['total']) / abs(eb['total']):>10.2e}"
              f" {drms / frms:>10.2e} [{drms / KE_LAMMPS:.2e}] {dmax / frms:>10.2e} [{dmax / KE_LAMMPS:.2e}]")
    print(f"  (RMS force of LAMMPS {ref}: {rms(sets[f'LAMMPS {ref}'][1]):.6f} eV/A)")


if __name__ == "__main__":
    main()
