"""What every event of the server shares, below the page (nin/app/demo.py) and the inside view
(nin/app/inside.py): a request's file or sketch turned into the 28x28 image through the app's pipeline,
with every failure ended as one sentence in a gr.Error; the sentences themselves; and output
pictures written once into Gradio's cache.

Gradio is imported only when an error is raised, so importing this module stays cheap.
"""
import base64
import binascii
import hashlib
import io
import logging
import os
import tempfile

import numpy as np

from nin.serve import websafety
from nin.pipeline.preprocess import PreprocessError, prepare

READ_FAILED = "This image could not be processed; try another PNG or JPEG."
MODEL_FAILED = "The classifier failed on this request; please try again."
log = logging.getLogger("nin.app.demo")  # the app's log, as before these helpers moved here


def error(message):
    """A gr.Error showing `message` to the user, without a traceback in the server's log."""
    import gradio as gr

    return gr.Error(message, print_exception=False)


def prepared(prepare, value):
    """prepare(value), with every failure turned into a gr.Error holding one sentence."""
    try:
        return prepare(value)
    except (PreprocessError, websafety.Refused) as e:
        raise error(str(e)) from None
    except Exception:  # a bug or an exotic file: log it for us, one sentence for the user
        log.exception("preprocessing failed")
        raise error(READ_FAILED) from None


def sketch_sources(sketch):
    """The sketchpad's value with every file checked to be one this app may read."""
    if not isinstance(sketch, dict):
        return websafety.local_path(sketch) if sketch is not None else None
    layers = sketch.get("layers") or []
    if not isinstance(layers, (list, tuple)):
        layers = [layers]
    return {"background": None,
            "layers": [websafety.local_path(l) for l in layers if l],
            "composite": websafety.local_path(sketch["composite"]) if sketch.get("composite") else None}


LIVE_PREFIX = "data:image/png;base64,"  # what the page's script sends (nin/live_drawing.js) ...
LIVE_OFF = "sketchpad"  # ... or this, when it cannot copy the strokes: the Sketchpad's own event answers
LIVE_MAX_CHARS = 2 * 1024 * 1024  # a 400x400 PNG of strokes is a few kB


def live_png(text):
    """The Draw tab's live drawing, a PNG data URL made by the page's script, -> its PNG bytes."""
    if not isinstance(text, str) or not text.startswith(LIVE_PREFIX) or len(text) > LIVE_MAX_CHARS:
        raise PreprocessError("The live drawing was not a PNG drawing; press Predict instead.")
    try:
        return base64.b64decode(text[len(LIVE_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise PreprocessError("The live drawing was damaged in transit; press Predict instead.") from None


def prepare_request(value, source):
    """What a request gave -> the pipeline's record (nin.pipeline.preprocess.Prepared), or gr.Error
    with one sentence. source: "upload" (a file Gradio saved: path checks first), "sketch" (the
    Sketchpad's value: every layer's path checked) or "live" (the page script's PNG data URL)."""
    readers = {"upload": lambda v: prepare(websafety.local_path(v) if v is not None else None),
               "sketch": lambda v: prepare(sketch_sources(v), "sketch"),
               "live": lambda v: prepare(live_png(v), "sketch")}
    return prepared(readers[source], value)


def output_file(rgb, compress_level=6):
    """An output image as a PNG in Gradio's cache, written once (temp file + rename) under a name
    taken from its content.

    Returning the array would let Gradio save it itself, and Gradio rewrites the file of equal
    images in place: under load, a browser fetching one request's picture while another request
    rewrites it gets a truncated file (seen as 'Too little data for declared Content-Length').
    A file inside the cache is served as it is, never copied or rewritten; Gradio's delete_cache
    deletes it `--delete-after` seconds after it was last handed out.
    """
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
