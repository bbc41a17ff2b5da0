#!/usr/bin/env bash
# Side-by-side comparison of mdsim and LAMMPS on the rigid-ion (Li3PO4)0.75(Li4SiO4)0.25 model
# cell (inputs/lpso-0.75.ron, 2,970 atoms): Buckingham set (MATERIALS.md §1a) + Ewald, one
# thread each (DESIGN.md §4, §8).
#  1. configuration: `mdsim run` of inputs/lpso-0.75.ron with no stages (minimisation only)
#     -> minimized.xyz (or --xyz FILE); converted by benches/xyz_to_lammps.py, which also checks
#     that no Si-O/P-O/O-O pair is inside the Buckingham repair radius r0 (LAMMPS'
#     buck/coul/long has no repair).
#  2. agreement: energies by component and forces of `mdsim energy` and LAMMPS `run 0`
#     (benches/lammps/lpso.in) on that configuration, r_c = 10 A, Ewald accuracy 1e-5 (same
#     alpha/kmax rules in both codes) and 1e-10 (tight reference).
#  3. speed: NVE steps/s at 600 K, one thread, runs alternating (the machine is noisy):
#     LAMMPS (ewald 1e-5, r_c 10), mdsim with the same parameters, mdsim choosing alpha and r_c.
# Builds nothing: needs target/release/mdsim (cargo build --release).
# Usage: benches/compare_lammps_ionic.sh [--runs 3] [--steps 300] [--xyz FILE] [--speed-only]
#                                        [--agreement-only] [--table 12]
#   --xyz FILE   use this extended XYZ instead of minimising (orthorhombic cell)
#   --table N    LAMMPS pair_modify table for the agreement runs (12 = LAMMPS default;
#                0 = analytic erfc in every pair). The speed runs always use the default.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3 steps=300 xyz= speed=1 agree=1 table=12
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --xyz) xyz=$(realpath "$2"); shift 2 ;;
    --table) table=$2; shift 2 ;;
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

# ---- 1. configuration -------------------------------------------------------------------
if [[ -z $xyz ]]; then
  echo
  echo "== minimising inputs/lpso-0.75.ron (FIRE, mdsim, 1 thread; takes minutes) =="
  # same input without the MD stages, potential path made absolute
  python3 - "$potential" "$tmp/minimize.ron" <<'EOF'
import re, sys
text = open("inputs/lpso-0.75.ron").read()
text = re.sub(r'File\("[^"]*li-p-si-o-buckingham.ron"\)', f'File("{sys.argv[1]}")', text)
text, n = re.subn(r"stages: \[.*?\n    \],", "stages: [],", text, flags=re.S)
if n != 1:
    sys.exit("cannot find the stages of inputs/lpso-0.75.ron")
open(sys.argv[2], "w").write(text)
EOF
  "$mdsim" run "$tmp/minimize.ron" -o "$tmp/minimize" --threads 1 >"$tmp/minimize.out" 2>&1
  grep -i "minimisation" "$tmp/minimize.out" || true
  xyz=$tmp/minimize/minimized.xyz
fi
echo "configuration: $xyz"
python3 benches/xyz_to_lammps.py "$xyz" "$tmp/lpso.data" --min-distances

# mdsim input on that configuration: mdsim_input FILE COULOMB [INITIAL_T STEPS]
mdsim_input() {
  local file=$1 coulomb=$2 temp=${3:-} nsteps=${4:-1}
  {
    echo "("
    echo "    title: \"lpso-0.75 minimised, LAMMPS comparison\","
    echo "    seed: 2015,"
    echo "    structure: Xyz(file: \"$xyz\"),"
    echo "    potential: File(\"$potential\"),"
    echo "    coulomb: $coulomb,"
    echo "    neighbor: (skin: 1.0),"
    [[ -n $temp ]] && echo "    initial_temperature: $temp,"
    echo "    timestep_ps: 0.001,"
    echo "    stages: [(ensemble: Nve, duration_ps: $(python3 -c "print($nsteps * 0.001)"))],"
    echo "    output: (thermo_every: 100, checkpoint_every: 0),"
    echo ")"
  } >"$file"
}
lmp_run() {  # lmp_run LOG [-var ...]: benches/lammps/lpso.in on the converted configuration
  local log=$1; shift
  lmp -nocite -in benches/lammps/lpso.in -log "$log" -screen none -var data "$tmp/lpso.data" "$@"
}

