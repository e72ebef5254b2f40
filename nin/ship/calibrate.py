"""Calibrate one weights file: its temperature and its garment check, in one command.

    python -m nin.ship.calibrate [--weights weights/nin_modern.weights.h5] [--runtime R] [--realworld DIR]

Regenerates everything from the .weights.h5 (rerun it whenever the weights change):
- the temperature (nin/serve/calibration.py), fitted on the 5,000 validation images held out of the
  training images (nin.core.data.validation_indices); ECE before/after on the 10,000 test images, and
  the reliability diagram weights/<stem>_reliability.png;
- the garment check (nin/serve/garment.py): per pipeline path (photo, drawing), class means and a shared
  covariance of each candidate feature on training images outside the validation split; the
  "fashion-mnist" Gaussian takes the feature with the best AUROC of Fashion-MNIST inputs against
  non-garments, the "real" one the best AUROC of the real garments of DIR against non-garments; the
  real one's threshold flags 5 % of the real garments, the Fashion-MNIST one's is the highest at
  which the two together flag at most 0.8 % of the validation images; weights/<stem>.garment.npz;
and writes them into weights/<stem>.json ("calibration", "garment_check"), which the app and every
CLI read. In-class: the validation split (as it is, and as drawings for the drawing path) and the
real photos and doodles of DIR (default ../shared/realworld, as laid out there); out-of-class: the
non-garment doodles of DIR/not-garments and non-garment photos that installed packages ship
(scikit-image's sample images and face crops where it is installed, Gradio's, Matplotlib's), each
whole and as five crops. Without DIR the thresholds rest on the validation split alone (said so).
Runs through the app's runtime (int8 where its export is up to date) and the app's pipeline.
"""
import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from nin.measure.evaluate import auroc
from nin.serve import calibration, garment
from nin.core.weights import DEFAULT_WEIGHTS, ROOT, atomic_write, metadata_path, read_metadata

DEFAULT_REALWORLD = ROOT.parent / "shared" / "realworld"
FIT_PER_CLASS = 150  # training images per class for the means and covariance (x2 for the photo path)
VAL_DRAWINGS = 1000  # validation images drawn (nin/pipeline/imitations.py), in-class for the drawing path
VAL_FLAG = 0.008  # the thresholds flag at most this share of the validation images (goal: <= 1 % of the test set) ...
REAL_FLAG = 0.05  # ... and of the real garment photos / doodles (the goal is <= 10 % on unseen ones)
# On the drawing path the Fashion-MNIST inputs are validation images drawn by nin/pipeline/imitations.py: drawings,
# held to the real doodles' share. Held to the photos' 0.8 %, their rarest strokes set the drawing threshold
# (run 9's file: real doodles flagged 0 % where the rule says 5 %).
FM_FLAG_SAME_AS_REAL = ("drawing",)
MIN_COVERAGE_Q, MAX_PIECES_Q = 0.1, 99.9  # pipeline checks: percentiles of in-class inputs
MAX_COVERAGE = 0.98  # and a cap: the most any in-class input covered, a little more, at most this
CANDIDATES = tuple(garment.FEATURES) + tuple(garment.LOGIT_SCORES) + tuple(garment.MIRROR_SCORES)
# Per path. A photo can be anything (noise, a texture, a face), and a network trained with outliers still
# gives some of those a confident softmax: measured on the world file, random noise passed its photo path
# on energy alone. The photo path keeps the Gaussians, which also see the garment's shape.
# The drawing path leaves the shape out: on drawings it tells icons that a program redrew from doodles that
# people drew, whatever either shows. Chosen on held-out icons (2026-12-06), the shape Gaussian won the "real"
# component (AUROC 0.784 against energy's 0.760) and then flagged 0.8 % of the non-garment doodles (energy: 17.5 %).
CANDIDATES_BY_KIND = {"photo": tuple(garment.FEATURES),
                      "drawing": tuple(f for f in CANDIDATES if "shape" not in f)}
