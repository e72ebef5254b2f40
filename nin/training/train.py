"""Train the NiN on Fashion-MNIST.

    python -m nin.training.train --recipe modern            # BN + AdamW, folded into the seed network
    python -m nin.training.train --recipe d2l               # the seed's recipe: SGD 0.1, batch 128, 10 epochs
    python -m nin.training.train --recipe modern --limit 512 --epochs 1   # smoke run on CPU
    python -m nin.training.train --stages 112:12,160:4,224:3 --mixed-precision --drawings 0.25  # CPU recipe
    python -m nin.training.train ... --resume     # continue an interrupted run from its last finished epoch
    python -m nin.training.train --init W.weights.h5 --epochs 8 --ema 0.999 ...   # fine-tune, ship the weights' average

Images stay 28x28 uint8 on the host (augmented there, cheaply) and are resized on the device
inside the compiled step. --stages trains the same fully convolutional network at growing input
sizes (progressive resizing, then FixRes-style finishing at the test size) under one learning-rate
schedule; BatchNorm is folded once, at the end. Every epoch leaves a checkpoint (weights,
optimizer state, history) in --checkpoint-dir. Runs on TensorFlow (default) or JAX.
"""
import argparse
import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

from nin.core.quiet import import_keras

keras = import_keras()  # before nin's modules, so TensorFlow's start-up lines are filtered

from nin.core import data, model as nin_model, weights

from nin.measure import evaluate
from nin.pipeline.imitations import DRAW_WEIGHT, as_cutout, as_drawing, as_edge_drawing, as_upload

RECIPES = {
    # the seed / d2l: plain network, SGD, no augmentation
    "d2l": dict(epochs=10, batch_size=128, lr=0.1, bn=False, label_smoothing=0.0, augment=False),
    # BN variant, AdamW with warmup + cosine, label smoothing, flip/shift/erasing at 28x28
    "modern": dict(epochs=12, batch_size=128, lr=2e-3, bn=True, label_smoothing=0.1, augment=True),
}


def augment_batch(x, rng, shape_p=0.0, labels=None, upload_p=0.0, cutout_p=0.0, edge_p=0.0):
    """Random horizontal flip, shift by up to 2 px, random erasing, on float [B,28,28] in [0,1].

    shape_p: share of images replaced by a drawing of themselves (nin.pipeline.imitations: outlines, simplified
    or open strokes, inner lines, silhouettes; nin.pipeline.imitations.DRAW_WEIGHT scales it per class), so the
    network also learns garments as people draw them.
    upload_p: share of the other images passed through the upload pipeline (as_upload), so a re-centred,
    resampled photo reads like a test image.
    cutout_p: share of the others made into what the photo path cuts out of a busy photo (as_cutout).
    edge_p: share made into randomized thin edge drawings (as_edge_drawing).
    """
    b = len(x)
    flip = rng.random(b) < 0.5
    x = np.where(flip[:, None, None], x[:, :, ::-1], x)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    dy, dx = rng.integers(0, 5, b), rng.integers(0, 5, b)
    rows = dy[:, None] + np.arange(28)[None]
    cols = dx[:, None] + np.arange(28)[None]
    x = padded[np.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]]
    drawn = np.zeros(b, bool)
    if shape_p > 0:
        drawn = rng.random(b) < shape_p * (1.0 if labels is None else DRAW_WEIGHT[np.asarray(labels)])
        for i in np.flatnonzero(drawn):
            x[i] = as_drawing(x[i], -1 if labels is None else labels[i], rng)
    if edge_p > 0:
        edged = (rng.random(b) < edge_p) & ~drawn
        for i in np.flatnonzero(edged):
            x[i] = as_edge_drawing(x[i], rng)
        drawn |= edged
    erase = (rng.random(b) < 0.25) & ~drawn  # a drawing with a grey block in it looks like nothing people draw
    for i in np.flatnonzero(erase):
        h, w = rng.integers(4, 12, 2)
        y0, x0 = rng.integers(0, 28 - h), rng.integers(0, 28 - w)
        x[i, y0:y0 + h, x0:x0 + w] = rng.random()
    photo = np.zeros(b, bool)
    if cutout_p > 0:
        photo = (rng.random(b) < cutout_p) & ~drawn
        for i in np.flatnonzero(photo):
            x[i] = as_cutout(x[i], rng)
    if upload_p > 0:
        for i in np.flatnonzero((rng.random(b) < upload_p) & ~drawn & ~photo):
            x[i] = as_upload(x[i], rng)
    return x


