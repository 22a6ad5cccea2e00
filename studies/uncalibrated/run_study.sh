#!/usr/bin/env bash
# Runs the small suite N times under pytest-benchmark's defaults, saving every run with raw
# samples into STORAGE (pytest-benchmark's own layout: STORAGE/<machine>/NNNN_<name>.json).
# usage: run_study.sh STORAGE N [SLOWDOWN [SLOWED]]
set -euo pipefail
storage=$1; n=$2; factor=${3:-1}; slowed=${4:-}
here="$(cd "$(dirname "$0")" && pwd)"
py=${PYTHON:-python3}
for i in $(seq 1 "$n"); do
  PERFCORE_STUDY_SLOWDOWN=$factor PERFCORE_STUDY_SLOWED=$slowed \
    "$py" -m pytest -q -p no:cacheprovider "$here/test_small_suite.py" \
    --benchmark-storage="file://$storage" --benchmark-save="x${factor}" \
    --benchmark-save-data --benchmark-min-time=0.0002 --benchmark-max-time=0.5 \
    -o addopts="" >/dev/null
done
