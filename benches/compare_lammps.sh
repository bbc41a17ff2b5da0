#!/usr/bin/env bash
# Side-by-side comparison of mdsim and LAMMPS on Rahman's liquid argon (DESIGN.md §6, §8).
#  1. speed: Rahman argon (LJ truncated at 2.25 sigma, 864 atoms), one thread, NVE steps/s;
#     LAMMPS and mdsim runs alternate (the machine is noisy), ratio mdsim/LAMMPS per run;
#     then the LAMMPS `in.lj` system (32,000 atoms, rho* = 0.8442, T* = 1.44, r_c = 2.5 sigma)
#     with the same neighbour policy in both codes.
#  2. energy (skip with --speed-only): shifted LJ, 100 ps NVE and Nose-Hoover NVT; drift and RMS
#     of the conserved energy per atom (k_B T/ps, k_B T) from benches/energy_drift.py.
# The mdsim half is skipped (with a message) while inputs/argon-*.ron do not exist.
# Usage: benches/compare_lammps.sh [--runs 3] [--steps 5000] [--speed-only]
#   env: MDSIM_SKIP_PS = ps at the start of mdsim's thermo.csv to leave out of the fit (default 20: the equilibration of inputs/argon-*-shifted.ron)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 steps=5000 energy=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;          # LAMMPS production steps (mdsim's are in its input)
    --speed-only) energy=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

N=864 T=94.4
tmp=$(mktemp -d /tmp/compare_lammps.XXXXXX)
echo "outputs in $tmp"
export OMP_NUM_THREADS=1

if ! command -v lmp >/dev/null; then
  echo "lmp not found: installing lammps with apt-get"
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y lammps
fi
echo "LAMMPS: $(command -v lmp), $(echo | lmp -h | sed -n 2p | xargs)"

bench=inputs/argon-rahman-bench.ron
have_mdsim=0
if [[ -f $bench ]]; then
  cargo build --release
  have_mdsim=1
else
  echo "NOTE: $bench does not exist yet: skipping mdsim (LAMMPS only)"
fi

lmp_run() {  # lmp_run INPUT LOG [-var ...]: one process, no accelerator package
  local in=$1 log=$2; shift 2
  lmp -nocite -in "benches/lammps/$in" -log "$log" -screen none "$@"
}
lmp_steps_per_s() {  # last "Loop time of X on 1 procs for N steps" -> N/X
  awk '/^Loop time of/ {t = $4; n = $9} END {printf "%.1f", n / t}' "$1"
}
lmp_breakdown() {  # % of the last loop in Pair/Neigh/Comm/Modify
  awk -F'|' '/^MPI task timing breakdown/ {delete p}
             $1 ~ /^(Pair|Neigh|Comm|Modify) *$/ {gsub(/ /, "", $1); p[$1] = $NF + 0}
             END {printf "%.1f/%.1f/%.1f/%.1f", p["Pair"], p["Neigh"], p["Comm"], p["Modify"]}' "$1"
}
mdsim_steps_per_s() {
  python3 -c 'import json, sys; print("%.1f" % json.load(open(sys.argv[1]))["steps_per_second"])' "$1"
}

echo
echo "== speed: Rahman argon, N = $N, 1 thread (LAMMPS: $steps NVE steps after 1000 NVT) =="
printf "%-4s %14s %14s %10s   %s\n" run "LAMMPS step/s" "mdsim step/s" "mdsim/LMP" "LAMMPS % Pair/Neigh/Comm/Modify"
for i in $(seq 1 "$runs"); do
  lmp_run rahman.in "$tmp/rahman_$i.log" -var steps "$steps"
  l=$(lmp_steps_per_s "$tmp/rahman_$i.log") m=- r=-
  if (( have_mdsim )); then
    target/release/mdsim run "$bench" -o "$tmp/mdsim_$i" --threads 1 >"$tmp/mdsim_$i.out" 2>&1
    m=$(mdsim_steps_per_s "$tmp/mdsim_$i/results.json")
    r=$(python3 -c "print('%.3f' % ($m / $l))")
  fi
  printf "%-4s %14s %14s %10s   %s\n" "$i" "$l" "$m" "$r" "$(lmp_breakdown "$tmp/rahman_$i.log")"
done

if (( have_mdsim )); then
  echo
  echo "== speed: LJ in.lj system, N = 32000, 1 thread, 500 NVE steps =="
  printf "%-4s %14s %14s %10s   %s\n" run "LAMMPS step/s" "mdsim step/s" "mdsim/LMP" "LAMMPS % Pair/Neigh/Comm/Modify"
  for i in $(seq 1 "$runs"); do
    lmp_run lj32k.in "$tmp/lj32k_$i.log"
    l=$(lmp_steps_per_s "$tmp/lj32k_$i.log")
    target/release/mdsim run inputs/lj-32000-bench.ron -o "$tmp/mdsim_lj_$i" --threads 1 >"$tmp/mdsim_lj_$i.out" 2>&1
    m=$(mdsim_steps_per_s "$tmp/mdsim_lj_$i/results.json")
    printf "%-4s %14s %14s %10s   %s\n" "$i" "$l" "$m" "$(python3 -c "print('%.3f' % ($m / $l))")" "$(lmp_breakdown "$tmp/lj32k_$i.log")"
  done
fi

(( energy )) || exit 0
echo
echo "== energy: shifted LJ, 100 ps after equilibration, conserved energy per atom =="
printf "%-22s %22s %18s\n" "run" "drift (k_B T/ps)" "RMS (k_B T)"
for ens in nve nvt; do
  lmp_run "rahman-$ens-shifted.in" "$tmp/lammps-$ens.log" -var out "$tmp/lammps-$ens.dat"
  out=$(python3 benches/energy_drift.py "$tmp/lammps-$ens.dat" --natoms $N --temp $T --brief)
  read -r d s <<<"$out"
  printf "%-22s %22s %18s\n" "LAMMPS $ens" "$d" "$s"
  in=inputs/argon-$ens-shifted.ron
  if (( have_mdsim )) && [[ -f $in ]]; then
    target/release/mdsim run "$in" -o "$tmp/mdsim-$ens" --threads 1 >"$tmp/mdsim-$ens.out" 2>&1
    out=$(python3 benches/energy_drift.py "$tmp/mdsim-$ens/thermo.csv" --natoms $N --temp $T \
            --skip-ps "${MDSIM_SKIP_PS:-20}" --brief)
    read -r d s <<<"$out"
    printf "%-22s %22s %18s\n" "mdsim $ens" "$d" "$s"
  else
    printf "%-22s %s\n" "mdsim $ens" "skipped ($in or mdsim not available)"
  fi
done
