"""Dense autoencoders built from scikit-learn's MLPRegressor, plus a pure-numpy decoder.

MLPRegressor trained with X as its own target is a real autoencoder that needs
nothing beyond scikit-learn. Its bottleneck is a hidden layer, so encoding and
decoding are plain forward passes through the first and second half of
`coefs_`/`intercepts_`. The decoder is saved as bare arrays so the app can turn
a point in latent space into an image without scikit-learn or pickles.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPRegressor

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda a: a,
    "tanh": np.tanh,
    "logistic": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0),
}

# tanh rather than relu: a relu bottleneck loses dimensions to dead units,
# which would show up as constant latent axes in the app.
ACTIVATION = "tanh"


def train_autoencoder(
    x: np.ndarray,
    latent: int,
    *,
    hidden: int,
    epochs: int,
    learning_rate: float,
    seed: int,
    on_epoch: Callable[[], None] | None = None,
) -> MLPRegressor:
    """Fit a (hidden, latent, hidden) autoencoder on flattened x for exactly `epochs` epochs.

    Epochs run one `partial_fit` at a time so a progress bar can follow them and
    the amount of training is fixed (`fit` stops early on small loss changes).
    A RandomState instance, not an int, makes each epoch shuffle differently
    while the whole run stays reproducible.
    """
    model = MLPRegressor(
        hidden_layer_sizes=(hidden, latent, hidden),
        activation=ACTIVATION,
        solver="adam",
        learning_rate_init=learning_rate,
        early_stopping=False,
        random_state=np.random.RandomState(seed),
    )
    for _ in range(epochs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.partial_fit(x, x)
        # scikit-learn swallows Ctrl-C inside an epoch and only warns; turn it
        # back into an interrupt so a build can be stopped.
        if any("interrupted" in str(w.message) for w in caught):
            raise KeyboardInterrupt
        if on_epoch is not None:
            on_epoch()
    return model


def _forward(
    x: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activation: str,
    last_identity: bool,
) -> np.ndarray:
    """Dense forward pass; MLPRegressor leaves its output layer linear."""
    act = _ACTIVATIONS[activation]
    a = x
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        a = a @ w + b
        if not (last_identity and i == len(weights) - 1):
            a = act(a)
    return a


def encode(model: MLPRegressor, x: np.ndarray) -> np.ndarray:
    """Bottleneck activations of flattened x: the latent coordinates the app plots."""
    half = len(model.coefs_) // 2
    x = np.asarray(x, dtype=model.coefs_[0].dtype).reshape(len(x), -1)
    return _forward(
        x, model.coefs_[:half], model.intercepts_[:half], model.activation, last_identity=False
    )


def decoder_arrays(model: MLPRegressor, image_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """The decoder half of the model as named arrays (the .npz layout)."""
    half = len(model.coefs_) // 2
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(model.coefs_[half:], model.intercepts_[half:], strict=True)):
        arrays[f"W{i}"] = w
        arrays[f"b{i}"] = b
    arrays["activation"] = np.array(model.activation)
    arrays["image_shape"] = np.array(image_shape, dtype=np.int64)
    return arrays


def save_decoder(model: MLPRegressor, path: Path, image_shape: tuple[int, ...]) -> None:
    """Write the decoder to an .npz that loads with allow_pickle=False."""
    np.savez(path, **decoder_arrays(model, image_shape))


def load_decoder(path: str | Path) -> dict[str, np.ndarray]:
    """Read a decoder .npz fully into memory (so the file is not held open)."""
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def decode(latent: np.ndarray, decoder: str | Path | Mapping[str, np.ndarray]) -> np.ndarray:
    """Images (N, *image_shape) for latent points (N, d), clipped to the [0,1] pixel range."""
    arrays = load_decoder(decoder) if isinstance(decoder, (str, Path)) else decoder
    n_layers = sum(1 for key in arrays if key.startswith("W"))
    weights = [arrays[f"W{i}"] for i in range(n_layers)]
    biases = [arrays[f"b{i}"] for i in range(n_layers)]
    z = np.asarray(latent, dtype=weights[0].dtype)
    out = _forward(z, weights, biases, str(arrays["activation"]), last_identity=True)
    shape = tuple(int(s) for s in arrays["image_shape"])
    return np.clip(out, 0.0, 1.0).reshape(len(z), *shape)
