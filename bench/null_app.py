"""A do-nothing app with the same API as app.py: Gradio's own floor for the benchmark.

    python bench/null_app.py --port 7870
"""
import argparse
import os
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

LABEL = {"T-shirt/top": 0.7, "Shirt": 0.2, "Pullover": 0.1}
# Two 224x224 PNGs like the real app's outputs, written once into Gradio's cache and returned as
# paths, as the real app does (an array would be re-saved by Gradio on every request, in place,
# and concurrent downloads of it fail: see nin/demo.py output_file).
CACHE = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio") / "null-app"
CACHE.mkdir(parents=True, exist_ok=True)
IMAGES = []
for i, value in enumerate((0, 255)):
    IMAGES.append(str(CACHE / f"output{i}.png"))
    Image.fromarray(np.full((224, 224, 3), value, np.uint8)).save(IMAGES[-1])


def nothing(image, k, weights):
    return LABEL, IMAGES[0], IMAGES[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=7870)
    args = p.parse_args()
    with gr.Blocks() as app:
        weights = gr.Dropdown(["modern"], value="modern")
        k = gr.Slider(1, 10, value=3, step=1)
        image = gr.Image(type="filepath", image_mode=None)
        outputs = [gr.Label(), gr.Image(), gr.Image()]
        gr.Button().click(nothing, [image, k, weights], outputs, api_name="predict_upload",
                          preprocess=False, concurrency_limit=16)
    app.queue(max_size=256).launch(server_name="127.0.0.1", server_port=args.port)


if __name__ == "__main__":
    main()
