"""The seed article's own code, run as written: its network is the project's.

tests/seed/article_code.py is the article's Python block copied byte for byte (../shared/seed/ is
not on a user's machine; where it is, the copy is checked against it). It runs here unchanged on
TensorFlow's Keras; its printed shapes, its parameter count and, with the project's weights copied
in, its outputs must equal nin.core.model.build_nin()'s.
"""
import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from nin.core.model import build_nin

HERE = Path(__file__).parent
ARTICLE_CODE = HERE / "seed" / "article_code.py"
ARTICLE = HERE.parent.parent / "shared" / "seed" / "nin_tensorflow_article.md"


@pytest.fixture(scope="module")
def seed_run():
    """(what the article's code printed, its namespace)."""
    namespace, out = {"__name__": "seed_article"}, io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(ARTICLE_CODE.read_text(), str(ARTICLE_CODE), "exec"), namespace)
    return out.getvalue(), namespace


def printed_shapes(text):
    return [(m.group(1), tuple(int(n) for n in m.group(2).split(",") if n.strip()))
            for m in re.finditer(r"^(\w+) output shape:\s+\(([\d, ]+)\)", text, re.M)]


def test_the_copy_is_the_articles_block_as_written():
    if not ARTICLE.is_file():
        pytest.skip(f"{ARTICLE} is not on this machine (the copy is checked where it is)")
    block = re.search(r"```python\n(.*?)```", ARTICLE.read_text(), re.S).group(1)
    assert ARTICLE_CODE.read_text() == block


def test_the_articles_printed_shapes_are_the_projects(seed_run):
    printed, _ = seed_run
    ours = build_nin()
    x, shapes = np.zeros((1, 224, 224, 1), np.float32), []
    for layer in ours.layers:
        x = layer(x)
        shapes.append((layer.__class__.__name__, tuple(x.shape)))
    assert len(printed_shapes(printed)) == 11, printed
    assert printed_shapes(printed) == shapes


def test_the_articles_network_has_the_projects_parameters_and_outputs(seed_run):
    _, namespace = seed_run
    seed_net, ours = namespace["net"](), build_nin()
    seed_net.build((None, 224, 224, 1))
    assert seed_net.count_params() == ours.count_params() == 1_992_166
    assert [w.shape for w in seed_net.get_weights()] == [w.shape for w in ours.get_weights()]
    # the same weights in both: the same logits (inference: Dropout is the identity)
    seed_net.set_weights(ours.get_weights())
    x = np.random.default_rng(0).uniform(size=(2, 224, 224, 1)).astype(np.float32)
    theirs, mine = seed_net(x, training=False).numpy(), np.asarray(ours(x, training=False))
    assert np.abs(mine).max() > 1e-6  # not all zeros, which any two networks would share
    np.testing.assert_allclose(theirs, mine, rtol=1e-4, atol=1e-6)
