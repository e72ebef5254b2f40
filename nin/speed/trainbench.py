"""How fast this machine trains the seed network, and what that means in minutes and hours.

    python -m nin.speed.bench --train        # (or python -m nin.speed.trainbench) about 2-3 minutes

1. The matmul rate through TensorFlow in float32 and bfloat16 (the arithmetic ceiling).
2. The training step (forward + backward + AdamW) of the seed network on real Fashion-MNIST images,
   batch 128, at 112 and 224 px, float32 and bfloat16 (where the CPU has AVX512-BF16 or AMX), as
   images/s and GFLOP/s against that ceiling (a step costs about 3x the forward pass).
3. The host-side augmentation per kind (drawings, uploads, cut-outs, the cached world images), as
   images/s on one core: it runs in the same process, between steps.
4. What that means: minutes per 60k-image epoch for the recipes, hours for the seed's own recipe.
Figures are for this machine now; ratios only mean something within one run.
"""
import time

import numpy as np

from nin.core.quiet import import_keras

keras = import_keras()

from nin.core import data, model as nin_model  # noqa: E402
from nin.core.machine import forward_flops, machine  # noqa: E402

BATCH = 128
SIZES = (112, 224)


def has_bf16():
    flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
    return "avx512_bf16" in flags or "amx_bf16" in flags


def matmul_rates(n=2048, reps=4):
    import tensorflow as tf

    out = {}
    for name, dtype in (("float32", tf.float32), ("bfloat16", tf.bfloat16)):
        a = tf.cast(tf.random.normal((n, n)), dtype)
        mm = tf.function(tf.matmul)
        mm(a, a).numpy()
        best = min(_timed(lambda: mm(a, a).numpy()) for _ in range(reps))
        out[name] = 2 * n ** 3 / best / 1e9
    return out


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def step_rate(images, labels, size, precision, budget_s=10.0):
    """Images/s of train_on_batch for the plain seed network (what the fine-tunes train)."""
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        model = nin_model.with_resize(nin_model.build_nin(None), image_size=size)
        model.compile(optimizer=keras.optimizers.AdamW(1e-4),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        x = images[:BATCH, ..., None].astype("float32") / 255
        y = labels[:BATCH].astype("int32")
        for _ in range(2):  # compile and warm up
            model.train_on_batch(x, y)
        times, start = [], time.perf_counter()
        while len(times) < 3 or time.perf_counter() - start < budget_s:
            times.append(_timed(lambda: model.train_on_batch(x, y)))
        return BATCH / float(np.median(times))
    finally:
        keras.mixed_precision.set_global_policy("float32")


def augmentation_rates(images, labels, n=160):
    """Images/s of each host-side kind, on one core."""
    from nin.pipeline import imitations

    rng = np.random.default_rng(0)
    x = images[:n].astype("float32") / 255
    kinds = {"drawings": lambda i: imitations.as_drawing(x[i], labels[i], rng),
             "uploads": lambda i: imitations.as_upload(images[i], rng),
             "cut-outs": lambda i: imitations.as_cutout(x[i], rng),
             "cached world images (index, flip)": lambda i: x[i][:, ::-1].copy()}
    out = {}
    for name, fn in kinds.items():
        t = time.perf_counter()
        for i in range(n):
            fn(i)
        out[name] = n / (time.perf_counter() - t)
    return out


def effective_rate(step, aug, shares):
    """Images/s of a run whose host work is serial with the step: 1 / (1/step + sum share/aug rate)."""
    return 1.0 / (1.0 / step + sum(s / aug[k] for k, s in shares.items()))


def run():
    (x, y), _ = data.load_fashion_mnist()
    print(f"machine: {machine()}; bfloat16 in hardware: {'yes' if has_bf16() else 'no'}", flush=True)
    mm = matmul_rates()
    precisions = ("float32", "bfloat16") if has_bf16() else ("float32",)
    steps = {}
    for size in SIZES:
        for prec in precisions:
            steps[size, prec] = step_rate(x, y, size, prec)
            print(f"  step {size} px {prec}: {steps[size, prec]:.0f} img/s", flush=True)
    aug = augmentation_rates(x, y)
    return mm, steps, aug


def report(mm, steps, aug):
    lines = ["| training step (batch 128, seed network, AdamW) | images/s | GFLOP/s | of the matmul rate | min per 60k epoch |",
             "|---|---:|---:|---:|---:|"]
    for (size, prec), rate in steps.items():
        gflops = rate * 3 * forward_flops(size) / 1e9
        lines.append(f"| {size} px, {prec} | {rate:.0f} | {gflops:.0f} | {gflops / mm[prec]:.0%} | {60000 / rate / 60:.1f} |")
    lines += ["", f"matmul rate (TensorFlow, 2048²): float32 {mm['float32']:.0f} GFLOP/s, "
              f"bfloat16 {mm['bfloat16']:.0f} GFLOP/s", "",
              "| host-side augmentation, one core | images/s |", "|---|---:|"]
    lines += [f"| {k} | {v:.0f} |" for k, v in aug.items()]
    best = "bfloat16" if (224, "bfloat16") in steps else "float32"
    s224 = steps[224, best]
    world = effective_rate(s224, aug, {"drawings": 0.15 * 0.55, "uploads": 0.15 * 0.55})
    modern = effective_rate(s224, aug, {"drawings": 0.13, "uploads": 0.15})
    d2l = {p: 10 * 60000 / steps[224, p] / 3600 for p in ("float32", "bfloat16") if (224, p) in steps}
    lines += ["", "What it means here:",
              f"- a world fine-tune epoch (300 batches of 128 at 224 px, {best}, drawings and uploads of its "
              f"Fashion-MNIST part on the host): about {world:.0f} img/s, {300 * 128 / world / 60:.1f} min",
              f"- a 60k epoch of the modern fine-tune (13 % drawings, 15 % uploads) at 224 px, {best}: about "
              f"{modern:.0f} img/s, {60000 / modern / 60:.1f} min",
              "- the seed's own recipe (10 epochs of 55k-60k at 224 px, no augmentation): "
              + ", ".join(f"{h:.1f} h in {p}" for p, h in d2l.items())]
    return "\n".join(lines)


def main(argv=None):
    print(report(*run()))


if __name__ == "__main__":
    main()
