"""Fine-tune the seed network on the world: Fashion-MNIST plus real photos, icons and outliers.

    python -m nin.training.finetune --clothing ../shared/clothing-photos --proxy          # 112 px, prints the table
    nohup nice python -m nin.training.finetune --clothing ../shared/clothing-photos \\
        --epochs 4 --mixed-precision --name nin_world > world.log 2>&1 &               # 224 px, ships the file
    python -m nin.training.finetune ... --resume                                          # after an interruption

Every batch mixes Fashion-MNIST (augmented as nin.training.train does: drawings and uploads through the
pipeline) with the cached world images (nin/world/cache.py): phone photos, icons uploaded and
redrawn by hand, and "none of the ten" (Outlier Exposure, Hendrycks et al. 2019: their target is the
uniform softmax, weighted by --oe-weight). Classes within the world images are balanced. Runs and
shares are chosen on the validation splits (Fashion-MNIST's 5,000, photos by sender, icons by set);
the test set is measured once, at the end. A development folder (--dev, laid out like
shared/realworld) is measured each epoch and never trained on.
"""
import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np

from nin.core.quiet import import_keras

keras = import_keras()

from nin.core import data, model as nin_model, weights  # noqa: E402

from nin.measure import evaluate

from nin.training import train
from nin.measure.evaluate import auroc  # noqa: E402
from nin.serve.calibration import softmax  # noqa: E402
from nin.serve import garment  # noqa: E402
from nin.core.data import CLASS_NAMES  # noqa: E402
from nin.world import cache, doodles, icons, sources, synthetic  # noqa: E402

DEFAULT_SHARES = dict(photos=0.25, icons=0.12, outliers=0.13)  # of each batch; the rest is Fashion-MNIST


class MixedBatches(keras.utils.PyDataset):
    """Each batch: Fashion-MNIST (nin.training.train's augmentation) + world images, one-hot targets, and
    sample weights (--oe-weight on outliers, whose target is uniform)."""

    def __init__(self, fm_x, fm_y, world, shares, steps, batch_size, args):
        super().__init__()
        self.fm_x, self.fm_y, self.world, self.steps, self.batch_size, self.args = fm_x, fm_y, world, steps, batch_size, args
        y, kind = world["y"], world["kind"]
        doodled = world["group"] == synthetic.DOODLES
        self.pools = {"photos": np.flatnonzero((y >= 0) & (kind == 0)),
                      "icons": np.flatnonzero((y >= 0) & (kind > 0) & ~doodled), "doodles": np.flatnonzero(doodled),
                      "outliers": np.flatnonzero(y < 0)}
        self.shares = {k: v for k, v in shares.items() if len(self.pools[k])}
        # balance the classes inside each garment pool: p(image) ~ 1 / (its class's count)
        self.weights = {}
        for name, idx in self.pools.items():
            counts = np.bincount(y[idx] + 1, minlength=11)
            w = 1.0 / counts[y[idx] + 1]
            self.weights[name] = w / w.sum()
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return self.steps

    def __getitem__(self, i):
        rng = np.random.default_rng([self.args.seed, self.epoch, i])
        counts = {k: int(round(s * self.batch_size)) for k, s in self.shares.items()}
        n_fm = self.batch_size - sum(counts.values())
        j = rng.integers(0, len(self.fm_x), n_fm)
        fm = train.augment_batch(self.fm_x[j].astype("float32") / 255, rng, self.args.drawings, self.fm_y[j],
                                 self.args.uploads)
        picks = [rng.choice(self.pools[k], counts[k], p=self.weights[k]) for k in counts]
        idx = np.concatenate(picks) if picks else np.zeros(0, int)
        wx = self.world["x"][idx].astype("float32") / 255
        flip = rng.random(len(wx)) < 0.5  # shoes point both ways in photos; training flips anyway
        wx = np.where(flip[:, None, None], wx[:, :, ::-1], wx)
        x = np.concatenate([fm, wx])
        labels = np.concatenate([self.fm_y[j], self.world["y"][idx]]).astype(int)
        target = np.where(labels[:, None] >= 0, np.eye(10, dtype="float32")[np.maximum(labels, 0)], 0.1)
        weight = np.where(labels >= 0, 1.0, self.args.oe_weight).astype("float32")
        return x[..., None], target.astype("float32"), weight