# ---- 2. agreement ------------------------------------------------------------------------
if (( agree )); then
  echo
  echo "== agreement: energies and forces, r_c = 10 A, LAMMPS pair_modify table $table =="
  for acc in 1e-5 1e-10; do
    mdsim_input "$tmp/energy-$acc.ron" "(accuracy: $acc, real_cutoff: 10.0)"
    "$mdsim" energy "$tmp/energy-$acc.ron" -o "$tmp/mdsim-$acc" >"$tmp/mdsim-$acc.out" 2>&1 \
      || { cat "$tmp/mdsim-$acc.out"; exit 1; }
    lmp_run "$tmp/lammps-$acc.log" -var acc "$acc" -var table "$table" -var steps 0 \
      -var forces "$tmp/lammps-$acc.dump"
  done
  python3 benches/lammps/ionic_compare.py "$tmp" 1e-5 1e-10
fi

# ---- 3. speed ----------------------------------------------------------------------------
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

mdsim_input "$tmp/speed-rc10.ron" "(accuracy: 1e-5, real_cutoff: 10.0)" 600.0 "$steps"
mdsim_input "$tmp/speed-auto.ron" "(accuracy: 1e-5)" 600.0 "$steps"
echo
echo "== speed: N = 2970, 1 thread, $steps NVE steps at 600 K, Ewald 1e-5 =="
echo "   md-rc10: mdsim with LAMMPS' parameters (r_c 10 A); md-auto: mdsim chooses alpha and r_c"
printf "%-4s %12s %12s %12s %10s %10s   %s\n" run "LAMMPS st/s" "md-rc10 st/s" "md-auto st/s" \
  "rc10/LMP" "auto/LMP" "LAMMPS % Pair/Kspace/Neigh"
for i in $(seq 1 "$runs"); do
  lmp_run "$tmp/speed-lammps-$i.log" -var steps "$steps" -var forces "$tmp/speed-lammps-$i.dump"
  l=$(lmp_steps_per_s "$tmp/speed-lammps-$i.log")
  for v in rc10 auto; do
    "$mdsim" run "$tmp/speed-$v.ron" -o "$tmp/speed-$v-$i" --threads 1 >"$tmp/speed-$v-$i.out" 2>&1 \
      || { tail "$tmp/speed-$v-$i.out"; exit 1; }
  done
  m10=$(json "$tmp/speed-rc10-$i/results.json" '"%.2f" % r["steps_per_second"]')
  ma=$(json "$tmp/speed-auto-$i/results.json" '"%.2f" % r["steps_per_second"]')
  printf "%-4s %12s %12s %12s %10s %10s   %s\n" "$i" "$l" "$m10" "$ma" "$(ratio "$m10" "$l")" \
    "$(ratio "$ma" "$l")" "$(lmp_breakdown "$tmp/speed-lammps-$i.log")"
done
echo
echo "Ewald parameters of the speed runs (results.json / LAMMPS log):"
for v in rc10 auto; do
  json "$tmp/speed-$v-1/results.json" \
    '"  mdsim %-5s alpha %.6f 1/A, r_c %.4f A, kmax %s, k-vectors %d, estimated accuracy %.3g" % (sys.argv[3], r["ewald"]["alpha_per_A"], r["ewald"]["real_cutoff_A"], r["ewald"]["kmax"], r["ewald"]["n_kvectors"], r["ewald"]["accuracy_estimated"])' "$v"
done
awk '/G vector/ {g = $NF} /kxmax kymax kzmax/ {k = $(NF-2) " " $(NF-1) " " $NF}
     /estimated relative force accuracy/ {a = $NF}
     END {printf "  LAMMPS      alpha %s 1/A, r_c 10 A, kmax [%s], estimated accuracy %s\n", g, k, a}' \
  "$tmp/speed-lammps-1.log"
