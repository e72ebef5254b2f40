"""This CPU's matrix-multiply rate in float32 and bfloat16 through TensorFlow (oneDNN), 4096² best of 5:
the arithmetic ceiling for training (a 224 px training step costs ≈ 4.5 GFLOP per image).

    python scripts/matmul_rate.py
"""
import time

import tensorflow as tf

N = 4096
for dtype in (tf.float32, tf.bfloat16):
    a = tf.cast(tf.random.normal((N, N)), dtype)
    matmul = tf.function(tf.matmul)
    matmul(a, a).numpy()  # compile and warm up
    seconds = []
    for _ in range(5):
        t0 = time.perf_counter()
        matmul(a, a).numpy()
        seconds.append(time.perf_counter() - t0)
    print(f"{dtype.name:<9} {2 * N**3 / min(seconds) / 1e9:6.0f} GFLOP/s")