# the paths that may read a mirrored score: only their inputs go through the network mirrored as well
MIRRORED_KINDS = tuple(k for k, c in CANDIDATES_BY_KIND.items() if set(c) & set(garment.MIRROR_SCORES))


# --- out-of-class photos that installed packages ship ---

def sample_photo_files():
    """[(name, path)] of non-garment photos shipped by installed packages (none is downloaded)."""
    found = []
    try:
        import skimage

        folder = Path(skimage.__file__).parent / "data"
        found += [(f"scikit-image {p.name}", p) for p in sorted(folder.glob("*")) if p.suffix in (".png", ".jpg")
                  and p.stat().st_size > 10_000]  # the small ones are test patterns and pictograms
    except ImportError:
        pass
    try:
        import gradio

        found += [(f"gradio {p.name}", p) for p in sorted((Path(gradio.__file__).parent / "media_assets" / "images").glob("*.jpg"))]
    except ImportError:
        pass
    import matplotlib

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    if hopper.is_file():
        found.append(("matplotlib grace_hopper.jpg", hopper))
    return found


def sample_photo_inputs():
    """[(name, PIL image)]: every shipped photo whole and as five half-size crops; scikit-image's
    face and non-face patches (lfw_subset) where it is installed."""
    from PIL import Image

    out = []
    for name, path in sample_photo_files():
        img = Image.open(path)
        img.load()
        img = img.convert("RGB")
        out.append((name, img))
        w, h = img.size
        for fx, fy in ((0, 0), (0.5, 0), (0, 0.5), (0.5, 0.5), (0.25, 0.25)):
            out.append((f"{name} crop {fx},{fy}", img.crop((int(fx * w), int(fy * h), int((fx + 0.5) * w), int((fy + 0.5) * h)))))
    try:
        from skimage.data import lfw_subset

        out += [(f"scikit-image lfw_subset {i}", Image.fromarray((f * 255).astype(np.uint8))) for i, f in enumerate(lfw_subset())]
    except ImportError:
        pass
    return out


# --- running inputs through the app's pipeline and runtime ---

def run_raw(clf, images28, batch=128):
    """(logits [N,10], class maps [N,5,5,10]) without the temperature."""
    logits, maps = [], []
    for i in range(0, len(images28), batch):
        l, m = clf.raw(np.asarray(images28[i:i + batch], np.float32))
        logits.append(l)
        maps.append(m)
    if not logits:
        return np.zeros((0, 10)), np.zeros((0, 5, 5, 10))
    return np.concatenate(logits), np.concatenate(maps)


def through_pipeline(items):
    """[(x28, kind, name)] for [(name, source, "upload" | "sketch")]; inputs the pipeline refuses are skipped."""
    from nin.pipeline.preprocess import PreprocessError, prepare
    from nin.measure.realworld import as_sketchpad_value

    out = []
    for name, src, how in items:
        try:
            given = prepare(as_sketchpad_value(src), "sketch") if how == "sketch" else prepare(src)
            out.append((given.image, given.path, name))
        except PreprocessError:
            pass
    return out


class Set:
    """One set of inputs: the 28x28 images, their pipeline path, labels (in-class) and the network's outputs."""

    def __init__(self, name, images28, kinds, labels, clf, in_class, names=None):
        self.name, self.in_class, self.names = name, in_class, names  # names: the inputs' file names, where kept
        self.x = np.asarray(images28, np.float32).reshape(-1, 28, 28)
        self.kinds = np.asarray(kinds if not isinstance(kinds, str) else [kinds] * len(self.x))
        self.labels = None if labels is None else np.asarray(labels, int)
        self.logits, self.maps = run_raw(clf, self.x)
        # for garment.MIRROR_SCORES, on the paths that may read them (NaN elsewhere: never read)
        self.mirror_maps = np.full(self.maps.shape, np.nan, np.float32)
        mirrored = np.isin(self.kinds, MIRRORED_KINDS)
        if mirrored.any():
            self.mirror_maps[mirrored] = run_raw(clf, self.x[mirrored][:, :, ::-1])[1]
        self.shape, self.pieces = garment.shape_features(self.x)

    def __len__(self):
        return len(self.x)

    def of_kind(self, kind):
        return self.kinds == kind


