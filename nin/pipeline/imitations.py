"""Every imitation of what people bring, made from Fashion-MNIST garments, for training and for measuring.

Training (28x28 in, 28x28 out): `as_drawing` (strokes around the shape, below), `as_upload` (a
resampled photo re-centred by the pipeline), `as_cutout` (what the photo path cuts out of a busy
photo), `as_edge_drawing` (randomized thin edges).
Measuring (what a person hands the app, before the pipeline): `as_photo` (encoded image bytes),
`as_sketch_layer` (a traced outline or filled shape as a Sketchpad layer), `as_scratch_drawing`
(a garment drawn from memory, no image traced).

The training drawings:

People do not draw texture: they draw a few strokes around the shape (often not closed, often
simplified to straight lines), add the inner lines that name the garment (a coat's front
opening, a shirt's collar and buttons, a shoe's sole and laces) or fill the shape in.
`as_drawing(x28, label, rng)` turns one training garment into one such drawing.

Strokes are drawn with OpenCV on a 4x canvas and reduced to 28x28 with area averaging, so a
stroke ends up 0.75-2.5 px wide and anti-aliased, like a sketch after `prepare_sketch`.
"""
import io

import cv2
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from nin.pipeline.preprocess import (FOREGROUND, PreprocessError, center_28, cutout_foreground, garment_mask,
                                     match_brightness)

UP = 4  # drawing canvas: 4 x 28 = 112 px
T_SHIRT, TROUSER, PULLOVER, DRESS, COAT, SANDAL, SHIRT, SNEAKER, BAG, ANKLE_BOOT = range(10)
SHOES = (SANDAL, SNEAKER, ANKLE_BOOT)
TOPS = (PULLOVER, COAT, SHIRT)  # long-sleeved: one silhouette, told apart by their inner lines
# How much more often a garment of each class is drawn in training (times --drawings). Pullovers,
# coats and shirts share one silhouette, so drawn they differ only by inner lines; the network
# needs more of those drawings to outweigh the real photos, where a line down the front means a
# shirt. Likewise a sole line across a drawn sneaker or boot reads as a sandal's strap.
DRAW_WEIGHT = np.array([2.0 if c in TOPS else 1.5 if c in (SNEAKER, ANKLE_BOOT) else 1.0
                        for c in range(10)])


def silhouette(x28):
    """The garment as one flat light shape (holes such as a bag's handle loop kept if open)."""
    return garment_mask(x28).astype(np.float32)


def outline(x28):
    """The exact contour of the filled garment, 1 px, on its border."""
    mask = garment_mask(x28)
    return (mask & ~ndimage.binary_erosion(mask)).astype(np.float32)


def _long_sleeves(mask):
    """Do the sleeves reach down to the hem (the garment as wide near its hem as at its widest)? Short
    sleeves reach nowhere near there."""
    y0, y1, x0, x1 = _box(mask)
    low = np.nonzero(mask[y0 + int((y1 - y0) * 0.8)])[0]
    return len(low) > 0 and low.max() - low.min() + 1 >= 0.85 * (x1 - x0)


def _free_sleeves(mask, rng):
    """The mask with a 1 px slit between each long sleeve and the body, from the armpit down: drawn,
    the arms stand apart from the body, as people draw them (in the photos they lie against it)."""
    if not mask.any():
        return mask
    y0, y1, x0, x1 = _box(mask)
    h, w = y1 - y0, x1 - x0
    if not _long_sleeves(mask):
        return mask
    mask = mask.copy()
    top = int(round(y0 + h * rng.uniform(0.25, 0.4)))
    for x in (x0 + w * rng.uniform(0.15, 0.24), x1 - 1 - w * rng.uniform(0.15, 0.24)):
        mask[top:y1, int(round(x))] = False
    return mask


ARMS_OUT_SHARE = 0.35  # of drawn long-sleeved tops, drawn with the arms held out
# Of drawings, drawn with other proportions: people draw from memory, not by tracing (a flat sneaker,
# trousers as wide as they are long, a squat bag); the real doodles the network missed most were these.
PROPORTIONS_SHARE = 0.3


