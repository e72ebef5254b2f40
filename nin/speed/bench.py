"""Benchmarks against this machine's limits and Gradio's own floor; writes bench/RESULTS.md.

    python -m nin.speed.bench [--quick]

1. float32 matmul rate (numpy, 4096x4096): the machine's compute ceiling, measured now.
2. Model forward at batch 1/16/128 for each way of running it, as ms, images/s and the share
   of the FLOP floor (forward FLOPs / matmul rate) it reaches.
3. End to end through gradio_client: the real app's label-only /predict_upload against
   bench/null_app.py (same API, does nothing: Gradio's floor), one user (p50/p90 latency) and 16
   concurrent users (throughput); and the app's /explain_upload (the two pictures as well) against
   the null app returning two pictures.
4. Cold start: process start to first answered prediction.
5. The "Inside the network" view: every-layer forward pass (LiteRT export vs Keras compiled
   function), the whole view in process (goal p50 <= 300 ms), and /inside_upload end to end.
   `--inside-only` runs just this part and replaces its section in bench/RESULTS.md.
6. `--browser-only`: the live Draw tab in headless Chromium, stroke -> settled for one stroke and
   after seven quick strokes, against a do-nothing Sketchpad app (nin/speed/browserbench.py); replaces
   its section in bench/RESULTS.md.
7. `--train`: the training step at 112 / 224 px, float32 / bfloat16, the host-side augmentation per
   kind and what that means in minutes per epoch (nin/speed/trainbench.py); prints its table.
All ratios compare figures measured in this same run: the machines are shared and noisy.
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from nin.core.machine import forward_flops, machine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "0002_trouser.png"
BUSY_PHOTO = ROOT / "examples" / "real_photo_trouser.jpg"  # a phone photo on a bed: the photo path runs GrabCut


def matmul_gflops(n=4096, reps=3):
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(reps))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def time_call(fn, x, budget_s=6.0, min_reps=3, max_reps=50):
    fn(x)  # warm-up
    times, start = [], time.perf_counter()
    while len(times) < min_reps or (len(times) < max_reps and time.perf_counter() - start < budget_s):
        times.append(_timed(lambda: fn(x)))
    return statistics.median(times)


def bench_forward(quick=False):
    """Rows of (runtime, batch, ms per batch, images/s)."""
    from nin.serve.inference import Classifier
    from nin.core.model import cam_model
    from nin.core.weights import DEFAULT_WEIGHTS, load_net

    keras_model = cam_model(load_net(DEFAULT_WEIGHTS))
    ways = {"keras model.predict (per call)": lambda x: keras_model.predict(x, verbose=0)}
    for runtime in ("keras", "tflite-fp32", "tflite-int8"):
        try:
            ways[{"keras": "keras compiled fn (app)"}.get(runtime, runtime)] = Classifier(DEFAULT_WEIGHTS, runtime)._forward
        except Exception as e:  # e.g. no export yet
            print(f"skipping {runtime}: {e}")
    rows = []
    for name, fn in ways.items():
        for batch in ((1, 16) if quick else (1, 16, 128)):
            x = np.random.default_rng(0).random((batch, 28, 28, 1), dtype=np.float32)
            s = time_call(fn, x, budget_s=2 if quick else 6)
            rows.append((name, batch, s * 1000, batch / s))
            print(f"  {name:<32} batch {batch:>3}: {s * 1000:8.1f} ms  {batch / s:8.1f} img/s", flush=True)
    return rows


def start_server(cmd, port, timeout=180):
    import httpx

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + ["--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"))
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < timeout:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url, t0
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


def latency(url, n, api_name="/predict_upload", example=EXAMPLE):
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    client.predict(handle_file(str(example)), 3, api_name=api_name)
    times = [_timed(lambda: client.predict(handle_file(str(example)), 3, api_name=api_name)) for _ in range(n)]
    return statistics.median(times), float(np.percentile(times, 90))


def load(url, users=16, per_user=20, time_limit=240, api_name="/predict_upload", example=EXAMPLE):
    """Throughput (requests/s) and error count with `users` concurrent gradio_client users."""
    from gradio_client import Client, handle_file

    clients = [Client(url, verbose=False) for _ in range(users)]
    errors, done = [], []
    stop = time.perf_counter() + time_limit

    def user(c):
        for _ in range(per_user):
            if time.perf_counter() > stop:
                break
            try:
                c.predict(handle_file(str(example)), 3, api_name=api_name)
                done.append(1)
            except Exception as e:
                errors.append(e)

    threads = [threading.Thread(target=user, args=(c,)) for c in clients]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done) / (time.perf_counter() - t0), len(errors)


def cold_start(cmd, port):
    from gradio_client import Client, handle_file

    proc, url, t0 = start_server(cmd, port)
    try:
        Client(url, verbose=False).predict(handle_file(str(EXAMPLE)), 3, api_name="/predict_upload")
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(20)


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NULL, REAL = "null app, label only (Gradio floor)", "real app, label only: /predict_upload"
NULL_PICTURES, REAL_PICTURES = "null app + 2 pictures", "real app + 2 pictures: /explain_upload"
KERAS, UNBATCHED = "real app, keras runtime: /predict_upload", "real app, no batching: /predict_upload"
NULL_BUSY, REAL_BUSY = "null app, a busy phone photo", "real app, a busy phone photo (GrabCut): /predict_upload"
GOAL_P50, GOAL_RPS = 1.15, 0.90  # real / null: latency at most, 16-user throughput at least


LOAD_ROUNDS = 5  # one 16-user run varies by ±15 % here: the floor and the app take turns, medians compared


def load_rounds(rounds=LOAD_ROUNDS, quick=False):
    """16-user throughput of the null app and the real app (label only), both running, measured in turns."""
    py = sys.executable
    servers = {NULL: start_server([py, "bench/null_app.py"], free_port()), REAL: start_server([py, "app.py"], free_port())}
    got = {name: [] for name in servers}
    try:
        for name, (_, url, _) in servers.items():
            load(url, users=4, per_user=3)  # warm-up
        for r in range(2 if quick else rounds):
            for name, (_, url, _) in servers.items():
                rps, errors = load(url, 16, 5 if quick else 20)
                got[name].append((rps, errors))
                print(f"  round {r + 1}: {name:<42} {rps:5.1f} req/s  errors {errors}", flush=True)
    finally:
        for proc, _, _ in servers.values():
            proc.terminate()
            proc.wait(20)
    return got


def load_report(got):
    """The turns' table and the ratio of the medians."""
    med = {name: statistics.median(r for r, _ in runs) for name, runs in got.items()}
    errors = sum(e for runs in got.values() for _, e in runs)
    lines = [f"16 users on `/predict_upload`, {len(got[NULL])} turns each (both servers up, taking turns):", "",
             "| app | req/s in each turn | median | / floor |", "|---|---|---:|---:|"]
    for name, runs in got.items():
        lines.append(f"| {name} | {', '.join(f'{r:.1f}' for r, _ in runs)} | {med[name]:.1f} | {med[name] / med[NULL]:.2f}× |")
    ratio = med[REAL] / med[NULL]
    lines += ["", f"- throughput real / null, medians: **{ratio:.2f}** (goal ≥ {GOAL_RPS}); errors {errors}: "
              f"goal **{'met' if ratio >= GOAL_RPS and errors == 0 else 'NOT met'}**"]
    return "\n".join(lines)


