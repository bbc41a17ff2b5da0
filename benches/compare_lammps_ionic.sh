#!/usr/bin/env bash
# Side-by-side comparison of mdsim and LAMMPS on the rigid-ion (Li3PO4)0.75(Li4SiO4)0.25 model
# cell (inputs/lpso-0.75.ron, 2,970 atoms): Buckingham set (MATERIALS.md §1a) + Ewald, one
# thread each (DESIGN.md §4, §8).
#  1. configurations: 'min' = inputs/lpso-0.75.ron minimised by mdsim (the input without its
#     MD stages) or --xyz FILE; 'hot' = 'min' after 500 NVE steps from 600 K (forces ~1 eV/A,
#     so relative force errors mean something). benches/xyz_to_lammps.py converts them and
#     checks that no Si-O/P-O/O-O pair is inside the Buckingham repair radius r0 (LAMMPS'
#     buck/coul/long has no repair).
#  2. agreement: energies by component and forces of `mdsim energy` and LAMMPS `run 0`
#     (benches/lammps/lpso.in), r_c = 10 A, Ewald accuracy 1e-5 and 1e-10 (same alpha/kmax
#     rules in both codes), LAMMPS 1e-10 also with other Coulomb tables, and a converged
#     reference computed independently (benches/lammps/ionic_exact.py, needs numpy).
#  3. speed: NVE steps/s from 600 K on 'min', one thread, runs alternating (the machine is
#     noisy): LAMMPS ewald 1e-5 and pppm 1e-5 (r_c 10), mdsim with LAMMPS' Ewald parameters,
#     and mdsim's default (method Auto: smooth PME or Ewald, chosen with its parameters).
#     --repeat A,B,C builds the model cell from A x B x C unit cells instead of 3 x 5 x 6
#     (e.g. 4,7,8: 7,392 ions), with the Si substitution count scaled (1 Si per unit cell).
# Builds nothing: needs target/release/mdsim (cargo build --release).
# Usage: benches/compare_lammps_ionic.sh [--runs 3] [--steps 300] [--xyz FILE]
#                                        [--repeat 3,5,6] [--speed-only | --agreement-only]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3 steps=300 xyz= speed=1 agree=1 repeat=3,5,6
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --xyz) xyz=$(realpath "$2"); shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --speed-only) agree=0; shift ;;
    --agreement-only) speed=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

mdsim=$root/target/release/mdsim
potential=$root/potentials/li-p-si-o-buckingham.ron
if [[ ! -x $mdsim ]]; then
  echo "error: $mdsim not found; build it first: cargo build --release" >&2
  exit 1
fi
if ! command -v lmp >/dev/null; then
  echo "lmp not found: installing lammps with apt-get"
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y lammps
fi
export OMP_NUM_THREADS=1
tmp=$(mktemp -d /tmp/compare_lammps_ionic.XXXXXX)
echo "outputs in $tmp"
echo "LAMMPS: $(command -v lmp), $(echo | lmp -h | sed -n 2p | xargs)"
echo "mdsim:  $mdsim ($("$mdsim" --version))"

# mdsim input on a configuration: mdsim_input FILE XYZ COULOMB [STEPS [INITIAL_T [OUTPUT...]]]
mdsim_input() {
  local file=$1 structure=$2 coulomb=$3 nsteps=${4:-1} temp=${5:-} output=${6:-}
  {
    echo "("
    echo "    title: \"lpso-0.75, comparison with LAMMPS (benches/compare_lammps_ionic.sh)\","
    echo "    seed: 2015,"
    echo "    structure: Xyz(file: \"$structure\"),"
    echo "    potential: File(\"$potential\"),"
    echo "    coulomb: $coulomb,"
    echo "    neighbor: (skin: 1.0),"
    if [[ -n $temp ]]; then echo "    initial_temperature: $temp,"; fi
    echo "    timestep_ps: 0.001,"
    echo "    stages: [(ensemble: Nve, duration_ps: $(python3 -c "print($nsteps * 0.001)"))],"
    echo "    output: (thermo_every: 100, checkpoint_every: 0${output:+, $output}),"
    echo ")"
  } >"$file"
}
lmp_run() {  # lmp_run DATA LOG [-var ...]: benches/lammps/lpso.in on a converted configuration
  local data=$1 log=$2; shift 2
  lmp -nocite -in benches/lammps/lpso.in -log "$log" -screen none -var data "$data" "$@"
}

# ---- 1. configurations --------------------------------------------------------------------
if [[ -z $xyz ]]; then
  echo
  echo "== minimising inputs/lpso-0.75.ron (FIRE, mdsim, 1 thread) =="
  # the same input without its MD stages, the potential path made absolute
  python3 - "$potential" "$tmp/minimize.ron" "$repeat" <<'PY'