def dev_images(folder):
    """The development folder's photos and doodles through the app's pipeline, once: {set: (x28s, labels)}."""
    from nin.pipeline.preprocess import PreprocessError, prepare_sketch, prepare_upload
    from nin.measure.realworld import as_sketchpad_value, list_images

    out = {}
    items = list_images(folder)
    for name, kind, prepare in (("dev photos", "photos", prepare_upload),
                                ("dev doodles drawn", "drawings", lambda p: prepare_sketch(as_sketchpad_value(p)))):
        xs, ys = [], []
        for k, path, y in items:
            if k != kind:
                continue
            try:
                xs.append(prepare(path))
            except PreprocessError:
                xs.append(np.zeros((28, 28), np.float32))
            ys.append(y)
        if xs:
            out[name] = (np.stack(xs), np.array(ys))
    not_garments = sorted(Path(folder, "not-garments").glob("*.png"))
    if not_garments:
        from nin.measure.realworld import as_sketchpad_value as sv
        xs = []
        for p in not_garments:
            try:
                xs.append(prepare_sketch(sv(p)))
            except PreprocessError:
                pass
        out["dev not-garments drawn"] = (np.stack(xs), -np.ones(len(xs), int))
    return out


def measure(model, sets):
    """{set: {n, top1, top3}} for labelled sets; outlier sets get the AUROC of max-softmax and of the
    energy (logsumexp of the logits) with the dev set's garment photos + doodles against them."""
    rows, in_scores = {}, []
    for name, (x, y) in sets.items():
        logits = evaluate.predict_logits(model, (np.asarray(x) * 255).astype(np.uint8) if x.dtype != np.uint8 else x,
                                         progress=False)
        probs = softmax(logits)
        scores = np.stack([probs.max(1), garment.LOGIT_SCORES["energy"](logits)], 1)
        if (y >= 0).all():
            m = evaluate.metrics(probs, y)
            present = {CLASS_NAMES[c] for c in np.unique(y)}
            rows[name] = {"n": len(y), "top1": m["accuracy"], "top3": m["top3"],
                          "per_class": {c: a for c, a in m["per_class"].items() if c in present}}
            if name.startswith("dev"):
                in_scores.append(scores)
        else:
            rows[name] = {"n": len(y), "scores": scores}
    pos = np.concatenate(in_scores) if in_scores else np.zeros((0, 2))
    for name, r in rows.items():
        if "scores" in r:
            neg = r.pop("scores")
            r["auroc_msp"], r["auroc_energy"] = auroc(pos[:, 0], neg[:, 0]), auroc(pos[:, 1], neg[:, 1])
    return rows


def table(rows):
    lines = [f"{'set':<26}{'n':>6}{'top-1':>8}{'top-3':>8}   worst classes / outlier AUROC"]
    for name, r in rows.items():
        if "top1" in r:
            worst = sorted(r["per_class"].items(), key=lambda kv: kv[1])[:3]
            lines.append(f"{name:<26}{r['n']:>6}{r['top1']:>8.3f}{r['top3']:>8.3f}   "
                         + ", ".join(f"{c} {a:.2f}" for c, a in worst))
        else:
            lines.append(f"{name:<26}{r['n']:>6}{'':>8}{'':>8}   max-softmax AUROC {r['auroc_msp']:.3f}, "
                         f"energy {r['auroc_energy']:.3f}")
    return "\n".join(lines)


