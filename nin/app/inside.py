"""Inside the network: every layer's output for one image, as pictures captioned like `nin.measure.summary`.

One forward pass of a *layer model* gives every layer's output at once:
- the LiteRT float32 export `weights/<name>.layers.tflite` (written by `python -m nin.ship.export`
  beside the other LiteRT files, with the sha256 of its weights; runs without TensorFlow), or
- where that export is missing or stale, or the app runs Keras: a Keras model over every layer,
  called once through a compiled function (the reference).
The softmax bars are the Guesses' own probabilities (the app's runtime, int8 by default), so the
chart always shows what the Draw and Upload tabs show; the class maps and their means come from
the layer model (their means are its logits).
"""
import functools
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from nin.core.data import CLASS_NAMES
from nin.app.i18n import EN, UI, class_name, errors_in, page_language, tr
from nin.core.weights import WeightsError, up_to_date_export

LAYERS_FORMAT = "tflite-layers"  # nin.ship.export's name for the every-layer LiteRT file (.layers.tflite)
INPUT_STEP = "resize"  # the 28->224 resize in front of the seed's first layer
CLASS_MAPS = "nin_block_4"  # the last block: one 5x5 map per class
LOGITS = "flatten"  # the seed's last layer: (1, 10) logits
TOP_CHANNELS = 16
EXAMPLE = "0019_t-shirt-top.png"  # shown until the user draws or uploads something
log = logging.getLogger("nin.app.inside")


# --- the layer model: one forward pass, every layer's output ---

def layer_model(net, input_size=28):
    """Keras model: 28x28 image -> {step name: output} for the resize and every layer of `net`."""
    import keras

    from nin.core.model import IMAGE_SIZE

    inputs = keras.Input((input_size, input_size, 1), name="image")
    x = keras.layers.Resizing(IMAGE_SIZE, IMAGE_SIZE, interpolation="bilinear", name=INPUT_STEP)(inputs)
    outputs = {INPUT_STEP: x}
    for layer in net.layers:
        x = layer(x)
        outputs[layer.name] = x
    return keras.Model(inputs, outputs, name="nin_layers")


def layer_rows():
    """(layer, type, kernel/stride) of every layer in order, as `nin.measure.summary` names them (no Keras needed)."""
    from nin.core.architecture import layer_rows as rows

    return [{k: r[k] for k in ("layer", "type", "kernel/stride")} for r in rows()]


class LiteRTLayers:
    """x[1,28,28,1] -> {step: output} through weights/<name>.layers.tflite (XNNPACK, all cores)."""

    runtime = "LiteRT float32 (.layers.tflite)"

    def __init__(self, weights_path):
        from ai_edge_litert.interpreter import Interpreter

        from nin.core.weights import export_fix

        path, made_from = up_to_date_export(weights_path, LAYERS_FORMAT)  # WeightsError if missing or stale
        if not made_from.get("layers"):  # an export from before the captions were recorded in it
            raise WeightsError(f"{path} was not made from {weights_path} (stale export); "
                               f"{export_fix(weights_path, LAYERS_FORMAT)}.")
        self.rows = made_from["layers"]
        self._run = Interpreter(str(path), num_threads=os.cpu_count()).get_signature_runner()
        self._input = next(iter(self._run.get_input_details()))
        self._lock = threading.Lock()  # an interpreter is not thread-safe

    def __call__(self, x):
        with self._lock:
            return dict(self._run(**{self._input: np.ascontiguousarray(x, np.float32)}))


class KerasLayers:
    """The same through the Keras layer model, compiled once (the reference, and the fallback)."""

    runtime = "Keras compiled function"

    def __init__(self, net):
        from nin.serve.inference import compile_forward

        self.rows = layer_rows()
        self._forward = compile_forward(layer_model(net))

    def __call__(self, x):
        return {k: np.asarray(v) for k, v in self._forward(np.asarray(x, np.float32)).items()}


def layer_runner(classifier):
    """The layer model for a Classifier's weights: LiteRT where its export is up to date, unless
    the app runs Keras (then the Keras network already loaded is reused)."""
    if classifier.runtime != "keras":
        try:
            return LiteRTLayers(classifier.weights_path)
        except WeightsError as e:
            log.warning("%s The inside view uses Keras for %s.", e, Path(classifier.weights_path).name)
    from nin.core.weights import load_net

    return KerasLayers(getattr(classifier, "net", None) or load_net(classifier.weights_path))


