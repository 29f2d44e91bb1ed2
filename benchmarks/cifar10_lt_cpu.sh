#!/usr/bin/env bash
# CIFAR-10-LT (ratio 100) on the CPU with a short budget: linear, linear + logit adjustment,
# de-confound and de-confound-TDE, seeds 0, 1, 2, alpha and t chosen on val, reported on test.
#
#   bash benchmarks/cifar10_lt_cpu.sh [--data DIR]           # the benchmark (113 min measured on 2 cores)
#   bash benchmarks/cifar10_lt_cpu.sh --data DIR --smoke     # end-to-end check, minutes
#
# DIR: the CIFAR-10 training images, one folder per class (default: data/cifar10-jpg/train).
# Arguments are those of benchmarks/long_tail_cpu.py (its docstring says what it writes).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python benchmarks/long_tail_cpu.py cifar10 "$@"
