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
import numpy as np

from nin.pipeline.imitations import _closed, as_scratch_drawing
from nin.pipeline.preprocess import prepare_sketch
from nin.world.cache import CACHE_DIR
from nin.world.synthetic import DOODLES, cached


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
    return prepare_sketch(as_scratch_drawing(label, rng, templates=DOODLE_TEMPLATES[label])), label


def doodled_garments(cache_dir=CACHE_DIR, n=6000, seed=0):
    """{"x", "y" (the class), "kind" (2: drawings), "group" ("doodles"), "val"}: n garments doodled from
    memory through the Draw tab's pipeline, one in seven held out, cached apart from the rest."""
    return cached(DOODLES, doodled_garment, n, seed, cache_dir, kind=2,
                  code=("nin/pipeline/preprocess.py", "nin/pipeline/imitations.py", "nin/world/doodles.py"))
