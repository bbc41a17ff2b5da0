#!/usr/bin/env python3
"""Energy drift and fluctuation of an MD run, in units of k_B*T per atom (standard library only).

Reads a table (comma- or whitespace-separated, one header line with column names, '#' lines are
comments; if no plain header, the last '#' line before the data is used) such as mdsim's
thermo.csv or the fix-print files of benches/lammps/*.in. A LAMMPS log also works: the last
thermo block (header line "Step ...") is read.  Fits E/N = a + b*t by least squares and prints
  drift = b / (k_B T)                     [k_B T per atom per ps]
  rms   = RMS(E/N - fit) / (k_B T)        [k_B T per atom]

Usage: energy_drift.py FILE --natoms 864 --temp 94.4 [--energy conserved_eV] [--time time_ps]
                       [--skip-ps 0] [--brief]
"""
import argparse, math, sys

KB = 8.617333262e-5  # eV/K


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def read_table(path):
    lines = open(path).read().splitlines()
    steps = [i for i, l in enumerate(lines) if l.split()[:1] == ["Step"]]
    if steps:  # LAMMPS log: keep the last thermo block only
        lines = lines[steps[-1]:]
    header, last_comment, rows = None, None, []
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            last_comment = s.lstrip("#")
            continue
        f = [x.strip() for x in s.split(",")] if "," in s else s.split()
        if all(is_number(x) for x in f):
            if header is None:
                if last_comment is None:
                    sys.exit(f"{path}: no header line with column names")
                header = [x.strip() for x in (last_comment.split(",") if "," in last_comment
                                              else last_comment.split())]
            if len(f) == len(header):
                rows.append([float(x) for x in f])
        elif header is None:
            header = f
        elif rows:
            break  # end of the table (e.g. "Loop time" in a LAMMPS log)
    if header is None or not rows:
        sys.exit(f"{path}: no data rows found")
    return header, rows


def column(header, name):
    for cand in (name, name.lower()):
        for i, h in enumerate(header):
            if h == cand or h.lower() == cand:
                return i
    sys.exit(f"column '{name}' not found; columns are: {', '.join(header)}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--natoms", type=int, required=True)
    p.add_argument("--temp", type=float, required=True, help="temperature in K (for k_B T)")
    p.add_argument("--energy", default="conserved_eV", help="energy column (total, eV)")
    p.add_argument("--time", default="time_ps", help="time column (ps)")
    p.add_argument("--skip-ps", type=float, default=0.0, help="ignore rows with t < this")
    p.add_argument("--brief", action="store_true", help="print only: drift rms")
    a = p.parse_args()

    header, rows = read_table(a.file)
    it, ie = column(header, a.time), column(header, a.energy)
    pts = [(r[it], r[ie] / a.natoms) for r in rows if r[it] >= a.skip_ps]
    n = len(pts)
    if n < 3:
        sys.exit(f"{a.file}: only {n} points")
    tm = sum(t for t, _ in pts) / n
    em = sum(e for _, e in pts) / n
    stt = sum((t - tm) ** 2 for t, _ in pts)
    slope = sum((t - tm) * (e - em) for t, e in pts) / stt
    rms = math.sqrt(sum((e - em - slope * (t - tm)) ** 2 for t, e in pts) / n)
    kt = KB * a.temp
    if a.brief:
        print(f"{slope / kt:.3e} {rms / kt:.3e}")
    else:
        print(f"{a.file}: {n} points, t = {pts[0][0]:g}..{pts[-1][0]:g} ps, column {a.energy}, "
              f"N = {a.natoms}, k_B T = {kt:.6g} eV")
        print(f"  drift = {slope / kt:+.3e} k_B T/ps per atom   ({slope:+.3e} eV/ps per atom)")
        print(f"  rms   = {rms / kt:.3e} k_B T per atom      ({rms:.3e} eV per atom)")


if __name__ == "__main__":
    main()
