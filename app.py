"""Gradio demo: draw or upload a garment, see NiN's top-k guesses, its class activation map,
its architecture and its model card. Wiring only: the work is done in nin/demo.py.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--weights PATH] [--runtime R] [--delete-after SECONDS]
"""
import argparse
import functools
import os
import sys

import gradio as gr

from nin import demo, inside, websafety
from nin.inference import APP_RUNTIME, RUNTIMES
from nin.weights import WeightsError

ABOUT = """# NiN garment classifier
Draw a garment or upload a photo: a Network in Network trained on Fashion-MNIST guesses what it is."""

ABOUT_MORE = """The network (Lin et al., 2013) was trained on
[Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist); it has no fully connected layer:
its last block makes one 5×5 map per class and averages it, so the map of the winning class shows
*where* it saw the garment (*Where it looked*). *What the model sees* is the 28×28 image your
drawing or photo becomes. The Architecture tab lists every layer; the Model tab, how the weights
were trained and how well they do."""

# On a narrow screen the guesses column stacks under the input: the one-line top guess right under
# the drawing square is what a person drawing with a finger sees change. Wide screens show the
# guesses beside the input, so the line is hidden there.
CSS = """
.top-line { min-height: 1.6em; font-size: 1.15em; }
.top-line p { margin: 0; }
.verdict p { margin: 0; font-weight: 600; }
.retention, .retention p { font-size: 0.85em; opacity: 0.8; margin: 0; }
@media (min-width: 769px) { .top-line { display: none !important; } }
"""

PIPELINE = """Every input goes through one pipeline (`nin/preprocess.py`): grey, negated if the background is
light (Fashion-MNIST garments are light on black), trimmed to the garment, longest side scaled to
28 px and centred, as Fashion-MNIST was made. The 28×28 image is then resized to 224×224 inside the
compiled model, which is the input size the seed network's shapes below are computed for."""

# Gradio's sketchpad opens with no tool selected; select the brush so a person can just draw.
SELECT_BRUSH = """() => {
  const pick = (tries) => {
    const brush = document.querySelector('#sketch button[aria-label="Brush"]');
    if (brush) { if (!brush.classList.contains('highlight')) brush.click(); return; }
    if (tries > 0) setTimeout(() => pick(tries - 1), 100);
  };
  pick(100);
}"""


def guesses(label_id):
    """The outputs beside an input: the verdict line, top-k Label, what the model sees, where it looked."""
    with gr.Column():
        verdict = verdict_line(f"{label_id}-verdict")
        label = gr.Label(label="Guesses", elem_id=label_id)
        with gr.Row():
            view = gr.Image(label="What the model sees (28×28)", height=200, interactive=False)
            cam = gr.Image(label="Where it looked (class map)", height=200, interactive=False)
    return label, view, cam, verdict


def verdict_line(elem_id):
    """'This doesn't look like any of the ten garments I know (…)' above the Guesses, when the garment
    check says so (nin/garment.py); empty otherwise."""
    return gr.Markdown("", elem_id=elem_id, elem_classes="verdict")


def garment_output():
    """The garment check for /explain_* (docs/garment_score.md): an API output, never shown."""
    return gr.JSON(visible=False, label="Garment check")


def top_line(elem_id):
    return gr.Markdown("", elem_id=elem_id, elem_classes="top-line")


