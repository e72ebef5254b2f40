"""Write weights/README.md, the model card, from the JSON metadata beside each weights file.

    python -m nin.card
"""
from pathlib import Path

from nin.weights import WEIGHTS_DIR, available_weights, read_metadata


def card_section(path):
    meta = read_metadata(path)
    stem = Path(path).name.replace(".weights.h5", "")
    cfg = meta.get("config", {})
    lines = [f"## `{Path(path).name}`: {meta.get('recipe')} recipe", "",
             "| | |", "|---|---|",
             f"| recipe | {meta.get('recipe')}: {cfg} |",
             f"| training | {_epochs(meta)} on {meta.get('n_train')} images, "
             f"{_sizes(meta)}, command `python -m nin.train {' '.join(_cli_args(meta.get('args', {})))}` |",
             *[f"| started from | an earlier run: {run.get('recipe')} recipe, {run.get('epochs')} epoch(s), "
               f"{run.get('train_seconds')} s, test top-1 {run.get('test_accuracy', 0):.4f} "
               f"(`python -m nin.train {' '.join(_cli_args(run.get('args') or {}))}`) |" for run in _parents(meta)],
             f"| hardware | {meta.get('hardware')}, Keras {meta.get('keras')} on {meta.get('backend')} |",
             f"| training time | {_train_time(meta)} |",
             f"| test top-1 / top-3 | **{meta.get('test_accuracy', 0):.4f}** / {meta.get('test_top3', 0):.4f} "
             f"on {meta.get('n_test')} test images |",
             f"| parameters | {meta.get('params'):,} (the seed network; BatchNorm folded into the convolutions) |",
             f"| date | {meta.get('date')} |", "",
             *_stage_table(meta),
             "| class | test accuracy |", "|---|---:|"]
    lines += [f"| {c} | {a:.3f} |" for c, a in meta.get("per_class", {}).items()]
    lines += ["", f"![training curves]({stem}_curves.png) ![confusion matrix]({stem}_confusion.png)", ""]
    lines += calibration_lines(meta, stem)
    return "\n".join(lines)


def calibration_lines(meta, stem):
    """The temperature, ECE before/after with the reliability diagram, and the garment check's
    measured rates (`python -m nin.calibrate`), or a line saying the file is not calibrated."""
    cal, check = meta.get("calibration"), meta.get("garment_check") or {}
    if not cal:
        return ["Not calibrated yet: the app shows the raw softmax and no garment verdict "
                f"(`python -m nin.calibrate --weights weights/{stem}.weights.h5`).", ""]
    lines = [f"**Calibration** (`python -m nin.calibrate`, {cal.get('runtime')} runtime, {cal.get('date')}): temperature "
             f"**{cal['temperature']}** fitted on the {cal.get('fitted_on')}; expected calibration error on the "
             f"test set {cal.get('test_ece_before')} before, **{cal.get('test_ece_after')}** after "
             f"({cal.get('ece_bins')} bins); test NLL {cal.get('test_nll_before')} → {cal.get('test_nll_after')}.", "",
             f"![reliability diagram]({stem}_reliability.png)", ""]
    measured = check.get("measured") or {}
    if measured.get("sets"):
        lines += ["**Garment check** (docs/garment_score.md): per pipeline path "
                  + "; ".join(f"{k}: " + ", ".join(f"{n} Gaussian on {c['feature']}" for n, c in comps.items())
                              for k, comps in check.get("paths", {}).items())
                  + "; AUROC real garments vs non-garments: "
                  + ", ".join(f"{k}s {measured[f'auroc_{k}s']:.3f}" for k in ("photo", "drawing") if f"auroc_{k}s" in measured)
                  + ".", "",
                  "| set | in-class | inputs | flagged \"not a garment\" |", "|---|---|---:|---:|"]
        lines += [f"| {name} | {'yes' if r['in_class'] else 'no'} | {r['n']} | {r['flagged']:.1%} |"
                  for name, r in measured["sets"].items()]
        lines.append("")
    return lines


def _epochs(meta):
    if meta.get("total_epochs"):
        return f"{meta['total_epochs']} epochs in all ({meta['total_epochs'] - meta['epochs']} + {meta['epochs']} fine-tuning)"
    return f"{meta.get('epochs')} epoch(s)"


def _train_time(meta):
    own = f"{meta.get('train_seconds')} s, {meta.get('images_per_s')} images/s (median)"
    if meta.get("total_train_seconds"):
        return f"{meta['total_train_seconds'] / 60:.0f} min in all; this run {own}"
    return own


def _sizes(meta):
    stages = meta.get("stages") or []
    if len(stages) > 1:
        return "input sizes " + " → ".join(f"{s['image_size']} px × {s['epochs']}" for s in stages)
    return f"{meta.get('image_size')} px"


def _stage_table(meta):
    """One row per stage of a staged run: size, epochs, wall time, images/s, test top-1 at its end."""
    stages = meta.get("stages") or []
    if len(stages) < 2:
        return []
    rows = ["| stage | input | network trained | epochs | wall time | images/s (median) | test top-1 at its end |",
            "|---:|---:|---|---:|---:|---:|---:|"]
    for i, s in enumerate(stages, 1):
        acc = s.get("test_accuracy_end")
        network = {"BN": "with BatchNorm", "folded": "BN folded (the seed network)"}.get(s.get("network", "BN"))
        rows.append(f"| {i} | {s['image_size']} px | {network} | {s['epochs']} | {s['wall_seconds'] / 60:.1f} min | "
                    f"{s['images_per_s']:.0f} | {'–' if acc is None else f'{acc:.4f}'} |")
    return rows + [""]


def _parents(meta):
    """The runs this one was fine-tuned from, latest first."""
    runs, run = [], meta.get("init_from")
    while run:
        runs.append(run)
        run = run.get("init_from")
    return runs


def _cli_args(args):
    out = []
    skip = {"out", "verbose", "name", "checkpoint_dir", "resume"} | ({"image_size", "epochs"} if args.get("stages") else set())
    for k, v in args.items():
        if v in (None, False) or k in skip:
            continue
        out.append(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}"))
    return out


def main():
    sections = [card_section(p) for p in available_weights().values()]
    text = "\n".join([
        "# Model card: NiN on Fashion-MNIST", "",
        "The network is the seed article's Network in Network (1,992,166 parameters, input 224×224×1 grey,",
        "pixels in [0, 1], garment light on black as in Fashion-MNIST; the app's pipeline makes any photo",
        "or drawing look like that). Trained and tested on the real Fashion-MNIST (60,000 / 10,000).",
        "Figures come from each file's JSON metadata, written by `python -m nin.train`; check them with",
        "`python -m nin.evaluate --weights FILE`. This card is written by `python -m nin.card`.", "",
        "Intended use: a teaching demo of NiN and of class activation maps. Limits: 28×28 grey product",
        "shots of ten garment classes; anything else (people wearing clothes, several garments, other",
        "objects) still gets ten guesses. The garment check (docs/garment_score.md) says \"this doesn't look",
        "like any of the ten garments\" for some of it: about a quarter of non-garment photos, few non-garment",
        "doodles.", ""] + sections)
    (WEIGHTS_DIR / "README.md").write_text(text)
    print(f"wrote {WEIGHTS_DIR / 'README.md'}")


if __name__ == "__main__":
    main()
