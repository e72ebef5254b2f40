"""What the Gradio app does when a person draws, uploads or opens a tab (app.py only wires it).

Inputs arrive raw (the app sets preprocess=False) so every file is decoded here, by our own
pipeline, and every bad input ends as one sentence in a gr.Error, never a traceback. What the
app refuses, limits and deletes is in nin/websafety.py.

Three answers to the same input: predict_* (the public API: the Label value only, at Gradio's own
floor), explain_* (the Label value, the two pictures and the garment check: docs/garment_score.md),
show_* (the page: also a one-line top guess, shown under the input on a phone, and the verdict line
above the Guesses when the input looks like none of the ten garments).
"""
import functools
import logging
import os
from pathlib import Path

# No network at run time: Gradio's usage analytics and version check are off unless asked for.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import numpy as np

from nin import websafety
from nin.architecture import layer_rows
from nin.data import CLASS_NAMES
from nin.inference import APP_RUNTIME, BatchingClassifier, Classifier, cam_overlay, model_view, top_k
from nin.preprocess import PreprocessError, prepare_sketch, prepare_sketch_extent, prepare_upload, prepare_upload_kind
from nin.weights import DEFAULT_WEIGHTS, ROOT, WeightsError, available_weights, metadata_path, read_metadata

DEFAULT_TOP_K = 3
log = logging.getLogger("nin.demo")
websafety.refuse_downloads()
websafety.make_delete_cache_robust()


def clamp_top_k(k):
    try:
        k = int(round(float(k)))
    except (TypeError, ValueError, OverflowError):  # None, text, NaN, infinity
        k = DEFAULT_TOP_K
    return min(max(k, 1), 10)


class Models:
    """Every shipped weights file, loaded and warmed once at start-up, each behind a batcher."""

    def __init__(self, weights=None, runtime=None, max_batch_size=16):
        self.paths = available_weights()
        if weights:
            label = read_metadata(weights).get("recipe", Path(weights).stem)
            self.paths = {f"{label} ({Path(weights).name})": str(weights)}
        elif not self.paths:
            self.paths = {"modern": str(DEFAULT_WEIGHTS)}  # load_net will say it is missing
        default = next((l for l, p in self.paths.items() if Path(p) == DEFAULT_WEIGHTS), None)
        self.default = default or next(iter(self.paths))
        self.models = {label: BatchingClassifier(self._classifier(path, runtime), max_batch_size)
                       for label, path in self.paths.items()}

    @staticmethod
    def _classifier(path, runtime):
        """The runtime asked for, or by default int8 where its export is up to date, else Keras."""
        if runtime or not Path(path).is_file():  # a missing file: let the keras loader say so
            return Classifier(path, runtime or "keras")
        try:
            return Classifier(path, APP_RUNTIME)
        except WeightsError as e:
            log.warning("%s Serving %s with the keras runtime.", e, Path(path).name)
            return Classifier(path, "keras")

    def get(self, label):
        return (self.models.get(label) if isinstance(label, str) else None) or self.models[self.default]


READ_FAILED = "This image could not be processed; try another PNG or JPEG."
MODEL_FAILED = "The classifier failed on this request; please try again."


def _prepared(prepare, value):
    """prepare(value), with every failure turned into a gr.Error holding one sentence."""
    try:
        return prepare(value)
    except (PreprocessError, websafety.Refused) as e:
        raise gr.Error(str(e), print_exception=False) from None
    except Exception:  # a bug or an exotic file: log it for us, one sentence for the user
        log.exception("preprocessing failed")
        raise gr.Error(READ_FAILED, print_exception=False) from None


def output_file(rgb, compress_level=6):
    """An output image as a PNG in Gradio's cache, written once (temp file + rename) under a name
    taken from its content.

    Returning the array would let Gradio save it itself, and Gradio rewrites the file of equal
    images in place: under load, a browser fetching one request's picture while another request
    rewrites it gets a truncated file (seen as 'Too little data for declared Content-Length').
    A file inside the cache is served as it is, never copied or rewritten; Gradio's delete_cache
    deletes it `--delete-after` seconds after it was last handed out.
    """
    import hashlib
    import io
    import tempfile

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgb, np.uint8)).save(buf, "PNG", compress_level=compress_level)
    data = buf.getvalue()
    folder = websafety.cache_dir() / websafety.OUTPUTS_FOLDER
    path = folder / f"{hashlib.sha256(data).hexdigest()[:40]}.png"
    try:
        os.utime(path)  # handed out again: delete_cache ages files by ctime, so restart its clock
        return str(path)
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return str(path)


