"""Pictures for the model card: confusion matrix (training curves live in train.py)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from nin.core.data import CLASS_NAMES


def plot_confusion(confusion, path):
    c = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6.2, 5.4), dpi=120)
    ax.imshow(c / np.maximum(c.sum(1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for i in range(10):
        for j in range(10):
            if c[i, j]:
                ax.text(j, i, c[i, j], ha="center", va="center", fontsize=7,
                        color="white" if c[i, j] > 0.5 * c[i].sum() else "black")
    ax.set_xticks(range(10), CLASS_NAMES, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(10), CLASS_NAMES, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_architecture(rows, path):
    """The network as a column of boxes, one per layer, with output shapes (docs/architecture.png)."""
    colours = {"Sequential": "#4c72b0", "MaxPooling2D": "#dd8452", "Dropout": "#937860",
               "GlobalAveragePooling2D": "#55a868", "Reshape": "#8c8c8c", "Flatten": "#8c8c8c"}
    n = len(rows) + 1
    fig, ax = plt.subplots(figsize=(7.5, 0.52 * n + 0.4), dpi=120)
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.5, n - 0.3)
    ax.axis("off")
    items = [("input", "grey image", "(1, 224, 224, 1)", "#c44e52")] + [
        (r["layer"], f"{r['type']} {r['kernel/stride']}".strip(), r["output shape"], colours.get(r["type"], "#8c8c8c"))
        for r in rows]
    for i, (name, kind, shape, colour) in enumerate(items):
        y = n - 1 - i
        ax.add_patch(plt.Rectangle((0.2, y - 0.35), 6.3, 0.7, color=colour, alpha=0.85))
        ax.text(0.35, y, f"{name}: {kind}", va="center", color="white", fontsize=8.5)
        ax.text(6.7, y, shape, va="center", fontsize=8.5, family="monospace")
        if i:
            ax.annotate("", (3.35, y + 0.35), (3.35, y + 0.65), arrowprops=dict(arrowstyle="->", lw=0.8))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