class Batches(keras.utils.PyDataset):
    """uint8 images -> float batches (augmented when training), labels as ints or one-hot."""

    def __init__(self, images, labels, batch_size, augment=False, one_hot=False, shape_p=0.0, seed=0, upload_p=0.0,
                 cutout_p=0.0, edge_p=0.0):
        super().__init__()
        self.images, self.labels = images, labels
        self.batch_size, self.augment, self.one_hot, self.shape_p = batch_size, augment, one_hot, shape_p
        self.upload_p, self.cutout_p, self.edge_p = upload_p, cutout_p, edge_p
        self.seed = seed
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Order and augmentation depend on (seed, epoch, batch) only, so a resumed run sees the same data."""
        self.epoch = epoch
        self.order = np.arange(len(self.images))
        if self.augment:
            np.random.default_rng([self.seed, epoch]).shuffle(self.order)

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, i):
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        x = self.images[idx].astype("float32") / 255.0
        if self.augment:
            x = augment_batch(x, np.random.default_rng([self.seed, self.epoch, i]), self.shape_p, self.labels[idx],
                              self.upload_p, self.cutout_p, self.edge_p)
        y = self.labels[idx].astype("int32")
        if self.one_hot:
            y = np.eye(10, dtype="float32")[y]
        return x[..., None], y


class Throughput(keras.callbacks.Callback):
    """Adds images/s, the epoch's wall time and input size to the epoch logs (and so to the history)."""

    def __init__(self, n_images, image_size, data, val_label="test acc"):
        super().__init__()
        self.n_images, self.image_size, self.data, self.val_label = n_images, image_size, data, val_label

    def on_epoch_begin(self, epoch, logs=None):
        self.data.set_epoch(epoch)
        self.t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.t_train = time.perf_counter()  # excludes the test pass at the end of the epoch

    def on_epoch_end(self, epoch, logs=None):
        dt = self.t_train - self.t0
        logs["images_per_s"] = self.n_images / dt
        logs["epoch_s"] = time.perf_counter() - self.t0
        logs["image_size"] = self.image_size
        print(f"epoch {epoch + 1} ({self.image_size} px): train loss {logs['loss']:.4f}  train acc {logs['accuracy']:.4f}  "
              f"{self.val_label} {logs.get('val_accuracy', float('nan')):.4f}  {logs['images_per_s']:.0f} img/s", flush=True)


class Checkpoint(keras.callbacks.Callback):
    """After every epoch: the network (BN included), the optimizer's state and the history so far.

    Written atomically to a folder outside the work tree; `--resume` reads it back.
    """

    def __init__(self, folder, net, optimizer, state):
        super().__init__()
        self.folder, self.net, self.optimizer, self.state = Path(folder), net, optimizer, state

    def on_epoch_end(self, epoch, logs=None):
        history = self.state["history"]
        for k, v in logs.items():
            history.setdefault(k, []).append(float(v))
        self.state["epochs_done"] = epoch + 1
        save_checkpoint(self.folder, self.net, self.optimizer, self.state)


def save_checkpoint(folder, net, optimizer, state):
    folder.mkdir(parents=True, exist_ok=True)
    weights.atomic_write(folder / "net.weights.h5", lambda tmp: (os.unlink(tmp), net.save_weights(tmp)))
    opt = {f"v{i:04d}": np.asarray(keras.ops.convert_to_numpy(v)) for i, v in enumerate(optimizer.variables)}
    weights.atomic_write(folder / "optimizer.npz", lambda tmp: np.savez(tmp, **opt))
    weights.atomic_write(folder / "state.json", lambda tmp: Path(tmp).write_text(json.dumps(state, indent=1)))