def bench_app(quick=False):
    n, per_user = (10, 5) if quick else (40, 20)
    results = {}
    py = sys.executable
    apps = {NULL: ([py, "bench/null_app.py"], "/predict_upload"),
            REAL: ([py, "app.py"], "/predict_upload"),
            NULL_PICTURES: ([py, "bench/null_app.py", "--pictures"], "/predict_upload"),
            REAL_PICTURES: ([py, "app.py"], "/explain_upload"),
            KERAS: ([py, "app.py", "--runtime", "keras"], "/predict_upload"),
            UNBATCHED: ([py, "app.py", "--max-batch-size", "1"], "/predict_upload"),
            NULL_BUSY: ([py, "bench/null_app.py"], "/predict_upload", BUSY_PHOTO),
            REAL_BUSY: ([py, "app.py"], "/predict_upload", BUSY_PHOTO)}
    for name, (cmd, api_name, *example) in apps.items():
        example = example[0] if example else EXAMPLE
        proc, url, _ = start_server(cmd, free_port())
        try:
            p50, p90 = latency(url, n, api_name, example)
            rps, errors = load(url, 16, per_user, api_name=api_name, example=example)
        finally:
            proc.terminate()
            proc.wait(20)
        results[name] = dict(p50=p50, p90=p90, rps=rps, errors=errors)
        print(f"  {name:<42} p50 {p50 * 1000:6.0f} ms  p90 {p90 * 1000:6.0f} ms  16 users {rps:5.1f} req/s  "
              f"errors {errors}", flush=True)
    results["cold start s"] = cold_start([py, "app.py"], free_port())
    print(f"  cold start {results['cold start s']:.1f} s", flush=True)
    return results


