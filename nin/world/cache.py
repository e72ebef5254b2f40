"""Every real photo and icon through the app's own pipeline once, a few variants each, cached.

GrabCut and SVG rendering cost 15-40 ms an image: far too slow per epoch on this CPU. So each source
image becomes a few 28x28 results once, stored in ~/.cache/nin/world/<key>.npz, where the key hashes
the pipeline's code, the label tables and the list of inputs: change any of them and it is rebuilt.
"""
import hashlib
import io
import multiprocessing
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from nin.pipeline.preprocess import PreprocessError, prepare_upload
from nin.world import handdrawn, icons, sources

CACHE_DIR = Path.home() / ".cache" / "nin" / "world"
KINDS = ("photo", "icon upload", "icon drawing")
VARIANTS = {"photo": 3, "outlier photo": 2, "icon upload": 2, "icon drawing": 6, "outlier icon upload": 1,
            "outlier icon drawing": 3}
CODE = ("nin/pipeline/preprocess.py", "nin/world/handdrawn.py", "nin/world/cache.py", "nin/world/icons.py",
        "nin/world/sources.py")
ROOT = Path(__file__).resolve().parent.parent.parent


def cache_key(items):
    h = hashlib.sha256()
    for f in CODE:
        h.update((ROOT / f).read_bytes())
    for f in sorted(sources.TABLES.glob("*.csv")):
        h.update(f.read_bytes())
    h.update(repr(VARIANTS).encode())
    for what, label, group in items:
        h.update(f"{what}|{label}|{group}\n".encode())
    return h.hexdigest()[:16]


def photo_variant(img, rng):
    """The photo as another phone would take it: framing, tilt, light, colour, mirror."""
    w, h = img.size
    s = rng.uniform(0.8, 1.0)
    cw, ch = int(w * s), int(h * s)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = img.crop((x0, y0, x0 + cw, y0 + ch)).rotate(float(rng.uniform(-8, 8)), Image.Resampling.BILINEAR,
                                                          expand=False, fillcolor=tuple(np.asarray(img)[0, 0]))
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.7, 1.25))
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.6, 1.3))
    if rng.random() < 0.5:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return img


def icon_upload(rgba, rng, clean):
    """A downloaded icon uploaded as a file: on white, or small on a light tinted page."""
    rgb = icons.on_white(rgba)
    if clean:
        return rgb
    tint = rng.uniform(215, 255, 3)
    a = rgba[..., 3:4].astype(np.float32) / 255
    page = np.pad((rgba[..., :3] * a + tint * (1 - a)).astype(np.uint8), ((40, 40), (40, 40), (0, 0)), mode="edge")
    return page


def _photo_task(task):
    path, label, n, seed = task
    rng = np.random.default_rng(seed)
    try:
        img = Image.open(path).convert("RGB")
        img.load()
    except (OSError, ValueError) as e:
        return [], f"Skipped the photo {path}: it cannot be read ({type(e).__name__})."
    out = []
    for v in range(n):
        try:
            out.append((prepare_upload(np.asarray(img if v == 0 else photo_variant(img, rng))), 0))
        except PreprocessError:
            pass
    return out, None


def _icon_task(task):
    (set_name, name), body, label, n_up, n_draw, seed = task
    rng = np.random.default_rng(seed)
    try:
        rgba = icons.render(*body)
    except icons.IconError as e:
        return [], f"Skipped the icon {set_name}:{name}: {e}"
    out = []
    for v in range(n_up):
        try:
            out.append((prepare_upload(icon_upload(rgba, rng, clean=v == 0)), 1))
        except PreprocessError:
            pass
    for _ in range(n_draw):
        try:
            out.append((handdrawn.hand_drawn(rgba, rng), 2))
        except PreprocessError:
            pass
    return out, None


def _seed(text):
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def build(photos, icon_items, icon_root, processes=2, progress=True):
    """{"x": uint8 [N,28,28], "y": int8 (-1 outlier), "kind": 0 photo / 1 icon upload / 2 icon drawing,
    "group": sender or set, "val": bool}."""
    from tqdm import tqdm

    bodies = {}
    for (s, _), _, _ in icon_items:
        if s not in bodies:
            bodies[s] = icons.read_set(icon_root, s)[0]
    photo_tasks = [(str(p), y, VARIANTS["photo" if y >= 0 else "outlier photo"], _seed(str(p))) for p, y, _ in photos]
    icon_tasks = [(k, bodies[k[0]][k[1]], y,
                   VARIANTS["icon upload" if y >= 0 else "outlier icon upload"],
                   VARIANTS["icon drawing" if y >= 0 else "outlier icon drawing"], _seed("/".join(k)))
                  for k, y, _ in icon_items if k[1] in bodies[k[0]]]
    meta = [(y, g, False) for _, y, g in photos] + [(y, g, True) for k, y, g in icon_items if k[1] in bodies[k[0]]]
    xs, ys, kinds, groups, vals = [], [], [], [], []
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.imap(_photo_task, photo_tasks, chunksize=8)
        results = _chain(results, pool.imap(_icon_task, icon_tasks, chunksize=8))
        for (made, problem), (y, g, is_icon) in tqdm(zip(results, meta), total=len(meta), desc="world images",
                                                      disable=not progress):
            if problem:
                print(problem, flush=True)
            for x28, kind in made:
                xs.append(np.round(np.clip(x28, 0, 1) * 255).astype(np.uint8))
                ys.append(y), kinds.append(kind), groups.append(g)
                vals.append(g in sources.VAL_ICON_SETS if is_icon else sources.in_validation(g))
    return {"x": np.stack(xs), "y": np.array(ys, np.int8), "kind": np.array(kinds, np.int8),
            "group": np.array(groups), "val": np.array(vals)}


def _chain(*its):
    for it in its:
        yield from it


def load_or_build(clothing_folder, icon_root=icons.DEFAULT_ROOT, cache_dir=CACHE_DIR, progress=True):
    """The cached arrays for these sources, built first if the pipeline, tables or inputs changed.

    A missing clothing folder or icon sets is said in one sentence and left out; with neither, stop."""
    photos, icon_items = [], []
    if clothing_folder:
        try:
            photos = sources.clothing_photos(clothing_folder)
        except sources.DataError as e:
            print(f"{e} Training goes on without the photos.")
    try:
        icon_items = sources.garment_icons(icon_root) + sources.outlier_icons(icon_root)
    except (sources.DataError, icons.IconError) as e:
        print(f"{e} Training goes on without icons.")
    if not photos and not icon_items:
        raise sources.DataError("Neither clothing photos nor icon sets could be read; nothing to fine-tune on.")
    key = cache_key(photos + icon_items)
    path = Path(cache_dir) / f"world-{key}.npz"
    if path.is_file():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}, path
    arrays = build(photos, icon_items, icon_root, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)
    return arrays, path