class Report(keras.callbacks.Callback):
    """After each epoch: the table on the validation and development sets, into the history."""

    def __init__(self, net, size, sets, data_, state):
        super().__init__()
        self.net, self.size, self.sets, self.data, self.state = net, size, sets, data_, state

    def on_epoch_begin(self, epoch, logs=None):
        self.data.set_epoch(epoch)
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        dt = time.perf_counter() - self.t0
        rows = measure(nin_model.with_resize(self.net, image_size=self.size), self.sets)
        logs["images_per_s"] = len(self.data) * self.data.batch_size / dt
        logs["epoch_s"], logs["image_size"] = dt, self.size
        for name, r in rows.items():
            logs[name.replace(" ", "_") + ("_top1" if "top1" in r else "_auroc")] = r.get("top1", r.get("auroc_msp"))
        self.state.setdefault("tables", []).append(_plain(rows))  # before the checkpoint callback saves it
        print(f"\nepoch {epoch + 1} ({self.size} px, {logs['images_per_s']:.0f} img/s):\n{table(rows)}", flush=True)


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clothing", help="the clothing-photo folder (images.csv + images/), e.g. ../shared/clothing-photos")
    p.add_argument("--icons", default=str(icons.DEFAULT_ROOT), help="installed @iconify-json sets")
    p.add_argument("--dev", default=str(weights.ROOT.parent / "shared" / "realworld"),
                   help="development folder measured each epoch, never trained on (skipped if absent)")
    p.add_argument("--init", default=str(weights.DEFAULT_WEIGHTS), help="the weights to fine-tune")
    p.add_argument("--proxy", action="store_true", help="the fast loop: 112 px, 2 epochs of 120 steps, no file shipped")
    p.add_argument("--measure-only", action="store_true",
                   help="print the --init file's table on this cache's validation and development sets, train nothing")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--steps", type=int, default=250, help="batches per epoch")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--photos", type=float, default=DEFAULT_SHARES["photos"], help="share of each batch")
    p.add_argument("--icon-share", type=float, default=DEFAULT_SHARES["icons"], help="share of each batch: garment icons")
    p.add_argument("--outliers", type=float, default=DEFAULT_SHARES["outliers"], help="share of each batch: none of the ten")
    p.add_argument("--scribbles", type=int, default=0,
                   help="this many scribbled things (random shapes stuck together, nin/world/synthetic.py) as outlier drawings")
    p.add_argument("--doodles", type=int, default=0,
                   help="this many garments doodled from memory (nin/world/doodles.py) as training drawings")
    p.add_argument("--doodle-share", type=float, default=0.0, help="share of each batch: garments doodled from memory")
    p.add_argument("--synthetic", type=int, default=0,
                   help="this many noise and texture images as outlier photos (cached apart; issue 33)")
    p.add_argument("--oe-weight", type=float, default=0.5, help="weight of the outliers' uniform-target loss (the paper's 0.5)")
    p.add_argument("--drawings", type=float, default=0.15, help="share of Fashion-MNIST images drawn (nin.training.train)")
    p.add_argument("--uploads", type=float, default=0.15, help="share of Fashion-MNIST images as uploads (nin.training.train)")
    p.add_argument("--limit", type=int, help="smoke runs: Fashion-MNIST images and world images at most")
    p.add_argument("--mixed-precision", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="weights")
    p.add_argument("--name", default="nin_world")
    p.add_argument("--checkpoint-dir")
    p.add_argument("--cache-dir", default=str(cache.CACHE_DIR))
    p.add_argument("--resume", action="store_true")
    p.add_argument("--verbose", type=int, default=1)
    return p


def load_data(args):
    """Fashion-MNIST train / validation / test, the world images split, and the sets measured each epoch."""
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    (x_train, y_train), (x_val, y_val) = data.train_validation_split(x_train, y_train)
    world, cache_path = cache.load_or_build(args.clothing, args.icons, args.cache_dir, progress=args.verbose > 0)
    # made here: noise and textures (photos of nothing), scribbled things (drawings of nothing), doodled garments
    for n, make in ((args.synthetic, synthetic.synthetic_outliers), (args.scribbles, synthetic.scribbled_outliers),
                    (args.doodles, doodles.doodled_garments)):
        if n:
            extra = make(args.cache_dir, n)
            world = {k: np.concatenate([world[k], extra[k]]) for k in world}
    if args.limit:
        x_train, y_train, x_val, y_val = x_train[:args.limit], y_train[:args.limit], x_val[:args.limit], y_val[:args.limit]
        keep = np.random.default_rng(0).permutation(len(world["y"]))[:args.limit]
        world = {k: v[keep] for k, v in world.items()}
    train_world = {k: v[~world["val"]] for k, v in world.items()}
    val_world = {k: v[world["val"]] for k, v in world.items()}
    sets = {"fashion-mnist validation": (x_val, y_val)}
    for name, sel in (("photo validation", (val_world["kind"] == 0) & (val_world["y"] >= 0)),
                      ("icon drawing validation", (val_world["kind"] == 2) & (val_world["y"] >= 0)
                       & ~np.isin(val_world["group"], synthetic.GROUPS)),
                      ("doodle validation", val_world["group"] == synthetic.DOODLES),
                      # scribbles apart, so the outlier column stays comparable with runs made without them
                      ("outlier validation", (val_world["y"] < 0) & (val_world["group"] != synthetic.SCRIBBLES)),
                      ("scribble validation", val_world["group"] == synthetic.SCRIBBLES)):
        if sel.any():
            sets[name] = (val_world["x"][sel], val_world["y"][sel].astype(int))
    if Path(args.dev).is_dir():
        sets.update(dev_images(args.dev))
    return (x_train, y_train), (x_test, y_test), train_world, sets, cache_path, world


