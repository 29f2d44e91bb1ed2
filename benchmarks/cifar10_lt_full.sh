#!/usr/bin/env bash
# CIFAR-10-LT (ratio 100) with the paper's 200-epoch schedule, resumable, at low CPU priority:
# the same command continues from the last checkpoint (benchmarks/cifar10_lt_full.py's docstring
# says what it trains and writes).
#
#   bash benchmarks/cifar10_lt_full.sh --data DIR [--precision bf16]     # hours on a CPU
#   bash benchmarks/cifar10_lt_full.sh --data DIR --smoke                # end-to-end check
#
# DIR: the CIFAR-10 training images, one folder per class (default: data/cifar10-jpg/train).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
exec nice -n 19 python benchmarks/cifar10_lt_full.py "$@"
