#!/usr/bin/env bash
# The linear pairing on one GPU: correlations and one level of the stepwise, max-correlation
# and default rules at d = 4096 .. 65536 against numpy on the CPU, in under 6 minutes.
#
#   OUT=/path/to/results benchmarks/device_pairing.sh [--smoke] [further options of
#       benchmarks/device_pairing.py, e.g. --out DIR, --budget SECONDS]
#
# Runs from the repository checkout; the Python is $PYTHON, else .venv/bin/python, else
# python3. Writes report.json and log.txt to --out or $OUT, nothing else outside the checkout
# (caches and temporary files go to $OUT/scratch, removed at the end). A hard limit (default
# 340 s, $DEVICE_PAIRING_LIMIT) stops a run that overruns its budget (default 300 s);
# report.json then holds the phases that finished.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [ "${args[$i]}" = "--out" ] && [ $((i + 1)) -lt ${#args[@]} ]; then out=${args[$((i + 1))]}; fi
done
: "${out:?give --out DIR or set OUT to the folder for the results}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch="$out/scratch"
mkdir -p "$scratch/tmp"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch/tmp" MPLCONFIGDIR="$scratch/mpl" XDG_CACHE_HOME="$scratch/xdg" \
    NUMBA_CACHE_DIR="$scratch/numba" CUDA_CACHE_PATH="$scratch/nv" \
    RGNOTES_CACHE_DIR="$scratch/rgnotes" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PYTHONPATH="$PWD"
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || rm -f "$out/nvidia-smi.txt"
timeout -k 10 "${DEVICE_PAIRING_LIMIT:-340}" \
    "$py" benchmarks/device_pairing.py --out "$out" "$@" 2>&1 | tee "$out/log.txt"
