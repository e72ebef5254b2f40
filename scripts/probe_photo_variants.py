"""Two pipeline ideas for photos, measured on a real-world folder. Not part of the app:
docs/pipeline.md says what they gave.

1. Smooth the cut-out 28x28 image inside the garment (creases and shadows that Fashion-MNIST's
   studio photos lack): top-1 / top-3 of all photos, and of T-shirts and shirts.
2. Shoes photographed in pairs from above: split the pair at the valley of its column profile,
   keep the larger shoe, turn its long axis level (toe left or right): what the network says.

    python scripts/probe_photo_variants.py ../shared/realworld
"""
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere
from nin.pipeline import preprocess as P  # noqa: E402
from nin.measure import realworld
from nin.core.data import CLASS_NAMES  # noqa: E402
from nin.serve.inference import app_classifier  # noqa: E402

clf = app_classifier(ROOT / "weights" / "nin_modern.weights.h5")
photos = [(p, y) for k, p, y in realworld.list_images(sys.argv[1]) if k == "photos"]
labels = np.array([y for _, y in photos])
shipped_match = P.match_brightness

print("1. smoothing the cut-out inside the garment (photo path, cut-outs only)")
smoothers = {"as shipped": lambda x: x}
for s in (0.5, 0.8, 1.2):
    smoothers[f"Gaussian, sigma {s} px"] = lambda x, s=s: np.where(P.garment_mask(x), ndimage.gaussian_filter(x, s), x)
smoothers["median 3x3"] = lambda x: np.where(P.garment_mask(x), ndimage.median_filter(x, 3), x)
for name, smooth in smoothers.items():
    P.match_brightness = lambda x, target=P.GARMENT_BRIGHTNESS, f=smooth: f(shipped_match(x, target)).astype(np.float32)
    order = np.argsort(-clf.predict(np.stack([P.prepare_upload(p) for p, _ in photos])), 1)
    right = order[:, 0] == labels
    print(f"  {name:22} top-1 {right.mean():.3f}  top-3 {(order[:, :3] == labels[:, None]).any(1).mean():.3f}"
          f"  T-shirts {right[labels == 0].mean():.2f}  shirts {right[labels == 6].mean():.2f}")
P.match_brightness = shipped_match


def larger_of_pair(fg):
    """The larger side of the mask, cut at the lowest column between 30 % and 70 % of its width."""
    m = fg > max(P.BOX_LEVEL, 0.1 * float(fg.max()))
    ys, xs = np.nonzero(m)
    profile = m[:, xs.min():xs.max() + 1].sum(0)
    lo, hi = int(0.3 * len(profile)), int(0.7 * len(profile))
    cut = xs.min() + lo + int(np.argmin(profile[lo:hi]))
    out = fg.copy()
    if m[:, :cut].sum() >= m[:, cut:].sum():
        out[:, cut:] = 0
    else:
        out[:, :cut] = 0
    return out


def level(fg):
    """Turned so the long axis of the mask is horizontal."""
    ys, xs = np.nonzero(fg > max(P.BOX_LEVEL, 0.1 * float(fg.max())))
    c = np.cov(np.stack([xs, ys]))
    return ndimage.rotate(fg, np.degrees(0.5 * np.arctan2(2 * c[0, 1], c[0, 0] - c[1, 1])), reshape=True, order=1)


print("2. shoes photographed in pairs: the network's top guess")
for path, y in [(p, y) for p, y in photos if CLASS_NAMES[y] in ("Sandal", "Sneaker", "Ankle boot")]:
    fg, _, cut = P._foreground(P.open_image(path))
    one = larger_of_pair(fg)
    variants = {"as shipped": P.one_garment(fg), "one shoe": one, "level": level(one)}
    variants["level, mirrored"] = variants["level"][:, ::-1]
    variants["level, upside down"] = variants["level"][::-1, ::-1]
    guesses = []
    for name, f in variants.items():
        x = P.center_28(np.clip(f, 0, 1).astype(np.float32))
        p = clf.predict((P.match_brightness(x) if cut else x)[None])[0]
        guesses.append(f"{name}: {CLASS_NAMES[p.argmax()]} {p.max():.2f}")
    print(f"  {CLASS_NAMES[y]:10} " + " | ".join(guesses))