def load_checkpoint(folder, net, optimizer, expected):
    """Restore net and optimizer from `folder`; returns the saved state. Refuses a run with other settings."""
    folder = Path(folder)
    state_file = folder / "state.json"
    if not state_file.is_file():
        raise SystemExit(f"--resume: no checkpoint in {folder}; start the run without --resume.")
    state = json.loads(state_file.read_text())
    if state["run"] != expected:
        diff = {k: (state["run"].get(k), v) for k, v in expected.items() if state["run"].get(k) != v}
        raise SystemExit(f"--resume: the checkpoint in {folder} is of another run (saved vs now: {diff}); "
                         f"use the same flags or another --checkpoint-dir.")
    net.load_weights(str(folder / "net.weights.h5"))
    optimizer.build(net.trainable_variables)
    saved = np.load(folder / "optimizer.npz")
    if len(saved.files) != len(optimizer.variables):
        raise SystemExit(f"--resume: the optimizer state in {folder} does not fit this network.")
    for i, v in enumerate(optimizer.variables):
        v.assign(saved[f"v{i:04d}"])
    return state


def parse_stages(text, epochs, image_size):
    """'112:12,160:4,224:3' -> [(112, 12), (160, 4), (224, 3)]; without --stages one stage."""
    if not text:
        return [(image_size, epochs)]
    stages = []
    for part in text.split(","):
        try:
            size, n = (int(v) for v in part.split(":"))
        except ValueError:
            raise SystemExit(f"--stages: '{part}' is not SIZE:EPOCHS (for example 112:12,224:3).") from None
        if size < 96 or n < 1:
            raise SystemExit(f"--stages: '{part}': sizes start at 96 px (the network's smallest input), epochs at 1.")
        stages.append((size, n))
    return stages


def join_parent(meta, parent):
    """A fine-tune's metadata with its parent's stages and epochs in front, so the card and the curves
    show the whole training; the parent's own summary stays under init_from."""
    meta = dict(meta, init_from={k: parent.get(k) for k in ("recipe", "epochs", "test_accuracy", "train_seconds",
                                                          "images_per_s", "hardware", "args", "date", "init_from")})
    own = [dict(s, network="BN" if meta["config"].get("bn") else "folded") for s in meta["stages"]]
    if not parent.get("stages") or not parent.get("history"):
        return dict(meta, stages=own)
    before = [dict(s, network=s.get("network") or ("BN" if parent.get("config", {}).get("bn") else "folded"))
              for s in parent["stages"]]
    history = {k: list(parent["history"][k]) + list(v) for k, v in meta["history"].items() if k in parent["history"]}
    return dict(meta, stages=before + own, history=history, total_epochs=len(history["loss"]),
                total_train_seconds=round(sum(history["epoch_s"]), 1))


def plot_history(history, path, stages=None, val_label="test acc"):
    """The seed's figure (d2l's train_ch6): train loss, train acc and the held-out accuracy against
    epoch, stage boundaries marked. `val_label` says which images that accuracy is on: d2l plots the
    test set; runs that hold out the validation split plot that split, keeping the test set for the
    one final report."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, ax = plt.subplots(figsize=(6, 3.8), dpi=120)
    ax.plot(epochs, history["loss"], "o-", ms=3, label="train loss")
    ax.plot(epochs, history["accuracy"], "s--", ms=3, label="train acc")
    if "val_accuracy" in history:
        ax.plot(epochs, history["val_accuracy"], "^-.", ms=3, label=val_label)
    end = 0
    for k, (size, n) in enumerate(stages or []):
        ax.axvspan(end + 0.5, end + n + 0.5, alpha=0.05 + 0.07 * (k % 2), color="grey")
        ax.text(end + 0.5 + n / 2, 1.02, f"{size} px", ha="center", va="bottom", fontsize=7,
                transform=ax.get_xaxis_transform())
        end += n
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def maybe_distribute():
    """Data-parallel over all visible accelerators through Keras's distribution API (JAX)."""
    if keras.backend.backend() != "jax":
        return 1
    devices = keras.distribution.list_devices()
    if len(devices) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


def hardware():
    if keras.backend.backend() == "jax":
        import jax
        return f"{jax.devices()[0].device_kind} x{jax.device_count()} (JAX)"
    return f"{platform.machine()} CPU{cpu_model()}, {os.cpu_count()} cores (TensorFlow)"


