"""The live Draw tab in a real browser: from a stroke's mouse-up until the page has settled, against
Gradio's own floor (bench/null_app.py --sketchpad: the same Sketchpad, a change event that returns a
fixed Label), both measured in the same run. `python -m nin.speed.bench --browser-only` runs it.

Debian's chromium driven by Playwright (no browser is downloaded), loopback only, bounded: every
wait has a limit and the servers are stopped at the end.

"Answer settled" is the last change in the Guesses or the two pictures (DOM mutations, images
loaded) after the mouse-up: what a person sees. "Network quiet" is that or the end of the last
request to /gradio_api/ started after the mouse-up (uploads, joining the queue, the picture
files; not the queue's answer stream, which can stay open idle), whichever is later: the app's Sketchpad still sends its value after the live answer
has shown. Both are read once nothing has changed or been in flight for QUIET_MS. Two cases: one
stroke on an empty canvas, and a trouser drawn in seven quick strokes (50-300 ms apart), timed from
the last stroke's mouse-up.
"""
import statistics
import sys
import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
CANVAS_SIZE = 400
QUIET_MS = 1500
SETTLE_LIMIT_S = 60  # a busy machine: seven strokes took 17 s to settle next to training

ONE_STROKE = [[(0.5, 0.2), (0.5, 0.8)]]
TROUSER = [  # waistband, left leg (outer, hem, inner), right leg (inner, hem, outer)
    [(0.30, 0.15), (0.70, 0.15)], [(0.30, 0.15), (0.25, 0.85)], [(0.25, 0.85), (0.42, 0.85)],
    [(0.42, 0.85), (0.50, 0.35)], [(0.50, 0.35), (0.58, 0.85)], [(0.58, 0.85), (0.75, 0.85)],
    [(0.75, 0.85), (0.70, 0.15)]]
GAPS_MS = [50, 300, 120, 80, 200, 150]  # between the seven strokes

WATCH = """() => {
  const w = window.__bench = {up: 0, changed: 0, labelled: 0, headlines: []};
  const now = () => performance.timeOrigin + performance.now();
  const outputs = '#sketch-label, #sketch-seen, #sketch-cam';
  new MutationObserver(ms => {
    for (const m of ms) {
      const t = m.target.nodeType === 3 ? m.target.parentElement : m.target;
      // Gradio's status tracker keeps counting seconds while hidden (show_progress="hidden"): not a change one sees
      if (t && t.closest && t.closest(outputs) && !t.closest('.wrap.hide')) { w.changed = now(); }
    }
    const h = document.querySelector('#sketch-label [data-testid="label-output-value"]');
    const text = h ? h.innerText.trim() : '';
    if (text !== (w.headlines[w.headlines.length - 1] || '')) { w.headlines.push(text); w.labelled = now(); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ['src']});
  document.addEventListener('load', e => { if (e.target.closest && e.target.closest(outputs)) w.changed = now(); }, true);
  document.addEventListener('pointerup', () => { w.up = now(); }, true);
}"""


def request_kind(url):
    """What a request to the app is for: an event sent (queue/join, or run/ for an event that skips
    the queue), a file the Sketchpad uploads (upload), a picture fetched (file), or something else."""
    for part, kind in (("/queue/join", "join"), ("/run/", "join"), ("/upload", "upload"), ("/file=", "file")):
        if part in url:
            return kind
    return "other"


def breakdown(up, state, named):
    """Where the time after the last mouse-up went, in ms from it: the first event sent after it (its
    join request starts: the app's live drawing; the floor's Sketchpad value), the first picture fetch
    (the answer has arrived), the Guesses changed, the last picture loaded, the answer settled."""
    after = [(k, s, e) for k, s, e in named if s >= up - 5]
    joins = [s for k, s, _ in after if k == "join"]
    files = [(s, e) for k, s, e in after if k == "file"]
    return {"sent": (min(joins) - up) if joins else None,
            "answer arrived": (min(s for s, _ in files) - up) if files else None,
            "guesses shown": (state["labelled"] - up) if state.get("labelled", 0) >= up else None,
            "pictures loaded": (max(e for _, e in files) - up) if files else None,
            "settled": state["changed"] - up}


