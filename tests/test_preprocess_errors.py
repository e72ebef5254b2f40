"""Bad input to the preprocessing pipeline: each ends as one clear sentence (PreprocessError), never a crash.

Every file is generated here with Pillow/numpy. The pipeline is nin.pipeline.preprocess.prepare_upload /
prepare_sketch, the same code the app runs on raw uploads.
"""
import io
import re
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from nin.pipeline.preprocess import MAX_UPLOAD_BYTES, PreprocessError, prepare_sketch, prepare_upload

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- helpers ---

def garment(h=120, w=90):
    """An upright, clearly asymmetric dark shape on white (an 'F': a tall bar, a top arm, a shorter middle arm)."""
    a = np.full((h, w), 250, np.uint8)
    a[int(.15 * h):int(.85 * h), int(.2 * w):int(.4 * w)] = 20   # vertical bar, left
    a[int(.15 * h):int(.3 * h), int(.2 * w):int(.85 * w)] = 20   # long top arm
    a[int(.45 * h):int(.58 * h), int(.2 * w):int(.65 * w)] = 20  # shorter middle arm
    return a


def save(img, path, fmt=None, **kw):
    img.save(path, fmt, **kw)
    return str(path)


def encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def valid(out):
    assert isinstance(out, np.ndarray) and out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    return out


def message(fn, src, *keywords):
    """Run fn(src), expecting PreprocessError: one line, one clear sentence, with these key words."""
    with pytest.raises(PreprocessError) as info:
        fn(src)
    msg = str(info.value)
    assert msg and "\n" not in msg and "Traceback" not in msg, msg
    assert len(msg) < 160 and msg[0].isupper() and msg.endswith("."), msg
    for word in keywords:
        assert word.lower() in msg.lower(), f"{word!r} not in {msg!r}"
    return msg


def png_bomb(path, width, height, rows=None):
    """A grey PNG whose header says width x height; with rows=None the zero pixels really are all there
    (tiny file, width*height bytes once decoded)."""
    comp = zlib.compressobj(9)
    line = b"\x00" * (width + 1)
    parts = [comp.compress(line) for _ in range(height if rows is None else rows)] + [comp.flush()]

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
    path.write_bytes(data)
    return str(path)


# --- no image, empty sketch, blank images ---

def test_no_image():
    message(prepare_upload, None, "no image", "upload")


@pytest.mark.parametrize("value", [
    None,
    {"background": None, "layers": [], "composite": None},
    {"background": None, "layers": [None], "composite": None},
], ids=["none", "empty-dict", "no-layers"])
def test_no_sketch(value):
    message(prepare_sketch, value, "draw something first")


def test_blank_sketch(tmp_path):
    layer = save(Image.new("RGBA", (400, 400), (0, 0, 0, 0)), tmp_path / "layer.png")
    white = save(Image.new("RGBA", (400, 400), (255, 255, 255, 255)), tmp_path / "composite.png")
    message(prepare_sketch, {"background": None, "layers": [layer], "composite": white}, "draw something first")
    message(prepare_sketch, {"background": None, "layers": [], "composite": white}, "draw something first")
    message(prepare_sketch, white, "draw something first")
    message(prepare_sketch, layer, "draw something first")


@pytest.mark.parametrize("mode,colour", [("RGB", "white"), ("RGB", (120, 130, 140)), ("L", 0), ("L", 255),
                                         ("RGBA", (255, 255, 255, 255)), ("RGBA", (0, 0, 0, 0)), ("P", 7)])
def test_uniform_image(tmp_path, mode, colour):
    path = save(Image.new(mode, (300, 200), colour), tmp_path / "uniform.png")
    message(prepare_upload, path, "no garment found")


def test_specks_only(tmp_path):
    """A few isolated pixels are noise, not a garment (this used to crash in _garment_box)."""
    a = np.full((40, 40), 255, np.uint8)
    a[5, 7] = a[30, 12] = a[20, 33] = 0
    message(prepare_upload, save(Image.fromarray(a), tmp_path / "specks.png"), "no garment found")
    message(prepare_upload, save(Image.fromarray(np.array([[0, 255], [255, 255]], np.uint8)), tmp_path / "2x2.png"),
            "no garment found")


