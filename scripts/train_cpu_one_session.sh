#!/bin/bash
# The whole CPU training run, from random weights, in one sitting (about 2 hours on a 2-core CPU):
# the BatchNorm network at 112 then 160 px (cheap epochs, one cosine schedule), folded once, then
# the plain seed network fine-tuned at the test size 224 with a moving average of its weights (the
# step that moved the shipped weights most). Every epoch is checkpointed under
# ~/.cache/nin/checkpoints/one_session_*; run the script again after an interruption and it goes on
# from the last finished epoch (delete those folders to start over).
#
#   nohup nice bash scripts/train_cpu_one_session.sh [OUT] > train.log 2>&1 &
#
# OUT (default ~/runs/one_session) gets low_res/ (the folded staged run) and nin_modern.* (the final
# weights; their metadata lists every stage). Copy OUT/nin_modern.* into weights/ to ship them.
set -euo pipefail
out=${1:-$HOME/runs/one_session}
ckpt=$HOME/.cache/nin/checkpoints
shares="--drawings 0.13 --uploads 0.15"
resume_from() { [ -f "$1/state.json" ] && echo --resume || true; }   # continue where a run stopped

python -m nin.training.train --recipe modern --stages 112:6,160:2 --mixed-precision $shares \
    --out "$out/low_res" --checkpoint-dir "$ckpt/one_session_low_res" --verbose 2 \
    $(resume_from "$ckpt/one_session_low_res")
python -m nin.training.train --recipe modern --init "$out/low_res/nin_modern.weights.h5" --epochs 4 \
    --image-size 224 --lr 3e-4 --ema 0.999 --mixed-precision $shares \
    --out "$out" --checkpoint-dir "$ckpt/one_session_224" --verbose 2 \
    $(resume_from "$ckpt/one_session_224")
