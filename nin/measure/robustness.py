"""How the pipeline fares on what people really bring, imitated from the test split only.

    python -m nin.measure.robustness [--weights PATH] [--n 1000] [--seed 0]
    python -m nin.measure.robustness --real ../shared/realworld [--sheet PNG]   # images other people made

Builds three evaluation sets from Fashion-MNIST test images and runs each through the same
pipeline as the app: photo-like uploads (dark garment on a light, tinted, larger canvas, off
centre, random size, JPEG/PNG, RGB/RGBA/palette/grey, some EXIF-rotated or transparent), drawn
outlines (the garment's contour as black strokes of random width, sometimes with gaps) and filled
drawings; and drawings made from memory, tracing no image at all (a few templates per class drawn
with jitter, slant, varied strokes and gaps). Prints top-1/top-3 against the clean 28x28 images; the last line is JSON.
"""
import argparse
import json

import numpy as np

from nin.measure.evaluate import metrics
from nin.pipeline.imitations import as_photo, as_scratch_drawing, as_sketch_layer
from nin.pipeline.preprocess import center_28, prepare_sketch, prepare_upload


def run(classifier, images, labels, rng, progress=True):
    from tqdm import tqdm

    sets = {"clean": lambda x: x,
            "recentred": center_28,  # what the pipeline's trim and re-centring alone cost
            "upload": lambda x: prepare_upload(as_photo(x, rng)),
            "outline": lambda x: prepare_sketch(as_sketch_layer(x, rng)),
            "filled": lambda x: prepare_sketch(as_sketch_layer(x, rng, filled=True))}
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
    from nin.core.data import load_split
    from nin.serve.inference import Classifier
    from nin.core.weights import DEFAULT_WEIGHTS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--n", type=int, default=1000, help="test images per set (evenly spaced over the test split)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--real", metavar="DIR", help="measure on a folder of real photos and doodles (nin.measure.realworld) instead")
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
    from nin.measure import realworld
    from nin.serve.inference import app_classifier

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
