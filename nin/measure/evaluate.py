"""Evaluate weights on the Fashion-MNIST test set (or the validation split held out of training).

    python -m nin.measure.evaluate [--weights PATH] [--limit N] [--runtime keras|tflite-int8|tflite-fp32]
    python -m nin.measure.evaluate --split validation ...   # for choosing between runs; the test set is reported once

Prints per-class accuracy and the confusion matrix; the last line is one JSON object.
"""
import argparse
import json

import numpy as np

from nin.core.data import CLASS_NAMES, load_split


def predict_logits(model, images_u8, batch_size=256, progress=True):
    """Scores for uint8 [N,28,28] images through a 28->224 Keras model or a Classifier, batch by batch."""
    from tqdm import tqdm

    out = []
    steps = range(0, len(images_u8), batch_size)
    for i in tqdm(steps, desc="evaluate", unit="batch", disable=not progress, leave=False):
        x = images_u8[i:i + batch_size, :, :, None].astype("float32") / 255.0
        out.append(np.asarray(model.predict(x) if hasattr(model, "forward") else model.predict_on_batch(x)))
    return np.concatenate(out)


def auroc(pos, neg):
    """P(score of an in-class input > score of an out-of-class one), ties counted half."""
    from scipy.stats import rankdata

    pos, neg = np.asarray(pos, np.float64), np.asarray(neg, np.float64)
    if not len(pos) or not len(neg):
        return float("nan")
    r = rankdata(np.concatenate([pos, neg]))
    return float((r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def metrics(logits, labels):
    """Top-1, top-3, per-class accuracy and the confusion matrix (rows: true, cols: predicted)."""
    labels = np.asarray(labels).astype(int)
    pred = logits.argmax(1)
    top3 = np.argsort(-logits, axis=1)[:, :3]
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, pred), 1)
    per_class = {CLASS_NAMES[c]: float(confusion[c, c] / max(confusion[c].sum(), 1)) for c in range(10)}
    return {
        "accuracy": float((pred == labels).mean()),
        "top3": float((top3 == labels[:, None]).any(1).mean()),
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "n": int(len(labels)),
    }


def format_report(m):
    lines = ["per-class accuracy:"]
    lines += [f"  {name:<12} {acc:.4f}" for name, acc in m["per_class"].items()]
    lines.append("confusion matrix (rows: true class, columns: predicted):")
    lines.append(" " * 13 + " ".join(f"{i:>5}" for i in range(10)))
    for i, row in enumerate(m["confusion"]):
        lines.append(f"  {i} {CLASS_NAMES[i]:<10}" + " ".join(f"{v:>5}" for v in row))
    lines.append(f"top-1 {m['accuracy']:.4f}  top-3 {m['top3']:.4f}  on {m['n']} test images")
    return "\n".join(lines)


def main(argv=None):
    from nin.serve.inference import RUNTIMES, Classifier
    from nin.core.weights import DEFAULT_WEIGHTS, load_net

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="a .weights.h5 file (default: shipped)")
    p.add_argument("--limit", type=int, default=None, help="evaluate on the first N test images")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--runtime", choices=RUNTIMES, default="keras")
    p.add_argument("--split", choices=("test", "validation"), default="test",
                   help="validation: the 5,000 training images held out for choices (nin.core.data); test: report once")
    args = p.parse_args(argv)

    clf = Classifier(args.weights, args.runtime)
    if args.split == "validation":
        from nin.core.data import train_validation_split
        _, (x, y) = train_validation_split(*load_split("train"))
    else:
        x, y = load_split("test")
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    m = metrics(predict_logits(clf, x, args.batch_size), y)
    print(format_report(m))
    summary = {"accuracy": m["accuracy"], "top3": m["top3"], "params": int(load_net(args.weights).count_params()), "n": m["n"],
               "weights": args.weights, "runtime": args.runtime, "split": args.split, "per_class": m["per_class"]}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
