#!/usr/bin/env python3
"""Extended XYZ (as written by mdsim, e.g. minimized.xyz) -> LAMMPS data file, atom_style charge.

Usage: benches/xyz_to_lammps.py IN.xyz OUT.data [--min-distances]

- The cell must be orthorhombic (Lattice="ax 0 0 0 by 0 0 0 cz", off-diagonal elements up to
  1e-12 of the edge count as 0); anything else is an error. The box is [0, ax] x [0, by] x [0, cz].
- Types and charges are those of the rigid-ion Li-P-Si-O model (MATERIALS.md section 1):
  Li=1 (+0.6), P=2 (+3.0), Si=3 (+2.4), O=4 (-1.2); masses 6.941, 30.973762, 28.0855, 15.9994.
- Atom ids follow the file order (id = line index + 1); positions are copied as written
  (the text of the file, so no precision is lost).
- --min-distances prints the smallest Si-O, P-O, O-O, Li-O distances (minimum image) and
  whether any is below the r0 of the Buckingham repair (Si-O 1.168, P-O 1.169, O-O 1.906 A),
  where LAMMPS' buck/coul/long (no repair) and mdsim would differ.
Standard library only.
"""
import math
import shlex
import sys

SPECIES = {  # name: (type, mass, charge)
    "Li": (1, 6.941, 0.6),
    "P": (2, 30.973762, 3.0),
    "Si": (3, 28.0855, 2.4),
    "O": (4, 15.9994, -1.2),
}
REPAIR_R0 = {("Si", "O"): 1.168, ("P", "O"): 1.169, ("O", "O"): 1.906}


def die(msg):
    sys.exit(f"xyz_to_lammps: {msg}")


def read_xyz(path):
    with open(path) as f:
        lines = f.read().splitlines()
    try:
        n = int(lines[0].split()[0])
    except (IndexError, ValueError):
        die(f"{path}:1: expected the number of atoms")
    if len(lines) < n + 2:
        die(f"{path}: {n} atoms announced, only {len(lines) - 2} lines follow")
    props = {}
    for tok in shlex.split(lines[1]):
        if "=" in tok:
            k, v = tok.split("=", 1)
            props[k.lower()] = v
    if "lattice" not in props:
        die(f'{path}:2: no Lattice="ax ay az bx by bz cx cy cz" on the comment line')
    lat_text = props["lattice"].split()
    if len(lat_text) != 9:
        die(f"{path}:2: Lattice must hold nine numbers")
    lat = [float(x) for x in lat_text]
    # off-diagonal elements at rounding level (cos 90° = 6e-17 times a length) count as zero
    tol = 1e-12 * max(abs(lat[0]), abs(lat[4]), abs(lat[8]))
    for k, v in enumerate(lat):
        if k not in (0, 4, 8) and abs(v) > tol:
            die(f"{path}:2: the cell is not orthorhombic (Lattice = {props['lattice']}); "
                "only orthorhombic cells are supported (LAMMPS would need a triclinic box)")
    if min(lat[0], lat[4], lat[8]) <= 0.0:
        die(f"{path}:2: the cell edges ax, by, cz must be positive")
    # column layout from Properties (default species:S:1:pos:R:3)
    fields = props.get("properties", "species:S:1:pos:R:3").split(":")
    col, species_col, pos_col = 0, None, None
    for name, _typ, count in zip(fields[0::3], fields[1::3], fields[2::3]):
        if name == "species":
            species_col = col
        elif name == "pos":
            pos_col = col
        col += int(count)
    if species_col is None or pos_col is None:
        die(f"{path}:2: Properties needs species and pos columns")
    atoms = []
    for i in range(n):
        cols = lines[i + 2].split()
        if len(cols) < col:
            die(f"{path}:{i + 3}: expected {col} columns, found {len(cols)}")
        sp = cols[species_col]
        if sp not in SPECIES:
            die(f"{path}:{i + 3}: unknown species {sp!r} (known: {', '.join(SPECIES)})")
        atoms.append((sp, cols[pos_col:pos_col + 3]))
    return lat_text, (lat[0], lat[4], lat[8]), atoms


def write_data(path, src, lat_text, atoms):
    counts = {}
    for sp, _ in atoms:
        counts[sp] = counts.get(sp, 0) + 1
    with open(path, "w") as f:
        f.write(f"LAMMPS data file from {src} (benches/xyz_to_lammps.py): "
                + ", ".join(f"{c} {s}" for s, c in counts.items()) + "\n\n")
        f.write(f"{len(atoms)} atoms\n{len(SPECIES)} atom types\n\n")
        for text, axis in zip((lat_text[0], lat_text[4], lat_text[8]), "xyz"):
            f.write(f"0.0 {text} {axis}lo {axis}hi\n")
        f.write("\nMasses\n\n")
        for name, (t, m, _) in SPECIES.items():
            f.write(f"{t} {m!r}  # {name}\n")
        f.write("\nAtoms # charge\n\n")
        for i, (sp, xyz) in enumerate(atoms, start=1):
            t, _, q = SPECIES[sp]
            f.write(f"{i} {t} {q!r} {xyz[0]} {xyz[1]} {xyz[2]}\n")


def min_distances(box, atoms):
    """Smallest distance per (cation, O) and O-O pair, minimum image, cell list (r < 3 A)."""
    rc = 3.0
    pos = [[float(x) for x in xyz] for _, xyz in atoms]
    nb = [max(1, int(L // rc)) for L in box]
    cells = {}
    for i, p in enumerate(pos):
        key = tuple(int((p[d] % box[d]) / box[d] * nb[d]) % nb[d] for d in range(3))
        cells.setdefault(key, []).append(i)
    best = {}
    for (cx, cy, cz), members in cells.items():
        neigh = set()
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    neigh.add(((cx + dx) % nb[0], (cy + dy) % nb[1], (cz + dz) % nb[2]))
        others = [j for c in neigh for j in cells.get(c, ())]
        for i in members:
            si = atoms[i][0]
            for j in others:
                if j <= i:
                    continue
                sj = atoms[j][0]
                if "O" not in (si, sj):
                    continue
                key = tuple(sorted((si, sj), key=lambda s: (s == "O", s)))
                r2 = 0.0
                for d in range(3):
                    x = pos[i][d] - pos[j][d]
                    x -= box[d] * round(x / box[d])
                    r2 += x * x
                r = math.sqrt(r2)
                if r < best.get(key, math.inf):
                    best[key] = r
    return best


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        die("usage: xyz_to_lammps.py IN.xyz OUT.data [--min-distances]")
    src, dst = args
    lat_text, box, atoms = read_xyz(src)
    write_data(dst, src, lat_text, atoms)
    print(f"{dst}: {len(atoms)} atoms, box {box[0]} x {box[1]} x {box[2]} A")
    if "--min-distances" in sys.argv:
        best = min_distances(box, atoms)
        ok = True
        for pair in (("Si", "O"), ("P", "O"), ("O", "O"), ("Li", "O")):
            r = best.get(pair)
            r0 = REPAIR_R0.get(pair)
            note = ""
            if r0 is not None and r is not None:
                below = r <= r0
                ok &= not below
                note = f"(repair r0 {r0}: {'BELOW r0, the codes differ here' if below else 'above'})"
            rs = "none < 3 A" if r is None else f"{r:.4f} A"
            print(f"  closest {pair[0]}-{pair[1]}: {rs} {note}")
        if not ok:
            die("some pair is inside the Buckingham repair radius r0: LAMMPS buck/coul/long "
                "has no repair, so the comparison would not be like for like")


if __name__ == "__main__":
    main()
