"""Soak: 2,000 requests of distinct images against the real server on loopback, as a public demo
gets them over months, compressed: photo uploads, drawings, the pictures, and bad files, from 8
concurrent clients, with a short --delete-after so that retention works during the run.

Afterwards: 0 errors on good inputs (bad ones each get their one sentence), the server's resident
memory grew by at most 50 MB after warm-up, and no file in its cache outlived the retention
setting (plus one deletion round and slack). Bounded: it stops by itself after SOAK_DEADLINE_S.
Figures go to test-artifacts/soak.json (and docs/reliability.md).
"""
import json
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import ARTIFACTS, running_app
from nin.serve import websafety

pytestmark = pytest.mark.slow

REQUESTS, CLIENTS, WARM_UP = 2000, 8, 200
DELETE_AFTER = 20  # seconds: delete_cache checks every 5 s
SOAK_DEADLINE_S = 600  # the whole run, on a busy 2-core machine; the test stops itself after it
MAX_GROWTH_MB = 50
SLACK_S = 15  # a deletion round can run late on a busy machine


def rss_mb(pid):
    return int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def cache_files(cache, baseline):
    """(path, age in s by ctime, as delete_cache ages them) of the files the run put in the cache."""
    now, out = time.time(), []
    for folder, _, names in os.walk(cache):  # unlike rglob, skips a folder the server deletes mid-walk
        for name in names:
            p = Path(folder, name)
            try:
                if p not in baseline:
                    out.append((p, now - p.stat().st_ctime))
            except FileNotFoundError:  # deleted while we looked
                pass
    return out


def make_input(i, x, folder):
    """Request i: (endpoint, value, words a refusal must contain or None for a good input)."""
    from gradio_client import handle_file

    from nin.pipeline.imitations import as_photo, as_sketch_layer

    rng = np.random.default_rng(i)
    garment = x[i % len(x)] / 255.0
    kind = i % 20
    if kind < 15 or kind == 17:  # photos: 3/4 label only, some with the pictures
        path = folder / f"photo-{i}.{'png' if kind % 2 else 'jpg'}"
        path.write_bytes(as_photo(garment, rng))
        api = "/explain_upload" if kind in (13, 14) else "/predict_upload"
        return api, handle_file(str(path)), None
    if kind in (15, 16, 18):  # drawings: outlines and filled shapes, as the Sketchpad sends them
        path = folder / f"drawing-{i}.png"
        as_sketch_layer(garment, rng, filled=kind == 16).save(path)
        api = "/explain_sketch" if kind == 18 else "/predict_sketch"
        return api, {"background": None, "layers": [handle_file(str(path))], "composite": None}, None
    # bad files (kind 19), each one new: random bytes, a truncated photo, a blank canvas
    variant = (i // 20) % 3
    path = folder / f"bad-{i}.png"
    if variant == 0:
        path.write_bytes(rng.bytes(int(rng.integers(200, 5000))))
        return "/predict_upload", handle_file(str(path)), ["not an image"]
    if variant == 1:
        data = as_photo(garment, rng)
        path.write_bytes(data[:len(data) // 3])
        return "/predict_upload", handle_file(str(path)), ["damaged"]
    Image.new("RGB", (int(rng.integers(50, 400)), int(rng.integers(50, 400))), "white").save(path)
    return "/predict_upload", handle_file(str(path)), ["no garment found"]


def test_soak(tmp_path, test_split):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    x, _ = test_split
    cache, inputs = tmp_path / "cache", tmp_path / "inputs"
    inputs.mkdir()
    frequency, _ = websafety.delete_cache(DELETE_AFTER)
    with running_app(["--delete-after", str(DELETE_AFTER)], cache_dir=cache,
                     log_path=ARTIFACTS / "soak-server.log") as (url, proc):
        baseline = {p for p in cache.rglob("*") if p.is_file()}  # shipped examples Gradio keeps in its cache
        start = time.monotonic()
        deadline = start + SOAK_DEADLINE_S
        lock, next_i, done = threading.Lock(), iter(range(REQUESTS)), []
        results, samples, warm = [], [], {}

        def client_loop(n):
            client = Client(url, verbose=False, download_files=str(tmp_path / f"downloads-{n}"))
            while time.monotonic() < deadline:
                with lock:
                    i = next(next_i, None)
                if i is None:
                    return
                api, value, words = make_input(i, x, inputs)
                try:
                    out = client.predict(value, 3, api_name=api)
                    results.append((i, api, words, out))
                except AppError as e:
                    results.append((i, api, words, e))
                except Exception as e:  # timeouts, connection errors: always a failure
                    results.append((i, api, words, f"{type(e).__name__}: {e}"))
                for f in inputs.glob(f"*-{i}.*"):
                    f.unlink()
                with lock:
                    done.append(i)
                    if len(done) == WARM_UP:
                        warm.update(rss=rss_mb(proc.pid), t=time.monotonic() - start)

        def sampler():
            while len(done) < REQUESTS and time.monotonic() < deadline:
                try:
                    files = cache_files(cache, baseline)
                except OSError:  # a folder deleted while we walked it
                    continue
                samples.append(dict(t=round(time.monotonic() - start, 1), done=len(done), rss=round(rss_mb(proc.pid), 1),
                                    files=len(files), oldest=round(max((a for _, a in files), default=0), 1)))
                time.sleep(2)

        threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=sampler))
        for t in threads:
            t.start()
        for t in threads:
            t.join(SOAK_DEADLINE_S + 60)
        wall = time.monotonic() - start
        time.sleep(2)  # let the last requests' memory settle
        end_rss = rss_mb(proc.pid)
        files = cache_files(cache, baseline)
        oldest = max((a for _, a in files), default=0)

    good = [r for r in results if r[2] is None]
    bad = [r for r in results if r[2] is not None]
    failures = [(i, api, str(out)[:160]) for i, api, _, out in good if not (
        isinstance(out, dict) or (isinstance(out, tuple) and isinstance(out[0], dict)))]
    unclear = [(i, str(out)[:160]) for i, _, words, out in bad if not (
        isinstance(out, AppError) and all(w in str(out).lower() for w in words))]
    summary = dict(requests=len(results), good=len(good), bad=len(bad), failures=len(failures),
                   unclear_refusals=len(unclear), wall_s=round(wall, 1), req_per_s=round(len(results) / wall, 1),
                   rss_after_warm_up_mb=round(warm.get("rss", 0), 1), rss_end_mb=round(end_rss, 1),
                   rss_growth_mb=round(end_rss - warm.get("rss", end_rss), 1),
                   rss_max_mb=max((s["rss"] for s in samples), default=end_rss),
                   cache_files_peak=max((s["files"] for s in samples), default=0), cache_files_end=len(files),
                   oldest_file_s=round(oldest, 1), delete_after_s=DELETE_AFTER, check_every_s=frequency)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "soak.json").write_text(json.dumps(dict(summary=summary, samples=samples), indent=1))
    print("\nsoak:", json.dumps(summary))

    assert len(results) == REQUESTS, f"only {len(results)} of {REQUESTS} requests within {SOAK_DEADLINE_S} s"
    assert not failures, failures[:10]
    assert not unclear, unclear[:10]
    assert summary["rss_growth_mb"] <= MAX_GROWTH_MB, summary
    assert oldest <= DELETE_AFTER + frequency + SLACK_S, summary
    assert max(s["oldest"] for s in samples) <= DELETE_AFTER + frequency + SLACK_S, samples
    assert wall > 2 * DELETE_AFTER and summary["cache_files_end"] < len(results) / 4, summary  # deletion did happen
