"""Staged training (several input sizes, one schedule), per-epoch checkpoints and --resume, on real data."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

STAGED = ["--recipe", "modern", "--stages", "96:1,112:1", "--limit", "192", "--batch-size", "64",
          "--drawings", "0.3", "--verbose", "0"]


def test_stage_schedule_writes_loadable_weights_listing_every_stage(tmp_path):
    from nin.training import train
    from nin.core.weights import load_net, read_metadata

    meta = train.main(STAGED + ["--out", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ckpt")])
    saved = read_metadata(tmp_path / "nin_modern.weights.h5")
    assert [(s["image_size"], s["epochs"]) for s in saved["stages"]] == [(96, 1), (112, 1)]
    assert all(s["wall_seconds"] > 0 and s["images_per_s"] > 0 for s in saved["stages"])
    assert saved["epochs"] == 2 and saved["image_size"] == 112
    assert saved["history"]["image_size"] == [96, 112] and len(saved["history"]["val_accuracy"]) == 2
    net = load_net(tmp_path / "nin_modern.weights.h5")
    assert net.count_params() == 1_992_166  # BN folded once, at the end: the seed network
    # the folded network at the last stage's size scores what training measured there
    assert meta["test_accuracy"] == pytest.approx(saved["history"]["val_accuracy"][-1], abs=1e-6)
    state = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert state["epochs_done"] == 2


def _train_cmd(tmp_path, *extra):
    return [sys.executable, "-m", "nin.training.train", "--recipe", "modern", "--stages", "96:2,112:1", "--limit", "640",
            "--batch-size", "32", "--verbose", "0", "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ckpt"), *extra]


def test_a_killed_run_resumes_at_the_next_epoch_with_its_optimizer_state(tmp_path):
    import keras

    from nin.core import model as nin_model
    from nin.training.train import load_checkpoint

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(_train_cmd(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_file = tmp_path / "ckpt" / "state.json"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        if state_file.is_file() and json.loads(state_file.read_text())["epochs_done"] >= 1:
            proc.send_signal(signal.SIGKILL)  # as a power cut would: no clean-up
            break
        time.sleep(0.05)
    proc.wait(60)
    killed_at = json.loads(state_file.read_text())["epochs_done"]
    assert 1 <= killed_at < 3, "the run was not interrupted mid-way"

    # the checkpoint holds the optimizer where it stopped: step count, learning rate, Adam moments
    net = nin_model.build_nin_bn(None)
    opt = keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(0.0, 50, warmup_target=1e-3, warmup_steps=3))
    state = load_checkpoint(tmp_path / "ckpt", net, opt, json.loads(state_file.read_text())["run"])
    steps_per_epoch = 640 // 32
    assert int(opt.iterations.numpy()) == killed_at * steps_per_epoch
    moments = [v for v in opt.variables if "momentum" in v.path]
    assert moments and all(np.abs(v.numpy()).sum() > 0 for v in moments)
    assert len(state["history"]["loss"]) == killed_at

    r = subprocess.run(_train_cmd(tmp_path, "--resume"), env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"resuming {tmp_path / 'ckpt'}: {killed_at} of 3 epochs done, optimizer at step {killed_at * steps_per_epoch}" in r.stdout
    assert f"epoch {killed_at + 1} (" in r.stdout and f"epoch {killed_at} (" not in r.stdout  # next epoch, not a repeat
    final = json.loads(state_file.read_text())
    assert final["epochs_done"] == 3
    assert final["history"]["image_size"] == [96, 96, 112]  # every epoch once, in order
    assert len(final["history"]["loss"]) == 3
    opt_saved = np.load(tmp_path / "ckpt" / "optimizer.npz")
    assert int(opt_saved["v0000"]) == 3 * steps_per_epoch  # one schedule: the step count ran on across stages
    meta = json.loads((tmp_path / "out" / "nin_modern.json").read_text())
    assert [s["image_size"] for s in meta["stages"]] == [96, 112] and meta["epochs"] == 3


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    from nin.training import train

    train.main(STAGED + ["--out", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ckpt")])
    other = [a if a != "96:1,112:1" else "96:2,112:1" for a in STAGED]
    with pytest.raises(SystemExit, match="is of another run"):
        train.main(other + ["--out", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ckpt"), "--resume"])
    with pytest.raises(SystemExit, match="no checkpoint"):
        train.main(STAGED + ["--out", str(tmp_path), "--checkpoint-dir", str(tmp_path / "none"), "--resume"])


@pytest.mark.parametrize("text", ["112", "112:x", "64:3", "112:0"])
def test_bad_stage_schedules_get_one_line(text):
    from nin.training.train import parse_stages

    with pytest.raises(SystemExit, match="--stages"):
        parse_stages(text, 1, 224)


def test_a_fine_tune_from_a_staged_run_keeps_every_stage_in_its_card(tmp_path):
    from nin.ship import card
    from nin.training import train
    from nin.core.weights import read_metadata

    train.main(STAGED + ["--out", str(tmp_path / "parent"), "--checkpoint-dir", str(tmp_path / "ckpt1")])
    parent = tmp_path / "parent" / "nin_modern.weights.h5"
    train.main(["--recipe", "modern", "--init", str(parent), "--epochs", "1", "--image-size", "112", "--limit", "192",
                "--batch-size", "64", "--drawings", "0.3", "--uploads", "0.3", "--verbose", "0",
                "--out", str(tmp_path / "child"), "--checkpoint-dir", str(tmp_path / "ckpt2")])
    child = read_metadata(tmp_path / "child" / "nin_modern.weights.h5")
    assert [(s["image_size"], s["epochs"], s["network"]) for s in child["stages"]] == [
        (96, 1, "BN"), (112, 1, "BN"), (112, 1, "folded")]
    assert child["history"]["image_size"] == [96, 112, 112] and child["total_epochs"] == 3
    assert child["init_from"]["epochs"] == 2 and child["args"]["uploads"] == 0.3
    text = card.card_section(tmp_path / "child" / "nin_modern.weights.h5")
    assert "3 epochs in all (2 + 1 fine-tuning)" in text
    assert text.count("| 112 px |") == 2 and "BN folded (the seed network)" in text


def test_upload_augmentation_recentres_the_garment_as_the_app_does():
    from nin.core.data import load_split
    from nin.pipeline.preprocess import center_28
    from nin.pipeline.imitations import as_upload

    x, _ = load_split("test")
    rng = np.random.default_rng(0)
    images = x[:40].astype(np.float32) / 255.0
    recentred = np.stack([center_28(img) for img in images]).reshape(40, -1)
    own = []
    for i, img in enumerate(images):
        up = as_upload(img, rng)
        assert up.shape == (28, 28) and up.dtype == np.float32 and 0 <= up.min() and up.max() <= 1
        ys, xs = np.nonzero(up > 0.1)
        assert max(np.ptp(ys), np.ptp(xs)) >= 24  # longest side scaled to (nearly) 28 px, as uploads are
        assert abs((ys.min() + ys.max()) / 2 - 13.5) <= 2 and abs((xs.min() + xs.max()) / 2 - 13.5) <= 2
        # the same garment, only resampled and dimmed: close to its own re-centred original
        own.append(np.corrcoef(up.ravel(), recentred[i])[0, 1])
    assert min(own) > 0.8 and np.median(own) > 0.93


def test_ema_ships_the_moving_average_and_reports_its_test_accuracy(tmp_path):
    import keras

    from nin.core import model as nin_model

    from nin.training import train
    from nin.training.train import load_checkpoint
    from nin.core.weights import load_net, read_metadata

    meta = train.main(["--recipe", "d2l", "--epochs", "2", "--image-size", "96", "--limit", "192", "--batch-size", "32",
                       "--ema", "0.9", "--verbose", "0", "--out", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ckpt")])
    assert read_metadata(tmp_path / "nin_d2l.weights.h5")["args"]["ema"] == 0.9
    # the per-epoch test accuracy was measured on the average, the same weights that are shipped
    assert meta["test_accuracy"] == pytest.approx(meta["history"]["val_accuracy"][-1], abs=1e-6)
    # what is shipped is the optimizer's moving average of the weights, not the last step's weights
    opt = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9)
    load_checkpoint(tmp_path / "ckpt", nin_model.build_nin(None), opt,
                    json.loads((tmp_path / "ckpt" / "state.json").read_text())["run"])
    averages = [v.numpy() for v in opt.variables if "average" in v.path]
    shipped = load_net(tmp_path / "nin_d2l.weights.h5").get_weights()
    assert len(averages) == len(shipped) == 24  # 12 convolutions, kernel and bias
    assert all(np.allclose(a, w) for a, w in zip(averages, shipped))