def world_counts(world):
    """How many images of each kind and class went in (for the model card); images made here by their group."""
    names = ["outlier"] + list(data.CLASS_NAMES)
    made = np.isin(world["group"], synthetic.GROUPS)
    rows = [(kind, (world["kind"] == k) & ~made) for k, kind in enumerate(cache.KINDS)]
    rows += [(f"made here: {g}", world["group"] == g) for g in synthetic.GROUPS if (world["group"] == g).any()]
    return {kind: {names[c + 1]: int(((world["y"] == c) & sel).sum()) for c in range(-1, 10) if ((world["y"] == c) & sel).any()}
            for kind, sel in rows}


def main(argv=None):
    args = parser().parse_args(argv)
    if args.proxy:
        args.image_size, args.epochs, args.steps = 112, 2, min(args.steps, 120)
    keras.utils.set_random_seed(args.seed)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    (x_train, y_train), (x_test, y_test), train_world, sets, cache_path, world = load_data(args)
    print(f"world images: {len(world['y'])} cached in {cache_path} ({int(world['val'].sum())} held out for validation)")

    net = weights.load_net(args.init, None)
    steps = args.steps * args.epochs
    warmup = max(1, steps // 20)
    schedule = keras.optimizers.schedules.CosineDecay(0.0, steps - warmup, warmup_target=args.lr, warmup_steps=warmup)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=5e-4)
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    shares = dict(photos=args.photos, icons=args.icon_share, doodles=args.doodle_share, outliers=args.outliers)
    run = json.loads(json.dumps({k: v for k, v in vars(args).items() if k not in ("resume", "verbose", "checkpoint_dir")}))
    ckpt = Path(args.checkpoint_dir) if args.checkpoint_dir else train.default_checkpoint_dir(args.name)
    state = {"run": run, "epochs_done": 0, "history": {}, "train_seconds": 0.0, "tables": []}
    if args.resume:
        state = train.load_checkpoint(ckpt, net, optimizer, run)
        print(f"resuming {ckpt}: {state['epochs_done']} of {args.epochs} epochs done", flush=True)

    batches = MixedBatches(x_train, y_train, train_world, shares, args.steps, args.batch_size, args)
    train_model = nin_model.with_resize(net, image_size=args.image_size)
    train_model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    t0 = time.perf_counter()
    if state["epochs_done"] == 0:
        before = measure(nin_model.with_resize(net, image_size=args.image_size), sets)
        print(f"before fine-tuning ({args.image_size} px):\n{table(before)}", flush=True)
        state["before"] = _plain(before)
        if args.measure_only:  # e.g. the shipped file on a new cache, to compare a new run with
            return state
    train_model.fit(batches, initial_epoch=state["epochs_done"], epochs=args.epochs, verbose=args.verbose,
                    callbacks=[Report(net, args.image_size, sets, batches, state),
                               train.Checkpoint(ckpt, net, optimizer, state)])
    state["train_seconds"] += time.perf_counter() - t0
    # a resumed run clocks only its own part; each epoch's own clock (in the checkpoint) covers them all
    state["train_seconds"] = max(state["train_seconds"], float(sum(state["history"].get("epoch_s", []))))
    if args.proxy:
        print(f"proxy run done in {state['train_seconds'] / 60:.1f} min of training; no weights written")
        return state
    return ship(args, net, state, (x_test, y_test), world, cache_path, len(x_train) + len(train_world["y"]))


