"""How the pipeline fares on what people really bring, imitated from the test split only.

    python -m nin.robustness [--weights PATH] [--n 1000] [--seed 0]
    python -m nin.robustness --real ../shared/realworld [--sheet PNG]   # images other people made

Builds three evaluation sets from Fashion-MNIST test images and runs each through the same
pipeline as the app: photo-like uploads (dark garment on a light, tinted, larger canvas, off
centre, random size, JPEG/PNG, RGB/RGBA/palette/grey, some EXIF-rotated or transparent), drawn
outlines (the garment's contour as black strokes of random width, sometimes with gaps) and filled
drawings; and drawings made from memory, tracing no image at all (a few templates per class drawn
with jitter, slant, varied strokes and gaps). Prints top-1/top-3 against the clean 28x28 images; the last line is JSON.
"""
import argparse
import io
import json

import numpy as np
from PIL import Image
from scipy import ndimage

from nin.evaluate import metrics
from nin.preprocess import FOREGROUND, center_28, prepare_sketch, prepare_upload


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


# --- drawings from memory: no test image traced, only what a person knows a garment looks like ---

# Per class, a few templates: (width/height, [polyline, ...]); a polyline is a list of (x, y) in a
# unit box (y down), closed when its last point equals its first. Dots are one-point polylines.
def _closed(*pts):
    return list(pts) + [pts[0]]


_T_BODY = _closed((.32, 0), (.1, .08), (0, .32), (.2, .4), (.25, .3), (.25, 1), (.75, 1), (.75, .3), (.8, .4),
                  (1, .32), (.9, .08), (.68, 0), (.6, .07), (.4, .07))
_LONG_SLEEVES = _closed((.32, 0), (.12, .05), (0, .88), (.13, .9), (.22, .32), (.22, 1), (.78, 1), (.78, .32),
                        (.87, .9), (1, .88), (.88, .05), (.68, 0), (.6, .07), (.4, .07))
