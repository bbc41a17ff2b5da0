#!/usr/bin/env bash
# Side-by-side benchmark of mdsim and LAMMPS (Debian's `lammps`, installed when missing), one
# thread each, runs alternating because the machine is noisy (issue 8, DESIGN.md §8):
#  - Lennard-Jones: Rahman argon (864 atoms, LJ 2.25σ, skin 1 Å; 1,000 NVT + 5,000 NVE steps,
#    inputs/argon-rahman-bench.ron, benches/lammps/rahman.in) and LAMMPS' in.lj system (32,000
#    atoms, 2.5σ, skin 0.3σ, 500 NVE steps, inputs/lj-32000-bench.ron, benches/lammps/lj32k.in),
#    both codes with the same neighbour policy (check every step, rebuild after half a skin);
#  - ionic: the rigid-ion Li-P-Si-O model cells inputs/lpso-0.75.ron (2,970 atoms),
#    lpso-0.75-4x7x8.ron (7,392) and lpso-0.75-6x10x12.ron (23,760): the structure as built by
#    mdsim, velocities at 600 K, NVE at 1 fs; LAMMPS buck/coul/long 10 Å + `kspace_style pppm
#    1e-5` (benches/lammps/ionic-speed.in), mdsim with its default Coulomb method at relative
#    force accuracy 1e-5 and the same 10 Å short-range cutoff, skin 1 Å in both.
# Prints the steps/s of every run, µs per atom-step, the ratios mdsim/LAMMPS, both codes'
# potential energies on the same start configuration, and writes a log-log plot of the cost per
# step against N (SVG; matplotlib in a venv this script creates, see --venv).
# Optional sections: --agreement (energies and forces of the 2,970-atom cell against LAMMPS
# Ewald and an exact reference, and its Ewald speed: benches/compare_lammps_ionic.sh) and
# --drift (energy conservation of shifted-LJ argon, 100 ps NVE and NVT).
#
# Usage: benches/compare_lammps.sh [--runs 3] [--only lj|ionic] [--ionic-steps "300 120 40"]
#                                  [--plot FILE.svg] [--venv DIR] [--agreement] [--drift]
#   --ionic-steps: timed NVE steps of the 2,970-, 7,392- and 23,760-atom cells
#   --plot:        where to write the SVG (default: the output folder)
#   --venv:        Python venv for the plot (default ~/.cache/mdsim-bench-venv; created with
#                  matplotlib when missing; without network the plot is skipped)
#   env MDSIM_SKIP_PS: ps at the start of mdsim's thermo.csv left out of the drift fit (--drift)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3 only= ionic_steps="300 120 40" plot= venv=${HOME}/.cache/mdsim-bench-venv agreement=0 drift=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --ionic-steps) ionic_steps=$2; shift 2 ;;
    --plot) plot=$(realpath -m "$2"); shift 2 ;;
    --venv) venv=$2; shift 2 ;;
    --agreement) agreement=1; shift ;;
    --drift) drift=1; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
case $only in ""|lj|ionic) ;; *) echo "--only takes lj or ionic" >&2; exit 2 ;; esac

tmp=$(mktemp -d /tmp/compare_lammps.XXXXXX)
results=$tmp/results.tsv
: >"$results"
plot=${plot:-$tmp/cost_per_step.svg}
export OMP_NUM_THREADS=1
echo "outputs in $tmp"

# ---- tools ---------------------------------------------------------------------------------
install_lammps() {
  command -v lmp >/dev/null && return
  echo "lmp not found: installing lammps with apt-get"
  local sudo=
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y lammps
}
install_lammps
cargo build --release --quiet
mdsim=$root/target/release/mdsim
lammps_version=$(echo | lmp -h | sed -n 2p | xargs)
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
machine="$(date +%Y-%m-%d), ${cpu:-unknown CPU}, $(nproc --all) cores, $lammps_version, $("$mdsim" --version)"
echo "LAMMPS: $(command -v lmp), $lammps_version"
echo "mdsim:  $mdsim ($("$mdsim" --version))"
echo "machine: $machine; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

