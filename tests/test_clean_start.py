"""A clean start: the app prints one line of its own (URL, how to get a public link) and no
TensorFlow/CUDA/oneDNN/LiteRT chatter; the CLIs neither; real errors still reach stderr.
Where LiteRT serves (the default), TensorFlow is not even loaded into the server."""
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import ROOT, example, running_app

pytestmark = pytest.mark.slow

# What TensorFlow 2.21 and LiteRT print on this machine (no GPU) without nin/core/quiet.py, and what
# Gradio prints on its own (its share hint names launch(), not our --share flag).
NOISE = re.compile(r"cuda|cuInit|oneDNN|absl|XNNPACK|TensorFlow|tensorflow|\bGPU\b|share=True|Running on local URL", re.I)


def rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def start_output(tmp_path, args=()):
    """The app's output from start to its first answered prediction, its resident memory then, and
    whether TensorFlow's libraries are mapped into it."""
    from gradio_client import Client, handle_file

    log = tmp_path / "start.log"
    with running_app(args, cache_dir=tmp_path / "cache", log_path=log) as (url, proc):
        label = Client(url, verbose=False, download_files=str(tmp_path)).predict(
            handle_file(example("0002_trouser")), 3, api_name="/predict_upload")
        assert label["label"] == "Trouser"
        time.sleep(0.5)
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        return url, [l for l in log.read_text().splitlines() if l.strip()], rss_mb(proc.pid), maps


def test_app_prints_one_line_and_loads_no_tensorflow(tmp_path):
    url, lines, rss, maps = start_output(tmp_path)
    print(f"\nlitert server: {rss:.0f} MB resident after its first prediction")
    assert lines == [f"NiN garment classifier on {url} (add --share for a public link)"], lines
    assert "libtensorflow" not in maps and "_pywrap_tensorflow_internal" not in maps
    # three weights files served, each with its LiteRT models and garment check (426 MB measured with
    # two, 504 MB with three on 2026-12-06); TensorFlow alone would add about 550 MB
    assert rss < 560, rss


def test_keras_runtime_starts_clean_too(tmp_path):
    url, lines, rss, maps = start_output(tmp_path, ["--runtime", "keras"])
    print(f"\nkeras server: {rss:.0f} MB resident after its first prediction")
    assert "libtensorflow" in maps  # the test would pass vacuously if TensorFlow never loaded
    assert not [l for l in lines if NOISE.search(l)], lines
    assert len(lines) == 1 and url in lines[0], lines


@pytest.mark.parametrize("cli", [["nin.measure.summary"], ["nin.serve.predict", "examples/0002_trouser.png"]])
def test_clis_print_no_tensorflow_chatter(cli):
    p = subprocess.run([sys.executable, "-m", *cli], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    noise = [l for l in (p.stdout + p.stderr).splitlines() if NOISE.search(l)]
    assert not noise, noise
    assert ("1,992,166" in p.stdout) if cli[0] == "nin.measure.summary" else ("Trouser" in p.stdout)


def test_filter_keeps_real_errors():
    """Known chatter written to fd 2 (by C code, as TensorFlow does) is dropped; anything else,
    and a Python error raised inside the filtered block, still shows."""
    code = textwrap.dedent("""
        import os
        from nin.core.quiet import native_chatter_filtered
        with native_chatter_filtered():
            os.write(2, b"I0000 00:00:1795861196.688634    5762 port.cc:153] oneDNN custom operations are on.\\n")
            os.write(2, b"E0000 00:00:1795861199.416892    5762 cuda_platform.cc:52] failed call to cuInit: INTERNAL\\n")
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
            os.write(2, b"E0000 00:00:1.0 77 kernel.cc:9] a real native error\\n")
            print("a Python warning on stderr", file=__import__("sys").stderr)
        with native_chatter_filtered():
            raise RuntimeError("a real failure")
    """)
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert "a real native error" in p.stderr and "a Python warning on stderr" in p.stderr
    assert "RuntimeError: a real failure" in p.stderr
    assert "oneDNN" not in p.stderr and "cuInit" not in p.stderr and "XNNPACK" not in p.stderr, p.stderr
