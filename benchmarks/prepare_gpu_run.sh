#!/usr/bin/env bash
# Prepares, in git-ignored paths, what `bash benchmarks/gpu_cifar10_lt_full.sh` needs on a lent
# GPU machine that reaches no package registry, checks the size that travels, and prints the
# device run to fire (benchmarks/README.md):
#
#   .whl/                           pure-Python wheels for the machine's Python 3.12 (its torch,
#                                   torchvision, opencv, matplotlib, numpy, rich, ... are kept)
#   data/cifar10-jpg/train.tar.gz   a copy of ../shared/data/cifar10-jpg/train.tar.gz (../shared
#                                   beside the checkout does not travel)
#
#   bash benchmarks/prepare_gpu_run.sh       # after the project's set-up (bash tools/install.sh)
#
# mmcv-lite (mmcv 2.1.0 without compiled ops) has no wheel on PyPI: the one tools/install.sh
# builds and caches under $MMCAUSAL_CACHE/wheels/mmcv-lite is used, built the same way if absent.
# PYTHON (default python3) runs pip; wheels already in .whl/ are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
CACHE=${MMCAUSAL_CACHE:-$HOME/.cache/mmcausal}
MMCV_VERSION=2.1.0
ARCHIVE=../shared/data/cifar10-jpg/train.tar.gz
DATA_COPY=data/cifar10-jpg/train.tar.gz
LIMIT_MIB=64  # the working tree and the carried paths together
# What the run imports and the GPU machine lacks (benchmarks/README.md says how this was found).
WHEELS=(
  mmengine==0.10.7 mmpretrain==1.2.0
  addict==2.4.0 termcolor==3.3.0 yapf==0.43.0 platformdirs==4.14.9  # mmengine, mmcv; yapf's
  mat4py==0.6.0 model-index==0.1.11 ordered-set==4.1.0  # mmpretrain imports; model-index's
  importlib-metadata==8.7.0                              # mmpretrain imports (needs zipp only)
  setuptools==81.0.0  # pkg_resources: mmengine resolves mmpretrain:: configs with it (not in 82)
)

die() { echo "[prepare] ERROR: $*" >&2; exit 1; }
for path in .whl "$DATA_COPY"; do
  git check-ignore -q "$path" || die "$path is not git-ignored; add it to .gitignore first"
done

echo "[prepare] .whl/: ${#WHEELS[@]} wheels from PyPI for CPython 3.12"
"$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version 3.12 --implementation cp --platform manylinux2014_x86_64 --platform any \
  -d .whl "${WHEELS[@]}"

lite=$(ls "$CACHE"/wheels/mmcv-lite/mmcv_lite-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$lite" ]; then  # as tools/install.sh's build_mmcv_lite_wheel
  echo "[prepare] mmcv-lite: building $MMCV_VERSION without compiled ops from the mmcv sdist"
  src=$(mktemp -d)
  "$PYTHON" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$MMCV_VERSION" -d "$src"
  tar -xzf "$src/mmcv-$MMCV_VERSION.tar.gz" -C "$src"
  MMCV_WITH_OPS=0 "$PYTHON" -m pip wheel -q --no-deps --no-build-isolation \
    -w "$CACHE/wheels/mmcv-lite" "$src/mmcv-$MMCV_VERSION"
  rm -rf "$src"
  lite=$(ls "$CACHE"/wheels/mmcv-lite/mmcv_lite-"$MMCV_VERSION"-*.whl | head -n 1)
fi
cp "$lite" .whl/
# Two versions of one project stop the whole install there.
"$PYTHON" - <<'EOF' || die "remove the older wheel of each project above from .whl/"
import collections, glob, os.path as osp, re, sys
versions = collections.defaultdict(set)
for wheel in glob.glob('.whl/*.whl'):
    name, version = osp.basename(wheel).split('-')[:2]
    versions[re.sub(r'[-_.]+', '-', name).lower()].add(version)
twice = {name: sorted(found) for name, found in versions.items() if len(found) > 1}
if twice:
    sys.exit(f'[prepare] several versions in .whl/: {twice}')
EOF

[ -f "$ARCHIVE" ] || die "no $ARCHIVE (the CIFAR-10 training JPEGs); see ../shared/data/README.md"
mkdir -p "$(dirname "$DATA_COPY")"
cmp -s "$ARCHIVE" "$DATA_COPY" || cp "$ARCHIVE" "$DATA_COPY"
echo "[prepare] $DATA_COPY: copy of $ARCHIVE"

# The working tree that travels: tracked and untracked-not-ignored files (du skips deleted ones).
tree=$(git ls-files -z --cached --others --exclude-standard \
  | { du -cb --files0-from=- 2>/dev/null || true; } | tail -n 1 | cut -f1)
carried=$(du -cb .whl "$DATA_COPY" | tail -n 1 | cut -f1)
total_mib=$(( (tree + carried) / 1048576 ))
echo "[prepare] travels: $(( tree / 1024 )) KiB working tree + $(( carried / 1024 )) KiB" \
  "carried = ${total_mib} MiB (limit $LIMIT_MIB MiB)"
[ "$total_mib" -lt "$LIMIT_MIB" ] || die "over the $LIMIT_MIB MiB that travel"

cat <<EOF
[prepare] ready. The device run, once (estimated 4-6 minutes; results come back from \$OUT):
  command:   bash benchmarks/gpu_cifar10_lt_full.sh
  carry:     [".whl", "$DATA_COPY"]
  timeout_s: 600
EOF