lmp_steps_per_s() {  # last "Loop time of X on 1 procs for N steps" -> N/X
  awk '/^Loop time of/ {t = $4; n = $9} END {printf "%.3f", n / t}' "$1"
}
lmp_breakdown() {  # % of the last loop in Pair/Kspace/Neigh
  awk -F'|' '/^MPI task timing breakdown/ {delete p}
             $1 ~ /^(Pair|Kspace|Neigh) *$/ {gsub(/ /, "", $1); p[$1] = $NF + 0}
             END {printf "Pair %.0f%%, Kspace %.0f%%, Neigh %.0f%%", p["Pair"], p["Kspace"], p["Neigh"]}' "$1"
}
lmp_first_thermo() {  # lmp_first_thermo LOG COLUMN: COLUMN of the first thermo line of LOG
  awk -v col="$2" '!found && $1 == "Step" { for (k = 1; k <= NF; k++) if ($k == col) c = k; if (c) { getline; print $c; found = 1 } }' "$1"
}
json() {  # json FILE EXPR: a Python expression of r = the JSON in FILE
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
mdsim_steps_per_s() { json "$1/results.json" '"%.3f" % r["steps_per_second"]'; }
mdsim_first_pe() { awk -F, 'NR == 2 {print $4}' "$1/thermo.csv"; }  # potential_eV at step 0
mdsim_run() {  # mdsim_run INPUT OUTDIR: one thread, stops the script with the log on failure
  "$mdsim" run "$1" -o "$2" --threads 1 >"$2.out" 2>&1 || { tail "$2.out"; exit 1; }
}
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }  # system n code run|energy value note

# ---- Lennard-Jones -------------------------------------------------------------------------
lj_comparison() {
  local system=$1 n=$2 input=$3 lammps_in=$4 pe_column=$5
  echo
  echo "== $system: N = $n, 1 thread, LAMMPS and mdsim alternating =="
  printf "%-4s %14s %14s %10s   %s\n" run "LAMMPS step/s" "mdsim step/s" "mdsim/LMP" "LAMMPS time"
  for i in $(seq 1 "$runs"); do
    lmp -nocite -in "benches/lammps/$lammps_in" -log "$tmp/$system-lammps-$i.log" -screen none
    mdsim_run "$input" "$tmp/$system-mdsim-$i"
    local l m
    l=$(lmp_steps_per_s "$tmp/$system-lammps-$i.log")
    m=$(mdsim_steps_per_s "$tmp/$system-mdsim-$i")
    record "$system" "$n" LAMMPS "$i" "$l" ""
    record "$system" "$n" mdsim "$i" "$m" ""
    printf "%-4s %14s %14s %10s   %s\n" "$i" "$l" "$m" "$(python3 -c "print('%.3f' % ($m / $l))")" \
      "$(lmp_breakdown "$tmp/$system-lammps-$i.log")"
  done
  record "$system" "$n" LAMMPS energy "$(lmp_first_thermo "$tmp/$system-lammps-1.log" "$pe_column")" ""
  record "$system" "$n" mdsim energy "$(mdsim_first_pe "$tmp/$system-mdsim-1")" ""
}

# ---- ionic ---------------------------------------------------------------------------------
potential=$root/potentials/li-p-si-o-buckingham.ron

# mdsim input for NVE from 600 K on an XYZ structure: ionic_input FILE XYZ STEPS
ionic_input() {
  cat >"$1" <<EOF
(
    title: "Li-P-Si-O model cell, speed against LAMMPS (benches/compare_lammps.sh)",
    seed: 2015,
    structure: Xyz(file: "$2"),
    potential: File("$potential"),
    coulomb: (accuracy: 1e-5),
    neighbor: (skin: 1.0),
    initial_temperature: 600.0,
    timestep_ps: 0.001,
    stages: [(ensemble: Nve, duration_ps: $(python3 -c "print($3 * 0.001)"))],
    output: (thermo_every: 100, checkpoint_every: 0),
)
EOF
}

# The start configuration of a model-cell input: the structure as built (no minimisation).
ionic_structure() {  # ionic_structure INPUT DIR -> DIR/structure.xyz and DIR.data
  python3 - "$1" "$potential" "$2.ron" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r'File\("[^"]*li-p-si-o-buckingham.ron"\)', f'File("{sys.argv[2]}")', text)
# one step: the run writes the structure as built to structure.xyz
text, n = re.subn(r"stages: \[.*?\n    \],", "stages: [(ensemble: Nve, duration_ps: 0.001)],",
                  text, flags=re.S)
text, m = re.subn(r"\n    minimize: \(.*?\),", "", text)
if n != 1 or m != 1:
    sys.exit(f"cannot find the stages and the minimisation of {sys.argv[1]}")
open(sys.argv[3], "w").write(text)
PY
  mdsim_run "$2.ron" "$2"
  python3 benches/xyz_to_lammps.py "$2/structure.xyz" "$2.data" --min-distances
}

