"""The network is the seed's: shapes, parameters, BN folding, class maps."""
import keras
import numpy as np

from nin.core.model import build_nin, build_nin_bn, cam_model, fold_bn, with_resize
from nin.measure.summary import format_table, layer_table

# The seed article's printed shapes for a 1x224x224x1 input
SEED_SHAPES = [
    ("Sequential", (1, 54, 54, 96)), ("MaxPooling2D", (1, 26, 26, 96)),
    ("Sequential", (1, 26, 26, 256)), ("MaxPooling2D", (1, 12, 12, 256)),
    ("Sequential", (1, 12, 12, 384)), ("MaxPooling2D", (1, 5, 5, 384)),
    ("Dropout", (1, 5, 5, 384)), ("Sequential", (1, 5, 5, 10)),
    ("GlobalAveragePooling2D", (1, 10)), ("Reshape", (1, 1, 1, 10)), ("Flatten", (1, 10)),
]


def test_layer_shapes_match_the_seed():
    rows = layer_table()
    assert [(r["type"], eval(r["output shape"])) for r in rows] == SEED_SHAPES


def test_parameter_count_is_the_seeds():
    assert build_nin().count_params() == 1_992_166
    assert sum(r["parameters"] for r in layer_table()) == 1_992_166
    assert "1,992,166" in format_table(layer_table())


def test_the_apps_keras_free_table_is_the_keras_forward_pass():
    """The app shows nin.core.architecture's table (no TensorFlow in the server); it must be the real network's."""
    from nin.core.architecture import layer_rows

    assert layer_rows() == layer_table()
    assert layer_rows(160) == layer_table(image_size=160)


def test_each_block_is_conv_then_two_1x1_convs_with_relu():
    net = build_nin()
    blocks = [l for l in net.layers if isinstance(l, keras.Sequential)]
    assert [b.layers[0].kernel_size for b in blocks] == [(11, 11), (5, 5), (3, 3), (3, 3)]
    for b in blocks:
        assert [l.kernel_size for l in b.layers[1:]] == [(1, 1), (1, 1)]
        assert all(l.activation.__name__ == "relu" for l in b.layers)


def _randomise_bn(model, rng):
    for block in model.layers:
        if isinstance(block, keras.Sequential):
            for layer in block.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    c = layer.gamma.shape[0]
                    layer.set_weights([rng.uniform(0.5, 1.5, c), rng.uniform(-0.3, 0.3, c),
                                       rng.uniform(-0.2, 0.2, c), rng.uniform(0.3, 2.0, c)])


def test_folded_bn_model_is_the_seed_network_with_the_same_outputs():
    rng = np.random.default_rng(0)
    bn = build_nin_bn()
    _randomise_bn(bn, rng)
    folded = fold_bn(bn)
    assert folded.count_params() == 1_992_166
    assert [type(l) for l in folded.layers] == [type(l) for l in build_nin().layers]
    x = rng.random((3, 224, 224, 1), dtype=np.float32)
    expected = np.asarray(bn(x, training=False))
    got = np.asarray(folded(x, training=False))
    assert np.abs(expected).max() > 1e-3  # the comparison means something
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_class_maps_average_to_the_logits():
    net = build_nin()
    x = np.random.default_rng(1).random((2, 28, 28, 1), dtype=np.float32)
    logits, maps = cam_model(net)(x, training=False)
    assert maps.shape == (2, 5, 5, 10)
    np.testing.assert_allclose(np.asarray(maps).mean(axis=(1, 2)), np.asarray(logits), atol=1e-5)
    np.testing.assert_allclose(np.asarray(with_resize(net)(x, training=False)), np.asarray(logits), atol=1e-5)


def test_summary_cli_prints_the_table(capsys):
    from nin.measure.summary import main

    main([])
    out = capsys.readouterr().out
    assert "(1, 54, 54, 96)" in out and "(1, 1, 1, 10)" in out and "1,992,166" in out