HELD_OUT_OUTLIERS = 300  # icons of the validation icon sets (nin.world.sources), none of the ten


def held_out_outlier_icons(root, rng, n=HELD_OUT_OUTLIERS):
    """[(28x28, kind)] of the validation icon sets' non-garment icons, each drawn by hand (the Draw tab's
    path) and uploaded (the pipeline's own choice of path): outliers the world weights never saw."""
    from nin.pipeline.preprocess import PreprocessError, prepare
    from nin.world import handdrawn, icons, sources

    items = [k for k, _, g in sources.outlier_icons(root) if g in sources.VAL_ICON_SETS]
    bodies, out = {}, []
    for i in rng.permutation(len(items))[:n]:
        set_name, name = items[i]
        bodies.setdefault(set_name, icons.read_set(root, set_name)[0])
        try:
            rgba = icons.render(*bodies[set_name][name])
            drawn = handdrawn.hand_drawn(rgba, rng)
            upload = prepare(icons.on_white(rgba))
            out += [(drawn, "drawing"), (upload.image, upload.path)]
        except (icons.IconError, PreprocessError):
            pass
    return out


def collect(clf, realworld, fit_per_class, rng, log, limit=None, icon_root=None):
    """Every set the calibration needs: {name: Set} (limit: at most this many validation and test
    images and sample photos, for a quick check of the command itself)."""
    from nin.core import data
    from nin.measure.realworld import list_images
    from nin.pipeline.imitations import as_drawing, as_upload

    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    val_idx = data.validation_indices(y_train)
    if limit:
        val_idx = np.sort(rng.choice(val_idx, min(limit, len(val_idx)), replace=False))
        keep = rng.choice(len(y_test), min(limit, len(y_test)), replace=False)
        x_test, y_test = x_test[keep], y_test[keep]
    rest = np.setdiff1d(np.arange(len(y_train)), val_idx)
    fit_idx = np.concatenate([rng.choice(rest[y_train[rest] == c], fit_per_class, replace=False) for c in range(10)])
    fit = x_train[fit_idx] / 255.0
    fit_y = y_train[fit_idx]
    sets = {}

    def add(name, images, kinds, labels=None, in_class=True, names=None):
        t = time.perf_counter()
        sets[name] = Set(name, images, kinds, labels, clf, in_class, names)
        log(f"  {name}: {len(sets[name])} inputs ({time.perf_counter() - t:.0f} s)")

    log("network outputs and garment features:")
    add("fit: training images", fit, "photo", fit_y)
    add("fit: training images as uploads", [as_upload(x.astype(np.float32), rng) for x in fit], "photo", fit_y)
    add("fit: training images as drawings", [as_drawing(x, y, rng) for x, y in zip(fit, fit_y)], "drawing", fit_y)
    add("validation", x_train[val_idx] / 255.0, "photo", y_train[val_idx])
    vd = rng.choice(len(val_idx), min(VAL_DRAWINGS, len(val_idx)), replace=False)
    add("validation as drawings", [as_drawing(x_train[val_idx[i]] / 255.0, y_train[val_idx[i]], rng) for i in vd], "drawing",
        y_train[val_idx[vd]])
    add("test", x_test / 255.0, "photo", y_test)
    if realworld is not None:
        items = list_images(realworld)
        for kind, how, label in (("photos", "upload", "real garment photos"), ("drawings", "sketch", "real garment doodles")):
            chosen = [(str(p), p, how) for k, p, _ in items if k == kind]
            done = through_pipeline(chosen)
            add(label, [x for x, _, _ in done], [k for _, k, _ in done])
        ng = sorted((Path(realworld) / "not-garments").glob("*.png"))
        done = through_pipeline([(p.name, p, "sketch") for p in ng])
        add("non-garment doodles", [x for x, _, _ in done], [k for _, k, _ in done], in_class=False,
            names=[n for _, _, n in done])
    if icon_root is not None:
        done = held_out_outlier_icons(icon_root, rng, limit or HELD_OUT_OUTLIERS)
        add(CHOOSING_OUTLIERS, [x for x, _ in done], [k for _, k in done], in_class=False)
    photos = sample_photo_inputs()[:limit]
    groups = {"non-garment photos, whole": lambda n: "crop" not in n and "lfw" not in n,
              "non-garment photos, crops": lambda n: "crop" in n, "face and non-face patches (lfw)": lambda n: "lfw" in n}
    for label, member in groups.items():
        done = through_pipeline([(n, img, "upload") for n, img in photos if member(n)])
        if done:
            add(label, [x for x, _, _ in done], [k for _, k, _ in done], in_class=False)
    return sets


