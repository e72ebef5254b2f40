"""/inside_upload and /inside_sketch through gradio_client, against the real app on loopback."""
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from helpers import example, sketch_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def expected_heads():
    from nin.measure.summary import layer_table

    return ["resize (1, 224, 224, 1)"] + [f"{r['layer']} {r['output shape']}" for r in layer_table()] + ["softmax (1, 10)"]


def check_gallery(gallery, expected_heads, source):
    assert isinstance(gallery, list) and len(gallery) == len(expected_heads)
    captions = [item["caption"] for item in gallery]
    assert [c.split(" · ")[0] for c in captions] == expected_heads  # e.g. 'nin_block_1 (1, 54, 54, 96)'
    assert source in captions[0]
    for item in gallery:
        picture = np.asarray(Image.open(item["image"]))
        assert picture.ndim == 3 and min(picture.shape[:2]) >= 150 and picture.std() > 10
    return captions


def test_inside_upload_shows_every_layer_and_the_guesses(client, expected_heads):
    path = handle_file(example("0018_bag"))
    captions = check_gallery(client.predict(path, api_name="/inside_upload"), expected_heads, "your upload")
    label = client.predict(path, 3, api_name="/predict_upload")  # the Label value alone
    guesses = ", ".join(f"{c['label']} {c['confidence']:.1%}" for c in label["confidences"])
    assert captions[-1].endswith(guesses), (captions[-1], guesses)
    assert "identity at inference" in captions[expected_heads.index("dropout (1, 5, 5, 384)")]


def test_inside_sketch_shows_every_layer_of_a_drawing(client, expected_heads, tmp_path, test_split):
    from nin.pipeline.imitations import as_sketch_layer

    x, y = test_split
    layer = as_sketch_layer(x[int(np.flatnonzero(y == 1)[0])] / 255.0, np.random.default_rng(0), filled=True)
    check_gallery(client.predict(sketch_files(tmp_path, layer), api_name="/inside_sketch"), expected_heads, "your drawing")


def test_inside_endpoints_refuse_bad_input_with_one_sentence(client, tmp_path):
    blank = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    with pytest.raises(Exception, match="(?i)draw something first"):
        client.predict(sketch_files(tmp_path, blank), api_name="/inside_sketch")
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(Exception) as err:
        client.predict(handle_file(str(bad)), api_name="/inside_upload")
    message = str(err.value)
    assert "image" in message.lower() and "Traceback" not in message and len(message.splitlines()) == 1
    # the server is still fine
    assert len(client.predict(handle_file(example("0002_trouser")), api_name="/inside_upload")) == 13
