"""The garment verdict on the page, in a real headless Chromium against the real app (see pages.py and conftest.py here).
Screenshots: test-artifacts/garment_verdict_desktop.png and garment_verdict_phone.png."""
import numpy as np
import pytest
from helpers import example
from pages import (
    WAIT,
    draw,
    expect_prediction,
    open_tab,
    select_brush,
    shot,
    upload,
    wait_until_idle,
)
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

SENTENCE = "This doesn't look like any of the ten garments I know (T-shirt/top, Trouser,"


def test_noise_upload_shows_the_verdict_above_the_guesses_and_as_the_phone_top_line(page, tmp_path):
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (280, 280, 3), dtype=np.uint8)).save(noise)
    open_tab(page, "Upload")
    verdict = page.locator("#upload-label-verdict")
    upload(page, noise)
    expect(verdict).to_contain_text(SENTENCE, timeout=WAIT)
    expect_prediction(page, "upload-label")  # the guesses still show, under the line
    wait_until_idle(page)
    line, guesses = verdict.bounding_box(), page.locator("#upload-label").bounding_box()
    assert line["y"] + line["height"] <= guesses["y"] + 1, (line, guesses)
    shot(page, "garment_verdict_desktop", full_page=False)

    # a garment clears the line
    upload(page, example("0002_trouser"))
    expect(page.locator("#upload-label [data-testid='label-output-value']")).to_have_text("Trouser", timeout=WAIT)
    expect(verdict).not_to_contain_text("garments I know", timeout=WAIT)

    # on a phone the line under the input is the verdict, not the top guess
    upload(page, noise)
    expect(verdict).to_contain_text(SENTENCE, timeout=WAIT)
    page.set_viewport_size({"width": 390, "height": 844})
    top = page.locator("#upload-top1")
    expect(top).to_be_visible()
    expect(top).to_contain_text(SENTENCE)
    top.scroll_into_view_if_needed()
    shot(page, "garment_verdict_phone", full_page=False)
    assert not page.js_errors, page.js_errors


def test_a_tree_drawn_on_the_draw_tab_shows_the_verdict(page):
    """The drawing path's check reads the drawing and its mirror image (docs/garment_score.md): a tree
    drawn with the mouse, a trunk under a round crown, gets the sentence above its guesses."""
    open_tab(page, "Draw")
    select_brush(page)
    draw(page, [(0.45, 0.9), (0.45, 0.62), (0.55, 0.62), (0.55, 0.9)])
    t = np.linspace(0, 2 * np.pi, 25)
    draw(page, [(0.5 + 0.25 * np.sin(a), 0.4 - 0.25 * np.cos(a)) for a in t])
    wait_until_idle(page)
    expect(page.locator("#sketch-label-verdict")).to_contain_text(SENTENCE, timeout=WAIT)
    expect_prediction(page, "sketch-label")  # the guesses still show, under the line
    shot(page, "garment_verdict_drawn_tree", full_page=False)
    assert not page.js_errors, page.js_errors