def _upload28(image):
    return _prepared(lambda v: prepare_upload(websafety.local_path(v) if v is not None else None), image)


def _upload28_kind(image):
    """(28x28, "photo" or "drawing": the pipeline's path, for the garment check)."""
    return _prepared(lambda v: prepare_upload_kind(websafety.local_path(v) if v is not None else None), image)


def _sketch_sources(sketch):
    if not isinstance(sketch, dict):
        return websafety.local_path(sketch) if sketch is not None else None
    layers = sketch.get("layers") or []
    if not isinstance(layers, (list, tuple)):
        layers = [layers]
    return {"background": None,
            "layers": [websafety.local_path(l) for l in layers if l],
            "composite": websafety.local_path(sketch["composite"]) if sketch.get("composite") else None}


def _sketch28(sketch):
    return _prepared(lambda v: prepare_sketch(_sketch_sources(v)), sketch)


def _sketch28_extent(sketch):
    """(28x28, how big it was drawn on the canvas, for the garment check)."""
    return _prepared(lambda v: prepare_sketch_extent(_sketch_sources(v)), sketch)


def _forward(models, image28, weights_label):
    try:
        return models.get(weights_label).forward_one(image28)
    except Exception:
        log.exception("inference failed")
        raise gr.Error(MODEL_FAILED, print_exception=False) from None


def _label(models, image28, k, weights_label):
    probs, _ = _forward(models, image28, weights_label)
    return top_k(probs, clamp_top_k(k))


def _explained(models, image28, k, weights_label, kind="photo", extent=None):
    """(Label value, what the model sees, where it looked, the garment check) with the pictures as
    files in the cache."""
    probs, maps = _forward(models, image28, weights_label)
    try:
        cam = cam_overlay(image28, maps[..., int(np.argmax(probs))])
        return (top_k(probs, clamp_top_k(k)), output_file(model_view(image28)), output_file(cam),
                garment_value(models.get(weights_label).classifier, image28, maps, kind, extent))
    except Exception:
        log.exception("drawing the output pictures failed")
        raise gr.Error(MODEL_FAILED, print_exception=False) from None


def top_line(label_value, garment=None):
    """The top guess as one short line, e.g. 'Trouser 97%' (shown right under the input), or the
    verdict when the input looks like none of the ten garments."""
    if not label_value:
        return ""
    if verdict_line(garment):
        return verdict_line(garment)
    name, p = next(iter(label_value.items()))
    return f"**{name}** {p:.0%}"


def _shown(explained):
    label, seen, cam, garment = explained
    return label, top_line(label, garment), seen, cam, verdict_line(garment)


# --- the garment check (nin/garment.py): does the input look like any of the ten garments? ---

NOT_A_GARMENT = ("This doesn't look like any of the ten garments I know ("
                 + ", ".join(CLASS_NAMES) + "); the guesses below are what it resembles most.")


def garment_value(classifier, image28, class_maps, kind="photo", extent=None):
    """The API's garment check (docs/garment_score.md): score, threshold, verdict, temperature.

    Weights without a fitted check (no `python -m nin.calibrate` yet) give None for all but the
    temperature (1.0: the raw softmax)."""
    found = classifier.assess(image28, class_maps, kind, extent)
    if found is None:
        return {"garment_score": None, "threshold": None, "is_garment": None, "verdict": "unknown",
                "reason": "", "kind": kind, "temperature": round(classifier.temperature, 4)}
    return {"garment_score": round(found["score"], 4), "threshold": round(found["threshold"], 4),
            "is_garment": found["is_garment"], "verdict": "garment" if found["is_garment"] else "not a garment",
            "reason": found["reason"], "kind": found["kind"], "temperature": round(classifier.temperature, 4)}


def verdict_line(garment):
    """The line above the Guesses: the sentence when the check says 'not a garment', else nothing."""
    return NOT_A_GARMENT if garment and garment.get("is_garment") is False else ""


# The public API: the Label value only (no pictures to encode and download).
def predict_upload(models, image, k=DEFAULT_TOP_K, weights_label=None):
    """Label value {class: probability} of the top-k classes; gr.Error with one sentence on bad input."""
    return _label(models, _upload28(image), k, weights_label)


def predict_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None):
    return _label(models, _sketch28(sketch), k, weights_label)


