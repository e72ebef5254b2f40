"""A contact sheet of the cached world images: per class (and "none"), photos, icon uploads, icon drawings,
and with --doodles N the garments doodled from memory (nin/world/doodles.py, its cached N).

    python -m nin.world.sheet [--cache ~/.cache/nin/world/world-<key>.npz] [--doodles 6000] [--out docs/world_images.png]

Look at it before trusting a figure: it shows what the network is taught, as the network sees it.
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nin.core.data import CLASS_NAMES
from nin.world import cache, doodles, synthetic

PER_CELL = 6


def sheet(arrays, path, seed=0):
    rng = np.random.default_rng(seed)
    names = list(CLASS_NAMES) + ["none of the ten"]
    made = np.isin(arrays["group"], synthetic.GROUPS)
    columns = [(kind, (arrays["kind"] == k) & ~made) for k, kind in enumerate(cache.KINDS)]
    if (arrays["group"] == synthetic.DOODLES).any():
        columns.append(("doodled from memory (made here)", arrays["group"] == synthetic.DOODLES))
    cell, label_w = 28 * 2 + 2, 110
    img = Image.new("L", (label_w + len(columns) * (PER_CELL * cell + 12), len(names) * cell + 20), 255)
    draw = ImageDraw.Draw(img)
    for k, (title, _) in enumerate(columns):
        draw.text((label_w + k * (PER_CELL * cell + 12), 4), title, fill=0)
    for r, name in enumerate(names):
        c = r if r < 10 else -1
        draw.text((4, 20 + r * cell + 24), name[:16], fill=0)
        for k, (_, chosen) in enumerate(columns):
            idx = np.flatnonzero((arrays["y"] == c) & chosen)
            for j, i in enumerate(rng.choice(idx, min(PER_CELL, len(idx)), replace=False) if len(idx) else []):
                tile = Image.fromarray(arrays["x"][i]).resize((56, 56), Image.Resampling.NEAREST)
                img.paste(tile, (label_w + k * (PER_CELL * cell + 12) + j * cell, 20 + r * cell))
    img.save(path)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", help="a world-*.npz (default: the newest in ~/.cache/nin/world)")
    p.add_argument("--doodles", type=int, default=0, help="add this many garments doodled from memory (cached once)")
    p.add_argument("--out", default="world_images.png")
    args = p.parse_args(argv)
    path = Path(args.cache) if args.cache else max(cache.CACHE_DIR.glob("world-*.npz"), key=lambda f: f.stat().st_mtime)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    if args.doodles:
        extra = doodles.doodled_garments(n=args.doodles)
        arrays = {k: np.concatenate([arrays[k], extra[k]]) for k in arrays}
    print(f"{path}: {len(arrays['y'])} images; wrote {sheet(arrays, args.out)}")


if __name__ == "__main__":
    main()
