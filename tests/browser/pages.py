"""Driving the app's page in Chromium: what the browser tests share (their fixtures are in conftest.py).

Debian's chromium (/usr/bin/chromium) driven by Playwright; no browser is ever downloaded."""
import re
from io import BytesIO

from helpers import ARTIFACTS
from PIL import Image
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
PERCENT = re.compile(r"^\d{1,3}(\.\d+)?%$")
WAIT = 60_000  # ms: the machine is slow and busy (CPU training in the background)
CANVAS_SIZE = 400  # gr.Sketchpad(canvas_size=(400, 400)) in app.py
# A T-shirt outline in the drawing square's own coordinates (0..1 across, 0..1 down):
# neckline, left sleeve, body, right sleeve, back to the neckline.
TSHIRT = [(0.35, 0.20), (0.20, 0.28), (0.12, 0.45), (0.25, 0.50), (0.30, 0.42), (0.30, 0.85),
          (0.70, 0.85), (0.70, 0.42), (0.75, 0.50), (0.88, 0.45), (0.80, 0.28), (0.65, 0.20),
          (0.50, 0.27), (0.35, 0.20)]


def shot(page, name, full_page=True):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def wait_until_idle(page, quiet_ms=500, timeout_ms=WAIT):
    """Until no request to the app has been in flight for quiet_ms: every queued event has ended
    (an event's /queue/data stream stays open until its outputs are sent)."""
    quiet = waited = 0
    while quiet < quiet_ms:
        assert waited < timeout_ms, f"the app stayed busy: {[r.url for r in page.in_flight]}"
        page.wait_for_timeout(100)
        waited += 100
        quiet = quiet + 100 if not page.in_flight else 0


def open_tab(page, name):
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def visible(locator):
    return locator.filter(visible=True)


def predict_button(page):
    """The Predict button of the tab on show (each input tab has its own)."""
    return visible(page.get_by_role("button", name="Predict", exact=True))


def image_block(page, title):
    """The visible picture block (app.picture) under the title `title`."""
    ids = {"What the model sees": "seen", "Where it looked": "cam", "Training curves": "model-curves",
           "Confusion matrix": "model-confusion"}
    name = ids[title]
    return visible(page.locator(f"[id$='-{name}']" if not name.startswith("model-") else f"#{name}"))
# The rendered picture inside an <img> (object-fit: contain), and what the page shows at points
# spread over it: anything but the picture itself there covers part of it.
PICTURE_COVER = """img => {
  const b = img.getBoundingClientRect(), style = getComputedStyle(img);
  let w = b.width, h = b.height;
  if (style.objectFit === "contain" || style.objectFit === "scale-down") {
    const s = Math.min(b.width / img.naturalWidth, b.height / img.naturalHeight);
    w = img.naturalWidth * s; h = img.naturalHeight * s;
  }
  const x0 = b.left + (b.width - w) / 2, y0 = b.top + (b.height - h) / 2, covered = [];
  for (let i = 0; i <= 12; i++) for (let j = 0; j <= 12; j++) {
    const x = x0 + 2 + (w - 4) * i / 12, y = y0 + 2 + (h - 4) * j / 12;  // (layout snaps edges to whole px)
    const e = document.elementFromPoint(x, y);
    if (e !== img) covered.push([Math.round(x - x0), Math.round(y - y0), e ? e.tagName + "." + e.className : null]);
  }
  const overlapping = [];  // elements drawn over the picture's box that are not the picture's own boxes
  const inside = (r) => r.right > x0 + 0.5 && r.left < x0 + w - 0.5 && r.bottom > y0 + 0.5 && r.top < y0 + h - 0.5;
  for (const e of document.body.querySelectorAll("*")) {
    if (e === img || e.contains(img) || img.contains(e)) continue;
    if (e.classList.contains("hide")) continue;  // Gradio's status tracker once done: fading out, not drawn after
    const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
    if (r.width && r.height && cs.visibility !== "hidden" && cs.display !== "none" && +cs.opacity > 0 && inside(r))
      overlapping.push(e.tagName + "." + e.className);
  }
  return {width: w, height: h, natural: [img.naturalWidth, img.naturalHeight], fit: style.objectFit,
          covered, overlapping, complete: img.complete};
}"""
# Gradio's status tracker (div.wrap.<variant>.<full|minimal>) covers an output while its event runs,
# by design; a picture is judged once no running tracker is over it.
TRACKER_OVER_PICTURE = """img => {
  const b = img.getBoundingClientRect();
  return [...document.querySelectorAll(".wrap.full:not(.hide), .wrap.minimal:not(.hide)")].some(e => {
    const r = e.getBoundingClientRect();
    return r.width && r.height && r.right > b.left && r.left < b.right && r.bottom > b.top && r.top < b.bottom;
  });
}"""


