"""Train the NiN on Fashion-MNIST.

    python -m nin.train --recipe modern            # BN + AdamW, folded into the seed network
    python -m nin.train --recipe d2l               # the seed's recipe: SGD 0.1, batch 128, 10 epochs
    python -m nin.train --recipe modern --limit 512 --epochs 1   # smoke run on CPU

Images stay 28x28 uint8 on the host (augmented there, cheaply) and are resized to 224 on
the device inside the compiled step. Runs on TensorFlow (default) or JAX (KERAS_BACKEND=jax).
"""
import argparse
import datetime
import json
import math
import platform
import time
from pathlib import Path

import keras
import numpy as np

from nin import data, evaluate, model as nin_model, weights

RECIPES = {
    # the seed / d2l: plain network, SGD, no augmentation
    "d2l": dict(epochs=10, batch_size=128, lr=0.1, bn=False, label_smoothing=0.0, augment=False),
    # BN variant, AdamW with warmup + cosine, label smoothing, flip/shift/erasing at 28x28
    "modern": dict(epochs=12, batch_size=128, lr=2e-3, bn=True, label_smoothing=0.1, augment=True),
}


def augment_batch(x, rng, shape_p=0.0):
    """Random horizontal flip, shift by up to 2 px, random erasing, on float [B,28,28] in [0,1].

    shape_p: share of images replaced by a texture-free silhouette or outline of themselves,
    so the network also learns garments as people draw them.
    """
    b = len(x)
    flip = rng.random(b) < 0.5
    x = np.where(flip[:, None, None], x[:, :, ::-1], x)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    dy, dx = rng.integers(0, 5, b), rng.integers(0, 5, b)
    rows = dy[:, None] + np.arange(28)[None]
    cols = dx[:, None] + np.arange(28)[None]
    x = padded[np.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]]
    if shape_p > 0:
        from nin.preprocess import outline_of, silhouette_of
        for i in np.flatnonzero(rng.random(b) < shape_p):
            x[i] = silhouette_of(x[i]) if rng.random() < 0.5 else outline_of(x[i], rng)
    erase = rng.random(b) < 0.25
    for i in np.flatnonzero(erase):
        h, w = rng.integers(4, 12, 2)
        y0, x0 = rng.integers(0, 28 - h), rng.integers(0, 28 - w)
        x[i, y0:y0 + h, x0:x0 + w] = rng.random()
    return x


class Batches(keras.utils.PyDataset):
    """uint8 images -> float batches (augmented when training), labels as ints or one-hot."""

    def __init__(self, images, labels, batch_size, augment=False, one_hot=False, shape_p=0.0, seed=0):
        super().__init__()
        self.images, self.labels = images, labels
        self.batch_size, self.augment, self.one_hot, self.shape_p = batch_size, augment, one_hot, shape_p
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(images))
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def on_epoch_end(self):
        if self.augment:
            self.rng.shuffle(self.order)

    def __getitem__(self, i):
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        x = self.images[idx].astype("float32") / 255.0
        if self.augment:
            x = augment_batch(x, self.rng, self.shape_p)
        y = self.labels[idx].astype("int32")
        if self.one_hot:
            y = np.eye(10, dtype="float32")[y]
        return x[..., None], y


class Throughput(keras.callbacks.Callback):
    """Adds images/s and the epoch's wall time to the epoch logs (and so to the history)."""

    def __init__(self, n_images):
        super().__init__()
        self.n_images = n_images

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.t_train = time.perf_counter()  # excludes the test pass at the end of the epoch

    def on_epoch_end(self, epoch, logs=None):
        dt = self.t_train - self.t0
        logs["images_per_s"] = self.n_images / dt
        logs["epoch_s"] = time.perf_counter() - self.t0
        print(f"epoch {epoch + 1}: train loss {logs['loss']:.4f}  train acc {logs['accuracy']:.4f}  "
              f"test acc {logs.get('val_accuracy', float('nan')):.4f}  {logs['images_per_s']:.0f} img/s", flush=True)


