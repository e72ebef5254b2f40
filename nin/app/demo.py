"""What the Gradio app does when a person draws, uploads or opens a tab (app.py only wires it).

Inputs arrive raw (the app sets preprocess=False) so every file is decoded by our own
pipeline (nin/serve/serving.py), and every bad input ends as one sentence in a gr.Error, never a traceback. What the
app refuses, limits and deletes is in nin/serve/websafety.py.

Three answers to the same input: predict_* (the public API: the Label value only, at Gradio's own
floor), explain_* (the Label value, the two pictures and the garment check: docs/garment_score.md),
show_* (the page: also a one-line top guess, shown under the input on a phone, and the verdict line
above the Guesses when the input looks like none of the ten garments).
"""
import concurrent.futures
import functools
import inspect
import logging
import os
from pathlib import Path

# No network at run time: Gradio's usage analytics and version check are off unless asked for.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import numpy as np

from nin.app import i18n

from nin.serve import websafety
from nin.core.architecture import layer_rows
from nin.serve.inference import BatchingClassifier, app_classifier, cam_overlay, model_view, top_k
from nin.serve.serving import LIVE_OFF, LIVE_PREFIX, MODEL_FAILED, READ_FAILED, output_file, prepare_request  # noqa: F401
from nin.core.weights import (DEFAULT_WEIGHTS, MODERN_WEIGHTS, ROOT, WEIGHTS_DIR, WORLD_WEIGHTS, available_weights,
                         default_weights, metadata_path, read_metadata)

DEFAULT_TOP_K = 3
log = logging.getLogger("nin.app.demo")
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

    def __init__(self, weights=None, runtime=None, max_batch_size=16, weights_dir=None):
        folder = Path(weights_dir or WEIGHTS_DIR)
        self.paths = available_weights(folder)
        if weights:
            label = read_metadata(weights).get("recipe", Path(weights).stem)
            self.paths = {f"{label} ({Path(weights).name})": str(weights)}
        elif not self.paths:
            self.paths = {"modern": str(folder / DEFAULT_WEIGHTS.name)}  # load_net will say it is missing
        # the menu opens on the folder's default: its world file where that won (nin.ship.compare), else modern
        chosen = default_weights(folder / WORLD_WEIGHTS.name, folder / MODERN_WEIGHTS.name)
        default = next((l for l, p in self.paths.items() if Path(p).name == chosen.name), None)
        self.default = default or next(iter(self.paths))
        self.models = {label: BatchingClassifier(app_classifier(path, runtime), max_batch_size)
                       for label, path in self.paths.items()}

    def get(self, label):
        return (self.models.get(label) if isinstance(label, str) else None) or self.models[self.default]


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


def top_line(label_value, verdict=""):
    """The top guess as one short line, e.g. 'Trouser 97%' (shown right under the input; the class name
    as the Label value has it), or the verdict when the input looks like none of the ten garments."""
    if not label_value:
        return ""
    if verdict:
        return verdict
    name, p = next(iter(label_value.items()))
    return f"**{name}** {p:.0%}"


def _shown(explained, lang=i18n.EN):
    label, seen, cam, garment = explained
    label = i18n.label(label, lang)
    verdict = verdict_line(garment, lang)
    return label, top_line(label, verdict), seen, cam, verdict


# --- the garment check (nin/serve/garment.py): does the input look like any of the ten garments? ---

NOT_A_GARMENT = i18n.NOT_A_GARMENT[i18n.EN]


def garment_value(classifier, image28, class_maps, kind="photo", extent=None):
    """The API's garment check (docs/garment_score.md): score, threshold, verdict, temperature.

    Weights without a fitted check (no `python -m nin.ship.calibrate` yet) give None for all but the
    temperature (1.0: the raw softmax)."""
    found = classifier.assess(image28, class_maps, kind, extent)
    if found is None:
        return {"garment_score": None, "threshold": None, "is_garment": None, "verdict": "unknown",
                "reason": "", "kind": kind, "temperature": round(classifier.temperature, 4)}
    return {"garment_score": round(found["score"], 4), "threshold": round(found["threshold"], 4),
            "is_garment": found["is_garment"], "verdict": "garment" if found["is_garment"] else "not a garment",
            "reason": found["reason"], "kind": found["kind"], "temperature": round(classifier.temperature, 4)}


