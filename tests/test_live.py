"""The live Draw tab's server side (app.py LIVE_DRAWING, demo.show_live, demo.sketch_changed): the
strokes the page's script sends give the answer the Sketchpad's value gives; a cleared canvas clears
it; strokes the script cannot copy leave it to the Sketchpad; a bad value is one sentence. No
browser here: tests/browser/test_browser_live.py drives the page itself."""
import base64
import io

import gradio as gr
import numpy as np
import pytest
from PIL import Image, ImageDraw

from nin.app import demo

from nin.serve import serving
from nin.pipeline.preprocess import PreprocessError

TROUSER = [(120, 60), (280, 60), (300, 340), (220, 340), (200, 140), (180, 340), (100, 340), (120, 60)]


def strokes_png(points=TROUSER, width=12):
    """Black strokes on a transparent 400x400 canvas, as the page's script and the Sketchpad's layer draw them."""
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(img).line(points, fill=(0, 0, 0, 255), width=width, joint="curve")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return img, buf.getvalue()


def data_url(png):
    return serving.LIVE_PREFIX + base64.b64encode(png).decode()


@pytest.fixture(scope="module")
def models():
    return demo.Models()


def test_the_live_strokes_give_the_sketchpads_answer(models, tmp_path):
    layer, png = strokes_png()
    path = tmp_path / "layer.png"
    layer.save(path)
    live = demo.show_live(models, data_url(png), 3, None)
    # the Sketchpad's own value for the same strokes, through the pipeline the API uses
    given = serving.prepare_request(data_url(png), "live")
    x28, extent = given.image, given.extent
    from nin.pipeline.preprocess import prepare
    sketchpad = prepare({"background": None, "layers": [str(path)], "composite": None}, "sketch")
    y28, extent_sketchpad = sketchpad.image, sketchpad.extent
    assert np.array_equal(x28, y28) and extent == pytest.approx(extent_sketchpad)
    label, top, seen, cam, verdict, last, drawn = live
    assert next(iter(label)) == "Trouser" and top.startswith("**Trouser**")
    assert seen.endswith(".png") and cam.endswith(".png") and verdict == ""
    assert label == demo.top_k(demo._forward(models, y28, None)[0], 3)
    # remembered with the answer: the inside view's image and the drawing for another top-k or weights
    assert last == drawn and np.array_equal(drawn["image28"], y28) and drawn["extent"] == pytest.approx(extent)


def test_a_cleared_canvas_clears_and_uncopied_strokes_leave_the_answer_alone(models):
    before = {"source": "your upload", "image28": np.zeros((28, 28)).tolist()}
    # cleared: no answer, the inside view keeps the image before, the drawing is forgotten
    assert demo.show_live(models, "", 3, None, before) == (*demo.SHOWN_NOTHING, before, None)
    kept = demo.show_live(models, serving.LIVE_OFF, 3, None, before)
    assert len(kept) == len(demo.SHOWN_NOTHING) + 2 and all(isinstance(v, type(gr.skip())) for v in kept)


def test_the_sketchpads_event_answers_only_when_the_live_copy_did_not(models, monkeypatch, tmp_path):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the Sketchpad's files live in Gradio's cache
    layer, png = strokes_png()
    path = tmp_path / "layer.png"
    layer.save(path)
    sketch = {"background": None, "layers": [str(path)], "composite": None}
    skipped = demo.sketch_changed(models, sketch, 3, None, data_url(png), None)
    assert len(skipped) == 7 and all(isinstance(v, type(gr.skip())) for v in skipped)
    for live in ("", serving.LIVE_OFF):  # cleared, or the eraser was used: the Sketchpad answers and remembers
        label, top, seen, cam, verdict, last, drawn = demo.sketch_changed(models, sketch, 3, None, live, None)
        assert next(iter(label)) == "Trouser" and last["source"] == "your drawing"
        assert np.asarray(last["image28"]).shape == (28, 28) and drawn == last


def test_another_top_k_or_weights_answers_for_the_remembered_drawing(models):
    _, png = strokes_png()
    live = demo.show_live(models, data_url(png), 3, None)
    drawn = live[-1]
    again = demo.show_again(models, drawn, None, 5, None)
    assert len(again) == len(demo.SHOWN_NOTHING) + len(demo.UPLOAD_SHOWN_NOTHING)
    assert len(again[0]) == 5 and list(again[0].items())[:3] == list(live[0].items())  # the same answer, 5 deep
    assert again[1:5] == live[1:5] and again[5:] == demo.UPLOAD_SHOWN_NOTHING  # no upload: nothing there
    assert demo.show_again(models, None, None, 3, None)[:5] == demo.SHOWN_NOTHING  # no drawing: no answer


@pytest.mark.parametrize("value, says", [
    ("data:image/jpeg;base64,AAAA", "not a PNG drawing"),
    (serving.LIVE_PREFIX + "not base64!", "damaged in transit"),
    (serving.LIVE_PREFIX + "A" * serving.LIVE_MAX_CHARS, "not a PNG drawing"),
    (12, "not a PNG drawing"),
])
def test_a_bad_live_value_is_one_sentence(value, says):
    with pytest.raises(PreprocessError, match=says):
        serving.live_png(value)
    with pytest.raises(gr.Error, match=says):
        serving.prepare_request(value, "live")


def test_a_live_png_that_is_no_drawing_says_so():
    blank = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    buf = io.BytesIO()
    blank.save(buf, "PNG")
    with pytest.raises(gr.Error, match="Draw something first"):
        serving.prepare_request(data_url(buf.getvalue()), "live")
    with pytest.raises(gr.Error, match="not an image|could not be read|damaged"):
        serving.prepare_request(data_url(b"\x89PNG\r\n\x1a\n" + b"0" * 40), "live")
