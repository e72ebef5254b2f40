"""Would two forward passes help? Test-time pairs for drawings (the outline as drawn, the filled
outline, their mean) and photos (the image and its mirror), on a real-world folder and on 400 test
images turned into the imitation sets. Not part of the app: docs/pipeline.md says what it gave.

    python scripts/probe_test_time_pairs.py ../shared/realworld
"""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere
from nin.measure import realworld  # noqa: E402
from nin.pipeline import preprocess as P
from nin.pipeline.imitations import as_photo, as_scratch_drawing, as_sketch_layer  # noqa: E402
from nin.serve.inference import app_classifier, softmax  # noqa: E402
from nin.core.data import load_split  # noqa: E402
from nin.measure.evaluate import metrics  # noqa: E402

clf = app_classifier(ROOT / "weights" / "nin_modern.weights.h5")
T = clf.temperature
def logits(xs): return clf.raw(np.stack(xs))[0] / T

items = realworld.list_images(sys.argv[1])
dood = [(p, y) for k, p, y in items if k == "drawings"]
phot = [(p, y) for k, p, y in items if k == "photos"]
rng = np.random.default_rng(0)
x, yt = load_split("test"); idx = np.linspace(0, len(x)-1, 400).astype(int)
xt = x[idx].astype(np.float32)/255; yt = yt[idx].astype(int)

def variants(x28s):
    o = np.stack(x28s)
    f = np.stack([P.fill_drawing(a) for a in x28s])
    lo, lf = logits(list(o)), logits(list(f))
    lof, lff = logits(list(o[:, :, ::-1])), logits(list(f[:, :, ::-1]))
    sm = softmax
    return {"outline": sm(lo), "filled": sm(lf), "avg prob o+f": (sm(lo)+sm(lf))/2,
            "avg logit o+f": sm((lo+lf)/2), "o+flip": (sm(lo)+sm(lof))/2,
            "o+f+flips": (sm(lo)+sm(lf)+sm(lof)+sm(lff))/4, "max-conf": np.where((sm(lo).max(1) > sm(lf).max(1))[:, None], sm(lo), sm(lf))}

def show(name, x28s, labels):
    labels = np.asarray(labels)
    for v, pr in variants(x28s).items():
        m = metrics(pr, labels)
        print(f"{name:<22}{v:<16}{m['accuracy']:.3f} {m['top3']:.3f}", flush=True)

show("dev doodles drawn", [P.prepare_sketch(realworld.as_sketchpad_value(p)) for p, _ in dood], [y for _, y in dood])
show("imit outline", [P.prepare_sketch(as_sketch_layer(a, rng)) for a in xt], yt)
show("imit scratch", [P.prepare_sketch(as_scratch_drawing(c, rng)) for c in yt], yt)
# photos: flip TTA
xs = []
for p, _ in phot:
    try: xs.append(P.prepare_upload(p))
    except P.PreprocessError: xs.append(np.zeros((28, 28), np.float32))
o = np.stack(xs); lo = logits(list(o)); lf = logits(list(o[:, :, ::-1]))
yp = np.array([y for _, y in phot])
for v, pr in {"photo": softmax(lo), "photo+flip": (softmax(lo)+softmax(lf))/2}.items():
    m = metrics(pr, yp); print(f"{'dev photos':<22}{v:<16}{m['accuracy']:.3f} {m['top3']:.3f}")
xu = np.stack([P.prepare_upload(as_photo(a, rng)) for a in xt]); lo = logits(list(xu)); lf = logits(list(xu[:, :, ::-1]))
for v, pr in {"upload": softmax(lo), "upload+flip": (softmax(lo)+softmax(lf))/2}.items():
    m = metrics(pr, yt); print(f"{'imit uploads':<22}{v:<16}{m['accuracy']:.3f} {m['top3']:.3f}")
lo = logits(list(xt)); lf = logits(list(xt[:, :, ::-1]))
for v, pr in {"clean": softmax(lo), "clean+flip": (softmax(lo)+softmax(lf))/2}.items():
    m = metrics(pr, yt); print(f"{'test clean':<22}{v:<16}{m['accuracy']:.3f} {m['top3']:.3f}")
