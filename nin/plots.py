"""Pictures for the model card: confusion matrix (training curves live in train.py)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from nin.data import CLASS_NAMES


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
