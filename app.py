"""Gradio demo: draw or upload a garment, see NiN's top-k guesses, its class activation map,
its architecture and its model card. Wiring only: the work is done in nin/app/demo.py.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--weights PATH | --weights-dir DIR] [--runtime R] [--delete-after SECONDS]
"""
import argparse
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from nin.app import demo, i18n, inside
from nin.serve import websafety
from nin.app.i18n import t as T  # the page's text, in English and 简体中文: nin/app/i18n.py
from nin.serve.inference import APP_RUNTIME, RUNTIMES
from nin.core.weights import WeightsError

# On a narrow screen the guesses column stacks under the input: the one-line top guess right under
# the drawing square is what a person drawing with a finger sees change. Wide screens show the
# guesses beside the input, so the line is hidden there.
CSS = """
.top-line { min-height: 1.6em; font-size: 1.15em; }
.top-line p { margin: 0; }
.verdict p { margin: 0; font-weight: 600; }
.retention, .retention p { font-size: 0.85em; opacity: 0.8; margin: 0; }
@media (min-width: 769px) { .top-line { display: none !important; } }
.picture-title p { margin: 0; font-weight: 600; }
.whole-picture img { image-rendering: pixelated; }
/* Gradio 6.31 still draws its seconds counter over an event's outputs for a moment with
   show_progress="hidden" (the live events'); over the guesses it reads as part of the answer */
[id^="sketch-"] .progress-text, [id^="upload-"] .progress-text { display: none !important; }
.whole-picture .icon-button-wrapper { display: none !important; }  /* empty (buttons=[]), but over the corner */
#inside-gallery .thumbnail-item { display: flex; flex-direction: column; height: auto; aspect-ratio: auto; }
#inside-gallery .thumbnail-item img { aspect-ratio: 1; height: auto; flex: none; }
#inside-gallery .thumbnail-item .caption-label { position: static; max-width: 100%; white-space: normal;
  text-align: left; transform: none; margin: 0; }
"""

# Gradio's sketchpad opens with no tool selected; select the brush so a person can just draw.
SELECT_BRUSH = """() => {
  const pick = (tries) => {
    const brush = document.querySelector('#sketch button[aria-label="Brush"]');
    if (brush) { if (!brush.classList.contains('highlight')) brush.click(); return; }
    if (tries > 0) setTimeout(() => pick(tries - 1), 100);
  };
  pick(100);
}"""

# The live Draw tab: the page's own copy of the strokes, sent after every stroke (docs/app.md).
LIVE_DRAWING = (Path(__file__).parent / "nin" / "app" / "live_drawing.js").read_text()


def guesses(prefix):
    """The outputs beside an input: the verdict line, top-k Label, what the model sees, where it looked."""
    with gr.Column():
        verdict = verdict_line(f"{prefix}-label-verdict")
        label = gr.Label(label=T("guesses"), elem_id=f"{prefix}-label")
        with gr.Row():
            with gr.Column(min_width=150):
                view = picture("seen", f"{prefix}-seen")
            with gr.Column(min_width=150):
                cam = picture("cam", f"{prefix}-cam")
    return label, view, cam, verdict


def picture(title, elem_id, **kw):
    """A picture shown whole: its title above it, not a label badge over it, and no buttons over it."""
    gr.Markdown(T(title), elem_classes="picture-title")
    return gr.Image(show_label=False, buttons=[], interactive=False, elem_id=elem_id, elem_classes="whole-picture", **kw)


def verdict_line(elem_id):
    """'This doesn't look like any of the ten garments I know (…)' above the Guesses, when the garment
    check says so (nin/serve/garment.py); empty otherwise."""
    return gr.Markdown("", elem_id=elem_id, elem_classes="verdict")


def garment_output():
    """The garment check for /explain_* (docs/garment_score.md): an API output, never shown."""
    return gr.JSON(visible=False, label="Garment check")


def top_line(elem_id):
    return gr.Markdown("", elem_id=elem_id, elem_classes="top-line")


# --- the page, tab by tab: each returns its components by name ---

