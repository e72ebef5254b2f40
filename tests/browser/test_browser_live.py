"""The live Draw tab in Debian's chromium: after every stroke the page's own copy of the strokes
(nin/live_drawing.js) gets the answer, and it is the answer Predict gives for the Sketchpad's value;
the eraser hands the answer back to the Sketchpad; quick strokes end on the whole drawing's answer."""
from io import BytesIO

import numpy as np
from helpers import ARTIFACTS
from pages import (
    WAIT,
    draw,
    draw_tshirt,
    expect_no_prediction,
    expect_prediction,
    image_block,
    open_tab,
    predict_button,
    select_brush,
    shot,
    wait_until_idle,
)
from PIL import Image
from playwright.sync_api import expect

LIVE_BOX = "#sketch-live textarea, #sketch-live input"
TROUSER = [  # the benchmark's trouser (nin/speed/browserbench.py), seven strokes
    [(0.30, 0.15), (0.70, 0.15)], [(0.30, 0.15), (0.25, 0.85)], [(0.25, 0.85), (0.42, 0.85)],
    [(0.42, 0.85), (0.50, 0.35)], [(0.50, 0.35), (0.58, 0.85)], [(0.58, 0.85), (0.75, 0.85)],
    [(0.75, 0.85), (0.70, 0.15)]]
HEADLINES = """() => {
  const seen = window.__headlines = [];
  new MutationObserver(() => {
    const h = document.querySelector('#sketch-label [data-testid="label-output-value"]');
    const text = h ? h.innerText.trim() : '';
    if (text !== (seen[seen.length - 1] || '')) seen.push(text);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def live_value(page):
    return page.locator(LIVE_BOX).input_value()


def seen_picture(page):
    """'What the model sees' as the page shows it now: greyscale floats, 0..1."""
    img = image_block(page, "What the model sees").locator("img")
    expect(img).to_have_count(1, timeout=WAIT)
    data = page.request.get(img.get_attribute("src")).body()
    return np.asarray(Image.open(BytesIO(data)).convert("L"), np.float32) / 255.0


def same_picture(a, b, name):
    """The two 28x28 pictures (shown at 224 px) differ by under 0.03 on average; both are kept side by side."""
    ARTIFACTS.mkdir(exist_ok=True)
    Image.fromarray((np.hstack([a, b]) * 255).astype(np.uint8)).save(ARTIFACTS / f"{name}.png")
    return float(np.abs(a - b).mean()) < 0.03


def headline(page):
    return page.locator("#sketch-label [data-testid='label-output-value']").inner_text().strip()


def predicted(page):
    """(headline, picture) that Predict gives for the Sketchpad's own value."""
    wait_until_idle(page)
    before = image_block(page, "What the model sees").locator("img").get_attribute("src")
    predict_button(page).click()
    wait_until_idle(page)
    expect_prediction(page, "sketch-label")
    return headline(page), seen_picture(page), before


def test_live_answer_is_the_answer_predict_gives(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    expect_prediction(page, "sketch-label")
    assert live_value(page).startswith("data:image/png;base64,"), "the page's script sent no drawing"
    live_headline, live_picture = headline(page), seen_picture(page)
    shot(page, "draw_live_answer")
    button_headline, button_picture, _ = predicted(page)
    assert live_headline == button_headline
    # the page's copy of the strokes and the Sketchpad's own layer become the same 28x28 image
    assert same_picture(live_picture, button_picture, "live_vs_predict"), np.abs(live_picture - button_picture).mean()


def test_quick_strokes_end_on_the_whole_drawing(page):
    """Seven strokes 50-300 ms apart: no answer for a half-finished drawing arrives after the last."""
    open_tab(page, "Draw")
    select_brush(page)
    page.evaluate(HEADLINES)
    sq = None
    for stroke, gap in zip(TROUSER, [50, 300, 120, 80, 200, 150, 0]):
        sq, _ = draw(page, stroke)
        page.wait_for_timeout(gap)
    wait_until_idle(page)
    final_headline, final_picture = headline(page), seen_picture(page)
    shown = page.evaluate("() => window.__headlines")
    shot(page, "draw_live_quick_strokes")
    button_headline, button_picture, _ = predicted(page)
    assert final_headline == button_headline == "Trouser", (shown, button_headline)
    assert same_picture(final_picture, button_picture, "live_quick_vs_predict")
    assert sq is not None


def test_eraser_hands_the_answer_to_the_sketchpad(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    expect_prediction(page, "sketch-label")
    wait_until_idle(page)
    drawn = seen_picture(page)
    page.locator("#sketch button[aria-label='Erase']").click()
    expect(page.locator(LIVE_BOX)).to_have_value("sketchpad")
    expect_prediction(page, "sketch-label")  # picking the eraser keeps the answer on show
    sq, at = draw(page, [(0.1, 0.5), (0.9, 0.5)])  # erase a band across the shirt's middle
    wait_until_idle(page)
    expect_prediction(page, "sketch-label")
    erased = seen_picture(page)
    assert np.abs(erased - drawn).mean() > 0.01, "the answer did not follow the eraser"
    _, button_picture, _ = predicted(page)
    assert same_picture(erased, button_picture, "erased_vs_predict")  # the Sketchpad's own value answered


def test_clear_and_undo_follow_the_drawing(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    expect_prediction(page, "sketch-label")
    wait_until_idle(page)
    shirt = seen_picture(page)
    draw(page, [(0.5, 0.05), (0.5, 0.95)])  # a long line through it
    wait_until_idle(page)
    assert np.abs(seen_picture(page) - shirt).mean() > 0.01
    page.locator("#sketch button[aria-label='Undo']").click()
    wait_until_idle(page)
    assert same_picture(seen_picture(page), shirt, "undo_vs_shirt"), "Undo did not bring back the shirt's answer"
    page.locator("#sketch button[aria-label='Clear canvas']").click()
    expect(page.locator(LIVE_BOX)).to_have_value("")
    expect_no_prediction(page, "sketch-label")
    assert not page.js_errors, page.js_errors