# The pictures, for API users who want them: Label value, what the model sees, the class activation map.
def explain_upload(models, image, k=DEFAULT_TOP_K, weights_label=None):
    image28, kind = _upload28_kind(image)
    return _explained(models, image28, k, weights_label, kind)


def explain_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None):
    image28, extent = _sketch28_extent(sketch)
    return _explained(models, image28, k, weights_label, "drawing", extent)


# The page: the explained answer and its top line.
def show_upload(models, image, k=DEFAULT_TOP_K, weights_label=None):
    return _shown(explain_upload(models, image, k, weights_label))


def show_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None):
    return _shown(explain_sketch(models, sketch, k, weights_label))


SHOWN_NOTHING = (None, "", None, None, "")


def quietly(fn):
    """For live updates of the drawing (every stroke, every clear): an empty canvas just clears the outputs."""
    def run(*args):
        try:
            return fn(*args)
        except gr.Error:
            return SHOWN_NOTHING
    return run


def unless_empty(fn):
    """For live updates of the upload: no image clears the outputs; a bad file still says why."""
    def run(image, *rest):
        if image is None:
            return SHOWN_NOTHING
        return fn(image, *rest)
    return run


@functools.lru_cache(maxsize=1)
def _architecture_table():
    rows = layer_rows()  # computed without Keras: the server stays free of TensorFlow
    table = [[r["layer"], r["type"], r["kernel/stride"], r["output shape"], r["parameters"]] for r in rows]
    table.append(["total", "", "", "", sum(r["parameters"] for r in rows)])
    return tuple(tuple(r) for r in table)


def architecture_rows():
    """The per-layer table for the Architecture tab and /architecture (built once)."""
    return [list(r) for r in _architecture_table()]


ARCH_HEADERS = ["layer", "type", "kernel/stride", "output shape", "parameters"]


def model_card(models, weights_label=None):
    """(markdown, curves PNG, confusion PNG) for the weights in use."""
    label = weights_label if weights_label in models.paths else models.default
    path = Path(models.paths[label])
    meta = read_metadata(path)
    stem = path.name.replace(".weights.h5", "")
    curves, confusion = path.with_name(f"{stem}_curves.png"), path.with_name(f"{stem}_confusion.png")
    lines = [f"### {label}", f"`{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}`", ""]
    if meta:
        lines += [
            f"- **Recipe:** {meta.get('recipe')}, {meta.get('epochs')} epochs, {meta.get('image_size')} px, "
            f"{meta.get('n_train')} training images",
            f"- **Test accuracy:** top-1 {meta.get('test_accuracy', 0):.2%}, top-3 {meta.get('test_top3', 0):.2%} "
            f"on {meta.get('n_test')} Fashion-MNIST test images",
            f"- **Parameters:** {meta.get('params'):,}",
            f"- **Trained on:** {meta.get('hardware')}, {meta.get('train_seconds')} s, "
            f"{meta.get('images_per_s')} images/s ({meta.get('backend')} backend, Keras {meta.get('keras')}), {meta.get('date')}",
            "", "| class | accuracy |", "|---|---|",
        ]
        lines += [f"| {c} | {a:.1%} |" for c, a in meta.get("per_class", {}).items()]
        lines += calibration_summary(meta)
    else:
        lines.append(f"No metadata found beside the weights ({metadata_path(path).name}).")
    return ("\n".join(lines), str(curves) if curves.is_file() else None,
            str(confusion) if confusion.is_file() else None)


def calibration_summary(meta):
    """The model card's lines on the temperature and the garment check (`python -m nin.calibrate`)."""
    cal = meta.get("calibration")
    if not cal:
        return ["", "- **Calibration:** none yet: raw softmax percentages, no garment verdict."]
    out = ["", f"- **Calibration:** temperature {cal['temperature']} (fitted on the validation split); expected "
               f"calibration error on the test set {cal.get('test_ece_before')} before, {cal.get('test_ece_after')} after."]
    measured = (meta.get("garment_check") or {}).get("measured") or {}
    if "flagged_non_garments" in measured:
        out.append(f"- **Garment check:** flags {measured['flagged_non_garments']:.0%} of our non-garment photos and doodles "
                   f"and {measured['flagged_real_garments']:.0%} of our real garment photos and doodles "
                   "(docs/garment_score.md).")
    return out


def example_files():
    """Shipped example images: test-set garments as photos would show them, and photo-like ones."""
    folder = websafety.EXAMPLES_DIR
    return sorted(str(p) for p in folder.glob("*.png")) + sorted(str(p) for p in folder.glob("*.jpg"))
