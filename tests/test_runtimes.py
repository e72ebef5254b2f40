"""The faster CPU runtimes agree with the Keras model; exports load where they should."""
import numpy as np
import pytest

from nin.serve.inference import Classifier
from nin.core.weights import DEFAULT_WEIGHTS


@pytest.mark.parametrize("runtime", ["tflite-int8", "tflite-fp32"])
def test_shipped_litert_files_agree_with_keras(runtime, classifier, test_split):
    x, y = test_split
    images = x[:300] / 255.0
    reference = classifier.predict(images)
    fast = Classifier(DEFAULT_WEIGHTS, runtime).predict(images)  # refuses a stale export
    agree = (fast.argmax(1) == reference.argmax(1)).mean()
    assert agree >= (0.999 if runtime == "tflite-fp32" else 0.97)
    if runtime == "tflite-fp32":
        np.testing.assert_allclose(fast, reference, atol=1e-4)
    assert (fast.argmax(1) == y[:300]).mean() >= (reference.argmax(1) == y[:300]).mean() - 0.02


def test_stale_export_is_refused(tmp_path):
    import shutil

    from nin.core.weights import WeightsError, tflite_path

    weights = tmp_path / "other.weights.h5"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    shutil.copy(tflite_path(DEFAULT_WEIGHTS, "tflite-int8"), tflite_path(weights, "tflite-int8"))
    (tflite_path(weights, "tflite-int8").with_suffix(".json")).write_text('{"weights_sha256": "0"}')
    with pytest.raises(WeightsError, match="stale export.*nin.ship.export"):
        Classifier(weights, "tflite-int8")


def test_savedmodel_export_serves_the_same_logits(tmp_path, classifier, test_split):
    import tensorflow as tf

    from nin.ship.export import export_savedmodel

    path = export_savedmodel(classifier.net, tmp_path / "nin" / "1")
    loaded = tf.saved_model.load(str(path))  # keep it: its variables live as long as it does
    served = loaded.serve
    x = (test_split[0][:8] / 255.0).astype(np.float32)[..., None]
    logits, maps = served(tf.constant(x))
    expected_logits, expected_maps = classifier._forward(x)
    np.testing.assert_allclose(np.asarray(logits), np.asarray(expected_logits), atol=1e-4)
    assert maps.shape == (8, 5, 5, 10)


def test_the_draw_tabs_tip_holds_shoes_point_left_as_in_fashion_mnist(test_split):
    """The tip under the Draw tab says: shoes from the side, toe to the left. The d2l weights (no flips in
    training) read a mirrored shoe wrong; the modern ones (trained with flips) read it either way."""
    from nin.core.weights import WEIGHTS_DIR

    x, y = test_split
    shoes = np.flatnonzero(np.isin(y, (5, 7, 9)))[:300]
    xs, ys = x[shoes].astype(np.float32) / 255.0, y[shoes]
    right = lambda clf, images: float((clf.predict(images).argmax(1) == ys).mean())
    d2l = Classifier(WEIGHTS_DIR / "nin_d2l.weights.h5", "tflite-int8")
    modern = Classifier(DEFAULT_WEIGHTS, "tflite-int8")
    assert right(d2l, xs) > 0.9 and right(d2l, xs[:, :, ::-1]) < 0.5
    assert right(modern, xs) > 0.9 and right(modern, xs[:, :, ::-1]) > 0.9