def verdict_line(garment, lang=i18n.EN):
    """The line above the Guesses: the sentence when the check says 'not a garment', else nothing."""
    return i18n.NOT_A_GARMENT[lang] if garment and garment.get("is_garment") is False else ""


# The public API: the Label value only (no pictures to encode and download).
def predict_upload(models, image, k=DEFAULT_TOP_K, weights_label=None):
    """Label value {class: probability} of the top-k classes; gr.Error with one sentence on bad input."""
    return _label(models, prepare_request(image, "upload").image, k, weights_label)


def predict_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None):
    return _label(models, prepare_request(sketch, "sketch").image, k, weights_label)


# The pictures, for API users who want them: Label value, what the model sees, the class activation map.
def explain_upload(models, image, k=DEFAULT_TOP_K, weights_label=None):
    given = prepare_request(image, "upload")
    return _explained(models, given.image, k, weights_label, given.path)


def explain_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None):
    given = prepare_request(sketch, "sketch")
    return _explained(models, given.image, k, weights_label, "drawing", given.extent)


# The page: the explained answer and its top line, in the page's language (nin/app/i18n.py).
def show_upload(models, image, k=DEFAULT_TOP_K, weights_label=None, request: gr.Request = None):
    """The page's answer to an upload, and what the pipeline kept of the photo (the rest faded)."""
    lang = i18n.page_language(request)
    with i18n.errors_in(lang):
        given = prepare_request(image, "upload")
        label, top, seen, cam, verdict = _shown(_explained(models, given.image, k, weights_label, given.path), lang)
        return label, top, seen, cam, output_file(_small(given.kept)), verdict


def _small(rgb, side=320):
    from PIL import Image

    img = Image.fromarray(rgb)
    img.thumbnail((side, side))
    return np.asarray(img)


def show_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None, request: gr.Request = None):
    lang = i18n.page_language(request)
    with i18n.errors_in(lang):
        return _shown(explain_sketch(models, sketch, k, weights_label), lang)


def _drawing_shown(models, image28, extent, k, weights_label, lang):
    """The Draw tab's outputs for a drawing already through the pipeline."""
    with i18n.errors_in(lang):
        return _shown(_explained(models, image28, k, weights_label, "drawing", extent), lang)


def _answer_and_remember(models, source, value, k, weights_label, last, request):
    """(the Draw tab's outputs, the inside view's image, the drawing) with the pipeline run once:
    the drawing is remembered for the inside view and for another top-k or weights (see
    inside.remember_drawing). A cleared canvas or a bad value clears the answer, keeps the inside
    view's image before and forgets the drawing."""
    from nin.app.inside import remember_drawing

    lang = i18n.page_language(request)
    try:
        with i18n.errors_in(lang):
            given = prepare_request(value, source)
        shown = _drawing_shown(models, given.image, given.extent, k, weights_label, lang)
    except gr.Error:
        return (*SHOWN_NOTHING, last, None)
    drawn = remember_drawing(given.image, given.extent)
    return (*shown, drawn, drawn)


def show_live(models, drawing, k=DEFAULT_TOP_K, weights_label=None, last=None, request: gr.Request = None):
    """The Draw tab's answer after every stroke: the page's script sends the strokes as drawn
    (nin/live_drawing.js), a second before the Sketchpad's own value arrives; the drawing is
    remembered with it. '' (a cleared canvas) clears the answer and forgets the drawing; LIVE_OFF
    (strokes it cannot copy, such as the eraser's) leaves both to the Sketchpad's event."""
    if drawing == LIVE_OFF:
        return tuple(gr.skip() for _ in range(len(SHOWN_NOTHING) + 2))
    return _answer_and_remember(models, "live", drawing, k, weights_label, last, request)


