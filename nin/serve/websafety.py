"""What a public demo must refuse, limit and forget: one place for the app's web safety.

- URLs are never fetched: not as inputs, not through Gradio's /file= route (no network at run time).
- User files are read only from Gradio's upload cache and the shipped examples (path allow-list).
- Uploads are capped in bytes (Gradio refuses larger ones) and in pixels (decompression bombs).
- Retention: uploads, drawings and output pictures are deleted after `delete_after` seconds, by
  Gradio's own delete_cache; this module only adds what it does not cover (see track_cache_files
  and prune_empty_folders).

Nothing here imports Gradio at module level: nin/pipeline/preprocess.py takes its limits from here.
"""
import functools
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from nin.core.weights import ROOT
from nin.pipeline.preprocess import MAX_UPLOAD_BYTES  # the pipeline refuses larger files; Gradio too

EXAMPLES_DIR = ROOT / "examples"
URL_REFUSED = "Images must be uploaded, not given as a URL."
NOT_A_FILE = "The input is not an uploaded file; upload an image."
NOT_AVAILABLE = "That file is not available to this app; upload it instead."
DEFAULT_DELETE_AFTER = 3600  # seconds
OUTPUTS_FOLDER = "nin-outputs"  # our output pictures, inside the cache
log = logging.getLogger("nin.serve.websafety")


class Refused(ValueError):
    """An input the app will not touch; str() is one sentence for the user."""


# --- no network ---

def refuse_downloads():
    """Gradio fetches URLs in two places: a file input given as a URL is downloaded before our code
    runs, and GET /gradio_api/file=<http(s) URL> streams that URL back (public hosts only). Both are
    refused: the first with the same sentence as a URL reaching us."""
    import gradio as gr
    from fastapi import HTTPException
    from gradio import processing_utils, routes

    async def refuse_async(url, *args, **kwargs):
        raise gr.Error(URL_REFUSED, print_exception=False)

    def refuse(url, *args, **kwargs):
        raise gr.Error(URL_REFUSED, print_exception=False)

    async def refuse_route(url, *args, **kwargs):
        raise HTTPException(403, "This app does not fetch remote files.")

    for module, name, stub in ((processing_utils, "async_ssrf_protected_download", refuse_async),
                               (processing_utils, "ssrf_protected_download", refuse),
                               (processing_utils, "save_url_to_cache", refuse),
                               (routes, "secure_url_stream_response", refuse_route)):
        if not hasattr(module, name):  # a Gradio upgrade moved it: tests/test_reliability.py will tell
            log.warning("cannot disable %s.%s; remote files may be fetched", module.__name__, name)
        setattr(module, name, stub)


# --- the path allow-list ---

def cache_dir():
    """Gradio's upload cache (GRADIO_TEMP_DIR, else <tmp>/gradio): uploads, drawings, our output pictures."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def allowed_roots():
    """Folders the app may read user files from: Gradio's upload cache and our examples."""
    return [cache_dir(), EXAMPLES_DIR.resolve()]


def local_path(value):
    """The file path inside a raw Gradio file payload, refusing URLs and anything outside allowed_roots()."""
    path = value.get("path") if isinstance(value, dict) else value
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise Refused(NOT_A_FILE)
    if str(path).lower().startswith(("http://", "https://", "data:", "ftp://", "file:")):
        raise Refused(URL_REFUSED)
    try:
        p = Path(path).resolve()  # follows symlinks and '..'
    except (OSError, ValueError, RuntimeError):
        raise Refused(NOT_A_FILE) from None
    if not any(p.is_relative_to(r) for r in allowed_roots()):
        raise Refused(NOT_AVAILABLE)
    return str(p)


def launch_settings():
    """The launch() arguments that limit what the server accepts, serves and keeps. Gradio 6's run
    history is off: from its page a visitor could have the server upload their runs to a Hugging Face
    bucket, and images here never leave the server."""
    return dict(max_file_size=MAX_UPLOAD_BYTES, allowed_paths=[str(EXAMPLES_DIR)], run_history=False)


