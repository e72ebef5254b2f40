"""A contact sheet of the cached world images: per class (and "none"), photos, icon uploads, icon drawings.

    python -m nin.world.sheet [--cache ~/.cache/nin/world/world-<key>.npz] [--out docs/world_images.png]

Look at it before trusting a figure: it shows what the network is taught, as the network sees it.
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nin.core.data import CLASS_NAMES
from nin.world import cache

PER_CELL = 6


def sheet(arrays, path, seed=0):
    rng = np.random.default_rng(seed)
    names = list(CLASS_NAMES) + ["none of the ten"]
    cell, label_w = 28 * 2 + 2, 110
    img = Image.new("L", (label_w + len(cache.KINDS) * (PER_CELL * cell + 12), len(names) * cell + 20), 255)
    draw = ImageDraw.Draw(img)
    for k, kind in enumerate(cache.KINDS):
        draw.text((label_w + k * (PER_CELL * cell + 12), 4), kind, fill=0)
    for r, name in enumerate(names):
        c = r if r < 10 else -1
        draw.text((4, 20 + r * cell + 24), name[:16], fill=0)
        for k in range(len(cache.KINDS)):
            idx = np.flatnonzero((arrays["y"] == c) & (arrays["kind"] == k))
            for j, i in enumerate(rng.choice(idx, min(PER_CELL, len(idx)), replace=False) if len(idx) else []):
                tile = Image.fromarray(arrays["x"][i]).resize((56, 56), Image.Resampling.NEAREST)
                img.paste(tile, (label_w + k * (PER_CELL * cell + 12) + j * cell, 20 + r * cell))
    img.save(path)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", help="a world-*.npz (default: the newest in ~/.cache/nin/world)")
    p.add_argument("--out", default="world_images.png")
    args = p.parse_args(argv)
    path = Path(args.cache) if args.cache else max(cache.CACHE_DIR.glob("world-*.npz"), key=lambda f: f.stat().st_mtime)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    print(f"{path}: {len(arrays['y'])} images; wrote {sheet(arrays, args.out)}")


if __name__ == "__main__":
    main()
