"""Drawing-like training images: each does what it claims, from real Fashion-MNIST training garments."""
import numpy as np
import pytest
from scipy import ndimage

from nin.pipeline import imitations as drawings
from nin.pipeline.preprocess import garment_mask


@pytest.fixture(scope="module")
def garments():
    from nin.core.data import load_split

    x, y = load_split("train")
    idx = np.concatenate([np.flatnonzero(y == c)[:6] for c in range(10)])
    return x[idx].astype(np.float32) / 255.0, y[idx].astype(int)


def _ok(img):
    return img.shape == (28, 28) and img.dtype == np.float32 and img.min() >= 0 and img.max() <= 1


def _border_distance(x):
    """Distance of every pixel to the garment's filled border (0 on it)."""
    mask = garment_mask(x)
    edge = mask & ~ndimage.binary_erosion(mask)
    return ndimage.distance_transform_edt(~edge)


def test_outline_is_thin_and_lies_on_the_silhouettes_border(garments):
    lit_outline = lit_silhouette = 0
    for x, _ in zip(*garments):
        sil, out = drawings.silhouette(x), drawings.outline(x)
        assert _ok(sil) and _ok(out)
        assert out.sum() < sil.sum()  # thin garments (a sandal's straps) are nearly all border
        assert (_border_distance(x)[out > 0] == 0).all()
        lit_outline, lit_silhouette = lit_outline + out.sum(), lit_silhouette + sil.sum()
    assert lit_outline < 0.4 * lit_silhouette


def test_strokes_follow_the_border_and_simplifying_keeps_them_near_it(garments):
    rng = np.random.default_rng(0)
    for x, y in zip(*garments):
        for simplify in (0.0, 2.0):
            img = drawings.stroke_drawing(x, y, rng, simplify=simplify, open_share=0.0, inner=False, holes=False, width=4,
                                          free_sleeves=False)
            assert _ok(img) and img.max() == pytest.approx(1.0)
            far = _border_distance(x)[img > 0.5]
            assert np.median(far) <= 1.0 and far.max() <= 3.5  # strokes around the garment, not inside it


def test_open_outlines_leave_a_gap_and_wider_strokes_light_more_pixels(garments):
    ink_thin = ink_wide = 0
    for x, y in zip(*garments):
        kw = dict(simplify=0.0, inner=False, holes=False, free_sleeves=False)
        closed = drawings.stroke_drawing(x, y, np.random.default_rng(1), open_share=0.0, width=4, **kw)
        gap = drawings.stroke_drawing(x, y, np.random.default_rng(1), open_share=0.3, width=4, **kw)
        wide = drawings.stroke_drawing(x, y, np.random.default_rng(1), open_share=0.0, width=10, **kw)
        assert (gap > 0.5).sum() < 0.9 * (closed > 0.5).sum()
        assert wide.sum() > closed.sum()
        ink_thin, ink_wide = ink_thin + closed.sum(), ink_wide + wide.sum()
    assert ink_wide > 1.5 * ink_thin  # 2.5 px strokes against 1 px ones, where the garment leaves room


@pytest.mark.parametrize("label", [drawings.COAT, drawings.SHIRT])
def test_coats_and_shirts_get_a_front_opening_down_the_middle(garments, label):
    x, y = garments
    found = 0
    for i in np.flatnonzero(y == label):
        kw = dict(simplify=0.0, open_share=0.0, holes=False, width=4, free_sleeves=False)
        bare = drawings.stroke_drawing(x[i], label, np.random.default_rng(i), inner=False, **kw)
        lined = [drawings.stroke_drawing(x[i], label, np.random.default_rng(i + s), inner=True, **kw) for s in range(4)]
        deep = _border_distance(x[i]) >= 3  # well inside the garment
        assert (bare[deep] > 0.5).sum() == 0
        found += any((img[deep] > 0.5).sum() >= 6 for img in lined)  # a line inside, where the bare outline has none
    assert found >= 5


def test_coats_are_marked_by_their_opening_and_pockets_shirts_by_their_buttons(garments):
    x, y = garments

    def marks(label, i, seed):
        lines = [np.asarray(l) for l in drawings._inner_lines(garment_mask(x[i]), label, np.random.default_rng(seed))]
        length = [np.abs(np.diff(l, axis=0)).sum() if len(l) > 1 else 0 for l in lines]
        vertical = any(n >= 8 and abs(l[-1, 0] - l[0, 0]) < 3 for l, n in zip(lines, length))
        buttons = sum(n < 1 for n in length) >= 3
        flat = [l for l, n in zip(lines, length) if 1 <= n <= 6 and abs(l[-1, 1] - l[0, 1]) < 1.5]
        return vertical, buttons, len(flat) >= 2

    share = {}
    for label in (drawings.COAT, drawings.SHIRT):
        seen = np.array([marks(label, i, s) for i in np.flatnonzero(y == label) for s in range(60)])
        share[label] = seen.mean(0)  # (front line, buttons, pockets)
    coat, shirt = share[drawings.COAT], share[drawings.SHIRT]
    assert coat[0] > 0.8 and coat[0] > shirt[0] + 0.25  # the opening is the coat's mark
    assert shirt[1] > 0.65 and coat[1] < 0.3  # buttons are the shirt's
    assert coat[2] > 0.3 and shirt[2] < 0.05  # pockets low on the front: coats only


def test_as_drawing_and_the_training_batch_keep_shape_and_range(garments):
    from nin.training.train import augment_batch

    x, y = garments
    rng = np.random.default_rng(2)
    for xi, yi in zip(x, y):
        assert _ok(drawings.as_drawing(xi, yi, rng))
    out = augment_batch(x.copy(), rng, shape_p=1.0, labels=y)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    # every image became a drawing: flat strokes/shapes, no garment texture left (mostly 0 or near 1)
    mid = ((out > 0.15) & (out < 0.6)).mean(axis=(1, 2))
    assert np.median(mid) < ((x > 0.15) & (x < 0.6)).mean(axis=(1, 2)).mean()


