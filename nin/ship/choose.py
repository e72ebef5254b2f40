"""Choose one weights file among runs of one recipe by validation accuracy; keep every run's figures.

    python -m nin.ship.choose ~/runs/d2l/nin_d2l.weights.h5 ~/runs/d2l_seed1/nin_d2l.weights.h5 \
        --to weights/nin_d2l.weights.h5

Every candidate must hold out the fixed validation split (`python -m nin.training.train --validation`,
the default) and record its accuracy there. The one with the highest is copied to --to with its
history, training curves and confusion matrix; its metadata lists every candidate under
"runs_compared" (seed, validation and test top-1, sha256) and says how it was chosen. The test set
is reported for each run and chooses nothing. Then export, calibrate and write the card as for any
new file (scripts/train_d2l.sh does).
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

from nin.core.weights import atomic_write, metadata_path, read_metadata, sha256

SIDE_FILES = ("{stem}.history.json", "{stem}_curves.png", "{stem}_confusion.png")


class ChooseError(ValueError):
    """One sentence naming the candidate that cannot be compared."""


def stem_of(path):
    return Path(path).name.removesuffix(".weights.h5")


def summary(path):
    """{seed, validation_accuracy, test_accuracy, sha256, file} of one candidate, or ChooseError."""
    path = Path(path)
    if not path.is_file():
        raise ChooseError(f"{path} does not exist.")
    meta = read_metadata(path)
    val = (meta.get("validation") or {}).get("accuracy")
    if val is None:
        raise ChooseError(f"{path.name} records no validation accuracy: train it with --validation to compare it.")
    return {"seed": (meta.get("args") or {}).get("seed"), "validation_accuracy": val,
            "test_accuracy": meta.get("test_accuracy"), "sha256": sha256(path), "file": str(path),
            "recipe": meta.get("recipe")}


def choose(candidates, target):
    """Copy the candidate with the highest validation accuracy to target (with its side files) and write
    every candidate's figures into its metadata. Returns the chosen summary."""
    runs = [summary(p) for p in candidates]
    recipes = {r["recipe"] for r in runs}
    if len(recipes) != 1:
        raise ChooseError(f"the candidates come from different recipes ({', '.join(sorted(map(str, recipes)))}).")
    best = max(runs, key=lambda r: r["validation_accuracy"])
    source, target = Path(best["file"]), Path(target)
    meta = read_metadata(source)
    if source.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        for pattern in SIDE_FILES:
            side = source.with_name(pattern.format(stem=stem_of(source)))
            if side.is_file():
                shutil.copyfile(side, target.with_name(pattern.format(stem=stem_of(target))))
    for key in ("calibration", "garment_check"):  # fitted for another file: calibrate the chosen one again
        meta.pop(key, None)
    meta["runs_compared"] = [{k: v for k, v in r.items() if k not in ("file", "recipe")} for r in runs]
    meta["selected_by"] = (f"validation accuracy among {len(runs)} runs of the same recipe, seeds "
                           f"{', '.join(str(r['seed']) for r in runs)} (the fixed 5,000-image split held out of "
                           "training); the test set chose nothing")
    atomic_write(metadata_path(target), lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2)))
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("candidates", nargs="+", help=".weights.h5 files of runs of one recipe")
    p.add_argument("--to", required=True, help="where the chosen file goes, e.g. weights/nin_d2l.weights.h5")
    args = p.parse_args(argv)
    try:
        best = choose(args.candidates, args.to)
    except ChooseError as e:
        sys.exit(f"error: {e}")
    for r in read_metadata(args.to)["runs_compared"]:
        mark = "chosen" if r["sha256"] == best["sha256"] else ""
        print(f"seed {r['seed']}: validation {r['validation_accuracy']:.4f}, test {r['test_accuracy']:.4f}  {mark}")
    print(f"wrote {args.to} (seed {best['seed']}); now export, calibrate and write the card")
    return 0


if __name__ == "__main__":
    main()