def arms_out(x28, rng):
    """A long-sleeved top's silhouette with its sleeves swung out from the shoulders by 25-80 degrees,
    re-fitted into the 28x28 square: people draw sweaters and jackets with their arms held out, a
    shape Fashion-MNIST's flat-laid photos never show (a sweater drawn so reads as a T-shirt). A top
    whose sleeves do not reach down to the hem comes back unchanged. Used on pullovers, coats and shirts."""
    mask = garment_mask(x28)
    if not mask.any():
        return x28
    y0, y1, x0, x1 = _box(mask)
    h, w = y1 - y0, x1 - x0
    if not _long_sleeves(mask) or h < 8:
        return x28
    pad = 28  # room for the swung-out sleeves
    big = np.pad(mask, pad).astype(np.uint8)
    out = big.copy()
    armpit = y0 + pad + int(round(h * rng.uniform(0.2, 0.35)))
    shoulder = y0 + pad + int(round(h * rng.uniform(0.05, 0.15)))
    for side in (-1, 1):
        sleeve_w = int(round(w * rng.uniform(0.15, 0.24)))
        edge = x0 + pad + sleeve_w if side < 0 else x1 + pad - sleeve_w  # where the sleeve meets the body
        cols = slice(x0 + pad, edge) if side < 0 else slice(edge, x1 + pad)
        sleeve = np.zeros_like(big)
        sleeve[armpit:, cols] = big[armpit:, cols]
        out[armpit:, cols] = 0
        angle = rng.uniform(25, 80) * side  # cv2: positive turns counter-clockwise on screen; left: clockwise, out
        root = np.zeros_like(big)
        root[armpit:armpit + 3, cols] = big[armpit:armpit + 3, cols]
        for a, part in [(a, root) for a in np.linspace(0, angle, 6)] + [(angle, sleeve)]:  # the root swept: the armpit
            turn = cv2.getRotationMatrix2D((float(edge), float(shoulder)), float(a), 1.0)
            out |= cv2.warpAffine(part, turn, part.shape[::-1], flags=cv2.INTER_NEAREST)
    return center_28(ndimage.binary_closing(out, iterations=1).astype(np.float32))  # the pipeline's own trim and fit


def _contours(x28, holes, sleeves_rng=None):
    """Contours (on the 4x canvas) of the garment; with holes, also inner loops (handles, straps);
    with sleeves_rng, long sleeves apart from the body (_free_sleeves)."""
    mask = garment_mask(x28) if not holes else ndimage.binary_closing(x28 > FOREGROUND, iterations=1)
    if sleeves_rng is not None:
        mask = _free_sleeves(mask, sleeves_rng)
    big = cv2.resize(mask.astype(np.float32), (28 * UP, 28 * UP), interpolation=cv2.INTER_LINEAR) > 0.5
    mode = cv2.RETR_CCOMP if holes else cv2.RETR_EXTERNAL
    found, _ = cv2.findContours(big.astype(np.uint8), mode, cv2.CHAIN_APPROX_NONE)
    found = [c[:, 0, :] for c in found if cv2.contourArea(c) > (3 * UP) ** 2]
    return sorted(found, key=lambda c: -cv2.contourArea(c[:, None, :]))


def _wobble(points, rng, amount):
    """A hand is not a ruler: move each vertex a little."""
    return points + rng.normal(0, amount, points.shape)


def _box(mask):
    ys, xs = np.nonzero(mask)
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


def _across(mask, y, inset, rng, jitter):
    """[a line across the garment at height y, from edge to edge less `inset`], or [] where the row is empty."""
    row = np.nonzero(mask[min(int(y), 27)])[0]
    return [[(row.min() + inset, y), (row.max() - inset, y + rng.normal(0, jitter))]] if len(row) else []