def cpu_model():
    """ ' (model name; AMX)' from /proc/cpuinfo where Linux has it: the same recipe ran at 16 images/s
    on one 2-core machine and 190 on another, so the card says which."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    extra = "AMX" if "amx_bf16" in flags else "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else ""
    return f" ({'; '.join(x for x in (name, extra) if x)})" if name or extra else ""


def default_checkpoint_dir(stem):
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "nin" / "checkpoints" / stem


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", choices=RECIPES, default="modern")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate (peak, for modern)")
    p.add_argument("--weight-decay", type=float, default=5e-4, help="AdamW's (modern); the d2l recipe's SGD has none")
    p.add_argument("--image-size", type=int, default=nin_model.IMAGE_SIZE)
    p.add_argument("--stages", help="input sizes and epochs, e.g. 112:12,160:4,224:3 (overrides --image-size/--epochs)")
    p.add_argument("--drawings", "--shape-aug", type=float, default=0.0,
                   help="share of training images replaced by drawings of themselves (modern)")
    p.add_argument("--uploads", type=float, default=0.0,
                   help="share of training images passed through the upload pipeline as resampled photos (modern)")
    p.add_argument("--ema", type=float, default=0.0,
                   help="keep an exponential moving average of the weights with this momentum (e.g. 0.999) and ship it")
    p.add_argument("--init", help="start from these .weights.h5 (fine-tune the plain seed network, no BatchNorm)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cutouts", type=float, default=0.0,
                   help="share of training images made into what the photo path cuts out of a busy photo (modern)")
    p.add_argument("--edges", type=float, default=0.0,
                   help="share of training images made into randomized thin-edge drawings, filled (modern)")
    p.add_argument("--freeze", type=int, default=0,
                   help="with --init: keep the first N NiN blocks as they are (no gradients below them: "
                        "freezing 2 of 4 halves the cost of a 224 px step)")
    p.add_argument("--validation", action=argparse.BooleanOptionalAction, default=True,
                   help="hold out the fixed 5,000-image validation split (nin.core.data) and report on it per epoch")
    p.add_argument("--limit", type=int, help="train on the first N train images and test on the first N test images")
    p.add_argument("--mixed-precision", action="store_true", help="bfloat16 compute (GPU; CPUs with AVX512-BF16)")
    p.add_argument("--out", default="weights", help="output folder")
    p.add_argument("--name", help="file stem (default nin_<recipe>)")
    p.add_argument("--checkpoint-dir", help="per-epoch checkpoints (default ~/.cache/nin/checkpoints/<name>)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint's last finished epoch")
    p.add_argument("--verbose", type=int, default=1, help="Keras fit verbosity: 1 progress bar, 2 one line/epoch")
    args = p.parse_args(argv)
    if args.recipe == "d2l":
        args.weight_decay = None  # the seed's SGD has no weight decay: do not record one
    return args


def recipe_config(args):
    """(the recipe with the command line's overrides, its stages [(image size, epochs)])."""
    cfg = dict(RECIPES[args.recipe])
    for k in ("epochs", "batch_size", "lr"):
        if getattr(args, k) is not None:
            cfg[k] = getattr(args, k)
    stages = parse_stages(args.stages, cfg["epochs"], args.image_size)
    cfg["epochs"] = sum(n for _, n in stages)
    if args.init:
        cfg["bn"] = False  # a fine-tune starts from the plain seed network
    return cfg, stages


def load_splits(args):
    """(train, held out per epoch, test, whether the held-out split is validation): Fashion-MNIST as the
    run uses it. Choices (epochs, runs, shares) are made on the validation split; the test set is
    reported once."""
    (x_train, y_train), test = data.load_fashion_mnist()
    held_out = args.validation and not args.limit
    if held_out:
        (x_train, y_train), val = data.train_validation_split(x_train, y_train)
    if args.limit:
        (x_train, y_train), test = (x_train[:args.limit], y_train[:args.limit]), (test[0][:args.limit], test[1][:args.limit])
    if not held_out:  # smoke runs and older recipes: per-epoch figures on (part of) the test set
        val = test
    return (x_train, y_train), val, test, held_out


def build_network(args, cfg):
    """One network for every stage: built for any input size (fully convolutional + global pooling)."""
    if not args.init:
        return (nin_model.build_nin_bn if cfg["bn"] else nin_model.build_nin)(None)
    net = weights.load_net(args.init, None)
    for block in net.layers[:2 * args.freeze]:  # nin_block_k and its pooling
        block.trainable = False
    return net


def optimizer_and_loss(args, cfg, n_train):
    """d2l: plain SGD; modern: AdamW under one warmup + cosine schedule across all stages. Both may keep
    Keras's moving average of the weights (--ema)."""
    steps = math.ceil(n_train / cfg["batch_size"]) * cfg["epochs"]
    ema = dict(use_ema=args.ema > 0, ema_momentum=args.ema or 0.99)
    if args.recipe == "d2l":
        optimizer = keras.optimizers.SGD(cfg["lr"], **ema)
    else:
        warmup = max(1, steps // 20)
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, steps - warmup, warmup_target=cfg["lr"], warmup_steps=warmup)
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay, **ema)
    loss = (keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=cfg["label_smoothing"])
            if cfg["label_smoothing"] > 0 else keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return optimizer, loss


