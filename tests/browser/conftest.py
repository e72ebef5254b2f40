"""The browser tests' fixtures: one Chromium for the whole session, a fresh page (desktop) or phone on the
app (tests/conftest.py's app_url). Everything in this folder is the browser tier."""
import os

import pytest
from helpers import ARTIFACTS
from pages import CHROMIUM, CHROMIUM_ARGS, PHONE, WAIT, open_page
from playwright.sync_api import expect, sync_playwright


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no chromium at {CHROMIUM}: run `bash scripts/setup.sh --test`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url, request):
    """A fresh page on the app, loaded; uncaught JavaScript errors are kept in page.js_errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(WAIT)
    pg.js_errors = []
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    pg.in_flight = set()  # the app's own requests (uploads, queue joins, event streams) not yet done
    # (not the session heartbeat: an app with gr.State keeps it open for the page's whole life)
    pg.on("request", lambda r: pg.in_flight.add(r) if "/gradio_api/" in r.url and "/heartbeat/" not in r.url else None)
    pg.on("requestfinished", lambda r: pg.in_flight.discard(r))
    pg.on("requestfailed", lambda r: pg.in_flight.discard(r))
    pg.goto(app_url, wait_until="domcontentloaded", timeout=WAIT)
    expect(pg.locator("#sketch")).to_be_visible(timeout=WAIT)
    yield pg
    if pg.js_errors:
        (ARTIFACTS / f"{request.node.name}.js-errors.txt").write_text("\n".join(pg.js_errors))
    context.close()


@pytest.fixture
def phone(browser, app_url):
    context, pg = open_page(browser, app_url, **PHONE)
    yield pg
    context.close()
