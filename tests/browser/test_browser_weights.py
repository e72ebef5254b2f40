"""Two weights files side by side (issue 22): the Weights menu lists both with their test accuracy,
and choosing the other one re-renders every tab that depends on it (the Draw and Upload tabs'
guesses and pictures, the inside view, the model card). The real app on loopback, started with
`--weights-dir`, in real headless Chromium (see pages.py and conftest.py here). Screenshots: test-artifacts/weights_*.png.

The two files are shipped ones: weights/nin_modern.* and weights/nin_d2l.* (the seed's own recipe,
10 epochs at 224 px), served from a folder that holds only them (the world file, the app's default,
is the third in weights/: test_world.py checks that the menu lists it)."""
import json

import pytest
from helpers import ARTIFACTS, ROOT, running_app
from pages import (
    WAIT,
    draw_tshirt,
    expect_prediction,
    open_page,
    open_tab,
    shot,
    upload,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

# Issue 22's goal is a second (measured here at 0.84 s, docs/app.md). The test fails at twice
# that, so that a slower machine does not fail it while the events of one trigger running one after
# another again (3.9 s before they became one event) would.
SWITCH_LIMIT_S = 2.0

# Everything on the page that depends on the weights, as one string per part; the test waits until
# every part differs from what it was before the switch.
PARTS_JS = """() => {
  const text = (sel) => Array.from(document.querySelectorAll(sel)).map(e => e.textContent.trim()).join(' | ');
  const src = (sel) => Array.from(document.querySelectorAll(sel)).map(e => e.getAttribute('src')).join(' | ');
  return {
    'Draw guesses': text('#sketch-label dt, #sketch-label dd'),
    'Draw pictures': src('#sketch-seen img, #sketch-cam img'),
    'Upload guesses': text('#upload-label dt, #upload-label dd'),
    'Upload pictures': src('#upload-seen img, #upload-cam img'),
    'inside view': text('#inside-gallery .caption-label'),
    'model card': text('#model-card h3'),
  };
}"""


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    """Two shipped files (with their exports, metadata and card pictures), linked into one folder."""
    folder = tmp_path_factory.mktemp("weights")
    for f in [*(ROOT / "weights").glob("nin_d2l*"), *(ROOT / "weights").glob("nin_modern*")]:
        (folder / f.name).symlink_to(f)
    assert (folder / "nin_d2l.weights.h5").exists() and (folder / "nin_modern.weights.h5").exists()
    return folder


@pytest.fixture(scope="module")
def two_weights_url(weights_dir, tmp_path_factory):
    with running_app(["--weights-dir", str(weights_dir)], cache_dir=tmp_path_factory.mktemp("gradio-cache"),
                     log_path=ARTIFACTS / "app-server-two-weights.log") as (url, _):
        yield url


@pytest.fixture
def page(browser, two_weights_url):
    context, pg = open_page(browser, two_weights_url)
    yield pg
    context.close()


def menu_options(page):
    page.locator("#weights input").click()
    options = page.locator("ul[role='listbox'] li")
    expect(options.first).to_be_visible(timeout=WAIT)
    return options


def menu_value(page):
    return page.locator("#weights input").input_value()


def test_weights_menu_lists_both_files_with_their_test_accuracy(page, weights_dir):
    names = [t.replace("✓", "").strip() for t in menu_options(page).all_inner_texts()]  # ✓: the chosen one
    d2l = json.loads((weights_dir / "nin_d2l.json").read_text())
    modern = json.loads((ROOT / "weights" / "nin_modern.json").read_text())
    assert names == [f"d2l ({d2l['test_accuracy']:.2%} test)", f"modern ({modern['test_accuracy']:.2%} test)"], names
    assert "✓" in menu_options(page).nth(1).inner_text()  # the menu opens on the modern file
    shot(page, "weights_menu", full_page=False)


def test_switching_weights_re_renders_every_tab(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    expect_prediction(page, "sketch-label")
    open_tab(page, "Upload")
    upload(page, ROOT / "examples" / "0018_bag.png")
    expect_prediction(page, "upload-label")
    open_tab(page, "Inside the network")
    expect(page.locator("#inside-gallery .caption-label").first).to_contain_text("your upload", timeout=WAIT)
    open_tab(page, "Model")
    expect(page.locator("#model-card h3")).to_contain_text("modern", timeout=WAIT)
    page.wait_for_timeout(1500)  # the live events have ended: nothing changes now but for the switch
    before = page.evaluate(PARTS_JS)
    assert all(before.values()), before

    options = menu_options(page)
    # A watcher in the page notes when each part first differs, counted from the click on the menu's
    # option (its release: the choice is made then).
    page.evaluate(f"""before => {{
      const parts = {PARTS_JS};
      window.switched = {{}};
      let t0 = performance.now();
      document.addEventListener('pointerup', () => {{ t0 = performance.now(); }}, {{capture: true, once: true}});
      const watch = () => {{
        for (const [k, v] of Object.entries(parts())) if (v && v !== before[k] && !(k in window.switched))
          window.switched[k] = performance.now() - t0;
        if (Object.keys(window.switched).length < Object.keys(before).length) requestAnimationFrame(watch);
      }};
      requestAnimationFrame(watch);
    }}""", before)
    options.filter(has_text="d2l (").click()
    page.wait_for_function("n => Object.keys(window.switched).length === n", arg=len(before), timeout=WAIT)
    times = page.evaluate("window.switched")
    switch_s = max(times.values()) / 1000
    after = page.evaluate(PARTS_JS)
    (ARTIFACTS / "weights_switch.txt").write_text("ms from the choice until each part changed: " + json.dumps(times) + "\n"
                                                  + json.dumps({"before": before, "after": after}, indent=1))
    shot(page, "weights_switched_model_tab")
    assert after["model card"].startswith("d2l"), after["model card"]
    expect(page.locator("#model-card")).to_contain_text("Recipe: d2l, 10 epochs, 224 px")  # the d2l file's own card
    expect(page.locator("#model-card")).to_contain_text("The same network, two recipes")
    # what the Upload tab shows now is the d2l file's answer, as the public API gives it
    from gradio_client import Client, handle_file

    d2l_label = menu_value(page)
    api = Client(page.url, verbose=False).predict(handle_file(ROOT / "examples" / "0018_bag.png"), 3, d2l_label,
                                                    api_name="/predict_upload")
    shown = page.locator("#upload-label dt").all_inner_texts()
    assert d2l_label.startswith("d2l") and shown == [c["label"] for c in api["confidences"]], (shown, api)
    for tab in ("Draw", "Upload", "Inside the network"):  # each tab shows what the other file says
        open_tab(page, tab)
        shot(page, f"weights_switched_{tab.split()[0].lower()}")
    print(f"every tab followed the Weights menu {switch_s * 1000:.0f} ms after the click")
    assert switch_s <= SWITCH_LIMIT_S, f"the tabs took {switch_s:.2f} s to follow the Weights menu: {times}"
    assert not page.js_errors, page.js_errors


def test_another_top_k_re_answers_the_drawing_and_the_upload(page):
    open_tab(page, "Draw")
    draw_tshirt(page)
    expect_prediction(page, "sketch-label")
    open_tab(page, "Upload")
    upload(page, ROOT / "examples" / "0018_bag.png")
    headline = expect_prediction(page, "upload-label")
    expect(page.locator("#upload-label dd.confidence")).to_have_count(3)
    number = page.locator("#top-k input[type='number']")
    number.fill("5")
    number.press("Enter")
    for label in ("upload-label", "sketch-label"):  # both, from the drawing as remembered
        expect(page.locator(f"#{label} dd.confidence")).to_have_count(5, timeout=WAIT)
    assert expect_prediction(page, "upload-label") == headline
    open_tab(page, "Draw")
    shot(page, "top_k_5_draw")
    assert not page.js_errors, page.js_errors
