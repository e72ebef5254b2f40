"""The page in the browser's language (see pages.py and conftest.py here for the set-up): a zh-CN Chromium sees
简体中文, class names included, while the public API still answers in English; other languages see
English. Screenshots: test-artifacts/lang_<locale>_<desktop|phone>.png (look at them)."""
import os
import re

import pytest
from gradio_client import handle_file
from helpers import ARTIFACTS
from pages import (
    CLASSES,
    PERCENT,
    PHONE,
    TSHIRT,
    WAIT,
    draw,
    expect_whole_picture,
    open_page,
    select_brush,
    touch_draw,
)
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from nin.app.i18n import CLASS_NAMES_ZH, TITLE, UI

pytestmark = pytest.mark.slow

TABS = ["tab.draw", "tab.upload", "tab.inside", "tab.architecture", "tab.model"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def text(key, locale):
    return UI[key][1] if locale == "zh-CN" else UI[key][0]


def class_names(locale):
    return CLASS_NAMES_ZH if locale == "zh-CN" else CLASSES


def expect_guesses(page, locale):
    """The Guesses show class names of `locale` (headline and every ranked line) with percentages."""
    names = class_names(locale)
    label = page.locator("#sketch-label")
    headline = label.locator("[data-testid='label-output-value']")
    expect(headline).to_have_text(re.compile("^(" + "|".join(re.escape(c) for c in names) + ")$"), timeout=WAIT)
    expect(label.locator("dd.confidence").first).to_have_text(PERCENT, timeout=WAIT)
    for name in label.locator("dt").all_inner_texts():
        assert name.strip() in names, name
    return headline.inner_text().strip()


def expect_page_text(page, locale):
    """Tab names, title, buttons and labels in `locale`."""
    tabs = [t.strip() for t in page.get_by_role("tab").all_inner_texts()]
    assert [text(k, locale) for k in TABS] == tabs[:len(TABS)], tabs
    expect(page).to_have_title(TITLE["zh-CN" if locale == "zh-CN" else "en"])
    expect(page.get_by_role("button", name=text("predict", locale), exact=True).first).to_be_visible()
    expect(page.get_by_text(text("how_it_works", locale), exact=True)).to_be_visible()
    expect(page.get_by_text(text("seen", locale), exact=True).first).to_be_visible()
    expect(page.locator("#sketch-tip")).to_have_text(text("sketch.tip", locale))  # how to draw what it knows
    expect(page.locator("h1").first).to_have_text(text("about", locale).splitlines()[0].lstrip("# "))


@pytest.mark.parametrize("locale", ["en-US", "zh-CN", "fr-FR"])
def test_the_page_speaks_the_browsers_language(browser, app_url, locale):
    """English by default (fr-FR: Gradio's own controls in French, the app's text in English)."""
    lang = "zh-CN" if locale == "zh-CN" else "en"
    context, page = open_page(browser, app_url, locale)
    try:
        expect_page_text(page, lang)
        select_brush(page)
        draw(page, TSHIRT)
        expect_guesses(page, lang)
        for name in ("seen", "cam"):
            expect(page.locator(f"#sketch-{name} img")).to_have_attribute("src", re.compile(r"/gradio_api/file="))
            expect_whole_picture(page, page.locator(f"#sketch-{name} img"), square=True, min_px_per_pixel=4)
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"lang_{locale}_desktop")
        # the other tabs: the model card, the table's headers and the seed's terms
        page.get_by_role("tab", name=text("tab.model", lang)).click()
        expect(page.get_by_text("测试准确率" if lang == "zh-CN" else "Test accuracy").first).to_be_visible(timeout=WAIT)
        page.get_by_role("tab", name=text("tab.architecture", lang)).click()
        table = page.locator("#arch-table")
        expect(table).to_contain_text("全局平均汇聚层" if lang == "zh-CN" else "GlobalAveragePooling2D", timeout=WAIT)
        expect(table).to_contain_text("输出形状" if lang == "zh-CN" else "output shape")
        # the pipeline text above it: every path, in the page's language
        # ("就是服装": the source breaks the line between those two characters; the page shows no space there)
        expect(page.get_by_text(re.compile("部分就是服装；" if lang == "zh-CN" else "GrabCut cuts the garment out"))).to_be_visible()
        shot(page, f"lang_{locale}_architecture", full_page=False)
        page.get_by_role("tab", name=text("tab.inside", lang)).click()
        first = page.locator("#inside-gallery .caption-label").first
        expect(first).to_contain_text("你的画" if lang == "zh-CN" else "your drawing", timeout=WAIT)
        second = page.locator("#inside-gallery .caption-label").nth(1)
        expect(second).to_contain_text("nin_block_1 (1, 54, 54, 96)" + (" · NiN块" if lang == "zh-CN" else " · 11x11"))
        # shoot the pictures once they have all arrived (on a busy machine they come one by one)
        page.wait_for_function("() => [...document.querySelectorAll('#inside-gallery img')].every("
                               "i => i.complete && i.naturalWidth > 0)", timeout=WAIT)
        shot(page, f"lang_{locale}_inside")
        assert not page.js_errors, page.js_errors
    finally:
        context.close()


