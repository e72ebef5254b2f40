"""Doodle Icons: 439 things drawn by hand by an illustrator, as outlier drawings (issue 33).

npm `doodle-icons` 1.1.0 (MIT, Srivatsa Rampalli's React build of Khushmeen Sidhu's Doodle Icons,
khushmeen.com/icons.html), installed by scripts/setup_training.sh beside the Iconify sets. Unlike those,
a person drew them as doodles: a house is a box with a roof and a door, a cup a mug with steam. Their ink
is already strokes, so each is drawn again along its strokes' centre lines with another pen, proportions
and wobble (handdrawn.py's hand redraws outlines, which would lose a car's wheels and a face's eyes), and
framed as the Draw tab frames a sketch. The two bags are Bags; wallets and suitcases are left out (a bag or not, depending on who
asks); so are the kinds nin.world.things leaves out (the development set's unseen kinds).
"""
import re
import zlib
from pathlib import Path

import cv2
import numpy as np
from skimage.morphology import skeletonize

from nin.pipeline.preprocess import STROKE_PX, center_28
from nin.world.cache import CACHE_DIR
from nin.world.handdrawn import _warp
from nin.world.icons import DEFAULT_ROOT, IconError, render
from nin.world.synthetic import DOODLE_ICONS, cached
from nin.world.things import NOT_TRAINED

PACKAGE = Path(DEFAULT_ROOT).parent / "doodle-icons"
BAGS = ("Bag", "Bag2")  # label 8
LEFT_OUT = ("Suitcase", "Wallet", "Sunny")  # a bag or not; the sun's other name
CREDIT = {"name": "Doodle Icons (npm doodle-icons)", "licence": "MIT", "version": "1.1.0",
          "author": "Khushmeen Sidhu (drawings), Srivatsa Rampalli (package)", "url": "https://khushmeen.com/icons.html"}
HELD_OUT = 7  # one icon in seven (by a hash of its name) only in the validation column


def read_icons(package=PACKAGE):
    """{name: (svg body, width, height)} from the package's React bundle (one component per icon), none
    of NOT_TRAINED's kinds and none of LEFT_OUT."""
    bundle = Path(package) / "build" / "index.js"
    if not bundle.is_file():
        raise IconError(f"doodle-icons is not installed in {Path(package).parent}; run `bash scripts/setup_training.sh`.")
    icons = {}
    for name, svg in re.findall(r"var Svg(\w+) = function \(props\) \{ return \((.*?)\); \};", bundle.read_text(), re.DOTALL):
        width, height = re.search(r'viewBox: "0 0 ([\d.]+) ([\d.]+)"', svg).groups()
        paths = []
        for attrs in re.findall(r'jsxRuntime\.jsx\("path", \{([^}]*)\}', svg):
            a = dict(re.findall(r'(\w+): "([^"]*)"', attrs))
            if re.fullmatch(r"M0 0h[\d.]+v[\d.]+H0z", a.get("d", "")):  # the clip path's box, not ink
                continue
            paths.append(f'<path d="{a["d"]}" fill-rule="{a.get("fillRule", "nonzero")}" fill="currentColor"/>')
        if name in LEFT_OUT or name.lower().rstrip("0123456789") in NOT_TRAINED or not paths:
            continue
        icons[name] = ("".join(paths), float(width), float(height))
    return icons


def held_out(name):
    return zlib.crc32(name.encode()) % HELD_OUT == 0


def redrawn(rgba, rng):
    """One drawing of a doodle icon, 28x28 float32 in [0, 1]: its strokes with another pen and hand."""
    ink = (rgba[..., 3] > 127).astype(np.uint8)
    h, w = ink.shape
    stretch = float(np.exp(rng.uniform(-0.3, 0.3)))  # proportions as remembered
    ink = cv2.resize(ink, (max(8, round(w * stretch)), h), interpolation=cv2.INTER_NEAREST)
    lines = cv2.copyMakeBorder(skeletonize(ink > 0).astype(np.uint8), 24, 24, 24, 24, cv2.BORDER_CONSTANT, value=0)
    width = int(rng.integers(2, 7))  # the pen: thin to felt-tip, before the pipeline's own thickening
    lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    strokes = (_warp(lines, rng, rng.uniform(4, 12)) > 0.5).astype(np.float32)
    return center_28(strokes, stroke_px=STROKE_PX)


def doodled_icons(cache_dir=CACHE_DIR, n=4000, seed=0, package=PACKAGE):
    """{"x", "y" (-1, or 8 for a bag), "kind" (2: drawings), "group" ("doodle icons"), "val"}: n drawings
    of the icons, each icon as often, the held-out icons only in validation; cached apart from the rest."""
    icons = read_icons(package)
    names = sorted(icons)
    rendered = {}

    def make(rng):
        name = names[int(rng.integers(len(names)))]
        if name not in rendered:
            rendered[name] = render(*icons[name])
        return redrawn(rendered[name], rng), (8 if name in BAGS else -1), held_out(name)

    return cached(DOODLE_ICONS, make, n, seed, cache_dir, kind=2,
                  code=("nin/pipeline/preprocess.py", "nin/world/handdrawn.py", "nin/world/doodle_icons.py"))