def plot_history(history, path):
    """The seed's figure: train loss, train acc and test acc against epoch."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=120)
    ax.plot(epochs, history["loss"], "o-", ms=3, label="train loss")
    ax.plot(epochs, history["accuracy"], "s--", ms=3, label="train acc")
    if "val_accuracy" in history:
        ax.plot(epochs, history["val_accuracy"], "^-.", ms=3, label="test acc")
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend()
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
    import os
    return f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores (TensorFlow)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", choices=RECIPES, default="modern")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate (peak, for modern)")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--image-size", type=int, default=nin_model.IMAGE_SIZE)
    p.add_argument("--shape-aug", type=float, default=0.0, help="share of silhouette/outline images (modern)")
    p.add_argument("--init", help="start from these .weights.h5 (fine-tune the plain seed network, no BatchNorm)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="train on the first N train images and test on the first N test images")
    p.add_argument("--mixed-precision", action="store_true", help="bfloat16 compute (GPU)")
    p.add_argument("--out", default="weights", help="output folder")
    p.add_argument("--name", help="file stem (default nin_<recipe>)")
    p.add_argument("--verbose", type=int, default=1, help="Keras fit verbosity: 1 progress bar, 2 one line/epoch")
    args = p.parse_args(argv)
    cfg = dict(RECIPES[args.recipe])
    for k in ("epochs", "batch_size", "lr"):
        if getattr(args, k) is not None:
            cfg[k] = getattr(args, k)

    keras.utils.set_random_seed(args.seed)
    n_devices = maybe_distribute()
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    if args.limit:
        x_train, y_train, x_test, y_test = x_train[:args.limit], y_train[:args.limit], x_test[:args.limit], y_test[:args.limit]

    if args.init:
        cfg["bn"] = False
        net = weights.load_net(args.init, args.image_size)
    else:
        net = (nin_model.build_nin_bn if cfg["bn"] else nin_model.build_nin)(args.image_size)
    train_model = nin_model.with_resize(net, image_size=args.image_size)
    steps = math.ceil(len(x_train) / cfg["batch_size"]) * cfg["epochs"]
    one_hot = cfg["label_smoothing"] > 0
    if args.recipe == "d2l":
        optimizer = keras.optimizers.SGD(cfg["lr"])
    else:
        warmup = max(1, steps // 20)
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, steps - warmup, warmup_target=cfg["lr"], warmup_steps=warmup)
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay)
    loss = (keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=cfg["label_smoothing"])
            if one_hot else keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    train_model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])

    train_data = Batches(x_train, y_train, cfg["batch_size"], cfg["augment"], one_hot, args.shape_aug, args.seed)
    test_data = Batches(x_test, y_test, 256, one_hot=one_hot)
    print(f"recipe {args.recipe}: {cfg}, {len(x_train)} train / {len(x_test)} test images, "
          f"{hardware()}, backend {keras.backend.backend()}", flush=True)
    t0 = time.perf_counter()
    hist = train_model.fit(train_data, validation_data=test_data, epochs=cfg["epochs"],
                           callbacks=[Throughput(len(x_train))], verbose=args.verbose)
    train_s = time.perf_counter() - t0
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}

    # Ship the seed network itself: fold BN statistics into the convolutions.
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("float32")
    shipped = nin_model.fold_bn(net, args.image_size) if cfg["bn"] else net
    if args.mixed_precision and not cfg["bn"]:
        shipped = nin_model.build_nin(args.image_size)
        shipped.set_weights([np.asarray(w, "float32") for w in net.get_weights()])
    m = evaluate.metrics(evaluate.predict_logits(nin_model.with_resize(shipped, image_size=args.image_size), x_test), y_test)
    print(evaluate.format_report(m))

    out = Path(args.out)
    stem = args.name or f"nin_{args.recipe}"
    meta = {
        "recipe": args.recipe, "config": cfg, "args": vars(args),
        "epochs": cfg["epochs"], "test_accuracy": m["accuracy"], "test_top3": m["top3"],
        "per_class": m["per_class"], "confusion": m["confusion"], "n_train": len(x_train), "n_test": m["n"],
        "image_size": args.image_size, "class_names": data.CLASS_NAMES, "params": int(shipped.count_params()),
        "backend": keras.backend.backend(), "keras": keras.__version__, "hardware": hardware(), "devices": n_devices,
        "train_seconds": round(train_s, 1),
        "images_per_s": round(float(np.median(history["images_per_s"])), 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "data_sha256": data.checksums(), "history": history,
    }
    if args.init:  # keep the parent's figures: total training is the sum of both runs
        parent = weights.read_metadata(args.init)
        meta["init_from"] = {k: parent.get(k) for k in ("recipe", "epochs", "test_accuracy", "train_seconds",
                                                         "images_per_s", "hardware", "args", "date", "init_from")}
    weights.save_net(shipped, out / f"{stem}.weights.h5", meta)
    (out / f"{stem}.history.json").write_text(json.dumps(history, indent=1))
    plot_history(history, out / f"{stem}_curves.png")
    from nin.plots import plot_confusion
    plot_confusion(m["confusion"], out / f"{stem}_confusion.png")
    print(f"wrote {out / (stem + '.weights.h5')} (test top-1 {m['accuracy']:.4f})")
    return meta


if __name__ == "__main__":
    main()