def expect_whole_picture(page, img, square=True, min_px_per_pixel=None):
    """The picture in `img` is on screen whole: nothing over any part of it (badges, buttons,
    captions), not cropped (object-fit), square if asked, and at least `min_px_per_pixel` CSS px
    per pixel of a 28x28 image. Returns what was measured."""
    expect(img).to_be_visible()
    img.evaluate("i => i.scrollIntoView({block: 'center'})")
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle(), timeout=WAIT)
    page.wait_for_function(f"i => !({TRACKER_OVER_PICTURE})(i)", arg=img.element_handle(), timeout=WAIT)
    seen = img.evaluate(PICTURE_COVER)
    assert seen["fit"] in ("contain", "scale-down", "fill", "none"), seen  # "cover" would crop it
    assert not seen["covered"], f"something covers the picture: {seen['covered'][:5]}"
    assert not seen["overlapping"], f"elements over the picture's box: {seen['overlapping'][:5]}"
    if square:
        assert abs(seen["width"] - seen["height"]) <= 1, seen
    if min_px_per_pixel:
        assert seen["width"] >= 28 * min_px_per_pixel, seen
    return seen


def expect_prediction(page, label_id, timeout=WAIT):
    """The gr.Label `label_id` shows a Fashion-MNIST class as headline and ranked classes with percentages."""
    label = page.locator(f"#{label_id}")
    headline = label.locator("[data-testid='label-output-value']")
    expect(headline).to_have_text(re.compile("|".join(re.escape(c) for c in CLASSES)), timeout=timeout)
    assert headline.inner_text().strip() in CLASSES
    names = label.locator("dt")
    percents = label.locator("dd.confidence")
    expect(percents.first).to_have_text(PERCENT, timeout=timeout)
    assert names.count() >= 1 and names.count() == percents.count()
    for i in range(names.count()):
        assert names.nth(i).inner_text().strip() in CLASSES
        assert PERCENT.match(percents.nth(i).inner_text().strip()), percents.nth(i).inner_text()
    return headline.inner_text().strip()


def expect_no_prediction(page, label_id):
    expect(page.locator(f"#{label_id} [data-testid='label-output-value']")).to_have_count(0, timeout=WAIT)


def expect_model_view(page, whole=False):
    """'What the model sees' and the class map on the tab on show hold an image from the server
    (shown whole, square, at 4 px or more per pixel if `whole`)."""
    for name in ("What the model sees", "Where it looked"):
        img = image_block(page, name).locator("img")
        expect(img).to_have_count(1, timeout=WAIT)
        expect(img).to_have_attribute("src", re.compile(r"/gradio_api/file="), timeout=WAIT)
        expect(img).to_be_visible()
        if whole:
            expect_whole_picture(page, img, square=True, min_px_per_pixel=4)