def build(models, delete_after=websafety.DEFAULT_DELETE_AFTER):
    fn = functools.partial
    note = websafety.retention_note(delete_after)
    views = inside.InsideViews(models)  # every layer's output, for the "Inside the network" tab
    with gr.Blocks(title="NiN garment classifier", delete_cache=websafety.delete_cache(delete_after)) as app:
        last_image = gr.State(None)  # the last good drawing or upload, for the inside view
        shown_by_button = gr.State(False)  # "Look inside" has drawn the view: opening the tab need not
        gr.Markdown(ABOUT)
        with gr.Accordion("How it works", open=False):
            gr.Markdown(ABOUT_MORE)
        with gr.Tabs() as tabs:
            with gr.Tab("Draw", id="draw"):
                with gr.Row():
                    with gr.Column():
                        sketch = gr.Sketchpad(
                            label="Draw a garment", type="filepath", image_mode="RGBA",
                            canvas_size=(400, 400), brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=6),
                            eraser=gr.Eraser(default_size=16), layers=False, elem_id="sketch")
                        sketch_top = top_line("sketch-top1")
                        sketch_button = gr.Button("Predict", variant="primary")
                        sketch_inside = gr.Button("Look inside the network", elem_id="sketch-inside")
                        gr.Markdown(note, elem_classes="retention")
                    sketch_label, sketch_view, sketch_cam, sketch_verdict = guesses("sketch-label")
            with gr.Tab("Upload", id="upload"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.Image(label="Photo or image of a garment", type="filepath", image_mode=None,
                                          sources=["upload", "clipboard", "webcam"], height=320, elem_id="upload")
                        upload_top = top_line("upload-top1")
                        upload_button = gr.Button("Predict", variant="primary")
                        upload_inside = gr.Button("Look inside the network", elem_id="upload-inside")
                        gr.Markdown(note, elem_classes="retention")
                        gr.Examples(demo.example_files(), inputs=upload, label="Examples (test-set garments, photo-like images)",
                                    examples_per_page=30)
                    upload_label, upload_view, upload_cam, upload_verdict = guesses("upload-label")
            with gr.Tab("Inside the network", id="inside") as inside_tab:
                gr.Markdown(inside.EXPLANATION + f"\n\nLayers from: {views.runtime()}.")
                inside_gallery = gr.Gallery(label="Every layer, in order (click to enlarge)", columns=3, height="max-content",  # the whole pipeline on the page, no inner scrolling
                                            object_fit="contain", elem_id="inside-gallery")
            with gr.Tab("Architecture", id="architecture"):
                gr.Markdown(PIPELINE)
                arch_table = gr.Dataframe(headers=demo.ARCH_HEADERS, value=demo.architecture_rows(),
                                          label="Layers for a 1×224×224×1 input", interactive=False, elem_id="arch-table")
                gr.Image(str(demo.ROOT / "docs" / "architecture.png"), label="The network", show_label=True,
                         interactive=False, buttons=["fullscreen"])
                arch_button = gr.Button("Refresh table", size="sm")
            with gr.Tab("Model", id="model"):
                card = gr.Markdown()
                with gr.Row():
                    curves = gr.Image(label="Training curves", interactive=False)
                    confusion = gr.Image(label="Confusion matrix (test set)", interactive=False)
        # Below the tabs, so that on a phone the drawing square comes right after the title.
        with gr.Row():
            weights = gr.Dropdown(list(models.paths), value=models.default, label="Weights", scale=2)
            top_k = gr.Slider(1, 10, value=demo.DEFAULT_TOP_K, step=1, label="Top-k guesses", scale=1)

        sketch_in, upload_in = [sketch, top_k, weights], [upload, top_k, weights]
        sketch_shown = [sketch_label, sketch_top, sketch_view, sketch_cam, sketch_verdict]
        upload_shown = [upload_label, upload_top, upload_view, upload_cam, upload_verdict]
        # Raw inputs (preprocess=False): our pipeline decodes every file, so bad files get a clear message.
        common = dict(preprocess=False, concurrency_limit=16, concurrency_id="predict")
        page = dict(api_visibility="private", **common)  # the page's own events: not part of the API
        live = dict(trigger_mode="always_last", show_progress="hidden", **page)

        # The public API (docs: README, "API"): the Label value alone, or with the pictures and the
        # garment check (docs/garment_score.md).
        # Its events hang on a trigger nobody clicks, so the page never runs them.
        api = gr.Button(visible=False)
        upload_garment, sketch_garment = garment_output(), garment_output()
        api.click(fn(demo.predict_upload, models), upload_in, upload_label, api_name="predict_upload", **common)
        api.click(fn(demo.predict_sketch, models), sketch_in, sketch_label, api_name="predict_sketch", **common)
        api.click(fn(demo.explain_upload, models), upload_in, [upload_label, upload_view, upload_cam, upload_garment],
                  api_name="explain_upload", **common)
        api.click(fn(demo.explain_sketch, models), sketch_in, [sketch_label, sketch_view, sketch_cam, sketch_garment],
                  api_name="explain_sketch", **common)
        arch_button.click(demo.architecture_rows, None, arch_table, api_name="architecture")

        sketch_button.click(fn(demo.show_sketch, models), sketch_in, sketch_shown, **page)
        upload_button.click(fn(demo.show_upload, models), upload_in, upload_shown, **page)
        # The editor's live value is only an id until Gradio's own preprocess fetches the layers; the
        # files that preprocess writes are handed to delete_cache.
        sketch.change(websafety.track_cache_files(sketch, demo.quietly(fn(demo.show_sketch, models))),
                      sketch_in, sketch_shown, **dict(live, preprocess=True))
        upload.change(demo.unless_empty(fn(demo.show_upload, models)), upload_in, upload_shown, **live)
        for control in (top_k, weights):
            control.change(demo.quietly(fn(demo.show_sketch, models)), sketch_in, sketch_shown, **live)
            control.change(demo.unless_empty(fn(demo.show_upload, models)), upload_in, upload_shown, **live)
        weights.change(fn(demo.model_card, models), weights, [card, curves, confusion], api_visibility="private")
        app.load(fn(demo.model_card, models), weights, [card, curves, confusion], api_visibility="private")
        app.load(None, js=SELECT_BRUSH)

        # Inside the network: remember the last good drawing or upload (no forward pass), show it when the
        # tab opens or the weights change; "Look inside" opens the tab for the input beside it (/inside_*).
        quiet = dict(api_visibility="private", show_progress="hidden", trigger_mode="always_last")
        sketch.change(websafety.track_cache_files(sketch, inside.remember_sketch), [sketch, last_image], last_image,
                      preprocess=True, **quiet)
        upload.change(inside.remember_upload, [upload, last_image], last_image, preprocess=False, **quiet)
        inside_out = dict(outputs=inside_gallery, concurrency_limit=16, concurrency_id="inside")
        inside_tab.select(fn(inside.inside_last, views), [last_image, weights, shown_by_button],
                          [inside_gallery, shown_by_button], api_visibility="private", concurrency_id="inside")
        weights.change(fn(inside.inside_last, views), [last_image, weights], api_visibility="private", **inside_out)
        sketch_inside.click(fn(inside.inside_sketch, views), [sketch, weights], api_name="inside_sketch",
                            api_description=inside.API_DESCRIPTION, preprocess=False, **inside_out)
        upload_inside.click(fn(inside.inside_upload, views), [upload, weights], api_name="inside_upload",
                            api_description=inside.API_DESCRIPTION, preprocess=False, **inside_out)
        for button in (sketch_inside, upload_inside):  # switching tabs fires the tab's select event too
            button.click(lambda: (gr.Tabs(selected="inside"), True), None, [tabs, shown_by_button],
                         api_visibility="private", queue=False)
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
    p.add_argument("--runtime", choices=RUNTIMES,
                   help=f"how the network runs on the CPU (default: {APP_RUNTIME} where exported, else keras; "
                        "see bench/RESULTS.md)")
    p.add_argument("--max-batch-size", type=int, default=16, help="requests that may share one forward pass")
    p.add_argument("--delete-after", type=positive_seconds, default=websafety.DEFAULT_DELETE_AFTER, metavar="SECONDS",
                   help="delete uploads, drawings and output pictures this long after they were made (default: 1 hour)")
    args = p.parse_args(argv)
    websafety.limit_malloc_arenas()  # before any thread: memory stays flat under load
    try:
        models = demo.Models(args.weights, args.runtime, args.max_batch_size)
    except WeightsError as e:
        sys.exit(f"error: {e}")
    app = build(models, args.delete_after)
    try:  # share only when asked; our own start line instead of Gradio's (which suggests share=True)
        _, local_url, share_url = app.queue(max_size=256).launch(
            server_name=args.host, server_port=args.port, share=args.share, quiet=True, prevent_thread_lock=True,
            css=CSS, **websafety.launch_settings())
    except OSError as e:  # e.g. the port is taken
        sys.exit(f"error: cannot serve on {args.host}:{args.port}: {str(e).splitlines()[0] if str(e) else e!r}")
    websafety.start_folder_pruner(args.delete_after)
    if share_url:
        print(f"NiN garment classifier on {local_url} and publicly on {share_url}", flush=True)
    else:
        print(f"NiN garment classifier on {local_url} (add --share for a public link)", flush=True)
    app.block_thread()


if __name__ == "__main__":
    main()
