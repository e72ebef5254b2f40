"""Write weights/README.md, the model card, from the JSON metadata beside each weights file and
weights/shipped.json (every file shipped so far, by sha256).

    python -m nin.ship.card           # writes weights/README.md
    python -m nin.ship.card --check   # exits 1 if weights/README.md is not what the metadata gives

A parent file is named by its sha256 and its test figure, never by a path on the machine that
trained it; the recipe line summarises the whole lineage (every run from random weights to this
file), not only the last fine-tune.
"""
import argparse
import json
import sys
from pathlib import Path

from nin.serve.garment import LOGIT_SCORES, MIRROR_SCORES
from nin.core.weights import DEFAULT_WEIGHTS, WEIGHTS_DIR, available_weights, read_metadata, sha256

SHIPPED = WEIGHTS_DIR / "shipped.json"
OPTIMISER = {"modern": "AdamW", "d2l": "SGD", "world": "AdamW"}
AUGMENT = {"modern": "flip / 2-px shift / erasing", "d2l": "none",
           "world": "flip / 2-px shift / erasing, and cached photos, icons and outliers in every batch (docs/world.md)"}
MODULE = {"world": "nin.training.finetune"}  # the CLI that made a run of this recipe (default nin.training.train)


def shipped_files(path=SHIPPED):
    """{sha256: entry} of weights/shipped.json ({} if it is missing)."""
    try:
        return {f["sha256"]: f for f in json.loads(Path(path).read_text())["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def lineage(meta):
    """Every run that made this file, from the first (random weights) to this one."""
    runs, run = [], meta
    while run:
        runs.append(run)
        run = run.get("init_from")
    return runs[::-1]


def _lr(run):
    lr = (run.get("config") or {}).get("lr") or (run.get("args") or {}).get("lr")
    return f"{lr:g}" if lr else "the recipe's default"


def _share(args, key):
    return f"{100 * (args.get(key) or 0):.0f} %"


def _run_sizes(run):
    args = run.get("args") or {}
    if args.get("stages"):
        return " → ".join(f"{s.split(':')[0]} px × {s.split(':')[1]}" for s in args["stages"].split(","))
    return f"{args.get('image_size', run.get('image_size'))} px × {run.get('epochs')}"


def _is_bn(run):
    cfg = run.get("config") or {}
    return bool(cfg.get("bn")) if "bn" in cfg else not (run.get("args") or {}).get("init")


def recipe_line(meta):
    """The whole lineage in one line: stages, epochs, optimiser, learning rates, averaging, augmentation shares."""
    runs = lineage(meta)
    recipe = meta.get("recipe")
    cfg = meta.get("config") or {}
    stages = meta.get("stages") or []
    total = meta.get("total_epochs") or meta.get("epochs")
    parts = [f"{recipe}: {total} epochs"
             + (f" in {len(stages)} stages" if len(stages) > 1 else "")
             + (f" over {len(runs)} runs" if len(runs) > 1 else "")]
    first, rest = runs[0], runs[1:]
    opt = OPTIMISER.get(first.get("recipe"), first.get("recipe"))
    network = "the BatchNorm network" if _is_bn(first) else "the seed network"
    schedule = "one warm-up + cosine schedule" if first.get("recipe") == "modern" else "a constant learning rate"
    parts.append(f"run 1: {network} at {_run_sizes(first)} under {schedule} ({opt}, peak lr {_lr(first)})"
                 + (", then folded into the seed network" if _is_bn(first) else ""))
    if rest:
        sizes = sorted({(r.get("args") or {}).get("image_size") for r in rest})
        ema = [r for r in rest if (r.get("args") or {}).get("ema")]
        parts.append(
            f"runs 2–{len(runs)}: fine-tunes of the folded network at {', '.join(f'{s} px' for s in sizes)}, "
            + " + ".join(str(r.get("epochs")) for r in rest) + " epochs, each under a fresh warm-up + cosine schedule "
            f"(peak lr {', '.join(_lr(r) for r in rest)})"
            + (f"; weight averaging (EMA {(ema[0]['args']['ema']):g}) in {sum(r.get('epochs') for r in ema)} of those "
               "epochs, the average is what was shipped" if ema else ""))
    every = [f"batch {cfg.get('batch_size', 128)}", f"label smoothing {cfg.get('label_smoothing', 0):g}"]
    if recipe in ("modern", "world"):
        every.insert(0, f"{opt} weight decay {(first.get('args') or {}).get('weight_decay', 5e-4):g}")
    if all((r.get("args") or {}).get("mixed_precision") for r in runs):
        every.append("bfloat16 mixed precision")
    every.append(f"augmentation {AUGMENT.get(recipe, '?')}")
    draw = [_share(r.get("args") or {}, "drawings") if "drawings" in (r.get("args") or {})
            else _share(r.get("args") or {}, "shape_aug") for r in runs]
    ups = [_share(r.get("args") or {}, "uploads") for r in runs]
    shares = (f"drawings {', '.join(draw)} and uploads {', '.join(ups)} of the training images, run by run"
              if len(runs) > 1 else f"drawings {draw[0]} and uploads {ups[0]} of the training images")
    parts.append("every run: " + ", ".join(every) + "; " + shares)
    return "; ".join(parts) + "."


def _named(sha, acc, shipped):
    """A weights file by its sha256 prefix and test figure (and the commit that shipped it, if any)."""
    if not sha:
        return f"a file with test top-1 {acc:.4f} (not shipped nor kept: sha256 not recorded)"
    entry = shipped.get(sha)
    where = f", shipped in commit {entry['commit']}" if entry else ""
    return f"sha256 `{sha[:12]}…`, test top-1 {acc:.4f}{where}"


def _cli_args(args):
    out = []
    skip = {"out", "verbose", "name", "checkpoint_dir", "resume"} | ({"image_size", "epochs"} if args.get("stages") else set())
    for k, v in args.items():
        if v in (None, False) or k in skip:
            continue
        if k == "init":
            v = "PARENT"  # the file the run started from, named by its sha256 in the lineage table
        out.append(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}"))
    return out


def _command(run):
    return f"`python -m {MODULE.get(run.get('recipe'), 'nin.training.train')} {' '.join(_cli_args(run.get('args') or {}))}`"


def lineage_table(meta, own_sha, shipped):
    """One row per run, from random weights to this file: what it started from, its command, its file."""
    runs = lineage(meta)
    rows = ["| run | started from | command | epochs | training time | images/s (median) | its file |",
            "|---:|---|---|---:|---:|---:|---|"]
    for i, run in enumerate(runs, 1):
        parent = runs[i - 2] if i > 1 else None
        if parent is None:
            start = "random weights"
        else:
            psha = parent.get("weights_sha256")
            start = f"run {i - 1}'s file: " + (f"sha256 `{psha[:12]}…`" if psha else "sha256 not recorded") \
                + f", test top-1 {parent.get('test_accuracy', 0):.4f}"
        sha = own_sha if run is meta else run.get("weights_sha256")
        made = "**this file**: " + _named(sha, run.get("test_accuracy", 0), shipped) if run is meta else \
            _named(sha, run.get("test_accuracy", 0), shipped)
        rows.append(f"| {i} | {start} | {_command(run)} | {run.get('epochs')} | "
                    f"{(run.get('train_seconds') or 0) / 60:.0f} min | {run.get('images_per_s')} | {made} |")
    return rows + ["", "`PARENT` is the file of the run before; each fine-tune's metadata keeps its parent's "
                   "summary under `init_from`.", ""]


def card_section(path, shipped=None):
    shipped = shipped_files() if shipped is None else shipped
    meta = read_metadata(path)
    stem = Path(path).name.replace(".weights.h5", "")
    own_sha = sha256(path) if Path(path).is_file() else None
    lines = [f"## `{Path(path).name}`: {meta.get('recipe')} recipe", "",
             "| | |", "|---|---|",
             f"| file | sha256 `{own_sha}` |" if own_sha else "| file | missing |",
             f"| recipe | {recipe_line(meta)} |",
             f"| how it was chosen | {meta.get('selected_by') or 'not recorded in its metadata'} |",
             f"| training | {_epochs(meta)} on {meta.get('n_train')} images, {_sizes(meta)}; "
             f"the last run's command {_command(meta)} |",
             f"| hardware | {meta.get('hardware')}, Keras {meta.get('keras')} on {meta.get('backend')} |",
             f"| training time | {_train_time(meta)} |",
             f"| test top-1 / top-3 | **{meta.get('test_accuracy', 0):.4f}** / {meta.get('test_top3', 0):.4f} "
             f"on {meta.get('n_test')} test images |",
             f"| parameters | {meta.get('params'):,} (the seed network"
             + ("; BatchNorm folded into the convolutions) |" if _is_bn(lineage(meta)[0]) else ", trained as it is: no BatchNorm) |"),
             f"| date | {meta.get('date')} |", ""]
    lines += runs_compared_lines(meta, own_sha)
    if meta.get("init_from"):
        lines += ["### How this file was made, run by run", ""] + lineage_table(meta, own_sha, shipped)
    lines += _stage_table(meta)
    lines += ["| class | test accuracy |", "|---|---:|"]
    lines += [f"| {c} | {a:.3f} |" for c, a in meta.get("per_class", {}).items()]
    lines += ["", f"![training curves]({stem}_curves.png) ![confusion matrix]({stem}_confusion.png)", ""]
    lines += world_lines(meta)
    lines += calibration_lines(meta, stem)
    return "\n".join(lines)


def runs_compared_lines(meta, own_sha):
    """The runs this file was chosen among (python -m nin.ship.choose): seed, validation and test top-1."""
    runs = meta.get("runs_compared")
    if not runs:
        return []
    lines = ["### Runs of this recipe it was chosen among (by validation accuracy)", "",
             "| seed | validation top-1 | test top-1 | file |", "|---:|---:|---:|---|"]
    for r in runs:
        mine = r.get("sha256") == own_sha
        lines.append(f"| {r.get('seed')} | {r.get('validation_accuracy', 0):.4f} | {r.get('test_accuracy', 0):.4f} | "
                     + ("**this file**" if mine else f"sha256 `{(r.get('sha256') or '')[:12]}…`, not shipped") + " |")
    return lines + [""]


def world_lines(meta):
    """For a world fine-tune (nin.training.finetune): every data source with its licence and how many
    images of each went in, the validation and development figures before and after, and whether
    it won the default (nin.ship.compare)."""
    world = meta.get("world")
    if not world:
        return []
    lines = ["### What this file learnt from besides Fashion-MNIST", "",
             f"- Real phone photos: {world.get('clothing_photos')}; sorted into the ten classes and "
             "\"none of the ten\" by data/world/clothing_labels.csv and clothing_shoes.csv (shoes sorted by eye).",
             "- Icons and emoji from the npm registry (`@iconify-json/*`, pinned in data/icons/package.json), garments "
             "sorted by eye in data/world/icon_labels.csv, the rest as \"none of the ten\"; each uploaded and redrawn "
             "by hand (nin/world/handdrawn.py). Sets and licences (CC BY sets credited here):", ""]
    lines += [f"  - {c['name']} (`{g}` {c.get('version')}), {c['licence']}, by {c.get('author')} <{c.get('url')}>"
              for g, c in (world.get("icon_sets") or {}).items()]
    counts = world.get("images") or {}
    names = sorted({n for kind in counts.values() for n in kind})
    lines += ["", "Cached 28×28 images (each source image through the app's pipeline, a few variants each; "
              f"{world.get('held_out')} held out for validation: photos by sender, icons by set):", "",
              "| kind | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {kind} | " + " | ".join(str(c.get(n, 0)) for n in names) + " |" for kind, c in counts.items()]
    shares = world.get("shares") or {}
    made = {k: v for k, v in (world.get("made_here") or {}).items() if v}
    if made:
        lines += ["", "Made here (nin/world/synthetic.py, nin/world/doodles.py), through the app's pipeline: "
                  + ", ".join(f"{v:,} {k}" for k, v in made.items()) + "."]
    doodled = f"garments doodled from memory {shares['doodles']:.0%}, " if shares.get("doodles") else ""
    lines += ["", f"Each batch: photos {shares.get('photos', 0):.0%}, garment icons {shares.get('icons', 0):.0%}, "
              f"{doodled}\"none of the ten\" {shares.get('outliers', 0):.0%} (Outlier Exposure, uniform target, weight "
              f"{world.get('oe_weight')}), the rest Fashion-MNIST.", ""]
    before, after = world.get("before") or {}, (world.get("tables") or [{}])[-1]
    if before and after:
        lines += ["| set (at the training size) | n | before | after |", "|---|---:|---:|---:|"]
        for name, r in after.items():
            key = "top1" if "top1" in r else "auroc_msp"
            what = "top-1" if key == "top1" else "max-softmax AUROC vs garments"
            lines.append(f"| {name}, {what} | {r['n']} | {before.get(name, {}).get(key, float('nan')):.3f} | "
                         f"**{r[key]:.3f}** |")
        lines.append("")
    vs = meta.get("versus_modern")
    if vs:
        verdict = "**the app's default**" if vs["won"] else "not the default (nin_modern stays)"
        lines += [f"Against nin_modern on the development folder, through the app's runtime "
                  f"(`python -m nin.ship.compare`): photos {vs['world']['photos']['top1']:.3f} vs "
                  f"{vs['modern']['photos']['top1']:.3f}, doodles drawn {vs['world']['doodles drawn']['top1']:.3f} vs "
                  f"{vs['modern']['doodles drawn']['top1']:.3f}, test top-1 {meta.get('test_accuracy', 0):.4f} "
                  f"(needs ≥ {vs['min_test']}): {verdict}.", ""]
    return lines


def shipped_section(shipped, serving):
    """Every file shipped so far, newest first: the lineage of superseded weights."""
    if not shipped:
        return []
    rows = ["## Every weights file shipped so far", "",
            "Newest first; the bytes of each are in the git history (`git show COMMIT:weights/nin_modern.weights.h5`, or `nin_world` where the row says so).",
            "Test figures: `python -m nin.measure.evaluate` (and `--runtime tflite-int8`) on this 2-core CPU, when each was shipped.",
            "", "| sha256 | commit | date | epochs | test top-1 / top-3 | int8 top-1 | how it was made | now |",
            "|---|---|---|---:|---:|---:|---|---|"]
    for f in shipped.values():
        int8 = f"{f['int8_top1']:.4f}" if f.get("int8_top1") else "–"
        now = "**served**" if f["sha256"] in serving else "superseded"
        rows.append(f"| `{f['sha256'][:12]}…` | {f['commit']} | {f['date']} | {f['epochs']} | "
                    f"{f['test_top1']:.4f} / {f['test_top3']:.4f} | {int8} | {f['made']} | {now} |")
    return rows + [""]


def calibration_lines(meta, stem):
    """The temperature, ECE before/after with the reliability diagram, and the garment check's
    measured rates (`python -m nin.ship.calibrate`), or a line saying the file is not calibrated."""
    cal, check = meta.get("calibration"), meta.get("garment_check") or {}
    if not cal:
        return ["Not calibrated yet: the app shows the raw softmax and no garment verdict "
                f"(`python -m nin.ship.calibrate --weights weights/{stem}.weights.h5`).", ""]
    lines = [f"**Calibration** (`python -m nin.ship.calibrate`, {cal.get('runtime')} runtime, {cal.get('date')}): temperature "
             f"**{cal['temperature']}** fitted on the {cal.get('fitted_on')}; expected calibration error on the "
             f"test set {cal.get('test_ece_before')} before, **{cal.get('test_ece_after')}** after "
             f"({cal.get('ece_bins')} bins); test NLL {cal.get('test_nll_before')} → {cal.get('test_nll_after')}.", "",
             f"![reliability diagram]({stem}_reliability.png)", ""]
    measured = check.get("measured") or {}
    if measured.get("sets"):
        lines += ["**Garment check** (docs/garment_score.md): per pipeline path "
                  + "; ".join(f"{k}: " + ", ".join(f"{n} component: the {c['feature']} score" if c["feature"] in LOGIT_SCORES
                                           else f"{n} component: the {c['feature']} score (the mean energy of the input "
                                                "and of its mirror image)" if c["feature"] in MIRROR_SCORES
                                           else f"{n} Gaussian on {c['feature']}" for n, c in comps.items())
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
    if meta.get("train_time_note"):  # e.g. the run shared the machine or was paused: what the seconds include
        own += f" ({meta['train_time_note']})"
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


def card_text():
    shipped = shipped_files()
    paths = list(available_weights().values())
    serving = {sha256(p) for p in paths if Path(p).is_file()}
    sections = [card_section(p, shipped) for p in paths]
    return "\n".join([
        "# Model card: NiN on Fashion-MNIST", "",
        "The network is the seed article's Network in Network (1,992,166 parameters, input 224×224×1 grey,",
        "pixels in [0, 1], garment light on black as in Fashion-MNIST; the app's pipeline makes any photo",
        "or drawing look like that). Trained and tested on the real Fashion-MNIST (60,000 / 10,000).",
        "Figures come from each file's JSON metadata, written by `python -m nin.training.train`, and from",
        "`weights/shipped.json`; check them with `python -m nin.measure.evaluate --weights FILE`. This card is",
        "written by `python -m nin.ship.card`.", "",
        "Intended use: a teaching demo of NiN and of class activation maps. Limits: 28×28 grey product",
        "shots of ten garment classes; anything else (people wearing clothes, several garments, other",
        "objects) still gets ten guesses. The garment check (docs/garment_score.md) says \"this doesn't look",
        "like any of the ten garments\" for some of it" + check_share() + ".", ""] + sections + shipped_section(shipped, serving))


def check_share():
    """How much of the non-garments the default file's check flagged, from its calibration metadata."""
    measured = (read_metadata(DEFAULT_WEIGHTS).get("garment_check") or {}).get("measured") or {}
    photos, doodles = measured.get("flagged_non_garment_photos"), measured.get("sets", {}).get("non-garment doodles")
    if photos is None or doodles is None:
        return ""
    return (f": with the default weights, {photos:.0%} of the non-garment photos and {doodles['flagged']:.0%} of "
            "the non-garment doodles it was measured on")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only check that weights/README.md is up to date")
    args = p.parse_args(argv)
    text, out = card_text(), WEIGHTS_DIR / "README.md"
    if args.check:
        if not out.is_file() or out.read_text() != text:
            sys.exit(f"{out} is out of date: run `python -m nin.ship.card`")
        print(f"{out} is up to date")
        return
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
