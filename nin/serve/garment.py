"""Does the input look like any of the ten garments? A garment score for every input.

Every runtime (Keras, LiteRT int8 / float32) outputs the logits and the 5x5x10 class maps (the last
NiN block's output before global pooling), so the score uses only those and the 28x28 image the
pipeline made, plus which path the pipeline took (a photo, or a drawing: the Draw tab, or a line
drawing uploaded as a file):

- features: the logits, the class maps' per-class mean and peak, and the garment's shape in the
  28x28 square (how much of it the garment covers, how much of its own box it fills, its aspect,
  its left-right symmetry, how textured it is inside): see FEATURES;
- per path, two class-conditional Gaussians (Mahalanobis distance to the nearest of ten class
  means with one shared covariance, Lee et al., NeurIPS 2018), fitted on training images outside
  the validation split (as they are and as uploads for the photo path, as drawings, nin/pipeline/imitations.py,
  for the drawing path): one whose feature best tells Fashion-MNIST from non-garments, one whose
  feature best tells real garment photos / doodles from non-garments; an input is a garment when
  either accepts it. Means and precision matrices ship beside the weights in `<stem>.garment.npz`;
- cheap pipeline checks: the garment in more pieces, or covering less of the square, than garments
  ever give; a drawing drawn tiny on the canvas (a scribble).

Gaussian score = -(squared distance to the nearest class mean) - log det(covariance); the garment
score is the larger of the two margins (Gaussian score - its threshold), so >= 0 is a garment.
`python -m nin.ship.calibrate` chooses the features and thresholds per path by measurement and writes them
into the weights' metadata with the temperature; docs/garment_score.md has the numbers.
"""
import hashlib
import logging
from pathlib import Path

import numpy as np
from scipy import ndimage

from nin.serve.calibration import softmax

log = logging.getLogger("nin.serve.garment")

KINDS = ("photo", "drawing")  # the pipeline's two paths (Prepared.path of nin.pipeline.preprocess.prepare)
PIECE_MIN_PX = 3  # a connected part of the 28x28 garment smaller than this is a speck, not a piece
MIN_EXTENT = 0.1  # a drawing whose longer side is under a tenth of the canvas's is a scribble, not a garment
LEVEL = 0.1  # nin.pipeline.preprocess.FOREGROUND: brighter than this is garment


def stats_path(weights_path):
    """x.weights.h5 -> x.garment.npz (per path: class means, shared precision matrix)."""
    p = Path(weights_path)
    stem = p.name[:-len(".weights.h5")] if p.name.endswith(".weights.h5") else p.stem
    return p.with_name(f"{stem}.garment.npz")


# --- features, for a batch: images28 [N,28,28], class maps [N,5,5,10] ---

SHAPE_NAMES = ("coverage", "box fill", "aspect", "symmetry", "inner std", "inner gradient")


