"""The scikit-learn handwritten digits, the demo that needs no simulator.

They ship inside scikit-learn (no download), are small enough to train on in
seconds, and their labels give the latent plots an obvious colouring.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits


def load(n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the first n (default all 1797) 8x8 images in [0,1] float32 and their labels.

    Pixel values are 0..16 in the source; dividing by 16 puts them on the same
    scale as every other demo image.
    """
    bunch = load_digits()
    images = (bunch.images[:n] / 16.0).astype(np.float32)
    labels = bunch.target[:n].astype(np.int64)
    return images, labels
