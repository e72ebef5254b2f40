"""Weights files and what belongs to them: finding, loading and atomically saving them with their
JSON metadata, and their LiteRT exports (file names, sha256, staleness).

Weights are Keras `.weights.h5` files (HDF5 arrays only: loading them runs no code). An export
`x.int8.tflite` / `x.fp32.tflite` / `x.layers.tflite` has a JSON beside it naming the sha256 of
the weights it was made from (written by `python -m nin.ship.export`); one whose sha256 differs is stale.

This module is near the bottom of the package: it imports only nin.core.model (lazily, to build the
network), so the server, the inside view and the export CLI can all use it.
"""
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS_DIR = ROOT / "weights"
MODERN_WEIGHTS = WEIGHTS_DIR / "nin_modern.weights.h5"
WORLD_WEIGHTS = WEIGHTS_DIR / "nin_world.weights.h5"


class WeightsError(RuntimeError):
    """A missing or unreadable weights file; the message names it and says how to fix it."""


def metadata_path(weights_path):
    """x.weights.h5 -> x.json (never the weights file itself, whatever its name)."""
    p = Path(weights_path)
    if p.name.endswith(".weights.h5"):
        return p.with_name(p.name[:-len(".weights.h5")] + ".json")
    return p.with_name(p.name + ".json") if p.suffix == ".json" else p.with_suffix(".json")


def read_metadata(weights_path):
    """The JSON beside the weights, or {} if it is missing or unreadable (it is only informative)."""
    p = metadata_path(weights_path)
    if not p.is_file():
        return {}
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        print(f"warning: ignoring unreadable metadata {p} ({type(e).__name__})", file=sys.stderr)
        return {}
    return meta if isinstance(meta, dict) else {}


def default_weights(world=WORLD_WEIGHTS, modern=MODERN_WEIGHTS):
    """The world file when its metadata says it beat nin_modern where people are (python -m
    nin.ship.compare writes the verdict; the model card prints it), else nin_modern."""
    won = read_metadata(world).get("versus_modern", {}).get("won") if Path(world).is_file() else False
    return Path(world) if won else Path(modern)


DEFAULT_WEIGHTS = default_weights()


def is_temp_file(path):
    """A leftover of an interrupted atomic_write (hidden name, '.tmp' before the suffix)."""
    name = Path(path).name
    return name.startswith(".") or ".tmp." in name


def available_weights(folder=WEIGHTS_DIR):
    """{label: path} of the shipped weights, for the app's selector (temp files of interrupted saves are skipped)."""
    found = {}
    for p in sorted(Path(folder).glob("*.weights.h5")):
        if is_temp_file(p):
            continue
        meta = read_metadata(p)
        acc = meta.get("test_accuracy")
        label = f"{meta.get('recipe', p.stem)}" + (f" ({acc:.2%} test)" if acc else "")  # 93.95 %, not a rounded-up 94.0 %
        found[label] = str(p)
    return found


def sha256(path):
    """Hex sha256 of a file's bytes: how exports and the model card name a weights file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tflite_path(weights_path, kind):
    """The LiteRT export of x.weights.h5 for kind tflite-int8 / tflite-fp32 / tflite-layers:
    x.int8.tflite / x.fp32.tflite / x.layers.tflite, beside the weights."""
    p = Path(weights_path)
    return p.with_name(p.name.replace(".weights.h5", f".{kind.split('-')[1]}.tflite"))


def export_fix(weights_path, kind):
    """The command that (re)writes this export."""
    return f"run `python -m nin.ship.export --weights {weights_path} --formats {kind}`"


def up_to_date_export(weights_path, kind):
    """(path, made_from) of this weights file's LiteRT export, where `made_from` is the JSON beside it;
    WeightsError with one line (and the command that fixes it) if the export is missing or was made
    from other weights (a stale export: its JSON is unreadable or names another sha256)."""
    path = tflite_path(weights_path, kind)
    if not path.is_file():
        raise WeightsError(f"{path} not found; {export_fix(weights_path, kind)}.")
    try:
        made_from = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        made_from = {}
    if not isinstance(made_from, dict) or made_from.get("weights_sha256") != sha256(weights_path):
        raise WeightsError(f"{path} was not made from {weights_path} (stale export); {export_fix(weights_path, kind)}.")
    return path, made_from


def load_net(weights_path, image_size=224):
    """The seed network with these weights, or WeightsError with one clear line."""
    from nin.core.model import build_nin

    p = Path(weights_path)
    fix = "train with `python -m nin.training.train` or restore the file from the repository (git checkout weights/)"
    if not p.is_file():
        raise WeightsError(f"weights file {p} not found; {fix}.")
    net = build_nin(image_size)
    try:
        net.load_weights(str(p))
    except Exception as e:  # h5py/Keras raise many types for a damaged file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightsError(f"weights file {p} cannot be loaded ({first[:160]}); {fix}.") from None
    return net


FILE_MODE = 0o644  # weights and metadata are readable by everyone, like files in a checkout


def atomic_write(path, write_fn):
    """Write via a temp file in the same folder, then rename: a crash leaves the old file intact.

    The temp file is hidden (`.NAME.XXXX.tmp.SUFFIX`, skipped by available_weights); a kill -9 can
    leave one behind, never a half-written `path`. The result has mode 0644.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keras insists the weights name ends in .weights.h5, so keep the suffix on the temp file
    suffix = ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    try:
        write_fn(tmp)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600 files
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)  # the rename itself survives a power cut
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


PATH_ARGS = ("init", "out", "checkpoint_dir", "icons", "cache_dir", "clothing", "dev")  # training arguments naming files or folders


def portable_path(value):
    """A path as it may be committed: relative inside the repository, `~/...` under the home folder
    (no machine's absolute path in the metadata), anything else unchanged."""
    p = Path(os.path.expanduser(str(value)))
    if not p.is_absolute():
        return str(value)
    for base, prefix in ((ROOT, ""), (Path.home(), "~/")):
        try:
            return prefix + str(p.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(value)


def portable_metadata(metadata):
    """The metadata with the paths among its training arguments made portable (portable_path), here
    and in every parent under init_from; the parent a run started from is named by its sha256
    (init_from.weights_sha256), taken from the file while it is still there."""
    meta = dict(metadata)
    args = meta.get("args")
    if isinstance(args, dict):
        parent = args.get("init")
        if parent and isinstance(meta.get("init_from"), dict) and "weights_sha256" not in meta["init_from"] \
                and Path(parent).is_file():
            meta["init_from"] = dict(meta["init_from"], weights_sha256=sha256(parent))
        meta["args"] = {k: (portable_path(v) if k in PATH_ARGS and isinstance(v, str) else v) for k, v in args.items()}
    if isinstance(meta.get("init_from"), dict):
        meta["init_from"] = portable_metadata(meta["init_from"])
    return meta


def save_net(net, weights_path, metadata):
    """Save weights and their metadata (paths made portable: portable_metadata), each atomically."""
    metadata = portable_metadata(metadata)
    def write_weights(tmp):
        os.unlink(tmp)  # Keras refuses to overwrite silently in some versions; give it a fresh name
        net.save_weights(tmp)

    atomic_write(weights_path, write_weights)
    atomic_write(metadata_path(weights_path), lambda tmp: Path(tmp).write_text(json.dumps(metadata, indent=2)))