class Page:
    """One page on one server, with its requests to /gradio_api/ tracked (start and end, epoch ms)."""

    def __init__(self, browser, url):
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.named, self.in_flight = [], set()  # finished requests: (kind, start, end), epoch ms
        self.breakdowns = []
        self.page.on("request", self._started)
        self.page.on("requestfinished", self._ended)
        self.page.on("requestfailed", self._ended)
        self.page.goto(url, wait_until="domcontentloaded")
        self.page.locator("#sketch").wait_for(state="visible")
        self.page.evaluate(WATCH)
        self.select_brush()
        self.wait_quiet()

    def select_brush(self):
        """The Sketchpad opens, and comes back from "Clear canvas", with no tool selected."""
        brush = self.page.locator("#sketch button[aria-label='Brush']")
        brush.wait_for(state="visible")
        for _ in range(50):
            if "highlight" in (brush.get_attribute("class") or ""):
                return
            brush.click()
            self.page.wait_for_timeout(100)
        raise RuntimeError("could not select the brush")

    def _started(self, r):
        # The queue's answer stream (queue/data) is not counted: it can stay open with nothing on it (seen
        # now and then with two pages taking turns); what it delivers shows as changes and picture fetches.
        if "/gradio_api/" in r.url and "/heartbeat/" not in r.url and "/queue/data" not in r.url:
            self.in_flight.add(r)

    def _ended(self, r):
        if r in self.in_flight:
            self.in_flight.discard(r)
            t = r.timing
            if t["startTime"] > 0:
                self.named.append((request_kind(r.url), t["startTime"], t["startTime"] + max(t["responseEnd"], 0)))

    def square(self):
        canvas = self.page.locator("#sketch .pixi-target canvas")
        box = canvas.bounding_box()
        zoom = float(self.page.locator("#sketch .zoom-number").inner_text().strip().rstrip("%"))
        side = CANVAS_SIZE * zoom / 100
        return box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2, side

    def draw(self, strokes, gaps_ms=()):
        x0, y0, side = self.square()
        at = lambda u, v: (x0 + u * side, y0 + v * side)  # noqa: E731
        mouse = self.page.mouse
        for i, stroke in enumerate(strokes):
            mouse.move(*at(*stroke[0]))
            mouse.down()
            for u, v in stroke[1:]:
                mouse.move(*at(u, v), steps=6)
            mouse.up()
            if i < len(gaps_ms):
                self.page.wait_for_timeout(gaps_ms[i])

    def wait_quiet(self):
        """Until nothing has changed or been in flight for QUIET_MS; returns the page's state."""
        deadline = time.monotonic() + SETTLE_LIMIT_S
        while True:
            self.page.wait_for_timeout(100)
            state = self.page.evaluate("() => ({...window.__bench || {}, now: performance.timeOrigin + performance.now()})")
            last = max([state.get("up", 0), state.get("changed", 0)] + [end for _, _, end in self.named])
            if not self.in_flight and state["now"] - last >= QUIET_MS:
                return state
            if time.monotonic() > deadline:
                raise RuntimeError(f"the page did not settle within {SETTLE_LIMIT_S} s: "
                                   f"{[r.url for r in self.in_flight]}, last change {state['now'] - last:.0f} ms ago")

    def wait_sent(self):
        """Until the page has sent something after the last mouse-up: the Sketchpad first exports its
        layers in the browser, which on a busy machine takes longer than QUIET_MS."""
        deadline = time.monotonic() + SETTLE_LIMIT_S
        while not self.in_flight and not self.named:
            self.page.wait_for_timeout(50)
            if time.monotonic() > deadline:
                raise RuntimeError("the drawing sent nothing to the server: did the brush draw?")

    def settle_after_drawing(self, strokes, gaps_ms=()):
        """(ms from the last mouse-up to the answer settled, to the network quiet; the headlines shown meanwhile)."""
        self.page.bring_to_front()  # the pages take turns: a page in the background is not drawn
        self.select_brush()
        self.page.evaluate("() => { window.__bench.headlines = []; }")
        self.named.clear()
        self.draw(strokes, gaps_ms)
        self.wait_sent()
        state = self.wait_quiet()
        up = state["up"]
        ends = [end for _, start, end in self.named if start >= up - 5]
        if not ends:
            raise RuntimeError("the drawing sent nothing to the server: did the brush draw?")
        if state["changed"] < up:
            raise RuntimeError("the answer did not change after the drawing")
        self.breakdowns.append(breakdown(up, state, self.named))
        return state["changed"] - up, max([state["changed"]] + ends) - up, state["headlines"]

    def clear(self):
        self.page.locator("#sketch button[aria-label='Clear canvas']").click()
        self.wait_quiet()
        self.select_brush()

    def close(self):
        self.context.close()


