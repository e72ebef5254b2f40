"""Retention: uploads, drawings and output pictures are deleted after --delete-after seconds
(through Gradio's delete_cache), the page says so, and the app still answers afterwards."""
import os
import subprocess
import sys
import time

import httpx
import numpy as np
from PIL import Image

from helpers import ROOT, running_app
from nin.serve import websafety

DELETE_AFTER = 4  # seconds; delete_cache then checks every second


def test_retention_settings_and_note():
    assert websafety.delete_cache(3600) == (300, 3600)  # files live at most 65 minutes
    assert websafety.delete_cache(DELETE_AFTER) == (1, DELETE_AFTER)
    assert websafety.retention_note(3600) == "Images are deleted from this server after 1 hour and never leave it."
    assert websafety.retention_note(90) == "Images are deleted from this server after 90 seconds and never leave it."
    assert websafety.retention_note(86400 * 2).endswith("after 2 days and never leave it.")


def test_delete_after_must_be_positive():
    p = subprocess.run([sys.executable, "app.py", "--delete-after", "0"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "--delete-after: must be at least 1 second" in p.stderr.strip().splitlines()[-1]


def test_sketchpad_files_are_handed_to_delete_cache(tmp_path, monkeypatch):
    """The Sketchpad's preprocess writes its layers into the cache without telling delete_cache;
    track_cache_files does, and Gradio's own deletion then removes them."""
    import gradio as gr

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with gr.Blocks() as blocks:
        sketch = gr.Sketchpad()
    files = []
    for name in ("layer.png", "composite.png"):
        (tmp_path / name[:3]).mkdir()
        files.append(tmp_path / name[:3] / name)
        Image.new("RGBA", (8, 8)).save(files[-1])
    outside = ROOT / "examples" / "0002_trouser.png"
    seen = websafety.track_cache_files(sketch, lambda value, k: value["composite"])(
        {"background": str(outside), "layers": [str(files[0])], "composite": str(files[1])}, 3)
    assert seen == str(files[1])
    assert sketch.temp_files == {str(f) for f in files}  # not the example outside the cache
    websafety.delete_old_files(blocks, age=None)
    assert not any(f.exists() for f in files) and outside.exists()
    websafety.prune_empty_folders(tmp_path, age=-1)
    assert not (tmp_path / "lay").exists() and not (tmp_path / "com").exists()


def test_deletion_survives_files_added_while_it_runs(tmp_path):
    """Requests add files to Gradio's sets while the deletion runs (Gradio's own deletion then dies
    with 'Set changed size during iteration' and never runs again)."""
    import threading

    import gradio as gr

    with gr.Blocks() as blocks:
        sketch = gr.Sketchpad()
    old = []
    for i in range(300):
        old.append(tmp_path / f"old-{i}.png")
        old[-1].write_bytes(b"x")
        sketch.temp_files.add(str(old[-1]))
    stop = threading.Event()

    def requests_arriving():  # 20,000 new names, in bursts, while the deletion runs
        for i in range(20_000):
            if stop.is_set():
                return
            sketch.temp_files.add(str(tmp_path / f"new-{i}.png"))  # never written: gone already
            if i % 50 == 0:
                time.sleep(0.0002)

    adder = threading.Thread(target=requests_arriving)
    adder.start()
    try:
        while adder.is_alive():
            websafety.delete_old_files(blocks, age=None)
    finally:
        stop.set()
        adder.join()
    assert not [p for p in old if p.exists()]


def garment_png(path, seed):
    """A dark garment-like shape on white, made unique by its seed (a new file for the cache)."""
    rng = np.random.default_rng(seed)
    a = np.full((160, 120), 245, np.uint8)
    a[24:136, 30:54], a[24:48, 30:102], a[72:93, 30:78] = 30, 30, 30
    a = np.clip(a.astype(int) + rng.integers(-6, 7, a.shape), 0, 255).astype(np.uint8)
    Image.fromarray(a).save(path)
    return str(path)


def test_files_are_deleted_and_the_app_still_answers(tmp_path):
    from gradio_client import Client, handle_file

    cache = tmp_path / "cache"
    with running_app(["--delete-after", str(DELETE_AFTER)], cache_dir=cache, log_path=tmp_path / "app.log") as (url, _):
        config = httpx.get(f"{url}config", timeout=30).text
        assert f"Images are deleted from this server after {DELETE_AFTER} seconds and never leave it." in config
        client = Client(url, verbose=False, download_files=str(tmp_path / "downloads"))
        photo = garment_png(tmp_path / f"photo-{os.getpid()}.png", 1)
        label, seen, cam, _ = client.predict(handle_file(photo), 3, api_name="/explain_upload")
        layer = np.zeros((400, 400, 4), np.uint8)
        layer[80:320, 150:190, 3] = layer[80:130, 150:300, 3] = 255
        Image.fromarray(layer, "RGBA").save(tmp_path / f"layer-{os.getpid()}.png")
        sketch = {"background": None, "layers": [handle_file(str(tmp_path / f"layer-{os.getpid()}.png"))],
                  "composite": None}
        assert client.predict(sketch, 3, api_name="/predict_sketch")["label"]

        made = [p for p in cache.rglob("*") if p.is_file() and p.name.startswith(("photo-", "layer-"))]
        outputs = list((cache / websafety.OUTPUTS_FOLDER).glob("*.png"))
        assert len(made) == 2 and len(outputs) == 2, (made, outputs)  # the upload, the drawing, two pictures
        folders = {p.parent for p in made}
        deadline = time.monotonic() + DELETE_AFTER + 20  # age + a check + slack for a busy machine
        while time.monotonic() < deadline and any(p.exists() for p in made + outputs + list(folders)):
            time.sleep(0.5)
        assert not [p for p in made + outputs if p.exists()], "files outlived --delete-after"
        assert not [f for f in folders if f.exists()], "their empty folders were left behind"

        # still answering, pictures included (the same pictures again: they are written anew)
        label2, seen2, cam2, _ = client.predict(handle_file(photo), 3, api_name="/explain_upload")
        assert label2 == label
        assert np.asarray(Image.open(seen2)).shape[:2] == (224, 224)
        assert len(list((cache / websafety.OUTPUTS_FOLDER).glob("*.png"))) == 2
