"""Finding, loading and atomically saving weights with their JSON metadata.

Weights are Keras `.weights.h5` files (HDF5 arrays only: loading them runs no code).
"""
import json
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_DIR = ROOT / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "nin_modern.weights.h5"


class WeightsError(RuntimeError):
    """A missing or unreadable weights file; the message names it and says how to fix it."""


def metadata_path(weights_path):
    p = Path(weights_path)
    return p.with_name(p.name.replace(".weights.h5", ".json"))


def read_metadata(weights_path):
    p = metadata_path(weights_path)
    return json.loads(p.read_text()) if p.is_file() else {}


def available_weights(folder=WEIGHTS_DIR):
    """{label: path} of the shipped weights, for the app's selector."""
    found = {}
    for p in sorted(Path(folder).glob("*.weights.h5")):
        meta = read_metadata(p)
        acc = meta.get("test_accuracy")
        label = f"{meta.get('recipe', p.stem)}" + (f" ({acc:.1%} test)" if acc else "")
        found[label] = str(p)
    return found


def load_net(weights_path, image_size=224):
    """The seed network with these weights, or WeightsError with one clear line."""
    from nin.model import build_nin

    p = Path(weights_path)
    fix = "train with `python -m nin.train` or restore the file from the repository (git checkout weights/)"
    if not p.is_file():
        raise WeightsError(f"weights file {p} not found; {fix}.")
    net = build_nin(image_size)
    try:
        net.load_weights(str(p))
    except Exception as e:  # h5py/Keras raise many types for a damaged file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightsError(f"weights file {p} cannot be loaded ({first[:160]}); {fix}.") from None
    return net


def atomic_write(path, write_fn):
    """Write via a temp file in the same folder, then rename: a crash leaves the old file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keras insists the weights name ends in .weights.h5, so keep the suffix on the temp file
    suffix = ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    try:
        write_fn(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_net(net, weights_path, metadata):
    """Save weights and their metadata, each atomically."""
    def write_weights(tmp):
        os.unlink(tmp)  # Keras refuses to overwrite silently in some versions; give it a fresh name
        net.save_weights(tmp)

    atomic_write(weights_path, write_weights)
    atomic_write(metadata_path(weights_path), lambda tmp: Path(tmp).write_text(json.dumps(metadata, indent=2)))
