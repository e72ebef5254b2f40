"""The seed's Network in Network, a BatchNorm training variant, and BN folding.

Written against Keras 3 (`import keras`) so the same code runs on TensorFlow (here, the app)
and on JAX (the GPU machine).
"""
import numpy as np

from nin.core.quiet import import_keras

keras = import_keras()  # TensorFlow's start-up lines filtered (nin/core/quiet.py)

from nin.core.architecture import BLOCKS, IMAGE_SIZE, NUM_CLASSES  # noqa: E402 (the shape, as data)
CAM_LAYER = 7  # index of the last NiN block: one 5x5 map per class before global average pooling


def nin_block(channels, kernel_size, strides, padding, name=None):
    """Conv(k x k) + two 1x1 Conv, each with ReLU: a per-pixel MLP after a spatial conv."""
    return keras.Sequential([
        keras.layers.Conv2D(channels, kernel_size, strides=strides, padding=padding, activation="relu"),
        keras.layers.Conv2D(channels, 1, activation="relu"),
        keras.layers.Conv2D(channels, 1, activation="relu"),
    ], name=name)


def nin_block_bn(channels, kernel_size, strides, padding, name=None):
    """Training variant: Conv -> BatchNorm -> ReLU for each of the three convs (foldable)."""
    layers = []
    for k, s, p in [(kernel_size, strides, padding), (1, 1, "valid"), (1, 1, "valid")]:
        layers += [keras.layers.Conv2D(channels, k, strides=s, padding=p),
                   keras.layers.BatchNormalization(),
                   keras.layers.ReLU()]
    return keras.Sequential(layers, name=name)


def _net(block_fn, image_size, name):
    b = BLOCKS
    return keras.Sequential([
        keras.Input((image_size, image_size, 1)),
        block_fn(*b[0], name="nin_block_1"),
        keras.layers.MaxPooling2D(pool_size=3, strides=2, name="max_pool_1"),
        block_fn(*b[1], name="nin_block_2"),
        keras.layers.MaxPooling2D(pool_size=3, strides=2, name="max_pool_2"),
        block_fn(*b[2], name="nin_block_3"),
        keras.layers.MaxPooling2D(pool_size=3, strides=2, name="max_pool_3"),
        keras.layers.Dropout(0.5, name="dropout"),
        block_fn(*b[3], name="nin_block_4"),
        keras.layers.GlobalAveragePooling2D(name="global_avg_pool"),
        keras.layers.Reshape((1, 1, NUM_CLASSES), name="reshape"),
        keras.layers.Flatten(name="flatten"),  # (batch, 10) logits
    ], name=name)


def build_nin(image_size=IMAGE_SIZE):
    """The seed's network exactly: 1,992,166 parameters, input (224, 224, 1), output logits."""
    return _net(nin_block, image_size, "nin")


def build_nin_bn(image_size=IMAGE_SIZE):
    """Same network with BatchNorm after every convolution; fold_bn() turns it into build_nin()."""
    return _net(nin_block_bn, image_size, "nin_bn")


def fold_bn(bn_model, image_size=IMAGE_SIZE):
    """Return the seed network whose convs absorb the BN statistics of `bn_model`.

    BN(conv(x)) = gamma * (W*x + b - mean) / sqrt(var + eps) + beta, so the folded conv has
    W' = W * s and b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps).
    """
    plain = build_nin(image_size)
    for src, dst in zip(bn_model.layers, plain.layers):
        if not isinstance(dst, keras.Sequential):
            continue
        convs = [l for l in src.layers if isinstance(l, keras.layers.Conv2D)]
        bns = [l for l in src.layers if isinstance(l, keras.layers.BatchNormalization)]
        for conv, bn, out in zip(convs, bns, dst.layers):
            w = keras.ops.convert_to_numpy(conv.kernel).astype(np.float64)
            b = keras.ops.convert_to_numpy(conv.bias).astype(np.float64) if conv.use_bias else 0.0
            gamma, beta, mean, var = (keras.ops.convert_to_numpy(v).astype(np.float64) for v in
                                      (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance))
            s = gamma / np.sqrt(var + bn.epsilon)
            out.set_weights([(w * s).astype(np.float32), ((b - mean) * s + beta).astype(np.float32)])
    return plain


def with_resize(net, input_size=28, image_size=IMAGE_SIZE):
    """28x28 in, resized to 224 on the device, then the network: used for training and inference."""
    return keras.Sequential([
        keras.Input((input_size, input_size, 1)),
        keras.layers.Resizing(image_size, image_size, interpolation="bilinear"),
        net,
    ], name=f"{net.name}_from_{input_size}")


def cam_model(net, input_size=28, image_size=IMAGE_SIZE):
    """28x28 in -> (logits, class maps [batch, 5, 5, 10]) for class activation maps."""
    inputs = keras.Input((input_size, input_size, 1))
    x = keras.layers.Resizing(image_size, image_size, interpolation="bilinear")(inputs)
    maps = None
    for i, layer in enumerate(net.layers):
        x = layer(x)
        if i == CAM_LAYER:
            maps = x
    return keras.Model(inputs, [x, maps], name="nin_cam")
