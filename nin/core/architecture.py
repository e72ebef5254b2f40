"""The seed network's shape, as data: its blocks and the per-layer table, without Keras.

The app's Architecture tab needs the table; building it from Keras would load TensorFlow into a
server that runs LiteRT (hundreds of MB and seconds of start-up). nin/core/model.py builds the network
from the same BLOCKS, and tests/test_model.py checks this table against a real Keras forward pass
(`nin.measure.summary.layer_table`).
"""
IMAGE_SIZE = 224  # the seed feeds 224x224 grey images
NUM_CLASSES = 10
# (channels, kernel, stride, padding) of the four NiN blocks, as in the seed
BLOCKS = [(96, 11, 4, "valid"), (256, 5, 1, "same"), (384, 3, 1, "same"), (NUM_CLASSES, 3, 1, "same")]
POOL, POOL_STRIDE, DROPOUT = 3, 2, 0.5


def _conv_out(n, k, s, padding):
    return -(-n // s) if padding == "same" else (n - k) // s + 1


def layer_rows(image_size=IMAGE_SIZE):
    """Rows {layer, type, kernel/stride, output shape, parameters} for a 1 x size x size x 1 input,
    the same rows `python -m nin.measure.summary` prints."""
    rows, n, c = [], image_size, 1

    def add(name, kind, ks, shape, params=0):
        rows.append({"layer": name, "type": kind, "kernel/stride": ks, "output shape": str(shape), "parameters": params})

    for i, (ch, k, s, pad) in enumerate(BLOCKS, 1):
        n = _conv_out(n, k, s, pad)
        params = (k * k * c * ch + ch) + 2 * (ch * ch + ch)  # k x k conv + two 1x1 convs, with biases
        c = ch
        add(f"nin_block_{i}", "Sequential", f"{k}x{k} /{s} {pad} + 2x 1x1", (1, n, n, c), params)
        if i < len(BLOCKS):
            n = (n - POOL) // POOL_STRIDE + 1
            add(f"max_pool_{i}", "MaxPooling2D", f"{POOL}x{POOL} /{POOL_STRIDE}", (1, n, n, c))
        if i == len(BLOCKS) - 1:
            add("dropout", "Dropout", f"p={DROPOUT}", (1, n, n, c))
    add("global_avg_pool", "GlobalAveragePooling2D", "", (1, c))
    add("reshape", "Reshape", "", (1, 1, 1, c))
    add("flatten", "Flatten", "", (1, c))
    return rows
