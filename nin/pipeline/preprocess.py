"""The one preprocessing pipeline: any photo, upload or drawing -> a Fashion-MNIST-like 28x28 image.

Fashion-MNIST was made from product photos: grey, negated (garment light on black), trimmed
to the garment, longest side scaled to 28 px, centred. We do the same to what people bring.
`prepare(given, source)` is the one door in: it returns a `Prepared` record.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

BOX_LEVEL = 0.06  # the garment's box: above photo noise after negation, below Fashion-MNIST's faint edges
FOREGROUND = 0.1  # an intensity (0..1, garment bright) above this counts as garment


# --- the garment's filled shape (nin/pipeline/imitations.py draws training drawings from it) ---

def garment_mask(x28):
    """Filled mask of a 28x28 garment image (holes such as a bag's handle loop stay if open)."""
    return ndimage.binary_fill_holes(x28 > FOREGROUND)


# --- decoding: whatever people upload -> a PIL image, or one clear sentence ---

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 20 MB (MiB): the pipeline's own check, and Gradio's max_file_size (nin.serve.websafety)
MAX_PIXELS = 50_000_000  # larger images are refused before decoding (decompression bombs)

WORK_SIZE = 512  # images are reduced to at most this before analysis: fast, and plenty for 28 px
# Only these decoders ever see an upload: common formats, and none that runs an external program
# (Pillow's EPS plugin calls Ghostscript) or is rarely exercised.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")  # JPEG includes MPO (multi-picture camera JPEGs)
NOT_AN_IMAGE = "This file is not an image this app can read; upload a PNG, JPEG, GIF, BMP or WebP."
DAMAGED = "The image file is damaged or truncated and cannot be decoded; upload another copy."
TOO_BIG_FILE = f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB; upload a smaller image."


class PreprocessError(ValueError):
    """Input that cannot become a garment image; str() is one sentence for the user."""


def _too_many_pixels(img):
    return PreprocessError(f"The image is {img.width}x{img.height} pixels, more than "
                           f"{MAX_PIXELS // 1_000_000} megapixels; upload a smaller one.")


def _from_array(arr):
    if arr.size == 0:
        raise PreprocessError("The image is empty.")
    try:
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        elif arr.dtype != np.uint8:
            arr = np.nan_to_num(arr, nan=0.0, posinf=255.0, neginf=0.0)
            arr = np.clip(arr * (255 if arr.max() <= 1.0 else 1), 0, 255).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (2, 3, 4)):
            return Image.fromarray(arr)
    except (TypeError, ValueError):
        pass
    raise PreprocessError(f"An array of shape {arr.shape} and type {arr.dtype} is not an image.")


