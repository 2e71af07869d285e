#!/usr/bin/env bash
# RG-Flow at paper scale on one GPU: matmul rates, training speed against the original
# code, then an MSDS1 training run in what is left of the budget; every file under $OUT.
#
#   OUT=/path/to/results benchmarks/device_rgflow.sh [--smoke] [--original PATH/TO/RG-Flow]
#       [--budget SECONDS] [further options of benchmarks/device_rgflow.py]
#
# Runs from the repository checkout; the Python is $PYTHON, else .venv/bin/python, else
# python3. The caches of torch.compile, Triton, numba, CUDA and matplotlib and any temporary
# file go to $OUT/scratch, which is removed at the end: nothing is written outside the
# checkout and $OUT. A copy of the checkout without .git names its commit in
# $RGNOTES_GIT_COMMIT (recorded as the results' git_commit). A hard limit (default 530 s,
# $DEVICE_RGFLOW_LIMIT) stops a run that overruns its budget; report.json then still holds
# the phases that finished.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder for the results}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
scratch="$OUT/scratch"
mkdir -p "$scratch/tmp"
trap 'rm -rf "$scratch"' EXIT
export TORCHINDUCTOR_CACHE_DIR="$scratch/inductor" TRITON_CACHE_DIR="$scratch/triton" \
    NUMBA_CACHE_DIR="$scratch/numba" CUDA_CACHE_PATH="$scratch/nv" \
    MPLCONFIGDIR="$scratch/mpl" XDG_CACHE_HOME="$scratch/xdg" TMPDIR="$scratch/tmp" \
    RGNOTES_CACHE_DIR="$scratch/rgnotes" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PYTHONPATH="$PWD"
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
timeout -k 10 "${DEVICE_RGFLOW_LIMIT:-530}" \
    "$py" benchmarks/device_rgflow.py --out "$OUT" "$@" 2>&1 | tee "$OUT/log.txt"