def drawing_square(page):
    """Screen box of the white drawing square inside the Sketchpad.

    The square is no DOM element: PixiJS paints it into the <canvas> (598x348 here), centred,
    canvas_size scaled by the zoom the toolbar shows ("72%"); the canvas box is larger.
    """
    canvas = page.locator("#sketch .pixi-target canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    zoom_text = page.locator("#sketch .zoom-number").inner_text().strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%", zoom_text)
    assert m, f"no zoom level shown in the Sketchpad toolbar: {zoom_text!r}"
    side = CANVAS_SIZE * float(m.group(1)) / 100
    assert side <= min(box["width"], box["height"]) + 1, (side, box)
    return {"x": box["x"] + (box["width"] - side) / 2, "y": box["y"] + (box["height"] - side) / 2,
            "width": side, "height": side}


def select_brush(page):
    """Gradio 6.31's Sketchpad opens with no tool selected ('select the draw tool to start')."""
    brush = page.locator("#sketch button[aria-label='Brush']")
    expect(brush).to_be_visible()
    if "highlight" not in (brush.get_attribute("class") or ""):
        brush.click()
    expect(brush).to_have_class(re.compile(r"\bhighlight\b"))
    expect(page.get_by_text("select the draw tool to start")).to_have_count(0)


def draw(page, points, steps=6):
    sq = drawing_square(page)
    at = lambda u, v: (sq["x"] + u * sq["width"], sq["y"] + v * sq["height"])  # noqa: E731
    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for u, v in points[1:]:
        page.mouse.move(*at(u, v), steps=steps)
    # the end of a stroke is a change of the Sketchpad: it uploads and queues the live update
    with page.expect_request(lambda r: "/gradio_api/queue/join" in r.url, timeout=WAIT):
        page.mouse.up()
    return sq, at


def draw_tshirt(page):
    select_brush(page)
    sq, _ = draw(page, TSHIRT)
    # the strokes are on screen, inside the square: dark pixels mid-way along two edges
    expect(page.locator("#sketch button[aria-label='Undo']")).to_be_enabled()
    img = Image.open(BytesIO(page.screenshot(clip=sq))).convert("L")
    scale = img.width / sq["width"]
    for (u0, v0), (u1, v1) in [(TSHIRT[5], TSHIRT[6]), (TSHIRT[4], TSHIRT[5])]:
        x, y = (u0 + u1) / 2 * sq["width"] * scale, (v0 + v1) / 2 * sq["height"] * scale
        darkest = min(img.getpixel((int(x) + dx, int(y) + dy)) for dx in range(-3, 4) for dy in range(-3, 4))
        assert darkest < 100, f"no stroke on screen at {(u0 + u1) / 2:.2f}, {(v0 + v1) / 2:.2f} of the square"


def upload(page, path):
    page.locator("#upload input[type='file']").set_input_files(str(path))
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def open_page(browser, app_url, locale=None, **options):
    """(context, page) of the app in a new browser context, loaded, its JS errors collected."""
    context = browser.new_context(locale=locale, **(options or dict(viewport={"width": 1280, "height": 1000})))
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.js_errors = []
    page.on("pageerror", lambda e: page.js_errors.append(str(e)))
    page.goto(app_url, wait_until="domcontentloaded", timeout=WAIT)
    expect(page.locator("#sketch")).to_be_visible(timeout=WAIT)
    return context, page


def touch_draw(page, points, steps=6):
    """One finger stroke through `points` (the drawing square's 0..1 coordinates), as real touch events."""
    sq = drawing_square(page)
    at = lambda u, v: {"x": sq["x"] + u * sq["width"], "y": sq["y"] + v * sq["height"]}  # noqa: E731
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(*points[0])]})
    for (u0, v0), (u1, v1) in zip(points, points[1:]):
        for t in range(1, steps + 1):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                at(u0 + (u1 - u0) * t / steps, v0 + (v1 - v0) * t / steps)]})
    with page.expect_request(lambda r: "/gradio_api/queue/join" in r.url, timeout=WAIT):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    return sq
# --- the inside view ---

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