import re, sys
text = open("inputs/lpso-0.75.ron").read()
text = re.sub(r'File\("[^"]*li-p-si-o-buckingham.ron"\)', f'File("{sys.argv[1]}")', text)
a, b, c = (int(v) for v in sys.argv[3].split(","))
text = text.replace("repeat: (3, 5, 6)", f"repeat: ({a}, {b}, {c})")
text = text.replace("count: 90)", f"count: {a * b * c})")
text, n = re.subn(r"stages: \[.*?\n    \],", "stages: [],", text, flags=re.S)
if n != 1:
    sys.exit("cannot find the stages of inputs/lpso-0.75.ron")
open(sys.argv[2], "w").write(text)
PY
  "$mdsim" run "$tmp/minimize.ron" -o "$tmp/minimize" --threads 1 >"$tmp/minimize.out" 2>&1 \
    || { tail "$tmp/minimize.out"; exit 1; }
  grep "^minimisation (FIRE)" "$tmp/minimize.out" || true
  xyz=$tmp/minimize/minimized.xyz
fi
n_atoms=$(head -1 "$xyz" | awk '{print $1}')
cp "$xyz" "$tmp/min.xyz"
echo
echo "== configuration 'min': $xyz =="
python3 benches/xyz_to_lammps.py "$tmp/min.xyz" "$tmp/min.data" --min-distances

if (( agree )); then
  echo
  echo "== configuration 'hot': 'min' after 500 NVE steps from 600 K (mdsim, r_c 10 A) =="
  mdsim_input "$tmp/hot.ron" "$tmp/min.xyz" "(accuracy: 1e-5, real_cutoff: 10.0, method: Ewald)" 500 600.0 \
    "trajectory_every: 500"
  "$mdsim" run "$tmp/hot.ron" -o "$tmp/hot" --threads 1 >"$tmp/hot.out" 2>&1 \
    || { tail "$tmp/hot.out"; exit 1; }
  tail -n $((n_atoms + 2)) "$tmp/hot/trajectory.xyz" >"$tmp/hot.xyz"   # the last frame
  python3 benches/xyz_to_lammps.py "$tmp/hot.xyz" "$tmp/hot.data" --min-distances
fi

# ---- 2. agreement -------------------------------------------------------------------------
# Sets (see benches/lammps/ionic_compare.py): mdsim and LAMMPS at 1e-5 and 1e-10 (LAMMPS with
# its default real-space Coulomb table, pair_modify table 12), LAMMPS 1e-10 with its analytic
# erfc polynomial (t0, what LAMMPS suggests for high accuracy) and with a 16-bit table (t16),
# and the converged reference `exact`. On 'min' the forces are ~0 (a minimum): read the force
# differences in units of k_e/(1 A)^2 [in brackets] there, not relative to the RMS force.
if (( agree )); then
  have_numpy=1
  python3 -c "import numpy" 2>/dev/null \
    || { have_numpy=0; echo "NOTE: python3-numpy missing: no exact reference"; }
  for conf in min hot; do
    d=$tmp/agree-$conf
    mkdir -p "$d"
    sets=()
    for acc in 1e-5 1e-10; do
      mdsim_input "$d/energy-$acc.ron" "$tmp/$conf.xyz" \
        "(accuracy: $acc, real_cutoff: 10.0, method: Ewald)"
      "$mdsim" energy "$d/energy-$acc.ron" -o "$d/mdsim-$acc" >"$d/mdsim-$acc.out" 2>&1 \
        || { cat "$d/mdsim-$acc.out"; exit 1; }
      lmp_run "$tmp/$conf.data" "$d/lammps-$acc.log" -var acc "$acc" -var steps 0 \
        -var forces "$d/lammps-$acc.dump"
      sets+=("mdsim-$acc" "lammps-$acc")
    done
    for table in 0 16; do
      lmp_run "$tmp/$conf.data" "$d/lammps-1e-10-table$table.log" -var acc 1e-10 \
        -var table $table -var steps 0 -var forces "$d/lammps-1e-10-table$table.dump"
      sets+=("lammps-1e-10-table$table")
    done
    if (( have_numpy )); then
      python3 benches/lammps/ionic_exact.py "$tmp/$conf.xyz" "$d/exact"
      sets+=(exact)
    fi
    echo
    echo "== agreement on configuration '$conf': energies and forces, r_c = 10 A =="
    python3 benches/lammps/ionic_compare.py "$d" "${sets[@]}"
  done
fi