def shape_features(images28):
    """[N, 6] (SHAPE_NAMES) and pieces [N]: the garment's shape in the 28x28 square."""
    x = np.asarray(images28, np.float64).reshape(-1, 28, 28)
    out, pieces = np.zeros((len(x), len(SHAPE_NAMES))), np.zeros(len(x), int)
    for i, img in enumerate(x):
        m = img > LEVEL
        labels, n = ndimage.label(m, structure=np.ones((3, 3)))
        sizes = np.bincount(labels.ravel())[1:]
        pieces[i] = int((sizes >= PIECE_MIN_PX).sum())
        ys, xs = np.nonzero(m)
        if len(ys) == 0:
            continue
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        box = m[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        symmetry = (box & box[:, ::-1]).sum() / max((box | box[:, ::-1]).sum(), 1)
        gy, gx = np.gradient(img)
        inner = ndimage.binary_erosion(m)
        out[i] = (m.mean(), m.sum() / (h * w), min(h, w) / max(h, w), symmetry, img[m].std(),
                  np.hypot(gx, gy)[inner].mean() if inner.any() else 0.0)
    return out, pieces


def _maps(class_maps):
    m = np.asarray(class_maps, np.float64)
    return m.reshape((-1,) + m.shape[-3:])


def logits_from_maps(class_maps):
    """The logits are the class maps' means (global average pooling)."""
    return _maps(class_maps).mean(axis=(1, 2))


def _mean_max(class_maps):
    m = _maps(class_maps)
    return np.concatenate([m.mean(axis=(1, 2)), m.max(axis=(1, 2))], 1)


FEATURES = {  # name -> f(images28, class maps, shape features) -> [N, D]
    "logits": lambda x, m, s: logits_from_maps(m),
    "maps-mean-max": lambda x, m, s: _mean_max(m),
    "shape": lambda x, m, s: s,
    "logits+shape": lambda x, m, s: np.concatenate([logits_from_maps(m), s], 1),
    "maps-mean-max+shape": lambda x, m, s: np.concatenate([_mean_max(m), s], 1),
}


def _energy(logits):
    m = logits.max(1)
    return m + np.log(np.exp(logits - m[:, None]).sum(1))  # logsumexp (Liu et al., NeurIPS 2020)


# Scores read straight off the logits, no Gaussian: what Outlier Exposure trains (a flat softmax on
# things that are none of the ten). Higher is more like a garment.
LOGIT_SCORES = {"max-softmax": lambda z: softmax(z).max(1), "energy": _energy}
# Scores that also read the network's logits on the input mirrored left to right (one more forward pass).
# A garment is a garment both ways round and the network learnt both (it trains on flips); what is none of
# the ten draws a less steady answer, so the mean of the two energies tells doodles apart better than one
# (drawing path, run 9's file, `python -m nin.ship.calibrate`: AUROC of the real garment doodles against the
# held-out non-garments 0.822 -> 0.837).
MIRROR_SCORES = {"energy-mirrored": lambda z, zm: (_energy(z) + _energy(zm)) / 2}


def component_score(c, images28, class_maps, shape, mirror_maps=None):
    """One component's score: a logit score (LOGIT_SCORES, MIRROR_SCORES: with mirror_maps, the class maps
    of the images mirrored left to right) or a Gaussian's on its feature."""
    if c["feature"] in LOGIT_SCORES:
        return LOGIT_SCORES[c["feature"]](logits_from_maps(class_maps))
    if c["feature"] in MIRROR_SCORES:
        if mirror_maps is None:
            raise ValueError(f"the {c['feature']} score needs the class maps of the mirrored images")
        return MIRROR_SCORES[c["feature"]](logits_from_maps(class_maps), logits_from_maps(mirror_maps))
    return gaussian_score(features(c["feature"], images28, class_maps, shape), c["means"], c["precision"], c["logdet"])


def features(name, images28, class_maps, shape=None):
    shape = shape_features(images28)[0] if shape is None else shape
    return FEATURES[name](images28, class_maps, shape)


def fit_gaussian(feats, labels, n_classes=10, shrinkage=1e-2):
    """(class means [C, D], precision [D, D], log det of the covariance) of one covariance shared by
    the classes, shrunk a little towards its mean variance so it inverts whatever the feature."""
    f, y = np.asarray(feats, np.float64), np.asarray(labels, int)
    means = np.stack([f[y == c].mean(0) for c in range(n_classes)])
    r = f - means[y]
    cov = r.T @ r / len(r)
    cov += np.eye(len(cov)) * shrinkage * np.trace(cov) / len(cov)
    return means, np.linalg.inv(cov), float(np.linalg.slogdet(cov)[1])


def gaussian_score(feats, means, precision, logdet):
    """-(squared Mahalanobis distance to the nearest class mean) - log det, per row."""
    diff = np.asarray(feats, np.float64)[:, None, :] - means[None]
    return -np.einsum("nci,ij,ncj->nc", diff, precision, diff).min(1) - logdet


COMPONENTS = ("fashion-mnist", "real")  # per path: one Gaussian that knows Fashion-MNIST, one real garments


class GarmentCheck:
    """The fitted check. paths: {kind: {component: {"feature", "threshold", "means", "precision", "logdet"}}}.

    Per path, two class-conditional Gaussians: "fashion-mnist" (its feature chosen for telling
    Fashion-MNIST images from non-garments) and "real" (chosen for telling real garment photos or
    doodles from non-garments), each with its own threshold. An input is a garment when either
    accepts it: the garment score is the larger margin, score - threshold, so 0 is the threshold."""

    def __init__(self, paths, max_pieces, min_coverage, max_coverage=1.01):
        self.paths = paths
        self.max_pieces, self.min_coverage = int(max_pieces), float(min_coverage)
        self.max_coverage = float(max_coverage)  # above it the "garment" fills the square: noise, a texture

    def path_of(self, kind):
        """The path whose components judge this kind of input: its own, else the photo path's."""
        return kind if kind in self.paths else "photo"

    def needs_mirror(self, kind):
        """Whether this path's scores read the class maps of the input mirrored left to right too."""
        kind = self.path_of(kind)
        return any(c["feature"] in MIRROR_SCORES for c in self.paths[kind].values())

    def component_scores(self, images28, class_maps, kind, shape=None, mirror_maps=None):
        """{component: score} for a batch of one kind (no thresholds)."""
        shape = shape_features(images28)[0] if shape is None else shape
        return {name: component_score(c, images28, class_maps, shape, mirror_maps) for name, c in self.paths[kind].items()}

    def verdicts(self, images28, class_maps, kind, extents=None, mirror_maps=None):
        """(garment scores, is_garment, reasons) for a batch of one kind; a reason is '' for a garment.
        extents: for drawings, how big each was drawn (Prepared.extent of nin.pipeline.preprocess.prepare), if known;
        mirror_maps: the class maps of the images mirrored left to right, where needs_mirror(kind)."""
        kind = self.path_of(kind)
        shape, pieces = shape_features(images28)
        per = self.component_scores(images28, class_maps, kind, shape, mirror_maps)
        score = np.max([per[name] - c["threshold"] for name, c in self.paths[kind].items()], axis=0)
        reason = np.where(score < 0, "unlike the garments it knows", "")
        reason = np.where(shape[:, 0] < self.min_coverage, "too little of the square is covered", reason)
        reason = np.where(shape[:, 0] > self.max_coverage, "it fills the whole square, like a texture", reason)
        reason = np.where(pieces > self.max_pieces, "in too many pieces", reason)
        if extents is not None:
            reason = np.where(np.asarray(extents, float) < MIN_EXTENT, "drawn too small to tell", reason)
        # the API's promise: a score of 0 or more is a garment; a failed pipeline check caps it at -1
        score = np.where((reason != "") & (score >= 0), -1.0, score)
        return score, reason == "", reason

    def assess(self, image28, class_maps, kind="photo", extent=None, mirror_maps=None):
        """{"score", "threshold" (0), "is_garment", "reason", "kind"} for one input."""
        kind = self.path_of(kind)
        score, ok, reason = self.verdicts(np.asarray(image28)[None], np.asarray(class_maps)[None], kind,
                                          None if extent is None else [extent],
                                          None if mirror_maps is None else np.asarray(mirror_maps)[None])
        return {"score": float(score[0]), "threshold": 0.0, "is_garment": bool(ok[0]), "reason": str(reason[0]),
                "kind": kind}

    def metadata(self):
        """The JSON part (the arrays go into the .npz)."""
        return {"paths": {k: {name: {"feature": c["feature"], "threshold": float(c["threshold"]), "logdet": float(c["logdet"])}
                              for name, c in comps.items()} for k, comps in self.paths.items()},
                "max_pieces": self.max_pieces, "min_coverage": self.min_coverage, "max_coverage": self.max_coverage}

    def save_stats(self, path):
        from nin.core.weights import atomic_write

        arrays = {}
        for k, comps in self.paths.items():
            for name, c in comps.items():
                arrays[f"{k}/{name}/means"], arrays[f"{k}/{name}/precision"] = c["means"], c["precision"]

        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        atomic_write(path, write)

    @classmethod
    def load(cls, entry, npz_path):
        with np.load(npz_path) as z:
            paths = {k: {name: dict(c, means=z[f"{k}/{name}/means"], precision=z[f"{k}/{name}/precision"])
                         for name, c in comps.items()} for k, comps in entry["paths"].items()}
        return cls(paths, entry["max_pieces"], entry["min_coverage"], entry.get("max_coverage", 1.01))


def weights_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_calibration(weights_path):
    """(temperature, GarmentCheck or None) for these weights, from their metadata and .garment.npz.

    Weights never calibrated, or calibrated as another file (the weights changed since), serve with
    temperature 1 (the raw softmax) and no garment verdict, said in one warning line."""
    from nin.core.weights import read_metadata

    meta = read_metadata(weights_path)
    cal, entry = meta.get("calibration"), meta.get("garment_check")
    fix = f"run `python -m nin.ship.calibrate --weights {weights_path}`"
    name = Path(weights_path).name
    if not isinstance(cal, dict) or "temperature" not in cal:
        log.warning("%s has no calibration in its metadata: raw probabilities (temperature 1), no garment verdict; %s.",
                    name, fix)
        return 1.0, None
    if Path(weights_path).is_file() and cal.get("weights_sha256") != weights_sha256(weights_path):
        log.warning("%s: its calibration was made for other weights (the file changed since): raw probabilities "
                    "(temperature 1), no garment verdict; %s.", name, fix)
        return 1.0, None
    try:
        check = GarmentCheck.load(entry, stats_path(weights_path))
    except (OSError, KeyError, TypeError, ValueError) as e:
        log.warning("%s: no usable garment check beside it (%s): calibrated probabilities, no garment verdict; %s.",
                    name, type(e).__name__, fix)
        check = None
    return float(cal["temperature"]), check
