"""Photos and drawings of nothing in particular, "none of the ten" for Outlier Exposure (issue 33).

A camera or a file can hold anything; the app's check must not call random noise a garment. And a
person on the Draw tab draws things built of a few shapes (a roof on a box, a circle with rays, two
wheels under a frame): scribbled things, made of random shapes stuck together, teach the network that
a drawing is a garment only when it has a garment's shape. These images go through the app's own
pipeline once and are cached apart from nin/world/cache.py's.
"""
import hashlib
from pathlib import Path

import cv2
import numpy as np

from nin.pipeline.preprocess import STROKE_PX, PreprocessError, center_28, prepare_upload
from nin.world.cache import CACHE_DIR, ROOT
from nin.world.handdrawn import _warp


SYNTHETIC = 1500  # noise and texture images, "none of the ten" as photos
SIDE = 400  # the Draw tab's canvas
# the "group" of the images made here (icon sets are the other groups); doodles: nin/world/doodles.py
NOISE, SCRIBBLES, DOODLES = "synthetic", "scribbles", "doodles"
GROUPS = (NOISE, SCRIBBLES, DOODLES)
# how often each shape is drawn: mostly the plain ones people build things from
SHAPES = {"ellipse": 3, "rectangle": 2, "triangle": 2, "polygon": 1, "line": 3, "arc": 2, "zigzag": 0.7, "spiral": 0.3}


def synthetic_photo(rng):
    """What a camera or a file can hold that is no garment: noise (fine or blotchy), stripes, checks, gradients."""
    side = int(rng.integers(120, 400))
    kind = rng.integers(0, 5)
    if kind == 0:  # fine noise, grey or colour
        img = rng.integers(0, 256, (side, side, 3)).astype(np.float32)
        if rng.random() < 0.5:
            img = np.repeat(img[..., :1], 3, 2)
    elif kind == 1:  # blotches: blurred noise
        from scipy import ndimage
        img = ndimage.gaussian_filter(rng.normal(size=(side, side, 3)), (rng.uniform(1, 10),) * 2 + (0,))
        img = (img - img.min()) / (np.ptp(img) + 1e-6) * 255
    else:  # stripes, checks, gradients at any angle and colour
        yy, xx = np.indices((side, side)) / side
        a = rng.uniform(0, np.pi)
        u = np.cos(a) * xx + np.sin(a) * yy
        f = rng.uniform(2, 30)
        wave = {2: np.sin(2 * np.pi * f * u) > 0, 3: (np.floor(f * xx) + np.floor(f * yy)) % 2, 4: u}[int(kind)]
        c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        img = c0 + (c1 - c0) * np.asarray(wave, np.float32)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def _shape(rng, centre, size):
    """One closed or open shape a hand draws in one go, as (points, closed)."""
    cx, cy = centre
    kind = rng.choice(list(SHAPES), p=np.array(list(SHAPES.values())) / sum(SHAPES.values()))
    if kind == "ellipse":
        t = np.linspace(0, 2 * np.pi, 40)
        rx, ry = size * rng.uniform(0.3, 0.6), size * rng.uniform(0.3, 0.6)
        return np.c_[cx + rx * np.cos(t), cy + ry * np.sin(t)], True
    if kind in ("polygon", "rectangle", "triangle"):
        n = {"polygon": int(rng.integers(5, 11)), "rectangle": 4, "triangle": 3}[kind]
        t = np.sort(rng.uniform(0, 2 * np.pi, n)) if kind == "polygon" else np.arange(n) * 2 * np.pi / n + rng.uniform(0, np.pi)
        r = size * 0.5 * (rng.uniform(0.4, 1.0, n) if kind == "polygon" else 1.0)
        return np.c_[cx + r * np.cos(t), cy + r * rng.uniform(0.5, 1.5) * np.sin(t)], True
    if kind == "spiral":
        t = np.linspace(0, rng.uniform(3, 6) * np.pi, 60)
        r = size * 0.5 * t / t[-1]
        return np.c_[cx + r * np.cos(t), cy + r * np.sin(t)], False
    a = rng.uniform(0, np.pi)
    d = np.array([np.cos(a), np.sin(a)]) * size * 0.5
    if kind == "line":
        return np.array([[cx, cy] - d, [cx, cy] + d]), False
    if kind == "arc":
        t = np.linspace(0, rng.uniform(0.6, 1.6) * np.pi, 20) + a
        return np.c_[cx + size * 0.5 * np.cos(t), cy + size * 0.5 * np.sin(t)], False
    k = int(rng.integers(3, 8))  # zigzag
    base = np.linspace(-1, 1, k)[:, None] * d
    normal = np.array([-d[1], d[0]]) * rng.uniform(0.15, 0.4) * (np.arange(k) % 2 * 2 - 1)[:, None]
    return np.array([cx, cy]) + base + normal, False


