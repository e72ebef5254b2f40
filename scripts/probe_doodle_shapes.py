"""Can a doodle's shape alone tell a garment from a non-garment? Compares each doodle's filled
silhouette (the Draw tab's pipeline, then nin.pipeline.preprocess.fill_drawing's closing and fill) with
12,000 Fashion-MNIST training silhouettes outside the validation split: the best IoU, and the best
chamfer distance of the outlines. Prints the AUROC of real garment doodles, and of 500 validation
images drawn (nin/pipeline/imitations.py), against the non-garment doodles; and how often the nearest
silhouettes' classes name a garment doodle's own (shape alone as a classifier). Not part of the app:
docs/garment_score.md says what it gave.

    python scripts/probe_doodle_shapes.py ../shared/realworld
"""
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere
from nin.core import data  # noqa: E402
from nin.pipeline import imitations as drawings, preprocess as P
from nin.measure import realworld
from nin.measure.evaluate import auroc  # noqa: E402


def filled_mask(x28):
    """The silhouette fill_drawing fills, at 28x28."""
    enclosed = P.drawing_enclosed(x28)[1].astype(np.float32)
    return cv2.resize(enclosed, (28, 28), interpolation=cv2.INTER_AREA) > 0.5


def edge(m):
    return m & ~ndimage.binary_erosion(m)


def flat(masks):
    return np.stack(masks).reshape(len(masks), -1).astype(np.float32)


(train, val) = data.train_validation_split(*data.load_split("train"))
x_fit, Y_FIT = train[0][:12000].astype(np.float32) / 255, train[1][:12000]
fm = [P.garment_mask(x) for x in x_fit]
FM_MASK, FM_EDGE = flat(fm), flat([edge(m) for m in fm])
FM_DIST = flat([ndimage.distance_transform_edt(~edge(m)) for m in fm])


def similarities(masks):
    """(IoU, minus the symmetric chamfer distance) of each mask against every Fashion-MNIST silhouette."""
    a = flat(masks)
    inter = a @ FM_MASK.T
    iou = inter / np.maximum(a.sum(1)[:, None] + FM_MASK.sum(1)[None] - inter, 1)
    e, d = flat([edge(m) for m in masks]), flat([ndimage.distance_transform_edt(~edge(m)) for m in masks])
    chamfer = (e @ FM_DIST.T) / np.maximum(e.sum(1, keepdims=True), 1) + (d @ FM_EDGE.T) / FM_EDGE.sum(1)[None]
    return iou, -chamfer


def scores(masks):
    """(best IoU, minus the best chamfer distance) against the Fashion-MNIST silhouettes."""
    return tuple(s.max(1) for s in similarities(masks))


def nearest_class(similarity, k):
    """The majority class of the k most similar Fashion-MNIST silhouettes."""
    nearest = np.argsort(-similarity, 1)[:, :k]
    return np.array([np.bincount(Y_FIT[row], minlength=10).argmax() for row in nearest])


folder = Path(sys.argv[1])
garments, labels = zip(*[(p, y) for k, p, y in realworld.list_images(folder) if k == "drawings"])
others = sorted((folder / "not-garments").glob("*.png"))
doodle = lambda p: filled_mask(P.prepare_sketch(realworld.as_sketchpad_value(p)))
rng = np.random.default_rng(0)
xv, yv = val[0][:500].astype(np.float32) / 255, val[1][:500]
sets = {"real garment doodles": [doodle(p) for p in garments],
        "validation images drawn": [filled_mask(drawings.as_drawing(x, int(y), rng)) for x, y in zip(xv, yv)]}
neg = scores([doodle(p) for p in others])
print(f"AUROC against {len(others)} non-garment doodles     best IoU   best chamfer")
for name, masks in sets.items():
    pos = scores(masks)
    print(f"  {name:24} ({len(masks):4})    {auroc(pos[0], neg[0]):.3f}      {auroc(pos[1], neg[1]):.3f}")

print(f"\nShape alone as a classifier, {len(garments)} real garment doodles: top-1 of the majority class "
      "of the k nearest silhouettes")
for name, similarity in zip(("IoU", "chamfer"), similarities(sets["real garment doodles"])):
    print(f"  {name:8}" + "".join(f"   k={k}: {np.mean(nearest_class(similarity, k) == np.array(labels)):.3f}"
                                  for k in (1, 5, 15)))
