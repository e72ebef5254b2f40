"""A do-nothing app with the same API as app.py: Gradio's own floor for the benchmark.

    python bench/null_app.py --port 7870
"""
import argparse

import gradio as gr
import numpy as np

LABEL = {"T-shirt/top": 0.7, "Shirt": 0.2, "Pullover": 0.1}
IMAGE = np.zeros((224, 224, 3), np.uint8)  # same size as the real app's two output images


def nothing(image, k, weights):
    return LABEL, IMAGE, IMAGE


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