def _looks_like_image(data):
    """Does it start like one of FORMATS?"""
    return (data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM"))
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"))


def _decode(data):
    """Bytes -> a loaded PIL image (first frame; JPEGs decoded at reduced size), or PreprocessError."""
    try:
        img = Image.open(io.BytesIO(data), formats=FORMATS)
        if img.width * img.height > MAX_PIXELS:
            raise _too_many_pixels(img)
        img.draft("RGB", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at reduced size, fast for big photos
        img.seek(0)  # first frame of an animation
        img.load()
        return img
    except PreprocessError:
        raise
    except Image.DecompressionBombError:
        raise PreprocessError("The image is too large to open safely (decompression bomb); upload a smaller one.") from None
    except UnidentifiedImageError:  # no decoder took it: a broken header of a known format, or not an image
        raise PreprocessError(DAMAGED if _looks_like_image(data) else NOT_AN_IMAGE) from None
    except MemoryError:
        raise PreprocessError("The image is too large to decode; upload a smaller one.") from None
    except Exception:  # decoders raise many types (OSError, SyntaxError, struct.error, ...) on bad data
        raise PreprocessError(DAMAGED) from None


def open_image(src):
    """A PIL image, upright (EXIF), first frame, from a path, bytes, numpy array or PIL image."""
    if src is None:
        raise PreprocessError("No image: upload a photo or pick an example first.")
    if isinstance(src, Image.Image):
        img = src
    elif isinstance(src, np.ndarray):
        img = _from_array(src)
    else:
        if isinstance(src, (bytes, bytearray, memoryview)):
            data = bytes(src)
        else:
            try:
                path = Path(src)
                if not path.is_file():
                    shown = "".join(c if c.isprintable() else "?" for c in (path.name or str(path)))[:60]
                    raise PreprocessError(f"File not found ({shown}); upload the image again.")
                if path.stat().st_size > MAX_UPLOAD_BYTES:
                    raise PreprocessError(TOO_BIG_FILE)
                data = path.read_bytes()
            except PreprocessError:
                raise
            except (OSError, TypeError, ValueError):  # unreadable, not a path, NUL in the name, ...
                raise PreprocessError("The upload could not be read as a file; upload the image again.") from None
        if not data:
            raise PreprocessError("The file is empty (0 bytes).")
        if len(data) > MAX_UPLOAD_BYTES:
            raise PreprocessError(TOO_BIG_FILE)
        img = _decode(data)
    if img.width * img.height > MAX_PIXELS:
        raise _too_many_pixels(img)
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # broken EXIF: keep the pixels as stored
        pass
    return img


def _unsupported_mode(img):
    return PreprocessError(f"Images in colour mode {img.mode} are not supported; save it as an RGB PNG or JPEG.")


def _alpha(img):
    """Alpha channel (0..1) of an image of any mode; opaque where it has none."""
    try:
        return np.asarray(img.convert("RGBA"), np.float32)[..., 3] / 255.0
    except (ValueError, OSError, TypeError):
        raise _unsupported_mode(img) from None


HIGH_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # 16/32-bit grey


def to_foreground(img):
    """Grey float image with the garment bright on a dark background, as in Fashion-MNIST.

    Transparent pixels become background. A busy background (a bed, a floor, a coloured wall) is
    cut away first (garment_cutout). Otherwise the background level is read from the border; if it
    is lighter than the middle (the usual photo: dark garment on white), the image is negated,
    exactly as Fashion-MNIST negated its product photos.
    """
    return _foreground(img)[0]


def _foreground(img):
    """(to_foreground's image, the garment's alpha where it was cut out or transparent else None,
    whether GrabCut cut it out)."""
    try:
        img.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.BOX)
        alpha = None
        if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info):
            rgba = np.asarray(img.convert("RGBA"), np.float32) / 255.0
            alpha = rgba[..., 3]
            grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        elif img.mode in HIGH_DEPTH:
            arr = np.nan_to_num(np.asarray(img, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
            hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
            grey = np.clip(arr / hi, 0, 1)
        else:
            grey = np.asarray(img.convert("L"), np.float32) / 255.0
    except (ValueError, OSError, TypeError):  # a mode Pillow cannot convert (e.g. LAB)
        raise _unsupported_mode(img) from None
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise PreprocessError("The image has no pixels.")

    if alpha is not None and alpha.min() < 0.5:
        # cut-out: garment where opaque; dark garments are negated to be bright
        inside = alpha > 0.5
        level = float(grey[inside].mean()) if inside.any() else 1.0
        fg = (1.0 - grey if level < 0.75 else grey) * alpha
        return fg.astype(np.float32), alpha, False

    rgb8 = _rgb(img) if img.mode not in HIGH_DEPTH else None  # converted once, for every check below
    rgb = rgb8 / np.float32(255.0) if rgb8 is not None else None
    if rgb is not None and not _plain(rgb):
        alpha = garment_cutout(rgb8)
        return cutout_foreground(grey, alpha), alpha, True
    if rgb is not None and np.ptp(backdrop := backdrop_colour(rgb)) >= PLAIN_CHROMA:
        # a coloured backdrop: the garment is what differs in colour (in grey, a garment as bright vanishes)
        dist = np.linalg.norm(rgb - backdrop, axis=-1)
        return np.clip(dist / max(float(np.percentile(dist, 99.5)), 0.1), 0.0, 1.0).astype(np.float32), None, False
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    bg = float(np.median(border))
    if bg > 0.5:
        fg = (bg - grey) / max(bg, 1e-3)  # negate, and a tinted background becomes black
    else:
        fg = (grey - bg) / max(1.0 - bg, 1e-3)
    return np.clip(fg, 0.0, 1.0).astype(np.float32), None, False


# --- photos on a busy background: cut the garment out before the Fashion-MNIST steps ---

PLAIN_SPREAD = 0.08  # border colours (0..1 RGB) within this of their median: a plain backdrop, no cut-out
# ... for this share of the border: a garment may touch the edges, as Fashion-MNIST's do, and still be on
# a plain backdrop (at 0.9, 17 of the 28 examples went through GrabCut for nothing: 25 ms each; no
# development photo changes path between 0.9 and 0.75)
PLAIN_SHARE = 0.75
PLAIN_CHROMA = 0.15  # a border this far from grey (max - min of its RGB) is a coloured backdrop
CUT_SIDE = 128  # GrabCut works at this size (about 30 ms here); the mask is scaled back up
CUT_ITERATIONS = 2  # as good as 3 on the development photos (0.595 both), 15 ms less per photo
CUT_FLOOR = 0.3  # a cut-out garment is at least this bright: a white shirt on a white bed stays visible


def _border(arr, frac=0.04):
    b = max(1, int(round(frac * max(arr.shape[:2]))))
    return np.concatenate([arr[:b].reshape(-1, arr.shape[-1]), arr[-b:].reshape(-1, arr.shape[-1]),
                           arr[:, :b].reshape(-1, arr.shape[-1]), arr[:, -b:].reshape(-1, arr.shape[-1])])


def _rgb(img):
    """The image as RGB uint8, or None for a mode that has no RGB."""
    try:
        return np.asarray(img.convert("RGB"))
    except (ValueError, OSError, TypeError):
        return None


def plain_background(img):
    """Is the border one even colour (a studio backdrop, a page)? Then the border level alone separates the garment."""
    rgb = _rgb(img)
    return True if rgb is None else _plain(rgb / np.float32(255.0))


def _plain(rgb):
    """plain_background for RGB floats in 0..1."""
    if min(rgb.shape[:2]) < 16:
        return True
    spread = np.linalg.norm(_border(rgb) - backdrop_colour(rgb), axis=1)
    return float(np.percentile(spread, 100 * PLAIN_SHARE)) < PLAIN_SPREAD


def backdrop_colour(rgb):
    """Median colour (0..1 RGB) of the image's border."""
    return np.median(_border(rgb), 0)


def garment_cutout(rgb):
    """Alpha (0..1, image size) of the garment in an RGB uint8 photo: OpenCV GrabCut from a rectangle 4 % in
    from the border, at CUT_SIDE px; the largest piece with its holes filled (of two shoes, one, as
    Fashion-MNIST shows)."""
    import cv2

    h, w = rgb.shape[:2]
    s = CUT_SIDE / max(h, w)
    small = cv2.resize(rgb, (max(8, round(w * s)), max(8, round(h * s))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    b = max(2, round(0.04 * max(sh, sw)))
    mask = np.full((sh, sw), cv2.GC_PR_FGD, np.uint8)
    mask[:b], mask[-b:], mask[:, :b], mask[:, -b:] = cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut seeds its colour models with k-means: the same photo, the same answer
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, None, bgd, fgd, CUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # degenerate colours (one flat colour): keep everything inside the rectangle
        pass
    keep = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    labels, n = ndimage.label(keep)
    if n == 0:
        return np.ones((h, w), np.float32)
    keep = labels == 1 + int(np.argmax(piece_sizes(labels, n)))
    keep = ndimage.binary_fill_holes(keep)
    return cv2.resize(keep.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def cutout_foreground(grey, alpha):
    """A cut-out garment as Fashion-MNIST shows one: bright on black; dark garments negated, light ones kept."""
    inside = alpha > 0.5
    level = float(grey[inside].mean()) if inside.any() else 1.0
    g = 1.0 - grey if level < 0.75 else grey
    return np.clip((CUT_FLOOR + (1.0 - CUT_FLOOR) * g) * alpha, 0.0, 1.0).astype(np.float32)


def piece_sizes(labels, n):
    """Pixels in each of the pieces 1..n of ndimage.label's labels (as ndimage.sum of the mask, faster)."""
    return np.bincount(labels.ravel(), minlength=n + 1)[1:]


def _garment_box(fg):
    """Bounding box (y0, y1, x0, x1) of the garment, ignoring specks and noise, or None."""
    # low, so the faint edge pixels Fashion-MNIST keeps inside its box stay inside ours
    # (a higher level trimmed them and enlarged garments: -1.5 points on re-centred test images)
    level = max(BOX_LEVEL, 0.1 * float(fg.max()))
    mask = fg > level
    if not mask.any():
        return None
    labels, n = ndimage.label(mask)
    sizes = piece_sizes(labels, n)
    kept = np.zeros(n + 1, bool)  # label -> kept, so one lookup marks every pixel (np.isin is slower)
    kept[1:] = sizes >= max(2, 0.02 * sizes.max())
    ys, xs = np.nonzero(kept[labels])
    if len(ys) == 0:  # only specks (e.g. a few isolated pixels)
        return None
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


def center_28(fg, stroke_px=None):
    """Trim to the garment, scale its longer side to 28 px, centre on a black 28x28 canvas.

    stroke_px: for drawings, thicken strokes first so a line is about stroke_px wide at 28 px,
    whatever the canvas or brush size.
    """
    box = _garment_box(fg)
    if box is None or fg.max() < FOREGROUND:
        raise PreprocessError("No garment found: the image looks blank or uniform.")
    y0, y1, x0, x1 = box
    crop = fg[y0:y1, x0:x1]
    side = max(crop.shape)
    if stroke_px:
        scale = side / 28.0
        size = int(round(stroke_px * scale))
        if size > 1:
            crop = ndimage.grey_dilation(np.pad(crop, size), size=(size, size))[size:-size, size:-size]
    h, w = crop.shape
    th, tw = max(1, round(h * 28 / side)), max(1, round(w * 28 / side))
    small = np.asarray(Image.fromarray(crop).resize((tw, th), Image.Resampling.BOX if side > 28 else Image.Resampling.BILINEAR), np.float32)
    out = np.zeros((28, 28), np.float32)
    oy, ox = (28 - th) // 2, (28 - tw) // 2
    out[oy:oy + th, ox:ox + tw] = small
    peak = np.percentile(out[out > FOREGROUND], 99.9) if (out > FOREGROUND).any() else out.max()
    return np.clip(out / max(peak, 1e-3), 0.0, 1.0)  # Fashion-MNIST images span the full range


def is_line_drawing(fg):
    """A few thin strokes on a plain page (a doodle saved as a file), not a photographed garment:
    little of the garment's box is ink, and the ink is strokes (bright), not shading."""
    box = _garment_box(fg)
    if box is None:
        return False
    y0, y1, x0, x1 = box
    crop = fg[y0:y1, x0:x1]
    ink = crop > 0.5
    return bool(ink.mean() < LINE_INK and (crop > FOREGROUND).mean() < 1.5 * LINE_INK)


LINE_INK = 0.2  # at most this share of the garment's box is ink in a line drawing
FILL_CLOSE = 2  # px at 28: gaps this wide in a drawn outline are closed before it is filled
FILL_BODY = 0.6  # a filled drawing's inside, below its drawn lines (1.0): the lines stay visible


def fill_drawing(x28):
    """A drawn outline as the filled, light shape Fashion-MNIST shows, its drawn lines kept brighter.

    At 4x: close small gaps, fill what the outline encloses at FILL_BODY, lines on top. An open
    outline encloses nothing and stays as drawn.
    """
    import cv2

    big, enclosed = drawing_enclosed(x28)
    out = cv2.resize(np.maximum(enclosed * FILL_BODY, big).astype(np.float32), (28, 28), interpolation=cv2.INTER_AREA)
    return np.clip(out, 0.0, 1.0)


def drawing_enclosed(x28):
    """(the drawing at 4x, the mask of what its outline encloses at 4x: gaps up to FILL_CLOSE px closed,
    then filled)."""
    import cv2

    big = cv2.resize(np.asarray(x28, np.float32), (112, 112), interpolation=cv2.INTER_LINEAR)
    k = 4 * FILL_CLOSE
    closed = cv2.morphologyEx((big > 0.3).astype(np.uint8), cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
    return big, ndimage.binary_fill_holes(closed)


def _upload(src):
    """(28x28 image, the decoded image, its foreground, its alpha or None, whether it is a line drawing)."""
    img = open_image(src)
    if img.width < 2 or img.height < 2:
        raise PreprocessError(f"The image is only {img.width}x{img.height} pixels; upload a real photo or drawing.")
    fg, alpha, cut = _foreground(img)
    drawn = is_line_drawing(fg)
    if drawn:
        x28 = center_28(fg, stroke_px=STROKE_PX)
    else:
        fg = one_garment(fg)
        x28 = center_28(fg)
        if cut:
            x28 = match_brightness(x28)
    return x28, img, fg, alpha, drawn


def kept_view(img, kept):
    """The (reduced) photo where kept (0..1) is high; the rest faded into a checkerboard (cut away, as image
    editors show transparency)."""
    try:
        rgb = np.asarray(img.convert("RGB"), np.float32)
    except (ValueError, OSError, TypeError):
        rgb = np.repeat(np.asarray(img.convert("L"), np.float32)[..., None], 3, 2)
    a = np.clip(np.asarray(kept, np.float32) * 4, 0, 1)
    if a.shape != rgb.shape[:2]:
        return rgb.astype(np.uint8)
    a = ndimage.grey_dilation(a, size=(3, 3))[..., None]
    yy, xx = np.indices(a.shape[:2]) // max(4, max(a.shape) // 40)
    checker = np.where((yy + xx) % 2 == 0, 235.0, 175.0)[..., None]
    return (rgb * a + (0.2 * rgb + 0.8 * checker) * (1 - a)).clip(0, 255).astype(np.uint8)


# Mean brightness inside a Fashion-MNIST garment (its filled mask), over 2,000 validation images:
# 0.60 (median 0.63), from `python -c "from nin import data, preprocess as p; _, (x, _) =
# data.train_validation_split(*data.load_split('train')); x = x[:2000] / 255;
# print(sum(i[p.garment_mask(i)].mean() for i in x) / len(x))"`. A cut-out photo, negated and normalised, is far brighter (0.79 on the real-world
# development photos): a flat white shape, which the network reads as a shirt more than as a T-shirt.
GARMENT_BRIGHTNESS = 0.60


def match_brightness(x28, target=GARMENT_BRIGHTNESS):
    """A gamma that brings the garment's mean brightness (over its mask) to Fashion-MNIST's; the order of
    the pixels stays. Found by bisection: saturated pixels stay 1.0 under any gamma."""
    mask = garment_mask(x28)
    if not mask.any():
        return x28
    x = np.clip(x28, 0, 1)
    inside = x[mask]
    lo, hi = np.log(0.2), np.log(8.0)  # log gamma
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (inside ** np.exp(mid)).mean() > target else (lo, mid)
    return (x ** np.exp((lo + hi) / 2)).astype(np.float32)


PAIR_SHARE = 0.4  # a second piece at least this big (of the largest) is a second garment, e.g. the other shoe


def one_garment(fg):
    """The largest garment where a photo shows two (a pair of shoes): Fashion-MNIST shows one."""
    mask = fg > max(BOX_LEVEL, 0.1 * float(fg.max()))
    labels, n = ndimage.label(mask)
    if n < 2:
        return fg
    sizes = piece_sizes(labels, n)
    if np.sort(sizes)[-2] < PAIR_SHARE * sizes.max():
        return fg
    largest = labels == 1 + int(np.argmax(sizes))
    others = ndimage.binary_dilation(mask & ~largest, iterations=2) & ~largest  # with their soft edges
    return np.where(others, 0.0, fg).astype(np.float32)


def sketch_strokes(value):
    """Drawn strokes as a float image (1 where drawn) from the Gradio sketchpad value.

    Uses the layers' alpha, which does not depend on the viewer's light/dark theme; falls back to
    the composite image when there are no layers.
    """
    if value is None:
        raise PreprocessError("Draw something first.")
    if isinstance(value, dict):
        layers = [l for l in (value.get("layers") or []) if l is not None]
        if layers:
            alphas = [_alpha(open_image(l)) for l in layers]
            shapes = {a.shape for a in alphas}
            if len(shapes) == 1:
                return np.max(alphas, axis=0)
        value = value.get("composite")
        if value is None:
            raise PreprocessError("Draw something first.")
    img = open_image(value)
    if img.mode in ("RGBA", "LA"):
        alpha = _alpha(img)
        if alpha.min() < 0.5:  # alpha < 128 of 255 somewhere: strokes on a transparent canvas
            return alpha
    return to_foreground(img)


STROKE_PX = 1.6  # drawn lines end up about as wide as the outlines the model was shown


def _sketch(value):
    """(the 28x28 image, the drawing's longer side over the canvas's: how big it was drawn, which the
    28x28 no longer shows; the garment check (nin/serve/garment.py) calls a tiny scribble no garment)."""
    strokes = sketch_strokes(value)
    if strokes.max() < FOREGROUND:
        raise PreprocessError("Draw something first: the canvas is empty.")
    x28 = center_28(strokes, stroke_px=STROKE_PX)
    y0, y1, x0, x1 = _garment_box(strokes)  # center_28 found one
    return x28, max(y1 - y0, x1 - x0) / max(strokes.shape)


# --- the one door: what a person gave -> one record ---

@dataclass(frozen=True)
class Prepared:
    """What the pipeline made of one input; the app, the inside view, the CLIs and the tests read it."""
    image: np.ndarray  # 28x28 float32 in [0, 1], garment bright on black: what the network sees
    path: str  # "photo" or "drawing": the path it took (the garment check compares each with its own)
    extent: float | None = None  # a canvas drawing: its longer side over the canvas's (None for uploads)
    _kept: Callable | None = field(default=None, repr=False, compare=False)

    @property
    def kept(self):
        """What the pipeline kept of an upload, as RGB uint8 with what it cut away faded; None for a
        canvas drawing. Made when asked for: only the page shows it."""
        return None if self._kept is None else self._kept()


SOURCES = ("upload", "sketch")


def prepare(given, source="upload"):
    """The one door into the pipeline: what a person gave -> Prepared, or PreprocessError with one sentence.

    source "upload": a file path, bytes, a PIL image or an array; a photo takes the photo path, a line
    drawing saved as a file the Draw tab's (strokes thickened). source "sketch": the Sketchpad's value
    (dict of layers and composite), or an image of strokes on a transparent canvas."""
    if source == "sketch":
        x28, extent = _sketch(given)
        return Prepared(x28, "drawing", extent)
    if source != "upload":
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    x28, img, fg, alpha, drawn = _upload(given)
    return Prepared(x28, "drawing" if drawn else "photo", None,
                    lambda: kept_view(img, fg if alpha is None else np.minimum(alpha, fg > FOREGROUND)))


def prepare_upload(src):
    """prepare(src).image: the 28x28 image of an upload, for code that needs nothing else."""
    return prepare(src).image


def prepare_sketch(value):
    """prepare(value, "sketch").image: the 28x28 image of a drawing, for code that needs nothing else."""
    return prepare(value, "sketch").image
