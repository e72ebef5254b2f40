"""What the Gradio app does when a person draws, uploads or opens a tab (app.py only wires it).

Inputs arrive raw (the app sets preprocess=False) so every file is decoded here, by our own
pipeline, and every bad input ends as one sentence in a gr.Error, never a traceback.
"""
import functools
import logging
import os
import tempfile
from pathlib import Path

# No network at run time: Gradio's usage analytics and version check are off unless asked for.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import numpy as np

from nin.inference import APP_RUNTIME, BatchingClassifier, Classifier, cam_overlay, model_view, top_k
from nin.preprocess import MAX_UPLOAD_BYTES, PreprocessError, prepare_sketch, prepare_upload
from nin.weights import DEFAULT_WEIGHTS, ROOT, WeightsError, available_weights, metadata_path, read_metadata

EXAMPLES_DIR = ROOT / "examples"
DEFAULT_TOP_K = 3
URL_REFUSED = "Images must be uploaded, not given as a URL."
log = logging.getLogger("nin.demo")


def _refuse_downloads():
    """No network at run time. Gradio fetches URLs in two places: a file input given as a URL is
    downloaded before our code runs, and GET /gradio_api/file=<http(s) URL> streams that URL back
    (public hosts only). Both are refused: the first with the same sentence as a URL reaching us."""
    from fastapi import HTTPException
    from gradio import processing_utils, routes

    async def refuse_async(url, *args, **kwargs):
        raise gr.Error(URL_REFUSED, print_exception=False)

    def refuse(url, *args, **kwargs):
        raise gr.Error(URL_REFUSED, print_exception=False)

    async def refuse_route(url, *args, **kwargs):
        raise HTTPException(403, "This app does not fetch remote files.")

    for module, name, stub in ((processing_utils, "async_ssrf_protected_download", refuse_async),
                               (processing_utils, "ssrf_protected_download", refuse),
                               (processing_utils, "save_url_to_cache", refuse),
                               (routes, "secure_url_stream_response", refuse_route)):
        if not hasattr(module, name):  # a Gradio upgrade moved it: tests/test_reliability.py will tell
            log.warning("cannot disable %s.%s; remote files may be fetched", module.__name__, name)
        setattr(module, name, stub)


_refuse_downloads()


def allowed_roots():
    """Folders the app may read user files from: Gradio's upload cache and our examples."""
    cache = os.environ.get("GRADIO_TEMP_DIR") or str(Path(tempfile.gettempdir()) / "gradio")
    return [Path(cache).resolve(), EXAMPLES_DIR.resolve()]


def _local_path(value):
    """The file path inside a raw Gradio file payload, refusing anything outside allowed_roots()."""
    path = value.get("path") if isinstance(value, dict) else value
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise PreprocessError("The input is not an uploaded file; upload an image.")
    if str(path).lower().startswith(("http://", "https://", "data:", "ftp://", "file:")):
        raise PreprocessError(URL_REFUSED)
    try:
        p = Path(path).resolve()  # follows symlinks and '..'
    except (OSError, ValueError, RuntimeError):
        raise PreprocessError("The input is not an uploaded file; upload an image.") from None
    if not any(p.is_relative_to(r) for r in allowed_roots()):
        raise PreprocessError("That file is not available to this app; upload it instead.")
    return str(p)


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
    except PreprocessError as e:
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
    A file inside the cache is served as it is, never copied or rewritten.
    """
    import hashlib
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgb, np.uint8)).save(buf, "PNG", compress_level=compress_level)
    data = buf.getvalue()
    folder = allowed_roots()[0] / "nin-outputs"
    path = folder / f"{hashlib.sha256(data).hexdigest()[:40]}.png"
    if not path.is_file():
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


def _outputs(models, image28, k, weights_label):
    try:
        probs, maps = models.get(weights_label).forward_one(image28)
        best = int(np.argmax(probs))
        return (top_k(probs, k), output_file(model_view(image28)),
                output_file(cam_overlay(image28, maps[..., best])))
    except Exception:
        log.exception("inference failed")
        raise gr.Error(MODEL_FAILED, print_exception=False) from None


def predict_upload(models, image, k=DEFAULT_TOP_K, weights_label=None):
    """Label value, what the model sees, class activation map; gr.Error with one sentence on bad input."""
    image28 = _prepared(lambda v: prepare_upload(_local_path(v) if v is not None else None), image)
    return _outputs(models, image28, clamp_top_k(k), weights_label)


def _sketch_sources(sketch):
    if not isinstance(sketch, dict):
        return _local_path(sketch) if sketch is not None else None
    layers = sketch.get("layers") or []
    if not isinstance(layers, (list, tuple)):
        layers = [layers]
    return {"background": None,
            "layers": [_local_path(l) for l in layers if l],
            "composite": _local_path(sketch["composite"]) if sketch.get("composite") else None}


def predict_sketch(models, sketch, k=DEFAULT_TOP_K, weights_label=None):
    image28 = _prepared(lambda v: prepare_sketch(_sketch_sources(v)), sketch)
    return _outputs(models, image28, clamp_top_k(k), weights_label)


def quietly(fn):
    """For live updates of the drawing (every stroke, every clear): an empty canvas just clears the outputs."""
    def run(*args):
        try:
            return fn(*args)
        except gr.Error:
            return None, None, None
    return run


def unless_empty(fn):
    """For live updates of the upload: no image clears the outputs; a bad file still says why."""
    def run(image, *rest):
        if image is None:
            return None, None, None
        return fn(image, *rest)
    return run


@functools.lru_cache(maxsize=1)
def _architecture_table():
    from nin.summary import layer_table

    rows = layer_table()
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
    else:
        lines.append(f"No metadata found beside the weights ({metadata_path(path).name}).")
    return ("\n".join(lines), str(curves) if curves.is_file() else None,
            str(confusion) if confusion.is_file() else None)


def example_files():
    """Shipped example images: test-set garments as photos would show them, and photo-like ones."""
    return sorted(str(p) for p in EXAMPLES_DIR.glob("*.png")) + sorted(str(p) for p in EXAMPLES_DIR.glob("*.jpg"))