def draw_tab(note):
    """The Sketchpad (its strokes also copied by the page's script), Predict, Look inside, the Guesses."""
    with gr.Tab(T("tab.draw"), id="draw"):
        with gr.Row():
            with gr.Column():
                sketch = gr.Sketchpad(
                    label=T("sketch"), type="filepath", image_mode="RGBA",
                    canvas_size=(400, 400), brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=6),
                    eraser=gr.Eraser(default_size=16), layers=False, elem_id="sketch")
                live = gr.Textbox(visible="hidden", elem_id="sketch-live")  # filled by LIVE_DRAWING
                top = top_line("sketch-top1")
                button = gr.Button(T("predict"), variant="primary")
                look_inside = gr.Button(T("look_inside"), elem_id="sketch-inside")
                gr.Markdown(T("sketch.tip"), elem_classes="retention", elem_id="sketch-tip")
                gr.Markdown(note, elem_classes="retention")
            label, view, cam, verdict = guesses("sketch")
    return SimpleNamespace(input=sketch, live=live, button=button, look_inside=look_inside,
                           shown=[label, top, view, cam, verdict], label=label, view=view, cam=cam)


def upload_tab(note):
    """The image input (file, clipboard, webcam), what the pipeline kept, the examples, the Guesses."""
    with gr.Tab(T("tab.upload"), id="upload"):
        with gr.Row():
            with gr.Column():
                upload = gr.Image(label=T("upload"), type="filepath", image_mode=None,
                                  sources=["upload", "clipboard", "webcam"], height=320, elem_id="upload")
                top = top_line("upload-top1")
                kept = picture("kept", "upload-kept", height=200)
                button = gr.Button(T("predict"), variant="primary")
                look_inside = gr.Button(T("look_inside"), elem_id="upload-inside")
                gr.Markdown(T("upload.tip"), elem_classes="retention", elem_id="upload-tip")
                gr.Markdown(note, elem_classes="retention")
                gr.Examples(demo.example_files(), inputs=upload, label=T("examples"), examples_per_page=30)
            label, view, cam, verdict = guesses("upload")
    return SimpleNamespace(input=upload, button=button, look_inside=look_inside,
                           shown=[label, top, view, cam, kept, verdict], label=label, view=view, cam=cam)


def inside_tab(views):
    """Every layer's output for the last drawing or upload."""
    with gr.Tab(T("tab.inside"), id="inside") as tab:
        gr.Markdown(T("inside.explanation"))
        gr.Markdown(T("inside.layers_from") + f" {views.runtime()}.")
        gr.Markdown(T("inside.gallery"), elem_classes="picture-title")
        gallery = gr.Gallery(show_label=False, buttons=[], columns=3, height="max-content",  # the whole pipeline on the page, no inner scrolling
                             object_fit="contain", elem_id="inside-gallery")
    return SimpleNamespace(tab=tab, gallery=gallery)


def architecture_tab():
    """The per-layer table (the seed's shape table) and the architecture picture."""
    with gr.Tab(T("tab.architecture"), id="architecture"):
        gr.Markdown(T("pipeline"))
        table = gr.Dataframe(headers=demo.ARCH_HEADERS, value=demo.architecture_rows(),
                             label=T("arch.table"), interactive=False, elem_id="arch-table")
        picture("arch.image", "arch-image", value=str(demo.ROOT / "docs" / "architecture.png"))
        button = gr.Button(T("arch.refresh"), size="sm")
    return SimpleNamespace(table=table, button=button)


def model_tab():
    """The chosen weights' model card, training curves and confusion matrix."""
    with gr.Tab(T("tab.model"), id="model"):
        card = gr.Markdown(elem_id="model-card")
        with gr.Row():
            with gr.Column():
                curves = picture("model.curves", "model-curves")
            with gr.Column():
                confusion = picture("model.confusion", "model-confusion")
    return [card, curves, confusion]


def settings_row(models):
    """Below the tabs, so that on a phone the drawing square comes right after the title."""
    with gr.Row():
        weights = gr.Dropdown(list(models.paths), value=models.default, label=T("weights"), scale=2, min_width=240, elem_id="weights")
        top_k = gr.Slider(1, 10, value=demo.DEFAULT_TOP_K, step=1, label=T("top_k"), scale=1, min_width=240, elem_id="top-k")
    return weights, top_k


