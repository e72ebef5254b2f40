"""This machine and the network's cost: what every benchmark prints first.

Both the serving benchmarks (nin/speed/bench.py) and the training one (nin/speed/trainbench.py) use it.
"""
import os
import platform

import numpy as np


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def forward_flops(image_size=224):
    """Multiply-adds x 2 of every convolution for one image (pooling and ReLU are noise)."""
    from nin.core.model import build_nin, keras

    x, flops = np.zeros((1, image_size, image_size, 1), np.float32), 0
    for block in build_nin(image_size).layers:
        layers = block.layers if isinstance(block, keras.Sequential) else [block]
        for layer in layers:
            y = layer(x)
            if isinstance(layer, keras.layers.Conv2D):
                kh, kw = layer.kernel_size
                flops += 2 * int(np.prod(y.shape[1:])) * kh * kw * x.shape[-1]
            x = y
    return flops
