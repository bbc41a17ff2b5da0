#!/usr/bin/env bash
# Largest Lyapunov exponent of Rahman's argon from LAMMPS twin runs, measured the way
# `mdsim divergence` measures it — an independent check of the mdsim number (README, "Chaos,
# measured"). Twin k branches from the state at 50 + 2(k-1) ps (like --stagger 2) with one atom
# moved by 1e-10 A in a random direction; its own unperturbed run from the same state is its
# reference. Usage: benches/lyapunov_lammps.sh [TWINS=8]   (installs lammps when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
twins=${1:-8}
here=$PWD
tmp=$(mktemp -d /tmp/lyapunov_lammps.XXXXXX)
echo "outputs in $tmp"
export OMP_NUM_THREADS=1
if ! command -v lmp >/dev/null; then
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y lammps
fi
in=$here/benches/lammps/rahman-twins.in
cd "$tmp"
lmp -nocite -in "$in" -log prepare.log -screen none -var stage prepare -var states "$twins"
pairs=()
for k in $(seq 1 "$twins"); do
  # atom and direction from a seeded stream (python's Mersenne Twister, seed 7 + k)
  read -r atom dx dy dz < <(python3 -c "
import math, random
r = random.Random(7 + $k)
atom = r.randrange(1, 865)
z = 2 * r.random() - 1; phi = 2 * math.pi * r.random(); s = math.sqrt(1 - z * z)
print(atom, *(repr(1e-10 * c) for c in (s * math.cos(phi), s * math.sin(phi), z)))")
  lmp -nocite -in "$in" -log ref$k.log -screen none -var stage twin -var state "$k" -var dump ref$k.dump
  lmp -nocite -in "$in" -log twin$k.log -screen none -var stage twin -var state "$k" \
    -var dump twin$k.dump -var atom "$atom" -var dx "$dx" -var dy "$dy" -var dz "$dz"
  pairs+=("ref$k.dump" "twin$k.dump")
done
python3 "$here/benches/lyapunov_lammps.py" 0.01 "${pairs[@]}"