def run_identity(args, cfg, stages, n_train, held_out):
    """What must match for --resume to continue the same run."""
    run = {"recipe": args.recipe, "config": cfg, "stages": stages, "shape_aug": args.drawings, "uploads": args.uploads, "seed": args.seed,
           **({"cutouts": args.cutouts, "edges": args.edges} if args.cutouts or args.edges else {}),
           **({"validation": "held out"} if held_out else {}),
           **({"freeze": args.freeze} if args.freeze else {}),
           "limit": args.limit, "init": args.init, "mixed_precision": args.mixed_precision,
           "weight_decay": args.weight_decay, "n_train": n_train,
           **({"ema": args.ema} if args.ema else {})}
    return json.loads(json.dumps(run))  # tuples -> lists, as they come back from the file


def fit_stages(args, cfg, stages, net, optimizer, loss, train_data, val_data, state, ckpt_dir, val_label):
    """Train stage by stage (input size, epochs), skipping the epochs a resumed run already has; a
    checkpoint after every epoch and at the end."""
    end = 0
    for size, n in stages:
        start, end = end, end + n
        if state["epochs_done"] >= end:
            continue
        train_model = nin_model.with_resize(net, image_size=size)
        train_model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        t0 = time.perf_counter()
        train_model.fit(train_data, validation_data=val_data, initial_epoch=max(start, state["epochs_done"]), epochs=end,
                        callbacks=[Throughput(len(train_data.images), size, train_data, val_label),
                                   Checkpoint(ckpt_dir, net, optimizer, state)]
                        + ([keras.callbacks.SwapEMAWeights()] if args.ema else []),  # test accuracy of the average
                        verbose=args.verbose)
        state["train_seconds"] += time.perf_counter() - t0
        save_checkpoint(ckpt_dir, net, optimizer, state)


def shippable(net, cfg, final_size, mixed_precision):
    """The seed network itself, float32, at the last stage's size: BN statistics folded into the convolutions."""
    if mixed_precision:
        keras.mixed_precision.set_global_policy("float32")
    shipped = nin_model.fold_bn(net, final_size) if cfg["bn"] else nin_model.build_nin(final_size)
    if not cfg["bn"]:
        shipped.set_weights([np.asarray(w, "float32") for w in net.get_weights()])
    return shipped


def stage_table(stages, history):
    """Per stage: its size, epochs, wall time, median images/s and the held-out accuracy at its end."""
    stage_info, end = [], 0
    for size, n in stages:
        rows = range(end, min(end + n, len(history["loss"])))  # this stage's epochs in the history
        end += n
        stage_info.append({"image_size": size, "epochs": n,
                           "wall_seconds": round(sum(history["epoch_s"][i] for i in rows), 1),
                           "images_per_s": round(float(np.median([history["images_per_s"][i] for i in rows])), 1) if rows else None,
                           "test_accuracy_end": history["val_accuracy"][rows[-1]] if rows and "val_accuracy" in history else None})
    return stage_info


