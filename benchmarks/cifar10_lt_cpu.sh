#!/usr/bin/env bash
# CIFAR-10-LT (ratio 100) on the CPU with a short budget: linear, linear + logit adjustment,
# de-confound and de-confound-TDE, seeds 0, 1, 2, alpha and t chosen on val, reported on test.
#
#   bash benchmarks/cifar10_lt_cpu.sh            # the benchmark (about an hour on 2 CPU cores)
#   bash benchmarks/cifar10_lt_cpu.sh --smoke    # end-to-end check of the script, minutes
#
# Arguments are those of benchmarks/cifar10_lt_cpu.py (its docstring says what it writes).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python benchmarks/cifar10_lt_cpu.py "$@"