def plot_world(world, path):
    """Per epoch (0 = the parent file): top-1 on each validation and development set, and the
    max-softmax AUROC of the outlier sets against garments."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = [world["before"]] + list(world["tables"] or [])
    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=120)
    for name in tables[-1]:
        key = "top1" if "top1" in tables[-1][name] else "auroc_msp"
        ax.plot(range(len(tables)), [t.get(name, {}).get(key, np.nan) for t in tables], "o--" if key != "top1" else "o-",
                ms=3, label=f"{name} ({'top-1' if key == 'top1' else 'AUROC'})")
    ax.set_xlabel("epoch of the world fine-tune (0: the file it started from)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plain(rows):
    return {n: {k: v for k, v in r.items() if k != "per_class"} | ({"per_class": r["per_class"]} if "per_class" in r else {})
            for n, r in rows.items()}


def ship(args, net, state, test, world, cache_path, n_train):
    """The plain seed network at 224 px, measured once on the test set, with its metadata."""
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("float32")
    shipped = nin_model.build_nin(args.image_size)
    shipped.set_weights([np.asarray(w, "float32") for w in net.get_weights()])
    m = evaluate.metrics(evaluate.predict_logits(nin_model.with_resize(shipped, image_size=args.image_size), test[0]), test[1])
    print(evaluate.format_report(m))
    history = state["history"]
    meta = {
        "recipe": "world", "config": {"bn": False, "lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs,
                                      "label_smoothing": 0.1},
        "n_train": int(n_train),
        "args": vars(args), "epochs": args.epochs,
        "stages": [{"image_size": args.image_size, "epochs": args.epochs,
                    "wall_seconds": round(sum(history.get("epoch_s", [])), 1),
                    "images_per_s": round(float(np.median(history["images_per_s"])), 1) if history.get("images_per_s") else None,
                    "test_accuracy_end": None}],
        "test_accuracy": m["accuracy"], "test_top3": m["top3"], "per_class": m["per_class"], "confusion": m["confusion"],
        "n_test": m["n"], "image_size": args.image_size, "class_names": data.CLASS_NAMES,
        "params": int(shipped.count_params()), "backend": keras.backend.backend(), "keras": keras.__version__,
        "hardware": train.hardware(), "train_seconds": round(state["train_seconds"], 1),
        "images_per_s": round(float(np.median(history["images_per_s"])), 1) if history.get("images_per_s") else None,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "data_sha256": data.checksums(), "history": history,
        "world": {"cache": cache_path.name, "images": world_counts(world), "held_out": int(world["val"].sum()),
                  "validation_split": {"photos": f"senders whose sha1 falls in the first {sources.VAL_SHARE:.0%}",
                                       "icons": list(sources.VAL_ICON_SETS), "fashion-mnist": "nin.core.data's 5,000"},
                  "shares": {"photos": args.photos, "icons": args.icon_share, "doodles": args.doodle_share,
                             "outliers": args.outliers},
                  "oe_weight": args.oe_weight, "before": state.get("before"), "tables": state.get("tables"),
                  "icon_sets": {g: icons.credit(args.icons, g) for g in sorted(set(world["group"][world["kind"] > 0]))
                                if g not in synthetic.GROUPS},
                  "made_here": {"noise and textures (photos)": args.synthetic, "scribbled things (drawings)": args.scribbles,
                                "garments doodled from memory (drawings)": args.doodles},
                  "clothing_photos": "alexeygrigorev/clothing-dataset (CC0 1.0), commit 7ed86a9c"},
        "selected_by": "the run's last epoch; shares and weights chosen on the validation splits; test measured once",
    }
    meta = train.join_parent(meta, weights.read_metadata(args.init))
    out = Path(args.out)
    weights.save_net(shipped, out / f"{args.name}.weights.h5", meta)
    (out / f"{args.name}.history.json").write_text(json.dumps(meta["history"], indent=1))
    from nin.measure.plots import plot_confusion
    plot_confusion(m["confusion"], out / f"{args.name}_confusion.png")
    plot_world(meta["world"], out / f"{args.name}_curves.png")
    print(f"wrote {out / (args.name + '.weights.h5')} (test top-1 {m['accuracy']:.4f})")
    return meta


if __name__ == "__main__":
    main()
