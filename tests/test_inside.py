"""The "Inside the network" view: every layer's output, captioned as `nin.measure.summary` writes the table;
class maps whose means are the logits; a softmax chart that is the Guesses. Real weights, real
LiteRT and Keras runtimes, no mocks."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from nin.core.data import CLASS_NAMES
from nin.app.inside import LAYERS_FORMAT, InsideViews, KerasLayers, LiteRTLayers, layer_runner
from nin.pipeline.preprocess import prepare_upload
from nin.core.weights import DEFAULT_WEIGHTS, ROOT, WeightsError, tflite_path
from helpers import example

IMAGES = ["0002_trouser", "0018_bag", "0019_t-shirt-top", "0101_shirt_photo"]


@pytest.fixture(scope="module")
def summary_rows():
    from nin.measure.summary import layer_table

    return layer_table()


@pytest.fixture(scope="module")
def app_models():
    """What the app serves by default: int8 Guesses, LiteRT every-layer view."""
    from nin.app.demo import Models

    models = Models()
    return models, InsideViews(models)


@pytest.fixture(scope="module")
def keras_models():
    """The app with --runtime keras: Guesses and the view both from Keras."""
    from nin.app.demo import Models

    models = Models(runtime="keras")
    return models, InsideViews(models)


def image(name):
    return prepare_upload(example(name))


def heads(captions):
    return [c.split(" · ")[0] for c in captions]


@pytest.mark.parametrize("which", ["app_models", "keras_models"])
def test_captions_hold_every_layer_with_the_summary_shape(which, summary_rows, request):
    models, views = request.getfixturevalue(which)
    view = views.view(image("0002_trouser"), "your upload")
    pictures = view.pictures()
    captions = [c for _, c in pictures]
    expected = (["resize (1, 224, 224, 1)"] + [f"{r['layer']} {r['output shape']}" for r in summary_rows]
                + ["softmax (1, 10)"])
    assert heads(captions) == expected
    for caption, row in zip(captions[1:-1], summary_rows):  # kernel/stride as the table writes it
        if row["kernel/stride"]:
            assert caption.split(" · ")[1] == row["kernel/stride"], caption
    assert "your upload" in captions[0]
    for picture, _ in pictures:  # real pictures, not placeholders
        assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
        assert min(picture.shape[:2]) >= 150 and picture.std() > 10


@pytest.mark.parametrize("name", IMAGES)
def test_class_map_means_are_the_logits_and_the_chart_is_the_guesses(name, app_models):
    from nin.app.demo import predict_upload

    models, views = app_models
    x = image(name)
    view = views.view(x, "your upload")
    # the last block's ten 5x5 maps, averaged, are the layer model's logits (global average pooling)
    assert view.class_maps.shape == (5, 5, 10)
    np.testing.assert_allclose(view.class_map_means, view.logits, atol=1e-4, rtol=0)
    np.testing.assert_allclose(view.outputs["global_avg_pool"][0], view.logits, atol=1e-6, rtol=0)
    # the bars are exactly what the Guesses show for the same file (all ten classes)
    label = predict_upload(models, example(name), 10)  # the label-only API
    assert set(label) == set(CLASS_NAMES)
    for k, c in enumerate(CLASS_NAMES):
        assert view.probs[k] == pytest.approx(label[c], abs=1e-9), c
    top = sorted(label, key=label.get, reverse=True)[:3]
    assert view.pictures()[-1][1].endswith(", ".join(f"{c} {label[c]:.1%}" for c in top))
    # the layer model is the same network as the Guesses' int8 runtime (not a stale export); the
    # Guesses divide the logits by the weights' temperature (calibrated percentages)
    t = models.get(None).classifier.temperature
    fp32 = np.exp((view.logits - view.logits.max()) / t)
    fp32 /= fp32.sum()
    assert np.argmax(fp32) == np.argmax(view.probs)
    assert np.abs(fp32 - view.probs).max() < 0.1


def test_under_keras_the_chart_is_the_softmax_of_the_class_map_means(keras_models):
    models, views = keras_models
    view = views.view(image("0018_bag"), "your upload")
    t = models.get(None).classifier.temperature  # calibrated: softmax(logits / temperature)
    assert t != 1.0
    z = np.exp((view.class_map_means - view.class_map_means.max()) / t)
    np.testing.assert_allclose(view.probs, z / z.sum(), atol=1e-5)


def test_dropout_is_the_identity_and_grids_show_the_most_active_channels(app_models):
    from nin.app.inside import channel_grid

    _, views = app_models
    view = views.view(image("0019_t-shirt-top"), "your upload")
    np.testing.assert_array_equal(view.outputs["dropout"], view.outputs["max_pool_3"])
    fmap = view.outputs["nin_block_1"][0]
    _, channels = channel_grid(fmap, "nin_block_1", "(1, 54, 54, 96)", "")
    means = fmap.mean(axis=(0, 1))
    assert len(channels) == 16 and len(set(channels)) == 16
    assert means[channels].min() >= np.delete(means, channels).max()  # no left-out channel is more active
    assert list(means[channels]) == sorted(means[channels], reverse=True)


def test_litert_layer_export_agrees_with_the_keras_layer_model(classifier):
    fast, reference = LiteRTLayers(DEFAULT_WEIGHTS), KerasLayers(classifier.net)
    assert [r["layer"] for r in fast.rows] == [r["layer"] for r in reference.rows]
    x = np.stack([image(n) for n in IMAGES])[..., None][:1]
    a, b = fast(x), reference(x)
    assert set(a) == set(b)
    for name in b:
        assert a[name].shape == b[name].shape, name
        scale = max(1.0, float(np.abs(b[name]).max()))
        assert np.abs(a[name] - b[name]).max() <= 1e-3 * scale, name


def copy_weights(tmp_path):
    weights = tmp_path / "nin_modern.weights.h5"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    return weights


def test_missing_or_stale_layer_export_is_refused_and_the_view_falls_back_to_keras(tmp_path, caplog):
    from nin.serve.inference import Classifier

    weights = copy_weights(tmp_path)
    with pytest.raises(WeightsError, match="not found.*nin.ship.export.*tflite-layers"):
        LiteRTLayers(weights)
    layers = tflite_path(weights, LAYERS_FORMAT)
    shutil.copy(tflite_path(DEFAULT_WEIGHTS, LAYERS_FORMAT), layers)
    meta = json.loads(tflite_path(DEFAULT_WEIGHTS, LAYERS_FORMAT).with_suffix(".json").read_text())
    layers.with_suffix(".json").write_text(json.dumps(dict(meta, weights_sha256="0" * 64)))
    with pytest.raises(WeightsError, match="stale export.*nin.ship.export"):
        LiteRTLayers(weights)
    layers.with_suffix(".json").write_text("{not json")
    with pytest.raises(WeightsError, match="stale export"):
        LiteRTLayers(weights)
    layers.with_suffix(".json").write_text(json.dumps(meta))  # the same bytes: an up-to-date export
    assert isinstance(LiteRTLayers(weights), LiteRTLayers)
    layers.unlink()
    # the app serves int8 for these weights, but with no every-layer file the view uses Keras
    for kind in ("tflite-int8",):
        shutil.copy(tflite_path(DEFAULT_WEIGHTS, kind), tflite_path(weights, kind))
        shutil.copy(tflite_path(DEFAULT_WEIGHTS, kind).with_suffix(".json"), tflite_path(weights, kind).with_suffix(".json"))
    with caplog.at_level("WARNING", logger="nin.app.inside"):
        runner = layer_runner(Classifier(weights, "tflite-int8"))
    assert isinstance(runner, KerasLayers) and "uses Keras" in caplog.text


def test_export_command_writes_the_layer_file_with_its_provenance(tmp_path):
    from nin.ship.export import FORMATS
    from nin.core.weights import sha256

    assert LAYERS_FORMAT in FORMATS  # `python -m nin.ship.export` with no --formats writes it too
    weights = copy_weights(tmp_path)
    done = subprocess.run([sys.executable, "-m", "nin.ship.export", "--weights", str(weights), "--formats", LAYERS_FORMAT],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = tflite_path(weights, LAYERS_FORMAT)
    assert out.name == "nin_modern.layers.tflite" and out.stat().st_size > 7_000_000
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["weights_sha256"] == sha256(weights) and meta["format"] == LAYERS_FORMAT
    assert [r["layer"] for r in meta["layers"]][0] == "nin_block_1" and len(meta["layers"]) == 11
    outputs = LiteRTLayers(weights)(image("0002_trouser")[None, ..., None])
    assert outputs["nin_block_1"].shape == (1, 54, 54, 96) and outputs["flatten"].shape == (1, 10)


def test_the_litert_view_runs_without_tensorflow():
    """The serving process may run without TensorFlow (LiteRT runtimes): so may the layer model."""
    code = ("import sys, numpy as np\n"
            "from nin.app.inside import LiteRTLayers\n"
            "from nin.core.weights import DEFAULT_WEIGHTS\n"
            "out = LiteRTLayers(DEFAULT_WEIGHTS)(np.zeros((1, 28, 28, 1), np.float32))\n"
            "assert len(out) == 12, sorted(out)\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_opening_the_tab_after_look_inside_computes_nothing_twice(app_models):
    import gradio as gr

    from nin.app.inside import inside_last

    _, views = app_models
    last = {"source": "your drawing", "image28": image("0018_bag").tolist()}
    assert inside_last(views, last, None, True) == (gr.skip(), False)  # the button is drawing it already
    shown, flag = inside_last(views, last, None, False)  # opened by hand: the last image, drawn now
    assert flag is False and len(shown) == 13 and "your drawing" in shown[0][1]
    assert "an example" in inside_last(views, None)[0][1]  # nothing drawn or uploaded yet
