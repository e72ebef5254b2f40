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
