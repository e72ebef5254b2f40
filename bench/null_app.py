"""A do-nothing app with the same API shape as app.py: Gradio's own floor for the benchmark.

    python bench/null_app.py --port 7870              # /predict_upload answers a fixed Label value
    python bench/null_app.py --port 7870 --pictures   # ... and two 224x224 PNGs, as /explain_upload does
    python bench/null_app.py --port 7870 --sketchpad  # a page: the app's Sketchpad, whose change event
                                                      # returns a Label (the live drawing's floor)
"""
import argparse
import os
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

LABEL = {"T-shirt/top": 0.7, "Shirt": 0.2, "Pullover": 0.1}


def picture_files():
    """Two 224x224 PNGs like the real app's pictures, written once into Gradio's cache and returned
    as paths, as the real app does (an array would be re-saved by Gradio on every request)."""
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio") / "null-app"
    cache.mkdir(parents=True, exist_ok=True)
    files = []
    for i, value in enumerate((0, 255)):
        files.append(str(cache / f"output{i}.png"))
        Image.fromarray(np.full((224, 224, 3), value, np.uint8)).save(files[-1])
    return files


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=7870)
    p.add_argument("--pictures", action="store_true", help="also return two pictures (the app's /explain_upload)")
    p.add_argument("--sketchpad", action="store_true", help="the Draw tab's Sketchpad, change -> a fixed Label")
    args = p.parse_args()
    if args.sketchpad:
        return sketchpad_app(args.port)
    pictures = picture_files() if args.pictures else []
    with gr.Blocks() as app:
        weights = gr.Dropdown(["modern"], value="modern")
        k = gr.Slider(1, 10, value=3, step=1)
        image = gr.Image(type="filepath", image_mode=None)
        outputs = [gr.Label()] + [gr.Image() for _ in pictures]
        fn = (lambda image, k, weights: (LABEL, *pictures)) if pictures else (lambda image, k, weights: LABEL)
        gr.Button().click(fn, [image, k, weights], outputs, api_name="predict_upload",
                          preprocess=False, concurrency_limit=16)
    app.queue(max_size=256).launch(server_name="127.0.0.1", server_port=args.port, quiet=True)


def sketchpad_app(port):
    """The floor of the live Draw tab: app.py's Sketchpad (same settings, same ids) and a change event
    that does nothing but return a Label (its first value a hundredth
    up or down, so that the page shows each answer arrive), as app.py's live event is wired (Gradio's preprocess
    on, always_last, progress hidden)."""
    with gr.Blocks() as app:
        sketch = gr.Sketchpad(type="filepath", image_mode="RGBA", canvas_size=(400, 400), layers=False,
                              brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=6),
                              eraser=gr.Eraser(default_size=16), elem_id="sketch")
        label = gr.Label(elem_id="sketch-label")
        answers = iter(range(1 << 62))  # each answer differs a little, so the page shows when it arrived
        sketch.change(lambda value: {**LABEL, "T-shirt/top": 0.7 - 0.01 * (next(answers) % 2)}, sketch, label,
                      trigger_mode="always_last", show_progress="hidden", concurrency_limit=16)
    app.queue(max_size=256).launch(server_name="127.0.0.1", server_port=port, quiet=True)


if __name__ == "__main__":
    main()