# Everything ionic: speed and start energies of the three model cells; with --agreement, the
# energy/force agreement and Ewald speed of benches/compare_lammps_ionic.sh.
ionic_comparison() {
  local inputs=(inputs/lpso-0.75.ron inputs/lpso-0.75-4x7x8.ron inputs/lpso-0.75-6x10x12.ron)
  local steps=($ionic_steps) k
  for k in "${!inputs[@]}"; do
    local input=${inputs[$k]} nsteps=${steps[$k]:-${steps[-1]}}
    local system d n
    system=$(basename "$input" .ron)
    d=$tmp/$system
    echo
    echo "== $system: start configuration (the structure as built) =="
    ionic_structure "$input" "$d-start"
    n=$(head -1 "$d-start/structure.xyz" | awk '{print $1}')
    ionic_input "$d-speed.ron" "$d-start/structure.xyz" "$nsteps"
    "$mdsim" energy "$d-speed.ron" -o "$d-energy" >"$d-energy.out" 2>&1 \
      || { cat "$d-energy.out"; exit 1; }
    echo
    echo "== $system: N = $n, 1 thread, $nsteps NVE steps from 600 K, alternating =="
    printf "%-4s %14s %14s %10s   %s\n" run "LAMMPS step/s" "mdsim step/s" "mdsim/LMP" "LAMMPS time"
    for i in $(seq 1 "$runs"); do
      lmp -nocite -in benches/lammps/ionic-speed.in -log "$d-lammps-$i.log" -screen none \
        -var data "$d-start.data" -var steps "$nsteps"
      mdsim_run "$d-speed.ron" "$d-mdsim-$i"
      local l m
      l=$(lmp_steps_per_s "$d-lammps-$i.log")
      m=$(mdsim_steps_per_s "$d-mdsim-$i")
      record "$system" "$n" LAMMPS "$i" "$l" "PPPM 1e-5"
      record "$system" "$n" mdsim "$i" "$m" "$(json "$d-mdsim-1/results.json" \
        '"Ewald 1e-5" if "ewald" in r and "coulomb" not in r else r.get("coulomb", {}).get("method", "?")')"
      printf "%-4s %14s %14s %10s   %s\n" "$i" "$l" "$m" "$(python3 -c "print('%.3f' % ($m / $l))")" \
        "$(lmp_breakdown "$d-lammps-$i.log")"
    done
    record "$system" "$n" LAMMPS energy "$(awk '/^IONIC_PE/ {print $2}' "$d-lammps-1.log")" ""
    record "$system" "$n" mdsim energy "$(awk '/potential total/ {print $3}' "$d-energy.out")" ""
    echo "Coulomb parameters:"
    echo "  mdsim:  $(json "$d-mdsim-1/results.json" 'r.get("coulomb") or r.get("ewald")')"
    echo "  LAMMPS: $(grep -E "G vector|grid =|stencil order|estimated relative force accuracy" \
      "$d-lammps-1.log" | awk '!seen[$0]++' | xargs)"
  done
  if (( agreement )); then
    echo
    echo "== agreement (benches/compare_lammps_ionic.sh) =="
    benches/compare_lammps_ionic.sh --runs "$runs"
  fi
}

# ---- energy conservation, shifted LJ argon (--drift) ----------------------------------------
energy_drift() {
  local N=864 T=94.4 ens out d s in
  echo
  echo "== energy: shifted LJ, 100 ps after equilibration, conserved energy per atom =="
  printf "%-22s %22s %18s\n" "run" "drift (k_B T/ps)" "RMS (k_B T)"
  for ens in nve nvt; do
    lmp -nocite -in "benches/lammps/rahman-$ens-shifted.in" -log "$tmp/lammps-$ens.log" \
      -screen none -var out "$tmp/lammps-$ens.dat"
    out=$(python3 benches/energy_drift.py "$tmp/lammps-$ens.dat" --natoms $N --temp $T --brief)
    read -r d s <<<"$out"
    printf "%-22s %22s %18s\n" "LAMMPS $ens" "$d" "$s"
    in=inputs/argon-$ens-shifted.ron
    mdsim_run "$in" "$tmp/mdsim-$ens"
    out=$(python3 benches/energy_drift.py "$tmp/mdsim-$ens/thermo.csv" --natoms $N --temp $T \
            --skip-ps "${MDSIM_SKIP_PS:-20}" --brief)
    read -r d s <<<"$out"
    printf "%-22s %22s %18s\n" "mdsim $ens" "$d" "$s"
  done
}

# ---- plot ----------------------------------------------------------------------------------
plot_python() {  # a python3 with matplotlib, or plain python3 (the summary then skips the plot)
  if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import matplotlib" 2>/dev/null; then
    echo "creating $venv with matplotlib (for the plot)" >&2
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q matplotlib; } >&2 \
      || { echo "note: cannot set up matplotlib; no plot" >&2; echo python3; return; }
  fi
  echo "$venv/bin/python"
}

[[ $only == ionic ]] || {
  lj_comparison rahman-argon 864 inputs/argon-rahman-bench.ron rahman.in PotEng
  lj_comparison lj-32000 32000 inputs/lj-32000-bench.ron lj32k.in E_pair
}
[[ $only == lj ]] || ionic_comparison
(( drift )) && energy_drift

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$(plot_python)" benches/bench_summary.py "$results" --plot "$plot" --machine "$machine"
