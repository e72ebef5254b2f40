#!/usr/bin/env bash
# Train the shipped weights on a lent GPU machine (Keras 3 on JAX; that machine has no TensorFlow).
#
# Here, once (needs the package registry):   bash scripts/train_gpu.sh --fetch
#   downloads the cp312 wheels for keras/namex/optree into build/gpu-wheels and copies the four
#   Fashion-MNIST .gz files into build/fashion-mnist (both ignored by git; carry them to the machine).
# There (run tool, carry build/gpu-wheels and build/fashion-mnist):   bash scripts/train_gpu.sh
#   installs the wheels into build/pydeps, trains the modern and d2l recipes, and writes weights,
#   metadata, curves and logs to $OUT (or weights/ when OUT is unset).
# Extra arguments after -- go to the modern run, e.g.  bash scripts/train_gpu.sh -- --epochs 1 --limit 2048
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--fetch" ]]; then
  mkdir -p build/gpu-wheels build/fashion-mnist
  python -m pip download -q --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
    --platform manylinux_2_17_x86_64 --no-deps -d build/gpu-wheels keras==3.15.1 namex optree
  cp /usr/share/datasets/fashion-mnist/*.gz build/fashion-mnist/
  ls -la build/gpu-wheels build/fashion-mnist
  exit 0
fi
extra=()
if [[ "${1:-}" == "--" ]]; then shift; extra=("$@"); fi

OUT="${OUT:-weights}"
mkdir -p "$OUT"
if ! python -c "import keras" 2>/dev/null; then
  python -m pip install -q --no-index --no-deps --target build/pydeps build/gpu-wheels/*.whl
  export PYTHONPATH="$PWD/build/pydeps:${PYTHONPATH:-}"
fi
export KERAS_BACKEND=jax FASHION_MNIST_DIR="${FASHION_MNIST_DIR:-$PWD/build/fashion-mnist}"
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null | tee "$OUT/gpu.txt" || true

# The modern recipe (BN + AdamW + augmentation, folded into the seed network), then the seed's d2l recipe.
python -m nin.training.train --recipe modern --epochs 30 --batch-size 256 --lr 3e-3 --drawings 0.25 --uploads 0.2 \
  --mixed-precision --verbose 2 --out "$OUT" "${extra[@]}" 2>&1 | tee "$OUT/train_modern.log"
python -m nin.training.train --recipe d2l --verbose 2 --out "$OUT" "${extra[@]}" 2>&1 | tee "$OUT/train_d2l.log"