def scribbled_thing(rng):
    """A drawing of no garment, in the form the Draw tab gives the network (28x28 float32 in [0, 1]):
    2-5 shapes, each stuck to the drawing so far (on its ink, inside it or beside it), drawn with a wobble."""
    canvas = np.zeros((SIDE, SIDE), np.uint8)
    width = int(rng.integers(4, 9))
    pts, closed = _shape(rng, (SIDE / 2, SIDE / 2), rng.uniform(120, 220))
    for _ in range(int(rng.integers(1, 5))):
        cv2.polylines(canvas, [np.round(pts).astype(np.int32).reshape(-1, 1, 2)], bool(closed), 255, width, cv2.LINE_AA)
        ys, xs = np.nonzero(canvas)
        anchor = np.array([xs, ys])[:, rng.integers(len(xs))].astype(float)
        where = rng.random()
        if where < 0.5:  # on the ink: a roof, a handle, a stem, a wheel, a ray
            centre, size = anchor + rng.normal(0, 25, 2), rng.uniform(60, 180)
        elif where < 0.8:  # inside: an eye, a window, a spoke
            centre, size = (anchor + [xs.mean(), ys.mean()]) / 2, rng.uniform(20, 80)
        else:  # beside: a second wheel, the sun over the house
            centre, size = anchor + rng.normal(0, 90, 2), rng.uniform(40, 140)
        pts, closed = _shape(rng, np.clip(centre, 30, SIDE - 30), size)
    cv2.polylines(canvas, [np.round(pts).astype(np.int32).reshape(-1, 1, 2)], bool(closed), 255, width, cv2.LINE_AA)
    strokes = _warp(np.pad(canvas, 40), rng, rng.uniform(4, 14)) / 255.0
    return center_28(strokes.astype(np.float32), stroke_px=STROKE_PX)


CODE = ("nin/pipeline/preprocess.py", "nin/world/synthetic.py", "nin/world/handdrawn.py")


def cached(name, make, n, seed, cache_dir, kind, code=CODE):
    """n images from make(rng) -> (28x28 float in [0, 1], class or -1), or PreprocessError, cached by the
    code that makes them; one in seven held out for validation."""
    h = hashlib.sha256()
    for f in code:
        h.update((ROOT / f).read_bytes())
    path = Path(cache_dir) / f"{name}-{h.hexdigest()[:16]}-{n}-{seed}.npz"
    if path.is_file():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    rng, xs, ys = np.random.default_rng(seed), [], []
    while len(xs) < n:
        try:
            x, y = make(rng)
        except PreprocessError:
            continue
        xs.append(np.round(np.clip(x, 0, 1) * 255).astype(np.uint8))
        ys.append(y)
    arrays = {"x": np.stack(xs), "y": np.array(ys, np.int8), "kind": np.full(n, kind, np.int8),
              "group": np.array([name] * n), "val": np.arange(n) % 7 == 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays


def synthetic_outliers(cache_dir=CACHE_DIR, n=SYNTHETIC, seed=0):
    """{"x", "y" (-1), "kind" (0: photo), "group" ("synthetic"), "val"}: n noise and texture images through
    the app's pipeline (one in seven held out), cached apart from the rest."""
    return cached(NOISE, lambda rng: (prepare_upload(synthetic_photo(rng)), -1), n, seed, cache_dir, kind=0)


def scribbled_outliers(cache_dir=CACHE_DIR, n=3000, seed=0):
    """The same for n scribbled things (kind 2: drawings), one in seven held out."""
    return cached(SCRIBBLES, lambda rng: (scribbled_thing(rng), -1), n, seed, cache_dir, kind=2)
