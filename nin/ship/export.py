"""Export shipped weights for other runtimes.

    python -m nin.ship.export [--weights PATH] [--out weights/] [--formats savedmodel,tflite-fp32,tflite-int8]

- savedmodel: a TensorFlow SavedModel (serving signature: images [N,28,28,1] float32 in [0,1] ->
  logits [N,10] and class maps [N,5,5,10]) that TensorFlow Serving can load.
- tflite-fp32 / tflite-int8: LiteRT flat buffers for the app's --runtime (XNNPACK on CPU).
  int8 is full-integer post-training quantisation calibrated on training images.
- tflite-layers: LiteRT float32 whose outputs are the 224x224 resize and every layer's output
  (signature outputs named after the layers), for the app's "Inside the network" view.
Each .tflite gets a .json beside it with the sha256 of the weights it was made from (file names,
sha256 and the staleness check live with the weights, in nin/core/weights.py).
"""
import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from nin.core.weights import DEFAULT_WEIGHTS, atomic_write, load_net, sha256, tflite_path

FORMATS = ("savedmodel", "tflite-fp32", "tflite-int8", "tflite-layers")


def export_savedmodel(net, path):
    from nin.core.model import cam_model

    model = cam_model(net)
    if Path(path).exists():
        shutil.rmtree(path)
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path


def representative_images(n=300, seed=0):
    """Calibration images for int8: real training images, as the pipeline delivers them."""
    from nin.core.data import load_split

    x, _ = load_split("train")
    idx = np.random.default_rng(seed).choice(len(x), n, replace=False)
    return x[idx].astype(np.float32)[..., None] / 255.0


def export_tflite(net, weights_path, kind, calibration=300):
    import tensorflow as tf

    made_from = {"format": kind, "weights": Path(weights_path).name, "weights_sha256": sha256(weights_path)}
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "tflite-layers":  # outputs keyed by layer name; the view reads them by name
            from nin.app.inside import layer_model, layer_rows

            layer_model(net).export(str(Path(tmp) / "sm"), format="tf_saved_model", verbose=False)
            made_from["layers"] = layer_rows()  # kernel/stride for the captions, without Keras
        else:
            export_savedmodel(net, Path(tmp) / "sm")
        converter = tf.lite.TFLiteConverter.from_saved_model(str(Path(tmp) / "sm"))
        if kind == "tflite-int8":
            images = representative_images(calibration)
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([images[i:i + 1]] for i in range(len(images)))
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            # float in and out: the app's pipeline and softmax stay the same
            converter.inference_input_type = tf.float32
            converter.inference_output_type = tf.float32
        flat = converter.convert()
    out = tflite_path(weights_path, kind)
    atomic_write(out, lambda tmp: Path(tmp).write_bytes(flat))
    atomic_write(out.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(made_from, indent=2)))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--out", help="folder for the SavedModel (default: build/savedmodel/<name>)")
    p.add_argument("--formats", default=",".join(FORMATS))
    args = p.parse_args(argv)
    net = load_net(args.weights)
    for kind in args.formats.split(","):
        if kind == "savedmodel":
            name = Path(args.weights).name.replace(".weights.h5", "")
            out = Path(args.out or Path(args.weights).resolve().parent.parent / "build" / "savedmodel") / name / "1"
            export_savedmodel(net, out)
            print(f"wrote SavedModel {out}  (tensorflow_model_server --model_base_path={out.parent})")
        elif kind.startswith("tflite"):
            out = export_tflite(net, args.weights, kind)
            print(f"wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB)")
        else:
            p.error(f"unknown format {kind}; choose from {', '.join(FORMATS)}")


if __name__ == "__main__":
    main()