# --- broken files ---

def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    message(prepare_upload, str(tmp_path / "empty.png"), "empty")
    message(prepare_upload, b"", "empty")


def test_corrupt_files(tmp_path):
    png = encode(Image.fromarray(garment()), "PNG")
    jpg = encode(Image.fromarray(garment()).convert("RGB"), "JPEG", quality=90)
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # IHDR's checksum
    cases = {"truncated.png": png[:len(png) // 2], "truncated.jpg": jpg[:len(jpg) // 2],
             "bad-crc.png": bytes(bad_crc), "header-only.png": png[:40], "header-only.jpg": jpg[:20]}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        message(prepare_upload, str(tmp_path / name), "damaged")


@pytest.mark.parametrize("name,data", [
    ("notes.png", b"hello, this is not an image\n" * 20),
    ("page.jpg", b"<!doctype html><html><body>not an image</body></html>"),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'),
    ("doc.jpg", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
    ("archive.gif", b"PK\x03\x04" + bytes(100)),
    ("script.png", b"#!/bin/sh\necho hi\n"),
    ("binary.bmp", bytes(range(256)) * 4),
])
def test_not_an_image(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    message(prepare_upload, str(tmp_path / name), "not an image", "PNG", "JPEG")


def test_formats_outside_the_allow_list(tmp_path):
    """Pillow can read EPS (through Ghostscript), TIFF, ICO, ...; the app only opens PNG/JPEG/GIF/BMP/WebP."""
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"
    (tmp_path / "vector.png").write_bytes(eps)
    message(prepare_upload, str(tmp_path / "vector.png"), "not an image", "PNG")
    tiff = save(Image.fromarray(garment()), tmp_path / "scan.tif", "TIFF")
    message(prepare_upload, tiff, "PNG", "JPEG")


def test_missing_paths(tmp_path):
    message(prepare_upload, str(tmp_path / "nope.png"), "not found")
    message(prepare_upload, str(tmp_path), "not found")
    message(prepare_upload, "bad\0name.png", "not found", "upload")
    message(prepare_upload, str(tmp_path / "two\nlines.png"), "not found")


def test_too_large_file(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(encode(Image.fromarray(garment()), "PNG") + bytes(MAX_UPLOAD_BYTES))
    message(prepare_upload, str(big), "larger than 20 MB")
    message(prepare_upload, big.read_bytes(), "larger than 20 MB")


# --- odd but valid images ---

def test_one_pixel(tmp_path):
    for colour in ("black", "white"):
        message(prepare_upload, save(Image.new("RGB", (1, 1), colour), tmp_path / f"{colour}.png"), "1x1 pixels")
    message(prepare_upload, save(Image.new("L", (1, 500), 0), tmp_path / "line.png"), "1x500 pixels")


def test_16_bit_png(tmp_path):
    a8 = garment()
    path = save(Image.fromarray(a8.astype(np.uint16) * 257), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")
    deep, plain = valid(prepare_upload(path)), valid(prepare_upload(save(Image.fromarray(a8), tmp_path / "plain.png")))
    assert np.abs(deep - plain).max() < 0.02


def test_16_bit_rgb_and_grey_alpha_png(tmp_path):
    """48-bit RGB and 16-bit grey+alpha PNGs (Pillow reads them reduced to 8 bits)."""
    a8 = garment()
    rgb16 = np.repeat((a8.astype(">u2") * 257)[..., None], 3, axis=2)
    raw = b"".join(b"\x00" + row.tobytes() for row in rgb16)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    h, w = a8.shape
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    plain = valid(prepare_upload(Image.fromarray(a8)))
    assert np.abs(valid(prepare_upload(data)) - plain).max() < 0.02


def test_cmyk_jpeg(tmp_path):
    img = Image.fromarray(garment()).convert("RGB")
    cmyk = save(img.convert("CMYK"), tmp_path / "cmyk.jpg", quality=95)
    assert Image.open(cmyk).mode == "CMYK"
    rgb = save(img, tmp_path / "rgb.jpg", quality=95)
    assert np.abs(valid(prepare_upload(cmyk)) - valid(prepare_upload(rgb))).mean() < 0.02


def test_palette_and_transparent_pngs(tmp_path):
    a = garment()
    reference = valid(prepare_upload(save(Image.fromarray(a), tmp_path / "grey.png")))
    palette = save(Image.fromarray(a).convert("RGB").quantize(16), tmp_path / "palette.png")
    assert Image.open(palette).mode == "P"
    assert np.abs(valid(prepare_upload(palette)) - reference).mean() < 0.02
    # dark garment on a fully transparent background (a cut-out)
    rgba = np.zeros(a.shape + (4,), np.uint8)
    rgba[..., 3] = np.where(a < 128, 255, 0)
    cutout = save(Image.fromarray(rgba, "RGBA"), tmp_path / "cutout.png")
    assert np.abs(valid(prepare_upload(cutout)) - reference).mean() < 0.02
    # palette PNG with a transparent index
    p = Image.fromarray(np.where(a < 128, 1, 0).astype(np.uint8), "P")
    p.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    ptrans = save(p, tmp_path / "ptrans.png", transparency=0)
    assert "transparency" in Image.open(ptrans).info
    assert np.abs(valid(prepare_upload(ptrans)) - reference).mean() < 0.02
    # grey + alpha, half-transparent everywhere
    la = save(Image.fromarray(np.dstack([a, np.full_like(a, 100)]), "LA"), tmp_path / "la.png")
    valid(prepare_upload(la))


def test_animated_gif_uses_first_frame(tmp_path):
    first = Image.fromarray(garment()).convert("P")
    other = Image.fromarray(np.rot90(garment()).copy()).resize(first.size).convert("P")
    path = tmp_path / "anim.gif"
    blank = Image.new("P", first.size, 0)
    first.save(path, save_all=True, append_images=[other, blank], duration=100, loop=0)
    assert Image.open(path).n_frames == 3
    out = valid(prepare_upload(str(path)))
    still_first = valid(prepare_upload(save(first, tmp_path / "first.gif")))
    still_other = valid(prepare_upload(save(other, tmp_path / "other.gif")))
    assert np.abs(out - still_first).max() < 1e-6
    assert np.abs(out - still_other).mean() > 0.05


@pytest.mark.parametrize("size", [(120, 90), (3000, 2250)], ids=["small", "large-draft"])
def test_exif_rotated_photo_is_upright(tmp_path, size):
    """A phone stores the pixels sideways and says so in EXIF (orientation 6: rotate 90 deg clockwise to view)."""
    upright = Image.fromarray(garment(*size)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise, so the viewer turns it back
    rotated = save(stored, tmp_path / "phone.jpg", quality=92, exif=exif)
    assert Image.open(rotated).size == (size[0], size[1])  # stored sideways
    want = valid(prepare_upload(save(upright, tmp_path / "upright.jpg", quality=92)))
    got = valid(prepare_upload(rotated))
    sideways = valid(prepare_upload(save(stored, tmp_path / "no-exif.jpg", quality=92)))
    assert np.abs(got - want).mean() < 0.02
    assert np.abs(sideways - want).mean() > 0.1  # the shape really is asymmetric: ignoring EXIF would show


def test_broken_exif_is_ignored(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 77  # not an orientation
    path = save(Image.fromarray(garment()).convert("RGB"), tmp_path / "odd-exif.jpg", exif=exif)
    valid(prepare_upload(path))


# --- too big ---

def test_decompression_bomb(tmp_path):
    """20000x20000 grey PNG: a few hundred kB on disk, 400 MB decoded; refused before decoding."""
    path = png_bomb(tmp_path / "bomb.png", 20000, 20000)
    assert (tmp_path / "bomb.png").stat().st_size < 2_000_000
    message(prepare_upload, path, "too large")
    message(prepare_sketch, {"background": None, "layers": [path], "composite": None}, "too large")


def test_over_the_pixel_limit(tmp_path):
    """64 megapixels: under Pillow's own bomb limit, over the app's 50 MP."""
    message(prepare_upload, png_bomb(tmp_path / "big.png", 8000, 8000, rows=10), "8000x8000", "megapixels")


def test_large_real_photo(tmp_path):
    """6000x4000 JPEG (24 MP, under the upload limit) is processed (JPEG draft mode: decoded at 1/8 size)."""
    rng = np.random.default_rng(0)
    h, w = 1000, 1500  # drawn at a quarter of the size, then enlarged with grain added
    yy, xx = np.mgrid[0:h, 0:w]
    light = 235 - 20 * (yy / h)  # a shaded backdrop
    shirt = ((np.abs(xx - 750) < 225) & (yy > 200) & (yy < 850)) | ((np.abs(xx - 750) < 425) & (yy > 200) & (yy < 375))
    small = np.clip(np.where(shirt, 60, light) + rng.normal(0, 4, (h, w)), 0, 255).astype(np.uint8)
    grey = Image.fromarray(small).resize((6000, 4000), Image.Resampling.BILINEAR)
    grain = Image.effect_noise((6000, 4000), 12)
    grey = Image.blend(grey, grain, 0.08)
    photo = Image.merge("RGB", [grey, grey.point(lambda v: min(255, v + 4)), grey.point(lambda v: min(255, v + 10))])
    path = save(photo, tmp_path / "photo.jpg", quality=90)
    assert (tmp_path / "photo.jpg").stat().st_size < MAX_UPLOAD_BYTES
    t = time.perf_counter()
    out = valid(prepare_upload(path))
    print(f"6000x4000 JPEG processed in {time.perf_counter() - t:.2f} s")
    assert out.mean() > 0.2  # the shirt fills much of the frame


# --- arrays and PIL images (the API of nin.pipeline.preprocess itself) ---

@pytest.mark.parametrize("arr,words", [
    (np.zeros((0, 0), np.uint8), ["empty"]),
    (np.zeros((10, 10, 5), np.uint8), ["not an image"]),
    (np.zeros((2, 3, 4, 5), np.uint8), ["not an image"]),
    (np.full((20, 20), np.nan), ["no garment found"]),
    (np.array([["a", "b"], ["c", "d"]]), ["not an image"]),
])
def test_odd_arrays(arr, words):
    message(prepare_upload, arr, *words)


def test_exotic_pil_modes():
    a = garment()
    for mode in ("LAB", "HSV", "YCbCr", "CMYK", "I", "F", "1", "La"):
        try:
            img = Image.fromarray(a).convert(mode) if mode != "La" else Image.new("La", a.shape[::-1])
        except ValueError:
            continue
        try:
            valid(prepare_upload(img))
        except PreprocessError as e:
            assert "\n" not in str(e)


# --- good images still come out as before ---

def test_photo_like_uploads_match_the_clean_image(test_split):
    """nin/measure/robustness.py's photo-like uploads (all variants) come out like the clean 28x28 test image."""
    from nin.pipeline.imitations import as_photo

    x, _ = test_split
    rng = np.random.default_rng(0)
    corr = []
    for i in range(0, len(x), len(x) // 40):
        x28 = x[i].astype(np.float32) / 255.0
        out = valid(prepare_upload(as_photo(x28, rng)))
        corr.append(np.corrcoef(out.ravel(), x28.ravel())[0, 1])
    assert np.mean(corr) > 0.8, corr


# --- fuzzing: valid 28x28 image or PreprocessError, never anything else ---

def outcome(fn, src):
    try:
        valid(fn(src))
        event(f"{fn.__name__}: ok")
    except PreprocessError as e:
        assert str(e) and "\n" not in str(e)
        event(f"{fn.__name__}: " + re.sub(r"\d+|\(.*\)", "N", str(e))[:45])


MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"GIF87a", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
         b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"]


@FUZZ
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=4096))
def test_fuzz_random_bytes(prefix, body):
    outcome(prepare_upload, prefix + body)


MODES = {  # format -> modes Pillow can write in it
    "PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "PA"],
    "JPEG": ["L", "RGB", "CMYK"],
    "GIF": ["L", "P", "RGB"],
    "BMP": ["1", "L", "P", "RGB", "RGBA"],
    "WEBP": ["RGB", "RGBA"],
}


@st.composite
def random_image(draw):
    fmt = draw(st.sampled_from(sorted(MODES)))
    mode = draw(st.sampled_from(MODES[fmt]))
    w, h = draw(st.integers(2, 120)), draw(st.integers(2, 120))  # 1-pixel images: test_one_pixel
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["noise", "blocks", "constant", "shape"]))
    if kind == "noise":
        rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    elif kind == "blocks":
        rgba = np.kron(rng.integers(0, 256, (h // 8 + 1, w // 8 + 1, 4), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))[:h, :w]
    elif kind == "constant":
        rgba = np.broadcast_to(rng.integers(0, 256, 4, dtype=np.uint8), (h, w, 4)).copy()
    else:
        rgba = np.full((h, w, 4), 255, np.uint8)
        y0, x0 = rng.integers(0, max(1, h // 2)), rng.integers(0, max(1, w // 2))
        rgba[y0:y0 + max(1, h // 2), x0:x0 + max(1, w // 3), :3] = rng.integers(0, 100)
        rgba[..., 3] = rng.choice([0, 255], (h, w)) if rng.random() < 0.3 else 255
    img = Image.fromarray(rgba, "RGBA")
    if mode == "I;16":
        img = Image.fromarray((np.asarray(img.convert("L")).astype(np.uint16) * 257))
    elif mode == "P":
        img = img.convert("RGB").quantize(int(rng.integers(2, 256)))
    elif mode == "PA":
        img = img.convert("PA")
    else:
        img = img.convert(mode)
    kw = {"quality": int(rng.integers(5, 100))} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "PNG" and mode == "P" and rng.random() < 0.5:
        kw["transparency"] = 0
    if fmt == "JPEG" and rng.random() < 0.3:
        exif = Image.Exif()
        exif[0x0112] = int(rng.integers(0, 10))
        kw["exif"] = exif
    try:
        data = encode(img, fmt, **kw)
    except (OSError, ValueError, KeyError):  # a combination the encoder refuses: try it as PNG
        data = encode(img.convert("RGBA"), "PNG")
    return data


@FUZZ
@given(data=random_image())
def test_fuzz_random_images(data, tmp_path_factory):
    outcome(prepare_upload, data)
    path = tmp_path_factory.mktemp("fuzz") / "image.png"
    path.write_bytes(data)
    outcome(prepare_upload, str(path))
    outcome(prepare_sketch, {"background": None, "layers": [str(path)], "composite": None})
    outcome(prepare_sketch, {"background": None, "layers": [], "composite": str(path)})


@FUZZ
@given(data=random_image(), cuts=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
       truncate=st.one_of(st.none(), st.floats(0, 1)))
def test_fuzz_damaged_images(data, cuts, truncate):
    """Valid files with bytes overwritten here and there, and perhaps cut short."""
    b = bytearray(data)
    for where, value in cuts:
        b[min(int(where * len(b)), len(b) - 1)] = value
    if truncate is not None:
        b = b[:int(truncate * len(b))]
    outcome(prepare_upload, bytes(b))


@FUZZ
@given(shape=st.one_of(st.tuples(st.integers(1, 40), st.integers(1, 40)),
                       st.tuples(st.integers(1, 40), st.integers(1, 40), st.integers(1, 5)),
                       st.lists(st.integers(0, 8), min_size=1, max_size=4)),
       dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, bool]),
       seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1.0, 255.0, 1e6, -1.0]))
def test_fuzz_random_arrays(shape, dtype, seed, scale):
    rng = np.random.default_rng(seed)
    arr = (rng.random(shape) * scale).astype(dtype)
    outcome(prepare_upload, arr)
    outcome(prepare_sketch, arr)