def measure(urls, reps=5, log=print):
    """{name: {"one stroke": [ms], "quick strokes": [ms], "headlines": [...]}} for each {name: url},
    the pages taking turns so that both see the same machine."""
    from playwright.sync_api import sync_playwright

    res = {name: {"one stroke": [], "quick strokes": [], "one stroke quiet": [], "quick strokes quiet": [], "final": [],
                  "one stroke breakdown": [], "quick strokes breakdown": []}
           for name in urls}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            pages = {name: Page(browser, url) for name, url in urls.items()}
            for case, strokes, gaps in (("one stroke", ONE_STROKE, ()), ("quick strokes", TROUSER, GAPS_MS)):
                for rep in range(reps + 1):  # the first of each: warm-up, not counted
                    for name, page in pages.items():
                        ms, quiet_ms, headlines = page.settle_after_drawing(strokes, gaps)
                        if rep:
                            res[name][case + " breakdown"].append(page.breakdowns[-1])
                            res[name][case].append(ms)
                            res[name][case + " quiet"].append(quiet_ms)
                            if case == "quick strokes":
                                res[name]["final"].append(headlines[-1] if headlines else "")
                        log(f"  {name:5s} {case:13s} {'warm-up' if not rep else rep}: answer {ms:6.0f} ms, "
                            f"quiet {quiet_ms:6.0f} ms  {headlines}")
                        page.clear()
            for page in pages.values():
                page.close()
        finally:
            browser.close()
    return res


def bench_browser(start_server, free_port, quick=False, log=print):
    """The real app and the Sketchpad floor, started here (nin.speed.bench's start_server and free_port),
    measured in turns; both stopped after."""
    servers = {}
    try:
        servers["app"] = start_server([sys.executable, "app.py"], free_port())
        servers["floor"] = start_server([sys.executable, "bench/null_app.py", "--sketchpad"], free_port())
        res = measure({name: s[1] for name, s in servers.items()}, reps=2 if quick else 5, log=log)
    finally:
        for proc, _, _ in servers.values():
            proc.terminate()
            proc.wait(20)
    out = {}
    for case in ("one stroke", "quick strokes", "one stroke quiet", "quick strokes quiet"):
        app, floor = statistics.median(res["app"][case]), statistics.median(res["floor"][case])
        out[case] = {"app": app, "floor": floor, "ratio": app / floor}
    out["finals"] = res["app"]["final"]
    out["breakdown"] = {(name, case): median_breakdown(res[name][case + " breakdown"])
                        for name in res for case in ("one stroke", "quick strokes")}
    return out


def median_breakdown(rows):
    """The median of each step over the repetitions (steps a case never had stay None)."""
    keys = rows[0].keys() if rows else ()
    return {k: (statistics.median(v) if (v := [r[k] for r in rows if r[k] is not None]) else None) for k in keys}


BROWSER_HEADING = "## Live drawing in the browser"


def browser_report(res, machine, note=""):
    """The RESULTS.md section; machine() names the machine (nin.speed.bench's)."""
    import datetime

    lines = [BROWSER_HEADING, "",
             f"`python -m nin.speed.bench --browser-only` ({machine()}, {datetime.date.today()})"
             f"{'; ' + note.rstrip('.') if note else ''}. Headless Debian chromium on loopback; from the mouse-up "
             "of the last stroke until the Guesses and both pictures stop changing (answer settled), and until "
             "then no request is in flight either (network quiet: the app's Sketchpad still sends its value after "
             "the live answer); p50 of 5 after a warm-up. The floor: `bench/null_app.py --sketchpad` (the same "
             "Sketchpad, its change event returns a Label), in the same run.", "",
             "| case | app p50 ms | floor p50 ms | app / floor |", "|---|---:|---:|---:|"]
    for case in ("one stroke", "quick strokes"):
        r, q = res[case], res[case + " quiet"]
        lines.append(f"| {case}: answer settled | {r['app']:.0f} | {r['floor']:.0f} | **{r['ratio']:.2f}** |")
        lines.append(f"| {case}: network quiet | {q['app']:.0f} | {q['floor']:.0f} | {q['ratio']:.2f} |")
    lines += ["", f"Final answers after the seven strokes (a trouser): {', '.join(res['finals'])}.", "",
              "Where the time went, p50 ms after the last mouse-up: the first event sent (its queue/join request "
              "starts), the answer arrived (the first picture fetch starts), the Guesses shown, the last picture "
              "loaded, the answer settled.", "",
              "| page | case | sent | answer arrived | guesses shown | pictures loaded | settled |",
              "|---|---|---:|---:|---:|---:|---:|"]
    fmt = lambda v: "–" if v is None else f"{v:.0f}"  # noqa: E731
    for (name, case), b in res.get("breakdown", {}).items():
        lines.append(f"| {name} | {case} | " + " | ".join(fmt(b.get(k)) for k in
                     ("sent", "answer arrived", "guesses shown", "pictures loaded", "settled")) + " |")
    return "\n".join(lines) + "\n"