def sketch_changed(models, sketch, k=DEFAULT_TOP_K, weights_label=None, live="", last=None, request: gr.Request = None):
    """The Sketchpad's change event: the answer for its value and the drawing remembered, unless the
    live drawing (show_live) already gave both for these very strokes: an answer that arrives a
    second later could be for an older drawing than the live one. The page's script sends LIVE_OFF
    instead when it cannot copy the strokes (eraser, brush size, pan). One event for both: each
    event with the Sketchpad as input uploads its layers again."""
    if isinstance(live, str) and live.startswith(LIVE_PREFIX):
        return tuple(gr.skip() for _ in range(len(SHOWN_NOTHING) + 2))
    return _answer_and_remember(models, "sketch", sketch, k, weights_label, last, request)


# The parts of show_again / weights_changed run side by side: their forward passes share a batch
# (BatchingClassifier) and the pictures are drawn while the other part waits for the network.
_AGAIN = concurrent.futures.ThreadPoolExecutor(max_workers=6, thread_name_prefix="again")


def _drawing_again(models, drawn, k, weights_label, lang):
    if not drawn:
        return SHOWN_NOTHING
    return _drawing_shown(models, np.asarray(drawn["image28"], np.float32), drawn["extent"], k, weights_label, lang)


def _upload_again(models, upload, k, weights_label, request):
    if upload is None:
        return UPLOAD_SHOWN_NOTHING
    try:
        return show_upload(models, upload, k, weights_label, request)
    except gr.Error:  # a bad file: what its own event showed stays
        return tuple(gr.skip() for _ in UPLOAD_SHOWN_NOTHING)


def show_again(models, drawn, upload, k=DEFAULT_TOP_K, weights_label=None, request: gr.Request = None):
    """The Draw and Upload tabs' answers again, for another top-k or other weights, in one event:
    the drawing as remembered (inside.remember_drawing: no upload of the Sketchpad's layers, no pipeline)
    and the uploaded file through the pipeline. A bad upload keeps what its own event showed."""
    drawing = _AGAIN.submit(_drawing_again, models, drawn, k, weights_label, i18n.page_language(request))
    uploaded = _upload_again(models, upload, k, weights_label, request)
    return (*drawing.result(), *uploaded)


def weights_changed(models, views, drawn, upload, k=DEFAULT_TOP_K, weights_label=None, last=None,
                    request: gr.Request = None):
    """Every tab that depends on the weights, in one event (one request: Gradio's page runs the
    events of one trigger one after another): both tabs' answers, the model card and the inside view."""
    from nin.app.inside import inside_refresh

    gallery = _AGAIN.submit(inside_refresh, views, last, weights_label, request)
    return (*show_again(models, drawn, upload, k, weights_label, request), *model_card(models, weights_label, request),
            gallery.result())


def bind(fn, *args):
    """functools.partial(fn, *args) whose remaining parameters Gradio can still read: the page's
    handlers take a `request: gr.Request` (its language), which Gradio fills in only when it sees
    the annotation (it sees none through a functools.partial)."""
    bound = functools.partial(fn, *args)

    @functools.wraps(fn)
    def run(*rest):
        return bound(*rest)
    run.__signature__ = inspect.signature(bound)
    return run


SHOWN_NOTHING = (None, "", None, None, "")
UPLOAD_SHOWN_NOTHING = SHOWN_NOTHING[:4] + (None, "")  # and no "what the pipeline kept"


def unless_empty(fn):
    """For live updates of the upload: no image clears the outputs; a bad file still says why."""
    @functools.wraps(fn)
    def run(image, *rest):
        if image is None:
            return UPLOAD_SHOWN_NOTHING
        return fn(image, *rest)
    return run


