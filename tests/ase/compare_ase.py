#!/usr/bin/env python3
"""Compares what mdsim reads from extended XYZ files with what ASE reads.

Writes many variants of extended XYZ files, some with ASE (`ase.io.write`), some by hand
(every notation the specification allows and every line-ending/encoding variant), reads each
one with ASE (`ase.io.read`, the default: last frame), with the libAtoms reference parser
(`extxyz.read_dicts`, for the notations ASE does not read) and with mdsim (the example
`crates/mdsim-io/examples/read_structure.rs`), and compares cell, species, positions,
velocities (Å/ps) and the masses/charges columns.

    python3 tests/ase/compare_ase.py                   # compare, print a table
    python3 tests/ase/compare_ase.py --write-fixtures  # also (re)write the Rust test fixtures

The fixtures (crates/mdsim-io/tests/fixtures/extxyz/*.xyz with *.json holding the values
ASE, or the reference parser, read) let `cargo test` check the same without Python.

Creates its own virtual environment (MDSIM_ASE_VENV, default /tmp/mdsim-ase-venv) with
pinned ase and extxyz; needs python3 with venv and pip, and cargo.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

PACKAGES = ["ase==3.29.0", "extxyz==0.4.6", "numpy"]
VENV = os.environ.get("MDSIM_ASE_VENV", "/tmp/mdsim-ase-venv")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "crates", "mdsim-io", "tests", "fixtures", "extxyz")
# ASE's time unit in ps with its default CODATA 2014 constants (mdsim-core units.rs).
ASE_TIME_UNIT_PS = 0.010180505671156723


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

import numpy as np  # noqa: E402
import ase  # noqa: E402
import ase.data  # noqa: E402
import ase.geometry  # noqa: E402
import ase.io  # noqa: E402
from importlib.metadata import version  # noqa: E402
import extxyz  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.calculators.singlepoint import SinglePointCalculator  # noqa: E402
from ase.constraints import FixAtoms  # noqa: E402
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary  # noqa: E402


def ase_text(images, **kw):
    """What ase.io.write(format="extxyz") writes."""
    path = tempfile.mktemp(suffix=".xyz")
    ase.io.write(path, images, format="extxyz", **kw)
    text = open(path).read()
    os.remove(path)
    return text


def argon(seed=1):
    rng = np.random.default_rng(seed)
    a = 5.26
    pos = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]]) * a
    return Atoms("Ar4", positions=pos + rng.normal(0, 0.05, (4, 3)), cell=[a, a, a], pbc=True)


def lithium_oxide():
    cell = ase.geometry.cellpar_to_cell([5.1, 6.2, 7.3, 80.0, 95.0, 105.0])
    frac = np.array([[0.1, 0.2, 0.3], [0.6, 0.7, 0.2], [0.35, 0.45, 0.8]])
    return Atoms("Li2O", scaled_positions=frac, cell=cell, pbc=True)


def with_momenta(atoms, seed=3):
    warnings.simplefilter("ignore", DeprecationWarning)  # ASE 3.29 prefers a newer name
    MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(seed))
    Stationary(atoms)
    return atoms


def variants():
    """(name, bytes, expectation, bytes for the references): expectation is "read" or
    "refuse: why"; the references read the same bytes unless a variant says otherwise."""
    out = []

    def add(name, text, expect="read", reference=None):
        data = text.encode() if isinstance(text, str) else text
        out.append((name, data, expect, reference or data))

    plain = ase_text(argon())
    add("ase-plain", plain)
    add("ase-triclinic", ase_text(lithium_oxide()))
    add("ase-momenta", ase_text(with_momenta(argon())))
    lio = lithium_oxide()
    lio.set_masses([6.015, 6.015, 15.999])
    add("ase-masses-momenta", ase_text(with_momenta(lio)))
    lio = lithium_oxide()
    lio.set_initial_charges([1.0, 1.0, -2.0])
    add("ase-initial-charges", ase_text(lio))
    fixed = argon()
    fixed.set_constraint(FixAtoms(indices=[0, 2]))
    add("ase-fixatoms", ase_text(fixed))
    calc = argon()
    calc.calc = SinglePointCalculator(calc, energy=-1.5, forces=np.ones((4, 3)) * 0.1,
                                      stress=np.arange(6) * 0.01)
    add("ase-calculator-results", ase_text(calc))
    info = argon()
    info.info.update({"comment": 'a "quoted" word and spaces', "n": 7, "ok": True,
                      "vec": np.array([1.5, 2.5, 3.5]), "ints": np.array([1, 2, 3])})
    add("ase-info-keys", ase_text(info))
    frames = [argon(1), argon(2), Atoms("Ar2", positions=[[0, 0, 0], [2, 2, 2]],
                                        cell=[6, 6, 6], pbc=True)]
    add("ase-three-frames", ase_text(frames))
    tags = argon()
    tags.set_tags([1, 2, 3, 4])
    tags.set_initial_magnetic_moments([0.5, 0, 0, -0.5])
    add("ase-tags-magmoms", ase_text(tags))
    slab = argon()
    slab.pbc = [True, True, False]
    add("ase-slab-pbc-TTF", ase_text(slab), "refuse: not periodic along c")
    add("ase-no-cell", ase_text(Atoms("Ar2", positions=[[0, 0, 0], [1, 1, 1]])),
        "refuse: no Lattice")

    # By hand: every notation of the specification, from the ASE-written file.
    head, comment, body = plain.split("\n", 2)
    lat = comment.split('"')[1]
    rest = comment.split('"', 2)[2]
    nums = lat.split()
    rows = ", ".join("[" + ", ".join(nums[3 * k:3 * k + 3]) + "]" for k in range(3))

    def variant(new_comment, new_body=body):
        return f"{head}\n{new_comment}\n{new_body}"

    add("spaces-around-equals", variant(f'Lattice = "{lat}"  ' + rest.replace("=", " = ")))
    add("curly-braces", variant(f"Lattice={{{lat}}}" + rest))
    add("single-quotes", variant(f"Lattice='{lat}'" + rest))
    add("commas-in-quotes", variant(f'Lattice="{",".join(nums)}"' + rest))
    add("flat-brackets", variant(f"Lattice=[{', '.join(nums)}]" + rest))
    add("nested-brackets", variant(f"Lattice=[{rows}]" + rest))
    tri = ase_text(lithium_oxide())
    th, tc, tb = tri.split("\n", 2)
    tl = tc.split('"')[1].split()
    trows = ",".join("[" + ",".join(tl[3 * k:3 * k + 3]) + "]" for k in range(3))
    trest = tc.split('"', 2)[2]
    add("nested-brackets-triclinic", f"{th}\nLattice=[{trows}]{trest}\n{tb}")
    add("fortran-exponents", variant('Lattice="' + " ".join(
        f"{float(x):.6E}".replace("E", "D") for x in nums) + '"' + rest))
    add("quoted-properties", variant(comment.replace("Properties=species:S:1:pos:R:3",
                                                     'Properties="species:S:1:pos:R:3"')))
    add("pbc-brackets", variant(comment.replace('pbc="T T T"', "pbc=[T, T, T]")))
    add("pbc-words", variant(comment.replace('pbc="T T T"', 'pbc="True true TRUE"')))
    add("flag-key", variant(comment + " is_relaxed"))
    add("escaped-quotes", variant(comment + r' note="say \"hi\" \\ there"'))
    add("no-properties", variant(f'Lattice="{lat}"'))
    add("crlf", plain.replace("\n", "\r\n"))
    add("cr-only", plain.replace("\n", "\r"))
    # Neither ASE nor the reference parser skips a byte-order mark: compare with the file
    # without it (what a user means).
    add("utf8-bom", b"\xef\xbb\xbf" + plain.encode(), reference=plain.encode())
    add("tabs-and-trailing-spaces", "\n".join(
        "\t".join(line.split()) + "   \t" if i > 1 else line
        for i, line in enumerate(plain.split("\n"))))
    add("trailing-blank-lines", plain + "\n\n   \n")
    add("no-final-newline", plain.rstrip("\n"))
    add("integer-and-exponent-positions", variant(comment, "\n".join(
        f"Ar {int(round(float(l.split()[1])))} {float(l.split()[2]):.6e} {l.split()[3]}"
        for l in body.strip().split("\n")) + "\n"))
    reordered = "\n".join(" ".join(l.split()[1:] + l.split()[:1])
                          for l in body.strip().split("\n")) + "\n"
    add("columns-reordered", variant(comment.replace(
        "species:S:1:pos:R:3", "pos:R:3:species:S:1"), reordered))
    z_body = "\n".join("18 " + " ".join(l.split()[1:]) for l in body.strip().split("\n")) + "\n"
    add("atomic-numbers-only", variant(comment.replace("species:S:1", "Z:I:1"), z_body))
    zs = "\n".join(l + " 18" for l in body.strip().split("\n")) + "\n"
    add("species-and-atomic-numbers", variant(comment.replace(
        "pos:R:3", "pos:R:3:Z:I:1"), zs))
    logical = "\n".join(l + (" T" if i % 2 else " F")
                        for i, l in enumerate(body.strip().split("\n"))) + "\n"
    add("logical-column", variant(comment.replace("pos:R:3", "pos:R:3:selected:L:1"), logical))
    extra = "\n".join(l + " 0.1 0.2 0.3" for l in body.strip().split("\n")) + "\n"
    add("more-columns-than-properties", variant(comment, extra),
        "refuse: the atom lines do not match Properties (ASE ignores the extra columns)")
    short = "\n".join(" ".join(l.split()[:3]) for l in body.strip().split("\n")) + "\n"
    add("fewer-columns-than-properties", variant(comment, short), "refuse: missing columns")
    add("blank-line-between-frames", plain + "\n" + plain,
        "refuse: blank line between frames (ASE stops reading there)")
    return out


# Variants whose warnings must name something (substrings of one warning each).
WARNS = {
    "ase-masses-momenta": ["column `masses`: the Li atoms have 6.015 amu"],
    "ase-initial-charges": ["column `initial_charges`"],
    "ase-fixatoms": ["`move_mask` fixes 2 atom(s)"],
    "ase-three-frames": ["holds 3 frames", "frame 2"],
    "ase-tags-magmoms": [],
    "logical-column": ["`selected:L:1`"],
}


def run_mdsim(path):
    exe = os.path.join(ROOT, "target", "release", "examples", "read_structure")
    r = subprocess.run([exe, path], capture_output=True, text=True)
    return json.loads(r.stdout)


def read_ase(path):
    try:
        a = ase.io.read(path, format="extxyz")
    except Exception as e:  # noqa: BLE001 - any refusal counts
        return {"error": f"{type(e).__name__}: {e}"}
    if not a.cell.any() or not all(a.pbc):
        return {"refused": f"cell {a.cell.array.tolist()}, pbc {a.pbc.tolist()}"}
    out = {"reader": f"ase {ase.__version__}", "cell": a.cell.array.tolist(),
           "species": a.get_chemical_symbols(), "positions": a.positions.tolist()}
    if "momenta" in a.arrays:
        out["velocities"] = (a.get_velocities() / ASE_TIME_UNIT_PS).tolist()
    if "masses" in a.arrays:
        out["masses"] = a.arrays["masses"].tolist()
    if "initial_charges" in a.arrays:
        out["charges"] = a.arrays["initial_charges"].tolist()
    return out


def read_reference(path):
    try:
        f = extxyz.read_dicts(path)
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}
    if isinstance(f, list):
        if not f:
            return {"error": "no frame read"}
        f = f[-1]
    species = f.arrays.get("species")
    if species is None and "Z" in f.arrays:
        species = [ase.data.chemical_symbols[z] for z in f.arrays["Z"]]
    if f.cell is None or not np.any(f.cell) or not all(f.pbc):
        return {"refused": "no periodic cell"}
    return {"reader": f"extxyz {version('extxyz')}", "cell": np.asarray(f.cell).tolist(),
            "species": list(species), "positions": np.asarray(f.arrays["pos"]).tolist()}


def differences(mine, ref):
    """Names of the quantities that differ (positions to 1e-10 Å, velocities to 1e-12
    relative)."""
    bad = []
    for key in ("cell", "positions"):
        if np.max(np.abs(np.array(mine[key]) - np.array(ref[key]))) > 1e-10:
            bad.append(key)
    if mine["species"] != ref["species"]:
        bad.append("species")
    if "velocities" in ref:
        v, w = np.array(mine["velocities"]), np.array(ref["velocities"])
        if np.max(np.abs(v - w)) > 1e-12 * max(1.0, np.max(np.abs(w))):
            bad.append("velocities")
    for key in ("masses", "charges"):
        if key in ref and (mine.get(key) is None or
                           np.max(np.abs(np.array(mine[key]) - np.array(ref[key]))) > 0):
            bad.append(key)
    return bad


def main():
    write = "--write-fixtures" in sys.argv
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "mdsim-io", "--example",
                    "read_structure"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="mdsim-ase-")
    if write:
        os.makedirs(FIXTURES, exist_ok=True)
    failures = 0
    print(f"{'variant':34} {'ASE':8} {'extxyz':8} {'mdsim':8} result")
    for name, data, expect, reference in variants():
        path = os.path.join(work, name + ".xyz")
        open(path, "wb").write(data)
        ref_path = os.path.join(work, name + ".reference.xyz")
        open(ref_path, "wb").write(reference)
        mine, a, ref = run_mdsim(path), read_ase(ref_path), read_reference(ref_path)
        status = lambda r: "reads" if "cell" in r else "refuses"  # noqa: E731
        truth = a if "cell" in a else ref if "cell" in ref else None
        if expect == "read":
            if "error" in mine:
                verdict, ok = f"MDSIM REFUSES: {mine['error']}", False
            elif truth is None:
                verdict, ok = "no reference reads it", False
            else:
                bad = differences(mine, truth)
                for w in WARNS.get(name, []):
                    if not any(w in m for m in mine["warnings"]):
                        bad.append(f"no warning with `{w}`")
                if name not in WARNS and mine["warnings"]:
                    bad.append(f"unexpected warnings {mine['warnings']}")
                ok = not bad
                verdict = f"same as {truth['reader']}" if ok else f"DIFFERS in {bad}"
        else:
            ok = "error" in mine
            verdict = (f"refused as intended ({expect[8:]})" if ok
                       else f"ACCEPTED, expected {expect}")
        failures += not ok
        print(f"{name:34} {status(a):8} {status(ref):8} "
              f"{'reads' if 'cell' in mine else 'refuses':8} {verdict}")
        if write:
            open(os.path.join(FIXTURES, name + ".xyz"), "wb").write(data)
            record = {"expect": expect, "warns": WARNS.get(name, [])}
            if expect == "read" and truth is not None:
                record.update(truth)
            json.dump(record, open(os.path.join(FIXTURES, name + ".json"), "w"))
    print(f"{len(variants()) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