def _inner_lines(mask, label, rng):
    """Polylines (28 px units) that people add inside a garment of this class, or []."""
    if not mask.any():
        return []
    y0, y1, x0, x1 = _box(mask)
    h, w = y1 - y0, x1 - x0
    cx = float(np.mean(np.nonzero(mask)[1]))
    j = lambda s: rng.normal(0, s)  # noqa: E731 - small jitter in px
    lines = []
    if label in (COAT, SHIRT) and rng.random() < 0.9:
        # People mark a coat by its opening (a zip or edge line, often pockets, sometimes a belt) and
        # a shirt by its collar and buttons; a bare line down the front should read as a coat.
        coat = label == COAT
        top = y0 + h * rng.uniform(0.0, 0.12)
        if rng.random() < (0.6 if coat else 0.85):  # collar or lapels: a V from the neckline
            d, v = w * rng.uniform(0.08, 0.16), h * rng.uniform(0.1, 0.25)
            lines.append([(cx - d, top), (cx + j(0.3), top + v), (cx + d, top)])
            top += v
        if rng.random() < (0.95 if coat else 0.55):  # front opening / button line
            lines.append([(cx + j(0.3), top), (cx + j(0.5), y1 - 0.5)])
        if rng.random() < (0.2 if coat else 0.9):  # buttons
            for y in np.linspace(top + 2, y1 - 2, int(rng.integers(3, 6))):
                lines.append([(cx + 1.0, y), (cx + 1.3, y + 0.3)])
        if coat and rng.random() < 0.45:  # two pockets, low on the front
            y, half = y0 + h * rng.uniform(0.55, 0.75), w * rng.uniform(0.07, 0.12)
            for side in (-1, 1):
                px = cx + side * w * rng.uniform(0.18, 0.28)
                lines.append([(px - half, y + j(0.3)), (px + half, y + j(0.3))])
        if coat and rng.random() < 0.2:  # a belt across the waist
            lines += _across(mask, y0 + h * rng.uniform(0.45, 0.6), 0.5, rng, 0.3)
    elif label in (T_SHIRT, PULLOVER, DRESS) and rng.random() < 0.4:  # a neckline
        d = w * rng.uniform(0.1, 0.18)
        top = y0 + 0.5
        lines.append([(cx - d, top), (cx - d / 2, top + h * 0.08), (cx + d / 2, top + h * 0.08), (cx + d, top)])
        if label == DRESS and rng.random() < 0.5:  # a waist
            lines += _across(mask, y0 + h * rng.uniform(0.3, 0.45), 0.5, rng, 0.4)
    elif label in SHOES and rng.random() < 0.8:
        lines += _across(mask, y1 - h * rng.uniform(0.12, 0.25), 0.3, rng, 0.3)  # the sole
        if label != SANDAL and rng.random() < 0.7:  # laces on the upper part, toward the ankle
            for x in np.linspace(x0 + w * 0.35, x0 + w * 0.6, int(rng.integers(2, 5))):
                col = np.nonzero(mask[:, min(int(x), 27)])[0]
                if len(col):
                    t = col.min() + 1.0
                    lines.append([(x, t), (x + 1.5, t + 1.5 + j(0.3))])
    elif label == TROUSER and rng.random() < 0.5:  # the line between the legs
        lines.append([(cx + j(0.3), y0 + h * rng.uniform(0.25, 0.45)), (cx + j(0.3), y1 - 0.5)])
    return lines


def _render(polylines, closed, width):
    """Draw polylines (4x canvas px) and reduce to a 28x28 float image with peak 1."""
    canvas = np.zeros((28 * UP, 28 * UP), np.uint8)
    for pts, c in zip(polylines, closed):
        pts = np.round(pts * 8).astype(np.int32)  # 3 fractional bits for smooth lines
        cv2.polylines(canvas, [pts.reshape(-1, 1, 2)], c, 255, int(width), cv2.LINE_AA, shift=3)
    small = cv2.resize(canvas.astype(np.float32) / 255.0, (28, 28), interpolation=cv2.INTER_AREA)
    peak = small.max()
    return np.clip(small / peak, 0, 1).astype(np.float32) if peak > 0 else small


