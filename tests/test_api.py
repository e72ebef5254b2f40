"""The public API, through gradio_client, against the real app on loopback.

/predict_upload and /predict_sketch answer with the Label value alone; /explain_upload and
/explain_sketch with the Label value, the two pictures and the garment check (docs/garment_score.md);
the page's own events are private."""
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from nin.core.data import CLASS_NAMES
from helpers import example, sketch_files
KNOWN = ["0002_trouser", "0018_bag", "0009_sneaker", "0000_ankle-boot", "0013_dress", "0008_sandal"]


def names(label_value):
    return [c["label"] for c in label_value["confidences"]]


@pytest.mark.parametrize("name", KNOWN)
def test_predict_upload_gets_known_test_images_right(client, name):
    label = client.predict(handle_file(example(name)), 3, api_name="/predict_upload")
    assert isinstance(label, dict), label  # the Label value alone: no pictures to download
    truth = name.split("_", 1)[1]
    assert label["label"].lower().replace("/", "-").replace(" ", "-") == truth
    assert len(label["confidences"]) == 3 and set(names(label)) <= set(CLASS_NAMES)
    confs = [c["confidence"] for c in label["confidences"]]
    assert confs == sorted(confs, reverse=True) and 0 < sum(confs) <= 1 + 1e-6


def test_explain_upload_gives_the_pictures_and_the_same_label(client):
    path = handle_file(example("0018_bag"))
    label, seen, cam, garment = client.predict(path, 3, api_name="/explain_upload")
    assert label == client.predict(path, 3, api_name="/predict_upload")
    assert garment["verdict"] == "garment" and garment["is_garment"] is True and garment["kind"] == "photo"
    seen, cam = np.asarray(Image.open(seen)), np.asarray(Image.open(cam))
    assert seen.shape[:2] == (224, 224) and cam.shape == (224, 224, 3)
    assert seen.std() > 10 and cam.std() > 10  # real pictures, not blank squares


def test_top_k_sets_the_number_of_guesses(client):
    for k in (1, 5, 10):
        label = client.predict(handle_file(example("0018_bag")), k, api_name="/predict_upload")
        assert len(label["confidences"]) == k


def test_predict_sketch_on_a_drawn_trouser_outline(client, tmp_path, test_split):
    from nin.pipeline.imitations import as_sketch_layer

    x, y = test_split
    trouser = int(np.flatnonzero(y == 1)[0])
    layer = as_sketch_layer(x[trouser] / 255.0, np.random.default_rng(0), filled=True)
    label = client.predict(sketch_files(tmp_path, layer), 3, api_name="/predict_sketch")
    assert isinstance(label, dict) and label["label"] == "Trouser"
    explained, seen, cam, garment = client.predict(sketch_files(tmp_path, layer), 3, api_name="/explain_sketch")
    assert garment["kind"] == "drawing" and garment["verdict"] in ("garment", "not a garment")
    assert explained == label
    assert np.asarray(Image.open(seen)).shape[:2] == (224, 224) and np.asarray(Image.open(cam)).shape == (224, 224, 3)


def test_empty_sketch_says_draw_something_first(client, tmp_path):
    layer = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    for api_name in ("/predict_sketch", "/explain_sketch"):
        with pytest.raises(Exception, match="(?i)draw something first"):
            client.predict(sketch_files(tmp_path, layer), 3, api_name=api_name)


def test_architecture_endpoint_returns_the_seed_table(client):
    table = client.predict(api_name="/architecture")
    rows = table["data"] if isinstance(table, dict) else table
    shapes = [r[3] for r in rows[:-1]]
    assert shapes[0] == "(1, 54, 54, 96)" and shapes[-1] == "(1, 10)" and len(shapes) == 11
    assert rows[-1][0] == "total" and int(rows[-1][4]) == 1_992_166


def test_api_lists_exactly_the_public_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/predict_upload", "/predict_sketch", "/explain_upload", "/explain_sketch",
                              "/architecture", "/inside_upload", "/inside_sketch"}
    for name in ("/predict_upload", "/predict_sketch"):
        assert [r["component"] for r in endpoints[name]["returns"]] == ["Label"]
    for name in ("/explain_upload", "/explain_sketch"):
        assert [r["component"] for r in endpoints[name]["returns"]] == ["Label", "Image", "Image", "Json"]
