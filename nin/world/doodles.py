"""Garments doodled from memory, as people draw them on the Draw tab: training drawings (issue 33).

Fashion-MNIST shows every garment from the front or the side, as a shop does. People draw what they
remember: a sweater or a jacket with its arms held out, trousers as wide as they are tall, a flip-flop
seen from above, a backpack with its pocket, a shoe as a flat L. The network read such doodles with a
flat softmax, and the garment check could not tell them from a drawn house or cat.

Each template is (width/height, [polyline, ...]) in a unit box, y down, as nin.pipeline.imitations'
SCRATCH_TEMPLATES; those stay a measurement of drawings from memory (nin.measure.robustness) and none of
them is repeated here. imitations.as_scratch_drawing draws a template with a hand's wobble, size, slant
and pen, and the Draw tab's own step (prepare_sketch) makes the 28x28.
"""
from pathlib import Path

import numpy as np

from nin.pipeline.imitations import as_scratch_drawing
from nin.pipeline.preprocess import PreprocessError, prepare_sketch
from nin.world.cache import CACHE_DIR
from nin.world.synthetic import DOODLES, ICON_DOODLES, THINGS, cached

def _closed(*pts):
    return list(pts) + [pts[0]]


def _oval(cx, cy, rx, ry, n=24, narrow=0.0):
    """An oval; `narrow` > 0 makes its lower half thinner (a sole's heel)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = cx + rx * np.cos(t) * (1 - narrow * (np.sin(t) > 0) * np.sin(t))
    return _closed(*[(float(a), float(b)) for a, b in zip(x, cy + ry * np.sin(t))])


def _dots(x, ys):
    return [[(x, y)] for y in ys]


# sleeves straight out (a T-pose), and sleeves held down at an angle
_ARMS_OUT = _closed((.36, 0), (.02, .06), (0, .24), (.28, .22), (.28, 1), (.72, 1), (.72, .22), (1, .24), (.98, .06),
                    (.64, 0), (.57, .09), (.43, .09))
_ARMS_DOWN = _closed((.34, 0), (.12, .08), (0, .72), (.13, .76), (.26, .36), (.26, 1), (.74, 1), (.74, .36), (.87, .76),
                     (1, .72), (.88, .08), (.66, 0), (.57, .09), (.43, .09))
_CUFFS_OUT = [[(.07, .05), (.07, .23)], [(.93, .05), (.93, .23)]]
_HEM = [(.26, .9), (.74, .9)]
_SHORT = _closed((.32, 0), (.04, .1), (.1, .38), (.25, .33), (.25, 1), (.75, 1), (.75, .33), (.9, .38), (.96, .1),
                 (.68, 0), (.58, .1), (.42, .1))
_OPENING = [(.5, .12), (.5, 1)]
_LAPELS = [(.36, 0), (.5, .3), (.64, 0)]

DOODLE_TEMPLATES = {
    0: [(1.05, [_SHORT]),
        (1.15, [_SHORT, [(.42, .1), (.5, .02), (.58, .1)]]),
        (1.25, [_closed((.3, 0), (0, .12), (.06, .34), (.24, .3), (.24, 1), (.76, 1), (.76, .3), (.94, .34), (1, .12),
                        (.7, 0))])],
    1: [(1.0, [_closed((.06, 0), (.94, 0), (1, 1), (.6, 1), (.5, .3), (.4, 1), (0, 1))]),
        (1.1, [_closed((.04, 0), (.96, 0), (.96, 1), (.58, 1), (.5, .28), (.42, 1), (.04, 1)), [(.04, .1), (.96, .1)]]),
        (0.8, [_closed((.12, 0), (.88, 0), (.95, 1), (.6, 1), (.5, .28), (.4, 1), (.05, 1)), [(.5, 0), (.5, .12)]])],
    2: [(1.7, [_ARMS_OUT, *_CUFFS_OUT, _HEM]),
        (1.6, [_ARMS_OUT]),
        (1.15, [_ARMS_DOWN, _HEM, [(.05, .66), (.16, .7)], [(.84, .7), (.95, .66)]])],
    3: [(0.75, [_closed((.35, 0), (.2, .05), (.14, .2), (.3, .25), (.32, .42), (.05, 1), (.95, 1), (.68, .42), (.7, .25),
                        (.86, .2), (.8, .05), (.65, 0), (.5, .08))]),
        (0.65, [_closed((.3, .08), (.7, .08), (.66, .42), (1, 1), (0, 1), (.34, .42)), [(.32, .08), (.32, 0)],
                [(.68, .08), (.68, 0)], [(.34, .42), (.66, .42)]])],
    4: [(1.7, [_ARMS_OUT, _OPENING, _LAPELS]),
        (1.6, [_ARMS_OUT, _OPENING, *_CUFFS_OUT, [(.32, .6), (.44, .6)], [(.56, .6), (.68, .6)]]),
        (1.15, [_ARMS_DOWN, _OPENING, _LAPELS, *_dots(.45, (.4, .6, .8))]),
        (1.2, [_ARMS_DOWN, _OPENING, _LAPELS, [(.3, .66), (.42, .66)], [(.58, .66), (.7, .66)]])],
    5: [(0.42, [_oval(.5, .5, .48, .5, narrow=0.25), [(.12, .45), (.5, .18), (.88, .45)]]),
        (0.4, [_oval(.5, .5, .48, .5, narrow=0.2), [(.1, .4), (.5, .2), (.9, .4)], [(.5, .2), (.5, .14)]]),
        (0.8, [_oval(.25, .5, .23, .5, narrow=0.2), _oval(.75, .5, .23, .5, narrow=0.2),
               [(.06, .4), (.25, .2), (.44, .4)], [(.56, .4), (.75, .2), (.94, .4)]])],
    6: [(1.6, [_ARMS_OUT, _OPENING, [(.38, 0), (.5, .14), (.62, 0)], *_dots(.54, (.35, .55, .75))]),
        (1.1, [_SHORT, _OPENING, [(.38, 0), (.44, .16), (.5, .1), (.56, .16), (.62, 0)], *_dots(.54, (.35, .55, .75))])],
    7: [(2.2, [_closed((0, 0), (.3, 0), (.36, .4), (.82, .52), (1, .72), (1, 1), (0, 1)), [(0, .86), (1, .86)]]),
        (2.0, [_closed((.02, .05), (.32, .08), (.38, .35), (.8, .45), (1, .7), (.98, 1), (0, 1)),
               [(.42, .38), (.48, .5)], [(.52, .4), (.58, .52)]]),
        (2.6, [_closed((0, .2), (.25, .18), (.32, .45), (.85, .5), (1, .8), (1, 1), (0, 1))])],
    8: [(1.0, [_closed((.12, .3), (.88, .3), (1, 1), (0, 1)), [(.25, .3), (.3, 0), (.7, 0), (.75, .3)]]),
        (0.8, [_closed((.12, .14), (.88, .14), (1, .3), (1, 1), (0, 1), (0, .3)),
               [(.2, .55), (.8, .55), (.8, .9), (.2, .9), (.2, .55)], [(.38, .14), (.44, 0), (.56, 0), (.62, .14)]]),
        (1.3, [_closed((0, .25), (1, .25), (1, 1), (0, 1)), [(0, .25), (.5, .6), (1, .25)],
               [(.2, .25), (.5, 0), (.8, .25)]]),
        (1.1, [_oval(.5, .66, .5, .34), [(.22, .4), (.3, .05), (.7, .05), (.78, .4)]])],
    9: [(0.85, [_closed((.35, 0), (.85, 0), (.85, .55), (1, .75), (1, 1), (0, 1), (0, .75), (.35, .6)),
                [(0, .88), (1, .88)]])],
}


def doodled_garment(rng):
    """(28x28 float32 in [0, 1] through the Draw tab's pipeline, class): one garment doodled from memory."""
    label = int(rng.integers(10))
    layer = as_scratch_drawing(label, rng, templates=DOODLE_TEMPLATES[label])
    x28 = prepare_sketch({"background": None, "layers": [layer], "composite": None})
    return x28, label


def doodled_garments(cache_dir=CACHE_DIR, n=6000, seed=0):
    """{"x", "y" (the class), "kind" (2: drawings), "group" ("doodles"), "val"}: n garments doodled from
    memory through the Draw tab's pipeline, one in seven held out, cached apart from the rest."""
    return cached(DOODLES, doodled_garment, n, seed, cache_dir, kind=2,
                  code=("nin/pipeline/preprocess.py", "nin/pipeline/imitations.py", "nin/world/doodles.py"))


def outline_doodle(x28, label, rng):
    """An icon's silhouette (its upload through the pipeline, 28x28 uint8) doodled from memory: its outline and
    large holes, cut down to a few corners and drawn by the same hand as the garment templates. Things and
    garments alike, so the hand says nothing about the class."""
    import cv2

    mask = cv2.resize((x28 > 25).astype(np.float32), (112, 112), interpolation=cv2.INTER_LINEAR) > 0.5
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    contours = sorted(contours, key=cv2.contourArea, reverse=True)[:3]
    contours = [c for c in contours if cv2.contourArea(c) > 0.03 * mask.sum()]
    if not contours:
        raise PreprocessError("nothing to draw")
    eps = rng.uniform(0.01, 0.035)
    polys = [cv2.approxPolyDP(c, eps * cv2.arcLength(c, True), True)[:, 0, :].astype(float) for c in contours]
    pts = np.concatenate(polys)
    lo, size = pts.min(0), np.maximum(np.ptp(pts, 0), 1.0)
    lines = [_closed(*[tuple(p) for p in (q - lo) / size]) for q in polys if len(q) >= 3]
    if not lines:
        raise PreprocessError("nothing to draw")
    layer = as_scratch_drawing(label, rng, templates=[(size[0] / size[1], lines)])
    return prepare_sketch({"background": None, "layers": [layer], "composite": None})


def icon_doodles(world, world_cache, cache_dir=CACHE_DIR, seed=0):
    """Every icon upload of the world arrays (nin/world/cache.py) doodled once by outline_doodle, cached beside
    them: {"x", "y" (the icon's class or -1), "kind" (2), "group" ("icon doodles"), "val" (the icon's split)}."""
    import hashlib

    from nin.world.cache import ROOT

    h = hashlib.sha256(Path(world_cache).name.encode())
    for f in ("nin/pipeline/preprocess.py", "nin/pipeline/imitations.py", "nin/world/doodles.py"):
        h.update((ROOT / f).read_bytes())
    path = Path(cache_dir) / f"{ICON_DOODLES.replace(' ', '-')}-{h.hexdigest()[:16]}-{seed}.npz"
    if path.is_file():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    rng, xs, keep = np.random.default_rng(seed), [], []
    for i in np.flatnonzero(world["kind"] == 1):
        try:
            xs.append(np.round(np.clip(outline_doodle(world["x"][i], int(world["y"][i]), rng), 0, 1) * 255).astype(np.uint8))
            keep.append(i)
        except PreprocessError:
            pass
    keep = np.array(keep, int)
    arrays = {"x": np.stack(xs), "y": world["y"][keep], "kind": np.full(len(keep), 2, np.int8),
              "group": np.array([ICON_DOODLES] * len(keep)), "val": world["val"][keep]}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays


# --- things doodled from memory: "none of the ten", drawn by the same hand as the garments above ---

def _arc(cx, cy, rx, ry, a0, a1, n=12):
    t = np.linspace(np.deg2rad(a0), np.deg2rad(a1), n)
    return [(float(cx + rx * np.cos(a)), float(cy + ry * np.sin(a))) for a in t]


def _star(n=5, inner=0.4):
    t = np.arange(2 * n) * np.pi / n - np.pi / 2
    r = np.where(np.arange(2 * n) % 2 == 0, 0.5, 0.5 * inner)
    return _closed(*[(float(.5 + a * np.cos(b)), float(.5 + a * np.sin(b))) for a, b in zip(r, t)])


# Things people draw on a demo's canvas that are neither garments nor (on purpose) any kind in the
# development set's non-garment doodles (apple, bicycle, butterfly, car, cat, chair, clock, cup, fish,
# guitar, house, key, sun, tree, umbrella): those stay a fair measure of kinds never trained on. (A mushroom
# drawn so is an umbrella and a bird a fish: left out.)
THING_TEMPLATES = {
    "star": (1.0, [_star()]),
    "heart": (1.1, [_closed(*_arc(.27, .27, .23, .25, 180, 360), *_arc(.73, .27, .23, .25, 180, 360)[1:], (.5, 1))]),
    "cloud": (1.6, [_closed(*_arc(.2, .65, .18, .3, 90, 270), *_arc(.45, .35, .25, .33, 180, 360)[1:],
                            *_arc(.8, .6, .2, .33, 270, 450)[1:])]),
    "flower": (0.6, [_oval(.5, .25, .12, .08), *[_oval(.5 + .22 * np.cos(a), .25 + .15 * np.sin(a), .1, .07, n=12)
                                                for a in np.linspace(0, 2 * np.pi, 6)[:-1]], [(.5, .33), (.5, 1)],
                     _closed((.5, .7), (.75, .6), (.62, .75))]),
    "moon": (0.6, [[*_arc(.5, .5, .5, .5, 90, 270), *_arc(.75, .5, .45, .42, 250, 110)]]),
    "smiley face": (1.0, [_oval(.5, .5, .5, .5), [(.35, .35)], [(.65, .35)], _arc(.5, .55, .25, .2, 20, 160)]),
    "fork": (0.25, [[(.5, .4), (.5, 1)], [(0, 0), (0, .3), (1, .3), (1, 0)], [(.33, 0), (.33, .3)], [(.66, 0), (.66, .3)]]),
    "hammer": (0.8, [_closed((0, 0), (1, 0), (1, .25), (0, .25)), _closed((.42, .25), (.58, .25), (.58, 1), (.42, 1))]),
    "lamp": (0.7, [_closed((.25, 0), (.75, 0), (1, .4), (0, .4)), [(.5, .4), (.5, .9)], _closed((.2, .9), (.8, .9), (.8, 1), (.2, 1))]),
    "bottle": (0.4, [_closed((.35, 0), (.65, 0), (.65, .25), (1, .4), (1, 1), (0, 1), (0, .4), (.35, .25))]),
    "book": (1.5, [_closed((0, .1), (.5, .2), (1, .1), (1, .9), (.5, 1), (0, .9)), [(.5, .2), (.5, 1)]]),
    "balloon": (0.5, [_oval(.5, .3, .5, .3), [(.5, .6), (.4, .7), (.6, .8), (.4, .9), (.5, 1)]]),
    "rocket": (0.5, [_closed((.5, 0), (.75, .25), (.75, .8), (.25, .8), (.25, .25)), _closed((.25, .55), (0, .9), (.25, .8)),
                     _closed((.75, .55), (1, .9), (.75, .8)), _oval(.5, .4, .1, .07, n=12)]),
    "boat": (1.2, [_closed((0, .7), (1, .7), (.8, 1), (.2, 1)), [(.5, .7), (.5, 0)], _closed((.5, .05), (.9, .6), (.5, .6))]),
    "plane": (1.6, [_closed((0, .45), (.85, .4), (1, .5), (.85, .6), (0, .55)), _closed((.35, .45), (.55, 0), (.6, .42)),
                    _closed((.35, .55), (.55, 1), (.6, .58)), _closed((0, .45), (.05, .2), (.15, .44))]),
    "ice cream": (0.55, [_oval(.5, .25, .5, .25), _closed((.05, .4), (.95, .4), (.5, 1))]),
    "candle": (0.35, [_closed((.1, .3), (.9, .3), (.9, 1), (.1, 1)), _closed((.5, 0), (.7, .18), (.5, .26), (.3, .18))]),
    "lightning": (0.6, [_closed((.55, 0), (.1, .55), (.45, .55), (.3, 1), (.9, .4), (.55, .4), (.8, 0))]),
    "snowman": (0.6, [_oval(.5, .2, .25, .2), _oval(.5, .68, .45, .32), [(.42, .15)], [(.58, .15)]]),
    "pencil": (4.0, [_closed((0, 0), (.8, 0), (1, .5), (.8, 1), (0, 1)), [(.8, 0), (.8, 1)], [(.1, 0), (.1, 1)]]),
    "glasses": (2.4, [_oval(.2, .5, .2, .45), _oval(.8, .5, .2, .45), _arc(.5, .5, .1, .15, 200, 340)]),
    "scissors": (0.8, [_oval(.25, .8, .2, .18, n=12), _oval(.75, .8, .2, .18, n=12), [(.35, .65), (.8, 0)], [(.65, .65), (.2, 0)]]),
}


def doodled_thing(rng):
    """(28x28 float32 through the Draw tab's pipeline, -1): a thing that is none of the ten, doodled from memory."""
    aspect, lines = THING_TEMPLATES[list(THING_TEMPLATES)[int(rng.integers(len(THING_TEMPLATES)))]]
    layer = as_scratch_drawing(-1, rng, templates=[(aspect, lines)])
    return prepare_sketch({"background": None, "layers": [layer], "composite": None}), -1


def doodled_things(cache_dir=CACHE_DIR, n=4000, seed=0):
    """{"x", "y" (-1), "kind" (2), "group" ("things"), "val"}: n things doodled from memory, one in seven held out."""
    return cached(THINGS, doodled_thing, n, seed, cache_dir, kind=2,
                  code=("nin/pipeline/preprocess.py", "nin/pipeline/imitations.py", "nin/world/doodles.py"))