def app_table(app):
    """The end-to-end rows, each with its ratios to the floor it is compared with."""
    floors = {REAL_PICTURES: NULL_PICTURES, NULL_PICTURES: NULL_PICTURES, NULL_BUSY: NULL_BUSY, REAL_BUSY: NULL_BUSY}
    lines = ["| app | p50 ms | p90 ms | 16 users req/s | errors | p50 / its floor | req/s / its floor |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in app.items():
        if isinstance(r, dict):
            floor = app[floors.get(name, NULL)]
            lines.append(f"| {name} | {r['p50'] * 1000:.0f} | {r['p90'] * 1000:.0f} | {r['rps']:.1f} | {r['errors']} "
                         f"| {r['p50'] / floor['p50']:.2f}× | {r['rps'] / floor['rps']:.2f}× |")
    return lines


def goals(app):
    """(p50 ratio, throughput ratio, all goals met) of the label-only API against the null app."""
    null, real = app[NULL], app[REAL]
    p50, rps = real["p50"] / null["p50"], real["rps"] / null["rps"]
    return p50, rps, p50 <= GOAL_P50 and rps >= GOAL_RPS and real["errors"] == 0


def bench_inside(quick=False):
    """p50s of the inside view: layer forward per runtime, phases and whole view in process, end to end."""
    from nin.app import demo, inside
    from nin.serve import serving
    from nin.pipeline.preprocess import prepare_upload

    n = 10 if quick else 40
    p50 = lambda fn: statistics.median([_timed(fn) for _ in range(n)])  # noqa: E731 (after a warm-up call)
    image28 = prepare_upload(EXAMPLE)
    x = image28[None, ..., None].astype(np.float32)
    res = {"forward": {}, "view": {}}
    for runtime in (None, "keras"):  # the app's default (int8 Guesses, LiteRT layers), and --runtime keras
        models = demo.Models(runtime=runtime)
        views = inside.InsideViews(models)
        runner = views.runners[models.default]
        runner(x)
        res["forward"][runner.runtime] = p50(lambda: runner(x))
        view = views.view(image28, "bench")
        pictures = view.pictures()
        phases = {"layer forward + Guesses": p50(lambda: views.view(image28, "bench")),
                  "pictures": p50(view.pictures),
                  "PNG files": p50(lambda: [serving.output_file(p, compress_level=1) for p, _ in pictures])}
        inside.inside_upload(views, str(EXAMPLE))
        whole = p50(lambda: inside.inside_upload(views, str(EXAMPLE)))
        res["view"][f"{models.get(None).classifier.runtime} Guesses, {runner.runtime} layers"] = dict(phases, whole=whole)
        print(f"  inside view ({runner.runtime}): forward {res['forward'][runner.runtime] * 1000:.1f} ms, "
              f"whole view p50 {whole * 1000:.0f} ms  {phases}", flush=True)
    from gradio_client import Client, handle_file

    proc, url, _ = start_server([sys.executable, "app.py"], free_port())
    try:
        clients = {True: Client(url, verbose=False), False: Client(url, verbose=False, download_files=False)}
        for api, download in (("/predict_upload", True), ("/inside_upload", False), ("/inside_upload", True)):
            args = (handle_file(str(EXAMPLE)),) if api == "/inside_upload" else (handle_file(str(EXAMPLE)), 3)
            clients[download].predict(*args, api_name=api)
            key = api + ("" if download else " (no downloads)")
            res[key] = p50(lambda: clients[download].predict(*args, api_name=api))
            print(f"  {key} end to end p50 {res[key] * 1000:.0f} ms", flush=True)
    finally:
        proc.terminate()
        proc.wait(20)
    return res


INSIDE_HEADING = "## Inside the network view"


def inside_report(res, note=""):
    lines = [INSIDE_HEADING, "",
             f"`python -m nin.speed.bench --inside-only` ({machine()}, {datetime.date.today()}){'; ' + note.rstrip('.') if note else ''}. "
             "Median of repeated calls after a warm-up; one 28×28 image (`examples/0002_trouser.png`).", "",
             "| every-layer forward pass, batch 1 | p50 ms |", "|---|---:|"]
    for name, s in res["forward"].items():
        lines.append(f"| {name} | {s * 1000:.1f} |")
    lines += ["", "| whole view in process (preprocess, layers, Guesses, 13 pictures, PNG files) | "
              "layers + Guesses ms | pictures ms | PNG ms | **whole p50 ms** (goal ≤ 300) |", "|---|---:|---:|---:|---:|"]
    for name, r in res["view"].items():
        lines.append(f"| {name} | {r['layer forward + Guesses'] * 1000:.1f} | {r['pictures'] * 1000:.0f} | "
                     f"{r['PNG files'] * 1000:.0f} | **{r['whole'] * 1000:.0f}** |")
    lines += ["", "End to end through `gradio_client` on loopback, the real app (int8 Guesses, LiteRT layers):", "",
              "| request | p50 ms |", "|---|---:|",
              f"| `/predict_upload` (the Label only) | {res['/predict_upload'] * 1000:.0f} |",
              f"| `/inside_upload`, answer only (`download_files=False`: captions and picture URLs) | "
              f"{res['/inside_upload (no downloads)'] * 1000:.0f} |",
              f"| `/inside_upload`, the client also downloads the 13 pictures one after another | "
              f"{res['/inside_upload'] * 1000:.0f} |"]
    return "\n".join(lines) + "\n"


def replace_section(text, heading, section):
    """text with the section under `heading` (up to the next '## ') replaced, or section appended."""
    start = text.find(heading)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    end = text.find("\n## ", start + len(heading))
    return text[:start] + section + (text[end + 1:] if end >= 0 else "")


def report(gflops, flops, rows, app, note=None):
    floor_ms = flops / (gflops * 1e9) * 1000
    base = {b: ms for name, b, ms, _ in rows if name.startswith("keras compiled")}
    lines = ["# Benchmark results", "",
             f"Machine: {machine()}. Date: {datetime.date.today()}. Command: `python -m nin.speed.bench`.", "",
             *([f"**{note}**", ""] if note else []),
             f"float32 matmul (numpy, 4096²): **{gflops:.0f} GFLOP/s**. NiN forward: {flops / 1e9:.2f} GFLOP per "
             f"224×224 image, so the FLOP floor is **{floor_ms:.1f} ms per image**.", "",
             "## Model forward (CPU)", "",
             "| runtime | batch | ms / batch | images/s | share of FLOP floor | speed vs keras compiled |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, b, ms, ips in rows:
        lines.append(f"| {name} | {b} | {ms:.1f} | {ips:.1f} | {floor_ms * b / ms:.2f} | {base.get(b, ms) / ms:.2f}× |")
    if app:
        p50, rps, ok = goals(app)
        real, kr, nob = app[REAL], app[KERAS], app[UNBATCHED]
        lines += ["", "## End to end (gradio_client → app on loopback, one 280×280 PNG)", "",
                  "Ratios compare each row with its floor, measured in the same run: the label-only rows with the "
                  "label-only null app, the rows with pictures with the null app returning two pictures.", ""]
        lines += app_table(app)
        lines += ["", f"- label-only API, p50 real / null: **{p50:.2f}** (goal ≤ {GOAL_P50})",
                  f"- label-only API, throughput real / null under 16 users: **{rps:.2f}** (goal ≥ {GOAL_RPS}); "
                  f"errors {real['errors']} (goal 0): goals **{'met' if ok else 'NOT met'}** in this one run "
                  "(one run varies by ±15 % on 2 cores; `python -m nin.speed.bench --load-only` takes five turns)",
                  f"- what batching bought under 16 users: {real['rps'] / nob['rps']:.2f}× the unbatched app's throughput",
                  f"- what the int8 runtime bought: p50 {kr['p50'] / real['p50']:.2f}× faster, "
                  f"{real['rps'] / kr['rps']:.2f}× the throughput of the keras runtime",
                  f"- cold start, process start to first answered prediction: **{app['cold start s']:.1f} s** (goal ≤ 15 s)"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    p.add_argument("--no-app", action="store_true", help="model forward only")
    p.add_argument("--inside-only", action="store_true", help="only the inside view; replaces its section of --out")
    p.add_argument("--browser-only", action="store_true",
                   help="only the live Draw tab in Chromium against the Sketchpad floor; replaces its section of --out")
    p.add_argument("--train", action="store_true", help="only the training speed of this machine (nin/speed/trainbench.py)")
    p.add_argument("--load-only", action="store_true",
                   help="only the 16-user throughput of the app against the floor, in turns (prints its table)")
    p.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    p.add_argument("--note", help="a line for RESULTS.md on the conditions, e.g. what else ran on the machine")
    args = p.parse_args(argv)
    if args.train:
        from nin.speed import trainbench
        return trainbench.main()
    print(f"machine: {machine()}")
    if args.load_only:
        print(load_report(load_rounds(quick=args.quick)))
        return
    if args.browser_only:
        from nin.speed.browserbench import BROWSER_HEADING, bench_browser, browser_report

        section = browser_report(bench_browser(start_server, free_port, args.quick), machine, args.note or "")
        out = Path(args.out)
        out.write_text(replace_section(out.read_text() if out.is_file() else "# Benchmark results\n", BROWSER_HEADING, section))
        print(section)
        print(f"wrote {args.out}")
        return
    if args.inside_only:
        section = inside_report(bench_inside(args.quick), args.note or "")
        out = Path(args.out)
        out.write_text(replace_section(out.read_text() if out.is_file() else "# Benchmark results\n", INSIDE_HEADING, section))
        print(section)
        print(f"wrote {args.out}")
        return
    gflops = matmul_gflops(reps=2 if args.quick else 5)
    flops = forward_flops()
    print(f"matmul {gflops:.0f} GFLOP/s; forward {flops / 1e9:.3f} GFLOP/image")
    rows = bench_forward(args.quick)
    app = None if args.no_app else bench_app(args.quick)
    text = report(gflops, flops, rows, app, args.note) + "\n" + inside_report(bench_inside(args.quick), args.note or "")
    print(text)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
