"""How much of training should be drawings? Short runs at 112 px, one per share, measured on
clean test images and on drawings (traced outlines, drawings from memory) through the app's pipeline.

    python scripts/tune_drawings.py [--shares 0.1,0.25,0.5] [--limit 15000] [--epochs 2]

A proxy for the full run: few epochs, a subset, evaluated at 112 px (the size it trained at).
"""
import argparse
import json
import tempfile

import numpy as np

from nin import model as nin_model, train
from nin.data import load_split
from nin.evaluate import metrics
from nin.preprocess import prepare_sketch
from nin.robustness import as_drawing, as_scratch_drawing
from nin.weights import load_net


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shares", default="0.1,0.25,0.5")
    p.add_argument("--limit", type=int, default=15000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--n", type=int, default=600, help="test images per evaluation set")
    args = p.parse_args()
    x, y = load_split("test")
    idx = np.linspace(0, len(x) - 1, args.n).astype(int)
    x, y = x[idx].astype(np.float32) / 255.0, y[idx].astype(int)
    rng = np.random.default_rng(0)
    sets = {"clean": x,
            "outline": np.stack([prepare_sketch(as_drawing(xi, rng)) for xi in x]),
            "scratch": np.stack([prepare_sketch(as_scratch_drawing(c, rng)) for c in y])}
    rows = []
    for share in (float(s) for s in args.shares.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            train.main(["--recipe", "modern", "--stages", f"112:{args.epochs}", "--limit", str(args.limit),
                        "--drawings", str(share), "--mixed-precision", "--out", tmp, "--checkpoint-dir", tmp,
                        "--verbose", "0"])
            model = nin_model.with_resize(load_net(f"{tmp}/nin_modern.weights.h5", 112), image_size=112)
            row = {"share": share}
            for name, images in sets.items():
                m = metrics(np.asarray(model.predict(images[..., None], verbose=0)), y)
                row[name] = (round(m["accuracy"], 3), round(m["top3"], 3))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{'share':>6} {'clean top-1':>12} {'outline top-1/3':>16} {'scratch top-1/3':>16}")
    for r in rows:
        print(f"{r['share']:>6} {r['clean'][0]:>12.3f} {r['outline'][0]:>9.3f}/{r['outline'][1]:.3f} "
              f"{r['scratch'][0]:>9.3f}/{r['scratch'][1]:.3f}")


if __name__ == "__main__":
    main()
