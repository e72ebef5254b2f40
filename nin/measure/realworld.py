"""How the app fares on images other people made: a folder of real photos and doodles.

    python -m nin.measure.robustness --real ../shared/realworld [--sheet realworld_sheet.png]

DIR is laid out like shared/realworld: a manifest.json ([{"file", "label_index"}, ...]) or
class folders (photos/<class>/..., drawings/<class>/...; folder names as in CLASS_FOLDERS).
Every image goes through the app's own pipeline and runtime: photos as uploads, doodles both as
uploads and as Sketchpad values (the black lines as the drawn layer). Prints top-1/top-3 per set,
per class and a confusion table, and writes a contact sheet: each image, the 28x28 it became,
the guess.
"""
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nin.core.data import CLASS_NAMES
from nin.measure.evaluate import metrics
from nin.pipeline.preprocess import PreprocessError, open_image, prepare_sketch, prepare_upload

# folder names people use for the ten classes (shared/realworld's, and the class names themselves)
CLASS_FOLDERS = {"tshirt_top": 0, "t-shirt": 0, "tshirt": 0, "trouser": 1, "pants": 1, "pullover": 2, "sweater": 2,
                 "dress": 3, "coat": 4, "jacket": 4, "sandal": 5, "shirt": 6, "sneaker": 7, "shoe": 7, "bag": 8,
                 "ankle_boot": 9, "boot": 9}
KINDS = ("photos", "drawings")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}


def list_images(folder):
    """[(kind, path, label)] for every labelled image under folder (manifest first, else class folders)."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file():
        items = [(e["file"].split("/")[0], folder / e["file"], int(e["label_index"]))
                 for e in json.loads(manifest.read_text())]
        return [(k, p, y) for k, p, y in items if k in KINDS and p.is_file()]
    items = []
    for kind in KINDS:
        for class_dir in sorted((folder / kind).glob("*")):
            label = CLASS_FOLDERS.get(class_dir.name.lower())
            if label is None:
                label = next((i for i, n in enumerate(CLASS_NAMES) if n.lower() == class_dir.name.lower()), None)
            if label is None or not class_dir.is_dir():
                continue
            items += [(kind, p, label) for p in sorted(class_dir.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    return items


def as_sketchpad_value(path):
    """A doodle file (dark lines on a light page) as the Draw tab would send it: the lines as the layer's alpha."""
    grey = np.asarray(open_image(path).convert("L"), np.float32) / 255.0
    layer = np.zeros(grey.shape + (4,), np.uint8)
    layer[..., 3] = np.clip((1.0 - grey) * 255, 0, 255).astype(np.uint8)
    return {"background": None, "layers": [Image.fromarray(layer, "RGBA")], "composite": None}


def confusion_table(probs, labels):
    """Rows: true class, columns: guessed class (counts), as text."""
    pred = probs.argmax(1)
    short = [n.split("/")[0][:7] for n in CLASS_NAMES]
    lines = ["true \\ guess " + "".join(f"{s:>8}" for s in short)]
    for c in range(len(CLASS_NAMES)):
        if (labels == c).any():
            row = np.bincount(pred[labels == c], minlength=len(CLASS_NAMES))
            lines.append(f"{short[c]:<13}" + "".join(f"{v:>8}" for v in row))
    return "\n".join(lines)


def evaluate_folder(classifier, folder, progress=True):
    """{set name: {"top1", "top3", "per_class", "n", "rows": [(path, label, x28, probs)]}}."""
    from tqdm import tqdm

    items = list_images(folder)
    sets = {"photos": [(p, y, prepare_upload) for k, p, y in items if k == "photos"],
            "doodles as uploads": [(p, y, prepare_upload) for k, p, y in items if k == "drawings"],
            "doodles drawn": [(p, y, lambda p: prepare_sketch(as_sketchpad_value(p))) for k, p, y in items
                              if k == "drawings"]}
    results = {}
    for name, rows in sets.items():
        if not rows:
            continue
        xs, kept = [], []
        for path, label, prepare in tqdm(rows, desc=name, disable=not progress, leave=False):
            try:
                xs.append(prepare(path))
            except PreprocessError:  # counted wrong, shown blank on the sheet
                xs.append(np.zeros((28, 28), np.float32))
            kept.append((path, label))
        probs = classifier.predict(np.stack(xs))
        labels = np.array([y for _, y in kept])
        m = metrics(probs, labels)
        results[name] = {"top1": m["accuracy"], "top3": m["top3"], "n": len(kept),
                         "per_class": {n: v for n, v in m["per_class"].items() if (labels == CLASS_NAMES.index(n)).any()},
                         "confusion": confusion_table(probs, labels),
                         "rows": [(p, y, x, pr) for (p, y), x, pr in zip(kept, xs, probs)]}
    return results


def contact_sheet(results, path, thumb=96, columns=6):
    """PNG: per image, the original, the 28x28 it became (enlarged), the true class and the guess."""
    rows = [(name, *r) for name, res in results.items() for r in res["rows"]]
    cell_w, cell_h = 2 * thumb + 8, thumb + 30
    n_rows = -(-len(rows) // columns)
    sheet = Image.new("RGB", (columns * cell_w, n_rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (name, src, label, x28, probs) in enumerate(rows):
        x0, y0 = (i % columns) * cell_w, (i // columns) * cell_h
        try:
            img = open_image(src).convert("RGB")
            img.thumbnail((thumb, thumb))
        except PreprocessError:
            img = Image.new("RGB", (thumb, thumb), "grey")
        sheet.paste(img, (x0 + (thumb - img.width) // 2, y0 + (thumb - img.height) // 2))
        seen = Image.fromarray((x28 * 255).astype(np.uint8)).resize((thumb, thumb), Image.Resampling.NEAREST)
        sheet.paste(seen.convert("RGB"), (x0 + thumb + 4, y0))
        guess = int(np.argmax(probs))
        ok = guess == label
        tag = {"photos": "P", "doodles as uploads": "U", "doodles drawn": "D"}.get(name, "?")
        draw.text((x0 + 2, y0 + thumb + 2), f"{tag} {CLASS_NAMES[label][:11]}", fill="black")
        draw.text((x0 + 2, y0 + thumb + 15), f"-> {CLASS_NAMES[guess][:11]} {probs[guess]:.0%}",
                  fill=(0, 128, 0) if ok else (200, 0, 0))
    sheet.save(path)
    return path


def report(results):
    """The printed table: per set top-1/top-3, per class, and the confusion table."""
    out = [f"{'set':<20}{'n':>5}{'top-1':>8}{'top-3':>8}"]
    for name, r in results.items():
        out.append(f"{name:<20}{r['n']:>5}{r['top1']:>8.3f}{r['top3']:>8.3f}")
    for name, r in results.items():
        out.append(f"\n{name}, per class: " + ", ".join(f"{c} {a:.2f}" for c, a in r["per_class"].items()))
        out.append(r["confusion"])
    return "\n".join(out)
