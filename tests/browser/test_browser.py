"""End-to-end UI tests: the real app (conftest's `app_url`) in a real headless browser.

Debian's chromium (/usr/bin/chromium) driven by Playwright; no browser is ever downloaded.
Every test saves a screenshot to test-artifacts/<name>.png to look at after a run.
The shipped weights may be a barely-trained placeholder, so no test depends on *which*
class is predicted: only that a prediction (class names from Fashion-MNIST and percentages)
appears where a user would look for it."""
import os
import re
import shutil
from io import BytesIO

import pytest
from helpers import ROOT
from pages import (
    CLASSES,
    TSHIRT,
    WAIT,
    draw_tshirt,
    drawing_square,
    expect_model_view,
    expect_no_prediction,
    expect_prediction,
    expect_whole_picture,
    image_block,
    open_tab,
    predict_button,
    select_brush,
    shot,
    touch_draw,
    upload,
    visible,
    wait_until_idle,
)
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def test_sketchpad_opens_with_brush_selected(page):
    open_tab(page, "Draw")
    try:
        expect(page.locator("#sketch button[aria-label='Brush']")).to_have_class(
            re.compile(r"\bhighlight\b"), timeout=10_000)
        expect(page.get_by_text("select the draw tool to start")).to_have_count(0)
    finally:
        shot(page, "draw_on_load", full_page=False)


def test_draw_and_predict(page):
    open_tab(page, "Draw")
    expect_no_prediction(page, "sketch-label")
    draw_tshirt(page)
    # let the live update end first, so the button's prediction is the last word
    wait_until_idle(page)
    predict_button(page).click()
    headline = expect_prediction(page, "sketch-label")
    expect_model_view(page, whole=True)
    shot(page, "draw")
    expect_prediction(page, "sketch-label")  # still there: no late live update wiped it
    assert not page.js_errors, page.js_errors
    print("drawing predicted as", headline)


def test_page_says_how_long_images_are_kept(page):
    note = visible(page.get_by_text("Images are deleted from this server after 1 hour and never leave it."))
    expect(note).to_be_visible()
    expect(page.locator("#sketch-top1")).to_be_hidden()  # a wide screen shows the guesses beside the drawing


