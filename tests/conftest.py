"""Shared fixtures: the real data set, the shipped weights, and the real app on loopback."""
import json
import shutil
from pathlib import Path

import pytest

from helpers import EXPORTS, running_app


@pytest.fixture(scope="session")
def test_split():
    from nin.core.data import load_split

    x, y = load_split("test")
    return x, y.astype(int)


@pytest.fixture(scope="session")
def classifier():
    from nin.serve.inference import Classifier

    return Classifier()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app with its default settings; stopped after the session."""
    with running_app(cache_dir=tmp_path_factory.mktemp("gradio-cache")) as (url, _):
        yield url


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture
def bare_weights(tmp_path):
    """A copy of the shipped weights (and exports) whose metadata predates calibration."""
    from nin.core.weights import DEFAULT_WEIGHTS, WEIGHTS_DIR, read_metadata

    stem = DEFAULT_WEIGHTS.name.replace(".weights.h5", "")
    shutil.copy(DEFAULT_WEIGHTS, tmp_path / DEFAULT_WEIGHTS.name)
    for suffix in EXPORTS:
        if (WEIGHTS_DIR / f"{stem}.{suffix}").is_file():
            shutil.copy(WEIGHTS_DIR / f"{stem}.{suffix}", tmp_path / f"{stem}.{suffix}")
    meta = {k: v for k, v in read_metadata(DEFAULT_WEIGHTS).items() if k not in ("calibration", "garment_check")}
    (tmp_path / f"{stem}.json").write_text(json.dumps(meta))
    return tmp_path / DEFAULT_WEIGHTS.name


def pytest_addoption(parser):
    parser.addoption("--update-docs-screenshots", action="store_true", default=False,
                     help="tests/browser/test_screenshots.py also writes docs/draw_tab.png and docs/inside_view.png")


# --- tiers: markers set from what a test uses, so they cannot drift (docs/testing.md) ---
# `python -m pytest -m fast` is the edit-test loop; the README's `python -m pytest` runs every tier.
BROWSER_TESTS = Path(__file__).resolve().parent / "browser"  # every test in it drives Chromium
TIER_FIXTURES = {
    "server": {"app_url", "client", "two_weights_url"},
    "training": {"smoke_run", "seed_run", "fixture_sources"},
}
TIER_CALLS = {"server": ("running_app(", "subprocess.run(", "subprocess.Popen("), "training": ("train.main(", "finetune.main(")}


def tiers_of(item):
    """The tiers a collected test belongs to: browser (tests/browser/), server, training, soak; none of them is fast."""
    import inspect

    names = set(getattr(item, "fixturenames", ()))
    found = {tier for tier, fixtures in TIER_FIXTURES.items() if names & fixtures}
    if BROWSER_TESTS in Path(str(item.path)).resolve().parents:
        found.add("browser")
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