@functools.lru_cache(maxsize=1)
def _architecture_table():
    rows = layer_rows()  # computed without Keras: the server stays free of TensorFlow
    table = [[r["layer"], r["type"], r["kernel/stride"], r["output shape"], r["parameters"]] for r in rows]
    table.append(["total", "", "", "", sum(r["parameters"] for r in rows)])
    return tuple(tuple(r) for r in table)


def architecture_rows(request: gr.Request = None):
    """The per-layer table for the Architecture tab and /architecture (built once); for a page in
    简体中文 with its headers and layer types in Chinese (the API: English, as before)."""
    lang = i18n.page_language(request)
    if lang == i18n.EN:
        return [list(r) for r in _architecture_table()]
    rows = [[r[0] if r[0] != "total" else i18n.tr("total", lang), i18n.tr(r[1], lang), *r[2:]]
            for r in _architecture_table()]
    return gr.Dataframe(value=rows, headers=[i18n.tr(h, lang) for h in ARCH_HEADERS])


ARCH_HEADERS = ["layer", "type", "kernel/stride", "output shape", "parameters"]


def model_card(models, weights_label=None, request: gr.Request = None):
    """(markdown, curves PNG, confusion PNG) for the weights in use, in the page's language."""
    lang = i18n.page_language(request)
    say = lambda english, **fmt: i18n.tr(english, lang).format(**fmt)  # noqa: E731
    label = weights_label if weights_label in models.paths else models.default
    path = Path(models.paths[label])
    meta = read_metadata(path)
    stem = path.name.replace(".weights.h5", "")
    curves, confusion = path.with_name(f"{stem}_curves.png"), path.with_name(f"{stem}_confusion.png")
    lines = [f"### {label}", f"`{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}`", ""]
    lines += recipes_compared(models, lang)
    if meta:
        lines += [
            say("- **Recipe:** {recipe}, {epochs} epochs, {size} px, {n_train} training images",
                recipe=meta.get('recipe'), epochs=meta.get('epochs'), size=meta.get('image_size'), n_train=meta.get('n_train')),
            say("- **Test accuracy:** top-1 {top1}, top-3 {top3} on {n_test} Fashion-MNIST test images",
                top1=f"{meta.get('test_accuracy', 0):.2%}", top3=f"{meta.get('test_top3', 0):.2%}", n_test=meta.get('n_test')),
            say("- **Parameters:** {params}", params=f"{meta.get('params'):,}"),
            say("- **Trained on:** {hardware}, {seconds} s, {rate} images/s ({backend} backend, Keras {keras}), {date}",
                hardware=meta.get('hardware'), seconds=meta.get('train_seconds'), rate=meta.get('images_per_s'),
                backend=meta.get('backend'), keras=meta.get('keras'), date=meta.get('date')),
            "", say("| class | accuracy |"), "|---|---|",
        ]
        lines += [f"| {i18n.class_name(c, lang)} | {a:.1%} |" for c, a in meta.get("per_class", {}).items()]
        lines += calibration_summary(meta)
    else:
        lines.append(say("No metadata found beside the weights ({name}).", name=metadata_path(path).name))
    return ("\n".join(lines), str(curves) if curves.is_file() else None,
            str(confusion) if confusion.is_file() else None)


def recipes_compared(models, lang=i18n.EN):
    """One line on what differs between the served files' recipes and what each reached (issue 22);
    nothing when the app serves a single recipe."""
    reached = {}
    for path in models.paths.values():
        meta = read_metadata(path)
        if meta.get("recipe") in i18n.RECIPES and meta.get("test_accuracy"):
            reached.setdefault(meta["recipe"], meta["test_accuracy"])
    if len(reached) < 2:
        return []
    parts = [i18n.RECIPES[r][lang].format(acc=f"{a:.2%}") for r, a in sorted(reached.items(), key=lambda ra: -ra[1])]
    return [i18n.tr("**The same network, two recipes:**", lang) + " " + "; ".join(parts) + ".", ""]


def calibration_summary(meta):
    """The model card's lines on the temperature and the garment check (`python -m nin.ship.calibrate`)."""
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