# --- the events ---
# Raw inputs (preprocess=False): our pipeline decodes every file, so bad files get a clear message.
COMMON = dict(preprocess=False, concurrency_limit=16, concurrency_id="predict")
PAGE = dict(api_visibility="private", **COMMON)  # the page's own events: not part of the API
QUIET = dict(api_visibility="private", show_progress="hidden", trigger_mode="always_last")
LIVE = dict(QUIET, **COMMON)
# The live drawing's answer skips the queue: one HTTP request instead of joining the queue and reading
# its stream, 130 ms sooner on the page (docs/speed.md). Its work is a few ms and shares the network's
# batcher and lock with the queued events, so the queue's concurrency limit has nothing to guard here.
LIVE_DIRECT = dict(QUIET, preprocess=False, queue=False)


def wire_api(models, draw, upload, arch, weights, top_k):
    """The public API (README, "API"): the Label value alone, or with the pictures and the garment check
    (docs/garment_score.md). Its events hang on a trigger nobody clicks, so the page never runs them."""
    fn = demo.bind
    sketch_in, upload_in = [draw.input, top_k, weights], [upload.input, top_k, weights]
    api = gr.Button(visible=False)
    upload_garment, sketch_garment = garment_output(), garment_output()
    api.click(fn(demo.predict_upload, models), upload_in, upload.label, api_name="predict_upload", **COMMON)
    api.click(fn(demo.predict_sketch, models), sketch_in, draw.label, api_name="predict_sketch", **COMMON)
    api.click(fn(demo.explain_upload, models), upload_in, [upload.label, upload.view, upload.cam, upload_garment],
              api_name="explain_upload", **COMMON)
    api.click(fn(demo.explain_sketch, models), sketch_in, [draw.label, draw.view, draw.cam, sketch_garment],
              api_name="explain_sketch", **COMMON)
    arch.button.click(demo.architecture_rows, None, arch.table, api_name="architecture")


def wire_page(app, models, views, draw, upload, arch, model, inside_view, weights, top_k, last_image, last_drawing):
    """The page's answers: Predict, the live Draw tab, a new upload, another top-k or weights, the page load."""
    fn = demo.bind  # functools.partial that leaves the page's gr.Request parameter visible to Gradio
    sketch_in, upload_in = [draw.input, top_k, weights], [upload.input, top_k, weights]
    draw.button.click(fn(demo.show_sketch, models), sketch_in, draw.shown, **PAGE)
    upload.button.click(fn(demo.show_upload, models), upload_in, upload.shown, **PAGE)
    # After every stroke the page's script sends the strokes themselves (LIVE_DRAWING), well before
    # the Sketchpad's value: that answer is the live one, and the Sketchpad's change event answers
    # only when the script could not copy the strokes. The editor's value is only an id until
    # Gradio's own preprocess fetches the layers; the files that preprocess writes go to delete_cache.
    draw.live.change(fn(demo.show_live, models), [draw.live, top_k, weights, last_image],
                     draw.shown + [last_image, last_drawing], **LIVE_DIRECT)
    draw.input.change(websafety.track_cache_files(draw.input, fn(demo.sketch_changed, models)),
                      sketch_in + [draw.live, last_image], draw.shown + [last_image, last_drawing],
                      **dict(LIVE, preprocess=True))
    upload.input.change(demo.unless_empty(fn(demo.show_upload, models)), upload_in, upload.shown, **LIVE)
    # Another top-k or weights: one event for every tab (Gradio's page runs the events of one trigger
    # one after another), from the remembered drawing rather than the Sketchpad's layers.
    again_in = [last_drawing, upload.input, top_k, weights]
    top_k.change(fn(demo.show_again, models), again_in, draw.shown + upload.shown, **LIVE)
    weights.change(fn(demo.weights_changed, models, views), again_in + [last_image],
                   draw.shown + upload.shown + model + [inside_view.gallery], **LIVE)
    app.load(fn(demo.model_card, models), weights, model, api_visibility="private")
    app.load(demo.architecture_rows, None, arch.table, api_visibility="private")  # in the page's language
    app.load(None, js=SELECT_BRUSH)
    app.load(None, js=LIVE_DRAWING)


