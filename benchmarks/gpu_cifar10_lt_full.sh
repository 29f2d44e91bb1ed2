#!/usr/bin/env bash
# CIFAR-10-LT (ratio 100) at the paper's scale in one command on a GPU machine without network:
# the 200-epoch linear and de-confound rows of configs/cifar_lt/, every row of the results table
# and the alpha sweep (benchmarks/gpu_cifar10_lt_full.py's docstring says what it writes).
#
#   bash benchmarks/prepare_gpu_run.sh                     # here, once: what the run carries
#   bash benchmarks/gpu_cifar10_lt_full.sh [ARGS]          # there; writes into $OUT
#   bash benchmarks/gpu_cifar10_lt_full.sh --no-install --epochs 1 --max-per-class 100 \
#       --held-out-per-class 50 --out DIR                  # dry run where the stack is installed
#
# First it installs the carried pure-Python wheels of .whl/ (the OpenMMLab stack and what it
# needs beyond the machine's packages) into a temporary folder put first on PYTHONPATH; the
# machine's torch is kept, and mmcausal is imported from this checkout. --no-install skips the
# wheels. ARGS go to benchmarks/gpu_cifar10_lt_full.py; PYTHON (default python3) runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ "${1:-}" = --no-install ]; then
  shift
else
  if ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "no wheels in .whl/: run 'bash benchmarks/prepare_gpu_run.sh' and carry .whl" >&2
    exit 1
  fi
  SITE=$(mktemp -d)
  echo "installing $(ls .whl/*.whl | wc -l) carried wheels into $SITE"
  PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check --no-index \
    --no-deps --no-compile --target "$SITE" .whl/*.whl
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD" PYTHONUNBUFFERED=1  # mmcausal: this checkout
if [ -n "${OUT:-}" ]; then  # the device machine returns what is under $OUT: keep the console too
  mkdir -p "$OUT"
  "$PYTHON" benchmarks/gpu_cifar10_lt_full.py "$@" 2>&1 | tee "$OUT/run.log"
else
  exec "$PYTHON" benchmarks/gpu_cifar10_lt_full.py "$@"
fi
