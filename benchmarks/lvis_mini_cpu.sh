#!/usr/bin/env bash
# LVIS-mini (real pixels, 20 categories, LVIS v0.5 format) on the CPU, resumable, at low CPU
# priority: linear, de-confound and Seesaw Cascade Mask R-CNNs per seed, then LVISMetric's mask and
# box AP of every row (benchmarks/lvis_mini_cpu.py's docstring says what it trains and writes).
#
#   python tools/dataset_converters/lvis_mini.py --fashion-mnist DIR --backgrounds DIR \
#       --out data/lvis_mini                                      # the data, once (seconds)
#   bash benchmarks/lvis_mini_cpu.sh [--data data/lvis_mini] [--seeds 0 1 2]   # hours on a CPU
#   bash benchmarks/lvis_mini_cpu.sh --data TINY --smoke          # end-to-end check on a tiny set
#
# Rerun the same command to resume.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
exec nice -n 19 python benchmarks/lvis_mini_cpu.py "$@"
