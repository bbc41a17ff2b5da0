#!/usr/bin/env python3
"""Largest Lyapunov exponent of twin LAMMPS runs (benches/lyapunov_lammps.sh), measured as
`mdsim divergence` measures it (docs/divergence.md), from dumps of unwrapped positions and
velocities (`dump custom ... id xu yu zu vx vy vz`, sorted by id, one atom type):

  d = sqrt(sum |r_twin - r_ref|^2)                         (A)
  s = sqrt(sum |v_twin - v_ref|^2 / sum (|v_ref|^2 + |v_twin|^2))
  window: from d >= 10 d(0) to s >= 0.01; kicks (s grows by more than 2x between frames) cut
  the window, 1/lambda after each is left out, lambda = slope common to the stretches;
  decorrelation: first time the velocity correlation 1 - s^2 <= 0.1.

Usage: lyapunov_lammps.py DT_PS REF1.dump TWIN1.dump [REF2.dump TWIN2.dump ...]
(each twin against its own reference). Prints one line per twin and the mean +- standard
error. Standard library only.
"""
import math
import sys


def frames(path):
    """Yields (step, positions, velocities) per frame."""
    with open(path) as f:
        while True:
            line = f.readline()
            if not line:
                return
            if not line.startswith("ITEM: TIMESTEP"):
                continue
            step = int(f.readline())
            f.readline()
            n = int(f.readline())
            for _ in range(4):
                f.readline()
            header = f.readline().split()[2:]
            ix = [header.index(k) for k in ("xu", "yu", "zu", "vx", "vy", "vz")]
            pos, vel = [], []
            for _ in range(n):
                c = f.readline().split()
                pos.append([float(c[i]) for i in ix[:3]])
                vel.append([float(c[i]) for i in ix[3:]])
            yield step, pos, vel


def separation(ref, twin):
    d2 = dv2 = vv = 0.0
    for (pa, va), (pb, vb) in zip(zip(*ref), zip(*twin)):
        for k in range(3):
            d2 += (pa[k] - pb[k]) ** 2
            dv2 += (va[k] - vb[k]) ** 2
            vv += va[k] ** 2 + vb[k] ** 2
    return math.sqrt(d2), math.sqrt(dv2 / vv)


def slope(pts):
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    my = sum(y for _, y in pts) / n
    return sum((t - mt) * (y - my) for t, y in pts), sum((t - mt) ** 2 for t, _ in pts)


def fit(t, d, s):
    start = next(i for i in range(len(t)) if d[i] >= 10 * d[0])
    end = next(i for i in range(start, len(t)) if s[i] >= 0.01)
    sxy, sxx = slope([(t[i], math.log(d[i])) for i in range(start, end + 1)])
    naive = sxy / sxx
    kicks = [i for i in range(start + 1, end + 1) if s[i - 1] > 0 and s[i] / s[i - 1] > 2.0]
    stretches, cur, skip_until = [], [], -1.0
    for i in range(start, end + 1):
        if i in kicks:
            stretches.append(cur)
            cur, skip_until = [], t[i] + 1.0 / naive
        elif t[i] >= skip_until:
            cur.append((t[i], math.log(d[i])))
    stretches.append(cur)
    sums = [slope(c) for c in stretches if len(c) >= 3]
    return sum(a for a, _ in sums) / sum(b for _, b in sums), naive, len(kicks), t[start], t[end]


def main():
    dt, paths = float(sys.argv[1]), sys.argv[2:]
    lambdas, decs = [], []
    for ref_path, path in zip(paths[0::2], paths[1::2]):
        ref = [(step, (p, v)) for step, p, v in frames(ref_path)]
        t, d, s, c = [], [], [], []
        for (step, r), (step2, p, v) in zip(ref, frames(path)):
            assert step == step2, (step, step2)
            di, si = separation(r, (p, v))
            t.append((step - ref[0][0]) * dt)
            d.append(di)
            s.append(si)
            c.append(1 - si * si)
        lam, naive, kicks, a, b = fit(t, d, s)
        dec = next((ti for ti, ci in zip(t, c) if ci <= 0.1), float("nan"))
        lambdas.append(lam)
        decs.append(dec)
        print(f"{path}: lambda = {lam:.4f} 1/ps (window {a:.2f}-{b:.2f} ps, {kicks} kicks, "
              f"{naive:.4f} with them), decorrelated after {dec:.2f} ps")
    for name, xs in (("lambda (1/ps)", lambdas), ("decorrelation time (ps)", decs)):
        m = sum(xs) / len(xs)
        se = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs))
        print(f"{name}: {m:.4f} +- {se:.4f} ({len(xs)} twins)")


if __name__ == "__main__":
    main()