def shot(page, name, full_page=True):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_phone_in_the_browsers_language(browser, app_url, locale):
    """390x844: the top line under the square names the class in the page's language; the pictures whole."""
    context, page = open_page(browser, app_url, locale, **PHONE)
    try:
        select_brush(page)
        touch_draw(page, TSHIRT)
        names = class_names(locale)
        expect(page.locator("#sketch-top1")).to_have_text(
            re.compile(r"^\s*(" + "|".join(re.escape(c) for c in names) + r") \d{1,3}%\s*$"), timeout=WAIT)
        shot(page, f"lang_{locale}_phone", full_page=False)
        expect_guesses(page, locale)
        for name in ("seen", "cam"):
            expect(page.locator(f"#sketch-{name} img")).to_have_attribute("src", re.compile(r"/gradio_api/file="))
            expect_whole_picture(page, page.locator(f"#sketch-{name} img"), square=True, min_px_per_pixel=4)
        # the Weights menu's value is whole on a phone (it wraps below the top-k slider's row, not clipped)
        menu = page.locator("#weights input")
        assert menu.evaluate("e => e.scrollWidth <= e.clientWidth"), menu.input_value()
        shot(page, f"lang_{locale}_phone_full")
        assert not page.js_errors, page.js_errors
    finally:
        context.close()


def test_a_chinese_page_gets_errors_in_chinese(browser, app_url, tmp_path):
    bad = tmp_path / "corrupt.png"
    bad.write_bytes(os.urandom(4096))
    context, page = open_page(browser, app_url, "zh-CN")
    try:
        page.get_by_role("tab", name=text("tab.upload", "zh-CN")).click()
        page.locator("#upload input[type='file']").set_input_files(str(bad))
        toast = page.locator("[data-testid='toast-text']").first
        expect(toast).to_be_visible(timeout=WAIT)
        assert CJK.search(toast.inner_text()) and "图像" in toast.inner_text(), toast.inner_text()
    finally:
        context.close()


def test_the_api_keeps_english_class_names(client, tmp_path):
    """gradio_client (no page, no cookie): /predict_sketch and /inside_sketch answer in English."""
    layer = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line([(u * 400, v * 400) for u, v in TSHIRT], fill=(0, 0, 0, 255), width=6)
    paths = {}
    for name, im in (("background", Image.new("RGBA", (400, 400), "white")), ("layer", layer),
                     ("composite", Image.alpha_composite(Image.new("RGBA", (400, 400), "white"), layer))):
        im.save(tmp_path / f"{name}.png")
        paths[name] = handle_file(str(tmp_path / f"{name}.png"))
    sketch = {"background": paths["background"], "layers": [paths["layer"]], "composite": paths["composite"]}
    label = client.predict(sketch, 3, api_name="/predict_sketch")
    assert label["label"] in CLASSES and all(c["label"] in CLASSES for c in label["confidences"]), label
    gallery = client.predict(sketch, api_name="/inside_sketch")
    captions = [item["caption"] for item in gallery]
    assert captions[0].endswith("your drawing") and not any(CJK.search(c) for c in captions), captions[:2]
    rows = client.predict(api_name="/architecture")
    rows = rows["data"] if isinstance(rows, dict) else rows
    assert rows[-1][0] == "total" and rows[0][1] == "Sequential"
