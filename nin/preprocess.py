"""The one preprocessing pipeline: any photo, upload or drawing -> a Fashion-MNIST-like 28x28 image.

Fashion-MNIST was made from product photos: grey, negated (garment light on black), trimmed
to the garment, longest side scaled to 28 px, centred. We do the same to what people bring.
"""
import numpy as np
from scipy import ndimage

FOREGROUND = 0.1  # an intensity (0..1, garment bright) above this counts as garment


# --- texture-free shapes, used as training augmentation so drawings look familiar ---

def garment_mask(x28):
    """Filled mask of a 28x28 garment image (holes such as a bag's handle loop stay if open)."""
    return ndimage.binary_fill_holes(x28 > FOREGROUND)


def silhouette_of(x28):
    """The garment as one flat light shape."""
    return garment_mask(x28).astype(np.float32)


def outline_of(x28, rng=None):
    """The garment's contour as a 1-2 px light line, like a drawn outline."""
    rng = rng or np.random.default_rng()
    mask = garment_mask(x28)
    edge = mask & ~ndimage.binary_erosion(mask)
    if rng.random() < 0.5:
        edge = ndimage.binary_dilation(edge) & mask  # thicker, inward
    return edge.astype(np.float32)
