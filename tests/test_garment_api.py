"""The garment check through the public API (gradio_client against the real app on loopback):
/explain_* add it as a fourth output, /predict_* still answer with the Label value alone; weights
without the new metadata still serve, with no verdict and one log line saying so."""
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from helpers import ARTIFACTS, RAIN, SCRIBBLE, drawn, example, running_app, sketch_files

pytestmark = pytest.mark.slow

KEYS = {"garment_score", "threshold", "is_garment", "verdict", "reason", "kind", "temperature"}


@pytest.fixture
def noise_png(tmp_path):
    path = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (280, 280, 3), dtype=np.uint8)).save(path)
    return str(path)


def test_explain_upload_says_a_garment_is_one_and_noise_is_not(client, noise_png):
    label, _, _, check = client.predict(handle_file(example("0002_trouser")), 3, api_name="/explain_upload")
    assert set(check) == KEYS and check["verdict"] == "garment" and check["is_garment"] is True
    assert check["garment_score"] >= check["threshold"] and check["temperature"] > 0
    assert label["label"] == "Trouser"

    label, _, _, check = client.predict(handle_file(noise_png), 3, api_name="/explain_upload")
    assert check["verdict"] == "not a garment" and check["is_garment"] is False and check["reason"]
    assert len(label["confidences"]) == 3  # the guesses are still there
    # /predict_upload: still the Label value alone, the same guesses
    assert client.predict(handle_file(noise_png), 3, api_name="/predict_upload") == label


def test_explain_sketch_flags_a_scribble_and_rain(client, tmp_path):
    for strokes, reason in ((SCRIBBLE, "drawn too small to tell"), (RAIN, "in too many pieces")):
        files = sketch_files(tmp_path, drawn(strokes)["layers"][0])
        label, _, _, check = client.predict(files, 3, api_name="/explain_sketch")
        assert check["kind"] == "drawing" and check["verdict"] == "not a garment" and check["reason"] == reason, check
        assert client.predict(files, 3, api_name="/predict_sketch") == label


def test_weights_without_calibration_still_serve_with_no_verdict(bare_weights, tmp_path):
    log_path = ARTIFACTS / "app-server-uncalibrated.log"
    with running_app(["--weights", str(bare_weights)], cache_dir=tmp_path / "cache", log_path=log_path) as (url, _):
        client = Client(url, verbose=False)
        label, _, _, check = client.predict(handle_file(example("0018_bag")), 3, api_name="/explain_upload")
        assert label["label"] == "Bag"
        assert check["verdict"] == "unknown" and check["is_garment"] is None and check["garment_score"] is None
        assert check["temperature"] == 1.0
        assert client.predict(handle_file(example("0018_bag")), 3, api_name="/predict_upload") == label
    lines = [l for l in log_path.read_text().splitlines() if "no calibration" in l]
    assert len(lines) == 1, lines
