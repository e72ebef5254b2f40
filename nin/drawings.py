"""Training images that look like what people draw, made at 28x28 from Fashion-MNIST garments.

People do not draw texture: they draw a few strokes around the shape (often not closed, often
simplified to straight lines), add the inner lines that name the garment (a coat's front
opening, a shirt's collar and buttons, a shoe's sole and laces) or fill the shape in.
`as_drawing(x28, label, rng)` turns one training garment into one such drawing.

Strokes are drawn with OpenCV on a 4x canvas and reduced to 28x28 with area averaging, so a
stroke ends up 0.75-2.5 px wide and anti-aliased, like a sketch after `prepare_sketch`.
"""
import cv2
import numpy as np
from scipy import ndimage

from nin.preprocess import FOREGROUND, center_28, garment_mask

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


def as_drawing(x28, label, rng):
    """One drawing-like version of a 28x28 garment in [0, 1]; the mix is what people send."""
    if int(label) in TOPS and rng.random() < ARMS_OUT_SHARE:
        x28 = arms_out(x28, rng)
    r = rng.random()
    if r < 0.2:
        return silhouette(x28)
    if r < 0.3:
        return outline(x28)
    return stroke_drawing(x28, int(label), rng)
