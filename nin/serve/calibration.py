"""Temperature scaling (Guo et al., ICML 2017) and how calibrated probabilities are: NLL, ECE, reliability.

One number per weights file: the logits are divided by the temperature T before the softmax. T is
fitted by minimising the negative log-likelihood on the validation split held out of the training
images (nin.core.data.validation_indices); it changes the percentages, never which class comes first.
Pure numpy/scipy: the app and the CLIs read T from the weights' metadata (nin/core/weights.py).
"""
import numpy as np

T_RANGE = (0.05, 20.0)  # a temperature outside this is a bug, not a calibration


def log_softmax(logits, temperature=1.0):
    z = np.asarray(logits, np.float64) / float(temperature)
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def softmax(logits, temperature=1.0):
    return np.exp(log_softmax(logits, temperature))


def nll(logits, labels, temperature=1.0):
    """Mean negative log-likelihood of the true labels."""
    labels = np.asarray(labels, int)
    return float(-log_softmax(logits, temperature)[np.arange(len(labels)), labels].mean())


def fit_temperature(logits, labels):
    """The T > 0 that minimises the NLL of softmax(logits / T) (a 1-D convex problem in log T)."""
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda log_t: nll(logits, labels, np.exp(log_t)),
                          bounds=tuple(np.log(T_RANGE)), method="bounded", options={"xatol": 1e-5})
    return float(np.exp(res.x))


def reliability_bins(probs, labels, n_bins=15):
    """Per equal-width confidence bin: (count, mean confidence, accuracy) of the top-1 guesses."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels, int)
    conf, right = probs.max(1), (probs.argmax(1) == labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    mean_conf = np.bincount(which, conf, n_bins) / np.maximum(count, 1)
    acc = np.bincount(which, right.astype(float), n_bins) / np.maximum(count, 1)
    return count, mean_conf, acc


def ece(probs, labels, n_bins=15):
    """Expected calibration error: the count-weighted mean |accuracy - confidence| over 15 bins."""
    count, mean_conf, acc = reliability_bins(probs, labels, n_bins)
    return float((count * np.abs(acc - mean_conf)).sum() / max(count.sum(), 1))


def reliability_diagram(curves, labels, path, n_bins=15, title="Reliability on the Fashion-MNIST test set"):
    """PNG: accuracy against confidence per bin, one panel per {name: probs}, the diagonal for reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 4.4), squeeze=False)
    edges = np.linspace(0, 1, n_bins + 1)
    for ax, (name, probs) in zip(axes[0], curves.items()):
        count, mean_conf, acc = reliability_bins(probs, labels, n_bins)
        shown = count > 0
        ax.bar(edges[:-1][shown], acc[shown], width=1 / n_bins, align="edge", color="#4c72b0",
               edgecolor="white", label="accuracy of the bin")
        ax.plot(mean_conf[shown], acc[shown], "o", color="#dd8452", ms=4, label="(mean confidence, accuracy)")
        ax.vlines(mean_conf[shown], np.minimum(acc, mean_conf)[shown], np.maximum(acc, mean_conf)[shown],
                  color="#c44e52", lw=2, label="gap to the diagonal")
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence of the top guess (15 bins)", ylabel="accuracy",
               title=f"{name}: ECE {ece(probs, labels, n_bins):.4f}")
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
