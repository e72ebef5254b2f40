"""Shared fixtures: the real data set, the shipped weights, and the real app on loopback."""
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and logs to look at after a run


@pytest.fixture(scope="session")
def test_split():
    from nin.core.data import load_split

    x, y = load_split("test")
    return x, y.astype(int)


@pytest.fixture(scope="session")
def classifier():
    from nin.serve.inference import Classifier

    return Classifier()


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


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app with its default settings; stopped after the session."""
    with running_app(cache_dir=tmp_path_factory.mktemp("gradio-cache")) as (url, _):
        yield url


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def example(name_start):
    """Path of the shipped example whose file name starts with this (e.g. '0002_trouser')."""
    matches = sorted((ROOT / "examples").glob(f"{name_start}*"))
    assert matches, f"no example {name_start}"
    return str(matches[0])


def pytest_addoption(parser):
    parser.addoption("--update-docs-screenshots", action="store_true", default=False,
                     help="tests/test_screenshots.py also writes docs/draw_tab.png and docs/inside_view.png")


# --- tiers: markers set from what a test uses, so they cannot drift (docs/testing.md) ---
# `python -m pytest -m fast` is the edit-test loop; the README's `python -m pytest` runs every tier.
TIER_FIXTURES = {
    "browser": {"browser", "page", "phone"},
    "server": {"app_url", "client", "two_weights_url"},
    "training": {"smoke_run", "seed_run", "fixture_sources"},
}
TIER_CALLS = {"server": ("running_app(", "subprocess.run(", "subprocess.Popen("), "training": ("train.main(", "finetune.main(")}


def tiers_of(item):
    """The tiers a collected test belongs to: browser, server, training, soak; none of them is fast."""
    import inspect

    names = set(getattr(item, "fixturenames", ()))
    found = {tier for tier, fixtures in TIER_FIXTURES.items() if names & fixtures}
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError, AttributeError):
        source = ""
    found |= {tier for tier, calls in TIER_CALLS.items() if any(c in source for c in calls)}
    if item.module.__name__.endswith("test_soak"):
        found.add("soak")
    if item.get_closest_marker("slow"):
        found.add("slow")
    return found


def pytest_collection_modifyitems(config, items):
    for item in items:
        tiers = tiers_of(item)
        for tier in tiers:
            item.add_marker(getattr(pytest.mark, tier))
        if not tiers:
            item.add_marker(pytest.mark.fast)
