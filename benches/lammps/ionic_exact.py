#!/usr/bin/env python3
"""Near-exact energies and forces of the rigid-ion Li-P-Si-O Buckingham model, independent of
both mdsim and LAMMPS: the judge for benches/compare_lammps_ionic.sh.

Usage: ionic_exact.py IN.xyz OUTPREFIX
Writes OUTPREFIX.out (one line "EXACT short S coul C total T real R recip K self X alpha A rc R")
and OUTPREFIX-forces.csv (atom,species,fx,fy,fz in file order).

- Buckingham A exp(-r/rho) - C/r^6 (MATERIALS.md section 1a), cutoff 10 A, not shifted; the
  repair below r0 is not implemented (benches/xyz_to_lammps.py --min-distances checks that no
  pair is inside r0).
- Ewald with math.erfc (libm, ~1e-16) and converged parameters: r_c just under half the
  smallest box edge, alpha = 6/r_c (erfc(6) = 2e-17), every k-vector with
  k^2/(4 alpha^2) <= 40 (exp(-40) = 4e-18). The Coulomb constant is CODATA's
  e^2/(4 pi eps0) = 14.3996454784 eV A (LAMMPS metal uses qqr2e = 14.399645).
- Direct O(N^2) pair loop and a plain structure-factor sum: slow (seconds for 3,000 atoms),
  simple, and easy to check. Needs numpy; orthorhombic cells only.
"""
import math
import sys

try:
    import numpy as np
except ImportError:
    sys.exit("ionic_exact: needs numpy (apt-get install python3-numpy)")

KE = 14.3996454784
NAMES = ["Li", "P", "Si", "O"]
CHARGE = {"Li": 0.6, "P": 3.0, "Si": 2.4, "O": -1.2}
BUCK = {("Li", "O"): (41051.938, 0.151160, 0.0), ("P", "O"): (26655.472, 0.181968, 86.856),
        ("Si", "O"): (13702.905, 0.193817, 54.681), ("O", "O"): (2029.2204, 0.343640, 192.580)}
SR_CUTOFF = 10.0


def read_xyz(path):
    lines = open(path).read().splitlines()
    n = int(lines[0].split()[0])
    lat = [float(v) for v in lines[1].split('Lattice="')[1].split('"')[0].split()]
    box = np.array([lat[0], lat[4], lat[8]])
    if max(abs(lat[k]) for k in (1, 2, 3, 5, 6, 7)) > 1e-12 * box.max():
        sys.exit(f"ionic_exact: {path}: cell not orthorhombic")
    species = [l.split()[0] for l in lines[2:2 + n]]
    pos = np.array([[float(v) for v in l.split()[1:4]] for l in lines[2:2 + n]])
    return box, species, pos


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: ionic_exact.py IN.xyz OUTPREFIX")
    box, species, x = read_xyz(sys.argv[1])
    n, volume = len(species), box.prod()
    q = np.array([CHARGE[s] for s in species])
    t = np.array([NAMES.index(s) for s in species])
    A, rho, C = np.zeros((4, 4)), np.ones((4, 4)), np.zeros((4, 4))
    for (a, b), (aa, rr, cc) in BUCK.items():
        i, j = NAMES.index(a), NAMES.index(b)
        A[i, j] = A[j, i] = aa
        rho[i, j] = rho[j, i] = rr
        C[i, j] = C[j, i] = cc
    rc = 0.5 * box.min() - 0.01
    alpha = 6.0 / rc
    erfc = np.vectorize(math.erfc)

    forces = np.zeros((n, 3))
    e_short = e_real = 0.0
    for i in range(n - 1):  # real space + Buckingham, pairs i < j, minimum image
        d = x[i] - x[i + 1:]
        d -= box * np.round(d / box)
        r = np.sqrt((d * d).sum(1))
        m = r < rc
        r, d, j = r[m], d[m], np.arange(i + 1, n)[m]
        qq = KE * q[i] * q[j]
        ec = erfc(alpha * r)
        e_real += (qq * ec / r).sum()
        f_over_r = qq * (ec / r + 2 * alpha / math.sqrt(math.pi) * np.exp(-(alpha * r) ** 2)) / r**2
        sr = r < SR_CUTOFF
        a, rh, c = A[t[i], t[j]], rho[t[i], t[j]], C[t[i], t[j]]
        ex = a * np.exp(-r / rh)
        e_short += (sr * (ex - c / r**6)).sum()
        f_over_r += sr * (ex / rh - 6 * c / r**7) / r
        fv = f_over_r[:, None] * d
        forces[i] += fv.sum(0)
        np.add.at(forces, j, -fv)

    kc = 2 * alpha * math.sqrt(40.0)  # reciprocal space: half sphere (k and -k), doubled
    nmax = [int(kc * box[d] / (2 * math.pi)) + 1 for d in range(3)]
    kvec = []
    for a in range(0, nmax[0] + 1):
        for b in range(-nmax[1], nmax[1] + 1):
            for c in range(-nmax[2], nmax[2] + 1):
                if a == 0 and (b < 0 or (b == 0 and c <= 0)):
                    continue
                k = 2 * math.pi * np.array([a, b, c]) / box
                if k @ k <= kc * kc:
                    kvec.append(k)
    kvec = np.array(kvec)
    k2 = (kvec * kvec).sum(1)
    w = np.exp(-k2 / (4 * alpha**2)) / k2
    e_recip = 0.0
    for s in range(0, len(kvec), 1000):
        kk, ww = kvec[s:s + 1000], w[s:s + 1000]
        phase = np.exp(1j * (x @ kk.T))  # atoms x k-vectors
        sk = (q[:, None] * phase).sum(0)
        e_recip += 4 * math.pi * KE / volume * (ww * np.abs(sk) ** 2).sum()
        im = (phase * np.conj(sk)[None, :]).imag
        forces += 8 * math.pi * KE / volume * q[:, None] * ((im * ww) @ kk)
    e_self = -KE * alpha / math.sqrt(math.pi) * (q * q).sum()
    coul = e_real + e_recip + e_self

    with open(sys.argv[2] + ".out", "w") as f:
        f.write(f"EXACT short {e_short:.10f} coul {coul:.10f} total {e_short + coul:.10f} "
                f"real {e_real:.10f} recip {e_recip:.10f} self {e_self:.10f} "
                f"alpha {alpha:.6f} rc {rc:.4f} kvectors {2 * len(kvec)}\n")
    with open(sys.argv[2] + "-forces.csv", "w") as f:
        f.write("atom,species,fx_eV_per_A,fy_eV_per_A,fz_eV_per_A\n")
        for i, (s, fi) in enumerate(zip(species, forces)):
            f.write(f"{i},{s},{fi[0]:.17e},{fi[1]:.17e},{fi[2]:.17e}\n")


if __name__ == "__main__":
    main()
