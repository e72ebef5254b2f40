"""What several test files share that is not a fixture: paths, the app as a user starts it, inputs made
in the test. Fixtures live in conftest.py (tests/) and tests/browser/conftest.py; test files import
helpers from here (tests/browser/pages.py for the browser's), never from another test file."""
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and logs to look at after a run
EXPORTS = ("int8.tflite", "int8.json", "layers.tflite", "layers.json")  # what the app's default runtime reads


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_app(proc, grace_s=20):
    """Terminate a server started by a test; kill it if it does not stop within grace_s."""
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def wait_for_app(proc, url, log_path, limit_s):
    """Until the server at url answers 200; fails the test if it exits or stays silent."""
    deadline = time.time() + limit_s
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app exited with {proc.returncode}: {Path(log_path).read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"app did not answer within {limit_s} s")


@contextlib.contextmanager
def running_app(args=(), cache_dir=None, log_path=None, limit_s=180):
    """`python app.py ARGS` as a user starts it, on a free loopback port: yields (url, process);
    stopped afterwards. Its output (stdout and stderr) goes to log_path."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = Path(log_path or ARTIFACTS / "app-server.log")
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    if cache_dir:
        env["GRADIO_TEMP_DIR"] = str(cache_dir)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_app(proc, url, log_path, limit_s)
        yield url, proc
    finally:
        stop_app(proc)


def example(name_start):
    """Path of the shipped example whose file name starts with this (e.g. '0002_trouser')."""
    matches = sorted((ROOT / "examples").glob(f"{name_start}*"))
    assert matches, f"no example {name_start}"
    return str(matches[0])


# --- inputs made in the test ---

def sketch_files(tmp_path, layer):
    """The sketchpad value as the browser sends it: white background, one RGBA layer, composite."""
    bg = Image.new("RGBA", layer.size, "white")
    composite = Image.alpha_composite(bg, layer)
    for name, im in (("background", bg), ("layer", layer), ("composite", composite)):
        im.save(tmp_path / f"{name}.png")
    return {"background": _handle_file(str(tmp_path / "background.png")),
            "layers": [_handle_file(str(tmp_path / "layer.png"))],
            "composite": _handle_file(str(tmp_path / "composite.png"))}


def layer_value(ink):
    """A Sketchpad value as the Draw tab sends it: the drawn strokes as one RGBA layer (numpy uint8 alpha)."""
    layer = np.zeros(ink.shape + (4,), np.uint8)
    layer[..., 3] = ink
    return {"background": None, "layers": [Image.fromarray(layer, "RGBA")], "composite": None}


def drawn(strokes, canvas=400, width=6):
    """Black 6 px strokes (as the Draw tab's brush) on a 400x400 canvas: [("line"|"circle", args)]."""
    ink = np.zeros((canvas, canvas), np.uint8)
    for kind, args in strokes:
        if kind == "line":
            cv2.polylines(ink, [np.array(args, np.int32).reshape(-1, 1, 2)], False, 255, width, cv2.LINE_AA)
        else:
            cv2.circle(ink, args[0], args[1], 255, width, cv2.LINE_AA)
    return layer_value(ink)


# Doodles as people draw them (the Draw tab's 400x400 canvas, 6 px brush).
TSHIRT = [("line", [(140, 80), (80, 112), (48, 180), (100, 200), (120, 168), (120, 340), (280, 340), (280, 168),
                    (300, 200), (352, 180), (320, 112), (260, 80), (200, 108), (140, 80)])]
# A car: body, roof, two wheels.
CAR = [("line", [(40, 260), (40, 200), (120, 200), (160, 140), (280, 140), (320, 200), (370, 200), (370, 260), (40, 260)]),
       ("circle", ((110, 270), 35)), ("circle", ((300, 270), 35))]
# Rain: short dashes all over the canvas.
RAIN = [("line", [(x + (y % 80) // 2, y), (x + (y % 80) // 2 - 10, y + 30)]) for x in range(50, 400, 90) for y in range(40, 400, 90)]
# A scribble: one short stroke in a corner of the square.
SCRIBBLE = [("line", [(40, 40), (55, 47)])]


def _handle_file(path):
    from gradio_client import handle_file

    return handle_file(path)
