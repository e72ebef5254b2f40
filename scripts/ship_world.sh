#!/usr/bin/env bash
# Ship a world fine-tune (python -m nin.training.finetune --out RUN_OUT): copy it into weights/, export it,
# calibrate it and fit its garment check, decide the default against nin_modern, rewrite the card.
#   bash scripts/ship_world.sh RUN_OUT [../shared/realworld]
set -euo pipefail
cd "$(dirname "$0")/.."
run_out=$1
dev=${2:-../shared/realworld}
mkdir -p build  # ignored: pictures to look at, not to commit
for f in nin_world.weights.h5 nin_world.json nin_world.history.json nin_world_curves.png nin_world_confusion.png; do
  cp "$run_out/$f" weights/
done
python -m nin.ship.export --weights weights/nin_world.weights.h5 --formats tflite-fp32,tflite-int8,tflite-layers
python -m nin.ship.calibrate --weights weights/nin_world.weights.h5 --realworld "$dev"
python -m nin.ship.compare --dev "$dev"
python -m nin.ship.card
python -m nin.measure.evaluate --weights weights/nin_world.weights.h5 --runtime tflite-int8 | tail -1
python -m nin.measure.robustness --weights weights/nin_world.weights.h5 --real "$dev" --sheet build/world_realworld_sheet.png | tail -1
