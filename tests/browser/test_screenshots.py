"""The README's two pictures, made by driving the real app in Debian's chromium (see pages.py and conftest.py here):
a T-shirt drawn on the Draw tab with the app's guess, and the Inside-the-network view of that drawing.

    python -m pytest tests/browser/test_screenshots.py --update-docs-screenshots   # rewrites docs/draw_tab.png, docs/inside_view.png

Without the option the pictures go to test-artifacts/ only (so an ordinary test run leaves the
work tree as it was); either way the test checks that the page shows a sensible guess first.
"""
import shutil

import pytest
from helpers import ARTIFACTS, ROOT
from pages import (
    draw_tshirt,
    expect_every_layer,
    expect_model_view,
    expect_prediction,
    open_tab,
    predict_button,
    wait_until_idle,
)

pytestmark = pytest.mark.slow

DOCS = ROOT / "docs"
PICTURES = {"draw_tab": "the Draw tab with a drawn T-shirt and its guesses",
            "inside_view": "the Inside-the-network view of that drawing"}


def save(page, name, locator=None):
    """A screenshot to test-artifacts/<name>.png (of `locator`'s box, or of the window)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (locator or page).screenshot(path=str(path), animations="disabled")
    return path


def test_readme_screenshots(page, request):
    page.set_viewport_size({"width": 1280, "height": 820})
    open_tab(page, "Draw")
    draw_tshirt(page)  # selects the brush first: Gradio 6.31's Sketchpad opens with no tool selected
    wait_until_idle(page)
    predict_button(page).click()
    headline = expect_prediction(page, "sketch-label")
    assert headline in ("T-shirt/top", "Shirt", "Pullover", "Dress"), f"a drawn T-shirt read as {headline}"
    expect_model_view(page)
    wait_until_idle(page)
    page.mouse.move(5, 5)  # no hover highlight in the picture
    shots = {"draw_tab": save(page, "docs_draw_tab")}

    open_tab(page, "Inside the network")
    texts = expect_every_layer(page, "your drawing")
    assert texts[-1].split(": ", 1)[1].startswith(headline + " "), (texts[-1], headline)  # the same guess
    wait_until_idle(page)
    # the last three rows: the class maps (the drawing's class framed), the logits and the softmax
    page.set_viewport_size({"width": 1280, "height": 1130})
    thumbs = page.locator("#inside-gallery .thumbnail-item")
    thumbs.nth(6).evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12)")
    for i in range(6, 13):  # the rows on screen have loaded their pictures
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=thumbs.nth(i).locator("img").element_handle())
    page.mouse.move(1275, 1125)  # off the pictures: no hover frame
    shots["inside_view"] = save(page, "docs_inside_view")
    assert not page.js_errors, page.js_errors

    if request.config.getoption("--update-docs-screenshots"):
        for name, path in shots.items():
            shutil.copy(path, DOCS / f"{name}.png")
            print(f"wrote docs/{name}.png: {PICTURES[name]} (guess: {headline})")
