"""Photos of nothing: noise and textures, "none of the ten" for Outlier Exposure (issue 33).

A camera or a file can hold anything; the app's check must not call random noise a garment. These
images go through the app's own pipeline once and are cached apart from nin/world/cache.py's.
"""
import hashlib
from pathlib import Path

import numpy as np

from nin.pipeline.preprocess import PreprocessError, prepare_upload
from nin.world.cache import CACHE_DIR, ROOT


SYNTHETIC = 1500  # noise and texture images, "none of the ten" as photos


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


def synthetic_outliers(cache_dir=CACHE_DIR, n=SYNTHETIC, seed=0):
    """{"x", "y" (-1), "kind" (0: photo), "group" ("synthetic"), "val"}: n noise and texture images through
    the app's pipeline, cached apart from the rest (keyed by the pipeline's and this file's code)."""
    h = hashlib.sha256()
    for f in ("nin/pipeline/preprocess.py", "nin/world/synthetic.py"):
        h.update((ROOT / f).read_bytes())
    path = Path(cache_dir) / f"synthetic-{h.hexdigest()[:16]}-{n}-{seed}.npz"
    if path.is_file():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    rng, xs = np.random.default_rng(seed), []
    while len(xs) < n:
        try:
            xs.append(np.round(prepare_upload(synthetic_photo(rng)) * 255).astype(np.uint8))
        except PreprocessError:
            pass
    arrays = {"x": np.stack(xs), "y": -np.ones(n, np.int8), "kind": np.zeros(n, np.int8),
              "group": np.array(["synthetic"] * n), "val": np.arange(n) % 7 == 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays
