#!/usr/bin/env bash
# One-command set-up of the mmcausal stack into the active Python environment.
#
#   bash tools/install.sh          # classification: mmengine, mmcv-lite, mmpretrain (minutes)
#   bash tools/install.sh full     # + detection: mmcv with compiled ops, mmdet, lvis
#
# classification  mmcv-lite is built from the mmcv sdist without its compiled ops (pure Python,
#                 seconds, no compiler): what a GPU machine with its own Python and torch needs.
# full            mmcv with compiled ops built from source (README.md, Install, says how long)
#                 and cached per (torch version, Python tag); replaces mmcv-lite if it is there.
#
# Idempotent: an installed torch is kept; mmcv is not rebuilt when the installed one serves the
# mode (mmcv with ops serves both). Built wheels are cached under $MMCAUSAL_CACHE (default
# ~/.cache/mmcausal). Every pip call that installs, downloads or builds gets -c
# requirements/constraints.txt, the exact versions CI tests (mmcv's version is read from there).
# Environment knobs: PYTHON (interpreter), TORCH_SPEC (what to install when no torch is
# present), MAX_JOBS (parallel compile jobs for mmcv).
set -euo pipefail

MODE=${1:-classification}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-"torch==2.14.1 torchvision==0.29.1"}
CACHE=${MMCAUSAL_CACHE:-$HOME/.cache/mmcausal}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONSTRAINTS=$ROOT/requirements/constraints.txt
MMCV_VERSION=$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")

step() { echo "[install] $*"; }
die() { echo "[install] ERROR: $*" >&2; exit 1; }
py() { "$PYTHON" "$@"; }
pip_install() { py -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS" "$@"; }

[ -n "$MMCV_VERSION" ] || die "$CONSTRAINTS names no mmcv==VERSION"
case "$MODE" in
  classification|full) ;;
  *) die "unknown mode '$MODE': use 'bash tools/install.sh' (classification) or 'bash tools/install.sh full' (with detection)" ;;
esac
START=$SECONDS
step "mode: $MODE; python: $(py -c 'import sys; print(sys.executable, sys.version.split()[0])')" \
  || die "no Python interpreter '$PYTHON'; set PYTHON=/path/to/python3"
py -c 'import sys; sys.exit(sys.version_info < (3, 8))' || die "Python >= 3.8 is required"

step "build tools: setuptools>=77,<82 (keeps pkg_resources for mmengine), wheel, packaging"
pip_install 'setuptools>=77,<82' wheel packaging

if py -c 'import torch, torchvision' 2>/dev/null; then
  step "torch: keeping installed $(py -c 'import torch, torchvision; print(torch.__version__, "/ torchvision", torchvision.__version__)')"
else
  step "torch: installing $TORCH_SPEC"
  # shellcheck disable=SC2086
  pip_install $TORCH_SPEC
fi
TORCH_VERSION=$(py -c 'import torch; print(torch.__version__)')

mmcv_ok() {  # $1: "ops" when the compiled ops must load, else any mmcv 2.x of the right range
  py - "$1" <<'EOF' 2>/dev/null
import sys
import mmcv
from packaging.version import Version
assert Version('2.0.0rc4') <= Version(mmcv.__version__) < Version('2.2.0')
if sys.argv[1] == 'ops':
    import mmcv.ops  # noqa: F401  (compiled ops load against the installed torch)
EOF
}

fetch_mmcv_source() {  # $1: folder; prints the unpacked source folder
  local src=$1
  py -m pip download -q -c "$CONSTRAINTS" --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$src" >&2 \
    || die "could not download the mmcv $MMCV_VERSION source distribution"
  tar -xzf "$src/mmcv-$MMCV_VERSION.tar.gz" -C "$src"
  echo "$src/mmcv-$MMCV_VERSION"
}

build_mmcv_lite_wheel() {  # $1: folder the wheel is written to
  local out=$1 src tree
  src=$(mktemp -d)
  step "mmcv-lite: building $MMCV_VERSION without compiled ops from the mmcv sdist (seconds)"
  pip_install mmengine addict yapf pyyaml Pillow opencv-python
  tree=$(fetch_mmcv_source "$src")
  MMCV_WITH_OPS=0 py -m pip wheel -q -c "$CONSTRAINTS" --no-deps --no-build-isolation -w "$out" "$tree" \
    || die "building mmcv-lite failed"
  rm -rf "$src"
}