def limit_malloc_arenas(arenas=2, mmap_threshold=4 << 20):
    """Keep glibc's malloc from holding freed memory, before the server starts its threads.

    - Arenas capped at 2: by default every thread that decodes an upload may get its own arena (up
      to 8 per core), each keeping its freed memory.
    - A fixed mmap threshold (4 MB): glibc raises it by itself up to 32 MB each time a large block is
      freed, after which the pipeline's photo-sized arrays (a few MB each, eight requests at once)
      come from the heap and stay resident; above a fixed threshold they are mapped and given back.
      Measured (8 threads, 1,200 photo-like uploads through the pipeline): 341 MB resident at the end
      by default, 195 MB with it, for about 10 % more CPU time in page faults.
    Without both, resident memory creeps up under load (tests/test_soak.py). A no-op off glibc."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        libc.mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD (fixing it also ends its dynamic raise)
    except (OSError, AttributeError):
        pass


def start_memory_trimmer(every_s=10):
    """A daemon thread that hands glibc's freed heap pages back to the system every few seconds
    (malloc_trim). Freed memory inside the heap otherwise stays resident: a 2,000-request soak
    plateaued 34-56 MB above its warm-up level, depending on the machine. A no-op off glibc."""
    import ctypes

    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return

    def loop():
        while True:
            time.sleep(every_s)
            trim(0)

    threading.Thread(target=loop, daemon=True, name="nin-memory-trimmer").start()


# --- retention ---

def delete_cache(delete_after):
    """Gradio's delete_cache=(frequency, age): every `frequency` s, files this app put in the cache
    (uploads, and files its components returned) older than `age` s are deleted. Checking a quarter
    of the age apart (at most 5 minutes) keeps any file at most 1.25 x `delete_after` old."""
    age = int(delete_after)
    return max(1, min(300, age // 4)), age


def delete_old_files(blocks, age):
    """Gradio's delete_files_created_by_app, safe under load. Gradio's own iterates the live sets of
    files while requests add to them; the first "Set changed size during iteration" ends its
    schedule for good, and nothing is deleted again (seen in tests/test_soak.py: 1,735 files,
    the oldest 265 s old, with a 20 s setting). This one iterates copies and survives any file."""
    keep = set()
    for component in list(blocks.blocks.values()):
        keep.update(getattr(component, "keep_in_cache", set()))
    now = time.time()
    for files in list(blocks.temp_file_sets):
        for file in list(files):  # a copy: requests add files while this runs
            if file in keep:
                continue
            try:
                if age is None or now - os.lstat(file).st_ctime > age:
                    os.remove(file)
                    files.discard(file)
            except FileNotFoundError:
                files.discard(file)
            except OSError as e:  # one odd file must not stop retention
                log.warning("cannot delete %s: %s", file, e)


def make_delete_cache_robust():
    """Gradio's delete_cache schedule calls route_utils.delete_files_created_by_app: ours instead."""
    from gradio import route_utils

    if not hasattr(route_utils, "delete_files_created_by_app"):  # moved: tests/test_soak.py will tell
        log.warning("cannot make delete_cache robust; Gradio's own deletion runs")
        return
    route_utils.delete_files_created_by_app = delete_old_files


def describe_duration(seconds):
    seconds = int(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")


def retention_note(delete_after):
    return f"Images are deleted from this server after {describe_duration(delete_after)} and never leave it."


def track_cache_files(component, fn):
    """fn(value, ...) for an event with Gradio's preprocess on: the files Gradio made from `value`
    (the Sketchpad writes its layers and composite into the cache, untracked) are handed to
    `component`'s temp files, which delete_cache ages like every other upload."""
    @functools.wraps(fn)  # Gradio reads fn's parameters (e.g. a gr.Request) through this
    def run(value, *rest):
        if isinstance(value, dict):
            for item in [value.get("background"), value.get("composite"), *(value.get("layers") or [])]:
                if isinstance(item, str) and Path(item).resolve().is_relative_to(cache_dir()):
                    component.temp_files.add(item)
        return fn(value, *rest)
    return run


def prune_empty_folders(root, age):
    """Remove the cache's sub-folders left empty (and untouched for `age` s) after delete_cache
    deleted their files: Gradio keeps one folder per file, and a folder still takes a disk block.
    Returns how many were removed."""
    removed, now = 0, time.time()
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    for entry in entries:
        if entry.name == OUTPUTS_FOLDER:  # the app writes into it without re-creating it each time
            continue
        try:
            if entry.is_dir(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > age:
                os.rmdir(entry.path)  # only succeeds when empty
                removed += 1
        except OSError:  # not empty, or gone already
            continue
    return removed


def start_folder_pruner(delete_after):
    """A daemon thread that prunes empty cache folders on delete_cache's schedule."""
    frequency, age = delete_cache(delete_after)

    def loop():
        while True:
            time.sleep(frequency)
            prune_empty_folders(cache_dir(), age)

    threading.Thread(target=loop, daemon=True, name="nin-cache-pruner").start()