# --- fitting ---

def fit_path(sets, kind, fit_names, feature):
    x = np.concatenate([sets[n].x for n in fit_names])
    maps = np.concatenate([sets[n].maps for n in fit_names])
    shape = np.concatenate([sets[n].shape for n in fit_names])
    labels = np.concatenate([sets[n].labels for n in fit_names])
    if feature not in garment.FEATURES:  # a score off the logits: nothing to fit; empty arrays keep the .npz layout
        return {"feature": feature, "means": np.zeros((0, 0)), "precision": np.zeros((0, 0)), "logdet": 0.0}
    means, precision, logdet = garment.fit_gaussian(garment.features(feature, x, maps, shape), labels)
    return {"feature": feature, "means": means, "precision": precision, "logdet": logdet}


def path_scores(p, s, mask=None):
    mask = np.ones(len(s), bool) if mask is None else mask
    return garment.component_score(p, s.x[mask], s.maps[mask], s.shape[mask], s.mirror_maps[mask])


CHOOSING_OUTLIERS = "non-garment icons of held-out icon sets"
REPORT_ONLY = "non-garment doodles"  # with the held-out icons there to choose on, these are measured only


def choosing_outliers(sets):
    """The non-garments the features and thresholds are chosen on."""
    outs = [s for s in sets.values() if not s.in_class]
    if CHOOSING_OUTLIERS in sets:
        outs = [s for s in outs if s.name != REPORT_ONLY]
    return outs


FIT_SETS = {"photo": ["fit: training images", "fit: training images as uploads"],
            "drawing": ["fit: training images as drawings"]}
FMNIST_IN = {"photo": "validation", "drawing": "validation as drawings"}
REAL_IN = {"photo": "real garment photos", "drawing": "real garment doodles"}


