#!/usr/bin/env bash
# Cross-check of a finished mdsim run against kinisi (tracer D*, Nernst–Einstein σ_tr and the
# mean-squared charge displacement σ, from trajectory.xyz) and STACIE (σ from the spectrum of
# the charge current in current.csv). Prints a table of mdsim's values beside theirs (ratio and
# difference in combined standard errors) and writes it to RUN_DIR/crosscheck.{json,md}.
# What each tool computes and the conventions: benches/crosscheck_kinisi_stacie.py and
# docs/conductivity.md ("Cross-check with kinisi and STACIE").
#
# The run needs output.trajectory_every > 0 (frames every ≤ 0.1 ps or so, so that no atom moves
# half a cell between frames) and a production stage with the conductivity on (charged model).
# Makes its own Python environment on first use (python3 with venv and pip is all it needs):
# $MDSIM_CROSSCHECK_VENV, default ~/.cache/mdsim/crosscheck-venv.
#
# Usage: benches/crosscheck_kinisi_stacie.sh RUN_DIR [--out DIR] [--start-ps T]
#            [--max-lag-fraction 0.5] [--max-lags 100] [--frame-stride K]
#            [--stacie-degrees 0,2] [--seed N] [--no-kinisi]
#        benches/crosscheck_kinisi_stacie.sh --self-test   (synthetic data with a known answer)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

# Versions the script was written and checked against (kinisi's API changed in 2.0).
pins=(kinisi==2.1.0 stacie==1.3.0 ase==3.29.0)
venv=${MDSIM_CROSSCHECK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mdsim/crosscheck-venv}
stamp=$venv/.mdsim-crosscheck-pins

if [[ ! -f $stamp || $(cat "$stamp") != "${pins[*]}" ]]; then
  echo "setting up $venv (${pins[*]})" >&2
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 keeps venv/ensurepip in a package of its own.
    if command -v apt-get >/dev/null; then
      sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
      $sudo apt-get update -qq
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      python3 -m venv "$venv"
    else
      echo "error: python3 -m venv failed; install the venv module of python3" >&2
      exit 1
    fi
  fi
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "${pins[@]}"
  echo "${pins[*]}" > "$stamp"
fi

exec "$venv/bin/python" "$here/crosscheck_kinisi_stacie.py" "$@"
