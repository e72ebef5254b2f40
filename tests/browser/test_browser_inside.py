"""The "Inside the network" tab in a real headless Chromium against the real app (see pages.py and conftest.py here).
Screenshots: test-artifacts/inside_*.png."""

import pytest
from helpers import ROOT
from pages import (
    STEPS,
    WAIT,
    draw_tshirt,
    expect_every_layer,
    expect_prediction,
    expect_whole_picture,
    open_tab,
    shot,
    thumbnails,
    upload,
    wait_until_idle,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

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
