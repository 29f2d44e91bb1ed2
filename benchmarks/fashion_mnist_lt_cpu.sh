#!/usr/bin/env bash
# Fashion-MNIST-LT (ratio 100) on the CPU with the protocol of cifar10_lt_cpu.sh; test: the
# official balanced test split.
#
#   bash benchmarks/fashion_mnist_lt_cpu.sh [--data DIR]     # the benchmark
#
# DIR: mmpretrain FashionMNIST's data root, with the four extracted idx files (default:
# data/fashion-mnist; downloaded there when the machine is online).
# Arguments are those of benchmarks/long_tail_cpu.py (its docstring says what it writes).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python benchmarks/long_tail_cpu.py fashion-mnist "$@"
