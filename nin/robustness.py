"""How the pipeline fares on what people really bring, imitated from the test split only.

    python -m nin.robustness [--weights PATH] [--n 1000] [--seed 0]

Builds three evaluation sets from Fashion-MNIST test images and runs each through the same
pipeline as the app: photo-like uploads (dark garment on a light, tinted, larger canvas, off
centre, random size, JPEG/PNG, RGB/RGBA/palette/grey, some EXIF-rotated or transparent), drawn
outlines (the garment's contour as black strokes of random width, sometimes with gaps) and filled
drawings. Prints top-1/top-3 against the clean 28x28 images; the last line is JSON.
"""
import argparse
import io
import json

import numpy as np
from PIL import Image
from scipy import ndimage

from nin.evaluate import metrics
from nin.preprocess import FOREGROUND, prepare_sketch, prepare_upload


def _upscaled(x28, side):
    return np.asarray(Image.fromarray((x28 * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC),
                      np.float32) / 255.0


def as_photo(x28, rng):
    """Encoded image bytes of the garment as a photo or product shot might show it."""
    side = int(rng.integers(60, 600))
    x = np.clip(_upscaled(x28, side), 0, 1)
    bg = rng.uniform(0.82, 1.0) * np.ones(3) - rng.uniform(0, 0.08, 3)  # light, slightly tinted
    garment = rng.uniform(0.0, 0.45) * rng.uniform(0.6, 1.0, 3)  # dark-ish colour
    h, w = int(side * rng.uniform(1.05, 1.8)), int(side * rng.uniform(1.05, 1.8))
    canvas = np.ones((h, w, 3)) * bg
    y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    a = x[..., None]
    canvas[y0:y0 + side, x0:x0 + side] = bg * (1 - a) + garment * a
    canvas += rng.normal(0, 0.015, canvas.shape)
    img = Image.fromarray((np.clip(canvas, 0, 1) * 255).astype(np.uint8))
    variant = rng.choice(["jpeg", "png", "grey", "palette", "rgba", "transparent", "exif"])
    buf = io.BytesIO()
    if variant == "jpeg":
        img.save(buf, "JPEG", quality=int(rng.integers(60, 95)))
    elif variant == "grey":
        img.convert("L").save(buf, "PNG")
    elif variant == "palette":
        img.quantize(64).save(buf, "PNG")
    elif variant == "rgba":
        img.convert("RGBA").save(buf, "PNG")
    elif variant == "transparent":
        rgba = np.dstack([np.asarray(img), np.zeros((h, w), np.uint8)])
        rgba[y0:y0 + side, x0:x0 + side, 3] = (255 * (x > FOREGROUND)).astype(np.uint8)
        Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    else:  # stored sideways with an EXIF orientation tag, as phones do
        exif = Image.Exif()
        exif[0x0112] = 6
        img.transpose(Image.Transpose.ROTATE_90).save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def as_drawing(x28, rng, filled=False, canvas=400):
    """RGBA layer (black strokes, transparent elsewhere) of the garment drawn as an outline or filled shape."""
    scale = rng.uniform(0.35, 0.9)
    side = int(canvas * scale)
    mask = ndimage.binary_fill_holes(_upscaled(x28, side) > FOREGROUND)
    mask = ndimage.binary_opening(mask, iterations=2)  # a person does not draw single-pixel specks
    if filled:
        ink = mask
    else:
        width = int(rng.integers(3, 13))
        ink = mask & ~ndimage.binary_erosion(mask, iterations=width)
        for _ in range(int(rng.integers(0, 3))):  # an outline that is not quite closed
            ys, xs = np.nonzero(ink)
            if len(ys):
                i = rng.integers(len(ys))
                yy, xx = np.ogrid[:side, :side]
                ink &= (yy - ys[i]) ** 2 + (xx - xs[i]) ** 2 > (width + 4) ** 2
    layer = np.zeros((canvas, canvas, 4), np.uint8)
    y0, x0 = rng.integers(0, canvas - side + 1, 2)
    layer[y0:y0 + side, x0:x0 + side, 3] = 255 * ink
    return Image.fromarray(layer, "RGBA")


def run(classifier, images, labels, rng, progress=True):
    from tqdm import tqdm

    sets = {"clean": lambda x: x,
            "upload": lambda x: prepare_upload(as_photo(x, rng)),
            "outline": lambda x: prepare_sketch(as_drawing(x, rng)),
            "filled": lambda x: prepare_sketch(as_drawing(x, rng, filled=True))}
    results = {}
    for name, make in sets.items():
        batch = np.stack([make(x) for x in tqdm(images, desc=name, disable=not progress, leave=False)])
        m = metrics(classifier.predict(batch), labels)
        results[name] = {"top1": m["accuracy"], "top3": m["top3"]}
    results["upload_vs_clean"] = results["upload"]["top1"] / max(results["clean"]["top1"], 1e-9)
    return results


def main(argv=None):
    from nin.data import load_split
    from nin.inference import Classifier
    from nin.weights import DEFAULT_WEIGHTS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--n", type=int, default=1000, help="test images per set (evenly spaced over the test split)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    x, y = load_split("test")
    idx = np.linspace(0, len(x) - 1, args.n).astype(int)
    r = run(Classifier(args.weights), x[idx].astype(np.float32) / 255.0, y[idx].astype(int), np.random.default_rng(args.seed))
    print(f"{'set':<10}{'top-1':>8}{'top-3':>8}")
    for name in ("clean", "upload", "outline", "filled"):
        print(f"{name:<10}{r[name]['top1']:>8.3f}{r[name]['top3']:>8.3f}")
    print(f"uploads keep {r['upload_vs_clean']:.1%} of clean top-1")
    print(json.dumps({"n": args.n, "weights": args.weights, **r}))


if __name__ == "__main__":
    main()
