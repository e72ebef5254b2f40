"""Per-layer table of the seed network for a 1x224x224x1 input, as the seed prints it.

    python -m nin.measure.summary [--plot docs/architecture.png]
"""
import numpy as np

from nin.core.quiet import import_keras

keras = import_keras()

from nin.core.model import IMAGE_SIZE, build_nin


def _kernel_stride(layer):
    if isinstance(layer, keras.Sequential):
        conv = layer.layers[0]
        return f"{conv.kernel_size[0]}x{conv.kernel_size[1]} /{conv.strides[0]} {conv.padding} + 2x 1x1"
    if isinstance(layer, keras.layers.MaxPooling2D):
        return f"{layer.pool_size[0]}x{layer.pool_size[1]} /{layer.strides[0]}"
    if isinstance(layer, keras.layers.Dropout):
        return f"p={layer.rate}"
    return ""


def layer_table(net=None, image_size=IMAGE_SIZE):
    """Rows of (layer, type, kernel/stride, output shape, parameters), shapes from a real forward pass."""
    net = net or build_nin(image_size)
    x = np.zeros((1, image_size, image_size, 1), "float32")
    rows = []
    for layer in net.layers:
        x = layer(x)
        rows.append({"layer": layer.name, "type": layer.__class__.__name__, "kernel/stride": _kernel_stride(layer),
                     "output shape": str(tuple(int(d) for d in x.shape)), "parameters": int(layer.count_params())})
    return rows


def format_table(rows):
    header = f"{'layer':<18}{'type':<25}{'kernel/stride':<30}{'output shape':<20}{'parameters':>12}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['layer']:<18}{r['type']:<25}{r['kernel/stride']:<30}{r['output shape']:<20}{r['parameters']:>12,}")
    lines.append("-" * len(header))
    lines.append(f"{'total':<93}{sum(r['parameters'] for r in rows):>12,}")
    return "\n".join(lines)


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description="Per-layer table of the seed network")
    p.add_argument("--plot", help="also draw the network to this PNG (the app uses docs/architecture.png)")
    args = p.parse_args(argv)
    rows = layer_table()
    print(f"NiN for a 1x{IMAGE_SIZE}x{IMAGE_SIZE}x1 input")
    print(format_table(rows))
    if args.plot:
        from nin.measure.plots import plot_architecture
        plot_architecture(rows, args.plot)


if __name__ == "__main__":
    main()