def test_draw_predicts_live_without_button(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    try:
        expect_prediction(page, "sketch-label", timeout=30_000)  # a live update takes seconds
    finally:
        shot(page, "draw_live")


def test_upload_predicts(page):
    open_tab(page, "Upload")
    expect_no_prediction(page, "upload-label")
    upload(page, ROOT / "examples" / "0002_trouser.png")
    expect(page.locator("#upload img")).to_have_attribute("src", re.compile(r"0002_trouser\.png"))
    expect_prediction(page, "upload-label")  # live, on change
    expect_model_view(page, whole=True)
    predict_button(page).click()
    expect_prediction(page, "upload-label")
    shot(page, "upload")

    # clearing the input clears the guesses; an example from the gallery predicts again
    page.locator("#upload button[aria-label='Remove Image']").click()
    expect_no_prediction(page, "upload-label")
    example = page.locator("button.gallery-item").filter(has=page.locator("img[src*='0018_bag.png']"))
    expect(example).to_have_count(1)
    example.click()
    expect(page.locator("#upload img")).to_have_attribute("src", re.compile(r"0018_bag\.png"))
    expect_prediction(page, "upload-label")
    expect_model_view(page)
    shot(page, "upload_example")
    assert not page.js_errors, page.js_errors


def test_bad_upload_shows_clear_error_and_page_recovers(page, tmp_path):
    bad = tmp_path / "corrupt.png"
    bad.write_bytes(os.urandom(4096))
    open_tab(page, "Upload")
    upload(page, bad)
    predict_button(page).click()
    toasts = page.locator("[data-testid='toast-body']")
    expect(toasts.first).to_be_visible(timeout=WAIT)
    texts = page.locator("[data-testid='toast-text']")  # one or more (a live error may come too)
    expect(texts.first).to_be_visible()
    for message in texts.all_inner_texts():
        message = message.strip()
        assert message.lower() not in ("", "error"), message
        assert len(message) > 20 and "image" in message.lower(), message
        assert "Traceback" not in message and "Exception" not in message, message
    # the toast flies in: let it settle before the screenshot (to_be_visible accepts opacity 0)
    expect(toasts.first).to_have_css("opacity", "1")
    expect(toasts.first).to_have_css("transform", re.compile(r"^(none|matrix\(1, 0, 0, 1, 0, 0\))$"))
    shot(page, "bad_upload", full_page=False)
    expect_no_prediction(page, "upload-label")

    # the page stays usable: close the error, upload a good file, get a prediction
    for close in toasts.locator("[data-testid='toast-close']").all():
        try:
            close.click(timeout=5_000)
        except PlaywrightError:
            pass  # already gone with the one before it
    expect(toasts).to_have_count(0, timeout=15_000)
    good = tmp_path / "0009_sneaker.png"
    shutil.copy(ROOT / "examples" / "0009_sneaker.png", good)
    upload(page, good)
    expect_prediction(page, "upload-label")
    predict_button(page).click()
    expect_prediction(page, "upload-label")
    expect_model_view(page)
    expect(toasts).to_have_count(0)  # no error for the good file
    shot(page, "bad_upload_recovered")
    assert not page.js_errors, page.js_errors


def test_architecture_tab(page):
    open_tab(page, "Architecture")
    table = page.locator("#arch-table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("(1, 54, 54, 96)")
    expect(table).to_contain_text(re.compile(r"1,?992,?166"))
    expect(table).to_contain_text("total")
    expect(visible(page.locator("img[src*='architecture.png']"))).to_be_visible()
    wait_until_idle(page)  # the page's load events redraw the table in its language: shoot it settled, not dimmed
    shot(page, "architecture")
    assert not page.js_errors, page.js_errors


def test_model_tab(page):
    open_tab(page, "Model")
    expect(visible(page.get_by_text("Test accuracy")).first).to_be_visible(timeout=WAIT)
    expect(visible(page.get_by_text("Parameters:")).first).to_be_visible()
    for name in ("Training curves", "Confusion matrix"):
        img = image_block(page, name).locator("img")
        expect(img).to_be_visible(timeout=WAIT)
        expect_whole_picture(page, img, square=False)  # the stage labels and the top row are not covered
    shot(page, "model")
    assert not page.js_errors, page.js_errors


def test_phone_touch_drawing_shows_the_guess_beside_the_square(phone):
    """At 390x844, a person drawing with a finger sees the top guess appear without scrolling."""
    page = phone
    select_brush(page)
    sq = drawing_square(page)
    assert sq["y"] >= 0 and sq["y"] + sq["height"] <= 844, f"the drawing square is not on the first screen: {sq}"
    touch_draw(page, TSHIRT)
    img = Image.open(BytesIO(page.screenshot(clip=sq))).convert("L")
    assert min(img.getdata()) < 100, "the finger stroke left no ink in the square"
    top = page.locator("#sketch-top1")
    expect(top).to_have_text(re.compile(r"^\s*(" + "|".join(re.escape(c) for c in CLASSES) + r") \d{1,3}%\s*$"),
                             timeout=WAIT)
    assert page.evaluate("window.scrollY") == 0, "the page scrolled"
    box = top.bounding_box()
    assert box["y"] >= sq["y"] + sq["height"] - 1, (box, sq)  # under the square ...
    assert box["y"] + box["height"] <= 844, (box, sq)  # ... and in the same screen
    sq_after = drawing_square(page)
    assert abs(sq_after["y"] - sq["y"]) < 1, "the square moved while the guess appeared"
    expect(page.locator("#sketch-label [data-testid='label-output-value']")).to_have_text(
        top.inner_text().strip().rsplit(" ", 1)[0])  # the line agrees with the full guesses further down
    shot(page, "phone_draw", full_page=False)
    assert not page.js_errors, page.js_errors
