"""Icons redrawn the way a person draws in 20 seconds, in the form the Draw tab gives the network.

A designer's icon is exact; a doodle is not. From the icon's ink we keep a few lines (the outline
of a filled shape, the centre line of a drawn stroke), then bend them with a smooth random warp,
vary their width, break them in places, sometimes fill the shape, and hand the strokes to the
Draw tab's own step (`nin.pipeline.preprocess.center_28` with the sketch stroke width).
"""
import cv2
import numpy as np
from scipy import ndimage

from nin.pipeline.preprocess import PAIR_SHARE, STROKE_PX, center_28

SIDE = 256  # working canvas, as a Sketchpad's drawing area


def ink_of(rgba):
    """1 where the icon has ink (its alpha), float32 [SIDE, SIDE]."""
    a = rgba[..., 3].astype(np.float32) / 255
    if a.shape[0] != SIDE:
        a = cv2.resize(a, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    return a


def is_line_icon(ink):
    """A line icon (strokes of one width) rather than a filled shape: no ink far from an edge."""
    solid = ink > 0.5
    ys, xs = np.nonzero(solid)
    if len(ys) == 0:
        return False
    side = max(np.ptp(ys), np.ptp(xs)) + 1
    return ndimage.distance_transform_edt(solid).max() < 0.09 * side


def one_of_a_pair(ink):
    """The larger of two shoes or sandals side by side (the app's uploads keep one too): a pair is
    drawn as one, as people draw it. Pieces are the icon's solid parts; small ones (eyes, straps) stay."""
    labels, n = ndimage.label(ink > 0.5)
    if n < 2:
        return ink
    sizes = ndimage.sum(ndimage.binary_fill_holes(ink > 0.5), labels, range(1, n + 1))
    order = np.argsort(sizes)[::-1]
    if sizes[order[1]] < PAIR_SHARE * sizes[order[0]]:
        return ink
    keep = ndimage.binary_dilation(labels == order[0] + 1, iterations=3)
    return np.where(keep, ink, 0).astype(np.float32)


def colour_edges(rgba, solid, most):
    """Where a filled icon's colours change inside its shape (a face's eyes and mouth, a car's windows):
    the inner lines a person draws, which the icon's outline alone loses. The `most` longest only:
    a doodle keeps a few features, not every shade."""
    rgb = rgba[..., :3].astype(np.float32) * (rgba[..., 3:4] / 255.0) + 255 * (1 - rgba[..., 3:4] / 255.0)
    grey = cv2.GaussianBlur(rgb.astype(np.uint8), (5, 5), 0)
    if grey.shape[0] != SIDE:
        grey = cv2.resize(grey, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    edges = np.zeros((SIDE, SIDE), np.uint8)
    for c in range(3):
        edges |= cv2.Canny(grey[..., c], 40, 120) > 0
    edges &= ndimage.binary_erosion(solid, iterations=3)  # inside the shape: the outline comes from the alpha
    labels, n = ndimage.label(edges, np.ones((3, 3)))
    if n == 0:
        return edges.astype(np.uint8)
    sizes = ndimage.sum(edges, labels, range(1, n + 1))
    longest = np.argsort(sizes)[::-1][:most]
    return np.isin(labels, 1 + longest[sizes[longest] >= 0.08 * SIDE]).astype(np.uint8)


def centre_lines(ink, rgba=None, inner=0):
    """The lines a person would draw: a line icon's stroke centres, a filled icon's outline and holes,
    and its `inner` longest inner colour edges."""
    from skimage.morphology import skeletonize

    solid = ink > 0.5
    if is_line_icon(ink):
        return skeletonize(solid).astype(np.uint8)
    filled = ndimage.binary_fill_holes(solid)
    contours, _ = cv2.findContours(solid.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    lines = np.zeros(ink.shape, np.uint8)
    big = [c for c in contours if cv2.contourArea(c) > 0.004 * filled.sum() + 20]  # no specks or tiny holes
    cv2.drawContours(lines, big, -1, 1, 1)
    if rgba is not None and inner:
        lines |= skeletonize(colour_edges(rgba, filled, inner)).astype(np.uint8)
    return lines


def _simplified(lines, rng):
    """Redraw the lines as polylines, often with fewer corners (people simplify), some left open."""
    contours, _ = cv2.findContours(lines, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    out = np.zeros_like(lines)
    eps = rng.choice([0.0, 1.5, 3.0, 5.0])
    for c in contours:
        if len(c) < 3:
            continue
        if eps:
            c = cv2.approxPolyDP(c, eps, closed=False)
        pts = c[:, 0, :].astype(np.float32)
        if len(pts) > 8 and rng.random() < 0.3:  # an overshoot: the stroke runs on past its end
            d = pts[-1] - pts[-2]
            pts = np.vstack([pts, pts[-1] + d / (np.linalg.norm(d) + 1e-6) * rng.uniform(4, 14)])
        cv2.polylines(out, [np.round(pts).astype(np.int32)], False, 1, 1, cv2.LINE_8)
    return out


def _warp(img, rng, amount):
    """A smooth random bend, amount px at most: a hand's wobble over the whole drawing."""
    h, w = img.shape
    fields = [ndimage.gaussian_filter(rng.normal(size=(h // 16, w // 16)), 1.5) for _ in range(2)]
    fields = [cv2.resize((f / (np.abs(f).max() + 1e-6) * amount).astype(np.float32), (w, h),
                         interpolation=cv2.INTER_CUBIC) for f in fields]
    yy, xx = np.indices((h, w), np.float32)
    return cv2.remap(img.astype(np.float32), xx + fields[0], yy + fields[1], cv2.INTER_LINEAR)


def _gaps(lines, rng):
    """A few breaks in the strokes, as where a pen lifts."""
    ys, xs = np.nonzero(lines)
    if len(ys) == 0:
        return lines
    for i in rng.choice(len(ys), size=min(len(ys), int(rng.integers(0, 5))), replace=False):
        cv2.circle(lines, (int(xs[i]), int(ys[i])), int(rng.integers(3, 8)), 0, -1)
    return lines


def hand_drawn(rgba, rng):
    """One 20-second drawing of the icon as the Draw tab's pipeline makes it: 28x28 float32 in [0, 1]."""
    ink = one_of_a_pair(ink_of(rgba))
    lines = _simplified(centre_lines(ink, rgba, inner=int(rng.integers(0, 5))), rng)
    lines = _gaps(lines, rng)
    # shrink a little and pad: people leave margins, and the warp must not cut the drawing
    lines = cv2.copyMakeBorder(lines, 24, 24, 24, 24, cv2.BORDER_CONSTANT, value=0)
    width = int(rng.integers(2, 7))  # the pen: thin to felt-tip, before the pipeline's own thickening
    lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    strokes = (_warp(lines, rng, rng.uniform(4, 16)) > 0.5).astype(np.uint8)
    if rng.random() < 0.15:  # sometimes filled in
        strokes = np.maximum(strokes, ndimage.binary_fill_holes(strokes).astype(np.uint8))
    return center_28(strokes.astype(np.float32), stroke_px=STROKE_PX)