_NECK = [(.32, 0), (.4, .1), (.6, .1), (.68, 0)]
_COLLAR_V = [(.36, 0), (.5, .18), (.64, 0)]
SCRATCH_TEMPLATES = {
    0: [(1.0, [_T_BODY, _NECK]),  # T-shirt: a T
        (0.8, [_closed((.25, 0), (.35, 0), (.38, .15), (.62, .15), (.65, 0), (.75, 0), (.78, .3), (.85, 1), (.15, 1),
                       (.22, .3))])],  # a top with straps
    1: [(0.55, [_closed((.1, 0), (.9, 0), (1, 1), (.62, 1), (.5, .3), (.38, 1), (0, 1)), [(.1, .06), (.9, .06)]]),
        (0.5, [_closed((.15, 0), (.85, 0), (.9, 1), (.58, 1), (.5, .25), (.42, 1), (.1, 1))])],
    2: [(1.0, [_LONG_SLEEVES, _NECK]),  # pullover: long sleeves, no opening
        (1.0, [_LONG_SLEEVES, _NECK, [(.22, .93), (.78, .93)], [(0, .8), (.13, .82)], [(.87, .82), (1, .8)]])],
    3: [(0.6, [_closed((.3, 0), (.38, .05), (.62, .05), (.7, 0), (.72, .35), (1, 1), (0, 1), (.28, .35)),
               [(.28, .35), (.72, .35)]]),
        (0.55, [_closed((.35, 0), (.65, 0), (.68, .3), (.9, 1), (.1, 1), (.32, .3))])],
    4: [(0.85, [_LONG_SLEEVES, _COLLAR_V, [(.5, .18), (.5, 1)]]),  # coat: front opening
        (0.8, [_LONG_SLEEVES, _COLLAR_V, [(.5, .18), (.5, 1)], [(.45, .35)], [(.45, .55)], [(.45, .75)],
               [(.28, .65), (.4, .65)], [(.6, .65), (.72, .65)]])],  # buttons and pockets
    5: [(2.2, [_closed((0, .8), (.7, .8), (.85, .55), (1, .5), (1, 1), (0, 1)), [(.15, .8), (.3, .35), (.45, .8)],
               [(.5, .8), (.65, .3), (.8, .55)]]),  # a heel with straps
        (2.6, [_closed((0, .75), (1, .7), (1, 1), (0, 1)), [(.1, .75), (.3, .3), (.5, .72)],
               [(.45, .72), (.7, .25), (.9, .7)]])],  # flat, strappy
    6: [(1.0, [_T_BODY, _COLLAR_V, [(.5, .18), (.5, 1)], [(.53, .35)], [(.53, .55)], [(.53, .75)]]),
        (0.9, [_LONG_SLEEVES, _COLLAR_V, [(.5, .18), (.5, 1)], [(.53, .35)], [(.53, .55)], [(.53, .75)]])],
    7: [(2.4, [_closed((0, .55), (.3, .4), (.5, .1), (.8, 0), (1, .1), (1, .85), (0, .85)), [(0, .85), (1, .85)],
               [(.45, .25), (.55, .35)], [(.52, .17), (.62, .27)], [(.59, .1), (.69, .2)]]),  # sneaker: low, laces
        (2.8, [_closed((0, .6), (.4, .35), (.55, .05), (.9, 0), (1, .2), (1, 1), (0, 1)), [(.02, .8), (1, .8)]])],
    8: [(1.1, [_closed((0, .35), (1, .35), (1, 1), (0, 1)), [(.3, .35), (.35, 0), (.65, 0), (.7, .35)]]),  # handle
        (1.3, [_closed((.05, .4), (.95, .4), (1, 1), (0, 1)), [(.25, .4), (.5, 0), (.75, .4)], [(.05, .55), (.95, .55)]])],
    9: [(1.0, [_closed((.45, 0), (.95, 0), (.95, .85), (.85, 1), (0, 1), (0, .78), (.12, .62), (.45, .52)),
               [(0, .88), (.95, .88)]]),  # ankle boot: a tall shaft
        (0.9, [_closed((.4, 0), (.9, 0), (1, 1), (0, 1), (0, .7), (.4, .55)), [(0, .85), (1, .85)],
               [(.45, .2), (.6, .25)], [(.45, .35), (.6, .4)]])],
}


def _hand_drawn(points, rng, wobble):
    """Resample a polyline densely and bend it with smooth noise, as a hand draws."""
    pts = np.asarray(points, float)
    if len(pts) < 2:
        return pts
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    t = np.concatenate([[0], np.cumsum(seg)])
    n = max(2, int(t[-1] / 0.02))
    s = np.linspace(0, t[-1], n)
    dense = np.stack([np.interp(s, t, pts[:, 0]), np.interp(s, t, pts[:, 1])], 1)
    noise = ndimage.gaussian_filter1d(rng.normal(0, wobble, dense.shape), sigma=4, axis=0, mode="nearest") * 3
    return dense + noise


def as_scratch_drawing(label, rng, canvas=400, templates=None):
    """RGBA layer of garment `label` drawn from memory: a template with jitter, random size, stroke and slant.

    `templates` ([(aspect, lines), ...]) replaces the class's own SCRATCH_TEMPLATES, to probe variants."""
    from PIL import ImageDraw

    templates = templates or SCRATCH_TEMPLATES[int(label)]
    aspect, lines = templates[rng.integers(len(templates))]
    aspect *= rng.uniform(0.85, 1.15)
    side = canvas * rng.uniform(0.4, 0.85)
    w, h = (side, side / aspect) if aspect >= 1 else (side * aspect, side)
    angle = np.deg2rad(rng.uniform(-7, 7))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mirror = label in (5, 7, 9) and rng.random() < 0.5  # shoes point either way
    x0, y0 = rng.uniform(10, canvas - w - 10), rng.uniform(10, canvas - h - 10)
    width = int(rng.integers(3, 13))
    layer = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for line in lines:
        pts = np.asarray(line, float)
        if len(pts) > 2 and np.allclose(pts[0], pts[-1]) and rng.random() < 0.3:
            pts = pts[:-1]  # not quite closed
        pts = pts + rng.normal(0, 0.025, pts.shape)  # proportions as remembered
        if mirror:
            pts[:, 0] = 1 - pts[:, 0]
        pts = _hand_drawn(pts, rng, 0.004) if len(pts) > 1 else pts
        xy = ((pts - 0.5) * [w, h]) @ rot.T + [x0 + w / 2, y0 + h / 2]
        if len(xy) == 1:
            r = max(2.0, width * 0.6)
            draw.ellipse([xy[0, 0] - r, xy[0, 1] - r, xy[0, 0] + r, xy[0, 1] + r], fill=(0, 0, 0, 255))
        else:
            draw.line([tuple(p) for p in xy], fill=(0, 0, 0, 255), width=width, joint="curve")
    return layer


