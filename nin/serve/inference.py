"""Load weights once, classify 28x28 images, and show where the network looked.

The model is the seed network behind a 28->224 resize, compiled once and called directly
(not model.predict, whose per-call overhead is tens of milliseconds).
"""
import logging
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from nin.core.data import CLASS_NAMES
from nin.core.weights import DEFAULT_WEIGHTS, WeightsError, load_net, up_to_date_export

# keras: the Keras model compiled by the backend (float32, the reference);
# tflite-int8 / tflite-fp32: LiteRT with XNNPACK, files made by `python -m nin.ship.export`.
RUNTIMES = ("keras", "tflite-int8", "tflite-fp32")
DEFAULT_RUNTIME = "keras"  # the reference, for the CLIs and tests
# The app's default where an up-to-date export exists: 3.7x the float32 Keras speed at batch 1 for
# 0.04 points of test accuracy (bench/RESULTS.md, `python -m nin.measure.evaluate --runtime tflite-int8`).
APP_RUNTIME = "tflite-int8"


def compile_forward(model):
    """A compiled inference function x[B,28,28,1] -> model outputs, for this Keras backend."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        return tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                           input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
    if keras.backend.backend() == "jax":
        import jax
        return jax.jit(lambda x: model(x, training=False))
    return lambda x: model(x, training=False)


# Every batch size needs its own LiteRT interpreter, about 10 MB plus 1.2 MB per image of int8
# activations and packed weights (measured): one per size from 1 to 16 would be 225 MB, made one by
# one as load varies, so a server's memory would creep up for hours. Batches are padded to these
# sizes instead (the padding costs 2.5 ms per image at most) and the server makes them all at start.
BATCH_SIZES = (1, 2, 4, 8, 16)


class LiteRTForward:
    """x[B,28,28,1] -> (logits, class maps) through a LiteRT flat buffer, XNNPACK on all cores."""

    def __init__(self, weights_path, runtime):
        import os

        path, _ = up_to_date_export(weights_path, runtime)  # WeightsError if missing or stale
        self.path, self.threads = str(path), os.cpu_count()
        self._interpreters = {}  # one per batch size: resizing re-plans the whole graph
        self._lock = threading.Lock()  # an interpreter is not thread-safe

    def _interpreter(self, batch):
        from ai_edge_litert.interpreter import Interpreter

        if batch not in self._interpreters:
            from nin.core.quiet import native_chatter_filtered

            with native_chatter_filtered():  # LiteRT's "Created TensorFlow Lite XNNPACK delegate" line
                it = Interpreter(self.path, num_threads=self.threads)
                inp = it.get_input_details()[0]
                it.resize_tensor_input(inp["index"], [batch, 28, 28, 1])
                it.allocate_tensors()
            outs = sorted(it.get_output_details(), key=lambda o: len(o["shape"]))  # logits (2-D) first
            self._interpreters[batch] = (it, inp["index"], [o["index"] for o in outs])
        return self._interpreters[batch]

    def __call__(self, x):
        n = len(x)
        size = next((b for b in BATCH_SIZES if b >= n), n)  # pad to a few sizes: one interpreter each
        x = np.ascontiguousarray(x, np.float32)
        if size > n:
            x = np.concatenate([x, np.zeros((size - n,) + x.shape[1:], np.float32)])
        with self._lock:
            it, inp, outs = self._interpreter(size)
            it.set_tensor(inp, x)
            it.invoke()
            return [it.get_tensor(o)[:n].copy() for o in outs]


def app_classifier(weights_path, runtime=None):
    """What the app serves: the runtime asked for, or by default int8 where its export is up to date,
    else Keras (one log line says why)."""
    if runtime or not Path(weights_path).is_file():  # a missing file: let the keras loader say so
        return Classifier(weights_path, runtime or "keras")
    try:
        return Classifier(weights_path, APP_RUNTIME)
    except WeightsError as e:
        logging.getLogger("nin.app.demo").warning("%s Serving %s with the keras runtime.", e, Path(weights_path).name)
        return Classifier(weights_path, "keras")


def softmax(logits):
    z = np.exp(logits - logits.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


class Classifier:
    """The NiN with one set of weights: probabilities and class activation maps for 28x28 images."""

    def __init__(self, weights_path=DEFAULT_WEIGHTS, runtime=DEFAULT_RUNTIME):
        self.weights_path, self.runtime = str(weights_path), runtime
        if runtime == "keras":
            from nin.core.model import cam_model

            self.net = load_net(weights_path)
            self.model = cam_model(self.net)  # outputs (logits, 5x5x10 class maps)
            self._forward = compile_forward(self.model)
        elif runtime in RUNTIMES:
            self._forward = LiteRTForward(weights_path, runtime)
        else:
            raise ValueError(f"unknown runtime {runtime!r}; choose from {', '.join(RUNTIMES)}")
        # The temperature and the garment check fitted for these weights (`python -m nin.ship.calibrate`),
        # or T = 1 and no check, said in one log line.
        from nin.serve.garment import load_calibration

        self.temperature, self.garment_check = load_calibration(weights_path)
        self.forward(np.zeros((1, 28, 28), np.float32))  # warm up: trace/compile before the first request

    def raw(self, images28):
        """(logits [B,10], class maps [B,5,5,10]) as the network computes them (no temperature)."""
        x = np.asarray(images28, np.float32).reshape(-1, 28, 28, 1)
        logits, maps = self._forward(x)
        return np.asarray(logits, np.float64), np.asarray(maps)

    def forward(self, images28):
        """(calibrated probabilities [B,10], class maps [B,5,5,10]) for float images [B,28,28] in [0,1]."""
        logits, maps = self.raw(images28)
        return softmax(logits / self.temperature), maps

    def assess(self, image28, class_maps, kind="photo", extent=None):
        """The garment score and verdict for one input of this kind ("photo" or "drawing": the
        pipeline's path; extent: how big a drawing was drawn), or None for weights without a fitted
        check (nin/serve/garment.py)."""
        if self.garment_check is None:
            return None
        mirror = None
        if self.garment_check.needs_mirror(kind):  # one more forward pass, for the paths whose score reads it
            mirror = self.raw(np.asarray(image28, np.float32).reshape(1, 28, 28)[:, :, ::-1])[1][0]
        return self.garment_check.assess(image28, class_maps, kind, extent, mirror)

    def predict(self, images28):
        return self.forward(images28)[0]


def top_k(probs, k=3):
    """{class name: probability} of the k most likely classes (k clamped to 1..10)."""
    k = int(min(max(int(k), 1), len(CLASS_NAMES)))
    order = np.argsort(-probs)[:k]
    return {CLASS_NAMES[i]: float(probs[i]) for i in order}


def cam_overlay(image28, class_map, size=224):
    """The predicted class's 5x5 map, upsampled and laid over the input as a heat map (RGB uint8)."""
    import matplotlib

    cam = np.asarray(class_map, np.float32)
    cam = cam - cam.min()
    cam = cam / cam.max() if cam.max() > 0 else cam
    heat = np.asarray(Image.fromarray(cam).resize((size, size), Image.Resampling.BICUBIC), np.float32)
    heat = matplotlib.colormaps["jet"](np.clip(heat, 0, 1))[..., :3]
    base = np.asarray(Image.fromarray((np.asarray(image28) * 255).astype(np.uint8)).resize(
        (size, size), Image.Resampling.NEAREST), np.float32)[..., None] / 255.0
    return (255 * (0.55 * base + 0.45 * heat)).clip(0, 255).astype(np.uint8)


def model_view(image28, size=224):
    """What the model sees, enlarged with visible pixels (RGB uint8)."""
    img = Image.fromarray((np.asarray(image28) * 255).astype(np.uint8)).resize((size, size), Image.Resampling.NEAREST)
    return np.asarray(img.convert("RGB"))


class BatchingClassifier:
    """Shares one forward pass between requests that arrive together (from many server threads).

    The first request in an empty queue waits up to `max_wait_s` for company, then up to
    `max_batch_size` images go through the network at once; each caller gets its own row back.
    Unlike Gradio's batch=True, one bad request never fails the others: inputs are validated
    per request before they get here.
    """

    def __init__(self, classifier, max_batch_size=16, max_wait_s=0.004):
        import queue
        import threading

        self.classifier, self.max_batch_size, self.max_wait_s = classifier, max_batch_size, max_wait_s
        for size in BATCH_SIZES:  # every batch size it will meet, made now: memory stays flat under load
            if size <= max_batch_size:
                classifier.forward(np.zeros((size, 28, 28), np.float32))
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="nin-batcher")
        self._thread.start()

    def forward_one(self, image28):
        """(probabilities [10], class maps [5,5,10]) for one 28x28 image."""
        from concurrent.futures import Future

        fut = Future()
        self._queue.put((np.asarray(image28, np.float32), fut))
        return fut.result()

    def _serve(self):
        import queue
        import time

        while True:
            items = [self._queue.get()]
            deadline = time.perf_counter() + self.max_wait_s
            while len(items) < self.max_batch_size:
                try:
                    items.append(self._queue.get(timeout=max(0.0, deadline - time.perf_counter())))
                except queue.Empty:
                    break
            try:
                probs, maps = self.classifier.forward(np.stack([x for x, _ in items]))
                for i, (_, fut) in enumerate(items):
                    fut.set_result((probs[i], maps[i]))
            except Exception as e:  # never leave a caller waiting
                for _, fut in items:
                    fut.set_exception(e)