def test_other_proportions_squash_one_side_and_keep_the_sketch_framing(garments):
    x, y = garments
    rng = np.random.default_rng(3)
    box = lambda d: np.ptp(np.nonzero(d > 0.05), axis=1) + 1  # (height, width) of the ink
    for xi, yi in zip(x[y == 7], y[y == 7]):  # sneakers: wide, flat
        d = drawings.stroke_drawing(xi, int(yi), rng)
        squashed = drawings.other_proportions(d, rng)
        assert _ok(squashed)
        (h0, w0), (h1, w1) = box(d), box(squashed)
        assert abs(max(h1, w1) - max(h0, w0)) <= 1  # the longer side is as long as before ...
        assert abs(h1 / w1 - h0 / w0) > 0.05  # ... and the proportions changed
        ys, xs = np.nonzero(squashed > 0.05)
        assert abs(ys.mean() - 13.5) < 4 and abs(xs.mean() - 13.5) < 4  # centred


def test_pullovers_coats_and_shirts_are_drawn_twice_as_often_in_training():
    # their silhouettes are alike, so the network needs more of their drawings' inner lines
    from nin.core.data import load_split
    from nin.training.train import augment_batch

    x, y = load_split("train")

    def drawn_share(label):
        xs = np.repeat(x[np.flatnonzero(y == label)[:30]].astype(np.float32) / 255.0, 10, axis=0)
        out = augment_batch(xs, np.random.default_rng(label), 0.3, np.full(len(xs), label))
        # a drawing's strokes are saturated; photos almost never are (< 0.2 of lit pixels at 1.0 in 99 %)
        return np.mean((out >= 0.999).sum(axis=(1, 2)) > 0.2 * (out > 0.05).sum(axis=(1, 2)))

    upper = [drawn_share(c) for c in (drawings.PULLOVER, drawings.COAT, drawings.SHIRT)]
    others = [drawn_share(c) for c in (drawings.TROUSER, drawings.DRESS, drawings.BAG)]
    assert min(upper) > 1.5 * max(others)
    assert 0.15 < np.mean(others) < 0.35  # about the share asked for


def test_long_sleeves_can_be_drawn_apart_from_the_body_short_ones_are_left_alone(garments):
    x, y = garments
    freed = detached = 0
    for xi, label in zip(x, y):
        mask = garment_mask(xi)
        out = drawings._free_sleeves(mask, np.random.default_rng(0))
        assert not (out & ~mask).any()  # only ever removes
        cut = mask & ~out
        rows = np.nonzero(mask.any(axis=1))[0]
        width = lambda f: np.ptp(np.nonzero(mask[rows[0] + int(f * len(rows))])[0]) + 1  # noqa: E731
        if label == drawings.T_SHIRT and width(0.25) > 1.2 * width(0.8):
            assert not cut.any()  # short sleeves that stick out reach nowhere near the hem
        if cut.any() and label in drawings.TOPS:  # the tops it is used on
            cols = np.unique(np.nonzero(cut)[1])
            assert len(cols) == 2  # one slit per side, 1 px wide
            assert np.nonzero(cut)[0].min() > np.nonzero(mask)[0].min() + 3  # from below the shoulders down
            detached += ndimage.label(out)[1] > ndimage.label(mask)[1]
            freed += 1
    assert freed >= 6
    assert detached <= 0.15 * freed  # sleeves still hang from the shoulders (5 % cut free in 900 training tops)


def test_arms_out_swings_long_sleeves_out_and_leaves_short_ones_alone(garments):
    """Sweaters and jackets drawn with their arms held out: the top gets wider than tall at the
    shoulders (its sleeves now stick out sideways) and stays one shape; short sleeves stay as they are."""
    x, y = garments
    swung = 0
    for xi, label in zip(x, y):
        out = drawings.arms_out(xi, np.random.default_rng(1))
        assert out.shape == (28, 28) and out.min() >= 0 and out.max() <= 1
        mask0 = garment_mask(xi)
        rows = np.nonzero(mask0.any(axis=1))[0]
        width = lambda f: np.ptp(np.nonzero(mask0[rows[0] + int(f * len(rows))])[0]) + 1  # noqa: E731
        if label == drawings.T_SHIRT and width(0.25) > 1.2 * width(0.8):
            assert out is xi  # short sleeves that stick out: nothing to swing
        if label in drawings.TOPS and out is not xi:
            mask, before = garment_mask(out), garment_mask(xi)
            ys, xs = np.nonzero(mask)
            ys0, xs0 = np.nonzero(before)
            aspect, aspect0 = np.ptp(xs) / max(np.ptp(ys), 1), np.ptp(xs0) / max(np.ptp(ys0), 1)
            assert aspect > 1.1 * aspect0, (label, aspect, aspect0)  # arms out: wider for its height
            assert ndimage.label(mask)[1] <= ndimage.label(before)[1] + 1  # the sleeves stay on (a speck at most)
            swung += 1
    assert swung >= 10  # most of the 18 pullovers, coats and shirts have long sleeves
    # and as_drawing draws some tops so (ARMS_OUT_SHARE of them)
    rng = np.random.default_rng(0)
    pullover = x[y == drawings.PULLOVER][0]
    wide = [np.ptp(np.nonzero(garment_mask(drawings.as_drawing(pullover, drawings.PULLOVER, rng)))[1]) for _ in range(40)]
    assert min(wide) < 27 < max(wide) or len(set(wide)) > 1