def choose(sets, log, real_flag=REAL_FLAG):
    """Per path: the "fashion-mnist" Gaussian (feature with the best AUROC of Fashion-MNIST inputs against
    non-garments) and the "real" one (best AUROC of real garments of that path against non-garments),
    and their thresholds: the real one's flags real_flag of the real garments, the Fashion-MNIST
    one's is the highest at which both together flag at most VAL_FLAG of the Fashion-MNIST inputs (real_flag
    of them on the paths in FM_FLAG_SAME_AS_REAL)."""
    paths, table = {}, []
    for kind in garment.KINDS:
        fm = sets[FMNIST_IN[kind]]
        real = sets.get(REAL_IN[kind])
        real_mask = real.of_kind(kind) if real is not None else None
        has_real = real is not None and real_mask.sum() >= 10
        outs = choosing_outliers(sets)
        fitted = {}
        for feature in CANDIDATES_BY_KIND[kind]:
            c = fit_path(sets, kind, FIT_SETS[kind], feature)
            neg = np.concatenate([path_scores(c, s, s.of_kind(kind)) for s in outs]) if outs else np.zeros(0)
            a_fm = auroc(path_scores(c, fm), neg)
            a_real = auroc(path_scores(c, real, real_mask), neg) if has_real else float("nan")
            fitted[feature] = (c, a_fm, a_real)
            table.append((kind, feature, a_fm, a_real))
        pick = lambda i: max(fitted, key=lambda f: (-np.inf if np.isnan(fitted[f][i]) else fitted[f][i]))
        comps = {"fashion-mnist": dict(fitted[pick(1)][0])}
        fm_scores = path_scores(comps["fashion-mnist"], fm)
        allowed = int(np.floor((real_flag if kind in FM_FLAG_SAME_AS_REAL else VAL_FLAG) * len(fm)))
        if has_real:
            comps["real"] = dict(fitted[pick(2)][0])
            comps["real"]["threshold"] = float(np.percentile(path_scores(comps["real"], real, real_mask), 100 * real_flag))
            missed = np.sort(fm_scores[path_scores(comps["real"], fm) < comps["real"]["threshold"]])
        else:
            missed = np.sort(fm_scores)
        # below the threshold: at most `allowed` of the Fashion-MNIST inputs the real one rejects
        comps["fashion-mnist"]["threshold"] = float(missed[allowed] if allowed < len(missed) else missed[-1] + 1e-6) \
            if len(missed) else float(fm_scores.min())
        paths[kind] = comps
    log("garment score, AUROC by feature against the path's non-garments (Fashion-MNIST inputs; real garments):")
    for kind, feature, a_fm, a_real in table:
        marks = [n for n, c in paths[kind].items() if c["feature"] == feature]
        log(f"  {kind:8} {feature:22} {a_fm:.3f}   {a_real:.3f}" + (f"  <- {', '.join(marks)}" if marks else ""))
    in_sets = [s for s in sets.values() if s.in_class and not s.name.startswith("fit")]
    coverage = np.concatenate([s.shape[:, 0] for s in in_sets])
    pieces = np.concatenate([s.pieces for s in in_sets])
    return garment.GarmentCheck(paths, max_pieces=int(np.ceil(np.percentile(pieces, MAX_PIECES_Q))),
                                min_coverage=float(np.percentile(coverage, MIN_COVERAGE_Q)),
                                # no garment seen fills the square (0.93 at most in the 10,000 test images); noise
                                # and textures cut out of a photo do (1.0)
                                max_coverage=min(MAX_COVERAGE, float(coverage.max()) + 0.02))


def verdicts(check, s):
    """(garment scores, is_garment) of every input of a set, each through its own path."""
    score, ok = np.zeros(len(s)), np.zeros(len(s), bool)
    for kind in garment.KINDS:
        m = s.of_kind(kind)
        if m.any():
            score[m], ok[m], _ = check.verdicts(s.x[m], s.maps[m], kind, mirror_maps=s.mirror_maps[m])
    return score, ok


def measure(check, sets):
    """Per set: the share flagged 'not a garment'; AUROC of the garment score and the two rates,
    real garments against non-garments, all paths together and per path."""
    rows, got = {}, {}
    for name, s in sets.items():
        if name.startswith("fit") or not len(s):
            continue
        got[name] = verdicts(check, s)
        rows[name] = {"n": len(s), "flagged": round(float((~got[name][1]).mean()), 4), "in_class": s.in_class}
    real = [n for n in REAL_IN.values() if n in got]
    outs = [n for n, s in sets.items() if not s.in_class and n in got]
    summary = {}
    if real and outs:
        cat = lambda names, i, kind=None: np.concatenate([
            got[n][i][sets[n].of_kind(kind)] if kind else got[n][i] for n in names])
        summary["flagged_real_garments"] = float((~cat(real, 1)).mean())
        summary["flagged_non_garments"] = float((~cat(outs, 1)).mean())
        for kind in garment.KINDS:
            pos, neg = cat(real, 0, kind), cat(outs, 0, kind)
            if len(pos) and len(neg):
                summary[f"auroc_{kind}s"] = auroc(pos, neg)
                summary[f"flagged_real_{kind}s"] = float((~cat(real, 1, kind)).mean())
                summary[f"flagged_non_garment_{kind}s"] = float((~cat(outs, 1, kind)).mean())
    return rows, summary


