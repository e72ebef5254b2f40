"""Probe (issue 33): does a small logistic "garment or not" head on the class maps the network already
outputs (5x5x10) separate drawings better than the max-softmax?

Fitted on the world cache's training icons (hand-drawn garments and Fashion-MNIST drawings against
hand-drawn non-garment icons), chosen on the held-out icon sets, measured on a development folder.

    python scripts/probe_outlier_head.py CACHE.npz [--realworld ../shared/realworld] [--weights W]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nin.core import data  # noqa: E402
from nin.core.weights import WORLD_WEIGHTS  # noqa: E402
from nin.measure.evaluate import auroc  # noqa: E402
from nin.pipeline.imitations import as_drawing  # noqa: E402
from nin.serve.calibration import softmax  # noqa: E402
from nin.serve.inference import app_classifier  # noqa: E402

DRAWING = 2  # nin.world.cache.KINDS: icon drawing


def features(clf, x):
    """[logits (10), class maps (250)] for uint8 or float 28x28 images, in batches."""
    out = []
    for i in range(0, len(x), 256):
        b = np.asarray(x[i:i + 256], np.float32)
        b = b / 255 if b.max() > 1.5 else b
        logits, maps = clf.raw(b)
        out.append(np.concatenate([logits, maps.reshape(len(b), -1)], 1))
    return np.concatenate(out)


def msp(f):
    return softmax(f[:, :10]).max(1)


def fit_logistic(f, y, l2=1e-2, steps=3000, lr=0.5):
    """Plain logistic regression (standardised inputs, full-batch gradient descent, balanced classes)."""
    mu, sd = f.mean(0), f.std(0) + 1e-6
    z = (f - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * weight
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return lambda f2: ((f2 - mu) / sd) @ w + b  # high: garment


def flagged_at(score_in, score_out, in_flag=0.10):
    """Share of outliers flagged when the threshold flags `in_flag` of the garments."""
    t = np.quantile(score_in, in_flag)
    return float((score_out < t).mean()), t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cache")
    p.add_argument("--realworld", default=str(Path(__file__).resolve().parents[2] / "shared" / "realworld"))
    p.add_argument("--weights", default=str(WORLD_WEIGHTS))
    p.add_argument("--fm", type=int, default=3000, help="Fashion-MNIST training drawings among the garments")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    clf = app_classifier(args.weights)
    c = np.load(args.cache)
    drawn = c["kind"] == DRAWING
    sets = {}
    for split, is_val in (("train", False), ("val", True)):
        sel = drawn & (c["val"] == is_val)
        sets[f"{split} garments"] = c["x"][sel & (c["y"] >= 0)]
        out = np.flatnonzero(sel & (c["y"] < 0))
        sets[f"{split} outliers"] = c["x"][rng.choice(out, min(len(out), 6000), replace=False)]
    (xt, yt), _ = data.load_fashion_mnist()
    val_idx = data.validation_indices(yt)
    rest = np.setdiff1d(np.arange(len(yt)), val_idx)
    pick = rng.choice(rest, args.fm, replace=False)
    sets["train fm drawings"] = np.stack([as_drawing(xt[i] / 255.0, yt[i], rng) for i in pick])
    vpick = rng.choice(val_idx, 1000, replace=False)
    sets["val fm drawings"] = np.stack([as_drawing(xt[i] / 255.0, yt[i], rng) for i in vpick])
    real = Path(args.realworld)
    if real.is_dir():
        from nin.measure.realworld import as_sketchpad_value, list_images
        from nin.pipeline.preprocess import prepare_sketch

        garments = [q for kind, q, _ in list_images(real) if kind == "drawings"]
        others = sorted((real / "not-garments").glob("*.png"))
        sets["dev garment doodles"] = np.stack([prepare_sketch(as_sketchpad_value(q)) for q in garments])
        sets["dev non-garment doodles"] = np.stack([prepare_sketch(as_sketchpad_value(q)) for q in others])
    f = {k: features(clf, v) for k, v in sets.items()}
    for k, v in f.items():
        print(f"{k:26} {len(v):6}")
    train_in = np.concatenate([f["train garments"], f["train fm drawings"]])
    train_out = f["train outliers"]
    y = np.r_[np.ones(len(train_in)), np.zeros(len(train_out))]
    X = np.concatenate([train_in, train_out])
    heads = {"max-softmax": lambda g: msp(g)}
    for l2 in (1e-3, 1e-2, 1e-1):
        heads[f"logistic maps+logits l2={l2}"] = fit_logistic(X, y, l2)
    val_in = np.concatenate([f["val garments"], f["val fm drawings"]])
    print(f"\n{'score':34} {'val AUROC':>9} {'val flagged@10%':>15} {'dev AUROC':>9} {'dev flagged':>11} {'dev garm. flagged':>17}")
    for name, h in heads.items():
        a_val = auroc(h(val_in), h(f["val outliers"]))
        fl_val, t = flagged_at(h(val_in), h(f["val outliers"]))
        row = f"{name:34} {a_val:9.3f} {fl_val:15.3f}"
        if "dev garment doodles" in f:
            a_dev = auroc(h(f["dev garment doodles"]), h(f["dev non-garment doodles"]))
            row += (f" {a_dev:9.3f} {(h(f['dev non-garment doodles']) < t).mean():11.3f}"
                    f" {(h(f['dev garment doodles']) < t).mean():17.3f}")
        print(row)


if __name__ == "__main__":
    main()