def run(classifier, images, labels, rng, progress=True):
    from tqdm import tqdm

    sets = {"clean": lambda x: x,
            "recentred": center_28,  # what the pipeline's trim and re-centring alone cost
            "upload": lambda x: prepare_upload(as_photo(x, rng)),
            "outline": lambda x: prepare_sketch(as_drawing(x, rng)),
            "filled": lambda x: prepare_sketch(as_drawing(x, rng, filled=True))}
    results = {}
    for name, make in sets.items():
        batch = np.stack([make(x) for x in tqdm(images, desc=name, disable=not progress, leave=False)])
        m = metrics(classifier.predict(batch), labels)
        results[name] = {"top1": m["accuracy"], "top3": m["top3"]}
    # drawn from memory: one per test label, so the classes are as balanced as the test images
    batch = np.stack([prepare_sketch(as_scratch_drawing(c, rng)) for c in tqdm(labels, desc="scratch", disable=not progress, leave=False)])
    m = metrics(classifier.predict(batch), labels)
    results["scratch"] = {"top1": m["accuracy"], "top3": m["top3"], "per_class": m["per_class"]}
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
    p.add_argument("--real", metavar="DIR", help="measure on a folder of real photos and doodles (nin.realworld) instead")
    p.add_argument("--sheet", default="realworld_sheet.png", help="with --real: contact sheet to write")
    p.add_argument("--runtime", help="with --real: runtime (default: the app's, int8 where its export is current)")
    args = p.parse_args(argv)
    if args.real:
        return main_real(args)
    x, y = load_split("test")
    idx = np.linspace(0, len(x) - 1, args.n).astype(int)
    r = run(Classifier(args.weights), x[idx].astype(np.float32) / 255.0, y[idx].astype(int), np.random.default_rng(args.seed))
    print(f"{'set':<10}{'top-1':>8}{'top-3':>8}")
    for name, v in r.items():
        if isinstance(v, dict):  # every set run() measured, in its order
            print(f"{name:<10}{v['top1']:>8.3f}{v['top3']:>8.3f}")
    print("drawn from memory, per class: " + ", ".join(f"{c} {a:.2f}" for c, a in r["scratch"]["per_class"].items()))
    print(f"uploads keep {r['upload_vs_clean']:.1%} of clean top-1")
    print(json.dumps({"n": args.n, "weights": args.weights, **r}))


def main_real(args):
    from nin import realworld
    from nin.inference import app_classifier

    classifier = app_classifier(args.weights, args.runtime)  # the app's own choice of runtime
    r = realworld.evaluate_folder(classifier, args.real)
    if not r:
        raise SystemExit(f"no labelled images found under {args.real}")
    print(realworld.report(r))
    print(f"contact sheet: {realworld.contact_sheet(r, args.sheet)}")
    print(json.dumps({"weights": args.weights, "real": str(args.real),
                      **{k: {m: v[m] for m in ("n", "top1", "top3", "per_class")} for k, v in r.items()}}))


if __name__ == "__main__":
    main()