def run_metadata(args, cfg, stages, state, shipped, m, mv, n_train, n_devices):
    """The weights file's JSON: recipe, figures, machine, data checksums, history (and its parent's, for a fine-tune)."""
    history = state["history"]
    meta = {
        "recipe": args.recipe, "config": cfg, "args": vars(args),
        "epochs": cfg["epochs"], "stages": stage_table(stages, history), "test_accuracy": m["accuracy"], "test_top3": m["top3"],
        "per_class": m["per_class"], "confusion": m["confusion"], "n_train": n_train, "n_test": m["n"],
        "image_size": stages[-1][0], "class_names": data.CLASS_NAMES, "params": int(shipped.count_params()),
        "backend": keras.backend.backend(), "keras": keras.__version__, "hardware": hardware(), "devices": n_devices,
        "train_seconds": round(state["train_seconds"], 1),
        "images_per_s": round(float(np.median(history["images_per_s"])), 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "data_sha256": data.checksums(), "history": history,
        **({"selected_by": "no choice: the run's last epoch, as the recipe states it; the validation split was held out "
                           "of training and the test set measured once, for this file"} if mv and not args.init else {}),
        **({"validation": {"n": mv["n"], "seed": data.VALIDATION_SEED, "accuracy": mv["accuracy"], "top3": mv["top3"],
                           "per_class": mv["per_class"],
                           "note": "per-epoch val_* figures in the history are on this split, held out of training"}}
           if mv else {}),
    }
    if args.init:  # keep the parent's figures: total training is the sum of both runs
        meta = join_parent(meta, weights.read_metadata(args.init))
    return meta


def write_files(out, stem, shipped, meta, val_label):
    """The weights with their metadata, the history, the training curves and the confusion matrix."""
    from nin.measure.plots import plot_confusion

    weights.save_net(shipped, out / f"{stem}.weights.h5", meta)
    (out / f"{stem}.history.json").write_text(json.dumps(meta["history"], indent=1))
    plot_history(meta["history"], out / f"{stem}_curves.png", [(s["image_size"], s["epochs"]) for s in meta["stages"]],
                 val_label=val_label)
    plot_confusion(meta["confusion"], out / f"{stem}_confusion.png")


def main(argv=None):
    args = parse_args(argv)
    cfg, stages = recipe_config(args)
    stem = args.name or f"nin_{args.recipe}"
    ckpt_dir = Path(args.checkpoint_dir) if args.checkpoint_dir else default_checkpoint_dir(stem)
    keras.utils.set_random_seed(args.seed)
    n_devices = maybe_distribute()
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")

    (x_train, y_train), (x_val, y_val), (x_test, y_test), held_out = load_splits(args)
    val_label = "validation acc" if held_out else "test acc"  # what the per-epoch held-out figure is on
    net = build_network(args, cfg)
    optimizer, loss = optimizer_and_loss(args, cfg, len(x_train))

    state = {"run": run_identity(args, cfg, stages, len(x_train), held_out), "epochs_done": 0, "history": {}, "train_seconds": 0.0}
    if args.resume:
        state = load_checkpoint(ckpt_dir, net, optimizer, state["run"])
        print(f"resuming {ckpt_dir}: {state['epochs_done']} of {cfg['epochs']} epochs done, "
              f"optimizer at step {int(keras.ops.convert_to_numpy(optimizer.iterations))}", flush=True)

    one_hot = cfg["label_smoothing"] > 0
    train_data = Batches(x_train, y_train, cfg["batch_size"], cfg["augment"], one_hot, args.drawings, args.seed, args.uploads,
                         args.cutouts, args.edges)
    val_data = Batches(x_val, y_val, 256, one_hot=one_hot)
    print(f"recipe {args.recipe}: {cfg}, stages {stages}, {len(x_train)} train / {len(x_val)} "
          f"{'validation' if held_out else 'test'} images, "
          f"{hardware()}, backend {keras.backend.backend()}, checkpoints in {ckpt_dir}", flush=True)
    fit_stages(args, cfg, stages, net, optimizer, loss, train_data, val_data, state, ckpt_dir, val_label)

    shipped = shippable(net, cfg, stages[-1][0], args.mixed_precision)
    final = nin_model.with_resize(shipped, image_size=stages[-1][0])
    mv = None
    if held_out:
        mv = evaluate.metrics(evaluate.predict_logits(final, x_val), y_val)
        print("validation split:\n" + evaluate.format_report(mv))
    m = evaluate.metrics(evaluate.predict_logits(final, x_test), y_test)
    print(evaluate.format_report(m))

    meta = run_metadata(args, cfg, stages, state, shipped, m, mv, len(x_train), n_devices)
    write_files(Path(args.out), stem, shipped, meta, val_label)
    print(f"wrote {Path(args.out) / (stem + '.weights.h5')} (test top-1 {m['accuracy']:.4f})")
    return meta


if __name__ == "__main__":
    main()