def shape_text(array):
    """A shape as the seed and `nin.measure.summary` write it: (1, 54, 54, 96)."""
    return str(tuple(int(d) for d in np.shape(array)))


@dataclass
class View:
    """Every layer's output for one image, the Guesses' probabilities, and what to call them."""

    image28: np.ndarray
    source: str  # "your drawing", "your upload", or which example
    outputs: dict  # step name -> array with the batch axis
    rows: list  # (layer, type, kernel/stride) in the seed's order
    probs: np.ndarray  # the Guesses' probabilities (the app's runtime)
    guesses_runtime: str
    layers_runtime: str

    @property
    def logits(self):
        return np.asarray(self.outputs[LOGITS][0], np.float64)

    @property
    def class_maps(self):
        return np.asarray(self.outputs[CLASS_MAPS][0])

    @property
    def class_map_means(self):
        return self.class_maps.astype(np.float64).mean(axis=(0, 1))

    def pictures(self, lang=EN):
        """[(RGB uint8 picture, caption)]: the resize, every layer of the seed's table, softmax."""
        return render(self, lang)


class InsideViews:
    """One layer model per weights file of the app, loaded and warmed at start-up."""

    def __init__(self, models):
        self.models = models
        self.runners = {label: layer_runner(b.classifier) for label, b in models.models.items()}
        for label in self.runners:  # warm up: plan / trace, fonts and colour map before the first request
            render(self.view(np.zeros((28, 28), np.float32), "warm-up", label))

    def runtime(self):
        return ", ".join(sorted({r.runtime for r in self.runners.values()}))

    def view(self, image28, source, weights_label=None):
        label = weights_label if isinstance(weights_label, str) and weights_label in self.runners else self.models.default
        image28 = np.asarray(image28, np.float32)
        outputs = self.runners[label](image28.reshape(1, 28, 28, 1))
        batcher = self.models.get(label)
        probs, _ = batcher.forward_one(image28)  # the Guesses' own numbers, for the bar chart
        return View(image28, source, outputs, self.runners[label].rows, np.asarray(probs, np.float64),
                    batcher.classifier.runtime, self.runners[label].runtime)


# --- pictures (numpy + PIL: a whole view renders in tens of milliseconds) ---

WHITE, INK, MUTED, ACCENT = (255, 255, 255), (25, 25, 25), (105, 105, 105), (220, 60, 30)
PAD, GAP, LABEL_H = 12, 8, 16