# ---- 3. speed -----------------------------------------------------------------------------
(( speed )) || exit 0
lmp_steps_per_s() {  # last "Loop time of X on 1 procs for N steps" -> N/X
  awk '/^Loop time of/ {t = $4; n = $9} END {printf "%.2f", n / t}' "$1"
}
lmp_breakdown() {  # % of the last loop in Pair/Kspace/Neigh
  awk -F'|' '/^MPI task timing breakdown/ {delete p}
             $1 ~ /^(Pair|Kspace|Neigh) *$/ {gsub(/ /, "", $1); p[$1] = $NF + 0}
             END {printf "%.1f/%.1f/%.1f", p["Pair"], p["Kspace"], p["Neigh"]}' "$1"
}
json() {  # json FILE EXPR [ARG]: a Python expression of r = results.json (ARG = sys.argv[3])
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
ratio() { python3 -c "print('%.3f' % ($1 / $2))"; }

mdsim_input "$tmp/speed-rc10.ron" "$tmp/min.xyz" "(accuracy: 1e-5, real_cutoff: 10.0, method: Ewald)" "$steps" 600.0
mdsim_input "$tmp/speed-auto.ron" "$tmp/min.xyz" "(accuracy: 1e-5)" "$steps" 600.0
echo
echo "== speed: N = $n_atoms ('min'), 1 thread, $steps NVE steps from 600 K, accuracy 1e-5 =="
echo "   LMP-ew / LMP-pppm: LAMMPS ewald / pppm (r_c 10 A); md-rc10: mdsim Ewald with LAMMPS'"
echo "   parameters; md-auto: mdsim's default (method Auto)"
printf "%-4s %10s %10s %10s %10s %10s %10s   %s\n" run "LMP-ew" "LMP-pppm" "md-rc10" "md-auto" \
  "rc10/ew" "auto/pppm" "LAMMPS-pppm % Pair/Kspace/Neigh"
for i in $(seq 1 "$runs"); do
  lmp_run "$tmp/min.data" "$tmp/speed-lammps-$i.log" -var steps "$steps" \
    -var forces "$tmp/speed-lammps-$i.dump"
  lmp_run "$tmp/min.data" "$tmp/speed-pppm-$i.log" -var steps "$steps" -var kspace pppm \
    -var forces "$tmp/speed-pppm-$i.dump"
  l=$(lmp_steps_per_s "$tmp/speed-lammps-$i.log")
  lp=$(lmp_steps_per_s "$tmp/speed-pppm-$i.log")
  for v in rc10 auto; do
    "$mdsim" run "$tmp/speed-$v.ron" -o "$tmp/speed-$v-$i" --threads 1 >"$tmp/speed-$v-$i.out" 2>&1 \
      || { tail "$tmp/speed-$v-$i.out"; exit 1; }
  done
  m10=$(json "$tmp/speed-rc10-$i/results.json" '"%.2f" % r["steps_per_second"]')
  ma=$(json "$tmp/speed-auto-$i/results.json" '"%.2f" % r["steps_per_second"]')
  printf "%-4s %10s %10s %10s %10s %10s %10s   %s\n" "$i" "$l" "$lp" "$m10" "$ma" \
    "$(ratio "$m10" "$l")" "$(ratio "$ma" "$lp")" "$(lmp_breakdown "$tmp/speed-pppm-$i.log")"
done
echo
echo "Coulomb parameters of the speed runs (results.json / LAMMPS log):"
for v in rc10 auto; do
  json "$tmp/speed-$v-1/results.json" '"  mdsim %-5s %s" % (sys.argv[3], r["coulomb"])' "$v"
done
for k in lammps pppm; do
  awk -v k=$k '/G vector/ {g = $NF} /grid = / {m = $3 " " $4 " " $5} /stencil order/ {o = $NF}
       /estimated relative force accuracy/ {a = $NF}
       END {printf "  LAMMPS %-6s alpha %s 1/A, r_c 10 A, grid %s, order %s, estimated accuracy %s\n", k, g, m, o, a}' \
    "$tmp/speed-$k-1.log"
done
echo "Energy conservation over the $steps steps (total energy, first and last thermo line, eV):"
for k in lammps pppm; do
  awk -v k=$k '/^ *Step +Temp/ {on = 1; next} on && /^Loop time/ {on = 0} on && NF == 5 {if (!f) f = $4; l = $4}
       END {printf "  LAMMPS %-6s %s -> %s\n", k, f, l}' "$tmp/speed-$k-1.log"
done
for v in rc10 auto; do
  awk -F, -v v=$v 'NR == 2 {f = $6} NR > 1 {l = $6} END {printf "  mdsim %-5s  %s -> %s\n", v, f, l}' \
    "$tmp/speed-$v-1/thermo.csv"
done