def stroke_drawing(x28, label, rng, simplify=None, open_share=None, inner=True, holes=None, width=None,
                   free_sleeves=None):
    """The garment drawn in strokes: its contour (maybe simplified to a few straight lines, maybe
    left open, long sleeves maybe apart from the body), plus inner lines of its class. Arguments left
    None are drawn at random."""
    holes = rng.random() < 0.5 if holes is None else holes
    if free_sleeves is None:
        free_sleeves = label in TOPS and rng.random() < 0.5
    contours = _contours(x28, holes, rng if free_sleeves else None)
    if not contours:
        return outline(x28)
    width = int(rng.integers(3, 11)) if width is None else width  # 0.75 - 2.5 px at 28
    simplify = rng.choice([0.0, 0.0, rng.uniform(0.4, 1.0), rng.uniform(1.0, 2.5)]) if simplify is None else simplify
    open_share = (rng.uniform(0.05, 0.25) if rng.random() < 0.4 else 0.0) if open_share is None else open_share
    polylines, closed = [], []
    for k, c in enumerate(contours[:3]):
        pts = c.astype(np.float32)
        if simplify > 0:
            pts = cv2.approxPolyDP(pts[:, None, :], simplify * UP, True)[:, 0, :]
        pts = _wobble(pts, rng, 0.6 if simplify > 0 else 0.3)
        if k == 0 and open_share > 0 and len(pts) > 3:  # a gap: the stroke stops short of where it began
            start = int(rng.integers(len(pts)))
            pts = np.roll(pts, -start, axis=0)
            keep = max(3, int(round(len(pts) * (1 - open_share))))
            pts = pts[:keep]
            closed.append(False)
        else:
            closed.append(True)
        polylines.append(pts)
    if inner:
        for line in _inner_lines(garment_mask(x28), label, rng):
            polylines.append(_wobble(np.asarray(line, np.float32) * UP, rng, 0.8))
            closed.append(False)
    return _render(polylines, closed, width)


