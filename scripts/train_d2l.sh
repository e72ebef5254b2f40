#!/bin/bash
# The seed article's own training (d2l's recipe: the plain network, SGD at 0.1, batch 128, 10 epochs
# at 224 px, no augmentation, float32 unless --mixed-precision) on this CPU, and everything that ships with its weights.
# About an hour in bfloat16 on a 2-core AVX-512 BF16 CPU (python -m nin.speed.bench --train says what
# yours needs): every epoch is checkpointed in RUN/ckpt, and running the script again goes on from the
# last finished epoch.
#
#   nohup nice bash scripts/train_d2l.sh [RUN] [REALWORLD] [--mixed-precision] [--seed 1] > RUN.log 2>&1 &
#
# RUN (default ~/runs/d2l, outside the work tree) gets the run; when all 10 epochs are done the run
# and the shipped file are compared on the validation split (python -m nin.ship.choose: another seed
# of the recipe replaces the shipped file only if it does better there), the chosen one is exported (LiteRT int8, float32 and the layer model), the
# percentages calibrated and the garment check fitted (on REALWORLD too, a folder laid out like
# shared/realworld, when given), the model card rewritten, and the real-world figures measured.
set -euo pipefail
run=${1:-$HOME/runs/d2l}
realworld=${2:-}
shift $(( $# < 2 ? $# : 2 ))  # what is left goes to nin.training.train (e.g. --mixed-precision on a CPU with AMX)
weights=weights/nin_d2l.weights.h5
cd "$(dirname "$0")/.."

resume=$([ -f "$run/ckpt/state.json" ] && echo --resume || true)
python -m nin.training.train --recipe d2l --out "$run" --checkpoint-dir "$run/ckpt" $resume "$@"

# Another seed of the same recipe (e.g. --seed 1) competes with the shipped file on the validation split.
candidates=("$run"/nin_d2l.weights.h5)
[ -f "$weights" ] && candidates+=("$weights")
python -m nin.ship.choose "${candidates[@]}" --to "$weights"
python -m nin.ship.export --weights "$weights"
python -m nin.ship.calibrate --weights "$weights" ${realworld:+--realworld "$realworld"}
python -m nin.ship.card
python -m nin.measure.evaluate --weights "$weights" --runtime tflite-int8
python -m nin.measure.robustness --weights "$weights" --n 1000
if [ -n "$realworld" ]; then
    python -m nin.measure.robustness --weights "$weights" --real "$realworld" --sheet "$run/realworld_sheet.png"
fi
