"""The "Inside the network" tab in a real headless Chromium against the real app (see test_browser.py).
Screenshots: test-artifacts/inside_*.png."""
import re

import pytest
from playwright.sync_api import expect

from conftest import ROOT
from test_browser import (WAIT, browser, draw_tshirt, expect_prediction, expect_whole_picture, open_tab,  # noqa: F401
                          page, shot, upload, wait_until_idle)

pytestmark = pytest.mark.slow

STEPS = 13  # the resize, the seed's 11 layers, softmax


def thumbnails(page):
    return page.locator("#inside-gallery .thumbnail-item")


def expect_every_layer(page, source):
    """Thirteen captioned pictures, the first naming `source`; the grids on screen have really loaded."""
    captions = page.locator("#inside-gallery .caption-label")
    expect(captions.first).to_contain_text(source, timeout=WAIT)
    expect(thumbnails(page)).to_have_count(STEPS)
    texts = captions.all_inner_texts()
    assert [t.split(" · ")[0] for t in texts[1:3]] == ["nin_block_1 (1, 54, 54, 96)", "max_pool_1 (1, 26, 26, 96)"]
    assert texts[8].startswith("nin_block_4 (1, 5, 5, 10)") and texts[-1].startswith("softmax (1, 10)")
    for i in range(3):  # the first row is on screen: its pictures are decoded, at their real size
        img = thumbnails(page).nth(i).locator("img")
        expect(img).to_have_attribute("src", re.compile(r"/gradio_api/file="))
        expect(img).to_be_visible()
        page.wait_for_function("i => i.complete && i.naturalWidth > 400", arg=img.element_handle(), timeout=WAIT)
    return texts


def test_inside_view_shows_every_layer_of_the_drawing(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    wait_until_idle(page)  # the live updates (Guesses, remembered image) have ended
    expect_prediction(page, "sketch-label")
    open_tab(page, "Inside the network")
    expect(page.get_by_text("no dense layer")).to_be_visible()
    texts = expect_every_layer(page, "your drawing")
    wait_until_idle(page)
    for i in range(3):  # no caption, badge or button over a picture of the first row
        expect_whole_picture(page, thumbnails(page).nth(i).locator("img"), square=False)
    shot(page, "inside_drawing")
    thumbnails(page).nth(1).click()  # enlarge nin_block_1's grid
    expect(page.locator("#inside-gallery [data-testid='detailed-image']")).to_be_visible(timeout=WAIT)
    expect(page.locator("#inside-gallery .preview caption")).to_contain_text("nin_block_1 (1, 54, 54, 96)")
    shot(page, "inside_drawing_enlarged", full_page=False)
    assert not page.js_errors, page.js_errors
    print(texts[-1])


def test_example_first_then_look_inside_the_upload(page):
    open_tab(page, "Inside the network")
    expect_every_layer(page, "an example")  # before anything is drawn or uploaded
    open_tab(page, "Upload")
    upload(page, ROOT / "examples" / "0018_bag.png")
    headline = expect_prediction(page, "upload-label")
    wait_until_idle(page)
    page.locator("#upload-inside").click()
    expect(page.get_by_role("tab", name="Inside the network")).to_have_attribute("aria-selected", "true", timeout=WAIT)
    texts = expect_every_layer(page, "your upload")
    # the softmax picture is the Guesses: its caption starts its top three with the Guesses' headline
    assert texts[-1].split(": ", 1)[1].startswith(headline + " "), (texts[-1], headline)
    wait_until_idle(page)
    expect(page.locator("#inside-gallery .caption-label").first).to_contain_text("your upload")  # nothing overwrote it
    thumbnails(page).nth(STEPS - 1).scroll_into_view_if_needed()
    shot(page, "inside_upload")
    assert not page.js_errors, page.js_errors