def other_proportions(drawing, rng, least=0.6):
    """The drawing squashed along one axis to `least`-0.9 of its size, then framed as the pipeline
    frames a sketch: its longer side as long as before, centred."""
    ys, xs = np.nonzero(drawing > 0.05)
    if len(ys) == 0:
        return drawing
    crop = drawing[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    f = rng.uniform(least, 0.9)
    h, w = (h * f, w) if rng.random() < 0.5 else (h, w * f)
    scale = max(crop.shape) / max(h, w)
    h, w = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
    out = np.zeros_like(drawing)
    y0, x0 = (28 - h) // 2, (28 - w) // 2
    out[y0:y0 + h, x0:x0 + w] = small
    return out


def as_drawing(x28, label, rng):
    """One drawing-like version of a 28x28 garment in [0, 1]; the mix is what people send."""
    if int(label) in TOPS and rng.random() < ARMS_OUT_SHARE:
        x28 = arms_out(x28, rng)
    r = rng.random()
    if r < 0.2:
        drawing = silhouette(x28)
    elif r < 0.3:
        drawing = outline(x28)
    else:
        drawing = stroke_drawing(x28, int(label), rng)
    return other_proportions(drawing, rng) if rng.random() < PROPORTIONS_SHARE else drawing


# --- training imitations of photos: 28x28 in, 28x28 out ---

def as_upload(x28, rng):
    """The garment as the app sees an uploaded photo of it: resampled from a random size, a dimmer
    garment over faint noise, then trimmed, scaled and re-centred by the app's own nin.pipeline.preprocess."""
    side = int(rng.integers(36, 160))
    big = np.asarray(Image.fromarray(x28).resize((side, side), Image.Resampling.BICUBIC), np.float32)
    big = big * rng.uniform(0.55, 1.0) + rng.normal(0, 0.015, big.shape).astype(np.float32)
    try:
        return center_28(np.clip(big, 0, 1))
    except PreprocessError:  # (almost) empty after erasing: keep the image as it was
        return x28


def _photographed(photo, mask, rng):
    """What a phone photo adds to a garment that Fashion-MNIST's studio shots do not: uneven light and
    shadow across it, creases, and sometimes a print or stripes (real T-shirts with prints and
    wrinkles otherwise read as Shirt). photo: light page, dark garment, 0..1."""
    ys, xs = np.nonzero(mask)
    light = ndimage.zoom(rng.normal(0, 1, (4, 4)), 7, order=3)[:28, :28]  # smooth, a few bright and dark areas
    out = photo * (1 + rng.uniform(0.05, 0.4) * light / (np.abs(light).max() + 1e-6))
    for _ in range(rng.integers(0, 4)):  # creases: short soft dark lines across the garment
        i = rng.integers(len(ys))
        angle, length = rng.uniform(0, np.pi), rng.uniform(4, 12)
        t = np.linspace(-length / 2, length / 2, 24)
        yy = np.clip(np.round(ys[i] + t * np.sin(angle)).astype(int), 0, 27)
        xx = np.clip(np.round(xs[i] + t * np.cos(angle)).astype(int), 0, 27)
        crease = np.zeros((28, 28), np.float32)
        crease[yy, xx] = 1
        out = out * (1 - rng.uniform(0.1, 0.35) * ndimage.gaussian_filter(crease, 0.6) * 2.5)
    if rng.random() < 0.3:  # a print on the front: a block of another brightness, upper middle
        cy = int(ys.min() + rng.uniform(0.2, 0.5) * (ys.max() - ys.min()))
        cx = int((xs.min() + xs.max()) / 2 + rng.integers(-2, 3))
        h, w = rng.integers(3, 9, 2)
        block = np.zeros((28, 28), bool)
        block[max(0, cy - h // 2):cy + h // 2 + 1, max(0, cx - w // 2):cx + w // 2 + 1] = True
        block &= mask
        shade = rng.uniform(0, 1) + (rng.normal(0, 0.25, (28, 28)) if rng.random() < 0.5 else 0)
        out = np.where(block, shade, out)
    elif rng.random() < 0.2:  # stripes
        period, angle = rng.uniform(2.0, 5.0), rng.choice([0.0, np.pi / 2, rng.uniform(0, np.pi)])
        yy, xx = np.mgrid[0:28, 0:28]
        stripes = np.sin(2 * np.pi * (yy * np.cos(angle) + xx * np.sin(angle)) / period)
        out = np.where(mask, out + rng.uniform(0.1, 0.35) * stripes, out)
    out = out + rng.normal(0, rng.uniform(0, 0.06), out.shape)  # the weave and the camera's grain
    return np.clip(out, 0, 1).astype(np.float32)


def as_cutout(x28, rng):
    """The garment as the app's photo path makes it: photographed in some colour on a busy background
    (uneven light, creases, sometimes a print or stripes: _photographed), cut out
    (nin.pipeline.preprocess.cutout_foreground: bright floor, flat inside, a mask edge off by a pixel), then
    trimmed, re-centred and brought to Fashion-MNIST's brightness as the app does (match_brightness)."""
    mask = garment_mask(x28)
    if not mask.any():
        return x28
    grow = rng.integers(-1, 2)  # GrabCut's edge: a pixel in or out
    if grow > 0:
        mask = ndimage.binary_dilation(mask)
    elif grow < 0 and ndimage.binary_erosion(mask).sum() > 20:
        mask = ndimage.binary_erosion(mask)
    photo = 1.0 - x28  # the photo Fashion-MNIST negated: light page, dark garment
    inside = photo[mask].mean() if mask.any() else 0.5
    photo = np.clip(rng.uniform(0.05, 0.95) + rng.uniform(0.2, 1.2) * (photo - inside), 0, 1)  # any colour, any texture contrast
    if rng.random() < 0.7:
        photo = _photographed(photo, mask, rng)
    alpha = ndimage.gaussian_filter(mask.astype(np.float32), rng.uniform(0.3, 0.8))
    try:
        return match_brightness(center_28(cutout_foreground(photo.astype(np.float32), alpha)))
    except PreprocessError:
        return x28


def as_edge_drawing(x28, rng):
    """Randomized thin edges (Efthymiadis et al., ICPR 2022): the garment's edges at random thresholds,
    some pieces dropped, random width."""
    big = cv2.resize((x28 * 255).astype(np.uint8), (112, 112), interpolation=cv2.INTER_CUBIC)
    lo = rng.uniform(20, 120)
    edges = cv2.Canny(cv2.GaussianBlur(big, (5, 5), rng.uniform(0.8, 2.0)), lo, lo * rng.uniform(1.5, 3.0)) > 0
    labels, n = ndimage.label(edges, structure=np.ones((3, 3)))
    if n > 1:  # drop a few small pieces, as a person leaves out detail
        sizes = ndimage.sum(edges, labels, range(1, n + 1))
        drop = (rng.random(n) < 0.3) & (sizes < np.percentile(sizes, 80))
        edges &= ~np.isin(labels, 1 + np.flatnonzero(drop))
    width = int(rng.integers(3, 10))
    ink = cv2.dilate(edges.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    small = cv2.resize(ink.astype(np.float32), (28, 28), interpolation=cv2.INTER_AREA)
    return np.clip(small * 1.5, 0, 1)


# --- what a person hands the app, for measuring: bytes and Sketchpad layers ---

def _upscaled(x28, side):
    return np.asarray(Image.fromarray((x28 * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC),
                      np.float32) / 255.0


def as_photo(x28, rng):
    """Encoded image bytes of the garment as a photo or product shot might show it."""
    side = int(rng.integers(60, 600))
    x = np.clip(_upscaled(x28, side), 0, 1)
    bg = rng.uniform(0.82, 1.0) * np.ones(3) - rng.uniform(0, 0.08, 3)  # light, slightly tinted
    garment = rng.uniform(0.0, 0.45) * rng.uniform(0.6, 1.0, 3)  # dark-ish colour
    h, w = int(side * rng.uniform(1.05, 1.8)), int(side * rng.uniform(1.05, 1.8))
    canvas = np.ones((h, w, 3)) * bg
    y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    a = x[..., None]
    canvas[y0:y0 + side, x0:x0 + side] = bg * (1 - a) + garment * a
    canvas += rng.normal(0, 0.015, canvas.shape)
    img = Image.fromarray((np.clip(canvas, 0, 1) * 255).astype(np.uint8))
    variant = rng.choice(["jpeg", "png", "grey", "palette", "rgba", "transparent", "exif"])
    buf = io.BytesIO()
    if variant == "jpeg":
        img.save(buf, "JPEG", quality=int(rng.integers(60, 95)))
    elif variant == "grey":
        img.convert("L").save(buf, "PNG")
    elif variant == "palette":
        img.quantize(64).save(buf, "PNG")
    elif variant == "rgba":
        img.convert("RGBA").save(buf, "PNG")
    elif variant == "transparent":
        rgba = np.dstack([np.asarray(img), np.zeros((h, w), np.uint8)])
        rgba[y0:y0 + side, x0:x0 + side, 3] = (255 * (x > FOREGROUND)).astype(np.uint8)
        Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    else:  # stored sideways with an EXIF orientation tag, as phones do
        exif = Image.Exif()
        exif[0x0112] = 6
        img.transpose(Image.Transpose.ROTATE_90).save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def as_sketch_layer(x28, rng, filled=False, canvas=400):
    """RGBA layer (black strokes, transparent elsewhere) of the garment drawn as an outline or filled shape."""
    scale = rng.uniform(0.35, 0.9)
    side = int(canvas * scale)
    mask = ndimage.binary_fill_holes(_upscaled(x28, side) > FOREGROUND)
    mask = ndimage.binary_opening(mask, iterations=2)  # a person does not draw single-pixel specks
    if filled:
        ink = mask
    else:
        width = int(rng.integers(3, 13))
        ink = mask & ~ndimage.binary_erosion(mask, iterations=width)
        for _ in range(int(rng.integers(0, 3))):  # an outline that is not quite closed
            ys, xs = np.nonzero(ink)
            if len(ys):
                i = rng.integers(len(ys))
                yy, xx = np.ogrid[:side, :side]
                ink &= (yy - ys[i]) ** 2 + (xx - xs[i]) ** 2 > (width + 4) ** 2
    layer = np.zeros((canvas, canvas, 4), np.uint8)
    y0, x0 = rng.integers(0, canvas - side + 1, 2)
    layer[y0:y0 + side, x0:x0 + side, 3] = 255 * ink
    return Image.fromarray(layer, "RGBA")


# --- drawings from memory: no test image traced, only what a person knows a garment looks like ---

# Per class, a few templates: (width/height, [polyline, ...]); a polyline is a list of (x, y) in a
# unit box (y down), closed when its last point equals its first. Dots are one-point polylines.
def _closed(*pts):
    return list(pts) + [pts[0]]


_T_BODY = _closed((.32, 0), (.1, .08), (0, .32), (.2, .4), (.25, .3), (.25, 1), (.75, 1), (.75, .3), (.8, .4),
                  (1, .32), (.9, .08), (.68, 0), (.6, .07), (.4, .07))
_LONG_SLEEVES = _closed((.32, 0), (.12, .05), (0, .88), (.13, .9), (.22, .32), (.22, 1), (.78, 1), (.78, .32),
                        (.87, .9), (1, .88), (.88, .05), (.68, 0), (.6, .07), (.4, .07))
_NECK = [(.32, 0), (.4, .1), (.6, .1), (.68, 0)]
_COLLAR_V = [(.36, 0), (.5, .18), (.64, 0)]
SCRATCH_TEMPLATES = {
    0: [(1.0, [_T_BODY, _NECK]),  # T-shirt: a T
        (0.8, [_closed((.25, 0), (.35, 0), (.38, .15), (.62, .15), (.65, 0), (.75, 0), (.78, .3), (.85, 1), (.15, 1),
                       (.22, .3))])],  # a top with straps
    1: [(0.55, [_closed((.1, 0), (.9, 0), (1, 1), (.62, 1), (.5, .3), (.38, 1), (0, 1)), [(.1, .06), (.9, .06)]]),
        (0.5, [_closed((.15, 0), (.85, 0), (.9, 1), (.58, 1), (.5, .25), (.42, 1), (.1, 1))])],
    2: [(1.0, [_LONG_SLEEVES, _NECK]),  # pullover: long sleeves, no opening
        (1.0, [_LONG_SLEEVES, _NECK, [(.22, .93), (.78, .93)], [(0, .8), (.13, .82)], [(.87, .82), (1, .8)]])],
    3: [(0.6, [_closed((.3, 0), (.38, .05), (.62, .05), (.7, 0), (.72, .35), (1, 1), (0, 1), (.28, .35)),
               [(.28, .35), (.72, .35)]]),
        (0.55, [_closed((.35, 0), (.65, 0), (.68, .3), (.9, 1), (.1, 1), (.32, .3))])],
    4: [(0.85, [_LONG_SLEEVES, _COLLAR_V, [(.5, .18), (.5, 1)]]),  # coat: front opening
        (0.8, [_LONG_SLEEVES, _COLLAR_V, [(.5, .18), (.5, 1)], [(.45, .35)], [(.45, .55)], [(.45, .75)],
               [(.28, .65), (.4, .65)], [(.6, .65), (.72, .65)]])],  # buttons and pockets
    5: [(2.2, [_closed((0, .8), (.7, .8), (.85, .55), (1, .5), (1, 1), (0, 1)), [(.15, .8), (.3, .35), (.45, .8)],
               [(.5, .8), (.65, .3), (.8, .55)]]),  # a heel with straps
        (2.6, [_closed((0, .75), (1, .7), (1, 1), (0, 1)), [(.1, .75), (.3, .3), (.5, .72)],
               [(.45, .72), (.7, .25), (.9, .7)]])],  # flat, strappy
    6: [(1.0, [_T_BODY, _COLLAR_V, [(.5, .18), (.5, 1)], [(.53, .35)], [(.53, .55)], [(.53, .75)]]),
        (0.9, [_LONG_SLEEVES, _COLLAR_V, [(.5, .18), (.5, 1)], [(.53, .35)], [(.53, .55)], [(.53, .75)]])],
    7: [(2.4, [_closed((0, .55), (.3, .4), (.5, .1), (.8, 0), (1, .1), (1, .85), (0, .85)), [(0, .85), (1, .85)],
               [(.45, .25), (.55, .35)], [(.52, .17), (.62, .27)], [(.59, .1), (.69, .2)]]),  # sneaker: low, laces
        (2.8, [_closed((0, .6), (.4, .35), (.55, .05), (.9, 0), (1, .2), (1, 1), (0, 1)), [(.02, .8), (1, .8)]])],
    8: [(1.1, [_closed((0, .35), (1, .35), (1, 1), (0, 1)), [(.3, .35), (.35, 0), (.65, 0), (.7, .35)]]),  # handle
        (1.3, [_closed((.05, .4), (.95, .4), (1, 1), (0, 1)), [(.25, .4), (.5, 0), (.75, .4)], [(.05, .55), (.95, .55)]])],
    9: [(1.0, [_closed((.45, 0), (.95, 0), (.95, .85), (.85, 1), (0, 1), (0, .78), (.12, .62), (.45, .52)),
               [(0, .88), (.95, .88)]]),  # ankle boot: a tall shaft
        (0.9, [_closed((.4, 0), (.9, 0), (1, 1), (0, 1), (0, .7), (.4, .55)), [(0, .85), (1, .85)],
               [(.45, .2), (.6, .25)], [(.45, .35), (.6, .4)]])],
}


def _hand_drawn(points, rng, wobble):
    """Resample a polyline densely and bend it with smooth noise, as a hand draws."""
    pts = np.asarray(points, float)
    if len(pts) < 2:
        return pts
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    t = np.concatenate([[0], np.cumsum(seg)])
    n = max(2, int(t[-1] / 0.02))
    s = np.linspace(0, t[-1], n)
    dense = np.stack([np.interp(s, t, pts[:, 0]), np.interp(s, t, pts[:, 1])], 1)
    noise = ndimage.gaussian_filter1d(rng.normal(0, wobble, dense.shape), sigma=4, axis=0, mode="nearest") * 3
    return dense + noise


def as_scratch_drawing(label, rng, canvas=400, templates=None):
    """RGBA layer of garment `label` drawn from memory: a template with jitter, random size, stroke and slant.

    `templates` ([(aspect, lines), ...]) replaces the class's own SCRATCH_TEMPLATES, to probe variants."""

    templates = templates or SCRATCH_TEMPLATES[int(label)]
    aspect, lines = templates[rng.integers(len(templates))]
    aspect *= rng.uniform(0.85, 1.15)
    side = canvas * rng.uniform(0.4, 0.85)
    w, h = (side, side / aspect) if aspect >= 1 else (side * aspect, side)
    angle = np.deg2rad(rng.uniform(-7, 7))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mirror = label in (5, 7, 9) and rng.random() < 0.5  # shoes point either way
    x0, y0 = rng.uniform(10, canvas - w - 10), rng.uniform(10, canvas - h - 10)
    width = int(rng.integers(3, 13))
    layer = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for line in lines:
        pts = np.asarray(line, float)
        if len(pts) > 2 and np.allclose(pts[0], pts[-1]) and rng.random() < 0.3:
            pts = pts[:-1]  # not quite closed
        pts = pts + rng.normal(0, 0.025, pts.shape)  # proportions as remembered
        if mirror:
            pts[:, 0] = 1 - pts[:, 0]
        pts = _hand_drawn(pts, rng, 0.004) if len(pts) > 1 else pts
        xy = ((pts - 0.5) * [w, h]) @ rot.T + [x0 + w / 2, y0 + h / 2]
        if len(xy) == 1:
            r = max(2.0, width * 0.6)
            draw.ellipse([xy[0, 0] - r, xy[0, 1] - r, xy[0, 0] + r, xy[0, 1] + r], fill=(0, 0, 0, 255))
        else:
            draw.line([tuple(p) for p in xy], fill=(0, 0, 0, 255), width=width, joint="curve")
    return layer