def doodle_kind(file_name):
    """"quickdraw_ice_cream_4587619411296256.png" -> "ice cream": the kind a development doodle shows."""
    parts = Path(file_name).stem.split("_")
    return " ".join(parts[1:-1] if len(parts) > 2 else parts)


def flagged_by_kind(check, s):
    """The non-garment doodles flagged, by the kind each shows (from its file name): which kinds pass as
    garments; {} without names."""
    if s is None or not s.names:
        return {}
    flagged = ~verdicts(check, s)[1]
    kinds = np.array([doodle_kind(n) for n in s.names])
    by_kind = {k: [int(flagged[kinds == k].sum()), int((kinds == k).sum())] for k in sorted(set(kinds))}
    return {"by_kind": by_kind,
            "lines": ["non-garment doodles flagged by kind: " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in by_kind.items())]}


def baselines(sets, temperature):
    """AUROC of the usual logit-only scores (max softmax, energy) for the record: real in-class vs out."""
    from scipy.special import logsumexp

    real = [sets[n] for n in REAL_IN.values() if n in sets]
    outs = [s for s in sets.values() if not s.in_class]
    if not real or not outs:
        return {}
    scores = {"max softmax (calibrated)": lambda s: calibration.softmax(s.logits, temperature).max(1),
              "energy (logsumexp of the logits)": lambda s: logsumexp(s.logits, axis=1)}
    return {k: auroc(np.concatenate([f(s) for s in real]), np.concatenate([f(s) for s in outs])) for k, f in scores.items()}


def save_cache(path, key, sets):
    arrays = {"key": np.array(key)}
    for i, (name, s) in enumerate(sets.items()):
        arrays.update({f"{i}/name": np.array(name), f"{i}/in_class": np.array(s.in_class), f"{i}/x": s.x,
                       f"{i}/kinds": s.kinds, f"{i}/logits": s.logits, f"{i}/maps": s.maps,
                       f"{i}/mirror_maps": s.mirror_maps, f"{i}/names": np.array(s.names or [], str),
                       f"{i}/labels": s.labels if s.labels is not None else np.zeros(0, int)})
    np.savez(path, **arrays)


def load_cache(path, key):
    if not Path(path).is_file():
        return None
    with np.load(path) as z:
        if str(z["key"]) != key or "0/mirror_maps" not in z:  # other inputs, or made before the mirrored maps
            return None
        sets, i = {}, 0
        while f"{i}/name" in z:
            s = Set.__new__(Set)
            s.name, s.in_class = str(z[f"{i}/name"]), bool(z[f"{i}/in_class"])
            s.x, s.kinds, s.logits, s.maps = z[f"{i}/x"], z[f"{i}/kinds"], z[f"{i}/logits"], z[f"{i}/maps"]
            s.mirror_maps = z[f"{i}/mirror_maps"]
            s.names = list(z[f"{i}/names"]) if f"{i}/names" in z and len(z[f"{i}/names"]) else None
            s.labels = z[f"{i}/labels"] if len(z[f"{i}/labels"]) else None
            s.shape, s.pieces = garment.shape_features(s.x)
            sets[s.name], i = s, i + 1
    return sets


def data_sizes():
    from nin.core.data import COUNTS

    return COUNTS


def parse_args(argv=None):
    from nin.serve.inference import RUNTIMES

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--runtime", choices=RUNTIMES, help="default: the app's (int8 where its export is up to date)")
    p.add_argument("--realworld", default=str(DEFAULT_REALWORLD),
                   help="folder of real garment photos/doodles (+ not-garments/); 'none' to go without")
    p.add_argument("--outlier-icons", default=None,
                   help="installed @iconify-json sets (scripts/setup_training.sh): their held-out sets' non-garment icons "
                        "become the outliers the check is chosen on, and the real-world non-garment doodles are only "
                        "measured; default: ~/.cache/nin/icon-sets where present, 'none' to go without")
    p.add_argument("--fit-per-class", type=int, default=FIT_PER_CLASS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="at most N validation / test images and sample photos (a quick check)")
    p.add_argument("--real-flag", type=float, default=REAL_FLAG,
                   help=f"share of the real garments of each path the real Gaussian flags (default {REAL_FLAG}; "
                        "docs/garment_score.md shows what other shares gave)")
    p.add_argument("--dry-run", action="store_true", help="measure and print; write nothing")
    p.add_argument("--cache", help="keep the network's outputs in this .npz and reuse them while the weights "
                                   "and options are the same (for trying thresholds; not needed otherwise)")
    return p.parse_args(argv)


