"""Native libraries' start-up chatter kept out of the terminal, real errors kept in.

TensorFlow 2.19+ writes oneDNN, cudart_stub and absl lines to file descriptor 2 from C++ when it is
imported, and "failed call to cuInit" when it first looks for devices; TF_CPP_MIN_LOG_LEVEL does not
silence them (tensorflow/tensorflow#100442). LiteRT writes "Created TensorFlow Lite XNNPACK delegate"
once per process. So around those calls only, fd 2 goes to a temporary file, and afterwards every
line that is not known chatter is written back to stderr: a real error still shows.
"""
import contextlib
import os
import re
import sys
import tempfile

CHATTER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} [\d:. ]+\d+ \S+\.cc:\d+\] "  # absl INFO/WARNING lines (oneDNN, cudart_stub, ...)
    r"|E\d{4} [\d:. ]+\d+ cuda_(platform|executor|diagnostics)\.cc:\d+\] "  # no GPU here: cuInit fails
    r"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow"
    r"|.*This TensorFlow binary is optimized to use available CPU instructions)")


def is_chatter(line):
    return bool(CHATTER.match(line))


@contextlib.contextmanager
def native_chatter_filtered():
    """fd 2 captured while the block runs; then its lines, less known chatter, go back to stderr."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (e.g. some notebooks): nothing to filter
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [l for l in capture.read().decode("utf-8", "replace").splitlines() if not is_chatter(l)]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


def import_keras():
    """`import keras` (and, on the TensorFlow backend, its device probe) with the chatter filtered."""
    with native_chatter_filtered():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()  # the cuInit probe happens here, inside the filter
    return keras
