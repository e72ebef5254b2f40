"""Training really trains (on a small real subset, on CPU) and writes what the app loads."""
import json
import subprocess
import sys

import numpy as np
import pytest

from nin.training.train import augment_batch


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    from nin.training import train

    out = tmp_path_factory.mktemp("train")
    meta = train.main(["--recipe", "modern", "--limit", "256", "--epochs", "3", "--batch-size", "64",
                       "--lr", "3e-3", "--out", str(out), "--verbose", "2"])
    return out, meta


def test_smoke_run_lowers_the_loss(smoke_run):
    _, meta = smoke_run
    loss = meta["history"]["loss"]
    assert len(loss) == 3 and loss[-1] < loss[0]
    assert meta["history"]["images_per_s"][-1] > 0 and "val_accuracy" in meta["history"]


def test_smoke_run_writes_loadable_weights_and_metadata(smoke_run):
    from nin.core.weights import load_net, read_metadata

    out, meta = smoke_run
    weights = out / "nin_modern.weights.h5"
    net = load_net(weights)
    assert net.count_params() == 1_992_166  # folded back into the seed network
    saved = read_metadata(weights)
    for key in ("recipe", "epochs", "test_accuracy", "image_size", "class_names", "backend", "date", "data_sha256"):
        assert key in saved
    assert saved["recipe"] == "modern" and saved["image_size"] == 224 and saved["n_train"] == 256
    assert len(saved["data_sha256"]) == 4
    assert (out / "nin_modern_curves.png").stat().st_size > 1000
    assert json.loads((out / "nin_modern.history.json").read_text())["loss"] == meta["history"]["loss"]
    assert not list(out.glob("*.tmp*"))  # no temp files left behind


def test_evaluate_cli_prints_json_last(smoke_run):
    out, meta = smoke_run
    r = subprocess.run([sys.executable, "-m", "nin.measure.evaluate", "--weights", str(out / "nin_modern.weights.h5"),
                        "--limit", "256"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["n"] == 256 and result["params"] == 1_992_166
    assert 0 <= result["accuracy"] <= result["top3"] <= 1
    # the folded network evaluates exactly as training measured it
    assert result["accuracy"] == pytest.approx(meta["test_accuracy"], abs=1e-6)
    assert "confusion matrix" in r.stdout and "Ankle boot" in r.stdout


def test_d2l_recipe_runs_and_writes_the_seeds_figure_per_epoch(tmp_path):
    """A smoke run of the seed's recipe: the per-epoch history d2l's train_ch6 figure is drawn from,
    and the figure itself (checkpoints in tmp_path, never in the user's default folder)."""
    from nin.training import train

    meta = train.main(["--recipe", "d2l", "--limit", "128", "--epochs", "2", "--image-size", "96", "--out", str(tmp_path),
                       "--checkpoint-dir", str(tmp_path / "ckpt"), "--verbose", "0"])
    assert meta["config"]["lr"] == 0.1 and meta["config"]["batch_size"] == 128 and not meta["config"]["bn"]
    assert meta["args"]["weight_decay"] is None  # the seed's SGD has none, so the card must not show one
    assert (tmp_path / "nin_d2l.weights.h5").is_file()
    history = meta["history"]
    for key in ("loss", "accuracy", "val_accuracy"):  # train loss, train acc, held-out acc: one per epoch
        assert len(history[key]) == 2 and all(np.isfinite(history[key])), (key, history[key])
    assert json.loads((tmp_path / "nin_d2l.history.json").read_text())["loss"] == history["loss"]
    from PIL import Image
    assert Image.open(tmp_path / "nin_d2l_curves.png").size[0] > 300


def test_augmentation_keeps_shape_range_and_changes_images():
    rng = np.random.default_rng(0)
    x = np.random.default_rng(1).random((64, 28, 28)).astype(np.float32)
    y = augment_batch(x.copy(), rng, shape_p=0.5)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert not np.allclose(x, y)


def test_cutout_augmentation_ends_as_the_apps_cut_photos_do():
    """as_cutout: a real training garment, photographed (light, creases, prints) and cut out, ends as the
    app's photo path leaves a cut-out photo: at Fashion-MNIST's garment brightness (match_brightness),
    varied inside as photographed garments are, and not the clean image."""
    from nin.core import data
    from nin.pipeline.preprocess import GARMENT_BRIGHTNESS, garment_mask
    from nin.pipeline.imitations import _photographed, as_cutout

    (x, y), _ = data.load_fashion_mnist()
    rng = np.random.default_rng(0)
    brightness = []
    for i in [int(np.flatnonzero(y == c)[0]) for c in range(10)]:
        clean = x[i].astype(np.float32) / 255
        out = as_cutout(clean, rng)
        assert out.shape == (28, 28) and out.min() >= 0 and out.max() <= 1
        brightness.append(out[garment_mask(out)].mean())
        assert np.abs(out - clean).mean() > 0.02
        # the photographed garment varies inside (light, creases, prints) where the flat cut-out would not
        photo = 1 - clean
        m = garment_mask(clean)
        varied = [_photographed(photo, m, np.random.default_rng(s))[m].std() for s in range(8)]
        assert np.mean(varied) > photo[m].std(), (y[i], varied)
    # a gamma brings the garment to Fashion-MNIST's mean brightness (thin sandal straps land a little off)
    assert abs(np.median(brightness) - GARMENT_BRIGHTNESS) < 0.05 and np.ptp(brightness) < 0.3, brightness