def data_at_hand(args, log):
    """(the real-world folder, the icon sets' root): each None where absent, with one line saying so."""
    from nin.world.icons import DEFAULT_ROOT

    realworld = Path(args.realworld) if args.realworld != "none" else None
    if realworld is not None and not (realworld / "manifest.json").is_file() and not (realworld / "photos").is_dir():
        log(f"warning: no real-world set at {realworld}: thresholds rest on the validation split alone")
        realworld = None
    icon_root = None if args.outlier_icons == "none" else Path(args.outlier_icons or DEFAULT_ROOT)
    if icon_root is not None and not icon_root.is_dir():
        log(f"note: no icon sets at {icon_root}: the check is chosen on the non-garments at hand")
        icon_root = None
    return realworld, icon_root


def network_outputs(args, clf, weights, realworld, icon_root, log):
    """Every set through the network (collect), or from --cache while weights and options are the same."""
    key = json.dumps([garment.weights_sha256(weights), clf.runtime, str(realworld), args.fit_per_class, args.seed, args.limit,
                      str(icon_root)])
    sets = load_cache(args.cache, key) if args.cache else None
    if sets is not None:
        log(f"network outputs from {args.cache}")
        return sets
    sets = collect(clf, realworld, args.fit_per_class, np.random.default_rng(args.seed), log, args.limit, icon_root)
    if args.cache:
        save_cache(args.cache, key, sets)
    return sets


