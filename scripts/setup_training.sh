#!/usr/bin/env bash
# What training on the world needs beyond the tests' setup: the icon sets, pinned in
# data/icons/package.json + package-lock.json, installed into ~/.cache/nin/icon-sets (the app never
# reads them), and cairosvg to render them.
#   bash scripts/setup_training.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${NIN_ICON_SETS:-$HOME/.cache/nin/icon-sets}"
mkdir -p "$dest"
cp data/icons/package.json data/icons/package-lock.json "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts)
python -m pip install -q --disable-pip-version-check cairosvg==2.9.1
echo "icon sets in $dest/node_modules/@iconify-json"