@functools.lru_cache(maxsize=None)
def _font(size):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=8192)
def _text_mask(text, size):
    """text rendered once as a grey mask: labels ('ch 17', class names) repeat in every view, and
    FreeType rendering was most of a view's drawing time."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = _font(size).getbbox(text)
    mask = Image.new("L", (max(1, right), max(1, bottom)))
    ImageDraw.Draw(mask).text((0, 0), text, fill=255, font=_font(size))
    return mask


def _text(img, xy, text, size, fill):
    if text:
        mask = _text_mask(text, size)
        img.paste(fill, (int(xy[0]), int(xy[1]), int(xy[0]) + mask.width, int(xy[1]) + mask.height), mask)


@functools.lru_cache(maxsize=1)
def _lut():
    """magma as a 256-entry RGB table: dark = 0, bright = the layer's largest value."""
    import matplotlib

    return (matplotlib.colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def _colour(values, vmax):
    idx = np.clip(np.asarray(values, np.float32) / vmax * 255 if vmax > 0 else np.zeros(np.shape(values)), 0, 255)
    return _lut()[idx.astype(np.uint8)]  # [..., 3]: colour first, then _zoom (fewer lookups)


def _wrap(text, font, width):
    """Lines of at most `width` pixels, broken between words."""
    if font.getlength(text) <= width:
        return [text]
    lines = []
    for word in text.split(" "):
        if lines and font.getlength(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _canvas(width, height, title, subtitle):
    """A white picture with a title and a wrapped subtitle; returns (image, draw, top of the body)."""
    from PIL import Image, ImageDraw

    lines = _wrap(subtitle, _font(12), width - 2 * PAD)
    top = 28 + 16 * len(lines) + 6
    img = Image.new("RGB", (int(width), int(height) + top), WHITE)
    d = ImageDraw.Draw(img)
    _text(img, (PAD, 6), title, 15, INK)
    for i, line in enumerate(lines):
        _text(img, (PAD, 27 + 16 * i), line, 12, MUTED)
    return img, d, top


@functools.lru_cache(maxsize=4096)
def _fit(text, size, width):
    """text, shortened to fit `width` pixels."""
    while text and _font(size).getlength(text) > width:
        text = text[:-1]
    return text


def _tile_grid(tiles, labels, cols, title, subtitle, frame=None):
    """Equal-sized RGB tiles in a grid, each with a label above it (and, given a pair, one below)."""
    from PIL import Image

    th, tw = tiles[0].shape[:2]
    below = LABEL_H if isinstance(labels[0], tuple) else 0
    row_h = LABEL_H + th + below + GAP
    rows = -(-len(tiles) // cols)
    width = PAD * 2 + cols * tw + (cols - 1) * GAP
    img, d, top = _canvas(max(width, 430), rows * row_h + PAD, title, subtitle)
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        x = PAD + (i % cols) * (tw + GAP)
        y = top + (i // cols) * row_h
        top_label, bottom_label = label if below else (label, None)
        _text(img, (x, y), _fit(top_label, 12, tw), 12, INK)
        img.paste(Image.fromarray(tile), (x, y + LABEL_H))
        if bottom_label:
            _text(img, (x, y + LABEL_H + th + 2), _fit(bottom_label, 12, tw), 12, INK)
        if frame is not None and i == frame:
            d.rectangle((x - 3, y + LABEL_H - 3, x + tw + 2, y + LABEL_H + th + 2), outline=ACCENT, width=3)
    return np.asarray(img)


def _zoom(array, target=100):
    """Nearest-neighbour enlargement by a whole factor, so every activation stays a visible square."""
    z = max(1, int(round(target / array.shape[0])))
    return np.repeat(np.repeat(array, z, axis=0), z, axis=1)


def channel_grid(fmap, name, shape, kernel, note=""):
    """The TOP_CHANNELS most active channels (highest mean) of fmap [H, W, C], numbered as in the
    layer, on one colour scale for the whole layer (so the tiles compare)."""
    fmap = np.asarray(fmap, np.float32)
    channels = fmap.shape[-1]
    order = np.argsort(-fmap.mean(axis=(0, 1)), kind="stable")[:TOP_CHANNELS]
    vmax = float(fmap[..., order].max())
    tiles = [_zoom(_colour(fmap[..., c], vmax)) for c in order]
    subtitle = (f"{kernel} · {len(order)} most active of {channels} channels (by mean), "
                f"colour 0 to {vmax:.3g}" + (f" · {note}" if note else ""))
    picture = _tile_grid(tiles, [f"ch {c}" for c in order], 4, f"{name}  {shape}", subtitle)
    return picture, [int(c) for c in order]


def class_map_grid(maps, means, name, shape, kernel):
    maps = np.asarray(maps, np.float32)
    vmax = float(maps.max())
    tiles = [_zoom(_colour(maps[..., k], vmax), 80) for k in range(maps.shape[-1])]
    labels = [(CLASS_NAMES[k], f"mean {means[k]:.2f}") for k in range(maps.shape[-1])]
    return _tile_grid(tiles, labels, 5, f"{name}  {shape}",
                      f"{kernel} · one 5x5 map per class; its mean is the class's logit · colour 0 to {vmax:.3g}",
                      frame=int(np.argmax(means)))


def bar_chart(values, title, subtitle, fmt, highlight):
    """Horizontal bars, one per class, in class order."""
    values = np.asarray(values, np.float64)
    name_w, bar_w, row_h = 100, 250, 22
    img, d, top = _canvas(PAD * 2 + name_w + bar_w + 70, len(values) * row_h + PAD, title, subtitle)
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    span = (hi - lo) or 1.0
    zero = PAD + name_w + (0 - lo) / span * bar_w
    for k, v in enumerate(values):
        y = top + k * row_h
        colour = ACCENT if k == highlight else (90, 110, 170)
        _text(img, (PAD, y + 3), CLASS_NAMES[k], 13, INK)
        end = PAD + name_w + (v - lo) / span * bar_w
        d.rectangle((min(zero, end), y + 3, max(zero, end), y + row_h - 4), fill=colour)
        _text(img, (PAD + name_w + bar_w + 6, y + 3), fmt(v), 13, INK)
    return np.asarray(img)


def value_strip(values, title, subtitle):
    """Ten numbers as ten coloured cells, each with its class and value."""
    values = np.asarray(values, np.float64)
    cells = [np.broadcast_to(_colour(np.array([[v]]), float(values.max())), (56, 76, 3)).copy() for v in values]
    labels = [(CLASS_NAMES[k], f"{v:.2f}") for k, v in enumerate(values)]
    return _tile_grid(cells, labels, 5, title, subtitle)


def resize_picture(image28, resized, shape, source):
    """The 28x28 input beside the 224x224 image the first layer sees."""
    left = _zoom((np.asarray(image28) * 255).clip(0, 255).astype(np.uint8), 224)
    right = (np.asarray(resized)[..., 0] * 255).clip(0, 255).astype(np.uint8)
    tiles = [np.stack([t] * 3, -1) for t in (left, right)]
    return _tile_grid(tiles, ["28x28: what the model sees", "224x224 after the resize"], 2,
                      f"{INPUT_STEP}  {shape}", f"{source} · 28 to 224 px, bilinear, inside the model")


def render(view, lang=EN):
    """[(picture, caption)] in the network's order. Each caption starts with `name (shape)` exactly as
    `python -m nin.measure.summary` writes it, then ' · ' and what the picture shows (in `lang`; the pictures'
    own text stays English)."""
    out, o = [], view.outputs
    shape = {k: shape_text(v) for k, v in o.items()}
    say = lambda english, **fmt: tr(english, lang).format(**fmt)  # noqa: E731
    out.append((resize_picture(view.image28, o[INPUT_STEP][0], shape[INPUT_STEP], view.source),
                f"{INPUT_STEP} {shape[INPUT_STEP]} · {say('28×28 → 224×224, bilinear')} · {say(view.source)}"))
    means, logits = view.class_map_means, view.logits
    best = int(np.argmax(logits))
    best_name = class_name(CLASS_NAMES[best], lang)
    for row in view.rows:
        name, kernel = row["layer"], row["kernel/stride"]
        head = f"{name} {shape[name]}" + (f" · {tr(row['type'], lang)}" if lang != EN and tr(row["type"], lang) != row["type"] else "")
        if name == CLASS_MAPS:
            out.append((class_map_grid(o[name][0], means, name, shape[name], kernel),
                        f"{head} · {kernel} · {say('10 class maps, mean = logit')} · "
                        + say("highest: {name} {value}", name=best_name, value=f"{means[best]:.2f}")))
        elif o[name].ndim == 4 and o[name].shape[-1] > len(CLASS_NAMES):
            note = "identity at inference: the same values as the layer before" if row["type"] == "Dropout" else ""
            picture, channels = channel_grid(o[name][0], name, shape[name], kernel, note)
            out.append((picture, f"{head} · {kernel} · "
                        + say("{n} most active of {channels} channels", n=len(channels), channels=o[name].shape[-1])
                        + (f" · {say(note)}" if note else "")))
        elif name == LOGITS:
            out.append((value_strip(o[name][0], f"{name}  {shape[name]}", "the logits: one number per class"),
                        f"{head} · {say('logits')} · "
                        + say("highest: {name} {value}", name=best_name, value=f"{logits[best]:.2f}")))
        elif o[name].ndim == 4:  # the seed's Reshape to (1, 1, 1, 10)
            out.append((value_strip(o[name][0, 0, 0], f"{name}  {shape[name]}",
                                    "the same ten numbers as a 1x1 map with 10 channels"),
                        f"{head} · {say('the same ten numbers, as a 1×1×10 map')}"))
        else:  # global average pooling
            out.append((bar_chart(o[name][0], f"{name}  {shape[name]}",
                                  "each class map averaged to one number: the logits",
                                  lambda v: f"{v:.2f}", best),
                        f"{head} · {say('the mean of each class map = the logits')}"))
    p = view.probs
    top = np.argsort(-p)[:3]
    out.append((bar_chart(p, f"softmax  {shape_text(p[None])}",
                          f"the Guesses' probabilities ({view.guesses_runtime} runtime)",
                          lambda v: f"{v:.1%}", int(np.argmax(p))),
                f"softmax {shape_text(p[None])} · {say('the Guesses ({runtime})', runtime=view.guesses_runtime)}: "
                + ", ".join(f"{class_name(CLASS_NAMES[k], lang)} {p[k]:.1%}" for k in top)))
    return out


# --- what the app does (app.py wires these; errors end as one sentence, through nin/serve/serving.py) ---

EXPLANATION = UI["inside.explanation"][0]  # the English; both languages are in nin/app/i18n.py

API_DESCRIPTION = ("Every layer's output for this image: a gallery of (picture, caption); each caption starts with "
                   "the layer's name and output shape as `python -m nin.measure.summary` writes them, e.g. 'nin_block_1 (1, 54, 54, 96)'.")


def gallery(views, image28, source, weights_label=None, lang=EN):
    """[(PNG path, caption)] for a gr.Gallery: one picture per step, captioned in `lang`."""
    from nin.serve.serving import MODEL_FAILED, error, output_file

    try:
        view = views.view(image28, source, weights_label)
        # PNG level 1: about half the default's encoding time for ~10% larger files (13 pictures a view)
        return [(output_file(picture, compress_level=1), caption) for picture, caption in view.pictures(lang)]
    except Exception:
        log.exception("inside view failed")
        raise error(MODEL_FAILED) from None


def _image28(value, source):
    """The 28x28 image the pipeline makes of a request's upload or sketch (path checks, one-sentence errors)."""
    from nin.serve.serving import prepare_request

    return prepare_request(value, source).image


def inside_upload(views, image, weights_label=None, request: gr.Request = None):
    """/inside_upload: the gallery for an uploaded image (captions in the page's language; English
    for API clients)."""
    lang = page_language(request)
    with errors_in(lang):
        return gallery(views, _image28(image, "upload"), "your upload", weights_label, lang)


def inside_sketch(views, sketch, weights_label=None, request: gr.Request = None):
    """/inside_sketch: the gallery for a drawing (the sketchpad's value)."""
    lang = page_language(request)
    with errors_in(lang):
        return gallery(views, _image28(sketch, "sketch"), "your drawing", weights_label, lang)


def _remember(prepare, source):
    """A live event's handler: keep the latest good image (source, 28x28); a blank canvas, a removed
    upload or a bad file keeps the one before (the Guesses already say what is wrong)."""
    def run(value, last):
        try:
            return {"source": source, "image28": prepare(value).tolist()}
        except Exception:
            return last
    return run


remember_upload = _remember(lambda image: _image28(image, "upload"), "your upload")


def remember_drawing(image28, extent):
    """The drawing as remembered: the inside view's image, and the Draw tab's input for another top-k
    or weights (its size on the canvas kept for the garment check), so that they answer for it again
    without the Sketchpad's layers or the pipeline."""
    return {"source": "your drawing", "image28": np.asarray(image28).tolist(), "extent": extent}


def inside_last(views, last, weights_label=None, shown_by_button=None, request: gr.Request = None):
    """The gallery for the last image drawn or uploaded, or for the example before there is one.

    Opening the tab also passes `shown_by_button`: True when "Look inside" opened it and is already
    drawing the view, so nothing is computed twice; then the gallery is left as it is and the flag
    cleared. (Returns (gallery, False) when given the flag, else the gallery.)"""
    if shown_by_button is not None:
        return (gr.skip() if shown_by_button else inside_last(views, last, weights_label, request=request)), False
    lang = page_language(request)
    if not last:
        from nin.serve.websafety import EXAMPLES_DIR

        return gallery(views, _image28(str(EXAMPLES_DIR / EXAMPLE), "upload"),
                       "an example (a test-set T-shirt): draw or upload to see your own", weights_label, lang)
    return gallery(views, np.asarray(last["image28"], np.float32), last["source"], weights_label, lang)


def inside_refresh(views, last, weights_label=None, request: gr.Request = None):
    """inside_last for an event without the "Look inside" flag (the weights changed)."""
    return inside_last(views, last, weights_label, request=request)