build_mmcv_full_wheel() {  # $1: folder the wheel is written to
  local out=$1 src tree log
  py -c 'import os, sysconfig; p = sysconfig.get_paths()["include"]; assert os.path.exists(os.path.join(p, "Python.h"))' \
    || die "Python headers (Python.h) are missing; install them (e.g. apt-get install python3-dev)"
  command -v g++ >/dev/null || die "no C++ compiler; install g++ >= 10 (e.g. apt-get install g++)"
  local gxx_major; gxx_major=$(g++ -dumpversion | cut -d. -f1)
  [ "$gxx_major" -ge 10 ] || die "g++ $gxx_major is too old: torch $TORCH_VERSION's headers need C++20 (g++ >= 10)"
  pip_install mmengine addict yapf pyyaml Pillow opencv-python ninja
  src=$(mktemp -d); log="$CACHE/logs/mmcv-$MMCV_VERSION-torch-$TORCH_VERSION.log"
  mkdir -p "$(dirname "$log")" "$out"
  step "mmcv: building $MMCV_VERSION with compiled ops from source (minutes: README.md, Install); log: $log"
  tree=$(fetch_mmcv_source "$src")
  # mmcv's setup.py hard-codes -std=c++14/17; torch >= 2.10's headers require C++20.
  sed -i 's/-std=c++1[47]/-std=c++20/g' "$tree/setup.py"
  if ! MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} py -m pip wheel -c "$CONSTRAINTS" --no-deps --no-build-isolation \
      -w "$out" "$tree" >"$log" 2>&1; then
    grep -m 5 -E 'error|Error' "$log" || true
    die "building mmcv failed; the full log is $log"
  fi
  rm -rf "$src"
}

cached_wheel() {  # $1: folder, $2: wheel file pattern, $3: function building it into $1; prints its path
  local wheel
  wheel=$(ls "$1"/$2 2>/dev/null | head -n 1 || true)
  if [ -z "$wheel" ]; then
    "$3" "$1" >&2
    wheel=$(ls "$1"/$2 | head -n 1)
  else
    step "using the cached wheel $wheel" >&2
  fi
  echo "$wheel"
}

if [ "$MODE" = full ]; then
  if mmcv_ok ops; then
    step "mmcv: $(py -c 'import mmcv; print(mmcv.__version__)') with compiled ops already works; not rebuilding"
  else
    wheel_dir="$CACHE/wheels/torch-$TORCH_VERSION-$(py -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
    wheel=$(cached_wheel "$wheel_dir" "mmcv-$MMCV_VERSION-*.whl" build_mmcv_full_wheel)
    # mmcv-lite and mmcv install the same package folder: never leave both.
    py -m pip uninstall -y -q mmcv-lite 2>/dev/null || true
    pip_install --force-reinstall --no-deps "$wheel"
    mmcv_ok ops || die "mmcv is installed but 'import mmcv.ops' fails; delete $wheel_dir and run again"
  fi
elif mmcv_ok any; then
  step "mmcv: keeping installed $(py -m pip list 2>/dev/null | grep -m1 -E '^mmcv(-lite)? ' | tr -s ' ')"
else
  wheel_dir="$CACHE/wheels/mmcv-lite"
  wheel=$(cached_wheel "$wheel_dir" "mmcv_lite-$MMCV_VERSION-*.whl" build_mmcv_lite_wheel)
  pip_install --no-deps "$wheel"
  mmcv_ok any || die "mmcv-lite is installed but 'import mmcv' fails; delete $wheel_dir and run again"
fi

step "OpenMMLab stack and mmcausal (editable), with test, plotting and ONNX export extras"
requirements=(-r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/optional.txt" -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/deploy.txt")
[ "$MODE" = full ] && requirements+=(-r "$ROOT/requirements/detection.txt")
pip_install "${requirements[@]}"
pip_install --no-build-isolation --no-deps -e "$ROOT"

if [ "$MODE" = full ]; then
  py -c 'import mmcausal, mmcv.ops, mmdet, mmpretrain; print("[install] ok: mmcausal", mmcausal.__version__, "| mmcv", mmcv.__version__, "| mmdet", mmdet.__version__, "| mmpretrain", mmpretrain.__version__)'
else
  py -c 'import mmcausal, mmcv, mmpretrain; print("[install] ok (classification): mmcausal", mmcausal.__version__, "| mmcv", mmcv.__version__, "| mmpretrain", mmpretrain.__version__)'
  step "detection (mmdet, LVIS) needs the compiled mmcv ops: bash tools/install.sh full"
fi
step "done in $((SECONDS - START)) s"