def wire_inside(views, tabs, draw, upload, inside_view, weights, last_image, shown_by_button):
    """Inside the network: remember the last good drawing or upload (no forward pass), show it when the
    tab opens or the weights change; "Look inside" opens the tab for the input beside it (/inside_*)."""
    fn = demo.bind
    upload.input.change(inside.remember_upload, [upload.input, last_image], last_image, preprocess=False, **QUIET)
    out = dict(outputs=inside_view.gallery, concurrency_limit=16, concurrency_id="inside")
    inside_view.tab.select(fn(inside.inside_last, views), [last_image, weights, shown_by_button],
                           [inside_view.gallery, shown_by_button], api_visibility="private", concurrency_id="inside")
    draw.look_inside.click(fn(inside.inside_sketch, views), [draw.input, weights], api_name="inside_sketch",
                           api_description=inside.API_DESCRIPTION, preprocess=False, **out)
    upload.look_inside.click(fn(inside.inside_upload, views), [upload.input, weights], api_name="inside_upload",
                             api_description=inside.API_DESCRIPTION, preprocess=False, **out)
    for button in (draw.look_inside, upload.look_inside):  # switching tabs fires the tab's select event too
        button.click(lambda: (gr.Tabs(selected="inside"), True), None, [tabs, shown_by_button],
                     api_visibility="private", queue=False)


def build(models, delete_after=websafety.DEFAULT_DELETE_AFTER):
    """The page; launch it with i18n=nin.app.i18n.page_i18n(delete_after), head=nin.app.i18n.HEAD."""
    views = inside.InsideViews(models)  # every layer's output, for the "Inside the network" tab
    note = T("retention")
    with gr.Blocks(title=i18n.TITLE[i18n.EN], delete_cache=websafety.delete_cache(delete_after)) as app:
        last_image = gr.State(None)  # the last good drawing or upload, for the inside view
        last_drawing = gr.State(None)  # the drawing the Draw tab answers for (None: none), for a new top-k or weights
        shown_by_button = gr.State(False)  # "Look inside" has drawn the view: opening the tab need not
        gr.Markdown(T("about"))
        with gr.Accordion(T("how_it_works"), open=False):
            gr.Markdown(T("about.more"))
        with gr.Tabs() as tabs:
            draw = draw_tab(note)
            upload = upload_tab(note)
            inside_view = inside_tab(views)
            arch = architecture_tab()
            model = model_tab()
        weights, top_k = settings_row(models)

        wire_api(models, draw, upload, arch, weights, top_k)
        wire_page(app, models, views, draw, upload, arch, model, inside_view, weights, top_k, last_image, last_drawing)
        wire_inside(views, tabs, draw, upload, inside_view, weights, last_image, shown_by_button)
    return app


def positive_seconds(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1 second")
    return value


def main(argv=None):
    p = argparse.ArgumentParser(description="NiN garment classifier demo")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    p.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    p.add_argument("--weights", help="serve only this .weights.h5 file (default: every file in weights/)")
    p.add_argument("--weights-dir", metavar="DIR", help="serve every .weights.h5 file in DIR instead of weights/ "
                   "(with its exports and metadata beside it)")
    p.add_argument("--runtime", choices=RUNTIMES,
                   help=f"how the network runs on the CPU (default: {APP_RUNTIME} where exported, else keras; "
                        "see bench/RESULTS.md)")
    p.add_argument("--max-batch-size", type=int, default=16, help="requests that may share one forward pass")
    p.add_argument("--delete-after", type=positive_seconds, default=websafety.DEFAULT_DELETE_AFTER, metavar="SECONDS",
                   help="delete uploads, drawings and output pictures this long after they were made (default: 1 hour)")
    args = p.parse_args(argv)
    websafety.limit_malloc_arenas()  # before any thread: memory stays flat under load
    try:
        models = demo.Models(args.weights, args.runtime, args.max_batch_size, args.weights_dir)
    except WeightsError as e:
        sys.exit(f"error: {e}")
    app = build(models, args.delete_after)
    try:  # share only when asked; our own start line instead of Gradio's (which suggests share=True)
        _, local_url, share_url = app.queue(max_size=256).launch(
            server_name=args.host, server_port=args.port, share=args.share, quiet=True, prevent_thread_lock=True,
            css=CSS, i18n=i18n.page_i18n(args.delete_after), head=i18n.HEAD, **websafety.launch_settings())
    except OSError as e:  # e.g. the port is taken
        sys.exit(f"error: cannot serve on {args.host}:{args.port}: {str(e).splitlines()[0] if str(e) else e!r}")
    websafety.start_folder_pruner(args.delete_after)
    websafety.start_memory_trimmer()
    if share_url:
        print(f"NiN garment classifier on {local_url} and publicly on {share_url}", flush=True)
    else:
        print(f"NiN garment classifier on {local_url} (add --share for a public link)", flush=True)
    app.block_thread()


if __name__ == "__main__":
    main()
