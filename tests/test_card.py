"""The model card (weights/README.md, written by `python -m nin.ship.card`) is honest and portable: it is
what the metadata gives, names parents by sha256 and test figure (no machine path), summarises the
whole lineage in its recipe line and says how the file was chosen. Reads JSON only: no TensorFlow."""
import json
import re

from nin.ship import card
from nin.core.weights import DEFAULT_WEIGHTS, MODERN_WEIGHTS, WEIGHTS_DIR, portable_metadata, read_metadata, sha256

ABSOLUTE_HOME = re.compile(r"/(root|home)/")


def test_the_committed_card_is_what_the_metadata_gives():
    assert (WEIGHTS_DIR / "README.md").read_text() == card.card_text(), "run `python -m nin.ship.card`"


def test_no_machine_path_in_the_card_or_the_metadata():
    for path in [WEIGHTS_DIR / "README.md", *WEIGHTS_DIR.glob("*.json")]:
        assert not ABSOLUTE_HOME.search(path.read_text()), path


def test_the_recipe_line_summarises_the_whole_lineage():
    line = card.recipe_line(read_metadata(MODERN_WEIGHTS))
    for part in ("43 epochs in 8 stages over 6 runs", "112 px × 10 → 160 px × 4 → 224 px × 3", "AdamW",
                 "9 + 8 + 4 + 3 + 2 epochs", "EMA 0.999", "bfloat16",
                 "drawings 25 %, 25 %, 15 %, 15 %, 13 %, 13 %", "uploads 0 %, 20 %, 15 %, 15 %, 15 %, 15 %"):
        assert part in line, (part, line)
    assert "'epochs': 2" not in card.card_text()  # not the last fine-tune's arguments as "recipe"


def test_the_card_says_how_the_file_was_chosen_and_names_parents_by_sha256():
    text = card.card_section(MODERN_WEIGHTS)
    assert "| how it was chosen | test accuracy" in text
    assert f"sha256 `{sha256(MODERN_WEIGHTS)}`" in text
    assert "run 5's file: sha256 `edf253367eae…`, test top-1 0.9412" in text
    assert "--init PARENT" in text and ".weights.h5 --" not in text


def test_every_parent_with_a_sha256_and_the_served_file_are_in_the_shipped_list():
    shipped = card.shipped_files()
    assert sha256(DEFAULT_WEIGHTS) in shipped, "add the new file to weights/shipped.json"
    assert next(iter(shipped)) == sha256(DEFAULT_WEIGHTS)  # newest first
    assert sha256(MODERN_WEIGHTS) in shipped
    for run in card.lineage(read_metadata(MODERN_WEIGHTS))[:-1]:
        assert run.get("weights_sha256") is None or run["weights_sha256"] in shipped
        if run.get("weights_sha256"):
            assert shipped[run["weights_sha256"]]["test_top1"] == run["test_accuracy"]


def test_saved_metadata_gets_portable_paths_and_the_parent_sha256(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    parent = tmp_path / "runs" / "parent.weights.h5"
    parent.parent.mkdir()
    parent.write_bytes(b"weights")
    meta = {"args": {"init": str(parent), "out": str(tmp_path / "runs" / "child"), "lr": 1e-4,
                     "checkpoint_dir": "/elsewhere/ckpt"},
            "init_from": {"test_accuracy": 0.9, "args": {"init": None, "out": str(tmp_path / "runs" / "p")}}}
    out = portable_metadata(meta)
    assert out["args"]["init"] == "~/runs/parent.weights.h5" and out["args"]["out"] == "~/runs/child"
    assert out["args"]["checkpoint_dir"] == "/elsewhere/ckpt" and out["args"]["lr"] == 1e-4
    assert out["init_from"]["weights_sha256"] == sha256(parent)
    assert out["init_from"]["args"]["out"] == "~/runs/p"
    assert meta["args"]["init"] == str(parent)  # the caller's dict is left as it was
    json.dumps(out)


def d2l_run(folder, seed, validation, test):
    """A copy of the shipped d2l file as one run of the recipe, with these figures in its metadata."""
    import shutil

    folder.mkdir()
    path = folder / "nin_d2l.weights.h5"
    shutil.copyfile(WEIGHTS_DIR / "nin_d2l.weights.h5", path)
    with open(path, "ab") as f:  # another file: another sha256
        f.write(bytes([seed]))
    meta = dict(read_metadata(WEIGHTS_DIR / "nin_d2l.weights.h5"), test_accuracy=test)
    meta["args"] = dict(meta["args"], seed=seed)
    meta["validation"] = dict(meta.get("validation") or {}, accuracy=validation)
    (folder / "nin_d2l.json").write_text(json.dumps(meta))
    (folder / "nin_d2l.history.json").write_text(json.dumps({"seed": seed}))
    return path


def test_choose_ships_the_run_with_the_best_validation_accuracy_and_keeps_both_runs_figures(tmp_path):
    from nin.ship import choose

    a = d2l_run(tmp_path / "a", 0, 0.8586, 0.8469)
    b = d2l_run(tmp_path / "b", 1, 0.8701, 0.8402)  # better on validation, worse on test: still chosen
    target = tmp_path / "weights" / "nin_d2l.weights.h5"
    best = choose.choose([a, b], target)
    assert best["seed"] == 1 and sha256(target) == sha256(b)
    assert json.loads((tmp_path / "weights" / "nin_d2l.history.json").read_text()) == {"seed": 1}
    meta = read_metadata(target)
    assert [(r["seed"], r["validation_accuracy"], r["test_accuracy"]) for r in meta["runs_compared"]] == \
        [(0, 0.8586, 0.8469), (1, 0.8701, 0.8402)]
    assert "validation accuracy among 2 runs" in meta["selected_by"] and "calibration" not in meta
    section = card.card_section(target)
    assert "| 1 | 0.8701 | 0.8402 | **this file** |" in section and "| 0 | 0.8586 | 0.8469 | sha256 `" in section


def test_choose_refuses_a_run_without_validation_in_one_sentence(tmp_path):
    import subprocess
    import sys

    a = d2l_run(tmp_path / "a", 0, 0.8586, 0.8469)
    meta = read_metadata(a)
    meta.pop("validation")
    (tmp_path / "a" / "nin_d2l.json").write_text(json.dumps(meta))
    r = subprocess.run([sys.executable, "-m", "nin.ship.choose", str(a), "--to", str(tmp_path / "out.weights.h5")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        "error: nin_d2l.weights.h5 records no validation accuracy: train it with --validation to compare it."]