def fit_calibration(sets, weights, runtime, log):
    """(the temperature's metadata entry, the temperature, the test set's softmax before and after): T
    fitted on the validation split, measured on the test set."""
    val, test = sets["validation"], sets["test"]
    t = calibration.fit_temperature(val.logits, val.labels)
    before, after = calibration.softmax(test.logits), calibration.softmax(test.logits, t)
    seen = read_metadata(weights).get("n_train") == data_sizes()["train"]  # trained before the split was held out
    fitted_on = (f"validation split ({len(val)} training images; these weights were trained on them too)" if seen
                 else f"validation split ({len(val)} training images held out)")
    if seen:
        log("note: these weights were trained on all training images, the validation split included: the "
            "temperature is fitted on images the network has seen (it comes out a little low)")
    cal = {"temperature": round(t, 4), "fitted_on": fitted_on,
           "validation_nll_before": round(calibration.nll(val.logits, val.labels), 4),
           "validation_nll_after": round(calibration.nll(val.logits, val.labels, t), 4),
           "test_ece_before": round(calibration.ece(before, test.labels), 4),
           "test_ece_after": round(calibration.ece(after, test.labels), 4),
           "test_nll_before": round(calibration.nll(test.logits, test.labels), 4),
           "test_nll_after": round(calibration.nll(test.logits, test.labels, t), 4),
           # a file that learnt the split is right more often there than on the test set, and its T comes out low
           "validation_top1": round(float((val.logits.argmax(1) == val.labels).mean()), 4),
           "test_top1": round(float((test.logits.argmax(1) == test.labels).mean()), 4),
           "validation_ece_after": round(calibration.ece(calibration.softmax(val.logits, t), val.labels), 4),
           "ece_bins": 15, "runtime": runtime, "weights_sha256": garment.weights_sha256(weights),
           "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    log(f"temperature {t:.4f} (validation NLL {cal['validation_nll_before']} -> {cal['validation_nll_after']})")
    log(f"test ECE {cal['test_ece_before']:.4f} -> {cal['test_ece_after']:.4f}; NLL {cal['test_nll_before']} -> {cal['test_nll_after']}")
    log(f"top-1: validation {cal['validation_top1']}, test {cal['test_top1']}; validation ECE after {cal['validation_ece_after']}; "
        f"for reference only (not a choice): the test set's own minimum-NLL temperature is "
        f"{calibration.fit_temperature(test.logits, test.labels):.4f}")
    return cal, t, before, after


def fit_garment_check(sets, t, args, realworld, runtime, log):
    """(the check, its metadata entry): chosen on validation sets (choose), then measured on every set."""
    check = choose(sets, log, args.real_flag)
    rows, summary = measure(check, sets)
    log("flagged 'not a garment' at the chosen thresholds:")
    for name, r in rows.items():
        log(f"  {'in ' if r['in_class'] else 'OUT'} {name:40} {r['n']:>6}  {r['flagged']:.3f}")
    for k, v in summary.items():
        log(f"  {k}: {v:.3f}")
    kinds = flagged_by_kind(check, sets.get(REPORT_ONLY))
    for line in kinds.get("lines", []):
        log(f"  {line}")
    base = baselines(sets, t)
    for k, v in base.items():
        log(f"  baseline AUROC, {k}: {v:.3f}")
    entry = dict(check.metadata(), measured={
        "sets": rows, **{k: round(v, 4) for k, v in summary.items()},
        **({"non_garment_doodles_by_kind": kinds["by_kind"]} if kinds else {}),
        "baselines_auroc": {k: round(v, 4) for k, v in base.items()},
        "realworld": str(realworld) if realworld else None, "runtime": runtime,
        "rule": f"per path: the real Gaussian's threshold flags {args.real_flag:.0%} of the real garments, the "
                f"Fashion-MNIST one's is the highest at which both flag at most {VAL_FLAG:.1%} of the Fashion-MNIST "
                f"validation inputs ({args.real_flag:.0%} of them drawn, on the drawing path); coverage >= its {MIN_COVERAGE_Q} percentile and <= its maximum + 0.02 (at most {MAX_COVERAGE}), pieces <= its {MAX_PIECES_Q} "
                f"percentile on in-class inputs"})
    return check, entry


def write_files(weights, cal, entry, check, before, after, labels):
    """The metadata's calibration and garment_check entries, the check's statistics, the reliability diagram."""
    stem = weights.name[:-len(".weights.h5")] if weights.name.endswith(".weights.h5") else weights.stem
    png = weights.with_name(f"{stem}_reliability.png")
    t = cal["temperature"]  # rounded as stored: the diagram's legend shows two decimals
    calibration.reliability_diagram({"before (T = 1)": before, f"after (T = {t:.2f})": after}, labels, png)
    check.save_stats(garment.stats_path(weights))
    meta = read_metadata(weights)
    meta["calibration"], meta["garment_check"] = cal, entry
    atomic_write(metadata_path(weights), lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2)))
    return png


def main(argv=None):
    import logging

    from nin.serve.inference import app_classifier

    args = parse_args(argv)
    logging.getLogger("nin.serve.garment").setLevel(logging.ERROR)  # "no calibration yet" is why we are here
    t0 = time.perf_counter()
    log = lambda *a: print(*a, flush=True)
    weights = Path(args.weights)
    clf = app_classifier(weights, args.runtime)  # the app's: int8 where its export is current, else keras
    realworld, icon_root = data_at_hand(args, log)
    sets = network_outputs(args, clf, weights, realworld, icon_root, log)
    cal, t, before, after = fit_calibration(sets, weights, clf.runtime, log)
    check, entry = fit_garment_check(sets, t, args, realworld, clf.runtime, log)
    if args.dry_run:
        log(f"dry run: nothing written ({time.perf_counter() - t0:.0f} s)")
        return 0
    png = write_files(weights, cal, entry, check, before, after, sets["test"].labels)
    log(f"wrote {metadata_path(weights).name} (calibration, garment_check), {garment.stats_path(weights).name}, "
        f"{png.name} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
