"""Gradio demo: draw or upload a garment, see NiN's top-k guesses, its class activation map,
its architecture and its model card. Wiring only: the work is done in nin/demo.py.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--weights PATH] [--runtime R]
"""
import argparse
import functools
import os
import sys

import gradio as gr

from nin import demo, inside
from nin.inference import APP_RUNTIME, RUNTIMES
from nin.weights import WeightsError

ABOUT = """# Network in Network: garment classifier
Draw a garment or upload a photo of one. The NiN (Lin et al., 2013) below was trained on
[Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist); it has no fully connected layer:
its last block makes one 5×5 map per class and averages it, so the map of the winning class shows
*where* it saw the garment (right-hand image)."""

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
    """The outputs beside an input: top-k Label, what the model sees, where it looked."""
    with gr.Column():
        label = gr.Label(label="Guesses", elem_id=label_id)
        with gr.Row():
            view = gr.Image(label="What the model sees (28×28)", height=200, interactive=False)
            cam = gr.Image(label="Where it looked (class map)", height=200, interactive=False)
    return [label, view, cam]


def build(models):
    fn = functools.partial
    views = inside.InsideViews(models)  # every layer's output, for the "Inside the network" tab
    with gr.Blocks(title="NiN garment classifier") as app:
        last_image = gr.State(None)  # the last good drawing or upload, for the inside view
        shown_by_button = gr.State(False)  # "Look inside" has drawn the view: opening the tab need not
        gr.Markdown(ABOUT)
        with gr.Row():
            weights = gr.Dropdown(list(models.paths), value=models.default, label="Weights", scale=2)
            top_k = gr.Slider(1, 10, value=demo.DEFAULT_TOP_K, step=1, label="Top-k guesses", scale=1)
        with gr.Tabs() as tabs:
            with gr.Tab("Draw", id="draw"):
                with gr.Row():
                    with gr.Column():
                        sketch = gr.Sketchpad(
                            label="Draw a garment", type="filepath", image_mode="RGBA",
                            canvas_size=(400, 400), brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=6),
                            eraser=gr.Eraser(default_size=16), layers=False, elem_id="sketch")
                        sketch_button = gr.Button("Predict", variant="primary")
                        sketch_inside = gr.Button("Look inside the network", elem_id="sketch-inside")
                    sketch_out = guesses("sketch-label")
            with gr.Tab("Upload", id="upload"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.Image(label="Photo or image of a garment", type="filepath", image_mode=None,
                                          sources=["upload", "clipboard", "webcam"], height=320, elem_id="upload")
                        upload_button = gr.Button("Predict", variant="primary")
                        upload_inside = gr.Button("Look inside the network", elem_id="upload-inside")
                        gr.Examples(demo.example_files(), inputs=upload, label="Examples (test-set garments, photo-like images)",
                                    examples_per_page=30)
                    upload_out = guesses("upload-label")
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

        sketch_in, upload_in = [sketch, top_k, weights], [upload, top_k, weights]
        # Raw inputs (preprocess=False): our pipeline decodes every file, so bad files get a clear message.
        common = dict(preprocess=False, concurrency_limit=16, concurrency_id="predict")
        sketch_button.click(fn(demo.predict_sketch, models), sketch_in, sketch_out, api_name="predict_sketch", **common)
        upload_button.click(fn(demo.predict_upload, models), upload_in, upload_out, api_name="predict_upload", **common)
        live = dict(trigger_mode="always_last", show_progress="hidden", api_visibility="private", **common)
        # The editor's live value is only an id until Gradio's own preprocess fetches the layers.
        sketch.change(demo.quietly(fn(demo.predict_sketch, models)), sketch_in, sketch_out, **dict(live, preprocess=True))
        upload.change(demo.unless_empty(fn(demo.predict_upload, models)), upload_in, upload_out, **live)
        for control in (top_k, weights):
            control.change(demo.quietly(fn(demo.predict_sketch, models)), sketch_in, sketch_out, **live)
            control.change(demo.unless_empty(fn(demo.predict_upload, models)), upload_in, upload_out, **live)
        arch_button.click(demo.architecture_rows, None, arch_table, api_name="architecture")
        weights.change(fn(demo.model_card, models), weights, [card, curves, confusion], api_visibility="private")
        app.load(fn(demo.model_card, models), weights, [card, curves, confusion], api_visibility="private")
        app.load(None, js=SELECT_BRUSH)

        # Inside the network: remember the last good drawing or upload (no forward pass), show it when the
        # tab opens or the weights change; "Look inside" opens the tab for the input beside it (/inside_*).
        quiet = dict(api_visibility="private", show_progress="hidden", trigger_mode="always_last")
        sketch.change(inside.remember_sketch, [sketch, last_image], last_image, preprocess=True, **quiet)
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
    args = p.parse_args(argv)
    try:
        models = demo.Models(args.weights, args.runtime, args.max_batch_size)
    except WeightsError as e:
        sys.exit(f"error: {e}")
    app = build(models)
    try:  # share only when asked; uploads up to the pipeline's limit; files: uploads and examples only
        app.queue(max_size=256).launch(server_name=args.host, server_port=args.port, share=args.share,
                                       max_file_size=demo.MAX_UPLOAD_BYTES, allowed_paths=[str(demo.EXAMPLES_DIR)])
    except OSError as e:  # e.g. the port is taken
        sys.exit(f"error: cannot serve on {args.host}:{args.port}: {str(e).splitlines()[0] if str(e) else e!r}")


if __name__ == "__main__":
    main()
